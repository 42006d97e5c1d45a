/* catalog.c - firmware catalogs read and searched (see catalog.h). */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>

#include "catalog.h"
#include "catsrc.h"
#include "err.h"
#include "paths.h"
#include "textfile.h"
#include "xmem.h"

#define CAT_MAX_FILE	(8u << 20)

void
catalog_init(struct catalog *c)
{
	memset(c, 0, sizeof(*c));
}

void
catalog_free(struct catalog *c)
{
	for (size_t i = 0; i < c->nerrors; i++)
		free(c->errors[i]);
	free(c->errors);
	for (size_t i = 0; i < c->ndocs; i++)
		cJSON_Delete(c->docs[i]);
	free(c->docs);
	for (size_t i = 0; i < c->nstrings; i++)
		free(c->strings[i]);
	free(c->strings);
	free(c->b);
	memset(c, 0, sizeof(*c));
}

static void
cat_error(struct catalog *c, const char *fmt, ...)
{
	va_list ap;
	char buf[600];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->errors = xrealloc(c->errors, (c->nerrors + 1) * sizeof(*c->errors));
	c->errors[c->nerrors++] = xstrdup(buf);
}

static void *
keep(struct catalog *c, void *p)
{
	c->strings = xrealloc(c->strings, (c->nstrings + 1) *
	    sizeof(*c->strings));
	c->strings[c->nstrings++] = p;
	return p;
}

static int
is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A string or null member: 0 and *out (NULL for null or absent), or -1. */
static int
opt_str(const cJSON *o, const char *k, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) > 1024)
		return -1;
	*out = v->valuestring;
	return 0;
}

static int
known_key(const char *k, const char *const *keys)
{
	if (k[0] == '_')
		return 1;
	for (size_t i = 0; keys[i] != NULL; i++)
		if (strcmp(k, keys[i]) == 0)
			return 1;
	return 0;
}

/* The first element of a string array, and all of them joined; -1 when
 * it is not an array of strings. */
static int
str_array(struct catalog *c, const cJSON *o, const char *k,
    const char **first, const char **all)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k), *e;
	size_t len = 0;
	char *j;

	*first = NULL;
	if (all != NULL)
		*all = NULL;
	if (a == NULL || cJSON_IsNull(a))
		return 0;
	if (!cJSON_IsArray(a))
		return -1;
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e) || e->valuestring[0] == '\0' ||
		    strlen(e->valuestring) > 128)
			return -1;
		if (*first == NULL)
			*first = e->valuestring;
		len += strlen(e->valuestring) + 1;
	}
	if (all == NULL || len == 0)
		return 0;
	j = keep(c, xmalloc(len + 1));
	j[0] = '\0';
	cJSON_ArrayForEach(e, a) {
		if (j[0] != '\0')
			strcat(j, ",");
		strcat(j, e->valuestring);
	}
	*all = j;
	return 0;
}

