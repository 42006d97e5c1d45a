/* scr_flash.c - a whole firmware package flashed from the dashboard.
 *
 * `F` on a phone in fastboot opens the flash dialog: the package's path,
 * its expected SHA-256 and the choice (keep data, wipe, wipe and lock).
 * Enter asks the bench server for a dry run of that flash (the same
 * "flashrom" job the CLI's --dry-run queues: the package read through,
 * the phone asked, the plan and its gates), and the dialog shows the
 * gates and the steps when it ends.  A refused gate is shown with its
 * reason and nothing can be started; otherwise the phone's serial (or
 * its last four characters) must be typed, and Enter queues the flash
 * itself, whose progress shows with the phone's jobs.
 *
 * The dialog also offers the builds the firmware catalogs list for the
 * phone's codename, its region's first and newest first (Space or
 * Left/Right picks another): Enter on that line takes the build from the
 * firmware cache, or downloads it there first (a "fetch" job of the
 * bench server, whose progress the dialog shows), and fills in the
 * package and the SHA-256 the download was checked against.
 *
 * A flash that stopped (a pulled cable, a FAIL) is in the phone's
 * journal; the details pane says so, and `F` opens the dialog filled in
 * from it, so that the dry run shows the resume. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "catalog.h"
#include "draw.h"
#include "fastboot.h"
#include "fetchjob.h"
#include "fwcache.h"
#include "romjob.h"
#include "scr.h"
#include "xmem.h"

static const char *const choices[] = { "keep-data", "wipe", "lock" };
static const char *const choice_words[] = {
	"keep user data (flash_all_except_storage.sh)",
	"wipe user data (flash_all.sh)",
	"wipe, then relock the bootloader (flash_all_lock.sh)",
};

static const char *
jstr(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, k));

	return s != NULL ? s : "";
}

static void
say(struct ui *ui, const char *text)
{
	snprintf(ui->status, sizeof(ui->status), "%s", text);
	ui->status_key = 1;
}

static void
phone_serial(const struct ui_dev *ud, char *out, size_t len)
{
	const char *s = jstr(ud->ident, "serial");

	snprintf(out, len, "%s", s[0] != '\0' ? s : ud->di.serial);
}

int
scr_flash_journal(const char *serial, struct ui_flash_resume *r)
{
	char *path = romjob_journal_path(serial), buf[8192];
	FILE *f;
	size_t n;
	cJSON *j;
	const cJSON *v;

	memset(r, 0, sizeof(*r));
	if (path == NULL)
		return 0;
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	j = cJSON_Parse(buf);
	if (j == NULL)
		return 0;
	v = cJSON_GetObjectItemCaseSensitive(j, "state");
	if (cJSON_IsString(v) && strcmp(v->valuestring, "done") != 0) {
		r->running = strcmp(v->valuestring, "running") == 0;
		snprintf(r->package, sizeof(r->package), "%s",
		    jstr(j, "package"));
		snprintf(r->sha256, sizeof(r->sha256), "%s", jstr(j, "sha256"));
		snprintf(r->error, sizeof(r->error), "%s", jstr(j, "error"));
		v = cJSON_GetObjectItemCaseSensitive(j, "choice");
		r->choice = cJSON_IsNumber(v) && v->valueint >= 0 &&
		    v->valueint <= 2 ? v->valueint : 0;
		v = cJSON_GetObjectItemCaseSensitive(j, "next_line");
		r->line = cJSON_IsNumber(v) ? v->valueint : 0;
		r->stopped = r->package[0] != '\0';
	}
	cJSON_Delete(j);
	return r->stopped;
}

unsigned
scr_flash_active(const struct ui *ui, unsigned dev_id)
{
	for (int i = 0; i < ui->njobs; i++)
		if (ui->jobs[i].dev_id == dev_id &&
		    ui->jobs[i].state < JOB_DONE &&
		    strcmp(ui->jobs[i].kind, "flashrom") == 0)
			return ui->jobs[i].id;
	return 0;
}

/* Make build k of f->builds the one the dialog offers: f->build says it,
 * f->fetch is the request that downloads it (NULL when it cannot be),
 * f->cached the cache's copy. */
