#!/bin/sh
# TEST-KEY-070..074: quorum reshare.  A 3-of-5 key is reshared to 2-of-3
# with two new holders; the new set is pending until 2 of its holders
# have checked their shares; the old shares unlock while it is pending
# and are refused, naming the retirement, once it is current; every step
# is an audit row and audit verify checks the approvals.
# TEST-KEY-316: `export --custodian` refuses a share of the retired set,
# naming the file and epoch, with nothing written and the state unchanged.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
make_state "$S" && ok "init" || fail "init"
gen_key "$S" root 3 "$T/shares" c1 c2 c3 c4 c5 && ok "3-of-5 key generated" ||
    fail "key generate: $(cat "$T/gen.err")"

# reshare KEY NEWDIR "old custodians" new custodians...: sets $rc
reshare() {
	key=$1 dir=$2 olds=$3
	shift 3
	args="" news=""
	: > "$T/rs.pw"
	for c in $olds; do
		args="$args --share $T/shares/$c/$key.share"
		pass_of "$c" >> "$T/rs.pw"
	done
	for c in "$@"; do
		news="$news --custodian $c"
		pass_of "$c" >> "$T/rs.pw"
	done
	mkdir -p "$dir"
	set +e
	# shellcheck disable=SC2086
	"$KEYRITE" -C "$S" quorum reshare --key "$key" --threshold 2 $news \
	    --share-dir "$dir" $args --passphrase-fd 3 3<"$T/rs.pw" \
	    >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}

# TEST-KEY-070: fewer than m current shares deal nothing.
before=$(state_snapshot "$S/keyrite.db" "$S")
reshare root "$T/none" "c1 c2" c1 d1 d2
now=$(state_snapshot "$S/keyrite.db" "$S")
[ "$rc" -ne 0 ] && grep -q "more custodian" "$T/err" &&
    [ ! -e "$T/none/d1/root.share" ] &&
    ok "2 of the 3 current shares are refused, no share file written" ||
    fail "reshare with 2 of 3: exit $rc"

reshare root "$T/new" "c1 c2 c3" c1 d1 d2
[ "$rc" -eq 0 ] && grep -q "epoch 2, 2-of-3" "$T/out" &&
    grep -q "pending" "$T/out" && ok "3-of-5 reshared to 2-of-3 (epoch 2)" ||
    fail "reshare: exit $rc: $(cat "$T/err")"
for c in c1 d1 d2; do
	[ -f "$T/new/$c/root.share" ] && ok "new share file for $c" ||
	    fail "no new share file for $c"
done

run -C "$S" key show root
grep -q "epoch 1 (active)" "$T/out" && grep -q "pending reshare" "$T/out" &&
    grep -q "epoch 2 (pending)" "$T/out" && grep -q "d1  (not checked yet)" "$T/out" &&
    ok "key show: epoch 1 active, epoch 2 pending, its holders unchecked" ||
    fail "key show while pending: $(cat "$T/out")"

# TEST-KEY-071: while pending, the old shares still unlock; the new ones
# do not yet count for an operation.
verify_shares "$S" root "$T/shares" c1 c2 c3
[ "$rc" -eq 0 ] && grep -q "Quorum met" "$T/out" &&
    ok "old shares still unlock while the new set is pending" ||
    fail "old shares while pending: exit $rc"
mkdir -p "$T/out1"
for c in c1 d1; do pass_of "$c"; done > "$T/new.pw"
run -C "$S" cert root --key root --profile root --subject "CN=Root" \
    --out "$T/out1/root.pem" --share "$T/new/c1/root.share" \
    --share "$T/new/d1/root.share" --passphrase-fd 3 3<"$T/new.pw"
[ "$rc" -ne 0 ] && grep -q "pending share set epoch 2" "$T/err" &&
    ok "a pending set's shares do not sign (named as pending)" ||
    fail "pending shares signing: exit $rc: $(head -3 "$T/err")"

# Shares of two sets at once: the one of the other set is named.
: > "$T/mix.pw"; pass_of d1 >> "$T/mix.pw"; pass_of c2 >> "$T/mix.pw"
run -C "$S" quorum verify --key root --share "$T/new/d1/root.share" \
    --share "$T/shares/c2/root.share" --passphrase-fd 3 3<"$T/mix.pw"
