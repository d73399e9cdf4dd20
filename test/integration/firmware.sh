#!/bin/sh
# TEST-KEY-032: firmware and OTA signing.  Each format is checked by its
# independent tool: raw by openssl dgst / pkeyutl, minisign by minisign,
# MCUboot by an independent verifier (test/tools/mcuboot_verify.py on
# python3-cryptography), cms by openssl cms, rauc by `rauc info`; a batch
# of 20 images in mixed formats from one unlock; bad input leaves nothing.
. "$(dirname "$0")/lib.sh"
set -e

TOOLS="$(dirname "$0")/../tools"
S="$T/state"
make_state "$S"
O="$T/o"
mkdir -p "$O"
gen_ca "$S" root p256 ca
gen_ca "$S" fw p256 firmware
gen_ca "$S" fw384 p384 firmware
gen_ca "$S" fwrsa rsa3072 firmware
gen_ca "$S" fwed ed25519 firmware
issue root cert root --key root --profile root --subject "CN=FW Root,C=DE" --out "$O/root.pem"
for k in fw fwrsa; do
	issue root cert issue --issuer-key root --subject-key "$k" \
	    --profile firmware-signing --subject "CN=Firmware $k,C=DE" --out "$O/$k.pem"
	[ "$rc" -eq 0 ] || fail "signer certificate for $k: $(cat "$T/err")"
done
head -c 300000 /dev/urandom > "$O/app.bin"
for k in fw fw384 fwrsa fwed; do
	run -C "$S" key export-public "$k" --format pem
	cp "$T/out" "$O/$k.pub.pem"
done

# raw
for k in fw fw384 fwrsa; do
	issue "$k" sign firmware --key "$k" --format raw --in "$O/app.bin" --out "$O/app.$k.sig"
	h=-sha256
	[ "$k" = fw384 ] && h=-sha384
	openssl dgst $h -verify "$O/$k.pub.pem" -signature "$O/app.$k.sig" "$O/app.bin" \
	    2>&1 | grep -q "Verified OK" && ok "raw $k verified by openssl dgst" ||
	    fail "raw $k: $(cat "$T/err")"
done
issue fwed sign firmware --key fwed --format raw --in "$O/app.bin" --out "$O/app.ed.sig"
openssl pkeyutl -verify -pubin -inkey "$O/fwed.pub.pem" -rawin -in "$O/app.bin" \
    -sigfile "$O/app.ed.sig" 2>&1 | grep -q "Signature Verified Successfully" &&
    ok "raw Ed25519 verified by openssl pkeyutl" || fail "raw ed25519: $(cat "$T/err")"

# minisign
run -C "$S" key export-public fwed --format minisign
cp "$T/out" "$O/minisign.pub"
issue fwed sign firmware --key fwed --format minisign --in "$O/app.bin" \
    --out "$O/app.minisig" --version 1.4.2
minisign -Vm "$O/app.bin" -x "$O/app.minisig" -p "$O/minisign.pub" >"$T/v" 2>&1 &&
    ok "minisign -V accepts the signature" || fail "minisign: $(cat "$T/v" "$T/err")"
grep -q "1.4.2" "$T/v" && ok "... and shows the trusted comment's version" ||
    fail "minisign trusted comment: $(cat "$T/v")"

# MCUboot
for k in fw fw384 fwed; do
	issue "$k" sign firmware --key "$k" --format mcuboot --in "$O/app.bin" \
	    --out "$O/app.$k.mcuboot" --version 1.2.3+4 --header-size 512 --pad-header \
	    --align 4 --slot-size 458752
	python3 "$TOOLS/mcuboot_verify.py" "$O/app.$k.mcuboot" "$O/$k.pub.pem" \
	    >"$T/v" 2>&1 && ok "MCUboot $k accepted by the independent verifier" ||
	    fail "mcuboot $k: $(cat "$T/v" "$T/err")"
	cp "$O/app.$k.mcuboot" "$O/t.mcuboot"
	flip "$O/t.mcuboot" 1000 255
	python3 "$TOOLS/mcuboot_verify.py" "$O/t.mcuboot" "$O/$k.pub.pem" >/dev/null 2>&1 &&
	    fail "a tampered MCUboot image passed" || ok "... and refuses it with one byte changed"
