/* opts.c - the option and command tables, and --help built from them. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "opts.h"

const struct opt_def opt_table[] = {
	{ "help",	 no_argument,	    'h', NULL, "show this help and exit" },
	{ "version",	 no_argument,	    'V', NULL,
	    "show versions (ours and the libraries') and exit" },
	{ "verbose",	 no_argument,	    'v', NULL,
	    "log more (repeat for debug)" },
	{ "serial",	 required_argument, 's', "SERIAL",
	    "the phone: serial, usb:PORT, tcp:HOST:PORT, HOST:PORT or "
	    "adb-server:PORT:SERIAL" },
	{ "ascii",	 no_argument,	    OPT_ASCII, NULL,
	    "draw borders with ASCII characters" },
	{ "no-color",	 no_argument,	    OPT_NO_COLOR, NULL,
	    "no colours (also when NO_COLOR is set)" },
	{ "json",	 no_argument,	    OPT_JSON, NULL,
	    "print JSON instead of text" },
	{ "watch",	 no_argument,	    OPT_WATCH, NULL,
	    "devices: keep printing changes until interrupted" },
	{ "foreground",	 no_argument,	    OPT_FOREGROUND, NULL,
	    "server start: stay in the foreground, log to stderr" },
	{ "idle-exit",	 required_argument, OPT_IDLE_EXIT, "SECONDS",
	    "server: exit after SECONDS idle (0 never; default 60)" },
	{ "grace",	 required_argument, OPT_GRACE, "SECONDS",
	    "server: keep a gone phone's row SECONDS (default 120)" },
	{ "no-usb",	 no_argument,	    OPT_NO_USB, NULL,
	    "server: do not scan USB" },
	{ "force",	 no_argument,	    OPT_FORCE, NULL,
	    "server stop: even while jobs run; fastboot-flash, flash: despite "
	    "a low battery; fastboot erase: a partition the phone does not "
	    "list" },
	{ "slot",	 required_argument, OPT_SLOT, "SLOT",
	    "fastboot-flash, fastboot erase: a, b, other or all (default: "
	    "current)" },
	{ "sha256",	 required_argument, OPT_SHA256, "HEX",
	    "fastboot-flash: refuse an image with another SHA-256; flash, "
	    "firmware verify: the package's expected SHA-256" },
	{ "hash",	 no_argument,	    OPT_HASH, NULL,
	    "fastboot-flash: compute the image's SHA-256 while sending it, "
	    "and report it" },
	{ "entry",	 required_argument, OPT_ENTRY, "PATH",
	    "fastboot-flash: the image is entry PATH of the archive given" },
	{ "product",	 required_argument, OPT_PRODUCT, "NAME",
	    "fastboot-flash, fastboot: refuse a phone whose product is not "
	    "NAME" },
	{ "confirm",	 required_argument, OPT_CONFIRM, "SERIAL",
	    "destructive commands: name the phone (serial or its last 4)" },
	{ "step",	 required_argument, OPT_STEP, "N",
	    "fix: run only step N of the plan" },
	{ "without-backup", no_argument,   OPT_WITHOUT_BACKUP, NULL,
	    "fix, action factory-reset, flash: go on wiping although no "
	    "backup was made in this session" },
	{ "only",	 required_argument, OPT_ONLY, "LIST",
	    "backup: only these categories (photos,videos,...; see man)" },
	{ "to",		 required_argument, OPT_TO, "DIR",
	    "backup, backups, restore: the backup library (default "
	    "~/.local/share/droidmedic/backups); firmware fetch: write this "
	    "file instead of adding to the cache" },
	{ "cacert",	 required_argument, OPT_CACERT, "FILE",
	    "firmware fetch, update: check TLS against the CAs in FILE "
	    "instead of the system's (TLS is always checked)" },
	{ "connections", required_argument, OPT_CONNECTIONS, "N",
	    "firmware fetch: connections at once when the server takes "
	    "ranges (1-16, default 4)" },
	{ "full",	 no_argument,	    OPT_FULL, NULL,
	    "backup: copy every file, even those an earlier backup holds; "
	    "flash: start over instead of resuming a stopped run" },
	{ "select",	 required_argument, OPT_SELECT, "LIST",
	    "restore: only these categories, folders or patterns" },
	{ "dry-run",	 no_argument,	    OPT_DRY_RUN, NULL,
	    "backup: list the phone, say what it would hold and copy, write "
	    "nothing; flash: show the plan and gates, send nothing" },
	{ "keep-data",	 no_argument,	    OPT_KEEP_DATA, NULL,
	    "flash: keep user data (flash_all_except_storage.sh; the "
	    "default)" },
	{ "wipe",	 no_argument,	    OPT_WIPE, NULL,
	    "flash: erase user data too (flash_all.sh)" },
	{ "lock",	 no_argument,	    OPT_LOCK, NULL,
	    "flash: erase user data, then relock the bootloader "
	    "(flash_all_lock.sh)" },
	{ "log-file",	 required_argument, OPT_LOG_FILE, "PATH",
	    "write the log to PATH" },
	{ "no-autostart", no_argument,	    OPT_NO_AUTOSTART, NULL,
	    "do not start the bench server when none runs" },
	{ "demo",	 no_argument,	    OPT_DEMO, NULL,
	    "dashboard: add simulated demo phones (droidmedic-sim)" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_def cmd_table[] = {
	{ "devices", "devices|doctor [--json] [--watch]",
	    "phones on the bench; this machine's USB" },
	{ "server", "server|demo start|stop|status",
	    "the bench server; simulated demo phones" },
	{ "info", "info|diagnose -s SERIAL [--json]",
	    "who the phone is; what is wrong and why" },
	{ "connect", "connect|disconnect HOST[:PORT]",
	    "add/remove a phone with ADB over TCP" },
	{ "shell", "shell|pull|push -s SERIAL ...",
	    "run a command; copy files off/onto it" },
	{ "plan", "plan|fix -s SERIAL FINDING",
	    "a finding's repair plan; run it (--confirm)" },
	{ "action", "action -s SERIAL NAME [KEY=VAL]",
	    "one repair step: clear-data, reboot..." },
	{ "backup", "backup|backups|restore -s SERIAL",
	    "back up (--only, --to); list; restore" },
	{ "fastboot-flash", "fastboot-flash -s SERIAL PART IMG",
	    "flash one image: plan first, then --confirm" },
	{ "flash", "flash|firmware -s SERIAL PACKAGE",
	    "flash a ROM; fetch, verify, import..." },
	{ "getvar", "getvar|fastboot|reboot -s SERIAL ..",
	    "variables; erase, oem...; reboot MODE" },
	{ "jobs", "jobs [attach|cancel JOB]",
	    "the server's jobs: list, follow, stop" },
	{ NULL, NULL, NULL }
};

#define NOPTS (sizeof(opt_table) / sizeof(opt_table[0]))

const struct option *
opts_long(void)
{
	static struct option longopts[NOPTS];

	for (size_t i = 0; i < NOPTS; i++) {
		longopts[i].name = opt_table[i].name;
		longopts[i].has_arg = opt_table[i].has_arg;
		longopts[i].flag = NULL;
		longopts[i].val = opt_table[i].short_opt;
	}
	return longopts;
}

const char *
opts_short(void)
{
	static char s[2 * NOPTS + 2];
	size_t n = 0;

	s[n++] = ':';	/* report missing arguments */
	for (size_t i = 0; opt_table[i].name != NULL; i++) {
		int c = opt_table[i].short_opt;

		if (c > 0 && c < 256) {
			s[n++] = (char)c;
			if (opt_table[i].has_arg == required_argument)
				s[n++] = ':';
		}
	}
	s[n] = '\0';
	return s;
}

