#!/bin/bash
# dashboard_fix.sh - diagnose and repair through the dashboard, driven in
# tmux against the demo phones (droidmedic-sim with the shipped profiles,
# real captures).  The Nexus 5 whose android.process.media keeps stopping
# is diagnosed with `d` (a bench-server job), its findings and evidence
# shown; `f` opens the plan with each step's risk and asks for the
# phone's name: a wrong one is refused and Esc runs nothing (the phone
# still crashes), the right one runs the plan as a server job with its
# steps in the log, and the dashboard's fresh diagnosis and the CLI's
# both say the crash is gone.  Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/dashdemo.sh"
cli_ids() { finding_ids "$N5"; }

"$D" demo --json >"$T/demo.json" 2>"$T/demo.err"
check "demo start: exit 0" test $? -eq 0
N5=$(json "print([x['serial'] for x in d['devices'] if 'Nexus 5' in x['summary']][0])" \
	<"$T/demo.json" 2>/dev/null)
check "the Nexus 5 with the media crash is a demo phone" test -n "$N5"
[ -n "$N5" ] || bail "no Nexus 5 among the demo phones: $(cat "$T/demo.err")"
check "the CLI sees its media crash" sh -c "echo '$(cli_ids)' | grep -qw media-crash"

# The dashboard, filtered down to the Nexus by its port.
tm new-session -d -s dm -x 100 -y 40 "$D; sleep 600"
check "the dashboard comes up" wait_for 10 has "droidmedic "
check "the Nexus is listed" wait_for 10 has "${N5##*:}"
keys / "${N5##*:}" Enter
check "filtered to it" wait_for 3 has "Devices 1/"
check "the key bar offers diagnose and fix" \
	sh -c "tmux -L '$TM' capture-pane -p -t dm | tail -1 | grep -q 'd diagnose  f fix'"

# ---- d: diagnose -------------------------------------------------------------
keys d
check "d: the findings view, the phone named by its own serial" \
	wait_for 20 has "NEXUS5MEDIA01 (Nexus 5), diagnosed"
check "both findings listed, the worst first" \
	sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -A1 'critical the data partition is read-only' |
	       grep -q 'error    android.process.media keeps stopping (media-crash)'"
check "the selected finding's evidence, with the command it came from" \
	has 'evidence from `logcat -b crash -d`'
keys Down
check "Down selects the media crash and shows its crash line" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '> error    android.process.media' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'Process: android.process.media'"
check "its plan: backup first, the providers' data marked app-data, to run" \
	sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '>  1. none       backup' &&
	       tmux -L '$TM' capture-pane -p -t dm | grep -q '>  2. app-data   clear-data package com.android.providers.media'"
keys NPage
check "further down, the steps that cannot run here say why" \
	wait_for 3 has "cannot run here: not carried out yet"
keys Home

# ---- f: the confirmation --------------------------------------------------------
keys f
check "f: the dialog names the phone and the steps with their risks" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'Run the plan?' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'on NEXUS5MEDIA01 (Nexus 5)' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q '4. \[app-data\] clear-data package com.android.providers.downloads'"
check "it makes a backup first, and says what to type" \
	sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q ' 1. \[none\] backup what media' &&
	       tmux -L '$TM' capture-pane -p -t dm | grep -q 'Type IA01'"
keys 0000 Enter
check "a code naming another phone is refused" \
	wait_for 3 has '"0000" does not name this phone: type IA01'
keys Escape
check "Esc closes the dialog" wait_for 3 lacks "Run the plan?"
"$D" jobs --json >"$T/jobs.json" 2>/dev/null
check "nothing was queued" \
	json "assert not [j for j in d if j['kind'] == 'fix'], d" <"$T/jobs.json"
check "and the phone still crashes" sh -c "echo '$(cli_ids)' | grep -qw media-crash"

# ---- the plan runs ----------------------------------------------------------------
keys f
wait_for 3 has "Run the plan?"
keys IA01 Enter
check "IA01: the fix runs and ends fixed, re-checked after the reboot" \
	wait_for 90 has "fixed: media-crash no longer holds on NEXUS5MEDIA01"
check "the fresh diagnosis lists neither finding" \
	wait_for 20 has "No rule fires"
check "each step's outcome is listed, the backup first" \
	sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q ' 1. done     backup: backup NEXUS5MEDIA01-.* complete and verified' &&
	       tmux -L '$TM' capture-pane -p -t dm | grep -q ' 3. skipped  clear-data: com.google.android.providers.media.module is not installed' &&
	       tmux -L '$TM' capture-pane -p -t dm | grep -q ' 5. done     reboot: rebooted into system and back in adb'"
