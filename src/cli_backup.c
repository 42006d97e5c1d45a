/* cli_backup.c - `droidmedic backup`, `backups` and `restore`.  The backup
 * and the restore are jobs of the bench server (backup.c, restore.c), so
 * they go on when the terminal goes away; the library is read here. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "cli.h"
#include "err.h"
#include "fastboot.h"
#include "job.h"
#include "transport.h"
#include "xmem.h"

static const char *
jstr(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static double
jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The library root as the server must see it: absolute. */
static int
root_of(const struct cli_opts *o, char *root, size_t len)
{
	char err[512], cwd[4096], to[4096] = "";

	if (o->to != NULL && o->to[0] != '/' && getcwd(cwd, sizeof(cwd)))
		snprintf(to, sizeof(to), "%s/%s", cwd, o->to);
	else if (o->to != NULL)
		snprintf(to, sizeof(to), "%s", o->to);
	if (bklib_root(to, root, len, err, sizeof(err)) < 0) {
		fprintf(stderr, "droidmedic: %s\n", err);
		return -1;
	}
	return 0;
}

static int
need_serial(const struct cli_opts *o)
{
	if (o->serial == NULL || *o->serial == '\0') {
		fprintf(stderr, "droidmedic: which phone? give -s SERIAL (see "
		    "`droidmedic devices`)\n");
		return 0;
	}
	return 1;
}

static int
local_backup(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen)
{
	return backup_submit_json(eng, params, err, errlen);
}

static int
local_restore(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen)
{
	return restore_submit_json(eng, params, err, errlen);
}

int
cli_backup(const struct cli_opts *o, int argc, char **argv)
{
	char root[4096], addr[160], err[512];
	cJSON *params;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "droidmedic: usage: backup -s SERIAL [--only "
		    "CATEGORY,...] [--to DIR] [--full] [--dry-run]\n");
		return 2;
	}
	if (!need_serial(o))
		return 2;
	if (o->only != NULL && bk_cat_parse(o->only, err, sizeof(err)) == 0) {
		fprintf(stderr, "droidmedic: --only: %s\n", err);
		return 2;
	}
	if (root_of(o, root, sizeof(root)) < 0)
		return 1;
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "device", o->serial);
	cJSON_AddStringToObject(params, "to", root);
	if (o->only != NULL)
		cJSON_AddStringToObject(params, "only", o->only);
	if (o->full)
		cJSON_AddBoolToObject(params, "full", 1);
	if (o->dry_run)
		cJSON_AddBoolToObject(params, "dry_run", 1);
	if (transport_address(o->serial, addr, sizeof(addr)))
		cJSON_AddStringToObject(params, "address", addr);
	cJSON_AddStringToObject(params, "serial", o->serial);
	return cli_run_job(o, "backup", params, local_backup);
}

/* ---- backups ----------------------------------------------------------- */

static void
model_of(const cJSON *m, char *out, size_t len)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(m, "device");
	const char *model = jstr(d, "model"), *dev = jstr(d, "device");

	snprintf(out, len, "%s%s%s%s", model ? model : "?", dev ? " (" : "",
	    dev ? dev : "", dev ? ")" : "");
}

static cJSON *
summary(const cJSON *m)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "totals");
	cJSON *s = cJSON_CreateObject();
	char model[160];

	model_of(m, model, sizeof(model));
	cJSON_AddStringToObject(s, "id", jstr(m, "id") ? jstr(m, "id") : "");
	cJSON_AddStringToObject(s, "serial", jstr(m, "serial") ?
	    jstr(m, "serial") : "");
	cJSON_AddStringToObject(s, "model", model);
	cJSON_AddStringToObject(s, "created", jstr(m, "created") ?
	    jstr(m, "created") : "");
	cJSON_AddBoolToObject(s, "complete", cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(m, "complete")));
	if (jstr(m, "stopped"))
		cJSON_AddStringToObject(s, "stopped", jstr(m, "stopped"));
	if (jstr(m, "verified"))
		cJSON_AddStringToObject(s, "verified", jstr(m, "verified"));
	if (jstr(m, "base"))
		cJSON_AddStringToObject(s, "base", jstr(m, "base"));
	cJSON_AddNumberToObject(s, "files", jnum(t, "files"));
	cJSON_AddNumberToObject(s, "bytes", jnum(t, "bytes"));
	cJSON_AddNumberToObject(s, "copied_files", jnum(t, "copied_files"));
	cJSON_AddNumberToObject(s, "referenced_files",
	    jnum(t, "referenced_files"));
	cJSON_AddNumberToObject(s, "failed", jnum(t, "failed"));
	cJSON_AddItemToObject(s, "categories", cJSON_Duplicate(
	    cJSON_GetObjectItemCaseSensitive(m, "categories"), 1));
	cJSON_AddItemToObject(s, "not_saved", cJSON_Duplicate(
	    cJSON_GetObjectItemCaseSensitive(m, "failed"), 1));
	cJSON_AddStringToObject(s, "archive", jstr(m, "archive") ?
	    jstr(m, "archive") : "");
	cJSON_AddNumberToObject(s, "archive_bytes", jnum(m, "archive_bytes"));
	return s;
}

