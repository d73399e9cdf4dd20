#!/bin/sh
# TEST-KEY-527: docs/traceability.md holds together: every TEST-KEY id a
# requirement names has its own row in the tests table, every row names
# a test that exists (a meson test name, checked against the test tree),
# and every row's id appears in that test's sources, so no requirement
# points at a check that is not there.
. "$(dirname "$0")/lib.sh"
set -e
python3 - "$SRCDIR" > "$T/diff" 2>&1 <<'PY' || true
import os, re, sys
top = sys.argv[1]
doc = open(os.path.join(top, "docs", "traceability.md")).read().splitlines()
reqs = [l for l in doc if l.startswith("| REQ-KEY-")]
rows = {}
for l in doc:
    m = re.match(r"\| (TEST-KEY-\d+) \| ([^|]*) \|", l)
    if m:
        rows[m.group(1)] = re.findall(r"`([a-z0-9_-]+)`", m.group(2))
bad = []
named = set()
for l in reqs:
    # The tests column (the descriptions quote the checklist's own ids).
    for t in re.findall(r"TEST-KEY-\d+", l.split(" | ")[-2]):
        named.add(t)
        if t not in rows:
            bad.append("%s is named by %s but has no row" % (t, l.split(" | ")[0][2:]))
# Where each meson test's sources live.
def sources(name):
    kind, _, rest = name.partition("-")
    base = {"integration": "test/integration", "tui": "test/tui",
            "unit": "test/unit", "fuzz": "test/fuzz", "ct": "test/ct"}.get(kind)
    if base is None:
        return None
    root = os.path.join(top, base)
    if kind in ("integration", "tui"):
        f = os.path.join(root, rest + ".sh")
        return [f] if os.path.exists(f) else []
    out = []
    for d, _, fs in os.walk(root):
        out += [os.path.join(d, f) for f in fs if f.endswith((".c", ".sh", ".py"))]
    return out
# The ids a source mentions, ranges ("TEST-KEY-320..325") spelt out.
seen = {}
def mentioned(f):
    if f not in seen:
        text = open(f, errors="replace").read()
        ids = set(re.findall(r"TEST-KEY-\d+", text))
        for a, b in re.findall(r"TEST-KEY-(\d+)\.\.(?:TEST-KEY-)?(\d+)", text):
            ids |= {"TEST-KEY-%0*d" % (len(a), n) for n in range(int(a), int(b) + 1)}
        seen[f] = ids
    return seen[f]
for t, tests in sorted(rows.items()):
    found = False
    for name in tests:
        src = sources(name)
        if src is None:
            continue
        if not src:
            bad.append("%s names %s, which does not exist" % (t, name))
            continue
        if any(t in mentioned(f) for f in src):
            found = True
    if tests and not found and all(sources(n) for n in tests if sources(n) is not None):
        bad.append("%s: no source of %s mentions it" % (t, ", ".join(tests)))
print("\n".join(bad))
print("# %d requirement rows, %d test rows, %d ids named" % (len(reqs), len(rows), len(named)), file=sys.stderr)
PY
if [ -z "$(grep -v '^#' "$T/diff")" ]; then
	ok "docs/traceability.md: every named test id has a row, every row's test exists and mentions it ($(grep '^#' "$T/diff" | tr -d '#'))"
else
	fail "traceability: $(cat "$T/diff")"
fi
finish
