/* cli_flash.c - `droidmedic flash` (a ROM package flashed whole, a job of
 * the bench server: romjob.c) and `droidmedic firmware verify` (a package
 * read through here, no phone needed). */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "catsrc.h"
#include "dl.h"
#include "fetchjob.h"
#include "cli.h"
#include "err.h"
#include "fastboot.h"
#include "fwcache.h"
#include "romjob.h"
#include "rompkg.h"
#include "romplan.h"
#include "romscript.h"
#include "transport.h"

static int
sha256_ok(const char *s)
{
	return s != NULL && strlen(s) == 64 &&
	    strspn(s, "0123456789abcdefABCDEF") == 64;
}

int
cli_flash(const struct cli_opts *o, int argc, char **argv)
{
	char pkg[PATH_MAX], addr[160];
	cJSON *params;

	if (argc != 1) {
		fprintf(stderr, "droidmedic: usage: flash -s SERIAL PACKAGE "
		    "[--keep-data | --wipe | --lock] [--sha256 HEX] "
		    "[--dry-run] [--confirm SERIAL]\n");
		return 2;
	}
	if (o->serial == NULL || *o->serial == '\0') {
		fprintf(stderr, "droidmedic: which phone? give -s SERIAL (see "
		    "`droidmedic devices`)\n");
		return 2;
	}
	if (o->sha256 != NULL && !sha256_ok(o->sha256)) {
		fprintf(stderr, "droidmedic: --sha256 wants 64 hex digits\n");
		return 2;
	}
	if (realpath(argv[0], pkg) == NULL) {
		char msg[PATH_MAX + 64];

		snprintf(msg, sizeof(msg), "%s: %s", argv[0], strerror(errno));
		if (o->json)
			return cli_print_error_json(dm_errname(
			    dm_from_errno(errno)), msg);
		fprintf(stderr, "droidmedic: %s\n", msg);
		return 1;
	}
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "device", o->serial);
	cJSON_AddStringToObject(params, "package", pkg);
	cJSON_AddStringToObject(params, "choice", o->choice ? o->choice :
	    "keep-data");
	if (o->sha256 != NULL)
		cJSON_AddStringToObject(params, "sha256", o->sha256);
	if (o->confirm != NULL)
		cJSON_AddStringToObject(params, "confirm", o->confirm);
	cJSON_AddBoolToObject(params, "force", o->force);
	cJSON_AddBoolToObject(params, "without_backup", o->without_backup);
	cJSON_AddBoolToObject(params, "dry_run", o->dry_run);
	cJSON_AddBoolToObject(params, "restart", o->full);
	if (transport_address(o->serial, addr, sizeof(addr)))
		cJSON_AddStringToObject(params, "address", addr);
	/* Without a server the job runs here; romjob_submit_json() says how
	 * to name the phone when it has no address. */
	return cli_run_job(o, "flashrom", params, romjob_submit_json);
}

/* ---- firmware verify ------------------------------------------------- */

static int
verify_progress(void *ud, uint64_t done, uint64_t total)
{
	(void)ud;
	if (isatty(STDERR_FILENO) && total > 0)
		fprintf(stderr, "\rreading the package through: %3d%%",
		    (int)(done * 100 / total));
	return 0;
}

