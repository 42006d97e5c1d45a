/* usb.c - the USB transport: bulk byte pipes to one interface of a phone
 * (adb ff/42/01 or fastboot ff/42/03), addressed by port path
 * "usb:BUS-PORT[.PORT...]" as usbscan reports it.
 *
 * Runs on the calling protocol thread; read and write may run at the same
 * time on two threads (libusb's synchronous API allows that on one
 * handle).  Each open transport has a libusb context of its own, so it
 * never shares event handling with the scan thread or another phone.
 * Framing (adb packets, fastboot replies) is the protocol modules' job;
 * this file only moves bytes and appends the zero-length packet that ends
 * a transfer of whole packets (docs/protocols.md section 2). */
#include "config.h"

#include <limits.h>
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dev.h"
#include "err.h"
#include "holder.h"
#include "transport.h"
#include "xmem.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/droidmedic"
#endif

#define USB_CHUNK	(1u << 20)	/* bytes per bulk transfer */
#define USB_MAX_PORTS	7

struct usb_priv {
	libusb_context *ctx;
	libusb_device_handle *h;
	int ifnum;
	int claimed;
	int detached;		/* a kernel driver to give back on close */
	unsigned char ep_in, ep_out;
	char devnode[32];
};

/* The endpoints of the chosen interface alt setting. */
struct usb_pick {
	int ifnum, alt;
	unsigned char ep_in, ep_out;
	size_t max_out;
};

/* "usb:1-2.3" -> bus 1, ports {2, 3}.  0 or DM_EINVAL. */
static int
usb_parse_addr(const char *addr, int *bus, uint8_t *ports, int *nports)
{
	const char *p = addr;
	long v;
	char *end;
	int n = 0;

	if (strncmp(p, "usb:", 4) != 0)
		return DM_EINVAL;
	p += 4;
	if (*p < '0' || *p > '9')
		return DM_EINVAL;
	v = strtol(p, &end, 10);
	if (v < 1 || v > 255 || *end != '-')
		return DM_EINVAL;
	*bus = (int)v;
	p = end + 1;
	for (;;) {
		if (*p < '0' || *p > '9' || n == USB_MAX_PORTS)
			return DM_EINVAL;
		v = strtol(p, &end, 10);
		if (v < 1 || v > 255)
			return DM_EINVAL;
		ports[n++] = (uint8_t)v;
		if (*end == '\0')
			break;
		if (*end != '.')
			return DM_EINVAL;
		p = end + 1;
	}
	*nports = n;
	return 0;
}

static unsigned
iface_triple(const struct libusb_interface_descriptor *id)
{
	return ((unsigned)id->bInterfaceClass << 16) |
	    ((unsigned)id->bInterfaceSubClass << 8) | id->bInterfaceProtocol;
}

/* First alt setting with the triple and a bulk IN/OUT pair. */
static int
usb_pick_iface(const struct libusb_config_descriptor *cfg, unsigned want,
    struct usb_pick *pk)
{
	for (int i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface *itf = &cfg->interface[i];

		for (int a = 0; a < itf->num_altsetting; a++) {
			const struct libusb_interface_descriptor *id =
			    &itf->altsetting[a];

			if (iface_triple(id) != want)
				continue;
			memset(pk, 0, sizeof(*pk));
			pk->ifnum = id->bInterfaceNumber;
			pk->alt = id->bAlternateSetting;
			for (int e = 0; e < id->bNumEndpoints; e++) {
				const struct libusb_endpoint_descriptor *ep =
				    &id->endpoint[e];

				if ((ep->bmAttributes & 3) !=
				    LIBUSB_TRANSFER_TYPE_BULK)
					continue;
				if ((ep->bEndpointAddress & 0x80) == 0) {
					if (pk->ep_out != 0)
						continue;
					pk->ep_out = ep->bEndpointAddress;
					pk->max_out = ep->wMaxPacketSize &
					    0x7ff;
				} else if (pk->ep_in == 0) {
					pk->ep_in = ep->bEndpointAddress;
				}
			}
			if (pk->ep_in != 0 && pk->ep_out != 0)
				return 1;
		}
	}
	return 0;
}

