/*
 * SubjectPublicKeyInfo (RFC 5280 4.1.2.7) parsing.
 *
 * EC (RFC 5480) and RSA (RFC 3279) keys go through Mbed TLS, which checks
 * the EC point is on its curve and the RSA modulus and exponent are sane.
 * Its reader tolerates some odd encodings, so the key is written back out
 * and must come out byte for byte as it came in: one key, one encoding.
 * Ed25519 (RFC 8410) has exactly one encoding and is compared directly.
 */
#include <stdbool.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/rsa.h>
#include <sodium.h>

#include <keyrite/der.h>

#include "crypto_int.h"

#define KR_RSA_MIN_BITS	2048
#define KR_RSA_MAX_BITS	4096

/*
 * crypto_core_ed25519_is_valid_point() multiplies the point by the group
 * order, as long as a signature check.  A key read again and again (a
 * device's key in its CSR, in its certificate's TBS, in lint) is checked
 * once per thread: the last points found valid are kept, per thread.
 * Only valid points are kept, so a refusal is never remembered, and
 * public keys are no secret.
 */
#define KR_ED25519_VALID_KEPT	8

static bool
kr_ed25519_valid(const uint8_t *pk)
{
	static _Thread_local uint8_t	kept[KR_ED25519_VALID_KEPT]
					    [KR_ED25519_PK_BYTES];
	static _Thread_local unsigned	nkept, next;
	unsigned			i;

	for (i = 0; i < nkept; i++)
		if (memcmp(kept[i], pk, KR_ED25519_PK_BYTES) == 0)
			return true;
	if (crypto_core_ed25519_is_valid_point(pk) != 1)
		return false;
	memcpy(kept[next], pk, KR_ED25519_PK_BYTES);
	next = (next + 1) % KR_ED25519_VALID_KEPT;
	if (nkept < KR_ED25519_VALID_KEPT)
		nkept++;
	return true;
}

static int
kr_pubkey_load_ed25519(struct kr_pubkey *key, const uint8_t *der,
    struct kr_err *err)
{
	memcpy(key->ed, der + KR_ED25519_SPKI_PREFIX_BYTES, KR_ED25519_PK_BYTES);
	if (!kr_ed25519_valid(key->ed))
		return kr_err_set(err, KR_EINPUT, "public key: the Ed25519 "
		    "point is not a valid public key (not canonical, not on "
		    "the curve, or of small order)");
	key->info.type = KR_PK_ED25519;
	key->info.bits = 256;
	return KR_OK;
}

static int
kr_pubkey_check_ec(struct kr_pubkey *key, struct kr_err *err)
{
	mbedtls_ecp_keypair	*ec = mbedtls_pk_ec(key->pk);

	if (ec == NULL)
		return kr_err_set(err, KR_EINTERNAL, "public key: no EC key");
	switch (ec->grp.id) {
	case MBEDTLS_ECP_DP_SECP256R1:
		key->info.type = KR_PK_EC_P256;
		break;
	case MBEDTLS_ECP_DP_SECP384R1:
		key->info.type = KR_PK_EC_P384;
		break;
	default:
		return kr_err_set(err, KR_EINPUT, "public key: elliptic "
		    "curve not supported (keyrite uses P-256 and P-384)");
	}
	if (mbedtls_ecp_check_pubkey(&ec->grp, &ec->Q) != 0)
		return kr_err_set(err, KR_EINPUT, "public key: the EC point "
		    "is not on its curve");
	key->info.bits = (unsigned)ec->grp.pbits;
	return KR_OK;
}

static int
kr_pubkey_check_rsa(struct kr_pubkey *key, struct kr_err *err)
{
	mbedtls_rsa_context	*rsa = mbedtls_pk_rsa(key->pk);
	size_t			 bits = mbedtls_pk_get_bitlen(&key->pk);

	if (rsa == NULL)
		return kr_err_set(err, KR_EINTERNAL, "public key: no RSA key");
	if (bits < KR_RSA_MIN_BITS || bits > KR_RSA_MAX_BITS)
		return kr_err_set(err, KR_EINPUT, "public key: RSA modulus of "
		    "%zu bits; keyrite accepts %d to %d bits", bits,
		    KR_RSA_MIN_BITS, KR_RSA_MAX_BITS);
	if (mbedtls_rsa_check_pubkey(rsa) != 0)
		return kr_err_set(err, KR_EINPUT, "public key: RSA modulus or "
		    "exponent is not valid");
	key->info.type = KR_PK_RSA;
	key->info.bits = (unsigned)bits;
	return KR_OK;
}

/* The key must encode back to exactly the bytes it was read from. */
static int
kr_pubkey_check_encoding(struct kr_pubkey *key, const uint8_t *der,
    size_t len, struct kr_err *err)
{
	uint8_t	buf[KR_SPKI_MAX_BYTES];
	int	n;

	n = mbedtls_pk_write_pubkey_der(&key->pk, buf, sizeof(buf));
	if (n <= 0 || (size_t)n != len ||
	    memcmp(buf + sizeof(buf) - (size_t)n, der, len) != 0)
		return kr_err_set(err, KR_EINPUT, "public key: not in "
		    "canonical DER (trailing bytes, an unusual encoding or "
		    "explicit curve parameters)");
	return KR_OK;
}

static int
kr_pubkey_load_pk(struct kr_pubkey *key, const uint8_t *der, size_t len,
    struct kr_err *err)
{
	int	ret, rc;

