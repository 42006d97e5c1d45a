/* adbmgr.c - the server's ADB side (see adbmgr.h).
 *
 * Threads: adbmgr_* entry points run on the server's loop; identification
 * runs as a job ("identify") on a worker; each TCP phone has a watcher
 * thread.  The manager's lock guards the TCP list; rows are only ever
 * touched through the registry. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "adb.h"
#include "adbkey.h"
#include "adbmgr.h"
#include "adbsrv.h"
#include "dev.h"
#include "err.h"
#include "fastboot.h"
#include "fbident.h"
#include "fbvars.h"
#include "ident.h"
#include "job.h"
#include "log.h"
#include "props.h"
#include "xmem.h"

#define AUTH_WAIT_MS	(5 * 60 * 1000)	/* the user walks to the phone */
#define RETRY_MS	1000
#define OUT_CAP		(4u << 20)

struct tcpdev {
	struct adbmgr *m;
	struct adb_conn *conn;	/* handed from the connect job */
	int running;		/* watcher thread started */
	atomic_int gave_up;	/* watcher ended: gone past the grace period */
	char addr[96];		/* "tcp:HOST:PORT" */
	char serial[96];	/* "HOST:PORT", as adb names them */
	unsigned id;
	int demo;
	atomic_int stop;
	pthread_t th;
	struct tcpdev *next;
};

struct adbmgr {
	struct devreg *reg;
	struct jobeng *jobs;
	int grace_s;
	pthread_mutex_t lock;
	struct adbkeys *keys;		/* loaded on first use */
	char keys_err[256];
	struct tcpdev *tcp;
	/* (id, presence) pairs already identified or being identified */
	struct seen { unsigned id, presence; } *seen;
	size_t nseen, capseen;
	/* Phones a running adb server holds (its own thread). */
	pthread_t srv_th;
	int srv_running;
	atomic_int srv_stop;
	int srv_port;
	struct srvdev *srv;	/* what the last listing showed */
	int nsrv;
};

/* One phone in the adb server's list, as last seen. */
struct srvdev {
	char serial[128];
	char state[32];
	char port[64];		/* the row's port: "usb:1-2" or "adb-server:S" */
	int owned;		/* a network phone: its row is ours to report */
};

struct ident_arg {
	struct adbmgr *m;
	unsigned id, presence;
	char addr[192];
	char path[24];
};

static struct adbkeys *
get_keys(struct adbmgr *m)
{
	struct adbkeys *k;

	pthread_mutex_lock(&m->lock);
	if (m->keys == NULL)
		m->keys = adbkeys_load(m->keys_err, sizeof(m->keys_err));
	k = m->keys;
	pthread_mutex_unlock(&m->lock);
	if (k == NULL)
		log_err("adb", "no ADB key: %s", m->keys_err);
	return k;
}

struct prompt_ctx {
	struct adbmgr *m;
	unsigned id, presence;
	const char *path;
	struct job *job;
};

static int
job_gone(void *ud)
{
	return job_cancelled(((struct prompt_ctx *)ud)->job);
}

static void
on_prompt(void *ud)
{
	struct prompt_ctx *p = ud;

	devreg_refine(p->m->reg, p->id, p->presence, DEV_MODE_UNAUTHORIZED,
	    "confirm \"Allow USB debugging?\" on the phone", p->path);
}

static enum dev_mode
banner_mode(const char *type)
{
	if (strcmp(type, "recovery") == 0)
		return DEV_MODE_RECOVERY;
	if (strcmp(type, "sideload") == 0)
		return DEV_MODE_SIDELOAD;
	return DEV_MODE_ADB;
}

/* Run one command and keep its output (NULL when it failed).  After a
 * failure that says the phone does not answer at all, *dead is set and
 * later commands are not tried. */
static char *
grab(struct adb_conn *c, const char *cmd, size_t *len, int *dead)
{
	char err[256], *out = NULL;
	int code, rc;

	if (*dead)
		return NULL;
	rc = adb_shell_capture(c, cmd, &out, len, OUT_CAP, &code, 20000, err,
	    sizeof(err));
	if (rc < 0) {
		log_warn("adb", "'%s' failed: %s", cmd, err);
		if (rc == DM_ETIMEOUT || rc == DM_ECONN || adb_dead(c))
			*dead = 1;
		return NULL;
	}
	return out;
}

