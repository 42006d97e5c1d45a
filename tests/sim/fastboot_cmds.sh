#!/bin/bash
# fastboot_cmds.sh - `droidmedic fastboot -s SERIAL COMMAND` against
# droidmedic-sim over TCP: erase, set_active, boot, oem, flashing,
# snapshot-update and the logical partition commands.  Each is checked
# by its effect on the simulated phone (partition files, variables, the
# commands the simulator logged), and so is each refusal: the plan and
# the typed confirmation, the preconditions checked on the phone before
# anything is sent (unknown partition, logical partition outside
# fastbootd, locked bootloader, OEM unlocking off, a slot the phone does
# not have, an image over max-download-size), and a FAIL shown in the
# phone's own words.  Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/fbsim.sh"
command -v python3 >/dev/null || bail "python3 is needed"

. "$top_srcdir/tests/lib/ports.sh"
base=$(free_base 8)
[ -n "$base" ] || bail "no free ports in 15000-15999"

# The Pixel with a 4 MiB download limit; two locked copies of it, one
# whose owner switched OEM unlocking on and one who did not; the LG (it
# has fastbootd) with an update pending.
python3 - "$PROFILES" "$T" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
def variant(base, name, serial=None, **vars):
    p = json.load(open("%s/%s.json" % (src, base)))
    p["fastboot"]["vars"] = vars
    if serial:
        p["serial"] = serial
    json.dump(p, open("%s/%s.json" % (out, name), "w"))
variant("google_pixel7pro_cheetah", "pixel", **{"max-download-size": "0x400000"})
variant("google_pixel7pro_cheetah", "locked", "LOCKEDPIXEL2", unlocked="no")
variant("google_pixel7pro_cheetah", "nounlock", "NOUNLOCKPIX1", unlocked="no",
        get_unlock_ability="0")
variant("lg_v60_thinq", "lg", **{"snapshot-update-status": "snapshotted"})
PY

sim_start -v --strict --state "$T/state" --ports-file "$T/ports" \
	--port-base $((base + 1)) "$T/pixel.json" "$T/locked.json" \
	"$T/nounlock.json" "$T/lg.json"
PIX=tcp:127.0.0.1:$(port "$PIX_SN")
LCK=tcp:127.0.0.1:$(port LOCKEDPIXEL2)
NOU=tcp:127.0.0.1:$(port NOUNLOCKPIX1)
LG=tcp:127.0.0.1:$(port "$LG_SN")
D() { timeout 60 "$DROIDMEDIC" --no-autostart "$@"; }
FB() { D fastboot "$@"; }
parts=$T/state/$PIX_SN/partitions
lparts=$T/state/LOCKEDPIXEL2/partitions
last4=${PIX_SN: -4}
# The simulator logs every command it gets (-v): how many of one kind.
sent() { grep -c "fastboot $1" "$T/sim.err"; }
flat() { tr '\n' ' ' <"$1" | tr -s ' '; }	# the plan's wrapped lines as one
js() {	# js FILE PYTHON-EXPR: the expression over d, the JSON object
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"
}

# ---- usage ----------------------------------------------------------------------
D fastboot >/dev/null 2>"$T/e"
check "no command: exit 2" test $? -eq 2
check "it lists the commands" grep -q "create-logical-partition NAME SIZE" "$T/e"
FB -s "$PIX" frobnicate >/dev/null 2>&1
check "an unknown command: exit 2" test $? -eq 2
FB -s "$PIX" erase >/dev/null 2>"$T/e"
check "erase without a partition: exit 2 with its usage" grep -q "usage: fastboot -s SERIAL erase PARTITION" "$T/e"
FB -s "$PIX" set_active b --slot a >/dev/null 2>"$T/e"
check "--slot with set_active: exit 2" grep -q "takes no --slot" "$T/e"
FB -s "$PIX" flashing unlock_everything >/dev/null 2>&1
check "flashing with an unknown verb: exit 2" test $? -eq 2
FB -s "$PIX" create-logical-partition x_a lots >/dev/null 2>"$T/e"
check "a size that is no size: exit 2" grep -q "bad size 'lots'" "$T/e"

