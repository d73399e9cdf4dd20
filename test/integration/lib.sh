# Shared helpers for keyrite's integration tests (POSIX sh).
# Each test sources this, gets a private temporary folder in $T, and calls
# ok/fail; the script exits non-zero if any check failed.
set -u

: "${KEYRITE:?KEYRITE must name the keyrite binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/keyrite-it.XXXXXX")
trap 'rm -rf "$T"' EXIT
FAILS=0
CHECKS=0

ok() { CHECKS=$((CHECKS + 1)); printf 'ok %d - %s\n' "$CHECKS" "$*"; }
fail() {
	CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1))
	printf 'not ok %d - %s\n' "$CHECKS" "$*"
	[ -f "$T/err" ] && sed 's/^/#   stderr: /' "$T/err" | head -n 5
	return 0
}
finish() {
	printf '%d checks, %d failed\n' "$CHECKS" "$FAILS"
	[ "$FAILS" -eq 0 ]
	exit $?
}

kr() { "$KEYRITE" "$@"; }

# --- under the sanitizers (./run test --sanitize sets KEYRITE_SANITIZE=1) ---

# needs_faketime: call before the first check of a test that runs keyrite
# under faketime.  faketime's LD_PRELOAD puts libfaketime ahead of the ASan
# runtime, which ASan refuses at start-up; ./run passes
# ASAN_OPTIONS=verify_asan_link_order=0, which lets them run together.
# Should faketime still fail to start the sanitized keyrite, the test is
# skipped (exit 77), saying why.  Without the sanitizers it does nothing.
needs_faketime() {
	[ "${KEYRITE_SANITIZE:-0}" = 1 ] || return 0
	command -v faketime >/dev/null || return 0
	faketime '2001-01-01 00:00:00' "$KEYRITE" --version >/dev/null 2>&1 &&
	    return 0
	echo "SKIP: under the sanitizers faketime cannot start keyrite (its" \
	    "LD_PRELOAD comes before the ASan runtime, which ASan refuses)"
	exit 77
}

# traced ARGS...: strace ARGS.  LeakSanitizer stops the process with ptrace
# to look for leaks at exit, which it cannot do under strace: traced runs
# check no leaks (the same commands run untraced in the other tests).
traced() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace "$@"
}

pass_of() { printf 'passphrase of %s, long enough\n' "$1"; }

# Runs keyrite with stdout in $T/out, stderr in $T/err; sets $rc.
run() {
	set +e
	"$KEYRITE" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}

# expect RC PATTERN DESCRIPTION -- keyrite args...
# The command must exit with RC and its stderr+stdout must match PATTERN.
expect() {
	want=$1 pat=$2 what=$3
	shift 4
	run "$@"
	if [ "$rc" -eq "$want" ] && cat "$T/out" "$T/err" | grep -q -- "$pat"; then
		ok "$what (exit $rc)"
	else
		fail "$what: wanted exit $want and /$pat/, got exit $rc"
		sed 's/^/#   stdout: /' "$T/out" | head -n 5
	fi
}

# A fingerprint of everything a failed command must not change: the
# database contents and the file listing of the folders given.
state_snapshot() {
	db=$1
	shift
	{
		sqlite3 "$db" .dump
		find "$@" -type f | sort | while read -r f; do
			sha256sum "$f"
		done
	} | sha256sum
}

# make_state DIR: an appliance with the test KDF profile.
make_state() {
	"$KEYRITE" -C "$1" init --kdf-profile test >/dev/null
}

# gen_key STATE NAME M SHAREDIR custodian...
gen_key() {
	st=$1 name=$2 m=$3 dir=$4
	shift 4
	mkdir -p "$dir"
	args=""
	for c in "$@"; do args="$args --custodian $c"; done
	for c in "$@"; do pass_of "$c"; done > "$T/gen.pw"
	# shellcheck disable=SC2086
	"$KEYRITE" -C "$st" key generate "$name" --alg p256 --purpose ca \
	    --threshold "$m" $args --share-dir "$dir" --passphrase-fd 3 \
	    3<"$T/gen.pw" >"$T/gen.out" 2>"$T/gen.err"
}

