/* backup.c - the backup job (see backup.h): list what the categories
 * take, pull it with requests in flight straight into the archive (no
 * copy on disk), hash on the way, read the archive back, then commit.
 * Runs on a job worker thread, on its own ADB connection. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "adb.h"
#include "adbkey.h"
#include "adbsync.h"
#include "backup.h"
#include "bkarc.h"
#include "dev.h"
#include "err.h"
#include "fastboot.h"
#include "ident.h"
#include "job.h"
#include "paths.h"
#include "props.h"
#include "proto.h"
#include "xferjob.h"
#include "xmem.h"

#define STORAGE		"/sdcard"
#define OUT_CAP		(32u << 20)
#define SHELL_MS	60000
#define ZSTD_LEVEL	1

enum { ST_TODO = 0, ST_SAVED, ST_REF, ST_FAILED };
enum { STOP_DISK = 2, STOP_CANCEL = 3 };

struct bitem {
	char *remote;		/* on the phone; NULL for what we make */
	char *name;		/* the member */
	int cat;
	enum bk_type type;
	uint32_t mode;
	uint64_t size;
	int64_t mtime;
	char *target;		/* links */
	char hex[BK_HEX];
	char *in;		/* referenced: the backup that holds it */
	int state;
	char *why;		/* ST_FAILED */
};

/* An item of the base backup, by path. */
struct bref {
	const char *path;
	uint64_t size;
	int64_t mtime;
	const char *hex, *in;
	size_t order;		/* newest backup first */
};

/* What went into the archive, in order, for the read-back pass. */
struct wrec {
	char *name;
	char hex[BK_HEX];	/* "" when the bytes were not kept whole */
	int file;
};

struct bctx {
	const struct bk_hooks *h;
	cJSON *result;		/* what finish() made */
	const struct backup_req *q;
	struct adb_conn *c;
	struct adbsync *s;
	struct bkw *w;
	char id[160], dir[4352], part[4608], err[1024];
	char serial[96];	/* the phone's own (ro.serialno), else q's */
	struct bitem *v;
	size_t n, cap;
	struct wrec *wr;
	size_t nwr, capwr;
	struct bref *base;
	size_t nbase;
	cJSON *basem;
	const char *base_id;
	cJSON *failed, *notes;
	/* Progress. */
	size_t *todo;		/* indices of the files pulled */
	size_t ntodo, files_done;
	uint64_t bytes_total, bytes_done, file_got;
	int64_t t0, last_ms;
	int walk_cat;
	long open_k;		/* the file whose member is open, or -1 */
	/* Archives left by a backup whose process died, salvaged here:
	 * removed once this one is in place. */
	char **salv;
	int *salv_fd;
	size_t nsalv, salvaged;
	int part_lock;		/* our .part, locked from close to rename */
	int stopped;
	char stop_why[512];
};

/* The job's voice: through the hooks (a job of its own, or a fix's). */
static void
b_progress(struct bctx *x, int64_t done, int64_t total, const char *what)
{
	if (x->h->progress != NULL)
		x->h->progress(x->h->ud, done, total, what);
}

static void b_log(struct bctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
b_log(struct bctx *x, const char *fmt, ...)
{
	char line[1500];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (x->h->log != NULL)
		x->h->log(x->h->ud, line);
}

static int
b_cancelled(struct bctx *x)
{
	return x->h->cancelled != NULL && x->h->cancelled(x->h->ud);
}

/* ---- small helpers ----------------------------------------------------- */

static struct bitem *
add_item(struct bctx *x, const char *remote, const char *name, int cat,
    enum bk_type type)
{
	struct bitem *it;

	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 256;
		x->v = xrealloc(x->v, x->cap * sizeof(*x->v));
	}
	it = &x->v[x->n++];
	memset(it, 0, sizeof(*it));
	it->remote = remote ? xstrdup(remote) : NULL;
	it->name = xstrdup(name);
	it->cat = cat;
	it->type = type;
	return it;
}

static void
add_failed(struct bctx *x, const char *path, int cat, const char *why)
{
	cJSON *f = cJSON_CreateObject();

	cJSON_AddStringToObject(f, "path", path);
	cJSON_AddStringToObject(f, "category", bk_cat_name(cat));
	cJSON_AddStringToObject(f, "reason", why);
	cJSON_AddItemToArray(x->failed, f);
}

static void
item_fail(struct bctx *x, struct bitem *it, const char *why)
{
	it->state = ST_FAILED;
	free(it->why);
	it->why = xstrdup(why);
	add_failed(x, it->remote ? it->remote : it->name, it->cat, why);
}

static void
wrec_add(struct bctx *x, const char *name, const char *hex, int file)
{
	if (x->nwr == x->capwr) {
		x->capwr = x->capwr ? x->capwr * 2 : 256;
		x->wr = xrealloc(x->wr, x->capwr * sizeof(*x->wr));
	}
	x->wr[x->nwr].name = xstrdup(name);
	snprintf(x->wr[x->nwr].hex, BK_HEX, "%s", hex ? hex : "");
	x->wr[x->nwr].file = file;
	x->nwr++;
}

static char *
run(struct bctx *x, const char *cmd, size_t *len, int *code)
{
	char err[256], *out = NULL;
	size_t l = 0;
	int rc;

	rc = adb_shell_capture(x->c, cmd, &out, &l, OUT_CAP, code, SHELL_MS,
	    err, sizeof(err));
	if (rc < 0) {
		b_log(x, "'%s' failed: %s", cmd, err);
		return NULL;
	}
	if (len != NULL)
		*len = l;
	return out;
}

static void
progress(struct bctx *x, const char *path, int force)
{
	int64_t now = dm_mono_ms();
	char what[300], d[32], t[32], eta[32] = "";
	double secs = (double)(now - x->t0) / 1000.0, rate;

	if (!force && now - x->last_ms < 100)
		return;
	x->last_ms = now;
	rate = secs > 0.2 ? (double)x->bytes_done / secs : 0;
	if (rate > 0 && x->bytes_total > x->bytes_done) {
		long left = (long)((double)(x->bytes_total - x->bytes_done) /
		    rate);

		snprintf(eta, sizeof(eta), ", %ld:%02ld left", left / 60,
		    left % 60);
	}
	fb_size_text(x->bytes_done, d, sizeof(d));
	fb_size_text(x->bytes_total, t, sizeof(t));
	snprintf(what, sizeof(what), "%zu/%zu files, %s of %s, %.1f MiB/s%s "
	    "%s", x->files_done, x->ntodo, d, t, rate / 1048576.0, eta,
	    path ? path : "");
	b_progress(x, (int64_t)x->bytes_done, (int64_t)x->bytes_total,
	    what);
}

/* ---- the base backup --------------------------------------------------- */

