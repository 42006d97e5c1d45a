/* t_sparse.c - sparse images: hand-built images (every chunk type, wider
 * headers) map as they should; each kind of malformed image is refused,
 * with the same words by the layout pass (with and without skip) and by
 * the expander; split plans for several limits give pieces within the
 * limit that, expanded one over the other, make exactly the image the
 * original expands to; raw input round-trips; short inputs, a failing
 * sink and pieces out of order fail cleanly; the expander reads a memory
 * source in place, and the writer's raw variant gives the same bytes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "bytes.h"
#include "err.h"
#include "sparse.h"

/* ---- building images ---- */

struct img {
	uint8_t *b;
	size_t n, cap;
};

static uint32_t rng_state = 12345;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void
put(struct img *im, const void *p, size_t len)
{
	if (im->n + len > im->cap) {
		im->cap = (im->n + len) * 2;
		im->b = realloc(im->b, im->cap);
		assert_non_null(im->b);
	}
	memcpy(im->b + im->n, p, len);
	im->n += len;
}

static void
put_fill(struct img *im, int byte, size_t len)
{
	uint8_t z[256];

	memset(z, byte, sizeof(z));
	while (len > 0) {
		size_t n = len < sizeof(z) ? len : sizeof(z);

		put(im, z, n);
		len -= n;
	}
}

static void
put16(struct img *im, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(im, b, 2);
}

static void
put32(struct img *im, uint32_t v)
{
	uint8_t b[4];

	le32_put(b, v);
	put(im, b, 4);
}

static void
put_random(struct img *im, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)rng();

		put(im, &c, 1);
	}
}

/* A header with any field; a wide header gets 0xEE padding. */
static void
hdr(struct img *im, uint32_t magic, uint16_t major, uint16_t fhs,
    uint16_t chs, uint32_t blk, uint32_t total_blks, uint32_t nchunks)
{
	put32(im, magic);
	put16(im, major);
	put16(im, 0);
	put16(im, fhs);
	put16(im, chs);
	put32(im, blk);
	put32(im, total_blks);
	put32(im, nchunks);
	put32(im, 0);
	if (fhs > 28)
		put_fill(im, 0xee, fhs - 28u);
}

static void
chunk(struct img *im, uint16_t chs, uint16_t type, uint32_t nblk,
    uint32_t total)
{
	put16(im, type);
	put16(im, 0);
	put32(im, nblk);
	put32(im, total);
	if (chs > 12)
		put_fill(im, 0xdd, chs - 12u);
}

/* A well-formed image from a list of (type, blocks) pairs, ended by 0. */
struct spec {
	uint16_t type;
	uint32_t nblk;
};

static struct img
build(uint32_t blk, uint16_t fhs, uint16_t chs, const struct spec *s)
{
	struct img im = { 0 };
	uint32_t total = 0, n = 0;

	for (const struct spec *p = s; p->type != 0; p++) {
		if (p->type != SPARSE_CRC32)
			total += p->nblk;
		n++;
	}
	hdr(&im, SPARSE_MAGIC, 1, fhs, chs, blk, total, n);
	for (; s->type != 0; s++) {
		switch (s->type) {
		case SPARSE_RAW:
			chunk(&im, chs, s->type, s->nblk,
			    chs + s->nblk * blk);
			put_random(&im, (size_t)s->nblk * blk);
			break;
		case SPARSE_FILL:
			chunk(&im, chs, s->type, s->nblk, chs + 4u);
			put32(&im, rng());
			break;
		case SPARSE_CRC32:
			chunk(&im, chs, s->type, s->nblk, chs + 4u);
			put32(&im, 0x12345678);
			break;
		default:
			chunk(&im, chs, s->type, s->nblk, chs);
			break;
		}
	}
	return im;
}

/* ---- sources and sinks ---- */

struct mem {
	const uint8_t *p;
	size_t n, pos;
	size_t maxread;		/* 0: no limit; else short reads */
	size_t reads, skips;
};

static ssize_t
mem_read(void *ud, void *buf, size_t len)
{
	struct mem *m = ud;
	size_t n = m->n - m->pos;

	if (n > len)
		n = len;
	if (m->maxread && n > m->maxread)
		n = m->maxread;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	m->reads++;
	return (ssize_t)n;
}

static int
mem_skip(void *ud, uint64_t len)
{
	struct mem *m = ud;

	/* The contract: never asked to go past the known size. */
	assert_true(len <= m->n - m->pos);
	m->pos += (size_t)len;
	m->skips++;
	return 0;
}

static void
mem_src(struct sparse_src *src, struct mem *m, const void *p, size_t n,
    int skip)
{
	memset(m, 0, sizeof(*m));
	m->p = p;
	m->n = n;
	src->read = mem_read;
	src->skip = skip ? mem_skip : NULL;
	src->ud = m;
}

static int
sink_img(void *ud, const void *buf, size_t len)
{
	put(ud, buf, len);
	return 0;
}

static int
sink_fail(void *ud, const void *buf, size_t len)
{
	size_t *n = ud;

	*n += len;
	return DM_ECONN;
}

/* ---- files ---- */

static int
tmp_fd(size_t prefill)
{
	FILE *f = tmpfile();
	uint8_t junk[4096];
	int fd;

	assert_non_null(f);
	fd = dup(fileno(f));
	fclose(f);
	memset(junk, 0xa5, sizeof(junk));
	for (size_t off = 0; off < prefill; off += sizeof(junk))
		assert_int_equal(pwrite(fd, junk, prefill - off <
		    sizeof(junk) ? prefill - off : sizeof(junk), (off_t)off),
		    (ssize_t)(prefill - off < sizeof(junk) ? prefill - off :
		    sizeof(junk)));
	return fd;
}

static uint8_t *
fd_bytes(int fd, size_t *len)
{
	struct stat st;
	uint8_t *b;

	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	b = malloc(*len + 1);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, *len, 0), (ssize_t)*len);
	return b;
}

