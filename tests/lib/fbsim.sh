# tests/lib/fbsim.sh - what the tests of the simulator's fastboot side
# share (sourced after tap.sh and env.sh): SIM and PROFILES, the real
# captures exported as DROIDMEDIC_FIXTURES, capvar, the Pixel 7 Pro's and
# the LG V60's captures and serial numbers, need, and simrun.sh's
# sim_start, port and sim_end.  Bails out when something is missing.
SIM=$top_builddir/droidmedic-sim
. "$top_srcdir/tests/lib/simrun.sh"
PROFILES=$top_srcdir/sim/profiles/fastboot
FIX=${DROIDMEDIC_FIXTURES:-$top_srcdir/../shared/fixtures/real}

# need "HOW TO GET THEM" TOOL...: bail unless every tool is on PATH.
need() {
	local how=$1 t
	shift
	for t; do
		command -v "$t" >/dev/null || bail "$t is needed: $how"
	done
}

[ -x "$SIM" ] || bail "no $SIM (build first)"
[ -d "$FIX/fastboot_getvar" ] ||
	bail "real captures not found in $FIX: set DROIDMEDIC_FIXTURES"
DROIDMEDIC_FIXTURES=$(cd "$FIX" && pwd)
export DROIDMEDIC_FIXTURES
capvar() {	# capvar FILE NAME: the capture's value
	sed -n "s/^(bootloader) $2:[ ]*//p" "$1" | tr -d '\r' | head -1
}
PIX_FIX=$FIX/fastboot_getvar/google_pixel7pro_cheetah_AP5A_fastboot_getvar_all.txt
LG_FIX=$FIX/fastboot_getvar/lg_v60_thinq_kona_bootloader_getvar_all.txt
PIX_SN=$(capvar "$PIX_FIX" serialno)
LG_SN=$(capvar "$LG_FIX" serialno)
[ -n "$PIX_SN" ] && [ -n "$LG_SN" ] || bail "no serialno in the captures"
