/* t_bkarc.c - backup archives (bkarc.h): the name rules, on names and
 * on link targets; a write with bkw_* read back with bkr_each in the same
 * order, types, sizes, times, modes and link target, with the same
 * SHA-256 on both sides; a file that came short (padded with zeros) and
 * one that grew (cut at its size); bkw_create on a path that exists and
 * bkw_abort; an archive cut short at many places (DM_EIO, the members
 * before the cut seen first); hostile archives written here with
 * libarchive (absolute and climbing names, a link out of the tree, a hard
 * link, a FIFO, a device: DM_EINVAL, "refused", never given to the
 * callback); files that are no archive at all. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "bkarc.h"
#include "err.h"

#define MAXSEEN		32
#define BIG_SZ		(200 * 1024)	/* one member of the cut archive */
#define NBIG		6

static char dir[PATH_MAX];

static uint32_t rng_state = 2024;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void
fill(uint8_t *p, size_t len, uint32_t seed)
{
	rng_state = seed;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rng();
}

/* path gets dir/name; the file is removed by the test that made it. */
static void
path_in(char path[PATH_MAX], const char *name)
{
	snprintf(path, PATH_MAX, "%s/%s", dir, name);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void
copy_cut(const char *from, const char *to, off_t len)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	int ch;

	assert_non_null(in);
	assert_non_null(out);
	while (len-- > 0 && (ch = fgetc(in)) != EOF)
		fputc(ch, out);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

static off_t
size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* ---- what bkr_each gave ------------------------------------------------- */

struct seen_one {
	char name[256];
	char target[256];
	enum bk_type type;
	uint64_t size;
	int64_t mtime;
	uint32_t mode;
	char hex[BK_HEX];	/* files, when hashed */
	uint64_t hashed;	/* bytes bkr_hash read */
	int hash_rc;
	uint8_t *data;		/* files, when read with bkr_read */
	size_t len;
};

enum how { JUST_LOOK, HASH, READ };

struct seen {
	enum how how;
	int stop_after;		/* return 42 once this many were seen */
	int n;
	struct seen_one m[MAXSEEN];
	char err[512];		/* bkr_hash's words */
};

static int
record(void *ud, struct bkr *r, const struct bkr_member *m)
{
	struct seen *s = ud;
	struct seen_one *o;

	assert_true(s->n < MAXSEEN);
	assert_non_null(m->name);
	o = &s->m[s->n++];
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", m->name);
	if (m->target != NULL)
		snprintf(o->target, sizeof(o->target), "%s", m->target);
	o->type = m->type;
	o->size = m->size;
	o->mtime = m->mtime;
	o->mode = m->mode;
	if (m->type == BK_FILE && s->how == HASH) {
		o->hash_rc = bkr_hash(r, o->hex, &o->hashed, s->err,
		    sizeof(s->err));
		if (o->hash_rc != 0)
			return o->hash_rc;
	} else if (m->type == BK_FILE && s->how == READ) {
		size_t cap = (size_t)m->size + 1;
		long n;

		o->data = malloc(cap);
		assert_non_null(o->data);
		/* Odd read sizes, one byte of room past the end. */
		while ((n = bkr_read(r, o->data + o->len, cap - o->len < 777 ?
		    cap - o->len : 777)) > 0)
			o->len += (size_t)n;
		if (n < 0)
			return (int)n;
	}
	if (s->stop_after > 0 && s->n == s->stop_after)
		return 42;
	return 0;
}

static void
seen_free(struct seen *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->m[i].data);
}

/* ---- names -------------------------------------------------------------- */

static void
refused(const char *name, const char *target)
{
	char why[256];

	why[0] = '\0';
	assert_int_equal(bk_name_safe(name, target, why, sizeof(why)), 0);
	assert_true(why[0] != '\0');
}

static void
accepted(const char *name, const char *target)
{
	char why[256] = "";

	assert_int_equal(bk_name_safe(name, target, why, sizeof(why)), 1);
}

