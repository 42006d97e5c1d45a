/* repair.h - a finding's repair plan against one phone, and running it:
 * the engine behind `droidmedic plan` and `fix` and the dashboard's plan
 * pane, in the CLI's process or as a bench-server job (fixjob.h).
 *
 * Running a plan without a step number starts at step 1 and stops at the
 * first of: the finding is gone (its rules re-checked after every step),
 * a step fails, a step that would erase user data or flash (those run
 * only alone, by number), a step that cannot run on this phone.  Steps
 * that may lose data need a confirmation naming the phone (dev.h), given
 * before anything runs.  Nothing here prints: lines go to the phone's
 * say() callback.  Runs on the caller's thread. */
#ifndef DM_REPAIR_H
#define DM_REPAIR_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "diag.h"
#include "rules.h"

struct adb_conn;
struct adbkeys;
struct fb_conn;
struct props;

struct repair_phone {
	struct adbkeys *keys;	/* borrowed, for reconnecting */
	struct adb_conn *c;	/* owned; NULL in fastboot */
	struct fb_conn *fb;	/* owned: the phone in its bootloader or
				 * fastbootd (then c is NULL) */
	struct props *props;	/* its getprop, read again after each step */
	struct props *vars;	/* in fastboot: its variables, the same */
	char serial[128];	/* the phone's own (ro.serialno; serialno
				 * in fastboot) */
	char model[128];
	/* The library holds a complete, verified backup of it from the last
	 * 12 hours (looked up once, when it is opened). */
	int backup_recent;
	unsigned mode;		/* RULE_MODE_* */
	/* What the bench sees of the phone, the probe "connection": its
	 * mode, address, adb banner or USB ids, one "name: value" a line. */
	char conn[1024];
	const char *outdir;	/* where a log bundle goes (NULL: ".") */
	/* Lines for a human: the plan, each step, the actions' progress. */
	void (*say)(void *ud, const char *line);
	/* A step starts (status "running") or ends ("done", "skipped",
	 * "failed"); may be NULL. */
	void (*step)(void *ud, int k, int n, const char *action,
	    const char *status);
	/* Where the phone is now (after a reboot its address may change):
	 * in adb (fastboot 0) or answering fastboot in its bootloader or
	 * fastbootd (fastboot 1).  0 with addr filled, or -1 when it is not
	 * there (yet). */
	int (*resolve)(void *ud, int fastboot, char *addr, size_t len);
	int (*cancelled)(void *ud);	/* may be NULL */
	void *ud;
};

/* What the technician asked for. */
struct repair_opts {
	int step;		/* run only this step (1-based); 0: the plan */
	const char *confirm;	/* what was typed to name the phone */
	int without_backup;	/* go on without a backup in this session */
	int backup_made;	/* a backup step runs before this one */
};

/* Take c (a phone in adb), check its mode (booted or recovery) and read
 * its props.  0, or a negative dm_err with err set; ph->c is owned
 * either way, free with repair_close().  fallback_serial names a phone
 * without ro.serialno. */
int repair_open(struct repair_phone *ph, struct adb_conn *c,
    const char *fallback_serial, char *err, size_t errlen);
/* The same for a phone in fastboot (bootloader or fastbootd): fb taken,
 * its variables read (getvar all; serialno and product name it). */
int repair_open_fastboot(struct repair_phone *ph, struct fb_conn *fb,
    const char *fallback_serial, char *err, size_t errlen);
/* A phone whose bench row is in a mode where it runs nothing for us
 * (unauthorized, sideload, USB debugging off, download, EDL, MediaTek):
 * the row is the evidence, and the plan's steps are done by hand.
 * keyfp: the fingerprint of the adb key the phone should show (NULL:
 * none).  0, or DM_EUNSUPP when the row's mode is not one of these. */
struct dev_info;
int repair_open_row(struct repair_phone *ph, const struct dev_info *di,
    const char *keyfp, char *err, size_t errlen);
/* RULE_MODE_* for a bench row's mode; 0 when repair cannot use it. */
unsigned repair_mode_of_row(int dev_mode);
void repair_close(struct repair_phone *ph);
/* "adb", "recovery", "fastboot" or a rule mode name ("unauthorized",
 * "mtp-only", ...): the mode the phone is in. */
const char *repair_mode_name(const struct repair_phone *ph);
/* Why rule ru cannot be checked in the phone's mode (buf filled), or
 * NULL when it can. */
const char *repair_mode_blocked(const struct rule *ru,
    const struct repair_phone *ph, char *buf, size_t len);
int repair_sdk(const struct repair_phone *ph);

/* The rules against the phone as it is now. */
int repair_diagnose(struct repair_phone *ph, const struct ruleset *rs,
    struct diag_report *r);
const struct diag_finding *repair_finding(const struct diag_report *r,
    const char *id);
/* Why the rule could not be checked, or NULL. */
const char *repair_unchecked(const struct diag_report *r, const char *id);
const struct rule *repair_rule(const struct ruleset *rs, const char *id);

/* Why step s cannot run on this phone now (buf filled), or NULL. */
const char *repair_step_blocked(const struct rule_step *s,
    const struct repair_opts *o, const struct repair_phone *ph, char *buf,
    size_t len);
/* Which steps a run does: first..last (1-based, inclusive; last < first
 * when none), and before what it stops ("" when it does not). */
void repair_select(const struct rule *ru, const struct repair_opts *o,
    const struct repair_phone *ph, int *first, int *last, char *stop,
    size_t len);
/* Step k's (0-based) state on this phone into j: "selected" (a run of
 * first..last does it), "blocked" (why it cannot run here, or null) and,
 * with backup_only and a blocked step other than a backup, "backup_only"
 * (it could run without a backup). */
void repair_step_mark(cJSON *j, const struct rule *ru, int k,
    const struct repair_opts *o, const struct repair_phone *ph, int first,
    int last, int backup_only);
/* The plan as lines through say(), steps that run marked ">". */
void repair_plan_lines(const struct rule *ru, const struct repair_phone *ph,
    int first, int last, const struct repair_opts *o);
/* The plan as [{"step","action","params","risk","effect","verify",
 * "selected","blocked"}]. */
cJSON *repair_plan_json(const struct rule *ru, const struct repair_phone *ph,
    int first, int last, const struct repair_opts *o);

/* One action alone (actions.h), its progress through say() and a reboot
 * waited for through resolve().  ph->c may be replaced (or NULL after a
 * reboot that did not come back). */
struct act_result;
int repair_action(struct repair_phone *ph, const char *name,
    const cJSON *params, struct act_result *r);

/* Diagnose, then run ru's plan as o asks (the plan said through say()
 * first when show_plan).  Fills out with "serial", "finding", "before"
 * ("present", "absent", "unchecked"), "steps" [{"step","action","status",
 * "message","undo","file"}], "ok", "fixed", "error" (ECONFIRM, EBLOCKED,
 * EUNCHECKED or the failed step's dm_err name) and "message".  Returns
 * the exit status: 0 fixed or nothing to fix, 1 refused or failed, 3
 * the steps ran and the finding still holds (or could not be
 * re-checked). */
int repair_fix(struct repair_phone *ph, const struct ruleset *rs,
    const struct rule *ru, const struct repair_opts *o, int show_plan,
    cJSON *out);

#endif