static void
pick_build(struct ui_flash *f, int k)
{
	const cJSON *e = cJSON_GetArrayItem(f->builds, k);
	const cJSON *fe = cJSON_GetObjectItemCaseSensitive(e, "fetch");

	cJSON_Delete(f->fetch);
	f->fetch = cJSON_IsObject(fe) ? cJSON_Duplicate(fe, 1) : NULL;
	f->bsel = k;
	snprintf(f->build, sizeof(f->build), "%s", jstr(e, "say"));
	snprintf(f->cached, sizeof(f->cached), "%s", jstr(e, "cached"));
	snprintf(f->build_sha, sizeof(f->build_sha), "%s", jstr(e, "sha256"));
}

/* What the catalogs have for this phone, by the codename and region it
 * gave: its region's builds first, newest first.  f->builds gets each
 * as {"say", "fetch", "cached", "sha256"}; the first is offered. */
static void
find_builds(const struct ui_dev *ud, struct ui_flash *f)
{
	const struct cat_build *v[UI_FLASH_BUILDS];
	struct catalog cat;
	const char *code = jstr(ud->ident, "codename");
	const cJSON *rg = cJSON_GetObjectItemCaseSensitive(ud->ident,
	    "region");
	const char *region = jstr(rg, "firmware");
	char *dir = fwcache_dir();
	size_t n;

	f->build[0] = f->cached[0] = f->build_sha[0] = '\0';
	cJSON_Delete(f->fetch);
	f->fetch = NULL;
	cJSON_Delete(f->builds);
	f->builds = cJSON_CreateArray();
	f->bsel = 0;
	if (code[0] == '\0')
		code = jstr(ud->ident, "product");
	if (code[0] == '\0') {
		free(dir);
		return;
	}
	catalog_init(&cat);
	catalog_load(&cat);
	n = catalog_for(&cat, code, region[0] ? region : NULL, v,
	    UI_FLASH_BUILDS);
	for (size_t i = 0; i < n && i < UI_FLASH_BUILDS; i++) {
		const struct cat_build *b = v[i];
		cJSON *e = cJSON_CreateObject();
		char say[200], sz[32], cached[4200] = "";

		fb_size_text(b->size, sz, sizeof(sz));
		if (b->sha256[0] && !b->sample && dir != NULL) {
			snprintf(cached, sizeof(cached), "%s/%s.pkg", dir,
			    b->sha256);
			if (access(cached, R_OK) != 0)
				cached[0] = '\0';
		}
		if (b->sample)
			snprintf(say, sizeof(say), "%s %s (%s) from the sample "
			    "catalog: not fetched", b->name ? b->name :
			    b->codename, b->version, b->region ? b->region :
			    "?");
		else
			snprintf(say, sizeof(say), "%s %s (%s%s%s, %s, %s)%s%s",
			    b->name ? b->name : b->codename, b->version,
			    b->region ? b->region : "region ?", b->carrier ?
			    ", " : "", b->carrier ? b->carrier : "", b->date ?
			    b->date : "date ?", b->size ? sz : "size ?",
			    cached[0] ? ", in the cache" : b->nurls == 0 ?
			    ", no address" : (!b->sha256[0] && !b->md5[0]) ?
			    ", NO HASH" : "", region[0] &&
			    catalog_region_is(b, region) == 0 ?
			    "; NOT the phone's region" : "");
		cJSON_AddStringToObject(e, "say", say);
		cJSON_AddStringToObject(e, "cached", cached);
		cJSON_AddStringToObject(e, "sha256", b->sample ? "" :
		    b->sha256);
		if (!b->sample && b->nurls > 0 && (b->sha256[0] || b->md5[0]))
			cJSON_AddItemToObject(e, "fetch", fetchjob_params(b));
		cJSON_AddItemToArray(f->builds, e);
	}
	if (n > 0)
		pick_build(f, 0);
	else
		snprintf(f->build, sizeof(f->build), "none for %s (droidmedic "
		    "firmware update, firmware search)", code);
	catalog_free(&cat);
	free(dir);
}

