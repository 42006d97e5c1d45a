/* gzindex.c - a gzip file decompressed once with an index of access
 * points, then read from anywhere (see gzindex.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "err.h"
#include "fastboot.h"
#include "gzindex.h"
#include "xmem.h"

#define IN_BUF		(256u << 10)
#define OUT_BUF		(1u << 20)

struct gzpoint {
	uint64_t out;		/* decompressed offset */
	uint64_t in;		/* compressed offset of the first byte with
				 * bits of the next block (or of a member's
				 * header) */
	int bits;		/* bits of that byte already used (0-7) */
	int member;		/* a gzip member starts here: no window */
	unsigned char *window;	/* the GZ_WINDOW bytes before out */
};

struct gzidx {
	struct gzpoint *p;
	size_t n, cap;
	uint64_t size;
};

int
gz_is_gzip(const void *buf, size_t n)
{
	const unsigned char *b = buf;

	return n >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8;
}

static void
add_point(struct gzidx *x, uint64_t out, uint64_t in, int bits, int member,
    const unsigned char *ring, size_t ringpos, uint64_t have)
{
	struct gzpoint *p;

	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->p = xrealloc(x->p, x->cap * sizeof(*x->p));
	}
	p = &x->p[x->n++];
	p->out = out;
	p->in = in;
	p->bits = bits;
	p->member = member;
	p->window = NULL;
	if (!member) {
		/* The ring, oldest byte first (zeros before the stream's
		 * start are never referred to). */
		p->window = xcalloc(1, GZ_WINDOW);
		if (have >= GZ_WINDOW) {
			memcpy(p->window, ring + ringpos, GZ_WINDOW - ringpos);
			memcpy(p->window + GZ_WINDOW - ringpos, ring, ringpos);
		} else {
			memcpy(p->window + GZ_WINDOW - have, ring, (size_t)have);
		}
	}
}

void
gzidx_free(struct gzidx *x)
{
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->n; i++)
		free(x->p[i].window);
	free(x->p);
	free(x);
}

size_t
gzidx_points(const struct gzidx *x)
{
	return x->n;
}

uint64_t
gzidx_size(const struct gzidx *x)
{
	return x->size;
}

/* ---- building -------------------------------------------------------- */

struct gzbuild {
	int fd;
	z_stream zs;
	int zinit;
	unsigned char *in, *out;
	unsigned char ring[GZ_WINDOW];
	size_t ringpos;		/* next write; oldest byte once full */
	uint64_t ringhave;	/* bytes of this member written to it */
	uint64_t filepos;	/* compressed bytes read from fd */
	uint64_t totout;	/* decompressed bytes produced */
	uint64_t last;		/* totout at the last point */
	uint64_t span;
	int ended;		/* the last member ended, input drained */
	int eof;
	struct gzidx *x;
	void (*feed)(void *, const void *, size_t);
	void *ud;
};

static void
ring_add(struct gzbuild *b, const unsigned char *p, size_t n)
{
	b->ringhave += n;
	if (n >= GZ_WINDOW) {
		memcpy(b->ring, p + n - GZ_WINDOW, GZ_WINDOW);
		b->ringpos = 0;
		return;
	}
	while (n > 0) {
		size_t k = GZ_WINDOW - b->ringpos < n ? GZ_WINDOW - b->ringpos :
		    n;

		memcpy(b->ring + b->ringpos, p, k);
		b->ringpos = (b->ringpos + k) % GZ_WINDOW;
		p += k;
		n -= k;
	}
}

static int
zfail(const z_stream *zs, int zrc, char *err, size_t errlen)
{
	return dm_fail(err, errlen, zrc == Z_MEM_ERROR ? DM_ENOMEM : DM_EIO,
	    "the gzip data is damaged: %s", zs->msg != NULL ? zs->msg :
	    zrc == Z_BUF_ERROR ? "it stops short" : "zlib error");
}

int
gzbuild_new(int fd, void (*feed)(void *ud, const void *p, size_t n),
    void *ud, struct gzbuild **out, char *err, size_t errlen)
{
	struct gzbuild *b = xcalloc(1, sizeof(*b));

	b->fd = fd;
	b->feed = feed;
	b->ud = ud;
	b->in = xmalloc(IN_BUF);
	b->out = xmalloc(OUT_BUF);
	b->x = xcalloc(1, sizeof(*b->x));
	b->span = GZ_SPAN;
	if (inflateInit2(&b->zs, 15 + 16) != Z_OK) {
		gzbuild_free(b);
		return dm_fail(err, errlen, DM_ENOMEM, "cannot start zlib");
	}
	b->zinit = 1;
	/* The first member starts at the file's start. */
	add_point(b->x, 0, 0, 0, 1, NULL, 0, 0);
	*out = b;
	return 0;
}

