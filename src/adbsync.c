/* adbsync.c - the sync service, host side (see adbsync.h).  Runs on the
 * calling thread; owns its stream. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "adb.h"
#include "adbsync.h"
#include "err.h"
#include "xmem.h"
#include "bytes.h"

#define SYNC_DATA_MAX	(64 * 1024)
#define SYNC_PATH_MAX	1024
#define SYNC_MS		30000
#define PULL_WINDOW	16

struct adbsync {
	struct adb_conn *c;
	struct adb_stream *st;
	int v2;			/* stat_v2 and ls_v2 */
	uint8_t *buf;		/* SYNC_DATA_MAX */
};

struct entry {
	char *remote, *local;
	uint32_t mode;
	uint64_t size;
	int64_t mtime;
};

struct plan {
	struct entry *files;
	size_t n, cap;
	uint64_t total;
};




struct adbsync *
adbsync_open(struct adb_conn *c, char *err, size_t errlen)
{
	struct adb_stream *st = adb_open(c, "sync:", err, errlen);
	struct adbsync *s;

	if (st == NULL)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->c = c;
	s->st = st;
	s->v2 = adb_has_feature(c, "stat_v2") && adb_has_feature(c, "ls_v2");
	s->buf = xmalloc(SYNC_DATA_MAX);
	return s;
}

void
adbsync_close(struct adbsync *s)
{
	uint8_t quit[8];

	if (s == NULL)
		return;
	if (s->st == NULL) {	/* a reopen that failed */
		free(s->buf);
		free(s);
		return;
	}
	memcpy(quit, "QUIT", 4);
	le32_put(quit + 4, 0);
	adb_stream_write(s->st, quit, sizeof(quit), 2000);
	adb_stream_close(s->st);
	free(s->buf);
	free(s);
}

static int
request(struct adbsync *s, const char *id, const char *path, size_t len)
{
	uint8_t hdr[8 + SYNC_PATH_MAX];

	if (len > SYNC_PATH_MAX)
		return DM_EINVAL;
	memcpy(hdr, id, 4);
	le32_put(hdr + 4, (uint32_t)len);
	memcpy(hdr + 8, path, len);
	return adb_stream_write(s->st, hdr, 8 + len, SYNC_MS);
}

static int
rd(struct adbsync *s, void *buf, size_t len)
{
	int n = adb_stream_read_full(s->st, buf, len, SYNC_MS);

	return n < 0 ? n : 0;
}

/* A FAIL reply's text into err. */
static int
read_fail(struct adbsync *s, uint32_t len, const char *what, char *err,
    size_t errlen)
{
	char msg[256];
	size_t keep = len < sizeof(msg) - 1 ? len : sizeof(msg) - 1;
	int rc;

	rc = rd(s, msg, keep);
	if (rc < 0)
		return dm_fail(err, errlen, rc, "%s: truncated failure", what);
	msg[keep] = '\0';
	for (uint32_t skip = len - (uint32_t)keep; skip > 0; ) {
		size_t n = skip > SYNC_DATA_MAX ? SYNC_DATA_MAX : skip;

		if (rd(s, s->buf, n) < 0)
			break;
		skip -= (uint32_t)n;
	}
	return dm_fail(err, errlen, DM_EIO, "%s: %s", what, msg);
}

int
adbsync_stat(struct adbsync *s, const char *path, struct adbsync_stat *st)
{
	uint8_t r[72];
	int rc;

	memset(st, 0, sizeof(*st));
	rc = request(s, s->v2 ? "LST2" : "STAT", path, strlen(path));
	if (rc < 0)
		return rc;
	if (s->v2) {
		rc = rd(s, r, 72);
		if (rc < 0)
			return rc;
		if (memcmp(r, "LST2", 4) != 0)
			return DM_EPROTO;
		st->error = (int)le32_get(r + 4);
		st->mode = le32_get(r + 24);
		st->size = le64_get(r + 40);
		st->mtime = (int64_t)le64_get(r + 56);
		if (st->error != 0)
			st->mode = 0;
		return 0;
	}
	rc = rd(s, r, 16);
	if (rc < 0)
		return rc;
	if (memcmp(r, "STAT", 4) != 0)
		return DM_EPROTO;
	st->mode = le32_get(r + 4);
	st->size = le32_get(r + 8);
	st->mtime = le32_get(r + 12);
	return 0;
}

