/* server.c - the bench server (see server.h).
 *
 * Threads: the main thread runs the poll loop below and owns the clients;
 * usbscan has its own thread; the job engine has its workers.  All of them
 * talk to this loop through the event bus only.  Nothing here blocks for
 * long: replies are queued per client and written when the socket can take
 * them, and a client that stops reading is dropped rather than stalling
 * everyone (a dashboard over a dead SSH link must not stall a flash). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "adbmgr.h"
#include "demo.h"
#include "dev.h"
#include "repair.h"
#include "err.h"
#include "ev.h"
#include "fixjob.h"
#include "flashjob.h"
#include "romjob.h"
#include "fetchjob.h"
#include "job.h"
#include "log.h"
#include "paths.h"
#include "proto.h"
#include "server.h"
#include "transport.h"
#include "usbscan.h"
#include "backup.h"
#include "xferjob.h"
#include "xmem.h"

#define MAX_CLIENTS	64
#define CLIENT_OUT_CAP	(8u << 20)	/* queued output before we drop it */
#define TICK_MS		1000
#define JOB_WORKERS	8

struct sclient {
	int fd;
	int subscribed;
	int closing;			/* close once the output is flushed */
	char name[32];
	struct linebuf in;
	char *out;
	size_t outlen, outcap;
};

struct server {
	const struct server_opts *o;
	int lfd, sigfd, lockfd;
	char *sock_path;
	struct evbus *bus;
	struct devreg *reg;
	struct jobeng *jobs;
	struct usbscan *usb;
	struct adbmgr *adb;
	struct demo *demo;
	char usb_err[256];
	struct sclient *clients[MAX_CLIENTS];
	int nclients;
	int64_t started_ms;
	int64_t idle_since;		/* monotonic ms, 0 while busy */
	int stopping;
	int exit_code;
};

static struct evbus *tap_bus;

/* Log lines at warning level or worse go to attached dashboards. */
static void
log_tap(int level, const char *module, const char *msg)
{
	struct ev ev;

	if (tap_bus == NULL || level > LOG_WARN)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_LOG;
	ev.err = level;
	snprintf(ev.kind, sizeof(ev.kind), "%s", module);
	snprintf(ev.text, sizeof(ev.text), "%s", msg);
	evbus_post(tap_bus, &ev);
}

void
server_opts_default(struct server_opts *o)
{
	const char *e = getenv("DROIDMEDIC_IDLE_EXIT");

	memset(o, 0, sizeof(*o));
	o->idle_exit_s = 60;
	if (e != NULL && *e != '\0')
		o->idle_exit_s = atoi(e);
	o->grace_s = 120;
}

/* ---- clients ---------------------------------------------------------- */

/* Queue bytes for a client; one that lets CLIENT_OUT_CAP pile up is not
 * reading (a dead SSH link) and is dropped. */
static void
client_append(struct sclient *c, const char *line, size_t len)
{
	if (c->outlen + len > CLIENT_OUT_CAP) {
		log_warn("server", "client %s is not reading; dropping it",
		    c->name);
		c->closing = 2;
		return;
	}
	if (c->outlen + len > c->outcap) {
		size_t ncap = c->outcap ? c->outcap : 4096;

		while (ncap < c->outlen + len)
			ncap *= 2;
		c->out = xrealloc(c->out, ncap);
		c->outcap = ncap;
	}
	memcpy(c->out + c->outlen, line, len);
	c->outlen += len;
}

static void
client_queue(struct sclient *c, cJSON *msg)
{
	size_t len;
	char *line = proto_encode(msg, &len);

	cJSON_Delete(msg);
	if (line == NULL) {
		log_err("server", "reply too large for client %s", c->name);
		return;
	}
	client_append(c, line, len);
	free(line);
}

