/* keys.c - the key table and what is derived from it: lookup for the
 * dispatch in ui.c, key names and groups for the `?` screen and the key
 * bar, the duplicate check ui_run() does before it starts, and the KEYS
 * section of the man page.  Pure data and string work; the main (UI)
 * thread calls it. */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"

#define CTRL_KEY(c)	((c) & 0x1f)
#define ESC_KEY		27

/* Keep a help line under 56 columns: the `?` screen must fit 80x24. */
const struct key_def keys_table[] = {
	{ KEY_UP, ACT_UP, "Move up (or scroll the focused pane)" },
	{ 'k', ACT_UP, NULL },
	{ KEY_DOWN, ACT_DOWN, "Move down (or scroll the focused pane)" },
	{ 'j', ACT_DOWN, NULL },
	{ KEY_PPAGE, ACT_PGUP, "One page up" },
	{ KEY_NPAGE, ACT_PGDN, "One page down" },
	{ KEY_HOME, ACT_HOME, "To the top" },
	{ 'g', ACT_HOME, NULL },
	{ KEY_END, ACT_END, "To the bottom; the log follows new lines" },
	{ 'G', ACT_END, NULL },
	{ '\n', ACT_ENTER, "Focus the details of the selected phone" },
	{ '\r', ACT_ENTER, NULL },
	{ KEY_ENTER, ACT_ENTER, NULL },
	{ '\t', ACT_NEXT_PANE, "Next pane: devices, details, log" },
	{ KEY_BTAB, ACT_PREV_PANE, "Previous pane" },
	{ '/', ACT_FILTER, "Filter by serial, port, vendor, product, mode" },
	{ 'd', ACT_DIAGNOSE, "Diagnose the selected phone (read it, or its row)" },
	{ 'f', ACT_FIX, "Fix the selected finding: plan, confirm, run" },
	{ 's', ACT_STEP, "Pick what f runs: the plan, or one step alone" },
	{ 'b', ACT_BACKUP, "Back the selected phone up: pick what, Enter" },
	{ 'r', ACT_RESTORE, "Restore the backup selected in the backups view" },
	{ 'F', ACT_FLASH, "Flash a ROM package (phone in fastboot)" },
	{ 'v', ACT_VIEW, "Lower pane: details, findings or backups" },
	{ ESC_KEY, ACT_CLEAR, "Clear the filter; back to the device list" },
	{ '?', ACT_HELP, "This help" },
	{ KEY_F(1), ACT_HELP, NULL },
	{ CTRL_KEY('l'), ACT_REDRAW, "Redraw the screen" },
	{ 'q', ACT_QUIT, "Quit (the server and its jobs keep running)" },
	{ KEY_F(10), ACT_QUIT, NULL },
	{ 0, ACT_NONE, NULL }
};

/* Words for the key bar, indexed by action. */
static const char *const keys_words[] = {
	[ACT_UP] = "up",
	[ACT_DOWN] = "down",
	[ACT_PGUP] = "page up",
	[ACT_PGDN] = "page down",
	[ACT_HOME] = "top",
	[ACT_END] = "bottom",
	[ACT_ENTER] = "details",
	[ACT_NEXT_PANE] = "pane",
	[ACT_PREV_PANE] = "back",
	[ACT_FILTER] = "filter",
	[ACT_CLEAR] = "clear",
	[ACT_DIAGNOSE] = "diagnose",
	[ACT_FIX] = "fix",
	[ACT_VIEW] = "view",
	[ACT_STEP] = "step",
	[ACT_BACKUP] = "backup",
	[ACT_RESTORE] = "restore",
	[ACT_FLASH] = "flash",
	[ACT_HELP] = "help",
	[ACT_REDRAW] = "redraw",
	[ACT_QUIT] = "quit",
};

enum key_action
keys_action(int key)
{
	const struct key_def *k;

	for (k = keys_table; k->key != 0; k++)
		if (k->key == key)
			return k->action;
	return ACT_NONE;
}

