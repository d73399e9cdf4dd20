#!/bin/sh
# TEST-KEY-060..063: custodians' approval keys and signed approvals.
# Share files of format 2 hold each custodian's approval key, whose
# fingerprint `key generate` prints; every operation under a quorum
# carries the custodians' signatures over its approval statement; one
# signature is checked independently (python3-cryptography) from the
# documented statement format; `audit verify` names a row whose approver
# list was edited (names swapped, an extra name, a signature byte flipped)
# even when the hash chain was recomputed after the edit.
. "$(dirname "$0")/lib.sh"
set -e
TOOLS="$(dirname "$0")/../tools"
S="$T/state"
O="$T/out.d"
mkdir -p "$O"
make_state "$S"

# TEST-KEY-060: format 2 share files and the fingerprints to write down.
gen_ca "$S" root p256 ca || fail "key generate: $(cat "$T/gen.err")"
cp "$T/gen.out" "$T/gen.root"
n=$(grep -c "approval key SHA-256 (write it down)" "$T/gen.root")
[ "$n" -eq 3 ] && ok "key generate prints an approval key fingerprint per custodian" ||
    fail "key generate printed $n fingerprints"
grep -q "^  share for a  *$T/sh-root/a/root.share\$" "$T/gen.root" &&
    ok "the share lines are unchanged" || fail "share line changed"
for c in a b c; do
	# The two printed lines, joined, against SHA-256 of the recorded key.
	fp=$(grep -A1 "share for $c " "$T/gen.root" | tail -n 1 |
	    sed 's/.*down): //')
	fp2=$(grep -A2 "share for $c " "$T/gen.root" | tail -n 1 | tr -d ' ')
	x=$(printf '%s' "$c" | od -An -tu1 | tr -d ' ')
	x=$((x - 96))
	want=$(sqlite3 "$S/keyrite.db" "SELECT hex(approval_pk) FROM custodians \
	    WHERE x = $x" | xxd -r -p | sha256sum | cut -d' ' -f1 |
	    tr a-f A-F | sed 's/../&:/g; s/:$//')
	[ "$fp:$fp2" = "$want" ] &&
	    ok "custodian $c's fingerprint is SHA-256 of the recorded approval key" ||
	    fail "custodian $c: printed '$fp:$fp2', recorded '$want'"
done
size=$(stat -c %s "$T/sh-root/a/root.share")
[ "$size" -eq 308 ] && ok "a format 2 share file is 307 + L bytes" ||
    fail "share file is $size bytes"
ver=$(od -An -tx1 -j8 -N2 "$T/sh-root/a/root.share" | tr -d ' ')
[ "$ver" = 0002 ] && ok "the share file says format version 2" || fail "version $ver"
run -C "$S" audit show
grep -q '"share_format":2,"approval_key_fingerprints":\[' "$T/out" &&
    ok "key.generate records the share format and the fingerprints" ||
    fail "key.generate row lacks the fingerprints"

# TEST-KEY-061: every operation under a quorum carries signed approvals.
verify_shares "$S" root "$T/sh-root" a
[ "$rc" -eq 0 ] && ok "one custodian checks their share" || fail "share check: exit $rc"
issue root cert root --key root --profile root --subject "CN=Approved Root" \
    --out "$O/root.pem"
[ "$rc" -eq 0 ] && ok "cert root under the quorum" || fail "cert root: $(cat "$T/err")"
openssl verify -CAfile "$O/root.pem" "$O/root.pem" >/dev/null 2>&1 &&
    ok "openssl verifies the root" || fail "openssl verify root"
ROOT_SEQ=$(sqlite3 "$S/keyrite.db" "SELECT max(seq) FROM audit WHERE event = 'cert.root'")
issue root crl publish --issuer-key root --out "$O/crl.der"
[ "$rc" -eq 0 ] && ok "crl publish under the quorum" || fail "crl publish: $(cat "$T/err")"
gen_ca "$S" fw p256 firmware || fail "firmware key"
head -c 5000 /dev/urandom > "$O/app.bin"
issue fw sign firmware --key fw --format raw --in "$O/app.bin" --out "$O/app.sig"
[ "$rc" -eq 0 ] && ok "sign firmware under the quorum" || fail "sign firmware: $(cat "$T/err")"
sha=$(sha256sum "$O/app.bin" | cut -d' ' -f1)
sqlite3 "$S/keyrite.db" "SELECT payload FROM audit WHERE event = 'sign.firmware'" |
    grep -q "\"input_sha256\":\"$sha\".*\"status\":\"signed\",\"op\":\"sign.firmware\".*\"digest\":\"$sha\"" &&
    ok "the firmware row's approvals are over the image's SHA-256" ||
    fail "firmware approvals digest"
