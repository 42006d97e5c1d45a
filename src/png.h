/* png.h - write an RGB picture as PNG, with nothing but this file: the
 * rows are filtered the way PNG allows (none, Sub or Up, whichever
 * leaves the smallest bytes) and compressed by a small deflate of our own
 * (fixed Huffman codes, matches one byte, one pixel or one row back).
 * Flat screens (a black secure window, a plain background) shrink to
 * almost nothing; photos stay near their raw size.  The zlib stream and
 * the chunks carry their Adler-32 and CRC-32, so any PNG reader checks
 * them. */
#ifndef DM_PNG_H
#define DM_PNG_H

#include <stddef.h>
#include <stdint.h>

/* The PNG of a width x height picture whose rows are rgb (3 bytes a
 * pixel, no padding), in a malloc'ed buffer (*out, *outlen).  0, or
 * DM_EINVAL for a size PNG cannot hold (0, or over 2^31-1) or DM_ENOMEM
 * when the encoded picture would pass 1 GiB. */
int png_encode_rgb(uint32_t width, uint32_t height, const unsigned char *rgb,
    unsigned char **out, size_t *outlen);

/* The checksums PNG and zlib use, for tests and callers that check. */
uint32_t png_crc32(uint32_t crc, const void *data, size_t len);
uint32_t png_adler32(uint32_t adler, const void *data, size_t len);

#endif
