/* romscript.c - Xiaomi flash scripts and AOSP android-info.txt, read
 * line by line against the forms they are known to use (see
 * romscript.h).  Pure: no I/O, so the fuzz target drives it directly. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "romscript.h"
#include "xmem.h"

#define LINE_MAX_LEN	1024	/* a longer line is no form we know */
#define NCAP		4

/* ---- the line matcher ------------------------------------------------------
 *
 * A line is compared, with its runs of blanks made one space and its ends
 * trimmed, against a pattern where
 *   ' '  is one space, '~' an optional one,
 *   %P   a partition or slot name ([A-Za-z0-9_.-], 1 to 71 characters),
 *   %N   a number, %Q a double-quoted text without quotes inside,
 *   %F   a file next to the script (see romscript.h), %R the rest;
 * every other character is itself.  Captures go to cap[] in order. */

struct mctx {
	int script_path;	/* SCRIPT_PATH=$(dirname $0) was seen */
	int used_script_path;	/* the last %F used it */
};

static int
is_part_char(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '-';
}

static int
is_path_char(int c)
{
	return is_part_char(c) || c == '/' || c == '+';
}

/* A relative path that stays inside its folder. */
static int
path_ok(const char *p, size_t n)
{
	size_t i = 0;

	if (n == 0 || n >= RS_MAX_PATH || p[0] == '/')
		return 0;
	while (i < n) {
		size_t j = i;

		while (j < n && p[j] != '/')
			j++;
		if (j == i || (j - i == 2 && p[i] == '.' && p[i + 1] == '.'))
			return 0;
		i = j + 1;
		if (j == n - 1)		/* a trailing slash: a folder */
			return 0;
	}
	return 1;
}

static int
match(const char *pat, const char *s, char cap[NCAP][RS_MAX_PATH], int ncap,
    struct mctx *m)
{
	static const char *const prefixes[] = {
		"`dirname $0`/", "$(dirname $0)/", "${SCRIPT_PATH}/",
		"$SCRIPT_PATH/",
	};

	while (*pat != '\0') {
		const char *start = s;
		size_t n;

		if (*pat == '~') {
			if (*s == ' ')
				s++;
			pat++;
			continue;
		}
		if (*pat != '%') {
			if (*pat != *s)
				return 0;
			pat++, s++;
			continue;
		}
		pat++;
		switch (*pat++) {
		case 'P':
			while (is_part_char((unsigned char)*s))
				s++;
			n = (size_t)(s - start);
			if (n == 0 || n > 71)
				return 0;
			break;
		case 'N':
			while (isdigit((unsigned char)*s))
				s++;
			n = (size_t)(s - start);
			if (n == 0 || n > 9)
				return 0;
			break;
		case 'Q':
			if (*s != '"')
				return 0;
			s = strchr(s + 1, '"');
			if (s == NULL)
				return 0;
			s++;
			n = (size_t)(s - start);
			break;
		case 'R':
			s += strlen(s);
			n = (size_t)(s - start);
			break;
		case 'F': {
			size_t i, k = sizeof(prefixes) / sizeof(prefixes[0]);

			for (i = 0; i < k; i++)
				if (strncmp(s, prefixes[i],
				    strlen(prefixes[i])) == 0)
					break;
			if (i == k)
				return 0;
			m->used_script_path = i >= 2;
			s += strlen(prefixes[i]);
			start = s;
			while (is_path_char((unsigned char)*s))
				s++;
			n = (size_t)(s - start);
			if (!path_ok(start, n))
				return 0;
			break;
		}
		default:
			return 0;
		}
		if (ncap >= NCAP)
			return 0;
		if (n >= RS_MAX_PATH)
			n = RS_MAX_PATH - 1;
		memcpy(cap[ncap], start, n);
		cap[ncap][n] = '\0';
		ncap++;
	}
	return *s == '\0';
}

/* ---- Xiaomi scripts ------------------------------------------------------ */

enum last { LAST_NONE, LAST_STEP, LAST_PRODUCT, LAST_CRC, LAST_OTHER };

struct xstate {
	struct rs_script *s;
	struct mctx m;
	enum last last;
	int product_checked;	/* the grep's "exit 1" line was seen */
	int in_crc, in_anti_file, ver_read, ver_default;
	int func;		/* handle_error(): lines of it seen, 5 done */
	int ended;		/* exit 0 */
	char *err;
	size_t errlen;
	int line;
};

static int
bad(struct xstate *x, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return dm_fail(x->err, x->errlen, DM_EINVAL, "line %d: %s", x->line,
	    why);
}

