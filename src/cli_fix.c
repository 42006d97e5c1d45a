/* cli_fix.c - `droidmedic plan`, `fix` and `action`: a finding's repair
 * plan, running it step by step with a re-check after each step, and one
 * action alone (see actions.h, diag.h).
 *
 * fix without --step runs the plan from its first step and stops at the
 * first of: the finding is gone (re-checked after every step), a step
 * fails, a step that would erase user data or flash (those run only with
 * --step N), a step not carried out yet or needing what the phone lacks.
 * The plan is printed before anything runs; when a step to run may lose
 * data, --confirm must name the phone. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions.h"
#include "adb.h"
#include "adbkey.h"
#include "cli.h"
#include "dev.h"
#include "diag.h"
#include "err.h"
#include "props.h"
#include "rules.h"
#include "xmem.h"

#define GETPROP_MS	30000

struct phone {
	const struct cli_opts *o;
	struct adbkeys *keys;
	struct adb_conn *c;
	struct props *props;
	char serial[128];	/* the phone's own (ro.serialno) */
	char model[128];
	unsigned mode;		/* RULE_MODE_DEVICE or _RECOVERY */
	int quiet;		/* JSON: progress to stderr */
};

static void
progress(void *ud, const char *line)
{
	struct phone *ph = ud;

	fprintf(ph->quiet ? stderr : stdout, "      %s\n", line);
	fflush(ph->quiet ? stderr : stdout);
}

/* getprop into ph->props; 0 or a dm_err. */
static int
read_props(struct phone *ph, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int code, rc;

	rc = adb_shell_capture(ph->c, "getprop", &text, &len, 4u << 20, &code,
	    GETPROP_MS, err, errlen);
	if (rc < 0) {
		free(text);
		return rc;
	}
	props_free(ph->props);
	ph->props = props_new();
	props_parse(ph->props, text, len, PROPS_FMT_GETPROP);
	free(text);
	return 0;
}

static int
phone_open(struct phone *ph, const struct cli_opts *o, int *status)
{
	const struct adb_banner *b;
	char err[512];
	const char *v;
	int rc;

	memset(ph, 0, sizeof(*ph));
	ph->o = o;
	ph->quiet = o->json;
	ph->c = cli_adb_connect(o, &ph->keys, status);
	if (ph->c == NULL)
		return -1;
	b = adb_banner_get(ph->c);
	ph->mode = RULE_MODE_DEVICE;
	if (b != NULL && strcmp(b->type, "recovery") == 0) {
		ph->mode = RULE_MODE_RECOVERY;
	} else if (b != NULL && strcmp(b->type, "device") != 0) {
		snprintf(err, sizeof(err), "the phone is in %s mode: this "
		    "needs it booted (device) or in recovery", b->type);
		*status = cli_fail(o, DM_EUNSUPP, err);
		return -1;
	}
	rc = read_props(ph, err, sizeof(err));
	if (rc < 0) {
		*status = cli_fail(o, rc, err);
		return -1;
	}
	v = props_get(ph->props, "ro.serialno");
	snprintf(ph->serial, sizeof(ph->serial), "%s", v && *v ? v :
	    o->serial);
	v = props_get(ph->props, "ro.product.model");
	snprintf(ph->model, sizeof(ph->model), "%s", v && *v ? v :
	    "model unknown");
	return 0;
}

static int
phone_sdk(const struct phone *ph)
{
	return atoi(props_str(ph->props, "ro.build.version.sdk"));
}

static void
phone_close(struct phone *ph)
{
	if (ph->c != NULL)
		adb_close(ph->c);
	ph->c = NULL;
	adbkeys_free(ph->keys);
	ph->keys = NULL;
	props_free(ph->props);
	ph->props = NULL;
}

