#!/bin/sh
# TEST-KEY-048, TEST-KEY-049: revoked keys stop.  root -> intermediates
# held by keyrite -> leaves.  An intermediate whose certificate is revoked
# for keyCompromise issues nothing and publishes no CRL or OCSP response;
# one revoked for superseded still publishes a CRL (openssl crl -verify)
# but issues nothing; one on hold does nothing until the hold is lifted,
# then works again.  A firmware key whose certificate is revoked signs no
# firmware; a revoked and an expired (faketime) signer certificate are
# refused as --cert for cms.  Every refusal comes before any passphrase is
# read (an empty --passphrase-fd), exits 1, names key, serial, reason and
# date, and changes nothing.  cert list, cert show, key show and status
# show the revocation state.
. "$(dirname "$0")/lib.sh"
needs_faketime
set -e

S="$T/state"
make_state "$S"
O="$T/o"
mkdir -p "$O"
csr() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1.key" -subj "/CN=$2" -out "$1" 2>/dev/null
}
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
lower() { tr 'A-F' 'a-f'; }
snap() { state_snapshot "$S/keyrite.db" "$S"; }
gen_ca "$S" root p256 ca
for k in comp sup hold; do gen_ca "$S" "$k" p256 ca; done
gen_ca "$S" fw p256 firmware
gen_ca "$S" fwx p256 firmware
gen_ca "$S" fwe p256 firmware
issue root cert root --key root --profile root --subject "CN=Stop Root,C=DE" \
    --out "$O/root.pem"
for k in comp sup hold; do
	issue root cert issue --issuer-key root --subject-key "$k" \
	    --profile intermediate --subject "CN=Issuing $k,C=DE" --out "$O/$k.pem"
	[ "$rc" -eq 0 ] || fail "intermediate $k: $(cat "$T/err")"
	csr "$O/leaf-$k.csr" "leaf $k"
	issue "$k" cert issue --issuer-key "$k" --csr "$O/leaf-$k.csr" \
	    --profile firmware-signing --subject "CN=Leaf $k,C=DE" \
	    --out "$O/leaf-$k.pem"
	[ "$rc" -eq 0 ] || fail "leaf under $k: $(cat "$T/err")"
done
for k in fw fwx; do
	issue root cert issue --issuer-key root --subject-key "$k" \
	    --profile firmware-signing --subject "CN=Firmware $k,C=DE" --out "$O/$k.pem"
	[ "$rc" -eq 0 ] || fail "firmware certificate $k: $(cat "$T/err")"
done
# A second certificate for fwx, which is then revoked: the first stays good.
issue root cert issue --issuer-key root --subject-key fwx \
    --profile firmware-signing --subject "CN=Firmware fwx old,C=DE" --out "$O/fwx-old.pem"
run -C "$S" key export-public fwe
cp "$T/out" "$O/fwe.pub"
issue root cert issue --issuer-key root --pubkey "$O/fwe.pub" --days 1 \
    --profile firmware-signing --subject "CN=Firmware fwe,C=DE" --out "$O/fwe.pem"
[ "$rc" -eq 0 ] || fail "one-day certificate: $(cat "$T/err")"
head -c 4000 /dev/urandom > "$O/app.bin"
csr "$O/new.csr" "new leaf"

# --- keyCompromise: nothing more, CRLs and OCSP included (TEST-KEY-048) ----
comp=$(serial_of "$O/comp.pem" | lower)
run -C "$S" revoke --issuer-key root --serial "$comp" --reason keyCompromise
[ "$rc" -eq 0 ] && ok "the intermediate 'comp' is revoked for keyCompromise" ||
    fail "revoke comp: $(cat "$T/err")"
before=$(snap)
unasked comp cert issue --issuer-key comp --csr "$O/new.csr" \
    --profile firmware-signing --subject "CN=New,C=DE" --out "$O/new-comp.pem"
refused 1 "cert issue under a key revoked for keyCompromise is refused" \
    "key 'comp' may not issue" "$comp" "keyCompromise" "$(date -u +%Y-%m-%d)" \
    "key generate\|key destroy\|new key"
[ ! -e "$O/new-comp.pem" ] || fail "a refused issuance wrote a certificate"
unasked comp crl publish --issuer-key comp --out "$O/comp.crl"
refused 1 "crl publish by a key revoked for keyCompromise is refused" \
    "key 'comp' may not publish CRLs" "$comp" "keyCompromise"
[ ! -e "$O/comp.crl" ] || fail "a refused publication wrote a CRL"
mkdir -p "$O/ocsp-comp"
unasked comp ocsp presign --issuer-key comp --out-dir "$O/ocsp-comp"
refused 1 "ocsp presign by a key revoked for keyCompromise is refused" \
    "key 'comp' may not publish" "keyCompromise"
unasked comp cert root --key comp --profile root --subject "CN=Again,C=DE" \
    --out "$O/again.pem"
