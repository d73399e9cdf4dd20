#!/bin/sh
# TEST-KEY-400: CRL settings per CA.  init refuses URLs it cannot write
# (https, a blank, a profile that sets its own) and makes nothing.  A root and an issuing CA made with
# `init --crl-url` (and a delta location in crl.yaml) each publish a base
# and a delta CRL naming their own distribution point and scope
# (onlyContainsCACerts on the root's, onlyContainsUserCerts on the
# issuing CA's), and `openssl verify -crl_check_all`, with and without
# `-extended_crl -use_deltas`, accepts a leaf, the intermediate and the
# root, and refuses the leaf once it is revoked in a delta.
# TEST-KEY-401: lint refuses a CRL whose issuingDistributionPoint is not
# the CRL distribution point of the certificates it covers, and one whose
# scope is wrong, naming the certificate, before any passphrase is asked
# and with the state unchanged; a delta keeps its base's scope and is
# refused when that no longer fits, until a new base is published.
# TEST-KEY-406: policy update refuses, before its quorum, a crl.yaml or a
# profile under which crl publish of an active CA would fail lint, naming
# the CA, a certificate and its URL; a delta CRL keeps its base's
# distribution point after the CA's URL moved.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
P="$T/policy"
O="$T/o"
mkdir -p "$P" "$O"
# The shipped crl.yaml with a delta location for every CA.
"$KEYRITE" -C "$T/shipped" init --kdf-profile test >/dev/null
sed 's|^delta_distribution_point: ""|delta_distribution_point: "http://pki.example.com/{issuer}-delta.crl"|' \
    "$T/shipped/policy/crl.yaml" > "$P/crl.yaml"
run -C "$S" init --kdf-profile test --policy-dir "$P" \
    --crl-url 'http://pki.example.com/{issuer}.crl' \
    --ca-issuers-url 'http://pki.example.com/{issuer}.crt' \
    --ocsp-url 'http://ocsp.example.com/'
[ "$rc" -eq 0 ] && ok "init with --crl-url, --ca-issuers-url, --ocsp-url" ||
    fail "init: $(cat "$T/err")"
grep -q '^distribution_point: "http://pki.example.com/{issuer}.crl"' \
    "$S/policy/crl.yaml" && ok "--crl-url is the CRL policy's distribution_point" ||
    fail "crl.yaml: $(grep distribution_point "$S/policy/crl.yaml")"

# init refuses URLs it cannot write, and makes nothing.
expect 2 "\-\-crl-url: give an http:// or ldap:// URL" \
    "init refuses an https CRL URL (validators fetch CRLs without TLS)" -- \
    -C "$T/bad1" init --kdf-profile test --crl-url 'https://pki.example.com/x.crl'
expect 2 "\-\-ocsp-url: give an http:// or ldap:// URL.*has a blank" "init refuses a URL with a blank" -- \
    -C "$T/bad2" init --kdf-profile test --ocsp-url 'http://ocsp example.com/'
mkdir -p "$T/p4"
sed 's|^crl_distribution_points: \[\]|crl_distribution_points: ["http://elsewhere.example.com/x.crl"]|' \
    "$T/shipped/policy/device.yaml" > "$T/p4/device.yaml"
expect 2 "device.yaml already sets 'crl_distribution_points'" \
    "init refuses --crl-url over a profile that sets its own" -- \
    -C "$T/bad3" init --kdf-profile test --policy-dir "$T/p4" --crl-url 'http://x.example.com/c.crl'
[ ! -e "$T/bad1/keyrite.db" ] && [ ! -e "$T/bad2/keyrite.db" ] && [ ! -e "$T/bad3/policy" ] &&
    ok "the refused inits left no state folder" || fail "a refused init left files"

gen_ca "$S" root p256 ca && gen_ca "$S" issuing p384 ca || fail "keys"
issue root cert root --key root --profile root --subject "CN=Scope Root,C=DE" \
    --out "$O/root.pem"
[ "$rc" -eq 0 ] || fail "root: $(cat "$T/err")"
issue root cert issue --issuer-key root --subject-key issuing \
    --profile intermediate --subject "CN=Scope Issuing,C=DE" --out "$O/int.pem"
