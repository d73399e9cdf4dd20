#!/bin/sh
# Benchmark: publishing a CRL of N revoked certificates (default 1,000,000),
# keyrite against `openssl ca -gencrl` over the same index.txt, in the same
# run on the same machine.  Not a test: it prints times, peak memory and
# the ratio; docs/performance.md records the results.
#
#   test/bench/crl_bench.sh [N]      (after ./run build)
#
# The state folder uses `--kdf-profile test`: passphrase stretching is slow
# on purpose and is not what this measures; the unlock time is reported on
# its own line.
set -eu

N=${1:-1000000}
top=$(cd "$(dirname "$0")/../.." && pwd)
KR=${KEYRITE:-$top/build/src/cli/keyrite}
[ -x "$KR" ] || { echo "build keyrite first: ./run build" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/keyrite-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

# measure LABEL CMD...: wall seconds and peak RSS (MiB) from GNU time.
# The previous step's writes are flushed first (sync), so that neither
# tool pays for the other's, or the import's, writeback.
measure() {
	label=$1
	shift
	sync
	/usr/bin/time -f '%e %M' -o "$T/time" "$@" >"$T/$label.out" 2>"$T/$label.err" || {
		echo "$label failed:" >&2
		cat "$T/$label.err" >&2
		exit 1
	}
	read -r secs kib < "$T/time"
	eval "${label}_s=$secs"
	eval "${label}_mib=$((kib / 1024))"
}

echo "generating an index.txt of $N revoked certificates"
python3 - "$N" "$T/index.txt" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        serial = "%032X" % (0x1000000000000000000000000000000 + i * 7919)
        f.write("R\t351231000000Z\t261101120000Z,keyCompromise\t%s\tunknown\t/CN=device-%d\n" % (serial, i))
PY

S="$T/state"
"$KR" -C "$S" init --kdf-profile test >/dev/null
mkdir -p "$T/sh"
printf 'bench passphrase a\nbench passphrase b\nbench passphrase c\n' > "$T/pw3"
"$KR" -C "$S" key generate bench-root --alg p256 --purpose ca --threshold 2 \
    --custodian a --custodian b --custodian c --share-dir "$T/sh" \
    --passphrase-fd 3 3<"$T/pw3" >/dev/null 2>&1
printf 'bench passphrase a\nbench passphrase b\n' > "$T/pw2"
Q="--share $T/sh/a/bench-root.share --share $T/sh/b/bench-root.share --passphrase-fd 3"
# shellcheck disable=SC2086
"$KR" -C "$S" cert root --key bench-root --profile root --subject "CN=Bench Root" \
    --out "$T/root.pem" $Q 3<"$T/pw2" >/dev/null

# shellcheck disable=SC2086
measure unlock "$KR" -C "$S" quorum verify --key bench-root $Q 3<"$T/pw2"
measure import "$KR" -C "$S" import openssl-index --issuer-key bench-root "$T/index.txt"
# shellcheck disable=SC2086
measure keyrite sh -c "exec \"$KR\" -C \"$S\" crl publish --issuer-key bench-root \
    --out \"$T/keyrite.crl\" $Q 3<\"$T/pw2\""

# The full replay of the audit chain against every record (1,000,000
# revocations and the published CRL), as every command does at open.
measure replay "$KR" -C "$S" audit verify

C="$T/oca"
mkdir -p "$C"
cp "$T/index.txt" "$C/index.txt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$C/ca.key" -subj "/CN=Bench OpenSSL CA" -days 3650 -out "$C/ca.pem" 2>/dev/null
cat > "$C/ca.cnf" <<CNF
[ ca ]
default_ca = d
[ d ]
dir = $C
database = \$dir/index.txt
private_key = \$dir/ca.key
certificate = \$dir/ca.pem
default_md = sha256
default_crl_days = 30
CNF
measure openssl openssl ca -gencrl -config "$C/ca.cnf" -out "$C/crl.pem"

ours=$(openssl crl -inform DER -in "$T/keyrite.crl" -noout -text | grep -c 'Serial Number')
theirs=$(openssl crl -in "$C/crl.pem" -noout -text | grep -c 'Serial Number')
openssl crl -inform DER -in "$T/keyrite.crl" -CAfile "$T/root.pem" -noout -verify 2>&1 |
    grep -q 'verify OK' || { echo "keyrite's CRL does not verify" >&2; exit 1; }

ratio=$(python3 -c "print('%.3f' % ($keyrite_s / $openssl_s))")
echo
echo "entries:                  keyrite $ours, openssl $theirs"
echo "unlock (quorum verify):   ${unlock_s} s"
echo "import openssl-index:     ${import_s} s, ${import_mib} MiB peak (target <= 5 s)"
echo "keyrite crl publish:      ${keyrite_s} s, ${keyrite_mib} MiB peak (includes the unlock)"
echo "openssl ca -gencrl:       ${openssl_s} s, ${openssl_mib} MiB peak"
echo "ratio keyrite/openssl:    $ratio (target <= 0.1; peak RSS target <= 100 MiB)"
echo "audit verify (replay):    ${replay_s} s, ${replay_mib} MiB peak (target <= 10 s, <= 200 MiB)"
