/* doctor.c - checks of the bench machine itself, each ending in "ok" or
 * the exact command that fixes it: udev rules, group membership, SSH
 * sessions (uaccess does not reach them), an adb server holding the
 * phones, usbfs, running as root, libusb hotplug.
 *
 * Runs on the caller's thread (the `doctor` command, in the client; it
 * needs no bench server).  It only looks: nothing is installed or changed
 * here. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libusb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adbsrv.h"
#include "doctor.h"
#include "err.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/droidmedic"
#endif

#define RULES_NAME	"51-droidmedic.rules"
#define RULES_GROUP	"plugdev"
#define RULES_MAX	(256 * 1024)	/* bytes read from one rules file */
#define ADB_PROBE_MS	300

#define INSTALL_RULES \
	"sudo install -m 644 " PKGDATADIR "/" RULES_NAME \
	" /etc/udev/rules.d/ && sudo udevadm control --reload && replug " \
	"the phone"

static const char *const rules_dirs[] = {
	"/etc/udev/rules.d",
	"/run/udev/rules.d",
	"/lib/udev/rules.d",
	"/usr/lib/udev/rules.d",
	"/usr/local/lib/udev/rules.d",
};

struct doctor_ctx {
	struct doctor_check *out;
	int max, n;
	int root, ssh, in_group;
	char user[64];
};

