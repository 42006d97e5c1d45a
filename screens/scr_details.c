/* scr_details.c - the details pane: every field the server knows about
 * the selected phone in labelled lines, each problem with its full text
 * and the fix on a line of its own, and the phone's jobs.  Long values
 * wrap; the pane scrolls when it has the focus.  Main (UI) thread. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "draw.h"
#include "scr.h"

#define DET_LABEL	14	/* "Manufacturer: " */
#define DET_BOTTOM	(1 << 20)	/* scrolled to the end; drawing clamps */

void
scr_text_emit(struct scr_text *d, int indent, const char *label,
    const char *text, attr_t a)
{
	int row = d->line - d->top;

	if (row >= 0 && row < d->rows) {
		if (label != NULL)
			draw_text(d->y + row, d->x, indent, label,
			    draw_attr(DR_LABEL));
		draw_text(d->y + row, d->x + indent, d->w - indent, text, a);
	}
	d->line++;
}

/* A paragraph: label (or nothing) in the first indent columns of its
 * first line, text wrapped in the columns after indent. */
void
scr_text_para(struct scr_text *d, int indent, const char *label,
    const char *text, attr_t a)
{
	const char *next;
	char part[512];
	size_t n;
	int w = d->w - indent;

	if (w < 8) {
		indent = 0;
		w = d->w;
	}
	if (*text == '\0') {
		scr_text_emit(d, indent, label, "", a);
		return;
	}
	while (*text != '\0') {
		n = draw_wrap(text, w, &next);
		if (n >= sizeof(part))
			n = sizeof(part) - 1;
		memcpy(part, text, n);
		part[n] = '\0';
		scr_text_emit(d, indent, label, part, a);
		label = NULL;
		text = next;
	}
}