int
cli_backups(const struct cli_opts *o, int argc, char **argv)
{
	char root[4096];
	cJSON *all, *m;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "droidmedic: usage: backups [-s SERIAL] [--to "
		    "DIR] [--json]\n");
		return 2;
	}
	if (root_of(o, root, sizeof(root)) < 0)
		return 1;
	all = bklib_list(root, o->serial);
	if (o->json) {
		cJSON *out = cJSON_CreateObject(), *arr;
		char *s;

		cJSON_AddStringToObject(out, "library", root);
		arr = cJSON_AddArrayToObject(out, "backups");
		cJSON_ArrayForEach(m, all)
			cJSON_AddItemToArray(arr, summary(m));
		s = cJSON_Print(out);
		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(out);
		cJSON_Delete(all);
		return 0;
	}
	if (cJSON_GetArraySize(all) == 0) {
		printf("no backups in %s%s%s\n", root, o->serial ? " of " : "",
		    o->serial ? o->serial : "");
		cJSON_Delete(all);
		return 0;
	}
	printf("%-34s %-24s %-16s %7s %10s  %s\n", "BACKUP", "PHONE", "WHEN",
	    "FILES", "SIZE", "STATE");
	cJSON_ArrayForEach(m, all) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "totals");
		char model[160], when[20] = "", size[32], state[512];
		const char *c = jstr(m, "created");

		model_of(m, model, sizeof(model));
		if (c != NULL)
			snprintf(when, sizeof(when), "%.10s %.5s", c,
			    strlen(c) > 11 ? c + 11 : "");
		fb_size_text((uint64_t)jnum(m, "archive_bytes"), size, sizeof(size));
		snprintf(state, sizeof(state), "%s%s%s",
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m,
		    "complete")) ? "complete" : "INCOMPLETE",
		    jstr(m, "verified") ? ", verified" : "",
		    jnum(t, "failed") > 0 ? ", some not saved" : "");
		if (jstr(m, "base"))
			snprintf(state + strlen(state), sizeof(state) -
			    strlen(state), ", builds on %s", jstr(m, "base"));
		printf("%-34s %-24.24s %-16s %7.0f %10s  %s\n", jstr(m, "id"),
		    model, when, jnum(t, "files"), size, state);
	}
	printf("(%s; --json gives every detail, what was not saved and "
	    "why)\n", root);
	cJSON_Delete(all);
	return 0;
}

/* ---- restore ----------------------------------------------------------- */

struct group {
	char name[256];
	double files, bytes;
};

static void
add_group(struct group **g, size_t *n, const char *name, double bytes,
    int file)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*g)[i].name, name) == 0) {
			(*g)[i].files += file;
			(*g)[i].bytes += bytes;
			return;
		}
	*g = xrealloc(*g, (*n + 1) * sizeof(**g));
	snprintf((*g)[*n].name, sizeof((*g)[*n].name), "%s", name);
	(*g)[*n].files = file;
	(*g)[*n].bytes = bytes;
	(*n)++;
}

