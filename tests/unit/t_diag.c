/* t_diag.c - the built-in diagnosis rules against the real captures:
 * each fires on its captures and none fires on the healthy phones; rule
 * files that are broken are reported by file and position while the rest
 * load; hostile probe outputs (huge, binary, no final newline).
 *
 * Where a capture shows the healthy state of a problem (the Samsung
 * FactoryTestApp log reads factorymode ON; the Redmi's storage is 79%
 * used; the J6's battery is fine), the test also edits one value of it to
 * the failing state, and says so. */
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

#include "dev.h"
#include "diag.h"
#include "err.h"
#include "fbvars.h"
#include "props.h"
#include "repair.h"
#include "rules.h"

#include "../lib/fixtures.h"

/* A phone made of texts: command -> output; a command not listed
 * fails, as on a phone without it. */
struct fake {
	const char *cmd[8];
	char *out[8];
	size_t len[8];
	int n;
	int runs;
};

static int
fake_run(void *ud, const char *cmd, char **out, size_t *len, char *err,
    size_t errlen)
{
	struct fake *f = ud;

	f->runs++;
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->cmd[i], cmd) == 0) {
			*out = malloc(f->len[i] + 1);
			assert_non_null(*out);
			memcpy(*out, f->out[i], f->len[i]);
			(*out)[f->len[i]] = '\0';
			*len = f->len[i];
			return 0;
		}
	return dm_fail(err, errlen, DM_EUNSUPP, "%s: not found", cmd);
}

static void
fake_add(struct fake *f, const char *cmd, char *text, size_t len)
{
	assert_true(f->n < 8);
	f->cmd[f->n] = cmd;
	f->out[f->n] = text;
	f->len[f->n++] = len;
}

static void
fake_add_fixture(struct fake *f, const char *cmd, const char *rel)
{
	size_t len;
	char *t = load(rel, &len);

	fake_add(f, cmd, t, len);
}

static void
fake_free(struct fake *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->out[i]);
	memset(f, 0, sizeof(*f));
}

static struct ruleset rules;

static int
setup(void **state)
{
	char dir[4096];
	const char *top = getenv("top_srcdir");

	(void)state;
	fixtures_required();
	snprintf(dir, sizeof(dir), "%s/data/rules", top != NULL && *top ?
	    top : DM_ABS_TOP_SRCDIR);
	ruleset_init(&rules);
	assert_true(ruleset_add_dir(&rules, dir) > 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ruleset_free(&rules);
	return 0;
}

/* The ids of the findings from src, space-separated, in a static
 * buffer; with all_checked, every rule must have been checked. */
static const char *
findings_of_src(const struct diag_src *src, int all_checked)
{
	static char ids[1024];
	struct diag_report r;
	size_t n = 0;

	assert_int_equal(diag_run(&rules, src, &r), 0);
	if (all_checked)
		assert_int_equal(r.nskip, 0);
	ids[0] = '\0';
	for (size_t i = 0; i < r.n; i++)
		n += (size_t)snprintf(ids + n, sizeof(ids) - n, "%s%s",
		    n ? " " : "", r.f[i].rule->id);
	diag_report_free(&r);
	return ids;
}

static const char *
findings(struct fake *f, struct props *p, unsigned mode)
{
	struct diag_src src = { fake_run, f, p, mode, NULL };

	return findings_of_src(&src, 0);
}

static int
has(const char *ids, const char *id)
{
	size_t l = strlen(id);

	for (const char *p = ids; (p = strstr(p, id)) != NULL; p += l)
		if ((p == ids || p[-1] == ' ') && (p[l] == ' ' || !p[l]))
			return 1;
	return 0;
}

static struct props *
healthy_props(void)
{
	struct props *p = props_new();

	props_set(p, "sys.boot_completed", "1");
	props_set(p, "ro.boot.verifiedbootstate", "green");
	return p;
}

static void
test_builtin_load_clean(void **state)
{
	(void)state;
	for (size_t i = 0; i < rules.nproblems; i++)
		print_message("# problem: %s\n", rules.problems[i]);
	assert_int_equal(rules.nproblems, 0);
	assert_true(rules.n >= 12);
}

static void
test_media_crash_captures(void **state)
{
	static const char *const media[] = {
	    "crash_logs/lg_nexus5_android5_android.process.media_DownloadReceiver_SQLiteDiskIOException_EROFS_excerpt.txt",
	    "crash_logs/motorola_moto_g_xt1039_android4.4_android.process.media_MediaProvider_SQLiteCantOpenDatabase_EROFS_excerpt.txt",
	    "crash_logs/sony_xperia_cm11_android4.4_android.process.media_UnsatisfiedLinkError_issue_excerpt_truncated.txt",
	};
	struct props *p = healthy_props();

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct fake f = { 0 };
		const char *ids;

		fake_add_fixture(&f, "logcat -b crash -d", media[i]);
		ids = findings(&f, p, RULE_MODE_DEVICE);
		print_message("# %s: %s\n", media[i], ids);
		assert_true(has(ids, "media-crash"));
		/* The two EROFS ones say /data went read-only. */
		assert_int_equal(has(ids, "data-read-only"), i < 2);
		fake_free(&f);
	}
	props_free(p);
}

/* Dropbox's older app crashes are evidence next to the crash buffer,
 * never the reason.  The entries are hand-made: the header line in the
 * format of the real dropbox capture in dumpsys_misc/, the body
 * as ActivityManagerService writes an app crash (Process:, Flags:,
 * Package:, the stack). */
