#!/bin/sh
# TEST-KEY-466..469: what the listings say, checked by other tools.
# `key list --json`, `cert list --json` and `audit show --json` are parsed
# by python3's json module and compared with the rows sqlite3 reads and
# the certificates openssl reads; `audit show` prints whole hashes and
# ISO 8601 times (the invalidity date too); `cert show` names the key
# usages and extended key usages openssl names, and a pathLen only when
# the certificate has one.
. "$(dirname "$0")/lib.sh"
set -e

revoking_ca "$T/state" "CN=Listing Root,O=Example,C=DE"
DB="$S/keyrite.db"
gen_ca "$S" fw ed25519 firmware || fail "fw key: $(cat "$T/gen.err")"
issue root cert issue --issuer-key root --subject-key fw --profile firmware-signing \
    --subject "CN=Listing FW,C=DE" --out "$T/fw.pem"
[ "$rc" -eq 0 ] || fail "fw certificate: $(cat "$T/err")"
run -C "$S" revoke --issuer-key root --serial "$(cert_serial "$T/sub2.pem")" \
    --reason keyCompromise --invalidity-date 2026-01-02T03:04:05Z
[ "$rc" -eq 0 ] || fail "revoke sub2: $(cat "$T/err")"

# TEST-KEY-466: key list --json against the keys table.
run -C "$S" key list --json
python3 - "$T/out" "$DB" > "$T/diff" 2>&1 <<'EOF' && [ ! -s "$T/diff" ] &&
import datetime, hashlib, json, sqlite3, sys
d = json.load(open(sys.argv[1]))
iso = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
want = [{"name": n, "key_id": bytes(i).hex(), "alg": a, "purpose": p, "backend": b,
         "state": s, "created": iso(c), "spki_sha256": hashlib.sha256(k).hexdigest()}
        for i, n, a, p, b, s, c, k in sqlite3.connect(sys.argv[2]).execute(
            "SELECT id, name, alg, purpose, backend, state, created, spki FROM keys ORDER BY name")]
if d["format"] != "keyrite-key-list" or d["version"] != 1 or d["keys"] != want:
    print(d, want)
EOF
    ok "key list --json is the keys table (sqlite3), SPKI hashes recomputed" ||
    fail "key list --json: $(cat "$T/diff" "$T/out")"
run -C "$S" key export-public fw
openssl pkey -pubin -in "$T/out" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1 > "$T/fw.spki"
run -C "$S" key list --json
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); sys.exit(0 if [k["spki_sha256"] for k in d["keys"] if k["name"] == "fw"] == [open(sys.argv[2]).read().strip()] else 1)' \
    "$T/out" "$T/fw.spki" && ok "... fw's spki_sha256 is the SHA-256 openssl takes of its public key" ||
    fail "spki: $(cat "$T/fw.spki")"

# TEST-KEY-467: cert list --json against the certificates and revocations
# tables and against openssl's reading of each certificate file.
run -C "$S" cert list --json
cp "$T/out" "$T/certs.json"
python3 - "$T/certs.json" "$DB" "$T" > "$T/diff" 2>&1 <<'EOF' && [ ! -s "$T/diff" ] &&
import datetime, hashlib, json, sqlite3, subprocess, sys
d = json.load(open(sys.argv[1])); c = sqlite3.connect(sys.argv[2]); top = sys.argv[3]
iso = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
reasons = {1: "keyCompromise", 6: "certificateHold"}
rev = {(bytes(k), s): (r, t, l) for k, s, r, t, l in c.execute(
    "SELECT issuer_key_id, lower(hex(serial)), reason, revoked_at, lifted_at FROM revocations")}
bad = []
rows = c.execute("SELECT c.serial, k.name, c.kind, c.profile, c.subject, c.not_before, c.not_after, "
                 "c.spki_sha256, c.sha256, c.issuer_key_id, c.der FROM certificates c "
                 "JOIN keys k ON k.id = c.issuer_key_id ORDER BY c.id").fetchall()
if d["format"] != "keyrite-cert-list" or len(d["certificates"]) != len(rows):
    bad.append("format or count")
