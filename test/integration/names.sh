#!/bin/sh
# TEST-KEY-041, TEST-KEY-042: names a person reads.  A CSR whose subject
# holds ESC, BEL, a C1 control or U+202E (in UTF8String or BMPString) is
# refused by the e_name_control_char lint, naming the attribute, with no
# change of state; --subject with U+202E is refused; file names with escape
# sequences from a manifest, and names and audit rows holding controls in
# the database (put there with the sqlite3 tool), reach the terminal only
# escaped: no raw ESC, BEL, C1 or bidi control on stdout or stderr.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
make_state "$S"
O="$T/o"
mkdir -p "$O"
ESC=$(printf '\033')
BEL=$(printf '\007')
C1=$(printf '\302\233')		# U+009B, the C1 CSI
RLO=$(printf '\342\200\256')	# U+202E RIGHT-TO-LEFT OVERRIDE
# No raw control, C1 or bidi control in what keyrite printed ($T/out,
# $T/err): only printable text, newlines and tabs.
raw_free() {
	! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T/out" "$T/err" &&
	    ! grep -q "$C1" "$T/out" "$T/err" && ! grep -q "$RLO" "$T/out" "$T/err" &&
	    ! LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$T/out" "$T/err"
}

gen_ca "$S" root p256 ca && gen_ca "$S" int p256 ca || fail "keys"
issue root cert root --key root --profile root --subject "CN=Names Root,C=DE" \
    --out "$O/root.pem"
issue root cert issue --issuer-key root --subject-key int --profile intermediate \
    --subject "CN=Names Issuing,C=DE" --out "$O/int.pem"
[ "$rc" -eq 0 ] || fail "intermediate: $(cat "$T/err")"

# --- CSR subjects: refused by the lint -----------------------------------
csr() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1.key" -utf8 -subj "$2" -out "$1" ${3:+-config "$3"} \
	    2>"$T/openssl.err" || fail "openssl req: $(cat "$T/openssl.err")"
}
printf '[req]\ndistinguished_name = dn\nstring_mask = default\n[dn]\n' \
    > "$T/bmp.cnf"
csr "$O/esc.csr" "/O=Example/CN=dev${ESC}[2Jice"
csr "$O/bel.csr" "/CN=dev${BEL}ice/O=Example"
csr "$O/c1.csr" "/CN=dev${C1}ice"
csr "$O/rlo.csr" "/CN=${RLO}gnp.exe"
csr "$O/bmp.csr" "/CN=${RLO}fdp.scr" "$T/bmp.cnf"
openssl req -in "$O/bmp.csr" -noout -subject -nameopt show_type 2>/dev/null |
    grep -q "BMPSTRING" && ok "openssl wrote the last subject as a BMPString" ||
    fail "the BMPString CSR is not one"

snap=$(state_snapshot "$S/keyrite.db" "$S")
refused_csr() {
	f=$1 want=$2 what=$3
	rm -f "$O/leaf.pem"
	issue int cert issue --issuer-key int --csr "$O/$f" --profile device \
	    --out "$O/leaf.pem"
	if [ "$rc" -eq 1 ] && grep -q "e_name_control_char" "$T/err" &&
	    grep -q -- "$want" "$T/err" && [ ! -e "$O/leaf.pem" ] && raw_free; then
		ok "$what is refused by the lint (exit $rc)"
	else
		fail "$what: exit $rc, $(cat "$T/out" "$T/err")"
	fi
}
refused_csr esc.csr 'attribute CN holds the control character U+001B' \
    "a CSR subject holding ESC"
refused_csr bel.csr 'attribute CN holds the control character U+0007' \
    "a CSR subject holding BEL"
refused_csr c1.csr 'attribute CN holds the control character U+009B' \
    "a CSR subject holding the C1 control U+009B"
refused_csr rlo.csr 'attribute CN holds the bidirectional control U+202E' \
    "a CSR subject holding U+202E"
refused_csr bmp.csr 'attribute CN holds the bidirectional control U+202E' \
    "a BMPString CSR subject holding U+202E"
grep -q 'the subject: attribute CN' "$T/err" &&
    ok "... the finding names the subject and its attribute" ||
    fail "the finding does not name the attribute: $(cat "$T/err")"

# --subject: refused when it is read.
rm -f "$O/leaf.pem"
issue int cert issue --issuer-key int --csr "$O/esc.csr" --profile device \
    --subject "CN=${RLO}gnp.exe,C=DE" --out "$O/leaf.pem"
[ "$rc" -eq 2 ] && grep -q "CN: the value holds the bidirectional control U+202E" "$T/err" &&
    [ ! -e "$O/leaf.pem" ] && raw_free &&
    ok "--subject holding U+202E is refused, the message escaped (exit $rc)" ||
    fail "--subject U+202E: exit $rc $(cat "$T/err")"
grep -q 'CN=\\u202egnp.exe' "$T/err" &&
    ok "... and the name is quoted as \\u202e" || fail "quoted: $(cat "$T/err")"
[ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    ok "the refusals changed nothing" || fail "a refusal changed the state"

# A clean CSR with a non-ASCII name still goes through.
csr "$O/ok.csr" "/CN=Gerät München/O=Example"
issue int cert issue --issuer-key int --csr "$O/ok.csr" --profile device \
    --out "$O/ok.pem"
[ "$rc" -eq 0 ] && openssl x509 -in "$O/ok.pem" -noout -subject -nameopt utf8 |
    grep -q "Gerät München" && ok "a printable non-ASCII subject is issued" ||
    fail "clean CSR: exit $rc $(cat "$T/err")"

# --- file names from a manifest -------------------------------------------
gen_ca "$S" fw p256 firmware || fail "firmware key"
mkdir -p "$T/batch"
odd="img${ESC}]0;owned${BEL}${ESC}[31m.bin"
head -c 3000 /dev/urandom > "$T/batch/$odd"
# YAML refuses raw controls; its double-quoted escapes \e and \a make them.
printf 'version: 1\nkey: fw\nimages:\n  - file: "img\\e]0;owned\\a\\e[31m.bin"\n    format: raw\n    output: a.sig\n' \
    > "$T/batch/good.yaml"
issue fw sign batch "$T/batch/good.yaml"
[ "$rc" -eq 0 ] && [ -s "$T/batch/a.sig" ] && raw_free &&
    grep -q 'img\\x1b]0;owned\\x07\\x1b\[' "$T/out" &&
    ok "the batch summary shows the file name escaped" ||
    fail "batch summary: exit $rc $(od -c "$T/out" | head -n 20)"
printf 'version: 1\nkey: fw\nimages:\n  - file: "gone\\e[2J.bin"\n    format: raw\n    output: b.sig\n' \
    > "$T/batch/gone.yaml"
snap=$(state_snapshot "$S/keyrite.db" "$S")
issue fw sign batch "$T/batch/gone.yaml"
[ "$rc" -ne 0 ] && raw_free && grep -q 'gone\\x1b\[2J.bin' "$T/out" "$T/err" &&
    [ ! -e "$T/batch/b.sig" ] &&
    ok "a missing file named with ESC is reported escaped (exit $rc)" ||
    fail "missing file: exit $rc $(od -c "$T/err" | head -n 20)"
[ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    ok "... and nothing was recorded" || fail "the failed batch changed the state"

# --- names already in the database ----------------------------------------
sqlite3 "$S/keyrite.db" "UPDATE certificates SET subject = 'CN=' || char(27) || '[2J' || char(8238) || 'evil' || char(155) || char(10) || 'forged line' WHERE id = (SELECT min(id) FROM certificates)"
UNLOCK="DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
sqlite3 "$S/keyrite.db" "$UNLOCK UPDATE audit SET actor = 'mallory' || char(27) || '[8m', payload = payload || char(8238) || char(7) WHERE seq = 2"
for cmd in "cert list" "audit show" "key list" "status"; do
	# shellcheck disable=SC2086
	run -C "$S" $cmd
	raw_free && ok "\`$cmd\` prints no raw control (exit $rc)" ||
	    fail "$cmd printed raw controls: $(od -c "$T/out" | head -n 20)"
done
run -C "$S" cert list
grep -q 'CN=\\x1b\[2J\\u202eevil\\u009b\\x0aforged line' "$T/out" &&
    ok "\`cert list\` shows the subject escaped, on one line" ||
    fail "cert list: $(cat "$T/out")"
serial=$(sqlite3 "$S/keyrite.db" "SELECT serial FROM certificates WHERE id = (SELECT min(id) FROM certificates)")
run -C "$S" cert show "$serial"
raw_free && ok "\`cert show\` prints no raw control (exit $rc)" ||
    fail "cert show: $(od -c "$T/out" | head -n 20)"
run -C "$S" audit show
grep -q 'by mallory\\x1b\[8m' "$T/out" && grep -q '\\u202e\\x07' "$T/out" &&
    ok "\`audit show\` shows the actor and payload escaped" ||
    fail "audit show: $(cat "$T/out")"
# TEST-KEY-472: --json escapes in JSON's own form: still no raw control,
# still one JSON document, and the string read back is the one recorded.
for cmd in "cert list --json" "audit show --json" "key list --json" "status --json"; do
	# shellcheck disable=SC2086
	run -C "$S" $cmd
	raw_free && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" &&
	    ok "\`$cmd\` prints no raw control and parses as JSON (exit $rc)" ||
	    fail "$cmd: $(od -c "$T/out" | head -n 20)"
done
run -C "$S" cert list --json
sqlite3 "$S/keyrite.db" "SELECT hex(subject) FROM certificates WHERE id = (SELECT min(id) FROM certificates)" > "$T/subj"
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); want = bytes.fromhex(open(sys.argv[2]).read().strip()).decode(); sys.exit(0 if d["certificates"][0]["subject"] == want else 1)' \
    "$T/out" "$T/subj" && ok "... the subject read back from cert list --json is the one in the database" ||
    fail "subject round trip: $(head -c 600 "$T/out")"
run -C "$S" audit show --json
python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["rows"][1]; sys.exit(0 if r["actor"] == "mallory\x1b[8m" and r["payload_text"].endswith("\u202e\x07") else 1)' \
    "$T/out" && ok "... an edited payload that is no longer JSON is given as payload_text, exact" ||
    fail "audit show --json row 2: $(sed -n 3p "$T/out")"
run -C "$S" audit verify
[ "$rc" -eq 1 ] && grep -q "row 2" "$T/out" "$T/err" && raw_free &&
    ok "\`audit verify\` names the row and prints no raw control" ||
    fail "audit verify: exit $rc $(cat "$T/out" "$T/err")"
finish
