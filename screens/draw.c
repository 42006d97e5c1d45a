/* draw.c - the drawing helpers the screens share: attributes per role
 * (colour pairs, or bold/dim/reverse alone under NO_COLOR), Unicode or
 * ASCII borders, and width-aware clipping and wrapping of text.  Strings
 * from phones (serials, product names) go through the same clipping, which
 * shows control characters and broken UTF-8 as '?', so a hostile
 * descriptor cannot move the cursor.  Main (UI) thread only. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "draw.h"

static int draw_is_ascii;
static int draw_is_utf8;
static attr_t draw_attrs[DR_COUNT_];

static const char *const draw_uni[G_COUNT_] = {
	[G_HLINE] = "\xe2\x94\x80",	/* U+2500 */
	[G_VLINE] = "\xe2\x94\x82",	/* U+2502 */
	[G_ULCORNER] = "\xe2\x94\x8c",	/* U+250C */
	[G_URCORNER] = "\xe2\x94\x90",	/* U+2510 */
	[G_LLCORNER] = "\xe2\x94\x94",	/* U+2514 */
	[G_LRCORNER] = "\xe2\x94\x98",	/* U+2518 */
	[G_DASH] = "\xe2\x80\x94",	/* U+2014 */
	[G_ELLIPSIS] = "\xe2\x80\xa6",	/* U+2026 */
	[G_SEP] = "\xc2\xb7",		/* U+00B7 */
};

static const char *const draw_asc[G_COUNT_] = {
	[G_HLINE] = "-", [G_VLINE] = "|",
	[G_ULCORNER] = "+", [G_URCORNER] = "+",
	[G_LLCORNER] = "+", [G_LRCORNER] = "+",
	[G_DASH] = "-", [G_ELLIPSIS] = "~", [G_SEP] = "|",
};

enum { PAIR_GREEN = 1, PAIR_YELLOW, PAIR_CYAN, PAIR_MAGENTA, PAIR_RED,
	PAIR_BLUE, PAIR_TITLE };

