#!/usr/bin/env python3
"""xiaomirom.py - build a small Xiaomi-style fastboot ROM (.tgz) for the
tests: one top folder with images/, misc.txt, images/anti_version.txt and
the three flash scripts, written line by line in the forms of Xiaomi's
real scripts (tests/unit/t_romscript.c reads the real ones; see
../shared/fixtures/real/rom_scripts: the Pad 6 Pro liuqin flash_all.sh is
the model here: product check, anti-rollback from anti_version.txt, the
crc block, erase boot_ab, flash X_ab, super from the bootloader,
metadata/userdata only in flash_all.sh, set_active a, reboot or oem lock).

Images are random bytes (seeded: the same every run); super.img and
userdata.img are Android sparse images (RAW, FILL and DONT_CARE chunks).
The expanded form of every image is written beside the tgz as
OUT.expect/NAME, for byte-exact comparisons with the simulator's
partitions.

usage: xiaomirom.py OUT.tgz CODENAME ANTI [--unknown-part NAME]
       [--drop IMAGE] [--build NUMBER] [--big MIB]
"""
import argparse
import io
import os
import random
import shutil
import struct
import tarfile

SPARSE_MAGIC = 0xED26FF3A
BLK = 4096

# (partition as the script writes it, image file, size in KiB)
AB_IMAGES = [
    ("abl_ab", "abl.elf", 192),
    ("xbl_ab", "xbl.elf", 256),
    ("xbl_config_ab", "xbl_config.elf", 64),
    ("tz_ab", "tz.mbn", 320),
    ("hyp_ab", "hyp.mbn", 96),
    ("devcfg_ab", "devcfg.mbn", 48),
    ("modem_ab", "NON-HLOS.bin", 700),
    ("dsp_ab", "dspso.bin", 300),
    ("keymaster_ab", "keymaster.mbn", 64),
    ("qupfw_ab", "qupv3fw.elf", 32),
]
LATE_IMAGES = [
    ("vendor_boot_ab", "vendor_boot.img", 512),
    ("dtbo_ab", "dtbo.img", 256),
    ("vbmeta_ab", "vbmeta.img", 8),
    ("vbmeta_system_ab", "vbmeta_system.img", 4),
]


