#!/bin/sh
# TEST-KEY-065, TEST-KEY-067, TEST-KEY-068: see, then approve at the
# terminal (tmux send-keys / capture-pane).  What is about to be signed is
# shown before any passphrase; `Proceed? [y/N]` answered n signs and
# records nothing; answered y, a mistyped passphrase is asked again
# without losing the share already opened, each wrong one is an audit row,
# and the per-share table follows.  Three wrong tries refuse the share.
# key generate says the passphrase rules before the first prompt.
. "$(dirname "$0")/lib.sh"
set -e

if ! command -v tmux >/dev/null; then
	echo "SKIP: tmux is not installed (./run test installs it)"
	exit 77
fi
S="$T/state"
make_state "$S"
gen_ca "$S" root p256 ca || fail "root key: $(cat "$T/gen.err")"
DB="$S/keyrite.db"
tty_begin apr
audit_rows() { sqlite3 "$DB" "SELECT count(*) FROM audit WHERE event = '$1'"; }
ROOT="'$KEYRITE' -C '$S' cert root --key root --profile root --subject 'CN=Tty Root' --out '$T/root.pem' --share '$T/sh-root/a/root.share' --share '$T/sh-root/b/root.share'"

# Answered n: nothing signed, nothing recorded, no passphrase asked.
before=$(state_snapshot "$DB" "$S")
session "$ROOT"
wait_for "Proceed? \[y/N\]" && ok "the approval prompt is shown" || fail "no approval prompt"
grep -q "Root certificate to be signed by key 'root'" "$T/pane" &&
    grep -q "TBS SHA-256   [0-9A-F][0-9A-F]:" "$T/pane" &&
    grep -q "serial        [0-9A-F][0-9A-F]:" "$T/pane" &&
    grep -q "subject       CN=Tty Root" "$T/pane" &&
    ok "the certificate is shown first: subject, serial, TBS SHA-256 as colon pairs" ||
    fail "summary missing"
grep -q "Passphrase of custodian" "$T/pane" && fail "a passphrase was asked before approval" ||
    ok "no passphrase is asked before the approval"
tm send-keys "n" Enter
wait_for "EXIT=" || true
grep -q "EXIT=1" "$T/pane" && grep -q "not approved" "$T/pane" &&
    ok "answered n: refused (exit 1)" || fail "answer n"
[ ! -e "$T/root.pem" ] && [ "$(state_snapshot "$DB" "$S")" = "$before" ] &&
    ok "answered n: nothing signed, nothing recorded" || fail "answer n changed state"

# Answered y: a mistyped passphrase is asked again, a's share kept.
session "$ROOT"
wait_for "Proceed? \[y/N\]" || true
tm send-keys "y" Enter
wait_for "Passphrase of custodian 'a'" && ok "answered y: custodian a is asked" ||
    fail "no prompt for a after y"
tm send-keys "$(pass_of a)" Enter
wait_for "Passphrase of custodian 'b'" || true
tm send-keys "a wrong passphrase for b" Enter
wait_for "type it again" && ok "a wrong passphrase is said and asked again" ||
    fail "no second try"
wait_for "Passphrase of custodian 'b'" 2 || true
tm send-keys "$(pass_of b)" Enter
wait_for "EXIT=" || true
grep -q "EXIT=0" "$T/pane" && [ -s "$T/root.pem" ] &&
    ok "answered y: signed with a kept and b's second try" || fail "answer y: $(grep -v '^$' "$T/pane" | tail -n 5)"
grep -q "Passphrase of custodian 'a'" "$T/pane" &&
    [ "$(grep -c "Passphrase of custodian 'a'" "$T/pane")" -eq 1 ] &&
    ok "custodian a typed once: the share already opened is kept" || fail "a asked again"
grep -q "^  ok       a  *x=1" "$T/pane" && grep -q "^  ok       b  *x=2" "$T/pane" &&
    ok "the per-share table follows" || fail "no per-share table"
openssl x509 -in "$T/root.pem" -noout -subject 2>/dev/null | grep -q "Tty Root" &&
    ok "openssl reads the certificate" || fail "openssl x509"
[ "$(audit_rows cert.root)" = 1 ] && [ "$(audit_rows quorum.refused)" = 1 ] &&
    [ "$(sqlite3 "$DB" "SELECT actor FROM audit WHERE event = 'quorum.refused'")" = b ] &&
    ok "the wrong try is one quorum.refused row for b, the certificate one cert.root row" ||
    fail "audit rows: $(sqlite3 "$DB" "SELECT event, actor FROM audit")"
grep -q "passphrase of\|wrong passphrase for" "$T/pane" && fail "a passphrase was echoed" ||
    ok "no passphrase was echoed"
sqlite3 "$DB" "SELECT payload FROM audit" | grep -q "wrong passphrase for" &&
    fail "a passphrase reached the audit log" || ok "no passphrase in the audit log"

# Three wrong tries refuse the share (quorum verify asks no approval).
session "'$KEYRITE' -C '$S' quorum verify --key root --share '$T/sh-root/c/root.share'"
for t in 1 2 3; do
	wait_for "Passphrase of custodian 'c'" "$t" || true
	tm send-keys "wrong try $t of c" Enter
done
wait_for "EXIT=" || true
grep -q "EXIT=1" "$T/pane" && grep -q "try 3 of 3" "$T/pane" &&
    grep -q "REFUSED" "$T/pane" &&
    ok "three wrong tries refuse the share" || fail "three tries: $(tail -n 5 "$T/pane")"
[ "$(audit_rows quorum.refused)" = 4 ] && ok "... each try recorded" ||
    fail "quorum.refused rows: $(audit_rows quorum.refused)"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit verify intact afterwards" || fail "audit verify: $(cat "$T/err")"

# key generate: the passphrase rules before the first prompt.
mkdir -p "$T/sh-new"
session "'$KEYRITE' -C '$S' key generate nk --alg ed25519 --purpose ca --threshold 2 --custodian x --custodian y --share-dir '$T/sh-new'"
wait_for "Custodian 'x', choose" || true
sed -n '1,/Custodian .x., choose/p' "$T/pane" | grep -q "at least 12 characters" &&
    ok "the passphrase rules are said before the first prompt" ||
    fail "rules not said first: $(cat "$T/pane")"
finish
