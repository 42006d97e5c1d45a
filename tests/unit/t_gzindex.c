/* t_gzindex.c - the gzip index: a file of three concatenated gzip members
 * (levels 1, 6 and 9; 6 MiB of half-random, half-repeated data) built
 * with access points every 64 KiB, then read back from 300 random
 * ranges, by skips long and short, by rewinds, and as an image to flash,
 * every byte compared with the data; a damaged member, a cut-short file
 * and padding after the last member. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "err.h"
#include "fastboot.h"
#include "gzindex.h"

#define DATA_SZ	(6u << 20)

static uint8_t *data;
static char path[64];

static uint32_t
rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* Append data[from, to) as one gzip member at level to f. */
static void
member(FILE *f, size_t from, size_t to, int level)
{
	z_stream zs;
	uint8_t out[1 << 16];
	int zrc;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = data + from;
	zs.avail_in = (uInt)(to - from);
	do {
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		zrc = deflate(&zs, Z_FINISH);
		assert_true(zrc == Z_OK || zrc == Z_STREAM_END);
		assert_int_equal(fwrite(out, 1, sizeof(out) - zs.avail_out, f),
		    sizeof(out) - zs.avail_out);
	} while (zrc != Z_STREAM_END);
	deflateEnd(&zs);
}

static int
setup(void **state)
{
	uint64_t s = 42;
	FILE *f;
	int fd;

	(void)state;
	data = malloc(DATA_SZ);
	for (size_t i = 0; i < DATA_SZ; i += 4096) {
		/* half random, half a repeated phrase */
		for (size_t k = 0; k < 2048; k++)
			data[i + k] = (uint8_t)rnd(&s);
		for (size_t k = 2048; k < 4096; k++)
			data[i + k] = (uint8_t)"the quick brown fox "[k % 20];
	}
	snprintf(path, sizeof(path), "/tmp/t_gzindex.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	member(f, 0, 2u << 20, 1);
	member(f, 2u << 20, 5u << 20, 6);
	member(f, 5u << 20, DATA_SZ, 9);
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	free(data);
	return 0;
}

struct count {
	uint64_t n;
};

static void
count_feed(void *ud, const void *p, size_t n)
{
	(void)p;
	((struct count *)ud)->n += n;
}

/* Build the index of file p with a 64 KiB span; the output must be the
 * data. */
static struct gzidx *
build(const char *p, uint64_t *fed, int *rcp, char *err, size_t errlen)
{
	struct gzbuild *b;
	struct gzidx *x = NULL;
	struct count c = { 0 };
	const void *out;
	uint64_t at = 0;
	ssize_t n;
	int fd = open(p, O_RDONLY), rc;

	assert_true(fd >= 0);
	assert_int_equal(gzbuild_new(fd, count_feed, &c, &b, err, errlen), 0);
	gzbuild_set_span(b, 64 << 10);
	while ((n = gzbuild_read(b, &out, err, errlen)) > 0) {
		if (at + (uint64_t)n > DATA_SZ ||
		    memcmp(out, data + at, (size_t)n) != 0) {
			*rcp = -100;
			gzbuild_free(b);
			close(fd);
			return NULL;
		}
		at += (uint64_t)n;
	}
	if (n < 0) {
		*rcp = (int)n;
		gzbuild_free(b);
		close(fd);
		return NULL;
	}
	assert_int_equal(gzbuild_out(b), at);
	rc = gzbuild_finish(b, &x, err, errlen);
	close(fd);
	*rcp = rc;
	if (fed != NULL)
		*fed = c.n;
	return rc == 0 ? x : NULL;
}

static void
test_build_and_ranges(void **state)
{
	char err[256] = "";
	uint64_t fed = 0, s = 7;
	struct gzidx *x;
	struct stat st;
	uint8_t *buf = malloc(1 << 20);
	int rc;

	(void)state;
	x = build(path, &fed, &rc, err, sizeof(err));
	if (x == NULL)
		fail_msg("build: %d %s", rc, err);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(fed, (uint64_t)st.st_size);	/* every byte hashed */
	assert_int_equal(gzidx_size(x), DATA_SZ);
	/* 6 MiB at 64 KiB: about 96 points, and one per member start. */
	assert_true(gzidx_points(x) >= 60);
	for (int i = 0; i < 300; i++) {
		uint64_t off = rnd(&s) % DATA_SZ;
		uint64_t len = 1 + rnd(&s) % (1 << 20);
		struct gzread *r;
		uint64_t got = 0;

		if (off + len > DATA_SZ)
			len = DATA_SZ - off;
		assert_int_equal(gzread_open(path, x, off, len, &r, err,
		    sizeof(err)), 0);
		while (got < len) {
			ssize_t n = gzread_read(r, buf, 1 + rnd(&s) % 200000);

			if (n <= 0)
				fail_msg("range %d: read %zd (%s)", i, n,
				    gzread_why(r));
			if (memcmp(buf, data + off + got, (size_t)n) != 0)
				fail_msg("range %d: bytes differ at %llu", i,
				    (unsigned long long)(off + got));
			got += (uint64_t)n;
		}
		assert_int_equal(gzread_read(r, buf, 10), 0);
		/* back to the start, then skip, short and long */
		assert_int_equal(gzread_rewind(r, err, sizeof(err)), 0);
		if (len > 10) {
			uint64_t k = rnd(&s) % (len - 1);

			assert_int_equal(gzread_skip(r, k), 0);
			assert_int_equal(gzread_read(r, buf, 1), 1);
			assert_int_equal(buf[0], data[off + k]);
		}
		assert_true(gzread_skip(r, len + 1) < 0);	/* past the end */
		gzread_close(r);
	}
	assert_true(gzread_open(path, x, DATA_SZ - 4, 8, NULL, err,
	    sizeof(err)) < 0);
	gzidx_free(x);
	free(buf);
}

static void
test_as_image(void **state)
{
	char err[256] = "";
	struct fb_image img;
	struct gzidx *x;
	uint8_t *buf = malloc(DATA_SZ);
	uint64_t off = (2u << 20) - 12345, len = (3u << 20) + 777, got = 0;
	int rc;

	(void)state;
	x = build(path, NULL, &rc, err, sizeof(err));
	assert_non_null(x);
	assert_int_equal(fb_image_open_gz(&img, path, x, off, len, "pkg:m",
	    err, sizeof(err)), 0);
	assert_int_equal(img.size, len);
	for (int pass = 0; pass < 2; pass++) {
		ssize_t n;

		got = 0;
		while ((n = img.src.read(img.src.ud, buf + got, 65536)) > 0)
			got += (uint64_t)n;
		assert_int_equal(n, 0);
		assert_int_equal(got, len);
		assert_memory_equal(buf, data + off, len);
		assert_int_equal(img.rewind(img.src.ud, err, sizeof(err)), 0);
	}
	fb_image_close(&img);
	gzidx_free(x);
	free(buf);
}

/* A copy of the file changed by edit. */
static void
copy_edit(const char *to, void (*edit)(uint8_t *, size_t *))
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = malloc(DATA_SZ + 4096);
	size_t n = fread(b, 1, DATA_SZ + 4096, f);

	fclose(f);
	edit(b, &n);
	f = fopen(to, "wb");
	fwrite(b, 1, n, f);
	fclose(f);
	free(b);
}

