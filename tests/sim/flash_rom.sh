#!/bin/bash
# flash_rom.sh - a Xiaomi fastboot ROM flashed whole (droidmedic flash) to
# simulated Xiaomi alioth phones in their bootloader, and `firmware verify`.
# The package is built here (tests/lib/xiaomirom.py: the real scripts'
# line forms, random images, sparse super and userdata).  It proves: the
# plan and every gate before the first byte (hash, product, anti-rollback,
# battery, lock, partitions, images, backup), each refusal sending
# nothing; a confirmed flash leaves every partition byte for byte as the
# package's image (both slots for Xiaomi's _ab names); the lock script
# relocks; a pending update is cancelled first; a cable pulled mid-flash
# stops with the step named and the next run resumes there; a hang-up of
# a flash run in the command's own process lets the step it is on finish
# (super whole) and the next run resumes after it; two phones
# flash at once from one package; and AOSP fastboot running the package's
# own script leaves the same partitions as droidmedic.  Loopback only.
# TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/fbsim.sh"
command -v python3 >/dev/null || bail "python3 is needed"
need "apt-get install fastboot" fastboot

. "$top_srcdir/tests/lib/ports.sh"
base=$(free_base 14)
[ -n "$base" ] || bail "no free ports in 15000-15999"

ROM=$T/alioth.tgz
python3 "$top_srcdir/tests/lib/xiaomirom.py" "$ROM" alioth 1 ||
	bail "could not build the test package"
EXP=$ROM.expect
SHA=$(sha256sum "$ROM" | cut -c1-64)

# Phones: alioth as captured (anti 1, unlocked, slot b), and variants.
python3 - "$PROFILES/xiaomi_alioth.json" "$T" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
def variant(name, serial, faults=None, build="V14.0.4.0.TKHMIXM", **vars):
    p = json.load(open(src))
    p["fastboot"]["vars"] = {"max-download-size": "0x80000", **vars}
    p["serial"] = serial
    # what the phone runs once it boots (the package's build, as if
    # the flash had put it there)
    p["props"]["ro.build.version.incremental"] = build
    p["props"]["ro.build.fingerprint"] = \
        "POCO/alioth_global/alioth:13/TKQ1.220829.002/%s:user/release-keys" % build
    if faults:
        p["faults"] = faults
    json.dump(p, open("%s/%s.json" % (out, name), "w"))
variant("a1", "ALIOTH0001")
variant("a2", "ALIOTH0002", faults=[{"type": "slow", "when": "flash",
        "after_bytes": 40}])
variant("aosp", "ALIOTH0003")
variant("a4", "ALIOTH0004", faults=[{"type": "slow", "when": "flash",
        "after_bytes": 40}])
variant("wipe", "ALIOTHWIPE")
variant("lock", "ALIOTHLOCK")
variant("locked", "ALIOTHLCKD", unlocked="no")
variant("old", "ALIOTHOLD1", build="V13.0.2.0.SKHMIXM")
variant("lowbat", "ALIOTHLOWB", **{"battery-voltage": "3310"})
variant("anti2", "ALIOTHANT2", anti="2")
variant("snap", "ALIOTHSNAP", **{"snapshot-update-status": "merging"})
variant("cut", "ALIOTHCUT1", faults=[{"type": "close", "when": "download",
        "after_bytes": 400000, "once": True}])
variant("hup", "ALIOTHHUP1", faults=[{"type": "slow", "when": "flash",
        "after_bytes": 250}])
PY
sim_start -v --strict --state "$T/sim" --ports-file "$T/ports" \
	--port-base $((base + 1)) "$T"/a1.json "$T"/a2.json "$T"/aosp.json \
	"$T"/a4.json "$T"/wipe.json "$T"/lock.json "$T"/locked.json \
	"$T"/lowbat.json "$T"/anti2.json "$T"/snap.json "$T"/cut.json \
	"$T"/old.json "$T"/hup.json
