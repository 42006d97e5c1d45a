/* adb.c - ADB host connection, authentication and streams (see adb.h).
 *
 * Threads: the handshake runs on the caller's thread; afterwards one
 * reader thread per connection owns the transport's read side.  Writers
 * (any stream's thread) share the write side under wlock, so a header and
 * its payload are never split by another packet.  conn->lock guards the
 * stream table and every stream's queue and flags; streams wait on their
 * own condition variable. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "adb.h"
#include "adbkey.h"
#include "adbsrv.h"
#include "dev.h"
#include "err.h"
#include "log.h"
#include "transport.h"
#include "xmem.h"
#include "bytes.h"

#define RX_HIGH_WATER	(8u << 20)	/* queued bytes before OKAY waits */
#define ADB_WINDOW	(32u << 20)	/* delayed-ack window we grant */
#define READER_POLL_MS	250
#define SHELL_V2_HDR	5

struct chunk {
	uint8_t *data;
	size_t len, off;
	int pooled;		/* data is a max_payload buffer of the pool */
	struct chunk *next;
};

/* Large packets are received into max_payload buffers that are recycled:
 * a fresh 1 MiB malloc per packet costs page faults on every packet. */
#define POOL_MIN	(16u << 10)	/* packets at least this big are pooled */
#define POOL_KEEP	24		/* buffers kept for reuse */

struct adb_stream {
	struct adb_conn *c;
	uint32_t local, remote;
	pthread_cond_t cv;
	int opened;		/* OKAY to our OPEN seen */
	int refused;		/* CLSE before OKAY */
	int closed;		/* remote CLSE seen */
	int can_write;		/* the phone acknowledged our last WRTE */
	int owe_okay;		/* a WRTE left unacknowledged: queue full */
	int64_t avail;		/* delayed ack: bytes we may still send */
	uint32_t owed;		/* delayed ack: bytes received, not yet acked */
	struct chunk *head, *tail;
	size_t queued;
	char err[160];
	struct transport *via;	/* through an adb server: the raw socket */
	struct adb_stream *next;
};

struct adb_conn {
	struct transport t;
	struct adb_banner banner;
	uint32_t version, max_payload;
	int checksum;		/* send checksums (old protocol) */
	int delayed_ack;	/* both offer delayed_ack: windowed streams */
	pthread_mutex_t lock;
	pthread_mutex_t wlock;
	pthread_t reader;
	int reader_started;
	atomic_int stop;
	atomic_int dead;
	char dead_why[200];
	uint32_t next_local;
	struct adb_stream *streams;
	uint8_t *pool[POOL_KEEP];	/* under lock */
	int npool;
	/* Through a running adb server: its port and the phone's serial;
	 * no packets and no reader thread then, each stream is a socket. */
	int via_port;
	char via_serial[128];
};

/* ---- helpers ------------------------------------------------------------ */

static int
send_pkt(struct adb_conn *c, uint32_t cmd, uint32_t a0, uint32_t a1,
    const void *data, uint32_t len, int ms)
{
	int rc;

	pthread_mutex_lock(&c->wlock);
	rc = adbpkt_send(&c->t, cmd, a0, a1, data, len, c->checksum, ms);
	pthread_mutex_unlock(&c->wlock);
	return rc;
}

/* A receive buffer for len bytes; pooled ones hold max_payload. */
static uint8_t *
buf_get(struct adb_conn *c, uint32_t len, int *pooled)
{
	uint8_t *b = NULL;

	*pooled = len >= POOL_MIN;
	if (!*pooled)
		return xmalloc(len);
	pthread_mutex_lock(&c->lock);
	if (c->npool > 0)
		b = c->pool[--c->npool];
	pthread_mutex_unlock(&c->lock);
	return b != NULL ? b : xmalloc(c->max_payload);
}

/* Give a buffer back; the caller holds c->lock. */
static void
buf_put_locked(struct adb_conn *c, uint8_t *b, int pooled)
{
	if (pooled && c->npool < POOL_KEEP)
		c->pool[c->npool++] = b;
	else
		free(b);
}

/* OKAY for a stream; with delayed ack it says how many bytes we took. */
static int
send_okay(struct adb_conn *c, uint32_t local, uint32_t remote,
    uint32_t acked)
{
	uint8_t v[4];

	if (!c->delayed_ack)
		return send_pkt(c, ADB_OKAY, local, remote, NULL, 0, 10000);
	v[0] = (uint8_t)acked;
	v[1] = (uint8_t)(acked >> 8);
	v[2] = (uint8_t)(acked >> 16);
	v[3] = (uint8_t)(acked >> 24);
	return send_pkt(c, ADB_OKAY, local, remote, v, 4, 10000);
}

