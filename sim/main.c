/* main.c - droidmedic-sim: simulated Android phones for tests and demos,
 * each speaking ADB (device side) on its own loopback TCP port, and
 * fastboot there while in the bootloader when its profile has it.
 *
 * The main thread reads the command line, loads the profiles, sets up the
 * phones (phone.c), prints their ready lines, writes the ports file, and
 * then only waits for signals: SIGTERM, SIGINT or SIGHUP stop everything
 * cleanly, SIGUSR1 brings phones back from the bootloader.  Every other
 * thread runs with all these signals blocked. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "paths.h"
#include "phone.h"
#include "profile.h"
#include "xmem.h"

#define MAX_PHONES	64

static const struct {
	const char *name;
	int has_arg;
	int key;
	const char *arg;
	const char *help;
} options[] = {
	{ "port-base", required_argument, 'b', "N",
	    "phone i listens on port N+i (default: any free)" },
	{ "ports-file", required_argument, 'P', "FILE",
	    "write \"SERIAL PORT\" lines once all listen" },
	{ "fixtures", required_argument, 'f', "DIR",
	    "real captures (default: $DROIDMEDIC_FIXTURES)" },
	{ "state", required_argument, 's', "DIR",
	    "storage, adb_keys (default: $XDG_STATE_HOME/...)" },
	{ "fault", required_argument, 'F', "SERIAL=SPEC",
	    "arm a fault: TYPE[@WHEN][+BYTES] (see the man page)" },
	{ "strict", no_argument, 'S', NULL,
	    "exit when any phone cannot start" },
	{ "verbose", no_argument, 'v', NULL,
	    "log to stderr (-vv: every request)" },
	{ "help", no_argument, 'h', NULL, "show this help" },
	{ "version", no_argument, 'V', NULL, "show the version" },
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: droidmedic-sim [OPTIONS] PROFILE.json[=PORT]...\n"
	    "Simulated Android phones speaking ADB (and fastboot, in the "
	    "bootloader) on\n127.0.0.1, one port each.\n\n");
	for (size_t i = 0; i < NOPTIONS; i++) {
		char left[40];

		snprintf(left, sizeof(left), "-%c, --%s%s%s", options[i].key,
		    options[i].name, options[i].arg ? " " : "",
		    options[i].arg ? options[i].arg : "");
		fprintf(fp, "  %-25s %s\n", left, options[i].help);
	}
	fprintf(fp, "\nReady lines on stdout: \"sim: SERIAL adb|fastboot "
	    "tcp:127.0.0.1:PORT MODE\".\nSIGTERM/SIGINT stop; SIGUSR1 brings "
	    "phones without fastboot back from the\nbootloader, and turns "
	    "adb on again after a wipe.  See droidmedic-sim(1).\n");
}

struct cli_fault {
	char *serial;
	struct fault f;
};

struct cli {
	int port_base;
	const char *ports_file;
	const char *fixtures;
	char *state;
	int strict;
	int verbose;
	struct cli_fault *faults;
	size_t nfaults;
};

/* "PATH[=PORT]": the port is taken only when all digits follow the last
 * '=' (a path may hold '=' too).  *port is -1 when none is given (0 asks
 * for any free port).  0, or -1 for a port out of range. */
static int
split_profile(char *arg, int *port)
{
	char *eq = strrchr(arg, '=');
	long v;

	*port = -1;
	if (eq == NULL || eq[1] == '\0' || strlen(eq + 1) > 5 ||
	    strspn(eq + 1, "0123456789") != strlen(eq + 1))
		return 0;
	v = strtol(eq + 1, NULL, 10);
	if (v > 65535)
		return -1;
	*eq = '\0';
	*port = (int)v;
	return 0;
}

