/* actions.c - repair actions over ADB (see actions.h).  Every command line
 * is built from fixed words and quoted operands; success is judged from
 * what Android's pm and am print ("Success", "new state: ..."), never from
 * the exit status alone (old phones' shells do not carry it). */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "adb.h"
#include "backup.h"
#include "capture.h"
#include "dev.h"
#include "err.h"
#include "fastboot.h"
#include "fbcmd.h"
#include "fbvars.h"
#include "png.h"
#include "xmem.h"

#define CMD_MS		60000
#define OUT_CAP		(1u << 20)
#define BUNDLE_CAP	(32u << 20)	/* one command's share of a bundle */

static const struct act_def defs[] = {
	{ "clear-data", RISK_APP_DATA, "package",
	    "erase one app's data and cache (pm clear): its accounts, "
	    "settings and databases start afresh", NULL, NULL },
	{ "clear-cache", RISK_NONE, "package",
	    "erase one app's cache only (pm clear --cache-only, Android 14 "
	    "and later)", NULL, NULL },
	{ "force-stop", RISK_NONE, "package",
	    "stop the app and its services now (am force-stop)", NULL, NULL },
	{ "disable", RISK_APP_DATA, "package",
	    "disable the app for the user (pm disable-user); undo: enable",
	    NULL, NULL },
	{ "enable", RISK_NONE, "package", "enable a disabled app",
	    NULL, NULL },
	{ "uninstall", RISK_APP_DATA, "package",
	    "remove the app for the user, keeping its data (pm uninstall -k "
	    "--user 0); undo: restore", NULL, NULL },
	{ "restore", RISK_NONE, "package",
	    "bring back an app removed for the user (install-existing)",
	    NULL, NULL },
	{ "trim-caches", RISK_NONE, NULL,
	    "have the system empty every app's cache (pm trim-caches)",
	    NULL, NULL },
	{ "reset-app-prefs", RISK_APP_DATA, NULL,
	    "enable every disabled app and reset app-op restrictions (cmd "
	    "appops reset); default-app choices cannot be reset over adb",
	    NULL, NULL },
	{ "reboot", RISK_NONE, "to",
	    "restart into system, recovery, bootloader, fastboot, sideload or "
	    "safe-mode, and wait for the phone", NULL, NULL },
	{ "log-bundle", RISK_NONE, NULL,
	    "properties, logcat, the crash buffer, dropbox and dumpsys "
	    "sections in one .tar.gz", NULL, NULL },
	{ "screenshot", RISK_NONE, NULL,
	    "capture the screen over adb as PNG, and say whether it came out "
	    "black and why (a secure window, a policy, the screen off)",
	    NULL, NULL },
	{ "backup", RISK_NONE, "what", "copy the phone's data off into the "
	    "backup library (what=all|media|CATEGORY,...)", NULL, "all" },
	{ "factory-reset", RISK_USER_DATA, "via",
	    "erase all user data: via=fastboot erases userdata and metadata "
	    "in the bootloader (unlocked), after checking its serial; "
	    "via=recovery reboots into recovery for its own wipe menu; "
	    "via=auto (the default) picks fastboot when the bootloader is "
	    "unlocked or the phone is in it", NULL, "auto" },
	{ "reflash", RISK_FLASH, NULL, "write the firmware again",
	    "not carried out yet (issue 7: firmware)", NULL },
	{ "check-update", RISK_NONE, NULL,
	    "compare the build with the newest firmware",
	    "not carried out yet (issue 7: firmware catalog)", NULL },
	{ "set-active", RISK_FLASH, "slot",
	    "in fastboot, on an A/B phone: make slot a or b (other: the one "
	    "not current) the one that boots, unless the bootloader marks it "
	    "unbootable; read back", NULL, "other" },
	{ "by-hand", RISK_NONE, "do",
	    "a step the technician does on the phone or the bench (its "
	    "\"do\" says what); listed in plans, never run",
	    "is done by hand, not by droidmedic", NULL },
	{ "clear-bootmode", RISK_FLASH, NULL,
	    "clear the boot-mode message that keeps a Qualcomm phone in "
	    "FFBM or QMMI: reboot to the bootloader, check it is the same "
	    "phone, erase misc, boot Android again", NULL, NULL },
	{ "samsung-factorymode-on", RISK_FLASH, NULL,
	    "with root (adb root or su): write ON into /efs/FactoryApp/"
	    "factorymode and keystr, their owner and mode kept and read "
	    "back, then reboot", NULL, NULL },
};

const struct act_def *
act_all(size_t *n)
{
	*n = sizeof(defs) / sizeof(defs[0]);
	return defs;
}

const struct act_def *
act_find(const char *name)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

const char *
act_blocked(const char *name, int sdk, char *buf, size_t len)
{
	if (strcmp(name, "clear-cache") == 0 && sdk < 34) {
		snprintf(buf, len, "Android with SDK %d cannot clear one app's "
		    "cache over adb (pm clear --cache-only came with Android "
		    "14); trim-caches empties every app's cache", sdk);
		return buf;
	}
	return NULL;
}

int
act_valid_package(const char *s)
{
	int parts = 0;

	if (strcmp(s, "android") == 0)
		return 1;
	if (strlen(s) > 255)
		return 0;
	while (*s) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return 0;
		while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_')
			s++;
		parts++;
		if (*s == '.' && s[1] != '\0')
			s++;
		else if (*s != '\0')
			return 0;
	}
	return parts >= 2;
}

int
act_protected(const char *pkg)
{
	static const char *const core[] = { "android", "com.android.systemui",
	    "com.android.settings", "com.android.phone", "com.android.shell",
	    "com.android.providers.settings", "com.android.server.telecom",
	    "com.android.packageinstaller", "com.google.android.packageinstaller",
	    "com.android.permissioncontroller",
	    "com.google.android.permissioncontroller", "com.android.networkstack",
	    "com.google.android.networkstack", "com.android.bluetooth",
	    "com.android.nfc", "com.android.se", "com.android.keychain",
	    "com.android.externalstorage", "com.android.providers.media",
	    "com.android.providers.media.module",
	    "com.google.android.providers.media.module",
	    "com.android.providers.downloads", "com.android.inputdevices",
	    "com.android.location.fused", "com.android.dynsystem",
	    "com.samsung.android.lool", "com.miui.securitycenter" };

	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++)
		if (strcmp(pkg, core[i]) == 0)
			return 1;
	return 0;
}

