#!/bin/bash
# dashboard_fastboot.sh - a phone in its bootloader, from the dashboard,
# driven in tmux against the demo phones.  The Pixel 7 Pro starts in its
# bootloader (its variables a real capture): `d` diagnoses it there from
# its variables; its in-bootloader finding shows why it is there (the
# capture's enter-reason) and a plan whose reboot runs while the reset
# waits for a backup; `f` asks for no code (nothing lost) and Enter runs
# the reboot as a bench-server job; the row turns adb, and the fresh
# diagnosis is of the booted phone.  Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/dashdemo.sh"

"$D" demo --json >"$T/demo.json" 2>"$T/demo.err"
check "demo start: exit 0" test $? -eq 0
PIX=$(json "print([x['serial'] for x in d['devices'] if x['mode'] == 'fastboot' and x['summary'].startswith('cheetah')][0])" \
	<"$T/demo.json" 2>/dev/null)
[ -n "$PIX" ] || bail "no Pixel in fastboot among the demo phones: $(cat "$T/demo.err")"
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
keys q
"$D" demo stop >/dev/null 2>&1
done_testing
