/* dl.c - downloads with libcurl (see dl.h).
 *
 * One download is a set of segments that tile the file: [start, end) with
 * pos the next byte wanted.  A connection works on one segment and writes
 * what arrives at its offset (pwrite); the bytes below the smallest pos
 * of an unfinished segment are all there, and the hashing thread reads up
 * to that mark.  The segments and their progress are saved beside the
 * partial file, which is what a resume starts from. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "backup.h"
#include "dev.h"
#include "dl.h"
#include "err.h"
#include "textfile.h"
#include "version.h"
#include "xmem.h"

#define UNKNOWN		UINT64_MAX
#define MIN_SPLIT	(4ull << 20)	/* no piece smaller than this */
#define HASH_CHUNK	(4u << 20)
#define SAVE_MS		2000
#define PROGRESS_MS	250
#define RATE_SAMPLES	20		/* 5 s of progress ticks */
#define MAX_SEGS	256
#define WBUF		(1u << 20)	/* written in pieces this big */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
dl_scheme(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://");
	size_t n;

	out[0] = '\0';
	if (p == NULL || p == url)
		return -1;
	n = (size_t)(p - url);
	if (n + 1 > len)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)((url[i] >= 'A' && url[i] <= 'Z') ?
		    url[i] + 32 : url[i]);
	out[n] = '\0';
	return 0;
}

cJSON *
dl_proxy_env(void)
{
	static const struct {
		const char *key, *lower, *upper;
	} v[] = {
		{ "http", "http_proxy", NULL },
		{ "https", "https_proxy", "HTTPS_PROXY" },
		{ "all", "all_proxy", "ALL_PROXY" },
		{ "no", "no_proxy", "NO_PROXY" },
	};
	cJSON *j = cJSON_CreateObject();

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *s = getenv(v[i].lower);

		if ((s == NULL || *s == '\0') && v[i].upper != NULL)
			s = getenv(v[i].upper);
		if (s != NULL && *s)
			cJSON_AddStringToObject(j, v[i].key, s);
	}
	return j;
}

static long
env_long(const char *name, long def, long min, long max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return def;
	return v;
}

/* What every handle gets: protocols, TLS, proxy, time limits. */
static void
common_opts(CURL *h, const char *url, const char *cacert,
    const struct dl_proxy *px, char *errbuf)
{
	char sch[16];

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "droidmedic/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cacert != NULL && *cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
	    env_long("DROIDMEDIC_STALL_SECS", 60, 1, 3600));
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
	if (px != NULL) {
		const char *p = NULL;

		dl_scheme(url, sch, sizeof(sch));
		if (strcmp(sch, "https") == 0)
			p = px->https;
		else if (strcmp(sch, "http") == 0)
			p = px->http;
		if (p == NULL || *p == '\0')
			p = px->all;
		/* "" turns off the proxy this process's environment names:
		 * the client's says none. */
		curl_easy_setopt(h, CURLOPT_PROXY, p != NULL ? p : "");
		if (px->no != NULL && *px->no)
			curl_easy_setopt(h, CURLOPT_NOPROXY, px->no);
	}
}

/* ---- the download's state ---------------------------------------------- */

struct seg {
	uint64_t start, end, pos;	/* end UNKNOWN until the size is */
	uint64_t rcv;			/* received: pos plus what is buffered */
	int active;
	int64_t retry_at;		/* not before this (ms), after a failure */
};

struct dl;

struct conn {
	CURL *h;
	struct dl *d;
	size_t seg;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	long status;
	uint64_t cr_start, cr_total, clen;
	int have_cr, have_clen;
	char etag[256], lastmod[64];
	int checked;			/* the final response's head judged */
	int reached;			/* stopped on purpose at the end */
	int bad;			/* its head was refused (d->why) */
	int restart;			/* the server sent the whole file */
	int local;			/* our write failed */
	uint64_t got;
	uint8_t *buf;			/* what arrived, not yet written */
	size_t blen;
};

struct dl {
	const struct dl_req *r;
	int fd;
	char part[PATH_MAX + 8], state[PATH_MAX + 16];
	struct seg seg[MAX_SEGS];
	size_t nseg;
	uint64_t total;			/* 0 unknown */
	int ranges;			/* the server answered a range */
	int split;			/* the first split was made */
	char etag[256], lastmod[64];
	const char *url;
	int file_url;
	struct conn *conn;		/* DL_CONNS_MAX of them */
	uint8_t *bufs[DL_CONNS_MAX];	/* their write buffers */
	int nconn, maxconn, conns_used;
	CURLM *m;
	/* the hashing thread */
	pthread_t th;
	int th_on;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t mark, hashed, signalled;
	int finish, stop, herr;
	EVP_MD_CTX *sha, *md5;
	/* why the mirror failed */
	char why[600];
	int fatal;			/* no use retrying this mirror */
	int attempts;
	/* progress */
	int64_t t0, last_progress, last_save;
	uint64_t samp_done[RATE_SAMPLES];
	int64_t samp_ms[RATE_SAMPLES];
	int nsamp;
	uint64_t resumed;
};

