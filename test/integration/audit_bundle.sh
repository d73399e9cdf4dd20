#!/bin/sh
# TEST-KEY-320..325: the audit bundle.  `audit export --out DIR` writes
# the audit chain and every record it binds (no sealed key, share or PIN
# file) with bundle.json and MANIFEST (sha256sum -c accepts it), records
# one audit.export row and changes nothing else; keyrite's `audit verify
# --bundle DIR` (with no state folder: -C a missing folder, and from an
# empty folder without -C) and test/tools/verify_bundle.py accept it; a
# changed payload byte, a changed certificate DER or revocation serial, a
# removed row and a removed record are refused by both, naming the row
# or record; an existing target or one inside the state folder is
# refused with nothing written.
. "$(dirname "$0")/lib.sh"
set -e
TOOLS="$SRCDIR/test/tools"

revoking_ca "$T/s" "CN=Bundle Root"
issue root crl publish --issuer-key root --out "$T/1.crl"
[ "$rc" -eq 0 ] || fail "crl publish: $(cat "$T/err")"
rows=$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM audit")

# TEST-KEY-320: the export, and what it changed.
before=$(sqlite3 "$S/keyrite.db" ".dump" | grep -v "INSERT INTO audit" |
    sha256sum)
run -C "$S" audit export --out "$T/b"
after=$(sqlite3 "$S/keyrite.db" ".dump" | grep -v "INSERT INTO audit" |
    sha256sum)
last=$(sqlite3 "$S/keyrite.db" "SELECT seq || ' ' || event FROM audit \
    ORDER BY seq DESC LIMIT 1")
man=$(sha256sum "$T/b/MANIFEST" | cut -c1-64)
[ "$rc" -eq 0 ] && [ "$before" = "$after" ] &&
    [ "$last" = "$((rows + 1)) audit.export" ] &&
    sqlite3 "$S/keyrite.db" "SELECT payload FROM audit WHERE seq = \
    $((rows + 1))" | grep -q "\"rows\":$rows,\"head\":\"[0-9a-f]*\",\"manifest_sha256\":\"$man\"" &&
    grep -q "\"rows\":$rows," "$T/b/bundle.json" &&
    [ "$(wc -l < "$T/b/audit.jsonl")" -eq "$rows" ] &&
    ok "export: one audit.export row naming the bundle's $rows rows and MANIFEST SHA-256, nothing else changed" ||
    fail "export: exit $rc $(cat "$T/err")"
(cd "$T/b" && sha256sum --quiet --strict -c MANIFEST) >/dev/null 2>&1 &&
    ok "MANIFEST is what sha256sum -c checks" || fail "sha256sum -c MANIFEST"
if grep -rlq "PRIVATE KEY\|KRSEALED\|KRSHARE" "$T/b" ||
    ls "$T/b" | grep -q "\.sealed\|\.share\|\.pins"; then
	fail "the bundle holds secret material"
else
	ok "no sealed key, share or PIN file in the bundle"
