#!/bin/sh
# TEST-KEY-402: policy show prints the policy in force with the SHA-256 of
# each file (sha256sum agrees) and the audit row that pins it.
# TEST-KEY-403: policy update shows the differences profile by profile and
# changes nothing on a dry run; it is refused without a quorum, with too
# few shares, with a bad file (named) and with nothing to change, each
# time with the state unchanged; with a quorum of a CA key's custodians it
# is recorded (old and new SHA-256 of each file, checked by python3 and
# sha256sum), the new files are in force, and the audit chain verifies.
# TEST-KEY-408: the differences are shown path by path into nested maps and
# lists; a value too long to show ends in "..." and the whole new file follows.
# TEST-KEY-407: only a root key's custodians approve quorum.yaml, crl.yaml
# and root profiles; a CA key whose certificate is revoked approves nothing.
# TEST-KEY-404: certificates keep the SHA-256 of the profile they were
# issued under in their audit row: the one issued before the update names
# the old file, the one after names the new one and follows it.
# TEST-KEY-405: an update interrupted after its row makes readers refuse
# and is finished by policy show, one interrupted before it is dropped; a policy file changed
# in place still stops every command, naming the file and the way to
# change the policy.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
O="$T/o"
N="$T/new"
mkdir -p "$O" "$N"
make_state "$S"
gen_ca "$S" root p256 ca || fail "root key: $(cat "$T/gen.err")"
issue root cert root --key root --profile root --subject "CN=Policy Root,C=DE" \
    --out "$O/root.pem"
[ "$rc" -eq 0 ] || fail "root: $(cat "$T/err")"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$O/d.key" -subj "/CN=device 1" -out "$O/d.csr" 2>/dev/null
issue root cert issue --issuer-key root --csr "$O/d.csr" --profile device \
    --out "$O/before.pem"
[ "$rc" -eq 0 ] || fail "device before: $(cat "$T/err")"
old_dev=$(sha256sum < "$S/policy/device.yaml" | cut -d' ' -f1)
cp "$S/policy/device.yaml" "$T/device-old.yaml"

