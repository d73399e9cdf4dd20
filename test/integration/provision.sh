#!/bin/sh
# TEST-KEY-440..458, 476, 477: manufacturing provisioning and short-lived device
# certificates (docs/provisioning.md).  1,000 CSRs made by openssl with
# distinct keys certified under an issuing CA in one quorum unlock, each
# certificate verified by openssl and each record's hashes compared with
# sha256sum; device keys reused from an earlier batch or twice in a batch
# refused and named with the state unchanged; renewal keeps the key and
# the device id, is refused after expiry (faketime), for a revoked
# certificate and twice; --json read by python3; the reuse check rests
# on records the audit chain proves; the audit bundle carries them; a
# batch killed before a group's commit leaves nothing of it, one killed
# while naming its files leaves it recorded, partly released.
. "$(dirname "$0")/lib.sh"
set -e

N=${PROVISION_TEST_DEVICES:-1000}
device_cas "$T/state" Prov
# negcsr KEY OUT SERIALNUMBER: a CSR for -Q = (x, p - y), the other public
# key of KEY's P-256 secret d (private key n - d), by python3's cryptography.
negcsr() {
	python3 - "$@" <<'EOF'
import sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
p = 2**256 - 2**224 + 2**192 + 2**96 - 1
n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
k = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
neg = ec.derive_private_key(n - k.private_numbers().private_value,
    ec.SECP256R1())
a, b = k.public_key().public_numbers(), neg.public_key().public_numbers()
assert a.x == b.x and a.y + b.y == p
name = x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, sys.argv[3])])
req = x509.CertificateSigningRequestBuilder().subject_name(name).sign(neg,
    hashes.SHA256())
open(sys.argv[2], "wb").write(req.public_bytes(serialization.Encoding.PEM))
EOF
}
mkdir -p "$T/keys" "$T/csr" "$T/devs"
export T
seq -f '%04g' 1 "$N" | xargs -P 2 -I{} sh -c 'openssl req -new -newkey ec \
    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/keys/d{}.key" \
    -subj "/CN=sensor/serialNumber=SN{}" -out "$T/csr/d{}.csr" 2>/dev/null'
[ "$(ls "$T/csr" | wc -l)" -eq "$N" ] || fail "openssl made the CSRs"

# provision ARGS...: provision batch under `issuing` with its quorum.
provision() {
	issue issuing provision batch --issuer-key issuing --operator "Ana Ops" \
	    "$@" --yes
}

# --- TEST-KEY-440: a batch of N devices, one unlock ------------------------
provision --csr-dir "$T/csr" --out-dir "$T/devs" --line "L3"
rows=$(sqlite3 "$S/keyrite.db" "SELECT count(*), count(DISTINCT
    json_extract(payload, '$.batch_sha256')) FROM audit WHERE
    event = 'provision.device'")
if [ "$rc" -eq 0 ] && grep -q "Provisioned $N devices" "$T/out" &&
    [ "$(grep -c ' x=[0-9]' "$T/out")" -eq 2 ] &&
    [ "$rows" = "$N|1" ]; then
	ok "TEST-KEY-440: $N CSRs certified with one quorum unlock ($N audit rows, one approved batch digest)"
else
	fail "TEST-KEY-440: provision batch (exit $rc, audit rows $rows)"
fi
B1=$(sed -n 's/^batch: *\([0-9a-f]*\)$/\1/p' "$T/out" | head -n 1)

# --- TEST-KEY-441: every certificate verified by openssl --------------------
openssl x509 -inform DER -in "$T/devs/bootstrap-ca.crt" -out "$T/int-out.pem"
if cmp -s "$T/int-out.pem" "$T/int.pem" &&
    (cd "$T/devs" && ls SN*.crt | xargs openssl verify -CAfile "$T/root.pem" \
    -untrusted "$T/int-out.pem" -purpose sslclient) > "$T/verify" 2>&1 &&
    [ "$(grep -c ': OK$' "$T/verify")" -eq "$N" ]; then
	ok "TEST-KEY-441: openssl verifies all $N device certificates"
else
	fail "TEST-KEY-441: openssl verify: $(grep -v ': OK$' "$T/verify" | head -n 3)"
fi
# Each certificate carries its CSR's key and its device's serialNumber.
good=1
for i in $(seq -f '%04g' 1 "$N" | awk 'NR % 97 == 1'); do
	a=$(openssl pkey -in "$T/keys/d$i.key" -pubout | sha256sum)
	b=$(openssl x509 -inform DER -in "$T/devs/SN$i.crt" -noout -pubkey | sha256sum)
	s=$(openssl x509 -inform DER -in "$T/devs/SN$i.crt" -noout -subject)
	[ "$a" = "$b" ] && echo "$s" | grep -q "serialNumber *= *SN$i" || good=0
done
[ "$good" -eq 1 ] && ok "TEST-KEY-441: sampled certificates hold the CSR's key and device id" ||
    fail "TEST-KEY-441: a certificate does not hold its CSR's key or id"

# --- TEST-KEY-442: records' hashes are sha256sum of the files ---------------
(cd "$T/devs" && sha256sum SN*.crt) | sort > "$T/sums.crt"
(cd "$T/devs" && awk '/identity_cert:/ { sub("sha256:", "", $2);
    f = FILENAME; sub(".yaml$", ".crt", f); print $2 "  " f }' SN*.yaml) |
    sort > "$T/sums.rec"
ca=$(sha256sum "$T/devs/bootstrap-ca.crt" | cut -d' ' -f1)
(cd "$T/devs" && sha256sum SN*.yaml) | awk '{ print $1 }' | sort > "$T/sums.yaml"
sqlite3 "$S/keyrite.db" "SELECT record_sha256 FROM provisioning" | sort > "$T/db.yaml"
if [ "$(wc -l < "$T/sums.crt")" -eq "$N" ] && cmp -s "$T/sums.crt" "$T/sums.rec" &&
    [ "$(grep -c "bootstrap_ca: sha256:$ca\$" "$T"/devs/SN*.yaml | awk -F: '{ s += $2 } END { print s }')" -eq "$N" ] &&
    cmp -s "$T/sums.yaml" "$T/db.yaml" &&
    grep -q '^operator: "Ana Ops"$' "$T/devs/SN0001.yaml" &&
    grep -q '^line: "L3"$' "$T/devs/SN0001.yaml" &&
    grep -q '^device_id: "SN0001"$' "$T/devs/SN0001.yaml" &&
    grep -q "^batch: $B1\$" "$T/devs/SN0001.yaml"; then
	ok "TEST-KEY-442: identity_cert, bootstrap_ca and the recorded record hashes equal sha256sum"