static void
say(struct act_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct act_env *env, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	if (env->say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	env->say(env->ud, line);
}

static int
failf(struct act_result *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
failf(struct act_result *r, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return rc;
}

/* The first line of text, trimmed, for messages. */
static void
first_line(const char *s, char *buf, size_t len)
{
	size_t n;

	while (*s == '\n' || *s == '\r' || *s == ' ')
		s++;
	n = strcspn(s, "\r\n");
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	buf[n] = '\0';
}

/* Run "WORDS 'operand'" (operand NULL: none) and collect stdout and
 * stderr together. */
static int
run(struct act_env *env, const char *words, const char *operand,
    char **out, int *code, struct act_result *r)
{
	char cmd[600], err[300];
	size_t len;
	int rc;

	/* Operands are checked by the callers (package names: letters,
	 * digits, '_' and '.'); quoting them is the second line of
	 * defence, and "2>&1" keeps pm's errors with its answers. */
	if (operand != NULL && strchr(operand, '\'') != NULL)
		return failf(r, DM_EINVAL, "refusing to send a quote");
	snprintf(cmd, sizeof(cmd), "%s%s%s%s 2>&1", words, operand ? " '" : "",
	    operand ? operand : "", operand ? "'" : "");
	rc = adb_shell_capture(env->c, cmd, out, &len, OUT_CAP, code, CMD_MS,
	    err, sizeof(err));
	if (rc < 0)
		return failf(r, rc, "`%s`: %s", cmd, err);
	return 0;
}

static int
installed(struct act_env *env, const char *pkg, struct act_result *r)
{
	char *out = NULL;
	int code, rc, yes;

	rc = run(env, "pm path", pkg, &out, &code, r);
	if (rc < 0)
		return rc;
	yes = strncmp(out, "package:", 8) == 0;
	free(out);
	return yes;
}

/* pm/am with a package; ok_text: what a success prints (NULL: any exit
 * status 0 or unknown with no "Error"/"Failure"). */
static int
pm_action(struct act_env *env, const char *words, const char *pkg,
    const char *ok_text, struct act_result *r)
{
	char *out = NULL, why[200];
	int code, rc, ok;

	rc = run(env, words, pkg, &out, &code, r);
	if (rc < 0)
		return rc;
	if (ok_text != NULL)
		ok = strstr(out, ok_text) != NULL;
	else
		ok = code <= 0 && strstr(out, "Error") == NULL &&
		    strstr(out, "Failure") == NULL &&
		    strstr(out, "Exception") == NULL;
	first_line(out, why, sizeof(why));
	free(out);
	if (!ok)
		return failf(r, DM_EREFUSED, "`%s %s`: the phone said: %s",
		    words, pkg, why[0] ? why : "nothing (no success)");
	return 0;
}

static int
package_action(struct act_env *env, const char *name, const char *pkg,
    struct act_result *r)
{
	int rc;

	if (strcmp(name, "disable") == 0 || strcmp(name, "uninstall") == 0) {
		if (act_protected(pkg))
			return failf(r, DM_EREFUSED, "%s is a core package: "
			    "the phone needs it, so it is never %s", pkg,
			    name[0] == 'd' ? "disabled" : "removed");
	}
	if (act_blocked(name, env->sdk, r->msg, sizeof(r->msg)) != NULL)
		return DM_EUNSUPP;
	if (strcmp(name, "restore") != 0) {
		rc = installed(env, pkg, r);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			r->skipped = 1;
			snprintf(r->msg, sizeof(r->msg), "%s is not installed "
			    "on this phone: nothing to do", pkg);
			return 0;
		}
	}
	if (strcmp(name, "clear-data") == 0) {
		say(env, "clearing the data of %s", pkg);
		rc = pm_action(env, "pm clear", pkg, "Success", r);
		if (rc == 0)
			snprintf(r->msg, sizeof(r->msg), "data of %s cleared",
			    pkg);
	} else if (strcmp(name, "clear-cache") == 0) {
		say(env, "clearing the cache of %s", pkg);
		rc = pm_action(env, "pm clear --cache-only", pkg, "Success",
		    r);
		if (rc == 0)
			snprintf(r->msg, sizeof(r->msg), "cache of %s cleared",
			    pkg);
	} else if (strcmp(name, "force-stop") == 0) {
		say(env, "stopping %s", pkg);
		rc = pm_action(env, "am force-stop", pkg, NULL, r);
		if (rc == 0)
			snprintf(r->msg, sizeof(r->msg), "%s stopped", pkg);
	} else if (strcmp(name, "disable") == 0) {
		say(env, "disabling %s", pkg);
		rc = pm_action(env, "pm disable-user --user 0", pkg,
		    "new state: disabled", r);
		if (rc == 0) {
			snprintf(r->msg, sizeof(r->msg), "%s disabled", pkg);
			snprintf(r->undo, sizeof(r->undo), "enable package=%s",
			    pkg);
		}
	} else if (strcmp(name, "enable") == 0) {
		say(env, "enabling %s", pkg);
		rc = pm_action(env, "pm enable --user 0", pkg,
		    "new state: enabled", r);
		if (rc == 0)
			snprintf(r->msg, sizeof(r->msg), "%s enabled", pkg);
	} else if (strcmp(name, "uninstall") == 0) {
		say(env, "removing %s for the user", pkg);
		rc = pm_action(env, "pm uninstall -k --user 0", pkg, "Success",
		    r);
		if (rc == 0) {
			snprintf(r->msg, sizeof(r->msg), "%s removed for user "
			    "0 (its data kept)", pkg);
			snprintf(r->undo, sizeof(r->undo), "restore package=%s",
			    pkg);
		}
	} else {
		say(env, "restoring %s for the user", pkg);
		rc = pm_action(env, "cmd package install-existing --user 0",
		    pkg, "installed for user", r);
		if (rc == 0)
			snprintf(r->msg, sizeof(r->msg), "%s is back for user "
			    "0", pkg);
	}
	return rc;
}

static int
reset_app_prefs(struct act_env *env, struct act_result *r)
{
	char *out = NULL, *line, *save = NULL;
	int code, rc, n = 0;

	rc = run(env, "pm list packages -d", NULL, &out, &code, r);
	if (rc < 0)
		return rc;
	for (line = strtok_r(out, "\n", &save); line != NULL && rc == 0;
	    line = strtok_r(NULL, "\n", &save)) {
		const char *pkg;

		line[strcspn(line, "\r")] = '\0';
		if (strncmp(line, "package:", 8) != 0)
			continue;
		pkg = line + 8;
		if (!act_valid_package(pkg))
			continue;	/* the phone's text: never sent back */
		say(env, "enabling %s", pkg);
		rc = pm_action(env, "pm enable --user 0", pkg,
		    "new state: enabled", r);
		n += rc == 0;
	}
	free(out);
	if (rc < 0)
		return rc;
	say(env, "resetting app-op restrictions");
	rc = pm_action(env, "cmd appops reset --user", "0", NULL, r);
	if (rc < 0)
		return rc;
	snprintf(r->msg, sizeof(r->msg), "%d disabled app%s enabled, app-op "
	    "restrictions reset", n, n == 1 ? "" : "s");
	return 0;
}

/* reboot from fastboot: into Android (adb waited for), the bootloader or
 * fastbootd (fastboot waited for), or recovery (not waited for: its menu
 * is the phone's own). */
static int
reboot_from_fastboot(struct act_env *env, const char *to,
    struct act_result *r)
{
	char err[400];
	int rc, android = strcmp(to, "system") == 0;

	if (strcmp(to, "sideload") == 0 || strcmp(to, "safe-mode") == 0)
		return failf(r, DM_EUNSUPP, "fastboot cannot reboot into %s: "
		    "reboot to=%s", to, strcmp(to, "sideload") == 0 ?
		    "recovery, then choose \"Apply update from ADB\"" :
		    "system, then hold Volume Down while it starts");
	say(env, "rebooting into %s", to);
	rc = fb_reboot(env->fb, android ? "" : to, err, sizeof(err));
	if (rc < 0)
		return failf(r, rc, "reboot %s: %s%s", to, rc == DM_EREFUSED ?
		    "the phone said: " : "", err);
	fb_close(env->fb);
	env->fb = NULL;
	if (strcmp(to, "recovery") == 0) {
		snprintf(r->msg, sizeof(r->msg), "rebooting into recovery");
		return 0;
	}
	if (android ? env->reconnect == NULL : env->fastboot == NULL) {
		snprintf(r->msg, sizeof(r->msg), "rebooting into %s", to);
		return 0;
	}
	say(env, "waiting for the phone to come back (up to %d s)",
	    ACT_BOOT_MS / 1000);
	rc = android ? env->reconnect(env->ud, &env->c, ACT_BOOT_MS, err,
	    sizeof(err)) : env->fastboot(env->ud, &env->fb, ACT_BOOT_MS, err,
	    sizeof(err));
	if (rc < 0)
		return failf(r, rc, "after the reboot: %s", err);
	snprintf(r->msg, sizeof(r->msg), "rebooted into %s and back in %s",
	    to, android ? "adb" : "fastboot");
	return 0;
}

static int
reboot_action(struct act_env *env, const char *to, struct act_result *r)
{
	static const char *const targets[] = { "system", "recovery",
	    "bootloader", "fastboot", "sideload", "safe-mode" };
	const char *wire = to;
	char err[400];
	int known = 0, rc, wait;

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		known |= strcmp(to, targets[i]) == 0;
	if (!known)
		return failf(r, DM_EINVAL, "no reboot target '%s' (system, "
		    "recovery, bootloader, fastboot, sideload, safe-mode)", to);
	if (env->fb != NULL)
		return reboot_from_fastboot(env, to, r);
	if (strcmp(to, "safe-mode") == 0) {
		char *out = NULL, v[16];
		int code;

		/* The switch Android reads at boot; only root (or the
		 * system) may set it. */
		rc = run(env, "setprop persist.sys.safemode 1; getprop "
		    "persist.sys.safemode", NULL, &out, &code, r);
		if (rc < 0)
			return rc;
		first_line(strrchr(out, '\n') && strrchr(out, '\n')[1] ?
		    strrchr(out, '\n') + 1 : out, v, sizeof(v));
		free(out);
		if (strcmp(v, "1") != 0)
			return failf(r, DM_EUNSUPP, "this phone does not let "
			    "adb turn safe mode on (that needs root): restart "
			    "it and hold Volume Down while it starts");
		wire = "";
	} else if (strcmp(to, "system") == 0) {
		wire = "";
	}
	say(env, "rebooting into %s", to);
	rc = adb_reboot(env->c, wire, err, sizeof(err));
	if (rc < 0)
		return failf(r, rc, "reboot %s: %s", to, err);
	wait = wire[0] == '\0' || strcmp(to, "recovery") == 0 ||
	    strcmp(to, "sideload") == 0;
	if (!wait || env->reconnect == NULL) {
		snprintf(r->msg, sizeof(r->msg), "rebooting into %s", to);
		return 0;
	}
	say(env, "waiting for the phone to come back (up to %d s)",
	    ACT_BOOT_MS / 1000);
	rc = env->reconnect(env->ud, &env->c, ACT_BOOT_MS, err, sizeof(err));
	if (rc < 0)
		return failf(r, rc, "after the reboot: %s", err);
	snprintf(r->msg, sizeof(r->msg), "rebooted into %s and back in adb",
	    to);
	return 0;
}

/* ---- log bundle ---- */

static const struct {
	const char *file, *cmd;
} bundle_parts[] = {
	{ "getprop.txt", "getprop" },
	{ "logcat.txt", "logcat -d" },
	{ "logcat-crash.txt", "logcat -b crash -d" },
	{ "dropbox.txt", "dumpsys dropbox --print" },
	{ "battery.txt", "dumpsys battery" },
	{ "activity-processes.txt", "dumpsys activity processes" },
	{ "window.txt", "dumpsys window windows" },
	{ "device-policy.txt", "dumpsys device_policy" },
	{ "df.txt", "df -h" },
	{ "packages.txt", "pm list packages -u" },
	{ "disabled-packages.txt", "pm list packages -d" },
	{ "uptime.txt", "uptime" },
};

static int
add_entry(struct archive *a, const char *name, const void *data, size_t len,
    time_t now)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, now, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len))
		rc = -1;
	archive_entry_free(e);
	return rc;
}

