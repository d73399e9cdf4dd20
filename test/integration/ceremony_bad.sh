#!/bin/sh
# TEST-KEY-085: ceremony scripts that must be refused before anything
# runs: a key named like a secret (passphrase, pin, secret), an unknown
# key, an unknown action, two actions in a step, a missing parameter, an
# alias or anchor, a reference to an undeclared parameter, a command line
# as arguments, a wrong format version, a duplicate step id, an argument
# the action does not take, a bad --set.  Each names the file and line
# (or the parameter), exits non-zero and leaves the state folder as it
# was (no audit row, no file).
# TEST-KEY-086: a checkpoint the witness does not confirm stops the
# ceremony; `ceremony run --resume ID` goes on from it, and the steps
# already done are not repeated.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/s"
make_state "$S"
mkdir -p "$T/sh" "$T/pub"
head_ok='keyrite-ceremony: 1
name: t
purpose: test
roles: {administrator: ann, witness: walt}'
step_ok='  - id: look
    title: Look
    checkpoint: {observation: the door is shut}'

# bad NAME PATTERN WHAT: writes $T/NAME.yaml from stdin, then checks it
# is refused (check and run) naming PATTERN, with nothing changed.
bad() {
	cat > "$T/$1.yaml"
	snap=$(state_snapshot "$S/keyrite.db" "$S")
	for cmd in check run; do
		run -C "$S" ceremony "$cmd" "$T/$1.yaml"
		if [ "$rc" -eq 0 ] || ! grep -q -- "$2" "$T/err"; then
			fail "$3 ($cmd): exit $rc, $(cat "$T/err")"
			return 0
		fi
	done
	[ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
	    ok "$3: refused naming it, nothing changed" ||
	    fail "$3: the state folder changed"
}

bad secret "line 12: 'passphrase' names a secret" "a passphrase in a script" <<EOF
$head_ok
steps:
  - id: look
    title: Look
    checkpoint: {observation: x}
  - id: gen
    title: Gen
    quorum.verify: {key: k, share_dir: /x,
      passphrase: hunter2}
EOF
bad pin "'token_pin' names a secret" "a PIN in a script" <<EOF
$head_ok
params:
  token_pin: {type: string, default: "1234"}
steps:
$step_ok
EOF
bad unknown "line 9: unknown key 'colour'" "an unknown top-level key" <<EOF
$head_ok
steps:
$step_ok
colour: red
EOF
bad action "line 11: unknown key or action 'key.gen'" "an unknown action" <<EOF
$head_ok
steps:
$step_ok
  - id: gen
    title: Gen
    key.gen: {name: k}
EOF
bad two "a step has one action" "two actions in one step" <<EOF
$head_ok
steps:
  - id: look
    title: Look
    checkpoint: {observation: x}
    expect: {file: /etc/hostname, sha256: 00}
EOF
bad missing "parameter 'out' (line 6.*--set out=VALUE" "a parameter without value or default" <<EOF
$head_ok
params:
  out: {type: path, about: where}
steps:
$step_ok
EOF
bad alias "line 6: anchors" "an anchor and alias" <<EOF
$head_ok
steps:
  - &s1
    id: look
    title: Look
    checkpoint: {observation: x}
  - *s1
EOF
bad alias2 "line 8: aliases" "an alias" <<EOF
$head_ok
steps:
  - id: look
    title: Look
    checkpoint: {observation: *nothing}
EOF
bad ref "'\${nowhere}' is not a parameter" "a reference to an undeclared parameter" <<EOF
$head_ok
steps:
  - id: look
    title: Look
    checkpoint: {observation: "\${nowhere}"}
EOF
bad shell "never a command line" "a shell string as arguments" <<EOF
$head_ok
steps:
  - id: look
    title: Look
    checkpoint: keyrite key generate k --threshold 2
EOF
bad version "keyrite-ceremony: 2 is not a format" "a format version not known" <<EOF
keyrite-ceremony: 2
name: t
purpose: test
roles: {administrator: ann, witness: walt}
steps:
$step_ok
EOF
bad dup "step id 'look' is used twice" "a duplicate step id" <<EOF
$head_ok
steps:
$step_ok
$step_ok
EOF
bad arg "checkpoint takes no argument 'colour'" "an argument the action does not take" <<EOF
$head_ok
steps:
  - id: look
    title: Look
    checkpoint: {observation: x, colour: red}
EOF
bad needs "needs 'key'" "a required argument missing" <<EOF
$head_ok
steps:
  - id: look
    title: Look
    quorum.verify: {share_dir: /x}
EOF
cat > "$T/good.yaml" <<EOF
$head_ok
params:
  n: {type: int, default: "2"}
steps:
$step_ok
EOF
expect 2 "no such parameter" "--set of an unknown parameter" -- \
    -C "$S" ceremony check "$T/good.yaml" --set colour=red
expect 2 "is a number" "--set of a number parameter with text" -- \
    -C "$S" ceremony check "$T/good.yaml" --set n=two

# The witness says no: the ceremony stops, then resumes after the fix.
cat > "$T/w.yaml" <<EOF
$head_ok
steps:
  - id: first
    title: First
    checkpoint: {observation: the first thing}
  - id: second
    title: Second
    checkpoint: {observation: the second thing}
EOF
printf 'yes\nno\n' > "$T/w1"
run -C "$S" ceremony run "$T/w.yaml" --witness-fd 4 4<"$T/w1"
id=$(sed -n 's/^Ceremony \([0-9a-f-]*\) stopped.*/\1/p' "$T/out")
[ "$rc" -ne 0 ] && [ -n "$id" ] && grep -q "witness did not confirm" "$T/err" &&
    ok "a checkpoint not confirmed stops the ceremony" ||
    fail "witness no: exit $rc $(cat "$T/err")"
printf 'yes\n' > "$T/w2"
run -C "$S" ceremony run --resume "$id" --witness-fd 4 4<"$T/w2"
rows=$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM audit WHERE event =
    'ceremony.checkpoint' AND payload LIKE '%\"ceremony_step\":\"first\"%'")
[ "$rc" -eq 0 ] && [ "$rows" -eq 1 ] && ! grep -q "Step 1 of 2" "$T/out" &&
    ok "resumed at the second step; the first was not repeated" ||
    fail "resume: exit $rc, first-step rows $rows"
expect 2 "no --set" "a resumed ceremony keeps its parameters" -- \
    -C "$S" ceremony run --resume "$id" --set n=1
expect 2 "no ceremony 20990101-00000000" "an unknown id is named" -- \
    -C "$S" ceremony run --resume 20990101-00000000
finish
