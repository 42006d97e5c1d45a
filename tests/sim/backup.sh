#!/bin/bash
# backup.sh - backup, backups and restore against droidmedic-sim on the
# bench server.  The Xiaomi 14's profile with a storage tree of about two
# thousand files of mixed sizes, names with spaces, UTF-8 and a newline,
# empty folders, a link inside the tree and one pointing out of it; a user
# app with two split APKs; `content query` answers hand-made in AOSP's format (contacts read,
# the call log refused).  Checked: the archive is complete, every hash is
# Python's, GNU tar and bsdtar read it and extract the tree byte for byte;
# a file the shell user may not read is listed as not saved and the
# files after it are saved (adbd ends the sync service at its refusal);
# what was not saved is listed with its reason; a second backup copies
# only what changed; a restore needs --confirm, then puts the tree back
# byte-exact with its times, or only what --select names; hostile archives
# and manifests are refused before anything is pushed; a connection cut
# mid-backup three times leaves INCOMPLETE backups, each run going on
# from the last without copying again what was saved, and the chain of
# archives restores byte for byte; a restore onto another phone says so;
# the server killed mid-backup leaves a .part whose whole files the next
# backup takes instead of pulling them again; `--only apks` saves the user
# app's base and split APKs byte for byte, and a restore `--select apks`
# installs the app again from them (pm install sessions) after it was
# uninstalled; a write error (a file size
# limit standing in for a full disk) keeps nothing and leaves earlier
# backups alone.  Loopback only.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/lib/diagsim.sh"	# SIM, PROFILES, sim_start, port

command -v zstd >/dev/null || bail "needs zstd (apt-get install zstd)"
command -v bsdtar >/dev/null || bail "needs bsdtar (apt-get install libarchive-tools)"

X14=$PROFILES/xiaomi_14_houji.json
# Hand-made in AOSP's format: no capture has `content query` output.
profile_variant "$X14" "$T/bk.json" "p['serial'] = 'BACKUPX140001'
p['storage'] = []
p.setdefault('packages', {})['org.example.notes'] = {'type': 'user', 'splits': ['config.arm64_v8a', 'config.en']}
c = p.setdefault('commands', {})
c['content query --uri content://com.android.contacts/data/phones'] = {'stdout': 'Row: 0 display_name=Alice Example, data1=+1 555 0100\\nRow: 1 display_name=Bob, data1=+44 20 7946 0000\\n'}
c['content query --uri content://call_log/calls'] = {'stdout': 'Error while accessing provider:call_log\\njava.lang.SecurityException: Permission Denial: opening provider com.android.providers.contacts.CallLogProvider from (pid=1234, uid=2000) requires android.permission.READ_CALL_LOG\\n', 'exit': 1}"
# The same phone whose connection drops three times: 4000 bytes into a
# file (an early photo), then 3 MiB and 5 MiB into the big download.
profile_variant "$X14" "$T/cut.json" "p['serial'] = 'CUTBKX140001'
p['storage'] = []
p['faults'] = [{'type': 'close', 'when': 'recv', 'after_bytes': n, 'once': True}
               for n in (4000, 3145728, 5242880)]"

# A phone that stalls 4 MiB into its last file, once: the server is
# killed while it waits.
profile_variant "$X14" "$T/stall.json" "p['serial'] = 'STALLBK14001'
p['storage'] = [{'path': '/sdcard/DCIM/Camera/P_%03d.jpg' % i, 'size': 200000 + i, 'seed': 900 + i, 'mtime': 1700000000 + i} for i in range(150)]
p['storage'].append({'path': '/sdcard/Download/zz.bin', 'size': 8388608, 'seed': 5, 'mtime': 1700100000})
p['faults'] = [{'type': 'stall', 'when': 'recv', 'after_bytes': 4194304, 'once': True}]"
sim_start --strict --state "$T/sim" --ports-file "$T/ports" "$T/bk.json" \
	"$T/cut.json" "$T/stall.json"
P=127.0.0.1:$(port BACKUPX140001)
C=127.0.0.1:$(port CUTBKX140001)
ST=$T/sim/BACKUPX140001/storage
CST=$T/sim/CUTBKX140001/storage
export DROIDMEDIC_IDLE_EXIT=0 DROIDMEDIC_BACKUPS=$T/lib
B() { timeout 300 "$DROIDMEDIC" "$@"; }

