/* t_err.c - error codes: names and texts round-trip, errno mapping. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"

static void
test_names_round_trip(void **state)
{
	(void)state;
	for (int e = 0; e > DM_ERR_MIN_; e--) {
		const char *name = dm_errname(e);

		assert_string_not_equal(name, "EUNKNOWN");
		assert_int_equal(dm_errcode(name), e);
		assert_string_not_equal(dm_strerror(e), "unknown error");
	}
}

static void
test_unknown(void **state)
{
	(void)state;
	assert_string_equal(dm_strerror(-999), "unknown error");
	assert_string_equal(dm_errname(-999), "EUNKNOWN");
	assert_int_equal(dm_errcode("nonsense"), DM_EIO);
	assert_int_equal(dm_errcode(NULL), DM_EIO);
}

static void
test_errno_map(void **state)
{
	(void)state;
	assert_int_equal(dm_from_errno(EACCES), DM_EACCES);
	assert_int_equal(dm_from_errno(EPERM), DM_EACCES);
	assert_int_equal(dm_from_errno(ETIMEDOUT), DM_ETIMEOUT);
	assert_int_equal(dm_from_errno(ENODEV), DM_ENODEV);
	assert_int_equal(dm_from_errno(EBUSY), DM_EBUSY);
	assert_int_equal(dm_from_errno(ECONNREFUSED), DM_ECONN);
	assert_int_equal(dm_from_errno(EPIPE), DM_ECONN);
	assert_int_equal(dm_from_errno(EXDEV), DM_EIO);
}

static void
test_fail_truncates(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(dm_fail(buf, sizeof(buf), DM_EIO, "%s", "0123456789"),
	    DM_EIO);
	assert_string_equal(buf, "0123456");
	assert_int_equal(dm_fail(NULL, 0, DM_EINVAL, "x"), DM_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_errno_map),
		cmocka_unit_test(test_fail_truncates),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
