/* t_catalog.c - firmware catalogs: hand-made ones read, searched by
 * codename and region (newest first) and by words, looked up by hash and
 * by file name; each malformed file or entry left out with its reason
 * while the rest is used; and the shipped sample catalog reads whole. */
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

#include "catalog.h"

#define H64A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define H64B	"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define H32C	"cccccccccccccccccccccccccccccccc"

static const char good[] =
    "{\"catalog\": 1, \"name\": \"bench\", \"devices\": ["
    " {\"vendor\": \"Xiaomi\", \"names\": [\"POCO F3\", \"Redmi K40\"],"
    "  \"models\": [\"M2012K11AG\"], \"codenames\": [\"alioth\", \"aliothin\"],"
    "  \"builds\": ["
    "   {\"version\": \"V12.5.2.0.RKHMIXM\", \"android\": \"11\","
    "    \"date\": \"2021-08-01\", \"region\": \"MI\", \"type\": "
    "    \"xiaomi-fastboot-tgz\", \"file\": \"alioth_old.tgz\","
    "    \"urls\": [\"https://example.invalid/a.tgz\"], \"size\": 100,"
    "    \"sha256\": \"" H64A "\"},"
    "   {\"version\": \"V14.0.4.0.TKHMIXM\", \"android\": \"13\","
    "    \"date\": \"2023-05-02\", \"region\": \"Global\", \"type\": "
    "    \"xiaomi-fastboot-tgz\", \"file\": \"alioth_new.tgz\","
    "    \"urls\": [\"https://example.invalid/b.tgz\", "
    "     \"file:///srv/roms/b.tgz\"], \"md5\": \"" H32C "\"},"
    "   {\"version\": \"V14.0.6.0.TKHCNXM\", \"android\": \"13\","
    "    \"date\": \"2023-06-20\", \"region\": \"CN\", \"type\": "
    "    \"xiaomi-fastboot-tgz\", \"sha256\": \"" H64B "\", \"_note\": 1}"
    "  ]},"
    " {\"vendor\": \"Google\", \"names\": [\"Pixel 7 Pro\"], \"codenames\":"
    "  [\"cheetah\"], \"builds\": [{\"version\": \"AP2A.240805.005\","
    "  \"type\": \"aosp-factory-zip\", \"carrier\": null}]}"
    "]}";

