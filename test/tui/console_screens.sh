#!/bin/sh
# TEST-KEY-369: the inventory at the console: keys (with their quorum),
# certificates with their revocation state (a revoked intermediate says
# REVOKED, its detail the reason), CRLs, custodians' shares, signatures
# (listed by the store, kr_store_signature_foreach).
# TEST-KEY-370: the audit log at the console: every row, a row's payload,
# and verify, whose head is the one `keyrite status` prints.
# TEST-KEY-438: the audit log at the console as `audit show` prints it
# (kr_audit_payload_text): the row's time, and the times in its payload,
# in ISO 8601 UTC (checked against the audit table read by sqlite3, the
# epoch numbers turned into times by python3), the row's whole hash, and
# no bare 10-digit epoch number on the screen.
# TEST-KEY-371: '?' shows the keys on every screen, and Esc backs out of
# every screen (also the question before a run) with nothing changed.
# TEST-KEY-372: a ceremony's long step at the console (ota-release, a 48
# MiB image): a progress bar with bytes and rate; the signature verifies
# with openssl.
# TEST-KEY-373: lines in ASCII with KEYRITE_ASCII=1, with --ascii and in
# a locale that is not UTF-8; in UTF-8 otherwise.  Text that is not
# ASCII is drawn escaped in a locale that is not UTF-8 (CN=Z\u00fcrich).
# TEST-KEY-360 (home, what is due): a certificate expiring within 90 days
# and a CA key with no CRL are listed on home after r; home is read on
# entry, after a rehearsal or run, and on r, not at every key.
# TEST-KEY-485: a short-lived device certificate is counted on home, one
# line for its issuing key and profile within 80 columns, not listed.
# TEST-KEY-374: a record that does not match the chain: the home screen
# says DAMAGED STATE (in words, coloured red, without colour under
# NO_COLOR), so do the inventory, a record in full and the audit log;
# a rehearsal is refused with nothing changed.
# TEST-KEY-372 (the end): t writes the transcript, signed by the
# approvers typing at the console; verify-report passes.
# TEST-KEY-379: see, then approve: the run's question shows the script's
# SHA-256; a script changed on disk after its form was opened is refused
# (run and rehearsal), nothing recorded.
# TEST-KEY-378: SIGTERM at the console: it leaves through its own exit,
# the terminal sane again; a hang-up with SIGHUP ignored: it leaves too.
# TEST-KEY-367: no passphrase typed at the console (each half typed, the
# screen captured, then the rest) is on a screen captured: no '*', no 6
# characters in a row of one.
# TEST-KEY-377: the console refused, exit 2 and nothing changed: without
# a terminal, without a state folder, with a folder that is none, with a
# stray argument.
. "$(dirname "$0")/lib.sh"
set -e
unset KEYRITE_HOME

revoking_ca "$T/s" "CN=Zürich Root,O=Example Devices,C=NL"
S="$T/s"
run -C "$S" crl publish --issuer-key root --out "$T/root.crl" \
    --share "$T/sh-root/a/root.share" --share "$T/sh-root/b/root.share" \
    --passphrase-fd 3 3<"$T/ab.pw"
[ "$rc" -eq 0 ] || fail "crl publish: $(cat "$T/err")"
# What Esc may not change (the database's file and the writers' lock
# aside: a close may checkpoint the one, the other names its holder).
records() {
	{
		sqlite3 "$S/keyrite.db" .dump
		find "$S" -type f ! -name 'keyrite.db*' ! -name keyrite.lock |
		    sort | xargs sha256sum
	} | sha256sum
}
before=$(records)
# A dialog's box only (columns 7-74), its lines joined, no blanks.
boxed() {
	python3 -c 'import sys
print("".join(l[6:74] for l in open(sys.argv[1]).read().splitlines()))' \
	    "$T/pane" | tr -d ' │|'
}

expect 2 "the console needs a terminal" "no terminal: refused" -- \
    -C "$S" console </dev/null