# The tree: deterministic content, mtimes in the past.
python3 - "$ST" "$CST" <<'PY'
import os, random, sys
for root, cut in ((sys.argv[1], False), (sys.argv[2], True)):
    rnd = random.Random(7)
    def put(rel, size, t):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(rnd.randbytes(size))
        os.utime(p, (t, t))
    if cut:
        # Small files in the first categories, one big one in Download.
        for i in range(300):
            put("DCIM/Camera/IMG_%04d.jpg" % i, 2000 + i * 37, 1700000000 + i)
        put("Download/big.iso", 6 * 1048576, 1700100000)
        put("Documents/after.txt", 100, 1700100001)
        continue
    for i in range(1500):
        put("DCIM/Camera/IMG_%04d.jpg" % i, rnd.choice([0, 1, 512, 4096, 30000]) + i, 1700000000 + i)
    for i in range(300):
        put("Pictures/Screenshots/shot %d with space.png" % i, 8192 + i, 1700002000 + i)
    for i in range(5):
        put("Movies/clip%d.mp4" % i, 1048576 + 4093 * i, 1700003000 + i)
    put("Download/naïve résumé ünïcödé.pdf", 70000, 1700004000)
    put("Download/new\nline.txt", 12, 1700004001)
    put("Documents/a/b/c/deep file.txt", 333, 1700004002)
    put("Music/song.mp3", 2 * 1048576 + 17, 1700004003)
    put("Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/IMG-1.jpg", 45000, 1700004004)
    put("Recordings/memo.m4a", 9000, 1700004005)
    put("NotBackedUp/secret.txt", 10, 1700004006)
    os.makedirs(os.path.join(root, "Download/empty folder"), exist_ok=True)
    os.makedirs(os.path.join(root, "DCIM/empty too/inner"), exist_ok=True)
    os.symlink("../Documents/a", os.path.join(root, "Download/to docs"))
    os.symlink("../../../../etc", os.path.join(root, "Download/escape"))
PY
# What a backup of the default categories should hold (storage only).
count_files() {
	python3 - "$1" <<'PY'
import os, sys
n = 0
for d in ("DCIM", "Pictures", "Movies", "Music", "Download", "Documents",
          "Recordings", "Android/media/com.whatsapp"):
    for r, ds, fs in os.walk(os.path.join(sys.argv[1], d)):
        n += sum(1 for f in fs if os.path.isfile(os.path.join(r, f)) and not os.path.islink(os.path.join(r, f)))
print(n)
PY
}
NFILES=$(count_files "$ST")
[ "$NFILES" -gt 1800 ] || bail "the test tree has $NFILES files"
# One the shell user may not read (no group read bit on the shared
# storage, in the simulator as on a phone).
printf 'private\n' >"$ST/Documents/locked.txt"
chmod 0600 "$ST/Documents/locked.txt"

B connect "$P" >"$T/o" 2>&1 || bail "connect: $(cat "$T/o")"
B connect "$C" >"$T/o" 2>&1 || bail "connect: $(cat "$T/o")"

# ---- what a backup would hold ----------------------------------------------------------
B backup -s "$P" --dry-run --json >"$T/dry.json" 2>"$T/dry.err"
rc=$?
check "backup --dry-run: per category, what it would hold and copy; nothing written" \
	python3 - "$T/dry.json" "$rc" "$NFILES" "$T/lib" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))
c = {x["name"]: x for x in r["categories"]}
print(r["files"], r["copy_files"], c["photos"])
sys.exit(not (sys.argv[2] == "0" and r["ok"] and r["dry_run"]
              # The file the phone will refuse counts too: only reading it tells.
              and r["files"] == int(sys.argv[3]) + 1 and r["copy_files"] == r["files"]
              and c["photos"]["files"] == 1800 and c["videos"]["files"] == 5
              and not os.path.exists(os.path.join(sys.argv[4], "BACKUPX140001"))))
PY

# ---- a first backup ---------------------------------------------------------------------------
B backup -s "$P" --json >"$T/b1.json" 2>"$T/b1.err"
rc=$?
check "backup: exit 0, complete, every file of the tree ($NFILES)" \
	python3 - "$T/b1.json" "$rc" "$NFILES" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(not (sys.argv[2] == "0" and r["ok"] and r["complete"]
              and r["files"] == int(sys.argv[3]) and r["copied_files"] == int(sys.argv[3])
              and r["referenced_files"] == 0 and r["serial"] == "BACKUPX140001"))