static void
expand_into(int fd, const void *p, size_t n)
{
	struct sparse_src src;
	struct mem m;
	char err[256] = "";
	int rc;

	mem_src(&src, &m, p, n, 0);
	rc = sparse_expand_to_fd(&src, fd, err, sizeof(err));
	if (rc != 0)
		fail_msg("expand: %d %s", rc, err);
}

static void
want_msg(const char *err, const char *want)
{
	if (strstr(err, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err, want);
}

/* ---- mapping ---- */

static void
map_ok(const struct img *im, int skip, size_t maxread, struct sparse_map *m)
{
	struct sparse_src src;
	struct mem ms;
	char err[256] = "";
	int rc;

	mem_src(&src, &ms, im->b, im->n, skip);
	ms.maxread = maxread;
	rc = sparse_map_read(&src, skip ? im->n : 0, SPARSE_BLK_SZ, m, err,
	    sizeof(err));
	if (rc != 0)
		fail_msg("map: %d %s", rc, err);
	/* The layout pass reads the whole input, or skips over it. */
	if (!skip)
		assert_int_equal(ms.pos, im->n);
}

static void
test_map_every_type(void **state)
{
	static const struct spec s[] = {
		{ SPARSE_RAW, 2 }, { SPARSE_FILL, 3 }, { SPARSE_DONT_CARE, 4 },
		{ SPARSE_CRC32, 0 }, { SPARSE_RAW, 1 }, { 0, 0 }
	};
	struct img im = build(4096, 28, 12, s);
	struct sparse_map m;

	(void)state;
	for (int v = 0; v < 3; v++) {
		map_ok(&im, v == 0, v == 2 ? 7 : 0, &m);
		assert_true(m.sparse);
		assert_int_equal(m.blk_sz, 4096);
		assert_int_equal(m.total_blks, 10);
		assert_int_equal(m.in_size, im.n);
		assert_int_equal(m.trailing, 0);
		assert_int_equal(m.n, 5);
		assert_int_equal(m.chunks[0].type, SPARSE_RAW);
		assert_int_equal(m.chunks[0].blk, 0);
		assert_int_equal(m.chunks[0].nblk, 2);
		assert_int_equal(m.chunks[0].in_off, 28 + 12);
		assert_int_equal(m.chunks[1].type, SPARSE_FILL);
		assert_int_equal(m.chunks[1].blk, 2);
		assert_int_equal(m.chunks[1].nblk, 3);
		assert_int_equal(m.chunks[1].fill,
		    le32_get(im.b + 28 + 12 + 8192 + 12));
		assert_int_equal(m.chunks[2].type, SPARSE_DONT_CARE);
		assert_int_equal(m.chunks[2].blk, 5);
		assert_int_equal(m.chunks[2].nblk, 4);
		assert_int_equal(m.chunks[3].type, SPARSE_CRC32);
		assert_int_equal(m.chunks[3].nblk, 0);
		assert_int_equal(m.chunks[3].fill, 0x12345678);
		assert_int_equal(m.chunks[4].type, SPARSE_RAW);
		assert_int_equal(m.chunks[4].blk, 9);
		assert_int_equal(m.chunks[4].in_off,
		    28 + 12 + 8192 + 16 + 12 + 16 + 12);
		sparse_map_free(&m);
		assert_null(m.chunks);
	}
	assert_true(sparse_is_sparse(im.b, im.n));
	assert_false(sparse_is_sparse(im.b, 3));
	assert_false(sparse_is_sparse(im.b + 1, im.n - 1));
	free(im.b);
}

/* Wider headers (a newer writer) are skipped over. */
static void
test_map_wide_headers(void **state)
{
	static const struct spec s[] = {
		{ SPARSE_FILL, 1 }, { SPARSE_RAW, 3 }, { SPARSE_CRC32, 0 },
		{ SPARSE_DONT_CARE, 2 }, { SPARSE_RAW, 1 }, { 0, 0 }
	};
	struct img im = build(1024, 40, 20, s);
	struct sparse_map m;
	uint8_t *got;
	size_t len;
	int fd;

	(void)state;
	for (int v = 0; v < 2; v++) {
		map_ok(&im, v, 0, &m);
		assert_int_equal(m.n, 5);
		assert_int_equal(m.chunks[1].in_off, 40 + 20 + 4 + 20);
		assert_int_equal(m.chunks[4].blk, 6);
		sparse_map_free(&m);
	}
	fd = tmp_fd(0);
	expand_into(fd, im.b, im.n);
	got = fd_bytes(fd, &len);
	assert_int_equal(len, 7 * 1024);
	/* FILL, then the RAW data as it was, then zeros, then RAW. */
	for (size_t i = 0; i < 1024; i += 4)
		assert_memory_equal(got + i, im.b + 40 + 20, 4);
	assert_memory_equal(got + 1024, im.b + 84, 3 * 1024);
	for (size_t i = 4 * 1024; i < 6 * 1024; i++)
		assert_int_equal(got[i], 0);
	assert_memory_equal(got + 6 * 1024, im.b + im.n - 1024, 1024);
	free(got);
	close(fd);
	free(im.b);
}

/* Empty chunks go, DONT_CAREs in a row become one, and an image of
 * nothing but DONT_CARE or of no blocks at all is fine. */
static void
test_map_merge_and_empty(void **state)
{
	static const struct spec s[] = {
		{ SPARSE_DONT_CARE, 2 }, { SPARSE_RAW, 0 },
		{ SPARSE_DONT_CARE, 3 }, { SPARSE_FILL, 0 },
		{ SPARSE_DONT_CARE, 0 }, { SPARSE_DONT_CARE, 5 }, { 0, 0 }
	};
	static const struct spec none[] = { { 0, 0 } };
	struct img im = build(4096, 28, 12, s), e = build(4096, 28, 12, none);
	struct sparse_map m;

	(void)state;
	map_ok(&im, 1, 0, &m);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.chunks[0].type, SPARSE_DONT_CARE);
	assert_int_equal(m.chunks[0].nblk, 10);
	assert_int_equal(m.total_blks, 10);
	sparse_map_free(&m);
	map_ok(&e, 0, 0, &m);
	assert_int_equal(m.n, 0);
	assert_int_equal(m.total_blks, 0);
	assert_int_equal(m.in_size, 28);
	sparse_map_free(&m);
	free(im.b);
	free(e.b);
}