static void
test_names(void **state)
{
	char why[8], w[256];

	(void)state;
	accepted("storage/DCIM/a.jpg", NULL);
	accepted("storage/DCIM/my holiday photo.jpg", NULL);
	accepted("storage/Music/\xc3\xa9t\xc3\xa9 \xe6\x97\xa5.mp3", NULL);
	accepted("storage/odd\nname.txt", NULL);
	accepted("storage/..hidden", NULL);
	accepted("storage/a..b/c", NULL);
	accepted("storage/./x", NULL);
	refused("", NULL);
	refused(NULL, NULL);
	refused("/abs", NULL);
	refused("/storage/DCIM/a.jpg", NULL);
	refused("a/../b", NULL);
	refused("..", NULL);
	refused("../x", NULL);
	refused("storage/..", NULL);
	refused("storage/../../x", NULL);
	refused("storage//../x", NULL);

	/* Links: the target is taken from the link's own folder. */
	accepted("storage/Download/l", "b");
	accepted("storage/Download/l", "../Documents/x");
	accepted("storage/Download/l", "../../x");
	accepted("storage/Download/l", "./b/../c");
	refused("storage/Download/l", "/etc/passwd");
	refused("storage/Download/l", "../../../x");
	refused("storage/Download/l", "a/../../../../x");
	refused("storage/Download/l", "");
	refused("l", "..");
	refused("storage/l", "../../etc");
	/* The name rules hold for a link too. */
	refused("../l", "b");
	refused("/l", "b");

	/* A tiny why is cut, never overrun (ASan watches). */
	assert_int_equal(bk_name_safe("/a/very/long/absolute/name", NULL,
	    why, sizeof(why)), 0);
	assert_int_equal(strlen(why), sizeof(why) - 1);
	/* The reason says what is wrong. */
	assert_int_equal(bk_name_safe("a/../b", NULL, w, sizeof(w)), 0);
	assert_non_null(strstr(w, "a/../b"));
	assert_int_equal(bk_name_safe("storage/l", "/etc", w, sizeof(w)), 0);
	assert_non_null(strstr(w, "/etc"));
}

/* ---- write, then read --------------------------------------------------- */

#define A_NAME		"storage/DCIM/Camera/IMG 0001.jpg"
#define A_SZ		5000
#define A_CUT		1234
#define E_NAME		"storage/DCIM/empty.txt"
#define D_NAME		"storage/Download"
#define L_NAME		"storage/Download/l"
#define L_TARGET	"../DCIM/Camera/IMG 0001.jpg"
#define U_NAME		"storage/Music/two\nlines.txt"
#define B_NAME		"backup.json"

static const char blob[] = "{\"device\":\"psyche\",\"files\":2}\n";
static const char utf[] = "caf\xc3\xa9\n";

