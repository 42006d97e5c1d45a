/* props.c - property lists: getprop and build.prop text in, lookups out.
 *
 * The text is read once, code point by code point, through a small
 * decoder (UTF-8 or UTF-16) that always yields valid Unicode; lines are
 * rebuilt as UTF-8 in a fixed buffer and handed to the line parser of
 * the form in use.  Nothing grows with the input: a long line keeps its
 * first LINE_CAP bytes, a long value its first PROPS_MAX_VALUE.
 *
 * Entries sit in an array (the order they were first set) with an open
 * addressing hash index over it.  What the phone sends is only parsed
 * here; working out who the phone is belongs to ident.c.  Pure code, no
 * I/O; a list is used by one thread at a time. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "props.h"
#include "xmem.h"

/* "[" key "]: [" value "]" plus some spaces around the punctuation. */
#define LINE_CAP	(PROPS_MAX_KEY + PROPS_MAX_VALUE + 64)
#define REPLACEMENT	0xfffd

struct ent {
	char *key;
	char *val;
	size_t klen, vlen;
	uint32_t hash;
};

struct props {
	struct ent *ents;
	size_t n, cap;
	uint32_t *slots;	/* 1 + index into ents; 0 is an empty slot */
	size_t nslots;		/* a power of two */
	size_t bytes;		/* key and value bytes held */
	struct props_stats st;
};

/* ---- the list ---- */

static uint32_t
hash_key(const char *k, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 16777619u;
	}
	return h;
}

static struct ent *
find_ent(const struct props *p, const char *key, size_t klen, uint32_t h)
{
	size_t mask, i;

	if (p->nslots == 0)
		return NULL;
	mask = p->nslots - 1;
	for (i = h & mask; p->slots[i] != 0; i = (i + 1) & mask) {
		struct ent *e = &p->ents[p->slots[i] - 1];

		if (e->hash == h && e->klen == klen &&
		    memcmp(e->key, key, klen) == 0)
			return e;
	}
	return NULL;
}

static void
index_grow(struct props *p)
{
	size_t nslots = p->nslots ? p->nslots * 2 : 256, mask = nslots - 1;

	free(p->slots);
	p->slots = xcalloc(nslots, sizeof(*p->slots));
	p->nslots = nslots;
	for (size_t j = 0; j < p->n; j++) {
		size_t i = p->ents[j].hash & mask;

		while (p->slots[i] != 0)
			i = (i + 1) & mask;
		p->slots[i] = (uint32_t)(j + 1);
	}
}

static char *
dup_n(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Store key=value (both already checked and cut).  1 set, 0 dropped. */
static int
store(struct props *p, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	uint32_t h = hash_key(key, klen);
	struct ent *e = find_ent(p, key, klen, h);

	if (e != NULL) {
		if (p->bytes - e->vlen + vlen > PROPS_MAX_BYTES) {
			p->st.dropped++;
			return 0;
		}
		free(e->val);
		p->bytes = p->bytes - e->vlen + vlen;
		e->val = dup_n(val, vlen);
		e->vlen = vlen;
		return 1;
	}
	if (p->n >= PROPS_MAX_COUNT ||
	    p->bytes + klen + vlen > PROPS_MAX_BYTES) {
		p->st.dropped++;
		return 0;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->ents = xrealloc(p->ents, p->cap * sizeof(*p->ents));
	}
	if ((p->n + 1) * 4 > p->nslots * 3)
		index_grow(p);
	e = &p->ents[p->n];
	e->key = dup_n(key, klen);
	e->val = dup_n(val, vlen);
	e->klen = klen;
	e->vlen = vlen;
	e->hash = h;
	p->n++;
	{
		size_t mask = p->nslots - 1, i = h & mask;

		while (p->slots[i] != 0)
			i = (i + 1) & mask;
		p->slots[i] = (uint32_t)p->n;
	}
	p->bytes += klen + vlen;
	return 1;
}

/* init's rule: letters, digits and . - @ : _, no leading, trailing or
 * doubled dot. */
static int
key_ok(const char *k, size_t n)
{
	if (n == 0 || n > PROPS_MAX_KEY || k[0] == '.' || k[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '@' ||
		    c == ':' || c == '_')
			continue;
		if (c == '.' && k[i + 1] != '.')
			continue;
		return 0;
	}
	return 1;
}

/* Length of s[0..n) cut to at most max bytes, not inside a character. */
static size_t
cut_len(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

struct props *
props_new(void)
{
	return xcalloc(1, sizeof(struct props));
}

void
props_free(struct props *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->ents[i].key);
		free(p->ents[i].val);
	}
	free(p->ents);
	free(p->slots);
	free(p);
}