/* "PREFIX-SERIAL-20261121T101500Z": a name for what an action saves,
 * from the phone's own serial (only [A-Za-z0-9_-] kept). */
static void
out_name(struct act_env *env, const char *prefix, time_t now, char *buf,
    size_t len)
{
	char serial[64] = "", stamp[32], err[200], *out = NULL;
	size_t n;
	int code;
	struct tm tm;

	if (adb_shell_capture(env->c, "getprop ro.serialno", &out, &n, 200,
	    &code, CMD_MS, err, sizeof(err)) == 0)
		first_line(out, serial, sizeof(serial));
	free(out);
	for (char *p = serial; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			*p = '_';
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(buf, len, "%s-%s-%s", prefix, serial[0] ? serial : "phone",
	    stamp);
}

/* ---- screenshot ---- */

#define CAPTURE_CAP	((size_t)CAPTURE_MAX_PIXELS * 4 + 16)

/* All of `exec:screencap`, binary (exec: has no pty to mangle it). */
static int
read_capture(struct act_env *env, unsigned char **data, size_t *len,
    struct act_result *r)
{
	char err[300];
	struct adb_stream *st = adb_open(env->c, "exec:screencap", err,
	    sizeof(err));
	size_t cap = 1u << 20;
	unsigned char *buf;
	int n;

	if (st == NULL)
		return failf(r, DM_EIO, "exec:screencap: %s", err);
	buf = xmalloc(cap + 1);
	*len = 0;
	while ((n = adb_stream_read(st, buf + *len, cap - *len, CMD_MS)) > 0) {
		*len += (size_t)n;
		if (*len < cap)
			continue;
		if (cap >= CAPTURE_CAP) {
			n = DM_ENOMEM;
			break;
		}
		cap *= 2;
		buf = xrealloc(buf, cap + 1);
	}
	if (n < 0) {
		if (n == DM_ENOMEM)
			snprintf(err, sizeof(err), "over %zu MiB: not a "
			    "screen", CAPTURE_CAP >> 20);
		else
			snprintf(err, sizeof(err), "%s",
			    adb_stream_error(st));
		adb_stream_close(st);
		free(buf);
		return failf(r, n, "exec:screencap: %s", err);
	}
	adb_stream_close(st);
	buf[*len] = '\0';	/* for reading it as text */
	*data = buf;
	return 0;
}

/* Copy word (n bytes) into buf when it is only [A-Za-z0-9_.$/]: the
 * phone's text, shown, never sent back. */
static int
clean_word(const char *w, size_t n, char *buf, size_t len)
{
	if (n == 0 || n >= len)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= 'A' &&
		    w[i] <= 'Z') || (w[i] >= '0' && w[i] <= '9') ||
		    strchr("_.$/", w[i]) != NULL))
			return 0;
	memcpy(buf, w, n);
	buf[n] = '\0';
	return 1;
}

