/* usbscan.c - live USB discovery: which phones are on the bench, in which
 * mode, and what keeps us from using them.
 *
 * Runs one thread of its own ("usbscan"), with a libusb context that no
 * other module touches.  With hotplug support the thread sleeps in
 * libusb's event handling; the hotplug callback only raises a flag and the
 * thread rescans after it.  Without hotplug it rescans every second.  It
 * also rescans every couple of seconds anyway, to notice a permission fix
 * or a busy device being freed, which raise no USB event.
 *
 * A scan lists the bus, classifies each new device once (usbclass.c) and
 * caches the answer by bus and address, so known devices are not read or
 * opened again.  Serial and strings come from sysfs, which needs no
 * permission; only when sysfs lacks them is the device opened.  Phones
 * are reported with devreg_seen() when their observation changed, and
 * devreg_gone() when they left.  Interpreting the phone (adb banner,
 * fastboot getvar) is left to the protocol modules. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libusb.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dev.h"
#include "err.h"
#include "holder.h"
#include "log.h"
#include "usbclass.h"
#include "usbscan.h"
#include "xmem.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/droidmedic"
#endif

#define USBSCAN_EVENT_MS	250	/* one libusb event-handling slice */
#define USBSCAN_POLL_MS		1000	/* rescan period without hotplug */
#define USBSCAN_REFRESH_MS	2000	/* recheck period with hotplug */
#define USBSCAN_MAX_PORTS	8	/* USB allows a depth of 7 */
#define SYSFS_USB		"/sys/bus/usb/devices"

/* What we know about one device on the bus (phone or not). */
struct usbscan_ent {
	uint8_t bus, addr;
	char port[64];
	int phone;		/* 0: not a phone, never reported */
	int seen;		/* present in the current scan */
	int reported;		/* obs went to devreg_seen() */
	int recheck;		/* problems or no node yet: look again */
	struct dev_info obs;	/* the last observation built */
	struct dev_info last;	/* the last observation reported */
};

struct usbscan {
	struct devreg *reg;
	libusb_context *ctx;
	int hotplug;
	libusb_hotplug_callback_handle hp;
	pthread_t thread;
	int running;
	atomic_int stop;
	atomic_int dirty;

	pthread_mutex_t lock;		/* req, done, running; with cond */
	pthread_cond_t cond;
	unsigned long req, done;

	pthread_mutex_t scan_lock;	/* one scan at a time; ents */
	struct usbscan_ent *ents;
	int nents, cap;
};

void
usbscan_port_path(char *buf, size_t len, int bus, const uint8_t *ports,
    int nports)
{
	size_t o;
	int n;

	if (buf == NULL || len == 0)
		return;
	n = snprintf(buf, len, "usb:%d", bus);
	if (n < 0 || (size_t)n >= len)
		return;
	o = (size_t)n;
	for (int i = 0; ports != NULL && i < nports; i++) {
		n = snprintf(buf + o, len - o, "%c%u", i == 0 ? '-' : '.',
		    (unsigned)ports[i]);
		if (n < 0 || (size_t)n >= len - o)
			return;
		o += (size_t)n;
	}
}

