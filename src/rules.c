/* rules.c - loading and checking diagnosis rules (see rules.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "paths.h"
#include "rules.h"
#include "textfile.h"
#include "xmem.h"

#define RULES_FILE_MAX	(1u << 20)
#define RULE_TEXT_MAX	2000	/* title, explain, a command line */

static const char *const sev_names[] = { "info", "warning", "error",
    "critical" };
static const char *const risk_names[] = { "none", "app-data", "user-data",
    "flash" };
static const char *const need_names[] = { "adb", "fastboot", "root",
    "backup" };

const char *
rule_sev_name(enum rule_sev s)
{
	return (unsigned)s < 4 ? sev_names[s] : "?";
}

const char *
rule_risk_name(enum rule_risk r)
{
	return (unsigned)r < 4 ? risk_names[r] : "?";
}

void
ruleset_init(struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

static void
match_free(struct rule_match *m)
{
	if (m->have_re)
		regfree(&m->re);
	if (m->have_within)
		regfree(&m->within);
	free(m->re_text);
	free(m->prop);
	for (int i = 0; i < m->nany; i++)
		match_free(&m->any[i]);
	free(m->any);
	memset(m, 0, sizeof(*m));
}

static void
rule_free(struct rule *r)
{
	free(r->id);
	free(r->title);
	free(r->explain);
	free(r->file);
	for (int i = 0; i < r->nprobes; i++) {
		free(r->probe_name[i]);
		free(r->probe_cmd[i]);
	}
	for (int i = 0; i < r->nmatch; i++)
		match_free(&r->match[i]);
	for (int i = 0; i < r->nsteps; i++) {
		free(r->step[i].action);
		cJSON_Delete(r->step[i].params);
		free(r->step[i].effect);
		free(r->step[i].verify);
	}
	memset(r, 0, sizeof(*r));
}

void
ruleset_free(struct ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->nproblems; i++)
		free(rs->problems[i]);
	free(rs->problems);
	memset(rs, 0, sizeof(*rs));
}

