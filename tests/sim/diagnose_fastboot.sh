#!/bin/bash
# diagnose_fastboot.sh - diagnosis and repair of phones in fastboot,
# against droidmedic-sim.  The LG V60 and the Pixel 7 Pro start in their
# bootloaders, whose variables are real captures; the rules read them
# (getvar all, nothing run on the phone).  Made up here, by changing one
# or two variables of the V60's capture: a slot marked unbootable, a
# bootloader saying the charge is too low, a battery under 3400 mV, a
# locked bootloader, and a copy to be reset.  Checked: the findings and
# their evidence, the plan (steps that need adb or a backup blocked), fix
# of in-bootloader (reboot into Android; the boot is the check) directly
# and as a bench-server job, fastbootd (reboot to=fastboot, its own
# finding, no battery alarm from its 0 mV), an adb action refused in
# fastboot, set-active (the other slot made active and read back; never
# onto a slot marked unbootable), and factory-reset started in the
# bootloader (a locked one refuses and keeps the phone there).  Loopback
# only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/diagsim.sh"	# SIM, PROFILES, sim_start, port

LG=$PROFILES/fastboot/lg_v60_thinq.json
variant() {	# variant NAME SERIAL VARS-JSON
	profile_variant "$LG" "$T/$1.json" "
p['serial'] = '$2'
p['fastboot']['vars'] = json.loads('$3')"
}
variant slot SLOTBADV6001 '{"slot-unbootable:a": "yes", "slot-retry-count:a": "0", "slot-successful:a": "no"}'
variant soc LOWSOCV60001 '{"battery-soc-ok": "no"}'
variant volt LOWVOLTV6001 '{"battery-voltage": "3350"}'
variant locked LOCKEDV60001 '{"unlocked": "no"}'
variant reset RESETV600001 '{}'

sim_start --strict --state "$T/sim" --ports-file "$T/ports" \
	"$LG" "$PROFILES/fastboot/google_pixel7pro_cheetah.json" \
	"$T/slot.json" "$T/soc.json" "$T/volt.json" "$T/locked.json" \
	"$T/reset.json"
at() { echo "tcp:127.0.0.1:$(port "$1")"; }
V60=$(at LMV600TM4bf4e87d) PIX=$(at 28191FDH300AZK) SLOT=$(at SLOTBADV6001)
SOC=$(at LOWSOCV60001) VOLT=$(at LOWVOLTV6001) LOCK=$(at LOCKEDV60001)
RESET=$(at RESETV600001)
D() { timeout 120 "$DROIDMEDIC" --no-autostart "$@"; }
ids() { D diagnose -s "$1" --json 2>/dev/null | python3 -c "
import json, sys
print(' '.join(f['id'] for f in json.load(sys.stdin)['findings']))"; }
fbmode() {	# fbmode SERIAL: the mode the simulator last reported
	grep "^sim: $1 " "$T/sim.out" | tail -1 | awk '{ print $3 "/" $5 }'
}

# ---- diagnose ---------------------------------------------------------------------------------
D diagnose -s "$V60" --json >"$T/j" 2>"$T/e"
check "the V60 in its bootloader: exit 0, in fastboot mode, in-bootloader and unlocked only" \
	python3 - "$T/j" "$?" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = sorted(f["id"] for f in d["findings"])
sys.exit(not (sys.argv[2] == "0" and d["mode"] == "fastboot"
              and ids == ["bootloader-unlocked", "in-bootloader"]
              and d["unchecked"] == []))
PY
check "the lock's evidence is its variable, as getvar gives it" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "bootloader-unlocked"][0]
sys.exit(f["evidence"] != [{"source": "getvar unlocked", "matched": 1,
                            "lines": ["unlocked: yes"]}])
PY
D diagnose -s "$V60" >"$T/o" 2>&1
check "the text names the phone by its product, in its bootloader" \
	grep -q "^$V60 (kona, in its bootloader): 2 findings from" "$T/o"
D diagnose -s "$PIX" --json >"$T/j" 2>&1
check "the Pixel: why it is there (enter-reason) is evidence" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "in-bootloader"][0]
sys.exit(not any(e["lines"] == ["enter-reason: reboot bootloader"]
                 for e in f["evidence"]))
PY
D diagnose -s "$SLOT" --json >"$T/j" 2>&1
check "a slot marked unbootable: an error, first, with each slot's state" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = d["findings"][0]
lines = [l for e in f["evidence"] for l in e["lines"]]
sys.exit(not (f["id"] == "slot-unbootable" and f["severity"] == "error"
              and f["evidence"][0]["source"] == "getvar all"
              and "slot-unbootable:a: yes" in lines
              and "slot-retry-count:a: 0" in lines
              and "current-slot: a" in lines))
