/* fbvars.h - a phone's fastboot variables, raw and typed.
 *
 * Two inputs feed one record:
 *   fbvars_parse_text()     the text of `fastboot getvar all` as a host
 *                           prints it: "(bootloader) name:value" lines
 *                           among junk (a shell prompt, "all:",
 *                           "Finished. Total time: 0.336s", blank lines);
 *   fbvars_add_info_line()  one INFO payload of our own getvar:all
 *                           ("partition-size:boot_a: 0x6000000"), and
 *   fbvars_set()            one getvar answer (name, value).
 * The same pairs give the same record whichever way they come in.
 *
 * Splitting: a few names take a sub-key (partition-size, partition-type,
 * is-logical, has-slot, slot-successful, slot-unbootable,
 * slot-retry-count, and the Pixel's slot-fastboot-ok and sbdp): the first
 * colon ends the name, the second the sub-key, and the raw name is
 * "name:sub".  Any other name ends at the first colon.  The value is the
 * rest, spaces around it trimmed, colons and all (fingerprints hold
 * several).  Names and sub-keys are made of letters, digits, '-', '_'
 * and '.'; a line whose name is anything else is not a variable.
 *
 * Numbers follow the fastboot host: max-download-size and max-fetch-size
 * are decimal unless "0x"; partition-size, erase-block-size and
 * logical-block-size are hex with or without "0x".  A value that does
 * not parse where a number or yes/no is needed leaves that field
 * unknown, is kept raw, and makes the call return DM_EINVAL.
 *
 * Setting a name again replaces its value (last wins) in place, so raw[]
 * keeps the order names were first seen and never holds a name twice.
 *
 * Everything is bounded: FBVARS_MAX_INPUT bytes of text are looked at,
 * raw names are cut to FBVARS_MAX_NAME bytes and values to
 * FBVARS_MAX_VALUE, typed strings to their arrays; at most
 * FBVARS_MAX_VARS names and FBVARS_MAX_PARTS partitions are held.  What
 * was cut or dropped shows in struct fbvars_stats.
 *
 * Pure code, no I/O; a record belongs to one thread at a time. */
#ifndef DM_FBVARS_H
#define DM_FBVARS_H

#include <stddef.h>
#include <stdint.h>

#define FBVARS_MAX_INPUT	(16u << 20)
#define FBVARS_MAX_VARS		4096	/* a Pixel 7 Pro: 316 */
#define FBVARS_MAX_PARTS	1024
#define FBVARS_MAX_NAME		128
#define FBVARS_MAX_VALUE	1024	/* a reply is at most 252 bytes */
#define FBVARS_MAX_SLOTS	4	/* slots "a".."d" */

/* One name:value pair as the phone gave it; name may be "name:sub". */
struct fb_var {
	char *name;
	char *value;
};

/* A partition, merged from partition-size, partition-type and
 * is-logical entries with the same sub-key. */
struct fb_part {
	char name[72];		/* GPT names: at most 36 UTF-16 units */
	uint64_t size;
	int has_size;
	char type[24];		/* "raw", "ext4", "f2fs"; "" unknown */
	int logical;		/* -1 unknown, 0 no, 1 yes */
};

/* has-slot:<base> answers, per base name ("boot", "misc"). */
struct fb_base {
	char name[72];
	int has_slot;		/* -1: the value did not parse */
};

/* slot-successful / slot-unbootable / slot-retry-count /
 * slot-fastboot-ok per slot; -1 unknown. */
struct fb_slot {
	char name[2];		/* "a"; "" for an unused entry */
	int successful, unbootable, retry_count, fastboot_ok;
};

struct fbvars_stats {
	size_t lines;		/* lines seen by fbvars_parse_text() */
	size_t skipped;		/* lines that were not a variable */
	size_t bad;		/* values that did not parse as typed */
	size_t cut;		/* names or values cut to their cap */
	size_t dropped;		/* refused by FBVARS_MAX_VARS/_PARTS */
	int input_cut;		/* text longer than FBVARS_MAX_INPUT */
};

