/* t_usbclass.c - phone or not, and which mode: usbclass.c on descriptors
 * transcribed from real captures (tests/data/usb), on the composite and
 * non-phone cases, and on truncated and hostile blobs.
 *
 * Every blob is copied into a heap buffer of exactly its size before it is
 * parsed, so a read past the end shows under ASan. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "usbclass.h"
#include "usbscan.h"

/* ------------------------------------------------------------------ */
/* Reading the captures                                                 */

static char *
capture_load(const char *name)
{
	const char *dirs[] = { getenv("top_srcdir"), ".", "..", "../.." };
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (dirs[i] == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/tests/data/usb/%s", dirs[i],
		    name);
		f = fopen(path, "rb");
		if (f == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		buf = malloc((size_t)n + 1);
		assert_non_null(buf);
		assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
		buf[n] = '\0';
		fclose(f);
		return buf;
	}
	fail_msg("capture %s not found (is top_srcdir set?)", name);
	return NULL;
}

/* The value after the nth line whose text (past leading blanks) starts
 * with label followed by blanks or ':'.  Understands lsusb -v ("idVendor
 * 0x18d1 Google"), pyusb ("bLength : 0x9 (9 bytes)") and heimdall
 * ("VID:PID: 04E8:685D"). */
static const char *
field(const char *text, const char *label, int nth)
{
	size_t ll = strlen(label);

	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *p = line, *next = strchr(line, '\n');

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, label, ll) == 0 &&
		    (p[ll] == ' ' || p[ll] == ':')) {
			if (nth-- == 0) {
				p += ll;
				while (*p == ' ')
					p++;
				if (*p == ':')
					p++;
				while (*p == ' ')
					p++;
				return p;
			}
		}
		line = next != NULL ? next + 1 : NULL;
	}
	return NULL;
}

static long
field_num(const char *text, const char *label, int nth, int base)
{
	const char *v = field(text, label, nth);
	char *end;
	long n;

	if (v == NULL)
		fail_msg("no '%s' #%d in the capture", label, nth);
	n = strtol(v, &end, base);
	if (end == v)
		fail_msg("'%s' #%d has no number: %.20s", label, nth, v);
	return n;
}

/* One transcribed field: capture label (nth occurrence) == blob bytes. */
struct xcheck {
	const char *label;
	int nth;
	int base;		/* 0: C syntax (lsusb, pyusb); 16: heimdall */
	size_t off;
	int width;		/* 1 or 2 (little-endian) */
};

static void
cross_check(const char *file, const uint8_t *blob, size_t len,
    const struct xcheck *x, size_t nx)
{
	char *text = capture_load(file);

	for (size_t i = 0; i < nx; i++) {
		long want = field_num(text, x[i].label, x[i].nth, x[i].base);
		long have;

		assert_true(x[i].off + (size_t)x[i].width <= len);
		have = blob[x[i].off];
		if (x[i].width == 2)
			have |= (long)blob[x[i].off + 1] << 8;
		if (have != want)
			fail_msg("%s: %s #%d is %#lx in the capture, %#lx "
			    "in the blob", file, x[i].label, x[i].nth, want,
			    have);
	}
	free(text);
}

/* ------------------------------------------------------------------ */
/* Parsing and classifying                                              */

static int
parse(const uint8_t *blob, size_t len, struct usbclass_in *in)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	if (len > 0)
		memcpy(copy, blob, len);
	rc = usbclass_parse_descriptors(copy, len, in);
	free(copy);
	return rc;
}

static void
expect_phone(const uint8_t *blob, size_t len, enum dev_mode mode,
    const char *detail, const char *vendor, unsigned triple)
{
	struct usbclass_out out;
	struct usbclass_in in;

	assert_int_equal(parse(blob, len, &in), 0);
	assert_int_equal(usbclass_classify(&in, &out), 1);
	assert_int_equal(out.mode, mode);
	assert_string_equal(out.detail, detail);
	if (vendor == NULL)
		assert_null(out.vendor);
	else
		assert_string_equal(out.vendor, vendor);
	assert_int_equal(out.iface_triple, triple);
}

static void
expect_not_phone(const uint8_t *blob, size_t len)
{
	struct usbclass_out out;
	struct usbclass_in in;

	assert_int_equal(parse(blob, len, &in), 0);
	assert_int_equal(usbclass_classify(&in, &out), 0);
	assert_int_equal(out.mode, DEV_MODE_UNKNOWN);
	assert_int_equal(out.iface_triple, 0);
}

/* Standard CDC ACM functional descriptors (header, call management, ACM,
 * union: 19 bytes), which the printouts below do not show but whose size
 * their wTotalLength counts. */
#define CDC_FUNCTIONAL \
	5, 0x24, 0x00, 0x10, 0x01, \
	5, 0x24, 0x01, 0x00, 0x01, \
	4, 0x24, 0x02, 0x02, \
	5, 0x24, 0x06, 0x00, 0x01

/* ------------------------------------------------------------------ */
/* Fastboot: LG V20 H910, 18d1:d00d, lsusb -v.  Cut at iInterface: the
 * interface string index and the two endpoints (fastboot's bulk pair, 512
 * at the negotiated high speed) are completed; wTotalLength 0x20 from
 * the capture counts exactly those. */
static const uint8_t lg_v20_fastboot[] = {
	18, 1, 0x00, 0x02, 0, 0, 0, 64, 0xd1, 0x18, 0x0d, 0xd0, 0x00, 0x01,
	1, 2, 3, 1,
	9, 2, 0x20, 0x00, 1, 1, 0, 0xc0, 0,
	9, 4, 0, 0, 2, 0xff, 0x42, 0x03, 0,
	7, 5, 0x81, 2, 0x00, 0x02, 0,
	7, 5, 0x01, 2, 0x00, 0x02, 0,
};

