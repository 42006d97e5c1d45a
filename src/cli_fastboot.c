/* cli_fastboot.c - getvar, fastboot-flash and reboot: headless commands
 * that speak fastboot (and, for reboot, ADB) to one phone.  Like shell
 * and pull they reach the phone themselves; the bench server is only
 * asked to resolve a serial.  Main thread. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adb.h"
#include "adbkey.h"
#include "cli.h"
#include "dev.h"
#include "err.h"
#include "fastboot.h"
#include "fbident.h"
#include "fbvars.h"

/* How long to wait for a phone that may be busy or far away. */
#define OPEN_MS		10000
/* For a bare tcp: address: a phone in adb mode never answers FB01. */
#define PROBE_MS	2000

static int
fail(const struct cli_opts *o, int rc, const char *msg)
{
	if (o->json)
		return cli_print_error_json(dm_errname(rc), msg);
	fprintf(stderr, "droidmedic: %s\n", msg);
	return 1;
}

static void
print_json(cJSON *o)
{
	char *s = cJSON_Print(o);

	printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(o);
}

/* Open the phone of -s in fastboot; NULL after printing why. */
static struct fb_conn *
open_fastboot(const struct cli_opts *o, int *status)
{
	struct fb_conn *c;
	char addr[128], err[512];
	int mode, rc;

	*status = cli_resolve_mode(o, addr, sizeof(addr), &mode);
	if (*status != 0)
		return NULL;
	if (mode != DEV_MODE_UNKNOWN && mode != DEV_MODE_FASTBOOT &&
	    mode != DEV_MODE_FASTBOOTD) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s is in %s mode, not fastboot "
		    "(droidmedic reboot -s %s bootloader)", o->serial,
		    dev_mode_name((enum dev_mode)mode), o->serial);
		*status = fail(o, DM_EINVAL, msg);
		return NULL;
	}
	rc = fb_open(addr, OPEN_MS, &c, err, sizeof(err));
	if (rc < 0) {
		*status = fail(o, rc, err);
		return NULL;
	}
	return c;
}

/* ---- getvar ---------------------------------------------------------- */

int
cli_getvar(const struct cli_opts *o, int argc, char **argv)
{
	struct fb_conn *c;
	struct fbvars v;
	const char *name = argc > 0 ? argv[0] : "all";
	char err[512], val[FB_RESP_MAX + 1];
	int status, rc;

	if (argc > 1) {
		fprintf(stderr, "droidmedic: usage: getvar -s SERIAL "
		    "[VARIABLE|all] [--json]\n");
		return 2;
	}
	c = open_fastboot(o, &status);
	if (c == NULL)
		return status;
	if (strcmp(name, "all") != 0) {
		rc = fb_getvar(c, name, val, sizeof(val), err, sizeof(err));
		fb_close(c);
		if (rc < 0) {
			char msg[700];

			snprintf(msg, sizeof(msg), "getvar %s: %s%s", name,
			    rc == DM_EREFUSED ? "the phone said: " : "", err);
			return fail(o, rc, msg);
		}
		if (o->json) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddBoolToObject(j, "ok", 1);
			cJSON_AddStringToObject(j, "name", name);
			cJSON_AddStringToObject(j, "value", val);
			print_json(j);
		} else {
			printf("%s: %s\n", name, val);
		}
		return 0;
	}
	fbvars_init(&v);
	rc = fbident_ask(c, &v, err, sizeof(err));
	fb_close(c);
	if (rc < 0) {
		fbvars_free(&v);
		return fail(o, rc, err);
	}
	if (o->json) {
		cJSON *j = cJSON_CreateObject(), *vars = cJSON_CreateObject();

		cJSON_AddBoolToObject(j, "ok", 1);
		for (size_t i = 0; i < v.nraw; i++)
			cJSON_AddStringToObject(vars, v.raw[i].name,
			    v.raw[i].value);
		cJSON_AddItemToObject(j, "vars", vars);
		cJSON_AddItemToObject(j, "typed", fbident_typed_json(&v));
		print_json(j);
	} else {
		for (size_t i = 0; i < v.nraw; i++)
			printf("%s: %s\n", v.raw[i].name, v.raw[i].value);
	}
	fbvars_free(&v);
	return 0;
}

