#!/bin/sh
# TEST-KEY-312: an export to a really mounted FAT file system (mkfs.vfat,
# then mount -o loop, or where the kernel has no vfat, fusefat through
# FUSE, whose rename knows no RENAME_NOREPLACE and which has no hard
# links): the files are staged, renamed and synced on FAT, and after an
# unmount and a fresh mount (nothing from the page cache) `sha256sum -c`,
# `keyrite export verify` and `audit verify --bundle` accept the medium,
# sub-folders included; a file already on the medium is refused, left
# as it was.  Where the machine can mount FAT neither way (no root, no
# loop device or vfat, no FUSE) the test is skipped (exit 77), saying
# why; export.sh still checks a FAT image through mtools.
. "$(dirname "$0")/lib.sh"
set -e

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "a loop mount needs root"
if ! command -v mkfs.vfat >/dev/null; then
	apt-get install -y dosfstools >/dev/null 2>&1 || true
fi
command -v mkfs.vfat >/dev/null || skip "mkfs.vfat (dosfstools) is missing and could not be installed"
img="$T/medium.img"
M="$T/mnt"
mkdir -p "$M"
# 32 KiB clusters: no folder of the test grows past one cluster.  (fusefat
# 0.1a writes a growing sub-folder's entries over the first cluster of a
# file in it; keyrite's read-back refuses such a medium: "read back from
# the medium differs from what was written ... use another".)
dd if=/dev/zero of="$img" bs=1M count=32 2>/dev/null
mkfs.vfat -s 64 -n KEYRITE "$img" >/dev/null 2>&1 || skip "mkfs.vfat failed"
# mount_fat [ro]: the image at $M, by the kernel or else through FUSE.
how=""
mount_fat() {
	case $how in
	vfat) mount -t vfat -o "loop${1:+,$1}" "$img" "$M" ;;
	fuse) fusefat -o "${1:-rw+}" "$img" "$M" >/dev/null ;;
	esac
}
unmount_fat() { umount "$M" 2>/dev/null || fusermount -u "$M"; }
how=vfat
if ! mount_fat 2>"$T/mount.err"; then
	why=$(head -n 1 "$T/mount.err")
	command -v fusefat >/dev/null ||
	    apt-get install -y fusefat >/dev/null 2>&1 || true
	how=fuse
	command -v fusefat >/dev/null && [ -c /dev/fuse ] && mount_fat 2>/dev/null ||
	    skip "this machine allows no loop mount of vfat ($why) and no FUSE mount (fusefat)"
	echo "# the kernel mounts no vfat here ($why): fusefat mounts the image"
fi
trap 'unmount_fat 2>/dev/null || true; rm -rf "$T"' EXIT

revoking_ca "$T/s" "CN=FAT Root"
issue root crl publish --issuer-key root --out "$T/1.crl"
[ "$rc" -eq 0 ] || fail "crl publish: $(cat "$T/err")"
run -C "$S" audit export --out "$T/bundle"
[ "$rc" -eq 0 ] || fail "audit export: $(cat "$T/err")"
mkdir "$M/2027-01"
run -C "$S" export --to "$M/2027-01" --all
[ "$rc" -eq 0 ] && tail -n 1 "$T/out" | grep -q "safe to remove" &&
    ok "export --all onto a mounted FAT file system ($how)" ||
    fail "export to vfat: $(cat "$T/err")"
ls -R "$M/2027-01" > "$T/listing"
grep -q "tmp-" "$T/listing" && fail "a temporary name is left on the medium" ||
    ok "no temporary name is left on the medium"
mkdir "$M/again"
cp "$M/2027-01/SHA256SUMS" "$M/again/SHA256SUMS"
run -C "$S" export --to "$M/again" --all
[ "$rc" -ne 0 ] && grep -q "export folder $M/again is not empty (it holds SHA256SUMS)" "$T/err" &&
    [ "$(ls "$M/again")" = SHA256SUMS ] &&
    cmp -s "$M/again/SHA256SUMS" "$M/2027-01/SHA256SUMS" &&
    ok "a file already on the medium is refused and left as it was" ||
    fail "existing file on FAT: exit $rc $(cat "$T/err") $(ls "$M/again")"
unmount_fat
mount_fat ro || fail "the medium does not mount again"
(cd "$M/2027-01" && sha256sum -c --quiet SHA256SUMS) &&
    ok "sha256sum -c on the medium after a fresh mount" || fail "sha256sum -c on vfat"
expect 0 "Export verified" "export verify on the medium after a fresh mount" -- \
    export verify "$M/2027-01"
b=$(ls -d "$M"/2027-01/audit-* | head -n 1)
expect 0 "audit bundle intact" "the exported audit bundle checks on the medium" -- \
    -C "$T/none" audit verify --bundle "$b"
finish
