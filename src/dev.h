/* dev.h - the device registry: one row per phone on the bench.
 *
 * Discovery sources (USB scan, TCP connections, later the adb server)
 * report observations with devreg_seen() and losses with devreg_gone().
 * The registry decides which row an observation belongs to, so that a
 * phone rebooting from adb into fastboot keeps its row:
 *   1. a present row on the same port is the same device;
 *   2. else a row that is gone with the same (non-empty) serial takes it
 *      (it came back in another mode, maybe on another port);
 *   3. else a gone row on the same port takes it when either side has no
 *      serial (EDL and boot ROMs report none);
 *   4. else a new row.
 * A gone row stays (mode "offline", present=0) for a grace period, then
 * devreg_expire() drops it.  Each change posts an event to the bus.
 *
 * Rows are refcounted (struct dev): a job holds a reference for as long as
 * it runs, even if the row is dropped meanwhile.  All functions are
 * thread-safe; struct dev_info is a plain copy the caller owns. */
#ifndef DM_DEV_H
#define DM_DEV_H

#include <stdint.h>

struct evbus;

enum dev_mode {
	DEV_MODE_UNKNOWN = 0,
	DEV_MODE_ADB,			/* adbd answering, authorized */
	DEV_MODE_UNAUTHORIZED,		/* adbd waiting for "Allow USB debugging" */
	DEV_MODE_RECOVERY,
	DEV_MODE_SIDELOAD,
	DEV_MODE_FASTBOOT,		/* bootloader fastboot */
	DEV_MODE_FASTBOOTD,		/* userspace fastboot */
	DEV_MODE_SAMSUNG_DOWNLOAD,	/* Odin / download mode */
	DEV_MODE_QUALCOMM_EDL,		/* 9008 Sahara/Firehose, 900e dump */
	DEV_MODE_MEDIATEK_PRELOADER,
	DEV_MODE_MEDIATEK_BROM,
	DEV_MODE_MTP_ONLY,		/* phone with USB debugging off */
	DEV_MODE_OFFLINE,		/* gone: rebooting or unplugged */
	DEV_MODE_COUNT_
};

/* "adb", "fastboot", "samsung-download", ... (stable, used in JSON). */
const char *dev_mode_name(enum dev_mode m);
/* What a technician reads: "USB debugging is off", "Download mode". */
const char *dev_mode_label(enum dev_mode m);
/* Inverse of dev_mode_name(); DEV_MODE_UNKNOWN when unknown. */
enum dev_mode dev_mode_parse(const char *name);

#define DEV_MAX_PROBLEMS 4

/* Something that keeps droidmedic from using the device, with the fix. */
struct dev_problem {
	char code[24];		/* "no-permission", "busy", "slow-link" */
	char text[160];		/* "no permission to open /dev/bus/usb/001/005" */
	char fix[240];		/* the exact command or step that fixes it */
};

struct dev_info {
	unsigned id;		/* row id (0 in an observation) */
	char transport[8];	/* "usb", "tcp" */
	char port[64];		/* "usb:1-2.3", "tcp:192.168.1.5:5555" */
	char devnode[32];	/* "/dev/bus/usb/001/005" or "" */
	char serial[128];	/* iSerialNumber or adb serial; may be "" */
	enum dev_mode mode;
	char mode_detail[64];	/* "Sahara/Firehose (05c6:9008)" */
	uint16_t vid, pid;
	char vendor[32];	/* label from the VID table: "Xiaomi" */
	char manufacturer[64];	/* USB iManufacturer */
	char product[64];	/* USB iProduct */
	char speed[12];		/* "low" "full" "high" "super" "super+" or "" */
	int speed_mbps;		/* 1 (1.5), 12, 480, 5000, 10000, 20000; 0 unknown */
	int hub_depth;		/* hubs between the root port and the phone */
	int present;		/* 0 while gone */
	int demo;		/* a simulated demo phone */
	int64_t first_seen_ms;	/* CLOCK_REALTIME milliseconds */
	int64_t changed_ms;
	int64_t gone_ms;	/* when it went away, 0 when present */
	int nproblems;
	struct dev_problem problems[DEV_MAX_PROBLEMS];
	unsigned presence;	/* +1 each time the row becomes present */
	char summary[128];	/* one line from the phone's identity */
	char adb_path[24];	/* "usb", "tcp", "adb-server:5037": how ADB goes */
};

