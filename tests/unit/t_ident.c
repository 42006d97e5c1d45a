/* t_ident.c - phone identity: every real getprop capture, the Xiaomi 14
 * build.prop set, the real `dumpsys battery` and `df -h` excerpts, the
 * decisions (lock, boot mode, region, OS) on hand-written properties,
 * JSON and the one-line summary, and hostile text.
 *
 * The captures are read at run time from $DROIDMEDIC_FIXTURES (default
 * $top_srcdir/../shared/fixtures/real); they are never copied into the
 * tree.  A missing capture fails the test.  The expected values are
 * written here, checked by reading the captures. */
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
#include "ident.h"
#include "props.h"

#define GP	"getprop/"
#define BP	"build_prop/"
#define MISC	"dumpsys_misc/"
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
#define J6_BATTERY MISC "samsung_galaxy_j6_j6lte_dumpsys_battery_excerpt.txt"
#define REDMI_DF MISC "xiaomi_redmi_note14_5g_citrine_hyperos2_" \
		"by-name_and_df-h.txt"

#define DOT	" \xc2\xb7 "	/* the summary's separator */
#define GIB	(1ULL << 30)

/* ---- fixtures ---- */

#include "../lib/fixtures.h"

static void
ident_of(struct dev_identity *id, const char *const *files)
{
	struct props *p = props_new();

	for (; *files != NULL; files++) {
		size_t len;
		char *buf = load(*files, &len);

		assert_true(props_parse(p, buf, len, PROPS_FMT_AUTO) > 0);
		free(buf);
	}
	props_android_derive(p);
	ident_init(id);
	assert_int_equal(ident_from_props(id, p), 0);
	props_free(p);
}

static void
ident_of_text(struct dev_identity *id, const char *text)
{
	struct props *p = props_new();

	props_parse(p, text, strlen(text), PROPS_FMT_AUTO);
	ident_init(id);
	assert_int_equal(ident_from_props(id, p), 0);
	props_free(p);
}

static void
summary_is(const struct dev_identity *id, const char *want)
{
	char buf[256];

	assert_int_equal(ident_summary(id, buf, sizeof(buf), NULL),
	    strlen(want));
	assert_string_equal(buf, want);
}

/* The JSON prints and parses back, with the name and summary. */
static cJSON *
json_roundtrip(const struct dev_identity *id)
{
	cJSON *j = ident_to_json(id), *back;
	char *text;

	assert_non_null(j);
	text = cJSON_PrintUnformatted(j);
	assert_non_null(text);
	back = cJSON_Parse(text);
	assert_non_null(back);
	free(text);
	cJSON_Delete(j);
	return back;
}

