#!/bin/sh
# TEST-KEY-043, TEST-KEY-044: one writer at a time.  A command that
# changes state holds an exclusive lock on the state folder's keyrite.lock
# from before it opens the database until it ends; a second writer says
# once that it waits for the first (naming its pid) and, after
# KEYRITE_LOCK_WAIT seconds, exits 2 with "busy" having changed nothing.
# Readers neither wait nor fail meanwhile, nor during another program's
# SQLite write transaction (a writer meeting one says busy).  A writer that waits long
# enough goes on when the first ends; a killed holder leaves no lock; two
# inits on one folder make one state folder.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
make_state "$S"
gen_ca "$S" root p256 ca || fail "key generate"
for c in a b; do pass_of "$c"; done > "$T/ab.pw"
for c in x y z; do pass_of "$c"; done > "$T/xyz.pw"
gen2() {
	mkdir -p "$T/sh-$1"
	"$KEYRITE" -C "$S" key generate "$1" --alg p256 --purpose ca \
	    --threshold 2 --custodian x --custodian y --custodian z \
	    --share-dir "$T/sh-$1" --passphrase-fd 3 3<"$T/xyz.pw"
}

# hold: a `quorum verify` that has the lock and waits for its passphrases
# on a fifo (fd 4 is the fifo's other end); sets $holder.
hold() {
	rm -f "$T/pw.fifo"
	mkfifo "$T/pw.fifo"
	exec 4<>"$T/pw.fifo"
	"$KEYRITE" -C "$S" quorum verify --key root --share "$T/sh-root/a/root.share" \
	    --share "$T/sh-root/b/root.share" --passphrase-fd 3 3<"$T/pw.fifo" \
	    >"$T/holder.out" 2>"$T/holder.err" &
	holder=$!
	i=0
	while [ "$(cat "$S/keyrite.lock" 2>/dev/null)" != "$holder" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(cat "$S/keyrite.lock")" = "$holder" ] ||
	    fail "the holder (pid $holder) did not take the lock"
}
# release: give the holder its passphrases and wait for it; sets $hrc.
release() {
	cat "$T/ab.pw" >&4
	exec 4>&-
	set +e
	wait "$holder"
	hrc=$?
	set -e
}

hold
[ "$(stat -c %a "$S/keyrite.lock")" = 600 ] &&
    ok "the lock file is keyrite.lock, mode 0600, holding the writer's pid" ||
    fail "lock file mode $(stat -c %a "$S/keyrite.lock")"
snap=$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")
set +e
start=$(date +%s)
KEYRITE_LOCK_WAIT=2 gen2 k2 >"$T/out" 2>"$T/err"
rc=$?
took=$(($(date +%s) - start))
set -e
[ "$rc" -eq 2 ] && grep -q "busy: another keyrite (pid $holder)" "$T/err" &&
    grep -q "KEYRITE_LOCK_WAIT" "$T/err" &&
    ok "a second writer gives up after KEYRITE_LOCK_WAIT with exit 2, busy, naming pid $holder" ||
    fail "second writer: exit $rc $(cat "$T/err")"
[ "$(grep -c "waiting for another keyrite (pid $holder)" "$T/err")" -eq 1 ] &&
    ok "... having said once that it waits for pid $holder" ||
    fail "the waiting line: $(cat "$T/err")"
[ "$took" -ge 2 ] && [ "$took" -le 6 ] && ok "... after about 2 s ($took s)" ||
    fail "the wait took $took s"
[ -z "$(ls -A "$T/sh-k2")" ] && [ "$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")" = "$snap" ] &&
    ok "... and changed nothing (database, keys, policy)" || fail "the busy writer changed the state"
KEYRITE_LOCK_WAIT=0 expect 2 "busy" "KEYRITE_LOCK_WAIT=0 does not wait" -- \
    -C "$S" revoke --issuer-key root --serial 01 --reason superseded
grep -q "waiting" "$T/err" && fail "KEYRITE_LOCK_WAIT=0 said it waits" || true
KEYRITE_LOCK_WAIT=soon expect 2 "KEYRITE_LOCK_WAIT wants a number" \
    "a KEYRITE_LOCK_WAIT that is not a number is a usage error" -- \
    -C "$S" revoke --issuer-key root --serial 01 --reason superseded

# Readers go on while the writer holds the lock.
for cmd in "key list" "audit verify" "status" "cert list" "audit show"; do
	set +e
	start=$(date +%s)
	# shellcheck disable=SC2086
	KEYRITE_LOCK_WAIT=30 "$KEYRITE" -C "$S" $cmd >"$T/out" 2>"$T/err"
	rc=$?
	took=$(($(date +%s) - start))
	set -e
	[ "$rc" -eq 0 ] && [ "$took" -le 2 ] && ! grep -q "waiting\|busy" "$T/err" &&
	    ok "\`$cmd\` works at once while a writer holds the lock" ||
	    fail "$cmd during a writer: exit $rc after $took s: $(cat "$T/err")"
done
grep -q "intact" "$T/out" "$T/err" || true
release
[ "$hrc" -eq 0 ] && grep -q "Quorum met" "$T/holder.out" &&
    ok "the first writer finishes normally" || fail "holder: exit $hrc $(cat "$T/holder.err")"
[ "$(cat "$S/keyrite.lock")" = "" ] && ok "... and leaves no pid in the lock file" ||
    fail "lock file after release: $(cat "$S/keyrite.lock")"
set +e
gen2 k2 >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 0 ] && ok "after it, the second writer succeeds" || fail "k2: exit $rc $(cat "$T/err")"

