/* t_proto.c - protocol messages: device and job JSON round trips, hostile
 * input, the line reader. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "proto.h"

static void
test_dev_round_trip(void **state)
{
	struct dev_info a, b;
	cJSON *j;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.id = 42;
	snprintf(a.transport, sizeof(a.transport), "usb");
	snprintf(a.port, sizeof(a.port), "usb:1-2.3");
	snprintf(a.devnode, sizeof(a.devnode), "/dev/bus/usb/001/007");
	snprintf(a.serial, sizeof(a.serial), "a\"b\\c\n\xc3\xa9");
	a.mode = DEV_MODE_SAMSUNG_DOWNLOAD;
	snprintf(a.mode_detail, sizeof(a.mode_detail), "Odin");
	a.vid = 0x04e8;
	a.pid = 0x685d;
	snprintf(a.vendor, sizeof(a.vendor), "Samsung");
	snprintf(a.speed, sizeof(a.speed), "high");
	a.speed_mbps = 480;
	a.hub_depth = 1;
	a.present = 1;
	a.first_seen_ms = 1763700000123LL;
	dev_info_add_problem(&a, "no-permission", "no permission", "do this");
	j = proto_dev_to_json(&a);
	assert_string_equal(cJSON_GetObjectItem(j, "mode")->valuestring,
	    "samsung-download");
	assert_string_equal(cJSON_GetObjectItem(j, "vid")->valuestring,
	    "04e8");
	assert_int_equal(proto_dev_from_json(j, &b), 0);
	cJSON_Delete(j);
	assert_int_equal(b.id, 42);
	assert_string_equal(b.serial, a.serial);
	assert_string_equal(b.port, a.port);
	assert_int_equal(b.mode, a.mode);
	assert_int_equal(b.vid, a.vid);
	assert_int_equal(b.pid, a.pid);
	assert_int_equal(b.speed_mbps, 480);
	assert_int_equal(b.hub_depth, 1);
	assert_true(b.present);
	assert_true(b.first_seen_ms == a.first_seen_ms);
	assert_int_equal(b.nproblems, 1);
	assert_string_equal(b.problems[0].fix, "do this");
}

static void
test_dev_hostile(void **state)
{
	struct dev_info d;
	char big[4000];
	cJSON *j;

	(void)state;
	assert_int_equal(proto_dev_from_json(NULL, &d), DM_EINVAL);
	j = cJSON_Parse("[1,2]");
	assert_int_equal(proto_dev_from_json(j, &d), DM_EINVAL);
	cJSON_Delete(j);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "serial", big);	/* truncated, no overflow */
	cJSON_AddNumberToObject(j, "id", -5);		/* clamped */
	cJSON_AddNumberToObject(j, "hub_depth", 1e300);
	cJSON_AddStringToObject(j, "vid", "zzzz");
	cJSON_AddStringToObject(j, "mode", "martian");
	cJSON_AddNumberToObject(j, "present", 1);	/* not a bool */
	cJSON *probs = cJSON_AddArrayToObject(j, "problems");

	for (int i = 0; i < 20; i++)
		cJSON_AddItemToArray(probs, cJSON_CreateObject());
	assert_int_equal(proto_dev_from_json(j, &d), 0);
	cJSON_Delete(j);
	assert_int_equal(strlen(d.serial), sizeof(d.serial) - 1);
	assert_int_equal(d.id, 0);
	assert_int_equal(d.hub_depth, 16);
	assert_int_equal(d.vid, 0);
	assert_int_equal(d.mode, DEV_MODE_UNKNOWN);
	assert_false(d.present);
	assert_int_equal(d.nproblems, DEV_MAX_PROBLEMS);
}

static void
test_job_round_trip(void **state)
{
	struct job_info a, b;
	cJSON *j;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.id = 7;
	a.dev_id = 3;
	a.state = JOB_FAILED;
	snprintf(a.kind, sizeof(a.kind), "flash");
	a.done = 5LL << 30;
	a.total = 6LL << 30;
	a.err = DM_ENODEV;
	snprintf(a.errbuf, sizeof(a.errbuf), "cable pulled");
	j = proto_job_to_json(&a);
	assert_int_equal(proto_job_from_json(j, &b), 0);
	cJSON_Delete(j);
	assert_int_equal(b.id, 7);
	assert_int_equal(b.dev_id, 3);
	assert_int_equal(b.state, JOB_FAILED);
	assert_true(b.done == a.done);
	assert_true(b.total == a.total);
	assert_int_equal(b.err, DM_ENODEV);
	assert_string_equal(b.errbuf, "cable pulled");
}

static void
test_messages(void **state)
{
	cJSON *m;
	size_t len;
	char *line;
	struct ev ev;

	(void)state;
	m = proto_reply_err(9, DM_EBUSY, "2 jobs running");
	line = proto_encode(m, &len);
	cJSON_Delete(m);
	assert_int_equal(line[len - 1], '\n');
	assert_null(memchr(line, '\n', len - 1));	/* one line */
	assert_non_null(strstr(line, "\"code\":\"EBUSY\""));
	assert_non_null(strstr(line, "\"v\":1"));
	free(line);

	memset(&ev, 0, sizeof(ev));
	ev.type = EV_DEVICE_CHANGE;
	ev.dev.id = 5;
	ev.dev.mode = DEV_MODE_OFFLINE;
	m = proto_event(&ev);
	assert_string_equal(cJSON_GetObjectItem(m, "event")->valuestring,
	    "device.change");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "device"),
	    "id")->valueint, 5);
	cJSON_Delete(m);
	ev.type = (enum ev_type)99;
	assert_null(proto_event(&ev));

	/* Strings with newlines stay on one line (escaped). */
	m = proto_request(1, "x\ny", NULL);
	line = proto_encode(m, &len);
	cJSON_Delete(m);
	assert_null(memchr(line, '\n', len - 1));
	free(line);
}

static void
test_linebuf(void **state)
{
	struct linebuf lb;
	int p[2];
	char *l;

	(void)state;
	assert_int_equal(pipe(p), 0);
	linebuf_init(&lb, 64);
	assert_int_equal(write(p[1], "one\ntw", 6), 6);
	assert_int_equal(linebuf_fill(&lb, p[0]), 6);
	l = linebuf_next(&lb);
	assert_string_equal(l, "one");
	free(l);
	assert_null(linebuf_next(&lb));		/* "tw" incomplete */
	assert_int_equal(write(p[1], "o\n\n", 3), 3);
	assert_int_equal(linebuf_fill(&lb, p[0]), 3);
	l = linebuf_next(&lb);
	assert_string_equal(l, "two");
	free(l);
	l = linebuf_next(&lb);
	assert_string_equal(l, "");
	free(l);
	/* A line longer than the limit is refused, not buffered forever. */
	{
		char junk[200];

		memset(junk, 'j', sizeof(junk));
		assert_int_equal(write(p[1], junk, sizeof(junk)),
		    (ssize_t)sizeof(junk));
	}
	assert_int_equal(linebuf_fill(&lb, p[0]), DM_ENOMEM);
	close(p[1]);
	linebuf_done(&lb);
	linebuf_init(&lb, 64);
	assert_int_equal(linebuf_fill(&lb, p[0]), DM_ECLOSED);
	linebuf_done(&lb);
	close(p[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dev_round_trip),
		cmocka_unit_test(test_dev_hostile),
		cmocka_unit_test(test_job_round_trip),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_linebuf),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
