/* fbd.c - the simulated bootloader / fastbootd (see fbd.h).
 *
 * Replies are one frame each, at most 256 bytes: a 4-byte tag (OKAY, FAIL,
 * INFO, DATA) and text.  The FAIL texts are the ones real loaders send
 * where we know them (Qualcomm ABL's "GetVar Variable Not found", AOSP
 * fastbootd's "Could not find partition"). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "err.h"
#include "appstate.h"
#include "fbd.h"
#include "log.h"
#include "paths.h"
#include "phone.h"
#include "sparse.h"
#include "xmem.h"

#define FB_CMD_MAX	4096	/* longest command a host may send */
#define FB_REPLY_MAX	256	/* longest reply, tag included */
#define FB_IO_MS	30000	/* a host silent this long is gone */

struct var {
	char *name, *value;
};

struct vartab {
	struct var *v;
	size_t n;
};

struct fbstate {
	pthread_mutex_t lock;
	struct vartab tab[2];	/* 0 bootloader, 1 fastbootd */
	int has_fastbootd;
};

/* ---- variables ----------------------------------------------------------- */

static struct var *
tab_find(struct vartab *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

static void
tab_set(struct vartab *t, const char *name, const char *value)
{
	struct var *v = tab_find(t, name);

	if (v != NULL) {
		free(v->value);
		v->value = xstrdup(value);
		return;
	}
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	t->v[t->n].name = xstrdup(name);
	t->v[t->n].value = xstrdup(value);
	t->n++;
}

static void
tab_free(struct vartab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].value);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* Variables whose name carries a partition or slot: "partition-size:boot_a:
 * 0x6000000" names "partition-size:boot_a". */
static int
has_subkey(const char *s, size_t n)
{
	static const char *const sub[] = { "partition-size", "partition-type",
	    "is-logical", "has-slot", "slot-successful", "slot-unbootable",
	    "slot-retry-count", "slot-fastboot-ok", "sbdp" };

	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (strlen(sub[i]) == n && memcmp(s, sub[i], n) == 0)
			return 1;
	return 0;
}

/* Lines "(bootloader) name:value" of a capture; anything else (a shell
 * prompt, "all:", "Finished. Total time") is not a variable. */
static void
tab_load(struct vartab *t, const char *text, size_t len)
{
	static const char pre[] = "(bootloader) ";
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *c, *split;
		char *name, *value;

		if ((size_t)(e - p) > sizeof(pre) - 1 &&
		    memcmp(p, pre, sizeof(pre) - 1) == 0) {
			const char *s = p + sizeof(pre) - 1;

			while (e > s && (e[-1] == '\r' || e[-1] == ' '))
				e--;
			c = memchr(s, ':', (size_t)(e - s));
			split = c;
			if (c != NULL && has_subkey(s, (size_t)(c - s)))
				split = memchr(c + 1, ':', (size_t)(e - c - 1));
			if (split != NULL && split > s) {
				name = xasprintf("%.*s", (int)(split - s), s);
				value = xasprintf("%.*s",
				    (int)(e - split - 1), split + 1);
				tab_set(t, name, value);
				free(name);
				free(value);
			}
		}
		p = nl ? nl + 1 : end;
	}
}

struct fbstate *
fbstate_new(const struct profile *p)
{
	struct fbstate *fb;

	if (p->fb_bootloader == NULL)
		return NULL;
	fb = xcalloc(1, sizeof(*fb));
	pthread_mutex_init(&fb->lock, NULL);
	tab_load(&fb->tab[0], p->fb_bootloader, p->fb_bootloader_len);
	if (p->fb_fastbootd != NULL) {
		fb->has_fastbootd = 1;
		tab_load(&fb->tab[1], p->fb_fastbootd, p->fb_fastbootd_len);
	}
	for (int m = 0; m < 2; m++) {
		if (m == 1 && !fb->has_fastbootd)
			break;
		for (size_t i = 0; i < p->nfb_vars; i++)
			tab_set(&fb->tab[m], p->fb_vars[2 * i],
			    p->fb_vars[2 * i + 1]);
		/* One phone, one serial, whichever capture it came from. */
		tab_set(&fb->tab[m], "serialno", p->serial);
	}
	return fb;
}

void
fbstate_free(struct fbstate *fb)
{
	if (fb == NULL)
		return;
	tab_free(&fb->tab[0]);
	tab_free(&fb->tab[1]);
	pthread_mutex_destroy(&fb->lock);
	free(fb);
}