static void problem(struct ruleset *rs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
problem(struct ruleset *rs, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rs->problems = xrealloc(rs->problems, (rs->nproblems + 1) *
	    sizeof(*rs->problems));
	rs->problems[rs->nproblems++] = xstrdup(buf);
}

/* ---- one rule ------------------------------------------------------------ */

struct ctx {
	struct ruleset *rs;
	const char *file;
	const char *id;		/* "" until known */
	char why[512];
};

static int bad(struct ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad(struct ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* A string member: NULL when absent; -1 (why set) when not a string or
 * too long or holding control characters other than newline and tab. */
static int
get_text(struct ctx *x, const cJSON *o, const char *key, int required,
    char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (v == NULL) {
		if (required)
			return bad(x, "\"%s\" is missing", key);
		return 0;
	}
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return bad(x, "\"%s\" must be a non-empty string", key);
	if (strlen(v->valuestring) > RULE_TEXT_MAX)
		return bad(x, "\"%s\" is longer than %d bytes", key,
		    RULE_TEXT_MAX);
	for (const unsigned char *p = (const unsigned char *)v->valuestring;
	    *p; p++)
		if (*p < 0x20 && *p != '\n' && *p != '\t')
			return bad(x, "\"%s\" holds a control character", key);
	*out = xstrdup(v->valuestring);
	return 0;
}

static int
name_index(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int
valid_id(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return 0;
	return 1;
}

/*
 * glibc's regcomp copies a repeated group once per count, so nested
 * intervals multiply: "((a{1,200}){1,200}){1,200}" asks for millions of
 * nodes and gigabytes before a single line is matched.  Back-references
 * make matching exponential instead.  A rule file is text anyone can drop
 * in a folder, so the pattern's expanded size is estimated here and too
 * big a pattern is refused with a reason, never handed to regcomp.
 * Returns NULL when the pattern is acceptable, else why not.
 */
#define RE_TEXT_MAX	1000	/* characters in one pattern */
#define RE_COST_MAX	4000	/* atoms once every interval is expanded */
#define RE_DEPTH_MAX	32	/* nested groups */

static const char *
skip_bracket(const char **pp)
{
	const char *p = *pp + 1;		/* past '[' */

	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p != '\0' && *p != ']'; p++)
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			char close = p[1];

			for (p += 2; *p != '\0' &&
			    !(p[0] == close && p[1] == ']'); p++)
				;
			if (*p == '\0')
				break;
			p++;
		}
	if (*p != ']')
		return "an unclosed [";
	*pp = p + 1;
	return NULL;
}

static const char *
re_too_costly(const char *re)
{
	long sum[RE_DEPTH_MAX + 1], last = 0;
	int depth = 0, quant = 0;	/* the previous token repeated */
	const char *p = re, *why;

	if (strlen(re) > RE_TEXT_MAX)
		return "longer than 1000 characters";
	sum[0] = 0;
	while (*p != '\0') {
		long atom = 1;

		switch (*p) {
		case '\\':
			if (p[1] >= '1' && p[1] <= '9')
				return "back-references (\\1...) are not "
				    "supported";
			p += p[1] != '\0' ? 2 : 1;
			break;
		case '[':
			if ((why = skip_bracket(&p)) != NULL)
				return why;
			break;
		case '(':
			if (depth == RE_DEPTH_MAX)
				return "groups nested more than 32 deep";
			sum[++depth] = 0;
			p++;
			last = 0;
			quant = 0;
			continue;
		case ')':
			if (depth == 0)
				return "an unmatched )";
			atom = sum[depth--];
			if (atom < 1)
				atom = 1;
			p++;
			break;
		case '*':
		case '+':
		case '?':
			/* "a+++" or "a****": glibc copies the tree once per
			 * operator in a row (exponential), and nothing
			 * needs them */
			if (quant)
				return "repeat operators in a row";
			quant = 1;
			/* x+ is compiled as x x*: one copy */
			if (*p == '+') {
				sum[depth] += last;
				last *= 2;
			}
			sum[depth]++;
			p++;
			if (sum[depth] > RE_COST_MAX)
				return "too big once its repeats are expanded "
				    "(over 4000 parts)";
			continue;
		case '{': {
			char *end;
			long lo, hi;

			if (quant)
				return "repeat operators in a row";
			quant = 1;

			lo = strtol(p + 1, &end, 10);
			if (end == p + 1 || lo < 0)
				return "a { that does not start a count";
			hi = lo;
			if (*end == ',') {
				if (end[1] == '}')
					hi = lo + 1;
				else
					hi = strtol(end + 1, &end, 10);
			}
			if (*end != '}' || hi < lo)
				return "a malformed {count}";
			if (hi > RE_COST_MAX)
				return "a repeat count over 4000";
			/* the previous atom, copied hi times */
			sum[depth] += last * (hi > 1 ? hi - 1 : 0);
			last *= hi > 1 ? hi : 1;
			p = end + 1;
			if (sum[depth] > RE_COST_MAX)
				return "too big once its repeats are expanded "
				    "(over 4000 parts)";
			continue;
		}
		default:
			p++;
			break;
		}
		quant = 0;
		sum[depth] += atom;
		last = atom;
		if (sum[depth] > RE_COST_MAX)
			return "too big once its repeats are expanded "
			    "(over 4000 parts)";
	}
	if (depth != 0)
		return "an unclosed (";
	return NULL;
}

/* o's member key (an ERE) compiled into re; 0, 1 when absent and
 * optional, or -1 (reported). */
static int
compile_re(struct ctx *x, const cJSON *o, const char *key, int required,
    regex_t *re)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	int flags = REG_EXTENDED | REG_NEWLINE, rc;
	const char *why;

	if (v == NULL && !required)
		return 1;
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return bad(x, "\"%s\" must be a non-empty string", key);
	if ((why = re_too_costly(v->valuestring)) != NULL)
		return bad(x, "bad %s \"%.60s\": %s", key, v->valuestring,
		    why);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "icase")))
		flags |= REG_ICASE;
	rc = regcomp(re, v->valuestring, flags);
	if (rc != 0) {
		char e[160];

		regerror(rc, re, e, sizeof(e));
		return bad(x, "bad %s \"%.60s\": %s", key, v->valuestring,
		    e);
	}
	return 0;
}

