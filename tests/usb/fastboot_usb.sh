#!/bin/bash
# fastboot_usb.sh - droidmedic's fastboot client over libusb, against
# droidmedic-sim's bootloader: a umockdev bus (tests/usb/fakebed.py)
# holds a fastboot interface (ff/42/03) whose bulk endpoints are bridged
# to a simulated Pixel 7 Pro, so the USB path runs on the same device
# logic as TCP.  Checks: getvar one and all, a sparse image larger than
# max-download-size flashed byte for byte, the phone's refusal in its words,
# and the bench server finding the phone in fastboot over USB and
# identifying it from its variables.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
D=$DROIDMEDIC
PY=/usr/bin/python3		# Debian's: it has gi (pyenv's has not)
FAKEBED=$top_srcdir/tests/usb/fakebed.py
SIM=$top_builddir/droidmedic-sim
PROFILES=$top_srcdir/sim/profiles/fastboot
FIX=${DROIDMEDIC_FIXTURES:-$top_srcdir/../shared/fixtures/real}

command -v umockdev-wrapper >/dev/null ||
	bail "umockdev-wrapper missing: apt-get install umockdev"
$PY -c 'import gi; gi.require_version("UMockdev", "1.0")' 2>/dev/null ||
	bail "no UMockdev for $PY: apt-get install gir1.2-umockdev-1.0 python3-gi"
for t in img2simg simg2img; do
	command -v $t >/dev/null ||
		bail "$t is needed: apt-get install android-sdk-libsparse-utils"
done
[ -x "$SIM" ] || bail "no $SIM (build first)"
[ -d "$FIX/fastboot_getvar" ] ||
	bail "real captures not found in $FIX: set DROIDMEDIC_FIXTURES"
DROIDMEDIC_FIXTURES=$(cd "$FIX" && pwd)
export DROIDMEDIC_FIXTURES DROIDMEDIC_IDLE_EXIT=0
case ${ASAN_OPTIONS:-} in
*verify_asan_link_order=0*) ;;
*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 ;;
esac
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

# The Pixel with a 4 MiB download limit and a serial of our own.
python3 - "$PROFILES/google_pixel7pro_cheetah.json" "$T/pixel.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["serial"] = "USBFB0000001"
p["fastboot"]["vars"] = {"max-download-size": "0x400000"}
json.dump(p, open(sys.argv[2], "w"))
PY
"$SIM" --strict --state "$T/sim" --ports-file "$T/ports" "$T/pixel.json" \
	>"$T/sim.out" 2>"$T/sim.err" &
SIMPID=$!
wait_for 20 test -s "$T/ports" ||
	bail "sim did not start: $(head -c 500 "$T/sim.err")"
P1=$(awk '$1 == "USBFB0000001" { print $2 }' "$T/ports")
parts=$T/sim/USBFB0000001/partitions

python3 - "$T/vendor.raw" <<'PY'
import random, sys
r = random.Random(9); M = 1 << 20
with open(sys.argv[1], "wb") as f:
    f.write(r.randbytes(3 * M)); f.write(bytes(6 * M)); f.write(r.randbytes(M + 512))
PY
img2simg "$T/vendor.raw" "$T/vendor.simg"
simg2img "$T/vendor.simg" "$T/vendor.want"

# A hang is a failure, never a stuck suite.
bench() { timeout -k 5 120 umockdev-wrapper "$PY" "$FAKEBED" "$@"; }

cat >"$T/cli.sh" <<EOF
cd "$T"
"$D" --no-autostart getvar -s usb:1-4 product >gv.out 2>&1; echo \$? >gv.rc
"$D" --no-autostart getvar -s usb:1-4 all --json >all.json 2>all.err
"$D" --no-autostart fastboot-flash -s usb:1-4 vendor_boot vendor.simg \
	--confirm 0001 >fl.out 2>&1; echo \$? >fl.rc
"$D" --no-autostart fastboot-flash -s usb:1-4 nosuchpart vendor.raw \
	--confirm 0001 >bad.out 2>&1; echo \$? >bad.rc
"$D" server start >/dev/null 2>&1 || exit 1
for i in \$(seq 100); do
	"$D" devices --json >devs.json 2>/dev/null
	grep -q 'cheetah' devs.json && break
	sleep 0.2
done
"$D" info -s usb:1-4 --json >info.json
"$D" server stop --force >/dev/null
EOF
bench --dev 1-4:fastboot-sim:USBFB0000001 --sim "1-4=$P1" -- \
	bash "$T/cli.sh" >"$T/bench.out" 2>&1
check "the bench with a bridged bootloader ran" test $? -eq 0
check "getvar over USB" test "$(cat "$T/gv.rc")" = 0 -a \
	"$(cat "$T/gv.out")" = "product: cheetah"
check "getvar all over USB: the capture's 300+ variables" \
	json "assert len(d['vars']) >= 300 and d['typed']['serialno'] == 'USBFB0000001'" \
	<"$T/all.json"
check "flash over USB: exit 0" test "$(cat "$T/fl.rc")" = 0
check "it went in several pieces" grep -q "sending *[2-9] pieces" "$T/fl.out"
check "vendor_boot_a equals simg2img's expansion" \
	cmp -s "$T/vendor.want" "$parts/vendor_boot_a.img"
check "an unknown partition over USB: exit 1" test "$(cat "$T/bad.rc")" = 1
check "in the phone's words" grep -q "the phone said: Partition not found" "$T/bad.out"
check "the server lists the USB phone in fastboot, identified" \
	json "r = [x for x in d['devices'] if x['port'] == 'usb:1-4']; \
assert r and r[0]['mode'] == 'fastboot' and 'cheetah' in r[0]['summary'] and \
'bootloader unlocked' in r[0]['summary'], r" <"$T/devs.json"
check "info: the fastboot identity read over USB" \
	json "f = d['identity']['fastboot']; assert f['product'] == 'cheetah' and \
f['current_slot'] == 'a' and f['max_download_size'] == 4194304" <"$T/info.json"
kill "$SIMPID"
wait "$SIMPID" 2>/dev/null
check "no sanitizer report or error line" \
	bash -c "! grep -E 'Sanitizer|runtime error' '$T/sim.err' '$T/bench.out'"
[ "$tap_fail" -eq 0 ] || diag "$(tail -n 20 "$T/bench.out")"
done_testing