else
	fail "TEST-KEY-442: a record's hash differs from sha256sum of its file"
fi
run -C "$S" audit verify
[ "$rc" -eq 0 ] && grep -q "records match the chain" "$T/out" &&
    ok "TEST-KEY-442: audit verify replays every provisioning row" ||
    fail "TEST-KEY-442: audit verify (exit $rc)"

# --- TEST-KEY-443: --json, read by python3 ----------------------------------
run -C "$S" provision list --batch "$B1" --json
if [ "$rc" -eq 0 ] && python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["format"] == "keyrite-provision-list" and doc["version"] == 1
recs = doc["records"]
assert len(recs) == int(sys.argv[2]), len(recs)
assert all(r["date"].endswith("Z") and r["not_after"].endswith("Z")
    for r in recs)
assert recs[0]["device_id"] == "SN0001"
assert all(r["operator"] == "Ana Ops" and r["line"] == "L3" for r in recs)
assert len({r["serial"] for r in recs}) == len(recs)
' "$T/out" "$N" && run -C "$S" provision show SN0002 --json &&
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1]));
assert d["format"] == "keyrite-provision-list"
assert d["records"][0]["device_id"] == "SN0002"' "$T/out" &&
    run -C "$S" provision show sn0002 --json &&
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1]));
assert [r["device_id"] for r in d["records"]] == ["SN0002"]' "$T/out" &&
    run -C "$S" provision show NOSUCH --json &&
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1]));
assert d["records"] == []' "$T/out"; then
	ok "TEST-KEY-443: provision list --json and show --json (keyrite-provision-list; show without case) parse with python3"
else
	fail "TEST-KEY-443: --json output (exit $rc)"
fi

# --- TEST-KEY-444: a key from an earlier batch is refused, named ------------
mkdir -p "$T/csr2" "$T/devs2"
openssl req -new -key "$T/keys/d0007.key" -subj "/serialNumber=OTHER7" \
    -out "$T/csr2/again.csr"
device_csr "$T/csr2" fresh "/serialNumber=NEW1"
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 1 "TEST-KEY-444: a device key certified in an earlier batch is refused for another device" \
    "again.csr" "already certified" "$(lower "$(cert_serial_der \
    "$T/devs/SN0007.crt")")"
[ -z "$(ls "$T/devs2")" ] || fail "TEST-KEY-444: a file was left in the output folder"

# --- TEST-KEY-445: the same key twice in a batch is refused, named ----------
rm "$T/csr2/again.csr"
device_csr "$T/csr2" twin-a "/serialNumber=NEW2"
openssl req -new -key "$T/keys/twin-a.key" -subj "/serialNumber=NEW3" \
    -out "$T/csr2/twin-b.csr"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 1 "TEST-KEY-445: one key in two CSRs of a batch is refused" \
    "twin-a.csr and twin-b.csr" "same public key"
rm "$T/csr2/twin-b.csr"
device_csr "$T/csr2" twin-c "/serialNumber=NEW2"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 1 "TEST-KEY-445: one device id in two CSRs of a batch is refused" \
    "twin-a.csr and twin-c.csr" "same device NEW2"
rm "$T/csr2/twin-c.csr"
device_csr "$T/csr2" twin-d "/serialNumber=new2"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 1 "TEST-KEY-445: device ids differing only in case (FAT) are one device" \
    "twin-a.csr and twin-d.csr" "same device NEW2"
rm "$T/csr2/twin-d.csr"

# --- TEST-KEY-456: the negated key (the same secret) is the same key -------
# -Q = (x, p - y) is another valid public key for a P-256 secret d (as
# n - d): a CSR for it is refused against the records and within a batch.
negcsr "$T/keys/d0013.key" "$T/csr2/neg.csr" NEG1
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 1 "TEST-KEY-456: a CSR for the negation of a certified device key is refused" \
    "neg.csr" "negation" "$(lower "$(cert_serial_der "$T/devs/SN0013.crt")")"
rm "$T/csr2/neg.csr"
negcsr "$T/keys/twin-a.key" "$T/csr2/twin-n.csr" NEG2
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 1 "TEST-KEY-456: a key and its negation in one batch are refused" \
    "twin-a.csr and twin-n.csr" "negation"
rm "$T/csr2/twin-n.csr"

# --- TEST-KEY-446: bad CSRs refused before the quorum, named ----------------
device_csr "$T/csr2" noid "/CN=no-serial"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 2 "TEST-KEY-446: a CSR without serialNumber is refused" \
    "noid.csr" "no serialNumber"
rm "$T/csr2/noid.csr"
device_csr "$T/csr2" slash "/serialNumber=..-x"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 2 "TEST-KEY-446: a device id that cannot name a file is refused" \
    "slash.csr" "not a device id"
rm "$T/csr2/slash.csr"
printf 'not a request\n' > "$T/csr2/junk.csr"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 2 "TEST-KEY-446: a file that is no CSR is refused" "junk.csr" \
    "not a certificate request"
rm "$T/csr2/junk.csr"
unasked issuing provision batch --issuer-key issuing --operator "" \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
[ "$rc" -eq 2 ] && grep -q "give --operator" "$T/err" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "TEST-KEY-446: an empty --operator is refused (exit 2, state unchanged)" ||
    fail "TEST-KEY-446: an empty --operator (exit $rc)"
device_csr "$T/csr2" again2 "/serialNumber=SN0003"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 1 "TEST-KEY-446: a device provisioned before is refused" \
    "again2.csr" "SN0003 was already provisioned"
rm "$T/csr2/again2.csr"
device_csr "$T/csr2" again3 "/serialNumber=sn0004"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 1 "TEST-KEY-446: a device provisioned before, in another case, is refused" \
    "again3.csr" "sn0004 was already provisioned as SN0004"
rm "$T/csr2/again3.csr"
device_csr "$T/csr2" caname "/serialNumber=Bootstrap-CA"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 2 "TEST-KEY-446: the device id bootstrap-ca (any case) is reserved" \
    "caname.csr" "bootstrap-ca.crt"
rm "$T/csr2/caname.csr"

# --- TEST-KEY-447: the batch of the others goes through ---------------------
provision --csr-dir "$T/csr2" --out-dir "$T/devs2" --days 1
[ "$rc" -eq 0 ] && [ -f "$T/devs2/NEW1.crt" ] && [ -f "$T/devs2/NEW2.crt" ] &&
    grep -q '^line: ""$' "$T/devs2/NEW1.yaml" &&
    ok "TEST-KEY-447: a second batch, no line, 1-day certificates" ||
    fail "TEST-KEY-447: second batch (exit $rc)"

