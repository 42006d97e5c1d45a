/* cli_fbcmd.c - `droidmedic fastboot -s SERIAL COMMAND [ARGS...]`: the
 * fastboot commands beyond getvar, flash and reboot, spelled as AOSP
 * fastboot spells them (erase, set_active, boot, oem, flashing,
 * snapshot-update, create/delete/resize-logical-partition).
 *
 * Every run goes the same way: open the phone, ask it who and how it is
 * (serial, product, lock state, slot, bootloader or fastbootd) and what
 * the command needs, refuse what cannot work with the way out, print the
 * plan (each step with its risk), and stop there unless the command is
 * harmless or --confirm names the phone.  Only then is anything sent.
 * The wire is src/fbcmd.c's; opening, errors and the confirmation are
 * shared with cli_fastboot.c through cli.h.  Main thread. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "dev.h"
#include "err.h"
#include "fastboot.h"
#include "fbcmd.h"
#include "fbvars.h"

#define MAX_STEPS	FBCMD_MAX_TARGETS
#define MAX_WARN	4

enum risk { RISK_NONE, RISK_LOW, RISK_MEDIUM, RISK_HIGH, RISK_UNKNOWN };

static const char *const risk_names[] = { "none", "low", "medium", "high",
    "unknown" };

struct step {
	char wire[160];		/* sent to the phone: erase:boot_a */
	char what[200];		/* "erase boot_a (64.0 MiB)" */
	enum risk risk;
	char why[320];
};

struct run;

struct fbcmd_def {
	const char *name;
	int min_args, max_args;	/* max -1: any */
	const char *usage;	/* after "fastboot -s SERIAL " */
	int (*plan)(struct run *r);
	int (*exec)(struct run *r);
};

/* One run of the command. */
struct run {
	const struct cli_opts *o;
	const struct fbcmd_def *def;
	int argc;
	char **argv;
	struct fb_conn *c;
	struct fbvars v;		/* what the phone said */
	struct fbcmd_log log;		/* what it says while we work */
	int destructive;
	struct step steps[MAX_STEPS];
	int nsteps, done;
	char warn[MAX_WARN][320];
	int nwarn;
	/* per command */
	char targets[FBCMD_MAX_TARGETS][80];
	int ntargets;
	char slot[2];
	uint64_t size;
	char oem[FB_CMD_MAX + 1];
	cJSON *result;		/* the command's own, for --json */
	/* the terminal */
	int tty, live_quiet, progress_shown;
	int64_t last_ms;
	char err[768];
};

static struct step *
add_step(struct run *r, enum risk risk, const char *wire)
{
	struct step *s = &r->steps[r->nsteps++];

	s->risk = risk;
	snprintf(s->wire, sizeof(s->wire), "%s", wire);
	return s;
}

