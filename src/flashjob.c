/* flashjob.c - a fastboot flash as a bench-server job (see flashjob.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev.h"
#include "err.h"
#include "proto.h"
#include "fastboot.h"
#include "flashjob.h"
#include "job.h"
#include "log.h"
#include "xmem.h"

#define OPEN_MS		10000

/* ---- the request ------------------------------------------------------- */

static int
copy_str(const cJSON *params, const char *key, char *dst, size_t len,
    int required, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, key);

	dst[0] = '\0';
	if (v == NULL || cJSON_IsNull(v)) {
		if (required)
			return dm_fail(err, errlen, DM_EINVAL, "flash: need "
			    "\"%s\"", key);
		return 0;
	}
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= len)
		return dm_fail(err, errlen, DM_EINVAL, "flash: \"%s\" must be "
		    "a string shorter than %zu bytes", key, len);
	memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

int
flashjob_req_from_json(const cJSON *params, struct flashjob_req *r,
    char *err, size_t errlen)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(params))
		return dm_fail(err, errlen, DM_EINVAL, "flash: no params");
	if ((rc = copy_str(params, "partition", r->part, sizeof(r->part), 1,
	    err, errlen)) < 0 ||
	    (rc = copy_str(params, "image", r->image, sizeof(r->image), 1,
	    err, errlen)) < 0 ||
	    (rc = copy_str(params, "slot", r->slot, sizeof(r->slot), 0,
	    err, errlen)) < 0 ||
	    (rc = copy_str(params, "sha256", r->sha256, sizeof(r->sha256), 0,
	    err, errlen)) < 0 ||
	    (rc = copy_str(params, "product", r->product, sizeof(r->product),
	    0, err, errlen)) < 0 ||
	    (rc = copy_str(params, "confirm", r->confirm, sizeof(r->confirm),
	    0, err, errlen)) < 0 ||
	    (rc = copy_str(params, "entry", r->entry, sizeof(r->entry), 0,
	    err, errlen)) < 0)
		return rc;
	if (r->image[0] != '/')
		return dm_fail(err, errlen, DM_EINVAL, "flash: the image path "
		    "must be absolute (the server has its own working "
		    "folder)");
	if (cJSON_GetObjectItemCaseSensitive(params, "entry") != NULL &&
	    !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(params, "entry")) &&
	    r->entry[0] == '\0')
		return dm_fail(err, errlen, DM_EINVAL, "flash: \"entry\" is "
		    "empty (the image's path inside the archive)");
	r->force = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params,
	    "force"));
	r->hash = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params,
	    "hash"));
	return 0;
}

/* ---- the plan's two forms ---------------------------------------- */

