#!/bin/sh
# Benchmark: signing a 1 GiB image, keyrite against its peers, in the same
# run on the same file:
#
#   raw P-256    keyrite's raw format (SHA-256 streamed, ECDSA)
#                vs `openssl dgst -sha256 -sign KEY.pem`
#   minisign     keyrite's minisign format (BLAKE2b-512 streamed, Ed25519)
#                vs `minisign -S` with a key made by `minisign -G -W`
#
# Not a test: it prints times and both ratios (keyrite / peer, lower is
# better; the targets are 1.2 and 1.0); docs/performance.md records them.
#
#   test/bench/firmware_bench.sh [RUNS]        (after ./run build)
#
# keyrite's side is the real command, `keyrite sign firmware`, in a state
# folder made with `--kdf-profile test` (passphrase stretching is slow on
# purpose and not what this measures): its whole wall time is counted,
# unlock, recording and writing included; the unlock alone (`quorum
# verify`) is reported on its own line.  The peers are timed as whole
# processes; the image is read once first so every run finds it in the
# page cache.  Each side runs RUNS times (default 3) and the best counts.
set -eu

RUNS=${1:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
KR=${KEYRITE:-$top/build/src/cli/keyrite}
[ -x "$KR" ] || {
	echo "build first: ./run build (needs $KR)" >&2
	exit 2
}
T=$(mktemp -d "${TMPDIR:-/tmp}/keyrite-fwbench.XXXXXX")
trap 'rm -rf "$T"' EXIT

# wall SECONDS of a command, its output thrown away
wall() {
	/usr/bin/time -f '%e' -o "$T/time" "$@" >/dev/null 2>"$T/err" || {
		echo "failed: $*" >&2
		cat "$T/err" >&2
		exit 1
	}
	cat "$T/time"
}

best() {
	printf '%s\n' "$@" | sort -n | head -n 1
}

echo "making a 1 GiB image"
head -c 1073741824 /dev/urandom > "$T/image.bin"
cat "$T/image.bin" > /dev/null

S="$T/state"
"$KR" -C "$S" init --kdf-profile test >/dev/null
printf 'bench passphrase a\nbench passphrase b\nbench passphrase c\n' > "$T/pw3"
printf 'bench passphrase a\nbench passphrase b\n' > "$T/pw2"
for k in p256 ed25519; do
	mkdir -p "$T/sh-$k"
	"$KR" -C "$S" key generate "bench-$k" --alg "$k" --purpose firmware \
	    --threshold 2 --custodian a --custodian b --custodian c \
	    --share-dir "$T/sh-$k" --passphrase-fd 3 3<"$T/pw3" >/dev/null 2>&1
done
mkdir -p "$T/p256" "$T/ed"
"$KR" -C "$S" key export-public bench-p256 > "$T/p256/pub.pem"
"$KR" -C "$S" key export-public bench-ed25519 --format minisign > "$T/ed/minisign.pub"
# ksign FORMAT ALG OUT: keyrite sign firmware, whole wall time
ksign() {
	rm -f "$3"
	wall sh -c "exec \"$KR\" -C \"$S\" sign firmware --key bench-$2 --format $1 \
	    --in \"$T/image.bin\" --out \"$3\" --share \"$T/sh-$2/a/bench-$2.share\" \
	    --share \"$T/sh-$2/b/bench-$2.share\" --passphrase-fd 3 3<\"$T/pw2\""
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$T/openssl.pem" 2>/dev/null
minisign -G -W -s "$T/ms.key" -p "$T/ms.pub" >/dev/null

kr_raw="" ; ossl="" ; kr_ms="" ; ms="" ; unlock=""
i=0
while [ "$i" -lt "$RUNS" ]; do
	kr_raw="$kr_raw $(ksign raw p256 "$T/kr.sig")"
	unlock="$unlock $(wall sh -c "exec \"$KR\" -C \"$S\" quorum verify \
	    --key bench-p256 --share \"$T/sh-p256/a/bench-p256.share\" \
	    --share \"$T/sh-p256/b/bench-p256.share\" --passphrase-fd 3 3<\"$T/pw2\"")"
	ossl="$ossl $(wall openssl dgst -sha256 -sign "$T/openssl.pem" \
	    -out "$T/ossl.sig" "$T/image.bin")"
	kr_ms="$kr_ms $(ksign minisign ed25519 "$T/kr.minisig")"
	rm -f "$T/ms.minisig"
	ms="$ms $(wall minisign -S -s "$T/ms.key" -m "$T/image.bin" \
	    -x "$T/ms.minisig")"
	i=$((i + 1))
done

# The outputs must verify, or the times mean nothing.
openssl dgst -sha256 -verify "$T/p256/pub.pem" -signature "$T/kr.sig" \
    "$T/image.bin" >/dev/null
minisign -Vm "$T/image.bin" -x "$T/kr.minisig" -p "$T/ed/minisign.pub" \
    >/dev/null

# shellcheck disable=SC2086
{
	kr_raw=$(best $kr_raw); ossl=$(best $ossl)
	kr_ms=$(best $kr_ms); ms=$(best $ms); unlock=$(best $unlock)
}
echo "unlock alone (quorum verify, test KDF profile; counted below): ${unlock} s"
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
echo "raw P-256:  keyrite $kr_raw s, openssl dgst -sign $ossl s," \
    "ratio $(ratio "$kr_raw" "$ossl") (target <= 1.2)"
echo "minisign:   keyrite $kr_ms s, minisign -S $ms s," \
    "ratio $(ratio "$kr_ms" "$ms") (target <= 1.0)"
