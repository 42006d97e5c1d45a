/* fuzz_catalog.c - libFuzzer target: a firmware catalog, which now also
 * comes over the network (firmware update), through its reader, then
 * searched.  Whatever reads must be what the format allows: a version
 * and a known type, hashes that are lowercase hex of the right length
 * or empty, a file name that stays a file name, addresses with a
 * scheme. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
hex_or_empty(const char *s, size_t n)
{
	size_t k = strlen(s);

	return k == 0 || (k == n && strspn(s, "0123456789abcdef") == n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog c;
	const struct cat_build *v[8];
	char *text = malloc(size + 1);
	char word[16];
	size_t n;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	catalog_init(&c);
	n = catalog_add_text(&c, "fuzz.json", text, size);
	free(text);
	if (n != c.n)
		abort();
	for (size_t i = 0; i < c.n; i++) {
		const struct cat_build *b = &c.b[i];

		if (b->version == NULL || b->version[0] == '\0' ||
		    b->type == NULL || strstr(CAT_TYPES, b->type) == NULL ||
		    b->codename == NULL || !hex_or_empty(b->sha256, 64) ||
		    !hex_or_empty(b->md5, 32))
			abort();
		if (b->file != NULL && (strchr(b->file, '/') != NULL ||
		    b->file[0] == '\0'))
			abort();
		for (size_t k = 0; k < b->nurls; k++)
			if (b->urls[k] == NULL || strstr(b->urls[k], "://") ==
			    NULL)
				abort();
		if (catalog_by_hash(&c, b->sha256, b->md5) == NULL &&
		    (b->sha256[0] || b->md5[0]))
			abort();
	}
	/* Searches with words from the input. */
	snprintf(word, sizeof(word), "%.*s", (int)(size < 6 ? size : 6),
	    (const char *)data);
	(void)catalog_for(&c, word, "Global", v, 8);
	(void)catalog_search(&c, word, v, 8);
	if (c.n > 0) {
		(void)catalog_for(&c, c.b[0].codename, c.b[0].region, v, 8);
		(void)catalog_search(&c, c.b[0].codename, v, 8);
	}
	catalog_free(&c);
	return 0;
}
