/* png.c - RGB pictures as PNG files (see png.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "png.h"
#include "xmem.h"

#define OUT_MAX		(1u << 30)

uint32_t
png_crc32(uint32_t crc, const void *data, size_t len)
{
	static uint32_t table[256];
	static int ready;
	const unsigned char *p = data;

	if (!ready) {
		for (uint32_t n = 0; n < 256; n++) {
			uint32_t c = n;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[n] = c;
		}
		ready = 1;
	}
	crc ^= 0xffffffffu;
	while (len-- > 0)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc ^ 0xffffffffu;
}

uint32_t
png_adler32(uint32_t adler, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t a = adler & 0xffff, b = adler >> 16;

	while (len > 0) {
		/* 5552 bytes is the most that cannot overflow b. */
		size_t n = len < 5552 ? len : 5552;

		len -= n;
		while (n-- > 0) {
			a += *p++;
			b += a;
		}
		a %= 65521;
		b %= 65521;
	}
	return b << 16 | a;
}

/* ---- a growing byte buffer with a bit writer (deflate's bit order:
 * least significant first) ---- */

struct out {
	unsigned char *p;
	size_t len, cap;
	uint32_t bits;		/* pending bits */
	int nbits;
	int full;		/* passed OUT_MAX */
};

static void
out_byte(struct out *o, unsigned char c)
{
	if (o->full)
		return;
	if (o->len == o->cap) {
		if (o->cap >= OUT_MAX) {
			o->full = 1;
			return;
		}
		o->cap = o->cap ? o->cap * 2 : 4096;
		o->p = xrealloc(o->p, o->cap);
	}
	o->p[o->len++] = c;
}

static void
out_bytes(struct out *o, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n-- > 0)
		out_byte(o, *s++);
}

static void
out_be32(struct out *o, uint32_t v)
{
	out_byte(o, (unsigned char)(v >> 24));
	out_byte(o, (unsigned char)(v >> 16));
	out_byte(o, (unsigned char)(v >> 8));
	out_byte(o, (unsigned char)v);
}

static void
put_bits(struct out *o, uint32_t v, int n)
{
	o->bits |= v << o->nbits;
	o->nbits += n;
	while (o->nbits >= 8) {
		out_byte(o, (unsigned char)o->bits);
		o->bits >>= 8;
		o->nbits -= 8;
	}
}

/* A Huffman code goes out most significant bit first. */
static void
put_code(struct out *o, uint32_t code, int n)
{
	uint32_t r = 0;

	for (int i = 0; i < n; i++)
		r |= ((code >> i) & 1) << (n - 1 - i);
	put_bits(o, r, n);
}

static void
flush_bits(struct out *o)
{
	if (o->nbits > 0)
		out_byte(o, (unsigned char)o->bits);
	o->bits = 0;
	o->nbits = 0;
}

/* ---- deflate, fixed codes (RFC 1951 3.2.6) ---- */

static void
put_literal(struct out *o, unsigned sym)
{
	if (sym < 144)
		put_code(o, 0x30 + sym, 8);
	else if (sym < 256)
		put_code(o, 0x190 + (sym - 144), 9);
	else if (sym < 280)
		put_code(o, sym - 256, 7);
	else
		put_code(o, 0xc0 + (sym - 280), 8);
}

static const unsigned short len_base[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11,
    13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163,
    195, 227, 258 };
static const unsigned char len_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1,
    1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const unsigned short dist_base[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17,
    25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
    3073, 4097, 6145, 8193, 12289, 16385, 24577 };
