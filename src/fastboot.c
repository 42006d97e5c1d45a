/* fastboot.c - droidmedic's fastboot client: transport framing, commands,
 * variables, downloads and the flasher.  See fastboot.h.  Runs on the
 * caller's thread. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bytes.h"
#include "err.h"
#include "fastboot.h"
#include "fbvars.h"
#include "transport.h"
#include "xmem.h"

/* Bytes handed to the transport per write during a download: one bulk
 * transfer on USB, one frame on TCP. */
#define FB_CHUNK	(1u << 20)
/* Bytes sent from the image file (sendfile) between progress reports. */
#define FB_FILE_SLICE	(4u << 20)

struct fb_conn {
	struct transport t;
	int tcp;			/* framed (FB01) */
	struct fb_hooks hooks;
	uint64_t dl_left;		/* bytes of the current download due */
	uint64_t dl_total, dl_done;
	int dead;			/* the link failed: refuse more */
};

static int
conn_fail(struct fb_conn *c, int rc, char *err, size_t errlen)
{
	if (rc == DM_ECLOSED || rc == DM_ECONN || rc == DM_EIO ||
	    rc == DM_ENODEV || rc == DM_ETIMEOUT)
		c->dead = 1;
	return dm_fail(err, errlen, rc, "%s", c->t.errbuf[0] ? c->t.errbuf :
	    dm_strerror(rc));
}

const char *
fb_addr(const struct fb_conn *c)
{
	return c->t.addr;
}

void
fb_set_hooks(struct fb_conn *c, const struct fb_hooks *h)
{
	if (h != NULL)
		c->hooks = *h;
	else
		memset(&c->hooks, 0, sizeof(c->hooks));
}

static int
link_gone(const struct fb_conn *c, char *err, size_t errlen)
{
	return dm_fail(err, errlen, DM_ECLOSED,
	    "%s: the link to the phone is gone", c->t.addr);
}

/* One message out: a frame on TCP, one transfer on USB. */
static int
send_msg(struct fb_conn *c, const void *buf, size_t len, int ms, char *err,
    size_t errlen)
{
	int rc;

	if (c->dead)
		return link_gone(c, err, errlen);
	if (c->tcp) {
		/* The frame's length and its bytes in one system call. */
		uint8_t hdr[8];
		struct iovec v[2] = { { hdr, sizeof(hdr) },
		    { (void *)(uintptr_t)buf, len } };

		be64_put(hdr, len);
		rc = transport_writev(&c->t, v, 2, ms);
	} else {
		rc = transport_write(&c->t, buf, len, ms);
	}
	if (rc < 0)
		return conn_fail(c, rc, err, errlen);
	return 0;
}

/* One message in, at most FB_RESP_MAX bytes: *len set. */
static int
recv_msg(struct fb_conn *c, uint8_t *buf, size_t *len, int ms, char *err,
    size_t errlen)
{
	int rc;

	if (c->dead)
		return link_gone(c, err, errlen);
	if (c->tcp) {
		uint8_t hdr[8];
		uint64_t n;

		rc = transport_read_full(&c->t, hdr, sizeof(hdr), ms);
		if (rc < 0)
			return conn_fail(c, rc, err, errlen);
		n = be64_get(hdr);
		if (n > FB_RESP_MAX) {
			c->dead = 1;
			return dm_fail(err, errlen, DM_EPROTO,
			    "%s: the phone sent a %" PRIu64 "-byte reply "
			    "(at most %d expected)", c->t.addr, n,
			    FB_RESP_MAX);
		}
		if (n > 0) {
			rc = transport_read_full(&c->t, buf, (size_t)n, ms);
			if (rc < 0)
				return conn_fail(c, rc, err, errlen);
		}
		*len = (size_t)n;
		return 0;
	}
	/* USB: one transfer is one response; a zero-length one is not, but
	 * a phone sending nothing else is not answering. */
	for (int empty = 0;; empty++) {
		if (empty == 64) {
			c->dead = 1;
			return dm_fail(err, errlen, DM_EPROTO, "%s: the phone "
			    "sends only empty transfers", c->t.addr);
		}
		rc = transport_read(&c->t, buf, FB_RESP_MAX, ms);
		if (rc < 0)
			return conn_fail(c, rc, err, errlen);
		if (rc > 0)
			break;
	}
	*len = (size_t)rc;
	return 0;
}

