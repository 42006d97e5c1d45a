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

/* The panes: draw into r (borders included); handle one action. */
void scr_devices_draw(struct ui *ui, const struct ui_rect *r);
int scr_devices_key(struct ui *ui, enum key_action a);
void scr_details_draw(struct ui *ui, const struct ui_rect *r);
int scr_details_key(struct ui *ui, enum key_action a);
void scr_log_draw(struct ui *ui, const struct ui_rect *r);
int scr_log_key(struct ui *ui, enum key_action a);
/* The `?` overlay, drawn over the whole screen. */
void scr_help_draw(struct ui *ui);
int scr_help_key(struct ui *ui, int key, enum key_action a);

/* Shared by the panes: the box around r with a focus-aware border. */
void scr_frame(const struct ui *ui, enum ui_pane p, const struct ui_rect *r,
    const char *title);

#endif
