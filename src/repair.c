/* repair.c - a finding's plan and running it (see repair.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions.h"
#include "adb.h"
#include "backup.h"
#include "dev.h"
#include "err.h"
#include "fastboot.h"
#include "fbident.h"
#include "fbvars.h"
#include "props.h"
#include "repair.h"
#include "xmem.h"

#define GETPROP_MS	30000
#define PROBE_MS	30000

static void
sayf(const struct repair_phone *ph, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sayf(const struct repair_phone *ph, const char *fmt, ...)
{
	char line[1200];
	va_list ap;

	if (ph->say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ph->say(ph->ud, line);
}

static void
step_event(const struct repair_phone *ph, int k, int n, const char *action,
    const char *status)
{
	if (ph->step != NULL)
		ph->step(ph->ud, k, n, action, status);
}

/* getprop into ph->props; 0 or a dm_err. */
static int
read_props(struct repair_phone *ph, char *err, size_t errlen)
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

/* Its fastboot variables into ph->vars (getvar all, or one by one where
 * "all" is refused); 0 or a dm_err. */
static int
read_vars(struct repair_phone *ph, char *err, size_t errlen)
{
	struct fbvars v;
	int rc;

	fbvars_init(&v);
	rc = fbident_ask(ph->fb, &v, err, errlen);
	if (rc == 0) {
		props_free(ph->vars);
		ph->vars = props_new();
		for (size_t i = 0; i < v.nraw; i++)
			props_set(ph->vars, v.raw[i].name, v.raw[i].value);
	}
	fbvars_free(&v);
	return rc;
}

/* The probe "connection" in adb modes: the mode and the banner. */
static void
conn_adb(struct repair_phone *ph)
{
	const struct adb_banner *b = adb_banner_get(ph->c);

	snprintf(ph->conn, sizeof(ph->conn), "mode: %s\nadb banner: %s::"
	    "ro.product.name=%s;ro.product.model=%s;ro.product.device=%s\n",
	    repair_mode_name(ph), b ? b->type : "", b ? b->product : "",
	    b ? b->model : "", b ? b->device : "");
}

/* ... and in fastboot: the mode and the address. */
static void
conn_fastboot(struct repair_phone *ph)
{
	snprintf(ph->conn, sizeof(ph->conn), "mode: %s\naddress: %s\n",
	    strcmp(props_str(ph->vars, "is-userspace"), "yes") == 0 ?
	    "fastbootd" : "fastboot (bootloader)", fb_addr(ph->fb));
}

int
repair_open_fastboot(struct repair_phone *ph, struct fb_conn *fb,
    const char *fallback_serial, char *err, size_t errlen)
{
	const char *v;
	int rc;

	ph->fb = fb;
	ph->mode = RULE_MODE_FASTBOOT;
	if ((rc = read_vars(ph, err, errlen)) < 0)
		return rc;
	v = props_get(ph->vars, "serialno");
	snprintf(ph->serial, sizeof(ph->serial), "%s", v && *v ? v :
	    fallback_serial ? fallback_serial : "");
	ph->backup_recent = bklib_recent(ph->serial, BK_RECENT_S, NULL, 0,
	    NULL, 0);
	v = props_get(ph->vars, "product");
	snprintf(ph->model, sizeof(ph->model), "%s%s", v && *v ? v :
	    "product unknown", strcmp(props_str(ph->vars, "is-userspace"),
	    "yes") == 0 ? ", in fastbootd" : ", in its bootloader");
	conn_fastboot(ph);
	return 0;
}