/* ---- malformed images ---- */

struct bad {
	const char *what;
	int rc;
	const char *msg;
	struct img im;
};

static struct img
valid3(void)
{
	static const struct spec s[] = {
		{ SPARSE_RAW, 3 }, { SPARSE_FILL, 2 }, { SPARSE_RAW, 1 },
		{ 0, 0 }
	};

	return build(512, 28, 12, s);
}

/* Each refused by map_read with and without skip, and by the expander,
 * with the same message. */
static void
refuse(const struct bad *b)
{
	struct sparse_src src;
	struct sparse_map m;
	struct mem ms;
	char err[256];
	int fd, rc;

	for (int v = 0; v < 3; v++) {
		err[0] = '\0';
		mem_src(&src, &ms, b->im.b, b->im.n, v == 0);
		ms.maxread = v == 2 ? 5 : 0;
		rc = sparse_map_read(&src, v == 0 ? b->im.n : 0, SPARSE_BLK_SZ,
		    &m, err, sizeof(err));
		if (rc != b->rc)
			fail_msg("%s (source %d): rc %d, want %d (%s)", b->what,
			    v, rc, b->rc, err);
		want_msg(err, b->msg);
		assert_null(m.chunks);
	}
	fd = tmp_fd(0);
	mem_src(&src, &ms, b->im.b, b->im.n, 0);
	err[0] = '\0';
	rc = sparse_expand_to_fd(&src, fd, err, sizeof(err));
	if (rc != b->rc)
		fail_msg("%s (expand): rc %d, want %d (%s)", b->what, rc, b->rc,
		    err);
	want_msg(err, b->msg);
	close(fd);
}

static void
test_refused(void **state)
{
	struct bad b[32];
	size_t n = 0;
	struct img im;

	(void)state;
	/* Header fields. */
	b[n] = (struct bad){ "major 2", DM_EUNSUPP, "version 2.0", { 0 } };
	hdr(&b[n++].im, SPARSE_MAGIC, 2, 28, 12, 4096, 0, 0);
	b[n] = (struct bad){ "blk_sz 0", DM_EINVAL, "block size 0 ", { 0 } };
	hdr(&b[n++].im, SPARSE_MAGIC, 1, 28, 12, 0, 0, 0);
	b[n] = (struct bad){ "blk_sz 4098", DM_EINVAL,
	    "block size 4098 is not a nonzero multiple of 4", { 0 } };
	hdr(&b[n++].im, SPARSE_MAGIC, 1, 28, 12, 4098, 0, 0);
	b[n] = (struct bad){ "file_hdr_sz 20", DM_EINVAL,
	    "file header size 20", { 0 } };
	hdr(&b[n++].im, SPARSE_MAGIC, 1, 20, 12, 4096, 0, 0);
	b[n] = (struct bad){ "chunk_hdr_sz 8", DM_EINVAL,
	    "chunk header size 8", { 0 } };
	hdr(&b[n++].im, SPARSE_MAGIC, 1, 28, 8, 4096, 0, 0);
	b[n] = (struct bad){ "header cut", DM_EINVAL,
	    "ended at byte 20, in its 28-byte sparse header", { 0 } };
	hdr(&b[n].im, SPARSE_MAGIC, 1, 28, 12, 4096, 0, 0);
	b[n++].im.n = 20;
	b[n] = (struct bad){ "wide header cut", DM_EINVAL, "file header",
	    { 0 } };
	hdr(&b[n].im, SPARSE_MAGIC, 1, 200, 12, 4096, 0, 0);
	b[n++].im.n = 100;

	/* Chunks. */
	b[n] = (struct bad){ "overrun", DM_EINVAL, "chunk 1 (byte 1576): "
	    "blocks 3 to 7 run past the image's 6 blocks", { 0 } };
	hdr(&b[n].im, SPARSE_MAGIC, 1, 28, 12, 512, 6, 2);
	chunk(&b[n].im, 12, SPARSE_RAW, 3, 12 + 3 * 512);
	put_random(&b[n].im, 3 * 512);
	chunk(&b[n++].im, 12, SPARSE_FILL, 5, 16);
	b[n] = (struct bad){ "RAW size", DM_EINVAL,
	    "chunk 0 (byte 28): RAW of 3 blocks claims 100 bytes, not 1548",
	    { 0 } };
	hdr(&b[n].im, SPARSE_MAGIC, 1, 28, 12, 512, 3, 1);
	chunk(&b[n].im, 12, SPARSE_RAW, 3, 100);
	put_random(&b[n++].im, 88);
	b[n] = (struct bad){ "FILL size", DM_EINVAL,
	    "chunk 0 (byte 28): FILL claims 12 bytes, not 16", { 0 } };
	hdr(&b[n].im, SPARSE_MAGIC, 1, 28, 12, 512, 3, 1);
	chunk(&b[n++].im, 12, SPARSE_FILL, 3, 12);
	b[n] = (struct bad){ "DONT_CARE size", DM_EINVAL,
	    "DONT_CARE claims 16 bytes, not 12", { 0 } };
	hdr(&b[n].im, SPARSE_MAGIC, 1, 28, 12, 512, 3, 1);
	chunk(&b[n].im, 12, SPARSE_DONT_CARE, 3, 16);
	put32(&b[n++].im, 0);
	b[n] = (struct bad){ "CRC32 size", DM_EINVAL,
	    "CRC32 claims 12 bytes", { 0 } };
	hdr(&b[n].im, SPARSE_MAGIC, 1, 28, 12, 512, 0, 1);
	chunk(&b[n++].im, 12, SPARSE_CRC32, 0, 12);
	b[n] = (struct bad){ "unknown type", DM_EINVAL,
	    "chunk 0 (byte 28): unknown type 0xcac5", { 0 } };
	hdr(&b[n].im, SPARSE_MAGIC, 1, 28, 12, 512, 3, 1);
	chunk(&b[n++].im, 12, 0xCAC5, 3, 12);
	/* 2^20 blocks of 4 KiB is 2^32 bytes: 12 in 32-bit arithmetic. */
	b[n] = (struct bad){ "32-bit wrap", DM_EINVAL,
	    "RAW of 1048576 blocks claims 12 bytes, not 4294967308", { 0 } };
	hdr(&b[n].im, SPARSE_MAGIC, 1, 28, 12, 4096, 1u << 20, 1);
	chunk(&b[n++].im, 12, SPARSE_RAW, 1u << 20, 12);
	b[n] = (struct bad){ "huge RAW", DM_EINVAL,
	    "RAW of 4294967295 blocks", { 0 } };
	hdr(&b[n].im, SPARSE_MAGIC, 1, 28, 12, 4096, UINT32_MAX, 1);
	chunk(&b[n++].im, 12, SPARSE_RAW, UINT32_MAX, UINT32_MAX);
	b[n] = (struct bad){ "block sum overflows", DM_EINVAL,
	    "run past the image's 4294967295 blocks", { 0 } };
	hdr(&b[n].im, SPARSE_MAGIC, 1, 28, 12, 4096, UINT32_MAX, 2);
	chunk(&b[n].im, 12, SPARSE_DONT_CARE, UINT32_MAX, 12);
	chunk(&b[n++].im, 12, SPARSE_DONT_CARE, 2, 12);

	/* Counts and truncation. */
	im = valid3();
	b[n] = (struct bad){ "blocks short", DM_EINVAL,
	    "chunks cover 6 blocks, header says 7", im };
	le32_put(b[n].im.b + 16, 7);
	n++;
	im = valid3();
	b[n] = (struct bad){ "too few chunks", DM_EINVAL,
	    "after 3 of 4 chunks", im };
	le32_put(b[n].im.b + 20, 4);
	n++;
	im = valid3();
	b[n] = (struct bad){ "too many chunks", DM_EINVAL,
	    "more chunks than the header's 2: another starts at byte 1592",
	    im };
	le32_put(b[n].im.b + 16, 5);
	le32_put(b[n].im.b + 20, 2);
	n++;
	im = valid3();
	im.n -= 100;
	b[n] = (struct bad){ "data cut", DM_EINVAL, "chunk 2", im };
	n++;
	im = valid3();
	im.n = 28 + 12 + 1536 + 7;
	b[n] = (struct bad){ "chunk header cut", DM_EINVAL,
	    "ended at byte 1583, 5 bytes early (in chunk 1's header)", im };
	n++;
	im = valid3();
	im.n = 28 + 12 + 1536 + 14;
	b[n] = (struct bad){ "fill value cut", DM_EINVAL,
	    "ended at byte 1590, 2 bytes early (in chunk 1)", im };
	n++;

	for (size_t i = 0; i < n; i++) {
		refuse(&b[i]);
		free(b[i].im.b);
	}
}

