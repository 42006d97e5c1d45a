/* scr_devices.c - the device list pane: one row per phone on the bench
 * (mode, serial, vendor and product, port, speed, first problem), the
 * selection, and the empty state that tells a technician what to do when
 * nothing shows up.  Columns fit 80 columns and widen on big terminals.
 * Reads struct ui; the main (UI) thread draws it. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "draw.h"
#include "scr.h"

/* Column widths; 0 means the column is left out on a narrow screen. */
struct scr_cols {
	int mode, serial, device, port, speed, problem;
};

static void
scr_devices_cols(int iw, struct scr_cols *c)
{
	int extra, add;

	c->mode = 12;
	c->serial = 14;
	c->port = 10;
	c->speed = 5;
	c->problem = 15;
	/* lead column, five separators, a margin on the right */
	c->device = iw - 1 - 5 - 1 - c->mode - c->serial - c->port -
	    c->speed - c->problem;
	if (c->device >= 15) {
		extra = c->device - 15;
		c->device = 15 + extra / 2;
		extra -= extra / 2;
		add = extra / 3 < 10 ? extra / 3 : 10;
		c->serial += add;
		extra -= add;
		add = extra / 2 < 8 ? extra / 2 : 8;
		c->port += add;
		extra -= add;
		c->problem += extra;
		return;
	}
	/* Narrow: give up speed, then port, then shrink the problem. */
	if (c->device < 10) {
		c->device += c->speed + 1;
		c->speed = 0;
	}
	if (c->device < 10) {
		c->device += c->port + 1;
		c->port = 0;
	}
	if (c->device < 10 && c->problem > 3) {
		c->device += c->problem - 3;
		c->problem = 3;
	}
	if (c->device < 1)
		c->device = 1;
	/* Tiny terminals: squeeze serial and mode until the row fits. */
	extra = 1 + c->mode + 1 + c->serial + 1 + c->device + c->problem -
	    (iw - 1);
	add = extra < c->serial - 4 ? extra : c->serial - 4;
	if (add > 0) {
		c->serial -= add;
		extra -= add;
	}
	add = extra < c->mode - 3 ? extra : c->mode - 3;
	if (add > 0)
		c->mode -= add;
}

/* "Xiaomi Redmi Note 8": vendor and product without saying a word twice. */
static void
scr_devices_name(char *buf, size_t len, const struct dev_info *di)
{
	const char *v = di->vendor[0] != '\0' ? di->vendor : di->manufacturer;
	const char *demo = di->demo ? "DEMO " : "";
	size_t vl = strlen(v);

	/* What the phone said about itself beats what USB says. */
	if (di->summary[0] != '\0')
		snprintf(buf, len, "%s%s", demo, di->summary);
	else if (di->product[0] == '\0' && v[0] == '\0' && di->vid == 0)
		snprintf(buf, len, "%s%s", demo, strcmp(di->transport,
		    "usb") == 0 ? "(unknown)" : "network phone");
	else if (di->product[0] == '\0' && v[0] == '\0')
		snprintf(buf, len, "%04x:%04x", di->vid, di->pid);
	else if (di->product[0] == '\0')
		snprintf(buf, len, "%s", v);
	else if (v[0] == '\0' || (strncasecmp(di->product, v, vl) == 0))
		snprintf(buf, len, "%s", di->product);
	else
		snprintf(buf, len, "%s %s", v, di->product);
}

/* "! no permission", "! busy +1" */
static void
scr_devices_problem(char *buf, size_t len, const struct dev_info *di)
{
	char code[sizeof(di->problems[0].code)];
	char *p;

	buf[0] = '\0';
	if (di->nproblems <= 0)
		return;
	snprintf(code, sizeof(code), "%s", di->problems[0].code);
	for (p = code; *p != '\0'; p++)
		if (*p == '-' || *p == '_')
			*p = ' ';
	if (di->nproblems > 1)
		snprintf(buf, len, "! %s +%d", code, di->nproblems - 1);
	else
		snprintf(buf, len, "! %s", code);
}

