/* adbsrv.c - a client of a running AOSP adb server (see adbsrv.h).
 * Every call opens its own socket: the server closes host requests after
 * answering, and a transport request turns the socket into one stream. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adbsrv.h"
#include "err.h"
#include "transport.h"
#include "xmem.h"

#define MAX_REPLY	(1u << 20)

int
adbsrv_port(void)
{
	const char *s = getenv("ANDROID_ADB_SERVER_PORT");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return ADBSRV_DEFAULT_PORT;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v <= 0 || v > 65535)
		return ADBSRV_DEFAULT_PORT;
	return (int)v;
}

static void
copy_field(char *dst, size_t dlen, const char *src, size_t n)
{
	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* One "key:value" word of a devices-l line. */
static void
take_word(struct adbsrv_dev *d, const char *w, size_t n)
{
	static const struct { const char *key; size_t off, len; } keys[] = {
		{ "usb:", offsetof(struct adbsrv_dev, usb),
		    sizeof(((struct adbsrv_dev *)0)->usb) },
		{ "product:", offsetof(struct adbsrv_dev, product),
		    sizeof(((struct adbsrv_dev *)0)->product) },
		{ "model:", offsetof(struct adbsrv_dev, model),
		    sizeof(((struct adbsrv_dev *)0)->model) },
		{ "device:", offsetof(struct adbsrv_dev, device),
		    sizeof(((struct adbsrv_dev *)0)->device) },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t k = strlen(keys[i].key);

		if (n > k && memcmp(w, keys[i].key, k) == 0) {
			copy_field((char *)d + keys[i].off, keys[i].len,
			    w + k, n - k);
			return;
		}
	}
	if (n > 13 && memcmp(w, "transport_id:", 13) == 0) {
		unsigned v = 0;

		for (size_t i = 13; i < n && isdigit((unsigned char)w[i]); i++)
			v = v * 10 + (unsigned)(w[i] - '0');
		d->transport_id = v;
	}
}

/* 1 when the word (not NUL-terminated) starts with a key we know. */
static int
is_key(const char *w, size_t n)
{
	static const char *const keys[] = { "usb:", "product:", "model:",
	    "device:", "transport_id:" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t k = strlen(keys[i]);

		if (n >= k && memcmp(w, keys[i], k) == 0)
			return 1;
	}
	return 0;
}

int
adbsrv_parse_devices(const char *text, size_t len, struct adbsrv_dev *out,
    int max)
{
	const char *p = text, *end = text + len;
	int n = 0;

	while (p < end && n < max) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *q, *w;
		struct adbsrv_dev *d = &out[n];

		/* The serial runs to the first blank or tab (adb pads it). */
		for (q = p; q < le && *q != ' ' && *q != '\t' && *q != '\r';
		    q++)
			;
		if (q == p || q == le) {
			p = le + (eol != NULL);
			continue;
		}
		memset(d, 0, sizeof(*d));
		copy_field(d->serial, sizeof(d->serial), p, (size_t)(q - p));
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		/* The state is one word, except "no permissions (...)" and
		 * the like: read it up to the first known key or the end. */
		w = q;
		while (q < le && *q != '\r') {
			const char *e = q;

			while (e < le && *e != ' ' && *e != '\t' && *e != '\r')
				e++;
			if (q > w && is_key(q, (size_t)(e - q)))
				break;
			q = e;
			while (q < le && (*q == ' ' || *q == '\t'))
				q++;
		}
		{
			const char *se = q;

			while (se > w && (se[-1] == ' ' || se[-1] == '\t'))
				se--;
			copy_field(d->state, sizeof(d->state), w,
			    (size_t)(se - w));
		}
		while (q < le && *q != '\r') {
			const char *e = q;

			while (e < le && *e != ' ' && *e != '\t' && *e != '\r')
				e++;
			take_word(d, q, (size_t)(e - q));
			q = e;
			while (q < le && (*q == ' ' || *q == '\t'))
				q++;
		}
		if (d->state[0] != '\0')
			n++;
		p = le + (eol != NULL);
	}
	return n;
}

static int
dial(int port, struct transport *t, char *err, size_t errlen)
{
	char addr[48];
	int rc;

	memset(t, 0, sizeof(*t));
	snprintf(addr, sizeof(addr), "tcp:127.0.0.1:%d", port);
	rc = transport_open(t, addr);
	if (rc < 0)
		return dm_fail(err, errlen, DM_ECONN, "no adb server on port "
		    "%d (%s)", port, t->errbuf);
	return 0;
}

static int
send_req(struct transport *t, const char *req, int ms, char *err,
    size_t errlen)
{
	char hdr[5];
	size_t n = strlen(req);
	int rc;

	if (n > 0xffff)
		return dm_fail(err, errlen, DM_EINVAL, "request too long");
	snprintf(hdr, sizeof(hdr), "%04zx", n);
	rc = transport_write(t, hdr, 4, ms);
	if (rc >= 0)
		rc = transport_write(t, req, n, ms);
	if (rc < 0)
		return dm_fail(err, errlen, DM_ECONN, "adb server: %s",
		    t->errbuf);
	return 0;
}

