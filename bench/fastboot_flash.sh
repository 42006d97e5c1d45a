#!/bin/bash
# bench/fastboot_flash.sh - droidmedic fastboot-flash vs AOSP fastboot flash,
# same simulator, one run, as ratios.  Not a test.
#
#   A 2 GiB sparse image, about 60% DONT_CARE, flashed to userdata of the
#   simulated Pixel 7 Pro with max-download-size 256 MiB (so it goes in
#   pieces): wall seconds, MiB/s of image file and GiB/s once expanded,
#   client CPU seconds, the simulator's CPU seconds, the client's peak RSS.
#   The partition each client writes must equal simg2img's expansion
#   (checked once per client, untimed, on a partition file made anew).
#   droidmedic flashes three ways: as AOSP fastboot does, with no hash
#   (it checks the layout from the chunk headers, then sends); with
#   --hash (the same, and it computes the image's SHA-256 while sending
#   it, for the record); and with --sha256 (it reads and hashes the whole
#   image before sending a byte, the house rule when a hash is given).
#   The targets are for the first, the same work as AOSP fastboot's; the
#   others' ratios say what hashing costs.  Its plan-only runs (no
#   --confirm: the check, then it stops) are shown too, with and without
#   --sha256: that pass is part of its flash time.
#
#   top_builddir=build bench/fastboot_flash.sh  (SIZE_MIB=2048 REPEAT=4)
#   Each of REPEAT rounds flashes with the four, the order rotated each
#   round; medians are reported.
# Needs Debian's fastboot and android-sdk-libsparse-utils, GNU time for the
# peak RSS (apt-get install time), and tmpfs room for 2.5 times SIZE_MIB
# plus 512 MiB (/dev/shm, else $TMPDIR).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
export top_srcdir
. "$top_srcdir/tests/lib/env.sh"
D=$DROIDMEDIC
SIM=${DROIDMEDIC_SIM:-$top_builddir/droidmedic-sim}
SIZE_MIB=${SIZE_MIB:-2048}
REPEAT=${REPEAT:-4}
FIX=${DROIDMEDIC_FIXTURES:-$top_srcdir/../shared/fixtures/real}
PART=userdata
for t in fastboot img2simg simg2img python3 bc; do
	command -v $t >/dev/null || { echo "needs $t (fastboot," \
	    "android-sdk-libsparse-utils, python3, bc)"; exit 1; }
done
[ -x "$SIM" ] || { echo "no $SIM (build first)"; exit 1; }
[ -d "$FIX/fastboot_getvar" ] ||
	{ echo "real captures not found in $FIX: set DROIDMEDIC_FIXTURES"; exit 1; }