A1=tcp:127.0.0.1:$(port ALIOTH0001)
export DROIDMEDIC_IDLE_EXIT=0
D() { timeout 120 "$DROIDMEDIC" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
parts() { echo "$T/sim/$1/partitions"; }
journal() { echo "$XDG_STATE_HOME/droidmedic/flash/$1.json"; }
# same SERIAL: every partition the keep-data script writes holds its
# image byte for byte (both slots for the _ab names)
same() {
	local p f; p=$(parts "$1")
	for f in abl_a:abl.elf abl_b:abl.elf xbl_a:xbl.elf xbl_b:xbl.elf \
	    tz_a:tz.mbn modem_a:NON-HLOS.bin modem_b:NON-HLOS.bin \
	    dsp_b:dspso.bin qupfw_a:qupv3fw.elf vendor_boot_a:vendor_boot.img \
	    dtbo_b:dtbo.img vbmeta_a:vbmeta.img vbmeta_system_b:vbmeta_system.img \
	    super:super.img cust:cust.img boot_a:boot.img boot_b:boot.img \
	    crclist:crclist.txt sparsecrclist:sparsecrclist.txt; do
		cmp -s "$p/${f%%:*}.img" "$EXP/${f#*:}" || {
			diag "$1: ${f%%:*} differs from ${f#*:}"; return 1; }
	done
}
for s in ALIOTH0001 ALIOTH0002 ALIOTH0003 ALIOTH0004 ALIOTHWIPE ALIOTHLOCK \
    ALIOTHLCKD ALIOTHLOWB ALIOTHANT2 ALIOTHSNAP ALIOTHCUT1 ALIOTHOLD1; do
	D connect "tcp:127.0.0.1:$(port $s)" >/dev/null 2>&1 ||
		bail "could not connect $s"
done

# ---- firmware verify -------------------------------------------------------------
D firmware verify "$ROM" --sha256 "$SHA" >"$T/v" 2>&1
check "firmware verify: exit 0 with the right hash" test $? -eq 0
check "it names the kind and the build" grep -q "xiaomi-fastboot, .*gzip.*27 members" "$T/v"
check "it reads the three scripts" test "$(grep -c ' steps (.* images) for alioth$' "$T/v")" -eq 3
check "and checks the hash" grep -q "SHA-256 as expected" "$T/v"
D firmware verify "$ROM" --sha256 "$(printf 0%.0s {1..64})" >"$T/v" 2>&1
check "a wrong hash: exit 1" test $? -eq 1
check "said plainly" grep -q "SHA-256 IS NOT THE ONE EXPECTED" "$T/v"
D firmware verify "$ROM" --json >"$T/v.json" 2>&1
check "--json: the hashes sha256sum and md5sum give" json "
assert d['sha256'] == '$SHA' and d['md5'] == '$(md5sum "$ROM" | cut -c1-32)', d
assert d['kind'] == 'xiaomi-fastboot' and d['device'] == 'alioth' and d['ok'], d
assert sorted(s['name'] for s in d['scripts']) == ['flash_all.sh', 'flash_all_except_storage.sh', 'flash_all_lock.sh'], d" <"$T/v.json"
head -c $(( $(stat -c %s "$ROM") * 2 / 3 )) "$ROM" >"$T/cut.tgz"
D firmware verify "$T/cut.tgz" >"$T/v" 2>&1
check "a cut-short package: exit 1" test $? -eq 1
check "said to be damaged, in libarchive's words" grep -q "damaged or cut short" "$T/v"

# ---- the plan, and gates that refuse ---------------------------------------------
D flash -s "$A1" "$ROM" --sha256 "$SHA" --dry-run >"$T/o" 2>&1
check "--dry-run: exit 0" test $? -eq 0
check "the plan names the script and the phone" grep -q "phone alioth (serial ALIOTH0001); keep data with .*flash_all_except_storage.sh" "$T/o"
for g in package product rollback battery bootloader partitions; do
	check "gate $g passes" grep -Eq "gate $g +ok " "$T/o"
done
check "step: Xiaomi's boot_ab as written" grep -Eq "^ +3 +erase +boot_ab" "$T/o"
check "step: super with its sparse image" grep -Eq "flash +super +images/super.img \(.* sparse, partition 8.50 GiB\)" "$T/o"
check "keep data: no userdata step" test -z "$(grep -E 'flash +userdata' "$T/o")"
check "dry run says nothing was sent" grep -q "dry run: nothing was sent" "$T/o"
check "and nothing was written" test ! -e "$(parts ALIOTH0001)/abl_a.img"

D flash -s "$A1" "$ROM" --confirm ALIOTH0001 >"$T/o" 2>&1
check "no --sha256: refused (exit 1)" test $? -eq 1
check "gate package says why" grep -q "nothing was flashed: package: no SHA-256 to check the package against" "$T/o"

refused() {	# refused NAME SERIAL GATE PATTERN [FLASH ARGS...]
	local name=$1 sn=$2 g=$3 pat=$4 rc; shift 4
	D flash -s "tcp:127.0.0.1:$(port "$sn")" "$@" --confirm "$sn" \
		>"$T/o" 2>&1
	rc=$?
	check "$name: refused (exit 1)" test $rc -eq 1
	check "$name: gate $g says why" grep -Eq "nothing was flashed: $g: $pat" "$T/o"
	check "$name: nothing written" test ! -d "$(parts "$sn")"
}
refused "locked bootloader" ALIOTHLCKD bootloader "locked" "$ROM" --sha256 "$SHA"
refused "low battery" ALIOTHLOWB battery "the battery is at 3310 mV" "$ROM" --sha256 "$SHA"
refused "phone's anti-rollback index above the package's" ALIOTHANT2 rollback \
	"the phone's anti-rollback index is 2, the package's 1" "$ROM" --sha256 "$SHA"
python3 "$top_srcdir/tests/lib/xiaomirom.py" "$T/raphael.tgz" raphael 1 >/dev/null
refused "a ROM for another model" ALIOTH0002 product "the package is for raphael, this phone is alioth" \
	"$T/raphael.tgz" --sha256 "$(sha256sum "$T/raphael.tgz" | cut -c1-64)"
python3 "$top_srcdir/tests/lib/xiaomirom.py" "$T/rtice.tgz" alioth 1 --unknown-part rtice >/dev/null
refused "a partition the phone does not have" ALIOTH0002 partitions \
	"line [0-9]+: the phone has no partition rtice: the script would stop there" \
	"$T/rtice.tgz" --sha256 "$(sha256sum "$T/rtice.tgz" | cut -c1-64)"
python3 "$top_srcdir/tests/lib/xiaomirom.py" "$T/nodtbo.tgz" alioth 1 --drop dtbo.img >/dev/null
refused "an image missing from the package" ALIOTH0002 partitions \
	"line [0-9]+: images/dtbo.img is not in the package" \
	"$T/nodtbo.tgz" --sha256 "$(sha256sum "$T/nodtbo.tgz" | cut -c1-64)"
refused "wiping without a backup" ALIOTH0002 backup "it erases user data: make a backup first" \
	"$ROM" --sha256 "$SHA" --wipe
refused "a wrong hash" ALIOTH0002 package "SHA-256 is $SHA, not the expected" \
	"$ROM" --sha256 "$(printf 1%.0s {1..64})"
D flash -s "tcp:127.0.0.1:$(port ALIOTH0002)" "$ROM" --sha256 "$SHA" >"$T/o" 2>&1
check "no --confirm: exit 1, nothing written" test $? -eq 1 -a ! -d "$(parts ALIOTH0002)"
check "it says what to type" grep -q "run this again with --confirm 0002" "$T/o"

# ---- the hash from a catalog --------------------------------------------------------
# The locked phone refuses any flash, but a dry run still shows the
# package gate's verdict.
LCKD=tcp:127.0.0.1:$(port ALIOTHLCKD)
MD5=$(md5sum "$ROM" | cut -c1-32)
CAT=$XDG_CONFIG_HOME/droidmedic/catalogs
mkdir -p "$CAT"
catalog() {	# catalog FILE SAMPLE HASHKEY HASH
	cat >"$CAT/$1" <<EOF
{"catalog": 1, "name": "test $1", "sample": $2, "devices": [
 {"vendor": "Xiaomi", "names": ["POCO F3"], "codenames": ["alioth"],
  "builds": [{"version": "V14.0.4.0.TKHMIXM", "android": "13",
   "date": "2024-01-01", "region": "Global", "type": "xiaomi-fastboot-tgz",
   "file": "alioth.tgz", "urls": ["https://example.invalid/alioth.tgz"],
   "$3": "$4"}]}]}
EOF
}
catalog test.json false md5 "$MD5"
D flash -s "$LCKD" "$ROM" --dry-run >"$T/o" 2>&1
check "no --sha256, but a catalog gives the package's MD5: the package gate passes" \
	grep -Eq "gate package +ok +MD5 $MD5 as the catalog test test.json gives for POCO F3 V14.0.4.0.TKHMIXM \(Global\)" "$T/o"
catalog test.json false sha256 "$(printf 2%.0s {1..64})"
D flash -s "$LCKD" "$ROM" --dry-run >"$T/o" 2>&1
check "a catalog whose hash for the file's name differs: refused" \
	grep -Eq "gate package +REFUSED +the catalog test test.json gives 2{64} for alioth.tgz, and this file's differs" "$T/o"
check "both hashes named (on the reason's next line)" \
	grep -Eq "^ +$SHA, MD5 $MD5\): a damaged download" "$T/o"
rm "$CAT/test.json"
catalog sample.json true md5 "$MD5"
D flash -s "$LCKD" "$ROM" --dry-run >"$T/o" 2>&1
check "a sample catalog is not trusted" \
	grep -q "add the package to a catalog (only a sample catalog knows it)" "$T/o"
catalog test.json false md5 "$MD5"
D firmware search -s "$A1" >"$T/o" 2>&1
check "firmware search -s: the phone's builds, from its codename" \
	grep -q "^V14.0.4.0.TKHMIXM .*Global .*Android 13 .*2024-01-01 .*xiaomi-fastboot-tgz .*POCO F3$" "$T/o"
check "with the sample's entry marked" grep -q "POCO F3  \[sample\]" "$T/o"
D firmware search poco --json >"$T/o.json" 2>&1
check "firmware search QUERY --json: the builds and their hashes" json "
b = [x for x in d['builds'] if not x['sample']]
assert len(b) == 1 and b[0]['md5'] == '$MD5' and b[0]['file'] == 'alioth.tgz', d
assert b[0]['urls'] == ['https://example.invalid/alioth.tgz'] and d['errors'] == [], d" <"$T/o.json"
echo '{"catalog": 1, "devices": [' >"$CAT/broken.json"
D firmware search poco >"$T/o" 2>"$T/e"
check "a broken catalog is named, the others still used" \
	sh -c "grep -q 'catalog: .*broken.json:1:.*not a JSON object' '$T/e' && grep -q '^V14.0.4.0.TKHMIXM' '$T/o'"
rm -f "$CAT"/*.json

# ---- a confirmed flash ------------------------------------------------------------
D flash -s "$A1" "$ROM" --sha256 "$SHA" --confirm 0001 --json >"$T/f.json" 2>"$T/f.err"
check "keep-data flash: exit 0" test $? -eq 0
check "every step done, with a report and a journal" json "
assert d['ok'] and d['steps_done'] == d['steps_total'] == 22, d
import os; assert os.path.exists(d['report']) and os.path.exists(d['journal']), d
assert d['journal'] == '$(journal ALIOTH0001)', d
assert json.load(open(d['journal']))['state'] == 'done'" <"$T/f.json"
check "every partition holds its image byte for byte" same ALIOTH0001
check "no userdata written (data kept)" test ! -e "$(parts ALIOTH0001)/userdata.img"
check "the phone was rebooted at the end" grep -q "sim: ALIOTH0001 down reboot" "$T/sim.out"
check "then it waited for the boot and read the build" json "
b = d['boot']
assert b['checked'] and b['booted'] and b['matches'], b
assert b['incremental'] == b['package_build'] == 'V14.0.4.0.TKHMIXM', b" <"$T/f.json"
check "the text report says so" grep -qx "boot: the package's build is running" \
	"$(json "print(d['report'][:-5])" <"$T/f.json").txt"
check "the report has each image's SHA-256 as sha256sum says" python3 -c "
import json, hashlib, sys, tarfile
r = json.load(open(json.load(open('$T/f.json'))['report']))
t = tarfile.open('$ROM')
m = {x.name.split('/', 1)[1]: x for x in t.getmembers() if '/' in x.name}
n = 0
for s in r['steps']:
    if s['op'] == 'flash':
        h = hashlib.sha256(t.extractfile(m[s['file']]).read()).hexdigest()
        assert s['sha256'] == h and s['result'] == 'ok', s
        n += 1
assert n == 19 and r['outcome'] == 'flashed', r"

# --wipe --without-backup: flash_all.sh, data wiped
WIPE=tcp:127.0.0.1:$(port ALIOTHWIPE)
D flash -s "$WIPE" "$ROM" --sha256 "$SHA" --wipe --without-backup --confirm WIPE >"$T/o" 2>&1
check "--wipe --without-backup: exit 0" test $? -eq 0
check "the plan said it erases user data" grep -q "ERASES USER DATA" "$T/o"
check "gate backup warned and went on" grep -Eq "gate backup +WARN .*going on without one, as asked \(--without-backup\)" "$T/o"
check "userdata holds the package's (expanded)" cmp -s "$(parts ALIOTHWIPE)/userdata.img" "$EXP/userdata.img"
check "metadata too" cmp -s "$(parts ALIOTHWIPE)/metadata.img" "$EXP/metadata.img"
check "and the rest" same ALIOTHWIPE
check "a wiped phone's boot is not waited for (USB debugging off), said so" \
	grep -q "user data was erased, so USB debugging is off: check by hand that it boots" "$T/o"

# a phone that boots another build than the package's after the flash
OLD=tcp:127.0.0.1:$(port ALIOTHOLD1)
D flash -s "$OLD" "$ROM" --sha256 "$SHA" --confirm OLD1 >"$T/o" 2>&1
check "another build after the reboot: exit 1" test $? -eq 1
check "said plainly" grep -q "flashed, but the phone boots build V13.0.2.0.SKHMIXM, not the package's V14.0.4.0.TKHMIXM" "$T/o"
check "the flash itself is recorded as done" grep -q '"state":	"done"' "$(journal ALIOTHOLD1)"

# --lock: flash_all_lock.sh ends with oem lock (the phone stays in fastboot)
LOCK=tcp:127.0.0.1:$(port ALIOTHLOCK)
D flash -s "$LOCK" "$ROM" --sha256 "$SHA" --lock --without-backup --confirm LOCK >"$T/o" 2>&1
check "--lock: exit 0" test $? -eq 0
check "oem lock was the last step" grep -q "^step 25/25: oem lock" "$T/o"
D getvar -s "$LOCK" unlocked >"$T/g" 2>&1
check "the bootloader is locked afterwards" grep -qx "unlocked: no" "$T/g"
D getvar -s "$LOCK" current-slot >"$T/g" 2>&1
check "set_active a ran (slot b before)" grep -qx "current-slot: a" "$T/g"
D flash -s "$LOCK" "$ROM" --sha256 "$SHA" --dry-run >"$T/o" 2>&1
check "a dry run now: exit 1" test $? -eq 1
check "the lock gate refuses" grep -Eq "gate bootloader +REFUSED +locked" "$T/o"
check "said as what a flash would do" grep -q "dry run: nothing was sent; the flash would be refused: bootloader" "$T/o"

# ---- a pending update is cancelled first ----------------------------------------------
SNAP=tcp:127.0.0.1:$(port ALIOTHSNAP)
D flash -s "$SNAP" "$ROM" --sha256 "$SHA" --lock --without-backup --confirm SNAP >"$T/o" 2>&1
check "pending update: exit 0" test $? -eq 0
check "gate update names it" grep -Eq "gate update +ok +a system update is pending \(merging\): it is cancelled first" "$T/o"
check "cancelled as step 1" grep -q "^step 1/26: snapshot-update cancel" "$T/o"
D getvar -s "$SNAP" snapshot-update-status >"$T/g" 2>&1
check "the phone says none afterwards" grep -qx "snapshot-update-status: none" "$T/g"
check "and holds the images" same ALIOTHSNAP

# ---- a cable pulled mid-flash, then resumed ----------------------------------------------
CUT=tcp:127.0.0.1:$(port ALIOTHCUT1)
D flash -s "$CUT" "$ROM" --sha256 "$SHA" --confirm CUT1 >"$T/o" 2>&1
check "cut mid-download: exit 1" test $? -eq 1
check "the step it stopped at is named" grep -Eq "FLASH STOPPED at step [0-9]+ of 22 \(flash modem_ab, line [0-9]+ of flash_all_except_storage.sh\)" "$T/o"
stopped=$(sed -n 's/.*FLASH STOPPED at step \([0-9]*\) .*/\1/p' "$T/o")
check "the journal says stopped" grep -q '"state":	"stopped"' "$(journal ALIOTHCUT1)"
D flash -s "$CUT" "$ROM" --sha256 "$SHA" --confirm CUT1 >"$T/o2" 2>&1
check "run again: exit 0" test $? -eq 0
check "it resumes at the step that stopped" grep -q "resuming: .* its first $((stopped - 1)) steps were done, it goes on at line" "$T/o2"
check "the first step it runs is that one" grep -q "^step $stopped/22: flash modem_ab" "$T/o2"
check "steps before it are not sent again" test -z "$(grep '^step 1/22' "$T/o2")"
check "the phone holds every image afterwards" same ALIOTHCUT1
check "the journal says done" grep -q '"state":	"done"' "$(journal ALIOTHCUT1)"

# ---- a hang-up mid-step: that step finishes, the run stops, the next run resumes -------------
# The flash runs in the command's own process (no bench server), as
# over an SSH session that drops.
D server stop --force >/dev/null 2>&1
HUP=tcp:127.0.0.1:$(port ALIOTHHUP1)
"$DROIDMEDIC" --no-autostart flash -s "$HUP" "$ROM" --sha256 "$SHA" \
	--confirm HUP1 >"$T/h" 2>&1 &
hp=$!
super_begun() { grep -q "sim: ALIOTHHUP1 flashed super " "$T/sim.out"; }
check "the flash gets to super (its first piece written)" wait_for 60 super_begun
kill -HUP "$hp"
wait "$hp"
check "a hang-up: the run stops (exit 129)" test $? -eq 129
rep=$(ls -t "$XDG_STATE_HOME"/droidmedic/flash/ALIOTHHUP1-*.txt | head -1)
check "after the step it was on, and the report says so" \
	sh -c "grep -q 'flash super: ok' '$rep' &&
	       grep -Eq 'FLASH STOPPED at step [0-9]+ of 22 .*cancelled before step [0-9]+; the steps before it are done' '$rep'"
check "super is whole: the package's image byte for byte" \
	cmp -s "$(parts ALIOTHHUP1)/super.img" "$EXP/super.img"
check "the journal says stopped, at the line after super's" python3 - "$(journal ALIOTHHUP1)" "$ROM" <<'PY'
import json, sys, tarfile
j = json.load(open(sys.argv[1]))
t = tarfile.open(sys.argv[2])
script = [m for m in t.getmembers() if m.name.endswith("/flash_all_except_storage.sh")][0]
lines = t.extractfile(script).read().decode().split("\n")
sup = [i + 1 for i, l in enumerate(lines) if " super " in l and "flash" in l][0]
print(j.get("state"), j.get("next_line"), sup)
sys.exit(not (j.get("state") == "stopped" and j.get("next_line", 0) > sup))
PY
D flash -s "$HUP" "$ROM" --sha256 "$SHA" --confirm HUP1 >"$T/h2" 2>&1
check "run again: it resumes after super and ends (exit 0)" \
	sh -c "test $? -eq 0 && grep -q 'resuming: ' '$T/h2' && ! grep -q '^step [0-9]*/[0-9]*: flash super' '$T/h2'"
check "the phone holds every image afterwards" same ALIOTHHUP1

# ---- two phones at once from one package -------------------------------------------------
A2=tcp:127.0.0.1:$(port ALIOTH0002)
A4=tcp:127.0.0.1:$(port ALIOTH0004)
D flash -s "$A2" "$ROM" --sha256 "$SHA" --confirm 0002 >"$T/p2" 2>&1 &
p2=$!
D flash -s "$A4" "$ROM" --sha256 "$SHA" --confirm 0004 >"$T/p4" 2>&1
r4=$?
wait $p2
r2=$?
check "two phones in parallel: both exit 0 ($r2, $r4)" test $r2 -eq 0 -a $r4 -eq 0
check "the first holds every image" same ALIOTH0002
check "the second too" same ALIOTH0004
# Each flash: takes those phones 40 ms: run one after the other, their
# "flashed" lines would come in two runs; at once, they interleave.
runs=$(sed -n 's/^.*sim: \(ALIOTH000[24]\) flashed.*/\1/p' "$T/sim.out" | uniq | wc -l)
check "they flashed at the same time ($runs runs of lines, not 2)" test "$runs" -gt 2

# ---- AOSP fastboot running the package's own script -----------------------------------------
mkdir -p "$T/x" && tar -C "$T/x" -xzf "$ROM"
top=$(ls "$T/x")
AO=tcp:127.0.0.1:$(port ALIOTH0003)
(cd "$T" && bash "x/$top/flash_all_except_storage.sh" -s "$AO") >"$T/aosp.out" 2>&1
check "the script run by AOSP fastboot: exit 0" test $? -eq 0
diag "$(tail -3 "$T/aosp.out")"
check "it leaves the same partitions as droidmedic" same ALIOTH0003
for f in $(cd "$(parts ALIOTH0003)" && ls); do
	cmp -s "$(parts ALIOTH0003)/$f" "$(parts ALIOTH0002)/$f" || {
		diag "$f differs"; false; } || break
done
check "file for file, as droidmedic's flash of the same package" \
	test "$(cd "$(parts ALIOTH0003)" && ls)" = "$(cd "$(parts ALIOTH0002)" && ls)"

D server stop --force >/dev/null 2>&1
sim_end
done_testing