[ "$rc" -eq 0 ] || fail "intermediate: $(cat "$T/err")"
for i in 1 2; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$O/l$i.key" -subj "/CN=device $i" -out "$O/l$i.csr" 2>/dev/null
	issue issuing cert issue --issuer-key issuing --csr "$O/l$i.csr" \
	    --profile device --out "$O/leaf$i.pem"
	[ "$rc" -eq 0 ] || fail "leaf $i: $(cat "$T/err")"
done

# --- what the certificates say ----------------------------------------------
ext() { openssl x509 -in "$1" -noout -ext crlDistributionPoints,authorityInfoAccess; }
ext "$O/int.pem" > "$T/int.ext"
ext "$O/leaf1.pem" > "$T/leaf.ext"
ext "$O/root.pem" > "$T/root.ext"
grep -q "URI:http://pki.example.com/root.crl" "$T/int.ext" &&
    grep -q "CA Issuers - URI:http://pki.example.com/root.crt" "$T/int.ext" &&
    grep -q "OCSP - URI:http://ocsp.example.com/" "$T/int.ext" &&
    ok "the intermediate names the root's CRL, certificate and the OCSP responder" ||
    fail "intermediate: $(cat "$T/int.ext")"
grep -q "URI:http://pki.example.com/issuing.crl" "$T/leaf.ext" &&
    grep -q "CA Issuers - URI:http://pki.example.com/issuing.crt" "$T/leaf.ext" &&
    ok "a leaf names the issuing CA's CRL and certificate" || fail "leaf: $(cat "$T/leaf.ext")"
grep -q "URI:http://pki.example.com/root.crl" "$T/root.ext" &&
    ! grep -q "Authority Information Access" "$T/root.ext" &&
    ok "the root names its own CRL and no issuer" || fail "root: $(cat "$T/root.ext")"

# --- base and delta CRLs of both CAs ----------------------------------------
publish() { # KEY OUT [--delta]
	k=$1 out=$2
	shift 2
	issue "$k" crl publish --issuer-key "$k" --out "$O/$out.der" "$@"
	[ "$rc" -eq 0 ] || fail "crl publish $k $*: $(cat "$T/err")"
	openssl crl -inform DER -in "$O/$out.der" -out "$O/$out.pem"
	openssl crl -in "$O/$out.pem" -noout -text > "$O/$out.txt"
}
publish root root-base
publish issuing int-base
run -C "$S" revoke --issuer-key issuing --serial "$(cert_serial "$O/leaf2.pem")" \
    --reason keyCompromise
[ "$rc" -eq 0 ] || fail "revoke: $(cat "$T/err")"
publish root root-delta --delta
publish issuing int-delta --delta

idp() { grep -A3 "Issuing Distribution Point" "$O/$1.txt" | tr -s ' \n' ' '; }
for c in root-base root-delta; do
	idp $c | grep -q "URI:http://pki.example.com/root.crl Only CA Certificates" &&
	    ! grep -q "issuing" "$O/$c.txt" &&
	    ok "$c: the root's own URL, onlyContainsCACerts, nothing of the issuing CA" ||
	    fail "$c: $(idp $c)"
done
for c in int-base int-delta; do
	idp $c | grep -q "URI:http://pki.example.com/issuing.crl Only User Certificates" &&
	    ok "$c: the issuing CA's URL, onlyContainsUserCerts" || fail "$c: $(idp $c)"
done
grep -A2 "Freshest CRL" "$O/root-base.txt" | grep -q "URI:http://pki.example.com/root-delta.crl" &&
    grep -A2 "Freshest CRL" "$O/int-base.txt" | grep -q "URI:http://pki.example.com/issuing-delta.crl" &&
    ok "each base CRL points at its own CA's delta" ||
    fail "freshestCRL: $(grep -A2 'Freshest CRL' "$O/root-base.txt" "$O/int-base.txt")"
grep -q "Delta CRL Indicator" "$O/int-delta.txt" && ! grep -q "Freshest CRL" "$O/int-delta.txt" &&
    ok "the delta CRLs carry a Delta CRL Indicator" || fail "delta: $(cat "$O/int-delta.txt")"

