# tests/lib/diagsim.sh - set-up for the diagnosis and repair tests (sourced
# after tap.sh and env.sh): SIM and PROFILES, the real captures exported
# as DROIDMEDIC_FIXTURES, the rules of this source tree as
# DROIDMEDIC_RULES, python3 checked, and simrun.sh's sim_start, port and
# sim_end, and key_fingerprint.  Bails when something is missing.
SIM=${DROIDMEDIC_SIM:-$top_builddir/droidmedic-sim}
PROFILES=$top_srcdir/sim/profiles
FIX=${DROIDMEDIC_FIXTURES:-$top_srcdir/../shared/fixtures/real}
[ -x "$SIM" ] || bail "$SIM not built"
[ -d "$FIX/crash_logs" ] ||
	bail "real captures not found in $FIX: set DROIDMEDIC_FIXTURES"
command -v python3 >/dev/null || bail "needs python3"
. "$top_srcdir/tests/lib/simrun.sh"
DROIDMEDIC_FIXTURES=$(cd "$FIX" && pwd)
# The built-in rules of this source tree (the build may be elsewhere).
DROIDMEDIC_RULES=$top_srcdir/data/rules
export DROIDMEDIC_FIXTURES DROIDMEDIC_RULES

# profile_variant SRC OUT EDIT: a test's own copy of profile SRC, marked
# as such in its "source", with the Python statements EDIT applied to it
# (as p) - a locked bootloader, another serial, no su...
profile_variant() {
	python3 - "$@" <<'PY'
import json, sys
src, out, edit = sys.argv[1:4]
p = json.load(open(src))
p["source"] = ["hand-written (test) from " + src]
exec(edit)
json.dump(p, open(out, "w"))
PY
}

# key_fingerprint PUBFILE: an adb public key's fingerprint as the phone's
# "Allow USB debugging?" prompt shows it (MD5 of the decoded key, hex
# pairs in capitals joined by ':'), computed by Python, not by us.
key_fingerprint() {
	python3 -c "
import base64, hashlib, sys
k = open(sys.argv[1]).read().split()[0]
d = hashlib.md5(base64.b64decode(k)).hexdigest().upper()
print(':'.join(d[i:i+2] for i in range(0, 32, 2)))" "$1"
}
