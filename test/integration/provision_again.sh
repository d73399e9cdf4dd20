#!/bin/sh
# TEST-KEY-500..509: a device's lifecycle after its first provisioning
# (docs/provisioning.md).  A device whose certificates all expired
# (faketime) or were revoked is provisioned again with a new key, recorded
# as replacing them (record file, audit row, batch digest, preview); one
# with a certificate in force is refused naming renew and revoke; the key
# rule is unchanged; the same batch run twice names its batch and
# --skip-provisioned; provision show gives each certificate's revocation
# state; a renewal refused as already renewed names the newest serial; a
# renewal batch says "Renewed"; --help aligns its lines and documents
# --confirm-date.  Outputs checked by openssl, sqlite3 and python3.
. "$(dirname "$0")/lib.sh"
set -e

device_cas "$T/state" Again
mkdir -p "$T/devs1" "$T/devs1b" "$T/devs2" "$T/devs3" "$T/devs4" \
    "$T/devs5" "$T/devs6" "$T/devs7"

# provision ARGS...: provision batch under `issuing` with its quorum.
provision() {
	issue issuing provision batch --issuer-key issuing --operator "Ana Ops" \
	    "$@" --yes
}
# unprov ARGS...: the same without passphrases (a refusal asks for none).
unprov() {
	unasked issuing provision batch --issuer-key issuing --operator op \
	    "$@" --yes
}
# verify_dev DER: openssl verifies a device certificate up to the root.
verify_dev() {
	openssl x509 -inform DER -in "$1" -out "$T/v.pem" &&
	    openssl verify -CAfile "$T/root.pem" -untrusted "$T/int.pem" \
	    "$T/v.pem" >/dev/null 2>&1
}
# pubkey_of KEYFILE / cert_pub DER: the SHA-256 of a public key, by openssl.
pubkey_of() { openssl pkey -in "$1" -pubout | sha256sum; }
cert_pub() { openssl x509 -inform DER -in "$1" -noout -pubkey | sha256sum; }

# The first batch: four devices.
for i in 1 2 3 4; do device_csr "$T/csr1" "d$i" "/CN=sensor/serialNumber=SN000$i"; done
provision --csr-dir "$T/csr1" --out-dir "$T/devs1"
[ "$rc" -eq 0 ] || fail "first batch: $(cat "$T/err")"
B1=$(sed -n 's/^batch: *\([0-9a-f]*\)$/\1/p' "$T/out" | head -n 1)
for i in 1 2 3 4; do eval "S$i=\$(cert_serial_der \"\$T/devs1/SN000$i.crt\")"; done

# --- TEST-KEY-500: a device with a certificate in force: renew or revoke ----
device_csr "$T/csr2" sn1-new "/CN=sensor/serialNumber=SN0001"
before=$(state_snapshot "$S/keyrite.db" "$S")
unprov --csr-dir "$T/csr2" --out-dir "$T/devs2"
refused 1 "TEST-KEY-500: a new key for a device whose certificate is in force is refused" \
    "sn1-new.csr: device SN0001 was already provisioned" \
    "$(lower "$S1") (key 'issuing') is in force" \
    "keyrite cert renew $(lower "$S1")" \
    "keyrite revoke --issuer-key issuing --serial $(lower "$S1")"
[ -z "$(ls "$T/devs2")" ] ||
    fail "TEST-KEY-500: a file was left in the output folder"

# --- TEST-KEY-501: the same batch again names its batch and serial ----------
unprov --csr-dir "$T/csr1" --out-dir "$T/devs1b"
refused 1 "TEST-KEY-501: the same batch run again says the device was provisioned, where" \
    "d1.csr: device SN0001 was already provisioned with this key" \
    "in batch $B1 as serial $(lower "$S1")" "--skip-provisioned"
grep -q "must make a new key" "$T/err" &&
    fail "TEST-KEY-501: the message still tells the device to make a new key" ||
    ok "TEST-KEY-501: the message no longer asks for a new key"

