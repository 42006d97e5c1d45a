#!/bin/bash
# fastboot_conformance.sh - droidmedic-sim's fastboot side against Debian's
# real fastboot client over TCP: getvar from the real captures, flashing raw
# and sparse images larger than max-download-size (the client splits them;
# the partition must equal simg2img's expansion byte for byte), erase,
# set_active, the refusals a phone gives (unknown partition, locked),
# fastbootd and its logical partitions, and reboots that keep the serial
# across fastboot and adb.  Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/fbsim.sh"
need "apt-get install fastboot adb android-sdk-libsparse-utils" fastboot \
	adb img2simg simg2img

. "$top_srcdir/tests/lib/ports.sh"
base=$(free_base 6)
[ -n "$base" ] || bail "no free ports in 15000-15999"
export ANDROID_ADB_SERVER_PORT=$base ADB_LOCAL_TRANSPORT_MAX_PORT=5555
trap 'timeout 10 adb kill-server >/dev/null 2>&1; env_cleanup' EXIT

# The Pixel with a 4 MiB download limit (so small images need splitting),
# and a locked copy of it; the LG as shipped.
python3 - "$PROFILES/google_pixel7pro_cheetah.json" "$T" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["fastboot"]["vars"] = {"max-download-size": "0x400000"}
json.dump(p, open(sys.argv[2] + "/pixel.json", "w"))
p["serial"] = "LOCKEDPIXEL1"
p["fastboot"]["vars"]["unlocked"] = "no"
json.dump(p, open(sys.argv[2] + "/locked.json", "w"))
PY

"$SIM" -v --strict --state "$T/state" --ports-file "$T/ports" \
	--port-base $((base + 1)) "$T/pixel.json" "$T/locked.json" \
	"$PROFILES/lg_v60_thinq.json" >"$T/sim.out" 2>"$T/sim.err" &
echo $! >"$T/sim.pid"
wait_for 20 test -s "$T/ports" ||
	bail "droidmedic-sim did not start: $(head -c 600 "$T/sim.err")"
check "three phones up in fastboot" \
	test "$(grep -c '^sim: .* fastboot tcp:127.0.0.1:[0-9]* bootloader$' \
	    "$T/sim.out")" -eq 3
port() { awk -v s="$1" '$1 == s { print $2 }' "$T/ports"; }
PIX=tcp:127.0.0.1:$(port "$PIX_SN")
LCK=tcp:127.0.0.1:$(port LOCKEDPIXEL1)
LG=tcp:127.0.0.1:$(port "$LG_SN")
F() { timeout 60 fastboot "$@"; }
parts=$T/state/$PIX_SN/partitions

# ---- getvar -----------------------------------------------------------------
F -s "$PIX" getvar product >"$T/o" 2>&1
check "getvar product: cheetah" grep -q "^product: cheetah" "$T/o"
F -s "$PIX" getvar serialno >"$T/o" 2>&1
check "getvar serialno: the capture's" grep -q "^serialno: $PIX_SN" "$T/o"
F -s "$PIX" getvar max-download-size >"$T/o" 2>&1
check "getvar max-download-size: the profile's 0x400000" \
	grep -q "^max-download-size: 0x400000" "$T/o"
F -s "$PIX" getvar partition-size:boot_a >"$T/o" 2>&1
check "getvar partition-size:boot_a from the capture" \
	grep -q "^partition-size:boot_a: 0x4000000" "$T/o"
F -s "$PIX" getvar no-such-thing >"$T/o" 2>&1
check "an unknown variable fails with the loader's words" \
	grep -q "GetVar Variable Not found" "$T/o"
F -s "$PIX" getvar all >"$T/all" 2>&1
check "getvar all: exit 0" test $? -eq 0
want=$(grep -c '^(bootloader) [^:]*:' "$PIX_FIX")
got=$(grep -c '^(bootloader) [^:]*:' "$T/all")
check "getvar all: every variable of the capture ($want, got $got)" \
	test "$got" -eq "$want"
check "getvar all: the anti-rollback counter as captured" \
	grep -q "^(bootloader) ap-ar-ns:2" "$T/all"

# ---- flash ------------------------------------------------------------------
python3 - "$T" <<'PY'
import os, random, sys
r = random.Random(4)
M = 1 << 20
with open(sys.argv[1] + "/boot.raw", "wb") as f:	# 10 MiB, no repeats
    f.write(r.randbytes(10 * M))
with open(sys.argv[1] + "/vendor.raw", "wb") as f:	# 24 MiB, mixed
    f.write(r.randbytes(5 * M)); f.write(bytes(7 * M))
    f.write(b"\xab\xcd\xef\x01" * (3 * M)); f.write(r.randbytes(6 * M))
    f.write(bytes(2 * M) + b"x" * 4096 + bytes(M - 4096))
with open(sys.argv[1] + "/small.raw", "wb") as f:
    f.write(r.randbytes(300000))
PY
F -s "$PIX" flash boot "$T/boot.raw" >"$T/o" 2>&1
check "flash a 10 MiB raw image with a 4 MiB limit: exit 0" test $? -eq 0
check "the client split it (sparse pieces)" grep -q "Sending sparse 'boot_a' 1/" "$T/o"
check "boot_a holds the image byte for byte" cmp -s "$T/boot.raw" "$parts/boot_a.img"
img2simg "$T/vendor.raw" "$T/vendor.simg"
check "the 24 MiB sparse image is larger than the limit" \
	test "$(stat -c %s "$T/vendor.simg")" -gt 4194304