static void
client_flush(struct sclient *c)
{
	ssize_t n;

	while (c->outlen > 0) {
		n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->closing = 2;
			return;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
}

static void
client_drop(struct server *s, int i)
{
	struct sclient *c = s->clients[i];

	log_info("server", "client %s (fd %d) left", c->name, c->fd);
	close(c->fd);
	linebuf_done(&c->in);
	free(c->out);
	free(c);
	s->clients[i] = s->clients[--s->nclients];
	s->clients[s->nclients] = NULL;
}

static void
accept_client(struct server *s)
{
	struct sclient *c;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd;

	fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    (cred.uid != getuid() && cred.uid != 0)) {
		log_warn("server", "refused a client of another user");
		close(fd);
		return;
	}
	if (s->nclients >= MAX_CLIENTS) {
		log_warn("server", "too many clients (%d); refusing one",
		    MAX_CLIENTS);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	snprintf(c->name, sizeof(c->name), "pid%d", (int)cred.pid);
	linebuf_init(&c->in, PROTO_MAX_LINE);
	s->clients[s->nclients++] = c;
	log_info("server", "client %s connected (fd %d)", c->name, fd);
}

/* ---- requests --------------------------------------------------------- */

static cJSON *
usb_status(struct server *s)
{
	cJSON *u = cJSON_CreateObject();

	cJSON_AddBoolToObject(u, "ok", s->usb != NULL);
	cJSON_AddBoolToObject(u, "hotplug", s->usb && usbscan_hotplug(s->usb));
	cJSON_AddStringToObject(u, "error", s->usb_err);
	return u;
}

/* A row as JSON, with the phone's identity when it has one. */
static cJSON *
dev_json(struct server *s, const struct dev_info *di)
{
	cJSON *o = proto_dev_to_json(di), *ident = NULL;
	char *text = devreg_get_ident(s->reg, di->id);

	if (text != NULL)
		ident = cJSON_Parse(text);
	free(text);
	cJSON_AddItemToObject(o, "identity", ident ? ident : cJSON_CreateNull());
	return o;
}

static cJSON *
devices_json(struct server *s)
{
	struct dev_info *list;
	cJSON *arr = cJSON_CreateArray();
	int n = devreg_list(s->reg, &list);

	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, dev_json(s, &list[i]));
	free(list);
	return arr;
}

static cJSON *
jobs_json(struct server *s)
{
	struct job_info *list;
	cJSON *arr = cJSON_CreateArray();
	int n = jobeng_list(s->jobs, &list);

	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, proto_job_to_json(&list[i]));
	free(list);
	return arr;
}

static cJSON *
status_json(struct server *s)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "server_version", PACKAGE_VERSION);
	cJSON_AddNumberToObject(r, "proto", PROTO_VERSION);
	cJSON_AddNumberToObject(r, "pid", (double)getpid());
	cJSON_AddNumberToObject(r, "uptime_s",
	    (double)((dm_now_ms() - s->started_ms) / 1000));
	cJSON_AddNumberToObject(r, "clients", s->nclients);
	cJSON_AddNumberToObject(r, "jobs_active", jobeng_active(s->jobs));
	cJSON_AddNumberToObject(r, "devices", devreg_count(s->reg));
	cJSON_AddStringToObject(r, "socket", s->sock_path);
	cJSON_AddStringToObject(r, "log", log_path() ? log_path() : "");
	cJSON_AddNumberToObject(r, "idle_exit_s", s->o->idle_exit_s);
	cJSON_AddItemToObject(r, "usb", usb_status(s));
	return r;
}