# --- TEST-KEY-528: a device's private key in the CSR folder -----------------
# A CSR file that carries the device's private key too (openssl's key
# appended to its request): refused as a key that left its device,
# before the quorum, nothing written.
device_csr "$T/csr8" k99 "/CN=sensor/serialNumber=SN0099"
cat "$T/keys/k99.key" >> "$T/csr8/k99.csr"
mkdir -p "$T/devs8"
before=$(state_snapshot "$S/keyrite.db" "$S")
unprov --csr-dir "$T/csr8" --out-dir "$T/devs8"
refused 1 "TEST-KEY-528: a CSR file holding its private key is refused as a key that left its device" \
    "k99.csr holds a private key" "treat that key as exposed"
[ -z "$(ls "$T/devs8")" ] || fail "TEST-KEY-528: a file was written"

# --- TEST-KEY-502: a revoked device is provisioned again, new key -----------
run -C "$S" revoke --issuer-key issuing --serial "$S2" --reason keyCompromise
[ "$rc" -eq 0 ] || fail "revoke SN0002: $(cat "$T/err")"
device_csr "$T/csr3" sn2-new "/CN=sensor/serialNumber=SN0002"
provision --csr-dir "$T/csr3" --out-dir "$T/devs3"
B3=$(sed -n 's/^batch: *\([0-9a-f]*\)$/\1/p' "$T/out" | head -n 1)
bsha=$(sed -n 's/^batch SHA-256: *\([0-9a-f]*\)$/\1/p' "$T/out")
s2=$(lower "$S2")
aud=$(sqlite3 "$S/keyrite.db" "SELECT json_extract(payload, '$.replaces')
    || '|' || json_extract(payload, '$.batch') FROM audit WHERE
    event = 'provision.device' AND json_extract(payload, '$.device_id') =
    'SN0002' ORDER BY seq DESC LIMIT 1")
if [ "$rc" -eq 0 ] && grep -q "Provisioned 1 device into" "$T/out" &&
    grep -q "re-provision  *SN0002 (sn2-new.csr), a new key, replaces $s2 (revoked: keyCompromise" "$T/out" &&
    grep -q "device *SN0002 (sn2-new.csr), re-provisioned" "$T/out" &&
    grep -qx "replaces: \[$s2\]" "$T/devs3/SN0002.yaml" &&
    [ "$aud" = "$s2|$B3" ] && verify_dev "$T/devs3/SN0002.crt" &&
    [ "$(cert_pub "$T/devs3/SN0002.crt")" = "$(pubkey_of "$T/keys/sn2-new.key")" ] &&
    openssl x509 -inform DER -in "$T/devs3/SN0002.crt" -noout -subject |
    grep -q "serialNumber *= *SN0002"; then
	ok "TEST-KEY-502: a device whose certificate was revoked is provisioned again with its new key (preview, record, audit row name the serial replaced; openssl verifies)"
else
	fail "TEST-KEY-502: re-provisioning (exit $rc, audit '$aud')"
fi
kid=$(sqlite3 "$S/keyrite.db" "SELECT lower(hex(id)) FROM keys WHERE name = 'issuing'")
spki=$(openssl req -in "$T/csr3/sn2-new.csr" -noout -pubkey |
    openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
if python3 - "$B3" "$kid" "$S/policy/device.yaml" "$T/devs3/bootstrap-ca.crt" \
    "$T/csr3/sn2-new.csr" "$spki" "$s2" "$bsha" <<'PY'
import hashlib, sys
bid, kid, prof, ca, csr, spki, old, want = sys.argv[1:]
h = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
text = ("keyrite-provision-batch-v3\nbatch %s\nevent provision.device\n"
    "issuer %s issuing\nprofile device\nprofile_sha256 %s\ndays 30\n"
    "accept_warnings 0\nskip_provisioned 0\nbootstrap_ca %s\n"
    "operator Ana Ops\nline \n"
    "device SN0002 csr sn2-new.csr %s %s\nreplaces SN0002 %s\n") % (bid, kid,
    h(prof), h(ca), h(csr), spki, old)
assert hashlib.sha256(text.encode()).hexdigest() == want, want
PY
then
	ok "TEST-KEY-502: python3 recomputes the batch digest with its documented replaces line"
else
	fail "TEST-KEY-502: the batch digest differs from the documented lines"
fi
run -C "$S" audit verify
[ "$rc" -eq 0 ] && grep -q "records match the chain" "$T/out" &&
    ok "TEST-KEY-502: audit verify replays the re-provisioning" ||
    fail "TEST-KEY-502: audit verify (exit $rc)"
# Run again with --skip-provisioned: the device done is skipped.
before=$(state_snapshot "$S/keyrite.db" "$S")
unprov --csr-dir "$T/csr3" --out-dir "$T/devs3" --skip-provisioned
[ "$rc" -eq 0 ] && grep -q "SN0002: already provisioned in batch $B3" "$T/out" &&
    grep -q "Nothing to provision" "$T/out" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "TEST-KEY-502: --skip-provisioned skips a re-provisioned device done before (its replaced record aside)" ||
    fail "TEST-KEY-502: --skip-provisioned after a re-provisioning (exit $rc)"

# --- TEST-KEY-503: the key rule is unchanged ---------------------------------
mkdir -p "$T/csr4"
openssl req -new -key "$T/keys/d2.key" -subj "/CN=sensor/serialNumber=SN0050" \
    -out "$T/csr4/oldkey.csr"
before=$(state_snapshot "$S/keyrite.db" "$S")
unprov --csr-dir "$T/csr4" --out-dir "$T/devs4"
refused 1 "TEST-KEY-503: the revoked device's old key is refused for another unit" \
    "oldkey.csr: its public key" "already certified" "$s2"
rm "$T/csr4/oldkey.csr"
openssl req -new -key "$T/keys/d2.key" -subj "/CN=sensor/serialNumber=SN0002" \
    -out "$T/csr4/samekey.csr"
unprov --csr-dir "$T/csr4" --out-dir "$T/devs4"
refused 1 "TEST-KEY-503: the revoked device's old key is refused for the device itself" \
    "samekey.csr: its public key was already certified" "$s2" \
    "revoked: keyCompromise" "must make a new key"
rm "$T/csr4/samekey.csr"
device_csr "$T/csr4" sn2-third "/CN=sensor/serialNumber=sn0002"
unprov --csr-dir "$T/csr4" --out-dir "$T/devs4"
refused 1 "TEST-KEY-503: once provisioned again, the device's new certificate in force refuses another key" \
    "device sn0002 was already provisioned" \
    "$(lower "$(cert_serial_der "$T/devs3/SN0002.crt")") (key 'issuing') is in force"
rm "$T/csr4/sn2-third.csr"

# --- TEST-KEY-504: provision show gives each certificate's revocation -------
run -C "$S" revoke --issuer-key issuing --serial "$S4" --reason certificateHold
[ "$rc" -eq 0 ] || fail "hold SN0004: $(cat "$T/err")"
new2=$(lower "$(cert_serial_der "$T/devs3/SN0002.crt")")
run -C "$S" provision show SN0002
if [ "$rc" -eq 0 ] && head -n 1 "$T/out" | grep -q "RENEWS *REVOCATION$" &&
    grep -q "^SN0002 *$s2 .* revoked: keyCompromise, 20[0-9-]*T" "$T/out" &&
    grep -q "^SN0002 *$new2 .* not revoked$" "$T/out" &&
    run -C "$S" provision show sn0004 &&
    grep -q "^SN0004 *$(lower "$S4") .* on hold since 20" "$T/out"; then
	ok "TEST-KEY-504: provision show names each certificate's revocation (revoked with reason and date, on hold, not revoked)"
else
	fail "TEST-KEY-504: provision show (exit $rc): $(cat "$T/out")"
fi
run -C "$S" provision show SN0002 --json
cp "$T/out" "$T/show2.json"
run -C "$S" provision show SN0004 --json
cp "$T/out" "$T/show4.json"
run -C "$S" provision list --batch "$B1" --json
if python3 - "$T/show2.json" "$T/show4.json" "$T/out" "$s2" "$new2" <<'PY'
import json, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:4])
old, new = sys.argv[4:]
assert a["format"] == "keyrite-provision-list"
r = {x["serial"]: x for x in a["records"]}
assert r[old]["revocation"] == "revoked", r[old]
assert r[old]["reason"] == "keyCompromise" and r[old]["since"].endswith("Z")
assert r[new]["revocation"] == "none" and "reason" not in r[new]
assert [x["revocation"] for x in b["records"]] == ["on hold"]
assert b["records"][0]["reason"] == "certificateHold"
states = {x["device_id"]: x["revocation"] for x in c["records"]}
assert states == {"SN0001": "none", "SN0002": "revoked", "SN0003": "none",
    "SN0004": "on hold"}, states