static struct timespec
deadline(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Wait on s->cv with c->lock held; ms < 0: forever.  0 or DM_ETIMEOUT. */
static int
stream_wait(struct adb_stream *s, const struct timespec *dl)
{
	if (dl == NULL) {
		pthread_cond_wait(&s->cv, &s->c->lock);
		return 0;
	}
	if (pthread_cond_timedwait(&s->cv, &s->c->lock, dl) == ETIMEDOUT)
		return DM_ETIMEOUT;
	return 0;
}

static struct adb_stream *
find_stream(struct adb_conn *c, uint32_t local)
{
	for (struct adb_stream *s = c->streams; s != NULL; s = s->next)
		if (s->local == local)
			return s;
	return NULL;
}

/* Read one packet header, tolerating quiet periods (to notice stop).
 * 0, 1 when stopped, or a dm_err. */
static int
read_header(struct adb_conn *c, uint8_t hdr[ADB_HEADER_SIZE])
{
	size_t got = 0;
	int n;

	while (got < ADB_HEADER_SIZE) {
		if (atomic_load(&c->stop))
			return 1;
		n = transport_read(&c->t, hdr + got, ADB_HEADER_SIZE - got,
		    got ? 10000 : READER_POLL_MS);
		if (n == DM_ETIMEOUT && got == 0)
			continue;
		if (n < 0)
			return n;
		if (n == 0)
			return dm_fail(c->t.errbuf, sizeof(c->t.errbuf),
			    DM_ECLOSED, "the phone closed the connection");
		got += (size_t)n;
	}
	return 0;
}

static void
mark_dead(struct adb_conn *c, const char *why)
{
	pthread_mutex_lock(&c->lock);
	if (!atomic_load(&c->dead)) {
		snprintf(c->dead_why, sizeof(c->dead_why), "%s", why);
		atomic_store(&c->dead, 1);
	}
	for (struct adb_stream *s = c->streams; s != NULL; s = s->next) {
		if (s->err[0] == '\0')
			snprintf(s->err, sizeof(s->err), "%s", why);
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&c->lock);
}

/* ---- the reader thread -------------------------------------------------- */

static void
on_packet(struct adb_conn *c, struct adb_packet *p, uint8_t *owned,
    int pooled)
{
	struct adb_stream *s;
	int okay_now = 0;

	pthread_mutex_lock(&c->lock);
	s = find_stream(c, p->arg1);
	switch (p->cmd) {
	case ADB_OKAY:
		if (s == NULL)
			break;
		if (!s->opened) {
			s->opened = 1;
			s->remote = p->arg0;
		}
		if (c->delayed_ack && p->len == 4) {
			int32_t v = (int32_t)((uint32_t)p->data[0] |
			    (uint32_t)p->data[1] << 8 |
			    (uint32_t)p->data[2] << 16 |
			    (uint32_t)p->data[3] << 24);

			s->avail += v;
			s->can_write = s->avail > 0;
		} else {
			s->can_write = 1;
		}
		pthread_cond_broadcast(&s->cv);
		break;
	case ADB_WRTE:
		if (s == NULL || s->closed) {
			/* Unknown stream: tell the phone it is gone. */
			if (owned != NULL)
				buf_put_locked(c, owned, pooled);
			pthread_mutex_unlock(&c->lock);
			send_pkt(c, ADB_CLSE, 0, p->arg0, NULL, 0, 5000);
			return;
		}
		if (p->len > 0) {
			struct chunk *ch = xmalloc(sizeof(*ch));

			ch->data = owned;
			ch->pooled = pooled;
			owned = NULL;
			ch->len = p->len;
			ch->off = 0;
			ch->next = NULL;
			if (s->tail)
				s->tail->next = ch;
			else
				s->head = ch;
			s->tail = ch;
			s->queued += p->len;
		}
		s->owed += p->len;
		if (s->queued < RX_HIGH_WATER)
			okay_now = 1;
		else
			s->owe_okay = 1;
		pthread_cond_broadcast(&s->cv);
		break;
	case ADB_CLSE:
		if (s == NULL)
			break;
		if (!s->opened)
			s->refused = 1;
		s->closed = 1;
		pthread_cond_broadcast(&s->cv);
		break;
	case ADB_CNXN:
		/* The phone restarted adbd: every stream is gone. */
		if (owned != NULL)
			buf_put_locked(c, owned, pooled);
		pthread_mutex_unlock(&c->lock);
		mark_dead(c, "the phone restarted its adb daemon");
		atomic_store(&c->stop, 1);
		return;
	default:
		break;
	}
	{
		uint32_t local = s ? s->local : 0, remote = s ? s->remote : 0;
		uint32_t acked = 0;

		if (okay_now) {
			acked = s->owed;
			s->owed = 0;
		}
		if (owned != NULL)
			buf_put_locked(c, owned, pooled);
		pthread_mutex_unlock(&c->lock);
		if (okay_now)
			send_okay(c, local, remote, acked);
	}
}

static void *
reader_main(void *arg)
{
	struct adb_conn *c = arg;
	uint8_t hdr[ADB_HEADER_SIZE];
	uint8_t *scratch = xmalloc(c->max_payload);
	struct adb_packet p;
	char why[200];
	int rc;

	for (;;) {
		uint8_t *buf, *owned = NULL;
		int pooled = 0;

		rc = read_header(c, hdr);
		if (rc == 1)
			break;
		if (rc == 0)
			rc = adbpkt_decode_header(hdr, &p, c->max_payload,
			    c->t.errbuf, sizeof(c->t.errbuf));
		if (rc < 0)
			goto fail;
		buf = scratch;
		if (p.cmd == ADB_WRTE && p.len > 0)
			buf = owned = buf_get(c, p.len, &pooled);
		if (p.len > 0)
			rc = transport_read_full(&c->t, buf, p.len, 10000);
		p.data = buf;
		if (rc >= 0)
			rc = adbpkt_verify(&p, c->version, c->t.errbuf,
			    sizeof(c->t.errbuf));
		if (rc < 0) {
			if (owned != NULL) {
				pthread_mutex_lock(&c->lock);
				buf_put_locked(c, owned, pooled);
				pthread_mutex_unlock(&c->lock);
			}
			goto fail;
		}
		on_packet(c, &p, owned, pooled);
		if (atomic_load(&c->stop))
			break;
	}
	free(scratch);
	mark_dead(c, "connection closed");
	return NULL;
fail:
	snprintf(why, sizeof(why), "%s", c->t.errbuf[0] ? c->t.errbuf :
	    dm_strerror(rc));
	log_warn("adb", "%s: link lost: %s", c->t.addr, why);
	free(scratch);
	mark_dead(c, why);
	return NULL;
}

/* ---- handshake ----------------------------------------------------------- */

static int
handshake_recv(struct adb_conn *c, struct adb_packet *p, uint8_t *buf,
    int ms, char *err, size_t errlen)
{
	int rc = adbpkt_recv(&c->t, p, buf, ADB_MAX_PAYLOAD, ADB_MAX_PAYLOAD,
	    ms);

	/* Stream traffic of an earlier host session (a killed adb or
	 * droidmedic) may still sit in the phone's USB queue; adbd sends it
	 * without checksums.  It is skipped, as AOSP adb does offline. */
	if (rc == 0 && (p->cmd == ADB_OKAY || p->cmd == ADB_WRTE ||
	    p->cmd == ADB_CLSE || p->cmd == ADB_OPEN))
		return 1;
	if (rc == 0)
		rc = adbpkt_verify(p, ADB_VERSION_MIN, c->t.errbuf,
		    sizeof(c->t.errbuf));
	if (rc < 0)
		return dm_fail(err, errlen, rc, "%s: %s", c->t.addr,
		    c->t.errbuf[0] ? c->t.errbuf : dm_strerror(rc));
	return 0;
}

static int
on_cnxn(struct adb_conn *c, const struct adb_packet *p, char *err,
    size_t errlen)
{
	c->version = p->arg0 < ADB_VERSION_SKIP_CHECKSUM ? p->arg0 :
	    ADB_VERSION_SKIP_CHECKSUM;
	if (c->version < ADB_VERSION_MIN)
		return dm_fail(err, errlen, DM_EPROTO,
		    "%s: unsupported ADB version %08x", c->t.addr, p->arg0);
	c->max_payload = p->arg1 < ADB_MAX_PAYLOAD ? p->arg1 : ADB_MAX_PAYLOAD;
	if (c->max_payload < 256)
		return dm_fail(err, errlen, DM_EPROTO,
		    "%s: phone offers a %u-byte payload", c->t.addr, p->arg1);
	c->checksum = c->version < ADB_VERSION_SKIP_CHECKSUM;
	/* delayed_ack: parsed below once the banner is read */
	if (adbpkt_parse_banner((const char *)p->data, p->len,
	    &c->banner) < 0)
		return dm_fail(err, errlen, DM_EPROTO,
		    "%s: unreadable banner", c->t.addr);
	c->delayed_ack = adbpkt_has_feature(c->banner.features, "delayed_ack");
	if (c->banner.type[0] == '\0' || strcmp(c->banner.type, "host") == 0)
		return dm_fail(err, errlen, DM_EPROTO,
		    "%s: the other end is not a phone (banner type '%s')",
		    c->t.addr, c->banner.type);
	return 0;
}

static int
handshake(struct adb_conn *c, const struct adb_connect_opts *o, char *err,
    size_t errlen)
{
	static const char banner[] = "host::features=" ADB_HOST_FEATURES;
	int ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	int nkeys = adbkeys_count(o->keys), key = 0, sent_pub = 0, stale = 0;
	uint8_t *buf = xmalloc(ADB_MAX_PAYLOAD);
	uint8_t sig[ADBKEY_SIG_MAX];
	struct adb_packet p;
	int rc;

	rc = send_pkt(c, ADB_CNXN, ADB_VERSION_SKIP_CHECKSUM, ADB_MAX_PAYLOAD,
	    banner, sizeof(banner), ms);
	if (rc < 0) {
		rc = dm_fail(err, errlen, rc, "%s: %s", c->t.addr,
		    c->t.errbuf);
		goto out;
	}
	for (;;) {
		int wait = ms;

		if (sent_pub)
			wait = o->auth_wait_ms;
		if (sent_pub && wait <= 0) {
			rc = dm_fail(err, errlen, DM_EACCES,
			    "unauthorized: confirm the prompt on the phone");
			goto out;
		}
		if (sent_pub) {
			/* Wait for the user in slices, to notice a cancel. */
			int64_t until = dm_mono_ms() + wait;

			do {
				if (o->cancelled != NULL &&
				    o->cancelled(o->ud)) {
					rc = dm_fail(err, errlen, DM_ECANCEL,
					    "cancelled while waiting for the "
					    "phone's prompt");
					goto out;
				}
				rc = handshake_recv(c, &p, buf, 500, err,
				    errlen);
			} while (rc == DM_ETIMEOUT && dm_mono_ms() < until);
		} else {
			rc = handshake_recv(c, &p, buf, wait, err, errlen);
		}
		if (rc == DM_ETIMEOUT && sent_pub) {
			rc = dm_fail(err, errlen, DM_EACCES,
			    "unauthorized: the prompt on the phone was not "
			    "accepted in time");
			goto out;
		}
		if (rc < 0)
			goto out;
		if (rc == 1) {
			if (++stale > 100000) {
				rc = dm_fail(err, errlen, DM_EPROTO, "%s: only "
				    "stale stream packets, no handshake",
				    c->t.addr);
				goto out;
			}
			continue;
		}
		if (p.cmd == ADB_CNXN) {
			rc = on_cnxn(c, &p, err, errlen);
			goto out;
		}
		if (p.cmd == ADB_STLS) {
			rc = dm_fail(err, errlen, DM_EUNSUPP, "%s wants TLS "
			    "(wireless debugging): not supported yet",
			    c->t.addr);
			goto out;
		}
		if (p.cmd != ADB_AUTH || p.arg0 != ADB_AUTH_TOKEN) {
			rc = dm_fail(err, errlen, DM_EPROTO,
			    "%s: unexpected %s during the handshake",
			    c->t.addr, adbpkt_name(p.cmd));
			goto out;
		}
		if (p.len != ADB_AUTH_TOKEN_SIZE) {
			rc = dm_fail(err, errlen, DM_EPROTO,
			    "%s: auth token of %u bytes (want 20)", c->t.addr,
			    p.len);
			goto out;
		}
		if (key < nkeys) {
			int n = adbkeys_sign(o->keys, key, p.data, p.len, sig,
			    sizeof(sig));

			key++;
			if (n < 0) {
				rc = dm_fail(err, errlen, n, "cannot sign "
				    "with %s", adbkeys_path(o->keys, key - 1));
				goto out;
			}
			rc = send_pkt(c, ADB_AUTH, ADB_AUTH_SIGNATURE, 0, sig,
			    (uint32_t)n, ms);
		} else if (!sent_pub && nkeys > 0) {
			char *line = adbkeys_pubkey_line(o->keys, 0);

			if (line == NULL) {
				rc = dm_fail(err, errlen, DM_EIO,
				    "cannot encode the public key");
				goto out;
			}
			/* The NUL goes too. */
			rc = send_pkt(c, ADB_AUTH, ADB_AUTH_RSAPUBLICKEY, 0,
			    line, (uint32_t)strlen(line) + 1, ms);
			free(line);
			sent_pub = 1;
			log_info("adb", "%s: waiting for the user to allow "
			    "USB debugging", c->t.addr);
			if (o->on_prompt != NULL)
				o->on_prompt(o->ud);
		} else {
			rc = dm_fail(err, errlen, DM_EACCES, "unauthorized: "
			    "the phone refused every key we have");
			goto out;
		}
		if (rc < 0) {
			rc = dm_fail(err, errlen, rc, "%s: %s", c->t.addr,
			    c->t.errbuf);
			goto out;
		}
	}
out:
	free(buf);
	return rc;
}

static int
connect_common(struct adb_conn *c, const struct adb_connect_opts *o,
    struct adb_conn **out, char *err, size_t errlen)
{
	int rc;

	rc = handshake(c, o, err, errlen);
	if (rc < 0)
		goto fail;
	if (pthread_create(&c->reader, NULL, reader_main, c) != 0) {
		rc = dm_fail(err, errlen, DM_EIO, "cannot start a thread");
		goto fail;
	}
	c->reader_started = 1;
	log_info("adb", "%s: connected (%s, version %08x, payload %u)",
	    c->t.addr, c->banner.type, c->version, c->max_payload);
	*out = c;
	return 0;
fail:
	transport_close(&c->t);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->wlock);
	free(c);
	return rc;
}

