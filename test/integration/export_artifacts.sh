#!/bin/sh
# TEST-KEY-305: export carries the pre-signed OCSP responses: each
# file is the recorded DER (sqlite3), `openssl ocsp -respin -text` reads
# it (status, serial), and it verifies under the exported issuer.
# TEST-KEY-306: `ceremony report` is recorded (a ceremony.report row
# listing each file's SHA-256, as sha256sum gives them); `export
# --ceremony ID` copies the transcript into transcript-ID-SEQ/, which
# `keyrite ceremony verify-report` and verify_transcript.py accept.
# TEST-KEY-307: `audit export` keeps its bundle; `export --all` copies it
# into audit-SEQ/, which `keyrite audit verify --bundle` and
# verify_bundle.py accept; sha256sum -c and export verify accept the
# whole medium, and export verify names a file added in a sub-folder;
# `--key root` takes the key's OCSP responses but no transcript or bundle.
# TEST-KEY-308: a kept copy changed or removed behind keyrite's back
# refuses the export, naming it: no file left, no audit row.
# TEST-KEY-318: a temporary kept copy its row lists but whose bytes differ
# is kept by the open-time cleanup and named with its row.
# TEST-KEY-309: `export --custodian NAME --share-dir DIR` copies exactly
# that custodian's share files, each the bytes whose SHA-256 the
# custodian rows hold; a share of another custodian in the folder and a
# share with one changed byte are refused, naming the file, with the
# state unchanged; --custodian without --share-dir is a usage error.
# TEST-KEY-310: an export made during a ceremony is listed in its
# transcript (report.json holds the export row; verify_transcript.py
# accepts it).
# TEST-KEY-311: a backup holds the kept copies; in the restored state the
# transcript and the bundle export again with the same bytes.
. "$(dirname "$0")/lib.sh"
set -e
TOOLS="$SRCDIR/test/tools"

revoking_ca "$T/s" "CN=Artifacts Root"
db() { sqlite3 "$S/keyrite.db" "$1"; }
rows() { db "SELECT count(*) FROM audit"; }
mkdir -p "$T/ocsp"
issue root ocsp presign --issuer-key root --out-dir "$T/ocsp" --yes
[ "$rc" -eq 0 ] && ok "two OCSP responses pre-signed" ||
    fail "ocsp presign: $(cat "$T/err")"

# --- TEST-KEY-305: OCSP responses -------------------------------------------
E="$T/e1"
mkdir "$E"
run -C "$S" export --to "$E" --all
[ "$rc" -eq 0 ] && grep -q "2 OCSP responses" "$T/out" ||
    fail "export --all: $(cat "$T/err")"
good=0
for id in $(db "SELECT id FROM ocsp_responses"); do
	serial=$(db "SELECT serial FROM ocsp_responses WHERE id = $id")
	f="$E/ocsp-$serial-$id.ocsp"
	want=$(db "SELECT lower(hex(der)) FROM ocsp_responses WHERE id = $id")
	got=$(od -An -v -tx1 "$f" | tr -d ' \n')
	st=$(db "SELECT status FROM ocsp_responses WHERE id = $id")
	up=$(echo "$serial" | tr 'a-f' 'A-F')
	openssl ocsp -respin "$f" -text -noverify > "$T/ocsp.txt" 2>&1 || true
	if [ "$got" = "$want" ] &&
	    grep -q "OCSP Response Status: successful" "$T/ocsp.txt" &&
	    grep -q "Serial Number: $up" "$T/ocsp.txt" &&
	    grep -q "Cert Status: $st" "$T/ocsp.txt" &&
	    openssl ocsp -respin "$f" -VAfile "$E/cert-$(cert_serial "$T/root.pem" |
	    tr 'A-F' 'a-f').pem" -no_nonce 2>&1 | grep -q "Response verify OK"; then
		good=$((good + 1))
	fi
done
[ "$good" -eq 2 ] && ok "both OCSP responses exported as recorded; openssl ocsp -respin reads and verifies them (good and revoked)" ||
    fail "exported OCSP responses: $good of 2 ($(cat "$T/ocsp.txt"))"
(cd "$E" && sha256sum -c --quiet SHA256SUMS) && ok "sha256sum -c with the OCSP responses" ||
    fail "sha256sum -c"

