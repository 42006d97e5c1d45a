/* fetchjob.c - a firmware download as a job (see fetchjob.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "dl.h"
#include "err.h"
#include "fastboot.h"
#include "fetchjob.h"
#include "fwcache.h"
#include "job.h"
#include "paths.h"
#include "rompkg.h"
#include "xmem.h"

static const char *
jstr(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, k));

	return s != NULL && *s ? s : NULL;
}

static int
hex_ok(const char *s, size_t n)
{
	return s == NULL || (strlen(s) == n &&
	    strspn(s, "0123456789abcdefABCDEF") == n);
}

/* The name a download is kept under: the file's own, with nothing that
 * could leave the folder. */
static int
name_ok(const char *s)
{
	return s != NULL && *s && s[0] != '.' && strchr(s, '/') == NULL &&
	    strlen(s) < 200;
}

int
fetchjob_check(const cJSON *params, char *err, size_t errlen)
{
	const cJSON *urls = cJSON_GetObjectItemCaseSensitive(params, "urls");
	const cJSON *u, *n;
	const char *out = jstr(params, "output"), *ca = jstr(params,
	    "cacert");
	int count = 0;

	if (!cJSON_IsArray(urls))
		return dm_fail(err, errlen, DM_EINVAL, "fetch: \"urls\" must be "
		    "a list of addresses");
	cJSON_ArrayForEach(u, urls) {
		char sch[16];

		if (!cJSON_IsString(u) || dl_scheme(u->valuestring, sch,
		    sizeof(sch)) < 0 || (strcmp(sch, "http") != 0 &&
		    strcmp(sch, "https") != 0 && strcmp(sch, "file") != 0))
			return dm_fail(err, errlen, DM_EINVAL, "fetch: %s is "
			    "not an http://, https:// or file:// address",
			    cJSON_IsString(u) ? u->valuestring : "a url");
		if (strlen(u->valuestring) >= 1000)
			return dm_fail(err, errlen, DM_EINVAL, "fetch: an "
			    "address longer than 1000 bytes");
		count++;
	}
	if (count == 0)
		return dm_fail(err, errlen, DM_EINVAL, "fetch: no address");
	if (!name_ok(jstr(params, "name")))
		return dm_fail(err, errlen, DM_EINVAL, "fetch: \"name\" must be "
		    "a plain file name");
	if (!hex_ok(jstr(params, "sha256"), 64) || !hex_ok(jstr(params,
	    "md5"), 32))
		return dm_fail(err, errlen, DM_EINVAL, "fetch: \"sha256\" is 64 "
		    "hex digits, \"md5\" 32");
	if ((out != NULL && out[0] != '/') || (ca != NULL && ca[0] != '/'))
		return dm_fail(err, errlen, DM_EINVAL, "fetch: \"output\" and "
		    "\"cacert\" must be absolute paths");
	if (out != NULL && strlen(out) >= PATH_MAX - 16)
		return dm_fail(err, errlen, DM_EINVAL, "fetch: \"output\" is "
		    "too long");
	n = cJSON_GetObjectItemCaseSensitive(params, "size");
	if (n != NULL && !cJSON_IsNull(n) && (!cJSON_IsNumber(n) ||
	    n->valuedouble < 0))
		return dm_fail(err, errlen, DM_EINVAL, "fetch: \"size\" must be "
		    "a number of bytes");
	n = cJSON_GetObjectItemCaseSensitive(params, "connections");
	if (n != NULL && (!cJSON_IsNumber(n) || n->valueint < 1 ||
	    n->valueint > DL_CONNS_MAX))
		return dm_fail(err, errlen, DM_EINVAL, "fetch: \"connections\" "
		    "is 1 to %d", DL_CONNS_MAX);
	return 0;
}

struct fetch_ctx {
	struct job *job;
	const char *name;
	int64_t last_ms;
};

static void
fetch_log(void *ud, const char *line)
{
	struct fetch_ctx *c = ud;

	job_log(c->job, "%s", line);
}

