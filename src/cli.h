/* cli.h - headless subcommands.  Output is plain text or, with --json, one
 * JSON document on stdout; errors go to stderr.  Each returns the process
 * exit status (0 ok, 1 failure, 2 usage). */
#ifndef DM_CLI_H
#define DM_CLI_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct cli_opts {
	int json;
	int watch;
	int force;
	int autostart;		/* start the server if none is running */
	int foreground;
	int idle_exit_s;	/* -1: default */
	int grace_s;		/* -1: default */
	int no_usb;
	const char *serial;	/* -s */
	const char *slot;	/* --slot */
	const char *sha256;	/* --sha256 */
	const char *product;	/* --product */
	const char *confirm;	/* --confirm */
	const char *entry;	/* --entry: the image inside an archive */
	int hash;		/* --hash: SHA-256 while sending */
	int step;		/* --step N: 0 = the plan's automatic run */
	int without_backup;	/* --without-backup */
	const char *only;	/* backup --only */
	const char *to;		/* backup, backups, restore --to */
	int full;		/* backup --full */
	const char *select;	/* restore --select */
	int dry_run;		/* backup, flash --dry-run */
	const char *choice;	/* flash: keep-data, wipe, lock */
	const char *cacert;	/* firmware fetch, update: --cacert */
	int connections;	/* firmware fetch: --connections, 0 default */
};

int cli_devices(const struct cli_opts *o);
int cli_server(const struct cli_opts *o, int argc, char **argv);
int cli_doctor(const struct cli_opts *o);

/* cli_adb.c: commands that talk ADB to one phone. */
int cli_shell(const struct cli_opts *o, int argc, char **argv);
int cli_pull(const struct cli_opts *o, int argc, char **argv);
int cli_push(const struct cli_opts *o, int argc, char **argv);
int cli_connect(const struct cli_opts *o, int argc, char **argv);
int cli_disconnect(const struct cli_opts *o, int argc, char **argv);
int cli_info(const struct cli_opts *o, int argc, char **argv);
/* Connect over ADB to the phone of -s; NULL after printing why (*status
 * set to the exit status).  Free *keys with adbkeys_free(). */
struct adbkeys;
struct adb_conn *cli_adb_connect(const struct cli_opts *o,
    struct adbkeys **keys, int *status);
/* The bench server's row for -s (its "device" reply, caller frees), or
 * NULL after saying why. */
cJSON *cli_lookup_device(const struct cli_opts *o);
/* {"ok":false,"error":what,"message":msg} on stdout; returns 1. */
int cli_print_error_json(const char *what, const char *msg);

/* cli_backup.c: backups and restores, and the library. */
int cli_backup(const struct cli_opts *o, int argc, char **argv);
int cli_backups(const struct cli_opts *o, int argc, char **argv);
int cli_restore(const struct cli_opts *o, int argc, char **argv);

/* cli_flash.c: a ROM package flashed whole; firmware verify. */
int cli_flash(const struct cli_opts *o, int argc, char **argv);
int cli_firmware(const struct cli_opts *o, int argc, char **argv);

/* cli_diag.c: the diagnosis rules against one phone. */
int cli_diagnose(const struct cli_opts *o, int argc, char **argv);
/* A finding's evidence, at most max lines of each command shown. */
struct diag_finding;
void cli_print_evidence(const struct diag_finding *f, int max);

/* cli_fix.c: a finding's plan, running it, one action alone. */
int cli_plan(const struct cli_opts *o, int argc, char **argv);
int cli_fix(const struct cli_opts *o, int argc, char **argv);
int cli_action(const struct cli_opts *o, int argc, char **argv);

/* cli_fastboot.c: getvar, fastboot-flash, reboot. */
int cli_getvar(const struct cli_opts *o, int argc, char **argv);
int cli_fastboot_flash(const struct cli_opts *o, int argc, char **argv);
int cli_reboot(const struct cli_opts *o, int argc, char **argv);
/* cli_fbcmd.c: fastboot erase, set_active, boot, oem, flashing,
 * snapshot-update and the logical partition commands. */
int cli_fastboot(const struct cli_opts *o, int argc, char **argv);

/* What the fastboot commands share (cli_fastboot.c).
 * cli_fail: msg on stderr, or with --json the error object
 * {"ok":false,"error":NAME(rc),"message":msg} on stdout; returns 1. */
int cli_fail(const struct cli_opts *o, int rc, const char *msg);
/* Print o (pretty) on stdout and free it. */
void cli_json_out(cJSON *o);
/* Open the phone of -s in fastboot (refusing one the bench shows in
 * another mode, with the way there); NULL after printing why, *status
 * the exit status.  Close with fb_close(). */
struct fb_conn;
struct fb_conn *cli_fb_open(const struct cli_opts *o, int *status);
/* The phone of -s when it is in fastboot (its bench row's mode; a tcp: or
 * usb: address that answers fastboot), opened; else NULL with *status 0
 * (use adb) or an exit status after printing the problem. */
struct fb_conn *cli_fb_try(const struct cli_opts *o, int *status);
/* cli_jobs.c: jobs [attach JOB | cancel JOB]. */
int cli_jobs(const struct cli_opts *o, int argc, char **argv);
/* Send op with params (taken) to the bench server, which queues a job,
 * and follow that job to its end (its log, progress and result; see
 * cli_jobs.c).  With --no-autostart and no server running, local()
 * queues the job on an engine in this process instead (params has the
 * same fields) and returns its id or a negative dm_err.  Returns the
 * exit status. */
struct jobeng;
int cli_run_job(const struct cli_opts *o, const char *op, cJSON *params,
    int (*local)(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen));
/* The same job always in this process (why: what to tell the user),
 * for one the server cannot do, like writing to this process's fds. */
int cli_run_job_here(const struct cli_opts *o, cJSON *params,
    int (*local)(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen), const char *why);

/* Add the caller's DROIDMEDIC_SIM, _PROFILES and _FIXTURES to a "demo"
 * request (the server may have been started with another environment). */
void cli_demo_params(cJSON *params);
/* demo start|stop|status: simulated demo phones. */
int cli_demo(const struct cli_opts *o, int argc, char **argv);

/* Turn what the user typed after -s into a transport address:
 * "tcp:H:P" and "usb:B-P" as they are, "HOST:PORT" as tcp:, anything
 * else looked up (serial or row id) with the bench server.  0 or 1/2
 * (exit status) after printing the problem. */
int cli_resolve(const struct cli_opts *o, char *addr, size_t len);
/* The same, also giving the bench row's mode (DEV_MODE_UNKNOWN, 0, when
 * -s was an address and no row was asked). */
int cli_resolve_mode(const struct cli_opts *o, char *addr, size_t len,
    int *mode);
/* The mode of -s's bench row when a bench server is already running and
 * has one (a network phone is named HOST:PORT there), else
 * DEV_MODE_UNKNOWN; says nothing. */
int cli_row_mode(const struct cli_opts *o);
/* cli_resolve(), also giving -s's bench row (di->present 0 when there
 * is none: an address no running server has a row for). */
struct dev_info;
int cli_resolve_row(const struct cli_opts *o, char *addr, size_t len,
    struct dev_info *di);
/* A phone whose row is in a mode where it runs nothing for us
 * (unauthorized, sideload, USB debugging off, download modes): 1 and
 * ph opened on the row (repair_open_row, with our adb key's fingerprint
 * for an unauthorized one); 0 when it is not; -1 with *status after
 * printing the problem. */
struct repair_phone;
int cli_link_open(const struct cli_opts *o, struct repair_phone *ph,
    int *status);

#endif