done

# TEST-KEY-470: sizes and addresses in hex, as imgtool takes them.  Ed25519
# signs deterministically, so the image made with hex options is the one
# made with the same values in decimal, byte for byte.
for k in fw fwed; do
	issue "$k" sign firmware --key "$k" --format mcuboot --in "$O/app.bin" \
	    --out "$O/app.$k.hex.mcuboot" --version 1.2.3+4 --header-size 0x200 \
	    --pad-header --align 0x4 --slot-size 0x70000 --security-counter 0x10
	[ "$rc" -eq 0 ] && python3 "$TOOLS/mcuboot_verify.py" \
	    "$O/app.$k.hex.mcuboot" "$O/$k.pub.pem" >"$T/v" 2>&1 &&
	    ok "MCUboot $k with --header-size 0x200 --slot-size 0x70000 verifies" ||
	    fail "mcuboot $k hex options: $(cat "$T/v" "$T/err")"
done
issue fwed sign firmware --key fwed --format mcuboot --in "$O/app.bin" \
    --out "$O/app.fwed.dec.mcuboot" --version 1.2.3+4 --header-size 512 \
    --pad-header --align 4 --slot-size 458752 --security-counter 16
cmp -s "$O/app.fwed.dec.mcuboot" "$O/app.fwed.hex.mcuboot" &&
    ok "... the hex options make the very image the decimal ones make" ||
    fail "hex and decimal MCUboot options gave different images"
# The security counter TLV (0x50, 4 bytes little-endian) holds 16.
python3 - "$O/app.fwed.hex.mcuboot" >"$T/v" 2>&1 <<'EOF' &&
import struct, sys
d = open(sys.argv[1], "rb").read()
hs = struct.unpack_from("<H", d, 8)[0]
isz = struct.unpack_from("<I", d, 12)[0]
off = hs + isz
magic, plen = struct.unpack_from("<HH", d, off)
assert magic == 0x6908, hex(magic)
p = off + 4
while p < off + 4 + plen:
    t, l = struct.unpack_from("<HH", d, p)
    if t == 0x50:
        print(struct.unpack_from("<I", d, p + 4)[0])
    p += 4 + l
EOF
    [ "$(cat "$T/v")" = 16 ] && ok "... with security counter 0x10 read back as 16" ||
    fail "security counter TLV: $(cat "$T/v")"
before=$(state_snapshot "$S/keyrite.db" "$O")
for bad in 0x 0x1g 0x100000000 -0x10 " 512" 512k 4294967296; do
	unasked fw sign firmware --key fw --format mcuboot --in "$O/app.bin" \
	    --out "$O/bad.mcuboot" --header-size "$bad" --pad-header
	[ "$rc" -eq 2 ] && grep -q -- "--header-size wants a size or address" "$T/err" &&
	    [ "$(state_snapshot "$S/keyrite.db" "$O")" = "$before" ] &&
	    ok "--header-size '$bad' refused (exit 2), nothing written" ||
	    fail "--header-size '$bad': exit $rc $(cat "$T/err")"
done

# CMS
for k in fw fwrsa; do
	issue "$k" sign firmware --key "$k" --format cms --in "$O/app.bin" \
	    --out "$O/app.$k.p7s" --cert "$O/$k.pem"
	openssl cms -verify -binary -inform DER -in "$O/app.$k.p7s" -content "$O/app.bin" \
	    -CAfile "$O/root.pem" -purpose any -out /dev/null 2>&1 |
	    grep -q "Verification successful" && ok "CMS $k verified by openssl cms" ||
	    fail "cms $k: $(cat "$T/err")"
done