static const char *
build_check(struct catalog *c, const cJSON *b, struct cat_build *out)
{
	static const char *const keys[] = {
		"version", "android", "date", "region", "carrier", "type",
		"file", "urls", "size", "sha256", "md5", NULL,
	};
	const cJSON *k, *v;
	const char *s;

	cJSON_ArrayForEach(k, b)
		if (!known_key(k->string, keys))
			return "an unknown key (a typo?)";
	if (opt_str(b, "version", &out->version) < 0 || out->version == NULL ||
	    out->version[0] == '\0')
		return "no \"version\"";
	if (opt_str(b, "android", &out->android) < 0 ||
	    opt_str(b, "region", &out->region) < 0 ||
	    opt_str(b, "carrier", &out->carrier) < 0)
		return "\"android\", \"region\" and \"carrier\" are strings";
	if (opt_str(b, "date", &out->date) < 0 || (out->date != NULL &&
	    (strlen(out->date) != 10 || out->date[4] != '-' ||
	    out->date[7] != '-')))
		return "\"date\" is YYYY-MM-DD";
	if (opt_str(b, "type", &out->type) < 0 || out->type == NULL ||
	    (strcmp(out->type, "xiaomi-fastboot-tgz") != 0 &&
	    strcmp(out->type, "aosp-factory-zip") != 0 &&
	    strcmp(out->type, "ota-zip") != 0))
		return "\"type\" is one of " CAT_TYPES;
	if (opt_str(b, "file", &out->file) < 0 || (out->file != NULL &&
	    (out->file[0] == '\0' || out->file[0] == '.' ||
	    strchr(out->file, '/') != NULL)))
		return "\"file\" is a plain file name";
	v = cJSON_GetObjectItemCaseSensitive(b, "size");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
		    v->valuedouble > 1e15)
			return "\"size\" is a number of bytes";
		out->size = (uint64_t)v->valuedouble;
	}
	if (opt_str(b, "sha256", &s) < 0 || (s != NULL && !is_hex(s, 64)))
		return "\"sha256\" is 64 hex digits";
	if (s != NULL)
		for (int i = 0; i < 64; i++)
			out->sha256[i] = (char)tolower((unsigned char)s[i]);
	if (opt_str(b, "md5", &s) < 0 || (s != NULL && !is_hex(s, 32)))
		return "\"md5\" is 32 hex digits";
	if (s != NULL)
		for (int i = 0; i < 32; i++)
			out->md5[i] = (char)tolower((unsigned char)s[i]);
	v = cJSON_GetObjectItemCaseSensitive(b, "urls");
	if (v != NULL && !cJSON_IsNull(v)) {
		const cJSON *u;
		size_t n = 0;

		if (!cJSON_IsArray(v))
			return "\"urls\" is a list";
		out->urls = keep(c, xcalloc((size_t)cJSON_GetArraySize(v) + 1,
		    sizeof(*out->urls)));
		cJSON_ArrayForEach(u, v) {
			if (!cJSON_IsString(u) ||
			    (strncmp(u->valuestring, "https://", 8) != 0 &&
			    strncmp(u->valuestring, "http://", 7) != 0 &&
			    strncmp(u->valuestring, "file://", 7) != 0))
				return "\"urls\" are https://, http:// or "
				    "file:// addresses";
			out->urls[n++] = u->valuestring;
		}
		out->nurls = n;
	}
	return NULL;
}

size_t
catalog_add_text(struct catalog *c, const char *path, const char *text,
    size_t len)
{
	static const char *const top_keys[] = {
		"catalog", "name", "sample", "devices", NULL,
	};
	static const char *const dev_keys[] = {
		"vendor", "names", "models", "codenames", "builds", NULL,
	};
	cJSON *doc = cJSON_ParseWithLength(text, len), *v, *d;
	const char *name = NULL;
	size_t added = 0, di = 0;
	int sample;

	if (doc == NULL || !cJSON_IsObject(doc)) {
		int line = 1, col = 1;
		const char *at = cJSON_GetErrorPtr();

		if (doc == NULL && at != NULL && at >= text && at <= text + len)
			textfile_position(text, (size_t)(at - text), &line,
			    &col);
		cat_error(c, "%s:%d:%d: not a JSON object", path, line, col);
		cJSON_Delete(doc);
		return 0;
	}
	v = cJSON_GetObjectItemCaseSensitive(doc, "catalog");
	if (!cJSON_IsNumber(v) || v->valueint != 1) {
		cat_error(c, "%s: not a droidmedic catalog (\"catalog\": 1)",
		    path);
		cJSON_Delete(doc);
		return 0;
	}
	cJSON_ArrayForEach(v, doc)
		if (!known_key(v->string, top_keys)) {
			cat_error(c, "%s: unknown key \"%s\"", path, v->string);
			cJSON_Delete(doc);
			return 0;
		}
	(void)opt_str(doc, "name", &name);
	sample = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "sample"));
	c->docs = xrealloc(c->docs, (c->ndocs + 1) * sizeof(*c->docs));
	c->docs[c->ndocs++] = doc;
	path = keep(c, xstrdup(path));
	v = cJSON_GetObjectItemCaseSensitive(doc, "devices");
	if (!cJSON_IsArray(v)) {
		cat_error(c, "%s: no \"devices\" list", path);
		return 0;
	}
	cJSON_ArrayForEach(d, v) {
		struct cat_build dev;
		const cJSON *b, *k;
		const char *bad = NULL;
		size_t bi = 0;

		memset(&dev, 0, sizeof(dev));
		if (!cJSON_IsObject(d))
			bad = "not an object";
		else
			cJSON_ArrayForEach(k, d)
				if (!known_key(k->string, dev_keys))
					bad = "an unknown key (a typo?)";
		if (bad == NULL && (opt_str(d, "vendor", &dev.vendor) < 0 ||
		    str_array(c, d, "names", &dev.name, &dev.names) < 0 ||
		    str_array(c, d, "models", &dev.model, &dev.models) < 0 ||
		    str_array(c, d, "codenames", &dev.codename,
		    &dev.codenames) < 0))
			bad = "\"names\", \"models\" and \"codenames\" are "
			    "lists of names";
		if (bad == NULL && dev.codename == NULL)
			bad = "no \"codenames\"";
		if (bad == NULL && !cJSON_IsArray(
		    cJSON_GetObjectItemCaseSensitive(d, "builds")))
			bad = "no \"builds\" list";
		if (bad != NULL) {
			cat_error(c, "%s: devices[%zu]: %s", path, di++, bad);
			continue;
		}
		cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(d,
		    "builds")) {
			struct cat_build nb = dev;

			nb.source = path;
			nb.catalog = name ? name : path;
			nb.sample = sample;
			bad = cJSON_IsObject(b) ? build_check(c, b, &nb) :
			    "not an object";
			if (bad != NULL) {
				cat_error(c, "%s: devices[%zu].builds[%zu]: %s",
				    path, di, bi++, bad);
				continue;
			}
			c->b = xrealloc(c->b, (c->n + 1) * sizeof(*c->b));
			c->b[c->n++] = nb;
			added++;
			bi++;
		}
		di++;
	}
	return added;
}

