/* proto.c - JSON messages of the server protocol (see proto.h), and the
 * line reader/writer both ends use.  Pure apart from read()/write() on the
 * fd it is given; any thread. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "proto.h"
#include "xmem.h"

static void
add_str(cJSON *o, const char *k, const char *v)
{
	cJSON_AddStringToObject(o, k, v ? v : "");
}

cJSON *
proto_dev_to_json(const struct dev_info *di)
{
	cJSON *o = cJSON_CreateObject(), *probs;
	char hex[8];

	cJSON_AddNumberToObject(o, "id", di->id);
	add_str(o, "serial", di->serial);
	add_str(o, "mode", dev_mode_name(di->mode));
	add_str(o, "mode_label", dev_mode_label(di->mode));
	add_str(o, "mode_detail", di->mode_detail);
	add_str(o, "transport", di->transport);
	add_str(o, "port", di->port);
	add_str(o, "devnode", di->devnode);
	snprintf(hex, sizeof(hex), "%04x", di->vid);
	add_str(o, "vid", hex);
	snprintf(hex, sizeof(hex), "%04x", di->pid);
	add_str(o, "pid", hex);
	add_str(o, "vendor", di->vendor);
	add_str(o, "manufacturer", di->manufacturer);
	add_str(o, "product", di->product);
	add_str(o, "speed", di->speed);
	cJSON_AddNumberToObject(o, "speed_mbps", di->speed_mbps);
	cJSON_AddNumberToObject(o, "hub_depth", di->hub_depth);
	cJSON_AddBoolToObject(o, "present", di->present);
	cJSON_AddBoolToObject(o, "demo", di->demo);
	cJSON_AddNumberToObject(o, "presence", di->presence);
	add_str(o, "summary", di->summary);
	add_str(o, "adb_path", di->adb_path);
	cJSON_AddNumberToObject(o, "first_seen_ms", (double)di->first_seen_ms);
	cJSON_AddNumberToObject(o, "changed_ms", (double)di->changed_ms);
	cJSON_AddNumberToObject(o, "gone_ms", (double)di->gone_ms);
	probs = cJSON_AddArrayToObject(o, "problems");
	for (int i = 0; i < di->nproblems && i < DEV_MAX_PROBLEMS; i++) {
		cJSON *p = cJSON_CreateObject();

		add_str(p, "code", di->problems[i].code);
		add_str(p, "text", di->problems[i].text);
		add_str(p, "fix", di->problems[i].fix);
		cJSON_AddItemToArray(probs, p);
	}
	return o;
}

static void
get_str(const cJSON *o, const char *k, char *dst, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (cJSON_IsString(v) && v->valuestring != NULL)
		snprintf(dst, len, "%s", v->valuestring);
}

static double
get_num(const cJSON *o, const char *k, double lo, double hi)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	double d;

	if (!cJSON_IsNumber(v))
		return 0;
	d = v->valuedouble;
	if (!(d >= lo))		/* also NaN */
		return lo;
	return d > hi ? hi : d;
}

static int
get_bool(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static uint16_t
get_hex16(const cJSON *o, const char *k)
{
	char buf[8] = "";
	unsigned long v;
	char *end;

	get_str(o, k, buf, sizeof(buf));
	v = strtoul(buf, &end, 16);
	if (*end != '\0' || v > 0xffff)
		return 0;
	return (uint16_t)v;
}

int
proto_dev_from_json(const cJSON *j, struct dev_info *di)
{
	const cJSON *probs, *p;
	char mode[32] = "";

	memset(di, 0, sizeof(*di));
	if (!cJSON_IsObject(j))
		return DM_EINVAL;
	di->id = (unsigned)get_num(j, "id", 0, 4294967295.0);
	get_str(j, "serial", di->serial, sizeof(di->serial));
	get_str(j, "mode", mode, sizeof(mode));
	di->mode = dev_mode_parse(mode);
	get_str(j, "mode_detail", di->mode_detail, sizeof(di->mode_detail));
	get_str(j, "transport", di->transport, sizeof(di->transport));
	get_str(j, "port", di->port, sizeof(di->port));
	get_str(j, "devnode", di->devnode, sizeof(di->devnode));
	di->vid = get_hex16(j, "vid");
	di->pid = get_hex16(j, "pid");
	get_str(j, "vendor", di->vendor, sizeof(di->vendor));
	get_str(j, "manufacturer", di->manufacturer, sizeof(di->manufacturer));
	get_str(j, "product", di->product, sizeof(di->product));
	get_str(j, "speed", di->speed, sizeof(di->speed));
	di->speed_mbps = (int)get_num(j, "speed_mbps", 0, 1e6);
	di->hub_depth = (int)get_num(j, "hub_depth", 0, 16);
	di->present = get_bool(j, "present");
	di->demo = get_bool(j, "demo");
	di->presence = (unsigned)get_num(j, "presence", 0, 4294967295.0);
	get_str(j, "summary", di->summary, sizeof(di->summary));
	get_str(j, "adb_path", di->adb_path, sizeof(di->adb_path));
	di->first_seen_ms = (int64_t)get_num(j, "first_seen_ms", 0, 9e15);
	di->changed_ms = (int64_t)get_num(j, "changed_ms", 0, 9e15);
	di->gone_ms = (int64_t)get_num(j, "gone_ms", 0, 9e15);
	probs = cJSON_GetObjectItemCaseSensitive(j, "problems");
	cJSON_ArrayForEach(p, probs) {
		struct dev_problem *dp;

		if (di->nproblems >= DEV_MAX_PROBLEMS || !cJSON_IsObject(p))
			break;
		dp = &di->problems[di->nproblems++];
		get_str(p, "code", dp->code, sizeof(dp->code));
		get_str(p, "text", dp->text, sizeof(dp->text));
		get_str(p, "fix", dp->fix, sizeof(dp->fix));
	}
	return 0;
}

cJSON *
proto_job_to_json(const struct job_info *ji)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", ji->id);
	cJSON_AddNumberToObject(o, "device", ji->dev_id);
	add_str(o, "state", job_state_name(ji->state));
	add_str(o, "kind", ji->kind);
	cJSON_AddNumberToObject(o, "done", (double)ji->done);
	cJSON_AddNumberToObject(o, "total", (double)ji->total);
	add_str(o, "what", ji->what);
	if (ji->err != 0) {
		add_str(o, "error", dm_errname(ji->err));
		add_str(o, "message", ji->errbuf);
	}
	cJSON_AddNumberToObject(o, "created_ms", (double)ji->created_ms);
	cJSON_AddNumberToObject(o, "started_ms", (double)ji->started_ms);
	cJSON_AddNumberToObject(o, "ended_ms", (double)ji->ended_ms);
	return o;
}