gen_ca "$S" gone p256 ca || fail "key to destroy"
issue gone key destroy gone
[ "$rc" -eq 0 ] && ok "key destroy under the quorum" || fail "key destroy: $(cat "$T/err")"
n=0
for ev in share.check cert.root crl.publish sign.firmware key.destroy; do
	sqlite3 "$S/keyrite.db" "SELECT payload FROM audit WHERE event = '$ev'" |
	    grep -q "\"approvals\":{\"share_set\":\"[0-9a-f]*\",\"status\":\"signed\",\"op\":\"$ev\"" &&
	    n=$((n + 1)) || fail "$ev row has no signed approvals"
done
[ "$n" -eq 5 ] && ok "share.check, cert.root, crl.publish, sign.firmware and key.destroy rows carry signed approvals"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && grep -q "approvals: 5 rows signed by every approver, 0 with unsigned approvals, 0 not backed" "$T/out" &&
    ok "audit verify checks every approval signature" ||
    fail "audit verify: exit $rc $(cat "$T/out")"

# TEST-KEY-062: one signature checked by an independent verifier.
for i in 0 1; do
	if python3 "$TOOLS/approval_check.py" "$S/keyrite.db" "$ROOT_SEQ" "$i" >"$T/py" 2>&1 &&
	    grep -q "approval signature OK" "$T/py"; then
		ok "python3-cryptography verifies approval $i of the cert.root row from the documented statement"
	else
		fail "independent check of approval $i: $(cat "$T/py")"
	fi
done
# and a statement that differs by one byte does not verify
cp "$S/keyrite.db" "$T/ind.db"
sqlite3 "$T/ind.db" "DROP TRIGGER audit_no_update; UPDATE audit SET payload = replace(payload, '\"time\":', '\"time\":1') WHERE seq = $ROOT_SEQ"
python3 "$TOOLS/approval_check.py" "$T/ind.db" "$ROOT_SEQ" 0 >"$T/py" 2>&1 &&
    fail "a changed statement still verifies" ||
    ok "the independent check refuses a statement with another time"

# TEST-KEY-063: approver lists edited, with the chain recomputed after.
cp "$S/keyrite.db" "$T/good.db"
tamper() {
	what=$1 old=$2 new=$3
	cp "$T/good.db" "$S/keyrite.db"
	rm -f "$S/keyrite.db-wal" "$S/keyrite.db-shm"
	python3 "$TOOLS/audit_rechain.py" "$S/keyrite.db" "$ROOT_SEQ" "$old" "$new" ||
	    { fail "$what: could not edit"; return 0; }
	run -C "$S" audit verify
	if [ "$rc" -eq 1 ] &&
	    grep -q "approval problem: audit row $ROOT_SEQ (cert.root)" "$T/out" &&
	    ! grep -q "^record problem" "$T/out"; then
		ok "$what: the chain verifies but audit verify names row $ROOT_SEQ"
	else
		fail "$what: exit $rc $(cat "$T/out" "$T/err")"
	fi
}
tamper "names swapped" '"approved_by":["a","b"]' '"approved_by":["b","a"]'
grep -q "names the approvers \[b,a\], but the approval signatures that verify are by \[a,b\]" "$T/out" &&
    ok "the message says who is named and who signed" || fail "swap message: $(cat "$T/out")"
tamper "an extra name" '"approved_by":["a","b"]' '"approved_by":["a","b","c"]'
tamper "a name replaced" '"approved_by":["a","b"]' '"approved_by":["a","c"]'
sig=$(sqlite3 "$T/good.db" "SELECT payload FROM audit WHERE seq = $ROOT_SEQ" |
    sed 's/.*"custodian":"b","x":2,"time":[0-9]*,"pk_sha256":"[0-9a-f]*","sig":"\([0-9a-f]*\)".*/\1/')
first=$(printf '%s' "$sig" | cut -c1)
[ "$first" = 0 ] && flip=1 || flip=0
tamper "a signature byte flipped" "\"sig\":\"$sig\"" "\"sig\":\"$flip$(printf '%s' "$sig" | cut -c2-)\""
grep -q "signature of custodian 'b' does not verify" "$T/out" &&
    ok "the flipped signature is named by custodian" || fail "flip message"
tamper "signatures swapped between custodians" '"custodian":"a","x":1' '"custodian":"b","x":2'
tamper "approvals claimed unsigned" '"status":"signed"' '"status":"unsigned approvals"'
tamper "the approvals member removed" ',"approvals":{' ',"removed":{'
cp "$T/good.db" "$S/keyrite.db"
rm -f "$S/keyrite.db-wal" "$S/keyrite.db-shm"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "the untouched database verifies again" || fail "restore: exit $rc"
finish
