/* bkarc.c - backup archives on disk (see bkarc.h). */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bkarc.h"
#include "err.h"
#include "xmem.h"

#define RD_BLOCK	(256 * 1024)
#define WR_BLOCK	(1024 * 1024)

static void
to_hex(const unsigned char *md, unsigned n, char hex[BK_HEX])
{
	static const char d[] = "0123456789abcdef";

	for (unsigned i = 0; i < n && i < 32; i++) {
		hex[2 * i] = d[md[i] >> 4];
		hex[2 * i + 1] = d[md[i] & 15];
	}
	hex[64] = '\0';
}

void
bk_sha256_hex(const void *data, size_t len, char hex[BK_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	to_hex(md, n, hex);
}

/* ---- names ------------------------------------------------------------- */

/* Count the components of a relative path, -1 when one is "..". */
static int
depth_of(const char *p, int start, int *min_seen)
{
	int d = start;

	*min_seen = start;
	while (*p != '\0') {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.')
			d--;
		else if (n > 0 && !(n == 1 && p[0] == '.'))
			d++;
		if (d < *min_seen)
			*min_seen = d;
		p += n;
		while (*p == '/')
			p++;
	}
	return d;
}

int
bk_name_safe(const char *name, const char *target, char *why,
    size_t whylen)
{
	const char *p;
	int min, d;

	if (name == NULL || name[0] == '\0') {
		snprintf(why, whylen, "a member without a name");
		return 0;
	}
	if (name[0] == '/') {
		snprintf(why, whylen, "absolute path %s", name);
		return 0;
	}
	for (p = name; *p != '\0'; ) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			snprintf(why, whylen, "%s climbs out with \"..\"",
			    name);
			return 0;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	if (target == NULL)
		return 1;
	if (target[0] == '\0' || target[0] == '/') {
		snprintf(why, whylen, "link %s points outside the backup (%s)",
		    name, target[0] ? target : "empty target");
		return 0;
	}
	/* The link sits in its parent folder: depth of name minus one. */
	d = depth_of(name, 0, &min) - 1;
	depth_of(target, d, &min);
	if (min < 0) {
		snprintf(why, whylen, "link %s points outside the backup (%s)",
		    name, target);
		return 0;
	}
	return 1;
}

/* ---- writing ----------------------------------------------------------- */

struct bkw {
	struct archive *a;
	char *path;
	int fd;
	int werr;		/* errno of the last failed write */
	uint64_t written;
	/* The file being written. */
	EVP_MD_CTX *md;
	uint64_t want, got;
	int in_file;
};

static la_ssize_t
w_write(struct archive *a, void *ud, const void *buf, size_t len)
{
	struct bkw *w = ud;
	const char *p = buf;
	size_t left = len;

	while (left > 0) {
		ssize_t n = write(w->fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			w->werr = errno;
			archive_set_error(a, errno, "%s", strerror(errno));
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	w->written += len;
	return (la_ssize_t)len;
}

static int
arc_fail(struct bkw *w, char *err, size_t errlen, const char *what)
{
	int en = w->werr ? w->werr : archive_errno(w->a);

	if (en == ENOSPC || en == EDQUOT)
		return dm_fail(err, errlen, DM_EIO, "the disk is full writing "
		    "%s (%s)", w->path, strerror(en));
	return dm_fail(err, errlen, DM_EIO, "%s: %s: %s", w->path, what,
	    archive_error_string(w->a) ? archive_error_string(w->a) :
	    strerror(en ? en : EIO));
}

struct bkw *
bkw_create(const char *path, int level, int threads, char *err,
    size_t errlen)
{
	struct bkw *w;
	char opts[96];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		dm_fail(err, errlen, dm_from_errno(errno), "cannot create %s: "
		    "%s", path, strerror(errno));
		return NULL;
	}
	/* Held while it is written: a later backup salvages only a .part
	 * nobody holds (one left by a process that died). */
	flock(fd, LOCK_EX | LOCK_NB);
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->path = xstrdup(path);
	w->a = archive_write_new();
	if (threads <= 0)
		threads = cpus > 0 ? (int)cpus : 1;
	snprintf(opts, sizeof(opts), "zstd:compression-level=%d,"
	    "zstd:threads=%d", level, threads);
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_add_filter_zstd(w->a) != ARCHIVE_OK ||
	    archive_write_set_options(w->a, opts) != ARCHIVE_OK ||
	    /* Whole MiB writes, not tar's 10 KiB blocks (100 times
	     * fewer system calls); the last one unpadded. */
	    archive_write_set_bytes_per_block(w->a, WR_BLOCK) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open2(w->a, w, NULL, w_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		arc_fail(w, err, errlen, "cannot start the archive");
		bkw_abort(w);
		return NULL;
	}
	return w;
}

static struct archive_entry *
new_entry(const char *name, unsigned type, uint32_t mode, int64_t mtime)
{
	struct archive_entry *e = archive_entry_new();

	/* As bytes: the UTF-8 setters crash libarchive 3.6's pax writer in
	 * the C locale (libarchive #2233), and a phone's names need not be
	 * UTF-8.  A name the locale cannot convert is stored as it is
	 * (hdrcharset=BINARY), with a warning that is no error. */
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, mode & 07777);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	return e;
}

int
bkw_file_begin(struct bkw *w, const char *name, uint64_t size,
    int64_t mtime, uint32_t mode, char *err, size_t errlen)
{
	struct archive_entry *e = new_entry(name, AE_IFREG, mode, mtime);
	int rc;

	archive_entry_set_size(e, (la_int64_t)size);
	rc = archive_write_header(w->a, e);
	archive_entry_free(e);
	if (rc < ARCHIVE_WARN)
		return arc_fail(w, err, errlen, name);
	if (w->md == NULL)
		w->md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(w->md, EVP_sha256(), NULL);
	w->want = size;
	w->got = 0;
	w->in_file = 1;
	return 0;
}

int
bkw_file_data(struct bkw *w, const void *buf, size_t len, char *err,
    size_t errlen)
{
	size_t room = w->got < w->want ? (size_t)(w->want - w->got) : 0;
	size_t n = len < room ? len : room;

	/* The hash is of what came, all of it: a file that grew hashes
	 * differently from what was kept, and the caller sees got > want. */
	EVP_DigestUpdate(w->md, buf, len);
	w->got += len;
	if (n > 0 && archive_write_data(w->a, buf, n) < 0)
		return arc_fail(w, err, errlen, "write");
	return 0;
}

int
bkw_file_end(struct bkw *w, char hex[BK_HEX], uint64_t *got, char *err,
    size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_DigestFinal_ex(w->md, md, &n);
	to_hex(md, n, hex);
	*got = w->got;
	w->in_file = 0;
	/* libarchive pads a member that came short with zeros. */
	if (archive_write_finish_entry(w->a) < ARCHIVE_WARN)
		return arc_fail(w, err, errlen, "write");
	return 0;
}

int
bkw_dir(struct bkw *w, const char *name, int64_t mtime, uint32_t mode,
    char *err, size_t errlen)
{
	struct archive_entry *e = new_entry(name, AE_IFDIR, mode, mtime);
	int rc = archive_write_header(w->a, e);

	archive_entry_free(e);
	return rc < ARCHIVE_WARN ? arc_fail(w, err, errlen, name) : 0;
}

int
bkw_link(struct bkw *w, const char *name, const char *target,
    int64_t mtime, char *err, size_t errlen)
{
	struct archive_entry *e = new_entry(name, AE_IFLNK, 0777, mtime);
	int rc;

	archive_entry_set_symlink(e, target);
	rc = archive_write_header(w->a, e);
	archive_entry_free(e);
	return rc < ARCHIVE_WARN ? arc_fail(w, err, errlen, name) : 0;
}

int
bkw_blob(struct bkw *w, const char *name, const void *data, size_t len,
    int64_t mtime, char hex[BK_HEX], char *err, size_t errlen)
{
	char h[BK_HEX];
	uint64_t got;
	int rc;

	rc = bkw_file_begin(w, name, len, mtime, 0644, err, errlen);
	if (rc == 0 && len > 0)
		rc = bkw_file_data(w, data, len, err, errlen);
	if (rc == 0)
		rc = bkw_file_end(w, hex ? hex : h, &got, err, errlen);
	return rc;
}

uint64_t
bkw_written(const struct bkw *w)
{
	return w->written;
}

static void
bkw_free(struct bkw *w)
{
	if (w->a != NULL)
		archive_write_free(w->a);
	if (w->md != NULL)
		EVP_MD_CTX_free(w->md);
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w);
}

