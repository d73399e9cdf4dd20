#!/bin/sh
# TEST-KEY-460..465: `status` says what is due, from the records the audit
# chain proved: certificates expiring within 90 days (not revoked; a hold
# said), CRLs due within the CRL policy's margin (publish_margin_days, 7),
# keys whose certificate is revoked or on hold, keys with no certificate,
# and pending reshares.  `status --json` is parsed by python3's json
# module and compared with what sqlite3 and openssl read from the
# database and the files; faketime moves the clock through the list.
# TEST-KEY-411: a renewed certificate leaves the list (its renewal is in it).
# TEST-KEY-412: a CA whose own certificate and issued certificates have all
# expired has no CRL due.
# TEST-KEY-480..485: short-lived device certificates counted per issuing
# key and profile (counts against sqlite3 and openssl, the command shown
# renews them), delta CRLs due and overdue, the provisioning-record rule
# (485, the console's home, is in test/tui/console_screens.sh).
. "$(dirname "$0")/lib.sh"
set -e

needs_faketime
command -v faketime >/dev/null ||
    { fail "faketime is not installed (./run test installs it)"; finish; }

S="$T/state"
make_state "$S"
for k in root:ca sub:ca fw:firmware fw2:firmware lonely:firmware; do
	gen_ca "$S" "${k%%:*}" p256 "${k#*:}" || fail "key ${k%%:*}: $(cat "$T/gen.err")"
done
issue root cert root --key root --profile root --subject "CN=Due Root,C=DE" --out "$T/root.pem"
issue root cert issue --issuer-key root --subject-key sub --profile intermediate \
    --subject "CN=Due Sub,C=DE" --days 100 --out "$T/sub.pem"
issue sub cert issue --issuer-key sub --subject-key fw --profile firmware-signing \
    --subject "CN=FW 60,C=DE" --days 60 --out "$T/fw.pem"
issue sub cert issue --issuer-key sub --subject-key fw2 --profile firmware-signing \
    --subject "CN=FW2 80,C=DE" --days 80 --out "$T/fw2.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/l.key" -subj "/CN=ignored" -out "$T/l.csr" 2>/dev/null
issue sub cert issue --issuer-key sub --csr "$T/l.csr" --profile firmware-signing \
    --subject "CN=Leaf 70,C=DE" --days 70 --out "$T/gone.pem"
[ "$rc" -eq 0 ] || fail "set-up: $(cat "$T/err")"
run -C "$S" revoke --issuer-key sub --serial "$(cert_serial "$T/gone.pem")" --reason keyCompromise
run -C "$S" revoke --issuer-key sub --serial "$(cert_serial "$T/fw2.pem")" --reason certificateHold
issue root crl publish --issuer-key root --out "$T/root.crl"
[ "$rc" -eq 0 ] || fail "root CRL: $(cat "$T/err")"
# A reshare of lonely's key to a, b and d, not yet checked: pending.
{ pass_of a; pass_of b; pass_of a; pass_of b; pass_of d; } > "$T/rs.pw"
mkdir -p "$T/rs"
run -C "$S" quorum reshare --key lonely --threshold 2 --custodian a --custodian b \
    --custodian d --share-dir "$T/rs" --share "$T/sh-lonely/a/lonely.share" \
    --share "$T/sh-lonely/b/lonely.share" --passphrase-fd 3 3<"$T/rs.pw"
[ "$rc" -eq 0 ] || fail "reshare: $(cat "$T/err")"

DB="$S/keyrite.db"
# status_in WHEN: `status --json` (and the text) with the clock at `date
# -d WHEN` ("+20 hours"); status_at DAYS: with the clock DAYS ahead.
status_at() { status_in "+$1 days"; }
status_in() {
	when=$(date -u -d "$1" '+%Y-%m-%d %H:%M:%S')
	set +e
	faketime "$when" "$KEYRITE" -C "$S" status --json >"$T/s.json" 2>"$T/err"
	rc=$?
	faketime "$when" "$KEYRITE" -C "$S" status >"$T/s.txt" 2>>"$T/err"
	set -e
}

# check.py DAYS: the JSON against sqlite3's rows and openssl's reading of
# the files; prints what differs, nothing when all agrees.
cat > "$T/check.py" <<'EOF'
import datetime, hashlib, json, os, re, sqlite3, subprocess, sys
days = float(sys.argv[1]); db = sys.argv[2]; top = sys.argv[3]
d = json.load(open(top + "/s.json"))
due = d["due"]
iso = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
unix = lambda s: int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
now = unix(due["as_of"])
bad = []
if d["format"] != "keyrite-status" or d["version"] != 1:
    bad.append("format")
c = sqlite3.connect(db)
keyname = {bytes(r[0]): r[1] for r in c.execute("SELECT id, name FROM keys")}
# Certificates: not after within (now, now + 90 days], not revoked (a hold is).
revoked = {(bytes(r[0]), r[1]): r[2] for r in c.execute(
    "SELECT issuer_key_id, lower(hex(serial)), reason FROM revocations WHERE lifted_at IS NULL OR lifted_at = 0")}