/* ---- listing ------------------------------------------------------------- */

typedef int (*list_fn)(void *ud, const char *name, const struct adbsync_stat *st);

static int
list_dir(struct adbsync *s, const char *path, list_fn fn, void *ud,
    char *err, size_t errlen)
{
	size_t dent = s->v2 ? 76 : 20;
	uint8_t d[76];
	char name[1025];
	int rc, cbrc = 0;

	rc = request(s, s->v2 ? "LIS2" : "LIST", path, strlen(path));
	if (rc < 0)
		return dm_fail(err, errlen, rc, "list %s: %s", path,
		    adb_stream_error(s->st));
	for (;;) {
		struct adbsync_stat st;
		uint32_t namelen;

		rc = rd(s, d, dent);
		if (rc < 0)
			return dm_fail(err, errlen, rc, "list %s: %s", path,
			    adb_stream_error(s->st));
		if (memcmp(d, "DONE", 4) == 0)
			return cbrc;
		if (memcmp(d, "FAIL", 4) == 0)
			return dm_fail(err, errlen, DM_EPROTO,
			    "list %s: phone failed", path);
		if (memcmp(d, s->v2 ? "DNT2" : "DENT", 4) != 0)
			return dm_fail(err, errlen, DM_EPROTO,
			    "list %s: unexpected reply", path);
		memset(&st, 0, sizeof(st));
		if (s->v2) {
			st.error = (int)le32_get(d + 4);
			st.mode = le32_get(d + 24);
			st.size = le64_get(d + 40);
			st.mtime = (int64_t)le64_get(d + 56);
			namelen = le32_get(d + 72);
		} else {
			st.mode = le32_get(d + 4);
			st.size = le32_get(d + 8);
			st.mtime = le32_get(d + 12);
			namelen = le32_get(d + 16);
		}
		if (namelen > 1024)
			return dm_fail(err, errlen, DM_EPROTO,
			    "list %s: name of %u bytes", path, namelen);
		rc = rd(s, name, namelen);
		if (rc < 0)
			return dm_fail(err, errlen, rc, "list %s: truncated",
			    path);
		name[namelen] = '\0';
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    memchr(name, '/', namelen) != NULL || namelen == 0 ||
		    strlen(name) != namelen)
			continue;	/* never let a name climb out */
		if (cbrc == 0)
			cbrc = fn(ud, name, &st);
	}
}

struct walk {
	struct plan *plan;
	char **dirs;		/* remote dirs still to list (stack) */
	char **ldirs;		/* their local counterparts */
	size_t ndirs, capdirs;
	const char *remote, *local;
	uint64_t skipped;
	char *cur_remote, *cur_local;
};

static void
push_dir(struct walk *w, char *remote, char *local)
{
	if (w->ndirs == w->capdirs) {
		w->capdirs = w->capdirs ? w->capdirs * 2 : 16;
		w->dirs = xrealloc(w->dirs, w->capdirs * sizeof(char *));
		w->ldirs = xrealloc(w->ldirs, w->capdirs * sizeof(char *));
	}
	w->dirs[w->ndirs] = remote;
	w->ldirs[w->ndirs] = local;
	w->ndirs++;
}

static void
plan_add(struct plan *p, char *remote, char *local,
    const struct adbsync_stat *st)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->files = xrealloc(p->files, p->cap * sizeof(*p->files));
	}
	p->files[p->n].remote = remote;
	p->files[p->n].local = local;
	p->files[p->n].mode = st->mode;
	p->files[p->n].size = st->size;
	p->files[p->n].mtime = st->mtime;
	p->n++;
	p->total += st->size;
}

static int
walk_cb(void *ud, const char *name, const struct adbsync_stat *st)
{
	struct walk *w = ud;
	char *r = xasprintf("%s/%s", w->cur_remote, name);
	char *l = xasprintf("%s/%s", w->cur_local, name);

	if (S_ISDIR(st->mode)) {
		push_dir(w, r, l);
	} else if (S_ISREG(st->mode)) {
		plan_add(w->plan, r, l, st);
	} else {
		w->skipped++;	/* links, devices, sockets */
		free(r);
		free(l);
	}
	return 0;
}

