#!/bin/sh
# TEST-KEY-017: passphrases are asked on the terminal without echo, twice
# when a custodian chooses one (a mismatch is asked again), once when a
# share is checked. Driven through tmux, read back with capture-pane.
. "$(dirname "$0")/lib.sh"
set -e

if ! command -v tmux >/dev/null; then
	echo "SKIP: tmux is not installed (./run test installs it)"
	exit 77
fi
S="$T/state"
make_state "$S"
mkdir -p "$T/sh"
tty_begin tty

session "'$KEYRITE' -C '$S' key generate tk --alg ed25519 --purpose ca --threshold 2 --custodian ann --custodian ben --share-dir '$T/sh'"
wait_for "Custodian 'ann', choose" && ok "asks ann to choose a passphrase" || fail "no prompt for ann"
tm send-keys "ann-secret-words-1" Enter
wait_for "Custodian 'ann', enter it again" && ok "asks ann a second time" || fail "no second prompt"
tm send-keys "ann-secret-words-X" Enter
wait_for "did not match" && ok "a mismatch is said and asked again" || fail "mismatch not reported"
wait_for "Custodian 'ann', choose" 2 || true
tm send-keys "ann-secret-words-1" Enter
wait_for "Custodian 'ann', enter it again" 2 || true
tm send-keys "ann-secret-words-1" Enter
wait_for "Custodian 'ben', choose" && ok "then asks ben" || fail "no prompt for ben"
tm send-keys "ben-secret-words-2" Enter
wait_for "Custodian 'ben', enter it again" || true
tm send-keys "ben-secret-words-2" Enter
wait_for "EXIT=" || true
grep -q "EXIT=0" "$T/pane" && ok "key generated from terminal passphrases" ||
    fail "key generate over the terminal failed"
if grep -q "secret-words" "$T/pane"; then
	fail "a passphrase was echoed on the terminal"
else
	ok "no passphrase was echoed"
fi
session "'$KEYRITE' -C '$S' quorum verify --key tk --share '$T/sh/ben/tk.share'"
wait_for "Passphrase of custodian 'ben'" && ok "quorum verify asks ben once" ||
    fail "no passphrase prompt in quorum verify"
tm send-keys "ben-secret-words-2" Enter
wait_for "EXIT=" || true
grep -q "EXIT=0" "$T/pane" && grep -q "share of custodian 'ben' is good" "$T/pane" &&
    ok "ben's share checks out over the terminal" || fail "quorum verify over the terminal"
grep -q "secret-words" "$T/pane" && fail "passphrase echoed in quorum verify" ||
    ok "nothing echoed in quorum verify"
finish
