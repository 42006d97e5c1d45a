# tests/lib/simrun.sh - running droidmedic-sim in a test (sourced after
# tap.sh and env.sh; SIM names the simulator).
#
# sim_start ARGS...: the simulator with ARGS (which name --ports-file
#   "$T/ports") in the background, its output in $T/sim.out and
#   $T/sim.err; returns once it has written its ports, else bails.
#   SIMPID is its pid.
# port SERIAL: the port it serves that phone on.
# sim_end: stop it, and check that it logged no error.
sim_start() {
	"$SIM" "$@" >"$T/sim.out" 2>"$T/sim.err" &
	SIMPID=$!
	wait_for 20 test -s "$T/ports" ||
		bail "droidmedic-sim did not start: $(head -c 600 "$T/sim.err")"
}

port() { awk -v s="$1" '$1 == s { print $2 }' "$T/ports"; }

sim_end() {
	kill "$SIMPID" 2>/dev/null
	wait "$SIMPID" 2>/dev/null
	check "the simulator reported no errors" \
		test -z "$(grep -v -e '^droidmedic-sim: .*info' "$T/sim.err" | grep -i -e error -e asan)"
}