int
proto_job_from_json(const cJSON *j, struct job_info *ji)
{
	char state[16] = "", err[16] = "";

	memset(ji, 0, sizeof(*ji));
	if (!cJSON_IsObject(j))
		return DM_EINVAL;
	ji->id = (unsigned)get_num(j, "id", 0, 4294967295.0);
	ji->dev_id = (unsigned)get_num(j, "device", 0, 4294967295.0);
	get_str(j, "state", state, sizeof(state));
	for (int s = JOB_QUEUED; s <= JOB_CANCELLED; s++)
		if (strcmp(state, job_state_name((enum job_state)s)) == 0)
			ji->state = (enum job_state)s;
	get_str(j, "kind", ji->kind, sizeof(ji->kind));
	ji->done = (int64_t)get_num(j, "done", 0, 9e18);
	ji->total = (int64_t)get_num(j, "total", 0, 9e18);
	get_str(j, "what", ji->what, sizeof(ji->what));
	get_str(j, "error", err, sizeof(err));
	if (err[0] != '\0')
		ji->err = dm_errcode(err);
	get_str(j, "message", ji->errbuf, sizeof(ji->errbuf));
	ji->created_ms = (int64_t)get_num(j, "created_ms", 0, 9e15);
	ji->started_ms = (int64_t)get_num(j, "started_ms", 0, 9e15);
	ji->ended_ms = (int64_t)get_num(j, "ended_ms", 0, 9e15);
	return 0;
}

int
proto_param_copy(const cJSON *params, const char *key, int need,
    char *dst, size_t len, const char *what, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, key);

	dst[0] = '\0';
	if (v == NULL || cJSON_IsNull(v)) {
		if (need)
			return dm_fail(err, errlen, DM_EINVAL, "%sneed \"%s\"",
			    what, key);
		return 0;
	}
	if (!cJSON_IsString(v) || (need && v->valuestring[0] == '\0'))
		return dm_fail(err, errlen, DM_EINVAL, "%s\"%s\" must be a "
		    "string%s", what, key, need ? ", not empty" : "");
	if (strlen(v->valuestring) >= len)
		return dm_fail(err, errlen, DM_EINVAL, "%s\"%s\" is longer "
		    "than %zu bytes", what, key, len - 1);
	memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

int
proto_param_address(const cJSON *params, char *addr, size_t len,
    char *err, size_t errlen)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(params, "address");

	if (!cJSON_IsString(a) || strlen(a->valuestring) >= len)
		return dm_fail(err, errlen, DM_ENODEV, "no bench server is "
		    "running to find the phone: give its address (HOST:PORT, "
		    "usb:PORT) or leave out --no-autostart");
	snprintf(addr, len, "%s", a->valuestring);
	return 0;
}

cJSON *
proto_request(unsigned id, const char *op, cJSON *params)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "v", PROTO_VERSION);
	cJSON_AddNumberToObject(o, "id", id);
	add_str(o, "op", op);
	if (params != NULL)
		cJSON_AddItemToObject(o, "params", params);
	return o;
}

