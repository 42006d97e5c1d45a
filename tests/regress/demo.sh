#!/bin/bash
# demo.sh - demo phones: `droidmedic demo` makes the bench server run
# droidmedic-sim with the shipped profiles (real captures) and add each
# phone marked demo; they identify, show as DEMO in `devices` and in the
# dashboard (`droidmedic --demo`, driven in tmux), never listen where an
# adb server would grab them, and go away with `demo stop` or with the
# server.  A missing profile directory is a clear error.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
D=$DROIDMEDIC
FIX=${DROIDMEDIC_FIXTURES:-$top_srcdir/../shared/fixtures/real}
[ -x "$top_builddir/droidmedic-sim" ] || bail "no droidmedic-sim (build first)"
[ -d "$FIX/getprop" ] ||
	bail "real captures not found in $FIX: set DROIDMEDIC_FIXTURES"
command -v tmux >/dev/null || bail "tmux is needed (apt-get install tmux)"
DROIDMEDIC_FIXTURES=$(cd "$FIX" && pwd)
export DROIDMEDIC_FIXTURES DROIDMEDIC_IDLE_EXIT=0
export DROIDMEDIC_SIM=$top_builddir/droidmedic-sim
export DROIDMEDIC_PROFILES=$top_srcdir/sim/profiles
nprof=$(ls "$DROIDMEDIC_PROFILES"/*.json "$DROIDMEDIC_PROFILES"/fastboot/*.json "$DROIDMEDIC_PROFILES"/diag/*.json | wc -l)
nfb=$(ls "$DROIDMEDIC_PROFILES"/fastboot/*.json | wc -l)
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
TM=dmdemo-$$
unset TMUX
tm() { tmux -L "$TM" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; env_cleanup' EXIT

"$D" demo --json >"$T/demo.json" 2>"$T/demo.err"
check "demo start: exit 0 once every phone is ready" test $? -eq 0
check "one demo phone per shipped profile ($nprof), all identified" \
	json "assert d['running'] and d['phones'] == $nprof and \
len(d['devices']) == $nprof and all(x['demo'] and x['summary'] \
for x in d['devices']), d" <"$T/demo.json"
check "the fastboot profiles' phones ($nfb) are there, in fastboot" \
	json "fb = [x for x in d['devices'] if x['mode'] in ('fastboot', 'fastbootd')]; \
assert len(fb) == $nfb and any('cheetah' in x['summary'] for x in fb), fb" <"$T/demo.json"
check "the real captures show through (Xiaomi 14, S25+)" \
	json "s = ' '.join(x['summary'] for x in d['devices']); \
assert 'Xiaomi 14 (houji)' in s and 'SM-S936B' in s, s" <"$T/demo.json"
check "no demo phone listens where an adb server would attach it" \
	json "assert all(not 5555 <= int(x['serial'].rsplit(':',1)[1]) <= 5585 \
for x in d['devices'])" <"$T/demo.json"
pid=$(json "print(d['pid'])" <"$T/demo.json")
check "the simulator runs" kill -0 "$pid"

"$D" devices >"$T/devices.txt"
check "devices marks them DEMO" \
	test "$(grep -c ' DEMO ' "$T/devices.txt")" -eq "$nprof"
"$D" demo start --json >"$T/again.json"
check "demo start again: the same simulator, no second set of phones" \
	json "assert d['pid'] == $pid and len(d['devices']) == $nprof" \
	<"$T/again.json"
sn=$(json "print(d['devices'][0]['serial'])" <"$T/demo.json")
check "a demo phone answers shell like any phone" \
	test "$("$D" shell -s "$sn" -- echo hello)" = hello

# The dashboard with --demo shows them, marked.
tm new-session -d -s dm -x 120 -y 30 "$D --demo; sleep 30"
wait_for 10 sh -c "tmux -L $TM capture-pane -p -t dm | grep -q 'DEMO Xiaomi 14'"
check "the dashboard lists DEMO phones (droidmedic --demo)" test $? -eq 0
tm send-keys -t dm q

"$D" demo stop >"$T/stop.out"
check "demo stop" grep -qx "demo stopped" "$T/stop.out"
check "the simulator is gone" wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"
check "the demo phones are gone from the bench" \
	wait_for 5 sh -c "! '$D' devices | grep -q DEMO"
"$D" demo stop >/dev/null 2>"$T/stop2.err"
check "demo stop with none running: exit 1, says so" \
	test $? -eq 1 -a -n "$(grep 'no demo is running' "$T/stop2.err")"

# The simulator goes when the server goes.
"$D" demo >/dev/null 2>&1
pid=$("$D" demo status --json | json "print(d['pid'])")
check "demo again for the server-stop case" kill -0 "$pid"
"$D" server stop --force >/dev/null
check "server stop takes the simulator with it" \
	wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"

# A server started without profiles to find says so.
DROIDMEDIC_PROFILES=$T/nowhere "$D" demo >/dev/null 2>"$T/np.err"
check "no profiles: exit 1 and a clear reason" \
	test $? -eq 1 -a -n "$(grep 'no demo profiles found' "$T/np.err")"
check "no sanitizer report or error line in the log" \
	bash -c "! grep -hE 'Sanitizer|runtime error' \
	    '$T/state/droidmedic/'*.log"
done_testing