static void add(struct doctor_ctx *c, const char *id,
    enum doctor_status st, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
add(struct doctor_ctx *c, const char *id, enum doctor_status st,
    const char *fix, const char *fmt, ...)
{
	struct doctor_check *k;
	va_list ap;

	if (c->n >= c->max)
		return;
	k = &c->out[c->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->id, sizeof(k->id), "%s", id);
	k->status = st;
	va_start(ap, fmt);
	vsnprintf(k->text, sizeof(k->text), fmt, ap);
	va_end(ap);
	snprintf(k->fix, sizeof(k->fix), "%s", fix != NULL ? fix : "");
}

const char *
doctor_status_name(enum doctor_status s)
{
	switch (s) {
	case DOCTOR_OK:
		return "ok";
	case DOCTOR_WARN:
		return "warn";
	case DOCTOR_FAIL:
		return "fail";
	case DOCTOR_INFO:
		return "info";
	}
	return "?";
}

/* Up to RULES_MAX bytes of a file, NUL-terminated; NULL if unreadable. */
static char *
slurp(const char *path, size_t *lenp)
{
	char *buf;
	size_t len = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(RULES_MAX + 1);
	if (buf == NULL) {
		close(fd);
		return NULL;
	}
	while (len < RULES_MAX) {
		r = read(fd, buf + len, RULES_MAX - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

static int
mentions_android(const char *text)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (strncmp(p, "18d1", 4) == 0 || strncmp(p, "18D1", 4) == 0)
			return 1;
		if (strncasecmp(p, "android", 7) == 0)
			return 1;
	}
	return 0;
}

static int
same_file_text(const char *a, const char *b)
{
	size_t la, lb;
	char *x = slurp(a, &la), *y = slurp(b, &lb);
	int same = x != NULL && y != NULL && la == lb &&
	    memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return same;
}

static void
check_rules(struct doctor_ctx *c)
{
	char path[512], other[512] = "";
	size_t i;

	for (i = 0; i < sizeof(rules_dirs) / sizeof(rules_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", rules_dirs[i],
		    RULES_NAME);
		if (access(path, R_OK) != 0)
			continue;
		if (access(PKGDATADIR "/" RULES_NAME, R_OK) == 0 &&
		    !same_file_text(path, PKGDATADIR "/" RULES_NAME)) {
			add(c, "udev-rules", DOCTOR_WARN, INSTALL_RULES,
			    "%s differs from this version's rules", path);
			return;
		}
		add(c, "udev-rules", DOCTOR_OK, NULL, "%s is installed",
		    path);
		return;
	}
	/* Someone else's rules (android-udev-rules, a vendor's) may do. */
	for (i = 0; i < sizeof(rules_dirs) / sizeof(rules_dirs[0]) &&
	    other[0] == '\0'; i++) {
		struct dirent *de;
		DIR *d = opendir(rules_dirs[i]);

		if (d == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			size_t nl = strlen(de->d_name);
			char *text;

			if (nl < 7 || strcmp(de->d_name + nl - 6, ".rules"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", rules_dirs[i],
			    de->d_name);
			text = slurp(path, NULL);
			if (text != NULL && mentions_android(text))
				snprintf(other, sizeof(other), "%s", path);
			free(text);
			if (other[0] != '\0')
				break;
		}
		closedir(d);
	}
	if (other[0] != '\0') {
		add(c, "udev-rules", DOCTOR_WARN, INSTALL_RULES,
		    "no droidmedic rule; %s covers Android phones, maybe not "
		    "EDL, MediaTek or Samsung download mode", other);
		return;
	}
	add(c, "udev-rules", c->root ? DOCTOR_WARN : DOCTOR_FAIL,
	    INSTALL_RULES, "no udev rule gives you access to phones "
	    "(they show up with \"no-permission\")");
}

static void
check_group(struct doctor_ctx *c)
{
	char fix[300];
	struct group *gr;
	gid_t gids[256];
	int n, in_db = 0;

	snprintf(fix, sizeof(fix), "sudo usermod -aG %s %s, then log out "
	    "and in again", RULES_GROUP, c->user);
	if (c->root) {
		add(c, "group", DOCTOR_INFO, NULL, "root needs no group");
		c->in_group = 1;
		return;
	}
	gr = getgrnam(RULES_GROUP);
	if (gr == NULL) {
		snprintf(fix, sizeof(fix), "sudo groupadd --system %s && "
		    "sudo usermod -aG %s %s, then log out and in again",
		    RULES_GROUP, RULES_GROUP, c->user);
		add(c, "group", DOCTOR_WARN, fix, "there is no group %s on "
		    "this machine", RULES_GROUP);
		return;
	}
	if (getegid() == gr->gr_gid)
		c->in_group = 1;
	n = getgroups((int)(sizeof(gids) / sizeof(gids[0])), gids);
	for (int i = 0; i < n; i++)
		if (gids[i] == gr->gr_gid)
			c->in_group = 1;
	if (c->in_group) {
		add(c, "group", DOCTOR_OK, NULL, "you are in group %s",
		    RULES_GROUP);
		return;
	}
	for (char **m = gr->gr_mem; m != NULL && *m != NULL; m++)
		if (strcmp(*m, c->user) == 0)
			in_db = 1;
	if (in_db) {
		add(c, "group", DOCTOR_WARN, "log out and in again (or run "
		    "'newgrp " RULES_GROUP "')", "you were added to %s after "
		    "this session started", RULES_GROUP);
		return;
	}
	add(c, "group", c->ssh ? DOCTOR_FAIL : DOCTOR_WARN, fix,
	    "you are not in group %s%s", RULES_GROUP, c->ssh ?
	    ": over SSH that group is your only way to the phones" :
	    " (the desktop user at this machine gets access via uaccess)");
}

static void
check_ssh(struct doctor_ctx *c)
{
	const char *conn = getenv("SSH_CONNECTION");
	char from[64] = "", fix[300];

	if (!c->ssh) {
		add(c, "ssh", DOCTOR_OK, NULL, "local session");
		return;
	}
	if (conn != NULL)
		sscanf(conn, "%63s", from);
	snprintf(fix, sizeof(fix), "use the group rule: sudo usermod -aG "
	    RULES_GROUP " %s, then log in again", c->user);
	add(c, "ssh", c->in_group ? DOCTOR_INFO : DOCTOR_WARN,
	    c->in_group ? NULL : fix,
	    "over SSH%s%s: uaccess ACLs only reach the user at the local "
	    "seat, the udev rule's %s group is what gives access",
	    from[0] != '\0' ? " from " : "", from, RULES_GROUP);
}

/* 1 when something accepts a TCP connection on 127.0.0.1:port. */
static int
tcp_listening(int port)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	socklen_t sl = sizeof(int);
	int fd, rc, err = 0, up = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc == 0) {
		up = 1;
	} else if (errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, ADB_PROBE_MS) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 &&
		    err == 0)
			up = 1;
	}
	close(fd);
	return up;
}

