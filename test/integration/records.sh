#!/bin/sh
# Records keyrite can trust (issue 9): every record is checked against the
# audit chain before use.  Each case edits the database with the sqlite3
# tool, shows the refusal (message, exit code, unchanged state), and that
# readers still work and say the state is damaged.  Then the clock: a jump
# ahead needs --confirm-date and is recorded; a folder whose newest entry is
# dated in the future is brought back by `audit clock-recover` under a quorum.
# TEST-KEY-034 (bindings), TEST-KEY-035 (damaged state), TEST-KEY-036 (clock).
. "$(dirname "$0")/lib.sh"
needs_faketime
set -e

S="$T/state"
make_state "$S"
gen_ca "$S" root p256 ca
gen_ca "$S" fw p256 firmware
gen_ca "$S" int p256 ca
issue root cert root --key root --profile root --subject "CN=Records Root" \
    --out "$T/root.pem"
[ "$rc" -eq 0 ] && ok "a root certificate" || fail "cert root: $(cat "$T/err")"
# Certificates known from an `openssl ca` index (bound as one range).
{ printf 'V\t351231000000Z\t\t0A1B2C\tunknown\t/CN=one\n'
  printf 'V\t351231000000Z\t\t0C0D\tunknown\t/CN=two\n'
  printf 'V\t351231000000Z\t\t0E0F\tunknown\t/CN=three\n'
  printf 'R\t351231000000Z\t261101120000Z,keyCompromise\t1213\tunknown\t/CN=four\n'
} > "$T/index.txt"
run -C "$S" import openssl-index --issuer-key root "$T/index.txt"
[ "$rc" -eq 0 ] && ok "an index.txt imported" || fail "import: $(cat "$T/err")"
run -C "$S" revoke --issuer-key root --serial 0a1b2c --reason superseded
[ "$rc" -eq 0 ] && ok "a certificate revoked" || fail "revoke: $(cat "$T/err")"
issue root crl publish --issuer-key root --out "$T/crl1.der"
[ "$rc" -eq 0 ] && ok "CRL 1" || fail "crl publish: $(cat "$T/err")"
issue root cert issue --issuer-key root --subject-key int --profile intermediate \
    --subject "CN=Records Issuing CA" --out "$T/int.pem"
[ "$rc" -eq 0 ] && ok "an issuing CA held here" || fail "cert issue: $(cat "$T/err")"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && grep -q "records match the chain" "$T/out" &&
    ok "audit verify replays every record" || fail "audit verify: $(cat "$T/err")"
cp -a "$S" "$T/good"

restore() { rm -rf "$S"; cp -a "$T/good" "$S"; }
snap() { state_snapshot "$S/keyrite.db" "$S"; }
db() { sqlite3 "$S/keyrite.db" "$1"; }

# 1. A key's public key replaced: certified, exported, reported intact before.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/evil.key" 2>/dev/null
openssl pkey -in "$T/evil.key" -pubout -outform DER -out "$T/evil.spki" 2>/dev/null
db "UPDATE keys SET spki = X'$(od -An -v -tx1 "$T/evil.spki" | tr -d ' \n')' WHERE name = 'fw'"
before=$(snap)
issue root cert issue --issuer-key root --subject-key fw --profile firmware-signing \
    --subject "CN=Firmware" --out "$T/fw.pem"
[ "$rc" -eq 1 ] && grep -q "keys row 'fw'.*public key differs" "$T/err" &&
    ok "a replaced public key stops cert issue, naming the key and the column" ||
    fail "replaced key: exit $rc $(cat "$T/err")"
[ ! -e "$T/fw.pem" ] && [ "$(snap)" = "$before" ] &&
    ok "... before the quorum: no certificate, no row" || fail "state changed"
expect 1 "cannot be vouched for" "key export-public of a replaced key refuses" -- \
    -C "$S" key export-public fw
expect 1 "public key differs from what audit row" "audit verify names the row" -- \
    -C "$S" audit verify
restore

