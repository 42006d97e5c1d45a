/* cli_adb.c - shell, pull and push: headless commands that speak ADB to
 * one phone.  shell connects to the phone itself (TCP, or USB by port
 * path; the bench server is asked only to resolve a serial), so it works
 * next to a running dashboard; pull and push are jobs of the bench server
 * (xferjob.c) that this side follows.  Main thread. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adb.h"
#include "adbkey.h"
#include "cli.h"
#include "client.h"
#include "dev.h"
#include "err.h"
#include "proto.h"
#include "transport.h"
#include "xferjob.h"
#include "xmem.h"

/* The bench server's row for -s (its "device" reply, caller frees), or
 * NULL after saying why. */
cJSON *
cli_lookup_device(const struct cli_opts *o)
{
	struct client *c;
	cJSON *params, *res = NULL;
	char err[512];
	int rc;

	c = client_connect(o->autostart, "cli", err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "droidmedic: %s\n", err);
		return NULL;
	}
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "device", o->serial);
	rc = client_call(c, "device", params, &res, 10000, err, sizeof(err));
	client_free(c);
	if (rc < 0) {
		fprintf(stderr, "droidmedic: no phone '%s' on the bench (%s)\n",
		    o->serial, err);
		return NULL;
	}
	return res;
}

/* -s's row from a bench server already running; 0 when it has a present
 * one. */
static int
running_row(const struct cli_opts *o, struct dev_info *di)
{
	struct client *c;
	cJSON *params, *res = NULL;
	char err[512];
	int rc;

	memset(di, 0, sizeof(*di));
	/* Only a server already running: an address needs none. */
	c = client_connect(0, "cli", err, sizeof(err));
	if (c == NULL)
		return -1;
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "device", o->serial);
	rc = client_call(c, "device", params, &res, 10000, err, sizeof(err));
	client_free(c);
	if (rc < 0)
		return -1;
	proto_dev_from_json(cJSON_GetObjectItemCaseSensitive(res, "device"),
	    di);
	cJSON_Delete(res);
	return di->present ? 0 : -1;
}

int
cli_row_mode(const struct cli_opts *o)
{
	struct dev_info di;

	return running_row(o, &di) == 0 ? (int)di.mode : DEV_MODE_UNKNOWN;
}

/* -s as an address, with its bench row: for a serial from the server
 * (started if need be); for an address from a server already running,
 * when asked (ask_running), else none. */
static int
resolve(const struct cli_opts *o, char *addr, size_t len,
    struct dev_info *di, int ask_running)
{
	cJSON *res;

	memset(di, 0, sizeof(*di));
	if (o->serial == NULL || *o->serial == '\0') {
		fprintf(stderr, "droidmedic: which phone? give -s SERIAL "
		    "(see `droidmedic devices`)\n");
		return 2;
	}
	if (transport_address(o->serial, addr, len)) {
		if (!ask_running || running_row(o, di) < 0)
			memset(di, 0, sizeof(*di));
		return 0;
	}
	res = cli_lookup_device(o);
	if (res == NULL)
		return 1;
	proto_dev_from_json(cJSON_GetObjectItemCaseSensitive(res, "device"),
	    di);
	cJSON_Delete(res);
	if (!di->present) {
		fprintf(stderr, "droidmedic: %s is offline\n", o->serial);
		return 1;
	}
	dev_adb_address(di, addr, len);
	return 0;
}

int
cli_resolve_row(const struct cli_opts *o, char *addr, size_t len,
    struct dev_info *di)
{
	return resolve(o, addr, len, di, 1);
}

int
cli_resolve(const struct cli_opts *o, char *addr, size_t len)
{
	int mode;

	return cli_resolve_mode(o, addr, len, &mode);
}

int
cli_resolve_mode(const struct cli_opts *o, char *addr, size_t len, int *mode)
{
	struct dev_info di;
	int rc = resolve(o, addr, len, &di, 0);

	*mode = rc == 0 && di.present ? (int)di.mode : DEV_MODE_UNKNOWN;
	return rc;
}

static void
on_prompt(void *ud)
{
	(void)ud;
	fprintf(stderr, "droidmedic: unauthorized - confirm the prompt on "
	    "the phone (\"Allow USB debugging?\")\n");
}

