/* dev.c - the device registry (see dev.h for the matching rules).
 *
 * Rows live in an array of pointers sorted by id.  A row is a struct dev
 * with a refcount; the registry holds one reference until it drops the
 * row.  One mutex guards the array and every row's info; events are
 * posted after the lock is released.  Any thread. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dev.h"
#include "err.h"
#include "ev.h"
#include "xmem.h"

struct dev {
	atomic_int refs;
	atomic_int removed;
	struct devreg *reg;		/* for the lock; valid while referenced */
	struct dev_info info;
	enum dev_mode refined;		/* protocol's mode, DEV_MODE_UNKNOWN */
	char refined_detail[64];
	char *ident;			/* identity JSON or NULL */
};

struct devreg {
	pthread_mutex_t lock;
	atomic_int refs;		/* the registry itself plus live rows */
	struct evbus *bus;
	struct dev **rows;
	int nrows, cap;
	unsigned next_id;
};

static const struct {
	const char *name;
	const char *label;
} modes[DEV_MODE_COUNT_] = {
	[DEV_MODE_UNKNOWN] = { "unknown", "unknown" },
	[DEV_MODE_ADB] = { "adb", "Android (adb)" },
	[DEV_MODE_UNAUTHORIZED] = { "unauthorized",
	    "unauthorized - confirm the prompt on the phone" },
	[DEV_MODE_RECOVERY] = { "recovery", "recovery" },
	[DEV_MODE_SIDELOAD] = { "sideload", "sideload" },
	[DEV_MODE_FASTBOOT] = { "fastboot", "fastboot (bootloader)" },
	[DEV_MODE_FASTBOOTD] = { "fastbootd", "fastbootd (userspace)" },
	[DEV_MODE_SAMSUNG_DOWNLOAD] = { "samsung-download",
	    "Samsung download mode" },
	[DEV_MODE_QUALCOMM_EDL] = { "qualcomm-edl", "Qualcomm EDL (9008)" },
	[DEV_MODE_MEDIATEK_PRELOADER] = { "mediatek-preloader",
	    "MediaTek preloader" },
	[DEV_MODE_MEDIATEK_BROM] = { "mediatek-brom", "MediaTek boot ROM" },
	[DEV_MODE_MTP_ONLY] = { "mtp-only",
	    "USB debugging is off - turn it on in Developer options" },
	[DEV_MODE_OFFLINE] = { "offline", "offline - rebooting or unplugged" },
};

const char *
dev_mode_name(enum dev_mode m)
{
	if ((int)m < 0 || m >= DEV_MODE_COUNT_)
		return "unknown";
	return modes[m].name;
}

const char *
dev_mode_label(enum dev_mode m)
{
	if ((int)m < 0 || m >= DEV_MODE_COUNT_)
		return "unknown";
	return modes[m].label;
}

enum dev_mode
dev_mode_parse(const char *name)
{
	if (name == NULL)
		return DEV_MODE_UNKNOWN;
	for (int i = 0; i < DEV_MODE_COUNT_; i++)
		if (strcmp(modes[i].name, name) == 0)
			return (enum dev_mode)i;
	return DEV_MODE_UNKNOWN;
}

static void
copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

void
dev_info_add_problem(struct dev_info *di, const char *code, const char *text,
    const char *fix)
{
	struct dev_problem *p;

	if (di->nproblems >= DEV_MAX_PROBLEMS)
		return;
	p = &di->problems[di->nproblems++];
	copy_str(p->code, sizeof(p->code), code);
	copy_str(p->text, sizeof(p->text), text);
	copy_str(p->fix, sizeof(p->fix), fix);
}

int64_t
dm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
dm_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct devreg *
devreg_new(struct evbus *bus)
{
	struct devreg *reg = xcalloc(1, sizeof(*reg));

	pthread_mutex_init(&reg->lock, NULL);
	atomic_init(&reg->refs, 1);
	reg->bus = bus;
	reg->next_id = 1;
	return reg;
}