static struct adb_conn *
conn_new(void)
{
	struct adb_conn *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->wlock, NULL);
	atomic_init(&c->stop, 0);
	atomic_init(&c->dead, 0);
	c->next_local = 1;
	c->checksum = 1;	/* until the phone's CNXN says otherwise */
	return c;
}

/* The phone's entry in the server's list; DM_ENOENT when not there. */
static int
server_entry(int port, const char *serial, struct adbsrv_dev *d, int ms,
    char *err, size_t errlen)
{
	struct adbsrv_dev *all = xcalloc(ADBSRV_MAX_DEVS, sizeof(*all));
	char *text = NULL;
	size_t len;
	int n, rc;

	rc = adbsrv_query(port, "host:devices-l", &text, &len, ms, err,
	    errlen);
	if (rc < 0) {
		free(all);
		return rc;
	}
	n = adbsrv_parse_devices(text, len, all, ADBSRV_MAX_DEVS);
	free(text);
	rc = dm_fail(err, errlen, DM_ENOENT, "the adb server on port %d does "
	    "not have %s", port, serial);
	for (int i = 0; i < n; i++)
		if (strcmp(all[i].serial, serial) == 0) {
			*d = all[i];
			rc = 0;
			break;
		}
	free(all);
	return rc;
}

/* A phone held by a running adb server: the server did the handshake;
 * we only wait while it says the phone is unauthorized or connecting. */
