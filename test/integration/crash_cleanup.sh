#!/bin/sh
# TEST-KEY-052: the open-time cleanup.  Commands that only read change
# nothing and clean nothing; the next command that changes state removes
# keyrite's stale temporary files, an unrecorded CRL copy and sealed file
# left by an earlier keyrite (which blocked the next publication and the
# key name), and the file of a key recorded as destroyed, and says so; a
# key recorded before its share folder was taken away gets its share files
# named once the folder is back (the journal waits for it), and an
# unrecorded one leaves no blocked name.
# TEST-KEY-053: a write over the file size limit (ulimit -f, SIGXFSZ) is a
# clear error, not a killed process, and leaves no temporary file: an
# output too large is recorded and not released; a record that cannot be
# written changes nothing.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
O="$T/o"
mkdir -p "$O"
make_state "$S"
db() { sqlite3 "$S/keyrite.db" "$1"; }
gen_ca "$S" root p256 ca || fail "root key: $(cat "$T/gen.err")"
gen_ca "$S" fw p256 firmware || fail "firmware key: $(cat "$T/gen.err")"
# shellcheck disable=SC2046
run -C "$S" cert root --key root --profile root --subject "CN=Cleanup Root,C=DE" \
    --out "$O/root.pem" $(quorum root) 3<"$T/ab.pw"
# shellcheck disable=SC2046
run -C "$S" crl publish --issuer-key root --out "$O/crl1.der" $(quorum root) 3<"$T/ab.pw"
[ "$rc" -eq 0 ] || fail "CRL 1: $(cat "$T/err")"
crl1=$(db "select location from crls where number = 1")

# --- leftovers of interrupted runs and of earlier keyrite versions ----------
hex=0123456789abcdef
cp "$S/keys/root.sealed" "$S/keys/root.sealed.tmp-$hex"
cp "$S/$crl1" "$S/crls/$(basename "$crl1").tmp-$hex"
: > "$S/keyrite.db.tmp-$hex"
# An unrecorded CRL 2 and an unrecorded key 'ghost', as earlier keyrite
# versions left them after a kill.
crl2=$(echo "$crl1" | sed 's/-1\.crl$/-2.crl/')
cp "$S/$crl1" "$S/$crl2"
cp "$S/keys/root.sealed" "$S/keys/ghost.sealed"

snap=$(state_snapshot "$S/keyrite.db" "$S")
for c in "key list" "status" "audit verify" "cert list"; do
	# shellcheck disable=SC2086
	run -C "$S" $c
	[ "$rc" -eq 0 ] || fail "$c: $(cat "$T/err")"
	grep -q "cleanup" "$T/err" && fail "$c (read-only) cleaned up"
