/* profile.c - load a simulated phone from JSON (see profile.h and
 * sim/profiles/README.md): validate every key, read the fixtures it names
 * from the fixtures directory, assemble the property list.  Runs on the
 * main thread at start-up; the result is read-only afterwards. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "actions.h"
#include "adbpkt.h"
#include "err.h"
#include "profile.h"
#include "propdb.h"
#include "textfile.h"
#include "xmem.h"

#define PROFILE_MAX_BYTES	(1u << 20)
#define FIXTURE_MAX_BYTES	(64u << 20)
#define DEFAULT_FEATURES	"shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir"

static const char *const mode_names[] = {
	[SIM_MODE_DEVICE] = "device",
	[SIM_MODE_RECOVERY] = "recovery",
	[SIM_MODE_SIDELOAD] = "sideload",
	[SIM_MODE_BOOTLOADER] = "bootloader",
	[SIM_MODE_FASTBOOTD] = "fastbootd",
};

const char *
profile_mode_name(enum sim_mode m)
{
	if ((size_t)m < sizeof(mode_names) / sizeof(mode_names[0]))
		return mode_names[m];
	return "?";
}

struct loader {
	struct profile *p;
	const char *fixtures;
	char *err;
	size_t errlen;
};

static int
fail(struct loader *l, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct loader *l, int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dm_fail(l->err, l->errlen, code, "%s: %s", l->p->path, msg);
}

/* Read a fixture named relative to the fixtures directory. */
static int
read_fixture(struct loader *l, const char *what, const char *rel, char **out,
    size_t *len)
{
	char *path;
	int rc;

	if (rel[0] == '/' || strstr(rel, "..") != NULL || rel[0] == '\0')
		return fail(l, DM_EINVAL, "%s \"%s\" must be a plain path "
		    "relative to the fixtures directory", what, rel);
	if (l->fixtures == NULL)
		return fail(l, DM_ENOENT, "%s \"%s\" is needed but no fixtures "
		    "directory is set: pass --fixtures DIR or set "
		    "DROIDMEDIC_FIXTURES", what, rel);
	path = xasprintf("%s/%s", l->fixtures, rel);
	rc = textfile_read(path, FIXTURE_MAX_BYTES, out, len);
	if (rc < 0)
		rc = fail(l, rc == -ENOENT ? DM_ENOENT : DM_EIO,
		    "%s %s: %s (fixtures directory from --fixtures or "
		    "DROIDMEDIC_FIXTURES)", what, path, strerror(-rc));
	free(path);
	return rc;
}

static int
get_string(struct loader *l, const cJSON *j, const char *key, char **out)
{
	if (!cJSON_IsString(j))
		return fail(l, DM_EINVAL, "\"%s\" must be a string", key);
	*out = xstrdup(j->valuestring);
	return 0;
}

static int
get_uint(struct loader *l, const cJSON *j, const char *key, uint64_t max,
    uint64_t *out)
{
	double d;

	if (cJSON_IsString(j)) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(j->valuestring, &end, 0);
		if (errno || end == j->valuestring || *end != '\0' || v > max)
			return fail(l, DM_EINVAL, "\"%s\": \"%s\" is not a "
			    "number up to %llu", key, j->valuestring,
			    (unsigned long long)max);
		*out = v;
		return 0;
	}
	if (!cJSON_IsNumber(j))
		return fail(l, DM_EINVAL, "\"%s\" must be a number", key);
	d = j->valuedouble;
	if (d < 0 || d > (double)max || d != (double)(uint64_t)d)
		return fail(l, DM_EINVAL, "\"%s\": %g is not a whole number "
		    "from 0 to %llu", key, d, (unsigned long long)max);
	*out = (uint64_t)d;
	return 0;
}

static int
get_int_ms(struct loader *l, const cJSON *j, const char *key, int *out)
{
	uint64_t v;
	int rc = get_uint(l, j, key, 3600000, &v);

	if (rc == 0)
		*out = (int)v;
	return rc;
}

static int
load_mode(struct loader *l, const cJSON *j)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]);
	    i++)
		if (cJSON_IsString(j) && strcmp(j->valuestring,
		    mode_names[i]) == 0) {
			l->p->mode = (enum sim_mode)i;
			return 0;
		}
	return fail(l, DM_EINVAL, "\"mode\" must be \"device\", \"recovery\", "
	    "\"sideload\", \"bootloader\" or \"fastbootd\"");
}

static int
load_auth(struct loader *l, const cJSON *j)
{
	static const char *const names[] = { "none", "prompt", "reject" };

	for (size_t i = 0; i < 3; i++)
		if (cJSON_IsString(j) &&
		    strcmp(j->valuestring, names[i]) == 0) {
			l->p->auth = (enum sim_auth)i;
			return 0;
		}
	return fail(l, DM_EINVAL,
	    "\"auth\" must be \"none\", \"prompt\" or \"reject\"");
}