static void
flip(uint8_t *b, size_t *n)
{
	b[*n / 2] ^= 0x55;
}

static void
cut(uint8_t *b, size_t *n)
{
	(void)b;
	*n = *n * 3 / 4;
}

static void
pad(uint8_t *b, size_t *n)
{
	memset(b + *n, 0, 1000);
	*n += 1000;
}

static void
test_damage(void **state)
{
	char bad[64], err[256] = "";
	struct gzidx *x;
	uint64_t fed = 0;
	int rc = 0;

	(void)state;
	snprintf(bad, sizeof(bad), "%s.bad", path);
	copy_edit(bad, flip);
	x = build(bad, NULL, &rc, err, sizeof(err));
	assert_null(x);
	/* zlib's words, or data that is not the data (a flip that still
	 * inflates is caught by the member's CRC at its end) */
	assert_true(rc == DM_EIO || rc == -100);
	if (rc == DM_EIO)
		assert_non_null(strstr(err, "damaged"));
	copy_edit(bad, cut);
	x = build(bad, NULL, &rc, err, sizeof(err));
	assert_null(x);
	assert_int_equal(rc, DM_EIO);
	assert_non_null(strstr(err, "stops short"));
	copy_edit(bad, pad);
	x = build(bad, &fed, &rc, err, sizeof(err));
	if (x == NULL)
		fail_msg("padding after the last member: %d %s", rc, err);
	{
		struct stat st;

		assert_int_equal(stat(bad, &st), 0);
		assert_int_equal(fed, (uint64_t)st.st_size);
	}
	gzidx_free(x);
	unlink(bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_ranges),
		cmocka_unit_test(test_as_image),
		cmocka_unit_test(test_damage),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