unsigned
repair_mode_of_row(int dev_mode)
{
	switch ((enum dev_mode)dev_mode) {
	case DEV_MODE_ADB:			return RULE_MODE_DEVICE;
	case DEV_MODE_RECOVERY:			return RULE_MODE_RECOVERY;
	case DEV_MODE_FASTBOOT:
	case DEV_MODE_FASTBOOTD:		return RULE_MODE_FASTBOOT;
	case DEV_MODE_UNAUTHORIZED:		return RULE_MODE_UNAUTHORIZED;
	case DEV_MODE_SIDELOAD:			return RULE_MODE_SIDELOAD;
	case DEV_MODE_MTP_ONLY:			return RULE_MODE_MTP_ONLY;
	case DEV_MODE_SAMSUNG_DOWNLOAD:		return RULE_MODE_DOWNLOAD;
	case DEV_MODE_QUALCOMM_EDL:		return RULE_MODE_EDL;
	case DEV_MODE_MEDIATEK_PRELOADER:
	case DEV_MODE_MEDIATEK_BROM:		return RULE_MODE_MEDIATEK;
	default:				return 0;
	}
}

int
repair_open_row(struct repair_phone *ph, const struct dev_info *di,
    const char *keyfp, char *err, size_t errlen)
{
	size_t n = 0, cap = sizeof(ph->conn);

	ph->mode = repair_mode_of_row(di->mode);
	if (!(ph->mode & RULE_MODES_LINK))
		return dm_fail(err, errlen, DM_EUNSUPP, "the phone is in %s "
		    "mode: it is diagnosed by talking to it", dev_mode_name(
		    di->mode));
	snprintf(ph->serial, sizeof(ph->serial), "%s", di->serial[0] ?
	    di->serial : di->port);
	snprintf(ph->model, sizeof(ph->model), "%s", di->summary[0] ?
	    di->summary : di->product[0] ? di->product : "model unknown");
	n += (size_t)snprintf(ph->conn + n, cap - n, "mode: %s (%s)\n",
	    dev_mode_name(di->mode), dev_mode_label(di->mode));
	if (keyfp != NULL && n < cap)
		n += (size_t)snprintf(ph->conn + n, cap - n, "adb key "
		    "fingerprint: %s\n", keyfp);
	if (di->mode_detail[0] && n < cap)
		n += (size_t)snprintf(ph->conn + n, cap - n, "detail: %s\n",
		    di->mode_detail);
	if (n < cap)
		n += (size_t)snprintf(ph->conn + n, cap - n, "port: %s\n",
		    di->port);
	if (strcmp(di->transport, "usb") == 0 && n < cap)
		n += (size_t)snprintf(ph->conn + n, cap - n, "usb: %04x:%04x "
		    "%s%s\"%s\" by \"%s\"\n", di->vid, di->pid, di->vendor,
		    di->vendor[0] ? " " : "", di->product, di->manufacturer);
	for (int i = 0; i < di->nproblems && n < cap; i++)
		n += (size_t)snprintf(ph->conn + n, cap - n, "problem: %s "
		    "(%s)\n", di->problems[i].text, di->problems[i].fix);
	return 0;
}

const char *
repair_mode_name(const struct repair_phone *ph)
{
	return ph->mode == RULE_MODE_DEVICE ? "adb" :
	    rule_mode_name(ph->mode);
}

/* The name of the first mode a rule is read in ("fastboot"). */
static const char *
rule_first_mode(const struct rule *ru)
{
	for (int i = 0; i < RULE_MODE_COUNT; i++)
		if (ru->modes & (1u << i))
			return rule_mode_name(1u << i);
	return "unknown";
}

const char *
repair_mode_blocked(const struct rule *ru, const struct repair_phone *ph,
    char *buf, size_t len)
{
	if (ru->modes & ph->mode)
		return NULL;
	if (ph->mode == RULE_MODE_FASTBOOT)
		snprintf(buf, len, "%s is checked with the phone booted, and it "
		    "is in fastboot (droidmedic reboot -s %s system)", ru->id,
		    ph->serial);
	else
		snprintf(buf, len, "%s is checked in %s, and the phone is in "
		    "%s mode", ru->id, (ru->modes & RULE_MODE_DEVICE) ?
		    "Android" : rule_first_mode(ru), repair_mode_name(ph));
	return buf;
}