static void
test_media_crash_dropbox(void **state)
{
	static const char dropbox[] =
	    "Drop box contents: 12 entries\n"
	    "Searching for: system_app_crash\n\n"
	    "========================================\n"
	    "2016-03-28 09:12:40 system_app_crash (text, 1745 bytes)\n"
	    "Process: android.process.media\n"
	    "Flags: 0x38be45\n"
	    "Package: com.android.providers.downloads v22 (5.1.1-1819727)\n\n"
	    "android.database.sqlite.SQLiteDiskIOException: disk I/O error\n"
	    "========================================\n"
	    "2016-03-28 17:40:02 system_app_crash (text, 988 bytes)\n"
	    "Process: com.android.phone\n"
	    "Flags: 0x38be45\n\n"
	    "java.lang.NullPointerException\n"
	    "========================================\n"
	    "2016-03-29 11:05:25 system_app_crash (text, 1745 bytes)\n"
	    "Process: android.process.media\n"
	    "Flags: 0x38be45\n";
	struct props *p = healthy_props();
	struct diag_report r;
	const struct diag_finding *f;
	struct fake k = { 0 };
	struct diag_src src = { fake_run, &k, p, RULE_MODE_DEVICE, NULL };

	(void)state;
	fake_add_fixture(&k, "logcat -b crash -d", "crash_logs/lg_nexus5_android5_android.process.media_DownloadReceiver_SQLiteDiskIOException_EROFS_excerpt.txt");
	fake_add(&k, "dumpsys dropbox --print system_app_crash",
	    strdup(dropbox), sizeof(dropbox) - 1);
	assert_int_equal(diag_run(&rules, &src, &r), 0);
	f = repair_finding(&r, "media-crash");
	assert_non_null(f);
	assert_int_equal(f->nev, 2);
	assert_string_equal(f->ev[1].source,
	    "dumpsys dropbox --print system_app_crash");
	/* Two of the three entries are the media process's, each named
	 * with its time; com.android.phone's is not counted. */
	assert_int_equal(f->ev[1].matched, 2);
	assert_string_equal(f->ev[1].lines[0], "2016-03-28 09:12:40 "
	    "system_app_crash (text, 1745 bytes) | Process: "
	    "android.process.media");
	assert_non_null(strstr(f->ev[1].lines[1], "2016-03-29 11:05:25"));
	diag_report_free(&r);
	fake_free(&k);

	/* Old crashes alone, the crash buffer clean since this boot: no
	 * finding (the re-check after a fix reads the crash buffer). */
	fake_add(&k, "logcat -b crash -d", strdup(""), 0);
	fake_add(&k, "dumpsys dropbox --print system_app_crash",
	    strdup(dropbox), sizeof(dropbox) - 1);
	assert_false(has(findings(&k, p, RULE_MODE_DEVICE), "media-crash"));
	fake_free(&k);

	/* No dropbox to read (a failing command): the finding stands and
	 * nothing is "not checked" because of it. */
	fake_add_fixture(&k, "logcat -b crash -d", "crash_logs/lg_nexus5_android5_android.process.media_DownloadReceiver_SQLiteDiskIOException_EROFS_excerpt.txt");
	assert_int_equal(diag_run(&rules, &src, &r), 0);
	f = repair_finding(&r, "media-crash");
	assert_non_null(f);
	assert_int_equal(f->nev, 1);
	for (size_t i = 0; i < r.nskip; i++)
		assert_string_not_equal(r.skip[i].rule->id, "media-crash");
	diag_report_free(&r);
	fake_free(&k);
	props_free(p);
}

/* A boot that does not complete, with what the phone keeps of the loop:
 * hand-made uptime, boot reason and dropbox SYSTEM_RESTART headers (the
 * header format as in the real dropbox capture). */
static void
test_boot_loop_evidence(void **state)
{
	static const char restarts[] =
	    "Drop box contents: 40 entries\n"
	    "Searching for: SYSTEM_RESTART\n\n"
	    "2016-03-29 11:04:51 SYSTEM_RESTART (text, 212 bytes)\n"
	    "    Build: google/hammerhead/hammerhead:6.0.1/MOB30M/2862625:...\n"
	    "2016-03-29 11:06:02 SYSTEM_RESTART (text, 212 bytes)\n"
	    "    Build: google/hammerhead/hammerhead:6.0.1/MOB30M/2862625:...\n";
	static const char uptime[] = "38.21 61.07\n";
	struct props *p = healthy_props();
	struct diag_report r;
	const struct diag_finding *f;
	struct fake k = { 0 };
	struct diag_src src = { fake_run, &k, p, RULE_MODE_DEVICE, NULL };

	(void)state;
	props_set(p, "sys.boot_completed", "");
	props_set(p, "sys.boot.reason", "reboot,watchdog");
	fake_add(&k, "cat /proc/uptime", strdup(uptime), sizeof(uptime) - 1);
	fake_add(&k, "dumpsys dropbox SYSTEM_RESTART", strdup(restarts),
	    sizeof(restarts) - 1);
	assert_int_equal(diag_run(&rules, &src, &r), 0);
	f = repair_finding(&r, "boot-not-completed");
	assert_non_null(f);
	assert_int_equal(f->nev, 3);
	assert_string_equal(f->ev[0].lines[0], "38.21 61.07");
	assert_string_equal(f->ev[1].lines[0],
	    "[sys.boot.reason]: [reboot,watchdog]");
	assert_int_equal(f->ev[2].matched, 2);
	diag_report_free(&r);
	fake_free(&k);
	/* Nothing of it on the phone: the finding alone, still a finding. */
	props_set(p, "sys.boot.reason", "");
	assert_int_equal(diag_run(&rules, &src, &r), 0);
	f = repair_finding(&r, "boot-not-completed");
	assert_non_null(f);
	assert_int_equal(f->nev, 0);
	for (size_t i = 0; i < r.nskip; i++)
		assert_string_not_equal(r.skip[i].rule->id,
		    "boot-not-completed");
	diag_report_free(&r);
	props_free(p);
}

/* "also" is evidence only: never alone, never negated, never nested. */
static void
test_also_refused(void **state)
{
	static const char *const bad[] = {
	    "{\"probe\": \"c\", \"regex\": \"x\", \"also\": true}",
	    "{\"probe\": \"c\", \"regex\": \"x\"}, {\"probe\": \"c\", "
	    "\"regex\": \"y\", \"also\": true, \"not\": true}",
	    "{\"any\": [{\"probe\": \"c\", \"regex\": \"x\", "
	    "\"also\": true}]}",
	};
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct ruleset rs;
		char text[600];

		snprintf(text, sizeof(text), "{\"rules\": [{\"id\": \"a\", "
		    "\"title\": \"t\", \"severity\": \"info\", \"probes\": "
		    "{\"c\": \"cmd\"}, \"when\": [%s], \"explain\": \"e\"}]}",
		    bad[i]);
		ruleset_init(&rs);
		assert_int_equal(ruleset_add_text(&rs, "also.json", text,
		    strlen(text)), 0);
		assert_int_equal(rs.nproblems, 1);
		print_message("# %s\n", rs.problems[0]);
		assert_non_null(strstr(rs.problems[0], "also"));
		ruleset_free(&rs);
	}
}

static void
test_other_crashes_are_not_media(void **state)
{
	static const char *const other[] = {
	    "crash_logs/motorola_nexus6_android6.0_com.google.process.gapps_and_android.process.acore_SQLiteDiskIOException_EROFS_excerpt.txt",
	    "crash_logs/android10_vendor_device_com.android.systemui_crash_FB_is_protected_secure_layer_excerpt.txt",
	    "crash_logs/xiaomi_mi_a1_android10_com.android.systemui_crash_issue_excerpt_truncated.txt",
	};
	struct props *p = healthy_props();

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct fake f = { 0 };
		const char *ids;

		fake_add_fixture(&f, "logcat -b crash -d", other[i]);
		ids = findings(&f, p, RULE_MODE_DEVICE);
		print_message("# %s: %s\n", other[i], ids);
		assert_false(has(ids, "media-crash"));
		/* gapps and acore hit EROFS too: /data is read-only. */
		assert_int_equal(has(ids, "data-read-only"), i == 0);
		fake_free(&f);
	}
	props_free(p);
}

