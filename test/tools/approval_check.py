#!/usr/bin/env python3
"""Independent check of keyrite's signed approvals (docs/formats.md,
"Approval statements"), written from the documentation alone.

usage: approval_check.py DB SEQ [INDEX]

Reads audit row SEQ of the keyrite database DB, rebuilds the approval
statement of signature INDEX (default 0) of its "approvals" member byte
for byte, takes that custodian's approval public key from the custodians
table, and verifies the Ed25519 signature with python3-cryptography.
Prints the statement in hex and "approval signature OK"; exits 1 when the
signature does not verify, 2 on bad input.
"""
import hashlib
import json
import sqlite3
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def field(b):
    return struct.pack(">I", len(b)) + b


def statement(appliance, op, key, key_id, set_id, custodian, x, digest, t):
    return (b"keyrite-approval-v1" + field(appliance.encode()) +
            field(op.encode()) + field(key.encode()) + field(key_id) +
            field(set_id) + field(custodian.encode()) + field(bytes([x])) +
            field(b"sha256") + field(digest) + field(struct.pack(">q", t)))


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    db = sqlite3.connect(sys.argv[1])
    seq = int(sys.argv[2])
    idx = int(sys.argv[3]) if len(sys.argv) == 4 else 0
    appliance = db.execute(
        "SELECT value FROM meta WHERE name = 'appliance_id'").fetchone()[0]
    event, payload = db.execute(
        "SELECT event, payload FROM audit WHERE seq = ?", (seq,)).fetchone()
    ap = json.loads(payload)["approvals"]
    s = ap["signatures"][idx]
    set_id = bytes.fromhex(ap["share_set"])
    row = db.execute("SELECT name, approval_pk FROM custodians "
                     "WHERE set_id = ? AND x = ?", (set_id, s["x"])).fetchone()
    if row is None or row[0] != s["custodian"] or row[1] is None:
        print("no approval key recorded for custodian", s["custodian"])
        return 1
    pk = bytes(row[1])
    if hashlib.sha256(pk).hexdigest() != s["pk_sha256"]:
        print("pk_sha256 differs from the recorded key")
        return 1
    msg = statement(appliance, ap["op"], ap["key"],
                    bytes.fromhex(ap["key_id"]), set_id, s["custodian"],
                    s["x"], bytes.fromhex(ap["digest"]), s["time"])
    print("row %d (%s), custodian %s" % (seq, event, s["custodian"]))
    print("statement", msg.hex())
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(
            bytes.fromhex(s["sig"]), msg)
    except InvalidSignature:
        print("approval signature does NOT verify")
        return 1
    print("approval signature OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
