#!/bin/sh
# Shares by custodian (issue 11 point 6): --share-dir DIR writes
# DIR/CUSTODIAN/KEY.share; custodian list / show; a share of another key
# named by its name; quorum verify prints the approval key fingerprints.
. "$(dirname "$0")/lib.sh"
set -e
S="$T/state"
make_state "$S"
db() { sqlite3 "$S/keyrite.db" "$1"; }

# --- TEST-KEY-075: one folder per custodian, files named by key ---------
gen_ca "$S" root p256 ca || fail "root key: $(cat "$T/gen.err")"
good=1
for c in a b c; do
	[ "$(stat -c %a "$T/sh-root/$c")" = 700 ] || good=0
	[ "$(stat -c %a "$T/sh-root/$c/root.share")" = 600 ] || good=0
	[ "$(ls -A "$T/sh-root/$c")" = root.share ] || good=0
	grep -q "^  share for $c  *$T/sh-root/$c/root.share\$" "$T/gen.out" ||
	    good=0
done
[ "$(ls -A "$T/sh-root" | tr '\n' ' ')" = "a b c " ] || good=0
[ "$good" -eq 1 ] &&
    ok "each custodian's folder (0700) holds KEY.share (0600), as key generate printed" ||
    fail "layout: $(ls -lR "$T/sh-root")"
# An existing custodian folder is fine; an existing KEY.share is refused
# before any passphrase, naming it, with nothing changed.
mkdir -p "$T/pre/b"
chmod 755 "$T/pre/b"
: > "$T/pre/b/k2.share"
before=$(state_snapshot "$S/keyrite.db" "$S" "$T/pre")
run -C "$S" key generate k2 --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian b --share-dir "$T/pre" --passphrase-fd 3 3</dev/null
[ "$rc" -ne 0 ] && grep -q "$T/pre/b/k2.share already exists" "$T/err" &&
    ! grep -qi passphrase "$T/err" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S" "$T/pre")" = "$before" ] &&
    [ ! -e "$T/pre/a" ] &&
    ok "an existing KEY.share is refused before any passphrase (exit $rc), nothing made" ||
    fail "existing KEY.share: exit $rc $(cat "$T/err")"
rm "$T/pre/b/k2.share"
gen_key "$S" k2 2 "$T/pre" a b || fail "k2 into an existing folder: $(cat "$T/gen.err")"
[ -s "$T/pre/b/k2.share" ] && [ "$(stat -c %a "$T/pre/b")" = 755 ] &&
    [ "$(stat -c %a "$T/pre/a")" = 700 ] &&
    ok "an existing custodian folder is used as it is, a missing one made 0700" ||
    fail "existing folder: $(ls -lR "$T/pre")"
# A custodian folder that is a file is refused before any passphrase.
mkdir -p "$T/bad" && : > "$T/bad/a"
run -C "$S" key generate k3 --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian b --share-dir "$T/bad" --passphrase-fd 3 3</dev/null
[ "$rc" -ne 0 ] && grep -q "not a folder" "$T/err" && ! grep -qi passphrase "$T/err" &&
    [ ! -e "$T/bad/b" ] &&
    ok "a custodian folder that is a file is refused before any passphrase (exit $rc)" ||
    fail "custodian folder a file: exit $rc $(cat "$T/err")"

# --- TEST-KEY-076: two keys' shares side by side in one custodian folder --
gen_key "$S" ca2 2 "$T/shared" a b c || fail "ca2: $(cat "$T/gen.err")"
gen_key "$S" fw2 2 "$T/shared" a b || fail "fw2 beside it: $(cat "$T/gen.err")"
[ "$(ls -A "$T/shared/a" | tr '\n' ' ')" = "ca2.share fw2.share " ] &&
    [ "$(ls -A "$T/shared/c")" = ca2.share ] &&
    ok "custodian a's folder holds ca2.share and fw2.share side by side" ||
    fail "side by side: $(ls -lR "$T/shared")"
