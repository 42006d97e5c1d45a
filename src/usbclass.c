/* usbclass.c - decide from USB descriptors whether a device is a phone and
 * which mode it is in (adb, fastboot, Samsung download, Qualcomm EDL,
 * MediaTek preloader/BROM, or MTP with USB debugging off).
 *
 * Pure functions over plain data, callable from any thread: usbscan.c
 * feeds them what libusb parsed, the unit test feeds them raw descriptor
 * blobs built from real captures.  Nothing here opens a device.  Whatever
 * is not recognised is "not a phone" so that hubs, keyboards and webcams
 * never show up on the bench. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "usbclass.h"

#define DESC_DEVICE	1
#define DESC_CONFIG	2
#define DESC_INTERFACE	4
#define DESC_ENDPOINT	5

#define DEV_DESC_LEN	18
#define CFG_DESC_LEN	9
#define IFACE_DESC_LEN	9
#define EP_DESC_LEN	7

#define XFER_TYPE_BULK	2

#define VID_SAMSUNG	0x04e8
#define VID_QUALCOMM	0x05c6
#define VID_MEDIATEK	0x0e8d

#define TRIPLE(c, s, p)	(((unsigned)(c) << 16) | ((unsigned)(s) << 8) | (p))
#define TRIPLE_ADB	TRIPLE(0xff, 0x42, 0x01)
#define TRIPLE_FASTBOOT	TRIPLE(0xff, 0x42, 0x03)
#define TRIPLE_PTP	TRIPLE(0x06, 0x01, 0x01)
#define TRIPLE_MTP	TRIPLE(0xff, 0xff, 0x00)
#define CLASS_CDC_DATA	0x0a

/* Labels only: knowing the vendor never makes a device a phone by itself,
 * except for the MTP-only rule below.  IDs from adb's old allow-list
 * (docs/protocols.md section 1); OnePlus and vivo from two public udev
 * rule sets that agree.  realme phones use OPPO's 22d9. */
static const struct {
	uint16_t vid;
	const char *name;
} vendors[] = {
	{ 0x04e8, "Samsung" },
	{ 0x05c6, "Qualcomm" },
	{ 0x0b05, "ASUS" },
	{ 0x0bb4, "HTC" },
	{ 0x0e8d, "MediaTek" },
	{ 0x0fce, "Sony Mobile" },
	{ 0x1004, "LG" },
	{ 0x12d1, "Huawei" },
	{ 0x17ef, "Lenovo" },
	{ 0x18d1, "Google" },
	{ 0x19d2, "ZTE" },
	{ 0x22b8, "Motorola" },
	{ 0x22d9, "OPPO" },
	{ 0x2717, "Xiaomi" },
	{ 0x2a70, "OnePlus" },
	{ 0x2d95, "vivo" },
};

/* Samsung PIDs seen in Download (Odin) mode, as Heimdall knows them. */
static const uint16_t samsung_download_pids[] = { 0x6601, 0x685d, 0x68c3 };

const char *
usbclass_vendor(uint16_t vid)
{
	for (size_t i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++)
		if (vendors[i].vid == vid)
			return vendors[i].name;
	return NULL;
}

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

/* Walk one configuration (its wTotalLength bytes, already bounds-checked
 * against the blob) descriptor by descriptor. */
static int
usbclass_parse_config(const uint8_t *cfg, size_t total,
    struct usbclass_in *in)
{
	struct usbclass_iface *cur = NULL;
	size_t off = cfg[0];

	while (off < total) {
		size_t left = total - off;
		uint8_t blen, type;

		if (left < 2)
			return DM_EINVAL;
		blen = cfg[off];
		type = cfg[off + 1];
		if (blen < 2 || blen > left)
			return DM_EINVAL;
		if (type == DESC_INTERFACE) {
			if (blen < IFACE_DESC_LEN)
				return DM_EINVAL;
			cur = NULL;
			if (in->niface < USBCLASS_MAX_IFACES) {
				cur = &in->iface[in->niface++];
				cur->num_endpoints = cfg[off + 4];
				cur->cls = cfg[off + 5];
				cur->sub = cfg[off + 6];
				cur->proto = cfg[off + 7];
			}
		} else if (type == DESC_ENDPOINT) {
			if (blen < EP_DESC_LEN)
				return DM_EINVAL;
			if (cur != NULL &&
			    (cfg[off + 3] & 3) == XFER_TYPE_BULK) {
				if (cfg[off + 2] & 0x80) {
					if (cur->num_bulk_in < 255)
						cur->num_bulk_in++;
				} else if (cur->num_bulk_out < 255) {
					cur->num_bulk_out++;
				}
			}
		} else if (type == DESC_CONFIG || type == DESC_DEVICE) {
			/* Inside a configuration these mean a lying
			 * wTotalLength. */
			return DM_EINVAL;
		}
		off += blen;
	}
	return 0;
}

int
usbclass_parse_descriptors(const uint8_t *buf, size_t len,
    struct usbclass_in *in)
{
	const uint8_t *cfg;
	size_t left, total;
	int rc;

	if (in == NULL)
		return DM_EINVAL;
	memset(in, 0, sizeof(*in));
	if (buf == NULL || len < DEV_DESC_LEN)
		return DM_EINVAL;
	if (buf[0] < DEV_DESC_LEN || buf[1] != DESC_DEVICE || buf[0] > len)
		return DM_EINVAL;
	in->dev_cls = buf[4];
	in->dev_sub = buf[5];
	in->dev_proto = buf[6];
	in->vid = le16(buf + 8);
	in->pid = le16(buf + 10);

