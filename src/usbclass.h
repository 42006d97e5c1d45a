/* usbclass.h - what mode is this USB device in?  Pure functions over
 * descriptor data, so the rules are tested on real descriptors without a
 * device (tests/unit/t_usbclass.c). */
#ifndef DM_USBCLASS_H
#define DM_USBCLASS_H

#include <stdint.h>

#include "dev.h"

#define USBCLASS_MAX_IFACES 32

struct usbclass_iface {
	uint8_t cls, sub, proto;
	uint8_t num_endpoints;
	uint8_t num_bulk_in, num_bulk_out;
};

struct usbclass_in {
	uint16_t vid, pid;
	uint8_t dev_cls, dev_sub, dev_proto;
	int niface;		/* every alt setting of every interface */
	struct usbclass_iface iface[USBCLASS_MAX_IFACES];
};

struct usbclass_out {
	enum dev_mode mode;	/* DEV_MODE_UNKNOWN: not a phone, ignore it */
	char detail[64];	/* "Sahara/Firehose (05c6:9008)" */
	const char *vendor;	/* label or NULL */
	unsigned iface_triple;	/* the protocol interface, 0 if none */
};

/* Classify; returns 1 for a phone (out filled), 0 for anything else. */
int usbclass_classify(const struct usbclass_in *in, struct usbclass_out *out);

/* Fill `in` from a raw descriptor blob as sysfs `descriptors` holds it
 * (device descriptor followed by the active configuration).  0 or
 * DM_EINVAL on a malformed blob. */
int usbclass_parse_descriptors(const uint8_t *buf, size_t len,
    struct usbclass_in *in);

/* Vendor label for a VID ("Xiaomi"), or NULL. */
const char *usbclass_vendor(uint16_t vid);

#endif