# RAUC
if command -v rauc >/dev/null && command -v mksquashfs >/dev/null; then
	mkdir -p "$T/b"
	head -c 100000 /dev/urandom > "$T/b/rootfs.img"
	cat > "$T/b/manifest.raucm" <<M
[update]
compatible=keyrite-test
version=1.0

[bundle]
format=plain

[image.rootfs]
filename=rootfs.img
sha256=$(sha256sum "$T/b/rootfs.img" | cut -d' ' -f1)
size=100000
M
	mksquashfs "$T/b" "$O/unsigned.sqfs" -all-root -noappend -no-progress >/dev/null
	issue fw sign firmware --key fw --format rauc --in "$O/unsigned.sqfs" \
	    --out "$O/update.raucb" --cert "$O/fw.pem"
	rauc info --keyring "$O/root.pem" "$O/update.raucb" >"$T/v" 2>&1 &&
	    ok "rauc info accepts the bundle" || fail "rauc: $(cat "$T/v" "$T/err")"
	expect 2 "squashfs" "a RAUC input that is not a squashfs is refused" -- \
	    -C "$S" sign firmware --key fw --format rauc --in "$O/app.bin" \
	    --out "$O/x.raucb" --cert "$O/fw.pem" $(quorum fw) 3<"$T/ab.pw"
else
	fail "rauc or mksquashfs missing (./run test installs them)"
fi

# A batch of 20 images in mixed formats, one unlock.
mkdir -p "$T/batch"
{
	echo "version: 1"
	echo "key: fw"
	echo "cert: $O/fw.pem"
	echo "images:"
	i=0
	while [ $i -lt 20 ]; do
		head -c $((1000 + i * 997)) /dev/urandom > "$T/batch/img$i.bin"
		case $((i % 3)) in
		0) f=raw ;; 1) f=cms ;; 2) f=mcuboot ;;
		esac
		echo "  - file: img$i.bin"
		echo "    format: $f"
		echo "    output: img$i.$f.out"
		echo "    version: 2.0.$i"
		[ $f = mcuboot ] && echo "    mcuboot: {header_size: 512, pad_header: true}"
		i=$((i + 1))
	done
} > "$T/batch/manifest.yaml"
issue fw sign batch "$T/batch/manifest.yaml"
[ "$rc" -eq 0 ] && grep -q "Signed 20 images" "$T/out" &&
    ok "a batch of 20 images in mixed formats is signed" || fail "batch: $(cat "$T/err")"
[ "$(grep -c 'passphrase' "$T/ab.pw")" -eq 2 ] &&
    [ "$(sqlite3 "$S/keyrite.db" "select count(distinct batch) from signatures where batch != ''")" -eq 1 ] &&
    ok "... from one quorum unlock (two passphrases for twenty images, one batch)" ||
    fail "more than one unlock for the batch"
[ "$(sqlite3 "$S/keyrite.db" "select count(*) from signatures where batch != ''")" -eq 20 ] &&
    ok "... and 20 signatures are recorded" || fail "batch records"
openssl dgst -sha256 -verify "$O/fw.pub.pem" -signature "$T/batch/img3.raw.out" \
    "$T/batch/img3.bin" >/dev/null 2>&1 && ok "a batch raw signature verifies" ||
    fail "batch raw"

# Bad input: clear error, no output, no database change.
snap=$(state_snapshot "$S/keyrite.db" "$S")
badcase() {
	want=$1 pat=$2 what=$3
	shift 4
	rm -f "$O/bad.out"
	expect "$want" "$pat" "$what" -- "$@"
	[ ! -e "$O/bad.out" ] || fail "$what: an output was written"
}
: > "$O/empty.bin"
head -c 500000 /dev/urandom > "$O/big.bin"
# shellcheck disable=SC2046
badcase 2 "missing" "a missing image is refused" -- -C "$S" sign firmware --key fw \
    --format raw --in "$O/nothing.bin" --out "$O/bad.out" $(quorum fw) 3<"$T/ab.pw"
