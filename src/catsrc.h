/* catsrc.h - catalogs that live at an address: listed one per line in
 * $XDG_CONFIG_HOME/droidmedic/catalog-urls, fetched by `droidmedic
 * firmware update` into $XDG_CACHE_HOME/droidmedic/catalogs (KEY.json,
 * the catalog, and KEY.meta, its address, ETag and Last-Modified), and
 * revalidated with If-None-Match / If-Modified-Since.  catalog_load()
 * reads the cached copies, so search and fetch work offline.
 *
 * Only https:// and file:// addresses: a catalog's hashes are what
 * downloads and flashes are checked against, so it must not come over a
 * channel anyone on the way could rewrite. */
#ifndef DM_CATSRC_H
#define DM_CATSRC_H

#include <cjson/cJSON.h>

struct dl_proxy;

/* The cached copies' folder (malloc'ed, created), or NULL. */
char *catsrc_dir(void);

/* Revalidate every listed catalog; report gets one object per address
 * ({"url","status":"updated"|"unchanged"|"failed","builds","message"}).
 * Copies of addresses no longer listed are removed.  The number that
 * failed. */
int catsrc_update(const char *cacert, const struct dl_proxy *proxy,
    cJSON *report);

#endif
