#!/bin/sh
# TEST-KEY-021: bad input to certificate issuance: each gets a clear
# error, a non-zero exit, no output file and no database change.
. "$(dirname "$0")/lib.sh"
set -e

# A policy folder adding a name-constrained issuing profile.
P="$T/policy"
mkdir -p "$P"
sed -e 's/^name: intermediate/name: nc-intermediate/' \
    -e 's/^  permitted: \[\]/  permitted: ["dns:.example.com"]/' \
    "$(dirname "$0")/../../policy/intermediate.yaml" > "$P/nc-intermediate.yaml"
S="$T/state"
run -C "$S" init --kdf-profile test --policy-dir "$P"
[ "$rc" -eq 0 ] && ok "init with an operator's policy folder" ||
    fail "init --policy-dir: $(cat "$T/err")"

gen_ca "$S" root ed25519 ca || fail "root key"
gen_ca "$S" int p256 ca || fail "intermediate key"
gen_ca "$S" ncint p256 ca || fail "constrained intermediate key"
gen_ca "$S" fw p256 firmware || fail "firmware key"
issue root cert root --key root --profile root --subject "CN=Root,C=DE" \
    --days 3000 --out "$T/root.pem"
[ "$rc" -eq 0 ] || fail "root: $(cat "$T/err")"
issue root cert issue --issuer-key root --subject-key int --profile intermediate \
    --subject "CN=Issuing,C=DE" --out "$T/int.pem"
[ "$rc" -eq 0 ] || fail "intermediate: $(cat "$T/err")"
issue root cert issue --issuer-key root --subject-key ncint \
    --profile nc-intermediate --subject "CN=Constrained,C=DE" --out "$T/nc.pem"
[ "$rc" -eq 0 ] && ok "name-constrained intermediate made" || fail "nc intermediate: $(cat "$T/err")"
openssl x509 -in "$T/nc.pem" -noout -text | grep -q "Permitted:" &&
    ok "it carries nameConstraints" || fail "no nameConstraints in nc.pem"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/good.key" -subj "/CN=leaf" -out "$T/good.csr" 2>/dev/null
openssl req -in "$T/good.csr" -outform DER -out "$T/good.der"

DB="$S/keyrite.db"
before=$(state_snapshot "$DB" "$S")
# refused RC PATTERN WHAT -- args: refused, with no output file.
refused() {
	want=$1 pat=$2 what=$3
	shift 4
	rm -f "$T/x.pem"
	expect "$want" "$pat" "$what" -- "$@"
	[ ! -e "$T/x.pem" ] || fail "$what: an output file was written"
}
q() { quorum "$1"; }

printf 'this is not a CSR\n' > "$T/junk.csr"
# shellcheck disable=SC2046
refused 2 "junk.csr" "a malformed CSR is named" -- -C "$S" cert issue \
    --issuer-key int --csr "$T/junk.csr" --profile firmware-signing \
    --subject "CN=x" --out "$T/x.pem" $(q int) 3<"$T/ab.pw"
head -c 100 "$T/good.der" > "$T/trunc.csr"
# shellcheck disable=SC2046
refused 2 "trunc.csr" "a truncated CSR is named" -- -C "$S" cert issue \
    --issuer-key int --csr "$T/trunc.csr" --profile firmware-signing \
    --subject "CN=x" --out "$T/x.pem" $(q int) 3<"$T/ab.pw"
cp "$T/good.der" "$T/badsig.csr"
size=$(stat -c %s "$T/badsig.csr")
flip "$T/badsig.csr" $((size - 5))
# shellcheck disable=SC2046
refused 1 "signature does not verify" "a CSR whose signature fails is refused" -- -C "$S" \
    cert issue --issuer-key int --csr "$T/badsig.csr" --profile firmware-signing \
    --subject "CN=x" --out "$T/x.pem" $(q int) 3<"$T/ab.pw"
# TEST-KEY-528: a request file carrying its private key is refused as a
# key that left its device (cert issue, as provision batch and import).
cat "$T/good.csr" "$T/good.key" > "$T/withkey.csr"
# shellcheck disable=SC2046
refused 1 "withkey.csr holds a private key" "a CSR file carrying its private key is refused" -- \
    -C "$S" cert issue --issuer-key int --csr "$T/withkey.csr" \
    --profile firmware-signing --subject "CN=x" --out "$T/x.pem" $(q int) 3<"$T/ab.pw"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/r2k.key" -subj "/CN=r" \
    -out "$T/rsa2048.csr" 2>/dev/null