/* Fields: the package, its SHA-256, the choice, and the catalog's build
 * when there is one to take. */
static int
nfields(const struct ui_flash *f)
{
	return cJSON_GetArraySize(f->builds) > 0 ? 4 : 3;
}

int
scr_flash_open(struct ui *ui)
{
	const struct ui_dev *ud = ui_selected(ui);
	struct ui_flash *f = &ui->fl;
	struct ui_flash_resume r;

	if (ud == NULL)
		return 0;
	if (!ud->di.present || (ud->di.mode != DEV_MODE_FASTBOOT &&
	    ud->di.mode != DEV_MODE_FASTBOOTD)) {
		say(ui, "F: the phone must be in fastboot (droidmedic reboot "
		    "-s SERIAL bootloader)");
		return UI_REDRAW;
	}
	if (scr_flash_active(ui, ud->di.id) != 0) {
		char m[96];

		snprintf(m, sizeof(m), "F: a flash of this phone is running "
		    "(job #%u)", scr_flash_active(ui, ud->di.id));
		say(ui, m);
		return UI_REDRAW;
	}
	f->dev_id = ud->di.id;
	phone_serial(ud, f->serial, sizeof(f->serial));
	f->stage = FL_ASK;
	f->typed[0] = '\0';
	f->msg[0] = '\0';
	f->field = 0;
	f->without_backup = 0;
	cJSON_Delete(f->plan);
	f->plan = NULL;
	f->resume = scr_flash_journal(f->serial, &r);
	if (f->resume) {
		snprintf(f->package, sizeof(f->package), "%s", r.package);
		snprintf(f->sha256, sizeof(f->sha256), "%s", r.sha256);
		f->choice = r.choice;
		f->resume_line = r.line;
	}
	find_builds(ud, f);
	f->fetch_job = 0;
	f->open = 1;
	return UI_REDRAW;
}

/* The path as the server needs it: absolute, ~ expanded. */
static int
abs_path(const char *in, char *out, size_t len)
{
	char tmp[PATH_MAX];
	const char *home = getenv("HOME");

	if (in[0] == '~' && in[1] == '/' && home != NULL)
		snprintf(tmp, sizeof(tmp), "%s/%s", home, in + 2);
	else
		snprintf(tmp, sizeof(tmp), "%s", in);
	if (realpath(tmp, out) == NULL)
		return -1;
	(void)len;
	return 0;
}

static cJSON *
params(struct ui_flash *f, const char *path, int dry)
{
	cJSON *p = cJSON_CreateObject();
	char id[32];

	snprintf(id, sizeof(id), "%u", f->dev_id);
	cJSON_AddStringToObject(p, "device", id);
	cJSON_AddStringToObject(p, "package", path);
	cJSON_AddStringToObject(p, "choice", choices[f->choice]);
	if (f->sha256[0] != '\0')
		cJSON_AddStringToObject(p, "sha256", f->sha256);
	cJSON_AddBoolToObject(p, "dry_run", dry);
	cJSON_AddBoolToObject(p, "without_backup", f->without_backup);
	if (!dry)
		cJSON_AddStringToObject(p, "confirm", f->typed);
	return p;
}

void
scr_flash_job_ended(struct ui *ui, unsigned job_id)
{
	if (job_id != 0 && ((job_id == ui->fl.plan_job &&
	    ui->fl.stage == FL_WAIT) || (job_id == ui->fl.fetch_job &&
	    ui->fl.stage == FL_FETCH)) && ui->nfetch < UI_MAX_REPAIR)
		ui->fetch[ui->nfetch++] = job_id;
}