PY
ARC1=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['archive'])" "$T/b1.json")
ID1=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" "$T/b1.json")
MAN1=${ARC1%.tar.zst}.json
check "it is in the library, in the phone's folder: the archive and its manifest" \
	sh -c "test -f '$ARC1' && test -f '$MAN1' && case '$ARC1' in '$T/lib/BACKUPX140001/'*) true;; *) false;; esac &&
	       ! ls '$T/lib/BACKUPX140001/' | grep -q part"
check "every file's SHA-256, size and mtime in the manifest are Python's" \
	python3 - "$MAN1" "$ST" <<'PY'
import hashlib, json, os, sys
m = json.load(open(sys.argv[1]))
root = sys.argv[2]
files = [i for i in m["items"] if i["type"] == "file"]
bad = []
for i in files:
    p = os.path.join(root, i["path"][len("storage/"):])
    st = os.lstat(p)
    h = hashlib.sha256(open(p, "rb").read()).hexdigest()
    if h != i["sha256"] or st.st_size != i["size"] or int(st.st_mtime) != i["mtime"]:
        bad.append(i["path"])
print(bad[:5])
sys.exit(bool(bad) or len(files) < 1800 or not m["complete"] or "verified" not in m)
PY
check "the empty folders, the link inside and the UTF-8 and newline names are items" \
	python3 - "$MAN1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
it = {i["path"]: i for i in m["items"]}
sys.exit(not (it.get("storage/Download/empty folder", {}).get("type") == "dir"
              and it.get("storage/DCIM/empty too/inner", {}).get("type") == "dir"
              and it.get("storage/Download/to docs", {}).get("target") == "../Documents/a"
              and "storage/Download/naïve résumé ünïcödé.pdf" in it
              and "storage/Download/new\nline.txt" in it
              and not any(p.startswith("storage/NotBackedUp") for p in it)))
PY
check "not saved, each with its reason: the unreadable file, the link out of the tree, the refused call log" \
	python3 - "$MAN1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
f = {x["path"]: x["reason"] for x in m["failed"]}
print(f)
sys.exit(not ("link out of the backed-up folder" in f.get("/sdcard/Download/escape", "")
              and f.get("/sdcard/Documents/locked.txt") == "the phone refused to read it: open failed: Permission denied"
              and "Permission Denial" in f.get("content://call_log/calls", "")
              and m["totals"]["failed"] == len(m["failed"])))
PY
tar --zstd -tf "$ARC1" >"$T/tar.list" 2>"$T/tar.err"
trc=$?
bsdtar -tf "$ARC1" >"$T/bsd.list" 2>"$T/bsd.err"
check "GNU tar and bsdtar list it without a complaint, the same members" \
	sh -c "test $trc -eq 0 && test $? -eq 0 && test ! -s '$T/tar.err' && test ! -s '$T/bsd.err' &&
	       test \$(grep -c . '$T/bsd.list') -gt $NFILES &&
	       grep -q '^droidmedic/manifest.json$' '$T/bsd.list' &&
	       grep -q '^content/contacts.txt$' '$T/bsd.list' &&
	       grep -q '^apps/packages.json$' '$T/bsd.list'"
mkdir -p "$T/x"
tar --zstd -xf "$ARC1" -C "$T/x" 2>"$T/x.err"
check "tar extracts the phone's tree byte for byte, times and links included" \
	python3 - "$T/x/storage" "$ST" <<'PY'
import filecmp, os, sys
a, b = sys.argv[1], sys.argv[2]
bad = []
for d in ("DCIM", "Pictures", "Movies", "Music", "Download", "Documents", "Recordings"):
    for r, ds, fs in os.walk(os.path.join(b, d)):
        for n in fs + ds:
            p = os.path.join(r, n)
            q = os.path.join(a, os.path.relpath(p, b))
            if os.path.islink(p):
                if n == "escape":
                    if os.path.lexists(q): bad.append(q)
                elif not os.path.islink(q) or os.readlink(q) != os.readlink(p): bad.append(q)
            elif os.path.isdir(p):
                if not os.path.isdir(q): bad.append(q)
            elif not os.stat(p).st_mode & 0o040:
                if os.path.lexists(q): bad.append(q)	# unreadable
            elif not (os.path.isfile(q) and filecmp.cmp(p, q, shallow=False)
                      and int(os.stat(q).st_mtime) == int(os.stat(p).st_mtime)):
                bad.append(q)
