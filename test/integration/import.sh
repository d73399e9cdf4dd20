#!/bin/sh
# keyrite import --from DIR: a job's inputs into the intake area, every
# file checked first (TEST-KEY-347..349); the open-time cleanup keeps a
# staged folder its row lists when it differs (TEST-KEY-318).
. "$(dirname "$0")/lib.sh"
set -e
S="$T/state"
make_state "$S"
gen_ca "$S" root p256 ca
issue root cert root --key root --profile root --subject "CN=Import Root" \
    --out "$T/root.pem"
[ "$rc" -eq 0 ] && ok "root certificate" || fail "cert root: exit $rc"

M="$T/medium"
mkdir -p "$M"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/leaf.key" -subj "/CN=leaf" -out "$M/leaf.csr" 2>/dev/null
head -c 4096 /dev/urandom > "$M/fw.bin"

# refused IMPORT-CHECK NAME: the import failed naming NAME, intake unchanged
intake_same() {
	now=$(state_snapshot "$S/keyrite.db" "$S")
	if [ "$rc" -ne 0 ] && grep -q -- "$2" "$T/err" && [ "$now" = "$before" ] &&
	    [ -z "$(ls "$S/intake" 2>/dev/null)" ]; then
		ok "$1 refused naming $2, intake unchanged (exit $rc)"
	else
		fail "$1: exit $rc"
	fi
}

# TEST-KEY-347: each bad file refuses the whole import, naming it.
before=$(state_snapshot "$S/keyrite.db" "$S")
head -c 70000 /dev/urandom > "$M/big.csr"
run -C "$S" import --from "$M"
intake_same "an oversize CSR" big.csr
rm "$M/big.csr"
ln -s /etc/passwd "$M/link.bin"
run -C "$S" import --from "$M"
intake_same "a symbolic link" link.bin
rm "$M/link.bin"
if mknod "$M/dev.bin" c 1 3 2>/dev/null; then
	run -C "$S" import --from "$M"
	intake_same "a device" dev.bin
	rm "$M/dev.bin"
else
	ln -s /dev/null "$M/dev.bin"
	run -C "$S" import --from "$M"
	intake_same "a link to a device" dev.bin
	rm "$M/dev.bin"
fi
mkfifo "$M/pipe.bin"
run -C "$S" import --from "$M"
intake_same "a FIFO" pipe.bin
rm "$M/pipe.bin"
echo "not a request" > "$M/text.csr"
run -C "$S" import --from "$M"
intake_same "text named .csr" text.csr
rm "$M/text.csr"
mkdir "$M/sub"
run -C "$S" import --from "$M"
intake_same "a sub-folder" sub
rmdir "$M/sub"
echo x > "$M/notes.doc"
run -C "$S" import --from "$M"
intake_same "an unknown type" notes.doc
rm "$M/notes.doc"

