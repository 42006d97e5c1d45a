/* fbd.h - the simulated phone's fastboot side: the bootloader and
 * fastbootd over TCP (FB01 handshake, then 8-byte big-endian length
 * frames), answering from real `getvar all` captures.
 *
 * A phone whose profile has "fastboot" serves this on its one port while
 * in bootloader or fastbootd mode (the adb protocol otherwise), so it
 * keeps its serial across `adb reboot bootloader` and `fastboot reboot`.
 *
 * What it enforces, as phones do: max-download-size on download:, unknown
 * partitions, flashing while locked, logical partitions only from
 * fastbootd, images larger than their partition, unlocking while the
 * profile's get_unlock_ability is 0.  Flashed partitions are
 * written, sparse images expanded, to STATE/SERIAL/partitions/NAME.img so
 * tests can compare them.  A download is held in memory, as a phone
 * holds it in RAM (at most max-download-size), and flash: expands it from
 * there into the partition file.
 *
 * Threads: one per connection (the phone's, see phone.h); the variables
 * are shared by all of a phone's connections under the state's lock. */
#ifndef DM_SIM_FBD_H
#define DM_SIM_FBD_H

#include "profile.h"

struct phone;
struct fbstate;

/* The variables of both modes from the profile; NULL when it has no
 * "fastboot".  The serial number is always the phone's own. */
struct fbstate *fbstate_new(const struct profile *p);
void fbstate_free(struct fbstate *fb);
/* 1 when the profile has a fastbootd capture (reboot-fastboot works). */
int fbstate_has_fastbootd(const struct fbstate *fb);

/* Serve one fastboot connection on fd until it closes (closes fd). */
void fbd_serve(struct phone *ph, int fd, const char *name);

#endif