cat "$O/root-base.pem" "$O/int-base.pem" > "$O/bases.pem"
cat "$O/bases.pem" "$O/root-delta.pem" "$O/int-delta.pem" > "$O/all.pem"
check() { # WHAT CRLS CERT [openssl args]
	what=$1 crls=$2 cert=$3
	shift 3
	if openssl verify -crl_check_all "$@" -CRLfile "$crls" -CAfile "$O/root.pem" \
	    -untrusted "$O/int.pem" "$cert" > "$T/v" 2>&1; then
		ok "$what"
	else
		fail "$what: $(cat "$T/v")"
	fi
}
for c in leaf1 int root; do
	check "openssl verify -crl_check_all accepts $c" "$O/bases.pem" "$O/$c.pem"
	check "openssl verify -crl_check_all -extended_crl -use_deltas accepts $c" \
	    "$O/all.pem" "$O/$c.pem" -extended_crl -use_deltas
done
check "the base CRLs alone still accept leaf 2 (revoked after them)" \
    "$O/bases.pem" "$O/leaf2.pem"
set +e
openssl verify -crl_check_all -extended_crl -use_deltas -CRLfile "$O/all.pem" \
    -CAfile "$O/root.pem" -untrusted "$O/int.pem" "$O/leaf2.pem" > "$T/v" 2>&1
r=$?
set -e
[ "$r" -ne 0 ] && grep -q "certificate revoked" "$T/v" &&
    ok "with the deltas, openssl refuses leaf 2 as revoked" || fail "leaf 2: $(cat "$T/v")"

# --- a scope that changes: deltas keep their base's -------------------------
# The root certifies a leaf (an OCSP signer): its CRLs no longer cover CAs
# only.  A delta keeps the base's onlyContainsCACerts, so lint refuses it;
# a new base drops the mark and its delta follows.
issue root cert issue --issuer-key root --csr "$O/l1.csr" --profile ocsp-signing \
    --subject "CN=Root OCSP,C=DE" --out "$O/ocsp.pem"
[ "$rc" -eq 0 ] || fail "ocsp signer: $(cat "$T/err")"
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked root crl publish --issuer-key root --delta --out "$O/stale.der"
refused 1 "a delta over a base whose scope no longer fits is refused" \
    "e_crl_only_ca_covers_leaf" "$(cert_serial "$O/ocsp.pem")" "publish a new base CRL"
publish root root-base2
publish root root-delta2 --delta
for c in root-base2 root-delta2; do
	idp $c | grep -q "URI:http://pki.example.com/root.crl" && ! idp $c | grep -q "Only" &&
	    ok "$c: the root's URL, no scope mark now that it covers a leaf" ||
	    fail "$c: $(idp $c)"
done
cat "$O/root-base2.pem" "$O/int-base.pem" "$O/root-delta2.pem" "$O/int-delta.pem" > "$O/all2.pem"
check "the new base and delta still let openssl accept leaf 1" "$O/all2.pem" \
    "$O/leaf1.pem" -extended_crl -use_deltas
if openssl verify -crl_check_all -extended_crl -use_deltas -CRLfile "$O/all2.pem" \
    -CAfile "$O/root.pem" "$O/ocsp.pem" > "$T/v" 2>&1; then
	ok "and the root's leaf"
else
	fail "root's leaf: $(cat "$T/v")"
fi

# --- a policy update may not make crl publish impossible -----------------------
# A new default distribution point: the certificates already issued name
# the old one, so the next CRL of their CA would fail lint.  A profile
# whose certificates would stop naming their CA's CRL is refused too.
U="$T/upd"
mkdir -p "$U"
sed 's|^distribution_point: .*|distribution_point: "http://pki.example.com/{issuer}-v2.crl"|' \
    "$S/policy/crl.yaml" > "$U/crl.yaml"
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked root policy update --from "$U" --key root --yes
refused 1 "an update moving the CRL URL away from issued certificates is refused" \
    "policy was not changed" "CRLs of '[a-z]*'" "e_crl_idp_not_in_cdp" \
    "names the CRL distribution point http://pki.example.com/[a-z]*.crl" \
    "http://pki.example.com/[a-z]*-v2.crl" "keep the distribution point"
grep -qi "$(cert_serial "$O/root.pem")\|$(cert_serial "$O/int.pem")\|$(cert_serial "$O/leaf1.pem")" \
    "$T/err" && ok "the refusal names a certificate by serial" || fail "serial: $(cat "$T/err")"
rm "$U/crl.yaml"
sed 's|^crl_distribution_points: .*|crl_distribution_points: ["http://pki.example.com/other.crl"]|' \
    "$S/policy/device.yaml" > "$U/device.yaml"
