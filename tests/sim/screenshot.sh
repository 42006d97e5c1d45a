#!/bin/bash
# screenshot.sh - "can't take screenshot": diagnosis and the screenshot
# action against droidmedic-sim.  The Android 10 phone with a secure login
# screen in front (a real window list and a real log of its System UI
# crashing on it) is diagnosed: the secure window is named with its app,
# System UI's crash is found, the policy and other-user rules are checked
# and do not fire.  The screenshot action saves a PNG that Python's own
# zlib reads back, says it is black because of that app's secure window,
# and holds the same pixels as AOSP adb's `exec-out screencap` (raw and
# -p) of the same phone.  Once the app is force-stopped the capture is a
# real picture and the finding is gone.  Phones made up here: one whose
# admin disables capture, one with its screen off, one whose screencap
# answers text: each is told apart, and the last saves nothing.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/diagsim.sh"	# SIM, PROFILES, sim_start, port
. "$top_srcdir/tests/lib/ports.sh"
command -v adb >/dev/null || bail "needs AOSP adb (./quickstart deps)"
PNGLIB=$top_srcdir/tests/lib

mk() {	# mk SERIAL POLICY POWER [SCREENCAP-REPLY]: a made-up phone
	python3 - "$T/$1.json" "$1" "$2" "$3" "$4" <<'PY'
import json, sys
path, serial, policy, power, reply = sys.argv[1:6]
p = {"serial": serial, "source": "hand-written (test)",
     "screen": {"width": 320, "height": 200},
     "props": {"ro.product.name": "t", "ro.product.model": "Test",
               "ro.product.device": "t", "ro.build.version.sdk": "27",
               "sys.boot_completed": "1"},
     "commands": {
       "dumpsys window windows": {"stdout": "WINDOW MANAGER WINDOWS\n"},
       "dumpsys device_policy": {"stdout":
         "Current Device Policy Manager state:\n"
         "  Enabled Device Admins (User 0, provisioningState: 3):\n"
         "    com.example.mdm/.AdminReceiver:\n"
         "      uid=10187\n"
         "      disableScreenCapture=%s\n" % policy},
       "dumpsys power": {"stdout": "  mWakefulness=%s\n" % power}}}
if reply:
    p["commands"]["screencap"] = {"stdout": reply, "exit": 1}
json.dump(p, open(path, "w"))
PY
}
mk POLICY00001 true Awake
mk ASLEEP00001 false Asleep
mk TEXTCAP0001 false Awake "screencap: Capturing failed.
"
sim_start --strict --state "$T/sim" --ports-file "$T/ports" \
	"$PROFILES/diag/android10_secure_window.json" "$T/POLICY00001.json" \
	"$T/ASLEEP00001.json" "$T/TEXTCAP0001.json"
SW=127.0.0.1:$(port SECUREWIN10A1)
D() { timeout 120 "$DROIDMEDIC" --no-autostart "$@"; }
mkdir -p "$T/out"
cd "$T/out" || bail "no $T/out"

# ---- diagnosis ------------------------------------------------------------------------
D diagnose -s "$SW" --json >"$T/j" 2>&1
check "diagnose: the secure window named with its app and user; System UI's crash found" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = {x["id"]: x for x in d["findings"]}
ev = f["secure-window"]["evidence"][0]
sys.exit(not (set(f) == {"secure-window", "systemui-capture-crash"}
              and ev["source"] == "dumpsys window windows"
              and ev["lines"][0].startswith(
                  "Window #11 Window{8db6bd6 u0 com.alicloud.databox/")
              and " | fl=LAYOUT_IN_SCREEN SECURE " in ev["lines"][0]
              and f["secure-window"]["plan"][0]["action"] == "screenshot"))
PY
check "diagnose: the policy and other-user rules were checked (not skipped)" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
un = {x["id"] for x in d["unchecked"]}
sys.exit(not ("policy-no-screenshots" not in un
              and "app-in-other-user" not in un))
PY

# ---- the capture -----------------------------------------------------------------------
D action -s "$SW" screenshot --json >"$T/j" 2>"$T/e"
check "screenshot --json: exit 0, nothing on stderr but progress" \
	sh -c "test $? -eq 0 && ! grep -qv '^      ' '$T/e'"
