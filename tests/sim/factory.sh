#!/bin/bash
# factory.sh - a phone stuck in a factory boot mode (QMMI) against
# droidmedic-sim: the LG V60 whose misc partition keeps it in QMMI (its
# bootloader is the real capture, unlocked).  Diagnosed with the boot mode
# as evidence; a plain reboot (step 1) does not fix it and the plan stops
# before the flash-risk step; step 2 alone needs the typed confirmation,
# then goes to the bootloader, checks the serial there, erases misc and
# boots Android again, and the re-check says fixed.  Made up here: the
# same phone with its bootloader locked (the bootloader refuses, the phone
# is back in Android, nothing erased) and one whose bootloader gives
# another serial (refused before anything is erased).  The main phone's
# step 2 runs as a bench-server job, following the phone's bench row
# from adb into fastboot and back.  Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/diagsim.sh"	# SIM, PROFILES, sim_start, port

V60P=$PROFILES/diag/lg_v60_qmmi.json
# locked: its bootloader says unlocked:no
profile_variant "$V60P" "$T/locked.json" '
p["serial"] = p["props"]["ro.serialno"] = "QMMILOCKED01"
p["fastboot"]["vars"] = {"unlocked": "no"}'
# another phone's bootloader: adb says OTHERPHONE01, fastboot QMMIMISMATCH
profile_variant "$V60P" "$T/other.json" '
p["serial"] = "QMMIMISMATCH"
p["props"]["ro.serialno"] = "OTHERPHONE01"
p["fastboot"]["vars"] = {}'

sim_start --strict --state "$T/sim" --ports-file "$T/ports" \
	"$PROFILES/diag/lg_v60_qmmi.json" "$T/locked.json" "$T/other.json"
SN=LMV600QMMI01
V60=127.0.0.1:$(port $SN)
LOCK=127.0.0.1:$(port QMMILOCKED01)
OTHER=127.0.0.1:$(port QMMIMISMATCH)
D() { timeout 120 "$DROIDMEDIC" --no-autostart "$@"; }
B() { timeout 120 "$DROIDMEDIC" "$@"; }
bootmode() { D shell -s "$1" -- getprop ro.bootmode 2>/dev/null; }
erased() { grep -c "$1 erased misc" "$T/sim.out"; }

# ---- diagnosis and the plan ---------------------------------------------------------------
D diagnose -s "$V60" --json >"$T/j" 2>&1
check "diagnose: stuck in a factory boot mode, ro.bootmode=qmmi the evidence" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "factory-bootmode"]
sys.exit(not (f and f[0]["evidence"][0]["lines"] == ["[ro.bootmode]: [qmmi]"]
              and [s["action"] for s in f[0]["plan"]] ==
                  ["reboot", "clear-bootmode", "reflash"]
              and f[0]["plan"][1]["risk"] == "flash"))
PY
D plan -s "$V60" factory-bootmode >"$T/o" 2>&1
check "plan: clear-bootmode can run here, and only on its own" \
	sh -c "! grep -A2 'clear-bootmode' '$T/o' | grep -q 'cannot run here' &&
	       grep -q 'it stops before step 2 (clear-bootmode) .*--step 2' '$T/o'"

# ---- a plain reboot does not help ----------------------------------------------------------
D fix -s "$V60" factory-bootmode --confirm MI01 >"$T/o" 2>&1
rc=$? bm=$(bootmode "$V60") n=$(erased $SN)
check "fix (step 1, reboot): exit 3, still in QMMI, misc untouched" \
	sh -c "test $rc -eq 3 && test '$bm' = qmmi && test $n -eq 0 &&
	       grep -q 'not fixed: factory-bootmode still holds after step 1' '$T/o'"

# ---- refusals --------------------------------------------------------------------------------
D fix -s "$V60" factory-bootmode --step 2 >"$T/o" 2>&1
rc=$? n=$(erased $SN)
check "step 2 without --confirm: exit 1, nothing run" \
	sh -c "test $rc -eq 1 && test $n -eq 0 &&
	       ! grep -q 'rebooting into the bootloader' '$T/o'"
D fix -s "$LOCK" factory-bootmode --step 2 --confirm ED01 >"$T/o" 2>&1
rc=$? bm=$(bootmode "$LOCK") n=$(erased QMMILOCKED01)
check "a locked bootloader: exit 1, its refusal shown, the phone back in Android, nothing erased" \
	sh -c "test $rc -eq 1 && test '$bm' = qmmi && test $n -eq 0 &&
	       grep -q 'the bootloader refused to erase misc: Flashing is not allowed in Lock State (a locked bootloader' '$T/o'"
D fix -s "$OTHER" factory-bootmode --step 2 --confirm NE01 >"$T/o" 2>&1
rc=$? bm=$(bootmode "$OTHER") n=$(erased QMMIMISMATCH)
check "a bootloader with another serial: exit 1, refused before any erase, back in Android" \
	sh -c "test $rc -eq 1 && test '$bm' = qmmi && test $n -eq 0 &&
	       grep -q 'the phone in fastboot says serial QMMIMISMATCH, not OTHERPHONE01: nothing erased' '$T/o'"

# ---- the fix, as a bench-server job -----------------------------------------------------------
export DROIDMEDIC_IDLE_EXIT=0
B connect "$V60" >"$T/c" 2>&1
check "the V60 is on the bench" grep -q "LM-V600" "$T/c"
B fix -s "$V60" factory-bootmode --step 2 --confirm MI01 --json >"$T/j" 2>"$T/e"
rc=$? n=$(erased $SN)
check "step 2 as a job: exit 0, fixed, misc erased once" \
	sh -c "test $rc -eq 0 && test $n -eq 1"
check "the job's result: bootloader, erase, back with ro.bootmode=normal" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
st = d["steps"]
sys.exit(not (d["fixed"] and len(st) == 1 and st[0]["action"] == "clear-bootmode"
              and st[0]["status"] == "done"
              and "booted again with ro.bootmode=normal (it was qmmi)"
                  in st[0]["message"]))
PY
B jobs --json >"$T/jobs" 2>&1
check "the job ran on the bench server" \
	python3 - "$T/jobs" <<'PY'
import json, sys
sys.exit(not any(j["kind"] == "fix" and j["state"] == "done"
                 for j in json.load(open(sys.argv[1]))))
PY
D diagnose -s "$V60" --json >"$T/j" 2>&1
check "diagnose after: no factory-bootmode, the phone booted normally" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit("factory-bootmode" in [x["id"] for x in d["findings"]])
PY
check "ro.bootmode is normal" test "$(bootmode "$V60")" = normal

B server stop --force >/dev/null 2>&1
sim_end
done_testing
