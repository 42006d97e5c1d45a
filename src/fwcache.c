/* fwcache.c - the firmware cache (see fwcache.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "dev.h"
#include "err.h"
#include "fwcache.h"
#include "paths.h"
#include "rompkg.h"
#include "textfile.h"
#include "xmem.h"

#define COPY_BUF	(1u << 20)

char *
fwcache_dir(void)
{
	char *cache = paths_cache_dir(), *dir;

	if (cache == NULL)
		return NULL;
	dir = xasprintf("%s/firmware", cache);
	free(cache);
	if (paths_mkdirs(dir, 0700) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

uint64_t
fwcache_limit(void)
{
	const char *e = getenv("DROIDMEDIC_CACHE_MAX");
	char *end;
	unsigned long long v;

	if (e == NULL || *e == '\0')
		return FWCACHE_MAX;
	errno = 0;
	v = strtoull(e, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return FWCACHE_MAX;
	return (uint64_t)v;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t k = write(fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static cJSON *
load_json(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	cJSON *j;

	if (textfile_read(path, 1u << 20, &text, &len) < 0)
		return NULL;
	j = cJSON_ParseWithLength(text, len);
	free(text);
	if (j != NULL && !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

/* Copy src into the new file dst (O_EXCL), fsynced. */
static int
copy_file(const char *src, const char *dst, char *err, size_t errlen)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out, rc = 0;
	char *buf;

	if (in < 0)
		return dm_fail(err, errlen, dm_from_errno(errno), "%s: %s", src,
		    strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = dm_fail(err, errlen, dm_from_errno(errno), "%s: %s", dst,
		    strerror(errno));
		close(in);
		return rc;
	}
	buf = xmalloc(COPY_BUF);
	for (;;) {
		ssize_t n = read(in, buf, COPY_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && write_all(out, buf, (size_t)n) < 0)) {
			rc = dm_fail(err, errlen, dm_from_errno(errno),
			    "copying into the cache: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
	}
	free(buf);
	if (rc == 0 && fsync(out) < 0)
		rc = dm_fail(err, errlen, dm_from_errno(errno),
		    "copying into the cache: %s", strerror(errno));
	if (close(out) < 0 && rc == 0)
		rc = dm_fail(err, errlen, dm_from_errno(errno),
		    "copying into the cache: %s", strerror(errno));
	close(in);
	if (rc < 0)
		unlink(dst);
	return rc;
}

static double
jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int
by_used_desc(const void *a, const void *b)
{
	double x = jnum(*(cJSON *const *)a, "used");
	double y = jnum(*(cJSON *const *)b, "used");

	return x < y ? 1 : x > y ? -1 : 0;
}

cJSON *
fwcache_list(void)
{
	char *dir = fwcache_dir();
	cJSON *list = cJSON_CreateArray(), **v = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *e;

	if (dir == NULL || (d = opendir(dir)) == NULL) {
		free(dir);
		return list;
	}
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		char *path, *pkg;
		cJSON *j;
		struct stat st;

		if (l != 64 + 5 || strcmp(e->d_name + 64, ".json") != 0)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		pkg = xasprintf("%s/%.64s.pkg", dir, e->d_name);
		j = load_json(path);
		free(path);
		if (j == NULL || stat(pkg, &st) < 0) {
			cJSON_Delete(j);
			free(pkg);
			continue;
		}
		cJSON_AddStringToObject(j, "path", pkg);
		free(pkg);
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = j;
	}
	closedir(d);
	free(dir);
	if (n > 1)
		qsort(v, n, sizeof(*v), by_used_desc);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(list, v[i]);
	free(v);
	return list;
}

/* Evict the least recently used entries (never keep) until total fits
 * the limit. */
static void
evict(const char *dir, const char *keep, char *evicted, size_t evlen)
{
	cJSON *list = fwcache_list(), *e;
	uint64_t total = 0, limit = fwcache_limit();
	int n = cJSON_GetArraySize(list);

	cJSON_ArrayForEach(e, list)
		total += (uint64_t)jnum(e, "size");
	for (int i = n - 1; i >= 0 && total > limit; i--) {
		cJSON *x = cJSON_GetArrayItem(list, i);
		const char *sha = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(x, "sha256"));
		const char *name = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(x, "name"));
		char *p;

		if (sha == NULL || strlen(sha) != 64 ||
		    strspn(sha, "0123456789abcdef") != 64 ||
		    strcmp(sha, keep) == 0)
			continue;
		p = xasprintf("%s/%s.pkg", dir, sha);
		unlink(p);
		free(p);
		p = xasprintf("%s/%s.json", dir, sha);
		unlink(p);
		free(p);
		total -= (uint64_t)jnum(x, "size");
		if (evicted != NULL) {
			size_t l = strlen(evicted);

			snprintf(evicted + l, evlen - l, "%s%s", l ? "\n" : "",
			    name ? name : sha);
		}
	}
	cJSON_Delete(list);
}

