#!/bin/bash
# diagnose_modes.sh - findings for a phone in recovery, in sideload, and
# one that has not allowed this computer (unauthorized), against
# droidmedic-sim on the bench server.  The Xiaomi 14's profile, started
# in recovery, in sideload, and with a user who never taps Allow.
# Checked: in recovery the banner is the evidence and fix reboots it into
# Android (the boot is the check); in sideload and unauthorized the row is
# the evidence (our key's fingerprint, as the phone's prompt shows it),
# every step is by hand and fix runs nothing; the by-hand way out of
# sideload (droidmedic reboot) works; a rule file's by-hand step without
# "do" is refused.  A copy with a work profile (pm list users, hand-made
# in AOSP's format) has other-users; the healthy one has nothing.  Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/diagsim.sh"	# SIM, PROFILES, sim_start, port

X14=$PROFILES/xiaomi_14_houji.json
profile_variant "$X14" "$T/rec.json" "p['serial'] = 'RECOVX140001'; p['mode'] = 'recovery'"
profile_variant "$X14" "$T/side.json" "p['serial'] = 'SIDELX140001'; p['mode'] = 'sideload'"
profile_variant "$X14" "$T/auth.json" "p['serial'] = 'UNAUTX140001'; p['auth'] = 'reject'"
# Hand-made in AOSP's format: a work profile (no capture has one).
profile_variant "$X14" "$T/users.json" "p['serial'] = 'USERSX140001'
p.setdefault('commands', {})['pm list users'] = {'stdout': 'Users:\\n\\tUserInfo{0:Owner:c13} running\\n\\tUserInfo{10:Work profile:1030} running\\n'}"

sim_start --strict --state "$T/sim" --ports-file "$T/ports" \
	"$T/rec.json" "$T/side.json" "$T/auth.json" "$T/users.json" "$X14"
REC=127.0.0.1:$(port RECOVX140001) SIDE=127.0.0.1:$(port SIDELX140001)
USERS=127.0.0.1:$(port USERSX140001)
X14S=127.0.0.1:$(port "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['serial'])" "$X14")")
AUTH=127.0.0.1:$(port UNAUTX140001)
export DROIDMEDIC_IDLE_EXIT=0
B() { timeout 120 "$DROIDMEDIC" "$@"; }
rowmode() {	# rowmode ADDRESS: the bench row's mode
	B devices --json 2>/dev/null | python3 -c "
import json, sys
for d in json.load(sys.stdin)['devices']:
    if d['serial'] == sys.argv[1] and d['present']:
        print(d['mode'])" "$1"
}
wait_mode() {	# wait_mode ADDRESS MODE: up to 30 s
	for _ in $(seq 1 150); do
		[ "$(rowmode "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

B connect "$REC" >"$T/o" 2>&1
B connect "$SIDE" >>"$T/o" 2>&1
# The user never answers: connect waits for the prompt (60 s), the row
# shows unauthorized meanwhile.
"$DROIDMEDIC" connect "$AUTH" >"$T/auth.out" 2>&1 &
echo $! >"$T/connect.pid"
check "the three phones are on the bench: recovery, sideload, unauthorized" \
	sh -c "$(declare -f B rowmode wait_mode); wait_mode '$REC' recovery &&
	       wait_mode '$SIDE' sideload && wait_mode '$AUTH' unauthorized"

# ---- recovery ---------------------------------------------------------------------------------------
B diagnose -s "$REC" --json >"$T/j" 2>"$T/e"
check "recovery: in-recovery, the adb banner as evidence, mode recovery" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = {x["id"]: x for x in d["findings"]}
ev = f["in-recovery"]["evidence"][0] if "in-recovery" in f else {}
sys.exit(not (d["mode"] == "recovery" and ev.get("source") == "connection"
              and "mode: recovery" in ev["lines"]
              and "adb banner: recovery::ro.product.name=houji;ro.product.model=23127PN0CC;ro.product.device=houji" in ev["lines"]
              and [s["action"] for s in f["in-recovery"]["plan"]] == ["reboot", "by-hand", "by-hand"]))
PY
B plan -s "$REC" in-recovery >"$T/o" 2>&1
check "its plan: the reboot runs; the by-hand steps say so and what to do" \
	sh -c "test $? -eq 0 &&
	       grep -q '^  >  1. \[risk none     \] reboot to system' '$T/o' &&
	       grep -q '3. \[risk user-data\] by hand: in recovery.s menu pick \"Wipe data/factory reset\"' '$T/o' &&
	       grep -A1 '2. \[risk none     \] by hand: read recovery' '$T/o' | grep -q 'cannot run here: done by hand, not by droidmedic'"
B fix -s "$REC" in-recovery --json >"$T/j" 2>"$T/e"
check "fix in-recovery: exit 0, rebooted into Android, fixed by the boot" \
	python3 - "$T/j" "$?" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
st = d["steps"]
sys.exit(not (sys.argv[2] == "0" and d["fixed"]
              and len(st) == 1 and st[0]["action"] == "reboot" and st[0]["status"] == "done"
              and d["message"].startswith("fixed: RECOVX140001 left recovery and booted Android after step 1")))
PY
check "the row turns adb" sh -c "$(declare -f B rowmode wait_mode); wait_mode '$REC' adb"

# ---- sideload -----------------------------------------------------------------------------------------
B diagnose -s "$SIDE" --json >"$T/j" 2>"$T/e"
check "sideload: in-sideload from the row (nothing run on the phone)" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = {x["id"]: x for x in d["findings"]}
sys.exit(not (d["mode"] == "sideload" and list(f) == ["in-sideload"]
              and "mode: sideload (sideload)" in f["in-sideload"]["evidence"][0]["lines"]
              and d["unchecked"] == []))
PY
B fix -s "$SIDE" in-sideload --json >"$T/j" 2>"$T/e"
check "fix in-sideload: exit 1, nothing run, the step is by hand" \
	python3 - "$T/j" "$?" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (sys.argv[2] == "1" and d["steps"] == []
              and "step 1 (by-hand): done by hand, not by droidmedic" in d["message"]))
PY
B reboot -s "$SIDE" system >"$T/o" 2>&1
check "the by-hand way out works: droidmedic reboot leaves sideload, the row turns adb" \
	sh -c "$(declare -f B rowmode wait_mode); wait_mode '$SIDE' adb"

# ---- unauthorized ---------------------------------------------------------------------------------------
FP=$(key_fingerprint "$HOME/.android/adbkey.pub")
B diagnose -s "$AUTH" --json >"$T/j" 2>"$T/e"
check "unauthorized: a warning whose evidence is our key's fingerprint, as the prompt shows it" \
	python3 - "$T/j" "$FP" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = {x["id"]: x for x in d["findings"]}
u = f.get("usb-debugging-unauthorized", {})
lines = u["evidence"][0]["lines"] if u else []
sys.exit(not (d["mode"] == "unauthorized" and u.get("severity") == "warning"
              and len(sys.argv[2]) == 47
              and "adb key fingerprint: " + sys.argv[2] in lines
              and all(s["action"] == "by-hand" for s in u["plan"])))
PY
B plan -s "$AUTH" usb-debugging-unauthorized --json >"$T/j" 2>"$T/e"
check "its plan: every step blocked, done by hand" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["state"] == "present" and len(d["steps"]) == 3
              and all(s["blocked"] == "done by hand, not by droidmedic" for s in d["steps"])))
