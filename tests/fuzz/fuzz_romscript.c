/* fuzz_romscript.c - libFuzzer target: whatever a ROM package's flash
 * script, android-info.txt or misc.txt holds, through their readers.  A
 * script that reads must have steps with bounded names, relative paths
 * that stay inside the package, and lines inside the text. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "romscript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A path that climbs: one of its components is "..". */
static int
climbs(const char *p)
{
	while (*p) {
		size_t k = strcspn(p, "/");

		if (k == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += k;
		if (*p == '/')
			p++;
	}
	return 0;
}

static void
check_script(const struct rs_script *s, size_t size)
{
	if (s->n == 0 || s->n > RS_MAX_STEPS)
		abort();
	for (size_t i = 0; i < s->n; i++) {
		const struct rs_step *st = &s->steps[i];

		if (st->line < 1 || (size_t)st->line > size + 1 ||
		    strlen(st->part) >= sizeof(st->part) ||
		    strlen(st->file) >= sizeof(st->file))
			abort();
		if (st->kind == RS_FLASH && (st->file[0] == '\0' ||
		    st->file[0] == '/' || climbs(st->file)))
			abort();
		if (i > 0 && st->line <= s->steps[i - 1].line)
			abort();
	}
	if (s->anti_file[0] == '/' || climbs(s->anti_file))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_script s;
	struct rs_reqs q;
	char err[128], out[64];

	if (size > (1u << 20))
		return 0;
	if (rs_parse_xiaomi((const char *)data, size, &s, err,
	    sizeof(err)) == 0) {
		check_script(&s, size);
		rs_script_free(&s);
	} else if (err[0] == '\0')
		abort();	/* a refusal always says why */
	if (rs_parse_android_info((const char *)data, size, &q, err,
	    sizeof(err)) == 0) {
		for (size_t i = 0; i < q.n; i++) {
			if (q.r[i].nvalues < 1 || q.r[i].var[0] == '\0')
				abort();
			(void)rs_req_matches(&q.r[i], "oriole");
		}
		rs_reqs_free(&q);
	}
	if (rs_misc_value((const char *)data, size, "device", out,
	    sizeof(out)) == 0 && strlen(out) >= sizeof(out))
		abort();
	return 0;
}
