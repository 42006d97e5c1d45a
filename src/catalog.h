/* catalog.h - firmware catalogs: which packages exist for which phones,
 * where to get them and what their hashes are.
 *
 * A catalog is a JSON file (the format is in droidmedic(1), FIRMWARE
 * CATALOGS):
 *
 *   {"catalog": 1, "name": "...", "sample": false,
 *    "devices": [{"vendor": "Xiaomi", "names": ["Xiaomi 14"],
 *                 "models": ["23127PN0CC"], "codenames": ["houji"],
 *                 "builds": [{"version": "OS1.0.9.0.UNCCNXM",
 *                             "android": "14", "date": "2024-03-05",
 *                             "region": "CN", "carrier": null,
 *                             "type": "xiaomi-fastboot-tgz",
 *                             "file": "houji_images_....tgz",
 *                             "urls": ["https://...", "https://mirror..."],
 *                             "size": 6442450944,
 *                             "sha256": "...", "md5": "..."}]}]}
 *
 * Catalogs are read from the built-in folder (PKGDATADIR/catalogs, the
 * source tree's data/catalogs, or $DROIDMEDIC_CATALOGS) and then from
 * $XDG_CONFIG_HOME/droidmedic/catalogs.  A file or an entry that does not
 * read is left out and said so (catalog.errors); the rest is used.  An
 * entry is only trusted for what it says: a package whose hash a catalog
 * gives passes the flash's package gate when it has that hash. */
#ifndef DM_CATALOG_H
#define DM_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct cat_build {
	const char *vendor, *name, *model;	/* the device's first */
	const char *codename;			/* the first codename */
	const char *codenames;			/* all, comma-separated */
	const char *names, *models;		/* all, comma-separated */
	const char *version, *android, *date, *region, *carrier, *type;
	const char *file;
	const char **urls;
	size_t nurls;
	uint64_t size;			/* 0 unknown */
	char sha256[65], md5[33];	/* lowercase hex, "" unknown */
	const char *source;		/* the catalog's path */
	const char *catalog;		/* its name */
	int sample;			/* from a catalog marked sample */
};

struct catalog {
	struct cat_build *b;
	size_t n;
	char **errors;			/* what did not read, and why */
	size_t nerrors;
	/* what the builds point into */
	cJSON **docs;
	size_t ndocs;
	char **strings;
	size_t nstrings;
};

#define CAT_TYPES	"xiaomi-fastboot-tgz, aosp-factory-zip, ota-zip"

void catalog_init(struct catalog *c);
void catalog_free(struct catalog *c);
/* Read one catalog's text (path names it); its builds are added, what
 * does not read goes to c->errors.  The number of builds added. */
size_t catalog_add_text(struct catalog *c, const char *path,
    const char *text, size_t len);
/* Read the built-in catalogs and the user's (see above). */
void catalog_load(struct catalog *c);
/* The folder of the built-in catalogs, into out ("" when none). */
void catalog_builtin_dir(char *out, size_t len);

/* The builds for a phone, newest first (by date, then version): those
 * for codename (any of a device's codenames, case-insensitive), those of
 * region first when one is given.  Up to max into out; how many there are
 * in all. */
size_t catalog_for(const struct catalog *c, const char *codename,
    const char *region, const struct cat_build **out, size_t max);
/* The builds whose device names, models or codenames contain query
 * (case-insensitive), newest first. */
size_t catalog_search(const struct catalog *c, const char *query,
    const struct cat_build **out, size_t max);
/* The build with that SHA-256 or MD5 (either may be NULL or ""). */
const struct cat_build *catalog_by_hash(const struct catalog *c,
    const char *sha256, const char *md5);
/* The build whose file name is base (a package's base name). */
const struct cat_build *catalog_by_file(const struct catalog *c,
    const char *base);
/* 1 when the build's region is region (case-insensitive; "Global" also
 * matches "MI"/"global"), 0 when it is another, -1 when either is
 * unknown. */
int catalog_region_is(const struct cat_build *b, const char *region);

/* A build as JSON, for --json. */
cJSON *catalog_build_json(const struct cat_build *b);

#endif
