/* scr_backup.c - backups in the dashboard: `b` opens the backup dialog
 * for the selected phone (categories to tick, the library it goes to,
 * the phone's last backup), Enter queues a "backup" job whose progress
 * (files, bytes, rate, time left) shows with the phone's jobs; the
 * backups view of the lower pane (`v`) lists the phone's backups from the
 * library, and `r` on one opens the restore dialog: what it would push by
 * category, and nothing runs until the phone's serial is typed.
 *
 * The library is read from disk here (the dashboard runs as the user the
 * bench server runs as), once when the view opens and again when a job
 * started here ends. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backup.h"
#include "draw.h"
#include "fastboot.h"
#include "scr.h"
#include "xmem.h"

static const char *
jstr(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, k));

	return s != NULL ? s : "";
}

static double
jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The serial a phone's backups are filed under: its own (the identity
 * read from it), else the row's. */
static void
phone_serial(const struct ui_dev *ud, char *out, size_t len)
{
	const char *s = jstr(ud->ident, "serial");

	snprintf(out, len, "%s", s[0] != '\0' ? s : ud->di.serial);
}

/* ---- the library ----------------------------------------------------- */

static void
lib_free(struct ui_backup *b)
{
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

/* When the phone's folder of the library last changed (ns), or 0. */
static int64_t
lib_stamp(const char *root, const char *serial)
{
	char p[4400];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, serial);
	if (root[0] == '\0' || stat(p, &st) != 0)
		return 0;
	return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

/* The backups of the phone (newest first), summed per category. */
static void
lib_load(struct ui *ui, const struct ui_dev *ud)
{
	struct ui_backup *b = &ui->bk;
	char serial[128], err[256];
	cJSON *all, *m;

	lib_free(b);
	b->lib_dev = ud->di.id;
	b->stale = 0;
	b->lib_error[0] = '\0';
	if (bklib_root(NULL, b->root, sizeof(b->root), err, sizeof(err)) < 0) {
		snprintf(b->lib_error, sizeof(b->lib_error), "%s", err);
		return;
	}
	phone_serial(ud, serial, sizeof(serial));
	b->lib_stamp = lib_stamp(b->root, serial);
	all = bklib_list(b->root, serial);
	b->v = xcalloc((size_t)cJSON_GetArraySize(all) + 1, sizeof(*b->v));
	cJSON_ArrayForEach(m, all) {
		struct ui_bkent *e = &b->v[b->n++];
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "totals");
		const cJSON *it;

		snprintf(e->id, sizeof(e->id), "%s", jstr(m, "id"));
		snprintf(e->created, sizeof(e->created), "%s",
		    jstr(m, "created"));
		snprintf(e->serial, sizeof(e->serial), "%s", jstr(m, "serial"));
		snprintf(e->stopped, sizeof(e->stopped), "%s",
		    jstr(m, "stopped"));
		snprintf(e->base, sizeof(e->base), "%s", jstr(m, "base"));
		e->complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m,
		    "complete"));
		e->verified = jstr(m, "verified")[0] != '\0';
		e->files = jnum(t, "files");
		e->bytes = jnum(t, "bytes");
		e->failed = jnum(t, "failed");
		e->abytes = jnum(m, "archive_bytes");
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(m,
		    "items")) {
			const char *cat = jstr(it, "category");
			int k;

			/* Storage, and the APKs a restore can install
			 * (asked for by name: see restore_selected). */
			if (!(restore_selected(it, "") ||
			    restore_selected(it, "apks")) ||
			    strcmp(jstr(it, "type"), "dir") == 0)
				continue;
			for (k = 0; k < e->ncat; k++)
				if (strcmp(e->cat[k].name, cat) == 0)
					break;
			if (k == e->ncat) {
				if (e->ncat == UI_BK_CATS)
					continue;
				snprintf(e->cat[k].name, sizeof(e->cat[k].name),
				    "%s", cat);
				e->ncat++;
			}
			e->cat[k].files++;
			e->cat[k].bytes += jnum(it, "size");
			e->push_files++;
			e->push_bytes += jnum(it, "size");
		}
	}
	cJSON_Delete(all);
	if (b->sel >= b->n)
		b->sel = b->n > 0 ? b->n - 1 : 0;
}