/* After a reboot: back in adb as a booted device, connected again. */
static int
phone_reconnect(void *ud, struct adb_conn **c, int ms, char *err,
    size_t errlen)
{
	struct phone *ph = ud;
	struct adb_connect_opts co = { 0 };
	char addr[128], why[512] = "it did not come back";
	int waited = 0;

	adb_close(*c);
	*c = NULL;
	ph->c = NULL;
	co.keys = ph->keys;
	co.timeout_ms = 5000;
	co.auth_wait_ms = 0;
	while (waited < ms) {
		struct adb_conn *n = NULL;
		const struct adb_banner *b;

		sleep(1);
		waited += 1000;
		/* Resolved each time: a bench row's address may change
		 * when the phone re-enumerates. */
		if (cli_resolve(ph->o, addr, sizeof(addr)) != 0)
			continue;
		co.addr = addr;
		if (adb_connect(&co, &n, why, sizeof(why)) < 0)
			continue;
		b = adb_banner_get(n);
		if (b == NULL || strcmp(b->type, "device") != 0) {
			snprintf(why, sizeof(why), "it is in %s mode",
			    b ? b->type : "an unknown");
			adb_close(n);
			continue;
		}
		ph->c = n;
		if (read_props(ph, why, sizeof(why)) == 0 &&
		    strcmp(props_str(ph->props,
		    "sys.boot_completed"), "1") == 0) {
			*c = n;
			return 0;
		}
		snprintf(why, sizeof(why), "Android has not finished "
		    "starting");
		adb_close(n);
		ph->c = NULL;
	}
	return dm_fail(err, errlen, DM_ETIMEOUT, "not back after %d s: %s",
	    ms / 1000, why);
}

/* The actions' view of the phone: its connection, SDK level, progress
 * lines and the wait after a reboot. */
static void
act_env_for(struct act_env *env, struct phone *ph)
{
	env->c = ph->c;
	env->sdk = phone_sdk(ph);
	env->say = progress;
	env->reconnect = phone_reconnect;
	env->ud = ph;
}

static int
diagnose(struct phone *ph, const struct ruleset *rs, struct diag_report *r)
{
	struct diag_src src = { cli_diag_probe, ph->c, ph->props, ph->mode };

	return diag_run(rs, &src, r);
}

static const struct diag_finding *
finding(const struct diag_report *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].rule->id, id) == 0)
			return &r->f[i];
	return NULL;
}

static const char *
unchecked(const struct diag_report *r, const char *id)
{
	for (size_t i = 0; i < r->nskip; i++)
		if (strcmp(r->skip[i].rule->id, id) == 0)
			return r->skip[i].why;
	return NULL;
}

static const struct rule *
find_rule(const struct ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i].id, id) == 0)
			return &rs->rules[i];
	return NULL;
}

