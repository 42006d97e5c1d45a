/* fuzz_usbdesc.c - libFuzzer target: USB descriptor blobs as sysfs hands
 * them over (a hostile or broken device writes them). */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "usbclass.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usbclass_in in;
	struct usbclass_out out;

	memset(&in, 0, sizeof(in));
	if (usbclass_parse_descriptors(data, size, &in) == 0) {
		if (in.niface < 0 || in.niface > USBCLASS_MAX_IFACES)
			__builtin_trap();
		usbclass_classify(&in, &out);
	}
	return 0;
}
