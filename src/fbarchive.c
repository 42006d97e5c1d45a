/* fbarchive.c - an image to flash streamed out of an archive entry (see
 * fb_image_open_archive in fastboot.h): the libarchive side of the
 * flasher.  Nothing is extracted to disk and nothing is held whole: each
 * pass opens the archive again, walks its headers to the entry and hands
 * the entry's bytes out of libarchive's own blocks.  Which bytes go to
 * the phone, and how, is fastboot.c's business.  The libarchive handle
 * belongs to the image, and so to the job that opened it; it runs on
 * that job's thread. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "err.h"
#include "fastboot.h"
#include "xmem.h"

/* libarchive's read size: a compressed archive is read in blocks this
 * large (libarchive keeps a few). */
#define ARC_BLOCK	(256u << 10)
/* The errno libarchive gives a file in no format it knows (its private
 * ARCHIVE_ERRNO_FILE_FORMAT). */
#ifdef EFTYPE
#define ARC_EFORMAT	EFTYPE
#else
#define ARC_EFORMAT	EILSEQ
#endif
/* How many names like the one asked for a "no such entry" shows. */
#define ARC_SIMILAR	4

struct arc_img {
	struct archive *a;	/* open, positioned inside the entry */
	char *path, *entry;
	uint64_t size;		/* the entry's size, from its header */
	uint64_t pos;		/* bytes handed out (read or skipped) */
	/* The block libarchive gave last: [boff, boff + blen). */
	const uint8_t *blk;
	size_t blen;
	uint64_t boff;
	int eof;		/* libarchive said the entry's data ended */
	int fresh;		/* at the entry's start, nothing asked yet */
	char why[512];		/* the last failure, in words */
	char msg[256];		/* arc_msg() */
};

/* "./images/boot.img" and "images/boot.img" name the same entry. */
static const char *
arc_norm(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return name;
}

/* Whether entry names a and b are the same ("images/" is "images"). */
static int
arc_same(const char *a, const char *b)
{
	size_t na, nb;

	a = arc_norm(a);
	b = arc_norm(b);
	na = strlen(a);
	nb = strlen(b);
	while (na > 0 && a[na - 1] == '/')
		na--;
	while (nb > 0 && b[nb - 1] == '/')
		nb--;
	return na == nb && memcmp(a, b, na) == 0;
}

static const char *
arc_base(const char *name)
{
	const char *s = strrchr(name, '/');

	return s != NULL ? s + 1 : name;
}

/* Entry names like the one asked for, for "no such entry": the same file
 * name in another folder first, then names containing its stem ("boot"
 * for "boot.img"). */
struct similar {
	char name[ARC_SIMILAR][160];
	int score[ARC_SIMILAR];
	int n;
};

static void
similar_add(struct similar *s, const char *want, const char *name)
{
	const char *wb = arc_base(want), *nb = arc_base(name);
	char stem[128];
	size_t k;
	int score = 0, worst = 0;

	if (*nb == '\0' || strlen(name) >= sizeof(s->name[0]))
		return;
	snprintf(stem, sizeof(stem), "%s", wb);
	k = strcspn(stem, ".");
	stem[k] = '\0';
	if (strcasecmp(wb, nb) == 0)
		score = 2;
	else if (k >= 3 && strcasestr(nb, stem) != NULL)
		score = 1;
	if (score == 0)
		return;
	if (s->n < ARC_SIMILAR) {
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
		s->score[s->n++] = score;
		return;
	}
	for (int i = 1; i < s->n; i++)
		if (s->score[i] < s->score[worst])
			worst = i;
	if (s->score[worst] < score) {
		snprintf(s->name[worst], sizeof(s->name[0]), "%s", name);
		s->score[worst] = score;
	}
}

/* libarchive's words for its last error, without the line break some
 * of its messages end with; in x->msg until the next call. */
static const char *
arc_msg(struct arc_img *x)
{
	const char *m = archive_error_string(x->a);
	size_t n;

	snprintf(x->msg, sizeof(x->msg), "%s", m != NULL && *m ? m :
	    "libarchive gave no reason");
	n = strlen(x->msg);
	while (n > 0 && (x->msg[n - 1] == '\n' || x->msg[n - 1] == ' ' ||
	    x->msg[n - 1] == '.'))
		x->msg[--n] = '\0';
	return x->msg;
}