renewed = {r[0] for r in c.execute("SELECT renews_id FROM renewals")}
provisioned = {r[0] for r in c.execute("SELECT cert_id FROM provisioning")}
# A short-lived profile: kind leaf, max_days at most 90 (the state
# folder's policy file, read here with a regular expression).
def short(profile):
    try:
        t = open(os.path.join(os.path.dirname(db), "policy", profile + ".yaml")).read()
    except OSError:
        return False
    k = re.search(r"^kind:\s*(\S+)", t, re.M); m = re.search(r"^max_days:\s*(\d+)", t, re.M)
    return bool(k and m and k.group(1) == "leaf" and int(m.group(1)) <= 90)
want = []; groups = {}
for cid, kid, serial, na, subj, prof, isca, skid in c.execute("SELECT id, issuer_key_id, serial, not_after, subject, profile, is_ca, subject_key_id FROM certificates ORDER BY not_after"):
    s = serial.lstrip("0")
    r = revoked.get((bytes(kid), s), revoked.get((bytes(kid), serial)))
    if not (now < na <= now + 90 * 86400 and r != 1 and cid not in renewed):
        continue
    # Summarised: a leaf whose key is not held here, not on hold, of a
    # short-lived profile or provisioned; the rest one by one.
    if not isca and skid is None and r is None and (short(prof) or cid in provisioned):
        g = groups.setdefault((keyname[bytes(kid)], prof), [0, 0, na, set()])
        g[0] += 1
        g[1] += na <= now + 7 * 86400
        if na < g[2]:
            g[2], g[3] = na, set()
        if na == g[2]:
            g[3].add(serial)
        continue
    want.append((serial, iso(na), keyname.get(bytes(kid), ""), r == 6))
got = [(x["serial"], x["not_after"], x["issuer_key"], x["on_hold"]) for x in due["certificates"]]
if got != want:
    bad.append("certificates %s != %s" % (got, want))
got = {(x["issuer_key"], x["profile"]): x for x in due["certificate_groups"]}
if set(got) != set(groups):
    bad.append("groups %s != %s" % (sorted(got), sorted(groups)))
for k, g in groups.items():
    x = got.get(k)
    if x is None:
        continue
    if (x["count"], x["soon"], x["soonest"]) != (g[0], g[1], iso(g[2])) or x["soonest_serial"] not in g[3]:
        bad.append("group %s: %s != %s" % (k, x, g))
    if x["command"] != "keyrite provision batch --issuer-key %s --profile %s --renew-within-days 7 --out-dir DIR --operator TEXT --share FILE..." % k:
        bad.append("group command " + x["command"])
if [x["soonest"] for x in due["certificate_groups"]] != sorted(x["soonest"] for x in due["certificate_groups"]):
    bad.append("groups not soonest first")
# notAfter as openssl reads it from the released files.
for x in due["certificates"]:
    for f in ("sub", "fw", "fw2", "gone", "root"):
        o = subprocess.run(["openssl", "x509", "-in", "%s/%s.pem" % (top, f), "-noout", "-serial", "-enddate"],
                           capture_output=True, text=True).stdout
        if "serial=" + x["serial"].upper() in o.upper():
            end = o.split("notAfter=")[1].strip()
            t = datetime.datetime.strptime(end, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=datetime.timezone.utc)
            if t.strftime("%Y-%m-%dT%H:%M:%SZ") != x["not_after"]:
                bad.append("openssl notAfter of %s: %s" % (f, end))
# CRLs: every certified CA key whose newest base CRL's nextUpdate is within 7 days, or none.
certified = {r[0] for r in c.execute("SELECT spki_sha256 FROM certificates")}
with_delta = re.search(r'^delta_distribution_point: "http', open(os.path.join(os.path.dirname(sys.argv[2]), "policy", "crl.yaml")).read(), re.M) is not None
unpublished = {}
want = []
for kid, name, spki in c.execute("SELECT id, name, spki FROM keys WHERE purpose = 'ca' AND state = 'active' ORDER BY name"):
    if hashlib.sha256(spki).hexdigest() not in certified:
        continue
    # Due only while its own certificate or one it issued has not expired.
    own = c.execute("SELECT count(*) FROM certificates WHERE spki_sha256 = ? AND not_after > ?", (hashlib.sha256(spki).hexdigest(), now)).fetchone()[0]
    issued = c.execute("SELECT count(*) FROM certificates WHERE issuer_key_id = ? AND not_after > ?", (kid, now)).fetchone()[0]
    if own == 0 and issued == 0:
        continue
    row = c.execute("SELECT number, next_update FROM crls WHERE issuer_key_id = ? AND is_delta = 0 ORDER BY number DESC LIMIT 1", (kid,)).fetchone()
    # Revocations (and lifted holds) on no CRL yet, for a CA whose newest
    # CRL is a base (a CA with a delta location says them with its delta):
    # rows after the base not lifted, and holds lifted since it, whose
    # certificate has not expired.
    # A hold lifted since the base is waiting while the base (as openssl
    # reads its recorded copy) still lists it.
    base = c.execute("SELECT max_revocation_id, this_update, location FROM crls WHERE issuer_key_id = ? AND is_delta = 0 ORDER BY number DESC LIMIT 1", (kid,)).fetchone()
    unpub = 0
    if base is not None and not with_delta:
        unpub = c.execute(
            "SELECT count(*) FROM revocations WHERE issuer_key_id = ? AND expires >= ? AND id > ? AND lifted_at IS NULL",
            (kid, now, base[0])).fetchone()[0]
        lifted = [r[0] for r in c.execute(
            "SELECT upper(hex(serial)) FROM revocations WHERE issuer_key_id = ? AND expires >= ? AND id <= ? AND lifted_at IS NOT NULL AND lifted_at >= ?",
            (kid, now, base[0], base[1]))]
        if lifted:
            text = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", os.path.join(os.path.dirname(sys.argv[2]), base[2]), "-noout", "-text"],
                                  capture_output=True, text=True).stdout.upper()
            unpub += sum(1 for h in lifted if ("SERIAL NUMBER: " + h.lstrip("0")) in text or ("SERIAL NUMBER: " + h) in text)
    unpublished[name] = unpub
    if row is None:
        want.append((name, False, None, None))
    elif row[1] - 7 * 86400 <= now or unpub > 0:
        want.append((name, True, row[0], iso(row[1])))