verify_shares "$S" ca2 "$T/shared" a c
r1=$rc
verify_shares "$S" fw2 "$T/shared" a b
[ "$r1" -eq 0 ] && [ "$rc" -eq 0 ] && grep -q "Quorum met" "$T/out" &&
    ok "both keys unlock with the shares of the one folder" ||
    fail "side by side unlock: $r1 $rc $(cat "$T/err")"

# --- TEST-KEY-077: a share of another key is refused naming that key ------
before=$(state_snapshot "$S/keyrite.db" "$S" "$T/shared")
run -C "$S" quorum verify --key ca2 --share "$T/shared/a/fw2.share" \
    --passphrase-fd 3 3</dev/null
[ "$rc" -eq 1 ] &&
    grep -q "made for another key, 'fw2' of this appliance (key id [0-9a-f]*), not for 'ca2'" "$T/err" &&
    ! grep -qi passphrase "$T/err" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S" "$T/shared")" = "$before" ] &&
    ok "a share of another key of this appliance is refused naming it (fw2), nothing asked" ||
    fail "other key: exit $rc $(cat "$T/err")"
O="$T/other-state"
make_state "$O"
mkdir -p "$T/foreign"
for c in a b; do pass_of "$c"; done > "$T/fo.pw"
"$KEYRITE" -C "$O" key generate ca2 --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian b --share-dir "$T/foreign" --passphrase-fd 3 \
    3<"$T/fo.pw" >/dev/null 2>&1 || fail "foreign key"
run -C "$S" quorum verify --key ca2 --share "$T/foreign/a/ca2.share" \
    --passphrase-fd 3 3</dev/null
[ "$rc" -eq 1 ] && grep -q "made for another key (key id [0-9a-f]*, not a key of this appliance), not for 'ca2'" "$T/err" &&
    ok "a share of a key of another appliance is named by its id" ||
    fail "foreign key: exit $rc $(cat "$T/err")"

# --- TEST-KEY-079: quorum verify prints the approval key fingerprint ------
fp_gen=$(grep -A2 "^  share for b " "$T/gen.out" | sed -n '2,3p' |
    sed 's/.*: //; s/^ *//' | paste -sd: -)
verify_shares "$S" fw2 "$T/shared" b
fp_ver=$(grep -A2 "^  ok  *b " "$T/out" | sed -n '2,3p' |
    sed 's/.*: //; s/^ *//' | paste -sd: -)
fp_db=$(db "select hex(approval_pk) from custodians c join share_sets s on c.set_id = s.id join keys k on k.id = s.key_id where k.name = 'fw2' and c.name = 'b'" |
    xxd -r -p | sha256sum | cut -d' ' -f1 | tr a-f A-F | sed 's/../&:/g; s/:$//')
[ "$rc" -eq 0 ] && [ "${#fp_ver}" -eq 95 ] && [ "$fp_ver" = "$fp_gen" ] &&
    [ "$fp_ver" = "$fp_db" ] &&
    ok "quorum verify prints b's approval key fingerprint, the one key generate printed (and SHA-256 of the recorded key)" ||
    fail "fingerprint: rc $rc, verify '$fp_ver', generate '$fp_gen', db '$fp_db'"
grep -q "^           approval key SHA-256: [0-9A-F:]\{47\}\$" "$T/out" &&
    grep -q "^                                 [0-9A-F:]\{47\}\$" "$T/out" &&
    ok "... on two lines of 16 pairs under the share's row" || fail "layout: $(cat "$T/out")"

# --- TEST-KEY-078: custodian list and show -------------------------------
for c in "custodian list" "custodian show"; do
	# shellcheck disable=SC2086
	run $c --help
	[ "$rc" -eq 0 ] && grep -q "usage: keyrite \[-C STATEDIR\] $c" "$T/out" &&
	    grep -q "^\.SS $c\$" "$MANPAGE" &&
	    ok "$c --help, and in the man page" || fail "$c --help: exit $rc"