static struct rs_step *
add_step(struct xstate *x, enum rs_kind kind, const char *part,
    const char *file)
{
	struct rs_script *s = x->s;
	struct rs_step *st;

	if (s->n >= RS_MAX_STEPS)
		return NULL;
	s->steps = xrealloc(s->steps, (s->n + 1) * sizeof(*s->steps));
	st = &s->steps[s->n++];
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	snprintf(st->part, sizeof(st->part), "%s", part ? part : "");
	snprintf(st->file, sizeof(st->file), "%s", file ? file : "");
	st->if_crc = x->in_crc;
	st->line = x->line;
	return st;
}

/* A fastboot call: the verb and its arguments, with an optional
 * "|| handle_error ..." after them. */
static int
fastboot_line(struct xstate *x, const char *l)
{
	char cap[NCAP][RS_MAX_PATH], rest[LINE_MAX_LEN];
	struct rs_step *st = NULL;
	const char *bar;
	int handled = 0;

	/* Split off the error handler. */
	snprintf(rest, sizeof(rest), "%s", l);
	bar = strstr(l, " || ");
	if (bar != NULL) {
		rest[bar - l] = '\0';
		if (!match("handle_error %R", bar + 4, cap, 0, &x->m))
			return bad(x, "only \"|| handle_error ...\" may follow "
			    "a fastboot call: %s", l);
		if (x->func != 5)
			return bad(x, "handle_error is used before it is "
			    "defined");
		handled = 1;
	}
	x->m.used_script_path = 0;
	if (match("fastboot $* flash %P %F", rest, cap, 0, &x->m))
		st = add_step(x, RS_FLASH, cap[0], cap[1]);
	else if (match("fastboot $* erase %P", rest, cap, 0, &x->m))
		st = add_step(x, RS_ERASE, cap[0], NULL);
	else if (match("fastboot $* set_active %P", rest, cap, 0, &x->m))
		st = add_step(x, RS_SET_ACTIVE, cap[0], NULL);
	else if (match("fastboot $* oem lock", rest, cap, 0, &x->m))
		st = add_step(x, RS_OEM_LOCK, NULL, NULL);
	else if (match("fastboot $* reboot", rest, cap, 0, &x->m))
		st = add_step(x, RS_REBOOT, NULL, NULL);
	else
		return bad(x, "a fastboot call droidmedic does not know: %s",
		    l);
	if (st == NULL)
		return bad(x, "more than %d steps", RS_MAX_STEPS);
	if (x->m.used_script_path && !x->m.script_path)
		return bad(x, "SCRIPT_PATH is used before it is set");
	if (st->kind == RS_SET_ACTIVE && (strlen(st->part) != 1 ||
	    st->part[0] < 'a' || st->part[0] > 'd'))
		return bad(x, "set_active of an unknown slot '%s'", st->part);
	st->checked = handled;
	x->last = LAST_STEP;
	return 0;
}

