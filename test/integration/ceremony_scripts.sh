#!/bin/sh
# TEST-KEY-082: every shipped ceremony script, rehearsed (`ceremony
# check`) and then run in scripted mode on one appliance, in the order a
# fleet would live them: root, issuing CA (sealed file), issuing CA (on a
# PKCS#11 token), a certificate for a firmware key, an OTA release, CRL
# publication of every due CA, a custodian reshare, key destruction.
# Each output is checked by an independent tool: certificates by openssl
# verify and certtool, CRLs by openssl crl -verify, signed images by
# openssl dgst, shares by keyrite's own quorum verify; CRLs also by
# certtool --verify-crl.
# TEST-KEY-083: the rehearsal prepares a certificate whose keys exist
# exactly as the run signs it: the signed certificate's TBS (cut out by
# openssl asn1parse) has the SHA-256 the rehearsal printed, and its
# serial is the prepared request's.
# TEST-KEY-091: the rehearsal of CRL publication prepares each due CRL
# (DIR/STEP-KEY.request) and the run signs CRLs with exactly those TBS.
# TEST-KEY-089: the same for a root of a key that exists and a cross
# certificate (prepared requests of kinds root and cross); a certificate
# file swapped between rehearsal and run stops the cross step.
# TEST-KEY-084: an `expect` whose fingerprint does not match stops the
# ceremony before anything is signed.
. "$(dirname "$0")/lib.sh"
set -e

C="$SRCDIR/ceremonies"
MOD=/usr/lib/softhsm/libsofthsm2.so
[ -f "$MOD" ] || fail "$MOD is missing (./run test installs softhsm2)"
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$T" > "$T/softhsm2.conf"
SOFTHSM2_CONF="$T/softhsm2.conf"
export SOFTHSM2_CONF

S="$T/s"
SH="$T/shares"
O="$T/pub"
mkdir -p "$SH" "$O"
make_state "$S"
yes 'one ceremony passphrase, long enough' | head -n 60 > "$T/pw"
yes yes | head -n 20 > "$T/wit"

# ceremony NAME --set ...: rehearsed, then run; $T/check and $T/out kept.
ceremony() {
	name=$1
	shift
	run -C "$S" ceremony check "$C/$name.yaml" "$@"
	cp "$T/out" "$T/check"
	if [ "$rc" -ne 0 ] || ! grep -q "Rehearsal passed" "$T/check"; then
		fail "$name: rehearsal: $(cat "$T/err")"
		return 0
	fi
	run -C "$S" ceremony run "$C/$name.yaml" "$@" --passphrase-fd 3 \
	    --witness-fd 4 --yes 3<"$T/pw" 4<"$T/wit"
	if [ "$rc" -eq 0 ] && grep -q "is complete" "$T/out"; then
		ok "$name: rehearsed and run"
	else
		fail "$name: run: $(cat "$T/err")"
	fi
}
spki_fp() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
	    sha256sum | cut -d' ' -f1
}
verify_cert() {
	if openssl verify -x509_strict -CAfile "$O/fleet-root.pem" $3 "$1" \
	    >/dev/null 2>&1 && { cat "$1" $4 "$O/fleet-root.pem" > "$T/chain.pem";
	    certtool --verify-chain --infile "$T/chain.pem" 2>&1 |
	    grep -q "Chain verification output: Verified"; }; then
		ok "$2: openssl verify and certtool accept it"
	else
		fail "$2: the certificate chain does not verify"
	fi
}

ceremony root-key-generation --set shares="$SH" --set out="$O" --set alg=p256
verify_cert "$O/fleet-root.pem" "root certificate" "" ""
rootfp=$(spki_fp "$O/fleet-root.pem")

# A wrong fingerprint stops the issuing ceremony before it signs.
before=$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM keys")
run -C "$S" ceremony run "$C/issuing-ca.yaml" --set root_fingerprint=00 \
    --set shares="$SH" --set out="$O" --passphrase-fd 3 --witness-fd 4 \
    --yes 3<"$T/pw" 4<"$T/wit"
stopped=$(sed -n 's/^Ceremony \([0-9a-f-]*\) stopped.*/\1/p' "$T/out")
if [ "$rc" -ne 0 ] && grep -q "not the fingerprint this ceremony expects" \
    "$T/err" && [ -n "$stopped" ] &&
    [ "$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM keys")" = "$before" ]; then
	ok "a fingerprint that does not match stops the ceremony, nothing made"
else
	fail "wrong fingerprint: exit $rc"
fi
run -C "$S" ceremony abort "$stopped" --reason "wrong fingerprint typed"
[ "$rc" -eq 0 ] || fail "abort: $(cat "$T/err")"
run -C "$S" ceremony list
grep -q "$stopped *aborted" "$T/out" && ok "the stopped ceremony is aborted" ||
    fail "ceremony list: $(cat "$T/out")"