int
repair_open(struct repair_phone *ph, struct adb_conn *c,
    const char *fallback_serial, char *err, size_t errlen)
{
	const struct adb_banner *b = adb_banner_get(c);
	const char *v;
	int rc;

	ph->c = c;
	ph->mode = RULE_MODE_DEVICE;
	if (b != NULL && strcmp(b->type, "recovery") == 0)
		ph->mode = RULE_MODE_RECOVERY;
	else if (b != NULL && strcmp(b->type, "device") != 0)
		return dm_fail(err, errlen, DM_EUNSUPP, "the phone is in %s "
		    "mode: this needs it booted (device) or in recovery",
		    b->type);
	conn_adb(ph);
	if ((rc = read_props(ph, err, errlen)) < 0)
		return rc;
	v = props_get(ph->props, "ro.serialno");
	snprintf(ph->serial, sizeof(ph->serial), "%s", v && *v ? v :
	    fallback_serial ? fallback_serial : "");
	ph->backup_recent = bklib_recent(ph->serial, BK_RECENT_S, NULL, 0,
	    NULL, 0);
	v = props_get(ph->props, "ro.product.model");
	snprintf(ph->model, sizeof(ph->model), "%s", v && *v ? v :
	    "model unknown");
	return 0;
}

void
repair_close(struct repair_phone *ph)
{
	if (ph->c != NULL)
		adb_close(ph->c);
	ph->c = NULL;
	fb_close(ph->fb);
	ph->fb = NULL;
	props_free(ph->props);
	ph->props = NULL;
	props_free(ph->vars);
	ph->vars = NULL;
}

int
repair_sdk(const struct repair_phone *ph)
{
	return atoi(props_str(ph->props, "ro.build.version.sdk"));
}

/* The probe "connection", in any mode: what the bench sees. */
static int
conn_probe(const struct repair_phone *ph, char **out, size_t *len)
{
	*out = xstrdup(ph->conn);
	*len = strlen(ph->conn);
	return 0;
}

static int
probe(void *ud, const char *cmd, char **out, size_t *len, char *err,
    size_t errlen)
{
	const struct repair_phone *ph = ud;
	int code, rc;

	if (strcmp(cmd, "connection") == 0)
		return conn_probe(ph, out, len);
	rc = adb_shell_capture(ph->c, cmd, out, len, DIAG_OUTPUT_MAX, &code,
	    PROBE_MS, err, errlen);
	/* A command that failed and said nothing ("not found", no
	 * permission) is no evidence either way. */
	if (rc == 0 && code > 0 && *len == 0)
		return dm_fail(err, errlen, DM_EUNSUPP, "exit status %d, "
		    "no output", code);
	return rc;
}

/* In fastboot nothing is run on the phone: "getvar all" is answered from
 * the variables already read, as "name: value" lines. */
static int
fb_probe(void *ud, const char *cmd, char **out, size_t *len, char *err,
    size_t errlen)
{
	const struct repair_phone *ph = ud;
	const struct props *vars = ph->vars;
	size_t cap = 256, n = 0;
	char *buf;

	if (strcmp(cmd, "connection") == 0)
		return conn_probe(ph, out, len);
	if (strcmp(cmd, "getvar all") != 0)
		return dm_fail(err, errlen, DM_EUNSUPP, "in fastboot the one "
		    "probe is `getvar all`");
	if (vars == NULL)
		return dm_fail(err, errlen, DM_EIO, "the fastboot variables "
		    "could not be read");
	buf = xmalloc(cap);
	for (size_t i = 0; i < props_count(vars); i++) {
		const char *k, *v;
		size_t need;

		if (props_at(vars, i, &k, &v) < 0)
			continue;
		need = strlen(k) + strlen(v) + 4;
		while (n + need >= cap)
			buf = xrealloc(buf, cap *= 2);
		n += (size_t)snprintf(buf + n, cap - n, "%s: %s\n", k, v);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* A phone that runs nothing for us: the row is all there is. */
static int
row_probe(void *ud, const char *cmd, char **out, size_t *len, char *err,
    size_t errlen)
{
	const struct repair_phone *ph = ud;

	if (strcmp(cmd, "connection") == 0)
		return conn_probe(ph, out, len);
	return dm_fail(err, errlen, DM_EUNSUPP, "the phone is in %s mode: "
	    "nothing can be run on it", repair_mode_name(ph));
}

int
repair_diagnose(struct repair_phone *ph, const struct ruleset *rs,
    struct diag_report *r)
{
	struct diag_src src = { probe, ph, ph->props, ph->mode, NULL };

	if (ph->mode == RULE_MODE_FASTBOOT) {
		src.run = fb_probe;
		src.props = NULL;
		src.vars = ph->vars;
	} else if (ph->mode & RULE_MODES_LINK) {
		src.run = row_probe;
		src.props = NULL;
	}
	return diag_run(rs, &src, r);
}

const struct diag_finding *
repair_finding(const struct diag_report *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].rule->id, id) == 0)
			return &r->f[i];
	return NULL;
}