# ---- erase ------------------------------------------------------------------------
head -c 300001 /dev/urandom >"$T/small.raw"
D fastboot-flash -s "$PIX" boot "$T/small.raw" --confirm "$last4" >/dev/null 2>&1
D fastboot-flash -s "$PIX" dtbo "$T/small.raw" --slot all --confirm "$last4" >/dev/null 2>&1
check "(set-up) boot_a and both dtbo hold an image" sh -c "cmp -s '$T/small.raw' '$parts/boot_a.img' &&
	cmp -s '$T/small.raw' '$parts/dtbo_a.img' && cmp -s '$T/small.raw' '$parts/dtbo_b.img'"
erases=$(sent erase:)
FB -s "$PIX" erase boot >"$T/o" 2>"$T/e"
check "erase without --confirm: exit 1" test $? -eq 1
check "the plan names the phone" grep -q "^Plan: fastboot erase boot on $PIX_SN (cheetah)" "$T/o"
check "its serial, mode, lock state and slot" sh -c "grep -q 'cheetah, serial $PIX_SN, in the bootloader' '$T/o' &&
	grep -q 'bootloader unlocked, slot a (of 2)' '$T/o'"
check "the step: the current slot's partition, with its size" grep -q "step 1 *erase boot_a (64.0 MiB)" "$T/o"
check "and its risk" grep -q "risk high: everything on boot_a is gone" "$T/o"
check "it says nothing was done and how to confirm" \
	grep -q "nothing was done: to go on, run this again with --confirm $last4" "$T/e"
check "boot_a is intact" cmp -s "$T/small.raw" "$parts/boot_a.img"
check "and no erase reached the phone" test "$(sent erase:)" -eq "$erases"
FB -s "$PIX" erase boot --confirm WXYZ >"$T/o" 2>"$T/e"
check "a --confirm naming another phone: exit 1" test $? -eq 1
check "it says so" grep -q "does not name this phone (serial $PIX_SN)" "$T/e"
check "boot_a is still intact" cmp -s "$T/small.raw" "$parts/boot_a.img"
FB -s "$PIX" erase boot --json >"$T/j" 2>/dev/null
check "--json without --confirm: ECONFIRM carrying the plan" js "$T/j" "
d['ok'] is False and d['error'] == 'ECONFIRM' and d['serial'] == '$PIX_SN'
and d['command'] == 'erase' and d['args'] == ['boot'] and d['steps_done'] == 0
and d['plan']['destructive'] is True and d['plan']['steps'][0]['command'] == 'erase:boot_a'
and d['plan']['steps'][0]['risk'] == 'high' and d['plan']['phone']['product'] == 'cheetah'
and d['plan']['phone']['unlocked'] is True and d['plan']['phone']['current_slot'] == 'a'
and d['plan']['phone']['userspace'] is False and 'nothing was done' in d['message']"
FB -s "$PIX" erase boot --confirm "$last4" >"$T/o" 2>"$T/e"
check "erase with the last four: exit 0" test $? -eq 0
check "it says what it erased" grep -qx "erased boot_a" "$T/o"
check "boot_a is empty now" test -e "$parts/boot_a.img" -a ! -s "$parts/boot_a.img"
check "the phone got erase:boot_a" grep -q "fastboot erase:boot_a$" "$T/sim.err"
FB -s "$PIX" erase dtbo --slot all --confirm "$PIX_SN" >"$T/o" 2>&1
check "erase --slot all: both slots erased" sh -c "test ! -s '$parts/dtbo_a.img' && test ! -s '$parts/dtbo_b.img'"
check "two steps in the plan" sh -c "grep -q 'step 1 *erase dtbo_a' '$T/o' && grep -q 'step 2 *erase dtbo_b' '$T/o'"
erases=$(sent erase:)
FB -s "$PIX" erase nosuchpart --confirm "$last4" >"$T/o" 2>&1
check "a partition the phone does not know: exit 1" test $? -eq 1
check "refused in our words, with --force as the way" \
	grep -q "nothing was done: the phone does not know a partition nosuchpart.*--force" "$T/o"
check "before anything was sent" test "$(sent erase:)" -eq "$erases"
FB -s "$PIX" erase nosuchpart --confirm "$last4" --force >"$T/o" 2>&1
check "--force sends it: exit 1" test $? -eq 1
check "and the phone's FAIL is shown in its words" \
	grep -q "erase nosuchpart: the phone said: Partition not found; nothing was done" "$T/o"
