/* adbsrv.h - a client of a running AOSP adb server.
 *
 * A phone already held by an adb server (its USB interface claimed, or a
 * network phone added with `adb connect`) is reached through that server's
 * host protocol on 127.0.0.1:5037 (ANDROID_ADB_SERVER_PORT): each request
 * is four hex digits of length and the text; the answer is OKAY or FAIL
 * (FAIL followed by a length-prefixed message).  "host:devices-l" lists
 * the phones; "host:transport:SERIAL" then a service name turns the socket
 * into that service's raw stream.  We never start an adb server. */
#ifndef DM_ADBSRV_H
#define DM_ADBSRV_H

#include <stddef.h>

struct transport;

#define ADBSRV_DEFAULT_PORT	5037
#define ADBSRV_MAX_DEVS		64

/* ANDROID_ADB_SERVER_PORT when it is a valid port, else 5037. */
int adbsrv_port(void);

/* One line of host:devices-l:
 * "SERIAL  device usb:1-2 product:houji model:23127PN0CC device:houji
 *  transport_id:3" */
struct adbsrv_dev {
	char serial[128];
	char state[32];		/* device, unauthorized, recovery, offline... */
	char usb[48];		/* "1-2.3" for USB phones, "" otherwise */
	char product[64], model[64], device[64];
	unsigned transport_id;
};

/* Parse the listing; returns how many entries were stored in out (at most
 * max).  Lines that are not "SERIAL<space>STATE..." are skipped. */
int adbsrv_parse_devices(const char *text, size_t len, struct adbsrv_dev *out,
    int max);

/* Send a host request that answers OKAY and a length-prefixed text
 * ("host:devices-l", "host:version", "host-serial:S:features"); *out is
 * malloc'ed and NUL-terminated.  DM_ECONN when no server listens, DM_EIO
 * (message in err) when it answered FAIL. */
int adbsrv_query(int port, const char *req, char **out, size_t *outlen,
    int ms, char *err, size_t errlen);

/* Open SERVICE on SERIAL through the server: on success t is a connected
 * tcp transport carrying the service's raw stream (close it with
 * transport_close()).  DM_ENOENT when the server does not have the phone,
 * DM_EUNSUPP when the phone refused the service. */
int adbsrv_open(int port, const char *serial, const char *service,
    struct transport *t, int ms, char *err, size_t errlen);

/* Split "adb-server:PORT:SERIAL" (the address form adb_connect() takes);
 * 0 or DM_EINVAL. */
int adbsrv_parse_addr(const char *addr, int *port, char *serial,
    size_t slen);

#endif
