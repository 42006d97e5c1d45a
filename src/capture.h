/* capture.h - what `screencap` (no -p) prints, read: a header of little-
 * endian 32-bit words (width, height, pixel format, and from Android 9 a
 * dataspace) then the rows.  Which header it is follows from the length;
 * old builds that write whole rows of the buffer's stride are read too.
 *
 * Pixel formats (Android's HAL_PIXEL_FORMAT numbers): 1 RGBA_8888,
 * 2 RGBX_8888, 3 RGB_888, 4 RGB_565, 5 BGRA_8888, 43 RGBA_1010102.
 * Anything else, a size that does not fit the bytes, or a short capture
 * is refused with the reason.
 *
 * A capture is judged by its black pixels: a secure window (FLAG_SECURE),
 * a screen-capture policy or a screen that is off come out pure black,
 * where a real screen, even a dark theme, rarely does. */
#ifndef DM_CAPTURE_H
#define DM_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#define CAPTURE_MAX_PIXELS	(40u << 20)	/* 8K by 5K */

struct capture {
	uint32_t width, height, format;
	int header;		/* 12 or 16 bytes */
	uint32_t stride;	/* pixels per row in the data (>= width) */
	unsigned char *rgb;	/* width * height * 3, malloc'ed */
	uint64_t black;		/* pixels with every channel <= 3 of 255 */
};

/* Read a capture.  0, or DM_EPROTO / DM_EUNSUPP / DM_ENOMEM with the
 * reason in err. */
int capture_parse(const void *data, size_t len, struct capture *c,
    char *err, size_t errlen);
void capture_free(struct capture *c);

/* The share of black pixels, in tenths of a percent (0..1000). */
unsigned capture_black_permille(const struct capture *c);

/* The bytes one pixel of a format takes, or 0 for one not read here. */
unsigned capture_bpp(uint32_t format);

#endif
