/* propdb.c - a simulated phone's properties (see propdb.h): decoding of
 * captured text, the getprop and build.prop forms, a sorted table.  Runs
 * on the main thread while profiles load; read-only afterwards. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "propdb.h"
#include "xmem.h"

struct prop {
	char *key;
	char *value;
};

struct propdb {
	struct prop *v;		/* sorted by key */
	size_t n, cap;
};

struct propdb *
propdb_new(void)
{
	return xcalloc(1, sizeof(struct propdb));
}

void
propdb_free(struct propdb *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; i < db->n; i++) {
		free(db->v[i].key);
		free(db->v[i].value);
	}
	free(db->v);
	free(db);
}

/* Index of key, or of where it would go (*found says which). */
static size_t
find(const struct propdb *db, const char *key, int *found)
{
	size_t lo = 0, hi = db->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(db->v[mid].key, key);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
propdb_set(struct propdb *db, const char *key, const char *value)
{
	int found;
	size_t i = find(db, key, &found);

	if (found) {
		free(db->v[i].value);
		db->v[i].value = xstrdup(value);
		return;
	}
	if (db->n == db->cap) {
		db->cap = db->cap ? db->cap * 2 : 256;
		db->v = xrealloc(db->v, db->cap * sizeof(*db->v));
	}
	memmove(db->v + i + 1, db->v + i, (db->n - i) * sizeof(*db->v));
	db->v[i].key = xstrdup(key);
	db->v[i].value = xstrdup(value);
	db->n++;
}

const char *
propdb_get(const struct propdb *db, const char *key)
{
	int found;
	size_t i = find(db, key, &found);

	return found ? db->v[i].value : NULL;
}

size_t
propdb_count(const struct propdb *db)
{
	return db->n;
}

const char *
propdb_key(const struct propdb *db, size_t i)
{
	return i < db->n ? db->v[i].key : NULL;
}

const char *
propdb_value(const struct propdb *db, size_t i)
{
	return i < db->n ? db->v[i].value : NULL;
}

/* Append code point cp as UTF-8. */
static size_t
put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
decode_utf16(const uint8_t *in, size_t len, int be, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	char *o;
	size_t n = 0;

	if (len % 2 != 0)
		return dm_fail(err, errlen, DM_EINVAL,
		    "UTF-16 text of odd length (%zu bytes)", len);
	/* Each UTF-16 unit gives at most 3 UTF-8 bytes. */
	o = xmalloc(len / 2 * 3 + 1);
	for (size_t i = 0; i + 1 < len; i += 2) {
		unsigned long u = be ? (unsigned long)in[i] << 8 | in[i + 1] :
		    (unsigned long)in[i + 1] << 8 | in[i];

		if (u >= 0xd800 && u < 0xdc00 && i + 3 < len) {
			unsigned long lo = be ?
			    (unsigned long)in[i + 2] << 8 | in[i + 3] :
			    (unsigned long)in[i + 3] << 8 | in[i + 2];

			if (lo >= 0xdc00 && lo < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 2;
			} else {
				u = 0xfffd;
			}
		} else if (u >= 0xd800 && u < 0xe000) {
			u = 0xfffd;	/* a lone surrogate */
		}
		n += put_utf8(o + n, u);
	}
	o[n] = '\0';
	*out = o;
	*outlen = n;
	return 0;
}

int
propdb_decode(const uint8_t *in, size_t len, char **out, size_t *outlen,
    char *err, size_t errlen)
{
	char *text = NULL;
	size_t n = 0, w = 0;
	int rc;

	if (len >= 2 && in[0] == 0xff && in[1] == 0xfe) {
		rc = decode_utf16(in + 2, len - 2, 0, &text, &n, err, errlen);
	} else if (len >= 2 && in[0] == 0xfe && in[1] == 0xff) {
		rc = decode_utf16(in + 2, len - 2, 1, &text, &n, err, errlen);
	} else if (len >= 2 && in[0] != 0 && in[1] == 0) {
		/* UTF-16LE without a BOM: ASCII with NULs in between. */
		rc = decode_utf16(in, len, 0, &text, &n, err, errlen);
	} else {
		if (len >= 3 && in[0] == 0xef && in[1] == 0xbb &&
		    in[2] == 0xbf) {
			in += 3;
			len -= 3;
		}
		text = xmalloc(len + 1);
		memcpy(text, in, len);
		text[len] = '\0';
		n = len;
		rc = 0;
	}
	if (rc < 0)
		return rc;
	/* CRLF to LF; stray NULs go too. */
	for (size_t r = 0; r < n; r++) {
		if (text[r] == '\r' && r + 1 < n && text[r + 1] == '\n')
			continue;
		if (text[r] == '\0')
			continue;
		text[w++] = text[r];
	}
	text[w] = '\0';
	*out = text;
	*outlen = w;
	return 0;
}

/* Next line of text (without its '\n'); NULL at the end. */
static const char *
next_line(const char **pos, const char *end, size_t *len)
{
	const char *p = *pos, *nl;

	if (p >= end)
		return NULL;
	nl = memchr(p, '\n', (size_t)(end - p));
	*len = nl ? (size_t)(nl - p) : (size_t)(end - p);
	*pos = nl ? nl + 1 : end;
	return p;
}

int
propdb_load_getprop(struct propdb *db, const char *text, size_t len,
    char *err, size_t errlen)
{
	const char *pos = text, *end = text + len, *line;
	size_t llen;
	int count = 0;

	while ((line = next_line(&pos, end, &llen)) != NULL) {
		const char *sep;
		char *key, *val;
		size_t vlen, vcap;

		if (llen < 6 || line[0] != '[')
			continue;
		sep = NULL;
		for (size_t i = 1; i + 3 < llen; i++)
			if (memcmp(line + i, "]: [", 4) == 0) {
				sep = line + i;
				break;
			}
		if (sep == NULL || sep == line + 1)
			continue;
		key = xmalloc((size_t)(sep - line));
		memcpy(key, line + 1, (size_t)(sep - line - 1));
		key[sep - line - 1] = '\0';
		vlen = llen - (size_t)(sep + 4 - line);
		vcap = vlen + 1;
		val = xmalloc(vcap);
		memcpy(val, sep + 4, vlen);
		/* A value with newlines runs on until a line ends in ']'. */
		while (vlen == 0 || val[vlen - 1] != ']') {
			const char *more = next_line(&pos, end, &llen);

			if (more == NULL)
				break;
			vcap = vlen + llen + 2;
			val = xrealloc(val, vcap);
			val[vlen++] = '\n';
			memcpy(val + vlen, more, llen);
			vlen += llen;
		}
		if (vlen > 0 && val[vlen - 1] == ']')
			vlen--;
		val[vlen] = '\0';
		propdb_set(db, key, val);
		free(key);
		free(val);
		count++;
	}
	if (count == 0)
		return dm_fail(err, errlen, DM_EINVAL,
		    "no \"[key]: [value]\" lines (not getprop output?)");
	return count;
}

static void
trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

int
propdb_load_buildprop(struct propdb *db, const char *text, size_t len,
    char *err, size_t errlen)
{
	const char *pos = text, *end = text + len, *line;
	size_t llen;
	int count = 0;

	while ((line = next_line(&pos, end, &llen)) != NULL) {
		const char *s = line, *e = line + llen, *eq, *ke;
		char *key, *val;
		int optional = 0;

		trim(&s, &e);
		if (s == e || *s == '#')
			continue;
		if ((size_t)(e - s) > 7 && strncmp(s, "import ", 7) == 0)
			continue;
		eq = memchr(s, '=', (size_t)(e - s));
		if (eq == NULL || eq == s)
			continue;
		ke = eq;
		/* "key?=value": set only when nothing set it before. */
		if (ke[-1] == '?') {
			optional = 1;
			ke--;
		}
		trim(&s, &ke);
		if (s == ke || memchr(s, ' ', (size_t)(ke - s)) != NULL)
			continue;
		key = xmalloc((size_t)(ke - s) + 1);
		memcpy(key, s, (size_t)(ke - s));
		key[ke - s] = '\0';
		s = eq + 1;
		trim(&s, &e);
		val = xmalloc((size_t)(e - s) + 1);
		memcpy(val, s, (size_t)(e - s));
		val[e - s] = '\0';
		if (!optional || propdb_get(db, key) == NULL)
			propdb_set(db, key, val);
		free(key);
		free(val);
		count++;
	}
	if (count == 0)
		return dm_fail(err, errlen, DM_EINVAL,
		    "no \"key=value\" lines (not a build.prop?)");
	return count;
}

void
propdb_derive_product(struct propdb *db)
{
	static const char *const fields[] = { "brand", "device",
	    "manufacturer", "model", "name" };
	const char *order = propdb_get(db, "ro.product.property_source_order");
	char parts[256], key[128];

	if (order == NULL || *order == '\0')
		order = "product,odm,vendor,system_ext,system";
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		char *save = NULL, *part;

		snprintf(key, sizeof(key), "ro.product.%s", fields[f]);
		if (propdb_get(db, key) != NULL)
			continue;
		snprintf(parts, sizeof(parts), "%s", order);
		for (part = strtok_r(parts, ",", &save); part != NULL;
		    part = strtok_r(NULL, ",", &save)) {
			char pkey[128];
			const char *v;

			snprintf(pkey, sizeof(pkey), "ro.product.%s.%s", part,
			    fields[f]);
			v = propdb_get(db, pkey);
			if (v != NULL && *v != '\0') {
				propdb_set(db, key, v);
				break;
			}
		}
	}
}

char *
propdb_format(const struct propdb *db, size_t *len)
{
	size_t n = 1, w = 0;
	char *out;

	for (size_t i = 0; i < db->n; i++)
		n += strlen(db->v[i].key) + strlen(db->v[i].value) + 7;
	out = xmalloc(n);
	for (size_t i = 0; i < db->n; i++)
		w += (size_t)snprintf(out + w, n - w, "[%s]: [%s]\n",
		    db->v[i].key, db->v[i].value);
	*len = w;
	return out;
}
