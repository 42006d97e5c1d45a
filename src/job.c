/* job.c - the job engine (see job.h).
 *
 * A fixed pool of worker threads takes queued jobs in submission order,
 * skipping a job whose device already has one running.  The engine lock
 * guards the job list and every job's info; job functions run without it.
 * Events go out through the bus after the lock is released.  Finished jobs
 * stay listed (the newest JOB_KEEP_DONE of them) so that a dashboard that
 * attaches later still sees how they ended. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dev.h"
#include "err.h"
#include "ev.h"
#include "job.h"
#include "log.h"
#include "xmem.h"

#define JOB_KEEP_DONE		64
#define JOB_PROGRESS_MS		100	/* at most ~10 progress events/s */
#define JOB_MAX_WORKERS		64

struct job {
	struct jobeng *eng;
	job_fn fn;
	void *arg;
	void (*arg_free)(void *);
	struct dev *dev;
	atomic_int cancel;
	int64_t last_progress_ms;
	int flags;
	char *result;			/* JSON text, under eng->lock */
	struct job_info info;		/* under eng->lock */
	struct job *next;
};

struct jobeng {
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a job became runnable, or stop */
	pthread_cond_t ended;		/* a job reached a final state */
	pthread_t *threads;
	int nthreads;
	int stop;
	struct job *head, *tail;	/* submission order */
	unsigned next_id;
	struct evbus *bus;
	struct devreg *reg;
};

const char *
job_state_name(enum job_state s)
{
	switch (s) {
	case JOB_QUEUED:	return "queued";
	case JOB_RUNNING:	return "running";
	case JOB_DONE:		return "done";
	case JOB_FAILED:	return "failed";
	case JOB_CANCELLED:	return "cancelled";
	}
	return "unknown";
}

static int
is_final(enum job_state s)
{
	return s == JOB_DONE || s == JOB_FAILED || s == JOB_CANCELLED;
}

