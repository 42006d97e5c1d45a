/* sparse.c - Android sparse images (see sparse.h): the layout pass, the
 * split plan, the writer that produces the pieces, and the expander the
 * simulator uses.
 *
 * One reader ("struct rd") walks a sparse image header and chunk by
 * chunk, checking each as it goes; the layout pass skips over RAW data
 * while the expander reads it, so both refuse the same images with the
 * same words.  The input is only ever read forwards.  How the flasher
 * talks to the phone is fastboot's business; this file only makes bytes.
 * Pure code plus the caller's callbacks; runs on the caller's thread. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "err.h"
#include "sparse.h"
#include "xmem.h"

#define IO_BUF		(1u << 20)	/* writer and expander staging */
#define JUNK_BUF	(64u << 10)	/* for input read only to pass it */
#define MAJOR_VERSION	1u
#define FILL_CHUNK_SZ	(SPARSE_CHUNK_HDR_SZ + 4)
/* What every split piece may spend besides its chunks: the header and
 * the DONT_CARE before and after its own blocks. */
#define PIECE_OVERHEAD	(SPARSE_FILE_HDR_SZ + 2 * SPARSE_CHUNK_HDR_SZ)
/* download:%08x */
#define DOWNLOAD_MAX	0xffffffffull

static uint16_t
le16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void
le16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

int
sparse_is_sparse(const void *buf, size_t n)
{
	return buf != NULL && n >= 4 && le32_get(buf) == SPARSE_MAGIC;
}

/* ---- input ---- */

/* Read until len bytes or the end of input; *got says how many came.
 * A callback that claims more than it was asked for is broken. */
static int
src_fill(const struct sparse_src *src, void *buf, size_t len, size_t *got)
{
	uint8_t *p = buf;
	size_t n = 0;

	while (n < len) {
		ssize_t r = src->read(src->ud, p + n, len - n);

		if (r == 0)
			break;
		if (r < 0 || (size_t)r > len - n) {
			*got = n;
			return r < 0 && r > DM_ERR_MIN_ ? (int)r : DM_EIO;
		}
		n += (size_t)r;
	}
	*got = n;
	return 0;
}

/* A forward-only reader over a source, with the sparse header once read.
 * pos counts every byte consumed, read or skipped. */
struct rd {
	const struct sparse_src *src;
	uint64_t pos;
	uint64_t in_size;	/* 0: unknown, and then nothing is skipped */
	int skip_ok;
	uint8_t *junk;		/* JUNK_BUF, made on first use */
	char *err;
	size_t errlen;

	uint32_t blk_sz, total_blks, total_chunks;
	uint32_t file_hdr_sz, chunk_hdr_sz;
	uint32_t k;		/* chunks read */
	uint64_t cur;		/* next output block */
	uint64_t trailing;	/* bytes after the last chunk */
};

static void
rd_init(struct rd *r, const struct sparse_src *src, uint64_t in_size,
    char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->src = src;
	r->in_size = in_size;
	r->skip_ok = src->skip != NULL && in_size > 0;
	r->err = err;
	r->errlen = errlen;
}

static void
rd_done(struct rd *r)
{
	free(r->junk);
	r->junk = NULL;
}

/* src_fill that never reads past a known size and counts what it read. */
static int
rd_fill(struct rd *r, void *buf, size_t len, size_t *got)
{
	int rc;

	if (r->in_size > 0 && len > r->in_size - r->pos)
		len = r->pos < r->in_size ? (size_t)(r->in_size - r->pos) : 0;
	rc = src_fill(r->src, buf, len, got);
	r->pos += *got;
	return rc;
}

static int
rd_ioerr(struct rd *r, int rc)
{
	return dm_fail(r->err, r->errlen, rc, "reading the image at byte %"
	    PRIu64 ": %s", r->pos, dm_strerror(rc));
}

/* The input stopped at r->pos while `end` was expected. */
static int
rd_short(struct rd *r, uint64_t end, const char *where)
{
	return dm_fail(r->err, r->errlen, DM_EINVAL, "the image ended at "
	    "byte %" PRIu64 ", %" PRIu64 " bytes early (%s)", r->pos,
	    end - r->pos, where);
}

/* Read exactly len bytes, or fail naming where they were wanted. */
static int
rd_need(struct rd *r, void *buf, size_t len, const char *where)
{
	uint64_t end = r->pos + len;
	size_t got;
	int rc;

	rc = rd_fill(r, buf, len, &got);
	if (rc < 0)
		return rd_ioerr(r, rc);
	if (got < len)
		return rd_short(r, end, where);
	return 0;
}

/* A memory source (sparse_src_mem) hands out its bytes in place. */
static ssize_t mem_read(void *ud, void *buf, size_t len);

/* Up to len bytes of a memory source where they lie, moving on past
 * them: *got says how many (fewer only at the end).  NULL when the source
 * is not memory: then read. */
static const uint8_t *
rd_view(struct rd *r, uint64_t len, size_t *got)
{
	struct sparse_mem *m;
	const uint8_t *p;

	if (r->src->read != mem_read)
		return NULL;
	m = r->src->ud;
	*got = len < m->len - m->pos ? (size_t)len : m->len - m->pos;
	p = m->p + m->pos;
	m->pos += *got;
	r->pos += *got;
	return p;
}

