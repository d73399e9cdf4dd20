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
# Until `keyrite sign firmware` exists, keyrite's side is driven by
# firmware_bench (test/bench/firmware_bench.c, built with the tests): it
# unseals a key made at run time (timed, reported on its own line as the
# unlock) and then signs and writes the output (timed).  The peers are
# timed as whole processes; the image is read once first so every run
# finds it in the page cache.  Each side runs RUNS times (default 3) and
# the best time counts.
set -eu

RUNS=${1:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=${FIRMWARE_BENCH:-$top/build/test/unit/firmware/firmware_bench}
[ -x "$BENCH" ] || {
	echo "build first: ./run build (needs $BENCH)" >&2
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

mkdir "$T/p256" "$T/ed"
"$BENCH" keygen p256 "$T/p256"
"$BENCH" keygen ed25519 "$T/ed"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$T/openssl.pem" 2>/dev/null
minisign -G -W -s "$T/ms.key" -p "$T/ms.pub" >/dev/null

kr_raw="" ; ossl="" ; kr_ms="" ; ms="" ; unlock=""
i=0
while [ "$i" -lt "$RUNS" ]; do
	"$BENCH" sign raw "$T/p256" "$T/image.bin" "$T/kr.sig" > "$T/kr.out"
	kr_raw="$kr_raw $(sed -n 's/^sign //p' "$T/kr.out")"
	unlock="$unlock $(sed -n 's/^unlock //p' "$T/kr.out")"
	ossl="$ossl $(wall openssl dgst -sha256 -sign "$T/openssl.pem" \
	    -out "$T/ossl.sig" "$T/image.bin")"
	"$BENCH" sign minisign "$T/ed" "$T/image.bin" "$T/kr.minisig" \
	    > "$T/kr.out"
	kr_ms="$kr_ms $(sed -n 's/^sign //p' "$T/kr.out")"
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
echo "unlock (unseal the key, not counted below): ${unlock} s"
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
echo "raw P-256:  keyrite $kr_raw s, openssl dgst -sign $ossl s," \
    "ratio $(ratio "$kr_raw" "$ossl") (target <= 1.2)"
echo "minisign:   keyrite $kr_ms s, minisign -S $ms s," \
    "ratio $(ratio "$kr_ms" "$ms") (target <= 1.0)"