expect 2 "no state folder: give -C STATEDIR" "no state folder: refused" -- \
    console
expect 2 "no keyrite state folder at $T/none" "not a state folder: refused" \
    -- -C "$T/none" console
expect 2 "unexpected argument 'extra'" "a stray argument: refused" -- \
    -C "$S" console extra
[ "$(records)" = "$before" ] && [ ! -e "$T/none" ] &&
    ok "the refused consoles changed nothing" || fail "state changed"

console "-C '$S' console"
see "Audit head" || fail "home"
helps=0
# help SCREEN TEXT: '?' on the screen shows its keys, any key closes.
help() {
	keys '?'
	see "Keys on this screen" && has "$2" && helps=$((helps + 1)) ||
	    fail "no keys shown on $1"
	keys Escape
	sleep 0.2
}
help home "inventory: keys, certificates"
keys i
see "1 Keys" && grep -q "root  *ca  *p256  *sealed  *active" "$T/pane" ||
    fail "keys list"
help inventory "Tab the next list"
keys Enter
see "quorum  *2 of 3, share set epoch 1" && grep -q "share 1   a" "$T/pane" &&
    ok "inventory: a key in full, with its quorum and custodians" ||
    fail "key detail"
help "key detail" "PgUp, PgDn"
keys Escape 2
see "REVOCATION" &&
    [ "$(grep -c ' good ' "$T/pane")" -eq 2 ] &&
    [ "$(grep -c ' REVOKED ' "$T/pane")" -eq 1 ] ||
    fail "certificates list"
keys Down Enter
see "revocation  *revoked" && grep -q "subject  *CN=Sub 1" "$T/pane" &&
    has "keyCompromise" &&
    ok "inventory: the revoked intermediate says REVOKED, in full with its reason" ||
    fail "revoked certificate detail"
keys Escape 3
see "ISSUER KEY" && grep -q "root  *1  *20" "$T/pane" &&
    ok "inventory: the CA key's newest CRL" || fail "CRLs list"
keys 5
see "CUSTODIAN" && [ "$(grep -c ' root  *[123] ' "$T/pane")" -eq 3 ] &&
    ok "inventory: the custodians' shares" || fail "custodians list"
keys Escape a
see "ACTOR" && grep -q "appliance.init" "$T/pane" &&
    grep -q "crl.publish" "$T/pane" || fail "audit log"
# The crl.publish row as sqlite3 reads it: its sequence, its time and the
# times in its payload (epoch numbers, made ISO 8601 by python3), and its
# hash.
sqlite3 -json "$S/keyrite.db" "SELECT seq, time, payload,
    lower(hex(hash)) AS hash FROM audit WHERE event = 'crl.publish'" \
    > "$T/crlrow.json"
