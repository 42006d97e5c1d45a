/* backup.h - backups of a phone and their library on disk.
 *
 * A backup is two files in the library, in the phone's own folder:
 *
 *   ROOT/SERIAL/ID.tar.zst   pax tar, zstd: the files, and the manifest
 *                            again as its last member droidmedic/manifest.json
 *   ROOT/SERIAL/ID.json      the manifest (see below), written last
 *
 * ROOT is --to, else $DROIDMEDIC_BACKUPS, else
 * $XDG_DATA_HOME/droidmedic/backups (~/.local/share/...).  ID is
 * SERIAL-YYYYMMDD-HHMMSS (local time).  The archive is written as
 * ID.tar.zst.part, fsynced, read back with every hash checked, then the
 * manifest is written (temporary name, fsync, rename) and the archive
 * renamed: a backup without both files never happened.  A .part left by
 * a process that died (its lock free) is salvaged by the next backup of
 * the phone: the whole files in it that match are copied from it, not
 * pulled again, and it is removed once the new backup is in place.
 *
 * Members: device/ (identity.json, getprop.txt, storage.txt), apps/
 * (packages.json), content/ (contacts.txt, calllog.txt, sms.txt: what
 * `content query` printed), storage/ (the phone's /sdcard, folders and
 * files as they are), apks/PACKAGE/ (base and split APKs, on request).
 *
 * The manifest (JSON): format "droidmedic-backup", version 1, id, serial,
 * created (ISO 8601) and created_unix, device (the identity), categories,
 * base (the backup this one builds on, when incremental), complete
 * (false: stopped, with "stopped" saying why), totals, items, failed.
 * Each item: path (member name), category, type (file, dir, link), size,
 * mtime, mode, sha256 (files), target (links), and "in": the ID of the
 * earlier backup whose archive holds the bytes, when the file had not
 * changed (same size and mtime) and was referenced rather than copied.
 * Each failed entry: path (on the phone), category, reason. */
#ifndef DM_BACKUP_H
#define DM_BACKUP_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

struct jobeng;

/* ---- categories -------------------------------------------------------------- */

#define BK_CAT_DEVICE	0	/* always */
int bk_cat_count(void);
const char *bk_cat_name(int i);
const char *bk_cat_what(int i);
/* Folders under /sdcard a storage category takes (NULL-terminated), or
 * NULL for the others. */
const char *const *bk_cat_dirs(int i);
/* The index of a name, or -1. */
int bk_cat_find(const char *name);
/* The default set (everything but apks) as a bit mask. */
unsigned bk_cat_default(void);
/* "photos,videos" into a mask; 0 with err on an unknown name. */
unsigned bk_cat_parse(const char *list, char *err, size_t errlen);

/* ---- the library ---------------------------------------------------------------- */

/* The library root (to, or the default; created 0700) into out: 0 or a
 * dm_err. */
int bklib_root(const char *to, char *out, size_t len, char *err,
    size_t errlen);
/* A serial as a folder name ([A-Za-z0-9._-], the rest as '_'). */
void bklib_folder(const char *serial, char *out, size_t len);
/* Every backup in root (of one serial folder when serial is not NULL),
 * newest first: an array of manifests, each with "archive" (path) and
 * "archive_bytes" added.  Never NULL. */
cJSON *bklib_list(const char *root, const char *serial);
/* A backup by ID (in root) or by the path of its .tar.zst or .json: the
 * manifest, with "archive" added, or NULL with err. */
cJSON *bklib_find(const char *root, const char *what, char *err,
    size_t errlen);
/* A wipe's precondition: the newest complete, verified backup of the
 * phone made in the last max_age_s seconds, in the default library.  1
 * with its ID (and the library in root) or 0 with the library in root
 * (NULL root, id: not wanted). */
#define BK_RECENT_S	(12 * 3600)
int bklib_recent(const char *serial, int64_t max_age_s, char *id,
    size_t idlen, char *root, size_t rootlen);

/* Read / write a manifest file (write: temporary name, fsync, rename). */
cJSON *bklib_load(const char *path, char *err, size_t errlen);
int bklib_save(const char *path, const cJSON *m, char *err, size_t errlen);

/* A word for the phone's shell: s in single quotes, each ' as '\''
 * (malloc'ed). */
char *bk_shell_quote(const char *s);

/* ---- jobs ------------------------------------------------------------------------- */

struct backup_req {
	char addr[160];		/* where the job opens the phone */
	char serial[96];	/* the phone's serial (its folder) */
	char root[4096];	/* the library (absolute) */
	unsigned cats;		/* bk_cat mask */
	int full;		/* copy everything, reference nothing */
	int dry_run;		/* only list: what it would hold and copy,
				 * per category ("categories" in the
				 * result); nothing written */
};

/* How a backup reports: progress, log lines, whether to stop.  Any may
 * be NULL. */
struct bk_hooks {
	void *ud;
	void (*progress)(void *ud, int64_t done, int64_t total,
	    const char *what);
	void (*log)(void *ud, const char *line);
	int (*cancelled)(void *ud);
};

/* A backup over an open connection (a fix's plan runs one this way):
 * 0 or a dm_err; *result gets the same object as the job's result (the
 * caller frees it; its "message" says what happened). */
struct adb_conn;
int backup_run(struct adb_conn *c, const struct backup_req *q,
    const struct bk_hooks *h, cJSON **result);

/* From a "backup" op's params: "only" (a list), "to" (absolute),
 * "full".  0 or DM_EINVAL with err. */
int backup_req_from_json(const cJSON *params, struct backup_req *r,
    char *err, size_t errlen);
/* Queue on dev_id's row; the job id or a negative dm_err.  The result:
 * {"ok","id","archive","complete","files","bytes","copied_files",
 * "copied_bytes","referenced_files","failed","seconds","message"}. */
int backup_submit(struct jobeng *eng, unsigned dev_id,
    const struct backup_req *r);
/* For a job in the CLI's own process: the request plus "address" and
 * "serial". */
int backup_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen);

struct restore_req {
	char addr[160];
	char serial[96];	/* the phone restored onto */
	char backup[4096];	/* ID or path */
	char root[4096];
	char select[2048];	/* categories and/or path patterns, ','-
				 * separated; "" = every storage file */
	char confirm[96];	/* names the phone restored onto */
};

/* The restore checks "confirm" against the phone's own serial before
 * anything else: a restore writes over the phone's files. */
int restore_req_from_json(const cJSON *params, struct restore_req *r,
    char *err, size_t errlen);
int restore_submit(struct jobeng *eng, unsigned dev_id,
    const struct restore_req *r);
int restore_submit_json(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen);

/* Whether an item of a manifest is selected by sel ("" = all storage);
 * sel holds category names and fnmatch patterns on the path below
 * storage/ ("DCIM/Camera", "Download/x.pdf", "*.jpg"). */
int restore_selected(const cJSON *item, const char *sel);

#endif