# --- TEST-KEY-448: cert renew keeps the key and the device id ---------------
old=$(cert_serial_der "$T/devs/SN0005.crt")
issue issuing cert renew "$old" --out "$T/renew5.pem" --yes
spki_old=$(openssl x509 -inform DER -in "$T/devs/SN0005.crt" -noout -pubkey | sha256sum)
spki_new=$(openssl x509 -in "$T/renew5.pem" -noout -pubkey | sha256sum)
subj_old=$(openssl x509 -inform DER -in "$T/devs/SN0005.crt" -noout -subject)
subj_new=$(openssl x509 -in "$T/renew5.pem" -noout -subject)
if [ "$rc" -eq 0 ] && [ "$spki_old" = "$spki_new" ] &&
    [ "$subj_old" = "$subj_new" ] && echo "$subj_new" | grep -q SN0005 &&
    [ "$(cert_serial "$T/renew5.pem")" != "$old" ] &&
    openssl verify -CAfile "$T/root.pem" -untrusted "$T/int.pem" \
    "$T/renew5.pem" >/dev/null &&
    [ "$(sqlite3 "$S/keyrite.db" "SELECT o.serial FROM renewals r JOIN
    certificates o ON o.id = r.renews_id JOIN certificates n ON
    n.id = r.cert_id WHERE n.serial = '$(lower "$(cert_serial \
    "$T/renew5.pem")")'")" = "$(lower "$old")" ]; then
	ok "TEST-KEY-448: the renewal has the same key and subject, a new serial, and points to the old one"
else
	fail "TEST-KEY-448: cert renew (exit $rc)"
fi

# --- TEST-KEY-449: a second renewal of the same serial is refused -----------
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked issuing cert renew "$old" --out "$T/renew5b.pem" --yes
refused 1 "TEST-KEY-449: a certificate is renewed once" "already renewed"
[ ! -e "$T/renew5b.pem" ] || fail "TEST-KEY-449: an output was left"

# --- TEST-KEY-450: renewal after expiry refused (faketime) ------------------
needs_faketime
new1=$(cert_serial_der "$T/devs2/NEW1.crt")
before=$(state_snapshot "$S/keyrite.db" "$S")
set +e
faketime -f '+2d' "$KEYRITE" -C "$S" cert renew "$new1" --out "$T/late.pem" \
    --share "$T/sh-issuing/a/issuing.share" \
    --share "$T/sh-issuing/b/issuing.share" --passphrase-fd 3 3</dev/null \
    --yes >"$T/out" 2>"$T/err"
rc=$?
set -e
refused 1 "TEST-KEY-450: a renewal after the certificate expired is refused" \
    "expired" "$(lower "$new1")"

# --- TEST-KEY-451: a revoked certificate is not renewed ---------------------
run -C "$S" revoke --issuer-key issuing --serial \
    "$(cert_serial_der "$T/devs/SN0009.crt")" --reason keyCompromise
[ "$rc" -eq 0 ] || fail "revoke: $(cat "$T/err")"
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked issuing cert renew "$(cert_serial_der "$T/devs/SN0009.crt")" \
    --out "$T/rev.pem" --yes
refused 1 "TEST-KEY-451: a revoked certificate is not renewed" "revoked"

# --- TEST-KEY-452: provision batch --renew-within-days ----------------------
mkdir -p "$T/devs3"
provision --renew-within-days 2 --out-dir "$T/devs3"
if [ "$rc" -eq 0 ] && [ "$(ls "$T/devs3" | grep -c '\.crt$')" -eq 3 ] &&
    grep -q "^renews: $(lower "$new1")\$" "$T/devs3/NEW1.yaml" &&
    [ "$(openssl x509 -inform DER -in "$T/devs3/NEW1.crt" -noout -pubkey |
    sha256sum)" = "$(openssl x509 -inform DER -in "$T/devs2/NEW1.crt" -noout \
    -pubkey | sha256sum)" ] &&
    [ "$(sed -n 's/.*identity_cert: sha256://p' "$T/devs3/NEW1.yaml")" = \
    "$(sha256sum < "$T/devs3/NEW1.crt" | cut -d' ' -f1)" ]; then
	ok "TEST-KEY-452: --renew-within-days renews the expiring device certificates, same keys"
else
	fail "TEST-KEY-452: renew-within-days (exit $rc): $(ls "$T/devs3" | tr '\n' ' ')"
fi
run -C "$S" provision show NEW1
[ "$rc" -eq 0 ] && [ "$(grep -c '^NEW1 ' "$T/out")" -eq 2 ] &&
    ok "TEST-KEY-452: provision show lists the device's first certificate and its renewal" ||
    fail "TEST-KEY-452: provision show NEW1"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && grep -q "0 not backed" "$T/out" &&
    ok "TEST-KEY-452: audit verify accepts every batch's approvals" ||
    fail "TEST-KEY-452: audit verify after renewals (exit $rc)"

# --- TEST-KEY-457: one odd certificate does not stop a renewal batch -------
# Under profile device, expiring within 2 days: one naming no device
# (CN only), two naming one device DUP1, and one for the key of KC1.
mkdir -p "$T/csr5" "$T/devs5"
device_csr "$T/csr5" plain "/CN=plain"
device_csr "$T/csr5" dup-a "/serialNumber=DUP1"
device_csr "$T/csr5" dup-b "/serialNumber=dup1"
device_csr "$T/csr5" kc "/serialNumber=KC1"
device_csr "$T/csr5" ok1 "/serialNumber=OK1"
for f in plain dup-a dup-b kc ok1; do
	issue issuing cert issue --issuer-key issuing --profile device \
	    --csr "$T/csr5/$f.csr" --days 1 --out "$T/csr5/$f.pem"
	[ "$rc" -eq 0 ] || fail "cert issue $f: $(cat "$T/err")"
done
openssl req -new -key "$T/keys/kc.key" -subj "/serialNumber=KC2" \
    -out "$T/csr5/kc2.csr"
issue issuing cert issue --issuer-key issuing --profile device \
    --csr "$T/csr5/kc2.csr" --days 1 --out "$T/csr5/kc2.pem"
[ "$rc" -eq 0 ] || fail "cert issue kc2: $(cat "$T/err")"
run -C "$S" revoke --issuer-key issuing --serial \
    "$(cert_serial "$T/csr5/kc.pem")" --reason keyCompromise