got = sorted((x["issuer_key"], x["published"], x.get("number"), x.get("next_update")) for x in due["crls"])
if got != sorted(want):
    bad.append("crls %s != %s" % (got, want))
for x in due["crls"]:
    if x["unpublished_revocations"] != unpublished.get(x["issuer_key"], 0):
        bad.append("unpublished %s != %s" % (x, unpublished))
    if x["published"] and x["unpublished_revocations"] > 0:
        if unix(x["publish_by"]) > now:
            bad.append("publish_by (unpublished) " + x["publish_by"])
    elif x["published"] and x["publish_by"] != iso(unix(x["next_update"]) - 7 * 86400):
        bad.append("publish_by " + x["publish_by"])
    if x["overdue"] != (not x["published"] or unix(x["next_update"]) <= now):
        bad.append("overdue")
# Keys with no certificate for their public key.
want = sorted(r[0] for r in c.execute("SELECT name, spki FROM keys WHERE state = 'active'")
              if hashlib.sha256(r[1]).hexdigest() not in certified)
got = sorted(x["key"] for x in due["uncertified_keys"])
if got != want:
    bad.append("uncertified %s != %s" % (got, want))
# Keys whose own certificate is revoked or on hold.
want = []
for kid, name, spki in c.execute("SELECT id, name, spki FROM keys WHERE state = 'active'"):
    for ik, serial in c.execute("SELECT issuer_key_id, serial FROM certificates WHERE spki_sha256 = ?", (hashlib.sha256(spki).hexdigest(),)):
        r = revoked.get((bytes(ik), serial.lstrip("0")), revoked.get((bytes(ik), serial)))
        if r is not None:
            want.append((name, serial, "on hold" if r == 6 else "revoked"))
got = sorted((x["key"], x["serial"], x["state"]) for x in due["revoked_keys"])
if got != sorted(want):
    bad.append("revoked %s != %s" % (got, want))
# Pending reshares.
want = sorted((r[0], r[1], r[2], r[3]) for r in c.execute(
    "SELECT k.name, s.epoch, s.m, s.n FROM share_sets s JOIN keys k ON k.id = s.key_id WHERE s.state = 'pending'"))
got = sorted((x["key"], x["epoch"], x["m"], x["n"]) for x in due["pending_reshares"])
if got != want or any(x["checked"] != 0 for x in due["pending_reshares"]):
    bad.append("reshares %s != %s" % (got, want))
if abs(now - (int(datetime.datetime.now(datetime.timezone.utc).timestamp()) + days * 86400)) > 600:
    bad.append("as_of %s is not the clock" % due["as_of"])
if bad:
    print("\n".join(bad))
EOF

# check DAYS WHAT: the JSON agrees with sqlite3 and openssl.
check() {
	python3 "$T/check.py" "$1" "$DB" "$T" > "$T/diff" 2>&1 || true
	[ "$rc" -eq 0 ] && [ ! -s "$T/diff" ] && ok "$2" ||
	    fail "$2: exit $rc $(cat "$T/diff" "$T/err")"
}
# in_json DAYS PYTHON-EXPRESSION WHAT: the expression over d["due"] is true.
in_json() {
	python3 -c 'import json,sys; due = json.load(open(sys.argv[1]))["due"]; sys.exit(0 if eval(sys.argv[2]) else 1)' \
	    "$T/s.json" "$1" && ok "$2" || fail "$2: $(cat "$T/s.json")"
}
FW=$(cert_serial "$T/fw.pem" | tr 'A-F' 'a-f')
FW2=$(cert_serial "$T/fw2.pem" | tr 'A-F' 'a-f')
SUB=$(cert_serial "$T/sub.pem" | tr 'A-F' 'a-f')

# TEST-KEY-460: today.
status_at 0
check 0 "status --json today agrees with sqlite3 and openssl"
in_json "[c['serial'] for c in due['certificates']] == ['$FW', '$FW2']" \
    "expiring within 90 days: the 60- and 80-day certificates, soonest first; the revoked one and the 100-day CA not"