/* Read to the end of input (its length is then r->pos). */
static int
rd_drain(struct rd *r)
{
	size_t got;
	int rc;

	if (r->junk == NULL)
		r->junk = xmalloc(JUNK_BUF);
	do {
		rc = rd_fill(r, r->junk, JUNK_BUF, &got);
		if (rc < 0)
			return rd_ioerr(r, rc);
	} while (got > 0);
	return 0;
}

/* Move len bytes on: with skip when the size is known (the caller has
 * checked that len stays inside it), else by reading. */
static int
rd_pass(struct rd *r, uint64_t len, const char *where)
{
	uint64_t end = r->pos + len;
	int rc;

	if (len == 0)
		return 0;
	if (r->skip_ok) {
		rc = r->src->skip(r->src->ud, len);
		if (rc == 0) {
			r->pos = end;
			return 0;
		}
		if (rc != DM_EUNSUPP)
			return rd_ioerr(r, rc);
		r->skip_ok = 0;		/* a pipe: read from now on */
	}
	if (r->junk == NULL)
		r->junk = xmalloc(JUNK_BUF);
	while (r->pos < end) {
		size_t n = end - r->pos < JUNK_BUF ? (size_t)(end - r->pos) :
		    JUNK_BUF, got;

		rc = rd_fill(r, r->junk, n, &got);
		if (rc < 0)
			return rd_ioerr(r, rc);
		if (got < n)
			return rd_short(r, end, where);
	}
	return 0;
}

/* Whether a chunk of this type, blocks and total size is well formed;
 * when not, *want is the total size it should have had (0 for an unknown
 * type). */
static int
chunk_size_ok(const struct rd *r, uint16_t type, uint32_t nblk,
    uint32_t total, uint64_t *want)
{
	uint64_t hdr = r->chunk_hdr_sz;

	switch (type) {
	case SPARSE_RAW:
		*want = hdr + (uint64_t)nblk * r->blk_sz;
		break;
	case SPARSE_FILL:
	case SPARSE_CRC32:
		*want = hdr + 4;
		break;
	case SPARSE_DONT_CARE:
		*want = hdr;
		break;
	default:
		*want = 0;
		return 0;
	}
	return total == *want;
}

/* The file header: hdr holds the n bytes already read (at most 28). */
static int
rd_header(struct rd *r, const uint8_t *hdr, size_t n)
{
	uint32_t major;

	if (n < SPARSE_FILE_HDR_SZ)
		return dm_fail(r->err, r->errlen, DM_EINVAL, "the image "
		    "ended at byte %zu, in its %u-byte sparse header", n,
		    SPARSE_FILE_HDR_SZ);
	if (le32_get(hdr) != SPARSE_MAGIC)
		return dm_fail(r->err, r->errlen, DM_EINVAL, "bad sparse "
		    "magic 0x%08" PRIx32, le32_get(hdr));
	major = le16_get(hdr + 4);
	r->file_hdr_sz = le16_get(hdr + 8);
	r->chunk_hdr_sz = le16_get(hdr + 10);
	r->blk_sz = le32_get(hdr + 12);
	r->total_blks = le32_get(hdr + 16);
	r->total_chunks = le32_get(hdr + 20);
	if (major != MAJOR_VERSION)
		return dm_fail(r->err, r->errlen, DM_EUNSUPP, "sparse format "
		    "version %" PRIu32 ".%u, only %u.x is known", major,
		    le16_get(hdr + 6), MAJOR_VERSION);
	if (r->file_hdr_sz < SPARSE_FILE_HDR_SZ)
		return dm_fail(r->err, r->errlen, DM_EINVAL, "file header "
		    "size %" PRIu32 " is below %u", r->file_hdr_sz,
		    SPARSE_FILE_HDR_SZ);
	if (r->chunk_hdr_sz < SPARSE_CHUNK_HDR_SZ)
		return dm_fail(r->err, r->errlen, DM_EINVAL, "chunk header "
		    "size %" PRIu32 " is below %u", r->chunk_hdr_sz,
		    SPARSE_CHUNK_HDR_SZ);
	if (r->blk_sz == 0 || r->blk_sz % 4 != 0)
		return dm_fail(r->err, r->errlen, DM_EINVAL, "block size %"
		    PRIu32 " is not a nonzero multiple of 4", r->blk_sz);
	/* A newer writer's extra header fields mean nothing to us. */
	if (r->in_size > 0 && r->file_hdr_sz > r->in_size)
		return dm_fail(r->err, r->errlen, DM_EINVAL, "file header of "
		    "%" PRIu32 " bytes is longer than the image (%" PRIu64
		    " bytes)", r->file_hdr_sz, r->in_size);
	return rd_pass(r, r->file_hdr_sz - SPARSE_FILE_HDR_SZ,
	    "file header");
}

/* The next chunk's header (and FILL/CRC32 value).  RAW data is left for
 * the caller, *data_len bytes of it at c->in_off == r->pos. */
