#!/bin/bash
# discovery.sh - live USB discovery and the USB transport, against fake
# phones on a umockdev bus (tests/usb/fakebed.py).  TAP.
#
# The bench server runs inside the fake bench (under umockdev-wrapper);
# the clients run out here and only talk to its socket.  Checks: every
# mode is recognised, hubs and keyboards are not listed, strings come from
# sysfs or the device, a slow link and a node without permission are
# reported with fixes, the phones that run nothing for us (USB debugging
# off, EDL, download, MediaTek boot ROM) are diagnosed from their rows,
# unplugging shows within a second, a phone coming
# back in another mode keeps its row, and the transport (t_usbxfer) moves
# bytes, times out, sends ZLPs and notices unplugs.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
D=$DROIDMEDIC
PY=/usr/bin/python3		# Debian's: it has gi (pyenv's has not)
FAKEBED=$top_srcdir/tests/usb/fakebed.py
# The rules of this source tree, for diagnose (a build outside the tree,
# as distcheck's, finds none of its own).
export DROIDMEDIC_RULES=$top_srcdir/data/rules
XFER=$top_builddir/tests/usb/t_usbxfer

# The tools are part of the test set-up (./quickstart installs them): a
# missing one is a failure, not a skip.
command -v umockdev-wrapper >/dev/null ||
	bail "umockdev-wrapper missing: apt-get install umockdev"
$PY -c 'import gi; gi.require_version("UMockdev", "1.0")' 2>/dev/null ||
	bail "no UMockdev for $PY: apt-get install gir1.2-umockdev-1.0 python3-gi"
[ -x "$XFER" ] || bail "$XFER not built (make check builds it)"

# Texts depend on these; the doctor checks below set them on purpose.
unset SSH_CONNECTION SSH_CLIENT SSH_TTY ANDROID_ADB_SERVER_PORT

# In a sanitizer build, ASan must accept umockdev's preload library being
# loaded before its runtime (make check sets this; a hand run may not).
case ${ASAN_OPTIONS:-} in
*verify_asan_link_order=0*) ;;
*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 ;;
esac

bench() { umockdev-wrapper "$PY" "$FAKEBED" "$@"; }

