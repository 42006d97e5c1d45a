/* t_usbxfer.c - the USB transport against fakebed's fake phones.
 *
 * Not a stand-alone test: tests/usb/discovery.sh runs it under
 * umockdev-wrapper with fakebed.py holding an adb fake (MTP+adb composite)
 * on usb:1-2 and a fastboot fake with serial XFER3 on usb:1-3, and the
 * control FIFO as argv[1].  Prints one TAP line per check ("ok - ..." or
 * "not ok - ..."), which discovery.sh numbers into its own plan; exits 1
 * when a check failed.
 *
 *   t_usbxfer FIFO          transfers, timeouts, ZLPs, unplug
 *   t_usbxfer eacces ADDR   opening ADDR must fail with DM_EACCES
 *   t_usbxfer ebusy ADDR    opening ADDR must fail with DM_EBUSY
 *
 * Runs single-threaded except for the concurrent read/write check. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "transport.h"

static int failures;

static void
check(int cond, const char *what, const struct transport *t)
{
	if (cond) {
		printf("ok - %s\n", what);
	} else {
		printf("not ok - %s\n", what);
		if (t != NULL && t->errbuf[0] != '\0')
			printf("# errbuf: %s\n", t->errbuf);
		failures++;
	}
	fflush(stdout);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void
usb_init(struct transport *t, unsigned iface, int zlp)
{
	memset(t, 0, sizeof(*t));
	t->want_iface = iface;
	t->zlp = zlp;
}

/* Write a command, read one reply into buf (NUL-terminated). */
static int
exchange(struct transport *t, const char *cmd, char *buf, size_t len)
{
	int rc;

	rc = transport_write(t, cmd, strlen(cmd), 2000);
	if (rc != (int)strlen(cmd))
		return rc < 0 ? rc : DM_EIO;
	rc = transport_read(t, buf, len - 1, 2000);
	if (rc < 0)
		return rc;
	buf[rc] = '\0';
	return rc;
}

static void
control(const char *fifo, const char *cmd)
{
	FILE *f = fopen(fifo, "w");

	if (f == NULL) {
		perror(fifo);
		return;
	}
	fprintf(f, "%s\n", cmd);
	fclose(f);
}

static void
test_fastboot(void)
{
	struct transport t;
	char buf[256];
	long t0, dt;
	int rc;

	usb_init(&t, TRANSPORT_IFACE_FASTBOOT, 0);
	rc = transport_open(&t, "usb:1-3");
	check(rc == 0, "open usb:1-3 as fastboot", &t);
	if (rc < 0)
		return;
	check(t.max_packet == 512, "fastboot bulk OUT max packet is 512", &t);
	rc = exchange(&t, "getvar:product", buf, sizeof(buf));
	check(rc > 0 && strcmp(buf, "OKAYfakebed") == 0,
	    "getvar:product answered OKAYfakebed", &t);

	rc = transport_write(&t, "oem silent", 10, 1000);
	check(rc == 10, "write of a command the device never answers", &t);
	t0 = now_ms();
	rc = transport_read(&t, buf, sizeof(buf), 300);
	dt = now_ms() - t0;
	check(rc == DM_ETIMEOUT, "unanswered read fails with DM_ETIMEOUT", &t);
	check(dt >= 250 && dt < 3000, "and it took about the 300 ms asked for",
	    NULL);
	check(strstr(t.errbuf, "usb:1-3") != NULL,
	    "the timeout detail names the port", &t);

	rc = exchange(&t, "getvar:serialno", buf, sizeof(buf));
	check(rc > 0 && strcmp(buf, "OKAYXFER3") == 0,
	    "the pipe still works after a timeout (getvar:serialno)", &t);
	transport_close(&t);

	usb_init(&t, TRANSPORT_IFACE_ADB, 0);
	rc = transport_open(&t, "usb:1-3");
	check(rc == DM_ENODEV && strstr(t.errbuf, "adb") != NULL,
	    "asking a fastboot device for adb gives DM_ENODEV, named", &t);
	transport_close(&t);
}

struct reader {
	struct transport *t;
	int ms;
	char buf[64];
	int rc;
};

static void *
reader_main(void *arg)
{
	struct reader *r = arg;

	r->rc = transport_read(r->t, r->buf, sizeof(r->buf) - 1, r->ms);
	if (r->rc >= 0)
		r->buf[r->rc] = '\0';
	return NULL;
}

