#!/bin/sh
# TEST-KEY-440..458: manufacturing provisioning and short-lived device
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
S="$T/state"
make_state "$S"
gen_ca "$S" root p256 ca && gen_ca "$S" issuing p256 ca || fail "keys"
issue root cert root --key root --profile root --subject "CN=Prov Root" \
    --out "$T/root.pem"
issue root cert issue --issuer-key root --subject-key issuing \
    --profile intermediate --subject "CN=Prov Issuing" --out "$T/int.pem"
[ "$rc" -eq 0 ] || fail "issuing CA: $(cat "$T/err")"

# csr DIR NAME SUBJECT: a P-256 key and its CSR, made by openssl.
csr() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/keys/$2.key" -subj "$3" -out "$1/$2.csr" 2>/dev/null
}
# cert_serial_der DER: a DER certificate's serial as openssl prints it.
cert_serial_der() {
	openssl x509 -inform DER -in "$1" -noout -serial | cut -d= -f2
}
lower() { echo "$1" | tr 'A-F' 'a-f'; }
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
recs = json.load(open(sys.argv[1]))
assert len(recs) == int(sys.argv[2]), len(recs)
assert recs[0]["device_id"] == "SN0001"
assert all(r["operator"] == "Ana Ops" and r["line"] == "L3" for r in recs)
assert len({r["serial"] for r in recs}) == len(recs)
' "$T/out" "$N" && run -C "$S" provision show SN0002 --json &&
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1]));
assert r[0]["device_id"] == "SN0002"' "$T/out"; then
	ok "TEST-KEY-443: provision list --json and show --json parse with python3"
else
	fail "TEST-KEY-443: --json output (exit $rc)"
fi

# --- TEST-KEY-444: a key from an earlier batch is refused, named ------------
mkdir -p "$T/csr2" "$T/devs2"
cp "$T/csr/d0007.csr" "$T/csr2/again.csr"
csr "$T/csr2" fresh "/serialNumber=NEW1"
before=$(state_snapshot "$S/keyrite.db" "$S")
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 1 "TEST-KEY-444: a device key certified in an earlier batch is refused" \
    "again.csr" "already certified" "$(lower "$(cert_serial_der \
    "$T/devs/SN0007.crt")")"
[ -z "$(ls "$T/devs2")" ] || fail "TEST-KEY-444: a file was left in the output folder"

# --- TEST-KEY-445: the same key twice in a batch is refused, named ----------
rm "$T/csr2/again.csr"
csr "$T/csr2" twin-a "/serialNumber=NEW2"
openssl req -new -key "$T/keys/twin-a.key" -subj "/serialNumber=NEW3" \
    -out "$T/csr2/twin-b.csr"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 1 "TEST-KEY-445: one key in two CSRs of a batch is refused" \
    "twin-a.csr and twin-b.csr" "same public key"
rm "$T/csr2/twin-b.csr"
csr "$T/csr2" twin-c "/serialNumber=NEW2"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 1 "TEST-KEY-445: one device id in two CSRs of a batch is refused" \
    "twin-a.csr and twin-c.csr" "same device NEW2"
rm "$T/csr2/twin-c.csr"

# --- TEST-KEY-446: bad CSRs refused before the quorum, named ----------------
csr "$T/csr2" noid "/CN=no-serial"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 2 "TEST-KEY-446: a CSR without serialNumber is refused" \
    "noid.csr" "no serialNumber"
rm "$T/csr2/noid.csr"
csr "$T/csr2" slash "/serialNumber=..-x"
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
csr "$T/csr2" again2 "/serialNumber=SN0003"
unasked issuing provision batch --issuer-key issuing --operator op \
    --csr-dir "$T/csr2" --out-dir "$T/devs2" --yes
refused 1 "TEST-KEY-446: a device provisioned before is refused" \
    "again2.csr" "SN0003 was already provisioned"
rm "$T/csr2/again2.csr"

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