static void
plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->files[i].remote);
		free(p->files[i].local);
	}
	free(p->files);
}

/* ---- pull ---------------------------------------------------------------- */

static void
set_times(const char *path, int64_t mtime, uint32_t mode)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = (time_t)mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	utimensat(AT_FDCWD, path, ts, 0);
	if (mode != 0)
		chmod(path, (mode_t)(mode & 0777));
}

/* Read one RECV answer into fd; adds to *done. */
static int
recv_one(struct adbsync *s, const struct entry *e, int fd, uint64_t *done,
    uint64_t total, adbsync_progress_fn progress, void *ud, char *err,
    size_t errlen)
{
	uint8_t h[8];
	int rc;

	for (;;) {
		uint32_t len;

		rc = rd(s, h, 8);
		if (rc < 0)
			return dm_fail(err, errlen, rc, "pull %s: %s",
			    e->remote, adb_stream_error(s->st));
		len = le32_get(h + 4);
		if (memcmp(h, "DONE", 4) == 0)
			return 0;
		if (memcmp(h, "FAIL", 4) == 0)
			return read_fail(s, len, e->remote, err, errlen);
		if (memcmp(h, "DATA", 4) != 0 || len > SYNC_DATA_MAX)
			return dm_fail(err, errlen, DM_EPROTO,
			    "pull %s: bad reply from the phone", e->remote);
		{
			int werr;

			rc = adb_stream_read_fd(s->st, fd, len, SYNC_MS, &werr);
			if (werr != 0)
				return dm_fail(err, errlen, rc, "write %s: %s",
				    e->local, strerror(werr));
			if (rc < 0)
				return dm_fail(err, errlen, rc, "pull %s: %s",
				    e->remote, adb_stream_error(s->st));
		}
		*done += len;
		if (progress != NULL && progress(ud, *done, total, e->remote))
			return DM_ECANCEL;
	}
}

static int
pull_plan(struct adbsync *s, struct plan *p, adbsync_progress_fn progress,
    void *ud, uint64_t *bytes, char *err, size_t errlen)
{
	size_t sent = 0;
	uint64_t done = 0;
	int rc = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct entry *e = &p->files[i];
		struct stat st;
		int fd, regular;

		/* Keep up to PULL_WINDOW requests in flight. */
		while (rc == 0 && sent < p->n && sent < i + PULL_WINDOW) {
			rc = request(s, "RECV", p->files[sent].remote,
			    strlen(p->files[sent].remote));
			sent++;
		}
		if (rc < 0)
			return dm_fail(err, errlen, rc, "pull: %s",
			    adb_stream_error(s->st));
		fd = open(e->local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);
		if (fd < 0) {
			int e2 = errno;

			/* Drain this answer to stay in step, then fail. */
			recv_one(s, e, -1, &done, p->total, NULL, NULL, err,
			    errlen);
			return dm_fail(err, errlen, dm_from_errno(e2),
			    "cannot create %s: %s", e->local, strerror(e2));
		}
		/* A device node or a FIFO (/dev/null, a pipe) is written to
		 * but never removed, chmod'ed or touched. */
		regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
		rc = recv_one(s, e, fd, &done, p->total, progress, ud, err,
		    errlen);
		if (close(fd) < 0 && rc == 0)
			rc = dm_fail(err, errlen, DM_EIO, "close %s: %s",
			    e->local, strerror(errno));
		if (rc < 0) {
			if (regular)
				unlink(e->local); /* never leave half a file */
			return rc;
		}
		if (regular)
			set_times(e->local, e->mtime, e->mode);
	}
	if (bytes != NULL)
		*bytes = done;
	return 0;
}

static const char *
base_name(const char *path, char *buf, size_t len)
{
	char tmp[SYNC_PATH_MAX + 1];

	snprintf(tmp, sizeof(tmp), "%s", path);
	while (strlen(tmp) > 1 && tmp[strlen(tmp) - 1] == '/')
		tmp[strlen(tmp) - 1] = '\0';
	snprintf(buf, len, "%s", basename(tmp));
	return buf;
}

