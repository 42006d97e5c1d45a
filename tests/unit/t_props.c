/* t_props.c - property lists: every real getprop capture (UTF-8 with a
 * stray command line, UTF-16LE with BOM and CRLF, multi-line values), the
 * Xiaomi 14 build.prop files merged the way init does, hand-written edge
 * cases, and hostile input that must stay bounded.
 *
 * The captures are read at run time from $DROIDMEDIC_FIXTURES (default
 * $top_srcdir/../shared/fixtures/real); they are never copied into the
 * tree.  A missing capture fails the test. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "err.h"
#include "props.h"

#define GP	"getprop/"
#define BP	"build_prop/"
#define REDMI	GP "xiaomi_redmi_note14_5g_citrine_hyperos2_" \
		"OS2.0.211.0.VOQMIXM_getprop.txt"
#define S25	GP "samsung_galaxy_s25plus_SM-S936B_pa2q_android16_EUX_" \
		"getprop_utf16le.txt"
#define PSYCHE	GP "xiaomi_12x_psyche_miui13_V13.0.5.0.SLDCNXM_" \
		"getprop.txt"
#define PERIDOT	GP "xiaomi_poco_f6_peridot_crdroid11_custom_rom_" \
		"getprop.txt"
#define HOUJI_SYSTEM BP "xiaomi_14_houji_V816.0.9.0.UNCCNXM_system_" \
		"build.prop.txt"
#define HOUJI_ODM BP "xiaomi_14_houji_V816.0.9.0.UNCCNXM_odm_etc_" \
		"build.prop.txt"
#define HOUJI_MIEXT BP "xiaomi_14_houji_hyperos1_OS1.0.9.0.UNCCNXM_" \
		"mi_ext_etc_build.prop.txt"

/* ---- fixtures ---- */

#include "../lib/fixtures.h"

static struct props *
load_props(const char *rel, enum props_fmt fmt)
{
	struct props *p = props_new();
	size_t len;
	char *buf = load(rel, &len);

	assert_true(props_parse(p, buf, len, fmt) > 0);
	free(buf);
	return p;
}

/* ---- checks ---- */

static int
utf8_valid(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		int n;
		unsigned long cp;

		if (*u < 0x80) {
			u++;
			continue;
		}
		if (*u >= 0xc2 && *u <= 0xdf) {
			n = 1;
			cp = *u & 0x1f;
		} else if (*u >= 0xe0 && *u <= 0xef) {
			n = 2;
			cp = *u & 0x0f;
		} else if (*u >= 0xf0 && *u <= 0xf4) {
			n = 3;
			cp = *u & 0x07;
		} else {
			return 0;
		}
		for (u++; n > 0; n--, u++) {
			if ((*u & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*u & 0x3f);
		}
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
	}
	return 1;
}

/* Every entry: legal key, valid UTF-8 value within the cap, no CR left
 * from a CRLF; returns the bytes held. */
