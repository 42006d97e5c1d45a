/* fbvars.c - fastboot variables: getvar text and replies in, a typed
 * record out.
 *
 * Every input ends up in put(): one name (with its sub-key, if the name
 * takes one) and one value.  put() stores the pair raw, then fills the
 * typed field it belongs to from the stored value, so the text parser,
 * the INFO lines and single getvar answers cannot drift apart.  Lookups
 * are linear: a phone sends a few hundred names, and the caps keep a
 * hostile input from making that quadratic in anything large.
 *
 * Sending getvar commands and reading replies is fastboot.c's job; this
 * file only parses.  Pure code, no I/O; one thread per record. */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fbvars.h"
#include "props.h"
#include "xmem.h"

#define PREFIX		"(bootloader)"

/* What put() did with a pair. */
enum put_res {
	PUT_OK,
	PUT_BAD,	/* stored raw, but the typed field did not parse */
	PUT_NOTVAR,	/* not a variable: nothing stored */
	PUT_DROPPED	/* refused by a cap */
};

/* Names whose first argument is part of the name ("has-slot:boot:yes").
 * slot-fastboot-ok and sbdp come from the Pixel bootloader; without
 * them their "a:yes" values would collide under one name. */
static const char *const sub_names[] = {
	"partition-size", "partition-type", "is-logical", "has-slot",
	"slot-successful", "slot-unbootable", "slot-retry-count",
	"slot-fastboot-ok", "sbdp", NULL
};

enum fkind {
	F_STR,		/* char array */
	F_BOOL,		/* int -1/0/1 */
	F_INT,		/* int >= 0, decimal; -1 unknown */
	F_SIZE,		/* uint64_t, decimal unless 0x */
	F_HEX,		/* uint64_t, always hex */
	F_SLOT,		/* current_slot */
	F_MV,		/* battery millivolts */
	F_PERCENT	/* 0..100 */
};

struct field {
	const char *name;
	enum fkind kind;
	size_t off;	/* of the field in struct fbvars */
	size_t size;	/* F_STR: the array's size; F_SIZE, F_HEX: the
			 * offset of its has_ flag */
};

#define FB_STR(n, f)	{ n, F_STR, offsetof(struct fbvars, f), \
			  sizeof(((struct fbvars *)0)->f) }
#define FB_INT(n, k, f)	{ n, k, offsetof(struct fbvars, f), 0 }
#define FB_U64(n, k, f, h) { n, k, offsetof(struct fbvars, f), \
			  offsetof(struct fbvars, h) }

static const struct field fields[] = {
	FB_STR("product", product),
	FB_STR("serialno", serialno),
	FB_STR("variant", variant),
	FB_STR("hw-revision", hw_revision),
	FB_STR("version-bootloader", version_bootloader),
	FB_STR("version-baseband", version_baseband),
	FB_STR("version", version),
	FB_STR("security-patch-level", security_patch_level),
	FB_STR("super-partition-name", super_partition_name),
	FB_STR("snapshot-update-status", snapshot_update_status),
	FB_STR("crc", crc),
	FB_STR("token", token),
	FB_INT("secure", F_BOOL, secure),
	FB_INT("unlocked", F_BOOL, unlocked),
	FB_INT("is-userspace", F_BOOL, is_userspace),
	FB_INT("battery-soc-ok", F_BOOL, battery_soc_ok),
	FB_INT("off-mode-charge", F_BOOL, off_mode_charge),
	FB_INT("slot-count", F_INT, slot_count),
	FB_INT("anti", F_INT, anti),
	FB_INT("battery-voltage", F_MV, battery_mv),
	FB_INT("battery-soc", F_PERCENT, battery_soc_percent),
	FB_INT("current-slot", F_SLOT, current_slot),
	FB_U64("max-download-size", F_SIZE, max_download_size,
	    has_max_download),
	FB_U64("max-fetch-size", F_SIZE, max_fetch_size, has_max_fetch),
	FB_U64("erase-block-size", F_HEX, erase_block_size,
	    has_erase_block),
	FB_U64("logical-block-size", F_HEX, logical_block_size,
	    has_logical_block),
};

