#!/bin/bash
# bench/flash_rom.sh - droidmedic flash of a whole Xiaomi-style ROM vs AOSP
# fastboot running the package's own flash_all_except_storage.sh, same
# simulator, one run, as ratios.  Not a test.
#
#   A synthetic package (tests/lib/xiaomirom.py --big SIZE_MIB: super.img
#   a sparse image holding SIZE_MIB of data, half random and half
#   repeated text, so gzip has work to do; the other images small), as a
#   .tgz, flashed to a simulated alioth (its real max-download-size).
#   dm         droidmedic flash --sha256 --confirm: the package read
#              through (every member decompressed and hashed, the file's
#              SHA-256 and MD5), the gates, the steps; the wait for the
#              phone's boot after the final reboot is left out (its
#              seconds are in the result)
#   aosp_all   tar -xzf of the package, then the script run by Debian's
#              fastboot: what a technician does with it by hand
#   aosp_run   the script alone, on the tree already extracted
#   Target: aosp_all / dm >= 1.2.  Both leave super byte for byte as the
#   package's image (checked, untimed).
#
#   top_builddir=build bench/flash_rom.sh  (SIZE_MIB=3072 REPEAT=1)
# Needs Debian's fastboot, GNU time, python3, and disk room for about
# four times SIZE_MIB in $TMPDIR.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
export top_srcdir
. "$top_srcdir/tests/lib/env.sh"
D=$DROIDMEDIC
SIM=${DROIDMEDIC_SIM:-$top_builddir/droidmedic-sim}
SIZE_MIB=${SIZE_MIB:-3072}
REPEAT=${REPEAT:-1}
FIX=${DROIDMEDIC_FIXTURES:-$top_srcdir/../shared/fixtures/real}
export DROIDMEDIC_FIXTURES=$FIX DROIDMEDIC_IDLE_EXIT=0
for t in fastboot python3; do
	command -v $t >/dev/null || { echo "needs $t"; exit 1; }
done
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
trap 'kill $(cat "$T/sim.pid" 2>/dev/null) 2>/dev/null; env_cleanup' EXIT

echo "building a package with $SIZE_MIB MiB in super..."
python3 "$top_srcdir/tests/lib/xiaomirom.py" "$T/rom.tgz" alioth 1 \
	--big "$SIZE_MIB" || exit 1
SHA=$(sha256sum "$T/rom.tgz" | cut -c1-64)
echo "package: $(du -m "$T/rom.tgz" | cut -f1) MiB"
python3 - "$top_srcdir/sim/profiles/fastboot/xiaomi_alioth.json" "$T" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
for s in ("BENCHROM0001", "BENCHROM0002"):
    p = json.load(open(src))
    p["serial"] = s
    p["props"]["ro.build.version.incremental"] = "V14.0.4.0.TKHMIXM"
    json.dump(p, open("%s/%s.json" % (out, s), "w"))
PY

start_sim() {
	[ -s "$T/sim.pid" ] && kill "$(cat "$T/sim.pid")" 2>/dev/null
	sleep 0.3
	rm -rf "$T/sim" "$T/ports"
	"$SIM" --state "$T/sim" --ports-file "$T/ports" "$T/BENCHROM0001.json" \
		"$T/BENCHROM0002.json" >"$T/sim.out" 2>"$T/sim.err" &
	echo $! >"$T/sim.pid"
	for _ in $(seq 100); do [ -s "$T/ports" ] && break; sleep 0.1; done
	P1=tcp:127.0.0.1:$(awk '$1 == "BENCHROM0001" { print $2 }' "$T/ports")
	P2=tcp:127.0.0.1:$(awk '$1 == "BENCHROM0002" { print $2 }' "$T/ports")
}
secs() { awk '/^wall/ { print $2 }' "$1"; }
med() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for i in $(seq "$REPEAT"); do
	start_sim
	"$D" connect "$P1" >/dev/null 2>&1
	/usr/bin/time -f "wall %e" -o "$T/dm.t" "$D" flash -s "$P1" \
		"$T/rom.tgz" --sha256 "$SHA" --confirm 0001 --json \
		>"$T/dm.json" 2>"$T/dm.err" || { cat "$T/dm.err"; exit 1; }
	boot=$(python3 -c "import json; print(json.load(open('$T/dm.json'))['boot']['seconds'])")
	echo "$(secs "$T/dm.t") $boot" | awk '{ printf "%.2f\n", $1 - $2 }' >>"$T/dm.all"
	cmp -s "$T/sim/BENCHROM0001/partitions/super.img" \
		"$T/rom.tgz.expect/super.img" || { echo "droidmedic: super differs"; exit 1; }
	rm -rf "$T/x" && mkdir "$T/x"
	/usr/bin/time -f "wall %e" -o "$T/tar.t" tar -C "$T/x" -xzf "$T/rom.tgz"
	/usr/bin/time -f "wall %e" -o "$T/run.t" bash "$T"/x/*/flash_all_except_storage.sh \
		-s "$P2" >"$T/aosp.out" 2>&1 || { tail "$T/aosp.out"; exit 1; }
	cmp -s "$T/sim/BENCHROM0002/partitions/super.img" \
		"$T/rom.tgz.expect/super.img" || { echo "fastboot: super differs"; exit 1; }
	secs "$T/run.t" >>"$T/run.all"
	echo "$(secs "$T/tar.t") $(secs "$T/run.t")" | awk '{ printf "%.2f\n", $1 + $2 }' >>"$T/all.all"
	rm -rf "$T/x"
done
dm=$(med <"$T/dm.all")
all=$(med <"$T/all.all")
run=$(med <"$T/run.all")
printf '%-10s %8s s\n' dm "$dm" aosp_all "$all" aosp_run "$run"
awk -v d="$dm" -v a="$all" -v r="$run" 'BEGIN {
	printf "aosp_all / dm = %.2f (target >= 1.2)%s\n", a / d, (a / d >= 1.2) ? "" : "  NOT MET"
	printf "aosp_run / dm = %.2f (the script alone, extracted beforehand)\n", r / d }'
