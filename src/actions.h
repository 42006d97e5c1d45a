/* actions.h - the repair actions a plan's steps name, run against one
 * phone, over ADB: clear an app's data or cache, force-stop, disable and
 * enable, remove for the user and restore, trim caches, reset app
 * preferences, reboot (to system, recovery, bootloader, fastbootd,
 * sideload or safe mode), a screenshot (PNG; a black one explained), a
 * log bundle, clear-bootmode and factory-reset, which follow the phone
 * into its bootloader (fastboot) and check its serial there before they
 * erase, and samsung-factorymode-on (root).  A phone already in fastboot
 * runs reboot and factory-reset there; the others refuse.
 *
 * Package names are checked against Android's own rule before anything is
 * sent, and every word that reaches the phone's shell is quoted; core
 * packages (the framework, System UI, Settings, the phone and settings
 * providers, the shell) cannot be disabled or removed.
 *
 * backup makes a backup into the library (backup.h) of the categories
 * its "what" names ("all", the default; "media": photos, videos, music,
 * recordings, messaging; or a list such as "photos,documents").
 *
 * Actions the product does not carry out yet (reflash, check-update)
 * are known by name, so that plans list them, and refuse to run with the
 * reason.  Runs on the caller's thread. */
#ifndef DM_ACTIONS_H
#define DM_ACTIONS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "rules.h"

struct adb_conn;
struct fb_conn;

struct act_def {
	const char *name;
	enum rule_risk risk;	/* how much it may lose */
	const char *param;	/* the parameter it takes, or NULL */
	const char *summary;	/* what it does, one line */
	const char *missing;	/* NULL, or why it cannot run yet */
	const char *param_default; /* the parameter when not given (NULL:
				 * it must be given) */
};

/* The action called name, or NULL. */
const struct act_def *act_find(const char *name);
/* Every action, in a stable order (n set). */
const struct act_def *act_all(size_t *n);

/* Why action name cannot run on a phone with this SDK level (buf filled,
 * returned), or NULL when it can. */
const char *act_blocked(const char *name, int sdk, char *buf, size_t len);

/* 1 when s is a package name Android accepts: two or more dot-separated
 * parts, each a letter then letters, digits or '_' (or "android"), at
 * most 255 characters. */
int act_valid_package(const char *s);
/* 1 when disabling or removing pkg would leave the phone unusable. */
int act_protected(const char *pkg);

/* What the action needs from its caller. */
struct act_env {
	struct adb_conn *c;	/* connected; may be replaced by reconnect */
	/* The phone in its bootloader or fastbootd instead (c NULL): only
	 * reboot and factory-reset run there.  An action that leaves
	 * fastboot closes it (NULL); one that waits for fastboot again
	 * puts the new connection here. */
	struct fb_conn *fb;
	int sdk;		/* ro.build.version.sdk */
	/* Progress lines ("clearing ...", "waiting for the phone ..."). */
	void (*say)(void *ud, const char *line);
	/* After a reboot: close *c, wait for the phone to be back in adb
	 * (device mode, boot completed) and connect again, at most ms.
	 * 0 or a dm_err with the reason in err. */
	int (*reconnect)(void *ud, struct adb_conn **c, int ms, char *err,
	    size_t errlen);
	/* After a reboot into the bootloader: wait for the phone to answer
	 * fastboot, at most ms, and open it (*fb).  0 or a dm_err. */
	int (*fastboot)(void *ud, struct fb_conn **fb, int ms, char *err,
	    size_t errlen);
	const char *serial;	/* the phone's own, checked in fastboot */
	/* Whether to stop (a long backup asks); may be NULL. */
	int (*cancelled)(void *ud);
	void *ud;
	const char *outdir;	/* where log bundles go ("." when NULL) */
};

struct act_result {
	int skipped;		/* nothing to do (an app that is not there) */
	char msg[600];		/* what happened, or why it failed */
	char undo[200];		/* "restore package=X": how to take it back */
	char file[512];		/* a file it wrote (log bundle) */
	char gone[400];		/* the phone left adb for good (a reset):
				 * why it cannot be re-checked; the
				 * connection is closed and env->c NULL */
};

/* Run one action.  params: its parameter as {"package": ...} or
 * {"to": ...} (NULL when it takes none).  0 (done or skipped, see
 * r->skipped) or a negative dm_err with r->msg saying why: DM_EINVAL bad
 * parameter, DM_EREFUSED protected package or the phone said no,
 * DM_EUNSUPP not possible on this phone or not carried out yet. */
int act_run(struct act_env *env, const char *name, const cJSON *params,
    struct act_result *r);

/* Time a reboot may take before the phone counts as not back. */
#define ACT_BOOT_MS	180000

#endif
