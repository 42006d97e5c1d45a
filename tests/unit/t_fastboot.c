/* t_fastboot.c - the fastboot client's reply handling, over an in-memory
 * transport scripted with what a phone sends: the response parser, OKAY
 * payloads, FAIL in the phone's words, INFO and TEXT to the hooks,
 * getvar:all into typed variables, the download handshake, and the
 * hostile or broken replies (unknown status, oversized frame, DATA where
 * none was due, a wrong DATA size, a closed link). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"
#include "adbpkt.h"	/* memtrans.h scripts adb packets too */
#include "err.h"
#include "fastboot.h"
#include "fbvars.h"

#include "../lib/memtrans.h"

/* A script of TCP frames, built up by frame(). */
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
	char info[1024];
	int ninfo;
};

static void
on_info(void *ud, const char *tag, const char *msg)
{
	struct rig *r = ud;
	size_t n = strlen(r->info);

	snprintf(r->info + n, sizeof(r->info) - n, "%s[%s]", tag, msg);
	r->ninfo++;
}

static struct rig *
rig_new(int framed)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct fb_hooks h = { on_info, NULL, r };

	memtrans_init(&r->m, &r->t, script, slen, 0);
	fb_open_over(&r->t, framed, &r->c);
	fb_set_hooks(r->c, &h);
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
test_parse(void **state)
{
	struct fb_resp r;
	char err[256];

	(void)state;
	assert_int_equal(fb_parse_response("OKAYcheetah", 11, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.kind, FB_OKAY);
	assert_string_equal(r.msg, "cheetah");
	assert_int_equal(fb_parse_response("DATA0040abCD", 12, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.kind, FB_DATA);
	assert_int_equal(r.data_size, 0x0040abcd);
	assert_int_equal(fb_parse_response("FAIL", 4, &r, err, sizeof(err)),
	    0);
	assert_int_equal(r.kind, FB_FAIL);
	assert_string_equal(r.msg, "");
	/* Control bytes never reach a terminal. */
	assert_int_equal(fb_parse_response("INFOa\033[2Jb\n", 11, &r, err,
	    sizeof(err)), 0);
	assert_string_equal(r.msg, "a?[2Jb?");
	assert_int_equal(fb_parse_response("OKA", 3, &r, err, sizeof(err)),
	    DM_EPROTO);
	assert_int_equal(fb_parse_response("HELOx", 5, &r, err, sizeof(err)),
	    DM_EPROTO);
	assert_non_null(strstr(err, "HELO"));
	assert_int_equal(fb_parse_response("DATAxyz00000", 12, &r, err,
	    sizeof(err)), DM_EPROTO);
	assert_int_equal(fb_parse_response("DATA000000001", 13, &r, err,
	    sizeof(err)), DM_EPROTO);
	{
		char big[FB_RESP_MAX + 2];

		memset(big, 'x', sizeof(big));
		memcpy(big, "OKAY", 4);
		assert_int_equal(fb_parse_response(big, sizeof(big), &r, err,
		    sizeof(err)), DM_EPROTO);
	}
}

static void
test_command_okay_fail_info(void **state)
{
	struct rig *r;
	char val[FB_RESP_MAX + 1];

	(void)state;
	frame("INFOchecking");
	frame("TEXTline one\n");
	frame("OKAYcheetah");
	frame("FAILGetVar Variable Not found");
	r = rig_new(1);
	assert_int_equal(fb_getvar(r->c, "product", val, sizeof(val), r->err,
	    sizeof(r->err)), 0);
	assert_string_equal(val, "cheetah");
	assert_string_equal(r->info, "INFO[checking]TEXT[line one\n]");
	assert_int_equal(fb_getvar(r->c, "nosuch", val, sizeof(val), r->err,
	    sizeof(r->err)), DM_EREFUSED);
	assert_string_equal(r->err, "GetVar Variable Not found");
	/* The link ends: the next command says so. */
	assert_true(fb_getvar(r->c, "product", val, sizeof(val), r->err,
	    sizeof(r->err)) < 0);
	rig_free(r);
}

static void
test_getvar_all(void **state)
{
	struct rig *r;
	struct fbvars v;

	(void)state;
	frame("INFOproduct:cheetah");
	frame("INFOpartition-size:boot_a: 0x4000000");
	frame("INFOmax-download-size:0x10000000");
	frame("INFOcurrent-slot:b");
	frame("INFOhas-slot:boot:yes");
	frame("OKAY");
	r = rig_new(1);
	fbvars_init(&v);
	assert_int_equal(fb_getvar_all(r->c, &v, r->err, sizeof(r->err)), 0);
	assert_string_equal(v.product, "cheetah");
	assert_string_equal(v.current_slot, "b");
	assert_int_equal(v.max_download_size, 0x10000000);
	assert_int_equal(fbvars_has_slot(&v, "boot"), 1);
	assert_non_null(fbvars_part(&v, "boot_a"));
	assert_int_equal(fbvars_part(&v, "boot_a")->size, 0x4000000);
	/* INFO lines went into the record, not to the user's hook. */
	assert_int_equal(r->ninfo, 0);
	fbvars_free(&v);
	rig_free(r);
}

static void
test_download(void **state)
{
	struct rig *r;
	uint8_t data[3000];

	(void)state;
	memset(data, 0x5a, sizeof(data));
	frame("DATA00000bb8");
	frame("OKAY");
	r = rig_new(1);
	assert_int_equal(fb_download_begin(r->c, 3000, r->err,
	    sizeof(r->err)), 0);
	/* No command while the phone waits for data. */
	assert_int_equal(fb_command(r->c, "getvar:product", NULL, 0, 1000,
	    r->err, sizeof(r->err)), DM_EPROTO);
	assert_int_equal(fb_download_data(r->c, data, 1000, r->err,
	    sizeof(r->err)), 0);
	assert_int_equal(fb_download_data(r->c, data, 2001, r->err,
	    sizeof(r->err)), DM_EINVAL);
	assert_int_equal(fb_download_data(r->c, data, 2000, r->err,
	    sizeof(r->err)), 0);
	assert_int_equal(fb_download_end(r->c, r->err, sizeof(r->err)), 0);
	/* Frame headers and data: 2 commands' worth of bytes plus data. */
	assert_true(r->m.written >= 3000 + 8 + 17);
	rig_free(r);
}

static void
test_hostile(void **state)
{
	struct rig *r;
	char val[FB_RESP_MAX + 1];

	(void)state;
	/* DATA where a getvar answer was due. */
	frame("DATA00001000");
	r = rig_new(1);
	assert_int_equal(fb_getvar(r->c, "product", val, sizeof(val), r->err,
	    sizeof(r->err)), DM_EPROTO);
	rig_free(r);

	/* The phone wants another size than was announced. */
	frame("DATA00002000");
	r = rig_new(1);
	assert_int_equal(fb_download_begin(r->c, 0x1000, r->err,
	    sizeof(r->err)), DM_EPROTO);
	assert_non_null(strstr(r->err, "8192"));
	rig_free(r);

	/* A frame longer than any reply. */
	memcpy(script, "\0\0\0\0\0\1\0\0OKAY", 12);
	slen = 12;
	r = rig_new(1);
	assert_int_equal(fb_getvar(r->c, "product", val, sizeof(val), r->err,
	    sizeof(r->err)), DM_EPROTO);
	assert_non_null(strstr(r->err, "65536-byte"));
	rig_free(r);

	/* The link closes mid-frame. */
	memcpy(script, "\0\0\0\0\0\0\0\x20OKAY", 12);
	slen = 12;
	r = rig_new(1);
	assert_int_equal(fb_getvar(r->c, "product", val, sizeof(val), r->err,
	    sizeof(r->err)), DM_ECLOSED);
	rig_free(r);

	/* USB: nothing but closes/empty transfers. */
	r = rig_new(0);
	assert_int_equal(fb_getvar(r->c, "product", val, sizeof(val), r->err,
	    sizeof(r->err)), DM_EPROTO);
	rig_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_command_okay_fail_info),
		cmocka_unit_test(test_getvar_all),
		cmocka_unit_test(test_download),
		cmocka_unit_test(test_hostile),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
