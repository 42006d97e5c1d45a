/* restore.c - the restore job (see backup.h): the selected storage items
 * of a backup, with the chain of earlier backups it references, pushed
 * back to the phone keeping their times; and, when asked for (--select
 * apks), the user apps whose APKs the backup holds installed again: each
 * app's base and split APKs pushed to /data/local/tmp, then one pm
 * install session per app (install-create, install-write,
 * install-commit; AOSP's pm since Android 5), then the copies removed.
 * Every archive involved is read
 * once first with each selected file's SHA-256 checked and every member
 * name checked for safety; nothing is pushed unless all of that holds.
 * Files already on the phone with the same size and time are left alone,
 * so a restore cut short by a cable simply runs again. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "adb.h"
#include "adbkey.h"
#include "adbsync.h"
#include "backup.h"
#include "bkarc.h"
#include "dev.h"
#include "err.h"
#include "job.h"
#include "proto.h"
#include "xferjob.h"
#include "xmem.h"

#define STORAGE		"/sdcard"
#define APK_TMP		"/data/local/tmp/droidmedic-restore"
#define CHUNK		(64 * 1024)
#define SHELL_MS	60000

/* One selected item and the archive that holds its bytes. */
struct ritem {
	const cJSON *item;
	const char *path;	/* member name */
	const char *hex;
	int arc;		/* index into archives */
	int type;		/* BK_* */
	uint64_t size;
	int64_t mtime;
	uint32_t mode;
	int checked, pushed, skipped;
	int apk;		/* apks/PACKAGE/NAME.apk: to install */
};

struct rctx {
	struct job *job;
	const struct restore_req *q;
	cJSON *m;
	char (*arcs)[4608];
	int narcs;
	struct ritem *v;
	size_t n;
	struct adb_conn *c;
	struct adbsync *s;
	char err[1024];
	int cur_arc;
	uint64_t bytes_total, bytes_done;
	size_t files_total, files_done, skipped, pushed;
	size_t apps, apps_done;	/* apps to install, installed */
	char apps_failed[1024];	/* "pkg: why; ..." */
	int64_t t0, last_ms;
	uint8_t *buf;
};

static int
find_item(struct rctx *x, const char *name)
{
	/* Items are few enough per archive pass to search by name with a
	 * sorted index; see by_name. */
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(x->v[mid].path, name);

		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct ritem *)a)->path,
	    ((const struct ritem *)b)->path);
}

static void
rprogress(struct rctx *x, const char *what)
{
	int64_t now = dm_mono_ms();
	char t[300];

	if (now - x->last_ms < 100)
		return;
	x->last_ms = now;
	snprintf(t, sizeof(t), "%zu/%zu files, %.1f of %.1f MiB %s",
	    x->files_done, x->files_total, (double)x->bytes_done / 1048576.0,
	    (double)x->bytes_total / 1048576.0, what);
	job_progress(x->job, (int64_t)x->bytes_done, (int64_t)x->bytes_total,
	    t);
}

/* ---- pass 1: every hash ------------------------------------------------ */

static int
check_cb(void *ud, struct bkr *r, const struct bkr_member *m)
{
	struct rctx *x = ud;
	char hex[BK_HEX];
	uint64_t size;
	int k = find_item(x, m->name);
	struct ritem *it;

	if (job_cancelled(x->job))
		return DM_ECANCEL;
	if (k < 0 || x->v[k].arc != x->cur_arc)
		return 0;
	it = &x->v[k];
	if ((int)m->type != it->type)
		return dm_fail(x->err, sizeof(x->err), DM_EINVAL, "refused: "
		    "%s is a %s in %s but a %s in its manifest: nothing was "
		    "restored", m->name, m->type == BK_FILE ? "file" :
		    m->type == BK_DIR ? "folder" : "link", x->arcs[x->cur_arc],
		    it->type == BK_FILE ? "file" : it->type == BK_DIR ?
		    "folder" : "link");
	if (it->type == BK_LINK)
		it->checked = 1;
	if (it->type != BK_FILE)
		return 0;
	if (bkr_hash(r, hex, &size, x->err, sizeof(x->err)) < 0)
		return DM_EIO;
	if (strcmp(hex, it->hex) != 0 || size != it->size)
		return dm_fail(x->err, sizeof(x->err), DM_EIO, "%s in %s does "
		    "not match its recorded SHA-256 (%s, expected %s): nothing "
		    "was restored", m->name, x->arcs[x->cur_arc], hex, it->hex);
	it->checked = 1;
	x->bytes_done += size;
	rprogress(x, "checking");
	return 0;
}