/* subst() is below; declared here for the screenshot tests. */
static char *subst(const char *text, const char *from, const char *to);

#define SECURE_CAP "dumpsys_security/android10_vendor_device_dumpsys_window_FLAG_SECURE_com.alicloud.databox_excerpt.txt"

static void
test_secure_window(void **state)
{
	struct fake f = { 0 };
	struct props *p = healthy_props();
	struct diag_src src = { fake_run, &f, p, RULE_MODE_DEVICE, NULL };
	struct diag_report r;
	int seen = 0;

	(void)state;
	fake_add_fixture(&f, "dumpsys window windows", SECURE_CAP);
	assert_int_equal(diag_run(&rules, &src, &r), 0);
	for (size_t i = 0; i < r.n; i++) {
		if (strcmp(r.f[i].rule->id, "secure-window") != 0)
			continue;
		seen = 1;
		/* The evidence is the window's flags line, from its
		 * command, after the header naming the window's app. */
		assert_int_equal(r.f[i].nev, 1);
		assert_string_equal(r.f[i].ev[0].source,
		    "dumpsys window windows");
		print_message("# %s\n", r.f[i].ev[0].lines[0]);
		assert_int_equal(strncmp(r.f[i].ev[0].lines[0],
		    "Window #11 Window{8db6bd6 u0 com.alicloud.databox/", 50),
		    0);
		assert_non_null(strstr(r.f[i].ev[0].lines[0],
		    "}: | fl=LAYOUT_IN_SCREEN SECURE "));
	}
	assert_true(seen);
	assert_int_equal(r.n, 1);
	diag_report_free(&r);
	fake_free(&f);
	props_free(p);
}

/* The same window, without its header line: a flags line outside any
 * window block is not evidence. */
static void
test_secure_window_needs_its_block(void **state)
{
	struct fake f = { 0 };
	struct props *p = healthy_props();
	size_t len;
	char *t = load(SECURE_CAP, &len);
	char *nl = strchr(t, '\n');

	(void)state;
	assert_non_null(nl);
	fake_add(&f, "dumpsys window windows", strdup(nl + 1),
	    strlen(nl + 1));
	free(t);
	assert_false(has(findings(&f, p, RULE_MODE_DEVICE), "secure-window"));
	fake_free(&f);
	props_free(p);
}

/* The focused window in user 10 (the capture's window moved to a work
 * profile, edited here, with the mCurrentFocus line dumpsys window prints
 * after the list); in user 0 it is not a finding. */
static void
test_app_in_other_user(void **state)
{
	struct props *p = healthy_props();

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct fake f = { 0 };
		size_t len;
		char *t = load(SECURE_CAP, &len), *u, *all;
		const char *user = k == 0 ? "u10" : "u0";
		size_t n;

		u = k == 0 ? subst(t, "Window{8db6bd6 u0 ",
		    "Window{8db6bd6 u10 ") : strdup(t);
		free(t);
		n = strlen(u) + 200;
		all = malloc(n);
		assert_non_null(all);
		snprintf(all, n, "%s  mCurrentFocus=Window{8db6bd6 %s "
		    "com.alicloud.databox/com.ali.user.mobile.login.ui."
		    "UserLoginActivity}\n", u, user);
		free(u);
		fake_add(&f, "dumpsys window windows", all, strlen(all));
		assert_int_equal(has(findings(&f, p, RULE_MODE_DEVICE),
		    "app-in-other-user"), k == 0);
		assert_true(has(findings(&f, p, RULE_MODE_DEVICE),
		    "secure-window"));
		fake_free(&f);
	}
	props_free(p);
}

/* No phone capture of `dumpsys device_policy` with the policy on is in
 * the fixtures: this text is laid out the way AOSP's DevicePolicyData
 * and ActiveAdmin dump it (a header per user, "  pkg/.Receiver:" per
 * admin, its fields indented below). */
static void
test_policy_no_screenshots(void **state)
{
	static const char head[] =
	    "Current Device Policy Manager state:\n"
	    "  Immutable state:\n"
	    "    mHasFeature=true\n"
	    "    mIsWatch=false\n"
	    "\n"
	    "  Enabled Device Admins (User 0, provisioningState: 3):\n"
	    "    com.example.mdm/.AdminReceiver:\n"
	    "      uid=10187\n"
	    "      testOnlyAdmin=false\n"
	    "      encryptionRequested=false\n"
	    "      disableCamera=false\n"
	    "      disableCallerId=false\n";
	static const char tail[] =
	    "      requireAutoTime=false\n"
	    "      forceEphemeralUsers=false\n";
	struct props *p = healthy_props();
	struct diag_src src;
	struct diag_report r;
	char text[2048];

	(void)state;
	for (int k = 0; k < 3; k++) {
		struct fake f = { 0 };

		/* 0: on in the admin; 1: off; 2: a stray line before any
		 * admin (not evidence). */
		if (k == 2)
			snprintf(text, sizeof(text), "disableScreenCapture="
			    "true\n%s      disableScreenCapture=false\n%s",
			    head, tail);
		else
			snprintf(text, sizeof(text), "%s      disableScreen"
			    "Capture=%s\n%s", head, k == 0 ? "true" : "false",
			    tail);
		fake_add(&f, "dumpsys device_policy", strdup(text),
		    strlen(text));
		src = (struct diag_src){ fake_run, &f, p, RULE_MODE_DEVICE, NULL };
		assert_int_equal(diag_run(&rules, &src, &r), 0);
		assert_int_equal(r.n, k == 0);
		if (k == 0) {
			assert_string_equal(r.f[0].rule->id,
			    "policy-no-screenshots");
			assert_string_equal(r.f[0].ev[0].lines[0],
			    "com.example.mdm/.AdminReceiver: | "
			    "disableScreenCapture=true");
		}
		diag_report_free(&r);
		fake_free(&f);
	}
	props_free(p);
}

/* The vendor System UI that crashes when SurfaceFlinger refuses its
 * blur screenshot (the capture from the same phone); the media crashes
 * are not it. */
static void
test_systemui_capture_crash(void **state)
{
	static const char *const caps[] = {
	    "crash_logs/android10_vendor_device_com.android.systemui_crash_FB_is_protected_secure_layer_excerpt.txt",
	    "crash_logs/lg_nexus5_android5_android.process.media_DownloadReceiver_SQLiteDiskIOException_EROFS_excerpt.txt",
	    "crash_logs/xiaomi_mi_a1_android10_com.android.systemui_crash_issue_excerpt_truncated.txt",
	};
	struct props *p = healthy_props();

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct fake f = { 0 };

		fake_add_fixture(&f, "logcat -d", caps[i]);
		assert_int_equal(has(findings(&f, p, RULE_MODE_DEVICE),
		    "systemui-capture-crash"), i == 0);
		fake_free(&f);
	}
	props_free(p);
}

static void
replace(char *text, const char *from, const char *to)
{
	char *at = strstr(text, from);

	assert_non_null(at);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(at, to, strlen(to));
}

