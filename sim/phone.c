/* phone.c - one simulated phone's life (see phone.h): its port, its
 * connections, reboots between modes.
 *
 * Threads: the phone's own thread accepts connections, starts a thread
 * for each (adbd_serve) and carries out reboots and the final stop.
 * Service threads ask for reboots through phone_reboot(); the main thread
 * wakes phones with phone_wake() and stops them with phone_free().
 * Lock order: ph->lock before a connection's lock, never the other way;
 * ph->claim_lock is taken alone. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "adbd.h"
#include "appstate.h"
#include "err.h"
#include "fbd.h"
#include "log.h"
#include "paths.h"
#include "phone.h"
#include "vfs.h"
#include "xmem.h"

#define RELISTEN_MS	5000	/* after a reboot, retry the port */

struct phone {
	struct profile *prof;
	char *dir, *keys;
	struct vfs *vfs;
	struct fault *faults;
	size_t nfaults;
	uint8_t *claimed;
	pthread_mutex_t claim_lock;
	int port;
	int lfd;
	int wake[2];		/* pipe: reboot, wake, stop */
	pthread_t th;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* connection threads end; wake/stop */
	enum sim_mode mode;
	int down;		/* adb side down: new connections kicked */
	int stop;
	int woken;
	int wiped;		/* userdata erased: next boot has adb off */
	int adb_off;		/* booted after a wipe: port closed until
				 * SIGUSR1 (debugging turned on again) */
	char target[64];	/* pending reboot */
	int reboot;
	struct adbd_conn **conns;
	size_t nconns, cap;
	int *fds;		/* fastboot connections */
	size_t nfds, fdcap;
	struct fbstate *fb;
	struct appstate *apps;	/* apps, properties, events */
	int nthreads;		/* connection threads alive */
	unsigned seq;		/* connection numbers, for logs */
};

static pthread_mutex_t say_lock = PTHREAD_MUTEX_INITIALIZER;

void
phone_say(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&say_lock);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&say_lock);
}

const struct profile *
phone_profile(const struct phone *ph)
{
	return ph->prof;
}

const char *
phone_serial(const struct phone *ph)
{
	return ph->prof->serial;
}

int
phone_port(const struct phone *ph)
{
	return ph->port;
}

struct vfs *
phone_vfs(const struct phone *ph)
{
	return ph->vfs;
}

const char *
phone_dir(const struct phone *ph)
{
	return ph->dir;
}

const char *
phone_keys_path(const struct phone *ph)
{
	return ph->keys;
}

enum sim_mode
phone_mode(struct phone *ph)
{
	enum sim_mode m;

	pthread_mutex_lock(&ph->lock);
	m = ph->mode;
	pthread_mutex_unlock(&ph->lock);
	return m;
}

const struct fault *
phone_faults(const struct phone *ph, size_t *n)
{
	*n = ph->nfaults;
	return ph->faults;
}

int
phone_fault_claim(struct phone *ph, size_t i)
{
	int first;

	pthread_mutex_lock(&ph->claim_lock);
	first = i < ph->nfaults && !ph->claimed[i];
	if (first)
		ph->claimed[i] = 1;
	pthread_mutex_unlock(&ph->claim_lock);
	return first;
}

static void
poke(struct phone *ph)
{
	char b = 1;

	if (write(ph->wake[1], &b, 1) < 0 && errno != EAGAIN)
		log_warn("sim", "%s: wake pipe: %s", ph->prof->serial,
		    strerror(errno));
}

void
phone_reboot(struct phone *ph, const char *target)
{
	pthread_mutex_lock(&ph->lock);
	snprintf(ph->target, sizeof(ph->target), "%s", target);
	ph->reboot = 1;
	pthread_mutex_unlock(&ph->lock);
	poke(ph);
}

void
phone_wake(struct phone *ph)
{
	pthread_mutex_lock(&ph->lock);
	ph->woken = 1;
	pthread_cond_broadcast(&ph->cond);
	pthread_mutex_unlock(&ph->lock);
	poke(ph);
}

int
phone_wipe_userdata(struct phone *ph)
{
	int rc = vfs_wipe(ph->vfs);

	if (unlink(ph->keys) < 0 && errno != ENOENT && rc == 0)
		rc = -errno;
	pthread_mutex_lock(&ph->lock);
	ph->wiped = 1;
	pthread_mutex_unlock(&ph->lock);
	return rc;
}

