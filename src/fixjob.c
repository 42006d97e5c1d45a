/* fixjob.c - diagnose and fix as bench-server jobs (see fixjob.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adb.h"
#include "adbkey.h"
#include "dev.h"
#include "diag.h"
#include "err.h"
#include "fastboot.h"
#include "fixjob.h"
#include "job.h"
#include "proto.h"
#include "repair.h"
#include "rules.h"
#include "xferjob.h"
#include "xmem.h"

int
fixjob_req_from_json(const cJSON *params, int diagnose,
    struct fixjob_req *r, char *err, size_t errlen)
{
	const cJSON *step = cJSON_GetObjectItemCaseSensitive(params, "step");
	int rc;

	memset(r, 0, sizeof(*r));
	r->diagnose = diagnose;
	r->fastboot = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params,
	    "fastboot")) ? -1 : 0;
	if ((rc = proto_param_copy(params, "rules", 0, r->rules,
	    sizeof(r->rules), "", err, errlen)) < 0)
		return rc;
	if (r->rules[0] != '\0' && r->rules[0] != '/')
		return dm_fail(err, errlen, DM_EINVAL, "\"rules\" must be an "
		    "absolute path");
	if (diagnose)
		return 0;
	if ((rc = proto_param_copy(params, "finding", 1, r->finding,
	    sizeof(r->finding), "", err, errlen)) < 0 ||
	    (rc = proto_param_copy(params, "confirm", 0, r->confirm,
	    sizeof(r->confirm), "", err, errlen)) < 0 ||
	    (rc = proto_param_copy(params, "outdir", 0, r->outdir,
	    sizeof(r->outdir), "", err, errlen)) < 0)
		return rc;
	if (r->outdir[0] != '\0' && r->outdir[0] != '/')
		return dm_fail(err, errlen, DM_EINVAL, "\"outdir\" must be an "
		    "absolute path (the server has its own working folder)");
	if (step != NULL && !cJSON_IsNull(step)) {
		if (!cJSON_IsNumber(step) || step->valuedouble < 0 ||
		    step->valuedouble > 99 ||
		    step->valuedouble != (int)step->valuedouble)
			return dm_fail(err, errlen, DM_EINVAL, "\"step\" is a "
			    "step number, 1 to 99");
		r->step = (int)step->valuedouble;
	}
	r->without_backup = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    params, "without_backup"));
	return 0;
}

struct run {
	struct job *job;
	const struct fixjob_req *q;
};

static int
on_cancelled(void *ud)
{
	struct run *r = ud;

	return job_cancelled(r->job);
}

static void
on_say(void *ud, const char *line)
{
	struct run *r = ud;

	job_log(r->job, "%s", line);
}

static void
on_step(void *ud, int k, int n, const char *action, const char *status)
{
	struct run *r = ud;
	char what[128];

	snprintf(what, sizeof(what), "step %d: %s %s", k, action, status);
	job_progress(r->job, strcmp(status, "running") == 0 ? k - 1 : k, n,
	    what);
}

/* Where the phone is now: its bench row's address while it shows in adb
 * (or, asked for fastboot, in its bootloader or fastbootd; the port may
 * change across a reboot), else the one we started with. */
static int
on_resolve(void *ud, int fastboot, char *addr, size_t len)
{
	struct run *r = ud;
	struct dev *d = job_dev(r->job);
	struct dev_info di;

	if (d == NULL) {
		snprintf(addr, len, "%s", r->q->addr);
		return 0;
	}
	dev_snapshot(d, &di);
	if (!di.present)
		return -1;
	if (fastboot) {
		if ((di.mode != DEV_MODE_FASTBOOT &&
		    di.mode != DEV_MODE_FASTBOOTD) || di.port[0] == '\0')
			return -1;
		snprintf(addr, len, "%s", di.port);
		return 0;
	}
	if (di.mode != DEV_MODE_ADB)
		return -1;
	dev_adb_address(&di, addr, len);
	return 0;
}

static void
set_result(struct job *job, cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	job_set_result(job, s);
	cJSON_free(s);
}

