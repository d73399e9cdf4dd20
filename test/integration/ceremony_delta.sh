#!/bin/sh
# TEST-KEY-497: a ceremony's `crl.publish` step with `due: true, delta:
# true` publishes a delta CRL for every CA key whose delta is due (the
# `delta_crls` that `status --json` lists), each to out_dir as
# KEY-delta-DATE.crl, signed with exactly the TBS its rehearsal prepared
# (--requests, DIR/STEP-KEY-delta.request beside the base form): openssl
# shows the Delta CRL Indicator with the base CRL's number, and `openssl
# verify -crl_check -extended_crl -use_deltas` with base and delta refuses
# the leaf revoked after the base and accepts the other.  A CA whose base
# CRL is due too gets no delta: the rehearsal and the run name it and the
# step to run first; a base step before the delta step publishes the base
# and then its delta (Delta CRL Indicator = the new base's number).  A
# step stopped after its first delta goes on at --resume: the delta
# recorded is not published again, its file (removed here, as a cut
# between commit and write leaves it) is written from the record.
# TEST-KEY-498: with no delta due the step publishes nothing: no file, no
# CRL row, the step's row says "crls":0.
# TEST-KEY-499: bad combinations are refused by `ceremony check` (and
# `ceremony run`) naming the script's line and steps, exit 2, with the
# state unchanged: a delta step before a due base step, and `due: true`
# with issuer_key.
. "$(dirname "$0")/lib.sh"
set -e

SH="$T/sh"
O="$T/o"
for c in a b c; do pass_of "$c"; done > "$T/gen.pw"
delta_cas "$T/s" "$SH" "$O" "$T/gen.pw"
db() { sqlite3 "$S/keyrite.db" "$1"; }
{ pass_of a; pass_of b; } > "$T/ab.pw"
for i in 1 2; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/l$i.key" -subj "/CN=device $i" -out "$T/l$i.csr" \
	    2>/dev/null
	with issuing cert issue --issuer-key issuing --csr "$T/l$i.csr" \
	    --profile device --out "$O/leaf$i.pem"
done
# The issuing CA's base for 30 days; the root's for one day, so that its
# base stays due (within publish_margin_days) while its delta is due too.
with issuing crl publish --issuer-key issuing --out "$O/int-base.der"
with root crl publish --issuer-key root --out "$O/root-base.der" \
    --next-update-days 1
run -C "$S" revoke --issuer-key issuing --serial "$(cert_serial "$O/leaf2.pem")" \
    --reason keyCompromise
[ "$rc" -eq 0 ] || fail "revoke: $(cat "$T/err")"
run -C "$S" status --json
python3 - "$T/out" <<'PY' && ok "status lists both deltas as due and the root's base too" || fail "status: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))["due"]
deltas = sorted(x["issuer_key"] for x in d["delta_crls"])
bases = sorted(x["issuer_key"] for x in d["crls"])
sys.exit(0 if deltas == ["issuing", "root"] and bases == ["root"] else 1)
PY

# script NAME STEPS...: a ceremony whose steps are crl.publish steps
# ID:KIND, KIND base (due: true), delta (due: true, delta: true) or
# keyed (due: true with issuer_key: a bad combination).
script() {
	f="$T/$1.yaml"
	shift
	cat > "$f" <<EOF
keyrite-ceremony: 1
name: delta-test
purpose: Publish the due CRLs.
roles:
  administrator: ann
  witness: walt
  custodians: [a, b]
params:
  shares: {type: path}
  out: {type: path}
steps:
EOF
	for s in "$@"; do
		printf '  - id: %s\n    title: %s CRLs\n    crl.publish:\n      due: true\n      out_dir: ${out}\n      custodians: [a, b]\n      share_dir: ${shares}\n' \
		    "${s%%:*}" "${s#*:}" >> "$f"
		case "${s#*:}" in
		delta) echo "      delta: true" >> "$f" ;;
		keyed) echo "      issuer_key: root" >> "$f" ;;
		esac
	done
}
ceremony_id() {
	db "SELECT json_extract(payload, '\$.id') FROM audit WHERE
	    event = 'ceremony.begin' ORDER BY seq DESC LIMIT 1"
}
# crl_text FILE: openssl's text of a DER CRL in FILE.txt, PEM in FILE.pem.
crl_text() {
	openssl crl -inform DER -in "$1" -out "$1.pem" &&
	    openssl crl -in "$1.pem" -noout -text > "$1.txt"
}
# indicator FILE: the base CRL number its Delta CRL Indicator names.
indicator() {
	grep -A1 "Delta CRL Indicator" "$1.txt" | tail -n 1 | tr -d ' '
}
yes "$(pass_of a)
$(pass_of b)" 2>/dev/null | head -n 40 > "$T/pw" || true
# dated DIR NAME: DIR/NAME-YYYY-MM-DD.crl, the file a due step wrote
# (dated the day the step began).
dated() {
	for f in "$1/$2"-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].crl; do
		[ -f "$f" ] && echo "$f"
	done
	return 0
}

