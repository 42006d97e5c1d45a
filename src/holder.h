/* holder.h - who has this file open?  Used to name the process that holds
 * a phone's USB node (another adb server, fastboot, a vendor tool).
 * Scans /proc/PID/fd; only processes we may inspect are found. */
#ifndef DM_HOLDER_H
#define DM_HOLDER_H

#include <sys/types.h>

struct holder {
	pid_t pid;
	char comm[64];		/* /proc/PID/comm */
};

/* Fill up to max holders of path (the calling process excluded); returns
 * the number found (0 if none) or a negative dm_err. */
int holder_find(const char *path, struct holder *out, int max);

#endif
