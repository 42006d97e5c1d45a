#!/usr/bin/python3
"""fakebed.py - a bench of fake phones on a fake USB bus, for tests.

Run it under the umockdev preload with Debian's python3 (it needs `gi`):

    umockdev-wrapper /usr/bin/python3 tests/usb/fakebed.py [options] -- CMD ARGS...

It builds a umockdev testbed (fake /sys and /dev/bus/usb) holding root hubs,
the devices asked for on the command line and any hubs their port paths
need, answers the usbfs ioctls libusb sends to those nodes, runs CMD (which
inherits the preload and so sees the fake bus), and exits with CMD's status.

Devices, with realistic IDs and descriptors (see KINDS):

    --dev PORT:KIND[:SERIAL]   e.g. --dev 1-2:adb:SER1  --dev 1-9.3:fastboot:SER2
        KIND: adb adb-sim fastboot fastboot-sim samsung-download edl
              mtk-preloader mtk-brom mtp keyboard hub
    --count N                  N more adb phones behind 8-port hubs on bus 3
    --noperm PORT              node mode 0600: a non-root user cannot open it
    --speed PORT=MBPS          1.5, 12, 480, 5000 or 10000 (default 480)
    --busy PORT                claiming an interface fails with EBUSY, as
                               when another program holds it
    --no-sysfs-strings PORT    no serial/manufacturer/product in sysfs: they
                               can only be read with string descriptors
    --control FIFO             read commands while CMD runs, one per line:
                                 unplug PORT | plug PORT:KIND[:SERIAL] |
                                 chmod PORT OCTAL | quit
    --ready FILE               written once the bench is built
    --sim PORT=TCPPORT         the adb-sim or fastboot-sim device on PORT is
                               a droidmedic-sim phone on 127.0.0.1:TCPPORT
    -v                         log what happens to stderr

Behaviour behind the nodes:
  * fastboot: getvar:product -> OKAYfakebed, getvar:serialno, getvar:
    max-download-size, download:/DATA/OKAY, reboot*, "oem silent" is never
    answered (for timeout tests), anything else FAIL.
  * adb: every non-empty OUT transfer is echoed back on IN; zero-length
    packets are counted, and the OUT transfer "#zlp?" is answered with
    "#zlp=N" (N = ZLPs seen so far).
  * adb-sim: a bridge to a droidmedic-sim phone, so the libusb path runs
    on the same device logic as TCP: OUT transfers go to the phone's TCP
    stream (ZLPs carry nothing), and what the phone sends comes back as IN
    transfers split as adbd splits them over USB: one per 24-byte header,
    then the payload, in pieces no larger than the host's buffer.
  * fastboot-sim: the same for a phone in its bootloader: each OUT
    transfer becomes one fastboot-over-TCP frame, each frame from the
    phone one IN transfer.
  * everything else swallows OUT data and never answers.
  * string descriptors are served over control transfers.
"""

import argparse
import errno
import os
import select
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

VERBOSE = False


def say(msg):
    if VERBOSE:
        sys.stderr.write("fakebed: %s\n" % msg)
        sys.stderr.flush()


# --------------------------------------------------------------------------
# Descriptors

def d_device(vid, pid, cls=(0, 0, 0), bcd_usb=0x0200, bcd_dev=0x0100,
             strings=(1, 2, 3), mps0=64):
    return struct.pack("<BBHBBBBHHHBBBB", 18, 1, bcd_usb, cls[0], cls[1],
                       cls[2], mps0, vid, pid, bcd_dev, strings[0],
                       strings[1], strings[2], 1)


def d_endpoint(addr, kind, mps, interval=0):
    attr = {"bulk": 2, "intr": 3}[kind]
    return struct.pack("<BBBBHB", 7, 5, addr, attr, mps, interval)


def d_interface(num, triple, eps, alt=0):
    head = struct.pack("<BBBBBBBBB", 9, 4, num, alt, len(eps), triple[0],
                       triple[1], triple[2], 0)
    return head + b"".join(eps)


def d_config(ifaces, attrs=0x80, power=250):
    body = b"".join(ifaces)
    nif = len({i[2] for i in ifaces})
    return struct.pack("<BBHBBBBB", 9, 2, 9 + len(body), nif, 1, 0, attrs,
                       power) + body


def bulk_pair(ep_in, ep_out, mps=512):
    return [d_endpoint(ep_in, "bulk", mps), d_endpoint(ep_out, "bulk", mps)]