const char *
props_get(const struct props *p, const char *key)
{
	struct ent *e;
	size_t n;

	if (p == NULL || key == NULL)
		return NULL;
	n = strlen(key);
	e = find_ent(p, key, n, hash_key(key, n));
	return e ? e->val : NULL;
}

const char *
props_str(const struct props *p, const char *key)
{
	const char *v = props_get(p, key);

	return v ? v : "";
}

const char *
props_first(const struct props *p, const char *const *keys,
    const char **which)
{
	if (keys == NULL)
		return NULL;
	for (; *keys != NULL; keys++) {
		const char *v = props_get(p, *keys);

		if (v != NULL && *v != '\0') {
			if (which != NULL)
				*which = *keys;
			return v;
		}
	}
	return NULL;
}

size_t
props_count(const struct props *p)
{
	return p ? p->n : 0;
}

int
props_at(const struct props *p, size_t i, const char **key,
    const char **value)
{
	if (p == NULL || i >= p->n)
		return DM_ENOENT;
	if (key != NULL)
		*key = p->ents[i].key;
	if (value != NULL)
		*value = p->ents[i].val;
	return 0;
}

const struct props_stats *
props_stats(const struct props *p)
{
	return p ? &p->st : NULL;
}

/* ---- decoding: bytes to code points ---- */

struct rd {
	const unsigned char *b;
	size_t n, i;
	enum props_enc enc;
};

static long
rd_utf8(struct rd *r)
{
	unsigned char c = r->b[r->i++];
	int need;
	long cp, min;

	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return REPLACEMENT;
	}
	while (need-- > 0) {
		if (r->i >= r->n || (r->b[r->i] & 0xc0) != 0x80)
			/* the odd byte is read next */
			return REPLACEMENT;
		cp = (cp << 6) | (r->b[r->i++] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return REPLACEMENT;
	return cp;
}

static long
rd_unit16(struct rd *r)
{
	unsigned a = r->b[r->i], b = r->b[r->i + 1];

	r->i += 2;
	return r->enc == PROPS_ENC_UTF16LE ? (long)(a | b << 8) :
	    (long)(a << 8 | b);
}

static long
rd_utf16(struct rd *r)
{
	long u, lo;

	if (r->n - r->i < 2) {
		r->i = r->n;		/* an odd last byte */
		return REPLACEMENT;
	}
	u = rd_unit16(r);
	if (u >= 0xdc00 && u <= 0xdfff)
		return REPLACEMENT;	/* a low surrogate alone */
	if (u < 0xd800 || u > 0xdbff)
		return u;
	if (r->n - r->i < 2)
		return REPLACEMENT;
	lo = rd_unit16(r);
	if (lo < 0xdc00 || lo > 0xdfff) {
		r->i -= 2;		/* a high one alone: keep the next */
		return REPLACEMENT;
	}
	return 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
}

/* Next code point, or -1 at the end. */
static long
rd_next(struct rd *r)
{
	if (r->i >= r->n)
		return -1;
	return r->enc == PROPS_ENC_UTF8 ? rd_utf8(r) : rd_utf16(r);
}

/* Pick the encoding from a BOM, or from where the NUL bytes sit. */
static void
rd_init(struct rd *r, const unsigned char *b, size_t n)
{
	size_t look, even = 0, odd = 0;

	r->b = b;
	r->n = n;
	r->i = 0;
	r->enc = PROPS_ENC_UTF8;
	if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) {
		r->i = 3;
		return;
	}
	if (n >= 2 && b[0] == 0xff && b[1] == 0xfe) {
		r->enc = PROPS_ENC_UTF16LE;
		r->i = 2;
		return;
	}
	if (n >= 2 && b[0] == 0xfe && b[1] == 0xff) {
		r->enc = PROPS_ENC_UTF16BE;
		r->i = 2;
		return;
	}
	look = n < 512 ? n & ~(size_t)1 : 512;
	for (size_t i = 0; i < look; i += 2) {
		even += b[i] == 0;
		odd += b[i + 1] == 0;
	}
	/* ASCII text in UTF-16 has a NUL in every other byte. */
	if (look >= 4 && odd * 2 >= look / 2 && even * 8 < look / 2)
		r->enc = PROPS_ENC_UTF16LE;
	else if (look >= 4 && even * 2 >= look / 2 && odd * 8 < look / 2)
		r->enc = PROPS_ENC_UTF16BE;
}

