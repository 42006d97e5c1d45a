/* fuzz_fbvars.c - libFuzzer target: whatever lands in a `fastboot getvar
 * all` capture, through the text parser, then line by line as INFO
 * payloads, then as getvar answers; every record must stay within its
 * caps and every lookup must answer. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fbvars.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct fbvars *v)
{
	if (v->nraw > FBVARS_MAX_VARS || v->nparts > FBVARS_MAX_PARTS)
		abort();
	for (size_t i = 0; i < v->nraw; i++) {
		const char *n = v->raw[i].name, *val = v->raw[i].value;

		if (n[0] == '\0' || strlen(n) > FBVARS_MAX_NAME ||
		    strlen(val) > FBVARS_MAX_VALUE ||
		    fbvars_get(v, n) != val)
			abort();
	}
	for (size_t i = 0; i < v->nparts; i++)
		if (fbvars_part(v, v->parts[i].name) != &v->parts[i])
			abort();
	for (size_t i = 0; i < v->nbases; i++)
		(void)fbvars_has_slot(v, v->bases[i].name);
	if (v->current_slot[0] != '\0' && v->current_slot[1] != '\0')
		abort();
	(void)fbvars_slot(v, v->current_slot);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fbvars v, w;
	char err[64], *copy, *line, *save = NULL;
	int ok;

	if (size > (1u << 20))
		return 0;
	fbvars_init(&v);
	fbvars_parse_text(&v, (const char *)data, size, err, sizeof(err));
	check(&v);

	/* the same bytes as INFO payloads, one per line, then every pair
	 * found as a getvar answer */
	fbvars_init(&w);
	copy = malloc(size + 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		fbvars_add_info_line(&w, line);
	for (size_t i = 0; i < v.nraw; i++)
		fbvars_set(&w, v.raw[i].name, v.raw[i].value);
	check(&w);
	(void)fbvars_parse_size(copy, 0, &ok);
	(void)fbvars_parse_size(copy, 1, &ok);
	free(copy);
	fbvars_free(&v);
	fbvars_free(&w);
	return 0;
}
