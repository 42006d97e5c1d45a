/* propdb.h - a simulated phone's system properties.
 *
 * Filled once when a profile loads (from a real `getprop` capture, from
 * build.prop files, from the profile's own keys), read-only afterwards, so
 * any number of connection threads may read it without locking.
 *
 * The simulator deliberately has its own reader of these captures rather
 * than sharing the host's src/props.c: the simulator is the oracle the host
 * side is tested against, and one shared bug would hide itself. */
#ifndef DM_SIM_PROPDB_H
#define DM_SIM_PROPDB_H

#include <stddef.h>
#include <stdint.h>

struct propdb;

struct propdb *propdb_new(void);
void propdb_free(struct propdb *db);

/* Set or replace (the last value wins, as when init reads its files in
 * turn).  Keys and values are copied. */
void propdb_set(struct propdb *db, const char *key, const char *value);
/* The value, or NULL when the key is not set.  Borrowed: lives as long as
 * the database. */
const char *propdb_get(const struct propdb *db, const char *key);

/* Entries in key order (what `getprop` prints). */
size_t propdb_count(const struct propdb *db);
const char *propdb_key(const struct propdb *db, size_t i);
const char *propdb_value(const struct propdb *db, size_t i);

/* Turn a captured text file into UTF-8 with LF line ends: UTF-16LE/BE
 * with a BOM (a PowerShell redirect), UTF-8 with or without a BOM; CR
 * before LF and stray NUL bytes are dropped, a lone UTF-16 surrogate
 * becomes U+FFFD.  *out is malloc'ed and NUL-terminated.  0 or DM_EINVAL
 * (UTF-16 of odd length) with the reason in err. */
int propdb_decode(const uint8_t *in, size_t len, char **out, size_t *outlen,
    char *err, size_t errlen);

/* Read `getprop` output: "[key]: [value]" lines, a value running on over
 * several lines until one ends in "]".  Other lines (an echoed "getprop"
 * command, a prompt) are skipped.  Returns the number of properties read,
 * or DM_EINVAL when there are none. */
int propdb_load_getprop(struct propdb *db, const char *text, size_t len,
    char *err, size_t errlen);
/* Read a build.prop: "key=value" lines; "#" comments, "import" lines and
 * lines without "=" are skipped.  Returns the count or DM_EINVAL. */
int propdb_load_buildprop(struct propdb *db, const char *text, size_t len,
    char *err, size_t errlen);

/* What init does at boot when ro.product.{brand,device,manufacturer,model,
 * name} are not set: take the first ro.product.<partition>.X along
 * ro.product.property_source_order (default product, odm, vendor,
 * system_ext, system). */
void propdb_derive_product(struct propdb *db);

/* The whole list as `getprop` prints it; malloc'ed, NUL-terminated. */
char *propdb_format(const struct propdb *db, size_t *len);

#endif