ceremony issuing-ca --set root_fingerprint="$rootfp" --set shares="$SH" \
    --set out="$O" --set alg=p256
grep -q "will be prepared when it runs" "$T/check" ||
    fail "the rehearsal says the certificate is prepared at run time"
verify_cert "$O/fleet-issuing.pem" "issuing CA (sealed)" "" ""
openssl crl -in "$O/fleet-root.crl" -inform DER -noout -CAfile \
    "$O/fleet-root.pem" 2>&1 | grep -q "verify OK" &&
    openssl crl -in "$O/fleet-root.crl" -inform DER -out "$T/root-crl.pem" &&
    certtool --verify-crl --load-ca-certificate "$O/fleet-root.pem" \
    --infile "$T/root-crl.pem" 2>&1 | grep -q "Verification output: Verified" &&
    ok "the root's CRL verifies (openssl crl, certtool --verify-crl)" ||
    fail "root CRL"

ceremony issuing-ca-token --set root_fingerprint="$rootfp" --set shares="$SH" \
    --set out="$O" --set alg=p256 --set module="$MOD" --set token=issuing-2
verify_cert "$O/fleet-issuing-hsm.pem" "issuing CA (PKCS#11 token)" "" ""
pkcs11-tool --module "$MOD" --list-token-slots 2>/dev/null |
    grep -q "issuing-2" && ok "the issuing key's token was initialised" ||
    fail "no token issuing-2"

# A firmware key, certified in a ceremony whose rehearsal prepares it.
mkdir -p "$T/fwsh"
run -C "$S" key generate fw --alg p256 --purpose firmware --threshold 2 \
    --custodian alice --custodian bob --share-dir "$SH" --passphrase-fd 3 \
    3<"$T/pw"
[ "$rc" -eq 0 ] || fail "firmware key: $(cat "$T/err")"
mkdir -p "$T/req"
set -- --set issuer=fleet-issuing --set key=fw --set profile=firmware-signing \
    --set subject="CN=Fleet Firmware 2027,O=Example Devices,C=NL" \
    --set shares="$SH" --set out="$O"
run -C "$S" ceremony check "$C/certify-key.yaml" "$@" --requests "$T/req"
tbs=$(sed -n 's/^  TBS SHA-256: \([0-9a-f]*\)$/\1/p' "$T/out")
[ "$rc" -eq 0 ] && [ -f "$T/req/certify.request" ] && [ -n "$tbs" ] ||
    fail "certify-key rehearsal: $(cat "$T/err" "$T/out")"
run -C "$S" ceremony run "$C/certify-key.yaml" "$@" --requests "$T/req" \
    --passphrase-fd 3 --witness-fd 4 --yes 3<"$T/pw" 4<"$T/wit"
[ "$rc" -eq 0 ] || fail "certify-key run: $(cat "$T/err")"
ok "certify-key: rehearsed with --requests and run"
openssl x509 -in "$O/fw.pem" -outform DER -out "$T/fw.der"
signed=$(tbs_sha256 "$T/fw.der")
[ "$signed" = "$tbs" ] && ok "the signed TBS is the rehearsal's, byte for byte" ||
    fail "TBS: rehearsal $tbs, signed $signed"
verify_cert "$O/fw.pem" "firmware signer" "-untrusted $O/fleet-issuing.pem" \
    "$O/fleet-issuing.pem"

# An OTA release from a manifest whose hash the ticket carries.
mkdir -p "$T/rel" "$O/rel"
head -c 100000 /dev/urandom > "$T/rel/app.bin"
head -c 200000 /dev/urandom > "$T/rel/boot.bin"
printf 'version: 1\nkey: fw\nimages:\n  - file: app.bin\n    format: raw\n    output: app.sig\n  - file: boot.bin\n    format: raw\n    output: boot.sig\n' \
    > "$T/rel/manifest.yaml"
msha=$(sha256sum "$T/rel/manifest.yaml" | cut -d' ' -f1)
ceremony ota-release --set manifest="$T/rel/manifest.yaml" \
    --set manifest_sha256="$msha" --set out="$O/rel" --set shares="$SH"
openssl x509 -in "$O/fw.pem" -noout -pubkey > "$T/fw.pub"
for i in app boot; do
	openssl dgst -sha256 -verify "$T/fw.pub" -signature "$O/rel/$i.sig" \
	    "$T/rel/$i.bin" 2>&1 | grep -q "Verified OK" ||
	    fail "openssl dgst does not verify $i"
done
ok "the release's signatures verify (openssl dgst)"

# CRL publication: the two issuing CAs are due (none yet); the root,
# just published, is not.
mkdir -p "$O/crls" "$T/req3"
ceremony crl-publication --set shares="$SH" --set out="$O/crls" \
    --requests "$T/req3"