int
fbstate_has_fastbootd(const struct fbstate *fb)
{
	return fb != NULL && fb->has_fastbootd;
}

/* ---- the wire ------------------------------------------------------------ */

struct fbconn {
	struct phone *ph;
	struct fbstate *fb;
	int fd;
	int userspace;		/* fastbootd */
	const char *name;
	uint64_t frame_left;	/* bytes of the current host frame unread */
	int have_download;
	uint64_t download_size;
	uint8_t *dl;		/* the download, in memory as a phone holds
				 * it; kept for the connection's next one */
	size_t dl_cap;		/* bytes mapped at dl */
};

static int
io_wait(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };
	int n;

	do
		n = poll(&p, 1, FB_IO_MS);
	while (n < 0 && errno == EINTR);
	return n > 0 ? 0 : -1;
}

/* Up to len bytes, as many as the socket holds (waiting for the first
 * at most FB_IO_MS): the count, or -1 when the host is gone. */
static ssize_t
read_some(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

		if (n > 0)
			return n;
		if (n == 0)
			return -1;
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
		    io_wait(fd, POLLIN) < 0)
			return -1;
	}
}

static int
read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = read_some(fd, p, len);

		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (io_wait(fd, POLLOUT) < 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Room for an n-byte download.  A phone holds its download in RAM, so
 * the simulator does too (at most max-download-size).  And as a phone's
 * RAM is there before and after, the buffer outlives its connection: it
 * goes back to a small pool when the connection ends and the next
 * download, on any connection, takes it with its pages already in place
 * (faulting in and zeroing 256 MiB for every connection would cost the
 * simulator more than the flash itself).  NULL when there is no memory
 * for it. */
#define DL_ALIGN	(2u << 20)
#define DL_POOL		2		/* buffers kept between connections */
#define DL_POOL_MAX	(1ull << 30)	/* larger ones are not kept */

static pthread_mutex_t dl_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint8_t *p;
	size_t cap;
} dl_pool[DL_POOL];

/* Give the connection's buffer back (to the pool, or to the system). */
static void
dl_free(struct fbconn *c)
{
	uint8_t *p = c->dl;
	size_t cap = c->dl_cap;

	c->dl = NULL;
	c->dl_cap = 0;
	if (p == NULL)
		return;
	if (cap <= DL_POOL_MAX) {
		size_t k = 0;

		pthread_mutex_lock(&dl_pool_lock);
		for (size_t i = 1; i < DL_POOL; i++)	/* the smallest */
			if (dl_pool[i].cap < dl_pool[k].cap)
				k = i;
		if (dl_pool[k].cap < cap) {
			uint8_t *q = dl_pool[k].p;
			size_t qcap = dl_pool[k].cap;

			dl_pool[k].p = p;
			dl_pool[k].cap = cap;
			p = q;
			cap = qcap;
		}
		pthread_mutex_unlock(&dl_pool_lock);
	}
	if (p != NULL)
		munmap(p, cap);
}

static uint8_t *
dl_room(struct fbconn *c, uint64_t n)
{
	size_t want, k = DL_POOL;
	void *p = NULL;

	if (n <= c->dl_cap)
		return c->dl;
	dl_free(c);
	if (n > SIZE_MAX - DL_ALIGN)
		return NULL;
	want = ((size_t)n + DL_ALIGN - 1) & ~(size_t)(DL_ALIGN - 1);
	/* The pool's smallest buffer that is large enough. */
	pthread_mutex_lock(&dl_pool_lock);
	for (size_t i = 0; i < DL_POOL; i++)
		if (dl_pool[i].p != NULL && dl_pool[i].cap >= want &&
		    (k == DL_POOL || dl_pool[i].cap < dl_pool[k].cap))
			k = i;
	if (k < DL_POOL) {
		p = dl_pool[k].p;
		want = dl_pool[k].cap;
		dl_pool[k].p = NULL;
		dl_pool[k].cap = 0;
	}
	pthread_mutex_unlock(&dl_pool_lock);
	if (p == NULL) {
		p = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE |
		    MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
#ifdef MADV_HUGEPAGE
		(void)madvise(p, want, MADV_HUGEPAGE);	/* fewer faults */
#endif
	}
	c->dl = p;
	c->dl_cap = want;
	return p;
}