int
adbsync_pull(struct adbsync *s, const char *remote, const char *local,
    adbsync_progress_fn progress, void *ud, uint64_t *files,
    uint64_t *bytes, char *err, size_t errlen)
{
	struct adbsync_stat st;
	struct plan plan = { 0 };
	struct walk w = { 0 };
	struct stat lst;
	char base[256];
	char *target;
	int rc;

	if (strlen(remote) > SYNC_PATH_MAX)
		return dm_fail(err, errlen, DM_EINVAL, "remote path too long");
	rc = adbsync_stat(s, remote, &st);
	if (rc < 0)
		return dm_fail(err, errlen, rc, "stat %s: %s", remote,
		    adb_stream_error(s->st));
	if (st.mode == 0)
		return dm_fail(err, errlen, DM_ENOENT,
		    "%s: no such file or directory on the phone", remote);
	base_name(remote, base, sizeof(base));
	if (stat(local, &lst) == 0 && S_ISDIR(lst.st_mode))
		target = xasprintf("%s/%s", local, base);
	else
		target = xstrdup(local);

	if (S_ISREG(st.mode)) {
		plan_add(&plan, xstrdup(remote), target, &st);
	} else if (S_ISDIR(st.mode)) {
		w.plan = &plan;
		push_dir(&w, xstrdup(remote), target);
		while (w.ndirs > 0) {
			w.ndirs--;
			w.cur_remote = w.dirs[w.ndirs];
			w.cur_local = w.ldirs[w.ndirs];
			if (mkdir(w.cur_local, 0755) < 0 && errno != EEXIST) {
				rc = dm_fail(err, errlen, dm_from_errno(errno),
				    "mkdir %s: %s", w.cur_local,
				    strerror(errno));
			} else {
				rc = list_dir(s, w.cur_remote, walk_cb, &w,
				    err, errlen);
			}
			free(w.cur_remote);
			free(w.cur_local);
			if (rc < 0)
				break;
		}
		while (w.ndirs > 0) {
			w.ndirs--;
			free(w.dirs[w.ndirs]);
			free(w.ldirs[w.ndirs]);
		}
		free(w.dirs);
		free(w.ldirs);
		if (rc < 0)
			goto out;
	} else {
		free(target);
		return dm_fail(err, errlen, DM_EUNSUPP,
		    "%s is not a file or a directory", remote);
	}
	rc = pull_plan(s, &plan, progress, ud, bytes, err, errlen);
	if (rc == 0 && files != NULL)
		*files = plan.n;
out:
	plan_free(&plan);
	return rc;
}

/* ---- push ---------------------------------------------------------------- */

static int
send_file(struct adbsync *s, const char *local, const char *remote,
    const struct stat *lst, uint64_t *done, uint64_t total,
    adbsync_progress_fn progress, void *ud, char *err, size_t errlen)
{
	char spec[SYNC_PATH_MAX + 16];
	uint8_t h[8 + SYNC_DATA_MAX];
	int fd, rc, n;

	n = snprintf(spec, sizeof(spec), "%s,%u", remote,
	    (unsigned)(lst->st_mode & 0777) | 0100000u);
	if (n < 0 || (size_t)n > SYNC_PATH_MAX)
		return dm_fail(err, errlen, DM_EINVAL, "path too long: %s",
		    remote);
	fd = open(local, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dm_fail(err, errlen, dm_from_errno(errno),
		    "cannot read %s: %s", local, strerror(errno));
	rc = request(s, "SEND", spec, (size_t)n);
	while (rc == 0) {
		ssize_t got = read(fd, h + 8, SYNC_DATA_MAX);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = dm_fail(err, errlen, DM_EIO, "read %s: %s", local,
			    strerror(errno));
			close(fd);
			return rc;	/* the stream is out of step: caller
					 * closes it */
		}
		if (got == 0)
			break;
		memcpy(h, "DATA", 4);
		le32_put(h + 4, (uint32_t)got);
		rc = adb_stream_write(s->st, h, 8 + (size_t)got, SYNC_MS);
		*done += (uint64_t)got;
		if (rc == 0 && progress != NULL &&
		    progress(ud, *done, total, remote))
			rc = DM_ECANCEL;
	}
	close(fd);
	if (rc < 0)
		return dm_fail(err, errlen, rc, "push %s: %s", remote,
		    rc == DM_ECANCEL ? "cancelled" : adb_stream_error(s->st));
	memcpy(h, "DONE", 4);
	le32_put(h + 4, (uint32_t)lst->st_mtime);
	rc = adb_stream_write(s->st, h, 8, SYNC_MS);
	if (rc == 0)
		rc = rd(s, h, 8);
	if (rc < 0)
		return dm_fail(err, errlen, rc, "push %s: %s", remote,
		    adb_stream_error(s->st));
	if (memcmp(h, "FAIL", 4) == 0)
		return read_fail(s, le32_get(h + 4), remote, err, errlen);
	if (memcmp(h, "OKAY", 4) != 0)
		return dm_fail(err, errlen, DM_EPROTO,
		    "push %s: bad reply from the phone", remote);
	return 0;
}

