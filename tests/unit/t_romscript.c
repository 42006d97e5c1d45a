/* t_romscript.c - the Xiaomi flash-script reader on the real scripts
 * (Redmi K20 Pro raphaelin, Pad 6 Pro liuqin, Redmi 6 cereus), AOSP
 * android-info.txt files (Pixel 6, 7 Pro, 9 Pro Fold, Redmi K70) and
 * Xiaomi misc.txt, then hand-made lines the reader must refuse.
 *
 * The scripts are read at run time from $DROIDMEDIC_FIXTURES (see
 * ../lib/fixtures.h); a missing one fails the test. */
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
#include "romscript.h"

#include "../lib/fixtures.h"

#define RS	"rom_scripts/"
#define K20	RS "xiaomi_redmi_k20pro_raphaelin_V12.0.5.0.QFKINXM_"
#define PAD	RS "xiaomi_pad6pro_liuqin_OS2.0.203.0.VMYCNXM_"

static void
parse_fixture(const char *rel, struct rs_script *s)
{
	char err[256] = "";
	size_t len;
	char *buf;

	fixtures_required();
	buf = load(rel, &len);
	if (rs_parse_xiaomi(buf, len, s, err, sizeof(err)) != 0)
		fail_msg("%s: %s", rel, err);
	free(buf);
}

static const struct rs_step *
find(const struct rs_script *s, enum rs_kind k, const char *part)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->steps[i].kind == k && (part == NULL ||
		    strcmp(s->steps[i].part, part) == 0))
			return &s->steps[i];
	return NULL;
}

static size_t
count(const struct rs_script *s, enum rs_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->steps[i].kind == k;
	return n;
}

/* A/B tablet, anti index from images/anti_version.txt, crc block. */
static void
test_liuqin_flash_all(void **state)
{
	struct rs_script s;
	const struct rs_step *st;

	(void)state;
	parse_fixture(PAD "flash_all.sh.txt", &s);
	assert_string_equal(s.product, "liuqin");
	assert_int_equal(s.anti, -1);
	assert_string_equal(s.anti_file, "images/anti_version.txt");
	assert_true(s.anti_check);
	/* crclist and sparsecrclist only when the phone says crc: 1 */
	st = find(&s, RS_FLASH, "crclist");
	assert_non_null(st);
	assert_true(st->if_crc);
	assert_string_equal(st->file, "images/crclist.txt");
	assert_true(find(&s, RS_FLASH, "sparsecrclist")->if_crc);
	/* the first step outside the block is erase boot_ab */
	st = find(&s, RS_ERASE, NULL);
	assert_string_equal(st->part, "boot_ab");
	assert_false(st->if_crc);
	assert_true(st->checked);
	st = find(&s, RS_FLASH, "xbl_ab");
	assert_string_equal(st->file, "images/xbl_s.melf");
	assert_true(find(&s, RS_FLASH, "userdata") != NULL);
	assert_true(find(&s, RS_FLASH, "metadata") != NULL);
	assert_string_equal(find(&s, RS_SET_ACTIVE, NULL)->part, "a");
	assert_int_equal(count(&s, RS_REBOOT), 1);
	assert_int_equal(count(&s, RS_OEM_LOCK), 0);
	assert_int_equal(s.steps[s.n - 1].kind, RS_REBOOT);
	/* 42 flashes (2 in the crc block), 3 erases, set_active, reboot */
	assert_int_equal(count(&s, RS_FLASH), 42);
	assert_int_equal(count(&s, RS_ERASE), 3);
	assert_int_equal(s.n, 47);
	for (size_t i = 0; i < s.n; i++)
		assert_true(s.steps[i].checked);
	rs_script_free(&s);
}

/* except_storage: the same without metadata and userdata. */
static void
test_liuqin_except_storage(void **state)
{
	struct rs_script a, b;

	(void)state;
	parse_fixture(PAD "flash_all.sh.txt", &a);
	parse_fixture(PAD "flash_all_except_storage.sh.txt", &b);
	assert_null(find(&b, RS_FLASH, "userdata"));
	assert_null(find(&b, RS_FLASH, "metadata"));
	assert_null(find(&b, RS_ERASE, "metadata"));
	assert_int_equal(a.n - b.n, 3);
	rs_script_free(&a);
	rs_script_free(&b);
}

/* A-only phone, CURRENT_ANTI_VER=1 written out, the bak copies, the
 * commented-out lines, oem lock at the end. */