static const struct xcheck lsusb_common[] = {
	{ "bDeviceClass", 0, 0, 4, 1 },
	{ "bMaxPacketSize0", 0, 0, 7, 1 },
	{ "idVendor", 0, 0, 8, 2 },
	{ "idProduct", 0, 0, 10, 2 },
	{ "iManufacturer", 0, 0, 14, 1 },
	{ "iProduct", 0, 0, 15, 1 },
	{ "iSerial", 0, 0, 16, 1 },
	{ "bNumConfigurations", 0, 0, 17, 1 },
	{ "wTotalLength", 0, 0, 20, 2 },
	{ "bNumInterfaces", 0, 0, 22, 1 },
	{ "bConfigurationValue", 0, 0, 23, 1 },
	{ "bmAttributes", 0, 0, 25, 1 },
	{ "bInterfaceNumber", 0, 0, 29, 1 },
	{ "bAlternateSetting", 0, 0, 30, 1 },
	{ "bNumEndpoints", 0, 0, 31, 1 },
	{ "bInterfaceClass", 0, 0, 32, 1 },
	{ "bInterfaceSubClass", 0, 0, 33, 1 },
	{ "bInterfaceProtocol", 0, 0, 34, 1 },
};

static void
test_lg_v20_fastboot(void **state)
{
	(void)state;
	cross_check("lg_v20_h910_fastboot_18d1-d00d_lsusb_-v_issue_excerpt_"
	    "truncated.txt", lg_v20_fastboot, sizeof(lg_v20_fastboot),
	    lsusb_common, sizeof(lsusb_common) / sizeof(lsusb_common[0]));
	expect_phone(lg_v20_fastboot, sizeof(lg_v20_fastboot),
	    DEV_MODE_FASTBOOT, "fastboot interface (18d1:d00d)", "Google",
	    0xff4203);
}

/* ------------------------------------------------------------------ */
/* adb: OnePlus One A0001, 05c6:6769 (a Qualcomm VID: adb must win over
 * any Qualcomm rule), lsusb -v.  Cut inside the first endpoint: both
 * endpoints are completed as adb's bulk pair; wTotalLength 32 agrees. */
static const uint8_t oneplus_one_adb[] = {
	18, 1, 0x10, 0x02, 0, 0, 0, 64, 0xc6, 0x05, 0x69, 0x67, 0x32, 0x02,
	1, 2, 3, 1,
	9, 2, 32, 0, 1, 1, 0, 0x80, 250,
	9, 4, 0, 0, 2, 0xff, 0x42, 0x01, 0,
	7, 5, 0x81, 2, 0x00, 0x02, 0,
	7, 5, 0x01, 2, 0x00, 0x02, 0,
};

static void
test_oneplus_one_adb(void **state)
{
	(void)state;
	cross_check("oneplus_one_A0001_adb_05c6-6769_lsusb_-v_issue_excerpt_"
	    "truncated.txt", oneplus_one_adb, sizeof(oneplus_one_adb),
	    lsusb_common, sizeof(lsusb_common) / sizeof(lsusb_common[0]));
	expect_phone(oneplus_one_adb, sizeof(oneplus_one_adb), DEV_MODE_ADB,
	    "adb interface (05c6:6769)", "Qualcomm", 0xff4201);
}

/* ------------------------------------------------------------------ */
/* Samsung Download mode: Galaxy Ace 2 GT-I8160, 04e8:685d, lsusb -v.  Cut
 * after the configuration header: wTotalLength 67 is exactly a CDC ACM
 * function (comm interface 02/02/01 + functional descriptors + interrupt
 * endpoint, data interface 0a/00/00 + bulk pair), completed with the
 * endpoint addresses and sizes the A52 capture below shows. */
static const uint8_t gt_i8160_download[] = {
	18, 1, 0x00, 0x02, 2, 0, 0, 64, 0xe8, 0x04, 0x5d, 0x68, 0x00, 0x01,
	1, 2, 3, 1,
	9, 2, 67, 0, 2, 1, 0, 0xc0, 50,
	9, 4, 0, 0, 1, 0x02, 0x02, 0x01, 0,
	CDC_FUNCTIONAL,
	7, 5, 0x82, 3, 0x10, 0x00, 9,
	9, 4, 1, 0, 2, 0x0a, 0x00, 0x00, 0,
	7, 5, 0x01, 2, 0x00, 0x02, 0,
	7, 5, 0x81, 2, 0x00, 0x02, 0,
};

static const struct xcheck gt_i8160_x[] = {
	{ "bDeviceClass", 0, 0, 4, 1 },
	{ "bMaxPacketSize0", 0, 0, 7, 1 },
	{ "idVendor", 0, 0, 8, 2 },
	{ "idProduct", 0, 0, 10, 2 },
	{ "iManufacturer", 0, 0, 14, 1 },
	{ "iProduct", 0, 0, 15, 1 },
	{ "iSerial", 0, 0, 16, 1 },
	{ "bNumConfigurations", 0, 0, 17, 1 },
	{ "wTotalLength", 0, 0, 20, 2 },
	{ "bNumInterfaces", 0, 0, 22, 1 },
	{ "bConfigurationValue", 0, 0, 23, 1 },
};

static void
test_samsung_gt_i8160_download(void **state)
{
	(void)state;
	cross_check("samsung_GT-I8160_download_mode_04e8-685d_lsusb_-v_issue_"
	    "excerpt_truncated.txt", gt_i8160_download,
	    sizeof(gt_i8160_download), gt_i8160_x,
	    sizeof(gt_i8160_x) / sizeof(gt_i8160_x[0]));
	expect_phone(gt_i8160_download, sizeof(gt_i8160_download),
	    DEV_MODE_SAMSUNG_DOWNLOAD, "Odin (04e8:685d)", "Samsung",
	    0x0a0000);
}

