#!/bin/sh
# TEST-KEY-420..434: root rotation with a pin set (docs/rotation.md).
# An old P-256 root and a new Ed25519 root, each with an issuing CA and a
# leaf made by openssl; `rotate root` links them both ways and signs the
# transition pin set with both.  openssl verify builds a path for the new
# root's leaf with only the old root as trust anchor (through the link
# certificate) and the reverse; openssl checks both pin set signatures
# over the file's bytes (dgst -verify for ECDSA, pkeyutl -rawin for
# Ed25519); a pin set changed by one byte is refused; refusals leave the
# state unchanged; `rotate finish` drops the old root (forced before the
# overlap ends with both quorums, and after it under faketime); the audit
# chain and the approvals verify, and export carries the pin sets.
# TEST-KEY-409: each pin set preview shows the previous pin set and what it
# drops; a finish of an earlier rotation that a later one superseded is
# refused (it would drop the newer root).
# TEST-KEY-490..492: on a second appliance, `rotate root --new-subject`
# makes the new root's certificate too, each root's quorum asked once;
# refusals of --new-subject; a wrong passphrase records nothing.
# TEST-KEY-510: a second rotation dropping a root still in its overlap is
# refused before any passphrase, or forced with that root's quorum too.
# TEST-KEY-511: export --key of either root carries all of a pin set's
# signatures.  TEST-KEY-512: one question after the whole preview.
# TEST-KEY-513: a re-serialised pin set is named as edited.
# TEST-KEY-514: an issuing CA as --old, an unknown profile, --help.
# TEST-KEY-515: docs/rotation.md's walk-through, run as written.
. "$(dirname "$0")/lib.sh"
set -e
needs_faketime

S="$T/state"
O="$T/rot"
KR_REAL="$KEYRITE"
mkdir -p "$O"
make_state "$S"

# both OLD NEW: --share of custodians a and b of OLD, then of NEW
# (passphrases in $T/both.pw).
both() {
	printf -- '--share %s --share %s --share %s --share %s --passphrase-fd 3' \
	    "$T/sh-$1/a/$1.share" "$T/sh-$1/b/$1.share" \
	    "$T/sh-$2/a/$2.share" "$T/sh-$2/b/$2.share"
	{ pass_of a; pass_of b; pass_of a; pass_of b; } > "$T/both.pw"
}
snap() { state_snapshot "$S/keyrite.db" "$S" "$O"; }
# pins_are FILE SEQ KEY...: python3 json reads pin set SEQ pinning KEYs.
pins_are() {
	python3 -c '
import json, sys
ps = json.load(open(sys.argv[1]))
assert ps["sequence"] == int(sys.argv[2]), ps["sequence"]
assert [p["key"] for p in ps["pins"]] == sys.argv[3:], ps["pins"]
' "$@"
}
unchanged() {
	if [ "$(snap)" = "$before" ]; then
		ok "$1: state and outputs unchanged"
	else
		fail "$1: the state or the output folder CHANGED"
	fi
}
leaf() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$1.key" -subj "/CN=$1" -out "$T/$1.csr" 2>/dev/null
	issue "$2" cert issue --issuer-key "$2" --csr "$T/$1.csr" \
	    --profile device --out "$T/$1.pem"
	[ "$rc" -eq 0 ] || fail "leaf $1: $(cat "$T/err")"
}
# A root, its issuing CA and a leaf: ROOT ALG SUBJECT ICA LEAF
hierarchy() {
	gen_ca "$S" "$1" "$2" ca || fail "key $1: $(cat "$T/gen.err")"
	issue "$1" cert root --key "$1" --profile root --subject "$3" \
	    --out "$T/$1.pem"
	[ "$rc" -eq 0 ] || fail "root $1: $(cat "$T/err")"
	gen_ca "$S" "$4" p256 ca || fail "key $4: $(cat "$T/gen.err")"
	issue "$1" cert issue --issuer-key "$1" --subject-key "$4" \
	    --profile intermediate --subject "CN=$4" --out "$T/$4.pem"
	[ "$rc" -eq 0 ] || fail "issuing CA $4: $(cat "$T/err")"
	leaf "$5" "$4"
}

hierarchy old p256 "CN=Old Root,O=Example" ica-old leaf-old
hierarchy new ed25519 "CN=New Root,O=Example" ica-new leaf-new
gen_ca "$S" spare p256 ca || fail "spare key"

# --- refusals before anything is signed: nothing asked, nothing changed ---
before=$(snap)
# shellcheck disable=SC2046
run -C "$S" rotate root --old old --new spare --out-dir "$O" \
    $(both old spare) 3<"$T/both.pw"
if [ "$rc" -eq 1 ] && grep -q "key 'spare' has no root certificate" "$T/err" &&
    grep -q "cert root --key spare" "$T/err"; then
	ok "TEST-KEY-420: a new root without its certificate is refused, naming the command that makes it (exit 1)"
else
	fail "TEST-KEY-420: exit $rc"
fi
unchanged "TEST-KEY-420"
# shellcheck disable=SC2046
run -C "$S" rotate root --old old --new new --overlap-days 9000 \
    --out-dir "$O" $(both old new) 3<"$T/both.pw"
if [ "$rc" -eq 1 ] && grep -q "after the old root's certificate expires" \
    "$T/err"; then
	ok "TEST-KEY-421: an overlap past the old root's expiry is refused (exit 1)"
else
	fail "TEST-KEY-421: exit $rc"
fi
unchanged "TEST-KEY-421"
run -C "$S" rotate root --old old --new new --out-dir "$O" \
    --share "$T/sh-old/a/old.share" --share "$T/sh-new/a/new.share" \
    --share "$T/sh-old/b/old.share" --passphrase-fd 3 3</dev/null
if [ "$rc" -eq 2 ] && grep -q "breaks the order" "$T/err"; then
	ok "TEST-KEY-422: shares of the two roots interleaved are refused before any passphrase (exit 2)"
else
	fail "TEST-KEY-422: exit $rc"
fi
run -C "$S" rotate root --old old --new new --out-dir "$O" \
    --share "$T/sh-spare/a/spare.share" --passphrase-fd 3 3</dev/null
if [ "$rc" -eq 2 ] && grep -q "spare.share is not for either root" "$T/err"; then
	ok "TEST-KEY-422: a share of another key is named and refused (exit 2)"
else
	fail "TEST-KEY-422: exit $rc"
fi
unchanged "TEST-KEY-422"

# TEST-KEY-514: an issuing CA given as a root is named as no root (no
# advice to make it one); an unknown link profile lists the shipped ones,
# root-link among them; rotate root --help names --new-days.
# shellcheck disable=SC2046
run -C "$S" rotate root --old ica-old --new new --out-dir "$O" \
    $(both old new) 3</dev/null
if [ "$rc" -eq 1 ] &&
    grep -q "key 'ica-old' is not a root: its certificate valid now (serial [0-9a-f]*) is an intermediate certificate, and --old names a root key" "$T/err" &&
    ! grep -q "cert root --key ica-old" "$T/err"; then
	ok "TEST-KEY-514: --old naming an issuing CA is refused as no root, without advice to make it one (exit 1)"
else
	fail "TEST-KEY-514: --old ica-old: exit $rc"
fi
run -C "$S" rotate root --old old --new new --profile no-such --dry-run
if [ "$rc" -ne 0 ] && grep -q "unknown profile 'no-such'" "$T/err" &&
    grep -q "the shipped profiles are .*root-link" "$T/err"; then
	ok "TEST-KEY-514: an unknown profile lists the shipped profiles, root-link among them (exit $rc)"