/* What the phone says about itself, into the registry. */
static int
identify_conn(struct adbmgr *m, struct adb_conn *c, unsigned id,
    unsigned presence, const char *path)
{
	const struct adb_banner *b = adb_banner_get(c);
	enum dev_mode mode = banner_mode(b->type);
	struct dev_identity ident;
	struct props *p = NULL;
	char summary[128], detail[64];
	char *out, *json;
	int dead = 0;
	cJSON *j;
	size_t len;

	snprintf(detail, sizeof(detail), "%s%s%s", b->model,
	    b->model[0] ? " " : "", b->device[0] ? b->device : "");
	devreg_refine(m->reg, id, presence, mode, mode == DEV_MODE_ADB ?
	    "" : detail, path);
	if (mode == DEV_MODE_SIDELOAD)
		return 0;		/* no shell in sideload */
	ident_init(&ident);
	p = props_new();
	out = grab(c, "getprop", &len, &dead);
	if (out != NULL) {
		props_parse(p, out, len, PROPS_FMT_GETPROP);
		free(out);
	}
	if (props_count(p) == 0) {
		/* Banner fields at least. */
		props_set(p, "ro.product.model", b->model);
		props_set(p, "ro.product.name", b->product);
		props_set(p, "ro.product.device", b->device);
	}
	ident_from_props(&ident, p);
	props_free(p);
	out = grab(c, "dumpsys battery", &len, &dead);
	if (out != NULL) {
		ident_battery_parse(&ident.battery, out, len);
		free(out);
	}
	out = grab(c, "df /data", &len, &dead);
	if (out != NULL) {
		ident_storage_parse(&ident.storage, out, len);
		free(out);
	}
	ident_summary(&ident, summary, sizeof(summary), NULL);
	j = ident_to_json(&ident);
	json = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	devreg_set_ident(m->reg, id, presence, json, summary);
	cJSON_free(json);
	log_info("adb", "#%u identified: %s", id, summary);
	return 0;
}

static int
identify_job(struct job *job, void *arg)
{
	struct ident_arg *a = arg;
	struct prompt_ctx pc = { a->m, a->id, a->presence, a->path, job };
	struct adb_connect_opts o = { 0 };
	struct adbkeys *keys = get_keys(a->m);
	struct adb_conn *c = NULL;
	char err[512];
	int rc;

	if (keys == NULL)
		return job_fail(job, DM_ENOENT, "no ADB key: %s",
		    a->m->keys_err);
	o.addr = a->addr;
	o.keys = keys;
	o.timeout_ms = 10000;
	o.auth_wait_ms = AUTH_WAIT_MS;
	o.on_prompt = on_prompt;
	o.cancelled = job_gone;
	o.ud = &pc;
	job_progress(job, 0, 2, "connecting");
	rc = adb_connect(&o, &c, err, sizeof(err));
	if (rc < 0) {
		if (rc == DM_EACCES)
			devreg_refine(a->m->reg, a->id, a->presence,
			    DEV_MODE_UNAUTHORIZED, "not allowed on the phone",
			    a->path);
		return job_fail(job, rc, "%s", err);
	}
	job_progress(job, 1, 2, "identifying");
	rc = identify_conn(a->m, c, a->id, a->presence, a->path);
	adb_close(c);
	job_progress(job, 2, 2, "done");
	return rc;
}

/* What a phone in fastboot says about itself, into the registry: the
 * bootloader or fastbootd (is-userspace), and its identity. */
static int
identify_fastboot(struct adbmgr *m, struct fb_conn *c, unsigned id,
    unsigned presence, char *err, size_t errlen)
{
	struct fbvars v;
	char summary[128], *json;
	cJSON *j;
	int rc;

	fbvars_init(&v);
	rc = fbident_ask(c, &v, err, errlen);
	if (v.nraw > 0) {
		/* "": no ADB path while it is in fastboot. */
		devreg_refine(m->reg, id, presence, v.is_userspace == 1 ?
		    DEV_MODE_FASTBOOTD : DEV_MODE_FASTBOOT, "", "");
		j = fbident_to_json(&v);
		json = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		fbident_summary(&v, summary, sizeof(summary));
		devreg_set_ident(m->reg, id, presence, json, summary);
		cJSON_free(json);
		log_info("fastboot", "#%u identified: %s", id, summary);
	}
	fbvars_free(&v);
	return rc;
}