int
fb_parse_response(const void *buf, size_t len, struct fb_resp *r, char *err,
    size_t errlen)
{
	static const struct {
		const char tag[5];
		enum fb_resp_kind kind;
	} tags[] = {
		{ "OKAY", FB_OKAY }, { "FAIL", FB_FAIL }, { "DATA", FB_DATA },
		{ "INFO", FB_INFO }, { "TEXT", FB_TEXT },
	};
	const unsigned char *b = buf;
	size_t i, n;

	memset(r, 0, sizeof(*r));
	if (len < 4)
		return dm_fail(err, errlen, DM_EPROTO,
		    "a %zu-byte reply is too short for a status", len);
	if (len > FB_RESP_MAX)
		return dm_fail(err, errlen, DM_EPROTO,
		    "a %zu-byte reply is longer than %d", len, FB_RESP_MAX);
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (memcmp(b, tags[i].tag, 4) == 0)
			break;
	if (i == sizeof(tags) / sizeof(tags[0])) {
		char shown[5];

		for (int k = 0; k < 4; k++)
			shown[k] = b[k] >= 0x20 && b[k] < 0x7f ? (char)b[k] :
			    '?';
		shown[4] = '\0';
		return dm_fail(err, errlen, DM_EPROTO,
		    "unknown reply status '%s'", shown);
	}
	r->kind = tags[i].kind;
	n = len - 4;
	for (size_t k = 0; k < n; k++) {
		unsigned char ch = b[4 + k];

		/* TEXT may carry its own line breaks. */
		if (ch == '\n' && r->kind == FB_TEXT)
			r->msg[k] = '\n';
		else
			r->msg[k] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	r->msg[n] = '\0';
	if (r->kind == FB_DATA) {
		uint32_t v = 0;

		if (n == 0 || n > 8)
			return dm_fail(err, errlen, DM_EPROTO,
			    "DATA reply with %zu size digits (want 8)", n);
		for (size_t k = 0; k < n; k++) {
			unsigned char ch = b[4 + k];
			int d;

			if (ch >= '0' && ch <= '9')
				d = ch - '0';
			else if (ch >= 'a' && ch <= 'f')
				d = ch - 'a' + 10;
			else if (ch >= 'A' && ch <= 'F')
				d = ch - 'A' + 10;
			else
				return dm_fail(err, errlen, DM_EPROTO,
				    "DATA reply with a bad size '%s'",
				    r->msg);
			v = v << 4 | (uint32_t)d;
		}
		r->data_size = v;
	}
	return 0;
}

/* Wait for the final response to what was just sent: INFO and TEXT go
 * to the hooks and restart the clock. */
static int
wait_final(struct fb_conn *c, struct fb_resp *r, int ms, char *err,
    size_t errlen)
{
	uint8_t buf[FB_RESP_MAX];
	size_t len = 0;
	int rc;

	for (;;) {
		rc = recv_msg(c, buf, &len, ms, err, errlen);
		if (rc == DM_ETIMEOUT)
			return dm_fail(err, errlen, DM_ETIMEOUT,
			    "%s: no answer from the phone for %d s",
			    c->t.addr, ms / 1000);
		if (rc < 0)
			return rc;
		if (len == 0 && c->tcp)
			continue;	/* an empty frame carries nothing */
		rc = fb_parse_response(buf, len, r, err, errlen);
		if (rc < 0) {
			c->dead = 1;	/* we no longer know where we are */
			return rc;
		}
		if (r->kind == FB_INFO || r->kind == FB_TEXT) {
			if (c->hooks.info != NULL)
				c->hooks.info(c->hooks.ud,
				    r->kind == FB_INFO ? "INFO" : "TEXT",
				    r->msg);
			continue;
		}
		return 0;
	}
}

static int
send_command(struct fb_conn *c, const char *cmd, char *err, size_t errlen)
{
	size_t n = strlen(cmd);

	if (n == 0 || n > FB_CMD_MAX)
		return dm_fail(err, errlen, DM_EINVAL,
		    "a fastboot command is 1 to %d bytes (got %zu)",
		    FB_CMD_MAX, n);
	if (c->dl_left > 0)
		return dm_fail(err, errlen, DM_EPROTO,
		    "a download is still waiting for %" PRIu64 " bytes",
		    c->dl_left);
	return send_msg(c, cmd, n, FB_CMD_MS, err, errlen);
}

int
fb_command(struct fb_conn *c, const char *cmd, char *resp, size_t resplen,
    int timeout_ms, char *err, size_t errlen)
{
	struct fb_resp r;
	int rc;

	if (resp != NULL && resplen > 0)
		resp[0] = '\0';
	rc = send_command(c, cmd, err, errlen);
	if (rc < 0)
		return rc;
	rc = wait_final(c, &r, timeout_ms, err, errlen);
	if (rc < 0)
		return rc;
	switch (r.kind) {
	case FB_OKAY:
		if (resp != NULL && resplen > 0)
			snprintf(resp, resplen, "%s", r.msg);
		return 0;
	case FB_FAIL:
		return dm_fail(err, errlen, DM_EREFUSED, "%s",
		    r.msg[0] ? r.msg : "(the phone gave no reason)");
	default:
		/* The phone now waits for data we are not going to send. */
		c->dead = 1;
		return dm_fail(err, errlen, DM_EPROTO,
		    "the phone answered '%s' with DATA", cmd);
	}
}

int
fb_getvar(struct fb_conn *c, const char *name, char *val, size_t len,
    char *err, size_t errlen)
{
	char cmd[FB_CMD_MAX + 1];

	if (snprintf(cmd, sizeof(cmd), "getvar:%s", name) >= (int)sizeof(cmd))
		return dm_fail(err, errlen, DM_EINVAL, "variable name too long");
	return fb_command(c, cmd, val, len, FB_CMD_MS, err, errlen);
}

struct all_ctx {
	struct fbvars *v;
	struct fb_hooks saved;
};

static void
all_info(void *ud, const char *tag, const char *msg)
{
	struct all_ctx *a = ud;

	if (strcmp(tag, "INFO") == 0)
		(void)fbvars_add_info_line(a->v, msg);
	else if (a->saved.info != NULL)
		a->saved.info(a->saved.ud, tag, msg);
}

int
fb_getvar_all(struct fb_conn *c, struct fbvars *v, char *err, size_t errlen)
{
	struct all_ctx a = { .v = v, .saved = c->hooks };
	int rc;

	c->hooks.info = all_info;
	c->hooks.ud = &a;
	rc = fb_command(c, "getvar:all", NULL, 0, FB_CMD_MS, err, errlen);
	c->hooks = a.saved;
	return rc;
}

int
fb_download_begin(struct fb_conn *c, uint32_t size, char *err, size_t errlen)
{
	struct fb_resp r;
	char cmd[32];
	int rc;

	snprintf(cmd, sizeof(cmd), "download:%08" PRIx32, size);
	rc = send_command(c, cmd, err, errlen);
	if (rc == 0)
		rc = wait_final(c, &r, FB_CMD_MS, err, errlen);
	if (rc < 0)
		return rc;
	if (r.kind == FB_FAIL)
		return dm_fail(err, errlen, DM_EREFUSED, "%s",
		    r.msg[0] ? r.msg : "(the phone gave no reason)");
	if (r.kind != FB_DATA) {
		c->dead = 1;
		return dm_fail(err, errlen, DM_EPROTO,
		    "the phone answered download with %s, not DATA",
		    r.kind == FB_OKAY ? "OKAY" : "?");
	}
	if (r.data_size != size) {
		c->dead = 1;
		return dm_fail(err, errlen, DM_EPROTO,
		    "asked to send %" PRIu32 " bytes, the phone wants %"
		    PRIu32, size, r.data_size);
	}
	c->dl_left = size;
	c->dl_total = size;
	c->dl_done = 0;
	return 0;
}

/* Progress after some bytes of the download went; a cancel stops it. */
static int
dl_advance(struct fb_conn *c, size_t k, char *err, size_t errlen)
{
	c->dl_left -= k;
	c->dl_done += k;
	if (c->hooks.progress != NULL &&
	    c->hooks.progress(c->hooks.ud, c->dl_done, c->dl_total)) {
		c->dead = 1;	/* the phone still waits for data */
		return dm_fail(err, errlen, DM_ECANCEL, "download cancelled "
		    "after %" PRIu64 " of %" PRIu64 " bytes", c->dl_done,
		    c->dl_total);
	}
	return 0;
}

int
fb_download_data(struct fb_conn *c, const void *buf, size_t len, char *err,
    size_t errlen)
{
	const char *p = buf;
	int rc;

	if (len > c->dl_left)
		return dm_fail(err, errlen, DM_EINVAL,
		    "%zu bytes more than the download announced", len -
		    (size_t)c->dl_left);
	while (len > 0) {
		size_t k = len < FB_CHUNK ? len : FB_CHUNK;

		rc = send_msg(c, p, k, FB_CMD_MS, err, errlen);
		if (rc < 0)
			return rc;
		p += k;
		len -= k;
		if ((rc = dl_advance(c, k, err, errlen)) < 0)
			return rc;
	}
	return 0;
}

/* Bytes [off, off + len) of the file fd as download data, on TCP in one
 * frame, sent from the file by the kernel (sendfile) without passing
 * through a buffer of ours; where the kernel cannot, read and sent. */
static int
download_file(struct fb_conn *c, int fd, uint64_t off, uint64_t len,
    char *err, size_t errlen)
{
	uint8_t hdr[8], *buf = NULL;
	int rc = 0;

	if (len > c->dl_left)
		return dm_fail(err, errlen, DM_EINVAL, "%" PRIu64 " bytes more "
		    "than the download announced", len - c->dl_left);
	if (c->dead)
		return link_gone(c, err, errlen);
	if (c->tcp) {
		be64_put(hdr, len);
		rc = transport_write(&c->t, hdr, sizeof(hdr), FB_CMD_MS);
		if (rc < 0)
			return conn_fail(c, rc, err, errlen);
	}
	while (len > 0) {
		size_t k = len < FB_FILE_SLICE ? (size_t)len : FB_FILE_SLICE;
		ssize_t n;

		if (buf == NULL) {
			rc = transport_sendfile(&c->t, fd, off, k, FB_CMD_MS);
			if (rc == DM_EUNSUPP) {
				buf = xmalloc(FB_CHUNK);
				continue;
			}
		} else {
			/* One transfer at a time, as fb_download_data. */
			if (k > FB_CHUNK)
				k = FB_CHUNK;
			do
				n = pread(fd, buf, k, (off_t)off);
			while (n < 0 && errno == EINTR);
			if (n <= 0) {
				free(buf);
				c->dead = 1;	/* the phone waits for data */
				return dm_fail(err, errlen, n < 0 ?
				    dm_from_errno(errno) : DM_EIO, "reading the "
				    "image at byte %" PRIu64 ": %s", off, n < 0 ?
				    strerror(errno) : "it ended early");
			}
			k = (size_t)n;
			rc = transport_write(&c->t, buf, k, FB_CMD_MS);
		}
		if (rc < 0) {
			free(buf);
			return conn_fail(c, rc, err, errlen);
		}
		off += k;
		len -= k;
		if ((rc = dl_advance(c, k, err, errlen)) < 0)
			break;
	}
	free(buf);
	return rc < 0 ? rc : 0;
}

int
fb_download_end(struct fb_conn *c, char *err, size_t errlen)
{
	struct fb_resp r;
	int rc;

	if (c->dl_left > 0)
		return dm_fail(err, errlen, DM_EPROTO,
		    "the download is %" PRIu64 " bytes short", c->dl_left);
	rc = wait_final(c, &r, FB_CMD_MS, err, errlen);
	if (rc < 0)
		return rc;
	if (r.kind == FB_FAIL)
		return dm_fail(err, errlen, DM_EREFUSED, "%s",
		    r.msg[0] ? r.msg : "(the phone gave no reason)");
	if (r.kind != FB_OKAY) {
		c->dead = 1;
		return dm_fail(err, errlen, DM_EPROTO,
		    "the phone ended the download with DATA");
	}
	return 0;
}

int
fb_open(const char *addr, int timeout_ms, struct fb_conn **out, char *err,
    size_t errlen)
{
	struct fb_conn *c;
	char hs[4];
	int rc;

	*out = NULL;
	c = xcalloc(1, sizeof(*c));
	if (strncmp(addr, "usb:", 4) == 0) {
		c->t.want_iface = TRANSPORT_IFACE_FASTBOOT;
		c->t.zlp = 0;	/* fastboot never wants them */
	}
	rc = transport_open(&c->t, addr);
	if (rc < 0) {
		dm_fail(err, errlen, rc, "%s", c->t.errbuf);
		free(c);
		return rc;
	}
	c->tcp = strncmp(addr, "tcp:", 4) == 0;
	if (c->tcp) {
		/* "FB" and a two-digit version; we speak 01. */
		rc = transport_write(&c->t, "FB01", 4, timeout_ms);
		if (rc >= 0)
			rc = transport_read_full(&c->t, hs, 4, timeout_ms);
		if (rc < 0) {
			dm_fail(err, errlen, rc, "%s: no fastboot handshake "
			    "(%s)", addr, c->t.errbuf);
			fb_close(c);
			return rc == DM_ECLOSED ? DM_EPROTO : rc;
		}
		if (memcmp(hs, "FB", 2) != 0 || hs[2] < '0' || hs[2] > '9' ||
		    hs[3] < '0' || hs[3] > '9') {
			fb_close(c);
			return dm_fail(err, errlen, DM_EPROTO,
			    "%s does not speak fastboot over TCP", addr);
		}
	}
	*out = c;
	return 0;
}

void
fb_open_over(const struct transport *t, int framed, struct fb_conn **out)
{
	struct fb_conn *c = xcalloc(1, sizeof(*c));

	c->t = *t;
	c->tcp = framed;
	*out = c;
}

void
fb_close(struct fb_conn *c)
{
	if (c == NULL)
		return;
	transport_close(&c->t);
	free(c);
}

int
fb_reboot(struct fb_conn *c, const char *target, char *err, size_t errlen)
{
	const char *cmd;

	if (target == NULL || *target == '\0' || !strcmp(target, "system"))
		cmd = "reboot";
	else if (!strcmp(target, "bootloader"))
		cmd = "reboot-bootloader";
	else if (!strcmp(target, "fastboot") || !strcmp(target, "fastbootd"))
		cmd = "reboot-fastboot";
	else if (!strcmp(target, "recovery"))
		cmd = "reboot-recovery";
	else
		return dm_fail(err, errlen, DM_EINVAL,
		    "no reboot target '%s' in fastboot (system, bootloader, "
		    "fastboot, recovery)", target);
	return fb_command(c, cmd, NULL, 0, FB_CMD_MS, err, errlen);
}

/* ---- images ---------------------------------------------------------- */

struct file_img {
	int fd;
};

static void
file_close(void *ud)
{
	struct file_img *f = ud;	/* &f->fd, its first member */

	close(f->fd);
	free(f);
}

static int
file_rewind(void *ud, char *err, size_t errlen)
{
	struct file_img *f = ud;

	if (lseek(f->fd, 0, SEEK_SET) < 0)
		return dm_fail(err, errlen, DM_EIO, "cannot rewind: %s",
		    strerror(errno));
	return 0;
}

int
fb_image_open_file(struct fb_image *img, const char *path, char *err,
    size_t errlen)
{
	struct file_img *f;
	struct stat st;
	int fd;

	memset(img, 0, sizeof(*img));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dm_fail(err, errlen, dm_from_errno(errno), "%s: %s",
		    path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return dm_fail(err, errlen, DM_EINVAL,
		    "%s: not a regular file", path);
	}
	if (st.st_size == 0) {
		close(fd);
		return dm_fail(err, errlen, DM_EINVAL, "%s: empty file", path);
	}
	f = xcalloc(1, sizeof(*f));
	f->fd = fd;
	sparse_src_fd(&img->src, &f->fd);
	img->rewind = file_rewind;
	img->close = file_close;
	img->size = (uint64_t)st.st_size;
	snprintf(img->name, sizeof(img->name), "%s", path);
	/* The image is read twice, forwards. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

void
fb_image_close(struct fb_image *img)
{
	if (img == NULL)
		return;
	if (img->close != NULL && img->src.ud != NULL)
		img->close(img->src.ud);
	memset(img, 0, sizeof(*img));
}

/* Add the source's own words for a failed read to err, unless they are
 * there already (or it has none). */
static void
image_explain(const struct fb_image *img, char *err, size_t errlen)
{
	const char *why = img->why != NULL ? img->why(img->src.ud) : NULL;
	size_t n = strlen(err);

	if (why == NULL || *why == '\0' || strstr(err, why) != NULL ||
	    n + 4 >= errlen)
		return;
	snprintf(err + n, errlen - n, " (%s)", why);
}

/* The descriptor of an image that is a file, else -1. */
static int
image_fd(const struct fb_image *img)
{
	const struct file_img *f;

	if (img->rewind != file_rewind || img->src.ud == NULL)
		return -1;
	f = img->src.ud;
	return f->fd;
}

/* ---- the flasher ----------------------------------------------------- */

/* getvar into v; a FAIL just means the phone does not say. */
static int
ask(struct fb_conn *c, struct fbvars *v, const char *name, char *err,
    size_t errlen)
{
	char val[FB_RESP_MAX + 1];
	int rc;

	rc = fb_getvar(c, name, val, sizeof(val), err, errlen);
	if (rc == DM_EREFUSED)
		return 0;
	if (rc < 0)
		return rc;
	(void)fbvars_set(v, name, val);
	return 0;
}

/* ---- the image's SHA-256 ---------------------------------------------- */

/* A hashing reader in front of the image for the check pass. */
struct hash_src {
	const struct sparse_src *in;
	EVP_MD_CTX *md;
};

/* Read from in, hashing what comes: the check pass and the in-line hash
 * of a non-file image both read this way. */
static ssize_t
read_hashed(const struct sparse_src *in, EVP_MD_CTX *md, void *buf,
    size_t len)
{
	ssize_t n = in->read(in->ud, buf, len);

	if (n > 0 && EVP_DigestUpdate(md, buf, (size_t)n) != 1)
		return DM_EIO;
	return n;
}

static ssize_t
hash_read(void *ud, void *buf, size_t len)
{
	struct hash_src *h = ud;

	return read_hashed(h->in, h->md, buf, len);
}

static void
hash_hex(EVP_MD_CTX *md, char hex[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	hex[0] = '\0';
	if (EVP_DigestFinal_ex(md, d, &n) != 1)
		return;
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* Hash a whole file, from its first byte to its end, through md: a
 * thread reads it ahead with pread() (the descriptor's position does not
 * move) into a few buffers while this one hashes those filled, so the
 * copying out of the page cache and the hashing, the two costs, overlap
 * where a second core is free.  *total is the bytes hashed.  stop, when
 * set, ends it early (DM_ECANCEL). */
#define HASH_BUF	(256u << 10)
#define HASH_BUFS	4

struct readahead {
	int fd;
	atomic_int *stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *buf[HASH_BUFS];
	size_t len[HASH_BUFS];
	uint64_t filled, used;		/* buffers, counted */
	int end;			/* the reader is done */
	int rc;				/* and how */
	char err[160];
};

static void *
readahead_main(void *arg)
{
	struct readahead *r = arg;
	uint64_t off = 0;

	for (;;) {
		size_t i;
		ssize_t n;

		pthread_mutex_lock(&r->mu);
		while (r->filled - r->used == HASH_BUFS &&
		    !atomic_load(r->stop))
			pthread_cond_wait(&r->cv, &r->mu);
		pthread_mutex_unlock(&r->mu);
		if (atomic_load(r->stop))
			n = DM_ECANCEL;
		else {
			i = (size_t)(r->filled % HASH_BUFS);
			do
				n = pread(r->fd, r->buf[i], HASH_BUF,
				    (off_t)off);
			while (n < 0 && errno == EINTR);
			if (n < 0) {
				int e = errno;

				n = dm_from_errno(e);
				dm_fail(r->err, sizeof(r->err), (int)n,
				    "reading at byte %" PRIu64 ": %s", off,
				    strerror(e));
			} else {
				r->len[i] = (size_t)n;
			}
		}
		pthread_mutex_lock(&r->mu);
		if (n > 0) {
			r->filled++;
			off += (uint64_t)n;
		} else {
			r->end = 1;
			r->rc = n < 0 ? (int)n : 0;
		}
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		if (n <= 0)
			return NULL;
	}
}

static int
hash_fd(int fd, EVP_MD_CTX *md, atomic_int *stop, uint64_t *total,
    char *err, size_t errlen)
{
	struct readahead r;
	pthread_t th;
	int rc = 0, failed = 0;

	memset(&r, 0, sizeof(r));
	r.fd = fd;
	r.stop = stop;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	for (int i = 0; i < HASH_BUFS; i++)
		r.buf[i] = xmalloc(HASH_BUF);
	*total = 0;
	if (pthread_create(&th, NULL, readahead_main, &r) != 0) {
		/* No thread: read and hash in turn. */
		for (;;) {
			ssize_t n = atomic_load(stop) ? DM_ECANCEL :
			    pread(fd, r.buf[0], HASH_BUF, (off_t)*total);

			if (n < 0 && n != DM_ECANCEL && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n == DM_ECANCEL)
					rc = dm_fail(err, errlen, DM_ECANCEL,
					    "cancelled");
				else if (n < 0)
					rc = dm_fail(err, errlen,
					    dm_from_errno(errno), "reading at "
					    "byte %" PRIu64 ": %s", *total,
					    strerror(errno));
				break;
			}
			if (EVP_DigestUpdate(md, r.buf[0], (size_t)n) != 1) {
				rc = dm_fail(err, errlen, DM_EIO,
				    "SHA-256 failed");
				break;
			}
			*total += (uint64_t)n;
		}
		goto out;
	}
	pthread_mutex_lock(&r.mu);
	for (;;) {
		size_t i;

		while (r.filled == r.used && !r.end)
			pthread_cond_wait(&r.cv, &r.mu);
		if (r.filled == r.used)
			break;
		i = (size_t)(r.used % HASH_BUFS);
		pthread_mutex_unlock(&r.mu);
		/* Buffer i is ours until used moves. */
		if (!failed && EVP_DigestUpdate(md, r.buf[i], r.len[i]) != 1) {
			failed = 1;
			atomic_store(stop, 1);
		}
		*total += r.len[i];
		pthread_mutex_lock(&r.mu);
		r.used++;
		pthread_cond_broadcast(&r.cv);
	}
	pthread_mutex_unlock(&r.mu);
	pthread_join(th, NULL);
	if (failed)
		rc = dm_fail(err, errlen, DM_EIO, "SHA-256 failed");
	else if (r.rc == DM_ECANCEL)
		rc = dm_fail(err, errlen, DM_ECANCEL, "cancelled");
	else if (r.rc < 0)
		rc = dm_fail(err, errlen, r.rc, "%s", r.err);
out:
	for (int i = 0; i < HASH_BUFS; i++)
		free(r.buf[i]);
	pthread_cond_destroy(&r.cv);
	pthread_mutex_destroy(&r.mu);
	return rc;
}

/* The SHA-256 of the image computed while it is sent.  A file is hashed
 * by a thread of our own that reads it alongside the sending (hash_fd;
 * the writer's position does not move), from its first byte to its
 * last, so every byte of the file goes through the hash, also those
 * never sent (headers, trailing bytes), and the result is what sha256sum
 * says of the file.  Where a second core is free the hash costs no wall
 * time, and the thread never waits for the sending (nor it for the
 * thread) until the end.  An image that is not a file (or when the
 * thread cannot start) is hashed in line, through its reads. */
struct img_hash {
	EVP_MD_CTX *md;
	int threaded;
	pthread_t th;
	int fd;
	uint64_t size;		/* the image's size when opened */
	atomic_int stop;		/* set: give up */
	int rc;			/* the thread's outcome */
	char err[256];
	/* In line: */
	const struct sparse_src *in;
	struct sparse_src src;
};

static void *
hash_thread(void *arg)
{
	struct img_hash *h = arg;
	uint64_t total = 0;

	h->rc = hash_fd(h->fd, h->md, &h->stop, &total, h->err,
	    sizeof(h->err));
	if (h->rc == 0 && h->size > 0 && total != h->size)
		h->rc = dm_fail(h->err, sizeof(h->err), DM_EINVAL, "it "
		    "changed while being sent: %" PRIu64 " bytes, not %"
		    PRIu64, total, h->size);
	return NULL;
}

static ssize_t
inline_hash_read(void *ud, void *buf, size_t len)
{
	struct img_hash *h = ud;

	return read_hashed(h->in, h->md, buf, len);
}

/* Skips read through the hash too. */
static int
inline_hash_skip(void *ud, uint64_t len)
{
	uint8_t buf[16 << 10];

	while (len > 0) {
		ssize_t n = inline_hash_read(ud, buf, len < sizeof(buf) ?
		    (size_t)len : sizeof(buf));

		if (n < 0)
			return (int)n;
		if (n == 0)
			return DM_EIO;	/* the size was known: it shrank */
		len -= (uint64_t)n;
	}
	return 0;
}

/* Start hashing; *in is the source the writer is to read. */
static int
hash_start(struct img_hash *h, struct fb_image *img, int fd,
    const struct sparse_src **in, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	h->md = EVP_MD_CTX_new();
	if (h->md == NULL ||
	    EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->md);
		h->md = NULL;
		return dm_fail(err, errlen, DM_ENOMEM, "cannot start "
		    "SHA-256");
	}
	h->fd = fd;
	h->size = img->size;
	atomic_init(&h->stop, 0);
	*in = &img->src;
	if (fd >= 0 && pthread_create(&h->th, NULL, hash_thread, h) == 0) {
		h->threaded = 1;
		return 0;
	}
	h->in = &img->src;
	h->src.read = inline_hash_read;
	h->src.skip = img->src.skip != NULL ? inline_hash_skip : NULL;
	h->src.ud = h;
	*in = &h->src;
	return 0;
}

/* Finish: the hash into hex, or an error.  In line, the input's rest
 * (what the writer did not need) is read through the hash first. */
static int
hash_finish(struct img_hash *h, char hex[65], char *err, size_t errlen)
{
	int rc = 0;

	if (h->threaded) {
		pthread_join(h->th, NULL);
		h->threaded = 0;
		if (h->rc < 0)
			rc = dm_fail(err, errlen, h->rc, "%s", h->err);
	} else {
		uint8_t *buf = xmalloc(HASH_BUF);

		for (;;) {
			ssize_t n = inline_hash_read(h, buf, HASH_BUF);

			if (n == 0)
				break;
			if (n < 0) {
				rc = dm_fail(err, errlen, (int)n, "reading "
				    "failed: %s", dm_strerror((int)n));
				break;
			}
		}
		free(buf);
	}
	if (rc == 0)
		hash_hex(h->md, hex);
	if (rc == 0 && hex[0] == '\0')
		rc = dm_fail(err, errlen, DM_EIO, "SHA-256 failed");
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
	return rc;
}

/* Stop and drop an unfinished hash. */
static void
hash_abort(struct img_hash *h)
{
	if (h->threaded) {
		atomic_store(&h->stop, 1);
		pthread_join(h->th, NULL);
		h->threaded = 0;
	}
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
}

static void plan_warn(struct fb_flash_plan *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
plan_warn(struct fb_flash_plan *p, const char *fmt, ...)
{
	va_list ap;

	if (p->nwarn >= (int)(sizeof(p->warn) / sizeof(p->warn[0])))
		return;
	va_start(ap, fmt);
	vsnprintf(p->warn[p->nwarn++], sizeof(p->warn[0]), fmt, ap);
	va_end(ap);
}

/* Which partitions: part as named, or with the slot suffix when the
 * phone says it has slots. */
static int
pick_targets(struct fb_conn *c, struct fbvars *v, const struct fb_flash_opts *o,
    struct fb_flash_plan *p, char *err, size_t errlen)
{
	char name[96];
	int rc, hs, nslots;
	const char *cur = v->current_slot;

	snprintf(name, sizeof(name), "has-slot:%s", o->part);
	if ((rc = ask(c, v, name, err, errlen)) < 0)
		return rc;
	hs = fbvars_has_slot(v, o->part);
	if (hs != 1) {
		if (o->slot != NULL)
			plan_warn(p, "%s has no slots: --slot is ignored",
			    o->part);
		snprintf(p->targets[0], sizeof(p->targets[0]), "%s", o->part);
		p->ntargets = 1;
		return 0;
	}
	nslots = v->slot_count > 0 ? v->slot_count : 2;
	if (nslots > FB_MAX_TARGETS)
		nslots = FB_MAX_TARGETS;
	if (o->slot != NULL && strcmp(o->slot, "all") == 0) {
		for (int i = 0; i < nslots; i++)
			snprintf(p->targets[i], sizeof(p->targets[i]), "%s_%c",
			    o->part, 'a' + i);
		p->ntargets = nslots;
		return 0;
	}
	if (o->slot != NULL && strcmp(o->slot, "other") == 0) {
		if (cur[0] == '\0' || nslots != 2)
			return dm_fail(err, errlen, DM_EINVAL,
			    "the phone did not say its current slot: name "
			    "the slot (--slot a or b)");
		snprintf(p->targets[0], sizeof(p->targets[0]), "%s_%c",
		    o->part, cur[0] == 'a' ? 'b' : 'a');
	} else if (o->slot != NULL) {
		const char *s = o->slot[0] == '_' ? o->slot + 1 : o->slot;

		if (strlen(s) != 1 || s[0] < 'a' || s[0] >= 'a' + nslots)
			return dm_fail(err, errlen, DM_EINVAL,
			    "no slot '%s' on this phone (it has %d)", o->slot,
			    nslots);
		snprintf(p->targets[0], sizeof(p->targets[0]), "%s_%s",
		    o->part, s);
	} else {
		if (cur[0] == '\0')
			return dm_fail(err, errlen, DM_EINVAL,
			    "%s has slots but the phone did not say which is "
			    "current: name one (--slot a or b)", o->part);
		snprintf(p->targets[0], sizeof(p->targets[0]), "%s_%s",
		    o->part, cur);
	}
	p->ntargets = 1;
	return 0;
}

void
fb_flash_plan_free(struct fb_flash_plan *plan)
{
	if (plan == NULL)
		return;
	sparse_map_free(&plan->map);
	free(plan->pieces);
	memset(plan, 0, sizeof(*plan));
}

void
fb_size_text(uint64_t n, char *buf, size_t len)
{
	if (n >= (1ull << 30))
		snprintf(buf, len, "%.2f GiB", (double)n / (1ull << 30));
	else if (n >= (1ull << 20))
		snprintf(buf, len, "%.1f MiB", (double)n / (1ull << 20));
	else
		snprintf(buf, len, "%" PRIu64 " bytes", n);
}

/* The whole file's SHA-256 for the check pass. */
static int
plan_hash_file(struct fb_image *img, char hex[65], char *err, size_t errlen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	atomic_int stop;
	uint64_t total = 0;
	int rc;

	atomic_init(&stop, 0);
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return dm_fail(err, errlen, DM_ENOMEM, "cannot start SHA-256");
	}
	rc = hash_fd(image_fd(img), md, &stop, &total, err, errlen);
	if (rc == 0 && total != img->size)
		rc = dm_fail(err, errlen, DM_EINVAL, "it changed while being "
		    "read: %" PRIu64 " bytes, not %" PRIu64, total, img->size);
	if (rc == 0) {
		hash_hex(md, hex);
		if (hex[0] == '\0')
			rc = dm_fail(err, errlen, DM_EIO, "SHA-256 failed");
	}
	EVP_MD_CTX_free(md);
	return rc;
}

/* The check pass over an image that is not a file can take a while (an
 * archive entry is decompressed to its end): what it reads or skips goes
 * to the progress hook every WATCH_STEP bytes, and the hook can stop it
 * (DM_ECANCEL). */
#define WATCH_STEP	(4u << 20)

struct watch_src {
	const struct sparse_src *in;
	struct fb_conn *c;
	uint64_t done, total, next;
};

static int
watch_tick(struct watch_src *w, uint64_t n)
{
	const struct fb_hooks *h = &w->c->hooks;

	w->done += n;
	if (h->progress == NULL || w->done < w->next)
		return 0;
	w->next = w->done + WATCH_STEP;
	return h->progress(h->ud, w->done, w->total) ? DM_ECANCEL : 0;
}

static ssize_t
watch_read(void *ud, void *buf, size_t len)
{
	struct watch_src *w = ud;
	ssize_t n = w->in->read(w->in->ud, buf, len);

	if (n > 0 && watch_tick(w, (uint64_t)n) < 0)
		return DM_ECANCEL;
	return n;
}

static int
watch_skip(void *ud, uint64_t len)
{
	struct watch_src *w = ud;
	int rc = w->in->skip(w->in->ud, len);

	return rc < 0 ? rc : watch_tick(w, len);
}

/* The rest of an image that is not a file, read and dropped, so that
 * all of it has been read once before anything is sent: an archive entry
 * is decompressed to its end and its checksum checked. */
static int
plan_read_rest(const struct sparse_src *in, char *err, size_t errlen)
{
	uint8_t *buf = xmalloc(HASH_BUF);
	int rc = 0;

	for (;;) {
		ssize_t n = in->read(in->ud, buf, HASH_BUF);

		if (n == 0)
			break;
		if (n < 0 || (size_t)n > HASH_BUF) {
			rc = n < 0 ? (int)n : DM_EIO;
			dm_fail(err, errlen, rc, "reading it to its end: %s",
			    dm_strerror(rc));
			break;
		}
	}
	free(buf);
	return rc;
}

int
fb_flash_plan(struct fb_conn *c, struct fb_image *img,
    const struct fb_flash_opts *o, struct fb_flash_plan *p, char *err,
    size_t errlen)
{
	static const char *const asked[] = {
		"product", "serialno", "unlocked", "is-userspace",
		"current-slot", "slot-count", "max-download-size",
		"battery-soc-ok",
	};
	struct fbvars v;
	struct hash_src hs = { 0 };
	struct sparse_src src, watched;
	struct watch_src w = { 0 };
	const struct sparse_src *in = &img->src;
	char name[128], a[32], b[32];
	int rc;

	memset(p, 0, sizeof(*p));
	p->unlocked = -1;
	if (o->part == NULL || *o->part == '\0' || strlen(o->part) > 64 ||
	    strpbrk(o->part, ": \t\n") != NULL)
		return dm_fail(err, errlen, DM_EINVAL,
		    "bad partition name '%s'", o->part ? o->part : "");
	snprintf(p->part, sizeof(p->part), "%s", o->part);
	fbvars_init(&v);
	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++)
		if ((rc = ask(c, &v, asked[i], err, errlen)) < 0)
			goto out;
	snprintf(p->product, sizeof(p->product), "%s", v.product);
	snprintf(p->serialno, sizeof(p->serialno), "%s", v.serialno);
	p->unlocked = v.unlocked;
	p->userspace = v.is_userspace == 1;
	rc = DM_EREFUSED;
	if (o->want_product != NULL && strcmp(o->want_product, v.product)) {
		dm_fail(err, errlen, rc, "this phone is '%s', not '%s': "
		    "refusing to flash an image meant for another model",
		    v.product[0] ? v.product : "(no product)",
		    o->want_product);
		goto out;
	}
	if (v.unlocked == 0) {
		dm_fail(err, errlen, rc, "the bootloader is locked: the "
		    "phone refuses flashing until it is unlocked "
		    "(unlocking erases all user data)");
		goto out;
	}
	if (v.battery_soc_ok == 0 && !o->force) {
		dm_fail(err, errlen, rc, "the phone says its battery is too "
		    "low to flash safely: charge it (or give --force)");
		goto out;
	}
	if ((rc = pick_targets(c, &v, o, p, err, errlen)) < 0)
		goto out;
	for (int i = 0; i < p->ntargets; i++) {
		const struct fb_part *fp;

		snprintf(name, sizeof(name), "partition-size:%s",
		    p->targets[i]);
		if ((rc = ask(c, &v, name, err, errlen)) < 0)
			goto out;
		snprintf(name, sizeof(name), "is-logical:%s", p->targets[i]);
		if ((rc = ask(c, &v, name, err, errlen)) < 0)
			goto out;
		fp = fbvars_part(&v, p->targets[i]);
		if (fp != NULL && fp->logical == 1)
			p->logical = 1;
		if (i == 0 && fp != NULL && fp->has_size)
			p->part_size = fp->size;
	}
	if (p->logical && !p->userspace) {
		rc = dm_fail(err, errlen, DM_EREFUSED, "%s is a logical "
		    "partition (inside %s): the bootloader cannot write it; "
		    "reboot into fastbootd first (droidmedic reboot -s SERIAL "
		    "fastboot)", p->targets[0], v.super_partition_name[0] ?
		    v.super_partition_name : "super");
		goto out;
	}
	if (p->part_size == 0 && !p->logical) {
		const struct fb_part *sp;

		if ((rc = ask(c, &v, "partition-size:super", err, errlen)) < 0)
			goto out;
		sp = fbvars_part(&v, "super");
		if (!p->userspace && (v.super_partition_name[0] ||
		    (sp != NULL && sp->has_size)))
			plan_warn(p, "the bootloader does not know %s: if it "
			    "lives in super (system, vendor, product...), "
			    "flash it from fastbootd (droidmedic reboot -s "
			    "SERIAL fastboot)", p->targets[0]);
		else
			plan_warn(p, "the phone did not say how large %s is",
			    p->targets[0]);
	}
	p->max_download = v.has_max_download ? v.max_download_size : 0;
	if (p->max_download == 0)
		plan_warn(p, "the phone did not say its max-download-size: "
		    "the image goes in one piece");

	if (o->map != NULL && o->want_sha256 == NULL) {
		/* Read and checked already: nothing of the image is read. */
		sparse_map_copy(&p->map, o->map);
		rc = p->map.in_size == img->size ? 0 : dm_fail(err, errlen,
		    DM_EINVAL, "its layout was read for %" PRIu64 " bytes, "
		    "it has %" PRIu64, p->map.in_size, img->size);
		goto mapped;
	}
	rc = img->rewind(img->src.ud, err, errlen);
	if (image_fd(img) < 0) {
		w.in = &img->src;
		w.c = c;
		w.total = img->size;
		watched.read = watch_read;
		watched.skip = img->src.skip != NULL ? watch_skip : NULL;
		watched.ud = &w;
		in = &watched;
	}
	if (rc == 0 && (o->want_sha256 == NULL || image_fd(img) >= 0)) {
		/* The layout, from the chunk headers (the data is skipped
		 * over, not read). */
		rc = sparse_map_read(in, img->size, SPARSE_BLK_SZ, &p->map,
		    err, errlen);
		/* With a hash to check, a file is then hashed whole, read
		 * ahead while hashing; without, there is none, or (o->hash)
		 * it is computed while sending (fb_flash_run). */
		if (rc == 0 && o->want_sha256 != NULL)
			rc = plan_hash_file(img, p->sha256, err, errlen);
		else if (rc == 0 && image_fd(img) < 0)
			rc = plan_read_rest(in, err, errlen);
	} else if (rc == 0) {
		/* The check pass: every byte read, hashed and checked. */
		hs.in = in;
		hs.md = EVP_MD_CTX_new();
		if (hs.md == NULL ||
		    EVP_DigestInit_ex(hs.md, EVP_sha256(), NULL) != 1) {
			EVP_MD_CTX_free(hs.md);
			rc = dm_fail(err, errlen, DM_ENOMEM, "cannot start "
			    "SHA-256");
			goto out;
		}
		src.read = hash_read;
		src.skip = NULL;	/* the hash needs every byte */
		src.ud = &hs;
		rc = sparse_map_read(&src, img->size, SPARSE_BLK_SZ, &p->map,
		    err, errlen);
		/* The map does not read what it need not (a raw image's
		 * data, a sparse image's trailing bytes): hash those too. */
		while (rc == 0) {
			char buf[64 << 10];
			ssize_t n = hash_read(&hs, buf, sizeof(buf));

			if (n == 0)
				break;
			if (n < 0)
				rc = dm_fail(err, errlen, (int)n,
				    "reading failed");
		}
		if (rc == 0) {
			hash_hex(hs.md, p->sha256);
			if (p->sha256[0] == '\0')
				rc = dm_fail(err, errlen, DM_EIO,
				    "SHA-256 failed");
		}
		EVP_MD_CTX_free(hs.md);
	}
mapped:
	if (rc < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		dm_fail(err, errlen, rc, "%s: %s", img->name, why);
		image_explain(img, err, errlen);
		goto out;
	}
	if (o->want_sha256 != NULL && strcasecmp(o->want_sha256, p->sha256)) {
		rc = dm_fail(err, errlen, DM_EINVAL, "%s: SHA-256 is %s, not "
		    "the expected %s: refusing to flash it", img->name,
		    p->sha256, o->want_sha256);
		goto out;
	}
	p->hash_inline = o->want_sha256 == NULL && o->hash;
	p->sparse = p->map.sparse;
	p->image_size = p->map.in_size;
	p->expanded = p->map.sparse ?
	    (uint64_t)p->map.total_blks * p->map.blk_sz : p->map.in_size;
	if (!p->logical && p->part_size > 0 && p->expanded > p->part_size) {
		fb_size_text(p->expanded, a, sizeof(a));
		fb_size_text(p->part_size, b, sizeof(b));
		rc = dm_fail(err, errlen, DM_EREFUSED, "%s expands to %s but "
		    "%s holds only %s: wrong image for this partition?",
		    img->name, a, p->targets[0], b);
		goto out;
	}
	rc = sparse_plan(&p->map, p->max_download, &p->pieces, &p->npieces,
	    err, errlen);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < p->npieces; i++)
		p->send_bytes += p->pieces[i].size;
	rc = 0;
out:
	fbvars_free(&v);
	if (rc < 0)
		fb_flash_plan_free(p);
	return rc;
}

