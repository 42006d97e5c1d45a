/* diag.c - rules against a phone's evidence (see diag.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "err.h"
#include "props.h"
#include "xmem.h"

/* The output of one command, run once. */
struct probe_out {
	char *cmd;
	char *text;		/* NULL: failed, why says so */
	size_t len;
	char why[256];
};

struct run {
	const struct diag_src *src;
	struct probe_out *outs;
	size_t nouts;
	size_t probes_run;
};

static struct probe_out *
probe(struct run *x, const char *cmd)
{
	struct probe_out *o;
	int rc;

	for (size_t i = 0; i < x->nouts; i++)
		if (strcmp(x->outs[i].cmd, cmd) == 0)
			return &x->outs[i];
	x->outs = xrealloc(x->outs, (x->nouts + 1) * sizeof(*x->outs));
	o = &x->outs[x->nouts++];
	memset(o, 0, sizeof(*o));
	o->cmd = xstrdup(cmd);
	x->probes_run++;
	rc = x->src->run(x->src->ud, cmd, &o->text, &o->len, o->why,
	    sizeof(o->why));
	if (rc < 0) {
		free(o->text);
		o->text = NULL;
		if (o->why[0] == '\0')
			snprintf(o->why, sizeof(o->why), "%s",
			    dm_strerror(rc));
	} else if (o->len > DIAG_OUTPUT_MAX) {
		o->len = DIAG_OUTPUT_MAX;	/* the rest is not looked at */
	}
	return o;
}

/* A line as evidence: cut, control characters and bytes that are not
 * printable ASCII or UTF-8 continuation shown as '?'. */
static char *
evidence_line(const char *p, size_t n)
{
	size_t k = n < DIAG_LINE_MAX ? n : DIAG_LINE_MAX;
	char *s = xmalloc(k + 4);

	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)p[i];

		s[i] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	if (k < n) {
		memcpy(s + k, "...", 4);
		return s;
	}
	s[k] = '\0';
	return s;
}

static void
ev_add_line(struct diag_evidence *e, int keep, const char *p, size_t n)
{
	e->matched++;
	if (e->nlines >= keep)
		return;
	e->lines = xrealloc(e->lines, (size_t)(e->nlines + 1) *
	    sizeof(*e->lines));
	e->lines[e->nlines++] = evidence_line(p, n);
}

static void
ev_free(struct diag_evidence *e)
{
	free(e->source);
	for (int i = 0; i < e->nlines; i++)
		free(e->lines[i]);
	free(e->lines);
	memset(e, 0, sizeof(*e));
}

struct evlist {
	struct diag_evidence *ev;
	int n;
};

static struct diag_evidence *
ev_new(struct evlist *l, const char *source)
{
	struct diag_evidence *e;

	l->ev = xrealloc(l->ev, (size_t)(l->n + 1) * sizeof(*l->ev));
	e = &l->ev[l->n++];
	memset(e, 0, sizeof(*e));
	e->source = xstrdup(source);
	return e;
}

static void
evlist_drop_from(struct evlist *l, int from)
{
	while (l->n > from)
		ev_free(&l->ev[--l->n]);
}