static int
push_tree(struct adbsync *s, const char *local, const char *remote,
    uint64_t *done, uint64_t total, uint64_t *files,
    adbsync_progress_fn progress, void *ud, char *err, size_t errlen)
{
	struct stat lst;
	int rc = 0;

	if (lstat(local, &lst) < 0)
		return dm_fail(err, errlen, dm_from_errno(errno), "%s: %s",
		    local, strerror(errno));
	if (S_ISREG(lst.st_mode)) {
		rc = send_file(s, local, remote, &lst, done, total, progress,
		    ud, err, errlen);
		if (rc == 0)
			(*files)++;
		return rc;
	}
	if (S_ISDIR(lst.st_mode)) {
		char **names = NULL;
		size_t n = 0, cap = 0;
		DIR *d = opendir(local);
		struct dirent *de;

		if (d == NULL)
			return dm_fail(err, errlen, dm_from_errno(errno),
			    "%s: %s", local, strerror(errno));
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				names = xrealloc(names, cap * sizeof(*names));
			}
			names[n++] = xstrdup(de->d_name);
		}
		closedir(d);
		for (size_t i = 0; i < n; i++) {
			char *l = xasprintf("%s/%s", local, names[i]);
			char *r = xasprintf("%s/%s", remote, names[i]);

			if (rc == 0)
				rc = push_tree(s, l, r, done, total, files,
				    progress, ud, err, errlen);
			free(l);
			free(r);
			free(names[i]);
		}
		free(names);
		return rc;
	}
	return 0;	/* links and specials are not pushed */
}

static uint64_t
local_size(const char *path)
{
	struct stat st;
	uint64_t sum = 0;

	if (lstat(path, &st) < 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return (uint64_t)st.st_size;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;

		while (d != NULL && (de = readdir(d)) != NULL) {
			char *p;

			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			p = xasprintf("%s/%s", path, de->d_name);
			sum += local_size(p);
			free(p);
		}
		if (d != NULL)
			closedir(d);
	}
	return sum;
}

int
adbsync_push(struct adbsync *s, const char *local, const char *remote,
    adbsync_progress_fn progress, void *ud, uint64_t *files,
    uint64_t *bytes, char *err, size_t errlen)
{
	struct adbsync_stat st;
	char base[256], *target;
	uint64_t done = 0, nfiles = 0, total;
	int rc;

	rc = adbsync_stat(s, remote, &st);
	if (rc < 0)
		return dm_fail(err, errlen, rc, "stat %s: %s", remote,
		    adb_stream_error(s->st));
	base_name(local, base, sizeof(base));
	if (S_ISDIR(st.mode))
		target = xasprintf("%s/%s", remote, base);
	else
		target = xstrdup(remote);
	total = local_size(local);
	rc = push_tree(s, local, target, &done, total, &nfiles, progress, ud,
	    err, errlen);
	free(target);
	if (files != NULL)
		*files = nfiles;
	if (bytes != NULL)
		*bytes = done;
	return rc;
}

