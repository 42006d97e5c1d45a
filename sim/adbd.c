/* adbd.c - one ADB connection, device side (see adbd.h; protocols.md
 * section 3): the CNXN/AUTH handshake, OPEN/OKAY/WRTE/CLSE streams with
 * classic or delayed-ack flow control, the service table, and the faults
 * a hostile phone can throw at the host.
 *
 * Threads: the connection thread runs adbd_serve() and is the only reader
 * of the socket; every stream has a service thread; adbd_conn_kick() may
 * come from the phone's thread.  c->lock guards the stream list and all
 * stream state, c->wlock the socket's write side; the two are never held
 * together. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/rand.h>

#include "adbd.h"
#include "adbpkt.h"
#include "auth.h"
#include "err.h"
#include "log.h"
#include "phone.h"
#include "profile.h"
#include "propdb.h"
#include "shell.h"
#include "sideload.h"
#include "sync.h"
#include "transport.h"
#include "xmem.h"
#include "bytes.h"

#define WRITE_MS	30000	/* host not reading this long: drop it */
#define READ_MS		30000	/* host stuck inside one packet */
#define TICK_MS		200
#define KICK_GRACE_MS	1000	/* kicked: wait for EOF this long */
#define MAX_STREAMS	256
#define IN_HIGH		(1u << 20)	/* classic: OKAY waits above */
#define ACK_BATCH	(256u << 10)	/* delayed ack: acks this big */
#define MAX_FAULTS	32

struct adbd_stream {
	struct adbd_conn *c;
	struct adbd_stream *next;
	uint32_t id, rid;
	char *service;
	int (*run)(struct adbd_stream *s, const char *service);
	pthread_cond_t cond;
	int linked;		/* in c->streams */
	/* Host to us, under c->lock. */
	uint8_t *in;
	size_t in_off, in_len, in_cap;
	size_t unacked;		/* delayed ack: used, not yet acked */
	int okay_owed;		/* classic: OKAY held back */
	int peer_closed;	/* CLSE seen, or the connection ended */
	/* Us to host. */
	int waiting;		/* classic: our WRTE not yet OKAYed */
	int64_t avail;		/* delayed ack: bytes we may send */
	int clse_sent;
	const struct fault *pending;	/* recv fault for the next WRTE */
	uint8_t *out;		/* header room + payload */
	size_t out_len;		/* payload bytes queued */
	size_t out_cap;
};

struct adbd_conn {
	struct phone *ph;
	const struct profile *prof;
	struct transport t;
	int fd;
	char name[64];
	pthread_mutex_t lock;
	pthread_mutex_t wlock;
	pthread_cond_t cond;	/* stream threads leave; auth prompt */
	uint32_t version;	/* in effect: ADB_VERSION_MIN until CNXN */
	uint32_t max_payload;	/* negotiated, for what we send */
	int online;		/* CNXN sent: streams allowed */
	int delayed_ack;
	/* Set under lock (with a broadcast), read anywhere. */
	atomic_int dead;	/* reader finished: everything stops */
	atomic_int stalled;	/* a stall fault: say nothing more */
	atomic_int closing;	/* kicked: waiting for the host's EOF */
	struct timespec close_by;
	uint8_t token[ADB_AUTH_TOKEN_SIZE];
	int have_token;
	struct adbd_stream *streams;
	int nstreams;
	int nthreads;
	uint32_t next_id;
	uint8_t fired[MAX_FAULTS];	/* faults spent on this connection */
	uint8_t *rbuf;
	size_t rbuf_size;
};