erases=$(sent erase:)
FB -s "$PIX" erase system --confirm "$last4" >"$T/o" 2>&1
check "a logical partition from the bootloader is refused" \
	grep -q "system_a is a logical partition (inside super): the bootloader cannot erase it" "$T/o"
check "with the way out" grep -q "droidmedic reboot -s $PIX fastboot" "$T/o"
check "before anything was sent" test "$(sent erase:)" -eq "$erases"
printf 'keep' >"$T/keep"
mkdir -p "$lparts" && cp "$T/keep" "$lparts/boot_a.img"
FB -s "$LCK" erase boot --confirm LOCKEDPIXEL2 >"$T/o" 2>&1
check "erase on a locked bootloader is refused" grep -q "nothing was done: the bootloader is locked" "$T/o"
check "and the partition is intact" cmp -s "$T/keep" "$lparts/boot_a.img"

# ---- set_active -------------------------------------------------------------------
FB -s "$PIX" set_active b >"$T/o" 2>&1
check "set_active b (no confirmation needed): exit 0" test $? -eq 0
check "the plan gives its risk and the way back" \
	grep -q "risk medium: if slot b holds no working system.*set_active a" <(flat "$T/o")
check "it says the slot is active" grep -qx "slot b is now active" "$T/o"
D getvar -s "$PIX" current-slot >"$T/o" 2>&1
check "the phone's current-slot is b" grep -qx "current-slot: b" "$T/o"
FB -s "$PIX" erase boot --json >"$T/j" 2>/dev/null
check "erase now means boot_b" js "$T/j" "d['plan']['steps'][0]['command'] == 'erase:boot_b'"
before=$(sent set_active:)
FB -s "$PIX" set_active c >"$T/o" 2>&1
check "a slot the phone does not have: exit 1" test $? -eq 1
check "refused, naming its slots" grep -q "no slot 'c' on this phone (it has a and b)" "$T/o"
check "before anything was sent" test "$(sent set_active:)" -eq "$before"
FB -s "$PIX" set_active other --json >"$T/j" 2>/dev/null
check "set_active other --json: back to a" js "$T/j" "
d['ok'] is True and d['command'] == 'set_active' and d['current_slot'] == 'a'
and d['plan']['steps'][0]['command'] == 'set_active:a' and d['plan']['destructive'] is False
and d['info'] == [] and d['steps_done'] == 1"
D getvar -s "$PIX" current-slot >"$T/o" 2>&1
check "the phone's current-slot is a again" grep -qx "current-slot: a" "$T/o"

# ---- oem ----------------------------------------------------------------------------
FB -s "$PIX" oem device-info >"$T/o" 2>"$T/e"
check "oem device-info: exit 0" test $? -eq 0
check "the phone's lines on stdout" sh -c "grep -qx 'Device unlocked: true' '$T/o' &&
	grep -qx 'Device critical unlocked: false' '$T/o'"
FB -s "$PIX" oem device-info --json >"$T/j" 2>/dev/null
check "oem --json: the lines in info" js "$T/j" "
d['ok'] is True and d['command'] == 'oem' and 'Device unlocked: true' in d['info']
and len(d['info']) == 4 and d['plan']['steps'][0]['risk'] == 'unknown'"
FB -s "$PIX" oem frobnicate >"$T/o" 2>&1
check "an oem command the phone does not know: exit 1" test $? -eq 1
check "its FAIL in the phone's words" grep -q "oem frobnicate: the phone said: unknown command" "$T/o"
oems=$(sent "oem ")
FB -s "$PIX" oem unlock >"$T/o" 2>&1
check "oem unlock without --confirm: exit 1" test $? -eq 1
check "it is planned as high risk" grep -q "risk high: a maker's own command" "$T/o"
check "nothing was done" grep -q "nothing was done: to go on" "$T/o"
check "nothing reached the phone" test "$(sent "oem ")" -eq "$oems"
FB -s "$PIX" oem edl --json >"$T/j" 2>/dev/null
check "oem edl is destructive too (ECONFIRM)" js "$T/j" "d['error'] == 'ECONFIRM' and d['plan']['destructive']"
FB -s "$PIX" oem edl --confirm "$last4" >"$T/o" 2>&1
check "confirmed, it goes out and the phone answers in its words" \
	grep -q "the phone said: unknown command" "$T/o"