	rc = mbedtls_pk_parse_public_key(&key->pk, der, len);
	if (rc != 0)
		return kr_err_set(err, KR_EINPUT, "public key: not a DER "
		    "SubjectPublicKeyInfo keyrite can read (Mbed TLS error "
		    "-0x%04x); check the file holds a P-256, P-384, Ed25519 "
		    "or RSA public key", (unsigned)-rc);
	switch (mbedtls_pk_get_type(&key->pk)) {
	case MBEDTLS_PK_ECKEY:
		ret = kr_pubkey_check_ec(key, err);
		break;
	case MBEDTLS_PK_RSA:
		ret = kr_pubkey_check_rsa(key, err);
		break;
	default:
		ret = kr_err_set(err, KR_EINPUT, "public key: algorithm not "
		    "supported (keyrite uses EC, RSA and Ed25519 keys)");
		break;
	}
	if (ret == KR_OK)
		ret = kr_pubkey_check_encoding(key, der, len, err);
	return ret;
}

int
kr_pubkey_load(struct kr_pubkey *key, const uint8_t *der, size_t len,
    struct kr_err *err)
{
	memset(key, 0, sizeof(*key));
	mbedtls_pk_init(&key->pk);
	if (der == NULL || len == 0)
		return kr_err_set(err, KR_EINPUT, "public key: empty");
	if (len > KR_SPKI_MAX_BYTES)
		return kr_err_set(err, KR_EINPUT, "public key: %zu bytes, "
		    "more than the %d keyrite accepts", len, KR_SPKI_MAX_BYTES);
	if (len == KR_ED25519_SPKI_BYTES &&
	    memcmp(der, KR_ED25519_SPKI_PREFIX, KR_ED25519_SPKI_PREFIX_BYTES) ==
	    0)
		return kr_pubkey_load_ed25519(key, der, err);
	/* Mbed TLS would also try PEM; only a DER SEQUENCE gets that far. */
	if (der[0] != 0x30)
		return kr_err_set(err, KR_EINPUT, "public key: not DER (a "
		    "SubjectPublicKeyInfo starts with a SEQUENCE)");
	return kr_pubkey_load_pk(key, der, len, err);
}

void
kr_pubkey_free(struct kr_pubkey *key)
{
	if (key == NULL)
		return;
	mbedtls_pk_free(&key->pk);
	sodium_memzero(key, sizeof(*key));
}

int
kr_spki_parse(const uint8_t *der, size_t len, struct kr_spki_info *info,
    struct kr_err *err)
{
	struct kr_pubkey	key;
	int			ret;

	ret = kr_pubkey_load(&key, der, len, err);
	if (ret == KR_OK && info != NULL)
		*info = key.info;
	kr_pubkey_free(&key);
	return ret;
}

int
kr_spki_key_alg(const struct kr_spki_info *info, enum kr_key_alg *alg)
{
	switch (info->type) {
	case KR_PK_EC_P256:
		*alg = KR_KEY_P256;
		return KR_OK;
	case KR_PK_EC_P384:
		*alg = KR_KEY_P384;
		return KR_OK;
	case KR_PK_ED25519:
		*alg = KR_KEY_ED25519;
		return KR_OK;
	case KR_PK_RSA:
		if (info->bits == 3072) {
			*alg = KR_KEY_RSA3072;
			return KR_OK;
		}
		if (info->bits == 4096) {
			*alg = KR_KEY_RSA4096;
			return KR_OK;
		}
		break;
	}
	return KR_EINPUT;
}

void
kr_spki_fingerprint(const uint8_t *der, size_t len, char *out)
{
	uint8_t	md[32];

	if (kr_hash(KR_HASH_SHA256, der, len, md) != KR_OK) {
		out[0] = '\0';
		return;
	}
	kr_hex_encode(out, md, sizeof(md));
}

/*
 * The same secret answers for a second public key: an EC secret d for
 * -Q = (x, p - y) (as n - d), an Ed25519 scalar a for -A (the encoded
 * point with the sign bit of its last byte flipped).  The SHA-256 of that
 * key's SubjectPublicKeyInfo, so a check for a key certified before finds
 * its negation too.  RSA keys have none here (KR_ENOENT).
 */
int
kr_spki_negated_sha256(const uint8_t *der, size_t len, uint8_t *out,
    struct kr_err *err)
{
	struct kr_pubkey	 key;
	mbedtls_ecp_keypair	*ec;
	uint8_t			 buf[KR_SPKI_MAX_BYTES];
	int			 n, ret;

	if ((ret = kr_pubkey_load(&key, der, len, err)) != KR_OK)
		goto out;
	if (key.info.type == KR_PK_RSA) {
		ret = KR_ENOENT;
		goto out;
	}
	if (key.info.type == KR_PK_ED25519) {
		memcpy(buf, der, len);
		buf[len - 1] ^= 0x80;
		ret = kr_hash(KR_HASH_SHA256, buf, len, out);
		goto out;
	}
	ec = mbedtls_pk_ec(key.pk);
	n = mbedtls_mpi_sub_mpi(&ec->Q.Y, &ec->grp.P, &ec->Q.Y);
	if (n == 0)
		n = mbedtls_pk_write_pubkey_der(&key.pk, buf, sizeof(buf));
	if (n <= 0)
		ret = kr_err_set(err, KR_ECRYPTO, "public key: cannot negate "
		    "the EC point (Mbed TLS error -0x%04x)", (unsigned)-n);
	else
		ret = kr_hash(KR_HASH_SHA256, buf + sizeof(buf) - (size_t)n,
		    (size_t)n, out);
out:
	kr_pubkey_free(&key);
	sodium_memzero(buf, sizeof(buf));
	return ret;
}
