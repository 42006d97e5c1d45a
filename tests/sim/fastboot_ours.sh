#!/bin/bash
# fastboot_ours.sh - droidmedic's own fastboot client against droidmedic-sim
# over TCP: getvar (one, all, --json, unknown), fastboot-flash of raw and
# sparse images larger than max-download-size (the partition must equal
# simg2img's expansion byte for byte), the plan and the typed confirmation,
# slots, the refusals made before a byte goes out (hash, product, locked,
# low battery, too large, malformed image, logical partition outside
# fastbootd), the phone's own refusals, a cable pulled mid-download, and
# reboot between adb, bootloader and fastbootd.  Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/fbsim.sh"
need "apt-get install android-sdk-libsparse-utils" img2simg simg2img \
	sha256sum python3

. "$top_srcdir/tests/lib/ports.sh"
base=$(free_base 8)
[ -n "$base" ] || bail "no free ports in 15000-15999"

# The Pixel with a 4 MiB download limit (so small images need splitting);
# copies of it that are locked, low on battery, and one whose cable is
# pulled 1 MiB into every download.
python3 - "$PROFILES/google_pixel7pro_cheetah.json" "$T" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
def variant(name, serial=None, **vars):
    p = json.load(open(src))
    p["fastboot"]["vars"] = {"max-download-size": "0x400000", **vars}
    if serial:
        p["serial"] = serial
    json.dump(p, open("%s/%s.json" % (out, name), "w"))
variant("pixel")
variant("locked", "LOCKEDPIXEL1", unlocked="no")
variant("lowbat", "LOWBATPIXEL1", **{"battery-soc-ok": "no"})
variant("cut", "CUTPIXEL0001")
PY

sim_start -v --strict --state "$T/state" --ports-file "$T/ports" \
	--port-base $((base + 1)) --fault CUTPIXEL0001=close@download+1048576 \
	"$T/pixel.json" "$T/locked.json" "$T/lowbat.json" "$T/cut.json" \
	"$PROFILES/lg_v60_thinq.json"
PIX=tcp:127.0.0.1:$(port "$PIX_SN")
LCK=tcp:127.0.0.1:$(port LOCKEDPIXEL1)
LOW=tcp:127.0.0.1:$(port LOWBATPIXEL1)
CUT=tcp:127.0.0.1:$(port CUTPIXEL0001)
LG=tcp:127.0.0.1:$(port "$LG_SN")
D() { timeout 60 "$DROIDMEDIC" --no-autostart "$@"; }
parts=$T/state/$PIX_SN/partitions
last4=${PIX_SN: -4}

# ---- getvar -------------------------------------------------------------------
D getvar -s "$PIX" product >"$T/o" 2>&1
check "getvar product: cheetah" grep -qx "product: cheetah" "$T/o"
D getvar -s "$PIX" >"$T/all" 2>&1
check "getvar (all): exit 0" test $? -eq 0
check "getvar all lists the capture's variables (300+)" \
	test "$(grep -c ': ' "$T/all")" -ge 300
check "getvar all: partition sizes keep their sub-key" \
	grep -q "^partition-size:boot_a: " "$T/all"
D getvar -s "$PIX" all --json >"$T/j" 2>&1
check "getvar all --json: typed product, slot and limit" python3 - "$T/j" "$PIX_SN" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["typed"]
sys.exit(not (d["ok"] and t["product"] == "cheetah" and t["serialno"] == sys.argv[2]
              and t["current_slot"] == "a" and t["slot_count"] == 2
              and t["max_download_size"] == 4194304 and t["unlocked"] is True
              and d["vars"]["product"] == "cheetah"))
PY
D getvar -s "$PIX" no-such-variable >"$T/o" 2>&1
check "an unknown variable: exit 1" test $? -eq 1
check "with the phone's words" grep -q "the phone said: GetVar Variable Not found" "$T/o"
D getvar -s tcp:127.0.0.1:$((base + 7)) product >"$T/o" 2>&1
check "nobody listening: exit 1 with a reason" grep -q "cannot connect" "$T/o"

# ---- images -------------------------------------------------------------------
python3 - "$T" <<'PY'
import random, sys
r = random.Random(4)
M = 1 << 20
with open(sys.argv[1] + "/boot.raw", "wb") as f:      # 10 MiB, random
    f.write(r.randbytes(10 * M))
