#!/usr/bin/env python3
"""adbwire.py - raw ADB packets against droidmedic-sim, for what Debian's
adb client cannot show: version and payload negotiation, checksums, the
silence before CNXN, refused and unknown streams, concurrent streams,
delayed-ack windows, auth tokens, and every hostile-device fault.

Usage: adbwire.py PORTS_FILE STATE_DIR CITRINE S25   (run by adb_wire.sh;
       the last two: the serials of those captured phones)
       adbwire.py --bench PORT PATH [MAX]   (sync RECV throughput, no adb)

Prints "PASS what" / "FAIL what" / "# note" lines; the shell script turns
them into TAP.  Standard library only."""
import os
import socket
import struct
import sys
import time

CNXN, AUTH, OPEN, OKAY = 0x4E584E43, 0x48545541, 0x4E45504F, 0x59414B4F
CLSE, WRTE = 0x45534C43, 0x45545257
NAMES = {CNXN: "CNXN", AUTH: "AUTH", OPEN: "OPEN", OKAY: "OKAY",
         CLSE: "CLSE", WRTE: "WRTE"}
V1, V2 = 0x01000000, 0x01000001
MIB = 1 << 20


class Closed(Exception):
    pass


class Conn:
    """One raw ADB connection, host side."""

    def __init__(self, port, timeout=5.0):
        self.s = socket.create_connection(("127.0.0.1", port), timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s.settimeout(timeout)
        self.version = V1
        self.maxdata = 4096
        self.next_id = 100

    def close(self):
        self.s.close()

    def exact(self, n):
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            r = self.s.recv_into(view[got:], n - got)
            if r == 0:
                raise Closed("closed after %d of %d bytes" % (got, n))
            got += r
        return bytes(buf)

    def send(self, cmd, a0, a1, data=b"", check=None, magic=None):
        if check is None:
            check = sum(data) & 0xFFFFFFFF if self.version < V2 else 0
        if magic is None:
            magic = cmd ^ 0xFFFFFFFF
        self.s.sendall(struct.pack("<6I", cmd, a0, a1, len(data), check,
                                   magic) + data)

    def header(self):
        return struct.unpack("<6I", self.exact(24))

    def recv(self, limit=None):
        """One packet, checked: magic, length, checksum when due."""
        cmd, a0, a1, n, check, magic = self.header()
        if magic != cmd ^ 0xFFFFFFFF:
            raise ValueError("bad magic %08x for %08x" % (magic, cmd))
        if n > (limit or 1 << 24):
            raise ValueError("length %d over %d" % (n, limit))
        data = self.exact(n) if n else b""
        if (self.version < V2 or cmd in (CNXN, AUTH)) and n and \
                check != sum(data) & 0xFFFFFFFF:
            raise ValueError("bad checksum")
        return cmd, a0, a1, data

    def silent(self, secs):
        """True when nothing arrives within secs (and the link stays up)."""
        self.s.settimeout(secs)
        try:
            self.s.recv(1)      # data, or b"" when the link closed
            return False
        except socket.timeout:
            return True
        finally:
            self.s.settimeout(5.0)

    def connect(self, version=V2, maxdata=MIB, features="shell_v2,cmd"):
        self.send(CNXN, version, maxdata,
                  b"host::features=" + features.encode())
        cmd, a0, a1, data = self.recv()
        if cmd == CNXN:
            self.version, self.maxdata = min(version, a0), min(maxdata, a1)
        return cmd, a0, a1, data

    def open(self, service, window=0):
        lid = self.next_id
        self.next_id += 1
        self.send(OPEN, lid, window, service.encode() + b"\0")
        cmd, a0, a1, data = self.recv()
        return lid, cmd, a0, a1, data

    def drain(self, lid, rid, okay=True):
        """A stream's bytes until its CLSE, OKAYing each WRTE."""
        out = bytearray()
        while True:
            cmd, a0, a1, data = self.recv()
            if cmd == WRTE and a1 == lid:
                out += data
                if okay:
                    self.send(OKAY, lid, a0)
            elif cmd == CLSE and a1 == lid:
                self.send(CLSE, lid, a0)
                return bytes(out)


def v2_parse(buf):
    """Shell protocol packets -> (stdout, stderr, exit)."""
    out, err, code, i = b"", b"", None, 0
    while i + 5 <= len(buf):
        pid, n = struct.unpack_from("<BI", buf, i)
        d = buf[i + 5:i + 5 + n]
        i += 5 + n
        if pid == 1:
            out += d
        elif pid == 2:
            err += d
        elif pid == 3:
            code = d[0]
    return out, err, code


def sync_req(rid, path):
    p = path.encode()
    return rid + struct.pack("<I", len(p)) + p


RESULTS = []


def check(what, cond, note=None):
    print(("PASS " if cond else "FAIL ") + what, flush=True)
    if not cond and note:
        print("# " + str(note).replace("\n", " ")[:300], flush=True)
    RESULTS.append(cond)


def attempt(what, fn):
    try:
        ok, note = fn()
    except Exception as e:  # a test that blew up is a failed test
        ok, note = False, "%s: %s" % (type(e).__name__, e)
    check(what, ok, note)


def read_ports(path):
    ports = {}
    with open(path) as f:
        for line in f:
            serial, port = line.split()
            ports[serial] = int(port)
    return ports


# ------------------------------------------------------------------ tests
def t_silent_before_cnxn(port):
    c = Conn(port)
    quiet = c.silent(0.4)
    cmd = c.connect()[0]
    c.close()
    return quiet and cmd == CNXN, "quiet=%s reply=%s" % (quiet, NAMES.get(cmd))


def t_banner(port, want):
    c = Conn(port)
    cmd, a0, a1, data = c.connect()
    c.close()
    text = data.decode()
    ok = cmd == CNXN and all(w in text for w in want)
    return ok, text


def t_negotiate_legacy(port):
    c = Conn(port)
    cmd, a0, a1, data = c.connect(V2, MIB)
    ok = cmd == CNXN and a0 == V1 and a1 == 4096
    c.close()
    return ok, "version %08x max %d" % (a0, a1)


def t_legacy_checksums(port):
    """Every packet from a 0x01000000 phone carries the byte sum."""
    c = Conn(port)
    c.connect(V2, MIB)
    lid, cmd, rid, a1, _ = c.open("shell:getprop ro.product.model")
    sums_ok, n = True, 0
    while True:
        cmd, a0, a1, n_, check, magic = c.header()
        data = c.exact(n_) if n_ else b""
        if n_ and check != sum(data) & 0xFFFFFFFF:
            sums_ok = False
        if cmd == WRTE:
            n += 1
            c.send(OKAY, lid, a0)
        if cmd == CLSE:
            break
    c.close()
    return sums_ok and n >= 1, "packets with data: %d" % n


def t_legacy_bad_checksum_drops(port):
    c = Conn(port)
    c.connect(V2, MIB)
    c.send(OPEN, 7, 0, b"shell:echo hi\0", check=12345)
    try:
        got = c.s.recv(1)
        ok = got == b""
    except (ConnectionResetError, socket.timeout) as e:
        ok = isinstance(e, ConnectionResetError)
    c.close()
    return ok, "the phone kept the link after a bad checksum"


def t_refused(port):
    c = Conn(port)
    c.connect()
    lid, cmd, a0, a1, _ = c.open("nosuchservice:")
    ok = cmd == CLSE and a0 == 0 and a1 == lid
    lid2, cmd2, b0, b1, _ = c.open("jdwp:1234")
    ok = ok and cmd2 == CLSE and b1 == lid2
    c.close()
    return ok, "replies %s %s" % (NAMES.get(cmd), NAMES.get(cmd2))


def t_unknown_ids(port):
    c = Conn(port)
    c.connect()
    c.send(WRTE, 55, 999, b"junk")
    c.send(OKAY, 55, 998)
    c.send(CLSE, 55, 997)
    quiet = c.silent(0.3)
    lid, cmd, rid, _, _ = c.open("shell,v2,raw:echo alive")
    out, err, code = v2_parse(c.drain(lid, rid))
    c.close()
    return quiet and out == b"alive\n" and code == 0, (quiet, out, code)


def t_concurrent(port):
    """Three streams at once; the slow one finishes last."""
    c = Conn(port)
    c.connect()
    cmds = {"shell,v2,raw:sleep 0.6; echo slow": b"slow\n",
            "shell,v2,raw:sleep 0.2; echo mid": b"mid\n",
            "shell,v2,raw:echo fast": b"fast\n"}
    streams = {}
    for svc in cmds:
        lid = c.next_id
        c.next_id += 1
        c.send(OPEN, lid, 0, svc.encode() + b"\0")
        streams[lid] = [svc, None, bytearray(), False]
    order = []
    while not all(s[3] for s in streams.values()):
        cmd, a0, a1, data = c.recv()
        s = streams.get(a1)
        if s is None:
            continue
        if cmd == OKAY:
            s[1] = a0
        elif cmd == WRTE:
            s[2] += data
            c.send(OKAY, a1, a0)
        elif cmd == CLSE:
            s[3] = True
            order.append(s[0])
            c.send(CLSE, a1, a0)
    c.close()
    rids = {s[1] for s in streams.values()}
    outs_ok = all(v2_parse(bytes(s[2]))[0] == cmds[s[0]]
                  for s in streams.values())
    return (len(rids) == 3 and outs_ok and order[-1].endswith("slow")
            and order[0].endswith("fast")), order


def t_window_without_delayed_ack(port):
    c = Conn(port)
    c.connect(features="shell_v2,cmd")
    lid, cmd, a0, a1, _ = c.open("shell,v2,raw:echo x", window=MIB)
    c.close()
    return cmd == CLSE, NAMES.get(cmd)


def t_delayed_ack(port, path, want):
    """With delayed_ack the phone streams up to our window unasked."""
    c = Conn(port)
    cmd, a0, a1, data = c.connect(features="shell_v2,delayed_ack")
    if b"delayed_ack" not in data:
        return False, "phone does not offer delayed_ack"
    window = 8 * MIB
    lid, cmd, rid, a1, okdata = c.open("sync:", window=window)
    if cmd != OKAY or len(okdata) != 4:
        return False, "OKAY to OPEN carried %d bytes" % len(okdata)
    granted = struct.unpack("<i", okdata)[0]
    req = sync_req(b"RECV", path)
    c.send(WRTE, lid, rid, req)
    got, unacked_max, unacked, acks = bytearray(), 0, 0, 0
    # Do not ack at all until the phone has sent a full window's worth or
    # stopped: it must send several WRTEs without waiting.
    while True:
        cmd, a0, a1, data = c.recv()
        if cmd == OKAY:
            acks += 1   # its ack of our request
            continue
        if cmd != WRTE:
            break
        got += data
        unacked += len(data)
        unacked_max = max(unacked_max, unacked)
        if unacked >= window:
            c.send(OKAY, lid, rid, struct.pack("<i", unacked))
            unacked = 0
        if got.endswith(b"DONE\0\0\0\0") and len(got) >= 8:
            break
    c.send(OKAY, lid, rid, struct.pack("<i", unacked))
    body, i = bytearray(), 0
    while got[i:i + 4] == b"DATA":
        n = struct.unpack_from("<I", got, i + 4)[0]
        body += got[i + 8:i + 8 + n]
        i += 8 + n
    c.close()
    ok = (granted == 4 * MIB and unacked_max > MIB and bytes(body) == want)
    return ok, "granted %d, most in flight %d, body %d/%d" % (
        granted, unacked_max, len(body), len(want))


def t_delayed_ack_needs_window(port):
    c = Conn(port)
    c.connect(features="shell_v2,delayed_ack")
    lid, cmd, a0, a1, _ = c.open("shell,v2,raw:echo x", window=0)
    c.close()
    return cmd == CLSE, NAMES.get(cmd)


def t_tokens(port):
    c = Conn(port)
    cmd, a0, a1, tok1 = c.connect()
    if cmd != AUTH or a0 != 1 or len(tok1) != 20:
        return False, "first reply %s type %d len %d" % (
            NAMES.get(cmd), a0, len(tok1))
    c.send(AUTH, 2, 0, os.urandom(256))
    cmd, a0, a1, tok2 = c.recv()
    ok = cmd == AUTH and a0 == 1 and len(tok2) == 20 and tok2 != tok1
    # A key that is not a key: no prompt, no CNXN.
    c.send(AUTH, 3, 0, b"not-a-key user@host\0")
    ok = ok and c.silent(0.5)
    c.close()
    return ok, "second token differs: %s" % (tok2 != tok1)


def t_no_streams_before_auth(port):
    c = Conn(port)
    c.connect()
    c.send(OPEN, 9, 0, b"shell:echo sneaky\0")
    quiet = c.silent(0.4)
    c.close()
    return quiet, "phone answered an OPEN before auth"


def t_fault_header(port, kind):
    c = Conn(port)
    c.send(CNXN, V2, MIB, b"host::features=shell_v2")
    cmd, a0, a1, n, check, magic = c.header()
    c.close()
    if kind == "bad_magic":
        return magic != cmd ^ 0xFFFFFFFF, "magic %08x" % magic
    return n > MIB, "length %d" % n


def t_fault_checksum(port):
    c = Conn(port)
    c.connect(V2, MIB)
    lid = 3
    c.send(OPEN, lid, 0, b"shell:echo corrupt\0")
    bad = False
    while True:
        cmd, a0, a1, n, check, magic = c.header()
        data = c.exact(n) if n else b""
        if cmd == WRTE:
            bad = check != sum(data) & 0xFFFFFFFF
            break
    c.close()
    return bad, "WRTE checksum was right"


def t_fault_truncate(port):
    c = Conn(port)
    c.connect()
    c.send(OPEN, 4, 0, b"shell,v2,raw:echo truncated-payload\0")
    while True:
        cmd, a0, a1, n, check, magic = c.header()
        if cmd == WRTE:
            break
        if n:
            c.exact(n)
    try:
        c.exact(n)
        ok = False
    except Closed:
        ok = True
    c.close()
    return ok, "full payload arrived"


def t_fault_stall(port):
    c = Conn(port)
    c.connect()
    c.send(OPEN, 5, 0, b"shell,v2,raw:echo hello\0")
    quiet = c.silent(1.0)
    c.close()
    return quiet, "phone answered"


def t_fault_close_recv(port, path, after):
    c = Conn(port)
    c.connect()
    lid, cmd, rid, a1, _ = c.open("sync:")
    c.send(WRTE, lid, rid, sync_req(b"RECV", path))
    got = bytearray()
    try:
        while True:
            cmd, a0, a1, data = c.recv()
            if cmd == WRTE:
                got += data
                c.send(OKAY, lid, rid)
    except Closed:
        pass
    c.close()
    body, i = 0, 0
    while got[i:i + 4] == b"DATA" and i + 8 <= len(got):
        n = struct.unpack_from("<I", got, i + 4)[0]
        body += min(n, len(got) - i - 8)
        i += 8 + n
    return body == after and b"DONE" not in got[i:], \
        "file bytes before the close: %d" % body


def t_fault_once(port):
    """A "once" fault hits the first connection only."""
    first = Conn(port)
    cmd1 = None
    first.send(CNXN, V2, MIB, b"host::features=shell_v2")
    try:
        first.exact(1)
        cmd1 = "data"
    except (Closed, ConnectionResetError):
        cmd1 = "closed"
    first.close()
    second = Conn(port)
    cmd2 = NAMES.get(second.connect()[0])
    second.close()
    return cmd1 == "closed" and cmd2 == "CNXN", (cmd1, cmd2)


class SyncReader:
    """Follows DATA/DONE framing across WRTE boundaries."""

    def __init__(self):
        self.buf = bytearray()
        self.left = 0       # bytes of the current DATA still to come
        self.total = 0
        self.done = False

    def feed(self, data):
        i = 0
        while i < len(data) and not self.done:
            if self.left:
                k = min(self.left, len(data) - i)
                self.left -= k
                self.total += k
                i += k
                continue
            need = 8 - len(self.buf)
            self.buf += data[i:i + need]
            i += min(need, len(data) - i)
            if len(self.buf) == 8:
                rid, n = struct.unpack("<4sI", self.buf)
                self.buf = bytearray()
                if rid == b"DATA":
                    self.left = n
                else:
                    self.done = True


def bench(port, path, maxdata):
    c = Conn(port, timeout=30)
    c.connect(V2, maxdata)
    lid, cmd, rid, a1, _ = c.open("sync:")
    t0 = time.time()
    c.send(WRTE, lid, rid, sync_req(b"RECV", path))
    r = SyncReader()
    while not r.done:
        cmd, a0, a1, n, check, magic = c.header()
        data = c.exact(n) if n else b""
        if cmd == WRTE:
            c.send(OKAY, lid, rid)
            r.feed(data)
    dt = time.time() - t0
    c.close()
    print("raw sync RECV, %d-byte packets: %.0f MiB in %.2f s = %.0f MiB/s"
          % (c.maxdata, r.total / MIB, dt, r.total / MIB / dt))


def main():
    if sys.argv[1] == "--bench":
        bench(int(sys.argv[2]), sys.argv[3],
              int(sys.argv[4]) if len(sys.argv) > 4 else MIB)
        return 0
    ports = read_ports(sys.argv[1])
    state, cit_sn, s25_sn = sys.argv[2:5]
    citrine, legacy, s25 = (ports[cit_sn], ports["LEGACY4K0001"],
                            ports[s25_sn])
    vid = "/sdcard/DCIM/Camera/VID_20250301_090000.mp4"
    with open(os.path.join(state, cit_sn, "storage/DCIM/Camera/"
                           "VID_20250301_090000.mp4"), "rb") as f:
        vid_bytes = f.read()
    s25_file = "/sdcard/DCIM/Camera/20250812_143302.mp4"
    with open(os.path.join(state, s25_sn, "storage/DCIM/Camera/"
                           "20250812_143302.mp4"), "rb") as f:
        s25_bytes = f.read()

    attempt("the phone says nothing before the host's CNXN",
            lambda: t_silent_before_cnxn(citrine))
    attempt("CNXN banner: device::ro.product.name=citrine_global;"
            "ro.product.model=24094RAD4G;ro.product.device=citrine;features",
            lambda: t_banner(citrine, ["device::", "ro.product.name="
                                       "citrine_global;", "ro.product.model="
                                       "24094RAD4G;", "ro.product.device="
                                       "citrine;", "features=shell_v2,"]))
    attempt("legacy phone answers 0x01000001/1 MiB with 0x01000000/4096",
            lambda: t_negotiate_legacy(legacy))
    attempt("legacy phone: every packet carries the payload byte sum",
            lambda: t_legacy_checksums(legacy))
    attempt("legacy phone drops the link on a bad host checksum",
            lambda: t_legacy_bad_checksum_drops(legacy))
    attempt("unknown services are refused with CLSE(0, id)",
            lambda: t_refused(citrine))
    attempt("WRTE/OKAY/CLSE for unknown ids are ignored",
            lambda: t_unknown_ids(citrine))
    attempt("three concurrent streams, distinct ids, finish in time order",
            lambda: t_concurrent(citrine))
    attempt("OPEN with a window but no delayed_ack is refused",
            lambda: t_window_without_delayed_ack(s25))
    attempt("delayed_ack: 4 MiB granted, several WRTEs in flight, "
            "RECV intact",
            lambda: t_delayed_ack(s25, s25_file, s25_bytes))
    attempt("delayed_ack: OPEN without a window is refused",
            lambda: t_delayed_ack_needs_window(s25))
    attempt("auth: 20-byte token, a bad signature gets a new token, "
            "a junk key no CNXN", lambda: t_tokens(ports["AUTHWIRE0001"]))
    attempt("auth: no stream before the phone is authorized",
            lambda: t_no_streams_before_auth(ports["AUTHWIRE0001"]))
    attempt("fault bad_magic@cnxn (profile \"faults\")",
            lambda: t_fault_header(ports["FAULTMAGIC01"], "bad_magic"))
    attempt("fault oversize@cnxn (--fault)",
            lambda: t_fault_header(ports["FAULTSIZE001"], "oversize"))
    attempt("fault bad_checksum@wrte on a checksum phone",
            lambda: t_fault_checksum(ports["FAULTSUM0001"]))
    attempt("fault truncate@wrte (profile string form): half a payload, then EOF",
            lambda: t_fault_truncate(ports["FAULTTRUNC01"]))
    attempt("fault stall@open: OPEN never answered, link kept",
            lambda: t_fault_stall(ports["FAULTSTALL01"]))
    attempt("fault close@recv+1048576: exactly 1 MiB of file, then EOF",
            lambda: t_fault_close_recv(ports["FAULTCLOSE01"],
                                       "/sdcard/big.bin", MIB))
    attempt("a \"once\" fault hits only the first connection",
            lambda: t_fault_once(ports["FAULTONCE001"]))
    attempt("classic RECV of 24 MiB over raw packets is intact, then QUIT",
            lambda: t_recv_classic(citrine, vid, vid_bytes))
    return 0 if all(RESULTS) else 1


def t_recv_classic(port, path, want):
    body = recv_classic(port, path)
    return body == want, "got %s bytes" % (None if body is None
                                           else len(body))


def recv_classic(port, path):
    c = Conn(port)
    c.connect()
    lid, cmd, rid, a1, _ = c.open("sync:")
    c.send(WRTE, lid, rid, sync_req(b"RECV", path) + b"QUIT\0\0\0\0")
    got = c.drain(lid, rid)
    c.close()
    body, i = bytearray(), 0
    while got[i:i + 4] == b"DATA":
        n = struct.unpack_from("<I", got, i + 4)[0]
        body += got[i + 8:i + 8 + n]
        i += 8 + n
    return bytes(body) if got[i:i + 4] == b"DONE" else None


if __name__ == "__main__":
    sys.exit(main())