static int
read_hexlen(struct transport *t, size_t *len, int ms, char *err,
    size_t errlen)
{
	char h[5];
	char *end;
	int rc = transport_read_full(t, h, 4, ms);

	if (rc < 0)
		return dm_fail(err, errlen, rc == DM_ECLOSED ? DM_EPROTO : rc,
		    "adb server: short answer (%s)", t->errbuf);
	h[4] = '\0';
	for (int i = 0; i < 4; i++)
		if (!isxdigit((unsigned char)h[i]))
			return dm_fail(err, errlen, DM_EPROTO, "adb server: "
			    "bad length \"%.4s\"", h);
	*len = (size_t)strtoul(h, &end, 16);
	return 0;
}

/* A length-prefixed text, malloc'ed. */
static int
read_text(struct transport *t, char **out, size_t *outlen, int ms, char *err,
    size_t errlen)
{
	size_t len = 0;
	char *buf;
	int rc = read_hexlen(t, &len, ms, err, errlen);

	if (rc < 0)
		return rc;
	if (len > MAX_REPLY)
		return dm_fail(err, errlen, DM_EPROTO, "adb server: answer "
		    "too long");
	buf = xmalloc(len + 1);
	if (len > 0) {
		rc = transport_read_full(t, buf, len, ms);
		if (rc < 0) {
			free(buf);
			return dm_fail(err, errlen, DM_EPROTO, "adb server: "
			    "answer cut short");
		}
	}
	buf[len] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = len;
	return 0;
}

/* OKAY, or FAIL with its message: DM_EIO (or the code given). */
static int
read_status(struct transport *t, int failcode, int ms, char *err,
    size_t errlen)
{
	char st[4];
	char *msg = NULL;
	int rc = transport_read_full(t, st, 4, ms);

	if (rc < 0)
		return dm_fail(err, errlen, rc == DM_ECLOSED ? DM_EPROTO : rc,
		    "adb server: no answer (%s)", t->errbuf);
	if (memcmp(st, "OKAY", 4) == 0)
		return 0;
	if (memcmp(st, "FAIL", 4) != 0)
		return dm_fail(err, errlen, DM_EPROTO, "adb server: unexpected "
		    "\"%.4s\"", st);
	rc = read_text(t, &msg, NULL, ms, err, errlen);
	if (rc < 0)
		return rc;
	dm_fail(err, errlen, failcode, "adb server: %s", msg);
	free(msg);
	return failcode;
}

int
adbsrv_query(int port, const char *req, char **out, size_t *outlen, int ms,
    char *err, size_t errlen)
{
	struct transport t;
	int rc;

	*out = NULL;
	rc = dial(port, &t, err, errlen);
	if (rc < 0)
		return rc;
	rc = send_req(&t, req, ms, err, errlen);
	if (rc == 0)
		rc = read_status(&t, DM_EIO, ms, err, errlen);
	if (rc == 0)
		rc = read_text(&t, out, outlen, ms, err, errlen);
	transport_close(&t);
	return rc;
}

int
adbsrv_open(int port, const char *serial, const char *service,
    struct transport *t, int ms, char *err, size_t errlen)
{
	char req[256];
	int rc;

	if (snprintf(req, sizeof(req), "host:transport:%s", serial) >=
	    (int)sizeof(req))
		return dm_fail(err, errlen, DM_EINVAL, "serial too long");
	rc = dial(port, t, err, errlen);
	if (rc < 0)
		return rc;
	rc = send_req(t, req, ms, err, errlen);
	if (rc == 0)
		rc = read_status(t, DM_ENOENT, ms, err, errlen);
	if (rc == 0)
		rc = send_req(t, service, ms, err, errlen);
	if (rc == 0)
		rc = read_status(t, DM_EUNSUPP, ms, err, errlen);
	if (rc < 0)
		transport_close(t);
	return rc;
}

int
adbsrv_parse_addr(const char *addr, int *port, char *serial, size_t slen)
{
	const char *p;
	long v = 0;

	if (strncmp(addr, "adb-server:", 11) != 0)
		return DM_EINVAL;
	p = addr + 11;
	if (!isdigit((unsigned char)*p))
		return DM_EINVAL;
	while (isdigit((unsigned char)*p) && v <= 65535)
		v = v * 10 + (*p++ - '0');
	if (*p != ':' || v <= 0 || v > 65535 || p[1] == '\0' ||
	    strlen(p + 1) >= slen)
		return DM_EINVAL;
	*port = (int)v;
	snprintf(serial, slen, "%s", p + 1);
	return 0;
}