struct adb_conn *
cli_adb_connect(const struct cli_opts *o, struct adbkeys **keys, int *status)
{
	struct adb_connect_opts co = { 0 };
	struct adb_conn *c = NULL;
	char addr[128], err[512];
	int rc;

	*status = cli_resolve(o, addr, sizeof(addr));
	if (*status != 0)
		return NULL;
	*keys = adbkeys_load(err, sizeof(err));
	if (*keys == NULL) {
		fprintf(stderr, "droidmedic: ADB key: %s\n", err);
		*status = 1;
		return NULL;
	}
	co.addr = addr;
	co.keys = *keys;
	co.timeout_ms = 10000;
	co.auth_wait_ms = 60000;
	co.on_prompt = on_prompt;
	rc = adb_connect(&co, &c, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "droidmedic: %s\n", err);
		adbkeys_free(*keys);
		*keys = NULL;
		*status = 1;
		return NULL;
	}
	return c;
}

static int
shell_out(void *ud, int fd, const void *data, size_t len)
{
	FILE *fp = fd == 2 ? stderr : stdout;

	(void)ud;
	if (fwrite(data, 1, len, fp) != len)
		return 1;
	if (fd == 2)
		fflush(stderr);
	return 0;
}

int
cli_shell(const struct cli_opts *o, int argc, char **argv)
{
	struct adbkeys *keys = NULL;
	struct adb_conn *c;
	size_t len = 0;
	char *cmd, err[512];
	int status, code, rc;

	if (argc > 0 && strcmp(argv[0], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc == 0) {
		fprintf(stderr, "droidmedic: shell: which command? "
		    "(interactive shells are not supported)\n");
		return 2;
	}
	c = cli_adb_connect(o, &keys, &status);
	if (c == NULL)
		return status;
	/* Words are joined with spaces, as adb does: the phone's shell
	 * parses the line. */
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	cmd = xcalloc(1, len + 1);
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			strcat(cmd, " ");
		strcat(cmd, argv[i]);
	}
	rc = adb_shell(c, cmd, shell_out, NULL, &code, -1, err, sizeof(err));
	fflush(stdout);
	free(cmd);
	adb_close(c);
	adbkeys_free(keys);
	if (rc < 0) {
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	return code < 0 ? 0 : code;
}

/* Where the server finds a local path: absolute (it has its own working
 * folder); NULL after saying why. */
static char *
absolute(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return xstrdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		fprintf(stderr, "droidmedic: cannot tell the current folder: "
		    "%s\n", strerror(errno));
		return NULL;
	}
	if (strcmp(path, ".") == 0)
		return xstrdup(cwd);
	return xasprintf("%s/%s", cwd, path);
}

static const char *
local_path(const cJSON *params)
{
	return cJSON_GetObjectItemCaseSensitive(params, "local")->valuestring;
}

static int
local_transfer(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen)
{
	return xferjob_submit_json(eng, params, err, errlen);
}

/* A copy is a job (xferjob.c): in the bench server, so that a long pull
 * goes on if this terminal goes away, or here with --no-autostart and
 * no server running. */
static int
transfer(const struct cli_opts *o, int push, const char *src,
    const char *dst)
{
	char addr[160], *local;
	cJSON *params;

	if (o->serial == NULL || *o->serial == '\0') {
		fprintf(stderr, "droidmedic: which phone? give -s SERIAL (see "
		    "`droidmedic devices`)\n");
		return 2;
	}
	local = absolute(push ? src : dst);
	if (local == NULL)
		return 1;
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "device", o->serial);
	cJSON_AddStringToObject(params, "direction", push ? "push" : "pull");
	cJSON_AddStringToObject(params, "remote", push ? dst : src);
	cJSON_AddStringToObject(params, "local", local);
	free(local);
	if (transport_address(o->serial, addr, sizeof(addr)))
		cJSON_AddStringToObject(params, "address", addr);
	/* /proc/self/fd/3 or /dev/stdout mean this process's files, which
	 * the server cannot open for us. */
	if (!strncmp(local_path(params), "/proc/self/", 11) ||
	    !strncmp(local_path(params), "/dev/fd/", 8) ||
	    !strncmp(local_path(params), "/dev/std", 8)) {
		if (!cJSON_GetObjectItemCaseSensitive(params, "address")) {
			cJSON_Delete(params);
			fprintf(stderr, "droidmedic: %s is this process's own "
			    "file: name the phone by its address (HOST:PORT "
			    "or usb:PORT)\n", push ? src : dst);
			return 2;
		}
		return cli_run_job_here(o, params, local_transfer,
		    "a file of this process");
	}
	return cli_run_job(o, "transfer", params, local_transfer);
}

