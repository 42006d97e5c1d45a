#!/bin/bash
# firmware_cache.sh - the firmware cache: `firmware import` reads a
# package through (a cut-short one and a wrong --sha256 are refused, and
# nothing is added), keeps it by its SHA-256 (a hard link on the same
# file system, a copy elsewhere, byte for byte), knows it the second
# time, names the catalog entry that lists its hash, and keeps under
# DROIDMEDIC_CACHE_MAX by evicting the least recently used package;
# `firmware list` shows what is there, most recently used first.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
command -v python3 >/dev/null || bail "python3 is needed"
D() { "$DROIDMEDIC" --no-autostart "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
FW=$XDG_CACHE_HOME/droidmedic/firmware

python3 "$top_srcdir/tests/lib/xiaomirom.py" "$T/a.tgz" alioth 1 >/dev/null &&
python3 "$top_srcdir/tests/lib/xiaomirom.py" "$T/b.tgz" raphael 1 >/dev/null ||
	bail "could not build the test packages"
SA=$(sha256sum "$T/a.tgz" | cut -c1-64)
SB=$(sha256sum "$T/b.tgz" | cut -c1-64)
MA=$(md5sum "$T/a.tgz" | cut -c1-32)

head -c 100000 "$T/a.tgz" >"$T/cut.tgz"
D firmware import "$T/cut.tgz" >"$T/o" 2>&1
check "a cut-short package is refused (exit 1)" test $? -eq 1
check "in libarchive's or zlib's words" grep -q "damaged or cut short\|stops short" "$T/o"
D firmware import "$T/a.tgz" --sha256 "$SB" >"$T/o" 2>&1
check "a wrong --sha256 is refused" grep -q "SHA-256 is $SA, not the expected $SB: not imported" "$T/o"
check "and nothing was added" test -z "$(ls "$FW" 2>/dev/null)"

D firmware import "$T/a.tgz" --sha256 "$SA" --json >"$T/i.json" 2>&1
check "import: exit 0" test $? -eq 0
check "kept by its SHA-256, with its MD5" json "
assert d['ok'] and not d['already'] and d['sha256'] == '$SA' and d['md5'] == '$MA', d
assert d['path'] == '$FW/$SA.pkg' and d['kind'] == 'xiaomi-fastboot' and d['catalog'] is None, d" <"$T/i.json"
check "byte for byte" cmp -s "$T/a.tgz" "$FW/$SA.pkg"
check "a hard link on the same file system (no copy)" \
	test "$(stat -c %i "$T/a.tgz")" = "$(stat -c %i "$FW/$SA.pkg")"
D firmware import "$T/a.tgz" >"$T/o" 2>&1
check "the second time: already in the cache" grep -q "^already in the cache: $FW/$SA.pkg" "$T/o"

mkdir -p "$XDG_CONFIG_HOME/droidmedic/catalogs"
cat >"$XDG_CONFIG_HOME/droidmedic/catalogs/bench.json" <<JSON
{"catalog": 1, "name": "bench", "devices": [{"names": ["POCO F3"],
 "codenames": ["alioth"], "builds": [{"version": "V14.0.4.0.TKHMIXM",
 "region": "Global", "type": "xiaomi-fastboot-tgz", "md5": "$MA"}]}]}
JSON
D firmware import "$T/a.tgz" >"$T/o" 2>&1
check "the catalog that lists its hash is named" \
	grep -q "^  bench: POCO F3 V14.0.4.0.TKHMIXM (Global)" "$T/o"

# A limit that holds one of the two: importing b evicts a.
size_a=$(stat -c %s "$T/a.tgz")
size_b=$(stat -c %s "$T/b.tgz")
sleep 0.01
DROIDMEDIC_CACHE_MAX=$(( (size_a > size_b ? size_a : size_b) + 1000 )) \
	D firmware import "$T/b.tgz" >"$T/o" 2>&1
check "over the limit: the least recently used is evicted, and said so" \
	grep -q "evicted to keep the cache under its limit: a.tgz" "$T/o"
check "it is gone, the new one there" test ! -e "$FW/$SA.pkg" -a -e "$FW/$SB.pkg"
check "the original file is untouched" test "$(sha256sum "$T/a.tgz" | cut -c1-64)" = "$SA"
D firmware import "$T/a.tgz" >/dev/null 2>&1
D firmware list --json >"$T/l.json" 2>&1
check "list: both, most recently used first, the catalog's word on each" json "
p = d['packages']
assert [x['sha256'] for x in p] == ['$SA', '$SB'], p
assert p[0]['catalog'].startswith('bench: POCO F3') and p[1]['catalog'] is None, p
assert d['total'] == $size_a + $size_b and d['limit'] == 64 << 30, d" <"$T/l.json"
D firmware list >"$T/o" 2>&1
check "list as text" grep -q "^2 packages, .* of 64.00 GiB" "$T/o"

# Where no hard link can be made (another file system): a copy.
rm -f "$FW/$SB.pkg" "$FW/$SB.json"
DROIDMEDIC_CACHE_NO_LINK=1 D firmware import "$T/b.tgz" >"$T/o" 2>&1
check "copied in: imported" grep -q "^imported: $FW/$SB.pkg" "$T/o"
check "a copy (its own inode), byte for byte" sh -c "cmp -s '$T/b.tgz' '$FW/$SB.pkg' &&
	test \$(stat -c %h '$FW/$SB.pkg') -eq 1"
check "no temporary file left" test -z "$(ls -A "$FW" | grep part)"
done_testing
