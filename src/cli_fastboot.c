/* cli_fastboot.c - getvar, fastboot-flash and reboot: headless commands
 * that speak fastboot (and, for reboot, ADB) to one phone.  getvar and
 * reboot reach the phone themselves (the bench server only resolves a
 * serial); fastboot-flash hands a job to the server (flashjob.c) and
 * follows it.  Also what every fastboot command shares (cli.h): opening
 * the phone and errors as text or JSON.  cli_fbcmd.c has the other
 * fastboot commands.  Main thread. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
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
#include "flashjob.h"
#include "transport.h"

/* How long to wait for a phone that may be busy or far away. */
#define OPEN_MS		10000
/* For a bare tcp: address: a phone in adb mode never answers FB01. */
#define PROBE_MS	2000

/* ---- shared with cli_fbcmd.c ----------------------------------------- */

int
cli_fail(const struct cli_opts *o, int rc, const char *msg)
{
	if (o->json)
		return cli_print_error_json(dm_errname(rc), msg);
	fprintf(stderr, "droidmedic: %s\n", msg);
	return 1;
}

void
cli_json_out(cJSON *o)
{
	char *s = cJSON_Print(o);

	printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(o);
}

struct fb_conn *
cli_fb_open(const struct cli_opts *o, int *status)
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
		*status = cli_fail(o, DM_EINVAL, msg);
		return NULL;
	}
	rc = fb_open(addr, OPEN_MS, &c, err, sizeof(err));
	if (rc < 0) {
		*status = cli_fail(o, rc, err);
		return NULL;
	}
	return c;
}

struct fb_conn *
cli_fb_try(const struct cli_opts *o, int *status)
{
	struct fb_conn *c;
	char addr[128], err[512];
	int mode, rc, fb;

	*status = cli_resolve_mode(o, addr, sizeof(addr), &mode);
	if (*status != 0)
		return NULL;
	if (mode == DEV_MODE_UNKNOWN)
		mode = cli_row_mode(o);
	/* As reboot: the bench row's mode; for an address, tcp: and usb:
	 * are fastboot's spelling, tried first; HOST:PORT is adb's. */
	if (mode == DEV_MODE_FASTBOOT || mode == DEV_MODE_FASTBOOTD)
		fb = 1;
	else if (mode != DEV_MODE_UNKNOWN)
		fb = 0;
	else
		fb = strncmp(o->serial, "tcp:", 4) == 0 ||
		    strncmp(o->serial, "usb:", 4) == 0 ? -1 : 0;
	if (fb == 0)
		return NULL;
	rc = fb_open(addr, fb == 1 ? OPEN_MS : PROBE_MS, &c, err,
	    sizeof(err));
	if (rc == 0)
		return c;
	if (fb == 1)
		*status = cli_fail(o, rc, err);
	return NULL;
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
	c = cli_fb_open(o, &status);
	if (c == NULL)
		return status;
	if (strcmp(name, "all") != 0) {
		rc = fb_getvar(c, name, val, sizeof(val), err, sizeof(err));
		fb_close(c);
		if (rc < 0) {
			char msg[700];

			snprintf(msg, sizeof(msg), "getvar %s: %s%s", name,
			    rc == DM_EREFUSED ? "the phone said: " : "", err);
			return cli_fail(o, rc, msg);
		}
		if (o->json) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddBoolToObject(j, "ok", 1);
			cJSON_AddStringToObject(j, "name", name);
			cJSON_AddStringToObject(j, "value", val);
			cli_json_out(j);
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
		return cli_fail(o, rc, err);
	}
	if (o->json) {
		cJSON *j = cJSON_CreateObject(), *vars = cJSON_CreateObject();

		cJSON_AddBoolToObject(j, "ok", 1);
		for (size_t i = 0; i < v.nraw; i++)
			cJSON_AddStringToObject(vars, v.raw[i].name,
			    v.raw[i].value);
		cJSON_AddItemToObject(j, "vars", vars);
		cJSON_AddItemToObject(j, "typed", fbident_typed_json(&v));
		cli_json_out(j);
	} else {
		for (size_t i = 0; i < v.nraw; i++)
			printf("%s: %s\n", v.raw[i].name, v.raw[i].value);
	}
	fbvars_free(&v);
	return 0;
}

/* ---- fastboot-flash -------------------------------------------------- */