void
phone_conn_add(struct phone *ph, struct adbd_conn *c)
{
	pthread_mutex_lock(&ph->lock);
	if (ph->nconns == ph->cap) {
		ph->cap = ph->cap ? ph->cap * 2 : 8;
		ph->conns = xrealloc(ph->conns, ph->cap * sizeof(*ph->conns));
	}
	ph->conns[ph->nconns++] = c;
	/* Accepted just as the phone went down: it goes too. */
	if (ph->down)
		adbd_conn_kick(c);
	pthread_mutex_unlock(&ph->lock);
}

void
phone_conn_del(struct phone *ph, struct adbd_conn *c)
{
	pthread_mutex_lock(&ph->lock);
	for (size_t i = 0; i < ph->nconns; i++)
		if (ph->conns[i] == c) {
			ph->conns[i] = ph->conns[--ph->nconns];
			break;
		}
	pthread_mutex_unlock(&ph->lock);
}

void
phone_fd_add(struct phone *ph, int fd)
{
	pthread_mutex_lock(&ph->lock);
	if (ph->nfds == ph->fdcap) {
		ph->fdcap = ph->fdcap ? ph->fdcap * 2 : 4;
		ph->fds = xrealloc(ph->fds, ph->fdcap * sizeof(*ph->fds));
	}
	ph->fds[ph->nfds++] = fd;
	if (ph->down)
		shutdown(fd, SHUT_RDWR);
	pthread_mutex_unlock(&ph->lock);
}

void
phone_fd_del(struct phone *ph, int fd)
{
	pthread_mutex_lock(&ph->lock);
	for (size_t i = 0; i < ph->nfds; i++)
		if (ph->fds[i] == fd) {
			ph->fds[i] = ph->fds[--ph->nfds];
			break;
		}
	pthread_mutex_unlock(&ph->lock);
}

struct appstate *
phone_appstate(struct phone *ph)
{
	return ph->apps;
}

struct fbstate *
phone_fastboot(struct phone *ph)
{
	return ph->fb;
}

/* In fastboot now: the profile has it and the mode is one of its two. */
static int
in_fastboot(struct phone *ph)
{
	return ph->fb != NULL && (ph->mode == SIM_MODE_BOOTLOADER ||
	    ph->mode == SIM_MODE_FASTBOOTD);
}

static int
listen_on(int port, int *out, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);	/* loopback only */
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return dm_fail(err, errlen, dm_from_errno(errno), "socket: %s",
		    strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		int e = errno;

		close(fd);
		return dm_fail(err, errlen, e == EADDRINUSE ? DM_EBUSY :
		    dm_from_errno(e), "127.0.0.1:%d: %s", port, strerror(e));
	}
	*out = fd;
	return ntohs(sa.sin_port);
}

/* The user apps' APKs under /data/app, as `pm path` names them: the
 * base and each split, of a size and content fixed by the name (so a
 * backup of them can be compared byte for byte). */
static int
put_apks(struct vfs *v, const struct profile *prof, char *err,
    size_t errlen)
{
	for (size_t i = 0; i < prof->npkgs; i++) {
		const struct sim_package *pk = &prof->pkgs[i];

		if (pk->system)
			continue;
		for (size_t k = 0; k <= pk->nsplits; k++) {
			char path[512];
			uint64_t seed, size;
			int rc;

			if (k == 0)
				snprintf(path, sizeof(path),
				    "/data/app/%s-1/base.apk", pk->name);
			else
				snprintf(path, sizeof(path),
				    "/data/app/%s-1/split_%s.apk", pk->name,
				    pk->splits[k - 1]);
			vfs_apk_spec(pk->name, k, &seed, &size);
			rc = vfs_put_pattern(v, path, seed, size);
			if (rc < 0)
				return dm_fail(err, errlen, dm_from_errno(-rc),
				    "%s: %s", path, strerror(-rc));
		}
	}
	return 0;
}