static int
reply(struct fbconn *c, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
reply(struct fbconn *c, const char *tag, const char *fmt, ...)
{
	uint8_t frame[8 + FB_REPLY_MAX + 1];
	va_list ap;
	int n;

	memcpy(frame + 8, tag, 4);
	va_start(ap, fmt);
	n = vsnprintf((char *)frame + 12, FB_REPLY_MAX - 4 + 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > FB_REPLY_MAX - 4)
		n = FB_REPLY_MAX - 4;
	n += 4;
	be64_put(frame, (uint64_t)n);
	return write_all(c->fd, frame, 8 + (size_t)n);
}

/* Next frame's header: its length into frame_left. */
static int
next_frame(struct fbconn *c)
{
	uint8_t h[8];

	if (read_all(c->fd, h, 8) < 0)
		return -1;
	c->frame_left = be64_get(h);
	return 0;
}

/* One command: a whole frame of at most FB_CMD_MAX bytes. */
static int
read_command(struct fbconn *c, char *buf)
{
	do
		if (next_frame(c) < 0)
			return -1;
	while (c->frame_left == 0);
	if (c->frame_left > FB_CMD_MAX) {
		log_warn("sim", "%s: a %llu-byte command", c->name,
		    (unsigned long long)c->frame_left);
		return -1;
	}
	if (read_all(c->fd, buf, (size_t)c->frame_left) < 0)
		return -1;
	buf[c->frame_left] = '\0';
	c->frame_left = 0;
	return 0;
}

/* ---- commands ------------------------------------------------------------ */

static struct vartab *
vars(struct fbconn *c)
{
	return &c->fb->tab[c->userspace];
}

/* A variable's value, trimmed, copied (NULL when unknown). */
static char *
var_get(struct fbconn *c, const char *name)
{
	struct var *v;
	char *r = NULL;

	pthread_mutex_lock(&c->fb->lock);
	v = tab_find(vars(c), name);
	if (v != NULL) {
		const char *s = v->value;

		while (*s == ' ')
			s++;
		r = xstrdup(s);
	}
	pthread_mutex_unlock(&c->fb->lock);
	return r;
}

static int
var_is(struct fbconn *c, const char *name, const char *want)
{
	char *v = var_get(c, name);
	int r = v != NULL && strcmp(v, want) == 0;

	free(v);
	return r;
}

/* Set in both modes: slot and lock state are the phone's, not the mode's. */
static void
var_set_all(struct fbconn *c, const char *name, const char *value)
{
	pthread_mutex_lock(&c->fb->lock);
	tab_set(&c->fb->tab[0], name, value);
	if (c->fb->has_fastbootd)
		tab_set(&c->fb->tab[1], name, value);
	pthread_mutex_unlock(&c->fb->lock);
}

static uint64_t
parse_num(const char *s, int hex)
{
	while (*s == ' ')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return strtoull(s + 2, NULL, 16);
	return strtoull(s, NULL, hex ? 16 : 10);
}

static int
cmd_getvar(struct fbconn *c, const char *name)
{
	char *v;
	int rc;

	if (strcmp(name, "all") == 0) {
		struct vartab snap = { NULL, 0 };

		pthread_mutex_lock(&c->fb->lock);
		for (size_t i = 0; i < vars(c)->n; i++)
			tab_set(&snap, vars(c)->v[i].name,
			    vars(c)->v[i].value);
		pthread_mutex_unlock(&c->fb->lock);
		rc = 0;
		for (size_t i = 0; i < snap.n && rc == 0; i++)
			rc = reply(c, "INFO", "%s:%s", snap.v[i].name,
			    snap.v[i].value);
		tab_free(&snap);
		return rc < 0 ? rc : reply(c, "OKAY", "%s", "");
	}
	v = var_get(c, name);
	if (v == NULL)
		return reply(c, "FAIL", "GetVar Variable Not found");
	rc = reply(c, "OKAY", "%s", v);
	free(v);
	return rc;
}

/* The close@download fault that cuts a download of size bytes, if any:
 * one whose byte count falls inside it ("once" ones are spent by the
 * first download they cut, so a small download before a large one does
 * not use them up). */
static const struct fault *
download_fault(struct fbconn *c, uint64_t size)
{
	size_t n;
	const struct fault *f = phone_faults(c->ph, &n);

	for (size_t i = 0; i < n; i++)
		if (f[i].when == FAULT_AT_DOWNLOAD && f[i].after_bytes < size &&
		    (!f[i].once || phone_fault_claim(c->ph, i)))
			return &f[i];
	return NULL;
}

static int
cmd_download(struct fbconn *c, const char *arg)
{
	char *end = NULL, *mv;
	unsigned long long n;
	uint64_t max, got, stop;
	const struct fault *cut;
	uint8_t *buf;

	errno = 0;
	n = strtoull(arg, &end, 16);
	if (strlen(arg) != 8 || *end != '\0' || errno != 0)
		return reply(c, "FAIL", "Invalid download size '%s'", arg);
	mv = var_get(c, "max-download-size");
	max = mv ? parse_num(mv, 0) : 0;
	free(mv);
	if (max > 0 && n > max)
		return reply(c, "FAIL", "Requested download size is more "
		    "than max allowed");
	if (n == 0)
		return reply(c, "FAIL", "Invalid download size");
	c->have_download = 0;
	buf = dl_room(c, n);
	if (buf == NULL)
		return reply(c, "FAIL", "not enough memory for a download "
		    "of %llu bytes", n);
	if (reply(c, "DATA", "%08llx", n) < 0)
		return -1;
	/* A cable pulled mid-download (a close@download+BYTES fault):
	 * reads stop at BYTES, then the link goes. */
	cut = download_fault(c, n);
	/* The data: frames of any size adding up to exactly n, received
	 * straight into the buffer. */
	for (got = 0; got < n;) {
		ssize_t k;

		if (c->frame_left == 0) {
			if (next_frame(c) < 0)
				return -1;
			continue;
		}
		if (c->frame_left > n - got) {
			log_warn("sim", "%s: data frame runs past the download",
			    c->name);
			return -1;
		}
		stop = got + c->frame_left;
		if (cut != NULL && cut->after_bytes > got &&
		    cut->after_bytes < stop)
			stop = cut->after_bytes;
		k = read_some(c->fd, buf + got, (size_t)(stop - got));
		if (k < 0)
			return -1;
		got += (uint64_t)k;
		c->frame_left -= (uint64_t)k;
		if (cut != NULL && got >= cut->after_bytes) {
			/* A download cut short is no download at all. */
			log_info("sim", "%s: fault close@download after %llu "
			    "bytes", c->name, (unsigned long long)got);
			shutdown(c->fd, SHUT_RDWR);
			return -1;
		}
	}
	c->have_download = 1;
	c->download_size = n;
	return reply(c, "OKAY", "%s", "");
}

/* The partition's file in the phone's state folder. */
static char *
part_path(struct fbconn *c, const char *part)
{
	char *dir = xasprintf("%s/partitions", phone_dir(c->ph));
	char *p;

	paths_mkdirs(dir, 0700);
	p = xasprintf("%s/%s.img", dir, part);
	free(dir);
	return p;
}

/* Xiaomi's bootloader (it has the "token" or "crc" variable) takes
 * "PART_ab" for both slots of PART, and the pseudo-partitions crclist and
 * sparsecrclist: lists its loader checks the images against. */
static int
xiaomi_loader(struct fbconn *c)
{
	char *t = var_get(c, "token"), *k = var_get(c, "crc");
	int r = t != NULL || k != NULL;

	free(t);
	free(k);
	return r && !c->userspace;
}

static int
xiaomi_pseudo(struct fbconn *c, const char *part)
{
	return xiaomi_loader(c) && (strcmp(part, "crclist") == 0 ||
	    strcmp(part, "sparsecrclist") == 0);
}

/* "boot_ab" on Xiaomi's loader: the slots it stands for, into a and b;
 * 1 when it is one. */
static int
xiaomi_both(struct fbconn *c, const char *part, char *a, char *b,
    size_t len)
{
	size_t n = strlen(part);
	char key[160], *v;

	if (n <= 3 || strcmp(part + n - 3, "_ab") != 0 || !xiaomi_loader(c))
		return 0;
	snprintf(key, sizeof(key), "partition-size:%s", part);
	if ((v = var_get(c, key)) != NULL) {
		free(v);
		return 0;
	}
	snprintf(a, len, "%.*s_a", (int)(n - 3), part);
	snprintf(b, len, "%.*s_b", (int)(n - 3), part);
	return 1;
}

/* Checks common to flash and erase: 0 to go on, else 1 with the FAIL
 * text in msg. */
static int
part_check_msg(struct fbconn *c, const char *part, uint64_t *size, char *msg,
    size_t len)
{
	char key[160], *v;

	if (part[0] == '\0' || strchr(part, '/') != NULL ||
	    strlen(part) > 64)
		return snprintf(msg, len, "invalid partition name"), 1;
	snprintf(key, sizeof(key), "partition-size:%s", part);
	v = var_get(c, key);
	if (v == NULL && !xiaomi_pseudo(c, part))
		return snprintf(msg, len, c->userspace ? "Could not find "
		    "partition" : "Partition not found"), 1;
	*size = v != NULL ? parse_num(v, 1) : UINT64_MAX;
	free(v);
	if (var_is(c, "unlocked", "no"))
		return snprintf(msg, len, "Flashing is not allowed in Lock "
		    "State"), 1;
	snprintf(key, sizeof(key), "is-logical:%s", part);
	if (!c->userspace && var_is(c, key, "yes"))
		return snprintf(msg, len, "Partition %s is logical: flash it "
		    "from fastbootd", part), 1;
	return 0;
}

/* The same, replying FAIL: 0 to go on, 1 when refused, -1 when the link
 * is gone. */
static int
part_checks(struct fbconn *c, const char *part, uint64_t *size)
{
	char msg[200];

	if (part_check_msg(c, part, size, msg, sizeof(msg)) == 0)
		return 0;
	return reply(c, "FAIL", "%s", msg) < 0 ? -1 : 1;
}

/* The download into one partition: 0, or 1 with the FAIL text. */
static int
flash_one(struct fbconn *c, const char *part, char *msg, size_t len)
{
	struct sparse_src src;
	struct sparse_mem mem;
	char err[256], *path;
	const uint8_t *head = c->dl;
	uint64_t psize, isize;
	int rc, out;

	if (part_check_msg(c, part, &psize, msg, len) != 0)
		return 1;
	if (!c->have_download)
		return snprintf(msg, len, "No data downloaded"), 1;
	/* The image must fit: its expanded size for sparse ones. */
	isize = c->download_size;
	if (c->download_size >= SPARSE_FILE_HDR_SZ &&
	    sparse_is_sparse(head, SPARSE_FILE_HDR_SZ))
		isize = (uint64_t)le32_get(head + 12) * le32_get(head + 16);
	if (isize > psize)
		return snprintf(msg, len, "image (%llu bytes) is too large "
		    "for partition %s (%llu bytes)", (unsigned long long)isize,
		    part, (unsigned long long)psize), 1;
	path = part_path(c, part);
	out = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (out < 0) {
		snprintf(msg, len, "cannot write %s: %s", part,
		    strerror(errno));
		free(path);
		return 1;
	}
	/* Expanded from memory: RAW data goes from the download into the
	 * partition file with pwrite, nothing copied on the way. */
	sparse_src_mem(&src, &mem, c->dl, (size_t)c->download_size);
	rc = sparse_expand_to_fd(&src, out, err, sizeof(err));
	if (close(out) < 0 && rc == 0)
		rc = dm_fail(err, sizeof(err), DM_EIO, "%s", strerror(errno));
	free(path);
	if (rc < 0)
		return snprintf(msg, len, "%s", err), 1;
	phone_say("sim: %s flashed %s (%llu bytes)", phone_serial(c->ph), part,
	    (unsigned long long)c->download_size);
	return 0;
}

static int
cmd_flash(struct fbconn *c, const char *part)
{
	char msg[300], a[80], b[80];

	if (xiaomi_both(c, part, a, b, sizeof(a))) {
		if (flash_one(c, a, msg, sizeof(msg)) != 0 ||
		    flash_one(c, b, msg, sizeof(msg)) != 0)
			return reply(c, "FAIL", "%s", msg);
		return reply(c, "OKAY", "%s", "");
	}
	if (flash_one(c, part, msg, sizeof(msg)) != 0)
		return reply(c, "FAIL", "%s", msg);
	return reply(c, "OKAY", "%s", "");
}

static int cmd_erase_one(struct fbconn *c, const char *part, int answer);

static int
cmd_erase(struct fbconn *c, const char *part)
{
	char a[80], b[80];
	int rc;

	if (!xiaomi_both(c, part, a, b, sizeof(a)))
		return cmd_erase_one(c, part, 1) < 0 ? -1 : 0;
	rc = cmd_erase_one(c, a, 0);
	if (rc == 0)
		rc = cmd_erase_one(c, b, 0);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	return reply(c, "OKAY", "%s", "");
}

/* Erase one partition; answer: reply OKAY too.  0 done, 1 refused (FAIL
 * sent), -1 gone. */
static int
cmd_erase_one(struct fbconn *c, const char *part, int answer)
{
	uint64_t psize;
	char *path;
	int rc;

	rc = part_checks(c, part, &psize);
	if (rc != 0)
		return rc;
	path = part_path(c, part);
	rc = truncate(path, 0);
	if (rc < 0 && errno != ENOENT) {
		rc = reply(c, "FAIL", "erase %s: %s", part, strerror(errno));
		free(path);
		return rc < 0 ? -1 : 1;
	}
	free(path);
	if (strcmp(part, "userdata") == 0 &&
	    (rc = phone_wipe_userdata(c->ph)) < 0)
		return reply(c, "FAIL", "erase %s: %s", part,
		    strerror(-rc)) < 0 ? -1 : 1;
	phone_say("sim: %s erased %s", phone_serial(c->ph), part);
	/* For effects: "erase misc" then a boot clears a factory boot mode. */
	if (phone_appstate(c->ph) != NULL)
		appstate_event(phone_appstate(c->ph), "erase %s", part);
	if (!answer)
		return 0;
	return reply(c, "OKAY", "%s", "") < 0 ? -1 : 0;
}

static int
cmd_set_active(struct fbconn *c, const char *slot)
{
	char *n = var_get(c, "slot-count"), name[40];
	int slots = n ? atoi(n) : 0;

	free(n);
	if (slot[0] == '_')
		slot++;
	if (slots < 2)
		return reply(c, "FAIL", "set_active: this phone has no slots");
	if (strlen(slot) != 1 || slot[0] < 'a' || slot[0] >= 'a' + slots)
		return reply(c, "FAIL", "Invalid slot");
	var_set_all(c, "current-slot", slot);
	/* As AOSP's boot control does: the slot made active gets fresh
	 * tries, so it is no longer unbootable. */
	snprintf(name, sizeof(name), "slot-unbootable:%s", slot);
	n = var_get(c, name);
	if (n != NULL)
		var_set_all(c, name, "no");
	free(n);
	return reply(c, "OKAY", "%s", "");
}

static int
cmd_flashing(struct fbconn *c, const char *what)
{
	if (strcmp(what, "get_unlock_ability") == 0) {
		if (reply(c, "INFO", "get_unlock_ability: 1") < 0)
			return -1;
		return reply(c, "OKAY", "%s", "");
	}
	if (strcmp(what, "unlock") == 0 || strcmp(what, "lock") == 0) {
		int unlock = what[0] == 'u';
		char *path;

		if (var_is(c, "unlocked", unlock ? "yes" : "no"))
			return reply(c, "FAIL", "Device already : %s",
			    unlock ? "unlocked!" : "locked!");
		/* Both transitions wipe user data (the AVB rule). */
		path = part_path(c, "userdata");
		unlink(path);
		free(path);
		var_set_all(c, "unlocked", unlock ? "yes" : "no");
		phone_say("sim: %s %s", phone_serial(c->ph),
		    unlock ? "unlocked" : "locked");
		return reply(c, "OKAY", "%s", "");
	}
	return reply(c, "FAIL", "unknown command");
}

/* The critical lock (flashing lock_critical / unlock_critical) has no
 * variable in the captures, so it lives beside the partitions:
 * STATE/SERIAL/critical-unlocked exists while it is unlocked. */
static char *
critical_path(struct fbconn *c)
{
	return xasprintf("%s/critical-unlocked", phone_dir(c->ph));
}

static int
critical_unlocked(struct fbconn *c)
{
	char *path = critical_path(c);
	int r = access(path, F_OK) == 0;

	free(path);
	return r;
}

/* get_unlock_ability: the profile's variable of that name (0 or 1) when
 * it has one, else 1 (OEM unlocking switched on). */
static int
unlock_ability(struct fbconn *c)
{
	char *v = var_get(c, "get_unlock_ability");
	int r = v == NULL || atoi(v) != 0;

	free(v);
	return r;
}

/* The flashing commands cmd_flashing leaves to this one. */
static int
flashing_more_wants(struct fbconn *c, const char *what)
{
	if (strcmp(what, "get_unlock_ability") == 0 ||
	    strcmp(what, "lock_critical") == 0 ||
	    strcmp(what, "unlock_critical") == 0)
		return 1;
	return strcmp(what, "unlock") == 0 && !unlock_ability(c);
}

/* get_unlock_ability from the profile, an unlock it forbids (Qualcomm
 * ABL's words), and the critical lock, which wipes user data too. */
static int
cmd_flashing_more(struct fbconn *c, const char *what)
{
	int unlock = what[0] == 'u', fd;
	char *path;

	if (strcmp(what, "get_unlock_ability") == 0) {
		if (reply(c, "INFO", "get_unlock_ability: %d",
		    unlock_ability(c)) < 0)
			return -1;
		return reply(c, "OKAY", "%s", "");
	}
	if (unlock && !unlock_ability(c))
		return reply(c, "FAIL", "Flashing Unlock is not allowed");
	if (critical_unlocked(c) == unlock)
		return reply(c, "FAIL", "Device already : %s", unlock ?
		    "critical unlocked!" : "critical locked!");
	path = part_path(c, "userdata");
	unlink(path);
	free(path);
	path = critical_path(c);
	if (unlock) {
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	} else {
		unlink(path);
	}
	free(path);
	phone_say("sim: %s critical %s", phone_serial(c->ph),
	    unlock ? "unlocked" : "locked");
	return reply(c, "OKAY", "%s", "");
}

/* oem device-info as Qualcomm's bootloader answers it, one INFO line a
 * fact, from the phone's state.  No other oem command, and none in
 * fastbootd (it has no vendor HAL here). */
static int
cmd_oem(struct fbconn *c, const char *args)
{
	char *ch;
	int charger;

	if (c->userspace || strcmp(args, "device-info") != 0)
		return reply(c, "FAIL", "unknown command");
	ch = var_get(c, "charger-screen-enabled");
	charger = ch != NULL && (strcmp(ch, "1") == 0 ||
	    strcmp(ch, "yes") == 0 || strcmp(ch, "true") == 0);
	free(ch);
	if (reply(c, "INFO", "Verity mode: true") < 0 ||
	    reply(c, "INFO", "Device unlocked: %s",
	    var_is(c, "unlocked", "yes") ? "true" : "false") < 0 ||
	    reply(c, "INFO", "Device critical unlocked: %s",
	    critical_unlocked(c) ? "true" : "false") < 0 ||
	    reply(c, "INFO", "Charger screen enabled: %s",
	    charger ? "true" : "false") < 0)
		return -1;
	return reply(c, "OKAY", "%s", "");
}

/* fastbootd's logical partitions: create/delete/resize. */
static int
cmd_logical(struct fbconn *c, const char *verb, const char *arg)
{
	char part[80], key[160], num[32];
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);

	if (!c->userspace)
		return reply(c, "FAIL", "unknown command");
	if (n == 0 || n >= sizeof(part))
		return reply(c, "FAIL", "Invalid partition name");
	memcpy(part, arg, n);
	part[n] = '\0';
	snprintf(key, sizeof(key), "is-logical:%s", part);
	if (strcmp(verb, "create") == 0) {
		char *v = var_get(c, key);

		if (v != NULL) {
			free(v);
			return reply(c, "FAIL", "Partition already exists");
		}
	} else if (!var_is(c, key, "yes")) {
		return reply(c, "FAIL", "Could not find partition");
	}
	pthread_mutex_lock(&c->fb->lock);
	if (strcmp(verb, "delete") == 0) {
		struct vartab *t = vars(c);

		for (size_t i = 0; i < t->n;) {
			const char *nm = t->v[i].name, *c2 = strchr(nm, ':');

			if (c2 != NULL && strcmp(c2 + 1, part) == 0 &&
			    has_subkey(nm, (size_t)(c2 - nm))) {
				free(t->v[i].name);
				free(t->v[i].value);
				t->v[i] = t->v[--t->n];
			} else {
				i++;
			}
		}
	} else {
		if (colon == NULL) {
			pthread_mutex_unlock(&c->fb->lock);
			return reply(c, "FAIL", "Invalid partition size");
		}
		snprintf(num, sizeof(num), "0x%llx",
		    (unsigned long long)strtoull(colon + 1, NULL, 10));
		tab_set(vars(c), key, "yes");
		snprintf(key, sizeof(key), "partition-size:%s", part);
		tab_set(vars(c), key, num);
	}
	pthread_mutex_unlock(&c->fb->lock);
	return reply(c, "OKAY", "%s", "");
}