static const char *
jget_str(const cJSON *o, const char *group, const char *key)
{
	const cJSON *g = o, *v;

	if (group != NULL)
		g = cJSON_GetObjectItemCaseSensitive(o, group);
	v = cJSON_GetObjectItemCaseSensitive(g, key);

	assert_non_null(v);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- real captures ---- */

static void
test_redmi_note14(void **state)
{
	static const char *const files[] = { REDMI, NULL };
	struct dev_identity id;

	(void)state;
	fixtures_required();
	ident_of(&id, files);
	assert_string_equal(id.name, "Redmi Note 14 5G");
	assert_string_equal(id.brand, "Redmi");
	assert_string_equal(id.manufacturer, "Xiaomi");
	assert_string_equal(id.model, "24094RAD4G");
	assert_string_equal(id.marketname, "Redmi Note 14 5G");
	assert_string_equal(id.device, "citrine");
	assert_string_equal(id.mod_device, "beryl_global");
	assert_string_equal(id.codename, "beryl");
	assert_string_equal(id.product, "citrine_global");
	assert_string_equal(id.serial, "OZ8PHMQKCMUCJFKN");
	assert_string_equal(id.region, "Global");
	assert_string_equal(id.region_src, "ro.miui.build.region");
	assert_string_equal(id.hw_region, "Global");
	assert_string_equal(id.country, "IN");	/* chosen in Settings */
	assert_string_equal(id.carrier, "Ncell");
	assert_string_equal(id.carrier_src, "gsm.sim.operator.alpha");
	assert_string_equal(id.sim_state, "LOADED,LOADED");
	assert_string_equal(id.fingerprint, "Redmi/citrine_global/citrine:15/"
	    "AP3A.240905.015.A2/OS2.0.211.0.VOQMIXM:user/release-keys");
	assert_string_equal(id.fingerprint_src, "ro.build.fingerprint");
	assert_string_equal(id.android, "15");
	assert_int_equal(id.sdk, 35);
	assert_int_equal(id.first_sdk, 34);
	assert_string_equal(id.security_patch, "2026-02-01");
	assert_string_equal(id.build_id, "AP3A.240905.015.A2");
	assert_string_equal(id.incremental, "OS2.0.211.0.VOQMIXM");
	assert_string_equal(id.display_id, "AP3A.240905.015.A2");
	assert_string_equal(id.build_type, "user");
	assert_string_equal(id.build_tags, "release-keys");
	assert_string_equal(id.skin, "HyperOS");
	assert_string_equal(id.skin_version, "2.0");
	assert_string_equal(id.skin_build, "OS2.0.211.0.VOQMIXM");
	assert_string_equal(id.os, "HyperOS 2.0");
	assert_string_equal(id.rom, "");
	assert_string_equal(id.baseband, "MOLY.NR15.R3.MP.V167.P69");
	assert_string_equal(id.bootloader, "");		/* "unknown" */
	assert_int_equal(id.lock, IDENT_LOCK_LOCKED);
	assert_string_equal(id.lock_src, "ro.boot.vbmeta.device_state");
	assert_string_equal(id.vb_state, "green");
	assert_string_equal(id.vbmeta_state, "locked");
	assert_int_equal(id.oem_unlock_allowed, 0);
	assert_int_equal(id.warranty_bit, -1);
	assert_int_equal(id.debuggable, 0);
	assert_string_equal(id.encryption, "encrypted (file)");
	assert_string_equal(id.slot, "b");
	assert_int_equal(id.ab, 1);
	assert_int_equal(id.dynamic_partitions, 1);
	assert_string_equal(id.boot_mode, "normal");
	assert_string_equal(id.boot_mode_src, "ro.bootmode");
	assert_int_equal(id.boot, IDENT_BOOT_NORMAL);
	assert_int_equal(id.boot_completed, 1);
	assert_int_equal(id.factory_binary, -1);
	assert_string_equal(id.hardware, "mt6855");
	assert_string_equal(id.platform, "mt6855");
	assert_string_equal(id.soc_maker, "Mediatek");
	assert_string_equal(id.soc_model, "MT6855");
	assert_string_equal(id.abi, "arm64-v8a");
	assert_string_equal(id.locale, "en-US");
	summary_is(&id, "Redmi Note 14 5G (beryl)" DOT "Global" DOT
	    "HyperOS 2.0" DOT "Android 15");
}

static void
test_galaxy_s25(void **state)
{
	static const char *const files[] = { S25, NULL };
	struct dev_identity id;

	(void)state;
	fixtures_required();
	ident_of(&id, files);
	assert_string_equal(id.name, "Samsung SM-S936B");
	assert_string_equal(id.brand, "samsung");
	assert_string_equal(id.manufacturer, "samsung");
	assert_string_equal(id.model, "SM-S936B");
	assert_string_equal(id.marketname, "");
	assert_string_equal(id.device, "pa2q");
	assert_string_equal(id.mod_device, "");
	assert_string_equal(id.codename, "pa2q");
	assert_string_equal(id.product, "pa2qxeea");
	assert_string_equal(id.serial, "R5CY743GDFY");
	assert_string_equal(id.region, "EUX");
	assert_string_equal(id.region_src, "ro.csc.sales_code");
	assert_string_equal(id.hw_region, "");
	assert_string_equal(id.country, "ES");
	assert_string_equal(id.carrier, "Movistar");
	assert_string_equal(id.fingerprint, "samsung/pa2qxeea/pa2q:16/"
	    "BP4A.251205.006/S936BXXUACZF1_OXMACZF1:user/release-keys");
	assert_string_equal(id.android, "16");
	assert_int_equal(id.sdk, 36);
	assert_int_equal(id.first_sdk, 35);
	assert_string_equal(id.security_patch, "2026-06-05");
	assert_string_equal(id.build_id, "BP4A.251205.006");
	assert_string_equal(id.incremental, "S936BXXUACZF1");
	assert_string_equal(id.display_id, "BP4A.251205.006.S936BXXUACZF1");
	assert_string_equal(id.skin, "One UI");
	assert_string_equal(id.skin_version, "8.5");	/* 80500 */
	assert_string_equal(id.skin_build, "S936BXXUACZF1");
	assert_string_equal(id.os, "One UI 8.5");
	assert_string_equal(id.baseband, "S936BXXUACZF1");
	assert_string_equal(id.bootloader, "S936BXXUACZF1");
	assert_int_equal(id.lock, IDENT_LOCK_LOCKED);
	assert_string_equal(id.vb_state, "green");
	assert_int_equal(id.oem_unlock_allowed, -1);
	assert_int_equal(id.warranty_bit, 0);		/* Knox intact */
	assert_string_equal(id.slot, "a");
	assert_string_equal(id.boot_mode, "unknown");
	assert_int_equal(id.boot, IDENT_BOOT_NORMAL);
	assert_int_equal(id.factory_binary, 0);		/* "user" */
	assert_int_equal(id.boot_completed, 1);
	assert_string_equal(id.hardware, "qcom");
	assert_string_equal(id.platform, "sun");
	assert_string_equal(id.soc_maker, "QTI");
	assert_string_equal(id.soc_model, "SM8750");
	assert_string_equal(id.locale, "es-ES");
	summary_is(&id, "Samsung SM-S936B (pa2q)" DOT "EUX" DOT "One UI 8.5"
	    DOT "Android 16");
}

static void
test_xiaomi_12x(void **state)
{
	static const char *const files[] = { PSYCHE, NULL };
	struct dev_identity id;

	(void)state;
	fixtures_required();
	ident_of(&id, files);
	assert_string_equal(id.name, "Xiaomi 12X");
	assert_string_equal(id.brand, "Xiaomi");
	assert_string_equal(id.model, "2112123AG");
	assert_string_equal(id.marketname, "Xiaomi 12X");
	assert_string_equal(id.device, "psyche");
	assert_string_equal(id.mod_device, "psyche_xiaomieu_global");
	assert_string_equal(id.codename, "psyche");
	assert_string_equal(id.serial, "27dc0283");
	/* a CN-based ROM (xiaomi.eu) on global hardware, UK chosen */
	assert_string_equal(id.region, "CN");
	assert_string_equal(id.region_src, "ro.miui.build.region");
	assert_string_equal(id.hw_region, "Global");
	assert_string_equal(id.country, "GB");
	assert_string_equal(id.carrier, "3");
	assert_string_equal(id.fingerprint, "Xiaomi/psyche/psyche:12/"
	    "RKQ1.211001.001/V13.0.5.0.SLDCNXM:user/release-keys");
	assert_string_equal(id.android, "12");
	assert_int_equal(id.sdk, 31);
	assert_string_equal(id.security_patch, "2022-06-01");
	assert_string_equal(id.build_id, "SKQ1.211230.001");
	assert_string_equal(id.incremental, "V13.0.5.0.SLDCNXM");
	assert_string_equal(id.skin, "MIUI");
	assert_string_equal(id.skin_version, "13");	/* V130 */
	assert_string_equal(id.rom, "xiaomi.eu");
	assert_string_equal(id.os, "MIUI 13 (xiaomi.eu)");
	/* no vbmeta state: ro.boot.flash.locked decides */
	assert_int_equal(id.lock, IDENT_LOCK_LOCKED);
	assert_string_equal(id.lock_src, "ro.boot.flash.locked");
	assert_string_equal(id.vbmeta_state, "");
	assert_int_equal(id.oem_unlock_allowed, 1);
	assert_string_equal(id.slot, "a");
	assert_int_equal(id.boot, IDENT_BOOT_NORMAL);
	assert_string_equal(id.platform, "kona");
	assert_string_equal(id.soc_model, "SM8250");
	summary_is(&id, "Xiaomi 12X (psyche)" DOT "CN" DOT
	    "MIUI 13 (xiaomi.eu)" DOT "Android 12");
}

static void
test_poco_f6_custom_rom(void **state)
{
	static const char *const files[] = { PERIDOT, NULL };
	struct dev_identity id;

	(void)state;
	fixtures_required();
	ident_of(&id, files);
	assert_string_equal(id.name, "POCO F6");
	assert_string_equal(id.brand, "POCO");
	assert_string_equal(id.manufacturer, "Xiaomi");
	assert_string_equal(id.model, "24069PC21I");
	assert_string_equal(id.device, "peridot");
	assert_string_equal(id.codename, "peridot");
	assert_string_equal(id.product, "peridot_in");
	assert_string_equal(id.region, "Global");
	assert_string_equal(id.region_src, "ro.product.mod_device");
	assert_string_equal(id.hw_region, "IN");
	assert_string_equal(id.country, "");
	assert_string_equal(id.carrier, "Jio");
	/* the ROM shows a stock fingerprint; the build is its own */
	assert_string_equal(id.fingerprint, "POCO/peridot_global/peridot:14/"
	    "UKQ1.240624.001/OS2.0.100.0.VNPMIXM:user/release-keys");
	assert_string_equal(id.android, "15");
	assert_int_equal(id.sdk, 35);
	assert_string_equal(id.build_id, "BP1A.250405.007");
	assert_string_equal(id.incremental, "611");
	assert_string_equal(id.security_patch, "2025-04-05");
	assert_string_equal(id.vendor_patch, "2025-02-01");
	assert_string_equal(id.skin, "");
	assert_string_equal(id.rom, "crDroid");
	assert_string_equal(id.rom_version, "11.4");
	assert_string_equal(id.os, "crDroid 11.4");
	assert_int_equal(id.lock, IDENT_LOCK_LOCKED);
	assert_int_equal(id.warranty_bit, 0);
	assert_string_equal(id.slot, "b");
	assert_string_equal(id.soc_model, "SM8635");
	assert_string_equal(id.platform, "pineapple");
	summary_is(&id, "POCO F6 (peridot)" DOT "Global" DOT "crDroid 11.4"
	    DOT "Android 15");
}

static void
test_xiaomi_14_build_props(void **state)
{
	static const char *const files[] = {
		HOUJI_SYSTEM, HOUJI_ODM, HOUJI_MIEXT, NULL
	};
	struct dev_identity id;

	(void)state;
	fixtures_required();
	ident_of(&id, files);
	/* device from odm, build from system, HyperOS from mi_ext */
	assert_string_equal(id.name, "Xiaomi 14");
	assert_string_equal(id.brand, "Xiaomi");
	assert_string_equal(id.manufacturer, "Xiaomi");
	assert_string_equal(id.model, "23127PN0CC");
	assert_string_equal(id.marketname, "Xiaomi 14");
	assert_string_equal(id.device, "houji");
	assert_string_equal(id.mod_device, "houji");
	assert_string_equal(id.codename, "houji");
	assert_string_equal(id.region, "CN");
	assert_string_equal(id.region_src, "ro.miui.build.region");
	assert_string_equal(id.fingerprint, "Xiaomi/houji/houji:14/"
	    "UKQ1.230804.001/V816.0.9.0.UNCCNXM:user/release-keys");
	assert_string_equal(id.android, "14");
	assert_int_equal(id.sdk, 34);
	assert_int_equal(id.first_sdk, 34);
	assert_string_equal(id.security_patch, "2023-09-05");
	assert_string_equal(id.build_id, "UKQ1.230804.001");
	assert_string_equal(id.incremental, "V816.0.9.0.UNCCNXM");
	assert_string_equal(id.skin, "HyperOS");
	assert_string_equal(id.skin_version, "1.0");
	assert_string_equal(id.skin_build, "OS1.0.9.0.UNCCNXM");
	assert_string_equal(id.locale, "zh-CN");
	/* not in build.prop: only the running phone knows */
	assert_int_equal(id.lock, IDENT_LOCK_UNKNOWN);
	assert_int_equal(id.boot, IDENT_BOOT_UNKNOWN);
	assert_string_equal(id.serial, "");
	summary_is(&id, "Xiaomi 14 (houji)" DOT "CN" DOT "HyperOS 1.0" DOT
	    "Android 14");
}

/* Without derivation the fallbacks still find the device (odm first, as
 * the odm build.prop orders it) and a fingerprint (system's first). */
static void
test_xiaomi_14_underived(void **state)
{
	struct props *p = props_new();
	struct dev_identity id;
	size_t len;
	char *buf;

	(void)state;
	fixtures_required();
	buf = load(HOUJI_SYSTEM, &len);
	props_parse(p, buf, len, PROPS_FMT_BUILDPROP);
	free(buf);
	buf = load(HOUJI_ODM, &len);
	props_parse(p, buf, len, PROPS_FMT_BUILDPROP);
	free(buf);
	ident_init(&id);
	assert_int_equal(ident_from_props(&id, p), 0);
	assert_string_equal(id.model, "23127PN0CC");
	assert_string_equal(id.device, "houji");
	assert_string_equal(id.fingerprint_src, "ro.system.build.fingerprint");
	/* without mi_ext's ro.miui.build.region: the market letters of
	 * the version, "...UNCCNXM" */
	assert_string_equal(id.region, "CN");
	assert_string_equal(id.region_src, "ro.build.version.incremental");
	props_free(p);
}

static void
test_battery_j6(void **state)
{
	struct ident_battery b;
	size_t len;
	char *buf = load(J6_BATTERY, &len);

	(void)state;
	fixtures_required();
	assert_int_equal(ident_battery_parse(&b, buf, len), 0);
	free(buf);
	assert_true(b.valid);
	assert_int_equal(b.present, 1);
	assert_int_equal(b.level, 84);
	assert_int_equal(b.scale, 100);
	assert_int_equal(b.percent, 84);
	assert_int_equal(b.status, 2);
	assert_string_equal(b.status_text, "charging");
	assert_int_equal(b.health, 2);
	assert_string_equal(b.health_text, "good");
	assert_int_equal(b.temp_dc, 336);
	assert_int_equal(b.voltage_mv, 4110);
	assert_int_equal(b.current_now, 347);
	assert_int_equal(b.charge_uah, 2532000);
	assert_string_equal(b.technology, "Li-ion");
	assert_int_equal(b.ac, 0);
	assert_int_equal(b.usb, 1);
	assert_int_equal(b.wireless, 0);
	assert_int_equal(b.dock, -1);
}

static void
test_battery_forms(void **state)
{
	struct ident_battery b;
	static const char aosp[] =
	    "Current Battery Service state:\r\n"
	    "  AC powered: false\r\n"
	    "  USB powered: false\r\n"
	    "  Wireless powered: false\r\n"
	    "  Dock powered: false\r\n"
	    "  status: 5\r\n"
	    "  health: 7\r\n"
	    "  present: true\r\n"
	    "  level: 200\r\n"
	    "  scale: 200\r\n"
	    "  voltage: 4350000\r\n"
	    "  temperature: -52\r\n"
	    "  technology: Li-poly";
	static const char junk[] = "no battery here\n:\n::::\nlevel: lots\n";
	static const char odd[] = "voltage: 4\nstatus: 9\nhealth: 0\n"
	    "level: 99999999999999999999\n";

	(void)state;
	assert_int_equal(ident_battery_parse(&b, aosp, sizeof(aosp) - 1), 0);
	assert_int_equal(b.percent, 100);
	assert_string_equal(b.status_text, "full");
	assert_string_equal(b.health_text, "cold");
	assert_int_equal(b.temp_dc, -52);
	assert_int_equal(b.voltage_mv, 4350);	/* from microvolts */
	assert_int_equal(b.dock, 0);
	assert_string_equal(b.technology, "Li-poly");
	assert_int_equal(b.current_now, IDENT_NONE);

	assert_int_equal(ident_battery_parse(&b, odd, sizeof(odd) - 1), 0);
	assert_int_equal(b.voltage_mv, 4000);	/* from volts */
	assert_string_equal(b.status_text, "");	/* unknown code */
	assert_string_equal(b.health_text, "");
	assert_int_equal(b.level, IDENT_NONE);	/* overflow refused */
	assert_int_equal(b.percent, IDENT_NONE);

	assert_int_equal(ident_battery_parse(&b, junk, sizeof(junk) - 1),
	    0);	/* "level" was seen, though not a number */
	assert_int_equal(b.level, IDENT_NONE);
	assert_int_equal(ident_battery_parse(&b, "nothing\n", 8), DM_EINVAL);
	assert_false(b.valid);
	assert_int_equal(ident_battery_parse(&b, NULL, 5), DM_EINVAL);
	assert_int_equal(ident_battery_parse(NULL, "x", 1), DM_EINVAL);
}

static void
test_df_redmi(void **state)
{
	struct ident_storage s;
	size_t len;
	char *buf = load(REDMI_DF, &len);

	(void)state;
	fixtures_required();
	/* no /data line: the FUSE view of it */
	assert_int_equal(ident_storage_parse(&s, buf, len), 0);
	free(buf);
	assert_true(s.valid);
	assert_string_equal(s.mount, "/storage/emulated");
	assert_string_equal(s.fs, "/dev/fuse");
	assert_true(s.size == 228 * GIB);
	assert_true(s.used == 179 * GIB);
	assert_true(s.avail == 48 * GIB);
	assert_int_equal(s.use_pct, 79);
	assert_true(s.approx);
}

static void
test_df_forms(void **state)
{
	/* toybox `df` (KiB), /data preferred over its FUSE view */
	static const char toybox[] =
	    "Filesystem      1K-blocks    Used Available Use% Mounted on\n"
	    "/dev/block/dm-5         5029504 5012064         0 100% /\n"
	    "/dev/fuse             114127736 9318484 104678180   9% "
	    "/storage/emulated\n"
	    "/dev/block/dm-48      114127736 9318484 104678180   9% /data\n";
	/* old toolbox `df`: mount first, no Use% */
	static const char toolbox[] =
	    "Filesystem               Size     Used     Free   Blksize\n"
	    "/dev                   925.3M    48.0K   925.2M   4096\n"
	    "/system                  1.5G     1.2G   282.7M   4096\n"
	    "/data                   12.5G     3.1G     9.4G   4096\n";
	/* busybox wraps a long filesystem name */
	static const char busybox[] =
	    "Filesystem      1K-blocks      Used Available Use% Mounted on\n"
	    "/dev/block/platform/soc/1d84000.ufshc/by-name/userdata\n"
	    "                      1000000    250000    750000  25% /data\n";
	/* no header: numbers are KiB */
	static const char bare[] =
	    "/dev/block/dm-9 2000 1000 1000 50% /data\n";
	static const char nocols[] = "Filesystem Size\n/x 1 2\n";
	static const char badnum[] =
	    "a 99999999999999999999999G 1G 1G 1% /data\n"
	    "b 1Q 1G 1G 1% /data\n"
	    "c -5 1 1 1% /data\n";
	struct ident_storage s;

	(void)state;
	assert_int_equal(ident_storage_parse(&s, toybox, sizeof(toybox) - 1),
	    0);
	assert_string_equal(s.mount, "/data");
	assert_string_equal(s.fs, "/dev/block/dm-48");
	assert_true(s.size == 114127736ULL * 1024);
	assert_true(s.avail == 104678180ULL * 1024);
	assert_int_equal(s.use_pct, 9);
	assert_false(s.approx);

	assert_int_equal(ident_storage_parse(&s, toolbox, sizeof(toolbox) - 1),
	    0);
	assert_string_equal(s.mount, "/data");
	assert_string_equal(s.fs, "");
	assert_true(s.size == 12 * GIB + GIB / 2);
	assert_true(s.avail > 9 * GIB && s.avail < 10 * GIB);
	assert_int_equal(s.use_pct, 25);	/* worked out: 3.1 / 12.5 */
	assert_true(s.approx);

	assert_int_equal(ident_storage_parse(&s, busybox, sizeof(busybox) - 1),
	    0);
	assert_string_equal(s.fs,
	    "/dev/block/platform/soc/1d84000.ufshc/by-name/userdata");
	assert_true(s.used == 250000ULL * 1024);
	assert_int_equal(s.use_pct, 25);

	assert_int_equal(ident_storage_parse(&s, bare, sizeof(bare) - 1), 0);
	assert_true(s.size == 2000ULL * 1024);

	assert_int_equal(ident_storage_parse(&s, nocols, sizeof(nocols) - 1),
	    DM_ENOENT);
	assert_false(s.valid);
	assert_int_equal(ident_storage_parse(&s, badnum, sizeof(badnum) - 1),
	    DM_ENOENT);
	assert_int_equal(ident_storage_parse(NULL, "x", 1), DM_EINVAL);
	assert_int_equal(ident_storage_parse(&s, NULL, 1), DM_EINVAL);
}

/* ---- decisions on hand-written properties ---- */

static void
test_lock_state(void **state)
{
	static const struct {
		const char *props;
		enum ident_lock want;
		const char *src;
	} cases[] = {
		{ "[ro.boot.verifiedbootstate]: [orange]\n",
		  IDENT_LOCK_UNLOCKED, "ro.boot.verifiedbootstate" },
		{ "[ro.boot.verifiedbootstate]: [yellow]\n",
		  IDENT_LOCK_LOCKED, "ro.boot.verifiedbootstate" },
		{ "[ro.boot.verifiedbootstate]: [red]\n",
		  IDENT_LOCK_UNKNOWN, "" },
		{ "[ro.boot.flash.locked]: [0]\n"
		  "[ro.boot.verifiedbootstate]: [orange]\n",
		  IDENT_LOCK_UNLOCKED, "ro.boot.flash.locked" },
		{ "[ro.boot.vbmeta.device_state]: [unlocked]\n"
		  "[ro.boot.flash.locked]: [1]\n",
		  IDENT_LOCK_UNLOCKED, "ro.boot.vbmeta.device_state" },
		{ "[ro.boot.vbmeta.device_state]: [weird]\n"
		  "[ro.boot.flash.locked]: [1]\n",
		  IDENT_LOCK_LOCKED, "ro.boot.flash.locked" },
		{ "[ro.boot.flash.locked]: [maybe]\n",
		  IDENT_LOCK_UNKNOWN, "" },
		{ "", IDENT_LOCK_UNKNOWN, "" },
	};
	struct dev_identity id;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ident_of_text(&id, cases[i].props);
		assert_int_equal(id.lock, cases[i].want);
		assert_string_equal(id.lock_src, cases[i].src);
	}
	assert_string_equal(ident_lock_name(IDENT_LOCK_LOCKED), "locked");
	assert_string_equal(ident_lock_name(IDENT_LOCK_UNLOCKED), "unlocked");
	assert_string_equal(ident_lock_name((enum ident_lock)42), "unknown");
}