static const char *
iface_name(unsigned triple)
{
	switch (triple) {
	case TRANSPORT_IFACE_ADB:
		return "adb";
	case TRANSPORT_IFACE_FASTBOOT:
		return "fastboot";
	default:
		return "requested";
	}
}

/* libusb error -> dm_err, with the detail in t->errbuf. */
static int
usb_fail(struct transport *t, int rc, const char *what, int ms)
{
	switch (rc) {
	case LIBUSB_ERROR_TIMEOUT:
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_ETIMEOUT,
		    "%s: %s: no answer within %d ms", t->addr, what, ms);
	case LIBUSB_ERROR_NO_DEVICE:
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_ENODEV,
		    "%s: %s: the device went away", t->addr, what);
	case LIBUSB_ERROR_ACCESS:
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EACCES,
		    "%s: %s: permission denied", t->addr, what);
	case LIBUSB_ERROR_BUSY:
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EBUSY,
		    "%s: %s: busy", t->addr, what);
	case LIBUSB_ERROR_OVERFLOW:
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EPROTO,
		    "%s: %s: the device sent more than was asked for",
		    t->addr, what);
	case LIBUSB_ERROR_INTERRUPTED:
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_ECANCEL,
		    "%s: %s: interrupted", t->addr, what);
	case LIBUSB_ERROR_NO_MEM:
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_ENOMEM,
		    "%s: %s: out of memory", t->addr, what);
	default:
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EIO,
		    "%s: %s: %s", t->addr, what, libusb_error_name(rc));
	}
}

static void
usb_busy_detail(struct transport *t, const struct usb_pick *pk,
    const char *devnode)
{
	struct holder h[2];
	int n;

	n = holder_find(devnode, h, 2);
	if (n > 0 && strcmp(h[0].comm, "adb") == 0)
		dm_fail(t->errbuf, sizeof(t->errbuf), DM_EBUSY,
		    "%s is held by adb (pid %d): run 'adb kill-server'",
		    t->addr, (int)h[0].pid);
	else if (n > 0)
		dm_fail(t->errbuf, sizeof(t->errbuf), DM_EBUSY,
		    "%s is held by %s (pid %d): stop it (kill %d)", t->addr,
		    h[0].comm, (int)h[0].pid, (int)h[0].pid);
	else
		dm_fail(t->errbuf, sizeof(t->errbuf), DM_EBUSY,
		    "interface %d of %s is claimed by another program "
		    "(another user's adb or fastboot?)", pk->ifnum, t->addr);
}

static void
usb_release(struct usb_priv *p)
{
	if (p == NULL)
		return;
	if (p->h != NULL) {
		if (p->claimed)
			libusb_release_interface(p->h, p->ifnum);
		if (p->detached)
			libusb_attach_kernel_driver(p->h, p->ifnum);
		libusb_close(p->h);
	}
	if (p->ctx != NULL)
		libusb_exit(p->ctx);
	free(p);
}