static int
load_rules(struct ruleset *rs, const char *id, const struct rule **ru)
{
	ruleset_init(rs);
	ruleset_load_default(rs);
	for (size_t i = 0; i < rs->nproblems; i++)
		fprintf(stderr, "droidmedic: rules: %s\n", rs->problems[i]);
	*ru = find_rule(rs, id);
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

/* Why step k of ru cannot run on this phone now, or NULL. */
static const char *
step_blocked(const struct rule_step *s, const struct cli_opts *o,
    const struct phone *ph, char *buf, size_t len)
{
	const struct act_def *d = act_find(s->action);

	if (d == NULL) {
		snprintf(buf, len, "droidmedic has no action '%s'", s->action);
		return buf;
	}
	if (d->missing != NULL &&
	    !(strcmp(s->action, "backup") == 0 && o->without_backup)) {
		snprintf(buf, len, "%s%s", d->missing,
		    strcmp(s->action, "backup") == 0 ?
		    "; --without-backup goes on without one" : "");
		return buf;
	}
	if (act_blocked(s->action, phone_sdk(ph), buf, len) != NULL)
		return buf;
	if ((s->needs & RULE_NEED_FASTBOOT) && !(s->needs & RULE_NEED_ADB)) {
		snprintf(buf, len, "needs the phone in fastboot");
		return buf;
	}
	if ((s->needs & RULE_NEED_ROOT) &&
	    strcmp(props_str(ph->props, "ro.debuggable"), "1") != 0) {
		snprintf(buf, len, "needs root (adb root), which this build "
		    "does not allow");
		return buf;
	}
	if ((s->needs & RULE_NEED_BACKUP) && !o->without_backup) {
		snprintf(buf, len, "needs a backup made in this session, and "
		    "backups are not carried out yet (issue 6); "
		    "--without-backup goes on without one");
		return buf;
	}
	return NULL;
}

/* Which steps run: first..last (1-based, inclusive); 0 when none. */
static void
select_steps(const struct rule *ru, const struct cli_opts *o,
    const struct phone *ph, int *first, int *last, char *stop, size_t len)
{
	char why[300];

	stop[0] = '\0';
	if (o->step > 0) {
		*first = *last = o->step;
		return;
	}
	*first = 1;
	*last = 0;
	for (int k = 0; k < ru->nsteps; k++) {
		const struct rule_step *s = &ru->step[k];

		if (s->risk >= RISK_USER_DATA) {
			snprintf(stop, len, "step %d (%s) erases %s: it runs "
			    "only on its own, with --step %d", k + 1,
			    s->action, s->risk == RISK_FLASH ? "and rewrites "
			    "partitions" : "user data", k + 1);
			break;
		}
		if (step_blocked(s, o, ph, why, sizeof(why)) != NULL) {
			snprintf(stop, len, "step %d (%s): %s", k + 1,
			    s->action, why);
			break;
		}
		*last = k + 1;
	}
}

static void
print_plan(const struct rule *ru, const struct phone *ph, int first,
    int last, const struct cli_opts *o)
{
	char p[200], why[300];

	printf("plan for %s on %s (%s): %s\n", ru->id, ph->serial, ph->model,
	    ru->title);
	for (int k = 0; k < ru->nsteps; k++) {
		const struct rule_step *s = &ru->step[k];
		const char *blocked = step_blocked(s, o, ph, why, sizeof(why));
		int runs = k + 1 >= first && k + 1 <= last;

		cli_params_text(s->params, p, sizeof(p));
		printf("  %s %2d. [risk %-9s] %s%s%s: %s\n", runs ? ">" : " ",
		    k + 1, rule_risk_name(s->risk), s->action, p[0] ? " " : "",
		    p, s->effect);
		if (blocked != NULL)
			printf("          cannot run here: %s\n", blocked);
		else if (s->verify != NULL && s->verify[0])
			printf("          check: %s\n", s->verify);
	}
}

static cJSON *
plan_json(const struct rule *ru, const struct phone *ph, int first,
    int last, const struct cli_opts *o)
{
	cJSON *a = cJSON_CreateArray();
	char why[300];

	for (int k = 0; k < ru->nsteps; k++) {
		const struct rule_step *s = &ru->step[k];
		const char *blocked = step_blocked(s, o, ph, why, sizeof(why));
		cJSON *j = cJSON_CreateObject();

		cJSON_AddNumberToObject(j, "step", k + 1);
		cJSON_AddStringToObject(j, "action", s->action);
		cJSON_AddItemToObject(j, "params", s->params ?
		    cJSON_Duplicate(s->params, 1) : cJSON_CreateObject());
		cJSON_AddStringToObject(j, "risk", rule_risk_name(s->risk));
		cJSON_AddStringToObject(j, "effect", s->effect);
		if (s->verify != NULL)
			cJSON_AddStringToObject(j, "verify", s->verify);
		cJSON_AddBoolToObject(j, "selected", k + 1 >= first &&
		    k + 1 <= last);
		if (blocked != NULL)
			cJSON_AddStringToObject(j, "blocked", blocked);
		else
			cJSON_AddNullToObject(j, "blocked");
		cJSON_AddItemToArray(a, j);
	}
	return a;
}

int
cli_plan(const struct cli_opts *o, int argc, char **argv)
{
	const struct rule *ru;
	struct ruleset rs;
	struct diag_report rep;
	struct phone ph;
	const struct diag_finding *f;
	const char *skip;
	char stop[400];
	int status, first, last;

	if (argc != 1) {
		fprintf(stderr, "droidmedic: usage: plan -s SERIAL FINDING "
		    "[--json]\n");
		return 2;
	}
	if ((status = load_rules(&rs, argv[0], &ru)) != 0)
		return status;
	if (phone_open(&ph, o, &status) < 0) {
		phone_close(&ph);
		ruleset_free(&rs);
		return status;
	}
	diagnose(&ph, &rs, &rep);
	f = finding(&rep, ru->id);
	skip = unchecked(&rep, ru->id);
	select_steps(ru, o, &ph, &first, &last, stop, sizeof(stop));
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddTrueToObject(j, "ok");
		cJSON_AddStringToObject(j, "serial", ph.serial);
		cJSON_AddStringToObject(j, "finding", ru->id);
		cJSON_AddStringToObject(j, "title", ru->title);
		cJSON_AddStringToObject(j, "state", f ? "present" : skip ?
		    "unchecked" : "absent");
		if (skip != NULL)
			cJSON_AddStringToObject(j, "unchecked", skip);
		cJSON_AddItemToObject(j, "steps", plan_json(ru, &ph, first,
		    last, o));
		if (stop[0])
			cJSON_AddStringToObject(j, "stops_before", stop);
		cli_json_out(j);
	} else {
		if (f != NULL) {
			printf("%s holds on %s: %s\n", ru->id, ph.serial,
			    ru->explain);
			cli_print_evidence(f, 3);
		} else if (skip != NULL) {
			printf("%s could not be checked on %s: %s\n", ru->id,
			    ph.serial, skip);
		} else {
			printf("%s does not hold on %s now; its plan:\n",
			    ru->id, ph.serial);
		}
		print_plan(ru, &ph, first, last, o);
		if (f != NULL && last >= first)
			printf("fix runs the steps marked >, re-checking after "
			    "each, until the finding is gone:\n  droidmedic "
			    "fix -s %s %s --confirm %s%s\n", o->serial, ru->id,
			    dev_confirm_hint(ph.serial), o->without_backup ?
			    " --without-backup" : "");
		if (stop[0])
			printf("it stops before %s\n", stop);
	}
	diag_report_free(&rep);
	phone_close(&ph);
	ruleset_free(&rs);
	return 0;
}

