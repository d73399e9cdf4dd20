#!/bin/sh
# TEST-KEY-080: the shipped root key ceremony, rehearsed then run in
# scripted mode: the rehearsal records nothing; the run makes the key,
# checks every share, signs the root certificate (openssl and certtool
# accept it), lists the public artifacts it wrote in a form `sha256sum
# -c` checks, and every audit row of a step carries the ceremony's and
# the step's id; `ceremony list` and `show` say it is done.
# TEST-KEY-081: resume after kill -9.  The run is killed by strace at
# each of its commits in turn (every fdatasync, so the moments between a
# step's action and its own row are hit too), then resumed with
# `ceremony run --resume ID`: each time the final state is that of the
# uninterrupted run (one key, one certificate, every step done once, no
# repeated serial, the certificate file written, the chain intact, no
# temporary file left).
. "$(dirname "$0")/lib.sh"
set -e

SCRIPT="$SRCDIR/ceremonies/root-key-generation.yaml"
[ -f "$SCRIPT" ] || fail "no $SCRIPT"
# One passphrase for every custodian: a resumed run needs the lines of
# the steps it has left, whichever they are.
yes 'one ceremony passphrase, long enough' | head -n 40 > "$T/pw"
yes yes | head -n 10 > "$T/wit"

# ceremony_args STATE SHARES OUT
ceremony_args() {
	echo "-C $1 ceremony run $SCRIPT --set shares=$2 --set out=$3" \
	    "--set alg=p256 --passphrase-fd 3 --witness-fd 4 --yes"
}

S="$T/s"
make_state "$S"
mkdir -p "$T/sh" "$T/pub"
before=$(state_snapshot "$S/keyrite.db" "$S")
run -C "$S" ceremony check "$SCRIPT" --set shares="$T/sh" \
    --set out="$T/pub" --set alg=p256
[ "$rc" -eq 0 ] || fail "rehearsal: $(cat "$T/err")"
grep -q "Rehearsal passed: 6 steps" "$T/out" || fail "rehearsal summary"
grep -q "will make key 'fleet-root'" "$T/out" || fail "rehearsal lists the key"
[ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] ||
    fail "the rehearsal changed the state folder"
ok "rehearsal passes and records nothing"

# shellcheck disable=SC2046
run $(ceremony_args "$S" "$T/sh" "$T/pub") 3<"$T/pw" 4<"$T/wit"
[ "$rc" -eq 0 ] || fail "ceremony run: $(cat "$T/err")"
id=$(sed -n 's/^Ceremony \([0-9a-f-]*\) is complete.*/\1/p' "$T/out")
[ -n "$id" ] || fail "no ceremony id in the output"
ok "root ceremony ran to the end ($id)"
grep -A8 '^Public artifacts of ceremony' "$T/out" |
    grep '^[0-9a-f]\{64\}  /' > "$T/sums" || true
[ "$(wc -l < "$T/sums")" -eq 2 ] && grep -q "fleet-root.pem" "$T/sums" &&
    grep -q "/MANIFEST.json$" "$T/sums" &&
    "$KEYRITE" export verify "$(dirname "$(grep MANIFEST.json "$T/sums" |
    cut -c67-)")" >/dev/null &&
    sha256sum -c "$T/sums" >/dev/null && ok "the public artifacts are listed (sha256sum -c accepts them) and exported (export verify accepts the folder)" ||
    fail "public artifacts: $(cat "$T/sums")"
openssl verify -x509_strict -CAfile "$T/pub/fleet-root.pem" \
    "$T/pub/fleet-root.pem" >/dev/null || fail "openssl verify"
certtool --verify-chain --infile "$T/pub/fleet-root.pem" >"$T/c.out" 2>&1 &&
    grep -q "Chain verification output: Verified" "$T/c.out" ||
    fail "certtool: $(grep -i 'output\|error' "$T/c.out" | head -n 2)"
ok "openssl and certtool accept the root certificate"
db() { sqlite3 "$1/keyrite.db" "$2"; }
untagged=$(db "$S" "SELECT count(*) FROM audit WHERE seq > (SELECT seq FROM
    audit WHERE event = 'ceremony.begin') AND payload NOT LIKE
    '%\"ceremony\":\"$id\",\"ceremony_step\":%'")