static int
compile(struct ctx *x, struct rule_match *m, const cJSON *o)
{
	if (compile_re(x, o, "regex", 1, &m->re) < 0)
		return -1;
	m->have_re = 1;
	m->re_text = xstrdup(cJSON_GetObjectItemCaseSensitive(o,
	    "regex")->valuestring);
	return 0;
}

static const char *const match_keys[] = { "probe", "regex", "min",
    "within", "prop", "var", "lt", "gt", "any", "not", "icase", "also",
    NULL };

static int
parse_match(struct ctx *x, struct rule *r, const cJSON *o,
    struct rule_match *m, int depth)
{
	const cJSON *v, *key;

	if (!cJSON_IsObject(o))
		return bad(x, "a matcher must be an object");
	cJSON_ArrayForEach(key, o) {
		int known = key->string[0] == '_';

		for (int i = 0; match_keys[i] != NULL && !known; i++)
			known = strcmp(key->string, match_keys[i]) == 0;
		if (!known)
			return bad(x, "unknown matcher key \"%.40s\"",
			    key->string);
	}
	if (cJSON_GetObjectItemCaseSensitive(o, "within") != NULL &&
	    cJSON_GetObjectItemCaseSensitive(o, "probe") == NULL)
		return bad(x, "\"within\" goes with \"probe\" only");
	m->negate = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "not"));
	m->also = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "also"));
	if (m->also && (m->negate || depth > 0))
		return bad(x, "\"also\" goes on a matcher of \"when\" itself, "
		    "without \"not\"");
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "any")) != NULL) {
		int n = cJSON_GetArraySize(v), i = 0;
		const cJSON *e;

		if (!cJSON_IsArray(v) || n < 1 || n > RULE_MAX_MATCH)
			return bad(x, "\"any\" must list 1 to %d matchers",
			    RULE_MAX_MATCH);
		if (depth > 2)
			return bad(x, "\"any\" nested too deep");
		m->kind = M_ANY;
		m->any = xcalloc((size_t)n, sizeof(*m->any));
		cJSON_ArrayForEach(e, v) {
			m->nany = i + 1;
			if (parse_match(x, r, e, &m->any[i], depth + 1) < 0)
				return -1;
			i++;
		}
		return 0;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "probe")) != NULL) {
		const cJSON *min = cJSON_GetObjectItemCaseSensitive(o, "min");

		if (!cJSON_IsString(v))
			return bad(x, "\"probe\" must name a probe");
		m->kind = M_PROBE;
		m->probe = -1;
		for (int i = 0; i < r->nprobes; i++)
			if (strcmp(r->probe_name[i], v->valuestring) == 0)
				m->probe = i;
		if (m->probe < 0)
			return bad(x, "matcher names probe \"%.40s\", which "
			    "\"probes\" does not define", v->valuestring);
		m->min = 1;
		if (min != NULL) {
			if (!cJSON_IsNumber(min) || min->valuedouble < 1 ||
			    min->valuedouble > 100000)
				return bad(x, "\"min\" must be a number from "
				    "1 to 100000");
			m->min = (int)min->valuedouble;
		}
		if (compile(x, m, o) < 0)
			return -1;
		switch (compile_re(x, o, "within", 0, &m->within)) {
		case -1:
			return -1;
		case 0:
			m->have_within = 1;
			break;
		}
		return 0;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "prop")) != NULL ||
	    (v = cJSON_GetObjectItemCaseSensitive(o, "var")) != NULL) {
		const cJSON *lt = cJSON_GetObjectItemCaseSensitive(o, "lt");
		const cJSON *gt = cJSON_GetObjectItemCaseSensitive(o, "gt");

		m->var = strcmp(v->string, "var") == 0;
		if (cJSON_GetObjectItemCaseSensitive(o, "prop") != NULL &&
		    cJSON_GetObjectItemCaseSensitive(o, "var") != NULL)
			return bad(x, "a matcher reads \"prop\" or \"var\", "
			    "not both");
		if (!cJSON_IsString(v) || v->valuestring[0] == '\0' ||
		    strlen(v->valuestring) > 255)
			return bad(x, m->var ? "\"var\" must name a fastboot "
			    "variable" : "\"prop\" must name a property");
		m->prop = xstrdup(v->valuestring);
		if (lt != NULL || gt != NULL) {
			const cJSON *n = lt != NULL ? lt : gt;

			if (!cJSON_IsNumber(n) || (lt != NULL && gt != NULL))
				return bad(x, "\"lt\" or \"gt\" (one) must "
				    "be a number");
			m->kind = lt != NULL ? M_PROP_LT : M_PROP_GT;
			m->num = n->valuedouble;
			return 0;
		}
		m->kind = M_PROP_RE;
		return compile(x, m, o);
	}
	return bad(x, "a matcher needs \"probe\", \"prop\", \"var\" or "
	    "\"any\"");
}