def sparse_files(runs, total_blks, seed, out, expanded):
    """Write a sparse image to the file out and its expansion to the file
    expanded: RAW runs (start block, blocks), a FILL of two blocks after
    each, DONT_CARE in between.  A RAW run's data is half random, half a
    repeated text (so gzip has work to do, as with a real image), made
    16 MiB at a time."""
    r = random.Random(seed)
    chunks = []   # (header, data source) in order
    pos = 0
    for start, n in sorted(runs):
        if start > pos:
            chunks.append((struct.pack("<HHII", 0xCAC3, 0, start - pos, 12),
                           None))
        chunks.append((struct.pack("<HHII", 0xCAC1, 0, n, 12 + n * BLK),
                       ("raw", start, n)))
        pos = start + n
        if pos + 2 <= total_blks:
            word = r.getrandbits(32)
            chunks.append((struct.pack("<HHIII", 0xCAC2, 0, 2, 16, word),
                           ("fill", pos, word)))
            pos += 2
    if pos < total_blks:
        chunks.append((struct.pack("<HHII", 0xCAC3, 0, total_blks - pos, 12),
                       None))
    text = (b"droidmedic test image: the quick brown fox jumps over the "
            b"lazy dog. " * 64)[:2048]
    with open(out, "wb") as o, open(expanded, "wb") as x:
        o.write(struct.pack("<IHHHHIIII", SPARSE_MAGIC, 1, 0, 28, 12, BLK,
                            total_blks, len(chunks), 0))
        for head, src in chunks:
            o.write(head)
            if src is None:
                continue
            if src[0] == "fill":
                x.seek(src[1] * BLK)
                x.write(struct.pack("<I", src[2]) * (2 * BLK // 4))
                continue
            x.seek(src[1] * BLK)
            left = src[2]
            while left > 0:
                k = min(left, 4096)          # blocks: 16 MiB
                data = b"".join(r.randbytes(BLK // 2) + text
                                for _ in range(k))
                o.write(data)
                x.write(data)
                left -= k
        x.truncate(total_blks * BLK)


def script(codename, parts, lock, storage):
    q = "`dirname $0`/images/"
    lines = [
        'fastboot $* getvar product 2>&1 | grep "^product: *%s"' % codename,
        'if [ $? -ne 0  ] ; then echo "Missmatching image and device"; '
        'exit 1; fi',
        '',
        '#check anti_version',
        'if [ -e $(dirname $0)/images/anti_version.txt ]; then',
        'CURRENT_ANTI_VER=`cat $(dirname $0)/images/anti_version.txt`',
        'fi',
        'if [ -z "$CURRENT_ANTI_VER" ]; then CURRENT_ANTI_VER=0; fi',
        'ver=`fastboot $* getvar anti 2>&1 | grep -oP "anti: \\K[0-9]+"`',
        'if [ -z "$ver" ]; then ver=0; fi',
        'if [ $ver -gt $CURRENT_ANTI_VER ]; then echo "Current device '
        'antirollback version is greater than this pakcage"; exit 1; fi',
        '',
        'fastboot $* getvar crc 2>&1 | grep "^crc: 1"',
        'if [ $? -eq 0 ]; then',
        'fastboot $* flash crclist       %scrclist.txt' % q,
        'if [ $? -ne 0 ] ; then echo "Flash crclist error"; exit 1; fi',
        'fastboot $* flash sparsecrclist %ssparsecrclist.txt' % q,
        'if [ $? -ne 0 ] ; then echo "Flash sparsecrclist error"; exit 1; '
        'fi',
        'fi',
        'fastboot $* erase boot_ab',
        'if [ $? -ne 0 ] ; then echo "Erase boot error"; exit 1; fi',
    ]

    def flash(part, f):
        lines.append("fastboot $* flash %s %s%s" % (part, q, f))
        lines.append('if [ $? -ne 0 ] ; then echo "Flash %s error"; '
                     'exit 1; fi' % part.replace("_ab", ""))
    for part, f, _ in parts["early"]:
        flash(part, f)
    flash("super", "super.img")
    for part, f, _ in parts["late"]:
        flash(part, f)
    if storage:
        lines.append("fastboot $* erase metadata")
        lines.append('if [ $? -ne 0 ] ; then echo "Erase metadata error"; '
                     'exit 1; fi')
        flash("metadata", "metadata.img")
        flash("userdata", "userdata.img")
    flash("cust", "cust.img")
    flash("boot_ab", "boot.img")
    lines.append("fastboot $* set_active a")
    lines.append('if [ $? -ne 0 ] ; then echo "set_active a error"; exit 1; '
                 'fi')
    if lock:
        lines.append("fastboot $* oem lock")
        lines.append('if [ $? -ne 0 ] ; then echo "Oem lock error"; exit 1; '
                     'fi')
    else:
        lines.append("fastboot $* reboot")
        lines.append('if [ $? -ne 0 ] ; then echo "Reboot error"; exit 1; '
                     'fi')
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("codename")
    ap.add_argument("anti", type=int)
    ap.add_argument("--unknown-part")
    ap.add_argument("--drop")
    ap.add_argument("--build", default="V14.0.4.0.TKHMIXM")
    ap.add_argument("--big", type=int, default=0,
                    help="super.img holds this many MiB of data")
    a = ap.parse_args()

    r = random.Random(7)
    top = "%s_global_images_%s_20240101.0000.00_13.0_global" % (
        a.codename, a.build)
    expect = a.out + ".expect"
    stage = a.out + ".images"
    os.makedirs(expect, exist_ok=True)
    os.makedirs(stage, exist_ok=True)
    files = {}
    early = list(AB_IMAGES)
    if a.unknown_part:
        early.append((a.unknown_part, "unknown.bin", 16))
    parts = {"early": early, "late": LATE_IMAGES}
    for part, f, kib in early + LATE_IMAGES + [
            ("cust", "cust.img", 1024), ("boot_ab", "boot.img", 2048),
            ("metadata", "metadata.img", 64)]:
        files[f] = r.randbytes(kib * 1024)
    files["crclist.txt"] = b"abl.elf 1234abcd\nboot.img 99aa00ff\n"
    files["sparsecrclist.txt"] = b"super.img 0badf00d\n"
    files["anti_version.txt"] = b"%d\n" % a.anti
    for f, data in files.items():
        for d in (expect, stage):
            with open(os.path.join(d, f), "wb") as o:
                o.write(data)
    # super: two RAW runs of data (1 MiB, or --big MiB in all); userdata
    big = max(a.big, 1) * 256   # blocks
    sparse_files([(16, big // 2), (16 + big // 2 + 300, big - big // 2)],
                 16 + big + 8000, 11, os.path.join(stage, "super.img"),
                 os.path.join(expect, "super.img"))
    sparse_files([(0, 4), (100, 8)], 2048, 12,
                 os.path.join(stage, "userdata.img"),
                 os.path.join(expect, "userdata.img"))
    names = sorted(os.listdir(stage))
    if a.drop:
        names.remove(a.drop)
    members = {
        "flash_all.sh": script(a.codename, parts, False, True),
        "flash_all_except_storage.sh": script(a.codename, parts, False,
                                              False),
        "flash_all_lock.sh": script(a.codename, parts, True, True),
        "misc.txt": "device=%s\nbuild_number=%s\nuserdata_version="
                    "20240101.0000.00\n" % (a.codename, a.build),
    }
    with tarfile.open(a.out, "w:gz", compresslevel=1,
                      format=tarfile.GNU_FORMAT) as t:
        def info(name, size, mode=0o644):
            ti = tarfile.TarInfo(top + "/" + name)
            ti.size = size
            ti.mode = mode
            ti.mtime = 1704067200
            return ti
        d = tarfile.TarInfo(top + "/images")
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        t.addfile(d)
        for name in names:
            path = os.path.join(stage, name)
            with open(path, "rb") as f:
                t.addfile(info("images/" + name, os.path.getsize(path)), f)
        for name, text in members.items():
            data = text.encode()
            t.addfile(info(name, len(data), 0o755 if name.endswith(".sh")
                           else 0o644), io.BytesIO(data))
    shutil.rmtree(stage)


main()
