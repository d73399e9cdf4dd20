/*
 * Private declarations shared by the files of src/crypto/.
 */
#ifndef KR_CRYPTO_INT_H
#define KR_CRYPTO_INT_H

#include <mbedtls/md.h>
#include <mbedtls/pk.h>

#include <keyrite/crypto.h>

#define KR_ED25519_PK_BYTES	32

/*
 * A public key loaded from a SubjectPublicKeyInfo, ready to verify with.
 * ecq is NULL after kr_pubkey_load(); a kr_verifier sets it to its own
 * group of the key's curve whose generator is the key (verify.c).
 */
struct kr_pubkey {
	struct kr_spki_info	info;
	mbedtls_pk_context	pk;		/* EC and RSA */
	uint8_t			ed[KR_ED25519_PK_BYTES];	/* Ed25519 */
	mbedtls_ecp_group	*ecq;
};

/* Parses `der` into `key`; call kr_pubkey_free() on every path after. */
int		 kr_pubkey_load(struct kr_pubkey *, const uint8_t *, size_t,
		    struct kr_err *);
void		 kr_pubkey_free(struct kr_pubkey *);

/*
 * Whether a key of this type can check a signature of `sig`: the kind
 * keyrite makes `sig` with, or with `any_curve` an ECDSA key on either
 * curve.
 */
bool		 kr_sig_alg_takes(enum kr_sig_alg, enum kr_pk_type, bool);

/* The Mbed TLS message digest for a hash, MBEDTLS_MD_NONE for BLAKE2b. */
mbedtls_md_type_t kr_hash_md_type(enum kr_hash_alg);

/*
 * SHA-256 whole blocks with the x86 SHA extensions (sha256_ni.c), when the
 * CPU has them; kr_sha256_ni_disable(true) forces the software path (for
 * the tests that compare the two).
 */
bool		 kr_sha256_ni_available(void);
void		 kr_sha256_ni_disable(bool);
void		 kr_sha256_ni_blocks(uint32_t *, const uint8_t *, size_t);

/*
 * For the tests: how many multiples of its key a kr_verifier keeps (0
 * before its first ECDSA check, or for a key it has no group for).
 */
size_t		 kr_verifier_table_points(const struct kr_verifier *);

#endif /* KR_CRYPTO_INT_H */
