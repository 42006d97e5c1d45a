/* scr_repair.c - diagnose and repair in the dashboard: the findings view
 * of the lower pane (the selected phone's findings, the selected one's
 * evidence and plan with each step's risk, the fix under way and how it
 * ended) and the typed confirmation dialog a fix needs before it runs.
 *
 * The work is done by bench-server jobs (fixjob.h): `d` queues a
 * "diagnose" job, the dialog a "fix" job; ui.c sends the requests and
 * fetches the results (ui_service()).  A fix ends with a fresh
 * diagnosis, so the list shows the phone as it is after the steps.
 * Main (UI) thread. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dev.h"
#include "draw.h"
#include "repair.h"
#include "rules.h"
#include "scr.h"

#define FIND_EVIDENCE	3	/* lines of each command shown */
#define FIND_BOTTOM	(1 << 20)

static const char *
jstr(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, k));

	return s != NULL ? s : "";
}

static int
jint(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valueint : 0;
}

cJSON *
scr_repair_params(unsigned dev_id)
{
	cJSON *p = cJSON_CreateObject();
	char buf[4096];

	snprintf(buf, sizeof(buf), "%u", dev_id);
	cJSON_AddStringToObject(p, "device", buf);
	/* The server uses the rules this program would: a dashboard from
	 * a build tree next to an installed server sees its own. */
	rules_builtin_dir(buf, sizeof(buf));
	if (buf[0] == '/')
		cJSON_AddStringToObject(p, "rules", buf);
	if (getcwd(buf, sizeof(buf)) != NULL)
		cJSON_AddStringToObject(p, "outdir", buf);
	return p;
}

static const cJSON *
findings_of(const struct ui_repair *r)
{
	return r != NULL ? cJSON_GetObjectItemCaseSensitive(r->report,
	    "findings") : NULL;
}

static const cJSON *
selected_finding(const struct ui_repair *r)
{
	return r != NULL ? cJSON_GetArrayItem(findings_of(r), r->fsel) : NULL;
}

static attr_t
sev_attr(const char *sev)
{
	if (strcmp(sev, "error") == 0 || strcmp(sev, "critical") == 0)
		return draw_attr(DR_ERROR) | A_BOLD;
	if (strcmp(sev, "warning") == 0)
		return draw_attr(DR_WARN);
	return draw_attr(DR_DIM);
}

static attr_t
risk_attr(const char *risk)
{
	if (strcmp(risk, "none") == 0)
		return draw_attr(DR_OK);
	if (strcmp(risk, "app-data") == 0)
		return draw_attr(DR_WARN);
	return draw_attr(DR_ERROR) | A_BOLD;
}

/* Which steps a fix runs, and whether that is without a backup: the plan
 * as it stands, or else with the backup step passed over. */
static void
run_of(const cJSON *f, int *first, int *last, int *without_backup,
    const char **stops)
{
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(f, "run");

	*without_backup = 0;
	*first = jint(run, "first");
	*last = jint(run, "last");
	*stops = jstr(run, "stops_before");
	if (*last < *first) {
		run = cJSON_GetObjectItemCaseSensitive(f,
		    "run_without_backup");
		if (jint(run, "last") >= jint(run, "first")) {
			*without_backup = 1;
			*first = jint(run, "first");
			*last = jint(run, "last");
			*stops = jstr(run, "stops_before");
		}
	}
}

/* Whether step s can be picked with `s`: it runs here, or only lacks
 * a backup. */
static int
pickable(const cJSON *s)
{
	return jstr(s, "blocked")[0] == '\0' || cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(s, "backup_only"));
}

/* Whether any step of f can be picked. */
static int
any_pickable(const cJSON *f)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(f, "plan"))
		if (pickable(s))
			return 1;
	return 0;
}

/* Whether picked step k runs only without a backup (it needs a recent
 * one, and the library has none). */
static int
picked_without_backup(const cJSON *f, int k)
{
	const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(f,
	    "plan"), k - 1);

	return jstr(s, "blocked")[0] != '\0' &&
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "backup_only"));
}