/* text with the first from replaced by to, in a new buffer. */
static char *
subst(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t a, n;
	char *s;

	assert_non_null(at);
	a = (size_t)(at - text);
	n = strlen(text) - strlen(from) + strlen(to);
	s = malloc(n + 1);
	assert_non_null(s);
	memcpy(s, text, a);
	memcpy(s + a, to, strlen(to));
	strcpy(s + a + strlen(to), at + strlen(from));
	return s;
}

/* A native crash kept in dropbox (the Nexus 5 capture): the tombstone's
 * time and program, counted; the same text without its entry header is
 * not evidence, and the crash buffers' captures are not tombstones. */
static void
test_native_crash(void **state)
{
	static const char rel[] = "dumpsys_misc/google_nexus5_hammerhead_6.0.1_MOB30M_dumpsys_dropbox_print_SYSTEM_TOMBSTONE_excerpt.txt";
	struct props *p = healthy_props();
	struct fake f = { 0 };
	struct diag_src src = { fake_run, &f, p, RULE_MODE_DEVICE, NULL };
	struct diag_report r;
	size_t len;
	char *t, *two, *e;

	(void)state;
	/* The capture once, then twice over (two entries): counted. */
	t = load(rel, &len);
	two = malloc(2 * len + 1);
	assert_non_null(two);
	memcpy(two, t, len);
	memcpy(two + len, t, len);
	two[2 * len] = '\0';
	for (int k = 0; k < 2; k++) {
		fake_add(&f, "dumpsys dropbox --print SYSTEM_TOMBSTONE",
		    k == 0 ? strdup(t) : strdup(two), k == 0 ? len : 2 * len);
		assert_int_equal(diag_run(&rules, &src, &r), 0);
		assert_int_equal(r.n, 1);
		assert_string_equal(r.f[0].rule->id, "native-crash");
		assert_int_equal(r.f[0].ev[0].matched, k + 1);
		assert_string_equal(r.f[0].ev[0].lines[0],
		    "2016-06-21 18:21:15 SYSTEM_TOMBSTONE (compressed text, "
		    "6361 bytes) | pid: 224, tid: 224, name: mm-qcamera-daem  "
		    ">>> /system/bin/mm-qcamera-daemon <<<");
		diag_report_free(&r);
		fake_free(&f);
	}
	free(two);
	/* Without the entry's header line: nothing dropbox vouches for. */
	e = subst(t, "2016-06-21 18:21:15 SYSTEM_TOMBSTONE", "2016-06-21 18:21:15 SYSTEM_NOTHING  ");
	fake_add(&f, "dumpsys dropbox --print SYSTEM_TOMBSTONE", e, strlen(e));
	assert_false(has(findings(&f, p, RULE_MODE_DEVICE), "native-crash"));
	fake_free(&f);
	free(t);
	props_free(p);
}

static void
test_samsung_factory_mode(void **state)
{
	struct fake f = { 0 };
	struct props *p = healthy_props();
	const char *rel = "factory_mode/samsung_galaxy_s5_SM-G900F_android5_FactoryTestApp_efs_factorymode_ON_logcat_excerpt.txt";
	size_t len;
	char *t, *e;

	(void)state;
	/* The capture reads ON: the normal state. */
	fake_add_fixture(&f, "logcat -d -s FactoryTestApp", rel);
	assert_false(has(findings(&f, p, RULE_MODE_DEVICE),
	    "samsung-factory-mode"));
	fake_free(&f);
	/* The same log reading OFF (edited here), either line alone:
	 * stuck in factory mode. */
	for (int k = 0; k < 2; k++) {
		t = load(rel, &len);
		e = k == 0 ? subst(t, "factorymode, value=ON",
		    "factorymode, value=OFF") : subst(t, "mode: ON\n",
		    "mode: OFF\n");
		free(t);
		if (k == 1)
			assert_null(strstr(e, "value=OFF"));
		fake_add(&f, "logcat -d -s FactoryTestApp", e, strlen(e));
		assert_true(has(findings(&f, p, RULE_MODE_DEVICE),
		    "samsung-factory-mode"));
		fake_free(&f);
	}
	props_free(p);
}

static void
test_ffbm_bootmode(void **state)
{
	static const char *const modes[] = { "ffbm-00", "ffbm-01", "ffbm-02",
	    "qmmi" };
	struct fake f = { 0 };
	size_t len;
	char *rc = load("factory_mode/xiaomi_14_houji_init.qcom.factory.rc_ffbm_bootmode_triggers.txt",
	    &len);

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct props *p = healthy_props();
		char want[40];

		/* Each mode the rule knows is one init's factory .rc
		 * triggers on (the Xiaomi 14 capture). */
		snprintf(want, sizeof(want), "ro.bootmode=%s", modes[i]);
		if (i < 3)
			assert_non_null(strstr(rc, want));
		props_set(p, "ro.bootmode", modes[i]);
		assert_true(has(findings(&f, p, RULE_MODE_DEVICE),
		    "factory-bootmode"));
		assert_true(has(findings(&f, p, RULE_MODE_RECOVERY),
		    "factory-bootmode"));
		props_free(p);
	}
	free(rc);
}

static void
test_healthy_phones(void **state)
{
	static const char *const caps[] = {
	    "getprop/samsung_galaxy_s25plus_SM-S936B_pa2q_android16_EUX_getprop_utf16le.txt",
	    "getprop/xiaomi_12x_psyche_miui13_V13.0.5.0.SLDCNXM_getprop.txt",
	    "getprop/xiaomi_redmi_note14_5g_citrine_hyperos2_OS2.0.211.0.VOQMIXM_getprop.txt",
	};
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct fake f = { 0 };
		struct props *p = props_new();
		size_t len;
		char *t = load(caps[i], &len);
		const char *ids;

		props_parse(p, t, len, PROPS_FMT_GETPROP);
		free(t);
		/* Healthy phones' own outputs, where captured; an empty
		 * crash buffer and window list. */
		fake_add(&f, "logcat -b crash -d", strdup(""), 0);
		fake_add(&f, "dumpsys window windows", strdup(""), 0);
		if (i == 2)
			fake_add_fixture(&f, "df -h", "dumpsys_misc/xiaomi_redmi_note14_5g_citrine_hyperos2_by-name_and_df-h.txt");
		ids = findings(&f, p, RULE_MODE_DEVICE);
		print_message("# %s: [%s]\n", caps[i], ids);
		assert_string_equal(ids, "");
		fake_free(&f);
		props_free(p);
	}
}

