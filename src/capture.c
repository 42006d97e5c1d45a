/* capture.c - screencap's raw output, read and judged (see capture.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "err.h"
#include "xmem.h"

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

unsigned
capture_bpp(uint32_t format)
{
	switch (format) {
	case 1: case 2: case 5: case 43:
		return 4;
	case 3:
		return 3;
	case 4:
		return 2;
	default:
		return 0;
	}
}

static void
to_rgb(uint32_t format, const unsigned char *p, unsigned char *o)
{
	uint32_t v;

	switch (format) {
	case 1: case 2: case 3:
		o[0] = p[0];
		o[1] = p[1];
		o[2] = p[2];
		break;
	case 5:
		o[0] = p[2];
		o[1] = p[1];
		o[2] = p[0];
		break;
	case 4:
		v = (uint32_t)p[0] | (uint32_t)p[1] << 8;
		o[0] = (unsigned char)(((v >> 11) & 31) * 255 / 31);
		o[1] = (unsigned char)(((v >> 5) & 63) * 255 / 63);
		o[2] = (unsigned char)((v & 31) * 255 / 31);
		break;
	default:	/* 43: 10 bits a channel, red lowest */
		v = le32(p);
		o[0] = (unsigned char)((v & 0x3ff) >> 2);
		o[1] = (unsigned char)(((v >> 10) & 0x3ff) >> 2);
		o[2] = (unsigned char)(((v >> 20) & 0x3ff) >> 2);
		break;
	}
}

int
capture_parse(const void *data, size_t len, struct capture *c, char *err,
    size_t errlen)
{
	const unsigned char *p = data;
	uint64_t pixels, want12, want16, rowbytes;
	uint32_t w, h, f, stride;
	unsigned bpp;
	int header;

	memset(c, 0, sizeof(*c));
	if (len < 12)
		return dm_fail(err, errlen, DM_EPROTO, "the capture is %zu "
		    "bytes: not even its header (12)", len);
	w = le32(p);
	h = le32(p + 4);
	f = le32(p + 8);
	if (w == 0 || h == 0 || w > 65535 || h > 65535)
		return dm_fail(err, errlen, DM_EPROTO, "the capture says "
		    "%" PRIu32 "x%" PRIu32 " pixels: not a screen", w, h);
	bpp = capture_bpp(f);
	if (bpp == 0)
		return dm_fail(err, errlen, DM_EUNSUPP, "the capture's pixel "
		    "format %" PRIu32 " is not one read here (1 RGBA, 2 RGBX, "
		    "3 RGB, 4 RGB565, 5 BGRA, 43 RGBA1010102)", f);
	pixels = (uint64_t)w * h;
	if (pixels > CAPTURE_MAX_PIXELS)
		return dm_fail(err, errlen, DM_ENOMEM, "the capture says "
		    "%" PRIu32 "x%" PRIu32 " pixels: over %u million",
		    w, h, CAPTURE_MAX_PIXELS >> 20);
	want12 = 12 + pixels * bpp;
	want16 = 16 + pixels * bpp;
	stride = w;
	if (len == want16) {
		header = 16;
	} else if (len == want12) {
		header = 12;
	} else if (len < want12) {
		return dm_fail(err, errlen, DM_EPROTO, "the capture was cut "
		    "short: %zu of %" PRIu64 " bytes for %" PRIu32 "x%" PRIu32,
		    len, want12, w, h);
	} else {
		/* Whole rows of a wider buffer (older builds): the stride is
		 * what makes the length come out even. */
		header = 0;
		for (int hd = 12; hd <= 16 && header == 0; hd += 4) {
			uint64_t body = len - (size_t)hd;

			rowbytes = body / h;
			if (body % h == 0 && rowbytes % bpp == 0 &&
			    rowbytes / bpp >= w && rowbytes / bpp <= w + 256)
				header = hd;
		}
		if (header == 0)
			return dm_fail(err, errlen, DM_EPROTO, "the capture "
			    "is %zu bytes, which fits no %" PRIu32 "x%" PRIu32
			    " picture of format %" PRIu32, len, w, h, f);
		stride = (uint32_t)((len - (size_t)header) / h / bpp);
	}
	c->width = w;
	c->height = h;
	c->format = f;
	c->header = header;
	c->stride = stride;
	c->rgb = malloc((size_t)pixels * 3);
	if (c->rgb == NULL)
		return dm_fail(err, errlen, DM_ENOMEM, "no memory for a "
		    "%" PRIu32 "x%" PRIu32 " picture", w, h);
	for (uint32_t y = 0; y < h; y++) {
		const unsigned char *row = p + header +
		    (size_t)y * stride * bpp;
		unsigned char *o = c->rgb + (size_t)y * w * 3;

		for (uint32_t x = 0; x < w; x++, o += 3) {
			to_rgb(f, row + (size_t)x * bpp, o);
			if (o[0] <= 3 && o[1] <= 3 && o[2] <= 3)
				c->black++;
		}
	}
	return 0;
}

void
capture_free(struct capture *c)
{
	free(c->rgb);
	memset(c, 0, sizeof(*c));
}

unsigned
capture_black_permille(const struct capture *c)
{
	uint64_t all = (uint64_t)c->width * c->height;

	return all ? (unsigned)(c->black * 1000 / all) : 0;
}