/* "clear-data com.android.providers.media" */
static void
step_label(const cJSON *s, char *buf, size_t len)
{
	rule_step_text(jstr(s, "action"), cJSON_GetObjectItemCaseSensitive(s,
	    "params"), buf, len);
}

const struct job_info *
scr_job_find(const struct ui *ui, unsigned id)
{
	for (int i = 0; i < ui->njobs; i++)
		if (ui->jobs[i].id == id)
			return &ui->jobs[i];
	return NULL;
}

/* The fix of this finding: under way, or how it ended. */
static void
fix_lines(struct ui *ui, struct scr_text *t, const struct ui_repair *r)
{
	const struct job_info *j;
	const cJSON *s;
	char line[600];

	if (r->fix_job == 0)
		return;
	if (r->fix_running) {
		j = scr_job_find(ui, r->fix_job);
		if (j != NULL && j->total > 0)
			snprintf(line, sizeof(line), "Fixing %s (job #%u): "
			    "%s  [%lld/%lld]", r->fix_finding, r->fix_job, j->what,
			    (long long)j->done, (long long)j->total);
		else
			snprintf(line, sizeof(line), "Fixing %s (job #%u): "
			    "%s", r->fix_finding, r->fix_job, j != NULL &&
			    j->what[0] ?
			    j->what : "queued");
		scr_text_para(t, 0, NULL, line, draw_attr(DR_WARN) | A_BOLD);
		scr_text_para(t, 2, NULL, "it goes on in the bench server if "
		    "this dashboard closes; the log pane shows each step",
		    draw_attr(DR_DIM));
		return;
	}
	if (r->fix_result == NULL)
		return;
	snprintf(line, sizeof(line), "Last fix (job #%u): %s", r->fix_job,
	    jstr(r->fix_result, "message"));
	scr_text_para(t, 0, NULL, line, cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(r->fix_result, "fixed")) ?
	    draw_attr(DR_OK) | A_BOLD : draw_attr(DR_ERROR) | A_BOLD);
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(r->fix_result,
	    "steps")) {
		snprintf(line, sizeof(line), "%2d. %-8s %s: %s",
		    jint(s, "step"), jstr(s, "status"), jstr(s, "action"),
		    jstr(s, "message"));
		scr_text_para(t, 2, NULL, line, strcmp(jstr(s, "status"),
		    "failed") == 0 ? draw_attr(DR_ERROR) : A_NORMAL);
	}	scr_text_emit(t, 0, NULL, "", A_NORMAL);
}

/* The selected finding: why, the evidence, the plan. */
static void
finding_lines(struct scr_text *t, const cJSON *f, int pick)
{
	const cJSON *e, *s, *l;
	char line[600], label[300];
	int first, last, wb, n;
	const char *stops;

	scr_text_emit(t, 0, NULL, "", A_NORMAL);
	scr_text_para(t, 0, NULL, jstr(f, "title"), A_BOLD);
	scr_text_para(t, 2, NULL, jstr(f, "explain"), A_NORMAL);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(f,
	    "evidence")) {
		snprintf(line, sizeof(line), "evidence from `%s` (%d matching "
		    "line%s):", jstr(e, "source"), jint(e, "matched"),
		    jint(e, "matched") == 1 ? "" : "s");
		scr_text_para(t, 2, NULL, line, draw_attr(DR_LABEL));
		n = 0;
		cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(e,
		    "lines")) {
			if (n++ == FIND_EVIDENCE)
				break;
			scr_text_para(t, 4, NULL, cJSON_GetStringValue(l) ?
			    cJSON_GetStringValue(l) : "", draw_attr(DR_DIM));
		}
	}
	run_of(f, &first, &last, &wb, &stops);
	if (pick > 0) {
		first = last = pick;
		stops = "";
		wb = picked_without_backup(f, pick);
	}
	scr_text_emit(t, 0, NULL, "", A_NORMAL);
	if (pick > 0)
		snprintf(line, sizeof(line), "Plan, narrowest first: f runs "
		    "step %d alone%s, then re-checks (s: the plan, or another "
		    "step)", pick, wb ? ", without a backup" : "");
	else if (last >= first)
		snprintf(line, sizeof(line), "Plan, narrowest first: f runs "
		    "the steps marked >%s, re-checking after each (s: one "
		    "step alone)", wb ? " (without a backup)" : "");
	else
		snprintf(line, sizeof(line), "Plan, narrowest first: no step "
		    "can run here now");
	scr_text_para(t, 0, NULL, line, draw_attr(DR_LABEL));
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(f, "plan")) {
		int k = jint(s, "step"), runs = k >= first && k <= last;
		const char *blocked = jstr(s, "blocked");
		int row = t->line - t->top;

		step_label(s, label, sizeof(label));
		snprintf(line, sizeof(line), "%s %2d. %-10s %s: %s",
		    runs ? ">" : " ", k, jstr(s, "risk"), label,
		    jstr(s, "effect"));
		scr_text_para(t, 2, NULL, line, runs ? A_BOLD : A_NORMAL);
		/* The risk in its colour, over the plain text. */
		if (row >= 0 && row < t->rows && t->w > 20)
			draw_text(t->y + row, t->x + 8, 10, jstr(s, "risk"),
			    risk_attr(jstr(s, "risk")));
		if (blocked[0] != '\0' && !(wb && runs)) {
			snprintf(line, sizeof(line), "cannot run here: %s",
			    blocked);
			scr_text_para(t, 8, NULL, line, draw_attr(DR_DIM));
		}
	}
	if (stops[0] != '\0') {
		snprintf(line, sizeof(line), "stops before %s", stops);
		scr_text_para(t, 2, NULL, line, draw_attr(DR_DIM));
	}
}

