#!/bin/sh
# Benchmark: `keyrite provision batch` against the signing rate of its own
# back end and against OpenSSL, in one run, for a P-256 (Mbed TLS) and an
# Ed25519 (libsodium) issuing key:
#
#   batch     `provision batch` of N CSRs (default 10,000), whole wall
#             time: every CSR read and its signature checked, the reuse
#             and duplicate checks, the quorum unlock, per device sign,
#             verify, record (one transaction and audit row) and write
#             DEVICE.crt and DEVICE.yaml through the media writer
#   backend   the same kind of sealed key signing TBS-sized messages
#             through kr_signer_sign alone (test/bench/provision_bench.c)
#   crypto    the least cryptography any correct issuer does per device,
#             alone, on one thread: the CSR's signature checked (proof of
#             possession), a TBS-sized message signed, that signature
#             verified (the fault check) by one kr_verifier, which keeps
#             the issuer key's multiples, as provision batch does
#   crypto1   the same with the fault check by kr_sig_verify alone (the
#             key loaded and its multiples computed for each signature)
#   openssl   `openssl x509 -req -CA` run once per CSR (a sample of
#             OPENSSL_SAMPLE CSRs, default 300; the rate is per CSR)
#
# and the peak memory (maximum resident set, /usr/bin/time) of batches of
# N/10 and N devices; then the fault check alone, per signature, both
# ways (provision_bench verify).  Not a test: it prints the rates and the ratios
# (batch / backend, target >= 0.8; batch / crypto, what keyrite adds to
# the cryptography; batch / openssl, target >= 40; peak memory, target
# <= 64 MB whatever N) and the load average before and after each
# issuer's runs; docs/performance.md records them.
#
#   test/bench/provision_bench.sh [N]            (after ./run build)
#
# Three runs: a P-256 issuer certifying P-256 device keys, an Ed25519
# issuer certifying the same P-256 keys, and an Ed25519 issuer certifying
# Ed25519 device keys (a line whose devices use the issuer's algorithm).
# The P-256 device keys and CSRs are made once with Mbed TLS by
# provision_bench and kept in $PROVBENCH_CSRS (default
# /tmp/keyrite-provbench-csrs), the Ed25519 ones by python3's cryptography
# in $PROVBENCH_CSRS-ed25519, for the next run.  The state folders use `--kdf-profile test` (passphrase
# stretching is slow on purpose and not what this measures).
set -eu

N=${1:-10000}
SMALL=$((N / 10))
SAMPLE=${OPENSSL_SAMPLE:-300}
top=$(cd "$(dirname "$0")/../.." && pwd)
KR=${KEYRITE:-$top/build/src/cli/keyrite}
PB=${PROVISION_BENCH:-$top/build/test/unit/keystore/provision_bench}
for f in "$KR" "$PB"; do
	[ -x "$f" ] || { echo "build first: ./run build (needs $f)" >&2; exit 2; }
done
C=${PROVBENCH_CSRS:-/tmp/keyrite-provbench-csrs}
T=$(mktemp -d "${TMPDIR:-/tmp}/keyrite-provbench.XXXXXX")
trap 'rm -rf "$T"' EXIT

