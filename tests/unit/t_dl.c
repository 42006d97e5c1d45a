/* t_dl.c - the download engine on file:// addresses (no network): a file
 * fetched with its SHA-256 and MD5 checked; a wrong hash or size refused
 * with nothing kept; a missing mirror passed over; a partial file and its
 * state resumed from where they stop; a state that does not tile the
 * file, or is not JSON, or was made for another hash, thrown away and the
 * file fetched whole; a fetch already running on the same file refused. */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "dl.h"
#include "err.h"

#define SIZE	(3u << 20)

static char dir[PATH_MAX], src[PATH_MAX + 16], url[PATH_MAX + 32];
static char sha[65], md5[33];
static unsigned char *data;

static void
hexof(const EVP_MD *md, char *out)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_Digest(data, SIZE, h, &n, md, NULL);
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

static int
setup(void **state)
{
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/t_dl.XXXXXX", getenv("TMPDIR") ?
	    getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	data = malloc(SIZE);
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (unsigned char)((i * 2654435761u) >> 13);
	snprintf(src, sizeof(src), "%s/src.bin", dir);
	f = fopen(src, "wb");
	if (f == NULL || fwrite(data, 1, SIZE, f) != SIZE)
		return -1;
	fclose(f);
	snprintf(url, sizeof(url), "file://%s", src);
	hexof(EVP_sha256(), sha);
	hexof(EVP_md5(), md5);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	free(data);
	return system(cmd) == 0 ? 0 : -1;
}

