/* t_simsh.c - the simulated phone's sh: quoting and $?, lists and pipes,
 * redirections, exit codes (127 for unknown commands), the profile's own
 * commands, builtins over the phone's files, stdin, and what is refused
 * as unsupported. */
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

#include "err.h"
#include "profile.h"
#include "simsh.h"
#include "vfs.h"

static char dir[64];
static struct profile *prof;
static struct vfs *vfs;

struct cap {
	char out[65536], err[4096];
	size_t outlen, errlen;
	const char *in;		/* stdin */
	size_t inpos;
	int slept;
};

static int
cap_write(void *ctx, int fd, const void *buf, size_t len)
{
	struct cap *c = ctx;
	char *dst = fd == 2 ? c->err : c->out;
	size_t *n = fd == 2 ? &c->errlen : &c->outlen;
	size_t cap = fd == 2 ? sizeof(c->err) : sizeof(c->out);

	if (*n + len >= cap)
		return DM_ENOMEM;
	memcpy(dst + *n, buf, len);
	*n += len;
	dst[*n] = '\0';
	return 0;
}

static int
cap_read(void *ctx, void *buf, size_t len)
{
	struct cap *c = ctx;
	size_t left = c->in ? strlen(c->in) - c->inpos : 0;

	if (len > left)
		len = left;
	memcpy(buf, c->in + c->inpos, len);
	c->inpos += len;
	return (int)len;
}

static int
cap_sleep(void *ctx, int ms)
{
	((struct cap *)ctx)->slept += ms;
	return 0;
}

/* Run line in a fresh shell; status back, output in c. */
static int
run(struct cap *c, const char *line)
{
	struct simsh_io io = { cap_write, cap_read, cap_sleep, c };
	struct simsh sh;
	int rc;

	c->outlen = c->errlen = 0;
	c->out[0] = c->err[0] = '\0';
	simsh_init(&sh, prof, vfs, 0);
	rc = simsh_run(&sh, line, &io);
	simsh_done(&sh);
	return rc;
}