static void
say(struct dl *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct dl *d, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	if (d->r->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	d->r->log(d->r->ud, line);
}

static void
size_words(uint64_t n, char *out, size_t len)
{
	if (n >= (1ull << 30))
		snprintf(out, len, "%.2f GiB", (double)n / (1ull << 30));
	else if (n >= (1ull << 20))
		snprintf(out, len, "%.1f MiB", (double)n / (1ull << 20));
	else
		snprintf(out, len, "%llu bytes", (unsigned long long)n);
}

static uint64_t
done_bytes(const struct dl *d)
{
	uint64_t n = 0;

	for (size_t i = 0; i < d->nseg; i++)
		n += d->seg[i].pos - d->seg[i].start;
	return n;
}

static int
seg_complete(const struct seg *s)
{
	return s->end != UNKNOWN && s->pos >= s->end;
}

static int
all_complete(const struct dl *d)
{
	for (size_t i = 0; i < d->nseg; i++)
		if (!seg_complete(&d->seg[i]))
			return 0;
	return d->nseg > 0;
}

/* The bytes below this are all written. */
static uint64_t
contiguous(const struct dl *d)
{
	uint64_t m = UNKNOWN;

	for (size_t i = 0; i < d->nseg; i++)
		if (!seg_complete(&d->seg[i]) && d->seg[i].pos < m)
			m = d->seg[i].pos;
	if (m == UNKNOWN)
		m = d->total;
	return m;
}

/* ---- hashing behind the writers ---------------------------------------- */

static void *
hash_main(void *arg)
{
	struct dl *d = arg;
	uint8_t *buf = xmalloc(HASH_CHUNK);
	int fd = open(d->part, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		d->herr = errno;
	for (;;) {
		uint64_t target;
		int finish;

		pthread_mutex_lock(&d->mu);
		while (d->hashed >= d->mark && !d->finish && !d->stop)
			pthread_cond_wait(&d->cv, &d->mu);
		target = d->mark;
		finish = d->finish;
		pthread_mutex_unlock(&d->mu);
		if (d->stop || fd < 0)
			break;
		if (d->hashed >= target) {
			if (finish)
				break;
			continue;
		}
		while (d->hashed < target && !d->stop) {
			size_t want = target - d->hashed > HASH_CHUNK ?
			    HASH_CHUNK : (size_t)(target - d->hashed);
			ssize_t n = pread(fd, buf, want, (off_t)d->hashed);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				d->herr = n < 0 ? errno : EIO;
				d->stop = 1;
				break;
			}
			EVP_DigestUpdate(d->sha, buf, (size_t)n);
			if (d->md5 != NULL)
				EVP_DigestUpdate(d->md5, buf, (size_t)n);
			pthread_mutex_lock(&d->mu);
			d->hashed += (uint64_t)n;
			pthread_mutex_unlock(&d->mu);
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static int
hash_start(struct dl *d)
{
	d->hashed = d->mark = d->signalled = 0;
	d->finish = d->stop = d->herr = 0;
	if (EVP_DigestInit_ex(d->sha, EVP_sha256(), NULL) != 1 ||
	    (d->md5 != NULL && EVP_DigestInit_ex(d->md5, EVP_md5(),
	    NULL) != 1))
		return -1;
	d->mark = contiguous(d);
	if (pthread_create(&d->th, NULL, hash_main, d) != 0)
		return -1;
	d->th_on = 1;
	return 0;
}

static void
hash_mark(struct dl *d, int force)
{
	uint64_t m = contiguous(d);

	if (!force && m - d->signalled < (1u << 20))
		return;
	pthread_mutex_lock(&d->mu);
	d->mark = m;
	d->signalled = m;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* finish: hash up to the end first; else just stop. */
static void
hash_end(struct dl *d, int finish)
{
	if (!d->th_on)
		return;
	pthread_mutex_lock(&d->mu);
	if (finish) {
		d->mark = contiguous(d);
		d->finish = 1;
	} else {
		d->stop = 1;
	}
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->th, NULL);
	d->th_on = 0;
}

static void
hex(const unsigned char *md, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[2 * n] = '\0';
}

/* ---- the state file ------------------------------------------------------ */

static const char *
expect(const char *s)
{
	return s != NULL ? s : "";
}

static void
state_save(struct dl *d)
{
	cJSON *j = cJSON_CreateObject(), *a;
	char err[256];

	cJSON_AddNumberToObject(j, "droidmedic_partial", 1);
	cJSON_AddNumberToObject(j, "size", (double)d->total);
	cJSON_AddStringToObject(j, "sha256", expect(d->r->sha256));
	cJSON_AddStringToObject(j, "md5", expect(d->r->md5));
	cJSON_AddStringToObject(j, "url", d->url ? d->url : "");
	cJSON_AddStringToObject(j, "etag", d->etag);
	cJSON_AddStringToObject(j, "last_modified", d->lastmod);
	cJSON_AddBoolToObject(j, "ranges", d->ranges);
	a = cJSON_AddArrayToObject(j, "segments");
	for (size_t i = 0; i < d->nseg; i++) {
		cJSON *s = cJSON_CreateArray();

		cJSON_AddItemToArray(s, cJSON_CreateNumber(
		    (double)d->seg[i].start));
		cJSON_AddItemToArray(s, cJSON_CreateNumber(
		    d->seg[i].end == UNKNOWN ? -1.0 :
		    (double)d->seg[i].end));
		cJSON_AddItemToArray(s, cJSON_CreateNumber(
		    (double)d->seg[i].pos));
		cJSON_AddItemToArray(a, s);
	}
	bklib_save(d->state, j, err, sizeof(err));
	cJSON_Delete(j);
	d->last_save = dm_mono_ms();
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, k));

	return s != NULL ? s : "";
}

static void
seg_reset(struct dl *d)
{
	d->nseg = 1;
	memset(&d->seg[0], 0, sizeof(d->seg[0]));
	d->seg[0].end = d->total ? d->total : UNKNOWN;
	d->seg[0].rcv = 0;
	d->ranges = d->split = 0;
	d->etag[0] = d->lastmod[0] = '\0';
}

/* Do the n segments tile the file: the first from 0, each next where
 * the one before ends, the last at size (or of an end not known yet,
 * size 0)?  A state that does not would leave a hole no one fetches. */
static int
tiles(const struct seg *seg, size_t n, uint64_t size)
{
	uint64_t at = 0;

	for (size_t hits = 0; hits < n; hits++) {
		size_t next = SIZE_MAX;

		for (size_t k = 0; k < n; k++) {
			if (seg[k].start != at)
				continue;
			if (next != SIZE_MAX)
				return 0;	/* two start here */
			next = k;
		}
		if (next == SIZE_MAX)
			return 0;		/* a hole */
		if (seg[next].end == UNKNOWN)
			return hits + 1 == n && size == 0;
		if (seg[next].end <= at)
			return 0;
		at = seg[next].end;
	}
	return size == 0 ? 0 : at == size;
}

/* What a partial left by an earlier call says, when it fits this one;
 * else start afresh.  The partial's size caps what is believed. */
static void
state_load(struct dl *d, const char *first_url)
{
	char *text = NULL;
	size_t len = 0;
	cJSON *j = NULL;
	const cJSON *a, *s;
	struct stat st;
	uint64_t have;
	int ok = 0;

	d->total = d->r->size;
	seg_reset(d);
	if (stat(d->part, &st) != 0)
		return;
	have = (uint64_t)st.st_size;
	if (textfile_read(d->state, 1u << 20, &text, &len) == 0)
		j = cJSON_ParseWithLength(text, len);
	free(text);
	if (j != NULL && strcmp(jstr(j, "sha256"), expect(d->r->sha256)) ==
	    0 && strcmp(jstr(j, "md5"), expect(d->r->md5)) == 0) {
		double size = cJSON_GetNumberValue(
		    cJSON_GetObjectItemCaseSensitive(j, "size"));
		size_t n = 0;

		ok = 1;
		/* Without an expected hash nothing would catch a splice of
		 * two different files: only the same address goes on. */
		if (!*expect(d->r->sha256) && !*expect(d->r->md5) &&
		    strcmp(jstr(j, "url"), first_url) != 0)
			ok = 0;
		if (d->r->size && size > 0 && (uint64_t)size != d->r->size)
			ok = 0;
		a = cJSON_GetObjectItemCaseSensitive(j, "segments");
		cJSON_ArrayForEach(s, a) {
			double v0 = cJSON_GetNumberValue(cJSON_GetArrayItem(s,
			    0));
			double v1 = cJSON_GetNumberValue(cJSON_GetArrayItem(s,
			    1));
			double v2 = cJSON_GetNumberValue(cJSON_GetArrayItem(s,
			    2));

			if (n >= MAX_SEGS || !(v0 >= 0) || !(v2 >= v0) ||
			    (v1 >= 0 && v2 > v1)) {
				ok = 0;
				break;
			}
			d->seg[n].start = (uint64_t)v0;
			d->seg[n].end = v1 < 0 ? UNKNOWN : (uint64_t)v1;
			d->seg[n].pos = (uint64_t)v2;
			/* What the disk does not hold is not there. */
			if (d->seg[n].pos > have)
				d->seg[n].pos = have > d->seg[n].start ?
				    have : d->seg[n].start;
			d->seg[n].rcv = d->seg[n].pos;
			d->seg[n].active = 0;
			d->seg[n].retry_at = 0;
			n++;
		}
		if (ok && !tiles(d->seg, n, size > 0 ? (uint64_t)size : 0))
			ok = 0;
		if (ok && n > 0) {
			d->nseg = n;
			d->total = size > 0 ? (uint64_t)size : 0;
			snprintf(d->etag, sizeof(d->etag), "%s", jstr(j,
			    "etag"));
			snprintf(d->lastmod, sizeof(d->lastmod), "%s", jstr(j,
			    "last_modified"));
			d->ranges = cJSON_IsTrue(
			    cJSON_GetObjectItemCaseSensitive(j, "ranges"));
			d->split = 1;
		} else {
			ok = 0;
		}
	}
	cJSON_Delete(j);
	if (!ok) {
		d->total = d->r->size;
		seg_reset(d);
		if (ftruncate(d->fd, 0) != 0)
			return;
	}
	d->resumed = done_bytes(d);
}

/* ---- one connection ------------------------------------------------------ */

static void
trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n' ||
	    s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* A header line libcurl hands over (not NUL-terminated), as a string
 * cut to the buffer. */
static void
header_line(const char *buf, size_t len, char *line, size_t size)
{
	snprintf(line, size, "%.*s", (int)(len < size - 1 ? len : size - 1),
	    buf);
}

static int
mirror_fail(struct dl *d, int fatal, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
mirror_fail(struct dl *d, int fatal, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->fatal |= fatal;
	return -1;
}

/* The head of the final response: does it give us what we asked for? */
static void
judge(struct conn *c)
{
	struct dl *d = c->d;
	struct seg *s = &d->seg[c->seg];
	uint64_t total = 0;
	char sz[32], want[32];

	c->checked = 1;
	if (c->status == 206 && c->have_cr) {
		if (c->cr_start != s->pos) {
			c->bad = 1;
			mirror_fail(d, 1, "it answered bytes from %llu when "
			    "asked from %llu", (unsigned long long)c->cr_start,
			    (unsigned long long)s->pos);
			return;
		}
		total = c->cr_total;
		d->ranges = 1;
	} else if (c->status == 200 || c->status == 0) {
		if (s->pos > 0 || d->nseg > 1) {
			/* The whole file: ranges refused, or it changed
			 * since (If-Range). */
			c->restart = 1;
			return;
		}
		total = c->have_clen ? c->clen : 0;
		d->ranges = 0;
	} else {
		c->bad = 1;
		mirror_fail(d, 0, "HTTP %ld", c->status);
		return;
	}
	if (total > 0 && d->r->size > 0 && total != d->r->size) {
		size_words(total, sz, sizeof(sz));
		size_words(d->r->size, want, sizeof(want));
		c->bad = 1;
		mirror_fail(d, 1, "it offers %llu bytes (%s), not the %llu "
		    "(%s) expected", (unsigned long long)total, sz,
		    (unsigned long long)d->r->size, want);
		return;
	}
	if (total > 0 && d->total > 0 && total != d->total) {
		c->restart = 1;
		return;
	}
	if (total > 0 && d->total == 0) {
		d->total = total;
		for (size_t i = 0; i < d->nseg; i++)
			if (d->seg[i].end == UNKNOWN)
				d->seg[i].end = total;
	}
	if (d->etag[0] == '\0' && c->etag[0] != '\0' &&
	    strncmp(c->etag, "W/", 2) != 0)
		snprintf(d->etag, sizeof(d->etag), "%s", c->etag);
	if (d->lastmod[0] == '\0' && c->lastmod[0] != '\0')
		snprintf(d->lastmod, sizeof(d->lastmod), "%s", c->lastmod);
}

static size_t
on_header(char *buf, size_t size, size_t n, void *ud)
{
	struct conn *c = ud;
	size_t len = size * n;
	char line[512];

	header_line(buf, len, line, sizeof(line));
	if (strncmp(line, "HTTP/", 5) == 0) {
		const char *sp = strchr(line, ' ');

		c->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
		c->have_cr = c->have_clen = 0;
		c->etag[0] = c->lastmod[0] = '\0';
		return len;
	}
	trim(line);
	if (line[0] == '\0') {
		/* The end of a head: a redirect's or an interim one is not
		 * the answer. */
		if (c->status >= 200 && (c->status < 300 ||
		    c->status == 304) && !c->checked)
			judge(c);
		return len;
	}
	if (strncasecmp(line, "content-range:", 14) == 0) {
		unsigned long long a, b, t;

		if (sscanf(line + 14, " bytes %llu-%llu/%llu", &a, &b, &t) ==
		    3) {
			c->cr_start = a;
			c->cr_total = t;
			c->have_cr = 1;
		}
	} else if (strncasecmp(line, "content-length:", 15) == 0) {
		c->clen = strtoull(line + 15, NULL, 10);
		c->have_clen = 1;
	} else if (strncasecmp(line, "etag:", 5) == 0) {
		const char *v = line + 5;

		v += strspn(v, " \t");
		snprintf(c->etag, sizeof(c->etag), "%s", v);
	} else if (strncasecmp(line, "last-modified:", 14) == 0) {
		const char *v = line + 14;

		v += strspn(v, " \t");
		snprintf(c->lastmod, sizeof(c->lastmod), "%s", v);
	}
	return len;
}

/* Write what the connection holds at its segment's pos. */
static int
conn_flush(struct conn *c)
{
	struct dl *d = c->d;
	struct seg *s = &d->seg[c->seg];
	size_t off = 0;

	while (off < c->blen) {
		ssize_t w = pwrite(d->fd, c->buf + off, c->blen - off,
		    (off_t)(s->pos + off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			c->local = 1;
			mirror_fail(d, 1, "%s%s: %s", errno == ENOSPC ?
			    "the disk is full writing " : "writing ", d->part,
			    strerror(errno));
			s->rcv = s->pos;
			c->blen = 0;
			return -1;
		}
		off += (size_t)w;
	}
	s->pos += c->blen;
	c->blen = 0;
	hash_mark(d, 0);
	return 0;
}

static size_t
on_body(char *buf, size_t size, size_t n, void *ud)
{
	struct conn *c = ud;
	struct dl *d = c->d;
	struct seg *s = &d->seg[c->seg];
	size_t len = size * n, take, off = 0;

	if (!c->checked) {
		if (!d->file_url) {
			c->bad = 1;
			mirror_fail(d, 1, "a body without a status line");
			return 0;
		}
		c->checked = 1;
	}
	if (c->bad || c->restart)
		return 0;
	take = len;
	if (s->end != UNKNOWN && (uint64_t)take > s->end - s->rcv)
		take = (size_t)(s->end - s->rcv);
	/* libcurl hands 16 KiB at a time: gathered into 1 MiB writes. */
	while (off < take) {
		size_t k = WBUF - c->blen;

		if (k > take - off)
			k = take - off;
		memcpy(c->buf + c->blen, buf + off, k);
		c->blen += k;
		s->rcv += k;
		off += k;
		if (c->blen == WBUF && conn_flush(c) < 0)
			return 0;
	}
	c->got += take;
	if (take < len || (s->end != UNKNOWN && s->rcv >= s->end)) {
		if (conn_flush(c) < 0)
			return 0;
		if (take < len) {
			c->reached = 1;
			return 0;
		}
	}
	return len;
}

static void
conn_close(struct dl *d, struct conn *c)
{
	if (c->h == NULL)
		return;
	/* What arrived is good, however the connection ended. */
	if (!c->bad && !c->restart && !c->local)
		conn_flush(c);
	d->seg[c->seg].rcv = d->seg[c->seg].pos;
	curl_multi_remove_handle(d->m, c->h);
	curl_easy_cleanup(c->h);
	curl_slist_free_all(c->hdrs);
	c->h = NULL;
	c->hdrs = NULL;
	if (c->seg < d->nseg)
		d->seg[c->seg].active = 0;
	d->nconn--;
}

static int
conn_open(struct dl *d, size_t si)
{
	struct seg *s = &d->seg[si];
	struct conn *c;
	char range[80], hdr[320];
	int slot = -1;

	for (int i = 0; i < DL_CONNS_MAX; i++)
		if (d->conn[i].h == NULL) {
			slot = i;
			break;
		}
	if (slot < 0)
		return -1;
	c = &d->conn[slot];
	memset(c, 0, sizeof(*c));
	if (d->bufs[slot] == NULL)
		d->bufs[slot] = xmalloc(WBUF);
	c->buf = d->bufs[slot];
	s->rcv = s->pos;
	c->d = d;
	c->seg = si;
	if ((c->h = curl_easy_init()) == NULL)
		return -1;
	common_opts(c->h, d->url, d->r->cacert, d->r->proxy, c->errbuf);
	curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
	if (d->file_url) {
		curl_easy_setopt(c->h, CURLOPT_RESUME_FROM_LARGE,
		    (curl_off_t)s->pos);
	} else {
		if (s->end != UNKNOWN)
			snprintf(range, sizeof(range), "%llu-%llu",
			    (unsigned long long)s->pos,
			    (unsigned long long)s->end - 1);
		else
			snprintf(range, sizeof(range), "%llu-",
			    (unsigned long long)s->pos);
		curl_easy_setopt(c->h, CURLOPT_RANGE, range);
		/* Resuming: only the same file, else the whole anew. */
		if (s->pos > 0 && (d->etag[0] || d->lastmod[0])) {
			snprintf(hdr, sizeof(hdr), "If-Range: %s",
			    d->etag[0] ? d->etag : d->lastmod);
			c->hdrs = curl_slist_append(NULL, hdr);
			curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
		}
	}
	if (curl_multi_add_handle(d->m, c->h) != CURLM_OK) {
		curl_easy_cleanup(c->h);
		curl_slist_free_all(c->hdrs);
		c->h = NULL;
		return -1;
	}
	s->active = 1;
	d->nconn++;
	if (d->nconn > d->conns_used)
		d->conns_used = d->nconn;
	return 0;
}

/* Split the biggest piece left that a connection is on: the new piece is
 * its second half.  The index of the new segment, or -1. */
static int
steal(struct dl *d)
{
	size_t best = SIZE_MAX;
	uint64_t left = 0;

	if (d->nseg >= MAX_SEGS)
		return -1;
	for (size_t i = 0; i < d->nseg; i++) {
		struct seg *s = &d->seg[i];

		if (s->end == UNKNOWN || seg_complete(s))
			continue;
		if (s->end - s->rcv > left) {
			left = s->end - s->rcv;
			best = i;
		}
	}
	if (best == SIZE_MAX || left < 2 * MIN_SPLIT)
		return -1;
	{
		struct seg *s = &d->seg[best], *ns = &d->seg[d->nseg];
		uint64_t mid = s->rcv + left / 2;

		memset(ns, 0, sizeof(*ns));
		ns->start = ns->pos = ns->rcv = mid;
		ns->end = s->end;
		s->end = mid;
	}
	return (int)d->nseg++;
}

/* The first answer said ranges work: cut the rest into pieces for the
 * other connections. */
static void
first_split(struct dl *d)
{
	int want = d->maxconn;

	/* As many pieces as connections, counting those already there. */
	for (size_t i = 0; i < d->nseg; i++)
		if (!seg_complete(&d->seg[i]))
			want--;
	d->split = 1;
	for (int i = 0; i < want; i++) {
		int k = steal(d);

		if (k < 0)
			break;
	}
}

static void
start_conns(struct dl *d, int64_t now)
{
	/* Until the server has said it takes ranges, one connection. */
	int cap = d->ranges && !d->file_url ? d->maxconn : 1;

	if (d->ranges && !d->split && d->total > 0)
		first_split(d);
	for (size_t i = 0; i < d->nseg && d->nconn < cap; i++) {
		struct seg *s = &d->seg[i];

		if (s->active || seg_complete(s) || s->retry_at > now)
			continue;
		if (conn_open(d, i) < 0)
			break;
	}
	/* Idle connections take half of the biggest piece. */
	while (d->ranges && d->split && d->nconn < cap) {
		int k = steal(d);

		if (k < 0 || conn_open(d, (size_t)k) < 0)
			break;
	}
}

static int
is_fatal_code(CURLcode rc, long status)
{
	switch (rc) {
	case CURLE_HTTP_RETURNED_ERROR:
		return !(status == 408 || status == 429 || status >= 500);
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_FILE_COULDNT_READ_FILE:
	case CURLE_REMOTE_FILE_NOT_FOUND:
	case CURLE_LOGIN_DENIED:
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_REMOTE_ACCESS_DENIED:
		return 1;
	default:
		return 0;
	}
}

static int64_t
backoff_ms(int attempt)
{
	int64_t base = env_long("DROIDMEDIC_RETRY_MS", 1000, 0, 600000);
	int64_t v = base;

	for (int i = 1; i < attempt && v < 30000; i++)
		v *= 2;
	return v < 30000 ? v : 30000;
}

static void
progress_tick(struct dl *d, int64_t now, int *cancel)
{
	struct dl_progress p;
	uint64_t done = done_bytes(d);
	int k;

	if (now - d->last_progress < PROGRESS_MS)
		return;
	d->last_progress = now;
	k = d->nsamp % RATE_SAMPLES;
	d->samp_done[k] = done;
	d->samp_ms[k] = now;
	d->nsamp++;
	memset(&p, 0, sizeof(p));
	p.done = done;
	p.total = d->total;
	p.conns = d->nconn;
	p.url = d->url;
	p.eta_s = -1;
	if (d->nsamp > 1) {
		int old = d->nsamp > RATE_SAMPLES ? d->nsamp % RATE_SAMPLES : 0;
		int64_t dt = now - d->samp_ms[old];

		if (dt > 0)
			p.rate = (double)(done - d->samp_done[old]) * 1000.0 /
			    (double)dt;
		if (p.rate > 0 && d->total > done)
			p.eta_s = (int64_t)((double)(d->total - done) /
			    p.rate + 0.999);	/* 0:00 only when done */
	}
	if (d->r->progress != NULL && d->r->progress(d->r->ud, &p) != 0)
		*cancel = 1;
}

enum try_out { TRY_DONE, TRY_FAILED, TRY_CANCEL, TRY_LOCAL };

/* Restart from nothing: the server sent the whole file where a piece was
 * asked for. */
static int
restart_all(struct dl *d)
{
	for (int i = 0; i < DL_CONNS_MAX; i++)
		conn_close(d, &d->conn[i]);
	hash_end(d, 0);
	d->total = d->r->size;
	seg_reset(d);
	if (ftruncate(d->fd, 0) != 0)
		return -1;
	return hash_start(d);
}

/* One mirror, with its retries. */
static enum try_out
try_mirror(struct dl *d)
{
	int cancel = 0, restarts = 0;
	int retries = d->r->retries < 0 ? DL_RETRIES : d->r->retries;

	d->attempts = 0;
	d->fatal = 0;
	d->why[0] = '\0';
	/* Another mirror need not wait out the last one's pause. */
	for (size_t i = 0; i < d->nseg; i++)
		d->seg[i].retry_at = 0;
	for (;;) {
		CURLMsg *msg;
		int left, running;
		int64_t now = dm_mono_ms();

		if (all_complete(d))
			return TRY_DONE;
		start_conns(d, now);
		curl_multi_perform(d->m, &running);
		while ((msg = curl_multi_info_read(d->m, &left)) != NULL) {
			struct conn *c = NULL;
			CURLcode rc = msg->data.result;
			struct seg *s;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&c);
			if (c == NULL)
				continue;
			s = &d->seg[c->seg];
			if (!c->bad && !c->restart && !c->local)
				conn_flush(c);
			if (c->local) {
				conn_close(d, c);
				return TRY_LOCAL;
			}
			if (c->restart) {
				conn_close(d, c);
				if (++restarts > 2) {
					mirror_fail(d, 1, "it keeps sending "
					    "the whole file where a piece was "
					    "asked for");
					goto fail;
				}
				say(d, "%s sent the whole file, not the piece "
				    "asked for (it changed, or it does not "
				    "resume): starting over", d->url);
				if (restart_all(d) < 0) {
					mirror_fail(d, 1, "cannot start over "
					    "in %s", d->part);
					return TRY_LOCAL;
				}
				break;
			}
			/* Everything asked for arrived, whatever the
			 * connection's end says: the hashes judge it. */
			if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR &&
			    c->reached) || (!c->bad && seg_complete(s))) {
				if (s->end == UNKNOWN) {
					s->end = s->pos;
					d->total = s->pos;
				}
				if (!seg_complete(s)) {
					c->bad = 1;
					mirror_fail(d, 0, "the connection "
					    "ended %llu bytes short",
					    (unsigned long long)(s->end -
					    s->pos));
				} else {
					conn_close(d, c);
					continue;
				}
			}
			if (!c->bad) {
				long status = 0;

				curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE,
				    &status);
				if (rc == CURLE_HTTP_RETURNED_ERROR)
					mirror_fail(d, is_fatal_code(rc,
					    status), "HTTP %ld", status);
				else
					mirror_fail(d, is_fatal_code(rc,
					    status), "%s", c->errbuf[0] ?
					    c->errbuf : curl_easy_strerror(rc));
			}
			/* Progress made: the count starts again. */
			if (c->got >= (1u << 20))
				d->attempts = 0;
			conn_close(d, c);
			if (d->fatal)
				goto fail;
			if (++d->attempts > retries)
				goto fail;
			s->retry_at = dm_mono_ms() + backoff_ms(d->attempts);
			say(d, "%s: %s; trying again in %.1f s (%d of %d)",
			    d->url, d->why, (double)backoff_ms(d->attempts) /
			    1000.0, d->attempts, retries);
		}
		hash_mark(d, 1);
		progress_tick(d, dm_mono_ms(), &cancel);
		if (cancel)
			return TRY_CANCEL;
		if (dm_mono_ms() - d->last_save >= SAVE_MS)
			state_save(d);
		curl_multi_poll(d->m, NULL, 0, d->nconn > 0 ? 100 : 50, NULL);
	}
fail:
	for (int i = 0; i < DL_CONNS_MAX; i++)
		conn_close(d, &d->conn[i]);
	return TRY_FAILED;
}