/* Each script the package holds, read: its steps, product and index. */
static int
verify_scripts(const struct rom_pkg *p, cJSON *j, int text)
{
	static const enum rom_text roles[] = {
		RT_EXCEPT_STORAGE, RT_FLASH_ALL, RT_LOCK,
	};
	static const char *const names[] = {
		"flash_all_except_storage.sh", "flash_all.sh",
		"flash_all_lock.sh",
	};
	cJSON *a = cJSON_AddArrayToObject(j, "scripts");
	int bad = 0;

	for (int i = 0; i < 3; i++) {
		struct rs_script s;
		char err[512];
		cJSON *o;
		size_t missing = 0, flashes = 0;
		char first[RS_MAX_PATH] = "";

		if (p->text[roles[i]] == NULL)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", names[i]);
		cJSON_AddItemToArray(a, o);
		if (rs_parse_xiaomi(p->text[roles[i]], p->textlen[roles[i]],
		    &s, err, sizeof(err)) < 0) {
			bad = 1;
			cJSON_AddStringToObject(o, "error", err);
			if (text)
				printf("  %-28s NOT READ: %s\n", names[i], err);
			continue;
		}
		for (size_t k = 0; k < s.n; k++) {
			const struct rom_member *m;

			if (s.steps[k].kind != RS_FLASH)
				continue;
			flashes++;
			m = rompkg_member(p, s.steps[k].file);
			if (m == NULL || !m->regular) {
				if (!missing)
					snprintf(first, sizeof(first), "%s",
					    s.steps[k].file);
				missing++;
			}
		}
		if (missing)
			bad = 1;
		cJSON_AddNumberToObject(o, "steps", (double)s.n);
		cJSON_AddNumberToObject(o, "flashes", (double)flashes);
		cJSON_AddStringToObject(o, "product", s.product);
		if (s.anti >= 0)
			cJSON_AddNumberToObject(o, "anti", s.anti);
		cJSON_AddBoolToObject(o, "anti_check", s.anti_check);
		cJSON_AddNumberToObject(o, "missing", (double)missing);
		if (text)
			printf("  %-28s %zu steps (%zu images) for %s%s%s\n",
			    names[i], s.n, flashes, s.product[0] ? s.product :
			    "(no product check)", missing ? "; MISSING: " : "",
			    missing ? first : "");
		rs_script_free(&s);
	}
	return bad;
}

/* A package read through as the flash reads it, its progress on a
 * terminal (not with --json). */
static int
read_package(const struct cli_opts *o, const char *path, struct rom_pkg *p,
    char *err, size_t errlen)
{
	int rc = rompkg_open(path, p, o->json ? NULL : verify_progress, NULL,
	    err, errlen);

	if (!o->json && isatty(STDERR_FILENO))
		fprintf(stderr, "\r%40s\r", "");
	return rc;
}

static int
firmware_verify(const struct cli_opts *o, const char *path)
{
	struct rom_pkg p;
	char err[1024], sz[32];
	int rc, bad = 0;
	cJSON *j;

	if (o->sha256 != NULL && !sha256_ok(o->sha256)) {
		fprintf(stderr, "droidmedic: --sha256 wants 64 hex digits\n");
		return 2;
	}
	rc = read_package(o, path, &p, err, sizeof(err));
	if (rc < 0) {
		if (o->json)
			return cli_print_error_json(dm_errname(rc), err);
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "path", p.path);
	cJSON_AddStringToObject(j, "kind", rompkg_kind_name(p.kind));
	cJSON_AddStringToObject(j, "format", p.format);
	cJSON_AddNumberToObject(j, "size", (double)p.file_size);
	cJSON_AddNumberToObject(j, "members", (double)p.n);
	cJSON_AddStringToObject(j, "sha256", p.sha256);
	cJSON_AddStringToObject(j, "md5", p.md5);
	cJSON_AddStringToObject(j, "device", p.device);
	cJSON_AddStringToObject(j, "build", p.build);
	fb_size_text(p.file_size, sz, sizeof(sz));
	if (!o->json) {
		printf("%s: %s, %s, %s, %zu members\n", p.path,
		    rompkg_kind_name(p.kind), p.format, sz, p.n);
		printf("  sha256 %s\n  md5    %s\n", p.sha256, p.md5);
		if (p.device[0] || p.build[0])
			printf("  for %s, build %s (misc.txt)\n",
			    p.device[0] ? p.device : "?",
			    p.build[0] ? p.build : "?");
		printf("  every member read through: no damage found\n");
	}
	if (p.kind == ROM_XIAOMI)
		bad = verify_scripts(&p, j, !o->json);
	else if (!o->json)
		printf("  %s\n", p.kind == ROM_AOSP ? "an AOSP factory image: "
		    "recognised; droidmedic does not flash these whole yet" :
		    p.kind == ROM_IMAGE ? "a single image: flash it with "
		    "fastboot-flash -s SERIAL PART IMAGE" : "no flash script "
		    "droidmedic knows: not a firmware package");
	if (p.kind == ROM_UNKNOWN)
		bad = 1;
	if (o->sha256 != NULL) {
		int same = strcasecmp(o->sha256, p.sha256) == 0;

		cJSON_AddBoolToObject(j, "sha256_matches", same);
		if (!o->json)
			printf("  %s\n", same ? "SHA-256 as expected" :
			    "SHA-256 IS NOT THE ONE EXPECTED");
		bad |= !same;
	}
	cJSON_AddBoolToObject(j, "ok", !bad);
	if (o->json) {
		char *s = cJSON_Print(j);

		printf("%s\n", s);
		cJSON_free(s);
	}
	cJSON_Delete(j);
	rompkg_free(&p);
	return bad ? 1 : 0;
}

