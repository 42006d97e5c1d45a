/* t_fbarchive.c - an image streamed out of an archive entry
 * (fb_image_open_archive): archives written here with libarchive (tar.gz
 * in the Xiaomi layout, zip deflated, a pax tar with a sparse entry) give
 * back the entry's bytes exactly, whatever the read sizes, again after a
 * rewind, and past a skip; the header's size is the image's; the refusals
 * (no such entry, with the names like it; a folder, a symbolic link, a
 * hard link, an empty entry; a file that is no archive; an empty --entry)
 * say what is wrong; a .tgz cut inside the entry fails its read with
 * libarchive's words in why(), and so does the walk to an entry after
 * the cut. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <limits.h>
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

#include "err.h"
#include "fastboot.h"

#define TOP		"psyche_global_images_V14/"
#define BOOT		TOP "images/boot.img"
#define BOOT_SZ		((1u << 20) + 12345)	/* not a block multiple */

static char dir[PATH_MAX], tgz[PATH_MAX], zip[PATH_MAX], pax[PATH_MAX];
static char cut[PATH_MAX], plain[PATH_MAX];
static uint8_t *boot, *holes;	/* holes: the sparse entry's bytes */

static uint32_t rng_state = 777;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void
add(struct archive *a, const char *name, mode_t type, const void *data,
    size_t len, const char *link)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, link);
	else if (link != NULL)
		archive_entry_set_hardlink(e, link);
	else if (type == AE_IFREG)
		archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (len > 0)
		assert_int_equal(archive_write_data(a, data, len), (ssize_t)len);
	archive_entry_free(e);
}

/* The ROM's entries, in the Xiaomi layout. */
static void
write_rom(const char *path, int zipped)
{
	struct archive *a = archive_write_new();
	static const char misc[] = "device=psyche\n";

	if (zipped) {
		assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
		assert_int_equal(archive_write_set_options(a,
		    "zip:compression=deflate"), ARCHIVE_OK);
	} else {
		assert_int_equal(archive_write_set_format_gnutar(a),
		    ARCHIVE_OK);
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	}
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	add(a, TOP, AE_IFDIR, NULL, 0, NULL);
	add(a, TOP "misc.txt", AE_IFREG, misc, sizeof(misc) - 1, NULL);
	add(a, TOP "images/", AE_IFDIR, NULL, 0, NULL);
	add(a, BOOT, AE_IFREG, boot, BOOT_SZ, NULL);
	add(a, TOP "images/boot_link.img", AE_IFLNK, NULL, 0, "boot.img");
	if (!zipped)
		add(a, TOP "images/boot_hard.img", AE_IFREG, NULL, 0, BOOT);
	add(a, TOP "images/empty.img", AE_IFREG, NULL, 0, NULL);
	add(a, TOP "other/boot.img", AE_IFREG, misc, sizeof(misc) - 1, NULL);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* A pax tar whose one entry has a hole: 8 KiB of data, 16 KiB of hole,
 * 4 KiB of data, logical size 28 KiB. */
static void
write_sparse(const char *path, const uint8_t *data)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	archive_entry_set_pathname(e, "holes.img");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 28 << 10);
	archive_entry_sparse_add_entry(e, 0, 8 << 10);
	archive_entry_sparse_add_entry(e, 24 << 10, 4 << 10);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	/* The whole file: the writer leaves the hole out. */
	assert_int_equal(archive_write_data(a, data, 28 << 10), 28 << 10);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
}

