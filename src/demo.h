/* demo.h - demo phones: the bench server runs droidmedic-sim with the
 * shipped profiles (built from real captures) and adds each simulated
 * phone as a network phone marked demo, next to any real ones.
 *
 * The simulator is found as $DROIDMEDIC_SIM, else droidmedic-sim beside
 * our own executable, else on PATH; the profiles in $DROIDMEDIC_PROFILES,
 * else the installed data directory, else the source tree beside the
 * build directory.  It listens on free ephemeral ports (never 5555-5585,
 * where an adb server would attach it), dies with the server, and logs
 * to demo-sim.log in the state directory.  Server loop thread only,
 * except for the helper thread that waits for the simulator's ports. */
#ifndef DM_DEMO_H
#define DM_DEMO_H

#include <stddef.h>

struct adbmgr;
struct demo;

struct demo *demo_new(struct adbmgr *adb);
/* Where the asking client finds things (its DROIDMEDIC_SIM,
 * DROIDMEDIC_PROFILES and DROIDMEDIC_FIXTURES); NULL members fall back to
 * the server's own environment and the defaults above. */
struct demo_paths {
	const char *sim, *profiles, *fixtures;
};

/* Start the simulator (when not running) and add its phones as they come
 * up.  0, or a negative dm_err with the reason in err. */
int demo_start(struct demo *d, const struct demo_paths *p, char *err,
    size_t errlen);
/* Drop the demo phones and stop the simulator; 0 or DM_ENOENT when no
 * demo runs. */
int demo_stop(struct demo *d);
/* 1 while the simulator runs; *pid gets its pid. */
int demo_running(struct demo *d, int *pid);
/* How many phones the simulator was started with. */
int demo_phones(const struct demo *d);
void demo_free(struct demo *d);

#endif
