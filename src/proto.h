/* proto.h - the bench server's client protocol.
 *
 * Over the server's Unix socket, each message is one JSON object on one
 * line (no newline inside, at most PROTO_MAX_LINE bytes), with "v": the
 * protocol version.  Three shapes:
 *
 *   request  {"v":1,"id":7,"op":"devices","params":{...}}
 *   reply    {"v":1,"id":7,"ok":true,"result":{...}}
 *            {"v":1,"id":7,"ok":false,"error":{"code":"ENOENT",
 *                                             "message":"..."}}
 *   event    {"v":1,"event":"device.change","device":{...}}
 *            (sent only to clients that sent "subscribe")
 *
 * A request with another major "v" is answered with EVERSION.  The ops and
 * event names are listed in README.md ("Server protocol"). */
#ifndef DM_PROTO_H
#define DM_PROTO_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "dev.h"
#include "ev.h"
#include "job.h"

#define PROTO_VERSION	1
#define PROTO_MAX_LINE	(1u << 20)

cJSON *proto_dev_to_json(const struct dev_info *di);
/* 0 or DM_EINVAL; unknown fields are ignored, missing ones left zero. */
int proto_dev_from_json(const cJSON *j, struct dev_info *di);
cJSON *proto_job_to_json(const struct job_info *ji);
int proto_job_from_json(const cJSON *j, struct job_info *ji);

/* Copy the string param key of an op into dst (len bytes): "" when it
 * is absent or null and need is 0.  0, or DM_EINVAL with err saying what
 * is wrong (absent when needed, not a string, empty when needed, too
 * long), prefixed with what ("transfer: "). */
int proto_param_copy(const cJSON *params, const char *key, int need,
    char *dst, size_t len, const char *what, char *err, size_t errlen);
/* A job run in the CLI's own process (no bench server to find the
 * phone) needs the "address" param: copied into addr, or DM_ENODEV
 * saying how to give one. */
int proto_param_address(const cJSON *params, char *addr, size_t len,
    char *err, size_t errlen);
cJSON *proto_request(unsigned id, const char *op, cJSON *params);
cJSON *proto_reply_ok(unsigned id, cJSON *result);
cJSON *proto_reply_err(unsigned id, int err, const char *message);
/* An event message for ev, or NULL for events clients do not get. */
cJSON *proto_event(const struct ev *ev);

/* Serialize msg (unformatted) plus '\n' into a malloc'ed string; *len
 * gets its length.  NULL if it would exceed PROTO_MAX_LINE. */
char *proto_encode(const cJSON *msg, size_t *len);

/* A line reader for a socket: bytes in, complete lines out. */
struct linebuf {
	char *buf;
	size_t len, cap;
	size_t max;		/* longest allowed line */
};

void linebuf_init(struct linebuf *lb, size_t max);
void linebuf_done(struct linebuf *lb);
/* read() once from fd into the buffer: the byte count, 0 when nothing
 * was available (EAGAIN), DM_ECLOSED on EOF, DM_ENOMEM when a line grows
 * past max, or another negative dm_err. */
int linebuf_fill(struct linebuf *lb, int fd);
/* Pop the next complete line (without '\n', NUL-terminated, malloc'ed)
 * or NULL. */
char *linebuf_next(struct linebuf *lb);

/* Write all of buf to a (possibly non-blocking) fd, polling for up to
 * timeout_ms; 0 or a negative dm_err. */
int proto_write_all(int fd, const char *buf, size_t len, int timeout_ms);

#endif