# verify_shares STATE KEY SHAREDIR custodian...: quorum verify, sets $rc
verify_shares() {
	st=$1 key=$2 dir=$3
	shift 3
	args=""
	: > "$T/ver.pw"
	for c in "$@"; do
		args="$args --share $dir/$c/$key.share"
		pass_of "$c" >> "$T/ver.pw"
	done
	set +e
	# shellcheck disable=SC2086
	"$KEYRITE" -C "$st" quorum verify --key "$key" $args \
	    --passphrase-fd 3 3<"$T/ver.pw" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}

# gen_ca STATE NAME ALG PURPOSE: a 2-of-3 key (custodians a, b, c) whose
# shares are in $T/sh-NAME/CUSTODIAN/NAME.share; quorum NAME then gives
# its unlock arguments.
gen_ca() {
	mkdir -p "$T/sh-$2"
	for c in a b c; do pass_of "$c"; done > "$T/gen.pw"
	"$KEYRITE" -C "$1" key generate "$2" --alg "$3" --purpose "$4" \
	    --threshold 2 --custodian a --custodian b --custodian c \
	    --share-dir "$T/sh-$2" --passphrase-fd 3 3<"$T/gen.pw" \
	    >"$T/gen.out" 2>"$T/gen.err"
}
# Custodians a and b present: --share options (passphrases on fd 3: $T/ab.pw).
quorum() {
	printf -- '--share %s --share %s --passphrase-fd 3' \
	    "$T/sh-$1/a/$1.share" "$T/sh-$1/b/$1.share"
	{ pass_of a; pass_of b; } > "$T/ab.pw"
}
# issue KEY keyrite-args...: runs keyrite -C "$S" with the quorum of KEY
# (custodians a and b of gen_ca); sets $rc, output in $T/out and $T/err.
issue() {
	key=$1
	shift
	# shellcheck disable=SC2046
	run -C "$S" "$@" $(quorum "$key") 3<"$T/ab.pw"
}

# unasked KEY keyrite-args...: runs keyrite on the state folder $S with the
# shares of custodians a and b of KEY but no passphrase on fd 3, so a
# command that asked for one would fail saying so.
unasked() {
	key=$1
	shift
	run -C "$S" "$@" --share "$T/sh-$key/a/$key.share" \
	    --share "$T/sh-$key/b/$key.share" --passphrase-fd 3 3</dev/null
}
# refused RC WHAT PATTERN...: the command run by `unasked` exited RC, its
# stderr matches every PATTERN (case-insensitive) and never mentions a
# passphrase, and $S is as the snapshot $before says.
refused() {
	want=$1 what=$2
	shift 2
	good=1
	[ "$rc" -eq "$want" ] || good=0
	for p in "$@"; do
		grep -qi -- "$p" "$T/err" || good=0
	done
	grep -qi "passphrase" "$T/err" && good=0
	now=$(state_snapshot "$S/keyrite.db" "$S")
	# shellcheck disable=SC2154 # $before is the caller's snapshot
	if [ "$good" -eq 1 ] && [ "$now" = "$before" ]; then
		ok "$what (exit $rc, nothing asked, state unchanged)"
	else
		fail "$what: exit $rc, state $([ "$now" = "$before" ] &&
		    echo unchanged || echo CHANGED)"
	fi
}

