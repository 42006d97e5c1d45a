#!/bin/bash
# opts.sh - every option and command of the one table (src/opts.c) is in
# --help and in man/droidmedic.1; --help fits 80x24.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"

man=$top_srcdir/man/droidmedic.1
help=$("$DROIDMEDIC" --help) || bail "--help failed"

# The table is the source of truth: read the names out of it.
table() { sed -n "/^const struct $1\[\] = {/,/^};/p" "$top_srcdir/src/opts.c"; }
opts=$(table 'opt_def opt_table' | sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)",.*/\1/p')
cmds=$(table 'cmd_def cmd_table' | sed -n 's/^[[:space:]]*{ "\([a-z-]*\)",.*/\1/p')
[ "$(echo "$opts" | wc -l)" -ge 10 ] || bail "could not read the option table"
[ -n "$cmds" ] || bail "could not read the command table"

for o in $opts; do
	check "--$o in --help" grep -q -- "--$o\b" <<<"$help"
	mo=$(echo "$o" | sed 's/-/\\\\-/g')
	check "--$o in the man page" grep -q "\\\\-\\\\-$mo" "$man"
done
for c in $cmds; do
	check "command $c in --help" grep -qE "^  $c\b" <<<"$help"
	mc=$(echo "$c" | sed 's/-/\\\\-/g')
	check "command $c in the man page" grep -qE "^\.B $mc\b|^\.B $mc$" "$man"
done

lines=$(printf '%s\n' "$help" | wc -l)
check "--help is at most 23 lines ($lines)" test "$lines" -le 23
vhelp=$("$DROIDMEDIC" -v --help)
for o in $opts; do
	check "--$o explained in -v --help" grep -qE -- "--$o( [A-Z]+)? +[a-z]" <<<"$vhelp"
done
wide=$(printf '%s\n' "$help" | awk 'length > 80' | wc -l)
check "--help lines fit 80 columns" test "$wide" -eq 0
check "--help ends with See droidmedic(1)." test "$(printf '%s\n' "$help" | tail -1)" = "See droidmedic(1)."

ver=$("$DROIDMEDIC" --version)
for lib in libusb libcurl libarchive cJSON OpenSSL ncurses; do
	check "--version names $lib" grep -qi "$lib" <<<"$ver"
done

"$DROIDMEDIC" --bogus >/dev/null 2>"$T/err"
check "unknown option exits 2" test $? -eq 2
check "unknown option is named" grep -q -- "--bogus" "$T/err"
"$DROIDMEDIC" frobnicate >/dev/null 2>&1
check "unknown command exits 2" test $? -eq 2
"$DROIDMEDIC" server start --foreground --idle-exit abc >/dev/null 2>&1
check "bad --idle-exit exits 2" test $? -eq 2

# The man page's KEYS section lists what the key table says.
keys=$(sed -n '/KEYS-BEGIN/,/KEYS-END/p' "$man" | grep -c '^\.TP')
check "man page lists the dashboard keys ($keys)" test "$keys" -ge 8
if command -v man >/dev/null; then
	warn=$(MANWIDTH=80 man --warnings -l "$man" 2>&1 >/dev/null)
	check "man page renders without warnings" test -z "$warn"
	diag "$warn"
fi
done_testing
