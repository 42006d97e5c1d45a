/* rompkg.c - a firmware package read once through (see rompkg.h).
 *
 * libarchive reads the file through our own read callback, which hashes
 * every byte it hands over (SHA-256 and MD5 of the package as stored);
 * whatever libarchive leaves unread at the end (a zip's central
 * directory, tar padding) is read and hashed after it.  No seek callback
 * is given, so a zip is read as a stream, member after member, each
 * member's data decompressed and its checksum checked. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "bytes.h"
#include "err.h"
#include "gzindex.h"
#include "rompkg.h"
#include "sparse.h"
#include "xmem.h"

#define READ_BLOCK	(1u << 20)
#define PROGRESS_STEP	(8u << 20)
#define MAX_MEMBERS	100000
#define TEXT_MAX	(1u << 20)	/* a script or a list: small */

#ifdef EFTYPE
#define ARC_EFORMAT	EFTYPE
#else
#define ARC_EFORMAT	EILSEQ
#endif

/* The package's own hashes (SHA-256 and MD5 over the file as stored)
 * are computed on a thread of their own while the main one decompresses:
 * feed() copies each block read into one of HBUFS buffers. */
#define HBUFS		4
#define HBUF		(1u << 20)

struct hasher {
	pthread_t th;
	int running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *buf[HBUFS];
	size_t len[HBUFS];
	EVP_MD_CTX *to[HBUFS];	/* a member's SHA-256, or NULL: the file's */
	int head, count, stop, fail;
	EVP_MD_CTX *sha, *md5;
};

static void *
hasher_main(void *arg)
{
	struct hasher *h = arg;

	for (;;) {
		int slot;

		pthread_mutex_lock(&h->mu);
		while (h->count == 0 && !h->stop)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->count == 0) {
			pthread_mutex_unlock(&h->mu);
			break;
		}
		slot = h->head;
		pthread_mutex_unlock(&h->mu);
		if (h->to[slot] != NULL) {
			if (EVP_DigestUpdate(h->to[slot], h->buf[slot],
			    h->len[slot]) != 1)
				h->fail = 1;
		} else if (EVP_DigestUpdate(h->sha, h->buf[slot],
		    h->len[slot]) != 1 || EVP_DigestUpdate(h->md5,
		    h->buf[slot], h->len[slot]) != 1)
			h->fail = 1;
		pthread_mutex_lock(&h->mu);
		h->head = (h->head + 1) % HBUFS;
		h->count--;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
	}
	return NULL;
}

static int
hasher_start(struct hasher *h)
{
	h->head = h->count = h->stop = h->fail = 0;
	if (EVP_DigestInit_ex(h->sha, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(h->md5, EVP_md5(), NULL) != 1 ||
	    pthread_create(&h->th, NULL, hasher_main, h) != 0)
		return -1;
	h->running = 1;
	return 0;
}

/* Queue n bytes for the file's hashes (to NULL) or a member's. */
static void
hasher_put_to(struct hasher *h, EVP_MD_CTX *to, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k = n < HBUF ? n : HBUF;
		int slot;

		pthread_mutex_lock(&h->mu);
		while (h->count == HBUFS)
			pthread_cond_wait(&h->cv, &h->mu);
		slot = (h->head + h->count) % HBUFS;
		pthread_mutex_unlock(&h->mu);
		memcpy(h->buf[slot], p, k);
		h->len[slot] = k;
		h->to[slot] = to;
		pthread_mutex_lock(&h->mu);
		h->count++;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		p += k;
		n -= k;
	}
}

static void
hasher_put(struct hasher *h, const uint8_t *p, size_t n)
{
	hasher_put_to(h, NULL, p, n);
}

/* Wait until what is queued is hashed. */
static void
hasher_sync(struct hasher *h)
{
	pthread_mutex_lock(&h->mu);
	while (h->count > 0)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
}

/* Hash what is queued, then stop the thread; 0 unless hashing failed. */
static int
hasher_stop(struct hasher *h)
{
	if (!h->running)
		return 0;
	pthread_mutex_lock(&h->mu);
	h->stop = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->th, NULL);
	h->running = 0;
	return h->fail ? -1 : 0;
}

