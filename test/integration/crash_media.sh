#!/bin/sh
# TEST-KEY-313: `import --from`, `audit export` and `ceremony report`
# killed by strace at each rename and link (and the import at each
# fsync) in turn.  After each
# kill the next run of the same command succeeds, and its open cleans up
# what the kill left: an import's intake folder under its temporary name
# is put in place when its import.files row was committed (every file
# as the row gives it), else removed; a kept copy of a bundle or a
# transcript (released/) is put in place when its row was committed,
# else removed.  Then no temporary name is left, `audit verify` passes,
# every intake folder is recorded file by file, and every kept file is
# listed by a row with its SHA-256 (and every file a row lists is kept).
# Kills between the commit and the rename happen, and the open says it
# put the folder or the copy in place.
# TEST-KEY-317: see below (a rename that fails after the commit).
. "$(dirname "$0")/lib.sh"
set -e
command -v strace >/dev/null || { echo "SKIP: strace is missing"; exit 77; }

revoking_ca "$T/s" "CN=Crash Media Root"
db() { sqlite3 "$S/keyrite.db" "$1"; }
M="$T/medium"
O="$T/o"
mkdir -p "$M" "$O" "$T/pub"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/leaf.key" -subj "/CN=leaf" -out "$M/leaf.csr" 2>/dev/null
head -c 70000 /dev/urandom > "$M/fw.bin"
{ pass_of a; pass_of b; } > "$T/ab.pw"
cat > "$T/cer.yaml" <<YAML
keyrite-ceremony: 1
name: crash-media
purpose: A CRL, so that a transcript has a signed step.
roles:
  administrator: Ann
  witness: Walt
  custodians: [a, b, c]
steps:
  - id: crl
    title: Publish a CRL
    crl.publish: {issuer_key: root, out: "$T/pub/root.crl", custodians: [a, b], share_dir: "$T/sh-root"}
YAML
yes yes | head -n 5 > "$T/wit"
run -C "$S" ceremony run "$T/cer.yaml" --passphrase-fd 3 --witness-fd 4 \
    --yes 3<"$T/ab.pw" 4<"$T/wit"
CID=$(sed -n 's/^Ceremony \([0-9a-f-]*\) is complete.*/\1/p' "$T/out")
[ "$rc" -eq 0 ] && [ -n "$CID" ] || fail "ceremony: $(cat "$T/err")"

op_args() {
	case $1 in
	import) echo "-C $S import --from $M" ;;
	bundle) echo "-C $S audit export --out $O/b$2" ;;
	report) echo "-C $S ceremony report $CID --out $O/r$2" \
	    "--share $T/sh-root/a/root.share --share $T/sh-root/b/root.share" \
	    "--passphrase-fd 3" ;;
	esac
}

