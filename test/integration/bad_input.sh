#!/bin/sh
# TEST-KEY-011: bad input gets its own message naming the custodian or file,
# a non-zero exit, no partial file and no database change.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
make_state "$S"
gen_key "$S" root 3 "$T/shares" alice bob carol dave erin ||
    fail "key generate: $(cat "$T/gen.err")"
gen_key "$S" other 2 "$T/other" alice bob frank ||
    fail "second key generate: $(cat "$T/gen.err")"
DB="$S/keyrite.db"
snap() { state_snapshot "$DB" "$S" "$T/shares" "$T/other"; }
before=$(snap)
unchanged() {
	[ "$(snap)" = "$before" ] && ok "$1: state unchanged" ||
	    fail "$1: the state folder or shares changed"
}

# --- shares presented to quorum verify ---------------------------------
printf 'not the passphrase at all\n' > "$T/wrong.pw"
expect 1 "passphrase for custodian 'bob'" "wrong passphrase names the custodian" -- \
    -C "$S" quorum verify --key root --share "$T/shares/bob/root.share" \
    --passphrase-fd 3 3<"$T/wrong.pw"
# TEST-KEY-067: the failed attempt is an audit row of its own (custodian,
# share file digest, time; never the passphrase); nothing else changes.
bobsum=$(sha256sum "$T/shares/bob/root.share" | cut -d' ' -f1)
[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE event = 'quorum.refused' AND actor = 'bob' AND payload LIKE '%$bobsum%' AND time > 0")" = 1 ] &&
    ! sqlite3 "$DB" "SELECT payload FROM audit" | grep -q "not the passphrase" &&
    ok "the wrong passphrase is recorded: custodian, share digest, time, no passphrase" ||
    fail "no quorum.refused row for bob: $(sqlite3 "$DB" "SELECT event, actor, payload FROM audit" | tail -n 2)"
before=$(snap)

pass_of alice > "$T/a.pw"
expect 1 "made for another key" "a share of another key is named" -- \
    -C "$S" quorum verify --key root --share "$T/other/alice/other.share" \
    --passphrase-fd 3 3<"$T/a.pw"

# Flip one byte in the middle of carol's share (a copy).
cp "$T/shares/carol/root.share" "$T/carol-flipped.share"
size=$(stat -c %s "$T/carol-flipped.share")
flip "$T/carol-flipped.share" $((size / 2))
pass_of carol > "$T/c.pw"
expect 1 "carol" "a share with one byte changed is refused, naming carol" -- \
    -C "$S" quorum verify --key root --share "$T/carol-flipped.share" \
    --passphrase-fd 3 3<"$T/c.pw"
grep -q "carol-flipped.share" "$T/err" && ok "... and naming the file" ||
    fail "altered share message does not name the file"

head -c 40 "$T/shares/dave/root.share" > "$T/dave-short.share"
pass_of dave > "$T/d.pw"
expect 2 "dave-short.share" "a truncated share file is named" -- \
    -C "$S" quorum verify --key root --share "$T/dave-short.share" \
    --passphrase-fd 3 3<"$T/d.pw"

printf '%s\n%s\n%s\n' "$(pass_of alice)" "$(pass_of alice)" "$(pass_of bob)" > "$T/dup.pw"
expect 1 "given twice" "the same share twice is refused" -- \
    -C "$S" quorum verify --key root --share "$T/shares/alice/root.share" \
    --share "$T/shares/alice/root.share" --share "$T/shares/bob/root.share" \
    --passphrase-fd 3 3<"$T/dup.pw"

printf '%s\n%s\n' "$(pass_of alice)" "$(pass_of bob)" > "$T/two.pw"
expect 1 "1 more custodian" "fewer than m shares says how many more" -- \
    -C "$S" quorum verify --key root --share "$T/shares/alice/root.share" \
    --share "$T/shares/bob/root.share" --passphrase-fd 3 3<"$T/two.pw"

