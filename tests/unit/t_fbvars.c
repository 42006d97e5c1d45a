/* t_fbvars.c - fastboot variables: the four real `fastboot getvar all`
 * captures (Pixel 7 Pro bootloader, LG V60 bootloader and fastbootd,
 * Xiaomi alioth with its prompt line), the same pairs fed as INFO lines
 * and as getvar answers, hand-written edge cases and hostile input.
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
#include "fbvars.h"

#define FG	"fastboot_getvar/"
#define CHEETAH	FG "google_pixel7pro_cheetah_AP5A_fastboot_" \
		"getvar_all.txt"
#define KONA	FG "lg_v60_thinq_kona_bootloader_getvar_all.txt"
#define TIMELM	FG "lg_v60_thinq_timelm_fastbootd_userspace_" \
		"getvar_all.txt"
#define ALIOTH	FG "xiaomi_alioth_redmi_k40_poco_f3_mi11x_fastboot_" \
		"getvar_all.txt"

#include "../lib/fixtures.h"

static const char *const captures[] = { CHEETAH, KONA, TIMELM, ALIOTH };

/* Parse a capture; it must take exactly `vars` variables. */
static void
load_vars(struct fbvars *v, const char *rel, int vars)
{
	char err[128] = "";
	size_t len;
	char *buf;

	fixtures_required();
	buf = load(rel, &len);
	fbvars_init(v);
	assert_int_equal(fbvars_parse_text(v, buf, len, err, sizeof(err)),
	    vars);
	assert_string_equal(err, "");
	free(buf);
}

static uint64_t
psize(const struct fbvars *v, const char *name)
{
	const struct fb_part *p = fbvars_part(v, name);

	if (p == NULL)
		fail_msg("no partition %s", name);
	assert_true(p->has_size);
	return p->size;
}

static const char *
ptype(const struct fbvars *v, const char *name)
{
	const struct fb_part *p = fbvars_part(v, name);

	if (p == NULL)
		fail_msg("no partition %s", name);
	return p->type;
}

static int
plogical(const struct fbvars *v, const char *name)
{
	const struct fb_part *p = fbvars_part(v, name);

	if (p == NULL)
		fail_msg("no partition %s", name);
	return p->logical;
}

/* Every record holds what the caps allow, and raw names are unique. */
static void
check_sane(const struct fbvars *v)
{
	assert_true(v->nraw <= FBVARS_MAX_VARS);
	assert_true(v->nparts <= FBVARS_MAX_PARTS);
	for (size_t i = 0; i < v->nraw; i++) {
		assert_true(strlen(v->raw[i].name) > 0);
		assert_true(strlen(v->raw[i].name) <= FBVARS_MAX_NAME);
		assert_true(strlen(v->raw[i].value) <= FBVARS_MAX_VALUE);
		assert_ptr_equal(fbvars_get(v, v->raw[i].name),
		    v->raw[i].value);
	}
}

/* ---- the real captures ---- */