static int
setup(void **state)
{
	static const char json[] = "{ \"serial\": \"SH0001\", \"props\": { "
	    "\"ro.product.name\": \"shp\", \"ro.product.model\": \"Sh Phone\", "
	    "\"ro.product.device\": \"shdev\", "
	    "\"ro.kernel.version\": \"5.10\", "
	    "\"ro.product.cpu.abi\": \"arm64-v8a\" }, \"commands\": { "
	    "\"dumpsys battery\": { \"stdout\": \"level: 87\\n\" }, "
	    "\"pm path com.x\": { \"stderr\": \"no such package\\n\", "
	    "\"exit\": 1 } }, \"storage\": [ "
	    "{ \"path\": \"/sdcard/DCIM/a.jpg\", "
	    "\"size\": 1000, \"seed\": 1 }, "
	    "{ \"path\": \"/sdcard/DCIM/b.jpg\", "
	    "\"size\": 2000, \"seed\": 2 }, { \"path\": \"/sdcard/t.txt\", "
	    "\"text\": \"one\\ntwo\\nthree\\n\" } ] }";
	char path[128], phone[128], err[512];
	FILE *fp;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/t_simsh.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/p.json", dir);
	fp = fopen(path, "w");
	fputs(json, fp);
	fclose(fp);
	if (profile_load(&prof, path, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	snprintf(phone, sizeof(phone), "%s/phone", dir);
	if (vfs_new(&vfs, phone) < 0)
		return -1;
	return vfs_populate(vfs, prof->storage, prof->nstorage, err,
	    sizeof(err)) < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	vfs_free(vfs);
	profile_free(prof);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_words_and_status(void **state)
{
	struct cap c = { 0 };

	(void)state;
	assert_int_equal(run(&c, "echo hello   world"), 0);
	assert_string_equal(c.out, "hello world\n");
	assert_int_equal(run(&c, "echo 'a  b' \"c  d\" e\\ f"), 0);
	assert_string_equal(c.out, "a  b c  d e f\n");
	assert_int_equal(run(&c, "echo -n x; echo -e 'y\\tz'"), 0);
	assert_string_equal(c.out, "xy\tz\n");
	assert_int_equal(run(&c, "exit 3"), 3);
	assert_int_equal(run(&c, "exit 300"), 300 & 0xff);
	assert_int_equal(run(&c, "sh -c 'exit 42'"), 42);
	assert_int_equal(run(&c, "sh -c 'exit 2'; echo after $?"), 0);
	assert_string_equal(c.out, "after 2\n");
	assert_int_equal(run(&c, "false; echo $?; true; echo $?"), 0);
	assert_string_equal(c.out, "1\n0\n");
	assert_int_equal(run(&c, "exit 5; echo never"), 5);
	assert_string_equal(c.out, "");
	assert_int_equal(run(&c, "true && echo yes || echo no"), 0);
	assert_string_equal(c.out, "yes\n");
	assert_int_equal(run(&c, "false && echo yes || echo no"), 0);
	assert_string_equal(c.out, "no\n");
	assert_int_equal(run(&c, "false || false"), 1);
	assert_int_equal(run(&c, "echo $EXTERNAL_STORAGE ${HOSTNAME} $NOPE."),
	    0);
	assert_string_equal(c.out, "/sdcard shdev .\n");
	assert_int_equal(run(&c, "X=5; echo \"$X\" '$X'"), 0);
	assert_string_equal(c.out, "5 $X\n");
	assert_int_equal(run(&c, "echo a # a comment"), 0);
	assert_string_equal(c.out, "a\n");
}

static void
test_not_found_and_unsupported(void **state)
{
	struct cap c = { 0 };

	(void)state;
	assert_int_equal(run(&c, "frobnicate --now"), 127);
	assert_string_equal(c.err, "/system/bin/sh: frobnicate: not found\n");
	assert_string_equal(c.out, "");
	assert_int_equal(run(&c, "echo $(id)"), 2);
	assert_non_null(strstr(c.err, "not supported"));
	assert_int_equal(run(&c, "sleep 1 &"), 2);
	assert_int_equal(run(&c, "if true; then echo x; fi"), 2);
	assert_int_equal(run(&c, "echo 'open"), 2);
	assert_int_equal(run(&c, "| echo x"), 2);
	assert_non_null(strstr(c.err, "syntax error"));
}

static void
test_redirections(void **state)
{
	struct cap c = { 0 };

	(void)state;
	assert_int_equal(run(&c, "echo out; echo err >&2"), 0);
	assert_string_equal(c.out, "out\n");
	assert_string_equal(c.err, "err\n");
	assert_int_equal(run(&c, "nosuch 2>&1"), 127);
	assert_string_equal(c.out, "/system/bin/sh: nosuch: not found\n");
	assert_int_equal(run(&c, "nosuch 2>/dev/null"), 127);
	assert_string_equal(c.err, "");
	assert_int_equal(run(&c, "echo one > /sdcard/r.txt; echo two >> "
	    "/sdcard/r.txt; cat /sdcard/r.txt"), 0);
	assert_string_equal(c.out, "one\ntwo\n");
	assert_int_equal(run(&c, "cat < /sdcard/t.txt"), 0);
	assert_string_equal(c.out, "one\ntwo\nthree\n");
	assert_int_equal(run(&c, "echo x > /system/evil"), 1);
	assert_non_null(strstr(c.err, "can't create /system/evil"));
}

static void
test_pipes(void **state)
{
	struct cap c = { 0 };

	(void)state;
	assert_int_equal(run(&c, "getprop | grep -c ro.product"), 0);
	assert_string_equal(c.out, "4\n");
	assert_int_equal(run(&c, "cat /sdcard/t.txt | grep -v two | grep t"),
	    0);
	assert_string_equal(c.out, "three\n");
	assert_int_equal(run(&c, "echo abc | grep -q zzz"), 1);
	assert_int_equal(run(&c, "getprop | grep -E 'model|device' | "
	    "grep -i SH"), 0);
	assert_string_equal(c.out, "[ro.product.device]: [shdev]\n"
	    "[ro.product.model]: [Sh Phone]\n");
}

static void
test_props_and_ids(void **state)
{
	struct cap c = { 0 };

	(void)state;
	assert_int_equal(run(&c, "getprop ro.product.model"), 0);
	assert_string_equal(c.out, "Sh Phone\n");
	assert_int_equal(run(&c, "getprop ro.nope"), 0);
	assert_string_equal(c.out, "\n");
	assert_int_equal(run(&c, "getprop ro.nope fallback"), 0);
	assert_string_equal(c.out, "fallback\n");
	assert_int_equal(run(&c, "getprop ro.serialno"), 0);
	assert_string_equal(c.out, "SH0001\n");
	assert_int_equal(run(&c, "id -u; id -un"), 0);
	assert_string_equal(c.out, "2000\nshell\n");
	assert_int_equal(run(&c, "uname -a"), 0);
	assert_string_equal(c.out, "Linux localhost 5.10 #1 SMP PREEMPT "
	    "aarch64 Toybox\n");
	assert_int_equal(run(&c, "uname -m; uname -r; uname"), 0);
	assert_string_equal(c.out, "aarch64\n5.10\nLinux\n");
}

static void
test_profile_commands(void **state)
{
	struct cap c = { 0 };

	(void)state;
	assert_int_equal(run(&c, "dumpsys battery"), 0);
	assert_string_equal(c.out, "level: 87\n");
	assert_int_equal(run(&c, "pm path com.x"), 1);
	assert_string_equal(c.err, "no such package\n");
	/* Within a line: the words of the command, joined. */
	assert_int_equal(run(&c, "dumpsys   battery | grep level"), 0);
	assert_string_equal(c.out, "level: 87\n");
	assert_int_equal(run(&c, "dumpsys battery --checkin"), 127);
	assert_int_equal(run(&c, "which dumpsys getprop su"), 1);
	assert_string_equal(c.out,
	    "/system/bin/dumpsys\n/system/bin/getprop\n");
}

static void
test_files(void **state)
{
	struct cap c = { 0 };

	(void)state;
	assert_int_equal(run(&c, "ls /sdcard/DCIM"), 0);
	assert_string_equal(c.out, "a.jpg\nb.jpg\n");
	assert_int_equal(run(&c, "cd /storage/emulated/0/DCIM && ls && pwd"),
	    0);
	assert_string_equal(c.out, "a.jpg\nb.jpg\n/storage/emulated/0/DCIM\n");
	assert_int_equal(run(&c, "ls -l /sdcard/DCIM/b.jpg"), 0);
	assert_non_null(strstr(c.out, "-rw-rw---- 1 root everybody 2000 "));
	assert_int_equal(run(&c, "ls /sdcard/nope"), 1);
	assert_string_equal(c.err, "ls: /sdcard/nope: No such file or "
	    "directory\n");
	assert_int_equal(run(&c, "ls /"), 0);
	assert_non_null(strstr(c.out, "sdcard\nsecond_stage_resources\n"));
	assert_int_equal(run(&c, "stat -c '%s %n %F' /sdcard/DCIM/a.jpg "
	    "/sdcard/DCIM"), 0);
	assert_string_equal(c.out, "1000 /sdcard/DCIM/a.jpg regular file\n"
	    "4096 /sdcard/DCIM directory\n");
	assert_int_equal(run(&c, "mkdir -p /sdcard/x/y/z && touch "
	    "/sdcard/x/y/z/f && ls /sdcard/x/y/z && rm -r /sdcard/x && "
	    "ls /sdcard/x"), 1);
	assert_string_equal(c.out, "f\n");
	assert_int_equal(run(&c, "rm /sdcard/DCIM"), 1);
	assert_non_null(strstr(c.err, "Is a directory"));
	assert_int_equal(run(&c, "rm -f /sdcard/none"), 0);
	assert_int_equal(run(&c, "cat /sdcard/../etc/passwd"), 1);
	assert_string_equal(c.err, "cat: /sdcard/../etc/passwd: Permission "
	    "denied\n");
	assert_int_equal(run(&c, "cat /data/system/packages.xml"), 1);
	assert_int_equal(run(&c, "cat /sdcard/t.txt /sdcard/t.txt"), 0);
	assert_int_equal(c.outlen, 28);
}

static void
test_stdin_and_sleep(void **state)
{
	struct cap c = { 0 };

	(void)state;
	c.in = "from stdin\n";
	assert_int_equal(run(&c, "cat"), 0);
	assert_string_equal(c.out, "from stdin\n");
	c.in = "echo scripted; exit 9\necho never\n";
	c.inpos = 0;
	assert_int_equal(run(&c, "sh"), 9);
	assert_string_equal(c.out, "scripted\n");
	c.in = NULL;
	assert_int_equal(run(&c, "sleep 0.25; sleep 1"), 0);
	assert_int_equal(c.slept, 1250);
}

static void
test_reboot(void **state)
{
	struct simsh_io io = { cap_write, cap_read, cap_sleep, NULL };
	struct cap c = { 0 };
	struct simsh sh;

	(void)state;
	io.ctx = &c;
	simsh_init(&sh, prof, vfs, 0);
	assert_int_equal(simsh_run(&sh, "reboot recovery", &io), 0);
	assert_int_equal(sh.rebooting, 1);
	assert_string_equal(sh.reboot, "recovery");
	/* A session keeps its folder and variables between lines. */
	assert_int_equal(simsh_run(&sh, "cd /sdcard/DCIM; V=7", &io), 0);
	assert_int_equal(simsh_run(&sh, "echo $V; ls", &io), 0);
	assert_string_equal(c.out, "7\na.jpg\nb.jpg\n");
	assert_string_equal(simsh_cwd(&sh), "/sdcard/DCIM");
	simsh_done(&sh);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_and_status),
		cmocka_unit_test(test_not_found_and_unsupported),
		cmocka_unit_test(test_redirections),
		cmocka_unit_test(test_pipes),
		cmocka_unit_test(test_props_and_ids),
		cmocka_unit_test(test_profile_commands),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_stdin_and_sleep),
		cmocka_unit_test(test_reboot),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
