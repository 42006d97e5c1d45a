/* t_holder.c - holder_find(): a child process holding a file is found with
 * its pid and name; the calling process never is. */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "holder.h"

static char dir[PATH_MAX], file[PATH_MAX], link_path[PATH_MAX];

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/t_holder.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/node", dir);
	snprintf(link_path, sizeof(link_path), "%s/link", dir);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return symlink(file, link_path);
}

static int
teardown(void **state)
{
	(void)state;
	unlink(link_path);
	unlink(file);
	rmdir(dir);
	return 0;
}

/* A child that renames itself, opens path (twice when twice is set),
 * tells us, and waits to be killed. */
static pid_t
spawn_holder(const char *path, const char *name, int twice)
{
	int p[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd, fd2 = -1;

		close(p[0]);
		prctl(PR_SET_NAME, name, 0, 0, 0);
		fd = open(path, O_RDONLY);
		if (twice)
			fd2 = open(path, O_RDONLY);
		c = fd >= 0 && (!twice || fd2 >= 0) ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(c, 'y');
	return pid;
}

static void
reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void
test_child_found(void **state)
{
	struct holder h[4];
	pid_t pid;
	int n;

	(void)state;
	pid = spawn_holder(file, "dmholder", 0);
	n = holder_find(file, h, 4);
	reap(pid);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].pid, pid);
	assert_string_equal(h[0].comm, "dmholder");
	/* Gone with the process. */
	assert_int_equal(holder_find(file, h, 4), 0);
}

static void
test_self_excluded(void **state)
{
	struct holder h[4];
	int fd, n;

	(void)state;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = holder_find(file, h, 4);
	close(fd);
	assert_int_equal(n, 0);
}

static void
test_counts_and_limit(void **state)
{
	struct holder h[4];
	pid_t a, b;
	int n, fd;

	(void)state;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	a = spawn_holder(file, "twice", 1);
	b = spawn_holder(file, "adb", 0);
	n = holder_find(file, h, 4);
	assert_int_equal(n, 2);		/* one entry per process, not us */
	assert_true((h[0].pid == a && h[1].pid == b) ||
	    (h[0].pid == b && h[1].pid == a));
	for (int i = 0; i < n; i++)
		assert_string_equal(h[i].comm,
		    h[i].pid == a ? "twice" : "adb");
	memset(h, 0, sizeof(h));
	assert_int_equal(holder_find(file, h, 1), 1);
	assert_true(h[0].pid == a || h[0].pid == b);
	assert_int_equal(h[1].pid, 0);	/* nothing written past max */
	reap(a);
	reap(b);
	close(fd);
}

static void
test_through_symlink(void **state)
{
	struct holder h[2];
	pid_t pid;
	int n;

	(void)state;
	pid = spawn_holder(file, "linked", 0);
	n = holder_find(link_path, h, 2);
	reap(pid);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].pid, pid);
}

static void
test_odd_name_cleaned(void **state)
{
	struct holder h[2];
	pid_t pid;
	int n;

	(void)state;
	pid = spawn_holder(file, "a\tb\033c", 0);
	n = holder_find(file, h, 2);
	reap(pid);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].comm, "a?b?c");
}

static void
test_bad_arguments(void **state)
{
	struct holder h[1];

	(void)state;
	assert_int_equal(holder_find(NULL, h, 1), DM_EINVAL);
	assert_int_equal(holder_find("relative/path", h, 1), DM_EINVAL);
	assert_int_equal(holder_find(file, NULL, 1), DM_EINVAL);
	assert_int_equal(holder_find(file, NULL, 0), 0);
	assert_int_equal(holder_find("/nonexistent/droidmedic", h, 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_found),
		cmocka_unit_test(test_self_excluded),
		cmocka_unit_test(test_counts_and_limit),
		cmocka_unit_test(test_through_symlink),
		cmocka_unit_test(test_odd_name_cleaned),
		cmocka_unit_test(test_bad_arguments),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