/* Samsung Download mode: Galaxy A52 (SM6150), heimdall --verbose.
 * Heimdall prints no configuration header and no class descriptors;
 * wTotalLength counts what is here.  Cut at endpoint[1] of the data
 * interface: completed as the IN half of the bulk pair (0x81). */
static const uint8_t a52_download[] = {
	18, 1, 0x00, 0x02, 2, 0, 0, 64, 0xe8, 0x04, 0x5d, 0x68, 0x1b, 0x02,
	1, 2, 0, 1,
	9, 2, 48, 0, 2, 1, 0, 0xc0, 50,
	9, 4, 0, 0, 1, 0x02, 0x02, 0x01, 0,
	7, 5, 0x82, 3, 0x10, 0x00, 9,
	9, 4, 1, 0, 2, 0x0a, 0x00, 0x00, 0,
	7, 5, 0x01, 2, 0x00, 0x02, 0,
	7, 5, 0x81, 2, 0x00, 0x02, 0,
};

static const struct xcheck a52_x[] = {
	{ "length", 0, 0, 0, 1 },
	{ "device class", 0, 0, 4, 1 },
	{ "bcdDevice", 0, 16, 12, 2 },
	{ "nb confs", 0, 0, 17, 1 },
	{ "endpoint[0].address", 0, 16, 38, 1 },
	{ "max packet size", 0, 16, 40, 2 },
	{ "polling interval", 0, 16, 42, 1 },
	{ "endpoint[0].address", 1, 16, 54, 1 },
	{ "max packet size", 1, 16, 56, 2 },
	{ "polling interval", 1, 16, 58, 1 },
};

static void
test_samsung_a52_download(void **state)
{
	const char *file = "samsung_galaxy_a52_a52q_SM6150_download_mode_"
	    "heimdall_detect_issue_excerpt_truncated.txt";
	unsigned vid, pid, c[3], im, ip, is;
	int neps;
	char *text;

	(void)state;
	cross_check(file, a52_download, sizeof(a52_download), a52_x,
	    sizeof(a52_x) / sizeof(a52_x[0]));
	/* The fields heimdall prints in its own shapes. */
	text = capture_load(file);
	assert_int_equal(sscanf(field(text, "VID:PID", 0), "%x:%x", &vid,
	    &pid), 2);
	assert_int_equal(vid, 0x04e8);
	assert_int_equal(pid, 0x685d);
	assert_int_equal(sscanf(field(text, "iMan:iProd:iSer", 0), "%u:%u:%u",
	    &im, &ip, &is), 3);
	assert_int_equal(a52_download[14], im);
	assert_int_equal(a52_download[15], ip);
	assert_int_equal(a52_download[16], is);
	for (int i = 0; i < 2; i++) {
		size_t at = i == 0 ? 27 : 43;
		char label[32];

		assert_int_equal(sscanf(field(text, "Class.SubClass.Protocol",
		    i), "%x.%x.%x", &c[0], &c[1], &c[2]), 3);
		assert_int_equal(a52_download[at + 5], c[0]);
		assert_int_equal(a52_download[at + 6], c[1]);
		assert_int_equal(a52_download[at + 7], c[2]);
		snprintf(label, sizeof(label), "interface[%d].altsetting[0]",
		    i);
		assert_int_equal(sscanf(field(text, label, 0),
		    "num endpoints = %d", &neps), 1);
		assert_int_equal(a52_download[at + 4], neps);
	}
	free(text);
	expect_phone(a52_download, sizeof(a52_download),
	    DEV_MODE_SAMSUNG_DOWNLOAD, "Odin (04e8:685d)", "Samsung",
	    0x0a0000);
}

/* ------------------------------------------------------------------ */
/* Qualcomm EDL: LG V60 5G in 9008 mode, the configuration as edl prints
 * it (pyusb).  The device descriptor is not in the capture: 05c6:9008
 * from the capture's issue and file name, the rest plain.  The OUT
 * endpoint is cut at wMaxPacketSize: completed like the IN one. */
static const uint8_t v60_edl[] = {
	18, 1, 0x00, 0x02, 0, 0, 0, 64, 0xc6, 0x05, 0x08, 0x90, 0x00, 0x00,
	1, 2, 0, 1,
	9, 2, 0x20, 0x00, 1, 1, 0, 0xa0, 1,
	9, 4, 0, 0, 2, 0xff, 0xff, 0x10, 0,
	7, 5, 0x81, 2, 0x00, 0x02, 0,
	7, 5, 0x01, 2, 0x00, 0x02, 0,
};

static const struct xcheck pyusb_edl_x[] = {
	{ "wTotalLength", 0, 0, 20, 2 },
	{ "bNumInterfaces", 0, 0, 22, 1 },
	{ "bConfigurationValue", 0, 0, 23, 1 },
	{ "iConfiguration", 0, 0, 24, 1 },
	{ "bmAttributes", 0, 0, 25, 1 },
	{ "bMaxPower", 0, 0, 26, 1 },
	{ "bInterfaceNumber", 0, 0, 29, 1 },
	{ "bAlternateSetting", 0, 0, 30, 1 },
	{ "bNumEndpoints", 0, 0, 31, 1 },
	{ "bInterfaceClass", 0, 0, 32, 1 },
	{ "bInterfaceSubClass", 0, 0, 33, 1 },
	{ "bInterfaceProtocol", 0, 0, 34, 1 },
	{ "iInterface", 0, 0, 35, 1 },
	{ "bLength", 2, 0, 36, 1 },
	{ "bEndpointAddress", 0, 0, 38, 1 },
	{ "bmAttributes", 1, 0, 39, 1 },
	{ "wMaxPacketSize", 0, 0, 40, 2 },
	{ "bInterval", 0, 0, 42, 1 },
	{ "bLength", 3, 0, 43, 1 },
	{ "bEndpointAddress", 1, 0, 45, 1 },
	{ "bmAttributes", 2, 0, 46, 1 },
};

