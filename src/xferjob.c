/* xferjob.c - pull and push as bench-server jobs (see xferjob.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adb.h"
#include "adbkey.h"
#include "adbsync.h"
#include "dev.h"
#include "err.h"
#include "job.h"
#include "proto.h"
#include "xferjob.h"
#include "xmem.h"

#define OPEN_MS		10000
#define AUTH_WAIT_MS	60000

int
xferjob_req_from_json(const cJSON *params, struct xferjob_req *r,
    char *err, size_t errlen)
{
	char dir[8];
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = proto_param_copy(params, "direction", 1, dir, sizeof(dir),
	    "transfer: ", err, errlen)) < 0 ||
	    (rc = proto_param_copy(params, "remote", 1, r->remote,
	    sizeof(r->remote), "transfer: ", err, errlen)) < 0 ||
	    (rc = proto_param_copy(params, "local", 1, r->local,
	    sizeof(r->local), "transfer: ", err, errlen)) < 0)
		return rc;
	if (strcmp(dir, "pull") != 0 && strcmp(dir, "push") != 0)
		return dm_fail(err, errlen, DM_EINVAL, "transfer: direction is "
		    "pull or push");
	r->push = strcmp(dir, "push") == 0;
	if (r->local[0] != '/')
		return dm_fail(err, errlen, DM_EINVAL, "transfer: the local "
		    "path must be absolute (the server has its own working "
		    "folder)");
	return 0;
}

struct run {
	struct job *job;
	const struct xferjob_req *q;
	char what[160];
};

static void
on_prompt(void *ud)
{
	job_log(ud, "unauthorized - confirm the prompt on the phone "
	    "(\"Allow USB debugging?\")");
}

static int
on_cancelled(void *ud)
{
	return job_cancelled(ud);
}

int
xferjob_connect(struct job *job, const char *addr, struct adbkeys *keys,
    struct adb_conn **c, char *err, size_t errlen)
{
	struct adb_connect_opts co = { 0 };

	co.addr = addr;
	co.keys = keys;
	co.timeout_ms = OPEN_MS;
	co.auth_wait_ms = AUTH_WAIT_MS;
	co.on_prompt = on_prompt;
	co.cancelled = on_cancelled;
	co.ud = job;
	return adb_connect(&co, c, err, errlen);
}

int
xferjob_open(struct job *job, const char *addr, struct adb_conn **c,
    char *err, size_t errlen)
{
	struct adbkeys *keys;
	char kerr[400];
	int rc;

	job_progress(job, 0, 0, "connecting");
	keys = adbkeys_load(kerr, sizeof(kerr));
	if (keys == NULL)
		return dm_fail(err, errlen, DM_EIO, "ADB key: %s", kerr);
	rc = xferjob_connect(job, addr, keys, c, err, errlen);
	adbkeys_free(keys);
	return rc;
}

static int
on_progress(void *ud, uint64_t done, uint64_t total, const char *path)
{
	struct run *r = ud;

	if (job_cancelled(r->job))
		return 1;
	snprintf(r->what, sizeof(r->what), "%s %s", r->q->push ? "pushing" :
	    "pulling", path ? path : "");
	job_progress(r->job, (int64_t)done, (int64_t)total, r->what);
	return 0;
}

static int
finish(struct job *job, const struct xferjob_req *q, int rc,
    const char *msg, uint64_t files, uint64_t bytes, double secs)
{
	cJSON *j = cJSON_CreateObject();
	char *s;

	cJSON_AddBoolToObject(j, "ok", rc == 0);
	if (rc != 0) {
		cJSON_AddStringToObject(j, "error", dm_errname(rc));
		cJSON_AddStringToObject(j, "message", msg);
	}
	cJSON_AddStringToObject(j, "direction", q->push ? "push" : "pull");
	cJSON_AddStringToObject(j, "remote", q->remote);
	cJSON_AddStringToObject(j, "local", q->local);
	cJSON_AddNumberToObject(j, "files", (double)files);
	cJSON_AddNumberToObject(j, "bytes", (double)bytes);
	cJSON_AddNumberToObject(j, "seconds", secs);
	s = cJSON_PrintUnformatted(j);
	job_set_result(job, s);
	cJSON_free(s);
	cJSON_Delete(j);
	return rc == 0 ? 0 : job_fail(job, rc, "%s", msg);
}

static int
xfer_job(struct job *job, void *arg)
{
	const struct xferjob_req *q = arg;
	struct run run = { job, q, "" };
	struct adb_conn *c = NULL;
	struct adbsync *s;
	uint64_t files = 0, bytes = 0;
	int64_t t0 = dm_mono_ms();
	char err[512];
	double secs;
	int rc;

	rc = xferjob_open(job, q->addr, &c, err, sizeof(err));
	if (rc < 0)
		return finish(job, q, rc, err, 0, 0, 0);
	s = adbsync_open(c, err, sizeof(err));
	if (s == NULL) {
		rc = DM_EPROTO;
	} else {
		if (q->push)
			rc = adbsync_push(s, q->local, q->remote, on_progress,
			    &run, &files, &bytes, err, sizeof(err));
		else
			rc = adbsync_pull(s, q->remote, q->local, on_progress,
			    &run, &files, &bytes, err, sizeof(err));
		adbsync_close(s);
	}
	adb_close(c);
	secs = (double)(dm_mono_ms() - t0) / 1000.0;
	if (rc < 0)
		return finish(job, q, rc, err, files, bytes, secs);
	job_log(job, "%s: %llu file%s, %.1f MiB in %.2f s (%.1f MiB/s)",
	    q->push ? q->local : q->remote, (unsigned long long)files,
	    files == 1 ? "" : "s", (double)bytes / 1048576.0, secs,
	    secs > 0 ? (double)bytes / 1048576.0 / secs : 0.0);
	return finish(job, q, 0, NULL, files, bytes, secs);
}

int
xferjob_submit(struct jobeng *eng, unsigned dev_id,
    const struct xferjob_req *r)
{
	struct xferjob_req *copy = xmalloc(sizeof(*copy));

	*copy = *r;
	return jobeng_submit(eng, dev_id, r->push ? "push" : "pull", xfer_job,
	    copy, free);
}

int
xferjob_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen)
{
	struct xferjob_req r;
	int rc;

	if ((rc = xferjob_req_from_json(params, &r, err, errlen)) < 0 ||
	    (rc = proto_param_address(params, r.addr, sizeof(r.addr), err,
	    errlen)) < 0)
		return rc;
	rc = xferjob_submit(eng, 0, &r);
	if (rc < 0)
		dm_fail(err, errlen, rc, "could not queue the transfer");
	return rc;
}