const char *
keys_name(int key, char *buf, size_t len)
{
	static const struct {
		int key;
		const char *name;
	} named[] = {
		{ KEY_UP, "Up" }, { KEY_DOWN, "Down" }, { KEY_LEFT, "Left" },
		{ KEY_RIGHT, "Right" }, { KEY_PPAGE, "PgUp" },
		{ KEY_NPAGE, "PgDn" }, { KEY_HOME, "Home" },
		{ KEY_END, "End" }, { '\n', "Enter" }, { '\t', "Tab" },
		{ KEY_BTAB, "Shift-Tab" }, { ESC_KEY, "Esc" },
		{ ' ', "Space" },
		{ KEY_BACKSPACE, "Backspace" }, { KEY_DC, "Delete" },
		{ '\r', NULL }, { KEY_ENTER, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (named[i].key == key)
			return named[i].name;
	if (key >= KEY_F(1) && key <= KEY_F(24))
		snprintf(buf, len, "F%d", key - KEY_F(0));
	else if (key > 0 && key < 32)
		snprintf(buf, len, "Ctrl-%c", key + 'A' - 1);
	else if (key > 32 && key < 127)
		snprintf(buf, len, "%c", key);
	else
		snprintf(buf, len, "key %d", key);
	return buf;
}

int
keys_next_group(int *i, char *names, size_t len, const char **help)
{
	const struct key_def *k = &keys_table[*i];
	size_t used = 0;
	char nb[16];

	if (k->key == 0)
		return 0;
	names[0] = '\0';
	*help = k->help != NULL ? k->help : "";
	do {
		const char *n = keys_name(k->key, nb, sizeof(nb));

		if (n != NULL && used < len) {
			int w = snprintf(names + used, len - used, "%s%s",
			    used > 0 ? ", " : "", n);

			if (w > 0)
				used += (size_t)w;
		}
		k++;
	} while (k->key != 0 && k->help == NULL);
	*i = (int)(k - keys_table);
	return 1;
}

const char *
keys_first(enum key_action a, char *buf, size_t len)
{
	const struct key_def *k;

	for (k = keys_table; k->key != 0; k++) {
		if (k->action == a) {
			const char *n = keys_name(k->key, buf, len);

			if (n != NULL)
				return n;
		}
	}
	return NULL;
}

const char *
keys_action_word(enum key_action a)
{
	if ((size_t)a < sizeof(keys_words) / sizeof(keys_words[0]) &&
	    keys_words[a] != NULL)
		return keys_words[a];
	return "";
}

int
keys_check(char *err, size_t len)
{
	const struct key_def *a, *b;
	char nb[16];

	for (a = keys_table; a->key != 0; a++) {
		for (b = a + 1; b->key != 0; b++) {
			if (a->key == b->key) {
				const char *n = keys_name(a->key, nb,
				    sizeof(nb));

				snprintf(err, len, "key %s is bound twice",
				    n != NULL ? n : "?");
				return -1;
			}
		}
		if (a == keys_table && a->help == NULL) {
			snprintf(err, len, "the first key has no help");
			return -1;
		}
	}
	return 0;
}

/* Print s for troff: a backslash and a hyphen need escaping. */
static void
keys_troff(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", fp);
		else if (*s == '-')
			fputs("\\-", fp);
		else
			fputc(*s, fp);
	}
}

void
keys_print_man(FILE *fp)
{
	const struct key_def *k = keys_table;
	char nb[16];

	while (k->key != 0) {
		const char *help = k->help != NULL ? k->help : "";
		int first = 1;

		/* The first entry sets a tag width the longest name fits. */
		fputs(k == keys_table ? ".TP 12\n" : ".TP\n", fp);
		do {
			const char *n = keys_name(k->key, nb, sizeof(nb));

			if (n != NULL) {
				fputs(first ? "\\fB" : ", \\fB", fp);
				keys_troff(fp, n);
				fputs("\\fR", fp);
				first = 0;
			}
			k++;
		} while (k->key != 0 && k->help == NULL);
		fputc('\n', fp);
		keys_troff(fp, help);
		fputs(".\n", fp);
	}
}
