#!/bin/sh
# TEST-KEY-210..216: prepared requests for cert root and cert cross-sign.
# The dry run's serial and TBS SHA-256 (--dry-run --save-request) are the
# signed certificate's (--request; openssl reads the serial and the TBS);
# a changed byte, a request of another kind, another certificate to
# cross-sign, a used serial and a request kept past 48 hours are refused
# with nothing signed and the state unchanged; a format 1 request (before
# the kind line) is still signed by cert issue.
. "$(dirname "$0")/lib.sh"
set -e
needs_faketime

S="$T/state"
make_state "$S"
DB="$S/keyrite.db"
gen_ca "$S" root p256 ca || fail "root key"
gen_ca "$S" other p256 ca || fail "other key"
issue other cert root --key other --profile root --subject "CN=Other Root" \
    --out "$T/other.pem"
[ "$rc" -eq 0 ] || fail "other root: $(cat "$T/err")"

# dry_run KEY FILE keyrite-args...: the dry run with --save-request FILE;
# sets $serial and $tbs (upper-case hex) from what it showed.
dry_run() {
	key=$1 file=$2
	shift 2
	before=$(state_snapshot "$DB" "$S")
	run -C "$S" "$@" --dry-run --save-request "$file"
	[ "$rc" -eq 0 ] && [ -s "$file" ] &&
	    [ "$(state_snapshot "$DB" "$S")" = "$before" ] &&
	    ok "$1 $2 --dry-run --save-request writes $(basename "$file") and records nothing" ||
	    fail "dry run $*: exit $rc $(cat "$T/err")"
	serial=$(sed -n 's/^  serial  *//p' "$T/out" | tr -d ':')
	tbs=$(sed -n '/^  TBS SHA-256 /{s/^  TBS SHA-256  *//;N;s/\n *//;p;}' \
	    "$T/out" | tr -d ':')
}

