#!/bin/sh
# TEST-KEY-020: for roots of each algorithm, a root, an intermediate from an
# OpenSSL-made CSR, an intermediate held by keyrite, and a firmware-signing
# leaf from an OpenSSL-made CSR under the held one.  openssl verify
# -x509_strict and certtool --verify-chain accept every chain, and
# openssl x509 -text shows the profiles' extensions.  A cross certificate
# verifies through both roots.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
make_state "$S"
O="$T/out.d"
mkdir -p "$O"

# csr FILE SUBJECT KEYTYPE: an OpenSSL-made key and request.
csr() {
	case $3 in
	ed25519) set -- "$1" "$2" -newkey ed25519 ;;
	rsa) set -- "$1" "$2" -newkey rsa:3072 ;;
	*) set -- "$1" "$2" -newkey ec -pkeyopt "ec_paramgen_curve:$3" ;;
	esac
	f=$1 subj=$2
	shift 2
	openssl req -new "$@" -nodes -keyout "$f.key" -subj "$subj" \
	    -out "$f" 2>/dev/null
}


verify_ok() {
	what=$1
	shift
	if openssl verify -x509_strict "$@" >"$T/v.out" 2>&1; then
		ok "openssl verify -x509_strict: $what"
	else
		fail "openssl verify: $what: $(tail -n 2 "$T/v.out")"
	fi
}

certtool_ok() {
	what=$1
	shift
	cat "$@" > "$T/chain.pem"
	if certtool --verify-chain --infile "$T/chain.pem" >"$T/c.out" 2>&1 &&
	    grep -q "Chain verification output: Verified" "$T/c.out"; then
		ok "certtool --verify-chain: $what"
	else
		fail "certtool --verify-chain: $what: $(grep -i 'output\|error' "$T/c.out" | head -n 2)"
	fi
}

has_text() {
	if openssl x509 -in "$1" -noout -text | grep -q -- "$2"; then
		ok "$(basename "$1") shows $2"
	else
		fail "$(basename "$1") lacks $2"
	fi
}