print(bad[:5])
sys.exit(bool(bad))
PY
check "the app list and the contacts are in it" \
	sh -c "grep -q '\"package\":.*\"org.example.notes\"' '$T/x/apps/packages.json' &&
	       python3 -c \"import json,sys; a={x['package']: x for x in json.load(open(sys.argv[1]))}; sys.exit(not (a['org.example.notes']['user_app'] and a['org.example.notes']['installer'] == 'com.android.vending' and a['org.example.notes']['version_code'] == 1))\" '$T/x/apps/packages.json' &&
	       grep -q 'Alice Example' '$T/x/content/contacts.txt' &&
	       grep -q '\"model\"' '$T/x/device/identity.json'"

# ---- incremental -----------------------------------------------------------------------------
python3 - "$ST" <<'PY'
import os, sys
r = sys.argv[1]
for n in ("DCIM/Camera/IMG_0003.jpg", "DCIM/Camera/IMG_0004.jpg", "Music/song.mp3"):
    with open(os.path.join(r, n), "ab") as f: f.write(b"changed")
with open(os.path.join(r, "Documents/new.txt"), "w") as f: f.write("new\n")
os.remove(os.path.join(r, "DCIM/Camera/IMG_0010.jpg"))
PY
sleep 1	# a new backup ID (the IDs are to the second)
B backup -s "$P" --json >"$T/b2.json" 2>"$T/b2.err"
rc=$?
check "a second backup copies only the 4 changed or new files, references the rest" \
	python3 - "$T/b2.json" "$rc" "$NFILES" "$ID1" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))
n = int(sys.argv[3])
m = json.load(open(r["archive"][:-len(".tar.zst")] + ".json"))
print(r["copied_files"], r["referenced_files"], r["files"])
sys.exit(not (sys.argv[2] == "0" and r["complete"] and r["copied_files"] == 4
              and r["referenced_files"] == n - 4 and r["files"] == n
              and m["needs"] == [sys.argv[4]]
              and os.path.getsize(r["archive"]) < 0.3 * os.path.getsize(r["archive"].replace(r["id"], sys.argv[4]))))
PY
ID2=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" "$T/b2.json")
B backups --json >"$T/list.json" 2>&1
check "backups lists both, newest first, the second building on the first" \
	python3 - "$T/list.json" "$ID1" "$ID2" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["backups"]
sys.exit(not ([x["id"] for x in b] == [sys.argv[3], sys.argv[2]]
              and b[0]["base"] == sys.argv[2] and b[0]["complete"] and b[1]["complete"]
              and "verified" in b[0]))
PY
B backups >"$T/list.txt" 2>&1
check "backups as text: a row per backup" \
	sh -c "grep -q '^$ID2 .*complete, verified.*builds on $ID1' '$T/list.txt' && grep -q '^$ID1 ' '$T/list.txt'"

# ---- restore ---------------------------------------------------------------------------------
cp -a "$ST" "$T/before"
rm -rf "$ST/DCIM" "$ST/Download" "$ST/Documents/a"
B restore -s "$P" "$ID2" >"$T/r0.out" 2>"$T/r0.err"
rc=$?
check "restore without --confirm: shows what it would push, pushes nothing" \
	sh -c "test $rc -ne 0 && grep -q '^  photos ' '$T/r0.out' && grep -q 'Restore onto' '$T/r0.out' &&
	       grep -q -- '--confirm 0001' '$T/r0.err' && test ! -e '$ST/DCIM'"
B restore -s "$P" "$ID2" --confirm 9999 >"$T/r0.out" 2>"$T/r0.err"
check "a --confirm naming another phone is refused" \
	sh -c "test $? -ne 0 && grep -q 'does not name this phone' '$T/r0.err' && test ! -e '$ST/DCIM'"