static size_t
check_all(const struct props *p)
{
	const char *k, *v;
	size_t i, bytes = 0;

	for (i = 0; props_at(p, i, &k, &v) == 0; i++) {
		assert_true(strlen(k) > 0 && strlen(k) <= PROPS_MAX_KEY);
		assert_true(strspn(k, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:@") == strlen(k));
		assert_true(strlen(v) <= PROPS_MAX_VALUE);
		assert_true(utf8_valid(v));
		assert_null(strstr(v, "\r\n"));
		assert_ptr_equal(props_get(p, k), v);
		bytes += strlen(k) + strlen(v);
	}
	assert_int_equal(i, props_count(p));
	assert_true(props_count(p) <= PROPS_MAX_COUNT);
	assert_true(bytes <= PROPS_MAX_BYTES);
	return bytes;
}

/* What a real capture gives holds no CR at all. */
static void
no_cr(const struct props *p)
{
	const char *v;

	for (size_t i = 0; props_at(p, i, NULL, &v) == 0; i++)
		assert_null(strchr(v, '\r'));
}

/* ---- real captures ---- */

static void
test_redmi_note14(void **state)
{
	struct props *p = load_props(REDMI, PROPS_FMT_AUTO);
	const struct props_stats *st = props_stats(p);
	const char *k, *v;

	(void)state;
	fixtures_required();
	/* 2011 lines: "getprop", 2007 properties, 3 continuation lines */
	assert_int_equal(props_count(p), 2007);
	assert_int_equal(st->lines, 2011);
	assert_int_equal(st->skipped, 1);	/* the "getprop" line */
	assert_int_equal(st->unterminated, 0);
	assert_int_equal(st->cut, 0);
	assert_int_equal(st->dropped, 0);
	assert_int_equal(st->enc, PROPS_ENC_UTF8);
	assert_int_equal(st->fmt, PROPS_FMT_GETPROP);
	assert_int_equal(props_at(p, 0, &k, &v), 0);
	assert_string_equal(k, "Build.BRAND");
	assert_string_equal(v, "MTK");
	assert_string_equal(props_get(p, "ro.product.model"), "24094RAD4G");
	assert_string_equal(props_get(p, "ro.product.mod_device"),
	    "beryl_global");
	assert_string_equal(props_get(p, "persist.sys.boot.reason.history"),
	    "reboot,userrequested,1772512943\n"
	    "reboot,userrequested,1772475709\n"
	    "reboot,ota,1772100214");
	/* "[1" then "]" alone: the value is "1" and a newline */
	assert_string_equal(props_get(p, "persist.vendor.sys.pq.picmode"),
	    "1\n");
	/* non-ASCII kept as it was */
	v = props_get(p, "persist.device_config.aconfig_flags.bluetooth."
	    "location_denylist_advertising_data");
	assert_non_null(v);
	assert_memory_equal(v, "\xe2\x8a\x88" "0016AAFE40/", 14);
	assert_non_null(strstr(v, ",\xe2\x8a\x86" "00FF4C0002/"));
	assert_string_equal(props_get(p, "ro.boot.flash.locked"), "1");
	assert_string_equal(props_get(p, "gsm.sim.operator.alpha"),
	    "Ncell,Namaste");
	assert_string_equal(props_str(p, "no.such.key"), "");
	assert_null(props_get(p, "no.such.key"));
	check_all(p);
	no_cr(p);
	props_free(p);
}

static void
test_samsung_utf16(void **state)
{
	struct props *p = load_props(S25, PROPS_FMT_AUTO);
	const struct props_stats *st = props_stats(p);
	const char *k, *v;

	(void)state;
	fixtures_required();
	assert_int_equal(st->enc, PROPS_ENC_UTF16LE);
	assert_int_equal(st->fmt, PROPS_FMT_GETPROP);
	assert_int_equal(props_count(p), 1582);
	assert_int_equal(st->lines, 1584);
	assert_int_equal(st->skipped, 0);
	assert_int_equal(props_at(p, 0, &k, &v), 0);
	assert_string_equal(k, "aaudio.hw_burst_min_usec");	/* no BOM */
	assert_string_equal(v, "2000");
	assert_string_equal(props_get(p, "ro.product.model"), "SM-S936B");
	assert_string_equal(props_get(p, "ro.csc.sales_code"), "EUX");
	assert_string_equal(props_get(p, "ro.build.version.oneui"), "80500");
	assert_string_equal(props_get(p, "ro.build.fingerprint"),
	    "samsung/pa2qxeea/pa2q:16/BP4A.251205.006/"
	    "S936BXXUACZF1_OXMACZF1:user/release-keys");
	/* CRLF inside a multi-line value becomes LF */
	assert_string_equal(props_get(p, "persist.sys.boot.reason.history"),
	    "reboot,1784638255\nreboot,userrequested,1784637108\n"
	    "reboot,lpm,1784545284");
	/* the last line */
	assert_string_equal(props_get(p, "vold.has_reserved"), "1");
	check_all(p);
	no_cr(p);
	props_free(p);
}

static void
test_xiaomi_12x(void **state)
{
	struct props *p = load_props(PSYCHE, PROPS_FMT_GETPROP);
	const char *k, *v;

	(void)state;
	fixtures_required();
	assert_int_equal(props_count(p), 1971);
	assert_int_equal(props_stats(p)->skipped, 0);
	assert_int_equal(props_at(p, 0, &k, &v), 0);
	assert_string_equal(k, "DEVICE_PROVISIONED");
	assert_string_equal(props_get(p, "ro.product.model"), "2112123AG");
	assert_string_equal(props_get(p, "ro.miui.ui.version.name"), "V130");
	assert_string_equal(props_get(p, "gsm.operator.alpha"), "3,");
	assert_string_equal(props_get(p, "persist.sys.boot.reason.history"),
	    "reboot,userrequested,1656800870\n"
	    "reboot,userrequested,1656800747");
	check_all(p);
	no_cr(p);
	props_free(p);
}

static void
test_poco_f6(void **state)
{
	struct props *p = load_props(PERIDOT, PROPS_FMT_AUTO);

	(void)state;
	fixtures_required();
	assert_int_equal(props_count(p), 1067);
	assert_int_equal(props_stats(p)->lines, 1070);
	assert_int_equal(props_stats(p)->skipped, 0);
	assert_string_equal(props_get(p, "ro.product.model"), "24069PC21I");
	assert_string_equal(props_get(p, "ro.crdroid.build.version"), "11.4");
	assert_string_equal(props_get(p, "persist.sys.boot.reason.history"),
	    "reboot,,1745935181\nshutdown,userrequested,1745815614\n"
	    "reboot,,1745768086\nreboot,,1745686927");
	assert_string_equal(props_get(p, "ro.build.display.id"),
	    "lineage_peridot-userdebug 15 BP1A.250405.007 611 release-keys");
	check_all(p);
	no_cr(p);
	props_free(p);
}

/* system, then odm, then mi_ext, as init loads partitions; then what
 * init derives. */
static void
test_houji_build_prop(void **state)
{
	struct props *p = props_new();
	const char *which = NULL;
	size_t len;
	char *buf;
	int n;

	(void)state;
	fixtures_required();
	buf = load(HOUJI_SYSTEM, &len);
	assert_int_equal(props_parse(p, buf, len, PROPS_FMT_AUTO), 213);
	free(buf);
	assert_int_equal(props_stats(p)->fmt, PROPS_FMT_BUILDPROP);
	/* "sys.dfcservice.compress.prog" has no "=" */
	assert_int_equal(props_stats(p)->skipped, 1);
	assert_null(props_get(p, "sys.dfcservice.compress.prog"));
	assert_string_equal(props_get(p, "ro.product.system.marketname"), "");
	assert_string_equal(props_get(p, "ro.system.build.fingerprint"),
	    "Android/missi_phone_cn_only64/missi:14/UKQ1.230804.001/"
	    "V816.0.9.0.UNCCNXM:user/release-keys");
	/* a comment line inside a value-looking place is not a prop */
	assert_null(props_get(p, "#rild.libargs"));
	assert_string_equal(props_get(p, "ro.build.flavor"),
	    "missi_phone_cn_only64-user");
	/* system alone: a generic image, the order default would pick it */
	assert_string_equal(props_product(p, "device", &which), "generic");
	assert_string_equal(which, "ro.product.system.device");

	buf = load(HOUJI_ODM, &len);
	/* 251 lines set; 10 keys appear twice in the file, one key
	 * (property_source_order) also came from system */
	assert_int_equal(props_parse(p, buf, len, PROPS_FMT_BUILDPROP), 251);
	free(buf);
	assert_int_equal(props_count(p), 213 + 241 - 1);
	buf = load(HOUJI_MIEXT, &len);
	assert_int_equal(props_parse(p, buf, len, PROPS_FMT_AUTO), 7);
	free(buf);
	assert_int_equal(props_count(p), 460);

	/* odm first, as ro.product.property_source_order says */
	assert_string_equal(props_product(p, "device", &which), "houji");
	assert_string_equal(which, "ro.product.odm.device");
	assert_string_equal(props_product(p, "marketname", NULL), "Xiaomi 14");
	assert_null(props_get(p, "ro.product.model"));
	assert_null(props_get(p, "ro.build.fingerprint"));

	n = props_android_derive(p);
	assert_int_equal(n, 6);
	assert_string_equal(props_get(p, "ro.product.brand"), "Xiaomi");
	assert_string_equal(props_get(p, "ro.product.device"), "houji");
	assert_string_equal(props_get(p, "ro.product.manufacturer"), "Xiaomi");
	assert_string_equal(props_get(p, "ro.product.model"), "23127PN0CC");
	assert_string_equal(props_get(p, "ro.product.name"), "houji");
	/* derived exactly as the vendor image recorded it */
	assert_string_equal(props_get(p, "ro.build.fingerprint"),
	    "Xiaomi/houji/houji:14/UKQ1.230804.001/V816.0.9.0.UNCCNXM:"
	    "user/release-keys");
	assert_string_equal(props_get(p, "ro.build.fingerprint"),
	    props_get(p, "ro.vendor.build.fingerprint"));
	assert_string_equal(props_get(p, "ro.product.mod_device"), "houji");
	assert_string_equal(props_get(p, "ro.mi.os.version.name"), "OS1.0");
	/* once derived, nothing more to do */
	assert_int_equal(props_android_derive(p), 0);
	check_all(p);
	no_cr(p);
	props_free(p);
}

/* ---- hand-written forms ---- */

#define PARSE(p, s, fmt)	props_parse((p), (s), sizeof(s) - 1, (fmt))

static void
test_getprop_forms(void **state)
{
	static const char text[] =
	    "citrine:/ $ getprop\n"
	    "[a.one]: [1]\n"
	    "[a.two]:[2]\n"
	    "  [a.three] : [3]\r\n"
	    "[a.empty]: []\n"
	    "[a.bracket]: [x]y]\n"
	    "[a.open]: [one\n"
	    "\n"
	    "two]\n"
	    "[bad key]: [no]\n"
	    "[a.cut]: [never closed\n"
	    "[a.after]: [fine]\n"
	    "random junk\n"
	    "[\n"
	    "[a.x]\n"
	    "[a.last]: [no newline at the end]";
	struct props *p = props_new();
	const struct props_stats *st = props_stats(p);

	(void)state;
	assert_int_equal(PARSE(p, text, PROPS_FMT_GETPROP), 9);
	assert_string_equal(props_get(p, "a.one"), "1");
	assert_string_equal(props_get(p, "a.two"), "2");
	assert_string_equal(props_get(p, "a.three"), "3");
	assert_string_equal(props_get(p, "a.empty"), "");
	assert_string_equal(props_get(p, "a.bracket"), "x]y");
	assert_string_equal(props_get(p, "a.open"), "one\n\ntwo");
	/* a new property line ends a value that never closed */
	assert_string_equal(props_get(p, "a.cut"), "never closed");
	assert_string_equal(props_get(p, "a.after"), "fine");
	assert_string_equal(props_get(p, "a.last"), "no newline at the end");
	assert_null(props_get(p, "bad key"));
	assert_int_equal(st->unterminated, 1);
	/* prompt, bad key, junk, "[", "[a.x]" */
	assert_int_equal(st->skipped, 5);
	assert_int_equal(props_count(p), 9);
	check_all(p);

	/* an unterminated value at the very end is kept */
	assert_int_equal(PARSE(p, "[a.end]: [abc\ndef", PROPS_FMT_AUTO), 1);
	assert_string_equal(props_get(p, "a.end"), "abc\ndef");
	assert_int_equal(st->unterminated, 2);
	props_free(p);
}

static void
test_buildprop_forms(void **state)
{
	static const char text[] =
	    "# a comment = with an equals sign\n"
	    "   # an indented one\n"
	    "import /vendor/etc/extra.prop\n"
	    "import\t/odm/etc/${ro.boot.x}.prop\n"
	    "ro.a=1\n"
	    "  ro.b  =  spaced out  \r\n"
	    "ro.c=x=y#not a comment\n"
	    "ro.d=\n"
	    "bad key=1\n"
	    "..bad=1\n"
	    "no equals sign\n"
	    "=novalue\n"
	    "ro.a=2\n"
	    "ro.e=last";
	struct props *p = props_new();

	(void)state;
	assert_int_equal(PARSE(p, text, PROPS_FMT_AUTO), 6);
	assert_int_equal(props_stats(p)->fmt, PROPS_FMT_BUILDPROP);
	assert_string_equal(props_get(p, "ro.a"), "2");	/* later wins */
	assert_string_equal(props_get(p, "ro.b"), "spaced out");
	assert_string_equal(props_get(p, "ro.c"), "x=y#not a comment");
	assert_string_equal(props_get(p, "ro.d"), "");
	assert_string_equal(props_get(p, "ro.e"), "last");
	assert_int_equal(props_count(p), 5);
	assert_int_equal(props_stats(p)->skipped, 4);
	assert_null(props_get(p, "import"));

	/* getprop text given as build.prop: nothing but junk */
	assert_int_equal(PARSE(p, "[ro.z]: [1]\n", PROPS_FMT_BUILDPROP), 0);
	assert_null(props_get(p, "ro.z"));
	check_all(p);
	props_free(p);
}

static void
test_override_and_order(void **state)
{
	struct props *p = props_new();
	const char *k, *v;

	(void)state;
	assert_int_equal(PARSE(p, "[x.a]: [1]\n[x.b]: [2]\n",
	    PROPS_FMT_GETPROP), 2);
	assert_int_equal(PARSE(p, "x.b=20\nx.c=3\n", PROPS_FMT_BUILDPROP), 2);
	assert_int_equal(props_count(p), 3);
	assert_int_equal(props_at(p, 1, &k, &v), 0);
	assert_string_equal(k, "x.b");
	assert_string_equal(v, "20");
	assert_int_equal(props_at(p, 3, &k, &v), DM_ENOENT);
	assert_int_equal(props_set(p, "x.a", "one"), 1);
	assert_string_equal(props_get(p, "x.a"), "one");
	assert_int_equal(props_set(p, "x..bad", "1"), DM_EINVAL);
	assert_int_equal(props_set(p, ".x", "1"), DM_EINVAL);
	assert_int_equal(props_set(p, "x.", "1"), DM_EINVAL);
	assert_int_equal(props_set(p, "", "1"), DM_EINVAL);
	assert_int_equal(props_set(p, "x.null", NULL), 1);
	assert_string_equal(props_get(p, "x.null"), "");
	{
		static const char *const keys[] = { "x.null", "x.none", "x.c",
		    "x.a", NULL };
		const char *which = NULL;

		assert_string_equal(props_first(p, keys, &which), "3");
		assert_string_equal(which, "x.c");
	}
	/* NULLs are refused, not crashed on */
	assert_int_equal(props_parse(NULL, "x", 1, PROPS_FMT_AUTO), DM_EINVAL);
	assert_int_equal(props_parse(p, NULL, 1, PROPS_FMT_AUTO), DM_EINVAL);
	assert_int_equal(props_parse(p, NULL, 0, PROPS_FMT_AUTO), 0);
	assert_null(props_get(NULL, "x.a"));
	assert_null(props_get(p, NULL));
	assert_int_equal(props_count(NULL), 0);
	assert_int_equal(props_set(NULL, "x.a", "1"), DM_EINVAL);
	assert_int_equal(props_android_derive(NULL), DM_EINVAL);
	assert_null(props_product(p, "brand", NULL));
	props_free(NULL);
	props_free(p);
}

/* ---- encodings ---- */

/* ASCII/BMP text to UTF-16 (little or big endian), code units given. */
static size_t
u16(unsigned char *out, const uint16_t *units, size_t n, int be, int bom)
{
	size_t k = 0;

	if (bom) {
		out[k++] = be ? 0xfe : 0xff;
		out[k++] = be ? 0xff : 0xfe;
	}
	for (size_t i = 0; i < n; i++) {
		out[k++] = (unsigned char)(be ? units[i] >> 8 : units[i]);
		out[k++] = (unsigned char)(be ? units[i] : units[i] >> 8);
	}
	return k;
}

static size_t
units_of(uint16_t *u, const char *ascii)
{
	size_t n = 0;

	while (*ascii)
		u[n++] = (unsigned char)*ascii++;
	return n;
}

static void
test_utf16(void **state)
{
	uint16_t u[128];
	unsigned char b[300];
	size_t n, len;
	struct props *p;

	(void)state;
	/* "[k.a]: [é€😀]\r\n[k.b]: [2]\r\n" */
	n = units_of(u, "[k.a]: [");
	u[n++] = 0x00e9;
	u[n++] = 0x20ac;
	u[n++] = 0xd83d;	/* U+1F600 as a surrogate pair */
	u[n++] = 0xde00;
	n += units_of(u + n, "]\r\n[k.b]: [2]\r\n");
	for (int mode = 0; mode < 4; mode++) {
		int be = mode & 1, bom = !(mode & 2);

		if (be && !bom)
			continue;	/* covered below with more text */
		p = props_new();
		len = u16(b, u, n, be, bom);
		assert_int_equal(props_parse(p, b, len, PROPS_FMT_AUTO), 2);
		assert_int_equal(props_stats(p)->enc,
		    be ? PROPS_ENC_UTF16BE : PROPS_ENC_UTF16LE);
		assert_string_equal(props_get(p, "k.a"),
		    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
		assert_string_equal(props_get(p, "k.b"), "2");
		props_free(p);
	}
	/* big endian without a BOM: told by where the NULs are */
	p = props_new();
	n = units_of(u, "[k.c]: [big endian, no byte order mark]\n");
	len = u16(b, u, n, 1, 0);
	assert_int_equal(props_parse(p, b, len, PROPS_FMT_AUTO), 1);
	assert_int_equal(props_stats(p)->enc, PROPS_ENC_UTF16BE);
	assert_string_equal(props_get(p, "k.c"),
	    "big endian, no byte order mark");
	props_free(p);

	/* UTF-8 with a BOM */
	p = props_new();
	assert_int_equal(PARSE(p, "\xef\xbb\xbfk.d=\xc3\xa9\n",
	    PROPS_FMT_AUTO), 1);
	assert_int_equal(props_stats(p)->enc, PROPS_ENC_UTF8);
	assert_string_equal(props_get(p, "k.d"), "\xc3\xa9");
	props_free(p);
}

/* Lone surrogates and an odd byte count: U+FFFD, never a crash. */
static void
test_utf16_broken(void **state)
{
	uint16_t u[64];
	unsigned char b[200];
	size_t n, len;
	struct props *p = props_new();

	(void)state;
	n = units_of(u, "[k.a]: [");
	u[n++] = 0xd800;	/* high alone */
	u[n++] = 'x';
	u[n++] = 0xdc00;	/* low alone */
	n += units_of(u + n, "]\n[k.b]: [y]\n[k.c]: [");
	u[n++] = 0xdbff;	/* high at the very end */
	len = u16(b, u, n, 0, 1);
	b[len++] = 'z';		/* and an odd last byte */
	assert_true(props_parse(p, b, len, PROPS_FMT_AUTO) >= 2);
	assert_string_equal(props_get(p, "k.a"),
	    "\xef\xbf\xbdx\xef\xbf\xbd");
	assert_string_equal(props_get(p, "k.b"), "y");
	assert_non_null(props_get(p, "k.c"));
	assert_true(props_stats(p)->unterminated >= 1);
	check_all(p);

	/* odd byte count alone */
	assert_int_equal(props_parse(p, "\xff\xfe[", 3, PROPS_FMT_AUTO), 0);
	assert_int_equal(props_parse(p, "\xff\xfe", 2, PROPS_FMT_AUTO), 0);
	assert_int_equal(props_parse(p, "\xff", 1, PROPS_FMT_AUTO), 0);
	check_all(p);
	props_free(p);
}

static void
test_bad_utf8_and_nuls(void **state)
{
	static const char text[] =
	    "[k.a]: [\xff\xc3(\xe2\x82]\n"	/* junk bytes, a cut char */
	    "[k.b]: [\xed\xa0\x80]\n"		/* an encoded surrogate */
	    "[k.c]: [\xc0\xaf\xf8\x88\x80\x80\x80]\n"	/* overlong */
	    "[k.d]: [x\0y]\n"			/* a NUL inside */
	    "\0\0\0\n"
	    "[k.\0e]: [1]\n";
	struct props *p = props_new();
	const char *v;

	(void)state;
	assert_int_equal(props_parse(p, text, sizeof(text) - 1,
	    PROPS_FMT_AUTO), 5);
	v = props_get(p, "k.a");
	assert_non_null(v);
	assert_true(utf8_valid(v));
	assert_non_null(strstr(v, "\xef\xbf\xbd"));
	assert_non_null(strchr(v, '('));
	assert_true(utf8_valid(props_get(p, "k.b")));
	assert_true(utf8_valid(props_get(p, "k.c")));
	assert_string_equal(props_get(p, "k.d"), "xy");
	assert_string_equal(props_get(p, "k.e"), "1");
	check_all(p);
	props_free(p);
}

/* ---- bounds ---- */

static void
test_huge_value(void **state)
{
	size_t big = 10u << 20, n;
	char *buf = malloc(big + 64);
	struct props *p = props_new();
	const char *v;

	(void)state;
	assert_non_null(buf);
	/* one 10 MB value, then a normal property */
	n = (size_t)sprintf(buf, "[k.big]: [");
	memset(buf + n, 'x', big);
	n += big;
	n += (size_t)sprintf(buf + n, "]\n[k.after]: [ok]\n");
	assert_int_equal(props_parse(p, buf, n, PROPS_FMT_AUTO), 2);
	v = props_get(p, "k.big");
	assert_int_equal(strlen(v), PROPS_MAX_VALUE);
	assert_int_equal(props_stats(p)->cut, 1);
	assert_string_equal(props_get(p, "k.after"), "ok");

	/* 10 MB over many lines, never closed; multi-byte chars at the cut */
	n = (size_t)sprintf(buf, "[k.lines]: [");
	while (n + 64 < big) {
		memcpy(buf + n, "\xc3\xa9\xc3\xa9\xc3\xa9 line\n", 12);
		n += 12;
	}
	assert_int_equal(props_parse(p, buf, n, PROPS_FMT_AUTO), 1);
	v = props_get(p, "k.lines");
	assert_true(strlen(v) <= PROPS_MAX_VALUE);
	assert_true(strlen(v) > PROPS_MAX_VALUE - 4);
	assert_true(utf8_valid(v));

	/* build.prop with a 10 MB value: cut on a character boundary */
	memcpy(buf, "k.bp=", 5);
	for (n = 5; n + 2 < big; n += 2)
		memcpy(buf + n, "\xc3\xa9", 2);
	buf[n++] = 'x';
	assert_int_equal(props_parse(p, buf, n, PROPS_FMT_BUILDPROP), 1);
	v = props_get(p, "k.bp");
	assert_int_equal(strlen(v), PROPS_MAX_VALUE);
	assert_true(utf8_valid(v));
	check_all(p);
	free(buf);
	props_free(p);
}

static void
test_many_props(void **state)
{
	size_t cap = 100000 * 24, n = 0;
	char *buf = malloc(cap);
	struct props *p = props_new();
	const struct props_stats *st = props_stats(p);

	(void)state;
	assert_non_null(buf);
	for (int i = 0; i < 100000; i++)
		n += (size_t)snprintf(buf + n, cap - n, "[k.%d]: [%d]\n", i,
		    i);
	assert_int_equal(props_parse(p, buf, n, PROPS_FMT_AUTO),
	    PROPS_MAX_COUNT);
	assert_int_equal(props_count(p), PROPS_MAX_COUNT);
	assert_int_equal(st->dropped, 100000 - PROPS_MAX_COUNT);
	assert_string_equal(props_get(p, "k.0"), "0");
	assert_string_equal(props_get(p, "k.19999"), "19999");
	assert_null(props_get(p, "k.20000"));
	/* existing keys may still change at the cap */
	assert_int_equal(PARSE(p, "[k.5]: [five]\n", PROPS_FMT_AUTO), 1);
	assert_string_equal(props_get(p, "k.5"), "five");
	check_all(p);
	free(buf);
	props_free(p);
}

static void
test_byte_cap(void **state)
{
	char *val = malloc(PROPS_MAX_VALUE + 1);
	struct props *p = props_new();
	char key[32];
	int set = 0;

	(void)state;
	assert_non_null(val);
	memset(val, 'v', PROPS_MAX_VALUE);
	val[PROPS_MAX_VALUE] = '\0';
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k.%d", i);
		set += props_set(p, key, val);
	}
	assert_true(set < 1000);
	assert_true(set >= (int)(PROPS_MAX_BYTES / (PROPS_MAX_VALUE + 8)));
	assert_int_equal(props_stats(p)->dropped, 1000 - set);
	assert_true(check_all(p) <= PROPS_MAX_BYTES);
	/* at the cap, a key may still take a value of the same size; a
	 * longer one is cut, not refused */
	val = realloc(val, PROPS_MAX_VALUE + 101);
	assert_non_null(val);
	memset(val, 'w', PROPS_MAX_VALUE + 100);
	val[PROPS_MAX_VALUE + 100] = '\0';
	assert_int_equal(props_set(p, "k.0", val), 1);
	assert_int_equal(strlen(props_get(p, "k.0")), PROPS_MAX_VALUE);
	assert_int_equal(props_get(p, "k.0")[0], 'w');
	assert_true(check_all(p) <= PROPS_MAX_BYTES);
	free(val);
	props_free(p);
}

static void
test_long_key_and_line(void **state)
{
	char *buf = malloc(40000);
	struct props *p = props_new();
	size_t n;

	(void)state;
	assert_non_null(buf);
	/* a 300-character key is not a key */
	n = (size_t)sprintf(buf, "[");
	memset(buf + n, 'k', 300);
	n += 300;
	n += (size_t)sprintf(buf + n, "]: [1]\nk");
	memset(buf + n, 'k', 300);
	n += 300;
	n += (size_t)sprintf(buf + n, "=1\n");
	assert_int_equal(props_parse(p, buf, n, PROPS_FMT_GETPROP), 0);
	assert_int_equal(props_parse(p, buf, n, PROPS_FMT_BUILDPROP), 0);
	/* a 30000-byte junk line, then a property */
	memset(buf, '#', 30000);
	memcpy(buf + 30000, "\n[k.ok]: [1]\n", 13);
	assert_int_equal(props_parse(p, buf, 30013, PROPS_FMT_GETPROP), 1);
	assert_string_equal(props_get(p, "k.ok"), "1");
	check_all(p);
	free(buf);
	props_free(p);
}

/* Deterministic junk, and junk around real structure. */
static void
test_binary_junk(void **state)
{
	static const char special[] = "[]: \n=#\r";
	size_t len = 1u << 20;
	unsigned char *buf = malloc(len);
	uint32_t x = 12345;

	(void)state;
	assert_non_null(buf);
	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
			/* later rounds: more of the characters that matter */
			if (round >= 2 && (x & 7) == 0)
				buf[i] = (unsigned char)special[(x >> 8) & 7];
		}
		if (round == 3) {
			/* UTF-16 through the same junk */
			buf[0] = 0xff;
			buf[1] = 0xfe;
		}
		for (int f = 0; f < 3; f++) {
			struct props *p = props_new();

			assert_true(props_parse(p, buf, len, f) >= 0);
			check_all(p);
			props_android_derive(p);
			check_all(p);
			props_free(p);
		}
	}
	free(buf);
}