# --- tests at a terminal (tmux) ----------------------------------------
# tty_begin TAG: each `session` runs in a tmux server of its own (socket
# kr-TAG-PID-N); all are killed and their sockets removed at exit.
tty_begin() {
	tty_tag="kr-$1-$$"
	n=0
	sock="$tty_tag-0"
	trap tty_cleanup EXIT
}
tm() { tmux -L "$sock" "$@"; }
# tm_reap SOCKET: SIGKILL whatever still runs in the server's panes before
# the server goes.  A keyrite hung up with its terminal deleted leaves
# by itself, but under LeakSanitizer its leak check at exit can hang on
# that terminal for ever, spinning a core long after the test.
tm_reap() {
	for p in $(tmux -L "$1" list-panes -a -F '#{pane_pid}' 2>/dev/null); do
		pkill -KILL -P "$p" 2>/dev/null || true
	done
}
tty_cleanup() {
	i=0
	while [ "$i" -le "$n" ]; do
		tm_reap "$tty_tag-$i"
		tmux -L "$tty_tag-$i" kill-server >/dev/null 2>&1 || true
		rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$tty_tag-$i"
		i=$((i + 1))
	done
	rm -rf "$T"
}
# session CMD: a fresh server (the last one may still be exiting) running
# CMD, then "EXIT=status".
session() {
	tm kill-server >/dev/null 2>&1 || true
	n=$((n + 1))
	sock="$tty_tag-$n"
	tm new-session -d -x 200 -y 80 "$1; echo EXIT=\$?; sleep 60"
}
# wait_for TEXT [N]: until the pane shows TEXT N times (10 s at most),
# the pane kept in $T/pane.  keyrite flushes typed-ahead input when it
# switches echo off, so each answer is sent once its prompt is shown.
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		tm capture-pane -p -S -200 > "$T/pane" 2>/dev/null || true
		[ "$(grep -c -- "$1" "$T/pane")" -ge "${2:-1}" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "# pane never showed: $1"
	sed 's/^/#   pane: /' "$T/pane"
	return 1
}

# tbs_sha256 DER-FILE: the SHA-256 of the signed part (the first element
# inside the outer SEQUENCE) of a DER certificate or CRL, cut out with
# openssl asn1parse wherever its header ends.
tbs_sha256() {
	off=$(openssl asn1parse -inform DER -in "$1" 2>/dev/null |
	    awk -F: 'NR == 2 { print $1 + 0 }')
	openssl asn1parse -inform DER -in "$1" -strparse "$off" -noout \
	    -out "$T/.tbs" 2>/dev/null
	sha256sum "$T/.tbs" | cut -d' ' -f1
}