struct reader {
	int fd;
	uint8_t *buf;
	struct gzbuild *gz;	/* a gzip package: decompressed here */
	char gzerr[256];
	struct hasher h;
	uint64_t done, total, next;
	int (*progress)(void *, uint64_t, uint64_t);
	void *ud;
	int cancelled, ioerr;
};

static int
feed(struct reader *r, const void *p, size_t n)
{
	hasher_put(&r->h, p, n);
	r->done += n;
	if (r->progress != NULL && r->done >= r->next) {
		r->next = r->done + PROGRESS_STEP;
		if (r->progress(r->ud, r->done, r->total) != 0) {
			r->cancelled = 1;
			return -1;
		}
	}
	return 0;
}

static void
feed_cb(void *ud, const void *p, size_t n)
{
	struct reader *r = ud;

	/* A stop asked for by progress() shows at the next read. */
	if (!r->cancelled)
		(void)feed(r, p, n);
}

static la_ssize_t
rd_read(struct archive *a, void *ud, const void **out)
{
	struct reader *r = ud;
	ssize_t n;

	if (r->gz != NULL) {
		if (r->cancelled) {
			archive_set_error(a, ECANCELED, "stopped");
			return -1;
		}
		n = gzbuild_read(r->gz, out, r->gzerr, sizeof(r->gzerr));
		if (n < 0) {
			archive_set_error(a, EIO, "%s", r->gzerr);
			return -1;
		}
		return n;
	}

	do
		n = read(r->fd, r->buf, READ_BLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->ioerr = errno;
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	if (n > 0 && feed(r, r->buf, (size_t)n) < 0) {
		archive_set_error(a, ECANCELED, r->cancelled ? "stopped" :
		    "hashing failed");
		return -1;
	}
	*out = r->buf;
	return n;
}

static void
hex(const unsigned char *md, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static const char *
norm(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return name;
}

/* libarchive's words without a trailing line break or full stop. */
static void
arc_words(struct archive *a, char *out, size_t len)
{
	const char *m = archive_error_string(a);
	size_t n;

	snprintf(out, len, "%s", m != NULL && *m ? m : "no reason given");
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '.' ||
	    out[n - 1] == ' '))
		out[--n] = '\0';
}