static void
test_raphaelin_lock(void **state)
{
	struct rs_script s;

	(void)state;
	parse_fixture(K20 "flash_all_lock.sh.txt", &s);
	assert_string_equal(s.product, "raphaelin");
	assert_int_equal(s.anti, 1);
	assert_string_equal(s.anti_file, "");
	assert_true(s.anti_check);
	assert_true(s.anti_line < s.product_line);
	assert_non_null(find(&s, RS_FLASH, "xblbak"));
	assert_null(find(&s, RS_FLASH, "storsecbak"));	/* commented out */
	assert_false(find(&s, RS_FLASH, "crclist")->if_crc);
	assert_string_equal(find(&s, RS_ERASE, NULL)->part, "boot");
	assert_int_equal(count(&s, RS_OEM_LOCK), 1);
	assert_int_equal(count(&s, RS_REBOOT), 0);
	assert_int_equal(s.steps[s.n - 1].kind, RS_OEM_LOCK);
	rs_script_free(&s);
	parse_fixture(K20 "flash_all.sh.txt", &s);
	assert_int_equal(count(&s, RS_OEM_LOCK), 0);
	assert_int_equal(s.steps[s.n - 1].kind, RS_REBOOT);
	rs_script_free(&s);
	parse_fixture(K20 "flash_all_except_storage.sh.txt", &s);
	assert_null(find(&s, RS_FLASH, "userdata"));
	rs_script_free(&s);
}

/* MediaTek: SCRIPT_PATH, handle_error(), unchecked oem lock and reboot,
 * exit 0. */
static void
test_cereus_mtk(void **state)
{
	struct rs_script s;
	const struct rs_step *st;

	(void)state;
	parse_fixture(RS "xiaomi_redmi6_cereus_mtk_flash_all_lock.sh.txt", &s);
	assert_string_equal(s.product, "cereus");
	assert_false(s.anti_check);
	st = find(&s, RS_FLASH, "preloader");
	assert_string_equal(st->file, "images/preloader_cereus.bin");
	assert_true(st->checked);
	assert_false(find(&s, RS_OEM_LOCK, NULL)->checked);
	assert_false(find(&s, RS_REBOOT, NULL)->checked);
	assert_int_equal(count(&s, RS_FLASH), 23);
	rs_script_free(&s);
}

static int
parse_text(const char *text, char *err, size_t errlen)
{
	struct rs_script s;
	int rc = rs_parse_xiaomi(text, strlen(text), &s, err, errlen);

	if (rc == 0)
		rs_script_free(&s);
	return rc;
}

#define HEAD	"fastboot $* getvar product 2>&1 | grep \"^product: *x\"\n" \
		"if [ $? -ne 0 ] ; then echo \"no\"; exit 1; fi\n"

/* What is not a known form stops the reading, with the line quoted. */
static void
test_refusals(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ HEAD "rm -rf /\n", "line 3: not a form" },
		{ HEAD "fastboot $* flash boot /etc/passwd\n", "line 3:" },
		{ HEAD "fastboot $* flash boot `dirname $0`/../x.img\n",
		    "line 3:" },
		{ HEAD "fastboot $* flash boot `dirname $0`/images/\n",
		    "line 3:" },
		{ HEAD "fastboot $* flash boot `dirname $0`/a.img; rm x\n",
		    "line 3:" },
		{ HEAD "fastboot $* flash boot `dirname $0`/a.img && rm x\n",
		    "line 3:" },
		{ HEAD "fastboot $* oem unlock\n", "does not know" },
		{ HEAD "fastboot $* flashing unlock\n", "does not know" },
		{ HEAD "fastboot $* flash boot ${SCRIPT_PATH}/b.img\n",
		    "SCRIPT_PATH is used before" },
		{ HEAD "fastboot $* erase x || handle_error e\n",
		    "before it is defined" },
		{ HEAD "fastboot $* erase x || echo hi\n", "handle_error" },
		{ HEAD "fastboot $* set_active z\n", "unknown slot" },
		{ HEAD "fi\n", "closes no if" },
		{ "fastboot $* getvar product 2>&1 | grep \"^product: *x\"\n"
		  "fastboot $* erase boot\n", "stops nothing" },
		{ HEAD "fastboot $* getvar crc 2>&1 | grep \"^crc: 1\"\n"
		  "if [ $? -eq 0 ]; then\nfastboot $* reboot\n",
		  "inside an if" },
		{ HEAD "if [ $? -ne 0 ] ; then echo \"x\"; exit 1; fi\n",
		    "after no fastboot" },
		{ HEAD "exit 0\nfastboot $* reboot\n", "after \"exit 0\"" },
		{ HEAD "if [ $ver -gt $CURRENT_ANTI_VER ]; then echo \"a\"; "
		  "exit 1; fi\n", "before the phone's index" },
		{ HEAD, "flashes nothing" },
		{ HEAD "fastboot $* getvar product 2>&1 | grep \"^product: *y\"\n"
		  "fastboot $* reboot\n", "second product check" },
		{ HEAD "fastboot $* reboot\x01\n", "control characters" },
		{ "fastboot $* getvar product 2>&1 | grep product\n",
		  "product check droidmedic does not know" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (parse_text(cases[i].text, err, sizeof(err)) != DM_EINVAL)
			fail_msg("case %zu was accepted", i);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
			    cases[i].want);
	}
	/* Blanks, tabs, CRLF and a BOM are no reason to refuse. */
	assert_int_equal(parse_text("\xef\xbb\xbf" HEAD
	    "fastboot\t$*  flash   boot  `dirname $0`/images/boot.img \r\n"
	    "if [ $? -ne 0  ] ; then echo \"e\"; exit 1; fi\r\n"
	    "fastboot $* reboot\r\n", err, sizeof(err)), 0);
}

