/* sync.c - the sync: service (see sync.h), as adbd's file_sync_service
 * behaves (the shell user reads the shared storage through its group
 * bits, see shell_may_read()): requests are served in order; a failed
 * RECV or SEND sends FAIL and ends the service (a failed SEND first
 * swallows the DATA up to DONE);
 * LIST includes "." and ".." and ends with a DONE padded to a full entry.
 * Runs on the stream's thread. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adbd.h"
#include "err.h"
#include "log.h"
#include "phone.h"
#include "sync.h"
#include "vfs.h"
#include "xmem.h"
#include "bytes.h"

#define SYNC_DATA_MAX	65536
#define SYNC_PATH_MAX	1024

#define ID(s)	((uint32_t)(s)[0] | (uint32_t)(s)[1] << 8 | \
		(uint32_t)(s)[2] << 16 | (uint32_t)(s)[3] << 24)

#define SND2_DRY_RUN	0x80000000u
#define STAT2_SIZE	72	/* id + error + the stat fields */
#define DENT_SIZE	20
#define DNT2_SIZE	76

struct sync {
	struct adbd_stream *s;
	struct vfs *vfs;
	uint8_t *buf;		/* SYNC_DATA_MAX */
	int root;		/* adbd runs as root (recovery) */
};

/* What the shell user may read of the shared storage: it reaches it
 * through its groups (everybody, sdcard_rw), so a file needs the group
 * read bit and a folder read and search; root reads everything, and
 * /data/local/tmp is the shell's own. */
static int
shell_may_read(const struct sync *y, const char *devpath, const char *host)
{
	struct stat st;
	mode_t need;

	if (y->root || strncmp(devpath, "/data/local/tmp", 15) == 0 ||
	    stat(host, &st) < 0)
		return 1;
	need = S_ISDIR(st.st_mode) ? S_IRGRP | S_IXGRP : S_IRGRP;
	return (st.st_mode & need) == need;
}




static int
send_msg(struct sync *y, const char *id, uint32_t v)
{
	uint8_t m[8];

	memcpy(m, id, 4);
	le32_put(m + 4, v);
	return adbd_stream_write(y->s, m, sizeof(m));
}