/* A member name droidmedic will look at: relative, no "..", printable. */
static int
name_ok(const char *n)
{
	const char *p = n;

	if (*n == '\0' || strlen(n) > 1024)
		return 0;
	for (const unsigned char *c = (const unsigned char *)n; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return 0;
	while (*p) {
		size_t k = strcspn(p, "/");

		if (k == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += k;
		if (*p == '/')
			p++;
	}
	return 1;
}

static const char *
base_of(const char *n)
{
	const char *s = strrchr(n, '/');

	return s ? s + 1 : n;
}

/* Which text a member is, by its name relative to a top folder it may
 * have (one level at most). */
static int
text_role(const char *name)
{
	const char *b = base_of(name);
	int depth = 0;

	for (const char *c = name; *c; c++)
		depth += *c == '/';
	if (strcmp(b, "anti_version.txt") == 0) {
		size_t n = strlen(name);

		return n >= 23 && strncmp(name + n - 23, "images/anti_version"
		    ".txt", 23) == 0 && depth <= 2 ? RT_ANTI : -1;
	}
	if (depth > 1)
		return -1;
	if (strcmp(b, "flash_all.sh") == 0)
		return RT_FLASH_ALL;
	if (strcmp(b, "flash_all_except_storage.sh") == 0)
		return RT_EXCEPT_STORAGE;
	if (strcmp(b, "flash_all_lock.sh") == 0)
		return RT_LOCK;
	if (strcmp(b, "misc.txt") == 0)
		return RT_MISC;
	if (strcmp(b, "android-info.txt") == 0)
		return RT_ANDROID_INFO;
	return -1;
}

/* A member's data as libarchive hands it out, each byte hashed, its
 * first bytes kept (the sparse magic) and, for a text, all of it: a
 * sparse_src, so that the layout is read in the same pass. */
struct mread {
	struct archive *a;
	EVP_MD_CTX *md;
	struct hasher *h;	/* the member's bytes are hashed there */
	const uint8_t *blk;
	size_t blen, boff;
	uint64_t got;		/* bytes consumed */
	int eof;
	int rc;			/* the first failure */
	char why[512];
	char *t;		/* a text's bytes, or NULL */
	size_t tlen;
	uint8_t head[SPARSE_FILE_HDR_SZ];
	size_t nhead;
	const char *path, *name;
};

static int
mr_fail(struct mread *m, int rc, const char *what)
{
	if (m->rc == 0) {
		m->rc = rc;
		snprintf(m->why, sizeof(m->why), "%s", what);
	}
	return rc;
}

/* The next block; 0, or 1 at the member's end, or a dm_err. */
static int
mr_next(struct mread *m)
{
	const void *p;
	size_t n;
	la_int64_t off;
	int r;
	char w[256], msg[512];

	if (m->rc != 0)
		return m->rc;
	r = archive_read_data_block(m->a, &p, &n, &off);
	if (r == ARCHIVE_EOF) {
		m->eof = 1;
		return 1;
	}
	if (r != ARCHIVE_OK) {
		arc_words(m->a, w, sizeof(w));
		snprintf(msg, sizeof(msg), "%s is damaged or cut short: %s (in "
		    "%s)", m->path, w, m->name);
		return mr_fail(m, DM_EIO, msg);
	}
	if ((uint64_t)off != m->got) {
		snprintf(msg, sizeof(msg), "%s: %s is a sparse member "
		    "(holes), which droidmedic does not flash", m->path,
		    m->name);
		return mr_fail(m, DM_EINVAL, msg);
	}
	m->blk = p;
	m->blen = n;
	m->boff = 0;
	return 0;
}

/* Consume up to len bytes (copied to dst unless NULL); how many, 0 at
 * the end, or a dm_err. */
static ssize_t
mr_take(struct mread *m, uint8_t *dst, size_t len)
{
	const uint8_t *p;
	size_t k;

	while (m->boff == m->blen) {
		int r = m->eof ? 1 : mr_next(m);

		if (r == 1)
			return 0;
		if (r < 0)
			return r;
	}
	p = m->blk + m->boff;
	k = m->blen - m->boff < len ? m->blen - m->boff : len;
	if (m->nhead < sizeof(m->head)) {
		size_t h = sizeof(m->head) - m->nhead < k ?
		    sizeof(m->head) - m->nhead : k;

		memcpy(m->head + m->nhead, p, h);
		m->nhead += h;
	}
	if (m->t != NULL) {
		if (m->tlen + k > TEXT_MAX) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s: %s is larger than %u "
			    "bytes: not a script droidmedic reads", m->path,
			    m->name, TEXT_MAX);
			return mr_fail(m, DM_EINVAL, msg);
		}
		memcpy(m->t + m->tlen, p, k);
		m->tlen += k;
	}
	hasher_put_to(m->h, m->md, p, k);
	if (dst != NULL)
		memcpy(dst, p, k);
	m->boff += k;
	m->got += k;
	return (ssize_t)k;
}

static ssize_t
mr_read(void *ud, void *buf, size_t len)
{
	struct mread *m = ud;
	size_t done = 0;

	while (done < len) {
		ssize_t k = mr_take(m, (uint8_t *)buf + done, len - done);

		if (k < 0)
			return k;
		if (k == 0)
			break;
		done += (size_t)k;
	}
	return (ssize_t)done;
}

static int
mr_skip(void *ud, uint64_t len)
{
	struct mread *m = ud;

	while (len > 0) {
		ssize_t k = mr_take(m, NULL, len > SIZE_MAX ? SIZE_MAX :
		    (size_t)len);

		if (k < 0)
			return (int)k;
		if (k == 0)
			return DM_EIO;
		len -= (uint64_t)k;
	}
	return 0;
}

/* Read the member's data to its end: hashed, its layout read (what a
 * flash needs to know of it), and a text kept. */