static int
parse_step(struct ctx *x, const cJSON *o, struct rule_step *s)
{
	const cJSON *v;
	char *risk = NULL;
	int i;

	if (!cJSON_IsObject(o))
		return bad(x, "a plan step must be an object");
	if (get_text(x, o, "action", 1, &s->action) < 0 ||
	    get_text(x, o, "effect", 1, &s->effect) < 0 ||
	    get_text(x, o, "verify", 0, &s->verify) < 0 ||
	    get_text(x, o, "risk", 1, &risk) < 0)
		return -1;
	if (!valid_id(s->action)) {
		free(risk);
		return bad(x, "action \"%.40s\": use [a-z0-9-]", s->action);
	}
	i = name_index(risk, risk_names, 4);
	free(risk);
	if (i < 0)
		return bad(x, "step %s: \"risk\" must be none, app-data, "
		    "user-data or flash", s->action);
	s->risk = (enum rule_risk)i;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "params")) != NULL) {
		if (!cJSON_IsObject(v))
			return bad(x, "step %s: \"params\" must be an object",
			    s->action);
		s->params = cJSON_Duplicate(v, 1);
	} else {
		s->params = cJSON_CreateObject();
	}
	/* A step done by hand says what to do, in one line. */
	if (strcmp(s->action, "by-hand") == 0) {
		v = cJSON_GetObjectItemCaseSensitive(s->params, "do");
		if (!cJSON_IsString(v) || v->valuestring[0] == '\0' ||
		    strlen(v->valuestring) > 300 ||
		    strpbrk(v->valuestring, "\n\r") != NULL)
			return bad(x, "step by-hand: \"params\" must say "
			    "what to do in \"do\" (one line, at most 300 "
			    "characters)");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "needs")) != NULL) {
		const cJSON *e;

		if (!cJSON_IsArray(v))
			return bad(x, "step %s: \"needs\" must be a list",
			    s->action);
		cJSON_ArrayForEach(e, v) {
			i = cJSON_IsString(e) ? name_index(e->valuestring,
			    need_names, 4) : -1;
			if (i < 0)
				return bad(x, "step %s: \"needs\" takes adb, "
				    "fastboot, root and backup", s->action);
			s->needs |= 1u << i;
		}
	}
	return 0;
}

static const char *const mode_names[RULE_MODE_COUNT] = { "device",
    "recovery", "fastboot", "unauthorized", "sideload", "mtp-only",
    "samsung-download", "qualcomm-edl", "mediatek" };

const char *
rule_mode_name(unsigned mode)
{
	for (int i = 0; i < RULE_MODE_COUNT; i++)
		if (mode == 1u << i)
			return mode_names[i];
	return "unknown";
}

static const char *const rule_keys[] = { "id", "title", "severity",
    "modes", "probes", "when", "explain", "evidence", "plan", NULL };