/* Whether the entry can be flashed: a regular file with a size. */
static int
entry_check(struct arc_img *x, struct archive_entry *e, char *err,
    size_t errlen)
{
	const char *link = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);

	if (link != NULL && *link != '\0')
		return dm_fail(err, errlen, DM_EINVAL, "%s in %s is a hard "
		    "link to %s: name that entry instead", x->entry, x->path,
		    link);
	if (type == AE_IFDIR)
		return dm_fail(err, errlen, DM_EINVAL, "%s in %s is a folder, "
		    "not an image", x->entry, x->path);
	if (type == AE_IFLNK)
		return dm_fail(err, errlen, DM_EINVAL, "%s in %s is a "
		    "symbolic link (to %s), not an image", x->entry, x->path,
		    archive_entry_symlink(e) ? archive_entry_symlink(e) : "?");
	if (type != AE_IFREG)
		return dm_fail(err, errlen, DM_EINVAL, "%s in %s is not a "
		    "regular file", x->entry, x->path);
	if (archive_entry_is_encrypted(e))
		return dm_fail(err, errlen, DM_EUNSUPP, "%s in %s is "
		    "encrypted: extract it with its password first", x->entry,
		    x->path);
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
		return dm_fail(err, errlen, DM_EINVAL, "%s in %s has no size "
		    "in its header: the flasher needs it up front (extract "
		    "it first)", x->entry, x->path);
	if (archive_entry_size(e) == 0)
		return dm_fail(err, errlen, DM_EINVAL, "%s in %s is empty",
		    x->entry, x->path);
	return 0;
}

/* An entry's name, also where libarchive cannot put it in this locale's
 * charset. */
static const char *
entry_name(struct archive_entry *e)
{
	const char *n = archive_entry_pathname(e);

	if (n == NULL)
		n = archive_entry_pathname_utf8(e);
	return n != NULL ? n : "";
}

/* Open the archive and walk to the entry.  again: a rewind, when the
 * entry must still be there with the size it had.  On failure the
 * archive is closed (x->a NULL). */
static int arc_walk_to(struct arc_img *x, int again, char *err,
    size_t errlen);

static int
arc_walk(struct arc_img *x, int again, char *err, size_t errlen)
{
	int rc = arc_walk_to(x, again, err, errlen);

	if (rc < 0 && x->a != NULL) {
		archive_read_free(x->a);
		x->a = NULL;
	}
	return rc;
}

