#!/bin/bash
# factory_reset.sh - the factory-reset action against droidmedic-sim.  The
# LG V60 (its bootloader the real capture, unlocked; ro.boot.flash.locked
# 0) is reset via=auto: the bootloader route, with userdata and metadata
# erased after its serial is checked, and the phone booted; it then keeps
# adb off, as a reset phone's setup wizard does, and once its debugging is
# turned on again (SIGUSR1) its storage is empty.  Made up here: the same
# phone with its bootloader locked behind an unlocked-looking Android (the
# bootloader's "unlocked: no" stops it before any erase, and the phone is
# back in Android with its files), and one whose Android says it is locked
# (via=auto picks its recovery menu: nothing erased by droidmedic).  Also:
# no --confirm, no --without-backup, a bad via=, and the reset as a step of
# a plan (fix --step), which cannot be re-checked and says so.  Loopback
# only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/diagsim.sh"	# SIM, PROFILES, sim_start, port

variant() {	# variant FILE SERIAL FLASH-LOCKED FASTBOOT-VARS-JSON
	profile_variant "$PROFILES/diag/lg_v60_qmmi.json" "$1" "
p['serial'] = p['props']['ro.serialno'] = '$2'
p['props']['ro.boot.flash.locked'] = '$3'
p['fastboot']['vars'] = json.loads('$4')"
}
variant "$T/locked.json" RESETLOCK001 0 '{"unlocked": "no"}'
variant "$T/recov.json" RESETRECOV01 1 '{}'
variant "$T/plan.json" RESETPLAN001 0 '{}'

sim_start --strict --state "$T/sim" --ports-file "$T/ports" \
	"$PROFILES/diag/lg_v60_qmmi.json" "$T/locked.json" "$T/recov.json" \
	"$T/plan.json"
SN=LMV600QMMI01
V60=127.0.0.1:$(port $SN)
LOCK=127.0.0.1:$(port RESETLOCK001)
RECOV=127.0.0.1:$(port RESETRECOV01)
PLAN=127.0.0.1:$(port RESETPLAN001)
D() { timeout 120 "$DROIDMEDIC" --no-autostart "$@"; }
erased() { grep -c "$1 erased $2\$" "$T/sim.out"; }
files() { D shell -s "$1" -- ls /sdcard/DCIM 2>/dev/null | tr '\n' ' '; }
waitfor() {	# waitfor PATTERN: the sim printed it (10 s at most)
	for _ in $(seq 100); do
		grep -q "$1" "$T/sim.out" && return 0
		sleep 0.1
	done
	return 1
}
for p in "$V60" "$LOCK" "$RECOV" "$PLAN"; do
	D shell -s "$p" -- 'mkdir -p /sdcard/DCIM && echo x >/sdcard/DCIM/IMG_1.jpg' \
		>/dev/null 2>&1
done
check "the phones hold a photo" test "$(files "$V60")" = "IMG_1.jpg "

# ---- refusals before anything happens --------------------------------------------------------
D action -s "$V60" factory-reset >"$T/o" 2>&1
rc=$? n=$(erased $SN userdata)
check "without --confirm: exit 1, nothing done" \
	sh -c "test $rc -eq 1 && test $n -eq 0 &&
	       grep -q 'run this again with --confirm MI01' '$T/o'"
D action -s "$V60" factory-reset --confirm MI01 --json >"$T/j" 2>"$T/e"
rc=$? n=$(erased $SN userdata)
check "without a backup or --without-backup: exit 1, EBACKUP, nothing done" \
	python3 - "$T/j" "$rc" "$n" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (sys.argv[2] == "1" and sys.argv[3] == "0" and not d["ok"]
              and d["error"] == "EBACKUP" and "--without-backup" in d["message"]))
PY
D action -s "$V60" factory-reset via=usb --confirm MI01 --without-backup >"$T/o" 2>&1
rc=$? n=$(erased $SN userdata)
check "via=usb: exit 1, the three ways named, nothing done" \
	sh -c "test $rc -eq 1 && test $n -eq 0 &&
	       grep -q \"via=recovery (the phone's own menu) or via=auto, not 'usb'\" '$T/o'"

# ---- a locked bootloader ---------------------------------------------------------------------
D action -s "$LOCK" factory-reset --confirm K001 --without-backup >"$T/o" 2>&1
rc=$? n=$(erased RESETLOCK001 userdata) f=$(files "$LOCK")
check "a locked bootloader: exit 1, refused before any erase, back in Android with its photo" \
	sh -c "test $rc -eq 1 && test $n -eq 0 && test '$f' = 'IMG_1.jpg ' &&
	       grep -q 'the bootloader is locked and refuses to erase: nothing erased (via=recovery' '$T/o'"

