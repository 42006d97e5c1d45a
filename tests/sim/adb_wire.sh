#!/bin/bash
# adb_wire.sh - droidmedic-sim under raw ADB packets (tests/sim/adbwire.py):
# negotiation and checksums, silence before CNXN, refused and unknown
# streams, concurrent streams, delayed-ack windows, auth tokens, and each
# hostile-device fault, armed from a profile or with --fault.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
SIM=$top_builddir/droidmedic-sim
# SIM_WRAPPER="valgrind --error-exitcode=99 --leak-check=full" runs the
# simulator under a checker.
SIM_WRAPPER=${SIM_WRAPPER:-}
PROFILES=$top_srcdir/sim/profiles
FIX=${DROIDMEDIC_FIXTURES:-$top_srcdir/../shared/fixtures/real}

[ -x "$SIM" ] || bail "no $SIM (build first)"
[ -d "$FIX/getprop" ] ||
	bail "real captures not found in $FIX: set DROIDMEDIC_FIXTURES" \
	    "to the shared/fixtures/real directory"
DROIDMEDIC_FIXTURES=$(cd "$FIX" && pwd)
export DROIDMEDIC_FIXTURES
# The captured phones' serials come from the captures themselves.
serial() { sed -n 's/^\[ro.serialno\]: \[\(.*\)\]$/\1/p'; }
cit_sn=$(serial <"$FIX/getprop/xiaomi_redmi_note14_5g_citrine_hyperos2_\
OS2.0.211.0.VOQMIXM_getprop.txt")
s25_sn=$(iconv -f UTF-16 -t UTF-8 "$FIX/getprop/samsung_galaxy_s25plus_\
SM-S936B_pa2q_android16_EUX_getprop_utf16le.txt" | tr -d '\r' | serial)
[ -n "$cit_sn" ] && [ -n "$s25_sn" ] || bail "no ro.serialno in the captures"

# Test phones: a serial, then JSON to add to the profile.
mkprofile() {
	cat >"$T/$1.json" <<EOF
{ "serial": "$1", "source": "hand-written (test)",
  "props": { "ro.product.name": "wire", "ro.product.model": "Wire",
             "ro.product.device": "wire" }$2 }
EOF
	echo "$T/$1.json"
}
big=', "storage": [ { "path": "/sdcard/big.bin", "size": 3145728, "seed": 5 } ]'

$SIM_WRAPPER "$SIM" -v --strict --state "$T/state" --ports-file "$T/ports" \
	--fault FAULTSIZE001=oversize@cnxn \
	--fault FAULTSUM0001=bad_checksum@wrte \
	--fault FAULTSTALL01=stall@open \
	--fault FAULTCLOSE01=close@recv+1048576 \
	"$PROFILES/xiaomi_redmi_note14_5g_citrine.json" \
	"$PROFILES/legacy_4k_checksum.json" \
	"$PROFILES/samsung_galaxy_s25plus_pa2q.json" \
	"$(mkprofile AUTHWIRE0001 ', "auth": "prompt", "auth_delay_ms": 200')" \
	"$(mkprofile FAULTMAGIC01 \
	    ', "faults": [ { "type": "bad_magic", "when": "cnxn" } ]')" \
	"$(mkprofile FAULTSIZE001)" \
	"$(mkprofile FAULTSUM0001 \
	    ', "version": 16777216, "max_payload": 4096')" \
	"$(mkprofile FAULTTRUNC01 ', "faults": [ "truncate@wrte" ]')" \
	"$(mkprofile FAULTSTALL01)" \
	"$(mkprofile FAULTCLOSE01 "$big")" \
	"$(mkprofile FAULTONCE001 \
	    ', "faults": [ { "type": "close", "when": "cnxn",
	       "once": true } ]')" \
	>"$T/sim.out" 2>"$T/sim.err" &
simpid=$!
echo $simpid >"$T/sim.pid"
wait_for 20 test -s "$T/ports" ||
	bail "droidmedic-sim did not start: $(head -c 600 "$T/sim.err")"
check "all eleven phones listen" test "$(wc -l <"$T/ports")" -eq 11

python3 "$top_srcdir/tests/sim/adbwire.py" "$T/ports" "$T/state" \
	"$cit_sn" "$s25_sn" >"$T/wire.out" 2>&1
while IFS= read -r line; do
	case $line in
	"PASS "*) ok "${line#PASS }" ;;
	"FAIL "*) not_ok "${line#FAIL }" ;;
	"# "*) echo "$line" ;;
	*) diag "$line" ;;
	esac
done <"$T/wire.out"

kill -TERM "$simpid"
wait "$simpid"
check "SIGTERM with stalled and faulted links open: exits 0" test $? -eq 0
check "no sanitizer report from the simulator" \
	bash -c "! grep -E 'Sanitizer|runtime error' \
	    '$T/sim.err'"
done_testing