# --- policy show -------------------------------------------------------------
run -C "$S" policy show
good=1
for f in "$S"/policy/*.yaml; do
	h=$(sha256sum < "$f" | cut -d' ' -f1)
	grep -q "^$(basename "$f") .*SHA-256 $h\$" "$T/out" || good=0
done
[ "$rc" -eq 0 ] && [ "$good" -eq 1 ] && grep -q "pinned by audit row 1 (appliance.init" "$T/out" &&
    grep -q "^device.yaml *certificate profile (leaf)" "$T/out" &&
    ok "policy show lists each file with the SHA-256 sha256sum gives, pinned by row 1" ||
    fail "policy show: $(cat "$T/out")"

# --- the new files --------------------------------------------------------------
sed -e 's/^max_days: 90/max_days: 60/' -e 's/^default_days: 30/default_days: 20/' \
    "$S/policy/device.yaml" > "$N/device.yaml"
sed -e 's/^name: device/name: sensor/' "$S/policy/device.yaml" > "$N/sensor.yaml"
cp "$S/policy/root.yaml" "$N/root.yaml"		# unchanged: not an update
new_dev=$(sha256sum < "$N/device.yaml" | cut -d' ' -f1)
new_sen=$(sha256sum < "$N/sensor.yaml" | cut -d' ' -f1)

before=$(state_snapshot "$S/keyrite.db" "$S")
run -C "$S" policy update --from "$N" --key root --dry-run
[ "$rc" -eq 0 ] && grep -q "device.yaml (changed)" "$T/out" &&
    grep -q "max_days: 90 -> 60" "$T/out" && grep -q "default_days: 30 -> 20" "$T/out" &&
    grep -q "sensor.yaml (new file)" "$T/out" && ! grep -q "root.yaml" "$T/out" &&
    grep -q "the new file, line by line" "$T/out" && grep -q "sensor.yaml *9| name: sensor$" "$T/out" &&
    grep -q "2 files would change" "$T/out" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "--dry-run shows each changed key of each file, a new file whole, and records nothing" ||
    fail "dry run: $rc $(cat "$T/out" "$T/err")"

# A long nested change: shown by its path, cut with "...", and then the
# whole new file, so nothing approved goes unseen.
L="$T/long"
mkdir -p "$L"
long="http://pki.example.com/$(printf '%0210d' 7)/root-delta.crl"
sed "s|^issuers: {}|issuers:\\n  root:\\n    delta_distribution_point: \"$long\"\\n    scope: all|" \
    "$S/policy/crl.yaml" | sed 's/\\n/\n/g' > "$L/crl.yaml"
sed 's/^key_algorithms: \[p256, p384, ed25519, rsa\]/key_algorithms: [p256, p384, rsa]/' \
    "$S/policy/device.yaml" > "$L/device.yaml"
run -C "$S" policy update --from "$L" --key root --dry-run
[ "$rc" -eq 0 ] && grep -q "issuers.root: added, {delta_distribution_point: http://pki.example.com/0000" "$T/out" &&
    grep -q '\.\.\.$' "$T/out" && grep -q "whole new file follows" "$T/out" &&
    grep -q "delta_distribution_point: \"$long\"" "$T/out" &&
    grep -q "key_algorithms\[2\]: ed25519 -> rsa" "$T/out" &&
    grep -q "key_algorithms\[3\]: removed (was rsa)" "$T/out" &&
    ok "a long nested change is shown by path, cut with ..., and the whole new file follows" ||
    fail "long change: $rc $(cat "$T/out" "$T/err")"

# --- refusals -------------------------------------------------------------------
run -C "$S" policy update --from "$N" --key root
[ "$rc" -eq 2 ] && grep -q "share of each custodian" "$T/err" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "refused without a quorum (exit 2, state unchanged)" || fail "no quorum: $rc"
pass_of a > "$T/a.pw"
run -C "$S" policy update --from "$N" --key root --yes \
    --share "$T/sh-root/a/root.share" --passphrase-fd 3 3<"$T/a.pw"
[ "$rc" -eq 1 ] && grep -q "2 custodians must present their shares" "$T/err" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "refused with one share of a 2-of-3 key (exit 1, state unchanged)" ||
    fail "one share: $rc $(cat "$T/err")"
before=$(state_snapshot "$S/keyrite.db" "$S")
B="$T/bad"
mkdir -p "$B"
cp "$N/device.yaml" "$B/device.yaml"
printf 'max_dayz: 3\n' >> "$B/device.yaml"
unasked root policy update --from "$B" --key root
refused 2 "a bad profile is refused and named" "$B/device.yaml" "unknown key 'max_dayz'" \
    "policy was not changed"
rm "$B/device.yaml"
printf 'version: 2\nnext_update_days: 30\n' > "$B/crl.yaml"
unasked root policy update --from "$B" --key root
refused 2 "a bad CRL policy is refused and named" "$B/crl.yaml"
rm "$B/crl.yaml"
printf 'x' > "$B/Bad Name.yaml"
unasked root policy update --from "$B" --key root
refused 2 "a badly named file is refused and named" "Bad Name.yaml"
rm "$B/Bad Name.yaml"
cp "$S/policy/device.yaml" "$B/device.yaml"
unasked root policy update --from "$B" --key root
refused 1 "a folder with nothing new is refused" "nothing to update"

# --- who approves what ------------------------------------------------------------
# A CA key below the root approves profiles, not quorum.yaml, crl.yaml or a
# root profile; once its certificate is revoked it approves nothing.
gen_ca "$S" sub p256 ca || fail "sub key: $(cat "$T/gen.err")"
issue root cert issue --issuer-key root --subject-key sub --profile intermediate \
    --subject "CN=Policy Sub,C=DE" --out "$O/sub.pem"
[ "$rc" -eq 0 ] || fail "sub: $(cat "$T/err")"
R="$T/rootonly"
mkdir -p "$R"
sed 's/^next_update_days: 30/next_update_days: 20/' "$S/policy/crl.yaml" > "$R/crl.yaml"
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked sub policy update --from "$R" --key sub
refused 1 "a CA key that is not a root may not approve a crl.yaml change" \
    "$R/crl.yaml changes" "only the custodians of a root key" "'sub' is not one"
rm "$R/crl.yaml"
sed 's/^max_days: \([0-9]*\)/max_days: 1\1/' "$S/policy/root.yaml" > "$R/root.yaml"
cmp -s "$R/root.yaml" "$S/policy/root.yaml" && fail "root.yaml: sed changed nothing"
unasked sub policy update --from "$R" --key sub
refused 1 "nor a root profile" "root.yaml changes" "'sub' is not one"
run -C "$S" policy update --from "$N" --key sub --dry-run
[ "$rc" -eq 0 ] && grep -q "device.yaml (changed)" "$T/out" &&
    ok "it may approve leaf profiles (dry run)" || fail "sub dry run: $rc $(cat "$T/err")"
run -C "$S" revoke --issuer-key root --serial "$(cert_serial "$O/sub.pem")" \
    --reason keyCompromise
[ "$rc" -eq 0 ] || fail "revoke sub: $(cat "$T/err")"
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked sub policy update --from "$N" --key sub
refused 1 "a CA key whose certificate is revoked approves nothing" \
    "key 'sub' may not" "revoked for keyCompromise" "policy was not changed"

# --- accepted with a quorum --------------------------------------------------------
issue root policy update --from "$N" --key root --yes
[ "$rc" -eq 0 ] && grep -q "Policy updated: 2 files changed" "$T/out" &&
    ok "accepted with the quorum of a and b" || fail "update: $(cat "$T/err")"
cmp -s "$N/device.yaml" "$S/policy/device.yaml" && cmp -s "$N/sensor.yaml" "$S/policy/sensor.yaml" &&
    [ ! -e "$S/policy.next" ] && ok "the new files are in force" || fail "files not in place"
sqlite3 "$S/keyrite.db" "SELECT seq, payload FROM audit WHERE event = 'policy.update'" \
    > "$T/row"
python3 - "$T/row" "$old_dev" "$new_dev" "$new_sen" "$S/policy" <<'PY' > "$T/py" 2>&1 &&
import hashlib, json, os, sys
seq, payload = open(sys.argv[1]).read().split('|', 1)
p = json.loads(payload)
ch = {c['file']: c for c in p['changes']}
assert set(ch) == {'device.yaml', 'sensor.yaml'}, ch
assert ch['device.yaml']['old_sha256'] == sys.argv[2], ch
assert ch['device.yaml']['new_sha256'] == sys.argv[3], ch
assert ch['sensor.yaml']['old_sha256'] == '' and ch['sensor.yaml']['new_sha256'] == sys.argv[4]
files = sorted(f for f in os.listdir(sys.argv[5]))
assert p['policy_files'] == len(files)
for f in files:
    h = hashlib.sha256(open(os.path.join(sys.argv[5], f), 'rb').read()).hexdigest()
    assert p[f] == h, f
assert p['previous_pin'] == 1 and p['quorum_key'] == 'root'
assert sorted(p['approved_by']) == ['a', 'b'], p['approved_by']
# The custodians approved the SHA-256 of this text (docs/operations.md).
keys = list(p)
order = keys[keys.index('policy_files') + 1:keys.index('changes')]
text = 'keyrite policy update over audit row %d\n' % p['previous_pin']
text += ''.join('%s  %s\n' % (p[f], f) for f in order)
assert hashlib.sha256(text.encode()).hexdigest() == p['approved_digest']
print(seq)
PY
    ok "the policy.update row holds the old and new SHA-256 of each changed file, and of every file in force" ||
    fail "row: $(cat "$T/py")"
useq=$(tail -n 1 "$T/py")
run -C "$S" policy show
[ "$rc" -eq 0 ] && grep -q "pinned by audit row $useq (policy.update" "$T/out" &&
    grep -q "^device.yaml .*SHA-256 $new_dev\$" "$T/out" &&
    grep -q "^sensor.yaml .*SHA-256 $new_sen\$" "$T/out" &&
    ok "policy show names the update row and the new hashes" || fail "show: $(cat "$T/out")"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "the audit chain verifies after the update" || fail "audit verify: $(cat "$T/err")"

# --- certificates keep their profile version ------------------------------------
issue root cert issue --issuer-key root --csr "$O/d.csr" --profile device \
    --out "$O/after.pem"
[ "$rc" -eq 0 ] || fail "device after: $(cat "$T/err")"
prof_of() {
	sqlite3 "$S/keyrite.db" "SELECT payload FROM audit WHERE event = 'cert.issue'" |
	    python3 -c 'import json,sys
for l in sys.stdin:
    p = json.loads(l)
    if p["serial"] == sys.argv[1].lower(): print(p["profile_sha256"])' "$1"
}
[ "$(prof_of "$(cert_serial "$O/before.pem")")" = "$old_dev" ] &&
    [ "$(prof_of "$(cert_serial "$O/after.pem")")" = "$new_dev" ] &&
    ok "each certificate's audit row keeps the SHA-256 of its profile" ||
    fail "profile_sha256: $(prof_of "$(cert_serial "$O/before.pem")") / $(prof_of "$(cert_serial "$O/after.pem")")"
days() {
	python3 - "$1" <<'PY'
import subprocess, sys, datetime
out = subprocess.run(['openssl', 'x509', '-in', sys.argv[1], '-noout', '-startdate',
    '-enddate'], capture_output=True, text=True, check=True).stdout.split('\n')
f = lambda s: datetime.datetime.strptime(s.split('=', 1)[1], '%b %d %H:%M:%S %Y %Z')
print(round((f(out[1]) - f(out[0])).total_seconds() / 86400))
PY
}
[ "$(days "$O/before.pem")" = 30 ] && [ "$(days "$O/after.pem")" = 20 ] &&
    ok "the certificate before has the old profile's 30 days, the one after the new 20" ||
    fail "days: $(days "$O/before.pem") $(days "$O/after.pem")"
issue root cert issue --issuer-key root --csr "$O/d.csr" --profile sensor \
    --out "$O/sensor.pem"
[ "$rc" -eq 0 ] && ok "the added profile issues" || fail "sensor: $(cat "$T/err")"

# --- an update interrupted after its row: the next writer finishes it -----------
mkdir "$S/policy.next"
mv "$S/policy/device.yaml" "$S/policy.next/device.yaml"
cp "$T/device-old.yaml" "$S/policy/device.yaml"
run -C "$S" cert list
[ "$rc" -eq 2 ] && grep -q "policy update of audit row $useq stopped before its files were moved" "$T/err" &&
    [ -e "$S/policy.next/device.yaml" ] &&
    ok "a reader refuses a policy whose update stopped half-way, saying how to finish it" ||
    fail "reader: $rc $(cat "$T/err")"
run -C "$S" policy show
[ "$rc" -eq 0 ] && [ ! -e "$S/policy.next" ] && cmp -s "$N/device.yaml" "$S/policy/device.yaml" &&
    ok "policy show moves the files of the recorded update into place" ||
    fail "recorded policy.next: $rc $(cat "$T/err")"

# --- an update interrupted before its row: its files are dropped ---------------
mkdir "$S/policy.next"
printf 'version: 1\n' > "$S/policy.next/device.yaml"
run -C "$S" revoke --issuer-key root --serial "$(cert_serial "$O/before.pem")" \
    --reason superseded
[ "$rc" -eq 0 ] && [ ! -e "$S/policy.next" ] && cmp -s "$N/device.yaml" "$S/policy/device.yaml" &&
    ok "files of an update never recorded are removed by the next writer" ||
    fail "policy.next: $rc $(cat "$T/err")"

# --- a file changed in place still stops everything --------------------------
printf '# edited\n' >> "$S/policy/device.yaml"
run -C "$S" key list
[ "$rc" -ne 0 ] && grep -q "policy/device.yaml has changed since audit row $useq" "$T/err" &&
    grep -q "policy update --from DIR" "$T/err" &&
    ok "a file changed in place stops the next command, naming it and the way" ||
    fail "edited: $rc $(cat "$T/err")"
finish