/* Append a problem to an observation (dropped when the array is full). */
void dev_info_add_problem(struct dev_info *di, const char *code,
    const char *text, const char *fix);

struct dev;
struct devreg;

struct devreg *devreg_new(struct evbus *bus);	/* bus may be NULL */
void devreg_free(struct devreg *reg);

/* Record an observation (its id field is ignored); returns the row id. */
unsigned devreg_seen(struct devreg *reg, const struct dev_info *obs,
    int64_t now_ms);
/* The source lost the device on this port; the row turns offline.
 * Returns the row id, or 0 when no present row had that port. */
unsigned devreg_gone(struct devreg *reg, const char *port, int64_t now_ms);
/* What the protocol learned about a present row: a mode that USB alone
 * cannot tell (unauthorized, recovery, sideload, fastbootd) and how ADB
 * reaches it.  It sticks until the row goes away, even when discovery
 * reports the plain USB-level mode again.  0 or DM_ENOENT (or DM_EEXIST
 * when presence no longer matches: the phone left meanwhile). */
int devreg_refine(struct devreg *reg, unsigned id, unsigned presence,
    enum dev_mode mode, const char *detail, const char *adb_path);
/* The phone's identity as a JSON text (copied) and its one-line summary;
 * cleared when the row goes away. */
int devreg_set_ident(struct devreg *reg, unsigned id, unsigned presence,
    const char *json, const char *summary);
/* A malloc'ed copy of the identity JSON, or NULL. */
char *devreg_get_ident(struct devreg *reg, unsigned id);

/* Drop one row now (a network phone the user disconnected). */
int devreg_drop(struct devreg *reg, unsigned id);
/* Drop rows gone for longer than grace_ms; returns how many. */
int devreg_expire(struct devreg *reg, int64_t now_ms, int64_t grace_ms);

/* Copy all rows, in id order, into a malloc'ed array (*out, free it);
 * returns the count. */
int devreg_list(struct devreg *reg, struct dev_info **out);
/* Copy one row by id; 0 or DM_ENOENT. */
int devreg_get(struct devreg *reg, unsigned id, struct dev_info *out);
/* Find a row by serial, port or decimal id (what a user types after -s). */
int devreg_lookup(struct devreg *reg, const char *what, struct dev_info *out);
int devreg_count(struct devreg *reg);

/* A counted reference to a row; NULL if no such id.  Release with
 * dev_unref().  dev_snapshot() copies the current state. */
struct dev *devreg_acquire(struct devreg *reg, unsigned id);
void dev_ref(struct dev *d);
void dev_unref(struct dev *d);
unsigned dev_id(const struct dev *d);
void dev_snapshot(struct dev *d, struct dev_info *out);
/* 1 once the registry dropped the row (the phone is not coming back). */
int dev_removed(struct dev *d);

/* Where ADB reaches the row's phone: "adb-server:PORT:SERIAL" for one a
 * running adb server holds, else its port ("usb:1-2", "tcp:H:P"). */
void dev_adb_address(const struct dev_info *di, char *addr, size_t len);

/* The typed confirmation of a destructive step names the phone: typed is
 * its serial, or the last four characters of a serial longer than four. */
int dev_confirm_names(const char *typed, const char *serial);
/* What to type: the last four characters (the serial when shorter).
 * Borrowed from serial. */
const char *dev_confirm_hint(const char *serial);
/* Why a destructive step stops short, starting with nothing ("nothing
 * was flashed"): no serial to confirm, a confirmation naming another
 * phone, or none at all (then what to type). */
void dev_confirm_refusal(char *msg, size_t len, const char *typed,
    const char *serial, const char *nothing);

/* Milliseconds of CLOCK_REALTIME / CLOCK_MONOTONIC. */
int64_t dm_now_ms(void);
int64_t dm_mono_ms(void);

#endif