static int
usb_open(struct transport *t, const char *addr)
{
	struct libusb_config_descriptor *cfg = NULL;
	libusb_device **list = NULL, *dev = NULL;
	uint8_t want_ports[USB_MAX_PORTS];
	struct usb_priv *p;
	struct usb_pick pk;
	int bus, nports, rc, found;
	unsigned want;
	ssize_t n;

	t->priv = NULL;
	t->errbuf[0] = '\0';
	rc = usb_parse_addr(addr, &bus, want_ports, &nports);
	if (rc < 0)
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EINVAL,
		    "bad USB address '%s' (want usb:BUS-PORT[.PORT...])",
		    addr);
	p = xcalloc(1, sizeof(*p));
	rc = libusb_init(&p->ctx);
	if (rc < 0) {
		p->ctx = NULL;
		rc = dm_fail(t->errbuf, sizeof(t->errbuf), DM_EUNSUPP,
		    "libusb: %s", libusb_strerror(rc));
		goto out;
	}

	n = libusb_get_device_list(p->ctx, &list);
	if (n < 0) {
		rc = usb_fail(t, (int)n, "listing devices", 0);
		goto out;
	}
	for (ssize_t i = 0; i < n && dev == NULL; i++) {
		uint8_t ports[USB_MAX_PORTS + 1];
		int np;

		if (libusb_get_bus_number(list[i]) != bus)
			continue;
		np = libusb_get_port_numbers(list[i], ports, sizeof(ports));
		if (np == nports && memcmp(ports, want_ports,
		    (size_t)np) == 0)
			dev = list[i];
	}
	if (dev == NULL) {
		rc = dm_fail(t->errbuf, sizeof(t->errbuf), DM_ENODEV,
		    "no USB device at %s (unplugged?)", addr);
		goto out;
	}
	snprintf(p->devnode, sizeof(p->devnode), "/dev/bus/usb/%03u/%03u",
	    (unsigned)libusb_get_bus_number(dev),
	    (unsigned)libusb_get_device_address(dev));

	rc = libusb_get_active_config_descriptor(dev, &cfg);
	if (rc < 0) {
		cfg = NULL;
		rc = usb_fail(t, rc, "reading the configuration", 0);
		goto out;
	}
	want = t->want_iface;
	if (want != 0) {
		found = usb_pick_iface(cfg, want, &pk);
	} else {
		want = TRANSPORT_IFACE_ADB;
		found = usb_pick_iface(cfg, want, &pk);
		if (!found) {
			want = TRANSPORT_IFACE_FASTBOOT;
			found = usb_pick_iface(cfg, want, &pk);
		}
	}
	if (!found && t->want_iface == 0) {
		rc = dm_fail(t->errbuf, sizeof(t->errbuf), DM_ENODEV,
		    "%s has no adb (ff/42/01) or fastboot (ff/42/03) "
		    "interface: is it in another mode?", addr);
		goto out;
	}
	if (!found) {
		rc = dm_fail(t->errbuf, sizeof(t->errbuf), DM_ENODEV,
		    "%s has no %s interface (%02x/%02x/%02x) with bulk "
		    "endpoints: is it in another mode?", addr, iface_name(want),
		    (want >> 16) & 0xff, (want >> 8) & 0xff, want & 0xff);
		goto out;
	}

	rc = libusb_open(dev, &p->h);
	if (rc == LIBUSB_ERROR_ACCESS) {
		p->h = NULL;
		rc = dm_fail(t->errbuf, sizeof(t->errbuf), DM_EACCES,
		    "no permission to open %s (%s): install %s/"
		    "51-droidmedic.rules in /etc/udev/rules.d and replug, "
		    "or join group plugdev", p->devnode, addr, PKGDATADIR);
		goto out;
	}
	if (rc < 0) {
		p->h = NULL;
		rc = usb_fail(t, rc, "open", 0);
		goto out;
	}
	p->ifnum = pk.ifnum;
	rc = libusb_kernel_driver_active(p->h, pk.ifnum);
	if (rc == 1) {
		rc = libusb_detach_kernel_driver(p->h, pk.ifnum);
		if (rc < 0) {
			rc = usb_fail(t, rc, "detaching the kernel driver", 0);
			goto out;
		}
		p->detached = 1;
	}
	rc = libusb_claim_interface(p->h, pk.ifnum);
	if (rc == LIBUSB_ERROR_BUSY) {
		usb_busy_detail(t, &pk, p->devnode);
		rc = DM_EBUSY;
		goto out;
	}
	if (rc < 0) {
		rc = usb_fail(t, rc, "claiming the interface", 0);
		goto out;
	}
	p->claimed = 1;
	if (pk.alt != 0) {
		rc = libusb_set_interface_alt_setting(p->h, pk.ifnum, pk.alt);
		if (rc < 0) {
			rc = usb_fail(t, rc, "selecting the alt setting", 0);
			goto out;
		}
	}
	p->ep_in = pk.ep_in;
	p->ep_out = pk.ep_out;
	t->max_packet = pk.max_out != 0 ? pk.max_out : 512;
	t->priv = p;
	p = NULL;
	rc = 0;