# --- TEST-KEY-497: the due deltas, prepared and published -----------------
script deltas d:delta
mkdir -p "$O/d1" "$T/req"
before=$(state_snapshot "$S/keyrite.db" "$S")
run -C "$S" ceremony check "$T/deltas.yaml" --set shares="$SH" \
    --set out="$O/d1" --requests "$T/req"
tbs=$(sed -n "s/^  TBS SHA-256: \([0-9a-f]*\)$/\1/p" "$T/out")
[ "$rc" -eq 0 ] && [ -n "$tbs" ] && [ -f "$T/req/d-issuing-delta.request" ] &&
    grep -q "^kind delta$" "$T/req/d-issuing-delta.request" &&
    [ ! -e "$T/req/d-issuing.request" ] && [ ! -e "$T/req/d-root-delta.request" ] &&
    grep -q "will sign CRL 2 of 'issuing'" "$T/out" &&
    grep -q "'root': no delta CRL: its base CRL 1 is due" "$T/out" &&
    grep -q "Publish the base first (a crl.publish step with due: true before this one" "$T/out" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "the rehearsal prepares the issuing CA's delta (d-issuing-delta.request), names the root's base as due first, records nothing" ||
    fail "rehearsal: exit $rc $(cat "$T/out" "$T/err")"
run -C "$S" ceremony run "$T/deltas.yaml" --set shares="$SH" \
    --set out="$O/d1" --requests "$T/req" --passphrase-fd 3 --yes 3<"$T/pw"
D=$(dated "$O/d1" issuing-delta)
[ "$rc" -eq 0 ] && [ -n "$D" ] && [ "$(find "$O/d1" -type f | wc -l)" -eq 1 ] &&
    grep -q "'root': no delta CRL: its base CRL 1 is due" "$T/out" &&
    grep -q "delta CRL 2 of 'issuing' (over base CRL 1)" "$T/out" &&
    [ "$(tbs_sha256 "$D")" = "$tbs" ] &&
    ok "the run publishes issuing-delta-DATE.crl only, with the rehearsal's TBS; the root is said, not published" ||
    fail "run: exit $rc $(cat "$T/out" "$T/err"); files: $(ls "$O/d1")"
cid=$(ceremony_id)
crl_text "$D"
crl_text "$O/int-base.der"
[ "$(indicator "$D")" = 1 ] && grep -q "Delta CRL Indicator: critical" "$D.txt" &&
    openssl crl -in "$D.pem" -noout -CAfile "$O/int.pem" 2>&1 | grep -q "verify OK" &&
    ok "openssl: the delta verifies under the issuing CA and its Delta CRL Indicator names base CRL 1" ||
    fail "delta: $(cat "$D.txt")"
cat "$O/int-base.der.pem" "$D.pem" > "$T/crls.pem"
verify() { # CERT CRLS
	openssl verify -crl_check -extended_crl -use_deltas -CRLfile "$2" \
	    -CAfile "$O/root.pem" -untrusted "$O/int.pem" "$1" > "$T/v" 2>&1
}
if verify "$O/leaf2.pem" "$T/crls.pem"; then
	fail "leaf 2 accepted with the delta: $(cat "$T/v")"
elif grep -q "certificate revoked" "$T/v" && verify "$O/leaf1.pem" "$T/crls.pem" &&
    verify "$O/leaf2.pem" "$O/int-base.der.pem"; then
	ok "openssl verify -crl_check -extended_crl -use_deltas: base + delta refuse the revoked leaf, accept the other (the base alone accepts both)"
else
	fail "verify: $(cat "$T/v")"