int
fwcache_add(const struct rom_pkg *p, char *out, size_t outlen,
    int *already, char *evicted, size_t evlen, char *err, size_t errlen)
{
	char *dir = fwcache_dir(), *pkg, *rec, *tmp;
	const char *base = strrchr(p->path, '/');
	struct stat st;
	cJSON *j;
	int rc = 0;

	*already = 0;
	if (evicted != NULL && evlen > 0)
		evicted[0] = '\0';
	if (dir == NULL)
		return dm_fail(err, errlen, DM_EIO, "no cache folder "
		    "(XDG_CACHE_HOME, HOME)");
	if (p->file_size > fwcache_limit()) {
		rc = dm_fail(err, errlen, DM_ENOMEM, "%s is larger than the "
		    "cache's limit (%" PRIu64 " bytes: DROIDMEDIC_CACHE_MAX)",
		    p->path, fwcache_limit());
		free(dir);
		return rc;
	}
	pkg = xasprintf("%s/%s.pkg", dir, p->sha256);
	rec = xasprintf("%s/%s.json", dir, p->sha256);
	snprintf(out, outlen, "%s", pkg);
	if (stat(pkg, &st) == 0 && (uint64_t)st.st_size == p->file_size) {
		*already = 1;
	} else {
		/* In whole or not at all: a link when it can be, else a
		 * copy, under a temporary name, checked unchanged. */
		tmp = xasprintf("%s/.%s.%ld.part", dir, p->sha256,
		    (long)getpid());
		unlink(tmp);
		if (getenv("DROIDMEDIC_CACHE_NO_LINK") != NULL ||
		    link(p->path, tmp) < 0)
			rc = copy_file(p->path, tmp, err, errlen);
		if (rc == 0 && (rc = rompkg_unchanged(p, err, errlen)) < 0)
			unlink(tmp);
		if (rc == 0 && rename(tmp, pkg) < 0) {
			rc = dm_fail(err, errlen, dm_from_errno(errno), "%s: %s",
			    pkg, strerror(errno));
			unlink(tmp);
		}
		free(tmp);
	}
	if (rc == 0) {
		cJSON *old = load_json(rec);
		double now = (double)dm_now_ms() / 1000.0;

		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", base ? base + 1 : p->path);
		cJSON_AddNumberToObject(j, "size", (double)p->file_size);
		cJSON_AddStringToObject(j, "sha256", p->sha256);
		cJSON_AddStringToObject(j, "md5", p->md5);
		cJSON_AddStringToObject(j, "kind", rompkg_kind_name(p->kind));
		cJSON_AddStringToObject(j, "device", p->device);
		cJSON_AddStringToObject(j, "build", p->build);
		cJSON_AddNumberToObject(j, "added", old != NULL &&
		    jnum(old, "added") > 0 ? jnum(old, "added") : now);
		cJSON_AddNumberToObject(j, "used", now);
		cJSON_Delete(old);
		rc = bklib_save(rec, j, err, errlen);
		cJSON_Delete(j);
	}
	if (rc == 0)
		evict(dir, p->sha256, evicted, evlen);
	free(pkg);
	free(rec);
	free(dir);
	return rc;
}

void
fwcache_touch(const char *path)
{
	char *dir = fwcache_dir(), *rec;
	size_t dl;
	cJSON *j;

	if (dir == NULL)
		return;
	dl = strlen(dir);
	if (strncmp(path, dir, dl) != 0 || path[dl] != '/' ||
	    strlen(path + dl + 1) != 64 + 4) {
		free(dir);
		return;
	}
	rec = xasprintf("%s/%.64s.json", dir, path + dl + 1);
	j = load_json(rec);
	if (j != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(j, "used");
		cJSON_AddNumberToObject(j, "used",
		    (double)dm_now_ms() / 1000.0);
		(void)bklib_save(rec, j, NULL, 0);
		cJSON_Delete(j);
	}
	free(rec);
	free(dir);
}