static int
fetch_progress(void *ud, const struct dl_progress *p)
{
	struct fetch_ctx *c = ud;
	char done[32], total[32], what[128], eta[32] = "";

	fb_size_text(p->done, done, sizeof(done));
	fb_size_text(p->total, total, sizeof(total));
	if (p->eta_s >= 0)
		snprintf(eta, sizeof(eta), ", %lld:%02lld left",
		    (long long)(p->eta_s / 60), (long long)(p->eta_s % 60));
	snprintf(what, sizeof(what), "%s of %s, %.1f MB/s%s, %d conn%s", done,
	    p->total ? total : "?", p->rate / 1e6, eta, p->conns,
	    p->conns == 1 ? "" : "s");
	job_progress(c->job, (int64_t)p->done, (int64_t)p->total, what);
	return job_cancelled(c->job);
}

static int
pkg_progress(void *ud, uint64_t done, uint64_t total)
{
	struct fetch_ctx *c = ud;

	job_progress(c->job, (int64_t)done, (int64_t)total,
	    "reading the package through");
	return job_cancelled(c->job);
}

static int
fetch_job(struct job *job, void *arg)
{
	const cJSON *p = arg, *u, *px = cJSON_GetObjectItemCaseSensitive(arg,
	    "proxy");
	const cJSON *sz = cJSON_GetObjectItemCaseSensitive(p, "size");
	const cJSON *cn = cJSON_GetObjectItemCaseSensitive(p, "connections");
	struct fetch_ctx ctx = { .job = job, .name = jstr(p, "name") };
	struct dl_proxy proxy = {
		.http = jstr(px, "http"), .https = jstr(px, "https"),
		.all = jstr(px, "all"), .no = jstr(px, "no"),
	};
	struct dl_req r;
	struct dl_result res;
	const char *urls[64];
	const char *out = jstr(p, "output");
	char dest[PATH_MAX], err[1024], size[32], cached[PATH_MAX + 100];
	char evicted[4096] = "";
	size_t n = 0;
	int rc, already = 0;
	cJSON *j;

	memset(&r, 0, sizeof(r));
	cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(p, "urls"))
		if (n < 64)
			urls[n++] = u->valuestring;
	if (out != NULL) {
		snprintf(dest, sizeof(dest), "%s", out);
	} else {
		char *dir = fwcache_dir();

		if (dir == NULL)
			return job_fail(job, DM_EIO, "no firmware cache "
			    "folder: %s", strerror(errno));
		snprintf(dest, sizeof(dest), "%s/partial", dir);
		free(dir);
		if (paths_mkdirs(dest, 0700) < 0)
			return job_fail(job, DM_EIO, "cannot create %s", dest);
		snprintf(dest + strlen(dest), sizeof(dest) - strlen(dest),
		    "/%s", ctx.name);
	}
	r.urls = urls;
	r.nurls = n;
	r.dest = dest;
	r.size = cJSON_IsNumber(sz) ? (uint64_t)sz->valuedouble : 0;
	r.sha256 = jstr(p, "sha256");
	r.md5 = jstr(p, "md5");
	r.conns = cJSON_IsNumber(cn) ? cn->valueint : 0;
	r.retries = -1;
	r.cacert = jstr(p, "cacert");
	r.proxy = cJSON_IsObject(px) ? &proxy : NULL;
	r.progress = fetch_progress;
	r.log = fetch_log;
	r.ud = &ctx;
	fb_size_text(r.size, size, sizeof(size));
	job_log(job, "fetching %s%s%s%s from %zu address%s; %s", ctx.name,
	    r.size ? " (" : "", r.size ? size : "", r.size ? ")" : "", n,
	    n == 1 ? "" : "es", r.sha256 ? "its SHA-256 is known" : r.md5 ?
	    "its MD5 is known" : "NO HASH IS KNOWN: it cannot be checked");
	rc = dl_fetch(&r, &res, err, sizeof(err));
	if (rc < 0)
		return job_fail(job, rc, "%s", err);
	fb_size_text(res.size, size, sizeof(size));
	job_log(job, "downloaded %s in %.1f s (%.1f MB/s, %d connection%s)"
	    "%s", size, res.secs, res.secs > 0 ? (double)(res.size -
	    res.resumed_from) / res.secs / 1e6 : 0.0, res.conns,
	    res.conns == 1 ? "" : "s", res.resumed_from ? ", resumed" : "");
	job_log(job, "sha256 %s%s", res.sha256, r.sha256 ?
	    ": as expected" : "");
	if (r.md5 != NULL)
		job_log(job, "md5    %s: as expected", res.md5);
	snprintf(cached, sizeof(cached), "%s", dest);
	if (out == NULL) {
		struct rom_pkg pkg;

		job_log(job, "reading the package through");
		rc = rompkg_open(dest, &pkg, pkg_progress, &ctx, err,
		    sizeof(err));
		if (rc == DM_ECANCEL)
			return job_fail(job, rc, "stopped while reading the "
			    "package; it stays downloaded in %s", dest);
		if (rc < 0) {
			unlink(dest);
			return job_fail(job, rc, "%s; it is deleted", err);
		}
		rc = fwcache_add(&pkg, cached, sizeof(cached), &already,
		    evicted, sizeof(evicted), err, sizeof(err));
		if (rc < 0) {
			rompkg_free(&pkg);
			return job_fail(job, rc, "%s (the download stays in "
			    "%s)", err, dest);
		}
		unlink(dest);
		job_log(job, "%s %s (%s)", already ? "already in the cache:" :
		    "in the cache:", cached, rompkg_kind_name(pkg.kind));
		for (char *l = evicted; *l;) {
			size_t k = strcspn(l, "\n");

			job_log(job, "evicted to keep the cache under its "
			    "limit: %.*s", (int)k, l);
			l += k + (l[k] == '\n');
		}
		snprintf(res.md5, sizeof(res.md5), "%s", pkg.md5);
		rompkg_free(&pkg);
	}
	j = cJSON_CreateObject();
	cJSON_AddBoolToObject(j, "ok", 1);
	cJSON_AddStringToObject(j, "path", cached);
	cJSON_AddBoolToObject(j, "cached", out == NULL);
	cJSON_AddBoolToObject(j, "already", already);
	cJSON_AddNumberToObject(j, "size", (double)res.size);
	cJSON_AddStringToObject(j, "sha256", res.sha256);
	if (res.md5[0])
		cJSON_AddStringToObject(j, "md5", res.md5);
	cJSON_AddStringToObject(j, "url", res.url);
	cJSON_AddNumberToObject(j, "resumed_from", (double)res.resumed_from);
	cJSON_AddNumberToObject(j, "connections", res.conns);
	cJSON_AddNumberToObject(j, "seconds", res.secs);
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(p, "build")))
		cJSON_AddItemToObject(j, "build", cJSON_Duplicate(
		    cJSON_GetObjectItemCaseSensitive(p, "build"), 1));
	{
		char *s = cJSON_PrintUnformatted(j);

		job_set_result(job, s);
		cJSON_free(s);
	}
	cJSON_Delete(j);
	return 0;
}