else
	fail "TEST-KEY-514: unknown profile: exit $rc"
fi
unchanged "TEST-KEY-514"
run rotate root --help
if grep -q -- "--new-days D" "$T/out" && grep -q -- "--force" "$T/out"; then
	ok "TEST-KEY-514: rotate root --help names --new-days and --force"
else
	fail "TEST-KEY-514: help: $(cat "$T/out")"
fi

run -C "$S" rotate root --old old --new new --overlap-days 3 --dry-run
if [ "$rc" -eq 0 ] && grep -q "Pin set 1 to be signed by keys 'old' and 'new'" \
    "$T/out" && grep -q "Dry run: nothing was signed or recorded" "$T/out"; then
	ok "TEST-KEY-423: --dry-run shows both link certificates and the pin set"
else
	fail "TEST-KEY-423: --dry-run: exit $rc"
fi
unchanged "TEST-KEY-423 (dry run)"

# --- the rotation ---
# stdout and stderr in one capture, in the order they were written.
set +e
# shellcheck disable=SC2046
"$KEYRITE" -C "$S" rotate root --old old --new new --overlap-days 3 \
    --out-dir "$O" $(both old new) 3<"$T/both.pw" >"$T/out" 2>&1
rc=$?
set -e
cp "$T/out" "$T/err"
if [ "$rc" -eq 0 ] && [ -f "$O/link-old-to-new.pem" ] &&
    [ -f "$O/link-new-to-old.pem" ] && [ -f "$O/pinset-1.json" ] &&
    [ -f "$O/pinset-1.json.1.sig" ] && [ -f "$O/pinset-1.json.2.sig" ]; then
	ok "TEST-KEY-423: rotate root wrote both link certificates, the pin set and its two signatures"
else
	fail "TEST-KEY-423: exit $rc: $(ls "$O")"
fi
# line PATTERN: the first line of the capture matching PATTERN (0: none).
line() { grep -n -m 1 -- "$1" "$T/out" | cut -d: -f1 || true; }
c1=$(line "Link certificate to be signed by key 'old'")
c2=$(line "Link certificate to be signed by key 'new'")
p1=$(line "Pin set 1 to be signed by keys 'old' and 'new'")
q1=$(line "^key '[a-z]*': [0-9]-of-[0-9] quorum")
if [ -n "$c1" ] && [ -n "$c2" ] && [ -n "$p1" ] && [ -n "$q1" ] &&
    [ "$c1" -lt "$q1" ] && [ "$c2" -lt "$q1" ] && [ "$p1" -lt "$q1" ]; then
	ok "TEST-KEY-423: each signature was shown (lines $c1, $c2, $p1) before the first quorum was opened (line $q1)"
else
	fail "TEST-KEY-423: previews at lines '$c1' '$c2' '$p1', first quorum at '$q1': $(cat "$T/out")"
fi

# --- paths through the link certificates ---
pv() {
	what=$1
	shift
	if openssl verify -x509_strict "$@" >"$T/v.out" 2>&1; then
		ok "$what"
	else
		fail "$what: $(tail -n 2 "$T/v.out")"
	fi
}
pv "TEST-KEY-424: the new root's leaf verifies with only the old root trusted (link old->new)" \
    -CAfile "$T/old.pem" -untrusted "$O/link-old-to-new.pem" \
    -untrusted "$T/ica-new.pem" "$T/leaf-new.pem"
pv "TEST-KEY-425: the old root's leaf verifies with only the new root trusted (link new->old)" \
    -CAfile "$T/new.pem" -untrusted "$O/link-new-to-old.pem" \
    -untrusted "$T/ica-old.pem" "$T/leaf-old.pem"
if openssl verify -CAfile "$T/old.pem" -untrusted "$T/ica-new.pem" \
    "$T/leaf-new.pem" >/dev/null 2>&1; then
	fail "TEST-KEY-424: the new leaf verified under the old root without the link"
else
	ok "TEST-KEY-424: without the link certificate the path cannot be built"
fi
cat "$T/ica-new.pem" "$O/link-old-to-new.pem" "$T/old.pem" > "$T/chain.pem"
if certtool --verify-chain --infile "$T/chain.pem" 2>/dev/null |
    grep -q "Chain verification output: Verified"; then
	ok "TEST-KEY-424: certtool verifies ica-new <- link <- old root"
else
	fail "TEST-KEY-424: certtool refused the chain through the link"
fi
if openssl x509 -in "$O/link-old-to-new.pem" -noout -subject |
    grep -q "New Root" && openssl x509 -in "$O/link-old-to-new.pem" \
    -noout -issuer | grep -q "Old Root"; then
	ok "TEST-KEY-424: the link old->new names the new root as subject and the old as issuer"
else
	fail "TEST-KEY-424: link names"
fi

# --- the pin set, checked by openssl and python3 from the documented bytes ---
openssl x509 -in "$T/old.pem" -pubkey -noout > "$T/old.pub"
openssl x509 -in "$T/new.pem" -pubkey -noout > "$T/new.pub"
if openssl dgst -sha256 -verify "$T/old.pub" -signature \
    "$O/pinset-1.json.1.sig" "$O/pinset-1.json" >/dev/null 2>&1; then
	ok "TEST-KEY-426: openssl dgst -verify: the old root's ECDSA (DER) signature of the pin set's bytes"
else
	fail "TEST-KEY-426: ECDSA pin set signature refused by openssl"
fi
if openssl pkeyutl -verify -pubin -inkey "$T/new.pub" -rawin \
    -in "$O/pinset-1.json" -sigfile "$O/pinset-1.json.2.sig" >/dev/null 2>&1
then
	ok "TEST-KEY-427: openssl pkeyutl -verify -rawin: the new root's Ed25519 (raw) signature of the pin set's bytes"
else
	fail "TEST-KEY-427: Ed25519 pin set signature refused by openssl"
fi
spki() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -c1-64; }
if python3 - "$O/pinset-1.json" "$(spki "$T/old.pub")" \
    "$(spki "$T/new.pub")" "$(openssl x509 -in "$T/old.pem" -noout -enddate)" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
ps = json.loads(raw)
assert raw.endswith(b"}\n") and raw.count(b"\n") == 1, "one line and a line feed"
assert ps["format"] == "keyrite-pinset" and ps["version"] == 1
assert ps["sequence"] == 1
pins = ps["pins"]
assert [p["spki_sha256"] for p in pins] == [sys.argv[2], sys.argv[3]], pins
assert [p["key"] for p in pins] == ["old", "new"]
assert pins[0]["sig_alg"] == "ecdsa-with-SHA256" and pins[1]["sig_alg"] == "ed25519"
# the old root is trusted until the overlap ends (3 days), not to its expiry
import datetime
nb = datetime.datetime.strptime(ps["issued"], "%Y-%m-%dT%H:%M:%SZ")
na = datetime.datetime.strptime(pins[0]["not_after"], "%Y-%m-%dT%H:%M:%SZ")
assert na - nb == datetime.timedelta(days=3), (nb, na)
PY
then
	ok "TEST-KEY-428: python3 json: the pins are the SHA-256 of each root's SPKI (as openssl computes it), the old one until the overlap's end"
else
	fail "TEST-KEY-428: pin set contents"
fi
expect 0 "Pin set verified" "TEST-KEY-429: pinset verify with both roots" -- \
    pinset verify "$O/pinset-1.json" --root "$T/old.pem" --root "$T/new.pem"
expect 0 "pin 2: key 'new'" "TEST-KEY-429: pinset show" -- \
    pinset show "$O/pinset-1.json"

