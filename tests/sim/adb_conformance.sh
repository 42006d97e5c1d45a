#!/bin/bash
# adb_conformance.sh - droidmedic-sim against Debian's real adb client
# (29.0.6, protocol 1.0.41): connect, banner, getprop from the real
# captures (the S25+ one is UTF-16), shell v2 exit codes and stderr, the
# old shell v1, pull/push of files and trees, the Allow prompt and stored
# keys, a phone that never allows, the checksummed 4 KiB protocol, a phone
# that drops a pull, reboots into recovery and sideload.  A private adb
# server on a 15xxx port, a private HOME, loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
SIM=$top_builddir/droidmedic-sim
# SIM_WRAPPER="valgrind --error-exitcode=99 --leak-check=full" runs the
# simulator under a checker.
SIM_WRAPPER=${SIM_WRAPPER:-}
PROFILES=$top_srcdir/sim/profiles
FIX=${DROIDMEDIC_FIXTURES:-$top_srcdir/../shared/fixtures/real}

[ -x "$SIM" ] || bail "no $SIM (build first)"
command -v adb >/dev/null || bail "Debian's adb is needed: apt-get install adb"
[ -d "$FIX/getprop" ] && [ -d "$FIX/build_prop" ] ||
	bail "real captures not found in $FIX: set DROIDMEDIC_FIXTURES" \
	    "to the shared/fixtures/real directory"
DROIDMEDIC_FIXTURES=$(cd "$FIX" && pwd)
export DROIDMEDIC_FIXTURES
F=$DROIDMEDIC_FIXTURES
cit_fix=$F/getprop/xiaomi_redmi_note14_5g_citrine_hyperos2_OS2.0.211.0.\
VOQMIXM_getprop.txt
psy_fix=$F/getprop/xiaomi_12x_psyche_miui13_V13.0.5.0.SLDCNXM_getprop.txt
s25_fix=$F/getprop/samsung_galaxy_s25plus_SM-S936B_pa2q_android16_EUX_\
getprop_utf16le.txt
pm_fix=$F/dumpsys_misc/xiaomi_redmi_note14_5g_citrine_hyperos2_pm_list_\
packages_-u.txt
fixprop() { sed -n "s/^\[$1\]: \[\(.*\)\]\$/\1/p"; }
iconv -f UTF-16 -t UTF-8 "$s25_fix" | tr -d '\r' >"$T/s25.want"
# The captured phones' serials come from the captures themselves.
CIT_SN=$(fixprop ro.serialno <"$cit_fix")
PSY_SN=$(fixprop ro.serialno <"$psy_fix")
S25_SN=$(fixprop ro.serialno <"$T/s25.want")
[ -n "$CIT_SN" ] && [ -n "$PSY_SN" ] && [ -n "$S25_SN" ] ||
	bail "no ro.serialno in the getprop captures under $F"

. "$top_srcdir/tests/lib/ports.sh"
base=$(free_base 9)
[ -n "$base" ] || bail "no free ports in 15000-15999"
export ANDROID_ADB_SERVER_PORT=$base ADB_LOCAL_TRANSPORT_MAX_PORT=5555
trap 'timeout 10 adb kill-server >/dev/null 2>&1; env_cleanup' EXIT
A() { timeout 30 adb "$@"; }

# Two phones made up for this test: one that never allows a computer,
# one that drops the connection 1 MiB into any pull.
cat >"$T/reject.json" <<'EOF'
{ "serial": "REJECT000001", "source": "hand-written (test)", "auth": "reject",
  "props": { "ro.product.name": "nope", "ro.product.model": "Nope",
             "ro.product.device": "nope" } }
EOF
cat >"$T/dropper.json" <<'EOF'
{ "serial": "DROPPER00001", "source": "hand-written (test)",
  "props": { "ro.product.name": "drop", "ro.product.model": "Drop",
             "ro.product.device": "drop" },
  "storage": [ { "path": "/sdcard/big.bin", "size": 8388608, "seed": 9 } ] }
EOF