int
phone_new(struct phone **out, struct profile *prof, const char *state,
    int port, const struct fault *extra, size_t nextra, char *err,
    size_t errlen)
{
	struct phone *ph = xcalloc(1, sizeof(*ph));
	int rc;

	*out = NULL;
	ph->prof = prof;
	ph->lfd = -1;
	ph->wake[0] = ph->wake[1] = -1;
	ph->mode = prof->mode;
	ph->fb = fbstate_new(prof);
	ph->apps = appstate_new(prof);
	if (ph->mode == SIM_MODE_FASTBOOTD && !fbstate_has_fastbootd(ph->fb)) {
		fbstate_free(ph->fb);
		appstate_free(ph->apps);
		free(ph);
		return dm_fail(err, errlen, DM_EINVAL, "%s: mode fastbootd "
		    "needs a \"fastboot\": \"fastbootd\" capture",
		    prof->path);
	}
	pthread_mutex_init(&ph->lock, NULL);
	pthread_mutex_init(&ph->claim_lock, NULL);
	pthread_cond_init(&ph->cond, NULL);
	ph->nfaults = prof->nfaults + nextra;
	ph->faults = xcalloc(ph->nfaults + 1, sizeof(*ph->faults));
	ph->claimed = xcalloc(ph->nfaults + 1, 1);
	if (prof->nfaults > 0)
		memcpy(ph->faults, prof->faults,
		    prof->nfaults * sizeof(*ph->faults));
	if (nextra > 0)
		memcpy(ph->faults + prof->nfaults, extra,
		    nextra * sizeof(*ph->faults));
	rc = paths_mkdirs(state, 0700);
	if (rc < 0) {
		rc = dm_fail(err, errlen, dm_from_errno(-rc), "state directory "
		    "%s: %s", state, strerror(-rc));
		goto out;
	}
	ph->dir = xasprintf("%s/%s", state, prof->serial);
	ph->keys = xasprintf("%s/adb_keys", ph->dir);
	rc = vfs_new(&ph->vfs, ph->dir);
	if (rc < 0) {
		rc = dm_fail(err, errlen, dm_from_errno(-rc), "%s: %s", ph->dir,
		    strerror(-rc));
		goto out;
	}
	rc = vfs_populate(ph->vfs, prof->storage, prof->nstorage, err, errlen);
	if (rc < 0) {
		char detail[256];

		snprintf(detail, sizeof(detail), "%s", err);
		rc = dm_fail(err, errlen, dm_from_errno(-rc), "%s: %s",
		    prof->path, detail);
		goto out;
	}
	rc = put_apks(ph->vfs, prof, err, errlen);
	if (rc < 0)
		goto out;
	appstate_set_vfs(ph->apps, ph->vfs);
	appstate_boot_files(ph->apps, ph->vfs);	/* the first boot */
	if (pipe2(ph->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		rc = dm_fail(err, errlen, dm_from_errno(errno), "pipe: %s",
		    strerror(errno));
		goto out;
	}
	rc = listen_on(port, &ph->lfd, err, errlen);
	if (rc < 0)
		goto out;
	ph->port = rc;
	rc = 0;
out:
	if (rc < 0) {
		ph->prof = NULL;	/* the caller keeps its profile */
		phone_free(ph);
		return rc;
	}
	*out = ph;
	return 0;
}

static void
say_up(struct phone *ph)
{
	phone_say("sim: %s %s tcp:127.0.0.1:%d %s", ph->prof->serial,
	    in_fastboot(ph) ? "fastboot" : "adb", ph->port,
	    profile_mode_name(ph->mode));
}

struct conn_arg {
	struct phone *ph;
	int fd;
	char name[96];
};

static void *
conn_main(void *arg)
{
	struct conn_arg *a = arg;
	struct phone *ph = a->ph;
	int fastboot;

	pthread_mutex_lock(&ph->lock);
	fastboot = in_fastboot(ph);
	pthread_mutex_unlock(&ph->lock);
	if (fastboot)
		fbd_serve(ph, a->fd, a->name);
	else
		adbd_serve(ph, a->fd, a->name);
	free(a);
	/* OpenSSL's state for this thread (the DRBGs behind an AUTH
	 * token) goes now: once nthreads says so the process may exit,
	 * before a detached thread's own exit would have freed it. */
	OPENSSL_thread_stop();
	pthread_mutex_lock(&ph->lock);
	ph->nthreads--;
	pthread_cond_broadcast(&ph->cond);
	pthread_mutex_unlock(&ph->lock);
	return NULL;
}

static void
accept_one(struct phone *ph)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct conn_arg *a;
	pthread_attr_t attr;
	pthread_t th;
	int fd;

	fd = accept4(ph->lfd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	a = xcalloc(1, sizeof(*a));
	a->ph = ph;
	a->fd = fd;
	snprintf(a->name, sizeof(a->name), "%s#%u(:%u)", ph->prof->serial,
	    ++ph->seq, ntohs(sa.sin_port));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&ph->lock);
	ph->nthreads++;
	pthread_mutex_unlock(&ph->lock);
	if (pthread_create(&th, &attr, conn_main, a) != 0) {
		log_err("sim", "%s: no thread for a connection",
		    ph->prof->serial);
		close(fd);
		free(a);
		pthread_mutex_lock(&ph->lock);
		ph->nthreads--;
		pthread_mutex_unlock(&ph->lock);
	}
	pthread_attr_destroy(&attr);
}