# shellcheck disable=SC2046
badcase 2 "empty" "an empty image is refused" -- -C "$S" sign firmware --key fw \
    --format raw --in "$O/empty.bin" --out "$O/bad.out" $(quorum fw) 3<"$T/ab.pw"
# shellcheck disable=SC2046
badcase 1 "purpose ca" "a CA key cannot sign firmware" -- -C "$S" sign firmware --key root \
    --format raw --in "$O/app.bin" --out "$O/bad.out" $(quorum root) 3<"$T/ab.pw"
# shellcheck disable=SC2046
badcase 1 "not a certificate for key" "a signer certificate of another key is refused" -- \
    -C "$S" sign firmware --key fw --format cms --in "$O/app.bin" --out "$O/bad.out" \
    --cert "$O/fwrsa.pem" $(quorum fw) 3<"$T/ab.pw"
# shellcheck disable=SC2046
badcase 1 "Ed25519" "Ed25519 for a CMS format is refused" -- -C "$S" sign firmware \
    --key fwed --format cms --in "$O/app.bin" --out "$O/bad.out" --cert "$O/fw.pem" \
    $(quorum fwed) 3<"$T/ab.pw"
printf 'version: 1\nkey: fw\nimages:\n  - file: x\n    format: raw\n    output: o\n    colour: red\n' > "$T/m1.yaml"
badcase 2 "unknown key 'colour'" "a manifest with an unknown key is refused" -- \
    -C "$S" sign batch "$T/m1.yaml"
printf 'version: 1\nkey: fw\nimages:\n  - file: x\n    format: zip\n    output: o\n' > "$T/m2.yaml"
badcase 2 "unknown format" "a manifest with an unknown format is refused" -- \
    -C "$S" sign batch "$T/m2.yaml"
printf 'version: 1\nkey: fw\nimages:\n  - file: a\n    format: raw\n    output: o\n  - file: b\n    format: raw\n    output: o\n' > "$T/m3.yaml"
badcase 2 "named twice" "a manifest with a duplicate output is refused" -- \
    -C "$S" sign batch "$T/m3.yaml"
# TEST-KEY-521: a manifest (from a medium) names only images inside its
# own folder: one naming the sealed key file by '..', or by a symbolic
# link beside the manifest, is refused with the file resolved, nothing
# signed.
mkdir -p "$T/mx"
printf 'version: 1\nkey: fw\nimages:\n  - file: ../state/keys/fw.sealed\n    format: raw\n    output: o.sig\n' > "$T/mx/up.yaml"
ln -s "$S/keys/fw.sealed" "$T/mx/fw.bin"
printf 'version: 1\nkey: fw\nimages:\n  - file: fw.bin\n    format: raw\n    output: o.sig\n' > "$T/mx/link.yaml"
for m in up link; do
	badcase 2 "outside the manifest's folder" \
	    "a manifest image resolving outside its folder ($m) is refused" -- \
	    -C "$S" sign batch "$T/mx/$m.yaml"
	grep -q "resolves to $(realpath "$S/keys/fw.sealed")" "$T/err" &&
	    [ ! -e "$T/mx/o.sig" ] && ok "... naming where it resolves, nothing written" ||
	    fail "$m manifest: $(cat "$T/err")"
done
printf 'version: 1\nkey: fw\nimages:\n  - file: x\n    format: mcuboot\n    output: o\n    mcuboot: {header_size: 512, pad_header: yes}\n' > "$T/m4.yaml"
badcase 2 "line 7: 'pad_header' must be true or false, not 'yes'" \
    "a manifest with pad_header: yes is refused, naming the line and value (kr_yaml_bool)" -- \
    -C "$S" sign batch "$T/m4.yaml"
# shellcheck disable=SC2046
badcase 2 "slot" "an image larger than the MCUboot slot is refused" -- -C "$S" \
    sign firmware --key fw --format mcuboot --in "$O/big.bin" --out "$O/bad.out" \
    --header-size 512 --pad-header --slot-size 131072 $(quorum fw) 3<"$T/ab.pw"
