/* doctor.h - checks of the bench machine itself: udev rules installed,
 * group membership, running over SSH (uaccess does not apply), another adb
 * server on 5037, usbfs readable.  Each check says ok or the exact fix. */
#ifndef DM_DOCTOR_H
#define DM_DOCTOR_H

enum doctor_status { DOCTOR_OK = 0, DOCTOR_WARN, DOCTOR_FAIL, DOCTOR_INFO };

struct doctor_check {
	char id[24];		/* "udev-rules", "group", "ssh", ... */
	enum doctor_status status;
	char text[200];		/* what was found */
	char fix[300];		/* exact fix, "" when ok */
};

/* Run every check; fills up to max entries; returns the count. */
int doctor_run(struct doctor_check *out, int max);
const char *doctor_status_name(enum doctor_status s);

#endif
