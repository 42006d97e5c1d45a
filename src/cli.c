/* cli.c - the headless subcommands: devices, server, doctor.  Each is a
 * client of the bench server (except `doctor`, which checks this machine,
 * and `server start --foreground`, which is the server).  Main thread. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "dev.h"
#include "doctor.h"
#include "err.h"
#include "proto.h"
#include "server.h"

#define CALL_MS 10000

static void
print_json(const cJSON *j)
{
	char *s = cJSON_Print(j);

	if (s != NULL) {
		fputs(s, stdout);
		fputc('\n', stdout);
		cJSON_free(s);
	}
}

static struct client *
connect_or_say(const struct cli_opts *o, int autostart)
{
	char err[512];
	struct client *c = client_connect(autostart && o->autostart, "cli",
	    err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "droidmedic: %s\n", err);
	return c;
}

/* One row of the devices table; 100 columns at most. */
static void
print_dev_line(const struct dev_info *d)
{
	char what[48];

	if (d->summary[0] != '\0')
		snprintf(what, sizeof(what), "%s%s", d->demo ? "DEMO " : "",
		    d->summary);
	else
		snprintf(what, sizeof(what), "%s%s%s", d->vendor,
		    d->vendor[0] && d->product[0] ? " " : "", d->product);
	printf("%-3u %-18s %-20s %-20s %-24s %s", d->id,
	    dev_mode_name(d->mode), d->serial[0] ? d->serial : "-",
	    d->port, what[0] ? what : "-", d->speed[0] ? d->speed : "-");
	if (!d->present)
		printf("  (gone %llds ago)",
		    (long long)((dm_now_ms() - d->gone_ms) / 1000));
	putchar('\n');
	for (int i = 0; i < d->nproblems; i++)
		printf("    ! %s\n      fix: %s\n", d->problems[i].text,
		    d->problems[i].fix);
}

static void
print_dev_table(const cJSON *devices)
{
	const cJSON *j;
	int n = 0;

	printf("%-3s %-18s %-20s %-20s %-24s %s\n", "ID", "MODE", "SERIAL",
	    "PORT", "DEVICE", "SPEED");
	cJSON_ArrayForEach(j, devices) {
		struct dev_info d;

		if (proto_dev_from_json(j, &d) == 0) {
			print_dev_line(&d);
			n++;
		}
	}
	if (n == 0)
		printf("(no phones: plug one in with USB debugging on, or run "
		    "`droidmedic doctor`)\n");
}

static volatile sig_atomic_t interrupted;

