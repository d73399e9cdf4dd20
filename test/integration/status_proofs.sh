#!/bin/sh
# `status` and `audit verify` prove as much as before what makes them fast
# on a big appliance (docs/performance.md, "status on 50,000 devices"):
# TEST-KEY-493: the device rows of a provisioning batch carry the batch's
# approval signatures; a signature is verified once and its result reused
# only for the same key, statement and signature bytes: a row whose
# signature, or whose statement (the approval's time), was changed with
# the chain recomputed is named by both commands, the rows beside it not.
# TEST-KEY-495: the full replay that status and audit verify make from the
# open's quick one still hashes every bulk import: an imported revocation
# changed with sqlite3 makes status say DAMAGED (exit 1) and audit verify
# name the import's rows, while `key list`, whose open does not hash bulk
# rows, works.
. "$(dirname "$0")/lib.sh"
set -e

TOOLS="${SRCDIR:-$(dirname "$0")/../..}/test/tools"
S="$T/state"
make_state "$S"
gen_ca "$S" root p256 ca || fail "key root: $(cat "$T/gen.err")"
issue root cert root --key root --profile root --subject "CN=Proofs Root" \
    --out "$T/root.pem"
[ "$rc" -eq 0 ] || fail "cert root: $(cat "$T/err")"

# Three devices in one batch: three provision.device rows, one approval.
mkdir -p "$T/csr" "$T/devs"
for i in 1 2 3; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/d$i.key" -subj "/serialNumber=PR$i" \
	    -out "$T/csr/d$i.csr" 2>/dev/null
done
issue root provision batch --issuer-key root --csr-dir "$T/csr" \
    --out-dir "$T/devs" --operator "Proofs" --yes
[ "$rc" -eq 0 ] || fail "provision batch: $(cat "$T/err")"
seqs=$(sqlite3 "$S/keyrite.db" "SELECT group_concat(seq, ' ') FROM audit
    WHERE event = 'provision.device' ORDER BY seq")
set -- $seqs
D1=$1 D2=$2 D3=$3
same=$(sqlite3 "$S/keyrite.db" "SELECT count(DISTINCT json_extract(payload,
    '$.approvals')) FROM audit WHERE event = 'provision.device'")
run -C "$S" audit verify
if [ "$#" -eq 3 ] && [ "$same" -eq 1 ] && [ "$rc" -eq 0 ] &&
    grep -q "approvals: [0-9]* rows signed by every approver, 0 with unsigned approvals, 0 not backed" "$T/out"; then
	ok "TEST-KEY-493: three device rows carry one batch's approvals (sqlite3); audit verify backs them"
else
	fail "TEST-KEY-493: batch rows ($seqs, $same distinct approvals), audit verify exit $rc"
fi
cp "$S/keyrite.db" "$T/good.db"

# tamper SEQ OLD NEW: the row's payload edited, the chain recomputed.
tamper() {
	cp "$T/good.db" "$S/keyrite.db"
	rm -f "$S/keyrite.db-wal" "$S/keyrite.db-shm"
	python3 "$TOOLS/audit_rechain.py" "$S/keyrite.db" "$1" "$2" "$3" ||
	    fail "could not edit row $1"
}
# named WHAT SEQ: audit verify and status name row SEQ, and only it.
named() {
	run -C "$S" audit verify
	vrc=$rc
	cp "$T/out" "$T/verify.out"
	run -C "$S" status
	if [ "$vrc" -eq 1 ] && ! grep -q "^record problem" "$T/verify.out" &&
	    grep -q "approval problem: audit row $2 (provision.device)" "$T/verify.out" &&
	    [ "$(grep -c '^approval problem' "$T/verify.out")" -eq 1 ] &&
	    grep -q "0 with unsigned approvals, 1 not backed" "$T/verify.out" &&
	    [ "$rc" -eq 1 ] && grep -q "^records: *DAMAGED" "$T/out" &&
	    grep -q "audit row $2 (provision.device)" "$T/err"; then
		ok "TEST-KEY-493: $1: audit verify names row $2 alone, status says DAMAGED naming it (exit 1)"
	else
		fail "TEST-KEY-493: $1: verify exit $vrc, status exit $rc: $(cat "$T/verify.out" "$T/err")"
	fi
}

