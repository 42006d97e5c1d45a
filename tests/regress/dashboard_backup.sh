#!/bin/bash
# dashboard_backup.sh - backups in the dashboard, driven in tmux against
# droidmedic-sim (the Xiaomi 14's profile with a small storage tree):
# `b` shows the categories (each with what the phone holds and a backup
# would copy, from a dry run) and where it goes, Space unticks one,
# Enter queues the job, whose end shows with the phone's jobs; the
# backups view (`v` twice) lists it with what each category holds; `r`
# shows what a restore pushes by category, Space unticks one, a code that
# does not name the phone is refused; the right code restores what is
# ticked only, then everything, the deleted file byte for byte; a backup
# of the APKs made by the CLI shows in the view, and `r` with apks ticked
# (unticked at first) installs the uninstalled app again.  Loopback
# only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/dashdemo.sh"
. "$top_srcdir/tests/lib/diagsim.sh"	# sim_start, port, profile_variant

X14=$PROFILES/xiaomi_14_houji.json
profile_variant "$X14" "$T/bk.json" "p['serial'] = 'DASHBKX14003'
p['storage'] = [
  {'path': '/sdcard/DCIM/Camera/IMG_1.jpg', 'size': 300000, 'seed': 5, 'mtime': 1700000000},
  {'path': '/sdcard/DCIM/Camera/IMG_2.jpg', 'size': 200000, 'seed': 6, 'mtime': 1700000001},
  {'path': '/sdcard/Movies/clip.mp4', 'size': 500000, 'seed': 7, 'mtime': 1700000002},
  {'path': '/sdcard/Documents/notes.txt', 'text': 'remember the milk\\n', 'mtime': 1700000003}]
p.setdefault('packages', {})['org.example.notes'] = {'type': 'user', 'splits': ['config.en']}"
sim_start --strict --state "$T/sim" --ports-file "$T/ports" "$T/bk.json"
P=127.0.0.1:$(port DASHBKX14003)
ST=$T/sim/DASHBKX14003/storage
export DROIDMEDIC_BACKUPS=$T/lib

"$D" connect "$P" >"$T/o" 2>&1
"$D" devices --json >"$T/d.json" 2>/dev/null
check "the phone is on the bench" \
	json "assert any(x['serial'] == '$P' and x['mode'] == 'adb' for x in d['devices']), d" <"$T/d.json"
shown_fail() { [ "$tap_fail" -eq "${seen_fail:-0}" ] || { seen_fail=$tap_fail; diag "the screen:"; diag "$(screen)"; }; }
tm new-session -d -s dm -x 110 -y 45 "$D; sleep 600"
check "the dashboard comes up" wait_for 10 has "droidmedic "
keys / "${P##*:}" Enter
check "filtered to the phone" \
	wait_for 10 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '^│>adb *$P '"
keys b
check "b: the categories, ticked but apks, and where it goes" \
	wait_for 5 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'Back up DASHBKX14003 to $T/lib' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q '\[x\] photos' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q '\[ \] apks' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'No backup of it yet'"
check "the dialog lists the phone: each category's files and size, what it would copy" \
	wait_for 20 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'photos .* 2 files, 500000 bytes (2 to copy)' &&
	                   tmux -L '$TM' capture-pane -p -t dm | grep -q 'videos .* 1 files, 500000 bytes (1 to copy)'"
shown_fail
keys Down Space
check "Space unticks the category under the cursor (videos)" \
	wait_for 3 has "[ ] videos"
keys Enter
check "Enter: the job ends with the backup complete and verified" \
	wait_for 30 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'backup: done .*backup DASHBKX14003-.* complete and verified: 3 files'"
shown_fail
"$D" backups --json >"$T/b.json" 2>/dev/null
check "the library has it, without the videos (the estimate wrote nothing)" \
	json "b = d['backups']; assert len(b) == 1 and b[0]['complete'] and b[0]['files'] == 3 and 'videos' not in b[0]['categories'] and 'photos' in b[0]['categories'], b" <"$T/b.json"
keys v v
check "v v: the backups view lists it, by category" \
	wait_for 5 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'Backups of DASHBKX14003 in $T/lib: 1' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -qE '^│ +photos +2 ' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -qE '^│ +documents +1 '"
shown_fail
cp "$ST/DCIM/Camera/IMG_2.jpg" "$T/img2"
rm -f "$ST/DCIM/Camera/IMG_2.jpg"
keys r
check "r: what it pushes, by category, and the code it wants" \
	wait_for 5 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'Restore DASHBKX14003-.* onto DASHBKX14003' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'It pushes 3 item(s)' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q '\[x\] photos' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'type 4003'"
keys Space
check "Space unticks the photos: it pushes the document alone" \
	wait_for 3 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '\[ \] photos' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'It pushes 1 item(s)'"
keys 9 9 9 9 Enter
check "a wrong code is refused, nothing pushed" \
	sh -c "sleep 0.5; tmux -L '$TM' capture-pane -p -t dm | grep -q '\"9999\" does not name this phone' &&
	       test ! -e '$ST/DCIM/Camera/IMG_2.jpg'"
keys 4 0 0 3 Enter
check "the right code restores what is ticked only" \
	wait_for 30 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'restore: done .*restored 1 of 1' &&
	                   test ! -e '$ST/DCIM/Camera/IMG_2.jpg'"
shown_fail
keys v v
wait_for 5 has "Backups of DASHBKX14003"
keys r
wait_for 5 has "It pushes 3 item(s)"
keys 4 0 0 3 Enter
check "all of it: the deleted photo back byte for byte" \
	wait_for 30 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'restore: done .*restored 3 of 3' &&
	                   cmp -s '$T/img2' '$ST/DCIM/Camera/IMG_2.jpg'"
shown_fail
# ---- apps: a backup of the APKs made by the CLI, installed again from r ----
"$D" backup -s "$P" --only apks >"$T/ba" 2>&1
check "the CLI backs the APKs up (exit 0)" test $? -eq 0
"$D" shell -s "$P" -- pm uninstall org.example.notes >"$T/o" 2>&1
check "the app is uninstalled" grep -q "^Success" "$T/o"
keys v v
check "the backups view shows the CLI's backup too (2 of them)" \
	wait_for 5 has "Backups of DASHBKX14003 in $T/lib: 2"
shown_fail
keys r
check "r on it: apks, unticked, with what ticking it does" \
	wait_for 5 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '\[ \] apks .*(installs the apps again)'"
shown_fail
keys Space
check "Space ticks it" wait_for 3 has "It pushes 2 item(s)"
keys 4 0 0 3 Enter
check "the restore installs the app again" \
	wait_for 30 has "1 of 1 app(s) installed"
shown_fail
"$D" shell -s "$P" -- pm path org.example.notes >"$T/o" 2>&1
check "pm path names its base and split again" \
	test "$(grep -c '^package:/data/app/org.example.notes-1/' "$T/o")" -eq 2
keys q
"$D" server stop --force >/dev/null 2>&1
sim_end
done_testing
