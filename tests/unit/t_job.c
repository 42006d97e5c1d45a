/* t_job.c - the job engine: one job per device at a time, devices in
 * parallel, cancellation, throttled progress, events, failures. */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dev.h"
#include "err.h"
#include "ev.h"
#include "job.h"

static atomic_int running[8];		/* per device: jobs running now */
static atomic_int overlap;		/* same device twice at once */
static atomic_int peak;			/* most jobs running at once */
static atomic_int now_running;

static unsigned
add_dev(struct devreg *reg, const char *serial)
{
	struct dev_info d;

	memset(&d, 0, sizeof(d));
	snprintf(d.port, sizeof(d.port), "usb:1-%s", serial);
	snprintf(d.serial, sizeof(d.serial), "%s", serial);
	d.mode = DEV_MODE_ADB;
	return devreg_seen(reg, &d, 0);
}

static int
sleepy(struct job *job, void *arg)
{
	unsigned dev = job_dev_id(job);
	int n;

	(void)arg;
	if (atomic_fetch_add(&running[dev], 1) > 0)
		atomic_store(&overlap, 1);
	n = atomic_fetch_add(&now_running, 1) + 1;
	for (int p = atomic_load(&peak); n > p;
	    p = atomic_load(&peak))
		if (atomic_compare_exchange_weak(&peak, &p, n))
			break;
	usleep(50 * 1000);
	atomic_fetch_sub(&now_running, 1);
	atomic_fetch_sub(&running[dev], 1);
	return 0;
}

static void
test_per_device_serial_parallel_across(void **state)
{
	struct evbus *bus = evbus_new();
	struct devreg *reg = devreg_new(bus);
	struct jobeng *eng = jobeng_new(bus, reg, 4);
	unsigned d1 = add_dev(reg, "1"), d2 = add_dev(reg, "2");
	int ids[6];

	(void)state;
	atomic_store(&overlap, 0);
	atomic_store(&peak, 0);
	for (int i = 0; i < 6; i++) {
		ids[i] = jobeng_submit(eng, i % 2 ? d2 : d1, "sleepy", sleepy,
		    NULL, NULL);
		assert_true(ids[i] > 0);
	}
	for (int i = 0; i < 6; i++)
		assert_int_equal(jobeng_wait(eng, (unsigned)ids[i], 5000),
		    JOB_DONE);
	assert_int_equal(atomic_load(&overlap), 0);
	assert_int_equal(atomic_load(&peak), 2);	/* both devices at once */
	assert_int_equal(jobeng_active(eng), 0);
	jobeng_free(eng);
	devreg_free(reg);
	evbus_free(bus);
}

static int
until_cancelled(struct job *job, void *arg)
{
	atomic_int *started = arg;

	atomic_store(started, 1);
	while (!job_cancelled(job))
		usleep(1000);
	return DM_ECANCEL;
}

static void
test_cancel(void **state)
{
	struct devreg *reg = devreg_new(NULL);
	struct jobeng *eng = jobeng_new(NULL, reg, 2);
	unsigned d = add_dev(reg, "1");
	atomic_int started = 0;
	struct job_info ji;
	int a, b;

	(void)state;
	a = jobeng_submit(eng, d, "loop", until_cancelled, &started, NULL);
	b = jobeng_submit(eng, d, "after", sleepy, NULL, NULL);
	while (!atomic_load(&started))
		usleep(1000);
	/* b waits behind a (same device): cancelling it never runs it. */
	assert_int_equal(jobeng_get(eng, (unsigned)b, &ji), 0);
	assert_int_equal(ji.state, JOB_QUEUED);
	assert_int_equal(jobeng_cancel(eng, (unsigned)b), 0);
	assert_int_equal(jobeng_wait(eng, (unsigned)b, 1000), JOB_CANCELLED);
	assert_int_equal(jobeng_cancel(eng, (unsigned)a), 0);
	assert_int_equal(jobeng_wait(eng, (unsigned)a, 2000), JOB_CANCELLED);
	assert_int_equal(jobeng_get(eng, (unsigned)a, &ji), 0);
	assert_int_equal(ji.err, DM_ECANCEL);
	assert_int_equal(jobeng_cancel(eng, (unsigned)a), DM_ENOENT);
	assert_int_equal(jobeng_cancel(eng, 9999), DM_ENOENT);
	jobeng_free(eng);
	devreg_free(reg);
}

static int
chatty(struct job *job, void *arg)
{
	(void)arg;
	for (int i = 1; i <= 1000; i++) {
		job_progress(job, i, 1000, "copying");
		if (i % 100 == 0)
			usleep(20 * 1000);
	}
	job_log(job, "copied %d blocks", 1000);
	return job_fail(job, DM_EIO, "disk said no after %d", 1000);
}

static void
test_progress_throttled_and_failure(void **state)
{
	struct evbus *bus = evbus_new();
	struct devreg *reg = devreg_new(bus);
	struct jobeng *eng = jobeng_new(bus, reg, 1);
	struct job_info ji;
	struct ev *list;
	int id, progress = 0, logs = 0, done = 0, last_done = 0;

	(void)state;
	id = jobeng_submit(eng, 0, "chatty", chatty, NULL, NULL);
	assert_int_equal(jobeng_wait(eng, (unsigned)id, 5000), JOB_FAILED);
	list = evbus_take_all(bus);
	for (struct ev *e = list; e; e = e->next) {
		if (e->type == EV_JOB_PROGRESS) {
			progress++;
			last_done = (int)e->done;
		} else if (e->type == EV_JOB_LOG) {
			logs++;
			assert_string_equal(e->text, "copied 1000 blocks");
		} else if (e->type == EV_JOB_DONE) {
			done++;
			assert_int_equal(e->err, DM_EIO);
			assert_string_equal(e->text, "disk said no after 1000");
		}
	}
	ev_free_list(list);
	/* ~200 ms of work at <= 10/s, plus first and last. */
	assert_true(progress >= 2);
	assert_true(progress <= 6);
	assert_int_equal(last_done, 1000);	/* the final one always goes */
	assert_int_equal(logs, 1);
	assert_int_equal(done, 1);
	assert_int_equal(jobeng_get(eng, (unsigned)id, &ji), 0);
	assert_string_equal(ji.errbuf, "disk said no after 1000");
	assert_string_equal(job_state_name(ji.state), "failed");
	jobeng_free(eng);
	devreg_free(reg);
	evbus_free(bus);
}

