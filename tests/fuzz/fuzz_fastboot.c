/* fuzz_fastboot.c - libFuzzer target: whatever a phone (or something
 * pretending to be one) sends back to droidmedic's fastboot client.  The
 * first byte picks the framing (TCP frames or USB transfers) and what the
 * host asks; the rest is the phone's side of the conversation.  Every
 * reply must end in a clean answer or a clean error, never a crash, a
 * hang or a read past what arrived. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adbpkt.h"	/* memtrans.h scripts adb packets too */
#include "err.h"
#include "fastboot.h"
#include "fbvars.h"

#include "../lib/memtrans.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transport t = { 0 };
	struct memtrans m;
	struct fb_conn *c;
	struct fb_resp r;
	struct fbvars v;
	char err[256], val[FB_RESP_MAX + 1];
	uint8_t mode;
	int rc;

	if (size == 0)
		return 0;
	/* The parser alone, on everything. */
	if (fb_parse_response(data, size, &r, err, sizeof(err)) == 0 &&
	    strlen(r.msg) > FB_RESP_MAX)
		abort();
	mode = data[0];
	memtrans_init(&m, &t, data + 1, size - 1, 0);
	fb_open_over(&t, mode & 1, &c);
	fbvars_init(&v);
	switch ((mode >> 1) % 3) {
	case 0:
		rc = fb_getvar_all(c, &v, err, sizeof(err));
		if (v.nraw > FBVARS_MAX_VARS)
			abort();
		break;
	case 1:
		rc = fb_getvar(c, "product", val, sizeof(val), err,
		    sizeof(err));
		if (rc == 0 && strlen(val) > FB_RESP_MAX)
			abort();
		break;
	default:
		rc = fb_download_begin(c, 4096, err, sizeof(err));
		if (rc == 0) {
			static const uint8_t zero[4096];

			rc = fb_download_data(c, zero, sizeof(zero), err,
			    sizeof(err));
			if (rc == 0)
				rc = fb_download_end(c, err, sizeof(err));
		}
		break;
	}
	if (rc > 0 || rc <= DM_ERR_MIN_)
		abort();
	fbvars_free(&v);
	fb_close(c);
	pthread_mutex_destroy(&m.lock);
	pthread_cond_destroy(&m.cv);
	return 0;
}