int
cli_pull(const struct cli_opts *o, int argc, char **argv)
{
	if (argc < 1 || argc > 2) {
		fprintf(stderr, "droidmedic: usage: pull -s SERIAL REMOTE "
		    "[LOCAL]\n");
		return 2;
	}
	return transfer(o, 0, argv[0], argc > 1 ? argv[1] : ".");
}

int
cli_push(const struct cli_opts *o, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "droidmedic: usage: push -s SERIAL LOCAL "
		    "REMOTE\n");
		return 2;
	}
	return transfer(o, 1, argv[0], argv[1]);
}

/* ---- connect, disconnect, info: through the bench server ---------------- */

int
cli_print_error_json(const char *what, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddBoolToObject(o, "ok", 0);
	cJSON_AddStringToObject(o, "error", what);
	cJSON_AddStringToObject(o, "message", msg);
	s = cJSON_Print(o);
	printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(o);
	return 1;
}

int
cli_connect(const struct cli_opts *o, int argc, char **argv)
{
	struct client *c;
	cJSON *params, *res = NULL, *ev;
	const cJSON *jdev, *jjob;
	unsigned dev, job;
	char err[512];
	int64_t until;
	int rc, status = 1;

	if (argc != 1) {
		fprintf(stderr, "droidmedic: usage: connect HOST[:PORT]\n");
		return 2;
	}
	c = client_connect(o->autostart, "cli", err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	/* Subscribe first so the connect job's end cannot slip past. */
	rc = client_call(c, "subscribe", NULL, NULL, 10000, err, sizeof(err));
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "address", argv[0]);
	if (rc == 0)
		rc = client_call(c, "connect", params, &res, 10000, err,
		    sizeof(err));
	else
		cJSON_Delete(params);
	if (rc < 0) {
		client_free(c);
		if (o->json)
			return cli_print_error_json(dm_errname(rc), err);
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	jdev = cJSON_GetObjectItemCaseSensitive(res, "device");
	jjob = cJSON_GetObjectItemCaseSensitive(res, "job");
	dev = cJSON_IsNumber(jdev) ? (unsigned)jdev->valuedouble : 0;
	job = cJSON_IsNumber(jjob) ? (unsigned)jjob->valuedouble : 0;
	cJSON_Delete(res);
	if (job == 0) {
		printf("already connected to %s\n", argv[0]);
		client_free(c);
		return 0;
	}
	/* The user may have to walk to the phone and tap Allow. */
	until = dm_mono_ms() + 6 * 60 * 1000;
	while (dm_mono_ms() < until) {
		struct pollfd p = { .fd = client_fd(c), .events = POLLIN };

		/* Events may already be here: they came in with the reply
		 * to "connect".  Wait for more only when none are. */
		ev = client_next_event(c);
		if (ev == NULL) {
			if (poll(&p, 1, 500) <= 0)
				continue;
			if (client_pump(c) == DM_ECLOSED) {
				fprintf(stderr, "droidmedic: the server went "
				    "away\n");
				break;
			}
			ev = client_next_event(c);
		}
		while (ev != NULL) {
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(ev,
			    "event");
			const cJSON *jj = cJSON_GetObjectItemCaseSensitive(ev,
			    "job");
			const cJSON *jd = cJSON_GetObjectItemCaseSensitive(ev,
			    "device");
			struct job_info ji;
			struct dev_info di;

			if (!cJSON_IsString(name)) {
				cJSON_Delete(ev);
				ev = client_next_event(c);
				continue;
			}
			if (jd != NULL && proto_dev_from_json(jd, &di) == 0 &&
			    di.id == dev && di.mode == DEV_MODE_UNAUTHORIZED &&
			    !o->json)
				fprintf(stderr, "droidmedic: unauthorized - "
				    "confirm the prompt on the phone\n");
			if (strcmp(name->valuestring, "job.done") == 0 &&
			    jj != NULL && proto_job_from_json(jj, &ji) == 0 &&
			    ji.id == job) {
				const cJSON *txt = cJSON_GetObjectItem(ev,
				    "text");

				status = ji.err == 0 ? 0 : 1;
				if (o->json && status)
					cli_print_error_json(dm_errname(ji.err),
					    cJSON_IsString(txt) ?
					    txt->valuestring : "");
				else if (status)
					fprintf(stderr, "droidmedic: %s\n",
					    cJSON_IsString(txt) ?
					    txt->valuestring : "failed");
				until = 0;
			}
			cJSON_Delete(ev);
			ev = until != 0 ? client_next_event(c) : NULL;
		}
	}
	if (status == 0) {
		cJSON *p2 = cJSON_CreateObject();
		char idbuf[16];

		snprintf(idbuf, sizeof(idbuf), "%u", dev);
		cJSON_AddStringToObject(p2, "device", idbuf);
		res = NULL;
		if (client_call(c, "device", p2, &res, 10000, err,
		    sizeof(err)) == 0) {
			const cJSON *d = cJSON_GetObjectItemCaseSensitive(res,
			    "device");
			struct dev_info di;

			if (o->json) {
				char *s = cJSON_Print(d);

				printf("%s\n", s);
				cJSON_free(s);
			} else if (proto_dev_from_json(d, &di) == 0) {
				printf("connected to %s: %s%s%s\n", di.serial,
				    dev_mode_name(di.mode),
				    di.summary[0] ? ", " : "", di.summary);
			}
		}
		cJSON_Delete(res);
	}
	client_free(c);
	return status;
}

int
cli_disconnect(const struct cli_opts *o, int argc, char **argv)
{
	struct client *c;
	cJSON *params;
	char err[512];
	int rc;

	if (argc != 1) {
		fprintf(stderr, "droidmedic: usage: disconnect HOST[:PORT]\n");
		return 2;
	}
	c = client_connect(0, "cli", err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "device", argv[0]);
	rc = client_call(c, "disconnect", params, NULL, 10000, err,
	    sizeof(err));
	client_free(c);
	if (rc < 0) {
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	if (!o->json)
		printf("disconnected %s\n", argv[0]);
	return 0;
}

static void
print_kv(const char *k, const cJSON *v)
{
	if (cJSON_IsString(v) && v->valuestring[0] != '\0')
		printf("  %-24s %s\n", k, v->valuestring);
	else if (cJSON_IsNumber(v))
		printf("  %-24s %g\n", k, v->valuedouble);
	else if (cJSON_IsBool(v))
		printf("  %-24s %s\n", k, cJSON_IsTrue(v) ? "yes" : "no");
}

/* Print an identity object: scalars first, then nested objects. */
static void
print_identity(const cJSON *id, const char *prefix)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, id) {
		char key[64];

		snprintf(key, sizeof(key), "%s%s", prefix, v->string);
		if (cJSON_IsObject(v))
			print_identity(v, key[0] ? strcat(key, ".") : key);
		else
			print_kv(key, v);
	}
}

