"""The audit chain's row hash (docs/formats.md, "Audit chain"), shared by
the independent verifiers in this folder (verify_transcript.py,
verify_bundle.py).  Standard library only."""
import hashlib
import struct


def field(b):
    """u32 big-endian length, then the bytes."""
    return struct.pack(">I", len(b)) + b


def row_hash(prev, r):
    """SHA-256 of a row (a dict with seq, time, actor, event, payload),
    linked to the previous row's hash `prev` (32 zero bytes for row 1)."""
    h = hashlib.sha256(b"keyrite-audit-v1" + prev)
    h.update(struct.pack(">Q", r["seq"] & (2**64 - 1)))
    h.update(struct.pack(">Q", r["time"] & (2**64 - 1)))
    for k in ("actor", "event", "payload"):
        h.update(field(r[k].encode("utf-8")))
    return h.digest()
