/* cli_fix.c - `droidmedic plan`, `fix` and `action`: a finding's repair
 * plan, running it step by step with a re-check after each step, and one
 * action alone (see repair.h, actions.h).
 *
 * plan and action run here, connected to the phone directly.  fix is a
 * job (fixjob.h) in the bench server, so a reboot and its re-check go on
 * when this terminal goes away; with --no-autostart and no server, the
 * same job runs in this process.  The plan is printed before anything
 * runs; when a step to run may lose data, --confirm must name the
 * phone. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions.h"
#include "adb.h"
#include "adbkey.h"
#include "backup.h"
#include "cli.h"
#include "dev.h"
#include "diag.h"
#include "err.h"
#include "fastboot.h"
#include "fixjob.h"
#include "repair.h"
#include "rules.h"
#include "transport.h"
#include "xmem.h"

/* The CLI's side of a phone: connected to directly, lines on stdout
 * (stderr with --json, which keeps stdout for the JSON). */
struct cliphone {
	const struct cli_opts *o;
	struct repair_phone ph;
};

static void
say(void *ud, const char *line)
{
	struct cliphone *cp = ud;

	fprintf(cp->o->json ? stderr : stdout, "%s\n", line);
	fflush(cp->o->json ? stderr : stdout);
}

static int
resolve(void *ud, int fastboot, char *addr, size_t len)
{
	struct cliphone *cp = ud;
	int mode;

	if (cli_resolve_mode(cp->o, addr, len, &mode) != 0)
		return -1;
	/* A bare address (mode unknown) answers whichever it speaks. */
	if (fastboot && mode != DEV_MODE_UNKNOWN &&
	    mode != DEV_MODE_FASTBOOT && mode != DEV_MODE_FASTBOOTD)
		return -1;
	return 0;
}

static int
phone_open(struct cliphone *cp, const struct cli_opts *o, int *status)
{
	struct adb_conn *c;
	struct fb_conn *fb;
	char err[512];
	int rc;

	memset(cp, 0, sizeof(*cp));
	cp->o = o;
	cp->ph.say = say;
	cp->ph.resolve = resolve;
	cp->ph.ud = cp;
	rc = cli_link_open(o, &cp->ph, status);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	fb = cli_fb_try(o, status);
	if (fb == NULL && *status != 0)
		return -1;
	if (fb != NULL) {
		/* The keys too: an action may take the phone from fastboot
		 * into Android. */
		cp->ph.keys = adbkeys_load(err, sizeof(err));
		if (cp->ph.keys == NULL) {
			fb_close(fb);
			*status = cli_fail(o, DM_EIO, err);
			return -1;
		}
		rc = repair_open_fastboot(&cp->ph, fb, o->serial, err,
		    sizeof(err));
	} else {
		c = cli_adb_connect(o, &cp->ph.keys, status);
		if (c == NULL)
			return -1;
		rc = repair_open(&cp->ph, c, o->serial, err, sizeof(err));
	}
	if (rc < 0) {
		*status = cli_fail(o, rc, err);
		return -1;
	}
	return 0;
}

static void
phone_close(struct cliphone *cp)
{
	repair_close(&cp->ph);
	adbkeys_free(cp->ph.keys);
	cp->ph.keys = NULL;
}

static int
load_rules(struct ruleset *rs, const char *id, const struct rule **ru)
{
	ruleset_init(rs);
	ruleset_load_default(rs);
	for (size_t i = 0; i < rs->nproblems; i++)
		fprintf(stderr, "droidmedic: rules: %s\n", rs->problems[i]);
	*ru = repair_rule(rs, id);
	if (*ru == NULL) {
		fprintf(stderr, "droidmedic: no finding '%s'; the rules are:",
		    id);
		for (size_t i = 0; i < rs->n; i++)
			fprintf(stderr, "%s %s", i ? "," : "",
			    rs->rules[i].id);
		fprintf(stderr, "\n");
		ruleset_free(rs);
		return 2;
	}
	return 0;
}

static void
opts_of(struct repair_opts *ro, const struct cli_opts *o)
{
	memset(ro, 0, sizeof(*ro));
	ro->step = o->step;
	ro->confirm = o->confirm;
	ro->without_backup = o->without_backup;
}

