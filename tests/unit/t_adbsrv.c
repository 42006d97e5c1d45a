/* t_adbsrv.c - the adb server client: the devices-l parser on the line
 * forms adb prints (padded serials, "no permissions (...)" states, CRs,
 * junk), addresses, and the host protocol against a loopback peer that
 * answers OKAY, FAIL, garbage, a cut-short reply, or nothing at all. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "adbsrv.h"
#include "err.h"
#include "transport.h"

static void
parse_listing(void **state)
{
	static const char text[] =
	    "0123456789ABCDEF       device usb:1-2.3 product:houji "
	    "model:23127PN0CC device:houji transport_id:3\n"
	    "127.0.0.1:5555         unauthorized transport_id:7\n"
	    "R5CX1234               no permissions (missing udev rules? user "
	    "is in the plugdev group); see [http://developer.android.com/"
	    "tools/device.html] usb:2-1 transport_id:9\r\n"
	    "\n"
	    "lonely\n"
	    "emulator-5554\toffline\n"
	    "ZY22\trecovery product:x model:Moto_G device:y";
	struct adbsrv_dev d[8];
	int n;

	(void)state;
	n = adbsrv_parse_devices(text, sizeof(text) - 1, d, 8);
	assert_int_equal(n, 5);
	assert_string_equal(d[0].serial, "0123456789ABCDEF");
	assert_string_equal(d[0].state, "device");
	assert_string_equal(d[0].usb, "1-2.3");
	assert_string_equal(d[0].product, "houji");
	assert_string_equal(d[0].model, "23127PN0CC");
	assert_string_equal(d[0].device, "houji");
	assert_int_equal(d[0].transport_id, 3);
	assert_string_equal(d[1].serial, "127.0.0.1:5555");
	assert_string_equal(d[1].state, "unauthorized");
	assert_string_equal(d[1].usb, "");
	assert_int_equal(d[1].transport_id, 7);
	assert_string_equal(d[2].serial, "R5CX1234");
	/* A state of several words is cut to the field, never overrun. */
	assert_memory_equal(d[2].state, "no permissions (", 16);
	assert_true(strlen(d[2].state) < sizeof(d[2].state));
	assert_string_equal(d[2].usb, "2-1");
	assert_int_equal(d[2].transport_id, 9);
	assert_string_equal(d[3].serial, "emulator-5554");
	assert_string_equal(d[3].state, "offline");
	assert_string_equal(d[4].state, "recovery");
	assert_string_equal(d[4].model, "Moto_G");
	/* max is honoured. */
	assert_int_equal(adbsrv_parse_devices(text, sizeof(text) - 1, d, 2),
	    2);
	assert_int_equal(adbsrv_parse_devices("", 0, d, 8), 0);
}

static void
parse_address(void **state)
{
	char serial[64];
	int port = 0;

	(void)state;
	assert_int_equal(adbsrv_parse_addr("adb-server:5037:127.0.0.1:5555",
	    &port, serial, sizeof(serial)), 0);
	assert_int_equal(port, 5037);
	assert_string_equal(serial, "127.0.0.1:5555");
	assert_int_equal(adbsrv_parse_addr("adb-server:15001:X", &port,
	    serial, sizeof(serial)), 0);
	assert_int_equal(port, 15001);
	assert_string_equal(serial, "X");
	assert_int_equal(adbsrv_parse_addr("adb-server::X", &port, serial,
	    sizeof(serial)), DM_EINVAL);
	assert_int_equal(adbsrv_parse_addr("adb-server:0:X", &port, serial,
	    sizeof(serial)), DM_EINVAL);
	assert_int_equal(adbsrv_parse_addr("adb-server:70000:X", &port,
	    serial, sizeof(serial)), DM_EINVAL);
	assert_int_equal(adbsrv_parse_addr("adb-server:5037:", &port, serial,
	    sizeof(serial)), DM_EINVAL);
	assert_int_equal(adbsrv_parse_addr("tcp:1.2.3.4:5", &port, serial,
	    sizeof(serial)), DM_EINVAL);
}

static void
port_from_env(void **state)
{
	(void)state;
	unsetenv("ANDROID_ADB_SERVER_PORT");
	assert_int_equal(adbsrv_port(), 5037);
	setenv("ANDROID_ADB_SERVER_PORT", "15555", 1);
	assert_int_equal(adbsrv_port(), 15555);
	setenv("ANDROID_ADB_SERVER_PORT", "99999", 1);
	assert_int_equal(adbsrv_port(), 5037);
	setenv("ANDROID_ADB_SERVER_PORT", "12ab", 1);
	assert_int_equal(adbsrv_port(), 5037);
	unsetenv("ANDROID_ADB_SERVER_PORT");
}

/* A fake adb server: answers each connection's requests from a script:
 * for request i it sends reply[i] (raw bytes) and, when close_after,
 * hangs up after the last one. */
struct fake {
	int lfd, port;
	const char *replies[3];
	size_t lens[3];
	int nreplies;
	char got[3][256];	/* the requests it read */
	pthread_t th;
};