static int
read_member(struct archive *a, struct hasher *h, struct rom_member *m,
    char **text, size_t *textlen, const char *path, char *err,
    size_t errlen)
{
	struct mread r;
	unsigned char out[32];
	unsigned olen = 0;
	ssize_t k;

	memset(&r, 0, sizeof(r));
	r.a = a;
	r.h = h;
	r.path = path;
	r.name = m->name;
	r.md = EVP_MD_CTX_new();
	if (r.md == NULL || EVP_DigestInit_ex(r.md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(r.md);
		return dm_fail(err, errlen, DM_ENOMEM, "cannot start SHA-256");
	}
	if (text != NULL)
		r.t = xmalloc(TEXT_MAX + 1);
	else if (m->size > 0) {
		/* The layout, from the chunk headers, as the flasher would
		 * read it (a member that is no image just maps as raw). */
		struct sparse_src src = { mr_read, mr_skip, &r };
		char why[256];

		if (sparse_map_read(&src, m->size, SPARSE_BLK_SZ, &m->map, why,
		    sizeof(why)) == 0)
			m->has_map = 1;
	}
	/* The rest, to its end. */
	while (r.rc == 0 && (k = mr_take(&r, NULL, SIZE_MAX)) > 0)
		;
	if (r.rc == 0 && m->size == 0)
		m->size = r.got;	/* a streamed zip says it at the end */
	else if (r.rc == 0 && r.got != m->size)
		mr_fail(&r, DM_EIO, "the member is shorter than its header "
		    "says");
	if (r.rc != 0) {
		if (m->has_map)
			sparse_map_free(&m->map);
		m->has_map = 0;
		dm_fail(err, errlen, r.rc, "%s", r.why);
	}
	hasher_sync(h);
	if (h->fail)
		mr_fail(&r, DM_EIO, "SHA-256 failed");
	if (r.rc == 0 && EVP_DigestFinal_ex(r.md, out, &olen) == 1 &&
	    olen == 32)
		hex(out, 32, m->sha256);
	EVP_MD_CTX_free(r.md);
	m->expanded = m->size;
	if (r.rc == 0 && r.nhead == sizeof(r.head) && sparse_is_sparse(r.head,
	    r.nhead)) {
		m->sparse = 1;
		m->expanded = (uint64_t)le32_get(r.head + 12) *
		    le32_get(r.head + 16);
	}
	if (r.rc == 0 && r.t != NULL) {
		r.t[r.tlen] = '\0';
		*text = r.t;
		*textlen = r.tlen;
	} else
		free(r.t);
	return r.rc;
}

static int
read_all(struct rom_pkg *p, struct reader *r, char *err, size_t errlen)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char why[256];
	int rc = 0, ra;

	if (a == NULL)
		return dm_fail(err, errlen, DM_ENOMEM, "cannot start "
		    "libarchive");
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open2(a, r, NULL, rd_read, NULL, NULL) !=
	    ARCHIVE_OK) {
		int en = archive_errno(a);

		arc_words(a, why, sizeof(why));
		if (r->cancelled)
			rc = dm_fail(err, errlen, DM_ECANCEL, "stopped");
		else if (en == ARC_EFORMAT || en == -1 || en == 0)
			p->kind = ROM_IMAGE;	/* no archive: an image */
		else
			rc = dm_fail(err, errlen, DM_EIO, "%s: %s", p->path,
			    why);
		archive_read_free(a);
		return rc;
	}
	for (;;) {
		struct rom_member *m;
		const char *name;
		int role;

		ra = archive_read_next_header(a, &e);
		if (ra == ARCHIVE_EOF)
			break;
		if (ra != ARCHIVE_OK && ra != ARCHIVE_WARN) {
			arc_words(a, why, sizeof(why));
			if (r->cancelled)
				rc = dm_fail(err, errlen, DM_ECANCEL,
				    "stopped");
			else if (p->n == 0 && archive_format(a) == 0)
				p->kind = ROM_IMAGE;
			else
				rc = dm_fail(err, errlen, DM_EIO, "%s is "
				    "damaged or cut short: %s (after %zu "
				    "members)", p->path, why, p->n);
			break;
		}
		if (p->n == 0) {
			snprintf(p->format, sizeof(p->format), "%s%s%s",
			    archive_format_name(a) ? archive_format_name(a) :
			    "?", r->gz != NULL || archive_filter_count(a) > 1 ?
			    ", " : "", r->gz != NULL ? "gzip" :
			    archive_filter_count(a) > 1 ?
			    archive_filter_name(a, 0) : "");
		}
		name = archive_entry_pathname(e);
		if (name == NULL)
			name = archive_entry_pathname_utf8(e);
		if (name == NULL || !name_ok(norm(name))) {
			rc = dm_fail(err, errlen, DM_EINVAL, "%s holds a "
			    "member with a name droidmedic refuses (absolute, "
			    "\"..\", control characters): %s", p->path,
			    name ? name : "(none)");
			break;
		}
		name = norm(name);
		if (p->n >= MAX_MEMBERS) {
			rc = dm_fail(err, errlen, DM_EINVAL, "%s holds more "
			    "than %d members", p->path, MAX_MEMBERS);
			break;
		}
		if (rompkg_member(p, name) != NULL &&
		    archive_entry_filetype(e) != AE_IFDIR) {
			rc = dm_fail(err, errlen, DM_EINVAL, "%s holds %s "
			    "twice: which one would be flashed?", p->path,
			    name);
			break;
		}
		if (archive_entry_is_encrypted(e)) {
			rc = dm_fail(err, errlen, DM_EUNSUPP, "%s: %s is "
			    "encrypted", p->path, name);
			break;
		}
		p->m = xrealloc(p->m, (p->n + 1) * sizeof(*p->m));
		m = &p->m[p->n++];
		memset(m, 0, sizeof(*m));
		m->name = xstrdup(name);
		m->regular = archive_entry_filetype(e) == AE_IFREG &&
		    (archive_entry_hardlink(e) == NULL ||
		    *archive_entry_hardlink(e) == '\0');
		m->size = archive_entry_size_is_set(e) &&
		    archive_entry_size(e) > 0 ?
		    (uint64_t)archive_entry_size(e) : 0;
		if (!m->regular)
			continue;
		m->offset = (uint64_t)archive_filter_bytes(a, 0);
		role = text_role(name);
		if (role >= 0 && p->text[role] != NULL)
			role = -1;	/* a second one: not ours */
		rc = read_member(a, &r->h, m, role >= 0 ? &p->text[role] :
		    NULL,
		    role >= 0 ? &p->textlen[role] : NULL, p->path, err,
		    errlen);
		if (rc < 0) {
			if (r->cancelled)
				rc = dm_fail(err, errlen, DM_ECANCEL,
				    "stopped");
			break;
		}
	}
	archive_read_free(a);
	return rc;
}