static int
rd_chunk(struct rd *r, struct sparse_chunk *c, uint64_t *data_len)
{
	uint8_t h[SPARSE_CHUNK_HDR_SZ], v[4];
	uint64_t at = r->pos, want;
	uint32_t nblk, total;
	uint16_t type;
	size_t got;
	char where[64];
	int rc;

	snprintf(where, sizeof(where), "in chunk %" PRIu32 "'s header",
	    r->k);
	rc = rd_fill(r, h, sizeof(h), &got);
	if (rc < 0)
		return rd_ioerr(r, rc);
	if (got == 0)
		return dm_fail(r->err, r->errlen, DM_EINVAL, "the image "
		    "ended at byte %" PRIu64 " after %" PRIu32 " of %" PRIu32
		    " chunks", at, r->k, r->total_chunks);
	if (got < sizeof(h))
		return rd_short(r, at + r->chunk_hdr_sz, where);
	if (r->in_size > 0 && r->chunk_hdr_sz > r->in_size - at)
		return rd_short(r, at + r->chunk_hdr_sz, where);
	rc = rd_pass(r, r->chunk_hdr_sz - sizeof(h), where);
	if (rc < 0)
		return rc;

	type = le16_get(h);
	nblk = le32_get(h + 4);
	total = le32_get(h + 8);
	if (!chunk_size_ok(r, type, nblk, total, &want)) {
		if (want == 0)
			return dm_fail(r->err, r->errlen, DM_EINVAL, "chunk %"
			    PRIu32 " (byte %" PRIu64 "): unknown type 0x%04x",
			    r->k, at, type);
		if (type == SPARSE_RAW)
			return dm_fail(r->err, r->errlen, DM_EINVAL, "chunk %"
			    PRIu32 " (byte %" PRIu64 "): RAW of %" PRIu32
			    " blocks claims %" PRIu32 " bytes, not %" PRIu64,
			    r->k, at, nblk, total, want);
		return dm_fail(r->err, r->errlen, DM_EINVAL, "chunk %" PRIu32
		    " (byte %" PRIu64 "): %s claims %" PRIu32 " bytes, not %"
		    PRIu64, r->k, at, type == SPARSE_FILL ? "FILL" :
		    type == SPARSE_CRC32 ? "CRC32" : "DONT_CARE", total, want);
	}
	/* A CRC32 chunk covers no blocks, whatever its chunk_sz says. */
	if (type == SPARSE_CRC32)
		nblk = 0;
	if (r->cur + nblk > r->total_blks)
		return dm_fail(r->err, r->errlen, DM_EINVAL, "chunk %" PRIu32
		    " (byte %" PRIu64 "): blocks %" PRIu64 " to %" PRIu64
		    " run past the image's %" PRIu32 " blocks", r->k, at,
		    r->cur, r->cur + nblk - 1, r->total_blks);

	memset(c, 0, sizeof(*c));
	c->type = type;
	c->blk = (uint32_t)r->cur;
	c->nblk = nblk;
	*data_len = 0;
	if (type == SPARSE_FILL || type == SPARSE_CRC32) {
		snprintf(where, sizeof(where), "in chunk %" PRIu32, r->k);
		rc = rd_need(r, v, sizeof(v), where);
		if (rc < 0)
			return rc;
		c->fill = le32_get(v);
	} else if (type == SPARSE_RAW) {
		*data_len = (uint64_t)nblk * r->blk_sz;
		if (r->in_size > 0 && *data_len > r->in_size - r->pos)
			return dm_fail(r->err, r->errlen, DM_EINVAL, "chunk %"
			    PRIu32 " (byte %" PRIu64 "): RAW data runs to byte %"
			    PRIu64 ", past the end of the image (%" PRIu64
			    " bytes)", r->k, at, r->pos + *data_len,
			    r->in_size);
	}
	c->in_off = r->pos;
	r->cur += nblk;
	r->k++;
	return 0;
}

/* After the last chunk: the blocks must add up, and whatever follows
 * must not look like one more chunk (the count would be wrong).  Other
 * trailing bytes (a vendor signature, padding) are tolerated, as libsparse
 * does, and measured. */
static int
rd_end(struct rd *r)
{
	uint8_t peek[SPARSE_CHUNK_HDR_SZ];
	uint64_t at = r->pos, want;
	size_t got = 0, n;
	int rc;

	if (r->cur != r->total_blks)
		return dm_fail(r->err, r->errlen, DM_EINVAL, "chunks cover %"
		    PRIu64 " blocks, header says %" PRIu32, r->cur,
		    r->total_blks);
	if (r->in_size > 0) {
		if (r->pos > r->in_size)
			return dm_fail(r->err, r->errlen, DM_EINVAL, "the image "
			    "is longer than its size of %" PRIu64 " bytes",
			    r->in_size);
		r->trailing = r->in_size - r->pos;
		n = r->trailing < sizeof(peek) ? (size_t)r->trailing :
		    sizeof(peek);
		rc = rd_need(r, peek, n, "after the last chunk");
		if (rc < 0)
			return rc;
		got = n;
	} else {
		rc = rd_fill(r, peek, sizeof(peek), &got);
		if (rc == 0 && got == sizeof(peek))
			rc = rd_drain(r);
		else if (rc < 0)
			rc = rd_ioerr(r, rc);
		if (rc < 0)
			return rc;
		r->trailing = r->pos - at;
	}
	if (got == sizeof(peek) && le16_get(peek + 2) == 0 &&
	    chunk_size_ok(r, le16_get(peek), le32_get(peek + 4),
	    le32_get(peek + 8), &want))
		return dm_fail(r->err, r->errlen, DM_EINVAL, "more chunks "
		    "than the header's %" PRIu32 ": another starts at byte %"
		    PRIu64, r->total_chunks, at);
	return 0;
}

/* ---- the layout pass ---- */