in_json "[c['on_hold'] for c in due['certificates']] == [False, True]" "... the held one says so"
in_json "[(c['issuer_key'], c['published']) for c in due['crls']] == [('sub', False)]" \
    "CRLs: the issuing CA never published is due; the root's fresh CRL is not"
in_json "[k['key'] for k in due['uncertified_keys']] == ['lonely']" "the key with no certificate"
in_json "[(k['key'], k['state']) for k in due['revoked_keys']] == [('fw2', 'on hold')]" \
    "the key whose certificate is on hold"
in_json "[(r['key'], r['epoch'], r['m'], r['n'], r['checked']) for r in due['pending_reshares']] == [('lonely', 2, 2, 3, 0)]" \
    "the pending reshare: epoch 2, 2 of 3, none checked"
grep -q "^expiring:        firmware-signing\|^expiring:        leaf" "$T/s.txt" &&
    grep -q "$FW2.*on hold" "$T/s.txt" &&
    grep -q "^CRLs due:        'sub': no CRL published yet" "$T/s.txt" &&
    grep -q "keyrite crl publish --issuer-key sub" "$T/s.txt" &&
    grep -q "^uncertified:     lonely (p256, purpose firmware, sealed): no certificate" "$T/s.txt" &&
    grep -q "^revoked keys:    fw2: certificate $FW2 on hold since" "$T/s.txt" &&
    grep -q "^reshares:        lonely: epoch 2 (2 of 3) is pending: 0 of its holders checked" "$T/s.txt" &&
    ok "the text says the same, with the command to run" || fail "status text: $(cat "$T/s.txt")"

# TEST-KEY-461: 24 days on, the root's CRL (nextUpdate in 30 days) is
# within the 7-day margin, and the 100-day CA certificate within 90 days.
status_at 24
check 24 "status --json in 24 days agrees with sqlite3 and openssl"
in_json "[(c['issuer_key'], c['published'], c.get('number'), c['overdue']) for c in due['crls']] == [('root', True, 1, False), ('sub', False, None, True)]" \
    "the root's CRL 1 is due within the margin, not yet overdue"
NEXT=$(openssl crl -inform DER -in "$T/root.crl" -noout -nextupdate | cut -d= -f2)
NEXT=$(date -u -d "$NEXT" '+%Y-%m-%dT%H:%M:%SZ')
in_json "due['crls'][0]['next_update'] == '$NEXT'" "... its nextUpdate is the one openssl reads from the CRL ($NEXT)"
in_json "'$SUB' in [c['serial'] for c in due['certificates']]" "the 100-day CA certificate now expires within 90 days"
grep -q "^CRLs due:        'root': CRL 1's nextUpdate is $NEXT (in [56] days), publish by" "$T/s.txt" &&
    ok "the text names CRL 1, its nextUpdate and the publish-by date" || fail "text: $(cat "$T/s.txt")"

# TEST-KEY-462: 31 days on, the root's CRL is overdue.
status_at 31
check 31 "status --json in 31 days agrees"
in_json "due['crls'][0]['issuer_key'] == 'root' and due['crls'][0]['overdue']" "the root's CRL is overdue"
grep -q "'root': CRL 1's nextUpdate is $NEXT (1 day ago), OVERDUE" "$T/s.txt" &&
    ok "the text says OVERDUE" || fail "text: $(cat "$T/s.txt")"

# TEST-KEY-463: 61 days on, the 60-day certificate has expired: no longer due.
status_at 61
check 61 "status --json in 61 days agrees"
in_json "'$FW' not in [c['serial'] for c in due['certificates']] and '$FW2' in [c['serial'] for c in due['certificates']]" \
    "an expired certificate is no longer listed; the 80-day one still is"

# TEST-KEY-464: a hold lifted and a reshare checked leave the lists; a
# fresh CRL for the issuing CA takes it off the CRL list.
run -C "$S" revoke --issuer-key sub --serial "$(cert_serial "$T/fw2.pem")" --lift-hold
[ "$rc" -eq 0 ] || fail "lift: $(cat "$T/err")"
for c in a b; do
	printf '%s\n' "$(pass_of "$c")" > "$T/one.pw"
	run -C "$S" quorum verify --key lonely --share "$T/rs/$c/lonely.share" --passphrase-fd 3 3<"$T/one.pw"
done
issue sub crl publish --issuer-key sub --out "$T/sub.crl"
status_at 0
check 0 "status --json after the changes agrees"
in_json "due['revoked_keys'] == [] and due['pending_reshares'] == [] and due['crls'] == []" \
    "lifted hold, checked reshare and published CRLs are no longer due"
in_json "[c['on_hold'] for c in due['certificates']] == [False, False]" "... and the certificate is no longer on hold"

# TEST-KEY-465: a record changed behind keyrite's back: status still
# answers, says the list is not fact, and exits 1.
cp "$DB" "$T/db.saved"
sqlite3 "$DB" "UPDATE certificates SET not_after = not_after + 86400 * 400 WHERE serial = '$FW'"
status_at 0
[ "$rc" -eq 1 ] && python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d["due"]["damaged"] and not d["audit"]["records_match"] and "head" not in d["audit"] else 1)' "$T/s.json" &&
    grep -q "not fact" "$T/s.txt" &&
    ok "a damaged state: exit 1, damaged: true, the text says not fact" ||
    fail "damaged: exit $rc $(cat "$T/s.json")"