/* ---- backup and restore pieces --------------------------------------------- */

int
adbsync_reopen(struct adbsync *s, char *err, size_t errlen)
{
	struct adb_stream *st;

	adb_stream_close(s->st);
	s->st = NULL;
	st = adb_open(s->c, "sync:", err, errlen);
	if (st == NULL)
		return DM_EIO;
	s->st = st;
	return 0;
}

struct twalk {
	char **stack;
	size_t n, cap;
	const char *cur;
	adbsync_walk_fn fn;
	void *ud;
};

static int
twalk_cb(void *ud, const char *name, const struct adbsync_stat *st)
{
	struct twalk *w = ud;
	char *p = xasprintf("%s/%s", w->cur, name);
	struct adbsync_stat s2 = *st;
	int rc;

	if (strlen(p) > SYNC_PATH_MAX && s2.error == 0)
		s2.error = ENAMETOOLONG;
	rc = w->fn(w->ud, p, &s2);
	if (rc == 0 && S_ISDIR(st->mode) && s2.error == 0) {
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 32;
			w->stack = xrealloc(w->stack, w->cap * sizeof(char *));
		}
		w->stack[w->n++] = p;
		return 0;
	}
	free(p);
	return rc;
}

int
adbsync_walk(struct adbsync *s, const char *remote, adbsync_walk_fn fn,
    void *ud, char *err, size_t errlen)
{
	struct twalk w = { 0 };
	int rc = 0;

	w.fn = fn;
	w.ud = ud;
	w.stack = xmalloc(16 * sizeof(char *));
	w.cap = 16;
	w.stack[w.n++] = xstrdup(remote);
	while (w.n > 0 && rc == 0) {
		char *dir = w.stack[--w.n];

		w.cur = dir;
		rc = list_dir(s, dir, twalk_cb, &w, err, errlen);
		free(dir);
	}
	while (w.n > 0)
		free(w.stack[--w.n]);
	free(w.stack);
	return rc;
}

/* The answer to RECV i: its chunks into the sink.  Returns 0, 1 when the
 * phone failed it (the stream is then over), or a negative dm_err / the
 * sink's stop value (positive, above ADBSYNC_SKIP) via *stop. */
static int
recv_into(struct adbsync *s, size_t i, const char *path,
    const struct adbsync_sink *k, void *ud, int *stop, char *err,
    size_t errlen)
{
	int began = 0, skip = 0, rc;
	uint8_t h[8];

	for (;;) {
		uint32_t len;

		rc = rd(s, h, 8);
		if (rc < 0)
			return dm_fail(err, errlen, rc, "pull %s: %s", path,
			    adb_stream_error(s->st));
		len = le32_get(h + 4);
		if (memcmp(h, "FAIL", 4) == 0) {
			char msg[256];
			size_t keep = len < sizeof(msg) - 1 ? len :
			    sizeof(msg) - 1;

			if (rd(s, msg, keep) < 0)
				keep = 0;
			msg[keep] = '\0';
			if (began)	/* a read error halfway */
				return dm_fail(err, errlen, DM_EIO,
				    "pull %s: %s", path, msg);
			rc = k->failed(ud, i, msg);
			if (rc != 0) {
				*stop = rc;
				return DM_ECANCEL;
			}
			return 1;
		}
		if (memcmp(h, "DATA", 4) != 0 && memcmp(h, "DONE", 4) != 0)
			return dm_fail(err, errlen, DM_EPROTO,
			    "pull %s: bad reply from the phone", path);
		if (!began) {
			began = 1;
			rc = k->begin(ud, i);
			if (rc == ADBSYNC_SKIP)
				skip = 1;
			else if (rc != 0) {
				*stop = rc;
				return DM_ECANCEL;
			}
		}
		if (memcmp(h, "DONE", 4) == 0) {
			if (skip)
				return 0;
			rc = k->end(ud, i);
			if (rc != 0) {
				*stop = rc;
				return DM_ECANCEL;
			}
			return 0;
		}
		if (len > SYNC_DATA_MAX)
			return dm_fail(err, errlen, DM_EPROTO,
			    "pull %s: a chunk of %u bytes", path, len);
		rc = rd(s, s->buf, len);
		if (rc < 0)
			return dm_fail(err, errlen, rc, "pull %s: %s", path,
			    adb_stream_error(s->st));
		if (!skip) {
			rc = k->data(ud, i, s->buf, len);
			if (rc == ADBSYNC_SKIP)
				skip = 1;
			else if (rc != 0) {
				*stop = rc;
				return DM_ECANCEL;
			}
		}
	}
}