[ "$(state_snapshot "$S/keyrite.db" "$S")" = "$snap" ] &&
    ok "refusals changed nothing" || fail "a refusal changed the state"

# TEST-KEY-439: a manifest's sizes and addresses in hex, as on the command
# line (one reader, kr_size_parse).  Ed25519 signs deterministically: the
# batch with hex sizes makes the very images the one in decimal makes.
mkdir -p "$T/hex" "$T/dec"
head -c 70000 /dev/urandom > "$T/hex/a.bin"
head -c 90000 /dev/urandom > "$T/hex/b.bin"
cp "$T/hex/a.bin" "$T/hex/b.bin" "$T/dec/"
mcuboot_manifest() {
	printf 'version: 1\nkey: fwed\nimages:\n'
	printf '  - file: a.bin\n    format: mcuboot\n    output: a.img\n'
	printf '    version: 1.0.0\n    mcuboot: {header_size: %s, ' "$1"
	printf 'pad_header: true, align: %s, slot_size: %s}\n' "$2" "$3"
	printf '  - file: b.bin\n    format: mcuboot\n    output: b.img\n'
	printf '    version: 1.0.1\n    mcuboot: {header_size: %s, ' "$1"
	printf 'pad_header: true, slot_size: %s, load_addr: %s, ' "$4" "$5"
	printf 'security_counter: %s}\n' "$6"
}
mcuboot_manifest 0x200 0x8 0x20000 0x40000 0x8000 0x2A > "$T/hex/manifest.yaml"
mcuboot_manifest 512 8 131072 262144 32768 42 > "$T/dec/manifest.yaml"
issue fwed sign batch "$T/hex/manifest.yaml"
hrc=$rc
issue fwed sign batch "$T/dec/manifest.yaml"
[ "$hrc" -eq 0 ] && [ "$rc" -eq 0 ] &&
    python3 "$TOOLS/mcuboot_verify.py" "$T/hex/a.img" "$O/fwed.pub.pem" \
    >"$T/v" 2>&1 &&
    python3 "$TOOLS/mcuboot_verify.py" "$T/hex/b.img" "$O/fwed.pub.pem" \
    >>"$T/v" 2>&1 &&
    ok "a manifest with hex sizes (header_size: 0x200, slot_size: 0x40000): MCUboot images the independent verifier accepts" ||
    fail "hex manifest: exit $hrc/$rc $(cat "$T/v" "$T/err")"
cmp -s "$T/hex/a.img" "$T/dec/a.img" && cmp -s "$T/hex/b.img" "$T/dec/b.img" &&
    ok "... byte for byte the images of the same manifest in decimal" ||
    fail "hex and decimal manifests gave different images"
# A bad value in the second entry: refused naming the manifest, the entry
# and the field; nothing signed, nothing recorded.
mkdir -p "$T/badhex"
cp "$T/hex/a.bin" "$T/hex/b.bin" "$T/badhex/"
for bad in 0x4000g 0x 0x100000000 -0x10; do
	mcuboot_manifest 0x200 0x8 0x20000 "$bad" 0 1 > "$T/badhex/manifest.yaml"
	before=$(state_snapshot "$S/keyrite.db" "$S" "$T/badhex")
	issue fwed sign batch "$T/badhex/manifest.yaml"
	[ "$rc" -eq 2 ] &&
	    grep -qF "$T/badhex/manifest.yaml, line 13, the entry for b.bin: mcuboot slot_size wants a size or address in bytes" "$T/err" &&
	    grep -qF "not '$bad'" "$T/err" &&
	    [ "$(state_snapshot "$S/keyrite.db" "$S" "$T/badhex")" = "$before" ] &&
	    ok "a manifest with slot_size: $bad refused naming the file, the entry and the field (exit 2), nothing signed or recorded" ||
	    fail "bad manifest slot_size $bad: exit $rc $(cat "$T/err")"