with open(sys.argv[1] + "/vendor.raw", "wb") as f:    # 24 MiB, mostly holes
    f.write(r.randbytes(3 * M)); f.write(bytes(12 * M))
    f.write(b"\xab" * (4 * M)); f.write(r.randbytes(5 * M))
with open(sys.argv[1] + "/small.raw", "wb") as f:     # not a block multiple
    f.write(r.randbytes(300001))
PY
img2simg "$T/vendor.raw" "$T/vendor.simg"
simg2img "$T/vendor.simg" "$T/vendor.want"
check "the sparse image is larger than the 4 MiB limit" \
	test "$(stat -c %s "$T/vendor.simg")" -gt 4194304

# ---- the plan and the confirmation ----------------------------------------------
D fastboot-flash -s "$PIX" boot "$T/boot.raw" >"$T/o" 2>"$T/e"
check "no --confirm: exit 1" test $? -eq 1
check "the plan names the slot's partition" grep -q "^Plan: flash .* on boot_a (cheetah, serial $PIX_SN)" "$T/o"
check "without --sha256 or --hash the plan says no hash is computed" \
	grep -q "sha256 *not computed (--sha256 HEX checks it before anything is sent, --hash reports it)" "$T/o"
check "the plan shows the pieces" grep -q "sending *3 pieces" "$T/o"
check "the plan marks the risk" grep -q "risk *high" "$T/o"
check "it says how to confirm" grep -q -- "--confirm $last4" "$T/e"
check "and flashed nothing" test ! -e "$parts/boot_a.img"
D fastboot-flash -s "$PIX" boot "$T/boot.raw" --confirm WXYZ >"$T/o" 2>"$T/e"
check "a --confirm naming another phone: exit 1" test $? -eq 1
check "it says so" grep -q "does not name this phone" "$T/e"
check "and flashed nothing" test ! -e "$parts/boot_a.img"
D fastboot-flash -s "$PIX" boot "$T/boot.raw" --json >"$T/j" 2>/dev/null
check "--json without --confirm: the plan as JSON" python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["plan"]
sys.exit(not (d["ok"] is False and d["error"] == "ECONFIRM"
              and p["targets"] == ["boot_a"] and p["pieces"] == 3
              and p["sparse"] is False and p["expanded_size"] == 10 << 20))
PY

# ---- flashing -------------------------------------------------------------------
D fastboot-flash -s "$PIX" boot "$T/boot.raw" --confirm "$last4" >"$T/o" 2>&1
check "raw 10 MiB with a 4 MiB limit: exit 0" test $? -eq 0
check "boot_a holds it byte for byte" cmp -s "$T/boot.raw" "$parts/boot_a.img"
check "without --hash no SHA-256 is claimed" sh -c "! grep -q 'sha256 of what was flashed' '$T/o'"
rm -f "$parts/boot_a.img"
D fastboot-flash -s "$PIX" boot "$T/boot.raw" --confirm "$last4" --hash >"$T/o" 2>&1
check "again with --hash: exit 0" test $? -eq 0
check "the plan says the hash comes while sending" \
	grep -q "sha256 *computed while sending (--sha256 HEX checks it" "$T/o"
check "boot_a holds it byte for byte again" cmp -s "$T/boot.raw" "$parts/boot_a.img"
check "and the SHA-256 of what was flashed is reported" \
	grep -qx "sha256 of what was flashed: $(sha256sum "$T/boot.raw" | cut -d' ' -f1)" "$T/o"
D fastboot-flash -s "$PIX" boot "$T/boot.raw" --hash \
	--sha256 "$(sha256sum "$T/boot.raw" | cut -d' ' -f1)" >"$T/o" 2>&1
check "--hash with --sha256: a usage error (exit 2)" test $? -eq 2
D fastboot-flash -s "$PIX" vendor_boot "$T/vendor.simg" --confirm "$PIX_SN" \
	--sha256 "$(sha256sum "$T/vendor.simg" | cut -d' ' -f1)" --product cheetah \
	--json >"$T/j" 2>&1
check "sparse larger than the limit, full serial, right hash: exit 0" test $? -eq 0
check "vendor_boot_a equals simg2img's expansion" cmp -s "$T/vendor.want" "$parts/vendor_boot_a.img"
check "--json: several sparse pieces, fewer bytes than the expansion" python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["plan"]
sys.exit(not (d["ok"] and p["sparse"] and p["pieces"] >= 2
              and d["bytes_sent"] == p["send_bytes"]
              and p["send_bytes"] < p["expanded_size"]))