cp "$T/db.saved" "$DB"
rm -f "$DB-wal" "$DB-shm"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit chain intact" || fail "audit verify: $(cat "$T/out")"

# TEST-KEY-411: a renewed certificate is no longer due, its renewal is.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/d.key" -subj "/CN=device 9/serialNumber=dev-9" -out "$T/d.csr" 2>/dev/null
issue sub cert issue --issuer-key sub --csr "$T/d.csr" --profile device --days 40 \
    --out "$T/dev.pem"
[ "$rc" -eq 0 ] || fail "device: $(cat "$T/err")"
DEV=$(cert_serial "$T/dev.pem" | tr 'A-F' 'a-f')
status_at 0
in_json "[(g['issuer_key'], g['profile'], g['count'], g['soonest_serial']) for g in due['certificate_groups']] == [('sub', 'device', 1, '$DEV')]" \
    "a 40-day device certificate is due, counted with sub's device certificates"
issue sub cert renew "$DEV" --out "$T/dev2.pem" --yes
[ "$rc" -eq 0 ] || fail "renew: $(cat "$T/err")"
DEV2=$(cert_serial "$T/dev2.pem" | tr 'A-F' 'a-f')
status_at 0
check 0 "status --json after a renewal agrees (renewals read with sqlite3)"
in_json "[(g['count'], g['soonest_serial']) for g in due['certificate_groups']] == [(1, '$DEV2')] and '$DEV' not in [c['serial'] for c in due['certificates']]" \
    "once renewed it is no longer counted; its renewal is"
! grep -q "$DEV[ ,]" "$T/s.txt" && ok "... nor named in the text" || fail "text: $(cat "$T/s.txt")"

# TEST-KEY-412: 120 days on, the issuing CA's certificate (100 days) and
# every certificate it issued have expired: its CRLs are no longer due,
# while the root's (its certificate valid for years) is overdue.
status_at 120
check 120 "status --json in 120 days agrees"
in_json "[(c['issuer_key'], c['overdue']) for c in due['crls']] == [('root', True)]" \
    "a CA whose certificates have all expired has no CRL due; the root's is overdue"
! grep -q "'sub'" "$T/s.txt" && ok "... and the text does not name it" || fail "text: $(cat "$T/s.txt")"
# csrs DIR PREFIX N: N P-256 device keys (in $T/keys) and their CSRs in
# DIR, made by openssl, named by serialNumber PREFIX1..PREFIXN.
csrs() {
	mkdir -p "$1" "$T/keys"
	for i in $(seq 1 "$3"); do
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$T/keys/$2$i.key" \
		    -subj "/CN=sensor/serialNumber=$2$i" -out "$1/$2$i.csr" 2>/dev/null
	done
}
der_serial() {
	openssl x509 -inform DER -in "$1" -noout -serial | cut -d= -f2 |
	    tr 'A-F' 'a-f'
}
# ends FILE...: "serial notAfter" of each certificate (DER or PEM) as
# openssl reads it, one a line, in $T/ends.
ends() {
	for f in "$@"; do
		form=DER
		grep -q "BEGIN CERT" "$f" && form=PEM
		openssl x509 -inform "$form" -in "$f" -noout -serial -enddate |
		    tr '\n' ' '
		echo
	done | sed 's/serial=\([0-9A-F]*\) notAfter=/\1 /' > "$T/ends"
}

# TEST-KEY-480: short-lived device certificates are one line per issuing
# key and profile.  Two `provision batch` runs under sub (10 devices for
# 80 days, 3 for 28) and the renewed 30-day device certificate of
# TEST-KEY-411, one of the 80-day ones on hold; a leaf from a CSR under
# the long-lived firmware-signing profile.  24 days on: one group line
# for sub's device certificates (13, 4 of them within 7 days); the held
# one, the long-lived leaf, the firmware keys' and the CA's certificates
# listed one by one.
csrs "$T/csr-a" A 10
csrs "$T/csr-b" B 3
mkdir -p "$T/devs-a" "$T/devs-b" "$T/renewed"
issue sub provision batch --issuer-key sub --operator "Ana Ops" \
    --csr-dir "$T/csr-a" --out-dir "$T/devs-a" --days 80 --yes
[ "$rc" -eq 0 ] || fail "batch A: $(cat "$T/err")"
issue sub provision batch --issuer-key sub --operator "Ana Ops" \
    --csr-dir "$T/csr-b" --out-dir "$T/devs-b" --days 28 --yes
[ "$rc" -eq 0 ] || fail "batch B: $(cat "$T/err")"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/long.key" -subj "/CN=ignored" -out "$T/long.csr" 2>/dev/null
issue sub cert issue --issuer-key sub --csr "$T/long.csr" \
    --profile firmware-signing --subject "CN=Long leaf,C=DE" --days 70 \
    --out "$T/long.pem"
