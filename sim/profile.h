/* profile.h - one simulated phone, as described by a JSON file in
 * sim/profiles/ (the format is documented in sim/profiles/README.md).
 *
 * Loading reads the JSON and every fixture it names (real captures that
 * are never copied into the repository: they are read at run time from
 * the fixtures directory, --fixtures or $DROIDMEDIC_FIXTURES).  A loaded
 * profile is read-only and shared by all threads of its phone. */
#ifndef DM_SIM_PROFILE_H
#define DM_SIM_PROFILE_H

#include <stddef.h>
#include <stdint.h>

struct propdb;

enum sim_mode {
	SIM_MODE_DEVICE = 0,
	SIM_MODE_RECOVERY,
	SIM_MODE_SIDELOAD,
	SIM_MODE_BOOTLOADER,	/* fastboot (or adb side down without it) */
	SIM_MODE_FASTBOOTD,	/* userspace fastboot */
};

enum sim_auth {
	SIM_AUTH_NONE = 0,	/* CNXN straight away (ro.adb.secure=0) */
	SIM_AUTH_PROMPT,	/* unknown keys wait for "Allow" */
	SIM_AUTH_REJECT,	/* unknown keys are never allowed */
};

enum fault_type {
	FAULT_OVERSIZE = 1,	/* header length above the maximum */
	FAULT_BAD_MAGIC,	/* magic != command ^ 0xffffffff */
	FAULT_BAD_CHECKSUM,	/* wrong data_check (checksum versions) */
	FAULT_TRUNCATE,		/* half a payload, then close */
	FAULT_STALL,		/* stop answering, keep the socket open */
	FAULT_CLOSE,		/* close the connection */
	FAULT_SLOW,		/* answer late (fastboot flash: +MS) */
};

enum fault_when {
	FAULT_AT_CNXN = 1,	/* instead of the CNXN (or AUTH) reply */
	FAULT_AT_OPEN,		/* instead of the OKAY to an OPEN */
	FAULT_AT_WRTE,		/* on the first WRTE the phone sends */
	FAULT_AT_RECV,		/* in a sync RECV after after_bytes */
	FAULT_AT_FLASH,		/* fastboot: each flash: command */
	FAULT_AT_DOWNLOAD,	/* fastboot: after_bytes into a download
				 * (close only) */
};

struct fault {
	enum fault_type type;
	enum fault_when when;
	uint64_t after_bytes;	/* FAULT_AT_RECV, FAULT_AT_DOWNLOAD */
	uint32_t length;	/* FAULT_OVERSIZE: 0 = maximum + 1 */
	int once;		/* only the first connection that gets there */
};

struct sim_command {
	char *line;		/* exact command line */
	char *out, *err;	/* stdout, stderr */
	size_t outlen, errlen;
	int exit_code;
};

struct storage_entry {
	char *path;		/* device path, "/sdcard/DCIM/x.jpg" */
	int is_dir;
	uint64_t size;		/* files: bytes of the seeded pattern */
	uint64_t seed;
	char *text;		/* files: literal content instead */
	int64_t mtime;		/* 0 = leave the current time */
	unsigned mode;		/* permission bits */
};

/* An installed app; its state (cleared, disabled, uninstalled for the
 * user) lives in the running phone (appstate.h). */
struct sim_package {
	char *name;
	int system;		/* on the system image: cannot be removed */
	char **splits;		/* a user app's split APKs ("config.en") */
	size_t nsplits;
};

/* How the phone changes once things have happened to it: when every
 * event in "after" has happened (and, when "reboot" is one of them, the
 * phone has booted since the others), these commands and properties
 * replace the profile's.  Events are the sim's own words (appstate.h):
 * "clear PKG", "force-stop PKG", "reboot", "setprop KEY VALUE", ... */
struct sim_effect {
	char **after;
	size_t nafter;
	struct sim_command *cmds;
	size_t ncmds;
	char **props;		/* key, value, key, value, ... */
	size_t nprops;		/* pairs */
	/* And: at the phone's last boot into Android these files held
	 * these texts (trailing white space aside). */
	char **files;		/* path, text, path, text, ... */
	size_t nfiles;		/* pairs */
};

struct profile {
	char *path;		/* the JSON file */
	char *serial;
	enum sim_mode mode;
	uint32_t version;	/* ADB protocol version we offer */
	uint32_t max_payload;
	char *features;		/* "shell_v2,cmd,..." */
	enum sim_auth auth;
	int auth_delay_ms;	/* prompt: time until "Allow" is tapped */
	struct propdb *props;
	struct sim_command *cmds;
	size_t ncmds;
	struct storage_entry *storage;
	size_t nstorage;
	struct fault *faults;
	size_t nfaults;
	int reboot_ms;		/* time away during a reboot */
	int bootloader_ms;	/* time in bootloader before coming back */
	char *uname;		/* `uname -a` */
	/* Fastboot: the `getvar all` captures the bootloader and fastbootd
	 * answer from (NULL: no fastboot, the adb side is just down), and
	 * the profile's own variables, applied over both in order. */
	char *fb_bootloader, *fb_fastbootd;
	size_t fb_bootloader_len, fb_fastbootd_len;
	char **fb_vars;		/* name, value, name, value, ... */
	size_t nfb_vars;	/* pairs */
	struct sim_package *pkgs;
	size_t npkgs;
	struct sim_effect *effects;
	size_t neffects;
	/* The display screencap captures (default 720x1280). */
	uint32_t screen_w, screen_h;
	int su;			/* a rooted phone: "su -c" runs as root */
};

/* Load a profile; fixtures is the fixtures directory (NULL when none was
 * given).  0 or a negative dm_err with the whole story in err: the file,
 * the line and column of a JSON error, the fixture and the variable to
 * set when a capture is missing. */
int profile_load(struct profile **out, const char *path, const char *fixtures,
    char *err, size_t errlen);
void profile_free(struct profile *p);

/* A fault written as "TYPE[@WHEN][+BYTES]", e.g. "close@recv+1048576",
 * "bad_magic@cnxn", "stall@open" (WHEN defaults to wrte).  0 or
 * DM_EINVAL. */
int profile_parse_fault(struct fault *f, const char *spec, char *err,
    size_t errlen);

const char *profile_mode_name(enum sim_mode m);
/* The exact-match command, or NULL. */
const struct sim_command *profile_command(const struct profile *p,
    const char *line);

#endif