static void
test_input_cap(void **state)
{
	size_t len = PROPS_MAX_INPUT + 100;
	char *buf = malloc(len);
	struct props *p = props_new();

	(void)state;
	assert_non_null(buf);
	memset(buf, '\n', len);
	memcpy(buf, "[k.first]: [1]\n", 15);
	memcpy(buf + len - 15, "[k.beyond]: []\n", 15);
	assert_int_equal(props_parse(p, buf, len, PROPS_FMT_AUTO), 1);
	assert_true(props_stats(p)->input_cut);
	assert_null(props_get(p, "k.beyond"));
	free(buf);
	props_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redmi_note14),
		cmocka_unit_test(test_samsung_utf16),
		cmocka_unit_test(test_xiaomi_12x),
		cmocka_unit_test(test_poco_f6),
		cmocka_unit_test(test_houji_build_prop),
		cmocka_unit_test(test_getprop_forms),
		cmocka_unit_test(test_buildprop_forms),
		cmocka_unit_test(test_override_and_order),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_utf16_broken),
		cmocka_unit_test(test_bad_utf8_and_nuls),
		cmocka_unit_test(test_huge_value),
		cmocka_unit_test(test_many_props),
		cmocka_unit_test(test_byte_cap),
		cmocka_unit_test(test_long_key_and_line),
		cmocka_unit_test(test_binary_junk),
		cmocka_unit_test(test_input_cap),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