static const char *
param_str(const cJSON *params, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Where a job reaches the phone that what names: a bench row in the
 * modes the job needs (fastboot: bootloader or fastbootd; else adb or
 * recovery), giving its row id, its address and, for a USB row, the
 * serial the phone must still give; or an address not on the bench
 * (tcp:, usb:, adb-server:, HOST:PORT), row 0.  0, or a negative dm_err
 * with msg. */
static int
job_target(struct server *s, const char *what, int fastboot, char *addr,
    size_t alen, char *serial, size_t slen, unsigned *dev_id, char *msg,
    size_t mlen)
{
	struct dev_info di;

	*dev_id = 0;
	serial[0] = '\0';
	if (what == NULL || *what == '\0')
		return dm_fail(msg, mlen, DM_EINVAL, "which phone? "
		    "(\"device\")");
	if (devreg_lookup(s->reg, what, &di) == 0) {
		int ok = fastboot ? di.mode == DEV_MODE_FASTBOOT ||
		    di.mode == DEV_MODE_FASTBOOTD : di.mode == DEV_MODE_ADB ||
		    di.mode == DEV_MODE_RECOVERY;

		if (!di.present)
			return dm_fail(msg, mlen, DM_ENODEV, "%s is offline",
			    what);
		if (!ok)
			return dm_fail(msg, mlen, DM_EINVAL, "%s is in %s mode, "
			    "not %s (droidmedic reboot -s %s %s)", what,
			    dev_mode_name(di.mode), fastboot ? "fastboot" :
			    "adb", what, fastboot ? "bootloader" : "system");
		*dev_id = di.id;
		if (fastboot)
			snprintf(addr, alen, "%s", di.port);
		else
			dev_adb_address(&di, addr, alen);
		/* A network row is named by its address, not a serial. */
		if (strcmp(di.transport, "tcp") != 0)
			snprintf(serial, slen, "%s", di.serial);
		return 0;
	}
	if (transport_address(what, addr, alen))
		return 0;
	return dm_fail(msg, mlen, DM_ENODEV, "no phone %s on the bench (see "
	    "droidmedic devices; a network one is %sHOST:PORT)", what,
	    fastboot ? "tcp:" : "");
}

/* "flash": queue a fastboot flash job; the job checks and confirms. */
static cJSON *
flash_op(struct server *s, unsigned id, const cJSON *params)
{
	struct flashjob_req fr;
	unsigned dev_id;
	char msg[512];
	cJSON *r;
	int rc;

	rc = flashjob_req_from_json(params, &fr, msg, sizeof(msg));
	if (rc == 0)
		rc = job_target(s, param_str(params, "device"), 1, fr.addr,
		    sizeof(fr.addr), fr.expect_serial,
		    sizeof(fr.expect_serial), &dev_id, msg, sizeof(msg));
	if (rc < 0)
		return proto_reply_err(id, rc, msg);
	rc = flashjob_submit(s->jobs, dev_id, &fr);
	if (rc < 0)
		return proto_reply_err(id, rc, "could not queue the flash");
	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "job", rc);
	cJSON_AddNumberToObject(r, "device", dev_id);
	return proto_reply_ok(id, r);
}

/* "flashrom": queue a whole-package flash (romjob.c); the job plans,
 * gates and checks the confirmation against the phone that answers. */
static cJSON *
flashrom_op(struct server *s, unsigned id, const cJSON *params)
{
	struct romjob_req rr;
	unsigned dev_id;
	char msg[512];
	cJSON *r;
	int rc;

	rc = romjob_req_from_json(params, &rr, msg, sizeof(msg));
	if (rc == 0)
		rc = job_target(s, param_str(params, "device"), 1, rr.addr,
		    sizeof(rr.addr), rr.expect_serial,
		    sizeof(rr.expect_serial), &dev_id, msg, sizeof(msg));
	if (rc < 0)
		return proto_reply_err(id, rc, msg);
	rc = romjob_submit(s->jobs, dev_id, &rr);
	if (rc < 0)
		return proto_reply_err(id, rc, "could not queue the flash");
	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "job", rc);
	cJSON_AddNumberToObject(r, "device", dev_id);
	return proto_reply_ok(id, r);
}

/* "fetch": queue a firmware download (fetchjob.c); no phone needed. */
static cJSON *
fetch_op(struct server *s, unsigned id, const cJSON *params)
{
	char msg[512];
	cJSON *r;
	int rc;

	rc = fetchjob_submit_json(s->jobs, params, msg, sizeof(msg));
	if (rc < 0)
		return proto_reply_err(id, rc, msg);
	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "job", rc);
	return proto_reply_ok(id, r);
}

/* "transfer": queue a pull or push job (xferjob.c). */
static cJSON *
transfer_op(struct server *s, unsigned id, const cJSON *params)
{
	struct xferjob_req xr;
	unsigned dev_id;
	char msg[512], serial[96];
	cJSON *r;
	int rc;

	/* A copy is not a destructive step: no serial check, as for
	 * shell. */
	rc = xferjob_req_from_json(params, &xr, msg, sizeof(msg));
	if (rc == 0)
		rc = job_target(s, param_str(params, "device"), 0, xr.addr,
		    sizeof(xr.addr), serial, sizeof(serial), &dev_id, msg,
		    sizeof(msg));
	if (rc < 0)
		return proto_reply_err(id, rc, msg);
	rc = xferjob_submit(s->jobs, dev_id, &xr);
	if (rc < 0)
		return proto_reply_err(id, rc, "could not queue the transfer");
	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "job", rc);
	cJSON_AddNumberToObject(r, "device", dev_id);
	return proto_reply_ok(id, r);
}

