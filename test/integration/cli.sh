#!/bin/sh
# TEST-KEY-013: the command line: --help on every command, --version,
# usage errors exit 2, the public key as recorded matches openssl's reading.
. "$(dirname "$0")/lib.sh"
set -e

run --version
[ "$rc" -eq 0 ] && grep -q '^keyrite ' "$T/out" && ok "--version" || fail "--version"
run --help
[ "$rc" -eq 0 ] && grep -q 'quorum verify' "$T/out" && ok "--help lists commands" ||
    fail "--help"
for c in "init" "status" "key generate" "key list" "key show" "key destroy" \
    "quorum verify" "audit verify" "audit show" "cert root" "cert issue" \
    "cert cross-sign" "cert list" "cert show" "revoke" "crl publish" \
    "ocsp presign" "import openssl-index" "key export-public" \
    "sign firmware" "sign batch" "crl show" "sign show" "rotate root" \
    "rotate finish" "pinset show" "pinset verify"; do
	# shellcheck disable=SC2086
	run $c --help
	[ "$rc" -eq 0 ] && grep -q "usage: keyrite \[-C STATEDIR\] $c" "$T/out" &&
	    ok "$c --help" || fail "$c --help: exit $rc"
	grep -q "^\.SS $(echo "$c" | sed 's/-/\\\\-/g')\$" "$MANPAGE" && ok "$c is in the man page" ||
	    fail "$c is missing from the man page"
done
expect 2 "unknown command" "an unknown command exits 2" -- frobnicate
# TEST-KEY-068: an unknown subcommand names the whole command and lists
# the group's commands.
expect 2 "unknown command 'quorum rotate'; the quorum commands are: verify, reshare" \
    "an unknown subcommand names the whole command and lists the group" -- quorum rotate
expect 2 "the cert commands are: root, issue, cross-sign, list, show" \
    "a group without a subcommand lists its commands" -- cert
expect 2 "no state folder" "no -C and no KEYRITE_HOME exits 2" -- key list

S="$T/state"
make_state "$S"
run -C "$S" status
grep -q "TEST ONLY" "$T/out" && ok "status says the KDF profile is for tests" ||
    fail "status does not flag the test KDF profile"
for alg in p256 p384 ed25519 rsa3072; do
	for c in a b; do pass_of "$c"; done > "$T/pw"
	mkdir -p "$T/sh-$alg"
	run -C "$S" key generate "k-$alg" --alg "$alg" --purpose firmware \
	    --threshold 2 --custodian a --custodian b --share-dir "$T/sh-$alg" \
	    --passphrase-fd 3 3<"$T/pw"
	[ "$rc" -eq 0 ] && ok "generate $alg" || { fail "generate $alg: exit $rc"; continue; }
	run -C "$S" key show "k-$alg" --pem
	grep -q "TEST" "$T/out" && ok "key show says the KDF profile is for tests" ||
	    fail "key show lacks the test KDF note"
	sed -n '/BEGIN PUBLIC KEY/,/END PUBLIC KEY/p' "$T/out" > "$T/pub.pem"
	fp=$(sed -n 's/^public key:  SHA-256 //p' "$T/out")
	ofp=$(openssl pkey -pubin -in "$T/pub.pem" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ -n "$fp" ] && [ "$fp" = "$ofp" ] &&
	    ok "$alg public key parses with openssl and its fingerprint matches" ||
	    fail "$alg fingerprint '$fp' vs openssl '$ofp'"
	case $alg in
	p256) want="prime256v1\|P-256" ;;
	p384) want="secp384r1\|P-384" ;;
	ed25519) want="ED25519" ;;
	rsa3072) want="3072 bit" ;;
	esac
	openssl pkey -pubin -in "$T/pub.pem" -text -noout 2>/dev/null | grep -q "$want" &&
	    ok "openssl reads a $alg key" || fail "openssl does not see a $alg key"
done
run -C "$S" key list
[ "$(grep -c '^k-' "$T/out")" -eq 4 ] && ok "key list shows the 4 keys" || fail "key list"

# TEST-KEY-489: an option that takes one value, given twice, is a usage
# error naming it (the last one used to win, unseen); options given once
# per value (--custodian, --share, --san, --set, --root) still repeat.
snap=$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")
mkdir -p "$T/sh-twice" "$T/ex"
for pw in a b; do pass_of "$pw"; done > "$T/pw"
expect 2 "--alg is given more than once: give it once" \
    "key generate --alg p256 --alg ed25519 refused, naming --alg" -- \
    -C "$S" key generate twice --alg p256 --alg ed25519 --purpose firmware \
    --threshold 2 --custodian a --custodian b --share-dir "$T/sh-twice" \
    --passphrase-fd 3 3<"$T/pw"
expect 2 "--key is given more than once" \
    "export --key twice refused, naming --key" -- \
    -C "$S" export --to "$T/ex" --key k-p256 --key k-p384
expect 2 "--threshold is given more than once" \
    "a number option (--threshold) twice refused" -- \
    -C "$S" key generate twice --alg p256 --purpose firmware \
    --threshold 2 --threshold 3 --custodian a --custodian b --custodian c \
    --share-dir "$T/sh-twice" --passphrase-fd 3 3<"$T/pw"
[ "$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")" = "$snap" ] &&
    [ -z "$(find "$T/sh-twice" "$T/ex" -mindepth 1)" ] &&
    ok "... each refused before anything was made or written" ||
    fail "a refused repeated option changed the state"
run -C "$S" key generate twice --alg p256 --purpose firmware --threshold 2 \
    --custodian a --custodian b --share-dir "$T/sh-twice" \
    --passphrase-fd 3 3<"$T/pw"
[ "$rc" -eq 0 ] && [ -s "$T/sh-twice/a/twice.share" ] &&
    [ -s "$T/sh-twice/b/twice.share" ] &&
    ok "--custodian given once per custodian still works" ||
    fail "repeated --custodian: exit $rc $(cat "$T/err")"
finish
