/* t_simprofile.c - loading simulated phones: JSON errors reported with
 * file, line and column; unknown keys; missing fixtures naming the file
 * and the variable; fault specs; and the property readers underneath
 * (UTF-16 with a BOM and CRLF, getprop with multi-line values, build.prop
 * with "?=", init's ro.product derivation). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "profile.h"
#include "propdb.h"

static char dir[64];
static char err[1024];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/t_simprofile.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
write_file(const char *name, const void *data, size_t len)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
	return path;
}

static int
load_text(const char *text, const char *fixtures, struct profile **p)
{
	char *path = write_file("p.json", text, strlen(text));

	return profile_load(p, path, fixtures, err, sizeof(err));
}

#define IDENT "\"props\": { \"ro.product.name\": \"n\", " \
	"\"ro.product.model\": \"M\", \"ro.product.device\": \"d\" }"

static void
test_minimal(void **state)
{
	struct profile *p = NULL;

	(void)state;
	assert_int_equal(load_text("{ \"serial\": \"ABC123\", " IDENT " }",
	    NULL, &p), 0);
	assert_string_equal(p->serial, "ABC123");
	assert_int_equal(p->mode, SIM_MODE_DEVICE);
	assert_int_equal(p->version, 0x01000001);
	assert_int_equal(p->max_payload, 1048576);
	assert_int_equal(p->auth, SIM_AUTH_NONE);
	assert_string_equal(propdb_get(p->props, "ro.serialno"), "ABC123");
	assert_non_null(strstr(p->uname, "Toybox"));
	profile_free(p);

	assert_int_equal(load_text("{ \"serial\": \"OLD\", \"version\": "
	    "\"0x01000000\", \"max_payload\": 4096, \"auth\": \"prompt\", "
	    "\"auth_delay_ms\": 250, \"mode\": \"recovery\", \"features\": "
	    "[\"shell_v2\", \"cmd\"], " IDENT " }", NULL, &p), 0);
	assert_int_equal(p->version, 0x01000000);
	assert_int_equal(p->max_payload, 4096);
	assert_int_equal(p->auth, SIM_AUTH_PROMPT);
	assert_int_equal(p->auth_delay_ms, 250);
	assert_int_equal(p->mode, SIM_MODE_RECOVERY);
	assert_string_equal(p->features, "shell_v2,cmd");
	profile_free(p);
}

static void
test_json_error_position(void **state)
{
	struct profile *p = (struct profile *)1;

	(void)state;
	assert_int_equal(load_text("{\n  \"serial\": \"X\",\n  \"mode\": "
	    "device\n}\n", NULL, &p), DM_EINVAL);
	assert_null(p);
	/* "p.json:3:11: JSON syntax error near "device..." */
	assert_non_null(strstr(err, "p.json:3:11: JSON syntax error"));
	assert_non_null(strstr(err, "device"));

	assert_int_equal(load_text("{ \"serial\": \"X\", }", NULL, &p),
	    DM_EINVAL);
	assert_non_null(strstr(err, "p.json:1:"));
	assert_int_equal(load_text("", NULL, &p), DM_EINVAL);
	assert_non_null(strstr(err, "JSON syntax error"));
	assert_int_equal(load_text("[1, 2]", NULL, &p), DM_EINVAL);
	assert_non_null(strstr(err, "top level must be an object"));
	assert_int_equal(profile_load(&p, "/nonexistent/x.json", NULL, err,
	    sizeof(err)), DM_ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.json"));
}

