#!/bin/sh
# TEST-KEY-007: revocation.  Certificates revoked with reasons; CRLs that
# openssl verifies, that make `openssl verify -crl_check` refuse exactly
# the revoked certificate, whose numbers grow; a delta CRL with its Delta
# CRL Indicator and removeFromCRL; pre-signed OCSP responses that
# `openssl ocsp` verifies with the right status; continuity refusals; and
# migration from an `openssl ca` index.txt.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
make_state "$S"
O="$T/o"
mkdir -p "$O"
csr() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1.key" -subj "/CN=x" -out "$1" 2>/dev/null
}
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

gen_ca "$S" root p256 ca && gen_ca "$S" int p384 ca || fail "keys"
issue root cert root --key root --profile root --subject "CN=Rev Root,C=DE" \
    --out "$O/root.pem"
issue root cert issue --issuer-key root --subject-key int --profile intermediate \
    --subject "CN=Rev Issuing,C=DE" --out "$O/int.pem"
csr "$O/bad.csr"
issue root cert issue --issuer-key root --csr "$O/bad.csr" --profile intermediate \
    --subject "CN=Compromised Issuing,C=DE" --out "$O/bad.pem"
for i in 1 2 3; do
	csr "$O/leaf$i.csr"
	issue int cert issue --issuer-key int --csr "$O/leaf$i.csr" \
	    --profile firmware-signing --subject "CN=Leaf $i,C=DE" --out "$O/leaf$i.pem"
	[ "$rc" -eq 0 ] || fail "leaf $i: $(cat "$T/err")"
done
cat "$O/int.pem" "$O/root.pem" > "$O/chain.pem"
cp -a "$S" "$T/state-before"

# --- revoking ---------------------------------------------------------------
run -C "$S" revoke --issuer-key int --serial "$(serial_of "$O/leaf1.pem")" \
    --reason keyCompromise --invalidity-date 2026-01-02T03:04:05Z
[ "$rc" -eq 0 ] && ok "leaf 1 revoked for keyCompromise" || fail "revoke: $(cat "$T/err")"
run -C "$S" revoke --issuer-key int --serial "$(serial_of "$O/leaf2.pem")" \
    --reason certificateHold
[ "$rc" -eq 0 ] && ok "leaf 2 put on hold" || fail "hold: $(cat "$T/err")"

snap=$(state_snapshot "$S/keyrite.db" "$S")
expect 2 "never issued by this key" "an unknown serial is refused" -- \
    -C "$S" revoke --issuer-key int --serial 0123456789abcdef --reason superseded
expect 2 "issued by another key" "a serial of another key is refused" -- \
    -C "$S" revoke --issuer-key int --serial "$(serial_of "$O/bad.pem")" --reason superseded
expect 2 "unknown reason" "an unknown reason is refused" -- \
    -C "$S" revoke --issuer-key int --serial "$(serial_of "$O/leaf3.pem")" --reason lostIt
expect 1 "already revoked" "a second revocation is refused" -- \
    -C "$S" revoke --issuer-key int --serial "$(serial_of "$O/leaf1.pem")" --reason superseded
expect 1 "only a certificateHold" "lifting a non-hold is refused" -- \
    -C "$S" revoke --issuer-key int --serial "$(serial_of "$O/leaf1.pem")" --lift-hold
[ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    ok "refused revocations changed nothing" || fail "a refused revocation changed the state"

# --- publishing -------------------------------------------------------------
issue int crl publish --issuer-key int --out "$O/crl1.der"
[ "$rc" -eq 0 ] && ok "CRL 1 published" || fail "crl publish: $(cat "$T/err")"
openssl crl -inform DER -in "$O/crl1.der" -out "$O/crl1.pem"
openssl crl -in "$O/crl1.pem" -CAfile "$O/chain.pem" -noout -verify 2>&1 |
    grep -q "verify OK" && ok "openssl crl -verify accepts CRL 1" || fail "CRL 1 does not verify"
openssl crl -in "$O/crl1.pem" -noout -text > "$O/crl1.txt"
for want in "X509v3 CRL Number" "Key Compromise" "Certificate Hold" \
    "Invalidity Date" "X509v3 Authority Key Identifier" \
    ; do
	grep -q "$want" "$O/crl1.txt" && ok "CRL 1 shows $want" || fail "CRL 1 lacks $want"
done
grep -A1 "CRL Number" "$O/crl1.txt" | grep -q "^ *1$" && ok "CRL 1 has number 1" ||
    fail "CRL 1 number: $(grep -A1 'CRL Number' "$O/crl1.txt")"
set +e
openssl verify -crl_check -CRLfile "$O/crl1.pem" -CAfile "$O/root.pem" \
    -untrusted "$O/int.pem" "$O/leaf1.pem" > "$T/v1" 2>&1
r1=$?
openssl verify -crl_check -CRLfile "$O/crl1.pem" -CAfile "$O/root.pem" \
    -untrusted "$O/int.pem" "$O/leaf3.pem" > "$T/v3" 2>&1
r3=$?
set -e
[ "$r1" -ne 0 ] && grep -q "certificate revoked" "$T/v1" &&
    ok "openssl verify -crl_check refuses the revoked leaf" || fail "revoked leaf accepted"
[ "$r3" -eq 0 ] && ok "openssl verify -crl_check accepts an unrevoked leaf" ||
    fail "unrevoked leaf refused: $(cat "$T/v3")"

issue int crl publish --issuer-key int --out "$O/crl2.der"
openssl crl -inform DER -in "$O/crl2.der" -noout -text | grep -A1 "CRL Number" |
    grep -q "^ *2$" && ok "a second publish has number 2" || fail "CRL 2 number"

# Lift the hold: the next delta lists it as removeFromCRL.
run -C "$S" revoke --issuer-key int --serial "$(serial_of "$O/leaf2.pem")" --lift-hold
[ "$rc" -eq 0 ] && ok "hold lifted" || fail "lift: $(cat "$T/err")"
# TEST-KEY-522: a serial with a (lifted) hold record cannot yet be revoked
# again: refused saying so and why (not "already revoked" of a
# certificate cert list shows as not revoked), nothing recorded.
before=$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")
run -C "$S" revoke --issuer-key int --serial "$(serial_of "$O/leaf2.pem")" \
    --reason keyCompromise
[ "$rc" -eq 1 ] && grep -q "was put on hold; the hold was lifted" "$T/err" &&
    grep -q "cannot yet revoke a certificate again once its serial has a hold record" "$T/err" &&
    ! grep -q "already revoked" "$T/err" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")" = "$before" ] &&
    ok "revoking a certificate whose hold was lifted is refused naming the limit, nothing recorded" ||
    fail "revoke after lift: exit $rc $(cat "$T/err")"
issue int crl publish --issuer-key int --delta --out "$O/delta3.der"
[ "$rc" -eq 0 ] && ok "delta CRL published" || fail "delta: $(cat "$T/err")"
# TEST-KEY-529: what the custodians approve shows what leaves the list:
# the delta's removeFromCRL entry (the lifted hold, by serial) and its
# count; a base after it says how many of the last base's entries it
# no longer lists.
LIFTED=$(serial_of "$O/leaf2.pem" | sed 's/../&:/g; s/:$//')
grep -q "removed entry  *$LIFTED  removeFromCRL (its hold was lifted)" "$T/out" &&
    grep -q "1 hold lifted since it, listed as removeFromCRL" "$T/out" &&
    ok "the delta's preview lists the lifted hold as a removed entry" ||
    fail "delta preview: $(cat "$T/out")"
openssl crl -inform DER -in "$O/delta3.der" -noout -text > "$O/delta.txt"
grep -q "Delta CRL Indicator" "$O/delta.txt" && ok "the delta shows its Delta CRL Indicator" ||
    fail "no Delta CRL Indicator"
grep -q "Remove From CRL" "$O/delta.txt" && ok "the lifted hold is removeFromCRL in the delta" ||
    fail "no removeFromCRL"
openssl crl -inform DER -in "$O/delta3.der" -CAfile "$O/chain.pem" -noout -verify 2>&1 |
    grep -q "verify OK" && ok "openssl crl -verify accepts the delta" || fail "delta does not verify"

# --- the root's CRL and OCSP for its intermediates --------------------------
run -C "$S" revoke --issuer-key root --serial "$(serial_of "$O/bad.pem")" --reason cACompromise
issue root crl publish --issuer-key root --out "$O/root-crl.der"
[ "$rc" -eq 0 ] && ok "root CRL published" || fail "root CRL: $(cat "$T/err")"
openssl crl -inform DER -in "$O/root-crl.der" -noout -text | grep -q "Only CA Certificates" &&
    ok "the root's CRL says onlyContainsCACerts" || fail "root CRL lacks onlyContainsCACerts"
