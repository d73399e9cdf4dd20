#!/bin/sh
# TEST-KEY-090: prepared CRL requests.  `crl publish --dry-run
# --save-request FILE` records nothing and shows the CRL's number, times
# and TBS SHA-256; `crl publish --request FILE` signs a CRL whose TBS
# (openssl asn1parse), number and thisUpdate (openssl crl) are the
# prepared ones, which openssl crl -verify accepts, and its audit row
# names the request's SHA-256.  Refused with nothing signed, written or
# recorded: a revocation recorded since the request was prepared, a CRL
# published since (its number is used), a changed byte, another file, a
# request kept past 48 hours (faketime), and options the request holds.
. "$(dirname "$0")/lib.sh"
set -e

revoking_ca "$T/s" "CN=CRL Req Root"

snap=$(state_snapshot "$S/keyrite.db" "$S")
run -C "$S" crl publish --issuer-key root --dry-run --save-request "$T/r1.req"
tbs=$(sed -n 's/^TBS SHA-256: \([0-9a-f]*\)$/\1/p' "$T/out")
[ "$rc" -eq 0 ] && [ -n "$tbs" ] && grep -q "^Prepared CRL number 1: 1 entries" \
    "$T/out" && [ -f "$T/r1.req" ] &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    ok "a dry run prepares the CRL and records nothing" ||
    fail "dry run: exit $rc $(cat "$T/err")"

# refused_req WHAT PATTERN -- ARGS: refused, nothing written or recorded.
refused_req() {
	what=$1 pat=$2
	shift 3
	snap=$(state_snapshot "$S/keyrite.db" "$S")
	issue root "$@"
	if [ "$rc" -ne 0 ] && grep -q -- "$pat" "$T/err" && [ ! -e "$T/no.crl" ] &&
	    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ]; then
		ok "$what: refused, nothing signed"
	else
		fail "$what: exit $rc, $(cat "$T/err")"
	fi
}
cp "$T/r1.req" "$T/bad.req"
sed -i 's/^number 1$/number 7/' "$T/bad.req"
refused_req "a changed byte" "does not match its contents" -- \
    crl publish --request "$T/bad.req" --out "$T/no.crl"
refused_req "a certificate request given as a CRL request" "not a prepared CRL request" -- \
    crl publish --request "$T/root.pem" --out "$T/no.crl"
expect 2 "holds the issuer" "--request with --issuer-key is a usage error" -- \
    -C "$S" crl publish --request "$T/r1.req" --issuer-key root --out "$T/no.crl"
expect 2 "goes with --dry-run" "--save-request without --dry-run" -- \
    -C "$S" crl publish --issuer-key root --save-request "$T/x.req" --out "$T/no.crl"

issue root crl publish --request "$T/r1.req" --out "$T/c1.crl"
[ "$rc" -eq 0 ] || fail "publish the prepared CRL: $(cat "$T/err")"
[ "$(tbs_sha256 "$T/c1.crl")" = "$tbs" ] &&
    openssl crl -in "$T/c1.crl" -inform DER -noout -CAfile "$T/root.pem" 2>&1 |
    grep -q "verify OK" &&
    [ "$(openssl crl -in "$T/c1.crl" -inform DER -noout -crlnumber)" = "crlNumber=0x01" ] &&
    [ "$(openssl crl -in "$T/c1.crl" -inform DER -noout -lastupdate | cut -d= -f2)" = \
      "$(date -u -d "$(sed -n 's/^this-update //p' "$T/r1.req")" '+%b %e %H:%M:%S %Y GMT')" ] &&
    ok "the signed CRL is the prepared one: TBS, number, thisUpdate; openssl verifies it" ||
    fail "prepared CRL differs"
rows=$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM audit WHERE event =
    'crl.publish' AND payload LIKE '%\"prepared_request\":\"$(sha256sum "$T/r1.req" |
    cut -d' ' -f1)\"%'")
[ "$rows" -eq 1 ] && ok "the crl.publish row names the request's SHA-256" ||
    fail "no prepared_request in the row"
refused_req "the same request again (its number is used)" "a CRL was published since" -- \
    crl publish --request "$T/r1.req" --out "$T/no.crl"

run -C "$S" crl publish --issuer-key root --dry-run --save-request "$T/r2.req"
run -C "$S" revoke --issuer-key root --serial "$(cert_serial "$T/sub2.pem")" \
    --reason superseded
refused_req "a revocation recorded since the request" "revocations were recorded or lifted since" -- \
    crl publish --request "$T/r2.req" --out "$T/no.crl"

if command -v faketime >/dev/null; then
	run -C "$S" crl publish --issuer-key root --dry-run --save-request "$T/old.req"
	later=$(date -u -d '+3 days' '+%Y-%m-%d %H:%M:%S')
	set +e
	# shellcheck disable=SC2046
	faketime "$later" "$KEYRITE" -C "$S" crl publish --request "$T/old.req" \
	    --out "$T/no.crl" $(quorum root) 3<"$T/ab.pw" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" -eq 1 ] && grep -q "48 hours" "$T/err" && [ ! -e "$T/no.crl" ] &&
	    ok "a CRL request kept past 48 hours is refused" ||
	    fail "old CRL request: exit $rc $(cat "$T/err")"
fi
finish