out:
	if (cfg != NULL)
		libusb_free_config_descriptor(cfg);
	if (list != NULL)
		libusb_free_device_list(list, 1);
	usb_release(p);
	return rc;
}

static unsigned
usb_timeout(int ms)
{
	if (ms < 0)
		return 0;		/* libusb: no limit */
	return ms == 0 ? 1 : (unsigned)ms;
}

static int
usb_read(struct transport *t, void *buf, size_t len, int ms)
{
	struct usb_priv *p = t->priv;
	int got = 0, rc;

	if (p == NULL)
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_ECLOSED,
		    "%s: not open", t->addr);
	if (len == 0)
		return 0;
	if (len > USB_CHUNK)
		len = USB_CHUNK;
	rc = libusb_bulk_transfer(p->h, p->ep_in, buf, (int)len, &got,
	    usb_timeout(ms));
	if (rc == LIBUSB_ERROR_TIMEOUT && got > 0)
		return got;	/* part arrived: hand it over, not lose it */
	if (rc < 0)
		return usb_fail(t, rc, "bulk read", ms);
	return got;
}

static int
usb_write(struct transport *t, const void *buf, size_t len, int ms)
{
	struct usb_priv *p = t->priv;
	int64_t deadline = ms >= 0 ? dm_mono_ms() + ms : 0;
	const unsigned char *b = buf;
	unsigned char zlp[1];
	size_t off = 0;
	int rc, done;

	if (p == NULL)
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_ECLOSED,
		    "%s: not open", t->addr);
	if (len > INT_MAX)
		return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EINVAL,
		    "%s: write of %zu bytes is too large", t->addr, len);
	/* len 0 sends one zero-length transfer: Odin uses those. */
	do {
		size_t chunk = len - off < USB_CHUNK ? len - off : USB_CHUNK;
		int left = -1;

		if (ms >= 0) {
			int64_t now = dm_mono_ms();

			if (now >= deadline && off > 0)
				return usb_fail(t, LIBUSB_ERROR_TIMEOUT,
				    "bulk write", ms);
			left = now >= deadline ? 1 : (int)(deadline - now);
		}
		done = 0;
		/* libusb wants a non-const buffer; an OUT transfer only
		 * reads it. */
		rc = libusb_bulk_transfer(p->h, p->ep_out,
		    (unsigned char *)(uintptr_t)(b + off), (int)chunk, &done,
		    usb_timeout(left));
		if (rc < 0)
			return usb_fail(t, rc, "bulk write", ms);
		off += (size_t)done;
		if ((size_t)done < chunk)
			return dm_fail(t->errbuf, sizeof(t->errbuf), DM_EIO,
			    "%s: short bulk write (%zu of %zu bytes)", t->addr,
			    off, len);
	} while (off < len);

	/* The receiver may have posted a bigger buffer: a transfer of
	 * whole packets only ends with a zero-length packet. */
	if (t->zlp && len > 0 && t->max_packet > 0 &&
	    len % t->max_packet == 0) {
		int left = -1;

		if (ms >= 0) {
			int64_t now = dm_mono_ms();

			left = now >= deadline ? 1 : (int)(deadline - now);
		}
		done = 0;
		rc = libusb_bulk_transfer(p->h, p->ep_out, zlp, 0, &done,
		    usb_timeout(left));
		if (rc < 0)
			return usb_fail(t, rc, "zero-length packet", ms);
	}
	return (int)len;
}

static void
usb_close(struct transport *t)
{
	usb_release(t->priv);
	t->priv = NULL;
}

const struct transport_ops transport_usb_ops = {
	.name = "usb",
	.open = usb_open,
	.read = usb_read,
	.write = usb_write,
	.close = usb_close,
};