static int
map_push(struct sparse_map *m, size_t *cap, const struct sparse_chunk *c,
    char *err, size_t errlen)
{
	struct sparse_chunk *last = m->n > 0 ? &m->chunks[m->n - 1] : NULL;

	if (c->nblk == 0 && c->type != SPARSE_CRC32)
		return 0;
	if (c->type == SPARSE_DONT_CARE && last != NULL &&
	    last->type == SPARSE_DONT_CARE) {
		last->nblk += c->nblk;	/* both inside total_blks */
		return 0;
	}
	if (m->n == SPARSE_MAX_CHUNKS)
		return dm_fail(err, errlen, DM_EUNSUPP, "more than %u chunks "
		    "in one image", SPARSE_MAX_CHUNKS);
	if (m->n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		m->chunks = xrealloc(m->chunks, *cap * sizeof(*m->chunks));
	}
	m->chunks[m->n++] = *c;
	return 0;
}

static int
map_sparse(struct rd *r, const uint8_t *hdr, size_t n, struct sparse_map *m)
{
	struct sparse_chunk c;
	uint64_t len;
	size_t cap = 0;
	char where[48];
	int rc;

	rc = rd_header(r, hdr, n);
	if (rc < 0)
		return rc;
	m->sparse = 1;
	m->blk_sz = r->blk_sz;
	m->total_blks = r->total_blks;
	while (r->k < r->total_chunks) {
		rc = rd_chunk(r, &c, &len);
		if (rc < 0)
			return rc;
		snprintf(where, sizeof(where), "in chunk %" PRIu32 "'s data",
		    r->k - 1);
		rc = rd_pass(r, len, where);
		if (rc < 0)
			return rc;
		rc = map_push(m, &cap, &c, r->err, r->errlen);
		if (rc < 0)
			return rc;
	}
	rc = rd_end(r);
	if (rc < 0)
		return rc;
	m->in_size = r->in_size > 0 ? r->in_size : r->pos;
	m->trailing = r->trailing;
	return 0;
}

/* Raw input: one RAW chunk over all of it, the last block maybe short.
 * n bytes have been read already. */
static int
map_raw(struct rd *r, size_t n, uint32_t blk_sz, struct sparse_map *m)
{
	uint64_t size = r->in_size, nblk;
	int rc;

	if (size == 0) {
		rc = rd_drain(r);
		if (rc < 0)
			return rc;
		size = r->pos;
	} else if (n < size && n < SPARSE_FILE_HDR_SZ) {
		return rd_short(r, size, "raw image");
	}
	nblk = size / blk_sz + (size % blk_sz != 0);
	if (nblk > UINT32_MAX)
		return dm_fail(r->err, r->errlen, DM_EUNSUPP, "a raw image of "
		    "%" PRIu64 " bytes has too many %" PRIu32 "-byte blocks",
		    size, blk_sz);
	m->sparse = 0;
	m->blk_sz = blk_sz;
	m->total_blks = (uint32_t)nblk;
	m->in_size = size;
	m->raw_tail = size % blk_sz;
	if (nblk > 0) {
		m->chunks = xcalloc(1, sizeof(*m->chunks));
		m->chunks[0].type = SPARSE_RAW;
		m->chunks[0].nblk = (uint32_t)nblk;
		m->n = 1;
	}
	return 0;
}

int
sparse_map_read(const struct sparse_src *src, uint64_t in_size,
    uint32_t raw_blk_sz, struct sparse_map *m, char *err, size_t errlen)
{
	uint8_t hdr[SPARSE_FILE_HDR_SZ];
	size_t want = sizeof(hdr), got;
	struct rd r;
	int rc;

	if (m == NULL)
		return dm_fail(err, errlen, DM_EINVAL, "no map");
	memset(m, 0, sizeof(*m));
	if (src == NULL || src->read == NULL)
		return dm_fail(err, errlen, DM_EINVAL, "no input");
	if (raw_blk_sz % 4 != 0)
		return dm_fail(err, errlen, DM_EINVAL, "raw block size %" PRIu32
		    " is not a multiple of 4", raw_blk_sz);
	rd_init(&r, src, in_size, err, errlen);
	if (in_size > 0 && in_size < want)
		want = (size_t)in_size;
	rc = src_fill(src, hdr, want, &got);
	r.pos = got;
	if (rc < 0)
		rc = rd_ioerr(&r, rc);
	else if (sparse_is_sparse(hdr, got))
		rc = map_sparse(&r, hdr, got, m);
	else if (raw_blk_sz == 0 && got < 4)
		rc = dm_fail(err, errlen, DM_EINVAL, "bad sparse magic: the "
		    "image is only %zu bytes", got);
	else if (raw_blk_sz == 0)
		rc = dm_fail(err, errlen, DM_EINVAL, "bad sparse magic 0x%08"
		    PRIx32, le32_get(hdr));
	else
		rc = map_raw(&r, got, raw_blk_sz, m);
	rd_done(&r);
	if (rc < 0)
		sparse_map_free(m);
	return rc;
}

void
sparse_map_copy(struct sparse_map *dst, const struct sparse_map *src)
{
	*dst = *src;
	dst->chunks = NULL;
	if (src->n > 0) {
		dst->chunks = xmalloc(src->n * sizeof(*dst->chunks));
		memcpy(dst->chunks, src->chunks, src->n * sizeof(*dst->chunks));
	}
}

void
sparse_map_free(struct sparse_map *m)
{
	if (m == NULL)
		return;
	free(m->chunks);
	memset(m, 0, sizeof(*m));
}

/* ---- the split plan ---- */