# What each kind of fake looks like.  IDs and interface layouts follow the
# real captures in tests/data/usb (and docs/protocols.md section 1).
#   name: (vid, pid, device class, manufacturer, product, interfaces,
#          responder, {bulk OUT ep: bulk IN ep} it answers on)
KINDS = {
    # Pixel with "File transfer + USB debugging": MTP and adb, composite.
    "adb": (0x18d1, 0x4ee2, (0, 0, 0), "Google", "Pixel 7", [
        d_interface(0, (0xff, 0xff, 0x00),
                    bulk_pair(0x81, 0x01) + [d_endpoint(0x82, "intr", 28, 6)]),
        d_interface(1, (0xff, 0x42, 0x01), bulk_pair(0x83, 0x02)),
    ], "adb", {0x02: 0x83}),
    # The same Pixel, answered by a droidmedic-sim phone (--sim).
    "adb-sim": (0x18d1, 0x4ee2, (0, 0, 0), "Google", "Pixel 7", [
        d_interface(0, (0xff, 0xff, 0x00),
                    bulk_pair(0x81, 0x01) + [d_endpoint(0x82, "intr", 28, 6)]),
        d_interface(1, (0xff, 0x42, 0x01), bulk_pair(0x83, 0x02)),
    ], "adb-sim", {0x02: 0x83}),
    "fastboot": (0x18d1, 0x4ee0, (0, 0, 0), "Google", "Android", [
        d_interface(0, (0xff, 0x42, 0x03), bulk_pair(0x81, 0x01)),
    ], "fastboot", {0x01: 0x81}),
    # The same bootloader, answered by a droidmedic-sim phone (--sim).
    "fastboot-sim": (0x18d1, 0x4ee0, (0, 0, 0), "Google", "Android", [
        d_interface(0, (0xff, 0x42, 0x03), bulk_pair(0x81, 0x01)),
    ], "fastboot-sim", {0x01: 0x81}),
    # Galaxy in Odin mode: CDC ACM control + CDC data.
    "samsung-download": (0x04e8, 0x685d, (2, 0, 0), "SAMSUNG",
                         "SAMSUNG USB DRIVER", [
        d_interface(0, (0x02, 0x02, 0x01), [d_endpoint(0x82, "intr", 16, 9)]),
        d_interface(1, (0x0a, 0x00, 0x00), bulk_pair(0x81, 0x01)),
    ], "silent", {0x01: 0x81}),
    "edl": (0x05c6, 0x9008, (0, 0, 0), "Qualcomm CDMA Technologies MSM",
            "QUSB__BULK", [
        d_interface(0, (0xff, 0xff, 0x10), bulk_pair(0x81, 0x01)),
    ], "silent", {0x01: 0x81}),
    "mtk-preloader": (0x0e8d, 0x2000, (2, 0, 0), "MediaTek",
                      "MT65xx Preloader", [
        d_interface(0, (0x02, 0x02, 0x01), [d_endpoint(0x83, "intr", 64, 16)]),
        d_interface(1, (0x0a, 0x00, 0x00), bulk_pair(0x81, 0x01)),
    ], "silent", {0x01: 0x81}),
    "mtk-brom": (0x0e8d, 0x0003, (2, 0, 0), "MediaTek", "MT65xx BROM", [
        d_interface(0, (0x02, 0x02, 0x01), [d_endpoint(0x83, "intr", 64, 16)]),
        d_interface(1, (0x0a, 0x00, 0x00), bulk_pair(0x81, 0x01, 64)),
    ], "silent", {0x01: 0x81}),
    # Redmi 7 with USB debugging off: the MTP interface only.
    "mtp": (0x2717, 0xff40, (0, 0, 0), "Xiaomi", "Redmi 7", [
        d_interface(0, (0xff, 0xff, 0x00),
                    bulk_pair(0x81, 0x01) + [d_endpoint(0x82, "intr", 28, 6)]),
    ], "silent", {}),
    # Not phones: must never be listed.
    "keyboard": (0x046d, 0xc31c, (0, 0, 0), "Logitech", "USB Keyboard", [
        d_interface(0, (0x03, 0x01, 0x01), [d_endpoint(0x81, "intr", 8, 10)]),
    ], "silent", {}),
    "hub": (0x05e3, 0x0608, (9, 0, 1), "GenesysLogic", "USB2.0 Hub", [
        d_interface(0, (0x09, 0x00, 0x00), [d_endpoint(0x81, "intr", 1, 12)]),
    ], "silent", {}),
    "roothub": (0x1d6b, 0x0002, (9, 0, 1), "Linux Foundation",
                "EHCI Host Controller", [
        d_interface(0, (0x09, 0x00, 0x00), [d_endpoint(0x81, "intr", 4, 12)]),
    ], "silent", {}),
}

