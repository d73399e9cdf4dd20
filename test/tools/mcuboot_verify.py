#!/usr/bin/env python3
"""Verify an MCUboot signed image, independently of keyrite.

usage: mcuboot_verify.py IMAGE PUBKEY.pem

Written from MCUboot's image format (bootutil/image.h, imgtool's
image.py), not from keyrite's code.  Checks, strictly:

  - the 32-byte header: magic 0x96f3b83d, header size >= 32, sizes inside
    the file;
  - the protected TLV area (magic 0x6908) if the header declares one, its
    total equal to the declared size;
  - the TLV area (magic 0x6907) ending exactly at the end of the file, with
    exactly one hash TLV (SHA256 0x10 or SHA384 0x11), one KEYHASH (0x01)
    and one signature TLV (ECDSA 0x22, RSA-3072 PSS 0x23, Ed25519 0x24);
  - the hash over header, image and protected TLVs;
  - KEYHASH = hash of the key as MCUboot embeds it (SubjectPublicKeyInfo
    DER for EC and Ed25519, PKCS#1 RSAPublicKey for RSA);
  - the signature with the public key: ECDSA over the hash (SHA-256 for
    P-256, SHA-384 for P-384), RSA-PSS SHA-256 salt 32, Ed25519 over the
    hash bytes themselves.

Exit status 0 when the image verifies, 1 when it does not, 2 on usage.
"""

import hashlib
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

IMAGE_MAGIC = 0x96F3B83D
TLV_INFO_MAGIC = 0x6907
TLV_PROT_INFO_MAGIC = 0x6908
T_KEYHASH = 0x01
T_SHA256 = 0x10
T_SHA384 = 0x11
T_ECDSA = 0x22
T_RSA3072 = 0x23
T_ED25519 = 0x24
T_SEC_CNT = 0x50


class Bad(Exception):
    pass


def walk(buf, off, magic):
    """Returns (list of (type, value), end offset) of one TLV area."""
    if off + 4 > len(buf):
        raise Bad("TLV info header passes the end of the file")
    m, tot = struct.unpack_from("<HH", buf, off)
    if m != magic:
        raise Bad("TLV info magic 0x%04x, expected 0x%04x" % (m, magic))
    end = off + tot
    if tot < 4 or end > len(buf):
        raise Bad("TLV area total %d passes the end of the file" % tot)
    tlvs = []
    at = off + 4
    while at < end:
        if at + 4 > end:
            raise Bad("truncated TLV header at %d" % at)
        t, n = struct.unpack_from("<HH", buf, at)
        if at + 4 + n > end:
            raise Bad("TLV 0x%02x at %d passes the area's end" % (t, at))
        tlvs.append((t, buf[at + 4:at + 4 + n]))
        at += 4 + n
    return tlvs, end


def key_scheme(key):
    """(hash constructor, hash TLV, signature TLV, key bytes) for a key."""
    spki = key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name == "secp256r1":
            return hashlib.sha256, T_SHA256, T_ECDSA, spki
        if key.curve.name == "secp384r1":
            return hashlib.sha384, T_SHA384, T_ECDSA, spki
        raise Bad("unsupported curve %s" % key.curve.name)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return hashlib.sha256, T_SHA256, T_ED25519, spki
    if isinstance(key, rsa.RSAPublicKey) and key.key_size == 3072:
        pkcs1 = key.public_bytes(serialization.Encoding.DER,
                                 serialization.PublicFormat.PKCS1)
        return hashlib.sha256, T_SHA256, T_RSA3072, pkcs1
    raise Bad("unsupported key type")


def check_signature(key, sig, digest):
    if isinstance(key, ec.EllipticCurvePublicKey):
        h = hashes.SHA256() if len(digest) == 32 else hashes.SHA384()
        key.verify(sig, digest, ec.ECDSA(Prehashed(h)))
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(sig, digest)
    else:
        key.verify(sig, digest,
                   padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                               salt_length=32),
                   Prehashed(hashes.SHA256()))


def one(tlvs, types, what):
    found = [(t, v) for (t, v) in tlvs if t in types]
    if len(found) != 1:
        raise Bad("expected exactly one %s TLV, found %d" % (what, len(found)))
    return found[0]


def verify(buf, key):
    if len(buf) < 32:
        raise Bad("shorter than a header")
    magic, load, hdr_size, prot_size, img_size, flags = \
        struct.unpack_from("<IIHHII", buf, 0)
    major, minor, rev, build = struct.unpack_from("<BBHI", buf, 20)
    if magic != IMAGE_MAGIC:
        raise Bad("header magic 0x%08x" % magic)
    if hdr_size < 32:
        raise Bad("header size %d < 32" % hdr_size)
    off = hdr_size + img_size
    if off > len(buf):
        raise Bad("header + image size pass the end of the file")
    info = "version %d.%d.%d+%d, image %d bytes" % (major, minor, rev, build,
                                                    img_size)
    if prot_size:
        ptlvs, pend = walk(buf, off, TLV_PROT_INFO_MAGIC)
        if pend != off + prot_size:
            raise Bad("protected TLV total differs from the header's size")
        for t, v in ptlvs:
            if t == T_SEC_CNT:
                info += ", security counter %d" % struct.unpack("<I", v)[0]
    hashed_end = off + prot_size
    tlvs, end = walk(buf, hashed_end, TLV_INFO_MAGIC)
    if end != len(buf):
        raise Bad("%d bytes after the TLV area" % (len(buf) - end))
    hfn, hash_t, sig_t, key_bytes = key_scheme(key)
    ht, hv = one(tlvs, (T_SHA256, T_SHA384), "hash")
    _, kv = one(tlvs, (T_KEYHASH,), "KEYHASH")
    st, sv = one(tlvs, (T_ECDSA, T_RSA3072, T_ED25519), "signature")
    if ht != hash_t or st != sig_t:
        raise Bad("hash/signature TLV types 0x%02x/0x%02x do not fit the key"
                  % (ht, st))
    digest = hfn(buf[:hashed_end]).digest()
    if hv != digest:
        raise Bad("image hash mismatch")
    if kv != hfn(key_bytes).digest():
        raise Bad("KEYHASH does not match the public key")
    try:
        check_signature(key, sv, digest)
    except InvalidSignature:
        raise Bad("signature does not verify")
    return info


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        buf = f.read()
    with open(argv[2], "rb") as f:
        key = serialization.load_pem_public_key(f.read())
    try:
        info = verify(buf, key)
    except (Bad, ValueError, struct.error) as e:
        print("%s: FAILED: %s" % (argv[1], e))
        return 1
    print("%s: OK (%s)" % (argv[1], info))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