[ "$rc" -eq 0 ] || fail "long-lived leaf: $(cat "$T/err")"
LONG=$(cert_serial "$T/long.pem" | tr 'A-F' 'a-f')
HELD=$(der_serial "$T/devs-a/A1.crt")
run -C "$S" revoke --issuer-key sub --serial "$HELD" --reason certificateHold
[ "$rc" -eq 0 ] || fail "hold: $(cat "$T/err")"
status_at 24
check 24 "TEST-KEY-480: status --json 24 days on agrees with sqlite3 (groups by profile max_days and provisioning rows)"
in_json "[(g['issuer_key'], g['profile'], g['count'], g['soon']) for g in due['certificate_groups']] == [('sub', 'device', 13, 4)]" \
    "TEST-KEY-480: one group: sub's 13 device certificates, 4 of them within 7 days"
in_json "sorted(c['serial'] for c in due['certificates']) == sorted(['$FW', '$FW2', '$LONG', '$HELD', '$SUB'])" \
    "TEST-KEY-480: the firmware keys' certificates, the long-lived leaf, the held device certificate and the CA listed one by one"
in_json "[c['on_hold'] for c in due['certificates'] if c['serial'] == '$HELD'] == [True]" \
    "TEST-KEY-480: ... the held one says so (a renewal batch leaves it out)"
ends "$T"/devs-a/A*.crt "$T"/devs-b/B*.crt "$T/dev2.pem"
named=0
for x in $(cut -d' ' -f1 "$T/ends" | tr 'A-F' 'a-f' | grep -v "^$HELD\$"); do
	grep -q "$x" "$T/s.txt" && named=$((named + 1))
done
[ "$(grep -c "profile device:" "$T/s.txt")" -eq 1 ] &&
    grep -q "^short-lived:     'sub', profile device: 13 certificates expire within 90 days, 4 of them within 7 days; the soonest, [0-9a-f]*, expires .* (in [34] days)\$" "$T/s.txt" &&
    grep -A1 "^short-lived:" "$T/s.txt" | grep -q '^                   `keyrite provision batch --issuer-key sub --profile device --renew-within-days 7 --out-dir DIR --operator TEXT --share FILE...`$' &&
    [ "$named" -eq 1 ] &&
    grep -q "leaf $LONG (CN=Long leaf,C=DE, firmware-signing), issued by 'sub'" "$T/s.txt" &&
    grep -q "intermediate $SUB " "$T/s.txt" && grep -q "$HELD .*on hold" "$T/s.txt" &&
    ok "TEST-KEY-480: the text: one line and its command for the 13, only the soonest named; the others one by one" ||
    fail "TEST-KEY-480: text (device serials named: $named): $(cat "$T/s.txt")"

# TEST-KEY-481: the group's counts and soonest notAfter in `status
# --json` equal what openssl reads from the certificate files.
python3 - "$T/s.json" "$T/ends" "$HELD" > "$T/diff" 2>&1 <<'EOF' || true
import datetime, json, sys
due = json.load(open(sys.argv[1]))["due"]
iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
now = datetime.datetime.strptime(due["as_of"], "%Y-%m-%dT%H:%M:%SZ")
ends = {}
for line in open(sys.argv[2]):
    serial, end = line.split(" ", 1)
    if serial.lower() != sys.argv[3]:
        ends[serial.lower()] = datetime.datetime.strptime(end.strip(), "%b %d %H:%M:%S %Y GMT")
window = [s for s, t in ends.items() if now < t <= now + datetime.timedelta(days=90)]
soon = [s for s in window if ends[s] <= now + datetime.timedelta(days=7)]
first = min(ends[s] for s in window)
g = due["certificate_groups"][0]
want = (len(window), len(soon), iso(first))
if (g["count"], g["soon"], g["soonest"]) != want or ends.get(g["soonest_serial"]) != first or len(window) != 13:
    print("group %s, openssl %s" % (g, want))
EOF
[ ! -s "$T/diff" ] &&
    ok "TEST-KEY-481: count, within-7-days count and soonest notAfter (and its serial) are what openssl reads from the 13 files" ||
    fail "TEST-KEY-481: $(cat "$T/diff")"

# TEST-KEY-483: the group's command from the JSON, its placeholders
# filled, renews the 4 due within 7 days (faketime, 24 days on, the date
# confirmed; openssl verifies them); then none of the 13 is within 7
# days.  (The last writes to this folder: its clock is 24 days on now.)
cmdline=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["due"]["certificate_groups"][0]["command"])' "$T/s.json")
args=$(echo "$cmdline" | sed -e 's/^keyrite //' \
    -e "s#--out-dir DIR#--out-dir $T/renewed#" \
    -e 's/--operator TEXT/--operator Ana/' -e 's/ --share FILE\.\.\.$//')
when=$(date -u -d "+24 days" '+%Y-%m-%d %H:%M:%S')
set +e
# shellcheck disable=SC2046,SC2086
faketime "$when" "$KEYRITE" -C "$S" $args $(quorum sub) --yes \
    --confirm-date "${when%% *}" 3<"$T/ab.pw" >"$T/out" 2>"$T/ren.err"
