/* appstate.h - what has happened to a running simulated phone: its apps'
 * state (data cleared, stopped, disabled, removed for the user), the
 * properties set since boot, and the log of events that the profile's
 * "effects" wait for (profile.h).
 *
 * Events are recorded in the sim's own words:
 *   "clear PKG"  "clear-cache PKG"  "force-stop PKG"  "disable PKG"
 *   "enable PKG"  "uninstall PKG"  "install-existing PKG"  "trim-caches"
 *   "reset-permissions"  "appops-reset"  "setprop KEY VALUE"  "reboot"
 * ("reboot": the phone came back up as a device).
 *
 * One appstate per phone, shared by every shell session: all calls lock. */
#ifndef DM_SIM_APPSTATE_H
#define DM_SIM_APPSTATE_H

#include <stddef.h>

struct appstate;
struct profile;
struct sim_command;
struct vfs;

struct appstate *appstate_new(const struct profile *prof);
void appstate_free(struct appstate *st);

void appstate_event(struct appstate *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The phone boots into Android: note which effects' "files" hold now
 * (read as root through v).  Called at start and before each "reboot". */
void appstate_boot_files(struct appstate *st, const struct vfs *v);
/* The phone's files, for pm's install sessions and uninstall (the APKs
 * under /data/app). */
void appstate_set_vfs(struct appstate *st, const struct vfs *v);

/* The command line's canned answer: the newest effect in force that has
 * one, else the profile's; NULL when neither has. */
const struct sim_command *appstate_command(struct appstate *st,
    const char *line);

/* A property as the phone has it now (malloc'd, NULL when unset), and
 * every property in `getprop` format (malloc'd, length in *len). */
char *appstate_getprop(struct appstate *st, const char *key);
char *appstate_getprop_all(struct appstate *st, size_t *len);
/* setprop: ro.* once set cannot change (Android's rule); 0 or -1. */
int appstate_setprop(struct appstate *st, const char *key,
    const char *value);

/* `pm ...`, `cmd package ...`, `cmd appops ...` and `am ...` as Android
 * answers them (argv[0] is the tool).  out and err get malloc'd text
 * (each may be ""); returns the exit status. */
int appstate_tool(struct appstate *st, int argc, char **argv, char **out,
    char **err);

#endif