# 2. A firmware key's purpose changed to ca.
db "UPDATE keys SET purpose = 'ca' WHERE name = 'fw'"
before=$(snap)
issue fw cert root --key fw --profile root --subject "CN=Not A CA" --out "$T/x.pem"
[ "$rc" -eq 1 ] && grep -q "keys row 'fw'.*purpose differs" "$T/err" &&
    [ "$(snap)" = "$before" ] && [ ! -e "$T/x.pem" ] &&
    ok "a purpose changed in the database makes no CA" || fail "purpose: exit $rc $(cat "$T/err")"
issue root cert issue --issuer-key root --subject-key fw --profile intermediate \
    --subject "CN=Not An Intermediate" --out "$T/y.pem"
[ "$rc" -eq 1 ] && grep -q "keys row 'fw'.*purpose differs" "$T/err" &&
    [ "$(snap)" = "$before" ] && [ ! -e "$T/y.pem" ] &&
    ok "... and gets no CA certificate as --subject-key" || fail "subject-key purpose: exit $rc"
restore

# 3. A custodian's name, the algorithm and m: readers warn, writers refuse.
db "UPDATE custodians SET name = 'mallory' WHERE name = 'a' AND set_id = (SELECT id FROM share_sets WHERE key_id = (SELECT id FROM keys WHERE name = 'root'))"
db "UPDATE keys SET alg = 'p384' WHERE name = 'root'"
db "UPDATE share_sets SET m = 3 WHERE key_id = (SELECT id FROM keys WHERE name = 'root')"
run -C "$S" key show root
[ "$rc" -eq 0 ] && head -n 1 "$T/err" | grep -q "DAMAGED" &&
    ok "key show still works and says first that the state is damaged" ||
    fail "key show: exit $rc"
before=$(snap)
verify_shares "$S" root "$T/sh-root" a b
[ "$rc" -eq 1 ] && grep -q "do not match" "$T/err" && [ "$(snap)" = "$before" ] &&
    ok "quorum verify refuses edited custodians, algorithm and threshold" ||
    fail "quorum verify: exit $rc"
run -C "$S" audit verify
[ "$rc" -eq 1 ] && grep -q "custodians row 'mallory'.*name differs" "$T/out" &&
    grep -q "keys row 'root'.*alg differs" "$T/out" &&
    grep -q "share_sets row .*: m differs" "$T/out" &&
    ok "audit verify lists each changed row and column" || fail "list: $(cat "$T/out")"
restore

