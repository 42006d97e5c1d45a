/* fixjob.h - diagnosing and repairing as bench-server jobs.
 *
 * "diagnose" reads the phone and runs the rules: its result is what
 * `droidmedic diagnose --json` prints, plus for each finding its plan as
 * it stands on this phone (each step's "blocked" reason) and which steps
 * a fix would run ("run" and "run_without_backup": {"first","last",
 * "stops_before"}).  It only reads, so it is a background job.
 *
 * "fix" runs a finding's plan (repair.h) on a worker thread, so a reboot
 * and re-check go on when the SSH session that started them drops.  The
 * job checks the confirmation against the serial the phone gives, after
 * connecting.  Its log lines are the plan, each step and the actions'
 * progress; its progress is the step running; its result is what `fix
 * --json` prints plus "exit_status" (0 fixed, 1 refused or failed, 3
 * still holds). */
#ifndef DM_FIXJOB_H
#define DM_FIXJOB_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "dev.h"

struct jobeng;

struct fixjob_req {
	char addr[160];		/* where the job opens the phone */
	int diagnose;		/* 1: a "diagnose" job, the rest unused */
	int fastboot;		/* 1: the phone is in fastboot; -1: try
				 * fastboot at addr, then adb; 0: adb */
	int link;		/* 1: the row is in a mode where the phone
				 * runs nothing: diagnosed from row, as a
				 * job of no row, so it never waits behind
				 * the row's connection */
	struct dev_info row;
	char finding[64];	/* the rule id */
	int step;		/* 0: the plan; N: step N alone */
	char confirm[128];
	int without_backup;
	char outdir[4096];	/* absolute: where a log bundle goes */
	char rules[4096];	/* the client's built-in rules ("": ours) */
};

/* From an op's params: "finding" (fix), "step", "confirm",
 * "without_backup", "outdir", "rules", "fastboot" (true: try fastboot
 * at the address first, as for a tcp: one).  0 or DM_EINVAL with err. */
int fixjob_req_from_json(const cJSON *params, int diagnose,
    struct fixjob_req *r, char *err, size_t errlen);

/* Queue it on dev_id's row (0: a phone not on the bench, reached at
 * r->addr); the job id or a negative dm_err. */
int fixjob_submit(struct jobeng *eng, unsigned dev_id,
    const struct fixjob_req *r);

/* A fix in the CLI's own process: the request plus "address". */
int fixjob_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen);

#endif
