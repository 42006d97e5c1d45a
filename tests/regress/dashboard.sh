#!/bin/bash
# dashboard.sh - the full-screen dashboard, driven through tmux: first
# frame, empty state, the `?` help built from the key table, resize, the /
# filter, quitting, SIGTERM/SIGHUP/crash leaving a sane terminal, ASCII
# borders, NO_COLOR, losing and finding the server again, and (on a fake
# USB bench, tests/usb/fakebed.py) phones listed, details, live unplug.
# TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"

D=$DROIDMEDIC
TM=dmtest-$$
fakebed=$top_srcdir/tests/usb/fakebed.py
keys_c=$top_srcdir/screens/keys.c
unset TMUX

tm() { tmux -L "$TM" -f /dev/null "$@"; }
cleanup() {
	tm kill-server >/dev/null 2>&1
	env_cleanup
}
trap cleanup EXIT

screen() { tm capture-pane -p -t dm; }
has() { screen | grep -qF -- "$1"; }
hasre() { screen | grep -qE -- "$1"; }
lacks() { ! screen | grep -qF -- "$1"; }
line() { screen | sed -n "${1}p"; }
# The pane's shell prompt is back on the last non-empty line.
prompt() { screen | sed '/^ *$/d' | tail -1 | grep -q '^dm\$ *$'; }
# Run a shell command in the pane (only when the prompt is showing).
sh_run() { tm send-keys -t dm -l -- "$1"; tm send-keys -t dm Enter; }
dash_pid() { pgrep -P "$(tm display -p -t dm '#{pane_pid}')" droidmedic; }
# The terminal is cooked again: canonical mode and echo on.
tty_sane() {
	rm -f "$T/stty"
	sh_run "stty -a >$T/stty" || return 1
	wait_for 3 test -s "$T/stty" || return 1
	sleep 0.1
	grep -qE '(^| )icanon( |;|$)' "$T/stty" &&
		grep -qE '(^| )echo( |;|$)' "$T/stty"
}
# Last command's exit status, as the pane's shell saw it.
last_rc() {
	rm -f "$T/rc"
	sh_run "echo \$? >$T/rc"
	wait_for 3 test -s "$T/rc" && cat "$T/rc"
}
start_dash() {
	sh_run "clear; $*"
	wait_for 5 has "droidmedic $version"
}
esc=$(printf '\033')
colour_sgr="${esc}\\[([0-9]+;)*(3[0-7]|4[0-7]|38|48|9[0-7]|10[0-7])(;[0-9;]*)?m"
has_colour() { tm capture-pane -p -e -t dm | grep -qE "$colour_sgr"; }
no_colour() { ! has_colour; }
line_has() { line "$1" | grep -q -- "$2"; }
ascii_only() { ! screen | LC_ALL=C grep -q '[^ -~]'; }
one_phone_left() { has "Devices 1/2" && ! hasre '^│.fastboot'; }
alert_gone() { ! line_has 24 reconnecting; }
details_scrolled() { has "Details · SERIAL1" && ! hasre '│ Serial:'; }

version=$(sed -n 's/^#define VERSION "\(.*\)"/\1/p' "$top_builddir/config.h")
[ -n "$version" ] || bail "no VERSION in config.h"
command -v tmux >/dev/null || bail "tmux is not installed"

# ---- the key table itself --------------------------------------------
rows=$(sed -n '/^const struct key_def keys_table/,/^};/p' "$keys_c")
keys=$(sed -n 's/^[[:space:]]*{ *\([^,]*\),.*/\1/p' <<<"$rows" | tr -d '\t ')
dups=$(sort <<<"$keys" | uniq -d)
check "key table read from keys.c" test "$(wc -l <<<"$keys")" -ge 10
check "no key is bound twice in the key table" test -z "$dups"
helps=$(sed -n 's/^[[:space:]]*{.*ACT_[A-Z_]*,[[:space:]]*"\(.*\)"[[:space:]]*},.*/\1/p' <<<"$rows")
check "help texts read from the key table" test "$(grep -c . <<<"$helps")" -ge 10
# droidmedic(1) carries the table too (keys_print_man() writes the text).
man_keys=$(sed -n '/KEYS-BEGIN/,/KEYS-END/p' "$top_srcdir/man/droidmedic.1" |
	sed 's/\\-/-/g')
missing=
while IFS= read -r h; do
	[ -n "$h" ] && ! grep -qF -- "$h." <<<"$man_keys" && missing="$missing [$h]"
done <<<"$helps"
check "the man page's KEYS section has every entry of the key table" \
	test -z "$missing"
[ -n "$missing" ] && diag "not in man/droidmedic.1:$missing"

# ---- a server without USB, and the dashboard on it -------------------
"$D" server start --foreground --no-usb --idle-exit 0 >"$T/server1.log" 2>&1 &
spid=$!
echo "$spid" >"$T/server1.pid"
server_up() { "$D" --no-autostart server status >/dev/null 2>&1; }
check "server comes up" wait_for 5 server_up