for x, r in zip(d["certificates"], rows):
    want = {"serial": r[0], "issuer_key": r[1], "kind": r[2], "profile": r[3], "subject": r[4],
            "not_before": iso(r[5]), "not_after": iso(r[6]), "spki_sha256": r[7], "sha256": r[8]}
    v = rev.get((bytes(r[9]), r[0]))
    if v is None or v[2]:
        want["revocation"] = "none"
    else:
        want["revocation"] = "on hold" if v[0] == 6 else "revoked"
        want["reason"] = reasons[v[0]]
        want["since"] = iso(v[1])
    if x != want:
        bad.append("%s != %s" % (x, want))
    if hashlib.sha256(bytes(r[10])).hexdigest() != x["sha256"]:
        bad.append("sha256 of the DER")
for f in ("root", "sub1", "sub2", "fw"):
    o = subprocess.run(["openssl", "x509", "-in", "%s/%s.pem" % (top, f), "-noout", "-serial", "-enddate",
                        "-fingerprint", "-sha256"], capture_output=True, text=True).stdout
    ser = o.split("serial=")[1].split()[0].lower()
    fp = o.split("Fingerprint=")[1].split()[0].replace(":", "").lower()
    end = datetime.datetime.strptime(o.split("notAfter=")[1].strip().split("\n")[0], "%b %d %H:%M:%S %Y GMT")
    m = [x for x in d["certificates"] if x["serial"] == ser]
    if len(m) != 1 or m[0]["sha256"] != fp or m[0]["not_after"] != end.strftime("%Y-%m-%dT%H:%M:%SZ"):
        bad.append("openssl %s: %s" % (f, o))
if bad:
    print("\n".join(bad))
EOF
    ok "cert list --json is the records (sqlite3) and the files (openssl serial, notAfter, SHA-256)" ||
    fail "cert list --json: $(cat "$T/diff")"
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); s = {x["serial"]: x for x in d["certificates"]}; a = s[sys.argv[2].lower()]; b = s[sys.argv[3].lower()]; sys.exit(0 if a["revocation"] == "revoked" and a["reason"] == "keyCompromise" and b["revocation"] == "revoked" else 1)' \
    "$T/certs.json" "$(cert_serial "$T/sub1.pem")" "$(cert_serial "$T/sub2.pem")" &&
    ok "... both revoked intermediates say so, with the reason" || fail "revocation in cert list --json"

# TEST-KEY-468: audit show: whole hashes, ISO times, --json as recorded.
run -C "$S" audit show
sqlite3 "$DB" "SELECT lower(hex(hash)) FROM audit ORDER BY seq" > "$T/hashes"
n=$(wc -l < "$T/hashes")
[ "$(grep -c '^        hash [0-9a-f]\{64\}$' "$T/out")" -eq "$n" ] &&
    [ "$(sed -n 's/^        hash //p' "$T/out")" = "$(cat "$T/hashes")" ] &&
    ok "audit show prints each row's whole hash, as sqlite3 reads it ($n rows)" ||
    fail "audit show hashes: $(grep hash "$T/out" | head -n 3)"
grep -q '"invalidity_date":"2026-01-02T03:04:05Z"' "$T/out" &&
    ! grep -q '"invalidity_date":[0-9]' "$T/out" &&
    ok "... and the invalidity date in ISO 8601" || fail "invalidity date: $(grep revoke -A1 "$T/out")"
sqlite3 "$DB" "SELECT payload FROM audit" | grep -q '"invalidity_date":1767323045' &&
    ok "... while the row holds it as recorded (1767323045)" || fail "the recorded payload changed"
grep -E '^ *[0-9]+  [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z  ' "$T/out" | wc -l |
    grep -qx "$n" && ok "... every row's time in ISO 8601" || fail "row times"
# A revocation given no invalidity date records none: no member in its
# row (rows recorded 0 before; kr_audit_payload_text shows 0 as "none",
# unit-authority), and `audit show` prints no date, not 1970.
run -C "$S" revoke --issuer-key root --serial "$(cert_serial "$T/fw.pem")" \
    --reason superseded