static int
identify_fb_job(struct job *job, void *arg)
{
	struct ident_arg *a = arg;
	struct fb_conn *c;
	char err[512];
	int rc;

	job_progress(job, 0, 2, "connecting");
	rc = fb_open(a->addr, 10000, &c, err, sizeof(err));
	if (rc < 0)
		return job_fail(job, rc, "%s", err);
	job_progress(job, 1, 2, "asking the bootloader");
	rc = identify_fastboot(a->m, c, a->id, a->presence, err, sizeof(err));
	fb_close(c);
	if (rc < 0)
		return job_fail(job, rc, "%s", err);
	job_progress(job, 2, 2, "done");
	return 0;
}

/* Remember (id, presence); 0 if it was new. */
static int
already_seen(struct adbmgr *m, unsigned id, unsigned presence)
{
	int hit = 0;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->nseen; i++)
		if (m->seen[i].id == id) {
			hit = m->seen[i].presence == presence;
			m->seen[i].presence = presence;
			pthread_mutex_unlock(&m->lock);
			return hit;
		}
	if (m->nseen == m->capseen) {
		m->capseen = m->capseen ? m->capseen * 2 : 16;
		m->seen = xrealloc(m->seen, m->capseen * sizeof(*m->seen));
	}
	m->seen[m->nseen].id = id;
	m->seen[m->nseen].presence = presence;
	m->nseen++;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static void
submit_identify(struct adbmgr *m, unsigned id, unsigned presence,
    const char *addr, const char *path, int fastboot)
{
	struct ident_arg *a = xcalloc(1, sizeof(*a));

	a->m = m;
	a->id = id;
	a->presence = presence;
	snprintf(a->addr, sizeof(a->addr), "%s", addr);
	snprintf(a->path, sizeof(a->path), "%s", path);
	if (jobeng_submit_flags(m->jobs, id, "identify", fastboot ?
	    identify_fb_job : identify_job, a, free, JOB_BACKGROUND) < 0)
		log_warn("adb", "#%u: could not queue identification", id);
}

void
adbmgr_on_device(struct adbmgr *m, const struct dev_info *di)
{
	int fastboot = di->mode == DEV_MODE_FASTBOOT ||
	    di->mode == DEV_MODE_FASTBOOTD;

	if (!di->present || (di->mode != DEV_MODE_ADB && !fastboot) ||
	    strcmp(di->transport, "usb") != 0 || di->nproblems > 0)
		return;		/* TCP phones identify on their thread */
	if (already_seen(m, di->id, di->presence))
		return;
	submit_identify(m, di->id, di->presence, di->port, fastboot ? "" :
	    "usb", fastboot);
}

/* ---- TCP phones ------------------------------------------------------------ */

static unsigned
tcp_observe_as(struct tcpdev *t, enum dev_mode mode)
{
	struct dev_info d;

	memset(&d, 0, sizeof(d));
	snprintf(d.transport, sizeof(d.transport), "tcp");
	snprintf(d.port, sizeof(d.port), "%s", t->addr);
	snprintf(d.serial, sizeof(d.serial), "%s", t->serial);
	if (mode == DEV_MODE_ADB)
		snprintf(d.adb_path, sizeof(d.adb_path), "tcp");
	d.mode = mode;
	d.demo = t->demo;
	snprintf(d.speed, sizeof(d.speed), "net");
	t->id = devreg_seen(t->m->reg, &d, dm_now_ms());
	devreg_get(t->m->reg, t->id, &d);
	return d.presence;
}

static unsigned
tcp_observe(struct tcpdev *t)
{
	return tcp_observe_as(t, DEV_MODE_ADB);
}

/* Not adbd on that port: maybe the phone is in fastboot there (the
 * bootloader or fastbootd over the network, or a simulated phone).  If
 * so, show and identify it; 1 when it answered the FB01 handshake. */
static int
tcp_fastboot_probe(struct tcpdev *t, int identify)
{
	struct fb_conn *c;
	char err[512];
	unsigned presence;

	if (fb_open(t->addr, 3000, &c, err, sizeof(err)) < 0)
		return 0;
	presence = tcp_observe_as(t, DEV_MODE_FASTBOOT);
	if (identify && !already_seen(t->m, t->id, presence) &&
	    identify_fastboot(t->m, c, t->id, presence, err, sizeof(err)) < 0)
		log_info("fastboot", "%s: %s", t->serial, err);
	fb_close(c);
	return 1;
}

struct tcp_prompt {
	struct tcpdev *t;
};