tm new-session -d -s dm -x 80 -y 24 "env PS1='dm\$ ' /bin/sh" ||
	bail "tmux new-session failed"
wait_for 3 prompt || bail "no shell prompt in tmux"
sh_run "ulimit -c 0; export TERM=screen"

check "dashboard draws its first frame" start_dash "$D -v"
check "title names the version" hasre "^ droidmedic $version .*0 phones"
check "title shows the server pid" has "server pid $spid"
check "empty state says what to do" \
	has "No phones yet. Plug one in (USB debugging on)"
check "empty state mentions droidmedic doctor" has "droidmedic doctor"
check "empty state shows the USB status from the hello" \
	has "USB unavailable: disabled (--no-usb)"
check "key bar on the last line (24)" grep -q "? help.*q quit" <<<"$(line 24)"
check "Unicode borders in a UTF-8 locale" grep -q "^┌─ Devices" <<<"$(line 2)"
check "colours by default" has_colour
check "first frame time logged (at -v)" \
	wait_for 2 grep -q "ui: first frame: .* ms after process start" \
	"$XDG_STATE_HOME/droidmedic/droidmedic.log"

# ---- help ------------------------------------------------------------
tm send-keys -t dm '?'
check "? opens the help" wait_for 3 has "─ Keys ─"
missing=
while IFS= read -r h; do
	[ -n "$h" ] && ! has "$h" && missing="$missing [$h]"
done <<<"$helps"
check "help lists every entry of the key table" test -z "$missing"
[ -n "$missing" ] && diag "not on the help screen:$missing"
check "help names keys and their aliases (Down, j / q, F10)" \
	hasre "Down, j .*Move down"
check "help shows F10 next to q" has "q, F10"
tm send-keys -t dm Escape
check "Esc closes the help" wait_for 3 lacks "─ Keys ─"
tm send-keys -t dm '?'
wait_for 3 has "─ Keys ─"
tm send-keys -t dm q
check "q closes the help (and does not quit)" wait_for 3 lacks "─ Keys ─"
check "still running after q in the help" has "droidmedic $version"

# ---- resize ----------------------------------------------------------
tm resize-window -t dm -x 100 -y 30
check "resize to 100x30: key bar moves to line 30" \
	wait_for 3 line_has 30 "q quit"
w=$(line 2 | sed 's/ *$//' | wc -m)
check "resize to 100x30: the frame is 100 columns wide ($((w - 1)))" \
	test "$w" -eq 101
tm resize-window -t dm -x 80 -y 24
check "back to 80x24: key bar on line 24" wait_for 3 line_has 24 "q quit"
w=$(line 2 | sed 's/ *$//' | wc -m)
check "back to 80x24: the frame is 80 columns wide ($((w - 1)))" \
	test "$w" -eq 81

# ---- filter ----------------------------------------------------------
tm send-keys -t dm /
check "/ opens the filter prompt on the key bar" \
	wait_for 3 line_has 24 "^Filter:"
tm send-keys -t dm -l 'xyz'
check "typed text shows in the prompt" wait_for 3 has "Filter: xyz"
check "the list title shows the filter" has "filter: xyz"
tm send-keys -t dm Escape
check "Esc clears the filter" wait_for 3 has "Devices (0)"
check "and closes the prompt" lacks "Filter:"

# ---- quit ------------------------------------------------------------
tm send-keys -t dm q
check "q quits back to the shell" wait_for 3 prompt
check "q: the dashboard screen is gone" lacks "droidmedic $version"
check "q: exit status 0" test "$(last_rc)" = 0
check "q: terminal sane (icanon, echo)" tty_sane

# ---- signals ---------------------------------------------------------
start_dash "$D"
pid=$(dash_pid)
kill -TERM "$pid" 2>/dev/null
check "SIGTERM: back to the shell" wait_for 3 prompt
check "SIGTERM: exit status 143" test "$(last_rc)" = 143
check "SIGTERM: terminal sane" tty_sane

start_dash "$D"
pid=$(dash_pid)
kill -HUP "$pid" 2>/dev/null
check "SIGHUP: back to the shell" wait_for 3 prompt
check "SIGHUP: quiet exit, status 0" test "$(last_rc)" = 0
check "SIGHUP: terminal sane" tty_sane
check "SIGHUP: the server keeps running" server_up

start_dash "$D"
pid=$(dash_pid)
kill -SEGV "$pid" 2>/dev/null
check "crash (SIGSEGV): back to the shell" wait_for 3 prompt
check "crash: says the terminal was restored and where the log is" \
	has "the terminal was restored"
check "crash: exit status 139 (the signal is not hidden)" \
	test "$(last_rc)" = 139
check "crash: terminal sane" tty_sane

start_dash "$D"
pid=$(dash_pid)
kill -ABRT "$pid" 2>/dev/null
check "crash (SIGABRT): back to the shell" wait_for 3 prompt
check "SIGABRT: terminal sane" tty_sane

