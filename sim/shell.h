/* shell.h - the shell services (protocols.md section 6): "shell:CMD" (v1:
 * stdout and stderr merged, no exit status), "shell,v2[,raw|,pty]:CMD"
 * (shell protocol packets: id u8, length u32 LE, data; 0 stdin, 1 stdout,
 * 2 stderr, 3 exit, 4 close stdin, 5 window size) and "exec:CMD" (raw
 * bytes).  An empty command is an interactive session: with a pty, a
 * prompt and echo; without one, commands read line by line from stdin.
 * Runs on the stream's thread. */
#ifndef DM_SIM_SHELL_H
#define DM_SIM_SHELL_H

struct adbd_stream;

int shell_service(struct adbd_stream *s, const char *service);

#endif