refused 1 "cert root with a key revoked for keyCompromise is refused" \
    "key 'comp' may not issue"
unasked comp cert cross-sign --issuer-key comp --cert "$O/sup.pem" \
    --profile intermediate --out "$O/cross.pem"
refused 1 "cert cross-sign by a key revoked for keyCompromise is refused" \
    "key 'comp' may not issue"
# Its issuer is not affected: the root still signs.
issue root crl publish --issuer-key root --out "$O/root.crl"
[ "$rc" -eq 0 ] && ok "the root (whose own certificate is fine) still publishes" ||
    fail "root crl: $(cat "$T/err")"

# --- superseded: last CRLs allowed, issuance refused ------------------------
sup=$(serial_of "$O/sup.pem" | lower)
run -C "$S" revoke --issuer-key root --serial "$sup" --reason superseded
leafsup=$(serial_of "$O/leaf-sup.pem")
run -C "$S" revoke --issuer-key sup --serial "$leafsup" --reason superseded
[ "$rc" -eq 0 ] && ok "a retired CA still records revocations" || fail "revoke under sup: $(cat "$T/err")"
issue sup crl publish --issuer-key sup --out "$O/sup.crl"
if [ "$rc" -eq 0 ]; then
	ok "a key revoked for superseded still publishes its CRL"
	cat "$O/sup.pem" "$O/root.pem" > "$O/sup-chain.pem"
	openssl crl -inform DER -in "$O/sup.crl" -CAfile "$O/sup-chain.pem" \
	    -noout -verify 2>&1 | grep -q "verify OK" &&
	    ok "... which openssl crl -verify accepts" || fail "sup CRL does not verify"
	openssl crl -inform DER -in "$O/sup.crl" -noout -text | grep -qi "$leafsup" &&
	    ok "... and lists the leaf it revoked" || fail "sup CRL lacks the leaf"
else
	fail "superseded CRL: exit $rc $(cat "$T/err")"
fi
mkdir -p "$O/ocsp-sup"
issue sup ocsp presign --issuer-key sup --out-dir "$O/ocsp-sup"
# sup issued no CA certificate, so there is nothing to pre-sign: refused
# for that reason, not for its revocation.
grep -q "nothing to pre-sign" "$T/err" && ok "ocsp presign by a superseded key is not refused for its revocation" ||
    fail "ocsp sup: $(cat "$T/err")"
before=$(snap)
unasked sup cert issue --issuer-key sup --csr "$O/new.csr" \
    --profile firmware-signing --subject "CN=New,C=DE" --out "$O/new-sup.pem"
refused 1 "cert issue under a key revoked for superseded is refused" \
    "key 'sup' may not issue" "$sup" "superseded" "last CRLs" "successor"

# --- certificateHold: suspended until lifted --------------------------------
hold=$(serial_of "$O/hold.pem" | lower)
run -C "$S" revoke --issuer-key root --serial "$hold" --reason certificateHold
before=$(snap)
unasked hold cert issue --issuer-key hold --csr "$O/new.csr" \
    --profile firmware-signing --subject "CN=New,C=DE" --out "$O/new-hold.pem"
refused 1 "cert issue under a key on hold is refused" "suspended" "$hold" \
    "certificateHold" "--lift-hold"
unasked hold crl publish --issuer-key hold --out "$O/hold.crl"
refused 1 "crl publish by a key on hold is refused" "suspended" "publish CRLs"
run -C "$S" revoke --issuer-key root --serial "$hold" --lift-hold
[ "$rc" -eq 0 ] && ok "the hold is lifted" || fail "lift: $(cat "$T/err")"
issue hold cert issue --issuer-key hold --csr "$O/new.csr" \
    --profile firmware-signing --subject "CN=New,C=DE" --out "$O/new-hold.pem"
cat "$O/hold.pem" > "$O/hold-chain.pem"
[ "$rc" -eq 0 ] && openssl verify -CAfile "$O/root.pem" -untrusted "$O/hold-chain.pem" \
    "$O/new-hold.pem" >/dev/null 2>&1 &&
    ok "after the hold is lifted the key issues again (openssl verify accepts)" ||
    fail "after lift: exit $rc $(cat "$T/err")"
issue hold crl publish --issuer-key hold --out "$O/hold.crl"
[ "$rc" -eq 0 ] && ok "... and publishes its CRL again" || fail "hold crl: $(cat "$T/err")"

# --- firmware keys and signer certificates (TEST-KEY-049) -------------------
fw=$(serial_of "$O/fw.pem" | lower)
run -C "$S" revoke --issuer-key root --serial "$fw" --reason keyCompromise
before=$(snap)
unasked fw sign firmware --key fw --format raw --in "$O/app.bin" --out "$O/app.sig"
refused 1 "sign firmware with a key whose certificate is revoked is refused" \
    "key 'fw' may not sign firmware" "$fw" "keyCompromise"