/* Device strings end up on screens and in JSON: no control bytes. */
static void
clean_string(char *s)
{
	size_t n;

	s[strcspn(s, "\n")] = '\0';
	for (char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
}

/* Read a sysfs attribute of the device; 0, or -1 when it is absent. */
static int
sysfs_read(const char *port, const char *attr, char *buf, size_t len)
{
	char path[160];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if (strncmp(port, "usb:", 4) != 0)
		return -1;
	snprintf(path, sizeof(path), SYSFS_USB "/%s/%s", port + 4, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0) {
		buf[0] = '\0';
		return -1;
	}
	buf[n] = '\0';
	clean_string(buf);
	return 0;
}

static void
speed_info(int speed, struct dev_info *di)
{
	const char *name = "";
	int mbps = 0;

	switch (speed) {
	case LIBUSB_SPEED_LOW:
		name = "low";
		mbps = 1;
		break;
	case LIBUSB_SPEED_FULL:
		name = "full";
		mbps = 12;
		break;
	case LIBUSB_SPEED_HIGH:
		name = "high";
		mbps = 480;
		break;
	case LIBUSB_SPEED_SUPER:
		name = "super";
		mbps = 5000;
		break;
	case LIBUSB_SPEED_SUPER_PLUS:
		name = "super+";
		mbps = 10000;
		break;
	default:
		break;
	}
	snprintf(di->speed, sizeof(di->speed), "%s", name);
	di->speed_mbps = mbps;
}

/* Every alt setting of every interface of the configuration. */
static void
fill_class_in(const struct libusb_device_descriptor *dd,
    const struct libusb_config_descriptor *cfg, struct usbclass_in *in)
{
	memset(in, 0, sizeof(*in));
	in->vid = dd->idVendor;
	in->pid = dd->idProduct;
	in->dev_cls = dd->bDeviceClass;
	in->dev_sub = dd->bDeviceSubClass;
	in->dev_proto = dd->bDeviceProtocol;
	if (cfg == NULL)
		return;
	for (int i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface *itf = &cfg->interface[i];

		for (int a = 0; a < itf->num_altsetting; a++) {
			const struct libusb_interface_descriptor *id =
			    &itf->altsetting[a];
			struct usbclass_iface *f;

			if (in->niface >= USBCLASS_MAX_IFACES)
				return;
			f = &in->iface[in->niface++];
			f->cls = id->bInterfaceClass;
			f->sub = id->bInterfaceSubClass;
			f->proto = id->bInterfaceProtocol;
			f->num_endpoints = id->bNumEndpoints;
			for (int e = 0; e < id->bNumEndpoints; e++) {
				const struct libusb_endpoint_descriptor *ep =
				    &id->endpoint[e];

				if ((ep->bmAttributes & 3) !=
				    LIBUSB_TRANSFER_TYPE_BULK)
					continue;
				if (ep->bEndpointAddress & 0x80)
					f->num_bulk_in++;
				else
					f->num_bulk_out++;
			}
		}
	}
}

/* Strings sysfs did not give us, read over the wire.  Needs access to the
 * node; a failure leaves them empty. */
static void
read_strings(libusb_device *dev, const struct libusb_device_descriptor *dd,
    struct dev_info *di)
{
	libusb_device_handle *h = NULL;
	struct {
		uint8_t idx;
		char *dst;
		size_t len;
	} s[] = {
		{ dd->iSerialNumber, di->serial, sizeof(di->serial) },
		{ dd->iManufacturer, di->manufacturer,
		    sizeof(di->manufacturer) },
		{ dd->iProduct, di->product, sizeof(di->product) },
	};
	unsigned char tmp[256];
	int rc;

	rc = libusb_open(dev, &h);
	if (rc < 0) {
		log_debug("usb", "%s: open for strings: %s", di->port,
		    libusb_error_name(rc));
		return;
	}
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		if (s[i].idx == 0 || s[i].dst[0] != '\0')
			continue;
		rc = libusb_get_string_descriptor_ascii(h, s[i].idx, tmp,
		    sizeof(tmp));
		if (rc <= 0)
			continue;
		snprintf(s[i].dst, s[i].len, "%.*s", rc, (const char *)tmp);
		clean_string(s[i].dst);
	}
	libusb_close(h);
}

static void
add_perm_problem(struct dev_info *di)
{
	const char *ssh = getenv("SSH_CONNECTION");
	char text[sizeof(di->problems[0].text)];
	char fix[sizeof(di->problems[0].fix)];

	if (ssh != NULL && ssh[0] != '\0') {
		struct passwd *pw = getpwuid(getuid());

		snprintf(text, sizeof(text), "no permission to open %s "
		    "(over SSH the desktop uaccess rule does not apply)",
		    di->devnode);
		snprintf(fix, sizeof(fix), "sudo install -m 644 %s/"
		    "51-droidmedic.rules /etc/udev/rules.d/ && sudo udevadm "
		    "control --reload && sudo usermod -aG plugdev %s, "
		    "log in again, replug",
		    PKGDATADIR, pw != NULL ? pw->pw_name : "$USER");
	} else {
		snprintf(text, sizeof(text), "no permission to open %s",
		    di->devnode);
		snprintf(fix, sizeof(fix), "sudo install -m 644 %s/"
		    "51-droidmedic.rules /etc/udev/rules.d/ && sudo udevadm "
		    "control --reload && replug; or add yourself to group "
		    "plugdev", PKGDATADIR);
	}
	dev_info_add_problem(di, "no-permission", text, fix);
}

