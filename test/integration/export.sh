#!/bin/sh
# TEST-KEY-300: keyrite export --all writes the recorded certificates,
# CRLs and public keys with MANIFEST.json and SHA256SUMS that
# `sha256sum -c` and `keyrite export verify` (no state folder) accept;
# the export is one audit row.
# TEST-KEY-301: the export survives a FAT medium (mtools: mformat, mcopy
# in and back out): sha256sum -c and export verify pass on the copy; a
# file changed and a file added on the medium are named, exit 1.
# TEST-KEY-302: refusals leave no file and no audit row: no selector, a
# target inside the state folder, a symbolic link where a file would go,
# a target that is a link, a recorded CRL copy replaced by a private key
# (PKCS#8 DER, SEC1 PEM), a selector matching nothing.
# TEST-KEY-303: --ceremony ID exports exactly what that ceremony's steps
# recorded; --key NAME what the key issued and its own certificate and
# public key; --since a date after everything exports nothing.
. "$(dirname "$0")/lib.sh"
set -e

S="$T/state"
make_state "$S"
O="$T/o"
mkdir -p "$O"
gen_ca "$S" root p256 ca && gen_ca "$S" int p384 ca || fail "keys"
issue root cert root --key root --profile root --subject "CN=Export Root,C=DE" \
    --out "$O/root.pem"
issue root cert issue --issuer-key root --subject-key int \
    --profile intermediate --subject "CN=Export Issuing,C=DE" --out "$O/int.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$O/leaf.key" -subj "/CN=x" -out "$O/leaf.csr" 2>/dev/null
issue int cert issue --issuer-key int --csr "$O/leaf.csr" \
    --profile firmware-signing --subject "CN=Leaf,C=DE" --out "$O/leaf.pem"
leaf=$(openssl x509 -in "$O/leaf.pem" -noout -serial | cut -d= -f2 |
    tr 'A-F' 'a-f')
run -C "$S" revoke --issuer-key int --serial "$leaf" --reason keyCompromise
issue int crl publish --issuer-key int --out "$O/int.crl"
[ "$rc" -eq 0 ] && ok "root, intermediate, a revoked leaf and a CRL" ||
    fail "setup: $(cat "$T/err")"
rows() { sqlite3 "$S/keyrite.db" "SELECT count(*) FROM audit"; }

# --- export --all ------------------------------------------------------------
E="$T/usb"
mkdir "$E"
run -C "$S" export --to "$E" --all
[ "$rc" -eq 0 ] && tail -n 1 "$T/out" | grep -q "safe to remove" &&
    ok "export --all (ends with: safe to remove)" ||
    fail "export: $(cat "$T/err")"
n=$(ls "$E" | wc -l)
[ "$n" -eq 8 ] && [ -f "$E/crl-int-1.crl" ] && [ -f "$E/pubkey-root.pem" ] &&
    [ -f "$E/cert-$leaf.pem" ] && ok "3 certificates, a CRL, 2 public keys, 2 lists" ||
    fail "export folder: $(ls "$E")"
ls "$E" | grep -qv '^[A-Za-z0-9._-]*$' && fail "a name FAT may not keep" ||
    ok "every name is [A-Za-z0-9._-]"
cmp -s "$E/crl-int-1.crl" "$O/int.crl" && cmp -s "$E/cert-$leaf.pem" "$O/leaf.pem" &&
    ok "the CRL and the certificate are the released bytes" || fail "bytes differ"
(cd "$E" && sha256sum -c --quiet SHA256SUMS) && ok "sha256sum -c SHA256SUMS" ||
    fail "sha256sum -c"
openssl crl -inform DER -in "$E/crl-int-1.crl" -noout -CAfile "$E/cert-$(openssl x509 \
    -in "$O/int.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f').pem" 2>&1 |
    grep -q "verify OK" && ok "the exported CRL verifies under the exported intermediate" ||
    fail "exported CRL"
expect 0 "Export verified" "export verify on a machine without a state folder" -- \
    export verify "$E"