static void
test_cheetah(void **state)
{
	struct fbvars v;
	const struct fb_slot *s;

	(void)state;
	load_vars(&v, CHEETAH, 316);
	check_sane(&v);
	/* 316 "(bootloader)" lines, then "all:" and "Finished. ..." */
	assert_int_equal(v.nraw, 316);
	assert_int_equal(v.st.lines, 318);
	assert_int_equal(v.st.skipped, 2);
	assert_int_equal(v.st.bad, 0);
	assert_int_equal(v.st.cut, 0);
	assert_string_equal(v.raw[0].name, "ap-ar-ns");
	assert_string_equal(v.raw[315].name, "version-bootloader");

	assert_string_equal(v.product, "cheetah");
	assert_string_equal(v.serialno, "28191FDH300AZK");
	assert_string_equal(v.variant, "N/A");
	assert_string_equal(v.hw_revision, "MP1.0");
	assert_string_equal(v.version, "0.4");
	assert_string_equal(v.version_bootloader,
	    "cloudripper-15.1-12292122");
	assert_string_equal(v.version_baseband,
	    "g5300q-240919-241106-B-12612898");
	assert_int_equal(v.secure, 1);
	assert_int_equal(v.unlocked, 1);
	assert_int_equal(v.is_userspace, 0);
	assert_string_equal(v.current_slot, "a");
	assert_int_equal(v.slot_count, 2);
	assert_true(v.has_max_download);
	assert_int_equal(v.max_download_size, 0xf900000);
	assert_int_equal(v.max_download_size, 261095424);
	assert_true(v.has_max_fetch);
	assert_int_equal(v.max_fetch_size, 0xf900000);
	assert_true(v.has_erase_block && v.has_logical_block);
	assert_int_equal(v.erase_block_size, 4096);
	assert_int_equal(v.logical_block_size, 4096);
	assert_string_equal(v.super_partition_name, "");
	assert_null(fbvars_get(&v, "super-partition-name"));
	assert_string_equal(v.snapshot_update_status, "none");
	assert_int_equal(v.battery_mv, 4055);
	assert_int_equal(v.battery_soc_ok, 1);
	assert_int_equal(v.battery_soc_percent, 68);
	assert_int_equal(v.off_mode_charge, 1);
	assert_int_equal(v.anti, -1);
	assert_string_equal(v.crc, "");
	assert_string_equal(v.token, "");

	/* raw values keep their units, colons and commas */
	assert_string_equal(fbvars_get(&v, "battery-voltage"), "4055 mV");
	assert_string_equal(fbvars_get(&v, "fg-soc"), "65.64 %");
	assert_string_equal(fbvars_get(&v, "slot-suffixes"), "_a,_b");
	assert_string_equal(fbvars_get(&v, "storage-power-mode"),
	    "lanes=2 gear=4 mode=FAST hs_series=SERIES_B");
	assert_string_equal(fbvars_get(&v, "enter-reason"),
	    "reboot bootloader");
	assert_string_equal(fbvars_get(&v, "partition-size:boot_a"),
	    "0x4000000");
	assert_string_equal(fbvars_get(&v, "sbdp:ar-check"), "no");
	assert_string_equal(fbvars_get(&v, "slot-fastboot-ok:b"), "yes");
	assert_null(fbvars_get(&v, "all"));
	assert_null(fbvars_get(&v, "sbdp"));

	/* 67 partitions, each with a size, a type and is-logical */
	assert_int_equal(v.nparts, 67);
	for (size_t i = 0; i < v.nparts; i++) {
		assert_true(v.parts[i].has_size);
		assert_true(v.parts[i].type[0] != '\0');
		assert_true(v.parts[i].logical == 0 ||
		    v.parts[i].logical == 1);
	}
	assert_string_equal(v.parts[0].name, "persist");
	assert_int_equal(psize(&v, "super"), 0x1fc800000ULL);
	assert_int_equal(psize(&v, "super"), 8531214336ULL);
	assert_int_equal(psize(&v, "userdata"), 0x1b7a615000ULL);
	assert_int_equal(psize(&v, "boot_a"), 0x4000000);
	assert_int_equal(psize(&v, "init_boot_b"), 0x800000);
	assert_int_equal(psize(&v, "modem_a"), 0xc800000);
	assert_int_equal(psize(&v, "bl1_a"), 0x3000);
	assert_int_equal(psize(&v, "system_a"), 0x3de1f000);
	assert_int_equal(psize(&v, "system_b"), 0x6100000);
	assert_int_equal(psize(&v, "vendor_b"), 0);
	assert_string_equal(ptype(&v, "persist"), "f2fs");
	assert_string_equal(ptype(&v, "efs"), "f2fs");
	assert_string_equal(ptype(&v, "userdata"), "raw");
	assert_string_equal(ptype(&v, "klog"), "raw");
	assert_int_equal(plogical(&v, "system_a"), 1);
	assert_int_equal(plogical(&v, "vendor_dlkm_b"), 1);
	assert_int_equal(plogical(&v, "boot_a"), 0);
	assert_int_equal(plogical(&v, "super"), 0);
	assert_null(fbvars_part(&v, "boot"));
	assert_null(fbvars_part(&v, "system"));

	assert_int_equal(v.nbases, 43);
	assert_int_equal(fbvars_has_slot(&v, "boot"), 1);
	assert_int_equal(fbvars_has_slot(&v, "vendor_kernel_boot"), 1);
	assert_int_equal(fbvars_has_slot(&v, "system"), 1);
	assert_int_equal(fbvars_has_slot(&v, "super"), 0);
	assert_int_equal(fbvars_has_slot(&v, "userdata"), 0);
	assert_int_equal(fbvars_has_slot(&v, "mfg_data"), 0);
	assert_int_equal(fbvars_has_slot(&v, "boot_a"), -1);
	assert_int_equal(fbvars_has_slot(&v, "nonesuch"), -1);

	s = fbvars_slot(&v, "a");
	assert_non_null(s);
	assert_int_equal(s->successful, 1);
	assert_int_equal(s->unbootable, 0);
	assert_int_equal(s->retry_count, 2);
	assert_int_equal(s->fastboot_ok, 1);
	s = fbvars_slot(&v, "_b");
	assert_non_null(s);
	assert_int_equal(s->successful, 0);
	assert_int_equal(s->unbootable, 0);
	assert_int_equal(s->retry_count, 3);
	assert_null(fbvars_slot(&v, "c"));
	fbvars_free(&v);
}

static void
test_lg_bootloader(void **state)
{
	struct fbvars v;
	const struct fb_slot *s;

	(void)state;
	load_vars(&v, KONA, 252);
	check_sane(&v);
	assert_int_equal(v.nraw, 252);
	assert_int_equal(v.st.lines, 254);
	assert_int_equal(v.st.skipped, 2);	/* "all:", "Finished. ..." */
	assert_int_equal(v.st.bad, 0);

	assert_string_equal(v.product, "kona");
	assert_string_equal(v.serialno, "LMV600TM4bf4e87d");
	assert_string_equal(v.variant, "SM8 UFS");
	assert_string_equal(v.hw_revision, "20001");
	assert_int_equal(v.secure, 1);
	assert_int_equal(v.unlocked, 1);
	assert_int_equal(v.is_userspace, 0);
	assert_string_equal(v.current_slot, "a");
	assert_int_equal(v.slot_count, 2);
	/* the bootloader's max-download-size is decimal */
	assert_true(v.has_max_download);
	assert_int_equal(v.max_download_size, 805306368);
	assert_false(v.has_max_fetch);
	/* " 0x1000": the space after the colon is trimmed */
	assert_int_equal(v.erase_block_size, 0x1000);
	assert_string_equal(fbvars_get(&v, "erase-block-size"), "0x1000");
	/* present but empty, unlike an absent name */
	assert_string_equal(v.version_bootloader, "");
	assert_string_equal(fbvars_get(&v, "version-bootloader"), "");
	assert_string_equal(fbvars_get(&v, "version-baseband"), "");
	assert_null(fbvars_get(&v, "version"));
	assert_string_equal(v.super_partition_name, "");
	assert_null(fbvars_get(&v, "snapshot-update-status"));
	assert_int_equal(v.battery_mv, 3831);
	assert_int_equal(v.battery_soc_ok, 1);
	assert_int_equal(v.battery_soc_percent, -1);
	assert_int_equal(v.off_mode_charge, 0);
	assert_int_equal(v.anti, -1);
	assert_string_equal(fbvars_get(&v, "unlock_count"), "1");
	assert_string_equal(fbvars_get(&v, "ufs-bootlun"), "1(a)");
	assert_string_equal(fbvars_get(&v, "kernel"), "uefi");

	assert_int_equal(v.nparts, 109);
	assert_string_equal(v.parts[0].name, "frp");
	assert_int_equal(psize(&v, "frp"), 0x80000);
	assert_int_equal(psize(&v, "boot_a"), 0x6000000);
	assert_int_equal(psize(&v, "boot_a"), 100663296);
	assert_int_equal(psize(&v, "modem_b"), 0x15900000);
	assert_int_equal(psize(&v, "ALIGN_TO_128K_2"), 0x1a000);
	assert_int_equal(psize(&v, "super"), 0x500000000ULL);
	assert_int_equal(psize(&v, "super"), 21474836480ULL);
	assert_int_equal(psize(&v, "userdata"), 0x17c99d2000ULL);
	assert_int_equal(psize(&v, "OP_a"), 0x40000000);
	assert_int_equal(psize(&v, "limits-cdsp"), 0x1000);
	assert_string_equal(ptype(&v, "userdata"), "f2fs");
	assert_string_equal(ptype(&v, "super"), "raw");
	/* the bootloader says nothing about logical partitions */
	for (size_t i = 0; i < v.nparts; i++)
		assert_int_equal(v.parts[i].logical, -1);
	assert_null(fbvars_part(&v, "system_a"));

	assert_int_equal(v.nbases, 3);
	assert_int_equal(fbvars_has_slot(&v, "modem"), 1);
	assert_int_equal(fbvars_has_slot(&v, "boot"), 1);
	assert_int_equal(fbvars_has_slot(&v, "system"), 0);
	assert_int_equal(fbvars_has_slot(&v, "dtbo"), -1);

	s = fbvars_slot(&v, "a");
	assert_non_null(s);
	assert_int_equal(s->retry_count, 7);
	assert_int_equal(s->successful, 1);
	assert_int_equal(s->unbootable, 0);
	assert_int_equal(s->fastboot_ok, -1);
	s = fbvars_slot(&v, "b");
	assert_non_null(s);
	assert_int_equal(s->retry_count, 0);
	assert_int_equal(s->successful, 0);
	fbvars_free(&v);
}

