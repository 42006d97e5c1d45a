#!/bin/bash
# bench/fetch.sh - droidmedic firmware fetch vs curl -o, the same file from
# the same local nginx (tests/lib/httpd.sh), one run, as ratios.  Not a
# test.
#
#   A file of SIZE_MIB random bytes (default 1024), served by nginx on
#   loopback:
#   single     /files/: curl -o FILE vs droidmedic firmware fetch URL
#              --to FILE --connections 1 --sha256 (its SHA-256 computed
#              while the file arrives, checked before it is put in
#              place; curl computes nothing).  Target: curl / dm >= 0.95
#              (droidmedic at least 0.95 times curl's speed).
#   throttled  /slow/: nginx's limit_rate RATE per connection (default
#              20m, 20 MB/s): curl -o (one connection) vs droidmedic with
#              --connections CONNS (default 4).  Target: curl / dm >= 3.5.
#   Both outputs are compared with the source (untimed).  REPEAT runs,
#   the median kept; the runs alternate so both see the same machine.
#   The source and both outputs live in BENCH_DIR, by default a folder in
#   /dev/shm (memory) when it has room: on a disk, the writeback of the
#   previous run's gigabyte decides the next run's time, whoever runs.
#   droidmedic's fsync before it renames the file into place costs
#   nothing there; on a disk it is real and is not in curl's figure.
#
#   top_builddir=build bench/fetch.sh   (SIZE_MIB=1024 RATE=20m CONNS=4 REPEAT=3)
# Needs nginx, curl, openssl, GNU time, and 3 x SIZE_MIB of room in
# BENCH_DIR.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
export top_srcdir
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/ports.sh"
. "$top_srcdir/tests/lib/httpd.sh"
D=$DROIDMEDIC
SIZE_MIB=${SIZE_MIB:-1024}
RATE=${RATE:-20m}
CONNS=${CONNS:-4}
REPEAT=${REPEAT:-3}
for t in nginx curl openssl; do
	command -v $t >/dev/null || { echo "needs $t"; exit 1; }
done
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }

if [ -z "${BENCH_DIR:-}" ]; then
	BENCH_DIR=$T/bench
	room=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
	[ -n "$room" ] && [ "$room" -gt $((SIZE_MIB * 1024 * 3 + 65536)) ] &&
		BENCH_DIR=$(mktemp -d /dev/shm/droidmedic-bench.XXXXXX)
fi
mkdir -p "$BENCH_DIR/www"
trap 'env_cleanup; case $BENCH_DIR in /dev/shm/droidmedic-bench.*) rm -rf "$BENCH_DIR";; esac' EXIT
O=$BENCH_DIR
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$O/www/f.bin"
SHA=$(sha256sum "$O/www/f.bin" | cut -c1-64)
HTTPD_RATE=$RATE start_httpd "$O/www" || { echo "nginx did not start"; exit 1; }
H=http://127.0.0.1:$HTTP_PORT
"$D" server start >/dev/null 2>&1

secs() { awk '/^wall/ { print $2 }' "$1"; }
med() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
same() { cmp -s "$O/www/f.bin" "$1" || { echo "$2: the file differs"; exit 1; }; }

run_pair() {	# LOCATION DM-ARGS...
	local loc=$1
	shift
	rm -f "$O/c.bin" "$O/d.bin"
	/usr/bin/time -f "wall %e" -o "$T/c.t" curl -s -o "$O/c.bin" "$H/$loc/f.bin" ||
		{ echo "curl failed"; exit 1; }
	same "$O/c.bin" curl
	rm -f "$O/c.bin"
	secs "$T/c.t" >>"$T/$loc.curl"
	/usr/bin/time -f "wall %e" -o "$T/d.t" "$D" firmware fetch "$H/$loc/f.bin" \
		--to "$O/d.bin" --sha256 "$SHA" "$@" >"$T/d.out" 2>&1 ||
		{ cat "$T/d.out"; exit 1; }
	same "$O/d.bin" droidmedic
	rm -f "$O/d.bin"
	secs "$T/d.t" >>"$T/$loc.dm"
}

echo "$SIZE_MIB MiB from nginx on loopback, files in $O, median of $REPEAT"
for i in $(seq "$REPEAT"); do
	run_pair files --connections 1
	run_pair slow --connections "$CONNS"
done
report() {	# LOCATION LABEL TARGET
	local c d
	c=$(med <"$T/$1.curl")
	d=$(med <"$T/$1.dm")
	awk -v c="$c" -v d="$d" -v l="$2" -v t="$3" -v mib="$SIZE_MIB" 'BEGIN {
		printf "%-34s curl %7.2f s (%6.1f MB/s)  droidmedic %7.2f s (%6.1f MB/s)  x%.2f (target %s)\n",
		    l, c, mib * 1.048576 / c, d, mib * 1.048576 / d, c / d, t }'
}
report files "single stream, unthrottled" ">= 0.95"
report slow "$RATE/connection, $CONNS connections" ">= 3.5"
