#!/bin/bash
# flash_job.sh - a flash is a bench-server job: it goes on when the command
# that started it is killed (a dropped SSH session), `jobs attach` follows it
# to its end, `jobs` lists it and `jobs cancel` stops it at its next safe
# point, saying exactly what the phone holds.  The simulated Pixel takes
# 300 ms over each flash: (a slow@flash fault) and 1 MiB per download, so
# a 12 MiB image is still being written when the command dies.  Loopback
# only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/fbsim.sh"
command -v python3 >/dev/null || bail "python3 is needed"

. "$top_srcdir/tests/lib/ports.sh"
base=$(free_base 4)
[ -n "$base" ] || bail "no free ports in 15000-15999"

SN=SLOWPIXEL001
python3 - "$PROFILES/google_pixel7pro_cheetah.json" "$T" "$SN" <<'PY'
import json, random, sys
src, out, sn = sys.argv[1], sys.argv[2], sys.argv[3]
p = json.load(open(src))
p["fastboot"]["vars"] = {"max-download-size": "0x100000"}
p["serial"] = sn
json.dump(p, open(out + "/slow.json", "w"))
r = random.Random(12)
with open(out + "/boot.raw", "wb") as f:
    f.write(r.randbytes(12 << 20))
with open(out + "/boot2.raw", "wb") as f:
    f.write(r.randbytes(12 << 20))
PY

sim_start -v --strict --state "$T/state" --ports-file "$T/ports" \
	--port-base $((base + 1)) --fault "$SN=slow@flash+300" \
	"$T/slow.json"
