/* scr_help.c - the `?` overlay: the key table (keys.c) listed by action,
 * so what the help says is what dispatch does, plus how the filter prompt
 * behaves.  Drawn over the panes; scrolls when the terminal is too short.
 * Main (UI) thread. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "scr.h"

#define HELP_MAX_LINES	48

struct help_line {
	char keys[48];
	const char *text;
};

static const char *const help_tail[] = {
	"",
	"In the / prompt: type to narrow the list, Backspace deletes,",
	"Ctrl-U empties it, Enter keeps the filter, Esc clears it.",
	"Quitting leaves the bench server and its jobs running.",
};

static int
scr_help_lines(struct help_line *hl, int max, int *keyw)
{
	int i = 0, n = 0;
	size_t t;
	const char *help;

	*keyw = 0;
	while (n < max && keys_next_group(&i, hl[n].keys, sizeof(hl[n].keys),
	    &help)) {
		int w = draw_width(hl[n].keys);

		hl[n].text = help;
		if (w > *keyw)
			*keyw = w;
		n++;
	}
	for (t = 0; t < sizeof(help_tail) / sizeof(help_tail[0]) && n < max;
	    t++, n++) {
		hl[n].keys[0] = '\0';
		hl[n].text = help_tail[t];
	}
	return n;
}

static int
scr_help_rows(void)
{
	int rows = LINES - 3;	/* box borders, and the key bar below */

	return rows > 1 ? rows : 1;
}

void
scr_help_draw(struct ui *ui)
{
	struct help_line hl[HELP_MAX_LINES];
	int n, keyw, textw = 0, w, h, y, x, i, rows;
	char footer[64];

	n = scr_help_lines(hl, HELP_MAX_LINES, &keyw);
	for (i = 0; i < n; i++) {
		int tw = draw_width(hl[i].text) + (hl[i].keys[0] ?
		    keyw + 2 : 0);

		if (tw > textw)
			textw = tw;
	}
	w = textw + 6;
	if (w > COLS - 2)
		w = COLS - 2;
	rows = scr_help_rows();
	if (ui->help_top > n - rows)
		ui->help_top = n - rows;
	if (ui->help_top < 0)
		ui->help_top = 0;
	h = (n < rows ? n : rows) + 2;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	if (w < 10 || h < 3)
		return;

	draw_overlay(y, x, h, w, " Keys ");
	for (i = 0; i < h - 2 && ui->help_top + i < n; i++) {
		const struct help_line *l = &hl[ui->help_top + i];
		int cx = x + 3;

		if (l->keys[0] != '\0') {
			draw_text(y + 1 + i, cx, keyw, l->keys,
			    draw_attr(DR_BAR_KEY));
			cx += keyw + 2;
		}
		draw_text(y + 1 + i, cx, x + w - 2 - cx, l->text, A_NORMAL);
	}
	snprintf(footer, sizeof(footer), " Esc, q or ? closes%s ",
	    n > rows ? "; Up/Down scroll" : "");
	draw_text(y + h - 1, x + 2, w - 4, footer, draw_attr(DR_BORDER_FOCUS));
}

int
scr_help_key(struct ui *ui, int key, enum key_action a)
{
	if (key == 'q' || a == ACT_CLEAR || a == ACT_HELP || a == ACT_ENTER) {
		ui->help_open = 0;
		return UI_REDRAW;
	}
	switch (a) {
	case ACT_QUIT:		/* F10 quits from anywhere */
		return UI_QUIT;
	case ACT_REDRAW:
		return UI_REDRAW;
	case ACT_UP:
		ui->help_top--;
		return UI_REDRAW;
	case ACT_DOWN:
		ui->help_top++;
		return UI_REDRAW;
	case ACT_PGUP:
	case ACT_HOME:
		ui->help_top = 0;
		return UI_REDRAW;
	case ACT_PGDN:
	case ACT_END:
		ui->help_top = HELP_MAX_LINES;	/* clamped when drawn */
		return UI_REDRAW;
	default:
		return 0;
	}
}