static int
connect_via_server(struct adb_conn *c, const struct adb_connect_opts *o,
    char *err, size_t errlen)
{
	int ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	int64_t until = dm_mono_ms() + ms, auth_until = 0;
	struct adbsrv_dev d;
	char req[200], *feat = NULL;
	int rc, prompted = 0;

	if (adbsrv_parse_addr(o->addr, &c->via_port, c->via_serial,
	    sizeof(c->via_serial)) < 0)
		return dm_fail(err, errlen, DM_EINVAL, "bad address '%s' (want "
		    "adb-server:PORT:SERIAL)", o->addr);
	snprintf(c->t.addr, sizeof(c->t.addr), "%s", o->addr);
	for (;;) {
		rc = server_entry(c->via_port, c->via_serial, &d, ms, err,
		    errlen);
		if (rc < 0)
			return rc;
		if (strcmp(d.state, "unauthorized") == 0) {
			if (!prompted) {
				prompted = 1;
				auth_until = dm_mono_ms() + o->auth_wait_ms;
				if (o->auth_wait_ms > 0 && o->on_prompt)
					o->on_prompt(o->ud);
			}
			if (dm_mono_ms() >= auth_until)
				return dm_fail(err, errlen, DM_EACCES,
				    "unauthorized: confirm the prompt on the "
				    "phone");
		} else if (strcmp(d.state, "offline") == 0 ||
		    strcmp(d.state, "connecting") == 0 ||
		    strcmp(d.state, "authorizing") == 0) {
			if (dm_mono_ms() >= until)
				return dm_fail(err, errlen, DM_ECONN, "the adb "
				    "server says %s is %s", c->via_serial,
				    d.state);
		} else if (strcmp(d.state, "device") == 0 ||
		    strcmp(d.state, "recovery") == 0 ||
		    strcmp(d.state, "sideload") == 0 ||
		    strcmp(d.state, "rescue") == 0) {
			break;
		} else {
			return dm_fail(err, errlen, DM_EUNSUPP, "the adb "
			    "server says %s is '%s'", c->via_serial, d.state);
		}
		if (o->cancelled != NULL && o->cancelled(o->ud))
			return dm_fail(err, errlen, DM_ECANCEL, "cancelled "
			    "while waiting for the phone");
		usleep(500 * 1000);
	}
	snprintf(c->banner.type, sizeof(c->banner.type), "%s", d.state);
	snprintf(c->banner.product, sizeof(c->banner.product), "%s",
	    d.product);
	snprintf(c->banner.model, sizeof(c->banner.model), "%s", d.model);
	snprintf(c->banner.device, sizeof(c->banner.device), "%s", d.device);
	snprintf(req, sizeof(req), "host-serial:%s:features", c->via_serial);
	if (adbsrv_query(c->via_port, req, &feat, NULL, ms, err, errlen) ==
	    0) {
		snprintf(c->banner.features, sizeof(c->banner.features), "%s",
		    feat);
		free(feat);
	}
	c->version = ADB_VERSION_SKIP_CHECKSUM;
	c->max_payload = ADB_MAX_PAYLOAD;
	log_info("adb", "%s: through the adb server on port %d (%s)",
	    c->via_serial, c->via_port, c->banner.type);
	return 0;
}

