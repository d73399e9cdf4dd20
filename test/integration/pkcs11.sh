#!/bin/sh
# TEST-KEY-030: keys on a PKCS#11 token (SoftHSM2 in a private token
# folder).  For P-256, P-384, Ed25519 and RSA-3072 token keys, a root and
# an intermediate verify with openssl and a CRL with `openssl crl -verify`;
# --init-token seals the token PINs under the quorum (m-1 shares are
# refused before the token is touched); --pin-source prompt leaves the
# key to the token's own access control; pkcs11-tool shows the key
# sensitive, always sensitive, never extractable, local and sign-only;
# bad input leaves no trace; key destroy removes the token objects.
. "$(dirname "$0")/lib.sh"
set -e

MOD=/usr/lib/softhsm/libsofthsm2.so
if [ ! -f "$MOD" ]; then
	echo "SKIP: $MOD is missing (./run test installs softhsm2)"
	exit 77
fi
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$T" > "$T/softhsm2.conf"
SOFTHSM2_CONF="$T/softhsm2.conf"
export SOFTHSM2_CONF
S="$T/state"
make_state "$S"
# gen_token NAME ALG: a 2-of-3 key on a fresh token initialised by keyrite.
gen_token() {
	mkdir -p "$T/sh-$1"
	for c in a b c; do pass_of "$c"; done > "$T/gen.pw"
	run -C "$S" key generate "$1" --alg "$2" --purpose ca --threshold 2 \
	    --custodian a --custodian b --custodian c --share-dir "$T/sh-$1" \
	    --backend pkcs11 --module "$MOD" --token "tok-$1" --init-token \
	    --passphrase-fd 3 3<"$T/gen.pw"
}

for alg in p256 p384 ed25519 rsa3072; do
	gen_token "root-$alg" "$alg"
	[ "$rc" -eq 0 ] && grep -q "on token tok-root-$alg" "$T/out" &&
	    ok "$alg root key generated on a token initialised by keyrite" ||
	    { fail "$alg token key: $(cat "$T/err")"; continue; }
	gen_token "int-$alg" "$alg"
	issue "root-$alg" cert root --key "root-$alg" --profile root \
	    --subject "CN=Token Root $alg,C=DE" --out "$T/root-$alg.pem"
	issue "root-$alg" cert issue --issuer-key "root-$alg" --subject-key "int-$alg" \
	    --profile intermediate --subject "CN=Token Issuing $alg,C=DE" \
	    --out "$T/int-$alg.pem"
	if openssl verify -x509_strict -CAfile "$T/root-$alg.pem" "$T/int-$alg.pem" \
	    >/dev/null 2>&1; then
		ok "$alg: root and intermediate made with token keys verify"
	else
		fail "$alg: openssl verify failed: $(cat "$T/err")"
	fi
	issue "root-$alg" crl publish --issuer-key "root-$alg" --out "$T/root-$alg.crl"
	openssl crl -inform DER -in "$T/root-$alg.crl" -CAfile "$T/root-$alg.pem" \
	    -noout -verify 2>&1 | grep -q "verify OK" &&
	    ok "$alg: a CRL signed by the token key verifies" || fail "$alg CRL"
