/* dl.h - downloads with libcurl: resumable, verified, from mirrors, in
 * parallel segments when the server takes ranges.
 *
 * dl_fetch() brings one file to dest:
 *   - into dest.part, with dest.part.json beside it saying what is there
 *     (the size, the server's validator, each segment's progress), so a
 *     download that stopped (a cut, a cancel, a stall, a killed process)
 *     goes on where it stopped on the next call with the same dest;
 *   - resuming asks with If-Range: a file that changed on the server
 *     starts over instead of being spliced;
 *   - the URLs are mirrors, tried in order; each one gets retries with a
 *     growing pause for what may pass (a cut, a stall, a 5xx) and none for
 *     what will not (404, a TLS failure, a size other than the expected);
 *   - a server that answers a range with 206 is read over up to conns
 *     connections at once; a connection that finishes takes half of the
 *     biggest piece left, so they all end together;
 *   - the SHA-256 (and the MD5 when one is expected) is computed while the
 *     file arrives, on its own thread, reading behind the writers;
 *   - TLS is always verified (cacert adds a CA bundle); proxies come from
 *     the usual environment variables (or from proxy, for a process whose
 *     environment is not the user's); file:// works too.
 * The file is renamed to dest only whole and with the hashes expected;
 * a wrong one is deleted. */
#ifndef DM_DL_H
#define DM_DL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define DL_CONNS	4	/* default parallel connections */
#define DL_CONNS_MAX	16
#define DL_RETRIES	3	/* per mirror, after the first try */

struct dl_progress {
	uint64_t done, total;		/* total 0: not known yet */
	double rate;			/* bytes a second, recent */
	int64_t eta_s;			/* -1 unknown */
	int conns;			/* connections open now */
	const char *url;		/* the mirror in use */
};

/* Proxy settings a client sent (its environment); NULL fields unset. */
struct dl_proxy {
	const char *http, *https, *all, *no;
};

struct dl_req {
	const char *const *urls;
	size_t nurls;
	const char *dest;
	uint64_t size;			/* expected, 0 unknown */
	const char *sha256, *md5;	/* expected hex, NULL or "" unknown */
	int conns;			/* 0: DL_CONNS */
	int retries;			/* -1: DL_RETRIES */
	const char *cacert;		/* NULL: the system's CAs */
	const struct dl_proxy *proxy;	/* NULL: this process's env */
	/* Called about four times a second; nonzero cancels (the partial
	 * file is kept for a resume). */
	int (*progress)(void *ud, const struct dl_progress *p);
	/* What happens: retries, mirror changes, resumes. */
	void (*log)(void *ud, const char *line);
	void *ud;
};

struct dl_result {
	uint64_t size;
	char sha256[65], md5[33];	/* md5 "" when not asked */
	char url[1024];			/* the mirror that served it */
	uint64_t resumed_from;		/* bytes already there, 0 none */
	int conns;			/* most connections used at once */
	double secs;
};

/* 0 with res filled and dest in place, or a dm_err with err: DM_ECANCEL
 * (progress said stop; the partial is kept), DM_EINVAL (a hash or size
 * other than the expected: nothing kept), DM_ENOENT (no mirror has it),
 * DM_ECONN / DM_ETIMEOUT / DM_EIO (every mirror failed; the partial is
 * kept). */
int dl_fetch(const struct dl_req *r, struct dl_result *res, char *err,
    size_t errlen);

/* A small document (a catalog) revalidated against what we hold:
 * etag/last_modified (may be "") from the last fetch go out as
 * If-None-Match/If-Modified-Since.  0 and *status 200 with body
 * (malloc'ed, NUL-terminated) and the new validators, or *status 304 and
 * no body; a dm_err with err otherwise (other statuses too).  max caps
 * the body. */
struct dl_doc {
	int status;
	char *body;
	size_t len;
	char etag[256], last_modified[64];
};
int dl_get_doc(const char *url, const char *etag, const char *last_modified,
    const char *cacert, const struct dl_proxy *proxy, size_t max,
    struct dl_doc *out, char *err, size_t errlen);

/* The proxies this process's environment names, as a request's "proxy"
 * object ({"http","https","all","no"}), for a job that runs in the bench
 * server, whose environment may be another's.  libcurl's rules:
 * http_proxy only in lower case. */
cJSON *dl_proxy_env(void);

/* "https" from "https://..." into out ("" when none); 0 or -1. */
int dl_scheme(const char *url, char *out, size_t len);

#endif