# A sealed key file altered on disk: the quorum is met, unsealing fails.
cp "$S/keys/root.sealed" "$T/root.sealed.orig"
size=$(stat -c %s "$S/keys/root.sealed")
head -c $((size - 7)) "$T/root.sealed.orig" > "$S/keys/root.sealed"
printf '%s\n%s\n%s\n' "$(pass_of alice)" "$(pass_of bob)" "$(pass_of carol)" > "$T/three.pw"
expect 2 "root.sealed" "a truncated sealed key file is named" -- \
    -C "$S" quorum verify --key root --share "$T/shares/alice/root.share" \
    --share "$T/shares/bob/root.share" --share "$T/shares/carol/root.share" \
    --passphrase-fd 3 3<"$T/three.pw"
cp "$T/root.sealed.orig" "$S/keys/root.sealed"
flip "$S/keys/root.sealed" $((size - 20)) 128
expect 1 "root.sealed" "an altered sealed key file is named" -- \
    -C "$S" quorum verify --key root --share "$T/shares/alice/root.share" \
    --share "$T/shares/bob/root.share" --share "$T/shares/carol/root.share" \
    --passphrase-fd 3 3<"$T/three.pw"
cp "$T/root.sealed.orig" "$S/keys/root.sealed"

# An over-long passphrase line is refused without pushing the next
# custodians' lines out of step: bob and carol are still good.
{ head -c 1500 /dev/zero | tr '\0' x; echo; pass_of bob; pass_of carol; } > "$T/long.pw"
expect 2 "longer than" "an over-long passphrase line is refused" -- \
    -C "$S" quorum verify --key root --share "$T/shares/alice/root.share" \
    --share "$T/shares/bob/root.share" --share "$T/shares/carol/root.share" \
    --passphrase-fd 3 3<"$T/long.pw"
grep -c "^  ok " "$T/out" | grep -q '^2$' && ok "... and the next two shares are still read as good" ||
    fail "the lines after an over-long one were misread"

# TEST-KEY-410: an operation's shares are all read and matched to the key
# before anyone is asked: alice's share with a wrong passphrase line and
# a share of another key refuse the root certificate before alice is
# asked (no quorum.refused row for her), her share reported "unasked";
# a wrong passphrase for the first custodian stops the asking (carol,
# the third, is not asked: one refusal means nothing is unlocked).
refusals() { sqlite3 "$DB" "SELECT count(*) FROM audit WHERE event = 'quorum.refused'"; }
r0=$(refusals)
printf 'not alice passphrase at all\n%s\n' "$(pass_of alice)" > "$T/op.pw"
expect 1 "made for another key" \
    "an operation with a share of another key is refused before any passphrase" -- \
    -C "$S" cert root --key root --profile root --subject "CN=Never" \
    --out "$T/never.pem" --yes --share "$T/shares/alice/root.share" \
    --share "$T/other/alice/other.share" --passphrase-fd 3 3<"$T/op.pw"
[ "$(refusals)" = "$r0" ] && [ ! -e "$T/never.pem" ] &&
    grep -q "^  unasked  $T/shares/alice/root.share" "$T/out" &&
    grep -q "were not asked for their passphrases" "$T/err" &&
    ok "... alice was not asked (no quorum.refused row) and is listed as unasked" ||
    fail "alice asked before the other key's share was refused: $(refusals) refusals; $(cat "$T/out" "$T/err")"
printf 'not alice passphrase at all\n%s\n%s\n' "$(pass_of bob)" "$(pass_of carol)" > "$T/op.pw"
expect 1 "passphrase for custodian 'alice'" \
    "an operation whose first custodian gives a wrong passphrase is refused" -- \
    -C "$S" cert root --key root --profile root --subject "CN=Never" \
    --out "$T/never.pem" --yes --share "$T/shares/alice/root.share" \
    --share "$T/shares/bob/root.share" --share "$T/shares/carol/root.share" \
    --passphrase-fd 3 3<"$T/op.pw"