/* Does the backup hold APKs a restore can install? */
static int
has_apks(const struct ui_bkent *e)
{
	for (int k = 0; k < e->ncat; k++)
		if (strcmp(e->cat[k].name, "apks") == 0)
			return 1;
	return 0;
}

static void
lib_fresh(struct ui *ui, const struct ui_dev *ud)
{
	char serial[128];

	if (ud == NULL)
		return;
	phone_serial(ud, serial, sizeof(serial));
	if (ui->bk.stale || ui->bk.lib_dev != ud->di.id ||
	    lib_stamp(ui->bk.root, serial) != ui->bk.lib_stamp)
		lib_load(ui, ud);
}

void
scr_backup_job_ended(struct ui *ui, unsigned job_id)
{
	if (job_id != 0 && job_id == ui->bk.job)
		ui->bk.stale = 1;
	if (job_id != 0 && job_id == ui->bk.est_job && ui->bk.est_wait &&
	    ui->nfetch < UI_MAX_REPAIR)
		ui->fetch[ui->nfetch++] = job_id;
}

void
scr_backup_estimate(struct ui *ui, cJSON *result, const char *why)
{
	struct ui_backup *b = &ui->bk;

	b->est_wait = 0;
	cJSON_Delete(b->est);
	b->est = result;
	if (result == NULL)
		snprintf(b->msg, sizeof(b->msg), "no estimate: %s", why);
}

/* The estimate of category name: "1,234 files, 1.2 GiB (56 to copy)". */
static void
est_text(const struct ui_backup *b, const char *name, char *out, size_t len)
{
	const cJSON *c;

	out[0] = '\0';
	if (b->est_wait) {
		snprintf(out, len, "(listing the phone...)");
		return;
	}
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(b->est,
	    "categories")) {
		char sz[32];

		if (strcmp(jstr(c, "name"), name) != 0)
			continue;
		fb_size_text((uint64_t)jnum(c, "bytes"), sz, sizeof(sz));
		snprintf(out, len, "%.0f files, %s (%.0f to copy)",
		    jnum(c, "files"), sz, jnum(c, "copy_files"));
	}
}

/* ---- the backups view ------------------------------------------------ */

static void
ent_line(const struct ui_bkent *e, char *line, size_t len)
{
	char size[32];

	fb_size_text((uint64_t)e->abytes, size, sizeof(size));
	snprintf(line, len, "%.16s  %6.0f files  %9s  %s%s%s", e->created,
	    e->files, size, e->complete ? "complete" : "INCOMPLETE",
	    e->verified ? ", verified" : "", e->failed > 0 ?
	    ", some not saved" : "");
}

static void
backups_body(struct ui *ui, struct scr_text *t, const struct ui_dev *ud)
{
	struct ui_backup *b = &ui->bk;
	char line[600], serial[128];

	if (ud == NULL) {
		scr_text_para(t, 0, NULL, "No phone selected.", A_NORMAL);
		return;
	}
	lib_fresh(ui, ud);
	phone_serial(ud, serial, sizeof(serial));
	if (b->lib_error[0] != '\0') {
		scr_text_para(t, 0, NULL, b->lib_error, draw_attr(DR_ERROR));
		return;
	}
	snprintf(line, sizeof(line), "Backups of %s in %s: %d", serial,
	    b->root, b->n);
	scr_text_para(t, 0, NULL, line, draw_attr(DR_LABEL));
	if (b->n == 0) {
		scr_text_para(t, 2, NULL, "None yet: b backs this phone up.",
		    A_NORMAL);
		return;
	}
	for (int i = 0; i < b->n; i++) {
		const struct ui_bkent *e = &b->v[i];
		attr_t a = e->complete ? A_NORMAL : draw_attr(DR_WARN);

		ent_line(e, line, sizeof(line));
		scr_text_emit(t, 2, i == b->sel ? ">" : " ", line,
		    i == b->sel ? a | A_REVERSE : a);
	}
	{
		const struct ui_bkent *e = &b->v[b->sel];
		char sz[32];

		scr_text_para(t, 0, NULL, "", A_NORMAL);
		scr_text_para(t, 0, NULL, e->id, A_BOLD);
		if (!e->complete)
			scr_text_para(t, 2, NULL, e->stopped,
			    draw_attr(DR_WARN));
		if (e->base[0] != '\0') {
			snprintf(line, sizeof(line), "builds on %s (its "
			    "archive is needed to restore)", e->base);
			scr_text_para(t, 2, NULL, line, A_NORMAL);
		}
		for (int k = 0; k < e->ncat; k++) {
			fb_size_text((uint64_t)e->cat[k].bytes, sz, sizeof(sz));
			snprintf(line, sizeof(line), "%-12s %6.0f  %s",
			    e->cat[k].name, e->cat[k].files, sz);
			scr_text_emit(t, 2, NULL, line, A_NORMAL);
		}
		if (e->failed > 0) {
			snprintf(line, sizeof(line), "%.0f item(s) not saved: "
			    "droidmedic backups --json says which and why",
			    e->failed);
			scr_text_para(t, 2, NULL, line, draw_attr(DR_WARN));
		}
		scr_text_para(t, 2, NULL, "r restores it onto this phone "
		    "(what it pushes is shown first).", draw_attr(DR_DIM));
	}
}