DROIDMEDIC_FIXTURES=$(cd "$FIX" && pwd)
export DROIDMEDIC_FIXTURES
# At most about 1.6 times SIZE_MIB is used: the image, the expected
# expansion and the partition each hold its 40% of data, plus the filler
# and a 256 MiB download.  Asked for with room to spare.
need=$((SIZE_MIB * 5 / 2 + 512))
where=/dev/shm
avail=$(df -Pm /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
if [ "${avail:-0}" -lt "$need" ]; then
	where=${TMPDIR:-/tmp}
	echo "# /dev/shm has ${avail:-0} MiB free, $need needed: using $where" \
	    "(disk: slower, noisier; or set SIZE_MIB lower)"
fi
W=$(mktemp -d "$where/dmbench.XXXXXX")
trap 'kill $(cat "$T/sim.pid" 2>/dev/null) 2>/dev/null; rm -rf "$W"; env_cleanup' EXIT
if [ -x /usr/bin/time ]; then GTIME=/usr/bin/time; else
	GTIME=
	echo "# no GNU time: peak RSS is n/a (apt-get install time)"
fi

# ---- the image ----------------------------------------------------------------
# Runs of random data (64 KiB to 4 MiB) between runs of zeros half as long
# again, so about 40% data; zeros are holes, cheap to make and to read.
python3 - "$W/raw" "$SIZE_MIB" <<'PY' || exit 1
import os, random, sys
path, size = sys.argv[1], int(sys.argv[2]) << 20
rnd = random.Random(2048)
with open(path, "wb") as f:
    f.truncate(size)
    off = 0
    while off < size:
        n = min(rnd.randrange(16, 1025) * 4096, size - off)
        f.seek(off)
        for k in range(0, n, 1 << 20):
            f.write(os.urandom(min(1 << 20, n - k)))
        off += n + int(n * rnd.uniform(0.75, 2.25)) // 4096 * 4096
PY
img2simg "$W/raw" "$W/fill.simg" || exit 1
rm -f "$W/raw"
# Debian's img2simg (29.0.6) has no DONT_CARE mode: a block of zeros becomes
# a FILL chunk of 0.  Such chunks are rewritten as DONT_CARE, which is what
# a real build's empty space is (and simg2img expands it to zeros, as the
# simulator does onto a partition file that it creates anew).
python3 - "$W/fill.simg" "$W/image.simg" <<'PY' || exit 1
import struct, sys
src, dst = open(sys.argv[1], "rb"), open(sys.argv[2], "wb")
h = src.read(28)
magic, maj, mnr, fhs, chs, bs, tb, tc, crc = struct.unpack("<IHHHHIIII", h)
assert magic == 0xED26FF3A and fhs == 28 and chs == 12, "not a sparse image"
dst.write(h)
for _ in range(tc):
    t, r, n, tot = struct.unpack("<HHII", src.read(12))
    body = tot - 12
    if t == 0xCAC2 and src.read(4) == b"\0\0\0\0":
        dst.write(struct.pack("<HHII", 0xCAC3, r, n, 12))
        continue
    if t == 0xCAC2:
        src.seek(-4, 1)
    dst.write(struct.pack("<HHII", t, r, n, tot))
    while body > 0:
        b = src.read(min(body, 8 << 20))
        assert b, "short image"
        dst.write(b)
        body -= len(b)
PY
rm -f "$W/fill.simg"
IMG=$W/image.simg
simg2img "$IMG" "$W/expected" || exit 1
# What is in it, chunk by chunk (read back from the file).
LAYOUT=$(python3 - "$IMG" <<'PY'
import os, struct, sys
f = open(sys.argv[1], "rb")
magic, maj, mnr, fhs, chs, bs, tb, tc, crc = struct.unpack("<IHHHHIIII", f.read(28))
assert magic == 0xED26FF3A
f.seek(fhs)
cnt, blk = {}, {}
for _ in range(tc):
    t, _r, n, tot = struct.unpack("<HHII", f.read(chs))
    f.seek(tot - chs, 1)
    cnt[t] = cnt.get(t, 0) + 1
    blk[t] = blk.get(t, 0) + n
names = {0xCAC1: "raw", 0xCAC2: "fill", 0xCAC3: "dont_care", 0xCAC4: "crc32"}
print("%d chunks of %d-byte blocks: " % (tc, bs) + ", ".join(
    "%s %.1f%% (%d)" % (names.get(t, hex(t)), 100.0 * blk[t] / tb, cnt[t])
    for t in sorted(cnt)))
PY
) || exit 1
IMG_BYTES=$(stat -c %s "$IMG")
EXP_BYTES=$(stat -c %s "$W/expected")
SHA=$(sha256sum "$IMG" | cut -d' ' -f1)

# ---- the simulated phone --------------------------------------------------------
python3 - "$top_srcdir/sim/profiles/fastboot/google_pixel7pro_cheetah.json" \
    "$W/pixel.json" <<'PY' || exit 1
import json, sys
p = json.load(open(sys.argv[1]))
# userdata: 109.9 GiB in the capture, not logical, no slot.
p["fastboot"]["vars"] = {"max-download-size": "0x10000000"}
json.dump(p, open(sys.argv[2], "w"))
PY
"$SIM" --strict --state "$W/sim" --ports-file "$T/ports" "$W/pixel.json" \
	>"$T/sim.out" 2>"$T/sim.err" &
echo $! >"$T/sim.pid"
simpid=$(cat "$T/sim.pid")
for _ in $(seq 100); do [ -s "$T/ports" ] && break; sleep 0.2; done
[ -s "$T/ports" ] || { cat "$T/sim.err"; exit 1; }
read -r SN PORT <"$T/ports"
S=tcp:127.0.0.1:$PORT
PARTFILE=$W/sim/$SN/partitions/$PART.img

ticks() { [ -n "$1" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)
flashes() { grep -c "flashed $PART" "$T/sim.out"; }
# run NAME CMD...: wall s, client CPU s, sim CPU s, peak RSS KiB, pieces
run() {
	local name=$1 s0 f0 t0 t1 rc u s m
	shift
	sync
	s0=$(ticks "$simpid"); f0=$(flashes)
	t0=$(date +%s.%N)
	if [ -n "$GTIME" ]; then
		"$GTIME" -o "$W/time" -f "%U %S %M" "$@" >"$W/out" 2>"$W/err"
		rc=$?
	else
		TIMEFORMAT='%U %S n/a'
		{ time "$@" >"$W/out" 2>"$W/err"; } 2>"$W/time"
		rc=$?
	fi
	t1=$(date +%s.%N)
	case $name in
	dm*_plan) [ "$rc" -eq 1 ] && grep -q '^Plan:' "$W/out" ;;
	dmh*|dms*) [ "$rc" -eq 0 ] &&
	    grep -qx "sha256 of what was flashed: $SHA" "$W/out" ;;
	dm*) [ "$rc" -eq 0 ] && grep -q '^flashed userdata' "$W/out" ;;
	*) [ "$rc" -eq 0 ] ;;
	esac || { echo "$name failed (exit $rc):"; cat "$W/out" "$W/err"; exit 1; } >&2
	read -r u s m < <(tail -1 "$W/time")
	echo "$name $(echo "$t1 - $t0" | bc -l) $(echo "$u + $s" | bc -l)" \
	    "$(echo "($(ticks "$simpid") - $s0) / $hz" | bc -l) $m" \
	    "$(($(flashes) - f0))"
}
R=$W/results
: >"$R"
dm_flash() { run "$1" "$D" --no-autostart fastboot-flash -s "$S" "$PART" "$IMG" \
    --confirm "${SN: -4}"; }
