#!/bin/bash
# dashboard_step.sh - one heavy step alone, from the dashboard, driven in
# tmux against the demo phones.  The LG V60 stuck in QMMI (its bootloader
# a real capture) is diagnosed with `d`; its plan runs only the harmless
# reboot and stops before the flash step, so `s` picks one step alone
# (each step that can run here in turn, then the plan again); `f` then
# asks for the phone's name with the flash risk spelled out, and the
# step runs as a bench-server job: into the bootloader, misc erased, back
# into Android, and the fresh diagnosis no longer finds the factory mode.
# Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/dashdemo.sh"
ids() { finding_ids "$V60"; }

"$D" demo --json >"$T/demo.json" 2>"$T/demo.err"
check "demo start: exit 0" test $? -eq 0
V60=$(json "print([x['serial'] for x in d['devices'] if x['mode'] == 'adb' and 'LM-V600' in x['summary']][0])" \
	<"$T/demo.json" 2>/dev/null)
[ -n "$V60" ] || bail "no V60 in adb among the demo phones: $(cat "$T/demo.err")"
check "the CLI sees it stuck in a factory boot mode" \
	sh -c "echo '$(ids)' | grep -qw factory-bootmode"

tm new-session -d -s dm -x 110 -y 45 "$D; sleep 600"
check "the dashboard comes up" wait_for 10 has "droidmedic "
check "the V60 is listed" wait_for 10 has "${V60##*:}"
keys / "${V60##*:}" Enter
check "filtered to it" wait_for 3 has "Devices 1/"

keys d
check "d: its findings, the factory mode first" \
	wait_for 20 has "> error    stuck in factory mode (a factory boot mode) (factory-bootmode)"
check "the plan runs the reboot only, stops before the flash step, and offers s" \
	sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'f runs the steps marked >, re-checking after each (s: one step alone)' &&
	       tmux -L '$TM' capture-pane -p -t dm | grep -q '>  1. none       reboot to system' &&
	       tmux -L '$TM' capture-pane -p -t dm | grep -q '    2. flash      clear-bootmode' &&
	       tmux -L '$TM' capture-pane -p -t dm | grep -q 'stops before step 2 (clear-bootmode)'"

# ---- s: the plan, step 1, step 2, and round again -------------------------------------
keys s
check "s: step 1 alone" wait_for 3 has "f runs step 1 alone, then re-checks"
keys f
check "f on the reboot step: nothing to type, Enter runs it" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'Run this step?' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'Nothing here loses data: Enter runs it, Esc cancels.' &&
	                  ! tmux -L '$TM' capture-pane -p -t dm | grep -q 'Type MI01'"
keys Escape
keys s
check "s again: step 2 alone, marked" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'f runs step 2 alone' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q '>  2. flash      clear-bootmode' &&
	                  ! tmux -L '$TM' capture-pane -p -t dm | grep -q '>  1. none'"
keys s
check "s past the last step that can run (reflash cannot): the plan again" \
	wait_for 3 has "f runs the steps marked >, re-checking after each (s: one step alone)"
keys f
check "f on a one-step plan: 'Step 1 runs', not 'Steps 1 to 1'" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'Run the plan?' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'Step 1 runs, then the finding is re-checked:' &&
	                  ! tmux -L '$TM' capture-pane -p -t dm | grep -q 'Steps 1 to 1'"
keys Escape
keys s s
wait_for 3 has "f runs step 2 alone"

# ---- f: the dialog for one flash step -------------------------------------------------
keys f
check "f: one step, its flash risk spelled out, the code to type" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'Run this step?' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'Step 2 runs alone, then the finding is re-checked' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q '2. \[flash\] clear-bootmode' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'A flash step writes below Android: partitions, or /efs' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'Type MI01'"
keys Escape
check "Esc: nothing queued, still in QMMI" \
	sh -c "! '$D' jobs --json | grep -q '\"fix\"' && echo '$(ids)' | grep -qw factory-bootmode"
keys f
wait_for 3 has "Run this step?"
keys MI01 Enter
check "MI01: step 2 runs and the re-check says fixed" \
	wait_for 90 has "fixed: factory-bootmode no longer holds on LMV600QMMI01"
check "its outcome: misc erased, booted normally" \
	wait_for 5 has "2. done     clear-bootmode: misc erased; the phone booted again with ro.bootmode=normal"
check "the fresh diagnosis no longer lists the factory mode" \
	wait_for 20 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'diagnosed' &&
	                   ! tmux -L '$TM' capture-pane -p -t dm | grep -q '(factory-bootmode)$'"
"$D" jobs --json >"$T/jobs.json" 2>/dev/null
fixjob=$(json "print([j['id'] for j in d if j['kind'] == 'fix'][-1])" <"$T/jobs.json")
"$D" jobs attach "$fixjob" --json >"$T/attach.json" 2>/dev/null
check "the job ran step 2 only, done" \
	json "s = [(x['step'], x['status']) for x in d['steps']]; \
assert d['fixed'] and s == [(2, 'done')], d" <"$T/attach.json"
check "droidmedic diagnose agrees" sh -c "! echo '$(ids)' | grep -qw factory-bootmode"
keys q
"$D" demo stop >/dev/null 2>&1
done_testing