PY
check "--json with --sha256: the hash was checked first, and is reported" \
	python3 - "$T/j" "$(sha256sum "$T/vendor.simg" | cut -d' ' -f1)" <<'PY'
import json, sys
d, want = json.load(open(sys.argv[1])), sys.argv[2]
p = d["plan"]
sys.exit(not (p["sha256"] == want and p["sha256_checked"] is True
              and d["sha256"] == want))
PY
# Trailing bytes after the last chunk (a vendor signature) are never sent,
# but the hash computed while sending covers them.
cp "$T/vendor.simg" "$T/signed.simg"
printf 'SIGNATURE-0123456789abcdef' >>"$T/signed.simg"
rm -f "$parts/vendor_boot_a.img"
D fastboot-flash -s "$PIX" vendor_boot "$T/signed.simg" --confirm "$last4" \
	--json >"$T/j" 2>&1
check "sparse with trailing bytes, no --sha256 nor --hash: exit 0" test $? -eq 0
check "vendor_boot_a equals simg2img's expansion" cmp -s "$T/vendor.want" "$parts/vendor_boot_a.img"
check "--json: no hash in the plan nor in the result" python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["plan"]
sys.exit(not (d["ok"] and p["sha256"] is None and p["sha256_checked"] is False
              and p["sha256_while_sending"] is False and d["sha256"] is None))
PY
rm -f "$parts/vendor_boot_a.img"
D fastboot-flash -s "$PIX" vendor_boot "$T/signed.simg" --confirm "$last4" \
	--hash --json >"$T/j" 2>&1
check "sparse with trailing bytes, --hash: exit 0" test $? -eq 0
check "vendor_boot_a equals simg2img's expansion again" cmp -s "$T/vendor.want" "$parts/vendor_boot_a.img"
check "--json: the plan had no hash, the run reports the file's" \
	python3 - "$T/j" "$(sha256sum "$T/signed.simg" | cut -d' ' -f1)" <<'PY'
import json, sys
d, want = json.load(open(sys.argv[1])), sys.argv[2]
p = d["plan"]
sys.exit(not (d["ok"] and p["sha256"] is None and p["sha256_checked"] is False
              and p["sha256_while_sending"] is True and d["sha256"] == want))
PY
D fastboot-flash -s "$PIX" dtbo "$T/small.raw" --confirm "$last4" >/dev/null 2>&1
check "a small raw image goes in one piece, unchanged" cmp -s "$T/small.raw" "$parts/dtbo_a.img"
D fastboot-flash -s "$PIX" dtbo "$T/small.raw" --slot b --confirm "$last4" >/dev/null 2>&1
check "--slot b writes dtbo_b" cmp -s "$T/small.raw" "$parts/dtbo_b.img"
rm -f "$parts"/dtbo_*.img
D fastboot-flash -s "$PIX" dtbo "$T/small.raw" --slot all --confirm "$last4" --hash >"$T/o" 2>&1
check "--slot all writes both slots" \
	sh -c "cmp -s '$T/small.raw' '$parts/dtbo_a.img' && cmp -s '$T/small.raw' '$parts/dtbo_b.img'"
check "and reports the image's SHA-256 (hashed on the first pass)" \
	grep -qx "sha256 of what was flashed: $(sha256sum "$T/small.raw" | cut -d' ' -f1)" "$T/o"
D fastboot-flash -s "$PIX" dtbo "$T/small.raw" --slot c --confirm "$last4" >"$T/o" 2>&1
check "--slot c on a two-slot phone is refused" grep -q "no slot 'c'" "$T/o"

# ---- refused before a byte goes out -------------------------------------------
# The simulator logs every command (-v): no download: may follow these.
downloads() { grep -c "fastboot download:" "$T/sim.err"; }
before=$(downloads)
check "the flashes above were logged as downloads" test "$before" -gt 0
unchanged() { test "$(downloads)" = "$before"; }
D fastboot-flash -s "$PIX" boot "$T/small.raw" --confirm "$last4" \
	--sha256 "$(printf '0%.0s' $(seq 64))" >"$T/o" 2>&1
