/* err.c - error codes to text and back.  Pure functions, any thread. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} errs[] = {
	{ DM_OK,	"OK",		"success" },
	{ DM_EINVAL,	"EINVAL",	"invalid argument or malformed input" },
	{ DM_ENOMEM,	"ENOMEM",	"out of memory or size limit reached" },
	{ DM_EIO,	"EIO",		"input/output error" },
	{ DM_ETIMEOUT,	"ETIMEOUT",	"timed out" },
	{ DM_ENODEV,	"ENODEV",	"no such device (unplugged?)" },
	{ DM_EACCES,	"EACCES",	"permission denied" },
	{ DM_EBUSY,	"EBUSY",	"busy: held by another process" },
	{ DM_EPROTO,	"EPROTO",	"protocol error" },
	{ DM_ECANCEL,	"ECANCEL",	"cancelled" },
	{ DM_ECONN,	"ECONN",	"connection refused or lost" },
	{ DM_ENOENT,	"ENOENT",	"not found" },
	{ DM_EEXIST,	"EEXIST",	"already exists" },
	{ DM_EUNSUPP,	"EUNSUPP",	"not supported" },
	{ DM_ECLOSED,	"ECLOSED",	"closed by peer" },
	{ DM_EVERSION,	"EVERSION",	"protocol version mismatch" },
	{ DM_EREFUSED,	"EREFUSED",	"refused by the device" },
};

#define NERRS (sizeof(errs) / sizeof(errs[0]))

const char *
dm_strerror(int err)
{
	for (size_t i = 0; i < NERRS; i++)
		if (errs[i].code == err)
			return errs[i].text;
	return "unknown error";
}

const char *
dm_errname(int err)
{
	for (size_t i = 0; i < NERRS; i++)
		if (errs[i].code == err)
			return errs[i].name;
	return "EUNKNOWN";
}

int
dm_errcode(const char *name)
{
	if (name == NULL)
		return DM_EIO;
	for (size_t i = 0; i < NERRS; i++)
		if (strcmp(errs[i].name, name) == 0)
			return errs[i].code;
	return DM_EIO;
}

int
dm_from_errno(int e)
{
	switch (e) {
	case 0:			return DM_OK;
	case EINVAL:		return DM_EINVAL;
	case ENOMEM:		return DM_ENOMEM;
	case ETIMEDOUT:		return DM_ETIMEOUT;
	case ENODEV:
	case ENXIO:		return DM_ENODEV;
	case EACCES:
	case EPERM:		return DM_EACCES;
	case EBUSY:		return DM_EBUSY;
	case EPROTO:		return DM_EPROTO;
	case ECANCELED:		return DM_ECANCEL;
	case ECONNREFUSED:
	case ECONNRESET:
	case EPIPE:
	case ENOTCONN:		return DM_ECONN;
	case ENOENT:		return DM_ENOENT;
	case EEXIST:		return DM_EEXIST;
	case ENOTSUP:		return DM_EUNSUPP;
	default:		return DM_EIO;
	}
}

int
dm_fail(char *buf, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (buf != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return err;
}
