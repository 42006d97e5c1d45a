/* rules.h - diagnosis rules, which are data: JSON files in the rules
 * folders (the built-in data/rules, then the user's), one rule set.
 *
 * A file holds {"rules": [RULE...]}; a rule is
 *   id        "media-crash": [a-z0-9-], unique (a later file's rule of
 *             the same id replaces an earlier one: user rules override)
 *   title     one line for the findings list
 *   severity  "info" | "warning" | "error" | "critical"
 *   modes     where its probes work: ["device"] (adb), "recovery",
 *             "fastboot" (bootloader or fastbootd), and the modes where
 *             nothing can be run on the phone: "unauthorized",
 *             "sideload", "mtp-only" (USB debugging off),
 *             "samsung-download", "qualcomm-edl", "mediatek" (preloader
 *             or boot ROM); default ["device"]
 *   probes    {"NAME": "shell command line", ...}: what to run; "props"
 *             is built in (getprop, parsed) and needs no entry.  In
 *             fastboot mode nothing is run: the one probe there is
 *             "getvar all", the variables read once, as "name: value"
 *             lines ("slot-unbootable:a: yes").  In every mode the
 *             probe "connection" is what the bench sees of the phone
 *             ("mode: recovery", its adb banner or USB ids, the adb
 *             key it refused); in the modes where nothing runs it is the
 *             only one
 *   when      matchers, all of which must hold (see below)
 *   explain   what it means and why, for people
 *   evidence  how many matching lines a matcher keeps (default 8)
 *   plan      the repair steps, narrowest first: {"action": NAME,
 *             "params": {...}, "risk": "none" | "app-data" | "user-data"
 *             | "flash", "needs": ["adb" | "fastboot" | "root" |
 *             "backup"], "effect": text, "verify": text}
 * A matcher is one of
 *   {"probe": NAME, "regex": ERE, "min": N}   at least N (default 1)
 *                                            lines of the output match;
 *             with "within": ERE, the output is read as blocks, each
 *             starting at a line matching it (a dumpsys window's
 *             "Window #3 Window{... u0 com.app/...}:" header); only lines
 *             inside a block count, and each evidence line is shown as
 *             "HEADER | LINE", so it names what it belongs to;
 *   {"prop": KEY, "regex": ERE}             the property's value matches
 *                                            (an absent one is "");
 *   {"prop": KEY, "lt"|"gt": NUMBER}         numeric comparison (an absent
 *                                            or non-numeric value fails);
 *   {"var": NAME, "regex"|"lt"|"gt": ...}   the same on a fastboot
 *                                            variable ("unlocked",
 *                                            "slot-unbootable:a"), for
 *                                            a phone in fastboot mode;
 *                                            numbers may carry a unit
 *                                            ("4055 mV", "68 %"); in
 *                                            adb modes it is absent, as
 *                                            a property is in fastboot;
 *   {"any": [MATCHER...]}                   at least one holds;
 * each may carry "not": true (it must not hold; keeps no evidence).  A
 * matcher of "when" itself may carry "also": true: it is evidence only,
 * read once the others hold (dropbox's older crashes next to the crash
 * buffer), kept when it matches, and neither its failing nor its probe
 * failing changes the finding; at least one matcher must not be "also".
 * Regular expressions are POSIX extended, case-sensitive unless the
 * matcher says "icase": true.  A pattern is refused when it could not be
 * compiled in bounded memory: over 1000 characters, groups nested over 32
 * deep, back-references, or over 4000 parts once its {counts} are
 * expanded (glibc copies a repeated group once per count).
 *
 * Loading never stops at a bad file: it is reported (FILE:LINE:COLUMN for
 * JSON errors, FILE: rule ID: what for the rest) and the other files
 * still load; a bad rule is dropped, its file's good rules stay. */
#ifndef DM_RULES_H
#define DM_RULES_H

#include <regex.h>
#include <stddef.h>

#include <cjson/cJSON.h>

enum rule_sev { SEV_INFO, SEV_WARNING, SEV_ERROR, SEV_CRITICAL };
enum rule_risk { RISK_NONE, RISK_APP_DATA, RISK_USER_DATA, RISK_FLASH };