fi
row=$(db "SELECT payload FROM audit WHERE event = 'ceremony.step' AND
    json_extract(payload, '\$.ceremony') = '$cid'")
echo "$row" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
ok = (r["kind"] == "delta" and r["crls"] == 1 and r["base_due_first"] == ["root"]
      and len(r["outputs"]) == 1 and r["outputs"][0].endswith("/'"$(basename "$D")"'"))
sys.exit(0 if ok else 1)' &&
    [ "$(db "SELECT count(*) FROM audit WHERE event = 'crl.delta' AND
        json_extract(payload, '\$.ceremony') = '$cid'")" -eq 1 ] &&
    ok "the step's row: kind delta, crls 1, base_due_first [root], the file with its SHA-256; one crl.delta row" ||
    fail "step row: $row"
run -C "$S" ceremony report "$cid" --out "$T/rep" --share "$SH/a/issuing.share" \
    --share "$SH/b/issuing.share" --passphrase-fd 3 3<"$T/ab.pw"
[ "$rc" -eq 0 ] && grep -q "crl.delta" "$T/rep/report.txt" &&
    grep -q "base_due_first" "$T/rep/report.txt" &&
    python3 "$SRCDIR/test/tools/verify_transcript.py" "$T/rep" >/dev/null 2>&1 &&
    ok "the transcript lists the crl.delta row and the step's result; verify_transcript.py accepts it" ||
    fail "transcript: exit $rc $(cat "$T/err")"

# --- a base step before the delta step -------------------------------------
script both b:base d:delta
mkdir -p "$O/d2"
run -C "$S" ceremony check "$T/both.yaml" --set shares="$SH" --set out="$O/d2"
[ "$rc" -eq 0 ] &&
    grep -q "will publish a delta CRL of 'root' over the base CRL that step 'b' publishes" "$T/out" &&
    ! grep -q "no delta CRL" "$T/out" &&
    ok "rehearsed: the root's delta follows the base step b publishes" ||
    fail "rehearsal both: exit $rc $(cat "$T/out" "$T/err")"
run -C "$S" ceremony run "$T/both.yaml" --set shares="$SH" --set out="$O/d2" \
    --passphrase-fd 3 --yes 3<"$T/pw"
RB=$(dated "$O/d2" root)
RD=$(dated "$O/d2" root-delta)
[ "$rc" -eq 0 ] && [ -n "$RB" ] && [ -n "$RD" ] &&
    [ "$(find "$O/d2" -type f | wc -l)" -eq 2 ] &&
    ok "the base step publishes the root's base, the delta step then its delta" ||
    fail "run both: exit $rc $(cat "$T/out" "$T/err"); $(ls "$O/d2")"
crl_text "$RB"
crl_text "$RD"
num=$(grep -A1 "X509v3 CRL Number" "$RB.txt" | tail -n 1 | tr -d ' ')
[ "$num" = 2 ] && [ "$(indicator "$RD")" = 2 ] &&
    grep -q "Freshest CRL" "$RB.txt" && ! grep -q "Delta CRL Indicator" "$RB.txt" &&
    openssl crl -in "$RD.pem" -noout -CAfile "$O/root.pem" 2>&1 | grep -q "verify OK" &&
    ok "openssl: the root's delta names the new base (CRL 2) in its Delta CRL Indicator" ||
    fail "root CRLs: $num $(indicator "$RD")"
cat "$RB.pem" "$RD.pem" "$T/crls.pem" > "$T/all.pem"
if openssl verify -crl_check_all -extended_crl -use_deltas -CRLfile "$T/all.pem" \
    -CAfile "$O/root.pem" -untrusted "$O/int.pem" "$O/leaf1.pem" > "$T/v" 2>&1; then
	ok "openssl verify -crl_check_all -extended_crl -use_deltas accepts leaf 1 with both CAs' bases and deltas"
else
	fail "crl_check_all: $(cat "$T/v")"
fi

# --- TEST-KEY-498: none due, nothing published -----------------------------
mkdir -p "$O/d3"
crls=$(db "SELECT count(*) FROM crls")
run -C "$S" ceremony check "$T/deltas.yaml" --set shares="$SH" --set out="$O/d3"
grep -q "no CA key's delta CRL is due now" "$T/out" ||
    fail "rehearsal, none due: $(cat "$T/out")"
run -C "$S" ceremony run "$T/deltas.yaml" --set shares="$SH" --set out="$O/d3" \
    --passphrase-fd 3 --yes 3</dev/null
cid=$(ceremony_id)
[ "$rc" -eq 0 ] && grep -q "no CA key's delta CRL is due" "$T/out" &&
    [ "$(find "$O/d3" -type f | wc -l)" -eq 0 ] &&
    [ "$(db "SELECT count(*) FROM crls")" = "$crls" ] &&
    [ "$(db "SELECT json_extract(payload, '\$.crls') FROM audit WHERE
        event = 'ceremony.step' AND json_extract(payload, '\$.ceremony') = '$cid'")" = 0 ] &&
    ok "no delta due: the step publishes nothing (no file, no CRL row, crls 0), no passphrase asked" ||
    fail "none due: exit $rc $(cat "$T/out" "$T/err")"

# --- resume: a step stopped after its first delta ---------------------------
with root crl publish --issuer-key root --out "$O/root-base3.der"
with issuing crl publish --issuer-key issuing --out "$O/int-base3.der"
mkdir -p "$O/d4"
{ pass_of a; pass_of b; } > "$T/one.pw"
run -C "$S" ceremony run "$T/deltas.yaml" --set shares="$SH" --set out="$O/d4" \
    --passphrase-fd 3 --yes 3<"$T/one.pw"
cid=$(ceremony_id)
first=$(db "SELECT json_extract(payload, '\$.issuer_key') FROM audit WHERE
    event = 'crl.delta' AND json_extract(payload, '\$.ceremony') = '$cid'")
F=$(dated "$O/d4" "$first-delta")
[ "$rc" -ne 0 ] && [ -n "$first" ] && [ -n "$F" ] &&
    [ "$(find "$O/d4" -type f | wc -l)" -eq 1 ] &&
    ok "the step stops after its first delta ('$first') when the second quorum is missing" ||
    fail "stop: exit $rc first=$first $(ls "$O/d4") $(cat "$T/err")"
sum=$(sha256sum "$F" | cut -d' ' -f1)
rm -f "$F"
run -C "$S" ceremony run --resume "$cid" --passphrase-fd 3 --yes 3<"$T/pw"
recorded=$(db "SELECT c.sha256 FROM crls c JOIN keys k ON k.id = c.issuer_key_id
    WHERE k.name = '$first' ORDER BY c.number DESC LIMIT 1")
[ "$rc" -eq 0 ] && [ -f "$F" ] && [ "$(sha256sum "$F" | cut -d' ' -f1)" = "$sum" ] &&
    [ "$sum" = "$recorded" ] &&
    grep -q "delta CRL [0-9]* of '$first' was published before the interruption" "$T/out" &&
    grep -q "was not written before the interruption: written now from the record" "$T/out" &&
    [ "$(find "$O/d4" -type f -name '*-delta-*.crl' | wc -l)" -eq 2 ] &&
    [ "$(db "SELECT count(*) FROM audit WHERE event = 'crl.delta' AND
        json_extract(payload, '\$.ceremony') = '$cid'")" -eq 2 ] &&
    [ "$(db "SELECT json_extract(payload, '\$.crls') FROM audit WHERE
        event = 'ceremony.step' AND json_extract(payload, '\$.ceremony') = '$cid'")" = 2 ] &&
    ok "resumed: '$first' not published again, its file written from the record (same SHA-256 as recorded), the other delta published; the step counts 2" ||
    fail "resume: exit $rc $(cat "$T/out" "$T/err"); $(ls "$O/d4")"
for f in "$O"/d4/*.crl; do
	crl_text "$f"
	k=$(basename "$f" | sed 's/-delta-.*//')
	ca="$O/int.pem"
	[ "$k" = root ] && ca="$O/root.pem"
	openssl crl -in "$f.pem" -noout -CAfile "$ca" 2>&1 | grep -q "verify OK" &&
	    grep -q "Delta CRL Indicator" "$f.txt" ||
	    fail "$f: $(cat "$f.txt")"
done
ok "both deltas of the resumed step verify under their CA (openssl crl)"

# --- TEST-KEY-499: bad combinations refused, nothing changed -----------------
script wrong d:delta b:base
before=$(state_snapshot "$S/keyrite.db" "$S" "$O")
expect 2 "step 'b' (crl.publish) publishes the due base CRLs after step 'd' (line [0-9]*) publishes the due delta CRLs: a delta CRL follows its base, so put step 'b' before step 'd'" \
    "ceremony check refuses a delta step before the base step" -- \
    -C "$S" ceremony check "$T/wrong.yaml" --set shares="$SH" --set out="$O/d3"
grep -q "wrong.yaml, line [0-9]*" "$T/err" || fail "no file and line: $(cat "$T/err")"
expect 2 "put step 'b' before step 'd'" "ceremony run refuses it too, before it begins" -- \
    -C "$S" ceremony run "$T/wrong.yaml" --set shares="$SH" --set out="$O/d3" \
    --passphrase-fd 3 --yes
script keyed k:keyed
expect 2 "step 'k' (crl.publish) has due: true and names issuer_key or out" \
    "ceremony check refuses due: true with issuer_key" -- \
    -C "$S" ceremony check "$T/keyed.yaml" --set shares="$SH" --set out="$O/d3"
[ "$(state_snapshot "$S/keyrite.db" "$S" "$O")" = "$before" ] &&
    ok "the refusals changed nothing (database, state folder, outputs)" ||
    fail "a refused script changed the state"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit verify: intact" || fail "audit verify: $(cat "$T/err")"
finish