static int frees;

static void
count_free(void *p)
{
	(void)p;
	frees++;
}

static void
test_bad_submit_and_shutdown(void **state)
{
	struct devreg *reg = devreg_new(NULL);
	struct jobeng *eng = jobeng_new(NULL, reg, 1);
	atomic_int started = 0;
	unsigned d = add_dev(reg, "1");

	(void)state;
	frees = 0;
	assert_int_equal(jobeng_submit(eng, 777, "x", sleepy, NULL,
	    count_free), DM_ENODEV);
	assert_int_equal(jobeng_submit(eng, d, "x", NULL, NULL, count_free),
	    DM_EINVAL);
	assert_int_equal(frees, 2);		/* arg freed on refusal */
	/* Shutdown with one running and one queued: both end, args freed. */
	assert_true(jobeng_submit(eng, d, "loop", until_cancelled, &started,
	    count_free) > 0);
	assert_true(jobeng_submit(eng, d, "q", sleepy, NULL, count_free) > 0);
	while (!atomic_load(&started))
		usleep(1000);
	jobeng_free(eng);
	assert_int_equal(frees, 4);
	devreg_free(reg);
}

static void
test_background_jobs(void **state)
{
	struct jobeng *eng = jobeng_new(NULL, NULL, 2);
	atomic_int started = 0;
	int bg;

	(void)state;
	bg = jobeng_submit_flags(eng, 0, "identify", until_cancelled,
	    &started, NULL, JOB_BACKGROUND);
	assert_true(bg > 0);
	while (!atomic_load(&started))
		usleep(1000);
	assert_int_equal(jobeng_active(eng), 1);
	assert_int_equal(jobeng_active_fg(eng), 0);	/* stop may go on */
	jobeng_free(eng);
}

static int
noop(struct job *job, void *arg)
{
	(void)job;
	(void)arg;
	return 0;
}

static void
test_finished_jobs_pruned(void **state)
{
	struct jobeng *eng = jobeng_new(NULL, NULL, 2);
	struct job_info *list;
	int id = 0, n;

	(void)state;
	for (int i = 0; i < 200; i++)
		id = jobeng_submit(eng, 0, "noop", noop, NULL, NULL);
	assert_int_equal(jobeng_wait(eng, (unsigned)id, 5000), JOB_DONE);
	while (jobeng_active(eng) > 0)
		usleep(1000);
	n = jobeng_list(eng, &list);
	assert_true(n <= 64 + 2);
	assert_true(n >= 60);
	free(list);
	jobeng_free(eng);
}

static int
with_result(struct job *job, void *arg)
{
	(void)arg;
	job_set_result(job, "{\"first\":1}");
	job_set_result(job, "{\"ok\":true,\"pieces\":4}");
	return 0;
}

/* Every job's events come in its own order (queued, running, done), even
 * when a worker takes the job the moment it is queued; and its result
 * stays readable after it ended. */
static void
test_event_order_and_result(void **state)
{
	struct evbus *bus = evbus_new();
	struct jobeng *eng = jobeng_new(bus, NULL, 4);
	int seen[201][3], id = 0, ended = 0;
	char *r;

	(void)state;
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 200; i++)
		id = jobeng_submit(eng, 0, "noop", noop, NULL, NULL);
	assert_int_equal(jobeng_wait(eng, (unsigned)id, 5000), JOB_DONE);
	while (jobeng_active(eng) > 0)
		usleep(1000);
	for (struct ev *list = evbus_take_all(bus), *e = list; ;
	    e = e->next) {
		if (e == NULL) {
			ev_free_list(list);
			break;
		}
		assert_true(e->job_id >= 1 && e->job_id <= 200);
		if (e->type == EV_JOB_STATE && strcmp(e->text, "queued") == 0)
			seen[e->job_id][0] = 1;
		else if (e->type == EV_JOB_STATE) {
			assert_true(seen[e->job_id][0]);	/* queued first */
			seen[e->job_id][1] = 1;
		} else if (e->type == EV_JOB_DONE) {
			assert_true(seen[e->job_id][1]);	/* then running */
			seen[e->job_id][2] = 1;
			ended++;
		}
	}
	assert_int_equal(ended, 200);
	assert_null(jobeng_result(eng, (unsigned)id));
	id = jobeng_submit(eng, 0, "result", with_result, NULL, NULL);
	assert_int_equal(jobeng_wait(eng, (unsigned)id, 5000), JOB_DONE);
	r = jobeng_result(eng, (unsigned)id);
	assert_non_null(r);
	assert_string_equal(r, "{\"ok\":true,\"pieces\":4}");
	free(r);
	assert_null(jobeng_result(eng, 99999));
	jobeng_free(eng);
	evbus_free(bus);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_device_serial_parallel_across),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_progress_throttled_and_failure),
		cmocka_unit_test(test_bad_submit_and_shutdown),
		cmocka_unit_test(test_finished_jobs_pruned),
		cmocka_unit_test(test_background_jobs),
		cmocka_unit_test(test_event_order_and_result),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