void
catalog_builtin_dir(char *out, size_t len)
{
	paths_data_dir(getenv("DROIDMEDIC_CATALOGS"), "catalogs",
	    "data/catalogs", out, len);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
load_dir(struct catalog *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0 &&
		    e->d_name[0] != '.') {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 300];
		size_t len = 0;
		char *text = NULL;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rc = textfile_read(path, CAT_MAX_FILE, &text, &len);
		if (rc < 0)
			cat_error(c, "%s: %s", path, strerror(-rc));
		else
			catalog_add_text(c, path, text, len);
		free(text);
		free(names[i]);
	}
	free(names);
}

void
catalog_load(struct catalog *c)
{
	char dir[PATH_MAX];
	char *conf = paths_config_dir();

	catalog_builtin_dir(dir, sizeof(dir));
	if (dir[0] != '\0')
		load_dir(c, dir);
	if (conf != NULL) {
		snprintf(dir, sizeof(dir), "%s/catalogs", conf);
		load_dir(c, dir);
		free(conf);
	}
	/* The catalogs `firmware update` fetched (catsrc.c). */
	if ((conf = catsrc_dir()) != NULL) {
		load_dir(c, conf);
		free(conf);
	}
}

/* Versions compared with their digit runs as numbers. */
static int
ver_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			char *ea, *eb;
			unsigned long long x = strtoull(a, &ea, 10);
			unsigned long long y = strtoull(b, &eb, 10);

			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++, b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

/* Newest first. */
static int
newer_first(const void *x, const void *y)
{
	const struct cat_build *a = *(const struct cat_build *const *)x;
	const struct cat_build *b = *(const struct cat_build *const *)y;
	int r;

	if (a->date != NULL && b->date != NULL &&
	    (r = strcmp(a->date, b->date)) != 0)
		return -r;
	if ((a->date == NULL) != (b->date == NULL))
		return a->date == NULL ? 1 : -1;
	return -ver_cmp(a->version, b->version);
}

static int
has_word(const char *list, const char *w)
{
	size_t n = strlen(w);

	while (list != NULL && *list) {
		size_t k = strcspn(list, ",");

		if (k == n && strncasecmp(list, w, n) == 0)
			return 1;
		list += k;
		if (*list == ',')
			list++;
	}
	return 0;
}

static const char *
region_word(const char *r)
{
	if (r == NULL)
		return NULL;
	if (strcasecmp(r, "mi") == 0 || strcasecmp(r, "global") == 0)
		return "global";
	return r;
}

