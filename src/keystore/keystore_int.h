/*
 * keystore internals: shared by the back ends and the unit tests only.
 */
#ifndef KEYRITE_KEYSTORE_INT_H
#define KEYRITE_KEYSTORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <keyrite/der.h>
#include <keyrite/keystore.h>

/*
 * Builds a signer around a back end's state.  The signer takes ownership
 * of `impl` only on success; on failure (NULL) the caller still owns it.
 * The SPKI is copied.  kr_signer_free() calls ops->destroy(), which frees
 * impl only; the signer itself and its SPKI are freed by kr_signer_free().
 */
struct kr_signer *kr_signer_new(const struct kr_signer_ops *, void *,
		    const char *, const uint8_t *, enum kr_key_alg,
		    enum kr_purpose, const uint8_t *, size_t);

/*
 * A key pair held by the sealed back end.  The struct itself lives in
 * secure memory; so do the private key serialization and the Ed25519
 * expanded secret key.  The Mbed TLS context (EC, RSA) keeps its numbers
 * on the heap and zeroizes them in mbedtls_pk_free().
 *
 * Private key serialization (the plaintext of a sealed file):
 *   P-256, P-384  the scalar d, big-endian, 32 or 48 bytes
 *   Ed25519       the 32-byte seed
 *   RSA           PKCS#1 RSAPrivateKey, DER
 */
struct kr_keypair;

#define KR_EC_P256_PRIV_BYTES	32
#define KR_EC_P384_PRIV_BYTES	48
#define KR_ED25519_SEED_BYTES	32
#define KR_RSA_PRIV_DER_MAX	4096	/* RSA-4096 needs about 2350 */
#define KR_PRIV_MAX_BYTES	KR_RSA_PRIV_DER_MAX

int		 kr_keypair_generate(enum kr_key_alg, struct kr_keypair **,
		    struct kr_err *) KR_WUR;
/*
 * Rebuilds a key pair from its serialization and derives its public key.
 * The caller compares kr_keypair_spki() with the public key it expects.
 */
int		 kr_keypair_load(enum kr_key_alg, const uint8_t *, size_t,
		    struct kr_keypair **, struct kr_err *) KR_WUR;
void		 kr_keypair_free(struct kr_keypair **);
const uint8_t	*kr_keypair_spki(const struct kr_keypair *, size_t *);
/* The serialization; points into secure memory owned by the key pair. */
const uint8_t	*kr_keypair_private(const struct kr_keypair *, size_t *);

/* sig must hold KR_SIG_MAX_BYTES; *siglen receives the length. */
int		 kr_keypair_sign_digest(struct kr_keypair *, enum kr_sig_alg,
		    const uint8_t *, size_t, uint8_t *, size_t *,
		    struct kr_err *) KR_WUR;
int		 kr_keypair_sign_message(struct kr_keypair *, enum kr_sig_alg,
		    const uint8_t *, size_t, uint8_t *, size_t *,
		    struct kr_err *) KR_WUR;

/* The sealed file format; see docs/formats-sealed.md. */
#define KR_SEALED_MAGIC		"KRSEALED"
#define KR_SEALED_MAGIC_BYTES	8
#define KR_SEALED_VERSION	1
#define KR_WRAP_INFO		"keyrite wrap v1"

/*
 * qseal.c: sealing under a quorum secret (the sealed key file, the token
 * PIN file): key = HKDF-SHA-256(qsecret, tag || key id), then
 * XChaCha20-Poly1305 with the file header as AAD.  Return KR_OK,
 * KR_ENOMEM, KR_ECRYPTO or KR_EVERIFY; the caller words the message.
 */
int		 kr_qseal_derive(const uint8_t *, const char *, const uint8_t *,
		    uint8_t *) KR_WUR;
/* *out (malloc'd) = aad || ciphertext || tag. */
int		 kr_qseal_encrypt(const uint8_t *, const char *,
		    const uint8_t *, const uint8_t *, size_t, const uint8_t *,
		    const uint8_t *, size_t, uint8_t **, size_t *) KR_WUR;
/* *pt: the plaintext (ct_len - tag bytes) in secure memory. */
int		 kr_qseal_decrypt(const uint8_t *, const char *,
		    const uint8_t *, const uint8_t *, size_t, const uint8_t *,
		    const uint8_t *, size_t, uint8_t **) KR_WUR;

/*
 * For the unit tests only: copies a sealed signer's private key
 * serialization into buf (capacity cap).  KR_EINPUT if the signer is not
 * a sealed one or buf is too small.
 */
int		 kr_sealed_private_bytes(const struct kr_signer *, uint8_t *,
		    size_t, size_t *) KR_WUR;

#endif /* KEYRITE_KEYSTORE_INT_H */