static void
test_lg_v60_edl(void **state)
{
	(void)state;
	cross_check("lg_v60_5g_qualcomm_edl_9008_usb_config_descriptor_edl_"
	    "tool_issue_excerpt_truncated.txt", v60_edl, sizeof(v60_edl),
	    pyusb_edl_x, sizeof(pyusb_edl_x) / sizeof(pyusb_edl_x[0]));
	expect_phone(v60_edl, sizeof(v60_edl), DEV_MODE_QUALCOMM_EDL,
	    "Sahara/Firehose (05c6:9008)", "Qualcomm", 0);
}

static void
test_edl_dump_pids(void **state)
{
	uint8_t b[sizeof(v60_edl)];

	(void)state;
	memcpy(b, v60_edl, sizeof(b));
	b[10] = 0x0e;		/* 05c6:900e */
	expect_phone(b, sizeof(b), DEV_MODE_QUALCOMM_EDL,
	    "EDL crash dump (05c6:900e)", "Qualcomm", 0);
	b[10] = 0x1d;		/* 05c6:901d */
	expect_phone(b, sizeof(b), DEV_MODE_QUALCOMM_EDL,
	    "diag dump (05c6:901d)", "Qualcomm", 0);
	b[10] = 0xdb;		/* 05c6:90db */
	expect_phone(b, sizeof(b), DEV_MODE_QUALCOMM_EDL,
	    "diag dump (05c6:90db)", "Qualcomm", 0);
	/* Another Qualcomm device with vendor interfaces is no phone: a
	 * modem's ff/ff/ff diag port is not MTP. */
	b[10] = 0x25;		/* 05c6:9025 */
	b[33 + 0] = 0xff;
	b[34] = 0xff;
	expect_not_phone(b, sizeof(b));
}

/* ------------------------------------------------------------------ */
/* MediaTek preloader: MT6880/MT6890, mtkclient (pyusb).  The device
 * descriptor is not in the capture (0e8d:2000 is the preloader's ID).
 * Cut at the data interface's bNumEndpoints: completed as a bulk pair
 * from the MT6789 capture; wTotalLength 0x43 is a standard CDC ACM
 * function, so its functional descriptors are the standard ones. */
static const uint8_t mt6880_preloader[] = {
	18, 1, 0x00, 0x02, 2, 0, 0, 64, 0x8d, 0x0e, 0x00, 0x20, 0x00, 0x01,
	1, 2, 0, 1,
	9, 2, 0x43, 0x00, 2, 1, 3, 0xc0, 0xfa,
	9, 4, 0, 0, 1, 0x02, 0x02, 0x01, 5,
	CDC_FUNCTIONAL,
	7, 5, 0x83, 3, 0x40, 0x00, 0x10,
	9, 4, 1, 0, 2, 0x0a, 0x00, 0x00, 4,
	7, 5, 0x01, 2, 0x00, 0x02, 0,
	7, 5, 0x81, 2, 0x00, 0x02, 0,
};

static const struct xcheck mt6880_x[] = {
	{ "wTotalLength", 0, 0, 20, 2 },
	{ "bNumInterfaces", 0, 0, 22, 1 },
	{ "bConfigurationValue", 0, 0, 23, 1 },
	{ "iConfiguration", 0, 0, 24, 1 },
	{ "bmAttributes", 0, 0, 25, 1 },
	{ "bMaxPower", 0, 0, 26, 1 },
	{ "bInterfaceNumber", 0, 0, 29, 1 },
	{ "bAlternateSetting", 0, 0, 30, 1 },
	{ "bNumEndpoints", 0, 0, 31, 1 },
	{ "bInterfaceClass", 0, 0, 32, 1 },
	{ "bInterfaceSubClass", 0, 0, 33, 1 },
	{ "bInterfaceProtocol", 0, 0, 34, 1 },
	{ "iInterface", 0, 0, 35, 1 },
	{ "bEndpointAddress", 0, 0, 57, 1 },
	{ "bmAttributes", 1, 0, 58, 1 },
	{ "wMaxPacketSize", 0, 0, 59, 2 },
	{ "bInterval", 0, 0, 61, 1 },
	{ "bInterfaceNumber", 1, 0, 64, 1 },
	{ "bAlternateSetting", 1, 0, 65, 1 },
};

static void
test_mt6880_preloader(void **state)
{
	(void)state;
	cross_check("mediatek_MT6880_MT6890_preloader_usb_config_descriptor_"
	    "mtkclient_issue_excerpt_truncated.txt", mt6880_preloader,
	    sizeof(mt6880_preloader), mt6880_x,
	    sizeof(mt6880_x) / sizeof(mt6880_x[0]));
	expect_phone(mt6880_preloader, sizeof(mt6880_preloader),
	    DEV_MODE_MEDIATEK_PRELOADER, "Preloader (0e8d:2000)", "MediaTek",
	    0);
}

/* MediaTek preloader: MT6789 (Helio G99), mtkclient.  Its endpoints are
 * 8 bytes long (bLength 0x8; pyusb prints "(7 bytes)" whatever the
 * value), and wTotalLength 0x46 = the 67 bytes above + 1 for each of the
 * three endpoints: so the communication interface, which the capture
 * does not show, is the MT6880 one with an 8-byte endpoint.  Cut at the
 * IN endpoint's wMaxPacketSize: completed like the OUT one. */
