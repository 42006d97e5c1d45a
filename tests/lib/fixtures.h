/* fixtures.h - the real captures for unit tests (included once per test
 * program): $DROIDMEDIC_FIXTURES, else ../shared/fixtures/real beside the
 * source tree.  A missing capture fails the test, never skips it.  Needs
 * <cmocka.h>, <errno.h>, <stdio.h>, <stdlib.h>, <string.h> and
 * <sys/stat.h> included first. */
#ifndef DM_TEST_FIXTURES_H
#define DM_TEST_FIXTURES_H

#ifndef DM_ABS_TOP_SRCDIR
#define DM_ABS_TOP_SRCDIR "."
#endif

static void
fixture_path(char *buf, size_t len, const char *rel)
{
	const char *dir = getenv("DROIDMEDIC_FIXTURES");
	const char *top = getenv("top_srcdir");

	if (top == NULL || *top == '\0')
		top = DM_ABS_TOP_SRCDIR;
	if (dir != NULL && *dir != '\0')
		snprintf(buf, len, "%s/%s", dir, rel);
	else
		snprintf(buf, len, "%s/../shared/fixtures/real/%s", top, rel);
}

/* Fail (never skip) before allocating anything when the captures are
 * not there, naming the variable that points at them. */
static void
fixtures_required(void)
{
	char path[4096];
	struct stat st;

	fixture_path(path, sizeof(path), "SOURCES.md");
	if (stat(path, &st) != 0)
		fail_msg("real captures not found (%s): set "
		    "DROIDMEDIC_FIXTURES to the captures directory (default "
		    "$top_srcdir/../shared/fixtures/real)", path);
}

/* The whole capture; fails the test, naming the variable, if missing. */
static char *
load(const char *rel, size_t *len)
{
	char path[4096], *buf;
	FILE *f;
	long n;

	fixture_path(path, sizeof(path), rel);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("real capture %s missing (%s): set "
		    "DROIDMEDIC_FIXTURES to the captures directory (default "
		    "$top_srcdir/../shared/fixtures/real)", path,
		    strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

#endif