check "the phone got it" grep -q "fastboot oem edl$" "$T/sim.err"

# ---- flashing ---------------------------------------------------------------------
FB -s "$PIX" flashing get_unlock_ability >"$T/o" 2>&1
check "get_unlock_ability: 1" grep -q "^unlock ability: 1 " "$T/o"
FB -s "$NOU" flashing get_unlock_ability --json >"$T/j" 2>/dev/null
check "with OEM unlocking off: 0, with the phone's line" js "$T/j" "
d['ok'] and d['unlock_ability'] == 0 and d['info'] == ['get_unlock_ability: 0']"
unlocks=$(sent "flashing unlock")
FB -s "$NOU" flashing unlock --confirm NOUNLOCKPIX1 >"$T/o" 2>&1
check "unlock when the phone does not allow it: exit 1" test $? -eq 1
check "refused with the way: OEM unlocking in developer options" \
	grep -q "get_unlock_ability: 0): on the phone, enable OEM unlocking in Settings > System > Developer options" "$T/o"
check "before anything was sent" test "$(sent "flashing unlock")" -eq "$unlocks"
FB -s "$NOU" flashing unlock_critical --confirm NOUNLOCKPIX1 >"$T/o" 2>&1
check "unlock_critical likewise" grep -q "enable OEM unlocking" "$T/o"
cp "$T/keep" "$lparts/userdata.img"
FB -s "$LCK" flashing unlock >"$T/o" 2>"$T/e"
check "unlock without --confirm: exit 1" test $? -eq 1
check "the plan says it wipes user data" grep -q "risk high: this wipes all user data" "$T/o"
check "userdata is intact" cmp -s "$T/keep" "$lparts/userdata.img"
D getvar -s "$LCK" unlocked >"$T/o" 2>&1
check "and the phone still locked" grep -qx "unlocked: no" "$T/o"
FB -s "$LCK" flashing unlock --confirm BOGUS >/dev/null 2>&1
check "a wrong --confirm leaves it locked" sh -c "'$DROIDMEDIC' --no-autostart getvar -s '$LCK' unlocked | grep -qx 'unlocked: no'"
FB -s "$LCK" flashing unlock --confirm LOCKEDPIXEL2 >"$T/o" 2>&1
check "unlock confirmed: exit 0" test $? -eq 0
check "it says the bootloader is unlocked now" grep -q "flashing unlock: done; the bootloader is now unlocked" "$T/o"
D getvar -s "$LCK" unlocked >"$T/o" 2>&1
check "the phone says unlocked: yes" grep -qx "unlocked: yes" "$T/o"
check "and its user data is gone" test ! -e "$lparts/userdata.img"
FB -s "$LCK" flashing unlock --confirm LOCKEDPIXEL2 >"$T/o" 2>&1
check "unlocking again: refused, nothing to do" grep -q "already unlocked: nothing to do" "$T/o"
FB -s "$LCK" flashing unlock_critical --confirm LOCKEDPIXEL2 >/dev/null 2>&1
check "unlock_critical confirmed: exit 0" test $? -eq 0
FB -s "$LCK" oem device-info >"$T/o" 2>&1
check "device-info: critical unlocked" grep -qx "Device critical unlocked: true" "$T/o"
FB -s "$LCK" flashing lock_critical --confirm LOCKEDPIXEL2 >/dev/null 2>&1
FB -s "$LCK" oem device-info >"$T/o" 2>&1
check "lock_critical: critical locked again" grep -qx "Device critical unlocked: false" "$T/o"
cp "$T/keep" "$lparts/userdata.img"
FB -s "$LCK" flashing lock --confirm LOCKEDPIXEL2 >"$T/o" 2>&1
check "lock confirmed: exit 0" test $? -eq 0
check "the plan warned about unsigned software" grep -q "will not boot once locked" <(flat "$T/o")
check "locked, user data wiped" sh -c "test ! -e '$lparts/userdata.img' &&
	'$DROIDMEDIC' --no-autostart getvar -s '$LCK' unlocked | grep -qx 'unlocked: no'"
