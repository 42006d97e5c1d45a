#!/bin/bash
# fix.sh - `droidmedic plan`, `fix` and `action` against droidmedic-sim.
# The Nexus 5 whose android.process.media keeps stopping (a real crash
# capture) gets its plan shown, is refused without a confirmation naming
# it and a wipe without a recent backup; the plan's backup step alone makes
# a real backup, after which the wipe no longer waits for one; then the
# plan runs: both providers' data cleared, the phone rebooted and waited for, the re-check says fixed
# and `diagnose` agrees.  One actions alone: a package name with shell
# metacharacters and a core package are refused before anything reaches
# the phone, uninstall comes with its undo, clear-cache says why it cannot
# run on Android 5, a log bundle is a real .tar.gz.  Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/diagsim.sh"	# SIM, PROFILES, sim_start, port

sim_start --strict --state "$T/sim" --ports-file "$T/ports" \
	"$PROFILES/diag/lg_nexus5_media_crash.json"
N5=127.0.0.1:$(port NEXUS5MEDIA01)
D() { timeout 120 "$DROIDMEDIC" --no-autostart "$@"; }
# What the phone's own package manager says now, into $T/pm.
pm_list() { D shell -s "$N5" -- pm list packages "$@" >"$T/pm" 2>&1; }

# ---- the plan -----------------------------------------------------------------------
D plan -s "$N5" media-crash --json >"$T/j" 2>"$T/e"
check "plan --json: exit 0" test $? -eq 0
check "plan: the finding is present, 11 steps, the backup first; steps 1-5 to run" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["steps"]
sys.exit(not (d["state"] == "present" and d["serial"] == "NEXUS5MEDIA01"
              and len(s) == 11 and s[0]["action"] == "backup"
              and s[0]["blocked"] is None
              and [i + 1 for i, x in enumerate(s) if x["selected"]] == [1, 2, 3, 4, 5]
              and "step 6 (clear-cache)" in d["stops_before"]))
PY
check "plan: clear-cache is blocked on Android 5, and says why" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["steps"] if x["action"] == "clear-cache"][0]
sys.exit(not ("SDK 22" in s["blocked"] and "trim-caches" in s["blocked"]))
PY
D plan -s "$N5" media-crash --without-backup >"$T/o" 2>&1
check "plan --without-backup: steps 1-5 are marked to run, the next one is named" \
	sh -c "grep -q '^  >  1\. \[risk none' '$T/o' &&
	       grep -q '^  >  5\. \[risk none     \] reboot to system' '$T/o' &&
	       ! grep -q '^  >  6\.' '$T/o' &&
	       grep -q 'fix -s $N5 media-crash --confirm IA01 --without-backup' '$T/o' &&
	       grep -q 'it stops before step 6 (clear-cache)' '$T/o'"
D plan -s "$N5" no-such-finding >"$T/o" 2>&1
check "plan of an unknown finding: exit 2, the rule ids listed" \
	sh -c "test $? -eq 2 && grep -q \"no finding 'no-such-finding'\" '$T/o' &&
	       grep -q 'media-crash' '$T/o'"

# ---- refusals: nothing reaches the phone ----------------------------------------------
D fix -s "$N5" media-crash >"$T/o" 2>"$T/e"
check "fix without --confirm: exit 1, nothing run (its backup step neither)" \
	sh -c "test $? -eq 1 && grep -q 'nothing was run (a step may lose data): to go on, run this again with --confirm IA01' '$T/e' &&
	       test ! -d '$HOME/.local/share/droidmedic/backups/NEXUS5MEDIA01'"
D fix -s "$N5" media-crash --without-backup >"$T/o" 2>"$T/e"
check "fix without --confirm: exit 1, the plan printed, the code to type named" \
	sh -c "test $? -eq 1 && grep -q 'plan for media-crash on NEXUS5MEDIA01' '$T/o' &&
	       grep -q 'nothing was run (a step may lose data): to go on, run this again with --confirm IA01' '$T/e'"
D fix -s "$N5" media-crash --without-backup --confirm 0000 --json >"$T/j" 2>"$T/e"
check "fix with a confirmation naming another phone: refused (JSON)" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["ok"] is False and d["error"] == "ECONFIRM"
              and d["steps"] == [] and d["before"] == "present"
              and "does not name this phone" in d["message"]))
