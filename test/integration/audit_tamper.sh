#!/bin/sh
# TEST-KEY-012: a row changed with the sqlite3 tool makes `audit verify`
# fail and name that row; the clock guard refuses a clock before the
# newest audit entry.
. "$(dirname "$0")/lib.sh"
needs_faketime
set -e

S="$T/state"
make_state "$S"
gen_key "$S" k1 2 "$T/s1" a b c || fail "key generate"
gen_key "$S" k2 2 "$T/s2" a b c || fail "key generate"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && grep -q "intact: 3 rows" "$T/out" &&
    ok "audit chain of 3 rows intact" || fail "audit verify: exit $rc"

cp "$S/keyrite.db" "$T/db.orig"
# The audit table refuses UPDATE and DELETE through triggers; someone with
# the sqlite3 tool drops them first, and the hash chain must still tell.
UNLOCK="DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
sqlite3 "$S/keyrite.db" "$UNLOCK UPDATE audit SET payload = replace(payload, 'k1', 'kX') WHERE seq = 2"
expect 1 "row 2" "a changed payload is named by row" -- -C "$S" audit verify
cp "$T/db.orig" "$S/keyrite.db"
sqlite3 "$S/keyrite.db" "$UNLOCK UPDATE audit SET actor = 'mallory' WHERE seq = 3"
expect 1 "row 3" "a changed actor is named by row" -- -C "$S" audit verify
cp "$T/db.orig" "$S/keyrite.db"
sqlite3 "$S/keyrite.db" "$UNLOCK DELETE FROM audit WHERE seq = 2"
expect 1 "row" "a deleted row is detected" -- -C "$S" audit verify
cp "$T/db.orig" "$S/keyrite.db"
sqlite3 "$S/keyrite.db" "$UNLOCK DELETE FROM audit WHERE seq = 3"
expect 1 "key 'k2' is recorded but its key.generate row is missing" \
    "cutting the newest rows is detected, naming the key" -- -C "$S" audit verify
cp "$T/db.orig" "$S/keyrite.db"
sqlite3 "$S/keyrite.db" "UPDATE meta SET value = 'ceremony' WHERE name = 'kdf_profile'"
expect 2 "not the one chosen at init" "a KDF profile changed in the database is refused" -- \
    -C "$S" key list
cp "$T/db.orig" "$S/keyrite.db"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "restored database verifies again" || fail "restored: exit $rc"

if command -v faketime >/dev/null; then
	set +e
	faketime '2001-01-01 00:00:00' "$KEYRITE" -C "$S" key list >"$T/out" 2>"$T/err"
	rc=$?
	faketime '2001-01-01 00:00:00' "$KEYRITE" -C "$S" revoke --issuer-key k1 \
	    --serial 01 >"$T/out2" 2>"$T/err2"
	rc2=$?
	set -e
	[ "$rc" -eq 0 ] && grep -q "earlier than the newest audit entry" "$T/err" &&
	    ok "a reader with the clock before the newest audit entry works and warns" ||
	    fail "clock guard (reader): exit $rc"
	[ "$rc2" -eq 1 ] && grep -q "earlier than the newest audit entry" "$T/err2" &&
	    ok "a writer with the clock before the newest audit entry is refused" ||
	    fail "clock guard (writer): exit $rc2 $(cat "$T/err2")"
else
	fail "faketime is not installed (./run test installs it)"
fi
finish