/* ---- small text helpers ---- */

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/* Letters, digits, '-', '_', '.': what names and partition names are
 * made of.  ASCII only, whatever the locale. */
static int
is_tok(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_space((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_space((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static int
all_tok(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_tok((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
span_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
eq_nocase(const char *a, const char *b)
{
	while (*a != '\0' && lower((unsigned char)*a) ==
	    lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

/* Longest prefix of s[0..n) that fits in cap bytes and does not end in
 * the middle of a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t n, size_t cap)
{
	size_t k;

	if (n <= cap)
		return n;
	k = cap;
	/* s[k] is the first byte left out: if it continues a character,
	 * leave out that whole character too */
	while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;
	return k;
}

/* Copy at most cap-1 bytes, cut at a character boundary; counts a cut. */
static void
copy_str(struct fbvars *v, char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src), k = utf8_cut(src, n, cap - 1);

	if (k < n)
		v->st.cut++;
	memcpy(dst, src, k);
	dst[k] = '\0';
}

/* ---- numbers and flags ---- */

uint64_t
fbvars_parse_size(const char *s, int force_hex, int *ok)
{
	size_t n, i, digits = 0;
	uint64_t x = 0;
	int base = 10;

	if (ok != NULL)
		*ok = 0;
	if (s == NULL)
		return 0;
	n = strlen(s);
	trim(&s, &n);
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
		base = 16;
	} else if (force_hex) {
		base = 16;
	}
	for (i = 0; i < n; i++) {
		int c = lower((unsigned char)s[i]), d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return 0;
		if (x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return 0;
		x = x * (uint64_t)base + (uint64_t)d;
		digits++;
	}
	if (digits == 0)
		return 0;
	if (ok != NULL)
		*ok = 1;
	return x;
}

/* yes/no as fastboot says it, plus the true/false and 1/0 some
 * bootloaders use; -1 for anything else. */
static int
parse_bool(const char *s)
{
	if (eq_nocase(s, "yes") || eq_nocase(s, "true") || strcmp(s, "1") == 0)
		return 1;
	if (eq_nocase(s, "no") || eq_nocase(s, "false") || strcmp(s, "0") == 0)
		return 0;
	return -1;
}

/* Decimal digits, then optionally spaces and the unit (case ignored);
 * frac allows a ".5" part, which is dropped.  -1 if it does not parse
 * or exceeds max. */
static int
parse_unit(const char *s, const char *unit, int frac, int max)
{
	long long x = 0;
	int digits = 0;

	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		x = x * 10 + (*s - '0');
		if (x > max)
			return -1;
	}
	if (digits == 0)
		return -1;
	if (frac && *s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	while (is_space((unsigned char)*s))
		s++;
	if (*s != '\0' && !eq_nocase(s, unit))
		return -1;
	return (int)x;
}

/* "a", "_a", "B" -> 'a'/'b'; 0 if it is no slot name. */
static char
slot_letter(const char *s, size_t n)
{
	if (n == 2 && s[0] == '_') {
		s++;
		n--;
	}
	if (n != 1)
		return 0;
	if (*s >= 'A' && *s <= 'Z')
		return (char)(*s - 'A' + 'a');
	return *s >= 'a' && *s <= 'z' ? *s : 0;
}

/* ---- raw pairs ---- */

static struct fb_var *
raw_find(const struct fbvars *v, const char *name)
{
	for (size_t i = 0; i < v->nraw; i++)
		if (strcmp(v->raw[i].name, name) == 0)
			return &v->raw[i];
	return NULL;
}

/* The value as stored: cut to FBVARS_MAX_VALUE at a character boundary,
 * control bytes (a NUL or ESC from a broken capture) made '?'. */
static char *
value_dup(struct fbvars *v, const char *s, size_t n)
{
	size_t k = utf8_cut(s, n, FBVARS_MAX_VALUE);
	char *d = xmalloc(k + 1);

	if (k < n)
		v->st.cut++;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)s[i];

		d[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	d[k] = '\0';
	return d;
}

static struct fb_var *
raw_put(struct fbvars *v, const char *name, const char *val, size_t vlen)
{
	struct fb_var *e = raw_find(v, name);

	if (e != NULL) {
		free(e->value);
		e->value = value_dup(v, val, vlen);
		return e;
	}
	if (v->nraw >= FBVARS_MAX_VARS) {
		v->st.dropped++;
		return NULL;
	}
	if (v->nraw == v->rawcap) {
		v->rawcap = v->rawcap ? v->rawcap * 2 : 64;
		v->raw = xrealloc(v->raw, v->rawcap * sizeof(*v->raw));
	}
	e = &v->raw[v->nraw++];
	e->name = xstrdup(name);
	e->value = value_dup(v, val, vlen);
	return e;
}

/* ---- partitions, bases, slots ---- */

static struct fb_part *
part_find(const struct fbvars *v, const char *name)
{
	for (size_t i = 0; i < v->nparts; i++)
		if (strcmp(v->parts[i].name, name) == 0)
			return &v->parts[i];
	return NULL;
}

/* The partition, added if new; NULL when the cap is hit.  The name fits
 * (the caller checks). */
static struct fb_part *
part_get(struct fbvars *v, const char *name)
{
	struct fb_part *p = part_find(v, name);

	if (p != NULL)
		return p;
	if (v->nparts >= FBVARS_MAX_PARTS) {
		v->st.dropped++;
		return NULL;
	}
	if (v->nparts == v->partcap) {
		v->partcap = v->partcap ? v->partcap * 2 : 32;
		v->parts = xrealloc(v->parts, v->partcap * sizeof(*v->parts));
	}
	p = &v->parts[v->nparts++];
	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	p->logical = -1;
	return p;
}

static struct fb_base *
base_get(struct fbvars *v, const char *name)
{
	struct fb_base *b;

	for (size_t i = 0; i < v->nbases; i++)
		if (strcmp(v->bases[i].name, name) == 0)
			return &v->bases[i];
	if (v->nbases >= FBVARS_MAX_PARTS) {
		v->st.dropped++;
		return NULL;
	}
	if (v->nbases == v->basecap) {
		v->basecap = v->basecap ? v->basecap * 2 : 32;
		v->bases = xrealloc(v->bases, v->basecap * sizeof(*v->bases));
	}
	b = &v->bases[v->nbases++];
	memset(b, 0, sizeof(*b));
	strcpy(b->name, name);
	b->has_slot = -1;
	return b;
}

static struct fb_slot *
slot_get(struct fbvars *v, char letter)
{
	for (size_t i = 0; i < FBVARS_MAX_SLOTS; i++) {
		struct fb_slot *s = &v->slots[i];

		if (s->name[0] == letter)
			return s;
		if (s->name[0] == '\0') {
			s->name[0] = letter;
			return s;
		}
	}
	v->st.dropped++;
	return NULL;
}

/* ---- typed fields ---- */

/* The int field at off; only for fields that are ints. */
static int *
int_at(struct fbvars *v, size_t off)
{
	return (int *)(void *)((char *)v + off);
}

static enum put_res
set_field(struct fbvars *v, const struct field *f, const char *val)
{
	int x, ok;
	char c;

	switch (f->kind) {
	case F_STR:
		copy_str(v, (char *)v + f->off, f->size, val);
		return PUT_OK;
	case F_BOOL:
		x = parse_bool(val);
		break;
	case F_INT:
		x = parse_unit(val, "", 0, INT_MAX);
		break;
	case F_MV:
		x = parse_unit(val, "mV", 0, 100000);
		break;
	case F_PERCENT:
		x = parse_unit(val, "%", 1, 100);
		break;
	case F_SIZE:
	case F_HEX: {
		uint64_t *up = (uint64_t *)(void *)((char *)v + f->off);

		*up = fbvars_parse_size(val, f->kind == F_HEX, &ok);
		*int_at(v, f->size) = ok;
		return ok ? PUT_OK : PUT_BAD;
	}
	case F_SLOT:
		c = slot_letter(val, strlen(val));
		v->current_slot[0] = c;
		v->current_slot[1] = '\0';
		return c != 0 ? PUT_OK : PUT_BAD;
	default:
		return PUT_BAD;
	}
	*int_at(v, f->off) = x;		/* -1, unknown, when it failed */
	return x < 0 ? PUT_BAD : PUT_OK;
}

/* name:sub = val for the names in sub_names. */
static enum put_res
set_sub(struct fbvars *v, const char *name, const char *sub, const char *val)
{
	struct fb_part *p;
	struct fb_base *b;
	struct fb_slot *s;
	int ok, x;
	char c;

	if (strcmp(name, "sbdp") == 0)
		return PUT_OK;		/* raw only */
	if (strncmp(name, "slot-", 5) == 0) {
		/* slot-count has no sub-key and never gets here */
		c = slot_letter(sub, strlen(sub));
		if (c == 0)
			return PUT_BAD;
		s = slot_get(v, c);
		if (s == NULL)
			return PUT_DROPPED;
		if (strcmp(name, "slot-retry-count") == 0) {
			s->retry_count = x = parse_unit(val, "", 0, INT_MAX);
		} else {
			x = parse_bool(val);
			if (strcmp(name, "slot-successful") == 0)
				s->successful = x;
			else if (strcmp(name, "slot-unbootable") == 0)
				s->unbootable = x;
			else
				s->fastboot_ok = x;
		}
		return x < 0 ? PUT_BAD : PUT_OK;
	}
	if (strcmp(name, "has-slot") == 0) {
		if (strlen(sub) >= sizeof(b->name)) {
			v->st.cut++;
			return PUT_OK;
		}
		b = base_get(v, sub);
		if (b == NULL)
			return PUT_DROPPED;
		b->has_slot = parse_bool(val);
		return b->has_slot < 0 ? PUT_BAD : PUT_OK;
	}
	if (strlen(sub) >= sizeof(p->name)) {
		v->st.cut++;		/* kept raw only */
		return PUT_OK;
	}
	p = part_get(v, sub);
	if (p == NULL)
		return PUT_DROPPED;
	if (strcmp(name, "partition-size") == 0) {
		/* hex even without "0x": the host adds the prefix */
		p->size = fbvars_parse_size(val, 1, &ok);
		p->has_size = ok;
		return ok ? PUT_OK : PUT_BAD;
	}
	if (strcmp(name, "partition-type") == 0) {
		copy_str(v, p->type, sizeof(p->type), val);
		return PUT_OK;
	}
	p->logical = parse_bool(val);		/* is-logical */
	return p->logical < 0 ? PUT_BAD : PUT_OK;
}

static int
takes_sub(const char *name, size_t n)
{
	for (size_t i = 0; sub_names[i] != NULL; i++)
		if (span_is(name, n, sub_names[i]))
			return 1;
	return 0;
}

/* The one way in: a name (already checked), its sub-key or NULL, and
 * the value (not yet trimmed). */
static enum put_res
put(struct fbvars *v, const char *name, size_t nlen, const char *sub,
    size_t slen, const char *val, size_t vlen)
{
	char key[FBVARS_MAX_NAME + 1], bname[FBVARS_MAX_NAME + 1];
	char sname[FBVARS_MAX_NAME + 1];
	struct fb_var *e;
	enum put_res r;
	int k;

	/* "all" is the request itself ("all:" ends the host's listing) */
	if (sub == NULL && span_is(name, nlen, "all"))
		return PUT_NOTVAR;
	trim(&val, &vlen);
	if (nlen > FBVARS_MAX_NAME)
		nlen = FBVARS_MAX_NAME + 1;	/* it is cut anyway */
	if (slen > FBVARS_MAX_NAME)
		slen = FBVARS_MAX_NAME + 1;
	k = snprintf(key, sizeof(key), "%.*s%s%.*s", (int)nlen, name,
	    sub != NULL ? ":" : "", sub != NULL ? (int)slen : 0,
	    sub != NULL ? sub : "");
	if (k >= (int)sizeof(key))
		v->st.cut++;
	e = raw_put(v, key, val, vlen);
	if (e == NULL)
		return PUT_DROPPED;

	/* every typed name is short: a cut one is none of them */
	if (k >= (int)sizeof(key))
		return PUT_OK;
	memcpy(bname, name, nlen);
	bname[nlen] = '\0';
	if (sub != NULL) {
		memcpy(sname, sub, slen);
		sname[slen] = '\0';
		r = set_sub(v, bname, sname, e->value);
	} else {
		r = PUT_OK;
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(fields[i].name, bname) == 0) {
				r = set_field(v, &fields[i], e->value);
				break;
			}
	}
	if (r == PUT_BAD)
		v->st.bad++;
	return r;
}

/* "name:value" or "name:sub:value" (a span, not NUL-terminated). */
static enum put_res
put_line(struct fbvars *v, const char *s, size_t n)
{
	const char *c1, *c2, *name = s, *sub;
	size_t nlen, slen;

	c1 = memchr(s, ':', n);
	if (c1 == NULL)
		return PUT_NOTVAR;
	nlen = (size_t)(c1 - s);
	trim(&name, &nlen);
	if (!all_tok(name, nlen))
		return PUT_NOTVAR;
	c1++;
	n -= (size_t)(c1 - s);
	if (!takes_sub(name, nlen))
		return put(v, name, nlen, NULL, 0, c1, n);
	c2 = memchr(c1, ':', n);
	if (c2 == NULL)
		return PUT_NOTVAR;	/* "has-slot:boot" answers nothing */
	sub = c1;
	slen = (size_t)(c2 - c1);
	trim(&sub, &slen);
	if (!all_tok(sub, slen))
		return PUT_NOTVAR;
	c2++;
	return put(v, name, nlen, sub, slen, c2, n - (size_t)(c2 - c1));
}

static int
put_code(enum put_res r)
{
	switch (r) {
	case PUT_OK:
		return 0;
	case PUT_DROPPED:
		return DM_ENOMEM;
	case PUT_BAD:
	case PUT_NOTVAR:
		break;
	}
	return DM_EINVAL;
}

/* ---- public ---- */

void
fbvars_init(struct fbvars *v)
{
	memset(v, 0, sizeof(*v));
	v->secure = v->unlocked = v->is_userspace = -1;
	v->slot_count = -1;
	v->battery_mv = v->battery_soc_ok = v->battery_soc_percent = -1;
	v->anti = -1;
	v->off_mode_charge = -1;
	for (size_t i = 0; i < FBVARS_MAX_SLOTS; i++) {
		struct fb_slot *s = &v->slots[i];

		s->successful = s->unbootable = -1;
		s->retry_count = s->fastboot_ok = -1;
	}
}

void
fbvars_free(struct fbvars *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->nraw; i++) {
		free(v->raw[i].name);
		free(v->raw[i].value);
	}
	free(v->raw);
	free(v->parts);
	free(v->bases);
	fbvars_init(v);
}

/* Each ':'-separated part of name[0..n) a non-empty token. */
static int
all_tok_parts(const char *name, size_t n)
{
	const char *c;
	size_t k;

	while ((c = memchr(name, ':', n)) != NULL) {
		k = (size_t)(c - name);
		if (!all_tok(name, k))
			return 0;
		name += k + 1;
		n -= k + 1;
	}
	return all_tok(name, n);
}

int
fbvars_set(struct fbvars *v, const char *name, const char *value)
{
	const char *c;
	size_t n, nlen;

	if (v == NULL || name == NULL)
		return DM_EINVAL;
	if (value == NULL)
		value = "";
	n = strlen(name);
	trim(&name, &n);
	if (!all_tok_parts(name, n))
		return DM_EINVAL;
	c = memchr(name, ':', n);
	nlen = c != NULL ? (size_t)(c - name) : n;
	if (takes_sub(name, nlen)) {
		/* exactly one sub-key, as a getvar:all line would give */
		if (c == NULL || memchr(c + 1, ':', n - nlen - 1) != NULL)
			return DM_EINVAL;
		return put_code(put(v, name, nlen, c + 1, n - nlen - 1,
		    value, strlen(value)));
	}
	/* an argument we do not know ("foo:bar") stays in the raw name */
	return put_code(put(v, name, n, NULL, 0, value, strlen(value)));
}

int
fbvars_add_info_line(struct fbvars *v, const char *line)
{
	if (v == NULL || line == NULL)
		return DM_EINVAL;
	return put_code(put_line(v, line, strlen(line)));
}

static const char *
skip_space(const char *s, const char *end)
{
	while (s < end && is_space((unsigned char)*s))
		s++;
	return s;
}

static int
has_prefix(const char *s, const char *end)
{
	size_t n = strlen(PREFIX);

	return (size_t)(end - s) >= n && memcmp(s, PREFIX, n) == 0;
}

int
fbvars_parse_text(struct fbvars *v, const char *text, size_t len,
    char *err, size_t errlen)
{
	const char *p, *end, *eol;
	char *wide = NULL;
	size_t wlen, taken = 0, lines = 0;
	int prefixed = 0;

	if (v == NULL || (text == NULL && len > 0))
		return dm_fail(err, errlen, DM_EINVAL, "no input");
	if (len > FBVARS_MAX_INPUT) {
		len = FBVARS_MAX_INPUT;
		v->st.input_cut = 1;
	}
	/* A Windows PowerShell redirect writes UTF-16. */
	wide = props_utf16_to_utf8(text, len, &wlen);
	if (wide != NULL) {
		text = wide;
		len = wlen;
	} else if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	end = text + len;

	/* With "(bootloader)" lines about, anything else is the host's
	 * chatter; a capture of bare "name:value" lines has none. */
	for (p = text; p < end && !prefixed; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		prefixed = has_prefix(skip_space(p, eol), eol);
	}

	for (p = text; p < end; p = eol + 1) {
		const char *s;
		enum put_res r;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		lines++;
		s = skip_space(p, eol);
		if (prefixed) {
			if (!has_prefix(s, eol)) {
				v->st.skipped++;
				continue;
			}
			s += strlen(PREFIX);
		}
		r = put_line(v, s, (size_t)(eol - s));
		if (r == PUT_OK || r == PUT_BAD)
			taken++;
		else
			v->st.skipped++;
	}
	v->st.lines += lines;
	free(wide);
	if (taken == 0)
		return dm_fail(err, errlen, DM_EINVAL,
		    "no fastboot variables in %zu line%s of input", lines,
		    lines == 1 ? "" : "s");
	return taken > INT_MAX ? INT_MAX : (int)taken;
}

const char *
fbvars_get(const struct fbvars *v, const char *name)
{
	const struct fb_var *e;

	if (v == NULL || name == NULL)
		return NULL;
	e = raw_find(v, name);
	return e != NULL ? e->value : NULL;
}

const struct fb_part *
fbvars_part(const struct fbvars *v, const char *name)
{
	if (v == NULL || name == NULL)
		return NULL;
	return part_find(v, name);
}

int
fbvars_has_slot(const struct fbvars *v, const char *base)
{
	if (v == NULL || base == NULL)
		return -1;
	for (size_t i = 0; i < v->nbases; i++)
		if (strcmp(v->bases[i].name, base) == 0)
			return v->bases[i].has_slot;
	return -1;
}

const struct fb_slot *
fbvars_slot(const struct fbvars *v, const char *slot)
{
	char c;

	if (v == NULL || slot == NULL)
		return NULL;
	c = slot_letter(slot, strlen(slot));
	if (c == 0)
		return NULL;
	for (size_t i = 0; i < FBVARS_MAX_SLOTS; i++)
		if (v->slots[i].name[0] == c)
			return &v->slots[i];
	return NULL;
}