F -s "$PIX" flash vendor_boot "$T/vendor.simg" >"$T/o" 2>&1
check "flash a sparse image larger than the limit: exit 0" test $? -eq 0
simg2img "$T/vendor.simg" "$T/vendor.want"
check "vendor_boot_a equals simg2img's expansion" \
	cmp -s "$T/vendor.want" "$parts/vendor_boot_a.img"
F -s "$PIX" flash dtbo "$T/small.raw" >"$T/o" 2>&1
check "a small raw image goes in one piece, unchanged" \
	cmp -s "$T/small.raw" "$parts/dtbo_a.img"
F -s "$PIX" flash nosuchpart "$T/small.raw" >"$T/o" 2>&1
check "an unknown partition is refused (exit 1)" test $? -eq 1
check "with the phone's words" grep -q "Partition not found" "$T/o"
F -s "$PIX" flash --slot=b init_boot "$T/boot.raw" >"$T/o" 2>&1
check "an image larger than its partition is refused" \
	grep -q "too large for partition init_boot_b" "$T/o"
F -s "$LCK" flash boot "$T/small.raw" >"$T/o" 2>&1
check "a locked phone refuses to flash" \
	grep -q "Flashing is not allowed in Lock State" "$T/o"
check "and writes nothing" test ! -e "$T/state/LOCKEDPIXEL1/partitions/boot_a.img"

# ---- erase, slots -----------------------------------------------------------
F -s "$PIX" erase dtbo_a >"$T/o" 2>&1
check "erase: exit 0" test $? -eq 0
check "erase empties the partition" test ! -s "$parts/dtbo_a.img"
F -s "$PIX" set_active b >"$T/o" 2>&1
check "set_active b" test $? -eq 0
F -s "$PIX" getvar current-slot >"$T/o" 2>&1
check "current-slot is now b" grep -q "^current-slot: b" "$T/o"
F -s "$PIX" flash dtbo "$T/small.raw" >/dev/null 2>&1
check "and plain flashes go to slot b" cmp -s "$T/small.raw" "$parts/dtbo_b.img"
F -s "$PIX" flashing get_unlock_ability >"$T/o" 2>&1
check "flashing get_unlock_ability answers" grep -q "get_unlock_ability: 1" "$T/o"

# ---- fastbootd and logical partitions -----------------------------------------
F -s "$LG" getvar is-userspace >"$T/o" 2>&1
check "LG bootloader: is-userspace no" grep -q "^is-userspace: no" "$T/o"
F -s "$LG" reboot fastboot >"$T/o" 2>&1
check "reboot fastboot: exit 0" test $? -eq 0
wait_for 20 grep -q "^sim: $LG_SN fastboot tcp:.* fastbootd$" "$T/sim.out"
check "the LG comes back in fastbootd on the same port" test $? -eq 0
F -s "$LG" getvar is-userspace >"$T/o" 2>&1
check "fastbootd: is-userspace yes" grep -q "^is-userspace: yes" "$T/o"
F -s "$LG" getvar serialno >"$T/o" 2>&1
check "fastbootd answers with the same serial" grep -q "^serialno: $LG_SN" "$T/o"
F -s "$LG" create-logical-partition dmtest 1048576 >"$T/o" 2>&1
check "create-logical-partition in fastbootd" test $? -eq 0
F -s "$LG" getvar partition-size:dmtest >"$T/o" 2>&1
check "the new partition has its size" grep -q "^partition-size:dmtest: 0x100000" "$T/o"
F -s "$LG" flash dmtest "$T/small.raw" >"$T/o" 2>&1
check "and takes an image" cmp -s "$T/small.raw" "$T/state/$LG_SN/partitions/dmtest.img"
F -s "$LG" delete-logical-partition dmtest >/dev/null 2>&1
F -s "$LG" getvar partition-size:dmtest >"$T/o" 2>&1
check "delete-logical-partition removes it" grep -q "Variable Not found" "$T/o"

# ---- reboots keep the phone ---------------------------------------------------
F -s "$PIX" reboot >"$T/o" 2>&1
check "fastboot reboot: exit 0" test $? -eq 0
wait_for 20 grep -q "^sim: $PIX_SN adb tcp:.* device$" "$T/sim.out"
check "the Pixel comes back as an adb device on the same port" test $? -eq 0
A() { timeout 30 adb "$@"; }
ADBADDR=127.0.0.1:$(port "$PIX_SN")
A start-server >/dev/null 2>&1
A connect "$ADBADDR" >/dev/null 2>&1
A -s "$ADBADDR" wait-for-device
check "adb sees the same serial (ro.serialno)" \
	test "$(A -s "$ADBADDR" shell getprop ro.serialno)" = "$PIX_SN"
A -s "$ADBADDR" reboot bootloader
bootlines() { test "$(grep -c "^sim: $PIX_SN fastboot tcp:.* bootloader$" "$T/sim.out")" -eq 2; }
wait_for 20 bootlines
check "adb reboot bootloader brings it back in fastboot" test $? -eq 0
F -s "$PIX" getvar current-slot >"$T/o" 2>&1
check "and it kept its slot (b) across reboots" grep -q "^current-slot: b" "$T/o"

kill "$(cat "$T/sim.pid")"
wait "$(cat "$T/sim.pid")" 2>/dev/null
check "the simulator reported no errors" \
	test -z "$(grep -v -e '^droidmedic-sim: .*info' "$T/sim.err" | grep -i -e error -e asan)"
done_testing