/* What the restore would push, by category and top folder. */
static int
preview(const cJSON *m, const char *sel, const char *onto)
{
	struct group *cats = NULL, *dirs = NULL;
	size_t nc = 0, nd = 0;
	double files = 0, bytes = 0;
	const cJSON *it;
	char model[160], b[32];

	model_of(m, model, sizeof(model));
	printf("Backup %s of %s, serial %s, %s, %s%s\n", jstr(m, "id"), model,
	    jstr(m, "serial") ? jstr(m, "serial") : "?",
	    jstr(m, "created") ? jstr(m, "created") : "?",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "complete")) ?
	    "complete" : "INCOMPLETE", jstr(m, "verified") ? ", verified" :
	    "");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(m, "items")) {
		const char *path = jstr(it, "path"), *type = jstr(it, "type");
		const char *cat = jstr(it, "category");
		char top[256];
		const char *slash;
		int file = type != NULL && strcmp(type, "dir") != 0;
		double sz = jnum(it, "size");

		if (!restore_selected(it, sel))
			continue;
		slash = strchr(path + 8, '/');
		snprintf(top, sizeof(top), "%.*s", slash ? (int)(slash - path -
		    8) : (int)strlen(path + 8), path + 8);
		add_group(&cats, &nc, cat ? cat : "?", sz, file);
		add_group(&dirs, &nd, top, sz, file);
		files += file;
		bytes += sz;
	}
	fb_size_text((uint64_t)bytes, b, sizeof(b));
	printf("Restore onto %s: %.0f item(s), %s%s%s)\n", onto, files, b,
	    sel && *sel ? " (selected: " : " (all of the phone's storage in "
	    "it", sel && *sel ? sel : "");
	for (size_t i = 0; i < nc; i++) {
		fb_size_text((uint64_t)cats[i].bytes, b, sizeof(b));
		printf("  %-12s %7.0f  %10s   ", cats[i].name, cats[i].files, b);
		for (size_t j = 0, k = 0; j < nd; j++) {
			/* The folders of this category. */
			const cJSON *it2;
			int mine = 0;

			cJSON_ArrayForEach(it2, cJSON_GetObjectItemCaseSensitive(
			    m, "items")) {
				const char *p = jstr(it2, "path");
				const char *c2 = jstr(it2, "category");
				size_t l = strlen(dirs[j].name);

				if (p && c2 && strcmp(c2, cats[i].name) == 0 &&
				    strncmp(p + 8, dirs[j].name, l) == 0 &&
				    (p[8 + l] == '/' || p[8 + l] == '\0') &&
				    restore_selected(it2, sel)) {
					mine = 1;
					break;
				}
			}
			if (!mine)
				continue;
			fb_size_text((uint64_t)dirs[j].bytes, b, sizeof(b));
			printf("%s%s (%.0f, %s)", k++ ? ", " : "", dirs[j].name,
			    dirs[j].files, b);
		}
		printf("\n");
	}
	if (files == 0)
		printf("  nothing matches\n");
	printf("Kept in the archive but not pushed back: the app list, "
	    "contacts, call log and SMS (as text), APKs.\n");
	free(cats);
	free(dirs);
	return files > 0;
}

int
cli_restore(const struct cli_opts *o, int argc, char **argv)
{
	char root[4096], addr[160], err[512], path[4096];
	cJSON *params, *m;

	if (argc != 1) {
		fprintf(stderr, "droidmedic: usage: restore -s SERIAL BACKUP "
		    "[--select CATEGORY|PATTERN,...] [--confirm SERIAL]\n");
		return 2;
	}
	if (!need_serial(o))
		return 2;
	if (root_of(o, root, sizeof(root)) < 0)
		return 1;
	/* A path names an archive anywhere; the server needs it whole. */
	if (strchr(argv[0], '/') != NULL && argv[0][0] != '/') {
		char cwd[2048];

		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			perror("droidmedic: getcwd");
			return 1;
		}
		snprintf(path, sizeof(path), "%s/%s", cwd, argv[0]);
	} else {
		snprintf(path, sizeof(path), "%s", argv[0]);
	}
	m = bklib_find(root, path, err, sizeof(err));
	if (m == NULL) {
		if (o->json)
			return cli_print_error_json("ENOENT", err);
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	if (!o->json && !preview(m, o->select ? o->select : "", o->serial)) {
		cJSON_Delete(m);
		return 1;
	}
	if (!o->json && (o->confirm == NULL || *o->confirm == '\0'))
		printf("Nothing is pushed without --confirm naming the phone "
		    "(the job below says how).\n");
	cJSON_Delete(m);
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "device", o->serial);
	cJSON_AddStringToObject(params, "backup", path);
	cJSON_AddStringToObject(params, "to", root);
	if (o->select != NULL)
		cJSON_AddStringToObject(params, "select", o->select);
	if (o->confirm != NULL)
		cJSON_AddStringToObject(params, "confirm", o->confirm);
	if (transport_address(o->serial, addr, sizeof(addr)))
		cJSON_AddStringToObject(params, "address", addr);
	cJSON_AddStringToObject(params, "serial", o->serial);
	fflush(stdout);
	return cli_run_job(o, "restore", params, local_restore);
}