/* ---- firmware search ------------------------------------------------ */

#define SEARCH_MAX	200

static const char *
jget(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, k));

	return s != NULL && *s ? s : NULL;
}

/* The codename and firmware region of the phone of -s, as the bench
 * server identified it; -1 after saying why. */
static int
phone_codename(const struct cli_opts *o, char *codename, size_t clen,
    char *region, size_t rlen)
{
	cJSON *res = cli_lookup_device(o);
	const cJSON *id, *rg;

	if (res == NULL)
		return -1;
	id = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(res, "device"), "identity");
	rg = cJSON_GetObjectItemCaseSensitive(id, "region");
	snprintf(codename, clen, "%s", jget(id, "codename") ?
	    jget(id, "codename") : jget(id, "product") ?
	    jget(id, "product") : "");
	snprintf(region, rlen, "%s", jget(rg, "firmware") ?
	    jget(rg, "firmware") : "");
	cJSON_Delete(res);
	if (codename[0] == '\0') {
		fprintf(stderr, "droidmedic: %s has not said its codename yet "
		    "(see droidmedic info -s %s)\n", o->serial, o->serial);
		return -1;
	}
	return 0;
}

static int
firmware_search(const struct cli_opts *o, const char *query)
{
	const struct cat_build *v[SEARCH_MAX];
	struct catalog cat;
	char codename[128] = "", region[64] = "", sz[32];
	size_t n, shown;
	cJSON *j = cJSON_CreateObject(), *a;

	if (o->serial != NULL && phone_codename(o, codename,
	    sizeof(codename), region, sizeof(region)) < 0) {
		cJSON_Delete(j);
		return 1;
	}
	catalog_init(&cat);
	catalog_load(&cat);
	for (size_t i = 0; i < cat.nerrors; i++)
		fprintf(stderr, "droidmedic: catalog: %s\n", cat.errors[i]);
	if (codename[0] != '\0')
		n = catalog_for(&cat, codename, region[0] ? region : NULL, v,
		    SEARCH_MAX);
	else
		n = catalog_search(&cat, query, v, SEARCH_MAX);
	shown = n < SEARCH_MAX ? n : SEARCH_MAX;
	if (o->json) {
		char *s;

		if (codename[0] != '\0') {
			cJSON *ph = cJSON_AddObjectToObject(j, "phone");

			cJSON_AddStringToObject(ph, "codename", codename);
			if (region[0])
				cJSON_AddStringToObject(ph, "region", region);
			else
				cJSON_AddNullToObject(ph, "region");
		}
		a = cJSON_AddArrayToObject(j, "builds");
		for (size_t i = 0; i < shown; i++) {
			cJSON *b = catalog_build_json(v[i]);

			if (region[0])
				cJSON_AddBoolToObject(b, "region_matches",
				    catalog_region_is(v[i], region) != 0);
			cJSON_AddItemToArray(a, b);
		}
		a = cJSON_AddArrayToObject(j, "errors");
		for (size_t i = 0; i < cat.nerrors; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(
			    cat.errors[i]));
		s = cJSON_Print(j);
		printf("%s\n", s);
		cJSON_free(s);
	} else {
		if (codename[0] != '\0')
			printf("builds for %s%s%s%s, newest first:\n", codename,
			    region[0] ? " (region " : "", region,
			    region[0] ? ")" : "");
		for (size_t i = 0; i < shown; i++) {
			const struct cat_build *b = v[i];

			if (b->size > 0)
				fb_size_text(b->size, sz, sizeof(sz));
			else
				snprintf(sz, sizeof(sz), "size ?");
			printf("%-22s %-8s Android %-4s %-10s %-20s %s%s\n",
			    b->version, b->region ? b->region : "?",
			    b->android ? b->android : "?",
			    b->date ? b->date : "?", b->type, b->name ?
			    b->name : b->codename, b->sample ?
			    "  [sample]" : "");
			printf("    %s, %s; %s\n", sz, b->sha256[0] ?
			    "sha256 known" : b->md5[0] ? "md5 known" :
			    "NO HASH (cannot be checked)", b->nurls > 0 ?
			    b->urls[0] : "no download address");
			if (region[0] && catalog_region_is(b, region) == 0)
				printf("    WARNING: region %s, the phone's is "
				    "%s\n", b->region, region);
		}
		if (n == 0)
			printf("no build in the catalogs%s%s\n",
			    codename[0] ? " for " : " matches ",
			    codename[0] ? codename : query);
	}
	cJSON_Delete(j);
	catalog_free(&cat);
	return n > 0 ? 0 : 1;
}