static int
parse_rule(struct ctx *x, const cJSON *o, struct rule *r)
{
	const cJSON *v, *e;
	char *sev = NULL;
	int i;

	if (!cJSON_IsObject(o))
		return bad(x, "a rule must be an object");
	cJSON_ArrayForEach(e, o) {
		int known = e->string[0] == '_';

		for (i = 0; rule_keys[i] != NULL && !known; i++)
			known = strcmp(e->string, rule_keys[i]) == 0;
		if (!known)
			return bad(x, "unknown key \"%.40s\"", e->string);
	}
	if (get_text(x, o, "id", 1, &r->id) < 0)
		return -1;
	if (!valid_id(r->id))
		return bad(x, "id \"%.40s\": use [a-z0-9-], at most 64",
		    r->id);
	x->id = r->id;
	if (get_text(x, o, "title", 1, &r->title) < 0 ||
	    get_text(x, o, "explain", 1, &r->explain) < 0 ||
	    get_text(x, o, "severity", 1, &sev) < 0)
		return -1;
	i = name_index(sev, sev_names, 4);
	free(sev);
	if (i < 0)
		return bad(x, "\"severity\" must be info, warning, error or "
		    "critical");
	r->sev = (enum rule_sev)i;
	r->modes = RULE_MODE_DEVICE;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "modes")) != NULL) {
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
			return bad(x, "\"modes\" must be a non-empty list");
		r->modes = 0;
		cJSON_ArrayForEach(e, v) {
			i = cJSON_IsString(e) ? name_index(e->valuestring,
			    mode_names, RULE_MODE_COUNT) : -1;
			if (i < 0)
				return bad(x, "\"modes\" takes device, "
				    "recovery, fastboot, unauthorized, sideload, "
				    "mtp-only, samsung-download, qualcomm-edl "
				    "and mediatek");
			r->modes |= 1u << i;
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "probes")) != NULL) {
		if (!cJSON_IsObject(v))
			return bad(x, "\"probes\" must be an object of "
			    "name: command");
		cJSON_ArrayForEach(e, v) {
			if (r->nprobes == RULE_MAX_PROBES)
				return bad(x, "more than %d probes",
				    RULE_MAX_PROBES);
			if (!valid_id(e->string) ||
			    strcmp(e->string, "props") == 0)
				return bad(x, "probe name \"%.40s\": use "
				    "[a-z0-9-], not \"props\"", e->string);
			if (!cJSON_IsString(e) || e->valuestring[0] == '\0' ||
			    strlen(e->valuestring) > RULE_TEXT_MAX ||
			    strpbrk(e->valuestring, "\n\r") != NULL)
				return bad(x, "probe %s: the command must be "
				    "one line", e->string);
			r->probe_name[r->nprobes] = xstrdup(e->string);
			r->probe_cmd[r->nprobes++] = xstrdup(e->valuestring);
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "when");
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 ||
	    cJSON_GetArraySize(v) > RULE_MAX_MATCH)
		return bad(x, "\"when\" must list 1 to %d matchers",
		    RULE_MAX_MATCH);
	cJSON_ArrayForEach(e, v) {
		r->nmatch++;
		if (parse_match(x, r, e, &r->match[r->nmatch - 1], 0) < 0) {
			char why[sizeof(x->why)];

			snprintf(why, sizeof(why), "%s", x->why);
			return bad(x, "matcher %d: %s", r->nmatch, why);
		}
	}
	for (i = 0; i < r->nmatch && r->match[i].also; i++)
		;
	if (i == r->nmatch)
		return bad(x, "every matcher is \"also\": one must decide");
	r->keep = 8;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "evidence")) != NULL) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
		    v->valuedouble > 200)
			return bad(x, "\"evidence\" must be 1 to 200 lines");
		r->keep = (int)v->valuedouble;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "plan");
	if (v != NULL && (!cJSON_IsArray(v) ||
	    cJSON_GetArraySize(v) > RULE_MAX_STEPS))
		return bad(x, "\"plan\" must list at most %d steps",
		    RULE_MAX_STEPS);
	cJSON_ArrayForEach(e, v) {
		r->nsteps++;
		if (parse_step(x, e, &r->step[r->nsteps - 1]) < 0)
			return -1;
	}
	return 0;
}

/* ---- files --------------------------------------------------------------- */