sqlite3 "$S/keyrite.db" "SELECT payload FROM audit WHERE event='export'" |
    grep -q "\"count\":6,\"manifest_sha256\":\"$(sha256sum "$E/MANIFEST.json" |
    cut -d' ' -f1)\"" && ok "one audit row: target, selectors, count, manifest SHA-256" ||
    fail "the export's audit row"

# --- a FAT medium ------------------------------------------------------------
if ! command -v mcopy >/dev/null; then
	apt-get install -y mtools >/dev/null 2>&1 || true
fi
if command -v mcopy >/dev/null; then
	img="$T/img.fat"
	dd if=/dev/zero of="$img" bs=1024 count=4096 2>/dev/null
	mformat -i "$img" -F :: >/dev/null 2>&1 || mformat -C -f 1440 -i "$img" ::
	mcopy -i "$img" -s "$E"/* ::/ && mdir -i "$img" ::/ > "$T/mdir" &&
	    grep -q "MANIFEST" "$T/mdir" && ok "copied onto a FAT image (mdir lists it)" ||
	    fail "mcopy onto FAT"
	mkdir "$T/back"
	mcopy -i "$img" -s '::/*' "$T/back/"
	(cd "$T/back" && sha256sum -c --quiet SHA256SUMS) &&
	    ok "sha256sum -c on the copy back from FAT" || fail "sha256sum -c after FAT"
	expect 0 "Export verified" "export verify on the copy back from FAT" -- \
	    export verify "$T/back"
	printf 'x' >> "$T/back/crl-int-1.crl"
	echo extra > "$T/back/notes.txt"
	expect 1 "crl-int-1.crl: changed" "a changed file is named" -- \
	    export verify "$T/back"
	grep -q "notes.txt: not in the manifest" "$T/out" &&
	    ok "an added file is named" || fail "added file not named: $(cat "$T/out")"
else
	fail "mtools is missing and could not be installed"
fi
rm -f "$E/MANIFEST.json"
expect 2 "cannot be read" "a folder without MANIFEST.json is refused" -- \
    export verify "$E"

# --- refusals: no file, no audit row ------------------------------------------
before=$(rows)
nothing_left() {
	[ "$(ls -A "$1" | wc -l)" -eq "${2:-0}" ] && [ "$(rows)" -eq "$before" ] &&
	    ok "$3: nothing left, no audit row" || fail "$3: left $(ls -A "$1")"
}
mkdir "$T/e1"
expect 2 "say what to export" "no selector is refused" -- \
    -C "$S" export --to "$T/e1"
expect 2 "no day" "a date that does not exist is refused" -- \
    -C "$S" export --to "$T/e1" --since 2026-02-30
expect 2 "inside the state folder" "a target in the state folder is refused" -- \
    -C "$S" export --to "$S/crls" --all
ln -s "$T/elsewhere" "$T/e1/crl-int-1.crl"
# TEST-KEY-523: an export folder must be empty (export verify accepts no
# file its manifest does not list): one holding anything, a link where
# a file would go included, is refused naming what it holds.
expect 2 "the export folder $T/e1 is not empty (it holds crl-int-1.crl)" \
    "a folder that is not empty (a link where a file would go) is refused" -- \
    -C "$S" export --to "$T/e1" --all
nothing_left "$T/e1" 1 "the link"
rm "$T/e1/crl-int-1.crl"
ln -s "$T/e1" "$T/e2"
expect 2 "is a symbolic link" "a target that is a link is refused" -- \
    -C "$S" export --to "$T/e2" --all
nothing_left "$T/e1" 0 "the linked target"
expect 2 "no recorded artifact matches" "--since after everything exports nothing" -- \
    -C "$S" export --to "$T/e1" --since 2099-01-01
nothing_left "$T/e1" 0 "nothing selected"
copy=$(ls "$S"/crls/*.crl)
cp "$copy" "$T/crl.save"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/k.pem"
openssl pkcs8 -topk8 -nocrypt -in "$T/k.pem" -outform DER -out "$copy"
expect 1 "$(basename "$copy")" "a recorded CRL copy replaced by a DER PKCS#8 key is refused, named" -- \
    -C "$S" export --to "$T/e1" --all
nothing_left "$T/e1" 0 "the planted key"
openssl ec -in "$T/k.pem" -out "$copy" 2>/dev/null
expect 1 "altered" "a recorded CRL copy replaced by a PEM SEC1 key is refused" -- \
    -C "$S" export --to "$T/e1" --all
nothing_left "$T/e1" 0 "the planted PEM key"
cp "$T/crl.save" "$copy"
rm -f "$T/k.pem"

# --- --key and --since -------------------------------------------------------
mkdir "$T/k"
run -C "$S" export --to "$T/k" --key int
ls "$T/k" | sort | tr '\n' ' ' > "$T/klist"
[ "$rc" -eq 0 ] && [ "$(ls "$T/k" | wc -l)" -eq 6 ] &&
    grep -q "pubkey-int.pem" "$T/klist" && grep -q "crl-int-1.crl" "$T/klist" &&
    grep -q "cert-$leaf.pem" "$T/klist" && ! grep -q "pubkey-root" "$T/klist" &&
    ok "--key int: its public key, its certificate, what it issued, its CRL" ||
    fail "--key int: $rc $(cat "$T/klist") $(cat "$T/err")"
mkdir "$T/s"
expect 0 "safe to remove" "--since today exports what was recorded today" -- \
    -C "$S" export --to "$T/s" --since "$(date -u +%Y-%m-%d)"

# --- --ceremony ID ------------------------------------------------------------
SH="$T/shares"
mkdir -p "$SH" "$T/cpub"
yes 'one ceremony passphrase, long enough' | head -n 60 > "$T/pw"
yes yes | head -n 20 > "$T/wit"
run -C "$S" key generate fw --alg p256 --purpose firmware --threshold 2 \
    --custodian alice --custodian bob --share-dir "$SH" --passphrase-fd 3 \
    3<"$T/pw"
run -C "$S" key generate ca2 --alg p256 --purpose ca --threshold 2 \
    --custodian alice --custodian bob --share-dir "$SH" --passphrase-fd 3 \
    3<"$T/pw"
run -C "$S" cert root --key ca2 --profile root --subject "CN=Ceremony Root" \
    --out "$T/cpub/ca2.pem" --share "$SH/alice/ca2.share" \
    --share "$SH/bob/ca2.share" --passphrase-fd 3 --yes 3<"$T/pw"
[ "$rc" -eq 0 ] || fail "ca2 root: $(cat "$T/err")"
run -C "$S" ceremony run "$SRCDIR/ceremonies/certify-key.yaml" --set issuer=ca2 \
    --set key=fw --set profile=firmware-signing --set subject="CN=Fw,C=NL" \
    --set shares="$SH" --set out="$T/cpub" --passphrase-fd 3 --witness-fd 4 \
    --yes 3<"$T/pw" 4<"$T/wit"
[ "$rc" -eq 0 ] || fail "certify-key ceremony: $(cat "$T/err")"
cid=$(sqlite3 "$S/keyrite.db" "SELECT json_extract(payload, '\$.id') FROM audit \
    WHERE event='ceremony.begin' ORDER BY seq DESC LIMIT 1")
fwserial=$(openssl x509 -in "$T/cpub/fw.pem" -noout -serial | cut -d= -f2 |
    tr 'A-F' 'a-f')
mkdir "$T/c"
run -C "$S" export --to "$T/c" --ceremony "$cid"
[ "$rc" -eq 0 ] && [ "$(ls "$T/c" | wc -l)" -eq 3 ] &&
    cmp -s "$T/c/cert-$fwserial.pem" "$T/cpub/fw.pem" &&
    ok "--ceremony $cid: exactly the certificate it signed (and the two lists)" ||
    fail "--ceremony: rc $rc, $(ls "$T/c") $(cat "$T/err")"
expect 0 "Export verified" "the ceremony's export verifies" -- export verify "$T/c"
finish
