#!/bin/bash
# server.sh - the bench server and its clients: autostart, one server per
# user, status/stop, survives SIGHUP and dead clients, idle exit, stale
# sockets, protocol errors.  No USB here (--no-usb or none).  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
D=$DROIDMEDIC
sock=$XDG_RUNTIME_DIR/droidmedic/server.sock

spid() { sed -n 's/^[^0-9]*\([0-9][0-9]*\).*/\1/p' "$XDG_RUNTIME_DIR/droidmedic/server.lock" 2>/dev/null | head -1; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

# Send raw lines to the socket, print the replies (one per line sent).
raw() {
	python3 - "$sock" "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
f = s.makefile("rwb")
for line in sys.argv[2:]:
    f.write(line.encode() + b"\n"); f.flush()
    print(f.readline().decode().strip())
PY
}

"$D" server status >"$T/out"
check "status without a server exits 1" test $? -eq 1
check "status says not running" grep -q "not running" "$T/out"
"$D" --no-autostart devices >/dev/null 2>"$T/err"
check "--no-autostart does not start one" test $? -eq 1
check "--no-autostart says how to start one" grep -q "server start" "$T/err"

export DROIDMEDIC_IDLE_EXIT=0
"$D" devices --json >"$T/devs.json"
check "devices autostarts the server" test $? -eq 0
check "devices --json is a document with a devices list" \
	json 'assert isinstance(d["devices"], list)' <"$T/devs.json"
pid=$(spid)
check "server runs in the background (pid $pid)" alive "$pid"
check "socket is private" test "$(stat -c %a "$XDG_RUNTIME_DIR/droidmedic")" = 700
ppid_of=$(ps -o ppid= -p "$pid" | tr -d ' ')
check "server is detached (parent is not this shell)" test "$ppid_of" != "$$"
sid=$(ps -o sid= -p "$pid" | tr -d ' ')
mysid=$(ps -o sid= -p $$ | tr -d ' ')
check "server has its own session (SSH hangup cannot reach it)" test "$sid" != "$mysid"

"$D" server status --json >"$T/st.json"
check "status --json" json "assert d['running'] and d['pid'] == $pid and d['proto'] == 1" <"$T/st.json"
check "status reports the USB state" json 'assert "ok" in d["usb"] and "hotplug" in d["usb"]' <"$T/st.json"

"$D" server start >"$T/out"
check "server start when running keeps the same server" grep -q "pid $pid" "$T/out"
"$D" server start --foreground --no-usb >/dev/null 2>"$T/err"
check "a second server refuses to start (exit 3)" test $? -eq 3
check "and names the running one" grep -q "already running (pid $pid)" "$T/err"

# Several clients at once: a watcher sees events while others call.
"$D" devices --watch --json >"$T/watch.out" 2>&1 &
wpid=$!
echo "$wpid" >"$T/watch.pid"
check "watch prints a snapshot first" wait_for 5 grep -q '"event":"snapshot"' "$T/watch.out"
"$D" server status --json >"$T/st2.json"
check "status counts both clients" json 'assert d["clients"] >= 2' <"$T/st2.json"
kill -9 "$wpid"
wait "$wpid" 2>/dev/null
alive_status() { "$D" server status >/dev/null; }
check "a client killed with SIGKILL does not hurt the server" alive_status

kill -HUP "$pid"
sleep 0.3
check "server survives SIGHUP (dropped SSH session)" alive "$pid"

# Protocol errors get clear replies and the connection stays usable.
out=$(raw 'not json' '{"v":1,"id":3,"op":"nosuch"}' '{"v":2,"id":4,"op":"devices"}' \
	'{"v":1,"id":5,"op":"device","params":{"device":"nope"}}' '{"v":1,"id":6,"op":"devices"}')
check "garbage gets EINVAL" grep -q '"code":"EINVAL","message":"not a JSON object"' <<<"$out"
check "unknown op gets EINVAL" grep -q '"id":3,"ok":false.*unknown op' <<<"$out"
check "another protocol version gets EVERSION" grep -q '"id":4,"ok":false.*EVERSION' <<<"$out"
check "unknown device gets ENOENT" grep -q '"id":5,"ok":false.*ENOENT' <<<"$out"
check "the connection still works after errors" grep -q '"id":6,"ok":true' <<<"$out"
python3 -c "
import socket
s = socket.socket(socket.AF_UNIX); s.connect('$sock')
s.settimeout(5)
try:
    s.sendall(b'x' * (2 << 20))
except OSError:
    pass    # the server hung up on us mid-send: expected
d = s.recv(4096)
assert b'longer than the protocol allows' in d, d
" 2>"$T/err"
check "an oversized message is refused, not buffered" test $? -eq 0
check "server alive after the hostile client" alive "$pid"

"$D" server stop >"$T/out"
check "server stop" grep -q "server stopped" "$T/out"
check "server gone after stop" wait_for 3 sh -c "! kill -0 $pid 2>/dev/null"
check "socket removed on stop" test ! -e "$sock"

# A server killed hard leaves a stale socket; the next client copes.
"$D" devices >/dev/null
pid=$(spid)
kill -9 "$pid"
sleep 0.2
check "stale socket left by a killed server" test -S "$sock"
"$D" devices >/dev/null 2>"$T/err"
check "next client starts a fresh server over the stale socket" test $? -eq 0
npid=$(spid)
check "it is a new process" test -n "$npid" -a "$npid" != "$pid"
"$D" server stop >/dev/null

# Idle exit: no clients, no jobs -> it goes away by itself.
DROIDMEDIC_IDLE_EXIT=1 "$D" devices >/dev/null
pid=$(spid)
check "idle server exits by itself" wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"

# The foreground server logs to stderr and stops on SIGTERM, cleanly.
"$D" server start --foreground --no-usb --idle-exit 0 2>"$T/fg.err" &
fpid=$!
echo "$fpid" >"$T/fg.pid"
check "foreground server comes up" wait_for 5 test -S "$sock"
"$D" server status >"$T/out"
check "status shows USB disabled by --no-usb" grep -q "disabled (--no-usb)" "$T/out"
kill -TERM "$fpid"
wait "$fpid"
check "SIGTERM stops it with status 0" test $? -eq 0
check "foreground server logged to stderr" grep -q "server pid $fpid" "$T/fg.err"
check "log file written" grep -q "server pid $fpid" "$XDG_STATE_HOME/droidmedic/droidmedic.log"

# A runtime directory someone else can read is refused.
chmod 755 "$XDG_RUNTIME_DIR/droidmedic"
"$D" devices >/dev/null 2>"$T/err"
check "unsafe runtime dir refused" test $? -ne 0
check "with a clear message" grep -q "runtime directory" "$T/err"
chmod 700 "$XDG_RUNTIME_DIR/droidmedic"
done_testing