static void
post(struct jobeng *eng, enum ev_type type, const struct job_info *ji,
    const char *text)
{
	struct ev ev;

	if (eng->bus == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.job_id = ji->id;
	ev.dev_id = ji->dev_id;
	ev.done = ji->done;
	ev.total = ji->total;
	ev.state = (int)ji->state;
	ev.err = ji->err;
	snprintf(ev.kind, sizeof(ev.kind), "%s", ji->kind);
	snprintf(ev.text, sizeof(ev.text), "%s", text ? text : "");
	evbus_post(eng->bus, &ev);
}

static void
job_destroy(struct job *j)
{
	if (j->arg_free != NULL)
		j->arg_free(j->arg);
	if (j->dev != NULL)
		dev_unref(j->dev);
	free(j->result);
	free(j);
}

/* Drop the oldest finished jobs beyond JOB_KEEP_DONE.  Lock held. */
static void
prune(struct jobeng *eng)
{
	int done = 0;

	for (struct job *j = eng->head; j != NULL; j = j->next)
		if (is_final(j->info.state))
			done++;
	for (struct job **pp = &eng->head; *pp != NULL && done > JOB_KEEP_DONE;) {
		struct job *j = *pp;

		if (is_final(j->info.state)) {
			*pp = j->next;
			if (eng->tail == j) {
				eng->tail = NULL;
				for (struct job *t = eng->head; t; t = t->next)
					eng->tail = t;
			}
			job_destroy(j);
			done--;
		} else {
			pp = &j->next;
		}
	}
}

static int
dev_busy(struct jobeng *eng, unsigned dev_id)
{
	if (dev_id == 0)
		return 0;
	for (struct job *j = eng->head; j != NULL; j = j->next)
		if (j->info.state == JOB_RUNNING && j->info.dev_id == dev_id)
			return 1;
	return 0;
}

static struct job *
next_runnable(struct jobeng *eng)
{
	for (struct job *j = eng->head; j != NULL; j = j->next)
		if (j->info.state == JOB_QUEUED && !dev_busy(eng, j->info.dev_id))
			return j;
	return NULL;
}

static void *
worker(void *arg)
{
	struct jobeng *eng = arg;
	struct job_info snap;
	struct job *j;
	int rc;

	pthread_mutex_lock(&eng->lock);
	for (;;) {
		while (!eng->stop && (j = next_runnable(eng)) == NULL)
			pthread_cond_wait(&eng->work, &eng->lock);
		if (eng->stop)
			break;
		j->info.state = JOB_RUNNING;
		j->info.started_ms = dm_now_ms();
		snap = j->info;
		pthread_mutex_unlock(&eng->lock);

		post(eng, EV_JOB_STATE, &snap, "running");
		log_set_thread_job(snap.id);
		log_info("job", "%s started on device %u", snap.kind,
		    snap.dev_id);
		if (atomic_load(&j->cancel))
			rc = DM_ECANCEL;
		else
			rc = j->fn(j, j->arg);
		log_set_thread_job(0);

		pthread_mutex_lock(&eng->lock);
		j->info.err = rc;
		j->info.ended_ms = dm_now_ms();
		if (rc == 0)
			j->info.state = JOB_DONE;
		else if (rc == DM_ECANCEL)
			j->info.state = JOB_CANCELLED;
		else
			j->info.state = JOB_FAILED;
		if (rc < 0 && j->info.errbuf[0] == '\0')
			snprintf(j->info.errbuf, sizeof(j->info.errbuf), "%s",
			    dm_strerror(rc));
		snap = j->info;
		prune(eng);
		/* The done event is queued before anyone waiting hears the
		 * job ended (the bus has its own lock; it never calls us). */
		post(eng, EV_JOB_DONE, &snap,
		    rc ? snap.errbuf : job_state_name(snap.state));
		pthread_cond_broadcast(&eng->ended);
		pthread_cond_broadcast(&eng->work);	/* its device is free */
		pthread_mutex_unlock(&eng->lock);

		log_info("job", "job %u (%s) %s%s%s", snap.id, snap.kind,
		    job_state_name(snap.state), rc ? ": " : "",
		    rc ? snap.errbuf : "");
		pthread_mutex_lock(&eng->lock);
	}
	pthread_mutex_unlock(&eng->lock);
	return NULL;
}

struct jobeng *
jobeng_new(struct evbus *bus, struct devreg *reg, int workers)
{
	struct jobeng *eng = xcalloc(1, sizeof(*eng));

	if (workers < 1)
		workers = 1;
	if (workers > JOB_MAX_WORKERS)
		workers = JOB_MAX_WORKERS;
	pthread_mutex_init(&eng->lock, NULL);
	pthread_cond_init(&eng->work, NULL);
	pthread_cond_init(&eng->ended, NULL);
	eng->bus = bus;
	eng->reg = reg;
	eng->next_id = 1;
	eng->threads = xcalloc((size_t)workers, sizeof(*eng->threads));
	for (int i = 0; i < workers; i++) {
		if (pthread_create(&eng->threads[i], NULL, worker, eng) != 0)
			dm_fatal("job: cannot start a worker thread");
		eng->nthreads++;
	}
	return eng;
}

void
jobeng_free(struct jobeng *eng)
{
	struct job *j, *next;

	if (eng == NULL)
		return;
	pthread_mutex_lock(&eng->lock);
	eng->stop = 1;
	for (j = eng->head; j != NULL; j = j->next)
		atomic_store(&j->cancel, 1);
	pthread_cond_broadcast(&eng->work);
	pthread_mutex_unlock(&eng->lock);
	for (int i = 0; i < eng->nthreads; i++)
		pthread_join(eng->threads[i], NULL);
	for (j = eng->head; j != NULL; j = next) {
		next = j->next;
		job_destroy(j);
	}
	free(eng->threads);
	pthread_cond_destroy(&eng->work);
	pthread_cond_destroy(&eng->ended);
	pthread_mutex_destroy(&eng->lock);
	free(eng);
}

int
jobeng_submit(struct jobeng *eng, unsigned dev_id, const char *kind,
    job_fn fn, void *arg, void (*arg_free)(void *))
{
	return jobeng_submit_flags(eng, dev_id, kind, fn, arg, arg_free, 0);
}

int
jobeng_submit_flags(struct jobeng *eng, unsigned dev_id, const char *kind,
    job_fn fn, void *arg, void (*arg_free)(void *), int flags)
{
	struct dev *dev = NULL;
	struct job_info snap;
	struct job *j;

	if (fn == NULL || kind == NULL) {
		if (arg_free != NULL)
			arg_free(arg);
		return DM_EINVAL;
	}
	if (dev_id != 0) {
		dev = eng->reg ? devreg_acquire(eng->reg, dev_id) : NULL;
		if (dev == NULL) {
			if (arg_free != NULL)
				arg_free(arg);
			return DM_ENODEV;
		}
	}
	j = xcalloc(1, sizeof(*j));
	j->eng = eng;
	j->fn = fn;
	j->arg = arg;
	j->arg_free = arg_free;
	j->flags = flags;
	j->dev = dev;
	atomic_init(&j->cancel, 0);
	snprintf(j->info.kind, sizeof(j->info.kind), "%s", kind);
	j->info.dev_id = dev_id;
	j->info.state = JOB_QUEUED;
	j->info.created_ms = dm_now_ms();

	pthread_mutex_lock(&eng->lock);
	if (eng->stop) {
		pthread_mutex_unlock(&eng->lock);
		job_destroy(j);
		return DM_ECANCEL;
	}
	j->info.id = eng->next_id++;
	if (eng->tail != NULL)
		eng->tail->next = j;
	else
		eng->head = j;
	eng->tail = j;
	snap = j->info;
	/* Posted under the lock: a worker cannot take the job and say
	 * "running" before "queued" is on the bus. */
	post(eng, EV_JOB_STATE, &snap, "queued");
	pthread_cond_signal(&eng->work);
	pthread_mutex_unlock(&eng->lock);
	return (int)snap.id;
}

static struct job *
find(struct jobeng *eng, unsigned id)
{
	for (struct job *j = eng->head; j != NULL; j = j->next)
		if (j->info.id == id)
			return j;
	return NULL;
}

int
jobeng_cancel(struct jobeng *eng, unsigned job_id)
{
	struct job_info snap;
	struct job *j;

	pthread_mutex_lock(&eng->lock);
	j = find(eng, job_id);
	if (j == NULL || is_final(j->info.state)) {
		pthread_mutex_unlock(&eng->lock);
		return DM_ENOENT;
	}
	atomic_store(&j->cancel, 1);
	if (j->info.state == JOB_QUEUED) {
		j->info.state = JOB_CANCELLED;
		j->info.err = DM_ECANCEL;
		j->info.ended_ms = dm_now_ms();
		snprintf(j->info.errbuf, sizeof(j->info.errbuf),
		    "cancelled before it started");
		snap = j->info;
		post(eng, EV_JOB_DONE, &snap, snap.errbuf);
		pthread_cond_broadcast(&eng->ended);
	}
	pthread_mutex_unlock(&eng->lock);
	return 0;
}

int
jobeng_active(struct jobeng *eng)
{
	int n = 0;

	pthread_mutex_lock(&eng->lock);
	for (struct job *j = eng->head; j != NULL; j = j->next)
		if (!is_final(j->info.state))
			n++;
	pthread_mutex_unlock(&eng->lock);
	return n;
}

int
jobeng_active_fg(struct jobeng *eng)
{
	int n = 0;

	pthread_mutex_lock(&eng->lock);
	for (struct job *j = eng->head; j != NULL; j = j->next)
		if (!is_final(j->info.state) && !(j->flags & JOB_BACKGROUND))
			n++;
	pthread_mutex_unlock(&eng->lock);
	return n;
}

int
jobeng_list(struct jobeng *eng, struct job_info **out)
{
	int n = 0, i = 0;

	pthread_mutex_lock(&eng->lock);
	for (struct job *j = eng->head; j != NULL; j = j->next)
		n++;
	*out = xcalloc((size_t)(n ? n : 1), sizeof(**out));
	for (struct job *j = eng->head; j != NULL; j = j->next)
		(*out)[i++] = j->info;
	pthread_mutex_unlock(&eng->lock);
	return n;
}

int
jobeng_get(struct jobeng *eng, unsigned job_id, struct job_info *out)
{
	struct job *j;

	pthread_mutex_lock(&eng->lock);
	j = find(eng, job_id);
	if (j != NULL)
		*out = j->info;
	pthread_mutex_unlock(&eng->lock);
	return j ? 0 : DM_ENOENT;
}

char *
jobeng_result(struct jobeng *eng, unsigned job_id)
{
	struct job *j;
	char *r = NULL;

	pthread_mutex_lock(&eng->lock);
	j = find(eng, job_id);
	if (j != NULL && j->result != NULL)
		r = xstrdup(j->result);
	pthread_mutex_unlock(&eng->lock);
	return r;
}

int
jobeng_wait(struct jobeng *eng, unsigned job_id, int timeout_ms)
{
	struct timespec dl;
	struct job *j;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&eng->lock);
	for (;;) {
		j = find(eng, job_id);
		if (j == NULL) {
			rc = DM_ENOENT;
			break;
		}
		if (is_final(j->info.state)) {
			rc = (int)j->info.state;
			break;
		}
		if (pthread_cond_timedwait(&eng->ended, &eng->lock, &dl) ==
		    ETIMEDOUT) {
			rc = DM_ETIMEOUT;
			break;
		}
	}
	pthread_mutex_unlock(&eng->lock);
	return rc;
}