static void
test_lg_fastbootd(void **state)
{
	struct fbvars v;

	(void)state;
	load_vars(&v, TIMELM, 288);
	check_sane(&v);
	assert_int_equal(v.nraw, 288);
	assert_int_equal(v.st.lines, 288);
	assert_int_equal(v.st.skipped, 0);
	assert_int_equal(v.st.bad, 0);

	assert_string_equal(v.product, "timelm");
	assert_string_equal(v.serialno, "LMV600TM9a483380");
	assert_string_equal(v.variant, "NA");
	assert_string_equal(v.hw_revision, "12");
	assert_string_equal(v.version, "0.4");
	assert_string_equal(v.version_bootloader, "unknown");
	assert_string_equal(v.version_baseband, "");
	assert_string_equal(v.security_patch_level, "2022-01-01");
	assert_int_equal(v.secure, 1);
	assert_int_equal(v.unlocked, 1);
	assert_int_equal(v.is_userspace, 1);
	assert_string_equal(v.current_slot, "a");
	assert_int_equal(v.slot_count, 2);
	/* fastbootd answers in hex */
	assert_true(v.has_max_download);
	assert_int_equal(v.max_download_size, 0x10000000);
	assert_int_equal(v.max_download_size, 268435456);
	assert_string_equal(v.super_partition_name, "super");
	assert_string_equal(v.snapshot_update_status, "none");
	assert_int_equal(v.battery_mv, 0);
	assert_int_equal(v.battery_soc_ok, 1);
	assert_int_equal(v.off_mode_charge, 0);
	assert_false(v.has_erase_block);
	/* fingerprints keep every colon */
	assert_string_equal(fbvars_get(&v, "system-fingerprint"),
	    "lge/timelm/timelm:11/RKQ1.201105.002/220111805ef56:"
	    "user/release-keys");
	assert_string_equal(fbvars_get(&v, "vendor-fingerprint"),
	    "lge/timelm/timelm:11/RKQ1.201105.002/220111805ef56:"
	    "user/release-keys");
	assert_string_equal(fbvars_get(&v, "cpu-abi"), "arm64-v8a");

	assert_int_equal(v.nparts, 73);
	assert_string_equal(v.parts[0].name, "recovery_a");
	assert_int_equal(psize(&v, "system_a"), 0x963ce000);
	assert_int_equal(psize(&v, "system_b"), 0x2e161000);
	assert_int_equal(psize(&v, "product_a"), 0x100f18000ULL);
	assert_int_equal(psize(&v, "product_a"), 4310794240ULL);
	assert_int_equal(psize(&v, "vendor_b"), 0);
	assert_int_equal(psize(&v, "super"), 0x500000000ULL);
	assert_int_equal(psize(&v, "userdata"), 0x170f9d2000ULL);
	assert_int_equal(psize(&v, "sda"), 0x1d6c800000ULL);
	assert_int_equal(psize(&v, "OP_b"), 0x9d000000);
	assert_string_equal(ptype(&v, "userdata"), "raw");
	assert_string_equal(ptype(&v, "system_a"), "raw");
	assert_int_equal(plogical(&v, "system_a"), 1);
	assert_int_equal(plogical(&v, "product_b"), 1);
	assert_int_equal(plogical(&v, "vendor_b"), 1);
	assert_int_equal(plogical(&v, "super"), 0);
	assert_int_equal(plogical(&v, "boot_a"), 0);
	assert_int_equal(plogical(&v, "userdata"), 0);

	assert_int_equal(v.nbases, 42);
	assert_int_equal(fbvars_has_slot(&v, "system"), 1);
	assert_int_equal(fbvars_has_slot(&v, "product"), 1);
	assert_int_equal(fbvars_has_slot(&v, "OP"), 1);
	assert_int_equal(fbvars_has_slot(&v, "super"), 0);
	assert_int_equal(fbvars_has_slot(&v, "xbl"), 0);
	assert_int_equal(fbvars_has_slot(&v, "sda"), 0);
	/* fastbootd lists no per-slot state here */
	assert_null(fbvars_slot(&v, "a"));
	fbvars_free(&v);
}