[ "$(refusals)" = "$((r0 + 1))" ] && [ ! -e "$T/never.pem" ] &&
    [ "$(grep -c '^  unasked ' "$T/out")" -eq 2 ] &&
    ok "... bob and carol were not asked after it (one quorum.refused row, two unasked)" ||
    fail "custodians asked after a refusal: $(cat "$T/out" "$T/err")"
# A wrong passphrase at `sign firmware` is a quorum.refused row of its
# own, committed at once although the command fails (its approval
# subject was not zeroed: the row was left out when stack garbage said
# the operation's own row counts refusals).
mkdir -p "$T/fw"
for c in alice bob; do pass_of "$c"; done > "$T/fw.pw"
run -C "$S" key generate fwk --alg p256 --purpose firmware --threshold 2 \
    --custodian alice --custodian bob --share-dir "$T/fw" \
    --passphrase-fd 3 3<"$T/fw.pw"
[ "$rc" -eq 0 ] || fail "firmware key: $(cat "$T/err")"
head -c 1000 /dev/urandom > "$T/img.bin"
r1=$(refusals)
printf 'not alice passphrase at all\n%s\n' "$(pass_of bob)" > "$T/op.pw"
expect 1 "passphrase for custodian 'alice'" \
    "sign firmware with a wrong passphrase is refused" -- \
    -C "$S" sign firmware --key fwk --format raw --in "$T/img.bin" \
    --out "$T/img.sig" --share "$T/fw/alice/fwk.share" \
    --share "$T/fw/bob/fwk.share" --passphrase-fd 3 3<"$T/op.pw"
[ "$(refusals)" = "$((r1 + 1))" ] && [ ! -e "$T/img.sig" ] &&
    [ "$(sqlite3 "$DB" "SELECT actor FROM audit ORDER BY seq DESC LIMIT 1")" = alice ] &&
    ok "... and recorded as alice's quorum.refused row, nothing written" ||
    fail "sign firmware's wrong passphrase not recorded: $r1 -> $(refusals)"
before=$(snap)

mkfifo "$T/fifo.share"
set +e
timeout 10 "$KEYRITE" -C "$S" quorum verify --key root --share "$T/fifo.share" \
    --passphrase-fd 3 3<"$T/a.pw" >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "not a regular file" "$T/err" &&
    ok "a FIFO given as a share file is refused at once" ||
    fail "FIFO share: exit $rc"
unchanged "refused shares and sealed files"

# --- key generate refusals ---------------------------------------------
mkdir -p "$T/new"
for c in a b c d e; do pass_of "$c"; done > "$T/five.pw"
expect 2 "threshold of 4 needs at least 4 custodians" "m > n is refused" -- \
    -C "$S" key generate k1 --alg p256 --purpose ca --threshold 4 \
    --custodian a --custodian b --custodian c --share-dir "$T/new" \
    --passphrase-fd 3 3<"$T/five.pw"
expect 2 "threshold of 1 is too low" "m < 2 is refused" -- \
    -C "$S" key generate k1 --alg p256 --purpose ca --threshold 1 \
    --custodian a --custodian b --share-dir "$T/new" \
    --passphrase-fd 3 3<"$T/five.pw"
expect 2 "custodian 'b' is named twice" "duplicate custodian names are refused" -- \
    -C "$S" key generate k1 --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian b --custodian b --share-dir "$T/new" \
    --passphrase-fd 3 3<"$T/five.pw"
expect 2 "named twice" "custodian names differing only in case are refused" -- \
    -C "$S" key generate k1 --alg p256 --purpose ca --threshold 2 \
    --custodian Ann --custodian ann --share-dir "$T/new" \
    --passphrase-fd 3 3<"$T/five.pw"
expect 2 "hidden or confusing" "a custodian named '..' is refused" -- \
    -C "$S" key generate k1 --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian .. --share-dir "$T/new" \
    --passphrase-fd 3 3<"$T/five.pw"
expect 2 "FAT and exFAT" "a custodian name FAT cannot store is refused" -- \
    -C "$S" key generate k1 --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian 'b:c' --share-dir "$T/new" \
    --passphrase-fd 3 3<"$T/five.pw"