/* The blocks [*s, *e) of chunk j that piece p carries; 0 if none. */
static int
piece_clip(const struct sparse_map *m, const struct sparse_piece *p,
    size_t j, uint32_t *s, uint32_t *e)
{
	const struct sparse_chunk *c = &m->chunks[j];
	uint64_t cs = c->blk, ce = (uint64_t)c->blk + c->nblk;

	if (c->type == SPARSE_CRC32)
		return 0;
	if (cs < p->blk_first)
		cs = p->blk_first;
	if (ce > p->blk_end)
		ce = p->blk_end;
	if (cs >= ce)
		return 0;
	*s = (uint32_t)cs;
	*e = (uint32_t)ce;
	return 1;
}

static uint64_t
chunk_out_size(const struct sparse_map *m, uint16_t type, uint64_t nblk)
{
	if (type == SPARSE_RAW)
		return SPARSE_CHUNK_HDR_SZ + nblk * m->blk_sz;
	if (type == SPARSE_FILL)
		return FILL_CHUNK_SZ;
	return SPARSE_CHUNK_HDR_SZ;
}

/* The bytes and chunk count the writer makes of a (non-verbatim) piece;
 * -1 if the piece does not fit the map. */
static int
piece_measure(const struct sparse_map *m, const struct sparse_piece *p,
    uint64_t *size, uint32_t *nchunks)
{
	uint64_t sz = SPARSE_FILE_HDR_SZ, nc = 0;
	uint32_t s, e;

	if (p->c0 > p->c1 || p->c1 > m->n || p->blk_first > p->blk_end ||
	    p->blk_end > m->total_blks)
		return -1;
	if (p->blk_first > 0) {
		sz += SPARSE_CHUNK_HDR_SZ;
		nc++;
	}
	for (size_t j = p->c0; j < p->c1; j++) {
		if (!piece_clip(m, p, j, &s, &e))
			continue;
		sz += chunk_out_size(m, m->chunks[j].type, e - s);
		nc++;
	}
	if (p->blk_end < m->total_blks) {
		sz += SPARSE_CHUNK_HDR_SZ;
		nc++;
	}
	if (nc > UINT32_MAX)
		return -1;
	*size = sz;
	*nchunks = (uint32_t)nc;
	return 0;
}

static void
plan_push(struct sparse_piece **v, size_t *n, size_t *cap,
    const struct sparse_piece *p)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = *p;
}

/* Greedy: from where the last piece stopped, take whole chunks while they
 * fit; cut the RAW chunk that does not, so every piece but the last is
 * full to within a block.  A piece never starts or ends on a DONT_CARE:
 * the skips around it cover those blocks for free. */
static void
plan_split(const struct sparse_map *m, uint64_t avail,
    struct sparse_piece **v, size_t *n, size_t *cap)
{
	uint64_t blk = m->blk_sz;
	size_t i = 0;
	uint32_t off = 0;	/* blocks of chunk i in earlier pieces */

	for (;;) {
		struct sparse_piece pc;
		uint64_t used = 0, pend = 0;
		size_t ni, j;
		uint32_t noff, end, o;
		int cut = 0;

		while (i < m->n && (m->chunks[i].type == SPARSE_DONT_CARE ||
		    m->chunks[i].type == SPARSE_CRC32 ||
		    off == m->chunks[i].nblk)) {
			i++;
			off = 0;
		}
		if (i == m->n)
			break;
		memset(&pc, 0, sizeof(pc));
		pc.c0 = i;
		pc.blk_first = end = m->chunks[i].blk + off;
		ni = i;
		noff = off;
		for (j = i, o = off; j < m->n; j++, o = 0) {
			const struct sparse_chunk *c = &m->chunks[j];
			uint64_t rem = c->nblk - o, cost, k;

			if (c->type == SPARSE_CRC32)
				continue;
			if (c->type == SPARSE_DONT_CARE) {
				/* Paid only if data follows it here. */
				pend += SPARSE_CHUNK_HDR_SZ;
				continue;
			}
			cost = pend + chunk_out_size(m, c->type, rem);
			if (used + cost <= avail) {
				used += cost;
				pend = 0;
				ni = j + 1;
				noff = 0;
				end = c->blk + c->nblk;
				continue;
			}
			if (c->type == SPARSE_RAW && used + pend +
			    SPARSE_CHUNK_HDR_SZ + blk <= avail) {
				k = (avail - used - pend -
				    SPARSE_CHUNK_HDR_SZ) / blk;
				ni = j;
				noff = o + (uint32_t)k;
				end = c->blk + noff;
				cut = 1;
			}
			break;
		}
		pc.blk_end = end;
		pc.c1 = cut ? ni + 1 : ni;
		plan_push(v, n, cap, &pc);
		i = ni;
		off = noff;
	}
}

int
sparse_plan(const struct sparse_map *m, uint64_t limit,
    struct sparse_piece **pieces, size_t *npieces, char *err, size_t errlen)
{
	struct sparse_piece *v = NULL, one;
	size_t n = 0, cap = 0;
	uint64_t fit, max;