static void
path(char *out, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

static int
same_as_src(const char *p)
{
	FILE *f = fopen(p, "rb");
	unsigned char *b = malloc(SIZE + 1);
	size_t n = f ? fread(b, 1, SIZE + 1, f) : 0;
	int ok = n == SIZE && memcmp(b, data, SIZE) == 0;

	if (f)
		fclose(f);
	free(b);
	return ok;
}

static int
exists(const char *p, const char *suffix)
{
	char q[PATH_MAX + 16];

	snprintf(q, sizeof(q), "%s%s", p, suffix);
	return access(q, F_OK) == 0;
}

static struct dl_req
req(const char *dest, const char *const *urls, size_t n)
{
	struct dl_req r = {
		.urls = urls, .nurls = n, .dest = dest, .size = SIZE,
		.sha256 = sha, .md5 = md5, .conns = 1, .retries = 0,
	};

	return r;
}

static void
t_whole(void **state)
{
	const char *urls[] = { url };
	char dest[PATH_MAX], err[512];
	struct dl_req r;
	struct dl_result res;

	(void)state;
	path(dest, "whole.bin");
	r = req(dest, urls, 1);
	assert_int_equal(dl_fetch(&r, &res, err, sizeof(err)), 0);
	assert_true(same_as_src(dest));
	assert_string_equal(res.sha256, sha);
	assert_string_equal(res.md5, md5);
	assert_int_equal(res.size, SIZE);
	assert_int_equal(res.resumed_from, 0);
	assert_false(exists(dest, ".part"));
	assert_false(exists(dest, ".part.json"));
}

static void
t_wrong_hash(void **state)
{
	const char *urls[] = { url };
	char dest[PATH_MAX], err[512];
	struct dl_req r;
	struct dl_result res;
	char other[65];

	(void)state;
	memset(other, 'a', 64);
	other[64] = '\0';
	path(dest, "bad.bin");
	r = req(dest, urls, 1);
	r.sha256 = other;
	assert_int_equal(dl_fetch(&r, &res, err, sizeof(err)), DM_EINVAL);
	assert_non_null(strstr(err, sha));
	assert_non_null(strstr(err, "nothing kept"));
	assert_false(exists(dest, ""));
	assert_false(exists(dest, ".part"));
	assert_false(exists(dest, ".part.json"));
}

static void
t_wrong_size(void **state)
{
	const char *urls[] = { url };
	char dest[PATH_MAX], err[512];
	struct dl_req r;
	struct dl_result res;

	(void)state;
	path(dest, "size.bin");
	r = req(dest, urls, 1);
	r.size = SIZE + 1;
	r.sha256 = r.md5 = NULL;
	assert_true(dl_fetch(&r, &res, err, sizeof(err)) < 0);
	assert_false(exists(dest, ""));
}

static void
t_mirror(void **state)
{
	char missing[PATH_MAX + 32], dest[PATH_MAX], err[512];
	const char *urls[] = { missing, url };
	struct dl_req r;
	struct dl_result res;

	(void)state;
	snprintf(missing, sizeof(missing), "file://%s/nothing.bin", dir);
	path(dest, "mirror.bin");
	r = req(dest, urls, 2);
	assert_int_equal(dl_fetch(&r, &res, err, sizeof(err)), 0);
	assert_string_equal(res.url, url);
	assert_true(same_as_src(dest));
}

/* A partial of the first n bytes and a state saying so. */
static void
make_partial(const char *dest, size_t n, const char *state_json)
{
	char p[PATH_MAX + 16];
	FILE *f;

	snprintf(p, sizeof(p), "%s.part", dest);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
	snprintf(p, sizeof(p), "%s.part.json", dest);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(state_json, f);
	fclose(f);
}

static void
t_resume(void **state)
{
	const char *urls[] = { url };
	char dest[PATH_MAX], err[512], st[1024];
	struct dl_req r;
	struct dl_result res;

	(void)state;
	path(dest, "resume.bin");
	snprintf(st, sizeof(st), "{\"droidmedic_partial\": 1, \"size\": %u, "
	    "\"sha256\": \"%s\", \"md5\": \"%s\", \"url\": \"%s\", "
	    "\"segments\": [[0, %u, 1000000]]}", SIZE, sha, md5, url, SIZE);
	make_partial(dest, 1000000, st);
	r = req(dest, urls, 1);
	assert_int_equal(dl_fetch(&r, &res, err, sizeof(err)), 0);
	assert_int_equal(res.resumed_from, 1000000);
	assert_true(same_as_src(dest));
	assert_false(exists(dest, ".part.json"));
}

/* A state with a hole (bytes 1000000 to 2000000 in no segment): had it
 * been believed, the file would have a hole of zeros. */
static void
t_state_hole(void **state)
{
	const char *urls[] = { url };
	char dest[PATH_MAX], err[512], st[1024];
	struct dl_req r;
	struct dl_result res;

	(void)state;
	path(dest, "hole.bin");
	snprintf(st, sizeof(st), "{\"size\": %u, \"sha256\": \"\", "
	    "\"md5\": \"\", \"url\": \"%s\", \"segments\": "
	    "[[0, 1000000, 1000000], [2000000, %u, %u]]}", SIZE, url, SIZE,
	    SIZE);
	make_partial(dest, 1000000, st);
	r = req(dest, urls, 1);
	r.sha256 = r.md5 = NULL;	/* nothing would catch it */
	assert_int_equal(dl_fetch(&r, &res, err, sizeof(err)), 0);
	assert_int_equal(res.resumed_from, 0);
	assert_true(same_as_src(dest));
}

static void
t_state_garbage(void **state)
{
	const char *urls[] = { url };
	char dest[PATH_MAX], err[512];
	struct dl_req r;
	struct dl_result res;

	(void)state;
	path(dest, "garbage.bin");
	make_partial(dest, 5000, "{\"segments\": [[0, -1, 99999999999]], "
	    "\"size\": \"x\"");
	r = req(dest, urls, 1);
	assert_int_equal(dl_fetch(&r, &res, err, sizeof(err)), 0);
	assert_int_equal(res.resumed_from, 0);
	assert_true(same_as_src(dest));
}

/* A partial made for another file (another hash) is not spliced in. */
static void
t_state_other_hash(void **state)
{
	const char *urls[] = { url };
	char dest[PATH_MAX], err[512], st[1024];
	struct dl_req r;
	struct dl_result res;

	(void)state;
	path(dest, "other.bin");
	snprintf(st, sizeof(st), "{\"size\": %u, \"sha256\": \"%064d\", "
	    "\"md5\": \"%s\", \"url\": \"%s\", \"segments\": "
	    "[[0, %u, 2000000]]}", SIZE, 0, md5, url, SIZE);
	make_partial(dest, 2000000, st);
	r = req(dest, urls, 1);
	assert_int_equal(dl_fetch(&r, &res, err, sizeof(err)), 0);
	assert_int_equal(res.resumed_from, 0);
	assert_true(same_as_src(dest));
}

static void
t_busy(void **state)
{
	const char *urls[] = { url };
	char dest[PATH_MAX], part[PATH_MAX + 16], err[512];
	struct dl_req r;
	struct dl_result res;
	int fd;

	(void)state;
	path(dest, "busy.bin");
	snprintf(part, sizeof(part), "%s.part", dest);
	fd = open(part, O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	r = req(dest, urls, 1);
	assert_int_equal(dl_fetch(&r, &res, err, sizeof(err)), DM_EBUSY);
	assert_non_null(strstr(err, "another fetch"));
	close(fd);
	assert_int_equal(dl_fetch(&r, &res, err, sizeof(err)), 0);
	assert_true(same_as_src(dest));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_whole),
		cmocka_unit_test(t_wrong_hash),
		cmocka_unit_test(t_wrong_size),
		cmocka_unit_test(t_mirror),
		cmocka_unit_test(t_resume),
		cmocka_unit_test(t_state_hole),
		cmocka_unit_test(t_state_garbage),
		cmocka_unit_test(t_state_other_hash),
		cmocka_unit_test(t_busy),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