static const uint8_t mt6789_preloader[] = {
	18, 1, 0x00, 0x02, 2, 0, 0, 64, 0x8d, 0x0e, 0x00, 0x20, 0x00, 0x01,
	1, 2, 0, 1,
	9, 2, 0x46, 0x00, 2, 1, 3, 0xc0, 0xfa,
	9, 4, 0, 0, 1, 0x02, 0x02, 0x01, 5,
	CDC_FUNCTIONAL,
	8, 5, 0x83, 3, 0x40, 0x00, 0x10, 0,
	9, 4, 1, 0, 2, 0x0a, 0x00, 0x00, 4,
	8, 5, 0x01, 2, 0x00, 0x02, 0, 0,
	8, 5, 0x81, 2, 0x00, 0x02, 0, 0,
};

static const struct xcheck mt6789_x[] = {
	{ "wTotalLength", 0, 0, 20, 2 },
	{ "bNumInterfaces", 0, 0, 22, 1 },
	{ "bConfigurationValue", 0, 0, 23, 1 },
	{ "iConfiguration", 0, 0, 24, 1 },
	{ "bmAttributes", 0, 0, 25, 1 },
	{ "bMaxPower", 0, 0, 26, 1 },
	{ "bInterfaceNumber", 0, 0, 65, 1 },
	{ "bAlternateSetting", 0, 0, 66, 1 },
	{ "bNumEndpoints", 0, 0, 67, 1 },
	{ "bInterfaceClass", 0, 0, 68, 1 },
	{ "bInterfaceSubClass", 0, 0, 69, 1 },
	{ "bInterfaceProtocol", 0, 0, 70, 1 },
	{ "iInterface", 0, 0, 71, 1 },
	{ "bLength", 2, 0, 72, 1 },
	{ "bEndpointAddress", 0, 0, 74, 1 },
	{ "bmAttributes", 1, 0, 75, 1 },
	{ "wMaxPacketSize", 0, 0, 76, 2 },
	{ "bInterval", 0, 0, 78, 1 },
	{ "bLength", 3, 0, 80, 1 },
	{ "bEndpointAddress", 1, 0, 82, 1 },
	{ "bmAttributes", 2, 0, 83, 1 },
};

static void
test_mt6789_preloader(void **state)
{
	struct usbclass_in in;

	(void)state;
	cross_check("mediatek_MT6789_preloader_usb_config_descriptor_"
	    "mtkclient_issue_excerpt_truncated.txt", mt6789_preloader,
	    sizeof(mt6789_preloader), mt6789_x,
	    sizeof(mt6789_x) / sizeof(mt6789_x[0]));
	assert_int_equal(parse(mt6789_preloader, sizeof(mt6789_preloader),
	    &in), 0);
	assert_int_equal(in.niface, 2);
	assert_int_equal(in.iface[1].num_bulk_in, 1);
	assert_int_equal(in.iface[1].num_bulk_out, 1);
	expect_phone(mt6789_preloader, sizeof(mt6789_preloader),
	    DEV_MODE_MEDIATEK_PRELOADER, "Preloader (0e8d:2000)", "MediaTek",
	    0);
}

/* The boot ROM enumerates with the same shape as 0e8d:0003 (no capture of
 * its own: the MT6880 blob with that PID). */
static void
test_mediatek_brom(void **state)
{
	uint8_t b[sizeof(mt6880_preloader)];

	(void)state;
	memcpy(b, mt6880_preloader, sizeof(b));
	b[10] = 0x03;
	b[11] = 0x00;
	expect_phone(b, sizeof(b), DEV_MODE_MEDIATEK_BROM,
	    "BootROM (0e8d:0003)", "MediaTek", 0);
	/* Another MediaTek PID with CDC interfaces only: not a phone mode
	 * we know. */
	b[10] = 0x23;
	b[11] = 0x20;
	expect_not_phone(b, sizeof(b));
}

/* ------------------------------------------------------------------ */
/* MTP only: Xiaomi Redmi 7, 2717:ff40.  The capture is lsusb.py's one
 * line (class 00, USB 2.00, 500mA, 1 interface); the interface is
 * Android's MTP function (ff/ff/00, bulk pair + interrupt IN). */
static const uint8_t redmi7_mtp[] = {
	18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x17, 0x27, 0x40, 0xff, 0x00, 0x04,
	1, 2, 3, 1,
	9, 2, 39, 0, 1, 1, 0, 0x80, 250,
	9, 4, 0, 0, 3, 0xff, 0xff, 0x00, 4,
	7, 5, 0x81, 2, 0x00, 0x02, 0,
	7, 5, 0x01, 2, 0x00, 0x02, 0,
	7, 5, 0x82, 3, 0x1c, 0x00, 6,
};

/* The same phone with USB debugging on: MTP + adb (interface added). */
static const uint8_t redmi7_mtp_adb[] = {
	18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x17, 0x27, 0x48, 0xff, 0x00, 0x04,
	1, 2, 3, 1,
	9, 2, 62, 0, 2, 1, 0, 0x80, 250,
	9, 4, 0, 0, 3, 0xff, 0xff, 0x00, 4,
	7, 5, 0x81, 2, 0x00, 0x02, 0,
	7, 5, 0x01, 2, 0x00, 0x02, 0,
	7, 5, 0x82, 3, 0x1c, 0x00, 6,
	9, 4, 1, 0, 2, 0xff, 0x42, 0x01, 5,
	7, 5, 0x83, 2, 0x00, 0x02, 0,
	7, 5, 0x02, 2, 0x00, 0x02, 0,
};