/* The phone answered but waits for the user: it is there, unauthorized. */
static void
tcp_on_prompt(void *ud)
{
	struct tcpdev *t = ((struct tcp_prompt *)ud)->t;
	unsigned presence = tcp_observe(t);

	devreg_refine(t->m->reg, t->id, presence, DEV_MODE_UNAUTHORIZED,
	    "confirm \"Allow USB debugging?\" on the phone", "tcp");
}

static int
tcp_stopped(void *ud)
{
	return atomic_load(&((struct tcp_prompt *)ud)->t->stop);
}

static int
tcp_dial(struct tcpdev *t, struct adb_conn **c, char *err, size_t errlen)
{
	struct adb_connect_opts o = { 0 };
	struct tcp_prompt tp = { t };

	o.addr = t->addr;
	o.keys = get_keys(t->m);
	if (o.keys == NULL)
		return dm_fail(err, errlen, DM_ENOENT, "no ADB key: %s",
		    t->m->keys_err);
	o.timeout_ms = 5000;
	o.auth_wait_ms = AUTH_WAIT_MS;
	o.on_prompt = tcp_on_prompt;
	o.cancelled = tcp_stopped;
	o.ud = &tp;
	return adb_connect(&o, c, err, errlen);
}

/* Watch a connected phone: when the link drops (reboot, cable, Wi-Fi)
 * mark it gone and redial until it is back or the grace period ends. */
static void *
tcp_main(void *arg)
{
	struct tcpdev *t = arg;
	struct adbmgr *m = t->m;
	struct adb_conn *c = t->conn;
	int64_t gone_since = dm_mono_ms();

	t->conn = NULL;
	while (!atomic_load(&t->stop)) {
		char err[512];

		if (c != NULL) {
			while (!atomic_load(&t->stop) && !adb_dead(c))
				usleep(200 * 1000);
			adb_close(c);
			c = NULL;
			if (atomic_load(&t->stop))
				break;
			log_info("adb", "%s: link dropped", t->serial);
			devreg_gone(m->reg, t->addr, dm_now_ms());
			gone_since = dm_mono_ms();
		}
		for (int i = 0; i < RETRY_MS / 100 && !atomic_load(&t->stop);
		    i++)
			usleep(100 * 1000);
		if (atomic_load(&t->stop))
			break;
		if (tcp_dial(t, &c, err, sizeof(err)) == 0) {
			identify_conn(m, c, t->id, tcp_observe(t), "tcp");
			continue;
		}
		c = NULL;
		if (!atomic_load(&t->stop) && tcp_fastboot_probe(t, 1)) {
			/* In fastboot: a short connection now and then
			 * (a phone may take only one, and a flash needs
			 * it), until it stops answering. */
			while (!atomic_load(&t->stop)) {
				for (int i = 0; i < 10 && !atomic_load(&t->stop);
				    i++)
					usleep(100 * 1000);
				if (atomic_load(&t->stop) ||
				    !tcp_fastboot_probe(t, 0))
					break;
			}
			if (atomic_load(&t->stop))
				break;
			log_info("fastboot", "%s: left fastboot", t->serial);
			devreg_gone(m->reg, t->addr, dm_now_ms());
			gone_since = dm_mono_ms();
			continue;
		}
		if (dm_mono_ms() - gone_since > (int64_t)m->grace_s * 1000) {
			log_info("adb", "%s: gone for %d s, giving up",
			    t->serial, m->grace_s);
			atomic_store(&t->gave_up, 1);
			break;
		}
	}
	if (c != NULL)
		adb_close(c);
	return NULL;
}

/* The first connection, as a job, so `droidmedic connect` hears how it
 * went; on success the watcher thread takes the live connection over. */