/* "backup" and "restore": queue the job on the phone's row
 * (backup.c, restore.c); the restore job checks the confirmation against
 * the phone's own serial. */
static cJSON *
backup_op(struct server *s, unsigned id, const cJSON *params, int restore)
{
	struct backup_req br;
	struct restore_req rr;
	unsigned dev_id;
	char msg[512], serial[96];
	cJSON *r;
	int rc;

	if (restore)
		rc = restore_req_from_json(params, &rr, msg, sizeof(msg));
	else
		rc = backup_req_from_json(params, &br, msg, sizeof(msg));
	if (rc == 0)
		rc = job_target(s, param_str(params, "device"), 0, restore ?
		    rr.addr : br.addr, sizeof(br.addr), serial,
		    sizeof(serial), &dev_id, msg, sizeof(msg));
	if (rc < 0)
		return proto_reply_err(id, rc, msg);
	if (restore) {
		snprintf(rr.serial, sizeof(rr.serial), "%s", serial);
		rc = restore_submit(s->jobs, dev_id, &rr);
	} else {
		snprintf(br.serial, sizeof(br.serial), "%s", serial[0] ?
		    serial : br.addr);
		rc = backup_submit(s->jobs, dev_id, &br);
	}
	if (rc < 0)
		return proto_reply_err(id, rc, "could not queue the job");
	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "job", rc);
	cJSON_AddNumberToObject(r, "device", dev_id);
	return proto_reply_ok(id, r);
}

/* "diagnose" and "fix": queue a job on a phone in adb or fastboot
 * (fixjob.c); the fix job checks the confirmation against the phone's own
 * serial. */
static cJSON *
fix_op(struct server *s, unsigned id, const cJSON *params, int diagnose)
{
	struct fixjob_req fr;
	struct dev_info di;
	unsigned dev_id;
	char msg[512], serial[96];
	cJSON *r;
	int rc;

	rc = fixjob_req_from_json(params, diagnose, &fr, msg, sizeof(msg));
	/* A phone in its bootloader or fastbootd is diagnosed (and some
	 * steps run) there. */
	if (rc == 0 && param_str(params, "device") != NULL &&
	    devreg_lookup(s->reg, param_str(params, "device"), &di) == 0 &&
	    (di.mode == DEV_MODE_FASTBOOT || di.mode == DEV_MODE_FASTBOOTD))
		fr.fastboot = 1;
	/* One that runs nothing for us (unauthorized, USB debugging off,
	 * download modes) is diagnosed from its row. */
	if (rc == 0 && param_str(params, "device") != NULL &&
	    devreg_lookup(s->reg, param_str(params, "device"), &di) == 0 &&
	    di.present && (repair_mode_of_row(di.mode) & RULE_MODES_LINK)) {
		fr.link = 1;
		fr.row = di;
		dev_id = 0;
	} else if (rc == 0) {
		rc = job_target(s, param_str(params, "device"), fr.fastboot > 0,
		    fr.addr, sizeof(fr.addr), serial, sizeof(serial), &dev_id,
		    msg, sizeof(msg));
	}
	if (rc < 0)
		return proto_reply_err(id, rc, msg);
	rc = fixjob_submit(s->jobs, dev_id, &fr);
	if (rc < 0)
		return proto_reply_err(id, rc, "could not queue the job");
	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "job", rc);
	cJSON_AddNumberToObject(r, "device", dev_id);
	return proto_reply_ok(id, r);
}

