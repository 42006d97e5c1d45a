#!/bin/bash
# dashboard_fastboot.sh - a phone in its bootloader, from the dashboard,
# driven in tmux against the demo phones.  The Pixel 7 Pro starts in its
# bootloader (its variables a real capture): `d` diagnoses it there from
# its variables; its in-bootloader finding shows why it is there (the
# capture's enter-reason) and a plan whose reboot runs while the reset
# waits for a backup; `f` asks for no code (nothing lost) and Enter runs
# the reboot as a bench-server job; the row turns adb, and the fresh
# diagnosis is of the booted phone.  Then the wipe: on the alioth, also
# in its bootloader, `s` picks the factory reset (which needs a backup
# none can make), the dialog says that no backup is made and what is
# lost, a wrong code runs nothing, the right one erases userdata in the
# bootloader and the result says why the phone is not re-checked.
# Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/dashdemo.sh"

"$D" demo --json >"$T/demo.json" 2>"$T/demo.err"
check "demo start: exit 0" test $? -eq 0
PIX=$(json "print([x['serial'] for x in d['devices'] if x['mode'] == 'fastboot' and x['summary'].startswith('cheetah')][0])" \
	<"$T/demo.json" 2>/dev/null)
ALI=$(json "print([x['serial'] for x in d['devices'] if x['mode'] == 'fastboot' and x['summary'].startswith('alioth')][0])" \
	<"$T/demo.json" 2>/dev/null)
[ -n "$PIX" ] && [ -n "$ALI" ] ||
	bail "no Pixel or alioth in fastboot among the demo phones: $(cat "$T/demo.err")"
check "the CLI diagnoses it in its bootloader, by its row's name" \
	sh -c "echo '$(finding_ids "$PIX")' | grep -qw in-bootloader"

tm new-session -d -s dm -x 110 -y 45 "$D; sleep 600"
check "the dashboard comes up" wait_for 10 has "droidmedic "
keys / "${PIX##*:}" Enter
check "filtered to the Pixel, in fastboot" \
	wait_for 5 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '^│>fastboot *$PIX '"

keys d
check "d: diagnosed from its variables, named as in its bootloader" \
	wait_for 20 has "28191FDH300AZK (cheetah, in its bootloader), diagnosed"
check "its findings: unlocked, in its bootloader" \
	sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'info     bootloader unlocked (bootloader-unlocked)' &&
	       tmux -L '$TM' capture-pane -p -t dm | grep -q 'info     in its bootloader (fastboot), not in Android (in-bootloader)'"
keys Down
check "in-bootloader: why it is there, from its variables" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'evidence from .getvar enter-reason.' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'enter-reason: reboot bootloader'"
check "its plan: the reboot runs, the reset waits for a backup" \
	sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '>  1. none       reboot to system' &&
	       tmux -L '$TM' capture-pane -p -t dm | grep -q 'stops before step 2 (factory-reset) erases user data'"
[ "$tap_fail" -eq 0 ] || { diag "the screen:"; diag "$(screen)"; }

keys f
check "f: nothing lost, so no code to type" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'Run the plan?' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'Nothing here loses data: Enter runs it, Esc cancels.' &&
	                  ! tmux -L '$TM' capture-pane -p -t dm | grep -q 'Type 0AZK'"
keys Enter
check "Enter: the reboot runs, and the boot says fixed" \
	wait_for 60 has "fixed: 28191FDH300AZK left fastboot and booted Android after step 1"
check "the row is in adb now" \
	wait_for 10 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '^│>adb *$PIX '"
check "and the fresh diagnosis is of the booted phone" \
	wait_for 20 has "28191FDH300AZK (Pixel 7 Pro), diagnosed"
"$D" jobs --json >"$T/jobs.json" 2>/dev/null
check "the fix was a job of the bench server, done" \
	json "assert [j['state'] for j in d if j['kind'] == 'fix'] == ['done'], d" <"$T/jobs.json"
# ---- the wipe, on the alioth -------------------------------------------------------------------
keys / C-u "${ALI##*:}" Enter
wait_for 5 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '^│>fastboot *$ALI '"
keys d
wait_for 20 has "8d1cac2 (alioth, in its bootloader), diagnosed"
keys Down s s
check "s s: the reset picked, to run without a backup" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'f runs step 2 alone, without a backup' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q '>  2. user-data  factory-reset via fastboot'"
keys f
check "f: the loss spelled out, the code asked for" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'No backup of this phone from the last 12 hours: what is on it is lost.' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'A user-data step erases the phone.s user data.' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'Type cac2'"
keys 0AZK Enter
check "a wrong code: refused, nothing queued" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '\"0AZK\" does not name this phone: type cac2' &&
	                  test \"\$('$D' jobs --json | grep -c '\"fix\"')\" -eq 1"
keys cac2 Enter
check "cac2: userdata erased in the bootloader, not re-checked, and why" \
	wait_for 60 sh -c "tmux -L '$TM' capture-pane -p -t dm | tr -d '│\n' | tr -s ' ' |
	                   grep -q 'step 2 (factory-reset) done: erased userdata, metadata in the bootloader.*USB debugging off'"
"$D" jobs --json >"$T/jobs.json" 2>/dev/null
check "the reset was a fix job with step 2 only, without a backup" \
	json "j = [x for x in d if x['kind'] == 'fix']; assert len(j) == 2 and j[-1]['state'] == 'done', d" \
	<"$T/jobs.json"
keys q
"$D" demo stop >/dev/null 2>&1
done_testing
