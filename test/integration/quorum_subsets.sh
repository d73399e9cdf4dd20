#!/bin/sh
# TEST-KEY-010: a 3-of-5 key; every 3-subset unlocks, every 2-subset is
# refused saying one more custodian is needed; every share checks alone.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
make_state "$S" && ok "init with the test KDF profile" || fail "init"
gen_key "$S" root 3 "$T/shares" c1 c2 c3 c4 c5 && ok "3-of-5 key generated" ||
    fail "key generate: $(cat "$T/gen.err")"
for c in c1 c2 c3 c4 c5; do
	[ -f "$T/shares/$c/root.share" ] && ok "share file for $c written" ||
	    fail "no share file for $c"
	perm=$(stat -c %a "$T/shares/$c/root.share")
	[ "$perm" = 600 ] && ok "share file for $c is mode 600" ||
	    fail "share file for $c is mode $perm"
	verify_shares "$S" root "$T/shares" "$c"
	[ "$rc" -eq 0 ] && grep -q "share of custodian '$c' is good" "$T/out" &&
	    ok "custodian $c checks their share alone" ||
	    fail "custodian $c alone: exit $rc"
done

set -- c1 c2 c3 c4 c5
subsets3="c1,c2,c3 c1,c2,c4 c1,c2,c5 c1,c3,c4 c1,c3,c5 c1,c4,c5 c2,c3,c4 c2,c3,c5 c2,c4,c5 c3,c4,c5"
subsets2="c1,c2 c1,c3 c1,c4 c1,c5 c2,c3 c2,c4 c2,c5 c3,c4 c3,c5 c4,c5"
n=0
for s in $subsets3; do
	# shellcheck disable=SC2046
	verify_shares "$S" root "$T/shares" $(echo "$s" | tr , ' ')
	if [ "$rc" -eq 0 ] && grep -q "Quorum met: 3 good shares" "$T/out"; then
		n=$((n + 1))
	else
		fail "3-subset $s should unlock (exit $rc)"
	fi
done
[ "$n" -eq 10 ] && ok "all ten 3-subsets unlock the key"
n=0
for s in $subsets2; do
	# shellcheck disable=SC2046
	verify_shares "$S" root "$T/shares" $(echo "$s" | tr , ' ')
	if [ "$rc" -eq 1 ] && grep -q "1 more custodian must present a share" "$T/err"; then
		n=$((n + 1))
	else
		fail "2-subset $s should be refused with exit 1 (exit $rc)"
	fi
done
[ "$n" -eq 10 ] && ok "all ten 2-subsets are refused, naming one more custodian"

# 4 and 5 shares are fine too.
verify_shares "$S" root "$T/shares" c5 c4 c3 c2 c1
[ "$rc" -eq 0 ] && ok "all five shares unlock" || fail "five shares: exit $rc"

# Every unlock and check is in the audit log, attributed to the custodians.
run -C "$S" audit show
grep -q 'quorum.verify' "$T/out" && grep -q 'by c1,c2,c3' "$T/out" &&
    ok "unlocks are audited with the custodians present" ||
    fail "audit log lacks quorum.verify by c1,c2,c3"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit chain intact after all that" || fail "audit verify exit $rc"
finish
