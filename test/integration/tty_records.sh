#!/bin/sh
# What an operator sees at the terminal (tmux send-keys / capture-pane):
# a state folder edited behind keyrite's back is refused before any
# custodian is asked for a passphrase; a folder whose newest audit entry
# was made with the clock set ahead is brought back by custodians typing
# their passphrases into `audit clock-recover`.  TEST-KEY-035, TEST-KEY-036.
. "$(dirname "$0")/lib.sh"
needs_faketime
set -e

if ! command -v tmux >/dev/null || ! command -v faketime >/dev/null; then
	echo "SKIP: tmux and faketime are needed (./run test installs them)"
	exit 77
fi
S="$T/state"
make_state "$S"
gen_ca "$S" root p256 ca
tty_begin rec

# A damaged folder: the refusal comes before any passphrase prompt.
cp -a "$S" "$T/good"
sqlite3 "$S/keyrite.db" "UPDATE keys SET purpose = 'firmware' WHERE name = 'root'"
session "'$KEYRITE' -C '$S' cert root --key root --profile root --subject 'CN=Tty Root' --out '$T/root.pem' --share '$T/sh-root/a/root.share' --share '$T/sh-root/b/root.share'"
wait_for "EXIT=" || true
grep -q "EXIT=1" "$T/pane" && grep -q "do not match" "$T/pane" &&
    ! grep -q "custodian 'a'" "$T/pane" &&
    ok "a damaged folder is refused at the terminal before any custodian is asked" ||
    fail "damaged folder at the terminal"
rm -rf "$S"; mv "$T/good" "$S"

# The clock once set ten years ahead, then back.
later=$(date -u -d '+10 years' '+%Y-%m-%d')
faketime "$later 12:00:00" "$KEYRITE" -C "$S" --confirm-date "$later" revoke \
    --issuer-key root --serial 0102 --reason superseded >/dev/null 2>&1 || true
faketime "$later 12:00:00" "$KEYRITE" -C "$S" --confirm-date "$later" status \
    >/dev/null 2>&1 || true
run -C "$S" quorum verify --key root --share "$T/sh-root/a/root.share" --passphrase-fd 0 </dev/null
grep -q "clock-recover" "$T/err" && ok "the next writer names audit clock-recover" ||
    fail "no pointer to clock-recover: $(cat "$T/err")"
today=$(date -u +%Y-%m-%d)
session "'$KEYRITE' -C '$S' --confirm-date $today audit clock-recover --key root --share '$T/sh-root/a/root.share' --share '$T/sh-root/b/root.share'"
wait_for "custodian 'a'" && ok "clock-recover asks custodian a at the terminal" ||
    fail "no prompt for a"
# A mistyped passphrase is asked again here too; no row may precede the
# recovery's, so it is counted in that row.
tm send-keys "not the passphrase of a" Enter
wait_for "again" && ok "a mistyped passphrase is asked again during clock-recover" ||
    fail "no second try: $(cat "$T/pane")"
tm send-keys "$(pass_of a)" Enter
wait_for "custodian 'b'" && ok "then custodian b" || fail "no prompt for b"
tm send-keys "$(pass_of b)" Enter
wait_for "EXIT=" || true
grep -q "EXIT=0" "$T/pane" && grep -q "Recovered" "$T/pane" &&
    ok "two custodians typing their passphrases recover the folder" ||
    fail "recover at the terminal"
! grep -q "$(pass_of a | cut -c1-20)" "$T/pane" &&
    ok "no passphrase was echoed" || fail "a passphrase was echoed"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit verify intact afterwards" || fail "verify: $(cat "$T/err")"
sqlite3 "$S/keyrite.db" "SELECT payload FROM audit WHERE event = 'clock.recover'" |
    grep -q '"wrong_passphrases":1' &&
    ok "the clock.recover row counts the wrong passphrase" ||
    fail "wrong passphrase not counted: $(sqlite3 "$S/keyrite.db" "SELECT payload FROM audit WHERE event = 'clock.recover'")"
finish