static int
xiaomi_line(struct xstate *x, const char *l)
{
	char cap[NCAP][RS_MAX_PATH];
	struct rs_script *s = x->s;
	enum last last = x->last;

	x->last = LAST_OTHER;
	if (*l == '\0')
		return x->last = last, 0;
	if (*l == '#')
		return x->last = last, 0;
	if (x->ended)
		return bad(x, "a line after \"exit 0\": %s", l);
	/* handle_error() { echo $@; exit 2; } over five lines */
	if (x->func > 0 && x->func < 5) {
		static const char *const body[] = { "{", "echo $@", "exit 2;",
		    "}" };

		if (strcmp(l, body[x->func - 1]) != 0)
			return bad(x, "handle_error() is not the known "
			    "function: %s", l);
		x->func++;
		return 0;
	}
	if (strcmp(l, "handle_error()") == 0) {
		if (x->func != 0)
			return bad(x, "handle_error() defined twice");
		x->func = 1;
		return 0;
	}
	if (strncmp(l, "fastboot $* getvar product ", 27) == 0) {
		if (!match("fastboot $* getvar product 2>&1 | grep "
		    "\"^product: *%P\"", l, cap, 0, &x->m))
			return bad(x, "a product check droidmedic does not "
			    "know: %s", l);
		if (s->product[0] != '\0' && strcmp(s->product, cap[0]) != 0)
			return bad(x, "a second product check, for '%s' "
			    "(the first was for '%s')", cap[0], s->product);
		snprintf(s->product, sizeof(s->product), "%s", cap[0]);
		s->product_line = x->line;
		x->last = LAST_PRODUCT;
		return 0;
	}
	if (strcmp(l, "fastboot $* getvar crc 2>&1 | grep \"^crc: 1\"") == 0) {
		if (x->in_crc)
			return bad(x, "a crc check inside another");
		x->last = LAST_CRC;
		return 0;
	}
	if (strncmp(l, "fastboot ", 9) == 0)
		return fastboot_line(x, l);
	if (match("if [ $? -ne 0~]~; then echo %Q; exit 1; fi", l, cap, 0,
	    &x->m)) {
		if (last == LAST_PRODUCT)
			x->product_checked = 1;
		else if (last == LAST_STEP)
			s->steps[s->n - 1].checked = 1;
		else
			return bad(x, "an error check after no fastboot call");
		return 0;
	}
	if (match("if [ $? -eq 0~]~; then", l, cap, 0, &x->m)) {
		if (last != LAST_CRC)
			return bad(x, "\"if [ $? -eq 0 ]\" after no crc check");
		x->in_crc = 1;
		return 0;
	}
	if (match("CURRENT_ANTI_VER=%N", l, cap, 0, &x->m)) {
		s->anti = atoi(cap[0]);
		s->anti_line = x->line;
		return 0;
	}
	if (match("if [ -e %F ]; then", l, cap, 0, &x->m)) {
		if (x->in_anti_file || x->in_crc)
			return bad(x, "an if block inside another");
		x->in_anti_file = 1;
		snprintf(s->anti_file, sizeof(s->anti_file), "%s", cap[0]);
		return 0;
	}
	if (match("CURRENT_ANTI_VER=`cat %F`", l, cap, 0, &x->m) ||
	    match("CURRENT_ANTI_VER=$(cat %F)", l, cap, 0, &x->m)) {
		if (!x->in_anti_file || strcmp(cap[0], s->anti_file) != 0)
			return bad(x, "the anti-rollback index read from a "
			    "file no \"if [ -e ]\" checked");
		s->anti_line = x->line;
		return 0;
	}
	if (strcmp(l, "if [ -z \"$CURRENT_ANTI_VER\" ]; then "
	    "CURRENT_ANTI_VER=0; fi") == 0)
		return 0;
	if (strcmp(l, "ver=`fastboot $* getvar anti 2>&1 | grep -oP "
	    "\"anti: \\K[0-9]+\"`") == 0) {
		x->ver_read = 1;
		return 0;
	}
	if (strcmp(l, "if [ -z \"$ver\" ]; then ver=0; fi") == 0) {
		x->ver_default = 1;
		return 0;
	}
	if (match("if [ $ver -gt $CURRENT_ANTI_VER ]; then echo %Q; exit 1; "
	    "fi", l, cap, 0, &x->m)) {
		if (!x->ver_read)
			return bad(x, "an anti-rollback check before the "
			    "phone's index is read");
		s->anti_check = 1;
		return 0;
	}
	if (strcmp(l, "fi") == 0) {
		if (x->in_anti_file)
			x->in_anti_file = 0;
		else if (x->in_crc)
			x->in_crc = 0;
		else
			return bad(x, "\"fi\" closes no if block");
		return 0;
	}
	if (match("echo %Q", l, cap, 0, &x->m))
		return 0;
	if (strcmp(l, "SCRIPT_PATH=$(dirname $0)") == 0 ||
	    strcmp(l, "SCRIPT_PATH=`dirname $0`") == 0) {
		x->m.script_path = 1;
		return 0;
	}
	if (strcmp(l, "exit 0") == 0) {
		if (x->in_crc || x->in_anti_file)
			return bad(x, "\"exit 0\" inside an if block");
		x->ended = 1;
		return 0;
	}
	return bad(x, "not a form droidmedic knows (it reads flash scripts, "
	    "never runs them): %s", l);
}

