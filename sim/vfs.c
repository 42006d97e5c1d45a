/* vfs.c - device paths onto host folders, confined (see vfs.h).  Any
 * thread: the main thread populates storage at start-up, connection and
 * stream threads resolve paths for sync and shell commands. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile.h"
#include "vfs.h"
#include "xmem.h"

#define VFS_MAX_PATH	1024	/* the sync protocol's limit, too */

enum { TREE_STORAGE, TREE_TMP, TREE_EFS, TREE_APP, NTREES };

struct vfs {
	char *root[NTREES];	/* as created */
	char *real[NTREES];	/* realpath() of each, for containment */
};

static const struct {
	const char *prefix;
	int tree;
} mounts[] = {
	{ "/sdcard", TREE_STORAGE },
	{ "/storage/emulated/0", TREE_STORAGE },
	{ "/storage/self/primary", TREE_STORAGE },
	{ "/data/local/tmp", TREE_TMP },
	{ "/efs", TREE_EFS },		/* Samsung's; root only */
	{ "/data/app", TREE_APP },	/* APKs: read, not listed, not written */
};

static int
mkdir_one(const char *path, unsigned mode)
{
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

int
vfs_new(struct vfs **out, const char *dir)
{
	static const char *const names[NTREES] = { "storage", "tmp",
	    "efs", "app" };
	struct vfs *v = xcalloc(1, sizeof(*v));
	int rc;

	*out = NULL;
	rc = mkdir_one(dir, 0700);
	for (int i = 0; i < NTREES && rc == 0; i++) {
		v->root[i] = xasprintf("%s/%s", dir, names[i]);
		rc = mkdir_one(v->root[i], 0771);
		if (rc == 0) {
			v->real[i] = realpath(v->root[i], NULL);
			if (v->real[i] == NULL)
				rc = -errno;
		}
	}
	if (rc < 0) {
		vfs_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

void
vfs_free(struct vfs *v)
{
	if (v == NULL)
		return;
	for (int i = 0; i < NTREES; i++) {
		free(v->root[i]);
		free(v->real[i]);
	}
	free(v);
}

static int
wipe_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	if (f->level == 0)
		return 0;	/* the tree itself stays */
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

int
vfs_wipe(const struct vfs *v)
{
	/* userdata holds storage and /data/local/tmp; /efs is apart. */
	for (int i = TREE_STORAGE; i <= TREE_TMP; i++)
		if (nftw(v->root[i], wipe_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
			return -errno;
	return 0;
}

const char *
vfs_storage_dir(const struct vfs *v)
{
	return v->root[TREE_STORAGE];
}

static int
inside(const char *real, const char *root)
{
	size_t n = strlen(root);

	return strncmp(real, root, n) == 0 &&
	    (real[n] == '/' || real[n] == '\0');
}

/* Does devpath start with the mount prefix (whole components)?  Returns
 * the rest ("" or "/x/y"), or NULL. */
static const char *
match_mount(const char *devpath, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(devpath, prefix, n) != 0)
		return NULL;
	if (devpath[n] != '\0' && devpath[n] != '/')
		return NULL;
	return devpath + n;
}

int
vfs_resolve(const struct vfs *v, const char *devpath, int flags, char **out)
{
	char norm[VFS_MAX_PATH + 2], *host = NULL, *parent = NULL;
	char *real = NULL;
	const char *p = devpath, *rest = NULL, *slash;
	size_t w = 0;
	int tree = -1, rc;
	struct stat st;

	*out = NULL;
	if (devpath[0] != '/')
		return -EACCES;
	if (strlen(devpath) > VFS_MAX_PATH)
		return -ENAMETOOLONG;
	/* Normalise: no "", no "."; ".." is refused rather than resolved. */
	while (*p != '\0') {
		size_t len;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return -EACCES;
		if (!(len == 1 && p[0] == '.')) {
			norm[w++] = '/';
			memcpy(norm + w, p, len);
			w += len;
		}
		p += len;
	}
	norm[w] = '\0';
	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		rest = match_mount(norm, mounts[i].prefix);
		if (rest != NULL) {
			tree = mounts[i].tree;
			break;
		}
	}
	if (tree < 0 || (tree == TREE_EFS && !(flags & VFS_ROOT)))
		return -EACCES;
	if (tree == TREE_APP && !(flags & VFS_ROOT) && ((flags & VFS_WRITE) ||
	    *rest == '\0'))
		return -EACCES;
	host = xasprintf("%s%s", v->root[tree], rest);
	if (*rest == '\0')
		goto done;
	/* The directory part must exist and resolve inside the tree. */
	parent = xstrdup(host);
	*strrchr(parent, '/') = '\0';
	real = realpath(parent, NULL);
	if (real == NULL) {
		rc = -errno;
		goto fail;
	}
	if (!inside(real, v->real[tree])) {
		rc = -EACCES;
		goto fail;
	}
	if (flags & VFS_NOFOLLOW)
		goto done;
	if (lstat(host, &st) == 0 && S_ISLNK(st.st_mode)) {
		free(real);
		real = realpath(host, NULL);
		if (real == NULL) {
			/* A dangling link: we cannot tell where it would go. */
			rc = errno == ENOENT ? -ENOENT : -errno;
			goto fail;
		}
		if (!inside(real, v->real[tree])) {
			rc = -EACCES;
			goto fail;
		}
	}
done:
	free(parent);
	free(real);
	*out = host;
	return 0;
fail:
	free(parent);
	free(real);
	free(host);
	return rc;
}

int
vfs_mkdirs(const struct vfs *v, const char *devdir, unsigned mode,
    int flags)
{
	char path[VFS_MAX_PATH + 1];
	size_t n = strlen(devdir);
	int rc = 0;

	if (n > VFS_MAX_PATH)
		return -ENAMETOOLONG;
	memcpy(path, devdir, n + 1);
	/* Each prefix in turn, so every step is checked for escapes. */
	for (size_t i = 1; i <= n && rc == 0; i++) {
		char *host;
		struct stat st;

		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		rc = vfs_resolve(v, path, flags & (VFS_ROOT | VFS_WRITE),
		    &host);
		if (rc == -EACCES && i < n) {
			/* "/storage" on the way to "/storage/emulated/0". */
			rc = 0;
		} else if (rc == 0) {
			if (stat(host, &st) < 0)
				rc = mkdir_one(host, mode);
			else if (!S_ISDIR(st.st_mode))
				rc = -ENOTDIR;
			free(host);
		}
		if (i < n)
			path[i] = '/';
	}
	return rc;
}

void
vfs_pattern(uint64_t seed, uint64_t offset, uint8_t *buf, size_t len)
{
	uint64_t k = offset / 8;
	size_t skip = (size_t)(offset % 8), w = 0;

	while (w < len) {
		uint64_t z = seed + (k + 1) * 0x9e3779b97f4a7c15ull;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		for (size_t b = skip; b < 8 && w < len; b++)
			buf[w++] = (uint8_t)(z >> (8 * b));
		skip = 0;
		k++;
	}
}

static int
write_entry(const char *host, const struct storage_entry *e)
{
	static const size_t chunk = 1 << 20;
	struct stat st;
	uint8_t *buf = NULL;
	uint64_t size = e->text ? strlen(e->text) : e->size;
	int fd, rc = 0;

	if (stat(host, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size == size && e->text == NULL)
		return 0;
	fd = open(host, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    e->mode & 07777);
	if (fd < 0)
		return -errno;
	if (e->text != NULL) {
		if (write(fd, e->text, size) != (ssize_t)size)
			rc = -EIO;
	} else {
		buf = xmalloc(chunk);
		for (uint64_t off = 0; off < size && rc == 0; off += chunk) {
			size_t n = size - off < chunk ? (size_t)(size - off) :
			    chunk;

			vfs_pattern(e->seed, off, buf, n);
			if (write(fd, buf, n) != (ssize_t)n)
				rc = errno ? -errno : -EIO;
		}
		free(buf);
	}
	if (fchmod(fd, e->mode & 07777) < 0 && rc == 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

static int
set_mtime(const char *host, int64_t mtime)
{
	struct timespec ts[2];

	if (mtime == 0)
		return 0;
	ts[0].tv_sec = ts[1].tv_sec = (time_t)mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	return utimensat(AT_FDCWD, host, ts, AT_SYMLINK_NOFOLLOW) < 0 ?
	    -errno : 0;
}

void
vfs_apk_spec(const char *pkg, size_t k, uint64_t *seed, uint64_t *size)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *c = pkg; *c; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ull;
	*seed = h + k;
	*size = k == 0 ? 40000 + h % 60000 : 5000 + (h >> 8) % 9000;
}

int
vfs_put_pattern(const struct vfs *v, const char *devpath, uint64_t seed,
    uint64_t size)
{
	char *dir = xstrdup(devpath), *slash = strrchr(dir, '/'), *host = NULL;
	uint8_t buf[65536];
	struct stat st;
	uint64_t off = 0;
	FILE *f;
	int rc = 0;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		rc = vfs_mkdirs(v, dir, 0755, VFS_ROOT);
	}
	free(dir);
	if (rc == 0)
		rc = vfs_resolve(v, devpath, VFS_NOFOLLOW | VFS_ROOT, &host);
	if (rc < 0)
		return rc;
	if (stat(host, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size == size) {
		free(host);
		return 0;
	}
	f = fopen(host, "wb");
	if (f == NULL) {
		rc = -errno;
		free(host);
		return rc;
	}
	while (off < size && rc == 0) {
		size_t k = size - off > sizeof(buf) ? sizeof(buf) :
		    (size_t)(size - off);

		vfs_pattern(seed, off, buf, k);
		if (fwrite(buf, 1, k, f) != k)
			rc = -EIO;
		off += k;
	}
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc == 0)
		chmod(host, 0644);
	free(host);
	return rc;
}

int
vfs_populate(const struct vfs *v, const struct storage_entry *e, size_t n,
    char *err, size_t errlen)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		char *host = NULL, *dir = xstrdup(e[i].path), *slash;

		slash = strrchr(dir, '/');
		if (e[i].is_dir) {
			rc = vfs_mkdirs(v, e[i].path, e[i].mode, VFS_ROOT);
		} else if (slash != NULL && slash != dir) {
			*slash = '\0';
			rc = vfs_mkdirs(v, dir, 0771, VFS_ROOT);
		}
		if (rc == 0)
			rc = vfs_resolve(v, e[i].path, VFS_NOFOLLOW | VFS_ROOT,
			    &host);
		if (rc == 0 && !e[i].is_dir)
			rc = write_entry(host, &e[i]);
		if (rc < 0)
			snprintf(err, errlen, "storage %s: %s", e[i].path,
			    strerror(-rc));
		free(host);
		free(dir);
	}
	/* Times last: making files inside a folder touches the folder. */
	for (size_t i = n; i-- > 0 && rc == 0;) {
		char *host = NULL;

		rc = vfs_resolve(v, e[i].path, VFS_NOFOLLOW | VFS_ROOT,
		    &host);
		if (rc == 0)
			rc = set_mtime(host, e[i].mtime);
		if (rc < 0)
			snprintf(err, errlen, "storage %s: %s", e[i].path,
			    strerror(-rc));
		free(host);
	}
	return rc;
}