static void
findings_body(struct ui *ui, struct scr_text *t, const struct ui_dev *ud)
{
	struct ui_repair *r = ud ? ui_repair_get(ui, ud->di.id, 0) : NULL;
	const cJSON *fs = findings_of(r), *f, *u;
	char line[600], when[16];
	int i = 0, nu;

	if (ud == NULL) {
		scr_text_para(t, 0, NULL, "No phone selected.", A_NORMAL);
		return;
	}
	if (r != NULL && r->error[0] != '\0')
		scr_text_para(t, 0, NULL, r->error, draw_attr(DR_ERROR));
	if (r != NULL && r->diag_job != 0)
		scr_text_para(t, 0, NULL, "Diagnosing: reading props, "
		    "dumpsys and the crash buffer...", draw_attr(DR_WARN));
	if (r == NULL || r->report == NULL) {
		if (r == NULL || r->diag_job == 0)
			scr_text_para(t, 0, NULL, "Not diagnosed yet: d runs "
			    "the rules on this phone (it must be in adb or "
			    "recovery).", A_NORMAL);
		return;
	}
	{
		time_t tt = (time_t)(r->report_ms / 1000);
		struct tm tm;

		localtime_r(&tt, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	}
	nu = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r->report,
	    "unchecked"));
	snprintf(line, sizeof(line), "%s (%s), diagnosed %s: %d finding%s; "
	    "%d rules checked, %d not", jstr(r->report, "serial"),
	    jstr(r->report, "model"), when, cJSON_GetArraySize(fs),
	    cJSON_GetArraySize(fs) == 1 ? "" : "s",
	    jint(r->report, "rules_checked"), nu);
	scr_text_para(t, 0, NULL, line, draw_attr(DR_LABEL));
	fix_lines(ui, t, r);
	if (cJSON_GetArraySize(fs) == 0)
		scr_text_para(t, 2, NULL, "No rule fires: nothing wrong that "
		    "droidmedic knows of.", draw_attr(DR_OK));
	cJSON_ArrayForEach(f, fs) {
		int sel = i == r->fsel;
		int row = t->line - t->top;

		snprintf(line, sizeof(line), "%s %-8s %s (%s)", sel ? ">" : " ",
		    jstr(f, "severity"), jstr(f, "title"), jstr(f, "id"));
		scr_text_emit(t, 0, NULL, line, sel ? draw_attr(DR_SELECTED) :
		    A_NORMAL);
		if (!sel && row >= 0 && row < t->rows && t->w > 12)
			draw_text(t->y + row, t->x + 2, 8, jstr(f, "severity"),
			    sev_attr(jstr(f, "severity")));
		i++;
	}
	if ((f = selected_finding(r)) != NULL)
		finding_lines(t, f, r->pick);
	if (nu > 0) {
		scr_text_emit(t, 0, NULL, "", A_NORMAL);
		cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(
		    r->report, "unchecked")) {
			snprintf(line, sizeof(line), "not checked: %s: %s",
			    jstr(u, "id"), jstr(u, "why"));
			scr_text_para(t, 0, NULL, line, draw_attr(DR_DIM));
		}
	}
}

