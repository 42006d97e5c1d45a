/* demo.c - demo phones from droidmedic-sim (see demo.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adbmgr.h"
#include "demo.h"
#include "dev.h"
#include "err.h"
#include "log.h"
#include "paths.h"
#include "xmem.h"

#define READY_WAIT_MS	15000
#define MAX_PROFILES	16

struct demo {
	struct adbmgr *adb;
	pid_t pid;		/* the simulator, 0 when none */
	pthread_t th;
	int th_running;
	atomic_int stop;
	char ports[PATH_MAX];
	char serials[MAX_PROFILES][96];	/* "127.0.0.1:PORT" we added */
	int nserials;
	int nprofiles;
	pthread_mutex_t lock;
};

struct demo *
demo_new(struct adbmgr *adb)
{
	struct demo *d = xcalloc(1, sizeof(*d));

	d->adb = adb;
	atomic_init(&d->stop, 0);
	pthread_mutex_init(&d->lock, NULL);
	return d;
}

static int
is_exe(const char *p)
{
	return access(p, X_OK) == 0;
}

static void
find_sim(const char *given, char *out, size_t len)
{
	const char *env = given ? given : getenv("DROIDMEDIC_SIM");
	char dir[PATH_MAX];

	if (env != NULL && *env != '\0') {
		snprintf(out, len, "%s", env);
		return;
	}
	paths_self_dir(dir, sizeof(dir));
	if (dir[0] != '\0') {
		snprintf(out, len, "%s/droidmedic-sim", dir);
		if (is_exe(out))
			return;
	}
	snprintf(out, len, "droidmedic-sim");	/* on PATH */
}

static int
find_profiles(const char *given, char *out, size_t len)
{
	return paths_data_dir(given ? given : getenv("DROIDMEDIC_PROFILES"),
	    "profiles", "sim/profiles", out, len) < 0 ? DM_ENOENT : 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The profiles' paths, sorted; returns how many (argv-ready). */
static int
list_profiles(const char *dir, char **out, int max)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (dp == NULL)
		return 0;
	while ((e = readdir(dp)) != NULL && n < max) {
		size_t l = strlen(e->d_name);

		if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0)
			out[n++] = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(dp);
	qsort(out, (size_t)n, sizeof(*out), cmp_str);
	return n;
}

/* Wait for the simulator's ports file, then add each phone. */
static void *
ready_main(void *arg)
{
	struct demo *d = arg;
	int64_t until = dm_mono_ms() + READY_WAIT_MS;
	FILE *fp = NULL;
	char line[256];

	while (!atomic_load(&d->stop) && dm_mono_ms() < until) {
		fp = fopen(d->ports, "r");
		if (fp != NULL)
			break;
		usleep(100 * 1000);
	}
	if (fp == NULL) {
		if (!atomic_load(&d->stop))
			log_err("demo", "the simulator did not come up in %d s "
			    "(see demo-sim.log)", READY_WAIT_MS / 1000);
		return NULL;
	}
	while (fgets(line, sizeof(line), fp) != NULL &&
	    !atomic_load(&d->stop)) {
		char serial[128], addr[96], err[256];
		unsigned job;
		int port;

		if (sscanf(line, "%127s %d", serial, &port) != 2 ||
		    port <= 0 || port > 65535)
			continue;
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
		if (adbmgr_connect(d->adb, addr, 1, &job, err,
		    sizeof(err)) < 0) {
			log_err("demo", "%s: %s", serial, err);
			continue;
		}
		log_info("demo", "demo phone %s on %s", serial, addr);
		pthread_mutex_lock(&d->lock);
		if (d->nserials < MAX_PROFILES)
			snprintf(d->serials[d->nserials++],
			    sizeof(d->serials[0]), "%s", addr);
		pthread_mutex_unlock(&d->lock);
	}
	fclose(fp);
	return NULL;
}

int
demo_running(struct demo *d, int *pid)
{
	if (d->pid > 0 && waitpid(d->pid, NULL, WNOHANG) == d->pid) {
		log_warn("demo", "the simulator (pid %d) exited",
		    (int)d->pid);
		d->pid = 0;
	}
	if (pid != NULL)
		*pid = (int)d->pid;
	return d->pid > 0;
}