# usbfs speed codes (enum usb_device_speed) and sysfs `speed` text.
SPEEDS = {"1.5": 1, "12": 2, "480": 3, "5000": 5, "10000": 6}


# --------------------------------------------------------------------------
# Scripted devices behind the bulk endpoints

class Silent:
    """Swallows OUT data, never answers (EDL, preloader, Odin, MTP)."""

    def __init__(self, serial):
        self.serial = serial
        self.replies = []

    def out(self, data):
        pass


class Fastboot(Silent):
    def __init__(self, serial):
        super().__init__(serial)
        self.download_left = 0

    def out(self, data):
        if self.download_left > 0:
            self.download_left -= len(data)
            if self.download_left <= 0:
                self.download_left = 0
                self.replies.append(b"OKAY")
            return
        if not data:
            return          # fastboot ignores ZLPs
        cmd = data.decode("latin-1")
        say("fastboot %s: %r" % (self.serial, cmd))
        answers = {
            "getvar:product": b"OKAYfakebed",
            "getvar:serialno": b"OKAY" + self.serial.encode(),
            "getvar:max-download-size": b"OKAY0x10000000",
            "getvar:is-userspace": b"OKAYno",
        }
        if cmd in answers:
            self.replies.append(answers[cmd])
        elif cmd.startswith("download:"):
            try:
                self.download_left = int(cmd[9:], 16)
            except ValueError:
                self.replies.append(b"FAILbad size")
                return
            self.replies.append(b"DATA%08x" % self.download_left)
        elif cmd == "oem silent":
            pass
        elif cmd.startswith("reboot"):
            self.replies.append(b"OKAY")
        else:
            self.replies.append(b"FAILunknown command")


class AdbEcho(Silent):
    def __init__(self, serial):
        super().__init__(serial)
        self.zlps = 0

    def out(self, data):
        if not data:
            self.zlps += 1
        elif data == b"#zlp?":
            self.replies.append(b"#zlp=%d" % self.zlps)
        else:
            self.replies.append(bytes(data))