static int
load_features(struct loader *l, const cJSON *j)
{
	size_t n = 1;
	const cJSON *f;
	char *s;

	if (!cJSON_IsArray(j))
		return fail(l, DM_EINVAL, "\"features\" must be a list of "
		    "strings");
	cJSON_ArrayForEach(f, j) {
		if (!cJSON_IsString(f) || f->valuestring[0] == '\0' ||
		    strpbrk(f->valuestring, ",;:= ") != NULL)
			return fail(l, DM_EINVAL, "\"features\": each must be "
			    "a name without , ; : = or spaces");
		n += strlen(f->valuestring) + 1;
	}
	s = xmalloc(n);
	s[0] = '\0';
	cJSON_ArrayForEach(f, j) {
		if (s[0] != '\0')
			strcat(s, ",");
		strcat(s, f->valuestring);
	}
	free(l->p->features);
	l->p->features = s;
	return 0;
}

static int
load_props(struct loader *l, const cJSON *j)
{
	const cJSON *kv;

	if (!cJSON_IsObject(j))
		return fail(l, DM_EINVAL, "\"props\" must be an object of "
		    "strings");
	cJSON_ArrayForEach(kv, j) {
		if (!cJSON_IsString(kv) || kv->string[0] == '\0')
			return fail(l, DM_EINVAL, "\"props\": \"%s\" must have "
			    "a string value", kv->string);
		propdb_set(l->p->props, kv->string, kv->valuestring);
	}
	return 0;
}

/* Drop the first n lines (a capture's echoed command or prompt). */
static void
skip_lines(char **text, size_t *len, uint64_t n)
{
	char *p = *text;

	while (n-- > 0) {
		char *nl = memchr(p, '\n', *len - (size_t)(p - *text));

		p = nl ? nl + 1 : *text + *len;
	}
	*len -= (size_t)(p - *text);
	memmove(*text, p, *len + 1);
}

/* "replace": {"FROM": "TO", ...}: every FROM in the fixture's text
 * becomes TO (a state the capture's phone was not in, made from its own
 * lines).  A FROM that never occurs is an error, so typos show. */
static int
replace_all(struct loader *l, struct sim_command *c, const cJSON *repl)
{
	const cJSON *kv;

	if (!cJSON_IsObject(repl))
		return fail(l, DM_EINVAL, "command \"%s\": \"replace\" must "
		    "be an object: text -> text", c->line);
	cJSON_ArrayForEach(kv, repl) {
		size_t from = strlen(kv->string), to, n = 0, w = 0;
		const char *p, *hit;
		char *out;

		if (!cJSON_IsString(kv) || from == 0)
			return fail(l, DM_EINVAL, "command \"%s\": \"replace\""
			    ": \"%s\" must be non-empty with a text value",
			    c->line, kv->string);
		to = strlen(kv->valuestring);
		for (p = c->out; (hit = memmem(p, c->outlen - (size_t)(p -
		    c->out), kv->string, from)) != NULL; p = hit + from)
			n++;
		if (n == 0)
			return fail(l, DM_EINVAL, "command \"%s\": \"replace\""
			    ": \"%s\" is not in the fixture", c->line,
			    kv->string);
		out = xmalloc(c->outlen + n * to + 1);
		for (p = c->out; (hit = memmem(p, c->outlen - (size_t)(p -
		    c->out), kv->string, from)) != NULL; p = hit + from) {
			memcpy(out + w, p, (size_t)(hit - p));
			w += (size_t)(hit - p);
			memcpy(out + w, kv->valuestring, to);
			w += to;
		}
		memcpy(out + w, p, c->outlen - (size_t)(p - c->out));
		w += c->outlen - (size_t)(p - c->out);
		out[w] = '\0';
		free(c->out);
		c->out = out;
		c->outlen = w;
	}
	return 0;
}

static int
load_command(struct loader *l, const cJSON *j, struct sim_command *c)
{
	const cJSON *kv;
	uint64_t v, skip = 0;
	char *fixture = NULL;
	const cJSON *repl = NULL;
	int rc = 0;

	c->line = xstrdup(j->string);
	if (!cJSON_IsObject(j))
		return fail(l, DM_EINVAL, "command \"%s\" must be an object",
		    j->string);
	cJSON_ArrayForEach(kv, j) {
		const char *k = kv->string;

		if (strcmp(k, "stdout") == 0 || strcmp(k, "stderr") == 0) {
			char **dst = k[3] == 'o' ? &c->out : &c->err;

			free(*dst);
			rc = get_string(l, kv, k, dst);
		} else if (strcmp(k, "exit") == 0) {
			rc = get_uint(l, kv, k, 255, &v);
			c->exit_code = (int)v;
		} else if (strcmp(k, "fixture") == 0) {
			free(fixture);
			rc = get_string(l, kv, k, &fixture);
		} else if (strcmp(k, "skip_lines") == 0) {
			rc = get_uint(l, kv, k, 1000, &skip);
		} else if (strcmp(k, "replace") == 0) {
			repl = kv;
		} else if (k[0] != '_') {
			rc = fail(l, DM_EINVAL, "command \"%s\": unknown key "
			    "\"%s\"", c->line, k);
		}
		if (rc < 0)
			goto out;
	}
	if (fixture != NULL && c->out != NULL) {
		rc = fail(l, DM_EINVAL, "command \"%s\": \"stdout\" and "
		    "\"fixture\" both given", c->line);
		goto out;
	}
	if (fixture != NULL) {
		char *raw;
		size_t rlen;

		rc = read_fixture(l, "command fixture", fixture, &raw, &rlen);
		if (rc < 0)
			goto out;
		rc = propdb_decode((const uint8_t *)raw, rlen, &c->out,
		    &c->outlen, l->err, l->errlen);
		free(raw);
		if (rc < 0) {
			rc = fail(l, rc, "%s: cannot decode", fixture);
			goto out;
		}
		skip_lines(&c->out, &c->outlen, skip);
		if (repl != NULL)
			rc = replace_all(l, c, repl);
		if (rc < 0)
			goto out;
	} else if (repl != NULL) {
		rc = fail(l, DM_EINVAL, "command \"%s\": \"replace\" edits a "
		    "\"fixture\"", c->line);
		goto out;
	}
	if (c->out == NULL)
		c->out = xstrdup("");
	if (c->err == NULL)
		c->err = xstrdup("");
	if (fixture == NULL)
		c->outlen = strlen(c->out);
	c->errlen = strlen(c->err);
out:
	free(fixture);
	return rc;
}