# The last device's signature by custodian b: one hex digit changed.
sig=$(sqlite3 "$T/good.db" "SELECT payload FROM audit WHERE seq = $D3" |
    sed 's/.*"custodian":"b","x":2,"time":[0-9]*,"pk_sha256":"[0-9a-f]*","sig":"\([0-9a-f]*\)".*/\1/')
[ "$(printf '%s' "$sig" | cut -c1)" = 0 ] && flip=1 || flip=0
tamper "$D3" "\"sig\":\"$sig\"" "\"sig\":\"$flip$(printf '%s' "$sig" | cut -c2-)\""
named "the third device's signature changed (the first two verified it before)" "$D3"
# The second device's approval time changed: same signature, other statement.
t=$(sqlite3 "$T/good.db" "SELECT payload FROM audit WHERE seq = $D2" |
    sed 's/.*"custodian":"a","x":1,"time":\([0-9]*\),.*/\1/')
tamper "$D2" "\"custodian\":\"a\",\"x\":1,\"time\":$t," \
    "\"custodian\":\"a\",\"x\":1,\"time\":$((t - 1)),"
named "the second device's approval time changed, its signature kept" "$D2"
cp "$T/good.db" "$S/keyrite.db"
rm -f "$S/keyrite.db-wal" "$S/keyrite.db-shm"
run -C "$S" status
[ "$rc" -eq 0 ] && grep -q "^records: *every record matches the chain" "$T/out" &&
    ok "TEST-KEY-493: the untouched database: status says every record matches" ||
    fail "TEST-KEY-493: untouched: exit $rc $(cat "$T/err")"

# --- TEST-KEY-495: bulk rows are hashed by status's full replay ---------------
{ printf 'R\t351231000000Z\t261101120000Z,keyCompromise\t0A1B\tunknown\t/CN=one\n'
  printf 'R\t351231000000Z\t261101120000Z,superseded\t0C0D\tunknown\t/CN=two\n'
  printf 'R\t351231000000Z\t261101120000Z,keyCompromise\t0E0F\tunknown\t/CN=three\n'
} > "$T/index.txt"
run -C "$S" import openssl-index --issuer-key root "$T/index.txt"
[ "$rc" -eq 0 ] || fail "import: $(cat "$T/err")"
run -C "$S" status
[ "$rc" -eq 0 ] && grep -q "^records: *every record matches the chain" "$T/out" &&
    ok "TEST-KEY-495: after an openssl-index import status says every record matches" ||
    fail "TEST-KEY-495: after import: exit $rc $(cat "$T/err")"
# superseded (4) made keyCompromise (1)
sqlite3 "$S/keyrite.db" "UPDATE revocations SET reason = 1 WHERE
    lower(hex(serial)) = '0c0d' AND reason = 4"
[ "$(sqlite3 "$S/keyrite.db" "SELECT reason FROM revocations WHERE
    lower(hex(serial)) = '0c0d'")" = 1 ] || fail "TEST-KEY-495: the row was not changed"
run -C "$S" key list
klrc=$rc
run -C "$S" status --json
python3 - "$T/out" <<'EOF' >"$T/py" 2>&1 && jok=1 || jok=0
import json, sys
d = json.load(open(sys.argv[1]))
assert d["audit"]["intact"] is True, d["audit"]
assert d["audit"]["records_match"] is False, d["audit"]
print("ok")
EOF
jrc=$rc
run -C "$S" status
if [ "$klrc" -eq 0 ] && [ "$jrc" -eq 1 ] && [ "$jok" -eq 1 ] &&
    [ "$rc" -eq 1 ] && grep -q "^records: *DAMAGED" "$T/out" &&
    grep -q "revocations rows [0-9]* to [0-9]* (3 found), imported by audit row [0-9]* (import.openssl-index)" "$T/err"; then
	ok "TEST-KEY-495: an imported revocation changed: key list works, status (and --json: records_match false, python3) says DAMAGED naming the import's rows (exit 1)"
else
	fail "TEST-KEY-495: key list $klrc, status --json $jrc ($(cat "$T/py")), status $rc: $(cat "$T/err")"
fi
expect 1 "revocations rows [0-9]* to [0-9]* (3 found), imported by" \
    "TEST-KEY-495: audit verify names the import's rows" -- -C "$S" audit verify
finish
