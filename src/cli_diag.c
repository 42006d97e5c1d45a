/* cli_diag.c - `droidmedic diagnose`: the rules against one phone in adb
 * or recovery mode, connected to directly (see diag.h, rules.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adb.h"
#include "adbkey.h"
#include "cli.h"
#include "diag.h"
#include "err.h"
#include "props.h"
#include "rules.h"
#include "xmem.h"

#define PROBE_MS	30000

int
cli_diag_probe(void *ud, const char *cmd, char **out, size_t *len, char *err,
    size_t errlen)
{
	int code, rc;

	rc = adb_shell_capture(ud, cmd, out, len, DIAG_OUTPUT_MAX, &code,
	    PROBE_MS, err, errlen);
	/* A command that failed and said nothing ("not found", no
	 * permission) is no evidence either way. */
	if (rc == 0 && code > 0 && *len == 0)
		return dm_fail(err, errlen, DM_EUNSUPP, "exit status %d, "
		    "no output", code);
	return rc;
}

/* A step's parameters as "package com.x, to system". */
void
cli_params_text(const cJSON *params, char *buf, size_t len)
{
	const cJSON *e;
	size_t n = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(e, params) {
		if (!cJSON_IsString(e) || n >= len)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s %s",
		    n ? ", " : "", e->string, e->valuestring);
	}
}

void
cli_print_evidence(const struct diag_finding *f, int max)
{
	for (int k = 0; k < f->nev; k++) {
		const struct diag_evidence *e = &f->ev[k];
		int shown = e->nlines < max ? e->nlines : max;

		printf("  evidence from `%s` (%d matching line%s",
		    e->source, e->matched, e->matched == 1 ? "" : "s");
		if (e->matched > shown)
			printf(", first %d shown", shown);
		printf("):\n");
		for (int n = 0; n < shown; n++)
			printf("    %s\n", e->lines[n]);
	}
}

static void
print_report(const struct diag_report *r, const struct ruleset *rs,
    const char *who)
{
	static const char *const mark[] = { "info", "WARNING", "ERROR",
	    "CRITICAL" };

	size_t ran = r->checked - r->nskip;

	if (r->n == 0)
		printf("%s: no problem found by the %zu rule%s that could run",
		    who, ran, ran == 1 ? "" : "s");
	else
		printf("%s: %zu finding%s from %zu rule%s", who, r->n,
		    r->n == 1 ? "" : "s", ran, ran == 1 ? "" : "s");
	if (r->nskip > 0)
		printf(" (%zu not checked, below)", r->nskip);
	printf("\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct rule *ru = r->f[i].rule;

		printf("\n[%s] %s: %s\n", mark[ru->sev], ru->id, ru->title);
		printf("  why: %s\n", ru->explain);
		cli_print_evidence(&r->f[i], DIAG_LINE_MAX);
		if (ru->nsteps > 0)
			printf("  plan, narrowest first:\n");
		for (int k = 0; k < ru->nsteps; k++) {
			const struct rule_step *s = &ru->step[k];
			char p[200];

			cli_params_text(s->params, p, sizeof(p));
			printf("  %2d. [risk %s] %s%s%s: %s\n", k + 1,
			    rule_risk_name(s->risk), s->action, p[0] ? " " : "",
			    p, s->effect);
		}
	}
	for (size_t i = 0; i < r->nskip; i++)
		printf("%snot checked: %s: %s\n", i == 0 ? "\n" : "",
		    r->skip[i].rule->id, r->skip[i].why);
	for (size_t i = 0; i < rs->nproblems; i++)
		fprintf(stderr, "droidmedic: rules: %s\n", rs->problems[i]);
}

int
cli_diagnose(const struct cli_opts *o, int argc, char **argv)
{
	struct adbkeys *keys = NULL;
	struct adb_conn *c;
	struct ruleset rs;
	struct props *props = NULL;
	struct diag_src src = { cli_diag_probe, NULL, NULL,
	    RULE_MODE_DEVICE };
	struct diag_report rep;
	const struct adb_banner *b;
	char *text = NULL, err[512], who[200];
	size_t len = 0;
	int status, code, rc;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "droidmedic: usage: diagnose -s SERIAL "
		    "[--json]\n");
		return 2;
	}
	ruleset_init(&rs);
	ruleset_load_default(&rs);
	if (rs.n == 0) {
		for (size_t i = 0; i < rs.nproblems; i++)
			fprintf(stderr, "droidmedic: rules: %s\n",
			    rs.problems[i]);
		ruleset_free(&rs);
		return cli_fail(o, DM_ENOENT, "no diagnosis rules loaded");
	}
	c = cli_adb_connect(o, &keys, &status);
	if (c == NULL) {
		ruleset_free(&rs);
		return status;
	}
	b = adb_banner_get(c);
	if (b != NULL && strcmp(b->type, "recovery") == 0)
		src.mode = RULE_MODE_RECOVERY;
	else if (b != NULL && strcmp(b->type, "device") != 0) {
		snprintf(err, sizeof(err), "the phone is in %s mode: diagnose "
		    "needs it booted (device) or in recovery", b->type);
		adb_close(c);
		adbkeys_free(keys);
		ruleset_free(&rs);
		return cli_fail(o, DM_EUNSUPP, err);
	}
	rc = adb_shell_capture(c, "getprop", &text, &len, 4u << 20, &code,
	    PROBE_MS, err, sizeof(err));
	if (rc == 0) {
		props = props_new();
		props_parse(props, text, len, PROPS_FMT_GETPROP);
	}
	free(text);
	src.ud = c;
	src.props = props;
	diag_run(&rs, &src, &rep);
	adb_close(c);
	adbkeys_free(keys);
	snprintf(who, sizeof(who), "%s (%s)", o->serial,
	    props != NULL && props_get(props, "ro.product.model") ?
	    props_get(props, "ro.product.model") : "model unknown");
	if (o->json) {
		cJSON *j = diag_report_json(&rep), *p = cJSON_CreateArray();

		cJSON_AddTrueToObject(j, "ok");
		cJSON_AddStringToObject(j, "serial", o->serial);
		for (size_t i = 0; i < rs.nproblems; i++)
			cJSON_AddItemToArray(p,
			    cJSON_CreateString(rs.problems[i]));
		cJSON_AddItemToObject(j, "rule_problems", p);
		cli_json_out(j);
	} else {
		print_report(&rep, &rs, who);
	}
	diag_report_free(&rep);
	props_free(props);
	ruleset_free(&rs);
	return 0;
}
