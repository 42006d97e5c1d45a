/* draw.h - drawing helpers for the screens: colours (or plain attributes
 * under NO_COLOR), borders in Unicode or ASCII, and text that is clipped
 * to a width by display columns with device strings made harmless.
 * Main (UI) thread only; everything draws into stdscr. */
#ifndef DM_DRAW_H
#define DM_DRAW_H

#include <curses.h>
#include <stddef.h>

#include "dev.h"

/* What a piece of the screen is; draw_attr() turns it into attributes. */
enum draw_role {
	DR_NORMAL = 0,
	DR_TITLE,		/* the title bar */
	DR_BAR,			/* the key bar */
	DR_BAR_KEY,		/* a key name on the key bar */
	DR_BAR_ALERT,		/* "server disconnected" on the key bar */
	DR_HEADER,		/* column headings */
	DR_BORDER,
	DR_BORDER_FOCUS,
	DR_LABEL,		/* "Serial:" in the details */
	DR_SELECTED,
	DR_DIM,
	DR_OK,
	DR_WARN,
	DR_ERROR,
	DR_PROBLEM,
	DR_FIX,
	DR_MODE_ADB,
	DR_MODE_UNAUTHORIZED,
	DR_MODE_FASTBOOT,
	DR_MODE_LOWLEVEL,	/* download, EDL, MediaTek boot ROM */
	DR_MODE_RECOVERY,
	DR_MODE_DIM,		/* MTP only, offline */
	DR_COUNT_
};

enum draw_glyph {
	G_HLINE = 0, G_VLINE, G_ULCORNER, G_URCORNER, G_LLCORNER, G_LRCORNER,
	G_DASH,			/* an em dash in running text */
	G_ELLIPSIS,		/* marks text cut short */
	G_SEP,			/* a separator dot in the title bar */
	G_COUNT_
};

/* ascii: ASCII borders and punctuation; utf8: the locale's codeset is
 * UTF-8 (otherwise non-ASCII bytes are shown as '?'); color: use colour
 * pairs (call after initscr()). */
void draw_init(int ascii, int utf8, int color);
int draw_ascii(void);

attr_t draw_attr(enum draw_role r);
attr_t draw_mode_attr(enum dev_mode m);
/* Short mode names that fit the list's mode column: "adb", "edl". */
const char *draw_mode_short(enum dev_mode m);
const char *draw_glyph(enum draw_glyph g);

/* Display columns s would take (after sanitizing). */
int draw_width(const char *s);
/* Draw s at y, x in at most w columns, cut with an ellipsis when it does
 * not fit; control characters and bad UTF-8 show as '?'.  Returns the
 * columns used. */
int draw_text(int y, int x, int w, const char *s, attr_t a);
/* Same, then pad with spaces (in the same attributes) to w columns. */
void draw_fill(int y, int x, int w, const char *s, attr_t a);
/* printf into a line buffer, then draw_text(). */
int draw_textf(int y, int x, int w, attr_t a, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* How many bytes of s fit one line of w columns, breaking after a space
 * when possible; *next gets where the next line starts (spaces skipped).
 * Returns 0 only for an empty s. */
size_t draw_wrap(const char *s, int w, const char **next);

/* A box with an optional title set into its top border. */
void draw_box(int y, int x, int h, int w, const char *title, attr_t border,
    attr_t title_attr);
void draw_hline(int y, int x, int w, attr_t a);
/* A box drawn over whatever is below it (the help, a dialog): cleared
 * inside, focus-coloured border, title in the header colour. */
void draw_overlay(int y, int x, int h, int w, const char *title);

/* A dialog in the middle of the screen: its lines, and when input is not
 * NULL a "> input" line at the bottom with the cursor left after it. */
struct draw_line {
	char text[300];
	attr_t a;
};
void draw_dialog(const char *title, const struct draw_line *l, int n,
    const char *input);

#endif