static void plan_line(void (*line)(void *, const char *), void *ud,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
plan_line(void (*line)(void *, const char *), void *ud, const char *fmt, ...)
{
	char buf[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	line(ud, buf);
}

void
fb_plan_lines(const struct fb_flash_plan *p, const char *image,
    void (*line)(void *ud, const char *text), void *ud)
{
	char a[32], b[32];

	plan_line(line, ud, "Plan: flash %s on %s (%s, serial %s)", image,
	    p->ntargets > 1 ? "every slot" : p->targets[0],
	    p->product[0] ? p->product : "unknown product",
	    p->serialno[0] ? p->serialno : "unknown");
	for (int i = 0; i < p->ntargets; i++) {
		fb_size_text(p->part_size, a, sizeof(a));
		plan_line(line, ud, "  partition  %s%s%s%s", p->targets[i],
		    p->logical ? " (logical, resized to fit)" : "",
		    p->part_size && !p->logical ? ", " : "",
		    p->part_size && !p->logical ? a : "");
	}
	fb_size_text(p->image_size, a, sizeof(a));
	fb_size_text(p->expanded, b, sizeof(b));
	plan_line(line, ud, "  image      %s %s, %s once written",
	    p->sparse ? "sparse" : "raw", a, b);
	if (p->sha256[0])
		plan_line(line, ud, "  sha256     %s (checked: the one asked "
		    "for)", p->sha256);
	else if (p->hash_inline)
		plan_line(line, ud, "  sha256     computed while sending "
		    "(--sha256 HEX checks it before anything is sent)");
	else
		plan_line(line, ud, "  sha256     not computed (--sha256 HEX "
		    "checks it before anything is sent, --hash reports it)");
	fb_size_text(p->max_download, a, sizeof(a));
	fb_size_text(p->send_bytes, b, sizeof(b));
	plan_line(line, ud, "  sending    %zu piece%s, %s (the phone takes %s "
	    "at a time)", p->npieces, p->npieces == 1 ? "" : "s", b,
	    p->max_download ? a : "any size");
	plan_line(line, ud, "  bootloader %s%s", p->unlocked == 1 ?
	    "unlocked" : p->unlocked == 0 ? "locked" : "lock state unknown",
	    p->userspace ? " (fastbootd)" : "");
	for (int i = 0; i < p->nwarn; i++)
		plan_line(line, ud, "  warning    %s", p->warn[i]);
	plan_line(line, ud, "  risk       high: this overwrites %s; a wrong "
	    "image can leave the phone unbootable", p->ntargets > 1 ?
	    "every slot" : p->targets[0]);
}

cJSON *
fb_plan_json(const struct fb_flash_plan *p, const char *image,
    const char *archive, const char *entry)
{
	cJSON *j = cJSON_CreateObject(), *t = cJSON_CreateArray();

	cJSON_AddStringToObject(j, "image", image);
	if (entry != NULL) {
		cJSON_AddStringToObject(j, "archive", archive);
		cJSON_AddStringToObject(j, "entry", entry);
	}
	cJSON_AddStringToObject(j, "partition", p->part);
	for (int i = 0; i < p->ntargets; i++)
		cJSON_AddItemToArray(t, cJSON_CreateString(p->targets[i]));
	cJSON_AddItemToObject(j, "targets", t);
	cJSON_AddBoolToObject(j, "logical", p->logical);
	cJSON_AddBoolToObject(j, "sparse", p->sparse);
	cJSON_AddNumberToObject(j, "image_size", (double)p->image_size);
	cJSON_AddNumberToObject(j, "expanded_size", (double)p->expanded);
	cJSON_AddNumberToObject(j, "partition_size", (double)p->part_size);
	cJSON_AddNumberToObject(j, "max_download_size",
	    (double)p->max_download);
	cJSON_AddNumberToObject(j, "pieces", (double)p->npieces);
	cJSON_AddNumberToObject(j, "send_bytes", (double)p->send_bytes);
	if (p->sha256[0])
		cJSON_AddStringToObject(j, "sha256", p->sha256);
	else
		cJSON_AddNullToObject(j, "sha256");
	cJSON_AddBoolToObject(j, "sha256_checked", p->sha256[0] != '\0');
	cJSON_AddBoolToObject(j, "sha256_while_sending", p->hash_inline);
	cJSON_AddStringToObject(j, "product", p->product);
	cJSON_AddStringToObject(j, "serialno", p->serialno);
	if (p->unlocked < 0)
		cJSON_AddNullToObject(j, "unlocked");
	else
		cJSON_AddBoolToObject(j, "unlocked", p->unlocked);
	t = cJSON_CreateArray();
	for (int i = 0; i < p->nwarn; i++)
		cJSON_AddItemToArray(t, cJSON_CreateString(p->warn[i]));
	cJSON_AddItemToObject(j, "warnings", t);
	return j;
}

/* ---- the job ------------------------------------------------------------- */

struct run {
	struct job *job;
	struct fb_flash_plan *plan;
	struct fb_flash_result *res;
	char what[128];
};

static void
log_line(void *ud, const char *text)
{
	job_log(ud, "%s", text);
}

static int
on_progress(void *ud, uint64_t done, uint64_t total)
{
	struct run *r = ud;
	const struct fb_flash_plan *p = r->plan;
	int t = r->res->targets_done < p->ntargets ? r->res->targets_done : 0;

	if (job_cancelled(r->job))
		return DM_ECANCEL;
	snprintf(r->what, sizeof(r->what), "writing %s: piece %zu/%zu",
	    p->targets[t], r->res->pieces_done + 1, p->npieces);
	job_progress(r->job, (int64_t)done, (int64_t)total, r->what);
	return 0;
}

/* While the plan reads an archive entry through: progress, and the way
 * to cancel a long decompression. */
static int
on_check(void *ud, uint64_t done, uint64_t total)
{
	struct run *r = ud;

	if (job_cancelled(r->job))
		return DM_ECANCEL;
	job_progress(r->job, (int64_t)done, (int64_t)total,
	    "checking the image: reading it through");
	return 0;
}

static void
on_info(void *ud, const char *tag, const char *msg)
{
	struct run *r = ud;

	(void)tag;
	job_log(r->job, "(phone) %s", msg);
}

/* Store the result: {"ok":...,"error":...,"message":...,...}; returns
 * rc for the job (0, or rc with the message as the job's error). */
static int
finish(struct job *job, int rc, const char *errname, const char *msg,
    cJSON *extra)
{
	cJSON *j = extra ? extra : cJSON_CreateObject();
	char *s;

	cJSON_AddBoolToObject(j, "ok", rc == 0);
	if (rc != 0) {
		cJSON_AddStringToObject(j, "error", errname ? errname :
		    dm_errname(rc));
		cJSON_AddStringToObject(j, "message", msg);
	}
	s = cJSON_PrintUnformatted(j);
	job_set_result(job, s);
	cJSON_free(s);
	cJSON_Delete(j);
	if (rc != 0)
		return job_fail(job, rc, "%s", msg);
	return 0;
}

static cJSON *
plan_json(const struct fb_flash_plan *p, const struct flashjob_req *q,
    const char *name)
{
	return fb_plan_json(p, name, q->image, q->entry[0] ? q->entry : NULL);
}

static int
flash_job(struct job *job, void *arg)
{
	const struct flashjob_req *q = arg;
	struct fb_flash_opts fo = { 0 };
	struct fb_flash_plan plan;
	struct fb_flash_result res;
	struct fb_image img;
	struct fb_conn *c = NULL;
	struct run run = { job, &plan, &res, "" };
	struct fb_hooks hooks = { on_info, on_progress, &run };
	struct fb_hooks check_hooks = { NULL, on_check, &run };
	char err[768], msg[1200], name[sizeof(q->image) + sizeof(q->entry)];
	cJSON *j;
	int64_t t0;
	int rc;

	fo.part = q->part;
	fo.slot = q->slot[0] ? q->slot : NULL;
	fo.want_sha256 = q->sha256[0] ? q->sha256 : NULL;
	fo.want_product = q->product[0] ? q->product : NULL;
	fo.force = q->force;
	fo.hash = q->hash;
	if (q->entry[0])
		snprintf(name, sizeof(name), "%s:%s", q->image, q->entry);
	else
		snprintf(name, sizeof(name), "%s", q->image);
	job_progress(job, 0, 0, q->entry[0] ? "opening the archive" :
	    "opening the image");
	if (q->entry[0])
		rc = fb_image_open_archive(&img, q->image, q->entry, err,
		    sizeof(err));
	else
		rc = fb_image_open_file(&img, q->image, err, sizeof(err));
	if (rc < 0)
		return finish(job, rc, NULL, err, NULL);
	job_progress(job, 0, 0, "connecting");
	rc = fb_open(q->addr, OPEN_MS, &c, err, sizeof(err));
	if (rc < 0) {
		fb_image_close(&img);
		return finish(job, rc, NULL, err, NULL);
	}
	job_progress(job, 0, 0, "checking the image and asking the phone");
	fb_set_hooks(c, &check_hooks);
	rc = fb_flash_plan(c, &img, &fo, &plan, err, sizeof(err));
	fb_set_hooks(c, NULL);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "not flashing: %s", err);
		fb_close(c);
		fb_image_close(&img);
		return finish(job, rc, NULL, msg, NULL);
	}
	fb_plan_lines(&plan, name, log_line, job);
	/* The phone that answered must be the one the bench row names, and
	 * the one the user named. */
	if (q->expect_serial[0] && plan.serialno[0] &&
	    strcmp(q->expect_serial, plan.serialno) != 0) {
		rc = DM_EREFUSED;
		snprintf(msg, sizeof(msg), "nothing was flashed: the phone at "
		    "%s says it is %s, not %s", q->addr, plan.serialno,
		    q->expect_serial);
	} else if (!dev_confirm_names(q->confirm, plan.serialno)) {
		rc = DM_ECANCEL;
		dev_confirm_refusal(msg, sizeof(msg), q->confirm,
		    plan.serialno, "nothing was flashed");
	}
	if (rc < 0) {
		j = cJSON_CreateObject();
		cJSON_AddItemToObject(j, "plan", plan_json(&plan, q, name));
		fb_flash_plan_free(&plan);
		fb_close(c);
		fb_image_close(&img);
		return finish(job, rc, rc == DM_ECANCEL ? "ECONFIRM" : NULL,
		    msg, j);
	}
	log_info("flash", "flashing %s on %s (serial %s, sha256 %s)",
	    name, plan.ntargets > 1 ? "every slot" : plan.targets[0],
	    plan.serialno, plan.sha256[0] ? plan.sha256 :
	    plan.hash_inline ? "computed while sending" : "not computed");
	fb_set_hooks(c, &hooks);
	t0 = dm_mono_ms();
	rc = fb_flash_run(c, &img, &plan, &res, err, sizeof(err));
	fb_close(c);
	fb_image_close(&img);
	j = cJSON_CreateObject();
	cJSON_AddItemToObject(j, "plan", plan_json(&plan, q, name));
	cJSON_AddNumberToObject(j, "bytes_sent", (double)res.bytes_sent);
	cJSON_AddNumberToObject(j, "seconds",
	    (double)(dm_mono_ms() - t0) / 1000.0);
	if (rc < 0) {
		/* Say exactly what the phone holds now. */
		if (res.targets_done > 0 || res.pieces_done > 0)
			snprintf(msg, sizeof(msg), "%s; FLASH INCOMPLETE: "
			    "%d of %d partition%s done, %zu of %zu pieces "
			    "of the next written - %s is not usable as it "
			    "is, flash it again", err, res.targets_done,
			    plan.ntargets, plan.ntargets == 1 ? "" : "s",
			    res.pieces_done, plan.npieces,
			    plan.targets[res.targets_done < plan.ntargets ?
			    res.targets_done : 0]);
		else
			snprintf(msg, sizeof(msg), "%s; nothing was flashed",
			    err);
		cJSON_AddNumberToObject(j, "targets_done", res.targets_done);
		cJSON_AddNumberToObject(j, "pieces_done",
		    (double)res.pieces_done);
		fb_flash_plan_free(&plan);
		return finish(job, rc, NULL, msg, j);
	}
	if (res.sha256[0])
		cJSON_AddStringToObject(j, "sha256", res.sha256);
	else
		cJSON_AddNullToObject(j, "sha256");
	for (int i = 0; i < plan.ntargets; i++)
		job_log(job, "flashed %s (%zu piece%s, %.1f s)",
		    plan.targets[i], plan.npieces, plan.npieces == 1 ? "" :
		    "s", (double)(dm_mono_ms() - t0) / 1000.0);
	if (res.sha256[0]) {
		job_log(job, "sha256 of what was flashed: %s", res.sha256);
		log_info("flash", "flashed %s: sha256 %s", name, res.sha256);
	} else
		log_info("flash", "flashed %s", name);
	fb_flash_plan_free(&plan);
	return finish(job, 0, NULL, NULL, j);
}

int
flashjob_submit(struct jobeng *eng, unsigned dev_id,
    const struct flashjob_req *r)
{
	struct flashjob_req *copy = xmalloc(sizeof(*copy));

	*copy = *r;
	return jobeng_submit(eng, dev_id, "flash", flash_job, copy, free);
}

int
flashjob_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen)
{
	struct flashjob_req r;
	int rc;

	if ((rc = flashjob_req_from_json(params, &r, err, errlen)) < 0 ||
	    (rc = proto_param_address(params, r.addr, sizeof(r.addr), err,
	    errlen)) < 0)
		return rc;
	rc = flashjob_submit(eng, 0, &r);
	if (rc < 0)
		dm_fail(err, errlen, rc, "could not queue the flash");
	return rc;
}