static void
check_adb(struct doctor_ctx *c)
{
	int port = adbsrv_port();

	if (tcp_listening(port))
		add(c, "adb-server", DOCTOR_WARN, "adb kill-server (if you "
		    "want droidmedic to own USB)", "an adb server listens on "
		    "127.0.0.1:%d and holds the phones it sees; droidmedic "
		    "reaches those through it (adb only, no faster than adb "
		    "itself)", port);
	else
		add(c, "adb-server", DOCTOR_OK, NULL, "no adb server on "
		    "127.0.0.1:%d", port);
}

static void
check_usbfs(struct doctor_ctx *c)
{
	struct dirent *de;
	int buses = 0;
	DIR *d;

	d = opendir("/dev/bus/usb");
	if (d == NULL) {
		int e = errno;

		if (e == ENOENT)
			add(c, "usbfs", DOCTOR_FAIL, "run droidmedic on the "
			    "machine the phones are plugged into, or pass the "
			    "bus into the container (--device /dev/bus/usb)",
			    "no /dev/bus/usb: no USB here (a container or VM "
			    "without USB passthrough?)");
		else
			add(c, "usbfs", DOCTOR_FAIL, "sudo chmod 755 "
			    "/dev/bus/usb", "cannot read /dev/bus/usb: %s",
			    strerror(e));
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (isdigit((unsigned char)de->d_name[0]))
			buses++;
	closedir(d);
	if (access("/sys/bus/usb/devices", R_OK | X_OK) != 0) {
		add(c, "usbfs", DOCTOR_WARN, "mount sysfs on /sys",
		    "/dev/bus/usb has %d bus%s but /sys/bus/usb is missing: "
		    "serials need an open", buses, buses == 1 ? "" : "es");
		return;
	}
	add(c, "usbfs", buses > 0 ? DOCTOR_OK : DOCTOR_WARN, NULL,
	    "/dev/bus/usb has %d bus%s", buses, buses == 1 ? "" : "es");
}

static void
check_root(struct doctor_ctx *c)
{
	if (c->root)
		add(c, "root", DOCTOR_WARN, "run droidmedic as your normal "
		    "user once the udev rule is installed", "running as root: "
		    "it works, but normal users still need the udev rule");
	else
		add(c, "root", DOCTOR_OK, NULL, "running as %s (uid %u)",
		    c->user, (unsigned)getuid());
}

static void
check_hotplug(struct doctor_ctx *c)
{
	const struct libusb_version *v = libusb_get_version();

	if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG))
		add(c, "hotplug", DOCTOR_OK, NULL, "libusb %u.%u.%u with "
		    "hotplug", v->major, v->minor, v->micro);
	else
		add(c, "hotplug", DOCTOR_INFO, NULL, "libusb %u.%u.%u without "
		    "hotplug: phones are found by polling every second",
		    v->major, v->minor, v->micro);
}

int
doctor_run(struct doctor_check *out, int max)
{
	struct doctor_ctx c;
	struct passwd *pw;
	const char *e;

	if (out == NULL || max <= 0)
		return 0;
	memset(&c, 0, sizeof(c));
	c.out = out;
	c.max = max;
	c.root = geteuid() == 0;
	e = getenv("SSH_CONNECTION");
	c.ssh = e != NULL && *e != '\0';
	e = getenv("SSH_CLIENT");
	if (e != NULL && *e != '\0')
		c.ssh = 1;
	pw = getpwuid(getuid());
	snprintf(c.user, sizeof(c.user), "%s",
	    pw != NULL ? pw->pw_name : "$USER");

	check_rules(&c);
	check_group(&c);
	check_ssh(&c);
	check_adb(&c);
	check_usbfs(&c);
	check_root(&c);
	check_hotplug(&c);
	return c.n;
}