static void
deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int
past(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec > ts->tv_sec ||
	    (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

/* --- writing --- */

static int
with_checksum(const struct adbd_conn *c)
{
	return c->version < ADB_VERSION_SKIP_CHECKSUM;
}

/* Write bytes as one unit; nothing goes out once stalled or kicked. */
static int
conn_write(struct adbd_conn *c, const void *a, size_t alen, const void *b,
    size_t blen)
{
	int rc = 0;

	pthread_mutex_lock(&c->wlock);
	if (c->stalled || c->closing || c->dead) {
		pthread_mutex_unlock(&c->wlock);
		return c->stalled ? 0 : DM_ECLOSED;
	}
	rc = transport_write(&c->t, a, alen, WRITE_MS);
	if (rc >= 0 && blen > 0)
		rc = transport_write(&c->t, b, blen, WRITE_MS);
	pthread_mutex_unlock(&c->wlock);
	if (rc < 0) {
		log_debug("sim", "%s: %s", c->name, c->t.errbuf);
		return rc;
	}
	return 0;
}

/* Stop talking but keep the socket open (the host must notice). */
static void
conn_stall(struct adbd_conn *c)
{
	pthread_mutex_lock(&c->lock);
	c->stalled = 1;
	pthread_mutex_unlock(&c->lock);
	log_info("sim", "%s: stalled on purpose", c->name);
}

void
adbd_conn_kick(struct adbd_conn *c)
{
	pthread_mutex_lock(&c->lock);
	if (!c->closing) {
		c->closing = 1;
		deadline_in(&c->close_by, KICK_GRACE_MS);
		for (struct adbd_stream *s = c->streams; s; s = s->next) {
			s->peer_closed = 1;
			pthread_cond_broadcast(&s->cond);
		}
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	/* FIN after what is already queued; the reader waits for EOF. */
	shutdown(c->fd, SHUT_WR);
}

/* The fault armed for this point, if any; it is spent on this
 * connection (and, for "once", on the phone). */
static const struct fault *
fault_take(struct adbd_conn *c, enum fault_when when)
{
	size_t n;
	const struct fault *f = phone_faults(c->ph, &n), *hit = NULL;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < n && i < MAX_FAULTS && hit == NULL; i++) {
		if (f[i].when != when || c->fired[i])
			continue;
		c->fired[i] = 1;
		if (!f[i].once || phone_fault_claim(c->ph, i))
			hit = &f[i];
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

static const char *
fault_name(enum fault_type t)
{
	switch (t) {
	case FAULT_OVERSIZE: return "oversize";
	case FAULT_BAD_MAGIC: return "bad_magic";
	case FAULT_BAD_CHECKSUM: return "bad_checksum";
	case FAULT_TRUNCATE: return "truncate";
	case FAULT_STALL: return "stall";
	case FAULT_CLOSE: return "close";
	case FAULT_SLOW: return "slow";
	}
	return "?";
}

/* Send the packet (cmd...) broken the way f says.  0 when the connection
 * carries on (bad_checksum), DM_ECLOSED when it is over. */
static int
fault_fire(struct adbd_conn *c, const struct fault *f, uint32_t cmd,
    uint32_t a0, uint32_t a1, const uint8_t *data, uint32_t len)
{
	uint8_t hdr[ADB_HEADER_SIZE];
	uint32_t big;

	log_info("sim", "%s: fault %s on %s (%u bytes)", c->name,
	    fault_name(f->type), adbpkt_name(cmd), len);
	adbpkt_encode_header(hdr, cmd, a0, a1, data, len, 1);
	switch (f->type) {
	case FAULT_OVERSIZE:
		big = f->length ? f->length :
		    (c->online ? c->max_payload : ADB_MAX_PAYLOAD) + 1;
		adbpkt_encode_header(hdr, cmd, a0, a1, NULL, 0, 0);
		le32_put(hdr + 12, big);
		conn_write(c, hdr, sizeof(hdr), NULL, 0);
		conn_stall(c);
		return DM_ECLOSED;
	case FAULT_BAD_MAGIC:
		le32_put(hdr + 20, le32_get(hdr + 20) ^ 0x00010000u);
		conn_write(c, hdr, sizeof(hdr), data, len);
		conn_stall(c);
		return DM_ECLOSED;
	case FAULT_BAD_CHECKSUM:
		le32_put(hdr + 16, le32_get(hdr + 16) + 1);
		return conn_write(c, hdr, sizeof(hdr), data, len);
	case FAULT_TRUNCATE:
		if (len > 0)
			conn_write(c, hdr, sizeof(hdr), data, len / 2);
		else
			conn_write(c, hdr, sizeof(hdr) / 2, NULL, 0);
		adbd_conn_kick(c);
		return DM_ECLOSED;
	case FAULT_STALL:
		conn_stall(c);
		return DM_ECLOSED;
	case FAULT_CLOSE:
	case FAULT_SLOW:	/* fastboot's only: never armed here */
		adbd_conn_kick(c);
		return DM_ECLOSED;
	}
	return DM_ECLOSED;
}

/* Send one packet; when is the fault point it stands for (0: none). */
static int
conn_send(struct adbd_conn *c, enum fault_when when, uint32_t cmd,
    uint32_t a0, uint32_t a1, const void *data, uint32_t len)
{
	uint8_t buf[ADB_HEADER_SIZE + 64];
	const struct fault *f = when ? fault_take(c, when) : NULL;
	/* CNXN and AUTH carry a checksum whatever was negotiated: the host
	 * checks them before it knows our version. */
	int sum = with_checksum(c) || cmd == ADB_CNXN || cmd == ADB_AUTH;

	if (f != NULL)
		return fault_fire(c, f, cmd, a0, a1, data, len);
	adbpkt_encode_header(buf, cmd, a0, a1, data, len, sum);
	if (len <= sizeof(buf) - ADB_HEADER_SIZE) {
		if (len > 0)
			memcpy(buf + ADB_HEADER_SIZE, data, len);
		return conn_write(c, buf, ADB_HEADER_SIZE + len, NULL, 0);
	}
	return conn_write(c, buf, ADB_HEADER_SIZE, data, len);
}

/* --- the handshake --- */

static int
send_cnxn(struct adbd_conn *c)
{
	const struct propdb *db = c->prof->props;
	char banner[ADB_MAX_PAYLOAD_V1];
	int n, rc;

	n = snprintf(banner, sizeof(banner), "%s::ro.product.name=%s;"
	    "ro.product.model=%s;ro.product.device=%s;features=%s",
	    profile_mode_name(phone_mode(c->ph)),
	    propdb_get(db, "ro.product.name"),
	    propdb_get(db, "ro.product.model"),
	    propdb_get(db, "ro.product.device"), c->prof->features);
	if (n < 0 || (size_t)n >= sizeof(banner))
		n = (int)sizeof(banner) - 1;
	rc = conn_send(c, FAULT_AT_CNXN, ADB_CNXN, c->version, c->max_payload,
	    banner, (uint32_t)n);
	pthread_mutex_lock(&c->lock);
	c->online = rc == 0;
	pthread_mutex_unlock(&c->lock);
	if (rc == 0)
		log_info("sim", "%s: online, version %08x, max payload %u%s",
		    c->name, c->version, c->max_payload,
		    c->delayed_ack ? ", delayed ack" : "");
	return rc;
}

static int
send_token(struct adbd_conn *c)
{
	if (RAND_bytes(c->token, sizeof(c->token)) != 1)
		return DM_EIO;
	c->have_token = 1;
	return conn_send(c, FAULT_AT_CNXN, ADB_AUTH, ADB_AUTH_TOKEN, 0,
	    c->token, sizeof(c->token));
}

/* Drop every stream: a new CNXN means the host restarted. */
static void
drop_streams(struct adbd_conn *c)
{
	pthread_mutex_lock(&c->lock);
	for (struct adbd_stream *s = c->streams; s; s = s->next) {
		s->peer_closed = 1;
		s->linked = 0;
		pthread_cond_broadcast(&s->cond);
	}
	c->streams = NULL;
	c->nstreams = 0;
	pthread_mutex_unlock(&c->lock);
}

static int
on_cnxn(struct adbd_conn *c, const struct adb_packet *p)
{
	struct adb_banner b;
	int ours;

	drop_streams(c);
	c->online = 0;
	c->version = p->arg0 < c->prof->version ? p->arg0 : c->prof->version;
	if (c->version < ADB_VERSION_MIN)
		c->version = ADB_VERSION_MIN;
	c->max_payload = p->arg1 < c->prof->max_payload ? p->arg1 :
	    c->prof->max_payload;
	if (c->max_payload < 256)
		c->max_payload = 256;
	adbpkt_parse_banner((const char *)p->data, p->len, &b);
	ours = adbpkt_has_feature(c->prof->features, "delayed_ack");
	c->delayed_ack = ours && adbpkt_has_feature(b.features,
	    "delayed_ack");
	log_info("sim", "%s: host CNXN version %08x max %u", c->name,
	    p->arg0, p->arg1);
	if (c->prof->auth == SIM_AUTH_NONE)
		return send_cnxn(c);
	return send_token(c);
}

/* The user looks at "Allow USB debugging?" for auth_delay_ms. */
static int
prompt_wait(struct adbd_conn *c)
{
	struct timespec by;
	int gone;

	deadline_in(&by, c->prof->auth_delay_ms);
	pthread_mutex_lock(&c->lock);
	while (!c->closing && !c->dead &&
	    pthread_cond_timedwait(&c->cond, &c->lock, &by) != ETIMEDOUT)
		;
	gone = c->closing || c->dead;
	pthread_mutex_unlock(&c->lock);
	return gone ? DM_ECLOSED : 0;
}

static int
on_auth(struct adbd_conn *c, const struct adb_packet *p)
{
	char err[256];
	EVP_PKEY *key = NULL;
	int rc;

	if (c->online || c->prof->auth == SIM_AUTH_NONE)
		return 0;
	switch (p->arg0) {
	case ADB_AUTH_SIGNATURE:
		if (c->have_token && auth_verify_file(phone_keys_path(c->ph),
		    c->token, sizeof(c->token), p->data, p->len)) {
			log_info("sim", "%s: signature matches a stored key",
			    c->name);
			return send_cnxn(c);
		}
		log_info("sim", "%s: signature from an unknown key", c->name);
		return send_token(c);
	case ADB_AUTH_RSAPUBLICKEY:
		rc = auth_key_parse((const char *)p->data, p->len, &key, err,
		    sizeof(err));
		EVP_PKEY_free(key);
		if (rc < 0) {
			log_warn("sim", "%s: bad RSAPUBLICKEY: %s", c->name,
			    err);
			return 0;
		}
		if (c->prof->auth == SIM_AUTH_REJECT) {
			log_info("sim", "%s: key offered, user says no",
			    c->name);
			return 0;
		}
		log_info("sim", "%s: \"Allow USB debugging?\" for %d ms",
		    c->name, c->prof->auth_delay_ms);
		rc = prompt_wait(c);
		if (rc < 0)
			return rc;
		rc = auth_store(phone_keys_path(c->ph), (const char *)p->data,
		    p->len, err, sizeof(err));
		if (rc < 0)
			log_warn("sim", "%s: %s", c->name, err);
		return send_cnxn(c);
	default:
		return 0;
	}
}

/* --- streams --- */

static struct adbd_stream *
find_stream(struct adbd_conn *c, uint32_t id)
{
	for (struct adbd_stream *s = c->streams; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static void
unlink_stream(struct adbd_conn *c, struct adbd_stream *s)
{
	struct adbd_stream **pp;

	if (!s->linked)
		return;
	for (pp = &c->streams; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	s->linked = 0;
	c->nstreams--;
}

static void
stream_free(struct adbd_stream *s)
{
	pthread_cond_destroy(&s->cond);
	free(s->service);
	free(s->in);
	free(s->out);
	free(s);
}

static int
send_okay(struct adbd_conn *c, uint32_t id, uint32_t rid, int delayed,
    uint32_t acked)
{
	uint8_t v[4];

	if (!delayed)
		return conn_send(c, 0, ADB_OKAY, id, rid, NULL, 0);
	le32_put(v, acked);
	return conn_send(c, 0, ADB_OKAY, id, rid, v, 4);
}

int
adbd_stream_flush(struct adbd_stream *s)
{
	struct adbd_conn *c = s->c;
	const struct fault *f;
	size_t len = s->out_len;
	int rc;

	if (len == 0)
		return 0;
	pthread_mutex_lock(&c->lock);
	while (!s->peer_closed && !c->dead && (c->stalled ||
	    (c->delayed_ack ? s->avail <= 0 : s->waiting)))
		pthread_cond_wait(&s->cond, &c->lock);
	if (s->peer_closed || c->dead) {
		pthread_mutex_unlock(&c->lock);
		s->out_len = 0;
		return DM_ECLOSED;
	}
	if (c->delayed_ack)
		s->avail -= (int64_t)len;
	else
		s->waiting = 1;
	pthread_mutex_unlock(&c->lock);
	s->out_len = 0;
	f = s->pending;
	s->pending = NULL;
	if (f == NULL)
		f = fault_take(c, FAULT_AT_WRTE);
	if (f != NULL)
		return fault_fire(c, f, ADB_WRTE, s->id, s->rid,
		    s->out + ADB_HEADER_SIZE, (uint32_t)len);
	adbpkt_encode_header(s->out, ADB_WRTE, s->id, s->rid,
	    s->out + ADB_HEADER_SIZE, (uint32_t)len, with_checksum(c));
	rc = conn_write(c, s->out, ADB_HEADER_SIZE + len, NULL, 0);
	return rc;
}

uint8_t *
adbd_stream_reserve(struct adbd_stream *s, size_t want, size_t *space)
{
	int gone;

	if (want > s->out_cap)
		want = s->out_cap;
	if (s->out_cap - s->out_len < want && adbd_stream_flush(s) < 0)
		return NULL;
	pthread_mutex_lock(&s->c->lock);
	gone = s->peer_closed;
	pthread_mutex_unlock(&s->c->lock);
	if (gone)
		return NULL;
	*space = s->out_cap - s->out_len;
	return s->out + ADB_HEADER_SIZE + s->out_len;
}

int
adbd_stream_commit(struct adbd_stream *s, size_t n)
{
	s->out_len += n;
	if (s->out_len >= s->out_cap)
		return adbd_stream_flush(s);
	return 0;
}

int
adbd_stream_write(struct adbd_stream *s, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		size_t room, n;
		uint8_t *dst = adbd_stream_reserve(s, 1, &room);
		int rc;

		if (dst == NULL)
			return DM_ECLOSED;
		n = len < room ? len : room;
		memcpy(dst, p, n);
		rc = adbd_stream_commit(s, n);
		if (rc < 0)
			return rc;
		p += n;
		len -= n;
	}
	return 0;
}

int
adbd_stream_read(struct adbd_stream *s, void *buf, size_t len)
{
	struct adbd_conn *c = s->c;
	size_t have, n;
	int rc, okay = 0;
	uint32_t acked = 0;

	pthread_mutex_lock(&c->lock);
	if (s->in_len == s->in_off && s->out_len > 0) {
		/* About to wait: the host may be waiting for our output. */
		pthread_mutex_unlock(&c->lock);
		rc = adbd_stream_flush(s);
		if (rc < 0)
			return rc;
		pthread_mutex_lock(&c->lock);
	}
	while (s->in_len == s->in_off && !s->peer_closed && !c->dead)
		pthread_cond_wait(&s->cond, &c->lock);
	have = s->in_len - s->in_off;
	if (have == 0) {
		pthread_mutex_unlock(&c->lock);
		return c->dead && !s->peer_closed ? DM_ECLOSED : 0;
	}
	n = len < have ? len : have;
	memcpy(buf, s->in + s->in_off, n);
	s->in_off += n;
	if (s->in_off == s->in_len)
		s->in_off = s->in_len = 0;
	if (c->delayed_ack) {
		s->unacked += n;
		if (s->unacked >= ACK_BATCH || s->in_len == 0) {
			acked = (uint32_t)s->unacked;
			s->unacked = 0;
			okay = !s->peer_closed;
		}
	} else if (s->okay_owed && s->in_len - s->in_off < IN_HIGH) {
		s->okay_owed = 0;
		okay = !s->peer_closed;
	}
	pthread_mutex_unlock(&c->lock);
	if (okay)
		send_okay(c, s->id, s->rid, c->delayed_ack, acked);
	return (int)n;
}

int
adbd_stream_read_full(struct adbd_stream *s, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		int n = adbd_stream_read(s, (uint8_t *)buf + got, len - got);

		if (n <= 0)
			return n < 0 ? n : DM_ECLOSED;
		got += (size_t)n;
	}
	return 0;
}

void
adbd_stream_close(struct adbd_stream *s)
{
	struct adbd_conn *c = s->c;
	int send;

	adbd_stream_flush(s);
	pthread_mutex_lock(&c->lock);
	send = !s->clse_sent && !s->peer_closed && !c->dead;
	s->clse_sent = 1;
	pthread_mutex_unlock(&c->lock);
	if (send)
		conn_send(c, 0, ADB_CLSE, s->id, s->rid, NULL, 0);
}

int
adbd_stream_sleep(struct adbd_stream *s, int ms)
{
	struct adbd_conn *c = s->c;
	struct timespec by;
	int gone;

	adbd_stream_flush(s);
	deadline_in(&by, ms);
	pthread_mutex_lock(&c->lock);
	while (!s->peer_closed && !c->dead &&
	    pthread_cond_timedwait(&s->cond, &c->lock, &by) != ETIMEDOUT)
		;
	gone = s->peer_closed || c->dead;
	pthread_mutex_unlock(&c->lock);
	return gone ? DM_ECLOSED : 0;
}

struct phone *
adbd_stream_phone(const struct adbd_stream *s)
{
	return s->c->ph;
}

uint32_t
adbd_stream_max_payload(const struct adbd_stream *s)
{
	return (uint32_t)s->out_cap;
}

uint64_t
adbd_stream_fault_room(struct adbd_stream *s, uint64_t done)
{
	size_t n;
	const struct fault *f = phone_faults(s->c->ph, &n);
	uint64_t room = UINT64_MAX;

	pthread_mutex_lock(&s->c->lock);
	for (size_t i = 0; i < n && i < MAX_FAULTS; i++)
		if (f[i].when == FAULT_AT_RECV && !s->c->fired[i] &&
		    f[i].after_bytes >= done &&
		    f[i].after_bytes - done < room)
			room = f[i].after_bytes - done;
	pthread_mutex_unlock(&s->c->lock);
	return room;
}

int
adbd_stream_progress(struct adbd_stream *s, uint64_t done)
{
	struct adbd_conn *c = s->c;
	size_t n;
	const struct fault *f = phone_faults(c->ph, &n);

	for (size_t i = 0; i < n && i < MAX_FAULTS; i++) {
		int mine;

		pthread_mutex_lock(&c->lock);
		mine = f[i].when == FAULT_AT_RECV && !c->fired[i] &&
		    f[i].after_bytes <= done;
		if (mine)
			c->fired[i] = 1;
		pthread_mutex_unlock(&c->lock);
		if (!mine || (f[i].once && !phone_fault_claim(c->ph, i)))
			continue;
		log_info("sim", "%s: recv fault after %llu bytes", c->name,
		    (unsigned long long)done);
		if (f[i].type == FAULT_CLOSE || f[i].type == FAULT_STALL) {
			/* What was read so far goes out, then nothing. */
			adbd_stream_flush(s);
			return fault_fire(c, &f[i], ADB_WRTE, s->id, s->rid,
			    NULL, 0);
		}
		/* The packet carrying these bytes is the broken one (or the
		 * next one, when nothing is queued yet). */
		s->pending = &f[i];
		if (s->out_len == 0)
			return 0;
		if (adbd_stream_flush(s) < 0 || f[i].type != FAULT_BAD_CHECKSUM)
			return DM_ECLOSED;
	}
	return 0;
}

/* --- services --- */

#define M_DEVICE	(1u << SIM_MODE_DEVICE)
#define M_RECOVERY	(1u << SIM_MODE_RECOVERY)
#define M_SIDELOAD	(1u << SIM_MODE_SIDELOAD)

static int
svc_reboot(struct adbd_stream *s, const char *service)
{
	adbd_stream_close(s);
	phone_reboot(s->c->ph, service + strlen("reboot:"));
	return 0;
}

static const struct {
	const char *prefix;
	int exact;
	unsigned modes;
	int (*run)(struct adbd_stream *s, const char *service);
} services[] = {
	{ "shell:", 0, M_DEVICE | M_RECOVERY, shell_service },
	{ "shell,", 0, M_DEVICE | M_RECOVERY, shell_service },
	{ "exec:", 0, M_DEVICE | M_RECOVERY, shell_service },
	{ "sync:", 1, M_DEVICE | M_RECOVERY, sync_service },
	{ "reboot:", 0, M_DEVICE | M_RECOVERY | M_SIDELOAD, svc_reboot },
	{ "sideload-host:", 0, M_SIDELOAD, sideload_service },
};

static void *
stream_main(void *arg)
{
	struct adbd_stream *s = arg;
	struct adbd_conn *c = s->c;

	log_set_thread_job(s->id);
	s->run(s, s->service);
	adbd_stream_close(s);
	pthread_mutex_lock(&c->lock);
	unlink_stream(c, s);
	c->nthreads--;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	stream_free(s);
	return NULL;
}

static void
on_open(struct adbd_conn *c, const struct adb_packet *p)
{
	char name[1024], shown[256];
	uint8_t window[4];
	size_t n = 0;
	unsigned mode = 1u << phone_mode(c->ph);
	struct adbd_stream *s;
	pthread_attr_t attr;
	pthread_t th;
	int idx = -1;

	if (!c->online || p->arg0 == 0)
		return;
	while (n < p->len && n < sizeof(name) - 1 && p->data[n] != '\0') {
		name[n] = (char)p->data[n];
		n++;
	}
	name[n] = '\0';
	log_escape(shown, sizeof(shown), name, n);
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		size_t plen = strlen(services[i].prefix);

		if (services[i].exact ? strcmp(name, services[i].prefix) == 0 :
		    strncmp(name, services[i].prefix, plen) == 0) {
			if (services[i].modes & mode)
				idx = (int)i;
			break;
		}
	}
	/* The window is there exactly when delayed ack was agreed. */
	if (idx < 0 || (p->arg1 != 0) != (c->delayed_ack != 0) ||
	    c->nstreams >= MAX_STREAMS) {
		log_info("sim", "%s: OPEN \"%s\" refused", c->name, shown);
		conn_send(c, 0, ADB_CLSE, 0, p->arg0, NULL, 0);
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->c = c;
	s->rid = p->arg0;
	s->avail = p->arg1;
	s->service = xstrdup(name);
	s->run = services[idx].run;
	s->out_cap = c->max_payload;
	s->out = xmalloc(ADB_HEADER_SIZE + s->out_cap);
	pthread_cond_init(&s->cond, NULL);
	pthread_mutex_lock(&c->lock);
	do {
		s->id = c->next_id++;
	} while (s->id == 0 || find_stream(c, s->id) != NULL);
	s->next = c->streams;
	c->streams = s;
	s->linked = 1;
	c->nstreams++;
	pthread_mutex_unlock(&c->lock);
	log_info("sim", "%s: OPEN \"%s\" -> stream %u", c->name, shown, s->id);
	/* Under delayed ack our OKAY grants the host its window. */
	le32_put(window, ADBD_WINDOW);
	if (conn_send(c, FAULT_AT_OPEN, ADB_OKAY, s->id, s->rid,
	    c->delayed_ack ? window : NULL, c->delayed_ack ? 4 : 0) < 0)
		goto drop;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&c->lock);
	c->nthreads++;
	pthread_mutex_unlock(&c->lock);
	if (pthread_create(&th, &attr, stream_main, s) != 0) {
		pthread_attr_destroy(&attr);
		pthread_mutex_lock(&c->lock);
		c->nthreads--;
		pthread_mutex_unlock(&c->lock);
		conn_send(c, 0, ADB_CLSE, s->id, s->rid, NULL, 0);
		goto drop;
	}
	pthread_attr_destroy(&attr);
	return;
drop:
	pthread_mutex_lock(&c->lock);
	unlink_stream(c, s);
	pthread_mutex_unlock(&c->lock);
	stream_free(s);
}

static void
on_wrte(struct adbd_conn *c, const struct adb_packet *p)
{
	struct adbd_stream *s;
	uint32_t id = 0, rid = 0;
	int okay = 0;

	pthread_mutex_lock(&c->lock);
	s = find_stream(c, p->arg1);
	if (s == NULL || s->rid != p->arg0 || s->peer_closed) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	if (s->in_len + p->len > s->in_cap) {
		if (s->in_off > 0) {
			memmove(s->in, s->in + s->in_off,
			    s->in_len - s->in_off);
			s->in_len -= s->in_off;
			s->in_off = 0;
		}
		if (s->in_len + p->len > s->in_cap) {
			s->in_cap = s->in_len + p->len;
			s->in = xrealloc(s->in, s->in_cap);
		}
	}
	memcpy(s->in + s->in_len, p->data, p->len);
	s->in_len += p->len;
	if (!c->delayed_ack) {
		if (s->in_len - s->in_off < IN_HIGH)
			okay = 1;
		else
			s->okay_owed = 1;
	}
	id = s->id;
	rid = s->rid;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&c->lock);
	if (okay)
		send_okay(c, id, rid, 0, 0);
}

static void
on_okay(struct adbd_conn *c, const struct adb_packet *p)
{
	struct adbd_stream *s;

	pthread_mutex_lock(&c->lock);
	s = find_stream(c, p->arg1);
	if (s != NULL && s->rid == p->arg0) {
		if (!c->delayed_ack)
			s->waiting = 0;
		else if (p->len == 4)
			s->avail += (int32_t)le32_get(p->data);
		else
			log_warn("sim", "%s: OKAY with %u bytes under delayed "
			    "ack", c->name, p->len);
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&c->lock);
}

static void
on_clse(struct adbd_conn *c, const struct adb_packet *p)
{
	struct adbd_stream *s;

	pthread_mutex_lock(&c->lock);
	s = find_stream(c, p->arg1);
	/* arg0 is 0 only for a refused OPEN, but old hosts used it too. */
	if (s != NULL && (p->arg0 == 0 || p->arg0 == s->rid)) {
		s->peer_closed = 1;
		unlink_stream(c, s);
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&c->lock);
}

/* --- the connection thread --- */

/* Wait until a packet starts, or give up (kicked and the grace is over).
 * 1 readable, 0 give up. */
static int
wait_packet(struct adbd_conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	for (;;) {
		int n, closing;

		pthread_mutex_lock(&c->lock);
		closing = c->closing;
		pthread_mutex_unlock(&c->lock);
		if (closing && past(&c->close_by))
			return 0;
		n = poll(&pfd, 1, TICK_MS);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return 0;
	}
}

static void
handle(struct adbd_conn *c, const struct adb_packet *p)
{
	switch (p->cmd) {
	case ADB_CNXN:
		on_cnxn(c, p);
		break;
	case ADB_AUTH:
		on_auth(c, p);
		break;
	case ADB_OPEN:
		on_open(c, p);
		break;
	case ADB_WRTE:
		on_wrte(c, p);
		break;
	case ADB_OKAY:
		on_okay(c, p);
		break;
	case ADB_CLSE:
		on_clse(c, p);
		break;
	default:
		/* SYNC is obsolete; we never offer STLS. */
		break;
	}
}

void
adbd_serve(struct phone *ph, int fd, const char *name)
{
	struct adbd_conn *c = xcalloc(1, sizeof(*c));
	struct adb_packet p;
	char why[300] = "host closed";
	int rc;

	c->ph = ph;
	c->prof = phone_profile(ph);
	c->fd = fd;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->version = ADB_VERSION_MIN;
	c->max_payload = ADB_MAX_PAYLOAD_V1;
	c->next_id = 1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->wlock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->rbuf_size = c->prof->max_payload > ADB_MAX_PAYLOAD_V1 ?
	    c->prof->max_payload : ADB_MAX_PAYLOAD_V1;
	c->rbuf = xmalloc(c->rbuf_size);
	rc = transport_tcp_adopt(&c->t, fd, name);
	if (rc < 0)
		c->fd = -1;	/* closed by the failed adopt */
	phone_conn_add(ph, c);
	log_info("sim", "%s: connected", c->name);
	while (rc == 0 && wait_packet(c)) {
		rc = adbpkt_recv(&c->t, &p, c->rbuf, c->rbuf_size,
		    (uint32_t)c->rbuf_size, READ_MS);
		if (rc < 0) {
			if (rc != DM_ECLOSED || c->t.errbuf[0] != '\0')
				snprintf(why, sizeof(why), "%s", c->t.errbuf);
			break;
		}
		if (c->stalled)
			continue;
		/* Checksums count until both sides speak 0x01000001; a zero
		 * is tolerated before the CNXN. */
		if (!(c->version < ADB_VERSION_SKIP_CHECKSUM && p.check == 0 &&
		    p.cmd == ADB_CNXN) &&
		    adbpkt_verify(&p, c->version, why, sizeof(why)) < 0) {
			rc = DM_EPROTO;
			break;
		}
		handle(c, &p);
	}
	log_info("sim", "%s: disconnected (%s)", c->name,
	    rc == 0 ? "closed by us" : why);
	pthread_mutex_lock(&c->lock);
	c->dead = 1;
	for (struct adbd_stream *s = c->streams; s; s = s->next) {
		s->peer_closed = 1;
		s->linked = 0;
		pthread_cond_broadcast(&s->cond);
	}
	c->streams = NULL;
	while (c->nthreads > 0)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	phone_conn_del(ph, c);
	transport_close(&c->t);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->wlock);
	pthread_cond_destroy(&c->cond);
	free(c->rbuf);
	free(c);
}