prc=$?
set -e
good=0
for f in "$T"/renewed/*.crt; do
	[ "${f##*/}" != bootstrap-ca.crt ] || continue
	openssl x509 -inform DER -in "$f" -out "$f.pem"
	openssl verify -CAfile "$T/root.pem" -untrusted "$T/sub.pem" -attime \
	    "$(date -u -d "+24 days" +%s)" "$f.pem" >/dev/null 2>&1 &&
	    good=$((good + 1))
done
status_at 24
[ "$prc" -eq 0 ] && [ "$good" -eq 4 ] &&
    in_json "[(g['count'], g['soon']) for g in due['certificate_groups']] == [(13, 0)]" \
    "TEST-KEY-483: the command shown renews the 4 (openssl verifies them); then 13, none within 7 days" ||
    fail "TEST-KEY-483: exit $prc, $good verified: $(cat "$T/ren.err" "$T/out")"
check 24 "TEST-KEY-483: status --json after the renewal batch agrees with sqlite3"

# A second folder whose crl.yaml gives every CA a delta location, and a
# leaf profile device-long (max_days 400) beside the shipped ones.
mkdir -p "$T/pol"
sed 's#^delta_distribution_point: ""$#delta_distribution_point: "http://pki.example.com/{issuer}-delta.crl"#' \
    "$S/policy/crl.yaml" > "$T/pol/crl.yaml"
sed -e 's/^name: device$/name: device-long/' -e 's/^max_days: 90$/max_days: 400/' \
    "$S/policy/device.yaml" > "$T/pol/device-long.yaml"
grep -q '^delta_distribution_point: "http' "$T/pol/crl.yaml" &&
    grep -q '^max_days: 400$' "$T/pol/device-long.yaml" || fail "policy set-up"
S="$T/state2"
DB="$S/keyrite.db"
"$KEYRITE" -C "$S" init --kdf-profile test --policy-dir "$T/pol" >/dev/null ||
    fail "init --policy-dir"
gen_ca "$S" top p256 ca && gen_ca "$S" ica p256 ca || fail "keys: $(cat "$T/gen.err")"
issue top cert root --key top --profile root --subject "CN=Delta Root,C=DE" \
    --out "$T/top.pem"
issue top cert issue --issuer-key top --subject-key ica --profile intermediate \
    --subject "CN=Delta ICA,C=DE" --days 400 --out "$T/ica.pem"
issue ica crl publish --issuer-key ica --out "$T/ica-1.crl"
issue ica crl publish --issuer-key ica --delta --out "$T/ica-2.crl"
[ "$rc" -eq 0 ] || fail "set-up: $(cat "$T/err")"
# crl_time CRL -lastupdate|-nextupdate: as openssl reads it, ISO 8601.
crl_time() {
	date -u -d "$(openssl crl -inform DER -in "$1" -noout "$2" | cut -d= -f2)" \
	    '+%Y-%m-%dT%H:%M:%SZ'
}
DNEXT=$(crl_time "$T/ica-2.crl" -nextupdate)
DTHIS=$(crl_time "$T/ica-2.crl" -lastupdate)
# The delta's margin: 7/30 of its life (publish_margin_days of
# next_update_days), a 1-day delta's 5 h 36 min.
DBY=$(date -u -d "@$(( $(date -u -d "$DNEXT" +%s) - ($(date -u -d "$DNEXT" +%s) - $(date -u -d "$DTHIS" +%s)) * 7 / 30 ))" '+%Y-%m-%dT%H:%M:%SZ')

# TEST-KEY-482: the issuing CA's delta CRL 2 (of base 1), nextUpdate a
# day after it was made: not due now; due 20 hours on (past publish-by,
# before nextUpdate); OVERDUE 25 hours on.  The root, which has a delta
# location but no base CRL yet, has its base due and no delta.
status_at 0
check 0 "TEST-KEY-482: status --json with a delta location agrees with sqlite3"
in_json "due['delta_crls'] == [] and [c['issuer_key'] for c in due['crls']] == ['top']" \
    "TEST-KEY-482: a fresh delta is not due; the root without a base CRL has only its base due"
grep -q "^delta CRLs due:  none" "$T/s.txt" && ok "TEST-KEY-482: ... the text says none" ||
    fail "TEST-KEY-482: text: $(cat "$T/s.txt")"
status_in "+20 hours"
check 0.8333 "TEST-KEY-482: status --json 20 hours on agrees"
in_json "[(c['issuer_key'], c['published'], c['number'], c['base_number'], c['next_update'], c['publish_by'], c['overdue'], c['location']) for c in due['delta_crls']] == [('ica', True, 2, 1, '$DNEXT', '$DBY', False, 'http://pki.example.com/ica-delta.crl')]" \
    "TEST-KEY-482: 20 hours on the delta is due: nextUpdate as openssl reads it ($DNEXT), publish by 7/30 of its day before, not overdue"
grep -q "^delta CRLs due:  'ica': delta CRL 2 (of base 1)'s nextUpdate is $DNEXT (in [34] hours), publish by $DBY\$" "$T/s.txt" &&
    grep -A1 "^delta CRLs due:" "$T/s.txt" | grep -q '`keyrite crl publish --issuer-key ica --delta --out FILE --share FILE...`' &&
    ok "TEST-KEY-482: the text names the delta, its nextUpdate, publish-by and the command" ||
    fail "TEST-KEY-482: text: $(cat "$T/s.txt")"