static void
on_int(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int
watch(struct client *c, const struct cli_opts *o)
{
	char err[256];
	cJSON *res = NULL, *ev;
	struct sigaction sa;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_int;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = client_call(c, "subscribe", NULL, &res, CALL_MS, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	if (o->json) {
		cJSON *snap = cJSON_CreateObject();

		cJSON_AddStringToObject(snap, "event", "snapshot");
		cJSON_AddItemReferenceToObject(snap, "devices",
		    cJSON_GetObjectItemCaseSensitive(res, "devices"));
		char *s = cJSON_PrintUnformatted(snap);

		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(snap);
	} else {
		print_dev_table(cJSON_GetObjectItemCaseSensitive(res,
		    "devices"));
	}
	cJSON_Delete(res);
	fflush(stdout);
	while (!interrupted) {
		struct pollfd p = { .fd = client_fd(c), .events = POLLIN };

		/* What came with the reply above is taken before waiting. */
		ev = client_next_event(c);
		if (ev == NULL) {
			if (poll(&p, 1, 1000) <= 0)
				continue;
			rc = client_pump(c);
			if (rc == DM_ECLOSED) {
				fprintf(stderr, "droidmedic: the server went "
				    "away\n");
				return 1;
			}
			ev = client_next_event(c);
		}
		for (; ev != NULL; ev = client_next_event(c)) {
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(ev,
			    "event");
			const cJSON *dj = cJSON_GetObjectItemCaseSensitive(ev,
			    "device");

			if (o->json) {
				char *s = cJSON_PrintUnformatted(ev);

				printf("%s\n", s);
				cJSON_free(s);
			} else if (dj != NULL && cJSON_IsString(name)) {
				struct dev_info d;
				char stamp[16];
				time_t t = time(NULL);

				strftime(stamp, sizeof(stamp), "%H:%M:%S",
				    localtime(&t));
				proto_dev_from_json(dj, &d);
				printf("%s %-13s ", stamp, name->valuestring);
				print_dev_line(&d);
			}
			cJSON_Delete(ev);
		}
		fflush(stdout);
	}
	return 0;
}

int
cli_devices(const struct cli_opts *o)
{
	struct client *c = connect_or_say(o, 1);
	cJSON *res = NULL;
	char err[256];
	int rc;

	if (c == NULL)
		return 1;
	if (o->watch) {
		rc = watch(c, o);
		client_free(c);
		return rc;
	}
	rc = client_call(c, "devices", NULL, &res, CALL_MS, err, sizeof(err));
	client_free(c);
	if (rc < 0) {
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	if (o->json)
		print_json(res);
	else
		print_dev_table(cJSON_GetObjectItemCaseSensitive(res,
		    "devices"));
	cJSON_Delete(res);
	return 0;
}

static void
print_status(const cJSON *st)
{
	const cJSON *usb = cJSON_GetObjectItemCaseSensitive(st, "usb");
	const char *keys[] = { "pid", "server_version", "uptime_s", "clients",
	    "devices", "jobs_active", "idle_exit_s", "socket", "log", NULL };

	printf("server running\n");
	for (int i = 0; keys[i] != NULL; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, keys[i]);

		if (cJSON_IsNumber(v))
			printf("  %-15s %.0f\n", keys[i], v->valuedouble);
		else if (cJSON_IsString(v))
			printf("  %-15s %s\n", keys[i], v->valuestring);
	}
	if (usb != NULL) {
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(usb, "ok");
		const cJSON *hp = cJSON_GetObjectItemCaseSensitive(usb,
		    "hotplug");
		const cJSON *er = cJSON_GetObjectItemCaseSensitive(usb,
		    "error");

		if (cJSON_IsTrue(ok))
			printf("  %-15s %s\n", "usb", cJSON_IsTrue(hp) ?
			    "hotplug" : "polling every second");
		else
			printf("  %-15s unavailable: %s\n", "usb",
			    cJSON_IsString(er) ? er->valuestring : "?");
	}
}

int
cli_server(const struct cli_opts *o, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "status";
	struct server_opts so;
	struct client *c;
	cJSON *res = NULL, *params;
	char err[256];
	int rc;

	if (strcmp(sub, "start") == 0) {
		server_opts_default(&so);
		if (o->idle_exit_s >= 0)
			so.idle_exit_s = o->idle_exit_s;
		if (o->grace_s >= 0)
			so.grace_s = o->grace_s;
		so.no_usb = o->no_usb;
		if (o->foreground) {
			so.log_stderr = 1;
			return server_main(&so);
		}
		if (o->idle_exit_s >= 0 || o->grace_s >= 0 || o->no_usb) {
			fprintf(stderr, "droidmedic: --idle-exit, --grace and "
			    "--no-usb need --foreground (a started server "
			    "takes DROIDMEDIC_IDLE_EXIT from the "
			    "environment)\n");
			return 2;
		}
		c = client_connect(1, "cli", err, sizeof(err));
		if (c == NULL) {
			fprintf(stderr, "droidmedic: %s\n", err);
			return 1;
		}
		res = cJSON_Duplicate(client_hello(c), 1);
		client_free(c);
		if (o->json) {
			print_json(res);
		} else {
			const cJSON *pid = cJSON_GetObjectItemCaseSensitive(res,
			    "pid");

			printf("server running (pid %.0f)\n",
			    cJSON_IsNumber(pid) ? pid->valuedouble : 0.0);
		}
		cJSON_Delete(res);
		return 0;
	}
	if (strcmp(sub, "status") == 0 || strcmp(sub, "stop") == 0) {
		int stop = strcmp(sub, "stop") == 0;

		c = client_connect(0, "cli", err, sizeof(err));
		if (c == NULL) {
			if (o->json)
				printf("{\"running\": false}\n");
			else
				printf("server not running\n");
			return stop ? 0 : 1;
		}
		if (stop) {
			params = cJSON_CreateObject();
			cJSON_AddBoolToObject(params, "force", o->force);
			rc = client_call(c, "stop", params, NULL, CALL_MS, err,
			    sizeof(err));
			if (rc < 0) {
				client_free(c);
				fprintf(stderr, "droidmedic: %s\n", err);
				return 1;
			}
			/* Wait for it to close on us: it has stopped then. */
			for (int i = 0; i < 100; i++) {
				struct pollfd p = { .fd = client_fd(c),
				    .events = POLLIN };

				if (poll(&p, 1, 100) > 0 &&
				    client_pump(c) == DM_ECLOSED)
					break;
			}
			client_free(c);
			if (!o->json)
				printf("server stopped\n");
			else
				printf("{\"running\": false}\n");
			return 0;
		}
		rc = client_call(c, "status", NULL, &res, CALL_MS, err,
		    sizeof(err));
		client_free(c);
		if (rc < 0) {
			fprintf(stderr, "droidmedic: %s\n", err);
			return 1;
		}
		if (o->json) {
			cJSON_AddBoolToObject(res, "running", 1);
			print_json(res);
		} else {
			print_status(res);
		}
		cJSON_Delete(res);
		return 0;
	}
	fprintf(stderr, "droidmedic: server: unknown subcommand '%s' (start, "
	    "stop or status)\n", sub);
	return 2;
}

int
cli_doctor(const struct cli_opts *o)
{
	struct doctor_check checks[32];
	int n = doctor_run(checks, 32), bad = 0;
	cJSON *arr;

	for (int i = 0; i < n; i++)
		if (checks[i].status == DOCTOR_FAIL)
			bad++;
	if (o->json) {
		cJSON *root = cJSON_CreateObject();

		arr = cJSON_AddArrayToObject(root, "checks");
		for (int i = 0; i < n; i++) {
			cJSON *c = cJSON_CreateObject();

			cJSON_AddStringToObject(c, "id", checks[i].id);
			cJSON_AddStringToObject(c, "status",
			    doctor_status_name(checks[i].status));
			cJSON_AddStringToObject(c, "text", checks[i].text);
			cJSON_AddStringToObject(c, "fix", checks[i].fix);
			cJSON_AddItemToArray(arr, c);
		}
		cJSON_AddBoolToObject(root, "ok", bad == 0);
		print_json(root);
		cJSON_Delete(root);
	} else {
		for (int i = 0; i < n; i++) {
			printf("[%-4s] %-12s %s\n",
			    doctor_status_name(checks[i].status),
			    checks[i].id, checks[i].text);
			if (checks[i].fix[0] != '\0')
				printf("       %-12s fix: %s\n", "",
				    checks[i].fix);
		}
		printf("%d check%s, %d problem%s\n", n, n == 1 ? "" : "s",
		    bad, bad == 1 ? "" : "s");
	}
	return bad ? 1 : 0;
}

void
cli_demo_params(cJSON *params)
{
	static const char *const vars[][2] = {
		{ "DROIDMEDIC_SIM", "sim" },
		{ "DROIDMEDIC_PROFILES", "profiles" },
		{ "DROIDMEDIC_FIXTURES", "fixtures" },
	};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i][0]);
		char abs[4096];

		if (v == NULL || *v == '\0')
			continue;
		/* The server runs in /: relative paths are made whole. */
		if (v[0] != '/' && realpath(v, abs) != NULL)
			v = abs;
		cJSON_AddStringToObject(params, vars[i][1], v);
	}
}