static int
connect_job(struct job *job, void *arg)
{
	struct tcpdev *t = arg;
	struct adbmgr *m = t->m;
	struct adb_conn *c = NULL;
	char err[512];
	int rc, started;

	job_progress(job, 0, 2, "connecting");
	rc = tcp_dial(t, &c, err, sizeof(err));
	if (rc < 0 && !atomic_load(&t->stop) && tcp_fastboot_probe(t, 1))
		rc = 0;		/* in fastboot: the watcher goes on */
	else if (rc == 0) {
		job_progress(job, 1, 2, "identifying");
		identify_conn(m, c, t->id, tcp_observe(t), "tcp");
	}
	if (rc == 0) {
		pthread_mutex_lock(&m->lock);
		if (atomic_load(&t->stop)) {
			/* Disconnected meanwhile: it already left the list. */
			pthread_mutex_unlock(&m->lock);
			adb_close(c);
			free(t);
			return DM_ECANCEL;
		}
		t->conn = c;
		if (pthread_create(&t->th, NULL, tcp_main, t) == 0)
			t->running = 1;
		started = t->running;	/* t is the watcher's from now on */
		pthread_mutex_unlock(&m->lock);
		if (started)
			return 0;
		adb_close(c);
		snprintf(err, sizeof(err), "cannot start a thread");
		rc = DM_EIO;
	}
	if (atomic_load(&t->stop)) {
		free(t);
		return DM_ECANCEL;
	}
	/* Never reached: forget it, as adb connect does. */
	pthread_mutex_lock(&m->lock);
	for (struct tcpdev **pp = &m->tcp; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	pthread_mutex_unlock(&m->lock);
	devreg_drop(m->reg, t->id);
	rc = job_fail(job, rc, "%s", err);
	free(t);
	return rc;
}

static int
normalize(const char *in, char *serial, size_t slen)
{
	const char *colon = strrchr(in, ':');
	size_t n;

	if (!strncmp(in, "tcp:", 4))
		in += 4, colon = strrchr(in, ':');
	n = strlen(in);
	if (n == 0 || n > 80 || strpbrk(in, " \t/\\") != NULL)
		return DM_EINVAL;
	if (colon == NULL || in[0] == '[')
		snprintf(serial, slen, "%s:5555", in);
	else
		snprintf(serial, slen, "%s", in);
	return 0;
}

int
adbmgr_connect(struct adbmgr *m, const char *hostport, int demo,
    unsigned *job_id, char *err, size_t errlen)
{
	struct tcpdev *t;
	char serial[96];
	unsigned id;
	int rc;

	if (normalize(hostport, serial, sizeof(serial)) < 0)
		return dm_fail(err, errlen, DM_EINVAL,
		    "'%s' is not HOST[:PORT]", hostport);
	pthread_mutex_lock(&m->lock);
	for (struct tcpdev **pp = &m->tcp; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->serial, serial) == 0 &&
		    atomic_load(&(*pp)->gave_up)) {
			/* Its watcher gave up long ago: start afresh. */
			t = *pp;
			*pp = t->next;
			pthread_mutex_unlock(&m->lock);
			pthread_join(t->th, NULL);
			free(t);
			pthread_mutex_lock(&m->lock);
			break;
		}
	for (t = m->tcp; t != NULL; t = t->next)
		if (strcmp(t->serial, serial) == 0) {
			pthread_mutex_unlock(&m->lock);
			if (job_id != NULL)
				*job_id = 0;
			return (int)t->id;	/* already there: fine */
		}
	t = xcalloc(1, sizeof(*t));
	t->m = m;
	t->demo = demo;
	atomic_init(&t->gave_up, 0);
	snprintf(t->serial, sizeof(t->serial), "%s", serial);
	snprintf(t->addr, sizeof(t->addr), "tcp:%s", serial);
	atomic_init(&t->stop, 0);
	tcp_observe(t);
	id = t->id;		/* t may be freed by its job at any time now */
	t->next = m->tcp;
	m->tcp = t;
	pthread_mutex_unlock(&m->lock);
	log_info("adb", "connecting to %s", serial);
	rc = jobeng_submit_flags(m->jobs, id, "connect", connect_job, t,
	    NULL, JOB_BACKGROUND);
	if (rc < 0) {
		/* No job took it: take it back out ourselves. */
		pthread_mutex_lock(&m->lock);
		for (struct tcpdev **pp = &m->tcp; *pp != NULL;
		    pp = &(*pp)->next)
			if (*pp == t) {
				*pp = t->next;
				break;
			}
		pthread_mutex_unlock(&m->lock);
		devreg_drop(m->reg, id);
		free(t);
		return dm_fail(err, errlen, rc, "cannot queue the connection");
	}
	if (job_id != NULL)
		*job_id = (unsigned)rc;
	return (int)id;
}

static void
tcp_stop(struct adbmgr *m, struct tcpdev *t)
{
	atomic_store(&t->stop, 1);
	pthread_join(t->th, NULL);
	devreg_drop(m->reg, t->id);
	free(t);
}

