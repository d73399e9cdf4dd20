#!/bin/sh
# TEST-KEY-050: a bounded kill -9 loop.  `key generate`, `cert issue`,
# `crl publish` and `sign batch` are killed at random moments (from 1 ms
# up to a little over each command's measured run time) until at least
# 100 kills have landed.  After each kill: `audit verify` says intact,
# `PRAGMA integrity_check` says ok, the next run of the same operation
# succeeds (a key that was recorded is unlocked from its share files
# instead), and then no temporary file is left (state folder, share
# folders, output folders), no journal is pending, every file in keys/
# and crls/ is owned by a row, no serial or CRL number repeats, every
# share file under its final name is the one recorded for its custodian,
# and every artifact written out is recorded.
# TEST-KEY-051: the same checks after kills placed by strace at each
# fsync, fdatasync, rename and link of each command in turn, so that the
# moments between staging, commit and naming are all hit, including a
# kill after the commit and before the rename (the next open must put
# the file in place, not remove it).
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
O="$T/o"
G="$T/g"
B="$T/b"
mkdir -p "$O" "$G" "$B"
make_state "$S"
gen_ca "$S" root p256 ca || fail "root key: $(cat "$T/gen.err")"
gen_ca "$S" fw p256 firmware || fail "firmware key: $(cat "$T/gen.err")"
# shellcheck disable=SC2046
run -C "$S" cert root --key root --profile root --subject "CN=Crash Root,C=DE" \
    --out "$O/root.pem" $(quorum root) 3<"$T/ab.pw"
[ "$rc" -eq 0 ] || fail "root certificate: $(cat "$T/err")"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/leaf.key" -subj "/CN=x" -out "$T/leaf.csr" 2>/dev/null
for c in a b c; do pass_of "$c"; done > "$T/abc.pw"
{ pass_of a; pass_of b; } > "$T/ab.pw"
head -c 200000 /dev/urandom > "$T/img1.bin"
head -c 300000 /dev/urandom > "$T/img2.bin"
head -c 100000 /dev/urandom > "$T/img3.bin"

db() { sqlite3 "$S/keyrite.db" "$1"; }
# op_args OP TAG: the arguments of one run; the passphrases go on fd 3.
op_args() {
	case $1 in
	keygen) echo "-C $S key generate g$2 --alg p256 --purpose ca" \
	    "--threshold 2 --custodian a --custodian b --custodian c" \
	    "--share-dir $G/g$2 --passphrase-fd 3" ;;
	issue) echo "-C $S cert issue --issuer-key root --csr $T/leaf.csr" \
	    "--profile firmware-signing --subject CN=Leaf$2,C=DE" \
	    "--out $O/c$2.pem --share $T/sh-root/a/root.share" \
	    "--share $T/sh-root/b/root.share --passphrase-fd 3" ;;
	crl) echo "-C $S crl publish --issuer-key root --out $O/crl$2.der" \
	    "--share $T/sh-root/a/root.share --share $T/sh-root/b/root.share" \
	    "--passphrase-fd 3" ;;
	batch) echo "-C $S sign batch $B/b$2/manifest.yaml" \
	    "--share $T/sh-fw/a/fw.share --share $T/sh-fw/b/fw.share" \
	    "--passphrase-fd 3" ;;
	esac
}
# How many times the operation was recorded.
events() {
	case $1 in
	keygen) db "select count(*) from audit where event = 'key.generate'" ;;
	issue) db "select count(*) from audit where event = 'cert.issue'" ;;
	crl) db "select count(*) from audit where event = 'crl.publish'" ;;
	batch) db "select count(*) from audit where event = 'sign.batch'" ;;
	esac
}
pw_of() { [ "$1" = keygen ] && echo "$T/abc.pw" || echo "$T/ab.pw"; }
# Whatever a run needs before it starts: a share folder, a batch folder.
prepare() {
	case $1 in
	keygen) mkdir -p "$G/g$2" ;;
	batch)
		mkdir -p "$B/b$2"
		for m in 1 2 3; do ln -f "$T/img$m.bin" "$B/b$2/img$m.bin"; done
		printf 'version: 1\nkey: fw\nimages:\n  - file: img1.bin\n    format: raw\n    output: img1.sig\n  - file: img2.bin\n    format: mcuboot\n    output: img2.signed\n    version: 1.0.0\n    mcuboot: {header_size: 512, pad_header: true}\n  - file: img3.bin\n    format: raw\n    output: img3.sig3\n' \
		    > "$B/b$2/manifest.yaml" ;;
	esac
}