unsigned
job_id(const struct job *job)
{
	return job->info.id;
}

unsigned
job_dev_id(const struct job *job)
{
	return job->info.dev_id;
}

struct dev *
job_dev(struct job *job)
{
	return job->dev;
}

int
job_cancelled(const struct job *job)
{
	return atomic_load(&((struct job *)job)->cancel);
}

void
job_progress(struct job *job, int64_t done, int64_t total, const char *what)
{
	struct jobeng *eng = job->eng;
	int64_t now = dm_mono_ms();
	struct job_info snap;
	int send;

	pthread_mutex_lock(&eng->lock);
	job->info.done = done;
	job->info.total = total;
	if (what != NULL)
		snprintf(job->info.what, sizeof(job->info.what), "%s", what);
	send = job->last_progress_ms == 0 || (total > 0 && done >= total) ||
	    now - job->last_progress_ms >= JOB_PROGRESS_MS;
	if (send)
		job->last_progress_ms = now;
	snap = job->info;
	pthread_mutex_unlock(&eng->lock);
	if (send)
		post(eng, EV_JOB_PROGRESS, &snap, snap.what);
}

void
job_log(struct job *job, const char *fmt, ...)
{
	struct job_info snap;
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_info("job", "%s", line);
	pthread_mutex_lock(&job->eng->lock);
	snap = job->info;
	pthread_mutex_unlock(&job->eng->lock);
	post(job->eng, EV_JOB_LOG, &snap, line);
}

int
job_fail(struct job *job, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&job->eng->lock);
	va_start(ap, fmt);
	vsnprintf(job->info.errbuf, sizeof(job->info.errbuf), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&job->eng->lock);
	return err;
}

void
job_set_result(struct job *job, const char *json)
{
	char *copy = json ? xstrdup(json) : NULL;

	pthread_mutex_lock(&job->eng->lock);
	free(job->result);
	job->result = copy;
	pthread_mutex_unlock(&job->eng->lock);
}
