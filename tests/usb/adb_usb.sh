#!/bin/bash
# adb_usb.sh - droidmedic's libusb transport against droidmedic-sim's
# device logic: a umockdev bus (tests/usb/fakebed.py) holds a Pixel-like
# adb interface whose bulk endpoints are bridged to a simulated phone, so
# the USB path is tested on the same phones as TCP.  Checks: handshake,
# shell v2 (exit code, stdout, stderr), pull and push byte for byte
# (sizes on and off the 512-byte packet boundary, so zero-length packets
# matter), the Allow prompt waited out over USB, and the bench server
# finding, identifying and serving the USB phone.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
D=$DROIDMEDIC
PY=/usr/bin/python3		# Debian's: it has gi (pyenv's has not)
FAKEBED=$top_srcdir/tests/usb/fakebed.py
SIM=$top_builddir/droidmedic-sim
PROFILES=$top_srcdir/sim/profiles
FIX=${DROIDMEDIC_FIXTURES:-$top_srcdir/../shared/fixtures/real}

command -v umockdev-wrapper >/dev/null ||
	bail "umockdev-wrapper missing: apt-get install umockdev"
$PY -c 'import gi; gi.require_version("UMockdev", "1.0")' 2>/dev/null ||
	bail "no UMockdev for $PY: apt-get install gir1.2-umockdev-1.0 python3-gi"
[ -x "$SIM" ] || bail "no $SIM (build first)"
[ -d "$FIX/getprop" ] ||
	bail "real captures not found in $FIX: set DROIDMEDIC_FIXTURES"
DROIDMEDIC_FIXTURES=$(cd "$FIX" && pwd)
export DROIDMEDIC_FIXTURES DROIDMEDIC_IDLE_EXIT=0
case ${ASAN_OPTIONS:-} in
*verify_asan_link_order=0*) ;;
*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 ;;
esac
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

# A phone with files on and off the packet boundary (512 * 2048 exactly,
# one byte more, one less), and the real Xiaomi 14, which asks first.
cat >"$T/usb.json" <<'EOF'
{ "serial": "USBSIM000001", "source": "hand-written (test)", "auth": "none",
  "features": ["shell_v2", "cmd", "stat_v2", "ls_v2", "fixed_push_mkdir"],
  "props": { "ro.product.name": "usbsim", "ro.product.model": "USB Sim",
             "ro.product.device": "usbsim", "ro.product.brand": "Droidmedic",
             "ro.build.version.release": "14", "ro.build.version.sdk": "34" },
  "storage": [
    { "path": "/sdcard/edge/exact.bin", "size": 1048576, "seed": 1 },
    { "path": "/sdcard/edge/plus1.bin", "size": 1048577, "seed": 2 },
    { "path": "/sdcard/edge/minus1.bin", "size": 1048575, "seed": 3 },
    { "path": "/sdcard/edge/tiny.txt", "size": 5, "seed": 4 } ] }
EOF
"$SIM" --strict --state "$T/sim" --ports-file "$T/ports" "$T/usb.json" \
	"$PROFILES/xiaomi_14_houji.json" >"$T/sim.out" 2>"$T/sim.err" &
echo $! >"$T/sim.pid"
wait_for 20 test -s "$T/ports" ||
	bail "sim did not start: $(head -c 500 "$T/sim.err")"
P1=$(awk '$1 == "USBSIM000001" { print $2 }' "$T/ports")
P2=$(awk '$1 == "a7c3e91d" { print $2 }' "$T/ports")
ST=$T/sim/USBSIM000001/storage

# A hang is a failure, never a stuck suite.
bench() { timeout -k 5 120 umockdev-wrapper "$PY" "$FAKEBED" "$@"; }

# ---- the CLI over libusb, straight to the port --------------------------
cat >"$T/cli.sh" <<EOF
cd "$T"
# houji first: pull and push start the bench server (their jobs run
# there), which identifies every phone on the bed and so would answer
# houji's Allow prompt before the shell below could see it.
"$D" shell -s usb:1-3 -- getprop ro.product.model >houji.out 2>houji.err
echo \$? >houji.rc
"$D" shell -s usb:1-2 -- 'echo out; echo err >&2; exit 4' >sh.out 2>sh.err
echo \$? >sh.rc
"$D" pull -s usb:1-2 /sdcard/edge pulled >pull.out 2>&1
echo \$? >pull.rc
head -c 1048576 /dev/urandom >up.bin
"$D" push -s usb:1-2 up.bin /sdcard/Download/up.bin >push.out 2>&1
echo \$? >push.rc
EOF
bench --dev 1-2:adb-sim:USBSIM000001 --sim "1-2=$P1" \
	--dev 1-3:adb-sim:a7c3e91d --sim "1-3=$P2" -- bash "$T/cli.sh" \
	>"$T/bench1.out" 2>&1
check "the bench with two bridged phones ran" test $? -eq 0
check "shell over USB: the exit code (4)" test "$(cat "$T/sh.rc")" = 4
check "shell over USB: stdout" test "$(cat "$T/sh.out")" = out
check "shell over USB: stderr apart (shell v2)" grep -qx err "$T/sh.err"
check "pull of a folder over USB" test "$(cat "$T/pull.rc")" = 0
for f in exact.bin plus1.bin minus1.bin tiny.txt; do
	check "pull $f: byte for byte what the phone has" \
		cmp -s "$T/pulled/$f" "$ST/edge/$f"
done
check "push over USB" test "$(cat "$T/push.rc")" = 0
check "push: the phone has the same bytes" \
	cmp -s "$T/up.bin" "$ST/Download/up.bin"
check "houji over USB: waits for Allow, then answers (real capture)" \
	test "$(cat "$T/houji.rc")" = 0 -a "$(cat "$T/houji.out")" = 23127PN0CC
check "houji over USB: the user was told to confirm the prompt" \
	grep -q "confirm the prompt" "$T/houji.err"

# ---- the bench server on the fake bus --------------------------------------
cat >"$T/srv.sh" <<EOF
"$D" server start >/dev/null 2>&1 || exit 1
for i in \$(seq 100); do
	"$D" devices --json >"$T/devs.json" 2>/dev/null
	grep -q 'USB Sim' "$T/devs.json" && break
	sleep 0.2
done
"$D" info -s USBSIM000001 --json >"$T/info.json"
"$D" server stop --force >/dev/null
EOF
bench --dev 1-2:adb-sim:USBSIM000001 --sim "1-2=$P1" -- bash "$T/srv.sh" \
	>"$T/bench2.out" 2>&1
check "the server's bench ran" test $? -eq 0
check "the server lists the USB phone, identified over USB" \
	json "r = [x for x in d['devices'] if x['serial'] == 'USBSIM000001']; \
assert r and r[0]['transport'] == 'usb' and r[0]['adb_path'] == 'usb' and \
'USB Sim' in r[0]['summary'], r" <"$T/devs.json"
check "info: the identity read over USB" \
	json "assert d['identity']['model'] == 'USB Sim' and \
d['identity']['build']['android'] == '14'" <"$T/info.json"
check "no sanitizer report or error line from the simulator" \
	bash -c "! grep -E 'Sanitizer|runtime error' '$T/sim.err' \
	    '$T/bench1.out' '$T/bench2.out'"
[ "$tap_fail" -eq 0 ] || diag "$(tail -n 20 "$T/bench1.out" "$T/bench2.out")"
done_testing