static void
test_alioth(void **state)
{
	struct fbvars v;
	const struct fb_slot *s;

	(void)state;
	load_vars(&v, ALIOTH, 273);
	check_sane(&v);
	assert_int_equal(v.nraw, 273);
	/* the prompt line, a blank line, "all:" and a blank line */
	assert_int_equal(v.st.lines, 277);
	assert_int_equal(v.st.skipped, 4);
	assert_int_equal(v.st.bad, 0);
	assert_string_equal(v.raw[0].name, "crc");

	assert_string_equal(v.product, "alioth");
	assert_string_equal(v.serialno, "8d1cac2");
	assert_string_equal(v.variant, "SM8 UFS");
	assert_string_equal(v.hw_revision, "20001");
	assert_string_equal(v.version_bootloader, "");
	assert_int_equal(v.secure, 1);
	assert_int_equal(v.unlocked, 1);
	assert_int_equal(v.is_userspace, 0);
	assert_string_equal(v.current_slot, "b");
	assert_int_equal(v.slot_count, 2);
	assert_true(v.has_max_download);
	assert_int_equal(v.max_download_size, 805306368);
	assert_string_equal(v.super_partition_name, "");
	assert_string_equal(v.snapshot_update_status, "none");
	assert_int_equal(v.battery_mv, 3747);
	assert_int_equal(v.battery_soc_ok, 1);
	assert_int_equal(v.off_mode_charge, 0);
	assert_int_equal(v.anti, 1);
	assert_string_equal(v.crc, "1");
	assert_string_equal(v.token,
	    "VQEBIAEQtrG8mlPQJpVBZmMiXtitZwMGYWxpb3RoAgT5M-LD");
	assert_string_equal(fbvars_get(&v, "DP"), "0xFF");
	assert_string_equal(fbvars_get(&v, "cpuid"), "0xf933e2c3");

	assert_int_equal(v.nparts, 119);
	assert_string_equal(v.parts[0].name, "mdm1m9kefsc");
	assert_int_equal(psize(&v, "super"), 0x220000000ULL);
	assert_int_equal(psize(&v, "super"), 9126805504ULL);
	assert_int_equal(psize(&v, "userdata"), 0x1a92ffb000ULL);
	assert_int_equal(psize(&v, "boot_b"), 0xc000000);
	assert_int_equal(psize(&v, "boot_b"), 201326592);
	assert_int_equal(psize(&v, "vendor_boot_a"), 0x6000000);
	assert_int_equal(psize(&v, "xbl_config_a"), 0x7f5000);
	assert_int_equal(psize(&v, "metadata"), 0x1000000);
	assert_int_equal(psize(&v, "vm-data"), 0x400000);
	assert_int_equal(psize(&v, "switch"), 0x2000);
	assert_string_equal(ptype(&v, "userdata"), "f2fs");
	assert_string_equal(ptype(&v, "metadata"), "ext4");
	assert_string_equal(ptype(&v, "super"), "raw");
	assert_int_equal(plogical(&v, "super"), -1);

	assert_int_equal(v.nbases, 3);
	assert_int_equal(fbvars_has_slot(&v, "boot"), 1);
	assert_int_equal(fbvars_has_slot(&v, "modem"), 1);
	assert_int_equal(fbvars_has_slot(&v, "system"), 0);

	s = fbvars_slot(&v, "b");
	assert_non_null(s);
	assert_int_equal(s->retry_count, 7);
	assert_int_equal(s->successful, 0);
	assert_int_equal(s->unbootable, 0);
	s = fbvars_slot(&v, "a");
	assert_non_null(s);
	assert_int_equal(s->successful, 0);
	fbvars_free(&v);
}

/* ---- the same pairs by every way in ---- */

static void
same_record(const struct fbvars *a, const struct fbvars *b)
{
	assert_int_equal(a->nraw, b->nraw);
	for (size_t i = 0; i < a->nraw; i++) {
		assert_string_equal(a->raw[i].name, b->raw[i].name);
		assert_string_equal(a->raw[i].value, b->raw[i].value);
	}
#define SAME_S(f)	assert_string_equal(a->f, b->f)
#define SAME_I(f)	assert_int_equal(a->f, b->f)
	SAME_S(product);
	SAME_S(serialno);
	SAME_S(variant);
	SAME_S(hw_revision);
	SAME_S(version_bootloader);
	SAME_S(version_baseband);
	SAME_S(version);
	SAME_S(security_patch_level);
	SAME_S(current_slot);
	SAME_S(super_partition_name);
	SAME_S(snapshot_update_status);
	SAME_S(crc);
	SAME_S(token);
	SAME_I(secure);
	SAME_I(unlocked);
	SAME_I(is_userspace);
	SAME_I(slot_count);
	SAME_I(max_download_size);
	SAME_I(has_max_download);
	SAME_I(max_fetch_size);
	SAME_I(has_max_fetch);
	SAME_I(erase_block_size);
	SAME_I(has_erase_block);
	SAME_I(logical_block_size);
	SAME_I(has_logical_block);
	SAME_I(battery_mv);
	SAME_I(battery_soc_ok);
	SAME_I(battery_soc_percent);
	SAME_I(anti);
	SAME_I(off_mode_charge);
	SAME_I(st.bad);
	SAME_I(st.cut);
	SAME_I(st.dropped);
#undef SAME_S
#undef SAME_I
	assert_int_equal(a->nparts, b->nparts);
	for (size_t i = 0; i < a->nparts; i++) {
		assert_string_equal(a->parts[i].name, b->parts[i].name);
		assert_int_equal(a->parts[i].size, b->parts[i].size);
		assert_int_equal(a->parts[i].has_size, b->parts[i].has_size);
		assert_string_equal(a->parts[i].type, b->parts[i].type);
		assert_int_equal(a->parts[i].logical, b->parts[i].logical);
	}
	assert_int_equal(a->nbases, b->nbases);
	for (size_t i = 0; i < a->nbases; i++) {
		assert_string_equal(a->bases[i].name, b->bases[i].name);
		assert_int_equal(a->bases[i].has_slot, b->bases[i].has_slot);
	}
	assert_memory_equal(a->slots, b->slots, sizeof(a->slots));
}