const char *
repair_unchecked(const struct diag_report *r, const char *id)
{
	for (size_t i = 0; i < r->nskip; i++)
		if (strcmp(r->skip[i].rule->id, id) == 0)
			return r->skip[i].why;
	return NULL;
}

const struct rule *
repair_rule(const struct ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i].id, id) == 0)
			return &rs->rules[i];
	return NULL;
}

/* ---- the plan ----------------------------------------------------------- */

const char *
repair_step_blocked(const struct rule_step *s,
    const struct repair_opts *o, const struct repair_phone *ph, char *buf,
    size_t len)
{
	const struct act_def *d = act_find(s->action);
	int backup = strcmp(s->action, "backup") == 0;

	if (d == NULL) {
		snprintf(buf, len, "droidmedic has no action '%s'", s->action);
		return buf;
	}
	if (strcmp(s->action, "by-hand") == 0) {
		snprintf(buf, len, "done by hand, not by droidmedic");
		return buf;
	}
	if (ph->mode & RULE_MODES_LINK) {
		snprintf(buf, len, "the phone is in %s mode, where it runs "
		    "nothing for droidmedic", repair_mode_name(ph));
		return buf;
	}
	if (d->missing != NULL && !(backup && o->without_backup)) {
		snprintf(buf, len, "%s%s", d->missing, backup ?
		    "; --without-backup goes on without one" : "");
		return buf;
	}
	if (ph->mode != RULE_MODE_FASTBOOT &&
	    act_blocked(s->action, repair_sdk(ph), buf, len) != NULL)
		return buf;
	if (ph->mode == RULE_MODE_FASTBOOT && !(s->needs &
	    RULE_NEED_FASTBOOT)) {
		snprintf(buf, len, "needs the phone booted (adb), and it is in "
		    "fastboot");
		return buf;
	}
	if (ph->mode != RULE_MODE_FASTBOOT && (s->needs & RULE_NEED_FASTBOOT)
	    && !(s->needs & RULE_NEED_ADB)) {
		snprintf(buf, len, "needs the phone in fastboot");
		return buf;
	}
	/* Root (adb root on debuggable builds, or su) is checked by the
	 * action when it runs: a retail build may still have su. */
	if ((s->needs & RULE_NEED_BACKUP) && !o->without_backup &&
	    !o->backup_made && !ph->backup_recent) {
		snprintf(buf, len, "needs a backup of this phone from the "
		    "last 12 hours (droidmedic backup makes one); "
		    "--without-backup goes on without one");
		return buf;
	}
	return NULL;
}

/* The options step k (0-based) is judged with: when it is in the run
 * (first..last, 1-based), a backup step before it in the run counts as
 * the backup it needs. */
static const struct repair_opts *
opts_at(const struct rule *ru, int k, const struct repair_opts *o,
    int first, int last, struct repair_opts *tmp)
{
	if (k + 1 < first || k + 1 > last)
		return o;
	for (int j = first - 1; j < k; j++)
		if (j >= 0 && strcmp(ru->step[j].action, "backup") == 0 &&
		    !o->without_backup) {
			*tmp = *o;
			tmp->backup_made = 1;
			return tmp;
		}
	return o;
}