int
adbsync_recv_many(struct adbsync *s, const char *const *paths, size_t n,
    const struct adbsync_sink *k, void *ud, char *err, size_t errlen)
{
	size_t sent = 0;
	int rc = 0, stop = 0, shut = 0;

	for (size_t i = 0; i < n; i++) {
		/* A request refused because the phone has just ended the
		 * service (after a FAIL further on) is no error yet: the
		 * answers before that FAIL are still to be read. */
		while (!shut && sent < n && sent < i + PULL_WINDOW) {
			size_t len = strlen(paths[sent]);

			if (len > SYNC_PATH_MAX)
				len = SYNC_PATH_MAX;	/* the phone fails it */
			if (request(s, "RECV", paths[sent], len) < 0) {
				shut = 1;
				break;
			}
			sent++;
		}
		if (sent <= i)
			return dm_fail(err, errlen, DM_ECLOSED, "pull: %s",
			    adb_stream_error(s->st));
		rc = recv_into(s, i, paths[i], k, ud, &stop, err, errlen);
		if (rc == DM_ECANCEL && stop != 0)
			return stop;
		if (rc < 0)
			return rc;
		if (rc == 1) {
			/* adbd ended the service after its FAIL: what was
			 * asked after file i is lost, ask again. */
			rc = adbsync_reopen(s, err, errlen);
			if (rc < 0)
				return rc;
			sent = i + 1;
			shut = 0;
		}
	}
	return 0;
}

int
adbsync_send_begin(struct adbsync *s, const char *remote, uint32_t mode,
    char *err, size_t errlen)
{
	char spec[SYNC_PATH_MAX + 16];
	int n, rc;

	n = snprintf(spec, sizeof(spec), "%s,%u", remote, (unsigned)mode);
	if (n < 0 || (size_t)n > SYNC_PATH_MAX)
		return dm_fail(err, errlen, DM_EINVAL, "path too long: %s",
		    remote);
	rc = request(s, "SEND", spec, (size_t)n);
	if (rc < 0)
		return dm_fail(err, errlen, rc, "push %s: %s", remote,
		    adb_stream_error(s->st));
	return 0;
}

int
adbsync_send_data(struct adbsync *s, const void *buf, size_t len,
    char *err, size_t errlen)
{
	const uint8_t *p = buf;
	uint8_t h[8 + SYNC_DATA_MAX];

	while (len > 0) {
		size_t n = len > SYNC_DATA_MAX ? SYNC_DATA_MAX : len;
		int rc;

		memcpy(h, "DATA", 4);
		le32_put(h + 4, (uint32_t)n);
		memcpy(h + 8, p, n);
		rc = adb_stream_write(s->st, h, 8 + n, SYNC_MS);
		if (rc < 0)
			return dm_fail(err, errlen, rc, "push: %s",
			    adb_stream_error(s->st));
		p += n;
		len -= n;
	}
	return 0;
}

int
adbsync_send_end(struct adbsync *s, int64_t mtime, char *err, size_t errlen)
{
	uint8_t h[8];
	int rc;

	memcpy(h, "DONE", 4);
	le32_put(h + 4, (uint32_t)mtime);
	rc = adb_stream_write(s->st, h, 8, SYNC_MS);
	if (rc == 0)
		rc = rd(s, h, 8);
	if (rc < 0)
		return dm_fail(err, errlen, rc, "push: %s",
		    adb_stream_error(s->st));
	if (memcmp(h, "FAIL", 4) == 0)
		return read_fail(s, le32_get(h + 4), "push", err, errlen);
	if (memcmp(h, "OKAY", 4) != 0)
		return dm_fail(err, errlen, DM_EPROTO,
		    "push: bad reply from the phone");
	return 0;
}