PY
D fix -s "$N5" media-crash --step 10 --confirm IA01 >"$T/o" 2>"$T/e"
check "--step 10 (factory reset) without a backup: refused, --without-backup named" \
	sh -c "test $? -eq 1 && grep -q 'nothing was run: step 10 (factory-reset): needs a backup of this phone from the last 12 hours.*--without-backup goes on without one' '$T/e'"
D fix -s "$N5" media-crash --step 12 >"$T/o" 2>"$T/e"
check "--step past the plan: usage error" \
	sh -c "test $? -eq 2 && grep -q 'has 11 steps, no step 12' '$T/e'"
# ---- the plan's backup step -----------------------------------------------------------
D fix -s "$N5" media-crash --step 1 --json >"$T/j" 2>"$T/e"
check "--step 1 alone (no code: it loses nothing): a real backup, complete and verified" \
	python3 - "$T/j" "$?" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
st = d["steps"]
print(st)
sys.exit(not (sys.argv[2] == "3" and [(x["step"], x["action"], x["status"]) for x in st] == [(1, "backup", "done")]
              and "complete and verified" in st[0]["message"]))
PY
D backups -s NEXUS5MEDIA01 --json >"$T/b" 2>&1
check "it is in the library, under the phone's serial" \
	python3 -c "import json,sys; b=json.load(open(sys.argv[1]))['backups']; sys.exit(not (len(b) == 1 and b[0]['complete'] and b[0]['serial'] == 'NEXUS5MEDIA01'))" "$T/b"
D plan -s "$N5" media-crash --json >"$T/j" 2>"$T/e"
check "with it, the reset step no longer waits for a backup" \
	python3 - "$T/j" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["steps"][9]
sys.exit(not (s["action"] == "factory-reset" and "needs a backup" not in (s["blocked"] or "")))
PY
D diagnose -s "$N5" --json >"$T/j"
check "after the refusals the crash is still there (nothing was cleared)" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not any(f["id"] == "media-crash" for f in d["findings"]))
PY

# ---- the plan runs ----------------------------------------------------------------------
D fix -s "$N5" media-crash --without-backup --confirm IA01 --json >"$T/j" 2>"$T/e"
check "fix: exit 0" test $? -eq 0
check "fix: backup skipped, both providers cleared, the absent one skipped, reboot, fixed" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
st = [(s["step"], s["action"], s["status"]) for s in d["steps"]]
want = [(1, "backup", "skipped"), (2, "clear-data", "done"),
        (3, "clear-data", "skipped"), (4, "clear-data", "done"),
        (5, "reboot", "done")]
sys.exit(not (d["ok"] and d["fixed"] and st == want
              and "not installed" in d["steps"][2]["message"]
              and "back in adb" in d["steps"][4]["message"]
              and "re-checked after step 5" in d["message"]))
PY
check "fix --json: stdout is the JSON alone, nothing on stderr" \
	test ! -s "$T/e"
check "the phone went down once and came back (simulator status lines)" \
	sh -c "test \$(grep -c 'NEXUS5MEDIA01 down reboot' '$T/sim.out') -eq 1"
D diagnose -s "$N5" --json >"$T/j"
check "diagnose agrees: no media crash, no read-only /data any more" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = [f["id"] for f in d["findings"]]
sys.exit(not ("media-crash" not in ids and "data-read-only" not in ids))
PY
D fix -s "$N5" media-crash >"$T/o" 2>"$T/e"
check "fix again: nothing to fix, exit 0" \
	sh -c "test $? -eq 0 && grep -q 'media-crash does not hold on NEXUS5MEDIA01: nothing to fix' '$T/o'"

# ---- actions alone ----------------------------------------------------------------------
D action -s "$N5" clear-data 'package=com.x;reboot' --confirm IA01 >"$T/o" 2>"$T/e"
check "a package name with shell metacharacters: refused" \
	sh -c "test $? -eq 1 && grep -q \"'com.x;reboot' is not a package name\" '$T/e'"
D action -s "$N5" disable 'package=$(reboot)' --confirm IA01 >"$T/o" 2>"$T/e"
check "\$(...) in a package name: refused" \
	sh -c "test $? -eq 1 && grep -q 'is not a package name' '$T/e'"
check "and the phone never rebooted for them" \
	sh -c "test \$(grep -c 'NEXUS5MEDIA01 down' '$T/sim.out') -eq 1"
D action -s "$N5" uninstall package=com.android.systemui --confirm IA01 >"$T/o" 2>"$T/e"
check "removing System UI: refused as a core package" \
	sh -c "test $? -eq 1 && grep -q 'com.android.systemui is a core package' '$T/e'"