$SIM_WRAPPER "$SIM" -v --strict --state "$T/state" --ports-file "$T/ports" \
	--port-base $((base + 1)) --fault DROPPER00001=close@recv+1048576 \
	"$PROFILES/xiaomi_redmi_note14_5g_citrine.json" \
	"$PROFILES/xiaomi_12x_psyche.json" \
	"$PROFILES/samsung_galaxy_s25plus_pa2q.json" \
	"$PROFILES/xiaomi_14_houji.json" \
	"$PROFILES/legacy_4k_checksum.json" \
	"$T/reject.json" "$T/dropper.json" >"$T/sim.out" 2>"$T/sim.err" &
simpid=$!
echo $simpid >"$T/sim.pid"
wait_for 20 test -s "$T/ports" ||
	bail "droidmedic-sim did not start: $(head -c 600 "$T/sim.err")"
check "droidmedic-sim: one ready line per phone" \
	test "$(grep -c '^sim: .* adb tcp:127.0.0.1:[0-9]* device$' \
	    "$T/sim.out")" -eq 7
port() { awk -v s="$1" '$1 == s { print $2 }' "$T/ports"; }
CIT=127.0.0.1:$(port "$CIT_SN")
PSY=127.0.0.1:$(port "$PSY_SN")
S25=127.0.0.1:$(port "$S25_SN")
HOU=127.0.0.1:$(port a7c3e91d)
LEG=127.0.0.1:$(port LEGACY4K0001)
REJ=127.0.0.1:$(port REJECT000001)
DRP=127.0.0.1:$(port DROPPER00001)
check "ports in 15000-15999" \
	test -z "$(awk '$2 < 15000 || $2 > 15999' "$T/ports")"
st=$T/state
state_of() { A devices | awk -v s="$1" '$1 == s { print $2 }'; }
# in_state SERIAL STATE: asks adb each time (wait_for repeats it; an
# argument "$(state_of ...)" would be asked once, before the wait).
in_state() { test "$(state_of "$1")" = "$2"; }

A start-server >/dev/null 2>&1 || bail "adb start-server failed"
for s in "$CIT" "$PSY" "$S25" "$LEG" "$DRP"; do
	A connect "$s" >"$T/connect.out" 2>&1
	check "adb connect $s" grep -q "connected to $s" "$T/connect.out"
done
for s in "$CIT" "$PSY" "$S25" "$LEG" "$DRP"; do
	check "adb -s $s wait-for-device" A -s "$s" wait-for-device
done

# Reboot early: adb reconnects on its own ~10 s later, checked below.
A -s "$PSY" reboot recovery
check "adb reboot recovery returns 0" test $? -eq 0

A devices -l >"$T/devices"
check "devices -l: citrine's banner (product, model, device)" \
	grep -q "^$CIT  *device product:citrine_global model:24094RAD4G \
device:citrine " "$T/devices"
check "devices -l: S25+ banner (model SM-S936B as adb shows it)" \
	grep -q "^$S25  *device product:pa2qxeea model:SM_S936B device:pa2q " \
	"$T/devices"
check "devices -l: the 4 KiB legacy phone" \
	grep -q "^$LEG  *device product:legacy_phone model:Legacy_Phone_4K \
device:legacy " "$T/devices"

# getprop against the captures themselves.
want=$(fixprop ro.product.model <"$cit_fix")
check "citrine: getprop ro.product.model = $want (capture)" \
	test "$(A -s "$CIT" shell getprop ro.product.model)" = "$want"
A -s "$CIT" shell getprop >"$T/cit.getprop"
tail -n +2 "$cit_fix" >"$T/cit.want"
check "citrine: getprop is the capture byte for byte (multi-line values too)" \
	cmp -s "$T/cit.getprop" "$T/cit.want"
want=$(fixprop ro.product.model <"$T/s25.want")
check "S25+: getprop ro.product.model = $want (UTF-16 capture)" \
	test "$(A -s "$S25" shell getprop ro.product.model)" = "$want"
check "S25+: getprop ro.csc.sales_code = EUX" \
	test "$(A -s "$S25" shell getprop ro.csc.sales_code)" = EUX
A -s "$S25" shell getprop >"$T/s25.getprop"
check "S25+: getprop is the decoded UTF-16 capture byte for byte" \
	cmp -s "$T/s25.getprop" "$T/s25.want"

