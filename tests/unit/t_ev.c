/* t_ev.c - the event bus: order, wake-up fd, threads, the cap. */
#include "config.h"

#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "ev.h"

static int
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static void
test_order_and_fd(void **state)
{
	struct evbus *bus = evbus_new();
	struct ev ev, *list;
	int n = 0;

	(void)state;
	assert_false(readable(evbus_fd(bus)));
	assert_null(evbus_take_all(bus));
	memset(&ev, 0, sizeof(ev));
	for (int i = 1; i <= 5; i++) {
		ev.type = EV_JOB_LOG;
		ev.job_id = (unsigned)i;
		evbus_post(bus, &ev);
	}
	assert_true(readable(evbus_fd(bus)));
	list = evbus_take_all(bus);
	for (struct ev *e = list; e; e = e->next)
		assert_int_equal(e->job_id, (unsigned)++n);
	assert_int_equal(n, 5);
	ev_free_list(list);
	assert_false(readable(evbus_fd(bus)));
	evbus_free(bus);
}

struct producer {
	struct evbus *bus;
	unsigned base;
};

static void *
produce(void *arg)
{
	struct producer *p = arg;
	struct ev ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = EV_JOB_DONE;		/* never dropped */
	for (unsigned i = 0; i < 1000; i++) {
		ev.job_id = p->base + i;
		evbus_post(p->bus, &ev);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct evbus *bus = evbus_new();
	struct producer p[4];
	pthread_t th[4];
	unsigned last[4] = { 0 };
	int total = 0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		p[i].bus = bus;
		p[i].base = (unsigned)(i + 1) * 100000;
		pthread_create(&th[i], NULL, produce, &p[i]);
	}
	while (total < 4000) {
		struct pollfd pf = { .fd = evbus_fd(bus), .events = POLLIN };
		struct ev *list;

		assert_true(poll(&pf, 1, 5000) == 1);
		list = evbus_take_all(bus);
		for (struct ev *e = list; e; e = e->next) {
			unsigned who = e->job_id / 100000 - 1, seq;

			assert_true(who < 4);
			seq = e->job_id % 100000 + 1;
			assert_int_equal(seq, last[who] + 1);	/* in order */
			last[who] = seq;
			total++;
		}
		ev_free_list(list);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(total, 4000);
	assert_int_equal(evbus_dropped(bus), 0);
	evbus_free(bus);
}

static void
test_cap_drops_only_chatter(void **state)
{
	struct evbus *bus = evbus_new();
	struct ev ev, *list;
	int progress = 0, done = 0;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	for (int i = 0; i < 10000; i++) {
		ev.type = (i % 10 == 0) ? EV_JOB_DONE : EV_JOB_PROGRESS;
		evbus_post(bus, &ev);
	}
	list = evbus_take_all(bus);
	for (struct ev *e = list; e; e = e->next) {
		if (e->type == EV_JOB_DONE)
			done++;
		else
			progress++;
	}
	ev_free_list(list);
	assert_int_equal(done, 1000);		/* none lost */
	assert_true(progress < 9000);		/* some dropped */
	assert_int_equal(evbus_dropped(bus), (uint64_t)(9000 - progress));
	evbus_free(bus);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(ev_type_name(EV_DEVICE_ADD), "device.add");
	assert_string_equal(ev_type_name(EV_DEVICE_REMOVE), "device.remove");
	assert_string_equal(ev_type_name(EV_JOB_PROGRESS), "job.progress");
	assert_string_equal(ev_type_name(EV_LOG), "log");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_fd),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_cap_drops_only_chatter),
		cmocka_unit_test(test_names),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
