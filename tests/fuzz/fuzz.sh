#!/bin/bash
# fuzz.sh - build each libFuzzer target with clang (ASan+UBSan) and run it
# briefly on its seed corpus; a crash, leak or sanitizer report fails.
# FUZZ_SECONDS (default 10) sets the time per target.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
S=$top_srcdir/src
B=${top_builddir:-$top_srcdir}/tests/fuzz
mkdir -p "$B"
secs=${FUZZ_SECONDS:-10}
command -v clang >/dev/null || bail "clang is needed (apt-get install clang)"

flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
 -I$top_builddir -I$S -include config.h -DPKGDATADIR=\"/nonexistent\"
 $(pkg-config --cflags libcjson libusb-1.0)"
libs="$(pkg-config --libs libcjson libusb-1.0 libcrypto libcurl libarchive zlib) -lpthread"
common="$S/err.c $S/xmem.c $S/log.c $S/paths.c $S/dev.c $S/ev.c $S/job.c"

declare -A srcs=(
	[proto]="$S/proto.c"
	[usbdesc]="$S/usbclass.c"
	[props]="$S/props.c $S/ident.c"
	[sparse]="$S/sparse.c"
	[fbvars]="$S/fbvars.c $S/props.c"
	[rules]="$S/rules.c $S/diag.c $S/props.c $S/textfile.c"
	[capture]="$S/capture.c $S/png.c"
	[bkarc]="$S/bkarc.c"
	[romscript]="$S/romscript.c"
	[gzindex]="$S/gzindex.c"
	# the whole host stack: every engine source but the ones listed in
	# $common (they are added below)
	[adb]="$(ls "$S"/*.c | grep -vE '/(err|xmem|log|paths|dev|ev|job)\.c$' | tr '\n' ' ')"
)
srcs[fastboot]=${srcs[adb]}
srcs[catalog]=${srcs[adb]}
for t in proto usbdesc props fbvars sparse rules capture bkarc romscript \
    gzindex catalog adb fastboot; do
	exe=$B/fuzz_$t
	# shellcheck disable=SC2086
	if clang $flags -o "$exe" "$top_srcdir/tests/fuzz/fuzz_$t.c" \
		${srcs[$t]} $common $libs 2>"$B/fuzz_$t.build.log"; then
		ok "fuzz_$t builds"
	else
		not_ok "fuzz_$t builds"
		diag "$(tail -5 "$B/fuzz_$t.build.log")"
		continue
	fi
	corpus=$B/corpus_$t
	rm -rf "$corpus"
	mkdir -p "$corpus"
	cp "$top_srcdir/tests/fuzz/corpus/$t"/* "$corpus/" 2>/dev/null
	if "$exe" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 \
		"$corpus" >"$B/fuzz_$t.log" 2>&1; then
		ok "fuzz_$t: no crash in ${secs}s ($(grep -o 'Done [0-9]* runs' "$B/fuzz_$t.log"))"
	else
		not_ok "fuzz_$t found a crash"
		diag "$(grep -A15 'ERROR' "$B/fuzz_$t.log" | head -30)"
	fi
done
done_testing
