/* xferjob.h - pull and push as bench-server jobs.
 *
 * `droidmedic pull` and `push` hand the copy to the server, which runs it
 * on a worker thread (adbsync over its own ADB connection), so a long
 * pull of a phone's photos goes on when the SSH session that started it
 * drops; `droidmedic jobs attach` follows it again.  Local paths are
 * absolute: the server has its own working folder.  The job's result:
 * {"ok","files","bytes","seconds","direction","remote","local"}. */
#ifndef DM_XFERJOB_H
#define DM_XFERJOB_H

#include <stddef.h>
#include <cjson/cJSON.h>

struct jobeng;

struct xferjob_req {
	char addr[160];		/* where the job opens the phone */
	int push;		/* 0: pull remote to local */
	char remote[1024];
	char local[4096];	/* absolute */
};

/* From a "transfer" op's params: "direction" ("pull" or "push"),
 * "remote", "local" (absolute).  0 or DM_EINVAL with err. */
int xferjob_req_from_json(const cJSON *params, struct xferjob_req *r,
    char *err, size_t errlen);

/* Queue it on dev_id's row (0: a phone not on the bench); the job id or
 * a negative dm_err. */
int xferjob_submit(struct jobeng *eng, unsigned dev_id,
    const struct xferjob_req *r);

/* Connect to addr from a job: the Allow prompt is said in the job's log,
 * cancelling the job stops the wait (the other ADB jobs use it too).
 * 0 or a negative dm_err with err set. */
struct job;
struct adbkeys;
struct adb_conn;
int xferjob_connect(struct job *job, const char *addr, struct adbkeys *keys,
    struct adb_conn **c, char *err, size_t errlen);

/* The same with this user's ADB key loaded for it: the job's progress
 * says "connecting", a key that cannot be loaded fails with
 * "ADB key: ..." (DM_EIO).  0 or a negative dm_err with err set. */
int xferjob_open(struct job *job, const char *addr, struct adb_conn **c,
    char *err, size_t errlen);

/* For a job in the CLI's own process: the request plus "address". */
int xferjob_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen);

#endif