void
scr_findings_draw(struct ui *ui, const struct ui_rect *r)
{
	scr_text_pane(ui, r, "Findings", findings_body);
}

int
scr_findings_key(struct ui *ui, enum key_action a)
{
	const struct ui_dev *ud = ui_selected(ui);
	struct ui_repair *r = ud ? ui_repair_get(ui, ud->di.id, 0) : NULL;
	int n = cJSON_GetArraySize(findings_of(r));
	int page = ui->pane[PANE_DETAILS].h - 2;

	if (page < 1)
		page = 1;
	switch (a) {
	case ACT_UP:
		if (r == NULL || r->fsel <= 0)
			return 0;
		r->fsel--;
		r->pick = 0;
		ui->details_top = 0;
		return UI_REDRAW;
	case ACT_DOWN:
		if (r == NULL || r->fsel >= n - 1)
			return 0;
		r->fsel++;
		r->pick = 0;
		ui->details_top = 0;
		return UI_REDRAW;
	case ACT_PGUP:
		ui->details_top -= page;
		break;
	case ACT_PGDN:
		ui->details_top += page;
		break;
	case ACT_HOME:
		ui->details_top = 0;
		break;
	case ACT_END:
		ui->details_top = FIND_BOTTOM;
		break;
	default:
		return 0;
	}
	if (ui->details_top < 0)
		ui->details_top = 0;
	return UI_REDRAW;
}

int
scr_repair_diagnose(struct ui *ui)
{
	const struct ui_dev *ud = ui_selected(ui);
	struct ui_repair *r;

	if (ud == NULL)
		return 0;
	r = ui_repair_get(ui, ud->di.id, 1);
	ui->view = VIEW_FINDINGS;
	ui->focus = PANE_DETAILS;
	ui->details_top = 0;
	if (r->diag_job != 0)
		return UI_REDRAW;	/* one is under way */
	/* Every mode the bench can tell has rules: in adb, recovery and
	 * fastboot the phone is read, elsewhere its row is the evidence. */
	if (!ud->di.present || repair_mode_of_row(ud->di.mode) == 0) {
		snprintf(r->error, sizeof(r->error), "cannot diagnose: the "
		    "phone is %s", ud->di.present ?
		    dev_mode_label(ud->di.mode) : "offline");
		return UI_REDRAW;
	}
	r->error[0] = '\0';
	ui_request(ui, "diagnose", ud->di.id, scr_repair_params(ud->di.id));
	return UI_REDRAW;
}

int
scr_repair_fix(struct ui *ui)
{
	const struct ui_dev *ud = ui_selected(ui);
	struct ui_repair *r = ud ? ui_repair_get(ui, ud->di.id, 0) : NULL;
	const cJSON *f = selected_finding(r);
	struct ui_confirm *c = &ui->confirm;
	const char *stops;
	int first, last, wb;

	ui->view = VIEW_FINDINGS;
	if (f == NULL) {
		if (ud != NULL) {
			r = ui_repair_get(ui, ud->di.id, 1);
			snprintf(r->error, sizeof(r->error), "nothing to fix "
			    "yet: d diagnoses the phone, then f runs the "
			    "selected finding's plan");
		}
		return UI_REDRAW;
	}
	if (r->fix_running) {
		snprintf(r->error, sizeof(r->error), "a fix is already running "
		    "on this phone (job #%u)", r->fix_job);
		return UI_REDRAW;
	}
	run_of(f, &first, &last, &wb, &stops);
	if (r->pick > 0) {
		first = last = r->pick;
		wb = picked_without_backup(f, r->pick);
	} else if (last < first) {
		snprintf(r->error, sizeof(r->error), "nothing can run: the "
		    "plan stops before %s%s", stops, stops[0] &&
		    any_pickable(f) ? " (s picks one step to run alone)" : "");
		return UI_REDRAW;
	}
	memset(c, 0, sizeof(*c));
	c->open = 1;
	c->dev_id = ud->di.id;
	c->first = first;
	c->last = last;
	c->step = r->pick;
	c->without_backup = wb;
	snprintf(c->finding, sizeof(c->finding), "%s", jstr(f, "id"));
	snprintf(c->serial, sizeof(c->serial), "%s", jstr(r->report,
	    "serial"));
	r->error[0] = '\0';
	return UI_REDRAW;
}