static cJSON *
handle(struct server *s, struct sclient *c, const cJSON *req)
{
	const cJSON *jid = cJSON_GetObjectItemCaseSensitive(req, "id");
	const cJSON *jv = cJSON_GetObjectItemCaseSensitive(req, "v");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(req, "params");
	const char *op = param_str(req, "op");
	unsigned id = cJSON_IsNumber(jid) && jid->valuedouble >= 0 &&
	    jid->valuedouble < 4294967296.0 ? (unsigned)jid->valuedouble : 0;
	struct dev_info di;
	cJSON *r;
	int rc;

	if (!cJSON_IsNumber(jv) || (int)jv->valuedouble != PROTO_VERSION)
		return proto_reply_err(id, DM_EVERSION,
		    "protocol version mismatch: this server speaks v1; "
		    "restart it with `droidmedic server stop`");
	if (op == NULL)
		return proto_reply_err(id, DM_EINVAL, "request without op");

	if (strcmp(op, "hello") == 0) {
		const char *name = param_str(params, "client");

		if (name != NULL)
			snprintf(c->name, sizeof(c->name), "%s", name);
		r = status_json(s);
		return proto_reply_ok(id, r);
	}
	if (strcmp(op, "status") == 0)
		return proto_reply_ok(id, status_json(s));
	if (strcmp(op, "devices") == 0) {
		r = cJSON_CreateObject();
		cJSON_AddItemToObject(r, "devices", devices_json(s));
		return proto_reply_ok(id, r);
	}
	if (strcmp(op, "device") == 0) {
		const char *what = param_str(params, "device");

		rc = devreg_lookup(s->reg, what, &di);
		if (rc < 0)
			return proto_reply_err(id, rc, "no such device");
		r = cJSON_CreateObject();
		cJSON_AddItemToObject(r, "device", dev_json(s, &di));
		return proto_reply_ok(id, r);
	}
	if (strcmp(op, "subscribe") == 0) {
		/* State and subscription in one step: nothing falls between
		 * the snapshot and the first event, since both happen on this
		 * thread before the bus is drained again. */
		c->subscribed = 1;
		r = cJSON_CreateObject();
		cJSON_AddItemToObject(r, "devices", devices_json(s));
		cJSON_AddItemToObject(r, "jobs", jobs_json(s));
		return proto_reply_ok(id, r);
	}
	if (strcmp(op, "unsubscribe") == 0) {
		c->subscribed = 0;
		return proto_reply_ok(id, NULL);
	}
	if (strcmp(op, "jobs") == 0) {
		r = cJSON_CreateObject();
		cJSON_AddItemToObject(r, "jobs", jobs_json(s));
		return proto_reply_ok(id, r);
	}
	if (strcmp(op, "job.cancel") == 0) {
		const cJSON *j = cJSON_GetObjectItemCaseSensitive(params, "id");

		if (!cJSON_IsNumber(j))
			return proto_reply_err(id, DM_EINVAL, "need a job id");
		rc = jobeng_cancel(s->jobs, (unsigned)j->valuedouble);
		if (rc < 0)
			return proto_reply_err(id, rc, "no such running job");
		return proto_reply_ok(id, NULL);
	}
	if (strcmp(op, "job") == 0) {
		const cJSON *j = cJSON_GetObjectItemCaseSensitive(params, "id");
		struct job_info ji;
		char *res;

		if (!cJSON_IsNumber(j))
			return proto_reply_err(id, DM_EINVAL, "need a job id");
		rc = jobeng_get(s->jobs, (unsigned)j->valuedouble, &ji);
		if (rc < 0)
			return proto_reply_err(id, rc, "no such job (finished "
			    "jobs are kept for a while, not for ever)");
		r = cJSON_CreateObject();
		cJSON_AddItemToObject(r, "job", proto_job_to_json(&ji));
		res = jobeng_result(s->jobs, ji.id);
		cJSON_AddItemToObject(r, "result", res ? cJSON_Parse(res) :
		    cJSON_CreateNull());
		free(res);
		return proto_reply_ok(id, r);
	}
	if (strcmp(op, "flashrom") == 0)
		return flashrom_op(s, id, params);
	if (strcmp(op, "fetch") == 0)
		return fetch_op(s, id, params);
	if (strcmp(op, "flash") == 0)
		return flash_op(s, id, params);
	if (strcmp(op, "transfer") == 0)
		return transfer_op(s, id, params);
	if (strcmp(op, "backup") == 0 || strcmp(op, "restore") == 0)
		return backup_op(s, id, params, op[0] == 'r');
	if (strcmp(op, "diagnose") == 0 || strcmp(op, "fix") == 0)
		return fix_op(s, id, params, op[0] == 'd');
	if (strcmp(op, "connect") == 0) {
		const char *addr = param_str(params, "address");
		char msg[256];
		unsigned job = 0;

		if (addr == NULL)
			return proto_reply_err(id, DM_EINVAL,
			    "need an address (HOST[:PORT])");
		rc = adbmgr_connect(s->adb, addr, cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(params, "demo")), &job,
		    msg, sizeof(msg));
		if (rc < 0)
			return proto_reply_err(id, rc, msg);
		r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "device", rc);
		cJSON_AddNumberToObject(r, "job", job);
		return proto_reply_ok(id, r);
	}
	if (strcmp(op, "demo") == 0) {
		const char *action = param_str(params, "action");
		char msg[256];
		int pid = 0;

		if (action == NULL || strcmp(action, "start") == 0) {
			struct demo_paths dp = {
				param_str(params, "sim"),
				param_str(params, "profiles"),
				param_str(params, "fixtures"),
			};

			rc = demo_start(s->demo, &dp, msg, sizeof(msg));
		}
		else if (strcmp(action, "stop") == 0)
			rc = demo_stop(s->demo) == 0 ? 0 : dm_fail(msg,
			    sizeof(msg), DM_ENOENT, "no demo is running");
		else if (strcmp(action, "status") == 0)
			rc = 0;
		else
			rc = dm_fail(msg, sizeof(msg), DM_EINVAL, "demo: "
			    "start, stop or status");
		if (rc < 0)
			return proto_reply_err(id, rc, msg);
		r = cJSON_CreateObject();
		cJSON_AddBoolToObject(r, "running", demo_running(s->demo,
		    &pid));
		cJSON_AddNumberToObject(r, "pid", pid);
		cJSON_AddNumberToObject(r, "phones", demo_phones(s->demo));
		return proto_reply_ok(id, r);
	}
	if (strcmp(op, "disconnect") == 0) {
		const char *what = param_str(params, "device");
		char msg[256];

		if (what == NULL)
			return proto_reply_err(id, DM_EINVAL, "need a device");
		rc = adbmgr_disconnect(s->adb, what, msg, sizeof(msg));
		if (rc < 0)
			return proto_reply_err(id, rc, msg);
		return proto_reply_ok(id, NULL);
	}
	if (strcmp(op, "rescan") == 0) {
		if (s->usb == NULL)
			return proto_reply_err(id, DM_EUNSUPP, s->usb_err);
		usbscan_rescan(s->usb);
		return proto_reply_ok(id, NULL);
	}
	if (strcmp(op, "stop") == 0) {
		int active = jobeng_active_fg(s->jobs);

		if (active > 0 && !cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(params, "force"))) {
			char msg[160];

			snprintf(msg, sizeof(msg), "%d job%s still running; "
			    "refusing to stop (--force cancels them)", active,
			    active == 1 ? "" : "s");
			return proto_reply_err(id, DM_EBUSY, msg);
		}
		log_info("server", "stop requested by %s", c->name);
		s->stopping = 1;
		return proto_reply_ok(id, NULL);
	}
	return proto_reply_err(id, DM_EINVAL, "unknown op");
}

