/* shell.c - shell:, shell,v2: and exec: (see shell.h): framing of the
 * session's bytes around the simulated sh (simsh.h).  Runs on the stream's
 * thread. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "adbd.h"
#include "err.h"
#include "phone.h"
#include "propdb.h"
#include "shell.h"
#include "simsh.h"

#define V2_STDIN	0
#define V2_STDOUT	1
#define V2_STDERR	2
#define V2_EXIT		3
#define V2_CLOSE_STDIN	4
#define V2_WINSIZE	5
#define V2_CHUNK	(32u << 10)	/* data per shell protocol packet */
#define LINE_MAX_SIM	4096

struct sess {
	struct adbd_stream *s;
	int v2, pty;
	/* v2 stdin: what is left of the packet being read */
	uint32_t left;
	int left_id;
	int in_eof;
};

static int
v2_packet(struct sess *ss, int id, const void *p, size_t n)
{
	uint8_t hdr[5];
	int rc;

	hdr[0] = (uint8_t)id;
	hdr[1] = (uint8_t)n;
	hdr[2] = (uint8_t)(n >> 8);
	hdr[3] = (uint8_t)(n >> 16);
	hdr[4] = (uint8_t)(n >> 24);
	rc = adbd_stream_write(ss->s, hdr, sizeof(hdr));
	if (rc == 0 && n > 0)
		rc = adbd_stream_write(ss->s, p, n);
	return rc;
}

static int
out_raw(struct sess *ss, int id, const void *p, size_t n)
{
	if (!ss->v2)
		return adbd_stream_write(ss->s, p, n);
	while (n > 0) {
		size_t k = n < V2_CHUNK ? n : V2_CHUNK;
		int rc = v2_packet(ss, id, p, k);

		if (rc < 0)
			return rc;
		p = (const char *)p + k;
		n -= k;
	}
	return 0;
}

/* simsh_io.write: with a pty both fds are the terminal, and LF goes out as
 * CR LF (the tty's onlcr). */