# Shell: v2 exit codes, stderr apart, not found, stdin.
A -s "$CIT" shell 'exit 3'
check "shell v2: 'exit 3' exits 3" test $? -eq 3
A -s "$CIT" shell 'sh -c "exit 42"'
check "shell v2: sh -c 'exit 42' exits 42" test $? -eq 42
A -s "$CIT" shell 'echo out; echo err >&2' >"$T/o" 2>"$T/e"
check "shell v2: stdout alone on stdout" test "$(cat "$T/o")" = out
check "shell v2: stderr alone on stderr" test "$(cat "$T/e")" = err
A -s "$CIT" shell frobnicate --now >"$T/o" 2>"$T/e"
check "unknown command exits 127" test $? -eq 127
check "unknown command: 'frobnicate: not found' on stderr" \
	grep -q '^/system/bin/sh: frobnicate: not found$' "$T/e"
head -c 200000 /dev/urandom | base64 >"$T/stdin.txt"
A -s "$CIT" shell cat <"$T/stdin.txt" >"$T/stdin.back"
check "shell v2 stdin: 270 KB through cat and back" \
	cmp -s "$T/stdin.txt" "$T/stdin.back"
printf 'cd /sdcard/DCIM\nls\nexit 4\n' | A -s "$CIT" shell >"$T/o"
check "shell without a command reads its script from stdin (exit 4)" \
	test $? -eq 4
dcim=$(printf 'Camera\nScreenshots')
check "  ... and ran cd and ls there" test "$(cat "$T/o")" = "$dcim"
check "shell ls /sdcard/DCIM" \
	test "$(A -s "$CIT" shell ls /sdcard/DCIM)" = "$dcim"
A -s "$CIT" shell pm list packages -u >"$T/pm"
check "profile command: pm list packages -u is the capture" \
	cmp -s "$T/pm" <(tail -n +2 "$pm_fix")

# Sync: pull and push, files and trees.
cs=$st/$CIT_SN/storage
mkdir -p "$T/pull"
vid=DCIM/Camera/VID_20250301_090000.mp4
A -s "$CIT" pull "/sdcard/$vid" "$T/pull/" >/dev/null
check "pull 24 MiB file: identical" \
	cmp -s "$T/pull/VID_20250301_090000.mp4" "$cs/$vid"
A -s "$CIT" pull /sdcard/DCIM "$T/pull/DCIM" >/dev/null
check "pull a tree (/sdcard/DCIM): identical" diff -r "$T/pull/DCIM" "$cs/DCIM"
A -s "$CIT" pull -a /sdcard/Documents/notes.txt "$T/pull/" >/dev/null
check "pull -a keeps the phone's mtime" \
	test "$(stat -c %Y "$T/pull/notes.txt")" = 1740000000
A -s "$CIT" pull /sdcard/nope.jpg "$T/pull/" >"$T/e" 2>&1
check "pull of a missing file fails" test $? -ne 0
check "  ... saying 'No such file or directory'" \
	grep -q 'No such file or directory' "$T/e"
head -c 5000000 /dev/urandom >"$T/up.bin"
touch -d '2023-04-05 06:07:08' "$T/up.bin"
A -s "$CIT" push "$T/up.bin" /sdcard/Download/new/up.bin >/dev/null
check "push 5 MB into a new folder: identical" \
	cmp -s "$T/up.bin" "$cs/Download/new/up.bin"
check "push keeps the mtime adb sends" \
	test "$(stat -c %Y "$cs/Download/new/up.bin")" = \
	    "$(stat -c %Y "$T/up.bin")"
A -s "$CIT" push "$T/pull/DCIM" /sdcard/Backup >/dev/null
check "push a tree: identical" diff -r "$T/pull/DCIM" "$cs/Backup"
A -s "$CIT" push "$T/up.bin" /data/local/tmp/ >/dev/null
check "push to /data/local/tmp" \
	cmp -s "$T/up.bin" "$st/$CIT_SN/tmp/up.bin"
A -s "$CIT" shell cat /sdcard/../../etc/passwd >/dev/null 2>"$T/e"
check "'..' out of the storage is refused" grep -q 'Permission denied' "$T/e"

# The Allow prompt: unauthorized until the user taps (1.5 s), then device.
A connect "$HOU" >/dev/null 2>&1
sleep 0.3
check "auth=prompt: unauthorized while the prompt is up" \
	test "$(state_of "$HOU")" = unauthorized