/* Close the port and every connection; wait for their threads. */
static void
go_down(struct phone *ph)
{
	pthread_mutex_lock(&ph->lock);
	ph->down = 1;
	for (size_t i = 0; i < ph->nconns; i++)
		adbd_conn_kick(ph->conns[i]);
	for (size_t i = 0; i < ph->nfds; i++)
		shutdown(ph->fds[i], SHUT_RDWR);
	pthread_mutex_unlock(&ph->lock);
	if (ph->lfd >= 0) {
		close(ph->lfd);
		ph->lfd = -1;
	}
	pthread_mutex_lock(&ph->lock);
	while (ph->nthreads > 0)
		pthread_cond_wait(&ph->cond, &ph->lock);
	pthread_mutex_unlock(&ph->lock);
}

/* Wait ms (forever when negative) or until stopped, or woken when
 * wakeable.  1 when stopped. */
static int
stay_away(struct phone *ph, int ms, int wakeable)
{
	struct timespec by;
	int stopped;

	clock_gettime(CLOCK_REALTIME, &by);
	by.tv_sec += ms / 1000;
	by.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (by.tv_nsec >= 1000000000L) {
		by.tv_sec++;
		by.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&ph->lock);
	ph->woken = 0;
	while (!ph->stop && !(wakeable && ph->woken) &&
	    pthread_cond_timedwait(&ph->cond, &ph->lock, &by) != ETIMEDOUT)
		;
	stopped = ph->stop;
	pthread_mutex_unlock(&ph->lock);
	return stopped;
}

static int
relisten(struct phone *ph)
{
	char err[256];
	int rc = DM_EBUSY;

	for (int waited = 0; waited < RELISTEN_MS; waited += 100) {
		rc = listen_on(ph->port, &ph->lfd, err, sizeof(err));
		if (rc >= 0)
			return 0;
		usleep(100000);
	}
	log_err("sim", "%s: cannot listen again: %s", ph->prof->serial, err);
	return rc;
}

/* The whole reboot, on the phone's thread. */
static void
do_reboot(struct phone *ph, const char *target)
{
	enum sim_mode next = SIM_MODE_DEVICE;
	int away = 0;

	if (strcmp(target, "recovery") == 0)
		next = SIM_MODE_RECOVERY;
	else if (strcmp(target, "sideload") == 0 ||
	    strcmp(target, "sideload-auto-reboot") == 0)
		next = SIM_MODE_SIDELOAD;
	else if (strcmp(target, "fastboot") == 0 &&
	    fbstate_has_fastbootd(ph->fb))
		next = SIM_MODE_FASTBOOTD;
	else if ((strcmp(target, "bootloader") == 0 ||
	    strcmp(target, "fastboot") == 0) && ph->fb != NULL)
		next = SIM_MODE_BOOTLOADER;
	else if (strcmp(target, "bootloader") == 0 ||
	    strcmp(target, "fastboot") == 0 || strcmp(target, "shutdown") == 0)
		away = 1;
	phone_say("sim: %s down %s", ph->prof->serial,
	    target[0] ? target : "reboot");
	go_down(ph);
	if (away) {
		pthread_mutex_lock(&ph->lock);
		ph->mode = SIM_MODE_BOOTLOADER;
		pthread_mutex_unlock(&ph->lock);
		/* No fastboot in the profile (or switched off): back as a
		 * device on SIGUSR1 or timeout. */
		if (stay_away(ph, ph->prof->bootloader_ms, 1))
			return;
		next = SIM_MODE_DEVICE;
	} else if (stay_away(ph, ph->prof->reboot_ms, 0)) {
		return;
	}
	if (next == SIM_MODE_DEVICE && ph->wiped) {
		/* A reset phone starts its setup wizard with USB debugging
		 * off: nothing answers on the port. */
		appstate_boot_files(ph->apps, ph->vfs);
		appstate_event(ph->apps, "reboot");
		pthread_mutex_lock(&ph->lock);
		ph->wiped = 0;
		ph->adb_off = 1;
		ph->woken = 0;
		ph->mode = next;
		pthread_mutex_unlock(&ph->lock);
		phone_say("sim: %s adb off (userdata was erased: USB "
		    "debugging is off until the phone is set up; SIGUSR1 "
		    "turns it on)", ph->prof->serial);
		return;
	}
	if (relisten(ph) < 0)
		return;
	/* Booted into Android: what waited for a reboot now shows. */
	if (next == SIM_MODE_DEVICE) {
		appstate_boot_files(ph->apps, ph->vfs);
		appstate_event(ph->apps, "reboot");
	}
	pthread_mutex_lock(&ph->lock);
	ph->mode = next;
	ph->down = 0;
	pthread_mutex_unlock(&ph->lock);
	say_up(ph);
}