static void
test_three_ways(void **state)
{
	(void)state;
	fixtures_required();
	for (size_t c = 0; c < sizeof(captures) / sizeof(captures[0]); c++) {
		struct fbvars text, info, set;
		size_t len;
		char *buf = load(captures[c], &len), *line, *save = NULL;

		fbvars_init(&text);
		assert_true(fbvars_parse_text(&text, buf, len, NULL, 0) > 0);

		/* INFO payloads: the lines without "(bootloader) " */
		fbvars_init(&info);
		for (line = strtok_r(buf, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			if (strncmp(line, "(bootloader) ", 13) == 0)
				assert_int_equal(fbvars_add_info_line(&info,
				    line + 13), 0);
		same_record(&text, &info);

		/* getvar answers: the names as asked, values as answered */
		fbvars_init(&set);
		for (size_t i = 0; i < text.nraw; i++)
			assert_int_equal(fbvars_set(&set, text.raw[i].name,
			    text.raw[i].value), 0);
		same_record(&text, &set);

		free(buf);
		fbvars_free(&text);
		fbvars_free(&info);
		fbvars_free(&set);
	}
}

/* ---- hand-written edge cases ---- */

static void
test_slots(void **state)
{
	struct fbvars v;
	const struct fb_slot *s;

	(void)state;
	fbvars_init(&v);
	assert_int_equal(fbvars_set(&v, "current-slot", "_b"), 0);
	assert_string_equal(v.current_slot, "b");
	assert_string_equal(fbvars_get(&v, "current-slot"), "_b");
	assert_int_equal(fbvars_add_info_line(&v, "current-slot:_a"), 0);
	assert_string_equal(v.current_slot, "a");
	assert_int_equal(fbvars_add_info_line(&v, "current-slot: b "), 0);
	assert_string_equal(v.current_slot, "b");
	/* nonsense forgets the old slot: the record follows the raw value */
	assert_int_equal(fbvars_set(&v, "current-slot", "ab"), DM_EINVAL);
	assert_string_equal(v.current_slot, "");
	assert_string_equal(fbvars_get(&v, "current-slot"), "ab");

	assert_int_equal(fbvars_add_info_line(&v, "slot-retry-count:_b:5"),
	    0);
	assert_int_equal(fbvars_set(&v, "slot-unbootable:b", "yes"), 0);
	assert_int_equal(fbvars_add_info_line(&v, "slot-successful:b:x"),
	    DM_EINVAL);
	s = fbvars_slot(&v, "b");
	assert_non_null(s);
	assert_string_equal(s->name, "b");
	assert_int_equal(s->retry_count, 5);
	assert_int_equal(s->unbootable, 1);
	assert_int_equal(s->successful, -1);
	assert_ptr_equal(fbvars_slot(&v, "_b"), s);
	/* a sub-key that is no slot stays raw */
	assert_int_equal(fbvars_add_info_line(&v, "slot-successful:ab:yes"),
	    DM_EINVAL);
	assert_string_equal(fbvars_get(&v, "slot-successful:ab"), "yes");
	assert_null(fbvars_slot(&v, "ab"));
	/* four slots at most; the fifth is refused but kept raw */
	assert_int_equal(fbvars_set(&v, "slot-successful:c", "no"), 0);
	assert_int_equal(fbvars_set(&v, "slot-successful:d", "no"), 0);
	assert_int_equal(fbvars_set(&v, "slot-successful:e", "no"), 0);
	assert_int_equal(fbvars_set(&v, "slot-successful:f", "no"),
	    DM_ENOMEM);
	assert_string_equal(fbvars_get(&v, "slot-successful:f"), "no");
	assert_null(fbvars_slot(&v, "f"));
	fbvars_free(&v);
}

static void
test_sizes(void **state)
{
	struct fbvars v;
	int ok;

	(void)state;
	fbvars_init(&v);
	/* max-download-size: hex only with 0x, else decimal (not octal) */
	assert_int_equal(fbvars_set(&v, "max-download-size", "0x10000000"),
	    0);
	assert_int_equal(v.max_download_size, 268435456);
	assert_int_equal(fbvars_set(&v, "max-download-size", "536870912"),
	    0);
	assert_int_equal(v.max_download_size, 536870912);
	assert_int_equal(fbvars_add_info_line(&v, "max-download-size:010"),
	    0);
	assert_int_equal(v.max_download_size, 10);
	assert_int_equal(fbvars_add_info_line(&v,
	    "max-download-size:0X20"), 0);
	assert_int_equal(v.max_download_size, 32);
	assert_true(v.has_max_download);

	/* partition-size is hex with or without 0x */
	assert_int_equal(fbvars_add_info_line(&v, "partition-size:boot:4000"),
	    0);
	assert_int_equal(psize(&v, "boot"), 0x4000);
	assert_int_equal(fbvars_set(&v, "partition-size:dtbo", "1800000"),
	    0);
	assert_int_equal(psize(&v, "dtbo"), 0x1800000);
	assert_int_equal(fbvars_add_info_line(&v,
	    "partition-size:cache:  0xABCdef  "), 0);
	assert_int_equal(psize(&v, "cache"), 0xabcdef);
	assert_string_equal(fbvars_get(&v, "partition-size:cache"),
	    "0xABCdef");
	/* erase-block-size too */
	assert_int_equal(fbvars_set(&v, "erase-block-size", "1000"), 0);
	assert_int_equal(v.erase_block_size, 0x1000);

	assert_int_equal(fbvars_parse_size("4000", 1, &ok), 0x4000);
	assert_int_equal(ok, 1);
	assert_int_equal(fbvars_parse_size("4000", 0, &ok), 4000);
	assert_int_equal(ok, 1);
	assert_int_equal(fbvars_parse_size(" 0x1000\t", 0, &ok), 4096);
	assert_int_equal(ok, 1);
	assert_int_equal(fbvars_parse_size("18446744073709551615", 0, &ok),
	    UINT64_MAX);
	assert_int_equal(ok, 1);
	assert_int_equal(fbvars_parse_size("0xffffffffffffffff", 0, &ok),
	    UINT64_MAX);
	assert_int_equal(ok, 1);
	assert_int_equal(fbvars_parse_size("0", 0, &ok), 0);
	assert_int_equal(ok, 1);
	assert_int_equal(fbvars_parse_size("18446744073709551616", 0, &ok),
	    0);
	assert_int_equal(ok, 0);
	assert_int_equal(fbvars_parse_size("0x10000000000000000", 0, &ok),
	    0);
	assert_int_equal(ok, 0);
	assert_int_equal(fbvars_parse_size("ff", 0, &ok), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(fbvars_parse_size("12 34", 0, &ok), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(fbvars_parse_size("0x", 0, &ok), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(fbvars_parse_size("", 1, &ok), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(fbvars_parse_size("-1", 0, &ok), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(fbvars_parse_size("+1", 0, &ok), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(fbvars_parse_size(NULL, 0, &ok), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(fbvars_parse_size("0x10", 0, NULL), 16);
	fbvars_free(&v);
}

static void
test_garbage_numbers(void **state)
{
	struct fbvars v;
	const struct fb_part *p;

	(void)state;
	fbvars_init(&v);
	assert_int_equal(fbvars_set(&v, "max-download-size", "256M"),
	    DM_EINVAL);
	assert_false(v.has_max_download);
	assert_string_equal(fbvars_get(&v, "max-download-size"), "256M");
	/* a good value, then a bad one: unknown again, not stale */
	assert_int_equal(fbvars_set(&v, "slot-count", "2"), 0);
	assert_int_equal(v.slot_count, 2);
	assert_int_equal(fbvars_set(&v, "slot-count", "two"), DM_EINVAL);
	assert_int_equal(v.slot_count, -1);
	assert_int_equal(fbvars_set(&v, "slot-count", "99999999999999"),
	    DM_EINVAL);
	assert_int_equal(v.slot_count, -1);
	assert_int_equal(fbvars_set(&v, "battery-voltage", "4.1 V"),
	    DM_EINVAL);
	assert_int_equal(v.battery_mv, -1);
	assert_int_equal(fbvars_set(&v, "battery-voltage", "3900mv"), 0);
	assert_int_equal(v.battery_mv, 3900);
	assert_int_equal(fbvars_set(&v, "battery-voltage", " mV"),
	    DM_EINVAL);
	assert_int_equal(fbvars_set(&v, "battery-soc", "65.64 %"), 0);
	assert_int_equal(v.battery_soc_percent, 65);
	assert_int_equal(fbvars_set(&v, "battery-soc", "101 %"), DM_EINVAL);
	assert_int_equal(v.battery_soc_percent, -1);
	assert_int_equal(fbvars_set(&v, "anti", "-1"), DM_EINVAL);
	assert_int_equal(v.anti, -1);
	assert_int_equal(fbvars_set(&v, "unlocked", "maybe"), DM_EINVAL);
	assert_int_equal(v.unlocked, -1);
	assert_int_equal(fbvars_set(&v, "unlocked", "NO"), 0);
	assert_int_equal(v.unlocked, 0);
	assert_int_equal(fbvars_set(&v, "secure", "true"), 0);
	assert_int_equal(v.secure, 1);
	assert_int_equal(fbvars_set(&v, "battery-soc-ok", ""), DM_EINVAL);
	assert_int_equal(v.battery_soc_ok, -1);

	assert_int_equal(fbvars_add_info_line(&v,
	    "partition-size:boot_a:0xZZ"), DM_EINVAL);
	p = fbvars_part(&v, "boot_a");
	assert_non_null(p);
	assert_false(p->has_size);
	assert_string_equal(fbvars_get(&v, "partition-size:boot_a"), "0xZZ");
	assert_int_equal(fbvars_add_info_line(&v,
	    "is-logical:boot_a:perhaps"), DM_EINVAL);
	assert_int_equal(p->logical, -1);
	assert_int_equal(fbvars_add_info_line(&v, "has-slot:boot:"),
	    DM_EINVAL);
	assert_int_equal(fbvars_has_slot(&v, "boot"), -1);
	assert_int_equal(v.st.bad, 12);
	check_sane(&v);
	fbvars_free(&v);
}

static void
test_overlong(void **state)
{
	struct fbvars v;
	char name[300], value[5000], line[6000];
	const char *r;

	(void)state;
	fbvars_init(&v);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';

	assert_int_equal(fbvars_set(&v, name, "x"), 0);
	assert_int_equal(v.nraw, 1);
	assert_int_equal(strlen(v.raw[0].name), FBVARS_MAX_NAME);
	assert_int_equal(fbvars_set(&v, "serialno", value), 0);
	r = fbvars_get(&v, "serialno");
	assert_int_equal(strlen(r), FBVARS_MAX_VALUE);
	assert_int_equal(strlen(v.serialno), sizeof(v.serialno) - 1);

	/* cut before a two-byte character, never through it */
	memset(line, 'x', 62);
	memcpy(line + 62, "\xc3\xa9", 3);
	assert_int_equal(fbvars_set(&v, "product", line), 0);
	assert_int_equal(strlen(v.product), 62);
	assert_int_equal(strlen(fbvars_get(&v, "product")), 64);
	memset(value, 'v', FBVARS_MAX_VALUE - 1);
	memcpy(value + FBVARS_MAX_VALUE - 1, "\xe2\x9d\xaf", 4);
	assert_int_equal(fbvars_set(&v, "variant", value), 0);
	assert_int_equal(strlen(fbvars_get(&v, "variant")),
	    FBVARS_MAX_VALUE - 1);

	/* a partition name longer than fb_part's: raw only */
	snprintf(line, sizeof(line), "partition-size:%.100s:0x1000", name);
	assert_int_equal(fbvars_add_info_line(&v, line), 0);
	assert_int_equal(v.nparts, 0);
	snprintf(line, sizeof(line), "partition-size:%.100s", name);
	assert_string_equal(fbvars_get(&v, line), "0x1000");
	/* name and sub-key together too long: the raw name is cut */
	snprintf(line, sizeof(line), "partition-type:%.250s:raw", name);
	assert_int_equal(fbvars_add_info_line(&v, line), 0);
	assert_int_equal(v.nparts, 0);

	/* a 5000-byte INFO line */
	snprintf(line, sizeof(line), "token:%s", value);
	memset(line + 6, 't', 5000);
	line[5006] = '\0';
	assert_int_equal(fbvars_add_info_line(&v, line), 0);
	assert_int_equal(strlen(v.token), sizeof(v.token) - 1);
	assert_int_equal(strlen(fbvars_get(&v, "token")), FBVARS_MAX_VALUE);
	assert_true(v.st.cut >= 7);
	check_sane(&v);
	fbvars_free(&v);
}

static void
test_duplicates_and_empty(void **state)
{
	struct fbvars v;
	static const char text[] =
	    "(bootloader) product:first\n"
	    "(bootloader) version-baseband:\n"
	    "(bootloader) unlocked:no\n"
	    "(bootloader) product:second\n"
	    "(bootloader) partition-size:boot_a:0x1000\n"
	    "(bootloader) partition-size:boot_a:0x2000\n"
	    "(bootloader) unlocked:yes\n";

	(void)state;
	fbvars_init(&v);
	assert_int_equal(fbvars_parse_text(&v, text, strlen(text), NULL, 0),
	    7);
	/* last wins, in the place first seen */
	assert_int_equal(v.nraw, 4);
	assert_string_equal(v.raw[0].name, "product");
	assert_string_equal(v.raw[0].value, "second");
	assert_string_equal(v.product, "second");
	assert_int_equal(v.unlocked, 1);
	assert_int_equal(v.nparts, 1);
	assert_int_equal(psize(&v, "boot_a"), 0x2000);
	/* empty is a value, absent is not */
	assert_string_equal(fbvars_get(&v, "version-baseband"), "");
	assert_null(fbvars_get(&v, "version-bootloader"));
	assert_int_equal(fbvars_add_info_line(&v, "version-baseband:"), 0);
	assert_int_equal(fbvars_set(&v, "version-baseband", NULL), 0);
	assert_string_equal(v.version_baseband, "");
	assert_int_equal(fbvars_add_info_line(&v, "partition-type:boot_a:"),
	    0);
	assert_string_equal(ptype(&v, "boot_a"), "");
	assert_int_equal(v.nraw, 5);

	/* free leaves an empty record that can be used again */
	fbvars_free(&v);
	assert_int_equal(v.nraw, 0);
	assert_null(v.raw);
	assert_int_equal(v.unlocked, -1);
	assert_int_equal(fbvars_set(&v, " product ", " again\r\n"), 0);
	assert_string_equal(v.product, "again");
	assert_string_equal(v.raw[0].name, "product");
	fbvars_free(&v);
}

static void
test_not_variables(void **state)
{
	struct fbvars v;
	char err[128];
	static const char bare[] =
	    "$ fastboot getvar product\n"
	    "product: cheetah\n"
	    "Finished. Total time: 0.001s\n"
	    "not a variable\n"
	    "all:\n"
	    ":no name\n"
	    "has-slot:boot\n"
	    "\n";
	static const char junk[] =
	    "\xe2\x9d\xaf fastboot getvar all\n"
	    "< waiting for any device >\n"
	    "all:\n"
	    "Finished. Total time: 0.782s\n";
	static const char mixed[] =
	    "host:~$ fastboot getvar all\n"
	    "  (bootloader)\tproduct:kona\r\n"
	    "product:not-from-the-phone\n"
	    "(bootloader) Partition boot_a flashed successfully\n"
	    "(bootloader)\n";

	(void)state;
	fbvars_init(&v);
	/* no "(bootloader)" anywhere: bare name:value lines count */
	assert_int_equal(fbvars_parse_text(&v, bare, strlen(bare), err,
	    sizeof(err)), 1);
	assert_string_equal(v.product, "cheetah");
	assert_int_equal(v.nraw, 1);
	assert_int_equal(v.st.lines, 8);
	assert_int_equal(v.st.skipped, 7);
	fbvars_free(&v);

	/* only junk: an error, and nothing held */
	err[0] = '\0';
	assert_int_equal(fbvars_parse_text(&v, junk, strlen(junk), err,
	    sizeof(err)), DM_EINVAL);
	assert_true(strlen(err) > 0);
	assert_int_equal(v.nraw, 0);
	assert_int_equal(fbvars_parse_text(&v, "", 0, err, sizeof(err)),
	    DM_EINVAL);
	assert_int_equal(fbvars_parse_text(&v, NULL, 0, NULL, 0), DM_EINVAL);
	fbvars_free(&v);

	/* with "(bootloader)" lines about, bare lines are host chatter */
	assert_int_equal(fbvars_parse_text(&v, mixed, strlen(mixed), NULL, 0),
	    1);
	assert_string_equal(v.product, "kona");
	assert_int_equal(v.st.skipped, 4);
	fbvars_free(&v);

	/* single lines and names */
	assert_int_equal(fbvars_add_info_line(&v, "no colon here"),
	    DM_EINVAL);
	assert_int_equal(fbvars_add_info_line(&v, ""), DM_EINVAL);
	assert_int_equal(fbvars_add_info_line(&v, "bad name:x"), DM_EINVAL);
	assert_int_equal(fbvars_add_info_line(&v, "all:"), DM_EINVAL);
	assert_int_equal(fbvars_add_info_line(&v, "is-logical:system_a"),
	    DM_EINVAL);
	assert_int_equal(fbvars_add_info_line(&v, NULL), DM_EINVAL);
	assert_int_equal(fbvars_set(&v, "bad name", "x"), DM_EINVAL);
	assert_int_equal(fbvars_set(&v, "all", "x"), DM_EINVAL);
	assert_int_equal(fbvars_set(&v, "", "x"), DM_EINVAL);
	assert_int_equal(fbvars_set(&v, "partition-size", "0x10"),
	    DM_EINVAL);
	assert_int_equal(fbvars_set(&v, "partition-size:a:b", "0x10"),
	    DM_EINVAL);
	assert_int_equal(fbvars_set(&v, "partition-size:", "0x10"),
	    DM_EINVAL);
	assert_int_equal(fbvars_set(&v, NULL, "x"), DM_EINVAL);
	assert_int_equal(v.nraw, 0);
	/* a name with an argument we do not know stays whole */
	assert_int_equal(fbvars_set(&v, "oem-thing:arg", "1"), 0);
	assert_string_equal(fbvars_get(&v, "oem-thing:arg"), "1");
	fbvars_free(&v);
}

static void
test_encodings(void **state)
{
	struct fbvars v;
	static const char text[] =
	    "(bootloader) product:alioth\r\n(bootloader) anti:3\r\n";
	char le[2 * sizeof(text) + 2], be[sizeof(le)], bom8[sizeof(text) + 3];
	size_t n = strlen(text);
	static const char nul[] = "(bootloader) serialno:ab\0cd\n"
	    "(bootloader) crc:\x1b[0m\n";

	(void)state;
	le[0] = (char)0xff;
	le[1] = (char)0xfe;
	for (size_t i = 0; i < n; i++) {
		le[2 + 2 * i] = text[i];
		le[3 + 2 * i] = 0;
		be[2 * i] = 0;
		be[2 * i + 1] = text[i];
	}
	fbvars_init(&v);
	assert_int_equal(fbvars_parse_text(&v, le, 2 + 2 * n, NULL, 0), 2);
	assert_string_equal(v.product, "alioth");
	assert_int_equal(v.anti, 3);
	fbvars_free(&v);
	/* UTF-16BE without a BOM, known by its NUL bytes */
	assert_int_equal(fbvars_parse_text(&v, be, 2 * n, NULL, 0), 2);
	assert_string_equal(v.product, "alioth");
	fbvars_free(&v);
	memcpy(bom8, "\xef\xbb\xbf", 3);
	memcpy(bom8 + 3, text, n);
	assert_int_equal(fbvars_parse_text(&v, bom8, n + 3, NULL, 0), 2);
	assert_string_equal(v.raw[0].name, "product");
	fbvars_free(&v);

	/* NUL and escape bytes never reach a value */
	assert_int_equal(fbvars_parse_text(&v, nul, sizeof(nul) - 1, NULL, 0),
	    2);
	assert_string_equal(v.serialno, "ab?cd");
	assert_string_equal(v.crc, "?[0m");
	fbvars_free(&v);
}

static void
test_caps(void **state)
{
	struct fbvars v;
	char name[32];
	int rc;

	(void)state;
	fbvars_init(&v);
	for (int i = 0; i < FBVARS_MAX_VARS + 10; i++) {
		snprintf(name, sizeof(name), "var%d", i);
		rc = fbvars_set(&v, name, "1");
		assert_int_equal(rc, i < FBVARS_MAX_VARS ? 0 : DM_ENOMEM);
	}
	assert_int_equal(v.nraw, FBVARS_MAX_VARS);
	assert_int_equal(v.st.dropped, 10);
	assert_null(fbvars_get(&v, "var4096"));
	/* a name already held can still change */
	assert_int_equal(fbvars_set(&v, "var7", "2"), 0);
	assert_string_equal(fbvars_get(&v, "var7"), "2");
	fbvars_free(&v);

	for (int i = 0; i < FBVARS_MAX_PARTS + 3; i++) {
		snprintf(name, sizeof(name), "is-logical:p%d", i);
		rc = fbvars_set(&v, name, "no");
		assert_int_equal(rc, i < FBVARS_MAX_PARTS ? 0 : DM_ENOMEM);
	}
	assert_int_equal(v.nparts, FBVARS_MAX_PARTS);
	assert_int_equal(v.nraw, FBVARS_MAX_PARTS + 3);
	assert_int_equal(v.st.dropped, 3);
	check_sane(&v);
	fbvars_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cheetah),
		cmocka_unit_test(test_lg_bootloader),
		cmocka_unit_test(test_lg_fastbootd),
		cmocka_unit_test(test_alioth),
		cmocka_unit_test(test_three_ways),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_garbage_numbers),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_duplicates_and_empty),
		cmocka_unit_test(test_not_variables),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_caps),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
