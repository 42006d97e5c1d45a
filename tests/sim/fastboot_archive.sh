#!/bin/bash
# fastboot_archive.sh - fastboot-flash --entry: images streamed straight
# out of a ROM archive (.tgz, .zip, .tar.xz) by libarchive, against
# droidmedic-sim's Pixel with a 4 MiB download limit.  Raw and sparse
# images larger than the limit, out of a Xiaomi-style .tgz and a deflated
# .zip, must land byte for byte (the sparse one as simg2img expands it);
# the SHA-256 reported and checked is the entry's; a wrong --sha256, a
# missing entry, a folder, a symbolic link, a file that is no archive, a
# .tgz cut inside the image, a .zip with a damaged byte and a .zip entry
# shorter than its header are all refused before a byte goes out; memory
# stays bounded on a 128 MiB entry; no temporary file is written (the
# directories are compared, and the flasher's opens are traced); flashes
# go through the bench server too, where a job shows its progress while
# its plan decompresses the entry and can be cancelled there.  Loopback
# only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/fbsim.sh"
need "apt-get install android-sdk-libsparse-utils" img2simg simg2img \
	sha256sum python3

. "$top_srcdir/tests/lib/ports.sh"
base=$(free_base 4)
[ -n "$base" ] || bail "no free ports in 15000-15999"

# droidmedic's temporary folder and its state folder are watched: nothing
# may appear there while images are read out of archives.
mkdir -p "$T/tmp"
export TMPDIR=$T/tmp

# ---- the images and the archives ------------------------------------------------
python3 - "$PROFILES/google_pixel7pro_cheetah.json" "$T" <<'PY'
import json, random, sys
src, T = sys.argv[1], sys.argv[2]
p = json.load(open(src))
p["fastboot"]["vars"] = {"max-download-size": "0x400000"}
json.dump(p, open(T + "/pixel.json", "w"))
r = random.Random(5)
M = 1 << 20
open(T + "/boot.raw", "wb").write(r.randbytes(10 * M))      # 3 pieces
with open(T + "/vendor.raw", "wb") as f:                     # mostly holes
    f.write(r.randbytes(3 * M)); f.write(bytes(12 * M))
    f.write(b"\xab" * (4 * M)); f.write(r.randbytes(5 * M))
open(T + "/small.raw", "wb").write(r.randbytes(300001))      # odd size
PY
img2simg "$T/vendor.raw" "$T/vendor.simg"
simg2img "$T/vendor.simg" "$T/vendor.want"
sha() { sha256sum "$1" | cut -d' ' -f1; }
BOOT_SHA=$(sha "$T/boot.raw")
VEND_SHA=$(sha "$T/vendor.simg")
SMALL_SHA=$(sha "$T/small.raw")
TOP=psyche_global_images_V14.0.6.0.TLDMIXM_20230918.0000.00_13.0_global
python3 - "$T" "$TOP" <<'PY'
import io, random, struct, sys, tarfile, zipfile, zlib, hashlib
T, top = sys.argv[1], sys.argv[2]
M = 1 << 20