#define RULE_MODE_DEVICE	1u
#define RULE_MODE_RECOVERY	2u
#define RULE_MODE_FASTBOOT	4u
#define RULE_MODE_UNAUTHORIZED	8u
#define RULE_MODE_SIDELOAD	16u
#define RULE_MODE_MTP_ONLY	32u
#define RULE_MODE_DOWNLOAD	64u
#define RULE_MODE_EDL		128u
#define RULE_MODE_MEDIATEK	256u
/* The modes where the phone runs nothing for us. */
#define RULE_MODES_LINK		(RULE_MODE_UNAUTHORIZED | RULE_MODE_SIDELOAD \
	| RULE_MODE_MTP_ONLY | RULE_MODE_DOWNLOAD | RULE_MODE_EDL \
	| RULE_MODE_MEDIATEK)
#define RULE_MODE_COUNT		9

#define RULE_MAX_PROBES		8
#define RULE_MAX_MATCH		12
#define RULE_MAX_STEPS		12

enum match_kind { M_PROBE, M_PROP_RE, M_PROP_LT, M_PROP_GT, M_ANY };

struct rule_match {
	enum match_kind kind;
	int negate;
	int also;		/* evidence only: kept when it holds, never
				 * decides, its probe may fail */
	int probe;		/* M_PROBE: index into rule.probes */
	char *prop;		/* M_PROP_*: a property, or with var a
				 * fastboot variable */
	int var;
	regex_t re;		/* M_PROBE, M_PROP_RE */
	int have_re;
	char *re_text;
	regex_t within;		/* M_PROBE: a block's header line */
	int have_within;
	double num;		/* M_PROP_LT/GT */
	int min;		/* M_PROBE */
	struct rule_match *any;	/* M_ANY */
	int nany;
};

struct rule_step {
	char *action;		/* "clear-data" */
	cJSON *params;		/* object (owned) */
	enum rule_risk risk;
	unsigned needs;		/* RULE_NEED_* */
	char *effect, *verify;
};

#define RULE_NEED_ADB		1u
#define RULE_NEED_FASTBOOT	2u
#define RULE_NEED_ROOT		4u
#define RULE_NEED_BACKUP	8u

struct rule {
	char *id, *title, *explain, *file;
	enum rule_sev sev;
	unsigned modes;
	char *probe_name[RULE_MAX_PROBES];
	char *probe_cmd[RULE_MAX_PROBES];
	int nprobes;
	struct rule_match match[RULE_MAX_MATCH];
	int nmatch;
	int keep;		/* evidence lines per matcher */
	struct rule_step step[RULE_MAX_STEPS];
	int nsteps;
};

struct ruleset {
	struct rule *rules;
	size_t n;
	char **problems;	/* what failed to load, one line each */
	size_t nproblems;
	size_t files;		/* files read */
};

void ruleset_init(struct ruleset *rs);
void ruleset_free(struct ruleset *rs);

/* Add the rules of one file (text); name says where it came from in
 * problems.  Returns how many rules it added (bad ones are reported in
 * rs->problems and skipped). */
/* "device", "recovery", ... for one RULE_MODE_* bit. */
const char *rule_mode_name(unsigned mode);

int ruleset_add_text(struct ruleset *rs, const char *name, const char *text,
    size_t len);
/* Every *.json in dir, in name order; a missing dir adds nothing.
 * Returns the rules added, or DM_EIO when dir exists but cannot be read
 * (also reported in problems). */
int ruleset_add_dir(struct ruleset *rs, const char *dir);

/* The built-in rules folder: $DROIDMEDIC_RULES, else PKGDATADIR/rules,
 * else data/rules beside the source tree of a build directory (found
 * from our own executable).  "" when none exists. */
void rules_builtin_dir(char *out, size_t len);
/* The built-in rules, then the user's ($XDG_CONFIG_HOME/droidmedic/
 * rules), which override rules of the same id. */
void ruleset_load_default(struct ruleset *rs);
/* The same with another built-in folder (NULL or "": the default); a
 * bench-server job uses the one its client found, so both agree. */
void ruleset_load_from(struct ruleset *rs, const char *builtin);

const char *rule_sev_name(enum rule_sev s);
const char *rule_risk_name(enum rule_risk r);
/* A step's parameters as "package com.x, to system" ("" for none). */
void rule_params_text(const cJSON *params, char *buf, size_t len);
/* A step for people: "clear-data package com.x", or for a by-hand step
 * "by hand: what to do". */
void rule_step_text(const char *action, const cJSON *params, char *buf,
    size_t len);

#endif
