/* fuzz_sparse.c - libFuzzer target: any bytes as an image for fastboot.
 * The layout pass runs three ways (skip with the size known, a stream of
 * short reads, sparse only) and must agree; a good map is planned with a
 * small limit and every piece written, which must then succeed with the
 * exact sizes planned; and when the expanded image is small enough, the
 * pieces expanded one over the other must equal the original expanded,
 * and the expander must refuse exactly what the layout pass refuses. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bytes.h"
#include "err.h"
#include "sparse.h"

#define EXPAND_MAX	(64u << 20)	/* expanded bytes worth checking */
#define PIECES_MAX	512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *p;
	size_t n, pos, maxread;
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
	return (ssize_t)n;
}

static int
mem_skip(void *ud, uint64_t len)
{
	struct mem *m = ud;

	if (len > m->n - m->pos)
		abort();	/* the library promised never to */
	m->pos += (size_t)len;
	return 0;
}

static void
mem_src(struct sparse_src *src, struct mem *m, const uint8_t *p, size_t n,
    int skip, size_t maxread)
{
	m->p = p;
	m->n = n;
	m->pos = 0;
	m->maxread = maxread;
	src->read = mem_read;
	src->skip = skip ? mem_skip : NULL;
	src->ud = m;
}

static int
same_map(const struct sparse_map *a, const struct sparse_map *b)
{
	if (a->sparse != b->sparse || a->blk_sz != b->blk_sz ||
	    a->total_blks != b->total_blks || a->in_size != b->in_size ||
	    a->trailing != b->trailing || a->raw_tail != b->raw_tail ||
	    a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct sparse_chunk *x = &a->chunks[i], *y = &b->chunks[i];

		if (x->type != y->type || x->blk != y->blk ||
		    x->nblk != y->nblk || x->in_off != y->in_off ||
		    x->fill != y->fill)
			return 0;
	}
	return 1;
}

/* The whole piece in memory, its size counted. */
struct sink {
	uint8_t *b;
	size_t n, cap;
};

static int
sink_put(void *ud, const void *buf, size_t len)
{
	struct sink *s = ud;

	if (s->n + len > s->cap)
		abort();	/* more than planned */
	memcpy(s->b + s->n, buf, len);
	s->n += len;
	return 0;
}

static int
expand(int fd, const uint8_t *p, size_t n)
{
	struct sparse_src src;
	struct mem m;
	char err[256];

	mem_src(&src, &m, p, n, 0, 0);
	return sparse_expand_to_fd(&src, fd, err, sizeof(err));
}

static uint8_t *
contents(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	uint8_t *b;

	if (end < 0)
		abort();
	*len = (size_t)end;
	b = malloc(*len + 1);
	if (b == NULL || pread(fd, b, *len, 0) != (ssize_t)*len)
		abort();
	return b;
}

/* Plan, write every piece and (when small) expand them in turn. */
static void
split(const uint8_t *data, size_t size, const struct sparse_map *m,
    int small)
{
	struct sparse_piece *p;
	struct sparse_writer *w;
	struct sparse_src src;
	struct mem ms;
	struct sink s = { 0 };
	uint64_t limit = 64 + (uint64_t)m->blk_sz + (size * 7) % 300;
	size_t n;
	int fa = -1, fb = -1, rc;
	char err[256];

	if (m->blk_sz > (1u << 20))
		return;
	rc = sparse_plan(m, limit, &p, &n, err, sizeof(err));
	if (rc < 0)
		abort();	/* the limit always holds a block */
	if (small && n <= PIECES_MAX) {
		fa = memfd_create("sparse_a", 0);
		fb = memfd_create("sparse_b", 0);
		if (fa < 0 || fb < 0 || expand(fa, data, size) != 0)
			abort();
	}
	mem_src(&src, &ms, data, size, size % 2, 1 + size % 777);
	w = sparse_writer_new(m, &src);
	for (size_t i = 0; i < n; i++) {
		s.cap = (size_t)p[i].size;
		s.n = 0;
		s.b = realloc(s.b, s.cap + 1);
		if (s.b == NULL)
			abort();
		rc = sparse_write_piece(w, &p[i], sink_put, &s, err,
		    sizeof(err));
		if (rc != 0 || s.n != p[i].size ||
		    (!p[i].verbatim && p[i].size > limit))
			abort();
		if (fb >= 0 && expand(fb, s.b, s.n) != 0)
			abort();
	}
	if (fb >= 0) {
		size_t la, lb;
		uint8_t *a = contents(fa, &la), *b = contents(fb, &lb);

		if (la != lb || memcmp(a, b, la) != 0)
			abort();
		free(a);
		free(b);
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	sparse_writer_free(w);
	free(s.b);
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sparse_map a, b, c;
	struct sparse_src src;
	struct mem ms;
	char err[256];
	int ra, rb, rc, small;

	if (size > (1u << 20))
		return 0;
	mem_src(&src, &ms, data, size, 1, 0);
	ra = sparse_map_read(&src, size, SPARSE_BLK_SZ, &a, err, sizeof(err));
	mem_src(&src, &ms, data, size, 0, 1 + size % 61);
	rb = sparse_map_read(&src, 0, SPARSE_BLK_SZ, &b, err, sizeof(err));
	mem_src(&src, &ms, data, size, 1, 0);
	rc = sparse_map_read(&src, size, 0, &c, err, sizeof(err));
	if (ra != rb || (ra == 0 && !same_map(&a, &b)))
		abort();
	if (rc == 0 && (ra != 0 || !a.sparse || !same_map(&a, &c)))
		abort();
	if (ra == 0 && a.sparse && rc != 0)
		abort();

	/* Expand only what stays small, judged from the header itself. */
	small = !sparse_is_sparse(data, size) || (size >= 28 &&
	    (uint64_t)le32_get(data + 12) * le32_get(data + 16) <=
	    EXPAND_MAX);
	if (small) {
		int fd = memfd_create("sparse", 0), re;

		if (fd < 0)
			abort();
		re = expand(fd, data, size);
		if ((re == 0) != (ra == 0))
			abort();
		close(fd);
	}
	if (ra == 0)
		split(data, size, &a, small);
	sparse_map_free(&a);
	sparse_map_free(&b);
	sparse_map_free(&c);
	return 0;
}