void
opts_usage(FILE *fp, int verbose)
{
	int col = 0;

	fprintf(fp, "Usage: droidmedic [OPTIONS] [COMMAND]  (no command: the "
	    "dashboard)\nCommands:\n");
	for (int i = 0; cmd_table[i].name != NULL; i++)
		fprintf(fp, "  %-34s %s\n", cmd_table[i].usage,
		    cmd_table[i].help);
	fprintf(fp, "Options%s:\n", verbose ? "" :
	    " (-v --help explains each)");
	for (int i = 0; opt_table[i].name != NULL; i++) {
		const struct opt_def *o = &opt_table[i];
		char item[48];
		int n;

		if (o->short_opt > 0 && o->short_opt < 256)
			n = snprintf(item, sizeof(item), "-%c/--%s%s%s",
			    o->short_opt, o->name, o->arg ? " " : "",
			    o->arg ? o->arg : "");
		else
			n = snprintf(item, sizeof(item), "--%s%s%s", o->name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		if (verbose) {
			fprintf(fp, "  %-24s %s\n", item, o->help);
			continue;
		}
		if (col > 0 && col + 2 + n > 78) {
			fputc('\n', fp);
			col = 0;
		}
		col += fprintf(fp, "%s%s", col ? ", " : "  ", item);
	}
	if (col > 0)
		fputc('\n', fp);
	fprintf(fp, "See droidmedic(1).\n");
}
