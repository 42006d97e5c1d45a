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

#endif