static void
test_redmi7_mtp(void **state)
{
	unsigned vid, pid, cls, power, nif;
	const char *line;
	char *text;

	(void)state;
	text = capture_load("xiaomi_redmi7_mtp_2717-ff40_lsusb_issue_"
	    "excerpt.txt");
	line = strstr(text, "2-2.2");
	assert_non_null(line);
	assert_int_equal(sscanf(line, "2-2.2 %x:%x %x %*s %*s %umA %uIF",
	    &vid, &pid, &cls, &power, &nif), 5);
	assert_int_equal(vid, redmi7_mtp[8] | redmi7_mtp[9] << 8);
	assert_int_equal(pid, redmi7_mtp[10] | redmi7_mtp[11] << 8);
	assert_int_equal(cls, redmi7_mtp[4]);
	assert_int_equal(power, redmi7_mtp[26] * 2);
	assert_int_equal(nif, redmi7_mtp[22]);
	free(text);
	expect_phone(redmi7_mtp, sizeof(redmi7_mtp), DEV_MODE_MTP_ONLY,
	    "MTP only (2717:ff40)", "Xiaomi", 0xffff00);
}

static void
test_composite_mtp_adb(void **state)
{
	(void)state;
	expect_phone(redmi7_mtp_adb, sizeof(redmi7_mtp_adb), DEV_MODE_ADB,
	    "adb interface (2717:ff48)", "Xiaomi", 0xff4201);
}

/* Pixel PTP (18d1:4ee5) and PTP + adb (18d1:4ee6): still-image class. */
static const uint8_t pixel_ptp[] = {
	18, 1, 0x10, 0x02, 0, 0, 0, 64, 0xd1, 0x18, 0xe5, 0x4e, 0x40, 0x04,
	1, 2, 3, 1,
	9, 2, 39, 0, 1, 1, 0, 0x80, 250,
	9, 4, 0, 0, 3, 0x06, 0x01, 0x01, 0,
	7, 5, 0x81, 2, 0x00, 0x02, 0,
	7, 5, 0x01, 2, 0x00, 0x02, 0,
	7, 5, 0x82, 3, 0x1c, 0x00, 6,
};

static void
test_ptp(void **state)
{
	uint8_t b[sizeof(pixel_ptp)];

	(void)state;
	expect_phone(pixel_ptp, sizeof(pixel_ptp), DEV_MODE_MTP_ONLY,
	    "PTP only (18d1:4ee5)", "Google", 0x060101);
	/* A camera (Canon, 04a9) speaks PTP too: not a phone vendor. */
	memcpy(b, pixel_ptp, sizeof(b));
	b[8] = 0xa9;
	b[9] = 0x04;
	expect_not_phone(b, sizeof(b));
}

/* ------------------------------------------------------------------ */
/* Not phones */

/* A USB 2.0 root hub (1d6b:0002) and a 4-port hub (05e3:0608). */
static const uint8_t root_hub[] = {
	18, 1, 0x00, 0x02, 9, 0, 1, 64, 0x6b, 0x1d, 0x02, 0x00, 0x01, 0x06,
	3, 2, 1, 1,
	9, 2, 25, 0, 1, 1, 0, 0xe0, 0,
	9, 4, 0, 0, 1, 9, 0, 0, 0,
	7, 5, 0x81, 3, 4, 0, 12,
};

static void
test_hubs_ignored(void **state)
{
	uint8_t b[sizeof(root_hub)];

	(void)state;
	expect_not_phone(root_hub, sizeof(root_hub));
	memcpy(b, root_hub, sizeof(b));
	b[8] = 0xe3;
	b[9] = 0x05;
	b[10] = 0x08;
	b[11] = 0x06;
	expect_not_phone(b, sizeof(b));
	/* A hub from a phone maker (Lenovo docks) is still a hub. */
	b[8] = 0xef;
	b[9] = 0x17;
	expect_not_phone(b, sizeof(b));
}

/* A boot keyboard (046d:c31c), and a keyboard from a phone maker's VID
 * (Lenovo 17ef). */
static const uint8_t keyboard[] = {
	18, 1, 0x10, 0x01, 0, 0, 0, 8, 0x6d, 0x04, 0x1c, 0xc3, 0x00, 0x64,
	1, 2, 0, 1,
	9, 2, 59, 0, 2, 1, 0, 0xa0, 45,
	9, 4, 0, 0, 1, 3, 1, 1, 0,
	9, 0x21, 0x10, 0x01, 0, 1, 0x22, 0x3f, 0,
	7, 5, 0x81, 3, 8, 0, 10,
	9, 4, 1, 0, 1, 3, 0, 0, 0,
	9, 0x21, 0x10, 0x01, 0, 1, 0x22, 0x6c, 0,
	7, 5, 0x82, 3, 4, 0, 255,
};

static void
test_keyboards_ignored(void **state)
{
	uint8_t b[sizeof(keyboard)];

	(void)state;
	expect_not_phone(keyboard, sizeof(keyboard));
	memcpy(b, keyboard, sizeof(b));
	b[8] = 0xef;
	b[9] = 0x17;
	expect_not_phone(b, sizeof(b));
}

/* Samsung download is told by PID: the other download PIDs Heimdall
 * knows match, and 04e8:6860 (a phone's normal ID) with the same CDC
 * interfaces and no MTP is neither Odin nor a phone we can use. */
static void
test_samsung_pids(void **state)
{
	uint8_t b[sizeof(gt_i8160_download)];

	(void)state;
	memcpy(b, gt_i8160_download, sizeof(b));
	b[10] = 0x01;
	b[11] = 0x66;			/* 04e8:6601 */
	expect_phone(b, sizeof(b), DEV_MODE_SAMSUNG_DOWNLOAD,
	    "Odin (04e8:6601)", "Samsung", 0x0a0000);
	b[10] = 0xc3;
	b[11] = 0x68;			/* 04e8:68c3 */
	expect_phone(b, sizeof(b), DEV_MODE_SAMSUNG_DOWNLOAD,
	    "Odin (04e8:68c3)", "Samsung", 0x0a0000);
	b[10] = 0x60;
	b[11] = 0x68;			/* 04e8:6860: CDC only, no MTP */
	expect_not_phone(b, sizeof(b));
}