struct fbvars {
	/* every pair in the order first seen, for `getvar all` and --json */
	struct fb_var *raw;
	size_t nraw, rawcap;

	char product[64], serialno[64], variant[64], hw_revision[32];
	char version_bootloader[96], version_baseband[96], version[16];
	char security_patch_level[16];
	int secure, unlocked, is_userspace;	/* -1 unknown, 0/1 */
	char current_slot[8];		/* "a"/"b" (from "_a"); "" */
	int slot_count;			/* -1 unknown */
	uint64_t max_download_size;	/* decimal unless 0x */
	int has_max_download;
	uint64_t max_fetch_size;
	int has_max_fetch;
	uint64_t erase_block_size, logical_block_size;	/* hex */
	int has_erase_block, has_logical_block;
	char super_partition_name[64], snapshot_update_status[32];
	/* battery-voltage "4055 mV" or "3747"; fastbootd says 0 when its
	 * health HAL gives nothing.  -1 unknown. */
	int battery_mv;
	int battery_soc_ok;		/* yes/no: 1/0, -1 unknown */
	int battery_soc_percent;	/* "battery-soc:68 %"; -1 unknown */
	/* Xiaomi: anti-rollback index (-1 unknown), crc, unlock token */
	int anti;
	char crc[16], token[128];
	int off_mode_charge;		/* -1 unknown */

	struct fb_part *parts;
	size_t nparts, partcap;
	struct fb_base *bases;
	size_t nbases, basecap;
	struct fb_slot slots[FBVARS_MAX_SLOTS];

	struct fbvars_stats st;
};

/* An empty record: every field unknown. */
void fbvars_init(struct fbvars *v);
/* Release what the record holds and leave it empty, as after
 * fbvars_init(); the struct itself is the caller's. */
void fbvars_free(struct fbvars *v);

/* One getvar answer: name as asked ("max-download-size",
 * "partition-size:boot_a"), value as the phone answered.  Returns 0;
 * DM_EINVAL for a name that is no variable (nothing stored) or a value
 * that does not parse as its type (kept raw); DM_ENOMEM when a cap
 * refused it. */
int fbvars_set(struct fbvars *v, const char *name, const char *value);

/* One INFO payload of getvar:all, "name:value" or "name:sub:value".
 * Returns as fbvars_set(); DM_EINVAL for a line that is no variable. */
int fbvars_add_info_line(struct fbvars *v, const char *line);

/* A whole `fastboot getvar all` capture (not NUL-terminated; UTF-8, with
 * or without BOM, or UTF-16 with BOM or recognised by its NUL bytes).
 * When any line starts with "(bootloader)" only such lines count;
 * otherwise every "name:value" line does.  Returns how many variables it
 * took (bad values included), or DM_EINVAL with a message in err when
 * there were none at all. */
int fbvars_parse_text(struct fbvars *v, const char *text, size_t len,
    char *err, size_t errlen);

/* The raw value of "name" or "name:sub", or NULL when absent ("" when
 * the phone gave an empty value).  Borrowed: valid until that name is
 * set again or the record is freed. */
const char *fbvars_get(const struct fbvars *v, const char *name);

/* A partition by its full name ("boot_a"), or NULL.  Borrowed until the
 * next call that adds to the record. */
const struct fb_part *fbvars_part(const struct fbvars *v, const char *name);

/* has-slot:<base> as the phone said it: 1, 0, or -1 when not said. */
int fbvars_has_slot(const struct fbvars *v, const char *base);

/* Per-slot state for "a" or "_a", or NULL when the phone said nothing
 * about that slot.  Borrowed like fbvars_part(). */
const struct fb_slot *fbvars_slot(const struct fbvars *v, const char *slot);

/* "0x..." is hex, else decimal, or hex when force_hex.  Spaces around
 * are trimmed; no digits, trailing junk or overflow set *ok to 0 and
 * return 0.  ok may be NULL. */
uint64_t fbvars_parse_size(const char *s, int force_hex, int *ok);

#endif
