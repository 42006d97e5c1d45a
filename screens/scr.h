/* scr.h - the dashboard's model and its screens.
 *
 * struct ui holds what the server told us (devices, jobs, log lines, the
 * hello) and the view state (focus, selection, filter, scroll offsets).
 * ui.c owns it and runs the loop; each screen draws one pane from it and
 * handles the actions for that pane, returning UI_REDRAW / UI_QUIT.
 * Everything here runs on the main thread, the only one the dashboard has. */
#ifndef DM_SCR_H
#define DM_SCR_H

#include <stdint.h>

#include <curses.h>
#include <cjson/cJSON.h>

#include "dev.h"
#include "job.h"
#include "keys.h"

#define UI_REDRAW	0x1
#define UI_QUIT		0x2

enum ui_pane {
	PANE_DEVICES = 0,
	PANE_DETAILS,
	PANE_LOG,
	PANE_COUNT_
};

struct ui_rect {
	int y, x, h, w;		/* the box, borders included */
};

struct ui_dev {
	struct dev_info di;
	int64_t gone_local_ms;	/* when we saw it go (server gave no time) */
	cJSON *ident;		/* the phone's identity object, or NULL */
};

#define UI_LOG_MAX	500

struct ui_logline {
	int64_t ms;		/* CLOCK_REALTIME */
	int level;		/* enum log_level */
	char module[16];
	char text[240];
};

/* The repair side of one phone, kept by row id: its last diagnosis (a
 * "diagnose" job's result, fixjob.h) and the fix running or last run. */
struct ui_repair {
	unsigned dev_id;
	unsigned diag_job;	/* the diagnose job under way, 0 none */
	cJSON *report;		/* the last diagnosis, or NULL */
	int64_t report_ms;	/* when it came (CLOCK_REALTIME) */
	char error[240];	/* why the last request failed */
	unsigned fix_job;	/* the fix under way or last run, 0 none */
	int fix_running;
	char fix_finding[64];
	cJSON *fix_result;	/* its result once it ended */
	int fsel;		/* the selected finding */
	int pick;		/* f runs: 0 the plan, K step K alone */
};

#define UI_MAX_REPAIR	32

/* What the lower pane shows for the selected phone. */
enum ui_view {
	VIEW_DETAILS = 0,
	VIEW_FINDINGS,
	VIEW_BACKUPS,
};

/* One backup of the phone in view, as the backups view and the restore
 * dialog show it (scr_backup.c). */
#define UI_BK_CATS	16
struct ui_bkent {
	char id[160], created[40], serial[96], base[160];
	char stopped[300];
	int complete, verified;
	double files, bytes, failed, abytes;
	double push_files, push_bytes;	/* what a restore pushes */
	struct {
		char name[16];
		double files, bytes;
	} cat[UI_BK_CATS];
	int ncat;
};

enum { BK_DLG_BACKUP = 1, BK_DLG_RESTORE };

/* Backups: the dialogs, and the library of the phone in view. */
struct ui_backup {
	int open;		/* 0, BK_DLG_BACKUP or BK_DLG_RESTORE */
	unsigned dev_id;
	char serial[128];	/* the phone's own */
	unsigned cats;		/* ticked categories */
	unsigned rsel;		/* restore: ticked entries of cat[] */
	int cur;		/* the category under the cursor */
	char typed[64];
	char msg[200];
	char root[4096];	/* the library */
	unsigned lib_dev;	/* the row the list below is of */
	struct ui_bkent *v;	/* newest first */
	int n, sel;
	int stale;		/* reload before the next draw */
	int64_t lib_stamp;	/* the phone's library folder's mtime (ns)
				 * at the load: a backup made elsewhere (the
				 * CLI) changes it */
	char lib_error[300];
	unsigned job;		/* the last job started from here */
	/* The estimate asked for when the dialog opened (a dry run). */
	unsigned est_job;
	int est_wait;
	cJSON *est;		/* its result, or NULL */
};

