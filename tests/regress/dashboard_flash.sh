#!/bin/bash
# dashboard_flash.sh - a whole ROM flashed from the dashboard, driven in
# tmux against droidmedic-sim's Xiaomi alioth in its bootloader: `F` asks
# for the package, its SHA-256 and the choice; Enter shows the dry run's
# gates and steps (a missing hash refused with its reason, nothing sent);
# a code that does not name the phone is refused; the right code queues
# the flash, whose end shows with the phone's jobs, the partitions byte
# for byte.  Then a flash cut mid-download (by the CLI) shows in the
# details pane as stopped, `F` opens filled in from the journal, the plan
# says where it resumes, and the resumed flash completes.  Last, the
# dialog lists the catalog's builds for a phone (newest first, the others
# a key away), downloads one into the firmware cache (a fetch job) and
# fills in the package and its hash; the second time it takes it from the
# cache.  Loopback only.
# TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/dashdemo.sh"
. "$top_srcdir/tests/lib/diagsim.sh"	# sim_start, port, profile_variant

ROM=$T/alioth.tgz
python3 "$top_srcdir/tests/lib/xiaomirom.py" "$ROM" alioth 1 ||
	bail "could not build the test package"
SHA=$(sha256sum "$ROM" | cut -c1-64)
AL=$PROFILES/fastboot/xiaomi_alioth.json
profile_variant "$AL" "$T/a.json" "p['serial'] = 'DASHFLASH001'
p['fastboot']['vars'] = {'max-download-size': '0x80000'}
p['props']['ro.build.version.incremental'] = 'V14.0.4.0.TKHMIXM'"
profile_variant "$AL" "$T/c.json" "p['serial'] = 'DASHFLASHCUT'
p['fastboot']['vars'] = {'max-download-size': '0x80000'}
p['props']['ro.build.version.incremental'] = 'V14.0.4.0.TKHMIXM'
p['faults'] = [{'type': 'close', 'when': 'download', 'after_bytes': 400000, 'once': True}]"
profile_variant "$AL" "$T/w.json" "p['serial'] = 'DASHFLASHWIP'
p['fastboot']['vars'] = {'max-download-size': '0x80000'}"
profile_variant "$AL" "$T/k.json" "p['serial'] = 'DASHFLASHCAT'
p['fastboot']['vars'] = {'max-download-size': '0x80000'}"
sim_start --strict --state "$T/sim" --ports-file "$T/ports" "$T/a.json" \
	"$T/c.json" "$T/w.json" "$T/k.json"
P=tcp:127.0.0.1:$(port DASHFLASH001)
C=tcp:127.0.0.1:$(port DASHFLASHCUT)
W=tcp:127.0.0.1:$(port DASHFLASHWIP)
K=tcp:127.0.0.1:$(port DASHFLASHCAT)
parts=$T/sim/DASHFLASH001/partitions

"$D" connect "$P" >"$T/o" 2>&1
"$D" connect "$C" >>"$T/o" 2>&1
"$D" connect "$W" >>"$T/o" 2>&1
"$D" connect "$K" >>"$T/o" 2>&1
check "the four phones are on the bench in fastboot" \
	test "$(grep -c 'fastboot, alioth' "$T/o")" -eq 4
tm new-session -d -s dm -x 150 -y 50 "$D; sleep 600"
check "the dashboard comes up" wait_for 10 has "droidmedic "
shown_fail() { [ "$tap_fail" -eq "${seen_fail:-0}" ] || { seen_fail=$tap_fail; diag "the screen:"; diag "$(screen)"; }; }
keys / "${P##*:}" Enter
check "filtered to the first phone" wait_for 10 has "${P#tcp:}"
keys F
check "F: the dialog asks for the package" \
	wait_for 5 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'Flash a firmware package onto 8d1cac2\|Flash a firmware package onto DASHFLASH001' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'Package: (type its path)'"
shown_fail
keys -l "$ROM"
keys Enter
check "no hash: the dry run refuses with the package gate's reason" \
	wait_for 30 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'package *refused *no SHA-256 to check' &&
	                   tmux -L '$TM' capture-pane -p -t dm | grep -q 'Nothing was sent'"
