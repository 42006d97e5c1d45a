/* transport.h - byte pipes to a device, behind one ops table.
 *
 * Only the protocol modules (adb, fastboot) use transports.  Each backend
 * fills a struct transport_ops; every slot blocks for at most timeout_ms
 * (negative: no limit) and returns bytes moved or a negative dm_err, with
 * the detail in t->errbuf.
 *
 *   tcp: "tcp:HOST:PORT"     (TCP_NODELAY, connect timeout)
 *   usb: "usb:BUS-PORT[.PORT...]"   claims the interface whose
 *        class/subclass/protocol triple is t->want_iface (0xff4201 adb,
 *        0xff4203 fastboot), finds its bulk endpoints, and sends a
 *        zero-length packet after an OUT transfer that is a multiple of
 *        the max packet size when t->zlp is set.
 *
 * A transport is used by one thread at a time, except that read and write
 * may run concurrently on two threads. */
#ifndef DM_TRANSPORT_H
#define DM_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct iovec;
struct transport;

struct transport_ops {
	const char *name;				/* "usb", "tcp" */
	int (*open)(struct transport *t, const char *addr);
	/* Up to len bytes; one bulk transfer / one recv. */
	int (*read)(struct transport *t, void *buf, size_t len, int ms);
	/* All len bytes, or an error. */
	int (*write)(struct transport *t, const void *buf, size_t len, int ms);
	void (*close)(struct transport *t);
	/* Optional (NULL: transport_writev writes the pieces one by one):
	 * all the bytes of iov[0..n) in order, in as few system calls as
	 * the kernel allows; 0 or an error. */
	int (*writev)(struct transport *t, const struct iovec *iov, int n,
	    int ms);
	/* Optional (NULL: not offered): len bytes of the file fd from byte
	 * off, sent straight from the file (sendfile(2)), without going
	 * through a buffer of ours; fd's position does not move.  0, or an
	 * error; DM_EUNSUPP, before a byte went, when this file cannot be
	 * sent that way. */
	int (*sendfile)(struct transport *t, int fd, uint64_t off, size_t len,
	    int ms);
};

#define TRANSPORT_IFACE_ADB		0xff4201u
#define TRANSPORT_IFACE_FASTBOOT	0xff4203u

struct transport {
	const struct transport_ops *ops;
	void *priv;			/* backend state */
	unsigned want_iface;		/* usb: class/sub/proto triple */
	int zlp;			/* usb: send ZLPs after full packets */
	size_t max_packet;		/* usb: wMaxPacketSize of bulk OUT */
	char addr[96];
	char errbuf[256];
};

extern const struct transport_ops transport_tcp_ops;
extern const struct transport_ops transport_usb_ops;

/* Wrap a connected socket (from accept()) as a tcp transport: the device
 * side of droidmedic-sim.  The transport owns fd from then on, also when
 * this fails; transport_close() closes it.  name ("tcp:127.0.0.1:15001")
 * goes into t->addr for messages.  0 or DM_EINVAL. */
int transport_tcp_adopt(struct transport *t, int fd, const char *name);

/* 1 and the address in addr when what (as a user typed it after -s) is
 * one: "tcp:H:P", "usb:B-P" and "adb-server:..." as they are, "HOST:PORT"
 * as tcp:; else 0 (a serial or a bench row id). */
int transport_address(const char *what, char *addr, size_t len);

/* Pick the backend by the address prefix and open it.  0 or dm_err. */
int transport_open(struct transport *t, const char *addr);
void transport_close(struct transport *t);
int transport_read(struct transport *t, void *buf, size_t len, int ms);
/* Loop until len bytes arrived; DM_ECLOSED on EOF. */
int transport_read_full(struct transport *t, void *buf, size_t len, int ms);
int transport_write(struct transport *t, const void *buf, size_t len, int ms);
/* The ops' writev and sendfile; see there.  A writev of n <= 16 pieces
 * totalling at most INT_MAX bytes. */
int transport_writev(struct transport *t, const struct iovec *iov, int n,
    int ms);
int transport_sendfile(struct transport *t, int fd, uint64_t off, size_t len,
    int ms);

#endif