static void
client_read(struct server *s, struct sclient *c)
{
	char *line;
	int rc;

	rc = linebuf_fill(&c->in, c->fd);
	if (rc == DM_ENOMEM) {
		client_queue(c, proto_reply_err(0, DM_EINVAL,
		    "message longer than the protocol allows"));
		c->closing = 1;
		return;
	}
	if (rc < 0) {
		c->closing = 2;
		return;
	}
	while ((line = linebuf_next(&c->in)) != NULL) {
		cJSON *req = cJSON_ParseWithLength(line, strlen(line));

		if (req == NULL || !cJSON_IsObject(req))
			client_queue(c, proto_reply_err(0, DM_EINVAL,
			    "not a JSON object"));
		else
			client_queue(c, handle(s, c, req));
		cJSON_Delete(req);
		free(line);
	}
}

/* ---- events ----------------------------------------------------------- */

static void
broadcast(struct server *s, const struct ev *ev)
{
	cJSON *msg;
	size_t len;
	char *line;

	msg = proto_event(ev);
	if (msg == NULL)
		return;
	if (ev->type == EV_DEVICE_ADD || ev->type == EV_DEVICE_CHANGE) {
		cJSON_ReplaceItemInObjectCaseSensitive(msg, "device",
		    dev_json(s, &ev->dev));
	}
	line = proto_encode(msg, &len);
	cJSON_Delete(msg);
	if (line == NULL)
		return;
	for (int i = 0; i < s->nclients; i++) {
		struct sclient *c = s->clients[i];

		if (!c->subscribed || c->closing)
			continue;
		client_append(c, line, len);
	}
	free(line);
}