void
scr_flash_fetched(struct ui *ui, cJSON *result, const char *why)
{
	struct ui_flash *f = &ui->fl;

	if (f->stage != FL_FETCH) {
		cJSON_Delete(result);
		return;
	}
	f->stage = FL_ASK;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok"))) {
		snprintf(f->package, sizeof(f->package), "%s", jstr(result,
		    "path"));
		snprintf(f->cached, sizeof(f->cached), "%s", f->package);
		snprintf(f->sha256, sizeof(f->sha256), "%s", jstr(result,
		    "sha256"));
		snprintf(f->msg, sizeof(f->msg), "%s", "Downloaded and "
		    "checked, in the firmware cache: Enter plans the flash");
		f->field = 0;
	} else {
		snprintf(f->msg, sizeof(f->msg), "download: %s",
		    result != NULL && jstr(result, "message")[0] ?
		    jstr(result, "message") : why ? why : "failed");
	}
	cJSON_Delete(result);
}

void
scr_flash_plan(struct ui *ui, cJSON *result, const char *why)
{
	struct ui_flash *f = &ui->fl;

	if (f->stage != FL_WAIT) {
		cJSON_Delete(result);
		return;
	}
	cJSON_Delete(f->plan);
	f->plan = result;
	f->stage = FL_PLAN;
	f->typed[0] = '\0';
	if (result == NULL)
		snprintf(f->msg, sizeof(f->msg), "%s", why ? why :
		    "the dry run failed");
	else if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")))
		snprintf(f->msg, sizeof(f->msg), "%s", jstr(result, "message"));
	else
		f->msg[0] = '\0';
}

/* The dry run found nothing against it. */
static int
plan_ok(const struct ui_flash *f)
{
	return f->plan != NULL && cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(f->plan, "ok"));
}

/* The words that let a wiping flash go on without a recent backup: the
 * typed override the CLI spells --without-backup. */
#define WITHOUT_BACKUP	"WITHOUT BACKUP"

/* Only the backup gate refused: the override can be typed. */
static int
only_backup_refused(const struct ui_flash *f)
{
	const cJSON *g;
	int backup = 0;

	if (f->plan == NULL || plan_ok(f) || f->without_backup)
		return 0;
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(f->plan, "plan"), "gates")) {
		if (strcmp(jstr(g, "state"), "refused") != 0)
			continue;
		if (strcmp(jstr(g, "gate"), "backup") != 0)
			return 0;
		backup = 1;
	}
	return backup;
}

#define DLG_LINES	40

