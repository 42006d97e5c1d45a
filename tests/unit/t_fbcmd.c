/* t_fbcmd.c - the fastboot command set's client side, over an in-memory
 * transport scripted with what a phone sends: the size and unlock-ability
 * parsers, the capped log of what the phone says (kept on FAIL too, and
 * no hook left behind), get_unlock_ability from INFO or OKAY, slot
 * targets, names refused before anything is sent, and boot's checks and
 * streamed download. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bytes.h"
#include "adbpkt.h"	/* memtrans.h scripts adb packets too */
#include "err.h"
#include "fastboot.h"
#include "fbcmd.h"
#include "fbvars.h"

#include "../lib/memtrans.h"

static uint8_t script[8192];
static size_t slen;

static void
frame(const char *msg)
{
	size_t n = strlen(msg);

	assert_true(slen + 8 + n <= sizeof(script));
	be64_put(script + slen, n);
	memcpy(script + slen + 8, msg, n);
	slen += 8 + n;
}

struct rig {
	struct transport t;
	struct memtrans m;
	struct fb_conn *c;
	char err[512];
};

static struct rig *
rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));

	memtrans_init(&r->m, &r->t, script, slen, 0);
	fb_open_over(&r->t, 1, &r->c);
	return r;
}

static void
rig_free(struct rig *r)
{
	fb_close(r->c);
	pthread_mutex_destroy(&r->m.lock);
	pthread_cond_destroy(&r->m.cv);
	free(r);
	slen = 0;
}

static void
test_parsers(void **state)
{
	uint64_t n;

	(void)state;
	assert_int_equal(fbcmd_parse_size("1048576", &n), 0);
	assert_int_equal(n, 1048576);
	assert_int_equal(fbcmd_parse_size("0x100000", &n), 0);
	assert_int_equal(n, 0x100000);
	assert_int_equal(fbcmd_parse_size("512K", &n), 0);
	assert_int_equal(n, 512 << 10);
	assert_int_equal(fbcmd_parse_size("64MiB", &n), 0);
	assert_int_equal(n, 64 << 20);
	assert_int_equal(fbcmd_parse_size("2g", &n), 0);
	assert_int_equal(n, 2ull << 30);
	assert_int_equal(fbcmd_parse_size("", &n), DM_EINVAL);
	assert_int_equal(fbcmd_parse_size("-1", &n), DM_EINVAL);
	assert_int_equal(fbcmd_parse_size("12T", &n), DM_EINVAL);
	assert_int_equal(fbcmd_parse_size("0x", &n), DM_EINVAL);
	assert_int_equal(fbcmd_parse_size("0x10M", &n), DM_EINVAL);
	assert_int_equal(fbcmd_parse_size("99999999999999999999", &n),
	    DM_EINVAL);
	assert_int_equal(fbcmd_parse_size("17179869184G", &n), DM_EINVAL);

	assert_int_equal(fbcmd_parse_unlock_ability("get_unlock_ability: 1"),
	    1);
	assert_int_equal(fbcmd_parse_unlock_ability("get_unlock_ability: 0"),
	    0);
	assert_int_equal(fbcmd_parse_unlock_ability("\tget_unlock_ability = "
	    "16777216"), 1);
	assert_int_equal(fbcmd_parse_unlock_ability("0"), 0);
	assert_int_equal(fbcmd_parse_unlock_ability("get_unlock_ability:"),
	    -1);
	assert_int_equal(fbcmd_parse_unlock_ability("Device unlocked: true"),
	    -1);
}