int
bkw_close(struct bkw *w, char *err, size_t errlen)
{
	int rc = 0;

	if (archive_write_close(w->a) != ARCHIVE_OK)
		rc = arc_fail(w, err, errlen, "cannot finish the archive");
	else if (fsync(w->fd) < 0)
		rc = dm_fail(err, errlen, DM_EIO, "fsync %s: %s", w->path,
		    strerror(errno));
	if (close(w->fd) < 0 && rc == 0)
		rc = dm_fail(err, errlen, DM_EIO, "close %s: %s", w->path,
		    strerror(errno));
	w->fd = -1;
	bkw_free(w);
	return rc;
}

void
bkw_abort(struct bkw *w)
{
	if (w == NULL)
		return;
	unlink(w->path);
	bkw_free(w);
}

/* ---- reading ----------------------------------------------------------- */

struct bkr {
	struct archive *a;
	EVP_MD_CTX *md;
};

long
bkr_read(struct bkr *r, void *buf, size_t len)
{
	la_ssize_t n = archive_read_data(r->a, buf, len);

	return n < 0 ? DM_EIO : (long)n;
}

int
bkr_hash(struct bkr *r, char hex[BK_HEX], uint64_t *size, char *err,
    size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	const void *buf;
	size_t len;
	la_int64_t off;
	uint64_t n = 0;
	unsigned mdlen = 0;
	int rc;

	if (r->md == NULL)
		r->md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(r->md, EVP_sha256(), NULL);
	while ((rc = archive_read_data_block(r->a, &buf, &len, &off)) ==
	    ARCHIVE_OK) {
		EVP_DigestUpdate(r->md, buf, len);
		n += len;
	}
	if (rc != ARCHIVE_EOF)
		return dm_fail(err, errlen, DM_EIO, "%s",
		    archive_error_string(r->a) ? archive_error_string(r->a) :
		    "read error");
	EVP_DigestFinal_ex(r->md, md, &mdlen);
	to_hex(md, mdlen, hex);
	*size = n;
	return 0;
}