static void
add_busy_problem(struct dev_info *di, const struct holder *h, int n)
{
	char text[sizeof(di->problems[0].text)];
	char fix[sizeof(di->problems[0].fix)];

	if (n > 1)
		snprintf(text, sizeof(text), "held by %s (pid %d) and %d "
		    "other process%s", h[0].comm, (int)h[0].pid, n - 1,
		    n > 2 ? "es" : "");
	else
		snprintf(text, sizeof(text), "held by %s (pid %d)",
		    h[0].comm, (int)h[0].pid);
	if (strcmp(h[0].comm, "adb") == 0)
		snprintf(fix, sizeof(fix), "adb kill-server (meanwhile "
		    "droidmedic works through the adb server, adb only)");
	else
		snprintf(fix, sizeof(fix), "stop %s (pid %d): kill %d",
		    h[0].comm, (int)h[0].pid, (int)h[0].pid);
	dev_info_add_problem(di, "busy", text, fix);
}

static void
add_speed_problem(struct dev_info *di)
{
	char text[sizeof(di->problems[0].text)];

	if (di->speed_mbps == 0 || di->speed_mbps > 12)
		return;
	if (di->hub_depth > 0)
		snprintf(text, sizeof(text), "linked at %s speed (%s Mbit/s) "
		    "through %d hub%s", di->speed,
		    di->speed_mbps == 1 ? "1.5" : "12", di->hub_depth,
		    di->hub_depth > 1 ? "s" : "");
	else
		snprintf(text, sizeof(text), "linked at %s speed (%s Mbit/s)",
		    di->speed, di->speed_mbps == 1 ? "1.5" : "12");
	dev_info_add_problem(di, "slow-link", text, "use a USB 2.0/3.0 port "
	    "or cable directly, not through a hub");
}

/* Permission and busy state of the node: these change without any USB
 * event (a udev rule installed, adb killed), so they are looked at again
 * on every scan while they are a problem. */
static void
check_access(struct usbscan_ent *e)
{
	struct dev_info *di = &e->obs;
	struct holder h[4];
	int n;

	di->nproblems = 0;
	memset(di->problems, 0, sizeof(di->problems));
	e->recheck = 0;
	if (access(di->devnode, R_OK | W_OK) < 0) {
		if (errno == EACCES || errno == EPERM)
			add_perm_problem(di);
		/* ENOENT: udev has not made the node yet; look again. */
		e->recheck = 1;
	} else {
		n = holder_find(di->devnode, h, 4);
		if (n > 0) {
			add_busy_problem(di, h, n);
			e->recheck = 1;
		}
	}
	/* The link speed only changes with a replug: no recheck for it. */
	add_speed_problem(di);
}