void
repair_select(const struct rule *ru, const struct repair_opts *o,
    const struct repair_phone *ph, int *first, int *last, char *stop,
    size_t len)
{
	struct repair_opts tmp;
	char why[400];

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
			snprintf(stop, len, "step %d (%s) %s: it runs only "
			    "on its own, with --step %d", k + 1, s->action,
			    s->risk == RISK_FLASH ? "writes below Android "
			    "(flash risk)" : "erases user data", k + 1);
			break;
		}
		if (repair_step_blocked(s, opts_at(ru, k, o, *first,
		    *last + 1, &tmp), ph, why, sizeof(why)) != NULL) {
			snprintf(stop, len, "step %d (%s): %s", k + 1,
			    s->action, why);
			break;
		}
		*last = k + 1;
	}
}

void
repair_plan_lines(const struct rule *ru, const struct repair_phone *ph,
    int first, int last, const struct repair_opts *o)
{
	char p[500], why[400];
	struct repair_opts tmp;

	sayf(ph, "plan for %s on %s (%s): %s", ru->id, ph->serial, ph->model,
	    ru->title);
	for (int k = 0; k < ru->nsteps; k++) {
		const struct rule_step *s = &ru->step[k];
		const char *blocked = repair_step_blocked(s, opts_at(ru, k, o,
		    first, last, &tmp), ph, why, sizeof(why));
		int runs = k + 1 >= first && k + 1 <= last;

		rule_step_text(s->action, s->params, p, sizeof(p));
		sayf(ph, "  %s %2d. [risk %-9s] %s: %s", runs ? ">" : " ",
		    k + 1, rule_risk_name(s->risk), p, s->effect);
		if (blocked != NULL)
			sayf(ph, "          cannot run here: %s", blocked);
		if (blocked == NULL && (s->needs & RULE_NEED_ROOT))
			sayf(ph, "          needs root (adb root on %s build, "
			    "or su): checked when it runs", strcmp(props_str(
			    ph->props, "ro.debuggable"), "1") == 0 ? "this" :
			    "a debuggable");
		if (blocked == NULL && s->verify != NULL && s->verify[0])
			sayf(ph, "          check: %s", s->verify);
	}
}

void
repair_step_mark(cJSON *j, const struct rule *ru, int k,
    const struct repair_opts *o, const struct repair_phone *ph, int first,
    int last, int backup_only)
{
	const struct rule_step *s = &ru->step[k];
	struct repair_opts tmp;
	char why[400];
	const char *blocked = repair_step_blocked(s, opts_at(ru, k, o, first,
	    last, &tmp), ph, why, sizeof(why));

	cJSON_AddBoolToObject(j, "selected", k + 1 >= first && k + 1 <= last);
	if (blocked != NULL)
		cJSON_AddStringToObject(j, "blocked", blocked);
	else
		cJSON_AddNullToObject(j, "blocked");
	/* Blocked only for want of a backup: the technician may go on
	 * without one, saying so. */
	if (backup_only && blocked != NULL &&
	    strcmp(s->action, "backup") != 0) {
		struct repair_opts wo = *o;

		wo.without_backup = 1;
		cJSON_AddBoolToObject(j, "backup_only", repair_step_blocked(s,
		    &wo, ph, why, sizeof(why)) == NULL);
	}
}

cJSON *
repair_plan_json(const struct rule *ru, const struct repair_phone *ph,
    int first, int last, const struct repair_opts *o)
{
	cJSON *a = cJSON_CreateArray();

	for (int k = 0; k < ru->nsteps; k++) {
		const struct rule_step *s = &ru->step[k];
		cJSON *j = cJSON_CreateObject();

		cJSON_AddNumberToObject(j, "step", k + 1);
		cJSON_AddStringToObject(j, "action", s->action);
		cJSON_AddItemToObject(j, "params", s->params ?
		    cJSON_Duplicate(s->params, 1) : cJSON_CreateObject());
		cJSON_AddStringToObject(j, "risk", rule_risk_name(s->risk));
		cJSON_AddStringToObject(j, "effect", s->effect);
		if (s->verify != NULL)
			cJSON_AddStringToObject(j, "verify", s->verify);
		repair_step_mark(j, ru, k, o, ph, first, last, 0);
		cJSON_AddItemToArray(a, j);
	}
	return a;
}