static int
sess_write(void *ctx, int fd, const void *buf, size_t len)
{
	struct sess *ss = ctx;
	const char *p = buf, *nl;

	if (!ss->pty)
		return out_raw(ss, fd == 2 ? V2_STDERR : V2_STDOUT, p, len);
	while (len > 0) {
		int rc;

		nl = memchr(p, '\n', len);
		if (nl == NULL)
			return out_raw(ss, V2_STDOUT, p, len);
		rc = out_raw(ss, V2_STDOUT, p, (size_t)(nl - p));
		if (rc == 0)
			rc = out_raw(ss, V2_STDOUT, "\r\n", 2);
		if (rc < 0)
			return rc;
		len -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	return 0;
}

/* simsh_io.read: stdin, out of v2 packets when the protocol is on. */
static int
sess_read(void *ctx, void *buf, size_t len)
{
	struct sess *ss = ctx;

	if (!ss->v2)
		return adbd_stream_read(ss->s, buf, len);
	while (!ss->in_eof) {
		uint8_t hdr[5];
		int rc;

		if (ss->left > 0 && ss->left_id == V2_STDIN) {
			rc = adbd_stream_read(ss->s, buf,
			    len < ss->left ? len : ss->left);
			if (rc <= 0)
				return rc;
			ss->left -= (uint32_t)rc;
			return rc;
		}
		if (ss->left > 0) {
			/* Window size and the like: not for stdin. */
			char junk[256];

			rc = adbd_stream_read(ss->s, junk, ss->left <
			    sizeof(junk) ? ss->left : sizeof(junk));
			if (rc <= 0)
				return rc;
			ss->left -= (uint32_t)rc;
			continue;
		}
		rc = adbd_stream_read_full(ss->s, hdr, sizeof(hdr));
		if (rc < 0)
			return rc == DM_ECLOSED ? 0 : rc;
		ss->left_id = hdr[0];
		ss->left = (uint32_t)hdr[1] | (uint32_t)hdr[2] << 8 |
		    (uint32_t)hdr[3] << 16 | (uint32_t)hdr[4] << 24;
		if (ss->left_id == V2_CLOSE_STDIN)
			ss->in_eof = 1;
	}
	return 0;
}

static int
sess_sleep(void *ctx, int ms)
{
	struct sess *ss = ctx;

	return adbd_stream_sleep(ss->s, ms);
}

static int
prompt(struct sess *ss, struct simsh *sh, const char *host)
{
	char p[256];

	snprintf(p, sizeof(p), "%s:%s %c ", host, simsh_cwd(sh),
	    sh->root ? '#' : '$');
	return out_raw(ss, V2_STDOUT, p, strlen(p));
}

/* An interactive session: read lines, run them.  With a pty we echo and
 * edit like a terminal in canonical mode would. */
static int
repl(struct sess *ss, struct simsh *sh, const struct simsh_io *io,
    const char *host)
{
	char line[LINE_MAX_SIM + 1], in[256];
	size_t len = 0;
	int rc = 0;

	if (ss->pty)
		rc = prompt(ss, sh, host);
	while (rc >= 0 && !sh->exited && !sh->rebooting) {
		int n = sess_read(ss, in, sizeof(in));

		if (n <= 0)
			return n;
		for (int i = 0; i < n && rc >= 0 && !sh->exited &&
		    !sh->rebooting; i++) {
			char c = in[i];

			if (ss->pty && (c == 0x7f || c == 0x08)) {
				if (len > 0) {
					len--;
					rc = out_raw(ss, V2_STDOUT, "\b \b", 3);
				}
			} else if (ss->pty && c == 0x03) {
				len = 0;
				rc = out_raw(ss, V2_STDOUT, "^C\r\n", 4);
				if (rc >= 0)
					rc = prompt(ss, sh, host);
			} else if (ss->pty && c == 0x04 && len == 0) {
				sh->exited = 1;
			} else if (c == '\r' || c == '\n') {
				if (c == '\r' && !ss->pty)
					continue;
				if (ss->pty)
					rc = out_raw(ss, V2_STDOUT, "\r\n", 2);
				line[len] = '\0';
				len = 0;
				if (rc >= 0)
					rc = simsh_run(sh, line, io);
				if (rc >= 0 && ss->pty && !sh->exited &&
				    !sh->rebooting)
					rc = prompt(ss, sh, host);
			} else if (len < LINE_MAX_SIM) {
				line[len++] = c;
				if (ss->pty)
					rc = out_raw(ss, V2_STDOUT, &c, 1);
			}
		}
	}
	return rc;
}

int
shell_service(struct adbd_stream *s, const char *service)
{
	struct phone *ph = adbd_stream_phone(s);
	const struct profile *prof = phone_profile(ph);
	struct sess ss = { .s = s };
	struct simsh_io io = { sess_write, sess_read, sess_sleep, &ss };
	struct simsh sh;
	const char *cmd, *host;
	int raw = 0, want_pty = 0, rc;

	cmd = strchr(service, ':') + 1;
	if (strncmp(service, "shell,", 6) == 0) {
		/* Options between "shell," and ':' */
		const char *o = service + 6;

		while (o < cmd - 1) {
			const char *e = memchr(o, ',', (size_t)(cmd - 1 - o));
			size_t n = e ? (size_t)(e - o) : (size_t)(cmd - 1 - o);

			if (n == 2 && strncmp(o, "v2", 2) == 0)
				ss.v2 = 1;
			else if (n == 3 && strncmp(o, "raw", 3) == 0)
				raw = 1;
			else if (n == 3 && strncmp(o, "pty", 3) == 0)
				want_pty = 1;
			o += n + 1;
		}
	}
	if (strncmp(service, "exec:", 5) == 0)
		raw = 1;
	/* A pty when asked for, or by default for an interactive shell. */
	ss.pty = want_pty || (!raw && *cmd == '\0');
	host = propdb_get(prof->props, "ro.product.device");
	simsh_init(&sh, prof, phone_vfs(ph),
	    phone_mode(ph) == SIM_MODE_RECOVERY);
	sh.st = phone_appstate(ph);
	if (*cmd == '\0')
		rc = repl(&ss, &sh, &io, host ? host : "localhost");
	else
		rc = simsh_run(&sh, cmd, &io);
	if (rc >= 0 && ss.v2) {
		uint8_t code = (uint8_t)sh.status;

		rc = v2_packet(&ss, V2_EXIT, &code, 1);
	}
	adbd_stream_close(s);
	if (sh.rebooting)
		phone_reboot(ph, sh.reboot);
	simsh_done(&sh);
	return rc < 0 ? rc : 0;
}
