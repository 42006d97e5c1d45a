/* opts.h - the one table of command-line options and subcommands.
 *
 * It feeds getopt_long (screens/main.c), --help, and tests/regress/opts.sh,
 * which fails when an option or command is missing from --help or from
 * man/droidmedic.1. */
#ifndef DM_OPTS_H
#define DM_OPTS_H

#include <stdio.h>
#include <getopt.h>

struct opt_def {
	const char *name;	/* long name, without -- */
	int has_arg;		/* no_argument / required_argument */
	int short_opt;		/* 'v' or an OPT_ value > 255 */
	const char *arg;	/* "SECONDS", or NULL */
	const char *help;	/* one line for --help */
};

enum {
	OPT_ASCII = 256,
	OPT_NO_COLOR,
	OPT_JSON,
	OPT_WATCH,
	OPT_FOREGROUND,
	OPT_IDLE_EXIT,
	OPT_NO_USB,
	OPT_GRACE,
	OPT_FORCE,
	OPT_LOG_FILE,
	OPT_NO_AUTOSTART,
	OPT_DEMO,
	OPT_SLOT,
	OPT_SHA256,
	OPT_PRODUCT,
	OPT_CONFIRM,
	OPT_ENTRY,
	OPT_HASH,
	OPT_STEP,
	OPT_WITHOUT_BACKUP,
	OPT_ONLY,
	OPT_TO,
	OPT_FULL,
	OPT_SELECT,
	OPT_DRY_RUN,
	OPT_KEEP_DATA,
	OPT_WIPE,
	OPT_LOCK,
	OPT_CACERT,
	OPT_CONNECTIONS,
};

struct cmd_def {
	const char *name;	/* "devices", "server", "doctor" */
	const char *usage;	/* "devices [--json] [--watch]" */
	const char *help;
};

extern const struct opt_def opt_table[];	/* ends with name NULL */
extern const struct cmd_def cmd_table[];	/* ends with name NULL */

/* Build the getopt_long arrays (static storage). */
const struct option *opts_long(void);
const char *opts_short(void);
/* Print --help (fits 80x24, ends with "See droidmedic(1)."); verbose
 * explains each option on its own line. */
void opts_usage(FILE *fp, int verbose);

#endif