static int
parse_args(int argc, char **argv, struct cli *c)
{
	struct option lo[NOPTIONS + 1];
	char so[2 * NOPTIONS + 1], err[256];
	size_t n = 0;
	int opt;

	memset(lo, 0, sizeof(lo));
	for (size_t i = 0; i < NOPTIONS; i++) {
		lo[i].name = options[i].name;
		lo[i].has_arg = options[i].has_arg;
		lo[i].val = options[i].key;
		so[n++] = (char)options[i].key;
		if (options[i].has_arg)
			so[n++] = ':';
	}
	so[n] = '\0';
	while ((opt = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		char *eq, *end;

		switch (opt) {
		case 'b':
			c->port_base = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || c->port_base < 1 ||
			    c->port_base > 65535) {
				fprintf(stderr, "droidmedic-sim: bad port "
				    "\"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'P':
			c->ports_file = optarg;
			break;
		case 'f':
			c->fixtures = optarg;
			break;
		case 's':
			free(c->state);
			c->state = xstrdup(optarg);
			break;
		case 'F':
			eq = strchr(optarg, '=');
			c->faults = xrealloc(c->faults, (c->nfaults + 1) *
			    sizeof(*c->faults));
			if (eq == NULL || eq == optarg ||
			    profile_parse_fault(&c->faults[c->nfaults].f,
			    eq + 1, err, sizeof(err)) < 0) {
				fprintf(stderr, "droidmedic-sim: --fault %s: "
				    "%s\n", optarg, eq ? err :
				    "want SERIAL=TYPE[@WHEN][+BYTES]");
				return 2;
			}
			c->faults[c->nfaults++].serial = xasprintf("%.*s",
			    (int)(eq - optarg), optarg);
			break;
		case 'S':
			c->strict = 1;
			break;
		case 'v':
			c->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("droidmedic-sim %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static int
write_ports(const char *path, struct phone **ph, size_t n)
{
	struct stat st;
	char *tmp;
	FILE *fp;
	int rc = 0;

	/* Written beside and renamed, so a reader never sees half of it;
	 * but never rename over something that is not a plain file (a
	 * FIFO, or /dev/null: renaming over it would replace the device). */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		tmp = xstrdup(path);
	else
		tmp = xasprintf("%s.tmp", path);
	fp = fopen(tmp, "w");

	if (fp == NULL) {
		rc = -errno;
	} else {
		for (size_t i = 0; i < n; i++)
			fprintf(fp, "%s %d\n", phone_serial(ph[i]),
			    phone_port(ph[i]));
		if (fclose(fp) != 0 ||
		    (strcmp(tmp, path) != 0 && rename(tmp, path) < 0))
			rc = -errno;
	}
	if (rc < 0)
		fprintf(stderr, "droidmedic-sim: %s: %s\n", path,
		    strerror(-rc));
	free(tmp);
	return rc;
}

int
main(int argc, char **argv)
{
	struct cli c = { 0 };
	struct phone *phones[MAX_PHONES];
	struct profile *profs[MAX_PHONES];
	size_t nphones = 0, failed = 0;
	sigset_t set;
	int rc, sig, status = 0;
	char err[1024];

	signal(SIGPIPE, SIG_IGN);
	rc = parse_args(argc, argv, &c);
	if (rc != 0)
		return rc;
	log_to_stderr(1);
	log_set_level(c.verbose >= 2 ? LOG_DEBUG : c.verbose ? LOG_INFO :
	    LOG_WARN);
	if (c.fixtures == NULL)
		c.fixtures = getenv("DROIDMEDIC_FIXTURES");
	if (c.fixtures != NULL && c.fixtures[0] == '\0')
		c.fixtures = NULL;
	if (c.state == NULL) {
		char *base = paths_state_dir();

		if (base == NULL) {
			fprintf(stderr, "droidmedic-sim: no state directory: "
			    "%s (use --state DIR)\n", strerror(errno));
			return 1;
		}
		c.state = xasprintf("%s/sim", base);
		free(base);
	}
	if (argc - optind > MAX_PHONES) {
		fprintf(stderr, "droidmedic-sim: at most %d phones\n",
		    MAX_PHONES);
		return 2;
	}
	/* Every thread started from here on inherits these blocked. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	for (int i = optind; i < argc; i++) {
		int port, j = i - optind;
		struct fault extra[16];
		size_t nextra = 0;
		struct profile *p;

		if (split_profile(argv[i], &port) < 0) {
			fprintf(stderr, "droidmedic-sim: %s: bad port\n",
			    argv[i]);
			failed++;
			continue;
		}
		if (port < 0)
			port = c.port_base > 0 ? c.port_base + j : 0;
		rc = profile_load(&p, argv[i], c.fixtures, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "droidmedic-sim: %s\n", err);
			failed++;
			continue;
		}
		for (size_t k = 0; k < nphones; k++)
			if (strcmp(phone_serial(phones[k]), p->serial) == 0) {
				fprintf(stderr, "droidmedic-sim: %s: serial %s "
				    "is already taken\n", argv[i], p->serial);
				profile_free(p);
				p = NULL;
				break;
			}
		if (p == NULL) {
			failed++;
			continue;
		}
		for (size_t k = 0; k < c.nfaults && nextra < 16; k++)
			if (strcmp(c.faults[k].serial, p->serial) == 0)
				extra[nextra++] = c.faults[k].f;
		rc = phone_new(&phones[nphones], p, c.state, port, extra,
		    nextra, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "droidmedic-sim: %s: %s\n", p->serial,
			    err);
			profile_free(p);
			failed++;
			continue;
		}
		profs[nphones++] = p;
	}
	for (size_t k = 0; k < c.nfaults; k++) {
		size_t i;

		for (i = 0; i < nphones; i++)
			if (strcmp(c.faults[k].serial,
			    phone_serial(phones[i])) == 0)
				break;
		if (i == nphones) {
			fprintf(stderr, "droidmedic-sim: --fault: no phone "
			    "%s\n", c.faults[k].serial);
			failed++;
		}
	}
	if (nphones == 0 || (c.strict && failed > 0)) {
		status = 1;
		goto out;
	}
	for (size_t i = 0; i < nphones; i++)
		phone_start(phones[i]);
	if (c.ports_file != NULL && write_ports(c.ports_file, phones,
	    nphones) < 0) {
		status = 1;
		goto out;
	}
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig < 0 && errno == EINTR)
			continue;
		if (sig == SIGUSR1) {
			for (size_t i = 0; i < nphones; i++)
				phone_wake(phones[i]);
			continue;
		}
		break;
	}
out:
	for (size_t i = 0; i < nphones; i++) {
		phone_free(phones[i]);
		profile_free(profs[i]);
	}
	for (size_t k = 0; k < c.nfaults; k++)
		free(c.faults[k].serial);
	free(c.faults);
	free(c.state);
	return status;
}
