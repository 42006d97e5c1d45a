/* ident.h - who a phone is, worked out from what it prints about itself.
 *
 * Inputs are the phone's own outputs, never the technician's word:
 *   getprop (or build.prop files) parsed into a struct props  -> most fields
 *   `dumpsys battery`                                         -> .battery
 *   `df` or `df -h`                                           -> .storage
 * Each field says where it comes from below; a "_src" field names the
 * property that answered when several could.
 *
 * struct dev_identity is a plain value (fixed arrays, no pointers): copy
 * it, post it in an event, keep it in a device row.  Every string is
 * valid UTF-8 and NUL-terminated, "" when unknown; a number is IDENT_NONE
 * when unknown; a yes/no field is 1, 0 or -1 (unknown).  Strings are the
 * phone's own, not escaped for a terminal.
 *
 * Pure functions, any thread. */
#ifndef DM_IDENT_H
#define DM_IDENT_H

#include <limits.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct props;

#define IDENT_NONE	INT_MIN		/* a number nobody reported */
#define IDENT_STR	96
#define IDENT_LONG	256

enum ident_lock {
	IDENT_LOCK_UNKNOWN = 0,
	IDENT_LOCK_LOCKED,
	IDENT_LOCK_UNLOCKED
};

enum ident_boot {
	IDENT_BOOT_UNKNOWN = 0,	/* no boot mode property */
	IDENT_BOOT_NORMAL,	/* "normal"; or "unknown", which is how
				 * Qualcomm phones boot normally */
	IDENT_BOOT_CHARGER,	/* off-mode charging */
	IDENT_BOOT_RECOVERY,
	IDENT_BOOT_FACTORY,	/* ffbm-00/01/02, qmmi, factory, meta... */
	IDENT_BOOT_OTHER	/* anything else: see boot_mode */
};

/* From `dumpsys battery`. */
struct ident_battery {
	int valid;		/* 1 once a battery dump was understood */
	int present;		/* yes/no */
	int level, scale;
	int percent;		/* level scaled to 0..100 */
	int status;		/* BatteryManager code: 2 charging ... */
	char status_text[16];	/* "charging" "discharging" "not charging"
				 * "full" "unknown" */
	int health;		/* BatteryManager code: 2 good ... */
	char health_text[16];	/* "good" "overheat" "dead" "over voltage"
				 * "failure" "cold" "unknown" */
	int temp_dc;		/* tenths of a degree C (336 = 33.6) */
	int voltage_mv;
	int current_now;	/* "current now" as printed (Samsung: mA) */
	long long charge_uah;	/* "Charge counter", microamp-hours */
	int ac, usb, wireless, dock;	/* yes/no: powered from */
	char technology[24];	/* "Li-ion" */
};

/* From `df` / `df -h`: the user data partition. */
struct ident_storage {
	int valid;
	char mount[64];		/* "/data", else where it shows, e.g.
				 * "/storage/emulated" (FUSE over /data) */
	char fs[64];		/* the Filesystem column */
	unsigned long long size, used, avail;	/* bytes */
	int use_pct;
	int approx;		/* 1 when read from `df -h` (rounded) */
};

/* The comments give the property read and an example value. */
struct dev_identity {
	/* The phone. */
	char name[IDENT_STR];		/* to show: "Redmi Note 14 5G",
					 * "Samsung SM-S936B" */
	char brand[IDENT_STR];		/* ro.product.brand "Redmi" */
	char manufacturer[IDENT_STR];	/* ro.product.manufacturer */
	char model[IDENT_STR];		/* ro.product.model */
	char marketname[IDENT_STR];	/* ro.product.marketname, its vendor
					 * and odm forms, Oplus's */
	char device[IDENT_STR];		/* ro.product.device */
	char mod_device[IDENT_STR];	/* ro.product.mod_device (Xiaomi):
					 * "beryl_global" */
	char codename[IDENT_STR];	/* what firmware is named after: the
					 * mod_device base when it differs
					 * ("beryl"), else device */
	char product[IDENT_STR];	/* ro.product.name "citrine_global" */
	char board[IDENT_STR];		/* ro.product.board */
	char serial[IDENT_STR];		/* ro.serialno, or ro.boot's */

	/* Market. */
	char region[32];		/* firmware region: "Global" "CN"
					 * "EEA" "IN"; Samsung CSC "EUX" */
	char region_src[64];		/* the property it came from */
	char hw_region[32];		/* ro.boot.hwc: hardware variant */
	char country[32];		/* ro.miui.region, Samsung's CSC
					 * country: "IN", "ES" */
	char carrier[IDENT_STR];	/* first non-empty SIM operator */
	char carrier_src[64];
	char sim_state[64];		/* gsm.sim.state "LOADED,ABSENT" */