/* The kind, from the layout: the folder holding flash_all.sh and an
 * images/ folder; or image-*.zip next to flash-all.sh. */
static void
classify(struct rom_pkg *p)
{
	const char *script = NULL;

	for (size_t i = 0; i < p->n; i++) {
		const char *b = base_of(p->m[i].name);
		size_t dl = (size_t)(b - p->m[i].name);

		if (strcmp(b, "flash_all.sh") == 0 ||
		    strcmp(b, "flash_all_except_storage.sh") == 0) {
			if (dl < sizeof(p->top)) {
				memcpy(p->top, p->m[i].name, dl);
				p->top[dl] = '\0';
			}
			script = p->m[i].name;
			break;
		}
	}
	if (script != NULL) {
		p->kind = ROM_XIAOMI;
		return;
	}
	for (size_t i = 0; i < p->n; i++) {
		const char *b = base_of(p->m[i].name);
		size_t bl = strlen(b);

		if (strncmp(b, "image-", 6) == 0 && bl > 4 &&
		    strcmp(b + bl - 4, ".zip") == 0) {
			size_t dl = (size_t)(b - p->m[i].name);

			if (dl < sizeof(p->top)) {
				memcpy(p->top, p->m[i].name, dl);
				p->top[dl] = '\0';
			}
			p->kind = ROM_AOSP;
			return;
		}
	}
	p->kind = ROM_UNKNOWN;
}