/* Truncated RAW data: the three sources say it in their own way. */
static void
test_refused_truncated_data(void **state)
{
	struct img im = valid3();
	struct sparse_src src;
	struct sparse_map m;
	struct mem ms;
	char err[256];

	(void)state;
	im.n -= 100;
	mem_src(&src, &ms, im.b, im.n, 1);
	assert_int_equal(sparse_map_read(&src, im.n, SPARSE_BLK_SZ, &m, err,
	    sizeof(err)), DM_EINVAL);
	want_msg(err, "chunk 2 (byte 1592): RAW data runs to byte 2116, "
	    "past the end of the image (2016 bytes)");
	mem_src(&src, &ms, im.b, im.n, 0);
	assert_int_equal(sparse_map_read(&src, 0, SPARSE_BLK_SZ, &m, err,
	    sizeof(err)), DM_EINVAL);
	want_msg(err, "the image ended at byte 2016, 100 bytes early "
	    "(in chunk 2's data)");
	free(im.b);
}

/* Not sparse: raw unless the caller wants sparse only. */
static void
test_bad_magic(void **state)
{
	struct img im = valid3();
	struct sparse_src src;
	struct sparse_map m;
	struct mem ms;
	char err[256];

	(void)state;
	im.b[0] ^= 1;
	mem_src(&src, &ms, im.b, im.n, 1);
	assert_int_equal(sparse_map_read(&src, im.n, 0, &m, err,
	    sizeof(err)), DM_EINVAL);
	want_msg(err, "bad sparse magic 0xed26ff3b");
	mem_src(&src, &ms, im.b, 2, 1);
	assert_int_equal(sparse_map_read(&src, 2, 0, &m, err, sizeof(err)),
	    DM_EINVAL);
	want_msg(err, "bad sparse magic: the image is only 2 bytes");
	mem_src(&src, &ms, im.b, im.n, 1);
	assert_int_equal(sparse_map_read(&src, im.n, SPARSE_BLK_SZ, &m, err,
	    sizeof(err)), 0);
	assert_false(m.sparse);
	assert_int_equal(m.in_size, im.n);
	sparse_map_free(&m);
	mem_src(&src, &ms, im.b, im.n, 1);
	assert_int_equal(sparse_map_read(&src, im.n, 4098, &m, err,
	    sizeof(err)), DM_EINVAL);
	want_msg(err, "raw block size 4098");
	free(im.b);
}

/* ---- plan, write, expand ---- */

struct pieces {
	struct sparse_piece *p;
	size_t n;
	struct img *out;	/* each piece's bytes */
};

/* Plan and write every piece, checking sizes and limits. */
static void
split(const struct img *im, const struct sparse_map *m, uint64_t limit,
    int skip, struct pieces *ps)
{
	struct sparse_writer *w;
	struct sparse_src src;
	struct mem ms;
	char err[256] = "";
	int rc;

	rc = sparse_plan(m, limit, &ps->p, &ps->n, err, sizeof(err));
	if (rc != 0)
		fail_msg("plan %llu: %s", (unsigned long long)limit, err);
	assert_true(ps->n > 0);
	ps->out = calloc(ps->n, sizeof(*ps->out));
	assert_non_null(ps->out);
	mem_src(&src, &ms, im->b, im->n, skip);
	ms.maxread = 3000;
	w = sparse_writer_new(m, &src);
	for (size_t i = 0; i < ps->n; i++) {
		rc = sparse_write_piece(w, &ps->p[i], sink_img, &ps->out[i],
		    err, sizeof(err));
		if (rc != 0)
			fail_msg("piece %zu: %s", i, err);
		assert_int_equal(ps->out[i].n, ps->p[i].size);
		if (!ps->p[i].verbatim && limit > 0)
			assert_true(ps->p[i].size <= limit);
	}
	sparse_writer_free(w);
}