/* ---- firmware import / list -------------------------------------------- */

/* What the catalogs say of a package's hashes: "catalog NAME: DEVICE
 * VERSION (REGION)" into out, or "". */
static void
catalog_word(const struct catalog *c, const char *sha256, const char *md5,
    char *out, size_t len)
{
	const struct cat_build *b = catalog_by_hash(c, sha256, md5);

	out[0] = '\0';
	if (b != NULL)
		snprintf(out, len, "%s%s: %s %s%s%s%s", b->sample ?
		    "sample " : "", b->catalog, b->name ? b->name :
		    b->codename, b->version, b->region ? " (" : "",
		    b->region ? b->region : "", b->region ? ")" : "");
}

static int
firmware_import(const struct cli_opts *o, const char *path)
{
	struct rom_pkg p;
	struct catalog cat;
	char err[1024], cached[PATH_MAX + 100], evicted[4096], word[400];
	int rc, already = 0;

	if (o->sha256 != NULL && !sha256_ok(o->sha256)) {
		fprintf(stderr, "droidmedic: --sha256 wants 64 hex digits\n");
		return 2;
	}
	rc = read_package(o, path, &p, err, sizeof(err));
	if (rc == 0 && p.kind == ROM_UNKNOWN) {
		rc = dm_fail(err, sizeof(err), DM_EINVAL, "%s is an archive "
		    "but no firmware package droidmedic knows", path);
		rompkg_free(&p);
	}
	if (rc == 0 && o->sha256 != NULL && strcasecmp(o->sha256,
	    p.sha256) != 0) {
		rc = dm_fail(err, sizeof(err), DM_EINVAL, "%s: SHA-256 is %s, "
		    "not the expected %s: not imported", path, p.sha256,
		    o->sha256);
		rompkg_free(&p);
	}
	if (rc == 0) {
		rc = fwcache_add(&p, cached, sizeof(cached), &already,
		    evicted, sizeof(evicted), err, sizeof(err));
		if (rc < 0)
			rompkg_free(&p);
	}
	if (rc < 0) {
		if (o->json)
			return cli_print_error_json(dm_errname(rc), err);
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	catalog_init(&cat);
	catalog_load(&cat);
	catalog_word(&cat, p.sha256, p.md5, word, sizeof(word));
	if (o->json) {
		cJSON *j = cJSON_CreateObject(), *a;
		char *s;

		cJSON_AddBoolToObject(j, "ok", 1);
		cJSON_AddStringToObject(j, "path", cached);
		cJSON_AddBoolToObject(j, "already", already);
		cJSON_AddStringToObject(j, "sha256", p.sha256);
		cJSON_AddStringToObject(j, "md5", p.md5);
		cJSON_AddStringToObject(j, "kind", rompkg_kind_name(p.kind));
		if (word[0])
			cJSON_AddStringToObject(j, "catalog", word);
		else
			cJSON_AddNullToObject(j, "catalog");
		a = cJSON_AddArrayToObject(j, "evicted");
		for (char *l = evicted; *l;) {
			size_t k = strcspn(l, "\n");
			char name[1024];

			snprintf(name, sizeof(name), "%.*s", (int)k, l);
			cJSON_AddItemToArray(a, cJSON_CreateString(name));
			l += k + (l[k] == '\n');
		}
		s = cJSON_Print(j);
		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(j);
	} else {
		printf("%s %s\n  sha256 %s\n  md5    %s\n  %s\n", already ?
		    "already in the cache:" : "imported:", cached, p.sha256,
		    p.md5, word[0] ? word : "no catalog lists its hash "
		    "(flash it with --sha256, or add it to a catalog)");
		for (char *l = evicted; *l;) {
			size_t k = strcspn(l, "\n");

			printf("  evicted to keep the cache under its limit: "
			    "%.*s\n", (int)k, l);
			l += k + (l[k] == '\n');
		}
	}
	catalog_free(&cat);
	rompkg_free(&p);
	return 0;
}

static int
firmware_list(const struct cli_opts *o)
{
	cJSON *list = fwcache_list(), *e;
	struct catalog cat;
	uint64_t total = 0;
	char sz[32], word[400];

	catalog_init(&cat);
	catalog_load(&cat);
	cJSON_ArrayForEach(e, list) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "size");

		total += cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
		catalog_word(&cat, jget(e, "sha256"), jget(e, "md5"), word,
		    sizeof(word));
		if (word[0])
			cJSON_AddStringToObject(e, "catalog", word);
		else
			cJSON_AddNullToObject(e, "catalog");
	}
	if (o->json) {
		cJSON *j = cJSON_CreateObject();
		char *s;

		cJSON_AddNumberToObject(j, "total", (double)total);
		cJSON_AddNumberToObject(j, "limit", (double)fwcache_limit());
		cJSON_AddItemToObject(j, "packages", list);
		list = NULL;
		s = cJSON_Print(j);
		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(j);
	} else {
		char lim[32];

		cJSON_ArrayForEach(e, list) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(e,
			    "size");

			fb_size_text(cJSON_IsNumber(v) ?
			    (uint64_t)v->valuedouble : 0, sz, sizeof(sz));
			printf("%s  %s, %s%s%s%s%s\n  %s\n  sha256 %s\n  %s\n",
			    jget(e, "name") ? jget(e, "name") : "?", sz,
			    jget(e, "kind") ? jget(e, "kind") : "?",
			    jget(e, "device") ? ", for " : "",
			    jget(e, "device") ? jget(e, "device") : "",
			    jget(e, "build") ? ", build " : "",
			    jget(e, "build") ? jget(e, "build") : "",
			    jget(e, "path"), jget(e, "sha256"),
			    jget(e, "catalog") ? jget(e, "catalog") :
			    "no catalog lists its hash");
		}
		fb_size_text(total, sz, sizeof(sz));
		fb_size_text(fwcache_limit(), lim, sizeof(lim));
		printf("%d package%s, %s of %s (DROIDMEDIC_CACHE_MAX)\n",
		    cJSON_GetArraySize(list), cJSON_GetArraySize(list) == 1 ?
		    "" : "s", sz, lim);
	}
	cJSON_Delete(list);
	catalog_free(&cat);
	return 0;
}

