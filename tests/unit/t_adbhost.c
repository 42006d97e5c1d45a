/* t_adbhost.c - the ADB host stack against scripted phones (an in-memory
 * transport): a good session, the old protocol with checksums, and
 * hostile replies (bad magic, oversized length, bad checksum, truncated
 * packet, a stall, a close mid-transfer), each ending in a clear error
 * and never a crash or a hang. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "adb.h"
#include "adbpkt.h"
#include "adbsync.h"
#include "dev.h"
#include "../lib/memtrans.h"
#include "bytes.h"

static uint8_t script[1 << 16];
static size_t slen;
static size_t turn_at[8];
static unsigned turn_need[8];
static int nturns;

/* What follows waits for the host's need-th packet. */
static void
turn(unsigned need)
{
	turn_at[nturns] = slen;
	turn_need[nturns] = need;
	nturns++;
}

static void
apply_turns(struct memtrans *m)
{
	for (int i = 0; i < nturns; i++)
		memtrans_turn(m, turn_at[i], turn_need[i]);
}


static void
pkt(uint32_t cmd, uint32_t a0, uint32_t a1, const void *d, uint32_t n)
{
	memtrans_pkt(script, &slen, cmd, a0, a1, d, n);
}

static size_t
v2(uint8_t *out, int id, const char *data, size_t n)
{
	out[0] = (uint8_t)id;
	le32_put(out + 1, (uint32_t)n);
	memcpy(out + 5, data, n);
	return 5 + n;
}

static void
cnxn(uint32_t version, uint32_t maxdata)
{
	static const char b[] = "device::ro.product.name=t;ro.product.model="
	    "Test;ro.product.device=tst;features=shell_v2,stat_v2,ls_v2";

	slen = 0;
	nturns = 0;
	turn(1);		/* after our CNXN */
	pkt(ADB_CNXN, version, maxdata, b, sizeof(b));
	turn(2);		/* after our OPEN */
}

/* The shell stream is local id 1; the phone calls it 7. */
static void
shell_reply(const char *out, const char *errtext, int code)
{
	uint8_t w[512];
	size_t n = 0;
	char c = (char)code;

	pkt(ADB_OKAY, 7, 1, NULL, 0);
	n += v2(w + n, 1, out, strlen(out));
	n += v2(w + n, 2, errtext, strlen(errtext));
	n += v2(w + n, 3, &c, 1);
	pkt(ADB_WRTE, 7, 1, w, (uint32_t)n);
	pkt(ADB_CLSE, 7, 1, NULL, 0);
}

struct outs {
	char out[256], err[256];
};

static int
collect(void *ud, int fd, const void *data, size_t len)
{
	struct outs *o = ud;
	char *dst = fd == 2 ? o->err : o->out;

	strncat(dst, data, len);
	return 0;
}

static int
run(int stall, struct outs *o, int *code, char *err, size_t errlen)
{
	struct adb_connect_opts opts = { .addr = "mem:", .timeout_ms = 300 };
	struct transport t;
	struct memtrans m;
	struct adb_conn *c;
	int rc;

	memset(o, 0, sizeof(*o));
	*code = -2;
	memtrans_init(&m, &t, script, slen, stall);
	apply_turns(&m);
	rc = adb_connect_over(&t, &opts, &c, err, errlen);
	if (rc < 0)
		return rc;
	rc = adb_shell(c, "getprop", collect, o, code, 500, err, errlen);
	adb_close(c);
	pthread_mutex_destroy(&m.lock);
	return rc;
}

static void
test_good_session(void **state)
{
	struct outs o;
	char err[256];
	int code;

	(void)state;
	cnxn(ADB_VERSION_SKIP_CHECKSUM, 1 << 20);
	shell_reply("[ro.x]: [y]\n", "careful\n", 3);
	assert_int_equal(run(0, &o, &code, err, sizeof(err)), 0);
	assert_string_equal(o.out, "[ro.x]: [y]\n");
	assert_string_equal(o.err, "careful\n");
	assert_int_equal(code, 3);
}

static void
test_old_protocol_checksums(void **state)
{
	struct outs o;
	char err[256];
	int code;

	(void)state;
	cnxn(ADB_VERSION_MIN, 4096);
	shell_reply("ok\n", "", 0);
	assert_int_equal(run(0, &o, &code, err, sizeof(err)), 0);
	assert_string_equal(o.out, "ok\n");
	/* The same with one payload byte changed: the checksum catches it. */
	cnxn(ADB_VERSION_MIN, 4096);
	shell_reply("ok\n", "", 0);
	script[slen - ADB_HEADER_SIZE - 6] ^= 0x20;	/* inside the WRTE */
	assert_true(run(0, &o, &code, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "checksum"));
}

