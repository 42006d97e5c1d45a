/* cli_diag.c - `droidmedic diagnose`: the rules against one phone in adb
 * or recovery mode, or in fastboot (its variables), connected to directly
 * (see diag.h, rules.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adb.h"
#include "adbkey.h"
#include "cli.h"
#include "dev.h"
#include "diag.h"
#include "err.h"
#include "props.h"
#include "repair.h"
#include "rules.h"
#include "xmem.h"

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

int
cli_link_open(const struct cli_opts *o, struct repair_phone *ph, int *status)
{
	struct dev_info di;
	char addr[160], err[512], fp[48] = "";
	int rc;

	*status = cli_resolve_row(o, addr, sizeof(addr), &di);
	if (*status != 0)
		return -1;
	if (!di.present || !(repair_mode_of_row(di.mode) & RULE_MODES_LINK))
		return 0;
	if (di.mode == DEV_MODE_UNAUTHORIZED) {
		struct adbkeys *keys = adbkeys_load(err, sizeof(err));

		if (keys != NULL)
			(void)adbkeys_fingerprint(keys, 0, fp);
		adbkeys_free(keys);
	}
	rc = repair_open_row(ph, &di, fp[0] ? fp : NULL, err, sizeof(err));
	if (rc < 0) {
		*status = cli_fail(o, rc, err);
		return -1;
	}
	return 1;
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
			char p[500];

			rule_step_text(s->action, s->params, p, sizeof(p));
			printf("  %2d. [risk %s] %s: %s\n", k + 1,
			    rule_risk_name(s->risk), p, s->effect);
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
	struct fb_conn *fb;
	struct ruleset rs;
	struct repair_phone ph = { 0 };
	struct diag_report rep;
	char err[512], who[300];
	const char *mode;
	int status, rc;

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
	rc = cli_link_open(o, &ph, &status);
	if (rc < 0) {
		ruleset_free(&rs);
		return status;
	}
	fb = NULL;
	if (rc == 0 && (fb = cli_fb_try(o, &status)) == NULL && status != 0) {
		ruleset_free(&rs);
		return status;
	}
	if (rc == 1) {
		rc = 0;
	} else if (fb != NULL) {
		rc = repair_open_fastboot(&ph, fb, o->serial, err,
		    sizeof(err));
		if (rc < 0) {
			repair_close(&ph);
			ruleset_free(&rs);
			return cli_fail(o, rc, err);
		}
	} else if ((c = cli_adb_connect(o, &keys, &status)) == NULL) {
		ruleset_free(&rs);
		return status;
	} else {
		rc = repair_open(&ph, c, o->serial, err, sizeof(err));
	}
	if (rc == DM_EUNSUPP) {
		repair_close(&ph);
		adbkeys_free(keys);
		ruleset_free(&rs);
		return cli_fail(o, rc, err);
	}
	/* Without getprop the rules that need no props still run. */
	repair_diagnose(&ph, &rs, &rep);
	snprintf(who, sizeof(who), "%s (%s)", o->serial, ph.props != NULL ||
	    ph.vars != NULL || (ph.mode & RULE_MODES_LINK) ? ph.model :
	    "model unknown");
	mode = repair_mode_name(&ph);
	repair_close(&ph);
	adbkeys_free(keys);
	if (o->json) {
		cJSON *j = diag_report_json(&rep), *p = cJSON_CreateArray();

		cJSON_AddTrueToObject(j, "ok");
		cJSON_AddStringToObject(j, "serial", o->serial);
		cJSON_AddStringToObject(j, "mode", mode);
		for (size_t i = 0; i < rs.nproblems; i++)
			cJSON_AddItemToArray(p,
			    cJSON_CreateString(rs.problems[i]));
		cJSON_AddItemToObject(j, "rule_problems", p);
		cli_json_out(j);
	} else {
		print_report(&rep, &rs, who);
	}
	diag_report_free(&rep);
	ruleset_free(&rs);
	return 0;
}