/* ---- pass 2: pushing --------------------------------------------------- */

static char *
remote_of(const char *name)
{
	if (strncmp(name, "apks/", 5) == 0)
		return xasprintf(APK_TMP "/%s", name + strlen("apks/"));
	return xasprintf(STORAGE "/%s", name + strlen("storage/"));
}

/* Whether the link at remote already points at target (the shell's
 * readlink: sync has none). */
static int
link_is(struct rctx *x, const char *remote, const char *target)
{
	char *q = bk_shell_quote(remote), *cmd, *out = NULL;
	char err[256];
	size_t len = 0;
	int code = -1, same;

	cmd = xasprintf("readlink %s", q);
	free(q);
	if (adb_shell_capture(x->c, cmd, &out, &len, 8192, &code, SHELL_MS,
	    err, sizeof(err)) < 0)
		code = -1;
	free(cmd);
	while (out != NULL && len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	same = code == 0 && out != NULL && strcmp(out, target) == 0;
	free(out);
	return same;
}

static int
push_cb(void *ud, struct bkr *r, const struct bkr_member *m)
{
	struct rctx *x = ud;
	int k = find_item(x, m->name);
	struct adbsync_stat st;
	struct ritem *it;
	char *remote;
	int rc;

	if (job_cancelled(x->job))
		return DM_ECANCEL;
	if (k < 0 || x->v[k].arc != x->cur_arc || x->v[k].type == BK_DIR ||
	    (int)m->type != x->v[k].type)
		return 0;
	it = &x->v[k];
	remote = remote_of(it->path);
	rc = adbsync_stat(x->s, remote, &st);
	if (rc < 0) {
		rc = dm_fail(x->err, sizeof(x->err), rc, "stat %s: %s", remote,
		    dm_strerror(rc));
		free(remote);
		return rc;
	}
	if ((it->type == BK_FILE && !it->apk && S_ISREG(st.mode) &&
	    st.size == it->size && st.mtime == it->mtime) ||
	    (it->type == BK_LINK &&
	    S_ISLNK(st.mode) && link_is(x, remote, m->target))) {
		it->skipped = 1;
		x->skipped++;
		x->files_done++;
		x->bytes_done += it->size;
		free(remote);
		return 0;
	}
	if (it->type == BK_LINK) {
		rc = adbsync_send_begin(x->s, remote, 0120777, x->err,
		    sizeof(x->err));
		if (rc == 0)
			rc = adbsync_send_data(x->s, m->target,
			    strlen(m->target), x->err, sizeof(x->err));
	} else {
		rc = adbsync_send_begin(x->s, remote, 0100000u |
		    (it->mode & 0777), x->err, sizeof(x->err));
		for (;;) {
			long n;

			if (rc < 0)
				break;
			n = bkr_read(r, x->buf, CHUNK);
			if (n < 0) {
				rc = dm_fail(x->err, sizeof(x->err), DM_EIO,
				    "%s: read error", x->arcs[x->cur_arc]);
				break;
			}
			if (n == 0)
				break;
			rc = adbsync_send_data(x->s, x->buf, (size_t)n, x->err,
			    sizeof(x->err));
			x->bytes_done += (uint64_t)n;
			rprogress(x, remote);
		}
	}
	if (rc == 0)
		rc = adbsync_send_end(x->s, it->mtime, x->err, sizeof(x->err));
	free(remote);
	if (rc < 0)
		return rc;
	it->pushed = 1;
	x->pushed++;
	x->files_done++;
	return 0;
}

/* Empty folders (and every folder's existence) with one shell command
 * per batch: sync makes the parents of what it pushes by itself. */
static int
make_dirs(struct rctx *x)
{
	char *cmd = NULL;
	size_t len = 0;
	int rc = 0;

	for (size_t i = 0; i <= x->n; i++) {
		if (i < x->n && x->v[i].type == BK_DIR) {
			char *remote = remote_of(x->v[i].path), *q;

			q = bk_shell_quote(remote);
			free(remote);
			cmd = xrealloc(cmd, len + strlen(q) + 16);
			if (len == 0) {
				strcpy(cmd, "mkdir -p");
				len = 8;
			}
			cmd[len++] = ' ';
			strcpy(cmd + len, q);
			len += strlen(q);
			free(q);
		}
		if (len > 0 && (i == x->n || len > 16000)) {
			char *out = NULL;
			size_t ol = 0;
			int code = -1;

			rc = adb_shell_capture(x->c, cmd, &out, &ol, 1 << 16,
			    &code, SHELL_MS, x->err, sizeof(x->err));
			if (rc == 0 && code != 0 && code != -1)
				rc = dm_fail(x->err, sizeof(x->err), DM_EIO,
				    "mkdir on the phone: %.300s", out ? out :
				    "failed");
			free(out);
			len = 0;
			if (rc < 0)
				break;
		}
	}
	free(cmd);
	return rc;
}

/* ---- pass 3: the apps ------------------------------------------------- */

/* Run a pm command; 0 with its output (malloc'ed) when it says Success,
 * else a dm_err with why. */
static int
pm(struct rctx *x, const char *cmd, char **out, char *why, size_t whylen)
{
	size_t len = 0;
	int code = -1, rc;
	char *o = NULL;

	rc = adb_shell_capture(x->c, cmd, &o, &len, 65536, &code, SHELL_MS,
	    why, whylen);
	if (rc < 0)
		return rc;
	if (o == NULL)
		o = xstrdup("");
	while (len > 0 && (o[len - 1] == '\n' || o[len - 1] == '\r'))
		o[--len] = '\0';
	if (strstr(o, "Success") == NULL) {
		for (char *p = o; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		rc = dm_fail(why, whylen, DM_EREFUSED, "%s",
		    len > 0 ? o : "pm said nothing");
		free(o);
		return rc;
	}
	if (out != NULL)
		*out = o;
	else
		free(o);
	return 0;
}

/* One app from its pushed APKs (items first..last-1, one package). */
static int
install_app(struct rctx *x, size_t first, size_t last, char *why,
    size_t whylen)
{
	char *out = NULL, *cmd, *p;
	unsigned long session;
	int rc;

	rc = pm(x, "pm install-create -r", &out, why, whylen);
	if (rc < 0)
		return rc;
	p = strchr(out, '[');
	session = p != NULL ? strtoul(p + 1, NULL, 10) : 0;
	free(out);
	if (session == 0)
		return dm_fail(why, whylen, DM_EPROTO, "pm install-create gave "
		    "no session");
	for (size_t i = first; i < last && rc == 0; i++) {
		const char *name = strrchr(x->v[i].path, '/') + 1;
		char *remote = remote_of(x->v[i].path);
		char *qr = bk_shell_quote(remote), *qn = bk_shell_quote(name);

		cmd = xasprintf("pm install-write -S %llu %lu %s %s",
		    (unsigned long long)x->v[i].size, session, qn, qr);
		rc = pm(x, cmd, NULL, why, whylen);
		free(cmd);
		free(qr);
		free(qn);
		free(remote);
	}
	if (rc == 0) {
		cmd = xasprintf("pm install-commit %lu", session);
		rc = pm(x, cmd, NULL, why, whylen);
		free(cmd);
	}
	if (rc < 0) {
		char ignore[256];

		cmd = xasprintf("pm install-abandon %lu", session);
		(void)pm(x, cmd, NULL, ignore, sizeof(ignore));
		free(cmd);
	}
	return rc;
}

/* Every selected app, one after the other; what failed is said and the
 * rest go on.  The copies in /data/local/tmp are removed after. */
static void
install_apps(struct rctx *x)
{
	char why[512];
	size_t i = 0;

	while (i < x->n) {
		char pkg[256];
		const char *p, *slash;
		size_t j, k;
		int rc;

		if (!x->v[i].apk) {
			i++;
			continue;
		}
		p = x->v[i].path + 5;
		slash = strchr(p, '/');
		k = slash != NULL ? (size_t)(slash - p) : strlen(p);
		snprintf(pkg, sizeof(pkg), "%.*s", (int)k, p);
		for (j = i; j < x->n && x->v[j].apk &&
		    strncmp(x->v[j].path + 5, p, k) == 0 &&
		    x->v[j].path[5 + k] == '/'; j++)
			;
		rprogress(x, pkg);
		job_log(x->job, "installing %s (%zu APK%s)", pkg, j - i,
		    j - i == 1 ? "" : "s");
		rc = install_app(x, i, j, why, sizeof(why));
		if (rc == 0) {
			x->apps_done++;
		} else {
			size_t l = strlen(x->apps_failed);

			job_log(x->job, "%s was not installed: %s", pkg, why);
			snprintf(x->apps_failed + l, sizeof(x->apps_failed) - l,
			    "%s%s: %s", l ? "; " : "", pkg, why);
		}
		x->apps++;
		i = j;
	}
	{
		char *out = NULL, err[256];
		size_t len = 0;
		int code;

		(void)adb_shell_capture(x->c, "rm -rf " APK_TMP, &out, &len,
		    4096, &code, SHELL_MS, err, sizeof(err));
		free(out);
	}
}

/* ---- the job ----------------------------------------------------------- */

/* ro.serialno, else the serial the request named. */
static int
phone_serial(struct rctx *x, char *out, size_t len)
{
	char *v = NULL;
	size_t l = 0;
	int code = -1, rc;

	rc = adb_shell_capture(x->c, "getprop ro.serialno", &v, &l, 4096,
	    &code, SHELL_MS, x->err, sizeof(x->err));
	if (rc < 0)
		return rc;
	while (l > 0 && (v[l - 1] == '\n' || v[l - 1] == '\r'))
		v[--l] = '\0';
	snprintf(out, len, "%s", l > 0 ? v : x->q->serial);
	free(v);
	return 0;
}

static int
arc_index(struct rctx *x, const char *dir, const char *id)
{
	char p[4608];

	snprintf(p, sizeof(p), "%s/%s.tar.zst", dir, id);
	for (int i = 0; i < x->narcs; i++)
		if (strcmp(x->arcs[i], p) == 0)
			return i;
	x->arcs = xrealloc(x->arcs, (size_t)(x->narcs + 1) *
	    sizeof(*x->arcs));
	snprintf(x->arcs[x->narcs], sizeof(x->arcs[0]), "%s", p);
	return x->narcs++;
}

static int
finish(struct rctx *x, int rc, const char *msg)
{
	cJSON *j = cJSON_CreateObject();
	char *s;

	cJSON_AddBoolToObject(j, "ok", rc == 0);
	if (rc != 0)
		cJSON_AddStringToObject(j, "error", dm_errname(rc));
	cJSON_AddStringToObject(j, "message", msg);
	cJSON_AddStringToObject(j, "backup", x->m ? cJSON_GetStringValue(
	    cJSON_GetObjectItem(x->m, "id")) : x->q->backup);
	cJSON_AddNumberToObject(j, "selected", (double)x->files_total);
	cJSON_AddNumberToObject(j, "pushed", (double)x->pushed);
	cJSON_AddNumberToObject(j, "unchanged", (double)x->skipped);
	cJSON_AddNumberToObject(j, "bytes", (double)x->bytes_total);
	cJSON_AddNumberToObject(j, "apps", (double)x->apps);
	cJSON_AddNumberToObject(j, "apps_installed", (double)x->apps_done);
	cJSON_AddNumberToObject(j, "seconds",
	    (double)(dm_mono_ms() - x->t0) / 1000.0);
	s = cJSON_PrintUnformatted(j);
	job_progress(x->job, (int64_t)x->bytes_done, (int64_t)x->bytes_total,
	    msg);
	job_set_result(x->job, s);
	cJSON_free(s);
	cJSON_Delete(j);
	return rc == 0 ? 0 : job_fail(x->job, rc, "%s", msg);
}

static int
restore_job(struct job *job, void *arg)
{
	const struct restore_req *q = arg;
	struct rctx x;
	const cJSON *it;
	char dir[4608], msg[1400], serial[96];
	int rc = 0;

	memset(&x, 0, sizeof(x));
	x.job = job;
	x.q = q;
	x.t0 = dm_mono_ms();
	job_progress(job, 0, 0, "reading the backup");
	x.m = bklib_find(q->root, q->backup, x.err, sizeof(x.err));
	if (x.m == NULL) {
		rc = DM_ENOENT;
		goto fail;
	}
	snprintf(dir, sizeof(dir), "%s", cJSON_GetStringValue(
	    cJSON_GetObjectItem(x.m, "archive")));
	if (strrchr(dir, '/') != NULL)
		*strrchr(dir, '/') = '\0';
	/* Its own archive where it is (it may have been renamed); the
	 * earlier ones it needs beside it, by their IDs. */
	x.arcs = xmalloc(sizeof(*x.arcs));
	snprintf(x.arcs[0], sizeof(x.arcs[0]), "%s", cJSON_GetStringValue(
	    cJSON_GetObjectItem(x.m, "archive")));
	x.narcs = 1;
	x.v = xcalloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItem(x.m,
	    "items")) + 1, sizeof(*x.v));
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(x.m, "items")) {
		const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(it,
		    "path"));
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(it,
		    "type"));
		const char *in = cJSON_GetStringValue(cJSON_GetObjectItem(it,
		    "in"));
		const char *target = cJSON_GetStringValue(cJSON_GetObjectItem(
		    it, "target"));
		struct ritem *r;
		char why[300];

		if (path == NULL || type == NULL ||
		    !restore_selected(it, q->select))
			continue;
		if (!bk_name_safe(path, strcmp(type, "link") == 0 ? (target ?
		    target : "") : NULL, why, sizeof(why))) {
			rc = dm_fail(x.err, sizeof(x.err), DM_EINVAL, "the "
			    "manifest is refused: %s", why);
			goto fail;
		}
		if (in != NULL && (strchr(in, '/') || strstr(in, ".."))) {
			rc = dm_fail(x.err, sizeof(x.err), DM_EINVAL, "the "
			    "manifest is refused: %s refers to \"%s\"", path,
			    in);
			goto fail;
		}
		r = &x.v[x.n++];
		r->item = it;
		r->path = path;
		r->type = strcmp(type, "file") == 0 ? BK_FILE :
		    strcmp(type, "dir") == 0 ? BK_DIR : BK_LINK;
		r->hex = cJSON_GetStringValue(cJSON_GetObjectItem(it,
		    "sha256"));
		r->size = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(it,
		    "size"));
		r->mtime = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(it,
		    "mtime"));
		r->mode = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(it,
		    "mode"));
		r->arc = in != NULL ? arc_index(&x, dir, in) : 0;
		r->apk = strncmp(path, "apks/", 5) == 0;
		if (r->apk && (r->type != BK_FILE || strchr(path + 5, '/') ==
		    NULL || strchr(strchr(path + 5, '/') + 1, '/') != NULL)) {
			rc = dm_fail(x.err, sizeof(x.err), DM_EINVAL, "the "
			    "manifest is refused: %s is not apks/PACKAGE/"
			    "FILE", path);
			goto fail;
		}
		if (r->type == BK_FILE) {
			if (r->hex == NULL || strlen(r->hex) != 64) {
				rc = dm_fail(x.err, sizeof(x.err), DM_EINVAL,
				    "the manifest is refused: %s has no "
				    "SHA-256", path);
				goto fail;
			}
			x.files_total++;
			x.bytes_total += r->size;
		} else if (r->type == BK_LINK) {
			x.files_total++;
		}
	}
	if (x.n == 0) {
		rc = dm_fail(x.err, sizeof(x.err), DM_ENOENT, "nothing in "
		    "backup %s matches \"%s\"", q->backup, q->select);
		goto fail;
	}
	qsort(x.v, x.n, sizeof(*x.v), by_name);
	/* Nothing may be pushed through a link the restore makes: links
	 * safe one by one can chain out of /sdcard. */
	for (size_t i = 0; i < x.n; i++) {
		size_t l = strlen(x.v[i].path);

		if (x.v[i].type != BK_LINK)
			continue;
		for (size_t j = 0; j < x.n; j++)
			if (strncmp(x.v[j].path, x.v[i].path, l) == 0 &&
			    x.v[j].path[l] == '/') {
				rc = dm_fail(x.err, sizeof(x.err), DM_EINVAL,
				    "the manifest is refused: %s lies below "
				    "the link %s", x.v[j].path, x.v[i].path);
				goto fail;
			}
	}
	for (int a = 0; a < x.narcs; a++) {
		struct stat st;

		if (stat(x.arcs[a], &st) < 0) {
			rc = dm_fail(x.err, sizeof(x.err), DM_ENOENT, "%s is "
			    "missing: this backup references files kept in it "
			    "(an earlier backup of the phone)", x.arcs[a]);
			goto fail;
		}
	}

	/* The phone, named by the technician. */
	rc = xferjob_open(job, q->addr, &x.c, x.err, sizeof(x.err));
	if (rc < 0)
		goto fail;
	rc = phone_serial(&x, serial, sizeof(serial));
	if (rc < 0)
		goto fail;
	if (!dev_confirm_names(q->confirm, serial)) {
		dev_confirm_refusal(x.err, sizeof(x.err), q->confirm, serial,
		    "nothing was restored");
		rc = DM_EREFUSED;
		goto fail;
	}
	{
		const char *from = cJSON_GetStringValue(cJSON_GetObjectItem(
		    x.m, "serial"));

		if (from != NULL && strcmp(from, serial) != 0)
			job_log(job, "restoring a backup of phone %s onto "
			    "another phone, %s (confirmed)", from, serial);
	}

	/* Pass 1: every selected file's hash, every member's name. */
	job_log(job, "checking %zu selected item(s) against their SHA-256 "
	    "in %d archive(s)", x.n, x.narcs);
	for (x.cur_arc = 0; x.cur_arc < x.narcs; x.cur_arc++) {
		rc = bkr_each(x.arcs[x.cur_arc], check_cb, &x, x.err,
		    sizeof(x.err));
		if (rc != 0)
			goto fail;
	}
	for (size_t i = 0; i < x.n; i++)
		if (x.v[i].type != BK_DIR && !x.v[i].checked) {
			rc = dm_fail(x.err, sizeof(x.err), DM_EIO, "%s is not in "
			    "%s: nothing was restored", x.v[i].path,
			    x.arcs[x.v[i].arc]);
			goto fail;
		}

	/* Pass 2: push. */
	x.bytes_done = 0;
	rc = make_dirs(&x);
	if (rc < 0)
		goto fail;
	x.s = adbsync_open(x.c, x.err, sizeof(x.err));
	if (x.s == NULL) {
		rc = DM_EPROTO;
		goto fail;
	}
	x.buf = xmalloc(CHUNK);
	for (x.cur_arc = 0; x.cur_arc < x.narcs; x.cur_arc++) {
		rc = bkr_each(x.arcs[x.cur_arc], push_cb, &x, x.err,
		    sizeof(x.err));
		if (rc != 0)
			goto fail;
	}
	/* Pass 3: the apps whose APKs were pushed. */
	install_apps(&x);
	snprintf(msg, sizeof(msg), "restored %zu of %zu item(s) from backup %s "
	    "(%zu already there unchanged)", x.pushed + x.skipped,
	    x.files_total, cJSON_GetStringValue(cJSON_GetObjectItem(x.m,
	    "id")), x.skipped);
	if (x.apps > 0) {
		size_t l = strlen(msg);

		snprintf(msg + l, sizeof(msg) - l, "; %zu of %zu app(s) "
		    "installed%s%s", x.apps_done, x.apps, x.apps_failed[0] ?
		    ", NOT: " : "", x.apps_failed);
	}
	job_log(job, "%s", msg);
	rc = finish(&x, x.apps_done < x.apps ? DM_EREFUSED : 0, msg);
	goto out;
