#!/bin/sh
# TEST-KEY-087: the root key ceremony at a real terminal (tmux send-keys /
# capture-pane), as the room lives it: each step's heading, who must be
# present and the words to read aloud; the witness answers at the
# checkpoints; each custodian chooses a passphrase (typed twice, not
# shown), checks their share alone, and the approvers see the
# certificate before `Proceed? [y/N]`; the run ends with the public
# artifacts and the ceremony id.  No passphrase ever shows on the screen.
. "$(dirname "$0")/lib.sh"
set -e

if ! command -v tmux >/dev/null; then
	echo "SKIP: tmux is not installed (./run test installs it)"
	exit 77
fi
S="$T/s"
make_state "$S"
mkdir -p "$T/sh" "$T/pub"
tty_begin cer
P="a ceremony passphrase at the terminal"
session "'$KEYRITE' -C '$S' ceremony run '$SRCDIR/ceremonies/root-key-generation.yaml' --set shares='$T/sh' --set out='$T/pub' --set alg=p256"

wait_for "type yes if you saw this" || true
grep -q "== Step 1 of 6: The room is ready" "$T/pane" &&
    grep -q "present: administrator" "$T/pane" &&
    grep -q "Read aloud: The administrator reads the purpose aloud" "$T/pane" &&
    ok "step 1: heading, who is present, the words to read aloud" ||
    fail "step 1 heading"
tm send-keys "yes" Enter
for c in alice bob carol; do
	wait_for "Custodian '$c', choose the passphrase" || true
	tm send-keys "$P" Enter
	wait_for "Custodian '$c', enter it again" || true
	tm send-keys "$P" Enter
done
wait_for "key 'fleet-root' generated" &&
    ok "step 2: three custodians chose their passphrases (twice each)" ||
    fail "key generation at the terminal"
for c in alice bob carol; do
	wait_for "Passphrase of custodian '$c'" || true
	tm send-keys "$P" Enter
done
wait_for "3 shares of 'fleet-root' checked, each alone" &&
    ok "step 3: each custodian opened their share alone" ||
    fail "share checks at the terminal"
wait_for "Proceed? \[y/N\]" || true
grep -q "Root certificate to be signed by key 'fleet-root'" "$T/pane" &&
    grep -q "subject       CN=Fleet Root CA" "$T/pane" &&
    ok "step 4: the certificate is shown before the approval" ||
    fail "no preview before Proceed?"
tm send-keys "y" Enter
for c in alice bob; do
	wait_for "Passphrase of custodian '$c'" 2 || true
	tm send-keys "$P" Enter
done
wait_for "type yes if you saw this" 2 || true
tm send-keys "yes" Enter
wait_for "EXIT=" || true
grep -q "EXIT=0" "$T/pane" && grep -q "Public artifacts of ceremony" "$T/pane" &&
    grep -q "Ceremony [0-9a-f-]* is complete" "$T/pane" &&
    ok "the ceremony ends with its public artifacts and its id" ||
    fail "end: $(grep -v '^$' "$T/pane" | tail -n 5)"
grep -q "$P" "$T/pane" && fail "a passphrase is on the screen" ||
    ok "no passphrase was shown"
openssl verify -CAfile "$T/pub/fleet-root.pem" "$T/pub/fleet-root.pem" \
    >/dev/null && ok "the root certificate made at the terminal verifies" ||
    fail "openssl verify"
finish