void
gzbuild_set_span(struct gzbuild *b, uint64_t span)
{
	b->span = span > 0 ? span : GZ_SPAN;
}

/* More compressed input; 0 at the file's end. */
static ssize_t
fill(struct gzbuild *b, char *err, size_t errlen)
{
	ssize_t n;

	do
		n = read(b->fd, b->in, IN_BUF);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return dm_fail(err, errlen, dm_from_errno(errno), "%s",
		    strerror(errno));
	if (n > 0 && b->feed != NULL)
		b->feed(b->ud, b->in, (size_t)n);
	b->filepos += (uint64_t)n;
	b->zs.next_in = b->in;
	b->zs.avail_in = (uInt)n;
	if (n == 0)
		b->eof = 1;
	return n;
}

/* More input after what is left of it (kept at the buffer's start). */
static int
fill_more(struct gzbuild *b, char *err, size_t errlen)
{
	size_t left = b->zs.avail_in;
	ssize_t n;

	memmove(b->in, b->zs.next_in, left);
	do
		n = read(b->fd, b->in + left, IN_BUF - left);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return dm_fail(err, errlen, dm_from_errno(errno), "%s",
		    strerror(errno));
	if (n > 0 && b->feed != NULL)
		b->feed(b->ud, b->in + left, (size_t)n);
	b->filepos += (uint64_t)n;
	b->zs.next_in = b->in;
	b->zs.avail_in = (uInt)(left + (size_t)n);
	if (n == 0)
		b->eof = 1;
	return 0;
}

ssize_t
gzbuild_read(struct gzbuild *b, const void **p, char *err, size_t errlen)
{
	size_t got = 0;

	*p = b->out;
	while (got == 0 && !b->ended) {
		int zrc = Z_OK;

		if (b->zs.avail_in == 0) {
			ssize_t n = fill(b, err, errlen);

			if (n < 0)
				return n;
			if (n == 0)
				return dm_fail(err, errlen, DM_EIO, "the gzip "
				    "data stops short (the file is cut)");
		}
		b->zs.next_out = b->out;
		b->zs.avail_out = OUT_BUF;
		/* One block at a time, so that its start can be a point. */
		while (b->zs.avail_out > 0) {
			unsigned char *before = b->zs.next_out;
			size_t made;

			zrc = inflate(&b->zs, Z_BLOCK);
			made = (size_t)(b->zs.next_out - before);
			ring_add(b, before, made);
			b->totout += made;
			if (zrc == Z_STREAM_END)
				break;
			if (zrc != Z_OK && zrc != Z_BUF_ERROR)
				return zfail(&b->zs, zrc, err, errlen);
			if ((b->zs.data_type & 128) &&
			    !(b->zs.data_type & 64) &&
			    b->totout - b->last >= b->span) {
				add_point(b->x, b->totout, b->filepos -
				    b->zs.avail_in, b->zs.data_type & 7, 0,
				    b->ring, b->ringpos, b->ringhave);
				b->last = b->totout;
			}
			if (b->zs.avail_in == 0 || zrc == Z_BUF_ERROR)
				break;
		}
		got = OUT_BUF - b->zs.avail_out;
		if (zrc == Z_STREAM_END) {
			uint64_t at;

			/* A member ended (its CRC checked): another may
			 * follow. */
			if (b->zs.avail_in < 3 && !b->eof &&
			    fill_more(b, err, errlen) < 0)
				return DM_EIO;
			at = b->filepos - b->zs.avail_in;
			if (b->zs.avail_in < 3 || !gz_is_gzip(b->zs.next_in,
			    b->zs.avail_in)) {
				/* Padding or nothing after the last member:
				 * read (and hash) it, no more data. */
				b->ended = 1;
			} else {
				inflateReset(&b->zs);
				add_point(b->x, b->totout, at, 0, 1, NULL, 0,
				    0);
				b->last = b->totout;
				b->ringhave = 0;
				b->ringpos = 0;
			}
		}
	}
	return (ssize_t)got;
}

uint64_t
gzbuild_out(const struct gzbuild *b)
{
	return b->totout;
}

