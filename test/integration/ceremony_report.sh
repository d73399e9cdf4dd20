#!/bin/sh
# TEST-KEY-200..204: ceremony transcripts (docs/transcript.md).  A small
# ceremony is run (key.generate, cert.root, checkpoint); `ceremony report`
# writes report.txt, report.json and signatures.json, signed by the two
# custodians who approved the certificate; `ceremony verify-report` (with
# no state folder) and test/tools/verify_transcript.py (python3 +
# cryptography, from the documented format) accept it, and both refuse
# one changed byte in either file and a removed signature.
# TEST-KEY-319: a report to a folder holding its files, under a file, or
# inside the state folder is refused before any passphrase is read.
. "$(dirname "$0")/lib.sh"
set -e
TOOLS="$(dirname "$0")/../tools"
S="$T/state"
make_state "$S"
mkdir -p "$T/sh" "$T/pub"
cat > "$T/cer.yaml" <<YAML
keyrite-ceremony: 1
name: report-test
purpose: A root key and its certificate, for the transcript test.
roles:
  administrator: Ann
  witness: Walt
  custodians: [a, b, c]
params:
  shares: {type: path, default: $T/sh, about: the share folder}
  out: {type: path, default: $T/pub, about: public outputs}
steps:
  - id: generate
    title: Generate the root key
    key.generate: {name: root, alg: p256, purpose: ca, threshold: 2, custodians: [a, b, c], share_dir: "\${shares}"}
  - id: root-cert
    title: Self-sign the root certificate
    cert.root: {key: root, profile: root, subject: "CN=Transcript Root", out: "\${out}/root.pem", custodians: [a, b], share_dir: "\${shares}"}
  - id: seen
    title: The witness checks the certificate
    checkpoint: {observation: the root fingerprint was read aloud}
YAML
for c in a b c a b; do pass_of "$c"; done > "$T/run.pw"
echo yes > "$T/wit"
run -C "$S" ceremony run "$T/cer.yaml" --passphrase-fd 3 --witness-fd 4 \
    --yes 3<"$T/run.pw" 4<"$T/wit"
[ "$rc" -eq 0 ] && ok "the ceremony ran" || fail "ceremony run: exit $rc $(cat "$T/err")"
ID=$(sed -n 's/^Ceremony \([0-9a-f-]*\) is complete.*/\1/p' "$T/out")
[ -n "$ID" ] || fail "no ceremony id"
{ pass_of a; pass_of b; } > "$T/ab.pw"

# TEST-KEY-200: the transcript is refused, naming who is missing.
run -C "$S" ceremony report "$ID" --out "$T/r0" --share "$T/sh/a/root.share" \
    --passphrase-fd 3 3<"$T/ab.pw"
[ "$rc" -ne 0 ] && grep -q "no share file was given for 'b'" "$T/err" &&
    [ ! -e "$T/r0" ] && ok "a missing custodian is named, nothing written" ||
    fail "missing custodian: exit $rc $(cat "$T/err")"
{ pass_of c; } > "$T/c.pw"
run -C "$S" ceremony report "$ID" --out "$T/r0" --share "$T/sh/a/root.share" \
    --share "$T/sh/b/root.share" --share "$T/sh/c/root.share" \
    --passphrase-fd 3 3<"$T/ab.pw"
[ "$rc" -ne 0 ] && grep -q "custodian 'c' approved no step" "$T/err" &&
    [ ! -e "$T/r0" ] && ok "a custodian who approved nothing is not asked" ||
    fail "extra custodian: exit $rc $(cat "$T/err")"
{ pass_of a; echo "wrong passphrase, long enough"; } > "$T/bad.pw"
run -C "$S" ceremony report "$ID" --out "$T/r0" --share "$T/sh/a/root.share" \
    --share "$T/sh/b/root.share" --passphrase-fd 3 3<"$T/bad.pw"
[ "$rc" -ne 0 ] && grep -qi "passphrase for custodian 'b'" "$T/err" &&
    [ ! -e "$T/r0" ] && ok "a wrong passphrase leaves no file" ||
    fail "wrong passphrase: exit $rc $(cat "$T/err")"

# TEST-KEY-201: the transcript, signed by a and b.
R="$T/report"
{ pass_of b; pass_of a; } > "$T/ba.pw"
run -C "$S" ceremony report "$ID" --out "$R" --share "$T/sh/b/root.share" \
    --share "$T/sh/a/root.share" --passphrase-fd 3 3<"$T/ba.pw"
[ "$rc" -eq 0 ] && [ -f "$R/report.txt" ] && [ -f "$R/report.json" ] &&
    [ -f "$R/signatures.json" ] && ok "ceremony report writes the three files" ||
    fail "report: exit $rc $(cat "$T/err")"
