/* t_capture.c - screencap's raw output read in every header and pixel
 * format, hostile captures refused with the reason, black pixels
 * counted; the PNG writer's output decoded by gzip (an inflater that is
 * not ours) and un-filtered back to the same pixels. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "capture.h"
#include "err.h"
#include "png.h"

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* A capture: header of hdr bytes, then w x h pixels of format f, rows of
 * stride pixels; pixel (x, y) is red x, green y, blue 200, except a black
 * band in rows [b0, b1). */
static unsigned char *
make(uint32_t w, uint32_t h, uint32_t f, int hdr, uint32_t stride,
    uint32_t b0, uint32_t b1, size_t *len)
{
	unsigned bpp = capture_bpp(f);
	unsigned char *d;

	*len = (size_t)hdr + (size_t)stride * h * bpp;
	d = calloc(1, *len);
	assert_non_null(d);
	put32(d, w);
	put32(d + 4, h);
	put32(d + 8, f);
	if (hdr == 16)
		put32(d + 12, 0x8c10000);	/* a dataspace */
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			unsigned char *p = d + hdr + ((size_t)y * stride + x) *
			    bpp;
			unsigned r = x & 0xff, g = y & 0xff, b = 200;

			if (y >= b0 && y < b1)
				r = g = b = 0;
			switch (f) {
			case 1: case 2: case 3:
				p[0] = (unsigned char)r;
				p[1] = (unsigned char)g;
				p[2] = (unsigned char)b;
				if (bpp == 4)
					p[3] = 0xff;
				break;
			case 5:
				p[0] = (unsigned char)b;
				p[1] = (unsigned char)g;
				p[2] = (unsigned char)r;
				p[3] = 0xff;
				break;
			case 4: {
				unsigned v = (r >> 3) << 11 | (g >> 2) << 5 |
				    b >> 3;

				p[0] = (unsigned char)v;
				p[1] = (unsigned char)(v >> 8);
				break;
			}
			case 43:
				put32(p, (uint32_t)r << 2 | (uint32_t)g << 12 |
				    (uint32_t)b << 22 | 3u << 30);
				break;
			}
		}
	return d;
}

static void
test_formats(void **state)
{
	static const uint32_t fmts[] = { 1, 2, 3, 4, 5, 43 };
	char err[200];

	(void)state;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		for (int hdr = 12; hdr <= 16; hdr += 4) {
			struct capture c;
			size_t len;
			unsigned char *d = make(40, 30, fmts[i], hdr, 40, 10,
			    20, &len);
			const unsigned char *px;

			assert_int_equal(capture_parse(d, len, &c, err,
			    sizeof(err)), 0);
			assert_int_equal(c.width, 40);
			assert_int_equal(c.height, 30);
			assert_int_equal(c.format, fmts[i]);
			assert_int_equal(c.header, hdr);
			/* Rows 10-19 are black, and only they. */
			assert_int_equal(c.black, 10 * 40);
			assert_int_equal(capture_black_permille(&c), 333);
			px = c.rgb + ((size_t)25 * 40 + 33) * 3;
			if (fmts[i] == 4) {
				/* 5-6-5 bits, scaled back to 0-255 */
				assert_int_equal(px[0], 4 * 255 / 31);
				assert_int_equal(px[1], 6 * 255 / 63);
				assert_int_equal(px[2], 25 * 255 / 31);
			} else {
				assert_int_equal(px[0], 33);
				assert_int_equal(px[1], 25);
				assert_int_equal(px[2], 200);
			}
			capture_free(&c);
			free(d);
		}
}

/* Whole rows of a wider buffer, as old builds write them. */
static void
test_stride(void **state)
{
	struct capture c;
	size_t len;
	unsigned char *d = make(30, 20, 1, 12, 32, 0, 0, &len);
	char err[200];

	(void)state;
	assert_int_equal(capture_parse(d, len, &c, err, sizeof(err)), 0);
	assert_int_equal(c.stride, 32);
	assert_int_equal(c.rgb[(19 * 30 + 29) * 3], 29);
	assert_int_equal(c.rgb[(19 * 30 + 29) * 3 + 1], 19);
	assert_int_equal(c.black, 0);
	capture_free(&c);
	free(d);
}

