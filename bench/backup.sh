#!/bin/bash
# bench/backup.sh - droidmedic backup vs adb pull + tar --zstd, and vs
# droidmedic's own raw pull, same simulator, one run, as ratios.  Not a
# test.
#
#   SIZE_MIB (default 2048) in FILES (default 5000) files under /sdcard/DCIM:
#   one file in ten is large, the rest 8 KiB; the content is the
#   simulator's pseudo-random pattern (as incompressible as photos).
#   dm_backup  droidmedic backup --full --only photos (pull, zstd, SHA-256,
#              the read-back pass, the manifest)
#   dm_pull    droidmedic pull of the same folder (no archive, no hashes)
#   adb_tar    adb pull of the folder, then tar --zstd -cf of it
#   Targets: adb_tar / dm_backup >= 1.3; dm_pull / dm_backup >= 0.9.
#
#   top_builddir=build bench/backup.sh  (SIZE_MIB=2048 FILES=5000 REPEAT=3)
# Needs Debian's adb and zstd, and tmpfs room for the data four times
# (/dev/shm).  Each client runs REPEAT times, rotating; medians.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
export top_srcdir
. "$top_srcdir/tests/lib/env.sh"
# --no-autostart and no server: the job runs in the command's process, so
# time(1) sees its CPU.
D=$DROIDMEDIC
SIM=${DROIDMEDIC_SIM:-$top_builddir/droidmedic-sim}
SIZE_MIB=${SIZE_MIB:-2048}
FILES=${FILES:-5000}
W=$(mktemp -d /dev/shm/dmbench.XXXXXX)
trap 'adb kill-server >/dev/null 2>&1; kill $(cat "$T/sim.pid" 2>/dev/null) 2>/dev/null; rm -rf "$W"; env_cleanup' EXIT
command -v adb >/dev/null || { echo "needs adb (apt-get install adb)"; exit 1; }
command -v zstd >/dev/null || { echo "needs zstd (apt-get install zstd)"; exit 1; }

python3 - "$W/p.json" "$SIZE_MIB" "$FILES" <<'PY'
import json, sys
out, mib, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
big = n // 10
small = 8192
big_size = max(((mib << 20) - (n - big) * small) // big, small)
st = []
for i in range(n):
    size = big_size if i % 10 == 0 else small
    st.append({"path": "/sdcard/DCIM/d%02d/IMG_%05d.jpg" % (i % 40, i),
               "size": size, "seed": i + 1, "mtime": 1700000000 + i})
json.dump({"source": "hand-written (benchmark)", "serial": "BENCHBKP0001",
           "auth": "none",
           "features": ["shell_v2", "cmd", "stat_v2", "ls_v2",
                        "fixed_push_mkdir", "delayed_ack"],
           "props": {"ro.product.name": "bench", "ro.product.model": "Bench",
                     "ro.product.device": "bench", "ro.serialno": "BENCHBKP0001"},
           "storage": st}, open(out, "w"))
PY

"$SIM" --strict --state "$W/sim" --ports-file "$T/ports" "$W/p.json" \
	>"$T/sim.out" 2>"$T/sim.err" &
echo $! >"$T/sim.pid"
simpid=$(cat "$T/sim.pid")
for _ in $(seq 600); do [ -s "$T/ports" ] && break; sleep 0.5; done
[ -s "$T/ports" ] || { cat "$T/sim.err"; exit 1; }
P=127.0.0.1:$(awk '$1 == "BENCHBKP0001" { print $2 }' "$T/ports")

export ANDROID_ADB_SERVER_PORT=15$((RANDOM % 900 + 100)) ADB_LOCAL_TRANSPORT_MAX_PORT=5555
adb start-server >/dev/null 2>&1
adb connect "$P" >/dev/null
adb -s "$P" wait-for-device
adbd_pid=$(pgrep -f "adb -L tcp:$ANDROID_ADB_SERVER_PORT" | head -1)
[ -n "$adbd_pid" ] || adbd_pid=$(pgrep -n -x adb)

ticks() { [ -n "$1" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)
# run NAME CMD...: wall s, client CPU s (children included), adb server
# CPU s, simulator CPU s
run() {
	local name=$1 s0 a0 t0 t1
	shift
	rm -rf "$W/out" "$W/lib" "$W/out.tar.zst"; mkdir -p "$W/out"
	sync
	s0=$(ticks "$simpid"); a0=$(ticks "$adbd_pid")
	t0=$(date +%s.%N)
	/usr/bin/time -f "%U %S" "$@" >/dev/null 2>"$W/err"
	t1=$(date +%s.%N)
	tail -1 "$W/err" | grep -q '^[0-9.]* [0-9.]*$' || { cat "$W/err"; exit 1; }
	read -r u s < <(tail -1 "$W/err")
	echo "$name $(echo "$t1 - $t0" | bc -l) $(echo "$u + $s" | bc -l)" \
	    "$(echo "($(ticks "$adbd_pid") - $a0) / $hz" | bc -l)" \
	    "$(echo "($(ticks "$simpid") - $s0) / $hz" | bc -l)" >>"$R"
}
adb_tar() {
	adb -s "$P" pull /sdcard/DCIM "$W/out" &&
	tar --zstd -cf "$W/out.tar.zst" -C "$W/out" DCIM
}
R=$W/results
: >"$R"
REPEAT=${REPEAT:-3}
"$D" --no-autostart pull -s "$P" /sdcard/DCIM "$W/out" >/dev/null 2>&1	# warm
for i in $(seq "$REPEAT"); do
	for k in 0 1 2; do
		case $(( (i + k) % 3 )) in
		0) run dm_backup "$D" --no-autostart backup -s "$P" --full \
		       --only photos --to "$W/lib"
		   n=$(python3 -c "import json,glob; print(json.load(open(glob.glob('$W/lib/*/*.json')[0]))['totals']['files'])")
		   [ "$n" -eq "$FILES" ] || { echo "the backup holds $n of $FILES files"; cat "$W/err"; exit 1; } ;;
		1) run dm_pull "$D" --no-autostart pull -s "$P" /sdcard/DCIM "$W/out" ;;
		2) export -f adb_tar; export P W
		   run adb_tar bash -c adb_tar ;;
		esac
	done
done

[ -n "${VERBOSE:-}" ] && cat "$R"
python3 - "$R" "$SIZE_MIB" "$FILES" "$(nproc)" <<'PY'
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
mib, n = int(sys.argv[2]), int(sys.argv[3])
print("medians of %d rotating runs; %s MiB in %d files; %s CPUs" % (
    len(runs["dm_backup"]), mib, n, sys.argv[4]))
for k in ("dm_backup", "dm_pull", "adb_tar"):
    x = r[k]
    print("%-9s %8.2f s %9.1f MiB/s %8.2f CPU s  (sim %.2f CPU s)" % (
        k, x["wall"], mib / x["wall"], x["cpu"], x["sim"]))
print("  adb pull + tar --zstd / droidmedic backup: x%.2f faster (target >= 1.3)" %
      (r["adb_tar"]["wall"] / r["dm_backup"]["wall"]))
print("  droidmedic backup / its raw pull throughput: x%.2f (target >= 0.9)" %
      (r["dm_pull"]["wall"] / r["dm_backup"]["wall"]))
PY