# --- TEST-KEY-306 / 310: a ceremony that exports, and its transcript --------
{ pass_of a; pass_of b; } > "$T/ab.pw"
mkdir -p "$T/pub"
cat > "$T/cer.yaml" <<YAML
keyrite-ceremony: 1
name: export-in-ceremony
purpose: An intermediate certificate and its export, for the transcript.
roles:
  administrator: Ann
  witness: Walt
  custodians: [a, b, c]
params:
  out: {type: path, default: $T/pub, about: public outputs}
steps:
  - id: int-key
    title: Generate the intermediate key
    key.generate: {name: int, alg: p256, purpose: ca, threshold: 2, custodians: [a, b, c], share_dir: "$T/sh-int"}
  - id: int-cert
    title: Certify it
    cert.issue: {issuer_key: root, subject_key: int, profile: intermediate, subject: "CN=Ceremony Int", out: "\${out}/int.pem", custodians: [a, b], share_dir: "$T/sh-root"}
  - id: out
    title: Export what this ceremony made
    export: {to: "\${out}"}
YAML
mkdir -p "$T/sh-int"
for c in a b c a b; do pass_of "$c"; done > "$T/run.pw"
yes yes | head -n 10 > "$T/wit"
run -C "$S" ceremony run "$T/cer.yaml" --passphrase-fd 3 --witness-fd 4 \
    --yes 3<"$T/run.pw" 4<"$T/wit"
ID=$(sed -n 's/^Ceremony \([0-9a-f-]*\) is complete.*/\1/p' "$T/out")
[ "$rc" -eq 0 ] && [ -n "$ID" ] && ok "a ceremony that certifies and exports ran ($ID)" ||
    fail "ceremony run: exit $rc $(cat "$T/err") $(cat "$T/out" | tail -n 3)"
run -C "$S" ceremony report "$ID" --out "$T/rep" --share "$T/sh-root/a/root.share" \
    --share "$T/sh-root/b/root.share" --passphrase-fd 3 3<"$T/ab.pw"
seq=$(db "SELECT seq FROM audit WHERE event = 'ceremony.report'")
kept=$(db "SELECT payload FROM audit WHERE event = 'ceremony.report'")
good=1
for f in report.txt report.json signatures.json; do
	h=$(sha256sum "$T/rep/$f" | cut -c1-64)
	echo "$kept" | grep -q "{\"name\":\"$f\",\"size\":[0-9]*,\"sha256\":\"$h\"}" || good=0
	[ -f "$S/released/$h" ] || good=0
done
[ "$rc" -eq 0 ] && [ -n "$seq" ] && [ "$good" -eq 1 ] &&
    echo "$kept" | grep -q "\"report_of\":\"$ID\"" &&
    ok "ceremony report is recorded: row $seq lists the three files' SHA-256, kept in released/" ||
    fail "ceremony report record: exit $rc $(cat "$T/err") $kept"
python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
ev = [x for x in r["rows"] if x["event"] == "export"]
assert len(ev) == 1 and json.loads(ev[0]["payload"]).get("ceremony") == sys.argv[2]
' "$T/rep/report.json" "$ID" && python3 "$TOOLS/verify_transcript.py" "$T/rep" >/dev/null 2>&1 &&
    ok "TEST-KEY-310: the export made in the ceremony is a row of its signed transcript" ||
    fail "the ceremony's export is not in its transcript"

C="$T/e2"
mkdir "$C"
run -C "$S" export --to "$C" --ceremony "$ID"
TD="$C/transcript-$ID-$seq"
[ "$rc" -eq 0 ] && cmp -s "$TD/report.txt" "$T/rep/report.txt" &&
    cmp -s "$TD/report.json" "$T/rep/report.json" &&
    cmp -s "$TD/signatures.json" "$T/rep/signatures.json" &&
    [ -f "$C/cert-$(cert_serial "$T/pub/int.pem" | tr 'A-F' 'a-f').pem" ] &&
    ok "export --ceremony: its certificate and its transcript (transcript-$ID-$seq/)" ||
    fail "export --ceremony: exit $rc $(cat "$T/err") $(ls -R "$C")"
expect 0 "Transcript verified" "ceremony verify-report on the exported transcript" -- \
    ceremony verify-report "$TD"
