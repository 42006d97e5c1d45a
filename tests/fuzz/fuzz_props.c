/* fuzz_props.c - libFuzzer target: whatever a phone prints for getprop,
 * cat build.prop, dumpsys battery or df, through the property parser (all
 * three forms), the build.prop derivation, the identity, its JSON and its
 * one-line summary. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "props.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
identify(struct props *p, const uint8_t *data, size_t size)
{
	struct dev_identity id;
	const char *k, *v;
	char line[64];
	cJSON *j;

	/* Every entry is a legal key and a NUL-terminated value. */
	for (size_t i = 0; props_at(p, i, &k, &v) == 0; i++)
		if (k[0] == '\0' || strlen(v) > PROPS_MAX_VALUE)
			abort();
	ident_init(&id);
	ident_battery_parse(&id.battery, (const char *)data, size);
	ident_storage_parse(&id.storage, (const char *)data, size);
	ident_from_props(&id, p);
	j = ident_to_json(&id);
	free(cJSON_PrintUnformatted(j));
	cJSON_Delete(j);
	ident_summary(&id, line, sizeof(line), NULL);
	ident_summary(&id, line, 1, " | ");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum props_fmt fmts[] = {
		PROPS_FMT_AUTO, PROPS_FMT_GETPROP, PROPS_FMT_BUILDPROP
	};

	if (size > (1u << 20))
		return 0;
	for (size_t f = 0; f < 3; f++) {
		struct props *p = props_new();

		props_parse(p, data, size, fmts[f]);
		if (fmts[f] == PROPS_FMT_BUILDPROP)
			props_android_derive(p);
		identify(p, data, size);
		props_free(p);
	}
	return 0;
}
