# tests/lib/env.sh - a private world for one test script (sourced).
# Gives the test its own HOME and XDG directories, so its bench server and
# socket are its own, and stops that server on exit.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${DROIDMEDIC:=$top_builddir/droidmedic}"
export top_srcdir top_builddir DROIDMEDIC

T=$(mktemp -d "${TMPDIR:-/tmp}/dmtest.XXXXXX")
mkdir -p "$T/run" "$T/home" "$T/state" "$T/config" "$T/cache"
chmod 700 "$T/run"
export HOME=$T/home XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=$T/state \
	XDG_CONFIG_HOME=$T/config XDG_CACHE_HOME=$T/cache
unset DROIDMEDIC_SOCKET DISPLAY
# A developer's own adb server (5037) stays out of the tests; the one test
# about sharing phones with an adb server turns this back on.
export DROIDMEDIC_ADB_SERVER=off
export LC_ALL=C.UTF-8

# Only the test's own shell cleans up: bash can run the EXIT trap in a
# child killed right after it was forked, which must not remove $T
# under the test.
env_owner=$BASHPID
env_cleanup() {
	[ "$BASHPID" = "$env_owner" ] || return 0
	"$DROIDMEDIC" server stop --force --no-autostart >/dev/null 2>&1
	for f in "$T"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	if [ -n "${KEEP_TEST_DIR:-}" ]; then
		echo "# test dir kept: $T"
	else
		rm -rf "$T"
	fi
}
trap env_cleanup EXIT