check "a wrong --sha256 is refused" grep -q "SHA-256 is .*not the expected" "$T/o"
check "before any download" unchanged
D fastboot-flash -s "$PIX" boot "$T/small.raw" --confirm "$last4" --product alioth >"$T/o" 2>&1
check "another model (--product) is refused" grep -q "this phone is 'cheetah', not 'alioth'" "$T/o"
check "before any download" unchanged
head -c 28 "$T/vendor.simg" >"$T/trunc.simg"
head -c $((3 << 20)) "$T/vendor.simg" >>"$T/trunc.simg"
D fastboot-flash -s "$PIX" vendor_boot "$T/trunc.simg" --confirm "$last4" >"$T/o" 2>&1
check "a truncated sparse image is refused" test $? -eq 1
check "naming what is wrong" grep -qi "chunk\|ended\|short\|size" "$T/o"
check "before any download" unchanged
python3 - "$T/vendor.simg" "$T/badchunk.simg" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[28:30] = b"\x99\x99"                    # first chunk: an unknown type
open(sys.argv[2], "wb").write(b)
PY
D fastboot-flash -s "$PIX" vendor_boot "$T/badchunk.simg" --confirm "$last4" >"$T/o" 2>&1
check "a sparse image with a bad chunk type is refused" grep -qi "chunk" "$T/o"
check "before any download" unchanged
D fastboot-flash -s "$PIX" init_boot "$T/boot.raw" --confirm "$last4" >"$T/o" 2>&1
check "an image larger than its partition is refused" grep -q "holds only" "$T/o"
check "before any download" unchanged
D fastboot-flash -s "$PIX" system "$T/small.raw" --confirm "$last4" >"$T/o" 2>&1
check "a logical partition (the Pixel's bootloader knows) is refused" \
	grep -q "system_a is a logical partition" "$T/o"
check "with the way out" grep -q "reboot -s SERIAL fastboot" "$T/o"
check "before any download" unchanged
D fastboot-flash -s "$LCK" boot "$T/small.raw" --confirm LOCKEDPIXEL1 >"$T/o" 2>&1
check "a locked bootloader is refused" grep -q "bootloader is locked" "$T/o"
check "and nothing written" test ! -e "$T/state/LOCKEDPIXEL1/partitions/boot_a.img"
D fastboot-flash -s "$LOW" boot "$T/small.raw" --confirm LOWBATPIXEL1 >"$T/o" 2>&1
check "a low battery is refused" grep -q "battery is too low" "$T/o"
D fastboot-flash -s "$LOW" boot "$T/small.raw" --confirm LOWBATPIXEL1 --force >"$T/o" 2>&1
check "--force flashes anyway" cmp -s "$T/small.raw" "$T/state/LOWBATPIXEL1/partitions/boot_a.img"

# ---- the phone's refusals, a pulled cable ----------------------------------------
D fastboot-flash -s "$PIX" nosuchpart "$T/small.raw" --confirm "$last4" >"$T/o" 2>&1
check "an unknown partition: exit 1" test $? -eq 1
check "in the phone's words, and nothing flashed" \
	grep -q "the phone said: Partition not found; nothing was flashed" "$T/o"
D fastboot-flash -s "$CUT" boot "$T/boot.raw" --confirm CUTPIXEL0001 --json >"$T/j" 2>&1
check "a cable pulled mid-download: exit 1" test $? -eq 1
check "reported as a lost link, nothing flashed" python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["ok"] is False and d["error"] in ("ECLOSED", "ECONN", "EIO")
              and d["targets_done"] == 0 and d["pieces_done"] == 0
              and "nothing was flashed" in d["message"]))
PY
check "the phone holds no partition" test ! -e "$T/state/CUTPIXEL0001/partitions/boot_a.img"

# ---- fastbootd and logical partitions --------------------------------------------
D fastboot-flash -s "$LG" system "$T/small.raw" --confirm "$LG_SN" >"$T/o" 2>&1
check "a logical partition from the bootloader: exit 1" test $? -eq 1
check "the plan warned: flash it from fastbootd" \
	grep -q "bootloader does not know system: .*reboot -s SERIAL fastboot" "$T/o"
check "and the phone refused it in its words" \
	grep -q "the phone said: Partition not found; nothing was flashed" "$T/o"