static const unsigned char dist_extra[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3,
    3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

static void
put_match(struct out *o, unsigned len, unsigned dist)
{
	int k = 28, d = 29;

	while (len_base[k] > len)
		k--;
	put_literal(o, 257 + (unsigned)k);
	put_bits(o, len - len_base[k], len_extra[k]);
	while (dist_base[d] > dist)
		d--;
	put_code(o, (uint32_t)d, 5);
	put_bits(o, dist - dist_base[d], dist_extra[d]);
}

#define MATCH_MAX	258
#define WINDOW		32768

/* One fixed-code block holding all of in; matches are looked for at the
 * distances that repeat in pictures: a byte, a pixel, a row. */
static void
deflate_fixed(struct out *o, const unsigned char *in, size_t n, size_t row)
{
	const size_t dists[3] = { 1, 3, row };

	put_bits(o, 1, 1);	/* BFINAL */
	put_bits(o, 1, 2);	/* BTYPE 01: fixed codes */
	for (size_t i = 0; i < n && !o->full;) {
		size_t best = 0, bestd = 0;

		for (int k = 0; k < 3; k++) {
			size_t d = dists[k], m = 0;

			if (d == 0 || d > i || d > WINDOW)
				continue;
			while (m < MATCH_MAX && i + m < n &&
			    in[i + m] == in[i + m - d])
				m++;
			if (m > best) {
				best = m;
				bestd = d;
			}
		}
		if (best >= 3) {
			put_match(o, (unsigned)best, (unsigned)bestd);
			i += best;
		} else {
			put_literal(o, in[i]);
			i++;
		}
	}
	put_literal(o, 256);	/* end of block */
	flush_bits(o);
}

/* ---- PNG ---- */

static void
chunk(struct out *o, const char type[4], const unsigned char *data,
    size_t len)
{
	uint32_t crc;

	out_be32(o, (uint32_t)len);
	out_bytes(o, type, 4);
	out_bytes(o, data, len);
	crc = png_crc32(0, type, 4);
	crc = png_crc32(crc, data, len);
	out_be32(o, crc);
}

static uint64_t
absdiff_sum(const unsigned char *p, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += p[i] < 128 ? p[i] : 256u - p[i];
	return s;
}

int
png_encode_rgb(uint32_t width, uint32_t height, const unsigned char *rgb,
    unsigned char **out, size_t *outlen)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r',
	    '\n', 0x1a, '\n' };
	size_t stride, rowlen, rawlen;
	unsigned char ihdr[13], *raw, *cand;
	struct out z = { 0 }, png = { 0 };
	uint32_t adler;

	*out = NULL;
	*outlen = 0;
	if (width == 0 || height == 0 || width > 0x7fffffffu ||
	    height > 0x7fffffffu)
		return DM_EINVAL;
	stride = (size_t)width * 3;
	rowlen = stride + 1;
	if (rowlen * height / height != rowlen || rowlen * height > OUT_MAX)
		return DM_ENOMEM;
	rawlen = rowlen * height;
	raw = xmalloc(rawlen);
	cand = xmalloc(rowlen * 3);
	/* Each row with the filter that leaves the smallest values. */
	for (uint32_t y = 0; y < height; y++) {
		const unsigned char *cur = rgb + (size_t)y * stride;
		const unsigned char *up = y > 0 ? cur - stride : NULL;
		uint64_t score[3];
		unsigned best = 0;

		for (int f = 0; f < 3; f++) {
			unsigned char *c = cand + (size_t)f * rowlen;

			c[0] = (unsigned char)f;
			for (size_t i = 0; i < stride; i++) {
				unsigned char a = i >= 3 ? cur[i - 3] : 0;
				unsigned char b = up ? up[i] : 0;

				c[1 + i] = (unsigned char)(cur[i] -
				    (f == 0 ? 0 : f == 1 ? a : b));
			}
			score[f] = absdiff_sum(c + 1, stride);
			if (score[f] < score[best])
				best = (unsigned)f;
		}
		memcpy(raw + (size_t)y * rowlen, cand + best * rowlen, rowlen);
	}
	free(cand);
	/* zlib: CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (a multiple
	 * of 31 together, no dictionary, "fastest" level). */
	out_byte(&z, 0x78);
	out_byte(&z, 0x01);
	deflate_fixed(&z, raw, rawlen, rowlen);
	adler = png_adler32(1, raw, rawlen);
	free(raw);
	out_be32(&z, adler);
	if (z.full) {
		free(z.p);
		return DM_ENOMEM;
	}
	out_bytes(&png, sig, 8);
	ihdr[0] = (unsigned char)(width >> 24);
	ihdr[1] = (unsigned char)(width >> 16);
	ihdr[2] = (unsigned char)(width >> 8);
	ihdr[3] = (unsigned char)width;
	ihdr[4] = (unsigned char)(height >> 24);
	ihdr[5] = (unsigned char)(height >> 16);
	ihdr[6] = (unsigned char)(height >> 8);
	ihdr[7] = (unsigned char)height;
	ihdr[8] = 8;		/* bits per sample */
	ihdr[9] = 2;		/* colour type: RGB */
	ihdr[10] = 0;		/* deflate */
	ihdr[11] = 0;		/* filters per row */
	ihdr[12] = 0;		/* not interlaced */
	chunk(&png, "IHDR", ihdr, sizeof(ihdr));
	chunk(&png, "IDAT", z.p, z.len);
	free(z.p);
	chunk(&png, "IEND", NULL, 0);
	if (png.full) {
		free(png.p);
		return DM_ENOMEM;
	}
	*out = png.p;
	*outlen = png.len;
	return 0;
}
