/* server.h - the bench server: one per user, owns USB and runs the jobs.
 *
 * Listens on the socket from paths_socket() (a private directory), holds
 * an flock on a lock file beside it so only one server runs, and serves
 * the protocol of proto.h from one poll loop: the listening socket, the
 * clients, the event bus, and a 1 s tick (expiring gone rows, idle exit).
 * It exits when it has had no clients and no jobs for idle_exit_s seconds
 * (0 = never), on `stop`, and on SIGTERM/SIGINT (after letting running jobs
 * reach a safe point). SIGHUP is ignored: a dropped SSH session must not
 * stop a flash. */
#ifndef DM_SERVER_H
#define DM_SERVER_H

struct server_opts {
	int idle_exit_s;	/* exit after this long idle; 0 = never */
	int no_usb;		/* do not start USB discovery */
	int grace_s;		/* keep rows of gone phones this long */
	int log_stderr;		/* --foreground: copy the log to stderr */
};

void server_opts_default(struct server_opts *o);
/* Runs until asked to stop; returns the process exit status.  Prints
 * "droidmedic: server already running (pid N)" and returns 3 when
 * another server holds the lock. */
int server_main(const struct server_opts *o);

#endif