/* ---- fastboot-flash -------------------------------------------------- */

/* The confirmation names the phone: its serial number, or the last four
 * characters of it. */
static int
confirm_ok(const char *typed, const char *serial)
{
	size_t n = strlen(serial);

	if (typed == NULL || n == 0)
		return 0;
	if (strcmp(typed, serial) == 0)
		return 1;
	return n > 4 && strlen(typed) == 4 && strcmp(typed, serial + n - 4) == 0;
}

static const char *
confirm_hint(const char *serial)
{
	size_t n = strlen(serial);

	return n > 4 ? serial + n - 4 : serial;
}

static void
print_plan(FILE *fp, const struct fb_flash_plan *p, const char *image)
{
	char a[32], b[32];

	fprintf(fp, "Plan: flash %s on %s (%s, serial %s)\n", image,
	    p->ntargets > 1 ? "every slot" : p->targets[0],
	    p->product[0] ? p->product : "unknown product",
	    p->serialno[0] ? p->serialno : "unknown");
	for (int i = 0; i < p->ntargets; i++) {
		fb_size_text(p->part_size, a, sizeof(a));
		fprintf(fp, "  partition  %s%s%s%s\n", p->targets[i],
		    p->logical ? " (logical, resized to fit)" : "",
		    p->part_size && !p->logical ? ", " : "",
		    p->part_size && !p->logical ? a : "");
	}
	fb_size_text(p->image_size, a, sizeof(a));
	fb_size_text(p->expanded, b, sizeof(b));
	fprintf(fp, "  image      %s %s, %s once written\n",
	    p->sparse ? "sparse" : "raw", a, b);
	fprintf(fp, "  sha256     %s\n", p->sha256);
	fb_size_text(p->max_download, a, sizeof(a));
	fb_size_text(p->send_bytes, b, sizeof(b));
	fprintf(fp, "  sending    %zu piece%s, %s (the phone takes %s at "
	    "a time)\n", p->npieces, p->npieces == 1 ? "" : "s", b,
	    p->max_download ? a : "any size");
	fprintf(fp, "  bootloader %s%s\n", p->unlocked == 1 ? "unlocked" :
	    p->unlocked == 0 ? "locked" : "lock state unknown",
	    p->userspace ? " (fastbootd)" : "");
	for (int i = 0; i < p->nwarn; i++)
		fprintf(fp, "  warning    %s\n", p->warn[i]);
	fprintf(fp, "  risk       high: this overwrites %s; a wrong image "
	    "can leave the phone unbootable\n", p->ntargets > 1 ?
	    "every slot" : p->targets[0]);
}