fi
der=$(openssl x509 -in "$T/sub2.pem" -outform DER | od -An -tx1 | tr -d ' \n')
crl=$(sha256sum "$S"/crls/*.crl | cut -c1-64)
grep -q "\"der\":{\"hex\":\"$der\"}" "$T/b/certificates.jsonl" &&
    grep -q "\"sha256\":\"$crl\"" "$T/b/crls.jsonl" &&
    ok "certificates' DER and the CRL rows with the recorded copy's SHA-256 are in it" ||
    fail "records missing from the bundle"

# TEST-KEY-321: both verifiers accept it, keyrite's with no state folder.
run -C "$T/nonexistent" audit verify --bundle "$T/b"
[ "$rc" -eq 0 ] && grep -q "audit bundle intact: $rows rows" "$T/out" &&
    grep -q "^        [0-9A-F][0-9A-F]:" "$T/out" &&
    [ ! -e "$T/nonexistent" ] &&
    ok "audit verify --bundle accepts it with -C a missing folder and prints the head" ||
    fail "verify --bundle: exit $rc $(cat "$T/out" "$T/err")"
mkdir "$T/empty"
if (cd "$T/empty" && env -u KEYRITE_HOME "$KEYRITE" audit verify \
    --bundle "$T/b" >"$T/out" 2>"$T/err"); then
	[ -z "$(ls -A "$T/empty")" ] &&
	    ok "audit verify --bundle runs from an empty folder without -C" ||
	    fail "verify --bundle left files behind"
else
	fail "verify --bundle without -C: $(cat "$T/err")"
fi
python3 "$TOOLS/verify_bundle.py" "$T/b" >"$T/py" 2>&1 &&
    grep -q "intact: $rows rows" "$T/py" &&
    ok "verify_bundle.py accepts it" || fail "verify_bundle.py: $(cat "$T/py")"

# TEST-KEY-322..323: tampered copies, refused by both, naming what changed.
tampered() {
	what=$1 pat=$2 pypat=$3
	shift 3
	rm -rf "$T/x"
	cp -r "$T/b" "$T/x"
	"$@"
	run -C "$T/nonexistent" audit verify --bundle "$T/x"
	[ "$rc" -eq 1 ] && grep -q -- "$pat" "$T/out" &&
	    ok "$what: audit verify --bundle names it" ||
	    fail "$what: exit $rc, wanted /$pat/: $(cat "$T/out" "$T/err")"
	set +e
	python3 "$TOOLS/verify_bundle.py" "$T/x" >"$T/py" 2>&1
	prc=$?
	set -e
	[ "$prc" -eq 1 ] && grep -q -- "$pypat" "$T/py" &&
	    ok "$what: verify_bundle.py names it" ||
	    fail "$what: verify_bundle.py exit $prc, wanted /$pypat/: $(cat "$T/py")"
}
# One byte of row 3's payload: "approved_by" becomes "approved_bz".
payload_byte() { sed -i '3s/approved_by/approved_bz/' "$T/x/audit.jsonl"; }
tampered "a changed byte in row 3's payload" "audit row 3 .*hash does not match" \
    "audit row 3 .*hash does not match" payload_byte
# The same, with MANIFEST and bundle.json made to agree.
refix() {
	(cd "$T/x" && sha256sum $(sed 's/^.\{66\}//' MANIFEST) > MANIFEST.new &&
	    mv MANIFEST.new MANIFEST)
}
payload_fixed() { payload_byte; refix; }
tampered "a changed payload with MANIFEST made to agree" \
    "audit row 3 .*hash does not match" "audit row 3 .*hash does not match" \
    payload_fixed
der_byte() {
	sed -i '3s/\("der":{"hex":"3082\)\(.\)/\1f/' "$T/x/certificates.jsonl"
	refix
}
tampered "a changed byte in a certificate's DER" \
    "certificates row .*(certificates:3): DER differs from what audit row" \
    "certificates:3 differs from what audit row" der_byte
serial_byte() {
	sed -i '1s/"serial":{"hex":"\(.\)/"serial":{"hex":"f/' \
	    "$T/x/revocations.jsonl"
	grep -q '"serial":{"hex":"f' "$T/x/revocations.jsonl" || \
	    sed -i '1s/"serial":{"hex":"\(.\)/"serial":{"hex":"e/' \
	    "$T/x/revocations.jsonl"
	refix
}
tampered "a changed revocation serial" \
    "revocations row 1: serial differs from what audit row" \
    "revocations:1 differs from what audit row" serial_byte
row_gone() { sed -i '4d' "$T/x/audit.jsonl"; refix; }
tampered "a removed audit row" "audit row 4 is missing" \
    "audit row 4 is missing" row_gone
last_gone() { sed -i '$d' "$T/x/audit.jsonl"; refix; }
tampered "the last row removed" "bundle.json says the chain has $rows rows" \
    "bundle.json says $rows rows" last_gone
record_gone() { sed -i '2d' "$T/x/certificates.jsonl"; refix; }
tampered "a removed certificate record" \
    "certificates:2, recorded by audit row .*is missing" \
    "certificates:2, recorded by audit row .*is missing" record_gone
file_changed() { sed -i '1s/"reason":1/"reason":2/' "$T/x/revocations.jsonl"; }
tampered "a record changed without fixing MANIFEST" \
    "the file revocations.jsonl is missing or does not have the SHA-256" \
    "revocations.jsonl: its SHA-256 is not MANIFEST's" file_changed

# TEST-KEY-324: refused targets, nothing written or recorded.
snap=$(state_snapshot "$S/keyrite.db" "$S")
expect 2 "already exists" "an existing target is refused" -- \
    -C "$S" audit export --out "$T/b"
mkdir "$T/full"
: > "$T/full/keep"
expect 2 "exists" "an existing folder is refused" -- \
    -C "$S" audit export --out "$T/full"
expect 2 "state folder" "a target inside the state folder is refused" -- \
    -C "$S" audit export --out "$S/bundle"
[ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    [ "$(ls "$T/full")" = "keep" ] && ! ls "$T" | grep -q "tmp-" &&
    ok "refused exports changed nothing and left nothing" ||
    fail "a refused export left something"

# TEST-KEY-325: two exports of the same chain are the same bytes but for
# the rows between them; the second bundle holds the first's row.
run -C "$S" audit export --out "$T/b2"
[ "$rc" -eq 0 ] && [ "$(wc -l < "$T/b2/audit.jsonl")" -eq $((rows + 1)) ] &&
    head -n "$rows" "$T/b2/audit.jsonl" | cmp -s - "$T/b/audit.jsonl" &&
    cmp -s "$T/b/certificates.jsonl" "$T/b2/certificates.jsonl" &&
    ok "a second export holds the first one's audit.export row, the rest alike" ||
    fail "second export: exit $rc $(cat "$T/err")"
finish