static int
path_parts(struct dl *d, char *err, size_t errlen)
{
	if (snprintf(d->part, sizeof(d->part), "%s.part", d->r->dest) >=
	    (int)sizeof(d->part) || snprintf(d->state, sizeof(d->state),
	    "%s.part.json", d->r->dest) >= (int)sizeof(d->state))
		return dm_fail(err, errlen, DM_EINVAL, "%s: name too long",
		    d->r->dest);
	return 0;
}

static void
fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Close up after a stop that keeps the partial: its bytes on disk, then
 * the state that describes them. */
static void
keep_partial(struct dl *d)
{
	fdatasync(d->fd);
	state_save(d);
}

int
dl_fetch(const struct dl_req *r, struct dl_result *res, char *err,
    size_t errlen)
{
	struct dl d;
	int rc = 0, verified = 0;
	char sz[32];

	pthread_once(&curl_once, curl_init_once);
	memset(res, 0, sizeof(*res));
	memset(&d, 0, sizeof(d));
	d.r = r;
	d.fd = -1;
	if (r->nurls == 0)
		return dm_fail(err, errlen, DM_EINVAL, "no address to "
		    "download from");
	if ((rc = path_parts(&d, err, errlen)) < 0)
		return rc;
	d.maxconn = r->conns > 0 ? r->conns : DL_CONNS;
	if (d.maxconn > DL_CONNS_MAX)
		d.maxconn = DL_CONNS_MAX;
	d.fd = open(d.part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (d.fd < 0)
		return dm_fail(err, errlen, dm_from_errno(errno), "cannot "
		    "create %s: %s", d.part, strerror(errno));
	if (flock(d.fd, LOCK_EX | LOCK_NB) != 0) {
		close(d.fd);
		return dm_fail(err, errlen, DM_EBUSY, "another fetch is "
		    "downloading %s now", r->dest);
	}
	d.conn = xcalloc(DL_CONNS_MAX, sizeof(*d.conn));
	d.m = curl_multi_init();
	d.sha = EVP_MD_CTX_new();
	d.md5 = r->md5 != NULL && *r->md5 ? EVP_MD_CTX_new() : NULL;
	pthread_mutex_init(&d.mu, NULL);
	pthread_cond_init(&d.cv, NULL);
	d.t0 = dm_mono_ms();
	state_load(&d, r->urls[0]);
	if (d.resumed > 0) {
		size_words(d.resumed, sz, sizeof(sz));
		say(&d, "resuming: %s already here (%s)", sz, d.part);
	}
	if (hash_start(&d) < 0) {
		rc = dm_fail(err, errlen, DM_EIO, "cannot start hashing");
		goto out;
	}
	for (size_t u = 0; u < r->nurls; u++) {
		enum try_out t;
		char sch[16];

		d.url = r->urls[u];
		dl_scheme(d.url, sch, sizeof(sch));
		d.file_url = strcmp(sch, "file") == 0;
		if (u > 0)
			say(&d, "trying mirror %zu of %zu: %s", u + 1,
			    r->nurls, d.url);
		/* Another mirror's validator means nothing here. */
		if (u > 0) {
			d.etag[0] = d.lastmod[0] = '\0';
			if (!*expect(r->sha256) && !*expect(r->md5) &&
			    done_bytes(&d) > 0 && restart_all(&d) < 0) {
				rc = dm_fail(err, errlen, DM_EIO, "cannot "
				    "start over in %s", d.part);
				goto out;
			}
		}
		t = try_mirror(&d);
		if (t == TRY_CANCEL) {
			keep_partial(&d);
			size_words(done_bytes(&d), sz, sizeof(sz));
			rc = dm_fail(err, errlen, DM_ECANCEL, "stopped with %s "
			    "downloaded; the same fetch goes on from there",
			    sz);
			goto out;
		}
		if (t == TRY_LOCAL) {
			keep_partial(&d);
			rc = dm_fail(err, errlen, DM_EIO, "%s", d.why);
			goto out;
		}
		if (t == TRY_FAILED) {
			say(&d, "%s: %s%s", d.url, d.why, u + 1 < r->nurls ?
			    "; next mirror" : "");
			continue;
		}
		/* Every byte is here: the hashes decide. */
		hash_end(&d, 1);
		if (d.herr) {
			rc = dm_fail(err, errlen, DM_EIO, "reading %s back to "
			    "hash it: %s", d.part, strerror(d.herr));
			goto out;
		}
		{
			unsigned char md[EVP_MAX_MD_SIZE];
			unsigned mdlen = 0;
			int bad = 0;

			EVP_DigestFinal_ex(d.sha, md, &mdlen);
			hex(md, mdlen, res->sha256);
			if (d.md5 != NULL) {
				EVP_DigestFinal_ex(d.md5, md, &mdlen);
				hex(md, mdlen, res->md5);
			}
			res->size = d.total;
			if (r->size && d.total != r->size) {
				bad = 1;
				snprintf(d.why, sizeof(d.why), "%llu bytes "
				    "arrived, %llu were expected",
				    (unsigned long long)d.total,
				    (unsigned long long)r->size);
			} else if (*expect(r->sha256) && strcasecmp(
			    r->sha256, res->sha256) != 0) {
				bad = 1;
				snprintf(d.why, sizeof(d.why), "its SHA-256 is "
				    "%s, not the %s expected", res->sha256,
				    r->sha256);
			} else if (*expect(r->md5) && strcasecmp(r->md5,
			    res->md5) != 0) {
				bad = 1;
				snprintf(d.why, sizeof(d.why), "its MD5 is %s, "
				    "not the %s expected", res->md5, r->md5);
			}
			if (!bad) {
				verified = 1;
				snprintf(res->url, sizeof(res->url), "%s",
				    d.url);
				break;
			}
			say(&d, "%s: %s: the file is deleted%s", d.url, d.why,
			    u + 1 < r->nurls ? "; next mirror" : "");
			if (restart_all(&d) < 0) {
				rc = dm_fail(err, errlen, DM_EIO, "cannot "
				    "start over in %s", d.part);
				goto out;
			}
			if (u + 1 == r->nurls) {
				hash_end(&d, 0);
				close(d.fd);
				d.fd = -1;
				unlink(d.part);
				unlink(d.state);
				rc = dm_fail(err, errlen, DM_EINVAL, "%s: %s; "
				    "nothing kept", d.url, d.why);
				goto out;
			}
		}
	}
	if (!verified) {
		if (done_bytes(&d) > 0) {
			keep_partial(&d);
		} else {
			unlink(d.part);
			unlink(d.state);
		}
		size_words(done_bytes(&d), sz, sizeof(sz));
		rc = dm_fail(err, errlen, d.fatal ? DM_ENOENT : DM_ECONN,
		    "%s%s: %s%s%s", r->nurls > 1 ? "no mirror could give it; "
		    "the last, " : "", d.url, d.why, done_bytes(&d) > 0 ?
		    "; kept what arrived for the next try: " : "",
		    done_bytes(&d) > 0 ? sz : "");
		goto out;
	}
	if (fsync(d.fd) != 0 || rename(d.part, r->dest) != 0) {
		rc = dm_fail(err, errlen, dm_from_errno(errno), "cannot put "
		    "%s in place: %s", r->dest, strerror(errno));
		goto out;
	}
	unlink(d.state);
	fsync_dir_of(r->dest);
	res->resumed_from = d.resumed;
	res->conns = d.conns_used;
	res->secs = (double)(dm_mono_ms() - d.t0) / 1000.0;
out:
	hash_end(&d, 0);
	for (int i = 0; i < DL_CONNS_MAX; i++)
		conn_close(&d, &d.conn[i]);
	if (d.fd >= 0)
		close(d.fd);
	curl_multi_cleanup(d.m);
	EVP_MD_CTX_free(d.sha);
	EVP_MD_CTX_free(d.md5);
	pthread_mutex_destroy(&d.mu);
	pthread_cond_destroy(&d.cv);
	free(d.conn);
	for (int i = 0; i < DL_CONNS_MAX; i++)
		free(d.bufs[i]);
	return rc;
}

/* ---- small documents ----------------------------------------------------- */

struct docbuf {
	struct dl_doc *out;
	size_t max;
	int over;
};

static size_t
doc_body(char *buf, size_t size, size_t n, void *ud)
{
	struct docbuf *b = ud;
	size_t len = size * n;

	if (b->out->len + len > b->max) {
		b->over = 1;
		return 0;
	}
	b->out->body = xrealloc(b->out->body, b->out->len + len + 1);
	memcpy(b->out->body + b->out->len, buf, len);
	b->out->len += len;
	b->out->body[b->out->len] = '\0';
	return len;
}

static size_t
doc_header(char *buf, size_t size, size_t n, void *ud)
{
	struct docbuf *b = ud;
	size_t len = size * n;
	char line[512];

	header_line(buf, len, line, sizeof(line));
	trim(line);
	if (strncmp(line, "HTTP/", 5) == 0) {
		b->out->etag[0] = b->out->last_modified[0] = '\0';
	} else if (strncasecmp(line, "etag:", 5) == 0) {
		snprintf(b->out->etag, sizeof(b->out->etag), "%s",
		    line + 5 + strspn(line + 5, " \t"));
	} else if (strncasecmp(line, "last-modified:", 14) == 0) {
		snprintf(b->out->last_modified,
		    sizeof(b->out->last_modified), "%s",
		    line + 14 + strspn(line + 14, " \t"));
	}
	return len;
}

int
dl_get_doc(const char *url, const char *etag, const char *last_modified,
    const char *cacert, const struct dl_proxy *proxy, size_t max,
    struct dl_doc *out, char *err, size_t errlen)
{
	struct docbuf b = { .out = out, .max = max };
	struct curl_slist *h = NULL;
	char errbuf[CURL_ERROR_SIZE] = "", hdr[320];
	CURL *c;
	CURLcode rc;
	long status = 0;

	pthread_once(&curl_once, curl_init_once);
	memset(out, 0, sizeof(*out));
	if ((c = curl_easy_init()) == NULL)
		return dm_fail(err, errlen, DM_ENOMEM, "libcurl did not start");
	common_opts(c, url, cacert, proxy, errbuf);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, doc_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, doc_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &b);
	if (etag != NULL && *etag) {
		snprintf(hdr, sizeof(hdr), "If-None-Match: %s", etag);
		h = curl_slist_append(h, hdr);
	}
	if (last_modified != NULL && *last_modified) {
		snprintf(hdr, sizeof(hdr), "If-Modified-Since: %s",
		    last_modified);
		h = curl_slist_append(h, hdr);
	}
	if (h != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	out->status = (int)status;
	if (rc == CURLE_OK && status == 0)	/* file:// */
		out->status = 200;
	if (rc != CURLE_OK || (out->status != 200 && out->status != 304)) {
		free(out->body);
		out->body = NULL;
		out->len = 0;
		if (b.over)
			return dm_fail(err, errlen, DM_ENOMEM, "%s: bigger than "
			    "%zu bytes", url, max);
		if (rc == CURLE_HTTP_RETURNED_ERROR || rc == CURLE_OK)
			return dm_fail(err, errlen, DM_ENOENT, "%s: HTTP %ld",
			    url, status);
		return dm_fail(err, errlen, rc == CURLE_OPERATION_TIMEDOUT ?
		    DM_ETIMEOUT : DM_ECONN, "%s: %s", url, errbuf[0] ?
		    errbuf : curl_easy_strerror(rc));
	}
	if (out->status == 304) {
		free(out->body);
		out->body = NULL;
		out->len = 0;
	} else if (out->body == NULL) {
		out->body = xstrdup("");
	}
	return 0;
}
