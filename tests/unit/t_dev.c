/* t_dev.c - the device registry: rows keep their identity across mode
 * changes, gone rows expire, events, references outliving rows. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dev.h"
#include "err.h"
#include "ev.h"

static struct dev_info
obs(const char *port, const char *serial, enum dev_mode mode)
{
	struct dev_info d;

	memset(&d, 0, sizeof(d));
	snprintf(d.transport, sizeof(d.transport), "usb");
	snprintf(d.port, sizeof(d.port), "%s", port);
	snprintf(d.serial, sizeof(d.serial), "%s", serial);
	d.mode = mode;
	return d;
}

/* Count queued events of a type and empty the bus. */
static int
count_events(struct evbus *bus, enum ev_type type)
{
	struct ev *list = evbus_take_all(bus);
	int n = 0;

	for (struct ev *e = list; e; e = e->next)
		if (e->type == type)
			n++;
	ev_free_list(list);
	return n;
}

static void
test_modes(void **state)
{
	(void)state;
	for (int m = 0; m < DEV_MODE_COUNT_; m++)
		assert_int_equal(dev_mode_parse(dev_mode_name(m)), m);
	assert_string_equal(dev_mode_name(DEV_MODE_SAMSUNG_DOWNLOAD),
	    "samsung-download");
	assert_int_equal(dev_mode_parse("bogus"), DEV_MODE_UNKNOWN);
	assert_int_equal(dev_mode_parse(NULL), DEV_MODE_UNKNOWN);
	assert_non_null(strstr(dev_mode_label(DEV_MODE_MTP_ONLY),
	    "USB debugging is off"));
	assert_string_equal(dev_mode_name((enum dev_mode)99), "unknown");
}

static void
test_reboot_keeps_row(void **state)
{
	struct evbus *bus = evbus_new();
	struct devreg *reg = devreg_new(bus);
	struct dev_info a = obs("usb:1-2", "ABC123", DEV_MODE_ADB), got;
	unsigned id, id2;

	(void)state;
	id = devreg_seen(reg, &a, 1000);
	assert_true(id > 0);
	assert_int_equal(count_events(bus, EV_DEVICE_ADD), 1);
	/* Same observation again: no event. */
	assert_int_equal(devreg_seen(reg, &a, 1100), id);
	assert_int_equal(count_events(bus, EV_DEVICE_CHANGE), 0);
	/* adb reboot bootloader: it leaves ... */
	assert_int_equal(devreg_gone(reg, "usb:1-2", 2000), id);
	assert_int_equal(devreg_get(reg, id, &got), 0);
	assert_false(got.present);
	assert_int_equal(got.mode, DEV_MODE_OFFLINE);
	assert_int_equal(got.gone_ms, 2000);
	assert_int_equal(count_events(bus, EV_DEVICE_CHANGE), 1);
	/* ... and comes back in fastboot on another port, same serial. */
	struct dev_info b = obs("usb:1-4", "ABC123", DEV_MODE_FASTBOOT);

	id2 = devreg_seen(reg, &b, 9000);
	assert_int_equal(id2, id);
	assert_int_equal(devreg_get(reg, id, &got), 0);
	assert_true(got.present);
	assert_int_equal(got.mode, DEV_MODE_FASTBOOT);
	assert_string_equal(got.port, "usb:1-4");
	assert_int_equal(got.first_seen_ms, 1000);
	assert_int_equal(got.gone_ms, 0);
	assert_int_equal(devreg_count(reg), 1);
	assert_int_equal(count_events(bus, EV_DEVICE_CHANGE), 1);
	devreg_free(reg);
	evbus_free(bus);
}

static void
test_no_serial_same_port(void **state)
{
	struct devreg *reg = devreg_new(NULL);
	struct dev_info a = obs("usb:2-1", "XYZ", DEV_MODE_ADB), got;
	struct dev_info edl = obs("usb:2-1", "", DEV_MODE_QUALCOMM_EDL);
	unsigned id;

	(void)state;
	id = devreg_seen(reg, &a, 1);
	devreg_gone(reg, "usb:2-1", 2);
	/* EDL has no serial: same port takes the row, serial is kept. */
	assert_int_equal(devreg_seen(reg, &edl, 3), id);
	assert_int_equal(devreg_get(reg, id, &got), 0);
	assert_int_equal(got.mode, DEV_MODE_QUALCOMM_EDL);
	assert_string_equal(got.serial, "XYZ");
	devreg_free(reg);
}