[ "$rc" -ne 0 ] && grep -q "check the shares of one set at a time" "$T/err" &&
    ok "a current share given with a pending one is named" ||
    fail "mixed sets: exit $rc: $(cat "$T/err")"
n=$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM custodians WHERE checked IS NOT NULL")
[ "$n" -eq 0 ] && ok "a refused check dates nothing" || fail "checked: $n"

# TEST-KEY-072: m of the new holders check their shares: the set is current.
verify_shares "$S" root "$T/new" d1
[ "$rc" -eq 0 ] && grep -q "epoch 2 is pending: 1 of the 2" "$T/out" &&
    ok "first new holder's check recorded, set still pending" ||
    fail "d1 check: exit $rc: $(cat "$T/out" "$T/err")"
verify_shares "$S" root "$T/new" d1
[ "$rc" -eq 0 ] && grep -q "1 of the 2" "$T/out" &&
    ok "the same holder checking twice counts once" ||
    fail "d1 twice: exit $rc"
verify_shares "$S" root "$T/shares" c1 c2 c3
[ "$rc" -eq 0 ] && ok "old shares unlock until activation" ||
    fail "old shares before activation: exit $rc"
verify_shares "$S" root "$T/new" d2
[ "$rc" -eq 0 ] && grep -q "epoch 2 is now current" "$T/out" &&
    grep -q "Epoch 1 is retired" "$T/out" &&
    ok "second new holder's check activates epoch 2, retires epoch 1" ||
    fail "d2 check: exit $rc: $(cat "$T/out" "$T/err")"

# TEST-KEY-073: after activation the new shares unlock, the old are refused.
verify_shares "$S" root "$T/new" c1 d2
[ "$rc" -eq 0 ] && grep -q "Quorum met: 2 good shares" "$T/out" &&
    ok "2 of the new shares unlock the key" || fail "new shares: exit $rc"
today=$(date -u +%Y-%m-%d)
verify_shares "$S" root "$T/shares" c1 c2 c3
[ "$rc" -ne 0 ] &&
    grep -q "epoch 1 was retired on $today: ask for your new share" "$T/err" &&
    ok "old shares refused: epoch 1 was retired on $today" ||
    fail "old shares after activation: exit $rc: $(cat "$T/err")"
verify_shares "$S" root "$T/shares" c4
[ "$rc" -ne 0 ] && grep -q "ask for your new share" "$T/err" &&
    ok "an old share checked alone is refused the same way" ||
    fail "old share alone: exit $rc"