static void
pieces_free(struct pieces *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->out[i].b);
	free(ps->out);
	free(ps->p);
}

/* Every piece is a valid sparse image of the whole size, and its data
 * blocks follow the last piece's. */
static void
check_pieces(const struct sparse_map *orig, const struct pieces *ps)
{
	uint32_t next = 0;

	for (size_t i = 0; i < ps->n; i++) {
		const struct sparse_piece *p = &ps->p[i];
		struct sparse_map pm;

		if (p->verbatim)
			continue;
		map_ok(&ps->out[i], i % 2, 0, &pm);
		assert_true(pm.sparse);
		assert_int_equal(pm.blk_sz, orig->blk_sz);
		assert_int_equal(pm.total_blks, orig->total_blks);
		assert_true(p->blk_first >= next);
		assert_true(p->blk_end >= p->blk_first);
		next = p->blk_end;
		/* Data only inside [blk_first, blk_end). */
		for (size_t j = 0; j < pm.n; j++) {
			const struct sparse_chunk *c = &pm.chunks[j];

			assert_int_not_equal(c->type, SPARSE_CRC32);
			if (c->type == SPARSE_DONT_CARE)
				continue;
			assert_true(c->blk >= p->blk_first);
			assert_true(c->blk + c->nblk <= p->blk_end);
		}
		sparse_map_free(&pm);
	}
}

/* Expanding the pieces one over the other gives what the original
 * gives, on a file holding junk where DONT_CARE leaves it. */
static void
check_expand(const struct img *im, uint64_t size, const struct pieces *ps)
{
	int a = tmp_fd((size_t)size), b = tmp_fd((size_t)size);
	uint8_t *ga, *gb;
	size_t la, lb;

	expand_into(a, im->b, im->n);
	for (size_t i = 0; i < ps->n; i++)
		expand_into(b, ps->out[i].b, ps->out[i].n);
	ga = fd_bytes(a, &la);
	gb = fd_bytes(b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(ga, gb, la);
	free(ga);
	free(gb);
	close(a);
	close(b);
}

static struct img
mixed_image(void)
{
	static const struct spec s[] = {
		{ SPARSE_RAW, 5 }, { SPARSE_FILL, 40 }, { SPARSE_RAW, 1 },
		{ SPARSE_DONT_CARE, 30 }, { SPARSE_RAW, 70 },
		{ SPARSE_CRC32, 0 }, { SPARSE_FILL, 1 }, { SPARSE_FILL, 2 },
		{ SPARSE_DONT_CARE, 3 }, { SPARSE_CRC32, 0 },
		{ SPARSE_DONT_CARE, 3 }, { SPARSE_RAW, 2 },
		{ SPARSE_DONT_CARE, 1 }, { SPARSE_RAW, 33 },
		{ SPARSE_DONT_CARE, 9 }, { 0, 0 }
	};

	return build(4096, 28, 12, s);
}

static void
test_split_sparse(void **state)
{
	static const uint64_t limits[] = {
		28 + 36 + 4096, 5000, 9000, 20000, 65536, 100000, 300000,
		600000, 0
	};
	struct img im = mixed_image();
	struct sparse_map m;
	struct pieces ps;

	(void)state;
	map_ok(&im, 1, 0, &m);
	for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
		uint64_t lim = limits[l];

		for (int skip = 0; skip < 2; skip++) {
			split(&im, &m, lim, skip, &ps);
			check_pieces(&m, &ps);
			check_expand(&im, (uint64_t)m.total_blks * 4096, &ps);
			if (lim == 0 || lim >= im.n) {
				/* It fits: sent as it is. */
				assert_int_equal(ps.n, 1);
				assert_true(ps.p[0].verbatim);
				assert_memory_equal(ps.out[0].b, im.b, im.n);
			} else {
				assert_true(ps.n > 1);
				/* Full to within a block and a few headers. */
				for (size_t i = 0; i + 1 < ps.n; i++)
					assert_true(ps.p[i].size + 4096 + 100 >
					    lim);
			}
			pieces_free(&ps);
		}
	}
	sparse_map_free(&m);
	free(im.b);
}

/* Trailing bytes are tolerated and never sent; only DONT_CARE gives one
 * small piece. */
static void
test_split_trailing_and_dont_care(void **state)
{
	static const struct spec dc[] = { { SPARSE_DONT_CARE, 10 }, { 0, 0 } };
	struct img im = mixed_image(), d = build(4096, 28, 12, dc);
	struct sparse_map m;
	struct pieces ps;
	size_t n0 = im.n;

	(void)state;
	put_random(&im, 100);
	for (int skip = 0; skip < 2; skip++) {
		map_ok(&im, skip, 0, &m);
		assert_int_equal(m.trailing, 100);
		assert_int_equal(m.in_size, im.n);
		split(&im, &m, 0, skip, &ps);
		assert_int_equal(ps.n, 1);
		assert_false(ps.p[0].verbatim);
		assert_true(ps.p[0].size < n0);
		check_pieces(&m, &ps);
		check_expand(&im, (uint64_t)m.total_blks * 4096, &ps);
		pieces_free(&ps);
		sparse_map_free(&m);
	}

	map_ok(&d, 1, 0, &m);
	split(&d, &m, 28 + 36 + 4096, 1, &ps);
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.p[0].size, 28 + 12);
	check_expand(&d, 10 * 4096, &ps);
	pieces_free(&ps);
	sparse_map_free(&m);
	free(im.b);
	free(d.b);
}