static void
test_boot_mode(void **state)
{
	static const struct {
		const char *props;
		enum ident_boot want;
		const char *mode;
	} cases[] = {
		{ "[ro.bootmode]: [ffbm-01]\n", IDENT_BOOT_FACTORY,
		  "ffbm-01" },
		{ "[ro.bootmode]: [qmmi]\n", IDENT_BOOT_FACTORY, "qmmi" },
		{ "[ro.boot.mode]: [factory]\n", IDENT_BOOT_FACTORY,
		  "factory" },
		{ "[ro.bootmode]: [meta]\n", IDENT_BOOT_FACTORY, "meta" },
		{ "[ro.bootmode]: [unknown]\n[ro.boot.mode]: [ffbm-00]\n",
		  IDENT_BOOT_FACTORY, "ffbm-00" },
		{ "[ro.bootmode]: [charger]\n", IDENT_BOOT_CHARGER,
		  "charger" },
		{ "[ro.bootmode]: [recovery]\n", IDENT_BOOT_RECOVERY,
		  "recovery" },
		{ "[ro.bootmode]: [unknown]\n", IDENT_BOOT_NORMAL, "unknown" },
		{ "[ro.bootmode]: [usb_cable]\n", IDENT_BOOT_OTHER,
		  "usb_cable" },
		{ "", IDENT_BOOT_UNKNOWN, "" },
	};
	struct dev_identity id;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ident_of_text(&id, cases[i].props);
		assert_int_equal(id.boot, cases[i].want);
		assert_string_equal(id.boot_mode, cases[i].mode);
	}
	ident_of_text(&id, "[ro.factory.factory_binary]: [factory]\n");
	assert_int_equal(id.factory_binary, 1);
	assert_string_equal(ident_boot_name(IDENT_BOOT_FACTORY), "factory");
	assert_string_equal(ident_boot_name((enum ident_boot)42), "unknown");
}