/* The index of a link name is a folder of, or -1. */
static long
under_link(char **links, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(links[i]);

		if (strncmp(name, links[i], l) == 0 && name[l] == '/')
			return (long)i;
	}
	return -1;
}

static const char *
member_name(struct archive_entry *e)
{
	const char *n = archive_entry_pathname_utf8(e);

	return n != NULL ? n : archive_entry_pathname(e);
}

int
bkr_each(const char *path, bkr_fn fn, void *ud, char *err, size_t errlen)
{
	struct bkr r = { 0 };
	struct archive_entry *e;
	char *namebuf = NULL, **links = NULL;
	size_t nlinks = 0;
	long k;
	int rc = 0;

	r.a = archive_read_new();
	/* Ours are zstd; nothing that would start an outside program. */
	archive_read_support_filter_zstd(r.a);
	archive_read_support_filter_none(r.a);
	archive_read_support_format_tar(r.a);
	if (archive_read_open_filename(r.a, path, RD_BLOCK) != ARCHIVE_OK) {
		int en = archive_errno(r.a);

		rc = dm_fail(err, errlen, en == ENOENT ? DM_ENOENT : DM_EIO,
		    "%s: %s", path, archive_error_string(r.a) ?
		    archive_error_string(r.a) : strerror(en ? en : EIO));
		archive_read_free(r.a);
		return rc;
	}
	for (;;) {
		struct bkr_member m = { 0 };
		char why[300];
		unsigned type;
		int h = archive_read_next_header(r.a, &e);

		if (h == ARCHIVE_EOF)
			break;
		if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
			rc = dm_fail(err, errlen, DM_EIO, "%s is damaged or "
			    "cut short: %s", path, archive_error_string(r.a) ?
			    archive_error_string(r.a) : "read error");
			break;
		}
		m.name = member_name(e);
		/* A folder is stored as "name/". */
		if (m.name != NULL) {
			size_t l = strlen(m.name);

			free(namebuf);
			namebuf = xstrdup(m.name);
			while (l > 1 && namebuf[l - 1] == '/')
				namebuf[--l] = '\0';
			m.name = namebuf;
		}
		type = archive_entry_filetype(e);
		if (archive_entry_hardlink(e) != NULL) {
			rc = dm_fail(err, errlen, DM_EINVAL, "%s: refused: hard "
			    "link %s (droidmedic never writes one)", path,
			    m.name ? m.name : "?");
			break;
		}
		if (type == AE_IFREG)
			m.type = BK_FILE;
		else if (type == AE_IFDIR)
			m.type = BK_DIR;
		else if (type == AE_IFLNK)
			m.type = BK_LINK;
		else {
			rc = dm_fail(err, errlen, DM_EINVAL, "%s: refused: %s is "
			    "a device, FIFO or socket", path, m.name ? m.name :
			    "?");
			break;
		}
		if (m.type == BK_LINK) {
			m.target = archive_entry_symlink_utf8(e);
			if (m.target == NULL)
				m.target = archive_entry_symlink(e);
			if (m.target == NULL)
				m.target = "";
		}
		if (!bk_name_safe(m.name, m.type == BK_LINK ? m.target : NULL,
		    why, sizeof(why))) {
			rc = dm_fail(err, errlen, DM_EINVAL, "%s: refused: %s",
			    path, why);
			break;
		}
		/* Links are safe one by one, not chained: nothing may lie
		 * below a link the archive made (d -> .., then d/e -> ..,
		 * then d/e/x would land above the root). */
		if ((k = under_link(links, nlinks, m.name)) >= 0) {
			rc = dm_fail(err, errlen, DM_EINVAL, "%s: refused: %s "
			    "lies below the link %s", path, m.name, links[k]);
			break;
		}
		if (m.type == BK_FILE && archive_entry_sparse_count(e) > 0) {
			rc = dm_fail(err, errlen, DM_EINVAL, "%s: refused: %s "
			    "is a sparse member (droidmedic never writes one)",
			    path, m.name);
			break;
		}
		if (m.type == BK_LINK) {
			links = xrealloc(links, (nlinks + 1) * sizeof(*links));
			links[nlinks++] = xstrdup(m.name);
		}
		m.size = archive_entry_size_is_set(e) &&
		    archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) :
		    0;
		m.mtime = (int64_t)archive_entry_mtime(e);
		m.mode = archive_entry_perm(e) & 07777;
		rc = fn(ud, &r, &m);
		if (rc != 0)
			break;
	}
	if (r.md != NULL)
		EVP_MD_CTX_free(r.md);
	archive_read_free(r.a);
	free(namebuf);
	for (size_t i = 0; i < nlinks; i++)
		free(links[i]);
	free(links);
	return rc;
}