static void
test_round_trip(void **state)
{
	char path[PATH_MAX], err[512], hex_a[BK_HEX], hex_e[BK_HEX];
	char hex_b[BK_HEX], hex_u[BK_HEX], want[BK_HEX];
	uint8_t a[A_SZ];
	struct bkw *w;
	struct seen s;
	uint64_t got;

	(void)state;
	fill(a, sizeof(a), 11);
	path_in(path, "rt.tar.zst");
	w = bkw_create(path, 3, 1, err, sizeof(err));
	assert_non_null(w);

	assert_int_equal(bkw_file_begin(w, A_NAME, A_SZ, 1700000000, 0100640,
	    err, sizeof(err)), 0);
	assert_int_equal(bkw_file_data(w, a, A_CUT, err, sizeof(err)), 0);
	assert_int_equal(bkw_file_data(w, a + A_CUT, A_SZ - A_CUT, err,
	    sizeof(err)), 0);
	got = 0;
	assert_int_equal(bkw_file_end(w, hex_a, &got, err, sizeof(err)), 0);
	assert_int_equal(got, A_SZ);

	assert_int_equal(bkw_file_begin(w, E_NAME, 0, 1700000001, 0600, err,
	    sizeof(err)), 0);
	got = 77;
	assert_int_equal(bkw_file_end(w, hex_e, &got, err, sizeof(err)), 0);
	assert_int_equal(got, 0);

	assert_int_equal(bkw_dir(w, D_NAME, 1600000000, 040755, err,
	    sizeof(err)), 0);
	assert_int_equal(bkw_link(w, L_NAME, L_TARGET, 1650000000, err,
	    sizeof(err)), 0);
	assert_int_equal(bkw_blob(w, B_NAME, blob, sizeof(blob) - 1,
	    1700000002, hex_b, err, sizeof(err)), 0);
	assert_int_equal(bkw_blob(w, U_NAME, utf, sizeof(utf) - 1, -5, hex_u,
	    err, sizeof(err)), 0);
	/* No hex wanted. */
	assert_int_equal(bkw_blob(w, "last.txt", "x", 1, 0, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(bkw_close(w, err, sizeof(err)), 0);
	assert_true(size_of(path) > 0);

	/* What the writer said is the hash of what it was given. */
	bk_sha256_hex(a, A_SZ, want);
	assert_string_equal(hex_a, want);
	/* The SHA-256 of nothing, as everybody knows it. */
	assert_string_equal(hex_e, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	bk_sha256_hex(blob, sizeof(blob) - 1, want);
	assert_string_equal(hex_b, want);
	bk_sha256_hex(utf, sizeof(utf) - 1, want);
	assert_string_equal(hex_u, want);

	memset(&s, 0, sizeof(s));
	s.how = HASH;
	err[0] = '\0';
	assert_int_equal(bkr_each(path, record, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 7);

	assert_string_equal(s.m[0].name, A_NAME);
	assert_int_equal(s.m[0].type, BK_FILE);
	assert_int_equal(s.m[0].size, A_SZ);
	assert_int_equal(s.m[0].mtime, 1700000000);
	assert_int_equal(s.m[0].mode, 0640);
	assert_int_equal(s.m[0].hashed, A_SZ);
	assert_string_equal(s.m[0].hex, hex_a);

	assert_string_equal(s.m[1].name, E_NAME);
	assert_int_equal(s.m[1].type, BK_FILE);
	assert_int_equal(s.m[1].size, 0);
	assert_int_equal(s.m[1].mtime, 1700000001);
	assert_int_equal(s.m[1].mode, 0600);
	assert_int_equal(s.m[1].hashed, 0);
	assert_string_equal(s.m[1].hex, hex_e);

	/* A folder comes back without its trailing slash. */
	assert_string_equal(s.m[2].name, D_NAME);
	assert_int_equal(s.m[2].type, BK_DIR);
	assert_int_equal(s.m[2].size, 0);
	assert_int_equal(s.m[2].mtime, 1600000000);
	assert_int_equal(s.m[2].mode, 0755);

	assert_string_equal(s.m[3].name, L_NAME);
	assert_int_equal(s.m[3].type, BK_LINK);
	assert_string_equal(s.m[3].target, L_TARGET);
	assert_int_equal(s.m[3].size, 0);
	assert_int_equal(s.m[3].mtime, 1650000000);

	assert_string_equal(s.m[4].name, B_NAME);
	assert_int_equal(s.m[4].type, BK_FILE);
	assert_int_equal(s.m[4].size, sizeof(blob) - 1);
	assert_int_equal(s.m[4].mtime, 1700000002);
	assert_int_equal(s.m[4].mode, 0644);
	assert_string_equal(s.m[4].hex, hex_b);

	/* A newline in the name, a time before 1970. */
	assert_string_equal(s.m[5].name, U_NAME);
	assert_int_equal(s.m[5].size, sizeof(utf) - 1);
	assert_int_equal(s.m[5].mtime, -5);
	assert_string_equal(s.m[5].hex, hex_u);

	assert_string_equal(s.m[6].name, "last.txt");
	assert_int_equal(s.m[6].size, 1);
	bk_sha256_hex("x", 1, want);
	assert_string_equal(s.m[6].hex, want);
	for (int i = 0; i < s.n; i++)
		assert_int_equal(s.m[i].hash_rc, 0);

	/* Read with bkr_read instead: the same bytes. */
	memset(&s, 0, sizeof(s));
	s.how = READ;
	assert_int_equal(bkr_each(path, record, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 7);
	assert_int_equal(s.m[0].len, A_SZ);
	assert_memory_equal(s.m[0].data, a, A_SZ);
	assert_int_equal(s.m[1].len, 0);
	assert_int_equal(s.m[4].len, sizeof(blob) - 1);
	assert_memory_equal(s.m[4].data, blob, sizeof(blob) - 1);
	seen_free(&s);

	/* The callback's non-zero return stops the walk and is returned. */
	memset(&s, 0, sizeof(s));
	s.how = JUST_LOOK;
	s.stop_after = 3;
	assert_int_equal(bkr_each(path, record, &s, err, sizeof(err)), 42);
	assert_int_equal(s.n, 3);

	assert_int_equal(unlink(path), 0);
}

/* A file that came short is padded; one that grew is cut at its size. */
static void
test_short_and_long(void **state)
{
	char path[PATH_MAX], err[512], hex[BK_HEX], want[BK_HEX];
	uint8_t buf[100], pad[100];
	struct bkw *w;
	struct seen s;
	uint64_t got;

	(void)state;
	fill(buf, sizeof(buf), 99);
	path_in(path, "short.tar.zst");
	w = bkw_create(path, 3, 1, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(bkw_file_begin(w, "short.bin", 100, 1, 0644, err,
	    sizeof(err)), 0);
	assert_int_equal(bkw_file_data(w, buf, 40, err, sizeof(err)), 0);
	assert_int_equal(bkw_file_end(w, hex, &got, err, sizeof(err)), 0);
	assert_int_equal(got, 40);
	bk_sha256_hex(buf, 40, want);
	assert_string_equal(hex, want);

	assert_int_equal(bkw_file_begin(w, "long.bin", 10, 2, 0644, err,
	    sizeof(err)), 0);
	assert_int_equal(bkw_file_data(w, buf, 25, err, sizeof(err)), 0);
	assert_int_equal(bkw_file_data(w, buf + 25, 5, err, sizeof(err)), 0);
	assert_int_equal(bkw_file_end(w, hex, &got, err, sizeof(err)), 0);
	assert_int_equal(got, 30);
	/* The hash is of all that came. */
	bk_sha256_hex(buf, 30, want);
	assert_string_equal(hex, want);

	/* The next member is where it should be. */
	assert_int_equal(bkw_blob(w, "after.txt", "after", 5, 3, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(bkw_close(w, err, sizeof(err)), 0);

	memset(&s, 0, sizeof(s));
	s.how = READ;
	assert_int_equal(bkr_each(path, record, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.m[0].name, "short.bin");
	assert_int_equal(s.m[0].size, 100);
	assert_int_equal(s.m[0].len, 100);
	memcpy(pad, buf, 40);
	memset(pad + 40, 0, 60);
	assert_memory_equal(s.m[0].data, pad, 100);
	assert_string_equal(s.m[1].name, "long.bin");
	assert_int_equal(s.m[1].size, 10);
	assert_int_equal(s.m[1].len, 10);
	assert_memory_equal(s.m[1].data, buf, 10);
	assert_string_equal(s.m[2].name, "after.txt");
	assert_int_equal(s.m[2].len, 5);
	assert_memory_equal(s.m[2].data, "after", 5);
	seen_free(&s);

	/* Hashed on the way back: the padded bytes. */
	memset(&s, 0, sizeof(s));
	s.how = HASH;
	assert_int_equal(bkr_each(path, record, &s, err, sizeof(err)), 0);
	assert_int_equal(s.m[0].hashed, 100);
	bk_sha256_hex(pad, 100, want);
	assert_string_equal(s.m[0].hex, want);
	assert_int_equal(s.m[1].hashed, 10);
	bk_sha256_hex(buf, 10, want);
	assert_string_equal(s.m[1].hex, want);

	assert_int_equal(unlink(path), 0);
}

static void
test_create_abort(void **state)
{
	char path[PATH_MAX], nodir[PATH_MAX], err[512];
	struct bkw *w;
	FILE *f;

	(void)state;
	path_in(path, "exists.tar.zst");
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs("keep me", f);
	fclose(f);
	err[0] = '\0';
	assert_null(bkw_create(path, 3, 1, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "exists"));
	/* Untouched. */
	assert_int_equal(size_of(path), 7);
	assert_int_equal(unlink(path), 0);

	path_in(nodir, "no/such/dir/x.tar.zst");
	err[0] = '\0';
	assert_null(bkw_create(nodir, 3, 1, err, sizeof(err)));
	assert_non_null(strstr(err, nodir));

	/* Abort takes the file away, data written or not. */
	path_in(path, "aborted.tar.zst");
	w = bkw_create(path, 3, 1, err, sizeof(err));
	assert_non_null(w);
	assert_true(exists(path));
	assert_int_equal(bkw_blob(w, "a.txt", "abc", 3, 0, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(bkw_file_begin(w, "half.bin", 1000, 0, 0644, err,
	    sizeof(err)), 0);
	assert_int_equal(bkw_file_data(w, "xyz", 3, err, sizeof(err)), 0);
	bkw_abort(w);
	assert_false(exists(path));
	bkw_abort(NULL);

	/* The name is free again. */
	w = bkw_create(path, 1, 0, err, sizeof(err));
	assert_non_null(w);
	bkw_abort(w);
	assert_false(exists(path));
}

/* Open descriptors of this process. */
static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The disk fills up while the archive is finished: zstd keeps the data
 * until bkw_close(), so the close is what fails (RLIMIT_FSIZE stands in
 * for the full disk). */
static void
test_close_fails(void **state)
{
	char path[PATH_MAX], err[512];
	struct rlimit old, lim;
	void (*oldsig)(int);
	uint8_t *data = malloc(64 * 1024);
	struct bkw *w;
	int fds, rc, rc_blob;

	(void)state;
	assert_non_null(data);
	fill(data, 64 * 1024, 31);
	path_in(path, "full.tar.zst");
	fds = count_fds();
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1024;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	w = bkw_create(path, 3, 1, err, sizeof(err));
	rc_blob = w != NULL ? bkw_blob(w, "big.bin", data, 64 * 1024, 0,
	    NULL, err, sizeof(err)) : -100;
	rc = rc_blob == 0 ? bkw_close(w, err, sizeof(err)) : -100;
	if (rc_blob != 0 && w != NULL)
		bkw_abort(w);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, oldsig);
	free(data);

	assert_non_null(w);
	assert_int_equal(rc_blob, 0);
	assert_int_equal(rc, DM_EIO);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "too large"));
	/* The half-written file stays for the caller to remove. */
	assert_true(exists(path));
	assert_int_equal(unlink(path), 0);
	/* bkw_close() frees the writer "either way": its descriptor too. */
	assert_int_equal(count_fds(), fds);
}

/* ---- damage ------------------------------------------------------------- */

static void
big_name(char *name, size_t len, int i)
{
	snprintf(name, len, "storage/DCIM/big%d.bin", i);
}

static void
write_big(const char *path, uint8_t **data)
{
	char err[512], name[64], hex[BK_HEX];
	struct bkw *w;
	uint64_t got;

	w = bkw_create(path, 3, 1, err, sizeof(err));
	assert_non_null(w);
	for (int i = 0; i < NBIG; i++) {
		data[i] = malloc(BIG_SZ);
		assert_non_null(data[i]);
		/* Noise: it does not compress, the cut lands by size. */
		fill(data[i], BIG_SZ, 1000 + (uint32_t)i);
		big_name(name, sizeof(name), i);
		assert_int_equal(bkw_file_begin(w, name, BIG_SZ, 1000 + i,
		    0644, err, sizeof(err)), 0);
		assert_int_equal(bkw_file_data(w, data[i], BIG_SZ, err,
		    sizeof(err)), 0);
		assert_int_equal(bkw_file_end(w, hex, &got, err,
		    sizeof(err)), 0);
	}
	assert_int_equal(bkw_close(w, err, sizeof(err)), 0);
}

static void
test_truncated(void **state)
{
	char path[PATH_MAX], cut[PATH_MAX], err[512], name[64];
	char want[BK_HEX];
	uint8_t *data[NBIG];
	struct seen s;
	off_t full, at;
	int rc;

	(void)state;
	path_in(path, "big.tar.zst");
	path_in(cut, "cut.tar.zst");
	write_big(path, data);
	full = size_of(path);
	assert_true(full > NBIG * BIG_SZ);

	/* Whole, for a start. */
	memset(&s, 0, sizeof(s));
	s.how = HASH;
	assert_int_equal(bkr_each(path, record, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, NBIG);

	/* Cut in half, looked at only: the walk's skip finds the end. */
	copy_cut(path, cut, full / 2);
	memset(&s, 0, sizeof(s));
	s.how = JUST_LOOK;
	err[0] = '\0';
	rc = bkr_each(cut, record, &s, err, sizeof(err));
	assert_int_equal(rc, DM_EIO);
	assert_non_null(strstr(err, cut));
	assert_non_null(strstr(err, "cut short"));
	/* big0 and big1 lie before the cut, big2 across it. */
	assert_true(s.n >= 2 && s.n <= 3);
	big_name(name, sizeof(name), 0);
	assert_string_equal(s.m[0].name, name);
	assert_int_equal(s.m[0].size, BIG_SZ);
	big_name(name, sizeof(name), 1);
	assert_string_equal(s.m[1].name, name);

	/* Cut in half, hashed: the members before match, the one cut
	 * fails its hash. */
	memset(&s, 0, sizeof(s));
	s.how = HASH;
	rc = bkr_each(cut, record, &s, err, sizeof(err));
	assert_int_equal(rc, DM_EIO);
	assert_true(s.n >= 2);
	for (int i = 0; i < s.n - 1; i++) {
		bk_sha256_hex(data[i], BIG_SZ, want);
		assert_int_equal(s.m[i].hash_rc, 0);
		assert_string_equal(s.m[i].hex, want);
	}
	if (s.m[s.n - 1].hash_rc != 0) {
		assert_int_equal(s.m[s.n - 1].hash_rc, DM_EIO);
		assert_true(s.err[0] != '\0');
	}

	/* Cut anywhere: never a success, never a crash. */
	for (at = 0; at < full; at += full / 97 + 1) {
		copy_cut(path, cut, at);
		memset(&s, 0, sizeof(s));
		s.how = (at & 1) ? HASH : JUST_LOOK;
		err[0] = '\0';
		rc = bkr_each(cut, record, &s, err, sizeof(err));
		if (rc >= 0)
			print_error("cut at %lld of %lld: rc %d, %d members\n",
			    (long long)at, (long long)full, rc, s.n);
		assert_true(rc < 0);
		assert_true(s.n <= NBIG);
		if (s.how == JUST_LOOK)
			assert_true(err[0] != '\0');
	}
	/* The very end: a few bytes short. */
	for (at = full - 16; at < full; at++) {
		copy_cut(path, cut, at);
		memset(&s, 0, sizeof(s));
		s.how = JUST_LOOK;
		rc = bkr_each(cut, record, &s, err, sizeof(err));
		if (rc >= 0)
			print_error("cut at %lld of %lld: rc %d, %d members\n",
			    (long long)at, (long long)full, rc, s.n);
		assert_true(rc < 0);
	}

	for (int i = 0; i < NBIG; i++)
		free(data[i]);
	assert_int_equal(unlink(cut), 0);
	assert_int_equal(unlink(path), 0);
}

/* ---- hostile archives --------------------------------------------------- */

enum bad {
	BAD_ABSOLUTE, BAD_CLIMB, BAD_CLIMB_DIR, BAD_LINK_OUT, BAD_LINK_ABS,
	BAD_HARDLINK, BAD_FIFO, BAD_CHR, BAD_BLK, BAD_N_
};

static void
add(struct archive *a, const char *name, unsigned type, const char *data,
    const char *link)
{
	struct archive_entry *e = archive_entry_new();
	size_t len = data != NULL ? strlen(data) : 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_mtime(e, 1700000000, 0);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, link);
	else if (link != NULL)
		archive_entry_set_hardlink(e, link);
	if (type == AE_IFREG && link == NULL)
		archive_entry_set_size(e, (la_int64_t)len);
	if (type == AE_IFCHR || type == AE_IFBLK)
		archive_entry_set_rdev(e, 0x0501);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (len > 0)
		assert_int_equal(archive_write_data(a, data, len),
		    (ssize_t)len);
	archive_entry_free(e);
}

/* A good member, the bad one, another good one. */
static const char *
write_bad(const char *path, enum bad bad, int zstd)
{
	struct archive *a = archive_write_new();
	const char *what = NULL;

	assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
	if (zstd)
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	add(a, "storage/ok.txt", AE_IFREG, "fine", NULL);
	switch (bad) {
	case BAD_ABSOLUTE:
		add(a, what = "/etc/x", AE_IFREG, "root:x:0:0", NULL);
		break;
	case BAD_CLIMB:
		add(a, what = "a/../../x", AE_IFREG, "up", NULL);
		break;
	case BAD_CLIMB_DIR:
		add(a, what = "storage/../..", AE_IFDIR, NULL, NULL);
		break;
	case BAD_LINK_OUT:
		add(a, what = "storage/l", AE_IFLNK, NULL, "../../etc");
		break;
	case BAD_LINK_ABS:
		add(a, what = "storage/l", AE_IFLNK, NULL, "/etc/shadow");
		break;
	case BAD_HARDLINK:
		add(a, what = "storage/h", AE_IFREG, NULL, "storage/ok.txt");
		break;
	case BAD_FIFO:
		add(a, what = "storage/fifo", AE_IFIFO, NULL, NULL);
		break;
	case BAD_CHR:
		add(a, what = "storage/tty", AE_IFCHR, NULL, NULL);
		break;
	case BAD_BLK:
		add(a, what = "storage/sda", AE_IFBLK, NULL, NULL);
		break;
	case BAD_N_:
		break;
	}
	add(a, "storage/after.txt", AE_IFREG, "later", NULL);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return what;
}

static void
test_hostile(void **state)
{
	char path[PATH_MAX], err[512];
	struct seen s;

	(void)state;
	path_in(path, "bad.tar");
	for (int zstd = 0; zstd <= 1; zstd++) {
		for (int b = 0; b < BAD_N_; b++) {
			const char *what = write_bad(path, (enum bad)b, zstd);
			int rc;

			memset(&s, 0, sizeof(s));
			s.how = HASH;
			err[0] = '\0';
			rc = bkr_each(path, record, &s, err, sizeof(err));
			if (rc != DM_EINVAL)
				print_error("%s: rc %d: %s\n", what, rc, err);
			assert_int_equal(rc, DM_EINVAL);
			assert_non_null(strstr(err, "refused"));
			assert_non_null(strstr(err, what));
			/* The good one before, never the bad one nor the
			 * one after. */
			assert_int_equal(s.n, 1);
			assert_string_equal(s.m[0].name, "storage/ok.txt");
			assert_int_equal(s.m[0].hash_rc, 0);
			assert_int_equal(unlink(path), 0);
		}
	}
	/* Links each safe alone but chained out of the tree: d -> ..,
	 * d/e -> ../.., then d/e/x would land two levels above. */
	{
		struct archive *a = archive_write_new();
		int rc;

		assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
		assert_int_equal(archive_write_open_filename(a, path),
		    ARCHIVE_OK);
		add(a, "storage/ok.txt", AE_IFREG, "fine", NULL);
		add(a, "storage/d", AE_IFLNK, NULL, "..");
		add(a, "storage/d/e", AE_IFLNK, NULL, "../..");
		add(a, "storage/d/e/x", AE_IFREG, "escaped", NULL);
		assert_int_equal(archive_write_close(a), ARCHIVE_OK);
		archive_write_free(a);
		memset(&s, 0, sizeof(s));
		s.how = HASH;
		rc = bkr_each(path, record, &s, err, sizeof(err));
		assert_int_equal(rc, DM_EINVAL);
		assert_non_null(strstr(err, "storage/d/e lies below the link "
		    "storage/d"));
		assert_int_equal(s.n, 2);
		assert_string_equal(s.m[1].name, "storage/d");
		assert_int_equal(unlink(path), 0);
	}
}

/* A tar written by hand, byte by byte: one header, no end blocks. */
static void
ustar_header(uint8_t h[512], const char *name, char type, const char *link,
    unsigned size)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011o", size);
	snprintf((char *)h + 136, 12, "%011o", 1700000000u);
	h[156] = (uint8_t)type;
	if (link != NULL)
		snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

/* Headers made by hand: a link with an empty target, a name that is
 * nothing but slashes, a name of "." and its link out. */
static void
test_hand_made(void **state)
{
	static const struct {
		const char *name;
		char type;
		const char *link;
		int rc;
	} cases[] = {
		{ "storage/l", '2', "", DM_EINVAL },
		{ "/", '5', NULL, DM_EINVAL },
		{ "//", '5', NULL, DM_EINVAL },
		{ "./..", '0', NULL, DM_EINVAL },
		{ "storage/sub/", '0', NULL, 0 },
	};
	char path[PATH_MAX], err[512];
	uint8_t blk[3][512];
	struct seen s;

	(void)state;
	path_in(path, "hand.tar");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FILE *f = fopen(path, "wb");
		int rc;

		assert_non_null(f);
		ustar_header(blk[0], cases[i].name, cases[i].type,
		    cases[i].link, 0);
		memset(blk[1], 0, 512);
		memset(blk[2], 0, 512);
		assert_int_equal(fwrite(blk, 512, 3, f), 3);
		fclose(f);
		memset(&s, 0, sizeof(s));
		s.how = HASH;
		err[0] = '\0';
		rc = bkr_each(path, record, &s, err, sizeof(err));
		assert_int_equal(rc, cases[i].rc);
		if (rc == DM_EINVAL) {
			assert_non_null(strstr(err, "refused"));
			assert_int_equal(s.n, 0);
		} else {
			/* A file named with a slash: the slash goes. */
			assert_int_equal(s.n, 1);
			assert_string_equal(s.m[0].name, "storage/sub");
		}
		assert_int_equal(unlink(path), 0);
	}
}

/* A header whose checksum is wrong, after a good member. */
static void
test_bad_checksum(void **state)
{
	char path[PATH_MAX], err[512];
	uint8_t blk[5][512];
	struct seen s;
	FILE *f;
	int rc;

	(void)state;
	path_in(path, "sum.tar");
	ustar_header(blk[0], "storage/a.txt", '0', NULL, 3);
	memset(blk[1], 0, 512);
	memcpy(blk[1], "abc", 3);
	ustar_header(blk[2], "storage/b.txt", '0', NULL, 0);
	blk[2][0] ^= 1;		/* "rtorage/b.txt", the sum is stale */
	memset(blk[3], 0, 512);
	memset(blk[4], 0, 512);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(blk, 512, 5, f), 5);
	fclose(f);
	memset(&s, 0, sizeof(s));
	s.how = HASH;
	err[0] = '\0';
	rc = bkr_each(path, record, &s, err, sizeof(err));
	/* bkarc.h promises DM_EIO for a corrupt archive.  libarchive says
	 * ARCHIVE_RETRY here, which bkr_each takes for a header: the entry
	 * is empty and is refused as "a device, FIFO or socket"
	 * (DM_EINVAL).  Either way the walk must stop there, with words,
	 * after the good member and without the bad one. */
	assert_true(rc == DM_EIO || rc == DM_EINVAL);
	assert_true(err[0] != '\0');
	assert_int_equal(s.n, 1);
	assert_string_equal(s.m[0].name, "storage/a.txt");
	assert_int_equal(s.m[0].hash_rc, 0);
	assert_int_equal(s.m[0].hashed, 3);
	assert_int_equal(unlink(path), 0);
}

/* ---- names beyond ASCII ------------------------------------------------- */

#define U8_DIR		"storage/Caf\xc3\xa9"
#define U8_FILE		U8_DIR "/\xc3\xa9t\xc3\xa9 \xe6\x97\xa5.mp3"
#define U8_LINK		U8_DIR "/\xe6\x97\xa5"
#define U8_TARGET	"\xc3\xa9t\xc3\xa9 \xe6\x97\xa5.mp3"

struct u8_seen {
	int n, bad;
};

/* No cmocka asserts here: this runs in the child. */
static int
u8_member(void *ud, struct bkr *r, const struct bkr_member *m)
{
	static const char *const names[] = { U8_DIR, U8_FILE, U8_LINK };
	struct u8_seen *s = ud;
	char hex[BK_HEX], want[BK_HEX];
	uint64_t n;

	if (s->n >= 3 || strcmp(m->name, names[s->n]) != 0)
		s->bad++;
	if (m->type == BK_FILE) {
		bk_sha256_hex("la la", 5, want);
		if (bkr_hash(r, hex, &n, NULL, 0) != 0 || n != 5 ||
		    strcmp(hex, want) != 0)
			s->bad++;
	}
	if (m->type == BK_LINK && strcmp(m->target, U8_TARGET) != 0)
		s->bad++;
	s->n++;
	return 0;
}

/* 0, or 10 and up for what went wrong. */
static int
u8_child(const char *path)
{
	struct u8_seen s = { 0, 0 };
	char err[512];
	struct bkw *w;

	w = bkw_create(path, 3, 1, err, sizeof(err));
	if (w == NULL)
		return 10;
	if (bkw_dir(w, U8_DIR, 0, 0755, err, sizeof(err)) != 0 ||
	    bkw_blob(w, U8_FILE, "la la", 5, 0, NULL, err, sizeof(err)) != 0 ||
	    bkw_link(w, U8_LINK, U8_TARGET, 0, err, sizeof(err)) != 0) {
		bkw_abort(w);
		return 11;
	}
	if (bkw_close(w, err, sizeof(err)) != 0)
		return 12;
	if (bkr_each(path, u8_member, &s, err, sizeof(err)) != 0)
		return 13;
	return s.n == 3 && s.bad == 0 ? 0 : 14;
}

/* Names beyond ASCII (most phones have some) written and read back in
 * the "C" locale, the one droidmedic runs in: it never calls
 * setlocale().  In a child, because the pax writer of libarchive 3.6 and
 * 3.7 dereferences NULL when a name given with
 * archive_entry_set_pathname_utf8() has no form in the locale's charset
 * (libarchive issue #2233), and bkarc.c gives every name that way. */
static void
test_utf8_names(void **state)
{
	char path[PATH_MAX], log[PATH_MAX];
	int status, fd;
	pid_t pid;

	(void)state;
	path_in(path, "utf8.tar.zst");
	path_in(log, "utf8.stderr");
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka catches SIGSEGV and would go on with the other
		 * tests in here: a crash must end the child.  What it
		 * prints goes to the log, not into the TAP. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGILL, SIG_DFL);
		signal(SIGFPE, SIG_DFL);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		_exit(u8_child(path));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(log);
	if (!WIFEXITED(status) || WEXITSTATUS(status) < 10) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			assert_int_equal(unlink(path), 0);
			return;
		}
		/* The writer crashed (libarchive #2233 with UTF-8 setters in
		 * the C locale). */
		unlink(path);
		print_error("utf8 child: %s %d\n", WIFSIGNALED(status) ?
		    "signal" : "exit", WIFSIGNALED(status) ?
		    WTERMSIG(status) : WEXITSTATUS(status));
		fail();
	}
	unlink(path);
	print_error("utf8 child: step %d failed\n", WEXITSTATUS(status));
	fail();
}

/* ---- no archive at all -------------------------------------------------- */

static void
test_not_archive(void **state)
{
	char path[PATH_MAX], err[512];
	uint8_t *junk = malloc(64 * 1024);
	struct archive *a;
	struct archive_entry *e;
	struct seen s;
	FILE *f;
	int rc;

	(void)state;
	assert_non_null(junk);
	path_in(path, "junk.bin");
	for (int round = 0; round < 8; round++) {
		size_t len = round == 0 ? 0 : (size_t)1 << (round * 2);

		fill(junk, 64 * 1024, 5000 + (uint32_t)round);
		f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(junk, 1, len, f), len);
		fclose(f);
		memset(&s, 0, sizeof(s));
		s.how = HASH;
		err[0] = '\0';
		rc = bkr_each(path, record, &s, err, sizeof(err));
		assert_true(rc < 0);
		assert_true(err[0] != '\0');
		assert_int_equal(s.n, 0);
		assert_int_equal(unlink(path), 0);
	}
	free(junk);

	/* Good zstd, but no tar in it. */
	a = archive_write_new();
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	e = archive_entry_new();
	archive_entry_set_pathname(e, "x");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, 2000);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	for (int i = 0; i < 100; i++)
		assert_int_equal(archive_write_data(a, "this is no tar at all",
		    20), 20);
	archive_entry_free(e);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	memset(&s, 0, sizeof(s));
	err[0] = '\0';
	rc = bkr_each(path, record, &s, err, sizeof(err));
	assert_true(rc < 0);
	assert_true(err[0] != '\0');
	assert_int_equal(s.n, 0);
	assert_int_equal(unlink(path), 0);

	/* No such file; a folder. */
	path_in(path, "nothing.tar.zst");
	err[0] = '\0';
	assert_int_equal(bkr_each(path, record, &s, err, sizeof(err)),
	    DM_ENOENT);
	assert_non_null(strstr(err, path));
	err[0] = '\0';
	assert_true(bkr_each(dir, record, &s, err, sizeof(err)) < 0);
	assert_true(err[0] != '\0');
	assert_int_equal(s.n, 0);
}

static void
test_sha256(void **state)
{
	char hex[BK_HEX];

	(void)state;
	bk_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(strlen(hex), BK_HEX - 1);
}

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/t_bkarc.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	/* Every test removed its own files: a leftover makes this fail. */
	return rmdir(dir) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_short_and_long),
		cmocka_unit_test(test_create_abort),
		cmocka_unit_test(test_close_fails),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_hand_made),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_utf8_names),
		cmocka_unit_test(test_not_archive),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