PY
check "the healthy V60 has no slot finding" \
	sh -c "! echo '$(ids "$V60")' | grep -qw slot-unbootable"
check "battery-soc-ok: no is a low battery" \
	sh -c "echo '$(ids "$SOC")' | grep -qw bootloader-battery-low"
check "3350 mV is a low battery; the V60's 3831 is not" \
	sh -c "echo '$(ids "$VOLT")' | grep -qw bootloader-battery-low &&
	       ! echo '$(ids "$V60")' | grep -qw bootloader-battery-low"
check "a locked bootloader: no unlocked finding" \
	sh -c "! echo '$(ids "$LOCK")' | grep -qw bootloader-unlocked"

# ---- the plan, and what cannot run in fastboot -------------------------------------------------
D plan -s "$V60" in-bootloader >"$T/o" 2>&1
check "plan: the reboot runs; the reset waits for a backup; reflash is not built" \
	sh -c "test $? -eq 0 &&
	       grep -q '^  >  1. \[risk none     \] reboot to system' '$T/o' &&
	       grep -A1 '2. \[risk user-data\] factory-reset via fastboot' '$T/o' | grep -q 'cannot run here: needs a backup' &&
	       grep -q 'it stops before step 2 (factory-reset) erases user data' '$T/o'"
D plan -s "$V60" media-crash --json >"$T/j" 2>&1
check "an adb finding on a phone in fastboot: not checked, and its steps need adb" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["state"] == "unchecked"
              and "media-crash is checked with the phone booted, and it is in fastboot" in d["unchecked"]
              and all(s["blocked"] for s in d["steps"])))
PY
D action -s "$V60" clear-data package=com.android.providers.media --confirm e87d >"$T/o" 2>&1
check "an adb action in fastboot: exit 1, refused, the phone still in its bootloader" \
	sh -c "test $? -eq 1 &&
	       grep -q 'clear-data needs the phone booted (adb), and it is in fastboot: reboot to=system first' '$T/o' &&
	       test '$(fbmode LMV600TM4bf4e87d)' = fastboot/bootloader"
D fix -s "$V60" media-crash --confirm e87d --json >"$T/j" 2>/dev/null
check "fix of an adb finding in fastboot: exit 1, EUNCHECKED, the reboot named" \
	python3 - "$T/j" "$?" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (sys.argv[2] == "1" and d["error"] == "EUNCHECKED"
              and "it is in fastboot (droidmedic reboot -s" in d["message"]
              and d["steps"] == []))
PY

# ---- fix in-bootloader --------------------------------------------------------------------------
D fix -s "$PIX" in-bootloader >"$T/o" 2>&1
check "fix in-bootloader: exit 0, rebooted, fixed because Android booted" \
	sh -c "test $? -eq 0 &&
	       grep -q 'done: rebooted into system and back in adb' '$T/o' &&
	       grep -q '^fixed: 28191FDH300AZK left fastboot and booted Android after step 1' '$T/o'"
check "the Pixel is in adb, booted" test "$(fbmode 28191FDH300AZK)" = adb/device
D fix -s "$PIX" in-bootloader --json >"$T/j" 2>/dev/null
check "fix in-bootloader on the booted Pixel: exit 1, EUNCHECKED, nothing run" \
	python3 - "$T/j" "$?" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (sys.argv[2] == "1" and d["error"] == "EUNCHECKED"
              and d["before"] == "unchecked" and d["steps"] == []))
PY

# ---- fastbootd ------------------------------------------------------------------------------------
D action -s "$V60" reboot to=fastboot >"$T/o" 2>&1
check "reboot to=fastboot from the bootloader: exit 0, back in fastboot (fastbootd)" \
	sh -c "test $? -eq 0 && grep -q 'rebooted into fastboot and back in fastboot' '$T/o' &&
	       test '$(fbmode LMV600TM4bf4e87d)' = fastboot/fastbootd"
check "in fastbootd: in-fastbootd, not in-bootloader, no alarm from its 0 mV" \
	sh -c "ids=\$(echo '$(ids "$V60")'); echo \"\$ids\" | grep -qw in-fastbootd &&
	       ! echo \"\$ids\" | grep -qw in-bootloader &&
	       ! echo \"\$ids\" | grep -qw bootloader-battery-low"
D fix -s "$V60" in-fastbootd >"$T/o" 2>&1
check "fix in-fastbootd: exit 0, the V60 booted Android" \
	sh -c "test $? -eq 0 && grep -q '^fixed: LMV600TM4bf4e87d left fastboot' '$T/o' &&
	       test '$(fbmode LMV600TM4bf4e87d)' = adb/device"

