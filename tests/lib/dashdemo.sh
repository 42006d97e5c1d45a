# tests/lib/dashdemo.sh - the dashboard in tmux against the demo phones
# (sourced after tap.sh and env.sh by the dashboard repair tests).  Bails
# when the simulator, the real captures, tmux or python3 are missing;
# exports what `droidmedic demo` needs (this tree's simulator, profiles and
# rules) and gives: D, json, tm (this test's own tmux server, killed on
# exit), screen, has, lacks, keys, and finding_ids ADDR (what droidmedic
# diagnose says of a phone now: its finding ids).
D=$DROIDMEDIC
FIX=${DROIDMEDIC_FIXTURES:-$top_srcdir/../shared/fixtures/real}
[ -x "$top_builddir/droidmedic-sim" ] || bail "no droidmedic-sim (build first)"
[ -d "$FIX/crash_logs" ] && [ -d "$FIX/fastboot_getvar" ] ||
	bail "real captures not found in $FIX: set DROIDMEDIC_FIXTURES"
command -v tmux >/dev/null || bail "tmux is needed (apt-get install tmux)"
command -v python3 >/dev/null || bail "needs python3"
DROIDMEDIC_FIXTURES=$(cd "$FIX" && pwd)
export DROIDMEDIC_FIXTURES DROIDMEDIC_IDLE_EXIT=0
export DROIDMEDIC_SIM=$top_builddir/droidmedic-sim
export DROIDMEDIC_PROFILES=$top_srcdir/sim/profiles
export DROIDMEDIC_RULES=$top_srcdir/data/rules
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
TM=dmdash-$$
unset TMUX
tm() { tmux -L "$TM" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; env_cleanup' EXIT
screen() { tm capture-pane -p -t dm; }
has() { screen | grep -qF -- "$1"; }
lacks() { ! screen | grep -qF -- "$1"; }
keys() { tm send-keys -t dm "$@"; }
finding_ids() {
	"$D" diagnose -s "$1" --json 2>/dev/null |
		json "print(' '.join(f['id'] for f in d['findings']))"
}