[ "$untagged" -eq 0 ] || fail "$untagged rows of the ceremony lack its id"
tagged=$(db "$S" "SELECT count(*) FROM audit WHERE event = 'cert.root' AND
    payload LIKE '%\"ceremony_step\":\"root-cert\"%'")
[ "$tagged" -eq 1 ] || fail "cert.root row not tagged with its step"
ok "every audit row of the ceremony carries its id and step"
run -C "$S" ceremony show "$id"
grep -q "state: *done" "$T/out" || fail "ceremony show: $(cat "$T/out")"
[ "$(grep -c ' yes ' "$T/out")" -eq 6 ] || fail "six steps done"
run -C "$S" ceremony list
grep -q "$id *done" "$T/out" || fail "ceremony list"
run -C "$S" audit verify
[ "$rc" -eq 0 ] || fail "audit verify: $(cat "$T/out")"
ok "ceremony show and list; audit verify says intact"
expect 1 "is done" "a finished ceremony cannot be resumed" -- \
    -C "$S" ceremony run --resume "$id" --passphrase-fd 3
expect 1 "already done" "nor aborted" -- -C "$S" ceremony abort "$id"

# The final state of a run, for comparison: keys, certificates, steps.
final_state() {
	st=$1 cid=$2
	printf 'keys %s certs %s serials %s\n' \
	    "$(db "$st" "SELECT count(*) FROM keys")" \
	    "$(db "$st" "SELECT count(*) FROM certificates")" \
	    "$(db "$st" "SELECT count(DISTINCT serial) FROM certificates")"
	"$KEYRITE" -C "$st" ceremony show "$cid" | sed -n 's/^\([a-z-]*\) *\(yes\|no\) .*/\1 \2/p'
	"$KEYRITE" -C "$st" ceremony show "$cid" | grep '^state:'
}
want=$(final_state "$S" "$id")

command -v strace >/dev/null 2>&1 || fail "strace is missing"
# How many commits an uninterrupted run makes.
K="$T/k"
make_state "$K"
mkdir -p "$K.sh" "$K.out"
# shellcheck disable=SC2046
traced -f -c -e trace=fdatasync -o "$T/count" \
    "$KEYRITE" $(ceremony_args "$K" "$K.sh" "$K.out") 3<"$T/pw" 4<"$T/wit" \
    >/dev/null 2>&1 || fail "counting run"
total=$(awk '$NF == "fdatasync" { print $4 }' "$T/count")
[ -n "$total" ] && [ "$total" -gt 5 ] || fail "counted no commits"
n=1
killed=0
while [ "$n" -le "$total" ]; do
	K="$T/k$n"
	make_state "$K"
	mkdir -p "$K.sh" "$K.out"
	set +e
	# shellcheck disable=SC2046
	traced -f -o /dev/null -e trace=fdatasync \
	    -e inject=fdatasync:signal=KILL:when="$n" \
	    "$KEYRITE" $(ceremony_args "$K" "$K.sh" "$K.out") 3<"$T/pw" \
	    4<"$T/wit" >"$T/k.out" 2>"$T/k.err"
	krc=$?
	set -e
	[ "$krc" -eq 0 ] || killed=$((killed + 1))
	kid=$(db "$K" "SELECT json_extract(payload, '\$.id') FROM audit WHERE
	    event = 'ceremony.begin'")
	if [ -z "$kid" ]; then
		# Killed before the ceremony began: it is simply run again.
		# shellcheck disable=SC2046
		run $(ceremony_args "$K" "$K.sh" "$K.out") 3<"$T/pw" 4<"$T/wit"
		kid=$(db "$K" "SELECT json_extract(payload, '\$.id') FROM audit
		    WHERE event = 'ceremony.begin'")
	else
		run -C "$K" ceremony run --resume "$kid" --passphrase-fd 3 \
		    --witness-fd 4 --yes 3<"$T/pw" 4<"$T/wit"
	fi
	[ "$rc" -eq 0 ] || fail "resume after the kill at commit $n: $(cat "$T/err")"
	got=$(final_state "$K" "$kid")
	[ "$got" = "$want" ] || fail "kill at commit $n: final state differs:
$got
---
$want"
	openssl verify -CAfile "$K.out/fleet-root.pem" "$K.out/fleet-root.pem" \
	    >/dev/null || fail "kill at commit $n: no valid certificate file"
	"$KEYRITE" -C "$K" audit verify >/dev/null ||
	    fail "kill at commit $n: audit verify"
	left=$(find "$K" "$K.sh" "$K.out" -name '*.tmp*' | wc -l)
	[ "$left" -eq 0 ] || fail "kill at commit $n: temporary files left"
	n=$((n + 1))
done
[ "$killed" -eq "$total" ] || fail "only $killed of $total runs were killed"
ok "killed at each of $total commits and resumed: the same final state every time"
finish