int
scr_repair_pick(struct ui *ui)
{
	const struct ui_dev *ud = ui_selected(ui);
	struct ui_repair *r = ud ? ui_repair_get(ui, ud->di.id, 0) : NULL;
	const cJSON *f = selected_finding(r), *s;
	int n, k;

	ui->view = VIEW_FINDINGS;
	if (f == NULL)
		return UI_REDRAW;
	n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(f, "plan"));
	/* The next step after the picked one that can run here; after the
	 * last, the plan again. */
	for (k = r->pick + 1; k <= n; k++) {
		s = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(f,
		    "plan"), k - 1);
		if (pickable(s))
			break;
	}
	r->pick = k <= n ? k : 0;
	r->error[0] = '\0';
	return UI_REDRAW;
}

/* ---- the confirmation dialog ------------------------------------------- */

#define CONF_LINES	24


/* The finding the dialog is about, and whether a step it runs may lose
 * data (only then is the code typed). */
static const cJSON *
conf_finding(struct ui *ui)
{
	struct ui_repair *r = ui_repair_get(ui, ui->confirm.dev_id, 0);
	const cJSON *f = NULL, *it;

	cJSON_ArrayForEach(it, findings_of(r))
		if (strcmp(jstr(it, "id"), ui->confirm.finding) == 0)
			f = it;
	return f;
}

static int
conf_lossy(struct ui *ui)
{
	const struct ui_confirm *c = &ui->confirm;
	const cJSON *s;
	int lossy = 0;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(
	    conf_finding(ui), "plan")) {
		int k = jint(s, "step");

		if (k >= c->first && k <= c->last)
			lossy |= strcmp(jstr(s, "risk"), "none") != 0;
	}
	return lossy;
}

static int
conf_lines(struct ui *ui, struct draw_line *l, int max)
{
	struct ui_confirm *c = &ui->confirm;
	struct ui_repair *r = ui_repair_get(ui, c->dev_id, 0);
	const cJSON *f = NULL, *s, *it;
	int n = 0, lossy = 0, flash = 0, wipe = 0;
	char label[300];

	cJSON_ArrayForEach(it, findings_of(r))
		if (strcmp(jstr(it, "id"), c->finding) == 0)
			f = it;
#define ADD(attr, ...) do { if (n < max) { snprintf(l[n].text, \
    sizeof(l[n].text), __VA_ARGS__); l[n++].a = (attr); } } while (0)
	ADD(A_BOLD, "%s", f ? jstr(f, "title") : c->finding);
	ADD(A_NORMAL, "on %s (%s)", c->serial, r ? jstr(r->report, "model") :
	    "");
	ADD(A_NORMAL, "%s", "");
	if (c->step > 0) {
		ADD(A_NORMAL, "Step %d runs alone, then the finding is "
		    "re-checked:", c->step);
	} else if (c->first == c->last) {
		ADD(A_NORMAL, "Step %d runs, then the finding is re-checked:",
		    c->first);
	} else {
		ADD(A_NORMAL, "Steps %d to %d run, the finding re-checked after "
		    "each;", c->first, c->last);
		ADD(A_NORMAL, "they stop as soon as it is gone:");
	}
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(f, "plan")) {
		int k = jint(s, "step");

		if (k < c->first || k > c->last || n >= max - 8)
			continue;
		step_label(s, label, sizeof(label));
		if (c->without_backup && strcmp(jstr(s, "action"),
		    "backup") == 0)
			snprintf(label, sizeof(label), "backup: passed over, "
			    "none is made");
		lossy |= strcmp(jstr(s, "risk"), "none") != 0;
		flash |= strcmp(jstr(s, "risk"), "flash") == 0;
		wipe |= strcmp(jstr(s, "risk"), "user-data") == 0;
		ADD(risk_attr(jstr(s, "risk")), " %2d. [%s] %s", k,
		    jstr(s, "risk"), label);
	}
	ADD(A_NORMAL, "%s", "");
	if (c->without_backup && wipe)
		ADD(draw_attr(DR_ERROR) | A_BOLD, "No backup of this phone from "
		    "the last 12 hours: what is on it is lost.");
	else if (c->without_backup)
		ADD(draw_attr(DR_WARN), "No backup is made first.");
	if (flash)
		ADD(draw_attr(DR_ERROR) | A_BOLD, "A flash step writes below "
		    "Android: partitions, or /efs.");
	else if (wipe)
		ADD(draw_attr(DR_ERROR) | A_BOLD, "A user-data step erases the "
		    "phone's user data.");
	else if (lossy)
		ADD(draw_attr(DR_WARN), "Steps marked app-data erase that "
		    "app's data on the phone.");
	if (conf_lossy(ui)) {
		ADD(A_NORMAL, "Type %s (the serial's last characters) and "
		    "Enter;", dev_confirm_hint(c->serial));
		ADD(A_NORMAL, "Esc cancels.");
	} else {
		ADD(A_NORMAL, "%s", "Nothing here loses data: Enter runs it, "
		    "Esc cancels.");
	}
	if (c->msg[0] != '\0')
		ADD(draw_attr(DR_ERROR) | A_BOLD, "%s", c->msg);