static void
test_xiaomi14_buildprop_healthy(void **state)
{
	static const char *const parts[] = {
	    "build_prop/xiaomi_14_houji_V816.0.9.0.UNCCNXM_system_build.prop.txt",
	    "build_prop/xiaomi_14_houji_V816.0.9.0.UNCCNXM_odm_etc_build.prop.txt",
	};
	struct fake f = { 0 };
	struct props *p = props_new();

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		char *t = load(parts[i], &len);

		props_parse(p, t, len, PROPS_FMT_BUILDPROP);
		free(t);
	}
	/* build.prop has no runtime keys: as the booted phone has them. */
	props_set(p, "sys.boot_completed", "1");
	props_set(p, "ro.boot.verifiedbootstate", "green");
	assert_string_equal(findings(&f, p, RULE_MODE_DEVICE), "");
	props_free(p);
}

static void
test_storage_and_battery(void **state)
{
	struct fake f = { 0 };
	struct props *p = healthy_props();
	const char *df = "dumpsys_misc/xiaomi_redmi_note14_5g_citrine_hyperos2_by-name_and_df-h.txt";
	const char *bat = "dumpsys_misc/samsung_galaxy_j6_j6lte_dumpsys_battery_excerpt.txt";
	const char *ids;
	size_t len;
	char *t;

	(void)state;
	/* As captured: 79% used, level 84, 33.6 C, health good. */
	fake_add_fixture(&f, "df -h", df);
	fake_add_fixture(&f, "dumpsys battery", bat);
	assert_string_equal(findings(&f, p, RULE_MODE_DEVICE), "");
	fake_free(&f);
	/* Edited: 97% used, level 9, 47.1 C, health 3 (overheat). */
	t = load(df, &len);
	replace(t, " 79% /storage/emulated", " 97% /storage/emulated");
	fake_add(&f, "df -h", t, len);
	t = load(bat, &len);
	replace(t, "level: 84", "level:  9");
	replace(t, "temperature: 336", "temperature: 471");
	replace(t, "health: 2", "health: 3");
	fake_add(&f, "dumpsys battery", t, len);
	ids = findings(&f, p, RULE_MODE_DEVICE);
	print_message("# edited: %s\n", ids);
	assert_true(has(ids, "storage-full"));
	assert_true(has(ids, "battery-low"));
	assert_true(has(ids, "battery-hot"));
	assert_true(has(ids, "battery-unhealthy"));
	fake_free(&f);
	props_free(p);
}

static void
test_props_rules(void **state)
{
	struct fake f = { 0 };
	struct props *p = healthy_props();
	size_t len;
	char *t = load("getprop/xiaomi_poco_f6_peridot_crdroid11_custom_rom_getprop.txt",
	    &len);

	(void)state;
	props_set(p, "sys.boot_completed", "");
	assert_true(has(findings(&f, p, RULE_MODE_DEVICE),
	    "boot-not-completed"));
	props_free(p);
	/* Each way a phone says its bootloader is unlocked. */
	static const char *const unl[][2] = {
	    { "ro.boot.verifiedbootstate", "orange" },
	    { "ro.boot.vbmeta.device_state", "unlocked" },
	    { "ro.boot.flash.locked", "0" },
	};
	for (size_t i = 0; i < 3; i++) {
		p = healthy_props();
		props_set(p, unl[i][0], unl[i][1]);
		assert_true(has(findings(&f, p, RULE_MODE_DEVICE),
		    "bootloader-unlocked"));
		props_free(p);
	}
	/* The custom ROM's capture says locked and green: no finding. */
	p = props_new();
	props_parse(p, t, len, PROPS_FMT_GETPROP);
	free(t);
	assert_string_equal(findings(&f, p, RULE_MODE_DEVICE), "");
	props_free(p);
}

/* A real `fastboot getvar all` capture as repair.c holds it: a table of
 * its variables, and the "getvar all" text the one fastboot probe gives
 * (name: value lines). */
static struct props *
fb_capture(const char *rel, struct fake *f)
{
	struct fbvars v;
	struct props *p = props_new();
	size_t len, n = 0;
	char *t = load(rel, &len), *all = malloc(64u << 10);

	assert_non_null(all);
	fbvars_init(&v);
	fbvars_parse_text(&v, t, len, NULL, 0);
	free(t);
	for (size_t i = 0; i < v.nraw; i++) {
		props_set(p, v.raw[i].name, v.raw[i].value);
		n += (size_t)snprintf(all + n, (64u << 10) - n, "%s: %s\n",
		    v.raw[i].name, v.raw[i].value);
	}
	fbvars_free(&v);
	fake_add(f, "getvar all", all, n);
	return p;
}

static const char *
fb_findings(struct fake *f, struct props *vars)
{
	struct diag_src src = { fake_run, f, NULL, RULE_MODE_FASTBOOT, vars };

	return findings_of_src(&src, 1);
}

static void
test_fastboot_captures(void **state)
{
	static const char *const caps[][2] = {
	    { "fastboot_getvar/google_pixel7pro_cheetah_AP5A_fastboot_getvar_all.txt",
	      "bootloader-unlocked in-bootloader" },
	    { "fastboot_getvar/lg_v60_thinq_kona_bootloader_getvar_all.txt",
	      "bootloader-unlocked in-bootloader" },
	    /* fastbootd's battery-voltage is 0: no reading, no alarm */
	    { "fastboot_getvar/lg_v60_thinq_timelm_fastbootd_userspace_getvar_all.txt",
	      "in-fastbootd bootloader-unlocked" },
	    { "fastboot_getvar/xiaomi_alioth_redmi_k40_poco_f3_mi11x_fastboot_getvar_all.txt",
	      "bootloader-unlocked in-bootloader" },
	};
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct fake f = { 0 };
		struct props *p = fb_capture(caps[i][0], &f);
		const char *ids = fb_findings(&f, p);

		print_message("# %s: [%s]\n", caps[i][0], ids);
		assert_string_equal(ids, caps[i][1]);
		/* Nothing but the variables already read. */
		assert_true(f.runs <= 1);
		fake_free(&f);
		props_free(p);
	}
}

static void
test_fastboot_edited(void **state)
{
	const char *alioth = "fastboot_getvar/xiaomi_alioth_redmi_k40_poco_f3_mi11x_fastboot_getvar_all.txt";
	struct fake f = { 0 };
	struct props *p = fb_capture(alioth, &f);
	const char *ids;

	(void)state;
	fake_free(&f);
	props_free(p);
	/* Slot b used up its tries; the charge too low to flash. */
	p = fb_capture(alioth, &f);
	{
		char *t = subst(f.out[0], "slot-unbootable:b: no",
		    "slot-unbootable:b: yes");

		free(f.out[0]);
		f.out[0] = t;
		f.len[0] = strlen(t);
	}
	props_set(p, "battery-soc-ok", "no");
	ids = fb_findings(&f, p);
	print_message("# edited: %s\n", ids);
	assert_string_equal(ids, "slot-unbootable bootloader-battery-low "
	    "bootloader-unlocked in-bootloader");
	fake_free(&f);
	props_free(p);
	/* Locked, and under 3400 mV (the Pixel spells it "3350 mV"). */
	p = fb_capture(alioth, &f);
	props_set(p, "unlocked", "no");
	props_set(p, "battery-voltage", "3350 mV");
	assert_string_equal(fb_findings(&f, p),
	    "bootloader-battery-low in-bootloader");
	props_set(p, "battery-voltage", "3400 mV");
	assert_string_equal(fb_findings(&f, p), "in-bootloader");
	fake_free(&f);
	props_free(p);
}