int
cli_info(const struct cli_opts *o, int argc, char **argv)
{
	struct dev_info di;
	cJSON *res;
	const cJSON *d, *id;

	(void)argv;
	if (argc != 0 || o->serial == NULL) {
		fprintf(stderr, "droidmedic: usage: info -s SERIAL [--json]\n");
		return 2;
	}
	res = cli_lookup_device(o);
	if (res == NULL)
		return 1;
	d = cJSON_GetObjectItemCaseSensitive(res, "device");
	if (o->json) {
		char *s = cJSON_Print(d);

		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(res);
		return 0;
	}
	proto_dev_from_json(d, &di);
	printf("%s  %s  %s\n", di.serial[0] ? di.serial : "(no serial)",
	    dev_mode_name(di.mode), di.port);
	if (di.summary[0])
		printf("  %s\n", di.summary);
	id = cJSON_GetObjectItemCaseSensitive(d, "identity");
	if (cJSON_IsObject(id))
		print_identity(id, "");
	else
		printf("  (not identified yet: %s)\n", di.mode == DEV_MODE_ADB ?
		    "identification is running" :
		    "identification needs adb mode");
	cJSON_Delete(res);
	return 0;
}

/* ---- demo ----------------------------------------------------------------- */

/* The demo rows that are present and identified (or at least past
 * connecting), as a JSON array (caller frees); *n gets how many. */
