#!/bin/bash
# dashboard_modes.sh - the dashboard's `d` on phones that run nothing for
# us, driven in tmux: one in sideload and one whose user never taps
# "Allow USB debugging?" (droidmedic-sim, the Xiaomi 14's profile).  The
# findings come from the bench row: the sideload one says what it waits
# for, the unauthorized one shows this computer's key fingerprint as the
# phone's prompt shows it; every step is by hand, so `f` runs nothing and
# says why, without offering `s`.  Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/dashdemo.sh"
. "$top_srcdir/tests/lib/diagsim.sh"	# sim_start, port, profile_variant

X14=$PROFILES/xiaomi_14_houji.json
profile_variant "$X14" "$T/side.json" "p['serial'] = 'SIDELX140002'; p['mode'] = 'sideload'"
profile_variant "$X14" "$T/auth.json" "p['serial'] = 'UNAUTX140002'; p['auth'] = 'reject'"
sim_start --strict --state "$T/sim" --ports-file "$T/ports" \
	"$T/side.json" "$T/auth.json"
SIDE=127.0.0.1:$(port SIDELX140002) AUTH=127.0.0.1:$(port UNAUTX140002)

"$D" connect "$SIDE" >"$T/o" 2>&1
check "the sideload phone is on the bench" grep -q "sideload" "$T/o"
# Nobody answers the prompt: connect waits (60 s), the row is unauthorized.
"$D" connect "$AUTH" >"$T/auth.out" 2>&1 &
echo $! >"$T/connect.pid"
FP=$(key_fingerprint "$HOME/.android/adbkey.pub")

tm new-session -d -s dm -x 110 -y 45 "$D; sleep 600"
check "the dashboard comes up" wait_for 10 has "droidmedic "
keys / "${SIDE##*:}" Enter
check "filtered to the phone in sideload" \
	wait_for 5 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '^│>sideload *$SIDE '"
keys d
check "d: the sideload finding, from the row" \
	wait_for 20 has "waits for an update package (sideload) (in-sideload)"
check "its plan is by hand, and says how to leave" \
	sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'by hand: leave it: droidmedic reboot -s PHONE system' &&
	       tmux -L '$TM' capture-pane -p -t dm | grep -q 'cannot run here: done by hand, not by droidmedic'"
[ "$tap_fail" -eq 0 ] || { diag "the screen:"; diag "$(screen)"; }

keys / C-u "${AUTH##*:}" Enter
check "filtered to the unauthorized phone" \
	wait_for 10 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '^│>unauthorized *$AUTH '"
keys d
check "d: not allowed, with this computer's key fingerprint as evidence" \
	wait_for 20 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'this computer is not allowed to debug the phone (usb-debugging-unauthorized)' &&
	                   tmux -L '$TM' capture-pane -p -t dm | grep -q 'adb key fingerprint: $FP'"
[ "$tap_fail" -eq 0 ] || { diag "key $FP; the screen:"; diag "$(screen)"; }
keys f
check "f: nothing can run, and no step to pick" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'nothing can run: the plan stops before step 1 (by-hand): done by hand' &&
	                  ! tmux -L '$TM' capture-pane -p -t dm | grep -q 's picks one step' &&
	                  ! tmux -L '$TM' capture-pane -p -t dm | grep -q 'Run the plan?'"
"$D" jobs --json >"$T/jobs.json" 2>/dev/null
check "no fix job was queued" \
	json "assert not [j for j in d if j['kind'] == 'fix'], d" <"$T/jobs.json"

kill "$(cat "$T/connect.pid")" 2>/dev/null
keys q
"$D" server stop --force >/dev/null 2>&1
sim_end
done_testing
