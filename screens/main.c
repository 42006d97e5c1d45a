/* main.c - droidmedic's entry point: parse options from the one table in
 * src/opts.c, then run a subcommand (src/cli.c) or the dashboard (ui.c).
 * Main thread only. */
#include "config.h"

#include <curses.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "log.h"
#include "opts.h"
#include "ui.h"
#include "version.h"

static int
parse_seconds(const char *name, const char *arg, int *out)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v < 0 || v > 86400 * 365) {
		fprintf(stderr, "droidmedic: --%s wants seconds (0 or more), "
		    "not '%s'\n", name, arg);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct cli_opts co = { .autostart = 1, .idle_exit_s = -1,
	    .grace_s = -1 };
	struct ui_opts uo = { .autostart = 1 };
	const char *log_file = NULL, *cmd;
	int verbose = 0, want_help = 0, c;

	setlocale(LC_ALL, "");
	opterr = 0;
	while ((c = getopt_long(argc, argv, opts_short(), opts_long(),
	    NULL)) != -1) {
		switch (c) {
		case 'h':
			want_help = 1;
			break;
		case 's':
			co.serial = optarg;
			break;
		case 'V':
			version_print(stdout);
			printf("  %s\n", curses_version());
			return 0;
		case 'v':
			verbose++;
			break;
		case OPT_ASCII:
			uo.ascii = 1;
			break;
		case OPT_NO_COLOR:
			uo.no_color = 1;
			break;
		case OPT_JSON:
			co.json = 1;
			break;
		case OPT_WATCH:
			co.watch = 1;
			break;
		case OPT_FOREGROUND:
			co.foreground = 1;
			break;
		case OPT_IDLE_EXIT:
			if (parse_seconds("idle-exit", optarg,
			    &co.idle_exit_s) < 0)
				return 2;
			break;
		case OPT_GRACE:
			if (parse_seconds("grace", optarg, &co.grace_s) < 0)
				return 2;
			break;
		case OPT_NO_USB:
			co.no_usb = 1;
			break;
		case OPT_FORCE:
			co.force = 1;
			break;
		case OPT_LOG_FILE:
			log_file = optarg;
			break;
		case OPT_NO_AUTOSTART:
			co.autostart = uo.autostart = 0;
			break;
		case OPT_DEMO:
			uo.demo = 1;
			break;
		case OPT_SLOT:
			co.slot = optarg;
			break;
		case OPT_SHA256:
			co.sha256 = optarg;
			break;
		case OPT_PRODUCT:
			co.product = optarg;
			break;
		case OPT_CONFIRM:
			co.confirm = optarg;
			break;
		case OPT_ENTRY:
			co.entry = optarg;
			break;
		case OPT_HASH:
			co.hash = 1;
			break;
		case OPT_STEP: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || v < 1 ||
			    v > 99) {
				fprintf(stderr, "droidmedic: --step wants a "
				    "step number (1-99), not '%s'\n", optarg);
				return 2;
			}
			co.step = (int)v;
			break;
		}
		case OPT_WITHOUT_BACKUP:
			co.without_backup = 1;
			break;
		case OPT_ONLY:
			co.only = optarg;
			break;
		case OPT_TO:
			co.to = optarg;
			break;
		case OPT_FULL:
			co.full = 1;
			break;
		case OPT_CACERT:
			co.cacert = optarg;
			break;
		case OPT_CONNECTIONS: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || v < 1 ||
			    v > 16) {
				fprintf(stderr, "droidmedic: --connections "
				    "wants 1 to 16, not '%s'\n", optarg);
				return 2;
			}
			co.connections = (int)v;
			break;
		}
		case OPT_SELECT:
			co.select = optarg;
			break;
		case OPT_DRY_RUN:
			co.dry_run = 1;
			break;
		case OPT_KEEP_DATA:
		case OPT_WIPE:
		case OPT_LOCK: {
			const char *ch = c == OPT_KEEP_DATA ? "keep-data" :
			    c == OPT_WIPE ? "wipe" : "lock";

			if (co.choice != NULL && strcmp(co.choice, ch) != 0) {
				fprintf(stderr, "droidmedic: --keep-data, "
				    "--wipe and --lock: give one\n");
				return 2;
			}
			co.choice = ch;
			break;
		}
		case ':':
			fprintf(stderr, "droidmedic: option %s needs an "
			    "argument\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "droidmedic: unknown option '%s' "
			    "(see droidmedic --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (want_help) {
		opts_usage(stdout, verbose);
		return 0;
	}
	log_set_level(LOG_WARN + verbose);
	if (log_open(log_file) < 0 && log_file != NULL)
		fprintf(stderr, "droidmedic: cannot write the log file %s\n",
		    log_file);

	if (optind >= argc)
		return ui_run(&uo);
	cmd = argv[optind++];
	if (strcmp(cmd, "devices") == 0)
		return cli_devices(&co);
	if (strcmp(cmd, "server") == 0)
		return cli_server(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "doctor") == 0)
		return cli_doctor(&co);
	if (strcmp(cmd, "shell") == 0)
		return cli_shell(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "pull") == 0)
		return cli_pull(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "push") == 0)
		return cli_push(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "connect") == 0)
		return cli_connect(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "disconnect") == 0)
		return cli_disconnect(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "info") == 0)
		return cli_info(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "getvar") == 0)
		return cli_getvar(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "fastboot-flash") == 0)
		return cli_fastboot_flash(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "fastboot") == 0)
		return cli_fastboot(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "reboot") == 0)
		return cli_reboot(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "demo") == 0)
		return cli_demo(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "diagnose") == 0)
		return cli_diagnose(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "plan") == 0)
		return cli_plan(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "fix") == 0)
		return cli_fix(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "action") == 0)
		return cli_action(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "backup") == 0)
		return cli_backup(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "backups") == 0)
		return cli_backups(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "restore") == 0)
		return cli_restore(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "flash") == 0)
		return cli_flash(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "firmware") == 0)
		return cli_firmware(&co, argc - optind, argv + optind);
	if (strcmp(cmd, "jobs") == 0)
		return cli_jobs(&co, argc - optind, argv + optind);
	fprintf(stderr, "droidmedic: unknown command '%s' (see droidmedic "
	    "--help)\n", cmd);
	return 2;
}