static int
send_fail(struct sync *y, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
send_fail(struct sync *y, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;
	log_debug("sim", "sync FAIL %s", msg);
	rc = send_msg(y, "FAIL", (uint32_t)n);
	if (rc == 0)
		rc = adbd_stream_write(y->s, msg, (size_t)n);
	if (rc == 0)
		rc = adbd_stream_flush(y->s);
	return rc;
}

/* Owner as the phone shows it: shell in /data/local/tmp, root and the
 * "everybody" group on the shared storage. */
static void
ids_for(const char *devpath, uint32_t *uid, uint32_t *gid)
{
	if (strncmp(devpath, "/data/local/tmp", 15) == 0) {
		*uid = *gid = 2000;
	} else {
		*uid = 0;
		*gid = 9997;
	}
}

/* The 68 bytes after the id of STA2/LST2/DNT2. */
static void
fill_stat2(uint8_t *p, int err, const struct stat *st, const char *dev)
{
	uint32_t uid, gid;

	memset(p, 0, STAT2_SIZE - 4);
	le32_put(p, (uint32_t)err);
	if (err != 0)
		return;
	ids_for(dev, &uid, &gid);
	le64_put(p + 4, (uint64_t)st->st_dev);
	le64_put(p + 12, (uint64_t)st->st_ino);
	le32_put(p + 20, (uint32_t)st->st_mode);
	le32_put(p + 24, (uint32_t)st->st_nlink);
	le32_put(p + 28, uid);
	le32_put(p + 32, gid);
	le64_put(p + 36, (uint64_t)st->st_size);
	le64_put(p + 44, (uint64_t)st->st_atime);
	le64_put(p + 52, (uint64_t)st->st_mtime);
	le64_put(p + 60, (uint64_t)st->st_ctime);
}

static int
do_stat(struct sync *y, uint32_t id, const char *path)
{
	uint8_t r[STAT2_SIZE];
	struct stat st;
	char *host = NULL;
	int follow = id == ID("STA2");
	int e = vfs_resolve(y->vfs, path, follow ? 0 : VFS_NOFOLLOW, &host);

	if (e == 0 && (follow ? stat(host, &st) : lstat(host, &st)) < 0)
		e = -errno;
	free(host);
	le32_put(r, id);
	if (id == ID("STAT")) {
		/* v1: mode, size, mtime; all zero when missing. */
		memset(r + 4, 0, 12);
		if (e == 0) {
			le32_put(r + 4, (uint32_t)st.st_mode);
			le32_put(r + 8, (uint32_t)st.st_size);
			le32_put(r + 12, (uint32_t)st.st_mtime);
		}
		return adbd_stream_write(y->s, r, 16);
	}
	fill_stat2(r + 4, -e, &st, path);
	return adbd_stream_write(y->s, r, STAT2_SIZE);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
do_list(struct sync *y, uint32_t id, const char *path)
{
	int v2 = id == ID("LIS2"), rc = 0;
	uint8_t r[DNT2_SIZE];
	char *host = NULL, **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d = NULL;
	struct dirent *de;

	if (vfs_resolve(y->vfs, path, 0, &host) == 0 &&
	    shell_may_read(y, path, host))
		d = opendir(host);
	/* A folder we cannot read is an empty listing, as in adbd. */
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (d != NULL)
		closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct stat st;
		char *p = xasprintf("%s/%s", host, names[i]);
		size_t len = strlen(names[i]);

		if (lstat(p, &st) == 0) {
			if (v2) {
				memcpy(r, "DNT2", 4);
				fill_stat2(r + 4, 0, &st, path);
				le32_put(r + 72, (uint32_t)len);
			} else {
				memcpy(r, "DENT", 4);
				le32_put(r + 4, (uint32_t)st.st_mode);
				le32_put(r + 8, (uint32_t)st.st_size);
				le32_put(r + 12, (uint32_t)st.st_mtime);
				le32_put(r + 16, (uint32_t)len);
			}
			rc = adbd_stream_write(y->s, r, v2 ? DNT2_SIZE :
			    DENT_SIZE);
			if (rc == 0)
				rc = adbd_stream_write(y->s, names[i], len);
		}
		free(p);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(host);
	if (rc < 0)
		return rc;
	memset(r, 0, sizeof(r));
	memcpy(r, "DONE", 4);
	return adbd_stream_write(y->s, r, v2 ? DNT2_SIZE : DENT_SIZE);
}

/* RECV: the file as DATA chunks straight into the outgoing packet, then
 * DONE.  1 to go on, 0 when the service must end, negative dm_err. */
static int
do_recv(struct sync *y, const char *path)
{
	uint64_t done = 0;
	struct stat st;
	char *host = NULL;
	int fd = -1, e, rc = 1;

	e = vfs_resolve(y->vfs, path, 0, &host);
	if (e == 0 && !shell_may_read(y, path, host))
		e = -EACCES;
	if (e == 0 && (fd = open(host, O_RDONLY | O_CLOEXEC)) < 0)
		e = -errno;
	free(host);
	if (e < 0) {
		rc = send_fail(y, "open failed: %s", strerror(-e));
		return rc < 0 ? rc : 0;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		uint64_t room = adbd_stream_fault_room(y->s, done);
		size_t space, chunk;
		uint8_t *p;
		ssize_t n;

		if (room == 0) {
			/* A fault is due right here. */
			if (adbd_stream_progress(y->s, done) < 0) {
				rc = DM_ECLOSED;
				break;
			}
			continue;
		}
		p = adbd_stream_reserve(y->s, 8 + 4096, &space);
		if (p == NULL) {
			rc = DM_ECLOSED;
			break;
		}
		if (space <= 8) {
			/* Less than a header left: send what we have. */
			rc = adbd_stream_flush(y->s);
			if (rc < 0)
				break;
			continue;
		}
		chunk = space - 8 < SYNC_DATA_MAX ? space - 8 : SYNC_DATA_MAX;
		if (room < chunk)
			chunk = (size_t)room;
		n = read(fd, p + 8, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = send_fail(y, "read failed: %s", strerror(errno));
			rc = rc < 0 ? rc : 0;
			break;
		}
		if (n > 0) {
			memcpy(p, "DATA", 4);
			le32_put(p + 4, (uint32_t)n);
			rc = adbd_stream_commit(y->s, 8 + (size_t)n);
			if (rc < 0)
				break;
			done += (uint64_t)n;
		}
		if (n == 0) {
			rc = send_msg(y, "DONE", 0);
			rc = rc < 0 ? rc : 1;
			break;
		}
	}
	close(fd);
	return rc;
}

/* After a failure in SEND: drop DATA up to DONE. */
static int
swallow(struct sync *y)
{
	uint8_t m[8];

	for (;;) {
		uint32_t len;
		int rc = adbd_stream_read_full(y->s, m, sizeof(m));

		if (rc < 0)
			return rc;
		len = le32_get(m + 4);
		if (memcmp(m, "DONE", 4) == 0)
			return 0;
		if (memcmp(m, "DATA", 4) != 0 || len > SYNC_DATA_MAX)
			return DM_EPROTO;
		rc = adbd_stream_read_full(y->s, y->buf, len);
		if (rc < 0)
			return rc;
	}
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Make room for a new file at path: parents made, an old file or link
 * removed (adbd unlinks before writing).  *host malloc'ed; 0 or -errno. */
static int
prepare(struct sync *y, const char *path, char **host)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct stat st;
	int e = 0;

	*host = NULL;
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		e = vfs_mkdirs(y->vfs, dir, 0771, VFS_WRITE);
	}
	free(dir);
	if (e == 0)
		e = vfs_resolve(y->vfs, path, VFS_NOFOLLOW | VFS_WRITE, host);
	if (e == 0 && lstat(*host, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			e = -EISDIR;
		else if (unlink(*host) < 0)
			e = -errno;
	}
	if (e < 0) {
		free(*host);
		*host = NULL;
	}
	return e;
}

/* SEND/SND2 after the path and mode: DATA... DONE(mtime), then OKAY.
 * 1 to go on, 0 when the service must end, negative dm_err. */
static int
do_send(struct sync *y, const char *path, uint32_t mode, int dry)
{
	char *host = NULL, target[SYNC_PATH_MAX + 1];
	size_t tlen = 0;
	int fd = -1, e = 0, rc, link = S_ISLNK(mode);
	uint32_t mtime = 0;
	uint8_t m[8];
	const char *what = "couldn't create file";

	if (!dry) {
		e = prepare(y, path, &host);
		if (e == 0 && !link) {
			fd = open(host, O_WRONLY | O_CREAT | O_EXCL |
			    O_NOFOLLOW | O_CLOEXEC, (mode & 0777) | 0600);
			if (fd < 0)
				e = -errno;
		}
	}
	if (e < 0) {
		rc = send_fail(y, "%s: %s", what, strerror(-e));
		if (rc == 0)
			rc = swallow(y);
		free(host);
		return rc < 0 ? rc : 0;
	}
	for (;;) {
		uint32_t len;

		rc = adbd_stream_read_full(y->s, m, sizeof(m));
		if (rc < 0)
			goto out;
		len = le32_get(m + 4);
		if (memcmp(m, "DONE", 4) == 0) {
			mtime = len;
			break;
		}
		if (memcmp(m, "DATA", 4) != 0) {
			rc = send_fail(y, "invalid data message");
			rc = rc < 0 ? rc : 0;
			goto out;
		}
		if (len > SYNC_DATA_MAX) {
			rc = send_fail(y, "data too large: %u", len);
			rc = rc < 0 ? rc : 0;
			goto out;
		}
		rc = adbd_stream_read_full(y->s, y->buf, len);
		if (rc < 0)
			goto out;
		if (dry || e < 0)
			continue;
		if (link) {
			if (tlen + len > SYNC_PATH_MAX) {
				e = -ENAMETOOLONG;
				continue;
			}
			memcpy(target + tlen, y->buf, len);
			tlen += len;
		} else {
			e = write_all(fd, y->buf, len);
			if (e < 0)
				what = "write failed";
		}
	}
	if (!dry && e == 0 && link) {
		target[tlen] = '\0';
		if (symlink(target, host) < 0)
			e = -errno;
	} else if (!dry && e == 0) {
		/* The shared storage keeps its own modes (0660, as the
		 * sdcard file system shows every file); elsewhere the mode
		 * asked for. */
		mode_t want = strncmp(path, "/data/", 6) == 0 ||
		    strncmp(path, "/efs", 4) == 0 ? (mode_t)(mode & 07777) :
		    0660;

		if (fchmod(fd, want) < 0 || close(fd) < 0)
			e = -errno;
		fd = -1;
	}
	if (!dry && e == 0) {
		struct timespec ts[2] = { { (time_t)mtime, 0 },
		    { (time_t)mtime, 0 } };

		utimensat(AT_FDCWD, host, ts, AT_SYMLINK_NOFOLLOW);
	}
	if (e < 0) {
		rc = send_fail(y, "%s: %s", what, strerror(-e));
		if (host != NULL)
			unlink(host);
		rc = rc < 0 ? rc : 0;
		goto out;
	}
	rc = send_msg(y, "OKAY", 0);
	rc = rc < 0 ? rc : 1;
out:
	if (fd >= 0) {
		close(fd);
		if (rc <= 0 && host != NULL)
			unlink(host);
	}
	free(host);
	return rc;
}

/* "path,mode" of a v1 SEND. */
static int
send_v1(struct sync *y, char *arg)
{
	char *comma = strrchr(arg, ',');
	uint32_t mode = 0100644;

	if (comma != NULL) {
		*comma = '\0';
		mode = (uint32_t)strtoul(comma + 1, NULL, 10);
	}
	return do_send(y, arg, mode, 0);
}

static int
send_v2(struct sync *y, const char *path)
{
	uint8_t m[12];
	uint32_t mode, flags;
	int rc = adbd_stream_read_full(y->s, m, sizeof(m));

	if (rc < 0)
		return rc;
	mode = le32_get(m + 4);
	flags = le32_get(m + 8);
	if (memcmp(m, "SND2", 4) != 0) {
		rc = send_fail(y, "SND2 setup expected");
		return rc < 0 ? rc : 0;
	}
	if (flags & ~SND2_DRY_RUN) {
		/* We never offer sendrecv_v2_{brotli,lz4,zstd}. */
		rc = send_fail(y, "compression %#x not supported", flags);
		if (rc == 0)
			rc = swallow(y);
		return rc < 0 ? rc : 0;
	}
	return do_send(y, path, mode, (flags & SND2_DRY_RUN) != 0);
}

static int
recv_v2(struct sync *y, const char *path)
{
	uint8_t m[8];
	int rc = adbd_stream_read_full(y->s, m, sizeof(m));

	if (rc < 0)
		return rc;
	if (memcmp(m, "RCV2", 4) != 0 || le32_get(m + 4) != 0) {
		rc = send_fail(y, "compression %#x not supported",
		    le32_get(m + 4));
		return rc < 0 ? rc : 0;
	}
	return do_recv(y, path);
}

int
sync_service(struct adbd_stream *s, const char *service)
{
	struct phone *ph = adbd_stream_phone(s);
	struct sync y = { s, phone_vfs(ph), xmalloc(SYNC_DATA_MAX),
	    phone_mode(ph) == SIM_MODE_RECOVERY };
	char path[SYNC_PATH_MAX + 1];
	int rc = 1;

	/* rc: 1 serve the next request, 0 end, negative dm_err. */
	while (rc > 0) {
		uint8_t m[8];
		uint32_t id, len;

		rc = adbd_stream_read_full(s, m, sizeof(m));
		if (rc < 0)
			break;
		id = le32_get(m);
		len = le32_get(m + 4);
		if (id == ID("QUIT")) {
			rc = 0;
			break;
		}
		if (len > SYNC_PATH_MAX) {
			rc = send_fail(&y, "path too long");
			break;
		}
		rc = adbd_stream_read_full(s, path, len);
		if (rc < 0)
			break;
		path[len] = '\0';
		log_debug("sim", "sync %.4s %s", (const char *)m, path);
		if (id == ID("STAT") || id == ID("STA2") || id == ID("LST2")) {
			rc = do_stat(&y, id, path);
			rc = rc < 0 ? rc : 1;
		} else if (id == ID("LIST") || id == ID("LIS2")) {
			rc = do_list(&y, id, path);
			rc = rc < 0 ? rc : 1;
		} else if (id == ID("RECV")) {
			rc = do_recv(&y, path);
		} else if (id == ID("RCV2")) {
			rc = recv_v2(&y, path);
		} else if (id == ID("SEND")) {
			rc = send_v1(&y, path);
		} else if (id == ID("SND2")) {
			rc = send_v2(&y, path);
		} else {
			rc = send_fail(&y, "unknown command %08x", id);
			rc = rc < 0 ? rc : 0;
		}
	}
	free(y.buf);
	return rc < 0 ? rc : 0;
}