static void
test_bad_values(void **state)
{
	struct profile *p = NULL;

	(void)state;
	assert_int_equal(load_text("{ \"serial\": \"X\", \"feature\": [], "
	    IDENT " }", NULL, &p), DM_EINVAL);
	assert_non_null(strstr(err, "unknown key \"feature\""));
	assert_int_equal(load_text("{ \"serial\": \"a/b\", " IDENT " }", NULL,
	    &p), DM_EINVAL);
	assert_non_null(strstr(err, "serial"));
	assert_int_equal(load_text("{ \"serial\": \"X\", \"mode\": \"edl\", "
	    IDENT " }", NULL, &p), DM_EINVAL);
	assert_non_null(strstr(err, "\"mode\""));
	assert_int_equal(load_text("{ \"serial\": \"X\", \"max_payload\": "
	    "2000000, " IDENT " }", NULL, &p), DM_EINVAL);
	assert_non_null(strstr(err, "max_payload"));
	assert_int_equal(load_text("{ \"serial\": \"X\", \"auth\": \"maybe\", "
	    IDENT " }", NULL, &p), DM_EINVAL);
	assert_int_equal(load_text("{ \"serial\": \"X\" }", NULL, &p),
	    DM_EINVAL);
	assert_non_null(strstr(err, "ro.product.name"));
	assert_int_equal(load_text("{ " IDENT " }", NULL, &p), DM_EINVAL);
	assert_non_null(strstr(err, "\"serial\" is missing"));
	assert_int_equal(load_text("{ \"serial\": \"X\", \"storage\": "
	    "[ { \"path\": \"/sdcard/d\", \"dir\": true, \"size\": 5 } ], "
	    IDENT " }", NULL, &p), DM_EINVAL);
	assert_non_null(strstr(err, "/sdcard/d"));
	assert_int_equal(load_text("{ \"serial\": \"X\", \"commands\": "
	    "{ \"ls\": { \"stdout\": \"a\", \"exitcode\": 1 } }, " IDENT " }",
	    NULL, &p), DM_EINVAL);
	assert_non_null(strstr(err, "exitcode"));
	assert_int_equal(load_text("{ \"serial\": \"X\", \"faults\": "
	    "[ \"explode@cnxn\" ], " IDENT " }", NULL, &p), DM_EINVAL);
	assert_non_null(strstr(err, "explode"));
	assert_null(p);
}

static void
test_fixtures(void **state)
{
	static const char getprop[] = "getprop\n[ro.product.device]: [fx]\n"
	    "[ro.product.model]: [FX 1]\n[ro.product.name]: [fx_eea]\n"
	    "[ro.serialno]: [FIX0001]\n";
	struct profile *p = NULL;
	char fixtures[128];

	(void)state;
	snprintf(fixtures, sizeof(fixtures), "%s/fx", dir);
	mkdir(fixtures, 0700);
	write_file("fx/getprop.txt", getprop, sizeof(getprop) - 1);
	write_file("fx/pm.txt", "$ pm list packages\npackage:a\npackage:b\n",
	    39);

	/* No "serial": the capture's ro.serialno. */
	assert_int_equal(load_text("{ "
	    "\"getprop_fixture\": \"getprop.txt\", \"commands\": { \"pm list "
	    "packages\": { \"fixture\": \"pm.txt\", \"skip_lines\": 1 } } }",
	    fixtures, &p), 0);
	assert_string_equal(p->serial, "FIX0001");
	assert_string_equal(propdb_get(p->props, "ro.product.model"), "FX 1");
	assert_int_equal(p->ncmds, 1);
	assert_string_equal(profile_command(p, "pm list packages")->out,
	    "package:a\npackage:b\n");
	assert_null(profile_command(p, "pm list packages -f"));
	profile_free(p);

	/* Missing: the file and the variable are named. */
	assert_int_equal(load_text("{ \"serial\": \"X\", \"getprop_fixture\": "
	    "\"getprop/nope.txt\" }", fixtures, &p), DM_ENOENT);
	assert_non_null(strstr(err, "getprop/nope.txt"));
	assert_non_null(strstr(err, "DROIDMEDIC_FIXTURES"));
	assert_non_null(strstr(err, "No such file"));
	/* No fixtures directory at all. */
	assert_int_equal(load_text("{ \"serial\": \"X\", \"build_prop_fixtures"
	    "\": [ \"a/build.prop\" ] }", NULL, &p), DM_ENOENT);
	assert_non_null(strstr(err, "a/build.prop"));
	assert_non_null(strstr(err, "--fixtures"));
	assert_non_null(strstr(err, "DROIDMEDIC_FIXTURES"));
	/* Out of the fixtures directory: refused. */
	assert_int_equal(load_text("{ \"serial\": \"X\", \"getprop_fixture\": "
	    "\"../../etc/passwd\" }", fixtures, &p), DM_EINVAL);
	assert_int_equal(load_text("{ \"serial\": \"X\", \"getprop_fixture\": "
	    "\"/etc/passwd\" }", fixtures, &p), DM_EINVAL);
	assert_null(p);
}