/* ---- firmware fetch / update ------------------------------------------- */

/* The last part of a URL's path, without its query, into out. */
static void
url_base(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://"), *slash, *end;

	p = p != NULL ? p + 3 : url;
	end = p + strcspn(p, "?#");
	slash = p;
	for (const char *q = p; q < end; q++)
		if (*q == '/')
			slash = q + 1;
	snprintf(out, len, "%.*s", (int)(end - slash), slash);
	if (out[0] == '\0' || out[0] == '.')
		snprintf(out, len, "download");
}

/* The catalog build the words name: a version or a file name. */
static const struct cat_build *
build_named(const struct catalog *c, const char *what, int *many)
{
	const struct cat_build *hit = NULL;

	*many = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct cat_build *b = &c->b[i];

		if (strcasecmp(b->version, what) != 0 &&
		    (b->file == NULL || strcmp(b->file, what) != 0))
			continue;
		if (hit != NULL && hit->file != NULL && b->file != NULL &&
		    strcmp(hit->file, b->file) == 0)
			continue;
		if (hit != NULL)
			(*many)++;
		else
			hit = b;
	}
	return hit;
}

/* The cached package with that SHA-256, into out; 0 or -1. */
static int
cached_path(const char *sha256, char *out, size_t len)
{
	char *dir = fwcache_dir();
	int rc = -1;

	if (dir == NULL || sha256 == NULL || *sha256 == '\0') {
		free(dir);
		return -1;
	}
	snprintf(out, len, "%s/%s.pkg", dir, sha256);
	if (access(out, R_OK) == 0)
		rc = 0;
	free(dir);
	return rc;
}

