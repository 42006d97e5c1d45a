/* fastboot.c - droidmedic's fastboot client: transport framing, commands,
 * variables, downloads and the flasher.  See fastboot.h.  Runs on the
 * caller's thread. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
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
		uint8_t hdr[8];

		be64_put(hdr, len);
		rc = transport_write(&c->t, hdr, sizeof(hdr), ms);
		if (rc < 0)
			return conn_fail(c, rc, err, errlen);
	}
	rc = transport_write(&c->t, buf, len, ms);
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
		c->dl_left -= k;
		c->dl_done += k;
		if (c->hooks.progress != NULL &&
		    c->hooks.progress(c->hooks.ud, c->dl_done, c->dl_total)) {
			c->dead = 1;	/* the phone still waits for data */
			return dm_fail(err, errlen, DM_ECANCEL,
			    "download cancelled after %" PRIu64 " of %" PRIu64
			    " bytes", c->dl_done, c->dl_total);
		}
	}
	return 0;
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
	img->size = (uint64_t)st.st_size;
	snprintf(img->name, sizeof(img->name), "%s", path);
	/* The image is read twice, forwards. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

void
fb_image_close(struct fb_image *img)
{
	struct file_img *f;

	if (img == NULL || img->rewind != file_rewind)
		return;
	f = img->src.ud;	/* &f->fd, its first member */
	if (f != NULL) {
		close(f->fd);
		free(f);
	}
	memset(img, 0, sizeof(*img));
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

/* A hashing reader in front of the image for the check pass. */
struct hash_src {
	const struct sparse_src *in;
	EVP_MD_CTX *md;
};

static ssize_t
hash_read(void *ud, void *buf, size_t len)
{
	struct hash_src *h = ud;
	ssize_t n = h->in->read(h->in->ud, buf, len);

	if (n > 0 && EVP_DigestUpdate(h->md, buf, (size_t)n) != 1)
		return DM_EIO;
	return n;
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
	struct sparse_src src;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
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

	/* The check pass: every byte read, hashed and checked. */
	hs.in = &img->src;
	hs.md = EVP_MD_CTX_new();
	if (hs.md == NULL || EVP_DigestInit_ex(hs.md, EVP_sha256(), NULL) != 1) {
		rc = dm_fail(err, errlen, DM_ENOMEM, "cannot start SHA-256");
		goto out;
	}
	src.read = hash_read;
	src.skip = NULL;	/* the hash needs every byte */
	src.ud = &hs;
	rc = img->rewind(img->src.ud, err, errlen);
	if (rc == 0)
		rc = sparse_map_read(&src, img->size, SPARSE_BLK_SZ, &p->map,
		    err, errlen);
	/* The map does not read what it need not (a raw image's data, a
	 * sparse image's trailing bytes): hash those too. */
	while (rc == 0) {
		char buf[64 << 10];
		ssize_t n = hash_read(&hs, buf, sizeof(buf));

		if (n == 0)
			break;
		if (n < 0)
			rc = dm_fail(err, errlen, (int)n, "reading failed");
	}
	if (rc == 0 && EVP_DigestFinal_ex(hs.md, md, &mdlen) != 1)
		rc = dm_fail(err, errlen, DM_EIO, "SHA-256 failed");
	EVP_MD_CTX_free(hs.md);
	if (rc < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		dm_fail(err, errlen, rc, "%s: %s", img->name, why);
		goto out;
	}
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(p->sha256 + 2 * i, 3, "%02x", md[i]);
	if (o->want_sha256 != NULL && strcasecmp(o->want_sha256, p->sha256)) {
		rc = dm_fail(err, errlen, DM_EINVAL, "%s: SHA-256 is %s, not "
		    "the expected %s: refusing to flash it", img->name,
		    p->sha256, o->want_sha256);
		goto out;
	}
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
	return rc;
}

static int
run_flash(struct fb_conn *c, struct fb_image *img, struct fb_flash_plan *p,
    struct fb_flash_result *res, struct run_prog *rp, char *err,
    size_t errlen)
{
	char cmd[160], why[256];
	int rc = 0;

	memset(res, 0, sizeof(*res));
	c->hooks.info = run_info;
	c->hooks.progress = rp->saved.progress != NULL ? run_progress : NULL;
	c->hooks.ud = rp;
	for (int t = 0; t < p->ntargets; t++) {
		struct sparse_writer *w;
		struct piece_out po = { c, err, errlen, &res->bytes_sent };

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
		w = sparse_writer_new(&p->map, &img->src);
		for (size_t i = 0; i < p->npieces; i++) {
			const struct sparse_piece *pc = &p->pieces[i];

			rp->base = res->bytes_sent;
			rc = fb_download_begin(c, (uint32_t)pc->size, err,
			    errlen);
			if (rc == 0)
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
		if (rc < 0)
			return rc;
		res->targets_done = t + 1;
	}
	return 0;
}