shown_fail
check "nothing was written" test ! -d "$parts"
keys Enter Down
keys -l "$SHA"
keys Enter
check "with the hash: every gate ok and the steps listed" \
	wait_for 30 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'package *ok *SHA-256 $SHA as expected' &&
	                   tmux -L '$TM' capture-pane -p -t dm | grep -q 'partitions *ok' &&
	                   tmux -L '$TM' capture-pane -p -t dm | grep -q 'erase *boot_ab' &&
	                   tmux -L '$TM' capture-pane -p -t dm | grep -q 'Type H001'"
shown_fail
check "still nothing written" test ! -d "$parts"
keys 9 9 9 9 Enter
check "a wrong code is refused" \
	wait_for 3 has '"9999" does not name this phone: type H001'
keys H 0 0 1 Enter
check "the right code: the flash runs as a job, the log says it flashed" \
	wait_for 60 has "flashrom: flashed: 22 steps in"
check "and the job ends done, the phone booted" \
	wait_for 30 has "the phone booted the package's build V14.0.4.0.TKHMIXM"
shown_fail
same=1
for f in abl_a:abl.elf abl_b:abl.elf super:super.img boot_a:boot.img \
    boot_b:boot.img cust:cust.img; do
	cmp -s "$parts/${f%%:*}.img" "$ROM.expect/${f#*:}" || same=0
done
check "the partitions hold the package's images byte for byte" test $same -eq 1

# ---- a flash that stopped, resumed from the dashboard ------------------------------
"$D" flash -s "$C" "$ROM" --sha256 "$SHA" --confirm HCUT >"$T/cut" 2>&1
check "the CLI's flash of the second phone is cut (exit 1)" test $? -eq 1
keys Escape
keys / "${C##*:}" Enter
check "its details say the flash stopped and F resumes it" \
	wait_for 10 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'alioth.tgz stopped at line [0-9]*.*F resumes it'"
shown_fail
keys F
check "F: filled in from the journal (the package, its hash, keep data)" \
	wait_for 5 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'A flash of this package stopped at line' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'Package: $ROM' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'SHA-256: $SHA' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'Data: *keep user data'"
shown_fail
keys Enter
check "the plan says where it resumes" \
	wait_for 30 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'Resumes at line [0-9]* of the script' &&
	                   tmux -L '$TM' capture-pane -p -t dm | grep -q 'Type HCUT'"
shown_fail
keys H C U T Enter
check "the resumed flash ends done" \
	wait_for 60 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'flashrom: flashed: steps 10-22 of 22 in .* (resumed'"
shown_fail
check "the journal says done" grep -q '"state":	"done"' \
	"$XDG_STATE_HOME/droidmedic/flash/DASHFLASHCUT.json"
same=1
for f in abl_a:abl.elf modem_a:NON-HLOS.bin modem_b:NON-HLOS.bin \
    super:super.img boot_b:boot.img; do
	cmp -s "$T/sim/DASHFLASHCUT/partitions/${f%%:*}.img" \
		"$ROM.expect/${f#*:}" || same=0
done
check "and the phone holds every image" test $same -eq 1

# ---- a wiping flash with no backup: the typed override ------------------------------
keys Escape
keys / "${W##*:}" Enter
check "filtered to the third phone" wait_for 10 has "${W#tcp:}"
keys F
check "F on it: the dialog keeps the last package and its hash" \
	wait_for 5 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'Package: $ROM' &&
	                  tmux -L '$TM' capture-pane -p -t dm | grep -q 'SHA-256: $SHA'"
keys Down Down Space
check "Space on the choice: wipe" wait_for 3 has "wipe user data (flash_all.sh)"
keys Enter
check "the dry run: only the backup gate refuses, and the override is offered" \
	wait_for 30 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'backup *refused *it erases user data' &&
	                   tmux -L '$TM' capture-pane -p -t dm | grep -q 'type WITHOUT BACKUP and Enter to go on'"
shown_fail
keys -l "without"
keys Enter
check "words other than the override are refused" \
	wait_for 3 has "type WITHOUT BACKUP to go on without a backup"