# ---- via=auto on a locked phone: its recovery menu -------------------------------------------
D action -s "$RECOV" factory-reset --confirm OV01 --without-backup >"$T/o" 2>&1
rc=$?
check "Android says locked: via recovery, the phone rebooted into it, the wipe left to its menu" \
	sh -c "test $rc -eq 0 &&
	       grep -q 'via recovery: ro.boot.flash.locked is 1' '$T/o' &&
	       grep -q 'choose \"Wipe data/factory reset\"' '$T/o' &&
	       grep -q '^not re-checked: the wipe is left to the technician' '$T/o'"
check "... in recovery, nothing erased by droidmedic" \
	sh -c "waitfor() { for _ in \$(seq 100); do grep -q \"\$1\" '$T/sim.out' && return 0; sleep 0.1; done; return 1; }
	       waitfor 'RESETRECOV01 adb tcp:127.0.0.1:[0-9]* recovery' &&
	       ! grep -q 'RESETRECOV01 erased' '$T/sim.out'"

# ---- the reset --------------------------------------------------------------------------------
D action -s "$V60" factory-reset --confirm MI01 --without-backup --json \
	>"$T/j" 2>"$T/e"
rc=$?
check "via=auto on the unlocked V60: exit 0, done, not re-checked and why" \
	python3 - "$T/j" "$rc" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (sys.argv[2] == "0" and d["ok"] and d["action"] == "factory-reset"
              and d["message"].startswith("erased userdata, metadata in the bootloader")
              and "USB debugging off" in d["not_rechecked"]))
PY
check "progress: via fastboot, the bootloader, both erases, the reboot" \
	sh -c "grep -q 'via fastboot: ro.boot.flash.locked is 0' '$T/e' &&
	       grep -q 'erasing userdata (95.15 GiB)' '$T/e' &&
	       grep -q 'erasing metadata (16.0 MiB)' '$T/e' &&
	       grep -q 'rebooting into Android' '$T/e'"
check "the phone erased userdata and metadata once each" \
	sh -c "test $(erased $SN userdata) -eq 1 && test $(erased $SN metadata) -eq 1"
waitfor "$SN adb off"
check "it booted with adb off (the setup wizard's state)" \
	grep -q "$SN adb off (userdata was erased" "$T/sim.out"
D shell -s "$V60" -- true >"$T/o" 2>&1
check "... and adb cannot reach it" test $? -ne 0
kill -USR1 "$SIMPID"
waitfor "$SN adb tcp:127.0.0.1:[0-9]* device"
n=$(grep -c "$SN adb tcp" "$T/sim.out")
check "debugging turned on again: the phone is back in adb" test "$n" -ge 2
D shell -s "$V60" -- ls -a /sdcard >"$T/o" 2>&1
check "... and its storage is empty" \
	sh -c "test \$(grep -cv '^\\.\\{1,2\\}\$' '$T/o') -eq 0 && grep -qx '\\.' '$T/o'"

# ---- as a step of a plan ----------------------------------------------------------------------
STEP=$(python3 -c '
import json, sys
r = [x for x in json.load(open(sys.argv[1]))["rules"] if x["id"] == "data-read-only"][0]
print([s["action"] for s in r["plan"]].index("factory-reset") + 1)' \
	"$top_srcdir/data/rules/media.json")
D fix -s "$PLAN" data-read-only --step "$STEP" --confirm N001 >"$T/o" 2>&1
rc=$? n=$(erased RESETPLAN001 userdata)
check "fix --step $STEP without --without-backup: exit 1, nothing run" \
	sh -c "test $rc -eq 1 && test $n -eq 0 && grep -q 'needs a backup of this phone from the last 12 hours' '$T/o'"
D fix -s "$PLAN" data-read-only --step "$STEP" --confirm N001 --without-backup --json \
	>"$T/j" 2>"$T/e"
rc=$? n=$(erased RESETPLAN001 userdata)
check "fix --step $STEP: exit 3, the step done, EUNCHECKED with the reason" \
	python3 - "$T/j" "$rc" "$n" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
st = d["steps"]
sys.exit(not (sys.argv[2] == "3" and sys.argv[3] == "1" and not d["fixed"]
              and d["error"] == "EUNCHECKED" and len(st) == 1
              and st[0]["action"] == "factory-reset" and st[0]["status"] == "done"
              and "adb cannot see it again" in d["message"]))
PY

sim_end
done_testing