static int
bref_cmp(const void *a, const void *b)
{
	const struct bref *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Every earlier backup of the phone, newest first: a path's newest
 * record wins. */
static void
load_base(struct bctx *x)
{
	const cJSON *m, *it;
	size_t k = 0, order = 0;

	if (x->q->full)
		return;
	x->basem = bklib_list(x->q->root, x->serial);
	cJSON_ArrayForEach(m, x->basem) {
		const char *mid = cJSON_GetStringValue(cJSON_GetObjectItem(m,
		    "id"));

		if (mid == NULL)
			continue;
		if (x->base_id == NULL)
			x->base_id = mid;
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(m, "items")) {
			const char *path = cJSON_GetStringValue(
			    cJSON_GetObjectItem(it, "path"));
			const char *type = cJSON_GetStringValue(
			    cJSON_GetObjectItem(it, "type"));
			const char *hex = cJSON_GetStringValue(
			    cJSON_GetObjectItem(it, "sha256"));
			const char *in = cJSON_GetStringValue(
			    cJSON_GetObjectItem(it, "in"));
			struct bref *r;

			if (path == NULL || type == NULL || hex == NULL ||
			    strcmp(type, "file") != 0 || strlen(hex) != 64 ||
			    (in != NULL && (strchr(in, '/') || strstr(in,
			    ".."))))
				continue;
			x->base = xrealloc(x->base, (x->nbase + 1) *
			    sizeof(*x->base));
			r = &x->base[x->nbase++];
			r->path = path;
			r->size = (uint64_t)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(it, "size"));
			r->mtime = (int64_t)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(it, "mtime"));
			r->hex = hex;
			r->in = in != NULL ? in : mid;
			r->order = order++;
		}
	}
	if (x->nbase == 0)
		return;
	qsort(x->base, x->nbase, sizeof(*x->base), bref_cmp);
	for (size_t i = 0; i < x->nbase; i++)
		if (k == 0 || strcmp(x->base[k - 1].path, x->base[i].path) != 0)
			x->base[k++] = x->base[i];
	x->nbase = k;
	b_log(x, "incremental: files unchanged since an earlier "
	    "backup (same size and time) are referenced, not copied");
}