static void
drain_bus(struct server *s)
{
	struct ev *list = evbus_take_all(s->bus);

	for (struct ev *e = list; e != NULL; e = e->next) {
		if (e->type == EV_DEVICE_ADD || e->type == EV_DEVICE_CHANGE ||
		    e->type == EV_DEVICE_REMOVE)
		{
			log_info("server", "%s: #%u %s %s %s",
			    ev_type_name(e->type), e->dev.id, e->dev.port,
			    e->dev.serial, dev_mode_name(e->dev.mode));
			if (e->type != EV_DEVICE_REMOVE)
				adbmgr_on_device(s->adb, &e->dev);
		}
		broadcast(s, e);
	}
	ev_free_list(list);
}

/* ---- set-up ----------------------------------------------------------- */

static int
take_lock(struct server *s)
{
	char *path = paths_runtime_file("server.lock");
	char buf[32];
	ssize_t n;
	int fd;

	if (path == NULL) {
		fprintf(stderr, "droidmedic: cannot use the runtime directory: "
		    "%s\n", strerror(errno));
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0) {
		perror("droidmedic: server.lock");
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "droidmedic: server already running (pid %d)\n",
		    atoi(buf));
		close(fd);
		return -2;
	}
	if (ftruncate(fd, 0) == 0) {
		n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
		if (pwrite(fd, buf, (size_t)n, 0) != n)
			log_warn("server", "cannot write the pid to the lock");
	}
	s->lockfd = fd;
	return 0;
}

