#!/bin/bash
# firmware_fetch.sh - downloads against a real web server on loopback
# (nginx, tests/lib/httpd.sh; its faults from tests/lib/faultsrv.py):
# one stream and parallel ranges, byte for byte; TLS refused without the
# CA and taken with --cacert; a connection cut mid-body resumed with
# Range and If-Range; a download stopped (cancelled, or its server
# killed) resumed by the next fetch; a file changed on the server started
# over; mirrors tried in order past a 404, a 500, a wrong length and a
# stall; a wrong hash refused with nothing kept; file:// and a proxy from
# the client's environment; catalogs at an https address fetched and
# revalidated (304); a catalog build fetched into the firmware cache.
# TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/ports.sh"
. "$top_srcdir/tests/lib/httpd.sh"
command -v nginx >/dev/null || bail "nginx is needed (./quickstart check installs it)"
command -v openssl >/dev/null || bail "openssl is needed"
D() { "$DROIDMEDIC" --no-autostart "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
export DROIDMEDIC_RETRY_MS=50
FW=$XDG_CACHE_HOME/droidmedic/firmware

W=$T/www
mkdir -p "$W"
head -c 24000000 /dev/urandom >"$W/big.bin"
S=$(sha256sum "$W/big.bin" | cut -c1-64)
M=$(md5sum "$W/big.bin" | cut -c1-32)
python3 "$top_srcdir/tests/lib/xiaomirom.py" "$W/alioth.tgz" alioth 1 >/dev/null ||
	bail "could not build the test package"
SP=$(sha256sum "$W/alioth.tgz" | cut -c1-64)
HTTPD_RATE=4m start_httpd "$W" || bail "nginx did not start"
H=http://127.0.0.1:$HTTP_PORT
HS=https://127.0.0.1:$HTTPS_PORT
requests() { grep -c "$1" "$HTTPD_LOG"; }

# ---- one stream, then ranges in parallel --------------------------------
D firmware fetch "$H/files/big.bin" --to "$T/one.bin" --connections 1 \
	--sha256 "$S" --json >"$T/o.json" 2>"$T/e"
check "one stream: exit 0" test $? -eq 0
check "byte for byte, hashed on the way" cmp -s "$W/big.bin" "$T/one.bin"
check "the result: size, SHA-256, one connection, the address" json "
assert d['ok'] and d['size'] == 24000000 and d['sha256'] == '$S', d
assert d['connections'] == 1 and d['url'] == '$H/files/big.bin' and not d['cached'], d" <"$T/o.json"
check "no partial file left" test ! -e "$T/one.bin.part" -a ! -e "$T/one.bin.part.json"

D firmware fetch "$H/slow/big.bin" --to "$T/par.bin" --sha256 "$S" \
	--json >"$T/o.json" 2>"$T/e"
check "parallel ranges (a throttled location): exit 0" test $? -eq 0
check "byte for byte" cmp -s "$W/big.bin" "$T/par.bin"
check "four connections" json "assert d['connections'] == 4, d" <"$T/o.json"
check "the access log shows ranged requests past the first, with If-Range" \
	test "$(grep '^GET /slow/big.bin' "$HTTPD_LOG" | grep '|206|bytes=[1-9][0-9]*-[0-9]*|\\x22' | wc -l)" -ge 3

# ---- TLS ------------------------------------------------------------------
D firmware fetch "$HS/files/big.bin" --to "$T/tls.bin" >"$T/o" 2>&1
check "https with a CA nobody trusts: refused (exit 1)" test $? -eq 1
check "said in TLS terms" grep -qi "certificate" "$T/o"
check "nothing written, no partial left" test ! -e "$T/tls.bin" -a ! -e "$T/tls.bin.part"
D firmware fetch "$HS/files/big.bin" --to "$T/tls.bin" --cacert "$HTTPD_CA" \
	--sha256 "$S" >"$T/o" 2>&1
check "with --cacert: fetched, byte for byte" cmp -s "$W/big.bin" "$T/tls.bin"

# ---- a cut mid-body: resumed where it stopped -----------------------------
D firmware fetch "$H/fault/cutonce/big.bin" --to "$T/cut.bin" --connections 1 \
	--sha256 "$S" >"$T/o" 2>&1
check "a connection cut mid-body: exit 0" test $? -eq 0
check "byte for byte" cmp -s "$W/big.bin" "$T/cut.bin"
check "the retry was said" grep -q "cutonce/big.bin: .*trying again in" "$T/o"
check "and asked for the rest only, with If-Range" \
	grep -q '^GET /fault/cutonce/big.bin HTTP/1.1|206|bytes=12000000-[0-9]*|\\x22' "$HTTPD_LOG"

# ---- mirrors ---------------------------------------------------------------
mkdir -p "$XDG_CONFIG_HOME/droidmedic/catalogs"
cat >"$XDG_CONFIG_HOME/droidmedic/catalogs/mirrors.json" <<JSON
{"catalog": 1, "name": "bench", "devices": [{"names": ["Test Phone"],
 "codenames": ["testphone"], "builds": [
 {"version": "T1.0", "type": "ota-zip", "file": "t1.bin", "size": 24000000,
  "sha256": "$S", "urls": ["$H/files/missing.bin", "$H/e500/big.bin",
  "$H/fault/short/big.bin", "$H/fault/stall/big.bin", "$H/files/big.bin"]},
 {"version": "T2.0", "type": "ota-zip", "file": "t2.bin", "md5": "$M",
  "urls": ["$H/fault/liar/big.bin"]}]}]}
JSON
DROIDMEDIC_STALL_SECS=1 D firmware fetch T1.0 --to "$T/mir.bin" \
	--connections 1 >"$T/o" 2>&1
check "past a 404, a 500, a short file and a stall: exit 0" test $? -eq 0
check "byte for byte, from the last mirror" cmp -s "$W/big.bin" "$T/mir.bin"
check "a 404 goes straight to the next mirror" \
	grep -q "missing.bin: HTTP 404; next mirror" "$T/o"
check "a 500 is tried again, with a pause, then left" \
	grep -q "e500/big.bin: HTTP 500; trying again in 0.1 s (2 of 3)" "$T/o"
check "a wrong length is refused at its head" \
	grep -q "short/big.bin: it offers 23995904 bytes (22.9 MiB), not the 24000000 (22.9 MiB) expected; next mirror" "$T/o"
check "a stall is a failure like a cut" \
	grep -qi "stall/big.bin: .*too slow.*trying again" "$T/o"
check "trying each in turn is said" grep -q "trying mirror 5 of 5: $H/files/big.bin" "$T/o"

D firmware fetch T2.0 --to "$T/liar.bin" --connections 1 >"$T/o" 2>&1
check "a server that says its file is longer than it is: exit 1" test $? -eq 1
check "its cuts retried, then given up, what arrived kept for the next try" \
	grep -q "liar/big.bin: .*kept what arrived for the next try: 22.9 MiB" "$T/o"
check "the partial is kept" test -e "$T/liar.bin.part" -a -e "$T/liar.bin.part.json"
check "and no file in place" test ! -e "$T/liar.bin"

# ---- a wrong hash ------------------------------------------------------------
D firmware fetch "$H/files/big.bin" --to "$T/bad.bin" --sha256 "$SP" >"$T/o" 2>&1
check "a SHA-256 other than the expected: exit 1" test $? -eq 1
check "both hashes named" grep -q "its SHA-256 is $S, not the $SP expected" "$T/o"
check "nothing kept: no file, no partial" \
	test ! -e "$T/bad.bin" -a ! -e "$T/bad.bin.part" -a ! -e "$T/bad.bin.part.json"

# ---- file:// and a proxy -------------------------------------------------------
D firmware fetch "file://$W/big.bin" --to "$T/file.bin" --sha256 "$S" >"$T/o" 2>&1
check "file://: byte for byte" cmp -s "$W/big.bin" "$T/file.bin"
"$DROIDMEDIC" server start >/dev/null 2>&1 || bail "no bench server"
http_proxy=$H "$DROIDMEDIC" firmware fetch \
	http://firmware.example.invalid/files/big.bin --to "$T/px.bin" \
	--sha256 "$S" >"$T/o" 2>&1
check "through the proxy the client's environment names (a server started without it)" \
	cmp -s "$W/big.bin" "$T/px.bin"
check "the proxy was asked for the whole address" \
	grep -q "^GET http://firmware.example.invalid/files/big.bin" "$HTTPD_LOG"

# ---- stopped, then resumed by the next fetch ---------------------------------------
"$DROIDMEDIC" firmware fetch "$H/slow/big.bin" --to "$T/res.bin" \
	--connections 2 --sha256 "$S" >"$T/o1" 2>&1 &
bg=$!
partial_grew() { [ "$(stat -c %s "$T/res.bin.part" 2>/dev/null || echo 0)" -gt 4000000 ]; }
wait_for 20 partial_grew
job=$("$DROIDMEDIC" jobs --json | json "print([j['id'] for j in d if j['kind'] == 'fetch' and j['state'] == 'running'][0])")
"$DROIDMEDIC" jobs cancel "$job" >/dev/null 2>&1
wait "$bg"
check "a cancelled fetch keeps its partial and its state" \
	test -e "$T/res.bin.part" -a -e "$T/res.bin.part.json" -a ! -e "$T/res.bin"
"$DROIDMEDIC" firmware fetch "$H/files/big.bin" --to "$T/res.bin" \
	--sha256 "$S" --json >"$T/o.json" 2>"$T/e"
check "the next fetch (another mirror, the hash known) finishes it" cmp -s "$W/big.bin" "$T/res.bin"
check "from where it was" json "assert d['resumed_from'] > 4000000, d" <"$T/o.json"

# Killed outright: the state saved on the way is enough.
"$DROIDMEDIC" firmware fetch "$H/slow/big.bin" --to "$T/kill.bin" \
	--connections 1 --sha256 "$S" >"$T/o1" 2>&1 &
bg=$!
partial_grew() { [ "$(stat -c %s "$T/kill.bin.part" 2>/dev/null || echo 0)" -gt 8000000 ]; }
wait_for 20 partial_grew
sleep 2.2
pkill -9 -f "$DROIDMEDIC server start --foreground"
wait "$bg"
D firmware fetch "$H/files/big.bin" --to "$T/kill.bin" --sha256 "$S" \
	>"$T/o" 2>&1
check "after the server was killed: finished byte for byte" cmp -s "$W/big.bin" "$T/kill.bin"
check "resumed, not started over, and said so" \
	grep -q "^resuming: [0-9.]* MiB already here" "$T/o"

# Changed on the server since: If-Range brings the whole new file.
head -c 8000000 /dev/urandom >"$W/chg.bin"
"$DROIDMEDIC" --no-autostart firmware fetch "$H/slow/chg.bin" \
	--to "$T/chg.bin" --connections 1 >/dev/null 2>&1 &
bg=$!
partial_grew() { [ "$(stat -c %s "$T/chg.bin.part" 2>/dev/null || echo 0)" -gt 2000000 ]; }
wait_for 20 partial_grew
kill -INT "$bg" 2>/dev/null
wait "$bg"
check "an interrupted fetch keeps the old file's partial" \
	test -s "$T/chg.bin.part" -a -e "$T/chg.bin.part.json" -a ! -e "$T/chg.bin"
sleep 1.1
head -c 8000000 /dev/urandom >"$W/chg.bin"
D firmware fetch "$H/slow/chg.bin" --to "$T/chg.bin" --connections 1 >"$T/o" 2>&1
check "the file changed on the server: the new one arrives whole" \
	cmp -s "$W/chg.bin" "$T/chg.bin"
check "started over, and said so" \
	grep -q "sent the whole file, not the piece asked for (it changed" "$T/o"
check "the server was asked with the old file's ETag" \
	grep -q '^GET /slow/chg.bin HTTP/1.1|200|bytes=[1-9][0-9]*-[0-9]*|\\x22' "$HTTPD_LOG"

# ---- catalogs at an address ------------------------------------------------------
cat >"$W/cat.json" <<JSON
{"catalog": 1, "name": "remote", "devices": [{"names": ["POCO F3"],
 "codenames": ["alioth"], "builds": [
 {"version": "V14.0.4.0.TKHMIXM", "region": "Global", "date": "2024-01-01",
  "type": "xiaomi-fastboot-tgz", "file": "alioth.tgz",
  "sha256": "$SP", "urls": ["$H/e500/alioth.tgz", "$HS/files/alioth.tgz"]}]}]}
JSON
printf '# bench catalogs\n%s/files/cat.json\n%s/files/cat.json\n' "$HS" "$H" \
	>"$XDG_CONFIG_HOME/droidmedic/catalog-urls"
D firmware update --cacert "$HTTPD_CA" >"$T/o" 2>&1
check "firmware update: an http:// catalog is refused (exit 1)" test $? -eq 1
check "the https one fetched, its builds counted" \
	grep -A1 "^fetched   $HS/files/cat.json" "$T/o" | grep -q "1 build"
check "the http one refused, and why" \
	grep -A1 "^failed    $H/files/cat.json" "$T/o" | grep -q "only https:// and file://"
printf '%s/files/cat.json\n' "$HS" >"$XDG_CONFIG_HOME/droidmedic/catalog-urls"
D firmware update --cacert "$HTTPD_CA" --json >"$T/o.json" 2>&1
check "again: unchanged (exit 0)" json "
assert d['ok'] and d['catalogs'][0]['status'] == 'unchanged', d" <"$T/o.json"
check "revalidated: the server answered 304" \
	grep -q "^GET /files/cat.json HTTP/1.1|304|" "$HTTPD_LOG"
D firmware search alioth >"$T/o" 2>&1
check "search finds the fetched catalog's build" grep -q "^V14.0.4.0.TKHMIXM *Global" "$T/o"

D firmware fetch V14.0.4.0.TKHMIXM --cacert "$HTTPD_CA" --json >"$T/o.json" 2>"$T/e"
check "a catalog build fetched into the cache (exit 0)" test $? -eq 0
check "kept by its SHA-256, read through as a Xiaomi package" json "
assert d['cached'] and d['path'] == '$FW/$SP.pkg' and d['sha256'] == '$SP', d
assert d['url'] == '$HS/files/alioth.tgz' and d['build']['version'] == 'V14.0.4.0.TKHMIXM', d" <"$T/o.json"
check "byte for byte" cmp -s "$W/alioth.tgz" "$FW/$SP.pkg"
D firmware list >"$T/o" 2>&1
check "firmware list shows it" grep -q "^alioth.tgz .*xiaomi-fastboot" "$T/o"
check "no download left in partial/" test -z "$(ls "$FW/partial")"
n=$(requests "alioth.tgz")
D firmware fetch V14.0.4.0.TKHMIXM --cacert "$HTTPD_CA" >"$T/o" 2>&1
check "the second time: already in the cache, nothing asked of the server" \
	sh -c "grep -q '^already in the cache: $FW/$SP.pkg' '$T/o' && [ $(requests alioth.tgz) -eq $n ]"

done_testing
