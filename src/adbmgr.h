/* adbmgr.h - the bench server's ADB side, and fastboot identification.
 *
 * For every phone in adb mode (USB or TCP) it connects once per presence,
 * tells the registry what the protocol learned (unauthorized until the
 * user taps Allow, recovery, sideload) and the phone's identity (getprop,
 * dumpsys battery, df: see ident.h).  It also owns the phones added with
 * `droidmedic connect HOST:PORT`: each has a thread that keeps a
 * connection open, marks the row gone when the link drops (a reboot) and
 * reconnects until `disconnect` or the grace period, so a TCP phone keeps
 * its row across reboots too.  A phone in the bootloader or fastbootd
 * (a USB fastboot row, or a network phone whose port answers the FB01
 * handshake instead of adbd) is identified from its fastboot variables
 * (fbident.h) and shown as fastboot or fastbootd; a network phone in
 * fastboot is checked with a short connection every second, never held,
 * so a flash can have the phone's one connection.
 *
 * Called from the server's loop; does its work on job workers and its own
 * threads, reporting only through the registry. */
#ifndef DM_ADBMGR_H
#define DM_ADBMGR_H

#include <stddef.h>

struct devreg;
struct jobeng;
struct dev_info;
struct adbmgr;

struct adbmgr *adbmgr_new(struct devreg *reg, struct jobeng *jobs,
    int grace_s);
/* Ask every TCP watcher and connect job to stop (before the job engine
 * is shut down, so no job waits for a phone's prompt). */
void adbmgr_stop(struct adbmgr *m);
void adbmgr_free(struct adbmgr *m);

/* A device row changed: identify it if it is an adb-mode phone that has
 * not been identified in this presence. */
void adbmgr_on_device(struct adbmgr *m, const struct dev_info *di);

/* Add a TCP phone ("HOST:PORT", port 5555 when missing).  Returns the
 * row id (> 0) at once and the id of the "connect" job whose end says
 * whether the phone answered (0 when it was connected already); a
 * negative dm_err for a bad address. */
int adbmgr_connect(struct adbmgr *m, const char *hostport, int demo,
    unsigned *job_id, char *err, size_t errlen);
/* Drop a TCP phone (by address, serial or row id). */
int adbmgr_disconnect(struct adbmgr *m, const char *what, char *err,
    size_t errlen);

#endif