static void
det_field(struct scr_text *d, const char *label, attr_t a,
    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
det_field(struct scr_text *d, const char *label, attr_t a,
    const char *fmt, ...)
{
	char value[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	scr_text_para(d, DET_LABEL, label, value, a);
}

/* "14:02:51", or with the date when it is not today. */
static void
det_time(char *buf, size_t len, int64_t ms)
{
	time_t t = (time_t)(ms / 1000), now = time(NULL);
	struct tm tm, today;

	if (ms <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	localtime_r(&t, &tm);
	localtime_r(&now, &today);
	if (tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday)
		strftime(buf, len, "%H:%M:%S", &tm);
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The phone's jobs.  top: what someone asked for (a flash) and anything
 * still queued or running, near the top where a flash's progress and
 * outcome are seen without scrolling; else the bench's own finished
 * work (identifying, connecting), at the bottom. */
static void
det_jobs(struct ui *ui, struct scr_text *d, unsigned dev_id, int top)
{
	char line[512];
	int i, any = 0;

	for (i = 0; i < ui->njobs; i++) {
		const struct job_info *j = &ui->jobs[i];
		int own = strcmp(j->kind, "identify") == 0 ||
		    strcmp(j->kind, "connect") == 0;
		int active = j->state == JOB_QUEUED ||
		    j->state == JOB_RUNNING;
		attr_t a = A_NORMAL;

		if (j->dev_id != dev_id || top != (active || !own))
			continue;
		if (!any && !top)
			scr_text_para(d, 0, NULL, "", A_NORMAL);
		any = 1;
		if (j->state == JOB_FAILED)
			a = draw_attr(DR_ERROR);
		else if (j->state == JOB_DONE)
			a = draw_attr(DR_OK);
		if (j->total > 0)
			snprintf(line, sizeof(line), "#%u %s: %s %d%% %s",
			    j->id, j->kind, job_state_name(j->state),
			    (int)(j->done * 100 / j->total), j->what);
		else
			snprintf(line, sizeof(line), "#%u %s: %s %s", j->id,
			    j->kind, job_state_name(j->state), j->what);
		scr_text_para(d, DET_LABEL, "Job:", line, a);
		if (j->errbuf[0] != '\0')
			scr_text_para(d, DET_LABEL, NULL, j->errbuf,
			    draw_attr(DR_ERROR));
	}
}

/* A string at a dotted path in the identity ("build.android"), or NULL
 * when missing, null or empty. */
static const char *
id_str(const cJSON *id, const char *path)
{
	char key[48];
	const char *dot;
	const cJSON *o = id;

	while (o != NULL && (dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		path = dot + 1;
	}
	o = cJSON_GetObjectItemCaseSensitive(o, path);
	return cJSON_IsString(o) && o->valuestring[0] ? o->valuestring : NULL;
}

static double
id_num(const cJSON *id, const char *obj, const char *key, int *ok)
{
	const cJSON *o = obj == NULL ?
	    cJSON_GetObjectItemCaseSensitive(id, key) :
	    cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(id, obj), key);

	*ok = cJSON_IsNumber(o);
	return *ok ? o->valuedouble : 0;
}

/* A phone in fastboot: what its variables say. */
static void
det_fastboot(struct scr_text *d, const cJSON *fb)
{
	const char *v;
	int ok, ok2;
	double x, y;

	if (fb == NULL)
		return;
	x = id_num(fb, NULL, "slot_count", &ok);
	if ((v = id_str(fb, "current_slot")) != NULL)
		det_field(d, "Slot:", A_NORMAL, "%s%s%.0f%s", v,
		    ok ? " (of " : "", ok ? x : 0.0, ok ? ")" : "");
	x = id_num(fb, NULL, "anti", &ok);
	if (ok)
		det_field(d, "ARB index:", A_BOLD, "%.0f (anti-rollback: no "
		    "ROM with a lower index)", x);
	if ((v = id_str(fb, "version_bootloader")) != NULL)
		det_field(d, "Bootloader v:", A_NORMAL, "%s", v);
	if ((v = id_str(fb, "version_baseband")) != NULL)
		det_field(d, "Baseband:", A_NORMAL, "%s", v);
	x = id_num(fb, NULL, "battery_mv", &ok);
	y = id_num(fb, NULL, "battery_percent", &ok2);
	if (ok || ok2) {
		const cJSON *soc = cJSON_GetObjectItemCaseSensitive(fb,
		    "battery_soc_ok");
		int low = cJSON_IsFalse(soc);

		det_field(d, "Battery:", low ? draw_attr(DR_WARN) : A_NORMAL,
		    "%.0f%s%s", ok2 ? y : x, ok2 ? "%" : " mV",
		    low ? ", too low to flash" : "");
	}
	x = id_num(fb, NULL, "max_download_size", &ok);
	if (ok)
		det_field(d, "Max download:", A_NORMAL, "%.0f MiB",
		    x / 1048576.0);
	if ((v = id_str(fb, "snapshot_update_status")) != NULL &&
	    strcmp(v, "none") != 0)
		det_field(d, "Snapshot:", draw_attr(DR_WARN), "%s (a "
		    "virtual A/B update is pending)", v);
}

/* What the phone said about itself (adb mode), a few lines a technician
 * reads first; `droidmedic info` has everything. */
static void
det_identity(struct scr_text *d, const struct ui_dev *ud)
{
	const cJSON *id = ud->ident;
	const char *v, *w;
	int ok, ok2, fastboot;
	double x, y;

	if (ud->di.summary[0] != '\0')
		det_field(d, "Phone:", A_BOLD, "%s", ud->di.summary);
	if (id == NULL)
		return;
	if ((v = id_str(id, "model")) != NULL)
		det_field(d, "Model:", A_NORMAL, "%s%s%s%s", v,
		    id_str(id, "marketname") ? " (" : "",
		    id_str(id, "marketname") ? id_str(id, "marketname") : "",
		    id_str(id, "marketname") ? ")" : "");
	if ((v = id_str(id, "codename")) != NULL)
		det_field(d, "Codename:", A_NORMAL, "%s", v);
	w = id_str(id, "region.source");
	if ((v = id_str(id, "region.firmware")) != NULL)
		det_field(d, "Region:", A_NORMAL, "%s%s%s%s", v,
		    w ? " (from " : "", w ? w : "", w ? ")" : "");
	if ((v = id_str(id, "radio.carrier")) != NULL)
		det_field(d, "Carrier:", A_NORMAL, "%s", v);
	w = id_str(id, "build.security_patch");
	if ((v = id_str(id, "build.android")) != NULL)
		det_field(d, "Android:", A_NORMAL, "%s%s%s", v,
		    w ? ", patch " : "", w ? w : "");
	if ((v = id_str(id, "os.skin")) != NULL)
		det_field(d, "Skin:", A_NORMAL, "%s %s", v,
		    id_str(id, "os.skin_version") ?
		    id_str(id, "os.skin_version") : "");
	if ((v = id_str(id, "build.fingerprint")) != NULL)
		scr_text_para(d, 14, "Build:", v, A_NORMAL);
	w = id_str(id, "security.verified_boot");
	if ((v = id_str(id, "security.bootloader")) != NULL)
		det_field(d, "Bootloader:", strcmp(v, "unlocked") == 0 ?
		    draw_attr(DR_WARN) : A_NORMAL, "%s%s%s", v,
		    w ? ", verified boot " : "", w ? w : "");
	if ((v = id_str(id, "boot.mode")) != NULL)
		det_field(d, "Boot mode:", A_NORMAL, "%s", v);
	fastboot = (v = id_str(id, "source")) != NULL &&
	    strcmp(v, "fastboot") == 0;
	if (fastboot)	/* with its own battery line */
		det_fastboot(d, cJSON_GetObjectItemCaseSensitive(id,
		    "fastboot"));
	x = id_num(id, "battery", "percent", &ok);
	if (ok && !fastboot) {
		y = id_num(id, "battery", "temperature_c", &ok2);
		v = id_str(id, "battery.health");
		if (ok2)
			det_field(d, "Battery:", x < 20 ? draw_attr(DR_WARN) :
			    A_NORMAL, "%.0f%%, %.1f C%s%s", x, y,
			    v ? ", " : "", v ? v : "");
		else
			det_field(d, "Battery:", x < 20 ? draw_attr(DR_WARN) :
			    A_NORMAL, "%.0f%%%s%s", x, v ? ", " : "",
			    v ? v : "");
	}
	x = id_num(id, "storage", "avail_bytes", &ok);
	y = id_num(id, "storage", "size_bytes", &ok2);
	if (ok && ok2 && y > 0)
		det_field(d, "Storage:", x / y < 0.05 ? draw_attr(DR_WARN) :
		    A_NORMAL, "%.1f GB free of %.1f GB", x / 1e9, y / 1e9);
}

static void
det_device(struct ui *ui, struct scr_text *d, const struct ui_dev *ud)
{
	const struct dev_info *di = &ud->di;
	char a[64], b[64];
	int i;

	det_field(d, "Serial:", A_BOLD, "%s", di->serial[0] != '\0' ?
	    di->serial : "(none reported)");
	det_field(d, "Mode:", draw_mode_attr(di->mode), "%s%s%s",
	    dev_mode_label(di->mode), di->mode_detail[0] ? ", " : "",
	    di->mode_detail);
	det_jobs(ui, d, di->id, 1);
	if (di->mode == DEV_MODE_FASTBOOT || di->mode == DEV_MODE_FASTBOOTD) {
		/* A flash of this phone that did not finish. */
		struct ui_flash_resume r;
		const char *s = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(ud->ident, "serial"));

		if (scr_flash_journal(s != NULL && *s ? s : di->serial, &r) &&
		    scr_flash_active(ui, di->id) == 0) {
			const char *base = strrchr(r.package, '/');

			det_field(d, "Flash:", draw_attr(DR_WARN) | A_BOLD,
			    "%s stopped at line %d: F resumes it",
			    base != NULL ? base + 1 : r.package, r.line);
			if (r.error[0] != '\0')
				det_field(d, "", draw_attr(DR_WARN), "%s",
				    r.error);
		}
	}
	det_identity(d, ud);
	if (di->present && strncmp(di->adb_path, "adb-server:", 11) == 0) {
		/* Say which path is in use: the adb server's, not ours. */
		det_field(d, "State:", draw_attr(DR_OK), "connected, adb "
		    "through the running adb server (port %s)",
		    di->adb_path + 11);
	} else if (di->present) {
		det_field(d, "State:", draw_attr(DR_OK), "connected%s%s",
		    di->adb_path[0] ? ", adb over " : "", di->adb_path);
	} else {
		ui_age(a, sizeof(a), dm_now_ms() - ui_dev_gone_ms(ud));
		det_field(d, "State:", draw_attr(DR_WARN),
		    "offline %s rebooting/unplugged for %s",
		    draw_glyph(G_DASH), a);
	}
	det_field(d, "Vendor:", A_NORMAL, "%s (USB %04x:%04x)",
	    di->vendor[0] != '\0' ? di->vendor : "unknown", di->vid, di->pid);
	det_field(d, "Manufacturer:", A_NORMAL, "%s", di->manufacturer);
	det_field(d, "Product:", A_NORMAL, "%s", di->product);
	det_field(d, "Port:", A_NORMAL, "%s", di->port);
	det_field(d, "Transport:", A_NORMAL, "%s", di->transport);
	det_field(d, "Device node:", A_NORMAL, "%s", di->devnode[0] != '\0' ?
	    di->devnode : "-");
	if (di->speed_mbps > 0)
		det_field(d, "Speed:", A_NORMAL, "%s (%s%d Mbit/s)",
		    di->speed[0] != '\0' ? di->speed : "?",
		    di->speed_mbps == 1 ? "1." : "",
		    di->speed_mbps == 1 ? 5 : di->speed_mbps);
	else
		det_field(d, "Speed:", A_NORMAL, "%s",
		    di->speed[0] != '\0' ? di->speed : "unknown");
	det_field(d, "Hub depth:", A_NORMAL, "%d%s", di->hub_depth,
	    di->hub_depth == 0 ? " (straight into the computer)" : "");
	det_time(a, sizeof(a), di->first_seen_ms);
	det_time(b, sizeof(b), di->changed_ms);
	det_field(d, "First seen:", A_NORMAL, "%s", a);
	det_field(d, "Changed:", A_NORMAL, "%s", b);
	if (!di->present) {
		det_time(a, sizeof(a), ui_dev_gone_ms(ud));
		det_field(d, "Gone since:", A_NORMAL, "%s", a);
	}
	det_field(d, "Row:", A_NORMAL, "%u%s", di->id,
	    di->demo ? " (simulated demo phone)" : "");

	if (di->nproblems <= 0) {
		det_field(d, "Problems:", draw_attr(DR_OK), "none");
	} else {
		det_field(d, "Problems:", draw_attr(DR_PROBLEM), "%d",
		    di->nproblems);
		for (i = 0; i < di->nproblems && i < DEV_MAX_PROBLEMS; i++) {
			const struct dev_problem *p = &di->problems[i];
			char t[256];

			if (p->text[0] != '\0' && p->code[0] != '\0')
				snprintf(t, sizeof(t), "%s (%s)", p->text,
				    p->code);
			else
				snprintf(t, sizeof(t), "%s", p->text[0] ?
				    p->text : p->code);
			scr_text_para(d, 4, "  !", t, draw_attr(DR_PROBLEM));
			if (p->fix[0] != '\0')
				scr_text_para(d, 9, "    FIX:", p->fix,
				    draw_attr(DR_FIX));
		}
	}
	det_jobs(ui, d, di->id, 0);
}

static void
scr_details_body(struct ui *ui, struct scr_text *d, const struct ui_dev *ud)
{
	if (ud != NULL) {
		det_device(ui, d, ud);
		return;
	}
	scr_text_para(d, 0, NULL, ui->ndevs > 0 ? "No phone selected." :
	    "Details of the selected phone show here.", draw_attr(DR_DIM));
	det_jobs(ui, d, 0, 1);
	det_jobs(ui, d, 0, 0);
}

void
scr_text_pane(struct ui *ui, const struct ui_rect *r, const char *name,
    void (*body)(struct ui *, struct scr_text *, const struct ui_dev *))
{
	const struct ui_dev *ud = ui_selected(ui);
	struct scr_text d;
	char title[96];

	if (ud != NULL)
		snprintf(title, sizeof(title), " %s %s %s ", name,
		    draw_glyph(G_SEP), ud->di.serial[0] ? ud->di.serial :
		    draw_mode_short(ud->di.mode));
	else
		snprintf(title, sizeof(title), " %s ", name);
	scr_frame(ui, PANE_DETAILS, r, title);
	if (r->h < 3 || r->w < 6)
		return;

	d.y = r->y + 1;
	d.x = r->x + 2;
	d.w = r->w - 4;
	/* Count the lines first (nothing lands on screen with no rows), so
	 * the scroll position can be kept inside the text. */
	d.rows = 0;
	d.top = 0;
	d.line = 0;
	body(ui, &d, ud);
	ui->details_total = d.line;
	d.rows = r->h - 2;
	if (ui->details_top > d.line - d.rows)
		ui->details_top = d.line - d.rows;
	if (ui->details_top < 0)
		ui->details_top = 0;
	d.top = ui->details_top;
	d.line = 0;
	body(ui, &d, ud);
	if (d.line > d.rows && r->w > 20)
		draw_textf(r->y + r->h - 1, r->x + r->w - 14, 12,
		    draw_attr(DR_BORDER), " %d-%d/%d ", d.top + 1,
		    d.top + d.rows < d.line ? d.top + d.rows : d.line, d.line);
}

void
scr_details_draw(struct ui *ui, const struct ui_rect *r)
{
	scr_text_pane(ui, r, "Details", scr_details_body);
}

int
scr_details_key(struct ui *ui, enum key_action a)
{
	int page = ui->pane[PANE_DETAILS].h - 2;
	int top = ui->details_top;

	/* The bottom is found when drawing: the text and the pane may have
	 * changed since the last frame (keys come in batches). */
	if (page < 1)
		page = 1;
	switch (a) {
	case ACT_UP:
		top--;
		break;
	case ACT_DOWN:
		top++;
		break;
	case ACT_PGUP:
		top -= page;
		break;
	case ACT_PGDN:
		top += page;
		break;
	case ACT_HOME:
		top = 0;
		break;
	case ACT_END:
		top = DET_BOTTOM;
		break;
	default:
		return 0;
	}
	if (top > DET_BOTTOM)
		top = DET_BOTTOM;
	if (top < 0)
		top = 0;
	if (top == ui->details_top)
		return 0;
	ui->details_top = top;
	return UI_REDRAW;
}
