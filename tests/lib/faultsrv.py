#!/usr/bin/env python3
"""faultsrv.py - an HTTP origin that misbehaves on purpose, for the
download tests (nginx proxies /fault/ to it; see httpd.sh).

    faultsrv.py DIR PORTFILE

GET /MODE/NAME serves DIR/NAME (Range: bytes=A- and A-B honoured, ETag
and Last-Modified sent) in one of these modes:

    ok        as asked
    cutonce   the first request for a name stops after half the body it
              promised, then the connection closes; later ones are whole
    cut       every request stops after 1 MiB of body
    short     the file less its last 4096 bytes, as if that were all
    liar      says the file is 1000 bytes longer than it is (its length
              and range), sends what there is and closes
    stall     the head and 64 KiB, then nothing for ten minutes
    norange   ignores Range: always 200 and the whole file
"""
import email.utils
import http.server
import os
import re
import socket
import sys
import threading
import time

ROOT = sys.argv[1]
seen = set()
lock = threading.Lock()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("faultsrv: %s %s\n" % (self.requestline,
                                                self.headers.get("Range")))

    def do_GET(self):
        m = re.match(r"^/(?:fault/)?(\w+)/([^/?]+)$", self.path)
        if not m:
            self.send_error(404)
            return
        mode, name = m.group(1), m.group(2)
        path = os.path.join(ROOT, name)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            data = f.read()
        if mode == "short":
            data = data[:-4096]
        claimed = len(data) + (1000 if mode == "liar" else 0)
        st = os.stat(path)
        etag = '"%x-%x"' % (int(st.st_mtime), st.st_size)
        size = len(data)
        start, end = 0, size - 1
        rng = self.headers.get("Range")
        status = 200
        if rng and mode != "norange":
            r = re.match(r"bytes=(\d+)-(\d*)$", rng)
            ifr = self.headers.get("If-Range")
            if r and (ifr is None or ifr == etag):
                start = int(r.group(1))
                if r.group(2):
                    end = min(int(r.group(2)), size - 1)
                if start >= claimed:
                    self.send_response(416)
                    self.send_header("Content-Range", "bytes */%d" % claimed)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
        body = data[start:end + 1]
        length = len(body) + (1000 if mode == "liar" else 0)
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "none" if mode == "norange"
                         else "bytes")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified",
                         email.utils.formatdate(st.st_mtime, usegmt=True))
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (
                start, end + claimed - size, claimed))
        self.end_headers()
        send = body
        close = False
        if mode == "cutonce":
            with lock:
                first = name not in seen
                seen.add(name)
            if first:
                send, close = body[:len(body) // 2], True
        elif mode == "cut":
            send, close = body[:1 << 20], True
        elif mode == "liar":
            close = True
        elif mode == "stall":
            self.wfile.write(body[:65536])
            self.wfile.flush()
            time.sleep(600)
            return
        try:
            self.wfile.write(send)
            self.wfile.flush()
        except OSError:
            return
        if close:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class S(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = S(("127.0.0.1", 0), H)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