/* First look at a device: is it a phone, and what is it. */
static void
probe(struct usbscan_ent *e, libusb_device *dev, int nports)
{
	struct libusb_config_descriptor *cfg = NULL;
	struct libusb_device_descriptor dd;
	struct usbclass_out cls;
	struct usbclass_in in;
	struct dev_info *di = &e->obs;
	char esc[3][192];
	int rc, want_open;

	e->phone = 0;
	rc = libusb_get_device_descriptor(dev, &dd);
	if (rc < 0)
		return;
	rc = libusb_get_active_config_descriptor(dev, &cfg);
	if (rc < 0) {
		cfg = NULL;
		rc = libusb_get_config_descriptor(dev, 0, &cfg);
		if (rc < 0)
			cfg = NULL;
	}
	fill_class_in(&dd, cfg, &in);
	if (cfg != NULL)
		libusb_free_config_descriptor(cfg);
	if (!usbclass_classify(&in, &cls)) {
		log_debug("usb", "%s: %04x:%04x is not a phone", e->port,
		    dd.idVendor, dd.idProduct);
		return;
	}

	e->phone = 1;
	memset(di, 0, sizeof(*di));
	snprintf(di->transport, sizeof(di->transport), "usb");
	snprintf(di->port, sizeof(di->port), "%s", e->port);
	snprintf(di->devnode, sizeof(di->devnode), "/dev/bus/usb/%03u/%03u",
	    (unsigned)e->bus, (unsigned)e->addr);
	di->mode = cls.mode;
	snprintf(di->mode_detail, sizeof(di->mode_detail), "%s", cls.detail);
	di->vid = dd.idVendor;
	di->pid = dd.idProduct;
	snprintf(di->vendor, sizeof(di->vendor), "%s",
	    cls.vendor != NULL ? cls.vendor : "");
	speed_info(libusb_get_device_speed(dev), di);
	di->hub_depth = nports > 0 ? nports - 1 : 0;
	di->present = 1;

	sysfs_read(e->port, "serial", di->serial, sizeof(di->serial));
	sysfs_read(e->port, "manufacturer", di->manufacturer,
	    sizeof(di->manufacturer));
	sysfs_read(e->port, "product", di->product, sizeof(di->product));
	want_open = (dd.iSerialNumber != 0 && di->serial[0] == '\0') ||
	    (dd.iManufacturer != 0 && di->manufacturer[0] == '\0') ||
	    (dd.iProduct != 0 && di->product[0] == '\0');
	if (want_open && access(di->devnode, R_OK | W_OK) == 0)
		read_strings(dev, &dd, di);

	check_access(e);
	log_info("usb", "%s: %s %04x:%04x %s serial \"%s\" \"%s %s\" %s%s",
	    e->port, dev_mode_name(di->mode), di->vid, di->pid,
	    di->vendor[0] != '\0' ? di->vendor : "-",
	    log_escape(esc[0], sizeof(esc[0]), di->serial, sizeof(di->serial)),
	    log_escape(esc[1], sizeof(esc[1]), di->manufacturer,
		sizeof(di->manufacturer)),
	    log_escape(esc[2], sizeof(esc[2]), di->product,
		sizeof(di->product)),
	    di->speed[0] != '\0' ? di->speed : "unknown-speed",
	    di->nproblems > 0 ? " (has problems)" : "");
}

static int
has_problem(const struct dev_info *di, const char *code)
{
	for (int i = 0; i < di->nproblems && i < DEV_MAX_PROBLEMS; i++)
		if (strcmp(di->problems[i].code, code) == 0)
			return 1;
	return 0;
}

static struct usbscan_ent *
find_ent(struct usbscan *us, uint8_t bus, uint8_t addr, const char *port)
{
	for (int i = 0; i < us->nents; i++) {
		struct usbscan_ent *e = &us->ents[i];

		if (e->bus == bus && e->addr == addr &&
		    strcmp(e->port, port) == 0)
			return e;
	}
	return NULL;
}

static struct usbscan_ent *
add_ent(struct usbscan *us, uint8_t bus, uint8_t addr, const char *port)
{
	struct usbscan_ent *e;

	if (us->nents == us->cap) {
		us->cap = us->cap ? us->cap * 2 : 16;
		us->ents = xrealloc(us->ents, (size_t)us->cap * sizeof(*e));
	}
	e = &us->ents[us->nents++];
	memset(e, 0, sizeof(*e));
	e->bus = bus;
	e->addr = addr;
	snprintf(e->port, sizeof(e->port), "%s", port);
	return e;
}

/* A phone that left while another with the same serial sits on the same
 * port (a quick re-enumeration): the row carries on, no "gone". */
static int
replaced_by_same(const struct usbscan *us, const struct usbscan_ent *old)
{
	if (old->obs.serial[0] == '\0')
		return 0;
	for (int i = 0; i < us->nents; i++) {
		const struct usbscan_ent *e = &us->ents[i];

		if (e != old && e->seen && e->phone &&
		    strcmp(e->port, old->port) == 0 &&
		    strcmp(e->obs.serial, old->obs.serial) == 0)
			return 1;
	}
	return 0;
}