/* Raw input not a whole number of blocks: the last block is padded. */
static void
test_split_raw(void **state)
{
	static const uint64_t limits[] = { 28 + 36 + 4096, 20000, 70000 };
	struct img im = { 0 };
	struct sparse_src src;
	struct sparse_map m;
	struct pieces ps;
	struct mem ms;
	char err[256];
	uint8_t *got;
	size_t len;
	int fd;

	(void)state;
	put_random(&im, 37 * 4096 + 1234);
	for (int skip = 0; skip < 2; skip++) {
		mem_src(&src, &ms, im.b, im.n, skip);
		assert_int_equal(sparse_map_read(&src, skip ? im.n : 0,
		    SPARSE_BLK_SZ, &m, err, sizeof(err)), 0);
		assert_false(m.sparse);
		assert_int_equal(m.total_blks, 38);
		assert_int_equal(m.raw_tail, 1234);
		assert_int_equal(m.in_size, im.n);
		assert_int_equal(m.n, 1);
		for (size_t l = 0; l < 3; l++) {
			split(&im, &m, limits[l], !skip, &ps);
			assert_true(ps.n > 1);
			check_pieces(&m, &ps);
			fd = tmp_fd(0);
			for (size_t i = 0; i < ps.n; i++)
				expand_into(fd, ps.out[i].b, ps.out[i].n);
			got = fd_bytes(fd, &len);
			assert_int_equal(len, 38 * 4096);
			assert_memory_equal(got, im.b, im.n);
			for (size_t i = im.n; i < len; i++)
				assert_int_equal(got[i], 0);
			free(got);
			close(fd);
			pieces_free(&ps);
		}
		/* It fits: the raw bytes go as they are. */
		split(&im, &m, im.n, skip, &ps);
		assert_int_equal(ps.n, 1);
		assert_true(ps.p[0].verbatim);
		assert_int_equal(ps.p[0].size, im.n);
		assert_memory_equal(ps.out[0].b, im.b, im.n);
		pieces_free(&ps);
		sparse_map_free(&m);
	}
	/* Expanding raw input writes it and cuts the file to its length. */
	fd = tmp_fd(im.n + 9000);
	expand_into(fd, im.b, im.n);
	got = fd_bytes(fd, &len);
	assert_int_equal(len, im.n);
	assert_memory_equal(got, im.b, im.n);
	free(got);
	close(fd);
	/* Other block sizes, and an empty input. */
	mem_src(&src, &ms, im.b, im.n, 0);
	assert_int_equal(sparse_map_read(&src, 0, 512, &m, err, sizeof(err)),
	    0);
	assert_int_equal(m.total_blks, (im.n + 511) / 512);
	assert_int_equal(m.raw_tail, im.n % 512);
	sparse_map_free(&m);
	mem_src(&src, &ms, im.b, 0, 0);
	assert_int_equal(sparse_map_read(&src, 0, 4096, &m, err, sizeof(err)),
	    0);
	assert_int_equal(m.total_blks, 0);
	assert_int_equal(m.n, 0);
	sparse_map_free(&m);
	free(im.b);
}