/* The job ends: its result, and the failure (if any) in its state. */
static int
end(struct job *job, cJSON *j, int rc, const char *msg)
{
	if (rc < 0 && cJSON_GetObjectItemCaseSensitive(j, "ok") == NULL) {
		cJSON_AddFalseToObject(j, "ok");
		cJSON_AddStringToObject(j, "error", dm_errname(rc));
		cJSON_AddStringToObject(j, "message", msg);
	}
	set_result(job, j);
	cJSON_Delete(j);
	return rc < 0 ? job_fail(job, rc, "%s", msg) : 0;
}

/* Each step of f's "plan": whether a fix runs it, why it cannot run on
 * this phone ("blocked", null when it can), and whether it could without
 * a backup ("backup_only"). */
static void
mark_plan(cJSON *f, const struct rule *ru, const struct repair_phone *ph,
    const struct repair_opts *o, int first, int last)
{
	cJSON *s;
	int k = 0;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(f, "plan")) {
		if (k >= ru->nsteps)
			break;
		repair_step_mark(s, ru, k, o, ph, first, last, 1);
		k++;
	}
}

/* Each finding's plan as it stands on this phone, and what a fix runs
 * with and without the backup override. */
static void
add_plans(cJSON *rep, const struct ruleset *rs, const struct repair_phone *ph)
{
	cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(rep,
	    "findings")) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(f, "id");
		const struct rule *ru;

		if (!cJSON_IsString(id) ||
		    (ru = repair_rule(rs, id->valuestring)) == NULL)
			continue;
		for (int wb = 0; wb < 2; wb++) {
			struct repair_opts o = { 0 };
			char stop[520];
			int first, last;
			cJSON *run = cJSON_CreateObject();

			o.without_backup = wb;
			repair_select(ru, &o, ph, &first, &last, stop,
			    sizeof(stop));
			cJSON_AddNumberToObject(run, "first", first);
			cJSON_AddNumberToObject(run, "last", last);
			cJSON_AddStringToObject(run, "stops_before", stop);
			cJSON_AddItemToObject(f, wb ? "run_without_backup" :
			    "run", run);
			if (!wb)
				mark_plan(f, ru, ph, &o, first, last);
		}
	}
}