/* Where the job opens the phone when this process runs it (no server). */
static int
local_flash(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen)
{
	if (cJSON_GetObjectItemCaseSensitive(params, "address") == NULL)
		return dm_fail(err, errlen, DM_ENODEV, "no bench server is "
		    "running to find %s: give the phone's address "
		    "(tcp:HOST:PORT, usb:PORT) or leave out --no-autostart",
		    cJSON_GetObjectItemCaseSensitive(params,
		    "device")->valuestring);
	return flashjob_submit_json(eng, params, err, errlen);
}

/* The flash is a job (flashjob.c): in the bench server, so that it goes
 * on if this terminal goes away, or here with --no-autostart and no
 * server.  This side only checks the arguments and follows the job.
 * With --entry the file given is an archive and the job streams the
 * image out of it (fbarchive.c). */
int
cli_fastboot_flash(const struct cli_opts *o, int argc, char **argv)
{
	char image[PATH_MAX], addr[160];
	cJSON *params;

	if (argc != 2) {
		fprintf(stderr, "droidmedic: usage: fastboot-flash -s SERIAL "
		    "PARTITION IMAGE|ARCHIVE [--entry PATH] [--slot "
		    "a|b|other|all] [--sha256 HEX | --hash] [--product NAME] "
		    "[--confirm SERIAL]\n");
		return 2;
	}
	if (o->entry != NULL && *o->entry == '\0') {
		fprintf(stderr, "droidmedic: --entry wants the image's path "
		    "inside the archive (images/boot.img)\n");
		return 2;
	}
	if (o->sha256 != NULL && (strlen(o->sha256) != 64 ||
	    strspn(o->sha256, "0123456789abcdefABCDEF") != 64)) {
		fprintf(stderr, "droidmedic: --sha256 wants 64 hex digits\n");
		return 2;
	}
	if (o->sha256 != NULL && o->hash) {
		fprintf(stderr, "droidmedic: --sha256 checks the image's hash "
		    "before sending, --hash computes it while sending: give "
		    "one\n");
		return 2;
	}
	if (o->serial == NULL || *o->serial == '\0') {
		fprintf(stderr, "droidmedic: which phone? give -s SERIAL (see "
		    "`droidmedic devices`)\n");
		return 2;
	}
	/* The server has its own working folder. */
	if (realpath(argv[1], image) == NULL) {
		char msg[PATH_MAX + 64];

		snprintf(msg, sizeof(msg), "%s: %s", argv[1], strerror(errno));
		return cli_fail(o, dm_from_errno(errno), msg);
	}
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "device", o->serial);
	cJSON_AddStringToObject(params, "partition", argv[0]);
	cJSON_AddStringToObject(params, "image", image);
	if (o->entry != NULL)
		cJSON_AddStringToObject(params, "entry", o->entry);
	if (o->slot != NULL)
		cJSON_AddStringToObject(params, "slot", o->slot);
	if (o->sha256 != NULL)
		cJSON_AddStringToObject(params, "sha256", o->sha256);
	if (o->product != NULL)
		cJSON_AddStringToObject(params, "product", o->product);
	if (o->confirm != NULL)
		cJSON_AddStringToObject(params, "confirm", o->confirm);
	cJSON_AddBoolToObject(params, "force", o->force);
	cJSON_AddBoolToObject(params, "hash", o->hash);
	/* Without a server this process opens the phone itself: an
	 * address as typed, or nothing (a serial needs the bench). */
	if (transport_address(o->serial, addr, sizeof(addr)))
		cJSON_AddStringToObject(params, "address", addr);
	return cli_run_job(o, "flash", params, local_flash);
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
		return cli_fail(o, rc, err);
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
		cli_json_out(j);
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
	char err[512];
	int status, rc, known = 0;

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
	/* Which protocol: as cli_fb_try() finds it. */
	c = cli_fb_try(o, &status);
	if (c == NULL && status != 0)
		return status;
	if (c != NULL) {
		if (strcmp(target, "sideload") == 0) {
			fb_close(c);
			return cli_fail(o, DM_EUNSUPP, "fastboot cannot reboot "
			    "into sideload: reboot to recovery and choose "
			    "\"Apply update from ADB\"");
		}
		rc = fb_reboot(c, target, err, sizeof(err));
		fb_close(c);
		if (rc < 0) {
			char msg[700];

			snprintf(msg, sizeof(msg), "reboot %s: %s%s", target,
			    rc == DM_EREFUSED ? "the phone said: " : "", err);
			return cli_fail(o, rc, msg);
		}
		return rebooted(o, target, "fastboot");
	}
	rc = reboot_adb(o, target);
	return rc == 0 ? rebooted(o, target, "adb") : rc;
}