keys -l "without backup"
keys Enter
check "the override: planned again, the backup gate warns, the code is asked" \
	wait_for 30 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'backup *warn *it erases user data and there is no' &&
	                   tmux -L '$TM' capture-pane -p -t dm | grep -q 'This ERASES USER DATA' &&
	                   tmux -L '$TM' capture-pane -p -t dm | grep -q 'Type HWIP'"
shown_fail
check "nothing written yet" test ! -d "$T/sim/DASHFLASHWIP/partitions"
keys H W I P Enter
check "the wiping flash runs and ends" \
	wait_for 60 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'check by hand that it boots'"
shown_fail
check "userdata holds the package's" \
	cmp -s "$T/sim/DASHFLASHWIP/partitions/userdata.img" "$ROM.expect/userdata.img"
# ---- the catalog's build, downloaded from the dialog -----------------------------------
mkdir -p "$XDG_CONFIG_HOME/droidmedic/catalogs"
cat >"$XDG_CONFIG_HOME/droidmedic/catalogs/bench.json" <<JSON
{"catalog": 1, "name": "bench", "devices": [{"names": ["POCO F3"],
 "codenames": ["alioth"], "builds": [{"version": "V99.0.0.0.TEST",
 "region": "Global", "date": "2030-01-01", "type": "xiaomi-fastboot-tgz",
 "file": "alioth_test.tgz", "size": $(stat -c %s "$ROM"), "sha256": "$SHA",
 "urls": ["file://$T/missing.tgz", "file://$ROM"]},
 {"version": "V98.0.0.0.TEST", "region": "China", "carrier": "CMCC",
 "date": "2029-01-01", "type": "xiaomi-fastboot-tgz", "file": "old.tgz",
 "sha256": "$(printf '%064d' 0)", "urls": ["file://$T/old.tgz"]}]}]}
JSON
FW=$XDG_CACHE_HOME/droidmedic/firmware
keys Escape
keys / "${K##*:}" Enter
check "filtered to the fourth phone" wait_for 10 has "${K#tcp:}"
keys F
check "F: the dialog names the catalog's newest build for the phone" \
	wait_for 5 has "Catalog: POCO F3 V99.0.0.0.TEST (Global, 2030-01-01"
check "one of two it lists" has "[1 of 2]"
shown_fail
keys Down Down Down Space
check "Space on it: the other build, with its region and carrier" \
	wait_for 3 has "Catalog: POCO F3 V98.0.0.0.TEST (China, CMCC, 2029-01-01"
keys Left
check "Left: back to the newest" wait_for 3 has "V99.0.0.0.TEST (Global, 2030-01-01"
shown_fail
keys Enter
check "Enter on it: downloaded (past a missing mirror), checked, in the cache" \
	wait_for 30 has "Downloaded and checked, in the firmware cache"
shown_fail
check "the package and its hash are filled in" \
	sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'Package: $FW/$SHA.pkg' &&
	       tmux -L '$TM' capture-pane -p -t dm | grep -q 'SHA-256: $SHA'"
check "the cache holds the package byte for byte" cmp -s "$ROM" "$FW/$SHA.pkg"
keys Enter
check "the dry run of the downloaded package: the package gate passes" \
	wait_for 30 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q 'package *ok *SHA-256 $SHA as expected'"
shown_fail
keys Escape
keys F
check "F again: the build is in the cache" \
	wait_for 5 sh -c "tmux -L '$TM' capture-pane -p -t dm | grep -q '2030-01-01, .*in the cache'"
jobs_before=$("$D" jobs --json | python3 -c "import json,sys; print(len([j for j in json.load(sys.stdin) if j['kind'] == 'fetch']))")
keys C-u Down Down Down Enter
check "Enter on it takes the cached copy, no download" \
	wait_for 5 has "From the firmware cache: Enter plans the flash"
check "no second fetch job" test "$("$D" jobs --json | python3 -c "import json,sys; print(len([j for j in json.load(sys.stdin) if j['kind'] == 'fetch']))")" = "$jobs_before"
shown_fail
keys Escape
keys q
sim_end
done_testing
