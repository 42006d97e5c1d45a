/* usbscan.h - live USB discovery.
 *
 * Owns a libusb context and one thread.  With libusb hotplug support the
 * thread sleeps in libusb's event handling and rescans on every arrival or
 * departure; without it, it rescans every second.  A rescan lists the
 * bus, classifies each device (usbclass.h), reads its serial (sysfs first,
 * which needs no permission, then the string descriptor), notes access
 * problems (no permission -> the udev rule to install; busy -> the process
 * holding the usbfs node) and reports to the device registry: devreg_seen()
 * for each phone, devreg_gone() for each that left. */
#ifndef DM_USBSCAN_H
#define DM_USBSCAN_H

#include <stddef.h>
#include <stdint.h>

struct devreg;
struct usbscan;

/* NULL when libusb cannot start (no usbfs, in a container): the detail is
 * in err, and the server runs on without USB. */
struct usbscan *usbscan_new(struct devreg *reg, char *err, size_t errlen);
/* Start the discovery thread (first scan happens before it returns). */
int usbscan_start(struct usbscan *us);
/* Stop the thread and free everything. */
void usbscan_free(struct usbscan *us);
/* 1 when libusb reports hotplug support (else polling). */
int usbscan_hotplug(const struct usbscan *us);
/* Rescan now (from any thread); returns once the scan finished. */
void usbscan_rescan(struct usbscan *us);

/* "usb:1-2.3" from a bus number and port chain. */
void usbscan_port_path(char *buf, size_t len, int bus,
    const uint8_t *ports, int nports);

#endif
