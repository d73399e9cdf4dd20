#!/usr/bin/env python3
"""Independent check of a keyrite ceremony transcript (docs/transcript.md).

usage: verify_transcript.py DIR

Written from the documented format only: recomputes every audit row hash
from the head before to the head after, collects the custodians who
approved a step from the rows tagged with the ceremony, and checks each
one's Ed25519 signature over the transcript statement.  Exit 0 only when
everything holds; otherwise each failure is printed and the exit is 1.
"""
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit_rows import field, row_hash

TAG = b"keyrite-transcript-v1"


def approvers(rows, cid):
    """custodian -> set of approval key SHA-256 (hex), first-seen order."""
    out = {}
    for r in rows:
        p = json.loads(r["payload"])
        mine = p.get("ceremony") == cid or (
            r["event"] == "ceremony.begin" and p.get("id") == cid)
        if not mine:
            continue
        names = p.get("approved_by")
        if names is None and r["event"] in ("quorum.verify", "share.check",
                                            "quorum.unlock"):
            names = p.get("custodians")
        for n in names or []:
            out.setdefault(n, set())
        for s in (p.get("approvals") or {}).get("signatures", []):
            out.setdefault(s["custodian"], set()).add(s["pk_sha256"])
    return out


def main(d):
    bad = []
    txt = open(d + "/report.txt", "rb").read()
    js = open(d + "/report.json", "rb").read()
    rep = json.loads(js)
    sigs = json.loads(open(d + "/signatures.json", "rb").read())
    if rep.get("format") != "keyrite-transcript-v1":
        bad.append("report.json is not a keyrite-transcript-v1")
    cid, app = rep["ceremony"], rep["appliance"]
    prev = bytes.fromhex(rep["head_before"]["hash"])
    seq = rep["head_before"]["seq"]
    for r in rep["rows"]:
        seq += 1
        if r["seq"] != seq:
            bad.append("entry %d listed where %d belongs" % (r["seq"], seq))
            break
        if row_hash(prev, r).hex() != r["hash"]:
            bad.append("audit entry %d does not chain" % r["seq"])
            break
        prev = bytes.fromhex(r["hash"])
    if not bad and (seq != rep["head_after"]["seq"]
                    or prev.hex() != rep["head_after"]["hash"]):
        bad.append("the rows do not end at the head after")
    txt_sha = hashlib.sha256(txt).digest()
    json_sha = hashlib.sha256(js).digest()
    if sigs.get("ceremony") != cid:
        bad.append("signatures.json is of another ceremony")
    if sigs.get("report_txt_sha256") != txt_sha.hex():
        bad.append("report.txt: SHA-256 differs from the signed one")
    if sigs.get("report_json_sha256") != json_sha.hex():
        bad.append("report.json: SHA-256 differs from the signed one")
    need = approvers(rep["rows"], cid)
    seen = set()
    for s in sigs.get("signatures", []):
        name, pk = s["custodian"], bytes.fromhex(s["approval_pk"])
        fp = hashlib.sha256(pk).hexdigest()
        print("%s approval key SHA-256 %s" % (name, ":".join(
            fp[i:i + 2] for i in range(0, 64, 2)).upper()))
        if name not in need or name in seen:
            bad.append("unexpected or repeated signature of %s" % name)
            continue
        seen.add(name)
        if fp not in need[name]:
            bad.append("%s signed with a key that approved no step" % name)
            continue
        msg = (TAG + field(app.encode()) + field(cid.encode()) +
               field(name.encode()) + field(pk) + field(b"sha256") +
               field(txt_sha) + field(json_sha))
        try:
            Ed25519PublicKey.from_public_bytes(pk).verify(
                bytes.fromhex(s["sig"]), msg)
        except InvalidSignature:
            bad.append("the signature of %s does not verify" % name)
    for name in need:
        if name not in seen:
            bad.append("custodian %s approved a step but did not sign" % name)
    for b in bad:
        print("FAILED: " + b)
    if not bad:
        print("transcript of ceremony %s verified (%d rows, %d signatures)"
              % (cid, len(rep["rows"]), len(seen)))
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1]))
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("FAILED: the transcript cannot be read: %s" % e)
        sys.exit(1)