static int
load_commands(struct loader *l, const cJSON *j, struct sim_command **v,
    size_t *n)
{
	const cJSON *c;
	int rc;

	if (!cJSON_IsObject(j))
		return fail(l, DM_EINVAL, "\"commands\" must be an object "
		    "keyed by command line");
	*v = xcalloc((size_t)cJSON_GetArraySize(j) + 1,
	    sizeof(struct sim_command));
	cJSON_ArrayForEach(c, j) {
		rc = load_command(l, c, &(*v)[(*n)++]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
load_packages(struct loader *l, const cJSON *j)
{
	const cJSON *kv;

	if (!cJSON_IsObject(j))
		return fail(l, DM_EINVAL, "\"packages\" must be an object: "
		    "name -> \"system\", \"user\" or {\"type\": \"user\", "
		    "\"splits\": [...]}");
	l->p->pkgs = xcalloc((size_t)cJSON_GetArraySize(j) + 1,
	    sizeof(*l->p->pkgs));
	cJSON_ArrayForEach(kv, j) {
		struct sim_package *pk = &l->p->pkgs[l->p->npkgs];

		if (!act_valid_package(kv->string))
			return fail(l, DM_EINVAL, "\"packages\": \"%s\" is "
			    "not a package name", kv->string);
		const cJSON *type = cJSON_IsObject(kv) ?
		    cJSON_GetObjectItemCaseSensitive(kv, "type") : kv;
		const cJSON *splits = cJSON_IsObject(kv) ?
		    cJSON_GetObjectItemCaseSensitive(kv, "splits") : NULL, *sp;

		if (!cJSON_IsString(type) || (strcmp(type->valuestring,
		    "system") != 0 && strcmp(type->valuestring, "user") != 0))
			return fail(l, DM_EINVAL, "\"packages\": \"%s\" must "
			    "be \"system\" or \"user\"", kv->string);
		if (splits != NULL && !cJSON_IsArray(splits))
			return fail(l, DM_EINVAL, "\"packages\": \"%s\": "
			    "\"splits\" must be a list of names", kv->string);
		pk->name = xstrdup(kv->string);
		pk->system = type->valuestring[0] == 's';
		pk->splits = xcalloc((size_t)cJSON_GetArraySize(splits) + 1,
		    sizeof(*pk->splits));
		cJSON_ArrayForEach(sp, splits) {
			if (!cJSON_IsString(sp) || !act_valid_package(
			    sp->valuestring))
				return fail(l, DM_EINVAL, "\"packages\": "
				    "\"%s\": a split is a name like "
				    "\"config.en\"", kv->string);
			pk->splits[pk->nsplits++] = xstrdup(sp->valuestring);
		}
		l->p->npkgs++;
	}
	return 0;
}

static int
load_effect(struct loader *l, const cJSON *j, struct sim_effect *e)
{
	const cJSON *kv, *a;

	if (!cJSON_IsObject(j))
		return fail(l, DM_EINVAL, "\"effects\" entries must be "
		    "objects");
	cJSON_ArrayForEach(kv, j) {
		const char *k = kv->string;
		int rc = 0;

		if (strcmp(k, "after") == 0) {
			if (!cJSON_IsArray(kv) || cJSON_GetArraySize(kv) == 0)
				return fail(l, DM_EINVAL, "effect: \"after\" "
				    "must be a non-empty list of events");
			e->after = xcalloc((size_t)cJSON_GetArraySize(kv),
			    sizeof(char *));
			cJSON_ArrayForEach(a, kv) {
				if (!cJSON_IsString(a) || !a->valuestring[0])
					return fail(l, DM_EINVAL, "effect: "
					    "events are non-empty text");
				e->after[e->nafter++] = xstrdup(a->valuestring);
			}
		} else if (strcmp(k, "commands") == 0) {
			rc = load_commands(l, kv, &e->cmds, &e->ncmds);
		} else if (strcmp(k, "props") == 0) {
			if (!cJSON_IsObject(kv))
				return fail(l, DM_EINVAL, "effect: \"props\" "
				    "must be an object of strings");
			e->props = xcalloc(2 * (size_t)cJSON_GetArraySize(kv) +
			    1, sizeof(char *));
			cJSON_ArrayForEach(a, kv) {
				if (!cJSON_IsString(a))
					return fail(l, DM_EINVAL, "effect: "
					    "\"props\": \"%s\" must have a "
					    "string value", a->string);
				e->props[2 * e->nprops] = xstrdup(a->string);
				e->props[2 * e->nprops + 1] =
				    xstrdup(a->valuestring);
				e->nprops++;
			}
		} else if (strcmp(k, "files") == 0) {
			if (!cJSON_IsObject(kv) || cJSON_GetArraySize(kv) == 0)
				return fail(l, DM_EINVAL, "effect: \"files\" "
				    "must be an object: path -> text");
			e->files = xcalloc(2 * (size_t)cJSON_GetArraySize(kv) +
			    1, sizeof(char *));
			cJSON_ArrayForEach(a, kv) {
				if (!cJSON_IsString(a) || a->string[0] != '/')
					return fail(l, DM_EINVAL, "effect: "
					    "\"files\": \"%s\" must be an "
					    "absolute path with a text value",
					    a->string);
				e->files[2 * e->nfiles] = xstrdup(a->string);
				e->files[2 * e->nfiles + 1] =
				    xstrdup(a->valuestring);
				e->nfiles++;
			}
		} else if (k[0] != '_') {
			rc = fail(l, DM_EINVAL, "effect: unknown key \"%s\"",
			    k);
		}
		if (rc < 0)
			return rc;
	}
	if (e->nafter == 0 && e->nfiles == 0)
		return fail(l, DM_EINVAL, "effect: \"after\" (or \"files\") "
		    "is missing");
	return 0;
}

/* {"width": W, "height": H}: the display screencap captures. */
static int
load_screen(struct loader *l, const cJSON *j)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "width");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "height");

	if (!cJSON_IsObject(j) || !cJSON_IsNumber(w) || !cJSON_IsNumber(h) ||
	    w->valuedouble < 1 || w->valuedouble > 4096 ||
	    h->valuedouble < 1 || h->valuedouble > 4096 ||
	    cJSON_GetArraySize(j) != 2)
		return fail(l, DM_EINVAL, "\"screen\" must be {\"width\": N, "
		    "\"height\": N}, each 1 to 4096");
	l->p->screen_w = (uint32_t)w->valuedouble;
	l->p->screen_h = (uint32_t)h->valuedouble;
	return 0;
}

