/* romjob.c - a whole firmware package flashed as a job (see romjob.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adb.h"
#include "adbkey.h"
#include "backup.h"
#include "catalog.h"
#include "dev.h"
#include "err.h"
#include "fastboot.h"
#include "fwcache.h"
#include "gzindex.h"
#include "job.h"
#include "log.h"
#include "paths.h"
#include "proto.h"
#include "romjob.h"
#include "xferjob.h"
#include "xmem.h"

#define OPEN_MS		10000
#define MAX_PARTS	512
/* How long a phone may take to boot after the final reboot (a first boot
 * after a flash compiles apps: minutes); DROIDMEDIC_BOOT_WAIT (seconds)
 * overrides it. */
#define BOOT_WAIT_S	600
#define PROP_MS		15000

/* ---- the request ------------------------------------------------------- */

static int
get_bool(const cJSON *params, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, key));
}

int
romjob_req_from_json(const cJSON *params, struct romjob_req *r, char *err,
    size_t errlen)
{
	char choice[16];
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = proto_param_copy(params, "package", 1, r->package,
	    sizeof(r->package), "flash: ", err, errlen)) < 0 ||
	    (rc = proto_param_copy(params, "choice", 0, choice,
	    sizeof(choice), "flash: ", err, errlen)) < 0 ||
	    (rc = proto_param_copy(params, "sha256", 0, r->sha256,
	    sizeof(r->sha256), "flash: ", err, errlen)) < 0 ||
	    (rc = proto_param_copy(params, "confirm", 0, r->confirm,
	    sizeof(r->confirm), "flash: ", err, errlen)) < 0)
		return rc;
	if (r->package[0] != '/')
		return dm_fail(err, errlen, DM_EINVAL, "\"package\" must be an "
		    "absolute path");
	if (choice[0] == '\0' || strcmp(choice, "keep-data") == 0)
		r->choice = ROM_KEEP_DATA;
	else if (strcmp(choice, "wipe") == 0)
		r->choice = ROM_WIPE;
	else if (strcmp(choice, "lock") == 0)
		r->choice = ROM_WIPE_LOCK;
	else
		return dm_fail(err, errlen, DM_EINVAL, "\"choice\" is "
		    "keep-data, wipe or lock");
	r->force = get_bool(params, "force");
	r->without_backup = get_bool(params, "without_backup");
	r->dry_run = get_bool(params, "dry_run");
	r->restart = get_bool(params, "restart");
	return 0;
}

/* ---- the journal --------------------------------------------------------- */

/* A serial as a file name: what is not [A-Za-z0-9._-] becomes '_'. */
static void
safe_name(const char *serial, char *out, size_t len)
{
	size_t i;

	for (i = 0; serial[i] != '\0' && i + 1 < len; i++) {
		char c = serial[i];

		out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ?
		    c : '_';
	}
	out[i] = '\0';
	if (out[0] == '\0' || out[0] == '.')
		snprintf(out, len, "unknown");
}