void
draw_init(int ascii, int utf8, int color)
{
	attr_t *a = draw_attrs;

	draw_is_ascii = ascii || !utf8;
	draw_is_utf8 = utf8;
	memset(draw_attrs, 0, sizeof(draw_attrs));

	/* Without colour, attributes alone must tell things apart. */
	a[DR_TITLE] = A_REVERSE;
	a[DR_BAR] = A_NORMAL;
	a[DR_BAR_KEY] = A_BOLD;
	a[DR_BAR_ALERT] = A_BOLD | A_REVERSE;
	a[DR_HEADER] = A_BOLD;
	a[DR_BORDER] = A_NORMAL;
	a[DR_BORDER_FOCUS] = A_BOLD;
	a[DR_LABEL] = A_BOLD;
	a[DR_SELECTED] = A_REVERSE;
	a[DR_DIM] = A_DIM;
	a[DR_WARN] = A_BOLD;
	a[DR_ERROR] = A_BOLD;
	a[DR_PROBLEM] = A_BOLD;
	a[DR_FIX] = A_NORMAL;
	a[DR_MODE_ADB] = A_BOLD;
	a[DR_MODE_UNAUTHORIZED] = A_BOLD | A_UNDERLINE;
	a[DR_MODE_FASTBOOT] = A_BOLD;
	a[DR_MODE_LOWLEVEL] = A_BOLD | A_UNDERLINE;
	a[DR_MODE_DIM] = A_DIM;

	if (!color || !has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	init_pair(PAIR_GREEN, COLOR_GREEN, -1);
	init_pair(PAIR_YELLOW, COLOR_YELLOW, -1);
	init_pair(PAIR_CYAN, COLOR_CYAN, -1);
	init_pair(PAIR_MAGENTA, COLOR_MAGENTA, -1);
	init_pair(PAIR_RED, COLOR_RED, -1);
	init_pair(PAIR_BLUE, COLOR_BLUE, -1);
	init_pair(PAIR_TITLE, COLOR_BLACK, COLOR_CYAN);

	a[DR_TITLE] = COLOR_PAIR(PAIR_TITLE);
	a[DR_BAR_KEY] = A_BOLD | COLOR_PAIR(PAIR_CYAN);
	a[DR_BAR_ALERT] = A_BOLD | A_REVERSE | COLOR_PAIR(PAIR_RED);
	a[DR_BORDER_FOCUS] = A_BOLD | COLOR_PAIR(PAIR_CYAN);
	a[DR_OK] = COLOR_PAIR(PAIR_GREEN);
	a[DR_WARN] = COLOR_PAIR(PAIR_YELLOW);
	a[DR_ERROR] = A_BOLD | COLOR_PAIR(PAIR_RED);
	a[DR_PROBLEM] = A_BOLD | COLOR_PAIR(PAIR_RED);
	a[DR_FIX] = COLOR_PAIR(PAIR_GREEN);
	a[DR_MODE_ADB] = COLOR_PAIR(PAIR_GREEN);
	a[DR_MODE_UNAUTHORIZED] = COLOR_PAIR(PAIR_YELLOW);
	a[DR_MODE_FASTBOOT] = COLOR_PAIR(PAIR_CYAN);
	a[DR_MODE_LOWLEVEL] = COLOR_PAIR(PAIR_MAGENTA);
	a[DR_MODE_RECOVERY] = COLOR_PAIR(PAIR_BLUE);
}

int
draw_ascii(void)
{
	return draw_is_ascii;
}

attr_t
draw_attr(enum draw_role r)
{
	return (unsigned)r < DR_COUNT_ ? draw_attrs[r] : A_NORMAL;
}

attr_t
draw_mode_attr(enum dev_mode m)
{
	switch (m) {
	case DEV_MODE_ADB:
		return draw_attrs[DR_MODE_ADB];
	case DEV_MODE_UNAUTHORIZED:
		return draw_attrs[DR_MODE_UNAUTHORIZED];
	case DEV_MODE_FASTBOOT:
	case DEV_MODE_FASTBOOTD:
		return draw_attrs[DR_MODE_FASTBOOT];
	case DEV_MODE_SAMSUNG_DOWNLOAD:
	case DEV_MODE_QUALCOMM_EDL:
	case DEV_MODE_MEDIATEK_PRELOADER:
	case DEV_MODE_MEDIATEK_BROM:
		return draw_attrs[DR_MODE_LOWLEVEL];
	case DEV_MODE_RECOVERY:
	case DEV_MODE_SIDELOAD:
		return draw_attrs[DR_MODE_RECOVERY];
	case DEV_MODE_MTP_ONLY:
	case DEV_MODE_OFFLINE:
		return draw_attrs[DR_MODE_DIM];
	default:
		return A_NORMAL;
	}
}

const char *
draw_mode_short(enum dev_mode m)
{
	switch (m) {
	case DEV_MODE_ADB:			return "adb";
	case DEV_MODE_UNAUTHORIZED:		return "unauthorized";
	case DEV_MODE_RECOVERY:			return "recovery";
	case DEV_MODE_SIDELOAD:			return "sideload";
	case DEV_MODE_FASTBOOT:			return "fastboot";
	case DEV_MODE_FASTBOOTD:		return "fastbootd";
	case DEV_MODE_SAMSUNG_DOWNLOAD:		return "download";
	case DEV_MODE_QUALCOMM_EDL:		return "edl";
	case DEV_MODE_MEDIATEK_PRELOADER:	return "preloader";
	case DEV_MODE_MEDIATEK_BROM:		return "brom";
	case DEV_MODE_MTP_ONLY:			return "mtp-only";
	case DEV_MODE_OFFLINE:			return "offline";
	default:				return "unknown";
	}
}

const char *
draw_glyph(enum draw_glyph g)
{
	if ((unsigned)g >= G_COUNT_)
		return "?";
	return draw_is_ascii ? draw_asc[g] : draw_uni[g];
}

/* Decode one UTF-8 sequence from s (n bytes left); the code point, or -1
 * for a malformed one.  *len gets the bytes it used (1 when malformed). */
static long
draw_utf8_next(const unsigned char *s, size_t n, size_t *len)
{
	long cp;
	size_t need, i;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		cp = s[0] & 0x07;
	} else {
		return -1;
	}
	if (n < need + 1)
		return -1;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = need + 1;
	return cp;
}

/* One character of s: how many bytes of s it takes (*in), the columns it
 * shows in (*cols), and whether it is shown as is (1) or as '?' (0). */
static int
draw_char(const char *s, size_t n, size_t *in, int *cols)
{
	const unsigned char *u = (const unsigned char *)s;
	long cp;
	int w;

	*cols = 1;
	if (!draw_is_utf8) {
		*in = 1;
		return u[0] >= 0x20 && u[0] < 0x7f;
	}
	cp = draw_utf8_next(u, n, in);
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if (cp < 0x7f)
		return 1;
	/* Invisible controls that could reorder or hide text. */
	if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff)
		return 0;
	w = wcwidth((wchar_t)cp);
	if (w < 0)
		return 0;
	*cols = w;
	return 1;
}

/* Copy as much of s as fits in w columns into out (sanitized, always
 * NUL-terminated); columns in *cols; returns bytes of s consumed. */
static size_t
draw_clean(const char *s, int w, char *out, size_t outlen, int *cols)
{
	size_t n = strlen(s), pos = 0, o = 0;
	int c = 0;

	while (pos < n) {
		size_t in;
		int cw, show = draw_char(s + pos, n - pos, &in, &cw);

		if (c + cw > w)
			break;
		if (show) {
			if (o + in + 1 > outlen)
				break;
			memcpy(out + o, s + pos, in);
			o += in;
		} else {
			if (o + 2 > outlen)
				break;
			out[o++] = '?';
		}
		c += cw;
		pos += in;
	}
	out[o] = '\0';
	*cols = c;
	return pos;
}