cJSON *
proto_reply_ok(unsigned id, cJSON *result)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "v", PROTO_VERSION);
	cJSON_AddNumberToObject(o, "id", id);
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddItemToObject(o, "result",
	    result ? result : cJSON_CreateObject());
	return o;
}

cJSON *
proto_reply_err(unsigned id, int err, const char *message)
{
	cJSON *o = cJSON_CreateObject(), *e;

	cJSON_AddNumberToObject(o, "v", PROTO_VERSION);
	cJSON_AddNumberToObject(o, "id", id);
	cJSON_AddBoolToObject(o, "ok", 0);
	e = cJSON_AddObjectToObject(o, "error");
	add_str(e, "code", dm_errname(err));
	add_str(e, "message", message ? message : dm_strerror(err));
	return o;
}

cJSON *
proto_event(const struct ev *ev)
{
	cJSON *o = cJSON_CreateObject();
	struct job_info ji;

	cJSON_AddNumberToObject(o, "v", PROTO_VERSION);
	add_str(o, "event", ev_type_name(ev->type));
	switch (ev->type) {
	case EV_DEVICE_ADD:
	case EV_DEVICE_CHANGE:
	case EV_DEVICE_REMOVE:
		cJSON_AddItemToObject(o, "device", proto_dev_to_json(&ev->dev));
		break;
	case EV_JOB_STATE:
	case EV_JOB_PROGRESS:
	case EV_JOB_LOG:
	case EV_JOB_DONE:
		memset(&ji, 0, sizeof(ji));
		ji.id = ev->job_id;
		ji.dev_id = ev->dev_id;
		ji.state = (enum job_state)ev->state;
		ji.done = ev->done;
		ji.total = ev->total;
		ji.err = ev->err;
		snprintf(ji.kind, sizeof(ji.kind), "%s", ev->kind);
		if (ev->type == EV_JOB_PROGRESS)
			snprintf(ji.what, sizeof(ji.what), "%s", ev->text);
		if (ev->err != 0)
			snprintf(ji.errbuf, sizeof(ji.errbuf), "%s", ev->text);
		cJSON_AddItemToObject(o, "job", proto_job_to_json(&ji));
		if (ev->type == EV_JOB_LOG || ev->type == EV_JOB_DONE)
			add_str(o, "text", ev->text);
		break;
	case EV_LOG:
		cJSON_AddNumberToObject(o, "level", ev->err);
		add_str(o, "module", ev->kind);
		add_str(o, "text", ev->text);
		break;
	default:
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

char *
proto_encode(const cJSON *msg, size_t *len)
{
	char *s = cJSON_PrintUnformatted(msg), *line;
	size_t n;

	if (s == NULL)
		dm_fatal("out of memory encoding a message");
	n = strlen(s);
	if (n + 1 > PROTO_MAX_LINE) {
		cJSON_free(s);
		return NULL;
	}
	line = xmalloc(n + 2);
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	cJSON_free(s);
	if (len != NULL)
		*len = n + 1;
	return line;
}

void
linebuf_init(struct linebuf *lb, size_t max)
{
	memset(lb, 0, sizeof(*lb));
	lb->max = max;
}

void
linebuf_done(struct linebuf *lb)
{
	free(lb->buf);
	memset(lb, 0, sizeof(*lb));
}

int
linebuf_fill(struct linebuf *lb, int fd)
{
	ssize_t n;

	if (lb->cap - lb->len < 4096) {
		size_t ncap = lb->cap ? lb->cap * 2 : 8192;

		if (ncap > lb->max + 4096)
			ncap = lb->max + 4096;
		if (ncap <= lb->len)
			return DM_ENOMEM;	/* a line longer than max */
		lb->buf = xrealloc(lb->buf, ncap);
		lb->cap = ncap;
	}
	do {
		n = read(fd, lb->buf + lb->len, lb->cap - lb->len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 :
		    dm_from_errno(errno);
	if (n == 0)
		return DM_ECLOSED;
	lb->len += (size_t)n;
	if (memchr(lb->buf, '\n', lb->len) == NULL && lb->len > lb->max)
		return DM_ENOMEM;
	return (int)n;
}

char *
linebuf_next(struct linebuf *lb)
{
	char *nl, *line;
	size_t n;

	if (lb->len == 0)
		return NULL;
	nl = memchr(lb->buf, '\n', lb->len);
	if (nl == NULL)
		return NULL;
	n = (size_t)(nl - lb->buf);
	line = xmalloc(n + 1);
	memcpy(line, lb->buf, n);
	line[n] = '\0';
	lb->len -= n + 1;
	memmove(lb->buf, nl + 1, lb->len);
	return line;
}

int
proto_write_all(int fd, const char *buf, size_t len, int timeout_ms)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = write(fd, buf + off, len - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (poll(&p, 1, timeout_ms) <= 0)
				return DM_ETIMEOUT;
			continue;
		}
		return dm_from_errno(errno);
	}
	return 0;
}