static void
test_log_caps(void **state)
{
	struct fbcmd_log l;
	char line[300];

	(void)state;
	fbcmd_log_init(&l);
	for (int i = 0; i < FBCMD_LOG_LINES + 10; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		(void)fbcmd_log_add(&l, line);
	}
	assert_int_equal(l.n, FBCMD_LOG_LINES);
	assert_int_equal(l.dropped, 10);
	assert_string_equal(l.line[0], "line 0");
	fbcmd_log_done(&l);
	assert_int_equal(l.n, 0);

	/* The byte cap: long lines stop before the count does. */
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	for (int i = 0; i < FBCMD_LOG_LINES; i++)
		(void)fbcmd_log_add(&l, line);
	assert_true(l.bytes <= FBCMD_LOG_BYTES);
	assert_true(l.n < FBCMD_LOG_LINES);
	assert_true(l.dropped > 0);
	fbcmd_log_done(&l);
}

static int live_calls;

static void
live(void *ud, const char *tag, const char *msg)
{
	(void)ud;
	(void)tag;
	(void)msg;
	live_calls++;
}

static void
test_oem(void **state)
{
	struct fbcmd_log l;
	struct rig *r;

	(void)state;
	frame("INFODevice unlocked: true");
	frame("TEXTsome text");
	frame("OKAY");
	frame("INFOwhy not");
	frame("FAILoem unlock is not allowed");
	frame("INFOnobody listens");
	frame("OKAY");
	r = rig_new();
	fbcmd_log_init(&l);
	l.live.info = live;
	live_calls = 0;
	assert_int_equal(fbcmd_oem(r->c, "device-info", &l, r->err,
	    sizeof(r->err)), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.line[0], "Device unlocked: true");
	assert_string_equal(l.line[1], "some text");
	assert_int_equal(live_calls, 2);
	/* A FAIL: the phone's words, and its lines kept. */
	assert_int_equal(fbcmd_oem(r->c, "unlock", &l, r->err,
	    sizeof(r->err)), DM_EREFUSED);
	assert_string_equal(r->err, "oem unlock is not allowed");
	assert_int_equal(l.n, 3);
	assert_string_equal(l.line[2], "why not");
	/* No hook is left behind on the connection. */
	assert_int_equal(fb_command(r->c, "getvar:x", NULL, 0, 1000, r->err,
	    sizeof(r->err)), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(live_calls, 3);
	fbcmd_log_done(&l);
	rig_free(r);

	/* Nothing to send, or nothing printable: refused before sending. */
	r = rig_new();
	assert_int_equal(fbcmd_oem(r->c, "", NULL, r->err, sizeof(r->err)),
	    DM_EINVAL);
	assert_int_equal(fbcmd_oem(r->c, "a\nb", NULL, r->err,
	    sizeof(r->err)), DM_EINVAL);
	assert_int_equal(fbcmd_erase(r->c, "boot:a", NULL, r->err,
	    sizeof(r->err)), DM_EINVAL);
	assert_int_equal(fbcmd_set_active(r->c, "ab", NULL, r->err,
	    sizeof(r->err)), DM_EINVAL);
	assert_int_equal(fbcmd_flashing(r->c, "unlock_all", NULL, r->err,
	    sizeof(r->err)), DM_EINVAL);
	assert_int_equal(fbcmd_snapshot_update(r->c, "undo", NULL, r->err,
	    sizeof(r->err)), DM_EINVAL);
	assert_int_equal(fbcmd_delete_logical(r->c, "a b", NULL, r->err,
	    sizeof(r->err)), DM_EINVAL);
	assert_int_equal(r->m.written, 0);
	rig_free(r);
}

static void
test_unlock_ability(void **state)
{
	struct rig *r;
	int a;

	(void)state;
	frame("INFOget_unlock_ability: 0");
	frame("OKAY");
	frame("OKAY\tget_unlock_ability: 1");
	frame("INFOsomething else");
	frame("OKAY");
	frame("FAILunknown command");
	r = rig_new();
	assert_int_equal(fbcmd_get_unlock_ability(r->c, &a, NULL, r->err,
	    sizeof(r->err)), 0);
	assert_int_equal(a, 0);
	assert_int_equal(fbcmd_get_unlock_ability(r->c, &a, NULL, r->err,
	    sizeof(r->err)), 0);
	assert_int_equal(a, 1);
	assert_int_equal(fbcmd_get_unlock_ability(r->c, &a, NULL, r->err,
	    sizeof(r->err)), DM_EPROTO);
	assert_int_equal(a, -1);
	assert_int_equal(fbcmd_get_unlock_ability(r->c, &a, NULL, r->err,
	    sizeof(r->err)), DM_EREFUSED);
	assert_string_equal(r->err, "unknown command");
	rig_free(r);
}

static void
test_targets(void **state)
{
	char t[FBCMD_MAX_TARGETS][80], note[160];
	struct fbvars v;
	struct rig *r;
	int n;

	(void)state;
	frame("OKAYyes");
	frame("OKAYyes");
	frame("OKAYyes");
	frame("OKAYyes");
	frame("FAILGetVar Variable Not found");
	r = rig_new();
	fbvars_init(&v);
	fbvars_set(&v, "slot-count", "2");
	fbvars_set(&v, "current-slot", "_b");
	assert_int_equal(fbcmd_targets(r->c, &v, "boot", NULL, t, &n, note,
	    sizeof(note), r->err, sizeof(r->err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(t[0], "boot_b");
	assert_int_equal(fbcmd_targets(r->c, &v, "boot", "other", t, &n,
	    note, sizeof(note), r->err, sizeof(r->err)), 0);
	assert_string_equal(t[0], "boot_a");
	assert_int_equal(fbcmd_targets(r->c, &v, "boot", "all", t, &n, note,
	    sizeof(note), r->err, sizeof(r->err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(t[1], "boot_b");
	assert_int_equal(fbcmd_targets(r->c, &v, "boot", "c", t, &n, note,
	    sizeof(note), r->err, sizeof(r->err)), DM_EINVAL);
	assert_non_null(strstr(r->err, "no slot 'c'"));
	/* A phone that does not say: the name as given. */
	assert_int_equal(fbcmd_targets(r->c, &v, "misc", "a", t, &n, note,
	    sizeof(note), r->err, sizeof(r->err)), 0);
	assert_string_equal(t[0], "misc");
	assert_non_null(strstr(note, "--slot is ignored"));
	fbvars_free(&v);
	rig_free(r);
}

static void
test_boot(void **state)
{
	char path[] = "/tmp/t_fbcmd.XXXXXX", err[512];
	struct rig *r;
	uint64_t size;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "ANDROID!12345678", 16), 16);
	assert_int_equal(fbcmd_boot_check(path, 0, &size, err, sizeof(err)),
	    0);
	assert_int_equal(size, 16);
	assert_int_equal(fbcmd_boot_check(path, 15, &size, err, sizeof(err)),
	    DM_EINVAL);
	assert_non_null(strstr(err, "max-download-size"));
	frame("DATA00000010");
	frame("OKAY");
	frame("OKAY");
	r = rig_new();
	assert_int_equal(fbcmd_boot(r->c, path, 16, NULL, r->err,
	    sizeof(r->err)), 0);
	/* download:00000010, the 16 bytes, boot: each in an 8-byte frame. */
	assert_int_equal(r->m.written, 8 + 17 + 8 + 16 + 8 + 4);
	rig_free(r);
	/* Too large for the phone: nothing sent. */
	r = rig_new();
	assert_int_equal(fbcmd_boot(r->c, path, 8, NULL, r->err,
	    sizeof(r->err)), DM_EINVAL);
	assert_int_equal(r->m.written, 0);
	rig_free(r);
	/* Not a boot image. */
	assert_int_equal(pwrite(fd, "NOTANDROID", 10, 0), 10);
	assert_int_equal(fbcmd_boot_check(path, 0, &size, err, sizeof(err)),
	    DM_EINVAL);
	assert_non_null(strstr(err, "not an Android boot image"));
	close(fd);
	unlink(path);
	assert_true(fbcmd_boot_check(path, 0, &size, err, sizeof(err)) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_log_caps),
		cmocka_unit_test(test_oem),
		cmocka_unit_test(test_unlock_ability),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_boot),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