# --- a pin set changed by one byte ---
mkdir -p "$T/bad"
for f in pinset-1.json pinset-1.json.1.sig pinset-1.json.2.sig; do
	cp "$O/$f" "$T/bad/$f"
done
# change1 OFFSET-PATTERN NEW: one byte after the pattern, still well-formed
change1() {
	cp "$O/pinset-1.json" "$T/bad/pinset-1.json"
	python3 - "$T/bad/pinset-1.json" "$1" "$2" <<'PY'
import sys
p, pat, new = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
b = bytearray(open(p, "rb").read())
i = b.rindex(pat) + len(pat)
# a hash's first digit may already be the one asked for (1 run in 16):
# then another digit, so that one byte always changes
if b[i] == new[0]:
    new = b"0" if new != b"0" else b"1"
b[i] = new[0]
open(p, "wb").write(bytes(b))
PY
}
change1 '"sequence":' 2
expect 1 "does not verify with the key of pin 1" \
    "TEST-KEY-430: a pin set with one byte changed (its sequence) is refused by pinset verify" -- \
    pinset verify "$T/bad/pinset-1.json" --root "$T/old.pem" --root "$T/new.pem"
if openssl dgst -sha256 -verify "$T/old.pub" -signature \
    "$T/bad/pinset-1.json.1.sig" "$T/bad/pinset-1.json" >/dev/null 2>&1; then
	fail "TEST-KEY-430: openssl accepted the changed pin set"
else
	ok "TEST-KEY-430: openssl refuses the changed pin set too"
fi
change1 '"spki_sha256":"' f
expect 1 "is not pinned" \
    "TEST-KEY-430: a pin set with one byte of a pin changed no longer pins that root" -- \
    pinset verify "$T/bad/pinset-1.json" --root "$T/old.pem" --root "$T/new.pem"
cp "$O/pinset-1.json" "$T/bad/pinset-1.json"
printf ' ' >> "$T/bad/pinset-1.json"
expect 2 "not byte for byte" \
    "TEST-KEY-430: a pin set with a byte added is refused as edited" -- \
    pinset verify "$T/bad/pinset-1.json" --root "$T/old.pem" --root "$T/new.pem"
# TEST-KEY-513: a file that is JSON but not the canonical bytes is named
# as edited (re-serialised), whatever its white space; what is no pin set
# at all keeps its own message.
python3 - "$O/pinset-1.json" "$T/bad" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
d = json.loads(raw)
open(sys.argv[2] + "/dumps.json", "w").write(json.dumps(d) + "\n")
open(sys.argv[2] + "/indent.json", "w").write(json.dumps(d, indent=2) + "\n")
open(sys.argv[2] + "/space.json", "wb").write(
    raw.replace(b'"version":', b'"version": ', 1))
d["format"] = "other"
open(sys.argv[2] + "/other.json", "w").write(json.dumps(d) + "\n")
PY
for f in dumps indent space; do
	expect 2 "edited after it was written (re-serialised by another tool" \
	    "TEST-KEY-513: a pin set re-serialised ($f) is named as edited" -- \
	    pinset verify "$T/bad/$f.json" --root "$T/old.pem" --root "$T/new.pem"
done
expect 2 "is not a keyrite pin set of version 1" \
    "TEST-KEY-513: JSON of another format is named as no keyrite pin set" -- \
    pinset verify "$T/bad/other.json" --root "$T/old.pem"
expect 2 "give --root CERT for each pinned root" \
    "TEST-KEY-513: pinset verify without --root is a usage error" -- \
    pinset verify "$O/pinset-1.json"
cp "$O/pinset-1.json" "$T/bad/pinset-1.json"
cp "$O/pinset-1.json.2.sig" "$T/bad/pinset-1.json.1.sig"
expect 1 "pinset-1.json.1.sig does not verify" \
    "TEST-KEY-430: the signatures swapped are refused" -- \
    pinset verify "$T/bad/pinset-1.json" --root "$T/old.pem" --root "$T/new.pem"
expect 2 "has no --root certificate" \
    "TEST-KEY-430: a pin without its root given is named" -- \
    pinset verify "$O/pinset-1.json" --root "$T/old.pem"
expect 1 "is not pinned" "TEST-KEY-430: a root given that is not pinned is named" -- \
    pinset verify "$O/pinset-1.json" --root "$T/old.pem" --root "$T/new.pem" \
    --root "$T/ica-old.pem"

# --- rotate finish ---
mkdir -p "$T/fin"
before=$(snap)
issue new rotate finish --old old --new new --out-dir "$T/fin"
if [ "$rc" -eq 1 ] && grep -q "the overlap of pin set 1 ends on" "$T/err"; then
	ok "TEST-KEY-431: rotate finish before the overlap ends is refused (exit 1)"
else
	fail "TEST-KEY-431: exit $rc"
fi
unchanged "TEST-KEY-431"
issue new rotate finish --old old --new new --out-dir "$T/fin" --force
if [ "$rc" -eq 2 ] && grep -q "no share of key 'old' was given" "$T/err" &&
    ! grep -q "quorum, share set" "$T/out" "$T/err"; then
	ok "TEST-KEY-431: --force without the old root's quorum is refused (exit 2)"
else
	fail "TEST-KEY-431: --force alone: exit $rc"
fi
unchanged "TEST-KEY-431"
# shellcheck disable=SC2046
run -C "$S" rotate finish --old old --new new --out-dir "$T/fin" --force \
    $(both old new) 3<"$T/both.pw"
if [ "$rc" -eq 0 ] && openssl pkeyutl -verify -pubin -inkey "$T/new.pub" \
    -rawin -in "$T/fin/pinset-2.json" -sigfile "$T/fin/pinset-2.json.1.sig" \
    >/dev/null 2>&1 && pins_are "$T/fin/pinset-2.json" 2 new; then
	ok "TEST-KEY-432: rotate finish --force with both quorums: pin set 2 pins the new root alone, its signature checked by openssl"
	grep -q "previous pin set 1 (audit row [0-9]*)" "$T/out" &&
	    grep -q "dropped *key 'old' (CN=Old Root" "$T/out" &&
	    grep -q "kept *key 'new' (CN=New Root" "$T/out" &&
	    ok "TEST-KEY-409: the finish's preview shows pin set 1 and the pin it drops" ||
	    fail "TEST-KEY-409: finish preview: $(cat "$T/out")"
else
	fail "TEST-KEY-432: exit $rc $(cat "$T/err")"
fi
expect 1 "is not pinned" "TEST-KEY-432: the old root is not in pin set 2" -- \
    pinset verify "$T/fin/pinset-2.json" --root "$T/new.pem" --root "$T/old.pem"
# --- the records: audit verify (approvals included) and export ---
expect 0 " 0 not backed by their signatures" \
    "TEST-KEY-434: audit verify after the rotation: every approval of each root backed by its signature" -- \
    -C "$S" audit verify
# The pin set rows, read with sqlite3: each approved digest is the SHA-256
# of the file (sha256sum), and the custodians' approval signatures verify
# with the independent checker (test/tools/approval_check.py).
pinsha=$(sha256sum "$O/pinset-1.json" | cut -c1-64)
n=0
for seq in $(sqlite3 "$S/keyrite.db" "SELECT seq FROM audit WHERE event = \
    'cert.rotate' AND payload LIKE '%\"kind\":\"pinset-signature\"%'"); do
	sqlite3 "$S/keyrite.db" "SELECT payload FROM audit WHERE seq = $seq" |
	    grep -q "\"tbs_sha256\":\"$pinsha\"" &&
	    python3 "$SRCDIR/test/tools/approval_check.py" "$S/keyrite.db" \
	    "$seq" 2>&1 | grep -q "approval signature OK" && n=$((n + 1))