/* The flash dialog (scr_flash.c). */
#define UI_FLASH_BUILDS	16
enum { FL_ASK = 0, FL_WAIT, FL_PLAN, FL_FETCH };
struct ui_flash {
	int open, stage;
	unsigned dev_id;
	char serial[128];	/* the phone's own, to be named */
	char package[1024];	/* as typed */
	char path[4096];	/* absolute, as sent */
	char sha256[80];
	int choice;		/* 0 keep data, 1 wipe, 2 wipe and lock */
	int field;		/* 0 package, 1 sha256, 2 choice, 3 build */
	char build[200];	/* the catalog's build for the phone, said */
	char cached[4200];	/* it is in the cache there, or "" */
	char build_sha[80];	/* its SHA-256, or "" */
	cJSON *fetch;		/* the request that downloads it, or NULL */
	cJSON *builds;		/* every build offered (scr_flash.c) */
	int bsel;		/* the one picked */
	unsigned fetch_job;	/* that download */
	char typed[64];
	char msg[300];
	unsigned plan_job;	/* the dry run */
	cJSON *plan;		/* its result */
	int resume, resume_line;	/* a stopped flash is in the journal */
	int without_backup;	/* typed: wipe with no recent backup */
};
/* A flash of the phone that stopped, from its journal. */
struct ui_flash_resume {
	int stopped;
	int running;		/* the journal says running: stopped only
				 * when no flash job of the row runs */
	char package[4096], sha256[80], error[300];
	int choice, line;
};

/* The typed confirmation before a plan runs. */
struct ui_confirm {
	int open;
	unsigned dev_id;
	char finding[64];
	char serial[128];	/* the phone's own serial, to be named */
	char typed[64];
	char msg[200];		/* why the last Enter was refused */
	int first, last;	/* the steps that run */
	int step;		/* one step alone (first == last), or 0 */
	int without_backup;	/* the plan goes on without a backup */
};

/* A request the screens leave for ui.c, which owns the connection. */
struct ui_req {
	char op[16];		/* "diagnose", "fix"; "" none */
	unsigned dev_id;
	cJSON *params;		/* owned */
};

struct ui {
	/* What the server told us. */
	struct ui_dev *devs;	/* in row id order */
	int ndevs, devcap;
	struct job_info *jobs;
	int njobs, jobcap;
	struct ui_logline log[UI_LOG_MAX];	/* a ring */
	int log_first, log_count;
	int connected;
	long server_pid;
	char server_version[32];
	int usb_known, usb_ok, usb_hotplug;
	char usb_error[160];
	char status[160];	/* key bar message, e.g. "reconnecting" */
	int status_key;		/* it goes at the next key */

	/* The view. */
	enum ui_pane focus;
	struct ui_rect pane[PANE_COUNT_];
	unsigned sel_id;	/* selected row id, 0 for none */
	int sel_pos;		/* where it was in vis, for when it goes */
	int *vis;		/* indices of devs passing the filter */
	int nvis, viscap;
	int list_top;		/* first visible row of vis */
	int details_top, details_total;
	int log_back;		/* lines scrolled back; 0 follows the tail */
	char filter[64];
	int filter_edit;	/* the / prompt is open */
	int help_open, help_top;
	enum ui_view view;
	struct ui_repair repair[UI_MAX_REPAIR];
	int nrepair;
	struct ui_confirm confirm;
	struct ui_backup bk;
	struct ui_flash fl;
	struct ui_req req;
	unsigned fetch[UI_MAX_REPAIR];	/* ended jobs whose result we want */
	int nfetch;
};

/* ui.c: the model, for the screens. */
const struct ui_dev *ui_selected(const struct ui *ui);
int ui_selected_pos(const struct ui *ui);	/* index in vis, or -1 */
void ui_select_pos(struct ui *ui, int pos);	/* clamped */
const struct ui_logline *ui_log_at(const struct ui *ui, int i);
/* When the row went away (CLOCK_REALTIME ms), 0 when present. */
int64_t ui_dev_gone_ms(const struct ui_dev *d);
/* "12s", "4m05s", "2h10m" */
void ui_age(char *buf, size_t len, int64_t ms);
/* "480M", "5G"; "" when unknown. */
void ui_speed(char *buf, size_t len, const struct dev_info *di);

/* The repair state of a row (created when create), or NULL. */
struct ui_repair *ui_repair_get(struct ui *ui, unsigned dev_id, int create);
/* Ask ui.c to send op for the row (params taken). */
void ui_request(struct ui *ui, const char *op, unsigned dev_id,
    cJSON *params);

/* The panes: draw into r (borders included); handle one action. */
void scr_devices_draw(struct ui *ui, const struct ui_rect *r);
int scr_devices_key(struct ui *ui, enum key_action a);
void scr_details_draw(struct ui *ui, const struct ui_rect *r);
int scr_details_key(struct ui *ui, enum key_action a);
void scr_log_draw(struct ui *ui, const struct ui_rect *r);
int scr_log_key(struct ui *ui, enum key_action a);
/* The findings view of the lower pane (scr_repair.c): the selected
 * phone's findings, the selected one's evidence and plan, the fix. */
