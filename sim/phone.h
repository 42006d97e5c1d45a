/* phone.h - one simulated phone: its listening port, its mode (device,
 * recovery, sideload, bootloader), its state directory and its live
 * connections.
 *
 * Threads: phone_start() gives each phone a thread that accepts
 * connections (one thread per connection, see adbd.h) and carries out
 * reboots: the adb side goes down (connections closed, port closed so
 * connects are refused), stays away for the profile's reboot_ms, and comes
 * back on the same port in the new mode.  A phone whose profile has
 * "fastboot" serves fastboot on that port in bootloader and fastbootd
 * mode (fbd.h) until told to reboot; without it, "bootloader" keeps the
 * port closed until phone_wake() (SIGUSR1) or bootloader_ms, then the
 * phone comes back as a device.
 *
 * Status lines go to stdout, one per event, flushed:
 *   sim: SERIAL adb tcp:127.0.0.1:PORT MODE       (listening, adb)
 *   sim: SERIAL fastboot tcp:127.0.0.1:PORT MODE  (listening, fastboot)
 *   sim: SERIAL down TARGET                        (rebooting)
 */
#ifndef DM_SIM_PHONE_H
#define DM_SIM_PHONE_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct adbd_conn;
struct appstate;
struct fbstate;
struct phone;
struct vfs;

/* Set up a phone: state directory DIR/SERIAL (storage, tmp, adb_keys), the
 * profile's storage, the listening socket on 127.0.0.1:port (0 = any).
 * Takes the profile and the extra faults (copied).  0 or a negative
 * dm_err with the reason in err. */
int phone_new(struct phone **out, struct profile *prof, const char *state,
    int port, const struct fault *extra, size_t nextra, char *err,
    size_t errlen);
/* Print the ready line and start the phone's thread. */
int phone_start(struct phone *ph);
/* Stop the thread (closing every connection) and free everything. */
void phone_free(struct phone *ph);
/* Bring a phone in bootloader back now (SIGUSR1); after a wipe, turn its
 * USB debugging back on. */
void phone_wake(struct phone *ph);
/* Erase userdata (fastboot erase userdata): storage, /data/local/tmp and
 * the allowed adb keys go, and the next boot into Android leaves adb off,
 * as a reset phone's setup wizard does.  0 or -errno. */
int phone_wipe_userdata(struct phone *ph);

const struct profile *phone_profile(const struct phone *ph);
const char *phone_serial(const struct phone *ph);
int phone_port(const struct phone *ph);
enum sim_mode phone_mode(struct phone *ph);
struct vfs *phone_vfs(const struct phone *ph);
const char *phone_dir(const struct phone *ph);
const char *phone_keys_path(const struct phone *ph);

/* Ask for a reboot into target ("", "bootloader", "recovery", "sideload",
 * "sideload-auto-reboot", "fastboot"); it happens on the phone's thread. */
void phone_reboot(struct phone *ph, const char *target);

/* Faults: the profile's followed by the command line's. */
const struct fault *phone_faults(const struct phone *ph, size_t *n);
/* For "once" faults: 1 the first time fault i is claimed, 0 after. */
int phone_fault_claim(struct phone *ph, size_t i);

/* Connections register so that reboots and shutdown can close them. */
void phone_conn_add(struct phone *ph, struct adbd_conn *c);
void phone_conn_del(struct phone *ph, struct adbd_conn *c);
/* Fastboot connections are plain sockets: shut down on reboots. */
void phone_fd_add(struct phone *ph, int fd);
void phone_fd_del(struct phone *ph, int fd);
/* The phone's apps, live properties and event log (appstate.h). */
struct appstate *phone_appstate(struct phone *ph);
/* The fastboot variables, NULL when the profile has no "fastboot". */
struct fbstate *phone_fastboot(struct phone *ph);

/* One status line to stdout (thread-safe). */
void phone_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