int
catalog_region_is(const struct cat_build *b, const char *region)
{
	const char *x = region_word(b->region), *y = region_word(region);

	if (x == NULL || y == NULL || *x == '\0' || *y == '\0')
		return -1;
	return strcasecmp(x, y) == 0;
}

/* Sort v[0..n) newest first, those of region (when given) before. */
static void
order(const struct cat_build **v, size_t n, const char *region)
{
	qsort(v, n, sizeof(*v), newer_first);
	if (region != NULL && region[0] != '\0') {
		/* a stable partition: the region's first */
		const struct cat_build **tmp = xmalloc((n + 1) * sizeof(*tmp));
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (catalog_region_is(v[i], region) == 1)
				tmp[k++] = v[i];
		for (size_t i = 0; i < n; i++)
			if (catalog_region_is(v[i], region) != 1)
				tmp[k++] = v[i];
		memcpy(v, tmp, n * sizeof(*v));
		free(tmp);
	}
}

static size_t
collect(const struct catalog *c, int (*want)(const struct cat_build *,
    const char *), const char *arg, const char *region,
    const struct cat_build **out, size_t max)
{
	const struct cat_build **v = xmalloc((c->n + 1) * sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		if (want(&c->b[i], arg))
			v[n++] = &c->b[i];
	order(v, n, region);
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = v[i];
	free(v);
	return n;
}

static int
want_codename(const struct cat_build *b, const char *codename)
{
	return codename != NULL && has_word(b->codenames, codename);
}

size_t
catalog_for(const struct catalog *c, const char *codename,
    const char *region, const struct cat_build **out, size_t max)
{
	return collect(c, want_codename, codename, region, out, max);
}

static int
contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; hay != NULL && *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

static int
want_query(const struct cat_build *b, const char *q)
{
	return contains(b->names, q) || contains(b->models, q) ||
	    contains(b->codenames, q) || contains(b->vendor, q) ||
	    contains(b->version, q);
}

size_t
catalog_search(const struct catalog *c, const char *query,
    const struct cat_build **out, size_t max)
{
	return collect(c, want_query, query, NULL, out, max);
}

const struct cat_build *
catalog_by_hash(const struct catalog *c, const char *sha256, const char *md5)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct cat_build *b = &c->b[i];

		if (sha256 != NULL && sha256[0] && b->sha256[0] &&
		    strcasecmp(b->sha256, sha256) == 0)
			return b;
		if (md5 != NULL && md5[0] && b->md5[0] &&
		    strcasecmp(b->md5, md5) == 0)
			return b;
	}
	return NULL;
}

const struct cat_build *
catalog_by_file(const struct catalog *c, const char *base)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->b[i].file != NULL && strcmp(c->b[i].file, base) == 0)
			return &c->b[i];
	return NULL;
}

static void
add_str(cJSON *o, const char *k, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

cJSON *
catalog_build_json(const struct cat_build *b)
{
	cJSON *o = cJSON_CreateObject(), *a;

	add_str(o, "vendor", b->vendor);
	add_str(o, "name", b->name);
	add_str(o, "model", b->model);
	add_str(o, "names", b->names);
	add_str(o, "models", b->models);
	add_str(o, "codenames", b->codenames);
	add_str(o, "version", b->version);
	add_str(o, "android", b->android);
	add_str(o, "date", b->date);
	add_str(o, "region", b->region);
	add_str(o, "carrier", b->carrier);
	add_str(o, "type", b->type);
	add_str(o, "file", b->file);
	a = cJSON_AddArrayToObject(o, "urls");
	for (size_t i = 0; i < b->nurls; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(b->urls[i]));
	if (b->size > 0)
		cJSON_AddNumberToObject(o, "size", (double)b->size);
	else
		cJSON_AddNullToObject(o, "size");
	add_str(o, "sha256", b->sha256[0] ? b->sha256 : NULL);
	add_str(o, "md5", b->md5[0] ? b->md5 : NULL);
	add_str(o, "catalog", b->catalog);
	add_str(o, "source", b->source);
	cJSON_AddBoolToObject(o, "sample", b->sample);
	return o;
}