status_in "+25 hours"
in_json "[(c['issuer_key'], c['overdue']) for c in due['delta_crls']] == [('ica', True)]" \
    "TEST-KEY-482: 25 hours on the delta is overdue"
grep -q "^delta CRLs due:  'ica': delta CRL 2 (of base 1)'s nextUpdate is $DNEXT (1 hour ago), OVERDUE" "$T/s.txt" &&
    ok "TEST-KEY-482: ... the text says OVERDUE" || fail "TEST-KEY-482: text: $(cat "$T/s.txt")"
# A new base: the delta of the old one no longer serves; one of the new
# base is due at once.  Published, nothing is due.
issue ica crl publish --issuer-key ica --out "$T/ica-3.crl"
status_at 0
in_json "[(c['issuer_key'], c['published'], c['base_number'], c['overdue']) for c in due['delta_crls']] == [('ica', False, 3, True)]" \
    "TEST-KEY-482: after base CRL 3 a delta of it is due"
grep -q "^delta CRLs due:  'ica': no delta CRL since base CRL 3 (deltas go to http://pki.example.com/ica-delta.crl)" "$T/s.txt" &&
    ok "TEST-KEY-482: ... the text says so" || fail "TEST-KEY-482: text: $(cat "$T/s.txt")"
issue ica crl publish --issuer-key ica --delta --out "$T/ica-4.crl"
[ "$rc" -eq 0 ] || fail "delta 4: $(cat "$T/err")"
status_at 0
in_json "due['delta_crls'] == []" "TEST-KEY-482: once delta CRL 4 is published nothing is due"
[ "$(openssl crl -inform DER -in "$T/ica-4.crl" -noout -text | grep -A1 'Delta CRL Indicator' | tail -n 1 | tr -d ' ')" = 3 ] &&
    ok "TEST-KEY-482: openssl reads delta CRL 4 as a delta of base 3" ||
    fail "TEST-KEY-482: $(openssl crl -inform DER -in "$T/ica-4.crl" -noout -text)"

# TEST-KEY-484: under device-long (max_days 400, not short-lived) the
# two certificates `provision batch` made (provisioning records) are
# summarised; one made by `cert issue` (none) is listed one by one.
csrs "$T/csr-c" C 2
mkdir -p "$T/devs-c"
issue ica provision batch --issuer-key ica --profile device-long \
    --operator "Ana Ops" --csr-dir "$T/csr-c" --out-dir "$T/devs-c" --days 200 --yes
[ "$rc" -eq 0 ] || fail "batch C: $(cat "$T/err")"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/keys/c9.key" -subj "/CN=sensor/serialNumber=C9" -out "$T/c9.csr" 2>/dev/null
issue ica cert issue --issuer-key ica --csr "$T/c9.csr" --profile device-long \
    --days 200 --out "$T/c9.pem"
[ "$rc" -eq 0 ] || fail "C9: $(cat "$T/err")"
C9=$(cert_serial "$T/c9.pem" | tr 'A-F' 'a-f')
status_at 120
check 120 "TEST-KEY-484: status --json 120 days on agrees with sqlite3 (provisioning rows)"
in_json "[(g['issuer_key'], g['profile'], g['count']) for g in due['certificate_groups']] == [('ica', 'device-long', 2)] and [c['serial'] for c in due['certificates']] == ['$C9']" \
    "TEST-KEY-484: the 2 provisioned device-long certificates are one group; the one without a provisioning record is listed"

# TEST-KEY-526: a revocation recorded after the CA's newest CRL is on no
# published CRL (compared with the delta's entries as openssl reads
# them, not by time): its CRL is due now, whatever its nextUpdate (here
# the issuing CA's delta, it has a delta location), with the count, in
# the text, in --json (unpublished_revocations) and checked by sqlite3;
# once a delta lists it nothing is due.
run -C "$S" revoke --issuer-key ica --serial "$C9" --reason keyCompromise
[ "$rc" -eq 0 ] || fail "revoke C9: $(cat "$T/err")"
status_at 0
check 0 "TEST-KEY-526: status --json after a revocation agrees with sqlite3"
in_json "[(c['issuer_key'], c['unpublished_revocations']) for c in due['delta_crls']] == [('ica', 1)] and due['delta_crls'][0]['publish_by'] <= due['as_of']" \
    "TEST-KEY-526: the issuing CA's delta is due now with 1 revocation on no CRL"
grep -q "1 revocation recorded since, on no published CRL yet: publish now" "$T/s.txt" &&
    ok "TEST-KEY-526: ... the text says publish now" || fail "TEST-KEY-526: text: $(cat "$T/s.txt")"
issue ica crl publish --issuer-key ica --delta --out "$T/ica-5.crl"
[ "$rc" -eq 0 ] && openssl crl -inform DER -in "$T/ica-5.crl" -noout -text |
    grep -qi "$(echo "$C9" | tr 'a-f' 'A-F')" || fail "delta 5: exit $rc $(cat "$T/err")"
status_at 0
in_json "due['delta_crls'] == []" "TEST-KEY-526: once the delta lists it (openssl) nothing is due"

finish