/* Each line of a command's output (NULL when it failed). */
static char *
output_of(struct act_env *env, const char *cmd)
{
	char *out = NULL, err[200];
	size_t len;
	int code;

	if (adb_shell_capture(env->c, cmd, &out, &len, OUT_CAP, &code,
	    CMD_MS, err, sizeof(err)) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* The apps showing a window marked secure ("com.x (user 0)", comma-
 * separated) from `dumpsys window windows`; 0 when none. */
static int
secure_windows(struct act_env *env, char *buf, size_t len)
{
	char *out = output_of(env, "dumpsys window windows"), *line, *save;
	char app[200] = "", user[16] = "";
	int n = 0;

	buf[0] = '\0';
	if (out == NULL)
		return 0;
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *w = strstr(line, "Window{"), *t = line;

		while (*t == ' ')
			t++;
		if (strncmp(t, "Window #", 8) == 0 && w != NULL) {
			/* Window{HASH uN PACKAGE/ACTIVITY}: */
			char *u = strchr(w, ' '), *pk, *sl;

			app[0] = user[0] = '\0';
			if (u == NULL || u[1] != 'u')
				continue;
			pk = strchr(u + 1, ' ');
			sl = pk != NULL ? strchr(pk, '/') : NULL;
			if (sl == NULL)
				continue;
			if (!clean_word(u + 2, (size_t)(pk - u - 2), user,
			    sizeof(user)) || !clean_word(pk + 1,
			    (size_t)(sl - pk - 1), app, sizeof(app)) ||
			    !act_valid_package(app))
				app[0] = '\0';
		} else if (strncmp(t, "fl=", 3) == 0 && app[0] != '\0') {
			char *f = strstr(t, " SECURE");

			if (f == NULL || (f[7] != ' ' && f[7] != '\0' &&
			    f[7] != '\r'))
				continue;
			if (strstr(buf, app) == NULL && strlen(buf) +
			    strlen(app) + 20 < len) {
				snprintf(buf + strlen(buf), len - strlen(buf),
				    "%s%s (user %s)", n ? ", " : "", app, user);
				n++;
			}
		}
	}
	free(out);
	return n;
}

/* The admin (package/.Receiver) that sets disableScreenCapture, from
 * `dumpsys device_policy`; 0 when none. */
static int
policy_admin(struct act_env *env, char *buf, size_t len)
{
	char *out = output_of(env, "dumpsys device_policy"), *line, *save;
	char admin[200] = "";
	int found = 0;

	buf[0] = '\0';
	if (out == NULL)
		return 0;
	for (line = strtok_r(out, "\n", &save); line != NULL && !found;
	    line = strtok_r(NULL, "\n", &save)) {
		char *t = line;
		size_t n;

		line[strcspn(line, "\r")] = '\0';
		while (*t == ' ')
			t++;
		n = strlen(t);
		if (n > 1 && t[n - 1] == ':' && strchr(t, '/') != NULL &&
		    strchr(t, ' ') == NULL) {
			if (!clean_word(t, n - 1, admin, sizeof(admin)))
				admin[0] = '\0';
		} else if (strcmp(t, "disableScreenCapture=true") == 0) {
			snprintf(buf, len, "%s", admin[0] ? admin :
			    "an admin");
			found = 1;
		}
	}
	free(out);
	return found;
}

/* 1 when `dumpsys power` says the screen is off (asleep or dozing). */
static int
screen_off(struct act_env *env)
{
	char *out = output_of(env, "dumpsys power");
	int off;

	if (out == NULL)
		return 0;
	off = strstr(out, "mWakefulness=Asleep") != NULL ||
	    strstr(out, "mWakefulness=Dozing") != NULL;
	free(out);
	return off;
}

/* Save a PNG as path, through path.part. */
static int
save_file(const char *path, const void *data, size_t len,
    struct act_result *r)
{
	char tmp[600];
	int fd, e = 0;
	const unsigned char *p = data;

	snprintf(tmp, sizeof(tmp), "%s.part", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return failf(r, DM_EIO, "%s: %s", tmp, strerror(errno));
	while (len > 0 && e == 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			e = n < 0 ? errno : EIO;
		else {
			p += n;
			len -= (size_t)n;
		}
	}
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e == 0 && rename(tmp, path) != 0)
		e = errno;
	if (e != 0) {
		remove(tmp);
		return failf(r, DM_EIO, "%s: %s", path, strerror(e));
	}
	return 0;
}

static int
screenshot(struct act_env *env, struct act_result *r)
{
	const char *dir = env->outdir ? env->outdir : ".";
	unsigned char *data = NULL, *png = NULL;
	char name[160], path[512], err[300], why[400];
	struct capture c;
	size_t len = 0, pnglen;
	unsigned black;
	int rc;

	if (env->sdk > 0 && env->sdk < 21)
		return failf(r, DM_EUNSUPP, "a capture over adb needs Android "
		    "5 or later (exec:); this phone has SDK %d", env->sdk);
	say(env, "capturing the screen (screencap)");
	rc = read_capture(env, &data, &len, r);
	if (rc < 0)
		return rc;
	rc = capture_parse(data, len, &c, err, sizeof(err));
	if (rc < 0) {
		char said[200] = "";

		/* screencap's own complaint comes as text on the stream */
		if (len < 4096 && memchr(data, '\0', len) == NULL)
			first_line((const char *)data, said, sizeof(said));
		free(data);
		if (said[0] != '\0' && strchr(said, '?') == NULL)
			return failf(r, DM_EREFUSED, "screencap said: %s",
			    said);
		return failf(r, rc, "screencap: %s", err);
	}
	free(data);
	rc = png_encode_rgb(c.width, c.height, c.rgb, &png, &pnglen);
	if (rc < 0) {
		capture_free(&c);
		return failf(r, rc, "the capture could not be made a PNG");
	}
	out_name(env, "droidmedic-screen", time(NULL), name, sizeof(name));
	/* Two captures in one second keep both. */
	snprintf(path, sizeof(path), "%s/%s.png", dir, name);
	for (int k = 2; k < 100 && access(path, F_OK) == 0; k++)
		snprintf(path, sizeof(path), "%s/%s-%d.png", dir, name, k);
	rc = save_file(path, png, pnglen, r);
	free(png);
	black = capture_black_permille(&c);
	if (rc < 0) {
		capture_free(&c);
		return rc;
	}
	snprintf(r->file, sizeof(r->file), "%s", path);
	if (black < 500) {
		snprintf(r->msg, sizeof(r->msg), "%" PRIu32 "x%" PRIu32
		    " capture saved in %s: a real picture (%u%% black)",
		    c.width, c.height, path, black / 10);
		capture_free(&c);
		return 0;
	}
	say(env, "%u%% of the capture is black: looking for why",
	    black / 10);
	if (screen_off(env))
		snprintf(why, sizeof(why), "the screen is off (asleep): wake "
		    "it and capture again");
	else if (policy_admin(env, err, sizeof(err)))
		snprintf(why, sizeof(why), "a device policy from %s disables "
		    "screen capture", err);
	else if (secure_windows(env, err, sizeof(err)))
		snprintf(why, sizeof(why), "a secure window (FLAG_SECURE) of "
		    "%s is on screen, and Android blacks it out by design", err);
	else
		snprintf(why, sizeof(why), "no secure window, capture policy "
		    "or sleeping screen explains it: the screen may really be "
		    "black, or its display path is failing");
	snprintf(r->msg, sizeof(r->msg), "%" PRIu32 "x%" PRIu32 " capture "
	    "saved in %s: %u%% black: %s", c.width, c.height, path, black / 10,
	    why);
	capture_free(&c);
	return 0;
}

static int
log_bundle(struct act_env *env, struct act_result *r)
{
	const char *dir = env->outdir ? env->outdir : ".";
	char path[512], tmp[530], dirname[120], name[200];
	char *out = NULL, err[300];
	struct archive *a;
	time_t now = time(NULL);
	size_t len, notes_len = 0;
	char *notes = xstrdup("");
	int code, rc, got = 0;

	out_name(env, "droidmedic-logs", now, dirname, sizeof(dirname));
	snprintf(path, sizeof(path), "%s/%s.tar.gz", dir, dirname);
	snprintf(tmp, sizeof(tmp), "%s.part", path);
	a = archive_write_new();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		rc = failf(r, DM_EIO, "%s: %s", tmp, archive_error_string(a));
		archive_write_free(a);
		free(notes);
		return rc;
	}
	for (size_t i = 0; i < sizeof(bundle_parts) / sizeof(bundle_parts[0]);
	    i++) {
		char note[600];

		say(env, "collecting %s", bundle_parts[i].cmd);
		out = NULL;
		rc = adb_shell_capture(env->c, bundle_parts[i].cmd, &out, &len,
		    BUNDLE_CAP, &code, CMD_MS, err, sizeof(err));
		if (rc == DM_ENOMEM) {
			snprintf(note, sizeof(note), "%s: over %u MiB, left "
			    "out\n", bundle_parts[i].cmd, BUNDLE_CAP >> 20);
		} else if (rc < 0) {
			free(out);
			archive_write_free(a);
			remove(tmp);
			free(notes);
			return failf(r, rc, "`%s`: %s", bundle_parts[i].cmd,
			    err);
		} else {
			snprintf(name, sizeof(name), "%s/%s", dirname,
			    bundle_parts[i].file);
			if (add_entry(a, name, out, len, now) < 0) {
				rc = failf(r, DM_EIO, "%s: %s", tmp,
				    archive_error_string(a));
				free(out);
				archive_write_free(a);
				remove(tmp);
				free(notes);
				return rc;
			}
			got++;
			note[0] = '\0';
			if (code > 0)
				snprintf(note, sizeof(note), "%s: exit status "
				    "%d\n", bundle_parts[i].cmd, code);
		}
		free(out);
		if (note[0]) {
			notes = xrealloc(notes, notes_len + strlen(note) + 1);
			memcpy(notes + notes_len, note, strlen(note) + 1);
			notes_len += strlen(note);
		}
	}
	snprintf(name, sizeof(name), "%s/NOTES.txt", dirname);
	if (add_entry(a, name, notes, notes_len, now) < 0 ||
	    archive_write_close(a) != ARCHIVE_OK) {
		rc = failf(r, DM_EIO, "%s: %s", tmp, archive_error_string(a));
		archive_write_free(a);
		remove(tmp);
		free(notes);
		return rc;
	}
	archive_write_free(a);
	free(notes);
	if (rename(tmp, path) != 0) {
		remove(tmp);
		return failf(r, DM_EIO, "%s: cannot rename", path);
	}
	snprintf(r->file, sizeof(r->file), "%s", path);
	snprintf(r->msg, sizeof(r->msg), "%d outputs saved in %s", got, path);
	return 0;
}