# A writer that waits long enough goes on when the first finishes.
hold
set +e
KEYRITE_LOCK_WAIT=30 gen2 k3 >"$T/w.out" 2>"$T/w.err" &
waiter=$!
i=0
while ! grep -q "waiting for another keyrite (pid $holder)" "$T/w.err" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
set -e
grep -q "waiting for another keyrite (pid $holder)" "$T/w.err" &&
    ok "a waiting writer says so" || fail "no waiting line: $(cat "$T/w.err")"
release
set +e
wait "$waiter"
wrc=$?
set -e
[ "$hrc" -eq 0 ] && [ "$wrc" -eq 0 ] && [ -s "$T/sh-k3/x/k3.share" ] &&
    ok "... and generates its key once the first has finished" ||
    fail "waiter: holder $hrc, waiter $wrc: $(cat "$T/w.err")"

# The kernel drops the lock of a killed holder.
hold
kill -9 "$holder"
set +e
wait "$holder"
set -e
exec 4>&-
KEYRITE_LOCK_WAIT=0 run -C "$S" revoke --issuer-key root --serial 01 --reason superseded
[ "$rc" -ne 0 ] && ! grep -q "busy" "$T/err" &&
    ok "a killed writer leaves no lock behind (the next one runs: $(head -c 60 "$T/err")...)" ||
    fail "after kill -9: exit $rc $(cat "$T/err")"

# A lock file replaced by a symbolic link is refused; readers are not hurt.
mv "$S/keyrite.lock" "$T/lock.saved"
ln -s "$T/elsewhere" "$S/keyrite.lock"
expect 2 "symbolic link" "a symlinked lock file is refused" -- \
    -C "$S" revoke --issuer-key root --serial 01 --reason superseded
[ ! -e "$T/elsewhere" ] && ok "... and nothing was created through it" ||
    fail "the lock was created through the link"
rm "$S/keyrite.lock"
mv "$T/lock.saved" "$S/keyrite.lock"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "the audit chain is intact after all of this" ||
    fail "audit verify: exit $rc $(cat "$T/out" "$T/err")"

# A write transaction of another program (the sqlite3 tool, outside the
# lock): readers still read at once; a writer meeting it says busy and
# leaves nothing.
{ echo "BEGIN IMMEDIATE; INSERT INTO meta VALUES ('probe', 'x');"; sleep 8; echo "ROLLBACK;"; } |
    sqlite3 "$S/keyrite.db" &
sq=$!
sleep 1
for cmd in "key list" "audit verify"; do
	set +e
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$KEYRITE" -C "$S" $cmd >"$T/out" 2>"$T/err"
	rc=$?
	took=$(($(date +%s) - start))
	set -e
	[ "$rc" -eq 0 ] && [ "$took" -le 2 ] &&
	    ok "\`$cmd\` reads at once during another program's write transaction" ||
	    fail "$cmd during a write transaction: exit $rc after $took s: $(cat "$T/err")"
done
snap=$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")
set +e
gen2 k4 >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "busy: the keyrite database" "$T/err" &&
    ! grep -q "unusable\|attention\|damaged" "$T/err" && [ -z "$(ls -A "$T/sh-k4")" ] &&
    ok "a writer meeting another program's transaction says busy (exit 2) and leaves nothing" ||
    fail "writer during a write transaction: exit $rc $(cat "$T/err")"
wait "$sq"
[ "$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")" = "$snap" ] &&
    ok "... the state is unchanged" || fail "state changed"

# A writer pointed at a folder that is no state folder leaves no lock there.
mkdir "$T/empty"
expect 2 "no keyrite state folder" "a writer refuses a folder with no database" -- \
    -C "$T/empty" revoke --issuer-key root --serial 01 --reason superseded
[ -z "$(ls -A "$T/empty")" ] && kr -C "$T/empty" init --kdf-profile test >/dev/null &&
    ok "... leaves it empty, and init works there" || fail "left: $(ls -A "$T/empty")"

# Two inits on one folder: one state folder, one refusal, every time.
n=0
good=0
while [ $n -lt 8 ]; do
	D="$T/init$n"
	set +e
	"$KEYRITE" -C "$D" init --kdf-profile test >"$T/i1.out" 2>"$T/i1.err" &
	p1=$!
	"$KEYRITE" -C "$D" init --kdf-profile test >"$T/i2.out" 2>"$T/i2.err" &
	p2=$!
	wait $p1
	r1=$?
	wait $p2
	r2=$?
	"$KEYRITE" -C "$D" audit verify >/dev/null 2>&1
	rv=$?
	set -e
	if [ $((r1 + r2)) -eq 2 ] && { [ $r1 -eq 0 ] || [ $r2 -eq 0 ]; } &&
	    [ $rv -eq 0 ] && [ "$(sqlite3 "$D/keyrite.db" "select count(*) from audit")" -eq 1 ]; then
		good=$((good + 1))
		cat "$T/i1.err" "$T/i2.err" | sed 's/^/# loser: /' 
	else
		printf '# round %d: exits %d %d, verify %d: %s %s\n' "$n" "$r1" "$r2" "$rv" \
		    "$(cat "$T/i1.err")" "$(cat "$T/i2.err")"
	fi
	n=$((n + 1))
done
[ "$good" -eq 8 ] && ok "two inits at once: one state folder with one init row, one refusal (8 rounds)" ||
    fail "concurrent init: $good of 8 rounds clean"
finish