def tinfo(name, size=0, kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.size, ti.type, ti.linkname, ti.mode = size, kind, link, 0o755 if kind == tarfile.DIRTYPE else 0o644
    return ti

def add_bytes(tf, name, data):
    tf.addfile(tinfo(name, len(data)), io.BytesIO(data))

def rom_tar(tf):
    # A Xiaomi fastboot ROM: one top folder, the scripts, images/.
    tf.addfile(tinfo(top + "/", kind=tarfile.DIRTYPE))
    add_bytes(tf, top + "/misc.txt", b"device=psyche\nbuild_number=V14.0.6.0\n")
    add_bytes(tf, top + "/flash_all.sh", b"fastboot $* flash boot_ab images/boot.img\n")
    tf.addfile(tinfo(top + "/images/", kind=tarfile.DIRTYPE))
    tf.add(T + "/boot.raw", top + "/images/boot.img")
    tf.add(T + "/vendor.simg", top + "/images/vendor_boot.img")
    tf.addfile(tinfo(top + "/images/boot_link.img", kind=tarfile.SYMTYPE, link="boot.img"))
    add_bytes(tf, top + "/images/anti_version.txt", b"1\n")

with tarfile.open(T + "/rom.tgz", "w:gz", format=tarfile.GNU_FORMAT) as tf:
    rom_tar(tf)

# The same, cut in the middle of boot.img's data: a gzip stream flushed
# there and never finished.
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
    rom_tar(tf)
raw = buf.getvalue()
with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
    m = tf.getmember(top + "/images/boot.img")
cut = m.offset_data + m.size // 2
assert m.offset_data < cut < m.offset_data + m.size
co = zlib.compressobj(6, zlib.DEFLATED, 31)
open(T + "/trunc.tgz", "wb").write(co.compress(raw[:cut]) + co.flush(zlib.Z_FULL_FLUSH))
open(T + "/trunc.at", "w").write("%d\n" % (cut - m.offset_data))

with zipfile.ZipFile(T + "/rom.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("META-INF/com/android/metadata", "pre-device=psyche\n")
    z.write(T + "/boot.raw", "images/boot.img")
    z.write(T + "/vendor.simg", "images/vendor_boot.img")
    z.write(T + "/small.raw", "images/dtbo.img")

def data_at(path, name):
    # Where an entry's compressed data starts and how long it is.
    z = zipfile.ZipFile(path)
    i = z.getinfo(name)
    b = open(path, "rb").read()
    o = i.header_offset
    n, e = struct.unpack("<HH", b[o + 26:o + 30])
    return i, o, o + 30 + n + e

# One byte changed in the middle of boot.img's deflated data.
i, _, start = data_at(T + "/rom.zip", "images/boot.img")
b = bytearray(open(T + "/rom.zip", "rb").read())
b[start + i.compress_size // 2] ^= 0x55
open(T + "/corrupt.zip", "wb").write(b)

# dtbo.img's headers (local and central) claim 4096 bytes more than its
# data holds.
i, lo, _ = data_at(T + "/rom.zip", "images/dtbo.img")
b = bytearray(open(T + "/rom.zip", "rb").read())
struct.pack_into("<I", b, lo + 22, i.file_size + 4096)
c = b.find(b"PK\x01\x02")
while c >= 0:
    n = struct.unpack("<H", b[c + 28:c + 30])[0]
    if b[c + 46:c + 46 + n] == b"images/dtbo.img":
        struct.pack_into("<I", b, c + 24, i.file_size + 4096)
        break
    c = b.find(b"PK\x01\x02", c + 4)
assert c >= 0
open(T + "/short.zip", "wb").write(b)

with tarfile.open(T + "/dtbo.tar.xz", "w:xz") as tf:
    tf.add(T + "/small.raw", "images/dtbo.img")

# 128 MiB that compress to almost nothing: for the memory bound.
r = random.Random(9)
big = r.randbytes(M) + bytes(126 * M) + r.randbytes(M)
open(T + "/big.sha", "w").write(hashlib.sha256(big).hexdigest() + "\n")
with tarfile.open(T + "/big.tgz", "w:gz", compresslevel=1) as tf:
    add_bytes(tf, top + "/images/modem.img", big)
PY
[ -s "$T/rom.tgz" ] && [ -s "$T/big.tgz" ] || bail "could not make the archives"
# 48 MiB of random data in a .tar.bz2: slow to decompress (seconds), so
# that a job can be cancelled while its plan reads the entry through.
python3 - "$T" <<'PY' &
import io, random, sys, tarfile
T = sys.argv[1]
data = random.Random(11).randbytes(48 << 20)
with tarfile.open(T + "/slow.part", "w:bz2", compresslevel=1) as tf:
    ti = tarfile.TarInfo("images/modem.img")
    ti.size = len(data)
    tf.addfile(ti, io.BytesIO(data))
PY
SLOWPID=$!
check "the .tgz holds its 8 entries (Xiaomi layout)" \
	test "$(python3 -c "import tarfile,sys; print(len(tarfile.open(sys.argv[1]).getnames()))" "$T/rom.tgz")" -eq 8
check "the sparse entry is larger than the 4 MiB limit" \
	test "$(stat -c %s "$T/vendor.simg")" -gt 4194304

sim_start -v --strict --state "$T/sim" --ports-file "$T/ports" \
	--port-base $((base + 1)) "$T/pixel.json"
PIX=tcp:127.0.0.1:$(awk -v s="$PIX_SN" '$1 == s { print $2 }' "$T/ports")
D() { timeout 120 "$DROIDMEDIC" --no-autostart "$@"; }
export DROIDMEDIC_IDLE_EXIT=0
B() { timeout 120 "$DROIDMEDIC" "$@"; }
parts=$T/sim/$PIX_SN/partitions
last4=${PIX_SN: -4}
downloads() { grep -c "fastboot download:" "$T/sim.err"; }
BOOT=$TOP/images/boot.img
VEND=$TOP/images/vendor_boot.img

# What droidmedic's folders hold once it has run once (its log, the bench
# server's files), to compare with at the end.
D getvar -s "$PIX" product >/dev/null 2>&1
B connect "$PIX" >"$T/c" 2>&1
check "the Pixel is on the bench" grep -q "fastboot" "$T/c"
listing() { (cd "$T" && find tmp state cache home -mindepth 1 | sort); }
listing >"$T/before.lst"

# ---- the plan, from an archive -----------------------------------------------------
D fastboot-flash -s "$PIX" boot "$T/rom.tgz" --entry "$BOOT" >"$T/o" 2>"$T/e"
check "no --confirm: exit 1" test $? -eq 1
check "the plan names the image as ARCHIVE:ENTRY" \
	grep -q "^Plan: flash $T/rom.tgz:$BOOT on boot_a (cheetah, serial $PIX_SN)" "$T/o"
check "with the entry's size, in 3 pieces" \
	sh -c "grep -q '^  image      raw 10.0 MiB' '$T/o' && grep -q 'sending    3 pieces' '$T/o'"
check "and nothing was sent" test "$(downloads)" -eq 0

# ---- flashing out of a .tgz ----------------------------------------------------------
D fastboot-flash -s "$PIX" boot "$T/rom.tgz" --entry "$BOOT" \
	--confirm "$last4" --hash >"$T/o" 2>&1
check ".tgz, raw 10 MiB over a 4 MiB limit: exit 0" test $? -eq 0
check "boot_a holds the entry byte for byte" cmp -s "$T/boot.raw" "$parts/boot_a.img"
check "the SHA-256 reported is the entry's (sha256sum of the extracted file)" \
	grep -qx "sha256 of what was flashed: $BOOT_SHA" "$T/o"
check "it went as 3 downloads" test "$(downloads)" -eq 3
D fastboot-flash -s "$PIX" vendor_boot "$T/rom.tgz" --entry "./$VEND" \
	--confirm "$last4" --sha256 "$VEND_SHA" --json >"$T/j" 2>&1
check ".tgz, sparse over the limit, --sha256 of the entry: exit 0" test $? -eq 0
check "vendor_boot_a equals simg2img's expansion" cmp -s "$T/vendor.want" "$parts/vendor_boot_a.img"
check "--json: image ARCHIVE:ENTRY, archive and entry, several sparse pieces, hash checked" \
	python3 - "$T/j" "$T/rom.tgz" "./$VEND" "$VEND_SHA" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
arc, ent, want = sys.argv[2:5]
p = d["plan"]
sys.exit(not (d["ok"] and p["image"] == arc + ":" + ent and p["archive"] == arc
              and p["entry"] == ent and p["sparse"] and p["pieces"] >= 2
              and p["sha256"] == want and p["sha256_checked"] is True
              and d["sha256"] == want and d["bytes_sent"] == p["send_bytes"]))
PY

# ---- out of a deflated .zip ------------------------------------------------------------
D fastboot-flash -s "$PIX" boot "$T/rom.zip" --entry images/boot.img --slot b \
	--confirm "$last4" --hash --json >"$T/j" 2>&1
check ".zip (deflated), raw into boot_b: exit 0" test $? -eq 0
check "boot_b holds the entry byte for byte" cmp -s "$T/boot.raw" "$parts/boot_b.img"
check "--json: hashed while sending, the entry's SHA-256" \
	python3 - "$T/j" "$BOOT_SHA" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["ok"] and d["plan"]["sha256"] is None and d["sha256"] == sys.argv[2]
              and d["plan"]["entry"] == "images/boot.img"))
PY
D fastboot-flash -s "$PIX" vendor_boot "$T/rom.zip" --entry images/vendor_boot.img \
	--slot b --confirm "$last4" --hash >"$T/o" 2>&1
check ".zip, sparse over the limit, --hash: exit 0" test $? -eq 0
check "vendor_boot_b equals simg2img's expansion" cmp -s "$T/vendor.want" "$parts/vendor_boot_b.img"
check "and the entry's SHA-256 is reported" grep -qx "sha256 of what was flashed: $VEND_SHA" "$T/o"
D fastboot-flash -s "$PIX" dtbo "$T/dtbo.tar.xz" --entry images/dtbo.img \
	--slot all --confirm "$last4" --sha256 "$SMALL_SHA" >"$T/o" 2>&1
check ".tar.xz, both slots, --sha256: exit 0" test $? -eq 0
check "dtbo_a and dtbo_b hold it (the entry read once per slot)" \
	sh -c "cmp -s '$T/small.raw' '$parts/dtbo_a.img' && cmp -s '$T/small.raw' '$parts/dtbo_b.img'"

# ---- refused before a byte goes out -----------------------------------------------------
before=$(downloads)
unchanged() { test "$(downloads)" = "$before"; }
rm -f "$parts/boot_b.img"
D fastboot-flash -s "$PIX" boot "$T/rom.zip" --entry images/boot.img --slot b \
	--confirm "$last4" --sha256 "$VEND_SHA" >"$T/o" 2>&1
check "a --sha256 that is not the entry's: exit 1" test $? -eq 1
check "refused naming both hashes" \
	grep -q "images/boot.img: SHA-256 is $BOOT_SHA, not the expected $VEND_SHA" "$T/o"
check "before any download" unchanged
D fastboot-flash -s "$PIX" boot "$T/rom.tgz" --entry images/boot.img --slot b \
	--confirm "$last4" >"$T/o" 2>&1
check "no such entry: exit 1" test $? -eq 1
check "it says so, and names the entries like it (same name first)" \
	grep -q "rom.tgz has no entry images/boot.img (8 entries); like it: $BOOT, " "$T/o"
check "before any download" unchanged
D fastboot-flash -s "$PIX" boot "$T/rom.tgz" --entry "$TOP/images" --slot b \
	--confirm "$last4" >"$T/o" 2>&1
check "a folder is refused" grep -q "images in .*rom.tgz is a folder, not an image" "$T/o"
D fastboot-flash -s "$PIX" boot "$T/rom.tgz" --entry "$TOP/images/boot_link.img" \
	--slot b --confirm "$last4" >"$T/o" 2>&1
check "a symbolic link is refused" grep -q "boot_link.img in .*is a symbolic link (to boot.img)" "$T/o"
D fastboot-flash -s "$PIX" boot "$T/boot.raw" --entry images/boot.img --slot b \
	--confirm "$last4" >"$T/o" 2>&1
check "an image that is no archive, with --entry: refused" \
	grep -q "boot.raw is not an archive droidmedic can read" "$T/o"
D fastboot-flash -s "$PIX" boot "$T/rom.tgz" --entry "" >"$T/o" 2>&1
check "an empty --entry: exit 2" test $? -eq 2
check "before any download" unchanged
D fastboot-flash -s "$PIX" boot "$T/trunc.tgz" --entry "$BOOT" --slot b \
	--confirm "$last4" --json >"$T/j" 2>&1
check "a .tgz cut inside the image: exit 1" test $? -eq 1
check "the message says the archive is incomplete, in libarchive's words" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["message"]
sys.exit(not (d["ok"] is False and d["error"] == "EIO" and "not flashing" in m
              and "trunc.tgz:" in m and "damaged or incomplete" in m
              and "runcated" in m))
PY
check "before any download, and boot_b was not written" \
	sh -c "test '$(downloads)' = '$before' && test ! -e '$parts/boot_b.img'"
D fastboot-flash -s "$PIX" boot "$T/corrupt.zip" --entry images/boot.img --slot b \
	--confirm "$last4" >"$T/o" 2>&1
check "a .zip with a damaged byte inside the image: exit 1" test $? -eq 1
check "refused as damaged" grep -q "corrupt.zip:images/boot.img: .*damaged or incomplete" "$T/o"
check "before any download" unchanged
D fastboot-flash -s "$PIX" dtbo "$T/short.zip" --entry images/dtbo.img --slot b \
	--confirm "$last4" >"$T/o" 2>&1
check "a .zip entry shorter than its header says: exit 1" test $? -eq 1
check "refused saying so" grep -Eq "dtbo.img: .*(ends at byte 300001 but its header gives 304097|damaged or incomplete.*wrong size)" "$T/o"
check "before any download" unchanged
check "and boot_b was never written" test ! -e "$parts/boot_b.img"

# ---- bounded memory -------------------------------------------------------------------
python3 - "$DROIDMEDIC" "$PIX" "$T/big.tgz" "$TOP/images/modem.img" "$last4" \
	>"$T/rss" 2>"$T/rss.err" <<'PY'
import resource, subprocess, sys
dm, pix, arc, ent, l4 = sys.argv[1:6]
r = subprocess.run([dm, "--no-autostart", "fastboot-flash", "-s", pix, "modem", arc,
                    "--entry", ent, "--confirm", l4], capture_output=True, timeout=300)
sys.stderr.write(r.stdout.decode() + r.stderr.decode())
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
read -r rc rss <"$T/rss"
check "a 128 MiB entry: exit 0" test "$rc" = 0
check "modem_a holds it (SHA-256 of what the phone wrote)" \
	test "$(sha "$parts/modem_a.img")" = "$(cat "$T/big.sha")"
check "the flasher's peak memory stays far below the entry (${rss:-?} KiB < 64 MiB)" \
	test "${rss:-999999}" -lt 65536

# ---- no temporary files --------------------------------------------------------------
# The process that flashes opens nothing for writing but its log: no
# temporary file, not even one removed at once (O_TMPFILE, unlinked).
if command -v strace >/dev/null &&
	strace -f -qq -o /dev/null true 2>/dev/null; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -e trace=open,openat,openat2,creat,memfd_create,mkdir \
		-o "$T/strace.log" timeout 120 "$DROIDMEDIC" --no-autostart \
		fastboot-flash -s "$PIX" vendor_boot "$T/rom.zip" \
		--entry images/vendor_boot.img --confirm "$last4" >"$T/o" 2>&1
	check "traced: the flash from the .zip succeeds" test $? -eq 0
	grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TMPFILE|creat\(|memfd_create|mkdir' \
		"$T/strace.log" | grep -v -e 'droidmedic\.log"' -e '"/dev/' \
		-e '^[0-9]* *mkdir(.*= -1 EEXIST' >"$T/writes"
	check "it opened nothing for writing but its log ($(wc -l <"$T/writes") others)" \
		test ! -s "$T/writes"
	diag "$(head -5 "$T/writes")"
else
	diag "strace cannot run here: the trace check is left out"
fi

# ---- through the bench server -----------------------------------------------------------
rm -f "$parts/vendor_boot_b.img"
B fastboot-flash -s "$PIX" vendor_boot "$T/rom.tgz" --entry "$VEND" --slot b \
	--confirm "$last4" --hash --json >"$T/j" 2>"$T/e"
check "a bench-server job from the .tgz: exit 0" test $? -eq 0
check "vendor_boot_b equals simg2img's expansion" cmp -s "$T/vendor.want" "$parts/vendor_boot_b.img"
check "the job's result names the entry and its SHA-256" \
	python3 - "$T/j" "$T/rom.tgz" "$VEND" "$VEND_SHA" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
arc, ent, want = sys.argv[2:5]
sys.exit(not (d["ok"] and d["job"] > 0 and d["plan"]["image"] == arc + ":" + ent
              and d["plan"]["entry"] == ent and d["sha256"] == want))
PY
(cd "$T" && B fastboot-flash -s "$PIX" boot rom.tgz --entry images/boot.img \
	--confirm "$last4") >"$T/o" 2>&1
check "through the server, no such entry: exit 1" test $? -eq 1
check "the archive's path made absolute, the entries like it named" \
	grep -q "$T/rom.tgz has no entry images/boot.img (8 entries); like it: $BOOT" "$T/o"

# Cancelled while the plan decompresses the entry: it stops there.
wait "$SLOWPID" && mv "$T/slow.part" "$T/slow.tar.bz2"
check "the slow .tar.bz2 was made" test -s "$T/slow.tar.bz2"
before=$(downloads)
rm -f "$parts/modem_b.img"
B fastboot-flash -s "$PIX" modem "$T/slow.tar.bz2" --entry images/modem.img \
	--slot b --confirm "$last4" >"$T/o" 2>"$T/e" &
cli=$!
checking() { B jobs --json | python3 -c "
import json, sys
j = [x for x in json.load(sys.stdin) if x['kind'] == 'flash'][-1]
assert j['state'] == 'running' and j['what'].startswith('checking the image') and 0 < j['done'] < j['total'], j
print(j['id'])" >"$T/job" 2>/dev/null; }
check "the job shows its progress while the plan reads the entry" wait_for 30 checking
B jobs cancel "$(cat "$T/job")" >/dev/null 2>&1
wait "$cli"
check "cancelled there: exit 1" test $? -eq 1
check "not flashing: cancelled" grep -q "not flashing: .*slow.tar.bz2:images/modem.img: .*cancelled" "$T/e"
check "before any download, modem_b not written" \
	sh -c "test '$(downloads)' = '$before' && test ! -e '$parts/modem_b.img'"

listing >"$T/after.lst"
check "no new file in TMPDIR or droidmedic's state, cache or home" \
	cmp -s "$T/before.lst" "$T/after.lst"
diag "$(diff "$T/before.lst" "$T/after.lst" | head -5)"

B server stop --force >/dev/null 2>&1
sim_end
done_testing