static void
test_region_and_os(void **state)
{
	struct dev_identity id;

	(void)state;
	/* the country beats "global" in a mod_device suffix */
	ident_of_text(&id, "[ro.product.device]: [foo]\n"
	    "[ro.product.mod_device]: [foo_in_global]\n");
	assert_string_equal(id.region, "IN");
	assert_string_equal(id.codename, "foo");
	/* MIUI version number and market letters */
	ident_of_text(&id, "[ro.miui.ui.version.name]: [V125]\n"
	    "[ro.build.version.incremental]: [V12.5.1.0.RKHEUXM]\n");
	assert_string_equal(id.os, "MIUI 12.5");
	assert_string_equal(id.region, "EEA");
	assert_string_equal(id.region_src, "ro.build.version.incremental");
	ident_of_text(&id, "[ro.miui.ui.version.name]: [V816]\n");
	assert_string_equal(id.os, "HyperOS");
	/* Samsung CSC from the OMC path only */
	ident_of_text(&id, "[persist.sys.omc_etcpath]: [/a/b/single/XEF]\n"
	    "[ro.build.version.oneui]: [60101]\n");
	assert_string_equal(id.region, "XEF");
	assert_string_equal(id.region_src, "persist.sys.omc_etcpath");
	assert_string_equal(id.os, "One UI 6.1.1");
	/* only the hardware's market */
	ident_of_text(&id, "[ro.boot.hwc]: [CN]\n"
	    "[ro.lineage.build.version]: [22.1]\n");
	assert_string_equal(id.region, "CN");
	assert_string_equal(id.region_src, "ro.boot.hwc");
	assert_string_equal(id.os, "LineageOS 22.1");
	/* carrier: the first non-empty of two SIMs, then the network */
	ident_of_text(&id, "[gsm.sim.operator.alpha]: [,]\n"
	    "[gsm.operator.alpha]: [ , Vodafone IN]\n");
	assert_string_equal(id.carrier, "Vodafone IN");
	assert_string_equal(id.carrier_src, "gsm.operator.alpha");
	/* a brand in lower case is shown capitalised, without doubling */
	ident_of_text(&id, "[ro.product.brand]: [google]\n"
	    "[ro.product.model]: [Pixel 8 Pro]\n"
	    "[ro.product.device]: [husky]\n"
	    "[ro.build.version.release]: [16]\n");
	assert_string_equal(id.name, "Google Pixel 8 Pro");
	summary_is(&id, "Google Pixel 8 Pro (husky)" DOT "Android 16");
	ident_of_text(&id, "[ro.product.brand]: [Nokia]\n"
	    "[ro.product.model]: [Nokia 7.2]\n");
	assert_string_equal(id.name, "Nokia 7.2");
}

