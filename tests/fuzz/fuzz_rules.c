/* fuzz_rules.c - libFuzzer target: whatever lands in a rules file, through
 * the loader; what loads is then run against the same bytes as every
 * probe's output and as property values, so that matching, evidence and
 * the JSON report see hostile text too, in every mode a rule names.  Loading must account for every
 * rule (added or reported), and evidence lines must stay within their
 * cap and free of control characters. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "props.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct blob {
	const uint8_t *data;
	size_t size;
};

static int
run(void *ud, const char *cmd, char **out, size_t *len, char *err,
    size_t errlen)
{
	const struct blob *b = ud;

	(void)cmd;
	(void)err;
	(void)errlen;
	*out = malloc(b->size + 1);
	if (*out == NULL)
		abort();
	memcpy(*out, b->data, b->size);
	(*out)[b->size] = '\0';
	*len = b->size;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset rs;
	struct blob b = { data, size };
	struct props *p = props_new();
	struct diag_src src = { run, &b, p, RULE_MODE_DEVICE, NULL };
	struct diag_report r;
	cJSON *j;
	char *s;

	ruleset_init(&rs);
	if (ruleset_add_text(&rs, "fuzz.json", (const char *)data, size) < 0)
		abort();
	if (rs.files != 1)
		abort();
	/* The same bytes as property values of every key a rule names. */
	props_parse(p, data, size, PROPS_FMT_AUTO);
	/* Then as a phone in fastboot: the same values as its variables,
	 * no properties; then in each mode where only the bench row is
	 * read (the bytes as its "connection" text). */
	for (int pass = 0; pass < 8; pass++) {
		if (pass == 1) {
			src.mode = RULE_MODE_FASTBOOT;
			src.props = NULL;
			src.vars = p;
		} else if (pass > 1) {
			src.mode = RULE_MODE_FASTBOOT << (pass - 1);
			src.props = NULL;
			src.vars = NULL;
		}
		if (diag_run(&rs, &src, &r) != 0)
			abort();
		for (size_t i = 0; i < r.n; i++)
			for (int k = 0; k < r.f[i].nev; k++)
				for (int n = 0; n < r.f[i].ev[k].nlines; n++) {
					const char *l = r.f[i].ev[k].lines[n];

					if (strlen(l) > DIAG_LINE_MAX + 3)
						abort();
					for (; *l; l++)
						if ((unsigned char)*l < 0x20 &&
						    *l != '\t')
							abort();
				}
		j = diag_report_json(&r);
		s = cJSON_PrintUnformatted(j);
		free(s);
		cJSON_Delete(j);
		diag_report_free(&r);
	}
	ruleset_free(&rs);
	props_free(p);
	return 0;
}