void
scr_backups_draw(struct ui *ui, const struct ui_rect *r)
{
	scr_text_pane(ui, r, "Backups", backups_body);
}

int
scr_backups_key(struct ui *ui, enum key_action a)
{
	struct ui_backup *b = &ui->bk;

	switch (a) {
	case ACT_UP:
		if (b->sel <= 0)
			return 0;
		b->sel--;
		return UI_REDRAW;
	case ACT_DOWN:
		if (b->sel >= b->n - 1)
			return 0;
		b->sel++;
		return UI_REDRAW;
	case ACT_HOME:
		b->sel = 0;
		return UI_REDRAW;
	case ACT_END:
		b->sel = b->n > 0 ? b->n - 1 : 0;
		return UI_REDRAW;
	default:
		return 0;
	}
}

/* A word on the key bar until the next key. */
static void
say(struct ui *ui, const char *text)
{
	snprintf(ui->status, sizeof(ui->status), "%s", text);
	ui->status_key = 1;
}

/* ---- the dialogs ------------------------------------------------------ */

int
scr_backup_open(struct ui *ui)
{
	const struct ui_dev *ud = ui_selected(ui);
	struct ui_backup *b = &ui->bk;

	if (ud == NULL)
		return 0;
	if (!ud->di.present || (ud->di.mode != DEV_MODE_ADB &&
	    ud->di.mode != DEV_MODE_RECOVERY)) {
		say(ui, "b: the phone must be booted, with USB debugging "
		    "allowed (adb)");
		return UI_REDRAW;
	}
	lib_load(ui, ud);
	b->open = BK_DLG_BACKUP;
	b->dev_id = ud->di.id;
	phone_serial(ud, b->serial, sizeof(b->serial));
	b->cats = bk_cat_default();
	b->cur = 1;
	b->msg[0] = '\0';
	/* What each storage category holds and would copy: a dry run. */
	{
		char list[256] = "", id[32];
		cJSON *p = cJSON_CreateObject();

		for (int i = 1; i < bk_cat_count(); i++)
			if (bk_cat_dirs(i) != NULL)
				snprintf(list + strlen(list), sizeof(list) -
				    strlen(list), "%s%s", list[0] ? "," : "",
				    bk_cat_name(i));
		snprintf(id, sizeof(id), "%u", b->dev_id);
		cJSON_AddStringToObject(p, "device", id);
		cJSON_AddStringToObject(p, "to", b->root);
		cJSON_AddStringToObject(p, "only", list);
		cJSON_AddBoolToObject(p, "dry_run", 1);
		cJSON_Delete(b->est);
		b->est = NULL;
		b->est_wait = 1;
		ui_request(ui, "backup", b->dev_id, p);
	}
	return UI_REDRAW;
}

