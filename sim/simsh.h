/* simsh.h - the simulated phone's /system/bin/sh: enough of mksh and
 * toybox for what repair tools run over `adb shell`.
 *
 * A line is looked up whole in the profile's "commands" table first (exact
 * match).  Otherwise it is parsed as a small sh: words with '...', "..."
 * and backslash quoting; $?, $$, $VAR and ${VAR}; VAR=value; pipelines
 * with | (run one after the other through a buffer); lists with ; && ||;
 * redirections N>FILE, N>>FILE, <FILE, N>&M, /dev/null; # comments.  Each
 * simple command is again looked up in the profile table (its words joined
 * by spaces), then among the builtins: echo, exit, true, false, :, sh -c,
 * getprop, id, uname, cat, ls, stat, readlink, mkdir, rm, touch, grep,
 * sleep, reboot, export, screencap (to stdout; see screen.h), and (with an
 * appstate) pm, cmd, am and setprop.  Anything else: "/system/bin/sh: X:
 * not found", 127.
 * Not supported, with a "syntax not supported" message and status 2:
 * $(...), backquotes, &, ( ), { }, here-documents, if/for/while/case.
 *
 * Files are the phone's (vfs.h).  One struct simsh per shell session, used
 * by one thread (the stream's). */
#ifndef DM_SIM_SIMSH_H
#define DM_SIM_SIMSH_H

#include <stddef.h>

struct appstate;
struct profile;
struct vfs;

/* Where a session's bytes go and come from.  write: fd 1 or 2, returns 0
 * or a negative dm_err when the session is gone; read: stdin, bytes read,
 * 0 at its end, negative dm_err; sleep: ms, ends early (negative dm_err)
 * when the session is gone. */
struct simsh_io {
	int (*write)(void *ctx, int fd, const void *buf, size_t len);
	int (*read)(void *ctx, void *buf, size_t len);
	int (*sleep)(void *ctx, int ms);
	void *ctx;
};

#define SIMSH_MAX_VARS	32

struct simsh {
	const struct profile *prof;
	struct vfs *vfs;
	struct appstate *st;	/* the phone's apps and events; NULL: the
				 * profile as it is, no pm/am/cmd/setprop */
	int root;		/* uid 0 (recovery) rather than shell */
	int status;		/* $? */
	int exited;		/* `exit` ran */
	char reboot[64];	/* `reboot` ran: its target */
	int rebooting;
	char *vars[SIMSH_MAX_VARS];	/* "NAME=value" */
};

void simsh_init(struct simsh *sh, const struct profile *prof,
    struct vfs *vfs, int root);
void simsh_done(struct simsh *sh);

/* The working directory ($PWD); borrowed, valid until the next run. */
const char *simsh_cwd(struct simsh *sh);

/* Run one command line.  Returns its status (0-255; also in sh->status)
 * or a negative dm_err when the session went away. */
int simsh_run(struct simsh *sh, const char *line, const struct simsh_io *io);

#endif