int
cli_plan(const struct cli_opts *o, int argc, char **argv)
{
	const struct rule *ru;
	struct ruleset rs;
	struct diag_report rep;
	struct cliphone cp;
	struct repair_opts ro;
	const struct diag_finding *f;
	const char *skip;
	char stop[520], why[400];
	int status, first, last;

	if (argc != 1) {
		fprintf(stderr, "droidmedic: usage: plan -s SERIAL FINDING "
		    "[--json]\n");
		return 2;
	}
	if ((status = load_rules(&rs, argv[0], &ru)) != 0)
		return status;
	if (phone_open(&cp, o, &status) < 0) {
		phone_close(&cp);
		ruleset_free(&rs);
		return status;
	}
	opts_of(&ro, o);
	repair_diagnose(&cp.ph, &rs, &rep);
	f = repair_finding(&rep, ru->id);
	skip = repair_unchecked(&rep, ru->id);
	if (f == NULL && skip == NULL)
		skip = repair_mode_blocked(ru, &cp.ph, why, sizeof(why));
	repair_select(ru, &ro, &cp.ph, &first, &last, stop, sizeof(stop));
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddTrueToObject(j, "ok");
		cJSON_AddStringToObject(j, "serial", cp.ph.serial);
		cJSON_AddStringToObject(j, "finding", ru->id);
		cJSON_AddStringToObject(j, "title", ru->title);
		cJSON_AddStringToObject(j, "state", f ? "present" : skip ?
		    "unchecked" : "absent");
		if (skip != NULL)
			cJSON_AddStringToObject(j, "unchecked", skip);
		cJSON_AddItemToObject(j, "steps", repair_plan_json(ru, &cp.ph,
		    first, last, &ro));
		if (stop[0])
			cJSON_AddStringToObject(j, "stops_before", stop);
		cli_json_out(j);
	} else {
		if (f != NULL) {
			printf("%s holds on %s: %s\n", ru->id, cp.ph.serial,
			    ru->explain);
			cli_print_evidence(f, 3);
		} else if (skip != NULL) {
			printf("%s could not be checked on %s: %s\n", ru->id,
			    cp.ph.serial, skip);
		} else {
			printf("%s does not hold on %s now; its plan:\n",
			    ru->id, cp.ph.serial);
		}
		repair_plan_lines(ru, &cp.ph, first, last, &ro);
		if (f != NULL && last >= first)
			printf("fix runs the steps marked >, re-checking after "
			    "each, until the finding is gone:\n  droidmedic "
			    "fix -s %s %s --confirm %s%s\n", o->serial, ru->id,
			    dev_confirm_hint(cp.ph.serial), o->without_backup ?
			    " --without-backup" : "");
		if (stop[0])
			printf("it stops before %s\n", stop);
	}
	diag_report_free(&rep);
	phone_close(&cp);
	ruleset_free(&rs);
	return 0;
}

static int
local_fix(struct jobeng *eng, const cJSON *params, char *err, size_t errlen)
{
	return fixjob_submit_json(eng, params, err, errlen);
}

int
cli_fix(const struct cli_opts *o, int argc, char **argv)
{
	const struct rule *ru;
	struct ruleset rs;
	char addr[160], dir[4096];
	cJSON *params;
	int status;

	if (argc != 1) {
		fprintf(stderr, "droidmedic: usage: fix -s SERIAL FINDING "
		    "[--step N] [--confirm SERIAL] [--without-backup] "
		    "[--json]\n");
		return 2;
	}
	if (o->serial == NULL || *o->serial == '\0') {
		fprintf(stderr, "droidmedic: which phone? give -s SERIAL (see "
		    "`droidmedic devices`)\n");
		return 2;
	}
	/* Usage errors are ours to find, before any job. */
	if ((status = load_rules(&rs, argv[0], &ru)) != 0)
		return status;
	if (o->step > ru->nsteps) {
		fprintf(stderr, "droidmedic: %s has %d step%s, no step %d\n",
		    ru->id, ru->nsteps, ru->nsteps == 1 ? "" : "s", o->step);
		ruleset_free(&rs);
		return 2;
	}
	ruleset_free(&rs);
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "device", o->serial);
	cJSON_AddStringToObject(params, "finding", argv[0]);
	if (o->step > 0)
		cJSON_AddNumberToObject(params, "step", o->step);
	if (o->confirm != NULL)
		cJSON_AddStringToObject(params, "confirm", o->confirm);
	cJSON_AddBoolToObject(params, "without_backup", o->without_backup);
	/* A log bundle lands here, as it would without the server. */
	if (getcwd(dir, sizeof(dir)) != NULL)
		cJSON_AddStringToObject(params, "outdir", dir);
	rules_builtin_dir(dir, sizeof(dir));
	if (dir[0] == '/')
		cJSON_AddStringToObject(params, "rules", dir);
	if (transport_address(o->serial, addr, sizeof(addr)))
		cJSON_AddStringToObject(params, "address", addr);
	/* tcp: and usb: are fastboot's spelling: a phone there may be in
	 * its bootloader (a bench row says which itself). */
	if (strncmp(o->serial, "tcp:", 4) == 0 ||
	    strncmp(o->serial, "usb:", 4) == 0)
		cJSON_AddTrueToObject(params, "fastboot");
	return cli_run_job(o, "fix", params, local_fix);
}