int
scr_restore_open(struct ui *ui)
{
	const struct ui_dev *ud = ui_selected(ui);
	struct ui_backup *b = &ui->bk;

	if (ud == NULL || ui->view != VIEW_BACKUPS)
		return 0;
	lib_fresh(ui, ud);
	if (b->n == 0) {
		say(ui, "r: no backup of this phone to restore");
		return UI_REDRAW;
	}
	if (!ud->di.present || ud->di.mode != DEV_MODE_ADB) {
		say(ui, "r: the phone must be booted, with USB debugging "
		    "allowed (adb)");
		return UI_REDRAW;
	}
	b->open = BK_DLG_RESTORE;
	b->dev_id = ud->di.id;
	phone_serial(ud, b->serial, sizeof(b->serial));
	b->typed[0] = '\0';
	b->msg[0] = '\0';
	/* Everything ticked but the apps: installing them is asked for. */
	b->rsel = (1u << b->v[b->sel].ncat) - 1;
	for (int k = 0; k < b->v[b->sel].ncat; k++)
		if (strcmp(b->v[b->sel].cat[k].name, "apks") == 0)
			b->rsel &= ~(1u << k);
	b->cur = 0;
	return UI_REDRAW;
}

#define DLG_LINES	30


static int
dlg_lines(struct ui *ui, struct draw_line *l, int max)
{
	struct ui_backup *b = &ui->bk;
	char sz[32];
	int n = 0;

#define ADD(attr, ...) do { if (n < max) { snprintf(l[n].text, \
    sizeof(l[n].text), __VA_ARGS__); l[n++].a = (attr); } } while (0)
	if (b->open == BK_DLG_BACKUP) {
		ADD(A_BOLD, "Back up %s to %s", b->serial, b->root);
		if (b->n > 0)
			ADD(A_NORMAL, "Last backup: %.16s, %s; unchanged files "
			    "are not copied again", b->v[0].created,
			    b->v[0].complete ? "complete" : "INCOMPLETE");
		else
			ADD(A_NORMAL, "No backup of it yet: everything is "
			    "copied.");
		ADD(A_NORMAL, "%s", "");
		for (int i = 1; i < bk_cat_count() && n < max - 4; i++) {
			char est[96];

			est_text(b, bk_cat_name(i), est, sizeof(est));
			ADD(i == b->cur ? A_REVERSE : A_NORMAL, "[%c] %-11s %-32.32s "
			    "%s", b->cats & (1u << i) ? 'x' : ' ',
			    bk_cat_name(i), bk_cat_what(i), est);
		}
		ADD(A_NORMAL, "%s", "");
		ADD(A_NORMAL, "%s", "Space ticks, Enter starts (nothing on the "
		    "phone changes), Esc cancels.");
	} else {
		const struct ui_bkent *e = &b->v[b->sel];

		ADD(A_BOLD, "Restore %s onto %s", e->id, b->serial);
		if (strcmp(e->serial, b->serial) != 0)
			ADD(draw_attr(DR_WARN) | A_BOLD, "This is a backup of "
			    "another phone (%s).", e->serial);
		if (!e->complete)
			ADD(draw_attr(DR_WARN), "An INCOMPLETE backup: %s",
			    e->stopped);
		{
			double f = 0, by = 0;

			for (int k = 0; k < e->ncat; k++)
				if (b->rsel & (1u << k)) {
					f += e->cat[k].files;
					by += e->cat[k].bytes;
				}
			fb_size_text((uint64_t)by, sz, sizeof(sz));
			ADD(A_NORMAL, "It pushes %.0f item(s), %s, keeping "
			    "their times:", f, sz);
		}
		for (int k = 0; k < e->ncat; k++) {
			fb_size_text((uint64_t)e->cat[k].bytes, sz, sizeof(sz));
			ADD(k == b->cur ? A_REVERSE : A_NORMAL, "[%c] %-12s %6.0f  "
			    "%s%s", b->rsel & (1u << k) ? 'x' : ' ',
			    e->cat[k].name, e->cat[k].files, sz,
			    strcmp(e->cat[k].name, "apks") == 0 ?
			    "  (installs the apps again)" : "");
		}
		ADD(A_NORMAL, "%s", "Files already there unchanged are left "
		    "alone; others are written over.");
		ADD(A_NORMAL, "%s", "Every hash is checked before the first "
		    "byte goes.");
		ADD(A_NORMAL, "%s", "");
		ADD(A_NORMAL, "Space ticks; type %s (the serial's last "
		    "characters) and Enter; Esc cancels.",
		    dev_confirm_hint(b->serial));
	}
	if (b->msg[0] != '\0')
		ADD(draw_attr(DR_ERROR) | A_BOLD, "%s", b->msg);
