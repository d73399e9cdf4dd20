#!/bin/sh
# TEST-KEY-066: see, then approve for cert issue.  The dry run's serial and
# TBS hash, saved as a prepared request (--dry-run --save-request), are the
# signed certificate's (cert issue --request, checked with openssl); a
# request changed by one byte is refused naming the file, with nothing
# signed or recorded; a used serial, a request kept too long and options
# that the request already holds are refused too.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
make_state "$S"
gen_ca "$S" root p256 ca || fail "root key"
issue root cert root --key root --profile root --subject "CN=Req Root" \
    --out "$T/root.pem"
[ "$rc" -eq 0 ] || fail "root: $(cat "$T/err")"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/int.key" -subj "/CN=Req Issuing" -out "$T/int.csr" 2>/dev/null
DB="$S/keyrite.db"

# The dry run shows the certificate and writes the prepared request.
before=$(state_snapshot "$DB" "$S")
run -C "$S" cert issue --issuer-key root --csr "$T/int.csr" \
    --profile intermediate --dry-run --save-request "$T/int.req"
[ "$rc" -eq 0 ] && [ -s "$T/int.req" ] && ok "the dry run writes the prepared request" ||
    fail "dry run: exit $rc $(cat "$T/err")"
[ "$(state_snapshot "$DB" "$S")" = "$before" ] &&
    ok "... and records nothing" || fail "the dry run changed the state folder"