/* The line with blanks made single spaces and the ends trimmed. */
static int
norm_line(const char *p, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	int space = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r' && i == n - 1)
			break;
		if (c == ' ' || c == '\t') {
			space = o > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (o + 2 >= outlen)
			return -1;
		if (space)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int
rs_parse_xiaomi(const char *text, size_t len, struct rs_script *s,
    char *err, size_t errlen)
{
	struct xstate x;
	const char *p = text, *end = text + len;
	char l[LINE_MAX_LEN];
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->anti = -1;
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.err = err;
	x.errlen = errlen;
	if (len > RS_MAX_TEXT)
		return dm_fail(err, errlen, DM_EINVAL, "the script is larger "
		    "than %u bytes", RS_MAX_TEXT);
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		x.line++;
		if (memchr(p, '\0', n) != NULL ||
		    norm_line(p, n, l, sizeof(l)) < 0)
			rc = bad(&x, "a line with control characters or too "
			    "long");
		else
			rc = xiaomi_line(&x, l);
		p += n + (nl != NULL);
	}
	if (rc == 0 && (x.in_crc || x.in_anti_file))
		rc = dm_fail(err, errlen, DM_EINVAL, "the script ends inside "
		    "an if block");
	if (rc == 0 && x.func != 0 && x.func != 5)
		rc = dm_fail(err, errlen, DM_EINVAL, "the script ends inside "
		    "handle_error()");
	if (rc == 0 && s->product[0] != '\0' && !x.product_checked)
		rc = dm_fail(err, errlen, DM_EINVAL, "line %d: the product "
		    "check stops nothing (no \"exit 1\" after it)",
		    s->product_line);
	if (rc == 0 && s->n == 0)
		rc = dm_fail(err, errlen, DM_EINVAL, "the script flashes "
		    "nothing");
	if (rc < 0)
		rs_script_free(s);
	return rc;
}

void
rs_script_free(struct rs_script *s)
{
	free(s->steps);
	memset(s, 0, sizeof(*s));
	s->anti = -1;
}

/* ---- android-info.txt ---------------------------------------------------- */

static int
req_line(struct rs_reqs *q, const char *l, int line, char *err,
    size_t errlen)
{
	struct rs_req r;
	const char *p, *eq;
	size_t n;

	memset(&r, 0, sizeof(r));
	r.line = line;
	if (strncmp(l, "require-for-product:", 20) == 0) {
		p = l + 20;
		n = strcspn(p, " ");
		if (n == 0 || n >= sizeof(r.for_product) || p[n] != ' ')
			goto bad;
		memcpy(r.for_product, p, n);
		p += n + 1;
	} else if (strncmp(l, "require ", 8) == 0) {
		p = l + 8;
	} else if (strncmp(l, "reject ", 7) == 0) {
		p = l + 7;
		r.reject = 1;
	} else
		goto bad;
	eq = strchr(p, '=');
	if (eq == NULL || eq == p || (size_t)(eq - p) >= sizeof(r.var))
		goto bad;
	memcpy(r.var, p, (size_t)(eq - p));
	if (strchr(r.var, ' ') != NULL)
		goto bad;
	if (strcmp(r.var, "board") == 0)
		snprintf(r.var, sizeof(r.var), "product");
	p = eq + 1;
	for (;;) {
		n = strcspn(p, "|");
		if (n == 0 || n >= sizeof(r.values[0]) ||
		    r.nvalues >= (int)(sizeof(r.values) / sizeof(r.values[0])))
			goto bad;
		memcpy(r.values[r.nvalues], p, n);
		r.values[r.nvalues][n] = '\0';
		r.nvalues++;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	q->r = xrealloc(q->r, (q->n + 1) * sizeof(*q->r));
	q->r[q->n++] = r;
	return 0;
bad:
	return dm_fail(err, errlen, DM_EINVAL, "android-info.txt line %d: "
	    "not a requirement droidmedic knows: %s", line, l);
}

int
rs_parse_android_info(const char *text, size_t len, struct rs_reqs *q,
    char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	char l[LINE_MAX_LEN];
	int line = 0, rc = 0;

	memset(q, 0, sizeof(*q));
	if (len > RS_MAX_TEXT)
		return dm_fail(err, errlen, DM_EINVAL, "android-info.txt is "
		    "larger than %u bytes", RS_MAX_TEXT);
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		line++;
		if (memchr(p, '\0', n) != NULL ||
		    norm_line(p, n, l, sizeof(l)) < 0)
			rc = dm_fail(err, errlen, DM_EINVAL, "android-info.txt "
			    "line %d: control characters or too long", line);
		else if (l[0] != '\0' && l[0] != '#')
			rc = req_line(q, l, line, err, errlen);
		p += n + (nl != NULL);
	}
	if (rc < 0)
		rs_reqs_free(q);
	return rc;
}

void
rs_reqs_free(struct rs_reqs *q)
{
	free(q->r);
	memset(q, 0, sizeof(*q));
}

int
rs_req_matches(const struct rs_req *r, const char *value)
{
	for (int i = 0; i < r->nvalues; i++) {
		const char *v = r->values[i];
		size_t n = strlen(v);

		if (n > 0 && v[n - 1] == '*') {
			if (strncmp(value, v, n - 1) == 0)
				return 1;
		} else if (strcmp(value, v) == 0)
			return 1;
	}
	return 0;
}

/* ---- misc.txt ------------------------------------------------------------ */

int
rs_misc_value(const char *text, size_t len, const char *key, char *out,
    size_t outlen)
{
	const char *p = text, *end = text + len;
	size_t k = strlen(key);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > k && memcmp(p, key, k) == 0 && p[k] == '=') {
			size_t v = n - k - 1;

			while (v > 0 && (p[k + 1 + v - 1] == '\r' ||
			    p[k + 1 + v - 1] == ' '))
				v--;
			if (v >= outlen)
				v = outlen - 1;
			memcpy(out, p + k + 1, v);
			out[v] = '\0';
			for (size_t i = 0; i < v; i++)
				if ((unsigned char)out[i] < 0x20)
					out[i] = '?';
			return 0;
		}
		p += n + (nl != NULL);
	}
	return DM_ENOENT;
}
