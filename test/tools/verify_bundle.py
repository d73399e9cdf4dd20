#!/usr/bin/env python3
"""Independent check of a keyrite audit bundle (docs/audit-bundle.md).

usage: verify_bundle.py DIR

Written from the documented format only, standard library only: checks
every file against MANIFEST, recomputes the audit chain from row 1 (every
link and row hash), compares the row count and head with bundle.json,
and checks every record against the newest binding the chain holds for
it (record hashes and bulk ranges; docs/formats.md, "Records bound to the
audit chain").  Prints the head and exits 0 only when everything holds;
otherwise each failure is printed and the exit is 1.
"""
import hashlib
import json
import os
import re
import struct
import sys

from audit_rows import row_hash

# How a record is known in a binding (docs/formats.md, "Identity").
IDENT = {
    "meta": lambda r: r["name"],
    "keys": lambda r: r["id"].hex(),
    "share_sets": lambda r: r["id"].hex(),
    "custodians": lambda r: "%s:%d" % (r["set_id"].hex(), r["x"]),
    "token_keys": lambda r: r["key_id"].hex(),
    "crls": lambda r: "%s:%d" % (r["issuer_key_id"].hex(), r["number"]),
}
RANGE = re.compile(r"^([a-z_.]+)\[(\d+)-(\d+)\]@([0-9a-f]{32})$")


def value(v):
    """A bundle value as the record hash sees it."""
    if isinstance(v, dict):
        return bytes.fromhex(v["hex"])
    return v


def enc(v):
    if v is None:
        return b"n"
    if isinstance(v, bool):
        raise ValueError("a boolean is no column value")
    if isinstance(v, int):
        return b"i" + struct.pack(">q", v)
    if isinstance(v, bytes):
        return b"b" + struct.pack(">I", len(v)) + v
    b = v.encode("utf-8")
    return b"t" + struct.pack(">I", len(b)) + b


def columns(vals, added):
    n = len(vals)
    while added > 0 and n > added and vals[n - 1] is None:
        n -= 1
    return b"".join(enc(v) for v in vals[:n])


def record_hash(table, vals, added):
    return hashlib.sha256(b"keyrite-record-v1" + table.encode() + b"\0" +
                          columns(vals, added)).hexdigest()


def read_manifest(d, bad):
    files = {}
    with open(os.path.join(d, "MANIFEST"), "rb") as f:
        for line in f.read().split(b"\n")[:-1]:
            m = re.fullmatch(rb"([0-9a-f]{64})  ([^/]+)", line)
            if m is None:
                bad.append("MANIFEST: a line is not 'SHA256  NAME'")
                continue
            name = m.group(2).decode()
            path = os.path.join(d, name)
            if not os.path.isfile(path):
                bad.append("%s: listed in MANIFEST, missing" % name)
                continue
            with open(path, "rb") as g:
                data = g.read()
            if hashlib.sha256(data).hexdigest() != m.group(1).decode():
                bad.append("%s: its SHA-256 is not MANIFEST's" % name)
            files[name] = data
    return files


def check_chain(files, bad):
    """The rows in order; the newest binding of each identity."""
    prev = bytes(32)
    rows, binds = [], {}
    for n, line in enumerate(files["audit.jsonl"].decode().splitlines(), 1):
        r = json.loads(line)
        if r["seq"] != n:
            bad.append("audit row %d is missing or out of place (line %d "
                       "holds row %d)" % (n, n, r["seq"]))
            break
        if bytes.fromhex(r["prev_hash"]) != prev:
            bad.append("audit row %d does not link to the row before" % n)
            break
        h = row_hash(prev, r)
        if h.hex() != r["hash"]:
            bad.append("audit row %d (%s): its hash does not match its "
                       "contents" % (n, r["event"]))
            break
        prev = h
        rows.append(r)
        for ident, v in json.loads(r["payload"]).get("bind", {}).items():
            binds[ident] = (v, n)
    return rows, prev, binds


def check_records(info, files, binds, bad):
    seen = set()
    count = 0
    for t in info["tables"]:
        name, added = t["table"], t["added"]
        recs = [json.loads(l) for l in files[t["file"]].decode().splitlines()]
        ranged = [(int(m.group(2)), int(m.group(3)), v[0].split(".")[0], k)
                  for k, v in binds.items()
                  for m in [RANGE.match(k)] if m and m.group(1) == name]
        for first, last, digest, k in ranged:
            inside = [r for r in recs if first <= r["id"] <= last]
            h = hashlib.sha256(b"keyrite-range-v1" + name.encode() + b"\0")
            for r in sorted(inside, key=lambda r: r["id"]):
                h.update(columns([value(v) for v in r.values()], added))
            seen.add(k)
            count += len(inside)
            if h.hexdigest() != digest or len(inside) != last - first + 1:
                bad.append("%s rows %d to %d: not the rows imported" %
                           (name, first, last))
        for r in recs:
            if any(f <= r.get("id", -1) <= l for f, l, _, _ in ranged):
                continue
            vals = dict((k, value(v)) for k, v in r.items())
            ident = "%s:%s" % (name, IDENT.get(name.split(".")[0],
                                               lambda r: r["id"])(vals))
            count += 1
            if ident in seen:
                bad.append("%s is given twice" % ident)
            seen.add(ident)
            if ident not in binds:
                bad.append("%s is not recorded in the audit chain" % ident)
            elif binds[ident][0][:64] != record_hash(
                    name, list(vals.values()), added):
                bad.append("%s differs from what audit row %d recorded" %
                           (ident, binds[ident][1]))
    for k, (_, n) in sorted(binds.items(), key=lambda x: x[1][1]):
        if k not in seen:
            bad.append("%s, recorded by audit row %d, is missing" % (k, n))
    return count


def main(d):
    bad = []
    files = read_manifest(d, bad)
    info = json.loads(files["bundle.json"])
    if (info["format"], info["version"]) != ("keyrite-audit-bundle", 1):
        bad.append("bundle.json: not a keyrite audit bundle of version 1")
    rows, head, binds = check_chain(files, bad)
    if len(rows) != info["rows"] or head.hex() != info["head"]:
        bad.append("bundle.json says %d rows, head %s; the chain gives %d, "
                   "head %s" % (info["rows"], info["head"], len(rows),
                                head.hex()))
    count = check_records(info, files, binds, bad)
    for b in bad:
        print("FAIL:", b)
    if bad:
        return 1
    pairs = ":".join("%02X" % c for c in head)
    print("audit bundle intact: %d rows, %d records match the chain" %
          (len(rows), count))
    print("head", pairs)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