static void
test_android_info(void **state)
{
	static const char *const files[] = {
		RS "google_pixel6_oriole_factory_android-info.txt",
		RS "google_pixel7pro_cheetah_factory_android-info.txt",
		RS "google_pixel9profold_comet_factory_android-info.txt",
		RS "xiaomi_redmi_k70_vermeer_device_tree_board-info.txt",
		RS "xiaomi_14_houji_OS1.0.9.0.UNCCNXM_board-info.txt",
	};
	struct rs_reqs q;
	char err[256];
	size_t len;
	char *buf;
	int found = 0;

	(void)state;
	fixtures_required();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		buf = load(files[i], &len);
		if (rs_parse_android_info(buf, len, &q, err, sizeof(err)))
			fail_msg("%s: %s", files[i], err);
		assert_true(q.n >= 1);
		for (size_t k = 0; k < q.n; k++)
			if (strcmp(q.r[k].var, "product") == 0 &&
			    rs_req_matches(&q.r[k], "cheetah")) {
				found++;
				assert_int_equal(q.r[k].nvalues, 4);
				assert_false(rs_req_matches(&q.r[k], "oriole"));
			}
		rs_reqs_free(&q);
		free(buf);
	}
	assert_int_equal(found, 1);
	buf = "require-for-product:raven version-bootloader=slider-1.*\n"
	    "reject board=foo\n# note\n\nrequire partition-exists=vendor_kernel_boot\n";
	assert_int_equal(rs_parse_android_info(buf, strlen(buf), &q, err,
	    sizeof(err)), 0);
	assert_int_equal(q.n, 3);
	assert_string_equal(q.r[0].for_product, "raven");
	assert_true(rs_req_matches(&q.r[0], "slider-1.2-77"));
	assert_false(rs_req_matches(&q.r[0], "slider-2.0"));
	assert_true(q.r[1].reject);
	assert_string_equal(q.r[1].var, "product");
	assert_string_equal(q.r[2].var, "partition-exists");
	rs_reqs_free(&q);
	buf = "require board\n";
	assert_int_equal(rs_parse_android_info(buf, strlen(buf), &q, err,
	    sizeof(err)), DM_EINVAL);
	assert_non_null(strstr(err, "line 1"));
	buf = "flash boot\n";
	assert_int_equal(rs_parse_android_info(buf, strlen(buf), &q, err,
	    sizeof(err)), DM_EINVAL);
}

static void
test_misc(void **state)
{
	char v[64];
	size_t len;
	char *buf;

	(void)state;
	fixtures_required();
	buf = load(PAD "misc.txt", &len);
	assert_int_equal(rs_misc_value(buf, len, "device", v, sizeof(v)), 0);
	assert_string_equal(v, "liuqin");
	assert_int_equal(rs_misc_value(buf, len, "build_number", v,
	    sizeof(v)), 0);
	assert_string_equal(v, "OS2.0.203.0.VMYCNXM");
	assert_int_equal(rs_misc_value(buf, len, "nothing", v, sizeof(v)),
	    DM_ENOENT);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_liuqin_flash_all),
		cmocka_unit_test(test_liuqin_except_storage),
		cmocka_unit_test(test_raphaelin_lock),
		cmocka_unit_test(test_cereus_mtk),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_android_info),
		cmocka_unit_test(test_misc),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
