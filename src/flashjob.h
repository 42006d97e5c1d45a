/* flashjob.h - a fastboot flash run as a bench-server job.
 *
 * The CLI (`droidmedic fastboot-flash`) hands the flash to the server,
 * which runs it on a worker thread: a dropped SSH session or a closed
 * terminal takes the client away, never the flash.  The job plans first
 * (fb_flash_plan: the phone's answers, the image checked), logs the plan
 * line by line, then flashes only when the request's confirmation names
 * the phone that answered (its serial, or the last four characters) and
 * that phone is the one the bench row says it is.  Its result (JSON, see
 * job_set_result) says exactly what the phone holds afterwards.
 *
 * The plan's text and JSON forms live here too, shared by the job and by
 * the CLI. */
#ifndef DM_FLASHJOB_H
#define DM_FLASHJOB_H

#include <cjson/cJSON.h>

#include "fastboot.h"

struct jobeng;

struct flashjob_req {
	char addr[160];		/* where the job opens the phone */
	char expect_serial[96];	/* the bench row's serial ("" if none) */
	char part[72];
	char image[4096];	/* absolute path: the server has its own cwd;
				 * with entry, the archive */
	char entry[1024];	/* the image's path inside the archive image,
				 * or "": image is the image itself */
	char slot[16];
	char sha256[72];
	char product[72];
	char confirm[96];
	int force;
	int hash;		/* compute the SHA-256 while sending */
};

/* The request's fields from a "flash" op's params (all but addr and
 * expect_serial, which the server fills in).  0 or DM_EINVAL with err. */
int flashjob_req_from_json(const cJSON *params, struct flashjob_req *r,
    char *err, size_t errlen);

/* Queue the job on dev_id's row (0: a phone not on the bench).  The job
 * id, or a negative dm_err. */
int flashjob_submit(struct jobeng *eng, unsigned dev_id,
    const struct flashjob_req *r);

/* For a job in the CLI's own process (no bench server): the request
 * from params, with "address" the phone's transport address.  The job
 * id, or a negative dm_err with err. */
int flashjob_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen);

/* The plan as lines of text (no newline), each handed to line().  image
 * names it: the file, or "ARCHIVE:ENTRY". */
void fb_plan_lines(const struct fb_flash_plan *p, const char *image,
    void (*line)(void *ud, const char *text), void *ud);
/* The same as JSON: "image" is image; with entry (else NULL), also
 * "archive" and "entry". */
cJSON *fb_plan_json(const struct fb_flash_plan *p, const char *image,
    const char *archive, const char *entry);

#endif