mkdir -p "$O/ocsp"
issue root ocsp presign --issuer-key root --out-dir "$O/ocsp"
[ "$rc" -eq 0 ] && ok "OCSP responses pre-signed" || fail "ocsp presign: $(cat "$T/err")"
for pair in "int:good" "bad:revoked"; do
	name=${pair%%:*} want=${pair#*:}
	s=$(serial_of "$O/$name.pem" | tr 'A-F' 'a-f')
	f="$O/ocsp/$s.ocsp"
	if openssl ocsp -respin "$f" -issuer "$O/root.pem" -CAfile "$O/root.pem" \
	    -resp_text -serial "0x$s" > "$T/ocsp.txt" 2>&1 &&
	    grep -q "Response verify OK" "$T/ocsp.txt" &&
	    grep -q "Cert Status: $want" "$T/ocsp.txt"; then
		ok "openssl ocsp: Response verify OK, $name is $want"
	else
		fail "openssl ocsp for $name: $(grep -i 'verify\|status\|error' "$T/ocsp.txt" | head -n 3)"
	fi
done

# --- continuity and bad --previous ------------------------------------------
P="$T/state-before"
snap=$(state_snapshot "$P/keyrite.db" "$P")
S_SAVE=$S
S=$P
issue int crl publish --issuer-key int --previous "$O/crl1.der" --out "$O/x.der"
[ "$rc" -eq 1 ] && grep -q "would drop" "$T/err" &&
    grep -qi "$(serial_of "$O/leaf1.pem")" "$T/err" &&
    ok "a CRL that would drop a revoked serial is refused, naming it" ||
    fail "continuity: exit $rc: $(cat "$T/err")"
[ ! -e "$O/x.der" ] || fail "continuity refusal wrote a file"
cp "$O/crl1.der" "$O/corrupt.der"
size=$(stat -c %s "$O/corrupt.der")
flip "$O/corrupt.der" $((size - 3))
issue int crl publish --issuer-key int --previous "$O/corrupt.der" --out "$O/x.der"
[ "$rc" -ne 0 ] && grep -q "corrupt.der" "$T/err" &&
    ok "a corrupted --previous CRL is refused (exit $rc)" || fail "corrupted previous: exit $rc"
issue int crl publish --issuer-key int --previous "$O/root-crl.der" --out "$O/x.der"
[ "$rc" -eq 1 ] && grep -q "another CA" "$T/err" &&
    ok "a --previous CRL of another issuer is refused" || fail "other issuer: exit $rc $(cat "$T/err")"
issue int crl publish --issuer-key int --next-update-days 3000 --out "$O/x.der"
[ "$rc" -eq 1 ] && grep -q "notAfter" "$T/err" &&
    ok "a nextUpdate past the issuer's notAfter is refused" || fail "nextUpdate: exit $rc"
[ "$(state_snapshot "$P/keyrite.db" "$P")" = "$snap" ] &&
    ok "refused publications changed nothing" || fail "a refused publication changed the state"
# A previous CRL whose number is not lower than this appliance's next.
issue int crl publish --issuer-key int --out "$O/p1.der"
issue int crl publish --issuer-key int --out "$O/p2.der"
issue int crl publish --issuer-key int --out "$O/p3.der"
issue int crl publish --issuer-key int --out "$O/p4.der"
S=$S_SAVE
issue int crl publish --issuer-key int --previous "$O/p4.der" --out "$O/x.der"
[ "$rc" -eq 1 ] && grep -q "not lower" "$T/err" &&
    ok "a --previous CRL whose number is not lower is refused" || fail "number: exit $rc $(cat "$T/err")"
# Records removed from the database are caught before the quorum: the
# audit chain still binds them (TEST-KEY-034).
# (On a copy: a damaged state stays damaged until restored.)
cp -a "$S" "$T/saved-state"
sqlite3 "$S/keyrite.db" "DELETE FROM revocations WHERE reason = 1"
issue int crl publish --issuer-key int --out "$O/x.der"
[ "$rc" -eq 1 ] && grep -q "is missing from the database" "$T/err" &&
    ok "revocation records deleted behind keyrite's back are refused" ||
    fail "deleted records: exit $rc $(cat "$T/err")"
rm -rf "$S" && mv "$T/saved-state" "$S"

# --- migration from openssl ca ---------------------------------------------
C="$T/oca"
mkdir -p "$C/new"
: > "$C/index.txt"
echo 1000 > "$C/serial"
cat > "$C/ca.cnf" <<CNF
[ ca ]
default_ca = d
[ d ]
dir = $C
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
private_key = \$dir/ca.key
certificate = \$dir/ca.pem
default_md = sha256
default_days = 30
default_crl_days = 30
policy = p
unique_subject = no
[ p ]
commonName = supplied
CNF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$C/ca.key" -subj "/CN=Old CA" -days 30 -out "$C/ca.pem" 2>/dev/null
for i in 1 2 3 4; do
	csr "$C/r$i.csr"
	openssl ca -batch -config "$C/ca.cnf" -in "$C/r$i.csr" -out "$C/c$i.pem" \
	    -subj "/CN=old $i" >/dev/null 2>&1
done
openssl ca -config "$C/ca.cnf" -revoke "$C/c2.pem" -crl_reason keyCompromise >/dev/null 2>&1
openssl ca -config "$C/ca.cnf" -revoke "$C/c4.pem" -crl_reason superseded >/dev/null 2>&1
gen_ca "$S" migrated p256 ca
issue migrated cert root --key migrated --profile root --subject "CN=Migrated,C=DE" \
    --out "$O/migrated.pem"
run -C "$S" import openssl-index --issuer-key migrated "$C/index.txt"
[ "$rc" -eq 0 ] && grep -q "4 lines" "$T/out" && grep -q "2 revoked" "$T/out" &&
    ok "index.txt imported: 4 lines, 2 revoked" || fail "import: $(cat "$T/out" "$T/err")"
issue migrated crl publish --issuer-key migrated --out "$O/mig.der"
openssl crl -inform DER -in "$O/mig.der" -noout -text | grep "Serial Number" |
    awk '{print $3}' | sort > "$T/ours"
openssl ca -gencrl -config "$C/ca.cnf" -out "$C/crl.pem" 2>/dev/null
openssl crl -in "$C/crl.pem" -noout -text | grep "Serial Number" | awk '{print $3}' |
    sort > "$T/theirs"
[ -s "$T/ours" ] && cmp -s "$T/ours" "$T/theirs" &&
    ok "the migrated CRL lists exactly what openssl ca -gencrl lists" ||
    fail "serials differ: ours $(cat "$T/ours" | tr '\n' ' ') theirs $(cat "$T/theirs" | tr '\n' ' ')"
{ printf 'V\t301231000000Z\t\tAA01\tunknown\t/CN=fine\n'
  printf 'V\t301231000000Z\t\tZZ\tunknown\t/CN=x\n'; } > "$T/bad-index.txt"
snap=$(state_snapshot "$S/keyrite.db" "$S")
expect 2 "line 2" "a malformed index.txt line is named by number" -- \
    -C "$S" import openssl-index --issuer-key migrated "$T/bad-index.txt"
[ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    ok "... and nothing of that file was recorded" || fail "a refused import changed the state"
# Rows are written many at a time: a serial repeated far into a file is
# still named by its own line, and nothing of the file is kept.
awk 'BEGIN { for (i = 1; i <= 150; i++)
	printf "R\t301231000000Z\t261101120000Z,keyCompromise\t%04X\tunknown\t/CN=d%d\n",
	    (i == 97 ? 40960 + 3 : 40960 + i), i }' > "$T/dup-index.txt"
expect 2 "line 97: this serial is already" \
    "a serial repeated at line 97 of 150 is named by that line" -- \
    -C "$S" import openssl-index --issuer-key migrated "$T/dup-index.txt"
[ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    ok "... and nothing of that file was recorded" || fail "a refused import changed the state"
issue int crl publish --issuer-key int --out "$O/after-lift.der"
[ "$rc" -eq 0 ] && grep -q "1 entry of base CRL [0-9]* no longer listed (holds lifted, certificates expired)" "$T/out" &&
    ! openssl crl -inform DER -in "$O/after-lift.der" -noout -text | grep -qi "$(serial_of "$O/leaf2.pem")" &&
    ok "a base after the lift says 1 entry of the last base is no longer listed (openssl: the serial is gone)" ||
    fail "base after lift: exit $rc $(cat "$T/out" "$T/err")"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit chain intact" || fail "audit verify"
finish
