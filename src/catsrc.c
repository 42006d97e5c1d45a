/* catsrc.c - catalogs fetched from addresses (see catsrc.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "backup.h"
#include "catalog.h"
#include "catsrc.h"
#include "dl.h"
#include "err.h"
#include "paths.h"
#include "textfile.h"
#include "xmem.h"

#define CATALOG_MAX	(16u << 20)
#define LIST_MAX	64

char *
catsrc_dir(void)
{
	char *cache = paths_cache_dir(), *dir;

	if (cache == NULL)
		return NULL;
	dir = xasprintf("%s/catalogs", cache);
	free(cache);
	if (paths_mkdirs(dir, 0700) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void
url_key(const char *url, char out[17])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_Digest(url, strlen(url), md, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 8; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[16] = '\0';
}

/* The listed addresses: one per line, # comments, blanks ignored. */
static size_t
read_list(char **urls, size_t max)
{
	char *conf = paths_config_dir(), *path, *text = NULL;
	size_t len = 0, n = 0;

	if (conf == NULL)
		return 0;
	path = xasprintf("%s/catalog-urls", conf);
	free(conf);
	if (textfile_read(path, 1u << 20, &text, &len) == 0) {
		for (char *l = strtok(text, "\n"); l != NULL && n < max;
		    l = strtok(NULL, "\n")) {
			size_t k;

			l += strspn(l, " \t\r");
			k = strcspn(l, " \t\r#");
			if (k == 0)
				continue;
			l[k] = '\0';
			urls[n++] = xstrdup(l);
		}
	}
	free(text);
	free(path);
	return n;
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, k));

	return s != NULL ? s : "";
}

static cJSON *
entry(cJSON *report, const char *url, const char *status, int builds,
    const char *msg)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "url", url);
	cJSON_AddStringToObject(e, "status", status);
	if (builds >= 0)
		cJSON_AddNumberToObject(e, "builds", builds);
	cJSON_AddStringToObject(e, "message", msg);
	cJSON_AddItemToArray(report, e);
	return e;
}

/* Write text to path whole or not at all. */
static int
save_text(const char *path, const char *text, size_t len)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int ok = f != NULL && fwrite(text, 1, len, f) == len &&
	    fflush(f) == 0 && fsync(fileno(f)) == 0;

	if (f != NULL)
		ok &= fclose(f) == 0;
	if (ok && rename(tmp, path) == 0) {
		free(tmp);
		return 0;
	}
	unlink(tmp);
	free(tmp);
	return -1;
}

static int
one(const char *dir, const char *url, const char *cacert,
    const struct dl_proxy *proxy, cJSON *report)
{
	char key[17], sch[16], err[1024], msg[1200];
	char *json, *meta, *text = NULL;
	size_t len = 0;
	cJSON *m = NULL;
	struct dl_doc doc;
	int rc, failed = 0;

	if (dl_scheme(url, sch, sizeof(sch)) < 0 || (strcmp(sch, "https") != 0 &&
	    strcmp(sch, "file") != 0)) {
		entry(report, url, "failed", -1, "only https:// and file:// "
		    "catalogs: their hashes are what downloads are checked "
		    "against");
		return 1;
	}
	url_key(url, key);
	json = xasprintf("%s/%s.json", dir, key);
	meta = xasprintf("%s/%s.meta", dir, key);
	if (textfile_read(meta, 1u << 16, &text, &len) == 0)
		m = cJSON_ParseWithLength(text, len);
	free(text);
	if (m != NULL && (strcmp(jstr(m, "url"), url) != 0 ||
	    access(json, R_OK) != 0)) {
		cJSON_Delete(m);
		m = NULL;
	}
	rc = dl_get_doc(url, m ? jstr(m, "etag") : NULL, m ? jstr(m,
	    "last_modified") : NULL, cacert, proxy, CATALOG_MAX, &doc, err,
	    sizeof(err));
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "%s%s", err, m != NULL ?
		    "; the copy fetched before is still used" : "");
		entry(report, url, "failed", -1, msg);
		failed = 1;
	} else if (doc.status == 304) {
		struct catalog c;
		char *old = NULL;
		size_t olen = 0;
		int n = 0;

		catalog_init(&c);
		if (textfile_read(json, CATALOG_MAX, &old, &olen) == 0)
			n = (int)catalog_add_text(&c, url, old, olen);
		free(old);
		catalog_free(&c);
		entry(report, url, "unchanged", n, "not modified since the "
		    "last fetch");
	} else {
		struct catalog c;
		size_t n;

		catalog_init(&c);
		n = catalog_add_text(&c, url, doc.body, doc.len);
		if (n == 0 && c.nerrors > 0) {
			snprintf(msg, sizeof(msg), "%s%s", c.errors[0],
			    m != NULL ? "; the copy fetched before is still "
			    "used" : "");
			entry(report, url, "failed", 0, msg);
			failed = 1;
		} else if (save_text(json, doc.body, doc.len) < 0) {
			snprintf(msg, sizeof(msg), "cannot write %s: %s", json,
			    strerror(errno));
			entry(report, url, "failed", -1, msg);
			failed = 1;
		} else {
			cJSON *nm = cJSON_CreateObject();

			cJSON_AddStringToObject(nm, "url", url);
			cJSON_AddStringToObject(nm, "etag", doc.etag);
			cJSON_AddStringToObject(nm, "last_modified",
			    doc.last_modified);
			cJSON_AddNumberToObject(nm, "fetched",
			    (double)time(NULL));
			(void)bklib_save(meta, nm, err, sizeof(err));
			cJSON_Delete(nm);
			snprintf(msg, sizeof(msg), "%zu bytes%s", doc.len,
			    c.nerrors ? "; some entries did not read (see "
			    "firmware search)" : "");
			entry(report, url, m != NULL ? "updated" : "fetched",
			    (int)n, msg);
		}
		catalog_free(&c);
	}
	free(doc.body);
	cJSON_Delete(m);
	free(json);
	free(meta);
	return failed;
}

int
catsrc_update(const char *cacert, const struct dl_proxy *proxy,
    cJSON *report)
{
	char *urls[LIST_MAX], keys[LIST_MAX][17];
	char *dir = catsrc_dir();
	size_t n;
	int failed = 0;
	DIR *dp;
	struct dirent *e;

	if (dir == NULL) {
		entry(report, "", "failed", -1, "no cache folder for catalogs");
		return 1;
	}
	n = read_list(urls, LIST_MAX);
	for (size_t i = 0; i < n; i++) {
		url_key(urls[i], keys[i]);
		failed += one(dir, urls[i], cacert, proxy, report);
	}
	/* What is no longer listed goes. */
	if ((dp = opendir(dir)) != NULL) {
		while ((e = readdir(dp)) != NULL) {
			size_t k = strlen(e->d_name), i;
			char *p;

			if (k != 21 || (strcmp(e->d_name + 16, ".json") != 0 &&
			    strcmp(e->d_name + 16, ".meta") != 0))
				continue;
			for (i = 0; i < n; i++)
				if (strncmp(e->d_name, keys[i], 16) == 0)
					break;
			if (i < n)
				continue;
			p = xasprintf("%s/%s", dir, e->d_name);
			unlink(p);
			free(p);
		}
		closedir(dp);
	}
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
	free(dir);
	return failed;
}