python3 "$TOOLS/verify_transcript.py" "$TD" >"$T/py" 2>&1 &&
    ok "verify_transcript.py accepts the exported transcript" ||
    fail "verify_transcript.py: $(cat "$T/py")"

# --- TEST-KEY-307: the audit bundle -------------------------------------------
run -C "$S" audit export --out "$T/bundle"
bseq=$(db "SELECT max(seq) FROM audit WHERE event = 'audit.export'")
[ "$rc" -eq 0 ] && db "SELECT payload FROM audit WHERE seq = $bseq" |
    grep -q "\"sha256\":\"$(sha256sum "$T/bundle/MANIFEST" | cut -c1-64)\"" &&
    ok "audit export keeps its files, listed in row $bseq" ||
    fail "audit export: $(cat "$T/err")"
A="$T/e3"
mkdir "$A"
run -C "$S" export --to "$A" --all
[ "$rc" -eq 0 ] && diff -r "$A/audit-$bseq" "$T/bundle" >/dev/null &&
    [ -d "$A/transcript-$ID-$seq" ] &&
    ok "export --all: the bundle (audit-$bseq/, the same files) and the transcript" ||
    fail "export --all: exit $rc $(cat "$T/err")"
(cd "$A" && sha256sum -c --quiet SHA256SUMS) && ok "sha256sum -c over the sub-folders" ||
    fail "sha256sum -c with sub-folders"
expect 0 "Export verified" "export verify with sub-folders" -- export verify "$A"
expect 0 "audit bundle intact: $((bseq - 1)) rows" \
    "audit verify --bundle on the exported bundle (no state folder)" -- \
    -C "$T/none" audit verify --bundle "$A/audit-$bseq"
python3 "$TOOLS/verify_bundle.py" "$A/audit-$bseq" >"$T/py" 2>&1 &&
    ok "verify_bundle.py accepts the exported bundle" || fail "verify_bundle.py: $(cat "$T/py")"
echo extra > "$A/audit-$bseq/notes.txt"
expect 1 "audit-$bseq/notes.txt: not in the manifest" "a file added in a sub-folder is named" -- \
    export verify "$A"

mkdir "$T/k"
run -C "$S" export --to "$T/k" --key root
[ "$rc" -eq 0 ] && [ "$(ls "$T/k" | grep -c '^ocsp-')" -eq 2 ] &&
    [ -z "$(ls "$T/k" | grep '^transcript-\|^audit-')" ] &&
    ok "--key root: its OCSP responses, no transcript or bundle (no key's artifacts)" ||
    fail "--key root: exit $rc $(ls "$T/k")"

# --- TEST-KEY-308: kept copies changed or removed -----------------------------
mkdir "$T/e4"
n0=$(rows)
h=$(sha256sum "$T/rep/report.txt" | cut -c1-64)
cp "$S/released/$h" "$T/save"
python3 -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[10] ^= 1
open(p, "wb").write(b)' "$S/released/$h"
before=$(state_snapshot "$S/keyrite.db" "$S")
run -C "$S" export --to "$T/e4" --ceremony "$ID"
[ "$rc" -eq 1 ] && grep -q "released/$h.*does not have the SHA-256" "$T/err" &&
    [ -z "$(ls -A "$T/e4")" ] && [ "$(rows)" -eq "$n0" ] &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "a changed kept transcript is refused, named; nothing written, state unchanged" ||
    fail "changed kept copy: exit $rc $(cat "$T/err") $(ls -A "$T/e4")"
rm "$S/released/$h"
before=$(state_snapshot "$S/keyrite.db" "$S")
run -C "$S" export --to "$T/e4" --all
[ "$rc" -eq 1 ] && grep -q "released/$h.*missing" "$T/err" &&
    [ -z "$(ls -A "$T/e4")" ] && [ "$(rows)" -eq "$n0" ] &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "a removed kept copy is refused, named; nothing written, state unchanged" ||
    fail "removed kept copy: exit $rc $(cat "$T/err")"
