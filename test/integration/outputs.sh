#!/bin/sh
# TEST-KEY-045, TEST-KEY-046, TEST-KEY-047: outputs checked before the
# quorum, and recorded artifacts written again.
#  045: an output inside the state folder (policy/, keys/, the folder
#       itself, through a symlinked folder or a symlinked parent) is
#       refused for every command that writes one, before any passphrase
#       is read, exit 2, state unchanged (sqlite3 .dump and file hashes);
#       so are a missing output folder, `sign batch --out-dir` naming one
#       and a batch whose second output exists (nothing recorded).
#  046: a read-only folder (a read-only tmpfs) and a full one (a 64 KiB
#       tmpfs: statvfs room is enforced, for one output and for a batch
#       whose outputs fit one by one but not together) are refused the
#       same way.  Where mount is not allowed these cases say SKIP.
#  047: `cert show --out`, `crl show --out` and `sign show --out` write
#       byte-identical files that openssl, minisign, the MCUboot
#       verifier and rauc accept; a recorded copy or kept bytes whose SHA-256 does
#       not match, and an image that is not the one signed, are refused
#       with no file.  A write that fails after recording (ulimit -f with
#       SIGXFSZ ignored) says so and gives the command that writes it
#       again, which works.
. "$(dirname "$0")/lib.sh"
set -e