	*pieces = NULL;
	*npieces = 0;
	fit = limit == 0 || limit > DOWNLOAD_MAX ? DOWNLOAD_MAX : limit;
	if (m->in_size <= fit && (!m->sparse || m->trailing == 0)) {
		memset(&one, 0, sizeof(one));
		one.size = m->in_size;
		one.verbatim = 1;
		one.blk_end = m->total_blks;
		one.c1 = m->n;
		plan_push(&v, &n, &cap, &one);
		goto done;
	}
	max = limit == 0 || limit > SPARSE_PIECE_MAX ? SPARSE_PIECE_MAX :
	    limit;
	if (max < PIECE_OVERHEAD + SPARSE_CHUNK_HDR_SZ + (uint64_t)m->blk_sz)
		return dm_fail(err, errlen, DM_EINVAL, "a download limit of %"
		    PRIu64 " bytes cannot hold one %" PRIu32 "-byte block",
		    limit, m->blk_sz);
	plan_split(m, max - PIECE_OVERHEAD, &v, &n, &cap);
	if (n == 0) {
		/* Nothing but DONT_CARE: one piece that says so. */
		memset(&one, 0, sizeof(one));
		plan_push(&v, &n, &cap, &one);
	}
	for (size_t i = 0; i < n; i++) {
		if (piece_measure(m, &v[i], &v[i].size, &v[i].nchunks) < 0 ||
		    v[i].size > max) {
			free(v);
			return dm_fail(err, errlen, DM_EIO, "internal: piece %zu "
			    "does not fit in %" PRIu64 " bytes", i, max);
		}
	}
done:
	*pieces = v;
	*npieces = n;
	return 0;
}

/* ---- the data pass ---- */

struct sparse_writer {
	const struct sparse_map *m;
	struct rd in;		/* the input; in.pos is where it stands */
	int dead;		/* a failure left the input position unknown */
	uint8_t *buf;		/* IO_BUF of output not yet given to out */
	size_t used;
	uint64_t sent;		/* bytes of this piece given to out */
	int (*out)(void *, const void *, size_t);
	int (*raw)(void *, uint64_t, uint64_t);	/* or NULL */
	void *ud;
};

struct sparse_writer *
sparse_writer_new(const struct sparse_map *m, const struct sparse_src *src)
{
	struct sparse_writer *w = xcalloc(1, sizeof(*w));

	w->m = m;
	rd_init(&w->in, src, m->in_size, NULL, 0);
	w->buf = xmalloc(IO_BUF);
	return w;
}

void
sparse_writer_free(struct sparse_writer *w)
{
	if (w == NULL)
		return;
	rd_done(&w->in);
	free(w->buf);
	free(w);
}

static int
w_flush(struct sparse_writer *w)
{
	int rc;

	if (w->used == 0)
		return 0;
	rc = w->out(w->ud, w->buf, w->used);
	if (rc < 0)
		return dm_fail(w->in.err, w->in.errlen, rc, "sending the piece "
		    "at byte %" PRIu64 ": %s", w->sent, dm_strerror(rc));
	w->sent += w->used;
	w->used = 0;
	return 0;
}

/* Flush the buffer once it is full. */
static int
w_flush_full(struct sparse_writer *w)
{
	return w->used == IO_BUF ? w_flush(w) : 0;
}

static int
w_put(struct sparse_writer *w, const void *p, size_t len)
{
	const uint8_t *b = p;
	int rc;

	while (len > 0) {
		size_t n = IO_BUF - w->used < len ? IO_BUF - w->used : len;

		memcpy(w->buf + w->used, b, n);
		w->used += n;
		b += n;
		len -= n;
		if ((rc = w_flush_full(w)) < 0)
			return rc;
	}
	return 0;
}

static int
w_chunk(struct sparse_writer *w, uint16_t type, uint32_t nblk,
    uint64_t total)
{
	uint8_t h[SPARSE_CHUNK_HDR_SZ];

	le16_put(h, type);
	le16_put(h + 2, 0);
	le32_put(h + 4, nblk);
	le32_put(h + 8, (uint32_t)total);
	return w_put(w, h, sizeof(h));
}

/* len output bytes from input offset off, of which the input holds have
 * (a raw image's last block is short); the rest are zeros. */
static int
w_copy(struct sparse_writer *w, uint64_t off, uint64_t len, uint64_t have)
{
	struct rd *r = &w->in;
	uint64_t end = off + have;
	size_t got;
	int rc;

	if (off < r->pos)
		return dm_fail(r->err, r->errlen, DM_EINVAL, "the piece needs "
		    "input byte %" PRIu64 " but the input is already at %"
		    PRIu64 ": pieces go in plan order, once each", off, r->pos);
	rc = rd_pass(r, off - r->pos, "before a RAW chunk");
	if (rc < 0)
		return rc;
	if (w->raw != NULL && have > 0) {
		/* The caller sends them from the input itself. */
		if ((rc = w_flush(w)) < 0)
			return rc;
		rc = w->raw(w->ud, off, have);
		if (rc < 0)
			return dm_fail(r->err, r->errlen, rc, "sending the "
			    "piece at byte %" PRIu64 ": %s", w->sent,
			    dm_strerror(rc));
		w->sent += have;
		rc = rd_pass(r, have, "RAW data");
		if (rc < 0)
			return rc;
	}
	while (r->pos < end) {
		size_t n = IO_BUF - w->used;

		if (n > end - r->pos)
			n = (size_t)(end - r->pos);
		rc = rd_fill(r, w->buf + w->used, n, &got);
		w->used += got;
		if (rc < 0)
			return rd_ioerr(r, rc);
		if (got < n)
			return rd_short(r, w->m->in_size > r->pos ?
			    w->m->in_size : end, "RAW data");
		if ((rc = w_flush_full(w)) < 0)
			return rc;
	}
	for (len -= have; len > 0; ) {
		size_t n = IO_BUF - w->used;

		if (n > len)
			n = (size_t)len;
		memset(w->buf + w->used, 0, n);
		w->used += n;
		len -= n;
		if ((rc = w_flush_full(w)) < 0)
			return rc;
	}
	return 0;
}