done
[ "$n" -eq 2 ] &&
    ok "TEST-KEY-434: both pin set rows approve the file's SHA-256 (sha256sum), checked by approval_check.py" ||
    fail "TEST-KEY-434: pin set rows: $n of 2"
mkdir -p "$T/exp"
run -C "$S" export --to "$T/exp" --all
if [ "$rc" -eq 0 ] && cmp -s "$T/exp/pinset-1.json" "$O/pinset-1.json" &&
    cmp -s "$T/exp/pinset-1.json.2.sig" "$O/pinset-1.json.2.sig" &&
    cmp -s "$T/exp/pinset-2.json" "$T/fin/pinset-2.json" &&
    (cd "$T/exp" && sha256sum -c SHA256SUMS >/dev/null 2>&1); then
	ok "TEST-KEY-434: export --all carries the pin sets and their signatures (sha256sum -c)"
else
	fail "TEST-KEY-434: export: exit $rc $(cat "$T/err") $(ls "$T/exp" 2>/dev/null)"
fi
# TEST-KEY-511: export --key of either root writes each pin set that pins
# it with every signature (a device trusting only the old root checks
# pin 1's), and the link certificates under their serials.
for k in new old; do
	mkdir -p "$T/exp-$k"
	run -C "$S" export --to "$T/exp-$k" --key "$k"
	if [ "$rc" -eq 0 ] &&
	    cmp -s "$T/exp-$k/pinset-1.json" "$O/pinset-1.json" &&
	    cmp -s "$T/exp-$k/pinset-1.json.1.sig" "$O/pinset-1.json.1.sig" &&
	    cmp -s "$T/exp-$k/pinset-1.json.2.sig" "$O/pinset-1.json.2.sig" &&
	    openssl dgst -sha256 -verify "$T/old.pub" -signature \
	    "$T/exp-$k/pinset-1.json.1.sig" "$T/exp-$k/pinset-1.json" \
	    >/dev/null 2>&1 &&
	    openssl pkeyutl -verify -pubin -inkey "$T/new.pub" -rawin \
	    -in "$T/exp-$k/pinset-1.json" \
	    -sigfile "$T/exp-$k/pinset-1.json.2.sig" >/dev/null 2>&1 &&
	    cmp -s "$T/exp-$k/cert-$(cert_serial "$O/link-old-to-new.pem" |
	    tr 'A-F' 'a-f').pem" "$O/link-old-to-new.pem" &&
	    (cd "$T/exp-$k" && sha256sum -c SHA256SUMS >/dev/null 2>&1); then
		ok "TEST-KEY-511: export --key $k writes pin set 1 with both signatures (openssl checks pin 1's with the old root, pin 2's with the new) and the link old->new as cert-SERIAL.pem"
	else
		fail "TEST-KEY-511: export --key $k: exit $rc $(ls "$T/exp-$k")"
	fi
done
if [ -f "$T/exp-new/pinset-2.json.1.sig" ] &&
    [ ! -e "$T/exp-old/pinset-2.json" ]; then
	ok "TEST-KEY-511: pin set 2 (the new root alone) is exported with --key new, not with --key old, which it does not pin"
else
	fail "TEST-KEY-511: pin set 2 in exports: new: $(ls "$T/exp-new"), old: $(ls "$T/exp-old")"
fi
# --- an issuing CA rotated under the same root (TEST-KEY-436) ---
gen_ca "$S" ica-old-b p256 ca || fail "key ica-old-b"
issue old cert issue --issuer-key old --subject-key ica-old-b \
    --profile intermediate --subject "CN=ica-old-b" --out "$T/ica-old-b.pem"
[ "$rc" -eq 0 ] || fail "ica-old-b: $(cat "$T/err")"
run -C "$S" revoke --issuer-key old --serial "$(cert_serial "$T/ica-old.pem")" \
    --reason superseded
[ "$rc" -eq 0 ] || fail "revoke ica-old: $(cat "$T/err")"
leaf leaf-b ica-old-b
pv "TEST-KEY-436: a leaf of the new issuing CA verifies under the same root" \
    -CAfile "$T/old.pem" -untrusted "$T/ica-old-b.pem" "$T/leaf-b.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/late.key" -subj "/CN=late" -out "$T/late.csr" 2>/dev/null
before=$(snap)
issue ica-old cert issue --issuer-key ica-old --csr "$T/late.csr" \
    --profile device --out "$T/late.pem"
if [ "$rc" -eq 1 ] && grep -q "superseded" "$T/err" && [ ! -e "$T/late.pem" ]; then
	ok "TEST-KEY-436: the superseded issuing CA issues nothing more (exit 1)"
else
	fail "TEST-KEY-436: the old issuing CA still issued: exit $rc"
fi
unchanged "TEST-KEY-436"
issue ica-old crl publish --issuer-key ica-old --out "$T/ica-old.crl"
if [ "$rc" -eq 0 ] && openssl crl -in "$T/ica-old.crl" -inform DER -noout \
    -CAfile "$T/ica-old.pem" 2>&1 | grep -q "verify OK"; then
	ok "TEST-KEY-436: the superseded issuing CA still publishes its CRL (openssl crl -verify)"
else
	fail "TEST-KEY-436: CRL of the old issuing CA: exit $rc $(cat "$T/err")"
fi
run -C "$S" status
if grep -q "ica-old: certificate .*superseded.*may only publish its last CRLs" \
    "$T/out"; then
	ok "TEST-KEY-436: status shows the old issuing CA kept for its CRLs"
else
	fail "TEST-KEY-436: status: $(cat "$T/out")"
fi

mkdir -p "$T/fin2"
set +e
# shellcheck disable=SC2046
faketime -f '+4d' "$KEYRITE" -C "$S" rotate finish --old old --new new \
    --out-dir "$T/fin2" $(quorum new) 3<"$T/ab.pw" >"$T/out" 2>"$T/err"
rc=$?
set -e
if [ "$rc" -eq 0 ] && kr pinset verify "$T/fin2/pinset-3.json" \
    --root "$T/new.pem" >/dev/null 2>&1; then
	ok "TEST-KEY-433: after the overlap (faketime +4 days) rotate finish needs only the new root's quorum"
else
	fail "TEST-KEY-433: exit $rc $(cat "$T/err")"
fi

# --- TEST-KEY-490..492: rotate root --new-subject makes the new root too ---
# A second appliance: an old P-256 root with an issuing CA and a leaf, and
# a new Ed25519 key with no certificate; one command makes the new root's
# certificate, both links and the pin set, each root's quorum asked once.
S="$T/state2"
O="$T/rot2"
mkdir -p "$O"
make_state "$S"
hierarchy m-old p256 "CN=Old Root M,O=Example" m-ica-old m-leaf-old
gen_ca "$S" m-new ed25519 ca || fail "key m-new: $(cat "$T/gen.err")"
gen_ca "$S" m-ref ed25519 ca || fail "key m-ref: $(cat "$T/gen.err")"
issue m-ref cert root --key m-ref --profile root --subject \
    "CN=New Root M,O=Example" --out "$T/m-ref.pem"
[ "$rc" -eq 0 ] || fail "root m-ref: $(cat "$T/err")"

before=$(snap)
# shellcheck disable=SC2046
run -C "$S" rotate root --old m-old --new m-new --out-dir "$O" \
    $(both m-old m-new) 3<"$T/both.pw"
if [ "$rc" -eq 1 ] && grep -q "key 'm-new' has no root certificate valid now: give --new-subject DN" "$T/err"; then
	ok "TEST-KEY-491: a new key without a root certificate and no --new-subject is refused, naming --new-subject (exit 1)"