static void
add_rule(struct ruleset *rs, struct rule *r)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i].id, r->id) == 0) {
			rule_free(&rs->rules[i]);
			rs->rules[i] = *r;
			return;
		}
	rs->rules = xrealloc(rs->rules, (rs->n + 1) * sizeof(*rs->rules));
	rs->rules[rs->n++] = *r;
}

int
ruleset_add_text(struct ruleset *rs, const char *name, const char *text,
    size_t len)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	const cJSON *list, *e;
	int added = 0, k = 0;

	rs->files++;
	if (root == NULL) {
		int line, col;

		textfile_position(text, end ? (size_t)(end - text) : 0, &line,
		    &col);
		problem(rs, "%s:%d:%d: JSON syntax error", name, line, col);
		return 0;
	}
	list = cJSON_GetObjectItemCaseSensitive(root, "rules");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(list)) {
		problem(rs, "%s: want {\"rules\": [...]}", name);
		cJSON_Delete(root);
		return 0;
	}
	cJSON_ArrayForEach(e, list) {
		struct ctx x = { rs, name, "", "" };
		struct rule r;

		k++;
		memset(&r, 0, sizeof(r));
		if (parse_rule(&x, e, &r) < 0) {
			if (x.id[0])
				problem(rs, "%s: rule %s: %s", name, x.id,
				    x.why);
			else
				problem(rs, "%s: rule %d: %s", name, k, x.why);
			rule_free(&r);
			continue;
		}
		r.file = xstrdup(name);
		add_rule(rs, &r);
		added++;
	}
	cJSON_Delete(root);
	return added;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ruleset_add_dir(struct ruleset *rs, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int added = 0;

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		problem(rs, "%s: %s", dir, strerror(errno));
		return DM_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l < 6 ||
		    strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX], *text = NULL;
		size_t len;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rc = textfile_read(path, RULES_FILE_MAX, &text, &len);
		if (rc < 0)
			problem(rs, "%s: %s", path, rc == -EFBIG ?
			    "larger than 1 MiB" : strerror(-rc));
		else
			added += ruleset_add_text(rs, path, text, len);
		free(text);
		free(names[i]);
	}
	free(names);
	return added;
}

void
rules_builtin_dir(char *out, size_t len)
{
	paths_data_dir(getenv("DROIDMEDIC_RULES"), "rules", "data/rules", out,
	    len);
}

void
ruleset_load_default(struct ruleset *rs)
{
	ruleset_load_from(rs, NULL);
}

void
ruleset_load_from(struct ruleset *rs, const char *builtin)
{
	char dir[PATH_MAX];
	char *conf = paths_config_dir();

	if (builtin != NULL && builtin[0] != '\0')
		snprintf(dir, sizeof(dir), "%s", builtin);
	else
		rules_builtin_dir(dir, sizeof(dir));
	if (dir[0] != '\0')
		ruleset_add_dir(rs, dir);
	else
		problem(rs, "no built-in rules found (install droidmedic, or "
		    "set DROIDMEDIC_RULES to its data/rules)");
	if (conf != NULL) {
		snprintf(dir, sizeof(dir), "%s/rules", conf);
		ruleset_add_dir(rs, dir);
	}
	free(conf);
}

/* A step's parameters as "package com.x, to system". */
void
rule_params_text(const cJSON *params, char *buf, size_t len)
{
	const cJSON *e;
	size_t n = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(e, params) {
		if (!cJSON_IsString(e) || n >= len)
			continue;
		/* by-hand's "do" is the instruction itself. */
		if (strcmp(e->string, "do") == 0)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			    n ? ", " : "", e->valuestring);
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%s %s",
			    n ? ", " : "", e->string, e->valuestring);
	}
}

void
rule_step_text(const char *action, const cJSON *params, char *buf,
    size_t len)
{
	char p[400];

	rule_params_text(params, p, sizeof(p));
	if (strcmp(action, "by-hand") == 0)
		snprintf(buf, len, "by hand: %s", p);
	else
		snprintf(buf, len, "%s%s%s", action, p[0] ? " " : "", p);
}