void scr_findings_draw(struct ui *ui, const struct ui_rect *r);
int scr_findings_key(struct ui *ui, enum key_action a);
/* d, f: diagnose the selected phone; fix the selected finding (opens
 * the confirmation).  The dialog, drawn over the panes, and its keys. */
int scr_repair_diagnose(struct ui *ui);
int scr_repair_fix(struct ui *ui);
/* s: what f runs for the selected finding: the plan, then each step that
 * can run here, alone, in turn. */
int scr_repair_pick(struct ui *ui);
void scr_confirm_draw(struct ui *ui);
/* The params of a "diagnose" or "fix" request for a row (its id, and the
 * rules this program found). */
cJSON *scr_repair_params(unsigned dev_id);
int scr_confirm_key(struct ui *ui, int ch, enum key_action a);
/* The code typed in a dialog (scr_repair.c): Backspace, Ctrl-U and
 * printable characters edit typed; UI_REDRAW when it changed, else 0. */
int scr_code_key(char *typed, size_t len, int ch);
/* Backups (scr_backup.c): b opens the backup dialog for the selected
 * phone; the backups view of the lower pane; r opens the restore dialog
 * for the backup selected there.  The dialogs are drawn over the panes. */
int scr_backup_open(struct ui *ui);
int scr_restore_open(struct ui *ui);
void scr_backup_draw(struct ui *ui);
int scr_backup_key(struct ui *ui, int ch, enum key_action a);
void scr_backups_draw(struct ui *ui, const struct ui_rect *r);
int scr_backups_key(struct ui *ui, enum key_action a);
/* A job ended: when it is the one started here, read the library again;
 * when it is the estimate, fetch it (then scr_backup_estimate()). */
void scr_backup_job_ended(struct ui *ui, unsigned job_id);
/* The estimate's result (taken), or NULL with why it failed. */
void scr_backup_estimate(struct ui *ui, cJSON *result, const char *why);
void scr_backup_free(struct ui *ui);
/* Flashing (scr_flash.c): F opens the flash dialog for a phone in
 * fastboot; Enter asks for a dry run (the plan and its gates), whose
 * result scr_flash_plan() takes; a typed code then queues the flash. */
int scr_flash_open(struct ui *ui);
void scr_flash_draw(struct ui *ui);
int scr_flash_key(struct ui *ui, int ch, enum key_action a);
/* The job the dashboard knows by that id, or NULL (scr_repair.c). */
const struct job_info *scr_job_find(const struct ui *ui, unsigned id);
void scr_flash_job_ended(struct ui *ui, unsigned job_id);
void scr_flash_plan(struct ui *ui, cJSON *result, const char *why);
/* The catalog build's download ended: its result (taken), or NULL and
 * why. */
void scr_flash_fetched(struct ui *ui, cJSON *result, const char *why);
void scr_flash_free(struct ui *ui);
/* 1 and r filled in when the phone's journal holds a flash that did not
 * finish. */
int scr_flash_journal(const char *serial, struct ui_flash_resume *r);
/* The flash job running or queued on the row, or 0. */
unsigned scr_flash_active(const struct ui *ui, unsigned dev_id);
/* The `?` overlay, drawn over the whole screen. */
void scr_help_draw(struct ui *ui);
int scr_help_key(struct ui *ui, int key, enum key_action a);

/* Text laid out in a pane (scr_details.c): lines count from the top of
 * the text; only those between top and top + rows land on screen, so
 * scrolling is just a different top.  emit: one line, label in the first
 * indent columns; para: text wrapped in the columns after indent. */
struct scr_text {
	int y, x, w;		/* the inside of the pane */
	int top, rows;
	int line;		/* next logical line */
};
void scr_text_emit(struct scr_text *d, int indent, const char *label,
    const char *text, attr_t a);
void scr_text_para(struct scr_text *d, int indent, const char *label,
    const char *text, attr_t a);
/* The lower pane titled "NAME · SERIAL" with body's text in it,
 * scrolled by ui->details_top (kept inside the text) and its position
 * shown on the border when it does not fit. */
void scr_text_pane(struct ui *ui, const struct ui_rect *r, const char *name,
    void (*body)(struct ui *, struct scr_text *, const struct ui_dev *));

/* Shared by the panes: the box around r with a focus-aware border. */
void scr_frame(const struct ui *ui, enum ui_pane p, const struct ui_rect *r,
    const char *title);

#endif