PY
then
	ok "TEST-KEY-504: provision show/list --json carry revocation, reason and since (python3)"
else
	fail "TEST-KEY-504: --json revocation state"
fi
run -C "$S" cert list --json
python3 -c 'import json, sys
d = {c["serial"]: c for c in json.load(open(sys.argv[1]))["certificates"]}
c = d[sys.argv[2]]
assert (c["revocation"], c["reason"]) == ("revoked", "keyCompromise"), c' \
    "$T/out" "$s2" && ok "TEST-KEY-504: cert list --json still gives the same revocation members" ||
    fail "TEST-KEY-504: cert list --json"

# --- TEST-KEY-505: already renewed: the newest certificate's serial ---------
issue issuing cert renew "$S3" --out "$T/sn3-r1.pem" --yes
[ "$rc" -eq 0 ] || fail "renew SN0003: $(cat "$T/err")"
r1=$(cert_serial "$T/sn3-r1.pem")
issue issuing cert renew "$r1" --out "$T/sn3-r2.pem" --yes
[ "$rc" -eq 0 ] || fail "renew SN0003 again: $(cat "$T/err")"
r2=$(lower "$(cert_serial "$T/sn3-r2.pem")")
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked issuing cert renew "$S3" --out "$T/sn3-x.pem" --yes
refused 1 "TEST-KEY-505: renewing a renewed certificate names the newest one's serial" \
    "certificate $(lower "$S3") was already renewed" \
    "renew the newest certificate of its key, $r2" "keyrite cert renew $r2"