int
gzbuild_finish(struct gzbuild *b, struct gzidx **idx, char *err,
    size_t errlen)
{
	const void *p;
	ssize_t n;

	*idx = NULL;
	while ((n = gzbuild_read(b, &p, err, errlen)) > 0)
		;
	if (n < 0) {
		gzbuild_free(b);
		return (int)n;
	}
	/* What follows the last member: read, so that the hashes cover
	 * the whole file. */
	while (!b->eof) {
		b->zs.avail_in = 0;
		if (fill(b, err, errlen) < 0) {
			gzbuild_free(b);
			return DM_EIO;
		}
	}
	b->x->size = b->totout;
	*idx = b->x;
	b->x = NULL;
	gzbuild_free(b);
	return 0;
}

void
gzbuild_free(struct gzbuild *b)
{
	if (b == NULL)
		return;
	if (b->zinit)
		inflateEnd(&b->zs);
	gzidx_free(b->x);
	free(b->in);
	free(b->out);
	free(b);
}

/* ---- reading --------------------------------------------------------- */

struct gzread {
	int fd;
	const struct gzidx *x;
	z_stream zs;
	int zinit;
	int raw;		/* inflating raw deflate (from a point) */
	unsigned char *in;
	uint64_t start, len;	/* the range */
	uint64_t pos;		/* decompressed offset of the next byte */
	char why[256];
	char path[1024];
};

static int
r_fail(struct gzread *r, int rc, const char *what)
{
	snprintf(r->why, sizeof(r->why), "%s", what);
	return rc;
}

static int
r_fill(struct gzread *r)
{
	ssize_t n;

	do
		n = read(r->fd, r->in, IN_BUF);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return r_fail(r, dm_from_errno(errno), strerror(errno));
	if (n == 0)
		return r_fail(r, DM_EIO, "the gzip data stops short "
		    "(the package changed?)");
	r->zs.next_in = r->in;
	r->zs.avail_in = (uInt)n;
	return 0;
}

/* The last point at or before off. */
static const struct gzpoint *
find_point(const struct gzidx *x, uint64_t off)
{
	size_t lo = 0, hi = x->n;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (x->p[mid].out <= off)
			lo = mid;
		else
			hi = mid;
	}
	return &x->p[lo];
}

/* Restart decompression at the last point at or before off. */
static int
r_seek_point(struct gzread *r, uint64_t off)
{
	const struct gzpoint *p = find_point(r->x, off);
	int zrc;

	if (r->zinit)
		inflateEnd(&r->zs);
	r->zinit = 0;
	memset(&r->zs, 0, sizeof(r->zs));
	if (lseek(r->fd, (off_t)(p->in - (p->bits ? 1 : 0)), SEEK_SET) < 0)
		return r_fail(r, dm_from_errno(errno), strerror(errno));
	zrc = inflateInit2(&r->zs, p->member ? 15 + 16 : -15);
	if (zrc != Z_OK)
		return r_fail(r, DM_ENOMEM, "cannot start zlib");
	r->zinit = 1;
	r->raw = !p->member;
	if (p->bits) {
		int rc = r_fill(r);

		if (rc < 0)
			return rc;
		zrc = inflatePrime(&r->zs, p->bits,
		    r->zs.next_in[0] >> (8 - p->bits));
		r->zs.next_in++;
		r->zs.avail_in--;
		if (zrc != Z_OK)
			return r_fail(r, DM_EIO, "zlib refused the "
			    "access point");
	}
	if (!p->member && inflateSetDictionary(&r->zs, p->window,
	    GZ_WINDOW) != Z_OK)
		return r_fail(r, DM_EIO, "zlib refused the window");
	r->pos = p->out;
	return 0;
}

/* Decompress into buf (n > 0 bytes) from r->pos on; bytes made, or a
 * dm_err. */
