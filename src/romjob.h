/* romjob.h - a whole firmware package flashed as a bench-server job.
 *
 * The job reads the package through (rompkg.h: every member decompressed,
 * hashed and checked), asks the phone (getvar all, then what that left
 * out), plans and gates (romplan.h) and logs the plan.  It sends nothing
 * when a gate refuses, when the confirmation does not name the phone
 * that answered, or with dry_run.  Then it runs the steps in the
 * script's order, each image streamed out of the package by the fastboot
 * stack (sparse pieces as the phone's max-download-size needs), with the
 * package checked unchanged before each.
 *
 * A journal per phone ($XDG_STATE_HOME/droidmedic/flash/SERIAL.json)
 * records the step the run got to.  A run that stopped (a pulled cable, a
 * cancel, a FAIL) is resumed by the next run of the same package and
 * choice on the same phone at the step that did not finish, after every
 * gate is checked again; restart starts from the first step instead.
 * Each run leaves a report beside the journal (SERIAL-TIME.json), with
 * the hashes of what was flashed, timings and the outcome. */
#ifndef DM_ROMJOB_H
#define DM_ROMJOB_H

#include <limits.h>

#include <cjson/cJSON.h>

#include "romplan.h"

struct jobeng;

struct romjob_req {
	char addr[160];		/* where the job opens the phone */
	char expect_serial[96];	/* the bench row's serial ("" if none) */
	char package[PATH_MAX];	/* absolute */
	enum rom_choice choice;
	char sha256[72];
	char confirm[96];
	int force, without_backup, dry_run, restart;
};

/* From a "flashrom" op's params (all but addr and expect_serial).  0 or
 * DM_EINVAL with err. */
int romjob_req_from_json(const cJSON *params, struct romjob_req *r,
    char *err, size_t errlen);
int romjob_submit(struct jobeng *eng, unsigned dev_id,
    const struct romjob_req *r);
/* For the CLI's own process: params with "address". */
int romjob_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen);

/* The journal's file for a phone (malloc'ed), or NULL. */
char *romjob_journal_path(const char *serial);

#endif