static char *
flash_dir(void)
{
	char *state = paths_state_dir(), *dir;

	if (state == NULL)
		return NULL;
	dir = xasprintf("%s/flash", state);
	free(state);
	if (paths_mkdirs(dir, 0700) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

char *
romjob_journal_path(const char *serial)
{
	char name[96], *dir = flash_dir(), *p;

	if (dir == NULL)
		return NULL;
	safe_name(serial, name, sizeof(name));
	p = xasprintf("%s/%s.json", dir, name);
	free(dir);
	return p;
}

static cJSON *
read_json(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;
	cJSON *j;

	if (f == NULL)
		return NULL;
	buf = xmalloc(65536);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	buf[n] = '\0';
	j = cJSON_Parse(buf);
	free(buf);
	return j;
}

struct journal {
	char *path;
	cJSON *j;
};

static void
journal_put(struct journal *jn, const char *state, int next_line,
    const char *error)
{
	cJSON *j = jn->j;
	char e[512];

	if (j == NULL)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(j, "state");
	cJSON_DeleteItemFromObjectCaseSensitive(j, "next_line");
	cJSON_DeleteItemFromObjectCaseSensitive(j, "error");
	cJSON_DeleteItemFromObjectCaseSensitive(j, "updated");
	cJSON_AddStringToObject(j, "state", state);
	cJSON_AddNumberToObject(j, "next_line", next_line);
	if (error != NULL)
		cJSON_AddStringToObject(j, "error", error);
	cJSON_AddNumberToObject(j, "updated", (double)(dm_now_ms() / 1000));
	if (jn->path != NULL && bklib_save(jn->path, j, e, sizeof(e)) < 0)
		log_warn("flash", "cannot write the journal: %s", e);
}

/* The line a stopped run of the same package and choice on this phone
 * got to, or 0. */
static int
journal_resume_line(const char *path, const struct rom_pkg *p,
    enum rom_choice choice, char *when, size_t wlen, char *why, size_t ylen)
{
	cJSON *j = read_json(path);
	const cJSON *v;
	int line = 0;

	when[0] = why[0] = '\0';
	if (j == NULL)
		return 0;
	v = cJSON_GetObjectItemCaseSensitive(j, "sha256");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, p->sha256) != 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(j, "choice");
	if (!cJSON_IsNumber(v) || v->valueint != (int)choice)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(j, "state");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "done") == 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(j, "next_line");
	if (cJSON_IsNumber(v) && v->valueint > 0)
		line = v->valueint;
	v = cJSON_GetObjectItemCaseSensitive(j, "updated");
	if (cJSON_IsNumber(v)) {
		time_t t = (time_t)v->valuedouble;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(when, wlen, "%Y-%m-%d %H:%M:%S", &tm);
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (cJSON_IsString(v))
		snprintf(why, ylen, "%s", v->valuestring);
out:
	cJSON_Delete(j);
	return line;
}

/* ---- the run ------------------------------------------------------------- */

struct run {
	struct job *job;
	const struct rom_plan *pl;
	size_t step, nsteps;		/* the step running, 1-based */
	uint64_t base, total;		/* image bytes before this step */
	int64_t t0;			/* when the steps began (ms) */
	int told_stop;			/* "finishes first" was said */
	const struct rom_step *st;
	struct fb_flash_plan *fp;
	struct fb_flash_result *res;
	char what[256];
};

static int
pkg_progress(void *ud, uint64_t done, uint64_t total)
{
	struct job *job = ud;

	if (job_cancelled(job))
		return 1;
	job_progress(job, (int64_t)done, (int64_t)total,
	    "checking the package: reading it through");
	return 0;
}

static int
on_progress(void *ud, uint64_t done, uint64_t total)
{
	struct run *r = ud;
	uint64_t at = r->base;

	/* Asked to stop (a cancel, Ctrl-C or a hang-up of a flash run in
	 * the command's own process): this step finishes first, and the
	 * run stops before the next; a partition is never left
	 * half-written by droidmedic. */
	if (job_cancelled(r->job) && !r->told_stop) {
		r->told_stop = 1;
		job_log(r->job, "asked to stop: step %zu (%s) finishes first",
		    r->step, r->st->target);
	}
	if (r->fp != NULL && r->fp->npieces > 0 && total > 0)
		at += (uint64_t)((double)r->st->size *
		    ((double)r->res->pieces_done + (double)done / total) /
		    (double)r->fp->npieces);
	{
		/* This image's share, and the whole run's time left at the
		 * rate so far. */
		int64_t el = dm_mono_ms() - r->t0;
		char eta[48] = "";

		if (el > 2000 && at > 0 && r->total > at) {
			int64_t left = (int64_t)((double)(r->total - at) *
			    (double)el / (double)at / 1000.0);

			snprintf(eta, sizeof(eta), ", all: %lld:%02lld left",
			    (long long)(left / 60), (long long)(left % 60));
		}
		snprintf(r->what, sizeof(r->what), "step %zu/%zu: flash %s "
		    "(%s) %d%%%s", r->step, r->nsteps, r->st->target,
		    r->st->file, r->st->size > 0 ? (int)((at - r->base) *
		    100 / r->st->size) : 0, eta);
	}
	job_progress(r->job, (int64_t)at, (int64_t)r->total, r->what);
	return 0;
}

static int
on_check(void *ud, uint64_t done, uint64_t total)
{
	struct run *r = ud;

	(void)done;
	(void)total;
	if (job_cancelled(r->job))
		return DM_ECANCEL;
	snprintf(r->what, sizeof(r->what), "step %zu/%zu: reading %s",
	    r->step, r->nsteps, r->st->file);
	job_progress(r->job, (int64_t)r->base, (int64_t)r->total, r->what);
	return 0;
}

static void
on_info(void *ud, const char *tag, const char *msg)
{
	struct run *r = ud;

	(void)tag;
	job_log(r->job, "(phone) %s", msg);
}

static int
flash_step(struct fb_conn *c, const struct rom_pkg *p, struct run *r,
    int force, char *err, size_t errlen)
{
	struct fb_flash_opts fo = { 0 };
	struct fb_flash_plan fp;
	struct fb_flash_result res;
	struct fb_image img;
	struct fb_hooks check = { NULL, on_check, r };
	struct fb_hooks hooks = { on_info, on_progress, r };
	int rc;

	const struct rom_member *m = NULL;

	if ((rc = rompkg_unchanged(p, err, errlen)) < 0)
		return rc;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->m[i].name, r->st->entry) == 0)
			m = &p->m[i];
	if (m != NULL && p->gz != NULL) {
		char name[sizeof(img.name)];

		/* Straight from where its data starts in the package. */
		snprintf(name, sizeof(name), "%s:%s", p->path, m->name);
		rc = fb_image_open_gz(&img, p->path, p->gz, m->offset, m->size,
		    name, err, errlen);
	} else
		rc = fb_image_open_archive(&img, p->path, r->st->entry, err,
		    errlen);
	if (rc < 0)
		return rc;
	fo.part = r->st->target;
	fo.force = force;
	/* Its layout was read (and every byte of it checked) with the
	 * package: the plan reads nothing of it again. */
	if (m != NULL && m->has_map)
		fo.map = &m->map;
	memset(&res, 0, sizeof(res));
	r->fp = NULL;
	r->res = &res;
	fb_set_hooks(c, &check);
	rc = fb_flash_plan(c, &img, &fo, &fp, err, errlen);
	if (rc == 0) {
		r->fp = &fp;
		fb_set_hooks(c, &hooks);
		rc = fb_flash_run(c, &img, &fp, &res, err, errlen);
		if (rc < 0 && (res.targets_done > 0 || res.pieces_done > 0)) {
			char why[512];

			snprintf(why, sizeof(why), "%s", err);
			dm_fail(err, errlen, rc, "%s (%zu of %zu pieces of %s "
			    "written: it is not usable as it is)", why,
			    res.pieces_done, fp.npieces, r->st->target);
		}
		fb_flash_plan_free(&fp);
	}
	r->fp = NULL;
	fb_set_hooks(c, NULL);
	fb_image_close(&img);
	return rc;
}