static int
load_effects(struct loader *l, const cJSON *j)
{
	const cJSON *e;

	if (!cJSON_IsArray(j))
		return fail(l, DM_EINVAL, "\"effects\" must be a list");
	l->p->effects = xcalloc((size_t)cJSON_GetArraySize(j) + 1,
	    sizeof(*l->p->effects));
	cJSON_ArrayForEach(e, j) {
		int rc = load_effect(l, e, &l->p->effects[l->p->neffects++]);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
load_storage_entry(struct loader *l, const cJSON *j, struct storage_entry *e)
{
	const cJSON *kv;
	uint64_t v;
	int rc = 0;

	e->mode = 0;
	if (!cJSON_IsObject(j))
		return fail(l, DM_EINVAL,
		    "\"storage\" entries must be objects");
	cJSON_ArrayForEach(kv, j) {
		const char *k = kv->string;

		if (strcmp(k, "path") == 0) {
			free(e->path);
			rc = get_string(l, kv, k, &e->path);
		} else if (strcmp(k, "dir") == 0) {
			if (!cJSON_IsBool(kv))
				return fail(l, DM_EINVAL, "storage "
				    "\"dir\" must be true or false");
			e->is_dir = cJSON_IsTrue(kv);
		} else if (strcmp(k, "size") == 0) {
			rc = get_uint(l, kv, k, 1ull << 40, &e->size);
		} else if (strcmp(k, "seed") == 0) {
			rc = get_uint(l, kv, k, UINT64_MAX, &e->seed);
		} else if (strcmp(k, "text") == 0) {
			free(e->text);
			rc = get_string(l, kv, k, &e->text);
		} else if (strcmp(k, "mtime") == 0) {
			rc = get_uint(l, kv, k, 0xffffffffu, &v);
			e->mtime = (int64_t)v;
		} else if (strcmp(k, "mode") == 0) {
			rc = get_uint(l, kv, k, 07777, &v);
			e->mode = (unsigned)v;
		} else if (k[0] != '_') {
			rc = fail(l, DM_EINVAL, "storage entry: unknown key "
			    "\"%s\"", k);
		}
		if (rc < 0)
			return rc;
	}
	if (e->path == NULL || e->path[0] != '/')
		return fail(l, DM_EINVAL, "storage entry without an absolute "
		    "\"path\"");
	if (e->is_dir && (e->text != NULL || e->size != 0))
		return fail(l, DM_EINVAL, "storage %s: a dir has no size or "
		    "text", e->path);
	if (e->text != NULL && e->size != 0)
		return fail(l, DM_EINVAL, "storage %s: give \"size\" or "
		    "\"text\", not both", e->path);
	if (e->mode == 0)
		e->mode = e->is_dir ? 0771 : 0660;
	return 0;
}

static int
load_storage(struct loader *l, const cJSON *j)
{
	const cJSON *e;
	int rc;

	if (!cJSON_IsArray(j))
		return fail(l, DM_EINVAL, "\"storage\" must be a list");
	l->p->storage = xcalloc((size_t)cJSON_GetArraySize(j) + 1,
	    sizeof(struct storage_entry));
	cJSON_ArrayForEach(e, j) {
		rc = load_storage_entry(l, e,
		    &l->p->storage[l->p->nstorage++]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const struct {
	const char *name;
	int value;
} fault_types[] = {
	{ "oversize", FAULT_OVERSIZE },
	{ "bad_magic", FAULT_BAD_MAGIC },
	{ "bad_checksum", FAULT_BAD_CHECKSUM },
	{ "truncate", FAULT_TRUNCATE },
	{ "stall", FAULT_STALL },
	{ "close", FAULT_CLOSE },
	{ "slow", FAULT_SLOW },
}, fault_whens[] = {
	{ "cnxn", FAULT_AT_CNXN },
	{ "open", FAULT_AT_OPEN },
	{ "wrte", FAULT_AT_WRTE },
	{ "recv", FAULT_AT_RECV },
	{ "download", FAULT_AT_DOWNLOAD },
	{ "flash", FAULT_AT_FLASH },
};

static int
lookup(const char *name, size_t len, int which)
{
	size_t n = which ? sizeof(fault_whens) / sizeof(fault_whens[0]) :
	    sizeof(fault_types) / sizeof(fault_types[0]);

	for (size_t i = 0; i < n; i++) {
		const char *s = which ? fault_whens[i].name :
		    fault_types[i].name;

		if (strlen(s) == len && strncmp(s, name, len) == 0)
			return which ? fault_whens[i].value :
			    fault_types[i].value;
	}
	return 0;
}

int
profile_parse_fault(struct fault *f, const char *spec, char *err,
    size_t errlen)
{
	const char *at = strchr(spec, '@'), *plus = strchr(spec, '+');
	const char *tend = at ? at : plus ? plus : spec + strlen(spec);
	int t, w = FAULT_AT_WRTE;

	memset(f, 0, sizeof(*f));
	t = lookup(spec, (size_t)(tend - spec), 0);
	if (t == 0)
		return dm_fail(err, errlen, DM_EINVAL, "fault \"%s\": type "
		    "must be oversize, bad_magic, bad_checksum, truncate, "
		    "stall, close or slow", spec);
	if (at != NULL) {
		const char *wend = plus && plus > at ? plus :
		    at + strlen(at);

		w = lookup(at + 1, (size_t)(wend - at - 1), 1);
		if (w == 0)
			return dm_fail(err, errlen, DM_EINVAL, "fault \"%s\": "
			    "@WHEN must be cnxn, open, wrte, recv, download or "
			    "flash",
			    spec);
	}
	if (plus != NULL) {
		char *end;

		errno = 0;
		f->after_bytes = strtoull(plus + 1, &end, 0);
		if (errno || end == plus + 1 || *end != '\0')
			return dm_fail(err, errlen, DM_EINVAL, "fault \"%s\": "
			    "+BYTES must be a number", spec);
		if (w != FAULT_AT_RECV && w != FAULT_AT_DOWNLOAD &&
		    w != FAULT_AT_FLASH)
			return dm_fail(err, errlen, DM_EINVAL, "fault \"%s\": "
			    "+N only goes with @recv, @download or @flash",
			    spec);
	}
	if (w == FAULT_AT_DOWNLOAD && t != FAULT_CLOSE)
		return dm_fail(err, errlen, DM_EINVAL, "fault \"%s\": only "
		    "close goes with @download", spec);
	if ((w == FAULT_AT_FLASH) != (t == FAULT_SLOW))
		return dm_fail(err, errlen, DM_EINVAL, "fault \"%s\": slow "
		    "goes with @flash, and only slow", spec);
	f->type = (enum fault_type)t;
	f->when = (enum fault_when)w;
	return 0;
}

static int
load_fault(struct loader *l, const cJSON *j, struct fault *f)
{
	const cJSON *kv;
	char spec[128];
	const char *type = NULL, *when = "wrte";
	uint64_t after = 0, length = 0;
	int once = 0, rc;

	if (cJSON_IsString(j)) {
		rc = profile_parse_fault(f, j->valuestring, l->err, l->errlen);
		return rc < 0 ? fail(l, rc, "%s", l->err) : 0;
	}
	if (!cJSON_IsObject(j))
		return fail(l, DM_EINVAL, "\"faults\" entries must be objects "
		    "or \"TYPE@WHEN+BYTES\" strings");
	cJSON_ArrayForEach(kv, j) {
		const char *k = kv->string;

		rc = 0;
		if (strcmp(k, "type") == 0 && cJSON_IsString(kv))
			type = kv->valuestring;
		else if (strcmp(k, "when") == 0 && cJSON_IsString(kv))
			when = kv->valuestring;
		else if (strcmp(k, "after_bytes") == 0)
			rc = get_uint(l, kv, k, UINT64_MAX >> 1, &after);
		else if (strcmp(k, "length") == 0)
			rc = get_uint(l, kv, k, 0xffffffffu, &length);
		else if (strcmp(k, "once") == 0 && cJSON_IsBool(kv))
			once = cJSON_IsTrue(kv);
		else if (k[0] != '_')
			rc = fail(l, DM_EINVAL, "fault: bad or unknown key "
			    "\"%s\"", k);
		if (rc < 0)
			return rc;
	}
	if (type == NULL)
		return fail(l, DM_EINVAL, "fault without a \"type\"");
	if (strcmp(when, "recv") == 0 || strcmp(when, "download") == 0 ||
	    strcmp(when, "flash") == 0)
		snprintf(spec, sizeof(spec), "%s@%s+%llu", type, when,
		    (unsigned long long)after);
	else
		snprintf(spec, sizeof(spec), "%s@%s", type, when);
	rc = profile_parse_fault(f, spec, l->err, l->errlen);
	if (rc < 0)
		return fail(l, rc, "%s", l->err);
	f->length = (uint32_t)length;
	f->once = once;
	return 0;
}

static int
load_faults(struct loader *l, const cJSON *j)
{
	const cJSON *f;
	int rc;

	if (!cJSON_IsArray(j))
		return fail(l, DM_EINVAL, "\"faults\" must be a list");
	l->p->faults = xcalloc((size_t)cJSON_GetArraySize(j) + 1,
	    sizeof(struct fault));
	cJSON_ArrayForEach(f, j) {
		rc = load_fault(l, f, &l->p->faults[l->p->nfaults++]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
load_getprop(struct loader *l, const cJSON *j)
{
	char *raw = NULL, *text = NULL, *rel = NULL;
	size_t rlen, tlen;
	int rc;

	rc = get_string(l, j, "getprop_fixture", &rel);
	if (rc < 0)
		goto out;
	rc = read_fixture(l, "getprop fixture", rel, &raw, &rlen);
	if (rc < 0)
		goto out;
	rc = propdb_decode((const uint8_t *)raw, rlen, &text, &tlen, l->err,
	    l->errlen);
	if (rc == 0)
		rc = propdb_load_getprop(l->p->props, text, tlen, l->err,
		    l->errlen);
	if (rc < 0)
		rc = fail(l, rc, "getprop fixture %s: %s", rel, l->err);
	else
		rc = 0;
out:
	free(rel);
	free(raw);
	free(text);
	return rc;
}

static int
load_buildprops(struct loader *l, const cJSON *j)
{
	const cJSON *f;
	int rc = 0;

	if (!cJSON_IsArray(j))
		return fail(l, DM_EINVAL, "\"build_prop_fixtures\" must be a "
		    "list of paths");
	cJSON_ArrayForEach(f, j) {
		char *raw = NULL, *text = NULL;
		size_t rlen, tlen;

		if (!cJSON_IsString(f))
			return fail(l, DM_EINVAL, "\"build_prop_fixtures\" "
			    "must hold strings");
		rc = read_fixture(l, "build.prop fixture", f->valuestring,
		    &raw, &rlen);
		if (rc < 0)
			return rc;
		rc = propdb_decode((const uint8_t *)raw, rlen, &text, &tlen,
		    l->err, l->errlen);
		if (rc == 0)
			rc = propdb_load_buildprop(l->p->props, text, tlen,
			    l->err, l->errlen);
		free(raw);
		free(text);
		if (rc < 0)
			return fail(l, rc, "build.prop fixture %s: %s",
			    f->valuestring, l->err);
	}
	return 0;
}

static int
valid_serial(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '.')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

/* What `uname -a` prints when the profile does not say. */
static char *
default_uname(const struct propdb *db)
{
	const char *k = propdb_get(db, "ro.kernel.version");
	const char *abi = propdb_get(db, "ro.product.cpu.abi");
	const char *m = "aarch64";

	if (abi != NULL && strncmp(abi, "armeabi", 7) == 0)
		m = "armv8l";
	else if (abi != NULL && strcmp(abi, "x86_64") == 0)
		m = "x86_64";
	else if (abi != NULL && strcmp(abi, "x86") == 0)
		m = "i686";
	return xasprintf("Linux localhost %s #1 SMP PREEMPT %s Toybox",
	    k ? k : "unknown", m);
}

/* "fastboot": { "bootloader": capture, "fastbootd": capture,
 * "vars": { name: value } }. */
static int
load_fastboot(struct loader *l, const cJSON *j)
{
	struct profile *p = l->p;
	const cJSON *kv;
	int rc = 0;

	if (!cJSON_IsObject(j))
		return fail(l, DM_EINVAL, "\"fastboot\" must be an object");
	cJSON_ArrayForEach(kv, j) {
		const char *k = kv->string;

		if (strcmp(k, "bootloader") == 0 || strcmp(k, "fastbootd") == 0) {
			int bl = k[0] == 'b';
			char **text = bl ? &p->fb_bootloader : &p->fb_fastbootd;
			size_t *len = bl ? &p->fb_bootloader_len :
			    &p->fb_fastbootd_len;

			if (!cJSON_IsString(kv))
				return fail(l, DM_EINVAL, "\"fastboot\": \"%s\" "
				    "must be a path", k);
			free(*text);
			*text = NULL;
			rc = read_fixture(l, "getvar capture", kv->valuestring,
			    text, len);
		} else if (strcmp(k, "vars") == 0) {
			const cJSON *v;

			if (!cJSON_IsObject(kv))
				return fail(l, DM_EINVAL, "\"fastboot\": \"vars\" "
				    "must be an object of strings");
			cJSON_ArrayForEach(v, kv) {
				if (!cJSON_IsString(v))
					return fail(l, DM_EINVAL, "\"fastboot\": "
					    "variable \"%s\" must be a string",
					    v->string);
				p->fb_vars = xrealloc(p->fb_vars,
				    (p->nfb_vars + 1) * 2 * sizeof(char *));
				p->fb_vars[p->nfb_vars * 2] =
				    xstrdup(v->string);
				p->fb_vars[p->nfb_vars * 2 + 1] =
				    xstrdup(v->valuestring);
				p->nfb_vars++;
			}
		} else if (k[0] != '_') {
			return fail(l, DM_EINVAL, "\"fastboot\": unknown key "
			    "\"%s\"", k);
		}
		if (rc < 0)
			return rc;
	}
	if (p->fb_bootloader == NULL)
		return fail(l, DM_EINVAL, "\"fastboot\" needs a \"bootloader\" "
		    "getvar capture");
	return 0;
}

/* The "(bootloader) serialno:X" of a getvar capture, or NULL. */
static char *
capture_serial(const char *text, size_t len)
{
	static const char key[] = "(bootloader) serialno:";
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		if ((size_t)(e - p) > sizeof(key) - 1 &&
		    memcmp(p, key, sizeof(key) - 1) == 0) {
			const char *v = p + sizeof(key) - 1;

			while (v < e && *v == ' ')
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == ' '))
				e--;
			return xasprintf("%.*s", (int)(e - v), v);
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

/* Apply one top-level key. */
static int
load_key(struct loader *l, const cJSON *kv, const cJSON **getprop,
    const cJSON **buildprops, const cJSON **props)
{
	struct profile *p = l->p;
	const char *k = kv->string;
	uint64_t v;
	int rc = 0;

	if (strcmp(k, "serial") == 0) {
		free(p->serial);
		rc = get_string(l, kv, k, &p->serial);
	} else if (strcmp(k, "source") == 0 || strcmp(k, "description") == 0) {
		if (!cJSON_IsString(kv) && !cJSON_IsArray(kv))
			rc = fail(l, DM_EINVAL, "\"%s\" must be text or a list "
			    "of text", k);
	} else if (strcmp(k, "mode") == 0) {
		rc = load_mode(l, kv);
	} else if (strcmp(k, "version") == 0) {
		rc = get_uint(l, kv, k, 0xffffffffu, &v);
		p->version = (uint32_t)v;
	} else if (strcmp(k, "max_payload") == 0) {
		rc = get_uint(l, kv, k, ADB_MAX_PAYLOAD, &v);
		p->max_payload = (uint32_t)v;
	} else if (strcmp(k, "features") == 0) {
		rc = load_features(l, kv);
	} else if (strcmp(k, "auth") == 0) {
		rc = load_auth(l, kv);
	} else if (strcmp(k, "auth_delay_ms") == 0) {
		rc = get_int_ms(l, kv, k, &p->auth_delay_ms);
	} else if (strcmp(k, "getprop_fixture") == 0) {
		*getprop = kv;
	} else if (strcmp(k, "build_prop_fixtures") == 0) {
		*buildprops = kv;
	} else if (strcmp(k, "props") == 0) {
		*props = kv;
	} else if (strcmp(k, "commands") == 0) {
		rc = load_commands(l, kv, &p->cmds, &p->ncmds);
	} else if (strcmp(k, "packages") == 0) {
		rc = load_packages(l, kv);
	} else if (strcmp(k, "effects") == 0) {
		rc = load_effects(l, kv);
	} else if (strcmp(k, "storage") == 0) {
		rc = load_storage(l, kv);
	} else if (strcmp(k, "faults") == 0) {
		rc = load_faults(l, kv);
	} else if (strcmp(k, "reboot_ms") == 0) {
		rc = get_int_ms(l, kv, k, &p->reboot_ms);
	} else if (strcmp(k, "bootloader_ms") == 0) {
		rc = get_int_ms(l, kv, k, &p->bootloader_ms);
	} else if (strcmp(k, "fastboot") == 0) {
		rc = load_fastboot(l, kv);
	} else if (strcmp(k, "screen") == 0) {
		rc = load_screen(l, kv);
	} else if (strcmp(k, "su") == 0) {
		if (!cJSON_IsBool(kv))
			rc = fail(l, DM_EINVAL, "\"su\" must be true or false");
		p->su = cJSON_IsTrue(kv);
	} else if (strcmp(k, "uname") == 0) {
		free(p->uname);
		rc = get_string(l, kv, k, &p->uname);
	} else if (k[0] != '_') {
		rc = fail(l, DM_EINVAL, "unknown key \"%s\"", k);
	}
	return rc;
}

int
profile_load(struct profile **out, const char *path, const char *fixtures,
    char *err, size_t errlen)
{
	struct profile *p = xcalloc(1, sizeof(*p));
	struct loader l = { p, fixtures, err, errlen };
	const cJSON *kv, *getprop = NULL, *buildprops = NULL, *props = NULL;
	const char *end = NULL;
	static const char *const banner[] = { "ro.product.name",
	    "ro.product.model", "ro.product.device" };
	cJSON *root = NULL;
	char *text = NULL;
	size_t len;
	int rc;

	p->path = xstrdup(path);
	p->version = ADB_VERSION_SKIP_CHECKSUM;
	p->max_payload = ADB_MAX_PAYLOAD;
	p->features = xstrdup(DEFAULT_FEATURES);
	p->auth_delay_ms = 1000;
	p->reboot_ms = 1000;
	p->bootloader_ms = 10000;
	p->props = propdb_new();
	rc = textfile_read(path, PROFILE_MAX_BYTES, &text, &len);
	if (rc < 0) {
		rc = dm_fail(err, errlen, rc == -ENOENT ? DM_ENOENT : DM_EIO,
		    "%s: %s", path, strerror(-rc));
		goto out;
	}
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root == NULL) {
		int line, col;

		textfile_position(text, end ? (size_t)(end - text) : 0, &line,
		    &col);
		rc = dm_fail(err, errlen, DM_EINVAL, "%s:%d:%d: JSON syntax "
		    "error near \"%.20s\"", path, line, col, end ? end : "");
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		rc = fail(&l, DM_EINVAL, "the top level must be an object");
		goto out;
	}
	cJSON_ArrayForEach(kv, root) {
		rc = load_key(&l, kv, &getprop, &buildprops, &props);
		if (rc < 0)
			goto out;
	}
	if (p->version < ADB_VERSION_MIN || p->max_payload < 1024) {
		rc = fail(&l, DM_EINVAL, "\"version\" must be at least "
		    "0x01000000 and \"max_payload\" at least 1024");
		goto out;
	}
	/* Properties: capture, then build.prop files, then our own keys. */
	if (getprop != NULL && (rc = load_getprop(&l, getprop)) < 0)
		goto out;
	if (buildprops != NULL && (rc = load_buildprops(&l, buildprops)) < 0)
		goto out;
	if (props != NULL && (rc = load_props(&l, props)) < 0)
		goto out;
	propdb_derive_product(p->props);
	/* No "serial": the capture's own, read at run time (the owners'
	 * serial numbers stay out of the repository). */
	if (p->serial == NULL && propdb_get(p->props, "ro.serialno") != NULL)
		p->serial = xstrdup(propdb_get(p->props, "ro.serialno"));
	if (p->serial == NULL && p->fb_bootloader != NULL)
		p->serial = capture_serial(p->fb_bootloader,
		    p->fb_bootloader_len);
	if (p->serial == NULL || !valid_serial(p->serial)) {
		rc = fail(&l, DM_EINVAL, "\"serial\" is missing (and no "
		    "ro.serialno to take it from) or not made of letters, "
		    "digits, '.', '_' and '-'");
		goto out;
	}
	if (propdb_get(p->props, "ro.serialno") == NULL)
		propdb_set(p->props, "ro.serialno", p->serial);
	if (propdb_get(p->props, "ro.boot.serialno") == NULL)
		propdb_set(p->props, "ro.boot.serialno", p->serial);
	for (size_t i = 0; i < 3; i++)
		if (propdb_get(p->props, banner[i]) == NULL) {
			rc = fail(&l, DM_EINVAL, "no %s for the banner: add it "
			    "to \"props\"", banner[i]);
			goto out;
		}
	if (p->uname == NULL)
		p->uname = default_uname(p->props);
	rc = 0;
out:
	cJSON_Delete(root);
	free(text);
	if (rc < 0) {
		profile_free(p);
		p = NULL;
	}
	*out = p;
	return rc;
}

static void
cmds_free(struct sim_command *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].line);
		free(v[i].out);
		free(v[i].err);
	}
	free(v);
}

void
profile_free(struct profile *p)
{
	if (p == NULL)
		return;
	cmds_free(p->cmds, p->ncmds);
	for (size_t i = 0; i < p->npkgs; i++) {
		free(p->pkgs[i].name);
		for (size_t k = 0; k < p->pkgs[i].nsplits; k++)
			free(p->pkgs[i].splits[k]);
		free(p->pkgs[i].splits);
	}
	free(p->pkgs);
	for (size_t i = 0; i < p->neffects; i++) {
		struct sim_effect *e = &p->effects[i];

		for (size_t k = 0; k < e->nafter; k++)
			free(e->after[k]);
		free(e->after);
		cmds_free(e->cmds, e->ncmds);
		for (size_t k = 0; k < 2 * e->nprops; k++)
			free(e->props[k]);
		free(e->props);
		for (size_t k = 0; k < 2 * e->nfiles; k++)
			free(e->files[k]);
		free(e->files);
	}
	free(p->effects);
	for (size_t i = 0; i < p->nstorage; i++) {
		free(p->storage[i].path);
		free(p->storage[i].text);
	}
	free(p->storage);
	free(p->faults);
	propdb_free(p->props);
	free(p->features);
	free(p->serial);
	free(p->uname);
	free(p->fb_bootloader);
	free(p->fb_fastbootd);
	for (size_t i = 0; i < p->nfb_vars * 2; i++)
		free(p->fb_vars[i]);
	free(p->fb_vars);
	free(p->path);
	free(p);
}

const struct sim_command *
profile_command(const struct profile *p, const char *line)
{
	for (size_t i = 0; i < p->ncmds; i++)
		if (strcmp(p->cmds[i].line, line) == 0)
			return &p->cmds[i];
	return NULL;
}