int
adbmgr_disconnect(struct adbmgr *m, const char *what, char *err,
    size_t errlen)
{
	struct tcpdev **pp, *t = NULL;
	char serial[96] = "";
	char idbuf[16];

	normalize(what, serial, sizeof(serial));
	pthread_mutex_lock(&m->lock);
	for (pp = &m->tcp; *pp != NULL; pp = &(*pp)->next) {
		snprintf(idbuf, sizeof(idbuf), "%u", (*pp)->id);
		if (!strcmp((*pp)->serial, serial) ||
		    !strcmp((*pp)->serial, what) ||
		    !strcmp((*pp)->addr, what) || !strcmp(idbuf, what)) {
			t = *pp;
			*pp = t->next;
			break;
		}
	}
	if (t != NULL && !t->running) {
		/* Its connect job still runs and will free it. */
		atomic_store(&t->stop, 1);
		devreg_drop(m->reg, t->id);
		pthread_mutex_unlock(&m->lock);
		return 0;
	}
	pthread_mutex_unlock(&m->lock);
	if (t == NULL)
		return dm_fail(err, errlen, DM_ENOENT,
		    "no network phone '%s' (see `droidmedic devices`)", what);
	tcp_stop(m, t);
	return 0;
}

/* ---- phones held by a running adb server -------------------------------- */

static enum dev_mode
state_mode(const char *state)
{
	if (strcmp(state, "device") == 0)
		return DEV_MODE_ADB;
	if (strcmp(state, "unauthorized") == 0 ||
	    strcmp(state, "authorizing") == 0)
		return DEV_MODE_UNAUTHORIZED;
	if (strcmp(state, "recovery") == 0 || strcmp(state, "rescue") == 0)
		return DEV_MODE_RECOVERY;
	if (strcmp(state, "sideload") == 0)
		return DEV_MODE_SIDELOAD;
	if (strcmp(state, "bootloader") == 0)
		return DEV_MODE_FASTBOOT;
	return DEV_MODE_UNKNOWN;	/* offline, connecting, no permissions */
}

/* A state in which the server can open services on the phone (or will,
 * once the user taps Allow: the identify job waits for that). */
static int
state_usable(const char *state)
{
	enum dev_mode md = state_mode(state);

	return md == DEV_MODE_ADB || md == DEV_MODE_UNAUTHORIZED ||
	    md == DEV_MODE_RECOVERY || md == DEV_MODE_SIDELOAD;
}

/* One listed phone: find or make its row, identify it once a presence. */
static void
srv_take(struct adbmgr *m, const struct adbsrv_dev *e, struct srvdev *was,
    struct srvdev *now)
{
	char path[24], addr[192], tcpport[80];
	struct dev_info di;

	snprintf(path, sizeof(path), "adb-server:%d", m->srv_port);
	snprintf(addr, sizeof(addr), "%s:%s", path, e->serial);
	memset(now, 0, sizeof(*now));
	snprintf(now->serial, sizeof(now->serial), "%s", e->serial);
	snprintf(now->state, sizeof(now->state), "%s", e->state);
	if (e->usb[0] != '\0') {
		/* Our USB scan has its row (busy: the server claimed it). */
		snprintf(now->port, sizeof(now->port), "usb:%s", e->usb);
		if (devreg_lookup(m->reg, now->port, &di) < 0 || !di.present)
			return;
	} else {
		snprintf(tcpport, sizeof(tcpport), "tcp:%s", e->serial);
		if (devreg_lookup(m->reg, tcpport, &di) == 0 && di.present &&
		    strcmp(di.port, tcpport) == 0)
			return;		/* we are connected to it ourselves */
		snprintf(now->port, sizeof(now->port), "adb-server:%s",
		    e->serial);
		now->owned = 1;
		if (was == NULL || strcmp(was->state, e->state) != 0) {
			struct dev_info d;

			memset(&d, 0, sizeof(d));
			snprintf(d.transport, sizeof(d.transport), "tcp");
			snprintf(d.port, sizeof(d.port), "%s", now->port);
			snprintf(d.serial, sizeof(d.serial), "%s", e->serial);
			snprintf(d.adb_path, sizeof(d.adb_path), "%s", path);
			snprintf(d.speed, sizeof(d.speed), "net");
			d.mode = state_mode(e->state);
			if (d.mode == DEV_MODE_UNKNOWN)
				snprintf(d.mode_detail, sizeof(d.mode_detail),
				    "adb server says: %.40s", e->state);
			devreg_seen(m->reg, &d, dm_now_ms());
		}
		if (devreg_lookup(m->reg, now->port, &di) < 0)
			return;
	}
	if (!state_usable(e->state) || already_seen(m, di.id, di.presence))
		return;
	log_info("adb", "#%u %s: held by the adb server on port %d, using "
	    "it", di.id, e->serial, m->srv_port);
	devreg_refine(m->reg, di.id, di.presence, state_mode(e->state), "",
	    path);
	submit_identify(m, di.id, di.presence, addr, path, 0);
}