done
# OCSP and cross-signing work the same with token keys.
mkdir -p "$T/ocsp"
issue root-p256 ocsp presign --issuer-key root-p256 --out-dir "$T/ocsp"
s=$(openssl x509 -in "$T/int-p256.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
openssl ocsp -respin "$T/ocsp/$s.ocsp" -issuer "$T/root-p256.pem" \
    -CAfile "$T/root-p256.pem" -resp_text -serial "0x$s" 2>&1 |
    grep -q "Response verify OK" && ok "an OCSP response signed by a token key verifies" ||
    fail "token OCSP: $(cat "$T/err")"
issue root-p384 cert cross-sign --issuer-key root-p384 --cert "$T/int-p256.pem" \
    --profile intermediate --out "$T/cross.pem"
openssl verify -CAfile "$T/root-p384.pem" "$T/cross.pem" >/dev/null 2>&1 &&
    ok "a cross certificate signed by a token key verifies" ||
    fail "token cross-sign: $(cat "$T/err")"
run -C "$S" audit show
grep -q '"origin_check":"passed: local, always sensitive, never extractable, sign only"' "$T/out" &&
    grep -q '"token_manufacturer":"SoftHSM project"' "$T/out" &&
    ok "the audit log records the origin check and the token" ||
    fail "audit lacks the token origin check"

# m-1 shares: refused before the token is touched (no failed login).
pass_of a > "$T/a.pw"
run -C "$S" cert root --key root-p256 --profile root --subject "CN=x" \
    --out "$T/x.pem" --share "$T/sh-root-p256/a/root-p256.share" --passphrase-fd 3 3<"$T/a.pw"
[ "$rc" -eq 1 ] && grep -q "custodians must present" "$T/err" &&
    ok "one share of a 2-of-3 token key is refused" || fail "m-1 shares: exit $rc"
pkcs11-tool --module "$MOD" --list-token-slots 2>/dev/null |
    sed -n '/tok-root-p256/,/serial/p' > "$T/slot.txt"
grep -q "count low\|locked" "$T/slot.txt" &&
    fail "a failed login was counted on the token" ||
    ok "... before the token was touched (no failed login counted)"

# TEST-KEY-475: `./run demo` shows a token key's back end, token and guard
# with its own filter of `key show`, each line once ("guarded by" too,
# though that line names the token's PINs).
filter=$(sed -n 's/.*key show issuing-demo | //p' "$SRCDIR/run")
run -C "$S" key show root-p256
[ -n "$filter" ] && sh -c "$filter" < "$T/out" > "$T/demo" &&
    [ "$(grep -c 'guarded by' "$T/demo")" -eq 1 ] && [ "$(grep -c '^token:' "$T/demo")" -eq 1 ] &&
    [ "$(grep -c '^backend:' "$T/demo")" -eq 1 ] &&
    ok "the demo's filter of key show prints guarded by, token and backend once each" ||
    fail "the demo's filter ($filter): $(cat "$T/demo")"

# --pin-source prompt: the token's own access control.
softhsm2-util --init-token --free --label own --so-pin 0000 --pin 24680135 >/dev/null
echo 24680135 > "$T/pin"
run -C "$S" key generate own --alg p256 --purpose ca --backend pkcs11 \
    --module "$MOD" --token own --pin-source prompt --token-pin-fd 3 3<"$T/pin"
[ "$rc" -eq 0 ] && grep -q "token's own access control" "$T/out" &&
    ok "a key on a token initialised elsewhere says who guards it" ||
    fail "prompt mode: $(cat "$T/err")"
run -C "$S" key show own
grep -q "guarded by:  the token's own access control" "$T/out" &&
    ok "key show says the token's access control guards it" || fail "key show"
pkcs11-tool --module "$MOD" --token-label own --login --pin 24680135 \
    --list-objects > "$T/objs" 2>/dev/null
sed -n '/Private Key Object/,/Access/p' "$T/objs" > "$T/priv"
grep -q "Usage: *sign$" "$T/priv" &&
    grep -q "Access: *sensitive, always sensitive, never extractable, local" "$T/priv" &&
    ok "pkcs11-tool: sensitive, always sensitive, never extractable, local, sign only" ||
    fail "pkcs11-tool shows: $(cat "$T/priv")"
# TEST-KEY-471: at use, as at generation, the PIN comes from --token-pin-fd;
# --passphrase-fd carries custodians' passphrases only.
snap=$(state_snapshot "$S/keyrite.db" "$S")
run -C "$S" cert root --key own --profile root --subject "CN=Own,C=DE" \
    --out "$T/own.pem" --passphrase-fd 3 3<"$T/pin" </dev/null
[ "$rc" -eq 2 ] && grep -q "no terminal to ask for the token PIN: in scripts give --token-pin-fd N" "$T/err" &&
    [ ! -e "$T/own.pem" ] && [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    ok "the PIN is not taken from --passphrase-fd; --token-pin-fd is named (exit 2, nothing changed)" ||
    fail "PIN from --passphrase-fd: exit $rc $(cat "$T/err")"
: > "$T/nopin"
run -C "$S" cert root --key own --profile root --subject "CN=Own,C=DE" \
    --out "$T/own.pem" --token-pin-fd 3 3<"$T/nopin"
[ "$rc" -ne 0 ] && grep -q -- "--token-pin-fd 3 is empty: give the PIN of token 'own'" "$T/err" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    ok "an empty --token-pin-fd names the token (exit $rc, nothing changed)" ||
    fail "empty PIN fd: exit $rc $(cat "$T/err")"
run -C "$S" cert root --key own --profile root --subject "CN=Own,C=DE" \
    --out "$T/own.pem" --token-pin-fd 3 3<"$T/pin"
openssl verify -CAfile "$T/own.pem" "$T/own.pem" >/dev/null 2>&1 &&
    ok "the token's PIN from --token-pin-fd unlocks it, no shares" ||
    fail "own root: $(cat "$T/err")"
# TEST-KEY-414: a key with no custodian quorum approves no policy update.
mkdir -p "$T/pol"
sed 's/^max_days: 90/max_days: 60/' "$S/policy/device.yaml" > "$T/pol/device.yaml"
snap=$(state_snapshot "$S/keyrite.db" "$S")
run -C "$S" policy update --from "$T/pol" --key own --yes
[ "$rc" -eq 1 ] && grep -q "key 'own' has no custodian quorum" "$T/err" &&
    grep -q "Nothing was asked" "$T/err" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    ok "policy update refuses a token key guarded by its PIN alone, in one message (exit 1, nothing changed)" ||
    fail "policy update by a PIN key: exit $rc $(cat "$T/err")"
run -C "$S" cert root --help
grep -q -- "--token-pin-fd N" "$T/out" && ok "the quorum commands' help names --token-pin-fd" ||
    fail "help: $(cat "$T/out")"
expect 2 "give no --share" "shares are refused for a token-guarded key" -- \
    -C "$S" cert root --key own --profile root --subject "CN=x" --out "$T/x.pem" \
    --share "$T/sh-root-p256/a/root-p256.share" --token-pin-fd 3 3<"$T/pin"
expect 2 "are refused with --pin-source prompt" "a quorum is refused in prompt mode" -- \
    -C "$S" key generate own2 --alg p256 --purpose ca --backend pkcs11 \
    --module "$MOD" --token own --pin-source prompt --threshold 2 \
    --custodian a --custodian b --token-pin-fd 3 3<"$T/pin"

# Bad input: nothing changes.
snap=$(state_snapshot "$S/keyrite.db" "$S")
for c in a b c; do pass_of "$c"; done > "$T/gen.pw"
mkdir -p "$T/sh-bad"
expect 2 "/no/such/module.so" "a wrong module path is named" -- \
    -C "$S" key generate bad1 --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian b --custodian c --share-dir "$T/sh-bad" \
    --backend pkcs11 --module /no/such/module.so --token x --init-token \
    --passphrase-fd 3 3<"$T/gen.pw"
run -C "$S" key generate bad2 --alg p256 --purpose ca --backend pkcs11 \
    --module "$MOD" --token no-such-token --pin-source prompt --token-pin-fd 3 3<"$T/pin"
[ "$rc" -ne 0 ] && grep -q "no-such-token" "$T/err" &&
    ok "no such token is named (exit $rc)" || fail "no such token: exit $rc"
run -C "$S" key generate own --alg p256 --purpose ca --backend pkcs11 \
    --module "$MOD" --token own --pin-source prompt --token-pin-fd 3 3<"$T/pin"
[ "$rc" -ne 0 ] && ok "a taken key name is refused (exit $rc)" || fail "taken name"
echo 99999999 > "$T/badpin"
run -C "$S" cert root --key own --profile root --subject "CN=x" --out "$T/x.pem" \
    --token-pin-fd 3 3<"$T/badpin"
[ "$rc" -eq 1 ] && grep -q "CKR_PIN_INCORRECT" "$T/err" && grep -q "does not retry" "$T/err" &&
    ok "a wrong PIN is refused once, never retried" || fail "wrong PIN: exit $rc $(cat "$T/err")"
pkcs11-tool --module "$MOD" --list-token-slots 2>/dev/null | sed -n '/label.*: own/,/serial/p' |
    grep -q "locked" && fail "the token was locked" || ok "... and the token is not locked"
[ ! -e "$T/x.pem" ] && [ -z "$(ls -A "$T/sh-bad")" ] && ok "no output or share files" ||
    fail "files left behind"
[ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    ok "bad module, token, name and PIN changed nothing" || fail "state changed"
# Token removed mid-operation: its folder deleted.
cp -a "$T/tokens" "$T/tokens.bak"
rm -rf "$T/tokens"/*
issue root-p384 crl publish --issuer-key root-p384 --out "$T/gone.crl"
[ "$rc" -ne 0 ] && grep -q "no such token\|not present\|token" "$T/err" &&
    ok "a removed token gives a clear error (exit $rc)" ||
    fail "removed token: exit $rc"
[ ! -e "$T/gone.crl" ] && ok "... and no CRL is written" || fail "CRL written without token"
rm -rf "$T/tokens" && mv "$T/tokens.bak" "$T/tokens"

# A token key generate killed after its commit, before its sealed PIN file
# got its name: the next command that changes state puts the PIN file in
# place (not removed as a stray copy), and the key works with its quorum.
if command -v strace >/dev/null 2>&1; then
	mkdir -p "$T/sh-cut"
	for c in a b c; do pass_of "$c"; done > "$T/gen.pw"
	set +e
	strace -f -qq -o /dev/null -e trace=renameat2 \
	    -e inject=renameat2:signal=KILL:when=1 \
	    "$KEYRITE" -C "$S" key generate cut --alg p256 --purpose ca --threshold 2 \
	    --custodian a --custodian b --custodian c --share-dir "$T/sh-cut" \
	    --backend pkcs11 --module "$MOD" --token tok-cut --init-token \
	    --passphrase-fd 3 3<"$T/gen.pw" >/dev/null 2>&1
	krc=$?
	set -e
	[ "$krc" -eq 137 ] &&
	    [ "$(sqlite3 "$S/keyrite.db" "select count(*) from keys where name = 'cut'")" -eq 1 ] &&
	    ls "$S/keys" | grep -q '\.pins\.tmp-' &&
	    ok "a token key generate killed after its commit: recorded, its PIN file under a temporary name" ||
	    fail "token keygen kill: exit $krc, $(ls "$S/keys")"
	issue cut quorum verify --key cut
	[ "$rc" -eq 0 ] && grep -q "put keys/.*\.pins in place" "$T/err" &&
	    ! ls "$S/keys" | grep -q '\.tmp-' &&
	    ok "the next open puts the PIN file in place, and the quorum unlocks the token key" ||
	    fail "PIN file recovery: exit $rc, $(cat "$T/err")"
else
	fail "strace is missing (./run test installs it)"
fi

# TEST-KEY-074 for a token key: --new-secret re-wraps the token's PIN
# file; once the new holders have checked their shares, they log in to
# the token and sign, and the old set is refused.
gen_token rs p256
[ "$rc" -eq 0 ] && ok "a token key to reshare" || fail "gen rs: $(cat "$T/err")"
{ pass_of a; pass_of b; pass_of e; pass_of f; } > "$T/rs.pw"
mkdir -p "$T/sh-rs2"
run -C "$S" quorum reshare --key rs --threshold 2 --custodian e --custodian f \
    --share-dir "$T/sh-rs2" --new-secret --share "$T/sh-rs/a/rs.share" \
    --share "$T/sh-rs/b/rs.share" --passphrase-fd 3 3<"$T/rs.pw"
[ "$rc" -eq 0 ] && ls "$S/keys" | grep -q 'rs+epoch2\.pins' &&
    ok "token key reshared under a new secret: the re-wrapped PIN file waits" ||
    fail "token reshare: exit $rc $(cat "$T/err") $(ls "$S/keys")"
verify_shares "$S" rs "$T/sh-rs2" e
verify_shares "$S" rs "$T/sh-rs2" f
[ "$rc" -eq 0 ] && grep -q "is now current" "$T/out" &&
    ! ls "$S/keys" | grep -q '+epoch' &&
    ok "two checks activate it; the PIN file is replaced" ||
    fail "token activation: exit $rc $(cat "$T/out" "$T/err")"
{ pass_of e; pass_of f; } > "$T/ef.pw"
run -C "$S" cert root --key rs --profile root --subject "CN=Token Reshared,C=DE" \
    --out "$T/rs.pem" --share "$T/sh-rs2/e/rs.share" --share "$T/sh-rs2/f/rs.share" \
    --passphrase-fd 3 3<"$T/ef.pw"
[ "$rc" -eq 0 ] && openssl verify -CAfile "$T/rs.pem" "$T/rs.pem" >/dev/null 2>&1 &&
    ok "the new holders open the re-wrapped PINs and the token signs" ||
    fail "token after reshare: exit $rc $(cat "$T/err")"
verify_shares "$S" rs "$T/sh-rs" a b
[ "$rc" -ne 0 ] && grep -q "ask for your new share" "$T/err" &&
    ok "the old token quorum is refused" || fail "old token quorum: exit $rc"

# Destroy: the token objects go, the key cannot be used again.
issue root-ed25519 key destroy root-ed25519
[ "$rc" -eq 0 ] && ok "token key destroyed with its quorum" || fail "destroy: $(cat "$T/err")"
run -C "$S" key destroy own --token-pin-fd 3 3<"$T/pin"
pkcs11-tool --module "$MOD" --token-label own --login --pin 24680135 --list-objects \
    2>/dev/null | grep -q "Private Key" && fail "objects left on the token" ||
    ok "key destroy removes the token objects"
issue root-ed25519 cert root --key root-ed25519 --profile root --subject "CN=x" --out "$T/x.pem"
[ "$rc" -eq 1 ] && grep -q "destroyed" "$T/err" && ok "a destroyed key is refused" ||
    fail "destroyed key used: exit $rc"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit chain intact" || fail "audit verify"
finish