int
demo_start(struct demo *d, const struct demo_paths *p, char *err,
    size_t errlen)
{
	const char *fix = p->fixtures ? p->fixtures :
	    getenv("DROIDMEDIC_FIXTURES");
	char sim[PATH_MAX], prof[PATH_MAX];
	char *profiles[MAX_PROFILES], *state, *logf, *rt;
	char *argv[MAX_PROFILES + 10];
	int n, argc = 0, fd;
	pid_t pid;

	if (demo_running(d, NULL))
		return 0;
	if (d->th_running) {
		atomic_store(&d->stop, 1);
		pthread_join(d->th, NULL);
		d->th_running = 0;
	}
	find_sim(p->sim, sim, sizeof(sim));
	if (find_profiles(p->profiles, prof, sizeof(prof)) < 0)
		return dm_fail(err, errlen, DM_ENOENT, "no demo profiles found "
		    "(set DROIDMEDIC_PROFILES to droidmedic's sim/profiles)");
	n = list_profiles(prof, profiles, MAX_PROFILES);
	/* Phones in the bootloader or fastbootd too (profiles/fastboot/),
	 * and phones with a problem to diagnose and repair (profiles/diag/),
	 * when there are some. */
	if (n > 0) {
		static const char *const sub[] = { "fastboot", "diag" };
		char fb[PATH_MAX + 16];

		for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
			snprintf(fb, sizeof(fb), "%s/%s", prof, sub[i]);
			n += list_profiles(fb, profiles + n, MAX_PROFILES - n);
		}
	}
	if (n == 0)
		return dm_fail(err, errlen, DM_ENOENT, "no *.json profiles in "
		    "%s", prof);
	rt = paths_runtime_file("demo.ports");
	state = paths_state_file("demo-sim");
	logf = paths_state_file("demo-sim.log");
	if (rt == NULL || state == NULL || logf == NULL) {
		free(rt);
		free(state);
		free(logf);
		for (int i = 0; i < n; i++)
			free(profiles[i]);
		return dm_fail(err, errlen, DM_EIO, "cannot make the demo's "
		    "files: %s", strerror(errno));
	}
	snprintf(d->ports, sizeof(d->ports), "%s", rt);
	unlink(d->ports);
	argv[argc++] = sim;
	argv[argc++] = (char *)"--state";
	argv[argc++] = state;
	argv[argc++] = (char *)"--ports-file";
	argv[argc++] = rt;
	if (fix != NULL && *fix != '\0') {
		argv[argc++] = (char *)"--fixtures";
		argv[argc++] = (char *)fix;
	}
	for (int i = 0; i < n; i++)
		argv[argc++] = profiles[i];
	argv[argc] = NULL;
	fd = open(logf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		sigset_t none;

		/* The simulator dies with the server, whatever happens. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (nul >= 0)
			dup2(nul, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(sim, argv);
		fprintf(stderr, "cannot run %s: %s\n", sim, strerror(errno));
		_exit(127);
	}
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < n; i++)
		free(profiles[i]);
	free(rt);
	free(state);
	free(logf);
	if (pid < 0)
		return dm_fail(err, errlen, DM_EIO, "fork: %s",
		    strerror(errno));
	d->pid = pid;
	d->nprofiles = n;
	log_info("demo", "started %s (pid %d) with %d profiles from %s", sim,
	    (int)pid, n, prof);
	atomic_store(&d->stop, 0);
	d->nserials = 0;
	if (pthread_create(&d->th, NULL, ready_main, d) == 0)
		d->th_running = 1;
	return 0;
}

int
demo_stop(struct demo *d)
{
	int was = d->pid > 0 || d->th_running;

	atomic_store(&d->stop, 1);
	if (d->th_running) {
		pthread_join(d->th, NULL);
		d->th_running = 0;
	}
	for (int i = 0; i < d->nserials; i++) {
		char err[256];

		adbmgr_disconnect(d->adb, d->serials[i], err, sizeof(err));
	}
	d->nserials = 0;
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		for (int i = 0; i < 30; i++) {
			if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
				d->pid = 0;
				break;
			}
			usleep(100 * 1000);
		}
		if (d->pid > 0) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, NULL, 0);
			d->pid = 0;
		}
		log_info("demo", "simulator stopped");
	}
	if (d->ports[0] != '\0')
		unlink(d->ports);
	return was ? 0 : DM_ENOENT;
}

int
demo_phones(const struct demo *d)
{
	return d->pid > 0 ? d->nprofiles : 0;
}

void
demo_free(struct demo *d)
{
	if (d == NULL)
		return;
	demo_stop(d);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