static void warn(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
warn(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nwarn >= MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(r->warn[r->nwarn++], sizeof(r->warn[0]), fmt, ap);
	va_end(ap);
}

static int refuse(struct run *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A refusal made before anything is sent. */
static int
refuse(struct run *r, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return rc;
}

static int
ask(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
ask(struct run *r, const char *fmt, ...)
{
	char name[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return fbcmd_ask(r->c, &r->v, name, r->err, sizeof(r->err));
}

static int
userspace(const struct run *r)
{
	return r->v.is_userspace == 1;
}

static void
size_text(uint64_t n, char *buf, size_t len)
{
	fb_size_text(n, buf, len);
}

/* ---- what each command asks, refuses and plans ----------------------- */

static int
need_fastbootd(struct run *r, const char *what)
{
	if (userspace(r))
		return 0;
	return refuse(r, DM_EUNSUPP, "%s: logical partitions live in %s, "
	    "which only fastbootd can change, and the phone is in its "
	    "bootloader: reboot into fastbootd first (droidmedic reboot -s "
	    "%s fastboot)", what, r->v.super_partition_name[0] ?
	    r->v.super_partition_name : "super", r->o->serial);
}

static int
need_bootloader(struct run *r, const char *what)
{
	if (!userspace(r))
		return 0;
	return refuse(r, DM_EUNSUPP, "%s is a bootloader command and the "
	    "phone is in fastbootd: reboot into the bootloader first "
	    "(droidmedic reboot -s %s bootloader)", what, r->o->serial);
}

static int
plan_erase(struct run *r)
{
	const char *part = r->argv[0];
	char note[160], a[32];
	int rc;

	rc = fbcmd_targets(r->c, &r->v, part, r->o->slot, r->targets,
	    &r->ntargets, note, sizeof(note), r->err, sizeof(r->err));
	if (rc < 0)
		return rc;
	if (note[0])
		warn(r, "%s", note);
	if (r->v.unlocked == 0)
		return refuse(r, DM_EREFUSED, "the bootloader is locked: the "
		    "phone refuses erase until it is unlocked (unlocking "
		    "erases all user data)");
	for (int i = 0; i < r->ntargets; i++) {
		const char *t = r->targets[i];
		const struct fb_part *fp;
		struct step *s;

		if ((rc = ask(r, "partition-size:%s", t)) < 0 ||
		    (rc = ask(r, "is-logical:%s", t)) < 0)
			return rc;
		fp = fbvars_part(&r->v, t);
		if (fp != NULL && fp->logical == 1 && !userspace(r))
			return refuse(r, DM_EREFUSED, "%s is a logical "
			    "partition (inside %s): the bootloader cannot "
			    "erase it; reboot into fastbootd first "
			    "(droidmedic reboot -s %s fastboot)", t,
			    r->v.super_partition_name[0] ?
			    r->v.super_partition_name : "super",
			    r->o->serial);
		if (fp == NULL || (!fp->has_size && fp->logical < 0)) {
			if (!r->o->force) {
				const struct fb_part *sp;
				char hint[200] = "";

				if ((rc = ask(r, "partition-size:super")) < 0)
					return rc;
				sp = fbvars_part(&r->v, "super");
				if (!userspace(r) && sp != NULL &&
				    sp->has_size)
					snprintf(hint, sizeof(hint), "; if it "
					    "lives in super, erase it from "
					    "fastbootd (droidmedic reboot -s "
					    "%s fastboot)", r->o->serial);
				return refuse(r, DM_ENOENT, "the phone does "
				    "not know a partition %s (no "
				    "partition-size:%s)%s; give --force to "
				    "send the erase anyway", t, t, hint);
			}
			warn(r, "the phone did not say it has %s: erasing "
			    "anyway (--force)", t);
		}
		s = add_step(r, RISK_HIGH, "");
		snprintf(s->wire, sizeof(s->wire), "erase:%s", t);
		if (fp != NULL && fp->has_size) {
			size_text(fp->size, a, sizeof(a));
			snprintf(s->what, sizeof(s->what), "erase %s (%s%s)",
			    t, a, fp->logical == 1 ? ", logical" : "");
		} else {
			snprintf(s->what, sizeof(s->what), "erase %s", t);
		}
		if (strcmp(part, "userdata") == 0)
			snprintf(s->why, sizeof(s->why), "all user data "
			    "(photos, apps, accounts) is gone: this is a "
			    "factory reset");
		else if (strcmp(part, "metadata") == 0)
			snprintf(s->why, sizeof(s->why), "the encryption "
			    "metadata is gone: user data can no longer be "
			    "read, so erase userdata too");
		else
			snprintf(s->why, sizeof(s->why), "everything on %s "
			    "is gone; if the phone needs it to boot, it will "
			    "not boot until %s is flashed again", t, t);
	}
	r->destructive = 1;
	return 0;
}

static int
exec_erase(struct run *r)
{
	for (int i = 0; i < r->ntargets; i++) {
		int rc = fbcmd_erase(r->c, r->targets[i], &r->log, r->err,
		    sizeof(r->err));

		if (rc < 0)
			return rc;
		r->done++;
		if (!r->o->json)
			printf("erased %s\n", r->targets[i]);
	}
	return 0;
}

static int
plan_set_active(struct run *r)
{
	const struct fb_slot *fs;
	struct step *s;
	char back[8];
	int rc;

	if ((rc = fbcmd_active_slot(&r->v, r->argv[0], r->slot, r->err,
	    sizeof(r->err))) < 0)
		return rc;
	if ((rc = ask(r, "slot-unbootable:%s", r->slot)) < 0 ||
	    (rc = ask(r, "slot-successful:%s", r->slot)) < 0)
		return rc;
	fs = fbvars_slot(&r->v, r->slot);
	if (strcmp(r->v.current_slot, r->slot) == 0)
		warn(r, "slot %s is already the active one: nothing changes",
		    r->slot);
	if (fs != NULL && fs->unbootable == 1)
		warn(r, "the phone marks slot %s unbootable: it will "
		    "probably fail to start and fall back", r->slot);
	else if (fs != NULL && fs->successful == 0)
		warn(r, "slot %s never booted successfully", r->slot);
	snprintf(back, sizeof(back), "%s", r->v.current_slot[0] ?
	    r->v.current_slot : "a");
	s = add_step(r, RISK_MEDIUM, "");
	snprintf(s->wire, sizeof(s->wire), "set_active:%s", r->slot);
	snprintf(s->what, sizeof(s->what), "make slot %s active (the phone "
	    "boots it next)", r->slot);
	snprintf(s->why, sizeof(s->why), "if slot %s holds no working "
	    "system the phone will not start; switch back with droidmedic "
	    "fastboot -s %s set_active %s", r->slot, r->o->serial, back);
	return 0;
}

static int
exec_set_active(struct run *r)
{
	struct fbvars after;
	int rc;

	rc = fbcmd_set_active(r->c, r->slot, &r->log, r->err,
	    sizeof(r->err));
	if (rc < 0)
		return rc;
	r->done++;
	fbvars_init(&after);
	(void)fbcmd_ask(r->c, &after, "current-slot", r->err,
	    sizeof(r->err));
	r->err[0] = '\0';
	cJSON_AddStringToObject(r->result, "current_slot",
	    after.current_slot);
	if (!r->o->json) {
		if (strcmp(after.current_slot, r->slot) == 0)
			printf("slot %s is now active\n", r->slot);
		else
			printf("set_active %s: the phone said OKAY, but it "
			    "gives current-slot '%s'\n", r->slot,
			    after.current_slot);
	}
	fbvars_free(&after);
	return 0;
}

static int
plan_boot(struct run *r)
{
	struct step *s;
	char a[32];
	int rc;

	if (userspace(r))
		return refuse(r, DM_EUNSUPP, "fastbootd cannot boot an "
		    "image: reboot into the bootloader first (droidmedic "
		    "reboot -s %s bootloader)", r->o->serial);
	rc = fbcmd_boot_check(r->argv[0], r->v.has_max_download ?
	    r->v.max_download_size : 0, &r->size, r->err, sizeof(r->err));
	if (rc < 0)
		return rc;
	if (!r->v.has_max_download)
		warn(r, "the phone did not say its max-download-size");
	if (r->v.unlocked == 0)
		warn(r, "the bootloader is locked: most phones refuse to "
		    "boot an image they cannot verify");
	size_text(r->size, a, sizeof(a));
	s = add_step(r, RISK_NONE, "download");
	snprintf(s->what, sizeof(s->what), "send %s (%s) into the phone's "
	    "memory", r->argv[0], a);
	snprintf(s->why, sizeof(s->why), "nothing is written to storage");
	s = add_step(r, RISK_LOW, "boot");
	snprintf(s->what, sizeof(s->what), "boot it");
	snprintf(s->why, sizeof(s->why), "the phone leaves fastboot and "
	    "runs the image from memory; nothing is installed, and a "
	    "reboot brings back what is");
	return 0;
}

static int
boot_progress(void *ud, uint64_t done, uint64_t total)
{
	struct run *r = ud;
	int64_t now = dm_mono_ms();

	if (!r->tty || (now - r->last_ms < 200 && done < total))
		return 0;
	r->last_ms = now;
	r->progress_shown = 1;
	fprintf(stderr, "\r  sent %3d%%", total ? (int)(done * 100 / total) :
	    100);
	fflush(stderr);
	return 0;
}

static int
exec_boot(struct run *r)
{
	int rc;

	r->log.live.progress = boot_progress;
	rc = fbcmd_boot(r->c, r->argv[0], r->v.has_max_download ?
	    r->v.max_download_size : 0, &r->log, r->err, sizeof(r->err));
	if (r->progress_shown)
		fputc('\n', stderr);
	if (rc < 0)
		return rc;
	r->done = 2;
	cJSON_AddNumberToObject(r->result, "bytes_sent", (double)r->size);
	if (!r->o->json)
		printf("booting %s on %s: the phone left fastboot and runs "
		    "it from memory\n", r->argv[0], r->v.serialno);
	return 0;
}

/* oem verbs that wipe, lock, unlock or leave for EDL. */
static int
oem_destructive(const char *args)
{
	static const char *const words[] = { "lock", "erase", "format",
	    "wipe", "edl" };	/* "lock" also finds unlock */
	char low[FB_CMD_MAX + 1];
	size_t i;

	for (i = 0; args[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)args[i]);
	low[i] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(low, words[i]) != NULL)
			return 1;
	return 0;
}

static int
plan_oem(struct run *r)
{
	struct step *s;
	size_t n = 0;

	r->oem[0] = '\0';
	for (int i = 0; i < r->argc; i++) {
		int k = snprintf(r->oem + n, sizeof(r->oem) - n, "%s%s",
		    i ? " " : "", r->argv[i]);

		if (k < 0 || (size_t)k >= sizeof(r->oem) - n - 4)
			return refuse(r, DM_EINVAL, "the oem command is "
			    "longer than %d bytes", FB_CMD_MAX - 4);
		n += (size_t)k;
	}
	for (const char *p = r->oem; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return refuse(r, DM_EINVAL, "oem commands are "
			    "printable ASCII");
	if (userspace(r))
		warn(r, "the phone is in fastbootd, which hands oem commands "
		    "to the maker's fastboot HAL; most answer them only in "
		    "the bootloader (droidmedic reboot -s %s bootloader)",
		    r->o->serial);
	r->destructive = oem_destructive(r->oem);
	s = add_step(r, r->destructive ? RISK_HIGH : RISK_UNKNOWN, "");
	snprintf(s->wire, sizeof(s->wire), "oem %.150s", r->oem);
	snprintf(s->what, sizeof(s->what), "oem %.180s", r->oem);
	if (r->destructive)
		snprintf(s->why, sizeof(s->why), "a maker's own command that "
		    "locks, unlocks, erases, formats or leaves for EDL: on "
		    "most phones it wipes user data or takes the phone out "
		    "of fastboot");
	else
		snprintf(s->why, sizeof(s->why), "a maker's own command: "
		    "droidmedic cannot tell what it does");
	r->live_quiet = 1;	/* its lines are the answer, on stdout */
	return 0;
}

static int
exec_oem(struct run *r)
{
	int rc = fbcmd_oem(r->c, r->oem, &r->log, r->err, sizeof(r->err));

	if (!r->o->json) {
		for (size_t i = 0; i < r->log.n; i++)
			printf("%s\n", r->log.line[i]);
		if (rc == 0 && r->log.n == 0)
			printf("oem %s: OKAY (the phone said nothing more)\n",
			    r->oem);
	}
	if (rc == 0)
		r->done = 1;
	return rc;
}

static int
plan_flashing(struct run *r)
{
	const char *verb = r->argv[0];
	int unlock = strncmp(verb, "unlock", 6) == 0;
	int critical = strstr(verb, "critical") != NULL;
	int rc, ability;
	struct step *s;

	if ((rc = need_bootloader(r, "flashing")) < 0)
		return rc;
	if (strcmp(verb, "get_unlock_ability") == 0) {
		s = add_step(r, RISK_NONE, "flashing get_unlock_ability");
		snprintf(s->what, sizeof(s->what), "ask whether the "
		    "bootloader may be unlocked");
		snprintf(s->why, sizeof(s->why), "a question: nothing "
		    "changes");
		return 0;
	}
	if (!critical && unlock && r->v.unlocked == 1)
		return refuse(r, DM_EEXIST, "the bootloader is already "
		    "unlocked: nothing to do");
	if (!critical && !unlock && r->v.unlocked == 0)
		return refuse(r, DM_EEXIST, "the bootloader is already "
		    "locked: nothing to do");
	if (unlock) {
		rc = fbcmd_get_unlock_ability(r->c, &ability, NULL, r->err,
		    sizeof(r->err));
		if (rc == 0 && ability == 0)
			return refuse(r, DM_EREFUSED, "the phone does not "
			    "allow unlocking (get_unlock_ability: 0): on "
			    "the phone, enable OEM unlocking in Settings > "
			    "System > Developer options, then try again (a "
			    "carrier-locked phone may grey it out)");
		if (rc == DM_EREFUSED || rc == DM_EPROTO)
			warn(r, "the phone did not say whether it may be "
			    "unlocked (%s)", r->err);
		else if (rc < 0)
			return rc;
		r->err[0] = '\0';
	}
	s = add_step(r, RISK_HIGH, "");
	snprintf(s->wire, sizeof(s->wire), "flashing %s", verb);
	if (critical)
		snprintf(s->what, sizeof(s->what), "%s flashing of the "
		    "bootloader's own (critical) partitions", unlock ?
		    "allow" : "forbid");
	else
		snprintf(s->what, sizeof(s->what), "%s the bootloader",
		    unlock ? "unlock" : "lock");
	if (unlock)
		snprintf(s->why, sizeof(s->why), "this wipes all user data "
		    "(a factory reset); the phone may ask on its screen "
		    "first (volume keys to choose, power to confirm)");
	else
		snprintf(s->why, sizeof(s->why), "this wipes all user data; "
		    "a phone running anything but its maker's signed "
		    "software will not boot once locked, and may need the "
		    "maker's tools to recover");
	r->destructive = 1;
	return 0;
}

static int
exec_flashing(struct run *r)
{
	const char *verb = r->argv[0];
	struct fbvars after;
	int rc, ability;

	if (strcmp(verb, "get_unlock_ability") == 0) {
		rc = fbcmd_get_unlock_ability(r->c, &ability, &r->log,
		    r->err, sizeof(r->err));
		if (rc < 0)
			return rc;
		r->done = 1;
		cJSON_AddNumberToObject(r->result, "unlock_ability", ability);
		if (!r->o->json)
			printf("unlock ability: %d (%s)\n", ability, ability ?
			    "the bootloader may be unlocked" : "unlocking is "
			    "not allowed: enable OEM unlocking in developer "
			    "options");
		return 0;
	}
	rc = fbcmd_flashing(r->c, verb, &r->log, r->err, sizeof(r->err));
	if (rc < 0)
		return rc;
	r->done = 1;
	fbvars_init(&after);
	(void)fbcmd_ask(r->c, &after, "unlocked", r->err, sizeof(r->err));
	r->err[0] = '\0';
	if (after.unlocked < 0)
		cJSON_AddNullToObject(r->result, "unlocked");
	else
		cJSON_AddBoolToObject(r->result, "unlocked", after.unlocked);
	if (!r->o->json)
		printf("flashing %s: done; the bootloader is now %s\n", verb,
		    after.unlocked == 1 ? "unlocked" : after.unlocked == 0 ?
		    "locked" : "in a lock state it does not say");
	fbvars_free(&after);
	return 0;
}

static int
plan_snapshot(struct run *r)
{
	const char *what = r->argv[0];
	const char *st = r->v.snapshot_update_status;
	struct step *s;

	if (strcmp(what, "merge") == 0 && !userspace(r))
		return refuse(r, DM_EUNSUPP, "snapshot-update merge runs in "
		    "fastbootd and the phone is in its bootloader: reboot "
		    "into fastbootd first (droidmedic reboot -s %s fastboot)",
		    r->o->serial);
	if (st[0] == '\0')
		warn(r, "the phone did not say whether an update is pending "
		    "(snapshot-update-status)");
	else if (strcmp(st, "none") == 0)
		warn(r, "the phone says no update is pending "
		    "(snapshot-update-status: none)");
	if (strcmp(what, "cancel") == 0) {
		s = add_step(r, RISK_HIGH, "snapshot-update:cancel");
		snprintf(s->what, sizeof(s->what), "cancel the pending "
		    "update%s%s%s", st[0] ? " (status: " : "", st,
		    st[0] ? ")" : "");
		snprintf(s->why, sizeof(s->why), "the downloaded over-the-"
		    "air update is thrown away: the updated slot is left "
		    "incomplete until it is updated or flashed again");
		r->destructive = 1;
	} else {
		s = add_step(r, RISK_MEDIUM, "snapshot-update:merge");
		snprintf(s->what, sizeof(s->what), "finish merging the "
		    "pending update into the partitions");
		snprintf(s->why, sizeof(s->why), "the update becomes "
		    "permanent; it cannot be rolled back afterwards");
	}
	return 0;
}

static int
exec_snapshot(struct run *r)
{
	struct fbvars after;
	int rc;

	rc = fbcmd_snapshot_update(r->c, r->argv[0], &r->log, r->err,
	    sizeof(r->err));
	if (rc < 0)
		return rc;
	r->done = 1;
	fbvars_init(&after);
	(void)fbcmd_ask(r->c, &after, "snapshot-update-status", r->err,
	    sizeof(r->err));
	r->err[0] = '\0';
	cJSON_AddStringToObject(r->result, "snapshot_update_status",
	    after.snapshot_update_status);
	if (!r->o->json)
		printf("snapshot-update %s: done (snapshot-update-status: "
		    "%s)\n", r->argv[0], after.snapshot_update_status[0] ?
		    after.snapshot_update_status : "not said");
	fbvars_free(&after);
	return 0;
}

/* The logical partition name (the phone's own spelling: "system_a"). */
static int
logical_exists(struct run *r, const char *name, const struct fb_part **fp)
{
	int rc;

	if ((rc = ask(r, "is-logical:%s", name)) < 0 ||
	    (rc = ask(r, "partition-size:%s", name)) < 0)
		return rc;
	*fp = fbvars_part(&r->v, name);
	if (*fp != NULL && (*fp)->logical == 1)
		return 0;
	if (*fp != NULL && (*fp)->logical == 0)
		return refuse(r, DM_EINVAL, "%s is a physical partition, not "
		    "a logical one", name);
	/* "system" for "system_a": say so. */
	if (r->v.current_slot[0] != '\0' && strchr(name, '_') == NULL) {
		const struct fb_part *sp;
		char full[96];

		snprintf(full, sizeof(full), "%s_%s", name, r->v.current_slot);
		if ((rc = ask(r, "is-logical:%s", full)) < 0)
			return rc;
		sp = fbvars_part(&r->v, full);
		if (sp != NULL && sp->logical == 1)
			return refuse(r, DM_ENOENT, "the phone has no logical "
			    "partition %s (did you mean %s? logical "
			    "partitions are named with their slot)", name,
			    full);
	}
	return refuse(r, DM_ENOENT, "the phone has no logical partition %s",
	    name);
}

static int
plan_logical(struct run *r)
{
	const char *cmd = r->def->name, *name = r->argv[0];
	const struct fb_part *fp = NULL, *sp;
	struct step *s;
	char a[32], b[32];
	int rc;

	if (r->argc > 1 && fbcmd_parse_size(r->argv[1], &r->size) < 0)
		return refuse(r, DM_EINVAL, "bad size '%s' (bytes, or with "
		    "K, M, G)", r->argv[1]);
	if ((rc = need_fastbootd(r, cmd)) < 0)
		return rc;
	size_text(r->size, b, sizeof(b));
	if (strncmp(cmd, "create", 6) == 0) {
		if ((rc = ask(r, "is-logical:%s", name)) < 0 ||
		    (rc = ask(r, "partition-size:super")) < 0)
			return rc;
		fp = fbvars_part(&r->v, name);
		if (fp != NULL && fp->logical >= 0)
			return refuse(r, DM_EEXIST, "%s already exists (a "
			    "%s partition): nothing to do", name,
			    fp->logical ? "logical" : "physical");
		sp = fbvars_part(&r->v, r->v.super_partition_name[0] ?
		    r->v.super_partition_name : "super");
		if (sp != NULL && sp->has_size && r->size > sp->size) {
			size_text(sp->size, a, sizeof(a));
			return refuse(r, DM_EINVAL, "%s is larger than the "
			    "whole of super (%s)", b, a);
		}
		s = add_step(r, RISK_LOW, "");
		snprintf(s->wire, sizeof(s->wire), "create-logical-partition:"
		    "%s:%" PRIu64, name, r->size);
		snprintf(s->what, sizeof(s->what), "create logical partition "
		    "%s of %s", name, b);
		snprintf(s->why, sizeof(s->why), "a new, empty partition in "
		    "super; nothing that exists changes");
		return 0;
	}
	if ((rc = logical_exists(r, name, &fp)) < 0)
		return rc;
	if (fp->has_size)
		size_text(fp->size, a, sizeof(a));
	else
		snprintf(a, sizeof(a), "size not said");
	r->destructive = 1;
	if (strncmp(cmd, "delete", 6) == 0) {
		s = add_step(r, RISK_HIGH, "");
		snprintf(s->wire, sizeof(s->wire), "delete-logical-partition:"
		    "%s", name);
		snprintf(s->what, sizeof(s->what), "delete logical partition "
		    "%s (%s)", name, a);
		snprintf(s->why, sizeof(s->why), "%s and everything on it "
		    "are gone; if the phone needs it to boot (system, "
		    "vendor, product...) it will not boot until it is "
		    "flashed again", name);
		return 0;
	}
	if (fp->has_size && fp->size == r->size)
		warn(r, "%s is already %s", name, b);
	s = add_step(r, fp->has_size && r->size >= fp->size ? RISK_MEDIUM :
	    RISK_HIGH, "");
	snprintf(s->wire, sizeof(s->wire), "resize-logical-partition:%s:%"
	    PRIu64, name, r->size);
	snprintf(s->what, sizeof(s->what), "resize logical partition %s "
	    "from %s to %s", name, a, b);
	if (s->risk == RISK_HIGH)
		snprintf(s->why, sizeof(s->why), "everything stored past %s "
		    "is lost: the file system inside is cut", b);
	else
		snprintf(s->why, sizeof(s->why), "the file system inside does "
		    "not grow with it: flash %s again to use the space",
		    name);
	return 0;
}

static int
exec_logical(struct run *r)
{
	const char *cmd = r->def->name, *name = r->argv[0];
	struct fbvars after;
	const struct fb_part *fp;
	char a[32], q[96];
	int rc;

	if (strncmp(cmd, "create", 6) == 0)
		rc = fbcmd_create_logical(r->c, name, r->size, &r->log,
		    r->err, sizeof(r->err));
	else if (strncmp(cmd, "delete", 6) == 0)
		rc = fbcmd_delete_logical(r->c, name, &r->log, r->err,
		    sizeof(r->err));
	else
		rc = fbcmd_resize_logical(r->c, name, r->size, &r->log,
		    r->err, sizeof(r->err));
	if (rc < 0)
		return rc;
	r->done = 1;
	/* Read it back: what the phone now says. */
	fbvars_init(&after);
	snprintf(q, sizeof(q), "is-logical:%s", name);
	(void)fbcmd_ask(r->c, &after, q, r->err, sizeof(r->err));
	snprintf(q, sizeof(q), "partition-size:%s", name);
	(void)fbcmd_ask(r->c, &after, q, r->err, sizeof(r->err));
	r->err[0] = '\0';
	fp = fbvars_part(&after, name);
	cJSON_AddBoolToObject(r->result, "exists", fp != NULL &&
	    fp->logical == 1);
	if (fp != NULL && fp->has_size)
		cJSON_AddNumberToObject(r->result, "partition_size",
		    (double)fp->size);
	else
		cJSON_AddNullToObject(r->result, "partition_size");
	if (!r->o->json) {
		if (fp != NULL && fp->has_size)
			size_text(fp->size, a, sizeof(a));
		if (strncmp(cmd, "delete", 6) == 0)
			printf("deleted %s%s\n", name, fp != NULL &&
			    fp->logical == 1 ? " (but the phone still lists "
			    "it)" : "");
		else
			printf("%s %s: the phone now gives %s\n",
			    strncmp(cmd, "create", 6) == 0 ? "created" :
			    "resized", name, fp != NULL && fp->has_size ? a :
			    "no size");
	}
	fbvars_free(&after);
	return 0;
}

static const struct fbcmd_def defs[] = {
	{ "erase", 1, 1, "erase PARTITION [--slot a|b|other|all] "
	    "[--confirm SERIAL] [--force]", plan_erase, exec_erase },
	{ "set_active", 1, 1, "set_active a|b|other", plan_set_active,
	    exec_set_active },
	{ "boot", 1, 1, "boot IMAGE", plan_boot, exec_boot },
	{ "oem", 1, -1, "oem COMMAND [ARGS...] [--confirm SERIAL]", plan_oem,
	    exec_oem },
	{ "flashing", 1, 1, "flashing lock|unlock|lock_critical|"
	    "unlock_critical|get_unlock_ability [--confirm SERIAL]",
	    plan_flashing, exec_flashing },
	{ "snapshot-update", 1, 1, "snapshot-update cancel|merge "
	    "[--confirm SERIAL]", plan_snapshot, exec_snapshot },
	{ "create-logical-partition", 2, 2, "create-logical-partition NAME "
	    "SIZE", plan_logical, exec_logical },
	{ "delete-logical-partition", 1, 1, "delete-logical-partition NAME "
	    "[--confirm SERIAL]", plan_logical, exec_logical },
	{ "resize-logical-partition", 2, 2, "resize-logical-partition NAME "
	    "SIZE [--confirm SERIAL]", plan_logical, exec_logical },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

/* ---- usage ----------------------------------------------------------- */

static int
usage_all(void)
{
	fprintf(stderr, "droidmedic: usage: fastboot -s SERIAL COMMAND "
	    "[ARGS...] [--confirm SERIAL] [--json]\n  where COMMAND is one "
	    "of:\n");
	for (int i = 0; defs[i].name != NULL; i++)
		fprintf(stderr, "    %s\n", defs[i].usage);
	return 2;
}

static int
usage_one(const struct fbcmd_def *d)
{
	fprintf(stderr, "droidmedic: usage: fastboot -s SERIAL %s [--json]\n",
	    d->usage);
	return 2;
}

/* What can be told without the phone: arguments, and options that do
 * not go with the command.  0, or the exit status. */
static int
check_args(const struct cli_opts *o, const struct fbcmd_def *d, int argc,
    char **argv)
{
	static const char *const verbs[] = { "lock", "unlock",
	    "lock_critical", "unlock_critical", "get_unlock_ability" };
	uint64_t size;
	int ok = 0;

	if (argc < d->min_args || (d->max_args >= 0 && argc > d->max_args))
		return usage_one(d);
	if (o->sha256 != NULL) {
		fprintf(stderr, "droidmedic: --sha256 is for "
		    "fastboot-flash\n");
		return 2;
	}
	if (strcmp(d->name, "erase") != 0 && (o->slot != NULL || o->force)) {
		fprintf(stderr, "droidmedic: fastboot %s takes no %s (only "
		    "erase does)\n", d->name, o->slot ? "--slot" : "--force");
		return 2;
	}
	if (strcmp(d->name, "flashing") == 0) {
		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			ok |= strcmp(argv[0], verbs[i]) == 0;
		if (!ok)
			return usage_one(d);
	}
	if (strcmp(d->name, "snapshot-update") == 0 &&
	    strcmp(argv[0], "cancel") != 0 && strcmp(argv[0], "merge") != 0)
		return usage_one(d);
	if (d->max_args == 2 && fbcmd_parse_size(argv[1], &size) < 0) {
		fprintf(stderr, "droidmedic: bad size '%s' (bytes, or with K, "
		    "M or G: 512M)\n", argv[1]);
		return 2;
	}
	if (strcmp(d->name, "boot") == 0 && access(argv[0], R_OK) != 0) {
		fprintf(stderr, "droidmedic: %s: cannot read it\n", argv[0]);
		return 2;
	}
	return 0;
}

/* ---- output ---------------------------------------------------------- */

/* text after prefix, wrapped at 78 columns with indent. */
static void
print_wrapped(FILE *fp, const char *prefix, const char *text)
{
	const int width = 78, indent = 13;
	int col = fprintf(fp, "%-*s", indent, prefix);
	const char *p = text;

	while (*p) {
		const char *sp = strchr(p, ' ');
		int wl = sp ? (int)(sp - p) : (int)strlen(p);

		if (col > indent && col + 1 + wl > width) {
			fprintf(fp, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', fp);
			col++;
		}
		fwrite(p, 1, (size_t)wl, fp);
		col += wl;
		p += wl;
		while (*p == ' ')
			p++;
	}
	fputc('\n', fp);
}

static void
print_plan(const struct run *r)
{
	const struct fbvars *v = &r->v;
	char line[400], slot[64];

	printf("Plan: fastboot %s", r->def->name);
	for (int i = 0; i < r->argc; i++)
		printf(" %s", r->argv[i]);
	printf(" on %s (%s)\n", v->serialno[0] ? v->serialno : r->o->serial,
	    v->product[0] ? v->product : "unknown product");
	snprintf(line, sizeof(line), "%s, serial %s, in %s",
	    v->product[0] ? v->product : "unknown product",
	    v->serialno[0] ? v->serialno : "not given", userspace(r) ?
	    "fastbootd" : "the bootloader");
	print_wrapped(stdout, "  phone", line);
	if (v->slot_count >= 2)
		snprintf(slot, sizeof(slot), "slot %s (of %d)",
		    v->current_slot[0] ? v->current_slot : "not said",
		    v->slot_count);
	else
		snprintf(slot, sizeof(slot), "%s", v->slot_count == 1 ||
		    v->slot_count == 0 ? "no slots" : "slots not said");
	snprintf(line, sizeof(line), "bootloader %s, %s", v->unlocked == 1 ?
	    "unlocked" : v->unlocked == 0 ? "locked" : "lock state not said",
	    slot);
	print_wrapped(stdout, "  state", line);
	for (int i = 0; i < r->nsteps; i++) {
		char pre[16];

		snprintf(pre, sizeof(pre), "  step %d", i + 1);
		print_wrapped(stdout, pre, r->steps[i].what);
		snprintf(line, sizeof(line), "risk %s: %s",
		    risk_names[r->steps[i].risk], r->steps[i].why);
		print_wrapped(stdout, "", line);
	}
	for (int i = 0; i < r->nwarn; i++)
		print_wrapped(stdout, "  warning", r->warn[i]);
	fflush(stdout);
}

static cJSON *
phone_json(const struct run *r)
{
	const struct fbvars *v = &r->v;
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "product", v->product);
	cJSON_AddStringToObject(j, "serialno", v->serialno);
	if (v->unlocked < 0)
		cJSON_AddNullToObject(j, "unlocked");
	else
		cJSON_AddBoolToObject(j, "unlocked", v->unlocked);
	if (v->current_slot[0])
		cJSON_AddStringToObject(j, "current_slot", v->current_slot);
	else
		cJSON_AddNullToObject(j, "current_slot");
	if (v->slot_count < 0)
		cJSON_AddNullToObject(j, "slot_count");
	else
		cJSON_AddNumberToObject(j, "slot_count", v->slot_count);
	cJSON_AddBoolToObject(j, "userspace", userspace(r));
	return j;
}

static cJSON *
plan_json(const struct run *r)
{
	cJSON *j = cJSON_CreateObject(), *a = cJSON_CreateArray();

	cJSON_AddItemToObject(j, "phone", phone_json(r));
	for (int i = 0; i < r->nsteps; i++) {
		cJSON *s = cJSON_CreateObject();

		cJSON_AddStringToObject(s, "command", r->steps[i].wire);
		cJSON_AddStringToObject(s, "action", r->steps[i].what);
		cJSON_AddStringToObject(s, "risk",
		    risk_names[r->steps[i].risk]);
		cJSON_AddStringToObject(s, "why", r->steps[i].why);
		cJSON_AddItemToArray(a, s);
	}
	cJSON_AddItemToObject(j, "steps", a);
	cJSON_AddBoolToObject(j, "destructive", r->destructive);
	a = cJSON_CreateArray();
	for (int i = 0; i < r->nwarn; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(r->warn[i]));
	cJSON_AddItemToObject(j, "warnings", a);
	return j;
}

/* The one JSON object of a run: ok, serial, command, args, then what
 * happened. */
static cJSON *
run_json(const struct run *r, int ok, int with_plan)
{
	cJSON *j = cJSON_CreateObject(), *a = cJSON_CreateArray();

	cJSON_AddBoolToObject(j, "ok", ok);
	cJSON_AddStringToObject(j, "serial", r->v.serialno[0] ?
	    r->v.serialno : r->o->serial);
	cJSON_AddStringToObject(j, "command", r->def->name);
	for (int i = 0; i < r->argc; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(r->argv[i]));
	cJSON_AddItemToObject(j, "args", a);
	if (with_plan)
		cJSON_AddItemToObject(j, "plan", plan_json(r));
	cJSON_AddNumberToObject(j, "steps_done", r->done);
	a = cJSON_CreateArray();
	for (size_t i = 0; i < r->log.n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(r->log.line[i]));
	cJSON_AddItemToObject(j, "info", a);
	return j;
}

/* Failure: text on stderr, or the run's object with error and message. */
static int
report_error(struct run *r, const char *code, const char *msg, int with_plan)
{
	cJSON *j;

	if (!r->o->json) {
		fprintf(stderr, "droidmedic: %s\n", msg);
		return 1;
	}
	j = run_json(r, 0, with_plan);
	cJSON_AddStringToObject(j, "error", code);
	cJSON_AddStringToObject(j, "message", msg);
	cli_json_out(j);
	return 1;
}

static void
live_info(void *ud, const char *tag, const char *msg)
{
	struct run *r = ud;

	(void)tag;
	if (r->o->json || r->live_quiet)
		return;
	if (r->progress_shown) {
		fputc('\n', stderr);
		r->progress_shown = 0;
	}
	fprintf(stderr, "  (phone) %s\n", msg);
}

/* ---- the command ----------------------------------------------------- */

static const struct fbcmd_def *
find_def(const char *name)
{
	for (int i = 0; defs[i].name != NULL; i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

int
cli_fastboot(const struct cli_opts *o, int argc, char **argv)
{
	static const char *const asked[] = { "product", "serialno",
	    "unlocked", "is-userspace", "current-slot", "slot-count",
	    "max-download-size", "super-partition-name",
	    "snapshot-update-status" };
	struct run r;
	char msg[1200];
	int status, rc;

	if (argc < 1)
		return usage_all();
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.def = find_def(argv[0]);
	if (r.def == NULL) {
		fprintf(stderr, "droidmedic: no fastboot command '%s' here "
		    "(flash is fastboot-flash, getvar and reboot are their "
		    "own commands)\n", argv[0]);
		return usage_all();
	}
	r.argc = argc - 1;
	r.argv = argv + 1;
	if ((status = check_args(o, r.def, r.argc, r.argv)) != 0)
		return status;
	r.c = cli_fb_open(o, &status);
	if (r.c == NULL)
		return status;
	fbvars_init(&r.v);
	fbcmd_log_init(&r.log);
	r.log.live.info = live_info;
	r.log.live.ud = &r;
	r.tty = !o->json && isatty(2);
	r.result = cJSON_CreateObject();
	status = 1;

	/* Who and how the phone is, then what the command needs. */
	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
		rc = fbcmd_ask(r.c, &r.v, asked[i], r.err, sizeof(r.err));
		if (rc < 0) {
			snprintf(msg, sizeof(msg), "asking the phone: %s",
			    r.err);
			status = report_error(&r, dm_errname(rc), msg, 0);
			goto out;
		}
	}
	if (o->product != NULL && strcmp(o->product, r.v.product) != 0) {
		snprintf(msg, sizeof(msg), "nothing was done: this phone is "
		    "'%s', not '%s'", r.v.product[0] ? r.v.product :
		    "(no product)", o->product);
		status = report_error(&r, dm_errname(DM_EREFUSED), msg, 0);
		goto out;
	}
	rc = r.def->plan(&r);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "nothing was done: %s", r.err);
		status = report_error(&r, dm_errname(rc), msg, 1);
		goto out;
	}
	if (!o->json)
		print_plan(&r);
	if (r.destructive && !dev_confirm_names(o->confirm, r.v.serialno)) {
		dev_confirm_refusal(msg, sizeof(msg), o->confirm,
		    r.v.serialno, "nothing was done");
		status = report_error(&r, "ECONFIRM", msg, 1);
		goto out;
	}

	/* Go. */
	rc = r.def->exec(&r);
	if (rc < 0) {
		char why[800];

		snprintf(why, sizeof(why), "%s", r.err);
		if (r.done < r.nsteps)
			snprintf(msg, sizeof(msg), "%s: %s%s; %s",
			    r.steps[r.done].what, rc == DM_EREFUSED ?
			    "the phone said: " : "", why, r.done == 0 &&
			    rc == DM_EREFUSED ? "nothing was done" :
			    r.done == 0 ? "the phone may not have done it" :
			    "the steps before it were done");
		else
			snprintf(msg, sizeof(msg), "%s%s", rc == DM_EREFUSED ?
			    "the phone said: " : "", why);
		status = report_error(&r, dm_errname(rc), msg, 1);
		goto out;
	}
	if (o->json) {
		cJSON *j = run_json(&r, 1, 1), *it;

		/* The command's own fields, at the top. */
		while ((it = r.result->child) != NULL) {
			char key[64];

			snprintf(key, sizeof(key), "%s", it->string);
			cJSON_DetachItemViaPointer(r.result, it);
			cJSON_AddItemToObject(j, key, it);
		}
		cli_json_out(j);
	}
	status = 0;
out:
	cJSON_Delete(r.result);
	fbcmd_log_done(&r.log);
	fbvars_free(&r.v);
	fb_close(r.c);
	return status;
}
