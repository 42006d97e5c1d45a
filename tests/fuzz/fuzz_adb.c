/* fuzz_adb.c - libFuzzer target: a hostile phone.  The input is what the
 * phone sends after our CNXN; the host stack runs its handshake, then a
 * shell v2 command and a sync pull over it.  The same bytes also go to
 * the banner and adb server device-list parsers.  Nothing may crash, hang
 * or read out of bounds, whatever arrives. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adb.h"
#include "adbpkt.h"
#include "adbsrv.h"
#include "adbsync.h"
#include "../lib/memtrans.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct adb_connect_opts o = { .addr = "mem:", .timeout_ms = 200,
	    .auth_wait_ms = 0 };
	struct adb_banner b;
	struct adb_packet p;
	struct transport t;
	struct memtrans m;
	struct adb_conn *c = NULL;
	struct adbsync *s;
	char err[256], *out = NULL;
	int code;

	if (size < ADB_HEADER_SIZE || size > 1 << 20)
		return 0;
	/* The pieces on their own ... */
	adbpkt_decode_header(data, &p, ADB_MAX_PAYLOAD, err, sizeof(err));
	adbpkt_parse_banner((const char *)data, size, &b);
	{
		/* An adb server's device list. */
		struct adbsrv_dev d[8];

		adbsrv_parse_devices((const char *)data, size, d, 8);
	}
	/* ... and the whole stack against a phone that sends this. */
	memtrans_init(&m, &t, data, size, 0);
	if (adb_connect_over(&t, &o, &c, err, sizeof(err)) == 0) {
		adb_shell_capture(c, "getprop", &out, NULL, 1 << 20, &code,
		    200, err, sizeof(err));
		free(out);
		s = adbsync_open(c, err, sizeof(err));
		if (s != NULL) {
			char dir[] = "/tmp/fuzz_adb.XXXXXX";

			if (mkdtemp(dir) != NULL) {
				adbsync_pull(s, "/sdcard/x", dir, NULL, NULL,
				    NULL, NULL, err, sizeof(err));
				char cmd[64];

				snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
				if (system(cmd) != 0)
					abort();
			}
			adbsync_close(s);
		}
		adb_close(c);
	}
	pthread_mutex_destroy(&m.lock);
	return 0;
}
