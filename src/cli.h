/* cli.h - headless subcommands.  Output is plain text or, with --json, one
 * JSON document on stdout; errors go to stderr.  Each returns the process
 * exit status (0 ok, 1 failure, 2 usage). */
#ifndef DM_CLI_H
#define DM_CLI_H

struct cli_opts {
	int json;
	int watch;
	int force;
	int autostart;		/* start the server if none is running */
	int foreground;
	int idle_exit_s;	/* -1: default */
	int grace_s;		/* -1: default */
	int no_usb;
};

int cli_devices(const struct cli_opts *o);
int cli_server(const struct cli_opts *o, int argc, char **argv);
int cli_doctor(const struct cli_opts *o);

#endif
