/* screen.h - what the simulated phone's display shows, for screencap.
 *
 * The picture follows the phone's own state, as a real one does: its
 * window list (`dumpsys window windows`: a window whose flags say SECURE
 * comes out black), its device policy (`dumpsys device_policy`:
 * disableScreenCapture=true blacks out the apps) and its power state
 * (`dumpsys power`: mWakefulness=Asleep or Dozing, all black).  A status
 * bar stays visible over a secure app, as System UI's windows are not
 * secure.  Otherwise the app's screen is drawn: colours from its package
 * name, with rows of cards.  So an effect that changes the window list
 * (the app force-stopped) changes the next capture. */
#ifndef DM_SIM_SCREEN_H
#define DM_SIM_SCREEN_H

#include <stddef.h>
#include <stdint.h>

struct appstate;
struct profile;

/* The screen as RGBA (4 bytes a pixel), malloc'ed in *rgba; st may be
 * NULL (the profile as written). */
void simscreen_render(const struct profile *p, struct appstate *st,
    unsigned char **rgba, uint32_t *w, uint32_t *h);

/* What makes the screen black, for messages: "secure", "policy", "off"
 * or NULL. */
const char *simscreen_blackout(const struct profile *p, struct appstate *st);

#endif