static ssize_t
r_inflate(struct gzread *r, unsigned char *buf, size_t n)
{
	r->zs.next_out = buf;
	r->zs.avail_out = (uInt)n;
	while (r->zs.avail_out > 0) {
		int zrc;

		if (r->zs.avail_in == 0) {
			int rc = r_fill(r);

			if (rc < 0)
				return rc;
		}
		zrc = inflate(&r->zs, Z_NO_FLUSH);
		if (zrc == Z_STREAM_END) {
			/* A member's deflate data ended: after it, its
			 * trailer (8 bytes; zlib took it in gzip mode) and
			 * the next member. */
			if (r->raw) {
				unsigned skip = 8;

				while (skip > 0) {
					unsigned k;

					if (r->zs.avail_in == 0) {
						int rc = r_fill(r);

						if (rc < 0)
							return rc;
					}
					k = r->zs.avail_in < skip ?
					    r->zs.avail_in : skip;
					r->zs.next_in += k;
					r->zs.avail_in -= k;
					skip -= k;
				}
				if (inflateReset2(&r->zs, 15 + 16) != Z_OK)
					return r_fail(r, DM_EIO, "zlib reset failed");
				r->raw = 0;
			} else if (inflateReset(&r->zs) != Z_OK) {
				return r_fail(r, DM_EIO, "zlib reset failed");
			}
			if (r->zs.avail_out < n)
				break;
			continue;
		}
		if (zrc != Z_OK) {
			snprintf(r->why, sizeof(r->why), "the gzip data is "
			    "damaged: %s", r->zs.msg ? r->zs.msg :
			    "zlib error");
			return DM_EIO;
		}
	}
	r->pos += n - r->zs.avail_out;
	return (ssize_t)(n - r->zs.avail_out);
}

/* Move to decompressed offset off (forwards by decompressing, or by
 * jumping to a later point). */
static int
r_goto(struct gzread *r, uint64_t off)
{
	unsigned char scratch[64 << 10];

	if (off < r->pos || (off - r->pos > GZ_SPAN &&
	    find_point(r->x, off)->out > r->pos)) {
		int rc = r_seek_point(r, off);

		if (rc < 0)
			return rc;
	}
	while (r->pos < off) {
		uint64_t want = off - r->pos;
		ssize_t k = r_inflate(r, scratch, want < sizeof(scratch) ?
		    (size_t)want : sizeof(scratch));

		if (k < 0)
			return (int)k;
		if (k == 0)
			return r_fail(r, DM_EIO, "the gzip data ends "
			    "before the member");
	}
	return 0;
}

int
gzread_open(const char *path, const struct gzidx *x, uint64_t off,
    uint64_t len, struct gzread **out, char *err, size_t errlen)
{
	struct gzread *r;
	int rc;

	if (x == NULL || x->n == 0 || off + len > x->size)
		return dm_fail(err, errlen, DM_EINVAL, "%s: no such range in "
		    "its index", path);
	r = xcalloc(1, sizeof(*r));
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		rc = dm_fail(err, errlen, dm_from_errno(errno), "%s: %s", path,
		    strerror(errno));
		free(r);
		return rc;
	}
	r->x = x;
	r->in = xmalloc(IN_BUF);
	r->start = off;
	r->len = len;
	snprintf(r->path, sizeof(r->path), "%s", path);
	rc = r_seek_point(r, off);
	if (rc == 0)
		rc = r_goto(r, off);
	if (rc < 0) {
		dm_fail(err, errlen, rc, "%s: %s", path, r->why);
		gzread_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

ssize_t
gzread_read(struct gzread *r, void *buf, size_t n)
{
	uint64_t left = r->start + r->len - r->pos;

	if (left == 0 || n == 0)
		return 0;
	if (n > left)
		n = (size_t)left;
	return r_inflate(r, buf, n);
}

int
gzread_skip(struct gzread *r, uint64_t n)
{
	if (n > r->start + r->len - r->pos)
		return r_fail(r, DM_EIO, "a skip past the member's end");
	return r_goto(r, r->pos + n);
}

int
gzread_rewind(struct gzread *r, char *err, size_t errlen)
{
	int rc = r_goto(r, r->start);

	if (rc < 0)
		dm_fail(err, errlen, rc, "%s: %s", r->path, r->why);
	return rc;
}

const char *
gzread_why(const struct gzread *r)
{
	return r->why;
}

void
gzread_close(struct gzread *r)
{
	if (r == NULL)
		return;
	if (r->zinit)
		inflateEnd(&r->zs);
	close(r->fd);
	free(r->in);
	free(r);
}

/* ---- as an image to flash ------------------------------------------------- */

/* The image decompresses ahead of the flasher, on a thread of its own:
 * while one buffer goes to the phone the next is being inflated. */
#define RA_BUFS		4
#define RA_BUF		(1u << 20)

struct gzimg {
	struct gzread *r;
	pthread_t th;
	int running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *buf[RA_BUFS];
	size_t len[RA_BUFS];
	int head, count;	/* filled buffers, from head */
	size_t used;		/* bytes of buf[head] handed out */
	int stop, done, err;
};

static void *
ra_main(void *arg)
{
	struct gzimg *g = arg;

	for (;;) {
		int slot;
		ssize_t n;

		pthread_mutex_lock(&g->mu);
		while (g->count == RA_BUFS && !g->stop)
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->stop) {
			pthread_mutex_unlock(&g->mu);
			break;
		}
		slot = (g->head + g->count) % RA_BUFS;
		pthread_mutex_unlock(&g->mu);
		/* Only this thread touches g->r while it runs. */
		n = gzread_read(g->r, g->buf[slot], RA_BUF);
		pthread_mutex_lock(&g->mu);
		if (n < 0)
			g->err = (int)n;
		else if (n == 0)
			g->done = 1;
		else {
			g->len[slot] = (size_t)n;
			g->count++;
		}
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
		if (n <= 0)
			break;
	}
	return NULL;
}

