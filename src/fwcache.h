/* fwcache.h - the firmware cache: packages kept by their SHA-256, shared
 * by all phones.
 *
 *   $XDG_CACHE_HOME/droidmedic/firmware/HEX.pkg    the package
 *   $XDG_CACHE_HOME/droidmedic/firmware/HEX.json   what it is: its name,
 *       size, SHA-256 and MD5, kind, device and build, when it was added
 *       and last used
 *
 * A package goes in whole or not at all (a temporary name, fsynced, then
 * renamed; a hard link when it is on the same file system).  The cache
 * keeps under a size limit (DROIDMEDIC_CACHE_MAX bytes, default
 * FWCACHE_MAX): adding a package evicts the least recently used others
 * until it fits. */
#ifndef DM_FWCACHE_H
#define DM_FWCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define FWCACHE_MAX	(64ull << 30)

struct rom_pkg;

/* The cache's folder (malloc'ed, created), or NULL. */
char *fwcache_dir(void);
/* The size limit in bytes. */
uint64_t fwcache_limit(void);

/* Add the package p was read from (rompkg_open: its hashes are known).
 * 0 and the cached path in out, with *already set when it was there;
 * evicted (may be NULL) gets the names of the packages evicted, one per
 * line.  A dm_err with err. */
int fwcache_add(const struct rom_pkg *p, char *out, size_t outlen,
    int *already, char *evicted, size_t evlen, char *err, size_t errlen);

/* Every entry's record (the JSON sidecars, with "path" added), most
 * recently used first. */
cJSON *fwcache_list(void);

/* Note that the package at path was used now, when it is in the cache. */
void fwcache_touch(const char *path);

#endif