# The terminal hangs up without a SIGHUP (stdin reads fail with EIO): a
# pty that is not the dashboard's controlling terminal, master closed.
eof_exit() {
	python3 - "$D" <<'PY'
import os, pty, select, subprocess, sys, time
m, s = pty.openpty()
p = subprocess.Popen([sys.argv[1], "--no-autostart"], stdin=s, stdout=s,
                     stderr=s, env=dict(os.environ, TERM="screen"),
                     start_new_session=True)
os.close(s)
out, t = b"", time.time()
while b"droidmedic" not in out and time.time() - t < 5:
    if select.select([m], [], [], 0.1)[0]:
        out += os.read(m, 65536)
os.close(m)
try:
    sys.exit(p.wait(timeout=2))
except subprocess.TimeoutExpired:
    p.kill()
    sys.exit(99)
PY
}
eof_exit
check "stdin gone (EIO, no SIGHUP): quits by itself with status 0" test $? -eq 0

# ---- ASCII and NO_COLOR ----------------------------------------------
check "LC_ALL=C: dashboard starts" start_dash "LC_ALL=C $D"
check "LC_ALL=C: ASCII borders" grep -q "^+- Devices (0) ---" <<<"$(line 2)"
check "LC_ALL=C: nothing but ASCII on screen" ascii_only
tm send-keys -t dm q
wait_for 3 prompt
check "--ascii: dashboard starts" start_dash "$D --ascii"
check "--ascii: ASCII borders in a UTF-8 locale" grep -q "^+- Devices" <<<"$(line 2)"
check "--ascii: no line-drawing characters" lacks "─"
tm send-keys -t dm q
wait_for 3 prompt
check "NO_COLOR=1: dashboard starts" start_dash "NO_COLOR=1 $D"
check "NO_COLOR=1: no colour on screen" no_colour
tm send-keys -t dm q
wait_for 3 prompt
check "--no-color: dashboard starts" start_dash "$D --no-color"
check "--no-color: no colour on screen" no_colour
tm send-keys -t dm q
wait_for 3 prompt

# ---- the server goes away and comes back -----------------------------
# --no-autostart: the dashboard must not start a server of its own here.
start_dash "$D --no-autostart"
"$D" --no-autostart server stop >/dev/null 2>&1
check "server gone: key bar says reconnecting" \
	wait_for 3 has "server disconnected — reconnecting"
"$D" server start --foreground --no-usb --idle-exit 0 >"$T/server2.log" 2>&1 &
spid=$!
echo "$spid" >"$T/server2.pid"
check "server back: the dashboard re-attaches within 3 s" \
	wait_for 3 has "server pid $spid"
check "server back: the alert is gone from the key bar" \
	wait_for 2 alert_gone

# ---- phones on a fake USB bench --------------------------------------
# These fail (never skip) while tests/usb/fakebed.py is missing.
"$D" --no-autostart server stop >/dev/null 2>&1
wait_for 3 has "reconnecting"
have_bench=0
if [ -f "$fakebed" ] && command -v umockdev-wrapper >/dev/null; then
	mkfifo "$T/ctl"
	umockdev-wrapper /usr/bin/python3 "$fakebed" \
		--dev 1-2:adb:SERIAL1 --dev 1-3:fastboot:SERIAL2 \
		--control "$T/ctl" -- \
		"$D" server start --foreground --idle-exit 0 \
		>"$T/bench.log" 2>&1 &
	echo $! >"$T/bench.pid"
	wait_for 10 has "2 phones" && have_bench=1
fi
check "fake USB bench: tests/usb/fakebed.py is there and runs" \
	test "$have_bench" = 1
check "both phones listed with their modes (adb SERIAL1)" \
	wait_for 3 hasre "^│.adb +SERIAL1 "
check "both phones listed with their modes (fastboot SERIAL2)" \
	hasre "^│.fastboot +SERIAL2 "
tm send-keys -t dm -l /SERIAL1
tm send-keys -t dm Enter
check "filter SERIAL1 narrows the list to one phone" \
	wait_for 3 one_phone_left
tm send-keys -t dm Enter
check "Enter: details of the selected phone show its serial" \
	wait_for 3 hasre "│ Serial: +SERIAL1 "
check "details show the port" hasre "│ Port: +usb:1-2 "
tm send-keys -t dm Down
check "Enter focused the details: Down scrolls them" \
	wait_for 3 details_scrolled
tm send-keys -t dm Escape Escape
check "Esc clears the filter: both phones again" wait_for 3 has "Devices (2)"
[ -p "$T/ctl" ] && echo "unplug 1-3" >"$T/ctl"
check "unplugged phone turns offline on screen within 1 s" \
	wait_for 1 hasre "^│.offline +SERIAL2 +— rebooting/unplugged"
check "the title counts it as offline" has "2 phones (1 offline)"
[ -p "$T/ctl" ] && echo "quit" >"$T/ctl"

tm send-keys -t dm q
wait_for 3 prompt
done_testing
