/* keys.h - the dashboard's one key table.
 *
 * Every key the dashboard answers to in its normal state is a row of
 * keys_table: the dispatch in ui.c, the `?` screen, the hints on the key
 * bar and the KEYS section of droidmedic(1) are all generated from it.
 * Several rows may share an action (j and Down); the first row of a run
 * carries the help text and the rows right after it with help NULL are
 * its aliases.  The filter prompt and the help screen read raw keys on
 * top of this (typing text, closing the overlay). */
#ifndef DM_KEYS_H
#define DM_KEYS_H

#include <stddef.h>
#include <stdio.h>

enum key_action {
	ACT_NONE = 0,
	ACT_UP,
	ACT_DOWN,
	ACT_PGUP,
	ACT_PGDN,
	ACT_HOME,
	ACT_END,
	ACT_ENTER,		/* focus the details of the selected phone */
	ACT_NEXT_PANE,
	ACT_PREV_PANE,
	ACT_FILTER,
	ACT_CLEAR,		/* Esc: clear the filter, leave a pane */
	ACT_DIAGNOSE,		/* d: run the rules on the selected phone */
	ACT_FIX,		/* f: run the selected finding's plan */
	ACT_VIEW,		/* v: details or findings in the lower pane */
	ACT_STEP,		/* s: f runs the plan, or one step alone */
	ACT_BACKUP,		/* b: back the selected phone up */
	ACT_RESTORE,		/* r: restore the backup selected */
	ACT_FLASH,		/* F: flash a firmware package */
	ACT_HELP,
	ACT_REDRAW,
	ACT_QUIT,
};

struct key_def {
	int key;		/* a character or an ncurses KEY_ code */
	enum key_action action;
	const char *help;	/* NULL: an alias of the row above */
};

/* Ends with a row whose key is 0. */
extern const struct key_def keys_table[];

/* The action bound to key, or ACT_NONE. */
enum key_action keys_action(int key);

/* What a user would call the key: "Up", "PgDn", "F10", "Ctrl-L", "q".
 * NULL for keys that are not worth listing (the second code some
 * terminals send for Enter). */
const char *keys_name(int key, char *buf, size_t len);

/* Walk the table by action: from row *i, put the names of the run's keys
 * ("Down, j") into names and its help into *help, advance *i past the
 * run; 0 at the end of the table. */
int keys_next_group(int *i, char *names, size_t len, const char **help);

/* The first listed key bound to a action ("?" for ACT_HELP), for the key
 * bar; NULL if none.  A short word for the action ("help") for the same
 * bar. */
const char *keys_first(enum key_action a, char *buf, size_t len);
const char *keys_action_word(enum key_action a);

/* 0 when no key appears twice; otherwise -1 with the key named in err. */
int keys_check(char *err, size_t len);

/* The KEYS section body of the man page: one .TP entry per group. */
void keys_print_man(FILE *fp);

#endif