check "screenshot: black because of com.alicloud.databox's secure window" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["message"]
sys.exit(not (d["ok"] and "1920x1080 capture saved in" in m
              and "96% black" in m
              and "secure window (FLAG_SECURE) of com.alicloud.databox "
                  "(user 0)" in m
              and d["file"].endswith(".png")))
PY
shot=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["file"])' "$T/j")
check "the PNG reads back with Python's zlib: status bar lit, the app black" \
	python3 - "$PNGLIB" "$shot" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import png
w, h, px = png.read_png(sys.argv[2])
row = lambda y: px[y * w * 3:(y + 1) * w * 3]
sys.exit(not ((w, h) == (1920, 1080) and any(row(20))
              and not any(row(50)) and not any(row(1079))))
PY

base=$(free_base 2)
[ -n "$base" ] || bail "no free ports in 15000-15999"
export ANDROID_ADB_SERVER_PORT=$base ADB_LOCAL_TRANSPORT_MAX_PORT=5555
trap 'timeout 10 adb kill-server >/dev/null 2>&1; env_cleanup' EXIT
A() { timeout 60 adb "$@"; }
A start-server >/dev/null 2>&1 || bail "adb start-server failed"
A connect "$SW" >/dev/null 2>&1
A -s "$SW" wait-for-device
A -s "$SW" exec-out screencap >"$T/aosp.raw"
A -s "$SW" exec-out screencap -p >"$T/aosp.png"
check "AOSP adb's screencap (raw, Android 10's 16-byte header, and -p) holds our PNG's pixels" \
	python3 - "$PNGLIB" "$shot" "$T/aosp.raw" "$T/aosp.png" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import png
w, h, ours = png.read_png(sys.argv[2])
rw, rh, f, hl, raw = png.read_raw(sys.argv[3])
pw, ph, theirs = png.read_png(sys.argv[4])
sys.exit(not ((rw, rh, f, hl) == (w, h, 1, 16) and raw == ours
              and (pw, ph) == (w, h) and theirs == ours))
PY
A kill-server >/dev/null 2>&1

# ---- the app closed: a real picture, the finding gone -----------------------------------------
D action -s "$SW" force-stop package=com.alicloud.databox >/dev/null 2>&1
D action -s "$SW" screenshot --json >"$T/j" 2>/dev/null
check "after force-stop: a real picture, saved beside the first" \
	python3 - "$PNGLIB" "$T/j" "$shot" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import png
d = json.load(open(sys.argv[2]))
w, h, px = png.read_png(d["file"])
black = sum(1 for i in range(0, len(px), 3) if px[i:i + 3] == b"\0\0\0")
sys.exit(not (d["ok"] and "a real picture (0% black)" in d["message"]
              and d["file"] != sys.argv[3] and black == 0))
PY
D diagnose -s "$SW" --json >"$T/j" 2>&1
check "after force-stop: no secure-window finding" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit("secure-window" in [x["id"] for x in d["findings"]])
PY

# ---- the other causes of a black capture --------------------------------------------------
D action -s "127.0.0.1:$(port POLICY00001)" screenshot >"$T/o" 2>&1
check "a capture policy: the admin is named" \
	grep -q '320x200 capture saved in .*: 96% black: a device policy from com.example.mdm/.AdminReceiver disables screen capture' "$T/o"
D diagnose -s "127.0.0.1:$(port POLICY00001)" --json >"$T/j" 2>&1
check "a capture policy: diagnose names the admin too" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "policy-no-screenshots"]
sys.exit(not (f and f[0]["evidence"][0]["lines"] ==
              ["com.example.mdm/.AdminReceiver: | disableScreenCapture=true"]))
PY
D action -s "127.0.0.1:$(port ASLEEP00001)" screenshot >"$T/o" 2>&1
check "a sleeping screen: all black, and said so" \
	grep -q '320x200 capture saved in .*: 100% black: the screen is off' "$T/o"
n_before=$(ls "$T/out" | wc -l)
D action -s "127.0.0.1:$(port TEXTCAP0001)" screenshot >"$T/o" 2>&1
check "screencap answering text: exit 1, its words shown, no file saved" \
	sh -c "test $? -eq 1 && grep -q 'screencap said: screencap: Capturing failed.' '$T/o' &&
	       test \$(ls '$T/out' | wc -l) -eq $n_before && ! ls '$T/out' | grep -q part"

sim_end
done_testing