static int
run_step(struct fb_conn *c, const struct rom_pkg *p, struct run *r,
    int force, char *err, size_t errlen)
{
	char cmd[128];
	const struct rom_step *st = r->st;

	switch (st->op) {
	case OP_FLASH:
		return flash_step(c, p, r, force, err, errlen);
	case OP_ERASE:
		snprintf(cmd, sizeof(cmd), "erase:%s", st->target);
		break;
	case OP_SET_ACTIVE:
		snprintf(cmd, sizeof(cmd), "set_active:%s", st->target);
		break;
	case OP_OEM_LOCK:
		snprintf(cmd, sizeof(cmd), "oem lock");
		break;
	case OP_SNAPSHOT_CANCEL:
		snprintf(cmd, sizeof(cmd), "snapshot-update:cancel");
		break;
	case OP_REBOOT:
		return fb_reboot(c, "system", err, errlen);
	}
	snprintf(r->what, sizeof(r->what), "step %zu/%zu: %s", r->step,
	    r->nsteps, cmd);
	job_progress(r->job, (int64_t)r->base, (int64_t)r->total, r->what);
	return fb_command(c, cmd, NULL, 0, FB_SLOW_MS, err, errlen);
}

/* What getvar all left out about the script's partitions, asked one by
 * one (a phone that does not know a variable says FAIL: left unknown). */
static void
ask_missing(struct fb_conn *c, struct fbvars *v, const struct rom_pkg *p,
    enum rom_choice choice)
{
	char (*names)[80] = xmalloc(MAX_PARTS * sizeof(*names));
	size_t n = romplan_parts(p, choice, names, MAX_PARTS);
	char q[128], val[FB_RESP_MAX + 1], err[256];

	for (size_t i = 0; i < n; i++) {
		const char *forms[3];
		char a[96], b[96];
		int hs = fbvars_has_slot(v, names[i]);

		if (hs < 0 && fbvars_part(v, names[i]) == NULL) {
			snprintf(q, sizeof(q), "has-slot:%s", names[i]);
			if (fb_getvar(c, q, val, sizeof(val), err,
			    sizeof(err)) == 0)
				fbvars_set(v, q, val);
			hs = fbvars_has_slot(v, names[i]);
		}
		snprintf(a, sizeof(a), "%s_a", names[i]);
		snprintf(b, sizeof(b), "%s_b", names[i]);
		forms[0] = names[i];
		forms[1] = a;
		forms[2] = b;
		for (int k = hs == 1 ? 1 : 0; k < 3; k++) {
			const struct fb_part *fp = fbvars_part(v, forms[k]);

			if (fp != NULL && fp->has_size)
				continue;
			if (k > 0 && hs != 1 && fbvars_part(v,
			    names[i]) != NULL)
				break;
			snprintf(q, sizeof(q), "partition-size:%s", forms[k]);
			if (fb_getvar(c, q, val, sizeof(val), err,
			    sizeof(err)) != 0)
				continue;
			fbvars_set(v, q, val);
			snprintf(q, sizeof(q), "is-logical:%s", forms[k]);
			if (fb_getvar(c, q, val, sizeof(val), err,
			    sizeof(err)) == 0)
				fbvars_set(v, q, val);
		}
	}
	free(names);
}