# shellcheck disable=SC2046
refused 1 "2048" "an RSA-2048 key for a CA is refused" -- -C "$S" cert issue \
    --issuer-key root --csr "$T/rsa2048.csr" --profile intermediate \
    --subject "CN=x" --out "$T/x.pem" $(q root) 3<"$T/ab.pw"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-521 -nodes \
    -keyout "$T/p521.key" -subj "/CN=p" -out "$T/p521.csr" 2>/dev/null
# shellcheck disable=SC2046
refused 2 "p521.csr" "a P-521 key is refused" -- -C "$S" cert issue \
    --issuer-key int --csr "$T/p521.csr" --profile firmware-signing \
    --subject "CN=x" --out "$T/x.pem" $(q int) 3<"$T/ab.pw"
head -c 70000 /dev/zero | tr '\0' A > "$T/huge.csr"
# shellcheck disable=SC2046
refused 2 "more than" "an oversize CSR is refused" -- -C "$S" cert issue \
    --issuer-key int --csr "$T/huge.csr" --profile firmware-signing \
    --subject "CN=x" --out "$T/x.pem" $(q int) 3<"$T/ab.pw"
# shellcheck disable=SC2046
refused 2 "no-such-profile" "an unknown profile is named" -- -C "$S" cert issue \
    --issuer-key int --csr "$T/good.csr" --profile no-such-profile \
    --subject "CN=x" --out "$T/x.pem" $(q int) 3<"$T/ab.pw"
# shellcheck disable=SC2046
refused 1 "path" "a CA below a pathLen 0 intermediate is refused" -- -C "$S" \
    cert issue --issuer-key int --csr "$T/good.csr" --profile intermediate \
    --subject "CN=x" --out "$T/x.pem" $(q int) 3<"$T/ab.pw"
# shellcheck disable=SC2046
refused 1 "issuer" "a validity past the issuer's is refused" -- -C "$S" \
    cert issue --issuer-key root --csr "$T/good.csr" --profile intermediate \
    --days 3500 --subject "CN=x" --out "$T/x.pem" $(q root) 3<"$T/ab.pw"
# shellcheck disable=SC2046
refused 1 "constraint" "a subject outside the name constraints is refused" -- \
    -C "$S" cert issue --issuer-key ncint --csr "$T/good.csr" --profile device \
    --subject "CN=x" --san dns:device.evil.test --out "$T/x.pem" $(q ncint) 3<"$T/ab.pw"
# shellcheck disable=SC2046
refused 1 "purpose firmware" "a firmware key cannot sign a certificate" -- \
    -C "$S" cert root --key fw --profile root --subject "CN=fw" \
    --out "$T/x.pem" $(q fw) 3<"$T/ab.pw"
openssl pkey -in "$T/good.key" -pubout -out "$T/good.pub"
# shellcheck disable=SC2046
refused 2 "give --subject" "a missing subject is asked for" -- -C "$S" cert issue \
    --issuer-key int --pubkey "$T/good.pub" --profile firmware-signing \
    --out "$T/x.pem" $(q int) 3<"$T/ab.pw"
# shellcheck disable=SC2046
refused 2 "is a certificate, not a public key" "a certificate given as --pubkey is named" -- \
    -C "$S" cert issue --issuer-key int --pubkey "$T/root.pem" \
    --profile firmware-signing --subject "CN=x" --out "$T/x.pem" $(q int) 3<"$T/ab.pw"
[ "$(state_snapshot "$DB" "$S")" = "$before" ] &&
    ok "no refusal changed the database or the state folder" ||
    fail "a refused issuance changed the state"

# An unknown key in an operator's profile stops init itself.
mkdir -p "$T/badpol"
sed 's/^san_allowed: false/san_allowed: false\nsan_alowed: true/' \
    "$(dirname "$0")/../../policy/intermediate.yaml" > "$T/badpol/intermediate.yaml"
expect 2 "unknown key 'san_alowed'" "an unknown profile key is named at init" -- \
    -C "$T/state2" init --kdf-profile test --policy-dir "$T/badpol"
[ ! -e "$T/state2" ] && ok "... and no state folder is left" || fail "state2 left behind"

# --dry-run signs nothing and records nothing.
run -C "$S" cert issue --issuer-key int --csr "$T/good.csr" \
    --profile firmware-signing --subject "CN=dry" --dry-run
[ "$rc" -eq 0 ] && grep -q "TBS SHA-256: [0-9a-f]\{64\}" "$T/out" &&
    grep -q "Dry run" "$T/out" && ok "--dry-run prints the TBS hash and lint" ||
    fail "dry run: $(cat "$T/err")"
[ "$(state_snapshot "$DB" "$S")" = "$before" ] && ok "--dry-run changes nothing" ||
    fail "--dry-run changed the state"
finish