/* ------------------------------------------------------------------ */
/* Truncated and hostile blobs */

static void
test_every_truncation_refused(void **state)
{
	static const struct {
		const uint8_t *b;
		size_t n;
	} blobs[] = {
		{ lg_v20_fastboot, sizeof(lg_v20_fastboot) },
		{ gt_i8160_download, sizeof(gt_i8160_download) },
		{ mt6789_preloader, sizeof(mt6789_preloader) },
		{ keyboard, sizeof(keyboard) },
	};
	struct usbclass_in in;

	(void)state;
	for (size_t k = 0; k < sizeof(blobs) / sizeof(blobs[0]); k++) {
		for (size_t n = 0; n < blobs[k].n; n++) {
			assert_int_equal(parse(blobs[k].b, n, &in), DM_EINVAL);
			assert_int_equal(in.niface, 0);
		}
		assert_int_equal(parse(blobs[k].b, blobs[k].n, &in), 0);
	}
	assert_int_equal(usbclass_parse_descriptors(NULL, 10, &in), DM_EINVAL);
	assert_int_equal(usbclass_parse_descriptors(lg_v20_fastboot,
	    sizeof(lg_v20_fastboot), NULL), DM_EINVAL);
}

static void
expect_refused(const uint8_t *b, size_t n)
{
	struct usbclass_in in;

	assert_int_equal(parse(b, n, &in), DM_EINVAL);
}

static void
test_hostile_lengths(void **state)
{
	uint8_t b[sizeof(lg_v20_fastboot)];
	const size_t n = sizeof(b);
	struct usbclass_in in;

	(void)state;
#define RESET() memcpy(b, lg_v20_fastboot, n)
	RESET();
	b[0] = 0;			/* device bLength 0 */
	expect_refused(b, n);
	RESET();
	b[0] = 17;			/* too short a device descriptor */
	expect_refused(b, n);
	RESET();
	b[0] = 255;			/* device bLength past the end */
	expect_refused(b, n);
	RESET();
	b[1] = 2;			/* not a device descriptor */
	expect_refused(b, n);
	RESET();
	b[19] = 4;			/* config header is not a config */
	expect_refused(b, n);
	RESET();
	b[18] = 8;			/* config bLength too short */
	expect_refused(b, n);
	RESET();
	b[20] = 8;			/* wTotalLength below the header */
	expect_refused(b, n);
	RESET();
	b[20] = 0xff;			/* wTotalLength past the end */
	b[21] = 0xff;
	expect_refused(b, n);
	RESET();
	b[27] = 0;			/* bLength 0: would never advance */
	expect_refused(b, n);
	RESET();
	b[27] = 1;
	expect_refused(b, n);
	RESET();
	b[27] = 40;			/* interface runs past wTotalLength */
	expect_refused(b, n);
	RESET();
	b[27] = 5;			/* interface too short */
	b[32] = 0;
	expect_refused(b, n);
	RESET();
	b[36] = 4;			/* endpoint too short */
	expect_refused(b, n);
	RESET();
	b[37] = 2;			/* a nested config descriptor */
	expect_refused(b, n);

	/* A shorter wTotalLength is obeyed: the endpoints are not read. */
	RESET();
	b[20] = 18;
	assert_int_equal(parse(b, n, &in), 0);
	assert_int_equal(in.niface, 1);
	assert_int_equal(in.iface[0].num_bulk_in, 0);
	/* An endpoint before any interface is skipped, not counted. */
	{
		static const uint8_t ep_first[] = {
			18, 1, 0, 2, 0, 0, 0, 64, 0xd1, 0x18, 0xe0, 0x4e, 0,
			1, 1, 2, 3, 1,
			9, 2, 32, 0, 1, 1, 0, 0x80, 250,
			7, 5, 0x81, 2, 0, 2, 0,
			9, 4, 0, 0, 1, 0xff, 0x42, 0x03, 0,
			7, 5, 0x01, 2, 0, 2, 0,
		};

		assert_int_equal(parse(ep_first, sizeof(ep_first), &in), 0);
		assert_int_equal(in.niface, 1);
		assert_int_equal(in.iface[0].num_bulk_in, 0);
		assert_int_equal(in.iface[0].num_bulk_out, 1);
	}
#undef RESET
}

/* 200 interface descriptors: only USBCLASS_MAX_IFACES are kept. */
static void
test_many_interfaces(void **state)
{
	size_t total = 9 + 200 * 9, n = 18 + total;
	uint8_t *b = calloc(1, n);
	struct usbclass_out out;
	struct usbclass_in in;

	(void)state;
	assert_non_null(b);
	memcpy(b, oneplus_one_adb, 18);
	b[18] = 9;
	b[19] = 2;
	b[20] = (uint8_t)(total & 0xff);
	b[21] = (uint8_t)(total >> 8);
	for (size_t i = 0; i < 200; i++) {
		uint8_t *d = b + 27 + i * 9;

		d[0] = 9;
		d[1] = 4;
		d[2] = (uint8_t)i;
		d[5] = 0x08;		/* mass storage, say */
	}
	/* adb as the very last interface: past the cap, so not seen. */
	b[27 + 199 * 9 + 5] = 0xff;
	b[27 + 199 * 9 + 6] = 0x42;
	b[27 + 199 * 9 + 7] = 0x01;
	assert_int_equal(usbclass_parse_descriptors(b, n, &in), 0);
	assert_int_equal(in.niface, USBCLASS_MAX_IFACES);
	assert_int_equal(usbclass_classify(&in, &out), 0);
	free(b);
}