int
cli_action(const struct cli_opts *o, int argc, char **argv)
{
	const struct act_def *d;
	struct act_result r;
	struct cliphone cp;
	cJSON *params;
	char msg[900];
	int status = 0, rc;

	if (argc < 1) {
		size_t n;
		const struct act_def *all = act_all(&n);

		fprintf(stderr, "droidmedic: usage: action -s SERIAL NAME "
		    "[KEY=VALUE] [--confirm SERIAL] [--json]\nactions:\n");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "  %-22s [risk %s] %s%s%s\n",
			    all[i].name, rule_risk_name(all[i].risk),
			    all[i].summary, all[i].missing ? " - " : "",
			    all[i].missing ? all[i].missing : "");
		return 2;
	}
	d = act_find(argv[0]);
	if (d == NULL) {
		fprintf(stderr, "droidmedic: no action '%s' (droidmedic "
		    "action lists them)\n", argv[0]);
		return 2;
	}
	params = cJSON_CreateObject();
	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL || eq == argv[i] || d->param == NULL ||
		    strncmp(argv[i], d->param, (size_t)(eq - argv[i])) != 0 ||
		    strlen(d->param) != (size_t)(eq - argv[i])) {
			fprintf(stderr, "droidmedic: %s takes %s%s%s, not "
			    "'%s'\n", d->name, d->param ? d->param :
			    "no parameter", d->param ? "=" : "",
			    d->param ? "VALUE" : "", argv[i]);
			cJSON_Delete(params);
			return 2;
		}
		cJSON_AddStringToObject(params, d->param, eq + 1);
	}
	if (phone_open(&cp, o, &status) < 0) {
		phone_close(&cp);
		cJSON_Delete(params);
		return status;
	}
	if (!o->json)
		printf("%s on %s (%s) [risk %s]: %s\n", d->name, cp.ph.serial,
		    cp.ph.model, rule_risk_name(d->risk), d->summary);
	if (d->risk > RISK_NONE && !dev_confirm_names(o->confirm,
	    cp.ph.serial)) {
		dev_confirm_refusal(msg, sizeof(msg), o->confirm, cp.ph.serial,
		    "nothing was done");
		status = o->json ? cli_print_error_json("ECONFIRM", msg) :
		    (fprintf(stderr, "droidmedic: %s\n", msg), 1);
		goto out;
	}
	/* A wipe wants a recent backup of the phone first; going on
	 * without one is said out loud. */
	if (strcmp(d->name, "factory-reset") == 0 && !o->without_backup) {
		char id[160], lib[4096];

		if (!bklib_recent(cp.ph.serial, BK_RECENT_S, id, sizeof(id),
		    lib, sizeof(lib))) {
			snprintf(msg, sizeof(msg), "nothing was done: "
			    "factory-reset erases everything on %s, and %s has "
			    "no complete, verified backup of it from the last "
			    "12 hours (droidmedic backup -s %s makes one); "
			    "--without-backup goes on without one",
			    cp.ph.serial, lib[0] ? lib : "the backup library",
			    cp.ph.serial);
			status = o->json ? cli_print_error_json("EBACKUP",
			    msg) : (fprintf(stderr, "droidmedic: %s\n", msg),
			    1);
			goto out;
		}
		if (!o->json)
			fprintf(stderr, "backup %s of this phone is complete "
			    "and verified: going on\n", id);
	}
	rc = repair_action(&cp.ph, d->name, params, &r);
	if (rc < 0) {
		status = o->json ? cli_print_error_json(dm_errname(rc), r.msg) :
		    (fprintf(stderr, "droidmedic: %s\n", r.msg), 1);
		goto out;
	}
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddTrueToObject(j, "ok");
		cJSON_AddStringToObject(j, "serial", cp.ph.serial);
		cJSON_AddStringToObject(j, "action", d->name);
		cJSON_AddBoolToObject(j, "skipped", r.skipped);
		cJSON_AddStringToObject(j, "message", r.msg);
		if (r.undo[0])
			cJSON_AddStringToObject(j, "undo", r.undo);
		if (r.file[0])
			cJSON_AddStringToObject(j, "file", r.file);
		if (r.gone[0])
			cJSON_AddStringToObject(j, "not_rechecked", r.gone);
		cli_json_out(j);
	} else {
		printf("%s%s\n", r.skipped ? "skipped: " : "", r.msg);
		if (r.gone[0])
			printf("not re-checked: %s\n", r.gone);
		if (r.undo[0])
			printf("undo: droidmedic action -s %s %s\n", o->serial,
			    r.undo);
	}
out:
	cJSON_Delete(params);
	phone_close(&cp);
	return status;
}