static void
test_hostile(void **state)
{
	unsigned char h[16];
	struct capture c;
	size_t len;
	unsigned char *d = make(20, 10, 1, 16, 20, 0, 0, &len);
	char err[200];

	(void)state;
	/* Short of its header. */
	assert_int_equal(capture_parse(d, 11, &c, err, sizeof(err)),
	    DM_EPROTO);
	assert_non_null(strstr(err, "header"));
	/* Cut short. */
	assert_int_equal(capture_parse(d, len - 100, &c, err, sizeof(err)),
	    DM_EPROTO);
	assert_non_null(strstr(err, "cut short"));
	/* A few bytes too many: no row layout fits. */
	{
		unsigned char *e = calloc(1, len + 3);

		assert_non_null(e);
		memcpy(e, d, len);
		assert_int_equal(capture_parse(e, len + 3, &c, err,
		    sizeof(err)), DM_EPROTO);
		assert_non_null(strstr(err, "fits no"));
		free(e);
	}
	/* Sizes that are not a screen, or too big to hold. */
	put32(h, 0);
	put32(h + 4, 10);
	put32(h + 8, 1);
	put32(h + 12, 0);
	assert_int_equal(capture_parse(h, 16, &c, err, sizeof(err)),
	    DM_EPROTO);
	put32(h, 65535);
	put32(h + 4, 65535);
	assert_int_equal(capture_parse(h, 16, &c, err, sizeof(err)),
	    DM_ENOMEM);
	/* A format not read here. */
	put32(h, 10);
	put32(h + 4, 10);
	put32(h + 8, 22);	/* RGBA_FP16 */
	assert_int_equal(capture_parse(h, 16, &c, err, sizeof(err)),
	    DM_EUNSUPP);
	assert_non_null(strstr(err, "format 22"));
	assert_null(c.rgb);
	free(d);
}

/* ---- PNG ---- */