/* ---- clear-bootmode ---- */

/* One property, by getprop (buf "" when it cannot be read). */
static void
getprop_one(struct act_env *env, const char *key, char *buf, size_t len)
{
	char *out = NULL;

	buf[0] = '\0';
	if (run(env, "getprop", key, &out, &(int){ 0 },
	    &(struct act_result){ 0 }) == 0)
		first_line(out, buf, len);
	free(out);
}

/* From the bootloader back into Android, and adb connected again; the
 * phone's reason in r when that fails (r->msg kept when it is set). */
static int
fb_back_to_android(struct act_env *env, struct fb_conn *fb,
    struct act_result *r, int rc)
{
	char err[400];
	int back;

	say(env, "rebooting into Android");
	if (fb_reboot(fb, "", err, sizeof(err)) < 0)
		say(env, "the bootloader did not take the reboot: %s", err);
	fb_close(fb);
	back = env->reconnect(env->ud, &env->c, ACT_BOOT_MS, err,
	    sizeof(err));
	if (back < 0 && rc == 0)
		return failf(r, back, "misc erased, but after the reboot: %s",
		    err);
	return rc;
}

/* From adb into the bootloader, and check there that it is the same phone
 * (its serial) before anything is written.  0 with *fb open; or a dm_err
 * with r->msg set and, when the bootloader answered, the phone sent back
 * into Android. */
static int
enter_bootloader(struct act_env *env, const char *name, struct fb_conn **fb,
    struct act_result *r)
{
	char err[400], val[FB_RESP_MAX + 1];
	int rc;

	*fb = NULL;
	if (env->fastboot == NULL || env->reconnect == NULL ||
	    env->serial == NULL || env->serial[0] == '\0')
		return failf(r, DM_EUNSUPP, "%s follows the phone into its "
		    "bootloader and checks its serial there: run it from "
		    "action, plan/fix or the dashboard", name);
	say(env, "rebooting into the bootloader");
	rc = adb_reboot(env->c, "bootloader", err, sizeof(err));
	if (rc < 0)
		return failf(r, rc, "reboot bootloader: %s", err);
	say(env, "waiting for the bootloader to answer fastboot (up to %d s)",
	    ACT_BOOT_MS / 1000);
	rc = env->fastboot(env->ud, fb, ACT_BOOT_MS, err, sizeof(err));
	if (rc < 0)
		return failf(r, rc, "after reboot bootloader: %s", err);
	rc = fb_getvar(*fb, "serialno", val, sizeof(val), err, sizeof(err));
	if (rc < 0 || strcmp(val, env->serial) != 0) {
		failf(r, DM_EREFUSED, "the phone in fastboot %s%s%s, not %s: "
		    "nothing erased", rc < 0 ? "did not give its serial (" :
		    "says serial ", rc < 0 ? err : val, rc < 0 ? ")" : "",
		    env->serial);
		rc = fb_back_to_android(env, *fb, r, DM_EREFUSED);
		*fb = NULL;
		return rc;
	}
	return 0;
}