static void
test_adb(const char *fifo)
{
	struct transport t;
	struct reader rd;
	pthread_t th;
	char buf[256], *big, *back;
	size_t big_len = (3u << 20) + 1, got;
	int rc, ok;

	/* want_iface 0: adb if present (the MTP interface comes first). */
	usb_init(&t, 0, 1);
	rc = transport_open(&t, "usb:1-2");
	check(rc == 0, "open usb:1-2, default interface", &t);
	if (rc < 0)
		return;
	rc = exchange(&t, "hello", buf, sizeof(buf));
	check(rc == 5 && strcmp(buf, "hello") == 0,
	    "default picks adb over MTP on a composite device (echo)", &t);

	/* ZLP only after a transfer of whole packets, and only if asked. */
	big = malloc(big_len);
	back = malloc(big_len);
	if (big == NULL || back == NULL)
		abort();
	memset(big, 'p', 512);
	rc = transport_write(&t, big, 512, 2000);
	check(rc == 512, "write of one whole packet", &t);
	rc = transport_read(&t, back, 4096, 2000);
	check(rc == 512, "echo of the whole packet", &t);
	rc = exchange(&t, "#zlp?", buf, sizeof(buf));
	check(rc > 0 && strcmp(buf, "#zlp=1") == 0,
	    "a ZLP followed the 512-byte write", &t);
	rc = transport_write(&t, big, 100, 2000);
	rc = rc == 100 ? transport_read(&t, back, 4096, 2000) : rc;
	rc = rc == 100 ? exchange(&t, "#zlp?", buf, sizeof(buf)) : rc;
	check(rc > 0 && strcmp(buf, "#zlp=1") == 0,
	    "no ZLP after a short (100-byte) write", &t);
	t.zlp = 0;
	rc = transport_write(&t, big, 1024, 2000);
	rc = rc == 1024 ? transport_read(&t, back, 4096, 2000) : rc;
	rc = rc == 1024 ? exchange(&t, "#zlp?", buf, sizeof(buf)) : rc;
	check(rc > 0 && strcmp(buf, "#zlp=1") == 0,
	    "no ZLP when the transport has zlp off", &t);

	/* Writes bigger than one transfer are split and all arrive. */
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)(i * 7 + i / 4096);
	rc = transport_write(&t, big, big_len, 10000);
	check(rc == (int)big_len, "3 MiB + 1 byte write completes", &t);
	got = 0;
	ok = 1;
	while (got < big_len && ok) {
		rc = transport_read(&t, back + got, big_len - got, 5000);
		if (rc <= 0)
			ok = 0;
		else
			got += (size_t)rc;
	}
	check(got == big_len && memcmp(big, back, big_len) == 0,
	    "every byte of it came back in order", &t);
	free(big);
	free(back);

	/* Read and write on two threads at once. */
	memset(&rd, 0, sizeof(rd));
	rd.t = &t;
	rd.ms = 3000;
	rc = pthread_create(&th, NULL, reader_main, &rd);
	if (rc == 0) {
		usleep(100000);
		rc = transport_write(&t, "ping", 4, 2000);
		pthread_join(th, NULL);
		check(rc == 4 && rd.rc == 4 && strcmp(rd.buf, "ping") == 0,
		    "a read blocked on one thread gets what another wrote",
		    &t);
	} else {
		check(0, "start a reader thread", NULL);
	}

	/* Unplugged under an open transport, with a read waiting. */
	memset(&rd, 0, sizeof(rd));
	rd.t = &t;
	rd.ms = 8000;
	rc = pthread_create(&th, NULL, reader_main, &rd);
	if (rc == 0) {
		long t0;

		usleep(200000);
		t0 = now_ms();
		control(fifo, "unplug 1-2");
		pthread_join(th, NULL);
		check(rd.rc == DM_ENODEV, "a read waiting when the phone is "
		    "unplugged fails with DM_ENODEV", &t);
		check(now_ms() - t0 < 4000, "at once, not at its timeout",
		    NULL);
	} else {
		check(0, "start a reader thread", NULL);
	}
	rc = transport_write(&t, "x", 1, 1000);
	check(rc == DM_ENODEV, "a write after the unplug fails with "
	    "DM_ENODEV", &t);
	transport_close(&t);

	usb_init(&t, TRANSPORT_IFACE_ADB, 0);
	rc = transport_open(&t, "usb:1-2");
	check(rc == DM_ENODEV, "opening the unplugged port gives DM_ENODEV",
	    &t);
	transport_close(&t);
}

static void
test_addresses(void)
{
	static const char *const bad[] = {
		"usb:", "usb:1", "usb:1-", "usb:x-2", "usb:1-2.", "usb:1-0",
		"usb:1-2.3.4.5.6.7.8.9", "usb:0-2", "usb:1-256", "usb:1-2x",
	};
	struct transport t;
	int all = 1, rc;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		usb_init(&t, 0, 0);
		rc = transport_open(&t, bad[i]);
		if (rc != DM_EINVAL) {
			printf("# %s gave %d\n", bad[i], rc);
			all = 0;
		}
		transport_close(&t);
	}
	check(all, "malformed USB addresses give DM_EINVAL", NULL);

	usb_init(&t, 0, 0);
	rc = transport_open(&t, "usb:1-9.4");
	check(rc == DM_ENODEV, "nothing at usb:1-9.4: DM_ENODEV", &t);
	transport_close(&t);
}

int
main(int argc, char **argv)
{
	struct transport t;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "eacces") == 0) {
		usb_init(&t, 0, 0);
		rc = transport_open(&t, argv[2]);
		check(rc == DM_EACCES && strstr(t.errbuf, "51-droidmedic") !=
		    NULL, "opening a node we may not use gives DM_EACCES and "
		    "names the udev rule", &t);
		transport_close(&t);
		return failures ? 1 : 0;
	}
	if (argc == 3 && strcmp(argv[1], "ebusy") == 0) {
		usb_init(&t, 0, 0);
		rc = transport_open(&t, argv[2]);
		check(rc == DM_EBUSY && strstr(t.errbuf, "claimed by another")
		    != NULL, "claiming an interface another program holds "
		    "gives DM_EBUSY, explained", &t);
		transport_close(&t);
		usb_init(&t, 0, 0);
		rc = transport_open(&t, argv[2]);
		check(rc == DM_EBUSY, "and nothing was left half-open (again "
		    "DM_EBUSY)", &t);
		transport_close(&t);
		return failures ? 1 : 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: t_usbxfer FIFO | eacces ADDR | "
		    "ebusy ADDR\n");
		return 2;
	}
	test_addresses();
	test_fastboot();
	test_adb(argv[1]);
	return failures ? 1 : 0;
}