FB -s "$LCK" oem device-info >"$T/o" 2>&1
check "device-info agrees: not unlocked" grep -qx "Device unlocked: false" "$T/o"

# ---- boot -----------------------------------------------------------------------------
python3 - "$T" <<'PY'
import os, sys
d = sys.argv[1]
open(d + "/boot.img", "wb").write(b"ANDROID!" + os.urandom((1 << 20) - 8))
open(d + "/big.img", "wb").write(b"ANDROID!" + os.urandom((5 << 20) - 8))
open(d + "/notboot.img", "wb").write(b"\x3a\xff\x26\xed" + os.urandom(4096))
PY
downloads=$(sent download:)
FB -s "$PIX" boot "$T/big.img" >"$T/o" 2>&1
check "an image over max-download-size: exit 1" test $? -eq 1
check "refused with the sizes" grep -q "big.img is 5.0 MiB but the phone takes at most 4.0 MiB in one download" "$T/o"
check "before a byte was sent" test "$(sent download:)" -eq "$downloads"
FB -s "$PIX" boot "$T/notboot.img" >"$T/o" 2>&1
check "an image that is no boot image is refused" grep -q "is not an Android boot image" "$T/o"
check "before a byte was sent" test "$(sent download:)" -eq "$downloads"
FB -s "$PIX" boot "$T/boot.img" >"$T/o" 2>&1
check "boot of a 1 MiB image: exit 0" test $? -eq 0
flat "$T/o" >"$T/f"
check "the plan: memory only, low risk" sh -c "grep -q 'send .*boot.img (1.0 MiB) into the phone.s memory' '$T/f' &&
	grep -q 'risk low: the phone leaves fastboot' '$T/f'"
check "the phone got a 1 MiB download, then boot" \
	sh -c "grep 'fastboot ' '$T/sim.err' | grep -A1 'download:00100000' | tail -1 | grep -q 'fastboot boot$'"
wait_for 20 grep -q "^sim: $PIX_SN adb tcp:.* device$" "$T/sim.out"
check "and the phone left fastboot (it runs Android)" test $? -eq 0
D reboot -s "$PIX" bootloader >/dev/null 2>&1
bootlines() { test "$(grep -c "^sim: $PIX_SN fastboot tcp:.* bootloader$" "$T/sim.out")" -eq 2; }
wait_for 20 bootlines
check "(back in the bootloader)" test $? -eq 0

# ---- fastbootd: logical partitions and snapshots ------------------------------------
creates=$(sent create-logical)
FB -s "$LG" create-logical-partition scratch_a 1M >"$T/o" 2>&1
check "create-logical-partition in the bootloader: exit 1" test $? -eq 1
check "refused with the way out" \
	grep -q "only fastbootd can change, and the phone is in its bootloader: reboot into fastbootd first (droidmedic reboot -s $LG fastboot)" "$T/o"
check "before anything was sent" test "$(sent create-logical)" -eq "$creates"
FB -s "$LG" snapshot-update merge >"$T/o" 2>&1
check "snapshot-update merge in the bootloader: refused, to fastbootd" \
	grep -q "merge runs in fastbootd.*droidmedic reboot -s $LG fastboot" "$T/o"
FB -s "$LG" snapshot-update cancel >"$T/o" 2>"$T/e"
check "snapshot-update cancel without --confirm: exit 1" test $? -eq 1
check "planned as high risk: the update is thrown away" grep -q "risk high: the downloaded over-the-air update is thrown away" <(flat "$T/o")
D getvar -s "$LG" snapshot-update-status >"$T/o" 2>&1
check "the update is still pending" grep -qx "snapshot-update-status: snapshotted" "$T/o"
D reboot -s "$LG" fastboot >/dev/null 2>&1
wait_for 20 grep -q "^sim: $LG_SN fastboot tcp:.* fastbootd$" "$T/sim.out"
check "(the LG in fastbootd)" test $? -eq 0
FB -s "$LG" flashing unlock --confirm "$LG_SN" >"$T/o" 2>&1
check "flashing in fastbootd: refused, to the bootloader" \
	grep -q "flashing is a bootloader command.*droidmedic reboot -s $LG bootloader" "$T/o"
