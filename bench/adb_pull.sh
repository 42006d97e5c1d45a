#!/bin/bash
# bench/adb_pull.sh - droidmedic pull vs AOSP adb pull, same simulator, one
# run, as ratios.  Not a test.
#
#   1 GiB in one file: MiB/s and CPU seconds per GiB (client + adb server)
#   10,000 files of 4 KiB: files/s
#   The simulator's own CPU is shown: it must not be the bottleneck.
#
#   top_builddir=build bench/adb_pull.sh  (SIZE_MIB=1024 FILES=10000 REPEAT=6)
#   Each client runs REPEAT times, alternating; medians are reported.
# Needs Debian's adb, and tmpfs room for the data twice (/dev/shm).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
export top_srcdir
. "$top_srcdir/tests/lib/env.sh"
# --no-autostart, and no server runs: a pull is a job, and with no bench
# server it runs in the command's own process, whose CPU time(1) measures
# (through a server the work, and its CPU, would be the server's).
D=$DROIDMEDIC
SIM=${DROIDMEDIC_SIM:-$top_builddir/droidmedic-sim}
SIZE_MIB=${SIZE_MIB:-1024}
FILES=${FILES:-10000}
W=$(mktemp -d /dev/shm/dmbench.XXXXXX)
trap 'adb kill-server >/dev/null 2>&1; kill $(cat "$T/sim.pid" 2>/dev/null) 2>/dev/null; rm -rf "$W"; env_cleanup' EXIT
command -v adb >/dev/null || { echo "needs adb (apt-get install adb)"; exit 1; }

python3 - "$W/big.json" "$W/many.json" "$SIZE_MIB" "$FILES" <<'PY'
import json, sys
big, many, mib, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
base = {"source": "hand-written (benchmark)", "auth": "none",
        "features": ["shell_v2", "cmd", "stat_v2", "ls_v2", "fixed_push_mkdir",
                     "delayed_ack"],
        "props": {"ro.product.name": "bench", "ro.product.model": "Bench",
                  "ro.product.device": "bench"}}
json.dump(dict(base, serial="BENCHBIG0001", storage=[
    {"path": "/sdcard/big.bin", "size": mib << 20, "seed": 7}]), open(big, "w"))
json.dump(dict(base, serial="BENCHMANY001", storage=[
    {"path": "/sdcard/many/d%02d/f%05d.bin" % (i % 50, i), "size": 4096,
     "seed": i} for i in range(n)]), open(many, "w"))
PY

"$SIM" --strict --state "$W/sim" --ports-file "$T/ports" \
	"$W/big.json" "$W/many.json" >"$T/sim.out" 2>"$T/sim.err" &
echo $! >"$T/sim.pid"
simpid=$(cat "$T/sim.pid")
for _ in $(seq 600); do [ -s "$T/ports" ] && break; sleep 0.5; done
[ -s "$T/ports" ] || { cat "$T/sim.err"; exit 1; }
BIG=127.0.0.1:$(awk '$1 == "BENCHBIG0001" { print $2 }' "$T/ports")
MANY=127.0.0.1:$(awk '$1 == "BENCHMANY001" { print $2 }' "$T/ports")

export ANDROID_ADB_SERVER_PORT=15$((RANDOM % 900 + 100)) ADB_LOCAL_TRANSPORT_MAX_PORT=5555
adb start-server >/dev/null 2>&1
adb connect "$BIG" >/dev/null; adb connect "$MANY" >/dev/null
adb -s "$BIG" wait-for-device; adb -s "$MANY" wait-for-device
adbd_pid=$(pgrep -f "adb -L tcp:$ANDROID_ADB_SERVER_PORT" | head -1)
[ -n "$adbd_pid" ] || adbd_pid=$(pgrep -n -x adb)