static int
clear_bootmode(struct act_env *env, struct act_result *r)
{
	char err[400], val[FB_RESP_MAX + 1], was[64], now[64];
	struct fb_conn *fb = NULL;
	struct fbcmd_log log;
	int rc;

	if (env->fastboot != NULL)
		getprop_one(env, "ro.bootmode", was, sizeof(was));
	rc = enter_bootloader(env, "clear-bootmode", &fb, r);
	if (rc < 0)
		return rc;
	rc = fb_getvar(fb, "partition-size:misc", val, sizeof(val), err,
	    sizeof(err));
	if (rc < 0) {
		failf(r, DM_EUNSUPP, "this bootloader has no misc partition "
		    "(%s): nothing erased; a reflash is what is left", err);
		return fb_back_to_android(env, fb, r, DM_EUNSUPP);
	}
	say(env, "erasing misc (%s bytes: the boot-mode message)", val);
	fbcmd_log_init(&log);
	rc = fbcmd_erase(fb, "misc", &log, err, sizeof(err));
	fbcmd_log_done(&log);
	if (rc < 0) {
		failf(r, rc, "the bootloader refused to erase misc: %s%s", err,
		    strstr(err, "Lock") != NULL || strstr(err, "lock") != NULL ?
		    " (a locked bootloader: unlock it, or reflash in EDL)" : "");
		return fb_back_to_android(env, fb, r, rc);
	}
	rc = fb_back_to_android(env, fb, r, 0);
	if (rc < 0)
		return rc;
	getprop_one(env, "ro.bootmode", now, sizeof(now));
	snprintf(r->msg, sizeof(r->msg), "misc erased; the phone booted "
	    "again with ro.bootmode=%s (it was %s)", now[0] ? now : "(unset)",
	    was[0] ? was : "(unset)");
	return 0;
}

/* ---- factory-reset ---- */

/* What a reset leaves: the phone starts its setup wizard with USB
 * debugging off, so adb cannot see it until someone turns that on. */
#define RESET_GONE	"after a reset the phone starts its setup wizard " \
	"with USB debugging off: adb cannot see it again until the setup " \
	"is done and debugging is turned on, so it was not re-checked"

/* The adb connection is of no more use: the phone will not be back. */
static void
drop_adb(struct act_env *env)
{
	adb_close(env->c);
	env->c = NULL;
}

static int
reset_in_recovery(struct act_env *env, struct act_result *r)
{
	char err[400];
	int rc;

	say(env, "rebooting into recovery");
	if (env->fb != NULL) {
		rc = fb_reboot(env->fb, "recovery", err, sizeof(err));
		if (rc < 0)
			return failf(r, rc, "reboot recovery: %s%s", rc ==
			    DM_EREFUSED ? "the bootloader said: " : "", err);
		fb_close(env->fb);
		env->fb = NULL;
	} else {
		rc = adb_reboot(env->c, "recovery", err, sizeof(err));
		if (rc < 0)
			return failf(r, rc, "reboot recovery: %s", err);
	}
	drop_adb(env);
	snprintf(r->msg, sizeof(r->msg), "the phone is rebooting into "
	    "recovery; nothing is erased yet: on the phone, choose \"Wipe "
	    "data/factory reset\" (Volume keys move, Power picks), confirm, "
	    "then \"Reboot system now\" (droidmedic cannot pick it: recovery "
	    "on retail builds offers no adb shell)");
	snprintf(r->gone, sizeof(r->gone), "the wipe is left to the "
	    "technician, in the phone's recovery menu; %s", RESET_GONE);
	return 0;
}

/* Erase one partition if the bootloader has it: 1 erased, 0 absent, or a
 * dm_err with the bootloader's words in err. */
static int
erase_if_there(struct act_env *env, struct fb_conn *fb, const char *part,
    char *err, size_t errlen)
{
	char var[64], val[FB_RESP_MAX + 1], size[32];
	struct fbcmd_log log;
	int rc;

	snprintf(var, sizeof(var), "partition-size:%s", part);
	if (fb_getvar(fb, var, val, sizeof(val), err, errlen) < 0)
		return 0;
	fb_size_text(strtoull(val, NULL, 0), size, sizeof(size));
	say(env, "erasing %s (%s)", part, size);
	fbcmd_log_init(&log);
	rc = fbcmd_erase(fb, part, &log, err, errlen);
	fbcmd_log_done(&log);
	return rc < 0 ? rc : 1;
}

/* Nothing erased: the phone goes back where the reset found it, into
 * Android, or left in fastboot when it started there (here). */
static int
reset_refused(struct act_env *env, struct fb_conn *fb, int here,
    struct act_result *r, int rc)
{
	if (!here)
		return fb_back_to_android(env, fb, r, rc);
	env->fb = fb;
	return rc;
}

static int
reset_in_fastboot(struct act_env *env, struct act_result *r)
{
	static const char *const also[] = { "metadata", "cache" };
	char err[400], val[FB_RESP_MAX + 1], done[200];
	struct fb_conn *fb = env->fb;
	int here = fb != NULL, rc;

	/* Already in fastboot, the serial the caller holds is the one
	 * this bootloader gave. */
	env->fb = NULL;
	if (!here && (rc = enter_bootloader(env, "factory-reset", &fb,
	    r)) < 0)
		return rc;
	/* A locked bootloader refuses erase: say so before trying. */
	if (fb_getvar(fb, "unlocked", val, sizeof(val), err,
	    sizeof(err)) == 0 && strcmp(val, "no") == 0) {
		failf(r, DM_EREFUSED, "the bootloader is locked and refuses "
		    "to erase: nothing erased (via=recovery lets the phone's "
		    "own menu do it)%s", here ? "; the phone stays in its "
		    "bootloader" : "");
		return reset_refused(env, fb, here, r, DM_EREFUSED);
	}
	if (fb_getvar(fb, "partition-size:userdata", val, sizeof(val), err,
	    sizeof(err)) < 0) {
		failf(r, DM_EUNSUPP, "this bootloader has no userdata "
		    "partition (%s): nothing erased", err);
		return reset_refused(env, fb, here, r, DM_EUNSUPP);
	}
	rc = erase_if_there(env, fb, "userdata", err, sizeof(err));
	if (rc <= 0) {
		failf(r, rc < 0 ? rc : DM_EIO, "the bootloader refused to "
		    "erase userdata: %s; nothing erased%s", err,
		    strstr(err, "ock") != NULL ? " (a locked bootloader: "
		    "via=recovery)" : "");
		return reset_refused(env, fb, here, r, rc < 0 ? rc : DM_EIO);
	}
	snprintf(done, sizeof(done), "userdata");
	for (size_t i = 0; i < sizeof(also) / sizeof(also[0]); i++) {
		rc = erase_if_there(env, fb, also[i], err, sizeof(err));
		if (rc < 0) {
			/* userdata is gone already: no way back, say it. */
			fb_close(fb);
			drop_adb(env);
			snprintf(r->gone, sizeof(r->gone), "%s", RESET_GONE);
			return failf(r, rc, "userdata erased, but the "
			    "bootloader refused to erase %s: %s; the phone is "
			    "still in its bootloader (fastboot erase %s, then "
			    "reboot)", also[i], err, also[i]);
		}
		if (rc > 0)
			snprintf(done + strlen(done), sizeof(done) -
			    strlen(done), ", %s", also[i]);
	}
	say(env, "rebooting into Android");
	rc = fb_reboot(fb, "", err, sizeof(err));
	fb_close(fb);
	drop_adb(env);
	snprintf(r->gone, sizeof(r->gone), "%s", RESET_GONE);
	if (rc < 0)
		return failf(r, rc, "erased %s, but the bootloader did not "
		    "take the reboot: %s (fastboot reboot)", done, err);
	snprintf(r->msg, sizeof(r->msg), "erased %s in the bootloader; the "
	    "phone is booting: Android formats the blank data partition on "
	    "the way up (a phone that stops in recovery asking to format "
	    "data wants \"Format data\" chosen there)", done);
	return 0;
}