class SimBridge(Silent):
    """Bridges an interface's bulk endpoints to a droidmedic-sim phone
    over TCP: OUT transfers go to the phone (wrapped as the TCP side
    wants them), what the phone sends comes back as IN transfers (split
    as the phone would split it over USB).  Subclasses say how."""

    name = "sim"

    def __init__(self, serial):
        super().__init__(serial)
        self.sock = None
        self.node = None

    def attach(self, node, tcp_port):
        self.node = node
        self.sock = socket.create_connection(("127.0.0.1", tcp_port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.handshake()
        threading.Thread(target=self.pump, daemon=True).start()

    def handshake(self):
        pass

    def wrap(self, data):
        return bytes(data)

    def split(self, buf):
        """(IN transfers, what is left) from the bytes the phone sent."""
        raise NotImplementedError

    def out(self, data):
        if data and self.sock is not None:
            self.sock.sendall(self.wrap(data))

    def pump(self):
        buf = b""
        while True:
            try:
                chunk = self.sock.recv(1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                say("%s %s: the phone closed the link" % (self.name,
                                                          self.serial))
                return
            pieces, buf = self.split(buf + chunk)
            if pieces:
                with self.node.lock:
                    self.replies.extend(pieces)
                    self.node.feed()


class AdbSim(SimBridge):
    """The adb interface: one IN transfer per 24-byte header, then one
    for the payload, as adbd sends them over USB."""

    name = "adb-sim"
    stream = True           # a reply longer than the IN buffer is split

    def split(self, buf):
        pieces = []
        while len(buf) >= 24:
            plen = struct.unpack_from("<I", buf, 12)[0]
            if len(buf) < 24 + plen:
                break
            pieces.append(buf[:24])
            if plen:
                pieces.append(buf[24:24 + plen])
            buf = buf[24 + plen:]
        return pieces, buf


class FastbootSim(SimBridge):
    """The fastboot interface, for a phone in its bootloader: fastboot
    over TCP frames each message (8-byte big-endian length), over USB a
    message is one bulk transfer.  So every OUT transfer becomes one
    frame, and every frame from the phone one IN transfer."""

    name = "fastboot-sim"

    def handshake(self):
        self.sock.sendall(b"FB01")
        hs = b""
        while len(hs) < 4:
            chunk = self.sock.recv(4 - len(hs))
            if not chunk:
                raise SystemExit("fakebed: %s: no fastboot handshake from "
                                 "the simulator" % self.serial)
            hs += chunk

    def wrap(self, data):
        return struct.pack(">Q", len(data)) + bytes(data)

    def split(self, buf):
        pieces = []
        while len(buf) >= 8:
            n = struct.unpack_from(">Q", buf, 0)[0]
            if len(buf) < 8 + n:
                break
            pieces.append(buf[8:8 + n])
            buf = buf[8 + n:]
        return pieces, buf


RESPONDERS = {"silent": Silent, "fastboot": Fastboot, "adb": AdbEcho,
              "adb-sim": AdbSim, "fastboot-sim": FastbootSim}


# --------------------------------------------------------------------------
# usbfs ioctls (asm-generic _IOC layout, 64-bit user space)

def ioc(direction, nr, size):
    return (direction << 30) | (size << 16) | (ord("U") << 8) | nr


NONE, WRITE, READ = 0, 1, 2
URB_LEN = 56            # sizeof(struct usbdevfs_urb) without iso frames
IOCTLS = {
    ioc(READ | WRITE, 0, 24): "CONTROL",
    ioc(READ | WRITE, 2, 24): "BULK",
    ioc(READ, 3, 4): "RESETEP",
    ioc(READ, 4, 8): "SETINTERFACE",
    ioc(READ, 5, 4): "SETCONFIGURATION",
    ioc(WRITE, 8, 260): "GETDRIVER",
    ioc(READ, 10, URB_LEN): "SUBMITURB",
    ioc(NONE, 11, 0): "DISCARDURB",
    ioc(WRITE, 12, 8): "REAPURB",
    ioc(WRITE, 13, 8): "REAPURBNDELAY",
    ioc(READ, 15, 4): "CLAIMINTERFACE",
    ioc(READ, 16, 4): "RELEASEINTERFACE",
    ioc(WRITE, 17, 8): "CONNECTINFO",
    ioc(READ | WRITE, 18, 16): "IOCTL",
    ioc(NONE, 20, 0): "RESET",
    ioc(READ, 21, 4): "CLEAR_HALT",
    ioc(READ, 26, 4): "GET_CAPABILITIES",
    ioc(READ, 27, 264): "DISCONNECT_CLAIM",
    ioc(NONE, 31, 0): "GET_SPEED",
}
# ZERO_PACKET | BULK_CONTINUATION | NO_PACKET_SIZE_LIM | BULK_SCATTER_GATHER
# | REAP_AFTER_DISCONNECT: libusb then sends each transfer as one URB.
CAPABILITIES = 0x1f
URB_CONTROL, URB_BULK = 2, 3
# struct usbdevfs_urb: type, endpoint, status, flags, buffer, buffer_length,
# actual_length, start_frame, number_of_packets, error_count, signr,
# usercontext
URB_FORMAT = "<BBxxiIxxxxQiiiiiIQ"


def string_descriptor(text):
    raw = text.encode("utf-16-le")[:252]
    return bytes([2 + len(raw), 3]) + raw


class FakeNode:
    """One /dev/bus/usb node: URB queues and the device's answers.  Runs on
    umockdev's ioctl thread; the lock guards against the control loop."""

    def __init__(self, fake):
        self.fake = fake
        self.lock = threading.Lock()
        self.waiting_in = {}     # IN endpoint -> [urb, ...]
        self.finished = []       # URBs ready to be reaped
        self.gone = False
        self.handler = UMockdev.IoctlBase()
        self.handler.connect("handle-ioctl", self.on_ioctl)

    def strings(self):
        f = self.fake
        return {1: f.manufacturer, 2: f.product, 3: f.serial}

    def control(self, setup):
        rtype, req, value, index, length = struct.unpack("<BBHHH", setup)
        if rtype == 0x80 and req == 6:           # GET_DESCRIPTOR
            kind, idx = value >> 8, value & 0xff
            if kind == 1:
                return self.fake.descriptors[:18][:length]
            if kind == 2:
                return self.fake.descriptors[18:][:length]
            if kind == 3 and idx == 0:
                return b"\x04\x03\x09\x04"[:length]     # en-US
            if kind == 3 and self.strings().get(idx):
                return string_descriptor(self.strings()[idx])[:length]
            return None                              # stall
        if rtype == 0x80 and req == 0:           # GET_STATUS
            return b"\x00\x00"[:length]
        return b""

    def finish(self, u, data=b"", status=0, sent=None):
        if data and u["buf"] is not None:
            u["buf"].update(u["skip"], data)
        actual = len(data) if sent is None else sent
        u["urb"].update(4, struct.pack("<i", status))
        u["urb"].update(28, struct.pack("<i", actual))
        self.finished.append(u)

    def feed(self):
        resp = self.fake.responder
        for ep_in, queue in self.waiting_in.items():
            if ep_in not in self.fake.answer_in:
                continue
            while queue and resp.replies:
                u = queue.pop(0)
                r = resp.replies[0]
                if getattr(resp, "stream", False) and len(r) > u["len"]:
                    resp.replies[0] = r[u["len"]:]
                else:
                    resp.replies.pop(0)
                self.finish(u, r[:u["len"]])

    def submit(self, arg):
        addr = struct.unpack_from("<Q", bytes(arg.retrieve()))[0]
        urb = arg.resolve(0, URB_LEN)
        fields = struct.unpack(URB_FORMAT, bytes(urb.retrieve()))
        utype, ep, blen = fields[0], fields[1], fields[5]
        buf = urb.resolve(16, blen) if blen > 0 else None
        data = bytes(buf.retrieve()) if buf is not None else b""
        u = {"addr": addr, "urb": urb, "buf": buf, "len": blen, "skip": 0,
             "ep": ep}
        if utype == URB_CONTROL:
            u["skip"] = 8
            reply = self.control(data[:8])
            if reply is None:
                self.finish(u, status=-errno.EPIPE)
            else:
                self.finish(u, reply)
        elif utype == URB_BULK and ep & 0x80:
            self.waiting_in.setdefault(ep, []).append(u)
            self.feed()
        elif utype == URB_BULK:
            if ep in self.fake.answer_out:
                self.fake.responder.out(data)
            self.finish(u, sent=blen)
            self.feed()
        else:
            self.finish(u, status=-errno.EINVAL)

    def discard(self, arg):
        addr = struct.unpack_from("<Q", bytes(arg.retrieve()))[0]
        for queue in self.waiting_in.values():
            for u in queue:
                if u["addr"] == addr:
                    queue.remove(u)
                    self.finish(u, status=-errno.ENOENT)
                    return True
        return False

    def unplug(self):
        """What the kernel does on disconnect: pending URBs complete with
        -ESHUTDOWN and stay reapable (REAP_AFTER_DISCONNECT); everything
        else fails with ENODEV.  The real node also polls POLLERR, which
        the emulation cannot, so libusb learns it from these URBs."""
        with self.lock:
            self.gone = True
            for queue in self.waiting_in.values():
                for u in queue:
                    self.finish(u, status=-errno.ESHUTDOWN)
                queue.clear()

    def on_ioctl(self, handler, client):
        name = IOCTLS.get(client.get_request(), "?")
        arg = client.get_arg()
        with self.lock:
            if self.gone and name in ("REAPURB", "REAPURBNDELAY") and \
                    self.finished:
                u = self.finished.pop(0)
                arg.resolve(0, 8).set_ptr(0, u["urb"])
                client.complete(0, 0)
                return True
            if self.gone:
                client.complete(-1, errno.EINVAL if name == "DISCARDURB"
                                else errno.ENODEV)
                return True
            if name == "GET_CAPABILITIES":
                arg.resolve(0, 4).update(0, struct.pack("<I", CAPABILITIES))
                client.complete(0, 0)
            elif name in ("CLAIMINTERFACE", "DISCONNECT_CLAIM") and \
                    self.fake.busy:
                client.complete(-1, errno.EBUSY)
            elif name in ("CLAIMINTERFACE", "RELEASEINTERFACE",
                          "DISCONNECT_CLAIM", "SETINTERFACE", "CLEAR_HALT",
                          "RESETEP", "RESET", "SETCONFIGURATION"):
                say("%s %s" % (self.fake.port, name))
                client.complete(0, 0)
            elif name == "GET_SPEED":
                client.complete(SPEEDS.get(self.fake.speed, 3), 0)
            elif name == "CONNECTINFO":
                slow = 1 if self.fake.speed == "1.5" else 0
                arg.resolve(0, 8).update(0, struct.pack(
                    "<IB3x", self.fake.devnum, slow))
                client.complete(0, 0)
            elif name in ("GETDRIVER", "IOCTL"):
                client.complete(-1, errno.ENODATA)   # no kernel driver
            elif name == "SUBMITURB":
                self.submit(arg)
                client.complete(0, 0)
            elif name in ("REAPURB", "REAPURBNDELAY"):
                if self.finished:
                    u = self.finished.pop(0)
                    arg.resolve(0, 8).set_ptr(0, u["urb"])
                    client.complete(0, 0)
                else:
                    client.complete(-1, errno.EAGAIN)
            elif name == "DISCARDURB":
                if self.discard(arg):
                    client.complete(0, 0)
                else:
                    client.complete(-1, errno.EINVAL)
            elif name == "CONTROL":
                c = arg.resolve(0, 24)
                raw = bytes(c.retrieve())
                reply = self.control(raw[:8])
                if reply is None:
                    client.complete(-1, errno.EPIPE)
                else:
                    if reply:
                        c.resolve(16, len(reply)).update(0, reply)
                    client.complete(len(reply), 0)
            elif name == "BULK":
                b = arg.resolve(0, 24)
                ep, blen = struct.unpack_from("<II", bytes(b.retrieve()))
                resp = self.fake.responder
                if ep & 0x80:
                    if ep in self.fake.answer_in and resp.replies:
                        r = resp.replies.pop(0)[:blen]
                        if r:
                            b.resolve(16, len(r)).update(0, r)
                        client.complete(len(r), 0)
                    else:
                        client.complete(-1, errno.ETIMEDOUT)
                else:
                    data = bytes(b.resolve(16, blen).retrieve()) if blen \
                        else b""
                    if ep in self.fake.answer_out:
                        resp.out(data)
                    self.feed()
                    client.complete(blen, 0)
            else:
                say("%s unhandled ioctl %#x" % (self.fake.port,
                                                client.get_request()))
                client.complete(-1, errno.ENOTTY)
        return True


# --------------------------------------------------------------------------
# The bench

class Fake:
    """One device on the fake bus."""

    def __init__(self, port, kind, serial, devnum):
        (self.vid, self.pid, cls, self.manufacturer, self.product, ifaces,
         resp, routes) = KINDS[kind]
        self.port, self.kind, self.serial, self.devnum = port, kind, serial, \
            devnum
        self.bus = int(port.split("-")[0]) if kind != "roothub" else \
            int(port[3:])
        bcd_usb = 0x0210 if kind in ("adb", "adb-sim", "fastboot",
                                     "fastboot-sim") else \
            0x0200
        self.descriptors = d_device(self.vid, self.pid, cls, bcd_usb,
                                    strings=(1, 2, 3 if serial else 0)) + \
            d_config(ifaces)
        self.triples = [i[5:8] for i in ifaces]
        self.cls = cls
        self.responder = RESPONDERS[resp](serial or "")
        self.answer_out = set(routes.keys())
        self.answer_in = set(routes.values())
        self.speed = "480"
        self.sysfs_strings = True
        self.busy = False
        self.syspath = None
        self.node = None

    def devnode(self):
        return "/dev/bus/usb/%03d/%03d" % (self.bus, self.devnum)

    def record(self, parent_syspath):
        name = self.port
        syspath = "%s/%s" % (parent_syspath, name)
        ifaces = "".join(":%02x%02x%02x" % tuple(t) for t in self.triples)
        lines = [
            "P: %s" % syspath[len("/sys"):],
            "N: %s" % self.devnode()[len("/dev/"):],
            "E: SUBSYSTEM=usb",
            "E: DEVTYPE=usb_device",
            "E: DRIVER=usb",
            "E: DEVNAME=%s" % self.devnode(),
            "E: BUSNUM=%03d" % self.bus,
            "E: DEVNUM=%03d" % self.devnum,
            "E: MAJOR=189",
            "E: MINOR=%d" % ((self.bus - 1) * 128 + self.devnum - 1),
            "E: PRODUCT=%x/%x/100" % (self.vid, self.pid),
            "E: TYPE=%d/%d/%d" % self.cls,
            "E: ID_VENDOR_ID=%04x" % self.vid,
            "E: ID_MODEL_ID=%04x" % self.pid,
            "E: ID_USB_INTERFACES=%s:" % ifaces,
            "A: busnum=%d" % self.bus,
            "A: devnum=%d" % self.devnum,
            "A: dev=189:%d" % ((self.bus - 1) * 128 + self.devnum - 1),
            "A: idVendor=%04x" % self.vid,
            "A: idProduct=%04x" % self.pid,
            "A: bDeviceClass=%02x" % self.cls[0],
            "A: bConfigurationValue=1",
            "A: bNumConfigurations=1",
            "A: speed=%s" % self.speed,
            "H: descriptors=%s" % self.descriptors.hex(),
        ]
        if self.sysfs_strings:
            lines.append("A: manufacturer=%s" % self.manufacturer)
            lines.append("A: product=%s" % self.product)
            if self.serial:
                lines.append("A: serial=%s" % self.serial)
        return syspath, "\n".join(lines) + "\n\n"


class Bench:
    def __init__(self, speeds, noperm, no_strings, busy, sims=None):
        self.tb = UMockdev.Testbed.new()
        self.root = self.tb.get_root_dir()
        self.fakes = {}          # port -> Fake
        self.nodes = []          # every FakeNode ever made (kept alive)
        self.next_devnum = {}    # bus -> next address
        self.speeds, self.noperm, self.no_strings = speeds, noperm, \
            no_strings
        self.busy = busy
        self.sims = sims or {}
        self.world_readable(self.root)

    def world_readable(self, path):
        # A server may run as an unprivileged user inside the bench: let it
        # read the fake /sys, reach the ioctl sockets and create its own
        # uevent sockets in the testbed directory.
        os.chmod(path, 0o1777)
        devdir = os.path.join(path, "dev")
        for top, dirs, files in os.walk(path):
            if top == devdir or top.startswith(devdir + "/"):
                for d in dirs:
                    os.chmod(os.path.join(top, d), 0o755)
                continue        # node modes are set one by one in plug()
            for d in dirs:
                p = os.path.join(top, d)
                if not os.path.islink(p):
                    os.chmod(p, 0o755)
            for f in files:
                p = os.path.join(top, f)
                if os.path.islink(p):
                    continue
                mode = os.stat(p).st_mode
                os.chmod(p, 0o777 if stat.S_ISSOCK(mode) else 0o644)

    def devnum(self, bus):
        n = self.next_devnum.get(bus, 2)
        self.next_devnum[bus] = n + 1
        return n

    def parent_of(self, port):
        bus, _, chain = port.partition("-")
        if "." not in chain:
            return self.root_hub(int(bus))
        up = port.rsplit(".", 1)[0]
        if up not in self.fakes:
            self.plug(up, "hub", "")
        return self.fakes[up].syspath

    def root_hub(self, bus):
        key = "usb%d" % bus
        if key not in self.fakes:
            hub = Fake(key, "roothub", "0000:00:%02x.0" % (0x13 + bus), 1)
            hub.bus = bus
            syspath = "/sys/devices/pci0000:00/0000:00:%02x.0/%s" % (
                0x13 + bus, key)
            _, rec = hub.record("/sys/devices/pci0000:00/0000:00:%02x.0" %
                                (0x13 + bus))
            self.tb.add_from_string(rec)
            hub.syspath = syspath
            self.fakes[key] = hub
            self.world_readable(self.root)
        return self.fakes[key].syspath

    def plug(self, port, kind, serial):
        if kind not in KINDS or kind == "roothub":
            raise SystemExit("fakebed: unknown kind %r" % kind)
        if port in self.fakes:
            raise SystemExit("fakebed: port %s is taken" % port)
        parent = self.parent_of(port)
        fake = Fake(port, kind, serial, self.devnum(int(port.split("-")[0])))
        fake.speed = self.speeds.get(port, "480")
        fake.sysfs_strings = port not in self.no_strings
        fake.busy = port in self.busy
        fake.syspath, rec = fake.record(parent)
        fake.node = FakeNode(fake)
        self.nodes.append(fake.node)
        if kind in ("adb-sim", "fastboot-sim"):
            if port not in self.sims:
                raise SystemExit("fakebed: %s on %s needs --sim %s="
                                 "TCPPORT" % (port, port))
            fake.responder.attach(fake.node, self.sims[port])
        # The ioctl handler must be in place before the "add" uevent that
        # add_from_string() sends, or a fast client opens a dead node.
        self.tb.attach_ioctl(fake.devnode(), fake.node.handler)
        self.tb.add_from_string(rec)
        self.world_readable(self.root)
        node_file = os.path.join(self.root, fake.devnode()[1:])
        if os.path.exists(node_file):
            os.chmod(node_file, 0o600 if port in self.noperm else 0o666)
        self.fakes[port] = fake
        say("plugged %s %s %04x:%04x serial %r at %s" % (
            port, kind, fake.vid, fake.pid, serial, fake.devnode()))

    def chmod(self, port, mode):
        """What installing a udev rule does to a node that is plugged."""
        fake = self.fakes.get(port)
        if fake is None:
            say("chmod %s: nothing there" % port)
            return
        os.chmod(os.path.join(self.root, fake.devnode()[1:]), mode)
        say("chmod %s %o" % (port, mode))

    def unplug(self, port):
        fake = self.fakes.pop(port, None)
        if fake is None:
            say("unplug %s: nothing there" % port)
            return
        for child in [p for p in self.fakes if p.startswith(port + ".")]:
            self.unplug(child)
        fake.node.unplug()
        # umockdev 0.17 sends no "remove" uevent from remove_device():
        # send it by hand while the sysfs directory still exists.
        self.tb.uevent(fake.syspath, "remove")
        self.tb.remove_device(fake.syspath)
        say("unplugged %s" % port)


def parse_spec(spec):
    parts = spec.split(":")
    if len(parts) < 2 or len(parts) > 3 or "-" not in parts[0]:
        raise SystemExit("fakebed: bad device %r (PORT:KIND[:SERIAL])" % spec)
    return parts[0], parts[1], parts[2] if len(parts) == 3 else ""


def run_control(bench, fifo, child):
    """Apply commands from the FIFO until CMD exits or "quit"."""
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    keep = os.open(fifo, os.O_WRONLY)   # no EOF when a writer closes
    pending = b""
    try:
        while child.poll() is None:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                words = line.decode().split()
                if not words:
                    continue
                say("control: %s" % " ".join(words))
                if words[0] == "quit":
                    return True
                if words[0] == "unplug" and len(words) == 2:
                    bench.unplug(words[1])
                elif words[0] == "plug" and len(words) == 2:
                    bench.plug(*parse_spec(words[1]))
                elif words[0] == "chmod" and len(words) == 3:
                    bench.chmod(words[1], int(words[2], 8))
                else:
                    sys.stderr.write("fakebed: bad command %r\n" % line)
    finally:
        os.close(fd)
        os.close(keep)
    return False


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dev", action="append", default=[])
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--noperm", action="append", default=[])
    ap.add_argument("--speed", action="append", default=[])
    ap.add_argument("--no-sysfs-strings", action="append", default=[])
    ap.add_argument("--busy", action="append", default=[])
    ap.add_argument("--control")
    ap.add_argument("--ready")
    ap.add_argument("--sim", action="append", default=[])
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    VERBOSE = a.verbose
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("no command to run (after --)")
    if "umockdev-preload" not in os.environ.get("LD_PRELOAD", ""):
        sys.exit("fakebed: run me under umockdev-wrapper")

    speeds = {}
    for s in a.speed:
        port, _, mbps = s.partition("=")
        if mbps not in SPEEDS:
            sys.exit("fakebed: bad speed %r (one of %s)" % (
                s, ", ".join(SPEEDS)))
        speeds[port] = mbps
    sims = {}
    for s in a.sim:
        port, _, tcp = s.partition("=")
        if not tcp.isdigit():
            sys.exit("fakebed: bad --sim %r (PORT=TCPPORT)" % s)
        sims[port] = int(tcp)
    bench = Bench(speeds, set(a.noperm), set(a.no_sysfs_strings),
                  set(a.busy), sims)
    for spec in a.dev:
        bench.plug(*parse_spec(spec))
    for i in range(a.count):
        bench.plug("3-%d.%d" % (i // 8 + 1, i % 8 + 1), "adb",
                   "BENCH%04d" % (i + 1))
    say("testbed at %s" % bench.root)
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("%s\n" % bench.root)

    child = subprocess.Popen(cmd)

    def forward(sig, frame):
        if child.poll() is None:
            child.send_signal(sig)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)

    if a.control and run_control(bench, a.control, child):
        forward(signal.SIGTERM, None)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    rc = child.wait()
    sys.exit(rc if rc >= 0 else 128 - rc)


if __name__ == "__main__":
    main()
