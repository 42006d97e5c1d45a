# tests/lib/ports.sh - free loopback ports for one test (sourced).
# free_base N prints the first of N free consecutive ports in 15000-15999:
# never 5037 (a developer's adb server) nor 5555-5585 (adb's scan range).
free_base() {
	python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for base in random.sample(range(15000, 16000 - n), 200):
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks: s.close()
    print(base); break
PY
}
