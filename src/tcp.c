/* tcp.c - the TCP transport ("tcp:HOST:PORT"): phones over Wi-Fi adb and
 * fastboot over TCP, and the simulator.  Blocking sockets with poll()
 * deadlines; TCP_NODELAY since both protocols are request/response.  Runs
 * on the caller's thread; read and write may run on two threads. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "err.h"
#include "transport.h"
#include "xmem.h"

#define TCP_CONNECT_MS 5000

struct tcp_priv {
	int fd;
};

/* Split "tcp:HOST:PORT" ("tcp:[::1]:5555" for IPv6). */
static int
split_addr(const char *addr, char *host, size_t hlen, char *port, size_t plen)
{
	const char *a = addr + 4, *colon, *end;

	if (*a == '[') {
		end = strchr(a, ']');
		if (end == NULL || end[1] != ':')
			return DM_EINVAL;
		snprintf(host, hlen, "%.*s", (int)(end - a - 1), a + 1);
		colon = end + 1;
	} else {
		colon = strrchr(a, ':');
		if (colon == NULL || colon == a)
			return DM_EINVAL;
		snprintf(host, hlen, "%.*s", (int)(colon - a), a);
	}
	if (colon[1] == '\0' || strlen(colon + 1) >= plen)
		return DM_EINVAL;
	for (const char *p = colon + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return DM_EINVAL;
	snprintf(port, plen, "%s", colon + 1);
	return 0;
}

static int
wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do {
		n = poll(&p, 1, ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return dm_from_errno(errno);
	if (n == 0)
		return DM_ETIMEOUT;
	return 0;
}

static int
tcp_open(struct transport *t, const char *addr)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256], port[8];
	int fd = -1, rc, one = 1, err = 0;
	socklen_t elen;

	if (split_addr(addr, host, sizeof(host), port, sizeof(port)) < 0)
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EINVAL,
		    "bad address '%s' (want tcp:HOST:PORT)", addr);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_ECONN,
		    "cannot resolve %s: %s", host, gai_strerror(rc));
	rc = DM_ECONN;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS &&
		    (rc = wait_fd(fd, POLLOUT, TCP_CONNECT_MS)) == 0) {
			elen = sizeof(err);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
			if (err == 0)
				break;
			rc = dm_from_errno(err);
		} else if (errno != EINPROGRESS) {
			err = errno;
			rc = dm_from_errno(err);
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (rc == DM_EIO || rc == DM_OK)
			rc = DM_ECONN;
		return dm_fail(t->errbuf, sizeof(t->errbuf), rc,
		    "cannot connect to %s:%s: %s", host, port,
		    rc == DM_ETIMEOUT ? "timed out" :
		    err ? strerror(err) : dm_strerror(rc));
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t->priv = xcalloc(1, sizeof(struct tcp_priv));
	((struct tcp_priv *)t->priv)->fd = fd;
	t->max_packet = 0;
	return 0;
}

static int
tcp_read(struct transport *t, void *buf, size_t len, int ms)
{
	struct tcp_priv *p = t->priv;
	ssize_t n;
	int rc;

	for (;;) {
		n = recv(p->fd, buf, len, 0);
		if (n >= 0)
			return (int)(n > 0x7fffffff ? 0x7fffffff : n);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return dm_fail(t->errbuf, sizeof(t->errbuf),
			    dm_from_errno(errno), "%s: read: %s", t->addr,
			    strerror(errno));
		rc = wait_fd(p->fd, POLLIN, ms);
		if (rc < 0)
			return dm_fail(t->errbuf, sizeof(t->errbuf), rc,
			    "%s: no data for %d ms", t->addr, ms);
	}
}