static int
dlg_lines(struct ui *ui, struct draw_line *l, int max)
{
	struct ui_flash *f = &ui->fl;
	int n = 0;

#define ADD(attr, ...) do { if (n < max) { snprintf(l[n].text, \
    sizeof(l[n].text), __VA_ARGS__); l[n++].a = (attr); } } while (0)
	ADD(A_BOLD, "Flash a firmware package onto %s", f->serial);
	if (f->resume)
		ADD(draw_attr(DR_WARN), "A flash of this package stopped at "
		    "line %d: the plan resumes it there", f->resume_line);
	if (f->stage == FL_ASK) {
		ADD(A_NORMAL, "%s", "");
		ADD(f->field == 0 ? A_REVERSE : A_NORMAL, "Package: %s",
		    f->package[0] ? f->package : "(type its path)");
		ADD(f->field == 1 ? A_REVERSE : A_NORMAL, "SHA-256: %s",
		    f->sha256[0] ? f->sha256 : "(the vendor's or the "
		    "catalog's: nothing is flashed without it)");
		ADD(f->field == 2 ? A_REVERSE : A_NORMAL, "Data:    %s",
		    choice_words[f->choice]);
		if (cJSON_GetArraySize(f->builds) > 1)
			ADD(f->field == 3 ? A_REVERSE : A_NORMAL, "Catalog: "
			    "%s  [%d of %d]", f->build, f->bsel + 1,
			    cJSON_GetArraySize(f->builds));
		else if (f->build[0])
			ADD(f->field == 3 ? A_REVERSE : nfields(f) == 4 ?
			    A_NORMAL : draw_attr(DR_DIM), "Catalog: %s",
			    f->build);
		ADD(A_NORMAL, "%s", "");
		ADD(draw_attr(DR_DIM), "%s", "Up/Down or Tab: field; Space: "
		    "the choice; Enter: the plan (nothing is sent); Esc");
		if (nfields(f) == 4)
			ADD(draw_attr(DR_DIM), "On Catalog: Space or Left/Right "
			    "another build; Enter %s", f->cached[0] ?
			    "takes it from the firmware cache" : f->fetch ?
			    "downloads it into the firmware cache, checked" :
			    "(this one cannot be downloaded)");
	} else if (f->stage == FL_FETCH) {
		const struct job_info *j = scr_job_find(ui, f->fetch_job);

		ADD(A_NORMAL, "%s", "");
		ADD(A_NORMAL, "Downloading %s", f->build);
		ADD(A_NORMAL, "%s", j != NULL && j->what[0] ? j->what :
		    "asking the server");
		if (j != NULL && j->total > 0)
			ADD(A_NORMAL, "%3d%%", (int)(j->done * 100 / j->total));
		ADD(A_NORMAL, "%s", "");
		ADD(draw_attr(DR_DIM), "Esc closes this; the download goes "
		    "on (job #%u)", f->fetch_job);
	} else if (f->stage == FL_WAIT) {
		const struct job_info *j = scr_job_find(ui, f->plan_job);

		ADD(A_NORMAL, "%s", "");
		ADD(A_NORMAL, "Planning: %s", j != NULL && j->what[0] ?
		    j->what : "reading the package and asking the phone");
		if (j != NULL && j->total > 0)
			ADD(A_NORMAL, "%3d%%", (int)(j->done * 100 / j->total));
	} else {
		const cJSON *plan = cJSON_GetObjectItemCaseSensitive(f->plan,
		    "plan"), *g, *st;
		int k = 0, shown = 0, total = 0;
		char sz[32];

		if (plan != NULL) {
			const cJSON *pk = cJSON_GetObjectItemCaseSensitive(plan,
			    "package");

			ADD(A_NORMAL, "%s, %s: %s %s", jstr(pk, "kind"),
			    jstr(pk, "build"), jstr(plan, "choice"),
			    jstr(plan, "script"));
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(plan,
			    "wipes")))
				ADD(draw_attr(DR_WARN) | A_BOLD, "%s", "This "
				    "ERASES USER DATA on the phone.");
			cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(
			    plan, "gates")) {
				const char *s = jstr(g, "state");

				ADD(strcmp(s, "refused") == 0 ?
				    draw_attr(DR_ERROR) | A_BOLD :
				    strcmp(s, "warn") == 0 ? draw_attr(DR_WARN) :
				    A_NORMAL, "%-10s %-7s %s", jstr(g, "gate"),
				    s, jstr(g, "why"));
			}
			cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(
			    plan, "steps"))
				total += cJSON_GetObjectItemCaseSensitive(st,
				    "skipped") == NULL;
			ADD(A_NORMAL, "%s", "");
			cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(
			    plan, "steps")) {
				const cJSON *sv = cJSON_GetObjectItemCaseSensitive(
				    st, "size");

				if (cJSON_GetObjectItemCaseSensitive(st,
				    "skipped") != NULL)
					continue;
				k++;
				if (n >= max - 8) {
					continue;
				}
				shown++;
				sz[0] = '\0';
				if (cJSON_IsNumber(sv))
					fb_size_text((uint64_t)sv->valuedouble,
					    sz, sizeof(sz));
				ADD(A_NORMAL, "%3d %-10s %-18s %s %s", k,
				    jstr(st, "op"), jstr(st, "target"),
				    jstr(st, "file"), sz);
			}
			if (shown < total)
				ADD(draw_attr(DR_DIM), "... %d more steps "
				    "(droidmedic flash --dry-run lists them)",
				    total - shown);
			if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(
			    f->plan, "resume_line")))
				ADD(draw_attr(DR_WARN), "Resumes at line %d of "
				    "the script", (int)cJSON_GetNumberValue(
				    cJSON_GetObjectItemCaseSensitive(f->plan,
				    "resume_line")));
		}
		ADD(A_NORMAL, "%s", "");
		if (plan_ok(f))
			ADD(A_BOLD, "Type %s (the phone's serial or its last "
			    "four) and Enter to flash; Esc cancels.",
			    dev_confirm_hint(f->serial));
		else if (only_backup_refused(f))
			ADD(A_BOLD, "No recent backup: back it up first (b, in "
			    "adb mode), or type %s and Enter to go on "
			    "without one.", WITHOUT_BACKUP);
		else
			ADD(draw_attr(DR_DIM), "%s", "Enter: back to the "
			    "package; Esc closes. Nothing was sent.");
	}
	if (f->msg[0] != '\0')
		ADD(draw_attr(DR_ERROR) | A_BOLD, "%s", f->msg);
