/* t_simvfs.c - the simulated phone's files: device paths onto the state
 * directory, confinement ("..", symlinks out, paths outside), mkdir -p,
 * and the seeded storage a profile describes. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "profile.h"
#include "vfs.h"

static char root[64];
static struct vfs *v;

static int
setup(void **state)
{
	char dir[128];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/t_simvfs.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/phone", root);
	return vfs_new(&v, dir) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	vfs_free(v);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* Resolve and compare with the expected host path under root/phone. */
static void
expect(const char *dev, int flags, const char *rel)
{
	char *host = NULL, want[256];

	assert_int_equal(vfs_resolve(v, dev, flags, &host), 0);
	snprintf(want, sizeof(want), "%s/phone/%s", root, rel);
	assert_string_equal(host, want);
	free(host);
}

static void
expect_err(const char *dev, int flags, int err)
{
	char *host = (char *)"unset";

	assert_int_equal(vfs_resolve(v, dev, flags, &host), -err);
	assert_null(host);
}

static void
test_mapping(void **state)
{
	(void)state;
	expect("/sdcard", 0, "storage");
	expect("/sdcard/", 0, "storage");
	expect("/sdcard/x.jpg", 0, "storage/x.jpg");
	expect("/storage/emulated/0/x.jpg", 0, "storage/x.jpg");
	expect("/storage/self/primary//./x.jpg", 0, "storage/x.jpg");
	expect("/data/local/tmp/a.apk", 0, "tmp/a.apk");
	/* Not ours: everything else, and look-alike prefixes. */
	expect_err("/", 0, EACCES);
	expect_err("/etc/passwd", 0, EACCES);
	expect_err("/data/local", 0, EACCES);
	expect_err("/sdcardX/y", 0, EACCES);
	expect_err("/storage/emulated/10/x", 0, EACCES);
	expect_err("sdcard/x", 0, EACCES);
	expect_err("", 0, EACCES);
}

static void
test_dotdot_refused(void **state)
{
	char longp[1100];

	(void)state;
	expect_err("/sdcard/..", 0, EACCES);
	expect_err("/sdcard/../etc/passwd", 0, EACCES);
	expect_err("/sdcard/a/../../../etc/passwd", 0, EACCES);
	expect_err("/sdcard/DCIM/../x", 0, EACCES);
	expect_err("/data/local/tmp/../../../../etc/shadow", 0, EACCES);
	/* Names that merely contain dots are fine. */
	assert_int_equal(vfs_mkdirs(v, "/sdcard/..a.b..", 0700, 0), 0);
	expect("/sdcard/..a.b../...", 0, "storage/..a.b../...");
	memset(longp, 'a', sizeof(longp) - 1);
	memcpy(longp, "/sdcard/", 8);
	longp[sizeof(longp) - 1] = '\0';
	expect_err(longp, 0, ENAMETOOLONG);
}

static void
test_symlinks(void **state)
{
	char link[256], target[256];

	(void)state;
	assert_int_equal(vfs_mkdirs(v, "/sdcard/DCIM/Camera", 0771, 0), 0);
	/* A link out of the tree, as a file and as a folder. */
	snprintf(link, sizeof(link), "%s/phone/storage/out", root);
	assert_int_equal(symlink("/etc", link), 0);
	snprintf(link, sizeof(link), "%s/phone/storage/passwd", root);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	expect_err("/sdcard/passwd", 0, EACCES);
	expect_err("/sdcard/out/passwd", 0, EACCES);
	expect_err("/sdcard/out", 0, EACCES);
	assert_int_equal(vfs_mkdirs(v, "/sdcard/out/evil", 0700, 0), -EACCES);
	/* The link itself may be looked at (lstat, unlink). */
	expect("/sdcard/passwd", VFS_NOFOLLOW, "storage/passwd");
	/* A link into the other tree is out of this one. */
	snprintf(link, sizeof(link), "%s/phone/storage/totmp", root);
	snprintf(target, sizeof(target), "%s/phone/tmp", root);
	assert_int_equal(symlink(target, link), 0);
	expect_err("/sdcard/totmp/x", 0, EACCES);
	/* Links that stay inside work, relative or absolute. */
	snprintf(link, sizeof(link), "%s/phone/storage/cam", root);
	assert_int_equal(symlink("DCIM/Camera", link), 0);
	expect("/sdcard/cam/x.jpg", 0, "storage/cam/x.jpg");
	snprintf(link, sizeof(link), "%s/phone/storage/dangling", root);
	assert_int_equal(symlink("/nonexistent/x", link), 0);
	expect_err("/sdcard/dangling", 0, ENOENT);
}

