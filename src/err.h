/* err.h - error codes shared by the whole engine.
 *
 * Functions return 0 (or a count) on success and a negative enum dm_err on
 * failure; dm_strerror() gives the short text.  The human detail of a
 * failure (which file, what the device said) goes into an errbuf owned by
 * the caller, never into the code itself. */
#ifndef DM_ERR_H
#define DM_ERR_H

#include <stddef.h>

enum dm_err {
	DM_OK = 0,
	DM_EINVAL = -1,		/* bad argument or malformed input */
	DM_ENOMEM = -2,		/* out of memory, or a buffer cap reached */
	DM_EIO = -3,		/* read/write failed */
	DM_ETIMEOUT = -4,	/* peer did not answer in time */
	DM_ENODEV = -5,		/* no such device, or it went away */
	DM_EACCES = -6,		/* permission denied (udev rule, group) */
	DM_EBUSY = -7,		/* held by another process */
	DM_EPROTO = -8,		/* peer broke the protocol */
	DM_ECANCEL = -9,	/* cancelled by the user */
	DM_ECONN = -10,		/* connection refused or lost */
	DM_ENOENT = -11,	/* no such file, job or object */
	DM_EEXIST = -12,	/* already exists or already running */
	DM_EUNSUPP = -13,	/* not supported by this device or build */
	DM_ECLOSED = -14,	/* peer closed the connection cleanly */
	DM_EVERSION = -15,	/* protocol version mismatch */
	DM_EREFUSED = -16,	/* the device said no (fastboot FAIL) */
	DM_ERR_MIN_ = -17
};

/* Short English text for an error code; never NULL. */
const char *dm_strerror(int err);

/* Stable machine name ("ETIMEOUT") for JSON output; never NULL. */
const char *dm_errname(int err);

/* Map an errno value to the closest dm_err. */
int dm_from_errno(int e);

/* Parse a machine name back (for client-side decoding); DM_EIO if unknown. */
int dm_errcode(const char *name);

/* Fill buf with printf-style text, truncating safely; returns err so that
 * `return dm_fail(buf, len, DM_EIO, "read %s", path);` reads naturally. */
int dm_fail(char *buf, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