else
	fail "TEST-KEY-491: no --new-subject: exit $rc"
fi
unchanged "TEST-KEY-491 (no --new-subject)"
# shellcheck disable=SC2046
run -C "$S" rotate root --old m-old --new m-ref --new-subject "CN=Again" \
    --out-dir "$O" $(both m-old m-ref) 3<"$T/both.pw"
if [ "$rc" -eq 1 ] && grep -q "key 'm-ref' already has a root certificate valid now" "$T/err" &&
    ! grep -q "quorum" "$T/err"; then
	ok "TEST-KEY-491: --new-subject for a key that has its root certificate is refused before any passphrase (exit 1)"
else
	fail "TEST-KEY-491: --new-subject with a root: exit $rc"
fi
unchanged "TEST-KEY-491 (--new-subject with a root)"
# shellcheck disable=SC2046
run -C "$S" rotate root --old m-old --new m-new --new-subject "New Root M" \
    --out-dir "$O" $(both m-old m-new) 3<"$T/both.pw"
if [ "$rc" -eq 2 ] && grep -q "the root certificate of key 'm-new': .*\"New Root M\" has no '='" "$T/err" &&
    ! grep -q "quorum" "$T/err"; then
	ok "TEST-KEY-491: a --new-subject that is no DN is refused before any quorum, naming the new root (exit 2)"
else
	fail "TEST-KEY-491: bad --new-subject: exit $rc"
fi
unchanged "TEST-KEY-491 (bad --new-subject)"
run -C "$S" rotate root --old m-old --new m-new --new-profile root \
    --dry-run
if [ "$rc" -eq 2 ] && grep -q "new-days go with --new-subject" "$T/err"; then
	ok "TEST-KEY-491: --new-profile without --new-subject is a usage error (exit 2)"
else
	fail "TEST-KEY-491: --new-profile alone: exit $rc"
fi
run -C "$S" rotate root --old m-old --new m-new --new-days 3650 --dry-run
if [ "$rc" -eq 2 ] && grep -q "new-days go with --new-subject" "$T/err"; then
	ok "TEST-KEY-491: --new-days without --new-subject is a usage error (exit 2)"
else
	fail "TEST-KEY-491: --new-days alone: exit $rc"
fi
run -C "$S" rotate root --old m-old --new m-new --new-subject \
    "CN=New Root M,O=Example" --overlap-days 3 --dry-run
if [ "$rc" -eq 0 ] && grep -q "Root certificate to be signed by key 'm-new'" "$T/out" &&
    grep -q "Link certificate to be signed by key 'm-new'" "$T/out" &&
    grep -q "Pin set 1 to be signed by keys 'm-old' and 'm-new'" "$T/out" &&
    grep -q "Dry run: nothing was signed" "$T/out"; then
	ok "TEST-KEY-490: --dry-run --new-subject shows the new root, both links and the pin set"
else
	fail "TEST-KEY-490: dry run: exit $rc $(cat "$T/out")"
fi
unchanged "TEST-KEY-490 (dry run)"

# TEST-KEY-512: at a terminal (tmux), the whole preview (the new root,
# both link certificates, the pin set) comes before the one question.
if command -v tmux >/dev/null; then
	tty_begin rot
	session "'$KEYRITE' -C '$S' rotate root --old m-old --new m-new --new-subject 'CN=New Root M,O=Example' --overlap-days 3 --out-dir '$O' $(both m-old m-new) 3<'$T/both.pw'"
	wait_for "Proceed? \[y/N\]" || true
	tm send-keys "n" Enter
	wait_for "EXIT=" || true
	pl() { grep -n -m 1 -- "$1" "$T/pane" | cut -d: -f1; }
	r0=$(pl "Root certificate to be signed by key 'm-new'")
	l1=$(pl "Link certificate to be signed by key 'm-old'")
	l2=$(pl "Link certificate to be signed by key 'm-new'")
	p0=$(pl "Pin set 1 to be signed by keys 'm-old' and 'm-new'")
	a0=$(pl "Proceed? \[y/N\]")
	if [ "$(grep -c "Proceed? \[y/N\]" "$T/pane")" = 1 ] &&
	    [ -n "$r0" ] && [ -n "$l1" ] && [ -n "$l2" ] && [ -n "$p0" ] &&
	    [ "$r0" -lt "$l1" ] && [ "$l1" -lt "$l2" ] && [ "$l2" -lt "$p0" ] &&
	    [ "$p0" -lt "$a0" ] && grep -q "profile *root-link (link certificate)" \
	    "$T/pane" && ! grep -qi "cross" "$T/pane" &&
	    grep -q "EXIT=1" "$T/pane" && grep -q "not approved" "$T/pane" &&
	    ! grep -q "Passphrase of custodian" "$T/pane"; then
		ok "TEST-KEY-512: at a terminal rotate root shows the new root, both link certificates and the pin set (lines $r0 $l1 $l2 $p0), then asks Proceed? once (line $a0); answered n, refused (exit 1)"
	else
		fail "TEST-KEY-512: terminal: $(grep -n "to be signed\|Proceed\|EXIT" "$T/pane")"
	fi
	unchanged "TEST-KEY-512 (answered n)"
else
	ok "# SKIP TEST-KEY-512: tmux is not installed (./run test installs it)"
fi

# TEST-KEY-492: a wrong passphrase of the new root's custodian b.  The one
# row it leaves is the appliance's record of the refused share.
certs() { sqlite3 "$S/keyrite.db" "SELECT * FROM certificates" | sha256sum; }
rows() { sqlite3 "$S/keyrite.db" "SELECT count(*) FROM audit $1"; }
c0=$(certs)
n0=$(rows "")
# shellcheck disable=SC2046
set -- $(both m-old m-new)
{ pass_of a; pass_of b; pass_of a; echo "not the passphrase of b"; } \
    > "$T/both.pw"
run -C "$S" rotate root --old m-old --new m-new --new-subject \
    "CN=New Root M,O=Example" --overlap-days 3 --out-dir "$O" "$@" \
    3<"$T/both.pw"
if [ "$rc" -eq 1 ] && grep -q "custodian 'b' (share file .*m-new.share) is wrong" "$T/err" &&
    [ -z "$(ls "$O")" ] && [ "$(certs)" = "$c0" ] &&
    [ "$(rows "")" -eq $((n0 + 1)) ] &&
    [ "$(rows "WHERE seq > $n0 AND event = 'quorum.refused' AND payload LIKE '%\"key\":\"m-new\",\"custodian\":\"b\"%'")" = 1 ]; then
	ok "TEST-KEY-492: a wrong passphrase of the new root's quorum: refused (exit 1), nothing written, no certificate, link or pin set recorded (only the quorum.refused row of m-new's custodian b)"
else
	fail "TEST-KEY-492: wrong passphrase: exit $rc, files: $(ls "$O"), rows $n0 -> $(rows "")"
fi

set +e
# shellcheck disable=SC2046
"$KEYRITE" -C "$S" rotate root --old m-old --new m-new --new-subject \
    "CN=New Root M,O=Example" --overlap-days 3 --out-dir "$O" \
    $(both m-old m-new) 3<"$T/both.pw" >"$T/out" 2>&1
rc=$?
set -e
cp "$T/out" "$T/err"
cp "$T/out" "$T/rot2.out"
if [ "$rc" -eq 0 ] && [ -f "$O/root-m-new.pem" ] &&
    [ -f "$O/link-m-old-to-m-new.pem" ] && [ -f "$O/link-m-new-to-m-old.pem" ] &&
    [ -f "$O/pinset-1.json.2.sig" ] &&
    grep -q "new root certificate: serial $(cert_serial "$O/root-m-new.pem" |
    tr 'A-F' 'a-f') (key 'm-new')" "$T/rot2.out"; then
	ok "TEST-KEY-490: one rotate root --new-subject wrote the new root, both links, the pin set and its signatures"
