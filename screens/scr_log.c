/* scr_log.c - the log pane: the server's warnings and errors, job output
 * and what the dashboard itself noticed (phones coming and going, the
 * server connection), newest at the bottom.  It follows new lines until
 * the user scrolls back, and stays put while scrolled.  Main (UI) thread. */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "draw.h"
#include "log.h"
#include "scr.h"

static int
scr_log_rows(const struct ui *ui)
{
	int n = ui->pane[PANE_LOG].h - 2;

	return n > 0 ? n : 0;
}

static int
scr_log_max_back(const struct ui *ui)
{
	int m = ui->log_count - scr_log_rows(ui);

	return m > 0 ? m : 0;
}

static attr_t
scr_log_attr(int level)
{
	switch (level) {
	case LOG_ERR:
		return draw_attr(DR_ERROR);
	case LOG_WARN:
		return draw_attr(DR_WARN);
	case LOG_DEBUG:
		return draw_attr(DR_DIM);
	default:
		return A_NORMAL;
	}
}

void
scr_log_draw(struct ui *ui, const struct ui_rect *r)
{
	static const char lv[] = "EWID";
	char title[64], line[320], ts[16];
	int rows, first, i;

	if (ui->log_back > scr_log_max_back(ui))
		ui->log_back = scr_log_max_back(ui);
	if (ui->log_back > 0)
		snprintf(title, sizeof(title),
		    " Log %s %d back, End follows ", draw_glyph(G_SEP),
		    ui->log_back);
	else
		snprintf(title, sizeof(title), " Log ");
	scr_frame(ui, PANE_LOG, r, title);
	rows = r->h - 2;
	if (rows <= 0 || r->w < 6)
		return;
	first = ui->log_count - rows - ui->log_back;
	if (first < 0)
		first = 0;
	for (i = 0; i < rows && first + i < ui->log_count; i++) {
		const struct ui_logline *l = ui_log_at(ui, first + i);
		time_t t = (time_t)(l->ms / 1000);
		struct tm tm;
		int lvl = l->level >= 0 && l->level <= 3 ? l->level : 2;

		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		snprintf(line, sizeof(line), "%s %c %s: %s", ts, lv[lvl],
		    l->module, l->text);
		draw_text(r->y + 1 + i, r->x + 2, r->w - 4, line,
		    scr_log_attr(lvl));
	}
}

int
scr_log_key(struct ui *ui, enum key_action a)
{
	int back = ui->log_back, page = scr_log_rows(ui);

	if (page < 1)
		page = 1;
	switch (a) {
	case ACT_UP:
		back++;
		break;
	case ACT_DOWN:
		back--;
		break;
	case ACT_PGUP:
		back += page;
		break;
	case ACT_PGDN:
		back -= page;
		break;
	case ACT_HOME:
		back = scr_log_max_back(ui);
		break;
	case ACT_END:
		back = 0;
		break;
	default:
		return 0;
	}
	if (back > scr_log_max_back(ui))
		back = scr_log_max_back(ui);
	if (back < 0)
		back = 0;
	if (back == ui->log_back)
		return 0;
	ui->log_back = back;
	return UI_REDRAW;
}