int
adb_connect(const struct adb_connect_opts *o, struct adb_conn **out,
    char *err, size_t errlen)
{
	struct adb_conn *c = conn_new();
	int rc;

	*out = NULL;
	if (strncmp(o->addr, "adb-server:", 11) == 0) {
		rc = connect_via_server(c, o, err, errlen);
		if (rc < 0) {
			pthread_mutex_destroy(&c->lock);
			pthread_mutex_destroy(&c->wlock);
			free(c);
			return rc;
		}
		*out = c;
		return 0;
	}
	c->t.want_iface = TRANSPORT_IFACE_ADB;
	c->t.zlp = 1;
	rc = transport_open(&c->t, o->addr);
	if (rc < 0) {
		dm_fail(err, errlen, rc, "%s", c->t.errbuf);
		pthread_mutex_destroy(&c->lock);
		pthread_mutex_destroy(&c->wlock);
		free(c);
		return rc;
	}
	return connect_common(c, o, out, err, errlen);
}

int
adb_connect_over(const struct transport *t, const struct adb_connect_opts *o,
    struct adb_conn **out, char *err, size_t errlen)
{
	struct adb_conn *c = conn_new();

	*out = NULL;
	c->t = *t;
	return connect_common(c, o, out, err, errlen);
}

/* The stream is unlinked; the reader may still be using the pool. */
static void
free_chunks(struct adb_stream *s)
{
	pthread_mutex_lock(&s->c->lock);
	while (s->head != NULL) {
		struct chunk *n = s->head->next;

		buf_put_locked(s->c, s->head->data, s->head->pooled);
		free(s->head);
		s->head = n;
	}
	s->tail = NULL;
	s->queued = 0;
	pthread_mutex_unlock(&s->c->lock);
}

void
adb_close(struct adb_conn *c)
{
	if (c == NULL)
		return;
	atomic_store(&c->stop, 1);
	if (c->reader_started)
		pthread_join(c->reader, NULL);
	if (c->via_port == 0)
		transport_close(&c->t);
	while (c->streams != NULL) {
		struct adb_stream *s = c->streams;

		c->streams = s->next;
		free_chunks(s);
		pthread_cond_destroy(&s->cv);
		free(s);
	}
	while (c->npool > 0)
		free(c->pool[--c->npool]);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->wlock);
	free(c);
}

const struct adb_banner *
adb_banner_get(const struct adb_conn *c)
{
	return &c->banner;
}

uint32_t
adb_version(const struct adb_conn *c)
{
	return c->version;
}

uint32_t
adb_max_payload(const struct adb_conn *c)
{
	return c->max_payload;
}