/* s trimmed of leading blanks, as (p, n). */
static void
trim_left(const char **p, size_t *n)
{
	while (*n > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
}

/* Lines of the output matching m's regex, into e (when not NULL).  With
 * m->within, only lines inside a block count, shown after its header. */
static int
count_lines(const struct probe_out *o, const struct rule_match *m,
    struct diag_evidence *e, int keep)
{
	size_t cap = DIAG_MATCH_MAX;
	char *line = xmalloc(cap + 1);
	const char *head = NULL;	/* the current block's header */
	size_t headlen = 0;
	int count = 0;

	for (size_t i = 0; i < o->len;) {
		const char *p = o->text + i;
		const char *nl = memchr(p, '\n', o->len - i);
		size_t n = nl ? (size_t)(nl - p) : o->len - i;
		size_t k = n < cap ? n : cap;

		/* regexec wants a C string: NULs inside a line become '?'
		 * and a line past the cap is matched on its start. */
		for (size_t j = 0; j < k; j++)
			line[j] = p[j] == '\0' ? '?' : p[j];
		if (k > 0 && line[k - 1] == '\r')
			k--;
		line[k] = '\0';
		if (m->have_within && regexec(&m->within, line, 0, NULL,
		    0) == 0) {
			head = p;
			headlen = k < DIAG_LINE_MAX / 2 ? k : DIAG_LINE_MAX / 2;
		} else if ((!m->have_within || head != NULL) &&
		    regexec(&m->re, line, 0, NULL, 0) == 0) {
			count++;
			if (e != NULL && head == NULL) {
				ev_add_line(e, keep, p, k);
			} else if (e != NULL) {
				const char *h = head, *b = p;
				size_t hn = headlen, bn = k;
				char joined[DIAG_LINE_MAX + 8];

				trim_left(&h, &hn);
				trim_left(&b, &bn);
				snprintf(joined, sizeof(joined), "%.*s | %.*s",
				    (int)hn, h, (int)bn, b);
				ev_add_line(e, keep, joined, strlen(joined));
			}
		}
		i += n + 1;
	}
	free(line);
	return count;
}

/* A number; with unit, one word may follow it ("4055 mV", "68 %"). */
static int
prop_number(const char *v, int unit, double *out)
{
	char *end;

	if (v == NULL || *v == '\0')
		return 0;
	*out = strtod(v, &end);
	if (end == v)
		return 0;
	while (*end == ' ')
		end++;
	if (unit)
		while (*end != '\0' && *end != ' ')
			end++;
	return *end == '\0';
}

/* 1 holds, 0 does not, -1 cannot tell (why set). */
static int
eval(struct run *x, const struct rule *r, const struct rule_match *m,
    struct evlist *l, char *why, size_t whylen)
{
	int from = l->n, holds = 0;

	switch (m->kind) {
	case M_ANY:
		for (int i = 0; i < m->nany; i++) {
			int h = eval(x, r, &m->any[i], l, why, whylen);

			if (h < 0)
				return -1;
			holds |= h;
		}
		break;
	case M_PROBE: {
		const struct probe_out *o = probe(x, r->probe_cmd[m->probe]);
		struct diag_evidence *e;

		if (o->text == NULL) {
			snprintf(why, whylen, "`%s` failed: %s", o->cmd, o->why);
			return -1;
		}
		e = ev_new(l, o->cmd);
		holds = count_lines(o, m, e, r->keep) >= m->min;
		break;
	}
	case M_PROP_RE:
	case M_PROP_LT:
	case M_PROP_GT: {
		/* Properties are read in adb modes, variables in fastboot:
		 * the other kind is absent, not unknown. */
		int fb = x->src->mode == RULE_MODE_FASTBOOT;
		const struct props *t = m->var ? x->src->vars :
		    x->src->props;
		const char *v = t != NULL ? props_get(t, m->prop) : NULL;
		char src[300];
		double d;

		if (t == NULL && m->var == fb) {
			snprintf(why, whylen, "the phone's %s could not be "
			    "read", fb ? "fastboot variables" : "properties");
			return -1;
		}
		if (m->kind == M_PROP_RE)
			holds = regexec(&m->re, v ? v : "", 0, NULL, 0) == 0;
		else if (prop_number(v, m->var, &d))
			holds = m->kind == M_PROP_LT ? d < m->num : d > m->num;
		if (holds) {
			struct diag_evidence *e;
			char line[DIAG_LINE_MAX];

			snprintf(src, sizeof(src), "%s %s", m->var ? "getvar" :
			    "getprop", m->prop);
			e = ev_new(l, src);
			if (m->var)
				snprintf(line, sizeof(line), "%s: %s", m->prop,
				    v ? v : "");
			else
				snprintf(line, sizeof(line), "[%s]: [%s]",
				    m->prop, v ? v : "");
			ev_add_line(e, r->keep, line, strlen(line));
		}
		break;
	}
	}
	if (m->negate)
		holds = !holds;
	/* Only what made a matcher hold is evidence. */
	if (!holds || m->negate)
		evlist_drop_from(l, from);
	return holds;
}

static int
by_severity(const void *a, const void *b)
{
	const struct diag_finding *x = a, *y = b;

	if (x->rule->sev != y->rule->sev)
		return x->rule->sev < y->rule->sev ? 1 : -1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

int
diag_run(const struct ruleset *rs, const struct diag_src *src,
    struct diag_report *out)
{
	struct run x = { src, NULL, 0, 0 };

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];
		struct evlist l = { NULL, 0 };
		char why[400] = "";
		int holds = 1;

		if (!(r->modes & src->mode))
			continue;
		out->checked++;
		for (int k = 0; k < r->nmatch && holds == 1; k++)
			if (!r->match[k].also)
				holds = eval(&x, r, &r->match[k], &l, why,
				    sizeof(why));
		/* Evidence only: whatever it says, the finding stands. */
		for (int k = 0; k < r->nmatch && holds == 1; k++)
			if (r->match[k].also) {
				char ignored[400];

				(void)eval(&x, r, &r->match[k], &l, ignored,
				    sizeof(ignored));
			}
		if (holds < 0) {
			out->skip = xrealloc(out->skip, (out->nskip + 1) *
			    sizeof(*out->skip));
			out->skip[out->nskip].rule = r;
			out->skip[out->nskip++].why = xstrdup(why);
		}
		if (holds != 1) {
			evlist_drop_from(&l, 0);
			free(l.ev);
			continue;
		}
		out->f = xrealloc(out->f, (out->n + 1) * sizeof(*out->f));
		out->f[out->n].rule = r;
		out->f[out->n].ev = l.ev;
		out->f[out->n++].nev = l.n;
	}
	if (out->n > 1)
		qsort(out->f, out->n, sizeof(*out->f), by_severity);
	out->probes_run = x.probes_run;
	for (size_t i = 0; i < x.nouts; i++) {
		free(x.outs[i].cmd);
		free(x.outs[i].text);
	}
	free(x.outs);
	return 0;
}