done
[ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    ok "commands that only read leave every leftover as it was" ||
    fail "a read-only command changed the state folder"

# shellcheck disable=SC2046
run -C "$S" crl publish --issuer-key root --out "$O/crl2.der" $(quorum root) 3<"$T/ab.pw"
[ "$rc" -eq 0 ] && ok "crl publish works although an unrecorded CRL 2 was in crls/" ||
    fail "crl publish after leftovers: $(cat "$T/err")"
for want in "removed keys/root.sealed.tmp-$hex" "removed crls/$(basename "$crl1").tmp-$hex" \
    "removed keyrite.db.tmp-$hex" "$crl2: CRL 2 of 'root' has no record" \
    "removed keys/ghost.sealed: no key record owns it"; do
	grep -q "state folder cleanup after an interrupted run: $want" "$T/err" &&
	    ok "the next command that changes state says: $want" ||
	    fail "no notice '$want': $(cat "$T/err")"
done
[ -z "$(find "$S" -name '*.tmp-*')" ] && [ ! -e "$S/keys/ghost.sealed" ] &&
    ok "no temporary file and no unowned sealed file is left" || fail "leftovers remain"
# The unrecorded copy is evidence: kept, and its number never reused.
crl3=$(echo "$crl1" | sed 's/-1\.crl$/-3.crl/')
[ "$(db "select count(*) from crls where number = 2")" = 0 ] &&
    [ "$(db "select sha256 from crls where number = 3")" = "$(sha256sum "$O/crl2.der" | cut -d' ' -f1)" ] &&
    [ "$(sha256sum "$S/$crl3" | cut -d' ' -f1)" = "$(sha256sum "$O/crl2.der" | cut -d' ' -f1)" ] &&
    cmp -s "$S/$crl1" "$S/$crl2" &&
    ok "the new CRL is numbered 3, above the unrecorded copy 2, which is kept" || fail "CRL 3 record"
mkdir -p "$T/sh-ghost"
for c in a b c; do pass_of "$c"; done > "$T/abc.pw"
run -C "$S" key generate ghost --alg p256 --purpose ca --threshold 2 --custodian a \
    --custodian b --custodian c --share-dir "$T/sh-ghost" --passphrase-fd 3 3<"$T/abc.pw"
[ "$rc" -eq 0 ] && ok "the name 'ghost' is no longer blocked" || fail "key generate ghost: $(cat "$T/err")"

# A destroy cut short after its record: the file goes at the next open.
cp "$S/keys/ghost.sealed" "$T/ghost.sealed"
# shellcheck disable=SC2046
run -C "$S" key destroy ghost --share "$T/sh-ghost/a/ghost.share" --share "$T/sh-ghost/b/ghost.share" \
    --passphrase-fd 3 3<"$T/ab.pw"
[ "$rc" -eq 0 ] || fail "key destroy: $(cat "$T/err")"
cp "$T/ghost.sealed" "$S/keys/ghost.sealed"
verify_shares "$S" root "$T/sh-root" a
grep -q "removed keys/ghost.sealed: its key is recorded as destroyed" "$T/err" &&
    [ ! -e "$S/keys/ghost.sealed" ] &&
    ok "the sealed file of a key recorded as destroyed is removed at the next open" ||
    fail "destroyed key file: $(cat "$T/err")"

# --- a key recorded while its share folder was away --------------------------
# kill_keygen SYSCALL N NAME DIR: key generate NAME with its shares in DIR,
# killed by strace at its Nth SYSCALL; the exit status is in $krc.
kill_keygen() {
	set +e
	traced -f -qq -o /dev/null -e trace="$1" -e inject="$1":signal=KILL:when="$2" \
	    "$KEYRITE" -C "$S" key generate "$3" --alg p256 --purpose ca --threshold 2 \
	    --custodian a --custodian b --custodian c --share-dir "$4" \
	    --passphrase-fd 3 3<"$T/abc.pw" >/dev/null 2>&1
	krc=$?
	set -e
}
if command -v strace >/dev/null 2>&1; then
	mkdir -p "$T/media"
	kill_keygen renameat2 1 away "$T/media"
	[ "$krc" -eq 137 ] && [ "$(db "select count(*) from keys where name = 'away'")" -eq 1 ] &&
	    [ ! -e "$T/media/a/away.share" ] && ls "$T/media/a" | grep -q '^away\.share\.tmp-' &&
	    ok "a key generate killed after its commit: recorded, share files under temporary names" ||
	    fail "kill after commit: exit $krc"
	mv "$T/media" "$T/media.away"
	verify_shares "$S" root "$T/sh-root" a
	grep -q "key 'away' is recorded, but its share files are still under temporary names in $T/media, which cannot be read now" "$T/err" &&
	    [ -e "$S/keys/away.sealed" ] && [ -n "$(ls "$S/pending")" ] &&
	    ok "with the share folder away: the sealed file is named, the journal waits, the operator is told" ||
	    fail "share folder away: $(cat "$T/err")"
	mv "$T/media.away" "$T/media"
	verify_shares "$S" root "$T/sh-root" a
	[ "$(grep -c "put $T/media/./away\.share in place" "$T/err")" -eq 3 ] && [ -z "$(ls "$S/pending")" ] &&
	    [ -z "$(find "$T/media" -name '*.tmp-*')" ] &&
	    ok "with the folder back: the three share files get their names, the journal is gone" ||
	    fail "share folder back: $(cat "$T/err")"
	verify_shares "$S" away "$T/media" a c
	[ "$rc" -eq 0 ] && ok "... and two of them unlock key 'away'" || fail "away quorum: $(cat "$T/err")"

	# Killed before its commit, share folder away: nothing blocks the name.
	mkdir -p "$T/media2"
	kill_keygen fsync 8 gone "$T/media2"
	[ "$krc" -eq 137 ] && [ "$(db "select count(*) from keys where name = 'gone'")" -eq 0 ] &&
	    ls "$T/media2/a" | grep -q '^gone\.share\.tmp-' && ! ls "$T/media2/a" | grep -q '\.share$' &&
	    ok "a key generate killed before its commit: nothing recorded, no share under its final name" ||
	    fail "kill before commit: exit $krc, $(ls "$T/media2")"
	mv "$T/media2" "$T/media2.away"
	mkdir -p "$T/media3"
	run -C "$S" key generate gone --alg p256 --purpose ca --threshold 2 --custodian a \
	    --custodian b --custodian c --share-dir "$T/media3" --passphrase-fd 3 3<"$T/abc.pw"
	[ "$rc" -eq 0 ] && grep -q "a key generate of 'gone' was interrupted before it was recorded; its share files may remain in $T/media2" "$T/err" &&
	    [ -z "$(find "$S" -name '*.tmp-*')" ] && [ -z "$(ls "$S/pending")" ] &&
	    ok "the name is not blocked, the operator is told where the unrecorded shares may be" ||
	    fail "gone again: $(cat "$T/err")"
else
	fail "strace is missing (./run test installs it)"
fi

# --- TEST-KEY-053: the file size limit ---------------------------------------
head -c 2000000 /dev/urandom > "$T/big.bin"
before=$(db "select count(*) from signatures")
set +e
# shellcheck disable=SC2046
(ulimit -f 2048 && exec "$KEYRITE" -C "$S" sign firmware --key fw --format mcuboot \
    --header-size 512 --pad-header --in "$T/big.bin" --out "$O/big.img" \
    $(quorum fw) 3<"$T/ab.pw") >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "cannot write $O/big.img: it would be larger than this process may write (the file size limit, ulimit -f)" "$T/err" &&
    ok "an image over ulimit -f is a clear error (exit 2), not a process killed by SIGXFSZ" ||
    fail "ulimit -f output: exit $rc $(cat "$T/err")"
[ ! -e "$O/big.img" ] && [ -z "$(find "$O" "$S" -name '*.tmp-*')" ] &&
    ok "... no output and no temporary file is left" || fail "a file was left: $(ls "$O")"
[ "$(db "select count(*) from signatures")" -eq $((before + 1)) ] &&
    [ "$(db "select count(*) from signatures where output = '$O/big.img'")" -eq 1 ] &&
    run -C "$S" audit verify && [ "$rc" -eq 0 ] &&
    ok "... the signature is recorded and was not released (record before release); audit intact" ||
    fail "ulimit -f record: $(db "select count(*) from signatures")"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/leaf.key" -subj "/CN=x" -out "$T/leaf.csr" 2>/dev/null
snap=$(state_snapshot "$S/keyrite.db" "$S" "$O")
set +e
# shellcheck disable=SC2046
(ulimit -f 1 && exec "$KEYRITE" -C "$S" cert issue --issuer-key root --csr "$T/leaf.csr" \
    --profile firmware-signing --subject "CN=Limit,C=DE" --out "$O/limit.pem" \
    $(quorum root) 3<"$T/ab.pw") >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "keyrite.db" "$T/err" && [ ! -e "$O/limit.pem" ] &&
    ok "a record that cannot be written under ulimit -f is refused (exit 2) naming the database" ||
    fail "ulimit -f 1: exit $rc $(cat "$T/err")"
[ -z "$(find "$O" "$S" -name '*.tmp-*')" ] &&
    [ "$(state_snapshot "$S/keyrite.db" "$S" "$O")" = "$snap" ] &&
    ok "... and changed nothing (database dump and file hashes)" || fail "ulimit -f 1 changed the state"
finish