# --- TEST-KEY-456/457: kills in a batch's groups (record first, release) --
# Devices are recorded 128 to a transaction and their files, written with
# no name, are named after the commit.  A kill while a group's files are
# being named leaves the group recorded, the devices before the kill
# released, the rest recorded and unreleased (written again from their
# records); a kill before the commit leaves nothing of the group.
if command -v strace >/dev/null 2>&1; then
	mkdir -p "$T/csr5" "$T/devs5" "$T/devs6"
	seq -f '%03g' 1 130 | xargs -P 2 -I{} sh -c 'openssl req -new -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	    -subj "/CN=sensor/serialNumber=KL{}" -out "$T/csr5/k{}.csr" \
	    2>/dev/null'
	# kbatch OUT SYSCALL N: the batch of csr5 killed at SYSCALL number N.
	kbatch() {
		set +e
		# shellcheck disable=SC2046
		traced -f -qq -o /dev/null -e trace="$2" \
		    -e inject="$2":signal=KILL:when="$3" "$KEYRITE" -C "$S" \
		    provision batch --issuer-key issuing --operator "Ana Ops" \
		    --csr-dir "$T/csr5" --out-dir "$1" --yes $(quorum issuing) \
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
	kbatch "$T/devs6" write 100
	kill_rc=$rc
	left=$(ls -a "$T/devs6" | grep -v '^\.\.*$' |
	    grep -v '^bootstrap-ca\.crt$' || true)
	run -C "$S" audit verify
	if [ "$kill_rc" -eq 137 ] && [ "$rc" -eq 0 ] && [ "$(recs)" -eq 0 ] &&
	    [ -z "$left" ]; then
		ok "TEST-KEY-457: a batch killed before its first group's commit leaves no record and no device file (audit verify exit 0)"
	else
		fail "TEST-KEY-457: kill before the commit (exit $kill_rc): $(recs) records, files: $left"
	fi
	rm -rf "$T/devs6"
	# Killed at the 60th name (the bootstrap CA's, then two per device).
	kbatch "$T/devs5" linkat 60
	kill_rc=$rc
	nrec=$(recs)
	ncrt=$(ls "$T/devs5" | grep -c '^KL.*\.crt$' || true)
	extra=$(ls -a "$T/devs5" | grep -v '^\.\.*$' |
	    grep -v '^KL[0-9]*\.\(crt\|yaml\)$' | grep -v '^bootstrap-ca\.crt$' ||
	    true)
	good=1
	# Every released certificate is recorded with its file's SHA-256.
	for f in "$T/devs5"/KL*.crt; do
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
	[ "$rc" -eq 0 ] && [ ! -e "$T/devs5/$d.crt" ] &&
	    [ "$(sha256sum < "$T/again.der" | cut -d' ' -f1)" = "$want" ] &&
	    openssl verify -CAfile "$T/root.pem" -untrusted "$T/int.pem" \
	    "$T/again.der" >/dev/null 2>&1 || good=0
	run -C "$S" audit verify
	if [ "$kill_rc" -eq 137 ] && [ "$rc" -eq 0 ] && [ "$good" -eq 1 ] &&
	    [ "$nrec" -eq 128 ] && [ "$ncrt" -ge 1 ] && [ "$ncrt" -lt 128 ] &&
	    [ -z "$extra" ]; then
		ok "TEST-KEY-456: a batch killed while naming its first group's files: the group's 128 devices recorded, the $ncrt released ones with the recorded hashes, an unreleased one written again by cert show and verified by openssl, no other file, audit verify exit 0"
	else
		fail "TEST-KEY-456: kill while naming (exit $kill_rc): $nrec records, $ncrt certificates, other files: $extra, checks $good"
	fi
	# A device that fails in the middle of a group (its CSR cannot be
	# read again: strace makes its second open fail; strace counts per
	# thread, and the check pass reads every even-numbered file of 256 on
	# the main thread, as the signing pass does): the devices before it
	# complete, it and the ones after it not recorded, no file.
	mkdir -p "$T/csr7" "$T/devs7"
	seq -f '%03g' 1 40 | xargs -P 2 -I{} sh -c 'openssl req -new -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	    -subj "/CN=sensor/serialNumber=HW{}" -out "$T/csr7/h{}.csr" \
	    2>/dev/null'
	set +e
	# shellcheck disable=SC2046
	traced -f -qq -o /dev/null -P "$T/csr7/h021.csr" \
	    -e inject=openat:error=EIO:when=2 "$KEYRITE" -C "$S" provision \
	    batch --issuer-key issuing --operator "Ana Ops" --csr-dir "$T/csr7" \
	    --out-dir "$T/devs7" --yes $(quorum issuing) 3<"$T/ab.pw" \
	    >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	nrec=$(sqlite3 "$S/keyrite.db" "SELECT count(*) FROM provisioning WHERE
	    device_id GLOB 'HW*'")
	last=$(sqlite3 "$S/keyrite.db" "SELECT max(device_id) FROM provisioning
	    WHERE device_id GLOB 'HW*'")
	nfiles=$(ls "$T/devs7" | grep -c '^HW' || true)
	if [ "$rc" -ne 0 ] && grep -q "device HW021 (21 of 40" "$T/err" &&
	    grep -q "the 20 before it are signed, recorded and written" \
	    "$T/err" && [ "$nrec" -eq 20 ] && [ "$last" = HW020 ] &&
	    [ "$nfiles" -eq 40 ]; then
		ok "TEST-KEY-458: a device failing in the middle of a group is named; the 20 before it are recorded and written, nothing of it or after it (exit $rc)"
	else
		fail "TEST-KEY-458: a failure in a group (exit $rc): $nrec records up to $last, $nfiles files: $(head -c 300 "$T/err")"
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
finish
