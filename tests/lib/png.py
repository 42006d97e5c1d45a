# tests/lib/png.py - read a PNG as the tests need it, with Python's own
# zlib (not droidmedic's deflate): every chunk's CRC checked, the rows
# un-filtered (all five PNG filters), RGB 8-bit only.  Also reads
# screencap's raw output.  Used by tests/sim/screenshot.sh.
import itertools
import struct
import zlib


def read_png(path):
    d = open(path, "rb").read()
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    p, idat, w = 8, b"", None
    while p < len(d):
        n, = struct.unpack(">I", d[p:p + 4])
        t = d[p + 4:p + 8]
        crc, = struct.unpack(">I", d[p + 8 + n:p + 12 + n])
        if zlib.crc32(d[p + 4:p + 8 + n]) != crc:
            raise ValueError("bad CRC in %r" % t)
        if t == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", d[p + 8:p + 18])
            if (depth, ctype) != (8, 2):
                raise ValueError("not 8-bit RGB")
        elif t == b"IDAT":
            idat += d[p + 8:p + 8 + n]
        elif t == b"IEND":
            break
        p += 12 + n
    raw = zlib.decompress(idat)
    stride = w * 3
    out = bytearray(stride * h)
    prev = bytes(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        row = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if f == 0:
            cur = bytes(row)
        elif f == 1:
            cur = bytearray(stride)
            for ch in range(3):
                cur[ch::3] = bytes(v & 0xff for v in
                                   itertools.accumulate(row[ch::3]))
            cur = bytes(cur)
        elif f == 2:
            cur = bytes((r + u) & 0xff for r, u in zip(row, prev))
        else:
            cur = bytearray(stride)
            for i in range(stride):
                a = cur[i - 3] if i >= 3 else 0
                b = prev[i]
                c = prev[i - 3] if i >= 3 else 0
                if f == 3:
                    v = (a + b) // 2
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    v = a if pa <= pb and pa <= pc else b if pb <= pc else c
                cur[i] = (row[i] + v) & 0xff
            cur = bytes(cur)
        out[y * stride:(y + 1) * stride] = cur
        prev = cur
    return w, h, bytes(out)


def read_raw(path):
    """screencap without -p: (w, h, format, header bytes, RGB)."""
    d = open(path, "rb").read()
    w, h, f = struct.unpack("<III", d[:12])
    hl = 16 if len(d) == 16 + w * h * 4 else 12
    if f != 1 or len(d) != hl + w * h * 4:
        raise ValueError("unexpected raw capture")
    px = d[hl:]
    rgb = bytearray(w * h * 3)
    rgb[0::3] = px[0::4]
    rgb[1::3] = px[1::4]
    rgb[2::3] = px[2::4]
    return w, h, f, hl, bytes(rgb)