# 4. CRL and revocation rows and the recorded copy deleted: no second CRL 1.
db "DROP TRIGGER IF EXISTS audit_no_delete; DELETE FROM crls; DELETE FROM revocations"
rm -f "$S"/crls/*
before=$(snap)
issue root crl publish --issuer-key root --out "$T/crl-again.der"
[ "$rc" -eq 1 ] && grep -q "is missing from the database" "$T/err" &&
    [ ! -e "$T/crl-again.der" ] && [ "$(snap)" = "$before" ] &&
    ok "deleted CRL and revocation rows stop the next CRL before the quorum" ||
    fail "crl after deletion: exit $rc $(cat "$T/err")"
restore

# 5. A broken audit chain: nothing is signed or appended.
db "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'someone else' WHERE seq = 3"
rows=$(db "SELECT count(*) FROM audit")
issue root cert issue --issuer-key root --subject-key fw --profile firmware-signing \
    --subject "CN=Firmware" --out "$T/fw.pem"
[ "$rc" -eq 1 ] && grep -q "chain is broken.*row 3" "$T/err" && [ ! -e "$T/fw.pem" ] &&
    [ "$(db "SELECT count(*) FROM audit")" = "$rows" ] &&
    ok "a broken chain stops cert issue and nothing is appended" ||
    fail "broken chain: exit $rc $(cat "$T/err")"
restore

# 6. An imported row changed: the import's range is named.
db "UPDATE external_certs SET status = 'R' WHERE serial = X'0C0D'"
expect 1 "external_certs rows .* imported by audit row" \
    "a changed imported row is named by its import" -- -C "$S" audit verify
before=$(snap)
run -C "$S" revoke --issuer-key root --serial 0e0f --reason superseded
[ "$rc" -eq 1 ] && grep -q "external_certs rows .* were changed" "$T/err" &&
    [ "$(snap)" = "$before" ] &&
    ok "revoke refuses a serial whose import was changed" || fail "revoke: exit $rc $(cat "$T/err")"
restore
db "UPDATE revocations SET reason = 4 WHERE serial = X'1213'"
before=$(snap)
unasked root crl publish --issuer-key root --out "$T/crl-x.der"
refused 1 "a changed imported revocation stops the CRL before the quorum" \
    "revocations rows .* imported by audit row"
restore

# 8. An index.txt may not speak for a certificate keyrite issued itself.
intserial=$(openssl x509 -in "$T/int.pem" -noout -serial | cut -d= -f2)
printf 'R\t351231000000Z\t261101120000Z,keyCompromise\t%s\tunknown\t/CN=int\n' \
    "$intserial" > "$T/own-index.txt"
before=$(snap)
run -C "$S" import openssl-index --issuer-key root "$T/own-index.txt"
[ "$rc" -eq 1 ] && grep -q "keyrite itself issued" "$T/err" && [ "$(snap)" = "$before" ] &&
    ok "an import naming a certificate keyrite issued is refused" ||
    fail "own serial imported: exit $rc $(cat "$T/err")"

# 9. An imported revocation deleted: an absent serial is not taken on trust.
db "DELETE FROM revocations WHERE serial = X'1213'"
before=$(snap)
run -C "$S" revoke --issuer-key root --serial 1213 --reason superseded
[ "$rc" -eq 1 ] && grep -q "revocations rows .* were changed, deleted or moved" "$T/err" &&
    [ "$(snap)" = "$before" ] &&
    ok "a deleted imported revocation is caught by the next lookup of that issuer" ||
    fail "deleted import row: exit $rc $(cat "$T/err")"
restore

# 10. An import moved to another issuer goes into no CRL.
db "UPDATE revocations SET issuer_key_id = (SELECT id FROM keys WHERE name = 'int') WHERE serial = X'1213'"
before=$(snap)
unasked int crl publish --issuer-key int --out "$T/int-crl.der"
refused 1 "revocations moved to another issuer stop that issuer's CRL" "revocations rows"
unasked root crl publish --issuer-key root --out "$T/root-crl.der"
refused 1 "... and the issuer they were taken from" "revocation"
restore

# 11. The newest audit row and its CRL row cut: the number is not reused.
issue root crl publish --issuer-key root --out "$T/crl2.der"
db "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit); DELETE FROM crls WHERE number = 2"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "(a cut tail leaves an intact chain: only an anchor written down shows it)" ||
    fail "cut tail: audit verify exit $rc"
issue root crl publish --issuer-key root --out "$T/crl-cut.der"
[ "$rc" -eq 0 ] && grep -q "CRL 2 of 'root' has no record" "$T/err" &&
    openssl crl -inform DER -in "$T/crl-cut.der" -noout -text | grep -A1 "CRL Number" | grep -q "3" &&
    [ -n "$(find "$S/crls" -name 'root-*-2.crl')" ] &&
    ok "with the last audit row cut, the kept copy keeps its number: the next CRL is 3" ||
    fail "number after a cut: exit $rc $(cat "$T/err")"
restore

# 7. A row added behind keyrite's back is named as not recorded.
db "INSERT INTO revocations (issuer_key_id, serial, revoked_at, reason, invalidity, expires, lifted_at, source) SELECT id, X'77', 0, 1, 0, 4102444800, NULL, 'keyrite' FROM keys WHERE name = 'root'"
expect 1 "revocations row .* is not recorded in the audit chain" \
    "an added revocation row is named" -- -C "$S" audit verify
restore

# The clock.
if command -v faketime >/dev/null; then
	later=$(date -u -d '+10 years' '+%Y-%m-%d')
	before=$(snap)
	set +e
	faketime "$later 12:00:00" "$KEYRITE" -C "$S" revoke --issuer-key root \
	    --serial 0c0d --reason superseded >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" -eq 1 ] && grep -q "days after the newest audit entry" "$T/err" &&
	    grep -q -- "--confirm-date $later" "$T/err" && [ "$(snap)" = "$before" ] &&
	    ok "a clock 10 years ahead is refused, asking to confirm the date" ||
	    fail "jump: exit $rc $(cat "$T/err")"
	set +e
	faketime "$later 12:00:00" "$KEYRITE" -C "$S" --confirm-date 2001-01-01 \
	    revoke --issuer-key root --serial 0c0d --reason superseded >"$T/out" 2>"$T/err"
	rc=$?
	faketime "$later 12:00:00" "$KEYRITE" -C "$S" revoke --issuer-key root \
	    --serial 0c0d --reason superseded --confirm-date "$later" >"$T/out2" 2>"$T/err2"
	rc2=$?
	set -e
	[ "$rc" -eq 1 ] && grep -q "does not match the system clock" "$T/err" &&
	    ok "a wrong --confirm-date is refused" || fail "wrong date: exit $rc"
	[ "$rc2" -eq 0 ] && [ "$(db "SELECT count(*) FROM audit WHERE event = 'clock.jump'")" = 1 ] &&
	    ok "with today's date confirmed the command runs and the jump is recorded" ||
	    fail "confirmed: exit $rc2 $(cat "$T/err2")"
	# TEST-KEY-413: audit show writes the jump row's times as ISO 8601.
	faketime "$later 12:00:00" "$KEYRITE" -C "$S" audit show > "$T/show" 2>&1 || true
	grep "clock.jump" "$T/show" | grep -q "\"newest_entry_before\":\"20[0-9-]*T[0-9:]*Z\"" &&
	    grep "clock.jump" "$T/show" | grep -q "\"clock\":\"${later}T12:00:[0-9]*Z\"" &&
	    ok "audit show writes the clock.jump row's clock and newest_entry_before as ISO 8601" ||
	    fail "clock.jump times: $(grep clock.jump "$T/show")"
	# Back at the real date: the newest entry is 10 years ahead.
	before=$(snap)
	run -C "$S" revoke --issuer-key root --serial 0e0f
	[ "$rc" -eq 1 ] && grep -q "clock-recover" "$T/err" && [ "$(snap)" = "$before" ] &&
	    ok "afterwards every writer is refused, naming the way back" || fail "after: exit $rc"
	run -C "$S" audit verify
	[ "$rc" -eq 0 ] && grep -q "earlier than the newest audit entry" "$T/err" &&
	    ok "audit verify still works and warns about the clock" || fail "verify: exit $rc"
	run -C "$S" audit clock-recover --key root --share "$T/sh-root/a/root.share" \
	    --share "$T/sh-root/b/root.share" --passphrase-fd 3 3<"$T/ab.pw"
	[ "$rc" -eq 2 ] && grep -q -- "--confirm-date $(date -u +%Y-%m-%d)" "$T/err" &&
	    ok "clock-recover asks for today's date first" || fail "recover w/o date: exit $rc"
	run -C "$S" --confirm-date "$(date -u +%Y-%m-%d)" audit clock-recover --key root \
	    --share "$T/sh-root/a/root.share" --passphrase-fd 3 3<"$T/ab.pw"
	[ "$rc" -eq 1 ] && [ "$(snap)" = "$before" ] &&
	    ok "clock-recover needs a quorum (1 of 2 refused, nothing recorded)" ||
	    fail "recover with one share: exit $rc"
	run -C "$S" --confirm-date "$(date -u +%Y-%m-%d)" audit clock-recover --key root \
	    --share "$T/sh-root/a/root.share" --share "$T/sh-root/b/root.share" --passphrase-fd 3 3<"$T/ab.pw"
	[ "$rc" -eq 0 ] && grep -q "Recovered" "$T/out" &&
	    ok "a quorum recovers the folder" || fail "recover: exit $rc $(cat "$T/err")"
	run -C "$S" revoke --issuer-key root --serial 0e0f --reason superseded
	[ "$rc" -eq 0 ] && ok "writers work again" || fail "after recover: $(cat "$T/err")"
	run -C "$S" audit verify
	[ "$rc" -eq 0 ] && ! grep -q WARNING "$T/err" &&
	    ok "audit verify intact after the recovery" || fail "verify: exit $rc $(cat "$T/err")"
	sqlite3 "$S/keyrite.db" "SELECT event FROM audit ORDER BY seq DESC LIMIT 2" | grep -q clock.recover &&
	    ok "the recovery is its own audit row" || fail "no clock.recover row"
else
	fail "faketime is not installed (./run test installs it)"
fi
finish