/* ---- output ---- */

static void
test_json(void **state)
{
	static const char *const files[] = { REDMI, NULL };
	struct dev_identity id;
	cJSON *j, *g;
	size_t len;
	char *buf;

	(void)state;
	fixtures_required();
	ident_of(&id, files);
	buf = load(J6_BATTERY, &len);
	assert_int_equal(ident_battery_parse(&id.battery, buf, len), 0);
	free(buf);
	buf = load(REDMI_DF, &len);
	assert_int_equal(ident_storage_parse(&id.storage, buf, len), 0);
	free(buf);

	j = json_roundtrip(&id);
	assert_string_equal(jget_str(j, NULL, "name"), "Redmi Note 14 5G");
	assert_string_equal(jget_str(j, NULL, "summary"),
	    "Redmi Note 14 5G (beryl)" DOT "Global" DOT "HyperOS 2.0" DOT
	    "Android 15");
	assert_string_equal(jget_str(j, NULL, "codename"), "beryl");
	assert_string_equal(jget_str(j, "region", "firmware"), "Global");
	assert_string_equal(jget_str(j, "region", "source"),
	    "ro.miui.build.region");
	assert_string_equal(jget_str(j, "security", "bootloader"), "locked");
	assert_string_equal(jget_str(j, "boot", "kind"), "normal");
	assert_string_equal(jget_str(j, "boot", "slot"), "b");
	assert_string_equal(jget_str(j, "os", "name"), "HyperOS 2.0");
	assert_null(jget_str(j, "os", "custom_rom"));	/* null */
	assert_null(jget_str(j, "build", "bootloader"));
	g = cJSON_GetObjectItemCaseSensitive(j, "build");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(g, "sdk")->valueint,
	    35);
	g = cJSON_GetObjectItemCaseSensitive(j, "security");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(g,
	    "oem_unlock_allowed")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(g,
	    "warranty_bit")));
	g = cJSON_GetObjectItemCaseSensitive(j, "battery");
	assert_true(cJSON_IsObject(g));
	assert_true(cJSON_GetObjectItemCaseSensitive(g,
	    "temperature_c")->valuedouble > 33.59);
	assert_true(cJSON_GetObjectItemCaseSensitive(g,
	    "temperature_c")->valuedouble < 33.61);
	assert_string_equal(jget_str(j, "battery", "status"), "charging");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(g, "powered"), "usb")));
	g = cJSON_GetObjectItemCaseSensitive(j, "storage");
	assert_string_equal(jget_str(j, "storage", "mount"),
	    "/storage/emulated");
	assert_true(cJSON_GetObjectItemCaseSensitive(g,
	    "avail_bytes")->valuedouble == (double)(48 * GIB));
	cJSON_Delete(j);

	/* an empty identity: nulls, "unknown", no crash */
	ident_init(&id);
	j = json_roundtrip(&id);
	assert_null(jget_str(j, NULL, "name"));
	assert_null(jget_str(j, NULL, "summary"));
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j,
	    "battery")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j,
	    "storage")));
	assert_string_equal(jget_str(j, "security", "bootloader"), "unknown");
	cJSON_Delete(j);
	assert_null(ident_to_json(NULL));
}