static void
test_read_and_search(void **state)
{
	const struct cat_build *v[8];
	struct catalog c;
	size_t n;

	(void)state;
	catalog_init(&c);
	assert_int_equal(catalog_add_text(&c, "good.json", good,
	    strlen(good)), 4);
	assert_int_equal(c.nerrors, 0);
	/* by codename (any of them, any case), newest first */
	n = catalog_for(&c, "ALIOTHIN", NULL, v, 8);
	assert_int_equal(n, 3);
	assert_string_equal(v[0]->version, "V14.0.6.0.TKHCNXM");
	assert_string_equal(v[1]->version, "V14.0.4.0.TKHMIXM");
	assert_string_equal(v[2]->version, "V12.5.2.0.RKHMIXM");
	assert_string_equal(v[0]->codenames, "alioth,aliothin");
	assert_string_equal(v[0]->name, "POCO F3");
	assert_string_equal(v[0]->sha256, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	/* the phone's region first; "MI" is Global */
	n = catalog_for(&c, "alioth", "Global", v, 8);
	assert_int_equal(n, 3);
	assert_string_equal(v[0]->version, "V14.0.4.0.TKHMIXM");
	assert_string_equal(v[1]->version, "V12.5.2.0.RKHMIXM");
	assert_string_equal(v[2]->version, "V14.0.6.0.TKHCNXM");
	assert_int_equal(catalog_region_is(v[1], "global"), 1);
	assert_int_equal(catalog_region_is(v[2], "Global"), 0);
	assert_int_equal(catalog_region_is(v[2], NULL), -1);
	assert_int_equal(catalog_for(&c, "houji", NULL, v, 8), 0);
	/* by words */
	assert_int_equal(catalog_search(&c, "redmi k40", v, 8), 3);
	assert_int_equal(catalog_search(&c, "pixel", v, 8), 1);
	assert_string_equal(v[0]->type, "aosp-factory-zip");
	assert_null(v[0]->carrier);
	assert_int_equal(catalog_search(&c, "M2012", v, 8), 3);
	/* by hash, either kind, either case; by file name */
	assert_string_equal(catalog_by_hash(&c, H64B, NULL)->version,
	    "V14.0.6.0.TKHCNXM");
	assert_string_equal(catalog_by_hash(&c, NULL, "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC")->version,
	    "V14.0.4.0.TKHMIXM");
	assert_null(catalog_by_hash(&c, "", ""));
	assert_string_equal(catalog_by_file(&c, "alioth_old.tgz")->version,
	    "V12.5.2.0.RKHMIXM");
	assert_null(catalog_by_file(&c, "nothing.tgz"));
	assert_int_equal(catalog_by_file(&c, "alioth_new.tgz")->nurls, 2);
	assert_false(v[0]->sample);
	{
		cJSON *j = catalog_build_json(catalog_by_file(&c,
		    "alioth_new.tgz"));
		char *s = cJSON_PrintUnformatted(j);

		assert_non_null(strstr(s, "\"md5\":\"" H32C "\""));
		assert_non_null(strstr(s, "\"sha256\":null"));
		cJSON_free(s);
		cJSON_Delete(j);
	}
	catalog_free(&c);
}

/* Each bad entry is left out with its place and reason; the rest reads. */
static void
test_refusals(void **state)
{
	static const struct {
		const char *text, *want;
		size_t builds;
	} cases[] = {
		{ "{\"catalog\": 1, \"devices\": [", "x.json:1:", 0 },
		{ "{\"catalog\": 2, \"devices\": []}", "not a droidmedic "
		  "catalog", 0 },
		{ "{\"catalog\": 1, \"devicse\": []}", "unknown key "
		  "\"devicse\"", 0 },
		{ "{\"catalog\": 1, \"devices\": [{\"codenames\": [\"a\"], "
		  "\"builds\": [{\"version\": \"1\", \"type\": "
		  "\"xiaomi-fastboot-tgz\", \"sha265\": \"x\"}, {\"version\": "
		  "\"2\", \"type\": \"ota-zip\"}]}]}",
		  "devices[0].builds[0]: an unknown key", 1 },
		{ "{\"catalog\": 1, \"devices\": [{\"codenames\": [\"a\"], "
		  "\"builds\": [{\"version\": \"1\", \"type\": \"exe\"}]}]}",
		  "\"type\" is one of", 0 },
		{ "{\"catalog\": 1, \"devices\": [{\"codenames\": [\"a\"], "
		  "\"builds\": [{\"version\": \"1\", \"type\": \"ota-zip\", "
		  "\"sha256\": \"abc\"}]}]}", "64 hex digits", 0 },
		{ "{\"catalog\": 1, \"devices\": [{\"codenames\": [\"a\"], "
		  "\"builds\": [{\"version\": \"1\", \"type\": \"ota-zip\", "
		  "\"file\": \"../x.tgz\"}]}]}", "plain file name", 0 },
		{ "{\"catalog\": 1, \"devices\": [{\"codenames\": [\"a\"], "
		  "\"builds\": [{\"version\": \"1\", \"type\": \"ota-zip\", "
		  "\"urls\": [\"ftp://x/y\"]}]}]}", "https://, http:// or "
		  "file://", 0 },
		{ "{\"catalog\": 1, \"devices\": [{\"names\": [\"A\"], "
		  "\"builds\": []}]}", "devices[0]: no \"codenames\"", 0 },
		{ "{\"catalog\": 1, \"devices\": [{\"codenames\": [\"a\"], "
		  "\"builds\": [{\"type\": \"ota-zip\"}]}]}", "no \"version\"",
		  0 },
		{ "{\"catalog\": 1, \"devices\": [{\"codenames\": [\"a\"], "
		  "\"builds\": [{\"version\": \"1\", \"type\": \"ota-zip\", "
		  "\"date\": \"May 2023\"}]}]}", "YYYY-MM-DD", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct catalog c;
		size_t n;

		catalog_init(&c);
		n = catalog_add_text(&c, "x.json", cases[i].text,
		    strlen(cases[i].text));
		if (n != cases[i].builds)
			fail_msg("case %zu: %zu builds read", i, n);
		if (c.nerrors != 1 || strstr(c.errors[0], cases[i].want) ==
		    NULL)
			fail_msg("case %zu: errors %zu, '%s' lacks '%s'", i,
			    c.nerrors, c.nerrors ? c.errors[0] : "",
			    cases[i].want);
		if (strncmp(c.errors[0], "x.json", 6) != 0)
			fail_msg("case %zu: the file is not named", i);
		catalog_free(&c);
	}
}

/* The shipped sample reads whole, and says it is a sample. */
static void
test_sample(void **state)
{
	const struct cat_build *v[4];
	struct catalog c;
	char path[4096];
	FILE *f;
	char *buf = malloc(1 << 16);
	size_t len;
	const char *top = getenv("top_srcdir");

	(void)state;
	snprintf(path, sizeof(path), "%s/data/catalogs/sample.json",
	    top != NULL ? top : DM_ABS_TOP_SRCDIR);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	catalog_init(&c);
	assert_int_equal(catalog_add_text(&c, path, buf, len), 2);
	assert_int_equal(c.nerrors, 0);
	assert_int_equal(catalog_for(&c, "houji", "CN", v, 4), 1);
	assert_true(v[0]->sample);
	assert_string_equal(v[0]->name, "Xiaomi 14");
	assert_int_equal(catalog_for(&c, "vermeer", NULL, v, 4), 1);
	catalog_free(&c);
	free(buf);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The folders: an empty one reads as nothing; files in name order, a
 * broken one named and left out, other files passed over. */
static void
test_load_dirs(void **state)
{
	char dir[64], sub[128], conf[128], path[256];
	struct catalog c;
	const struct cat_build *v[8];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/t_catalog.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/builtin", dir);
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mkdir(conf, 0700), 0);
	snprintf(path, sizeof(path), "%s/droidmedic", conf);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/droidmedic/catalogs", conf);
	assert_int_equal(mkdir(path, 0700), 0);
	setenv("DROIDMEDIC_CATALOGS", sub, 1);
	setenv("XDG_CONFIG_HOME", conf, 1);
	catalog_init(&c);
	catalog_load(&c);
	assert_int_equal(c.n, 0);
	assert_int_equal(c.nerrors, 0);
	catalog_free(&c);
	snprintf(path, sizeof(path), "%s/b.json", sub);
	write_file(path, good);
	snprintf(path, sizeof(path), "%s/a.json", sub);
	write_file(path, "{\"catalog\": 1,");
	snprintf(path, sizeof(path), "%s/notes.txt", sub);
	write_file(path, "not a catalog");
	snprintf(path, sizeof(path), "%s/droidmedic/catalogs/mine.json", conf);
	write_file(path, "{\"catalog\": 1, \"devices\": [{\"codenames\": "
	    "[\"alioth\"], \"builds\": [{\"version\": \"V15\", "
	    "\"date\": \"2025-01-01\", \"type\": \"ota-zip\"}]}]}");
	catalog_init(&c);
	catalog_load(&c);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.nerrors, 1);
	assert_non_null(strstr(c.errors[0], "a.json:1:"));
	assert_int_equal(catalog_for(&c, "alioth", NULL, v, 8), 4);
	assert_string_equal(v[0]->version, "V15");	/* the user's, newest */
	catalog_free(&c);
	unsetenv("DROIDMEDIC_CATALOGS");
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_and_search),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_load_dirs),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