static void
test_plan_limits(void **state)
{
	struct img im = mixed_image();
	struct sparse_piece *p;
	struct sparse_map m;
	size_t n;
	char err[256];

	(void)state;
	map_ok(&im, 1, 0, &m);
	assert_int_equal(sparse_plan(&m, 28 + 36 + 4095, &p, &n, err,
	    sizeof(err)), DM_EINVAL);
	want_msg(err, "cannot hold one 4096-byte block");
	assert_null(p);
	assert_int_equal(n, 0);
	/* A large limit still cuts at 1 GiB; here it fits, so verbatim. */
	assert_int_equal(sparse_plan(&m, 1ull << 40, &p, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_true(p[0].verbatim);
	free(p);
	sparse_map_free(&m);
	free(im.b);
}

/* The edge of the limit, to the byte: a piece of RAW, DONT_CARE, RAW and
 * the trailing DONT_CARE is 8268 bytes; the plan keeps 12 more for a
 * leading DONT_CARE it may need. */
static void
test_plan_exact_fit(void **state)
{
	static const struct spec s[] = {
		{ SPARSE_RAW, 1 }, { SPARSE_DONT_CARE, 1 }, { SPARSE_RAW, 1 },
		{ SPARSE_DONT_CARE, 1 }, { 0, 0 }
	};
	struct img im = build(4096, 28, 12, s);
	struct sparse_map m;
	struct pieces ps;

	(void)state;
	put_random(&im, 1);		/* trailing: never verbatim */
	map_ok(&im, 1, 0, &m);
	split(&im, &m, 8280, 1, &ps);
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.p[0].size, 8268);
	assert_int_equal(ps.p[0].nchunks, 4);
	check_expand(&im, 4 * 4096, &ps);
	pieces_free(&ps);
	split(&im, &m, 8279, 0, &ps);
	assert_int_equal(ps.n, 2);
	assert_int_equal(ps.p[0].size, 28 + 4108 + 12);
	assert_int_equal(ps.p[1].size, 28 + 12 + 4108 + 12);
	assert_int_equal(ps.p[1].blk_first, 2);
	check_pieces(&m, &ps);
	check_expand(&im, 4 * 4096, &ps);
	pieces_free(&ps);
	sparse_map_free(&m);
	free(im.b);
}

/* Huge but well-formed: pieces are capped at 1 GiB, sizes announced
 * before anything is read. */
static void
test_plan_huge(void **state)
{
	struct img im = { 0 };
	struct sparse_piece *p;
	struct sparse_map m;
	size_t n;
	char err[256];
	uint64_t data = 0;

	(void)state;
	/* 7 GiB of RAW blocks, described but never read here. */
	m = (struct sparse_map){ .sparse = 1, .blk_sz = 4096,
	    .total_blks = 7u << 18, .in_size = 28 + 12 + (7ull << 30) };
	m.chunks = calloc(1, sizeof(*m.chunks));
	assert_non_null(m.chunks);
	m.chunks[0] = (struct sparse_chunk){ .in_off = 40, .blk = 0,
	    .nblk = 7u << 18, .type = SPARSE_RAW };
	m.n = 1;
	assert_int_equal(sparse_plan(&m, 0, &p, &n, err, sizeof(err)), 0);
	/* (1 GiB - 64) / 4096 = 262143 blocks a piece: 7 full ones and 7
	 * blocks left. */
	assert_int_equal(n, 8);
	for (size_t i = 0; i < n; i++) {
		assert_false(p[i].verbatim);
		assert_true(p[i].size <= SPARSE_PIECE_MAX);
		if (i + 1 < n)
			assert_true(p[i].size > SPARSE_PIECE_MAX - 4096);
		data += p[i].size;
	}
	assert_int_equal(p[7].blk_end - p[7].blk_first, 7);
	assert_true(data > (7ull << 30));
	free(p);
	sparse_map_free(&m);
	free(im.b);
}

/* ---- failures in the data pass ---- */

/* Write pieces in order until one fails; the failure must come. */
static void
short_second_pass(const struct img *im, const struct sparse_map *m,
    size_t cut, uint64_t limit)
{
	struct img sink = { 0 };
	struct sparse_writer *w;
	struct sparse_piece *p;
	struct sparse_src src;
	struct mem ms;
	size_t n, i;
	char err[256], want[96];
	int rc = 0;

	assert_int_equal(sparse_plan(m, limit, &p, &n, err, sizeof(err)), 0);
	mem_src(&src, &ms, im->b, im->n - cut, 1);
	w = sparse_writer_new(m, &src);
	for (i = 0; i < n && rc == 0; i++) {
		sink.n = 0;
		rc = sparse_write_piece(w, &p[i], sink_img, &sink, err,
		    sizeof(err));
	}
	assert_int_equal(rc, DM_EINVAL);
	snprintf(want, sizeof(want), "the image ended at byte %zu, %zu "
	    "bytes early", im->n - cut, cut);
	want_msg(err, want);
	assert_true(sink.n < p[i - 1].size);
	/* Spent: no second try on the same input. */
	assert_int_equal(sparse_write_piece(w, &p[i - 1], sink_img, &sink,
	    err, sizeof(err)), DM_EINVAL);
	want_msg(err, "failed before");
	sparse_writer_free(w);
	free(sink.b);
	free(p);
}

static void
test_writer_short_input(void **state)
{
	struct img im = mixed_image(), raw = { 0 };
	struct sparse_src src;
	struct sparse_map m;
	struct mem ms;
	char err[256];

	(void)state;
	map_ok(&im, 1, 0, &m);
	short_second_pass(&im, &m, 5000, 100000);
	short_second_pass(&im, &m, 5000, 0);
	sparse_map_free(&m);

	/* A raw input that shrank between the passes. */
	put_random(&raw, 50000);
	mem_src(&src, &ms, raw.b, raw.n, 1);
	assert_int_equal(sparse_map_read(&src, raw.n, SPARSE_BLK_SZ, &m, err,
	    sizeof(err)), 0);
	short_second_pass(&raw, &m, 1000, 9000);
	short_second_pass(&raw, &m, 1000, 0);
	sparse_map_free(&m);
	free(raw.b);
	free(im.b);
}

static void
test_writer_order_and_sink(void **state)
{
	struct img im = mixed_image(), sink = { 0 };
	struct sparse_writer *w;
	struct sparse_piece *p, bogus;
	struct sparse_src src;
	struct sparse_map m;
	struct mem ms;
	size_t n, sent = 0;
	char err[256];

	(void)state;
	map_ok(&im, 1, 0, &m);
	assert_int_equal(sparse_plan(&m, 50000, &p, &n, err, sizeof(err)), 0);
	assert_true(n >= 3);
	mem_src(&src, &ms, im.b, im.n, 0);
	w = sparse_writer_new(&m, &src);
	/* Forward only: skipping a piece is fine, going back is not. */
	assert_int_equal(sparse_write_piece(w, &p[1], sink_img, &sink, err,
	    sizeof(err)), 0);
	assert_int_equal(sink.n, p[1].size);
	assert_int_equal(sparse_write_piece(w, &p[0], sink_img, &sink, err,
	    sizeof(err)), DM_EINVAL);
	want_msg(err, "plan order");
	sparse_writer_free(w);

	/* The sink says stop: its error comes back. */
	mem_src(&src, &ms, im.b, im.n, 1);
	w = sparse_writer_new(&m, &src);
	assert_int_equal(sparse_write_piece(w, &p[0], sink_fail, &sent, err,
	    sizeof(err)), DM_ECONN);
	assert_true(sent > 0);
	want_msg(err, "sending the piece at byte 0");
	sparse_writer_free(w);

	/* A piece from some other plan is refused before a byte goes. */
	mem_src(&src, &ms, im.b, im.n, 1);
	w = sparse_writer_new(&m, &src);
	bogus = p[0];
	bogus.size++;
	sink.n = 0;
	assert_int_equal(sparse_write_piece(w, &bogus, sink_img, &sink, err,
	    sizeof(err)), DM_EINVAL);
	assert_int_equal(sink.n, 0);
	bogus = p[0];
	bogus.c1 = m.n + 1;
	assert_int_equal(sparse_write_piece(w, &bogus, sink_img, &sink, err,
	    sizeof(err)), DM_EINVAL);
	assert_int_equal(sink.n, 0);
	sparse_writer_free(w);
	free(sink.b);
	free(p);
	sparse_map_free(&m);
	free(im.b);
}

/* ---- the memory source and the writer's raw variant ---- */

/* The expander over sparse_src_mem (RAW data written from memory in
 * place) gives what it gives over any other source; a short image is
 * refused with the same words. */
static void
test_expand_from_memory(void **state)
{
	struct img im = mixed_image();
	struct sparse_src src;
	struct sparse_mem mem;
	uint64_t size;
	uint8_t *ga, *gb;
	size_t la, lb;
	char err[256] = "";
	int a, b;

	(void)state;
	size = (uint64_t)(5 + 40 + 1 + 30 + 70 + 1 + 2 + 3 + 3 + 2 + 1 + 33 +
	    9) * 4096;
	a = tmp_fd((size_t)size);
	b = tmp_fd((size_t)size);
	expand_into(a, im.b, im.n);
	sparse_src_mem(&src, &mem, im.b, im.n);
	if (sparse_expand_to_fd(&src, b, err, sizeof(err)) != 0)
		fail_msg("expand from memory: %s", err);
	assert_int_equal(mem.pos, im.n);
	ga = fd_bytes(a, &la);
	gb = fd_bytes(b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(ga, gb, la);
	free(ga);
	free(gb);
	/* Cut inside the last RAW chunk's data. */
	sparse_src_mem(&src, &mem, im.b, im.n - 5000);
	assert_int_equal(sparse_expand_to_fd(&src, b, err, sizeof(err)),
	    DM_EINVAL);
	want_msg(err, "the image ended at byte");
	/* Raw input, from memory too. */
	sparse_src_mem(&src, &mem, im.b + 28, 300001);
	assert_int_equal(sparse_expand_to_fd(&src, b, err, sizeof(err)), 0);
	gb = fd_bytes(b, &lb);
	assert_int_equal(lb, 300001);
	assert_memory_equal(gb, im.b + 28, lb);
	free(gb);
	close(a);
	close(b);
	free(im.b);
}

/* The raw variant: out and raw(off, len) together give exactly the bytes
 * sparse_write_piece gives, in order, and the input is skipped, not read,
 * where raw takes it. */
struct raw_sink {
	struct img out;
	const uint8_t *in;
	size_t raws, raw_bytes;
};

static int
raw_out(void *ud, const void *buf, size_t len)
{
	struct raw_sink *r = ud;

	put(&r->out, buf, len);
	return 0;
}

static int
raw_range(void *ud, uint64_t off, uint64_t len)
{
	struct raw_sink *r = ud;

	put(&r->out, r->in + off, (size_t)len);
	r->raws++;
	r->raw_bytes += (size_t)len;
	return 0;
}

static int
raw_fail(void *ud, uint64_t off, uint64_t len)
{
	(void)ud;
	(void)off;
	(void)len;
	return DM_ECONN;
}

static void
test_writer_raw(void **state)
{
	static const uint64_t limits[] = { 5000, 20000, 300000, 0 };
	struct img im = mixed_image(), raw = { 0 };
	struct sparse_map m;
	struct sparse_writer *w;
	struct sparse_src src;
	struct mem ms;
	struct pieces ps;
	char err[256] = "";

	(void)state;
	put_random(&raw, 300001);	/* not a whole number of blocks */
	for (int k = 0; k < 2; k++) {
		const struct img *in = k == 0 ? &im : &raw;

		mem_src(&src, &ms, in->b, in->n, 1);
		assert_int_equal(sparse_map_read(&src, in->n, SPARSE_BLK_SZ,
		    &m, err, sizeof(err)), 0);
		for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]);
		    l++) {
			split(in, &m, limits[l], 1, &ps);
			mem_src(&src, &ms, in->b, in->n, 1);
			w = sparse_writer_new(&m, &src);
			for (size_t i = 0; i < ps.n; i++) {
				struct raw_sink r = { .in = in->b };

				if (sparse_write_piece_raw(w, &ps.p[i], raw_out,
				    raw_range, &r, err, sizeof(err)) != 0)
					fail_msg("raw piece %zu: %s", i, err);
				assert_int_equal(r.out.n, ps.out[i].n);
				assert_memory_equal(r.out.b, ps.out[i].b,
				    r.out.n);
				assert_true(r.raws > 0);
				free(r.out.b);
			}
			/* RAW data was skipped over, not read. */
			assert_true(ms.skips > 0);
			sparse_writer_free(w);
			pieces_free(&ps);
		}
		sparse_map_free(&m);
	}
	/* A failing raw callback fails the piece, and the writer is spent. */
	map_ok(&im, 1, 0, &m);
	split(&im, &m, 20000, 1, &ps);
	mem_src(&src, &ms, im.b, im.n, 1);
	w = sparse_writer_new(&m, &src);
	{
		struct raw_sink r = { .in = im.b };

		assert_int_equal(sparse_write_piece_raw(w, &ps.p[0], raw_out,
		    raw_fail, &r, err, sizeof(err)), DM_ECONN);
		want_msg(err, "sending the piece at byte");
		assert_int_equal(sparse_write_piece(w, &ps.p[0], sink_img,
		    &r.out, err, sizeof(err)), DM_EINVAL);
		free(r.out.b);
	}
	sparse_writer_free(w);
	pieces_free(&ps);
	sparse_map_free(&m);
	free(raw.b);
	free(im.b);
}