static int
ask_phone(struct fb_conn *c, struct fbvars *v, char *err, size_t errlen)
{
	static const char *const basic[] = {
		"product", "serialno", "unlocked", "is-userspace",
		"current-slot", "slot-count", "max-download-size",
		"battery-soc-ok", "battery-voltage", "anti", "crc",
		"snapshot-update-status",
	};
	char val[FB_RESP_MAX + 1], e[256];
	int rc = fb_getvar_all(c, v, err, errlen);

	if (rc != DM_EREFUSED)
		return rc;
	/* A phone that will not say "all": the ones the plan needs. */
	for (size_t i = 0; i < sizeof(basic) / sizeof(basic[0]); i++) {
		rc = fb_getvar(c, basic[i], val, sizeof(val), e, sizeof(e));
		if (rc == 0)
			fbvars_set(v, basic[i], val);
		else if (rc != DM_EREFUSED)
			return dm_fail(err, errlen, rc, "%s", e);
	}
	return 0;
}

static void
log_line(void *ud, const char *text)
{
	job_log(ud, "%s", text);
}

struct report {
	cJSON *j, *steps;
	FILE *txt;
	char *json_path, *txt_path;
};

static void
report_open(struct report *rp, const char *serial)
{
	char name[96], stamp[32], *dir = flash_dir();
	time_t now = time(NULL);
	struct tm tm;

	memset(rp, 0, sizeof(*rp));
	rp->j = cJSON_CreateObject();
	rp->steps = cJSON_AddArrayToObject(rp->j, "steps");
	if (dir == NULL)
		return;
	safe_name(serial, name, sizeof(name));
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	rp->json_path = xasprintf("%s/%s-%s.json", dir, name, stamp);
	rp->txt_path = xasprintf("%s/%s-%s.txt", dir, name, stamp);
	rp->txt = fopen(rp->txt_path, "we");
	free(dir);
}

static void
report_line(void *ud, const char *text)
{
	struct report *rp = ud;

	if (rp->txt != NULL)
		fprintf(rp->txt, "%s\n", text);
}

static void
report_close(struct report *rp)
{
	char e[512];

	if (rp->txt != NULL)
		fclose(rp->txt);
	if (rp->json_path != NULL && bklib_save(rp->json_path, rp->j, e,
	    sizeof(e)) < 0)
		log_warn("flash", "cannot write the report: %s", e);
	cJSON_Delete(rp->j);
	free(rp->json_path);
	free(rp->txt_path);
}

/* One property, trimmed, into out ("" when unset); 0 or a dm_err. */
static int
getprop(struct adb_conn *c, const char *name, char *out, size_t len,
    char *err, size_t errlen)
{
	char cmd[128], *o = NULL;
	size_t n = 0;
	int code = 0, rc;

	snprintf(cmd, sizeof(cmd), "getprop %s", name);
	rc = adb_shell_capture(c, cmd, &o, &n, 4096, &code, PROP_MS, err,
	    errlen);
	out[0] = '\0';
	if (rc == 0 && o != NULL) {
		while (n > 0 && (o[n - 1] == '\n' || o[n - 1] == '\r' ||
		    o[n - 1] == ' '))
			n--;
		if (n >= len)
			n = len - 1;
		memcpy(out, o, n);
		out[n] = '\0';
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)out[i] < 0x20)
				out[i] = '?';
	}
	free(o);
	return rc;
}

static void
nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* After the final reboot: wait for the phone in ADB at the same address
 * (a phone re-enumerates on its port; the simulator answers on its),
 * then for sys.boot_completed, and compare the build it runs with the
 * package's (misc.txt build_number against ro.build.version.incremental).
 * Fills res's "boot"; 0, or a dm_err with msg when the phone does not
 * come back or runs another build. */
