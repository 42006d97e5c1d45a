/* adbsync.h - the ADB sync service (protocols.md section 7): stat, list,
 * pull and push of single files and whole trees, keeping mtime and mode.
 *
 * A struct adbsync is one "sync:" stream, used by one thread.  Pulling a
 * tree first lists it, then keeps several RECV requests in flight, which
 * is what makes many small files fast. */
#ifndef DM_ADBSYNC_H
#define DM_ADBSYNC_H

#include <stddef.h>
#include <stdint.h>

struct adb_conn;
struct adbsync;

struct adbsync_stat {
	uint32_t mode;		/* st_mode bits, 0 when missing */
	uint64_t size;
	int64_t mtime;
	int error;		/* v2: errno on the phone; 0 ok */
};

/* Called with bytes done / total for the whole operation; return non-zero
 * to cancel (the call then returns DM_ECANCEL). */
typedef int (*adbsync_progress_fn)(void *ud, uint64_t done, uint64_t total,
    const char *path);

struct adbsync *adbsync_open(struct adb_conn *c, char *err, size_t errlen);
void adbsync_close(struct adbsync *s);

/* lstat of a path on the phone; 0 (st->mode 0 when missing) or dm_err. */
int adbsync_stat(struct adbsync *s, const char *path, struct adbsync_stat *st);

/* Pull a file or a tree to local (a file or directory path that must not
 * exist yet, or an existing directory to pull into).  Counts of files and
 * bytes go to *files / *bytes when not NULL. */
int adbsync_pull(struct adbsync *s, const char *remote, const char *local,
    adbsync_progress_fn progress, void *ud, uint64_t *files,
    uint64_t *bytes, char *err, size_t errlen);

/* Push a local file or tree to remote. */
int adbsync_push(struct adbsync *s, const char *local, const char *remote,
    adbsync_progress_fn progress, void *ud, uint64_t *files,
    uint64_t *bytes, char *err, size_t errlen);

/* ---- the pieces a backup and a restore are made of ------------------------ */

/* Walk the tree under remote (a directory), lstat style: links are not
 * followed.  fn gets every entry below remote with its full path, a
 * directory before what it holds; fn returning non-zero stops the walk
 * with that value.  A directory the phone will not list reads as empty
 * (adbd answers DONE), so fn's caller decides what an empty one means. */
typedef int (*adbsync_walk_fn)(void *ud, const char *path,
    const struct adbsync_stat *st);
int adbsync_walk(struct adbsync *s, const char *remote, adbsync_walk_fn fn,
    void *ud, char *err, size_t errlen);

/* Receive many files with requests in flight, into callbacks rather than
 * files.  For file i: begin() once its first answer is in (data follows,
 * maybe none), data() per chunk, end() at its DONE; or failed() when the
 * phone refused it (FAIL: "open failed: Permission denied"), after which
 * the sync service is reopened, as adbd ends it, and the next file goes
 * on.  A callback's non-zero return stops with that value (begin and data
 * may return ADBSYNC_SKIP to drop the rest of that file). */
#define ADBSYNC_SKIP	1
struct adbsync_sink {
	int (*begin)(void *ud, size_t i);
	int (*data)(void *ud, size_t i, const void *buf, size_t len);
	int (*end)(void *ud, size_t i);
	int (*failed)(void *ud, size_t i, const char *why);
};
int adbsync_recv_many(struct adbsync *s, const char *const *paths, size_t n,
    const struct adbsync_sink *k, void *ud, char *err, size_t errlen);

/* Send one file (or, with mode S_IFLNK, a link whose target is the data)
 * in pieces: begin, data as often as needed, end with the mtime to set;
 * end returns the phone's answer (0, or DM_EIO with its FAIL text, after
 * which the stream must be closed). */
int adbsync_send_begin(struct adbsync *s, const char *remote, uint32_t mode,
    char *err, size_t errlen);
int adbsync_send_data(struct adbsync *s, const void *buf, size_t len,
    char *err, size_t errlen);
int adbsync_send_end(struct adbsync *s, int64_t mtime, char *err,
    size_t errlen);

/* Replace a failed sync stream with a new one on the same connection. */
int adbsync_reopen(struct adbsync *s, char *err, size_t errlen);

#endif
