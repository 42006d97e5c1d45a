/* fbcmd.h - the rest of fastboot's command set, on top of fastboot.h's
 * fb_command and download: erase, set_active, boot, oem, flashing,
 * snapshot-update and the logical partition commands, plus the questions
 * a plan asks before any of them (variables, slot targets).
 *
 * Each command returns 0 or a negative dm_err: a FAIL is DM_EREFUSED with
 * the phone's own words in err; our own refusals (a bad name, an image
 * the phone cannot take) are DM_EINVAL, before anything is sent.  None of
 * them decides whether a command should run: that is the caller's plan
 * (src/cli_fbcmd.c), which also asks for the confirmation.
 *
 * What the phone says meanwhile (INFO and TEXT messages) goes into a
 * struct fbcmd_log when one is given.  Every call installs its own hooks
 * on the connection for its duration and leaves none set.
 *
 * Runs on the caller's thread; a connection belongs to one thread. */
#ifndef DM_FBCMD_H
#define DM_FBCMD_H

#include <stddef.h>
#include <stdint.h>

#include "fastboot.h"

struct fbvars;

#define FBCMD_LOG_LINES	1024		/* lines kept at most */
#define FBCMD_LOG_BYTES	(256u << 10)	/* bytes kept at most */

/* The phone's INFO and TEXT messages, in order.  Embedded: init/done. */
struct fbcmd_log {
	char **line;		/* NUL-terminated, as fb_command gave */
	size_t n, cap;
	size_t bytes;
	size_t dropped;		/* messages past the caps, not kept */
	/* Optional: each message as it comes (info), and the bytes of
	 * boot's download sent so far (progress; non-zero cancels). */
	struct fb_hooks live;
};

void fbcmd_log_init(struct fbcmd_log *l);
void fbcmd_log_done(struct fbcmd_log *l);
/* Keep one line; DM_ENOMEM (and counted in dropped) past the caps. */
int fbcmd_log_add(struct fbcmd_log *l, const char *msg);

/* ---- asking ------------------------------------------------------------ */

/* getvar name into v; a FAIL only means the phone does not say (0,
 * nothing stored).  A lost link is an error. */
int fbcmd_ask(struct fb_conn *c, struct fbvars *v, const char *name,
    char *err, size_t errlen);

/* Which partitions "part" means, as fastboot-flash picks them: the name
 * as given when the phone says has-slot:part is not "yes"; else the
 * current slot's (slot NULL), "a"/"b"/"_b", "other" or "all".  Asks
 * has-slot:part into v, which must hold current-slot and slot-count.
 * *n targets of at most 80 bytes; note (may be NULL) gets a remark such
 * as "--slot is ignored".  0, or DM_EINVAL with the reason. */
#define FBCMD_MAX_TARGETS	4
int fbcmd_targets(struct fb_conn *c, struct fbvars *v, const char *part,
    const char *slot, char targets[FBCMD_MAX_TARGETS][80], int *n,
    char *note, size_t notelen, char *err, size_t errlen);

/* "a" from "a", "_a", "A"; "other" from the current one; NULL when the
 * phone has no such slot.  out holds 2 bytes. */
int fbcmd_slot_name(const struct fbvars *v, const char *slot, char out[2]);

/* The slot set_active would make active, from what was typed (a, b,
 * other): v must hold slot-count and current-slot.  0 and out; or
 * DM_EUNSUPP (no A/B slots) or DM_EINVAL with the reason in err. */
int fbcmd_active_slot(const struct fbvars *v, const char *want, char out[2],
    char *err, size_t errlen);

/* A size as typed: "1048576", "0x100000", "512K", "64M", "2G" (also
 * KiB/MiB/GiB, binary).  0 and *out, or DM_EINVAL. */
int fbcmd_parse_size(const char *s, uint64_t *out);

/* "get_unlock_ability: 1" (and "\tget_unlock_ability = 0", "1"): 0 or
 * 1, -1 when the line does not say. */
int fbcmd_parse_unlock_ability(const char *line);

/* ---- commands ---------------------------------------------------------- */

/* erase:PART (the name as the phone knows it: "boot_a"). */
int fbcmd_erase(struct fb_conn *c, const char *part, struct fbcmd_log *log,
    char *err, size_t errlen);

/* set_active:SLOT, SLOT being "a", "b" (a leading '_' is dropped). */
int fbcmd_set_active(struct fb_conn *c, const char *slot,
    struct fbcmd_log *log, char *err, size_t errlen);

/* Check an image for `boot` without sending it: a regular, non-empty
 * file that starts like an Android boot image ("ANDROID!"), at most
 * max_download bytes (0: the phone did not say) and at most 4 GiB - 1
 * (one download).  0 and *size, or DM_EINVAL/DM_ENOENT with the reason. */
int fbcmd_boot_check(const char *path, uint64_t max_download,
    uint64_t *size, char *err, size_t errlen);
/* download: the image, streamed from the file (1 MiB at a time), then
 * boot.  Checks as fbcmd_boot_check() first; the phone then leaves
 * fastboot. */
int fbcmd_boot(struct fb_conn *c, const char *path, uint64_t max_download,
    struct fbcmd_log *log, char *err, size_t errlen);

/* oem ARGS ("device-info", "unlock-go").  What the phone says is in log
 * (give one: that is the answer), on FAIL too. */
int fbcmd_oem(struct fb_conn *c, const char *args, struct fbcmd_log *log,
    char *err, size_t errlen);

/* flashing lock, unlock, lock_critical or unlock_critical.  The phone
 * may ask its user first (volume keys), so this waits long. */
int fbcmd_flashing(struct fb_conn *c, const char *verb,
    struct fbcmd_log *log, char *err, size_t errlen);
/* flashing get_unlock_ability: *ability 0 or 1 from the phone's INFO
 * line (or its OKAY payload).  DM_EPROTO when it said neither. */
int fbcmd_get_unlock_ability(struct fb_conn *c, int *ability,
    struct fbcmd_log *log, char *err, size_t errlen);

/* snapshot-update:cancel or :merge. */
int fbcmd_snapshot_update(struct fb_conn *c, const char *what,
    struct fbcmd_log *log, char *err, size_t errlen);

/* fastbootd's logical partitions (inside super). */
int fbcmd_create_logical(struct fb_conn *c, const char *name, uint64_t size,
    struct fbcmd_log *log, char *err, size_t errlen);
int fbcmd_delete_logical(struct fb_conn *c, const char *name,
    struct fbcmd_log *log, char *err, size_t errlen);
int fbcmd_resize_logical(struct fb_conn *c, const char *name, uint64_t size,
    struct fbcmd_log *log, char *err, size_t errlen);

#endif