int
adb_has_feature(const struct adb_conn *c, const char *name)
{
	return adbpkt_has_feature(c->banner.features, name) &&
	    adbpkt_has_feature(ADB_HOST_FEATURES, name);
}

int
adb_dead(const struct adb_conn *c)
{
	return atomic_load(&((struct adb_conn *)c)->dead);
}

/* ---- streams ------------------------------------------------------------ */

static void
unlink_stream(struct adb_conn *c, struct adb_stream *s)
{
	for (struct adb_stream **pp = &c->streams; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			return;
		}
}

static struct adb_stream *
open_via_server(struct adb_conn *c, const char *service, char *err,
    size_t errlen)
{
	struct adb_stream *s = xcalloc(1, sizeof(*s));
	int rc;

	s->c = c;
	s->via = xcalloc(1, sizeof(*s->via));
	rc = adbsrv_open(c->via_port, c->via_serial, service, s->via, 10000,
	    err, errlen);
	if (rc < 0) {
		/* The server no longer has the phone, or is gone. */
		if (rc == DM_ENOENT || rc == DM_ECONN) {
			atomic_store(&c->dead, 1);
			snprintf(c->dead_why, sizeof(c->dead_why), "%s", err);
		}
		free(s->via);
		free(s);
		return NULL;
	}
	s->opened = 1;
	return s;
}

struct adb_stream *
adb_open(struct adb_conn *c, const char *service, char *err, size_t errlen)
{
	struct adb_stream *s;
	struct timespec dl = deadline(10000);
	size_t n = strlen(service) + 1;
	int rc = 0;

	if (n > c->max_payload) {
		dm_fail(err, errlen, DM_EINVAL, "service name too long");
		return NULL;
	}
	if (c->via_port != 0)
		return open_via_server(c, service, err, errlen);
	s = xcalloc(1, sizeof(*s));
	s->c = c;
	pthread_cond_init(&s->cv, NULL);
	pthread_mutex_lock(&c->lock);
	if (atomic_load(&c->dead)) {
		dm_fail(err, errlen, DM_ECONN, "%s", c->dead_why);
		pthread_mutex_unlock(&c->lock);
		pthread_cond_destroy(&s->cv);
		free(s);
		return NULL;
	}
	s->local = c->next_local++;
	if (c->next_local == 0)
		c->next_local = 1;
	s->next = c->streams;
	c->streams = s;
	pthread_mutex_unlock(&c->lock);

	rc = send_pkt(c, ADB_OPEN, s->local, c->delayed_ack ? ADB_WINDOW : 0,
	    service, (uint32_t)n, 10000);
	pthread_mutex_lock(&c->lock);
	while (rc == 0 && !s->opened && !s->refused && !atomic_load(&c->dead))
		rc = stream_wait(s, &dl);
	if (rc == 0 && s->opened) {
		pthread_mutex_unlock(&c->lock);
		return s;
	}
	if (rc == 0 && s->refused)
		rc = dm_fail(err, errlen, DM_EUNSUPP,
		    "the phone refused service '%.60s'", service);
	else if (rc == 0)
		rc = dm_fail(err, errlen, DM_ECONN, "%s", c->dead_why);
	else
		dm_fail(err, errlen, rc, "no answer to opening '%.60s'",
		    service);
	unlink_stream(c, s);
	pthread_mutex_unlock(&c->lock);
	pthread_cond_destroy(&s->cv);
	free_chunks(s);
	free(s);
	return NULL;
}

const char *
adb_stream_error(const struct adb_stream *s)
{
	return s->err[0] ? s->err : "stream closed";
}

int
adb_stream_write(struct adb_stream *s, const void *buf, size_t len, int ms)
{
	struct adb_conn *c = s->c;
	const uint8_t *p = buf;
	struct timespec dl;
	int rc = 0;

	if (s->via != NULL) {
		rc = transport_write(s->via, buf, len, ms);
		if (rc < 0) {
			snprintf(s->err, sizeof(s->err), "%s", s->via->errbuf);
			return rc == DM_ETIMEOUT ? rc : DM_ECLOSED;
		}
		return 0;
	}
	while (len > 0) {
		uint32_t n = len > c->max_payload ? c->max_payload :
		    (uint32_t)len;

		dl = deadline(ms);
		pthread_mutex_lock(&c->lock);
		while (!s->can_write && !s->closed && !atomic_load(&c->dead) &&
		    rc == 0)
			rc = stream_wait(s, ms < 0 ? NULL : &dl);
		if (rc == 0 && (s->closed || atomic_load(&c->dead)))
			rc = s->closed ? DM_ECLOSED : DM_ECONN;
		if (rc == 0 && c->delayed_ack) {
			s->avail -= n;
			s->can_write = s->avail > 0;
		} else if (rc == 0) {
			s->can_write = 0;
		}
		pthread_mutex_unlock(&c->lock);
		if (rc < 0) {
			if (rc == DM_ETIMEOUT)
				snprintf(s->err, sizeof(s->err),
				    "the phone did not take data for %d ms",
				    ms);
			return rc;
		}
		rc = send_pkt(c, ADB_WRTE, s->local, s->remote, p, n, ms);
		if (rc < 0)
			return rc;
		p += n;
		len -= n;
	}
	return 0;
}

/* The queue drained below the high-water mark after an OKAY was held
 * back: 1 and the bytes to acknowledge, to send after unlocking. */