cert=$(sqlite3 "$S/keyrite.db" \
    "SELECT payload FROM audit WHERE event = 'cert.root'" |
    sed 's/.*"cert_sha256":"\([0-9a-f]*\)".*/\1/' | cut -c1-2 | tr a-f A-F)
grep -q "^Ceremony  *$ID" "$R/report.txt" &&
    grep -q "Administrator  *Ann" "$R/report.txt" &&
    grep -q "Approved by  *a" "$R/report.txt" &&
    grep -q "cert_sha256  *$cert:" "$R/report.txt" &&
    grep -q "Before (entry 1)" "$R/report.txt" &&
    ok "report.txt names the ceremony, roles, approvers, hashes and heads" ||
    fail "report.txt content"
run -C "$S" ceremony report "$ID" --out "$R" --share "$T/sh/b/root.share" \
    --share "$T/sh/a/root.share" --passphrase-fd 3 3<"$T/ba.pw"
[ "$rc" -ne 0 ] && grep -qi "exists" "$T/err" &&
    ok "an existing transcript is not overwritten" ||
    fail "overwrite: exit $rc $(cat "$T/err")"

# TEST-KEY-319: the output folder is checked before any custodian is
# asked: no passphrase on fd 3, and the refusal names the folder.
before=$(state_snapshot "$S/keyrite.db" "$S")
for out in "$R" "$T/pub/root.pem/t" "$S/t"; do
	run -C "$S" ceremony report "$ID" --out "$out" --share "$T/sh/b/root.share" \
	    --share "$T/sh/a/root.share" --passphrase-fd 3 3</dev/null
	case $out in
	"$R") want="$R/report.txt already exists" ;;
	"$S"/*) want="is inside the state folder" ;;
	*) want="$out" ;;
	esac
	[ "$rc" -eq 2 ] && grep -q "$want" "$T/err" &&
	    ! grep -qi "passphrase" "$T/err" &&
	    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
	    ok "--out $out refused before anyone is asked (exit $rc): $(head -n 1 "$T/err" | cut -c1-90)" ||
	    fail "--out $out: exit $rc $(cat "$T/err")"
done

# TEST-KEY-202: both verifiers accept it, with no state folder.
cp -r "$R" "$T/copy"
run ceremony verify-report "$T/copy"
[ "$rc" -eq 0 ] && grep -q "Transcript verified" "$T/out" &&
    grep -q "approval key SHA-256" "$T/out" &&
    ok "keyrite ceremony verify-report accepts it without a state folder" ||
    fail "verify-report: exit $rc $(cat "$T/out" "$T/err")"
KEYRITE_HOME=/nonexistent run ceremony verify-report "$T/copy"
[ "$rc" -eq 0 ] && ok "verify-report opens no state folder" ||
    fail "verify-report with KEYRITE_HOME: exit $rc"
if python3 "$TOOLS/verify_transcript.py" "$T/copy" >"$T/py" 2>&1; then
	ok "verify_transcript.py accepts it"
else
	fail "verify_transcript.py: $(cat "$T/py")"
fi

# TEST-KEY-203: one changed byte, or a removed signature, is refused.
refuse() {
	what=$1 pat=$2
	run ceremony verify-report "$T/bad"
	if [ "$rc" -eq 1 ] && grep -q -- "$pat" "$T/out" "$T/err"; then
		ok "verify-report refuses $what"
	else
		fail "verify-report on $what: exit $rc $(cat "$T/out" "$T/err")"
	fi
	if python3 "$TOOLS/verify_transcript.py" "$T/bad" >"$T/py" 2>&1; then
		fail "verify_transcript.py accepted $what"
	else
		ok "verify_transcript.py refuses $what"
	fi
}
rm -rf "$T/bad"; cp -r "$R" "$T/bad"
flip "$T/bad/report.txt" 100
refuse "a changed byte in report.txt" "report.txt is not the file that was signed"
rm -rf "$T/bad"; cp -r "$R" "$T/bad"
off=$(grep -bo '"subject\\":\\"CN=Transcript' "$T/bad/report.json" | head -1 | cut -d: -f1)
flip "$T/bad/report.json" $((off + 20))
refuse "a changed byte in report.json" "does not chain"
rm -rf "$T/bad"; cp -r "$R" "$T/bad"
python3 - "$T/bad/signatures.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["signatures"] = d["signatures"][:1]
open(p, "w").write(json.dumps(d, separators=(",", ":")))
PY
refuse "a removed signature" "approved a step but did not sign"

# TEST-KEY-204: an unknown ceremony is named.
run -C "$S" ceremony report nosuch-id --out "$T/r1"
[ "$rc" -ne 0 ] && grep -q "no ceremony nosuch-id" "$T/err" &&
    ok "an unknown ceremony is named" || fail "unknown id: exit $rc"
finish
