#!/bin/bash
# adb.sh - droidmedic's own ADB stack against droidmedic-sim over TCP:
# connect through the bench server (identity from the real captures,
# reconnect across a reboot, the Allow prompt), and the headless shell,
# pull and push (exit codes, byte-exact trees, mtimes), and hostile
# phones (oversized header, bad magic, stall, a link cut mid-pull).  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
D=$DROIDMEDIC
SIM=${DROIDMEDIC_SIM:-$top_builddir/droidmedic-sim}
PROFILES=$top_srcdir/sim/profiles
FIX=${DROIDMEDIC_FIXTURES:-$top_srcdir/../shared/fixtures/real}
[ -x "$SIM" ] || bail "$SIM not built"
[ -d "$FIX/getprop" ] ||
	bail "real captures not found in $FIX: set DROIDMEDIC_FIXTURES"
DROIDMEDIC_FIXTURES=$(cd "$FIX" && pwd)
export DROIDMEDIC_FIXTURES DROIDMEDIC_IDLE_EXIT=0
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

. "$top_srcdir/tests/lib/ports.sh"
base=$(free_base 12)
[ -n "$base" ] || bail "no free ports in 15000-15999"

mk() {	# mk SERIAL EXTRA-JSON: a small hand-written phone
	cat >"$T/$1.json" <<EOF2
{ "serial": "$1", "source": "hand-written (test)", $2
  "props": { "ro.product.name": "t", "ro.product.model": "T-$1",
             "ro.product.device": "t" },
  "storage": [ { "path": "/sdcard/big.bin", "size": 3145728, "seed": 5 } ] }
EOF2
}
mk OVERSIZE0001 ''
mk BADMAGIC0001 ''
mk STALL0000001 ''
mk CUTPULL00001 ''
mk DELAYACK0001 '"features": ["shell_v2", "stat_v2", "ls_v2", "fixed_push_mkdir", "delayed_ack"],'

"$SIM" --strict --state "$T/sim" --ports-file "$T/ports" --port-base "$base" \
	--fault OVERSIZE0001=oversize@cnxn --fault BADMAGIC0001=bad_magic@wrte \
	--fault STALL0000001=stall@open --fault CUTPULL00001=close@recv+1048576 \
	"$PROFILES/xiaomi_12x_psyche.json" \
	"$PROFILES/samsung_galaxy_s25plus_pa2q.json" \
	"$PROFILES/xiaomi_14_houji.json" \
	"$PROFILES/legacy_4k_checksum.json" \
	"$T/OVERSIZE0001.json" "$T/BADMAGIC0001.json" "$T/STALL0000001.json" \
	"$T/CUTPULL00001.json" "$T/DELAYACK0001.json" \
	>"$T/sim.out" 2>"$T/sim.err" &
echo $! >"$T/sim.pid"
wait_for 20 test -s "$T/ports" || bail "sim did not start: $(head -c 500 "$T/sim.err")"
port() { awk -v s="$1" '$1 == s { print $2 }' "$T/ports"; }
# The ports file lists the phones in command-line order.
nth() { sed -n "$1p" "$T/ports" | awk '{ print $2 }'; }
P12X=$(nth 1)
S25=$(nth 2)
HOUJI=$(nth 3)
LEGACY=$(nth 4)
[ -n "$P12X" ] && [ -n "$S25" ] && [ -n "$HOUJI" ] && [ -n "$LEGACY" ] ||
	bail "ports file: $(cat "$T/ports")"

# ---- through the bench server -------------------------------------------
"$D" connect "127.0.0.1:$P12X" >"$T/c1.out" 2>"$T/c1.err"
check "connect to the simulated Xiaomi 12X" test $? -eq 0
check "connect names it" grep -q "connected to 127.0.0.1:$P12X: adb, Xiaomi 12X" "$T/c1.out"
"$D" info -s "127.0.0.1:$P12X" --json >"$T/i1.json"
check "info: model from the real getprop capture" \
	json "assert d['identity']['model'] == '2112123AG', d['identity']['model']" <"$T/i1.json"
check "info: codename and Android version" \
	json "assert d['identity']['codename'] == 'psyche' and d['identity']['build']['android'] == '12'" <"$T/i1.json"
check "info: reached over tcp" json "assert d['adb_path'] == 'tcp' and d['transport'] == 'tcp'" <"$T/i1.json"
"$D" info -s "127.0.0.1:$P12X" >"$T/i1.txt"
check "info text shows the summary line" grep -q "Xiaomi 12X (psyche)" "$T/i1.txt"