static void
test_hostile_headers(void **state)
{
	struct outs o;
	char err[256];
	int code;

	(void)state;
	/* Bad magic on the phone's very first packet. */
	cnxn(ADB_VERSION_SKIP_CHECKSUM, 1 << 20);
	script[20] ^= 0xff;
	assert_int_equal(run(0, &o, &code, err, sizeof(err)), DM_EPROTO);
	assert_non_null(strstr(err, "magic"));

	/* A WRTE claiming 2 GiB. */
	cnxn(ADB_VERSION_SKIP_CHECKSUM, 1 << 20);
	pkt(ADB_OKAY, 7, 1, NULL, 0);
	{
		size_t at = slen;

		pkt(ADB_WRTE, 7, 1, "x", 1);
		le32_put(script + at + 12, 0x7fffffff);
	}
	assert_true(run(0, &o, &code, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "exceeds"));

	/* An auth token of the wrong size. */
	slen = 0;
	nturns = 0;
	pkt(ADB_AUTH, ADB_AUTH_TOKEN, 0, "short", 5);
	assert_int_equal(run(0, &o, &code, err, sizeof(err)), DM_EPROTO);
	assert_non_null(strstr(err, "token"));
}

static void
test_truncated_and_closed(void **state)
{
	struct outs o;
	char err[256];
	int code;

	(void)state;
	/* The link closes in the middle of a packet. */
	cnxn(ADB_VERSION_SKIP_CHECKSUM, 1 << 20);
	shell_reply("partial output\n", "", 0);
	slen -= ADB_HEADER_SIZE + 10;
	assert_true(run(0, &o, &code, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "shell"));
	/* A CNXN cut short. */
	cnxn(ADB_VERSION_SKIP_CHECKSUM, 1 << 20);
	slen -= 10;
	assert_true(run(0, &o, &code, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "closed"));
	/* A shell v2 stream that ends without an exit packet. */
	cnxn(ADB_VERSION_SKIP_CHECKSUM, 1 << 20);
	pkt(ADB_OKAY, 7, 1, NULL, 0);
	pkt(ADB_CLSE, 7, 1, NULL, 0);
	assert_int_equal(run(0, &o, &code, err, sizeof(err)), 0);
	assert_int_equal(code, -1);		/* unknown, not invented */
}

static void
test_stall_times_out(void **state)
{
	struct timespec a, b;
	struct outs o;
	char err[256];
	int code, rc;

	(void)state;
	/* The phone accepts the stream, then says nothing at all. */
	cnxn(ADB_VERSION_SKIP_CHECKSUM, 1 << 20);
	pkt(ADB_OKAY, 7, 1, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = run(1, &o, &code, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(rc, DM_ETIMEOUT);
	assert_true(b.tv_sec - a.tv_sec < 5);	/* bounded: no hang */
}

static void
test_refused_service(void **state)
{
	struct outs o;
	char err[256];
	int code;

	(void)state;
	cnxn(ADB_VERSION_SKIP_CHECKSUM, 1 << 20);
	pkt(ADB_CLSE, 0, 1, NULL, 0);
	assert_int_equal(run(0, &o, &code, err, sizeof(err)), DM_EUNSUPP);
	assert_non_null(strstr(err, "refused"));
}

/* Pull: a file's data, then the link drops half-way through another:
 * the first file is complete, the broken one is not left behind. */
static void
test_pull_cut_mid_transfer(void **state)
{
	struct adb_connect_opts opts = { .addr = "mem:", .timeout_ms = 300 };
	uint8_t w[256], st[72];
	char dir[] = "/tmp/t_adbhost.XXXXXX", path[64], err[256];
	struct transport t;
	struct memtrans m;
	struct adb_conn *c;
	struct adbsync *s;
	struct stat sb;
	size_t n;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	cnxn(ADB_VERSION_SKIP_CHECKSUM, 1 << 20);
	pkt(ADB_OKAY, 8, 1, NULL, 0);		/* sync: opened */
	turn(3);				/* our LST2 */
	pkt(ADB_OKAY, 8, 1, NULL, 0);		/* our LST2 taken */
	memset(st, 0, sizeof(st));
	memcpy(st, "LST2", 4);
	le32_put(st + 24, 0100644);
	le32_put(st + 40, 10);
	pkt(ADB_WRTE, 8, 1, st, sizeof(st));
	turn(5);			/* OKAY to the WRTE, then RECV */
	pkt(ADB_OKAY, 8, 1, NULL, 0);		/* our RECV taken */
	n = 0;
	memcpy(w, "DATA", 4);
	le32_put(w + 4, 10);
	memcpy(w + 8, "0123456789", 10);
	n = 18;
	pkt(ADB_WRTE, 8, 1, w, (uint32_t)n);	/* ... and no DONE: cut */
	memtrans_init(&m, &t, script, slen, 0);
	apply_turns(&m);
	assert_int_equal(adb_connect_over(&t, &opts, &c, err, sizeof(err)), 0);
	s = adbsync_open(c, err, sizeof(err));
	assert_non_null(s);
	rc = adbsync_pull(s, "/sdcard/f.bin", dir, NULL, NULL, NULL, NULL,
	    err, sizeof(err));
	assert_true(rc < 0);
	assert_non_null(strstr(err, "pull /sdcard/f.bin"));
	snprintf(path, sizeof(path), "%s/f.bin", dir);
	assert_int_equal(stat(path, &sb), -1);	/* no half file */
	adbsync_close(s);
	adb_close(c);
	pthread_mutex_destroy(&m.lock);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_session),
		cmocka_unit_test(test_old_protocol_checksums),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_truncated_and_closed),
		cmocka_unit_test(test_stall_times_out),
		cmocka_unit_test(test_refused_service),
		cmocka_unit_test(test_pull_cut_mid_transfer),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
