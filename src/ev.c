/* ev.c - the event bus: a mutex-guarded queue plus an eventfd (or a pipe)
 * that wakes the loop owning the queue.  evbus_post() runs on any thread;
 * evbus_take_all() on the owner's thread. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_SYS_EVENTFD_H
#include <sys/eventfd.h>
#endif

#include "ev.h"
#include "xmem.h"

#define EVBUS_CAP 4096		/* queued events before droppable ones drop */

struct evbus {
	pthread_mutex_t lock;
	struct ev *head, *tail;
	int count;
	int rfd, wfd;		/* equal for an eventfd */
	int signalled;		/* fd already readable */
	uint64_t dropped;
};

struct evbus *
evbus_new(void)
{
	struct evbus *bus = xcalloc(1, sizeof(*bus));
	int p[2];

	pthread_mutex_init(&bus->lock, NULL);
#ifdef HAVE_SYS_EVENTFD_H
	bus->rfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (bus->rfd >= 0) {
		bus->wfd = bus->rfd;
		return bus;
	}
#endif
	if (pipe(p) < 0)
		dm_fatal("evbus: pipe: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
		fcntl(p[i], F_SETFD, FD_CLOEXEC);
	}
	bus->rfd = p[0];
	bus->wfd = p[1];
	return bus;
}

void
evbus_free(struct evbus *bus)
{
	if (bus == NULL)
		return;
	ev_free_list(bus->head);
	close(bus->rfd);
	if (bus->wfd != bus->rfd)
		close(bus->wfd);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

int
evbus_fd(const struct evbus *bus)
{
	return bus->rfd;
}

static int
droppable(enum ev_type t)
{
	return t == EV_JOB_PROGRESS || t == EV_JOB_LOG || t == EV_LOG;
}

void
evbus_post(struct evbus *bus, const struct ev *ev)
{
	struct ev *e;
	int wake = 0;

	if (bus == NULL)
		return;
	pthread_mutex_lock(&bus->lock);
	if (bus->count >= EVBUS_CAP && droppable(ev->type)) {
		bus->dropped++;
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	e = xmalloc(sizeof(*e));
	*e = *ev;
	e->next = NULL;
	if (bus->tail != NULL)
		bus->tail->next = e;
	else
		bus->head = e;
	bus->tail = e;
	bus->count++;
	if (!bus->signalled) {
		bus->signalled = 1;
		wake = 1;
	}
	pthread_mutex_unlock(&bus->lock);
	if (wake) {
		uint64_t one = 1;
		ssize_t n;

		if (bus->wfd == bus->rfd)
			n = write(bus->wfd, &one, sizeof(one));
		else
			n = write(bus->wfd, "x", 1);
		(void)n;	/* full pipe: already readable */
	}
}

struct ev *
evbus_take_all(struct evbus *bus)
{
	struct ev *list;
	char drain[64];

	pthread_mutex_lock(&bus->lock);
	while (read(bus->rfd, drain, sizeof(drain)) > 0)
		;
	bus->signalled = 0;
	list = bus->head;
	bus->head = bus->tail = NULL;
	bus->count = 0;
	pthread_mutex_unlock(&bus->lock);
	return list;
}

void
ev_free_list(struct ev *list)
{
	while (list != NULL) {
		struct ev *n = list->next;

		free(list);
		list = n;
	}
}

uint64_t
evbus_dropped(const struct evbus *bus)
{
	return bus->dropped;
}

const char *
ev_type_name(enum ev_type t)
{
	switch (t) {
	case EV_DEVICE_ADD:	return "device.add";
	case EV_DEVICE_CHANGE:	return "device.change";
	case EV_DEVICE_REMOVE:	return "device.remove";
	case EV_JOB_STATE:	return "job.state";
	case EV_JOB_PROGRESS:	return "job.progress";
	case EV_JOB_LOG:	return "job.log";
	case EV_JOB_DONE:	return "job.done";
	case EV_LOG:		return "log";
	}
	return "unknown";
}