static int
factory_reset(struct act_env *env, const char *via, struct act_result *r)
{
	char locked[16];

	if (strcmp(via, "auto") == 0 && env->fb != NULL) {
		via = "fastboot";
		say(env, "via fastboot: the phone is in it");
	} else if (strcmp(via, "auto") == 0) {
		/* The phone's own word on its bootloader lock. */
		getprop_one(env, "ro.boot.flash.locked", locked,
		    sizeof(locked));
		via = strcmp(locked, "0") == 0 ? "fastboot" : "recovery";
		say(env, "via %s: ro.boot.flash.locked is %s", via,
		    locked[0] ? locked : "not set");
	}
	if (strcmp(via, "recovery") == 0)
		return reset_in_recovery(env, r);
	if (strcmp(via, "fastboot") != 0)
		return failf(r, DM_EINVAL, "factory-reset goes via=fastboot "
		    "(erase in the bootloader: needs it unlocked), "
		    "via=recovery (the phone's own menu) or via=auto, not "
		    "'%.60s'", via);
	return reset_in_fastboot(env, r);
}

/* ---- samsung-factorymode-on ---- */

/* The two files Samsung's FactoryTestApp reads at boot: ON in normal use,
 * anything else keeps the phone in its factory mode. */
static const char *const efs_files[] = { "/efs/FactoryApp/factorymode",
    "/efs/FactoryApp/keystr" };

/* Run cmd as root: straight (adbd runs as root) or through su -c. */
static int
as_root(struct act_env *env, int su, const char *cmd, char **out,
    struct act_result *r)
{
	int code;

	return su ? run(env, "su -c", cmd, out, &code, r) :
	    run(env, cmd, NULL, out, &code, r);
}

/* The first line cmd prints as root, in buf. */
static int
root_line(struct act_env *env, int su, const char *cmd, char *buf,
    size_t len, struct act_result *r)
{
	char *out = NULL;
	int rc = as_root(env, su, cmd, &out, r);

	if (rc == 0)
		first_line(out, buf, len);
	free(out);
	return rc;
}

/* Owner, group and mode of path as "UID:GID:MODE" in buf; 0, or a dm_err
 * with what the phone said in r->msg. */
static int
efs_stat(struct act_env *env, int su, const char *path, char *buf,
    size_t len, struct act_result *r)
{
	char cmd[200];
	unsigned a, b, m;
	int rc;

	snprintf(cmd, sizeof(cmd), "stat -c %%u:%%g:%%a %s", path);
	rc = root_line(env, su, cmd, buf, len, r);
	if (rc < 0)
		return rc;
	if (sscanf(buf, "%u:%u:%o", &a, &b, &m) != 3)
		return failf(r, DM_EUNSUPP, "%s cannot be read as root (%s): "
		    "nothing written; this is not the state this step "
		    "repairs (a damaged /efs wants its backup restored, or a "
		    "reflash)", path, buf[0] ? buf : "no answer");
	return 0;
}

static int
efs_read(struct act_env *env, int su, const char *path, char *buf,
    size_t len, struct act_result *r)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "cat %s", path);
	return root_line(env, su, cmd, buf, len, r);
}

static int
factorymode_on(struct act_env *env, struct act_result *r)
{
	char *out = NULL, id[32], st[2][40], was[2][40], now[40], after[40];
	char cmd[200], err[400];
	int su = 0, rc;
	size_t i;

	/* Root: adbd itself (adb root, debuggable builds) or su. */
	rc = root_line(env, 0, "id -u", id, sizeof(id), r);
	if (rc == 0 && strcmp(id, "0") != 0) {
		su = 1;
		rc = root_line(env, 1, "id -u", id, sizeof(id), r);
		if (rc == 0 && strcmp(id, "0") != 0)
			return failf(r, DM_EUNSUPP, "needs root: adb runs as "
			    "the shell user and su answered \"%s\"; without "
			    "root, clear the factory app's data and reboot, "
			    "or reflash", id);
	}
	if (rc < 0)
		return rc;
	say(env, "root through %s", su ? "su" : "adbd (adb root)");
	for (i = 0; i < 2; i++) {
		rc = efs_stat(env, su, efs_files[i], st[i], sizeof(st[i]), r);
		if (rc == 0)
			rc = efs_read(env, su, efs_files[i], was[i],
			    sizeof(was[i]), r);
		if (rc < 0)
			return rc;
		say(env, "%s reads \"%s\" (owner:group:mode %s)",
		    efs_files[i], was[i], st[i]);
	}
	if (strcmp(was[0], "ON") == 0 && strcmp(was[1], "ON") == 0) {
		r->skipped = 1;
		snprintf(r->msg, sizeof(r->msg), "both files already read ON: "
		    "nothing written (the factory mode comes from elsewhere)");
		return 0;
	}
	for (i = 0; i < 2; i++) {
		/* Writing into the file keeps its owner and mode. */
		snprintf(cmd, sizeof(cmd), "echo -n ON > %s", efs_files[i]);
		say(env, "writing ON into %s", efs_files[i]);
		out = NULL;
		rc = as_root(env, su, cmd, &out, r);
		free(out);
		if (rc == 0)
			rc = efs_read(env, su, efs_files[i], now, sizeof(now),
			    r);
		if (rc == 0)
			rc = efs_stat(env, su, efs_files[i], after,
			    sizeof(after), r);
		if (rc < 0)
			return rc;
		if (strcmp(now, "ON") != 0 || strcmp(after, st[i]) != 0)
			return failf(r, DM_EIO, "%s reads \"%s\" (%s) after "
			    "writing ON; it was \"%s\" (%s)%s: not rebooted",
			    efs_files[i], now, after, was[i], st[i], i ?
			    ", and the first file is ON already" : "");
	}
	say(env, "rebooting");
	rc = adb_reboot(env->c, "", err, sizeof(err));
	if (rc < 0)
		return failf(r, rc, "both files ON, but reboot: %s", err);
	if (env->reconnect != NULL) {
		rc = env->reconnect(env->ud, &env->c, ACT_BOOT_MS, err,
		    sizeof(err));
		if (rc < 0)
			return failf(r, rc, "both files ON, but after the "
			    "reboot: %s", err);
	}
	snprintf(r->msg, sizeof(r->msg), "factorymode \"%s\" -> ON, keystr "
	    "\"%s\" -> ON (owner, group and mode kept: %s, %s); %s", was[0],
	    was[1], st[0], st[1], env->reconnect != NULL ? "rebooted and "
	    "back in adb" : "rebooting");
	return 0;
}

/* set_active in fastboot: slot a or b, or "other" (the one not current);
 * a slot the bootloader marks unbootable is not switched to. */
static int
set_active_action(struct act_env *env, const char *want,
    struct act_result *r)
{
	static const char *const ask[] = { "current-slot", "slot-count" };
	struct fbvars v;
	const struct fb_slot *fs;
	char slot[2], name[40], err[400];
	int rc = 0;

