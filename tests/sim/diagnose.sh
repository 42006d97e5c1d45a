#!/bin/bash
# diagnose.sh - `droidmedic diagnose` against droidmedic-sim: a Nexus 5
# whose crash buffer is a real capture of android.process.media dying on a
# read-only /data is diagnosed (findings, evidence, plans with risks), the
# healthy Redmi Note 14 gives no finding and says which rules it could not
# check, user rules override built-in ones and a broken user rule file is
# reported without stopping the rest.  Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/diagsim.sh"	# SIM, PROFILES, sim_start, port

sim_start --strict --state "$T/sim" --ports-file "$T/ports" \
	"$PROFILES/diag/lg_nexus5_media_crash.json" \
	"$PROFILES/xiaomi_redmi_note14_5g_citrine.json"
N5=127.0.0.1:$(port NEXUS5MEDIA01)
RN=127.0.0.1:$(awk 'NR == 2 { print $2 }' "$T/ports")
D() { timeout 60 "$DROIDMEDIC" --no-autostart "$@"; }

# ---- the phone with the media crash ---------------------------------------------
D diagnose -s "$N5" --json >"$T/j" 2>"$T/e"
check "diagnose --json: exit 0" test $? -eq 0
check "it finds the media crash and the read-only /data, worst first" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = [f["id"] for f in d["findings"]]
sys.exit(not (d["ok"] and ids == ["data-read-only", "media-crash"]
              and d["rule_problems"] == []))
PY
check "the media finding carries the crash line and the command it came from" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = [f for f in d["findings"] if f["id"] == "media-crash"][0]
e = f["evidence"][0]
sys.exit(not (f["severity"] == "error" and e["source"] == "logcat -b crash -d"
              and e["matched"] >= 1
              and any("Process: android.process.media, PID: 928" in l
                      for l in e["lines"])))
PY
check "its plan goes from the narrowest step to the heaviest, with risks" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = [f for f in d["findings"] if f["id"] == "media-crash"][0]
p = f["plan"]
order = {"none": 0, "app-data": 1, "user-data": 2, "flash": 3}
pk = [s["params"].get("package") for s in p if s["action"] == "clear-data"]
sys.exit(not (p[0]["action"] == "backup" and p[-1]["action"] == "reflash"
              and p[-1]["risk"] == "flash"
              and "com.android.providers.media" in pk
              and "com.android.providers.downloads" in pk
              and all(s["step"] == i + 1 for i, s in enumerate(p))
              and max(order[s["risk"]] for s in p[:5]) <= 1
              and "backup" in p[1]["needs"]))
PY
D diagnose -s "$N5" >"$T/o" 2>&1
check "text: a headline naming the phone" grep -q "^$N5 (Nexus 5): 2 findings" "$T/o"
check "text: the finding, its evidence and a plan step with its risk" \
	sh -c "grep -q '^\[ERROR\] media-crash: android.process.media keeps stopping' '$T/o' &&
	       grep -q 'evidence from .logcat -b crash -d.' '$T/o' &&
	       grep -q '2. \[risk app-data\] clear-data package com.android.providers.media:' '$T/o'"

# ---- a healthy phone ----------------------------------------------------------------
D diagnose -s "$RN" --json >"$T/j" 2>"$T/e"
check "the healthy Redmi Note 14: exit 0" test $? -eq 0
check "no finding; the rules its simulator cannot answer are listed as not checked" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
un = {u["id"]: u["why"] for u in d["unchecked"]}
sys.exit(not (d["findings"] == [] and "media-crash" in un
              and "exit status 127" in un["media-crash"]
              and "boot-not-completed" not in un
              and d["rules_checked"] > len(un)))
PY

# ---- user rules ---------------------------------------------------------------------
export XDG_CONFIG_HOME=$T/config
mkdir -p "$XDG_CONFIG_HOME/droidmedic/rules"
cat >"$XDG_CONFIG_HOME/droidmedic/rules/shop.json" <<'EOF2'
{ "rules": [
  { "id": "media-crash", "title": "media crash (shop rule)", "severity": "warning",
    "probes": { "crash": "logcat -b crash -d" },
    "when": [ { "probe": "crash", "regex": "Process: android\\.process\\.media" } ],
    "explain": "our own wording", "plan": [] },
  { "id": "nexus", "title": "a Nexus on the bench", "severity": "info",
    "when": [ { "prop": "ro.product.model", "regex": "^Nexus" } ],
    "explain": "hand-written test rule" }
] }
EOF2
printf '{ "rules": [ { "id": "broken", \n  "title": oops } ] }\n' \
	>"$XDG_CONFIG_HOME/droidmedic/rules/broken.json"
D diagnose -s "$N5" --json >"$T/j" 2>"$T/e"
check "with user rules: exit 0" test $? -eq 0
check "a user rule replaces the built-in one of its id, and adds its own" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = {f["id"]: f for f in d["findings"]}
sys.exit(not (f["media-crash"]["title"] == "media crash (shop rule)"
              and f["media-crash"]["plan"] == [] and "nexus" in f
              and "data-read-only" in f))
PY
check "the broken file is reported by file, line and column" \
	python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not any("rules/broken.json:2:" in p and "JSON syntax" in p
                 for p in d["rule_problems"]))
PY
D diagnose -s "$N5" >"$T/o" 2>"$T/e"
check "text: the problem goes to stderr" grep -q "rules: .*broken.json:2:" "$T/e"
unset XDG_CONFIG_HOME

# ---- usage and errors -----------------------------------------------------------------
D diagnose >"$T/o" 2>&1
check "no -s: exit 2" test $? -eq 2
D diagnose -s "$N5" extra >"$T/o" 2>&1
check "an extra word: exit 2 with the usage" sh -c "grep -q 'usage: diagnose' '$T/o'"
DROIDMEDIC_RULES=$T/none D diagnose -s "$N5" --json >"$T/j" 2>"$T/e"
check "no rules at all: exit 1, said as JSON" python3 - "$T/j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["ok"] is False and "no diagnosis rules" in d["message"]))
PY

kill "$SIMPID" 2>/dev/null
done_testing
