/* log.h - the log file.
 *
 * Lines go to a file (by default $XDG_STATE_HOME/droidmedic/droidmedic.log),
 * never to the terminal while curses is up.  Each line carries the time,
 * the thread's job id (0 outside jobs) and the module.  Safe from any
 * thread.  Levels: 0 error, 1 warn, 2 info, 3 debug; DROIDMEDIC_DEBUG=N
 * overrides the level chosen with -v. */
#ifndef DM_LOG_H
#define DM_LOG_H

#include <stddef.h>

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Open (append) the log at path, or the default path when NULL.  Returns 0
 * or a negative dm_err; logging before or without it goes nowhere, unless
 * log_to_stderr() was called. */
int log_open(const char *path);
void log_close(void);
void log_to_stderr(int on);	/* also copy lines to stderr (server --foreground) */
void log_set_level(int level);
int log_level(void);
const char *log_path(void);	/* NULL before log_open() */

/* Job id shown on lines written by the calling thread. */
void log_set_thread_job(unsigned job_id);

/* Optional tap: every line written is also handed to this callback (the
 * server forwards them to attached dashboards).  Called with the log lock
 * not held; must be thread-safe. */
void log_set_tap(void (*tap)(int level, const char *module, const char *msg));

void log_msg(int level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define log_err(m, ...)   log_msg(LOG_ERR, m, __VA_ARGS__)
#define log_warn(m, ...)  log_msg(LOG_WARN, m, __VA_ARGS__)
#define log_info(m, ...)  log_msg(LOG_INFO, m, __VA_ARGS__)
#define log_debug(m, ...) log_msg(LOG_DEBUG, m, __VA_ARGS__)

/* Copy src into dst (size dstlen) with control and non-ASCII bytes shown as
 * \xNN, so device strings cannot mangle a terminal or a log line.  Always
 * NUL-terminates; returns dst. */
char *log_escape(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