PY
B fix -s "$AUTH" usb-debugging-unauthorized >"$T/o" 2>&1
check "fix: exit 1 at once (the row's connection is not waited for), nothing run" \
	sh -c "test $? -eq 1 && grep -q 'nothing was run: the plan stops before step 1 (by-hand)' '$T/o'"
B plan -s "$AUTH" media-crash --json >"$T/j" 2>"$T/e"
check "an Android finding on it: not checked, the mode named" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["state"] == "unchecked"
              and "media-crash is checked in Android, and the phone is in unauthorized mode" in d["unchecked"]))
PY

# ---- other users ------------------------------------------------------------------------------------------
B diagnose -s "$USERS" --json >"$T/j" 2>"$T/e"
check "a work profile: other-users, the profile's line as evidence" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = {x["id"]: x for x in d["findings"]}
sys.exit(not ("other-users" in f and f["other-users"]["severity"] == "info"
              and f["other-users"]["evidence"][0]["lines"] == ["\tUserInfo{10:Work profile:1030} running"]
              and f["other-users"]["evidence"][0]["source"] == "pm list users"))
PY
B diagnose -s "$X14S" --json >"$T/j" 2>"$T/e"
check "the healthy Xiaomi 14 (its owner alone): no finding, other-users checked" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["findings"] == []
              and "other-users" not in [u["id"] for u in d["unchecked"]]))
PY

# ---- a by-hand step must say what to do -----------------------------------------------------------------
mkdir -p "$XDG_CONFIG_HOME/droidmedic/rules"
cat >"$XDG_CONFIG_HOME/droidmedic/rules/bad.json" <<'EOF'
{"rules": [{"id": "no-do", "title": "t", "severity": "info", "modes": ["sideload"],
  "probes": {"c": "connection"}, "when": [{"probe": "c", "regex": "^mode: "}],
  "explain": "e", "plan": [{"action": "by-hand", "risk": "none", "effect": "x"}]}]}
EOF
B diagnose -s "$AUTH" >"$T/o" 2>"$T/e"
check "a by-hand step without \"do\": the rule is refused, by file and rule" \
	sh -c "test $? -eq 0 && grep -q 'bad.json: rule no-do: step by-hand: \"params\" must say what to do in \"do\"' '$T/e'"
rm -f "$XDG_CONFIG_HOME/droidmedic/rules/bad.json"

kill "$(cat "$T/connect.pid")" 2>/dev/null
B server stop --force >/dev/null 2>&1

sim_end
done_testing