static int
listen_socket(struct server *s)
{
	struct sockaddr_un sa;
	int fd;

	s->sock_path = paths_socket();
	if (s->sock_path == NULL) {
		fprintf(stderr, "droidmedic: no socket path: %s\n",
		    strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(s->sock_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "droidmedic: socket path too long: %s\n",
		    s->sock_path);
		return -1;
	}
	strcpy(sa.sun_path, s->sock_path);
	/* We hold the lock, so a socket file left there is stale. */
	unlink(s->sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0) {
		fprintf(stderr, "droidmedic: cannot listen on %s: %s\n",
		    s->sock_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	chmod(s->sock_path, 0600);
	s->lfd = fd;
	return 0;
}

static int
signals_fd(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void
on_signal(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("server", "SIGHUP ignored: jobs keep running");
			continue;
		}
		log_info("server", "signal %u: stopping", si.ssi_signo);
		s->stopping = 1;
	}
}

static void
tick(struct server *s)
{
	int64_t now = dm_mono_ms();

	devreg_expire(s->reg, dm_now_ms(), (int64_t)s->o->grace_s * 1000);
	if (s->nclients > 0 || jobeng_active(s->jobs) > 0) {
		s->idle_since = 0;
		return;
	}
	if (s->idle_since == 0)
		s->idle_since = now;
	if (s->o->idle_exit_s > 0 &&
	    now - s->idle_since >= (int64_t)s->o->idle_exit_s * 1000) {
		log_info("server", "idle for %d s with no clients or jobs: "
		    "exiting", s->o->idle_exit_s);
		s->stopping = 1;
	}
}

int
server_main(const struct server_opts *o)
{
	struct server srv, *s = &srv;
	struct pollfd pfd[3 + MAX_CLIENTS];
	int64_t next_tick;
	int rc;

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->lfd = s->sigfd = s->lockfd = -1;
	s->started_ms = dm_now_ms();

	if (log_path() == NULL && log_open(NULL) < 0)
		fprintf(stderr, "droidmedic: cannot open the log: %s\n",
		    strerror(errno));
	log_to_stderr(o->log_stderr);
	if (log_level() < LOG_INFO)
		log_set_level(LOG_INFO);	/* the bench's record */
	rc = take_lock(s);
	if (rc < 0)
		return rc == -2 ? 3 : 1;
	if (listen_socket(s) < 0)
		return 1;
	s->sigfd = signals_fd();
	if (s->sigfd < 0) {
		perror("droidmedic: signalfd");
		return 1;
	}

	s->bus = evbus_new();
	tap_bus = s->bus;
	log_set_tap(log_tap);
	s->reg = devreg_new(s->bus);
	s->jobs = jobeng_new(s->bus, s->reg, JOB_WORKERS);
	s->adb = adbmgr_new(s->reg, s->jobs, o->grace_s);
	s->demo = demo_new(s->adb);
	if (!o->no_usb) {
		s->usb = usbscan_new(s->reg, s->usb_err, sizeof(s->usb_err));
		if (s->usb != NULL && usbscan_start(s->usb) < 0) {
			snprintf(s->usb_err, sizeof(s->usb_err),
			    "USB discovery did not start");
			usbscan_free(s->usb);
			s->usb = NULL;
		}
		if (s->usb == NULL)
			log_warn("server", "USB unavailable: %s", s->usb_err);
	} else {
		snprintf(s->usb_err, sizeof(s->usb_err),
		    "disabled (--no-usb)");
	}
	log_info("server", "droidmedic %s server pid %d on %s",
	    PACKAGE_VERSION, (int)getpid(), s->sock_path);

	next_tick = dm_mono_ms() + TICK_MS;
	while (!s->stopping || s->nclients > 0) {
		int n = 0, timeout;

		pfd[n++] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = evbus_fd(s->bus),
		    .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
		for (int i = 0; i < s->nclients; i++) {
			struct sclient *c = s->clients[i];

			pfd[n++] = (struct pollfd){ .fd = c->fd,
			    .events = (short)(POLLIN |
			    (c->outlen ? POLLOUT : 0)) };
		}
		timeout = (int)(next_tick - dm_mono_ms());
		if (timeout < 0)
			timeout = 0;
		if (s->stopping)
			timeout = timeout > 100 ? 100 : timeout;
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			log_err("server", "poll: %s", strerror(errno));
			break;
		}
		if (pfd[2].revents)
			on_signal(s);
		if (pfd[1].revents)
			drain_bus(s);
		for (int i = 0; i < s->nclients; i++) {
			struct sclient *c = s->clients[i];
			short re = pfd[3 + i].revents;

			if (!c->closing && re & (POLLIN | POLLHUP | POLLERR))
				client_read(s, c);
			client_flush(c);
		}
		/* Drop finished or dead clients (backwards: drop swaps). */
		for (int i = s->nclients - 1; i >= 0; i--) {
			struct sclient *c = s->clients[i];

			if (c->closing == 2 || (c->closing == 1 &&
			    c->outlen == 0) || (s->stopping && c->outlen == 0))
				client_drop(s, i);
		}
		if (!s->stopping && pfd[0].revents & POLLIN)
			accept_client(s);
		if (dm_mono_ms() >= next_tick) {
			tick(s);
			next_tick = dm_mono_ms() + TICK_MS;
		}
	}

	log_info("server", "shutting down");
	close(s->lfd);
	unlink(s->sock_path);
	for (int i = s->nclients - 1; i >= 0; i--)
		client_drop(s, i);
	demo_free(s->demo);		/* its phones go, its simulator stops */
	adbmgr_stop(s->adb);
	usbscan_free(s->usb);
	jobeng_free(s->jobs);		/* cancels and waits for jobs */
	adbmgr_free(s->adb);		/* after the jobs: they use it */
	log_set_tap(NULL);
	tap_bus = NULL;
	devreg_free(s->reg);
	evbus_free(s->bus);
	close(s->sigfd);
	free(s->sock_path);
	close(s->lockfd);
	log_close();
	return s->exit_code;
}