struct piece_out {
	struct fb_conn *c;
	char *err;
	size_t errlen;
	uint64_t *sent;
	int fd;			/* the image file, for piece_raw */
};

static int
piece_out(void *ud, const void *buf, size_t len)
{
	struct piece_out *po = ud;
	int rc = fb_download_data(po->c, buf, len, po->err, po->errlen);

	if (rc == 0)
		*po->sent += len;
	return rc;
}

/* The image's own bytes, straight from its file. */
static int
piece_raw(void *ud, uint64_t off, uint64_t len)
{
	struct piece_out *po = ud;
	int rc = download_file(po->c, po->fd, off, len, po->err, po->errlen);

	if (rc == 0)
		*po->sent += len;
	return rc;
}

/* Progress over the whole run, not one download. */
struct run_prog {
	struct fb_hooks saved;
	uint64_t base, total;
};

static int run_flash(struct fb_conn *c, struct fb_image *img,
    struct fb_flash_plan *p, struct fb_flash_result *res,
    struct run_prog *rp, char *err, size_t errlen);

static int
run_progress(void *ud, uint64_t done, uint64_t total)
{
	struct run_prog *rp = ud;

	(void)total;
	return rp->saved.progress(rp->saved.ud, rp->base + done, rp->total);
}

static void
run_info(void *ud, const char *tag, const char *msg)
{
	struct run_prog *rp = ud;

	if (rp->saved.info != NULL)
		rp->saved.info(rp->saved.ud, tag, msg);
}

