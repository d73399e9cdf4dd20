/*
 * PKCS#11 back end internals: shared by pkcs11-*.c, pins.c and the unit
 * tests only.
 */
#ifndef KEYRITE_PKCS11_INT_H
#define KEYRITE_PKCS11_INT_H

#include <stddef.h>
#include <stdint.h>

#include <keyrite/keystore.h>

/*
 * The one translation of a PKCS#11 return value (CK_RV) into a keyrite
 * error: sets err to "<context>: <what it means for the operator>
 * (CKR_NAME)" with the matching KR_E* code and returns that code.
 */
int		 kr_p11_fail(struct kr_err *, unsigned long, const char *, ...)
		    KR_PRINTF(3, 4);
/* "CKR_PIN_INCORRECT", or NULL for a value the table does not know. */
const char	*kr_p11_rv_name(unsigned long);

/*
 * The DER DigestInfo of PKCS#1 v1.5 (RFC 8017, section 9.2) for a SHA-2
 * digest: out must hold KR_P11_DIGEST_INFO_MAX bytes.
 */
#define KR_P11_DIGEST_INFO_MAX	(19 + KR_HASH_MAX_BYTES)
int		 kr_p11_digest_info(enum kr_hash_alg, const uint8_t *, size_t,
		    uint8_t *, size_t *) KR_WUR;

/*
 * CKA_EC_POINT holds a DER OCTET STRING around the point (PKCS#11 2.40);
 * some tokens give the bare point.  Finds a point of exactly `want` bytes
 * in either form; KR_EINPUT otherwise.
 */
int		 kr_p11_ec_point(const uint8_t *, size_t, size_t,
		    const uint8_t **) KR_WUR;

/* CKA_EC_PARAMS encodings keyrite sends (DER). */
#define KR_P11_OID_P256		"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07"
#define KR_P11_OID_P256_BYTES	10
#define KR_P11_OID_P384		"\x06\x05\x2b\x81\x04\x00\x22"
#define KR_P11_OID_P384_BYTES	7
/* id-Ed25519, 1.3.101.112 (RFC 8410; PKCS#11 3.1) */
#define KR_P11_OID_ED25519	"\x06\x03\x2b\x65\x70"
#define KR_P11_OID_ED25519_BYTES	5
/* PrintableString "edwards25519" (PKCS#11 3.0, section 2.3.10) */
#define KR_P11_STR_ED25519	"\x13\x0c" "edwards25519"
#define KR_P11_STR_ED25519_BYTES	14

/* The PIN file format; see docs/pkcs11.md. */
#define KR_PINS_MAGIC		"KRTKPINS"
#define KR_PINS_MAGIC_BYTES	8
#define KR_PINS_VERSION		1
#define KR_PINS_INFO		"keyrite token pins v1"

/* Draws a PIN of len characters (base32 alphabet) into pin[len + 1]. */
void		 kr_p11_pin_draw(char *, size_t);

/* The PKCS#11 back end's table (pkcs11-backend.c), for kr_backend_find. */
extern const struct kr_backend_ops kr_backend_pkcs11;

#endif /* KEYRITE_PKCS11_INT_H */