unasked root policy update --from "$U" --key root --yes
refused 1 "an update giving a profile another CRL URL than its CA's is refused" \
    "profile 'device' would name http://pki.example.com/other.crl" \
    "name http://pki.example.com/[a-z]*.crl" "crl publish --issuer-key" \
    "Keep the profile's crl_distribution_points"

# --- lint refuses a CRL its certificates do not name -------------------------
# A second folder whose crl.yaml gives the root the issuing CA's URL (the
# mistake one idp_uri for every CA made) and says the issuing CA's CRLs
# cover CAs only, though it issues leaves.
S3="$T/state3"
P3="$T/policy3"
mkdir -p "$P3"
{
	sed '/^issuers:/d' "$T/shipped/policy/crl.yaml"
	printf 'issuers:\n  root3:\n    distribution_point: "http://pki.example.com/issuing3.crl"\n'
	printf '  issuing3:\n    scope: ca\n'
	printf '  spare3:\n    distribution_point: "http://pki.example.com/spare3-a.crl"\n'
} > "$P3/crl.yaml"
run -C "$S3" init --kdf-profile test --policy-dir "$P3" \
    --crl-url 'http://pki.example.com/{issuer}.crl'
[ "$rc" -eq 0 ] || fail "init 3: $(cat "$T/err")"
S=$S3
gen_ca "$S" root3 p256 ca && gen_ca "$S" issuing3 p256 ca || fail "keys 3"
issue root3 cert root --key root3 --profile root --subject "CN=Root 3,C=DE" \
    --out "$O/root3.pem"
issue root3 cert issue --issuer-key root3 --subject-key issuing3 \
    --profile intermediate --subject "CN=Issuing 3,C=DE" --out "$O/int3.pem"
issue issuing3 cert issue --issuer-key issuing3 --csr "$O/l1.csr" \
    --profile device --out "$O/leaf3.pem"
[ "$rc" -eq 0 ] || fail "leaf 3: $(cat "$T/err")"
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked root3 crl publish --issuer-key root3 --out "$O/bad-root.crl"
refused 1 "lint refuses the root's CRL naming the issuing CA's URL" \
    "e_crl_idp_not_in_cdp" "$(cert_serial "$O/int3.pem")" \
    "http://pki.example.com/root3.crl" "nothing was signed"
[ ! -e "$O/bad-root.crl" ] && ok "no CRL file was written" || fail "a refused CRL was written"
unasked issuing3 crl publish --issuer-key issuing3 --out "$O/bad-int.crl"
refused 1 "lint refuses onlyContainsCACerts on a CA that issued a leaf" \
    "e_crl_only_ca_covers_leaf" "$(cert_serial "$O/leaf3.pem")"

# --- a delta keeps its base's distribution point -----------------------------
# spare3 issued nothing, so its URL may move; the delta over the base
# published before still names the base's URL (RFC 5280 5.2.4).
gen_ca "$S" spare3 p256 ca || fail "spare3 key"
issue root3 cert issue --issuer-key root3 --subject-key spare3 \
    --profile intermediate --subject "CN=Spare 3,C=DE" --out "$O/spare3.pem"
[ "$rc" -eq 0 ] || fail "spare3 cert: $(cat "$T/err")"
publish spare3 spare-base
sed 's|spare3-a.crl|spare3-b.crl|' "$S/policy/crl.yaml" > "$U/crl.yaml"
rm -f "$U/device.yaml"
issue root3 policy update --from "$U" --key root3 --yes
[ "$rc" -eq 0 ] && grep -q "issuers.spare3.distribution_point: http://pki.example.com/spare3-a.crl -> http://pki.example.com/spare3-b.crl" "$T/out" &&
    ok "moving the URL of a CA that issued nothing is accepted, the preview naming the nested key" ||
    fail "update spare3: $(cat "$T/err")"
publish spare3 spare-delta --delta
publish spare3 spare-base2
idp spare-base | grep -q "URI:http://pki.example.com/spare3-a.crl" &&
    idp spare-delta | grep -q "URI:http://pki.example.com/spare3-a.crl" &&
    idp spare-base2 | grep -q "URI:http://pki.example.com/spare3-b.crl" &&
    ok "the delta names its base's distribution point, the next base the new one" ||
    fail "spare3 IDPs: $(idp spare-base) / $(idp spare-delta) / $(idp spare-base2)"
finish