"$D" connect "127.0.0.1:$S25" >"$T/c2.out" 2>&1
"$D" info -s "127.0.0.1:$S25" --json >"$T/i2.json"
check "the UTF-16LE Samsung capture identifies (SM-S936B, EUX)" \
	json "i=d['identity']; assert i['model'] == 'SM-S936B' and i['region']['firmware'] == 'EUX', i" <"$T/i2.json"

# The Allow prompt: houji asks; droidmedic waits and carries on by itself.
"$D" connect "127.0.0.1:$HOUJI" >"$T/c3.out" 2>"$T/c3.err"
check "a phone that asks first is connected once it allows" test $? -eq 0
check "and the user was told to confirm the prompt" grep -q "confirm the prompt" "$T/c3.err"
"$D" info -s "127.0.0.1:$HOUJI" --json >"$T/i3.json"
check "houji identified from its build.prop files" \
	json "assert d['identity']['codename'] == 'houji' and d['mode'] == 'adb'" <"$T/i3.json"
check "the phone stored our key" sh -c "grep -rqs '@' '$T/sim'"

"$D" connect "127.0.0.1:$LEGACY" >/dev/null 2>&1
check "an old phone (4 KiB payload, checksums) connects" test $? -eq 0

id12x=$(json "print(d['id'])" <"$T/i1.json")
"$D" shell -s "127.0.0.1:$P12X" reboot >/dev/null 2>&1
gone() { "$D" info -s "127.0.0.1:$P12X" --json | json "assert not d['present']" 2>/dev/null; }
back() { "$D" info -s "127.0.0.1:$P12X" --json | json "assert d['present'] and d['id'] == $id12x and d['summary']" 2>/dev/null; }
check "a rebooting network phone goes offline" wait_for 10 gone
check "and comes back in the same row, identified again" wait_for 20 back

"$D" connect "127.0.0.1:1" >/dev/null 2>"$T/c4.err"
check "connect to nothing fails (exit 1)" test $? -eq 1
check "with the reason" grep -q "cannot connect to 127.0.0.1:1" "$T/c4.err"
"$D" devices --json >"$T/d.json"
check "and leaves no row behind" json "assert not [x for x in d['devices'] if x['serial'] == '127.0.0.1:1']" <"$T/d.json"

"$D" disconnect "127.0.0.1:$S25" >/dev/null
"$D" devices --json >"$T/d.json"
check "disconnect removes the row" json "assert not [x for x in d['devices'] if x['serial'] == '127.0.0.1:$S25']" <"$T/d.json"

# ---- headless shell / pull / push, straight to the phone ------------------
S=127.0.0.1:$P12X
out=$("$D" shell -s "$S" getprop ro.product.model)
check "shell prints the command's output" test "$out" = "2112123AG"
"$D" shell -s "$S" 'exit 3'
check "shell exits with the phone command's status (3)" test $? -eq 3
"$D" shell -s "$S" nosuchcmd >"$T/o" 2>"$T/e"
check "unknown command: 127" test $? -eq 127
check "its stderr on our stderr, not stdout" sh -c "grep -q 'not found' '$T/e' && ! grep -q 'not found' '$T/o'"

mkdir -p "$T/up/sub dir" "$T/up/empty"
head -c 3000000 /dev/urandom >"$T/up/sub dir/photo 1.jpg"
printf 'hello\n' >"$T/up/notes.txt"
touch -d '2021-06-01 12:00:00' "$T/up/notes.txt"
"$D" push -s "$S" "$T/up" /sdcard/Up >"$T/push.out"
check "push a tree" test $? -eq 0
check "push reports 2 files" grep -q ": 2 files" "$T/push.out"
"$D" pull -s "$S" /sdcard/Up "$T/down" >"$T/pull.out"
check "pull it back" test $? -eq 0
check "byte-exact round trip (names with spaces)" cmp "$T/up/sub dir/photo 1.jpg" "$T/down/sub dir/photo 1.jpg"
check "small file too" cmp "$T/up/notes.txt" "$T/down/notes.txt"
check "mtime kept both ways" test "$(stat -c %Y "$T/down/notes.txt")" = "$(stat -c %Y "$T/up/notes.txt")"
# Both were jobs of the bench server, listed with what they did.
"$D" jobs --json >"$T/jobs.json"
check "jobs lists the push and the pull as done" json "
k = [(x['kind'], x['state']) for x in d]
assert ('push', 'done') in k and ('pull', 'done') in k, k" <"$T/jobs.json"
pj=$(json "print([x['id'] for x in d if x['kind'] == 'pull'][-1])" <"$T/jobs.json")
"$D" jobs attach "$pj" --json >"$T/pj.json"
check "jobs attach: the pull's result (2 files, the bytes, the folders)" json "
assert d['ok'] and d['job'] == $pj and d['direction'] == 'pull', d
assert d['files'] == 2 and d['bytes'] == 3000006, d
assert d['remote'] == '/sdcard/Up' and d['local'] == '$T/down', d" <"$T/pj.json"
(cd "$T" && "$D" pull -s "$S" /sdcard/Up/notes.txt rel.txt >/dev/null 2>&1)
check "a relative local path is the command's, not the server's" cmp "$T/rel.txt" "$T/up/notes.txt"
mkdir -m 700 "$T/run2"	# where no server listens
XDG_RUNTIME_DIR=$T/run2 "$D" --no-autostart pull -s "$S" \
	/sdcard/Up/notes.txt "$T/nosrv.txt" >/dev/null 2>"$T/e"