	/* The first configuration follows; sysfs puts the active one
	 * there for the single-configuration devices phones are. */
	cfg = buf + buf[0];
	left = len - buf[0];
	if (left < CFG_DESC_LEN || cfg[1] != DESC_CONFIG ||
	    cfg[0] < CFG_DESC_LEN)
		goto bad;
	total = le16(cfg + 2);
	if (total < cfg[0] || total > left)
		goto bad;
	rc = usbclass_parse_config(cfg, total, in);
	if (rc < 0)
		goto bad;
	return 0;
bad:
	memset(in, 0, sizeof(*in));
	return DM_EINVAL;
}

static const struct usbclass_iface *
find_triple(const struct usbclass_in *in, unsigned triple)
{
	int n = in->niface;

	if (n > USBCLASS_MAX_IFACES)
		n = USBCLASS_MAX_IFACES;
	for (int i = 0; i < n; i++) {
		const struct usbclass_iface *f = &in->iface[i];

		if (TRIPLE(f->cls, f->sub, f->proto) == triple)
			return f;
	}
	return NULL;
}

/* Android's MTP function: vendor-specific ff/ff/00 with a bulk pair and an
 * interrupt endpoint (3 in all); PTP is the standard still-image class. */
static unsigned
find_mtp(const struct usbclass_in *in)
{
	const struct usbclass_iface *f;

	f = find_triple(in, TRIPLE_MTP);
	if (f != NULL && f->num_endpoints == 3 && f->num_bulk_in >= 1 &&
	    f->num_bulk_out >= 1)
		return TRIPLE_MTP;
	f = find_triple(in, TRIPLE_PTP);
	if (f != NULL && f->num_bulk_in >= 1 && f->num_bulk_out >= 1)
		return TRIPLE_PTP;
	return 0;
}

/* A CDC-data interface (any alt setting) with a bulk pair: Odin's pipe. */
static int
find_cdc_data(const struct usbclass_in *in)
{
	int n = in->niface;

	if (n > USBCLASS_MAX_IFACES)
		n = USBCLASS_MAX_IFACES;
	for (int i = 0; i < n; i++)
		if (in->iface[i].cls == CLASS_CDC_DATA &&
		    in->iface[i].num_bulk_in >= 1 &&
		    in->iface[i].num_bulk_out >= 1)
			return 1;
	return 0;
}

static int
is_samsung_download(uint16_t vid, uint16_t pid)
{
	if (vid != VID_SAMSUNG)
		return 0;
	for (size_t i = 0; i < sizeof(samsung_download_pids) /
	    sizeof(samsung_download_pids[0]); i++)
		if (samsung_download_pids[i] == pid)
			return 1;
	return 0;
}

static void
set_out(struct usbclass_out *out, const struct usbclass_in *in,
    enum dev_mode mode, unsigned triple, const char *what)
{
	out->mode = mode;
	out->iface_triple = triple;
	snprintf(out->detail, sizeof(out->detail), "%s (%04x:%04x)", what,
	    in->vid, in->pid);
}

int
usbclass_classify(const struct usbclass_in *in, struct usbclass_out *out)
{
	unsigned mtp;

	if (out == NULL)
		return 0;
	memset(out, 0, sizeof(*out));
	if (in == NULL)
		return 0;
	out->vendor = usbclass_vendor(in->vid);

	/* The protocol interfaces decide first, whatever the VID: composite
	 * MTP+adb is adb.  AOSP matches these triples only. */
	if (find_triple(in, TRIPLE_ADB) != NULL) {
		set_out(out, in, DEV_MODE_ADB, TRIPLE_ADB, "adb interface");
		return 1;
	}
	if (find_triple(in, TRIPLE_FASTBOOT) != NULL) {
		/* Bootloader or fastbootd: only getvar:is-userspace tells. */
		set_out(out, in, DEV_MODE_FASTBOOT, TRIPLE_FASTBOOT,
		    "fastboot interface");
		return 1;
	}

	if (in->vid == VID_QUALCOMM) {
		switch (in->pid) {
		case 0x9008:
			set_out(out, in, DEV_MODE_QUALCOMM_EDL, 0,
			    "Sahara/Firehose");
			return 1;
		case 0x900e:
			set_out(out, in, DEV_MODE_QUALCOMM_EDL, 0,
			    "EDL crash dump");
			return 1;
		case 0x901d:
		case 0x90db:
			set_out(out, in, DEV_MODE_QUALCOMM_EDL, 0,
			    "diag dump");
			return 1;
		}
	}
	if (in->vid == VID_MEDIATEK && in->pid == 0x2000) {
		set_out(out, in, DEV_MODE_MEDIATEK_PRELOADER, 0, "Preloader");
		return 1;
	}
	if (in->vid == VID_MEDIATEK && in->pid == 0x0003) {
		set_out(out, in, DEV_MODE_MEDIATEK_BROM, 0, "BootROM");
		return 1;
	}
	if (is_samsung_download(in->vid, in->pid)) {
		set_out(out, in, DEV_MODE_SAMSUNG_DOWNLOAD,
		    find_cdc_data(in) ? TRIPLE(CLASS_CDC_DATA, 0, 0) : 0,
		    "Odin");
		return 1;
	}

	/* A phone vendor's device that only offers file transfer: a phone
	 * with USB debugging off. */
	mtp = find_mtp(in);
	if (out->vendor != NULL && mtp != 0) {
		set_out(out, in, DEV_MODE_MTP_ONLY, mtp,
		    mtp == TRIPLE_MTP ? "MTP only" : "PTP only");
		return 1;
	}

	memset(out, 0, sizeof(*out));
	return 0;
}