# ---- set-active: the other slot ------------------------------------------------------------------
D fix -s "$SLOT" slot-unbootable --step 2 >"$T/o" 2>&1
check "fix --step 2 (set-active, flash risk) without --confirm: exit 1, the slot unchanged" \
	sh -c "test $? -eq 1 && grep -q 'confirm' '$T/o' &&
	       test \"\$(timeout 60 '$DROIDMEDIC' --no-autostart getvar -s '$SLOT' current-slot 2>&1)\" = 'current-slot: a'"
D fix -s "$SLOT" slot-unbootable --step 2 --confirm 6001 --json >"$T/j" 2>"$T/e"
check "fix --step 2: slot b made active and read back; a stays marked, so the finding holds (exit 3)" \
	python3 - "$T/j" "$?" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
st = d["steps"]
sys.exit(not (sys.argv[2] == "3" and not d["fixed"]
              and len(st) == 1 and st[0]["action"] == "set-active"
              and st[0]["status"] == "done"
              and st[0]["message"] == "slot b is active: the phone starts it at the next boot"))
PY
D getvar -s "$SLOT" current-slot >"$T/o" 2>&1
check "the bootloader gives current-slot b" grep -qx "current-slot: b" "$T/o"
D action -s "$SLOT" set-active slot=a --confirm 6001 >"$T/o" 2>&1
check "set-active onto slot a, marked unbootable: exit 1, refused, b still active" \
	sh -c "test $? -eq 1 && grep -q 'the bootloader marks slot a unbootable too: nothing changed' '$T/o' &&
	       test \"\$(timeout 60 '$DROIDMEDIC' --no-autostart getvar -s '$SLOT' current-slot 2>&1)\" = 'current-slot: b'"
D action -s "$V60" set-active slot=b --confirm e87d >"$T/o" 2>&1
check "set-active on a phone booted in Android: exit 1, it runs in fastboot" \
	sh -c "test $? -eq 1 && grep -q 'set-active runs in fastboot: reboot to=bootloader first' '$T/o'"

# ---- factory-reset from the bootloader ------------------------------------------------------------
D action -s "$LOCK" factory-reset --confirm 0001 --without-backup >"$T/o" 2>&1
check "a locked bootloader: exit 1, nothing erased, the phone left in its bootloader" \
	sh -c "test $? -eq 1 &&
	       grep -q 'the bootloader is locked and refuses to erase: nothing erased (via=recovery lets the phone.s own menu do it); the phone stays in its bootloader' '$T/o' &&
	       ! grep -q '^sim: LOCKEDV60001 erased' '$T/sim.out' &&
	       test '$(fbmode LOCKEDV60001)' = fastboot/bootloader"
D getvar -s "$LOCK" product >"$T/o" 2>&1
check "and it still answers fastboot" grep -qx "product: kona" "$T/o"
D action -s "$RESET" factory-reset --confirm 0001 >"$T/o" 2>&1
check "no --without-backup: exit 1, nothing erased" \
	sh -c "test $? -eq 1 && ! grep -q '^sim: RESETV600001 erased' '$T/sim.out'"
D action -s "$RESET" factory-reset --confirm 0001 --without-backup --json >"$T/j" 2>"$T/e"
check "reset in the bootloader: exit 0, via fastboot, userdata and metadata erased, not re-checked" \
	python3 - "$T/j" "$?" "$T/sim.out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
out = open(sys.argv[3]).read()
sys.exit(not (sys.argv[2] == "0" and d["ok"]
              and d["message"].startswith("erased userdata, metadata in the bootloader")
              and "USB debugging off" in d["not_rechecked"]
              and "sim: RESETV600001 erased userdata" in out
              and "sim: RESETV600001 erased metadata" in out))
PY

# ---- as a bench-server job ------------------------------------------------------------------------
export DROIDMEDIC_IDLE_EXIT=0
B() { timeout 120 "$DROIDMEDIC" "$@"; }
B connect "$SLOT" >"$T/c" 2>&1
check "the phone with a bad slot is on the bench, in fastboot" grep -q "fastboot" "$T/c"
B fix -s "$SLOT" slot-unbootable --json >"$T/j" 2>"$T/e"
check "fix slot-unbootable as a job: exit 0, the reboot ran, fixed by the boot" \
	python3 - "$T/j" "$?" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
st = d["steps"]
sys.exit(not (sys.argv[2] == "0" and d["fixed"] and d["before"] == "present"
              and len(st) == 1 and st[0]["action"] == "reboot"
              and st[0]["status"] == "done"
              and "left fastboot and booted Android" in d["message"]))
PY
B jobs --json >"$T/jobs" 2>&1
check "the job ran on the bench server" \
	python3 - "$T/jobs" <<'PY'
import json, sys
sys.exit(not any(j["kind"] == "fix" and j["state"] == "done"
                 for j in json.load(open(sys.argv[1]))))
PY
B server stop --force >/dev/null 2>&1

sim_end
done_testing
