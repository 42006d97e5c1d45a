/* log.c - append-only log file with levels; any thread.
 *
 * Leaves rotation to the user (the file is small: one line per event). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "paths.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_fp;
static char *log_file;
static int log_lvl = LOG_WARN;
static int log_stderr;
static void (*log_tap)(int, const char *, const char *);
static __thread unsigned thread_job;

static const char *const level_names[] = { "ERR", "WARN", "INFO", "DEBUG" };

static int
env_level(void)
{
	const char *e = getenv("DROIDMEDIC_DEBUG");

	if (e == NULL || *e == '\0')
		return -1;
	return atoi(e);
}

int
log_open(const char *path)
{
	char *p;
	FILE *fp;
	int e;

	if (path != NULL)
		p = strdup(path);
	else
		p = paths_state_file("droidmedic.log");
	if (p == NULL)
		return DM_ENOMEM;
	fp = fopen(p, "ae");
	if (fp == NULL) {
		e = errno;
		free(p);
		return dm_from_errno(e);
	}
	setvbuf(fp, NULL, _IOLBF, 0);
	pthread_mutex_lock(&log_lock);
	if (log_fp != NULL)
		fclose(log_fp);
	free(log_file);
	log_fp = fp;
	log_file = p;
	pthread_mutex_unlock(&log_lock);
	if (env_level() >= 0)
		log_lvl = env_level();
	return 0;
}

void
log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fp != NULL)
		fclose(log_fp);
	log_fp = NULL;
	free(log_file);
	log_file = NULL;
	pthread_mutex_unlock(&log_lock);
}

void
log_to_stderr(int on)
{
	log_stderr = on;
}

void
log_set_level(int level)
{
	int e = env_level();

	log_lvl = e >= 0 ? e : level;
}

int
log_level(void)
{
	return log_lvl;
}

const char *
log_path(void)
{
	return log_file;
}

void
log_set_thread_job(unsigned job_id)
{
	thread_job = job_id;
}

void
log_set_tap(void (*tap)(int, const char *, const char *))
{
	log_tap = tap;
}

void
log_msg(int level, const char *module, const char *fmt, ...)
{
	char msg[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > log_lvl)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	if (level < 0)
		level = 0;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;

	pthread_mutex_lock(&log_lock);
	if (log_fp != NULL)
		fprintf(log_fp, "%s.%03ld [%d] job=%u %s %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, (int)getpid(), thread_job,
		    level_names[level], module, msg);
	if (log_stderr)
		fprintf(stderr, "%s %s %s: %s\n", stamp, level_names[level],
		    module, msg);
	pthread_mutex_unlock(&log_lock);
	if (log_tap != NULL)
		log_tap(level, module, msg);
}

char *
log_escape(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (dstlen == 0)
		return dst;
	for (size_t i = 0; i < srclen && src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstlen)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return dst;
}