static int
arc_walk_to(struct arc_img *x, int again, char *err, size_t errlen)
{
	struct archive_entry *e;
	struct similar sim;
	const char *want = arc_norm(x->entry);
	size_t nent = 0;
	int r, rc;

	if (x->a != NULL)
		archive_read_free(x->a);
	x->blk = NULL;
	x->blen = 0;
	x->boff = 0;
	x->pos = 0;
	x->eof = 0;
	x->fresh = 0;
	x->a = archive_read_new();
	if (x->a == NULL)
		return dm_fail(err, errlen, DM_ENOMEM, "cannot start "
		    "libarchive");
	archive_read_support_filter_all(x->a);
	archive_read_support_format_all(x->a);
	if (archive_read_open_filename(x->a, x->path, ARC_BLOCK) !=
	    ARCHIVE_OK) {
		int en = archive_errno(x->a);

		if (en == ARC_EFORMAT)
			return dm_fail(err, errlen, DM_EINVAL, "%s is not an "
			    "archive droidmedic can read (%s)", x->path,
			    arc_msg(x));
		return dm_fail(err, errlen, en > 0 ? dm_from_errno(en) :
		    DM_EIO, "%s: %s", x->path, arc_msg(x));
	}
	memset(&sim, 0, sizeof(sim));
	for (;;) {
		r = archive_read_next_header(x->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		/* A warning is about a name or a field we do not need; a
		 * damaged header (ARCHIVE_RETRY: libarchive could go looking
		 * for the next good one) makes the whole archive suspect. */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			if (nent == 0 && archive_format(x->a) == 0)
				return dm_fail(err, errlen, DM_EINVAL, "%s is "
				    "not an archive droidmedic can read (%s)",
				    x->path, arc_msg(x));
			return dm_fail(err, errlen, DM_EIO, "%s is damaged or "
			    "incomplete: %s (after %zu entr%s, before %s)",
			    x->path, arc_msg(x), nent, nent == 1 ? "y" :
			    "ies", x->entry);
		}
		nent++;
		if (!arc_same(entry_name(e), want)) {
			if (!again)
				similar_add(&sim, want,
				    arc_norm(entry_name(e)));
			continue;
		}
		rc = entry_check(x, e, err, errlen);
		if (rc < 0)
			return rc;
		if (again && (uint64_t)archive_entry_size(e) != x->size)
			return dm_fail(err, errlen, DM_EINVAL, "%s in %s changed "
			    "while being flashed: %" PRId64 " bytes, not %"
			    PRIu64, x->entry, x->path, archive_entry_size(e),
			    x->size);
		x->size = (uint64_t)archive_entry_size(e);
		x->fresh = 1;
		return 0;
	}
	if (again)
		return dm_fail(err, errlen, DM_ENOENT, "%s is no longer in %s",
		    x->entry, x->path);
	if (sim.n == 0)
		return dm_fail(err, errlen, DM_ENOENT, "%s has no entry %s "
		    "(%zu entr%s, none named like it)", x->path, x->entry, nent,
		    nent == 1 ? "y" : "ies");
	{
		char list[ARC_SIMILAR * 164] = "";
		size_t n = 0;

		/* The same file name first. */
		for (int score = 2; score > 0; score--)
			for (int i = 0; i < sim.n; i++)
				if (sim.score[i] == score)
					n += (size_t)snprintf(list + n,
					    sizeof(list) - n, "%s%s", n ?
					    ", " : "", sim.name[i]);
		return dm_fail(err, errlen, DM_ENOENT, "%s has no entry %s "
		    "(%zu entr%s); like it: %s", x->path, x->entry, nent,
		    nent == 1 ? "y" : "ies", list);
	}
}

/* The next block of the entry's data; at its end, x->eof.  The blocks
 * libarchive gives must move forwards (a sparse entry's holes are the
 * gaps between them). */
static int
arc_next(struct arc_img *x)
{
	const void *p;
	size_t n;
	la_int64_t off;
	int r;

	x->fresh = 0;
	r = archive_read_data_block(x->a, &p, &n, &off);
	if (r == ARCHIVE_EOF) {
		x->eof = 1;
		x->blk = NULL;
		x->blen = 0;
		return 0;
	}
	if (r != ARCHIVE_OK) {
		/* A warning here is a failed checksum or a wrong size. */
		snprintf(x->why, sizeof(x->why), "the archive is damaged or "
		    "incomplete at byte %" PRIu64 " of %s: %s", x->pos,
		    x->entry, arc_msg(x));
		return DM_EIO;
	}
	if (off < 0 || (uint64_t)off < x->boff + x->blen) {
		snprintf(x->why, sizeof(x->why), "libarchive gave %s's data "
		    "out of order (at byte %" PRId64 ")", x->entry,
		    (int64_t)off);
		return DM_EIO;
	}
	x->blk = p;
	x->blen = n;
	x->boff = (uint64_t)off;
	return 0;
}

/* Up to len bytes at x->pos: copied into buf (NULL: passed over).  The
 * count, 0 at the entry's end, or a negative dm_err with x->why set. */