/* var matchers: numbers with units; absent in adb modes, as props are in
 * fastboot; unknown when the variables could not be read. */
static void
test_var_matchers(void **state)
{
	static const char rule[] = "{\"rules\": ["
	    "{\"id\": \"low\", \"title\": \"t\", \"severity\": \"info\","
	    " \"modes\": [\"device\", \"fastboot\"], \"explain\": \"e\","
	    " \"when\": [{\"var\": \"battery-voltage\", \"lt\": 3500}]},"
	    "{\"id\": \"propped\", \"title\": \"t\", \"severity\": \"info\","
	    " \"modes\": [\"device\", \"fastboot\"], \"explain\": \"e\","
	    " \"when\": [{\"prop\": \"battery-voltage\", \"regex\": \".\"}]},"
	    "{\"id\": \"both\", \"title\": \"t\", \"severity\": \"info\","
	    " \"explain\": \"e\", \"when\": [{\"var\": \"a\", \"prop\": \"b\","
	    " \"regex\": \".\"}]}]}";
	static const struct { const char *v; int low; } cases[] = {
	    { "3350 mV", 1 }, { "3499", 1 }, { "4055 mV", 0 }, { "3500", 0 },
	    { "mV", 0 }, { "", 0 }, { "3350 mV extra", 0 },
	};
	struct ruleset rs;
	struct diag_report r;
	struct fake f = { 0 };
	struct props *p = props_new();
	struct diag_src src = { fake_run, &f, NULL, RULE_MODE_FASTBOOT, p };

	(void)state;
	ruleset_init(&rs);
	ruleset_add_text(&rs, "t.json", rule, sizeof(rule) - 1);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.nproblems, 1);
	assert_non_null(strstr(rs.problems[0], "\"prop\" or \"var\", not both"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		props_set(p, "battery-voltage", cases[i].v);
		assert_int_equal(diag_run(&rs, &src, &r), 0);
		print_message("# %s: %zu\n", cases[i].v, r.n);
		assert_int_equal(r.n, (size_t)cases[i].low);
		if (r.n == 1) {
			assert_string_equal(r.f[0].ev[0].source,
			    "getvar battery-voltage");
			assert_string_equal(r.f[0].ev[0].lines[0],
			    cases[i].v[0] == '3' && strchr(cases[i].v, 'm') ?
			    "battery-voltage: 3350 mV" :
			    "battery-voltage: 3499");
		}
		/* The prop matcher finds no properties in fastboot: absent,
		 * not "could not be checked". */
		assert_int_equal(r.nskip, 0);
		diag_report_free(&r);
	}
	/* In adb mode the same key as a property: the var rule is silent. */
	src.mode = RULE_MODE_DEVICE;
	src.props = p;
	src.vars = NULL;
	props_set(p, "battery-voltage", "3000");
	assert_int_equal(diag_run(&rs, &src, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.f[0].rule->id, "propped");
	assert_int_equal(r.nskip, 0);
	diag_report_free(&r);
	/* In fastboot without its variables: not checked, with the reason. */
	src.mode = RULE_MODE_FASTBOOT;
	src.props = NULL;
	assert_int_equal(diag_run(&rs, &src, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.nskip, 1);
	assert_string_equal(r.skip[0].why, "the phone's fastboot variables "
	    "could not be read");
	diag_report_free(&r);
	props_free(p);
	ruleset_free(&rs);
}

/* A bench row in a mode where the phone runs nothing for us.  Samsung's
 * download mode ids and product string are those of the real lsusb
 * capture (usb_descriptors/samsung_GT-I8160...); EDL's 05c6:9008 and the
 * MediaTek preloader's 0e8d:2000 are the ids fixtures/SOURCES.md names
 * for the descriptors captured there. */
static void
test_row_modes(void **state)
{
	static const struct {
		enum dev_mode mode;
		uint16_t vid, pid;
		const char *product, *want, *line;
	} rows[] = {
	    { DEV_MODE_MTP_ONLY, 0x18d1, 0x4ee1, "Pixel 7 Pro",
	      "usb-debugging-off", "mode: mtp-only (USB debugging is off" },
	    { DEV_MODE_SAMSUNG_DOWNLOAD, 0x04e8, 0x685d, "SAMSUNG USB DRIVER",
	      "in-download-mode",
	      "usb: 04e8:685d Samsung \"SAMSUNG USB DRIVER\"" },
	    { DEV_MODE_QUALCOMM_EDL, 0x05c6, 0x9008, "QUSB__BULK",
	      "in-edl", "usb: 05c6:9008" },
	    { DEV_MODE_MEDIATEK_PRELOADER, 0x0e8d, 0x2000, "MT65xx Preloader",
	      "in-mediatek-download", "usb: 0e8d:2000" },
	    { DEV_MODE_MEDIATEK_BROM, 0x0e8d, 0x0003, "MT65xx Preloader",
	      "in-mediatek-download", "mode: mediatek-brom" },
	    { DEV_MODE_UNAUTHORIZED, 0x18d1, 0x4ee7, "Pixel 7 Pro",
	      "usb-debugging-unauthorized", "adb key fingerprint: 5B:0C" },
	    { DEV_MODE_SIDELOAD, 0x18d1, 0xd001, "Pixel 7 Pro",
	      "in-sideload", "port: usb:1-2" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct repair_phone ph = { 0 };
		struct repair_opts o = { 0 };
		struct dev_info di;
		struct diag_report r;
		const struct diag_finding *f;
		char err[200], why[400];
		int seen = 0;

		memset(&di, 0, sizeof(di));
		di.mode = rows[i].mode;
		di.present = 1;
		snprintf(di.transport, sizeof(di.transport), "usb");
		snprintf(di.port, sizeof(di.port), "usb:1-2");
		di.vid = rows[i].vid;
		di.pid = rows[i].pid;
		snprintf(di.vendor, sizeof(di.vendor), "%s", di.vid == 0x04e8 ?
		    "Samsung" : "");
		snprintf(di.product, sizeof(di.product), "%s",
		    rows[i].product);
		assert_int_equal(repair_open_row(&ph, &di, "5B:0C:11", err,
		    sizeof(err)), 0);
		assert_int_equal(repair_diagnose(&ph, &rules, &r), 0);
		print_message("# %s: %zu finding(s), %zu unchecked\n",
		    dev_mode_name(rows[i].mode), r.n, r.nskip);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.nskip, 0);
		f = repair_finding(&r, rows[i].want);
		assert_non_null(f);
		assert_string_equal(f->ev[0].source, "connection");
		for (int k = 0; k < f->ev[0].nlines; k++)
			seen |= strncmp(f->ev[0].lines[k], rows[i].line,
			    strlen(rows[i].line)) == 0;
		assert_true(seen);
		/* The fingerprint is shown only to an unauthorized phone. */
		for (int k = 0; k < f->ev[0].nlines; k++)
			assert_true(rows[i].mode == DEV_MODE_UNAUTHORIZED ||
			    strstr(f->ev[0].lines[k], "fingerprint") == NULL);
		/* Nothing there runs on the phone: every step is blocked. */
		for (int k = 0; k < f->rule->nsteps; k++)
			assert_non_null(repair_step_blocked(&f->rule->step[k],
			    &o, &ph, why, sizeof(why)));
		assert_string_equal(repair_mode_name(&ph), rows[i].mode ==
		    DEV_MODE_MEDIATEK_BROM || rows[i].mode ==
		    DEV_MODE_MEDIATEK_PRELOADER ? "mediatek" :
		    rows[i].mode == DEV_MODE_SAMSUNG_DOWNLOAD ?
		    "samsung-download" : rows[i].mode == DEV_MODE_QUALCOMM_EDL ?
		    "qualcomm-edl" : dev_mode_name(rows[i].mode));
		diag_report_free(&r);
		repair_close(&ph);
	}
	/* A phone that can be talked to is not read from its row. */
	{
		struct repair_phone ph = { 0 };
		struct dev_info di;
		char err[200];

		memset(&di, 0, sizeof(di));
		di.mode = DEV_MODE_ADB;
		di.present = 1;
		assert_int_equal(repair_open_row(&ph, &di, NULL, err,
		    sizeof(err)), DM_EUNSUPP);
		repair_close(&ph);
	}
}

/* pm list users in AOSP's format ("UserInfo{ID:NAME:FLAGS}"): hand-made
 * lines, no capture of a phone with a work profile is in the fixtures. */
static void
test_other_users(void **state)
{
	static const struct {
		const char *out;
		int fires;
	} cases[] = {
	    { "Users:\n\tUserInfo{0:Owner:c13} running\n", 0 },
	    { "Users:\n\tUserInfo{0:Owner:c13} running\n"
	      "\tUserInfo{10:Work profile:1030} running\n", 1 },
	    { "Users:\n\tUserInfo{0:Owner:c13} running\n"
	      "\tUserInfo{150:Secure Folder:1030}\n", 1 },
	    /* a user id that only starts like one: not another user */
	    { "Users:\n\tUserInfo{0:Owner:c13} running\n"
	      "\tUserInfo{00:x:0}\n", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f = { 0 };
		struct props *p = healthy_props();

		fake_add(&f, "pm list users", strdup(cases[i].out),
		    strlen(cases[i].out));
		assert_int_equal(has(findings(&f, p, RULE_MODE_DEVICE),
		    "other-users"), cases[i].fires);
		fake_free(&f);
		props_free(p);
	}
}

static void
test_probe_runs_once(void **state)
{
	struct fake f = { 0 };
	struct props *p = healthy_props();

	(void)state;
	fake_add(&f, "logcat -b crash -d", strdup(""), 0);
	fake_add(&f, "dumpsys battery", strdup(""), 0);
	findings(&f, p, RULE_MODE_DEVICE);
	/* Three battery rules, two crash rules: each command once; and
	 * the seven commands it lacks (df, the FactoryTestApp log, the
	 * window list that two rules read, the device policy, logcat,
	 * dropbox's tombstones, the users) once each too. */
	assert_int_equal(f.runs, 9);
	fake_free(&f);
	props_free(p);
}

static void
test_unchecked_when_probe_fails(void **state)
{
	struct fake f = { 0 };
	struct props *p = healthy_props();
	struct diag_src src = { fake_run, &f, p, RULE_MODE_DEVICE, NULL };
	struct diag_report r;

	(void)state;
	assert_int_equal(diag_run(&rules, &src, &r), 0);
	assert_int_equal(r.n, 0);
	/* Every rule with a probe is listed with the reason. */
	assert_true(r.nskip >= 9);
	assert_non_null(strstr(r.skip[0].why, "not found"));
	diag_report_free(&r);
	props_free(p);
}

static void
test_hostile_outputs(void **state)
{
	struct fake f = { 0 };
	struct props *p = healthy_props();
	size_t big = DIAG_OUTPUT_MAX + (1u << 20);
	char *t = malloc(big);
	const char *line = "E AndroidRuntime: Process: android.process.media, PID: 1";
	struct diag_src src = { fake_run, &f, p, RULE_MODE_DEVICE, NULL };
	struct diag_report r;

	(void)state;
	/* Huge and binary: NULs, bytes over 0x7f, no newline for 9 MiB. */
	assert_non_null(t);
	for (size_t i = 0; i < big; i++)
		t[i] = (char)(i * 7 % 256);
	fake_add(&f, "logcat -b crash -d", t, big);
	assert_false(has(findings(&f, p, RULE_MODE_DEVICE), "media-crash"));
	fake_free(&f);
	/* A match on a last line with no newline, and binary around it. */
	t = malloc(4096);
	memset(t, 0, 4096);
	memcpy(t + 100, "\n", 1);
	memcpy(t + 4096 - strlen(line), line, strlen(line));
	t[101] = '\x1b';
	fake_add(&f, "logcat -b crash -d", t, 4096);
	assert_int_equal(diag_run(&rules, &src, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.f[0].rule->id, "media-crash");
	/* Evidence lines never carry control characters. */
	for (const char *c = r.f[0].ev[0].lines[0]; *c; c++)
		assert_true((unsigned char)*c >= 0x20 || *c == '\t');
	diag_report_free(&r);
	fake_free(&f);
	props_free(p);
}

static void
test_broken_rule_files(void **state)
{
	struct ruleset rs;
	const char *good = "{\"id\":\"ok-rule\",\"title\":\"t\",\"severity\":"
	    "\"info\",\"explain\":\"e\",\"when\":[{\"prop\":\"a\",\"regex\":"
	    "\"x\"}]}";
	char text[2048];

	(void)state;
	ruleset_init(&rs);
	/* JSON syntax: FILE:LINE:COLUMN, nothing added. */
	assert_int_equal(ruleset_add_text(&rs, "bad.json",
	    "{\"rules\": [\n  {\"id\": \"x\",,}\n]}", 31), 0);
	assert_int_equal(rs.nproblems, 1);
	assert_non_null(strstr(rs.problems[0], "bad.json:2:"));
	/* One bad rule among good ones: the good ones load. */
	snprintf(text, sizeof(text), "{\"rules\": [%s, "
	    "{\"id\":\"bad-re\",\"title\":\"t\",\"severity\":\"info\","
	    "\"explain\":\"e\",\"when\":[{\"prop\":\"a\",\"regex\":\"(\"}]},"
	    "{\"id\":\"bad-key\",\"titel\":\"t\"},"
	    "{\"id\":\"no-probe\",\"title\":\"t\",\"severity\":\"info\","
	    "\"explain\":\"e\",\"when\":[{\"probe\":\"nope\",\"regex\":\"x\"}]},"
	    "{\"id\":\"Bad Id\",\"title\":\"t\"},"
	    "{\"id\":\"bad-risk\",\"title\":\"t\",\"severity\":\"info\","
	    "\"explain\":\"e\",\"when\":[{\"prop\":\"a\",\"regex\":\"x\"}],"
	    "\"plan\":[{\"action\":\"reboot\",\"risk\":\"some\","
	    "\"effect\":\"e\"}]},"
	    "{\"id\":\"bad-within\",\"title\":\"t\",\"severity\":\"info\","
	    "\"explain\":\"e\",\"probes\":{\"p\":\"ls\"},\"when\":[{\"probe\":"
	    "\"p\",\"regex\":\"x\",\"within\":\"[\"}]},"
	    "{\"id\":\"typo-key\",\"title\":\"t\",\"severity\":\"info\","
	    "\"explain\":\"e\",\"probes\":{\"p\":\"ls\"},\"when\":[{\"probe\":"
	    "\"p\",\"regex\":\"x\",\"withn\":\"y\"}]},"
	    "{\"id\":\"prop-within\",\"title\":\"t\",\"severity\":\"info\","
	    "\"explain\":\"e\",\"when\":[{\"prop\":\"a\",\"regex\":\"x\","
	    "\"within\":\"y\"}]}]}", good);
	assert_int_equal(ruleset_add_text(&rs, "mixed.json", text,
	    strlen(text)), 1);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.rules[0].id, "ok-rule");
	assert_int_equal(rs.nproblems, 9);
	assert_non_null(strstr(rs.problems[1], "mixed.json: rule bad-re: "
	    "matcher 1: bad regex"));
	assert_non_null(strstr(rs.problems[2], "unknown key \"titel\""));
	assert_non_null(strstr(rs.problems[3], "does not define"));
	assert_non_null(strstr(rs.problems[4], "rule 5: id"));
	assert_non_null(strstr(rs.problems[5], "\"risk\" must be"));
	assert_non_null(strstr(rs.problems[6], "rule bad-within: matcher 1: "
	    "bad within \"[\""));
	assert_non_null(strstr(rs.problems[7], "rule typo-key: matcher 1: "
	    "unknown matcher key \"withn\""));
	assert_non_null(strstr(rs.problems[8], "\"within\" goes with"));
	/* Not a rules file. */
	assert_int_equal(ruleset_add_text(&rs, "list.json", "[1,2]", 5), 0);
	assert_non_null(strstr(rs.problems[9], "list.json: want"));
	/* A later rule of the same id replaces the earlier one. */
	snprintf(text, sizeof(text), "{\"rules\": [%s]}", good);
	assert_int_equal(ruleset_add_text(&rs, "user.json", text,
	    strlen(text)), 1);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.rules[0].file, "user.json");
	ruleset_free(&rs);
}

/* One rule whose "when" is a single property regex. */
static int
load_one_regex(struct ruleset *rs, const char *re)
{
	char text[4096];

	snprintf(text, sizeof(text), "{\"rules\": [{\"id\":\"re\","
	    "\"title\":\"t\",\"severity\":\"info\",\"explain\":\"e\","
	    "\"when\":[{\"prop\":\"a\",\"regex\":\"%s\"}]}]}", re);
	return ruleset_add_text(rs, "re.json", text, strlen(text));
}

static void
test_costly_regex_refused(void **state)
{
	static const struct {
		const char *re, *why;
	} bad[] = {
		/* the pattern that took 1.8 GB inside regcomp under the fuzzer */
		{ "((((a{1,200}){1,200}){1,200}){1,200})", "expanded" },
		{ "(x{60}){70}", "expanded" },
		{ "(ab){9000}", "over 4000" },
		{ "(ab)*{3}", "in a row" },
		/* what the fuzzer found next: 2^n copies, and an n-deep
		 * closure in regcomp */
		{ "and++++++++++++++++++++++++++++++++++++++++roid", "in a row" },
		{ "l***************************************ogging", "in a row" },
		{ "(a*)\\\\1", "back-references" },
		{ "((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))"
		  "))))))))))", "nested" },
		{ "[[:alpha:]", "unclosed [" },
		{ "a{2,1}", "malformed" },
	};
	static const char *const good[] = {
		"^[0-9]{1,3}(\\\\.[0-9]{1,3}){3}$", "[]x]{2}", "[[:digit:]]{40}",
		"(ab|cd){10}x{100}", "\\\\{", "a+b*c?(de)+",
	};
	struct ruleset rs;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ruleset_init(&rs);
		assert_int_equal(load_one_regex(&rs, bad[i].re), 0);
		assert_int_equal(rs.nproblems, 1);
		print_message("# %s -> %s\n", bad[i].re, rs.problems[0]);
		assert_non_null(strstr(rs.problems[0], "bad regex"));
		assert_non_null(strstr(rs.problems[0], bad[i].why));
		ruleset_free(&rs);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ruleset_init(&rs);
		assert_int_equal(load_one_regex(&rs, good[i]), 1);
		assert_int_equal(rs.nproblems, 0);
		ruleset_free(&rs);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_load_clean),
		cmocka_unit_test(test_row_modes),
		cmocka_unit_test(test_other_users),
		cmocka_unit_test(test_media_crash_dropbox),
		cmocka_unit_test(test_also_refused),
		cmocka_unit_test(test_boot_loop_evidence),
		cmocka_unit_test(test_media_crash_captures),
		cmocka_unit_test(test_other_crashes_are_not_media),
		cmocka_unit_test(test_secure_window),
		cmocka_unit_test(test_secure_window_needs_its_block),
		cmocka_unit_test(test_app_in_other_user),
		cmocka_unit_test(test_policy_no_screenshots),
		cmocka_unit_test(test_systemui_capture_crash),
		cmocka_unit_test(test_native_crash),
		cmocka_unit_test(test_samsung_factory_mode),
		cmocka_unit_test(test_ffbm_bootmode),
		cmocka_unit_test(test_healthy_phones),
		cmocka_unit_test(test_xiaomi14_buildprop_healthy),
		cmocka_unit_test(test_storage_and_battery),
		cmocka_unit_test(test_props_rules),
		cmocka_unit_test(test_fastboot_captures),
		cmocka_unit_test(test_fastboot_edited),
		cmocka_unit_test(test_var_matchers),
		cmocka_unit_test(test_probe_runs_once),
		cmocka_unit_test(test_unchecked_when_probe_fails),
		cmocka_unit_test(test_hostile_outputs),
		cmocka_unit_test(test_broken_rule_files),
		cmocka_unit_test(test_costly_regex_refused),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