static int
settle_okay_locked(struct adb_stream *s, uint32_t *acked)
{
	if (!s->owe_okay || s->queued >= RX_HIGH_WATER)
		return 0;
	s->owe_okay = 0;
	*acked = s->owed;
	s->owed = 0;
	return 1;
}

int
adb_stream_read(struct adb_stream *s, void *buf, size_t len, int ms)
{
	struct adb_conn *c = s->c;
	struct timespec dl = deadline(ms);
	size_t got = 0;
	uint32_t acked = 0;
	int rc = 0, owe = 0;

	if (s->via != NULL) {
		if (len > 0x7fffffff)
			len = 0x7fffffff;
		rc = transport_read(s->via, buf, len, ms);
		if (rc < 0)
			snprintf(s->err, sizeof(s->err), "%s", s->via->errbuf);
		return rc;
	}
	pthread_mutex_lock(&c->lock);
	while (s->head == NULL && !s->closed && !atomic_load(&c->dead) &&
	    rc == 0)
		rc = stream_wait(s, ms < 0 ? NULL : &dl);
	if (s->head == NULL) {
		pthread_mutex_unlock(&c->lock);
		if (rc < 0)
			return rc;
		return s->closed ? 0 : DM_ECONN;
	}
	while (got < len && s->head != NULL) {
		struct chunk *ch = s->head;
		size_t n = ch->len - ch->off;

		if (n > len - got)
			n = len - got;
		memcpy((uint8_t *)buf + got, ch->data + ch->off, n);
		ch->off += n;
		got += n;
		s->queued -= n;
		if (ch->off == ch->len) {
			s->head = ch->next;
			if (s->head == NULL)
				s->tail = NULL;
			buf_put_locked(c, ch->data, ch->pooled);
			free(ch);
		}
	}
	owe = settle_okay_locked(s, &acked);
	pthread_mutex_unlock(&c->lock);
	if (owe)
		send_okay(c, s->local, s->remote, acked);
	return (int)got;
}

/* Write all of iov to fd; 0 or an errno. */
static int
writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int
adb_stream_read_fd(struct adb_stream *s, int fd, size_t len, int ms,
    int *werr)
{
	struct adb_conn *c = s->c;

	*werr = 0;
	if (s->via != NULL) {
		uint8_t buf[16384];

		while (len > 0) {
			int n = adb_stream_read(s, buf, len < sizeof(buf) ?
			    len : sizeof(buf), ms);
			struct iovec v = { buf, 0 };

			if (n < 0)
				return n;
			if (n == 0)
				return DM_ECLOSED;
			v.iov_len = (size_t)n;
			if (fd >= 0 && (*werr = writev_all(fd, &v, 1)) != 0)
				return dm_from_errno(*werr);
			len -= (size_t)n;
		}
		return 0;
	}
	while (len > 0) {
		struct timespec dl = deadline(ms);
		struct iovec iov[32];
		int niov = 0, rc = 0, owe = 0;
		size_t take = 0;
		uint32_t acked = 0;

		pthread_mutex_lock(&c->lock);
		while (s->head == NULL && !s->closed && !atomic_load(&c->dead) &&
		    rc == 0)
			rc = stream_wait(s, ms < 0 ? NULL : &dl);
		if (s->head == NULL) {
			pthread_mutex_unlock(&c->lock);
			if (rc < 0)
				return rc;
			return s->closed ? DM_ECLOSED : DM_ECONN;
		}
		for (struct chunk *ch = s->head; ch != NULL && niov < 32 &&
		    take < len; ch = ch->next) {
			size_t n = ch->len - ch->off;

			if (n > len - take)
				n = len - take;
			iov[niov].iov_base = ch->data + ch->off;
			iov[niov++].iov_len = n;
			take += n;
		}
		pthread_mutex_unlock(&c->lock);
		/* Only this thread consumes the stream; the reader only
		 * appends, so the chunks stay put while we write them. */
		if (fd >= 0)
			*werr = writev_all(fd, iov, niov);
		pthread_mutex_lock(&c->lock);
		for (size_t left = take; left > 0;) {
			struct chunk *ch = s->head;
			size_t n = ch->len - ch->off;

			if (n > left)
				n = left;
			ch->off += n;
			left -= n;
			if (ch->off == ch->len) {
				s->head = ch->next;
				if (s->head == NULL)
					s->tail = NULL;
				buf_put_locked(c, ch->data, ch->pooled);
				free(ch);
			}
		}
		s->queued -= take;
		owe = settle_okay_locked(s, &acked);
		pthread_mutex_unlock(&c->lock);
		if (owe)
			send_okay(c, s->local, s->remote, acked);
		if (*werr != 0)
			return dm_from_errno(*werr);
		len -= take;
	}
	return 0;
}

int
adb_stream_read_full(struct adb_stream *s, void *buf, size_t len, int ms)
{
	size_t got = 0;

	while (got < len) {
		int n = adb_stream_read(s, (uint8_t *)buf + got, len - got,
		    ms);

		if (n < 0)
			return n;
		if (n == 0)
			return DM_ECLOSED;
		got += (size_t)n;
	}
	return (int)got;
}