# "  serial        3A:0A:..." and "  TBS SHA-256   A7:72:..." + its second line
serial=$(sed -n 's/^  serial  *//p' "$T/out" | tr -d ':')
tbs=$(sed -n '/^  TBS SHA-256 /{s/^  TBS SHA-256  *//;N;s/\n *//;p;}' "$T/out" | tr -d ':')
[ ${#serial} -eq 32 ] && [ ${#tbs} -eq 64 ] &&
    ok "the dry run shows the serial and TBS SHA-256 as colon-separated pairs" ||
    fail "serial '$serial' or TBS '$tbs' not shown: $(cat "$T/out")"
grep -q "^sha256 " "$T/int.req" && head -n 1 "$T/int.req" | grep -q "^keyrite-cert-request 2$" &&
    ok "the request file has its format line and checksum" || fail "request format"

# One byte changed anywhere: refused, naming the file; nothing changes.
size=$(stat -c %s "$T/int.req")
for off in 30 $((size / 2)) $((size - 3)); do
	cp "$T/int.req" "$T/bad.req"
	orig=$(od -An -tu1 -j "$off" -N1 "$T/bad.req" | tr -d ' ')
	new=$(( orig == 48 ? 49 : 48 ))	# '0' <-> '1', still printable
	printf "$(printf '\\%03o' "$new")" |
	    dd of="$T/bad.req" bs=1 seek="$off" conv=notrunc 2>/dev/null
	before=$(state_snapshot "$DB" "$S")
	issue root cert issue --request "$T/bad.req" --out "$T/bad.pem"
	if [ "$rc" -eq 1 ] && grep -q "bad.req" "$T/err" && grep -q "changed" "$T/err" &&
	    [ ! -e "$T/bad.pem" ] && ! grep -q "custodian 'a'" "$T/out" &&
	    [ "$(state_snapshot "$DB" "$S")" = "$before" ]; then
		ok "a request changed at byte $off is refused, naming the file, before any share"
	else
		fail "changed request (byte $off): exit $rc $(cat "$T/err")"
	fi
done
head -c $((size - 10)) "$T/int.req" > "$T/cut.req"
issue root cert issue --request "$T/cut.req" --out "$T/cut.pem"
[ "$rc" -eq 1 ] && grep -q "cut.req" "$T/err" && ok "a cut request is refused" ||
    fail "cut request: exit $rc $(cat "$T/err")"

expect 2 "holds the issuer" "--request with --csr is a usage error" -- \
    -C "$S" cert issue --request "$T/int.req" --csr "$T/int.csr" --out "$T/x.pem"
expect 2 "goes with --dry-run" "--save-request without --dry-run is a usage error" -- \
    -C "$S" cert issue --issuer-key root --csr "$T/int.csr" \
    --profile intermediate --save-request "$T/y.req" --out "$T/y.pem"
expect 2 "holds the key, profile" "cert root --request with --key is a usage error" -- \
    -C "$S" cert root --key root --profile root --request "$T/int.req" --out "$T/z.pem"

# The signing: exactly the TBS the dry run showed.
issue root cert issue --request "$T/int.req" --out "$T/int.pem"
[ "$rc" -eq 0 ] && ok "the prepared request is signed" || fail "sign: $(cat "$T/err")"
got_serial=$(openssl x509 -in "$T/int.pem" -noout -serial | cut -d= -f2)
openssl x509 -in "$T/int.pem" -outform DER -out "$T/int.der"
# The TBSCertificate is the second element openssl lists (depth 1).
tbs_line=$(openssl asn1parse -inform DER -in "$T/int.der" | sed -n 2p)
tbs_off=$(echo "$tbs_line" | sed 's/^ *\([0-9]*\):.*/\1/')
tbs_hl=$(echo "$tbs_line" | sed 's/.*hl=\([0-9]*\).*/\1/')
tbs_l=$(echo "$tbs_line" | sed 's/.*l= *\([0-9]*\).*/\1/')
got_tbs=$(dd if="$T/int.der" bs=1 skip="$tbs_off" count=$((tbs_hl + tbs_l)) 2>/dev/null |
    sha256sum | cut -d' ' -f1 | tr a-f A-F)
[ "$got_serial" = "$serial" ] && ok "the signed serial is the dry run's ($serial)" ||
    fail "serial: dry run $serial, signed $got_serial"
[ "$got_tbs" = "$tbs" ] && ok "the signed TBS SHA-256 is the dry run's" ||
    fail "TBS: dry run $tbs, signed $got_tbs"
openssl verify -CAfile "$T/root.pem" "$T/int.pem" >/dev/null 2>&1 &&
    ok "openssl verifies the certificate" || fail "openssl verify"
sqlite3 "$DB" "SELECT payload FROM audit WHERE event = 'cert.issue'" |
    grep -q "\"prepared_request\":\"$(sha256sum "$T/int.req" | cut -d' ' -f1)\"" &&
    ok "the audit row names the request's SHA-256" || fail "no prepared_request in the audit row"

issue root cert issue --request "$T/int.req" --out "$T/again.pem"
[ "$rc" -eq 1 ] && grep -q "has been used" "$T/err" && [ ! -e "$T/again.pem" ] &&
    ok "a request whose serial was used is refused" || fail "reuse: exit $rc $(cat "$T/err")"

# TEST-KEY-069: without a terminal, every quorum command that signs still
# prints what it signs (hashes as colon pairs) and then the per-share table.
issue root crl publish --issuer-key root --out "$T/1.crl"
[ "$rc" -eq 0 ] && grep -q "^CRL to be signed by key 'root':" "$T/out" &&
    grep -q "^  CRL number    1$" "$T/out" && grep -q "^  entries " "$T/out" &&
    grep -q "Not asked to proceed: standard input is not a terminal" "$T/out" &&
    grep -q "^  ok       a " "$T/out" && grep -q "^  ok       b " "$T/out" &&
    ok "crl publish shows number and entries, then the per-share table" ||
    fail "crl publish summary: $(cat "$T/out" "$T/err")"
issue root ocsp presign --issuer-key root --out-dir "$T" --yes
[ "$rc" -eq 0 ] && grep -q "^1 OCSP response to be signed by key 'root':" "$T/out" &&
    grep -q "^  certificate   $(echo "$serial" | sed 's/../&:/g; s/:$//')  good$" "$T/out" &&
    grep -q "^Approved with --yes.$" "$T/out" && grep -q "^  ok       a " "$T/out" &&
    ok "ocsp presign shows each response; --yes is said" ||
    fail "ocsp summary: $(cat "$T/out" "$T/err")"

# A request kept past 48 hours is refused (faketime moves the clock on).
if command -v faketime >/dev/null; then
	run -C "$S" cert issue --issuer-key root --csr "$T/int.csr" \
	    --profile intermediate --dry-run --save-request "$T/old.req"
	later=$(date -u -d '+3 days' '+%Y-%m-%d %H:%M:%S')
	set +e
	faketime "$later" "$KEYRITE" -C "$S" cert issue --request "$T/old.req" \
	    --out "$T/old.pem" $(quorum root) 3<"$T/ab.pw" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" -eq 1 ] && grep -q "48 hours" "$T/err" && [ ! -e "$T/old.pem" ] &&
	    ok "a request kept past 48 hours is refused" || fail "old request: exit $rc $(cat "$T/err")"
fi
finish