B restore -s "$P" "$ID2" --select DCIM/Camera --confirm 0001 --json >"$T/r1.json" 2>"$T/r1.err"
rc=$?
check "restore --select DCIM/Camera: that folder only" \
	python3 - "$T/r1.json" "$rc" "$ST" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))
st = sys.argv[3]
n = len(os.listdir(os.path.join(st, "DCIM/Camera")))
sys.exit(not (sys.argv[2] == "0" and r["ok"] and r["pushed"] == n and n >= 1499
              and not os.path.exists(os.path.join(st, "Download"))))
PY
B restore -s "$P" "$ID2" --confirm BACKUPX140001 --json >"$T/r2.json" 2>"$T/r2.err"
rc=$?
check "restore of everything: the tree is back byte for byte, with its times" \
	python3 - "$T/before" "$ST" "$T/r2.json" "$rc" <<'PY'
import filecmp, json, os, sys
a, b = sys.argv[1], sys.argv[2]
r = json.load(open(sys.argv[3]))
bad = []
for d in ("DCIM", "Pictures", "Movies", "Music", "Download", "Documents", "Recordings"):
    for root, ds, fs in os.walk(os.path.join(a, d)):
        for n in fs + ds:
            p = os.path.join(root, n)
            q = os.path.join(b, os.path.relpath(p, a))
            if os.path.islink(p):
                if n != "escape" and (not os.path.islink(q) or os.readlink(q) != os.readlink(p)):
                    bad.append(q)
            elif os.path.isdir(p):
                if not os.path.isdir(q): bad.append(q)
            elif not (os.path.isfile(q) and filecmp.cmp(p, q, shallow=False)
                      and int(os.stat(q).st_mtime) == int(os.stat(p).st_mtime)):
                bad.append(q)
print(bad[:5], r.get("pushed"), r.get("unchanged"))
sys.exit(bool(bad) or sys.argv[4] != "0" or not r["ok"] or r["unchanged"] < 1499)
PY
B restore -s "$P" "$ID2" --confirm 0001 --json >"$T/r3.json" 2>"$T/r3.err"
check "restoring again pushes nothing: every file is there unchanged" \
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(not (r['ok'] and r['pushed'] == 0 and r['unchanged'] == r['selected']))" "$T/r3.json"

# An archive copied alone, renamed, without its manifest beside it: the
# manifest it carries is enough.
mkdir -p "$T/alone"
cp "$ARC1" "$T/alone/renamed.tar.zst"
rm -f "$ST/Documents/a/b/c/deep file.txt"
B restore -s "$P" "$T/alone/renamed.tar.zst" --select Documents/a --confirm 0001 >"$T/o" 2>"$T/e"
rc=$?
check "restore from a lone, renamed archive: the manifest inside it is read" \
	sh -c "test $rc -eq 0 && grep -q 'restored 1 of 1' '$T/o' &&
	       cmp -s '$T/before/Documents/a/b/c/deep file.txt' '$ST/Documents/a/b/c/deep file.txt'"
diag "$(cat "$T/e")"

# ---- hostile archives ----------------------------------------------------------------------
mkdir -p "$T/evil"
rm -f "$ST/Documents/new.txt"
python3 - "$MAN1" "$T/evil" <<'PY'
import io, json, os, shutil, subprocess, sys, tarfile
man, out = sys.argv[1], sys.argv[2]
m = json.load(open(man))
# 1: the manifest names a path that climbs out.
m1 = dict(m, id="evil1", items=m["items"] + [{"path": "storage/../../x", "category": "documents", "type": "file", "size": 1, "mtime": 1, "mode": 420, "sha256": "0" * 64}])
json.dump(m1, open(os.path.join(out, "evil1.json"), "w"))
shutil.copy(man[:-5] + ".tar.zst", os.path.join(out, "evil1.tar.zst"))
# 2: the manifest is fine, the archive holds a link out of the tree.
m2 = dict(m, id="evil2")
json.dump(m2, open(os.path.join(out, "evil2.json"), "w"))
raw = subprocess.run(["zstd", "-dc", man[:-5] + ".tar.zst"], check=True, capture_output=True).stdout
t = tarfile.open(fileobj=io.BytesIO(raw))
buf = io.BytesIO()
w = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
ti = tarfile.TarInfo("storage/Documents/sneaky")
ti.type = tarfile.SYMTYPE
ti.linkname = "../../../../../etc"
w.addfile(ti)
for mem in t.getmembers():
    w.addfile(mem, t.extractfile(mem) if mem.isfile() else None)
