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

#endif