static int
fix_job(struct job *job, void *arg)
{
	const struct fixjob_req *q = arg;
	struct run run = { job, q };
	struct repair_phone ph = { 0 };
	struct repair_opts o = { 0 };
	struct adb_conn *c = NULL;
	struct fb_conn *fb = NULL;
	const struct rule *ru = NULL;
	struct ruleset rs;
	char err[600], msg[700];
	cJSON *out = cJSON_CreateObject();
	int rc, status;

	ruleset_init(&rs);
	job_progress(job, 0, 0, "connecting");
	ph.keys = adbkeys_load(err, sizeof(err));
	if (ph.keys == NULL) {
		snprintf(msg, sizeof(msg), "ADB key: %s", err);
		return end(job, out, DM_EIO, msg);
	}
	ph.say = on_say;
	ph.step = on_step;
	ph.resolve = on_resolve;
	ph.cancelled = on_cancelled;
	ph.ud = &run;
	ph.outdir = q->outdir[0] ? q->outdir : NULL;
	if (q->link) {
		char fp[48] = "";

		if (q->row.mode == DEV_MODE_UNAUTHORIZED)
			(void)adbkeys_fingerprint(ph.keys, 0, fp);
		rc = repair_open_row(&ph, &q->row, fp[0] ? fp : NULL, err,
		    sizeof(err));
	} else if (q->fastboot != 0 && fb_open(q->addr, q->fastboot > 0 ?
	    10000 : 2000, &fb, err, sizeof(err)) == 0) {
		rc = repair_open_fastboot(&ph, fb, NULL, err, sizeof(err));
	} else if (q->fastboot > 0) {
		rc = DM_EIO;
		goto fail;
	} else {
		rc = xferjob_connect(job, q->addr, ph.keys, &c, err,
		    sizeof(err));
		if (rc < 0)
			goto fail;
		rc = repair_open(&ph, c, NULL, err, sizeof(err));
	}
	/* Without its props a phone can still be diagnosed, not fixed. */
	if (rc < 0 && (!q->diagnose || rc == DM_EUNSUPP))
		goto fail;
	ruleset_load_from(&rs, q->rules);
	for (size_t i = 0; i < rs.nproblems; i++)
		job_log(job, "rules: %s", rs.problems[i]);
	if (rs.n == 0) {
		rc = dm_fail(err, sizeof(err), DM_ENOENT, "no diagnosis rules "
		    "loaded");
		goto fail;
	}
	if (q->diagnose) {
		struct diag_report rep;
		cJSON *p = cJSON_CreateArray();

		job_progress(job, 0, 0, "diagnosing");
		repair_diagnose(&ph, &rs, &rep);
		cJSON_Delete(out);
		out = diag_report_json(&rep);
		diag_report_free(&rep);
		cJSON_AddTrueToObject(out, "ok");
		cJSON_AddStringToObject(out, "serial", ph.serial);
		cJSON_AddStringToObject(out, "model", ph.props || ph.vars ||
		    (ph.mode & RULE_MODES_LINK) ? ph.model : "");
		cJSON_AddStringToObject(out, "mode", repair_mode_name(&ph));
		for (size_t i = 0; i < rs.nproblems; i++)
			cJSON_AddItemToArray(p,
			    cJSON_CreateString(rs.problems[i]));
		cJSON_AddItemToObject(out, "rule_problems", p);
		add_plans(out, &rs, &ph);
		repair_close(&ph);
		adbkeys_free(ph.keys);
		ruleset_free(&rs);
		return end(job, out, 0, NULL);
	}
	ru = repair_rule(&rs, q->finding);
	if (ru == NULL) {
		rc = dm_fail(err, sizeof(err), DM_EINVAL, "no finding '%s' "
		    "among the rules", q->finding);
		goto fail;
	}
	if (q->step > ru->nsteps) {
		rc = dm_fail(err, sizeof(err), DM_EINVAL, "%s has %d step%s, "
		    "no step %d", ru->id, ru->nsteps, ru->nsteps == 1 ? "" :
		    "s", q->step);
		goto fail;
	}
	o.step = q->step;
	o.confirm = q->confirm;
	o.without_backup = q->without_backup;
	status = repair_fix(&ph, &rs, ru, &o, 1, out);
	cJSON_AddNumberToObject(out, "exit_status", status);
	snprintf(msg, sizeof(msg), "%s", cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(out, "message")));
	/* A finding still there after the steps is an answer, not a
	 * failure of the job: said in its log and result. */
	if (status != 1)
		job_log(job, "%s", msg);
	repair_close(&ph);
	adbkeys_free(ph.keys);
	ruleset_free(&rs);
	if (status == 1) {
		const char *e = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(out, "error"));

		rc = e != NULL && strcmp(e, "ECONFIRM") == 0 ? DM_EREFUSED :
		    e != NULL && strcmp(e, "ECANCEL") == 0 ? DM_ECANCEL :
		    e != NULL && strcmp(e, "EBLOCKED") == 0 ? DM_EUNSUPP :
		    DM_EIO;
		return end(job, out, rc, msg);
	}
	return end(job, out, 0, NULL);

fail:
	if (c != NULL && ph.c == NULL)
		adb_close(c);
	repair_close(&ph);
	adbkeys_free(ph.keys);
	ruleset_free(&rs);
	return end(job, out, rc, err);
}

int
fixjob_submit(struct jobeng *eng, unsigned dev_id,
    const struct fixjob_req *r)
{
	struct fixjob_req *copy = xmalloc(sizeof(*copy));

	*copy = *r;
	if (r->diagnose)
		return jobeng_submit_flags(eng, dev_id, "diagnose", fix_job,
		    copy, free, JOB_BACKGROUND);
	/* A phone that runs nothing for us gets nothing run. */
	if (r->link)
		return jobeng_submit_flags(eng, dev_id, "fix", fix_job, copy,
		    free, JOB_BACKGROUND);
	return jobeng_submit(eng, dev_id, "fix", fix_job, copy, free);
}

int
fixjob_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen)
{
	struct fixjob_req r;
	int rc;

	if ((rc = fixjob_req_from_json(params, 0, &r, err, errlen)) < 0 ||
	    (rc = proto_param_address(params, r.addr, sizeof(r.addr), err,
	    errlen)) < 0)
		return rc;
	rc = fixjob_submit(eng, 0, &r);
	if (rc < 0)
		dm_fail(err, errlen, rc, "could not queue the fix");
	return rc;
}
