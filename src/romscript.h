/* romscript.h - the texts inside a ROM package, read, never executed.
 *
 * A Xiaomi fastboot ROM carries shell scripts (flash_all.sh,
 * flash_all_except_storage.sh, flash_all_lock.sh) that run the AOSP
 * fastboot client line by line.  droidmedic does not run them: a strict
 * reader turns the line forms Xiaomi has shipped (protocols.md section
 * 11, the real scripts in tests/data/rom) into steps, and any line it does
 * not know stops the reading with that line quoted, so nothing in a
 * script is ever guessed at.  The forms:
 *
 *   fastboot $* getvar product 2>&1 | grep "^product: *CODENAME"
 *   CURRENT_ANTI_VER=N, or read from images/anti_version.txt in an
 *     if [ -e ... ]; then ... fi block, and the device check
 *     if [ $ver -gt $CURRENT_ANTI_VER ]; then ...; exit 1; fi
 *   fastboot $* getvar crc 2>&1 | grep "^crc: 1" then if [ $? -eq 0 ];
 *     then ... fi around the crclist flashes
 *   fastboot $* flash PART FILE, erase PART, set_active SLOT, oem lock,
 *     reboot; each optionally followed by "|| handle_error ..." or by an
 *     "if [ $? -ne 0 ] ; then echo ...; exit 1; fi" line
 *   echo, comments, SCRIPT_PATH=$(dirname $0), the handle_error()
 *     function, exit 0
 *
 * FILE is `dirname $0`/PATH, $(dirname $0)/PATH or ${SCRIPT_PATH}/PATH;
 * PATH is relative to the script's folder and may not climb out of it.
 *
 * AOSP factory images carry android-info.txt: "require VAR=A|B|C*",
 * "reject VAR=...", "require-for-product:PRODUCT VAR=...", "require
 * partition-exists=PART" (fastboot.cpp's CheckRequirements). */
#ifndef DM_ROMSCRIPT_H
#define DM_ROMSCRIPT_H

#include <stddef.h>

#define RS_MAX_TEXT	(1u << 20)	/* longest script read */
#define RS_MAX_STEPS	1024
#define RS_MAX_PATH	256

enum rs_kind {
	RS_FLASH,		/* flash part file */
	RS_ERASE,		/* erase part */
	RS_SET_ACTIVE,		/* set_active part (the slot) */
	RS_OEM_LOCK,		/* oem lock: relocks the bootloader */
	RS_REBOOT,		/* reboot */
};

struct rs_step {
	enum rs_kind kind;
	char part[72];		/* partition as written ("abl_ab"); the
				 * slot for RS_SET_ACTIVE */
	char file[RS_MAX_PATH];	/* RS_FLASH: "images/abl.elf", relative
				 * to the script's folder */
	int if_crc;		/* only when the phone says crc: 1 */
	int checked;		/* the script stops when it fails */
	int line;		/* 1-based line in the script */
};

struct rs_script {
	struct rs_step *steps;
	size_t n;
	char product[64];	/* the codename checked; "" when none */
	int anti;		/* the package's anti-rollback index as
				 * written (CURRENT_ANTI_VER=N); -1 none */
	char anti_file[RS_MAX_PATH];	/* or read from this file (relative);
					 * "" when not */
	int anti_check;		/* refuses a phone with a higher index */
	int product_line, anti_line;
};

/* Read a Xiaomi flash script.  0, or DM_EINVAL with err naming the line
 * ("line 12: not a form droidmedic knows: ..."): nothing is half-read.
 * Free with rs_script_free(). */
int rs_parse_xiaomi(const char *text, size_t len, struct rs_script *s,
    char *err, size_t errlen);
void rs_script_free(struct rs_script *s);

/* One android-info.txt line. */
struct rs_req {
	char var[64];		/* "product" for "board" */
	char for_product[64];	/* require-for-product:X; "" for all */
	int reject;		/* "reject": none of the values may match */
	char values[8][96];	/* "oriole", "slider-1.2*" ('*': prefix) */
	int nvalues;
	int line;
};

struct rs_reqs {
	struct rs_req *r;
	size_t n;
};

/* Read android-info.txt.  0 or DM_EINVAL naming the line. */
int rs_parse_android_info(const char *text, size_t len, struct rs_reqs *q,
    char *err, size_t errlen);
void rs_reqs_free(struct rs_reqs *q);
/* Whether value meets one of the requirement's values (a trailing '*'
 * matches a prefix; case as AOSP: exact). */
int rs_req_matches(const struct rs_req *r, const char *value);

/* misc.txt's key=value lines: the value of key ("device",
 * "build_number"), copied to out; 0, or DM_ENOENT. */
int rs_misc_value(const char *text, size_t len, const char *key, char *out,
    size_t outlen);

#endif