/* Reply OKAY, then go: the phone's thread does the reboot. */
static int
cmd_reboot(struct fbconn *c, const char *target)
{
	reply(c, "OKAY", "%s", "");
	phone_reboot(c->ph, target);
	return 1;
}

/* A slow@flash+MS fault: the phone takes MS ms over each flash: (slow
 * storage), so a test can see a flash while it runs. */
static void
flash_delay(struct fbconn *c)
{
	size_t n;
	const struct fault *f = phone_faults(c->ph, &n);

	for (size_t i = 0; i < n; i++)
		if (f[i].when == FAULT_AT_FLASH && f[i].type == FAULT_SLOW &&
		    (!f[i].once || phone_fault_claim(c->ph, i))) {
			struct timespec ts = {
				(time_t)(f[i].after_bytes / 1000),
				(long)(f[i].after_bytes % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
			return;
		}
}

/* 0 to go on, 1 when the connection should end, -1 when it is gone. */
static int
dispatch(struct fbconn *c, char *cmd)
{
	if (strncmp(cmd, "getvar:", 7) == 0)
		return cmd_getvar(c, cmd + 7);
	if (strncmp(cmd, "download:", 9) == 0)
		return cmd_download(c, cmd + 9);
	if (strncmp(cmd, "flash:", 6) == 0) {
		flash_delay(c);
		return cmd_flash(c, cmd + 6);
	}
	if (strncmp(cmd, "erase:", 6) == 0)
		return cmd_erase(c, cmd + 6);
	if (strncmp(cmd, "set_active:", 11) == 0)
		return cmd_set_active(c, cmd + 11);
	if (strncmp(cmd, "flashing ", 9) == 0 &&
	    flashing_more_wants(c, cmd + 9))
		return cmd_flashing_more(c, cmd + 9);
	if (strncmp(cmd, "flashing ", 9) == 0)
		return cmd_flashing(c, cmd + 9);
	if (strcmp(cmd, "reboot") == 0 || strcmp(cmd, "continue") == 0)
		return cmd_reboot(c, "");
	if (strcmp(cmd, "boot") == 0) {
		if (!c->have_download)
			return reply(c, "FAIL", "No data downloaded");
		return cmd_reboot(c, "");
	}
	if (strcmp(cmd, "reboot-bootloader") == 0)
		return cmd_reboot(c, "bootloader");
	if (strcmp(cmd, "reboot-recovery") == 0)
		return cmd_reboot(c, "recovery");
	if (strcmp(cmd, "reboot-fastboot") == 0) {
		if (!c->fb->has_fastbootd)
			return reply(c, "FAIL", "unknown command");
		return cmd_reboot(c, "fastboot");
	}
	if (strncmp(cmd, "snapshot-update:", 16) == 0) {
		if (strcmp(cmd + 16, "cancel") == 0)
			var_set_all(c, "snapshot-update-status", "none");
		else if (strcmp(cmd + 16, "merge") != 0)
			return reply(c, "FAIL", "unknown command");
		return reply(c, "OKAY", "%s", "");
	}
	if (strncmp(cmd, "create-logical-partition:", 25) == 0)
		return cmd_logical(c, "create", cmd + 25);
	if (strncmp(cmd, "delete-logical-partition:", 25) == 0)
		return cmd_logical(c, "delete", cmd + 25);
	if (strncmp(cmd, "resize-logical-partition:", 25) == 0)
		return cmd_logical(c, "resize", cmd + 25);
	/* "oem lock" / "oem unlock": the older spelling of flashing lock /
	 * unlock, which Qualcomm's loaders still take (Xiaomi's
	 * flash_all_lock.sh ends with it). */
	if (!c->userspace && (strcmp(cmd, "oem lock") == 0 ||
	    strcmp(cmd, "oem unlock") == 0))
		return cmd_flashing(c, cmd + 4);
	if (strncmp(cmd, "oem ", 4) == 0)
		return cmd_oem(c, cmd + 4);
	return reply(c, "FAIL", "unknown command");
}

void
fbd_serve(struct phone *ph, int fd, const char *name)
{
	struct fbconn c = { 0 };
	char hello[4], *cmd = xmalloc(FB_CMD_MAX + 1);

	c.ph = ph;
	c.fb = phone_fastboot(ph);
	c.fd = fd;
	c.name = name;
	c.userspace = phone_mode(ph) == SIM_MODE_FASTBOOTD;
	phone_fd_add(ph, fd);
	/* FB01 from the host (any version: we answer with ours). */
	if (read_all(fd, hello, 4) < 0 || memcmp(hello, "FB", 2) != 0 ||
	    write_all(fd, "FB01", 4) < 0)
		goto out;
	for (;;) {
		int rc;

		if (read_command(&c, cmd) < 0)
			break;
		log_info("sim", "%s: fastboot %.80s", name, cmd);
		rc = dispatch(&c, cmd);
		if (rc != 0)
			break;
	}
out:
	phone_fd_del(ph, fd);
	close(fd);
	dl_free(&c);
	free(cmd);
}