ADDR=tcp:127.0.0.1:$(awk -v s="$SN" '$1 == s { print $2 }' "$T/ports")
PART=$T/state/$SN/partitions/boot_a.img
export DROIDMEDIC_IDLE_EXIT=0
B() { timeout 60 "$DROIDMEDIC" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

B connect "$ADDR" >"$T/c" 2>&1
check "the slow Pixel is on the bench in fastboot" grep -q "fastboot" "$T/c"

# The job's number and state, from `jobs --json`.
last_flash() { B jobs --json | json "
j = [x for x in d if x['kind'] == 'flash'][-1]
print(j['id'], j['state'], j['done'])"; }
started() { set -- $(last_flash); [ "${3:-0}" -gt 0 ]; }

# ---- without --confirm: the plan, and nothing written ------------------------------
B fastboot-flash -s "$ADDR" boot "$T/boot.raw" >"$T/o" 2>"$T/e"
check "no --confirm: exit 1" test $? -eq 1
check "the plan came from the server's job" grep -q "^Plan: flash $T/boot.raw on boot_a" "$T/o"
check "and nothing was flashed" grep -q "nothing was flashed: to go on, run this again with --confirm L001" "$T/e"
check "no partition file was made" test ! -e "$PART"
set -- $(last_flash)
check "the unconfirmed job is listed as cancelled" test "$2" = cancelled

# ---- the command is killed; the flash goes on ---------------------------------------
(cd "$T" && exec "$DROIDMEDIC" fastboot-flash -s "$ADDR" boot boot.raw \
	--confirm "$SN" >"$T/o1" 2>"$T/e1") &
cli=$!
check "the flash starts (progress seen)" wait_for 20 started
kill -KILL "$cli"
wait "$cli" 2>/dev/null
set -- $(last_flash)
job=$1
check "the command is gone; job $job still runs" test "$2" = running
check "the plan had been shown before sending" grep -Eq "^  sending    1[23] pieces" "$T/o1"
check "with the job number to attach to" grep -q "^job $job on the bench server" "$T/e1"
B jobs attach "$job" --json >"$T/a.json" 2>"$T/a.err"
check "attach follows it to the end: exit 0" test $? -eq 0
check "attach --json: ok, every byte sent, the phone named" json "
p = d['plan']
assert d['ok'] is True and d['job'] == $job, d
assert d['bytes_sent'] == p['send_bytes'] >= 12 << 20 and p['pieces'] >= 12 and p['serialno'] == '$SN', d" <"$T/a.json"
check "boot_a holds the image byte for byte" cmp -s "$T/boot.raw" "$PART"
B jobs >"$T/jobs" 2>&1
check "jobs lists it as done" grep -Eq "^$job +flash +[0-9]+ +done +100%" "$T/jobs"
B jobs attach "$job" >"$T/o" 2>&1
check "attaching to an ended job reports at once: exit 0" test $? -eq 0

# ---- Ctrl-C detaches; cancel stops at the next safe point ---------------------------
"$DROIDMEDIC" fastboot-flash -s "$ADDR" boot "$T/boot2.raw" --confirm L001 \
	>"$T/o2" 2>"$T/e2" &
cli=$!
check "a second flash starts" wait_for 20 started
kill -INT "$cli"
wait "$cli"
check "Ctrl-C: exit 130" test $? -eq 130
set -- $(last_flash)
job=$1
check "and says the flash goes on, and how to follow or stop it" \
	grep -q "detached: job $job goes on in the bench server (droidmedic jobs attach $job follows it, droidmedic jobs cancel $job" "$T/e2"
B jobs cancel "$job" >"$T/o" 2>&1
check "cancel: exit 0" test $? -eq 0
B jobs attach "$job" >"$T/o" 2>"$T/e"
check "attach after cancel: exit 1" test $? -eq 1
check "it says what the phone holds" \
	grep -Eq "cancelled; (FLASH INCOMPLETE: 0 of 1 partition done, [0-9]+ of 1[23] pieces of the next written - boot_a is not usable|nothing was flashed)" "$T/e"
set -- $(last_flash)
check "jobs lists it as cancelled" test "$2" = cancelled

# ---- the dashboard shows the flash on the phone's details ---------------------------
if command -v tmux >/dev/null; then
	TM=dmflash-$$
	tm() { tmux -L "$TM" -f /dev/null "$@"; }
	pane() { tm capture-pane -p -t dm; }
	unset TMUX
	tm new-session -d -s dm -x 120 -y 30 "$DROIDMEDIC; sleep 30"
	wait_for 10 sh -c "tmux -L $TM capture-pane -p -t dm | grep -q cheetah"
	tm send-keys -t dm Enter
	B fastboot-flash -s "$ADDR" boot "$T/boot.raw" --confirm "$SN" \
		>/dev/null 2>&1 &
	cli=$!
	running() { pane | grep -Eq "Job: +#[0-9]+ flash: running [0-9]+% writing boot_a: piece [0-9]+/1[23]"; }
	check "dashboard: the details pane shows the flash running, with its piece" \
		wait_for 20 running
	wait "$cli"
	check "the flash that the dashboard watched succeeded" test $? -eq 0
	fdone() { pane | grep -Eq "Job: +#[0-9]+ flash: done 100%"; }
	check "dashboard: and then done" wait_for 10 fdone
	tm send-keys -t dm q
	tm kill-server >/dev/null 2>&1
else
	bail "tmux is needed (apt-get install tmux)"
fi

# ---- bad requests -------------------------------------------------------------------
B jobs attach 9999 >"$T/o" 2>&1
check "attach to an unknown job: exit 1" test $? -eq 1
check "saying so" grep -q "no such job" "$T/o"
B jobs attach nine >"$T/o" 2>&1
check "attach with no job number: exit 2" test $? -eq 2
B fastboot-flash -s NOSUCHPHONE boot "$T/boot.raw" --confirm PHONE >"$T/o" 2>&1
check "a phone not on the bench: exit 1" test $? -eq 1
check "named in the error" grep -q "no phone NOSUCHPHONE on the bench" "$T/o"

B server stop --force >/dev/null 2>&1
sim_end
done_testing