D reboot -s "$LG" fastboot >"$T/o" 2>&1
check "reboot fastboot: exit 0" test $? -eq 0
wait_for 20 grep -q "^sim: $LG_SN fastboot tcp:.* fastbootd$" "$T/sim.out"
check "the LG comes back in fastbootd" test $? -eq 0
D getvar -s "$LG" is-userspace >"$T/o" 2>&1
check "fastbootd: is-userspace yes" grep -qx "is-userspace: yes" "$T/o"
D fastboot-flash -s "$LG" system "$T/vendor.simg" --confirm "$LG_SN" >"$T/o" 2>&1
check "a logical partition in fastbootd: exit 0" test $? -eq 0
check "the plan says it is resized" grep -q "logical, resized to fit" "$T/o"
check "system_a equals simg2img's expansion" \
	cmp -s "$T/vendor.want" "$T/state/$LG_SN/partitions/system_a.img"
D getvar -s "$LG" partition-size:system_a >"$T/o" 2>&1
check "and was resized to the image" grep -qix "partition-size:system_a: 0x1800000" "$T/o"

# ---- reboots across modes ----------------------------------------------------------
D reboot -s "$PIX" system --json >"$T/j" 2>&1
check "reboot system from fastboot: via fastboot" grep -q '"via":.*"fastboot"' "$T/j"
wait_for 20 grep -q "^sim: $PIX_SN adb tcp:.* device$" "$T/sim.out"
check "the Pixel comes back in adb mode" test $? -eq 0
D reboot -s "$PIX" bootloader --json >"$T/j" 2>&1
check "reboot bootloader from adb: via adb" grep -q '"via":.*"adb"' "$T/j"
bootlines() { test "$(grep -c "^sim: $PIX_SN fastboot tcp:.* bootloader$" "$T/sim.out")" -eq 2; }
wait_for 20 bootlines
check "and it is back in the bootloader" test $? -eq 0
D getvar -s "$PIX" current-slot >"$T/o" 2>&1
check "answering getvar again" grep -qx "current-slot: a" "$T/o"
D reboot -s "$PIX" nowhere >"$T/o" 2>&1
check "an unknown reboot target: exit 2" test $? -eq 2

# ---- on the bench: identity in fastboot, one row across modes -------------------
export DROIDMEDIC_IDLE_EXIT=0
B() { timeout 60 "$DROIDMEDIC" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
B connect "$PIX" >"$T/c" 2>&1
check "connect a phone in fastboot: exit 0" test $? -eq 0
check "it is named from its variables" grep -q "fastboot, cheetah · bootloader unlocked · slot a" "$T/c"
B info -s "$PIX" --json >"$T/i.json"
check "info: mode fastboot, identity from fastboot" json "
i = d['identity']; f = i['fastboot']
assert d['mode'] == 'fastboot' and i['source'] == 'fastboot', d
assert f['product'] == 'cheetah' and f['serialno'] == '$PIX_SN' and f['slot_count'] == 2
assert i['security']['bootloader'] == 'unlocked' and i['boot']['slot'] == 'a'
assert i['battery']['voltage_mv'] == 4055 and f['battery_percent'] == 68" <"$T/i.json"
pid=$(json "print(d['id'])" <"$T/i.json")
B connect "$LG" >/dev/null 2>&1
B info -s "$LG" --json >"$T/i2.json"
check "the LG is shown in fastbootd" json "
assert d['mode'] == 'fastbootd' and d['identity']['fastboot']['is_userspace'] is True, d" <"$T/i2.json"
B getvar -s "$pid" product >"$T/o" 2>&1
check "getvar by bench row id" grep -qx "product: cheetah" "$T/o"
B reboot -s "$pid" system >"$T/o" 2>&1
check "reboot by row id goes over fastboot" grep -q "asked over fastboot" "$T/o"
inadb() { B info -s "$PIX" --json | json "assert d['present'] and d['mode'] == 'adb' and d['id'] == $pid and d['identity']['codename'] == 'cheetah'" 2>/dev/null; }
check "the Pixel keeps its row in adb mode, identified by adb" wait_for 20 inadb
B reboot -s "$pid" bootloader >"$T/o" 2>&1
check "and from adb mode reboot goes over adb" grep -q "asked over adb" "$T/o"
infb() { B info -s "$PIX" --json | json "assert d['present'] and d['mode'] == 'fastboot' and d['id'] == $pid and d['identity']['source'] == 'fastboot'" 2>/dev/null; }
check "back in fastboot, still the same row" wait_for 20 infb
B server stop --force >/dev/null 2>&1

sim_end
done_testing