static ssize_t
arc_take(struct arc_img *x, uint8_t *buf, size_t len)
{
	size_t k;
	int rc;

	if (x->a == NULL) {
		snprintf(x->why, sizeof(x->why), "%s is not open", x->path);
		return DM_EIO;
	}
	if (x->pos >= x->size) {
		/* The end: libarchive checks a zip entry's CRC and size when
		 * its data ends, so ask it to end; more data than the header
		 * gives is as wrong as less. */
		while (!x->eof) {
			if ((rc = arc_next(x)) < 0)
				return rc;
			if (!x->eof && x->boff + x->blen > x->size) {
				snprintf(x->why, sizeof(x->why), "%s is "
				    "longer than the %" PRIu64 " bytes its "
				    "header gives: the archive is damaged",
				    x->entry, x->size);
				return DM_EIO;
			}
		}
		return 0;
	}
	if (len > x->size - x->pos)
		len = (size_t)(x->size - x->pos);
	while (x->pos >= x->boff + x->blen && !x->eof)
		if ((rc = arc_next(x)) < 0)
			return rc;
	if (x->pos < x->boff && !x->eof) {
		/* A hole before the next block: zeros. */
		k = x->boff - x->pos < len ? (size_t)(x->boff - x->pos) : len;
		if (buf != NULL)
			memset(buf, 0, k);
	} else if (!x->eof) {
		size_t at = (size_t)(x->pos - x->boff);

		k = x->blen - at < len ? x->blen - at : len;
		if (buf != NULL)
			memcpy(buf, x->blk + at, k);
	} else {
		snprintf(x->why, sizeof(x->why), "%s ends at byte %" PRIu64
		    " but its header gives %" PRIu64 " bytes: the archive is "
		    "damaged or incomplete", x->entry, x->pos, x->size);
		return DM_EIO;
	}
	x->pos += k;
	return (ssize_t)k;
}

static ssize_t
arc_read(void *ud, void *buf, size_t len)
{
	struct arc_img *x = ud;

	if (len == 0)
		return 0;
	return arc_take(x, buf, len);
}

/* Moving on means decompressing on, without copying: libarchive's own
 * skip would not check what it passes (a zip entry's CRC), and the check
 * pass is there to find a damaged archive. */
static int
arc_skip(void *ud, uint64_t len)
{
	struct arc_img *x = ud;

	if (len > x->size - x->pos) {
		snprintf(x->why, sizeof(x->why), "asked to skip past the end "
		    "of %s", x->entry);
		return DM_EINVAL;
	}
	while (len > 0) {
		ssize_t n = arc_take(x, NULL, len > ARC_BLOCK ? ARC_BLOCK :
		    (size_t)len);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return DM_EIO;	/* cannot be: len stays inside */
		len -= (uint64_t)n;
	}
	return 0;
}

static int
arc_rewind(void *ud, char *err, size_t errlen)
{
	struct arc_img *x = ud;

	x->why[0] = '\0';
	if (x->fresh)
		return 0;	/* just opened: already at the start */
	return arc_walk(x, 1, err, errlen);
}

static const char *
arc_why(void *ud)
{
	const struct arc_img *x = ud;

	return x->why;
}

static void
arc_close(void *ud)
{
	struct arc_img *x = ud;

	if (x->a != NULL)
		archive_read_free(x->a);
	free(x->path);
	free(x->entry);
	free(x);
}

int
fb_image_open_archive(struct fb_image *img, const char *archive,
    const char *entry, char *err, size_t errlen)
{
	struct arc_img *x;
	struct stat st;
	int rc;

	memset(img, 0, sizeof(*img));
	if (entry == NULL || *arc_norm(entry) == '\0')
		return dm_fail(err, errlen, DM_EINVAL, "which entry of %s? "
		    "(--entry PATH, as the archive names it)", archive);
	if (stat(archive, &st) < 0)
		return dm_fail(err, errlen, dm_from_errno(errno), "%s: %s",
		    archive, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return dm_fail(err, errlen, DM_EINVAL, "%s: not a regular file",
		    archive);
	x = xcalloc(1, sizeof(*x));
	x->path = xstrdup(archive);
	x->entry = xstrdup(entry);
	rc = arc_walk(x, 0, err, errlen);
	if (rc < 0) {
		arc_close(x);
		return rc;
	}
	img->src.read = arc_read;
	img->src.skip = arc_skip;
	img->src.ud = x;
	img->rewind = arc_rewind;
	img->close = arc_close;
	img->why = arc_why;
	img->size = x->size;
	snprintf(img->name, sizeof(img->name), "%s:%s", archive, entry);
	return 0;
}