static int
scr_devices_rows(const struct ui_rect *r)
{
	int n = r->h - 3;	/* borders and the heading */

	return n > 0 ? n : 0;
}

/* The friendly text shown while the bench is empty. */
static void
scr_devices_empty(struct ui *ui, const struct ui_rect *r)
{
	char line[256];
	const char *s, *next;
	int y = r->y + 2, w = r->w - 4, last = r->y + r->h - 2;
	size_t n;

	if (ui->filter[0] != '\0' && ui->ndevs > 0) {
		snprintf(line, sizeof(line),
		    "No phone matches \"%s\". Esc clears the filter.",
		    ui->filter);
		s = line;
	} else {
		s = "No phones yet. Plug one in (USB debugging on), or run "
		    "`droidmedic doctor` if it does not show up.";
	}
	for (; *s != '\0' && y <= last; y++, s = next) {
		char part[256];

		n = draw_wrap(s, w, &next);
		if (n >= sizeof(part))
			n = sizeof(part) - 1;
		memcpy(part, s, n);
		part[n] = '\0';
		draw_text(y, r->x + 2, w, part, A_NORMAL);
	}
	if (ui->filter[0] != '\0' && ui->ndevs > 0)
		return;
	y++;
	if (y > last)
		return;
	if (!ui->connected)
		draw_text(y, r->x + 2, w, "Not connected to the bench server.",
		    draw_attr(DR_WARN));
	else if (!ui->usb_known)
		return;
	else if (!ui->usb_ok)
		draw_textf(y, r->x + 2, w, draw_attr(DR_WARN),
		    "USB unavailable: %s", ui->usb_error[0] != '\0' ?
		    ui->usb_error : "unknown reason");
	else
		draw_text(y, r->x + 2, w, ui->usb_hotplug ? "USB: hotplug" :
		    "USB: polling (no hotplug)", draw_attr(DR_OK));
}

static void
scr_devices_row(struct ui *ui, const struct ui_dev *d, int y, int x,
    const struct scr_cols *c, int selected)
{
	const struct dev_info *di = &d->di;
	attr_t base = A_NORMAL, ma;
	char buf[256], age[32], name[160];
	int cx = x, span;

	if (selected && ui->focus == PANE_DEVICES)
		base = draw_attr(DR_SELECTED);
	else if (!di->present)
		base = draw_attr(DR_DIM);
	span = 1 + c->mode + 1 + c->serial + 1 + c->device +
	    (c->port ? c->port + 1 : 0) + (c->speed ? c->speed + 1 : 0) +
	    c->problem;
	attrset(base);
	mvhline(y, x, ' ', span);
	attrset(A_NORMAL);

	draw_text(y, cx, 1, selected ? ">" : " ", base | A_BOLD);
	cx += 1;
	ma = di->present ? draw_mode_attr(di->mode) :
	    draw_mode_attr(DEV_MODE_OFFLINE);
	draw_text(y, cx, c->mode, di->present ? draw_mode_short(di->mode) :
	    "offline", base | ma);
	cx += c->mode + 1;
	draw_text(y, cx, c->serial, di->serial[0] != '\0' ? di->serial :
	    "(no serial)", base);
	cx += c->serial + 1;
	scr_devices_name(name, sizeof(name), di);

	if (!di->present) {
		/* The row stays so the phone is found again after a reboot. */
		ui_age(age, sizeof(age), dm_now_ms() - ui_dev_gone_ms(d));
		snprintf(buf, sizeof(buf), "%s rebooting/unplugged for %s %s "
		    "%s %s %s", draw_glyph(G_DASH), age, draw_glyph(G_SEP),
		    di->port, draw_glyph(G_SEP), name);
		draw_text(y, cx, x + span - cx, buf, base);
		return;
	}
	draw_text(y, cx, c->device, name, base);
	cx += c->device + 1;
	if (c->port) {
		const char *p = di->port;

		/* "usb:1-2.3" reads better as "1-2.3" in a narrow column. */
		if (strncmp(p, "usb:", 4) == 0)
			p += 4;
		draw_text(y, cx, c->port, p, base);
		cx += c->port + 1;
	}
	if (c->speed) {
		ui_speed(buf, sizeof(buf), di);
		draw_text(y, cx, c->speed, buf, base);
		cx += c->speed + 1;
	}
	scr_devices_problem(buf, sizeof(buf), di);
	draw_text(y, cx, c->problem, buf, base | draw_attr(DR_PROBLEM));
}