FB -s "$LG" boot "$T/boot.img" >"$T/o" 2>&1
check "boot in fastbootd: refused, to the bootloader" \
	grep -q "fastbootd cannot boot an image.*droidmedic reboot -s $LG bootloader" "$T/o"
FB -s "$LG" create-logical-partition scratch_a 1M --json >"$T/j" 2>/dev/null
check "create-logical-partition in fastbootd (no confirmation needed)" js "$T/j" "
d['ok'] and d['exists'] is True and d['partition_size'] == 1048576
and d['plan']['steps'][0]['command'] == 'create-logical-partition:scratch_a:1048576'
and d['plan']['steps'][0]['risk'] == 'low'"
D getvar -s "$LG" is-logical:scratch_a >"$T/o" 2>&1
check "the phone lists it as logical" grep -qx "is-logical:scratch_a: yes" "$T/o"
FB -s "$LG" create-logical-partition scratch_a 1M >"$T/o" 2>&1
check "creating it again: refused" grep -q "scratch_a already exists (a logical partition)" "$T/o"
FB -s "$LG" resize-logical-partition scratch_a 2M >"$T/o" 2>&1
check "resize without --confirm: exit 1" test $? -eq 1
check "the plan gives both sizes" grep -q "resize logical partition scratch_a from 1.0 MiB to 2.0 MiB" "$T/o"
D getvar -s "$LG" partition-size:scratch_a >"$T/o" 2>&1
check "and the size is unchanged" grep -qix "partition-size:scratch_a: 0x100000" "$T/o"
FB -s "$LG" resize-logical-partition scratch_a 2M --confirm "${LG_SN: -4}" >"$T/o" 2>&1
check "resize confirmed: exit 0" test $? -eq 0
D getvar -s "$LG" partition-size:scratch_a >"$T/o" 2>&1
check "the phone gives the new size" grep -qix "partition-size:scratch_a: 0x200000" "$T/o"
FB -s "$LG" delete-logical-partition system --confirm "$LG_SN" >"$T/o" 2>&1
check "delete of 'system': did you mean system_a?" grep -q "no logical partition system (did you mean system_a?" "$T/o"
FB -s "$LG" delete-logical-partition boot_a --confirm "$LG_SN" >"$T/o" 2>&1
check "delete of a physical partition: refused" grep -q "boot_a is a physical partition, not a logical one" "$T/o"
deletes=$(sent delete-logical)
check "neither reached the phone" test "$deletes" -eq 0
FB -s "$LG" delete-logical-partition scratch_a >"$T/o" 2>&1
check "delete without --confirm: exit 1" test $? -eq 1
D getvar -s "$LG" is-logical:scratch_a >"$T/o" 2>&1
check "scratch_a is still there" grep -qx "is-logical:scratch_a: yes" "$T/o"
FB -s "$LG" delete-logical-partition scratch_a --confirm "$LG_SN" >"$T/o" 2>&1
check "delete confirmed: exit 0" test $? -eq 0
D getvar -s "$LG" is-logical:scratch_a >"$T/o" 2>&1
check "the phone no longer knows scratch_a" grep -q "the phone said: Could not find\|Variable Not found" "$T/o"
FB -s "$LG" snapshot-update cancel --confirm "$LG_SN" --json >"$T/j" 2>/dev/null
check "snapshot-update cancel confirmed" js "$T/j" "
d['ok'] and d['snapshot_update_status'] == 'none' and d['plan']['destructive']"
D getvar -s "$LG" snapshot-update-status >"$T/o" 2>&1
check "no update pending any more" grep -qx "snapshot-update-status: none" "$T/o"
FB -s "$LG" snapshot-update merge >"$T/o" 2>&1
check "snapshot-update merge in fastbootd: exit 0" test $? -eq 0
check "it warned that nothing is pending" grep -q "no update is pending" "$T/o"
FB -s "$LG" erase system_a --confirm "$LG_SN" >"$T/o" 2>&1
check "erase of a logical partition in fastbootd: exit 0" grep -qx "erased system_a" "$T/o"

sim_end
done_testing