fail:
	if (rc > 0)
		rc = DM_EIO;
	if (x.pushed > 0) {
		char e2[1024];

		snprintf(e2, sizeof(e2), "%s (%zu item(s) were pushed before; "
		    "running the restore again skips them)", x.err, x.pushed);
		snprintf(x.err, sizeof(x.err), "%s", e2);
	}
	rc = finish(&x, rc, x.err);
out:
	if (x.s != NULL)
		adbsync_close(x.s);
	if (x.c != NULL)
		adb_close(x.c);
	free(x.buf);
	free(x.v);
	free(x.arcs);
	cJSON_Delete(x.m);
	return rc;
}

int
restore_req_from_json(const cJSON *params, struct restore_req *r,
    char *err, size_t errlen)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = proto_param_copy(params, "backup", 1, r->backup,
	    sizeof(r->backup), "restore: ", err, errlen)) < 0 ||
	    (rc = proto_param_copy(params, "select", 0, r->select,
	    sizeof(r->select), "restore: ", err, errlen)) < 0 ||
	    (rc = proto_param_copy(params, "confirm", 0, r->confirm,
	    sizeof(r->confirm), "restore: ", err, errlen)) < 0 ||
	    (rc = proto_param_copy(params, "to", 0, r->root,
	    sizeof(r->root), "restore: ", err, errlen)) < 0)
		return rc;
	if (strchr(r->backup, '/') != NULL && r->backup[0] != '/')
		return dm_fail(err, errlen, DM_EINVAL, "restore: the backup's "
		    "path must be absolute");
	{
		char to[4096];

		snprintf(to, sizeof(to), "%s", r->root);
		return bklib_root(to, r->root, sizeof(r->root), err, errlen);
	}
}

int
restore_submit(struct jobeng *eng, unsigned dev_id,
    const struct restore_req *r)
{
	struct restore_req *copy = xmalloc(sizeof(*copy));

	*copy = *r;
	return jobeng_submit(eng, dev_id, "restore", restore_job, copy, free);
}

int
restore_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen)
{
	struct restore_req r;
	int rc;

	if ((rc = restore_req_from_json(params, &r, err, errlen)) < 0 ||
	    (rc = proto_param_address(params, r.addr, sizeof(r.addr), err,
	    errlen)) < 0 ||
	    (rc = proto_param_copy(params, "serial", 0, r.serial,
	    sizeof(r.serial), "restore: ", err, errlen)) < 0)
		return rc;
	rc = restore_submit(eng, 0, &r);
	if (rc < 0)
		dm_fail(err, errlen, rc, "could not queue the restore");
	return rc;
}