dmh_flash() { run "$1" "$D" --no-autostart fastboot-flash -s "$S" "$PART" \
    "$IMG" --hash --confirm "${SN: -4}"; }
dms_flash() { run "$1" "$D" --no-autostart fastboot-flash -s "$S" "$PART" \
    "$IMG" --sha256 "$SHA" --confirm "${SN: -4}"; }
fb_flash() { run "$1" fastboot -s "$S" flash "$PART" "$IMG"; }
# First, untimed, each client flashes onto a partition file made anew,
# which must then equal simg2img's expansion (this warms them up too).
for c in dm dmh dms fb; do
	rm -f "$PARTFILE"
	"${c}_flash" "${c}_first" >>"$W/first" || exit 1
	cmp -s "$W/expected" "$PARTFILE" || { echo "$c: the partition" \
	    "differs from simg2img's expansion" >&2; exit 1; }
done
# The timed flashes overwrite that partition file, as a phone overwrites
# its storage: the simulator then allocates no new pages for it, which on
# a VM is the noisiest cost of all.  The memory it holds a download in it
# still takes anew for each connection, so before each flash, untimed, as
# much filler as the flash sends is written and freed (pages freed a
# while ago are handed back to the host and cost more to fault in again).
FILLER_MIB=$(( (IMG_BYTES >> 20) + 256 ))
flash() {	# flash dm|dmh|dms|fb
	head -c "${FILLER_MIB}M" /dev/zero >"$W/filler"
	rm -f "$W/filler"
	"${1}_flash" "$1" >>"$R" || exit 1
}
for i in $(seq "$REPEAT"); do
	case $((i % 4)) in
	1) flash dm; flash fb; flash dmh; flash dms ;;
	2) flash fb; flash dmh; flash dms; flash dm ;;
	3) flash dmh; flash dms; flash dm; flash fb ;;
	0) flash dms; flash dm; flash fb; flash dmh ;;
	esac
	run dm_plan "$D" --no-autostart fastboot-flash -s "$S" "$PART" "$IMG" \
	    >>"$R" || exit 1
	run dms_plan "$D" --no-autostart fastboot-flash -s "$S" "$PART" "$IMG" \
	    --sha256 "$SHA" >>"$R" || exit 1
