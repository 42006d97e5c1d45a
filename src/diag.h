/* diag.h - diagnosis: the rules (rules.h) run against one phone's own
 * evidence, giving findings that carry that evidence (the lines that
 * matched and the command they came from) and the rule's repair plan.
 *
 * The evidence comes through a source: the phone's properties (getprop,
 * read once) and a way to run a probe's command line.  Each distinct
 * command runs once however many rules ask for it; its output is capped
 * (DIAG_OUTPUT_MAX) and read as lines whatever it holds (binary bytes,
 * no final newline).  A rule whose probe cannot run is not a finding: it
 * is listed as not checked, with the reason. */
#ifndef DM_DIAG_H
#define DM_DIAG_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "rules.h"

struct props;

#define DIAG_OUTPUT_MAX		(8u << 20)
#define DIAG_LINE_MAX		400	/* an evidence line is cut here */
#define DIAG_MATCH_MAX		(64u << 10)	/* a longer line is matched
						 * on its start */

struct diag_src {
	/* Run cmd on the phone: its stdout in a malloc'ed buffer (*out,
	 * *len; NUL-terminated), or a negative dm_err with err set. */
	int (*run)(void *ud, const char *cmd, char **out, size_t *len,
	    char *err, size_t errlen);
	void *ud;
	const struct props *props;	/* the phone's getprop (adb modes) */
	unsigned mode;			/* RULE_MODE_* the phone is in */
	const struct props *vars;	/* its fastboot variables (fastboot
					 * mode) */
};

struct diag_evidence {
	char *source;		/* "logcat -b crash -d", "getprop ro.bootmode" */
	char **lines;		/* kept lines (control characters shown as ?) */
	int nlines;
	int matched;		/* lines that matched (may exceed nlines) */
};

struct diag_finding {
	const struct rule *rule;
	struct diag_evidence *ev;
	int nev;
};

struct diag_unchecked {
	const struct rule *rule;
	char *why;
};

struct diag_report {
	struct diag_finding *f;
	size_t n;
	struct diag_unchecked *skip;
	size_t nskip;
	size_t checked;		/* rules evaluated */
	size_t probes_run;	/* distinct commands run */
};

/* Evaluate every rule for src->mode.  Findings come in the rule set's
 * order, most severe first.  0, or DM_ENOMEM. */
int diag_run(const struct ruleset *rs, const struct diag_src *src,
    struct diag_report *out);
void diag_report_free(struct diag_report *r);

/* {"findings": [{"id","title","severity","explain","evidence":[{"source",
 * "matched","lines"}],"plan":[{"step","action","params","risk","needs",
 * "effect","verify"}]}], "unchecked": [{"id","why"}], "rules_checked"} */
cJSON *diag_report_json(const struct diag_report *r);

#endif