/* Random damage to real blobs: 0 or DM_EINVAL, never a crash or a read
 * outside the buffer (ASan watches), never more than the cap. */
static void
test_random_damage(void **state)
{
	const uint8_t *src[] = { oneplus_one_adb, gt_i8160_download,
	    mt6789_preloader, redmi7_mtp_adb, keyboard };
	const size_t len[] = { sizeof(oneplus_one_adb),
	    sizeof(gt_i8160_download), sizeof(mt6789_preloader),
	    sizeof(redmi7_mtp_adb), sizeof(keyboard) };
	struct usbclass_out out;
	struct usbclass_in in;
	unsigned seed = 12345, ok = 0, bad = 0;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		int k = round % 5;
		size_t n = len[k];
		uint8_t *b;
		int rc, flips;

		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 4 == 0)
			n = (seed >> 8) % (len[k] + 1);
		b = malloc(n ? n : 1);
		assert_non_null(b);
		memcpy(b, src[k], n);
		flips = 1 + (int)((seed >> 20) % 4);
		for (int f = 0; f < flips && n > 0; f++) {
			seed = seed * 1103515245u + 12345u;
			b[(seed >> 8) % n] = (uint8_t)(seed >> 24);
		}
		rc = usbclass_parse_descriptors(b, n, &in);
		assert_true(rc == 0 || rc == DM_EINVAL);
		assert_true(in.niface >= 0 &&
		    in.niface <= USBCLASS_MAX_IFACES);
		if (rc == 0) {
			ok++;
			usbclass_classify(&in, &out);
		} else {
			bad++;
			assert_int_equal(in.niface, 0);
		}
		free(b);
	}
	/* Both outcomes happened: the damage was not all fatal or all
	 * harmless. */
	assert_true(ok > 1000);
	assert_true(bad > 1000);
}

/* ------------------------------------------------------------------ */
/* Labels and port paths */

static void
test_vendor_labels(void **state)
{
	static const struct {
		uint16_t vid;
		const char *name;
	} v[] = {
		{ 0x18d1, "Google" }, { 0x04e8, "Samsung" },
		{ 0x2717, "Xiaomi" }, { 0x05c6, "Qualcomm" },
		{ 0x0e8d, "MediaTek" }, { 0x12d1, "Huawei" },
		{ 0x22b8, "Motorola" }, { 0x1004, "LG" },
		{ 0x0fce, "Sony Mobile" }, { 0x0bb4, "HTC" },
		{ 0x22d9, "OPPO" }, { 0x17ef, "Lenovo" }, { 0x0b05, "ASUS" },
		{ 0x19d2, "ZTE" }, { 0x2a70, "OnePlus" }, { 0x2d95, "vivo" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_string_equal(usbclass_vendor(v[i].vid), v[i].name);
	assert_null(usbclass_vendor(0x046d));	/* Logitech */
	assert_null(usbclass_vendor(0x1d6b));	/* Linux Foundation */
	assert_null(usbclass_vendor(0x0000));
	assert_null(usbclass_vendor(0xffff));
}

static void
test_classify_null(void **state)
{
	struct usbclass_out out;
	struct usbclass_in in;

	(void)state;
	memset(&in, 0, sizeof(in));
	assert_int_equal(usbclass_classify(&in, &out), 0);
	assert_int_equal(usbclass_classify(NULL, &out), 0);
	assert_int_equal(usbclass_classify(&in, NULL), 0);
	/* A caller's niface beyond the array is clamped, not trusted. */
	in.niface = 1000;
	in.vid = 0x18d1;
	assert_int_equal(usbclass_classify(&in, &out), 0);
}

static void
test_port_path(void **state)
{
	const uint8_t p[] = { 2, 3, 14 };
	char buf[64], small[8];

	(void)state;
	usbscan_port_path(buf, sizeof(buf), 1, p, 2);
	assert_string_equal(buf, "usb:1-2.3");
	usbscan_port_path(buf, sizeof(buf), 3, p, 3);
	assert_string_equal(buf, "usb:3-2.3.14");
	usbscan_port_path(buf, sizeof(buf), 2, p, 1);
	assert_string_equal(buf, "usb:2-2");
	usbscan_port_path(buf, sizeof(buf), 4, NULL, 0);
	assert_string_equal(buf, "usb:4");
	memset(small, 'x', sizeof(small));
	usbscan_port_path(small, sizeof(small), 1, p, 3);
	assert_true(memchr(small, '\0', sizeof(small)) != NULL);
	assert_int_equal(strncmp(small, "usb:1-2", 7), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lg_v20_fastboot),
		cmocka_unit_test(test_oneplus_one_adb),
		cmocka_unit_test(test_samsung_gt_i8160_download),
		cmocka_unit_test(test_samsung_a52_download),
		cmocka_unit_test(test_samsung_pids),
		cmocka_unit_test(test_lg_v60_edl),
		cmocka_unit_test(test_edl_dump_pids),
		cmocka_unit_test(test_mt6880_preloader),
		cmocka_unit_test(test_mt6789_preloader),
		cmocka_unit_test(test_mediatek_brom),
		cmocka_unit_test(test_redmi7_mtp),
		cmocka_unit_test(test_composite_mtp_adb),
		cmocka_unit_test(test_ptp),
		cmocka_unit_test(test_hubs_ignored),
		cmocka_unit_test(test_keyboards_ignored),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_many_interfaces),
		cmocka_unit_test(test_random_damage),
		cmocka_unit_test(test_vendor_labels),
		cmocka_unit_test(test_classify_null),
		cmocka_unit_test(test_port_path),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