static void
test_summary_bounds(void **state)
{
	static const char *const files[] = { REDMI, NULL };
	static const char want[] = "Redmi Note 14 5G (beryl)" DOT "Global"
	    DOT "HyperOS 2.0" DOT "Android 15";
	struct dev_identity id;
	char buf[64], small[27];

	(void)state;
	fixtures_required();
	ident_of(&id, files);
	assert_int_equal(ident_summary(&id, NULL, 0, NULL), strlen(want));
	/* "Redmi Note 14 5G (beryl) ·": the cut falls inside the dot */
	assert_int_equal(ident_summary(&id, small, sizeof(small), NULL),
	    strlen(want));
	assert_string_equal(small, "Redmi Note 14 5G (beryl) ");
	assert_int_equal(ident_summary(&id, buf, sizeof(buf), " | "),
	    strlen(want) - 3 * 1);
	assert_string_equal(buf, "Redmi Note 14 5G (beryl) | Global | "
	    "HyperOS 2.0 | Android 15");
	assert_int_equal(ident_summary(&id, buf, 1, NULL), strlen(want));
	assert_string_equal(buf, "");
	ident_init(&id);
	assert_int_equal(ident_summary(&id, buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "");
	assert_int_equal(ident_summary(NULL, buf, sizeof(buf), NULL), 0);
}

/* ---- hostile ---- */

static void
test_hostile(void **state)
{
	static const char *const keys[] = {
		"ro.product.brand", "ro.product.model",
		"ro.product.marketname",
		"ro.product.device", "ro.product.mod_device",
		"ro.build.fingerprint", "ro.miui.ui.version.name",
		"ro.mi.os.version.name", "ro.build.version.oneui",
		"ro.crdroid.build.version", "gsm.sim.operator.alpha",
		"ro.build.version.sdk", "ro.boot.slot_suffix", "ro.bootmode",
		"ro.crypto.state", "ro.crypto.type", "ro.miui.build.region",
		"persist.sys.omc_etcpath", "ro.csc.sales_code",
	};
	size_t big = 10u << 20;
	char *val = malloc(PROPS_MAX_VALUE + 1), *junk = malloc(big);
	struct props *p = props_new();
	struct dev_identity id;
	char line[512];
	cJSON *j;

	(void)state;
	assert_non_null(val);
	assert_non_null(junk);
	/* every field fed a full-size value of two-byte characters */
	for (size_t i = 0; i + 2 <= PROPS_MAX_VALUE; i += 2)
		memcpy(val + i, "\xc3\xa9", 2);
	val[PROPS_MAX_VALUE] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_int_equal(props_set(p, keys[i], val), 1);
	ident_init(&id);
	assert_int_equal(ident_from_props(&id, p), 0);
	assert_true(strlen(id.name) < sizeof(id.name));
	assert_true(strlen(id.os) < sizeof(id.os));
	assert_int_equal(id.sdk, IDENT_NONE);
	j = json_roundtrip(&id);	/* fails on invalid UTF-8 cuts */
	cJSON_Delete(j);
	ident_summary(&id, line, sizeof(line), NULL);
	assert_true(strlen(line) < sizeof(line));

	/* 10 MB of junk with NULs and no newline to battery and df */
	for (size_t i = 0; i < big; i++)
		junk[i] = (char)(i * 7 % 251);
	ident_battery_parse(&id.battery, junk, big);
	ident_storage_parse(&id.storage, junk, big);
	memset(junk, ':', big);
	ident_battery_parse(&id.battery, junk, big);
	memset(junk, ' ', big);
	memcpy(junk + big - 40, "/dev/x 1G 1G 0 100% /data", 25);
	assert_int_equal(ident_storage_parse(&id.storage, junk, big),
	    DM_ENOENT);	/* the line was cut: it is too long */
	j = json_roundtrip(&id);
	cJSON_Delete(j);

	assert_int_equal(ident_from_props(NULL, p), DM_EINVAL);
	assert_int_equal(ident_from_props(&id, NULL), DM_EINVAL);
	ident_init(NULL);
	free(val);
	free(junk);
	props_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redmi_note14),
		cmocka_unit_test(test_galaxy_s25),
		cmocka_unit_test(test_xiaomi_12x),
		cmocka_unit_test(test_poco_f6_custom_rom),
		cmocka_unit_test(test_xiaomi_14_build_props),
		cmocka_unit_test(test_xiaomi_14_underived),
		cmocka_unit_test(test_battery_j6),
		cmocka_unit_test(test_battery_forms),
		cmocka_unit_test(test_df_redmi),
		cmocka_unit_test(test_df_forms),
		cmocka_unit_test(test_lock_state),
		cmocka_unit_test(test_boot_mode),
		cmocka_unit_test(test_region_and_os),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_summary_bounds),
		cmocka_unit_test(test_hostile),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