static int
boot_check(struct job *job, const char *addr, const struct rom_pkg *p,
    cJSON *res, char *msg, size_t msglen)
{
	cJSON *b = cJSON_AddObjectToObject(res, "boot");
	const char *env = getenv("DROIDMEDIC_BOOT_WAIT");
	int wait_s = env != NULL && atoi(env) > 0 ? atoi(env) : BOOT_WAIT_S;
	int64_t t0 = dm_mono_ms(), deadline = t0 + (int64_t)wait_s * 1000;
	struct adbkeys *keys;
	struct adb_conn *c = NULL;
	char err[512], val[256], inc[128] = "", fp[256] = "";
	int rc = DM_ETIMEOUT, booted = 0;

	keys = adbkeys_load(err, sizeof(err));
	if (keys == NULL) {
		cJSON_AddBoolToObject(b, "checked", 0);
		cJSON_AddStringToObject(b, "why", err);
		return dm_fail(msg, msglen, DM_EIO, "flashed, but the boot "
		    "cannot be checked: ADB key: %s", err);
	}
	while (dm_mono_ms() < deadline && !job_cancelled(job)) {
		char what[96];

		snprintf(what, sizeof(what), "flashed; waiting for the phone "
		    "to boot (%d s)", (int)((dm_mono_ms() - t0) / 1000));
		job_progress(job, 0, 0, what);
		if (c == NULL && xferjob_connect(job, addr, keys, &c, err,
		    sizeof(err)) < 0) {
			c = NULL;
			nap_ms(1000);
			continue;
		}
		if (getprop(c, "sys.boot_completed", val, sizeof(val), err,
		    sizeof(err)) < 0) {
			adb_close(c);
			c = NULL;
			nap_ms(1000);
			continue;
		}
		if (strcmp(val, "1") == 0) {
			booted = 1;
			break;
		}
		nap_ms(1000);
	}
	adbkeys_free(keys);
	cJSON_AddBoolToObject(b, "checked", 1);
	cJSON_AddNumberToObject(b, "seconds",
	    (double)(dm_mono_ms() - t0) / 1000.0);
	if (!booted) {
		if (c != NULL)
			adb_close(c);
		cJSON_AddBoolToObject(b, "booted", 0);
		if (job_cancelled(job))
			return dm_fail(msg, msglen, DM_ECANCEL, "flashed; the "
			    "wait for the phone to boot was cancelled");
		return dm_fail(msg, msglen, rc, "flashed, but the phone did not "
		    "come back in ADB within %d s: it may be boot-looping "
		    "(droidmedic devices, droidmedic diagnose)", wait_s);
	}
	getprop(c, "ro.build.version.incremental", inc, sizeof(inc), err,
	    sizeof(err));
	getprop(c, "ro.build.fingerprint", fp, sizeof(fp), err, sizeof(err));
	adb_close(c);
	cJSON_AddBoolToObject(b, "booted", 1);
	cJSON_AddStringToObject(b, "incremental", inc);
	cJSON_AddStringToObject(b, "fingerprint", fp);
	cJSON_AddStringToObject(b, "package_build", p->build);
	if (p->build[0] == '\0') {
		job_log(job, "the phone booted (%s); the package does not say "
		    "its build (no build_number in misc.txt)", fp[0] ? fp :
		    inc);
		return 0;
	}
	cJSON_AddBoolToObject(b, "matches", strcmp(inc, p->build) == 0);
	if (strcmp(inc, p->build) != 0)
		return dm_fail(msg, msglen, DM_EINVAL, "flashed, but the phone "
		    "boots build %s, not the package's %s (fingerprint %s)",
		    inc[0] ? inc : "(none given)", p->build, fp[0] ? fp : "?");
	job_log(job, "the phone booted the package's build %s in %.0f s "
	    "(fingerprint %s)", inc, (double)(dm_mono_ms() - t0) / 1000.0,
	    fp[0] ? fp : "?");
	return 0;
}