/* The layout pass uses skip when it can, and reads when it cannot. */
static void
test_skip_used(void **state)
{
	struct img im = mixed_image();
	struct sparse_src src;
	struct sparse_map m;
	struct mem ms;
	char err[256];

	(void)state;
	mem_src(&src, &ms, im.b, im.n, 1);
	assert_int_equal(sparse_map_read(&src, im.n, SPARSE_BLK_SZ, &m, err,
	    sizeof(err)), 0);
	assert_true(ms.skips >= 5);
	assert_true(ms.reads < 60);
	sparse_map_free(&m);
	/* Size unknown: read everything, skip nothing. */
	mem_src(&src, &ms, im.b, im.n, 1);
	assert_int_equal(sparse_map_read(&src, 0, SPARSE_BLK_SZ, &m, err,
	    sizeof(err)), 0);
	assert_int_equal(ms.skips, 0);
	assert_int_equal(ms.pos, im.n);
	sparse_map_free(&m);
	free(im.b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_every_type),
		cmocka_unit_test(test_map_wide_headers),
		cmocka_unit_test(test_map_merge_and_empty),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_refused_truncated_data),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_split_sparse),
		cmocka_unit_test(test_split_trailing_and_dont_care),
		cmocka_unit_test(test_split_raw),
		cmocka_unit_test(test_plan_limits),
		cmocka_unit_test(test_plan_exact_fit),
		cmocka_unit_test(test_plan_huge),
		cmocka_unit_test(test_writer_short_input),
		cmocka_unit_test(test_writer_order_and_sink),
		cmocka_unit_test(test_skip_used),
		cmocka_unit_test(test_expand_from_memory),
		cmocka_unit_test(test_writer_raw),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
