/* client.c - the client side of the server protocol (see client.h).
 * Single-threaded: the dashboard's loop or a CLI command. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "dev.h"
#include "err.h"
#include "log.h"
#include "paths.h"
#include "proto.h"
#include "xmem.h"

#define START_WAIT_MS	5000

struct qmsg {
	cJSON *msg;
	struct qmsg *next;
};

struct client {
	int fd;
	unsigned next_id;
	struct linebuf in;
	struct qmsg *head, *tail;	/* events not yet taken */
	cJSON *hello;
};

static char *server_exe;

void
client_set_server_exe(const char *path)
{
	free(server_exe);
	server_exe = path ? xstrdup(path) : NULL;
}

static int
try_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Start `droidmedic server start --foreground` detached from us: double
 * fork, new session, stdio on /dev/null (it logs to its file).  The
 * intermediate child is reaped here so no zombie is left. */
static int
spawn_server(char *err, size_t errlen)
{
	char self[4096];
	const char *exe = server_exe;
	pid_t pid;
	int status;

	if (exe == NULL) {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n < 0)
			return dm_fail(err, errlen, DM_EIO,
			    "cannot find my own executable: %s",
			    strerror(errno));
		self[n] = '\0';
		exe = self;
	}
	pid = fork();
	if (pid < 0)
		return dm_fail(err, errlen, DM_EIO, "fork: %s",
		    strerror(errno));
	if (pid == 0) {
		int fd;

		sigset_t none;

		/* The dashboard may have signals blocked or handled: the
		 * server starts with a clean mask and default actions. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		setsid();
		signal(SIGHUP, SIG_IGN);
		if (fork() != 0)
			_exit(0);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		/* Nothing of the client's but the three: a test's log or a
		 * pipe held open by a long-lived server keeps its reader
		 * waiting. */
		{
			long max = sysconf(_SC_OPEN_MAX);

			if (max < 0 || max > 65536)
				max = 65536;
			for (int i = 3; i < (int)max; i++)
				close(i);
		}
		if (chdir("/") < 0)
			_exit(127);
		execl(exe, exe, "server", "start", "--foreground",
		    (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

/* Keep an event (taken) for client_next_event(). */
static void
queue_event(struct client *c, cJSON *m)
{
	struct qmsg *q = xcalloc(1, sizeof(*q));

	q->msg = m;
	if (c->tail)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
}

static int
read_reply(struct client *c, unsigned id, cJSON **out, int timeout_ms,
    char *err, size_t errlen)
{
	int64_t deadline = dm_mono_ms() + timeout_ms;

	for (;;) {
		char *line;

		while ((line = linebuf_next(&c->in)) != NULL) {
			cJSON *m = cJSON_Parse(line);
			const cJSON *jid;

			free(line);
			if (m == NULL)
				return dm_fail(err, errlen, DM_EPROTO,
				    "server sent something that is not JSON");
			if (cJSON_GetObjectItemCaseSensitive(m, "event")) {
				queue_event(c, m);
				continue;
			}
			jid = cJSON_GetObjectItemCaseSensitive(m, "id");
			if (!cJSON_IsNumber(jid) ||
			    (unsigned)jid->valuedouble != id) {
				cJSON_Delete(m);
				continue;	/* a reply to nothing of ours */
			}
			*out = m;
			return 0;
		}
		{
			int left = (int)(deadline - dm_mono_ms());
			struct pollfd p = { .fd = c->fd, .events = POLLIN };
			int rc;

			if (left <= 0)
				return dm_fail(err, errlen, DM_ETIMEOUT,
				    "the server did not answer in %d ms",
				    timeout_ms);
			rc = poll(&p, 1, left);
			if (rc < 0 && errno != EINTR)
				return dm_fail(err, errlen, DM_EIO, "poll: %s",
				    strerror(errno));
			if (rc <= 0)
				continue;
			rc = linebuf_fill(&c->in, c->fd);
			if (rc < 0)
				return dm_fail(err, errlen, rc == DM_ECLOSED ?
				    DM_ECONN : rc,
				    "lost the connection to the server");
		}
	}
}

int
client_call(struct client *c, const char *op, cJSON *params, cJSON **result,
    int timeout_ms, char *err, size_t errlen)
{
	unsigned id = c->next_id++;
	cJSON *req = proto_request(id, op, params), *rep = NULL;
	const cJSON *ok, *e;
	size_t len;
	char *line;
	int rc;

	if (result != NULL)
		*result = NULL;
	line = proto_encode(req, &len);
	cJSON_Delete(req);
	if (line == NULL)
		return dm_fail(err, errlen, DM_EINVAL, "request too large");
	rc = proto_write_all(c->fd, line, len, timeout_ms);
	free(line);
	if (rc < 0)
		return dm_fail(err, errlen, DM_ECONN,
		    "cannot send to the server: %s", dm_strerror(rc));
	rc = read_reply(c, id, &rep, timeout_ms, err, errlen);
	if (rc < 0)
		return rc;
	ok = cJSON_GetObjectItemCaseSensitive(rep, "ok");
	if (!cJSON_IsTrue(ok)) {
		const cJSON *code, *msg;

		e = cJSON_GetObjectItemCaseSensitive(rep, "error");
		code = cJSON_GetObjectItemCaseSensitive(e, "code");
		msg = cJSON_GetObjectItemCaseSensitive(e, "message");
		rc = dm_errcode(cJSON_IsString(code) ? code->valuestring :
		    NULL);
		dm_fail(err, errlen, rc, "%s", cJSON_IsString(msg) ?
		    msg->valuestring : dm_strerror(rc));
		cJSON_Delete(rep);
		return rc < 0 ? rc : DM_EIO;
	}
	if (result != NULL)
		*result = cJSON_DetachItemFromObjectCaseSensitive(rep,
		    "result");
	cJSON_Delete(rep);
	return 0;
}

struct client *
client_connect(int autostart, const char *name, char *err, size_t errlen)
{
	char *path = paths_socket();
	struct client *c;
	cJSON *params;
	int fd, rc;

	if (path == NULL) {
		dm_fail(err, errlen, DM_EACCES,
		    "cannot use the runtime directory: %s", strerror(errno));
		return NULL;
	}
	fd = try_connect(path);
	if (fd < 0 && autostart && (errno == ENOENT || errno == ECONNREFUSED)) {
		int64_t deadline = dm_mono_ms() + START_WAIT_MS;

		if (spawn_server(err, errlen) < 0) {
			free(path);
			return NULL;
		}
		while (fd < 0 && dm_mono_ms() < deadline) {
			usleep(20 * 1000);
			fd = try_connect(path);
		}
	}
	if (fd < 0) {
		dm_fail(err, errlen, DM_ECONN, "no bench server on %s (%s)%s",
		    path, strerror(errno), autostart ? "" :
		    "; start one with `droidmedic server start`");
		free(path);
		return NULL;
	}
	free(path);
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->next_id = 1;
	linebuf_init(&c->in, PROTO_MAX_LINE);
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "client", name ? name : "cli");
	rc = client_call(c, "hello", params, &c->hello, 5000, err, errlen);
	if (rc < 0) {
		client_free(c);
		return NULL;
	}
	return c;
}

void
client_free(struct client *c)
{
	struct qmsg *q, *n;

	if (c == NULL)
		return;
	for (q = c->head; q != NULL; q = n) {
		n = q->next;
		cJSON_Delete(q->msg);
		free(q);
	}
	cJSON_Delete(c->hello);
	linebuf_done(&c->in);
	close(c->fd);
	free(c);
}

int
client_fd(const struct client *c)
{
	return c->fd;
}

const cJSON *
client_hello(const struct client *c)
{
	return c->hello;
}

/* Queue the events among complete lines already read.  A reply and the
 * events after it often come in one read(): those sit in the buffer where
 * poll() cannot see them, so they are taken before anyone waits. */
static int
take_buffered(struct client *c)
{
	char *line;
	int n = 0;

	while ((line = linebuf_next(&c->in)) != NULL) {
		cJSON *m = cJSON_Parse(line);

		free(line);
		if (m == NULL)
			continue;
		if (cJSON_GetObjectItemCaseSensitive(m, "event") == NULL) {
			cJSON_Delete(m);	/* stray reply */
			continue;
		}
		queue_event(c, m);
		n++;
	}
	return n;
}

int
client_pump(struct client *c)
{
	int n, rc;

	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	rc = linebuf_fill(&c->in, c->fd);
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
	n = take_buffered(c);
	if (rc < 0 && n == 0 && c->head == NULL)
		return rc == DM_ECLOSED ? DM_ECLOSED : rc;
	return n;
}

cJSON *
client_next_event(struct client *c)
{
	struct qmsg *q;
	cJSON *m;

	if (c->head == NULL)
		take_buffered(c);
	q = c->head;
	if (q == NULL)
		return NULL;
	c->head = q->next;
	if (c->head == NULL)
		c->tail = NULL;
	m = q->msg;
	free(q);
	return m;
}