static int
w_piece(struct sparse_writer *w, const struct sparse_piece *p)
{
	const struct sparse_map *m = w->m;
	uint8_t h[SPARSE_FILE_HDR_SZ], v[4];
	uint32_t s, e;
	int rc;

	if (p->verbatim)
		return w_copy(w, 0, m->in_size, m->in_size);
	le32_put(h, SPARSE_MAGIC);
	le16_put(h + 4, MAJOR_VERSION);
	le16_put(h + 6, 0);
	le16_put(h + 8, SPARSE_FILE_HDR_SZ);
	le16_put(h + 10, SPARSE_CHUNK_HDR_SZ);
	le32_put(h + 12, m->blk_sz);
	le32_put(h + 16, m->total_blks);
	le32_put(h + 20, p->nchunks);
	le32_put(h + 24, 0);		/* no image checksum */
	rc = w_put(w, h, sizeof(h));
	if (rc == 0 && p->blk_first > 0)
		rc = w_chunk(w, SPARSE_DONT_CARE, p->blk_first,
		    SPARSE_CHUNK_HDR_SZ);
	for (size_t j = p->c0; rc == 0 && j < p->c1; j++) {
		const struct sparse_chunk *c = &m->chunks[j];
		uint64_t off, len, have;

		if (!piece_clip(m, p, j, &s, &e))
			continue;
		rc = w_chunk(w, c->type, e - s,
		    chunk_out_size(m, c->type, e - s));
		if (rc < 0)
			break;
		if (c->type == SPARSE_FILL) {
			le32_put(v, c->fill);
			rc = w_put(w, v, sizeof(v));
		} else if (c->type == SPARSE_RAW) {
			off = c->in_off + (uint64_t)(s - c->blk) * m->blk_sz;
			len = (uint64_t)(e - s) * m->blk_sz;
			have = len;
			if (!m->sparse && off + len > m->in_size)
				have = m->in_size - off;
			rc = w_copy(w, off, len, have);
		}
	}
	if (rc == 0 && p->blk_end < m->total_blks)
		rc = w_chunk(w, SPARSE_DONT_CARE, m->total_blks - p->blk_end,
		    SPARSE_CHUNK_HDR_SZ);
	return rc;
}

int
sparse_write_piece(struct sparse_writer *w, const struct sparse_piece *p,
    int (*out)(void *ud, const void *buf, size_t len), void *ud,
    char *err, size_t errlen)
{
	return sparse_write_piece_raw(w, p, out, NULL, ud, err, errlen);
}

int
sparse_write_piece_raw(struct sparse_writer *w, const struct sparse_piece *p,
    int (*out)(void *ud, const void *buf, size_t len),
    int (*raw)(void *ud, uint64_t off, uint64_t len), void *ud,
    char *err, size_t errlen)
{
	uint64_t size;
	uint32_t nchunks = 0;
	int rc;

	if (w->dead)
		return dm_fail(err, errlen, DM_EINVAL, "the sparse writer "
		    "failed before; start again from the beginning");
	if (p->verbatim) {
		size = w->m->in_size;
		nchunks = 0;
	} else if (piece_measure(w->m, p, &size, &nchunks) < 0) {
		size = UINT64_MAX;
	}
	if (size != p->size || (!p->verbatim && nchunks != p->nchunks))
		return dm_fail(err, errlen, DM_EINVAL, "the piece does not "
		    "belong to this image's plan");
	w->in.err = err;
	w->in.errlen = errlen;
	w->out = out;
	w->raw = raw;
	w->ud = ud;
	w->sent = 0;
	w->used = 0;
	rc = w_piece(w, p);
	if (rc == 0)
		rc = w_flush(w);
	if (rc == 0 && w->sent != p->size)
		rc = dm_fail(err, errlen, DM_EIO, "internal: the piece came to "
		    "%" PRIu64 " bytes, planned %" PRIu64, w->sent, p->size);
	if (rc < 0)
		w->dead = 1;
	w->in.err = NULL;
	w->in.errlen = 0;
	return rc;
}

/* ---- the simulator's side: expand into a file ---- */