static void
ra_stop(struct gzimg *g)
{
	if (!g->running)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->th, NULL);
	g->running = 0;
	g->stop = g->done = g->err = 0;
	g->head = g->count = 0;
	g->used = 0;
}

static int
ra_start(struct gzimg *g)
{
	if (g->running || g->done || g->err)
		return 0;
	if (pthread_create(&g->th, NULL, ra_main, g) != 0)
		return DM_ENOMEM;
	g->running = 1;
	return 0;
}

static ssize_t
img_read(void *ud, void *buf, size_t len)
{
	struct gzimg *g = ud;
	size_t k;
	int rc;

	if ((rc = ra_start(g)) < 0)
		return rc;
	pthread_mutex_lock(&g->mu);
	while (g->count == 0 && !g->done && !g->err)
		pthread_cond_wait(&g->cv, &g->mu);
	if (g->count == 0) {
		rc = g->err;
		pthread_mutex_unlock(&g->mu);
		return rc;
	}
	k = g->len[g->head] - g->used;
	if (k > len)
		k = len;
	pthread_mutex_unlock(&g->mu);
	/* The slot is ours until it is given back below. */
	memcpy(buf, g->buf[g->head] + g->used, k);
	pthread_mutex_lock(&g->mu);
	g->used += k;
	if (g->used == g->len[g->head]) {
		g->head = (g->head + 1) % RA_BUFS;
		g->count--;
		g->used = 0;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	return (ssize_t)k;
}

static int
img_skip(void *ud, uint64_t len)
{
	uint8_t scratch[64 << 10];

	while (len > 0) {
		ssize_t n = img_read(ud, scratch, len < sizeof(scratch) ?
		    (size_t)len : sizeof(scratch));

		if (n < 0)
			return (int)n;
		if (n == 0)
			return DM_EIO;
		len -= (uint64_t)n;
	}
	return 0;
}

static int
img_rewind(void *ud, char *err, size_t errlen)
{
	struct gzimg *g = ud;

	ra_stop(g);
	g->done = g->err = 0;
	return gzread_rewind(g->r, err, errlen);
}

static const char *
img_why(void *ud)
{
	struct gzimg *g = ud;

	return gzread_why(g->r);
}

static void
img_close(void *ud)
{
	struct gzimg *g = ud;

	ra_stop(g);
	gzread_close(g->r);
	for (int i = 0; i < RA_BUFS; i++)
		free(g->buf[i]);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g);
}

int
fb_image_open_gz(struct fb_image *img, const char *path,
    const struct gzidx *x, uint64_t off, uint64_t size, const char *name,
    char *err, size_t errlen)
{
	struct gzimg *g;
	struct gzread *r;
	int rc;

	memset(img, 0, sizeof(*img));
	if (size == 0)
		return dm_fail(err, errlen, DM_EINVAL, "%s is empty", name);
	rc = gzread_open(path, x, off, size, &r, err, errlen);
	if (rc < 0)
		return rc;
	g = xcalloc(1, sizeof(*g));
	g->r = r;
	for (int i = 0; i < RA_BUFS; i++)
		g->buf[i] = xmalloc(RA_BUF);
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	img->src.read = img_read;
	img->src.skip = img_skip;
	img->src.ud = g;
	img->rewind = img_rewind;
	img->close = img_close;
	img->why = img_why;
	img->size = size;
	snprintf(img->name, sizeof(img->name), "%s", name);
	return 0;
}