w.close()
open(os.path.join(out, "evil2.tar"), "wb").write(buf.getvalue())
subprocess.run(["zstd", "-q", "-f", os.path.join(out, "evil2.tar"), "-o", os.path.join(out, "evil2.tar.zst")], check=True)
# 3: an absolute member name.
buf = io.BytesIO()
w = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
ti = tarfile.TarInfo("/tmp/evil3-abs")
ti.size = 4
w.addfile(ti, io.BytesIO(b"evil"))
w.close()
open(os.path.join(out, "evil3.tar"), "wb").write(buf.getvalue())
subprocess.run(["zstd", "-q", "-f", os.path.join(out, "evil3.tar"), "-o", os.path.join(out, "evil3.tar.zst")], check=True)
json.dump(dict(m, id="evil3"), open(os.path.join(out, "evil3.json"), "w"))
PY
for n in 1 2 3; do
	B restore -s "$P" "$T/evil/evil$n.tar.zst" --confirm 0001 >"$T/e.out" 2>"$T/e.err"
	rc=$?
	check "hostile backup $n is refused before anything is pushed" \
		sh -c "test $rc -ne 0 && grep -q 'refused' '$T/e.err' && test ! -e '$ST/Documents/new.txt' &&
		       test ! -e /tmp/evil3-abs && test ! -e '$ST/Documents/sneaky'"
	diag "$(cat "$T/e.err")"
done
cp "$ARC1" "$T/evil/tampered.tar.zst"
python3 - "$MAN1" "$T/evil/tampered.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["id"] = "tampered"
for i in m["items"]:
    if i["path"] == "storage/Documents/a/b/c/deep file.txt":
        i["sha256"] = "1" * 64
json.dump(m, open(sys.argv[2], "w"))
PY
rm -f "$ST/Documents/a/b/c/deep file.txt"
B restore -s "$P" "$T/evil/tampered.tar.zst" --confirm 0001 >"$T/e.out" 2>"$T/e.err"
rc=$?
check "a file whose SHA-256 does not match: nothing is restored" \
	sh -c "test $rc -ne 0 && grep -q 'does not match its recorded SHA-256' '$T/e.err' &&
	       test ! -e '$ST/Documents/a/b/c/deep file.txt' && test ! -e '$ST/Documents/new.txt'"

# ---- connections cut mid-backup ------------------------------------------------------------
# Each run is cut at the next fault, until one completes; each must keep
# and verify what it saved, and the next must not copy it again.
saved=0 prev=
for run in 1 2 3 4; do
	sleep 1	# a new backup ID
	B backup -s "$C" --json >"$T/c$run.json" 2>"$T/c$run.err"
	rc=$?
	python3 - "$T/c$run.json" "$rc" "$saved" "$run" >"$T/c$run.check" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
saved, run = int(sys.argv[3]), int(sys.argv[4])
m = json.load(open(r["archive"][:-len(".tar.zst")] + ".json"))
nots = [f["path"] for f in m["failed"] if f["path"].startswith("/sdcard/")]
print(run, r["complete"], r["files"], r["copied_files"], r["referenced_files"], len(nots))
# Every run references exactly what the runs before it saved.
assert r["referenced_files"] == saved, (r["referenced_files"], saved)
assert "verified" in m
if run < 4:
    assert sys.argv[2] != "0" and not r["ok"] and r["complete"] is False
    assert "INCOMPLETE" in r["message"] and "broke off" in m["stopped"]
    # Nothing lost nor misreported: each file is saved or listed.
    assert r["files"] + len(nots) == 302, (r["files"], len(nots))
    assert r["files"] >= saved
else:
    assert sys.argv[2] == "0" and r["ok"] and r["complete"] and r["files"] == 302
PY
	ok=$?
	what="INCOMPLETE, what it saved verified"
	[ "$run" -eq 4 ] && what=complete
	check "run $run of the cut phone: $what, the earlier runs' files not copied again" \
		test "$ok" -eq 0
	diag "$(cat "$T/c$run.check")"
	saved=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['files'])" "$T/c$run.json")
done
CID4=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" "$T/c4.json")
check "every file's SHA-256, across the archives that hold them, is Python's" \
	python3 - "$T/lib/CUTBKX140001" "$CID4" "$CST" <<'PY'