# TEST-KEY-348: a good import is listed and recorded.
run -C "$S" import --from "$M"
[ "$rc" -eq 0 ] && ok "good import (exit 0)" || fail "good import: exit $rc"
D=$(ls -d "$S"/intake/*/ | head -n 1)
cmp -s "$M/leaf.csr" "$D/leaf.csr" && cmp -s "$M/fw.bin" "$D/fw.bin" &&
    ok "the intake holds the files as they were" || fail "intake copies differ"
run -C "$S" import list
if [ "$rc" -eq 0 ] && grep -q "leaf.csr" "$T/out" && grep -q "csr" "$T/out" &&
    ! grep -q "NOT AS RECORDED" "$T/out"; then
	ok "import list shows the files as recorded"
else
	fail "import list: exit $rc"
fi
sha=$(sha256sum "$M/fw.bin" | cut -d' ' -f1)
sqlite3 "$S/keyrite.db" "select payload from audit where event = 'import.files'" |
    grep -q "$sha" && ok "the import.files row holds each SHA-256" ||
    fail "no import.files row with the image's SHA-256"

# TEST-KEY-349: an intake file is usable by path.
issue root cert issue --issuer-key root --csr "$D/leaf.csr" --profile device \
    --subject "CN=leaf" --out "$T/leaf.pem"
[ "$rc" -eq 0 ] && ok "cert issue --csr from the intake path" ||
    fail "cert issue from the intake: $(cat "$T/err")"

# TEST-KEY-520: an image signed from the intake is the file its import
# recorded: signed as imported (openssl dgst checks the signature), and
# refused once changed in the intake, naming both SHA-256 and what to do,
# nothing written or recorded.  A file of the state folder that no import
# brought in (the sealed key file) is never signed: it would be copied
# onto the medium.
gen_ca "$S" fw p256 firmware || fail "firmware key: $(cat "$T/gen.err")"
run -C "$S" key export-public fw
cp "$T/out" "$T/fw.pub.pem"
issue fw sign firmware --key fw --format raw --in "$D/fw.bin" --out "$T/fw.sig"
[ "$rc" -eq 0 ] && openssl dgst -sha256 -verify "$T/fw.pub.pem" \
    -signature "$T/fw.sig" "$D/fw.bin" >/dev/null 2>&1 &&
    ok "an image signed from the intake as imported (openssl dgst: Verified OK)" ||
    fail "sign from the intake: exit $rc $(cat "$T/err")"
cp "$D/fw.bin" "$T/fw.bin.orig"
flip "$D/fw.bin" 100
before=$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")
issue fw sign firmware --key fw --format raw --in "$D/fw.bin" --out "$T/fw2.sig"
want=$(sha256sum "$T/fw.bin.orig" | cut -d' ' -f1)
got=$(sha256sum "$D/fw.bin" | cut -d' ' -f1)
[ "$rc" -eq 1 ] && grep -q "is not the file import $(basename "$D") brought in" "$T/err" &&
    grep -q "its SHA-256 is $got, the import recorded $want" "$T/err" &&
    grep -q "import it again from the medium" "$T/err" && [ ! -e "$T/fw2.sig" ] &&
    [ "$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")" = "$before" ] &&
    ok "an intake image changed after its import is refused, both SHA-256 named, nothing signed or recorded" ||
    fail "changed intake image: exit $rc $(cat "$T/err")"
run -C "$S" import list
[ "$rc" -eq 1 ] && grep -q "${D%/}/fw.bin  (NOT AS RECORDED" "$T/out" &&
    grep -q "1 file in the intake is not as its import recorded" "$T/err" &&
    ok "... and import list marks it and exits 1" ||
    fail "import list of a changed file: exit $rc $(cat "$T/out" "$T/err")"
cp "$T/fw.bin.orig" "$D/fw.bin"
issue fw sign firmware --key fw --format raw --in "$S/keys/fw.sealed" \
    --out "$T/sealed.sig"
[ "$rc" -eq 1 ] && grep -q "is a file of the state folder" "$T/err" &&
    grep -q "never signs its own files" "$T/err" && [ ! -e "$T/sealed.sig" ] &&
    [ "$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")" = "$before" ] &&
    ok "a file of the state folder (the sealed key) is refused as an image, nothing signed" ||
    fail "state folder image: exit $rc $(cat "$T/err")"

# TEST-KEY-525: a manifest imported with its image is signed by its
# intake path with --out-dir; without it the outputs would go into the
# intake, inside the state folder: refused naming --out-dir, before the
# quorum.
M2="$T/medium2"
mkdir -p "$M2"
head -c 3000 /dev/urandom > "$M2/app.bin"
printf 'version: 1\nkey: fw\nimages:\n  - file: app.bin\n    format: raw\n    output: app.sig\n' > "$M2/manifest.yaml"
ls -d "$S"/intake/*/ | sort > "$T/ids.before"
run -C "$S" import --from "$M2"
D2=$(ls -d "$S"/intake/*/ | sort | comm -13 "$T/ids.before" - | head -n 1)
D2=${D2%/}
[ "$rc" -eq 0 ] && [ -s "$D2/manifest.yaml" ] || fail "import of a manifest: exit $rc $(cat "$T/err")"
before=$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")
issue fw sign batch "$D2/manifest.yaml"
[ "$rc" -eq 2 ] && grep -q "unless --out-dir DIR is given" "$T/err" &&
    grep -q "is inside the state folder" "$T/err" && [ ! -e "$D2/app.sig" ] &&
    [ "$(state_snapshot "$S/keyrite.db" "$S/keys" "$S/policy")" = "$before" ] &&
    ok "an imported manifest without --out-dir is refused naming --out-dir, nothing signed" ||
    fail "intake manifest without --out-dir: exit $rc $(cat "$T/err")"
mkdir -p "$T/out2"
issue fw sign batch "$D2/manifest.yaml" --out-dir "$T/out2"
[ "$rc" -eq 0 ] && openssl dgst -sha256 -verify "$T/fw.pub.pem" \
    -signature "$T/out2/app.sig" "$D2/app.bin" >/dev/null 2>&1 &&
    ok "... and with --out-dir it is signed (openssl dgst: Verified OK)" ||
    fail "intake manifest with --out-dir: exit $rc $(cat "$T/err")"

# TEST-KEY-318: the open-time cleanup removes a staged intake folder only
# when no row lists it; one a row lists whose file differs is kept, named.
id=$(basename "$D")
stage="$S/intake/$id.tmp-0123456789abcdef"
seq=$(sqlite3 "$S/keyrite.db" "SELECT seq FROM audit WHERE event = 'import.files' AND json_extract(payload, '\$.import_id') = '$id'")
mv "$S/intake/$id" "$stage"
printf x >> "$stage/fw.bin"
sum=$(sha256sum "$stage/fw.bin")
mkdir "$S/intake/20990101-0000.tmp-0123456789abcdef"
echo stray > "$S/intake/20990101-0000.tmp-0123456789abcdef/a.csr"
run -C "$S" import --from "$M"
[ "$rc" -eq 0 ] &&
    grep -q "audit row $seq records intake/$id but its file intake/$id.tmp-0123456789abcdef/fw.bin differs or cannot be read; nothing removed; run keyrite audit verify; restore intake/$id/fw.bin from a backup" "$T/err" &&
    [ "$(sha256sum "$stage/fw.bin")" = "$sum" ] && [ ! -e "$S/intake/$id" ] &&
    ok "a staged intake folder its row lists, one file changed: kept as it was, named with its row" ||
    fail "recorded intake folder that differs: exit $rc $(cat "$T/err")"
[ ! -e "$S/intake/20990101-0000.tmp-0123456789abcdef" ] &&
    grep -q "removed intake/20990101-0000.tmp-0123456789abcdef" "$T/err" &&
    ok "a staged intake folder no row lists is removed, said" ||
    fail "unrecorded staged folder: $(cat "$T/err")"
finish
