/* t_actions.c - what the repair actions accept before anything is sent:
 * package names (Android's rule, so no shell metacharacter can pass), the
 * protected core packages, actions that cannot run on an old phone, and
 * the catalogue every plan step is checked against. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "actions.h"

static void
test_package_names(void **state)
{
	static const char *const good[] = { "com.android.providers.media",
	    "com.google.android.providers.media.module", "android", "a.b",
	    "com.sec.android.app.factorykeystring", "org.Mozilla_1.firefox" };
	static const char *const bad[] = { "", "com", "com.", ".com", "com..x",
	    "1com.x", "com.1x", "com.x;reboot", "com.x && reboot",
	    "$(reboot).x", "com.x`id`", "com.x'", "com.x\"", "com.x\n",
	    "com.x y", "com/x.y", "com.x|sh", "-k.x", "com.x-y", "com.x*" };
	char longname[300];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(act_valid_package(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("# refused: \"%s\"\n", bad[i]);
		assert_false(act_valid_package(bad[i]));
	}
	/* Over 255 characters: refused, however well formed. */
	memset(longname, 'a', sizeof(longname));
	longname[1] = '.';
	longname[sizeof(longname) - 1] = '\0';
	assert_false(act_valid_package(longname));
	longname[255] = '\0';
	assert_true(act_valid_package(longname));
}

static void
test_protected(void **state)
{
	(void)state;
	assert_true(act_protected("android"));
	assert_true(act_protected("com.android.systemui"));
	assert_true(act_protected("com.android.settings"));
	assert_true(act_protected("com.android.providers.settings"));
	assert_false(act_protected("com.whatsapp"));
	assert_false(act_protected("com.android.systemui.extra"));
}

static void
test_catalogue(void **state)
{
	size_t n;
	const struct act_def *all = act_all(&n);

	(void)state;
	assert_true(n >= 15);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(act_find(all[i].name), &all[i]);
		assert_non_null(all[i].summary);
	}
	assert_null(act_find("rm-rf"));
	/* Data-losing actions say so. */
	assert_int_equal(act_find("clear-data")->risk, RISK_APP_DATA);
	assert_int_equal(act_find("uninstall")->risk, RISK_APP_DATA);
	assert_int_equal(act_find("factory-reset")->risk, RISK_USER_DATA);
	assert_int_equal(act_find("reflash")->risk, RISK_FLASH);
	/* What is not carried out yet is known and says so. */
	assert_null(act_find("backup")->missing);
	assert_non_null(act_find("reflash")->missing);
	assert_null(act_find("clear-data")->missing);
}

static void
test_blocked_by_sdk(void **state)
{
	char why[300];

	(void)state;
	assert_non_null(act_blocked("clear-cache", 22, why, sizeof(why)));
	assert_non_null(strstr(why, "SDK 22"));
	assert_non_null(act_blocked("clear-cache", 33, why, sizeof(why)));
	assert_null(act_blocked("clear-cache", 34, why, sizeof(why)));
	assert_null(act_blocked("clear-data", 22, why, sizeof(why)));
}

/* Every step of the built-in rules names an action we know. */
static void
test_rules_name_known_actions(void **state)
{
	struct ruleset rs;

	(void)state;
	ruleset_init(&rs);
	ruleset_add_dir(&rs, DM_ABS_TOP_SRCDIR "/data/rules");
	assert_true(rs.n >= 13);
	for (size_t i = 0; i < rs.n; i++)
		for (int k = 0; k < rs.rules[i].nsteps; k++) {
			const char *a = rs.rules[i].step[k].action;

			if (act_find(a) == NULL)
				print_message("# %s step %d: '%s'\n",
				    rs.rules[i].id, k + 1, a);
			assert_non_null(act_find(a));
		}
	ruleset_free(&rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_package_names),
		cmocka_unit_test(test_protected),
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_blocked_by_sdk),
		cmocka_unit_test(test_rules_name_known_actions),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