#undef ADD
	return n;
}

void
scr_flash_draw(struct ui *ui)
{
	struct ui_flash *f = &ui->fl;
	struct draw_line l[DLG_LINES];
	int n = dlg_lines(ui, l, DLG_LINES);
	const char *input = NULL;

	if (f->stage == FL_ASK && f->field == 0)
		input = f->package;
	else if (f->stage == FL_ASK && f->field == 1)
		input = f->sha256;
	else if (f->stage == FL_PLAN && (plan_ok(f) ||
	    only_backup_refused(f)))
		input = f->typed;
	draw_dialog(" Flash ", l, n, input);
}

/* Edit a text field: Backspace, Ctrl-U, printable characters (spaces
 * too: paths have them). */
static int
field_key(char *buf, size_t len, int ch)
{
	size_t n = strlen(buf);

	if (ch == ' ' && n + 1 < len) {
		buf[n] = ' ';
		buf[n + 1] = '\0';
		return UI_REDRAW;
	}
	return scr_code_key(buf, len, ch);
}

int
scr_flash_key(struct ui *ui, int ch, enum key_action a)
{
	struct ui_flash *f = &ui->fl;
	char path[PATH_MAX];

	if (a == ACT_CLEAR) {
		if (f->stage == FL_FETCH && f->fetch_job != 0) {
			char m[96];

			snprintf(m, sizeof(m), "the download goes on in the "
			    "bench server (job #%u)", f->fetch_job);
			say(ui, m);
		}
		f->open = 0;
		return UI_REDRAW;
	}
	if (ch == KEY_F(10))
		return UI_QUIT;
	if (f->stage == FL_ASK) {
		if (ch == KEY_UP || ch == KEY_BTAB) {
			f->field = (f->field + nfields(f) - 1) % nfields(f);
			return UI_REDRAW;
		}
		if (ch == KEY_DOWN || ch == '\t') {
			f->field = (f->field + 1) % nfields(f);
			return UI_REDRAW;
		}
		if (f->field == 3 && (ch == ' ' || ch == KEY_RIGHT ||
		    ch == KEY_LEFT)) {
			int nb = cJSON_GetArraySize(f->builds);

			pick_build(f, (f->bsel + (ch == KEY_LEFT ? nb - 1 : 1)) %
			    nb);
			return UI_REDRAW;
		}
		if (f->field == 3 && a == ACT_ENTER) {
			f->msg[0] = '\0';
			if (f->fetch == NULL && !f->cached[0]) {
				snprintf(f->msg, sizeof(f->msg), "%s", "this "
				    "build has no address or no hash, or is a "
				    "sample: it is not downloaded");
				return UI_REDRAW;
			}
			if (f->cached[0]) {
				snprintf(f->package, sizeof(f->package), "%s",
				    f->cached);
				snprintf(f->sha256, sizeof(f->sha256), "%s",
				    f->build_sha);
				f->field = 0;
				snprintf(f->msg, sizeof(f->msg), "%s", "From "
				    "the firmware cache: Enter plans the flash");
				return UI_REDRAW;
			}
			f->fetch_job = 0;
			f->stage = FL_FETCH;
			ui_request(ui, "fetch", f->dev_id,
			    cJSON_Duplicate(f->fetch, 1));
			return UI_REDRAW;
		}
		if (f->field == 2 && (ch == ' ' || ch == KEY_RIGHT)) {
			f->choice = (f->choice + 1) % 3;
			return UI_REDRAW;
		}
		if (f->field == 2 && ch == KEY_LEFT) {
			f->choice = (f->choice + 2) % 3;
			return UI_REDRAW;
		}
		if (a == ACT_ENTER) {
			if (f->package[0] == '\0' ||
			    abs_path(f->package, path, sizeof(path)) < 0) {
				snprintf(f->msg, sizeof(f->msg), "%s: no such "
				    "file", f->package[0] ? f->package :
				    "(no package)");
				f->field = 0;
				return UI_REDRAW;
			}
			f->msg[0] = '\0';
			snprintf(f->path, sizeof(f->path), "%s", path);
			f->plan_job = 0;
			f->stage = FL_WAIT;
			ui_request(ui, "flashrom", f->dev_id,
			    params(f, f->path, 1));
			return UI_REDRAW;
		}
		if (f->field == 0)
			return field_key(f->package, sizeof(f->package), ch);
		if (f->field == 1)
			return scr_code_key(f->sha256, sizeof(f->sha256), ch);
		return 0;
	}
	if (f->stage == FL_WAIT || f->stage == FL_FETCH)
		return 0;
	/* FL_PLAN */
	if (only_backup_refused(f)) {
		if (a != ACT_ENTER)
			return field_key(f->typed, sizeof(f->typed), ch);
		if (strcasecmp(f->typed, WITHOUT_BACKUP) != 0) {
			snprintf(f->msg, sizeof(f->msg), "type %s to go on "
			    "without a backup", WITHOUT_BACKUP);
			f->typed[0] = '\0';
			return UI_REDRAW;
		}
		/* Plan again, the override given. */
		f->without_backup = 1;
		f->typed[0] = '\0';
		f->msg[0] = '\0';
		f->plan_job = 0;
		f->stage = FL_WAIT;
		ui_request(ui, "flashrom", f->dev_id, params(f, f->path, 1));
		return UI_REDRAW;
	}
	if (!plan_ok(f)) {
		if (a == ACT_ENTER) {
			f->stage = FL_ASK;
			f->msg[0] = '\0';
			return UI_REDRAW;
		}
		return 0;
	}
	if (a == ACT_ENTER) {
		if (!dev_confirm_names(f->typed, f->serial)) {
			snprintf(f->msg, sizeof(f->msg), "\"%s\" does not name "
			    "this phone: type %s", f->typed,
			    dev_confirm_hint(f->serial));
			f->typed[0] = '\0';
			return UI_REDRAW;
		}
		ui_request(ui, "flashrom", f->dev_id, params(f, f->path, 0));
		f->open = 0;
		ui->view = VIEW_DETAILS;
		ui->focus = PANE_DETAILS;
		return UI_REDRAW;
	}
	return scr_code_key(f->typed, sizeof(f->typed), ch);
}

void
scr_flash_free(struct ui *ui)
{
	cJSON_Delete(ui->fl.plan);
	ui->fl.plan = NULL;
	cJSON_Delete(ui->fl.fetch);
	ui->fl.fetch = NULL;
	cJSON_Delete(ui->fl.builds);
	ui->fl.builds = NULL;
}