# Every intake folder is recorded, file by file; every kept file is listed
# by a row under its SHA-256, and every file a row lists is kept.
consistent() {
	for d in "$S"/intake/*; do
		[ -d "$d" ] || continue
		id=$(basename "$d")
		for f in "$d"/*; do
			h=$(sha256sum "$f" | cut -c1-64)
			[ "$(db "SELECT count(*) FROM audit, \
			    json_each(audit.payload, '\$.files') AS j \
			    WHERE event = 'import.files' AND \
			    json_extract(payload, '\$.import_id') = '$id' AND \
			    j.value ->> 'name' = '$(basename "$f")' AND \
			    j.value ->> 'sha256' = '$h'")" -ge 1 ] ||
			    return 1
		done
	done
	for f in "$S"/released/*; do
		[ -f "$f" ] || continue
		h=$(sha256sum "$f" | cut -c1-64)
		[ "$h" = "$(basename "$f")" ] || return 1
		[ "$(db "SELECT count(*) FROM audit, \
		    json_each(audit.payload, '\$.kept') AS j \
		    WHERE event IN ('ceremony.report', 'audit.export') AND \
		    j.value ->> 'sha256' = '$h' AND \
		    j.value ->> 'size' = $(wc -c < "$f")")" -ge 1 ] ||
		    return 1
	done
	for h in $(db "SELECT j.value ->> 'sha256' FROM audit, json_each(audit.payload, '\$.kept') AS j"); do
		[ -f "$S/released/$h" ] || return 1
	done
}

BAD=0 kills=0 pi=0 pr=0 i=0
# An import at every fsync too; the others (many files, each synced) at
# their renames and links, where staging, commit and naming meet.
syscalls() { [ "$1" = import ] && echo fsync renameat2 linkat || echo renameat2 linkat; }
for op in import bundle report; do
	for sc in $(syscalls "$op"); do
		n=1
		while [ "$n" -le 60 ]; do
			i=$((i + 1))
			set +e
			# shellcheck disable=SC2046
			traced -f -qq -o /dev/null -e trace="$sc" \
			    -e inject="$sc":signal=KILL:when="$n" \
			    "$KEYRITE" $(op_args "$op" "$i") 3<"$T/ab.pw" \
			    >"$T/k.out" 2>"$T/k.err"
			krc=$?
			set -e
			[ "$krc" -eq 137 ] || break
			kills=$((kills + 1))
			i=$((i + 1))
			# shellcheck disable=SC2046
			run $(op_args "$op" "$i") 3<"$T/ab.pw"
			problem=""
			[ "$rc" -eq 0 ] || problem="; the next $op failed (exit $rc): $(head -n 2 "$T/err")"
			grep -q "put intake/.* in place" "$T/err" && pi=$((pi + 1))
			grep -q "put released/.* in place" "$T/err" && pr=$((pr + 1))
			[ -z "$(find "$S" -name '*.tmp-*')" ] ||
			    problem="$problem; left: $(find "$S" -name '*.tmp-*' | head -n 2)"
			run -C "$S" audit verify
			[ "$rc" -eq 0 ] || problem="$problem; audit verify exit $rc"
			consistent || problem="$problem; a folder or kept copy is not as its row says"
			if [ -n "$problem" ]; then
				BAD=$((BAD + 1))
				fail "after a kill at $op's $sc number $n:${problem#;}"
			fi
			n=$((n + 1))
		done
		[ "$krc" -eq 0 ] || fail "$op under strace ($sc $n): exit $krc $(head -n 2 "$T/k.err")"
	done
done
printf '# %d kills; put in place by the next open: intake folders %d, kept copies %d\n' \
    "$kills" "$pi" "$pr"
[ "$kills" -ge 20 ] && [ "$BAD" -eq 0 ] &&
    ok "after each of $kills kills: the next run succeeded, nothing temporary left, audit intact, every folder and kept copy as its row says" ||
    fail "$BAD of $kills kills left a problem"
[ "$pi" -gt 0 ] && ok "a killed import's recorded intake folder was put in place ($pi)" ||
    fail "no kill landed between an import's commit and its rename"
[ "$pr" -gt 0 ] && ok "a recorded bundle's or transcript's kept copy was put in place ($pr)" ||
    fail "no kill landed between a release's commit and its copy's rename"
# TEST-KEY-317: a rename that fails (EIO, injected by strace) after the
# row of `audit export` or `ceremony report` is committed leaves the kept
# copies under their temporary names for the next open to name, and no
# file of the release on the output; the message names the row and the
# export that writes the release again, and that export does.
named=0
for op in bundle report; do
	n=1
	while [ "$n" -le 20 ]; do
		i=$((i + 1))
		r0=$(db "SELECT max(seq) FROM audit")
		set +e
		# shellcheck disable=SC2046
		traced -f -qq -o /dev/null -e trace=renameat2 \
		    -e inject=renameat2:error=EIO:when="$n" \
		    "$KEYRITE" $(op_args "$op" "$i") 3<"$T/ab.pw" \
		    >"$T/k.out" 2>"$T/k.err"
		krc=$?
		set -e
		[ "$krc" -ne 0 ] || break
		seq=$(db "SELECT max(seq) FROM audit")
		[ "$seq" -gt "$r0" ] || fail "$op with rename $n failing: no row ($(cat "$T/k.err"))"
		if [ "$op" = bundle ]; then
			what="--all"
			left=$(ls -A "$O/b$i" 2>/dev/null || true)
		else
			what="--ceremony $CID"
			left=$(ls -A "$O/r$i" 2>/dev/null || true)
		fi
		tmps=$(find "$S/released" -name '*.tmp-*' | wc -l)
		i=$((i + 1))
		mkdir "$T/x$i"
		# shellcheck disable=SC2086
		run -C "$S" export --to "$T/x$i" $what
		if [ "$op" = bundle ]; then got="$T/x$i/audit-$seq"; else got="$T/x$i/transcript-$CID-$seq"; fi
		if grep -q "recorded as audit row $seq.*keyrite export $what" "$T/k.err" &&
		    [ -z "$left" ] && [ "$rc" -eq 0 ] && [ -n "$(ls -A "$got")" ] &&
		    { [ "$tmps" -eq 0 ] ||
		    grep -q "put released/.* in place" "$T/err"; } &&
		    [ -z "$(find "$S" -name '*.tmp-*')" ] && consistent; then
			ok "$op with rename $n failing after row $seq: message names the row and \`keyrite export $what\`; nothing on the output; $tmps kept copies named at the next open; exported again"
			[ "$tmps" -eq 0 ] || named=$((named + 1))
		else
			fail "$op with rename $n failing: exit $krc $(cat "$T/k.err"); output left: $left; temporary kept copies: $tmps; export: exit $rc $(head -n 2 "$T/err")"
		fi
		n=$((n + 1))
	done
	[ "$n" -gt 1 ] || fail "$op: no rename failed"
done
[ "$named" -gt 0 ] && ok "a failed rename of a kept copy after its commit left it for the next open, which named it ($named)" ||
    fail "no injected failure hit a kept copy's rename"
ls "$S/intake" | grep -q "tmp-" && fail "a staged intake folder is left" ||
    ok "no staged intake folder is left"
finish