static void
test_missing_parent(void **state)
{
	(void)state;
	expect_err("/sdcard/no/such/dir/file", 0, ENOENT);
	expect("/sdcard/newfile", 0, "storage/newfile");
	assert_int_equal(vfs_mkdirs(v, "/sdcard/no/such/dir", 0771, 0), 0);
	expect("/sdcard/no/such/dir/file", 0, "storage/no/such/dir/file");
	assert_int_equal(vfs_mkdirs(v, "/storage/emulated/0/deep/er", 0771, 0),
	    0);
	assert_int_equal(vfs_mkdirs(v, "/etc/x", 0771, 0), -EACCES);
}

static void
test_pattern(void **state)
{
	uint8_t a[64], b[64], c[64];

	(void)state;
	vfs_pattern(7, 0, a, sizeof(a));
	vfs_pattern(7, 13, b, 40);
	assert_memory_equal(a + 13, b, 40);
	vfs_pattern(8, 0, c, sizeof(c));
	assert_memory_not_equal(a, c, sizeof(a));
}

static void
test_populate(void **state)
{
	struct storage_entry e[] = {
		{ .path = (char *)"/sdcard/DCIM/Camera/IMG_1.jpg",
		    .size = 300000, .seed = 42, .mtime = 1700000000,
		    .mode = 0640 },
		{ .path = (char *)"/sdcard/Documents/a.txt",
		    .text = (char *)"hello\n", .mtime = 1600000000,
		    .mode = 0660 },
		{ .path = (char *)"/sdcard/Music", .is_dir = 1,
		    .mtime = 1500000000, .mode = 0771 },
	};
	char path[256], err[256];
	uint8_t *got, *want;
	struct stat st;
	FILE *fp;

	(void)state;
	assert_int_equal(vfs_populate(v, e, 3, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/phone/storage/DCIM/Camera/IMG_1.jpg",
	    root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 300000);
	assert_int_equal(st.st_mtime, 1700000000);
	assert_int_equal(st.st_mode & 0777, 0640);
	got = malloc(300000);
	want = malloc(300000);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(got, 1, 300000, fp), 300000);
	fclose(fp);
	vfs_pattern(42, 0, want, 300000);
	assert_memory_equal(got, want, 300000);
	free(got);
	free(want);
	snprintf(path, sizeof(path), "%s/phone/storage/Documents/a.txt", root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 6);
	snprintf(path, sizeof(path), "%s/phone/storage/Music", root);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mtime, 1500000000);
	/* Again: the big file is kept, nothing breaks. */
	assert_int_equal(vfs_populate(v, e, 3, err, sizeof(err)), 0);
	/* Outside the trees: refused with the path named. */
	e[0].path = (char *)"/system/build.prop";
	assert_int_equal(vfs_populate(v, e, 1, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "/system/build.prop"));
}

/* Samsung's /efs: root reaches it, the shell user does not. */
static void
test_efs_root_only(void **state)
{
	(void)state;
	expect_err("/efs/FactoryApp/keystr", 0, EACCES);
	assert_int_equal(vfs_mkdirs(v, "/efs/FactoryApp", 0771, 0), -EACCES);
	assert_int_equal(vfs_mkdirs(v, "/efs/FactoryApp", 0771, VFS_ROOT), 0);
	expect("/efs/FactoryApp/keystr", VFS_ROOT, "efs/FactoryApp/keystr");
	expect_err("/efs/../sdcard", VFS_ROOT, EACCES);
}

/* Erasing userdata empties storage and tmp; /efs is another partition. */
static void
test_wipe_keeps_efs(void **state)
{
	char *a = NULL, *b = NULL, *c = NULL;
	FILE *f;

	(void)state;
	assert_int_equal(vfs_mkdirs(v, "/sdcard/DCIM/Wiped", 0771, 0), 0);
	assert_int_equal(vfs_mkdirs(v, "/efs/Kept", 0771, VFS_ROOT), 0);
	assert_int_equal(vfs_resolve(v, "/sdcard/DCIM/Wiped/a.jpg", 0, &a), 0);
	assert_int_equal(vfs_resolve(v, "/data/local/tmp/b", 0, &b), 0);
	assert_int_equal(vfs_resolve(v, "/efs/Kept/c", VFS_ROOT, &c), 0);
	assert_non_null(f = fopen(a, "w"));
	fclose(f);
	assert_non_null(f = fopen(b, "w"));
	fclose(f);
	assert_non_null(f = fopen(c, "w"));
	fclose(f);
	assert_int_equal(vfs_wipe(v), 0);
	assert_int_not_equal(access(a, F_OK), 0);
	assert_int_not_equal(access(b, F_OK), 0);
	assert_int_equal(access(c, F_OK), 0);
	/* The trees themselves stay, empty. */
	expect("/sdcard", 0, "storage");
	assert_int_equal(vfs_mkdirs(v, "/sdcard/again", 0771, 0), 0);
	free(a);
	free(b);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_dotdot_refused),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_missing_parent),
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_populate),
		cmocka_unit_test(test_efs_root_only),
		cmocka_unit_test(test_wipe_keeps_efs),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
