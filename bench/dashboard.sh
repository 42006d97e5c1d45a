#!/bin/bash
# bench/dashboard.sh - what the dashboard costs with a full bench: 32 fake
# adb phones (tests/usb/fakebed.py --count 32), the dashboard at 80x24 in
# tmux.  Measures
#   first frame  from just before exec to the first doupdate(): the shell
#                in the pane writes the clock, then execs the dashboard,
#                which logs the wall clock of its first frame (at -v);
#   idle CPU     utime+stime from /proc/PID/stat over 10 s of no input;
#   memory       VmRSS and VmHWM from /proc/PID/status.
# Prints a table; exits 1 when a target is missed.  Not part of make check.
#
#   top_builddir=build bench/dashboard.sh     (or DROIDMEDIC=path/to/binary)
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
export top_srcdir
. "$top_srcdir/tests/lib/env.sh"

D=$DROIDMEDIC
TM=dmbench-$$
PHONES=${PHONES:-32}
IDLE_S=${IDLE_S:-10}
log=$XDG_STATE_HOME/droidmedic/droidmedic.log
unset TMUX

tm() { tmux -L "$TM" -f /dev/null "$@"; }
cleanup() {
	tm kill-server >/dev/null 2>&1
	env_cleanup
}
trap cleanup EXIT
die() { echo "bench: $*" >&2; exit 2; }

[ -x "$D" ] || die "no binary at $D (set DROIDMEDIC or top_builddir)"
command -v tmux >/dev/null || die "tmux is not installed"
command -v umockdev-wrapper >/dev/null || die "umockdev is not installed"
[ -f "$top_srcdir/tests/usb/fakebed.py" ] || die "tests/usb/fakebed.py missing"

phones() {
	"$D" --no-autostart devices --json 2>/dev/null | python3 -c \
	    'import json,sys; print(len(json.load(sys.stdin)["devices"]))' \
	    2>/dev/null
}
# utime + stime of a process, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

mkfifo "$T/ctl"
umockdev-wrapper /usr/bin/python3 "$top_srcdir/tests/usb/fakebed.py" \
	--count "$PHONES" --control "$T/ctl" -- \
	"$D" server start --foreground --idle-exit 0 >"$T/bench.log" 2>&1 &
echo $! >"$T/bench.pid"
for _ in $(seq 100); do
	[ "$(phones)" = "$PHONES" ] && break
	sleep 0.1
done
[ "$(phones)" = "$PHONES" ] || die "the server did not list $PHONES phones"
spid=$("$D" --no-autostart server status --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')

# The pane's shell stamps the time and becomes the dashboard.
tm new-session -d -s dm -x 80 -y 24 \
	"date +%s%N >$T/t0; exec $D -v" || die "tmux failed"
for _ in $(seq 50); do
	grep -q "ui: first frame" "$log" 2>/dev/null && break
	sleep 0.1
done
ff=$(grep "ui: first frame" "$log" | tail -1)
[ -n "$ff" ] || die "no first-frame line in $log"
pid=$(tm display -p -t dm '#{pane_pid}')
tm capture-pane -p -t dm | grep -q "$PHONES phones" ||
	die "the dashboard does not show $PHONES phones"

t0_ns=$(cat "$T/t0")
frame_ms=$(sed -n 's/.*realtime_ms=\([0-9]*\).*/\1/p' <<<"$ff")
first=$((frame_ms - t0_ns / 1000000))
exec_ms=$(sed -n 's/.*first frame: \(-\{0,1\}[0-9]*\) ms after process start.*/\1/p' <<<"$ff")
inrun=$(sed -n 's/.* \([0-9]*\) ms in ui_run.*/\1/p' <<<"$ff")

sleep 1		# let the first second settle
hz=$(getconf CLK_TCK)
a=$(ticks "$pid")
sa=$(ticks "$spid")
sleep "$IDLE_S"
b=$(ticks "$pid")
sb=$(ticks "$spid")
tm capture-pane -p -t dm | grep -q "$PHONES phones" ||
	die "the dashboard went away during the idle period"
cpu=$(awk -v d=$((b - a)) -v hz="$hz" -v s="$IDLE_S" \
	'BEGIN { printf "%.2f", d * 100 / hz / s }')
scpu=$(awk -v d=$((sb - sa)) -v hz="$hz" -v s="$IDLE_S" \
	'BEGIN { printf "%.2f", d * 100 / hz / s }')
rss=$(kb "$pid" VmRSS)
hwm=$(kb "$pid" VmHWM)
# Most of the RSS is shared library text; say what is the dashboard's own.
roll() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/smaps_rollup"; }
pss=$(roll Pss)
priv=$(roll Private_Dirty)
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

fail=0
verdict() { if [ "$1" = 1 ]; then echo ok; else fail=1; echo MISSED; fi; }
v_first=$(verdict "$([ "$first" -lt 100 ] && echo 1)")
v_cpu=$(verdict "$(awk -v c="$cpu" 'BEGIN { print (c < 1) }')")
v_rss=$(verdict "$([ "$hwm" -lt $((12 * 1024)) ] && echo 1)")

printf 'droidmedic dashboard, %d fake phones, 80x24, %s\n' "$PHONES" \
	"$("$D" --version | head -1)"
printf '%-34s %12s %10s  %s\n' metric value target ""
printf '%-34s %9s ms %10s  %s\n' "first frame (exec to doupdate)" \
	"$first" "< 100 ms" "$v_first"
printf '%-34s %9s ms\n' "  since fork, 10 ms ticks (kernel)" "$exec_ms"
printf '%-34s %9s ms\n' "  inside ui_run()" "$inrun"
printf '%-34s %10s %% %10s  %s\n' "idle CPU over ${IDLE_S} s" "$cpu" "< 1 %" \
	"$v_cpu"
printf '%-34s %9s MB %10s  %s\n' "peak RSS (VmHWM)" "$(mb "$hwm")" \
	"< 12 MB" "$v_rss"
printf '%-34s %9s MB\n' "RSS now (VmRSS)" "$(mb "$rss")"
printf '%-34s %9s MB\n' "  PSS (shared pages split)" "$(mb "$pss")"
printf '%-34s %9s MB\n' "  private dirty (heap, data)" "$(mb "$priv")"
printf '%-34s %10s %%\n' "server idle CPU (for reference)" "$scpu"
exit "$fail"