int
fb_flash_run(struct fb_conn *c, struct fb_image *img,
    struct fb_flash_plan *p, struct fb_flash_result *res, char *err,
    size_t errlen)
{
	struct run_prog rp = { .saved = c->hooks,
	    .total = p->send_bytes * (uint64_t)p->ntargets };
	int rc = run_flash(c, img, p, res, &rp, err, errlen);

	c->hooks = rp.saved;
	if (rc < 0)
		image_explain(img, err, errlen);
	return rc;
}

static int
run_flash(struct fb_conn *c, struct fb_image *img, struct fb_flash_plan *p,
    struct fb_flash_result *res, struct run_prog *rp, char *err,
    size_t errlen)
{
	char cmd[160], why[256];
	int rc = 0, fd = image_fd(img);
	/* Sending the image's bytes from its file (sendfile) takes a
	 * transport that can. */
	int from_file = fd >= 0 && c->t.ops != NULL &&
	    c->t.ops->sendfile != NULL;

	memset(res, 0, sizeof(*res));
	snprintf(res->sha256, sizeof(res->sha256), "%s", p->sha256);
	c->hooks.info = run_info;
	c->hooks.progress = rp->saved.progress != NULL ? run_progress : NULL;
	c->hooks.ud = rp;
	for (int t = 0; t < p->ntargets; t++) {
		struct sparse_writer *w;
		struct piece_out po = { c, err, errlen, &res->bytes_sent, fd };
		const struct sparse_src *in = &img->src;
		struct img_hash h;
		/* --hash: hashed on the first pass (the plan made sure no
		 * hash was checked before). */
		int hashing = t == 0 && p->hash_inline, raw;

		res->pieces_done = 0;
		if (p->logical) {
			snprintf(cmd, sizeof(cmd),
			    "resize-logical-partition:%s:%" PRIu64,
			    p->targets[t], p->expanded);
			rc = fb_command(c, cmd, NULL, 0, FB_SLOW_MS, err,
			    errlen);
			if (rc < 0) {
				snprintf(why, sizeof(why), "%s", err);
				return dm_fail(err, errlen, rc,
				    "resizing %s: %s%s", p->targets[t],
				    rc == DM_EREFUSED ? "the phone said: " : "",
				    why);
			}
		}
		rc = img->rewind(img->src.ud, err, errlen);
		if (rc < 0)
			return rc;
		if (hashing &&
		    (rc = hash_start(&h, img, fd, &in, err, errlen)) < 0)
			return rc;
		/* From the file itself (sendfile) unless the hash thread
		 * runs: then reading here and sending from our buffer
		 * measured faster, sendfile leaving the copy out of the page
		 * cache to the receiving side, which is then the slower. */
		raw = from_file && !hashing;
		w = sparse_writer_new(&p->map, in);
		for (size_t i = 0; i < p->npieces; i++) {
			const struct sparse_piece *pc = &p->pieces[i];

			rp->base = res->bytes_sent;
			rc = fb_download_begin(c, (uint32_t)pc->size, err,
			    errlen);
			if (rc == 0 && raw)
				rc = sparse_write_piece_raw(w, pc, piece_out,
				    piece_raw, &po, err, errlen);
			else if (rc == 0)
				rc = sparse_write_piece(w, pc, piece_out, &po,
				    err, errlen);
			if (rc == 0)
				rc = fb_download_end(c, err, errlen);
			if (rc < 0) {
				snprintf(why, sizeof(why), "%s", err);
				dm_fail(err, errlen, rc, "sending piece %zu/%zu "
				    "for %s: %s%s", i + 1, p->npieces,
				    p->targets[t], rc == DM_EREFUSED ?
				    "the phone said: " : "", why);
				break;
			}
			if (hashing && i + 1 == p->npieces) {
				/* The hash is known before the last piece
				 * is written. */
				hashing = 0;
				rc = hash_finish(&h, res->sha256, err, errlen);
				if (rc < 0) {
					snprintf(why, sizeof(why), "%s", err);
					dm_fail(err, errlen, rc, "%s: computing "
					    "its SHA-256: %s", img->name, why);
					break;
				}
			}
			snprintf(cmd, sizeof(cmd), "flash:%s", p->targets[t]);
			rc = fb_command(c, cmd, NULL, 0, FB_SLOW_MS, err,
			    errlen);
			if (rc < 0) {
				snprintf(why, sizeof(why), "%s", err);
				dm_fail(err, errlen, rc, "writing piece %zu/%zu "
				    "to %s: %s%s", i + 1, p->npieces,
				    p->targets[t], rc == DM_EREFUSED ?
				    "the phone said: " : "", why);
				break;
			}
			res->pieces_done = i + 1;
		}
		sparse_writer_free(w);
		if (hashing)
			hash_abort(&h);
		if (rc < 0)
			return rc;
		res->targets_done = t + 1;
	}
	return 0;
}