static size_t
put_utf8(char *d, long cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *
props_utf16_to_utf8(const void *buf, size_t len, size_t *outlen)
{
	struct rd r;
	size_t o = 0;
	char *d;
	long cp;

	rd_init(&r, buf, len);
	if (r.enc == PROPS_ENC_UTF8)
		return NULL;
	/* 2 bytes in give at most 3 out; a pair of 4 gives 4 */
	d = xmalloc(len / 2 * 3 + 4);
	while ((cp = rd_next(&r)) >= 0)
		if (cp != 0)
			o += put_utf8(d + o, cp);
	*outlen = o;
	return d;
}

/* ---- lines ---- */

struct line {
	char buf[LINE_CAP + 1];
	size_t n;
	int over;		/* over LINE_CAP: buf holds the start */
	long last;		/* last code point other than CR */
};

/* State of one props_parse() call. */
struct pctx {
	struct props *p;
	enum props_fmt fmt;
	int nset;
	int open;		/* a getprop value runs over lines */
	char key[PROPS_MAX_KEY + 1];
	size_t klen;
	char val[PROPS_MAX_VALUE + 8];
	size_t vlen;
	int vcut;
	struct line ln;
};

static void
set_cut(struct pctx *c, const char *key, size_t klen, const char *val,
    size_t vlen, int cut)
{
	size_t n = cut_len(val, vlen, PROPS_MAX_VALUE);

	if (n < vlen || cut)
		c->p->st.cut++;
	c->nset += store(c->p, key, klen, val, n);
}

static int
is_blank(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' ||
	    ch == '\v';
}

/* "[key]: [" at the start of a line: the key and what follows. */
static int
gp_head(const char *s, size_t n, const char **key, size_t *klen,
    const char **rest, size_t *rlen)
{
	size_t i = 0, k0;

	while (i < n && is_blank(s[i]))
		i++;
	if (i >= n || s[i] != '[')
		return 0;
	k0 = ++i;
	while (i < n && s[i] != ']')
		i++;
	if (i >= n || !key_ok(s + k0, i - k0))
		return 0;
	*key = s + k0;
	*klen = i - k0;
	i++;
	while (i < n && is_blank(s[i]))
		i++;
	if (i >= n || s[i] != ':')
		return 0;
	i++;
	while (i < n && is_blank(s[i]))
		i++;
	if (i >= n || s[i] != '[')
		return 0;
	i++;
	*rest = s + i;
	*rlen = n - i;
	return 1;
}

static void
gp_append(struct pctx *c, const char *s, size_t n)
{
	size_t room = sizeof(c->val) - c->vlen;

	if (n > room) {
		n = room;
		c->vcut = 1;
	}
	memcpy(c->val + c->vlen, s, n);
	c->vlen += n;
}

static void
gp_close(struct pctx *c, int unterminated)
{
	if (unterminated)
		c->p->st.unterminated++;
	set_cut(c, c->key, c->klen, c->val, c->vlen, c->vcut);
	c->open = 0;
}

static void
gp_line(struct pctx *c, const struct line *ln)
{
	const char *key, *rest;
	size_t klen, rlen;
	int head = gp_head(ln->buf, ln->n, &key, &klen, &rest, &rlen);

	if (c->open) {
		if (head) {
			gp_close(c, 1);
		} else {
			int end = ln->last == ']';
			size_t n = ln->n;

			if (end && !ln->over)
				n--;
			gp_append(c, "\n", 1);
			gp_append(c, ln->buf, n);
			if (ln->over)
				c->vcut = 1;
			if (end)
				gp_close(c, 0);
			return;
		}
	}
	if (!head) {
		if (ln->n > 0 || ln->over)
			c->p->st.skipped++;
		return;
	}
	if (ln->last == ']') {
		/* When the line was cut, its "]" is not in the buffer. */
		if (!ln->over)
			rlen--;
		set_cut(c, key, klen, rest, rlen, ln->over);
		return;
	}
	c->open = 1;
	memcpy(c->key, key, klen);
	c->klen = klen;
	c->vlen = 0;
	c->vcut = ln->over;
	gp_append(c, rest, rlen);
}

/* "key=value"; 1 if it was one (or a comment or import), else 0. */
static int
bp_line(struct pctx *c, const struct line *ln)
{
	const char *s = ln->buf, *eq;
	size_t n = ln->n, i = 0, ke, v0, ve;

	while (i < n && is_blank(s[i]))
		i++;
	if (i >= n || s[i] == '#')
		return 1;
	if (n - i >= 7 && strncmp(s + i, "import", 6) == 0 &&
	    is_blank(s[i + 6]))
		return 1;
	eq = memchr(s + i, '=', n - i);
	if (eq == NULL)
		return 0;
	ke = (size_t)(eq - s);
	while (ke > i && is_blank(s[ke - 1]))
		ke--;
	if (!key_ok(s + i, ke - i))
		return 0;
	v0 = (size_t)(eq - s) + 1;
	ve = n;
	while (v0 < ve && is_blank(s[v0]))
		v0++;
	while (ve > v0 && is_blank(s[ve - 1]) && !ln->over)
		ve--;
	set_cut(c, s + i, ke - i, s + v0, ve - v0, ln->over);
	return 1;
}

static void
line_done(struct pctx *c)
{
	struct line *ln = &c->ln;
	const char *k, *r;
	size_t kl, rl;
	int before = c->nset;

	if (!ln->over)
		while (ln->n > 0 && ln->buf[ln->n - 1] == '\r')
			ln->n--;
	ln->buf[ln->n] = '\0';
	c->p->st.lines++;
	if (c->fmt == PROPS_FMT_AUTO) {
		/* The first line that sets something decides the form; a
		 * comment or a dropped line decides nothing. */
		if (gp_head(ln->buf, ln->n, &k, &kl, &r, &rl)) {
			c->fmt = PROPS_FMT_GETPROP;
		} else {
			if (!bp_line(c, ln))
				c->p->st.skipped++;
			else if (c->nset > before)
				c->fmt = PROPS_FMT_BUILDPROP;
			goto out;
		}
	}
	if (c->fmt == PROPS_FMT_GETPROP)
		gp_line(c, ln);
	else if (!bp_line(c, ln))
		c->p->st.skipped++;
out:
	ln->n = 0;
	ln->over = 0;
	ln->last = -1;
}

static void
line_put(struct line *ln, long cp)
{
	char tmp[4];
	size_t k;

	if (cp != '\r')
		ln->last = cp;
	if (ln->over)
		return;
	k = put_utf8(tmp, cp);
	if (ln->n + k > LINE_CAP) {
		ln->over = 1;
		return;
	}
	memcpy(ln->buf + ln->n, tmp, k);
	ln->n += k;
}

int
props_parse(struct props *p, const void *buf, size_t len,
    enum props_fmt fmt)
{
	struct pctx *c;
	struct rd r;
	long cp;
	int n;

	if (p == NULL || (buf == NULL && len > 0))
		return DM_EINVAL;
	if (len > PROPS_MAX_INPUT) {
		len = PROPS_MAX_INPUT;
		p->st.input_cut = 1;
	}
	c = xcalloc(1, sizeof(*c));	/* ~17 KiB: not on the stack */
	c->p = p;
	c->fmt = fmt;
	c->ln.last = -1;
	rd_init(&r, buf, len);
	p->st.enc = r.enc;
	while ((cp = rd_next(&r)) >= 0) {
		if (cp == 0)
			continue;
		if (cp == '\n')
			line_done(c);
		else
			line_put(&c->ln, cp);
	}
	if (c->ln.n > 0 || c->ln.over)
		line_done(c);
	if (c->open)
		gp_close(c, 1);
	p->st.fmt = c->fmt;
	n = c->nset;
	free(c);
	return n;
}

int
props_set(struct props *p, const char *key, const char *value)
{
	struct rd r;
	char *v;
	size_t klen, vlen = 0, cap;
	long cp;
	int rc;

	if (p == NULL || key == NULL || !key_ok(key, strlen(key)))
		return DM_EINVAL;
	if (value == NULL)
		value = "";
	klen = strlen(key);
	/* Same cleaning as parsed text gets; a value never holds a NUL. */
	r.b = (const unsigned char *)value;
	r.n = strlen(value);
	r.i = 0;
	r.enc = PROPS_ENC_UTF8;
	cap = PROPS_MAX_VALUE + 4;
	v = xmalloc(cap);
	while ((cp = rd_next(&r)) >= 0 && vlen + 4 <= cap)
		vlen += put_utf8(v + vlen, cp);
	if (cp >= 0 || vlen > PROPS_MAX_VALUE)
		p->st.cut++;
	rc = store(p, key, klen, v, cut_len(v, vlen, PROPS_MAX_VALUE));
	free(v);
	return rc;
}

/* ---- what init derives ---- */

const char *
props_product(const struct props *p, const char *what, const char **which)
{
	const char *order, *s, *e = NULL;
	char key[96];
	struct ent *ent;
	size_t n;

	if (p == NULL || what == NULL || strlen(what) > 32)
		return NULL;
	n = (size_t)snprintf(key, sizeof(key), "ro.product.%s", what);
	ent = find_ent(p, key, n, hash_key(key, n));
	if (ent != NULL && ent->vlen > 0)
		goto found;
	order = props_get(p, "ro.product.property_source_order");
	if (order == NULL || *order == '\0')
		order = "product,odm,vendor,system_ext,system";
	for (s = order; *s != '\0'; s = *e ? e + 1 : e) {
		size_t plen;

		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		while (s < e && is_blank(*s))
			s++;
		plen = (size_t)(e - s);
		while (plen > 0 && is_blank(s[plen - 1]))
			plen--;
		if (plen == 0 || plen > 32)
			continue;
		n = (size_t)snprintf(key, sizeof(key), "ro.product.%.*s.%s",
		    (int)plen, s, what);
		ent = find_ent(p, key, n, hash_key(key, n));
		if (ent != NULL && ent->vlen > 0)
			goto found;
	}
	return NULL;
found:
	if (which != NULL)
		*which = ent->key;
	return ent->val;
}

int
props_android_derive(struct props *p)
{
	static const char *const what[] = {
		"brand", "device", "manufacturer", "model", "name"
	};
	static const char *const rel[] = {
		"ro.build.version.release_or_codename",
		"ro.build.version.release", NULL
	};
	const char *part[8];
	char key[64], *fp;
	int n = 0, i;

	if (p == NULL)
		return DM_EINVAL;
	for (i = 0; i < 5; i++) {
		const char *v;

		snprintf(key, sizeof(key), "ro.product.%s", what[i]);
		if (*props_str(p, key) != '\0')
			continue;
		/* Values are allocated one by one: v outlives the set. */
		v = props_product(p, what[i], NULL);
		if (v != NULL)
			n += props_set(p, key, v) > 0;
	}
	if (*props_str(p, "ro.build.fingerprint") != '\0')
		return n;
	part[0] = props_str(p, "ro.product.brand");
	part[1] = props_str(p, "ro.product.name");
	part[2] = props_str(p, "ro.product.device");
	part[3] = props_first(p, rel, NULL);
	part[4] = props_str(p, "ro.build.id");
	part[5] = props_str(p, "ro.build.version.incremental");
	part[6] = props_str(p, "ro.build.type");
	part[7] = props_str(p, "ro.build.tags");
	for (i = 0; i < 8; i++)
		if (part[i] == NULL || *part[i] == '\0')
			return n;
	fp = xasprintf("%s/%s/%s:%s/%s/%s:%s/%s", part[0], part[1], part[2],
	    part[3], part[4], part[5], part[6], part[7]);
	n += props_set(p, "ro.build.fingerprint", fp) > 0;
	free(fp);
	return n;
}