grep -q "certificate id" "$T/err" &&
    fail "TEST-KEY-505: the message still gives an internal certificate id" ||
    ok "TEST-KEY-505: no internal certificate id in the message"
[ ! -e "$T/sn3-x.pem" ] || fail "TEST-KEY-505: an output was left"
[ "$(sqlite3 "$S/keyrite.db" "SELECT lower(c.serial) FROM renewals r JOIN
    certificates c ON c.id = r.cert_id JOIN certificates o ON
    o.id = r.renews_id WHERE lower(o.serial) = '$(lower "$r1")'")" = "$r2" ] &&
    ok "TEST-KEY-505: sqlite3 agrees the named serial renewed the last one" ||
    fail "TEST-KEY-505: the renewals table"

# --- TEST-KEY-506: a renewal batch says Renewed ------------------------------
provision --renew-within-days 40 --out-dir "$T/devs5"
if [ "$rc" -eq 0 ] && grep -q "^Renewed 3 devices into $T/devs5" "$T/out" &&
    ! grep -q "Provisioned" "$T/out" &&
    [ "$(ls "$T/devs5" | grep -c '^SN.*\.crt$')" -eq 3 ] &&
    grep -qx "renews: $r2" "$T/devs5/SN0003.yaml" &&
    grep -qx "renews: $(lower "$S1")" "$T/devs5/SN0001.yaml" &&
    grep -qx "renews: $new2" "$T/devs5/SN0002.yaml" &&
    [ "$(cert_pub "$T/devs5/SN0001.crt")" = "$(pubkey_of "$T/keys/d1.key")" ] &&
    verify_dev "$T/devs5/SN0001.crt"; then
	ok "TEST-KEY-506: a renewal batch ends with \"Renewed 3 devices\" (the newest in force: held, revoked and renewed ones left out)"