static void
usbscan_scan(struct usbscan *us)
{
	libusb_device **list = NULL;
	ssize_t n;
	int i;

	pthread_mutex_lock(&us->scan_lock);
	n = libusb_get_device_list(us->ctx, &list);
	if (n < 0) {
		log_warn("usb", "listing devices: %s",
		    libusb_error_name((int)n));
		goto out;
	}
	for (i = 0; i < us->nents; i++)
		us->ents[i].seen = 0;

	/* 1. what is on the bus now */
	for (ssize_t k = 0; k < n; k++) {
		libusb_device *dev = list[k];
		uint8_t ports[USBSCAN_MAX_PORTS];
		uint8_t bus = libusb_get_bus_number(dev);
		uint8_t addr = libusb_get_device_address(dev);
		struct usbscan_ent *e;
		char port[64];
		int np;

		np = libusb_get_port_numbers(dev, ports, USBSCAN_MAX_PORTS);
		if (np <= 0)
			continue;	/* a root hub */
		usbscan_port_path(port, sizeof(port), bus, ports, np);
		e = find_ent(us, bus, addr, port);
		if (e == NULL) {
			e = add_ent(us, bus, addr, port);
			probe(e, dev, np);
		} else if (e->phone && e->recheck) {
			int denied = has_problem(&e->obs, "no-permission");

			check_access(e);
			/* Access granted now: read what sysfs could not
			 * give without it. */
			if (denied && !has_problem(&e->obs, "no-permission"))
				probe(e, dev, np);
		}
		e->seen = 1;
	}

	/* 2. what left; before the arrivals, so that a different phone
	 * plugged into the same port gets a row of its own */
	for (i = 0; i < us->nents; i++) {
		struct usbscan_ent *e = &us->ents[i];

		if (e->seen)
			continue;
		if (e->phone && e->reported && !replaced_by_same(us, e)) {
			log_info("usb", "%s: %s left", e->port,
			    dev_mode_name(e->obs.mode));
			devreg_gone(us->reg, e->port, dm_now_ms());
		}
		us->ents[i] = us->ents[--us->nents];
		i--;
	}

	/* 3. arrivals and changes */
	for (i = 0; i < us->nents; i++) {
		struct usbscan_ent *e = &us->ents[i];

		if (!e->phone)
			continue;
		if (e->reported && memcmp(&e->obs, &e->last,
		    sizeof(e->obs)) == 0)
			continue;
		devreg_seen(us->reg, &e->obs, dm_now_ms());
		e->last = e->obs;
		e->reported = 1;
	}
out:
	if (list != NULL)
		libusb_free_device_list(list, 1);
	pthread_mutex_unlock(&us->scan_lock);
}

static int LIBUSB_CALL
usbscan_hotplug_cb(libusb_context *ctx, libusb_device *dev,
    libusb_hotplug_event event, void *arg)
{
	struct usbscan *us = arg;

	(void)ctx;
	(void)dev;
	(void)event;
	atomic_store(&us->dirty, 1);
	return 0;	/* stay registered */
}

static void *
usbscan_thread(void *arg)
{
	struct usbscan *us = arg;
	int64_t last = dm_mono_ms();
	int period = us->hotplug ? USBSCAN_REFRESH_MS : USBSCAN_POLL_MS;

	while (!atomic_load(&us->stop)) {
		unsigned long want;
		int due;

		if (us->hotplug) {
			struct timeval tv = { 0, USBSCAN_EVENT_MS * 1000 };

			libusb_handle_events_timeout_completed(us->ctx, &tv,
			    NULL);
		} else {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)USBSCAN_EVENT_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_mutex_lock(&us->lock);
			if (us->req == us->done && !atomic_load(&us->stop))
				pthread_cond_timedwait(&us->cond, &us->lock,
				    &ts);
			pthread_mutex_unlock(&us->lock);
		}
		if (atomic_load(&us->stop))
			break;
		pthread_mutex_lock(&us->lock);
		want = us->req;
		due = want != us->done;
		pthread_mutex_unlock(&us->lock);
		if (atomic_exchange(&us->dirty, 0))
			due = 1;
		if (!due && dm_mono_ms() - last < period)
			continue;
		usbscan_scan(us);
		last = dm_mono_ms();
		pthread_mutex_lock(&us->lock);
		us->done = want;
		pthread_cond_broadcast(&us->cond);
		pthread_mutex_unlock(&us->lock);
	}
	pthread_mutex_lock(&us->lock);
	us->done = us->req;
	pthread_cond_broadcast(&us->cond);
	pthread_mutex_unlock(&us->lock);
	return NULL;
}