import hashlib, json, os, sys
lib, cid, st = sys.argv[1:4]
m = json.load(open(os.path.join(lib, cid + ".json")))
files = [i for i in m["items"] if i["type"] == "file"]
ins = {i.get("in", cid) for i in files}
bad = [i["path"] for i in files if hashlib.sha256(open(os.path.join(st, i["path"][8:]), "rb").read()).hexdigest() != i["sha256"]]
print(len(ins), bad[:3])
sys.exit(bool(bad) or len(files) != 302 or len(ins) < 3)
PY
cp -a "$CST" "$T/cbefore"
rm -rf "$CST/DCIM" "$CST/Download"
B restore -s "$C" "$CID4" --confirm 0001 >"$T/o" 2>"$T/e"
check "a restore across those archives is byte-exact" \
	sh -c "test $? -eq 0 && diff -r '$T/cbefore' '$CST' >/dev/null"
# Onto another phone: said, and confirmed by that phone's serial.
B restore -s "$C" "$ID2" --select Documents/a --confirm CUTBKX140001 >"$T/o" 2>"$T/e"
rc=$?
check "a restore onto another phone says so, and puts the files there" \
	sh -c "test $rc -eq 0 && grep -q 'restoring a backup of phone BACKUPX140001 onto another phone, CUTBKX140001' '$T/o' &&
	       cmp -s '$T/before/Documents/a/b/c/deep file.txt' '$CST/Documents/a/b/c/deep file.txt'"

# ---- the server killed mid-backup -------------------------------------------------------------
K=127.0.0.1:$(port STALLBK14001)
B connect "$K" >"$T/o" 2>&1
"$DROIDMEDIC" backup -s "$K" >"$T/k1.out" 2>&1 &
echo $! >"$T/k1.pid"
part_big() {	# the .part holds a good part of the photos
	f=$(ls "$T/lib/STALLBK14001/"*.part 2>/dev/null | head -1)
	[ -n "$f" ] && [ "$(stat -c %s "$f")" -gt 15000000 ]
}
wait_for 60 part_big
check "a backup under way: its .part on disk" part_big
spid=$("$DROIDMEDIC" server status --json 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['pid'])")
kill -9 "$spid"
kill "$(cat "$T/k1.pid")" 2>/dev/null
wait_for 10 sh -c "! '$DROIDMEDIC' --no-autostart server status >/dev/null 2>&1"
check "the server is gone, the .part left behind, no backup listed" \
	sh -c "! '$DROIDMEDIC' --no-autostart server status >/dev/null 2>&1 &&
	       ls '$T/lib/STALLBK14001/'*.part >/dev/null 2>&1 &&
	       ! ls '$T/lib/STALLBK14001/'*.json >/dev/null 2>&1"
B connect "$K" >"$T/o" 2>&1
B backup -s "$K" --json >"$T/k2.json" 2>"$T/k2.err"
rc=$?
check "the next backup takes the whole files the .part holds instead of pulling them" \
	python3 - "$T/k2.json" "$rc" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(r["salvaged_files"], r["copied_files"], r["files"])
sys.exit(not (sys.argv[2] == "0" and r["ok"] and r["complete"] and r["files"] == 151
              and r["salvaged_files"] >= 50 and r["copied_files"] == 151))
PY
check "the .part is gone once the new backup is in place; every hash is Python's" \
	python3 - "$T/k2.json" "$T/sim/STALLBK14001/storage" <<'PY'
import glob, hashlib, json, os, sys
r = json.load(open(sys.argv[1]))
m = json.load(open(r["archive"][:-len(".tar.zst")] + ".json"))
st = sys.argv[2]
bad = [i["path"] for i in m["items"] if i["type"] == "file" and
       hashlib.sha256(open(os.path.join(st, i["path"][8:]), "rb").read()).hexdigest() != i["sha256"]]
parts = glob.glob(os.path.join(os.path.dirname(r["archive"]), "*.part"))
print(bad[:3], parts)
sys.exit(bool(bad) or bool(parts))
PY