static void
test_faults(void **state)
{
	struct fault f;

	(void)state;
	assert_int_equal(profile_parse_fault(&f, "close@recv+1048576", err,
	    sizeof(err)), 0);
	assert_int_equal(f.type, FAULT_CLOSE);
	assert_int_equal(f.when, FAULT_AT_RECV);
	assert_int_equal(f.after_bytes, 1048576);
	assert_int_equal(profile_parse_fault(&f, "stall@open", err,
	    sizeof(err)), 0);
	assert_int_equal(f.type, FAULT_STALL);
	assert_int_equal(f.when, FAULT_AT_OPEN);
	assert_int_equal(profile_parse_fault(&f, "bad_magic", err,
	    sizeof(err)), 0);
	assert_int_equal(f.when, FAULT_AT_WRTE);
	assert_int_equal(profile_parse_fault(&f, "oversize@cnxn", err,
	    sizeof(err)), 0);
	assert_int_equal(profile_parse_fault(&f, "truncate@wrte", err,
	    sizeof(err)), 0);
	assert_int_equal(profile_parse_fault(&f, "bad_checksum@recv+0", err,
	    sizeof(err)), 0);
	assert_int_equal(profile_parse_fault(&f, "close+5", err,
	    sizeof(err)), DM_EINVAL);
	assert_int_equal(profile_parse_fault(&f, "close@later", err,
	    sizeof(err)), DM_EINVAL);
	assert_int_equal(profile_parse_fault(&f, "close@recv+x", err,
	    sizeof(err)), DM_EINVAL);
	assert_int_equal(profile_parse_fault(&f, "", err, sizeof(err)),
	    DM_EINVAL);
}

static void
test_decode_utf16(void **state)
{
	/* BOM, "[a]: [é]\r\n[b]: [😀]\r\n" in UTF-16LE. */
	static const char *const want = "[a]: [\xc3\xa9]\n[b]: "
	    "[\xf0\x9f\x98\x80]\n";
	uint8_t in[128];
	size_t n = 0, outlen;
	const char *ascii1 = "[a]: [", *ascii2 = "]\r\n[b]: [";
	char *out;

	(void)state;
	in[n++] = 0xff;
	in[n++] = 0xfe;
	for (const char *c = ascii1; *c; c++) {
		in[n++] = (uint8_t)*c;
		in[n++] = 0;
	}
	in[n++] = 0xe9;
	in[n++] = 0x00;
	for (const char *c = ascii2; *c; c++) {
		in[n++] = (uint8_t)*c;
		in[n++] = 0;
	}
	in[n++] = 0x3d;		/* U+1F600 = D83D DE00 */
	in[n++] = 0xd8;
	in[n++] = 0x00;
	in[n++] = 0xde;
	for (const char *c = "]\r\n"; *c; c++) {
		in[n++] = (uint8_t)*c;
		in[n++] = 0;
	}
	assert_int_equal(propdb_decode(in, n, &out, &outlen, err,
	    sizeof(err)), 0);
	assert_string_equal(out, want);
	assert_int_equal(outlen, strlen(want));
	free(out);
	/* Odd length: refused; UTF-8 BOM and CRLF: cleaned. */
	assert_int_equal(propdb_decode(in, n - 1, &out, &outlen, err,
	    sizeof(err)), DM_EINVAL);
	assert_int_equal(propdb_decode((const uint8_t *)"\xef\xbb\xbfx=1\r\n",
	    8, &out, &outlen, err, sizeof(err)), 0);
	assert_string_equal(out, "x=1\n");
	free(out);
}