static void
copy_cut(const char *from, const char *to, double at)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	struct stat st;
	long n;
	int ch;

	assert_non_null(in);
	assert_non_null(out);
	assert_int_equal(stat(from, &st), 0);
	n = (long)((double)st.st_size * at);
	while (n-- > 0 && (ch = fgetc(in)) != EOF)
		fputc(ch, out);
	fclose(in);
	fclose(out);
}

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/t_fbarchive.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	boot = malloc(BOOT_SZ);
	for (size_t i = 0; i < BOOT_SZ; i++)
		boot[i] = (uint8_t)rng();
	snprintf(tgz, sizeof(tgz), "%s/rom.tgz", dir);
	snprintf(zip, sizeof(zip), "%s/rom.zip", dir);
	snprintf(pax, sizeof(pax), "%s/holes.tar", dir);
	snprintf(cut, sizeof(cut), "%s/cut.tgz", dir);
	snprintf(plain, sizeof(plain), "%s/boot.img", dir);
	write_rom(tgz, 0);
	write_rom(zip, 1);
	holes = calloc(1, 28 << 10);
	memcpy(holes, boot, 8 << 10);
	memcpy(holes + (24 << 10), boot + (8 << 10), 4 << 10);
	write_sparse(pax, holes);
	/* Random data does not compress: half the .tgz is inside boot.img. */
	copy_cut(tgz, cut, 0.5);
	f = fopen(plain, "wb");
	if (f == NULL)
		return -1;
	fwrite(boot, 1, 4096, f);
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	const char *files[] = { tgz, zip, pax, cut, plain };

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(dir);
	free(boot);
	free(holes);
	return 0;
}

/* cmocka has a skip() macro. */
static int
src_skip(struct fb_image *img, uint64_t len)
{
	return (*img->src.skip)(img->src.ud, len);
}

/* Read the whole image in reads of varying size; it must equal want. */
static void
read_all(struct fb_image *img, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len + 1);
	size_t n = 0;

	for (;;) {
		size_t ask = 1 + rng() % 70000;
		ssize_t r = img->src.read(img->src.ud, got + n,
		    ask < len + 1 - n ? ask : len + 1 - n);

		assert_true(r >= 0);
		if (r == 0)
			break;
		n += (size_t)r;
		assert_true(n <= len);
	}
	assert_int_equal(n, len);
	assert_memory_equal(got, want, len);
	free(got);
}

static void
test_entry_bytes(void **state)
{
	const char *paths[] = { tgz, zip };
	struct fb_image img;
	char err[512], name[PATH_MAX + 64];

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(fb_image_open_archive(&img, paths[i], BOOT,
		    err, sizeof(err)), 0);
		assert_int_equal(img.size, BOOT_SZ);
		snprintf(name, sizeof(name), "%s:%s", paths[i], BOOT);
		assert_string_equal(img.name, name);
		assert_non_null(img.src.ud);
		/* Just opened: the rewind costs nothing and starts it. */
		assert_int_equal(img.rewind(img.src.ud, err, sizeof(err)), 0);
		read_all(&img, boot, BOOT_SZ);
		assert_string_equal(img.why(img.src.ud), "");
		/* Again, from the archive's start. */
		assert_int_equal(img.rewind(img.src.ud, err, sizeof(err)), 0);
		read_all(&img, boot, BOOT_SZ);
		/* Skipped over, then read: the rest is the rest. */
		assert_int_equal(img.rewind(img.src.ud, err, sizeof(err)), 0);
		assert_int_equal(src_skip(&img, 777777), 0);
		read_all(&img, boot + 777777, BOOT_SZ - 777777);
		/* Never past the end. */
		assert_int_equal(img.rewind(img.src.ud, err, sizeof(err)), 0);
		assert_int_equal(src_skip(&img, BOOT_SZ + 1),
		    DM_EINVAL);
		fb_image_close(&img);
		assert_null(img.src.ud);
	}
	/* "./" in front, on either side. */
	assert_int_equal(fb_image_open_archive(&img, tgz, "./" BOOT, err,
	    sizeof(err)), 0);
	read_all(&img, boot, BOOT_SZ);
	fb_image_close(&img);
}

static void
test_sparse_entry(void **state)
{
	struct fb_image img;
	const uint8_t *want = holes;
	char err[512];
	struct stat st;

	(void)state;
	/* The tar holds less than the entry's size: the hole is not in it. */
	assert_int_equal(stat(pax, &st), 0);
	assert_true(st.st_size < (28 << 10) + 3 * 512);
	assert_int_equal(fb_image_open_archive(&img, pax, "holes.img", err,
	    sizeof(err)), 0);
	assert_int_equal(img.size, 28 << 10);
	read_all(&img, want, 28 << 10);
	/* A skip across the hole. */
	assert_int_equal(img.rewind(img.src.ud, err, sizeof(err)), 0);
	assert_int_equal(src_skip(&img, 10 << 10), 0);
	read_all(&img, want + (10 << 10), 18 << 10);
	fb_image_close(&img);
}