	if (env->fb == NULL)
		return failf(r, DM_EUNSUPP, "set-active runs in fastboot: "
		    "reboot to=bootloader first");
	fbvars_init(&v);
	for (size_t i = 0; i < 2 && rc == 0; i++)
		rc = fbcmd_ask(env->fb, &v, ask[i], err, sizeof(err));
	if (rc < 0)
		goto out;
	if ((rc = fbcmd_active_slot(&v, want, slot, err, sizeof(err))) < 0)
		goto out;
	snprintf(name, sizeof(name), "slot-unbootable:%s", slot);
	if ((rc = fbcmd_ask(env->fb, &v, name, err, sizeof(err))) < 0)
		goto out;
	fs = fbvars_slot(&v, slot);
	if (strcmp(v.current_slot, slot) == 0) {
		snprintf(r->msg, sizeof(r->msg), "slot %s is already the "
		    "active one: nothing changed", slot);
		goto out;
	}
	if (fs != NULL && fs->unbootable == 1) {
		rc = failf(r, DM_EREFUSED, "the bootloader marks slot %s "
		    "unbootable too: nothing changed (neither slot is "
		    "trusted; reflash, or retry a slot by hand with "
		    "droidmedic fastboot set_active)", slot);
		goto out;
	}
	say(env, "making slot %s active (it was %s)", slot, v.current_slot[0]
	    ? v.current_slot : "not said");
	rc = fbcmd_set_active(env->fb, slot, NULL, err, sizeof(err));
	if (rc < 0) {
		failf(r, rc, "set_active %s: %s", slot, err);
		goto out;
	}
	fbvars_free(&v);
	fbvars_init(&v);
	rc = fbcmd_ask(env->fb, &v, "current-slot", err, sizeof(err));
	if (rc == 0 && strcmp(v.current_slot, slot) != 0)
		rc = failf(r, DM_EIO, "set_active %s: the phone said OKAY, "
		    "but gives current-slot '%s'", slot, v.current_slot);
	else if (rc == 0)
		snprintf(r->msg, sizeof(r->msg), "slot %s is active: the "
		    "phone starts it at the next boot", slot);
out:
	if (rc < 0 && r->msg[0] == '\0')
		failf(r, rc, "%s", err);
	fbvars_free(&v);
	return rc;
}

/* ---- backup ------------------------------------------------------------ */

struct bk_say {
	struct act_env *env;
	int64_t last_ms;
};

static void
bk_progress(void *ud, int64_t done, int64_t total, const char *what)
{
	struct bk_say *b = ud;
	int64_t now = dm_mono_ms();

	(void)done;
	(void)total;
	/* A line every ten seconds is enough in a plan's log. */
	if (b->last_ms != 0 && now - b->last_ms < 10000)
		return;
	b->last_ms = now;
	say(b->env, "%s", what);
}

static void
bk_log(void *ud, const char *line)
{
	struct bk_say *b = ud;

	say(b->env, "%s", line);
}

static int
bk_cancelled(void *ud)
{
	struct bk_say *b = ud;

	return b->env->cancelled != NULL && b->env->cancelled(b->env->ud);
}

static int
backup_action(struct act_env *env, const char *what, struct act_result *r)
{
	struct bk_say b = { env, 0 };
	struct bk_hooks h = { &b, bk_progress, bk_log, bk_cancelled };
	struct backup_req q;
	char err[512];
	const cJSON *m;
	cJSON *res = NULL;
	int rc;

	if (env->c == NULL)
		return failf(r, DM_EUNSUPP, "backup needs the phone booted "
		    "(adb)");
	memset(&q, 0, sizeof(q));
	if (strcmp(what, "all") == 0)
		q.cats = bk_cat_default();
	else if (strcmp(what, "media") == 0)
		q.cats = bk_cat_parse("photos,videos,music,recordings,"
		    "messaging", err, sizeof(err));
	else if ((q.cats = bk_cat_parse(what, err, sizeof(err))) == 0)
		return failf(r, DM_EINVAL, "backup what=%s: %s", what, err);
	if (bklib_root(NULL, q.root, sizeof(q.root), err, sizeof(err)) < 0)
		return failf(r, DM_EIO, "backup: %s", err);
	snprintf(q.serial, sizeof(q.serial), "%s", env->serial ?
	    env->serial : "");
	rc = backup_run(env->c, &q, &h, &res);
	m = cJSON_GetObjectItemCaseSensitive(res, "message");
	snprintf(r->msg, sizeof(r->msg), "%s", cJSON_IsString(m) ?
	    m->valuestring : "the backup failed");
	m = cJSON_GetObjectItemCaseSensitive(res, "archive");
	if (cJSON_IsString(m))
		snprintf(r->file, sizeof(r->file), "%s", m->valuestring);
	cJSON_Delete(res);
	return rc < 0 ? rc : 0;
}

int
act_run(struct act_env *env, const char *name, const cJSON *params,
    struct act_result *r)
{
	const struct act_def *d = act_find(name);
	const cJSON *v = NULL;
	const char *arg = NULL;

	memset(r, 0, sizeof(*r));
	if (d == NULL)
		return failf(r, DM_EINVAL, "no action '%s'", name);
	if (d->missing != NULL)
		return failf(r, DM_EUNSUPP, "%s: %s", name, d->missing);
	if (env->fb != NULL && strcmp(name, "reboot") != 0 &&
	    strcmp(name, "factory-reset") != 0 &&
	    strcmp(name, "set-active") != 0)
		return failf(r, DM_EUNSUPP, "%s needs the phone booted (adb), "
		    "and it is in fastboot: reboot to=system first", name);
	if (d->param != NULL) {
		v = cJSON_GetObjectItemCaseSensitive(params, d->param);
		if (v == NULL && d->param_default != NULL)
			arg = d->param_default;
		else if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
			return failf(r, DM_EINVAL, "%s needs %s=...", name,
			    d->param);
		else
			arg = v->valuestring;
	}
	if (d->param != NULL && strcmp(d->param, "package") == 0) {
		if (!act_valid_package(arg))
			return failf(r, DM_EINVAL, "'%.100s' is not a package "
			    "name (letters, digits and '_' in two or more "
			    "dot-separated parts)", arg);
		return package_action(env, name, arg, r);
	}
	if (strcmp(name, "trim-caches") == 0) {
		int rc;

		say(env, "asking the system to empty every app's cache");
		/* Ask for far more room than there is: every cache goes. */
		rc = pm_action(env, "pm trim-caches", "999999999999999", NULL,
		    r);
		if (rc == 0)
			snprintf(r->msg, sizeof(r->msg), "app caches emptied");
		return rc;
	}
	if (strcmp(name, "reset-app-prefs") == 0)
		return reset_app_prefs(env, r);
	if (strcmp(name, "reboot") == 0)
		return reboot_action(env, arg, r);
	if (strcmp(name, "screenshot") == 0)
		return screenshot(env, r);
	if (strcmp(name, "clear-bootmode") == 0)
		return clear_bootmode(env, r);
	if (strcmp(name, "factory-reset") == 0)
		return factory_reset(env, arg, r);
	if (strcmp(name, "set-active") == 0)
		return set_active_action(env, arg, r);
	if (strcmp(name, "samsung-factorymode-on") == 0)
		return factorymode_on(env, r);
	if (strcmp(name, "backup") == 0)
		return backup_action(env, arg, r);
	return log_bundle(env, r);
}