n=0
for k in fleet-issuing fleet-issuing-hsm; do
	f=$(find "$O/crls" -name "$k-2*.crl" | head -n 1)
	[ -n "$f" ] && openssl crl -in "$f" -inform DER -noout -CAfile \
	    "$O/$k.pem" 2>&1 | grep -q "verify OK" &&
	    openssl crl -in "$f" -inform DER -out "$T/due.pem" &&
	    certtool --verify-crl --load-ca-certificate "$O/$k.pem" \
	    --infile "$T/due.pem" 2>&1 | grep -q "Verification output: Verified" &&
	    grep -q "TBS SHA-256: $(tbs_sha256 "$f")" "$T/check" &&
	    [ -f "$T/req3/publish-$k.request" ] && n=$((n + 1))
done
[ "$n" -eq 2 ] && [ "$(find "$O/crls" -name '*.crl' | wc -l)" -eq 2 ] &&
    ok "every due CRL prepared by the rehearsal, published with its TBS and verified; the root's not again" ||
    fail "due CRLs: $(ls "$O/crls")"

# A reshare of the sealed issuing key to bob, carol and dave.
mkdir -p "$T/newsh"
ceremony custodian-reshare --set key=fleet-issuing \
    --set holders=bob,carol,dave --set shares="$SH" --set new_shares="$T/newsh"
run -C "$S" custodian list
grep -q "dave *fleet-issuing *2 .*current\|dave *fleet-issuing *2 .*active" \
    "$T/out" && ok "the new set is current after its holders checked" ||
    fail "custodian list: $(cat "$T/out")"

# Destruction of the token key.
hsmfp=$(spki_fp "$O/fleet-issuing-hsm.pem")
ceremony key-destruction --set key=fleet-issuing-hsm --set fingerprint="$hsmfp" \
    --set shares="$SH"
run -C "$S" key list
grep "fleet-issuing-hsm" "$T/out" | grep -q destroyed &&
    ok "the token key is destroyed" || fail "key list: $(cat "$T/out")"

# A root for a key that exists, and a cross certificate from it: both
# prepared by the rehearsal, signed exactly by the run; a certificate
# file swapped between the two stops the run with nothing written.
run -C "$S" key generate r2 --alg p256 --purpose ca --threshold 2 \
    --custodian alice --custodian bob --share-dir "$SH" --passphrase-fd 3 \
    3<"$T/pw"
[ "$rc" -eq 0 ] || fail "key r2: $(cat "$T/err")"
cat > "$T/rootcross.yaml" <<EOF
keyrite-ceremony: 1
name: root-and-cross
purpose: A second root, and a cross certificate for the issuing CA.
roles: {administrator: ann, witness: walt}
params:
  shares: {type: path}
  out: {type: path}
  cert: {type: path}
steps:
  - id: root
    title: The second root
    cert.root: {key: r2, profile: root, subject: "CN=Second Root,C=NL",
      out: "\${out}/r2.pem", custodians: [alice, bob], share_dir: "\${shares}"}
  - id: cross
    title: The issuing CA under the fleet root again
    cert.cross-sign: {issuer_key: fleet-root, cert: "\${cert}",
      profile: intermediate, out: "\${out}/cross.pem",
      custodians: [alice, bob], share_dir: "\${shares}"}
EOF
mkdir -p "$T/req2" "$O/rc"
cp "$O/fleet-issuing.pem" "$T/issuing.pem"
set -- --set shares="$SH" --set out="$O/rc" --set cert="$T/issuing.pem"
run -C "$S" ceremony check "$T/rootcross.yaml" "$@" --requests "$T/req2"
cp "$T/out" "$T/check2"
[ "$rc" -eq 0 ] && [ -f "$T/req2/root.request" ] && [ -f "$T/req2/cross.request" ] &&
    ok "the rehearsal prepares a root and a cross certificate" ||
    fail "root and cross rehearsal: $(cat "$T/err")"
tbs_of() {
	openssl x509 -in "$1" -outform DER -out "$T/x.der"
	tbs_sha256 "$T/x.der"
}
# The cross certificate's file swapped after the rehearsal: refused.
cp "$O/fw.pem" "$T/issuing.pem"
run -C "$S" ceremony run "$T/rootcross.yaml" "$@" --requests "$T/req2" \
    --passphrase-fd 3 --witness-fd 4 --yes 3<"$T/pw" 4<"$T/wit"
sid=$(sed -n 's/^Ceremony \([0-9a-f-]*\) stopped.*/\1/p' "$T/out")
[ "$rc" -ne 0 ] && [ -n "$sid" ] && [ ! -e "$O/rc/cross.pem" ] &&
    ok "a certificate file changed since the rehearsal stops the cross step, nothing written" ||
    fail "swapped cert: exit $rc"