# signed_as PEM: the certificate's serial and TBS SHA-256 are the dry run's.
signed_as() {
	got_serial=$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)
	openssl x509 -in "$1" -outform DER -out "$T/got.der"
	openssl asn1parse -inform DER -in "$T/got.der" -strparse 4 \
	    -out "$T/got.tbs" >/dev/null
	got_tbs=$(sha256sum "$T/got.tbs" | cut -d' ' -f1 | tr a-f A-F)
	[ ${#serial} -eq 32 ] && [ "$got_serial" = "$serial" ] &&
	    [ "$got_tbs" = "$tbs" ] &&
	    ok "$(basename "$1"): serial $serial and TBS SHA-256 are the dry run's" ||
	    fail "$(basename "$1"): serial $got_serial/$serial, TBS $got_tbs/$tbs"
}

# refused_now WHAT OUT PATTERN... -- keyrite-args: run with the quorum of
# root; exit $rc_want (1: refused; 2 for a malformed file),
# stderr matches every PATTERN, OUT not written, state as it was.
refused_now() {
	what=$1 out=$2
	shift 2
	pats=""
	while [ "$1" != "--" ]; do pats="$pats|$1"; shift; done
	shift
	before=$(state_snapshot "$DB" "$S")
	issue root "$@"
	good=1
	[ "$rc" -eq "$rc_want" ] || good=0
	IFS='|'
	for p in ${pats#|}; do grep -q -- "$p" "$T/err" || good=0; done
	unset IFS
	[ -e "$out" ] && good=0
	[ "$(state_snapshot "$DB" "$S")" = "$before" ] || good=0
	[ "$good" -eq 1 ] && ok "$what (exit $rc, nothing written, state unchanged)" ||
	    fail "$what: exit $rc $(cat "$T/err")"
}

# flip FILE OFFSET OUT: FILE with the byte at OFFSET changed ('0' <-> '1').
flip() {
	cp "$1" "$3"
	orig=$(od -An -tu1 -j "$2" -N1 "$3" | tr -d ' ')
	new=$(( orig == 48 ? 49 : 48 ))
	printf "$(printf '\\%03o' "$new")" |
	    dd of="$3" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# old keyrite-args...: signing three days later (faketime), with the
# quorum of root; sets $rc and $before.
old() {
	later=$(date -u -d '+3 days' '+%Y-%m-%d %H:%M:%S')
	before=$(state_snapshot "$DB" "$S")
	set +e
	# shellcheck disable=SC2046
	faketime "$later" "$KEYRITE" -C "$S" "$@" $(quorum root) 3<"$T/ab.pw" \
	    >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}

rc_want=1

# --- cert root ------------------------------------------------------------
# TEST-KEY-210: a root prepared and signed exactly.
dry_run root "$T/root.req" cert root --key root --profile root \
    --subject "CN=Kinds Root,O=keyrite tests"
root_serial=$serial root_tbs=$tbs
[ "$(head -n 2 "$T/root.req")" = "$(printf 'keyrite-cert-request 2\nkind root')" ] &&
    grep -q "^issuer-cert-sha256 none$" "$T/root.req" &&
    grep -q "^subject-key key root$" "$T/root.req" &&
    ok "a root's request is of format 2, kind root, no issuer certificate, its own key" ||
    fail "root request: $(head -n 7 "$T/root.req")"

# TEST-KEY-211: refused before anything is signed.
size=$(stat -c %s "$T/root.req")
flip "$T/root.req" $((size / 2)) "$T/bad-root.req"
refused_now "a root request changed by one byte" "$T/bad.pem" \
    "bad-root.req" "changed" -- cert root --request "$T/bad-root.req" --out "$T/bad.pem"
refused_now "a root request given to cert issue" "$T/bad.pem" \
    "root.req" "keyrite cert root" "keyrite cert issue" -- \
    cert issue --request "$T/root.req" --out "$T/bad.pem"
refused_now "a root request given to cert cross-sign" "$T/bad.pem" \
    "root.req" "keyrite cert root" "keyrite cert cross-sign" -- \
    cert cross-sign --request "$T/root.req" --out "$T/bad.pem"
# A root's issuer-cert line says none: a hash there is refused.
sed '$d' "$T/root.req" | sed "s/^issuer-cert-sha256 none$/issuer-cert-sha256 $(printf '%064d' 0)/" \
    > "$T/hash-root.req"
printf 'sha256 %s\n' "$(sha256sum "$T/hash-root.req" | cut -d' ' -f1)" >> "$T/hash-root.req"
rc_want=2
refused_now "a root request with an issuer certificate hash" \
    "$T/bad.pem" "hash-root.req" "issuer-cert-sha256 none" -- \
    cert root --request "$T/hash-root.req" --out "$T/bad.pem"
rc_want=1
if command -v faketime >/dev/null; then
	old cert root --request "$T/root.req" --out "$T/old.pem"
	[ "$rc" -eq 1 ] && grep -q "48 hours" "$T/err" && [ ! -e "$T/old.pem" ] &&
	    [ "$(state_snapshot "$DB" "$S")" = "$before" ] &&
	    ok "a root request kept past 48 hours is refused, state unchanged" ||
	    fail "old root request: exit $rc $(cat "$T/err")"
fi
expect 2 "holds the key" "cert root --request with --key is a usage error" -- \
    -C "$S" cert root --request "$T/root.req" --key root --out "$T/x.pem"

issue root cert root --request "$T/root.req" --out "$T/root.pem"
[ "$rc" -eq 0 ] && ok "cert root --request signs the prepared root" ||
    fail "root sign: $(cat "$T/err")"
serial=$root_serial tbs=$root_tbs
signed_as "$T/root.pem"
openssl verify -CAfile "$T/root.pem" "$T/root.pem" >/dev/null 2>&1 &&
    ok "openssl verifies the prepared root" || fail "openssl verify root"
sqlite3 "$DB" "SELECT payload FROM audit WHERE event = 'cert.root'" |
    grep -q "\"prepared_request\":\"$(sha256sum "$T/root.req" | cut -d' ' -f1)\"" &&
    ok "the cert.root audit row names the request's SHA-256" ||
    fail "no prepared_request in the cert.root row"
# TEST-KEY-212
refused_now "a root request whose serial was used" "$T/again.pem" \
    "has been used" -- cert root --request "$T/root.req" --out "$T/again.pem"

# --- cert cross-sign ------------------------------------------------------
# TEST-KEY-213: the other root cross-signed by root, prepared and signed.
dry_run root "$T/cross.req" cert cross-sign --issuer-key root \
    --cert "$T/other.pem" --profile intermediate
cross_serial=$serial cross_tbs=$tbs
other_sha=$(openssl x509 -in "$T/other.pem" -outform DER | sha256sum | cut -d' ' -f1)
root_sha=$(openssl x509 -in "$T/root.pem" -outform DER | sha256sum | cut -d' ' -f1)
sed -n 2p "$T/cross.req" | grep -q "^kind cross$" &&
    grep -q "^subject-key cert $other_sha$" "$T/cross.req" &&
    grep -q "^issuer-cert-sha256 $root_sha$" "$T/cross.req" &&
    ok "a cross request records the cross-signed certificate's and the issuer's SHA-256" ||
    fail "cross request: $(head -n 7 "$T/cross.req")"

# TEST-KEY-214: refused before anything is signed.
size=$(stat -c %s "$T/cross.req")
flip "$T/cross.req" 40 "$T/bad-cross.req"
refused_now "a cross request changed by one byte" "$T/bad.pem" \
    "bad-cross.req" "changed" -- cert cross-sign --request "$T/bad-cross.req" --out "$T/bad.pem"
refused_now "a cross request given to cert root" "$T/bad.pem" \
    "cross.req" "keyrite cert cross-sign" "keyrite cert root" -- \
    cert root --request "$T/cross.req" --out "$T/bad.pem"
refused_now "a cross request with another certificate" "$T/bad.pem" \
    "root.pem" "cross.req" "not the certificate" -- \
    cert cross-sign --request "$T/cross.req" --cert "$T/root.pem" --out "$T/bad.pem"
if command -v faketime >/dev/null; then
	old cert cross-sign --request "$T/cross.req" --out "$T/old.pem"
	[ "$rc" -eq 1 ] && grep -q "48 hours" "$T/err" && [ ! -e "$T/old.pem" ] &&
	    [ "$(state_snapshot "$DB" "$S")" = "$before" ] &&
	    ok "a cross request kept past 48 hours is refused, state unchanged" ||
	    fail "old cross request: exit $rc $(cat "$T/err")"
fi
expect 2 "holds the issuer key" "cert cross-sign --request with --profile is a usage error" -- \
    -C "$S" cert cross-sign --request "$T/cross.req" --profile intermediate --out "$T/x.pem"

issue root cert cross-sign --request "$T/cross.req" --cert "$T/other.pem" \
    --out "$T/cross.pem"
[ "$rc" -eq 0 ] && ok "cert cross-sign --request --cert signs the prepared cross certificate" ||
    fail "cross sign: $(cat "$T/err")"
serial=$cross_serial tbs=$cross_tbs
signed_as "$T/cross.pem"
openssl verify -CAfile "$T/root.pem" "$T/cross.pem" >/dev/null 2>&1 &&
    ok "openssl verifies the cross certificate under the prepared root" ||
    fail "openssl verify cross"
# TEST-KEY-215
refused_now "a cross request whose serial was used" "$T/again.pem" \
    "has been used" -- cert cross-sign --request "$T/cross.req" --out "$T/again.pem"
# Without --cert the request's record stands.
dry_run root "$T/cross2.req" cert cross-sign --issuer-key root \
    --cert "$T/other.pem" --profile intermediate
issue root cert cross-sign --request "$T/cross2.req" --out "$T/cross2.pem"
[ "$rc" -eq 0 ] && ok "cert cross-sign --request alone signs it too" ||
    fail "cross sign without --cert: $(cat "$T/err")"
signed_as "$T/cross2.pem"

# --- cert issue: another kind, and format 1 ------------------------------
# TEST-KEY-216
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/int.key" -subj "/CN=Kinds Issuing" -out "$T/int.csr" 2>/dev/null
dry_run root "$T/int.req" cert issue --issuer-key root --csr "$T/int.csr" \
    --profile intermediate
sed -n 2p "$T/int.req" | grep -q "^kind issue$" &&
    ok "cert issue writes kind issue" || fail "issue request: $(head -n 2 "$T/int.req")"
refused_now "an issue request given to cert cross-sign" "$T/bad.pem" \
    "int.req" "keyrite cert issue" "keyrite cert cross-sign" -- \
    cert cross-sign --request "$T/int.req" --out "$T/bad.pem"
# The same request as format 1 wrote it: no kind line.
sed '$d' "$T/int.req" | sed '1s/ 2$/ 1/; 2d' > "$T/v1.req"
printf 'sha256 %s\n' "$(sha256sum "$T/v1.req" | cut -d' ' -f1)" >> "$T/v1.req"
issue root cert issue --request "$T/v1.req" --out "$T/int.pem"
[ "$rc" -eq 0 ] && ok "a format 1 request is read as kind issue and signed" ||
    fail "format 1: $(cat "$T/err")"
signed_as "$T/int.pem"
openssl verify -CAfile "$T/root.pem" "$T/int.pem" >/dev/null 2>&1 &&
    ok "openssl verifies it" || fail "openssl verify int"
finish
