/* holder.c - find the processes that have a file open, by reading the
 * /proc/PID/fd symlinks.  Used to name whoever holds a phone's usbfs node
 * ("held by adb (pid 1234)").
 *
 * Runs on the caller's thread (the USB scan thread, or a transport opening
 * a busy device).  It sees only the processes we may inspect: for other
 * users' processes /proc/PID/fd is closed to us unless we are root, and
 * those are simply not found. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "holder.h"

static int
parse_pid(const char *name, pid_t *pid)
{
	long v = 0;

	if (*name == '\0')
		return 0;
	for (const char *p = name; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return 0;
	}
	*pid = (pid_t)v;
	return v > 0;
}

/* 1 when one of pid's descriptors points at path or alt. */
static int
holder_pid_has(pid_t pid, const char *path, const char *alt)
{
	char dirpath[64], target[PATH_MAX];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(dirpath, sizeof(dirpath), "/proc/%d/fd", (int)pid);
	d = opendir(dirpath);
	if (d == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, target,
		    sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path) == 0 ||
		    (alt != NULL && strcmp(target, alt) == 0))
			found = 1;
	}
	closedir(d);
	return found;
}

static void
holder_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(comm, len, "?");
		return;
	}
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	/* comm is whatever the process named itself: keep it printable. */
	for (char *p = comm; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
}

int
holder_find(const char *path, struct holder *out, int max)
{
	char *real = NULL;
	struct dirent *de;
	pid_t self = getpid();
	int n = 0;
	DIR *d;

	if (path == NULL || path[0] != '/' || (max > 0 && out == NULL))
		return DM_EINVAL;
	if (max <= 0)
		return 0;
	/* A link in the path (or a redirected /dev under test) resolves
	 * to another name in /proc/PID/fd: match both. */
	real = realpath(path, NULL);
	if (real != NULL && strcmp(real, path) == 0) {
		free(real);
		real = NULL;
	}
	d = opendir("/proc");
	if (d == NULL) {
		int e = errno;

		free(real);
		return dm_from_errno(e);
	}
	while (n < max && (de = readdir(d)) != NULL) {
		pid_t pid;

		if (!parse_pid(de->d_name, &pid) || pid == self)
			continue;
		if (!holder_pid_has(pid, path, real))
			continue;
		out[n].pid = pid;
		holder_comm(pid, out[n].comm, sizeof(out[n].comm));
		n++;
	}
	closedir(d);
	free(real);
	return n;
}