D action -s "$N5" disable package=com.whatsapp >"$T/o" 2>"$T/e"
check "disable without --confirm: refused" \
	sh -c "test $? -eq 1 && grep -q -- '--confirm IA01' '$T/e'"
pm_list -d
check "the app is still enabled" sh -c "! grep -q whatsapp '$T/pm'"
D action -s "$N5" disable package=com.whatsapp --confirm IA01 >"$T/o" 2>"$T/e"
check "disable with --confirm: done, and the undo is printed" \
	sh -c "test $? -eq 0 && grep -q 'com.whatsapp disabled' '$T/o' &&
	       grep -q 'undo: droidmedic action -s $N5 enable package=com.whatsapp' '$T/o'"
pm_list -d
check "pm on the phone lists it as disabled" grep -q '^package:com.whatsapp' "$T/pm"
D action -s "$N5" reset-app-prefs --confirm IA01 >"$T/o" 2>"$T/e"
check "reset-app-prefs: done" \
	sh -c "test $? -eq 0 && grep -q '1 disabled app enabled' '$T/o'"
pm_list -d
check "and pm lists no disabled app any more" sh -c "! grep -q package: '$T/pm'"
D action -s "$N5" uninstall package=com.whatsapp --confirm IA01 --json >"$T/j" 2>"$T/e"
check "uninstall (for the user) gives its undo" python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["ok"] and d["undo"] == "restore package=com.whatsapp"))
PY
pm_list -3
check "pm no longer lists it for the user" sh -c "! grep -q whatsapp '$T/pm'"
D action -s "$N5" restore package=com.whatsapp >"$T/o" 2>"$T/e"
check "restore: done" test $? -eq 0
pm_list -3
check "pm lists it again" grep -q '^package:com.whatsapp' "$T/pm"
D action -s "$N5" clear-cache package=com.google.android.gsf >"$T/o" 2>"$T/e"
check "clear-cache on Android 5: exit 1, says why and what to use" \
	sh -c "test $? -eq 1 && grep -q 'SDK 22 cannot clear' '$T/e' && grep -q trim-caches '$T/e'"
D action -s "$N5" clear-data package=com.not.installed --confirm IA01 >"$T/o" 2>"$T/e"
check "clear-data of an app that is not there: skipped, exit 0" \
	sh -c "test $? -eq 0 && grep -q '^skipped: com.not.installed is not installed' '$T/o'"
D action -s "$N5" reboot to=safe-mode >"$T/o" 2>"$T/e"
check "safe mode without root: refused with the Volume Down advice" \
	sh -c "test $? -eq 1 && grep -q 'Volume Down' '$T/e'"
D action -s "$N5" reboot to=nowhere >"$T/o" 2>"$T/e"
check "an unknown reboot target: refused" \
	sh -c "test $? -eq 1 && grep -q \"no reboot target 'nowhere'\" '$T/e'"
mkdir -p "$T/logs"
(cd "$T/logs" && D action -s "$N5" log-bundle --json) >"$T/j" 2>"$T/e"
check "log-bundle: exit 0, a .tar.gz named after the phone" \
	sh -c "test $? -eq 0 && ls '$T/logs'/droidmedic-logs-NEXUS5MEDIA01-*.tar.gz >/dev/null"
check "the bundle holds getprop, the crash buffer and NOTES naming what failed" \
	python3 - "$T/logs" <<'PY'
import glob, sys, tarfile
t = tarfile.open(glob.glob(sys.argv[1] + "/droidmedic-logs-*.tar.gz")[0])
names = {n.split("/", 1)[1]: n for n in t.getnames()}
prop = t.extractfile(names["getprop.txt"]).read().decode()
notes = t.extractfile(names["NOTES.txt"]).read().decode()
sys.exit(not ("[ro.serialno]: [NEXUS5MEDIA01]" in prop
              and "logcat-crash.txt" in names
              and "df -h: exit status 127" in notes
              and not glob.glob(sys.argv[1] + "/*.part")))
PY
D action -s "$N5" >"$T/o" 2>&1
check "action alone: usage with the list of actions and their risks" \
	sh -c "test $? -eq 2 && grep -q 'clear-data  *\[risk app-data\]' '$T/o' &&
	       grep -q 'reflash .*not carried out yet' '$T/o'"
D action -s "$N5" clear-data colour=red >"$T/o" 2>&1
check "a parameter the action does not take: usage error" \
	sh -c "test $? -eq 2 && grep -q 'clear-data takes package=VALUE' '$T/o'"

sim_end
done_testing