done
cmp -s "$W/expected" "$PARTFILE" ||
	{ echo "the partition differs from simg2img's expansion at the end" >&2; exit 1; }

[ -n "${VERBOSE:-}" ] && cat "$W/first" "$R"
python3 - "$R" "$IMG_BYTES" "$EXP_BYTES" "$LAYOUT" "$PART" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, wall, cpu, sim, rss, pieces = line.split()
    runs.setdefault(name, []).append(dict(
        wall=float(wall), cpu=float(cpu), sim=float(sim),
        rss=None if rss == "n/a" else int(rss), pieces=int(pieces)))
def med(k, f):
    xs = [x[f] for x in runs[k]]
    return None if None in xs else statistics.median(xs)
img, exp, layout, part = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
print("fastboot flash %s: sparse image of %.0f MiB expanding to %.2f GiB,"
      % (part, img / 2**20, exp / 2**30))
print("  " + layout)
print("  max-download-size 256 MiB; medians of %d runs each, order rotated"
      % len(runs["dm"]))
print("%-22s %7s %9s %8s %9s %8s %9s %6s" % ("", "wall s", "MiB/s", "GiB/s",
      "client", "sim", "peak RSS", "pieces"))
print("%-22s %7s %9s %8s %9s %8s %9s %6s" % ("", "", "of file", "expanded",
      "CPU s", "CPU s", "MiB", ""))
label = {"dm": "droidmedic", "dmh": "droidmedic --hash",
         "dms": "droidmedic --sha256",
         "fb": "AOSP fastboot", "dm_plan": "droidmedic plan only",
         "dms_plan": "... plan only, --sha256"}
for k in ("dm", "dmh", "dms", "fb", "dm_plan", "dms_plan"):
    rss = med(k, "rss")
    w = med(k, "wall")
    print("%-22s %7.2f %9.1f %8.2f %9.2f %8.2f %9s %6s" % (
        label[k], w, img / 2**20 / w, exp / 2**30 / w, med(k, "cpu"),
        med(k, "sim"), "n/a" if rss is None else "%.1f" % (rss / 1024),
        "-" if k.endswith("_plan") else
        "%d" % max(x["pieces"] for x in runs[k])))
ok = lambda b: "ok" if b else "MISSED"
for k, how in (("dm", "the same work: no hash"),
               ("dmh", "--hash: hash computed while sending"),
               ("dms", "--sha256: hash checked before sending")):
    tp = med("fb", "wall") / med(k, "wall")
    cpu = med(k, "cpu") / max(med("fb", "cpu"), 1e-9)
    rss = med(k, "rss")
    # The targets compare the same work; hashing is more work, and
    # its ratios say what it costs.
    tgt = k == "dm"
    print("%s / AOSP fastboot (%s):" % (label[k], how))
    print("  throughput x%.2f%s" % (tp, " (target >= 1.2) " + ok(tp >= 1.2)
                                    if tgt else ""))
    print("  client CPU x%.2f%s" % (cpu, " (target <= 0.8) " + ok(cpu <= 0.8)
                                    if tgt else ""))
    if rss is None:
        print("  peak RSS n/a (target < 64 MB; apt-get install time)")
    else:
        print("  peak RSS %.1f MB (target < 64 MB) %s"
              % (rss * 1024 / 1e6, ok(rss * 1024 < 64e6)))
    plan = "dms_plan" if k == "dms" else "dm_plan"
    print("  its plan-only pass: %.0f%% of its flash time, %.0f%% of its CPU"
          % (100 * med(plan, "wall") / med(k, "wall"),
             100 * med(plan, "cpu") / max(med(k, "cpu"), 1e-9)))
print("AOSP fastboot: %.2f s, %.2f CPU s" % (med("fb", "wall"), med("fb", "cpu")))
busy = med("fb", "sim") / med("fb", "wall")
print("  the simulator is busy %.0f%% of AOSP fastboot's wall time" % (100 * busy))
if busy >= 0.7:
    print("  (it, not the client, bounds the throughput: x%.2f at most)"
          % (1 / busy))
PY
