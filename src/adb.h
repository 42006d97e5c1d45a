/* adb.h - the host side of ADB: one connection to a phone (over USB or
 * TCP), its handshake and authentication, and streams multiplexed on it.
 *
 * adb_connect() runs the handshake on the caller's thread, then starts a
 * reader thread that owns the transport's read side: it dispatches each
 * packet to its stream, answers WRTEs with OKAY (when the consumer has
 * room: that is the flow control), and wakes everyone when the link
 * drops.  Streams are used by one thread each; different streams may be
 * used from different threads at once. */
#ifndef DM_ADB_H
#define DM_ADB_H

#include <stddef.h>
#include <stdint.h>

#include "adbpkt.h"

struct adbkeys;
struct transport;
struct adb_conn;
struct adb_stream;

struct adb_connect_opts {
	const char *addr;	/* "tcp:HOST:PORT" or "usb:BUS-PORT" */
	struct adbkeys *keys;	/* NULL: no keys (auth fails) */
	int timeout_ms;		/* per packet during the handshake (10 s) */
	/* Once our public key is sent, how long to wait for the user to
	 * tap "Allow" on the phone; 0 returns DM_EACCES at once. */
	int auth_wait_ms;
	/* Called (once) when the phone shows the prompt and we wait. */
	void (*on_prompt)(void *ud);
	/* Polled while waiting for the user: non-zero gives up (DM_ECANCEL). */
	int (*cancelled)(void *ud);
	void *ud;
};

/* 0 and *out, or a negative dm_err with the reason in err:
 * DM_EACCES means unauthorized (the phone did not accept our key). */
int adb_connect(const struct adb_connect_opts *o, struct adb_conn **out,
    char *err, size_t errlen);
/* The same over a transport the caller opened (tests and fuzzing use an
 * in-memory one); the connection takes it over, adb_close() closes it. */
int adb_connect_over(const struct transport *t,
    const struct adb_connect_opts *o, struct adb_conn **out, char *err,
    size_t errlen);
void adb_close(struct adb_conn *c);

/* The phone's banner (type "device", "recovery", "sideload", ...). */
const struct adb_banner *adb_banner_get(const struct adb_conn *c);
uint32_t adb_version(const struct adb_conn *c);
uint32_t adb_max_payload(const struct adb_conn *c);
/* 1 when both sides offer the feature. */
int adb_has_feature(const struct adb_conn *c, const char *name);
/* 1 once the link dropped (reader stopped). */
int adb_dead(const struct adb_conn *c);

/* Open a service ("shell,v2,raw:ls", "sync:", "reboot:recovery").  NULL
 * with the reason in err when refused or the link is down. */
struct adb_stream *adb_open(struct adb_conn *c, const char *service,
    char *err, size_t errlen);
/* Write all of buf (split into WRTEs of the negotiated size, each waiting
 * for the phone's OKAY).  0 or a negative dm_err. */
int adb_stream_write(struct adb_stream *s, const void *buf, size_t len,
    int ms);
/* Read up to len bytes: the count, 0 at end of stream, or a dm_err. */
int adb_stream_read(struct adb_stream *s, void *buf, size_t len, int ms);
/* Read exactly len bytes; DM_ECLOSED if the stream ends first. */
/* Move exactly len bytes of the stream to fd, written straight from the
 * received packets (fd < 0 drops them).  0, DM_ECLOSED if the stream ends
 * first, a dm_err; a failed write sets *werr to its errno. */
int adb_stream_read_fd(struct adb_stream *s, int fd, size_t len, int ms,
    int *werr);
int adb_stream_read_full(struct adb_stream *s, void *buf, size_t len,
    int ms);
/* Close (CLSE) and free. */
void adb_stream_close(struct adb_stream *s);
/* Why the stream failed, for messages. */
const char *adb_stream_error(const struct adb_stream *s);

/* Run a shell command.  out(ud, 1|2, data, len) gets stdout (1) and, with
 * shell v2, stderr (2) as it arrives; a non-zero return from out stops
 * early.  *exit_code gets the command's status, or -1 when the phone only
 * speaks shell v1 (no status).  0 or a dm_err. */
typedef int (*adb_out_fn)(void *ud, int fd, const void *data, size_t len);
int adb_shell(struct adb_conn *c, const char *cmd, adb_out_fn out, void *ud,
    int *exit_code, int ms, char *err, size_t errlen);
/* Run a command and collect its stdout (at most cap bytes; DM_ENOMEM
 * past that) into a malloc'ed, NUL-terminated buffer. */
int adb_shell_capture(struct adb_conn *c, const char *cmd, char **out,
    size_t *outlen, size_t cap, int *exit_code, int ms, char *err,
    size_t errlen);

/* Ask the phone to reboot ("" for system, "bootloader", "recovery",
 * "sideload", "fastboot"). */
int adb_reboot(struct adb_conn *c, const char *target, char *err,
    size_t errlen);

/* What we offer in our CNXN. */
#define ADB_HOST_FEATURES "shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir," \
	"fixed_push_symlink_timestamp,delayed_ack"

#endif