	/* Software. */
	char fingerprint[IDENT_LONG];
	char fingerprint_src[64];
	char android[32];		/* "15" */
	int sdk;			/* ro.build.version.sdk */
	int first_sdk;			/* ro.product.first_api_level */
	char security_patch[16];	/* "2026-02-01" */
	char vendor_patch[16];		/* the vendor image's patch */
	char build_id[64];		/* ro.build.id */
	char incremental[IDENT_STR];	/* ro.build.version.incremental */
	char display_id[IDENT_LONG];	/* ro.build.display.id */
	char build_type[16];		/* user, userdebug, eng */
	char build_tags[32];		/* release-keys, test-keys */
	char build_date[64];
	char os[IDENT_STR];		/* one line: "HyperOS 2.0",
					 * "One UI 8.5", "crDroid 11.4",
					 * "MIUI 13 (xiaomi.eu)" */
	char skin[32];			/* "HyperOS" "MIUI" "One UI" */
	char skin_version[32];		/* "2.0" "13" "8.5" */
	char skin_build[IDENT_STR];	/* "OS2.0.211.0.VOQMIXM", or
					 * Samsung's PDA version */
	char rom[32];			/* custom ROM, "" when stock:
					 * "crDroid" "LineageOS" "xiaomi.eu" */
	char rom_version[64];
	char baseband[IDENT_STR];	/* first of gsm.version.baseband */
	char bootloader[IDENT_STR];	/* ro.bootloader (not "unknown") */

	/* Security. */
	enum ident_lock lock;
	char lock_src[64];		/* the property that decided */
	char vb_state[16];		/* ro.boot.verifiedbootstate: green
					 * yellow orange red */
	char vbmeta_state[16];		/* ro.boot.vbmeta.device_state */
	int oem_unlock_allowed;		/* sys.oem_unlock_allowed */
	int warranty_bit;		/* Samsung Knox: yes = tripped */
	int debuggable;			/* ro.debuggable */
	char encryption[32];		/* "encrypted (file)" */

	/* Boot. */
	char slot[8];			/* "a", "b"; "" without A/B */
	int ab;				/* ro.build.ab_update */
	int dynamic_partitions;		/* ro.boot.dynamic_partitions */
	char boot_mode[32];		/* as printed: "ffbm-01" */
	char boot_mode_src[32];		/* ro.bootmode, ro.boot.mode */
	enum ident_boot boot;
	int boot_completed;		/* sys.boot_completed */
	int factory_binary;		/* Samsung: yes = a factory binary
					 * is flashed */

	/* Hardware. */
	char hardware[64];		/* ro.hardware "qcom" "mt6855" */
	char platform[64];		/* ro.board.platform "kona" */
	char soc_maker[64];		/* ro.soc.manufacturer "QTI" */
	char soc_model[64];		/* ro.soc.model "SM8250" */
	char abi[32];			/* ro.product.cpu.abi */
	char locale[32];		/* persist.sys.locale, else
					 * ro.product.locale */

	struct ident_battery battery;
	struct ident_storage storage;
};

/* Everything unknown. */
void ident_init(struct dev_identity *id);

/* Fill the property-derived fields (all but .battery and .storage, which
 * are kept).  Returns 0, or DM_EINVAL for NULL arguments. */
int ident_from_props(struct dev_identity *id, const struct props *p);

/* Read `dumpsys battery` output (any bytes, len of them; a command line or
 * prompt around it is fine).  Returns 0, or DM_EINVAL when nothing in it
 * was a battery field (then b->valid is 0). */
int ident_battery_parse(struct ident_battery *b, const char *text,
    size_t len);

/* Read `df` or `df -h` output and pick the line for /data (or, when
 * /data is not listed, /storage/emulated, /data/media, /sdcard).  Returns
 * 0, or DM_ENOENT when no such line was found (then s->valid is 0). */
int ident_storage_parse(struct ident_storage *s, const char *text,
    size_t len);

/* "Xiaomi 14 (houji) · CN · HyperOS 1.0 · Android 14" into buf (always
 * NUL-terminated when len > 0).  sep joins the parts; NULL means " · "
 * (pass " | " for an ASCII-only terminal).  Returns the length the whole
 * line needs, like snprintf. */
size_t ident_summary(const struct dev_identity *id, char *buf, size_t len,
    const char *sep);

/* The identity as JSON (`droidmedic info --json`): unknown values are
 * null.  The caller owns the result (cJSON_Delete); NULL on OOM. */
cJSON *ident_to_json(const struct dev_identity *id);

/* "locked", "unlocked", "unknown". */
const char *ident_lock_name(enum ident_lock l);
/* "normal", "charger", "recovery", "factory", "other", "unknown". */
const char *ident_boot_name(enum ident_boot b);

#endif