int
rompkg_open(const char *path, struct rom_pkg *p,
    int (*progress)(void *ud, uint64_t done, uint64_t total), void *ud,
    char *err, size_t errlen)
{
	struct reader r;
	struct stat st;
	unsigned char md[32];
	unsigned mdlen = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	memset(&r, 0, sizeof(r));
	snprintf(p->path, sizeof(p->path), "%s", path);
	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		return dm_fail(err, errlen, dm_from_errno(errno), "%s: %s",
		    path, strerror(errno));
	if (fstat(r.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = dm_fail(err, errlen, DM_EINVAL, "%s is not a file",
		    path);
		close(r.fd);
		return rc;
	}
	p->file_size = (uint64_t)st.st_size;
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec;
	r.total = p->file_size;
	r.progress = progress;
	r.ud = ud;
	r.buf = xmalloc(READ_BLOCK);
	r.h.sha = EVP_MD_CTX_new();
	r.h.md5 = EVP_MD_CTX_new();
	pthread_mutex_init(&r.h.mu, NULL);
	pthread_cond_init(&r.h.cv, NULL);
	for (int i = 0; i < HBUFS; i++)
		r.h.buf[i] = xmalloc(HBUF);
	if (r.h.sha == NULL || r.h.md5 == NULL || hasher_start(&r.h) < 0) {
		rc = dm_fail(err, errlen, DM_ENOMEM, "cannot start hashing");
		goto out;
	}
	/* A gzip package is decompressed by gzindex.c, keeping access
	 * points; libarchive reads the tar out of it. */
	{
		uint8_t magic[3];
		ssize_t n = pread(r.fd, magic, sizeof(magic), 0);

		if (n == (ssize_t)sizeof(magic) && gz_is_gzip(magic, 3) &&
		    (rc = gzbuild_new(r.fd, feed_cb, &r, &r.gz, err,
		    errlen)) < 0)
			goto out;
	}
	rc = read_all(p, &r, err, errlen);
	if (rc == 0 && r.gz != NULL) {
		rc = gzbuild_finish(r.gz, &p->gz, r.gzerr, sizeof(r.gzerr));
		r.gz = NULL;
		if (rc < 0)
			rc = dm_fail(err, errlen, r.cancelled ? DM_ECANCEL :
			    rc, "%s: %s", path, r.cancelled ? "stopped" :
			    r.gzerr);
	}
	if (rc == 0 && r.ioerr)
		rc = dm_fail(err, errlen, dm_from_errno(r.ioerr), "%s: %s",
		    path, strerror(r.ioerr));
	if (rc < 0)
		goto out;
	if (p->kind == ROM_IMAGE) {
		/* Not an archive: start the hashes again over the file. */
		gzidx_free(p->gz);
		p->gz = NULL;
		for (size_t i = 0; i < p->n; i++)
			free(p->m[i].name);
		free(p->m);
		p->m = NULL;
		p->n = 0;
		(void)hasher_stop(&r.h);
		if (lseek(r.fd, 0, SEEK_SET) < 0 || hasher_start(&r.h) < 0) {
			rc = dm_fail(err, errlen, DM_EIO, "%s: cannot read it "
			    "again", path);
			goto out;
		}
		r.done = 0;
		r.next = 0;
		snprintf(p->format, sizeof(p->format), "not an archive");
	}
	/* What libarchive left unread. */
	for (;;) {
		ssize_t n = read(r.fd, r.buf, READ_BLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = dm_fail(err, errlen, dm_from_errno(errno),
			    "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (feed(&r, r.buf, (size_t)n) < 0) {
			rc = dm_fail(err, errlen, r.cancelled ? DM_ECANCEL :
			    DM_EIO, r.cancelled ? "stopped" : "hashing "
			    "failed");
			goto out;
		}
	}
	if (r.done != p->file_size) {
		rc = dm_fail(err, errlen, DM_EIO, "%s changed while being "
		    "read (%" PRIu64 " bytes, not %" PRIu64 ")", path, r.done,
		    p->file_size);
		goto out;
	}
	if (hasher_stop(&r.h) < 0 ||
	    EVP_DigestFinal_ex(r.h.sha, md, &mdlen) != 1 || mdlen != 32) {
		rc = dm_fail(err, errlen, DM_EIO, "SHA-256 failed");
		goto out;
	}
	hex(md, 32, p->sha256);
	if (EVP_DigestFinal_ex(r.h.md5, md, &mdlen) != 1 || mdlen != 16) {
		rc = dm_fail(err, errlen, DM_EIO, "MD5 failed");
		goto out;
	}
	hex(md, 16, p->md5);
	if (p->kind != ROM_IMAGE)
		classify(p);
	if (p->text[RT_MISC] != NULL) {
		const char *t = p->text[RT_MISC];
		size_t n = p->textlen[RT_MISC];
		const char *k = "device=", *b = "build_number=";

		for (const char *l = t; l < t + n;) {
			const char *nl = memchr(l, '\n', (size_t)(t + n - l));
			size_t ll = nl ? (size_t)(nl - l) : (size_t)(t + n - l);
			char *dst = NULL;
			size_t dlen = 0, kl = 0;

			if (ll > strlen(k) && strncmp(l, k, strlen(k)) == 0)
				dst = p->device, dlen = sizeof(p->device),
				kl = strlen(k);
			else if (ll > strlen(b) && strncmp(l, b, strlen(b)) == 0)
				dst = p->build, dlen = sizeof(p->build),
				kl = strlen(b);
			if (dst != NULL) {
				size_t v = ll - kl;

				while (v > 0 && (l[kl + v - 1] == '\r' ||
				    l[kl + v - 1] == ' '))
					v--;
				if (v >= dlen)
					v = dlen - 1;
				memcpy(dst, l + kl, v);
				dst[v] = '\0';
				for (size_t i = 0; i < v; i++)
					if ((unsigned char)dst[i] < 0x20 ||
					    dst[i] == 0x7f)
						dst[i] = '?';
			}
			l += ll + 1;
		}
	}
out:
	gzbuild_free(r.gz);
	(void)hasher_stop(&r.h);
	EVP_MD_CTX_free(r.h.sha);
	EVP_MD_CTX_free(r.h.md5);
	for (int i = 0; i < HBUFS; i++)
		free(r.h.buf[i]);
	pthread_mutex_destroy(&r.h.mu);
	pthread_cond_destroy(&r.h.cv);
	free(r.buf);
	close(r.fd);
	if (rc < 0)
		rompkg_free(p);
	return rc;
}

void
rompkg_free(struct rom_pkg *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->m[i].name);
		if (p->m[i].has_map)
			sparse_map_free(&p->m[i].map);
	}
	gzidx_free(p->gz);
	free(p->m);
	for (int i = 0; i < RT_COUNT; i++)
		free(p->text[i]);
	memset(p, 0, sizeof(*p));
}