static cJSON *
plan_json(const struct fb_flash_plan *p, const char *image)
{
	cJSON *j = cJSON_CreateObject(), *t = cJSON_CreateArray();

	cJSON_AddStringToObject(j, "image", image);
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
	cJSON_AddStringToObject(j, "sha256", p->sha256);
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

struct flash_ui {
	int tty;
	int64_t last_ms;
	uint64_t total;
};

static int
flash_progress(void *ud, uint64_t done, uint64_t total)
{
	struct flash_ui *u = ud;
	int64_t now = dm_mono_ms();

	if (!u->tty || (now - u->last_ms < 200 && done < total))
		return 0;
	u->last_ms = now;
	fprintf(stderr, "\r  sent %3d%%", total ? (int)(done * 100 / total) :
	    100);
	fflush(stderr);
	return 0;
}

static void
flash_info(void *ud, const char *tag, const char *msg)
{
	struct flash_ui *u = ud;

	if (u->tty)
		fputc('\r', stderr);
	(void)tag;
	fprintf(stderr, "  (phone) %s\n", msg);
}

int
cli_fastboot_flash(const struct cli_opts *o, int argc, char **argv)
{
	struct fb_flash_opts fo = { 0 };
	struct fb_flash_plan plan;
	struct fb_flash_result res;
	struct fb_image img;
	struct fb_conn *c;
	struct flash_ui ui = { 0 };
	struct fb_hooks hooks = { flash_info, flash_progress, &ui };
	char err[768], msg[1024];
	int64_t t0;
	int status, rc;

	if (argc != 2) {
		fprintf(stderr, "droidmedic: usage: fastboot-flash -s SERIAL "
		    "PARTITION IMAGE [--slot a|b|other|all] [--sha256 HEX] "
		    "[--product NAME] [--confirm SERIAL]\n");
		return 2;
	}
	fo.part = argv[0];
	fo.slot = o->slot;
	fo.want_sha256 = o->sha256;
	fo.want_product = o->product;
	fo.force = o->force;
	if (o->sha256 != NULL && strlen(o->sha256) != 64) {
		fprintf(stderr, "droidmedic: --sha256 wants 64 hex digits\n");
		return 2;
	}
	rc = fb_image_open_file(&img, argv[1], err, sizeof(err));
	if (rc < 0)
		return fail(o, rc, err);
	c = open_fastboot(o, &status);
	if (c == NULL) {
		fb_image_close(&img);
		return status;
	}
	ui.tty = !o->json && isatty(2);
	if (!o->json)
		fprintf(stderr, "checking %s and asking the phone...\n",
		    argv[1]);
	rc = fb_flash_plan(c, &img, &fo, &plan, err, sizeof(err));
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "not flashing: %s", err);
		fb_close(c);
		fb_image_close(&img);
		return fail(o, rc, msg);
	}
	if (!o->json)
		print_plan(stdout, &plan, argv[1]);
	if (!confirm_ok(o->confirm, plan.serialno)) {
		if (plan.serialno[0] == '\0')
			snprintf(msg, sizeof(msg), "nothing was flashed: the "
			    "phone did not give its serial number, so it "
			    "cannot be confirmed by name");
		else if (o->confirm != NULL)
			snprintf(msg, sizeof(msg), "nothing was flashed: "
			    "--confirm %s does not name this phone (serial "
			    "%s)", o->confirm, plan.serialno);
		else
			snprintf(msg, sizeof(msg), "nothing was flashed: to "
			    "go on, run this again with --confirm %s (the "
			    "phone's serial, or its last four characters)",
			    confirm_hint(plan.serialno));
		if (o->json) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddBoolToObject(j, "ok", 0);
			cJSON_AddStringToObject(j, "error", "ECONFIRM");
			cJSON_AddStringToObject(j, "message", msg);
			cJSON_AddItemToObject(j, "plan", plan_json(&plan,
			    argv[1]));
			print_json(j);
		} else {
			fprintf(stderr, "droidmedic: %s\n", msg);
		}
		fb_flash_plan_free(&plan);
		fb_close(c);
		fb_image_close(&img);
		return 1;
	}
	fb_set_hooks(c, &hooks);
	t0 = dm_mono_ms();
	rc = fb_flash_run(c, &img, &plan, &res, err, sizeof(err));
	if (ui.tty)
		fputc('\n', stderr);
	fb_close(c);
	fb_image_close(&img);
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
		if (o->json) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddBoolToObject(j, "ok", 0);
			cJSON_AddStringToObject(j, "error", dm_errname(rc));
			cJSON_AddStringToObject(j, "message", msg);
			cJSON_AddNumberToObject(j, "targets_done",
			    res.targets_done);
			cJSON_AddNumberToObject(j, "pieces_done",
			    (double)res.pieces_done);
			cJSON_AddItemToObject(j, "plan", plan_json(&plan,
			    argv[1]));
			print_json(j);
		} else {
			fprintf(stderr, "droidmedic: %s\n", msg);
		}
		fb_flash_plan_free(&plan);
		return 1;
	}
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddBoolToObject(j, "ok", 1);
		cJSON_AddItemToObject(j, "plan", plan_json(&plan, argv[1]));
		cJSON_AddNumberToObject(j, "bytes_sent",
		    (double)res.bytes_sent);
		cJSON_AddNumberToObject(j, "seconds",
		    (double)(dm_mono_ms() - t0) / 1000.0);
		print_json(j);
	} else {
		for (int i = 0; i < plan.ntargets; i++)
			printf("flashed %s (%zu piece%s, %.1f s)\n",
			    plan.targets[i], plan.npieces,
			    plan.npieces == 1 ? "" : "s",
			    (double)(dm_mono_ms() - t0) / 1000.0);
	}
	fb_flash_plan_free(&plan);
	return 0;
}

