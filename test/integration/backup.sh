#!/bin/sh
# keyrite backup and restore: a consistent copy, checked on the way back,
# the fork guard and a quorum-approved rollback (TEST-KEY-340..346).
. "$(dirname "$0")/lib.sh"
set -e
S="$T/state"
make_state "$S"
gen_ca "$S" root p256 ca
issue root cert root --key root --profile root --subject "CN=Backup Root" \
    --out "$T/root.pem"
[ "$rc" -eq 0 ] && ok "root certificate" || fail "cert root: exit $rc"

# TEST-KEY-340: a backup is made and recorded; it holds no plaintext key.
run -C "$S" backup --to "$T/b1"
if [ "$rc" -eq 0 ] && [ -f "$T/b1/MANIFEST" ] && [ -f "$T/b1/keyrite.db" ]; then
	ok "backup made (exit 0)"
else
	fail "backup: exit $rc"
fi
H1=$(awk '/audit head in the copy/ { print $6 }' "$T/out")
# The head an operator notes right after the backup: its own row's.
HB=$("$KEYRITE" -C "$S" status | awk '/audit head:/ { print $3 }')
if sqlite3 "$S/keyrite.db" "select payload from audit where event = 'backup'" |
    grep -q "\"head\":\"$H1\""; then
	ok "the backup row names the head the copy holds"
else
	fail "no backup row naming $H1"
fi
if grep -rlaE 'PRIVATE KEY-----|BEGIN (EC |RSA )?PRIVATE' "$T/b1" >/dev/null; then
	fail "a private key marker is in the backup"
else
	ok "no private key marker in the backup"
fi
if cmp -s "$S/keys/root.sealed" "$T/b1/keys/root.sealed" &&
    ! openssl pkey -inform DER -in "$T/b1/keys/root.sealed" -noout 2>/dev/null; then
	ok "the sealed file is copied byte for byte and is no DER key"
else
	fail "the sealed file differs or reads as a key"
fi
run -C "$S" backup --to "$T/b1"
[ "$rc" -ne 0 ] && grep -q "already exists" "$T/err" &&
    ok "a backup never writes over a folder" || fail "backup over a folder"

# TEST-KEY-341: restore to a new folder; operations work there.
run restore --from "$T/b1" --to "$T/r1" --expect-head "$H1"
[ "$rc" -eq 0 ] && ok "restored with the copy's head" || fail "restore: $rc"
S1=$S
S="$T/r1"
issue root crl publish --issuer-key root --out "$T/r1.crl"
[ "$rc" -eq 0 ] && ok "crl publish works in the restored folder with the shares" ||
    fail "crl publish in the restored folder: exit $rc"
run -C "$T/r1" audit verify
[ "$rc" -eq 0 ] && ok "audit verify passes in the restored folder" ||
    fail "audit verify in the restored folder: exit $rc"
sqlite3 "$T/r1/keyrite.db" "select event from audit" | grep -qx restore &&
    ok "the restored chain records the restore" || fail "no restore row"
S=$S1

# TEST-KEY-350: restored with the head noted right after the backup (the
# backup's own row, kept in RECORD): no rollback, and the restored chain
# reaches that head; a RECORD changed by one byte is not taken for it.
run restore --from "$T/b1" --to "$T/r5" --expect-head "$HB"
if [ "$rc" -eq 0 ] && sqlite3 "$T/r5/keyrite.db" "select hex(hash) from audit
    where event = 'backup'" | tr 'A-F' 'a-f' | grep -qx "$HB" &&
    "$KEYRITE" -C "$T/r5" audit verify >/dev/null; then
	ok "restored with the head noted after the backup: its row is appended, no rollback"
else
	fail "restore with the post-backup head: exit $rc $(cat "$T/err")"
fi
cp -r "$T/b1" "$T/b5"
sed -i 's/"actor":"/"actor":"x/' "$T/b5/RECORD"
run restore --from "$T/b5" --to "$T/r6" --expect-head "$HB"
[ "$rc" -ne 0 ] && grep -q "rollback" "$T/err" && [ ! -e "$T/r6" ] &&
    ok "a changed RECORD is not the backup's row: refused as a rollback" ||
    fail "changed RECORD: exit $rc"

# TEST-KEY-342: no --expect-head is refused with an explanation.
run restore --from "$T/b1" --to "$T/r0"
[ "$rc" -ne 0 ] && grep -q "fork" "$T/err" && [ ! -e "$T/r0" ] &&
    ok "a restore without --expect-head is refused, nothing created" ||
    fail "restore without --expect-head: exit $rc"

# TEST-KEY-343: an older copy against a newer head: refused, nothing made.
issue root crl publish --issuer-key root --out "$T/s.crl"
HN=$("$KEYRITE" -C "$S" status | awk '/audit head:/ { print $3 }')
run restore --from "$T/b1" --to "$T/r2" --expect-head "$HN"
if [ "$rc" -ne 0 ] && grep -q "rollback" "$T/err" && [ ! -e "$T/r2" ] &&
    [ -z "$(ls "$T" | grep 'r2.tmp-')" ]; then
	ok "rollback refused without a quorum, nothing created (exit $rc)"
else
	fail "rollback without a quorum: exit $rc"
fi

# TEST-KEY-344: the rollback approved by a quorum is recorded.
# shellcheck disable=SC2046
run restore --from "$T/b1" --to "$T/r2" --expect-head "$HN" \
    --approve-rollback --key root $(quorum root) 3<"$T/ab.pw"
if [ "$rc" -eq 0 ] && sqlite3 "$T/r2/keyrite.db" "select payload from audit \
    where event = 'restore.rollback'" | grep -q "\"expected_head\":\"$HN\""; then
	ok "a quorum-approved rollback is restored and recorded"
else
	fail "approved rollback: exit $rc"
fi
"$KEYRITE" -C "$T/r2" audit show | grep -q restore.rollback &&
    ok "audit show lists restore.rollback" || fail "audit show: no rollback row"

# TEST-KEY-345: a byte changed in a backup is refused naming the file.
cp -r "$T/b1" "$T/b2"
printf 'X' | dd of="$T/b2/policy/quorum.yaml" bs=1 seek=10 conv=notrunc \
    2>/dev/null
run restore --from "$T/b2" --to "$T/r3" --expect-head "$H1"
[ "$rc" -ne 0 ] && grep -q "quorum.yaml" "$T/err" && [ ! -e "$T/r3" ] &&
    ok "a changed byte is refused naming the file" ||
    fail "changed backup: exit $rc"
cp -r "$T/b1" "$T/b3"
echo extra > "$T/b3/keys/extra.sealed"
run restore --from "$T/b3" --to "$T/r3" --expect-head "$H1"
[ "$rc" -ne 0 ] && grep -q "extra.sealed" "$T/err" && [ ! -e "$T/r3" ] &&
    ok "a file the MANIFEST does not name is refused" ||
    fail "extra file: exit $rc"
# TEST-KEY-346: key destroy names the backups that still hold the key.
issue root key destroy root --yes
if [ "$rc" -eq 0 ] && grep -q "$T/b1" "$T/out" && grep -q "still holds" "$T/out"; then
	ok "key destroy lists the backup that holds the key"
else
	fail "key destroy: exit $rc, no backup named"
fi
S=$S1
mkdir "$T/r4"
run restore --from "$T/b1" --to "$T/r4" --expect-head "$H1"
[ "$rc" -ne 0 ] && grep -q "already exists" "$T/err" &&
    ok "restore never writes over an existing folder" ||
    fail "restore over a folder: exit $rc"
finish