done
run -C "$S" custodian list
[ "$rc" -eq 0 ] && grep -q "^CUSTODIAN  *KEY  *EPOCH  *X  *QUORUM  *STATE\$" "$T/out" &&
    grep -q "^a  *fw2  *1  *1  *2 of 2  *active\$" "$T/out" &&
    grep -q "^a  *ca2  *1  *1  *2 of 3  *active\$" "$T/out" &&
    grep -q "^c  *ca2  *1  *3  *2 of 3  *active\$" "$T/out" &&
    grep -q "^b  *k2  *1  *2  *2 of 2  *active\$" "$T/out" &&
    ! grep -q "^c  *fw2" "$T/out" &&
    [ "$(grep -c "^a " "$T/out")" -eq 4 ] &&
    grep -q "^3 custodians hold 10 shares$" "$T/out" &&
    ok "custodian list: each custodian with key, epoch, x, quorum and state" ||
    fail "custodian list: exit $rc $(cat "$T/out")"
run -C "$S" custodian show b
dig=$(sha256sum "$T/shared/b/fw2.share" | cut -d' ' -f1)
set_id=$(db "select lower(hex(s.id)) from share_sets s join keys k on k.id = s.key_id where k.name = 'fw2'")
[ "$rc" -eq 0 ] && grep -q "^custodian:     b\$" "$T/out" &&
    grep -A6 "^key:           fw2\$" "$T/out" > "$T/fw2.block" &&
    grep -q "^share set:     $set_id, epoch 1\$" "$T/fw2.block" &&
    grep -q "^share:         x=2 of 2 (2 needed)\$" "$T/fw2.block" &&
    grep -q "^share file:    SHA-256 $dig\$" "$T/fw2.block" &&
    grep -q "^approval key:  SHA-256 $fp_gen\$" "$T/fw2.block" &&
    grep -q "^state:         active\$" "$T/fw2.block" &&
    [ "$(grep -c "^key: " "$T/out")" -eq 4 ] &&
    ok "custodian show b: key, set id, epoch, x, share file digest, approval key, state" ||
    fail "custodian show: exit $rc $(cat "$T/out")"
expect 2 "no custodian named 'zed'" "custodian show of an unknown name is refused" -- \
    -C "$S" custodian show zed
[ "$rc" -ne 0 ] && grep -q "custodian list" "$T/err" && ok "... pointing to custodian list" ||
    fail "unknown custodian: $(cat "$T/err")"
# After fw2 is destroyed: its shares are shown retired, the key destroyed.
for c in a b; do pass_of "$c"; done > "$T/fw2.pw"
run -C "$S" key destroy fw2 --share "$T/shared/a/fw2.share" \
    --share "$T/shared/b/fw2.share" --passphrase-fd 3 3<"$T/fw2.pw"
[ "$rc" -eq 0 ] || fail "destroy fw2: $(cat "$T/err")"
run -C "$S" custodian list
[ "$rc" -eq 0 ] && grep -q "^a  *fw2  *1  *1  *2 of 2  *retired, key destroyed\$" "$T/out" &&
    grep -q "^a  *ca2  *1  *1  *2 of 3  *active\$" "$T/out" &&
    ok "after key destroy: the shares of fw2 are listed retired, key destroyed" ||
    fail "list after destroy: $(cat "$T/out")"
run -C "$S" custodian show a
grep -A6 "^key:           fw2\$" "$T/out" | grep -q "^state:         retired, key destroyed\$" &&
    ok "... and custodian show says so" || fail "show after destroy: $(cat "$T/out")"
# Read-only: no lock, and a damaged state folder is shown with its banner.
before=$(state_snapshot "$S/keyrite.db" "$S")
db "UPDATE custodians SET name = 'mallory' WHERE x = 3 AND set_id = (select s.id from share_sets s join keys k on k.id = s.key_id where k.name = 'root')"
run -C "$S" custodian list
[ "$rc" -eq 0 ] && grep -q "^mallory  *root" "$T/out" && [ -s "$T/err" ] &&
    ok "custodian list works on a damaged state folder, with the banner (exit 0)" ||
    fail "damaged: exit $rc $(cat "$T/err")"
run -C "$S" custodian show a
[ "$rc" -eq 0 ] && [ -s "$T/err" ] && ok "... so does custodian show" ||
    fail "damaged show: exit $rc $(cat "$T/err")"
finish