/* One step's outcome, for the JSON report. */
static cJSON *
step_json(int k, const struct rule_step *s, const char *status,
    const struct act_result *r)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddNumberToObject(j, "step", k);
	cJSON_AddStringToObject(j, "action", s->action);
	cJSON_AddStringToObject(j, "status", status);
	cJSON_AddStringToObject(j, "message", r->msg);
	if (r->undo[0])
		cJSON_AddStringToObject(j, "undo", r->undo);
	if (r->file[0])
		cJSON_AddStringToObject(j, "file", r->file);
	return j;
}

int
cli_fix(const struct cli_opts *o, int argc, char **argv)
{
	const struct rule *ru;
	struct ruleset rs;
	struct diag_report rep;
	struct phone ph;
	struct act_env env = { 0 };
	cJSON *out = NULL, *steps = NULL;
	char stop[400], msg[900], why[300];
	const char *state = "absent", *error = NULL;
	int status, first, last, risky = 0, k, fixed = 0, rc = 0;

	if (argc != 1) {
		fprintf(stderr, "droidmedic: usage: fix -s SERIAL FINDING "
		    "[--step N] [--confirm SERIAL] [--without-backup] "
		    "[--json]\n");
		return 2;
	}
	if ((status = load_rules(&rs, argv[0], &ru)) != 0)
		return status;
	if (o->step > ru->nsteps) {
		fprintf(stderr, "droidmedic: %s has %d step%s, no step %d\n",
		    ru->id, ru->nsteps, ru->nsteps == 1 ? "" : "s", o->step);
		ruleset_free(&rs);
		return 2;
	}
	if (phone_open(&ph, o, &status) < 0) {
		phone_close(&ph);
		ruleset_free(&rs);
		return status;
	}
	diagnose(&ph, &rs, &rep);
	if (finding(&rep, ru->id) != NULL)
		state = "present";
	else if (unchecked(&rep, ru->id) != NULL)
		state = "unchecked";
	if (o->json) {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "serial", ph.serial);
		cJSON_AddStringToObject(out, "finding", ru->id);
		cJSON_AddStringToObject(out, "before", state);
		steps = cJSON_AddArrayToObject(out, "steps");
	}
	/* Nothing to fix: said so, nothing run (unless a step was asked
	 * for by number). */
	if (strcmp(state, "present") != 0 && o->step == 0) {
		if (strcmp(state, "unchecked") == 0) {
			snprintf(msg, sizeof(msg), "%s could not be checked, "
			    "so nothing was run: %s", ru->id,
			    unchecked(&rep, ru->id));
			error = "EUNCHECKED";
			status = 1;
		} else {
			snprintf(msg, sizeof(msg), "%s does not hold on %s: "
			    "nothing to fix", ru->id, ph.serial);
			fixed = 1;
		}
		goto report;
	}
	select_steps(ru, o, &ph, &first, &last, stop, sizeof(stop));
	if (!o->json)
		print_plan(ru, &ph, first, last, o);
	if (last < first) {
		snprintf(msg, sizeof(msg), "nothing was run: the plan stops "
		    "before %s", stop);
		error = "EBLOCKED";
		status = 1;
		goto report;
	}
	if (o->step > 0 && step_blocked(&ru->step[o->step - 1], o, &ph, why,
	    sizeof(why)) != NULL) {
		snprintf(msg, sizeof(msg), "nothing was run: step %d (%s): %s",
		    o->step, ru->step[o->step - 1].action, why);
		error = "EBLOCKED";
		status = 1;
		goto report;
	}
	for (k = first; k <= last; k++)
		risky |= ru->step[k - 1].risk > RISK_NONE;
	if (risky && !dev_confirm_names(o->confirm, ph.serial)) {
		dev_confirm_refusal(msg, sizeof(msg), o->confirm, ph.serial,
		    "nothing was run (a step may lose data)");
		error = "ECONFIRM";
		status = 1;
		goto report;
	}

	act_env_for(&env, &ph);
	for (k = first; k <= last; k++) {
		const struct rule_step *s = &ru->step[k - 1];
		struct act_result r;
		char p[200];

		cli_params_text(s->params, p, sizeof(p));
		if (!o->json)
			printf("step %d: %s%s%s\n", k, s->action, p[0] ? " " :
			    "", p);
		if (strcmp(s->action, "backup") == 0 && o->without_backup) {
			memset(&r, 0, sizeof(r));
			snprintf(r.msg, sizeof(r.msg), "no backup "
			    "(--without-backup)");
			if (!o->json)
				printf("      skipped: %s\n", r.msg);
			if (steps)
				cJSON_AddItemToArray(steps, step_json(k, s,
				    "skipped", &r));
			continue;
		}
		rc = act_run(&env, s->action, s->params, &r);
		ph.c = env.c;
		if (rc < 0) {
			if (steps)
				cJSON_AddItemToArray(steps, step_json(k, s,
				    "failed", &r));
			snprintf(msg, sizeof(msg), "step %d (%s) failed: %s; "
			    "the steps after it were not run", k, s->action,
			    r.msg);
			error = dm_errname(rc);
			status = 1;
			goto report;
		}
		if (!o->json)
			printf("      %s: %s\n", r.skipped ? "skipped" : "done",
			    r.msg);
		if (steps)
			cJSON_AddItemToArray(steps, step_json(k, s, r.skipped ?
			    "skipped" : "done", &r));
		/* Re-check: the finding's rules against the phone now. */
		if (ph.c == NULL)
			break;
		if (read_props(&ph, why, sizeof(why)) < 0) {
			snprintf(msg, sizeof(msg), "after step %d: %s", k, why);
			error = "EIO";
			status = 1;
			goto report;
		}
		diag_report_free(&rep);
		diagnose(&ph, &rs, &rep);
		if (finding(&rep, ru->id) == NULL &&
		    unchecked(&rep, ru->id) == NULL) {
			fixed = 1;
			break;
		}
	}
	if (fixed) {
		snprintf(msg, sizeof(msg), "fixed: %s no longer holds on %s "
		    "(re-checked after step %d)", ru->id, ph.serial,
		    k > last ? last : k);
	} else if (unchecked(&rep, ru->id) != NULL) {
		snprintf(msg, sizeof(msg), "the steps ran, but %s could not be "
		    "re-checked: %s", ru->id, unchecked(&rep, ru->id));
		status = 3;
	} else {
		snprintf(msg, sizeof(msg), "not fixed: %s still holds after "
		    "step %d%s%s", ru->id, last, stop[0] ? "; next: " : "",
		    stop);
		status = 3;
	}