ticks() { [ -n "$1" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)
# run NAME CMD...: wall seconds, client CPU s, adb server CPU s, sim CPU s
run() {
	local name=$1 s0 a0 t0 t1 out
	shift
	rm -rf "$W/out"; mkdir -p "$W/out"
	sync
	s0=$(ticks "$simpid"); a0=$(ticks "$adbd_pid")
	t0=$(date +%s.%N)
	out=$( { /usr/bin/time -f "%U %S" "$@" >/dev/null 2>"$W/err"; } 2>&1 )
	t1=$(date +%s.%N)
	tail -1 "$W/err" | grep -q '^[0-9.]* [0-9.]*$' || { cat "$W/err"; exit 1; }
	read -r u s < <(tail -1 "$W/err")
	echo "$name $(echo "$t1 - $t0" | bc -l) $(echo "$u + $s" | bc -l)" \
	    "$(echo "($(ticks "$adbd_pid") - $a0) / $hz" | bc -l)" \
	    "$(echo "($(ticks "$simpid") - $s0) / $hz" | bc -l)"
}
R=$W/results
: >"$R"
REPEAT=${REPEAT:-6}
run warm "$D" --no-autostart pull -s "$BIG" /sdcard/big.bin "$W/out/big.bin" >/dev/null
# On a VM, tmpfs pages freed a few seconds earlier are handed back to the
# host and cost several times more to fault in again, which punished
# whichever pull came first after a pause.  So each big pull is preceded by
# writing and freeing as much filler, untimed: every pull then starts from
# the same state.  Which client goes first alternates too (ABBA).
big() {	# big NAME: pull the 1 GiB file with client NAME into tmpfs
	rm -rf "$W/out"; mkdir -p "$W/out"
	head -c "${SIZE_MIB}M" /dev/zero >"$W/out/filler"
	rm -f "$W/out/filler"
	case $1 in
	dm_big) run dm_big "$D" --no-autostart pull -s "$BIG" /sdcard/big.bin "$W/out/big.bin" ;;
	adb_big) run adb_big adb -s "$BIG" pull /sdcard/big.bin "$W/out/big.bin" ;;
	esac >>"$R"
	sha256sum <"$W/out/big.bin" >"$W/$1.sum"
}
for i in $(seq "$REPEAT"); do
	if [ $((i % 2)) -eq 1 ]; then big dm_big; big adb_big
	else big adb_big; big dm_big; fi
	cmp -s "$W/dm_big.sum" "$W/adb_big.sum" ||
		{ echo "droidmedic and adb pulled different bytes"; exit 1; }
	# The same pull into /dev/null: the protocol stacks alone,
	# without tmpfs page allocation (the noisiest cost on a VM).
	# (Through /proc/self/fd/3: adb unlinks its target first, which
	# would remove /dev/null itself when run as root.)
	run dm_null "$D" --no-autostart pull -s "$BIG" /sdcard/big.bin /proc/self/fd/3 \
	    3>/dev/null >>"$R"
	run adb_null adb -s "$BIG" pull /sdcard/big.bin /proc/self/fd/3 \
	    3>/dev/null >>"$R"
	[ -c /dev/null ] || { echo "/dev/null is no longer a device"; exit 1; }
	run dm_many "$D" --no-autostart pull -s "$MANY" /sdcard/many "$W/out/many" >>"$R"
	n=$(find "$W/out/many" -type f | wc -l)
	[ "$n" -eq "$FILES" ] ||
		{ echo "droidmedic pulled $n of $FILES files"; exit 1; }
	run adb_many adb -s "$MANY" pull /sdcard/many "$W/out/many" >>"$R"
done

[ -n "${VERBOSE:-}" ] && cat "$R"
python3 - "$R" "$SIZE_MIB" "$FILES" <<'PY'
import sys
runs = {}
for line in open(sys.argv[1]):
    name, wall, cli, srv, sim = line.split()
    runs.setdefault(name, []).append(
        dict(wall=float(wall), cpu=float(cli) + float(srv), sim=float(sim)))
def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]
r = {k: {f: median([x[f] for x in v]) for f in ("wall", "cpu", "sim")}
     for k, v in runs.items()}
print("medians of %d alternating runs" % len(runs["dm_big"]))
mib, n = int(sys.argv[2]), int(sys.argv[3])
gib = mib / 1024
def row(k):
    x = r[k]
    return "%-9s %8.2f s %9.1f MiB/s %8.2f CPU s/GiB  (sim %.2f CPU s)" % (
        k, x["wall"], mib / x["wall"], x["cpu"] / gib, x["sim"])
print("pull %d MiB, one file" % mib)
print(row("dm_big")); print(row("adb_big"))
tp = r["adb_big"]["wall"] / r["dm_big"]["wall"]
cpu = r["dm_big"]["cpu"] / max(r["adb_big"]["cpu"], 1e-9)
print("  droidmedic/adb throughput x%.2f (target >= 1.5), CPU per GiB x%.2f (target <= 0.7)" % (tp, cpu))
print("pull %d MiB, one file, into /dev/null" % mib)
print(row("dm_null")); print(row("adb_null"))
tp = r["adb_null"]["wall"] / r["dm_null"]["wall"]
cpu = r["dm_null"]["cpu"] / max(r["adb_null"]["cpu"], 1e-9)
print("  droidmedic/adb throughput x%.2f (target >= 1.5), CPU per GiB x%.2f (target <= 0.7)" % (tp, cpu))
print("pull %d files of 4 KiB" % n)
for k in ("dm_many", "adb_many"):
    x = r[k]
    print("%-9s %8.2f s %9.0f files/s  (sim %.2f CPU s)" % (k, x["wall"], n / x["wall"], x["sim"]))
print("  droidmedic/adb files/s x%.2f (target >= 2)" % (r["adb_many"]["wall"] / r["dm_many"]["wall"]))
PY
