/* paths.c - XDG directories; any thread. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/droidmedic"
#endif

int
paths_mkdirs(const char *path, int mode)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(tmp, (mode_t)mode) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

static char *
xdg_dir(const char *env, const char *home_rel)
{
	const char *base = getenv(env), *home;
	char *p;

	if (base != NULL && base[0] == '/') {
		if (asprintf(&p, "%s/droidmedic", base) < 0)
			return NULL;
	} else {
		home = getenv("HOME");
		if (home == NULL || home[0] != '/')
			home = "/tmp";
		if (asprintf(&p, "%s/%s/droidmedic", home, home_rel) < 0)
			return NULL;
	}
	if (paths_mkdirs(p, 0700) < 0) {
		int e = errno;

		free(p);
		errno = e;
		return NULL;
	}
	return p;
}

char *
paths_runtime_dir(void)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	char *p;

	if (base != NULL && base[0] == '/') {
		if (asprintf(&p, "%s/droidmedic", base) < 0)
			return NULL;
	} else if (asprintf(&p, "/tmp/droidmedic-%u",
	    (unsigned)getuid()) < 0) {
		return NULL;
	}
	if (paths_mkdirs(p, 0700) < 0)
		goto bad;
	/* The socket directory must be ours and private: anyone who can
	 * reach the socket can flash the phones. */
	if (lstat(p, &st) < 0)
		goto bad;
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077) != 0) {
		errno = EPERM;
		goto bad;
	}
	return p;
bad:
	{
		int e = errno;

		free(p);
		errno = e;
	}
	return NULL;
}

char *
paths_state_dir(void)
{
	return xdg_dir("XDG_STATE_HOME", ".local/state");
}

char *
paths_config_dir(void)
{
	return xdg_dir("XDG_CONFIG_HOME", ".config");
}

char *
paths_cache_dir(void)
{
	return xdg_dir("XDG_CACHE_HOME", ".cache");
}

static char *
join(char *dir, const char *name)
{
	char *p;

	if (dir == NULL)
		return NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		p = NULL;
	free(dir);
	return p;
}

char *
paths_runtime_file(const char *name)
{
	return join(paths_runtime_dir(), name);
}

char *
paths_state_file(const char *name)
{
	return join(paths_state_dir(), name);
}

char *
paths_socket(void)
{
	const char *e = getenv("DROIDMEDIC_SOCKET");

	if (e != NULL && e[0] != '\0')
		return strdup(e);
	return paths_runtime_file("server.sock");
}

void
paths_self_dir(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	out[0] = '\0';
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	snprintf(out, len, "%s", self);
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int
paths_data_dir(const char *env, const char *name, const char *src_rel,
    char *out, size_t len)
{
	char dir[PATH_MAX];

	if (env != NULL && *env != '\0') {
		snprintf(out, len, "%s", env);
		return is_dir(out) ? 0 : -ENOENT;
	}
	snprintf(out, len, "%s/%s", PKGDATADIR, name);
	if (is_dir(out))
		return 0;
	paths_self_dir(dir, sizeof(dir));
	if (dir[0] != '\0') {
		/* A build directory inside the source tree, or the tree. */
		snprintf(out, len, "%s/../%s", dir, src_rel);
		if (is_dir(out))
			return 0;
		snprintf(out, len, "%s/%s", dir, src_rel);
		if (is_dir(out))
			return 0;
	}
	out[0] = '\0';
	return -ENOENT;
}
