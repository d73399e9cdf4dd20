#!/usr/bin/env python3
"""Rewrites one audit row's payload and recomputes the hash chain from it
on, as someone with the disk could (docs/formats.md, "Audit chain"): the
chain then verifies, and only what it cannot forge (the custodians'
approval signatures) can tell.

usage: audit_rechain.py DB SEQ OLD NEW   (replaces OLD by NEW once)
"""
import hashlib
import sqlite3
import struct
import sys


def row_hash(prev, seq, t, actor, event, payload):
    h = hashlib.sha256(b"keyrite-audit-v1")
    h.update(prev)
    h.update(struct.pack(">Qq", seq, t))
    for f in (actor, event, payload):
        b = f.encode()
        h.update(struct.pack(">I", len(b)) + b)
    return h.digest()


def main():
    db = sqlite3.connect(sys.argv[1])
    seq, old, new = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    db.execute("DROP TRIGGER IF EXISTS audit_no_update")
    (payload,) = db.execute("SELECT payload FROM audit WHERE seq = ?",
                            (seq,)).fetchone()
    if old not in payload:
        print("not found in row %d: %s" % (seq, old), file=sys.stderr)
        return 2
    db.execute("UPDATE audit SET payload = ? WHERE seq = ?",
               (payload.replace(old, new, 1), seq))
    rows = db.execute("SELECT seq, time, actor, event, payload, prev_hash "
                      "FROM audit WHERE seq >= ? ORDER BY seq",
                      (seq,)).fetchall()
    prev = bytes(rows[0][5])
    for s, t, actor, event, p, _ in rows:
        h = row_hash(prev, s, t, actor, event, p)
        db.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?",
                   (prev, h, s))
        prev = h
    db.commit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
