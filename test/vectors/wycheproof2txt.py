#!/usr/bin/env python3
"""Convert a Wycheproof signature-verification JSON file to lines for C.

Usage: wycheproof2txt.py IN.json OUT.txt

The output is one header line, then one line per test case:

    numberOfTests N
    tcId result flags public-key-der msg sig params

fields separated by one space; hex in lower case; '-' for an empty field.
flags is the comma-separated list of Wycheproof flags; params lists the
group parameters that change how a signature is checked (sha, mgf, mgfSha,
sLen) as k=v pairs joined by commas.  Only the standard library is used,
so the build needs nothing beyond python3.
"""

import json
import re
import sys

RESULTS = ("valid", "invalid", "acceptable")
PARAMS = ("sha", "mgf", "mgfSha", "sLen")
HEX = re.compile(r"^([0-9a-fA-F]{2})*$")


def fail(path, why):
    sys.exit("wycheproof2txt: %s: %s" % (path, why))


def field(path, value):
    """A hex string as a field, '-' when empty."""
    if not isinstance(value, str) or not HEX.match(value):
        fail(path, "not a hex string: %r" % (value,))
    return value.lower() if value else "-"


def word(path, value):
    """A token that must not be empty or contain white space."""
    value = str(value)
    if not value or any(c.isspace() for c in value):
        fail(path, "bad token %r" % (value,))
    return value


def group_params(path, group):
    pairs = ["%s=%s" % (k, word(path, group[k])) for k in PARAMS if k in group]
    return ",".join(pairs) if pairs else "-"


def convert(path, data):
    lines = []
    seen = set()
    for group in data["testGroups"]:
        key = field(path, group["publicKeyDer"])
        params = group_params(path, group)
        for t in group["tests"]:
            tc = int(t["tcId"])
            if tc in seen:
                fail(path, "tcId %d appears twice" % tc)
            seen.add(tc)
            if t["result"] not in RESULTS:
                fail(path, "tcId %d: unknown result %r" % (tc, t["result"]))
            flags = ",".join(word(path, f) for f in t["flags"]) or "-"
            lines.append(" ".join([str(tc), t["result"], flags, key,
                                   field(path, t["msg"]),
                                   field(path, t["sig"]), params]))
    if len(lines) != data["numberOfTests"]:
        fail(path, "numberOfTests says %d, found %d"
             % (data["numberOfTests"], len(lines)))
    return ["numberOfTests %d" % len(lines)] + lines


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    with open(argv[1], encoding="utf-8") as f:
        data = json.load(f)
    lines = convert(argv[1], data)
    with open(argv[2], "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv)