/* After a wipe, SIGUSR1 is the technician turning USB debugging on:
 * 1 when the port listens again. */
static int
back_on(struct phone *ph)
{
	int want;

	pthread_mutex_lock(&ph->lock);
	want = ph->adb_off && ph->woken;
	pthread_mutex_unlock(&ph->lock);
	if (!want || relisten(ph) < 0)
		return 0;
	pthread_mutex_lock(&ph->lock);
	ph->adb_off = 0;
	ph->woken = 0;
	ph->down = 0;
	pthread_mutex_unlock(&ph->lock);
	return 1;
}

static void *
phone_main(void *arg)
{
	struct phone *ph = arg;

	if (ph->mode == SIM_MODE_BOOTLOADER && ph->fb == NULL)
		phone_reboot(ph, "bootloader");
	for (;;) {
		struct pollfd p[2] = { { ph->wake[0], POLLIN, 0 },
		    { ph->lfd, POLLIN, 0 } };
		char target[64], buf[64];
		int reboot, stop;

		if (poll(p, ph->lfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			break;
		while (read(ph->wake[0], buf, sizeof(buf)) > 0)
			;
		pthread_mutex_lock(&ph->lock);
		stop = ph->stop;
		reboot = ph->reboot;
		ph->reboot = 0;
		snprintf(target, sizeof(target), "%s", ph->target);
		pthread_mutex_unlock(&ph->lock);
		if (stop)
			break;
		if (!reboot && back_on(ph)) {
			say_up(ph);
			continue;
		}
		if (reboot) {
			do_reboot(ph, target);
			continue;
		}
		if (ph->lfd >= 0 && (p[1].revents & POLLIN))
			accept_one(ph);
	}
	go_down(ph);
	return NULL;
}

int
phone_start(struct phone *ph)
{
	if (ph->mode != SIM_MODE_BOOTLOADER || ph->fb != NULL)
		say_up(ph);
	if (pthread_create(&ph->th, NULL, phone_main, ph) != 0)
		return DM_ENOMEM;
	ph->started = 1;
	return 0;
}

void
phone_free(struct phone *ph)
{
	if (ph == NULL)
		return;
	if (ph->started) {
		pthread_mutex_lock(&ph->lock);
		ph->stop = 1;
		pthread_cond_broadcast(&ph->cond);
		pthread_mutex_unlock(&ph->lock);
		poke(ph);
		pthread_join(ph->th, NULL);
	}
	if (ph->lfd >= 0)
		close(ph->lfd);
	if (ph->wake[0] >= 0) {
		close(ph->wake[0]);
		close(ph->wake[1]);
	}
	vfs_free(ph->vfs);
	pthread_mutex_destroy(&ph->lock);
	pthread_mutex_destroy(&ph->claim_lock);
	pthread_cond_destroy(&ph->cond);
	free(ph->conns);
	free(ph->fds);
	fbstate_free(ph->fb);
	appstate_free(ph->apps);
	free(ph->faults);
	free(ph->claimed);
	free(ph->dir);
	free(ph->keys);
	free(ph);
}