for alg in p256 p384 rsa3072 ed25519; do
	gen_ca "$S" "root-$alg" "$alg" ca || fail "root key $alg: $(cat "$T/gen.err")"
	gen_ca "$S" "int-$alg" p256 ca || fail "intermediate key: $(cat "$T/gen.err")"
	D="$O/$alg"
	mkdir -p "$D"
	issue "root-$alg" cert root --key "root-$alg" --profile root \
	    --subject "CN=Test Root $alg,O=keyrite tests,C=DE" --out "$D/root.pem"
	[ "$rc" -eq 0 ] && ok "$alg root made" || { fail "$alg root: $(cat "$T/err")"; continue; }
	verify_ok "$alg root" -CAfile "$D/root.pem" "$D/root.pem"
	has_text "$D/root.pem" "CA:TRUE"

	csr "$D/online.csr" "/CN=ignored" "$( [ $alg = ed25519 ] && echo ed25519 || echo P-384)"
	issue "root-$alg" cert issue --issuer-key "root-$alg" --csr "$D/online.csr" \
	    --profile intermediate --subject "CN=Online Issuing CA $alg,O=keyrite tests,C=DE" \
	    --out "$D/online.pem"
	[ "$rc" -eq 0 ] && ok "$alg intermediate from an OpenSSL CSR" ||
	    fail "$alg online intermediate: $(cat "$T/err")"
	verify_ok "$alg root -> CSR intermediate" -CAfile "$D/root.pem" "$D/online.pem"
	certtool_ok "$alg CSR intermediate" "$D/online.pem" "$D/root.pem"

	issue "root-$alg" cert issue --issuer-key "root-$alg" --subject-key "int-$alg" \
	    --profile intermediate --subject "CN=Held Issuing CA $alg,O=keyrite tests,C=DE" \
	    --out "$D/held.pem"
	[ "$rc" -eq 0 ] && ok "$alg intermediate held by keyrite" ||
	    fail "$alg held intermediate: $(cat "$T/err")"
	has_text "$D/held.pem" "CA:TRUE, pathlen:0"
	has_text "$D/held.pem" "Certificate Sign, CRL Sign"
	has_text "$D/held.pem" "X509v3 Authority Key Identifier"
	has_text "$D/held.pem" "X509v3 Subject Key Identifier"

	csr "$D/fw.csr" "/CN=ignored" P-256
	issue "int-$alg" cert issue --issuer-key "int-$alg" --csr "$D/fw.csr" \
	    --profile firmware-signing \
	    --subject "CN=Firmware Signing $alg,O=keyrite tests,C=DE" --out "$D/fw.pem"
	[ "$rc" -eq 0 ] && ok "$alg firmware-signing leaf" ||
	    fail "$alg firmware leaf: $(cat "$T/err")"
	verify_ok "$alg root -> held -> firmware leaf" -CAfile "$D/root.pem" \
	    -untrusted "$D/held.pem" "$D/fw.pem"
	certtool_ok "$alg firmware chain" "$D/fw.pem" "$D/held.pem" "$D/root.pem"
	has_text "$D/fw.pem" "Code Signing, E-mail Protection"
	has_text "$D/fw.pem" "Digital Signature"
	openssl x509 -in "$D/fw.pem" -noout -ext keyUsage | grep -q critical &&
	    ok "$alg leaf keyUsage is critical" || fail "$alg leaf keyUsage not critical"
	# The leaf's key is the CSR's key.
	[ "$(openssl x509 -in "$D/fw.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" = \
	  "$(openssl pkey -in "$D/fw.csr.key" -pubout -outform DER | sha256sum)" ] &&
	    ok "$alg leaf carries the CSR's key" || fail "$alg leaf key differs from the CSR's"
done

# RSASSA-PSS: a second root certificate for the RSA key, signed with PSS.
issue root-rsa3072 cert root --key root-rsa3072 --profile root --rsa-pss \
    --subject "CN=Test Root rsa3072 PSS,O=keyrite tests,C=DE" --out "$O/pss.pem"
[ "$rc" -eq 0 ] && ok "RSASSA-PSS root made" || fail "PSS root: $(cat "$T/err")"
verify_ok "RSASSA-PSS root" -CAfile "$O/pss.pem" "$O/pss.pem"
has_text "$O/pss.pem" "rsassaPss"

# Cross-signing: the held P-256-rooted intermediate under the P-384 root.
issue root-p384 cert cross-sign --issuer-key root-p384 --cert "$O/p256/held.pem" \
    --profile intermediate --out "$O/cross.pem"
[ "$rc" -eq 0 ] && ok "cross certificate made" || fail "cross-sign: $(cat "$T/err")"
[ "$(openssl x509 -in "$O/cross.pem" -noout -subject -nameopt RFC2253)" = \
  "$(openssl x509 -in "$O/p256/held.pem" -noout -subject -nameopt RFC2253)" ] &&
    ok "cross certificate keeps the subject" || fail "cross subject differs"
[ "$(openssl x509 -in "$O/cross.pem" -noout -ext subjectKeyIdentifier | tail -n 1)" = \
  "$(openssl x509 -in "$O/p256/held.pem" -noout -ext subjectKeyIdentifier | tail -n 1)" ] &&
    ok "cross certificate keeps the SKI" || fail "cross SKI differs"
verify_ok "leaf through the first root" -CAfile "$O/p256/root.pem" \
    -untrusted "$O/p256/held.pem" "$O/p256/fw.pem"
verify_ok "leaf through the cross certificate and the second root" \
    -CAfile "$O/p384/root.pem" -untrusted "$O/cross.pem" "$O/p256/fw.pem"
certtool_ok "cross chain" "$O/p256/fw.pem" "$O/cross.pem" "$O/p384/root.pem"

run -C "$S" cert list
[ "$(grep -c '^[0-9a-f]\{32\} ' "$T/out")" -eq 18 ] && ok "cert list shows the 18 certificates" ||
    fail "cert list: $(grep -c '^[0-9a-f]' "$T/out") rows"
serial=$(openssl x509 -in "$O/p256/fw.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
run -C "$S" cert show "$serial" --pem
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$T/out" | cmp -s - "$O/p256/fw.pem" &&
    ok "cert show --pem prints the certificate written" || fail "cert show --pem differs"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit chain intact" || fail "audit verify"
grep -c '"cert_sha256"' "$S/keyrite.db" >/dev/null 2>&1 || true
run -C "$S" audit show
grep -q 'cert.cross-sign' "$T/out" && grep -q '"approved_by":\["a","b"\]' "$T/out" &&
    ok "issuances are audited with the custodians who approved them" ||
    fail "audit rows lack approvals"
finish