TOOLS="$(dirname "$0")/../tools"
S="$T/state"
make_state "$S"
O="$T/o"
mkdir -p "$O"
MNT="$T/mnt"
mounted=""
cleanup() {
	for m in $mounted; do umount "$m" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
snap() { state_snapshot "$S/keyrite.db" "$S"; }
sigs() { sqlite3 "$S/keyrite.db" "select count(*) from signatures"; }
skip() { printf '# SKIP %s\n' "$*"; }

gen_ca "$S" root p256 ca
gen_ca "$S" int p256 ca
gen_ca "$S" fw p256 firmware
gen_ca "$S" fwed ed25519 firmware
issue root cert root --key root --profile root --subject "CN=Out Root,C=DE" \
    --out "$O/root.pem"
issue root cert issue --issuer-key root --subject-key int --profile intermediate \
    --subject "CN=Out Issuing,C=DE" --out "$O/int.pem"
issue root cert issue --issuer-key root --subject-key fw \
    --profile firmware-signing --subject "CN=Out Firmware,C=DE" --out "$O/fw.pem"
[ -s "$O/fw.pem" ] || fail "setup: $(cat "$T/err")"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$O/leaf.key" -subj "/CN=leaf" -out "$O/leaf.csr" 2>/dev/null
head -c 300000 /dev/urandom > "$O/app.bin"
ln -s "$S/policy" "$T/pol"
ln -s "$S" "$T/st"
mkdir -p "$T/lnk-parent"
ln -s "$S/keys" "$T/lnk-parent/k"

# --- 045: inside the state folder --------------------------------------------
before=$(snap)
for out in "$S/policy/x.pem" "$S/keys/x.pem" "$S" "$S/keyrite.db" \
    "$T/pol/x.pem" "$T/st/keys/x.pem" "$T/lnk-parent/k/x.pem" \
    "$S/policy/../policy/root.yaml"; do
	unasked int cert issue --issuer-key int --csr "$O/leaf.csr" \
	    --profile firmware-signing --subject "CN=Leaf,C=DE" --out "$out"
	refused 2 "cert issue --out $out is refused as inside the state folder" \
	    "inside the state folder"
done
[ ! -e "$S/policy/x.pem" ] && [ ! -e "$S/keys/x.pem" ] ||
    fail "a file was written into the state folder"
unasked root cert root --key root --profile root --subject "CN=X" --out "$T/pol/r.pem"
refused 2 "cert root through a symlinked folder is refused" "inside the state folder"
unasked root cert cross-sign --issuer-key root --cert "$O/int.pem" \
    --profile intermediate --out "$S/keys/c.pem"
refused 2 "cert cross-sign into keys/ is refused" "inside the state folder"
unasked int crl publish --issuer-key int --out "$T/st/policy/int.crl"
refused 2 "crl publish into policy/ through a symlinked parent is refused" \
    "inside the state folder"
unasked root ocsp presign --issuer-key root --out-dir "$T/st"
refused 2 "ocsp presign --out-dir the state folder is refused" "inside the state folder"
unasked fw sign firmware --key fw --format raw --in "$O/app.bin" --out "$T/pol/app.sig"
refused 2 "sign firmware into policy/ is refused" "inside the state folder"
mkdir -p "$T/batch"
cp "$O/app.bin" "$T/batch/a.bin"
cp "$O/app.bin" "$T/batch/b.bin"
printf 'version: 1\nkey: fw\nimages:\n  - file: a.bin\n    format: raw\n    output: a.sig\n  - file: b.bin\n    format: raw\n    output: b.sig\n' \
    > "$T/batch/manifest.yaml"
unasked fw sign batch "$T/batch/manifest.yaml" --out-dir "$S/keys"
refused 2 "sign batch --out-dir keys/ is refused" "inside the state folder"
# Every output of a manifest is checked before the quorum: the second
# one existing already stops the batch before image 1 is signed.
: > "$T/batch/b.sig"
n=$(sigs)
unasked fw sign batch "$T/batch/manifest.yaml"
refused 2 "a batch whose second output exists is refused before the quorum" \
    "b.sig already exists"
[ "$(sigs)" -eq "$n" ] && [ ! -e "$T/batch/a.sig" ] &&
    ok "... and image 1 is neither recorded nor written" || fail "image 1 was signed"
rm -f "$T/batch/b.sig"
for c in a b; do pass_of "$c"; done > "$T/kg.pw"
run -C "$S" key generate nk --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian b --share-dir "$T/pol" --passphrase-fd 3 3</dev/null
refused 2 "key generate --share-dir in the state folder is refused" \
    "inside the state folder"
[ ! -e "$S/policy/a/nk.share" ] || fail "a share file was written into policy/"

# --- 045: missing output folders ----------------------------------------------
unasked int cert issue --issuer-key int --csr "$O/leaf.csr" \
    --profile firmware-signing --subject "CN=Leaf,C=DE" --out "$T/nowhere/leaf.pem"
refused 2 "cert issue into a missing folder is refused before the quorum" "does not exist"
unasked int crl publish --issuer-key int --out "$T/nowhere/int.crl"
refused 2 "crl publish into a missing folder is refused before the quorum" "does not exist"
unasked root ocsp presign --issuer-key root --out-dir "$T/nowhere"
refused 2 "ocsp presign into a missing folder is refused before the quorum" "does not exist"
n=$(sigs)
unasked fw sign batch "$T/batch/manifest.yaml" --out-dir "$T/nowhere"
refused 2 "sign batch --out-dir missing is refused before the quorum" "does not exist"
[ "$(sigs)" -eq "$n" ] && ok "... and no image of it is recorded" || fail "batch recorded images"
[ ! -e "$T/nowhere" ] || fail "the missing folder was made"

# --- 046: read-only and full folders (tmpfs) ----------------------------------
mkdir -p "$MNT/ro" "$MNT/full"
if mount -t tmpfs -o size=64k tmpfs "$MNT/ro" 2>/dev/null; then
	mounted="$MNT/ro"
	mount -o remount,ro "$MNT/ro"
	unasked int cert issue --issuer-key int --csr "$O/leaf.csr" \
	    --profile firmware-signing --subject "CN=Leaf,C=DE" --out "$MNT/ro/leaf.pem"
	refused 2 "cert issue into a read-only tmpfs is refused before the quorum" \
	    "read-only file system"
	unasked fw sign firmware --key fw --format raw --in "$O/app.bin" \
	    --out "$MNT/ro/app.sig"
	refused 2 "sign firmware into a read-only tmpfs is refused before the quorum" \
	    "read-only file system"
	unasked int crl publish --issuer-key int --out "$MNT/ro/int.crl"
	refused 2 "crl publish into a read-only tmpfs is refused before the quorum" \
	    "read-only file system"
elif [ "$(id -u)" -ne 0 ]; then
	mkdir -p "$T/rodir"
	chmod 555 "$T/rodir"
	unasked int cert issue --issuer-key int --csr "$O/leaf.csr" \
	    --profile firmware-signing --subject "CN=Leaf,C=DE" --out "$T/rodir/leaf.pem"
	refused 2 "cert issue into a read-only folder (chmod 555) is refused" "not writable"
else
	skip "read-only folder: mount is not allowed and root ignores chmod"
fi
if mount -t tmpfs -o size=64k tmpfs "$MNT/full" 2>/dev/null; then
	mounted="$mounted $MNT/full"
	head -c 20000 /dev/urandom > "$T/batch/c.bin"
	head -c 20000 /dev/urandom > "$T/batch/d.bin"
	# 300 kB does not fit in 64 KiB.
	unasked fw sign firmware --key fw --format mcuboot --in "$O/app.bin" \
	    --out "$MNT/full/app.img" --header-size 512 --pad-header
	refused 2 "an MCUboot image larger than the free room is refused before the quorum" \
	    "no room for"
	# Two 20 kB images fit one at a time; three do not fit together.
	head -c 20000 /dev/urandom > "$T/batch/e.bin"
	printf 'version: 1\nkey: fw\nimages:\n' > "$T/batch/m3.yaml"
	for f in c d e; do
		printf '  - file: %s\n    format: mcuboot\n    output: %s.img\n    mcuboot: {header_size: 512, pad_header: true}\n' \
		    "$T/batch/$f.bin" "$f" >> "$T/batch/m3.yaml"
	done
	n=$(sigs)
	unasked fw sign batch "$T/batch/m3.yaml" --out-dir "$MNT/full"
	refused 2 "a batch whose outputs together overfill the folder is refused" "no room for"
	[ "$(sigs)" -eq "$n" ] && [ -z "$(ls "$MNT/full")" ] &&
	    ok "... with nothing recorded or written" || fail "full batch left something"
	head -c 60000 /dev/zero > "$MNT/full/filler" 2>/dev/null || true
	unasked int cert issue --issuer-key int --csr "$O/leaf.csr" \
	    --profile firmware-signing --subject "CN=Leaf,C=DE" --out "$MNT/full/leaf.pem"
	refused 2 "a certificate into a full tmpfs is refused before the quorum" "no room for"
else
	skip "full folder: mount is not allowed here"
fi

# --- 047: written again, byte for byte -----------------------------------------
issue int crl publish --issuer-key int --out "$O/int1.crl"
[ "$rc" -eq 0 ] || fail "crl publish: $(cat "$T/err")"
before=$(snap)
run -C "$S" crl show int 1 --out "$O/int1-again.crl"
[ "$rc" -eq 0 ] && cmp -s "$O/int1.crl" "$O/int1-again.crl" &&
    ok "crl show --out writes the CRL again, byte for byte" ||
    fail "crl show: exit $rc $(cat "$T/err")"
cat "$O/int.pem" "$O/root.pem" > "$O/chain.pem"
openssl crl -inform DER -in "$O/int1-again.crl" -CAfile "$O/chain.pem" -noout \
    -verify 2>&1 | grep -q "verify OK" && ok "... and openssl crl -verify accepts it" ||
    fail "rewritten CRL does not verify"
run -C "$S" crl show int 1 --out "$O/int1-again.pem" --pem
openssl crl -in "$O/int1-again.pem" -CAfile "$O/chain.pem" -noout -verify 2>&1 |
    grep -q "verify OK" && ok "crl show --pem writes a PEM CRL openssl accepts" ||
    fail "PEM CRL: exit $rc"
run -C "$S" crl show int 1
grep -q "^SHA-256: *$(sha256sum "$O/int1.crl" | cut -d' ' -f1)" "$T/out" &&
    ok "crl show prints the record with the CRL's SHA-256" || fail "crl show record"
run -C "$S" crl show int 1 --out "$T/pol/int1.crl"
refused 2 "crl show --out into the state folder is refused" "inside the state folder"
copy=$(ls "$S"/crls/int-*-1.crl)
cp "$copy" "$T/copy.save"
flip "$copy" 100
run -C "$S" crl show int 1 --out "$O/bad.crl"
[ "$rc" -eq 1 ] && grep -q "altered or damaged" "$T/err" && [ ! -e "$O/bad.crl" ] &&
    ok "a recorded CRL copy whose SHA-256 does not match is refused, no file" ||
    fail "tampered copy: exit $rc $(cat "$T/err")"
cp "$T/copy.save" "$copy"
[ "$(snap)" = "$before" ] && ok "writing again changed nothing in the state" ||
    fail "crl show changed the state"

serial=$(openssl x509 -in "$O/int.pem" -noout -serial | cut -d= -f2)
run -C "$S" cert show "$serial" --out "$O/int-again.pem"
[ "$rc" -eq 0 ] && cmp -s "$O/int.pem" "$O/int-again.pem" &&
    ok "cert show --out writes the certificate again, byte for byte" ||
    fail "cert show --out: exit $rc $(cat "$T/err")"
run -C "$S" cert show "$serial" --out "$O/int-again.der" --der
openssl verify -CAfile "$O/root.pem" "$O/int-again.pem" >/dev/null 2>&1 &&
    openssl x509 -inform DER -in "$O/int-again.der" -noout 2>/dev/null &&
    ok "... (PEM and --der), which openssl reads and verifies" || fail "cert show --der"

run -C "$S" key export-public fw
cp "$T/out" "$O/fw.pub"
run -C "$S" key export-public fwed --format minisign
cp "$T/out" "$O/minisign.pub"
sid() { grep -o '(signature [0-9]*)' "$T/out" | tr -dc '0-9'; }
issue fw sign firmware --key fw --format raw --in "$O/app.bin" --out "$O/app.sig"
id_raw=$(sid)
issue fwed sign firmware --key fwed --format minisign --in "$O/app.bin" \
    --out "$O/app.minisig" --version 3.1
id_mini=$(sid)
issue fw sign firmware --key fw --format cms --in "$O/app.bin" --out "$O/app.p7s" \
    --cert "$O/fw.pem"
id_cms=$(sid)
issue fw sign firmware --key fw --format mcuboot --in "$O/app.bin" \
    --out "$O/app.img" --header-size 512 --pad-header --version 1.2.3
id_mcu=$(sid)
[ -n "$id_raw" ] && [ -n "$id_mini" ] && [ -n "$id_cms" ] && [ -n "$id_mcu" ] &&
    ok "sign firmware prints each signature's id" || fail "signature ids: $(cat "$T/out")"
before=$(snap)
run -C "$S" sign show "$id_raw" --out "$O/app-again.sig"
cmp -s "$O/app.sig" "$O/app-again.sig" &&
    openssl dgst -sha256 -verify "$O/fw.pub" -signature "$O/app-again.sig" \
    "$O/app.bin" 2>&1 | grep -q "Verified OK" &&
    ok "sign show --out: raw, byte for byte, openssl dgst -verify" ||
    fail "raw again: exit $rc $(cat "$T/err")"
run -C "$S" sign show "$id_mini" --out "$O/app-again.minisig"
cmp -s "$O/app.minisig" "$O/app-again.minisig" &&
    minisign -Vm "$O/app.bin" -x "$O/app-again.minisig" -p "$O/minisign.pub" \
    >/dev/null 2>&1 && ok "sign show --out: minisign, byte for byte, minisign -V" ||
    fail "minisign again: exit $rc $(cat "$T/err")"
run -C "$S" sign show "$id_cms" --out "$O/app-again.p7s"
cmp -s "$O/app.p7s" "$O/app-again.p7s" &&
    openssl cms -verify -binary -inform DER -in "$O/app-again.p7s" \
    -content "$O/app.bin" -CAfile "$O/root.pem" -purpose any -out /dev/null \
    >/dev/null 2>&1 && ok "sign show --out: cms, byte for byte, openssl cms -verify" ||
    fail "cms again: exit $rc $(cat "$T/err")"
expect 2 "give --in IMAGE" "an MCUboot signature needs --in IMAGE to be written again" -- \
    -C "$S" sign show "$id_mcu" --out "$O/app-again.img"
head -c 300000 /dev/urandom > "$O/other.bin"
run -C "$S" sign show "$id_mcu" --out "$O/app-again.img" --in "$O/other.bin"
[ "$rc" -eq 1 ] && grep -q "changed after it was signed" "$T/err" &&
    [ ! -e "$O/app-again.img" ] &&
    ok "... and refuses an image that is not the one signed, no file" ||
    fail "other image: exit $rc $(cat "$T/err")"
run -C "$S" sign show "$id_mcu" --out "$O/app-again.img" --in "$O/app.bin"
cmp -s "$O/app.img" "$O/app-again.img" &&
    python3 "$TOOLS/mcuboot_verify.py" "$O/app-again.img" "$O/fw.pub" >/dev/null 2>&1 &&
    ok "sign show --out --in: MCUboot, byte for byte, the independent verifier accepts" ||
    fail "mcuboot again: exit $rc $(cat "$T/err")"
if command -v rauc >/dev/null && command -v mksquashfs >/dev/null; then
	mkdir -p "$T/rb"
	head -c 50000 /dev/urandom > "$T/rb/rootfs.img"
	printf '[update]\ncompatible=keyrite-test\nversion=1.0\n\n[bundle]\nformat=plain\n\n[image.rootfs]\nfilename=rootfs.img\nsha256=%s\nsize=50000\n' \
	    "$(sha256sum "$T/rb/rootfs.img" | cut -d' ' -f1)" > "$T/rb/manifest.raucm"
	mksquashfs "$T/rb" "$O/rootfs.sqfs" -all-root -noappend -no-progress >/dev/null
	issue fw sign firmware --key fw --format rauc --in "$O/rootfs.sqfs" \
	    --out "$O/update.raucb" --cert "$O/fw.pem"
	id_rauc=$(sid)
	before=$(snap)
	run -C "$S" sign show "$id_rauc" --out "$O/update-again.raucb" --in "$O/rootfs.sqfs"
	cmp -s "$O/update.raucb" "$O/update-again.raucb" &&
	    rauc info --keyring "$O/root.pem" "$O/update-again.raucb" >/dev/null 2>&1 &&
	    ok "sign show --out --in: a RAUC bundle, byte for byte, rauc info accepts it" ||
	    fail "rauc again: exit $rc $(cat "$T/err")"
else
	fail "rauc or mksquashfs missing (./run test installs them)"
fi
[ "$(snap)" = "$before" ] && ok "writing signatures again changed nothing in the state" ||
    fail "sign show changed the state"
# Kept bytes altered in the database (its triggers dropped first).
cp "$S/keyrite.db" "$T/db.save"
for t in $(sqlite3 "$S/keyrite.db" "select name from sqlite_master where type = 'trigger'"); do
	sqlite3 "$S/keyrite.db" "DROP TRIGGER \"$t\""
done
sqlite3 "$S/keyrite.db" "UPDATE signatures SET out_head = X'00' || substr(out_head, 2) WHERE id = $id_cms"
run -C "$S" sign show "$id_cms" --out "$O/bad.p7s"
[ "$rc" -eq 1 ] && grep -qi "altered\|does not match" "$T/err" && [ ! -e "$O/bad.p7s" ] &&
    ok "kept bytes whose SHA-256 does not match are refused, no file" ||
    fail "altered kept bytes: exit $rc $(cat "$T/err")"
# A signature recorded before schema 6 kept nothing: it says so.
sqlite3 "$S/keyrite.db" "UPDATE signatures SET out_head = NULL, kept_sha256 = NULL WHERE id = $id_raw"
run -C "$S" sign show "$id_raw" --out "$O/old.sig"
[ "$rc" -eq 1 ] && grep -q "cannot be written again" "$T/err" && [ ! -e "$O/old.sig" ] &&
    ok "a signature recorded before bytes were kept says it cannot be written again" ||
    fail "old record: exit $rc $(cat "$T/err")"
cp "$T/db.save" "$S/keyrite.db"

# --- 047: a write that fails after recording ------------------------------------
# 4 MB image, file size limit 2 MB (dash counts 512-byte blocks, bash
# 1 KiB: either is below the image and above the database), SIGXFSZ
# ignored so that write() fails with EFBIG instead of killing keyrite.
head -c 4000000 /dev/urandom > "$O/big.bin"
quorum fw >/dev/null
set +e
# shellcheck disable=SC2046
(trap '' XFSZ; ulimit -f 2048; exec "$KEYRITE" -C "$S" sign firmware --key fw \
    --format mcuboot --in "$O/big.bin" --out "$O/big.img" --header-size 512 \
    --pad-header $(quorum fw) 3<"$T/ab.pw") >"$T/out" 2>"$T/err"
rc=$?
set -e
again=$(grep -o "sign show [0-9]* --out $O/big.img --in $O/big.bin" "$T/err" || true)
if [ "$rc" -ne 0 ] && grep -q "signed and recorded as signature" "$T/err" &&
    [ -n "$again" ] && [ ! -e "$O/big.img" ]; then
	ok "a write failing after recording says so and gives the command (exit $rc)"
	# shellcheck disable=SC2086
	run -C "$S" $again
	[ "$rc" -eq 0 ] && python3 "$TOOLS/mcuboot_verify.py" "$O/big.img" "$O/fw.pub" \
	    >/dev/null 2>&1 && ok "... and that command writes an image the verifier accepts" ||
	    fail "written again: exit $rc $(cat "$T/err")"
else
	fail "ulimit write: exit $rc $(cat "$T/err")"
fi
[ -z "$(find "$O" -name '*.tmp-*')" ] && ok "no temporary file is left behind" ||
    fail "a temporary file was left behind"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit chain intact" || fail "audit verify"
finish