static void
test_refused(void **state)
{
	struct fb_image img;
	char err[1024];

	(void)state;
	assert_int_equal(fb_image_open_archive(&img, tgz, "images/boot.img",
	    err, sizeof(err)), DM_ENOENT);
	assert_non_null(strstr(err, "has no entry images/boot.img (8 "
	    "entries); like it: " BOOT ", " TOP "other/boot.img"));
	assert_null(img.src.ud);
	assert_int_equal(fb_image_open_archive(&img, zip, "nothing.bin", err,
	    sizeof(err)), DM_ENOENT);
	assert_non_null(strstr(err, "none named like it"));
	assert_int_equal(fb_image_open_archive(&img, tgz, TOP "images", err,
	    sizeof(err)), DM_EINVAL);
	assert_non_null(strstr(err, "is a folder"));
	assert_int_equal(fb_image_open_archive(&img, zip,
	    TOP "images/boot_link.img", err, sizeof(err)), DM_EINVAL);
	assert_non_null(strstr(err, "is a symbolic link (to boot.img)"));
	assert_int_equal(fb_image_open_archive(&img, tgz,
	    TOP "images/boot_hard.img", err, sizeof(err)), DM_EINVAL);
	assert_non_null(strstr(err, "is a hard link to " BOOT));
	assert_int_equal(fb_image_open_archive(&img, tgz,
	    TOP "images/empty.img", err, sizeof(err)), DM_EINVAL);
	assert_non_null(strstr(err, "is empty"));
	assert_int_equal(fb_image_open_archive(&img, plain, "boot.img", err,
	    sizeof(err)), DM_EINVAL);
	assert_non_null(strstr(err, "is not an archive droidmedic can read"));
	assert_int_equal(fb_image_open_archive(&img, tgz, "./", err,
	    sizeof(err)), DM_EINVAL);
	assert_non_null(strstr(err, "which entry"));
	assert_int_equal(fb_image_open_archive(&img, dir, BOOT, err,
	    sizeof(err)), DM_EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	assert_true(fb_image_open_archive(&img, "/nonexistent/rom.tgz", BOOT,
	    err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "No such file"));
}

/* Cut inside boot.img: the header is there, the data stops; the read
 * fails and why() carries libarchive's words and where. */
static void
test_cut_inside(void **state)
{
	struct fb_image img;
	uint8_t *buf = malloc(BOOT_SZ);
	char err[512];
	ssize_t r = 0;
	size_t n = 0;

	(void)state;
	assert_int_equal(fb_image_open_archive(&img, cut, BOOT, err,
	    sizeof(err)), 0);
	assert_int_equal(img.size, BOOT_SZ);
	while (n < BOOT_SZ) {
		r = img.src.read(img.src.ud, buf + n, BOOT_SZ - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	assert_int_equal(r, DM_EIO);
	assert_true(n > 0 && n < BOOT_SZ);
	assert_memory_equal(buf, boot, n);
	assert_non_null(strstr(img.why(img.src.ud), "damaged or incomplete "
	    "at byte"));
	assert_non_null(strstr(img.why(img.src.ud), "runcated"));
	/* A rewind clears it and finds the same end. */
	assert_int_equal(img.rewind(img.src.ud, err, sizeof(err)), 0);
	assert_string_equal(img.why(img.src.ud), "");
	assert_int_equal(src_skip(&img, BOOT_SZ), DM_EIO);
	fb_image_close(&img);
	free(buf);
	/* An entry after the cut: the walk itself fails. */
	assert_int_equal(fb_image_open_archive(&img, cut, TOP "other/boot.img",
	    err, sizeof(err)), DM_EIO);
	assert_non_null(strstr(err, "is damaged or incomplete"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_bytes),
		cmocka_unit_test(test_sparse_entry),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_cut_inside),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