# shows_row PANE...: the panes (the list, or the row in full, page by
# page) show the row's ISO times and no bare 10-digit number.
shows_row() {
	python3 - "$T/crlrow.json" "$@" <<'PY'
import datetime, json, re, sys
row = json.load(open(sys.argv[1]))[0]
iso = lambda t: datetime.datetime.fromtimestamp(
    t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
pay = json.loads(row["payload"])
want = ['"time":"%s"' % iso(a["time"]) for a in pay["approvals"]["signatures"]]
pages = [open(f).read().splitlines() for f in sys.argv[2:]]
lines = [l for p in pages for l in p]
# The text in the frame, wrapped rows joined again (per page).
text = ["".join(l[1:79].rstrip() for l in p[2:22]) for p in pages]
bad = 0
if len(sys.argv) == 3:
    # The list: the row's line, its time in ISO 8601.
    hit = [l for l in lines if re.search(r"^[> ] *%d  %s  .*crl\.publish"
           % (row["seq"], re.escape(iso(row["time"]))), l)]
    bad |= not hit
else:
    bad |= not any(("row %d  %s  crl.publish by a,b" %
                    (row["seq"], iso(row["time"]))) in l for l in lines)
    bad |= not all(any(w in t for t in text) for w in want) or not want
    bad |= not any("hash " + row["hash"] in t for t in text)
for t in text:
    for m in re.finditer(r"(?<![0-9A-Za-z])[0-9]{10}(?![0-9A-Za-z])", t):
        print("# a bare 10-digit number on the screen:", m.group(0))
        bad = 1
if bad:
    print("# wanted the row's time %s, %s, hash %s" %
          (iso(row["time"]), want, row["hash"]))
sys.exit(bad)
PY
}
cp "$T/pane" "$T/list"
shows_row "$T/list" &&
    ok "audit log: the row's time in ISO 8601 UTC (sqlite3's epoch number, made ISO by python3)" ||
    fail "the audit log's times"
help "audit log" "verify: the chain"
keys Enter
see "Audit row" && grep -q "crl.publish" "$T/pane" &&
    has '"crl_number":1' &&
    ok "audit log: the rows, and one in full" || fail "audit row"
cp "$T/pane" "$T/row1"
keys End
see "hash [0-9a-f]" || fail "the row's end"
cp "$T/pane" "$T/row2"
shows_row "$T/row1" "$T/row2" &&
    ok "a row in full as audit show prints it: its payload's times in ISO 8601, its whole hash, no bare epoch number" ||
    { fail "the row in full"; sed 's/^/#   | /' "$T/row1" "$T/row2"; }
keys Escape v
see "INTACT" || fail "audit verify"
head=$("$KEYRITE" -C "$S" status | sed -n 's/^audit head: *//p' |
    sed 's/..../& /g; s/ $//')
has "$head" && ok "audit verify at the console: intact, the head status prints" ||
    fail "head: $head"
keys Enter Escape c
see "Ceremony scripts in" || fail "ceremonies"
help ceremonies "open it"
keys r Enter
see "Parameters" || fail "form"
help form "rehearse: every step checked"
keys g
see "parameters are not complete" && has "shares" &&
    ok "a run with a parameter not set is refused, naming it" ||
    fail "unset parameter"
keys Enter
keys End Enter
typed "$T/pub"
keys Up Enter
typed "$T/newsh"
mkdir -p "$T/pub" "$T/newsh"
keys r
see "Rehearsal passed" || fail "rehearsal"
help rehearsal "Home, End"
keys Escape g
see "Start ceremony" || fail "run asked"
keys Escape
sleep 0.3
keys Escape Escape
see "c: ceremonies" || fail "back home"
[ "$helps" -eq 7 ] && ok "'?' shows the keys on each of 7 screens" ||
    fail "keys shown on $helps screens"
[ "$(records)" = "$before" ] &&
    ok "Esc out of every screen, the run's question included: nothing changed" ||
    fail "the state changed"
# What is due, on home: read on entry, after a rehearsal or run, and on
# r; not at every key.  A CA key certified for 20 days (expiring within
# 90) with no CRL published yet, made from the command line meanwhile.
grep -A1 "Certificates expiring within 90 days" "$T/pane" | grep -q "none" &&
    grep -A1 "CRLs due" "$T/pane" | grep -q "none" ||
    fail "due lists not empty at first"
gen_ca "$S" short p256 ca || fail "short key: $(cat "$T/gen.err")"
issue root cert issue --issuer-key root --subject-key short \
    --profile intermediate --subject "CN=Short Sub" --days 20 \
    --out "$T/short.pem"
[ "$rc" -eq 0 ] || fail "short-lived certificate: $(cat "$T/err")"
# A 10-day device certificate under it: counted, not listed (TEST-KEY-485).
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/dev.key" -subj "/CN=sensor/serialNumber=D1" \
    -out "$T/dev.csr" 2>/dev/null
issue short cert issue --issuer-key short --csr "$T/dev.csr" \
    --profile device --days 10 --out "$T/dev.pem"
[ "$rc" -eq 0 ] || fail "device certificate: $(cat "$T/err")"
DEV_END=$(date -u -d "$(openssl x509 -in "$T/dev.pem" -noout -enddate |
    cut -d= -f2)" +%Y-%m-%d)
keys x
sleep 0.5
snap
! grep -q "Short Sub\|short/device" "$T/pane" &&
    ok "home is not read again at every key" ||
    fail "home read again at a key that is not r"
keys r
see "expires CN=Short Sub" && grep -q "short: no CRL yet" "$T/pane" &&
    ok "r: home lists the certificate expiring within 90 days and the CRL due" ||
    fail "due lists"
grep -A2 "Certificates expiring within 90 days" "$T/pane" |
    grep -q "^   short/device: 1 short-lived, 0 within 7 days, soonest $DEV_END *\$" &&
    ! grep -q "CN=sensor" "$T/pane" &&
    ok "TEST-KEY-485: home counts the device certificate in one line within 80 columns (soonest as openssl reads it), not listed" ||
    fail "TEST-KEY-485: home: $(grep -A3 "Certificates expiring" "$T/pane")"
keys q
see "EXIT=0" || fail "exit"

# Lines: UTF-8 by default, ASCII on request or without a UTF-8 locale.
lines() {
	keys '?'
	see "Keys on this screen" || return 1
	grep -q "$1" "$T/pane" && ! grep -q "$2" "$T/pane"
}
console "-C '$S' console"
lines "┌─ Keys" "+- Keys" && ok "UTF-8 lines in a UTF-8 locale" ||
    fail "UTF-8 lines"
console "-C '$S' console --ascii"
lines "+- Keys" "┌" && ok "ASCII lines with --ascii" || fail "--ascii"
CONSOLE_ENV=KEYRITE_ASCII=1
console "-C '$S' console"
lines "+- Keys" "┌" && ok "ASCII lines with KEYRITE_ASCII=1" ||
    fail "KEYRITE_ASCII"
CONSOLE_ENV=LC_ALL=C
console "-C '$S' console"
lines "+- Keys" "┌" && ok "ASCII lines in a locale that is not UTF-8" ||
    fail "LC_ALL=C"
# Text that is not ASCII, in that locale: drawn escaped, not left out.
keys Escape i 2
see "REVOCATION" && grep -qF 'CN=Z\u00fcrich Root' "$T/pane" &&
    ok "a subject CN=Zürich in a locale that is not UTF-8: shown escaped" ||
    fail "non-ASCII subject under LC_ALL=C"
CONSOLE_ENV=
console "-C '$S' console"
see "Audit head" || fail "home"
keys i 2
see "REVOCATION" && grep -qF 'CN=Zürich Root' "$T/pane" &&
    ok "and as it is in a UTF-8 locale" || fail "UTF-8 subject"

# A long step: ota-release with a 48 MiB image.
mkdir -p "$T/rel" "$T/fwout" "$T/fwsh"
# Words that are nowhere on a screen: no 6 characters of one may show.
FA="Tq4 ember Wyl 6021 oak"
FB="Jn8 grove Pux 3375 elm"
printf '%s\n%s\n' "$FA" "$FB" > "$T/fw.pw"
run -C "$S" key generate fw --alg p256 --purpose firmware --threshold 2 \
    --custodian alice --custodian bob --share-dir "$T/fwsh" \
    --passphrase-fd 3 3<"$T/fw.pw"
[ "$rc" -eq 0 ] || fail "firmware key: $(cat "$T/err")"
head -c 50331648 /dev/urandom > "$T/rel/app.bin"
printf 'version: 1\nkey: fw\nimages:\n  - file: app.bin\n    format: raw\n    output: app.sig\n' \
    > "$T/rel/manifest.yaml"
msha=$(sha256sum "$T/rel/manifest.yaml" | cut -d' ' -f1)
console "-C '$S' console"
see "Audit head" || fail "home"
keys c
see "Ceremony scripts in" || fail "ceremonies"
keys Down Down Down Down Down Down Enter
see "ota-release" || fail "ota-release form"
for v in "$T/rel/manifest.yaml" "$msha" "$T/fwout"; do
	keys Enter BSpace
	typed "$v"
	keys Down
done
keys Down Enter
typed "$T/fwsh"
keys g
see "Start ceremony ota-release" || fail "start"
keys y
see "Approve what will be signed" || fail "batch approval"
keys y
see "Custodian 'alice', type the passphrase" || fail "alice"
secret "$FA"
see "Custodian 'bob', type the passphrase" || fail "bob"
secret "$FB"
see "The ceremony is complete" &&
    grep -Eq '\[#+\] 48 of 48 MiB, [0-9.]+ MiB/s' "$T/pane" &&
    ok "a long step shows a progress bar with bytes and rate" ||
    fail "no progress bar"
"$KEYRITE" -C "$S" key export-public fw --format pem > "$T/fw.pub"
openssl dgst -sha256 -verify "$T/fw.pub" -signature "$T/fwout/app.sig" \
    "$T/rel/app.bin" 2>&1 | grep -q "Verified OK" &&
    ok "the image signed at the console verifies (openssl dgst)" ||
    fail "openssl dgst"
# t at the end: the transcript, signed by the approvers at the console.
keys t
see "The folder for report.txt" || fail "transcript folder asked"
typed "$T/report"
see "Custodian 'alice', type the passphrase" || fail "alice signs"
secret "$FA"
see "Custodian 'bob', type the passphrase" || fail "bob signs"
secret "$FB"
see "The signed transcript" && boxed | grep -qF "signedby2approvers" &&
    boxed | grep -qF "writtento$T/report(" &&
    row=$(sqlite3 "$S/keyrite.db" "SELECT seq FROM audit WHERE event =
    'ceremony.report'") && [ -n "$row" ] &&
    boxed | grep -qF "recordedasauditrow$row(ceremony.report)" &&
    "$KEYRITE" ceremony verify-report "$T/report" >"$T/vr" 2>&1 &&
    grep -q "Transcript verified" "$T/vr" &&
    ok "t: the transcript written and signed at the console; verify-report passes" ||
    fail "transcript at the console: $(cat "$T/vr" 2>/dev/null)"
keys Enter
see "The ceremony is complete" || fail "back to the end"
keys Enter Escape Escape i 4
see "FORMAT" && grep -Eq "^[> ]*[0-9]+ +raw +50331648 +app.bin" "$T/pane" &&
    ok "inventory: the signature made at the console, from the store's list" ||
    fail "signatures list"
keys Escape q
see "EXIT=0" || fail "exit"

# See, then approve: the script run is the one shown.  Its SHA-256 is in
# the run's question; changed on disk after the form opened, a rehearsal
# and a run are refused and nothing is recorded.
mkdir -p "$T/cer" "$T/pub" "$T/newsh"
cp "$SRCDIR/ceremonies/root-key-generation.yaml" "$T/cer/"
grouped=$(sha256sum "$T/cer/root-key-generation.yaml" | cut -c1-64 |
    sed 's/..../& /g; s/ $//')
console "-C '$S' console --ceremonies '$T/cer'"
see "Audit head" || fail "home"
keys c
see "root-key-generation.yaml" || fail "the copied script"
keys Enter
see "Parameters" || fail "form"
keys End Enter
typed "$T/pub"
keys Up Enter
typed "$T/newsh"
keys g
see "Start ceremony" && has "as shown)?" &&
    boxed | grep -qF "scriptSHA-256$(printf '%s' "$grouped" | tr -d ' ')," &&
    ok "the run's question shows the script's SHA-256 in groups" ||
    fail "no SHA-256 in the question ($grouped)"
keys n
sleep 0.3
before=$(records)
printf '# changed after the form was opened\n' >> "$T/cer/root-key-generation.yaml"
keys g
see "The script changed on disk" && has "open it again" &&
    [ "$(records)" = "$before" ] &&
    ok "the script changed on disk after it was shown: the run is refused, nothing recorded" ||
    fail "a changed script was not refused"
keys Enter r
see "The script changed on disk" && [ "$(records)" = "$before" ] &&
    ok "and so is its rehearsal" || fail "changed script rehearsed"
keys Enter Escape Escape q
see "EXIT=0" || fail "exit"

# Signals: SIGTERM at home leaves through the console's own exit, the
# terminal put back (main screen, cursor, echo and line editing on).
console "-C '$S' console"
see "Audit head" || fail "home"
ptty=$(tm display -p '#{pane_tty}')
pid=$(console_pid)
[ -n "$pid" ] && kill -TERM "$pid"
see "EXIT=1" && has "the console was stopped (Terminated)" &&
    [ "$(tm display -p '#{alternate_on}#{cursor_flag}')" = 01 ] &&
    stty -F "$ptty" -a | grep -q ' icanon ' &&
    stty -F "$ptty" -a | grep -q ' echo ' &&
    ok "SIGTERM at home: the console leaves, the terminal is sane again" ||
    fail "SIGTERM: $(stty -F "$ptty" -a 2>&1 | tr '\n' ' ')"
# The terminal hung up under a console that ignores SIGHUP (nohup): its
# key reader gets ERR again and again, and the console leaves (before,
# it spun on ERR for ever, holding the state folder).
CONSOLE_ENV="trap '' HUP;"
console "-C '$S' console"
see "Audit head" || fail "home"
pid=$(console_pid)
tm kill-server
i=0
while [ "$i" -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
! kill -0 "$pid" 2>/dev/null &&
    ok "the terminal hung up (SIGHUP ignored): the console leaves" ||
    { kill -9 "$pid"; fail "the console stayed after a hang-up"; }
CONSOLE_ENV=

# A record that does not match the chain.
sqlite3 "$S/keyrite.db" "UPDATE certificates SET subject = 'CN=Forged'
    WHERE kind = 'root'"
before=$(records)
console "-C '$S' console"
see "DAMAGED STATE" && has "nothing can be signed" || fail "no banner"
tm capture-pane -e -p > "$T/colour"
grep -q "$(printf '\033')\[[0-9;]*31m.*DAMAGED STATE" "$T/colour" &&
    ok "damaged: the home screen says DAMAGED STATE, in red" ||
    fail "banner colour"
keys i 2
see "REVOCATION" && grep -q "^ DAMAGED STATE: records shown as held" \
    "$T/pane" || fail "no banner on the inventory"
keys Enter
see "not before" && grep -q "^ DAMAGED STATE: records shown as held" \
    "$T/pane" &&
    ok "damaged: the inventory and a record in full say DAMAGED STATE too" ||
    fail "no banner on a detail view"
keys Escape Escape a
see "ACTOR" && grep -q "^ DAMAGED STATE" "$T/pane" ||
    fail "no banner on the audit log"
keys Escape
keys c r Enter
see "Parameters" || fail "form"
keys End Enter
typed "$T/pub"
keys Up Enter
typed "$T/newsh"
keys r
see "cannot be changed now" && [ "$(records)" = "$before" ] &&
    ok "damaged: a rehearsal is refused, nothing changed" ||
    fail "damaged rehearsal"
CONSOLE_ENV=NO_COLOR=1
console "-C '$S' console"
see "DAMAGED STATE" || fail "banner"
tm capture-pane -e -p > "$T/colour"
! grep -q "$(printf '\033')\[[0-9;]*3[0-7]m" "$T/colour" &&
    ok "NO_COLOR: no colour, the banner's words the same" ||
    fail "colour under NO_COLOR"
no_secrets &&
    ok "no passphrase on any of the $shots screens captured: no '*' and no 6 characters of one, also while half typed" ||
    fail "a passphrase was on a screen"
finish