done

# TEST-KEY-524: every entry of a batch is checked as its format would
# check it before the quorum is asked (kr_fw_check_file): an MCUboot
# image too big for its slot, a minisign entry for a P-256 key and a
# RAUC entry that is no squashfs, each third in a batch after two good
# raw entries, are refused naming the image, with no passphrase read and
# nothing signed, recorded or written (they were found half way, after
# the unlock, the first two images signed).
mkdir -p "$T/half"
head -c 2000 /dev/urandom > "$T/half/a.bin"
head -c 2000 /dev/urandom > "$T/half/b.bin"
head -c 300000 /dev/urandom > "$T/half/c.bin"
third_mcuboot='    format: mcuboot\n    output: c.img\n    mcuboot: {header_size: 512, pad_header: true, slot_size: 65536}\n'
third_minisign='    format: minisign\n    output: c.img\n'
third_rauc='    format: rauc\n    output: c.img\n'
for third in mcuboot minisign rauc; do
	eval "entry=\$third_$third"
	printf "version: 1\nkey: fw\ncert: $O/fw.pem\nimages:\n  - file: a.bin\n    format: raw\n    output: a.sig\n  - file: b.bin\n    format: raw\n    output: b.sig\n  - file: c.bin\n$entry" \
	    > "$T/half/manifest.yaml"
	case $third in
	mcuboot) why="does not fit the MCUboot slot" code=2 ;;
	minisign) why="minisign signatures are Ed25519 signatures" code=1 ;;
	rauc) why="not a squashfs image" code=2 ;;
	esac
	before=$(state_snapshot "$S/keyrite.db" "$S")
	unasked fw sign batch "$T/half/manifest.yaml"
	refused "$code" "a batch whose third entry ($third) signing would refuse is refused before the quorum" "$why" "c.bin"
	[ ! -e "$T/half/a.sig" ] && [ ! -e "$T/half/b.sig" ] && [ ! -e "$T/half/c.img" ] ||
	    fail "$third: an output was written: $(ls "$T/half")"
done
# A failure of the signing itself half way (the third image's record
# refused: an sqlite3 trigger, dropped after): the images before it stay
# signed, recorded and written, and the failed one is named.
printf 'version: 1\nkey: fw\nimages:\n  - file: a.bin\n    format: raw\n    output: a.sig\n  - file: b.bin\n    format: raw\n    output: b.sig\n  - file: c.bin\n    format: raw\n    output: c.sig\n' \
    > "$T/half/manifest.yaml"
sqlite3 "$S/keyrite.db" "CREATE TRIGGER half_way BEFORE INSERT ON signatures
    WHEN NEW.image_name LIKE '%c.bin' BEGIN SELECT RAISE(ABORT,
    'disk full (test)'); END"
issue fw sign batch "$T/half/manifest.yaml"
sqlite3 "$S/keyrite.db" "DROP TRIGGER half_way"
[ "$rc" -ne 0 ] && grep -q "image 3 of 3 (.*c.bin) failed; the 2 before it are signed, recorded and written" "$T/err" &&
    grep -q "disk full (test)" "$T/err" &&
    openssl dgst -sha256 -verify "$O/fw.pub.pem" -signature "$T/half/a.sig" "$T/half/a.bin" >/dev/null 2>&1 &&
    openssl dgst -sha256 -verify "$O/fw.pub.pem" -signature "$T/half/b.sig" "$T/half/b.bin" >/dev/null 2>&1 &&
    [ ! -e "$T/half/c.sig" ] &&
    ok "a batch whose signing fails at image 3 keeps images 1 and 2 signed (openssl dgst), recorded and written, and names the failure" ||
    fail "half batch: exit $rc $(cat "$T/err")"
run -C "$S" audit verify
[ "$rc" -eq 0 ] && ok "audit chain intact" || fail "audit verify"
finish
