/* paths.h - where droidmedic keeps its files (XDG base directories).
 *
 *   runtime  $XDG_RUNTIME_DIR/droidmedic        the server socket and lock
 *            (fallback /tmp/droidmedic-UID, created 0700 and checked)
 *   state    $XDG_STATE_HOME/droidmedic         the log (~/.local/state)
 *   config   $XDG_CONFIG_HOME/droidmedic        user settings and rules
 *   cache    $XDG_CACHE_HOME/droidmedic         downloads
 *
 * Every function returns a malloc'ed path (free it) after creating the
 * directory with mode 0700, or NULL with errno set. */
#ifndef DM_PATHS_H
#define DM_PATHS_H

#include <stddef.h>

char *paths_runtime_dir(void);
char *paths_state_dir(void);
char *paths_config_dir(void);
char *paths_cache_dir(void);

/* A file inside the directory; the directory is created. */
char *paths_runtime_file(const char *name);
char *paths_state_file(const char *name);

/* The server's socket path ($DROIDMEDIC_SOCKET overrides it). */
char *paths_socket(void);

/* mkdir -p with the given mode for each missing component; 0 or -errno. */
int paths_mkdirs(const char *path, int mode);

/* The folder our executable is in, into out ("" when unknown). */
void paths_self_dir(char *out, size_t len);

/* One of our data folders, into out: env when it is set (it must then be
 * a folder), else PKGDATADIR/name as installed, else src_rel of the
 * source tree beside a build directory (SELF/../src_rel, SELF/src_rel).
 * 0, or -ENOENT with out "" (or env, when env is no folder). */
int paths_data_dir(const char *env, const char *name, const char *src_rel,
    char *out, size_t len);

#endif