many=""
i=0
while [ $i -lt 256 ]; do many="$many --custodian c$i"; i=$((i + 1)); done
# shellcheck disable=SC2086
expect 2 "at most 255" "more than 255 custodians are refused" -- \
    -C "$S" key generate k1 --alg p256 --purpose ca --threshold 2 $many \
    --share-dir "$T/new" --passphrase-fd 3 3<"$T/five.pw"
expect 2 "key named 'root' already exists" "an existing key name is refused" -- \
    -C "$S" key generate root --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian b --share-dir "$T/new" \
    --passphrase-fd 3 3<"$T/five.pw"
printf 'short\nshort\n' > "$T/short.pw"
expect 2 "at least 12" "a short passphrase is refused" -- \
    -C "$S" key generate k1 --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian b --share-dir "$T/new" \
    --passphrase-fd 3 3<"$T/short.pw"
printf '%s\n' "$(pass_of a)" > "$T/one.pw"
expect 2 "ended before line 2" "too few passphrase lines are refused" -- \
    -C "$S" key generate k1 --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian b --share-dir "$T/new" \
    --passphrase-fd 3 3<"$T/one.pw"
expect 2 "unknown algorithm" "an unknown algorithm is refused" -- \
    -C "$S" key generate k1 --alg dsa --purpose ca --threshold 2 \
    --custodian a --custodian b --share-dir "$T/new"
expect 2 "does not exist" "a missing share folder is refused" -- \
    -C "$S" key generate k1 --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian b --share-dir "$T/nowhere" \
    --passphrase-fd 3 3<"$T/five.pw"
[ -z "$(ls -A "$T/new")" ] && ok "no share file left behind by refusals" ||
    fail "files left in the share folder: $(ls "$T/new")"
[ "$(ls "$S/keys")" = "$(printf 'fwk.sealed\nother.sealed\nroot.sealed')" ] &&
    ok "no sealed file left behind by refusals" ||
    fail "sealed files: $(ls "$S/keys")"
unchanged "refused key generations"

# --- state folder -------------------------------------------------------
expect 2 "no keyrite state folder" "a missing state folder is named" -- \
    -C "$T/absent" key list
expect 2 "not empty" "init refuses a folder in use" -- -C "$S" init
cp "$S/policy/quorum.yaml" "$T/quorum.yaml.orig"
sed -i 's/min_passphrase_length: 12/min_passphrase_length: 1/' "$S/policy/quorum.yaml"
expect 2 "quorum.yaml has changed since audit row 1 pinned the policy" \
    "a policy file weakened after init is refused" -- -C "$S" key list
cp "$T/quorum.yaml.orig" "$S/policy/quorum.yaml"
# A read-only state folder, as an unprivileged user would see it.
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	R="$T/ro"
	cp -a "$S" "$R"
	mkdir -p "$T/rshares" && chmod 777 "$T/rshares" "$T"
	chown -R nobody "$R"
	chmod -R a-w "$R"
	rsnap=$(state_snapshot "$R/keyrite.db" "$R")
	set +e
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$KEYRITE" -C "$R" key generate k2 --alg p256 --purpose ca \
	    --threshold 2 --custodian a --custodian b --share-dir "$T/rshares" \
	    --passphrase-fd 3 3<"$T/five.pw" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	if [ "$rc" -ne 0 ] && grep -qi "read-only\|cannot" "$T/err"; then
		ok "a read-only state folder is refused (exit $rc)"
	else
		fail "read-only state folder: exit $rc"
	fi
	[ -z "$(ls -A "$T/rshares")" ] && ok "... leaving no share files" ||
	    fail "share files written into a read-only appliance's ceremony"
	[ "$(state_snapshot "$R/keyrite.db" "$R")" = "$rsnap" ] &&
	    ok "... and no change" || fail "read-only folder changed"
else
	echo "# SKIP read-only folder check: needs root and setpriv"
fi
finish
