/* fetchjob.h - a firmware download as a bench-server job ("fetch").
 *
 * The request (JSON, from the CLI or the dashboard) names what to get:
 *
 *   {"urls": ["https://...", "https://mirror..."],   mirrors, in order
 *    "name": "houji_images_....tgz",                 the file's name
 *    "size": 6442450944, "sha256": "...", "md5": "...",  expected
 *    "output": "/abs/path",        a plain file there, no package pass;
 *                                  else into the firmware cache
 *    "connections": 4, "cacert": "/abs/ca.pem",
 *    "proxy": {"http": ..., "https": ..., "all": ..., "no": ...},
 *    "build": {...}}               the catalog entry, echoed back
 *
 * Into the cache, the download lands in the cache's partial/ folder
 * (where a stopped one resumes), is read through as a package
 * (rompkg.h), then added (fwcache.h) under its SHA-256. */
#ifndef DM_FETCHJOB_H
#define DM_FETCHJOB_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct jobeng;

/* The request for a catalog build: its addresses, name, size, hashes
 * and entry, and this process's proxy environment (dl_proxy_env). */
struct cat_build;
cJSON *fetchjob_params(const struct cat_build *b);

/* Check a "fetch" request; 0 or DM_EINVAL with err. */
int fetchjob_check(const cJSON *params, char *err, size_t errlen);
/* Queue it (params are copied): the job id or a dm_err with err. */
int fetchjob_submit_json(struct jobeng *eng, const cJSON *params,
    char *err, size_t errlen);

#endif