void
scr_devices_draw(struct ui *ui, const struct ui_rect *r)
{
	struct scr_cols c;
	char title[128];
	int rows, i, pos, x, cx;

	if (ui->filter[0] != '\0')
		snprintf(title, sizeof(title), " Devices %d/%d %s filter: %s ",
		    ui->nvis, ui->ndevs, draw_glyph(G_SEP), ui->filter);
	else
		snprintf(title, sizeof(title), " Devices (%d) ", ui->ndevs);
	scr_frame(ui, PANE_DEVICES, r, title);
	if (r->h < 3 || r->w < 10)
		return;
	if (ui->nvis == 0) {
		scr_devices_empty(ui, r);
		return;
	}

	scr_devices_cols(r->w - 2, &c);
	x = r->x + 1;
	cx = x + 1;
	draw_text(r->y + 1, cx, c.mode, "MODE", draw_attr(DR_HEADER));
	cx += c.mode + 1;
	draw_text(r->y + 1, cx, c.serial, "SERIAL", draw_attr(DR_HEADER));
	cx += c.serial + 1;
	draw_text(r->y + 1, cx, c.device, "DEVICE", draw_attr(DR_HEADER));
	cx += c.device + 1;
	if (c.port) {
		draw_text(r->y + 1, cx, c.port, "PORT", draw_attr(DR_HEADER));
		cx += c.port + 1;
	}
	if (c.speed) {
		draw_text(r->y + 1, cx, c.speed, "SPEED",
		    draw_attr(DR_HEADER));
		cx += c.speed + 1;
	}
	if (c.problem >= 7)
		draw_text(r->y + 1, cx, c.problem, "PROBLEM",
		    draw_attr(DR_HEADER));

	/* Keep the selection in view. */
	rows = scr_devices_rows(r);
	pos = ui_selected_pos(ui);
	if (pos >= 0 && pos < ui->list_top)
		ui->list_top = pos;
	if (pos >= 0 && pos >= ui->list_top + rows)
		ui->list_top = pos - rows + 1;
	if (ui->list_top > ui->nvis - rows)
		ui->list_top = ui->nvis - rows;
	if (ui->list_top < 0)
		ui->list_top = 0;

	for (i = 0; i < rows && ui->list_top + i < ui->nvis; i++) {
		int k = ui->list_top + i;

		scr_devices_row(ui, &ui->devs[ui->vis[k]], r->y + 2 + i, x, &c,
		    k == pos);
	}
	/* More rows than fit: say so in the bottom border. */
	if (ui->nvis > rows && r->w > 20)
		draw_textf(r->y + r->h - 1, r->x + r->w - 14, 12,
		    draw_attr(DR_BORDER), " %d-%d/%d ", ui->list_top + 1,
		    ui->list_top + i, ui->nvis);
}

int
scr_devices_key(struct ui *ui, enum key_action a)
{
	int pos = ui_selected_pos(ui);
	int page = scr_devices_rows(&ui->pane[PANE_DEVICES]);

	if (page < 1)
		page = 1;
	switch (a) {
	case ACT_UP:
		ui_select_pos(ui, pos - 1);
		break;
	case ACT_DOWN:
		ui_select_pos(ui, pos + 1);
		break;
	case ACT_PGUP:
		ui_select_pos(ui, pos - page);
		break;
	case ACT_PGDN:
		ui_select_pos(ui, pos + page);
		break;
	case ACT_HOME:
		ui_select_pos(ui, 0);
		break;
	case ACT_END:
		ui_select_pos(ui, ui->nvis - 1);
		break;
	case ACT_ENTER:
		if (ui_selected(ui) == NULL)
			return 0;
		ui->focus = PANE_DETAILS;
		ui->details_top = 0;
		break;
	default:
		return 0;
	}
	return UI_REDRAW;
}