static void
test_distinct_devices(void **state)
{
	struct devreg *reg = devreg_new(NULL);
	struct dev_info a = obs("usb:1-1", "0123456789ABCDEF", DEV_MODE_ADB);
	struct dev_info b = obs("usb:1-2", "0123456789ABCDEF", DEV_MODE_ADB);
	struct dev_info *list;
	unsigned ia, ib;
	int n;

	(void)state;
	/* Two cheap phones with the same serial, both present: two rows. */
	ia = devreg_seen(reg, &a, 1);
	ib = devreg_seen(reg, &b, 1);
	assert_int_not_equal(ia, ib);
	n = devreg_list(reg, &list);
	assert_int_equal(n, 2);
	assert_true(list[0].id < list[1].id);
	free(list);
	/* A different phone on a gone phone's port with its own serial is
	 * a new row. */
	devreg_gone(reg, "usb:1-1", 5);
	struct dev_info c = obs("usb:1-1", "OTHER", DEV_MODE_FASTBOOT);

	assert_int_not_equal(devreg_seen(reg, &c, 6), ia);
	assert_int_equal(devreg_count(reg), 3);
	devreg_free(reg);
}

static void
test_expire(void **state)
{
	struct evbus *bus = evbus_new();
	struct devreg *reg = devreg_new(bus);
	struct dev_info a = obs("usb:1-1", "A", DEV_MODE_ADB);
	struct dev_info b = obs("usb:1-2", "B", DEV_MODE_ADB);
	struct dev_info got;
	unsigned ia, ib;

	(void)state;
	ia = devreg_seen(reg, &a, 0);
	ib = devreg_seen(reg, &b, 0);
	devreg_gone(reg, "usb:1-1", 1000);
	count_events(bus, EV_DEVICE_ADD);
	assert_int_equal(devreg_expire(reg, 5000, 10000), 0);
	assert_int_equal(devreg_expire(reg, 11000, 10000), 1);
	assert_int_equal(devreg_get(reg, ia, &got), DM_ENOENT);
	assert_int_equal(devreg_get(reg, ib, &got), 0);
	assert_int_equal(count_events(bus, EV_DEVICE_REMOVE), 1);
	/* Gone on an unknown port: nothing. */
	assert_int_equal(devreg_gone(reg, "usb:9-9", 1), 0);
	devreg_free(reg);
	evbus_free(bus);
}

static void
test_lookup(void **state)
{
	struct devreg *reg = devreg_new(NULL);
	struct dev_info a = obs("usb:3-1.2", "SER1", DEV_MODE_ADB), got;
	char idbuf[16];
	unsigned id;

	(void)state;
	id = devreg_seen(reg, &a, 0);
	assert_int_equal(devreg_lookup(reg, "SER1", &got), 0);
	assert_int_equal(got.id, id);
	assert_int_equal(devreg_lookup(reg, "usb:3-1.2", &got), 0);
	snprintf(idbuf, sizeof(idbuf), "%u", id);
	assert_int_equal(devreg_lookup(reg, idbuf, &got), 0);
	assert_int_equal(devreg_lookup(reg, "nope", &got), DM_ENOENT);
	assert_int_equal(devreg_lookup(reg, "12x", &got), DM_ENOENT);
	assert_int_equal(devreg_lookup(reg, "", &got), DM_EINVAL);
	devreg_free(reg);
}