else
	fail "TEST-KEY-490: exit $rc: $(ls "$O")"
fi
# The new root: self-signed, verified by openssl, and in its fields what
# `cert root` makes (m-ref: the same profile and subject, another key).
pv "TEST-KEY-490: openssl verify: the new root certificate is self-signed" \
    -CAfile "$O/root-m-new.pem" "$O/root-m-new.pem"
kr -C "$S" key export-public m-new > "$T/m-new.pub"
openssl x509 -in "$O/root-m-new.pem" -noout -pubkey > "$T/m-new.cpub"
fields() {
	openssl x509 -in "$1" -noout -text -certopt \
	    no_serial,no_sigdump,no_pubkey,no_validity |
	    sed '/Key Identifier:/{n;d;}'
	openssl x509 -in "$1" -noout -startdate -enddate | python3 -c '
import sys, datetime
d = [datetime.datetime.strptime(l.split("=", 1)[1].strip(),
    "%b %d %H:%M:%S %Y %Z") for l in sys.stdin]
print("days", (d[1] - d[0]).days)'
}
fields "$O/root-m-new.pem" > "$T/m-new.fields"
if cmp -s "$T/m-new.pub" "$T/m-new.cpub" &&
    grep -q "Subject: CN *= *New Root M" "$T/m-new.fields" &&
    grep -q "X509v3 Basic Constraints: critical" "$T/m-new.fields" &&
    grep -q "^days [1-9]" "$T/m-new.fields" &&
    [ "$(fields "$O/root-m-new.pem")" = "$(fields "$T/m-ref.pem")" ] &&
    openssl x509 -in "$O/root-m-new.pem" -noout -subject -issuer |
    grep -c "CN *= *New Root M, *O *= *Example" | grep -q 2; then
	ok "TEST-KEY-490: the new root holds key m-new (key export-public) and, but for serial, key, validity dates and key identifiers, the fields of a cert root certificate (openssl x509 -text)"
else
	fail "TEST-KEY-490: new root fields: $(fields "$O/root-m-new.pem" | diff - "$(fields "$T/m-ref.pem")" 2>&1 | head -5)"
fi
# The links carry the new root's subject, key and key identifier as the
# signed root has them (prepared before it was signed, from its TBS).
xv() { openssl x509 -in "$1" -noout "$2" "$3" 2>/dev/null |
    sed -e 's/^[a-z]*=//' -e 's/keyid://' -e '/Identifier/d' | tr -d ' '; }
if [ "$(xv "$O/link-m-old-to-m-new.pem" -subject -pubkey)" = \
    "$(xv "$O/root-m-new.pem" -subject -pubkey)" ] &&
    [ "$(xv "$O/link-m-old-to-m-new.pem" -ext subjectKeyIdentifier)" = \
    "$(xv "$O/root-m-new.pem" -ext subjectKeyIdentifier)" ] &&
    [ "$(xv "$O/link-m-new-to-m-old.pem" -issuer)" = \
    "$(xv "$O/root-m-new.pem" -subject)" ] &&
    [ "$(xv "$O/link-m-new-to-m-old.pem" -ext authorityKeyIdentifier)" = \
    "$(xv "$O/root-m-new.pem" -ext subjectKeyIdentifier)" ] &&
    [ -n "$(xv "$O/root-m-new.pem" -ext subjectKeyIdentifier)" ]; then
	ok "TEST-KEY-490: link old->new has the signed new root's subject, key and SKI; link new->old its subject as issuer and its SKI as AKI (openssl x509)"
else
	fail "TEST-KEY-490: link fields differ from the new root's"
fi
gen_ca "$S" m-ica-new p256 ca || fail "key m-ica-new"
issue m-new cert issue --issuer-key m-new --subject-key m-ica-new \
    --profile intermediate --subject "CN=m-ica-new" --out "$T/m-ica-new.pem"
[ "$rc" -eq 0 ] || fail "issuing CA m-ica-new: $(cat "$T/err")"
leaf m-leaf-new m-ica-new
pv "TEST-KEY-490: a leaf under the new root verifies with only the old root trusted (link old->new)" \
    -CAfile "$T/m-old.pem" -untrusted "$O/link-m-old-to-m-new.pem" \
    -untrusted "$T/m-ica-new.pem" "$T/m-leaf-new.pem"
pv "TEST-KEY-490: a leaf under the old root verifies with only the new root trusted (link new->old)" \
    -CAfile "$O/root-m-new.pem" -untrusted "$O/link-m-new-to-m-old.pem" \
    -untrusted "$T/m-ica-old.pem" "$T/m-leaf-old.pem"
openssl x509 -in "$T/m-old.pem" -pubkey -noout > "$T/m-old.pub"
if openssl dgst -sha256 -verify "$T/m-old.pub" -signature \
    "$O/pinset-1.json.1.sig" "$O/pinset-1.json" >/dev/null 2>&1 &&
    openssl pkeyutl -verify -pubin -inkey "$T/m-new.cpub" -rawin \
    -in "$O/pinset-1.json" -sigfile "$O/pinset-1.json.2.sig" >/dev/null 2>&1 &&
    python3 -c '
import json, sys
ps = json.load(open(sys.argv[1]))
assert [p["key"] for p in ps["pins"]] == ["m-old", "m-new"]
assert ps["pins"][1]["subject"] == "CN=New Root M,O=Example"
' "$O/pinset-1.json"; then
	ok "TEST-KEY-490: openssl checks both pin set signatures over the file's bytes; pin 2 is the new root made here"
else
	fail "TEST-KEY-490: pin set signatures"
fi
# The records (sqlite3): the new root's cert.root row, approved with the
# rotation (op cert.rotate), and the four cert.rotate rows; each root's
# quorum opened once (one quorum table per key, four passphrase lines for
# four shares), and audit verify backs every approval by its signature.
rootseq=$(sqlite3 "$S/keyrite.db" "SELECT seq FROM audit WHERE event = \
    'cert.root' AND payload LIKE '%\"issuer_key\":\"m-new\"%'")