static int
firmware_fetch(const struct cli_opts *o, const char *what)
{
	const struct cat_build *b = NULL;
	struct catalog cat;
	char codename[128] = "", region[64] = "", name[256], sz[32];
	char cached[PATH_MAX + 100], out[PATH_MAX], ca[PATH_MAX];
	cJSON *params, *urls;
	int many = 0;

	if (o->sha256 != NULL && !sha256_ok(o->sha256)) {
		fprintf(stderr, "droidmedic: --sha256 wants 64 hex digits\n");
		return 2;
	}
	if (o->cacert != NULL && realpath(o->cacert, ca) == NULL) {
		fprintf(stderr, "droidmedic: --cacert %s: %s\n", o->cacert,
		    strerror(errno));
		return 2;
	}
	if (o->to != NULL) {
		/* The folder must be there; the file need not. */
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", o->to);
		if (realpath(dirname(dir), out) == NULL) {
			fprintf(stderr, "droidmedic: --to %s: %s\n", o->to,
			    strerror(errno));
			return 2;
		}
		slash = strrchr(o->to, '/');
		slash = slash != NULL ? slash + 1 : (char *)o->to;
		if (*slash == '\0' || strcmp(slash, ".") == 0 ||
		    strcmp(slash, "..") == 0) {
			fprintf(stderr, "droidmedic: --to wants a file's name, "
			    "not a folder (%s)\n", o->to);
			return 2;
		}
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "/%s",
		    slash);
	}
	if (o->serial != NULL && phone_codename(o, codename,
	    sizeof(codename), region, sizeof(region)) < 0)
		return 1;
	catalog_init(&cat);
	catalog_load(&cat);
	for (size_t i = 0; i < cat.nerrors; i++)
		fprintf(stderr, "droidmedic: catalog: %s\n", cat.errors[i]);
	if (codename[0] != '\0') {
		const struct cat_build *v[SEARCH_MAX];
		size_t n = catalog_for(&cat, codename, region[0] ? region :
		    NULL, v, SEARCH_MAX);

		for (size_t i = 0; i < n && i < SEARCH_MAX && b == NULL; i++)
			if (v[i]->nurls > 0)
				b = v[i];
		if (b == NULL) {
			fprintf(stderr, "droidmedic: no build with a download "
			    "address for %s in the catalogs (droidmedic "
			    "firmware search -s %s)\n", codename, o->serial);
			catalog_free(&cat);
			return 1;
		}
		if (region[0] && catalog_region_is(b, region) == 0)
			fprintf(stderr, "droidmedic: WARNING: no build of the "
			    "phone's region %s; %s is for %s\n", region,
			    b->version, b->region);
	} else if (strstr(what, "://") == NULL) {
		b = build_named(&cat, what, &many);
		if (b == NULL || many) {
			fprintf(stderr, "droidmedic: %s: %s (droidmedic "
			    "firmware search QUERY lists them)\n", what,
			    b == NULL ? "no build of that version or file "
			    "name in the catalogs" : "several builds have "
			    "that version: give the file name");
			catalog_free(&cat);
			return 1;
		}
		if (b->nurls == 0) {
			fprintf(stderr, "droidmedic: the catalog gives no "
			    "download address for %s\n", what);
			catalog_free(&cat);
			return 1;
		}
	} else {
		char base[256];

		url_base(what, base, sizeof(base));
		/* A file a catalog knows gets the catalog's hashes. */
		b = catalog_by_file(&cat, base);
	}
	if (b != NULL && strstr(what ? what : "", "://") == NULL) {
		params = fetchjob_params(b);
	} else {
		params = cJSON_CreateObject();
		urls = cJSON_AddArrayToObject(params, "urls");
		cJSON_AddItemToArray(urls, cJSON_CreateString(what));
		if (b != NULL && b->file != NULL)
			snprintf(name, sizeof(name), "%s", b->file);
		else
			url_base(what, name, sizeof(name));
		cJSON_AddStringToObject(params, "name", name);
		if (b != NULL) {
			if (b->sha256[0])
				cJSON_AddStringToObject(params, "sha256",
				    b->sha256);
			if (b->md5[0])
				cJSON_AddStringToObject(params, "md5", b->md5);
			if (b->size > 0)
				cJSON_AddNumberToObject(params, "size",
				    (double)b->size);
			cJSON_AddItemToObject(params, "build",
			    catalog_build_json(b));
		}
		cJSON_AddItemToObject(params, "proxy", dl_proxy_env());
	}
	if (b != NULL && b->sample && o->sha256 == NULL) {
		fprintf(stderr, "droidmedic: %s is from the sample catalog, "
		    "whose hashes are illustrations: give --sha256 from a "
		    "source you trust, or use a real catalog\n", b->version);
		cJSON_Delete(params);
		catalog_free(&cat);
		return 1;
	}
	if (b != NULL && o->sha256 != NULL && b->sha256[0] &&
	    strcasecmp(b->sha256, o->sha256) != 0 && !b->sample) {
		fprintf(stderr, "droidmedic: --sha256 is not the %s catalog "
		    "%s gives for %s: which is right?\n", b->sha256,
		    b->catalog, b->version);
		cJSON_Delete(params);
		catalog_free(&cat);
		return 1;
	}
	if (o->sha256 != NULL) {
		/* The hash given is the one checked. */
		cJSON_DeleteItemFromObjectCaseSensitive(params, "sha256");
		cJSON_DeleteItemFromObjectCaseSensitive(params, "md5");
		cJSON_AddStringToObject(params, "sha256", o->sha256);
	}
	if (o->to != NULL)
		cJSON_AddStringToObject(params, "output", out);
	if (o->connections > 0)
		cJSON_AddNumberToObject(params, "connections", o->connections);
	if (o->cacert != NULL)
		cJSON_AddStringToObject(params, "cacert", ca);
	if (!o->json) {
		if (b != NULL) {
			fb_size_text(b->size, sz, sizeof(sz));
			fprintf(stderr, "%s %s (%s, %s) from %s catalog %s\n",
			    b->name ? b->name : b->codename, b->version,
			    b->region ? b->region : "region ?", b->size ? sz :
			    "size ?", b->sample ? "the sample" : "the",
			    b->catalog);
		}
		if (!cJSON_GetObjectItemCaseSensitive(params, "sha256") &&
		    !cJSON_GetObjectItemCaseSensitive(params, "md5"))
			fprintf(stderr, "droidmedic: WARNING: no hash is known "
			    "for it: what arrives cannot be checked\n");
	}
	/* The cache already has it: nothing to download. */
	if (o->to == NULL && cached_path(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(params, "sha256")), cached,
	    sizeof(cached)) == 0) {
		fwcache_touch(cached);
		if (o->json) {
			cJSON *j = cJSON_CreateObject();
			char *s;

			cJSON_AddBoolToObject(j, "ok", 1);
			cJSON_AddStringToObject(j, "path", cached);
			cJSON_AddBoolToObject(j, "cached", 1);
			cJSON_AddBoolToObject(j, "already", 1);
			s = cJSON_Print(j);
			printf("%s\n", s);
			cJSON_free(s);
			cJSON_Delete(j);
		} else {
			printf("already in the cache: %s\n", cached);
		}
		cJSON_Delete(params);
		catalog_free(&cat);
		return 0;
	}
	catalog_free(&cat);
	return cli_run_job(o, "fetch", params, fetchjob_submit_json);
}