static cJSON *
demo_rows(struct client *c, int *n)
{
	cJSON *res = NULL, *out = cJSON_CreateArray(), *d;
	const cJSON *devs;
	char err[256];

	*n = 0;
	if (client_call(c, "devices", NULL, &res, 10000, err,
	    sizeof(err)) < 0)
		return out;
	devs = cJSON_GetObjectItemCaseSensitive(res, "devices");
	cJSON_ArrayForEach(d, devs) {
		struct dev_info di;

		if (proto_dev_from_json(d, &di) < 0 || !di.demo || !di.present)
			continue;
		cJSON_AddItemToArray(out, cJSON_Duplicate(d, 1));
		if (di.summary[0] != '\0')
			(*n)++;
	}
	cJSON_Delete(res);
	return out;
}

int
cli_demo(const struct cli_opts *o, int argc, char **argv)
{
	const char *action = argc > 0 ? argv[0] : "start";
	cJSON *params, *res = NULL, *rows = NULL;
	const cJSON *jp;
	struct client *c;
	char err[512];
	int rc, phones, ready = 0;

	if (argc > 1 || (strcmp(action, "start") && strcmp(action, "stop") &&
	    strcmp(action, "status"))) {
		fprintf(stderr, "droidmedic: usage: demo [start|stop|status]\n");
		return 2;
	}
	c = client_connect(strcmp(action, "start") == 0 ? o->autostart : 0,
	    "cli", err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "action", action);
	if (strcmp(action, "start") == 0)
		cli_demo_params(params);
	rc = client_call(c, "demo", params, &res, 10000, err, sizeof(err));
	if (rc < 0) {
		client_free(c);
		if (o->json)
			return cli_print_error_json(dm_errname(rc), err);
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	jp = cJSON_GetObjectItemCaseSensitive(res, "phones");
	phones = cJSON_IsNumber(jp) ? (int)jp->valuedouble : 0;
	if (strcmp(action, "stop") == 0) {
		if (!o->json)
			printf("demo stopped\n");
	} else {
		/* Wait (a while) for the simulated phones to identify. */
		int64_t until = dm_mono_ms() +
		    (strcmp(action, "start") == 0 ? 20000 : 0);

		for (;;) {
			cJSON_Delete(rows);
			rows = demo_rows(c, &ready);
			if (ready >= phones || dm_mono_ms() >= until)
				break;
			usleep(250 * 1000);
		}
		if (!o->json) {
			const cJSON *d;

			printf("demo %s: %d of %d simulated phones ready "
			    "(marked DEMO)\n", phones > 0 ? "running" :
			    "not running", ready, phones);
			cJSON_ArrayForEach(d, rows) {
				struct dev_info di;

				proto_dev_from_json(d, &di);
				printf("  %-22s %-13s %s\n", di.serial,
				    dev_mode_name(di.mode), di.summary);
			}
		}
	}
	if (o->json) {
		char *s;

		if (rows != NULL)
			cJSON_AddItemToObject(res, "devices", rows);
		else
			cJSON_AddItemToObject(res, "devices",
			    cJSON_CreateArray());
		rows = NULL;
		s = cJSON_Print(res);
		printf("%s\n", s);
		cJSON_free(s);
	}
	cJSON_Delete(rows);
	cJSON_Delete(res);
	client_free(c);
	if (strcmp(action, "start") == 0 && ready < phones) {
		fprintf(stderr, "droidmedic: only %d of %d demo phones came up "
		    "(see demo-sim.log in the state directory)\n", ready,
		    phones);
		return 1;
	}
	return 0;
}
