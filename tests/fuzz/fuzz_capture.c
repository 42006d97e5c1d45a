/* fuzz_capture.c - libFuzzer target: whatever `exec:screencap` could
 * send, through the capture reader; a capture it accepts must hold the
 * pixels it says, count no more black pixels than it has, and encode as
 * a PNG (small ones only, to keep the runs fast). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "capture.h"
#include "png.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capture c;
	char err[200];
	unsigned char *png;
	size_t len;

	if (size > (4u << 20))
		return 0;
	if (capture_parse(data, size, &c, err, sizeof(err)) != 0) {
		if (c.rgb != NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if (c.width == 0 || c.height == 0 || c.stride < c.width ||
	    c.black > (uint64_t)c.width * c.height ||
	    capture_black_permille(&c) > 1000 ||
	    (uint64_t)c.header + (uint64_t)c.stride * c.height *
	    capture_bpp(c.format) != size)
		abort();
	if ((uint64_t)c.width * c.height <= 4096) {
		if (png_encode_rgb(c.width, c.height, c.rgb, &png, &len) != 0 ||
		    len < 8 + 25 + 12 + 12)
			abort();
		free(png);
	}
	capture_free(&c);
	return 0;
}
