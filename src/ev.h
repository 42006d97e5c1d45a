/* ev.h - the event bus between worker threads and the one loop that owns
 * the clients (the server) or the screen (the dashboard).
 *
 * Producers call evbus_post() from any thread; it copies the event into a
 * mutex-guarded queue and makes evbus_fd() readable (an eventfd, or a pipe
 * where there is none).  The owner polls that fd and calls
 * evbus_take_all(), which empties the queue in order and the fd with it
 * (the redis bio.c pattern). */
#ifndef DM_EV_H
#define DM_EV_H

#include <stdint.h>

#include "dev.h"

enum ev_type {
	EV_DEVICE_ADD = 1,
	EV_DEVICE_CHANGE,
	EV_DEVICE_REMOVE,
	EV_JOB_STATE,		/* queued/running; text = state name */
	EV_JOB_PROGRESS,	/* done/total, text = what */
	EV_JOB_LOG,		/* text = one line */
	EV_JOB_DONE,		/* err = result (0 ok), text = summary */
	EV_LOG,			/* server log line: err = level, text = line */
};

struct ev {
	enum ev_type type;
	unsigned dev_id;
	unsigned job_id;
	int64_t done, total;
	int state;
	int err;
	char kind[32];		/* job kind, or log module */
	char text[256];
	struct dev_info dev;	/* device events only */
	struct ev *next;	/* queue link, owned by the bus */
};

struct evbus;

struct evbus *evbus_new(void);
void evbus_free(struct evbus *bus);	/* drops queued events */
int evbus_fd(const struct evbus *bus);
/* Copy ev onto the queue.  Drops (and counts) events past a cap so that a
 * stalled owner cannot exhaust memory; device and done events are never
 * dropped. */
void evbus_post(struct evbus *bus, const struct ev *ev);
/* Detach the whole queue (oldest first); NULL when empty.  Free with
 * ev_free_list(). */
struct ev *evbus_take_all(struct evbus *bus);
void ev_free_list(struct ev *list);
/* Events dropped because the queue was full. */
uint64_t evbus_dropped(const struct evbus *bus);

const char *ev_type_name(enum ev_type t);	/* "device.add", ... */

#endif
