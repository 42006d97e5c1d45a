/* romplan.h - a whole-package flash: the steps and the gates.
 *
 * romplan_build() turns a package (rompkg.h), the script the technician
 * chose (keep data, wipe, wipe and lock) and the phone's fastboot
 * variables into a plan: every step with the partition it goes to (named
 * as AOSP fastboot would name it: "boot" on an A/B phone is boot_<slot>,
 * Xiaomi's "abl_ab" goes as written), the image's size against the
 * partition's, its risk; and the gates, each checked before the first
 * byte and each with a plain reason:
 *
 *   package    the package's SHA-256 is the one expected
 *   product    the package is for this phone (its codename)
 *   rollback   Xiaomi anti-rollback: the phone's index is not above the
 *              package's
 *   battery    battery-soc-ok, or a voltage above ROM_MIN_MV
 *   bootloader unlocked
 *   update     a pending snapshot update is cancelled first (a step)
 *   partitions every partition exists on the phone, every image is in the
 *              package and fits
 *   backup     a plan that wipes or locks needs a recent verified backup,
 *              or --without-backup
 *
 * Pure: the caller asks the phone and looks up the backup. */
#ifndef DM_ROMPLAN_H
#define DM_ROMPLAN_H

#include <cjson/cJSON.h>

#include "fbvars.h"
#include "rompkg.h"
#include "romscript.h"

#define ROM_MIN_MV	3500	/* below this a flash is not started */

enum rom_choice { ROM_KEEP_DATA, ROM_WIPE, ROM_WIPE_LOCK };

enum rom_op {
	OP_FLASH, OP_ERASE, OP_SET_ACTIVE, OP_OEM_LOCK, OP_REBOOT,
	OP_SNAPSHOT_CANCEL,
};

struct rom_step {
	enum rom_op op;
	char part[72];		/* as the script writes it */
	char target[80];	/* what goes to the phone */
	char entry[1280];	/* OP_FLASH: the member's full name */
	char file[RS_MAX_PATH];	/* OP_FLASH: as the script writes it */
	char sha256[65];	/* OP_FLASH: the member's */
	uint64_t size, expanded, part_size;
	const char *risk;	/* "none", "boot", "flash", "user-data",
				 * "lock" */
	int skip;		/* not run: skip_why says why */
	char skip_why[96];
	int line;		/* in the script; 0 for added steps */
	int checked;		/* the script stops when it fails */
};

enum gate_state { GATE_OK, GATE_WARN, GATE_FAIL };

struct rom_gate {
	const char *name;
	enum gate_state st;
	char why[400];
};

#define ROM_MAX_GATES	10

struct rom_plan {
	enum rom_choice choice;
	const char *script;	/* "flash_all_except_storage.sh" */
	struct rom_step *steps;
	size_t n;
	struct rom_gate gates[ROM_MAX_GATES];
	int ngates;
	int blocked;		/* a gate failed */
	int wipes, locks;	/* the plan erases user data / relocks */
	char product[64], serialno[64];	/* the phone's */
	char pkg_product[64];
	int anti_pkg, anti_phone;	/* -1 unknown */
	uint64_t flash_bytes;	/* what the flash steps send */
};

struct cat_build;

struct romplan_opts {
	const char *want_sha256;	/* NULL: none known */
	/* The catalogs' word on the package (catalog.h): a build with its
	 * hash (from a catalog not marked sample), or else a build of its
	 * file name (whose hash is then not this package's); NULL when
	 * none. */
	const struct cat_build *cat_hash, *cat_name;
	int cat_sample;			/* only a sample catalog has it */
	int force;			/* go on with a low battery */
	int without_backup;		/* go on wiping without a backup */
	const char *backup_id;		/* a recent verified backup, or NULL */
};

const char *rom_choice_name(enum rom_choice c);
/* "flash", "erase", "set_active", "oem lock", "reboot",
 * "snapshot-update" (its target: "cancel"). */
const char *rom_op_name(enum rom_op op);
const char *rom_choice_script(enum rom_choice c);

/* 0 and the plan (gates may have failed: plan->blocked), or a dm_err with
 * err when no plan can be made (no such script in the package, a script
 * droidmedic does not read).  Free with romplan_free(). */
int romplan_build(const struct rom_pkg *p, enum rom_choice choice,
    const struct fbvars *v, const struct romplan_opts *o,
    struct rom_plan *plan, char *err, size_t errlen);
void romplan_free(struct rom_plan *plan);

/* The partitions the script names, for asking the phone about those the
 * getvar all answer left out: each written into names (base names and
 * "_a"/"_b" forms), at most max; returns how many. */
size_t romplan_parts(const struct rom_pkg *p, enum rom_choice choice,
    char (*names)[80], size_t max);

/* The plan as text lines and as JSON. */
void romplan_lines(const struct rom_plan *pl, const struct rom_pkg *p,
    void (*line)(void *ud, const char *text), void *ud);
cJSON *romplan_json(const struct rom_plan *pl, const struct rom_pkg *p);
/* The first failed gate's line ("rollback: ..."), or NULL. */
const struct rom_gate *romplan_first_failed(const struct rom_plan *pl);

#endif
