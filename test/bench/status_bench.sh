#!/bin/sh
# Benchmark: `keyrite status` and `keyrite status --json` on an appliance
# that provisioned N device certificates (default 50,000, the most one
# `provision batch` takes), against sqlite3 reading the same rows bare.
# Not a test: it prints the wall time and peak memory (/usr/bin/time) of
# each, the ratio keyrite / sqlite3 and the load average;
# docs/performance.md records the results.
#
#   test/bench/status_bench.sh [N]            (after ./run build)
#
# The state (an Ed25519 root certifying N P-256 device keys, `--kdf-profile
# test`) is made once and kept in $STATUS_BENCH_DIR (default
# /tmp/keyrite-statusbench-N) for the next run: provisioning 50,000
# devices takes a minute or two.  The device CSRs are made by
# provision_bench csrs (Mbed TLS), as test/bench/provision_bench.sh does.
#
# The peer, sqlite3 on the same database, reads what status reads of every
# certificate (the row's columns and its DER) with no checks: the least a
# reader of those rows can do.  The count(*) line is printed for scale.
set -eu

N=${1:-50000}
top=$(cd "$(dirname "$0")/../.." && pwd)
KR=${KEYRITE:-$top/build/src/cli/keyrite}
PB=${PROVISION_BENCH:-$top/build/test/unit/keystore/provision_bench}
for f in "$KR" "$PB"; do
	[ -x "$f" ] || { echo "build first: ./run build (needs $f)" >&2; exit 2; }
done
command -v sqlite3 >/dev/null || { echo "needs sqlite3" >&2; exit 2; }
D=${STATUS_BENCH_DIR:-/tmp/keyrite-statusbench-$N}
S="$D/state"
T=$(mktemp -d "${TMPDIR:-/tmp}/keyrite-statusbench.XXXXXX")
trap 'rm -rf "$T"' EXIT

# make_state: the root, then one batch of N devices; $D/ready once done.
make_state() {
	rm -rf "$D"
	mkdir -p "$D/csrs" "$D/sh" "$D/out"
	echo "making $N P-256 device CSRs and provisioning them (once, kept in $D)"
	"$PB" csrs "$D/csrs" "$N"
	printf 'bench passphrase a\nbench passphrase b\nbench passphrase c\n' \
	    > "$D/pw3"
	printf 'bench passphrase a\nbench passphrase b\n' > "$D/pw2"
	"$KR" -C "$S" init --kdf-profile test >/dev/null
	"$KR" -C "$S" key generate ca --alg ed25519 --purpose ca \
	    --threshold 2 --custodian a --custodian b --custodian c \
	    --share-dir "$D/sh" --passphrase-fd 3 3<"$D/pw3" >/dev/null 2>&1
	"$KR" -C "$S" cert root --key ca --profile root \
	    --subject "CN=Status Bench Root" --out "$D/root.pem" --yes \
	    --share "$D/sh/a/ca.share" --share "$D/sh/b/ca.share" \
	    --passphrase-fd 3 3<"$D/pw2" >/dev/null 2>&1
	/usr/bin/time -f '%e s, %M KiB' -o "$D/batch.time" \
	    "$KR" -C "$S" provision batch --issuer-key ca --csr-dir "$D/csrs" \
	    --out-dir "$D/out" --operator bench --yes \
	    --share "$D/sh/a/ca.share" --share "$D/sh/b/ca.share" \
	    --passphrase-fd 3 3<"$D/pw2" >/dev/null 2>"$T/err" ||
	    { cat "$T/err" >&2; exit 1; }
	echo "provision batch of $N: $(cat "$D/batch.time")"
	rm -rf "$D/out"
	echo "$N" > "$D/ready"
}

[ "$(cat "$D/ready" 2>/dev/null)" = "$N" ] || make_state

# measure LABEL CMD...: "SECONDS KIB" of one run, its output kept.
measure() {
	label=$1
	shift
	sync
	/usr/bin/time -f '%e %M' -o "$T/time" "$@" >"$T/$label.out" \
	    2>"$T/$label.err" || {
		echo "$label failed:" >&2
		cat "$T/$label.err" >&2
		exit 1
	}
	cat "$T/time"
}

certs=$(sqlite3 "$S/keyrite.db" 'select count(*) from certificates')
echo "certificates: $certs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
peer=$(measure peer sqlite3 "$S/keyrite.db" "select id, issuer_key_id,
    serial, subject, subject_der, issuer_der, not_before, not_after,
    spki_sha256, subject_key_id, profile, kind, is_ca, der, sha256, created
    from certificates")
count=$(measure count sqlite3 "$S/keyrite.db" 'select count(*) from certificates')
text=$(measure status "$KR" -C "$S" status)
json=$(measure json "$KR" -C "$S" status --json)
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/json.out" ||
    { echo "status --json is not JSON" >&2; exit 1; }
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %8s %9s %8s\n' step seconds "peak MiB" "x sqlite3"
for l in "status:$text" "status --json:$json" \
    "sqlite3, every certificate row:$peer" \
    "sqlite3, count(*):$count"; do
	name=${l%%:*}
	v=${l#*:}
	awk -v n="$name" -v s="${v% *}" -v k="${v#* }" -v p="${peer% *}" \
	    'BEGIN { r = p > 0 ? s / p : 0
		printf "%-34s %8.2f %9.1f %8.1f\n", n, s, k / 1024, r }'
done
echo
echo "target: status in about a second or less at 50,000 devices"