static void
test_checksums(void **state)
{
	(void)state;
	/* The check values of CRC-32 and Adler-32 (RFC 1950's example). */
	assert_int_equal(png_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(png_adler32(1, "Wikipedia", 9), 0x11e60398u);
	assert_int_equal(png_crc32(png_crc32(0, "1234", 4), "56789", 5),
	    0xcbf43926u);
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Inflate a zlib stream with gzip(1): wrapped as a gzip member. */
static unsigned char *
inflate_with_gzip(const unsigned char *z, size_t zlen, size_t rawlen)
{
	char in[] = "/tmp/t_capture.XXXXXX";
	char cmd[200];
	unsigned char hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };
	unsigned char *raw = malloc(rawlen + 1);
	int fd = mkstemp(in);
	FILE *f, *p;
	size_t got;

	assert_non_null(raw);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	/* The zlib header (2 bytes) and Adler-32 (4) off; gzip wants the
	 * CRC-32 and length of what comes out, which are not known yet:
	 * gzip -dc still writes it all and complains at the end only. */
	assert_int_equal(fwrite(hdr, 1, 10, f), 10);
	assert_int_equal(fwrite(z + 2, 1, zlen - 6, f), zlen - 6);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gzip -dc < %s 2>/dev/null", in);
	p = popen(cmd, "r");
	assert_non_null(p);
	got = fread(raw, 1, rawlen + 1, p);
	pclose(p);
	unlink(in);
	assert_int_equal(got, rawlen);
	return raw;
}

/* Encode, check the chunks and their CRCs, inflate, un-filter, and
 * compare with the pixels; the compressed size is returned. */
static size_t
png_round_trip(uint32_t w, uint32_t h, const unsigned char *rgb)
{
	unsigned char *png, *raw, *pix, *z = NULL;
	size_t len, zlen = 0, pos = 8, stride = (size_t)w * 3;
	uint32_t got_w = 0, got_h = 0;
	int iend = 0;

	assert_int_equal(png_encode_rgb(w, h, rgb, &png, &len), 0);
	assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
	while (pos + 12 <= len && !iend) {
		uint32_t n = be32(png + pos);
		const unsigned char *type = png + pos + 4;

		assert_true(pos + 12 + n <= len);
		assert_int_equal(be32(png + pos + 8 + n),
		    png_crc32(0, type, 4 + n));
		if (memcmp(type, "IHDR", 4) == 0) {
			got_w = be32(type + 4);
			got_h = be32(type + 8);
			assert_int_equal(type[12], 8);
			assert_int_equal(type[13], 2);
		} else if (memcmp(type, "IDAT", 4) == 0) {
			z = realloc(z, zlen + n);
			assert_non_null(z);
			memcpy(z + zlen, type + 4, n);
			zlen += n;
		} else if (memcmp(type, "IEND", 4) == 0) {
			iend = 1;
		}
		pos += 12 + n;
	}
	assert_true(iend);
	assert_int_equal(pos, len);
	assert_int_equal(got_w, w);
	assert_int_equal(got_h, h);
	assert_int_equal((z[0] * 256 + z[1]) % 31, 0);
	raw = inflate_with_gzip(z, zlen, (stride + 1) * h);
	assert_int_equal(be32(z + zlen - 4),
	    png_adler32(1, raw, (stride + 1) * h));
	pix = malloc(stride * h);
	assert_non_null(pix);
	for (uint32_t y = 0; y < h; y++) {
		const unsigned char *row = raw + (size_t)y * (stride + 1);
		unsigned char *o = pix + (size_t)y * stride;

		assert_true(row[0] <= 2);
		for (size_t i = 0; i < stride; i++) {
			unsigned char a = i >= 3 ? o[i - 3] : 0;
			unsigned char b = y > 0 ? o[i - stride] : 0;

			o[i] = (unsigned char)(row[1 + i] + (row[0] == 1 ? a :
			    row[0] == 2 ? b : 0));
		}
	}
	assert_memory_equal(pix, rgb, stride * h);
	free(pix);
	free(raw);
	free(z);
	free(png);
	return len;
}

static void
test_png_round_trip(void **state)
{
	uint32_t w = 1080, h = 600;
	unsigned char *rgb = malloc((size_t)w * h * 3);
	uint32_t seed = 12345;
	size_t flat, noisy;

	(void)state;
	assert_non_null(rgb);
	/* A status bar, then black (a secure window): tiny. */
	for (size_t i = 0; i < (size_t)w * h * 3; i++)
		rgb[i] = i < (size_t)w * 60 * 3 ? (unsigned char)(i % 3 * 40 +
		    (i / 3 / 50) % 2 * 80) : 0;
	flat = png_round_trip(w, h, rgb);
	print_message("# flat 1080x600: %zu bytes\n", flat);
	assert_true(flat < (size_t)w * h * 3 / 50);	/* under 2% */
	/* Noise: near the raw size, and still exact. */
	for (size_t i = 0; i < (size_t)w * h * 3; i++) {
		seed = seed * 1103515245u + 12345u;
		rgb[i] = (unsigned char)(seed >> 16);
	}
	noisy = png_round_trip(w, h, rgb);
	print_message("# noise 1080x600: %zu bytes\n", noisy);
	assert_true(noisy > (size_t)w * h * 3);
	/* Gradients and repeated rows; one pixel; one column. */
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			unsigned char *p = rgb + ((size_t)y * w + x) * 3;

			p[0] = (unsigned char)x;
			p[1] = (unsigned char)(y / 8);
			p[2] = (unsigned char)(x ^ (y / 8));
		}
	png_round_trip(w, h, rgb);
	png_round_trip(1, 1, rgb);
	png_round_trip(1, 300, rgb);
	free(rgb);
	assert_int_equal(png_encode_rgb(0, 5, NULL, &rgb, &flat), DM_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_stride),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_checksums),
		cmocka_unit_test(test_png_round_trip),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
