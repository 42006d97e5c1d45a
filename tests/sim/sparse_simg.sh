#!/bin/bash
# sparse_simg.sh - src/sparse.c (through tests/sim/sparse_tool) against
# AOSP's own tools as Debian ships them (img2simg, simg2img): a 40 MiB
# image of random, zero and patterned blocks is made sparse by img2simg
# and resplit at several limits; every piece must be within the limit,
# a sparse file simg2img accepts on its own, and the pieces expanded one
# over the other must give what simg2img gives for the whole image.  The
# raw image is resplit too, and broken images are refused.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
TOOL=$top_builddir/tests/sim/sparse_tool
MiB=1048576

[ -x "$TOOL" ] || bail "no $TOOL (make check builds it)"
command -v img2simg >/dev/null && command -v simg2img >/dev/null ||
	bail "img2simg/simg2img missing: apt-get install" \
	    "android-sdk-libsparse-utils"
command -v python3 >/dev/null || bail "python3 is needed"

size_of() { stat -c %s "$1"; }

# 40 MiB and 1000 bytes, the same every run: runs of random blocks,
# zeros, one 32-bit pattern (FILL material), an 8-byte pattern (RAW),
# and single odd blocks between them.
python3 - "$T/raw.img" <<'EOF'
import random, sys
r = random.Random(7)
B = 4096
with open(sys.argv[1], "wb") as f:
    n = 0
    while n < 40 * 256:
        kind = r.randrange(5)
        run = min(r.choice([1, 2, 7, 40, 300]), 40 * 256 - n)
        for _ in range(run):
            if kind == 0:
                f.write(r.randbytes(B))
            elif kind == 1:
                f.write(bytes(B))
            elif kind == 2:
                f.write(r.randbytes(4) * (B // 4))
            elif kind == 3:
                f.write(r.randbytes(8) * (B // 8))
            else:
                f.write(bytes(B - 1) + b"\x01")
        n += run
    f.write(r.randbytes(1000))
EOF
raw_sz=$(size_of "$T/raw.img")
[ "$raw_sz" -eq $((40 * MiB + 1000)) ] || bail "raw image is $raw_sz bytes"
img2simg "$T/raw.img" "$T/s.img" || bail "img2simg failed"
simg2img "$T/s.img" "$T/full.img" || bail "simg2img failed"
full_sz=$(size_of "$T/full.img")
diag "raw $raw_sz bytes, sparse $(size_of "$T/s.img"), expanded $full_sz"

"$TOOL" map "$T/s.img" >"$T/map.txt" 2>"$T/err"
check "the sparse image maps" grep -q "^sparse blk_sz 4096" "$T/map.txt"
# img2simg turns the patterned and zero runs into FILL or DONT_CARE.
check "it has RAW and FILL or DONT_CARE chunks" \
	sh -c "grep -q '^cac1' '$T/map.txt' && grep -Eq '^cac(2|3)' '$T/map.txt'"

# split LIMIT INPUT NAME: resplit INPUT into $T/NAME.N and check each
# piece is within LIMIT and a valid sparse file for simg2img (expanding
# to the whole image's size, $2 given as EXPECT).
resplit() {
	local limit=$1 in=$2 name=$3 expect=$4 n=0 bad=0 p
	rm -f "$T/$name".*
	if ! "$TOOL" split "$limit" "$in" "$T/$name" >"$T/$name.out" \
		2>"$T/$name.err"; then
		not_ok "$name: split at $limit"
		diag "$(cat "$T/$name.err")"
		return 1
	fi
	n=$(grep -c '^piece' "$T/$name.out")
	ok "$name: split at $limit into $n pieces"
	for p in $(seq 0 $((n - 1))); do
		if [ "$(size_of "$T/$name.$p")" -gt "$limit" ]; then
			bad=1
			diag "$name.$p is $(size_of "$T/$name.$p") bytes"
		fi
	done
	check "$name: every piece is at most $limit bytes" [ "$bad" -eq 0 ]
	check "$name: at least two pieces" [ "$n" -ge 2 ]
	bad=0
	for p in $(seq 0 $((n - 1))); do
		rm -f "$T/one.img"
		if ! simg2img "$T/$name.$p" "$T/one.img" 2>"$T/simg.err" ||
			[ "$(size_of "$T/one.img")" -ne "$expect" ]; then
			bad=1
			diag "simg2img refused $name.$p: $(cat "$T/simg.err")"
		fi
	done
	check "$name: simg2img takes each piece alone" [ "$bad" -eq 0 ]
	# Ours, one over the other, in order.
	rm -f "$T/$name.exp"
	bad=0
	for p in $(seq 0 $((n - 1))); do
		"$TOOL" expand "$T/$name.$p" "$T/$name.exp" 2>"$T/err" || {
			bad=1
			diag "$(cat "$T/err")"
		}
	done
	check "$name: our expander takes each piece" [ "$bad" -eq 0 ]
	# AOSP's reading of the same pieces.
	rm -f "$T/$name.aosp"
	# shellcheck disable=SC2046
	check "$name: simg2img takes all the pieces at once" \
		simg2img $(seq -f "$T/$name.%g" 0 $((n - 1))) "$T/$name.aosp"
	check "$name: and gets what we get" cmp "$T/$name.exp" "$T/$name.aosp"
}

for lim in $((4 * MiB)) $((7 * MiB)) $((7 * MiB + 12345)); do
	resplit "$lim" "$T/s.img" "sp$lim" "$full_sz"
	check "sp$lim: the pieces expand to the whole image" \
		cmp "$T/sp$lim.exp" "$T/full.img"
	rm -f "$T/sp$lim".*
done

# The raw image: padded to whole blocks on the device.
pad_sz=$(( (raw_sz + 4095) / 4096 * 4096 ))
for lim in $((4 * MiB)) $((7 * MiB)); do
	resplit "$lim" "$T/raw.img" "raw$lim" "$pad_sz"
	check "raw$lim: expanded to whole blocks" \
		[ "$(size_of "$T/raw$lim.exp")" -eq "$pad_sz" ]
	check "raw$lim: the raw bytes come back" \
		cmp -n "$raw_sz" "$T/raw$lim.exp" "$T/raw.img"
	check "raw$lim: then zeros" cmp -n $((pad_sz - raw_sz)) \
		-i "$raw_sz:0" "$T/raw$lim.exp" /dev/zero
	rm -f "$T/raw$lim".*
done
check "simg2img's image starts with the raw bytes" \
	cmp -n "$raw_sz" "$T/full.img" "$T/raw.img"

# An image that fits goes as it is.
"$TOOL" split $((64 * MiB)) "$T/s.img" "$T/whole" >"$T/whole.out" 2>&1
check "a sparse image under the limit is one verbatim piece" \
	grep -q '^piece 0 size [0-9]* verbatim' "$T/whole.out"
check "byte for byte" cmp "$T/whole.0" "$T/s.img"
check "no second piece" [ ! -e "$T/whole.1" ]

# The expander on the whole image, from a file and from a pipe.
"$TOOL" expand "$T/s.img" "$T/e1.img" 2>"$T/err"
check "expanding the whole image equals simg2img" cmp "$T/e1.img" \
	"$T/full.img"
cat "$T/s.img" | "$TOOL" expand - "$T/e2.img" 2>"$T/err"
check "also from a pipe" cmp "$T/e2.img" "$T/full.img"
# A pipe with a known size: skip cannot seek, so the map pass reads.
cat "$T/s.img" | "$TOOL" map --size "$(size_of "$T/s.img")" - \
	>"$T/map2.txt" 2>"$T/err"
check "mapping from a pipe gives the same layout" cmp "$T/map.txt" \
	"$T/map2.txt"
"$TOOL" expand "$T/raw.img" "$T/e3.img" 2>"$T/err"
check "expanding a raw image copies it" cmp "$T/e3.img" "$T/raw.img"

# Broken images: refused, with a reason.
refused() {
	local what=$1 want=$2
	shift 2
	if "$@" >"$T/out" 2>"$T/err"; then
		not_ok "$what is refused"
		return
	fi
	if grep -q -- "$want" "$T/err"; then
		ok "$what is refused: $(cat "$T/err")"
	else
		not_ok "$what is refused with \"$want\""
		diag "$(cat "$T/err")"
	fi
}
cp "$T/s.img" "$T/bad1.img"
printf '\073' | dd of="$T/bad1.img" bs=1 seek=0 conv=notrunc 2>/dev/null
refused "a flipped magic" "bad sparse magic 0xed26ff3b" \
	"$TOOL" split --sparse $((4 * MiB)) "$T/bad1.img" "$T/b1"
check "and nothing was written" [ ! -e "$T/b1.0" ]
head -c $(( $(size_of "$T/s.img") - 5000 )) "$T/s.img" >"$T/bad2.img"
refused "a truncated image" "past the end of the image" \
	"$TOOL" split $((4 * MiB)) "$T/bad2.img" "$T/b2"
refused "a truncated image (expand)" "bytes early" \
	"$TOOL" expand "$T/bad2.img" "$T/b2.exp"
refused "a truncated image (pipe)" "bytes early" \
	sh -c "cat '$T/bad2.img' | '$TOOL' map -"
# The first chunk's total_sz (bytes 36-39) one more than it should be.
cp "$T/s.img" "$T/bad3.img"
python3 - "$T/bad3.img" <<'EOF'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(36)
    (v,) = struct.unpack("<I", f.read(4))
    f.seek(36)
    f.write(struct.pack("<I", v + 1))
EOF
refused "a chunk with a wrong size" "chunk 0 (byte 28): .* claims" \
	"$TOOL" split $((4 * MiB)) "$T/bad3.img" "$T/b3"
refused "a chunk with a wrong size (expand)" "chunk 0 (byte 28)" \
	"$TOOL" expand "$T/bad3.img" "$T/b3.exp"
refused "a limit below one block" "cannot hold one 4096-byte block" \
	"$TOOL" split 4000 "$T/s.img" "$T/b4"

done_testing