cJSON *
fetchjob_params(const struct cat_build *b)
{
	cJSON *p = cJSON_CreateObject(), *urls;
	char name[256];

	urls = cJSON_AddArrayToObject(p, "urls");
	for (size_t i = 0; i < b->nurls; i++)
		cJSON_AddItemToArray(urls, cJSON_CreateString(b->urls[i]));
	if (b->file != NULL) {
		snprintf(name, sizeof(name), "%s", b->file);
	} else {
		const char *u = b->nurls > 0 ? b->urls[0] : "", *q;
		const char *slash = strrchr(u, '/');

		snprintf(name, sizeof(name), "%s", slash ? slash + 1 : u);
		if ((q = strpbrk(name, "?#")) != NULL)
			name[q - name] = '\0';
		if (name[0] == '\0' || name[0] == '.')
			snprintf(name, sizeof(name), "%s-%s.pkg",
			    b->codename ? b->codename : "firmware", b->version);
	}
	cJSON_AddStringToObject(p, "name", name);
	if (b->sha256[0])
		cJSON_AddStringToObject(p, "sha256", b->sha256);
	if (b->md5[0])
		cJSON_AddStringToObject(p, "md5", b->md5);
	if (b->size > 0)
		cJSON_AddNumberToObject(p, "size", (double)b->size);
	cJSON_AddItemToObject(p, "build", catalog_build_json(b));
	cJSON_AddItemToObject(p, "proxy", dl_proxy_env());
	return p;
}

static void
free_params(void *arg)
{
	cJSON_Delete(arg);
}

int
fetchjob_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen)
{
	int rc;

	if ((rc = fetchjob_check(params, err, errlen)) < 0)
		return rc;
	rc = jobeng_submit(eng, 0, "fetch", fetch_job,
	    cJSON_Duplicate(params, 1), free_params);
	if (rc < 0)
		dm_fail(err, errlen, rc, "could not queue the download");
	return rc;
}