static int
tcp_write(struct transport *t, const void *buf, size_t len, int ms)
{
	struct tcp_priv *p = t->priv;
	size_t off = 0;
	ssize_t n;
	int rc;

	while (off < len) {
		n = send(p->fd, (const char *)buf + off, len - off,
		    MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return dm_fail(t->errbuf, sizeof(t->errbuf),
			    dm_from_errno(errno), "%s: write: %s", t->addr,
			    strerror(errno));
		rc = wait_fd(p->fd, POLLOUT, ms);
		if (rc < 0)
			return dm_fail(t->errbuf, sizeof(t->errbuf), rc,
			    "%s: peer not reading for %d ms", t->addr, ms);
	}
	return (int)(len > 0x7fffffff ? 0x7fffffff : len);
}

/* The kernel takes what fits in the socket's buffer; wait for room. */
static int
tcp_wait_room(struct transport *t, int fd, int ms)
{
	int rc = wait_fd(fd, POLLOUT, ms);

	if (rc < 0)
		return dm_fail(t->errbuf, sizeof(t->errbuf), rc,
		    "%s: peer not reading for %d ms", t->addr, ms);
	return 0;
}

static int
tcp_writev(struct transport *t, const struct iovec *iov, int n, int ms)
{
	struct tcp_priv *p = t->priv;
	struct iovec v[16];
	struct msghdr mh;
	ssize_t k;
	int i = 0, rc;

	if (n < 0 || n > 16)
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EINVAL,
		    "%s: writev of %d pieces", t->addr, n);
	memcpy(v, iov, (size_t)n * sizeof(*v));
	while (i < n) {
		if (v[i].iov_len == 0) {
			i++;
			continue;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = v + i;
		mh.msg_iovlen = (size_t)(n - i);
		k = sendmsg(p->fd, &mh, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return dm_fail(t->errbuf, sizeof(t->errbuf),
			    dm_from_errno(errno), "%s: write: %s", t->addr,
			    strerror(errno));
		if (k < 0) {
			if ((rc = tcp_wait_room(t, p->fd, ms)) < 0)
				return rc;
			continue;
		}
		/* Move past what went. */
		while (k > 0 && i < n) {
			size_t d = (size_t)k < v[i].iov_len ? (size_t)k :
			    v[i].iov_len;

			v[i].iov_base = (char *)v[i].iov_base + d;
			v[i].iov_len -= d;
			k -= (ssize_t)d;
			if (v[i].iov_len == 0)
				i++;
		}
	}
	return 0;
}

static int
sendfile_all(struct transport *t, int fd, uint64_t off, size_t len, int ms)
{
	struct tcp_priv *p = t->priv;
	off_t o = (off_t)off;
	size_t done = 0;
	ssize_t k;
	int rc;

	while (done < len) {
		k = sendfile(p->fd, fd, &o, len - done);
		if (k > 0) {
			done += (size_t)k;
			continue;
		}
		if (k == 0)
			return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EIO,
			    "%s: the file ended at byte %llu, %zu bytes early",
			    t->addr, (unsigned long long)o, len - done);
		if (errno == EINTR)
			continue;
		if (done == 0 && (errno == EINVAL || errno == ENOSYS))
			return dm_fail(t->errbuf, sizeof(t->errbuf),
			    DM_EUNSUPP, "%s: sendfile: %s", t->addr,
			    strerror(errno));
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return dm_fail(t->errbuf, sizeof(t->errbuf),
			    dm_from_errno(errno), "%s: write: %s", t->addr,
			    strerror(errno));
		if ((rc = tcp_wait_room(t, p->fd, ms)) < 0)
			return rc;
	}
	return 0;
}

/* sendfile() has no MSG_NOSIGNAL: a peer gone would raise SIGPIPE and,
 * in a process that has not ignored it (the CLI), kill it.  So SIGPIPE
 * is blocked in this thread meanwhile, and one it caused is taken back
 * before the mask is restored, so that the peer gone is an error
 * (EPIPE) like any other. */
static int
tcp_sendfile(struct transport *t, int fd, uint64_t off, size_t len, int ms)
{
	sigset_t pipe_set, old, pending;
	int was_pending, rc;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	was_pending = sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE) == 1;
	rc = sendfile_all(t, fd, off, len, ms);
	if (!was_pending && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE) == 1) {
		const struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
		    errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void
tcp_close(struct transport *t)
{
	struct tcp_priv *p = t->priv;

	if (p == NULL)
		return;
	close(p->fd);
	free(p);
	t->priv = NULL;
}

int
transport_tcp_adopt(struct transport *t, int fd, const char *name)
{
	struct tcp_priv *p;
	int one = 1, fl;

	t->ops = NULL;
	t->priv = NULL;
	t->errbuf[0] = '\0';
	snprintf(t->addr, sizeof(t->addr), "%s", name ? name : "tcp:?");
	if (fd < 0)
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EINVAL,
		    "%s: no socket to adopt", t->addr);
	/* Non-blocking, so that the poll() deadlines of read/write work. */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		close(fd);
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EINVAL,
		    "%s: not a socket we can use: %s", t->addr,
		    strerror(errno));
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	p = xcalloc(1, sizeof(*p));
	p->fd = fd;
	t->priv = p;
	t->ops = &transport_tcp_ops;
	t->max_packet = 0;
	return 0;
}

const struct transport_ops transport_tcp_ops = {
	.name = "tcp",
	.open = tcp_open,
	.read = tcp_read,
	.write = tcp_write,
	.close = tcp_close,
	.writev = tcp_writev,
	.sendfile = tcp_sendfile,
};
