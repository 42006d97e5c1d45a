/* t_paths.c - XDG directories: created private, refused when not ours. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "paths.h"

static char root[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/t_paths.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_runtime_dir_private(void **state)
{
	char env[300], *p, *sock;
	struct stat st;

	(void)state;
	snprintf(env, sizeof(env), "%s/run", root);
	setenv("XDG_RUNTIME_DIR", env, 1);
	unsetenv("DROIDMEDIC_SOCKET");
	p = paths_runtime_dir();
	assert_non_null(p);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	sock = paths_socket();
	assert_non_null(sock);
	assert_true(strncmp(sock, p, strlen(p)) == 0);
	assert_string_equal(sock + strlen(p), "/server.sock");
	free(sock);
	/* Opened up by someone: refused. */
	chmod(p, 0755);
	free(p);
	assert_null(paths_runtime_dir());
	setenv("DROIDMEDIC_SOCKET", "/x/y.sock", 1);
	sock = paths_socket();
	assert_string_equal(sock, "/x/y.sock");
	free(sock);
	unsetenv("DROIDMEDIC_SOCKET");
}

static void
test_state_dir_from_home(void **state)
{
	char home[300], want[340], *p;

	(void)state;
	snprintf(home, sizeof(home), "%s/home", root);
	setenv("HOME", home, 1);
	unsetenv("XDG_STATE_HOME");
	p = paths_state_file("x.log");
	snprintf(want, sizeof(want), "%s/.local/state/droidmedic/x.log", home);
	assert_string_equal(p, want);
	free(p);
	/* A relative XDG value is ignored, as the spec says. */
	setenv("XDG_STATE_HOME", "relative/dir", 1);
	p = paths_state_dir();
	snprintf(want, sizeof(want), "%s/.local/state/droidmedic", home);
	assert_string_equal(p, want);
	free(p);
}

static void
test_mkdirs(void **state)
{
	char path[300];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/a/b/c", root);
	assert_int_equal(paths_mkdirs(path, 0700), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(paths_mkdirs(path, 0700), 0);	/* again: fine */
	assert_true(paths_mkdirs("", 0700) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runtime_dir_private),
		cmocka_unit_test(test_state_dir_from_home),
		cmocka_unit_test(test_mkdirs),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
