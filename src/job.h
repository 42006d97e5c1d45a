/* job.h - the job engine: background work on devices, inside the server.
 *
 * A job is a function run on a worker thread for one device (or none, dev
 * id 0).  One job per device runs at a time; jobs for different devices
 * run in parallel up to the worker count.  Jobs report through the event
 * bus: state, throttled progress (about 10 a second), log lines, done.
 * Cancelling sets a flag the job polls with job_cancelled(); the job then
 * returns DM_ECANCEL at its next safe point (a flash never stops
 * mid-write: that is the job's business).
 *
 * The engine owns struct job; a job function borrows it until it returns. */
#ifndef DM_JOB_H
#define DM_JOB_H

#include <stdint.h>

struct evbus;
struct devreg;
struct dev;
struct job;
struct jobeng;

enum job_state {
	JOB_QUEUED = 0,
	JOB_RUNNING,
	JOB_DONE,
	JOB_FAILED,
	JOB_CANCELLED,
};

const char *job_state_name(enum job_state s);

/* Returns 0 or a negative dm_err; the detail goes through job_fail(). */
typedef int (*job_fn)(struct job *job, void *arg);

struct job_info {
	unsigned id;
	unsigned dev_id;
	enum job_state state;
	char kind[32];
	int64_t done, total;
	int err;
	char what[128];		/* current step */
	char errbuf[256];
	int64_t created_ms, started_ms, ended_ms;
};

struct jobeng *jobeng_new(struct evbus *bus, struct devreg *reg,
    int workers);
/* Cancels everything, waits for the workers, frees finished jobs. */
void jobeng_free(struct jobeng *eng);

/* Queue a job; arg is freed with arg_free (may be NULL) after the job.
 * Returns the job id (> 0) or a negative dm_err (DM_ENODEV: no such
 * device row). */
int jobeng_submit(struct jobeng *eng, unsigned dev_id, const char *kind,
    job_fn fn, void *arg, void (*arg_free)(void *));

/* A background job (identification, connecting) only reads: stopping the
 * server cancels it without asking, unlike a flash or a backup. */
#define JOB_BACKGROUND	1
int jobeng_submit_flags(struct jobeng *eng, unsigned dev_id,
    const char *kind, job_fn fn, void *arg, void (*arg_free)(void *),
    int flags);
int jobeng_cancel(struct jobeng *eng, unsigned job_id);
/* Queued plus running jobs; jobeng_active_fg() leaves out background
 * ones. */
int jobeng_active(struct jobeng *eng);
int jobeng_active_fg(struct jobeng *eng);
/* Copy every job still known (finished ones are kept for a while). */
int jobeng_list(struct jobeng *eng, struct job_info **out);
int jobeng_get(struct jobeng *eng, unsigned job_id, struct job_info *out);
/* The job's result (JSON text, malloc'ed copy) or NULL when it has none
 * (or is not known). */
char *jobeng_result(struct jobeng *eng, unsigned job_id);
/* Wait until the job ended or timeout_ms passed; returns its state, or
 * DM_ETIMEOUT / DM_ENOENT. */
int jobeng_wait(struct jobeng *eng, unsigned job_id, int timeout_ms);

/* For job functions. */
unsigned job_id(const struct job *job);
unsigned job_dev_id(const struct job *job);
struct dev *job_dev(struct job *job);	/* borrowed; NULL for dev id 0 */
int job_cancelled(const struct job *job);
void job_progress(struct job *job, int64_t done, int64_t total,
    const char *what);
void job_log(struct job *job, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A structured result for clients (JSON text, copied; replaces any
 * earlier one): what a flash did, say, beyond the one-line errbuf. */
void job_set_result(struct job *job, const char *json);
/* Record the failure text; returns err. */
int job_fail(struct job *job, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