/* ---- running it ---------------------------------------------------------- */

/* A second of waiting for the phone, then where it is (in adb, or in
 * fastboot): 1 with addr filled, 0 when it is not there yet, DM_ECANCEL
 * with err set when the caller gave up. */
static int
wait_tick(struct repair_phone *ph, int fastboot, char *addr, size_t len,
    char *err, size_t errlen)
{
	if (ph->cancelled != NULL && ph->cancelled(ph->ud))
		return dm_fail(err, errlen, DM_ECANCEL, "cancelled while "
		    "waiting for the phone");
	sleep(1);
	/* Asked each time: a bench row's address may change when the
	 * phone re-enumerates. */
	return ph->resolve != NULL &&
	    ph->resolve(ph->ud, fastboot, addr, len) == 0;
}

/* After a reboot: back in adb as a booted device, connected again. */
static int
reconnect(void *ud, struct adb_conn **c, int ms, char *err, size_t errlen)
{
	struct repair_phone *ph = ud;
	struct adb_connect_opts co = { 0 };
	char addr[160], why[512] = "it did not come back";
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
		int rc = wait_tick(ph, 0, addr, sizeof(addr), err, errlen);

		waited += 1000;
		if (rc < 0)
			return rc;
		if (rc == 0)
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

/* After a reboot into the bootloader: answering fastboot, opened. */
static int
fastboot_wait(void *ud, struct fb_conn **fb, int ms, char *err,
    size_t errlen)
{
	struct repair_phone *ph = ud;
	char addr[160], why[512] = "it did not show in fastboot";
	int waited = 0;

	*fb = NULL;
	while (waited < ms) {
		int rc = wait_tick(ph, 1, addr, sizeof(addr), err, errlen);

		waited += 1000;
		if (rc < 0)
			return rc;
		if (rc > 0 && fb_open(addr, 5000, fb, why, sizeof(why)) == 0)
			return 0;
	}
	return dm_fail(err, errlen, DM_ETIMEOUT, "not in fastboot after %d "
	    "s: %s", ms / 1000, why);
}

static void
act_say(void *ud, const char *line)
{
	sayf(ud, "      %s", line);
}

static int
env_cancelled(void *ud)
{
	struct repair_phone *ph = ud;

	return ph->cancelled != NULL && ph->cancelled(ph->ud);
}

static void
env_for(struct act_env *env, struct repair_phone *ph)
{
	env->c = ph->c;
	env->fb = ph->fb;
	env->sdk = repair_sdk(ph);
	env->say = act_say;
	env->reconnect = reconnect;
	env->fastboot = fastboot_wait;
	env->serial = ph->serial;
	env->ud = ph;
	env->outdir = ph->outdir;
	env->cancelled = env_cancelled;
}

int
repair_action(struct repair_phone *ph, const char *name,
    const cJSON *params, struct act_result *r)
{
	struct act_env env = { 0 };
	int rc;

	env_for(&env, ph);
	rc = act_run(&env, name, params, r);
	ph->c = env.c;
	ph->fb = env.fb;
	return rc;
}

/* After a step: the phone's mode and evidence as they are now, in adb
 * (props) or fastboot (variables).  0; 1 when it is in neither (gone
 * into recovery's menu, or not back); or a dm_err with err set. */
static int
reread(struct repair_phone *ph, char *err, size_t errlen)
{
	props_free(ph->props);
	ph->props = NULL;
	props_free(ph->vars);
	ph->vars = NULL;
	if (ph->c != NULL) {
		const struct adb_banner *b = adb_banner_get(ph->c);

		ph->mode = b != NULL && strcmp(b->type, "recovery") == 0 ?
		    RULE_MODE_RECOVERY : RULE_MODE_DEVICE;
		conn_adb(ph);
		return read_props(ph, err, errlen);
	}
	if (ph->fb != NULL) {
		int rc;

		ph->mode = RULE_MODE_FASTBOOT;
		rc = read_vars(ph, err, errlen);
		conn_fastboot(ph);
		return rc;
	}
	return 1;
}

/* One step's outcome, for the report. */
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

static void
finish(cJSON *out, const char *error, int fixed, const char *msg)
{
	cJSON_AddBoolToObject(out, "ok", error == NULL);
	cJSON_AddBoolToObject(out, "fixed", fixed);
	if (error != NULL)
		cJSON_AddStringToObject(out, "error", error);
	cJSON_AddStringToObject(out, "message", msg);
}

int
repair_fix(struct repair_phone *ph, const struct ruleset *rs,
    const struct rule *ru, const struct repair_opts *o, int show_plan,
    cJSON *out)
{
	struct diag_report rep;
	struct act_env env = { 0 };
	cJSON *steps;
	char stop[520], msg[900], why[400];
	const char *state = "absent", *error = NULL;
	int status = 0, first, last, risky = 0, k, fixed = 0, rc;

	repair_diagnose(ph, rs, &rep);
	if (repair_finding(&rep, ru->id) != NULL)
		state = "present";
	else if (repair_unchecked(&rep, ru->id) != NULL ||
	    repair_mode_blocked(ru, ph, why, sizeof(why)) != NULL)
		state = "unchecked";
	cJSON_AddStringToObject(out, "serial", ph->serial);
	cJSON_AddStringToObject(out, "finding", ru->id);
	cJSON_AddStringToObject(out, "before", state);
	steps = cJSON_AddArrayToObject(out, "steps");
	/* Nothing to fix: said so, nothing run (unless a step was asked
	 * for by number). */
	if (strcmp(state, "present") != 0 && o->step == 0) {
		if (strcmp(state, "unchecked") == 0) {
			const char *u = repair_unchecked(&rep, ru->id);

			snprintf(msg, sizeof(msg), "%s could not be checked, "
			    "so nothing was run: %s", ru->id, u != NULL ? u :
			    repair_mode_blocked(ru, ph, why, sizeof(why)));
			error = "EUNCHECKED";
			status = 1;
		} else {
			snprintf(msg, sizeof(msg), "%s does not hold on %s: "
			    "nothing to fix", ru->id, ph->serial);
			fixed = 1;
		}
		goto report;
	}
	repair_select(ru, o, ph, &first, &last, stop, sizeof(stop));
	if (show_plan)
		repair_plan_lines(ru, ph, first, last, o);
	if (last < first) {
		snprintf(msg, sizeof(msg), "nothing was run: the plan stops "
		    "before %s", stop);
		error = "EBLOCKED";
		status = 1;
		goto report;
	}
	if (o->step > 0 && repair_step_blocked(&ru->step[o->step - 1], o, ph,
	    why, sizeof(why)) != NULL) {
		snprintf(msg, sizeof(msg), "nothing was run: step %d (%s): %s",
		    o->step, ru->step[o->step - 1].action, why);
		error = "EBLOCKED";
		status = 1;
		goto report;
	}
	for (k = first; k <= last; k++)
		risky |= ru->step[k - 1].risk > RISK_NONE;
	if (risky && !dev_confirm_names(o->confirm, ph->serial)) {
		dev_confirm_refusal(msg, sizeof(msg), o->confirm, ph->serial,
		    "nothing was run (a step may lose data)");
		error = "ECONFIRM";
		status = 1;
		goto report;
	}

	env_for(&env, ph);
	for (k = first; k <= last; k++) {
		const struct rule_step *s = &ru->step[k - 1];
		struct act_result r;
		char p[400];

		if (ph->cancelled != NULL && ph->cancelled(ph->ud)) {
			snprintf(msg, sizeof(msg), "cancelled before step %d "
			    "(%s); the steps before it ran", k, s->action);
			error = dm_errname(DM_ECANCEL);
			status = 1;
			goto report;
		}
		rule_params_text(s->params, p, sizeof(p));
		sayf(ph, "step %d: %s%s%s", k, s->action, p[0] ? " " : "", p);
		step_event(ph, k, last, s->action, "running");
		if (strcmp(s->action, "backup") == 0 && o->without_backup) {
			memset(&r, 0, sizeof(r));
			snprintf(r.msg, sizeof(r.msg), "no backup "
			    "(--without-backup)");
			sayf(ph, "      skipped: %s", r.msg);
			cJSON_AddItemToArray(steps, step_json(k, s, "skipped",
			    &r));
			step_event(ph, k, last, s->action, "skipped");
			continue;
		}
		rc = act_run(&env, s->action, s->params, &r);
		ph->c = env.c;
		ph->fb = env.fb;
		if (rc < 0) {
			cJSON_AddItemToArray(steps, step_json(k, s, "failed",
			    &r));
			step_event(ph, k, last, s->action, "failed");
			snprintf(msg, sizeof(msg), "step %d (%s) failed: %s; "
			    "the steps after it were not run", k, s->action,
			    r.msg);
			error = dm_errname(rc);
			status = 1;
			goto report;
		}
		sayf(ph, "      %s: %s", r.skipped ? "skipped" : "done", r.msg);
		cJSON_AddItemToArray(steps, step_json(k, s, r.skipped ?
		    "skipped" : "done", &r));
		step_event(ph, k, last, s->action, r.skipped ? "skipped" :
		    "done");
		if (r.gone[0]) {
			/* A reset: the phone will not be back in adb. */
			snprintf(msg, sizeof(msg), "step %d (%s) done: %s; %s",
			    k, s->action, r.msg, r.gone);
			error = "EUNCHECKED";
			status = 3;
			goto report;
		}
		/* Re-check: the finding's rules against the phone now. */
		if ((rc = reread(ph, why, sizeof(why))) > 0)
			break;
		if (rc < 0) {
			snprintf(msg, sizeof(msg), "after step %d: %s", k, why);
			error = "EIO";
			status = 1;
			goto report;
		}
		env.sdk = repair_sdk(ph);
		diag_report_free(&rep);
		repair_diagnose(ph, rs, &rep);
		/* A finding read only outside Android (a phone stuck in its
		 * bootloader or in recovery) is gone once it has booted. */
		if (!(ru->modes & RULE_MODE_DEVICE) &&
		    ph->mode == RULE_MODE_DEVICE) {
			fixed = 2;
			break;
		}
		if (repair_mode_blocked(ru, ph, why, sizeof(why)) != NULL)
			break;
		if (repair_finding(&rep, ru->id) == NULL &&
		    repair_unchecked(&rep, ru->id) == NULL) {
			fixed = 1;
			break;
		}
	}
	if (fixed == 2) {
		snprintf(msg, sizeof(msg), "fixed: %s left %s and booted "
		    "Android after step %d (%s is read in %s, so the phone's "
		    "boot is the check)", ph->serial, rule_first_mode(ru),
		    k > last ? last : k, ru->id, rule_first_mode(ru));
	} else if (fixed) {
		snprintf(msg, sizeof(msg), "fixed: %s no longer holds on %s "
		    "(re-checked after step %d)", ru->id, ph->serial,
		    k > last ? last : k);
	} else if (repair_unchecked(&rep, ru->id) != NULL) {
		snprintf(msg, sizeof(msg), "the steps ran, but %s could not be "
		    "re-checked: %s", ru->id, repair_unchecked(&rep, ru->id));
		status = 3;
	} else if (ph->c == NULL && ph->fb == NULL) {
		snprintf(msg, sizeof(msg), "the steps ran, but %s could not be "
		    "re-checked: the phone is neither in adb nor in fastboot "
		    "now", ru->id);
		status = 3;
	} else if (repair_mode_blocked(ru, ph, why, sizeof(why)) != NULL) {
		snprintf(msg, sizeof(msg), "the steps ran, but %s could not be "
		    "re-checked: %s", ru->id, why);
		status = 3;
	} else {
		snprintf(msg, sizeof(msg), "not fixed: %s still holds after "
		    "step %d%s%s", ru->id, last, stop[0] ? "; next: " : "",
		    stop);
		status = 3;
	}

report:
	finish(out, error, fixed, msg);
	diag_report_free(&rep);
	return status;
}