# devq EXPR: true when EXPR holds for the device list; D maps port ->
# device, L is the list.
devq() {
	"$D" --no-autostart devices --json 2>/dev/null | $PY -c '
import json, sys
L = json.load(sys.stdin)["devices"]
D = {d["port"]: d for d in L if d["present"]}
sys.exit(0 if ('"$1"') else 1)' 2>/dev/null
}
server_up() { "$D" --no-autostart server status >/dev/null 2>&1; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------------
# 1. A bench of every mode, as root.
mkfifo "$T/ctl"
bench --control "$T/ctl" \
	--dev 1-2:adb:DMADB002 \
	--dev 1-3:fastboot:DMFB0003 --no-sysfs-strings 1-3 \
	--dev 1-4:samsung-download \
	--dev 1-5:edl \
	--dev 1-6:mtk-preloader \
	--dev 1-7:mtp:DMMTP007 \
	--dev 1-8:keyboard \
	--dev 1-9.2:mtk-brom --speed 1-9.2=12 \
	-- "$D" server start --foreground --idle-exit 0 >"$T/bench1.log" 2>&1 &
echo $! >"$T/bench1.pid"
wait_for 20 server_up || { cat "$T/bench1.log"; bail "server under the bench did not start"; }
"$D" --no-autostart devices --json >"$T/devs.json"
check "devices --json lists the bench" test -s "$T/devs.json"

for pm in 1-2=adb 1-3=fastboot 1-4=samsung-download 1-5=qualcomm-edl \
	1-6=mediatek-preloader 1-7=mtp-only 1-9.2=mediatek-brom; do
	port=usb:${pm%%=*} mode=${pm#*=}
	check "$port is $mode" devq "D['$port']['mode'] == '$mode'"
done
check "exactly those 7: no keyboard, no hubs" devq \
	"len(L) == 7 and 'usb:1-8' not in D and 'usb:1-9' not in D"
check "composite MTP+adb Pixel is adb, labelled Google 18d1:4ee2" devq \
	"D['usb:1-2']['vendor'] == 'Google' and D['usb:1-2']['vid'] == '18d1' and D['usb:1-2']['pid'] == '4ee2'"
check "serial, manufacturer and product from sysfs" devq \
	"D['usb:1-2']['serial'] == 'DMADB002' and D['usb:1-2']['manufacturer'] == 'Google' and D['usb:1-2']['product'] == 'Pixel 7'"
check "serial read from the device when sysfs has none" devq \
	"D['usb:1-3']['serial'] == 'DMFB0003' and D['usb:1-3']['product'] == 'Android'"
check "EDL says Sahara/Firehose (05c6:9008)" devq \
	"D['usb:1-5']['mode_detail'] == 'Sahara/Firehose (05c6:9008)' and D['usb:1-5']['serial'] == ''"
check "devnode, speed and hub depth" devq \
	"D['usb:1-2']['devnode'] == '/dev/bus/usb/001/002' and D['usb:1-2']['speed'] == 'high' and D['usb:1-2']['speed_mbps'] == 480 and D['usb:1-2']['hub_depth'] == 0"
check "a phone behind a hub at full speed has a slow-link problem" devq \
	"D['usb:1-9.2']['hub_depth'] == 1 and D['usb:1-9.2']['speed'] == 'full' and [p['code'] for p in D['usb:1-9.2']['problems']] == ['slow-link'] and 'hub' in D['usb:1-9.2']['problems'][0]['text'] and 'not through a hub' in D['usb:1-9.2']['problems'][0]['fix']"
check "root sees no permission problems" devq \
	"all(p['code'] != 'no-permission' for d in L for p in d['problems'])"

# Phones that run nothing for us are diagnosed from their rows.
diagq() {	# diagq PORT EXPR: EXPR holds for `diagnose --json` (J)
	"$D" --no-autostart diagnose -s "$1" --json 2>/dev/null | $PY -c '
import json, sys
J = json.load(sys.stdin)
F = {f["id"]: f for f in J["findings"]}
E = lambda i: F[i]["evidence"][0]["lines"]
sys.exit(0 if ('"$2"') else 1)' 2>/dev/null
}
check "diagnose USB debugging off (the MTP phone): usb-debugging-off, its USB ids as evidence" \
	diagq usb:1-7 "list(F) == ['usb-debugging-off'] and J['mode'] == 'mtp-only' and any(l.startswith('usb: ') for l in E('usb-debugging-off'))"
check "diagnose EDL: in-edl, an error, Sahara/Firehose named" \
	diagq usb:1-5 "list(F) == ['in-edl'] and F['in-edl']['severity'] == 'error' and 'detail: Sahara/Firehose (05c6:9008)' in E('in-edl')"
check "diagnose Samsung download mode: in-download-mode, by hand" \
	diagq usb:1-4 "list(F) == ['in-download-mode'] and all(s['action'] == 'by-hand' for s in F['in-download-mode']['plan'])"
check "diagnose the MediaTek boot ROM behind a hub: in-mediatek-download, the slow link listed" \
	diagq usb:1-9.2 "list(F) == ['in-mediatek-download'] and any(l.startswith('problem: ') and 'hub' in l for l in E('in-mediatek-download'))"

# Unplug: the row turns present:false within a second.
id3=$($PY -c 'import json,sys; print([d["id"] for d in json.load(sys.stdin)["devices"] if d["port"] == "usb:1-3"][0])' <"$T/devs.json")
t0=$(now_ms)
echo "unplug 1-3" >"$T/ctl"
gone=0
while [ $(($(now_ms) - t0)) -lt 3000 ]; do
	if devq "'usb:1-3' not in D and any(d['id'] == $id3 and d['mode'] == 'offline' for d in L)"; then
		gone=1
		break
	fi
	sleep 0.05
done
dt=$(($(now_ms) - t0))
check "unplugged fastboot phone turns present:false (in ${dt} ms)" test "$gone" = 1
check "within 1 s" test "$dt" -le 1000

# The adb phone reboots into the bootloader: same row, mode fastboot.
id2=$($PY -c 'import json,sys; print([d["id"] for d in json.load(sys.stdin)["devices"] if d["port"] == "usb:1-2"][0])' <"$T/devs.json")
echo "unplug 1-2" >"$T/ctl"
check "the adb phone leaves" wait_for 3 devq "'usb:1-2' not in D"
echo "plug 1-2:fastboot:DMADB002" >"$T/ctl"
check "it comes back in fastboot mode" wait_for 3 devq "D['usb:1-2']['mode'] == 'fastboot'"
check "with the same row id ($id2) and serial" devq \
	"D['usb:1-2']['id'] == $id2 and D['usb:1-2']['serial'] == 'DMADB002'"
check "and no extra row" devq "len(L) == 7"
# A phone with the serial we know plugged into another port: same row.
echo "unplug 1-2" >"$T/ctl"
wait_for 3 devq "'usb:1-2' not in D"
echo "plug 1-10:adb:DMADB002" >"$T/ctl"
check "moved to another port, it keeps its row too" wait_for 3 devq \
	"D['usb:1-10']['id'] == $id2 and D['usb:1-10']['mode'] == 'adb'"
"$D" --no-autostart server stop >/dev/null 2>&1
wait "$(cat "$T/bench1.pid")"
check "the server under the bench stopped cleanly" test $? -eq 0
rm -f "$T/bench1.pid"

# ---------------------------------------------------------------------
# 1b. A full bench: 32 phones behind four 8-port hubs.
bench --count 32 -- "$D" server start --foreground --idle-exit 0 \
	>"$T/bench32.log" 2>&1 &
echo $! >"$T/bench32.pid"
t0=$(now_ms)
wait_for 20 server_up || { cat "$T/bench32.log"; bail "32-phone bench did not start"; }
check "32 phones listed, each once, behind one hub" wait_for 10 devq \
	"len(L) == 32 and len({d['serial'] for d in L}) == 32 and all(d['hub_depth'] == 1 and d['mode'] == 'adb' for d in L)"
dt=$(($(now_ms) - t0))
diag "32-phone bench listed in $dt ms"
spid=$("$D" --no-autostart server status --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
cpu() { awk '{ print $14 + $15 }' "/proc/$spid/stat"; }
# Phones in adb mode get identified once (a background job each): idle
# means after that.
no_jobs() { "$D" --no-autostart server status --json | $PY -c 'import json,sys; sys.exit(json.load(sys.stdin)["jobs_active"] != 0)'; }
check "the 32 identification jobs finish" wait_for 60 no_jobs
c0=$(cpu)
sleep 2
c1=$(cpu)
diag "idle server with 32 phones: $((c1 - c0)) ticks of CPU in 2 s"
check "an idle scan of 32 known phones costs little CPU (<20%)" \
	test $((c1 - c0)) -lt $(($(getconf CLK_TCK) * 2 / 5))
"$D" --no-autostart server stop >/dev/null 2>&1
wait "$(cat "$T/bench32.pid")"
rm -f "$T/bench32.pid"

# ---------------------------------------------------------------------
# 2. The USB transport (tests/usb/t_usbxfer.c) on a bench of its own.
mkfifo "$T/ctl2"
bench --control "$T/ctl2" --dev 1-2:adb:XFER2 --dev 1-3:fastboot:XFER3 \
	-- "$XFER" "$T/ctl2" >"$T/xfer.out" 2>"$T/xfer.err"
xrc=$?
n=0
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "usb transport: ${line#ok - }"; n=$((n + 1)) ;;
	"not ok - "*) not_ok "usb transport: ${line#not ok - }"; n=$((n + 1)) ;;
	"#"*) diag "$line" ;;
	esac
done <"$T/xfer.out"
check "t_usbxfer ran all its checks and exited 0 ($n checks)" \
	test "$xrc" -eq 0 -a "$n" -ge 25
[ "$xrc" -eq 0 ] || diag "$(cat "$T/xfer.err")"
bench --busy 1-2 --dev 1-2:adb:DMBUSY -- "$XFER" ebusy usb:1-2 \
	>"$T/ebusy.out" 2>&1
brc=$?
check "transport open of a claimed interface: DM_EBUSY, explained" \
	test "$brc" -eq 0
[ "$brc" -eq 0 ] || diag "$(cat "$T/ebusy.out")"

# ---------------------------------------------------------------------
# 3. As an unprivileged user: a node without permission is reported with
# the fix.
if ! id nobody >/dev/null 2>&1 || ! command -v setpriv >/dev/null; then
	bail "need user nobody and setpriv (util-linux) for the permission test"
fi
N=$T/nobody
mkdir -p "$N/run" "$N/state" "$N/home" "$N/config" "$N/cache" "$N/bin"
chmod 711 "$T"
chown -R nobody:nogroup "$N"
chmod 700 "$N/run"
# The server binary must be reachable by nobody: copy it if the build
# tree is private.
DN=$D
setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$D" ||
	{ cp "$D" "$N/bin/droidmedic" && chmod 755 "$N/bin/droidmedic" && DN=$N/bin/droidmedic; }
sock=$N/run/droidmedic/server.sock
mkfifo "$T/ctl3"
bench --control "$T/ctl3" --noperm 1-2 --noperm 1-4 --no-sysfs-strings 1-4 \
	--dev 1-2:adb:DMNOPERM --dev 1-3:fastboot:DMFB0003 \
	--dev 1-4:fastboot:DMHIDDEN \
	-- setpriv --reuid=nobody --regid=nogroup --clear-groups \
	env HOME="$N/home" XDG_RUNTIME_DIR="$N/run" XDG_STATE_HOME="$N/state" \
	XDG_CONFIG_HOME="$N/config" XDG_CACHE_HOME="$N/cache" \
	"$DN" server start --foreground --idle-exit 0 >"$T/bench3.log" 2>&1 &
echo $! >"$T/bench3.pid"
export DROIDMEDIC_SOCKET=$sock
wait_for 20 server_up || { cat "$T/bench3.log"; bail "server as nobody did not start"; }
spid=$("$D" --no-autostart server status --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
check "server runs as nobody" test "$(ps -o user= -p "$spid" | tr -d ' ')" = nobody
check "the 0600 node has a no-permission problem" devq \
	"[p['code'] for p in D['usb:1-2']['problems']] == ['no-permission']"
check "naming the node, with the udev rule fix" devq \
	"D['usb:1-2']['problems'][0]['text'] == 'no permission to open /dev/bus/usb/001/002' and '51-droidmedic.rules /etc/udev/rules.d/' in D['usb:1-2']['problems'][0]['fix'] and 'plugdev' in D['usb:1-2']['problems'][0]['fix']"
check "it is still listed, serial and mode from sysfs" devq \
	"D['usb:1-2']['mode'] == 'adb' and D['usb:1-2']['serial'] == 'DMNOPERM'"
check "the readable node has no problem" devq \
	"D['usb:1-3']['problems'] == [] and D['usb:1-3']['serial'] == 'DMFB0003'"
# A udev rule gets installed: the problem goes without a replug.
echo "chmod 1-2 0666" >"$T/ctl3"
check "once the node is opened up, the problem clears (no replug)" \
	wait_for 5 devq "D['usb:1-2']['problems'] == []"
check "a serial only the device can tell is unknown while it is closed" \
	devq "D['usb:1-4']['serial'] == '' and D['usb:1-4']['problems'][0]['code'] == 'no-permission'"
echo "chmod 1-4 0666" >"$T/ctl3"
check "and read once it opens up" wait_for 5 devq \
	"D['usb:1-4']['serial'] == 'DMHIDDEN' and D['usb:1-4']['problems'] == []"
"$D" --no-autostart server stop >/dev/null 2>&1
wait "$(cat "$T/bench3.pid")"
check "the nobody server stopped cleanly" test $? -eq 0
rm -f "$T/bench3.pid"
unset DROIDMEDIC_SOCKET

bench --noperm 1-2 --dev 1-2:adb:DMNOPERM -- setpriv --reuid=nobody \
	--regid=nogroup --clear-groups "$XFER" eacces usb:1-2 >"$T/eacces.out" 2>&1
erc=$?
check "transport open as nobody on a 0600 node: DM_EACCES naming the rule" \
	test "$erc" -eq 0
[ "$erc" -eq 0 ] || diag "$(cat "$T/eacces.out")"

# ---------------------------------------------------------------------
# 4. doctor: SSH sessions and an adb server on the adb port are noticed.
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$PY -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4); time.sleep(30)' "$port" &
echo $! >"$T/adbfake.pid"
wait_for 5 $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port"
SSH_CONNECTION="192.0.2.7 50000 192.0.2.1 22" ANDROID_ADB_SERVER_PORT=$port \
	"$D" doctor --json >"$T/doctor.json"
dq() { $PY -c "import json,sys; C={c['id']: c for c in json.load(sys.stdin)['checks']}; sys.exit(0 if ($1) else 1)" <"$T/doctor.json"; }
check "doctor --json runs every check" dq \
	"set(C) == {'udev-rules','group','ssh','adb-server','usbfs','root','hotplug'}"
check "doctor sees the adb server and says adb kill-server" dq \
	"C['adb-server']['status'] == 'warn' and 'adb kill-server' in C['adb-server']['fix'] and '$port' in C['adb-server']['text']"
check "doctor notes the SSH session and uaccess" dq \
	"'SSH' in C['ssh']['text'] and 'uaccess' in C['ssh']['text']"
kill "$(cat "$T/adbfake.pid")" 2>/dev/null
ANDROID_ADB_SERVER_PORT=$port "$D" doctor --json >"$T/doctor.json"
check "no adb server: ok" dq "C['adb-server']['status'] == 'ok' and C['ssh']['status'] == 'ok'"

done_testing