static void
test_getprop_and_buildprop(void **state)
{
	static const char gp[] = "getprop\n[a.b]: [1]\n[multi]: [line one\n"
	    "line two]\n[empty]: []\nnoise line\n[z]: [last]";
	static const char bp[] = "# comment\n  ro.x = spaced value \n"
	    "import /vendor/etc/other.prop\nro.opt?=no\nro.set=1\nro.set?=2\n"
	    "novalue\nro.product.odm.model=ODM-M\nro.product.system.model=SYS\n"
	    "ro.product.odm.device=odmdev\nro.product.property_source_order="
	    "odm,vendor,product,system_ext,system\n";
	struct propdb *db = propdb_new();
	char *text;
	size_t len;
	struct propdb *again = propdb_new();

	(void)state;
	assert_int_equal(propdb_load_getprop(db, gp, strlen(gp), err,
	    sizeof(err)), 4);
	assert_string_equal(propdb_get(db, "multi"), "line one\nline two");
	assert_string_equal(propdb_get(db, "empty"), "");
	assert_string_equal(propdb_get(db, "z"), "last");
	assert_null(propdb_get(db, "noise line"));
	assert_int_equal(propdb_load_buildprop(db, bp, strlen(bp), err,
	    sizeof(err)), 8);
	assert_string_equal(propdb_get(db, "ro.x"), "spaced value");
	assert_string_equal(propdb_get(db, "ro.opt"), "no");
	assert_string_equal(propdb_get(db, "ro.set"), "1");
	propdb_derive_product(db);
	assert_string_equal(propdb_get(db, "ro.product.model"), "ODM-M");
	assert_string_equal(propdb_get(db, "ro.product.device"), "odmdev");
	assert_null(propdb_get(db, "ro.product.brand"));
	/* Sorted, and what getprop prints reads back the same. */
	for (size_t i = 1; i < propdb_count(db); i++)
		assert_true(strcmp(propdb_key(db, i - 1),
		    propdb_key(db, i)) < 0);
	text = propdb_format(db, &len);
	assert_non_null(strstr(text, "[multi]: [line one\nline two]\n"));
	assert_int_equal(propdb_load_getprop(again, text, len, err,
	    sizeof(err)), (int)propdb_count(db));
	for (size_t i = 0; i < propdb_count(db); i++)
		assert_string_equal(propdb_value(again, i),
		    propdb_value(db, i));
	free(text);
	assert_int_equal(propdb_load_getprop(again, "nothing\n", 8, err,
	    sizeof(err)), DM_EINVAL);
	propdb_free(again);
	propdb_free(db);
}

/* A fixture edited by "replace"; effects waiting on files. */
static void
test_replace_and_files(void **state)
{
	struct profile *p = NULL;
	char fixtures[128];

	(void)state;
	snprintf(fixtures, sizeof(fixtures), "%s/rp", dir);
	mkdir(fixtures, 0700);
	write_file("rp/log.txt", "mode: ON\nvalue=ON, mode: ON\n", 28);
	assert_int_equal(load_text("{ \"serial\": \"X\", \"commands\": { "
	    "\"logcat\": { \"fixture\": \"log.txt\", \"replace\": { "
	    "\"mode: ON\": \"mode: OFF\", \"value=ON\": \"v=\" } } }, "
	    "\"effects\": [ { \"files\": { \"/efs/a\": \"ON\" }, "
	    "\"props\": { \"x.y\": \"1\" } } ], " IDENT " }", fixtures,
	    &p), 0);
	assert_string_equal(profile_command(p, "logcat")->out,
	    "mode: OFF\nv=, mode: OFF\n");
	assert_int_equal(profile_command(p, "logcat")->outlen, 24);
	assert_int_equal(p->effects[0].nfiles, 1);
	assert_int_equal(p->effects[0].nafter, 0);
	profile_free(p);
	/* A text the fixture does not hold: named. */
	assert_int_equal(load_text("{ \"serial\": \"X\", \"commands\": { "
	    "\"logcat\": { \"fixture\": \"log.txt\", \"replace\": { "
	    "\"mode: OF\": \"x\" } } }, " IDENT " }", fixtures, &p),
	    DM_EINVAL);
	assert_non_null(strstr(err, "\"mode: OF\" is not in the fixture"));
	/* replace without a fixture; files with a relative path. */
	assert_int_equal(load_text("{ \"serial\": \"X\", \"commands\": { "
	    "\"ls\": { \"stdout\": \"a\", \"replace\": { \"a\": \"b\" } "
	    "} }, " IDENT " }", fixtures, &p), DM_EINVAL);
	assert_non_null(strstr(err, "edits a \"fixture\""));
	assert_int_equal(load_text("{ \"serial\": \"X\", \"effects\": [ { "
	    "\"files\": { \"efs/a\": \"ON\" } } ], " IDENT " }", fixtures,
	    &p), DM_EINVAL);
	assert_non_null(strstr(err, "absolute path"));
	assert_int_equal(load_text("{ \"serial\": \"X\", \"su\": \"yes\", "
	    IDENT " }", fixtures, &p), DM_EINVAL);
	assert_null(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_json_error_position),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_decode_utf16),
		cmocka_unit_test(test_getprop_and_buildprop),
		cmocka_unit_test(test_replace_and_files),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