[ ! -e "$O/app.sig" ] || fail "a refused signing wrote a signature"
printf 'version: 1\nkey: fw\nimages:\n  - file: %s\n    format: raw\n    output: b.sig\n' \
    "$O/app.bin" > "$O/m.yaml"
unasked fw sign batch "$O/m.yaml"
refused 1 "sign batch with that key is refused" "key 'fw' may not sign firmware"
fwxold=$(serial_of "$O/fwx-old.pem" | lower)
run -C "$S" revoke --issuer-key root --serial "$fwxold" --reason keyCompromise
# shellcheck disable=SC2034 # read by refused() in lib.sh
before=$(snap)
unasked fwx sign firmware --key fwx --format cms --in "$O/app.bin" \
    --out "$O/app.p7s" --cert "$O/fwx-old.pem"
refused 1 "a revoked certificate is refused as --cert for cms" \
    "signer certificate" "$fwxold" "revoked" "keyCompromise"
unasked fwx sign firmware --key fwx --format cms --in "$O/app.bin" \
    --out "$O/app.p7s" --cert "$O/fwx.pem"
refused 1 "... and its key signs nothing, even with its other, good certificate" \
    "key 'fwx' may not sign firmware" "$fwxold"
if command -v faketime >/dev/null; then
	faketime -f '+3d' "$KEYRITE" -C "$S" sign firmware --key fwe --format cms \
	    --in "$O/app.bin" --out "$O/app-e.p7s" --cert "$O/fwe.pem" \
	    --share "$T/sh-fwe/a/fwe.share" --share "$T/sh-fwe/b/fwe.share" \
	    --passphrase-fd 3 3</dev/null >"$T/out" 2>"$T/err" && rc=0 || rc=$?
	refused 1 "an expired certificate (faketime, 3 days on) is refused as --cert" \
	    "signer certificate" "expired on"
	issue fwe sign firmware --key fwe --format cms --in "$O/app.bin" \
	    --out "$O/app-e.p7s" --cert "$O/fwe.pem"
	[ "$rc" -eq 0 ] && openssl cms -verify -binary -inform DER -in "$O/app-e.p7s" \
	    -content "$O/app.bin" -CAfile "$O/root.pem" -purpose any -out /dev/null \
	    >/dev/null 2>&1 && ok "... while it is valid it signs (openssl cms -verify)" ||
	    fail "fwe cms: exit $rc $(cat "$T/err")"
else
	fail "faketime is not installed (./run test installs it)"
fi

# --- what the lists and shows say --------------------------------------------
run -C "$S" cert list
grep "^$comp " "$T/out" | grep -q "revoked: keyCompromise, $(date -u +%Y-%m-%d)" &&
    grep "^$sup " "$T/out" | grep -q "revoked: superseded" &&
    grep "^$(serial_of "$O/new-hold.pem" | lower) " "$T/out" | grep -q "not revoked" &&
    ok "cert list shows revoked (reason, date) and not revoked" ||
    fail "cert list: $(cat "$T/out")"
run -C "$S" cert show "$comp"
grep -q "^revocation:  revoked: keyCompromise, .* (recorded by 'root')" "$T/out" &&
    ok "cert show shows the revocation" || fail "cert show: $(cat "$T/out")"
run -C "$S" revoke --issuer-key root --serial "$hold" --reason certificateHold
[ "$rc" -eq 1 ] && grep -q "was put on hold; the hold was lifted" "$T/err" &&
    grep -q "cannot yet revoke a certificate again" "$T/err" &&
    ok "a lifted hold is not put on hold again (one revocation record a serial), said so" || fail "rehold: exit $rc"
run -C "$S" key show comp
grep -q "^revocation:  certificate $comp (issued by 'root') revoked: keyCompromise" "$T/out" &&
    grep -q "^standing:    stopped" "$T/out" && ok "key show: revoked, stopped" ||
    fail "key show comp: $(cat "$T/out")"
run -C "$S" key show sup
grep -q "^standing:    retired: may only publish" "$T/out" &&
    ok "key show: superseded is retired" || fail "key show sup: $(cat "$T/out")"
run -C "$S" key show hold
grep -q "^standing:    in good standing" "$T/out" &&
    ok "key show: a lifted hold is good standing" || fail "key show hold: $(cat "$T/out")"
run -C "$S" status
grep -q "^revoked keys: *comp: certificate $comp revoked: keyCompromise" "$T/out" &&
    grep -q "sup: certificate $sup revoked: superseded" "$T/out" &&
    grep -q "fw: certificate $fw revoked" "$T/out" &&
    ! grep -q " hold: certificate" "$T/out" &&
    ok "status lists the revoked keys" || fail "status: $(cat "$T/out")"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit chain intact" || fail "audit verify"
finish