static int
finish(struct job *job, int rc, const char *errname, const char *msg,
    cJSON *j)
{
	char *s;

	if (j == NULL)
		j = cJSON_CreateObject();
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

static int
rom_job(struct job *job, void *arg)
{
	const struct romjob_req *q = arg;
	struct rom_pkg pkg;
	struct rom_plan pl;
	struct romplan_opts po = { 0 };
	struct fbvars v;
	struct catalog cat;
	struct fb_conn *c = NULL;
	struct journal jn = { NULL, NULL };
	struct report rp;
	struct run r;
	char err[1024], msg[1600], bkid[128], when[32], jwhy[512];
	int rc, resume_line = 0, have_backup = 0;
	size_t done = 0, todo = 0;
	int64_t t0;
	cJSON *res;

	memset(&r, 0, sizeof(r));
	r.job = job;
	catalog_init(&cat);
	job_progress(job, 0, 0, "checking the package: reading it through");
	rc = rompkg_open(q->package, &pkg, pkg_progress, job, err,
	    sizeof(err));
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "nothing was flashed: %s", err);
		return finish(job, rc, NULL, msg, NULL);
	}
	job_progress(job, 0, 0, "connecting");
	rc = fb_open(q->addr, OPEN_MS, &c, err, sizeof(err));
	fbvars_init(&v);
	if (rc == 0) {
		job_progress(job, 0, 0, "asking the phone");
		rc = ask_phone(c, &v, err, sizeof(err));
	}
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "nothing was flashed: %s", err);
		goto fail_early;
	}
	ask_missing(c, &v, &pkg, q->choice);
	if (v.serialno[0] != '\0')
		have_backup = bklib_recent(v.serialno, BK_RECENT_S, bkid,
		    sizeof(bkid), NULL, 0) == 1;
	po.want_sha256 = q->sha256[0] ? q->sha256 : NULL;
	/* What the catalogs say of this package. */
	catalog_load(&cat);
	for (size_t i = 0; i < cat.nerrors; i++)
		job_log(job, "catalog: %s", cat.errors[i]);
	{
		const struct cat_build *b = catalog_by_hash(&cat, pkg.sha256,
		    pkg.md5);
		const char *base = strrchr(pkg.path, '/');

		if (b != NULL && b->sample) {
			po.cat_sample = 1;
			b = NULL;
		}
		po.cat_hash = b;
		if (b == NULL)
			po.cat_name = catalog_by_file(&cat, base != NULL ?
			    base + 1 : pkg.path);
		if (po.cat_name != NULL && po.cat_name->sample) {
			po.cat_name = NULL;
			po.cat_sample = 1;
		}
	}
	po.force = q->force;
	po.without_backup = q->without_backup;
	po.backup_id = have_backup ? bkid : NULL;
	rc = romplan_build(&pkg, q->choice, &v, &po, &pl, err, sizeof(err));
	catalog_free(&cat);	/* the plan keeps nothing of it */
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "nothing was flashed: %s", err);
		goto fail_early;
	}
	romplan_lines(&pl, &pkg, log_line, job);
	res = cJSON_CreateObject();
	cJSON_AddItemToObject(res, "plan", romplan_json(&pl, &pkg));

	/* A run of this package that stopped on this phone. */
	jn.path = romjob_journal_path(pl.serialno[0] ? pl.serialno : q->addr);
	if (jn.path != NULL && !q->restart)
		resume_line = journal_resume_line(jn.path, &pkg, q->choice,
		    when, sizeof(when), jwhy, sizeof(jwhy));
	for (size_t i = 0; i < pl.n; i++) {
		if (pl.steps[i].skip)
			continue;
		todo++;
		if (resume_line > 0 && pl.steps[i].line > 0 &&
		    pl.steps[i].line < resume_line)
			done++;
	}
	if (done == 0)
		resume_line = 0;
	if (resume_line > 0) {
		job_log(job, "resuming: a run of this package stopped on this "
		    "phone at %s%s%s; its first %zu steps were done, it goes "
		    "on at line %d of %s", when, jwhy[0] ? " (" : "", jwhy,
		    done, resume_line, pl.script);
		cJSON_AddNumberToObject(res, "resume_line", resume_line);
	}

	if (q->dry_run) {
		const struct rom_gate *g = romplan_first_failed(&pl);

		cJSON_AddBoolToObject(res, "dry_run", 1);
		rc = 0;
		if (g != NULL) {
			rc = DM_EREFUSED;
			snprintf(msg, sizeof(msg), "dry run: nothing was sent; "
			    "the flash would be refused: %s: %s", g->name,
			    g->why);
		} else
			job_log(job, "dry run: nothing was sent; to flash, "
			    "run it again without --dry-run and with --confirm "
			    "%s", dev_confirm_hint(pl.serialno));
		fb_close(c);
		free(jn.path);
		romplan_free(&pl);
		rompkg_free(&pkg);
		fbvars_free(&v);
		return finish(job, rc, NULL, msg, res);
	}
	if (pl.blocked) {
		const struct rom_gate *g = romplan_first_failed(&pl);

		rc = DM_EREFUSED;
		snprintf(msg, sizeof(msg), "nothing was flashed: %s: %s",
		    g->name, g->why);
	} else if (q->expect_serial[0] && pl.serialno[0] &&
	    strcmp(q->expect_serial, pl.serialno) != 0) {
		rc = DM_EREFUSED;
		snprintf(msg, sizeof(msg), "nothing was flashed: the phone at "
		    "%s says it is %s, not %s", q->addr, pl.serialno,
		    q->expect_serial);
	} else if (!dev_confirm_names(q->confirm, pl.serialno)) {
		rc = DM_ECANCEL;
		dev_confirm_refusal(msg, sizeof(msg), q->confirm, pl.serialno,
		    "nothing was flashed");
	}
	if (rc < 0) {
		fb_close(c);
		free(jn.path);
		romplan_free(&pl);
		rompkg_free(&pkg);
		fbvars_free(&v);
		return finish(job, rc, rc == DM_ECANCEL ? "ECONFIRM" : NULL,
		    msg, res);
	}

	/* Go. */
	fwcache_touch(pkg.path);
	log_info("flash", "flashing %s (%s, sha256 %s) on %s, %s", pkg.path,
	    pl.script, pkg.sha256, pl.serialno, rom_choice_name(q->choice));
	jn.j = cJSON_CreateObject();
	cJSON_AddStringToObject(jn.j, "serial", pl.serialno);
	cJSON_AddStringToObject(jn.j, "package", pkg.path);
	cJSON_AddStringToObject(jn.j, "sha256", pkg.sha256);
	cJSON_AddNumberToObject(jn.j, "choice", q->choice);
	cJSON_AddStringToObject(jn.j, "script", pl.script);
	report_open(&rp, pl.serialno);
	cJSON_AddStringToObject(rp.j, "package", pkg.path);
	cJSON_AddStringToObject(rp.j, "sha256", pkg.sha256);
	cJSON_AddStringToObject(rp.j, "choice", rom_choice_name(q->choice));
	cJSON_AddStringToObject(rp.j, "serial", pl.serialno);
	cJSON_AddStringToObject(rp.j, "product", pl.product);
	cJSON_AddNumberToObject(rp.j, "started", (double)(dm_now_ms() / 1000));
	romplan_lines(&pl, &pkg, report_line, &rp);
	r.pl = &pl;
	r.nsteps = todo;
	r.total = 0;
	for (size_t i = 0; i < pl.n; i++)
		if (!pl.steps[i].skip && pl.steps[i].op == OP_FLASH &&
		    !(resume_line > 0 && pl.steps[i].line > 0 &&
		    pl.steps[i].line < resume_line))
			r.total += pl.steps[i].size;
	t0 = dm_mono_ms();
	r.t0 = t0;
	rc = 0;
	r.step = done;
	for (size_t i = 0; i < pl.n && rc == 0; i++) {
		const struct rom_step *st = &pl.steps[i];
		cJSON *sj;
		int64_t s0;

		if (st->skip || (resume_line > 0 && st->line > 0 &&
		    st->line < resume_line))
			continue;
		if (job_cancelled(job)) {
			/* Stopped between steps: this one is where the next
			 * run goes on (the journal and the message name it). */
			r.step++;
			r.st = st;
			rc = dm_fail(err, sizeof(err), DM_ECANCEL, "cancelled "
			    "before step %zu; the steps before it are done",
			    r.step);
			break;
		}
		r.step++;
		r.st = st;
		journal_put(&jn, "running", st->line, NULL);
		job_log(job, "step %zu/%zu: %s %s%s%s", r.step, todo,
		    rom_op_name(st->op), st->target, st->op == OP_FLASH ? " < " :
		    "", st->op == OP_FLASH ? st->file : "");
		s0 = dm_mono_ms();
		rc = run_step(c, &pkg, &r, q->force, err, sizeof(err));
		sj = cJSON_CreateObject();
		cJSON_AddStringToObject(sj, "op", rom_op_name(st->op));
		cJSON_AddStringToObject(sj, "target", st->target);
		if (st->op == OP_FLASH) {
			cJSON_AddStringToObject(sj, "file", st->file);
			cJSON_AddStringToObject(sj, "sha256", st->sha256);
			cJSON_AddNumberToObject(sj, "size", (double)st->size);
		}
		cJSON_AddNumberToObject(sj, "seconds",
		    (double)(dm_mono_ms() - s0) / 1000.0);
		cJSON_AddStringToObject(sj, "result", rc == 0 ? "ok" : err);
		cJSON_AddItemToArray(rp.steps, sj);
		{
			char line[1400];

			snprintf(line, sizeof(line), "step %zu %s %s: %s "
			    "(%.1f s)", r.step, rom_op_name(st->op), st->target,
			    rc == 0 ? "ok" : err,
			    (double)(dm_mono_ms() - s0) / 1000.0);
			report_line(&rp, line);
		}
		/* The script goes on past a failed step it does not check
		 * (an oem lock, a reboot): so does droidmedic, saying so. */
		if (rc < 0 && st->line > 0 && rc != DM_ECANCEL &&
		    rc != DM_ECONN && rc != DM_ECLOSED && !st->checked) {
			job_log(job, "step %zu failed (%s); the script does "
			    "not stop there, nor does droidmedic", r.step, err);
			rc = 0;
		}
		if (rc == 0 && st->op == OP_FLASH)
			r.base += st->size;
		if (rc == 0) {
			/* The next step's line, for a resume. */
			int next = 0;

			for (size_t k = i + 1; k < pl.n; k++)
				if (!pl.steps[k].skip && pl.steps[k].line > 0) {
					next = pl.steps[k].line;
					break;
				}
			journal_put(&jn, next ? "running" : "done", next, NULL);
		}
	}
	cJSON_AddNumberToObject(res, "steps_total", (double)todo);
	cJSON_AddNumberToObject(res, "steps_done", (double)r.step -
	    (rc < 0 ? 1 : 0));
	cJSON_AddNumberToObject(res, "seconds",
	    (double)(dm_mono_ms() - t0) / 1000.0);
	cJSON_AddNumberToObject(rp.j, "seconds",
	    (double)(dm_mono_ms() - t0) / 1000.0);
	cJSON_AddStringToObject(rp.j, "outcome", rc == 0 ? "flashed" :
	    "stopped");
	if (rc < 0)
		cJSON_AddStringToObject(rp.j, "error", err);
	if (rp.json_path != NULL)
		cJSON_AddStringToObject(res, "report", rp.json_path);
	if (jn.path != NULL)
		cJSON_AddStringToObject(res, "journal", jn.path);
	if (rc < 0) {
		const struct rom_step *st = r.st;

		journal_put(&jn, "stopped", st ? st->line : 0, err);
		snprintf(msg, sizeof(msg), "FLASH STOPPED at step %zu of %zu "
		    "(%s %s, line %d of %s): %s. The phone is half-flashed: "
		    "run the same flash again once it is back in fastboot to "
		    "resume at that step", r.step, todo, st ?
		    rom_op_name(st->op) : "?", st ? st->target : "?", st ?
		    st->line : 0, pl.script, err);
		report_line(&rp, msg);
	} else {
		const struct rom_step *last = r.st;

		if (done > 0)
			job_log(job, "flashed: steps %zu-%zu of %zu in %.1f s "
			    "(resumed; steps 1-%zu were done before)",
			    done + 1, todo, todo,
			    (double)(dm_mono_ms() - t0) / 1000.0, done);
		else
			job_log(job, "flashed: %zu steps in %.1f s", todo,
			    (double)(dm_mono_ms() - t0) / 1000.0);
		report_line(&rp, "outcome: flashed");
		if (last != NULL && last->op == OP_REBOOT && pl.wipes) {
			cJSON *b = cJSON_AddObjectToObject(res, "boot");

			cJSON_AddBoolToObject(b, "checked", 0);
			cJSON_AddStringToObject(b, "why", "user data was "
			    "erased: USB debugging is off until the phone is "
			    "set up again");
			job_log(job, "user data was erased, so USB debugging is "
			    "off: check by hand that it boots");
		} else if (last != NULL && last->op == OP_REBOOT) {
			rc = boot_check(job, q->addr, &pkg, res, msg,
			    sizeof(msg));
			cJSON_AddItemToObject(rp.j, "boot", cJSON_Duplicate(
			    cJSON_GetObjectItemCaseSensitive(res, "boot"), 1));
			report_line(&rp, rc == 0 ? "boot: the package's build "
			    "is running" : msg);
		}
	}
	report_close(&rp);
	cJSON_Delete(jn.j);
	free(jn.path);
	fb_close(c);
	romplan_free(&pl);
	rompkg_free(&pkg);
	fbvars_free(&v);
	return finish(job, rc, NULL, msg, res);

fail_early:
	catalog_free(&cat);
	if (c != NULL)
		fb_close(c);
	rompkg_free(&pkg);
	fbvars_free(&v);
	return finish(job, rc, NULL, msg, NULL);
}

int
romjob_submit(struct jobeng *eng, unsigned dev_id, const struct romjob_req *r)
{
	struct romjob_req *copy = xmalloc(sizeof(*copy));

	*copy = *r;
	return jobeng_submit(eng, dev_id, "flashrom", rom_job, copy, free);
}

int
romjob_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen)
{
	struct romjob_req r;
	int rc;

	if ((rc = romjob_req_from_json(params, &r, err, errlen)) < 0 ||
	    (rc = proto_param_address(params, r.addr, sizeof(r.addr), err,
	    errlen)) < 0)
		return rc;
	rc = romjob_submit(eng, 0, &r);
	if (rc < 0)
		dm_fail(err, errlen, rc, "could not queue the flash");
	return rc;
}
