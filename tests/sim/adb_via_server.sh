#!/bin/bash
# adb_via_server.sh - droidmedic next to a running AOSP adb server
# (Debian's adb): phones that server holds are listed, identified and used
# through its host protocol (shell with exit codes and stderr, pull and
# push byte for byte, the Allow prompt waited out), say which path they
# use, and go offline when the server lets go or dies.  A private adb
# server port and HOME, loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/ports.sh"
SIM=$top_builddir/droidmedic-sim
D=$DROIDMEDIC
PROFILES=$top_srcdir/sim/profiles
FIX=${DROIDMEDIC_FIXTURES:-$top_srcdir/../shared/fixtures/real}

[ -x "$SIM" ] || bail "no $SIM (build first)"
command -v adb >/dev/null || bail "Debian's adb is needed: apt-get install adb"
[ -d "$FIX/getprop" ] ||
	bail "real captures not found in $FIX: set DROIDMEDIC_FIXTURES"
DROIDMEDIC_FIXTURES=$(cd "$FIX" && pwd)
export DROIDMEDIC_FIXTURES DROIDMEDIC_IDLE_EXIT=0
# env.sh keeps other tests away from any adb server; this one wants it.
unset DROIDMEDIC_ADB_SERVER
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

base=$(free_base 4)
[ -n "$base" ] || bail "no free ports in 15000-15999"
export ANDROID_ADB_SERVER_PORT=$base ADB_LOCAL_TRANSPORT_MAX_PORT=5555
trap 'timeout 10 adb kill-server >/dev/null 2>&1; env_cleanup' EXIT
A() { timeout 30 adb "$@"; }

"$SIM" --strict --state "$T/sim" --ports-file "$T/ports" \
	--port-base $((base + 1)) \
	"$PROFILES/xiaomi_12x_psyche.json" "$PROFILES/xiaomi_14_houji.json" \
	>"$T/sim.out" 2>"$T/sim.err" &
echo $! >"$T/sim.pid"
wait_for 20 test -s "$T/ports" ||
	bail "sim did not start: $(head -c 500 "$T/sim.err")"
nth() { sed -n "$1p" "$T/ports" | awk '{ print $2 }'; }
PSY=127.0.0.1:$(nth 1)
HOU=127.0.0.1:$(nth 2)

# The adb server takes both phones; houji asks "Allow USB debugging?"
# and the simulator accepts after a moment, as a user would.
A start-server >/dev/null 2>&1 || bail "adb start-server failed"
A connect "$PSY" >/dev/null 2>&1
A connect "$HOU" >/dev/null 2>&1
check "the adb server holds the Xiaomi 12X" A -s "$PSY" wait-for-device

"$D" server start >/dev/null 2>&1
check "the bench server starts" test $? -eq 0
row() { "$D" devices --json | json "
r = [x for x in d['devices'] if x['serial'] == '$1']
assert len(r) == 1, r
$2" 2>/dev/null; }
check "the 12X gets a row: tcp, via the adb server on port $base" \
	wait_for 15 row "$PSY" "assert r[0]['adb_path'] == 'adb-server:$base' \
and r[0]['port'] == 'adb-server:$PSY' and r[0]['present']"
check "it is identified through the adb server (getprop capture)" \
	wait_for 15 row "$PSY" "assert 'Xiaomi 12X (psyche)' in r[0]['summary']"
check "houji, once allowed, is identified too" \
	wait_for 30 row "$HOU" "assert r[0]['mode'] == 'adb' and \
'Xiaomi 14 (houji)' in r[0]['summary']"

"$D" info -s "$PSY" --json >"$T/info.json"
check "info: model from the real capture, path named" \
	json "assert d['identity']['model'] == '2112123AG' and \
d['adb_path'] == 'adb-server:$base'" <"$T/info.json"

# Headless commands resolve the serial and go through the server too.
"$D" shell -s "$PSY" -- 'echo out; echo err >&2; exit 7' \
	>"$T/sh.out" 2>"$T/sh.err"
rc=$?
check "shell: exit code 7 carried through the adb server" test "$rc" -eq 7
check "shell: stdout" test "$(cat "$T/sh.out")" = out
check "shell: stderr kept apart (shell v2)" grep -qx err "$T/sh.err"
"$D" shell -s "$PSY" -- frobnicate >/dev/null 2>"$T/nf.err"
check "shell: unknown command -> 127 and sh's message" \
	test $? -eq 127 -a -n "$(grep 'frobnicate: not found' "$T/nf.err")"

"$D" pull -s "$PSY" /sdcard/DCIM "$T/dcim" >"$T/pull.out" 2>&1
check "pull of a tree through the adb server" test $? -eq 0
A -s "$PSY" pull /sdcard/DCIM "$T/dcim.adb" >/dev/null 2>&1
check "it matches adb's own pull byte for byte" \
	diff -r "$T/dcim" "$T/dcim.adb"
head -c 3000000 /dev/urandom >"$T/up.bin"
touch -d '2021-03-04 05:06:07' "$T/up.bin"
"$D" push -s "$PSY" "$T/up.bin" /sdcard/Download/up.bin >/dev/null 2>&1
check "push through the adb server" test $? -eq 0
A -s "$PSY" pull /sdcard/Download/up.bin "$T/up.back" >/dev/null 2>&1
check "what adb pulls back is what we pushed" cmp -s "$T/up.bin" "$T/up.back"
check "push kept the mtime" test "$(A -s "$PSY" shell stat -c %Y \
	/sdcard/Download/up.bin | tr -d '\r')" = "$(stat -c %Y "$T/up.bin")"

"$D" shell -s "adb-server:$base:NOSUCHPHONE" -- true >/dev/null 2>"$T/no.err"
check "a serial the adb server lacks: clear error, exit 1" \
	test $? -eq 1 -a -n "$(grep -i 'does not have NOSUCHPHONE' "$T/no.err")"

# The server lets go of one phone: its row goes offline; the other stays.
A disconnect "$HOU" >/dev/null 2>&1
check "adb disconnect: houji's row goes offline" \
	wait_for 10 row "$HOU" "assert not r[0]['present']"
check "the 12X stays" row "$PSY" "assert r[0]['present']"

# The server dies: everything it held goes offline, nothing crashes.
A kill-server >/dev/null 2>&1
check "adb kill-server: the 12X's row goes offline" \
	wait_for 10 row "$PSY" "assert not r[0]['present']"
check "the bench server is still up" "$D" server status --no-autostart
check "no sanitizer report or error line in the log" \
	bash -c "! grep -hE 'Sanitizer|runtime error| ERR ' \
	    '$T/state/droidmedic/'*.log '$T/sim.err'"
done_testing
