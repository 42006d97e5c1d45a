/* bkarc.h - backup archives on disk: a pax tar compressed with zstd,
 * written and read through libarchive, with SHA-256 of every file taken
 * on the way; the safety rules for member names; the read-back pass.
 *
 * Nothing here speaks to a phone: backup.c feeds the writer from the sync
 * service and restore reads members back out to push them.
 *
 * Member names are relative ("storage/DCIM/Camera/x.jpg").  A name is
 * safe when it is not empty, not absolute, has no ".." component, and,
 * for a symbolic link, the target stays inside the tree too (relative and
 * never climbing above the archive's root).  Hard links, devices, FIFOs
 * and sockets are refused: droidmedic never writes them. */
#ifndef DM_BKARC_H
#define DM_BKARC_H

#include <stddef.h>
#include <stdint.h>

#define BK_HEX	65	/* a SHA-256 in hex, with its NUL */

/* 1 when name (and, for a link, target; NULL otherwise) is safe; else 0
 * with the reason in why. */
int bk_name_safe(const char *name, const char *target, char *why,
    size_t whylen);

/* ---- writing ------------------------------------------------------------- */

struct bkw;

/* Create path (it must not exist: O_EXCL) for a new archive; threads:
 * zstd workers (0: one per CPU).  NULL with err set. */
struct bkw *bkw_create(const char *path, int level, int threads, char *err,
    size_t errlen);

/* A regular file of size bytes: its header is written now, then data
 * until size; bkw_file_end() pads a file that came short with zeros and
 * says how much really came (*got) and its SHA-256 (of what came). */
int bkw_file_begin(struct bkw *w, const char *name, uint64_t size,
    int64_t mtime, uint32_t mode, char *err, size_t errlen);
int bkw_file_data(struct bkw *w, const void *buf, size_t len, char *err,
    size_t errlen);
int bkw_file_end(struct bkw *w, char hex[BK_HEX], uint64_t *got,
    char *err, size_t errlen);

int bkw_dir(struct bkw *w, const char *name, int64_t mtime, uint32_t mode,
    char *err, size_t errlen);
int bkw_link(struct bkw *w, const char *name, const char *target,
    int64_t mtime, char *err, size_t errlen);
/* A whole small file from memory (JSON, text); hex may be NULL. */
int bkw_blob(struct bkw *w, const char *name, const void *data,
    size_t len, int64_t mtime, char hex[BK_HEX], char *err, size_t errlen);

/* Bytes written to disk so far (compressed). */
uint64_t bkw_written(const struct bkw *w);

/* End the archive and fsync it.  0 or a dm_err; the writer is freed
 * either way. */
int bkw_close(struct bkw *w, char *err, size_t errlen);
/* Give up: free the writer and remove the file. */
void bkw_abort(struct bkw *w);

/* ---- reading --------------------------------------------------------------- */

enum bk_type { BK_FILE = 1, BK_DIR, BK_LINK };

struct bkr_member {
	const char *name;
	enum bk_type type;
	uint64_t size;
	int64_t mtime;
	uint32_t mode;		/* permission bits */
	const char *target;	/* BK_LINK */
};

struct bkr;

/* Called per member; read its data with bkr_read() or bkr_hash() (or not
 * at all).  A non-zero return stops the walk with that value. */
typedef int (*bkr_fn)(void *ud, struct bkr *r, const struct bkr_member *m);

/* Walk every member of the archive at path.  An unsafe member (see above)
 * stops it with DM_EINVAL and the reason, before fn sees it.  A truncated
 * or corrupt archive stops with DM_EIO once the members before the damage
 * were given to fn. */
int bkr_each(const char *path, bkr_fn fn, void *ud, char *err,
    size_t errlen);
/* Up to len bytes of the current member: the count, 0 at its end, or a
 * negative dm_err. */
long bkr_read(struct bkr *r, void *buf, size_t len);
/* Read the rest of the member, hashing it: 0 or a dm_err; *size gets the
 * bytes read. */
int bkr_hash(struct bkr *r, char hex[BK_HEX], uint64_t *size, char *err,
    size_t errlen);

/* The SHA-256 of a buffer, in hex. */
void bk_sha256_hex(const void *data, size_t len, char hex[BK_HEX]);

#endif