wait_for 10 in_state "$HOU" device
check "auth=prompt: device once allowed" test "$(state_of "$HOU")" = device
check "  ... the host key is stored in the phone's adb_keys" \
	grep -qF "$(cut -d' ' -f1 "$HOME/.android/adbkey.pub")" \
	    "$st/a7c3e91d/adb_keys"
check "Xiaomi 14: model from the odm build.prop (23127PN0CC)" \
	test "$(A -s "$HOU" shell getprop ro.product.model)" = 23127PN0CC
check "Xiaomi 14: incremental from the system build.prop" \
	test "$(A -s "$HOU" shell getprop ro.build.version.incremental)" = \
	    V816.0.9.0.UNCCNXM
A disconnect "$HOU" >/dev/null 2>&1
A connect "$HOU" >/dev/null 2>&1
sleep 0.3
check "reconnect: device at once, no prompt" test "$(state_of "$HOU")" = device
check "  ... the stored key's signature was accepted" \
	grep -q 'a7c3e91d#2.*signature matches a stored key' "$T/sim.err"

# Never allowed.
A connect "$REJ" >/dev/null 2>&1
A -s "$S25" shell sleep 2
check "auth=reject: still unauthorized after 2 s" \
	test "$(state_of "$REJ")" = unauthorized
check "  ... and no key stored" test ! -s "$st/REJECT000001/adb_keys"

# The 2015 protocol: 0x01000000, 4 KiB, checksums, no shell_v2.
check "legacy: getprop over shell v1" \
	test "$(A -s "$LEG" shell getprop ro.product.model)" = "Legacy Phone 4K"
A -s "$LEG" shell 'exit 3'
check "legacy: shell v1 has no exit status (adb says 0)" test $? -eq 0
check "legacy: adb used shell: v1, not shell,v2" \
	grep -q 'LEGACY4K0001.*OPEN "shell:exit 3"' "$T/sim.err"
img=DCIM/Camera/IMG_20140601_101010.jpg
A -s "$LEG" pull "/sdcard/$img" "$T/pull/old.jpg" >/dev/null
check "legacy: pull 1.5 MiB in 4 KiB packets: identical" \
	cmp -s "$T/pull/old.jpg" "$st/LEGACY4K0001/storage/$img"
A -s "$LEG" push "$T/up.bin" /sdcard/Download/up.bin >/dev/null
check "legacy: push 5 MB in 4 KiB packets: identical" \
	cmp -s "$T/up.bin" "$st/LEGACY4K0001/storage/Download/up.bin"

# A phone that hangs up 1 MiB into a pull.
A -s "$DRP" pull /sdcard/big.bin "$T/pull/big.bin" >/dev/null 2>"$T/e"
rc=$?
check "close fault: adb pull fails (exit $rc)" test $rc -ne 0 -a $rc -ne 124

# The reboot from the start: back in recovery on the same port.
check "reboot: the phone said it went down" \
	grep -q "^sim: $PSY_SN down recovery\$" "$T/sim.out"
check "reboot: back up in recovery on the same port" \
	grep -q "^sim: $PSY_SN adb tcp:$PSY recovery\$" "$T/sim.out"
wait_for 25 in_state "$PSY" recovery
check "adb devices shows it in recovery" test "$(state_of "$PSY")" = recovery
check "recovery: shell is root" test "$(A -s "$PSY" shell id -u)" = 0

# Recovery to sideload, then adb sideload.
A -s "$PSY" reboot sideload
wait_for 25 in_state "$PSY" sideload
check "adb reboot sideload: adb devices shows sideload" \
	test "$(state_of "$PSY")" = sideload
head -c 3000000 /dev/urandom >"$T/ota.zip"
A -s "$PSY" sideload "$T/ota.zip" >/dev/null 2>&1
check "adb sideload exits 0" test $? -eq 0
check "  ... the phone got the package intact" \
	cmp -s "$T/ota.zip" "$st/$PSY_SN/sideload/package.zip"

kill -TERM "$simpid"
wait "$simpid"
check "SIGTERM: droidmedic-sim exits 0" test $? -eq 0
check "no sanitizer report or error line from the simulator" \
	bash -c "! grep -E 'Sanitizer|runtime error| ERR ' \
	    '$T/sim.err'"
[ "$tap_fail" -eq 0 ] || diag "$(tail -20 "$T/sim.err")"
done_testing