# flip FILE OFFSET [MASK]: the byte at OFFSET xored with MASK (1): always
# a change (a fixed value written over a random byte is no change 1 time
# in 256).
flip() {
	_b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$_b" ] || fail "flip: $1 has no byte at $2"
	printf "$(printf '\\%03o' $(( (_b ^ ${3:-1}) & 255 )))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# cert_serial PEM: a certificate's serial as openssl prints it.
cert_serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

# cert_serial_der DER: a DER certificate's serial as openssl prints it.
cert_serial_der() {
	openssl x509 -inform DER -in "$1" -noout -serial | cut -d= -f2
}
# lower HEX: in lower case, as keyrite prints serials.
lower() { echo "$1" | tr 'A-F' 'a-f'; }

# device_cas STATE NAME: a state folder with P-256 CA keys `root` and
# `issuing` (gen_ca: custodians a, b, c), the root's certificate
# $T/root.pem ("CN=NAME Root") and the issuing CA's $T/int.pem ("CN=NAME
# Issuing"), for device certificates.  Sets S.
device_cas() {
	S=$1
	make_state "$S"
	gen_ca "$S" root p256 ca && gen_ca "$S" issuing p256 ca || fail "keys"
	issue root cert root --key root --profile root --subject "CN=$2 Root" \
	    --out "$T/root.pem"
	issue root cert issue --issuer-key root --subject-key issuing \
	    --profile intermediate --subject "CN=$2 Issuing" --out "$T/int.pem"
	[ "$rc" -eq 0 ] || fail "issuing CA: $(cat "$T/err")"
}
# device_csr DIR NAME SUBJECT: a P-256 key $T/keys/NAME.key and its CSR
# DIR/NAME.csr, made by openssl.
device_csr() {
	mkdir -p "$1" "$T/keys"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/keys/$2.key" -subj "$3" -out "$1/$2.csr" 2>/dev/null
}

# revoking_ca STATE SUBJECT: a state folder with a P-256 root key `root`
# (custodians a, b, c; gen_ca), its certificate $T/root.pem, two
# intermediates $T/sub1.pem and $T/sub2.pem from one CSR, and sub1
# revoked for keyCompromise.  Sets S; each step's failure is reported.
revoking_ca() {
	S=$1
	make_state "$S"
	gen_ca "$S" root p256 ca || fail "root key: $(cat "$T/gen.err")"
	issue root cert root --key root --profile root --subject "$2" \
	    --out "$T/root.pem"
	[ "$rc" -eq 0 ] || fail "root: $(cat "$T/err")"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/l.key" -subj "/CN=leaf" -out "$T/l.csr" 2>/dev/null
	for i in 1 2; do
		issue root cert issue --issuer-key root --csr "$T/l.csr" \
		    --profile intermediate --subject "CN=Sub $i" \
		    --out "$T/sub$i.pem"
		[ "$rc" -eq 0 ] || fail "sub $i: $(cat "$T/err")"
	done
	run -C "$S" revoke --issuer-key root --serial \
	    "$(cert_serial "$T/sub1.pem")" --reason keyCompromise
	[ "$rc" -eq 0 ] || fail "revoke: $(cat "$T/err")"
}

# delta_cas STATE SHARES OUT PWFILE: an appliance whose crl.yaml gives
# every CA a delta location (http://pki.example.com/{issuer}-delta.crl;
# --crl-url the base's), a P-256 root key `root` and issuing CA key
# `issuing` (2 of custodians a, b, c, whose passphrases are PWFILE's
# three lines), both keys' shares in SHARES/CUSTODIAN/KEY.share, the root
# certificate OUT/root.pem and the issuing CA's OUT/int.pem.  Sets S;
# `with KEY ARGS...` then runs keyrite there with custodians a and b.
delta_cas() {
	S=$1 DSH=$2 DPW=$4
	mkdir -p "$T/dp" "$2" "$3"
	"$KEYRITE" -C "$T/dshipped" init --kdf-profile test >/dev/null
	sed 's|^delta_distribution_point: ""|delta_distribution_point: "http://pki.example.com/{issuer}-delta.crl"|' \
	    "$T/dshipped/policy/crl.yaml" > "$T/dp/crl.yaml"
	run -C "$S" init --kdf-profile test --policy-dir "$T/dp" \
	    --crl-url 'http://pki.example.com/{issuer}.crl'
	[ "$rc" -eq 0 ] || fail "init: $(cat "$T/err")"
	for k in root issuing; do
		run -C "$S" key generate "$k" --alg p256 --purpose ca \
		    --threshold 2 --custodian a --custodian b --custodian c \
		    --share-dir "$DSH" --passphrase-fd 3 3<"$DPW"
		[ "$rc" -eq 0 ] || fail "key $k: $(cat "$T/err")"
	done
	with root cert root --key root --profile root \
	    --subject "CN=Delta Root" --out "$3/root.pem"
	with root cert issue --issuer-key root --subject-key issuing \
	    --profile intermediate --subject "CN=Delta Issuing" \
	    --out "$3/int.pem"
}
with() {
	k=$1
	shift
	head -n 2 "$DPW" > "$T/with.pw"
	run -C "$S" "$@" --share "$DSH/a/$k.share" --share "$DSH/b/$k.share" \
	    --passphrase-fd 3 3<"$T/with.pw"
	[ "$rc" -eq 0 ] || fail "$*: $(cat "$T/err")"
}

# cmds_script CMDS ROOT DIR BIN: a script, on stdout, that runs the
# commands of the file CMDS (one a line) in order in DIR, BIN first on
# PATH, /srv/ and /media/ made ROOT/srv/ and ROOT/media/; each command
# is announced as "### command N", and COMMANDS-DONE ends it.
cmds_script() {
	echo "set -e"
	echo "PATH='$4':\$PATH"
	echo "cd '$3'"
	_n=0
	while IFS= read -r _c; do
		_n=$((_n + 1))
		printf "printf '### command %d\\\\n'\n" "$_n"
		printf '%s\n' "$_c" |
		    sed "s#/srv/#$2/srv/#g; s#/media/#$2/media/#g"
	done < "$1"
	echo "echo COMMANDS-DONE"
}