else
	fail "TEST-KEY-506: renewal batch (exit $rc): $(tail -n 2 "$T/out")"
fi

# --- TEST-KEY-507: --help: the added options aligned, --confirm-date shown --
# cols CMD...: the columns the first option's, --accept-warnings',
# --token-pin-fd's and --confirm-date's descriptions start at (one when
# aligned); longest: the longest of those lines.
cols() {
	run "$@" --help
	awk '/^  --[a-z-]+( [A-Z]+)?  +[^ ]/ && (!n++ ||
	    /--(accept-warnings|token-pin-fd|confirm-date) /) {
	    match($0, /^  --[a-z-]+( [A-Z]+)? +/); print RLENGTH }' "$T/out" |
	    sort -u
}
longest() {
	awk '/^  --(accept-warnings|token-pin-fd|confirm-date) / ||
	    /^  --[a-z-]+( [A-Z]+)?  +[^ ]/ && !n++ { getline l;
	    print length($0); print length(l) }' "$T/out" | sort -n | tail -n 1
}
good=1
for c in "provision batch" "cert renew" "revoke" "crl publish"; do
	# shellcheck disable=SC2086
	n=$(cols $c | wc -l)
	[ "$n" -eq 1 ] && [ "$(longest)" -le 80 ] &&
	    grep -q "^  --confirm-date D  *today's date" "$T/out" || {
		good=0
		echo "# $c: $n columns, $(longest) wide"
	}
done
run provision batch --help
[ "$(cols provision batch)" = 23 ] || good=0
run provision show --help
grep -q confirm-date "$T/out" && good=0
run --help
grep -q "^  --confirm-date YYYY-MM-DD" "$T/out" || good=0
[ "$good" -eq 1 ] &&
    ok "TEST-KEY-507: --help aligns --accept-warnings, --token-pin-fd and --confirm-date with the other options; writers and keyrite --help show --confirm-date, readers do not" ||
    fail "TEST-KEY-507: --help alignment or --confirm-date"

# --- TEST-KEY-509: a retired issuing CA's devices renewed by its successor --
gen_ca "$S" issuing2 p256 ca || fail "issuing2 key"
issue root cert issue --issuer-key root --subject-key issuing2 \
    --profile intermediate --subject "CN=Again Issuing 2" --out "$T/int2.pem"
[ "$rc" -eq 0 ] || fail "issuing2: $(cat "$T/err")"
sn2c=$(cert_serial_der "$T/devs5/SN0002.crt")
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked issuing2 cert renew "$sn2c" --issuer-key issuing2 --out "$T/mv2.pem" \
    --yes
refused 1 "TEST-KEY-509: an issuer still in force keeps its certificates: cert renew --issuer-key SUCCESSOR refused" \
    "key 'issuing' are renewed under it, which still issues" \
    "leave out --issuer-key"
# An issuer only on hold is not retired (a hold may be lifted): on a
# copy of the state folder, refused naming the hold, before the quorum.
S0=$S
cp -a "$S" "$T/held-state"
S="$T/held-state"
run -C "$S" revoke --issuer-key root --serial "$(cert_serial "$T/int.pem")" \
    --reason certificateHold
[ "$rc" -eq 0 ] || fail "hold issuing: $(cat "$T/err")"
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked issuing2 cert renew "$sn2c" --issuer-key issuing2 --out "$T/mv2.pem" \
    --yes