static int
firmware_update(const struct cli_opts *o)
{
	cJSON *report = cJSON_CreateArray(), *e;
	cJSON *penv = dl_proxy_env();
	struct dl_proxy px = {
		.http = jget(penv, "http"), .https = jget(penv, "https"),
		.all = jget(penv, "all"), .no = jget(penv, "no"),
	};
	int failed;

	failed = catsrc_update(o->cacert, &px, report);
	if (o->json) {
		cJSON *j = cJSON_CreateObject();
		char *s;

		cJSON_AddBoolToObject(j, "ok", failed == 0);
		cJSON_AddItemToObject(j, "catalogs", report);
		report = NULL;
		s = cJSON_Print(j);
		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(j);
	} else {
		cJSON_ArrayForEach(e, report) {
			const cJSON *nb = cJSON_GetObjectItemCaseSensitive(e,
			    "builds");

			printf("%-9s %s\n  %s", jget(e, "status"),
			    jget(e, "url") ? jget(e, "url") : "",
			    jget(e, "message") ? jget(e, "message") : "");
			if (cJSON_IsNumber(nb))
				printf("; %d build%s", nb->valueint,
				    nb->valueint == 1 ? "" : "s");
			printf("\n");
		}
		if (cJSON_GetArraySize(report) == 0)
			printf("no catalog address is listed (one per line in "
			    "~/.config/droidmedic/catalog-urls)\n");
	}
	cJSON_Delete(report);
	cJSON_Delete(penv);
	return failed ? 1 : 0;
}

int
cli_firmware(const struct cli_opts *o, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[0], "verify") == 0)
		return firmware_verify(o, argv[1]);
	if (argc >= 1 && strcmp(argv[0], "search") == 0 &&
	    ((argc == 1 && o->serial != NULL) ||
	    (argc == 2 && o->serial == NULL && argv[1][0] != '\0')))
		return firmware_search(o, argc == 2 ? argv[1] : NULL);
	if (argc == 2 && strcmp(argv[0], "import") == 0)
		return firmware_import(o, argv[1]);
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return firmware_list(o);
	if (argc >= 1 && strcmp(argv[0], "fetch") == 0 &&
	    ((argc == 1 && o->serial != NULL) ||
	    (argc == 2 && o->serial == NULL && argv[1][0] != '\0')))
		return firmware_fetch(o, argc == 2 ? argv[1] : NULL);
	if (argc == 1 && strcmp(argv[0], "update") == 0)
		return firmware_update(o);
	fprintf(stderr, "droidmedic: usage: firmware verify PACKAGE "
	    "[--sha256 HEX] | search (-s SERIAL | QUERY) | fetch (-s SERIAL "
	    "| BUILD | URL) [--to FILE] | update | import FILE | list  "
	    "[--json]\n");
	return 2;
}