tbs=$(openssl x509 -in "$O/root-m-new.pem" -outform DER | python3 -c '
import sys, hashlib
d = sys.stdin.buffer.read()
def tl(b, i):
    n = b[i + 1]
    if n < 0x80:
        return i + 2, n
    k = n & 0x7f
    return i + 2 + k, int.from_bytes(b[i + 2:i + 2 + k], "big")
i, _ = tl(d, 0)
j, n = tl(d, i)
print(hashlib.sha256(d[i:j + n]).hexdigest())')
if [ -n "$rootseq" ] &&
    sqlite3 "$S/keyrite.db" "SELECT payload FROM audit WHERE seq = $rootseq" |
    grep -q "\"tbs_sha256\":\"$tbs\".*\"op\":\"cert.rotate\",\"key\":\"m-new\"" &&
    python3 "$SRCDIR/test/tools/approval_check.py" "$S/keyrite.db" \
    "$rootseq" 2>&1 | grep -q "approval signature OK" &&
    [ "$(rows "WHERE seq > $rootseq AND event = 'cert.rotate'")" = 4 ] &&
    [ "$(rows "WHERE event = 'cert.rotate'")" = 4 ]; then
	ok "TEST-KEY-490: sqlite3: the cert.root row of the new root (its TBS SHA-256, approved as part of the rotation, checked by approval_check.py) and after it the four cert.rotate rows"
else
	fail "TEST-KEY-490: rows: cert.root at '$rootseq', $(rows "WHERE event = 'cert.rotate'") cert.rotate"
fi
if [ "$(grep -c "^key 'm-new': [0-9]-of-[0-9] quorum" "$T/rot2.out")" = 1 ] &&
    [ "$(grep -c "^key 'm-old': [0-9]-of-[0-9] quorum" "$T/rot2.out")" = 1 ] &&
    [ "$(wc -l < "$T/both.pw")" = 4 ] &&
    [ "$(grep -n -m 1 "Root certificate to be signed by key 'm-new'" \
    "$T/rot2.out" | cut -d: -f1)" -lt "$(grep -n -m 1 "quorum, share set" \
    "$T/rot2.out" | cut -d: -f1)" ]; then
	ok "TEST-KEY-490: the new root was shown before any quorum opened, and each root's custodians were asked once (one quorum per root, four passphrases for four shares)"
else
	fail "TEST-KEY-490: quorums: $(grep "quorum" "$T/rot2.out")"
fi
expect 0 " 0 not backed by their signatures" \
    "TEST-KEY-490: audit verify: every approval backed by its signature, the new root's included" -- \
    -C "$S" audit verify

# --- TEST-KEY-510: a second rotation before the first overlap ends ---
# m-old -> m-new (pin set 1, overlap 3 days) is still in its overlap:
# rotating m-new -> m-third would sign pin set 2 without m-old, so it is
# refused before any passphrase unless m-old's custodians consent
# (--force with their shares, as `rotate finish --force` asks).
gen_ca "$S" m-third p256 ca || fail "key m-third"
O3="$T/rot2b"
mkdir -p "$O3"
snap() { state_snapshot "$S/keyrite.db" "$S" "$O" "$O3"; }
before=$(snap)
# shellcheck disable=SC2046
run -C "$S" rotate root --old m-new --new m-third --new-subject \
    "CN=Third Root M" --overlap-days 2 --out-dir "$O3" \
    $(both m-new m-third) 3</dev/null
if [ "$rc" -eq 1 ] &&
    grep -q "pin set 1 (audit row [0-9]*) trusts key 'm-old' until 20[0-9-]*T[0-9:]*Z" "$T/err" &&
    grep -q "would pin only keys 'm-new' and 'm-third'" "$T/err" &&
    grep -q "rotate finish --old m-old --new m-new" "$T/err" &&
    grep -q "give --force with the shares of key 'm-old' too" "$T/err" &&
    ! grep -qi "passphrase" "$T/err" && [ -z "$(ls "$O3")" ]; then
	ok "TEST-KEY-510: a rotation dropping a root still in its overlap is refused before any passphrase, naming the root, the overlap's end and both ways on (exit 1)"
else
	fail "TEST-KEY-510: second rotation in the overlap: exit $rc"
fi
unchanged "TEST-KEY-510 (no --force)"
run -C "$S" rotate root --old m-new --new m-third --new-subject \
    "CN=Third Root M" --overlap-days 2 --dry-run
if [ "$rc" -eq 1 ] && grep -q "trusts key 'm-old' until" "$T/err"; then
	ok "TEST-KEY-510: --dry-run refuses it too (exit 1)"
else
	fail "TEST-KEY-510: dry run: exit $rc"
fi
# shellcheck disable=SC2046
run -C "$S" rotate root --old m-new --new m-third --new-subject \
    "CN=Third Root M" --overlap-days 2 --out-dir "$O3" --force \
    $(both m-new m-third) 3</dev/null
if [ "$rc" -eq 2 ] && grep -q "no share of key 'm-old' was given" "$T/err" &&
    ! grep -q "quorum, share set" "$T/out" "$T/err"; then
	ok "TEST-KEY-510: --force without the dropped root's shares is refused before any passphrase (exit 2)"
else
	fail "TEST-KEY-510: --force alone: exit $rc"
fi
unchanged "TEST-KEY-510 (--force without m-old)"
# shellcheck disable=SC2046
set -- $(both m-new m-third)
{ pass_of a; pass_of b; pass_of a; pass_of b; pass_of a; pass_of b; } \
    > "$T/three.pw"
set +e
"$KEYRITE" -C "$S" rotate root --old m-new --new m-third --new-subject \
    "CN=Third Root M" --overlap-days 2 --out-dir "$O3" --force "$@" \
    --share "$T/sh-m-old/a/m-old.share" --share "$T/sh-m-old/b/m-old.share" \
    3<"$T/three.pw" >"$T/out" 2>&1
rc=$?
set -e
cp "$T/out" "$T/err"
openssl x509 -in "$O3/root-m-third.pem" -pubkey -noout > "$T/m-third.pub" \
    2>/dev/null || true
if [ "$rc" -eq 0 ] &&
    grep -q "Pin set 2 to be signed by keys 'm-new' and 'm-third' (dropping key 'm-old', trusted until" "$T/out" &&
    grep -q "dropped *key 'm-old'" "$T/out" &&
    [ "$(grep -c "^key 'm-old': [0-9]-of-[0-9] quorum" "$T/out")" = 1 ] &&
    openssl pkeyutl -verify -pubin -inkey "$T/m-new.cpub" -rawin \
    -in "$O3/pinset-2.json" -sigfile "$O3/pinset-2.json.1.sig" \
    >/dev/null 2>&1 &&
    openssl dgst -sha256 -verify "$T/m-third.pub" -signature \
    "$O3/pinset-2.json.2.sig" "$O3/pinset-2.json" >/dev/null 2>&1 &&
    pins_are "$O3/pinset-2.json" 2 m-new m-third; then
	ok "TEST-KEY-510: with --force and m-old's quorum too, pin set 2 pins m-new and m-third (both signatures checked by openssl)"
else
	fail "TEST-KEY-510: --force with m-old's quorum: exit $rc $(tail -n 5 "$T/out")"
fi
cseq=$(sqlite3 "$S/keyrite.db" "SELECT seq FROM audit WHERE event = \
    'cert.rotate' AND payload LIKE '%\"kind\":\"pinset-consent\"%' \
    AND payload LIKE '%\"key\":\"m-old\"%'")
if [ -n "$cseq" ] &&
    sqlite3 "$S/keyrite.db" "SELECT payload FROM audit WHERE seq = $cseq" |
    grep -q "\"tbs_sha256\":\"$(sha256sum "$O3/pinset-2.json" | cut -c1-64)\"" &&
    python3 "$SRCDIR/test/tools/approval_check.py" "$S/keyrite.db" \
    "$cseq" 2>&1 | grep -q "approval signature OK"; then
	ok "TEST-KEY-510: m-old's consent is its own cert.rotate row (pinset-consent) over the pin set's SHA-256, its approvals checked by approval_check.py"
else
	fail "TEST-KEY-510: consent row '$cseq'"
fi
expect 0 " 0 not backed by their signatures" \
    "TEST-KEY-510: audit verify accepts the consent row" -- -C "$S" audit verify

S="$T/state"
O="$T/rot"
snap() { state_snapshot "$S/keyrite.db" "$S" "$O"; }

# --- a finish after a later rotation would roll the pins back (TEST-KEY-409) ---
# From here on the clock is 5 days ahead, after the entries of the finish.
printf '#!/bin/sh\nexec faketime -f +5d "%s" "$@"\n' "$KEYRITE" > "$T/kr5"
chmod +x "$T/kr5"
KEYRITE="$T/kr5"
gen_ca "$S" third p256 ca || fail "key third"
issue third cert root --key third --profile root --subject "CN=Third Root" \
    --out "$T/third.pem"
[ "$rc" -eq 0 ] || fail "root third: $(cat "$T/err")"
mkdir -p "$T/rot3"
# shellcheck disable=SC2046
run -C "$S" rotate root --old new --new third --overlap-days 3 \
    --out-dir "$T/rot3" $(both new third) 3<"$T/both.pw"
if [ "$rc" -eq 0 ] && grep -q "previous pin set 3 (audit row [0-9]*)" "$T/out" &&
    grep -q "kept *key 'new' (CN=New Root" "$T/out" &&
    pins_are "$T/rot3/pinset-4.json" 4 new third; then
	ok "TEST-KEY-409: rotate root new -> third signs pin set 4, its preview showing pin set 3 and the key it keeps"
else
	fail "TEST-KEY-409: rotate new -> third: exit $rc $(cat "$T/err")"
fi
mkdir -p "$T/fin3"
before=$(snap)
# shellcheck disable=SC2046
run -C "$S" rotate finish --old old --new new --out-dir "$T/fin3" --force \
    $(both old new) 3<"$T/both.pw"
if [ "$rc" -eq 1 ] && grep -q "pin set 4 (audit row [0-9]*) came after the rotation from key 'old' to key 'new'" "$T/err" &&
    grep -q "pins key 'third' too" "$T/err" &&
    grep -q "rotate finish --old new --new third" "$T/err" &&
    ! grep -qi "passphrase" "$T/err" && [ ! -e "$T/fin3/pinset-5.json" ]; then
	ok "TEST-KEY-409: rotate finish of the earlier rotation is refused: it would drop the third root (exit 1)"
else
	fail "TEST-KEY-409: finish old -> new after new -> third: exit $rc $(cat "$T/err")"
fi
unchanged "TEST-KEY-409"

# --- TEST-KEY-515: docs/rotation.md's walk-through runs as written ---
# Its commands (the code blocks of "## Walk-through", continuation lines
# joined) run in order at a terminal (test/tools/pty_answer.py answers as
# the custodians would), /srv and /media folders of this test; the last
# step, "when the overlap has ended", under faketime a year and a day on.
W="$T/walk"
mkdir -p "$W/srv" "$W/media/shares" "$W/media/public" "$W/dev" "$W/bin"
KEYRITE="$KR_REAL"
make_state "$W/srv/keyrite"
gen_key "$W/srv/keyrite" fleet-root 2 "$W/media/shares" alice bob carol ||
    fail "fleet-root: $(cat "$T/gen.err")"
{ pass_of alice; pass_of bob; } > "$T/ab2.pw"
run -C "$W/srv/keyrite" cert root --key fleet-root --profile root \
    --subject "CN=Fleet Root CA,O=Example,C=NL" \
    --out "$W/media/public/fleet-root.pem" \
    --share "$W/media/shares/alice/fleet-root.share" \
    --share "$W/media/shares/bob/fleet-root.share" --passphrase-fd 3 \
    3<"$T/ab2.pw"
[ "$rc" -eq 0 ] || fail "fleet-root certificate: $(cat "$T/err")"
# A year on, the first entry's clock jump is confirmed (docs/threat-model.md).
printf '#!/bin/sh\nexec faketime -f +366d "%s" --confirm-date %s "$@"\n' \
    "$KR_REAL" "$(date -u -d '+366 days' +%Y-%m-%d)" > "$W/bin/keyrite"
chmod +x "$W/bin/keyrite"
# walk_script FIRST LAST BIN: steps FIRST..LAST as a script in $T/walk.sh
walk_script() {
	python3 - "$SRCDIR/docs/rotation.md" "$1" "$2" <<'PY' > "$T/walk.cmds"
import re, sys
inside, step, cmd = False, 0, ""
for line in open(sys.argv[1]).read().split("\n"):
    if line.startswith("## "):
        inside = line[3:].strip() == "Walk-through"
        continue
    m = re.match(r"^(\d+)\. ", line)
    if inside and m:
        step = int(m.group(1))
    if inside and line.startswith("        ") and \
            int(sys.argv[2]) <= step <= int(sys.argv[3]):
        cmd += line.strip() if cmd else line[8:]
        if cmd.endswith("\\"):
            cmd = cmd[:-1]
        else:
            print(cmd)
            cmd = ""
PY
	cmds_script "$T/walk.cmds" "$W" "$W/dev" "$3" > "$T/walk.sh"
}
walk_run() {
	set +e
	python3 "$SRCDIR/test/tools/pty_answer.py" sh "$T/walk.sh" \
	    > "$T/walk.tty" 2>&1
	rc=$?
	set -e
	last=$(sed -n 's/^### command \([0-9]*\).*/\1/p' "$T/walk.tty" | tail -n 1)
	if [ "$rc" -eq 0 ] && grep -q COMMANDS-DONE "$T/walk.tty"; then
		ok "$1: all $(wc -l < "$T/walk.cmds" | tr -d ' ') commands ran as written"
	else
		fail "$1: command $last failed (exit $rc): $(sed -n "${last}p" "$T/walk.cmds")"
		tail -n 15 "$T/walk.tty" | sed 's/^/#   tty: /'
	fi
}
walk_script 1 4 "$(dirname "$KR_REAL")"
if ! grep -q "issuing-2.pem" "$T/walk.cmds" ||
    ! grep -q "device.pem" "$T/walk.cmds" ||
    ! grep -q "^openssl verify" "$T/walk.cmds"; then
	fail "TEST-KEY-515: the walk-through's steps 1-4 lack the issuing CA, the device or the check"
fi
walk_run "TEST-KEY-515: rotation.md steps 1-4 (the new root key, the rotation, an issuing CA and a device under the new root, the checks)"
P="$W/media/public"
if grep -q "^Pin set verified\|Pin set verified" "$T/walk.tty" &&
    grep -q "device.pem: OK" "$T/walk.tty" &&
    openssl verify -x509_strict -CAfile "$P/fleet-root.pem" \
    -untrusted "$P/link-fleet-root-to-fleet-root-2.pem" \
    -untrusted "$P/issuing-2.pem" "$P/device.pem" >/dev/null 2>&1 &&
    openssl verify -x509_strict -CAfile "$P/root-fleet-root-2.pem" \
    -untrusted "$P/issuing-2.pem" "$P/device.pem" >/dev/null 2>&1 &&
    [ "$(grep -c "Proceed? \[y/N\]" "$T/walk.tty")" -eq 3 ]; then
	ok "TEST-KEY-515: pinset verify and openssl verify in the walk-through passed; its device verifies with only the old root trusted (through the link) and with the new root (openssl verify -x509_strict); one Proceed? each for the rotation and the two certificates"
else
	fail "TEST-KEY-515: the walk-through's checks: $(ls "$P" | tr '\n' ' ') $(grep -c "Proceed?" "$T/walk.tty") questions"
fi
walk_script 5 5 "$W/bin"
walk_run "TEST-KEY-515: rotation.md step 5 (rotate finish, the clock a year and a day on)"
openssl x509 -in "$P/root-fleet-root-2.pem" -pubkey -noout > "$T/fr2.pub"
if openssl dgst -sha384 -verify "$T/fr2.pub" -signature \
    "$P/pinset-2.json.1.sig" "$P/pinset-2.json" >/dev/null 2>&1 &&
    pins_are "$P/pinset-2.json" 2 fleet-root-2; then
	ok "TEST-KEY-515: the walk-through's final pin set pins fleet-root-2 alone, its P-384 signature checked by openssl dgst -sha384"
else
	fail "TEST-KEY-515: final pin set: $(ls "$P" | tr '\n' ' ')"
fi

finish