#undef ADD
	return n;
}

void
scr_confirm_draw(struct ui *ui)
{
	struct draw_line l[CONF_LINES];
	int n = conf_lines(ui, l, CONF_LINES);

	/* The confirmation always has its input line, even when Enter
	 * alone runs it. */
	draw_dialog(ui->confirm.step > 0 ? " Run this step? " :
	    " Run the plan? ", l, n, ui->confirm.typed);
}

int
scr_code_key(char *typed, size_t len, int ch)
{
	size_t n = strlen(typed);

	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (n == 0)
			return 0;
		typed[n - 1] = '\0';
		return UI_REDRAW;
	}
	if (ch == ('u' & 0x1f)) {
		typed[0] = '\0';
		return UI_REDRAW;
	}
	if (ch > 32 && ch < 127 && n + 1 < len) {
		typed[n] = (char)ch;
		typed[n + 1] = '\0';
		return UI_REDRAW;
	}
	return 0;
}

int
scr_confirm_key(struct ui *ui, int ch, enum key_action a)
{
	struct ui_confirm *c = &ui->confirm;
	cJSON *p;

	if (a == ACT_CLEAR) {
		c->open = 0;
		return UI_REDRAW;
	}
	if (a == ACT_QUIT && ch != 'q')
		return UI_QUIT;			/* F10 */
	if (a == ACT_ENTER) {
		int lossy = conf_lossy(ui);

		if (lossy && !dev_confirm_names(c->typed, c->serial)) {
			snprintf(c->msg, sizeof(c->msg), "\"%s\" does not name "
			    "this phone: type %s", c->typed,
			    dev_confirm_hint(c->serial));
			c->typed[0] = '\0';
			return UI_REDRAW;
		}
		p = scr_repair_params(c->dev_id);
		cJSON_AddStringToObject(p, "finding", c->finding);
		if (lossy)
			cJSON_AddStringToObject(p, "confirm", c->typed);
		cJSON_AddBoolToObject(p, "without_backup", c->without_backup);
		if (c->step > 0)
			cJSON_AddNumberToObject(p, "step", c->step);
		ui_request(ui, "fix", c->dev_id, p);
		snprintf(ui_repair_get(ui, c->dev_id, 1)->fix_finding,
		    sizeof(c->finding), "%s", c->finding);
		c->open = 0;
		ui->view = VIEW_FINDINGS;
		return UI_REDRAW;
	}
	return scr_code_key(c->typed, sizeof(c->typed), ch);
}
