/* memtrans.h - an in-memory transport for tests and fuzzing: reads come
 * from a fixed script of bytes (then "closed", or a stall), writes are
 * counted and dropped.  Header-only: each test includes it once. */
#ifndef DM_MEMTRANS_H
#define DM_MEMTRANS_H

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "transport.h"

#define MEMTRANS_TURNS 32

struct memtrans {
	const uint8_t *data;
	size_t len, off;
	int stall;		/* at the end: time out instead of closing */
	size_t written;
	unsigned packets;	/* headers written: packets the host sent */
	/* The phone answers: bytes past turn_at[i] are held back until the
	 * host has sent turn_need[i] packets (a scripted phone must not
	 * answer an OPEN before it was sent). */
	size_t turn_at[MEMTRANS_TURNS];
	unsigned turn_need[MEMTRANS_TURNS];
	int nturns;
	pthread_mutex_t lock;
	pthread_cond_t cv;
};

/* How far the host may read now.  Lock held. */
static size_t
mt_limit(const struct memtrans *m)
{
	for (int i = 0; i < m->nturns; i++)
		if (m->packets < m->turn_need[i])
			return m->turn_at[i] < m->len ? m->turn_at[i] : m->len;
	return m->len;
}

static int
mt_open(struct transport *t, const char *addr)
{
	(void)t;
	(void)addr;
	return 0;
}

static int
mt_read(struct transport *t, void *buf, size_t len, int ms)
{
	struct memtrans *m = t->priv;
	size_t n;

	pthread_mutex_lock(&m->lock);
	if (m->off >= mt_limit(m) && m->off < m->len) {
		/* Wait for the host's turn (bounded, like a real read). */
		struct timespec dl;

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 1;
		while (m->off >= mt_limit(m))
			if (pthread_cond_timedwait(&m->cv, &m->lock, &dl) != 0)
				break;
		if (m->off >= mt_limit(m)) {
			pthread_mutex_unlock(&m->lock);
			return dm_fail(t->errbuf, sizeof(t->errbuf),
			    DM_ETIMEOUT, "no data for %d ms", ms);
		}
	}
	n = mt_limit(m) - m->off;
	if (n > len)
		n = len;
	memcpy(buf, m->data + m->off, n);
	m->off += n;
	pthread_mutex_unlock(&m->lock);
	if (n > 0)
		return (int)n;
	if (m->stall) {
		usleep((useconds_t)(ms > 0 && ms < 50 ? ms : 50) * 1000);
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_ETIMEOUT,
		    "no data for %d ms", ms);
	}
	return 0;		/* closed */
}

static int
mt_write(struct transport *t, const void *buf, size_t len, int ms)
{
	struct memtrans *m = t->priv;

	(void)buf;
	(void)ms;
	pthread_mutex_lock(&m->lock);
	m->written += len;
	if (len == 24)
		m->packets++;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->lock);
	return (int)len;
}

static void
mt_close(struct transport *t)
{
	(void)t;
}

static const struct transport_ops memtrans_ops = {
	"mem", mt_open, mt_read, mt_write, mt_close, NULL, NULL
};

static inline void
memtrans_init(struct memtrans *m, struct transport *t, const void *data,
    size_t len, int stall)
{
	memset(m, 0, sizeof(*m));
	memset(t, 0, sizeof(*t));
	m->data = data;
	m->len = len;
	m->stall = stall;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cv, NULL);
	t->ops = &memtrans_ops;
	t->priv = m;
	snprintf(t->addr, sizeof(t->addr), "mem:test");
}

/* Hold back what follows offset at until the host sent need packets. */
static inline void
memtrans_turn(struct memtrans *m, size_t at, unsigned need)
{
	if (m->nturns < MEMTRANS_TURNS) {
		m->turn_at[m->nturns] = at;
		m->turn_need[m->nturns] = need;
		m->nturns++;
	}
}

/* Append an ADB packet (with checksum) to buf at *off. */
static inline void
memtrans_pkt(uint8_t *buf, size_t *off, uint32_t cmd, uint32_t a0,
    uint32_t a1, const void *data, uint32_t len)
{
	adbpkt_encode_header(buf + *off, cmd, a0, a1, data, len, 1);
	*off += ADB_HEADER_SIZE;
	if (len > 0)
		memcpy(buf + *off, data, len);
	*off += len;
}

#endif