# ---- APKs, on request -------------------------------------------------------------------------
B backup -s "$P" --only apks --to "$T/libapk" --json >"$T/ba.json" 2>"$T/ba.err"
check "--only apks: the user app's APKs, base and splits (exit 0)" test $? -eq 0
ARCA=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['archive'])" "$T/ba.json")
mkdir -p "$T/xa"
tar --zstd -xf "$ARCA" -C "$T/xa" 2>"$T/xa.err"
APK=$T/sim/BACKUPX140001/app/org.example.notes-1
check "each APK byte for byte, as pm path names them" \
	sh -c "cmp -s '$APK/base.apk' '$T/xa/apks/org.example.notes/base.apk' &&
	       cmp -s '$APK/split_config.arm64_v8a.apk' '$T/xa/apks/org.example.notes/split_config.arm64_v8a.apk' &&
	       cmp -s '$APK/split_config.en.apk' '$T/xa/apks/org.example.notes/split_config.en.apk'"
check "no system app's APK, nothing else" \
	test "$(find "$T/xa/apks" -type f | wc -l)" -eq 3
IDA=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" "$T/ba.json")
B shell -s "$P" -- pm uninstall org.example.notes >"$T/o" 2>&1
B shell -s "$P" -- pm path org.example.notes >>"$T/o" 2>&1
check "the app uninstalled: pm path finds nothing, its APKs are gone" \
	sh -c "grep -q '^Success' '$T/o' && ! grep -q 'package:' '$T/o' && test ! -e '$APK'"
B restore -s "$P" "$IDA" --to "$T/libapk" --confirm 0001 --json >"$T/ra0.json" 2>"$T/ra0.err"
check "a restore that does not ask for apks installs nothing" \
	sh -c "test ! -e '$APK' && grep -q 'nothing in backup' '$T/ra0.json' '$T/ra0.err'"
B restore -s "$P" "$IDA" --to "$T/libapk" --select apks --confirm 0001 --json >"$T/ra.json" 2>"$T/ra.err"
check "--select apks: the app installed again from its APKs (exit 0)" test $? -eq 0
check "the result counts it" python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d['ok'] and d['apps'] == 1 and d['apps_installed'] == 1))" "$T/ra.json"
B shell -s "$P" -- pm path org.example.notes >"$T/o" 2>&1
check "pm path names its base and both splits again" \
	test "$(grep -c '^package:/data/app/org.example.notes-1/' "$T/o")" -eq 3
check "the phone holds the backed-up APKs byte for byte" \
	sh -c "cmp -s '$APK/base.apk' '$T/xa/apks/org.example.notes/base.apk' &&
	       cmp -s '$APK/split_config.en.apk' '$T/xa/apks/org.example.notes/split_config.en.apk'"
B shell -s "$P" -- 'ls /data/local/tmp; echo listed' >"$T/o" 2>&1
check "the APK copies in /data/local/tmp are removed" \
	sh -c "grep -q '^listed' '$T/o' && ! grep -q droidmedic-restore '$T/o'"
B push -s "$P" "$T/ba.json" /data/app/org.example.notes-1/x.apk >"$T/o" 2>&1
check "the simulator, like a phone, lets no one push into /data/app" test $? -ne 0
B shell -s "$P" -- ls /data/app >"$T/o" 2>&1
check "and lists no /data/app to the shell user" grep -q "Permission denied" "$T/o"

# ---- a write error --------------------------------------------------------------------------
sleep 1
before=$(ls "$T/lib/BACKUPX140001" | sort | tr '\n' ' ')
sum1=$(sha256sum "$ARC1")
# The job runs in this process (no server: --no-autostart after a stop),
# under a 1 MiB file size limit, as a full disk would stop it.
B server stop --force >/dev/null 2>&1
(trap '' XFSZ; ulimit -f 1024; exec timeout 300 "$DROIDMEDIC" --no-autostart backup -s "$P" --full) >"$T/f.out" 2>"$T/f.err"
rc=$?
after=$(ls "$T/lib/BACKUPX140001" | sort | tr '\n' ' ')
check "a write error: a clear message, nothing kept, earlier backups untouched" \
	sh -c "test $rc -ne 0 && grep -q 'nothing of this backup was kept, earlier backups are untouched' '$T/f.err' &&
	       test '$before' = '$after' && test \"\$(sha256sum '$ARC1')\" = '$sum1'"
diag "$(tail -3 "$T/f.err")"

sim_end
done_testing