struct usbscan *
usbscan_new(struct devreg *reg, char *err, size_t errlen)
{
	struct usbscan *us;
	int rc;

	us = xcalloc(1, sizeof(*us));
	us->reg = reg;
	rc = libusb_init(&us->ctx);
	if (rc < 0) {
		dm_fail(err, errlen, DM_EUNSUPP, "libusb: %s (no "
		    "/dev/bus/usb? USB discovery is off)",
		    libusb_strerror(rc));
		free(us);
		return NULL;
	}
	pthread_mutex_init(&us->lock, NULL);
	pthread_mutex_init(&us->scan_lock, NULL);
	pthread_cond_init(&us->cond, NULL);
	us->hotplug = libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) != 0;
	if (us->hotplug) {
		rc = libusb_hotplug_register_callback(us->ctx,
		    LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
		    LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0,
		    LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
		    LIBUSB_HOTPLUG_MATCH_ANY, usbscan_hotplug_cb, us, &us->hp);
		if (rc < 0) {
			log_warn("usb", "hotplug registration failed (%s); "
			    "polling every second", libusb_error_name(rc));
			us->hotplug = 0;
		}
	}
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	return us;
}

int
usbscan_start(struct usbscan *us)
{
	int rc;

	if (us == NULL)
		return DM_EINVAL;
	if (us->running)
		return DM_EEXIST;
	usbscan_scan(us);
	rc = pthread_create(&us->thread, NULL, usbscan_thread, us);
	if (rc != 0) {
		log_err("usb", "cannot start the USB thread: %s",
		    strerror(rc));
		return dm_from_errno(rc);
	}
	pthread_mutex_lock(&us->lock);
	us->running = 1;
	pthread_mutex_unlock(&us->lock);
	log_info("usb", "USB discovery started (%s)", us->hotplug ?
	    "hotplug" : "polling every second");
	return 0;
}

void
usbscan_free(struct usbscan *us)
{
	if (us == NULL)
		return;
	if (us->running) {
		atomic_store(&us->stop, 1);
		pthread_mutex_lock(&us->lock);
		pthread_cond_broadcast(&us->cond);
		pthread_mutex_unlock(&us->lock);
		if (us->hotplug)
			libusb_interrupt_event_handler(us->ctx);
		pthread_join(us->thread, NULL);
		pthread_mutex_lock(&us->lock);
		us->running = 0;
		pthread_cond_broadcast(&us->cond);
		pthread_mutex_unlock(&us->lock);
	}
	if (us->hotplug)
		libusb_hotplug_deregister_callback(us->ctx, us->hp);
	libusb_exit(us->ctx);
	free(us->ents);
	pthread_cond_destroy(&us->cond);
	pthread_mutex_destroy(&us->scan_lock);
	pthread_mutex_destroy(&us->lock);
	free(us);
}

int
usbscan_hotplug(const struct usbscan *us)
{
	return us != NULL && us->hotplug;
}

void
usbscan_rescan(struct usbscan *us)
{
	unsigned long mine;

	if (us == NULL)
		return;
	pthread_mutex_lock(&us->lock);
	if (!us->running || atomic_load(&us->stop)) {
		pthread_mutex_unlock(&us->lock);
		usbscan_scan(us);
		return;
	}
	mine = ++us->req;
	pthread_cond_broadcast(&us->cond);
	pthread_mutex_unlock(&us->lock);
	if (us->hotplug)
		libusb_interrupt_event_handler(us->ctx);
	pthread_mutex_lock(&us->lock);
	while (us->running && us->done < mine)
		pthread_cond_wait(&us->cond, &us->lock);
	pthread_mutex_unlock(&us->lock);
}