#undef ADD
	return n;
}

void
scr_backup_draw(struct ui *ui)
{
	struct draw_line l[DLG_LINES];
	int n = dlg_lines(ui, l, DLG_LINES);

	if (ui->bk.open == BK_DLG_RESTORE)
		draw_dialog(" Restore? ", l, n, ui->bk.typed);
	else
		draw_dialog(" Back up ", l, n, NULL);
}

static cJSON *
req_params(struct ui_backup *b)
{
	cJSON *p = cJSON_CreateObject();
	char id[32];

	snprintf(id, sizeof(id), "%u", b->dev_id);
	cJSON_AddStringToObject(p, "device", id);
	cJSON_AddStringToObject(p, "to", b->root);
	return p;
}

int
scr_backup_key(struct ui *ui, int ch, enum key_action a)
{
	struct ui_backup *b = &ui->bk;
	cJSON *p;

	if (a == ACT_CLEAR) {
		b->open = 0;
		return UI_REDRAW;
	}
	if (a == ACT_QUIT && ch != 'q')
		return UI_QUIT;			/* F10 */
	if (b->open == BK_DLG_BACKUP) {
		if (a == ACT_UP && b->cur > 1) {
			b->cur--;
			return UI_REDRAW;
		}
		if (a == ACT_DOWN && b->cur < bk_cat_count() - 1) {
			b->cur++;
			return UI_REDRAW;
		}
		if (ch == ' ') {
			b->cats ^= 1u << b->cur;
			return UI_REDRAW;
		}
		if (a == ACT_ENTER) {
			char list[256] = "";

			for (int i = 1; i < bk_cat_count(); i++)
				if (b->cats & (1u << i))
					snprintf(list + strlen(list), sizeof(list) -
					    strlen(list), "%s%s", list[0] ? "," :
					    "", bk_cat_name(i));
			p = req_params(b);
			cJSON_AddStringToObject(p, "only", list);
			ui_request(ui, "backup", b->dev_id, p);
			b->open = 0;
			ui->view = VIEW_DETAILS;
			ui->focus = PANE_DETAILS;
			return UI_REDRAW;
		}
		return 0;
	}
	if (a == ACT_UP && b->cur > 0) {
		b->cur--;
		return UI_REDRAW;
	}
	if (a == ACT_DOWN && b->cur < b->v[b->sel].ncat - 1) {
		b->cur++;
		return UI_REDRAW;
	}
	if (ch == ' ') {
		b->rsel ^= 1u << b->cur;
		return UI_REDRAW;
	}
	if (a == ACT_ENTER && b->rsel == 0) {
		snprintf(b->msg, sizeof(b->msg), "nothing ticked to restore");
		return UI_REDRAW;
	}
	if (a == ACT_ENTER) {
		if (!dev_confirm_names(b->typed, b->serial)) {
			snprintf(b->msg, sizeof(b->msg), "\"%s\" does not name "
			    "this phone: type %s", b->typed,
			    dev_confirm_hint(b->serial));
			b->typed[0] = '\0';
			return UI_REDRAW;
		}
		p = req_params(b);
		cJSON_AddStringToObject(p, "backup", b->v[b->sel].id);
		cJSON_AddStringToObject(p, "confirm", b->typed);
		/* The whole storage is the default; apps are named. */
		if (b->rsel != (1u << b->v[b->sel].ncat) - 1 ||
		    has_apks(&b->v[b->sel])) {
			const struct ui_bkent *e = &b->v[b->sel];
			char list[512] = "";

			for (int k = 0; k < e->ncat; k++)
				if (b->rsel & (1u << k))
					snprintf(list + strlen(list), sizeof(list) -
					    strlen(list), "%s%s", list[0] ? "," : "",
					    e->cat[k].name);
			cJSON_AddStringToObject(p, "select", list);
		}
		ui_request(ui, "restore", b->dev_id, p);
		b->open = 0;
		ui->view = VIEW_DETAILS;
		ui->focus = PANE_DETAILS;
		return UI_REDRAW;
	}
	return scr_code_key(b->typed, sizeof(b->typed), ch);
}

void
scr_backup_free(struct ui *ui)
{
	lib_free(&ui->bk);
	cJSON_Delete(ui->bk.est);
	ui->bk.est = NULL;
}