void
adb_stream_close(struct adb_stream *s)
{
	struct adb_conn *c;
	int send;

	if (s == NULL)
		return;
	if (s->via != NULL) {
		transport_close(s->via);
		free(s->via);
		free(s);
		return;
	}
	c = s->c;
	pthread_mutex_lock(&c->lock);
	send = !atomic_load(&c->dead);
	unlink_stream(c, s);
	pthread_mutex_unlock(&c->lock);
	if (send)
		send_pkt(c, ADB_CLSE, s->local, s->remote, NULL, 0, 2000);
	free_chunks(s);
	pthread_cond_destroy(&s->cv);
	free(s);
}

/* ---- shell --------------------------------------------------------------- */


int
adb_shell(struct adb_conn *c, const char *cmd, adb_out_fn out, void *ud,
    int *exit_code, int ms, char *err, size_t errlen)
{
	int v2 = adb_has_feature(c, "shell_v2");
	struct adb_stream *s;
	uint8_t *buf = NULL;
	char *service;
	int rc = 0, n;

	*exit_code = -1;
	service = xasprintf("%s%s", v2 ? "shell,v2,raw:" : "shell:", cmd);
	s = adb_open(c, service, err, errlen);
	free(service);
	if (s == NULL)
		return DM_EUNSUPP;
	buf = xmalloc(64 * 1024);
	if (!v2) {
		while ((n = adb_stream_read(s, buf, 64 * 1024, ms)) > 0)
			if (out != NULL && out(ud, 1, buf, (size_t)n) != 0)
				break;
		if (n < 0)
			rc = dm_fail(err, errlen, n, "shell: %s",
			    adb_stream_error(s));
		goto out;
	}
	for (;;) {
		uint8_t hdr[SHELL_V2_HDR];
		uint32_t len;

		n = adb_stream_read_full(s, hdr, sizeof(hdr), ms);
		if (n == DM_ECLOSED)
			break;		/* ended without an exit packet */
		if (n < 0) {
			rc = dm_fail(err, errlen, n, "shell: %s",
			    adb_stream_error(s));
			break;
		}
		len = le32_get(hdr + 1);
		if (hdr[0] == 3 && len == 1) {
			uint8_t code;

			n = adb_stream_read_full(s, &code, 1, ms);
			if (n < 0) {
				rc = dm_fail(err, errlen, DM_EPROTO,
				    "shell: truncated exit packet");
				break;
			}
			*exit_code = code;
			break;
		}
		while (len > 0) {
			size_t want = len > 64 * 1024 ? 64 * 1024 : len;

			n = adb_stream_read_full(s, buf, want, ms);
			if (n < 0) {
				rc = dm_fail(err, errlen, n == DM_ECLOSED ?
				    DM_EPROTO : n, "shell: truncated packet");
				goto out;
			}
			if ((hdr[0] == 1 || hdr[0] == 2) && out != NULL &&
			    out(ud, hdr[0], buf, want) != 0)
				goto out;
			len -= (uint32_t)want;
		}
		if (hdr[0] > 5) {
			rc = dm_fail(err, errlen, DM_EPROTO,
			    "shell: unknown packet id %u", hdr[0]);
			break;
		}
	}
out:
	free(buf);
	adb_stream_close(s);
	return rc;
}

struct capture {
	char *buf;
	size_t len, cap, limit;
	int over;
};

static int
capture_out(void *ud, int fd, const void *data, size_t len)
{
	struct capture *k = ud;

	if (fd != 1)
		return 0;
	if (k->len + len > k->limit) {
		k->over = 1;
		return 1;
	}
	if (k->len + len + 1 > k->cap) {
		while (k->len + len + 1 > k->cap)
			k->cap = k->cap ? k->cap * 2 : 4096;
		k->buf = xrealloc(k->buf, k->cap);
	}
	memcpy(k->buf + k->len, data, len);
	k->len += len;
	k->buf[k->len] = '\0';
	return 0;
}

int
adb_shell_capture(struct adb_conn *c, const char *cmd, char **out,
    size_t *outlen, size_t cap, int *exit_code, int ms, char *err,
    size_t errlen)
{
	struct capture k = { .limit = cap };
	int rc;

	rc = adb_shell(c, cmd, capture_out, &k, exit_code, ms, err, errlen);
	if (rc == 0 && k.over)
		rc = dm_fail(err, errlen, DM_ENOMEM,
		    "'%.40s' printed more than %zu bytes", cmd, cap);
	if (rc < 0) {
		free(k.buf);
		return rc;
	}
	if (k.buf == NULL)
		k.buf = xstrdup("");
	*out = k.buf;
	if (outlen != NULL)
		*outlen = k.len;
	return 0;
}

int
adb_reboot(struct adb_conn *c, const char *target, char *err, size_t errlen)
{
	static const char *const ok[] = { "", "bootloader", "recovery",
	    "sideload", "sideload-auto-reboot", "fastboot", NULL };
	struct adb_stream *s;
	char *service;
	char b[64];
	int i;

	for (i = 0; ok[i] != NULL; i++)
		if (strcmp(ok[i], target) == 0)
			break;
	if (ok[i] == NULL)
		return dm_fail(err, errlen, DM_EINVAL,
		    "unknown reboot target '%s'", target);
	service = xasprintf("reboot:%s", target);
	s = adb_open(c, service, err, errlen);
	free(service);
	if (s == NULL)
		return DM_EUNSUPP;
	/* adbd answers, then the link drops: either is success. */
	(void)adb_stream_read(s, b, sizeof(b), 3000);
	adb_stream_close(s);
	return 0;
}