[ "$rc" -eq 0 ] || fail "revoke kc: $(cat "$T/err")"
provision --renew-within-days 2 --out-dir "$T/devs5"
if [ "$rc" -eq 0 ] && [ -f "$T/devs5/OK1.crt" ] &&
    [ "$(ls "$T/devs5" | grep -c '\.crt$')" -eq 2 ] &&
    grep -qi "not renewed.*$(lower "$(cert_serial "$T/csr5/plain.pem")"): the certificate: its subject has no serialNumber" "$T/out" &&
    grep -qi "not renewed.*$(lower "$(cert_serial "$T/csr5/dup-a.pem")").*2 certificates in force name device" "$T/out" &&
    grep -qi "not renewed.*$(lower "$(cert_serial "$T/csr5/dup-b.pem")").*2 certificates" "$T/out" &&
    grep -qi "not renewed.*$(lower "$(cert_serial "$T/csr5/kc2.pem")").*keyCompromise in certificate $(lower "$(cert_serial "$T/csr5/kc.pem")")" "$T/out" &&
    openssl verify -CAfile "$T/root.pem" -untrusted "$T/int.pem" \
    "$T/csr5/ok1.pem" >/dev/null; then
	ok "TEST-KEY-457: the renewal batch renews OK1 and lists the certificates it left out (no device id, one device twice, a compromised key) by serial and reason"
else
	fail "TEST-KEY-457: renewal batch with odd certificates (exit $rc): $(cat "$T/err")"
fi
before=$(state_snapshot "$S/keyrite.db" "$S")
provision --renew-within-days 2 --out-dir "$T/devs5"
[ "$rc" -eq 0 ] && grep -q "Nothing to renew" "$T/out" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "TEST-KEY-457: nothing left to renew: said, exit 0, nothing recorded" ||
    fail "TEST-KEY-457: nothing to renew (exit $rc): $(cat "$T/err")"

# --- TEST-KEY-458: cert renew: a compromised key, a certificate of no device
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked issuing cert renew "$(cert_serial "$T/csr5/kc2.pem")" \
    --out "$T/kc2-new.pem" --yes
refused 1 "TEST-KEY-458: cert renew of a certificate whose key was revoked for keyCompromise in another is refused" \
    "keyCompromise" "$(lower "$(cert_serial "$T/csr5/kc.pem")")"
unasked issuing cert renew "$(cert_serial "$T/csr5/plain.pem")" \
    --out "$T/plain-new.pem" --yes
refused 1 "TEST-KEY-458: cert renew of a certificate naming no device is refused" \
    "names no device" "serialNumber"

# --- TEST-KEY-486: cert renew and the renewal batch agree on a device id --
# A certificate whose serialNumber is no device id (it holds a space): the
# renewal batch leaves it out, naming why, and cert renew, which used to
# renew it, refuses it with the same reason (one check: kr_renew_check and
# kr_prov_device_id).
device_csr "$T/csr5" spaced "/serialNumber=SN 1"
issue issuing cert issue --issuer-key issuing --profile device \
    --csr "$T/csr5/spaced.csr" --days 1 --out "$T/csr5/spaced.pem"
[ "$rc" -eq 0 ] || fail "cert issue spaced: $(cat "$T/err")"
spaced=$(lower "$(cert_serial "$T/csr5/spaced.pem")")
before=$(state_snapshot "$S/keyrite.db" "$S")
mkdir -p "$T/dry486"
provision --renew-within-days 2 --out-dir "$T/dry486" --dry-run
[ "$rc" -eq 0 ] && grep -qi "not renewed.*$spaced: the certificate: its serialNumber is not a device id" "$T/out" &&
    [ "$(state_snapshot "$S/keyrite.db" "$S")" = "$before" ] &&
    ok "TEST-KEY-486: the renewal batch leaves out a certificate whose serialNumber is no device id" ||
    fail "TEST-KEY-486: renewal batch (exit $rc): $(cat "$T/out" "$T/err")"
unasked issuing cert renew "$spaced" --out "$T/spaced-new.pem" --yes
refused 1 "TEST-KEY-486: cert renew refuses the same certificate, for the same reason" \
    "certificate $spaced names no device" "serialNumber is not a device id"
[ ! -e "$T/spaced-new.pem" ] || fail "TEST-KEY-486: an output was left"

# --- TEST-KEY-454: the reuse check rests on records the chain proves -------
# A certificate row deleted behind keyrite's back (to let its key be
# certified again) stops the batch before anything is asked.
cp -a "$S" "$T/tampered"
sqlite3 "$T/tampered/keyrite.db" "DELETE FROM provisioning WHERE cert_id =
    (SELECT id FROM certificates WHERE serial = '$(lower "$(cert_serial_der \
    "$T/devs/SN0011.crt")")'); DELETE FROM certificates WHERE serial =
    '$(lower "$(cert_serial_der "$T/devs/SN0011.crt")")'"
mkdir -p "$T/csr4" "$T/devs4"
cp "$T/csr/d0011.csr" "$T/csr4/"
S_REAL=$S S="$T/tampered"
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr4" --out-dir "$T/devs4" --yes
refused 1 "TEST-KEY-454: a deleted certificate record does not let its key be certified again" \
    "do not match its audit chain" "certificates"
S=$S_REAL