# Every artifact the run $1 $2 wrote out is recorded.
released_recorded() {
	case $1 in
	issue)
		[ ! -e "$O/c$2.pem" ] || [ "$(db "select count(*) from certificates where serial = lower('$(openssl x509 -in "$O/c$2.pem" -noout -serial | cut -d= -f2)')")" -eq 1 ] ;;
	crl)
		[ ! -e "$O/crl$2.der" ] || [ "$(db "select count(*) from crls where sha256 = '$(sha256sum "$O/crl$2.der" | cut -d' ' -f1)'")" -eq 1 ] ;;
	batch)
		for f in "$B/b$2"/img1.sig "$B/b$2"/img2.signed "$B/b$2"/img3.sig3; do
			[ ! -e "$f" ] && continue
			[ "$(db "select count(*) from signatures where output like '%b$2/$(basename "$f")'")" -eq 1 ] || return 1
		done ;;
	esac
	return 0
}

# Every share file under its final name is the one recorded for it.
shares_recorded() {
	for f in "$G/g$1"/*/"g$1".share; do
		[ -e "$f" ] || continue
		c=$(basename "$(dirname "$f")")
		want=$(db "select lower(hex(c.share_digest)) from custodians c join share_sets s on c.set_id = s.id join keys k on s.key_id = k.id where k.name = 'g$1' and c.name = '$c'")
		[ -n "$want" ] && [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$want" ] || return 1
	done
	return 0
}

# The checks after a kill of OP TAG; WHAT names the kill in messages.
RECOVERIES=0
BAD=0
after_kill() {
	op=$1 tag=$2 what=$3
	problem=""
	run -C "$S" audit verify
	[ "$rc" -eq 0 ] || problem="$problem; audit verify exit $rc: $(head -n 2 "$T/err")"
	[ "$(db 'PRAGMA integrity_check')" = ok ] || problem="$problem; integrity_check"
	# The next run: the same operation, or the recorded key unlocked.
	if [ "$op" = keygen ] && [ "$(db "select count(*) from keys where name = 'g$tag'")" -eq 1 ]; then
		verify_shares "$S" "g$tag" "$G/g$tag" a b
	else
		[ "$op" = keygen ] || tag="$tag-next"
		prepare "$op" "$tag"
		# shellcheck disable=SC2046
		run $(op_args "$op" "$tag") 3<"$(pw_of "$op")"
	fi
	[ "$rc" -eq 0 ] || problem="$problem; the next run failed (exit $rc): $(grep -v cleanup "$T/err" | head -n 2)"
	said=$(grep -c "state folder cleanup" "$T/err" || true)
	RECOVERIES=$((RECOVERIES + said))
	[ -z "$(find "$S" "$O" "$G" "$B" -name '*.tmp-*')" ] ||
	    problem="$problem; temporary files left: $(find "$S" "$O" "$G" "$B" -name '*.tmp-*' | head -n 3)"
	[ -z "$(ls -A "$S/pending" 2>/dev/null)" ] || problem="$problem; a journal is pending"
	for f in $(ls "$S/keys"); do
		[ "$(db "select count(*) from keys where location = 'keys/$f'")" -eq 1 ] ||
		    problem="$problem; keys/$f is owned by no row"
	done
	for f in $(ls "$S/crls" 2>/dev/null); do
		[ "$(db "select count(*) from crls where location = 'crls/$f'")" -eq 1 ] ||
		    problem="$problem; crls/$f is owned by no row"
	done
	[ "$(db 'select count(*) from (select 1 from certificates group by issuer_key_id, serial having count(*) > 1)')" -eq 0 ] ||
	    problem="$problem; a serial repeats"
	[ "$(db 'select count(*) from (select 1 from crls group by issuer_key_id, number having count(*) > 1)')" -eq 0 ] ||
	    problem="$problem; a CRL number repeats"
	if [ "$op" = keygen ]; then
		shares_recorded "$2" || problem="$problem; a share file is not the recorded one"
	else
		released_recorded "$op" "$2" || problem="$problem; an artifact was released but not recorded"
	fi
	if [ -n "$problem" ]; then
		BAD=$((BAD + 1))
		fail "after $what:${problem#;}"
	fi
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
rnd() { od -An -N2 -tu2 /dev/urandom | tr -d ' \n'; }

# Each command's run time, measured here: kills land from 1 ms to 1.3x it.
for op in keygen issue crl batch; do
	prepare "$op" "m$op"
	t0=$(now_ms)
	# shellcheck disable=SC2046
	run $(op_args "$op" "m$op") 3<"$(pw_of "$op")"
	[ "$rc" -eq 0 ] || fail "$op: $(cat "$T/err")"
	eval "ms_$op=$(( ($(now_ms) - t0) * 13 / 10 + 2 ))"
done
# shellcheck disable=SC2154
printf '# run times (ms, x1.3): key generate %s, cert issue %s, crl publish %s, sign batch %s\n' \
    "$ms_keygen" "$ms_issue" "$ms_crl" "$ms_batch"

# --- TEST-KEY-050: random kills -----------------------------------------------
start=$(now_ms)
kills=0 runs=0
k_keygen=0 k_issue=0 k_crl=0 k_batch=0
r_keygen=0 r_issue=0 r_crl=0 r_batch=0
i=0
while [ "$kills" -lt 100 ] && [ "$runs" -lt 600 ]; do
	i=$((i + 1))
	case $((i % 4)) in
	0) op=keygen ;; 1) op=issue ;; 2) op=crl ;; 3) op=batch ;;
	esac
	eval "max=\$ms_$op"
	ms=$(( $(rnd) % max + 1 ))
	prepare "$op" "$i"
	before=$(events "$op")
	set +e
	# shellcheck disable=SC2046
	"$KEYRITE" $(op_args "$op" "$i") 3<"$(pw_of "$op")" >"$T/k.out" 2>"$T/k.err" &
	pid=$!
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid"
	krc=$?
	set -e
	runs=$((runs + 1))
	if [ "$krc" -eq 137 ]; then
		kills=$((kills + 1))
		eval "k_$op=\$((k_$op + 1))"
		[ "$(events "$op")" -gt "$before" ] && eval "r_$op=\$((r_$op + 1))"
		after_kill "$op" "$i" "kill $kills ($op after ${ms} ms)"
	elif [ "$krc" -ne 0 ]; then
		fail "$op $i failed without a kill (exit $krc): $(head -n 2 "$T/k.err")"
	fi
done
secs=$(( ($(now_ms) - start) / 1000 ))
printf '# random kills: %d of %d runs in %d s: key generate %d, cert issue %d, crl publish %d, sign batch %d\n' \
    "$kills" "$runs" "$secs" "$k_keygen" "$k_issue" "$k_crl" "$k_batch"
printf '# ... killed after their commit (recorded): key generate %d, cert issue %d, crl publish %d, sign batch %d\n' \
    "$r_keygen" "$r_issue" "$r_crl" "$r_batch"
[ "$kills" -ge 100 ] && [ "$k_keygen" -gt 0 ] && [ "$k_issue" -gt 0 ] &&
    [ "$k_crl" -gt 0 ] && [ "$k_batch" -gt 0 ] &&
    ok "at least 100 random kills landed, spread over the four commands" ||
    fail "only $kills kills landed in $runs runs"
[ "$BAD" -eq 0 ] && ok "after each of $kills random kills: audit intact, integrity ok, the next run succeeded, nothing unowned or temporary, nothing repeated" ||
    fail "$BAD random kills left a problem"

# --- TEST-KEY-051: kills at each file-system step ------------------------------
if command -v strace >/dev/null 2>&1; then
	start=$(now_ms)
	BAD=0
	skills=0
	pk=0 pc=0 ps=0
	for op in keygen issue crl batch; do
		for sc in fsync fdatasync renameat2 linkat; do
			n=1
			while [ "$n" -le 40 ]; do
				i=$((i + 1))
				prepare "$op" "$i"
				set +e
				# shellcheck disable=SC2046
				traced -f -qq -o /dev/null -e trace="$sc" \
				    -e inject="$sc":signal=KILL:when="$n" \
				    "$KEYRITE" $(op_args "$op" "$i") 3<"$(pw_of "$op")" \
				    >"$T/k.out" 2>"$T/k.err"
				krc=$?
				set -e
				[ "$krc" -eq 137 ] || break
				skills=$((skills + 1))
				after_kill "$op" "$i" "a kill at $op's $sc number $n"
				grep -q "put keys/.* in place" "$T/err" && pk=$((pk + 1))
				grep -q "put crls/.* in place" "$T/err" && pc=$((pc + 1))
				grep -q "put .*\.share in place" "$T/err" && ps=$((ps + 1))
				n=$((n + 1))
			done
			[ "$krc" -eq 0 ] || fail "$op under strace ($sc $n): exit $krc $(head -n 2 "$T/k.err")"
		done
	done
	secs=$(( ($(now_ms) - start) / 1000 ))
	printf '# kills at file-system steps: %d in %d s; put in place by the next open after a kill between commit and rename: sealed files %d, CRL copies %d, share files %d\n' \
	    "$skills" "$secs" "$pk" "$pc" "$ps"
	[ "$skills" -ge 20 ] && [ "$pk" -gt 0 ] && [ "$pc" -gt 0 ] && [ "$ps" -gt 0 ] &&
	    ok "kills at every fsync, rename and link of the four commands ($skills), some between commit and rename" ||
	    fail "the file-system step kills did not reach the commit ($skills kills; placed $pk, $pc, $ps)"
	[ "$BAD" -eq 0 ] && ok "after each of them: the same checks hold, recorded files were put in place" ||
	    fail "$BAD step kills left a problem"
else
	fail "strace is missing (./run test installs it)"
fi
printf '# recoveries reported by the next open: %d\n' "$RECOVERIES"
[ "$RECOVERIES" -gt 0 ] && ok "the next open said what it cleaned up ($RECOVERIES lines)" ||
    fail "no cleanup was ever reported"
finish