static int
pwrite_all(int fd, const void *buf, size_t len, uint64_t off, char *err,
    size_t errlen)
{
	const uint8_t *b = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, b, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return dm_fail(err, errlen, n < 0 ? dm_from_errno(errno) :
			    DM_EIO, "writing at byte %" PRIu64 ": %s", off,
			    n < 0 ? strerror(errno) : "nothing written");
		b += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int
expand_raw(struct rd *r, int fd, uint8_t *buf, size_t n)
{
	const uint8_t *v;
	uint64_t off = 0;
	int rc;

	for (;;) {
		rc = pwrite_all(fd, buf, n, off, r->err, r->errlen);
		if (rc < 0)
			return rc;
		off += n;
		if ((v = rd_view(r, UINT64_MAX, &n)) != NULL) {
			/* In memory: the rest in one go. */
			rc = pwrite_all(fd, v, n, off, r->err, r->errlen);
			if (rc < 0)
				return rc;
			off += n;
			break;
		}
		rc = rd_fill(r, buf, IO_BUF, &n);
		if (rc < 0)
			return rd_ioerr(r, rc);
		if (n == 0)
			break;
	}
	if (ftruncate(fd, (off_t)off) < 0)
		return dm_fail(r->err, r->errlen, dm_from_errno(errno),
		    "cutting the file to %" PRIu64 " bytes: %s", off,
		    strerror(errno));
	return 0;
}

static int
expand_chunk(struct rd *r, int fd, uint8_t *buf, const struct sparse_chunk *c,
    uint64_t len)
{
	uint64_t off = (uint64_t)c->blk * r->blk_sz, left, end;
	char where[48];
	size_t n, got;
	int rc;

	if (c->type == SPARSE_RAW) {
		const uint8_t *v;

		snprintf(where, sizeof(where), "in chunk %" PRIu32 "'s data",
		    r->k - 1);
		end = r->pos + len;
		if (len > 0 && (v = rd_view(r, len, &got)) != NULL) {
			if (got < len)
				return rd_short(r, end, where);
			return pwrite_all(fd, v, got, off, r->err, r->errlen);
		}
		for (left = len; left > 0; left -= n, off += n) {
			n = left < IO_BUF ? (size_t)left : IO_BUF;
			rc = rd_fill(r, buf, n, &got);
			if (rc < 0)
				return rd_ioerr(r, rc);
			if (got < n)
				return rd_short(r, end, where);
			rc = pwrite_all(fd, buf, n, off, r->err, r->errlen);
			if (rc < 0)
				return rc;
		}
	} else if (c->type == SPARSE_FILL) {
		left = (uint64_t)c->nblk * r->blk_sz;
		n = left < IO_BUF ? (size_t)left : IO_BUF;
		for (size_t i = 0; i < n; i += 4)
			le32_put(buf + i, c->fill);
		for (; left > 0; left -= n, off += n) {
			n = left < IO_BUF ? (size_t)left : IO_BUF;
			rc = pwrite_all(fd, buf, n, off, r->err, r->errlen);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int
expand_sparse(struct rd *r, int fd, uint8_t *buf, size_t n)
{
	struct sparse_chunk c;
	struct stat st;
	uint64_t len, total;
	int rc;

	rc = rd_header(r, buf, n);
	if (rc < 0)
		return rc;
	total = (uint64_t)r->total_blks * r->blk_sz;
	if (total > INT64_MAX)
		return dm_fail(r->err, r->errlen, DM_EUNSUPP, "an image of %"
		    PRIu64 " bytes is too large", total);
	while (r->k < r->total_chunks) {
		rc = rd_chunk(r, &c, &len);
		if (rc < 0)
			return rc;
		rc = expand_chunk(r, fd, buf, &c, len);
		if (rc < 0)
			return rc;
	}
	rc = rd_end(r);
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0)
		return dm_fail(r->err, r->errlen, dm_from_errno(errno),
		    "fstat: %s", strerror(errno));
	if ((uint64_t)st.st_size < total && ftruncate(fd, (off_t)total) < 0)
		return dm_fail(r->err, r->errlen, dm_from_errno(errno),
		    "growing the file to %" PRIu64 " bytes: %s", total,
		    strerror(errno));
	return 0;
}

int
sparse_expand_to_fd(const struct sparse_src *src, int fd, char *err,
    size_t errlen)
{
	struct rd r;
	uint8_t *buf;
	size_t got;
	int rc;

	if (src == NULL || src->read == NULL || fd < 0)
		return dm_fail(err, errlen, DM_EINVAL, "no input or output");
	rd_init(&r, src, 0, err, errlen);
	buf = xmalloc(IO_BUF);
	rc = src_fill(src, buf, SPARSE_FILE_HDR_SZ, &got);
	r.pos = got;
	if (rc < 0)
		rc = rd_ioerr(&r, rc);
	else if (sparse_is_sparse(buf, got))
		rc = expand_sparse(&r, fd, buf, got);
	else
		rc = expand_raw(&r, fd, buf, got);
	rd_done(&r);
	free(buf);
	return rc;
}

/* ---- a file descriptor as a source ---- */

static ssize_t
fd_read(void *ud, void *buf, size_t len)
{
	int fd = *(int *)ud;
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? dm_from_errno(errno) : n;
}

static int
fd_skip(void *ud, uint64_t len)
{
	int fd = *(int *)ud;

	if (len > INT64_MAX)
		return DM_EINVAL;
	if (lseek(fd, (off_t)len, SEEK_CUR) < 0)
		return errno == ESPIPE ? DM_EUNSUPP : dm_from_errno(errno);
	return 0;
}

void
sparse_src_fd(struct sparse_src *src, int *fdp)
{
	src->read = fd_read;
	src->skip = fd_skip;
	src->ud = fdp;
}

/* ---- bytes in memory as a source ---- */

static ssize_t
mem_read(void *ud, void *buf, size_t len)
{
	struct sparse_mem *m = ud;
	size_t n = len < m->len - m->pos ? len : m->len - m->pos;

	if (n > 0)
		memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int
mem_skip(void *ud, uint64_t len)
{
	struct sparse_mem *m = ud;

	if (len > m->len - m->pos)
		return DM_EINVAL;
	m->pos += (size_t)len;
	return 0;
}

void
sparse_src_mem(struct sparse_src *src, struct sparse_mem *m,
    const void *buf, size_t len)
{
	m->p = buf;
	m->len = len;
	m->pos = 0;
	src->read = mem_read;
	src->skip = mem_skip;
	src->ud = m;
}