# --- TEST-KEY-415/416: kills in a batch's groups (record first, release) --
# Devices are recorded 128 to a transaction and their files, written with
# no name, are named after the commit.  A kill while a group's files are
# being named leaves the group recorded, the devices before the kill
# released, the rest recorded and unreleased (written again from their
# records); a kill before the commit leaves nothing of the group.
if command -v strace >/dev/null 2>&1; then
	mkdir -p "$T/csrg" "$T/devsg1" "$T/devsg2"
	seq -f '%03g' 1 130 | xargs -P 2 -I{} sh -c 'openssl req -new -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	    -subj "/CN=sensor/serialNumber=KL{}" -out "$T/csrg/k{}.csr" \
	    2>/dev/null'
	# kbatch OUT SYSCALL N: the batch of csrg killed at SYSCALL number N.
	kbatch() {
		set +e
		# shellcheck disable=SC2046
		traced -f -qq -o /dev/null -e trace="$2" \
		    -e inject="$2":signal=KILL:when="$3" "$KEYRITE" -C "$S" \
		    provision batch --issuer-key issuing --operator "Ana Ops" \
		    --csr-dir "$T/csrg" --out-dir "$1" --yes $(quorum issuing) \
		    3<"$T/ab.pw" >"$T/out" 2>"$T/err"
		rc=$?
		set -e
	}
	recs() {
		sqlite3 "$S/keyrite.db" "SELECT count(*) FROM provisioning WHERE
		    device_id GLOB 'KL*'"
	}
	# Killed at the 100th file write (the 50th device's), before the
	# first group's commit: nothing of it.
	kbatch "$T/devsg2" write 100
	kill_rc=$rc
	left=$(ls -a "$T/devsg2" | grep -v '^\.\.*$' |
	    grep -v '^bootstrap-ca\.crt$' || true)
	run -C "$S" audit verify
	if [ "$kill_rc" -eq 137 ] && [ "$rc" -eq 0 ] && [ "$(recs)" -eq 0 ] &&
	    [ -z "$left" ]; then
		ok "TEST-KEY-416: a batch killed before its first group's commit leaves no record and no device file (audit verify exit 0)"
	else
		fail "TEST-KEY-416: kill before the commit (exit $kill_rc): $(recs) records, files: $left: $(head -c 400 "$T/err")"
	fi
	rm -rf "$T/devsg2"
	# Killed at the 60th name (the bootstrap CA's, then two per device).
	kbatch "$T/devsg1" linkat 60
	kill_rc=$rc
	nrec=$(recs)
	ncrt=$(ls "$T/devsg1" | grep -c '^KL.*\.crt$' || true)
	extra=$(ls -a "$T/devsg1" | grep -v '^\.\.*$' |
	    grep -v '^KL[0-9]*\.\(crt\|yaml\)$' | grep -v '^bootstrap-ca\.crt$' ||
	    true)
	good=1
	# Every released certificate is recorded with its file's SHA-256.
	for f in "$T/devsg1"/KL*.crt; do
		d=$(basename "$f" .crt)
		want=$(sqlite3 "$S/keyrite.db" "SELECT identity_sha256 FROM
		    provisioning WHERE device_id = '$d'")
		[ "$want" = "$(sha256sum < "$f" | cut -d' ' -f1)" ] || good=0
	done
	# An unreleased device: its certificate written again from its record.
	d=$(sqlite3 "$S/keyrite.db" "SELECT device_id FROM provisioning WHERE
	    device_id GLOB 'KL*' ORDER BY device_id DESC LIMIT 1")
	sn=$(sqlite3 "$S/keyrite.db" "SELECT c.serial FROM provisioning p JOIN
	    certificates c ON c.id = p.cert_id WHERE p.device_id = '$d'")
	want=$(sqlite3 "$S/keyrite.db" "SELECT identity_sha256 FROM provisioning
	    WHERE device_id = '$d'")
	run -C "$S" cert show "$sn" --out "$T/again.der" --der
	[ "$rc" -eq 0 ] && [ ! -e "$T/devsg1/$d.crt" ] &&
	    [ "$(sha256sum < "$T/again.der" | cut -d' ' -f1)" = "$want" ] &&
	    openssl verify -CAfile "$T/root.pem" -untrusted "$T/int.pem" \
	    "$T/again.der" >/dev/null 2>&1 || good=0
	run -C "$S" audit verify
	if [ "$kill_rc" -eq 137 ] && [ "$rc" -eq 0 ] && [ "$good" -eq 1 ] &&
	    [ "$nrec" -eq 128 ] && [ "$ncrt" -ge 1 ] && [ "$ncrt" -lt 128 ] &&
	    [ -z "$extra" ]; then
		ok "TEST-KEY-415: a batch killed while naming its first group's files: the group's 128 devices recorded, the $ncrt released ones with the recorded hashes, an unreleased one written again by cert show and verified by openssl, no other file, audit verify exit 0"
	else
		fail "TEST-KEY-415: kill while naming (exit $kill_rc): $nrec records, $ncrt certificates, other files: $extra, checks $good"
	fi
	# A device that fails in the middle of a group (its CSR cannot be
	# read again: strace makes its second open fail; strace counts per
	# thread, and the check pass reads every even-numbered file of 256 on
	# the main thread, as the signing pass does): the devices before it
	# complete, it and the ones after it not recorded, no file.
	mkdir -p "$T/csrh" "$T/devsh"
	seq -f '%03g' 1 40 | xargs -P 2 -I{} sh -c 'openssl req -new -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	    -subj "/CN=sensor/serialNumber=HW{}" -out "$T/csrh/h{}.csr" \
	    2>/dev/null'
	set +e
	# shellcheck disable=SC2046
	traced -f -qq -o /dev/null -P "$T/csrh/h021.csr" \
	    -e inject=openat:error=EIO:when=2 "$KEYRITE" -C "$S" provision \
	    batch --issuer-key issuing --operator "Ana Ops" --csr-dir "$T/csrh" \
	    --out-dir "$T/devsh" --yes $(quorum issuing) 3<"$T/ab.pw" \
	    >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	nrec=$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM provisioning WHERE
	    device_id GLOB 'HW*'")
	last=$(sqlite3 "$S/keyrite.db" "SELECT max(device_id) FROM provisioning
	    WHERE device_id GLOB 'HW*'")
	nfiles=$(ls "$T/devsh" | grep -c '^HW' || true)
	if [ "$rc" -ne 0 ] && grep -q "device HW021 (21 of 40" "$T/err" &&
	    grep -q "the 20 before it are signed, recorded and written" \
	    "$T/err" && [ "$nrec" -eq 20 ] && [ "$last" = HW020 ] &&
	    [ "$nfiles" -eq 40 ]; then
		ok "TEST-KEY-417: a device failing in the middle of a group is named; the 20 before it are recorded and written, nothing of it or after it (exit $rc)"
	else
		fail "TEST-KEY-417: a failure in a group (exit $rc): $nrec records up to $last, $nfiles files: $(head -c 300 "$T/err")"
	fi
else
	fail "strace is missing (./run test installs it)"
fi

# --- TEST-KEY-455: the audit bundle carries the provisioning records ------
run -C "$S" audit export --out "$T/bundle"
[ "$rc" -eq 0 ] && [ -s "$T/bundle/provisioning.jsonl" ] &&
    [ -s "$T/bundle/renewals.jsonl" ] &&
    run audit verify --bundle "$T/bundle" && [ "$rc" -eq 0 ] &&
    python3 "$SRCDIR/test/tools/verify_bundle.py" "$T/bundle" >/dev/null &&
    [ "$(wc -l < "$T/bundle/provisioning.jsonl")" -eq \
    "$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM provisioning")" ] &&
    ok "TEST-KEY-455: audit export carries provisioning and renewals; both verifiers accept it" ||
    fail "TEST-KEY-455: audit bundle with provisioning records (exit $rc)"
# --- TEST-KEY-459: device certificates carry the profile's CDP and AIA -----
# A folder made with --crl-url and --ocsp-url: a provisioned device's
# certificate and its renewal name them, and openssl checks both against
# the published CRLs of the root and the issuing CA (-crl_check_all).
S_REAL=$S S="$T/urls"
mkdir -p "$T/pol"
sed -e 's/^name: device$/name: nosubject/' \
    -e 's/^subject_from_request: .*/subject_from_request: []/' \
    "$SRCDIR/policy/device.yaml" > "$T/pol/nosubject.yaml"
sed -e 's/^name: device$/name: longdev/' -e 's/^max_days: .*/max_days: 400/' \
    "$SRCDIR/policy/device.yaml" > "$T/pol/longdev.yaml"
"$KEYRITE" -C "$S" init --kdf-profile test --policy-dir "$T/pol" \
    --crl-url 'http://crl.example/{issuer}.crl' \
    --ocsp-url 'http://ocsp.example/' >/dev/null
gen_ca "$S" uroot p256 ca && gen_ca "$S" uiss p256 ca || fail "keys (urls)"
issue uroot cert root --key uroot --profile root --subject "CN=URL Root" \
    --out "$T/uroot.pem"
issue uroot cert issue --issuer-key uroot --subject-key uiss \
    --profile intermediate --subject "CN=URL Issuing" --out "$T/uiss.pem"
[ "$rc" -eq 0 ] || fail "issuing CA (urls): $(cat "$T/err")"
mkdir -p "$T/csr6" "$T/devs6"
device_csr "$T/csr6" u1 "/serialNumber=URL1"
issue uiss provision batch --issuer-key uiss --operator op \
    --csr-dir "$T/csr6" --out-dir "$T/devs6" --yes
[ "$rc" -eq 0 ] || fail "provision (urls): $(cat "$T/err")"
openssl x509 -inform DER -in "$T/devs6/URL1.crt" -out "$T/url1.pem"
# TEST-KEY-440: the batch digest, recomputed by python3 from the files as
# docs/provisioning.md says (a 200-byte CSR file name, a 128-byte
# operator, a 64-byte line: more than 512 bytes before the devices).
long=$(printf 'c%.0s' $(seq 1 196)).csr
op=$(printf 'o%.0s' $(seq 1 128))
ln=$(printf 'l%.0s' $(seq 1 64))
mv "$T/csr6/u1.csr" "$T/u1.csr"
device_csr "$T/csr6" u3 "/serialNumber=URL3"
mv "$T/csr6/u3.csr" "$T/csr6/$long"
issue uiss provision batch --issuer-key uiss --operator "$op" \
    --line "$ln" --csr-dir "$T/csr6" --out-dir "$T/devs6" --yes
[ "$rc" -eq 0 ] || fail "provision (digest): $(cat "$T/err")"
bid=$(sed -n 's/^batch: *\([0-9a-f]*\)$/\1/p' "$T/out" | head -n 1)
bsha=$(sed -n 's/^batch SHA-256: *\([0-9a-f]*\)$/\1/p' "$T/out")
kid=$(sqlite3 "$S/keyrite.db" "SELECT lower(hex(id)) FROM keys WHERE name = 'uiss'")
spki=$(openssl req -in "$T/csr6/$long" -noout -pubkey |
    openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
mv "$T/csr6/$long" "$T/long.csr"
if python3 - "$bid" "$kid" "$S/policy/device.yaml" "$T/devs6/bootstrap-ca.crt" \
    "$op" "$T/long.csr" "$long" "$spki" "$bsha" "$ln" <<'EOF'
import hashlib, sys
bid, kid, prof, ca, op, csr, name, spki, want, ln = sys.argv[1:]
h = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
text = ("keyrite-provision-batch-v3\nbatch %s\nevent provision.device\n"
    "issuer %s uiss\nprofile device\nprofile_sha256 %s\ndays 30\n"
    "accept_warnings 0\nskip_provisioned 0\nbootstrap_ca %s\noperator %s\n"
    "line %s\n"
    "device URL3 csr %s %s %s\n") % (bid, kid, h(prof), h(ca), op, ln,
    name, h(csr), spki)
assert len(text.split("device ")[0]) > 512
assert hashlib.sha256(text.encode()).hexdigest() == want, want
EOF
then
	ok "TEST-KEY-440: python3 recomputes the approved batch digest from the documented lines (long file name and operator)"
else
	fail "TEST-KEY-440: the batch digest differs from the documented lines"
fi
issue uiss cert renew "$(cert_serial "$T/url1.pem")" --out "$T/url1-new.pem" \
    --yes
[ "$rc" -eq 0 ] || fail "cert renew (urls): $(cat "$T/err")"
issue uroot crl publish --issuer-key uroot --out "$T/uroot.crl"
issue uiss crl publish --issuer-key uiss --out "$T/uiss.crl"
for c in uroot uiss; do
	openssl crl -inform DER -in "$T/$c.crl" -out "$T/$c.crl.pem" 2>/dev/null ||
	    cp "$T/$c.crl" "$T/$c.crl.pem"
done
good=1
for f in "$T/url1.pem" "$T/url1-new.pem"; do
	openssl verify -crl_check_all -CAfile "$T/uroot.pem" -untrusted \
	    "$T/uiss.pem" -CRLfile "$T/uroot.crl.pem" -CRLfile \
	    "$T/uiss.crl.pem" "$f" >/dev/null 2>&1 || good=0
	openssl x509 -in "$f" -noout -ext \
	    crlDistributionPoints,authorityInfoAccess > "$T/ext" 2>&1
	grep -q 'URI:http://crl.example/uiss.crl' "$T/ext" &&
	    grep -q 'OCSP - URI:http://ocsp.example/' "$T/ext" || good=0
done
[ "$good" -eq 1 ] &&
    ok "TEST-KEY-459: a provisioned certificate and its renewal carry the CDP and OCSP URL and pass openssl verify -crl_check_all" ||
    fail "TEST-KEY-459: CDP/AIA on device certificates: $(cat "$T/ext")"
# TEST-KEY-447: a lint warning (a clientAuth leaf over 398 days) stops a
# batch and a renewal unless --accept-warnings is given, which is in the
# batch digest and shown.
mkdir -p "$T/csr8" "$T/devs8"
device_csr "$T/csr8" w1 "/serialNumber=WARN1"
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked uiss provision batch --issuer-key uiss --profile longdev --days 399 \
    --operator op --csr-dir "$T/csr8" --out-dir "$T/devs8" --yes
refused 1 "TEST-KEY-447: a lint warning stops the batch before the quorum, naming --accept-warnings" \
    "w1.csr" "w_validity_long_tls_leaf" "--accept-warnings"
issue uiss provision batch --issuer-key uiss --profile longdev --days 399 \
    --operator op --csr-dir "$T/csr8" --out-dir "$T/devs8" --accept-warnings \
    --yes
openssl x509 -inform DER -in "$T/devs8/WARN1.crt" -out "$T/warn1.pem"
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked uiss cert renew "$(cert_serial "$T/warn1.pem")" --days 399 \
    --out "$T/warn1-new.pem" --yes
refused 1 "TEST-KEY-447: a lint warning stops cert renew, naming --accept-warnings" \
    "w_validity_long_tls_leaf" "--accept-warnings"
issue uiss cert renew "$(cert_serial "$T/warn1.pem")" --days 399 \
    --out "$T/warn1-new.pem" --accept-warnings --yes
[ "$rc" -eq 0 ] && grep -q "accepted with --accept-warnings" "$T/out" &&
    openssl verify -CAfile "$T/uroot.pem" -untrusted "$T/uiss.pem" \
    "$T/warn1.pem" "$T/warn1-new.pem" >/dev/null &&
    ok "TEST-KEY-447: --accept-warnings signs the batch and the renewal (openssl verifies both), the preview says so" ||
    fail "TEST-KEY-447: --accept-warnings (exit $rc): $(cat "$T/err")"
# TEST-KEY-440: a device failing half way (a trigger makes the second
# record fail) is named with what is done and how to go on (with
# --skip-provisioned, TEST-KEY-476); moving the done CSRs out and running
# the command again without it finishes the batch too.
# fail_at DEVICE ARGS...: provision batch under uiss whose record of
# DEVICE fails (an sqlite3 trigger, dropped after); sets $rc.
fail_at() {
	sqlite3 "$S/keyrite.db" "CREATE TRIGGER half_way BEFORE INSERT ON
	    provisioning WHEN NEW.device_id = '$1' BEGIN SELECT RAISE(ABORT,
	    'disk full (test)'); END"
	shift
	issue uiss provision batch --issuer-key uiss --operator op "$@" --yes
	sqlite3 "$S/keyrite.db" "DROP TRIGGER half_way"
}
mkdir -p "$T/csr9" "$T/devs9" "$T/done9"
for i in 1 2 3; do device_csr "$T/csr9" "f$i" "/serialNumber=HALF$i"; done
fail_at HALF2 --csr-dir "$T/csr9" --out-dir "$T/devs9"
half_rc=$rc
grep -q "device HALF2 (2 of 3, f2.csr) failed and was not recorded; the 1 before it are signed, recorded and written; to go on, the CSRs f1.csr to f1.csr (in file-name order) are done: run the same command again with --skip-provisioned, which lists them as skipped and certifies the rest (leave the folder $T/csr9 as it is). What happened: .*disk full (test)" "$T/err" &&
    half_msg=1 || half_msg=0
mv "$T/csr9/f1.csr" "$T/done9/"
issue uiss provision batch --issuer-key uiss --operator op \
    --csr-dir "$T/csr9" --out-dir "$T/devs9" --yes
if [ "$half_rc" -ne 0 ] && [ "$half_msg" -eq 1 ] && [ "$rc" -eq 0 ] &&
    [ "$(ls "$T/devs9" | grep -c '^HALF[123]\.crt$')" -eq 3 ]; then
	ok "TEST-KEY-440: a device failing half way is named with the CSRs done and how to go on; the rest then go through"
else
	fail "TEST-KEY-440: half-way failure (exit $half_rc, then $rc): $(cat "$T/err")"
fi
# A leaf profile that takes no subject from a request certifies no device.
mkdir -p "$T/devs7"
before=$(state_snapshot "$S/keyrite.db" "$S")
device_csr "$T/csr6" u2 "/serialNumber=URL2"
unasked uiss provision batch --issuer-key uiss --profile nosubject \
    --operator op --csr-dir "$T/csr6" --out-dir "$T/devs7" --yes
refused 1 "TEST-KEY-446: a profile whose subject_from_request is empty certifies no device from its CSR" \
    "u2.csr" "subject_from_request"
# --- TEST-KEY-476: --skip-provisioned after a batch failed half way --------
# A batch of 5 fails at device 3 (a trigger makes its record fail); run
# again as it was, with --skip-provisioned, it certifies exactly devices
# 3 to 5 and lists 1 and 2 as skipped with the batch and serial they got.
mkdir -p "$T/csr10" "$T/devs10"
for i in 1 2 3 4 5; do
	device_csr "$T/csr10" "s$i" "/CN=sensor/serialNumber=SKIP$i"
done
fail_at SKIP3 --csr-dir "$T/csr10" --out-dir "$T/devs10"
half_rc=$rc
[ "$half_rc" -ne 0 ] &&
    grep -q "device SKIP3 (3 of 5, s3.csr) failed and was not recorded; the 2 before it are signed, recorded and written; to go on, the CSRs s1.csr to s2.csr (in file-name order) are done: run the same command again with --skip-provisioned" "$T/err" &&
    ok "TEST-KEY-476: the batch failing at device 3 of 5 says to go on with --skip-provisioned" ||
    fail "TEST-KEY-476: half-way message (exit $half_rc): $(cat "$T/err")"
B10=$(sqlite3 "$S/keyrite.db" "SELECT DISTINCT batch FROM provisioning
    WHERE device_id IN ('SKIP1', 'SKIP2')")
issue uiss provision batch --issuer-key uiss --operator op \
    --csr-dir "$T/csr10" --out-dir "$T/devs10" --skip-provisioned --yes
B11=$(sed -n 's/^batch: *\([0-9a-f]*\)$/\1/p' "$T/out" | head -n 1)
good=1
[ "$rc" -eq 0 ] && grep -q "Provisioned 3 devices" "$T/out" || good=0
for i in 1 2; do
	sn=$(lower "$(cert_serial_der "$T/devs10/SKIP$i.crt")")
	grep -qF "SKIP$i: already provisioned in batch $B10 as serial $sn, skipped (s$i.csr)" \
	    "$T/out" || good=0
done
[ "$(grep -c 'already provisioned in batch' "$T/out")" -eq 2 ] || good=0
[ "$(sqlite3 "$S/keyrite.db" "SELECT group_concat(device_id, ' ') FROM
    (SELECT device_id FROM provisioning WHERE batch = '$B11' ORDER BY
    device_id)")" = "SKIP3 SKIP4 SKIP5" ] || good=0
[ "$(sqlite3 "$S/keyrite.db" "SELECT count(*), count(DISTINCT device_id)
    FROM provisioning WHERE device_id LIKE 'SKIP%'")" = "5|5" ] || good=0
[ "$good" -eq 1 ] &&
    ok "TEST-KEY-476: run again with --skip-provisioned: devices 3 to 5 certified in a new batch, 1 and 2 listed as skipped with their batch and serial, each device recorded once" ||
    fail "TEST-KEY-476: --skip-provisioned run (exit $rc): $(cat "$T/out" "$T/err")"
# Every record's hashes are sha256sum of the files; openssl verifies the
# new certificates, each holding its CSR's key.
ca=$(sha256sum "$T/devs10/bootstrap-ca.crt" | cut -d' ' -f1)
good=1
for i in 1 2 3 4 5; do
	d="$T/devs10/SKIP$i"
	crt=$(sha256sum "$d.crt" | cut -d' ' -f1)
	yml=$(sha256sum "$d.yaml" | cut -d' ' -f1)
	grep -q "^  identity_cert: sha256:$crt\$" "$d.yaml" &&
	    grep -q "^  bootstrap_ca: sha256:$ca\$" "$d.yaml" &&
	    [ "$(sqlite3 "$S/keyrite.db" "SELECT identity_sha256 || ' ' ||
	    record_sha256 FROM provisioning WHERE device_id = 'SKIP$i'")" = \
	    "$crt $yml" ] || good=0
done
for i in 3 4 5; do
	openssl x509 -inform DER -in "$T/devs10/SKIP$i.crt" -out "$T/skip$i.pem"
	openssl verify -CAfile "$T/uroot.pem" -untrusted "$T/uiss.pem" \
	    "$T/skip$i.pem" >/dev/null 2>&1 || good=0
	[ "$(openssl pkey -in "$T/keys/s$i.key" -pubout | sha256sum)" = \
	    "$(openssl x509 -in "$T/skip$i.pem" -noout -pubkey | sha256sum)" ] ||
	    good=0
	grep -q "^batch: $B11\$" "$T/devs10/SKIP$i.yaml" || good=0
done
[ "$good" -eq 1 ] &&
    ok "TEST-KEY-476: every record's hashes equal sha256sum of the files; openssl verifies the 3 new certificates, each with its CSR's key" ||
    fail "TEST-KEY-476: records or certificates after --skip-provisioned"
# The approved digest, recomputed by python3 from the documented lines:
# the devices signed, then one `skipped` line per CSR skipped.
for i in 1 2 3 4 5; do
	printf '%s %s %s\n' "s$i.csr" \
	    "$(sha256sum "$T/csr10/s$i.csr" | cut -d' ' -f1)" \
	    "$(openssl req -in "$T/csr10/s$i.csr" -noout -pubkey |
	    openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)"
done > "$T/csr10.sums"
bsha=$(sed -n 's/^batch SHA-256: *\([0-9a-f]*\)$/\1/p' "$T/out")
if python3 - "$B11" "$kid" "$S/policy/device.yaml" \
    "$T/devs10/bootstrap-ca.crt" "$T/csr10.sums" "$bsha" <<'EOF'
import hashlib, sys
bid, kid, prof, ca, sums, want = sys.argv[1:]
h = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
rows = [l.split() for l in open(sums)]
text = ("keyrite-provision-batch-v3\nbatch %s\nevent provision.device\n"
    "issuer %s uiss\nprofile device\nprofile_sha256 %s\ndays 30\n"
    "accept_warnings 0\nskip_provisioned 1\nbootstrap_ca %s\noperator op\n"
    "line \n") % (bid, kid, h(prof), h(ca))
for n, (name, csr, spki) in enumerate(rows[2:], 3):
    text += "device SKIP%d csr %s %s %s\n" % (n, name, csr, spki)
for n, (name, csr, spki) in enumerate(rows[:2], 1):
    text += "skipped SKIP%d csr %s %s %s\n" % (n, name, csr, spki)
assert hashlib.sha256(text.encode()).hexdigest() == want, want
EOF
then
	ok "TEST-KEY-476: python3 recomputes the approved digest, the skipped CSRs in it as documented (v3)"
else
	fail "TEST-KEY-476: the digest with skipped CSRs differs from the documented lines"
fi

# --- TEST-KEY-477: --skip-provisioned refuses every other reuse ------------
# Beside CSRs it would skip or sign: a CSR of device SKIP1 with a new key,
# one for device OTHER1 with SKIP2's key, the same CSR twice, a device
# whose certificate was revoked: each refused naming the file, exit 1,
# before the quorum, nothing changed.
skipref() {
	before=$(state_snapshot "$S/keyrite.db" "$S")
	outs=$(state_snapshot /dev/null "$T/devs10")
	unasked uiss provision batch --issuer-key uiss --operator op \
	    --csr-dir "$1" --out-dir "$T/devs10" --skip-provisioned --yes
	shift
	refused 1 "$@"
	[ "$(state_snapshot /dev/null "$T/devs10")" = "$outs" ] ||
	    fail "$1: the output folder changed"
}
mkdir -p "$T/csr11a" "$T/csr11b" "$T/csr11c" "$T/csr11d"
cp "$T/csr10/s1.csr" "$T/csr10/s2.csr" "$T/csr11a/"
device_csr "$T/csr11a" new1 "/serialNumber=SKIP1"
device_csr "$T/csr11a" fresh1 "/serialNumber=FRESH1"
skipref "$T/csr11a" "TEST-KEY-477: a CSR of a device provisioned with another key is refused with --skip-provisioned" \
    "new1.csr: device SKIP1 was already provisioned" "cert renew"
cp "$T/csr10/s1.csr" "$T/csr11b/"
openssl req -new -key "$T/keys/s2.key" -subj "/serialNumber=OTHER1" \
    -out "$T/csr11b/other.csr"
skipref "$T/csr11b" "TEST-KEY-477: a CSR whose key was certified for another device is refused with --skip-provisioned" \
    "other.csr: its public key" "already certified by this appliance" \
    "$(lower "$(cert_serial_der "$T/devs10/SKIP2.crt")")"
cp "$T/csr10/s2.csr" "$T/csr11c/"
cp "$T/csr10/s2.csr" "$T/csr11c/s2-again.csr"
skipref "$T/csr11c" "TEST-KEY-477: the same CSR twice in the folder is refused with --skip-provisioned" \
    "s2-again.csr and s2.csr carry the same public key"
run -C "$S" revoke --issuer-key uiss --serial \
    "$(cert_serial_der "$T/devs10/SKIP1.crt")" --reason superseded
[ "$rc" -eq 0 ] || fail "revoke SKIP1: $(cat "$T/err")"
cp "$T/csr10/s1.csr" "$T/csr10/s2.csr" "$T/csr11d/"
skipref "$T/csr11d" "TEST-KEY-477: a device whose certificate was revoked is not skipped: refused with --skip-provisioned" \
    "s1.csr: its public key" "already certified"
S=$S_REAL
finish