/* ---- reboot ---------------------------------------------------------- */

static int
reboot_adb(const struct cli_opts *o, const char *target)
{
	struct adbkeys *keys = NULL;
	struct adb_conn *c;
	char err[512];
	int status, rc;

	c = cli_adb_connect(o, &keys, &status);
	if (c == NULL)
		return status;
	rc = adb_reboot(c, strcmp(target, "system") ? target : "", err,
	    sizeof(err));
	adb_close(c);
	adbkeys_free(keys);
	if (rc < 0)
		return fail(o, rc, err);
	return 0;
}

static int
rebooted(const struct cli_opts *o, const char *target, const char *via)
{
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddBoolToObject(j, "ok", 1);
		cJSON_AddStringToObject(j, "target", target);
		cJSON_AddStringToObject(j, "via", via);
		print_json(j);
	} else {
		printf("rebooting %s into %s (asked over %s)\n", o->serial,
		    target, via);
	}
	return 0;
}

int
cli_reboot(const struct cli_opts *o, int argc, char **argv)
{
	static const char *const targets[] = { "system", "bootloader",
	    "fastboot", "recovery", "sideload" };
	const char *target = argc > 0 ? argv[0] : "system";
	struct fb_conn *c;
	char addr[128], err[512];
	int mode, status, rc, known = 0, fb;

	if (argc > 1) {
		fprintf(stderr, "droidmedic: usage: reboot -s SERIAL "
		    "[system|bootloader|fastboot|recovery|sideload]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		known |= strcmp(target, targets[i]) == 0;
	if (!known) {
		fprintf(stderr, "droidmedic: no reboot target '%s' (system, "
		    "bootloader, fastboot, recovery, sideload)\n", target);
		return 2;
	}
	status = cli_resolve_mode(o, addr, sizeof(addr), &mode);
	if (status != 0)
		return status;
	/* Which protocol: the bench row's mode; for an address, tcp: is
	 * fastboot's spelling (as with AOSP fastboot), HOST:PORT adb's. */
	if (mode == DEV_MODE_FASTBOOT || mode == DEV_MODE_FASTBOOTD)
		fb = 1;
	else if (mode != DEV_MODE_UNKNOWN)
		fb = 0;
	else
		fb = strncmp(o->serial, "tcp:", 4) == 0 ||
		    strncmp(o->serial, "usb:", 4) == 0 ? -1 : 0;
	if (fb != 0) {
		rc = fb_open(addr, fb == 1 ? OPEN_MS : PROBE_MS, &c, err,
		    sizeof(err));
		if (rc < 0 && fb == 1)
			return fail(o, rc, err);
		if (rc == 0) {
			if (strcmp(target, "sideload") == 0) {
				fb_close(c);
				return fail(o, DM_EUNSUPP, "fastboot cannot "
				    "reboot into sideload: reboot to recovery "
				    "and choose \"Apply update from ADB\"");
			}
			rc = fb_reboot(c, target, err, sizeof(err));
			fb_close(c);
			if (rc < 0) {
				char msg[700];

				snprintf(msg, sizeof(msg), "reboot %s: %s%s",
				    target, rc == DM_EREFUSED ?
				    "the phone said: " : "", err);
				return fail(o, rc, msg);
			}
			return rebooted(o, target, "fastboot");
		}
	}
	rc = reboot_adb(o, target);
	return rc == 0 ? rebooted(o, target, "adb") : rc;
}