check "no server and --no-autostart: the pull runs in the command" cmp "$T/nosrv.txt" "$T/up/notes.txt"
check "  ... and says so" grep -q "no bench server running: the job runs in this process" "$T/e"
"$D" pull -s "$S" /sdcard/DCIM "$T/dcim" >/dev/null
check "pull a folder from the profile's storage" test -s "$T/dcim/Camera/IMG_20220701_120501.jpg"
check "2.5 MiB as the profile says" test "$(stat -c %s "$T/dcim/Camera/IMG_20220701_120501.jpg")" = 2621440
"$D" pull -s "$S" /sdcard/nope "$T/nope" 2>"$T/e"
check "pulling what is not there: exit 1" test $? -eq 1
check "with a clear message" grep -q "no such file or directory on the phone" "$T/e"
"$D" pull -s "127.0.0.1:$LEGACY" /sdcard "$T/legacy" >/dev/null 2>&1
check "pull from the old-protocol phone" test $? -eq 0

# Delayed ack (many packets in flight): the same round trip.
p=$(port DELAYACK0001)
"$D" push -s "127.0.0.1:$p" "$T/up" /sdcard/Up >/dev/null &&
	"$D" pull -s "127.0.0.1:$p" /sdcard/Up "$T/down2" >/dev/null
check "delayed-ack phone: push and pull a tree" test $? -eq 0
check "delayed-ack phone: byte-exact" cmp "$T/up/sub dir/photo 1.jpg" "$T/down2/sub dir/photo 1.jpg"
"$D" pull -s "127.0.0.1:$p" /sdcard/big.bin "$T/big2.bin" >/dev/null
check "delayed-ack phone: 3 MiB file, right size" test "$(stat -c %s "$T/big2.bin" 2>/dev/null)" = 3145728
check "delayed-ack phone: same bytes as the phone's storage" \
	sh -c "cmp '$T/big2.bin' \"\$(find '$T/sim' -path '*DELAYACK0001*' -name big.bin | head -1)\""
# Into a FIFO (as into /dev/null): written to, never removed or chmod'ed.
mkfifo -m 0600 "$T/fifo"
cat "$T/fifo" >"$T/fifo.out" &
catpid=$!
"$D" pull -s "127.0.0.1:$p" /sdcard/big.bin "$T/fifo" >/dev/null
wait "$catpid"
check "pull into a FIFO: every byte arrives" cmp "$T/fifo.out" "$T/big2.bin"
check "the FIFO is still a FIFO, mode 0600" test "$(stat -c %F:%a "$T/fifo")" = "fifo:600"
"$D" pull -s "127.0.0.1:$p" /sdcard/nope "$T/fifo" 2>/dev/null
check "a failed pull into it leaves it too" test -p "$T/fifo"

# ---- hostile phones: a clear error, never a crash or a hang ---------------
hostile() {	# hostile SERIAL EXPECTED-TEXT
	local p
	p=$(port "$1")
	timeout 60 "$D" shell -s "127.0.0.1:$p" echo hi >/dev/null 2>"$T/h.err"
	local rc=$?
	check "$1: fails with exit 1, not a crash or hang (rc $rc)" test "$rc" -eq 1
	check "$1: says '$2'" grep -q "$2" "$T/h.err"
	[ -s "$T/h.err" ] && diag "$(head -2 "$T/h.err")"
}
hostile OVERSIZE0001 "exceeds"
hostile BADMAGIC0001 "magic"
hostile STALL0000001 "no answer"
p=$(port CUTPULL00001)
timeout 60 "$D" pull -s "127.0.0.1:$p" /sdcard/big.bin "$T/cut.bin" 2>"$T/h.err"
check "a link cut mid-pull: exit 1" test $? -eq 1
check "and no truncated file left" test ! -e "$T/cut.bin"
done_testing