const struct rom_member *
rompkg_member(const struct rom_pkg *p, const char *rel)
{
	size_t tl = strlen(p->top);

	for (size_t i = 0; i < p->n; i++) {
		const char *n = p->m[i].name;

		if (p->kind != ROM_UNKNOWN && tl > 0) {
			if (strncmp(n, p->top, tl) != 0)
				continue;
			n += tl;
		}
		if (strcmp(n, rel) == 0)
			return &p->m[i];
	}
	return NULL;
}

int
rompkg_unchanged(const struct rom_pkg *p, char *err, size_t errlen)
{
	struct stat st;

	if (stat(p->path, &st) < 0)
		return dm_fail(err, errlen, dm_from_errno(errno), "%s: %s",
		    p->path, strerror(errno));
	if ((uint64_t)st.st_size != p->file_size || st.st_ino != p->ino ||
	    st.st_dev != p->dev || (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec != p->mtime_ns)
		return dm_fail(err, errlen, DM_EINVAL, "%s changed after it "
		    "was checked: stopping (check it again)", p->path);
	return 0;
}

const char *
rompkg_kind_name(enum rom_kind k)
{
	switch (k) {
	case ROM_XIAOMI:
		return "xiaomi-fastboot";
	case ROM_AOSP:
		return "aosp-factory";
	case ROM_IMAGE:
		return "image";
	default:
		return "unknown";
	}
}
