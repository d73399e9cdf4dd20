#!/bin/sh
# TEST-KEY-497 (at the console): a ceremony whose `crl.publish` step has
# `due: true, delta: true`, picked, set, rehearsed and run at the console
# (tmux, 80x24) with two CA keys' deltas due: each delta is shown whole
# before it is approved ("Delta CRL to be signed by key ...", its base
# CRL's number), the run screen says which CRL the step signs now, and
# the second signing's shares start again at "waiting"; both deltas are
# written as KEY-delta-DATE.crl, which openssl verifies under their CA
# with the Delta CRL Indicator naming the base; the step's row says
# kind delta, crls 2; no passphrase is on any screen.
. "$(dirname "$0")/lib.sh"
set -e

SH="$T/sh"
O="$T/o"
mkdir -p "$T/cer" "$T/pub"
PA="Tq7 marl Ubo 5521 pear"
PB="Jd3 cove Wix 9034 lime"
printf '%s\n%s\n%s\n' "$PA" "$PB" "$PB" > "$T/gen.pw"
delta_cas "$T/s" "$SH" "$O" "$T/gen.pw"
with root crl publish --issuer-key root --out "$O/root-base.der"
with issuing crl publish --issuer-key issuing --out "$O/int-base.der"
cat > "$T/cer/delta-crls.yaml" <<'EOF'
keyrite-ceremony: 1
name: delta-crls
purpose: Publish the delta CRL of every CA key whose delta is due.
roles:
  administrator: ann
  witness: walt
  custodians: [a, b]
params:
  shares: {type: path, about: the custodians' share media}
  out: {type: path, about: the folder for the CRLs}
steps:
  - id: deltas
    title: Publish every delta CRL that is due
    say: The custodians read each delta's number and base, then approve.
    crl.publish:
      due: true
      delta: true
      out_dir: ${out}
      custodians: [a, b]
      share_dir: ${shares}
EOF

console "-C '$S' console --ceremonies '$T/cer'"
see "Audit head" || fail "home"
keys c
see "Ceremony scripts in" || fail "ceremonies list"
keys Enter
see "Parameters" || fail "form"
keys Enter
typed "$SH"
keys Down Enter
typed "$T/pub"
see "> out  *$T/pub" || fail "out set"
keys r
see "Rehearsal passed: 1 steps checked" && has "will sign CRL 2 of 'root'" &&
    has "will sign CRL 2 of 'issuing'" &&
    ok "rehearsed at the console: both deltas prepared" || fail "rehearsal"
keys Escape g
see "Start ceremony delta-crls now" || fail "start asked"
keys y
see "Approve what will be signed" && has "delta of base CRL" ||
    fail "first approval"
k1=$(sed -n "s/.*Delta CRL to be signed by key '\([a-z]*\)'.*/\1/p" "$T/pane" | head -n 1)
[ -n "$k1" ] && ok "the first delta ('$k1') is shown whole before it is approved" ||
    fail "no delta title"
keys y
see "Custodian 'a', type the passphrase" || fail "a, first"
secret "$PA"
see "Custodian 'b', type the passphrase" || fail "b, first"
secret "$PB"
see "Approve what will be signed" || fail "second approval"
k2=$(sed -n "s/.*Delta CRL to be signed by key '\([a-z]*\)'.*/\1/p" "$T/pane" | head -n 1)
[ -n "$k2" ] && [ "$k2" != "$k1" ] || fail "second delta: '$k2'"
keys y
see "Custodian 'a', type the passphrase" &&
    grep -q "Now: Delta CRL to be signed by key '$k2'" "$T/pane" &&
    grep -q "share of b  *waiting" "$T/pane" &&
    ok "the second signing of the step: the run screen names it ('$k2'), its shares start again at waiting" ||
    fail "second signing screen"
secret "$PA"
see "Custodian 'b', type the passphrase" || fail "b, second"
secret "$PB"
see "The ceremony is complete" && ok "the ceremony ran to its end at the console" ||
    fail "end"
keys Enter Escape Escape Escape q y
see "EXIT=0" || fail "exit"

good=0
for k in root issuing; do
	f=$(find "$T/pub" -name "$k-delta-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].crl")
	ca="$O/int.pem"
	[ "$k" = root ] && ca="$O/root.pem"
	[ -f "$f" ] && openssl crl -inform DER -in "$f" -noout -text > "$T/$k.txt" &&
	    grep -A1 "Delta CRL Indicator" "$T/$k.txt" | tail -n 1 | grep -q "^ *1$" &&
	    openssl crl -inform DER -in "$f" -noout -CAfile "$ca" 2>&1 |
	    grep -q "verify OK" && good=$((good + 1))
done
[ "$good" -eq 2 ] && [ "$(find "$T/pub" -type f | wc -l)" -eq 2 ] &&
    ok "root-delta-DATE.crl and issuing-delta-DATE.crl: openssl verifies each, its Delta CRL Indicator naming base CRL 1" ||
    fail "delta files: $(ls "$T/pub")"
[ "$(sqlite3 "$S/keyrite.db" "SELECT json_extract(payload, '\$.kind') ||
    ' ' || json_extract(payload, '\$.crls') FROM audit WHERE
    event = 'ceremony.step'")" = "delta 2" ] &&
    ok "the step's row: kind delta, crls 2" || fail "step row"
no_secrets && ok "no passphrase on any of the $shots screens captured" ||
    fail "a passphrase was on a screen"
finish