cp "$O/fleet-issuing.pem" "$T/issuing.pem"
run -C "$S" ceremony run --resume "$sid" --passphrase-fd 3 --witness-fd 4 \
    --yes 3<"$T/pw" 4<"$T/wit"
[ "$rc" -eq 0 ] || fail "resume root and cross: $(cat "$T/err")"
n=0
for f in r2 cross; do
	got=$(tbs_of "$O/rc/$f.pem" 2>&1 || true)
	if grep -q "TBS SHA-256: $got" "$T/check2"; then
		n=$((n + 1))
	else
		echo "# $f: signed TBS $got; the rehearsal said:"
		grep "TBS SHA-256" "$T/check2" | sed 's/^/#   /'
	fi
done
[ "$n" -eq 2 ] && ok "the root and the cross certificate carry the rehearsal's TBS" ||
    fail "root/cross TBS differ from the rehearsal ($n of 2)"
openssl verify -CAfile "$O/rc/r2.pem" "$O/rc/r2.pem" >/dev/null 2>&1 &&
    openssl verify -CAfile "$O/fleet-root.pem" "$O/rc/cross.pem" >/dev/null 2>&1 &&
    ok "openssl verifies the second root and the cross certificate" ||
    fail "openssl verify root/cross"

run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit verify: intact after every ceremony" ||
    fail "audit verify: $(cat "$T/out")"
# TEST-KEY-435: root rotation by its ceremony: a new root, the links both
# ways and the transition pin set.  The issuing CA under the old root
# verifies with only the new root trusted (through the link), and the pin
# set's signatures verify with openssl from the file's bytes.
mkdir -p "$O/rot"
ceremony root-rotation --set shares="$SH" --set out="$O/rot" --set alg=p256 \
    --set overlap=30
if openssl verify -x509_strict -CAfile "$O/rot/root-fleet-root-2.pem" -untrusted \
    "$O/rot/link-fleet-root-2-to-fleet-root.pem" "$O/fleet-issuing.pem" \
    >/dev/null 2>&1 && ! openssl verify -CAfile "$O/rot/root-fleet-root-2.pem" \
    "$O/fleet-issuing.pem" >/dev/null 2>&1; then
	ok "TEST-KEY-435: the old root's issuing CA verifies under the new root through the link"
else
	fail "TEST-KEY-435: no path through the link"
fi
# The new root was made by the rotate.root step itself (new_subject):
# self-signed with the ceremony's subject and validity, one cert.root row.
subj=$(openssl x509 -in "$O/rot/root-fleet-root-2.pem" -noout -subject \
    -nameopt RFC2253 2>/dev/null)
days=$(python3 - "$O/rot/root-fleet-root-2.pem" <<'PY'
import datetime, subprocess, sys
out = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-noout",
    "-startdate", "-enddate"], capture_output=True, text=True).stdout
d = dict(l.split("=", 1) for l in out.split("\n") if "=" in l)
f = "%b %d %H:%M:%S %Y %Z"
a = datetime.datetime.strptime(" ".join(d["notBefore"].split()), f)
b = datetime.datetime.strptime(" ".join(d["notAfter"].split()), f)
print(round((b - a).total_seconds() / 86400))
PY
)
rows=$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM audit WHERE
    event = 'cert.root' AND payload LIKE '%Fleet Root CA 2%'")
if openssl verify -x509_strict -CAfile "$O/rot/root-fleet-root-2.pem" \
    "$O/rot/root-fleet-root-2.pem" >/dev/null 2>&1 &&
    [ "$subj" = "subject=C=NL,O=Example Devices,CN=Fleet Root CA 2" ] &&
    [ "$days" -ge 7300 ] && [ "$days" -le 7301 ] && [ "$rows" -eq 1 ]; then
	ok "TEST-KEY-435: the rotate.root step made the new root (new_subject, new_days): self-signed, the ceremony's subject, 7300 days, one cert.root row"
else
	fail "TEST-KEY-435: the new root: '$subj', $days days, $rows rows"
fi
n=0
for i in 1 2; do
	r=$([ "$i" = 1 ] && echo "$O/fleet-root.pem" || echo "$O/rot/root-fleet-root-2.pem")
	openssl x509 -in "$r" -pubkey -noout > "$T/r.pub"
	openssl dgst -sha256 -verify "$T/r.pub" -signature \
	    "$O/rot/pinset-1.json.$i.sig" "$O/rot/pinset-1.json" >/dev/null 2>&1 &&
	    n=$((n + 1))
done
ex=$(find "$O/rot" -name MANIFEST.json | head -n 1)
[ "$n" -eq 2 ] && [ -n "$ex" ] && grep -q '"pinset-1.json"' "$ex" &&
    ok "TEST-KEY-435: both pin set signatures verify (openssl dgst) and the ceremony's export carries the pin set" ||
    fail "TEST-KEY-435: pin set signatures ($n of 2) or export"

finish
