/* ui.h - the full-screen dashboard.  Runs in the main thread, which owns
 * ncurses and the model the screens draw; it is a client of the bench
 * server (client.h) and redraws on its events. */
#ifndef DM_UI_H
#define DM_UI_H

struct ui_opts {
	int ascii;		/* ASCII borders (also when the locale is not UTF-8) */
	int no_color;		/* also when NO_COLOR is set */
	int autostart;		/* start the server if needed */
	int demo;		/* ask the server for demo phones */
};

/* Returns the process exit status; the terminal is restored on every
 * path out, including fatal signals. */
int ui_run(const struct ui_opts *o);

#endif