static void
reg_unref(struct devreg *reg)
{
	if (atomic_fetch_sub(&reg->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&reg->lock);
	free(reg->rows);
	free(reg);
}

void
devreg_free(struct devreg *reg)
{
	struct dev **rows;
	int n;

	if (reg == NULL)
		return;
	pthread_mutex_lock(&reg->lock);
	rows = reg->rows;
	n = reg->nrows;
	reg->rows = NULL;
	reg->nrows = reg->cap = 0;
	reg->bus = NULL;
	pthread_mutex_unlock(&reg->lock);
	for (int i = 0; i < n; i++) {
		atomic_store(&rows[i]->removed, 1);
		dev_unref(rows[i]);
	}
	free(rows);
	reg_unref(reg);
}

void
dev_ref(struct dev *d)
{
	atomic_fetch_add(&d->refs, 1);
}

void
dev_unref(struct dev *d)
{
	struct devreg *reg;

	if (d == NULL || atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	reg = d->reg;
	free(d->ident);
	free(d);
	reg_unref(reg);
}

unsigned
dev_id(const struct dev *d)
{
	return d->info.id;	/* never changes after creation */
}

void
dev_snapshot(struct dev *d, struct dev_info *out)
{
	pthread_mutex_lock(&d->reg->lock);
	*out = d->info;
	pthread_mutex_unlock(&d->reg->lock);
}

int
dev_removed(struct dev *d)
{
	return atomic_load(&d->removed);
}

static void
post_dev(struct evbus *bus, enum ev_type type, const struct dev_info *di)
{
	struct ev ev;

	if (bus == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.dev_id = di->id;
	ev.dev = *di;
	evbus_post(bus, &ev);
}

/* Differs in anything a client shows?  (Timestamps aside.) */
static int
info_differs(const struct dev_info *a, const struct dev_info *b)
{
	struct dev_info x = *a, y = *b;

	x.first_seen_ms = y.first_seen_ms = 0;
	x.changed_ms = y.changed_ms = 0;
	x.gone_ms = y.gone_ms = 0;
	x.id = y.id = 0;
	return memcmp(&x, &y, sizeof(x)) != 0;
}

/* Normalize an observation so memcmp sees only meaningful bytes. */
static void
info_clean(struct dev_info *dst, const struct dev_info *src)
{
	memset(dst, 0, sizeof(*dst));
	copy_str(dst->transport, sizeof(dst->transport), src->transport);
	copy_str(dst->port, sizeof(dst->port), src->port);
	copy_str(dst->devnode, sizeof(dst->devnode), src->devnode);
	copy_str(dst->serial, sizeof(dst->serial), src->serial);
	dst->mode = src->mode;
	copy_str(dst->mode_detail, sizeof(dst->mode_detail), src->mode_detail);
	dst->vid = src->vid;
	dst->pid = src->pid;
	copy_str(dst->vendor, sizeof(dst->vendor), src->vendor);
	copy_str(dst->manufacturer, sizeof(dst->manufacturer),
	    src->manufacturer);
	copy_str(dst->product, sizeof(dst->product), src->product);
	copy_str(dst->speed, sizeof(dst->speed), src->speed);
	dst->speed_mbps = src->speed_mbps;
	dst->hub_depth = src->hub_depth;
	dst->present = 1;
	dst->demo = src->demo;
	copy_str(dst->adb_path, sizeof(dst->adb_path), src->adb_path);
	for (int i = 0; i < src->nproblems && i < DEV_MAX_PROBLEMS; i++)
		dev_info_add_problem(dst, src->problems[i].code,
		    src->problems[i].text, src->problems[i].fix);
}

static struct dev *
match_row(struct devreg *reg, const struct dev_info *o)
{
	/* 1. present on the same port */
	for (int i = 0; i < reg->nrows; i++) {
		struct dev *d = reg->rows[i];

		if (d->info.present && strcmp(d->info.port, o->port) == 0)
			return d;
	}
	/* 2. gone, same serial */
	if (o->serial[0] != '\0')
		for (int i = 0; i < reg->nrows; i++) {
			struct dev *d = reg->rows[i];

			if (!d->info.present &&
			    strcmp(d->info.serial, o->serial) == 0)
				return d;
		}
	/* 3. gone, same port, one side without a serial */
	for (int i = 0; i < reg->nrows; i++) {
		struct dev *d = reg->rows[i];

		if (!d->info.present && strcmp(d->info.port, o->port) == 0 &&
		    (d->info.serial[0] == '\0' || o->serial[0] == '\0'))
			return d;
	}
	return NULL;
}

/* Same family: what USB reports (adb, fastboot) and what the protocol
 * learned (unauthorized, recovery...; fastbootd). */
static int
same_family(enum dev_mode usb, enum dev_mode learned)
{
	switch (usb) {
	case DEV_MODE_ADB:
		return learned == DEV_MODE_ADB ||
		    learned == DEV_MODE_UNAUTHORIZED ||
		    learned == DEV_MODE_RECOVERY ||
		    learned == DEV_MODE_SIDELOAD;
	case DEV_MODE_FASTBOOT:
		return learned == DEV_MODE_FASTBOOT ||
		    learned == DEV_MODE_FASTBOOTD;
	default:
		return 0;
	}
}

/* A present row observed again: keep what the protocol learned while the
 * observation's USB-level mode still agrees with it.  Lock held. */
static void
keep_learned(const struct dev *d, struct dev_info *obs)
{
	if (d->refined != DEV_MODE_UNKNOWN &&
	    same_family(obs->mode, d->refined)) {
		obs->mode = d->refined;
		snprintf(obs->mode_detail, sizeof(obs->mode_detail), "%s",
		    d->refined_detail);
	}
	if (obs->adb_path[0] == '\0')
		memcpy(obs->adb_path, d->info.adb_path, sizeof(obs->adb_path));
	if (d->ident != NULL)
		memcpy(obs->summary, d->info.summary, sizeof(obs->summary));
}

unsigned
devreg_seen(struct devreg *reg, const struct dev_info *obs, int64_t now_ms)
{
	struct dev_info clean, ev_info;
	enum ev_type type = 0;
	struct dev *d;
	unsigned id;

	info_clean(&clean, obs);
	pthread_mutex_lock(&reg->lock);
	d = match_row(reg, &clean);
	if (d == NULL) {
		d = xcalloc(1, sizeof(*d));
		atomic_init(&d->refs, 1);
		atomic_init(&d->removed, 0);
		d->reg = reg;
		atomic_fetch_add(&reg->refs, 1);
		clean.id = reg->next_id++;
		clean.presence = 1;
		clean.first_seen_ms = now_ms;
		clean.changed_ms = now_ms;
		d->info = clean;
		if (reg->nrows == reg->cap) {
			reg->cap = reg->cap ? reg->cap * 2 : 16;
			reg->rows = xrealloc(reg->rows,
			    (size_t)reg->cap * sizeof(*reg->rows));
		}
		reg->rows[reg->nrows++] = d;	/* ids grow: stays sorted */
		type = EV_DEVICE_ADD;
	} else {
		/* A serial we knew survives a mode that reports none (EDL). */
		if (clean.serial[0] == '\0' && d->info.serial[0] != '\0' &&
		    !d->info.present)
			copy_str(clean.serial, sizeof(clean.serial),
			    d->info.serial);
		clean.id = d->info.id;
		clean.first_seen_ms = d->info.first_seen_ms;
		if (!d->info.present) {
			clean.presence = d->info.presence + 1;
		} else {
			clean.presence = d->info.presence;
			keep_learned(d, &clean);
		}
		if (!d->info.present || info_differs(&d->info, &clean)) {
			clean.changed_ms = now_ms;
			d->info = clean;
			type = EV_DEVICE_CHANGE;
		}
	}
	id = d->info.id;
	ev_info = d->info;
	pthread_mutex_unlock(&reg->lock);
	if (type != 0)
		post_dev(reg->bus, type, &ev_info);
	return id;
}

unsigned
devreg_gone(struct devreg *reg, const char *port, int64_t now_ms)
{
	struct dev_info ev_info;
	unsigned id = 0;

	pthread_mutex_lock(&reg->lock);
	for (int i = 0; i < reg->nrows; i++) {
		struct dev *d = reg->rows[i];

		if (!d->info.present || strcmp(d->info.port, port) != 0)
			continue;
		d->info.present = 0;
		d->info.gone_ms = now_ms;
		d->info.changed_ms = now_ms;
		d->info.mode = DEV_MODE_OFFLINE;
		d->info.mode_detail[0] = '\0';
		d->info.nproblems = 0;
		memset(d->info.problems, 0, sizeof(d->info.problems));
		d->info.adb_path[0] = '\0';
		d->refined = DEV_MODE_UNKNOWN;
		free(d->ident);
		d->ident = NULL;
		id = d->info.id;
		ev_info = d->info;
		break;
	}
	pthread_mutex_unlock(&reg->lock);
	if (id != 0)
		post_dev(reg->bus, EV_DEVICE_CHANGE, &ev_info);
	return id;
}

int
devreg_expire(struct devreg *reg, int64_t now_ms, int64_t grace_ms)
{
	struct dev *dropped[64];
	int n = 0;

	pthread_mutex_lock(&reg->lock);
	for (int i = 0; i < reg->nrows && n < 64; ) {
		struct dev *d = reg->rows[i];

		if (!d->info.present && now_ms - d->info.gone_ms >= grace_ms) {
			dropped[n++] = d;
			memmove(&reg->rows[i], &reg->rows[i + 1],
			    (size_t)(reg->nrows - i - 1) * sizeof(*reg->rows));
			reg->nrows--;
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	for (int i = 0; i < n; i++) {
		atomic_store(&dropped[i]->removed, 1);
		post_dev(reg->bus, EV_DEVICE_REMOVE, &dropped[i]->info);
		dev_unref(dropped[i]);
	}
	return n;
}

int
devreg_list(struct devreg *reg, struct dev_info **out)
{
	int n;

	pthread_mutex_lock(&reg->lock);
	n = reg->nrows;
	*out = xcalloc((size_t)(n ? n : 1), sizeof(**out));
	for (int i = 0; i < n; i++)
		(*out)[i] = reg->rows[i]->info;
	pthread_mutex_unlock(&reg->lock);
	return n;
}

int
devreg_count(struct devreg *reg)
{
	int n;

	pthread_mutex_lock(&reg->lock);
	n = reg->nrows;
	pthread_mutex_unlock(&reg->lock);
	return n;
}

static struct dev *
find_id(struct devreg *reg, unsigned id)
{
	for (int i = 0; i < reg->nrows; i++)
		if (reg->rows[i]->info.id == id)
			return reg->rows[i];
	return NULL;
}

int
devreg_get(struct devreg *reg, unsigned id, struct dev_info *out)
{
	struct dev *d;

	pthread_mutex_lock(&reg->lock);
	d = find_id(reg, id);
	if (d != NULL)
		*out = d->info;
	pthread_mutex_unlock(&reg->lock);
	return d ? 0 : DM_ENOENT;
}

int
devreg_lookup(struct devreg *reg, const char *what, struct dev_info *out)
{
	struct dev *hit = NULL;
	char *end;
	unsigned long id;

	if (what == NULL || *what == '\0')
		return DM_EINVAL;
	pthread_mutex_lock(&reg->lock);
	for (int i = 0; i < reg->nrows && hit == NULL; i++)
		if (strcmp(reg->rows[i]->info.serial, what) == 0)
			hit = reg->rows[i];
	for (int i = 0; i < reg->nrows && hit == NULL; i++)
		if (strcmp(reg->rows[i]->info.port, what) == 0)
			hit = reg->rows[i];
	if (hit == NULL) {
		id = strtoul(what, &end, 10);
		if (*end == '\0' && id > 0 && id <= 0xffffffffUL)
			hit = find_id(reg, (unsigned)id);
	}
	if (hit != NULL)
		*out = hit->info;
	pthread_mutex_unlock(&reg->lock);
	return hit ? 0 : DM_ENOENT;
}

struct dev *
devreg_acquire(struct devreg *reg, unsigned id)
{
	struct dev *d;

	pthread_mutex_lock(&reg->lock);
	d = find_id(reg, id);
	if (d != NULL)
		dev_ref(d);
	pthread_mutex_unlock(&reg->lock);
	return d;
}

int
devreg_refine(struct devreg *reg, unsigned id, unsigned presence,
    enum dev_mode mode, const char *detail, const char *adb_path)
{
	struct dev_info ev_info;
	struct dev *d;
	int changed = 0;

	pthread_mutex_lock(&reg->lock);
	d = find_id(reg, id);
	if (d == NULL || !d->info.present || d->info.presence != presence) {
		pthread_mutex_unlock(&reg->lock);
		return d ? DM_EEXIST : DM_ENOENT;
	}
	d->refined = mode;
	copy_str(d->refined_detail, sizeof(d->refined_detail), detail);
	if (d->info.mode != mode ||
	    strcmp(d->info.mode_detail, d->refined_detail) != 0 ||
	    (adb_path && strcmp(d->info.adb_path, adb_path) != 0)) {
		d->info.mode = mode;
		copy_str(d->info.mode_detail, sizeof(d->info.mode_detail),
		    detail);
		if (adb_path != NULL)
			copy_str(d->info.adb_path, sizeof(d->info.adb_path),
			    adb_path);
		d->info.changed_ms = dm_now_ms();
		changed = 1;
	}
	ev_info = d->info;
	pthread_mutex_unlock(&reg->lock);
	if (changed)
		post_dev(reg->bus, EV_DEVICE_CHANGE, &ev_info);
	return 0;
}

int
devreg_set_ident(struct devreg *reg, unsigned id, unsigned presence,
    const char *json, const char *summary)
{
	struct dev_info ev_info;
	struct dev *d;

	pthread_mutex_lock(&reg->lock);
	d = find_id(reg, id);
	if (d == NULL || !d->info.present || d->info.presence != presence) {
		pthread_mutex_unlock(&reg->lock);
		return d ? DM_EEXIST : DM_ENOENT;
	}
	free(d->ident);
	d->ident = json ? xstrdup(json) : NULL;
	copy_str(d->info.summary, sizeof(d->info.summary), summary);
	d->info.changed_ms = dm_now_ms();
	ev_info = d->info;
	pthread_mutex_unlock(&reg->lock);
	post_dev(reg->bus, EV_DEVICE_CHANGE, &ev_info);
	return 0;
}

char *
devreg_get_ident(struct devreg *reg, unsigned id)
{
	struct dev *d;
	char *copy = NULL;

	pthread_mutex_lock(&reg->lock);
	d = find_id(reg, id);
	if (d != NULL && d->ident != NULL)
		copy = xstrdup(d->ident);
	pthread_mutex_unlock(&reg->lock);
	return copy;
}

int
devreg_drop(struct devreg *reg, unsigned id)
{
	struct dev *d = NULL;

	pthread_mutex_lock(&reg->lock);
	for (int i = 0; i < reg->nrows; i++)
		if (reg->rows[i]->info.id == id) {
			d = reg->rows[i];
			memmove(&reg->rows[i], &reg->rows[i + 1],
			    (size_t)(reg->nrows - i - 1) * sizeof(*reg->rows));
			reg->nrows--;
			break;
		}
	pthread_mutex_unlock(&reg->lock);
	if (d == NULL)
		return DM_ENOENT;
	atomic_store(&d->removed, 1);
	d->info.present = 0;
	post_dev(reg->bus, EV_DEVICE_REMOVE, &d->info);
	dev_unref(d);
	return 0;
}

int
dev_confirm_names(const char *typed, const char *serial)
{
	size_t n = serial ? strlen(serial) : 0;

	if (typed == NULL || n == 0)
		return 0;
	if (strcmp(typed, serial) == 0)
		return 1;
	return n > 4 && strlen(typed) == 4 && strcmp(typed, serial + n - 4) == 0;
}

void
dev_adb_address(const struct dev_info *di, char *addr, size_t len)
{
	if (strncmp(di->adb_path, "adb-server:", 11) == 0)
		snprintf(addr, len, "%s:%s", di->adb_path, di->serial);
	else
		snprintf(addr, len, "%s", di->port);
}

const char *
dev_confirm_hint(const char *serial)
{
	size_t n = strlen(serial);

	return n > 4 ? serial + n - 4 : serial;
}

void
dev_confirm_refusal(char *msg, size_t len, const char *typed,
    const char *serial, const char *nothing)
{
	if (serial[0] == '\0')
		snprintf(msg, len, "%s: the phone did not give its serial "
		    "number, so it cannot be confirmed by name", nothing);
	else if (typed != NULL && typed[0] != '\0')
		snprintf(msg, len, "%s: --confirm %s does not name this "
		    "phone (serial %s)", nothing, typed, serial);
	else
		snprintf(msg, len, "%s: to go on, run this again with "
		    "--confirm %s (the phone's serial, or its last four "
		    "characters)", nothing, dev_confirm_hint(serial));
}