"$D" jobs --json >"$T/jobs.json" 2>/dev/null
check "the fix was a bench-server job, done" \
	json "f = [j for j in d if j['kind'] == 'fix']; \
assert len(f) == 1 and f[0]['state'] == 'done', d" <"$T/jobs.json"
check "droidmedic diagnose agrees: no media crash" \
	sh -c "! echo '$(cli_ids)' | grep -qw media-crash"
fixjob=$(json "print([j['id'] for j in d if j['kind'] == 'fix'][0])" <"$T/jobs.json")
"$D" jobs attach "$fixjob" --json >"$T/attach.json" 2>/dev/null
check "jobs attach gives the fix's result: fixed, the reboot done" \
	json "s = [(x['step'], x['status']) for x in d['steps']]; \
assert d['fixed'] and s[-1] == (5, 'done') and d['before'] == 'present', d" <"$T/attach.json"

# ---- v: back to the details -------------------------------------------------------
keys v
check "v shows the phone's backups: the one the plan's first step made" \
	wait_for 3 has "Backups of NEXUS5MEDIA01 in $HOME/.local/share/droidmedic/backups: 1"
keys v
check "v again shows the phone's details" wait_for 3 has "Details ·"
keys q
check "q leaves the dashboard" wait_for 5 lacks "server pid"

# ---- hostile requests to the new ops: refused before any job -----------------
sock=$XDG_RUNTIME_DIR/droidmedic/server.sock
python3 - "$sock" "$N5" >"$T/raw" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
f = s.makefile("rwb")
dev = sys.argv[2]
for i, p in enumerate([
        {"op": "fix", "params": {"device": dev}},
        {"op": "fix", "params": {"device": dev, "finding": 7}},
        {"op": "fix", "params": {"device": dev, "finding": "media-crash", "step": "1"}},
        {"op": "fix", "params": {"device": dev, "finding": "media-crash", "step": 2.5}},
        {"op": "fix", "params": {"device": dev, "finding": "x" * 5000}},
        {"op": "fix", "params": {"device": dev, "finding": "media-crash", "outdir": "rel"}},
        {"op": "diagnose", "params": {"device": dev, "rules": "data/rules"}},
        {"op": "diagnose", "params": {"device": "no-such-phone"}}]):
    p.update({"v": 1, "id": i + 1})
    f.write(json.dumps(p).encode() + b"\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            break
    print(r.get("ok"), r.get("error", {}).get("message", "") if isinstance(r.get("error"), dict) else r.get("message", r.get("error")))
PY
check "eight bad fix/diagnose requests, eight refusals" \
	test "$(grep -c '^False' "$T/raw")" -eq 8
"$D" jobs --json >"$T/jobs.json" 2>/dev/null
check "and no job came of them" \
	json "assert len([j for j in d if j['kind'] == 'fix']) == 1 and \
len([j for j in d if j['kind'] == 'diagnose']) == 2, d" <"$T/jobs.json"
diag "$(cat "$T/raw")"

# ---- the same fix from the CLI, whose terminal goes away mid-plan -------------
# A fresh demo brings the Nexus back with its crash (the simulator keeps
# its state in memory).
"$D" demo stop >/dev/null 2>&1
"$D" demo --json >"$T/demo.json" 2>"$T/demo.err"
N5=$(json "print([x['serial'] for x in d['devices'] if 'Nexus 5' in x['summary']][0])" \
	<"$T/demo.json" 2>/dev/null)
check "a new demo: the Nexus crashes again" sh -c "echo '$(cli_ids)' | grep -qw media-crash"
"$D" fix -s "$N5" media-crash --without-backup --confirm IA01 >"$T/fix.out" 2>"$T/fix.err" &
fixpid=$!
# Hang up on it as soon as its job runs (the reboot alone takes a second).
state=
for _ in $(seq 100); do
	state=$("$D" jobs --json 2>/dev/null |
		json "f = [j for j in d if j['kind'] == 'fix' and j['state'] != 'done']; print(f[-1]['state'] if f else '')" 2>/dev/null)
	[ "$state" = running ] && break
	sleep 0.1
done
kill -HUP "$fixpid" 2>/dev/null
wait "$fixpid" 2>/dev/null
check "the CLI was hung up on while its fix ran" test "$state" = running
check "it said the job goes on, and how to follow it" grep -q "droidmedic jobs attach" "$T/fix.err"
fixjob=$("$D" jobs --json | json "print([j['id'] for j in d if j['kind'] == 'fix'][-1])")
"$D" jobs attach "$fixjob" >"$T/attach.out" 2>"$T/attach.err"
check "jobs attach: the fix went on to the end, fixed (exit 0)" \
	sh -c "test $? -eq 0 && grep -q 'fixed: media-crash no longer holds' '$T/attach.out'"
check "and the phone no longer crashes" sh -c "! echo '$(cli_ids)' | grep -qw media-crash"
"$D" demo stop >/dev/null 2>&1
done_testing