void
diag_report_free(struct diag_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		for (int k = 0; k < r->f[i].nev; k++)
			ev_free(&r->f[i].ev[k]);
		free(r->f[i].ev);
	}
	free(r->f);
	for (size_t i = 0; i < r->nskip; i++)
		free(r->skip[i].why);
	free(r->skip);
	memset(r, 0, sizeof(*r));
}

cJSON *
diag_report_json(const struct diag_report *r)
{
	static const char *const needs[] = { "adb", "fastboot", "root",
	    "backup" };
	cJSON *j = cJSON_CreateObject(), *fs = cJSON_CreateArray();
	cJSON *sk = cJSON_CreateArray();

	for (size_t i = 0; i < r->n; i++) {
		const struct rule *ru = r->f[i].rule;
		cJSON *f = cJSON_CreateObject(), *evs = cJSON_CreateArray();
		cJSON *plan = cJSON_CreateArray();

		cJSON_AddStringToObject(f, "id", ru->id);
		cJSON_AddStringToObject(f, "title", ru->title);
		cJSON_AddStringToObject(f, "severity", rule_sev_name(ru->sev));
		cJSON_AddStringToObject(f, "explain", ru->explain);
		for (int k = 0; k < r->f[i].nev; k++) {
			const struct diag_evidence *e = &r->f[i].ev[k];
			cJSON *o = cJSON_CreateObject(), *ls;

			cJSON_AddStringToObject(o, "source", e->source);
			cJSON_AddNumberToObject(o, "matched", e->matched);
			ls = cJSON_CreateArray();
			for (int n = 0; n < e->nlines; n++)
				cJSON_AddItemToArray(ls,
				    cJSON_CreateString(e->lines[n]));
			cJSON_AddItemToObject(o, "lines", ls);
			cJSON_AddItemToArray(evs, o);
		}
		cJSON_AddItemToObject(f, "evidence", evs);
		for (int k = 0; k < ru->nsteps; k++) {
			const struct rule_step *s = &ru->step[k];
			cJSON *o = cJSON_CreateObject(), *n = cJSON_CreateArray();

			cJSON_AddNumberToObject(o, "step", k + 1);
			cJSON_AddStringToObject(o, "action", s->action);
			cJSON_AddItemToObject(o, "params",
			    cJSON_Duplicate(s->params, 1));
			cJSON_AddStringToObject(o, "risk",
			    rule_risk_name(s->risk));
			for (int b = 0; b < 4; b++)
				if (s->needs & (1u << b))
					cJSON_AddItemToArray(n,
					    cJSON_CreateString(needs[b]));
			cJSON_AddItemToObject(o, "needs", n);
			cJSON_AddStringToObject(o, "effect", s->effect);
			if (s->verify != NULL)
				cJSON_AddStringToObject(o, "verify", s->verify);
			cJSON_AddItemToArray(plan, o);
		}
		cJSON_AddItemToObject(f, "plan", plan);
		cJSON_AddItemToArray(fs, f);
	}
	for (size_t i = 0; i < r->nskip; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "id", r->skip[i].rule->id);
		cJSON_AddStringToObject(o, "why", r->skip[i].why);
		cJSON_AddItemToArray(sk, o);
	}
	cJSON_AddItemToObject(j, "findings", fs);
	cJSON_AddItemToObject(j, "unchecked", sk);
	cJSON_AddNumberToObject(j, "rules_checked", (double)r->checked);
	return j;
}