# TEST-KEY-318: a temporary kept copy a row lists whose bytes differ is
# kept by the open-time cleanup, named with its row, not removed.
cp "$T/save" "$S/released/$h.tmp-0123456789abcdef"
printf x >> "$S/released/$h.tmp-0123456789abcdef"
sum=$(sha256sum "$S/released/$h.tmp-0123456789abcdef")
mkdir "$T/e4b"
run -C "$S" export --to "$T/e4b" --key root
[ "$rc" -eq 0 ] &&
    grep -q "audit row $seq records released/$h but its file released/$h.tmp-0123456789abcdef differs or cannot be read; nothing removed; run keyrite audit verify; restore released/$h from a backup" "$T/err" &&
    [ "$(sha256sum "$S/released/$h.tmp-0123456789abcdef")" = "$sum" ] &&
    [ ! -e "$S/released/$h" ] &&
    ok "a temporary kept copy its row lists, changed: kept, named with row $seq" ||
    fail "changed temporary kept copy: exit $rc $(cat "$T/err")"
rm "$S/released/$h.tmp-0123456789abcdef"
cp "$T/save" "$S/released/$h"
chmod 600 "$S/released/$h"

# --- TEST-KEY-309: a custodian's own share files ------------------------------
D="$T/e5"
mkdir "$D"
run -C "$S" export --to "$D" --custodian a --share-dir "$T/sh-root"
n=$(find "$D" -type f | wc -l)
[ "$rc" -eq 0 ] && [ "$n" -eq 3 ] && cmp -s "$D/shares-a/root.share" "$T/sh-root/a/root.share" &&
    db "SELECT lower(hex(share_digest)) FROM custodians WHERE name = 'a'" |
    grep -qx "$(sha256sum "$D/shares-a/root.share" | cut -c1-64)" &&
    ok "--custodian a: exactly a's share file, the bytes its custodian row records" ||
    fail "--custodian a: exit $rc $(cat "$T/err") $(find "$D" -type f)"
expect 0 "Export verified" "the custodian's export verifies" -- export verify "$D"
mkdir "$T/e6"
before=$(state_snapshot "$S/keyrite.db" "$S")
cp "$T/sh-root/b/root.share" "$T/sh-root/a/stray.share"
run -C "$S" export --to "$T/e6" --custodian a --share-dir "$T/sh-root"
[ "$rc" -eq 1 ] && grep -q "stray.share is a share of custodian 'b', not of 'a'" "$T/err" &&
    [ -z "$(ls -A "$T/e6")" ] && [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "a share of another custodian in the folder is refused, named; state unchanged" ||
    fail "another custodian's share: exit $rc $(cat "$T/err")"
rm "$T/sh-root/a/stray.share"
cp "$T/sh-root/a/root.share" "$T/a.save"
python3 -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[-1] ^= 1
open(p, "wb").write(b)' "$T/sh-root/a/root.share"
run -C "$S" export --to "$T/e6" --custodian a --share-dir "$T/sh-root"
[ "$rc" -eq 1 ] && grep -q "a/root.share (custodian 'a') has been altered" "$T/err" &&
    [ -z "$(ls -A "$T/e6")" ] && [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "a share file with one changed byte is refused, named; state unchanged" ||
    fail "changed share: exit $rc $(cat "$T/err")"
cp "$T/a.save" "$T/sh-root/a/root.share"
expect 2 "go together" "--custodian without --share-dir is a usage error" -- \
    -C "$S" export --to "$T/e6" --custodian a

# --- TEST-KEY-311: backup and restore keep them -------------------------------
run -C "$S" backup --to "$T/bk"
[ "$rc" -eq 0 ] && [ -f "$T/bk/released/$h" ] && ok "the backup holds the kept copies" ||
    fail "backup: $(cat "$T/err")"
head=$(db "SELECT lower(hex(hash)) FROM audit ORDER BY seq DESC LIMIT 1")
run -C "$T/none" restore --from "$T/bk" --to "$T/r" --expect-head "$head"
mkdir "$T/e7"
run -C "$T/r" export --to "$T/e7" --all
[ "$rc" -eq 0 ] && diff -r "$T/e7/audit-$bseq" "$T/bundle" >/dev/null &&
    cmp -s "$T/e7/transcript-$ID-$seq/signatures.json" "$T/rep/signatures.json" &&
    ok "the restored state exports the same transcript and bundle" ||
    fail "export from the restored state: exit $rc $(cat "$T/err")"
finish