static void
srv_reconcile(struct adbmgr *m, const struct adbsrv_dev *list, int n)
{
	struct srvdev *now = n > 0 ? xcalloc((size_t)n, sizeof(*now)) : NULL;

	for (int i = 0; i < n; i++) {
		struct srvdev *was = NULL;

		for (int k = 0; k < m->nsrv; k++)
			if (strcmp(m->srv[k].serial, list[i].serial) == 0)
				was = &m->srv[k];
		srv_take(m, &list[i], was, &now[i]);
	}
	/* Network phones the server let go of are gone. */
	for (int k = 0; k < m->nsrv; k++) {
		int still = 0;

		for (int i = 0; i < n && !still; i++)
			still = strcmp(now[i].serial, m->srv[k].serial) == 0;
		if (!still && m->srv[k].owned)
			devreg_gone(m->reg, m->srv[k].port, dm_now_ms());
	}
	free(m->srv);
	m->srv = now;
	m->nsrv = n;
}

static void *
srv_main(void *arg)
{
	struct adbmgr *m = arg;
	struct adbsrv_dev *list = xcalloc(ADBSRV_MAX_DEVS, sizeof(*list));
	int up = 0;

	while (!atomic_load(&m->srv_stop)) {
		char err[256], *text = NULL;
		size_t len;
		int n = 0;

		if (adbsrv_query(m->srv_port, "host:devices-l", &text, &len,
		    2000, err, sizeof(err)) == 0) {
			if (!up)
				log_info("adb", "an adb server runs on port "
				    "%d: its phones are used through it",
				    m->srv_port);
			up = 1;
			n = adbsrv_parse_devices(text, len, list,
			    ADBSRV_MAX_DEVS);
			free(text);
		} else if (up) {
			log_info("adb", "the adb server on port %d is gone: "
			    "%s", m->srv_port, err);
			up = 0;
		}
		srv_reconcile(m, list, n);
		for (int i = 0; i < 10 && !atomic_load(&m->srv_stop); i++)
			usleep(100 * 1000);
	}
	free(list);
	return NULL;
}

struct adbmgr *
adbmgr_new(struct devreg *reg, struct jobeng *jobs, int grace_s)
{
	struct adbmgr *m = xcalloc(1, sizeof(*m));

	m->reg = reg;
	m->jobs = jobs;
	m->grace_s = grace_s > 0 ? grace_s : 120;
	pthread_mutex_init(&m->lock, NULL);
	atomic_init(&m->srv_stop, 0);
	m->srv_port = adbsrv_port();
	{
		const char *off = getenv("DROIDMEDIC_ADB_SERVER");

		if (off != NULL && strcmp(off, "off") == 0)
			log_info("adb", "not looking for an adb server "
			    "(DROIDMEDIC_ADB_SERVER=off)");
		else if (pthread_create(&m->srv_th, NULL, srv_main, m) == 0)
			m->srv_running = 1;
	}
	return m;
}

void
adbmgr_stop(struct adbmgr *m)
{
	pthread_mutex_lock(&m->lock);
	for (struct tcpdev *t = m->tcp; t != NULL; t = t->next)
		atomic_store(&t->stop, 1);
	pthread_mutex_unlock(&m->lock);
	atomic_store(&m->srv_stop, 1);
}

void
adbmgr_free(struct adbmgr *m)
{
	if (m == NULL)
		return;
	atomic_store(&m->srv_stop, 1);
	if (m->srv_running)
		pthread_join(m->srv_th, NULL);
	free(m->srv);
	while (m->tcp != NULL) {
		struct tcpdev *t = m->tcp;

		m->tcp = t->next;
		atomic_store(&t->stop, 1);
		if (t->running)
			pthread_join(t->th, NULL);
		free(t);
	}
	adbkeys_free(m->keys);
	free(m->seen);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