static void
test_ref_outlives_row(void **state)
{
	struct devreg *reg = devreg_new(NULL);
	struct dev_info a = obs("usb:1-1", "A", DEV_MODE_ADB), snap;
	struct dev *d;
	unsigned id;

	(void)state;
	id = devreg_seen(reg, &a, 0);
	d = devreg_acquire(reg, id);
	assert_non_null(d);
	assert_null(devreg_acquire(reg, id + 100));
	devreg_gone(reg, "usb:1-1", 1);
	devreg_expire(reg, 100, 10);
	assert_true(dev_removed(d));
	dev_snapshot(d, &snap);
	assert_string_equal(snap.serial, "A");
	assert_int_equal(dev_id(d), id);
	devreg_free(reg);	/* the registry goes first ... */
	dev_snapshot(d, &snap);	/* ... the reference still works */
	dev_unref(d);
}

static void
test_problems(void **state)
{
	struct devreg *reg = devreg_new(NULL);
	struct dev_info a = obs("usb:1-1", "A", DEV_MODE_ADB), got;
	unsigned id;

	(void)state;
	for (int i = 0; i < DEV_MAX_PROBLEMS + 2; i++)
		dev_info_add_problem(&a, "no-permission", "text", "fix");
	assert_int_equal(a.nproblems, DEV_MAX_PROBLEMS);
	id = devreg_seen(reg, &a, 0);
	devreg_get(reg, id, &got);
	assert_int_equal(got.nproblems, DEV_MAX_PROBLEMS);
	assert_string_equal(got.problems[0].code, "no-permission");
	/* Fixed: the next observation has none. */
	a.nproblems = 0;
	devreg_seen(reg, &a, 1);
	devreg_get(reg, id, &got);
	assert_int_equal(got.nproblems, 0);
	devreg_free(reg);
}

static void
test_refine_and_ident(void **state)
{
	struct devreg *reg = devreg_new(NULL);
	struct dev_info a = obs("usb:1-2", "R58", DEV_MODE_ADB), got;
	unsigned id;
	char *j;

	(void)state;
	id = devreg_seen(reg, &a, 0);
	devreg_get(reg, id, &got);
	assert_int_equal(got.presence, 1);
	/* The protocol learns it is unauthorized ... */
	assert_int_equal(devreg_refine(reg, id, 1, DEV_MODE_UNAUTHORIZED,
	    "confirm the prompt", "usb"), 0);
	assert_int_equal(devreg_set_ident(reg, id, 1, "{\"model\":\"x\"}",
	    "Xiaomi 14"), 0);
	/* ... and discovery reporting plain adb again does not undo it. */
	devreg_seen(reg, &a, 1);
	devreg_get(reg, id, &got);
	assert_int_equal(got.mode, DEV_MODE_UNAUTHORIZED);
	assert_string_equal(got.adb_path, "usb");
	assert_string_equal(got.summary, "Xiaomi 14");
	j = devreg_get_ident(reg, id);
	assert_string_equal(j, "{\"model\":\"x\"}");
	free(j);
	/* A stale presence is refused: the phone left meanwhile. */
	assert_int_equal(devreg_refine(reg, id, 7, DEV_MODE_RECOVERY, "",
	    NULL), DM_EEXIST);
	/* In fastboot the learned adb mode no longer applies. */
	a.mode = DEV_MODE_FASTBOOT;
	devreg_seen(reg, &a, 2);
	devreg_get(reg, id, &got);
	assert_int_equal(got.mode, DEV_MODE_FASTBOOT);
	/* Gone and back: a new presence, nothing learned survives. */
	devreg_gone(reg, "usb:1-2", 3);
	a.mode = DEV_MODE_ADB;
	devreg_seen(reg, &a, 4);
	devreg_get(reg, id, &got);
	assert_int_equal(got.presence, 2);
	assert_int_equal(got.mode, DEV_MODE_ADB);
	assert_string_equal(got.summary, "");
	assert_null(devreg_get_ident(reg, id));
	assert_int_equal(devreg_refine(reg, 999, 1, DEV_MODE_ADB, "", NULL),
	    DM_ENOENT);
	devreg_free(reg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_reboot_keeps_row),
		cmocka_unit_test(test_no_serial_same_port),
		cmocka_unit_test(test_distinct_devices),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_ref_outlives_row),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_refine_and_ident),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