[ "$rc" -eq 0 ] || fail "revoke fw: $(cat "$T/err")"
run -C "$S" audit show
last=$(sqlite3 "$DB" "SELECT payload FROM audit WHERE event = 'revoke'
    ORDER BY seq DESC LIMIT 1")
printf '%s\n' "$last" | grep -q '"reason":"superseded"' &&
    ! printf '%s\n' "$last" | grep -q invalidity_date &&
    [ "$(grep -c '"invalidity_date"' "$T/out")" -eq 1 ] &&
    ! grep -q '1970-01-01' "$T/out" &&
    ok "... and a revocation given no invalidity date records none (its row: $last) and shows none" ||
    fail "no invalidity date: $last; $(grep -n 'invalidity' "$T/out")"
run -C "$S" audit show --json
python3 - "$T/out" "$DB" > "$T/diff" 2>&1 <<'EOF' && [ ! -s "$T/diff" ] &&
import datetime, json, sqlite3, sys
d = json.load(open(sys.argv[1]))
iso = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
want = [{"seq": s, "time": iso(t), "actor": a, "event": e, "payload": json.loads(p),
         "prev_hash": bytes(ph).hex(), "hash": bytes(h).hex()}
        for s, t, a, e, p, ph, h in sqlite3.connect(sys.argv[2]).execute(
            "SELECT seq, time, actor, event, payload, prev_hash, hash FROM audit ORDER BY seq")]
if d["format"] != "keyrite-audit-show" or d["rows"] != want:
    print(d["rows"][:2], want[:2])
for a, b in zip(d["rows"], d["rows"][1:]):
    if b["prev_hash"] != a["hash"]:
        print("link", b["seq"])
EOF
    ok "audit show --json is the audit table (sqlite3), payloads as recorded, linked" ||
    fail "audit show --json: $(cat "$T/diff")"
run -C "$S" audit show --json --since 3
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d["rows"][0]["seq"] == 3 else 1)' "$T/out" &&
    ok "audit show --json --since 3 starts at row 3" || fail "--since with --json"

# TEST-KEY-469: cert show names the usages and omits a pathLen it has not.
# openssl's names for the bits keyrite names.
ossl_names() {
	openssl x509 -in "$1" -noout -ext keyUsage,extendedKeyUsage,basicConstraints 2>/dev/null |
	    sed -n 's/^ *//p' | grep -v ':$' | tr '\n' ';'
}
for f in root sub1 fw; do
	run -C "$S" cert show "$(cert_serial "$T/$f.pem")"
	want=$(ossl_names "$T/$f.pem" | sed 's/Digital Signature/digitalSignature/; s/Certificate Sign/keyCertSign/; s/CRL Sign/cRLSign/; s/Code Signing/codeSigning/; s/E-mail Protection/emailProtection/; s/OCSP Signing/OCSPSigning/; s/Time Stamping/timeStamping/; s/TLS Web Server Authentication/serverAuth/; s/TLS Web Client Authentication/clientAuth/; s/Key Encipherment/keyEncipherment/; s/Key Agreement/keyAgreement/')
	ku=$(sed -n 's/^key usage:   \(.*\) (critical)$/\1/p' "$T/out")
	eku=$(sed -n 's/^ext. usage:  //p' "$T/out" | paste -sd, | sed 's/,/, /g')
	bc=$(sed -n 's/^basic constraints: //p' "$T/out")
	case "$want" in
	*"$ku;"*) kuok=1 ;; *) kuok=0 ;;
	esac
	[ -n "$ku" ] || kuok=0		# "" is in every string: a usage is shown
	[ -z "$eku" ] || case "$want" in *"$eku;"*) ;; *) kuok=0 ;; esac
	case "$want" in
	*"pathlen:"*) echo "$bc" | grep -q "pathLen $(echo "$want" | sed 's/.*pathlen:\([0-9]*\).*/\1/')$" || kuok=0 ;;
	*) echo "$bc" | grep -q "pathLen" && kuok=0 ;;
	esac
	grep -q "0x00" "$T/out" && kuok=0
	[ "$kuok" -eq 1 ] && ok "cert show $f: '$ku'${eku:+, '$eku'}, '$bc' as openssl reads it ($want)" ||
	    fail "cert show $f: $(grep -i "usage\|constraints" "$T/out"); openssl: $want"
done
finish