refused 1 "TEST-KEY-509: an issuer on hold is not retired: cert renew --issuer-key SUCCESSOR refused" \
    "key 'issuing' is on hold" "not retired"
S=$S0
run -C "$S" revoke --issuer-key root --serial "$(cert_serial "$T/int.pem")" \
    --reason superseded
[ "$rc" -eq 0 ] || fail "retire issuing: $(cat "$T/err")"
run -C "$S" status
grep -q "keyrite provision batch --issuer-key KEY --from-issuer issuing --profile device --renew-within-days 7" "$T/out" &&
    run -C "$S" status --json && python3 -c 'import json, sys
g = json.load(open(sys.argv[1]))["due"]["certificate_groups"]
c = [x["command"] for x in g if x["issuer_key"] == "issuing"]
assert c and "--issuer-key KEY --from-issuer issuing " in c[0], c' "$T/out" &&
    ok "TEST-KEY-509: status suggests --from-issuer for the retired issuer's devices (text, --json)" ||
    fail "TEST-KEY-509: status suggestion: $(grep -i 'provision batch' "$T/out")"
issue issuing2 cert renew "$sn2c" --issuer-key issuing2 --out "$T/mv2.pem" \
    --yes
mv2=$(lower "$(cert_serial "$T/mv2.pem")")
aud=$(sqlite3 "$S/keyrite.db" "SELECT json_extract(payload, '$.renews') ||
    ' ' || json_extract(payload, '$.renews_issuer_key') || ' ' ||
    json_extract(payload, '$.issuer_key') FROM audit WHERE event =
    'cert.renew' ORDER BY seq DESC LIMIT 1")
ren=$(sqlite3 "$S/keyrite.db" "SELECT lower(o.serial) FROM renewals r JOIN
    certificates c ON c.id = r.cert_id JOIN certificates o ON
    o.id = r.renews_id WHERE lower(c.serial) = '$mv2'")
if [ "$rc" -eq 0 ] && grep -q "renews under *key 'issuing2', in place of key 'issuing' (retired)" "$T/out" &&
    openssl verify -CAfile "$T/root.pem" -untrusted "$T/int2.pem" \
    "$T/mv2.pem" >/dev/null 2>&1 &&
    [ "$(openssl x509 -in "$T/mv2.pem" -noout -pubkey | sha256sum)" = \
    "$(pubkey_of "$T/keys/sn2-new.key")" ] &&
    [ "$(openssl x509 -in "$T/mv2.pem" -noout -subject)" = \
    "$(openssl x509 -inform DER -in "$T/devs5/SN0002.crt" -noout -subject)" ] &&
    [ "$aud" = "$(lower "$sn2c") issuing issuing2" ] &&
    [ "$ren" = "$(lower "$sn2c")" ]; then
	ok "TEST-KEY-509: cert renew --issuer-key SUCCESSOR renews a retired issuer's certificate under it (same key and subject, openssl verifies under the new issuing CA, recorded as its renewal, renews_issuer_key in the audit row)"
else
	fail "TEST-KEY-509: cert renew under the successor (exit $rc, audit '$aud', renewal '$ren')"
fi
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked issuing provision batch --issuer-key issuing --operator op \
    --renew-within-days 40 --out-dir "$T/devs7" --yes
refused 1 "TEST-KEY-509: the retired issuer itself renews nothing, the message names --from-issuer" \
    "may not issue certificates" "--issuer-key SUCCESSOR --from-issuer issuing"
issue issuing2 provision batch --issuer-key issuing2 --from-issuer issuing \
    --renew-within-days 40 --out-dir "$T/devs7" --operator "Ana Ops" --yes
B7=$(sed -n 's/^batch: *\([0-9a-f]*\)$/\1/p' "$T/out" | head -n 1)
bsha=$(sed -n 's/^batch SHA-256: *\([0-9a-f]*\)$/\1/p' "$T/out")
aud=$(sqlite3 "$S/keyrite.db" "SELECT json_extract(payload, '$.device_id')
    || '=' || json_extract(payload, '$.renews_issuer_key') FROM audit WHERE
    event = 'provision.renew' AND json_extract(payload, '$.batch') = '$B7'
    ORDER BY seq" | tr '\n' ';')
good=1
[ "$rc" -eq 0 ] && grep -q "^Renewed 2 devices into $T/devs7" "$T/out" &&
    grep -q "from issuer *key 'issuing' (retired)" "$T/out" &&
    cmp -s "$T/devs7/bootstrap-ca.crt" "$(openssl x509 -in "$T/int2.pem" \
    -outform DER -out "$T/int2.der" && echo "$T/int2.der")" &&
    [ "$aud" = "SN0001=issuing;SN0003=issuing;" ] || good=0
for d in SN0001 SN0003; do
	old=$(lower "$(cert_serial_der "$T/devs5/$d.crt")")
	openssl x509 -inform DER -in "$T/devs7/$d.crt" -out "$T/mv.pem"
	openssl verify -CAfile "$T/root.pem" -untrusted "$T/int2.pem" \
	    "$T/mv.pem" >/dev/null 2>&1 &&
	    grep -qx "renews: $old" "$T/devs7/$d.yaml" &&
	    [ "$(cert_pub "$T/devs7/$d.crt")" = "$(cert_pub "$T/devs5/$d.crt")" ] ||
	    good=0
done
[ "$good" -eq 1 ] &&
    ok "TEST-KEY-509: provision batch --from-issuer renews the retired issuer's due certificates under its successor (Renewed 2, same keys, openssl verifies under the new CA, its bootstrap-ca.crt, renews_issuer_key in each audit row)" ||
    fail "TEST-KEY-509: --from-issuer batch (exit $rc, audit '$aud')"
kid=$(sqlite3 "$S/keyrite.db" "SELECT lower(hex(id)) FROM keys WHERE name = 'issuing2'")
fid=$(sqlite3 "$S/keyrite.db" "SELECT lower(hex(id)) FROM keys WHERE name = 'issuing'")
spk() { openssl x509 -inform DER -in "$1" -noout -pubkey |
    openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
if python3 - "$B7" "$kid" "$fid" "$S/policy/device.yaml" \
    "$T/devs7/bootstrap-ca.crt" "$bsha" \
    "SN0001 $(lower "$(cert_serial_der "$T/devs5/SN0001.crt")") $T/devs5/SN0001.crt $(spk "$T/devs5/SN0001.crt")" \
    "SN0003 $(lower "$(cert_serial_der "$T/devs5/SN0003.crt")") $T/devs5/SN0003.crt $(spk "$T/devs5/SN0003.crt")" <<'PY'
import hashlib, sys
bid, kid, fid, prof, ca, want = sys.argv[1:7]
h = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
text = ("keyrite-provision-batch-v3\nbatch %s\nevent provision.renew\n"
    "issuer %s issuing2\nfrom_issuer %s issuing\nprofile device\n"
    "profile_sha256 %s\ndays 30\naccept_warnings 0\nskip_provisioned 0\n"
    "bootstrap_ca %s\noperator Ana Ops\nline \n") % (bid, kid, fid, h(prof),
    h(ca))
for d in sys.argv[7:]:
    dev, old, path, spki = d.split(" ")
    text += "device %s renews %s %s %s\n" % (dev, old, h(path), spki)
assert hashlib.sha256(text.encode()).hexdigest() == want, want
PY
then
	ok "TEST-KEY-509: python3 recomputes the renewal batch digest with its documented from_issuer line"
else
	fail "TEST-KEY-509: the --from-issuer batch digest differs from the documented lines"
fi

# --- TEST-KEY-508: a device whose certificates all expired (faketime) -------
# From here on keyrite runs 100 days ahead (every device certificate has
# expired), through a wrapper so that the helpers above run it too.
needs_faketime
sn1r=$(lower "$(cert_serial_der "$T/devs5/SN0001.crt")")
sn1m=$(lower "$(cert_serial_der "$T/devs7/SN0001.crt")")
printf '#!/bin/sh\nexec faketime -f +100d "%s" "$@"\n' "$KEYRITE" > "$T/later"
chmod +x "$T/later"
KEYRITE="$T/later"
day=$(faketime -f +100d date -u +%Y-%m-%d)
device_csr "$T/csr6" sn1-late "/CN=sensor/serialNumber=SN0001"
device_csr "$T/csr6" sn4-late "/CN=sensor/serialNumber=SN0004"
issue issuing2 provision batch --issuer-key issuing2 --operator "Ana Ops" \
    --csr-dir "$T/csr6" --out-dir "$T/devs6" --confirm-date "$day" --yes
B6=$(sed -n 's/^batch: *\([0-9a-f]*\)$/\1/p' "$T/out" | head -n 1)
aud=$(sqlite3 "$S/keyrite.db" "SELECT json_extract(payload, '$.device_id')
    || '=' || json_extract(payload, '$.replaces') FROM audit WHERE
    event = 'provision.device' AND json_extract(payload, '$.batch') = '$B6'
    ORDER BY seq" | tr '\n' ';')
s1=$(lower "$S1")
s4=$(lower "$S4")
if [ "$rc" -eq 0 ] && grep -q "Provisioned 2 devices into" "$T/out" &&
    grep -q "re-provision  *SN0001 (sn1-late.csr), a new key, replaces $s1 (expired 20[0-9-]*T[0-9:]*Z), $sn1r (expired [0-9TZ:-]*), $sn1m (expired" "$T/out" &&
    grep -q "re-provision  *SN0004 (sn4-late.csr), a new key, replaces $s4 (expired" "$T/out" &&
    grep -qx "replaces: \[$s1, $sn1r, $sn1m\]" "$T/devs6/SN0001.yaml" &&
    grep -qx "replaces: \[$s4\]" "$T/devs6/SN0004.yaml" &&
    [ "$aud" = "SN0001=$s1 $sn1r $sn1m;SN0004=$s4;" ] &&
    [ "$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM audit WHERE
    event = 'clock.jump'")" -eq 1 ] &&
    [ "$(cert_pub "$T/devs6/SN0001.crt")" = "$(pubkey_of "$T/keys/sn1-late.key")" ] &&
    faketime -f +100d openssl verify -CAfile "$T/root.pem" -untrusted \
    "$T/int2.pem" "$(openssl x509 -inform DER -in "$T/devs6/SN0001.crt" \
    -out "$T/late1.pem" && echo "$T/late1.pem")" >/dev/null; then
	ok "TEST-KEY-508: devices whose certificates all expired (one on hold) are provisioned again, each replaced serial named (preview, record, audit row); openssl verifies 100 days on"
else
	fail "TEST-KEY-508: re-provisioning after expiry (exit $rc, audit '$aud')"
fi
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked issuing cert renew "$sn1r" --out "$T/late.pem" --yes
refused 1 "TEST-KEY-508: cert renew of an expired certificate still says to provision again" \
    "expired" "must make a new key and be provisioned again"
run -C "$S" provision show SN0001 --json
python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["records"]
assert [x["serial"] for x in r][-1] == sys.argv[2], r
assert all(x["revocation"] == "none" for x in r)' "$T/out" \
    "$(lower "$(cert_serial_der "$T/devs6/SN0001.crt")")" &&
    run -C "$S" audit verify && grep -q "records match the chain" "$T/out" &&
    ok "TEST-KEY-508: provision show lists the new record last; audit verify replays it" ||
    fail "TEST-KEY-508: after the re-provisioning (exit $rc)"
finish