int
draw_width(const char *s)
{
	size_t n = strlen(s), pos = 0, in;
	int total = 0, cw;

	while (pos < n) {
		draw_char(s + pos, n - pos, &in, &cw);
		total += cw;
		pos += in;
	}
	return total;
}

int
draw_text(int y, int x, int w, const char *s, attr_t a)
{
	char buf[1024];
	const char *ell;
	int cols, ew;
	size_t used;

	if (w <= 0 || s == NULL)
		return 0;
	used = draw_clean(s, w, buf, sizeof(buf), &cols);
	if (s[used] != '\0') {
		/* Cut: make room for the ellipsis. */
		ell = draw_glyph(G_ELLIPSIS);
		ew = draw_width(ell);
		used = draw_clean(s, w - ew, buf, sizeof(buf), &cols);
		if (strlen(buf) + strlen(ell) < sizeof(buf)) {
			strcat(buf, ell);
			cols += ew;
		}
	}
	attrset(a);
	mvaddstr(y, x, buf);
	attrset(A_NORMAL);
	return cols;
}

void
draw_fill(int y, int x, int w, const char *s, attr_t a)
{
	int used = draw_text(y, x, w, s, a);

	if (used < w) {
		attrset(a);
		mvhline(y, x + used, ' ', w - used);
		attrset(A_NORMAL);
	}
}

int
draw_textf(int y, int x, int w, attr_t a, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return draw_text(y, x, w, line, a);
}

size_t
draw_wrap(const char *s, int w, const char **next)
{
	size_t n = strlen(s), pos = 0, brk = 0, in = 1;
	int c = 0, cw;

	if (w < 1)
		w = 1;
	while (pos < n) {
		if (s[pos] == '\n') {
			*next = s + pos + 1;
			return pos;
		}
		draw_char(s + pos, n - pos, &in, &cw);
		if (c + cw > w)
			break;
		c += cw;
		pos += in;
		if (s[pos - in] == ' ')
			brk = pos;
	}
	if (pos < n && brk > 0)
		pos = brk;
	else if (pos == 0 && n > 0)
		pos = in;	/* one character wider than the line */
	*next = s + pos;
	while (**next == ' ')
		(*next)++;
	/* Do not count the space we broke after. */
	while (pos > 0 && s[pos - 1] == ' ' && s[pos] != '\0')
		pos--;
	return pos;
}

void
draw_hline(int y, int x, int w, attr_t a)
{
	const char *g = draw_glyph(G_HLINE);
	int i;

	attrset(a);
	move(y, x);
	for (i = 0; i < w; i++)
		addstr(g);
	attrset(A_NORMAL);
}

void
draw_box(int y, int x, int h, int w, const char *title, attr_t border,
    attr_t title_attr)
{
	int i;

	if (h < 2 || w < 2)
		return;
	draw_hline(y, x + 1, w - 2, border);
	draw_hline(y + h - 1, x + 1, w - 2, border);
	attrset(border);
	mvaddstr(y, x, draw_glyph(G_ULCORNER));
	mvaddstr(y, x + w - 1, draw_glyph(G_URCORNER));
	mvaddstr(y + h - 1, x, draw_glyph(G_LLCORNER));
	mvaddstr(y + h - 1, x + w - 1, draw_glyph(G_LRCORNER));
	for (i = 1; i < h - 1; i++) {
		mvaddstr(y + i, x, draw_glyph(G_VLINE));
		mvaddstr(y + i, x + w - 1, draw_glyph(G_VLINE));
	}
	attrset(A_NORMAL);
	if (title != NULL && *title != '\0' && w > 6)
		draw_text(y, x + 2, w - 4, title, title_attr);
}

void
draw_overlay(int y, int x, int h, int w, const char *title)
{
	attrset(A_NORMAL);
	for (int i = 0; i < h; i++)
		mvhline(y + i, x, ' ', w);
	draw_box(y, x, h, w, title, draw_attr(DR_BORDER_FOCUS),
	    draw_attr(DR_HEADER));
}

void
draw_dialog(const char *title, const struct draw_line *l, int n,
    const char *input)
{
	int w = 0, h, y, x, i, in = input != NULL;

	for (i = 0; i < n; i++)
		if (draw_width(l[i].text) > w)
			w = draw_width(l[i].text);
	w += 6;
	if (w < 40)
		w = 40;
	if (w > COLS - 2)
		w = COLS - 2;
	h = n + 2 + in;		/* borders, and the input line */
	if (h > LINES - 2)
		h = LINES - 2;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	if (w < 10 || h < 4)
		return;
	draw_overlay(y, x, h, w, title);
	for (i = 0; i < n && i < h - 2 - in; i++)
		draw_text(y + 1 + i, x + 3, w - 6, l[i].text, l[i].a);
	if (in) {
		i = draw_text(y + h - 2, x + 3, w - 6, "> ", A_BOLD);
		i += draw_text(y + h - 2, x + 3 + i, w - 6 - i, input, A_BOLD);
		move(y + h - 2, x + 3 + i);
	}
}
