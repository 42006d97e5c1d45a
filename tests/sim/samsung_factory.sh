#!/bin/bash
# samsung_factory.sh - a Samsung phone stuck in its factory mode against
# droidmedic-sim: the Galaxy S5 whose /efs/FactoryApp/factorymode and
# keystr read OFF (its FactoryTestApp log is the real capture, edited by
# the profile to read OFF), rooted with su, on Android 5's adbd (protocol
# 0x01000000, no shell protocol: no exit codes).  Diagnosed from the log;
# clearing the factory app and rebooting (steps 1-2) does not fix it; step
# 3 (samsung-factorymode-on) needs the typed confirmation, then writes ON
# into both files as root, keeps their owner and mode, reboots, and the
# re-check says fixed.  Made up here: the same phone without su (refused:
# needs root, nothing written) and one whose keystr is missing (refused
# before anything is written).  Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/diagsim.sh"	# SIM, PROFILES, sim_start, port

PROF=$PROFILES/diag/samsung_s5_factorymode.json
profile_variant "$PROF" "$T/nosu.json" 'p["serial"] = "SMG900FNOSU1"; p["su"] = False'
profile_variant "$PROF" "$T/nokey.json" '
p["serial"] = "SMG900FNOKEY"
p["storage"] = [e for e in p["storage"] if not e["path"].endswith("keystr")]'

sim_start --strict --state "$T/sim" --ports-file "$T/ports" \
	"$PROF" "$T/nosu.json" "$T/nokey.json"
SN=SMG900FFACT1
S5=127.0.0.1:$(port $SN)
NOSU=127.0.0.1:$(port SMG900FNOSU1)
NOKEY=127.0.0.1:$(port SMG900FNOKEY)
D() { timeout 120 "$DROIDMEDIC" --no-autostart "$@"; }
efs() {	# efs ADDR: both files' text, owner and mode, read as root
	D shell -s "$1" -- 'su -c "cat /efs/FactoryApp/factorymode; echo; cat /efs/FactoryApp/keystr; echo; stat -c %u:%g:%a /efs/FactoryApp/factorymode /efs/FactoryApp/keystr"' 2>/dev/null |
		tr '\n' ' '
}
OFF="OFF OFF 1000:1000:644 1000:1000:644 "
ON="ON ON 1000:1000:644 1000:1000:644 "

check "the S5's /efs files read OFF (as root)" test "$(efs "$S5")" = "$OFF"
D shell -s "$S5" -- cat /efs/FactoryApp/factorymode >"$T/o" 2>&1
check "... and the shell user cannot read them" grep -q "Permission denied" "$T/o"

# ---- diagnosis and the plan -----------------------------------------------------------------
D diagnose -s "$S5" --json >"$T/j" 2>&1
check "diagnose: Samsung factory mode, the two OFF lines of the log as evidence" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "samsung-factory-mode"]
lines = f[0]["evidence"][0]["lines"] if f else []
sys.exit(not (f and len(lines) == 2
              and lines[0].endswith("path=/efs/FactoryApp/factorymode, value=OFF")
              and lines[1].endswith("[ModuleCommon$readFactoryMode](3252) mode: OFF")
              and [s["action"] for s in f[0]["plan"]] ==
                  ["clear-data", "reboot", "samsung-factorymode-on", "reflash"]
              and f[0]["plan"][2]["risk"] == "flash"))
PY
D plan -s "$S5" samsung-factory-mode >"$T/o" 2>&1
check "plan: step 3 needs root, checked when it runs; it runs only on its own" \
	sh -c "grep -q 'needs root (adb root on a debuggable build, or su): checked when it runs' '$T/o' &&
	       grep -q 'it stops before step 3 (samsung-factorymode-on) writes below Android (flash risk)' '$T/o'"

# ---- steps 1 and 2 do not help ---------------------------------------------------------------
D fix -s "$S5" samsung-factory-mode --confirm ACT1 >"$T/o" 2>&1
rc=$?
check "fix (clear com.sec.factory, reboot): exit 3, not fixed, the files still OFF" \
	sh -c "test $rc -eq 3 && test '$(efs "$S5")' = '$OFF' &&
	       grep -q 'done: data of com.sec.factory cleared' '$T/o' &&
	       grep -q 'not fixed: samsung-factory-mode still holds after step 2' '$T/o'"

# ---- refusals ---------------------------------------------------------------------------------
D fix -s "$S5" samsung-factory-mode --step 3 >"$T/o" 2>&1
rc=$?
check "step 3 without --confirm: exit 1, nothing written" \
	sh -c "test $rc -eq 1 && test '$(efs "$S5")' = '$OFF' && ! grep -q 'writing ON' '$T/o'"
D fix -s "$NOSU" samsung-factory-mode --step 3 --confirm OSU1 >"$T/o" 2>&1
rc=$?
check "no su on the phone: exit 1, needs root, su's own answer shown" \
	sh -c "test $rc -eq 1 &&
	       grep -q 'needs root: adb runs as the shell user and su answered \"/system/bin/sh: su: not found\"' '$T/o'"
D action -s "$NOKEY" samsung-factorymode-on --confirm OKEY >"$T/o" 2>&1
rc=$? f=$(D shell -s "$NOKEY" -- "su -c 'cat /efs/FactoryApp/factorymode'" 2>/dev/null)
check "keystr missing: exit 1, refused before any write, factorymode still OFF" \
	sh -c "test $rc -eq 1 && test '$f' = OFF &&
	       grep -q '/efs/FactoryApp/keystr cannot be read as root' '$T/o' &&
	       ! grep -q 'writing ON' '$T/o'"

# ---- the fix ----------------------------------------------------------------------------------
D fix -s "$S5" samsung-factory-mode --step 3 --confirm ACT1 >"$T/o" 2>&1
rc=$?
check "step 3: exit 0, root through su, what each file read, both writes, fixed after the reboot" \
	sh -c "test $rc -eq 0 && grep -q '^      root through su' '$T/o' &&
	       grep -q '/efs/FactoryApp/keystr reads \"OFF\" (owner:group:mode 1000:1000:644)' '$T/o' &&
	       test \$(grep -c 'writing ON into /efs/FactoryApp/' '$T/o') -eq 2 &&
	       grep -q 'done: factorymode \"OFF\" -> ON, keystr \"OFF\" -> ON (owner, group and mode kept: 1000:1000:644, 1000:1000:644); rebooted and back in adb' '$T/o' &&
	       grep -q '^fixed: samsung-factory-mode no longer holds on $SN (re-checked after step 3)' '$T/o'"
check "both files read ON, owner and mode as they were" test "$(efs "$S5")" = "$ON"
check "the phone rebooted for it (simulator status lines)" \
	test "$(grep -c "$SN down reboot" "$T/sim.out")" -eq 2
D diagnose -s "$S5" --json >"$T/j" 2>&1
check "diagnose after: no samsung-factory-mode" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit("samsung-factory-mode" in [x["id"] for x in d["findings"]])
PY
D action -s "$S5" samsung-factorymode-on --confirm ACT1 >"$T/o" 2>&1
rc=$?
check "again: skipped, both already ON, no reboot" \
	sh -c "test $rc -eq 0 && grep -q 'skipped: both files already read ON' '$T/o' &&
	       test \$(grep -c '$SN down reboot' '$T/sim.out') -eq 2"

sim_end
done_testing