# TEST-KEY-316: `export --custodian` copies no share of a retired set.
mkdir "$T/x1" "$T/x2"
before=$(state_snapshot "$S/keyrite.db" "$S")
run -C "$S" export --to "$T/x1" --custodian c1 --share-dir "$T/shares"
[ "$rc" -eq 1 ] &&
    grep -q "c1/root.share is a share of retired epoch 1 of 'root': not exported; destroy it" "$T/err" &&
    [ -z "$(ls -A "$T/x1")" ] && [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "export of a retired epoch's share is refused, named; nothing written, state unchanged" ||
    fail "export of a retired share: exit $rc $(cat "$T/err") $(ls -A "$T/x1")"
run -C "$S" export --to "$T/x2" --custodian c1 --share-dir "$T/new"
[ "$rc" -eq 0 ] && cmp -s "$T/x2/shares-c1/root.share" "$T/new/c1/root.share" &&
    ok "the current epoch's share of the same custodian exports" ||
    fail "export of the current share: exit $rc $(cat "$T/err")"

run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit verify passes (reshare approvals signed)" ||
    fail "audit verify: exit $rc: $(cat "$T/err")"
run -C "$S" audit show
grep -q '"quorum.reshare"\|quorum.reshare' "$T/out" &&
    grep -q 'quorum.activate' "$T/out" &&
    grep -q '"new_set_sha256"' "$T/out" &&
    ok "audit shows quorum.reshare and quorum.activate" ||
    fail "audit rows missing"
n=$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM share_sets WHERE state = 'retired' AND retired IS NOT NULL")
[ "$n" -eq 1 ] && ok "epoch 1 recorded as retired, dated" ||
    fail "retired sets: $n"
run -C "$S" key show root
grep -q "epoch 2" "$T/out" && ok "key show names epoch 2" ||
    fail "key show: $(cat "$T/out")"

# TEST-KEY-074: --new-secret.  Epoch 2 (c1 d1 d2) reshares to e1 e2 under
# a fresh secret: the re-wrapped file waits beside the key's file while
# the set is pending, replaces it on activation, and then the epoch 2
# quorum cannot open the current sealed file even where the records
# would let it (a copy of the state from before the activation).
sha() { sha256sum "$1" | cut -d' ' -f1; }
old_sealed=$(sha "$S/keys/root.sealed")
mkdir -p "$T/ns"
{ pass_of c1; pass_of d1; pass_of e1; pass_of e2; } > "$T/ns.pw"
run -C "$S" quorum reshare --key root --threshold 2 --custodian e1 \
    --custodian e2 --share-dir "$T/ns" --new-secret \
    --share "$T/new/c1/root.share" --share "$T/new/d1/root.share" --passphrase-fd 3 \
    3<"$T/ns.pw"
[ "$rc" -eq 0 ] && grep -q "re-wrapped under a fresh quorum secret" "$T/out" &&
    [ -f "$S/keys/root+epoch3.sealed" ] &&
    [ "$(sha "$S/keys/root.sealed")" = "$old_sealed" ] &&
    ok "--new-secret: epoch 3 dealt, key re-wrapped beside the current file" ||
    fail "--new-secret reshare: exit $rc: $(cat "$T/err")"
verify_shares "$S" root "$T/new" c1 d2
[ "$rc" -eq 0 ] && ok "epoch 2 shares unlock while epoch 3 is pending" ||
    fail "epoch 2 while pending: exit $rc: $(cat "$T/err")"
verify_shares "$S" root "$T/ns" e1 e2
[ "$rc" -eq 0 ] && grep -q "Quorum met" "$T/out" &&
    grep -q "epoch 3 is now current" "$T/out" &&
    [ ! -e "$S/keys/root+epoch3.sealed" ] &&
    [ "$(sha "$S/keys/root.sealed")" != "$old_sealed" ] &&
    ok "the new holders' quorum verify opens the re-wrapped key and activates it" ||
    fail "e1 e2 verify: exit $rc: $(cat "$T/out" "$T/err")"
verify_shares "$S" root "$T/ns" e2 e1
[ "$rc" -eq 0 ] && ok "epoch 3 shares unlock the current key" ||
    fail "epoch 3 unlock: exit $rc"
verify_shares "$S" root "$T/new" c1 d1
[ "$rc" -ne 0 ] && grep -q "epoch 2 was retired on" "$T/err" &&
    ok "epoch 2 shares refused after activation" || fail "epoch 2: exit $rc"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit verify passes after the --new-secret reshare" ||
    fail "audit verify: $(cat "$T/err")"

# The old quorum with the current sealed file: a copy of the state as it
# was before epoch 3 was activated, given the current sealed file.
rm -rf "$T/ns2"
mkdir -p "$T/ns2"
{ pass_of e1; pass_of e2; pass_of f1; pass_of f2; } > "$T/ns2.pw"
run -C "$S" quorum reshare --key root --threshold 2 --custodian f1 \
    --custodian f2 --share-dir "$T/ns2" --new-secret \
    --share "$T/ns/e1/root.share" --share "$T/ns/e2/root.share" --passphrase-fd 3 \
    3<"$T/ns2.pw"
[ "$rc" -eq 0 ] && ok "a second --new-secret reshare (epoch 4) is pending" ||
    fail "epoch 4 reshare: exit $rc: $(cat "$T/err")"
cp -a "$S" "$T/pre"
verify_shares "$S" root "$T/ns2" f1
verify_shares "$S" root "$T/ns2" f2
[ "$rc" -eq 0 ] && grep -q "epoch 4 is now current" "$T/out" &&
    ok "epoch 4 activated" || fail "epoch 4 activation: exit $rc"
verify_shares "$T/pre" root "$T/ns" e1 e2
[ "$rc" -eq 0 ] && ok "in the copy, epoch 3 still unlocks its own file" ||
    fail "copy, epoch 3: exit $rc: $(cat "$T/err")"
cp "$S/keys/root.sealed" "$T/pre/keys/root.sealed"
verify_shares "$T/pre" root "$T/ns" e1 e2
[ "$rc" -ne 0 ] && grep -q "could not be opened with this quorum secret" "$T/err" &&
    ok "--new-secret: the old quorum cannot open the current sealed file" ||
    fail "old quorum with the new sealed file: exit $rc: $(cat "$T/err")"

# Destroying the key retires a pending set too; the next open removes its
# re-wrapped file.
mkdir -p "$T/ns3"
{ pass_of f1; pass_of f2; pass_of g1; pass_of g2; } > "$T/ns3.pw"
run -C "$S" quorum reshare --key root --threshold 2 --custodian g1 \
    --custodian g2 --share-dir "$T/ns3" --new-secret \
    --share "$T/ns2/f1/root.share" --share "$T/ns2/f2/root.share" --passphrase-fd 3 \
    3<"$T/ns3.pw"
[ "$rc" -eq 0 ] && [ -f "$S/keys/root+epoch5.sealed" ] &&
    ok "epoch 5 pending, its re-wrapped file waiting" ||
    fail "epoch 5: exit $rc: $(cat "$T/err")"
{ pass_of f1; pass_of f2; } > "$T/f.pw"
run -C "$S" key destroy root --share "$T/ns2/f1/root.share" \
    --share "$T/ns2/f2/root.share" --passphrase-fd 3 --yes 3<"$T/f.pw"
n=$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM share_sets WHERE state <> 'retired'")
[ "$rc" -eq 0 ] && [ "$n" -eq 0 ] &&
    ok "key destroy retires the active and the pending set" ||
    fail "destroy: exit $rc, $n sets not retired: $(cat "$T/err")"
gen_key "$S" other 2 "$T/other" o1 o2 || fail "key generate: $(cat "$T/gen.err")"
grep -q "root+epoch5.sealed" "$T/gen.err" "$T/gen.out" &&
    ok "the next open for writing says it removed the re-wrapped file" ||
    fail "no word of root+epoch5.sealed: $(cat "$T/gen.err")"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && [ ! -e "$S/keys/root+epoch5.sealed" ] &&
    ok "the pending set's re-wrapped file is gone, audit verify passes" ||
    fail "after destroy: exit $rc: $(ls "$S/keys") $(cat "$T/err")"

# TEST-KEY-074 (crash consistency): kills at each fsync, rename and link of a --new-secret
# reshare, and at the rename of its activation.  After each kill the next
# open for writing leaves: a pending set with its re-wrapped file and its
# share files under their names, or no new set and no file of it; never
# a temporary file; the audit chain intact; the current quorum unlocks.
if command -v strace >/dev/null 2>&1; then
	K="$T/kill"
	mkdir -p "$K"
	make_state "$K/st"
	gen_key "$K/st" kk 2 "$K/sh" a b c || fail "kill key: $(cat "$T/gen.err")"
	kills=0 bad=0 placed=0 i=0 prev="" pdir=""
	for sc in fsync fdatasync renameat2 linkat; do
		n=1
		while [ "$n" -le 30 ]; do
			i=$((i + 1))
			mkdir -p "$K/n$i"
			{ pass_of a; pass_of b; pass_of x; pass_of y; } > "$K/pw"
			set +e
			traced -f -qq -o /dev/null -e trace="$sc" \
			    -e inject="$sc":signal=KILL:when="$n" \
			    "$KEYRITE" -C "$K/st" quorum reshare --key kk \
			    --threshold 2 --custodian x --custodian y \
			    --share-dir "$K/n$i" --new-secret \
			    --share "$K/sh/a/kk.share" --share "$K/sh/b/kk.share" \
			    --passphrase-fd 3 3<"$K/pw" >"$K/out" 2>"$K/err"
			krc=$?
			set -e
			if [ "$krc" -ne 137 ]; then	# ran to the end
				prev=$(sqlite3 "$K/st/keyrite.db" "SELECT epoch FROM share_sets WHERE state = 'pending'")
				pdir="$K/n$i"
				break
			fi
			kills=$((kills + 1))
			# The next open for writing cleans up; a and b unlock.
			verify_shares "$K/st" kk "$K/sh" a b
			[ "$rc" -eq 0 ] || { bad=$((bad + 1)); echo "# $sc $n: unlock: $(head -n 2 "$T/err")"; }
			grep -q "put .* in place" "$T/err" "$T/out" && placed=$((placed + 1))
			pend=$(sqlite3 "$K/st/keyrite.db" "SELECT epoch FROM share_sets WHERE state = 'pending'")
			tmps=$(find "$K" -name '*.tmp-*' | head -n 3)
			[ -z "$tmps" ] || { bad=$((bad + 1)); echo "# $sc $n: temporary files: $tmps"; }
			nf=$(ls "$K/st/keys" | grep -c '+epoch' || true)
			# A pending set is this run's, or an earlier one's.
			[ "$pend" = "$prev" ] || pdir="$K/n$i"
			prev=$pend
			[ -z "$pend" ] || [ "$pdir" = "$K/n$i" ] ||
			    [ ! -e "$K/n$i/x/kk.share" ] ||
			    { bad=$((bad + 1)); echo "# $sc $n: share files of an unrecorded set: $(ls "$K/n$i")"; }
			if [ -n "$pend" ]; then
				[ -f "$K/st/keys/kk+epoch$pend.sealed" ] && [ "$nf" -eq 1 ] &&
				    [ -f "$pdir/x/kk.share" ] && [ -f "$pdir/y/kk.share" ] ||
				    { bad=$((bad + 1)); echo "# $sc $n: pending epoch $pend incomplete: $(ls "$K/st/keys" "$K/n$i")"; }
			else
				[ "$nf" -eq 0 ] && [ ! -e "$K/n$i/x/kk.share" ] ||
				    { bad=$((bad + 1)); echo "# $sc $n: no pending set, but: $(ls "$K/st/keys" "$K/n$i")"; }
			fi
			run -C "$K/st" audit verify
			[ "$rc" -eq 0 ] || { bad=$((bad + 1)); echo "# $sc $n: audit verify: $(head -n 2 "$T/err")"; }
			n=$((n + 1))
		done
		[ "$krc" -eq 0 ] || fail "reshare under strace ($sc $n): exit $krc $(head -n 2 "$K/err")"
	done
	[ "$kills" -ge 10 ] && [ "$bad" -eq 0 ] &&
	    ok "$kills kills at each fsync, rename and link of a --new-secret reshare ($placed put in place): nothing half-made, the current quorum unlocks" ||
	    fail "$bad problems after $kills reshare kills"
	# The activation's switch cut short: the next open finishes it.
	{ pass_of x; } > "$K/x.pw"
	"$KEYRITE" -C "$K/st" quorum verify --key kk --share "$K/n$i/x/kk.share" \
	    --passphrase-fd 3 3<"$K/x.pw" >/dev/null 2>&1 || fail "x check"
	{ pass_of y; } > "$K/y.pw"
	set +e
	traced -f -qq -o /dev/null -e trace=rename,renameat,renameat2 \
	    -e inject=rename,renameat,renameat2:signal=KILL:when=1 \
	    "$KEYRITE" -C "$K/st" quorum verify --key kk --share "$K/n$i/y/kk.share" \
	    --passphrase-fd 3 3<"$K/y.pw" >"$K/out" 2>"$K/err"
	krc=$?
	set -e
	e=$(sqlite3 "$K/st/keyrite.db" "SELECT epoch FROM share_sets WHERE state = 'active'")
	[ "$krc" -eq 137 ] && [ -f "$K/st/keys/kk+epoch$e.sealed" ] &&
	    ok "killed between the activation's commit and its rename" ||
	    fail "activation kill: exit $krc, active epoch $e, $(ls "$K/st/keys")"
	{ pass_of x; pass_of y; } > "$K/xy.pw"
	run -C "$K/st" quorum verify --key kk --share "$K/n$i/x/kk.share" \
	    --share "$K/n$i/y/kk.share" --passphrase-fd 3 3<"$K/xy.pw"
	[ "$rc" -eq 0 ] && grep -q "over keys/kk.sealed" "$T/err" "$T/out" &&
	    [ ! -e "$K/st/keys/kk+epoch$e.sealed" ] &&
	    ok "the next open put the re-wrapped file over the key's file; the new quorum unlocks" ||
	    fail "after the activation kill: exit $rc: $(cat "$T/err" "$T/out" | head -n 4)"
else
	fail "strace is missing (./run test installs it)"
fi
finish