# csrs: N P-256 device CSRs in $C (made once by provision_bench csrs,
# Mbed TLS), device ids P0000001...; both issuers certify the same set,
# each in state folders of its own.
csrs() {
	mkdir -p "$C"
	have=$(find "$C" -name '*.csr' | wc -l)
	[ "$have" -ge "$N" ] && return 0
	echo "making $N P-256 CSRs (once, kept in $C)"
	rm -f "$C"/*.csr
	"$PB" csrs "$C" "$N"
}

# csrs_ed: N Ed25519 device CSRs in $C-ed25519 (made once by python3's
# cryptography: Mbed TLS 2.28 has no Ed25519), device ids E0000001...
csrs_ed() {
	mkdir -p "$C-ed25519"
	have=$(find "$C-ed25519" -name '*.csr' | wc -l)
	[ "$have" -ge "$N" ] && return 0
	echo "making $N Ed25519 CSRs (once, kept in $C-ed25519)"
	rm -f "$C-ed25519"/*.csr
	python3 - "$C-ed25519" "$N" <<'PY'
import sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
d, n = sys.argv[1], int(sys.argv[2])
for i in range(1, n + 1):
    k = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, "E%07d" % i)])
    req = x509.CertificateSigningRequestBuilder().subject_name(name).sign(k,
        None)
    with open("%s/d%07d.csr" % (d, i), "xb") as f:
        f.write(req.public_bytes(serialization.Encoding.PEM))
PY
}

# subset DEV K: a folder holding the first K CSRs of device keys DEV
# (p256, ed25519), hard links where it can.
subset() {
	src=$C
	[ "$1" = p256 ] || src=$C-$1
	mkdir -p "$T/in-$1-$2"
	find "$src" -name '*.csr' | sort | head -n "$2" |
	    while read -r f; do ln "$f" "$T/in-$1-$2/" 2>/dev/null ||
	    cp "$f" "$T/in-$1-$2/"; done
}

printf 'bench passphrase a\nbench passphrase b\nbench passphrase c\n' > "$T/pw3"
printf 'bench passphrase a\nbench passphrase b\n' > "$T/pw2"
# state ALG K: a state folder for the batch of K devices under a root
# key of ALG (a device key is certified once per appliance).
state() {
	S="$T/state-$1-$2"
	"$KR" -C "$S" init --kdf-profile test >/dev/null
	mkdir -p "$T/sh-$1-$2"
	"$KR" -C "$S" key generate "ca-$1" --alg "$1" --purpose ca \
	    --threshold 2 --custodian a --custodian b --custodian c \
	    --share-dir "$T/sh-$1-$2" --passphrase-fd 3 3<"$T/pw3" \
	    >/dev/null 2>&1
	"$KR" -C "$S" cert root --key "ca-$1" --profile root \
	    --subject "CN=Bench $1" --out "$T/ca-$1-$2.pem" --yes \
	    --share "$T/sh-$1-$2/a/ca-$1.share" \
	    --share "$T/sh-$1-$2/b/ca-$1.share" \
	    --passphrase-fd 3 3<"$T/pw2" >/dev/null 2>&1
}

# batch ALG DEV K: provision K devices (keys DEV) under ALG; prints
# "SECONDS MAXRSS_KIB"
batch() {
	state "$1" "$3-$2"
	mkdir -p "$T/out-$1-$2-$3"
	/usr/bin/time -f '%e %M' -o "$T/time" "$KR" -C "$S" provision batch \
	    --issuer-key "ca-$1" --csr-dir "$T/in-$2-$3" \
	    --out-dir "$T/out-$1-$2-$3" \
	    --operator bench --yes --share "$T/sh-$1-$3-$2/a/ca-$1.share" \
	    --share "$T/sh-$1-$3-$2/b/ca-$1.share" --passphrase-fd 3 3<"$T/pw2" \
	    >/dev/null 2>"$T/err" || { cat "$T/err" >&2; exit 1; }
	cat "$T/time"
}

# openssl ALG DEV: SAMPLE CSRs of keys DEV, one `openssl x509 -req -CA`
# each under an OpenSSL key of ALG; seconds
ossl() {
	if [ "$1" = p256 ]; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		    -out "$T/o-$1.key" 2>/dev/null
	else
		openssl genpkey -algorithm ed25519 -out "$T/o-$1.key" 2>/dev/null
	fi
	openssl req -new -x509 -key "$T/o-$1.key" -subj "/CN=OpenSSL $1" \
	    -days 30 -out "$T/o-$1.pem" 2>/dev/null
	find "$T/in-$2-$N" -name '*.csr' | sort | head -n "$SAMPLE" > "$T/o-list"
	rm -rf "$T/o-$1"
	mkdir -p "$T/o-$1"
	/usr/bin/time -f '%e' -o "$T/time" sh -c "i=0; while read -r f; do
	    i=\$((i + 1)); openssl x509 -req -in \"\$f\" -CA \"$T/o-$1.pem\" \
	    -CAkey \"$T/o-$1.key\" -days 30 -set_serial \$i \
	    -out \"$T/o-$1/\$i.pem\" 2>/dev/null || exit 1; done < \"$T/o-list\""
	cat "$T/time"
}

csrs
csrs_ed
for d in p256 ed25519; do
	subset "$d" "$SMALL"
	subset "$d" "$N"
done

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %9s %9s %9s %9s %9s %8s %8s %8s %7s %7s\n' \
    "issuer/devices" "batch/s" "backend/s" "crypto/s" "crypto1/s" "openssl/s" "c/back" \
    "c/crypto" "c/ossl" "MB@$SMALL" "MB@$N"
for kd in p256/p256 ed25519/p256 ed25519/ed25519; do
	k=${kd%/*}
	d=${kd#*/}
	small=$(batch "$k" "$d" "$SMALL")
	big=$(batch "$k" "$d" "$N")
	secs=${big% *}
	back=$("$PB" sign "$k" "$N" | sed -n 's/^rate //p')
	"$PB" crypto "$k" "$N" "$T/in-$d-$N" > "$T/crypto"
	cry=$(sed -n 's/^rate //p' "$T/crypto")
	cry1=$(sed -n 's/^rate_oneshot //p' "$T/crypto")
	os=$(ossl "$k" "$d")
	awk -v k="$kd" -v n="$N" -v s="$secs" -v b="$back" -v c="$cry" \
	    -v c1="$cry1" -v o="$os" -v m="$SAMPLE" -v r1="${small#* }" \
	    -v r2="${big#* }" 'BEGIN {
		rate = n / s; orate = m / o
		printf "%-16s %9.0f %9.0f %9.0f %9.0f %9.1f %7.2fx %7.2fx " \
		    "%7.1fx %7.1f %7.1f\n", k, rate, b, c, c1, orate,
		    rate / b, rate / c, rate / orate, r1 / 1024, r2 / 1024
	}'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for k in p256 ed25519; do
	"$PB" verify "$k" 2000 | awk -v k="$k" '
	    /^oneshot_ms/ { o = $2 } /^verifier_ms/ { v = $2 }
	    END { printf "fault check alone, %s: kr_sig_verify %.3f ms, " \
		"kr_verifier %.3f ms\n", k, o, v }'
done
echo
echo "targets: batch/backend >= 0.8, batch/openssl >= 40, peak memory <= 64 MB"