static int
read_req(int fd, char *out, size_t cap)
{
	char h[5];
	size_t len, off = 0;
	ssize_t n;

	for (off = 0; off < 4; off += (size_t)n)
		if ((n = read(fd, h + off, 4 - off)) <= 0)
			return -1;
	h[4] = '\0';
	len = strtoul(h, NULL, 16);
	if (len >= cap)
		return -1;
	for (off = 0; off < len; off += (size_t)n)
		if ((n = read(fd, out + off, len - off)) <= 0)
			return -1;
	out[len] = '\0';
	return 0;
}

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	for (int i = 0; i < f->nreplies; i++) {
		if (read_req(fd, f->got[i], sizeof(f->got[i])) < 0)
			break;
		if (f->lens[i] > 0 &&
		    write(fd, f->replies[i], f->lens[i]) != (ssize_t)f->lens[i])
			break;
	}
	close(fd);
	return NULL;
}

static void
fake_start(struct fake *f)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sa, &len), 0);
	f->port = ntohs(sa.sin_port);
	for (int i = 0; i < f->nreplies; i++)
		if (f->lens[i] == 0 && f->replies[i] != NULL)
			f->lens[i] = strlen(f->replies[i]);
	assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void
fake_stop(struct fake *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
}

static void
query_ok(void **state)
{
	struct fake f = { .nreplies = 1,
	    .replies = { "OKAY0017SERIAL1\tdevice usb:1-1\n" } };
	char err[256], *out = NULL;
	size_t len = 0;

	(void)state;
	fake_start(&f);
	assert_int_equal(adbsrv_query(f.port, "host:devices-l", &out, &len,
	    2000, err, sizeof(err)), 0);
	fake_stop(&f);
	assert_string_equal(f.got[0], "host:devices-l");
	assert_int_equal(len, 0x17);
	assert_string_equal(out, "SERIAL1\tdevice usb:1-1\n");
	free(out);
}

static void
query_fail(void **state)
{
	struct fake f = { .nreplies = 1,
	    .replies = { "FAIL0014unknown host service" } };
	char err[256], *out = NULL;

	(void)state;
	fake_start(&f);
	assert_int_equal(adbsrv_query(f.port, "host:nope", &out, NULL, 2000,
	    err, sizeof(err)), DM_EIO);
	fake_stop(&f);
	assert_null(out);
	assert_non_null(strstr(err, "unknown host service"));
}

static void
query_hostile(void **state)
{
	static const char *const bad[] = {
		"OKAYzzzz",			/* not a length */
		"OKAY0010short",		/* cut short */
		"HUH?",				/* not a status */
		"OK",				/* cut in the status */
		"FAIL00",			/* cut in FAIL's length */
	};
	char err[256], *out = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fake f = { .nreplies = 1, .replies = { bad[i] } };

		fake_start(&f);
		assert_int_equal(adbsrv_query(f.port, "host:devices-l", &out,
		    NULL, 2000, err, sizeof(err)), DM_EPROTO);
		fake_stop(&f);
		assert_null(out);
		assert_non_null(strstr(err, "adb server"));
	}
}

static void
no_server(void **state)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char err[256], *out = NULL;
	int fd;

	(void)state;
	/* A port that was free a moment ago: bound, never listened on. */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(adbsrv_query(ntohs(sa.sin_port), "host:devices-l",
	    &out, NULL, 2000, err, sizeof(err)), DM_ECONN);
	close(fd);
	assert_null(out);
	assert_non_null(strstr(err, "no adb server"));
}

static void
open_stream(void **state)
{
	struct fake f = { .nreplies = 3, .replies = { "OKAY", "OKAYhello",
	    NULL } };
	struct transport t;
	char err[256], buf[16];

	(void)state;
	fake_start(&f);
	assert_int_equal(adbsrv_open(f.port, "SER1", "shell,v2,raw:echo",
	    &t, 2000, err, sizeof(err)), 0);
	assert_int_equal(transport_read_full(&t, buf, 5, 2000), 5);
	assert_memory_equal(buf, "hello", 5);
	transport_close(&t);
	fake_stop(&f);
	assert_string_equal(f.got[0], "host:transport:SER1");
	assert_string_equal(f.got[1], "shell,v2,raw:echo");
}

static void
open_refused(void **state)
{
	struct fake f1 = { .nreplies = 1,
	    .replies = { "FAIL0017device 'SER9' not found" } };
	struct fake f2 = { .nreplies = 2,
	    .replies = { "OKAY", "FAIL000bclosed: nah" } };
	struct transport t;
	char err[256];

	(void)state;
	fake_start(&f1);
	assert_int_equal(adbsrv_open(f1.port, "SER9", "sync:", &t, 2000, err,
	    sizeof(err)), DM_ENOENT);
	fake_stop(&f1);
	assert_non_null(strstr(err, "not found"));
	fake_start(&f2);
	assert_int_equal(adbsrv_open(f2.port, "SER1", "frobnicate:", &t, 2000,
	    err, sizeof(err)), DM_EUNSUPP);
	fake_stop(&f2);
	assert_non_null(strstr(err, "nah"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_listing),
		cmocka_unit_test(parse_address),
		cmocka_unit_test(port_from_env),
		cmocka_unit_test(query_ok),
		cmocka_unit_test(query_fail),
		cmocka_unit_test(query_hostile),
		cmocka_unit_test(no_server),
		cmocka_unit_test(open_stream),
		cmocka_unit_test(open_refused),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