static const struct bref *
base_find(struct bctx *x, const char *path)
{
	size_t lo = 0, hi = x->nbase;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(x->base[mid].path, path);

		if (c == 0)
			return &x->base[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- what the phone has ------------------------------------------------ */

static int
walk_cb(void *ud, const char *path, const struct adbsync_stat *st)
{
	struct bctx *x = ud;
	char *name, why[300];
	struct bitem *it;

	if (b_cancelled(x))
		return STOP_CANCEL;
	name = xasprintf("storage/%s", path + strlen(STORAGE "/"));
	if (st->error != 0) {
		snprintf(why, sizeof(why), "the phone could not read it: %s",
		    strerror(st->error));
		add_failed(x, path, x->walk_cat, why);
	} else if (S_ISDIR(st->mode) || S_ISREG(st->mode) ||
	    S_ISLNK(st->mode)) {
		it = add_item(x, path, name, x->walk_cat, S_ISDIR(st->mode) ?
		    BK_DIR : S_ISREG(st->mode) ? BK_FILE : BK_LINK);
		it->mode = st->mode & 07777;
		it->size = S_ISREG(st->mode) ? st->size : 0;
		it->mtime = st->mtime;
	} else {
		add_failed(x, path, x->walk_cat, "not a file, folder or link "
		    "(a device, FIFO or socket)");
	}
	free(name);
	return 0;
}

static int
list_storage(struct bctx *x)
{
	for (int c = 0; c < bk_cat_count(); c++) {
		const char *const *dirs = bk_cat_dirs(c);

		if (!(x->q->cats & (1u << c)) || dirs == NULL)
			continue;
		x->walk_cat = c;
		for (int d = 0; dirs[d] != NULL; d++) {
			struct adbsync_stat st;
			char *remote = xasprintf(STORAGE "/%s", dirs[d]);
			int rc;

			b_progress(x, 0, 0, remote);
			rc = adbsync_stat(x->s, remote, &st);
			if (rc < 0) {
				dm_fail(x->err, sizeof(x->err), rc, "stat %s: "
				    "%s", remote, dm_strerror(rc));
				free(remote);
				return rc;
			}
			if (st.mode == 0 || !S_ISDIR(st.mode)) {
				free(remote);
				continue;	/* not on this phone */
			}
			rc = walk_cb(x, remote, &st);
			if (rc == 0)
				rc = adbsync_walk(x->s, remote, walk_cb, x,
				    x->err, sizeof(x->err));
			free(remote);
			if (rc == STOP_CANCEL)
				return DM_ECANCEL;
			if (rc != 0)
				return rc < 0 ? rc : DM_EIO;
		}
	}
	return 0;
}

/* Link targets: sync has no readlink, the shell has. */
static void
read_links(struct bctx *x)
{
	for (size_t i = 0; i < x->n; i++) {
		struct bitem *it = &x->v[i];
		char *q, *cmd, *out;
		size_t len = 0;
		int code = -1;

		if (it->type != BK_LINK || it->state != ST_TODO)
			continue;
		q = bk_shell_quote(it->remote);
		cmd = xasprintf("readlink %s", q);
		out = run(x, cmd, &len, &code);
		free(q);
		free(cmd);
		while (out != NULL && len > 0 && out[len - 1] == '\n')
			out[--len] = '\0';
		if (out == NULL || code != 0 || len == 0) {
			item_fail(x, it, "its link target could not be read");
		} else {
			char why[300];

			it->target = xstrdup(out);
			if (!bk_name_safe(it->name, it->target, why,
			    sizeof(why)))
				item_fail(x, it, "a link out of the backed-up "
				    "folder: kept out of the backup");
		}
		free(out);
	}
}

/* ---- apps and content -------------------------------------------------- */

static int
pkg_in(const char *list, const char *pkg)
{
	size_t n = strlen(pkg);

	for (const char *p = list; p != NULL && *p; ) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l >= 8 + n && strncmp(p, "package:", 8) == 0 &&
		    strncmp(p + 8, pkg, n) == 0 && (l == 8 + n ||
		    p[8 + n] == '\r' || p[8 + n] == ' '))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* "package:APK=PKG versionCode:N installer=X uid:N" -> one app. */
static cJSON *
parse_pkg(const char *line, size_t len, const char *user, const char *dis)
{
	char *l = xasprintf("%.*s", (int)len, line), *sp, *eq, *f;
	cJSON *a;

	if (strncmp(l, "package:", 8) != 0) {
		free(l);
		return NULL;
	}
	a = cJSON_CreateObject();
	sp = strstr(l, " versionCode:");
	if (sp == NULL)
		sp = strstr(l, " installer=");
	if (sp == NULL)
		sp = strstr(l, " uid:");
	if (sp != NULL)
		*sp = '\0';
	eq = strrchr(l + 8, '=');
	if (eq != NULL) {
		*eq = '\0';
		cJSON_AddStringToObject(a, "package", eq + 1);
		cJSON_AddStringToObject(a, "apk", l + 8);
	} else
		cJSON_AddStringToObject(a, "package", l + 8);
	if (sp != NULL) {
		char *rest = sp + 1;

		*sp = ' ';
		if ((f = strstr(rest, "versionCode:")) != NULL)
			cJSON_AddNumberToObject(a, "version_code",
			    strtod(f + 12, NULL));
		if ((f = strstr(rest, "installer=")) != NULL) {
			char *e = strchr(f, ' ');

			if (e)
				*e = '\0';
			cJSON_AddStringToObject(a, "installer", f + 10);
			if (e)
				*e = ' ';
		}
		if ((f = strstr(rest, "uid:")) != NULL)
			cJSON_AddNumberToObject(a, "uid", strtod(f + 4, NULL));
	}
	{
		const char *pkg = cJSON_GetStringValue(cJSON_GetObjectItem(a,
		    "package"));

		cJSON_AddBoolToObject(a, "user_app", pkg_in(user, pkg));
		cJSON_AddBoolToObject(a, "enabled", !pkg_in(dis, pkg));
	}
	free(l);
	return a;
}

static char *
apps_json(struct bctx *x, cJSON **apps_out)
{
	char *all, *user, *dis, *s;
	int code = -1, c2 = -1, c3 = -1;
	cJSON *apps;

	*apps_out = NULL;
	all = run(x, "pm list packages -f -i -U --show-versioncode", NULL,
	    &code);
	user = run(x, "pm list packages -3", NULL, &c2);
	dis = run(x, "pm list packages -d", NULL, &c3);
	if (all == NULL || code != 0 || user == NULL || c2 != 0) {
		char why[300];

		snprintf(why, sizeof(why), "the package manager did not list "
		    "the apps (exit %d)%s%.200s", code != 0 ? code : c2,
		    all && all[0] ? ": " : "", all ? all : "");
		while (strlen(why) && why[strlen(why) - 1] == '\n')
			why[strlen(why) - 1] = '\0';
		add_failed(x, "pm list packages", bk_cat_find("apps"), why);
		free(all);
		free(user);
		free(dis);
		return NULL;
	}
	apps = cJSON_CreateArray();
	for (const char *p = all; *p; ) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		cJSON *a;

		if (l > 0 && p[l - 1] == '\r')
			l--;
		a = parse_pkg(p, l, user, dis && c3 == 0 ? dis : "");
		if (a != NULL)
			cJSON_AddItemToArray(apps, a);
		if (e == NULL)
			break;
		p = e + 1;
	}
	free(all);
	free(user);
	free(dis);
	s = cJSON_Print(apps);
	*apps_out = apps;
	return s;
}

/* The user apps' APK files (pm path), as items to pull. */
static void
list_apks(struct bctx *x, const cJSON *apps)
{
	int cat = bk_cat_find("apks");
	const cJSON *a;

	cJSON_ArrayForEach(a, apps) {
		const char *pkg = cJSON_GetStringValue(cJSON_GetObjectItem(a,
		    "package"));
		char *cmd, *out;
		int code = -1;

		if (pkg == NULL || !cJSON_IsTrue(cJSON_GetObjectItem(a,
		    "user_app")) || strchr(pkg, '/') || strchr(pkg, '\'') ||
		    strcmp(pkg, "..") == 0 || strcmp(pkg, ".") == 0)
			continue;
		cmd = xasprintf("pm path '%s'", pkg);
		out = run(x, cmd, NULL, &code);
		free(cmd);
		if (out == NULL || code != 0) {
			add_failed(x, pkg, cat, "pm path did not answer");
			free(out);
			continue;
		}
		for (char *p = out, *e; p && *p; p = e ? e + 1 : NULL) {
			struct adbsync_stat st;
			const char *base;
			char *name;

			e = strchr(p, '\n');
			if (e)
				*e = '\0';
			if (strlen(p) && p[strlen(p) - 1] == '\r')
				p[strlen(p) - 1] = '\0';
			if (strncmp(p, "package:", 8) != 0 || p[8] != '/')
				continue;
			base = strrchr(p + 8, '/') + 1;
			name = xasprintf("apks/%s/%s", pkg, base);
			if (adbsync_stat(x->s, p + 8, &st) == 0 &&
			    S_ISREG(st.mode)) {
				struct bitem *it = add_item(x, p + 8, name, cat,
				    BK_FILE);

				it->mode = st.mode & 07777;
				it->size = st.size;
				it->mtime = st.mtime;
			} else {
				add_failed(x, p + 8, cat, "the phone would not "
				    "show the APK");
			}
			free(name);
		}
		free(out);
	}
}

struct provider {
	const char *cat, *member, *uri;
};

static const struct provider providers[] = {
	{ "contacts", "content/contacts.txt",
	    "content://com.android.contacts/data/phones" },
	{ "calllog", "content/calllog.txt", "content://call_log/calls" },
	{ "sms", "content/sms.txt", "content://sms" },
};

/* `content query` output, or NULL with the reason in why. */
static char *
query_provider(struct bctx *x, const struct provider *p, size_t *len,
    char *why, size_t whylen)
{
	char *cmd = xasprintf("content query --uri %s", p->uri);
	int code = -1;
	char *out = run(x, cmd, len, &code);

	free(cmd);
	if (out == NULL) {
		snprintf(why, whylen, "the shell did not answer");
		return NULL;
	}
	if (code != 0 || strstr(out, "Permission Denial") != NULL ||
	    strstr(out, "SecurityException") != NULL ||
	    strncmp(out, "Error", 5) == 0 || strstr(out, "not found")) {
		/* Its lines on one line. */
		for (char *c = out; *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = c[1] != '\0' ? '|' : '\0';

		if (code == 127)
			snprintf(why, whylen, "this phone has no `content` "
			    "command (exit 127)");
		else
			snprintf(why, whylen, "the phone refused the shell "
			    "user (exit %d): %.300s", code, out[0] ? out :
			    "no output");
		free(out);
		return NULL;
	}
	return out;
}

/* ---- pulling into the archive ------------------------------------------ */

static int
sink_begin(void *ud, size_t i)
{
	struct bctx *x = ud;
	struct bitem *it = &x->v[x->todo[i]];

	if (b_cancelled(x))
		return STOP_CANCEL;
	x->file_got = 0;
	if (bkw_file_begin(x->w, it->name, it->size, it->mtime, it->mode,
	    x->err, sizeof(x->err)) < 0)
		return STOP_DISK;
	x->open_k = (long)i;
	return 0;
}

static int
sink_data(void *ud, size_t i, const void *buf, size_t len)
{
	struct bctx *x = ud;

	if (bkw_file_data(x->w, buf, len, x->err, sizeof(x->err)) < 0)
		return STOP_DISK;
	x->bytes_done += len;
	x->file_got += len;
	progress(x, x->v[x->todo[i]].remote, 0);
	if (b_cancelled(x))
		return STOP_CANCEL;
	return 0;
}

static int
sink_end(void *ud, size_t i)
{
	struct bctx *x = ud;
	struct bitem *it = &x->v[x->todo[i]];
	uint64_t got = 0;

	x->open_k = -1;
	if (bkw_file_end(x->w, it->hex, &got, x->err, sizeof(x->err)) < 0)
		return STOP_DISK;
	x->files_done++;
	if (got != it->size) {
		char why[200];

		snprintf(why, sizeof(why), "it changed while it was read (%llu "
		    "bytes listed, %llu read): run the backup again",
		    (unsigned long long)it->size, (unsigned long long)got);
		item_fail(x, it, why);
		wrec_add(x, it->name, NULL, 1);
		it->hex[0] = '\0';
		/* Keep the totals honest for the progress. */
		if (got < it->size)
			x->bytes_done += it->size - got;
		return 0;
	}
	it->state = ST_SAVED;
	wrec_add(x, it->name, it->hex, 1);
	return 0;
}

static int
sink_failed(void *ud, size_t i, const char *msg)
{
	struct bctx *x = ud;
	struct bitem *it = &x->v[x->todo[i]];
	char why[400];

	snprintf(why, sizeof(why), "the phone refused to read it: %s", msg);
	item_fail(x, it, why);
	x->files_done++;
	x->bytes_done += it->size;
	return b_cancelled(x) ? STOP_CANCEL : 0;
}

static const struct adbsync_sink sink = {
	sink_begin, sink_data, sink_end, sink_failed
};

/* ---- what a dead backup left ------------------------------------------- */

struct salv {
	struct bctx *x;
	size_t *by_name;	/* todo indices sorted by name */
	char **ok;		/* the complete members (pass 1) */
	size_t nok;
	int stop;
};

static struct bctx *sort_ctx;	/* qsort has no user pointer */

static int
todo_cmp(const void *a, const void *b)
{
	return strcmp(sort_ctx->v[sort_ctx->todo[*(const size_t *)a]].name,
	    sort_ctx->v[sort_ctx->todo[*(const size_t *)b]].name);
}

static struct bitem *
salv_item(struct salv *sv, const char *name)
{
	size_t lo = 0, hi = sv->x->ntodo;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct bitem *it = &sv->x->v[sv->x->todo[sv->by_name[mid]]];
		int c = strcmp(it->name, name);

		if (c == 0)
			return it;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Pass 1: which members came whole (the last one of a killed writer
 * did not). */
static int
salv_scan(void *ud, struct bkr *r, const struct bkr_member *m)
{
	struct salv *sv = ud;
	char hex[BK_HEX], err[256];
	uint64_t size = 0;

	if (m->type != BK_FILE || salv_item(sv, m->name) == NULL)
		return 0;
	if (bkr_hash(r, hex, &size, err, sizeof(err)) < 0 || size != m->size)
		return 1;
	sv->ok = xrealloc(sv->ok, (sv->nok + 1) * sizeof(*sv->ok));
	sv->ok[sv->nok++] = xstrdup(m->name);
	return 0;
}

/* Pass 2: those that match a file to copy now (same size and time) go
 * into the new archive from here instead of from the phone. */
static int
salv_copy(void *ud, struct bkr *r, const struct bkr_member *m)
{
	struct salv *sv = ud;
	struct bctx *x = sv->x;
	struct bitem *it;
	uint8_t buf[65536];
	uint64_t got = 0;
	int whole = 0;

	if (m->type != BK_FILE)
		return 0;
	for (size_t i = 0; i < sv->nok && !whole; i++)
		whole = strcmp(sv->ok[i], m->name) == 0;
	it = whole ? salv_item(sv, m->name) : NULL;
	if (it == NULL || it->state != ST_TODO || it->size != m->size ||
	    it->mtime != m->mtime)
		return 0;
	if (bkw_file_begin(x->w, it->name, it->size, it->mtime, it->mode,
	    x->err, sizeof(x->err)) < 0) {
		sv->stop = STOP_DISK;
		return 1;
	}
	for (;;) {
		long n = bkr_read(r, buf, sizeof(buf));

		if (n <= 0)
			break;
		if (bkw_file_data(x->w, buf, (size_t)n, x->err,
		    sizeof(x->err)) < 0) {
			sv->stop = STOP_DISK;
			return 1;
		}
	}
	if (bkw_file_end(x->w, it->hex, &got, x->err, sizeof(x->err)) < 0) {
		sv->stop = STOP_DISK;
		return 1;
	}
	if (got != it->size) {
		/* Read whole in pass 1, short now: the member stays, padded,
		 * and is not trusted; the phone's copy is pulled after it. */
		wrec_add(x, it->name, NULL, 1);
		it->hex[0] = '\0';
		return 0;
	}
	it->state = ST_SAVED;
	wrec_add(x, it->name, it->hex, 1);
	x->salvaged++;
	x->bytes_done += it->size;
	return 0;
}

/* Every .part of this phone's folder that nobody writes any more. */
static int
salvage(struct bctx *x)
{
	struct salv sv = { 0 };
	DIR *d;
	struct dirent *de;
	size_t keep = 0;

	if (x->ntodo == 0 || (d = opendir(x->dir)) == NULL)
		return 0;
	sv.x = x;
	sv.by_name = xcalloc(x->ntodo, sizeof(*sv.by_name));
	for (size_t k = 0; k < x->ntodo; k++)
		sv.by_name[k] = k;
	sort_ctx = x;
	qsort(sv.by_name, x->ntodo, sizeof(*sv.by_name), todo_cmp);
	sort_ctx = NULL;
	while ((de = readdir(d)) != NULL && sv.stop == 0) {
		size_t n = strlen(de->d_name);
		char *p, err[256];
		int fd;

		if (n < 13 || strcmp(de->d_name + n - 13, ".tar.zst.part") != 0)
			continue;
		p = xasprintf("%s/%s", x->dir, de->d_name);
		fd = strcmp(p, x->part) == 0 ? -1 : open(p, O_RDONLY |
		    O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (fd >= 0)
				close(fd);	/* a backup still writing it */
			free(p);
			continue;
		}
		sv.nok = 0;
		bkr_each(p, salv_scan, &sv, err, sizeof(err));
		if (sv.nok > 0) {
			size_t before = x->salvaged;

			bkr_each(p, salv_copy, &sv, err, sizeof(err));
			b_log(x, "%zu file(s) taken from %s, left by a backup "
			    "that was interrupted (not copied from the phone "
			    "again)", x->salvaged - before, de->d_name);
		}
		for (size_t i = 0; i < sv.nok; i++)
			free(sv.ok[i]);
		x->salv = xrealloc(x->salv, (x->nsalv + 1) * sizeof(char *));
		x->salv_fd = xrealloc(x->salv_fd, (x->nsalv + 1) *
		    sizeof(int));
		x->salv[x->nsalv] = p;
		x->salv_fd[x->nsalv++] = fd;
	}
	closedir(d);
	free(sv.ok);
	free(sv.by_name);
	/* What is left to pull. */
	for (size_t k = 0; k < x->ntodo; k++)
		if (x->v[x->todo[k]].state == ST_TODO)
			x->todo[keep++] = x->todo[k];
	x->ntodo = keep;
	return sv.stop;
}

/* ---- the read-back pass ------------------------------------------------ */

struct vctx {
	struct bctx *x;
	size_t k;
	char err[600];
};

static int
verify_cb(void *ud, struct bkr *r, const struct bkr_member *m)
{
	struct vctx *v = ud;
	struct wrec *w;
	char hex[BK_HEX];
	uint64_t size;

	if (v->k >= v->x->nwr) {
		snprintf(v->err, sizeof(v->err), "an extra member %s",
		    m->name);
		return 1;
	}
	w = &v->x->wr[v->k++];
	if (strcmp(w->name, m->name) != 0) {
		snprintf(v->err, sizeof(v->err), "member %s where %s was "
		    "written", m->name, w->name);
		return 1;
	}
	if (!w->file || m->type != BK_FILE || w->hex[0] == '\0')
		return 0;
	if (bkr_hash(r, hex, &size, v->err, sizeof(v->err)) < 0)
		return 1;
	if (strcmp(hex, w->hex) != 0) {
		snprintf(v->err, sizeof(v->err), "%s reads back with SHA-256 "
		    "%s, not %s", m->name, hex, w->hex);
		return 1;
	}
	return 0;
}

static int
verify(struct bctx *x)
{
	struct vctx v = { x, 0, "" };
	int rc;

	b_progress(x, 0, 0, "verifying: reading the archive back");
	rc = bkr_each(x->part, verify_cb, &v, x->err, sizeof(x->err));
	if (rc == 0 && v.k != x->nwr)
		snprintf(v.err, sizeof(v.err), "%zu member(s) missing",
		    x->nwr - v.k);
	else if (rc < 0)
		return rc;
	if (v.err[0] != '\0')
		return dm_fail(x->err, sizeof(x->err), DM_EIO, "the archive "
		    "does not read back as written: %s", v.err);
	return 0;
}

/* ---- the manifest ------------------------------------------------------ */

static cJSON *
manifest(struct bctx *x, const cJSON *ident, int64_t created,
    uint64_t *counts)
{
	cJSON *m = cJSON_CreateObject(), *cats = cJSON_CreateArray(), *items;
	cJSON *tot = cJSON_CreateObject();
	char iso[64];
	struct tm tm;
	time_t t = (time_t)created;
	uint64_t files = 0, bytes = 0, cf = 0, cb = 0, rf = 0, rb = 0;

	localtime_r(&t, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S%z", &tm);
	cJSON_AddStringToObject(m, "format", "droidmedic-backup");
	cJSON_AddNumberToObject(m, "version", 1);
	cJSON_AddStringToObject(m, "id", x->id);
	cJSON_AddStringToObject(m, "serial", x->serial);
	cJSON_AddStringToObject(m, "created", iso);
	cJSON_AddNumberToObject(m, "created_unix", (double)created);
	cJSON_AddStringToObject(m, "tool", PACKAGE_STRING);
	cJSON_AddItemToObject(m, "device", ident ? cJSON_Duplicate(ident, 1) :
	    cJSON_CreateObject());
	for (int c = 0; c < bk_cat_count(); c++)
		if (x->q->cats & (1u << c))
			cJSON_AddItemToArray(cats, cJSON_CreateString(
			    bk_cat_name(c)));
	cJSON_AddItemToObject(m, "categories", cats);
	{
		/* The earlier backups whose archives this one needs. */
		cJSON *needs = cJSON_CreateArray();

		for (size_t i = 0; i < x->n; i++) {
			const cJSON *e;
			int seen = 0;

			if (x->v[i].state != ST_REF)
				continue;
			cJSON_ArrayForEach(e, needs)
				if (strcmp(e->valuestring, x->v[i].in) == 0)
					seen = 1;
			if (!seen)
				cJSON_AddItemToArray(needs, cJSON_CreateString(
				    x->v[i].in));
		}
		if (cJSON_GetArraySize(needs) > 0) {
			cJSON_AddStringToObject(m, "base", x->base_id);
			cJSON_AddItemToObject(m, "needs", needs);
		} else {
			cJSON_Delete(needs);
		}
	}
	cJSON_AddBoolToObject(m, "complete", !x->stopped);
	if (x->stopped)
		cJSON_AddStringToObject(m, "stopped", x->stop_why);
	items = cJSON_AddArrayToObject(m, "items");
	for (size_t i = 0; i < x->n; i++) {
		struct bitem *it = &x->v[i];
		cJSON *o;

		if (it->state == ST_FAILED || it->state == ST_TODO)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "path", it->name);
		cJSON_AddStringToObject(o, "category", bk_cat_name(it->cat));
		cJSON_AddStringToObject(o, "type", it->type == BK_FILE ? "file" :
		    it->type == BK_DIR ? "dir" : "link");
		cJSON_AddNumberToObject(o, "mtime", (double)it->mtime);
		if (it->type != BK_LINK)
			cJSON_AddNumberToObject(o, "mode", it->mode);
		if (it->type == BK_FILE) {
			cJSON_AddNumberToObject(o, "size", (double)it->size);
			cJSON_AddStringToObject(o, "sha256", it->hex);
			files++;
			bytes += it->size;
			if (it->state == ST_REF) {
				cJSON_AddStringToObject(o, "in", it->in);
				rf++;
				rb += it->size;
			} else {
				cf++;
				cb += it->size;
			}
		}
		if (it->type == BK_LINK)
			cJSON_AddStringToObject(o, "target", it->target);
		cJSON_AddItemToArray(items, o);
	}
	cJSON_AddNumberToObject(tot, "files", (double)files);
	cJSON_AddNumberToObject(tot, "bytes", (double)bytes);
	cJSON_AddNumberToObject(tot, "copied_files", (double)cf);
	cJSON_AddNumberToObject(tot, "copied_bytes", (double)cb);
	cJSON_AddNumberToObject(tot, "referenced_files", (double)rf);
	cJSON_AddNumberToObject(tot, "referenced_bytes", (double)rb);
	cJSON_AddNumberToObject(tot, "failed", (double)cJSON_GetArraySize(
	    x->failed));
	cJSON_AddItemToObject(m, "totals", tot);
	cJSON_AddItemToObject(m, "failed", cJSON_Duplicate(x->failed, 1));
	if (x->notes != NULL && cJSON_GetArraySize(x->notes) > 0)
		cJSON_AddItemToObject(m, "notes", cJSON_Duplicate(x->notes, 1));
	counts[0] = files;
	counts[1] = bytes;
	counts[2] = cf;
	counts[3] = cb;
	counts[4] = rf;
	return m;
}

/* ---- the estimate ------------------------------------------------------- */

/* What a backup would hold and copy, per category, as the result. */
static void
estimate(struct bctx *x)
{
	cJSON *j = cJSON_CreateObject(), *cats = cJSON_CreateArray();
	double tf = 0, tb = 0, cf = 0, cb = 0;
	char a[32], b[32], msg[600];

	for (int c = 0; c < bk_cat_count(); c++) {
		double f = 0, by = 0, nf = 0, nb = 0;
		cJSON *o;

		if (!(x->q->cats & (1u << c)) || bk_cat_dirs(c) == NULL)
			continue;
		for (size_t i = 0; i < x->n; i++) {
			const struct bitem *it = &x->v[i];

			if (it->cat != c || it->type != BK_FILE)
				continue;
			f++;
			by += (double)it->size;
			if (it->state == ST_TODO) {
				nf++;
				nb += (double)it->size;
			}
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", bk_cat_name(c));
		cJSON_AddNumberToObject(o, "files", f);
		cJSON_AddNumberToObject(o, "bytes", by);
		cJSON_AddNumberToObject(o, "copy_files", nf);
		cJSON_AddNumberToObject(o, "copy_bytes", nb);
		cJSON_AddItemToArray(cats, o);
		fb_size_text((uint64_t)by, a, sizeof(a));
		fb_size_text((uint64_t)nb, b, sizeof(b));
		b_log(x, "  %-12s %7.0f files %10s   %.0f to copy (%s)",
		    bk_cat_name(c), f, a, nf, b);
		tf += f;
		tb += by;
		cf += nf;
		cb += nb;
	}
	fb_size_text((uint64_t)tb, a, sizeof(a));
	fb_size_text((uint64_t)cb, b, sizeof(b));
	snprintf(msg, sizeof(msg), "a backup of %s would hold %.0f files "
	    "(%s) of the phone's storage; %.0f of them (%s) to copy, the rest "
	    "unchanged since earlier backups; nothing was written", x->serial,
	    tf, a, cf, b);
	b_log(x, "%s", msg);
	cJSON_AddBoolToObject(j, "ok", 1);
	cJSON_AddBoolToObject(j, "dry_run", 1);
	cJSON_AddStringToObject(j, "serial", x->serial);
	cJSON_AddStringToObject(j, "message", msg);
	cJSON_AddItemToObject(j, "categories", cats);
	cJSON_AddNumberToObject(j, "files", tf);
	cJSON_AddNumberToObject(j, "bytes", tb);
	cJSON_AddNumberToObject(j, "copy_files", cf);
	cJSON_AddNumberToObject(j, "copy_bytes", cb);
	b_progress(x, 0, 0, msg);
	cJSON_Delete(x->result);
	x->result = j;
}

/* ---- the job ----------------------------------------------------------- */

static int
finish(struct bctx *x, int rc, const char *msg, uint64_t *counts,
    const char *archive)
{
	cJSON *j = cJSON_CreateObject();
	char *s;

	cJSON_AddBoolToObject(j, "ok", rc == 0);
	if (rc != 0) {
		cJSON_AddStringToObject(j, "error", dm_errname(rc));
		cJSON_AddStringToObject(j, "message", msg);
	} else {
		cJSON_AddStringToObject(j, "message", msg);
	}
	cJSON_AddStringToObject(j, "serial", x->serial[0] ? x->serial :
	    x->q->serial);
	if (archive != NULL) {
		cJSON_AddStringToObject(j, "id", x->id);
		cJSON_AddStringToObject(j, "archive", archive);
		cJSON_AddBoolToObject(j, "complete", !x->stopped);
		if (x->base_id != NULL)
			cJSON_AddStringToObject(j, "base", x->base_id);
	}
	if (counts != NULL) {
		cJSON_AddNumberToObject(j, "files", (double)counts[0]);
		cJSON_AddNumberToObject(j, "bytes", (double)counts[1]);
		cJSON_AddNumberToObject(j, "copied_files", (double)counts[2]);
		cJSON_AddNumberToObject(j, "copied_bytes", (double)counts[3]);
		cJSON_AddNumberToObject(j, "referenced_files",
		    (double)counts[4]);
	}
	cJSON_AddNumberToObject(j, "salvaged_files", (double)x->salvaged);
	cJSON_AddNumberToObject(j, "failed", x->failed ?
	    cJSON_GetArraySize(x->failed) : 0);
	cJSON_AddNumberToObject(j, "seconds",
	    (double)(dm_mono_ms() - x->t0) / 1000.0);
	(void)s;
	/* The last word where the phone's jobs are listed. */
	b_progress(x, (int64_t)x->bytes_done, (int64_t)x->bytes_total,
	    msg);
	cJSON_Delete(x->result);
	x->result = j;
	return rc;
}

static void
make_id(struct bctx *x)
{
	char folder[128], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	struct stat st;

	bklib_folder(x->serial, folder, sizeof(folder));
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(x->dir, sizeof(x->dir), "%s/%s", x->q->root, folder);
	for (int k = 1; k < 100; k++) {
		char p[4608];

		if (k == 1)
			snprintf(x->id, sizeof(x->id), "%s-%s", folder, stamp);
		else
			snprintf(x->id, sizeof(x->id), "%s-%s-%d", folder,
			    stamp, k);
		snprintf(p, sizeof(p), "%s/%s.json", x->dir, x->id);
		snprintf(x->part, sizeof(x->part), "%s/%s.tar.zst.part", x->dir,
		    x->id);
		if (stat(p, &st) < 0 && stat(x->part, &st) < 0)
			break;
	}
}

static void
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* The identity, the properties and the storage figures. */
static cJSON *
read_identity(struct bctx *x, char **getprop, size_t *gplen, char **df,
    size_t *dflen)
{
	struct dev_identity id;
	struct props *p = props_new();
	char *out;
	size_t len = 0;
	int code;

	ident_init(&id);
	*getprop = run(x, "getprop", gplen, &code);
	if (*getprop != NULL)
		props_parse(p, *getprop, *gplen, PROPS_FMT_GETPROP);
	ident_from_props(&id, p);
	{
		const char *v = props_get(p, "ro.serialno");

		snprintf(x->serial, sizeof(x->serial), "%s", v && *v ? v :
		    x->q->serial[0] ? x->q->serial : x->q->addr);
	}
	props_free(p);
	out = run(x, "dumpsys battery", &len, &code);
	if (out != NULL)
		ident_battery_parse(&id.battery, out, len);
	free(out);
	*df = run(x, "df /data", dflen, &code);
	if (*df != NULL)
		ident_storage_parse(&id.storage, *df, *dflen);
	return ident_to_json(&id);
}

static int
blob(struct bctx *x, const char *name, const char *data, size_t len,
    int64_t now)
{
	char hex[BK_HEX];

	if (bkw_blob(x->w, name, data, len, now, hex, x->err,
	    sizeof(x->err)) < 0)
		return STOP_DISK;
	wrec_add(x, name, hex, 1);
	return 0;
}

static void
ctx_free(struct bctx *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->v[i].remote);
		free(x->v[i].name);
		free(x->v[i].target);
		free(x->v[i].in);
		free(x->v[i].why);
	}
	free(x->v);
	for (size_t i = 0; i < x->nwr; i++)
		free(x->wr[i].name);
	free(x->wr);
	free(x->base);
	free(x->todo);
	cJSON_Delete(x->basem);
	cJSON_Delete(x->failed);
	cJSON_Delete(x->notes);
	cJSON_Delete(x->result);
	for (size_t k = 0; k < x->nsalv; k++) {
		free(x->salv[k]);
		if (x->salv_fd[k] >= 0)
			close(x->salv_fd[k]);
	}
	free(x->salv);
	free(x->salv_fd);
	if (x->part_lock >= 0)
		close(x->part_lock);
}

/* The backup over connection c (borrowed), reporting through h; the
 * result object in *result (caller frees).  0 or a dm_err, the message
 * in the result's "message". */
static int
backup_main(struct adb_conn *c, const struct backup_req *q,
    const struct bk_hooks *h, cJSON **result)
{
	struct bctx x;
	cJSON *ident = NULL, *apps = NULL, *m = NULL;
	char *getprop = NULL, *df = NULL, *appstext = NULL, *text, msg[1400];
	char *content[3] = { NULL, NULL, NULL }, final[4608], mpath[4608];
	size_t gplen = 0, dflen = 0, clen[3] = { 0, 0, 0 };
	uint64_t counts[5] = { 0 };
	int64_t now = (int64_t)time(NULL);
	const char **paths = NULL;
	int rc;

	memset(&x, 0, sizeof(x));
	x.h = h;
	x.q = q;
	x.c = c;
	x.t0 = dm_mono_ms();
	x.open_k = -1;
	x.part_lock = -1;
	x.failed = cJSON_CreateArray();
	x.notes = cJSON_CreateArray();
	b_progress(&x, 0, 0, "reading the phone's identity");
	ident = read_identity(&x, &getprop, &gplen, &df, &dflen);
	make_id(&x);
	rc = q->dry_run ? 0 : paths_mkdirs(x.dir, 0700);
	if (rc < 0) {
		rc = dm_fail(x.err, sizeof(x.err), dm_from_errno(-rc),
		    "cannot create %s: %s", x.dir, strerror(-rc));
		goto fail;
	}
	load_base(&x);
	x.s = adbsync_open(x.c, x.err, sizeof(x.err));
	if (x.s == NULL) {
		rc = DM_EPROTO;
		goto fail;
	}
	rc = list_storage(&x);
	if (rc < 0)
		goto fail;
	if (!q->dry_run)
		read_links(&x);
	if (q->dry_run) {
		/* The estimate: what is there and what would be copied,
		 * without the slow and small parts (apps, providers). */
	} else if (q->cats & ((1u << bk_cat_find("apps")) |
	    (1u << bk_cat_find("apks")))) {
		/* The APKs are found from the app list: it is read for
		 * either, and kept when apps is asked for. */
		b_progress(&x, 0, 0, "listing the apps");
		appstext = apps_json(&x, &apps);
		if (apps != NULL && (q->cats & (1u << bk_cat_find("apks"))))
			list_apks(&x, apps);
		if (!(q->cats & (1u << bk_cat_find("apps")))) {
			free(appstext);
			appstext = NULL;
		}
	}
	for (size_t k = 0; k < 3; k++) {
		int cat = bk_cat_find(providers[k].cat);
		char why[400];

		if (!(q->cats & (1u << cat)) || q->dry_run)
			continue;
		b_progress(&x, 0, 0, providers[k].uri);
		content[k] = query_provider(&x, &providers[k], &clen[k], why,
		    sizeof(why));
		if (content[k] == NULL)
			add_failed(&x, providers[k].uri, cat, why);
	}
	if (b_cancelled(&x)) {
		rc = dm_fail(x.err, sizeof(x.err), DM_ECANCEL, "cancelled "
		    "before anything was saved");
		goto fail;
	}

	/* What is copied, what is referenced. */
	x.todo = xcalloc(x.n + 1, sizeof(*x.todo));
	for (size_t i = 0; i < x.n; i++) {
		struct bitem *it = &x.v[i];
		const struct bref *b;

		if (it->type != BK_FILE || it->state != ST_TODO)
			continue;
		b = base_find(&x, it->name);
		if (b != NULL && b->size == it->size && b->mtime == it->mtime) {
			it->state = ST_REF;
			it->in = xstrdup(b->in);
			snprintf(it->hex, BK_HEX, "%s", b->hex);
			continue;
		}
		x.todo[x.ntodo++] = i;
		x.bytes_total += it->size;
	}
	if (q->dry_run) {
		estimate(&x);
		rc = 0;
		goto out;
	}

	x.w = bkw_create(x.part, ZSTD_LEVEL, 0, x.err, sizeof(x.err));
	if (x.w == NULL) {
		rc = DM_EIO;
		goto fail;
	}
	text = ident ? cJSON_Print(ident) : xstrdup("{}");
	rc = blob(&x, "device/identity.json", text, strlen(text), now);
	cJSON_free(text);
	if (rc == 0 && getprop != NULL)
		rc = blob(&x, "device/getprop.txt", getprop, gplen, now);
	if (rc == 0 && df != NULL)
		rc = blob(&x, "device/storage.txt", df, dflen, now);
	if (rc == 0 && appstext != NULL)
		rc = blob(&x, "apps/packages.json", appstext, strlen(appstext),
		    now);
	for (size_t k = 0; k < 3 && rc == 0; k++)
		if (content[k] != NULL)
			rc = blob(&x, providers[k].member, content[k], clen[k],
			    now);
	for (size_t i = 0; i < x.n && rc == 0; i++) {
		struct bitem *it = &x.v[i];

		if (it->state != ST_TODO || it->type == BK_FILE)
			continue;
		if (it->type == BK_DIR)
			rc = bkw_dir(x.w, it->name, it->mtime, it->mode, x.err,
			    sizeof(x.err));
		else
			rc = bkw_link(x.w, it->name, it->target, it->mtime,
			    x.err, sizeof(x.err));
		if (rc < 0) {
			rc = STOP_DISK;
			break;
		}
		it->state = ST_SAVED;
		wrec_add(&x, it->name, NULL, 0);
	}
	if (rc == STOP_DISK)
		goto disk;

	/* The files: first what a dead backup left, then the phone. */
	if (salvage(&x) == STOP_DISK)
		goto disk;
	paths = xcalloc(x.ntodo + 1, sizeof(*paths));
	for (size_t k = 0; k < x.ntodo; k++)
		paths[k] = x.v[x.todo[k]].remote;
	b_log(&x, "backing up %zu files (%.1f MiB) to %s%s", x.ntodo,
	    (double)x.bytes_total / 1048576.0, x.dir, x.base_id ? "" : "");
	progress(&x, NULL, 1);
	rc = adbsync_recv_many(x.s, paths, x.ntodo, &sink, &x, x.err,
	    sizeof(x.err));
	if (rc == STOP_DISK)
		goto disk;
	if (rc != 0) {
		x.stopped = 1;
		if (rc == STOP_CANCEL || b_cancelled(&x))
			snprintf(x.stop_why, sizeof(x.stop_why), "cancelled");
		else
			snprintf(x.stop_why, sizeof(x.stop_why), "the transfer "
			    "broke off: %s", x.err);
		/* A file cut halfway: its member is padded to its size and
		 * is nothing to trust. */
		if (x.open_k >= 0) {
			char hex[BK_HEX];
			uint64_t got;

			if (bkw_file_end(x.w, hex, &got, x.err,
			    sizeof(x.err)) < 0)
				goto disk;
			wrec_add(&x, x.v[x.todo[x.open_k]].name, NULL, 1);
			x.open_k = -1;
		}
		for (size_t k = 0; k < x.ntodo; k++) {
			struct bitem *it = &x.v[x.todo[k]];

			if (it->state == ST_TODO) {
				char why[600];

				snprintf(why, sizeof(why), "not saved: %s",
				    x.stop_why);
				item_fail(&x, it, why);
			}
		}
	}
	adbsync_close(x.s);
	x.s = NULL;

	/* The manifest goes in last, then the archive is closed. */
	m = manifest(&x, ident, now, counts);
	text = cJSON_Print(m);
	rc = blob(&x, "droidmedic/manifest.json", text, strlen(text), now);
	cJSON_free(text);
	if (rc != 0)
		goto disk;
	b_progress(&x, 0, 0, "writing the archive to disk");
	rc = bkw_close(x.w, x.err, sizeof(x.err));
	x.w = NULL;
	/* Still ours until it is renamed: no other backup may take it
	 * for one a dead process left. */
	x.part_lock = open(x.part, O_RDONLY | O_CLOEXEC);
	if (x.part_lock >= 0)
		flock(x.part_lock, LOCK_EX | LOCK_NB);
	if (rc < 0) {
		unlink(x.part);
		goto fail;
	}
	{
		int64_t t1 = dm_mono_ms();

		rc = verify(&x);
		b_log(&x, "read back and checked in %.2f s (the copy took "
		    "%.2f s)", (double)(dm_mono_ms() - t1) / 1000.0,
		    (double)(t1 - x.t0) / 1000.0);
	}
	if (rc < 0) {
		unlink(x.part);
		goto fail;
	}
	{
		char iso[64];
		time_t t = time(NULL);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S%z", &tm);
		cJSON_AddStringToObject(m, "verified", iso);
	}
	snprintf(mpath, sizeof(mpath), "%s/%s.json", x.dir, x.id);
	snprintf(final, sizeof(final), "%s/%s.tar.zst", x.dir, x.id);
	if (rename(x.part, final) < 0) {
		rc = dm_fail(x.err, sizeof(x.err), DM_EIO, "rename %s: %s",
		    x.part, strerror(errno));
		unlink(x.part);
		goto fail;
	}
	rc = bklib_save(mpath, m, x.err, sizeof(x.err));
	if (rc < 0) {
		unlink(final);
		goto fail;
	}
	fsync_dir(x.dir);
	/* What the dead backups held is in this one now. */
	for (size_t k = 0; k < x.nsalv; k++)
		unlink(x.salv[k]);
	{
		char b[32];

		fb_size_text(counts[1], b, sizeof(b));
		if (x.stopped)
			snprintf(msg, sizeof(msg), "backup %s is INCOMPLETE: "
			    "%s; %llu files (%s) saved and verified, %d not "
			    "saved; `droidmedic backup` again goes on from "
			    "there (what is saved is not copied twice)", x.id,
			    x.stop_why, (unsigned long long)counts[0], b,
			    cJSON_GetArraySize(x.failed));
		else
			snprintf(msg, sizeof(msg), "backup %s complete and "
			    "verified: %llu files (%s; %llu copied, %llu "
			    "unchanged and kept in earlier backups), %d "
			    "item(s) not saved%s", x.id,
			    (unsigned long long)counts[0], b,
			    (unsigned long long)counts[2],
			    (unsigned long long)counts[4],
			    cJSON_GetArraySize(x.failed),
			    cJSON_GetArraySize(x.failed) ? " (see droidmedic "
			    "backups --json)" : "");
	}
	{
		const cJSON *f;
		int k = 0, nf = cJSON_GetArraySize(x.failed);

		cJSON_ArrayForEach(f, x.failed) {
			if (k++ == 20) {
				b_log(&x, "... and %d more not saved (droidmedic "
				    "backups --json lists them all)", nf - 20);
				break;
			}
			b_log(&x, "not saved: %s: %s",
			    cJSON_GetStringValue(cJSON_GetObjectItem(f, "path")),
			    cJSON_GetStringValue(cJSON_GetObjectItem(f,
			    "reason")));
		}
	}
	b_log(&x, "%s", msg);
	rc = finish(&x, x.stopped ? (b_cancelled(&x) ? DM_ECANCEL :
	    DM_ENODEV) : 0, msg, counts, final);
	goto out;

disk:
	bkw_abort(x.w);
	x.w = NULL;
	snprintf(msg, sizeof(msg), "%s; nothing of this backup was kept, "
	    "earlier backups are untouched", x.err);
	rc = finish(&x, DM_EIO, msg, NULL, NULL);
	goto out;
fail:
	if (x.w != NULL) {
		bkw_abort(x.w);
		x.w = NULL;
	}
	rc = finish(&x, rc, x.err, NULL, NULL);
out:
	if (x.s != NULL)
		adbsync_close(x.s);
	free(paths);
	free(getprop);
	free(df);
	free(appstext);
	for (size_t k = 0; k < 3; k++)
		free(content[k]);
	cJSON_Delete(apps);
	cJSON_Delete(ident);
	cJSON_Delete(m);
	*result = x.result;
	x.result = NULL;
	ctx_free(&x);
	return rc;
}

static void
job_hook_progress(void *ud, int64_t done, int64_t total, const char *what)
{
	job_progress(ud, done, total, what);
}

static void
job_hook_log(void *ud, const char *line)
{
	job_log(ud, "%s", line);
}

static int
job_hook_cancelled(void *ud)
{
	return job_cancelled(ud);
}

/* The result into the job: its JSON, and the failure text. */
static int
job_end(struct job *job, int rc, cJSON *res, const char *msg)
{
	char *s = cJSON_PrintUnformatted(res);

	job_set_result(job, s);
	cJSON_free(s);
	cJSON_Delete(res);
	return rc == 0 ? 0 : job_fail(job, rc, "%s", msg);
}

static int
backup_job(struct job *job, void *arg)
{
	const struct backup_req *q = arg;
	struct bk_hooks h = { job, job_hook_progress, job_hook_log,
	    job_hook_cancelled };
	struct adb_conn *c = NULL;
	cJSON *res = NULL;
	char err[1024], msg[1100];
	int rc;

	rc = xferjob_open(job, q->addr, &c, err, sizeof(err));
	if (rc < 0) {
		res = cJSON_CreateObject();
		cJSON_AddBoolToObject(res, "ok", 0);
		cJSON_AddStringToObject(res, "error", dm_errname(rc));
		cJSON_AddStringToObject(res, "message", err);
		return job_end(job, rc, res, err);
	}
	rc = backup_main(c, q, &h, &res);
	adb_close(c);
	snprintf(msg, sizeof(msg), "%s", cJSON_GetStringValue(
	    cJSON_GetObjectItem(res, "message")) ? cJSON_GetStringValue(
	    cJSON_GetObjectItem(res, "message")) : "backup failed");
	return job_end(job, rc, res, msg);
}

int
backup_run(struct adb_conn *c, const struct backup_req *q,
    const struct bk_hooks *h, cJSON **result)
{
	return backup_main(c, q, h, result);
}

/* ---- requests ---------------------------------------------------------- */

int
backup_req_from_json(const cJSON *params, struct backup_req *r, char *err,
    size_t errlen)
{
	const cJSON *only = cJSON_GetObjectItem(params, "only");
	char to[4096] = "";
	int rc;

	memset(r, 0, sizeof(*r));
	r->cats = bk_cat_default();
	if (cJSON_IsString(only) && only->valuestring[0] != '\0') {
		r->cats = bk_cat_parse(only->valuestring, err, errlen);
		if (r->cats == 0)
			return DM_EINVAL;
	}
	r->full = cJSON_IsTrue(cJSON_GetObjectItem(params, "full"));
	r->dry_run = cJSON_IsTrue(cJSON_GetObjectItem(params, "dry_run"));
	if ((rc = proto_param_copy(params, "to", 0, to, sizeof(to),
	    "backup: ", err, errlen)) < 0)
		return rc;
	if (to[0] != '\0' && to[0] != '/')
		return dm_fail(err, errlen, DM_EINVAL, "backup: the folder "
		    "must be absolute (the server has its own working folder)");
	return bklib_root(to, r->root, sizeof(r->root), err, errlen);
}

int
backup_submit(struct jobeng *eng, unsigned dev_id, const struct backup_req *r)
{
	struct backup_req *copy = xmalloc(sizeof(*copy));

	*copy = *r;
	return jobeng_submit(eng, dev_id, "backup", backup_job, copy, free);
}

int
backup_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen)
{
	struct backup_req r;
	int rc;

	if ((rc = backup_req_from_json(params, &r, err, errlen)) < 0 ||
	    (rc = proto_param_address(params, r.addr, sizeof(r.addr), err,
	    errlen)) < 0 ||
	    (rc = proto_param_copy(params, "serial", 0, r.serial,
	    sizeof(r.serial), "backup: ", err, errlen)) < 0)
		return rc;
	rc = backup_submit(eng, 0, &r);
	if (rc < 0)
		dm_fail(err, errlen, rc, "could not queue the backup");
	return rc;
}
