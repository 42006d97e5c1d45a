/* transport.c - choose a transport backend by address and the helpers
 * every protocol uses on top of the ops table.  Runs on the caller's
 * thread. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "err.h"
#include "transport.h"

int
transport_open(struct transport *t, const char *addr)
{
	const struct transport_ops *ops;
	int rc;

	t->ops = NULL;
	t->priv = NULL;
	t->errbuf[0] = '\0';
	if (strncmp(addr, "tcp:", 4) == 0)
		ops = &transport_tcp_ops;
	else if (strncmp(addr, "usb:", 4) == 0)
		ops = &transport_usb_ops;
	else
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EINVAL,
		    "unknown address '%s' (want usb:BUS-PORT or tcp:HOST:PORT)",
		    addr);
	if (ops->open == NULL)
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EUNSUPP,
		    "%s transport not available in this build", ops->name);
	snprintf(t->addr, sizeof(t->addr), "%s", addr);
	t->ops = ops;
	rc = ops->open(t, addr);
	if (rc < 0) {
		t->ops = NULL;
		t->priv = NULL;
	}
	return rc;
}

void
transport_close(struct transport *t)
{
	if (t->ops != NULL && t->ops->close != NULL)
		t->ops->close(t);
	t->ops = NULL;
	t->priv = NULL;
}

int
transport_read(struct transport *t, void *buf, size_t len, int ms)
{
	if (t->ops == NULL)
		return DM_ECLOSED;
	return t->ops->read(t, buf, len, ms);
}

int
transport_read_full(struct transport *t, void *buf, size_t len, int ms)
{
	size_t got = 0;

	while (got < len) {
		int n = transport_read(t, (char *)buf + got, len - got, ms);

		if (n < 0)
			return n;
		if (n == 0)
			return dm_fail(t->errbuf, sizeof(t->errbuf), DM_ECLOSED,
			    "%s closed the connection after %zu of %zu bytes",
			    t->addr, got, len);
		got += (size_t)n;
	}
	return (int)got;
}

int
transport_write(struct transport *t, const void *buf, size_t len, int ms)
{
	if (t->ops == NULL)
		return DM_ECLOSED;
	return t->ops->write(t, buf, len, ms);
}

int
transport_writev(struct transport *t, const struct iovec *iov, int n, int ms)
{
	int rc;

	if (t->ops == NULL)
		return DM_ECLOSED;
	if (t->ops->writev != NULL)
		return t->ops->writev(t, iov, n, ms);
	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len == 0)
			continue;
		rc = t->ops->write(t, iov[i].iov_base, iov[i].iov_len, ms);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
transport_sendfile(struct transport *t, int fd, uint64_t off, size_t len,
    int ms)
{
	if (t->ops == NULL)
		return DM_ECLOSED;
	if (t->ops->sendfile == NULL)
		return DM_EUNSUPP;
	return t->ops->sendfile(t, fd, off, len, ms);
}

int
transport_address(const char *what, char *addr, size_t len)
{
	const char *colon = strrchr(what, ':');

	if (!strncmp(what, "tcp:", 4) || !strncmp(what, "usb:", 4) ||
	    !strncmp(what, "adb-server:", 11)) {
		snprintf(addr, len, "%s", what);
		return 1;
	}
	if (colon != NULL && colon != what && colon[1] != '\0' &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		snprintf(addr, len, "tcp:%s", what);
		return 1;
	}
	return 0;
}