report:
	if (o->json) {
		cJSON_AddBoolToObject(out, "ok", error == NULL);
		cJSON_AddBoolToObject(out, "fixed", fixed);
		if (error != NULL)
			cJSON_AddStringToObject(out, "error", error);
		cJSON_AddStringToObject(out, "message", msg);
		cli_json_out(out);
	} else {
		fprintf(error ? stderr : stdout, "%s%s\n", error ?
		    "droidmedic: " : "", msg);
	}
	diag_report_free(&rep);
	phone_close(&ph);
	ruleset_free(&rs);
	return status;
}

int
cli_action(const struct cli_opts *o, int argc, char **argv)
{
	const struct act_def *d;
	struct act_env env = { 0 };
	struct act_result r;
	struct phone ph;
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
	if (phone_open(&ph, o, &status) < 0) {
		phone_close(&ph);
		cJSON_Delete(params);
		return status;
	}
	if (!o->json)
		printf("%s on %s (%s) [risk %s]: %s\n", d->name, ph.serial,
		    ph.model, rule_risk_name(d->risk), d->summary);
	if (d->risk > RISK_NONE && !dev_confirm_names(o->confirm, ph.serial)) {
		dev_confirm_refusal(msg, sizeof(msg), o->confirm, ph.serial,
		    "nothing was done");
		status = o->json ? cli_print_error_json("ECONFIRM", msg) :
		    (fprintf(stderr, "droidmedic: %s\n", msg), 1);
		goto out;
	}
	act_env_for(&env, &ph);
	rc = act_run(&env, d->name, params, &r);
	ph.c = env.c;
	if (rc < 0) {
		status = o->json ? cli_print_error_json(dm_errname(rc), r.msg) :
		    (fprintf(stderr, "droidmedic: %s\n", r.msg), 1);
		goto out;
	}
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddTrueToObject(j, "ok");
		cJSON_AddStringToObject(j, "serial", ph.serial);
		cJSON_AddStringToObject(j, "action", d->name);
		cJSON_AddBoolToObject(j, "skipped", r.skipped);
		cJSON_AddStringToObject(j, "message", r.msg);
		if (r.undo[0])
			cJSON_AddStringToObject(j, "undo", r.undo);
		if (r.file[0])
			cJSON_AddStringToObject(j, "file", r.file);
		cli_json_out(j);
	} else {
		printf("%s%s\n", r.skipped ? "skipped: " : "", r.msg);
		if (r.undo[0])
			printf("undo: droidmedic action -s %s %s\n", o->serial,
			    r.undo);
	}
out:
	cJSON_Delete(params);
	phone_close(&ph);
	return status;
}
