#!/bin/sh
# TEST-KEY-474: the README's commands run as written.  The commands of its
# code blocks in "The root key ceremony" and "A first walk-through" are
# taken from README.md itself (continuation lines joined) and run in
# order, at a terminal (test/tools/pty_answer.py answers the prompts as
# the custodians and the witness would), with keyrite on PATH as the
# Quick start puts it there.  The ceremony's /srv and /media are folders
# of this test; the walk-through runs in an empty folder, as it says.
# What they made is then checked by openssl, minisign and keyrite's own
# offline checks.
. "$(dirname "$0")/lib.sh"
set -e

README="$SRCDIR/README.md"
TOOLS="$SRCDIR/test/tools"
for t in openssl minisign; do
	command -v "$t" >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }
done

# blocks SECTION: the commands of the section's indented code blocks, one
# a line, continuation lines joined.
blocks() {
	python3 - "$README" "$1" <<'EOF'
import sys
inside, cmd = False, ""
for line in open(sys.argv[1]).read().split("\n"):
    if line.startswith("## "):
        inside = line[3:].strip() == sys.argv[2]
    elif inside and line.startswith("    "):
        cmd += line.strip() if cmd else line[4:]
        if cmd.endswith("\\"):
            cmd = cmd[:-1]
        else:
            # The console waits for a room at its keyboard: test/tui
            # drives `keyrite -C DIR console` as the README gives it.
            if not cmd.endswith(" console"):
                print(cmd)
            cmd = ""
EOF
}

# The Quick start puts build/src/cli on PATH; this build's keyrite is there.
grep -q '^    export PATH="$PWD/build/src/cli:$PATH"$' "$README" &&
    case "$KEYRITE" in */src/cli/keyrite) true ;; *) false ;; esac &&
    ok "the Quick start puts build/src/cli, where keyrite is built, on PATH" ||
    fail "the README's PATH line or the binary's place: $KEYRITE"
grep -q 'export PATH=' "$SRCDIR/run" && grep -q 'src/cli' "$SRCDIR/run" &&
    ok "./run build says how to put keyrite on PATH" || fail "./run build says nothing of PATH"
if grep -n -e '--share \.\.\.' -e 'share \.\.\.$' "$README"; then
	fail "the README still has --share ... placeholders"
else
	ok "no --share ... placeholder left in the README"
fi

BIN=$(dirname "$KEYRITE")
mkdir -p "$T/root/srv" "$T/root/media/shares" "$T/root/media/public" "$T/top" "$T/walk"
ln -s "$SRCDIR/ceremonies" "$T/top/ceremonies"

# script SECTION DIR: the section's commands as one shell script run in
# DIR, the appliance's /srv and /media made folders of this test.
script() {
	blocks "$1" > "$T/cmds"
	[ -s "$T/cmds" ] || fail "no commands in the README section '$1'"
	cmds_script "$T/cmds" "$T/root" "$2" "$BIN" > "$T/section.sh"
	wc -l < "$T/cmds" | tr -d ' '
}

# walk SECTION DIR: run it at a terminal; sets rc, the terminal in $T/tty.
walk() {
	cmds=$(script "$1" "$2")
	set +e
	python3 "$TOOLS/pty_answer.py" sh "$T/section.sh" > "$T/tty" 2>&1
	rc=$?
	set -e
	last=$(sed -n 's/^### command \([0-9]*\).*/\1/p' "$T/tty" | tail -n 1)
	if [ "$rc" -eq 0 ] && grep -q COMMANDS-DONE "$T/tty"; then
		ok "'$1': all $cmds commands of the README ran as written"
	else
		fail "'$1': command $last of $cmds failed (exit $rc): $(sed -n "${last}p" "$T/cmds")"
		tail -n 25 "$T/tty" | sed 's/^/#   tty: /'
	fi
}

walk "The root key ceremony" "$T/top"
P="$T/root/media/public"
openssl verify -x509_strict -CAfile "$P/fleet-root.pem" "$P/fleet-root.pem" >/dev/null 2>&1 &&
    ok "the ceremony's root certificate: openssl verify accepts it" ||
    fail "no root certificate from the ceremony: $(ls "$P")"
m=$(find "$P" -name MANIFEST.json | head -n 1)
[ -n "$m" ] && "$KEYRITE" export verify "$(dirname "$m")" >/dev/null 2>&1 &&
    ok "the exported folder passes export verify" || fail "export verify: $m"
[ -d "$P/transcript" ] && "$KEYRITE" ceremony verify-report "$P/transcript" >/dev/null 2>&1 &&
    ok "the signed transcript passes verify-report" || fail "transcript: $(ls "$P")"

walk "A first walk-through" "$T/walk"
W="$T/walk"
openssl verify -x509_strict -CAfile "$W/root.pem" -untrusted "$W/issuing.pem" "$W/fw.pem" \
    >/dev/null 2>&1 && ok "the walk-through's chain: openssl verify accepts it" ||
    fail "walk-through chain"
cat "$W/issuing.pem" "$W/root.pem" > "$T/chain.pem"
openssl crl -inform DER -in "$W/issuing-2026.crl" -CAfile "$T/chain.pem" -noout -verify 2>&1 |
    grep -q "verify OK" && openssl crl -inform DER -in "$W/issuing-2026.crl" -noout -text |
    grep -qi "$(openssl x509 -in "$W/fw.pem" -noout -serial | cut -d= -f2)" &&
    ok "its CRL verifies and lists the revoked firmware certificate" || fail "walk-through CRL"
[ "$(find "$W/ocsp" -type f | wc -l)" -ge 1 ] && ok "OCSP responses were written" ||
    fail "no OCSP responses"
grep -q "^uncertified:     fw-2026 (ed25519, purpose firmware, sealed): no certificate" "$T/tty" &&
    ok "status says, as the README does, that the firmware key has no certificate" ||
    fail "status in the walk-through: $(grep -A12 '^what is due' "$T/tty")"
run -C "$W/ca" key show root-2026
grep -q "epoch 2 (active)" "$T/out" && ok "the reshare became current after three checks" ||
    fail "reshare: $(cat "$T/out")"
run -C "$W/ca" audit verify
[ "$rc" -eq 0 ] && ok "the walk-through's audit chain is intact" || fail "audit verify"
finish
