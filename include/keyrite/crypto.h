/*
 * keyrite crypto: streaming hashes, signature verification, AEAD and KDF
 * wrappers, the CSPRNG, and the power-on self-tests.
 *
 * Hashes and verification come from Mbed TLS 2.28; BLAKE2b, Ed25519,
 * Argon2id and XChaCha20-Poly1305 from libsodium.  Nothing here holds a
 * long-term private key: signing lives in keystore/.
 */
#ifndef KEYRITE_CRYPTO_H
#define KEYRITE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/base.h>

/* Hashes */
enum kr_hash_alg {
	KR_HASH_SHA256 = 1,
	KR_HASH_SHA384,
	KR_HASH_SHA512,
	KR_HASH_BLAKE2B512,
};

#define KR_HASH_MAX_BYTES	64

/* Opaque streaming state; sized and aligned for every algorithm. */
struct kr_hash {
	int				alg;
	_Alignas(64) unsigned char	state[512];
};

size_t		 kr_hash_len(enum kr_hash_alg);
const char	*kr_hash_name(enum kr_hash_alg);
int		 kr_hash_init(struct kr_hash *, enum kr_hash_alg) KR_WUR;
void		 kr_hash_update(struct kr_hash *, const void *, size_t);
/* Writes kr_hash_len() bytes and wipes the state. */
void		 kr_hash_final(struct kr_hash *, uint8_t *);
int		 kr_hash(enum kr_hash_alg alg, const void *data, size_t len,
		    uint8_t *out) KR_WUR;
/*
 * A file's digest, read in pieces (an image of any size); `st` (may be
 * NULL) receives what fstat said of the file that was read.
 */
struct stat;
int		 kr_hash_file(const char *path, enum kr_hash_alg alg,
		    uint8_t *out, struct stat *st, struct kr_err *err) KR_WUR;

/*
 * Hashes on a second thread (src/crypto/hash_thread.c); each gives the
 * digest kr_hash() would.  A job hashes a buffer the caller leaves
 * unchanged until kr_hash_job_finish (which waits and frees; digest may
 * be NULL to drop it; kr_hash_job_cancel waits and drops, on error
 * paths).  A pipe takes appends of any size and hashes them
 * behind the caller; kr_hash_pipe_final waits, writes the digest (unless
 * NULL) and frees.
 */
struct kr_hash_job;
struct kr_hash_pipe;

int	kr_hash_job_start(struct kr_hash_job **, enum kr_hash_alg,
	    const void *data, size_t len) KR_WUR;
int	kr_hash_job_finish(struct kr_hash_job **, uint8_t *digest) KR_WUR;
void	kr_hash_job_cancel(struct kr_hash_job **);
int	kr_hash_pipe_new(struct kr_hash_pipe **, enum kr_hash_alg) KR_WUR;
void	kr_hash_pipe_update(struct kr_hash_pipe *, const void *data,
	    size_t len);
void	kr_hash_pipe_final(struct kr_hash_pipe **, uint8_t *digest);

/* Key algorithms keyrite can generate and hold. */
enum kr_key_alg {
	KR_KEY_P256 = 1,
	KR_KEY_P384,
	KR_KEY_ED25519,
	KR_KEY_RSA3072,
	KR_KEY_RSA4096,
};

const char	*kr_key_alg_name(enum kr_key_alg);	/* "p256" ... */
int		 kr_key_alg_from_name(const char *, enum kr_key_alg *) KR_WUR;

/*
 * What a key may be used for: fixed at generation, checked on every use
 * (keystore/).  The names are what an operator types ("ca"), named here,
 * below the key store, so a front end reads them without it.
 */
enum kr_purpose {
	KR_PURPOSE_CA = 1,
	KR_PURPOSE_FIRMWARE,
	KR_PURPOSE_CRL,
	KR_PURPOSE_OCSP,
	KR_PURPOSE_AUDIT,
};

/* Returns "unknown" for a value that is not a purpose. */
const char	*kr_purpose_name(enum kr_purpose);
int		 kr_purpose_from_name(const char *, enum kr_purpose *) KR_WUR;

/*
 * A signature algorithm is a scheme and a hash (kr_sig_alg_scheme(),
 * kr_sig_alg_hash()); the curve is the key's, not the algorithm's.
 */
enum kr_sig_scheme {
	KR_SCHEME_ECDSA = 1,	/* on the key's curve: P-256 or P-384 */
	KR_SCHEME_RSA_PKCS1,	/* PKCS#1 v1.5 */
	KR_SCHEME_RSA_PSS,	/* MGF1 with the hash, salt = hash length */
	KR_SCHEME_ED25519,	/* pure Ed25519 over the message, no hash */
};

/*
 * Signature algorithms keyrite can verify (and, in keystore/, make), one
 * name for each scheme and hash.  An ECDSA name says the hash an
 * AlgorithmIdentifier names (ecdsa-with-SHA256) and the key keyrite makes
 * it with (P-256); a signature from elsewhere may pair either hash with
 * either curve (KR_VERIFY_ANY_CURVE).
 */
enum kr_sig_alg {
	KR_SIG_ECDSA_P256_SHA256 = 1,
	KR_SIG_ECDSA_P384_SHA384,
	KR_SIG_RSA_PKCS1_SHA256,
	KR_SIG_RSA_PKCS1_SHA384,
	KR_SIG_RSA_PKCS1_SHA512,
	KR_SIG_RSA_PSS_SHA256,		/* MGF1 with the same hash, salt = hash length */
	KR_SIG_RSA_PSS_SHA384,
	KR_SIG_RSA_PSS_SHA512,
	KR_SIG_ED25519,			/* pure Ed25519 over the message */
};

#define KR_SIG_MAX_BYTES	512	/* RSA-4096 */

const char	*kr_sig_alg_name(enum kr_sig_alg);
/* The scheme of an algorithm; 0 for one keyrite does not know. */
enum kr_sig_scheme kr_sig_alg_scheme(enum kr_sig_alg);
/* The hash an algorithm signs; 0 for pure Ed25519. */
enum kr_hash_alg kr_sig_alg_hash(enum kr_sig_alg);
/* The algorithm of a scheme and a hash; 0 if keyrite has none. */
enum kr_sig_alg	 kr_sig_alg_of(enum kr_sig_scheme, enum kr_hash_alg);
/* The default signature algorithm for a key algorithm. */
enum kr_sig_alg	 kr_sig_alg_default(enum kr_key_alg);
/* Whether a signature algorithm can be made with a key algorithm. */
bool		 kr_sig_alg_fits(enum kr_sig_alg, enum kr_key_alg);

/* What a SubjectPublicKeyInfo holds. */
enum kr_pk_type {
	KR_PK_EC_P256 = 1,
	KR_PK_EC_P384,
	KR_PK_ED25519,
	KR_PK_RSA,
};

struct kr_spki_info {
	enum kr_pk_type	type;
	unsigned	bits;		/* modulus or field size */
};

#define KR_SPKI_MAX_BYTES	1024

/*
 * Parses a DER SubjectPublicKeyInfo (EC point checked to be on the curve,
 * RSA modulus and exponent sane, Ed25519 by its fixed encoding).  Trailing
 * bytes are refused.
 */
int		 kr_spki_parse(const uint8_t *, size_t, struct kr_spki_info *,
		    struct kr_err *) KR_WUR;
/* Maps a parsed SPKI to the key algorithm keyrite names it by, if any. */
int		 kr_spki_key_alg(const struct kr_spki_info *,
		    enum kr_key_alg *) KR_WUR;
/* SHA-256 of the SPKI DER, as lower-case hex (65 bytes with NUL). */
#define KR_FINGERPRINT_STR_BYTES	65
void		 kr_spki_fingerprint(const uint8_t *der, size_t len, char *out);
/*
 * SHA-256 (32 bytes) of the SPKI of the negated point, the other public
 * key of the same EC or Ed25519 secret; KR_ENOENT for an RSA key.
 */
int		 kr_spki_negated_sha256(const uint8_t *der, size_t len,
		    uint8_t *out, struct kr_err *) KR_WUR;

/*
 * Signature verification: the one check every module uses.  Returns KR_OK
 * or KR_EVERIFY (or KR_EINPUT for an unusable public key, a key of
 * another kind, or bad arguments).
 * Arguments: (alg, SPKI DER, its length, message or digest, its length,
 * signature, its length, flags, err).  Flags:
 *   KR_VERIFY_ECDSA_RAW   ECDSA signatures are the fixed-width r||s of
 *                         IEEE P1363 and PKCS#11, not strict DER
 *                         (Ecdsa-Sig-Value)
 *   KR_VERIFY_DIGEST      the data is the digest, computed by the caller
 *                         with the algorithm's hash (not for Ed25519)
 *   KR_VERIFY_ANY_CURVE   ECDSA on either curve, whatever the hash: for
 *                         signatures keyrite did not make (certificates,
 *                         requests and CRLs: `openssl req` signs with a
 *                         P-384 key and SHA-256 by default).  Without it
 *                         the key must be of the kind keyrite makes `alg`
 *                         with (kr_sig_alg_fits()).
 */
#define KR_VERIFY_ECDSA_RAW	0x1
#define KR_VERIFY_DIGEST	0x2
#define KR_VERIFY_ANY_CURVE	0x4

int		 kr_sig_verify(enum kr_sig_alg alg, const uint8_t *spki,
		    size_t spkilen, const uint8_t *data, size_t len,
		    const uint8_t *sig, size_t siglen, unsigned flags,
		    struct kr_err *err) KR_WUR;
/* kr_sig_verify() with KR_VERIFY_DIGEST added to the flags. */
int		 kr_sig_verify_digest(enum kr_sig_alg alg, const uint8_t *spki,
		    size_t spkilen, const uint8_t *md, size_t mdlen,
		    const uint8_t *sig, size_t siglen, unsigned flags,
		    struct kr_err *err) KR_WUR;

/*
 * A verifier: kr_sig_verify() for many signatures by one key, the
 * issuer's across a batch.  kr_verifier_check() takes the arguments of
 * kr_sig_verify() and gives the same answer; it keeps the last SPKI it
 * was given loaded, and for an ECDSA key it keeps the key's precomputed
 * multiples after its first check (a P-256 check costs about 30% less).  A
 * verifier is for one thread at a time.
 */
struct kr_verifier;

int		 kr_verifier_new(struct kr_verifier **, struct kr_err *) KR_WUR;
int		 kr_verifier_check(struct kr_verifier *, enum kr_sig_alg alg,
		    const uint8_t *spki, size_t spkilen, const uint8_t *data,
		    size_t len, const uint8_t *sig, size_t siglen,
		    unsigned flags, struct kr_err *err) KR_WUR;
void		 kr_verifier_free(struct kr_verifier **);

/*
 * ECDSA signature encodings: raw r||s (each `half` bytes) <-> DER.
 * raw_to_der(raw, 2 * half, der, &derlen): derlen holds the room in der on
 * entry (2 * half + 9 always suffices) and the length written on return.
 * der_to_raw(der, derlen, half, raw) is the strict reader kr_sig_verify()
 * uses and writes 2 * half bytes.  r = 0 or s = 0 is refused both ways.
 */
int		 kr_ecdsa_raw_to_der(const uint8_t *raw, size_t rawlen,
		    uint8_t *der, size_t *derlen) KR_WUR;
int		 kr_ecdsa_der_to_raw(const uint8_t *der, size_t derlen,
		    size_t half, uint8_t *raw) KR_WUR;

/* AEAD: XChaCha20-Poly1305 (IETF). */
#define KR_AEAD_KEY_BYTES	32
#define KR_AEAD_NONCE_BYTES	24
#define KR_AEAD_TAG_BYTES	16

/* (c, m, mlen, ad, adlen, nonce, key); c receives mlen + KR_AEAD_TAG_BYTES. */
int		 kr_aead_seal(uint8_t *c, const uint8_t *m, size_t mlen,
		    const uint8_t *ad, size_t adlen, const uint8_t *nonce,
		    const uint8_t *key) KR_WUR;
/*
 * (m, c, clen, ad, adlen, nonce, key); m receives clen - KR_AEAD_TAG_BYTES
 * bytes; KR_EVERIFY on a bad tag.
 */
int		 kr_aead_open(uint8_t *m, const uint8_t *c, size_t clen,
		    const uint8_t *ad, size_t adlen, const uint8_t *nonce,
		    const uint8_t *key) KR_WUR;

/* Argon2id (version 0x13, one lane, as libsodium computes it). */
#define KR_KDF_SALT_BYTES	16

struct kr_kdf_params {
	uint32_t	opslimit;	/* passes, >= 1 */
	uint32_t	mem_kib;	/* memory in KiB, >= 8 */
};

/* (out, outlen, passphrase, its length, salt, params, err) */
int		 kr_kdf_argon2id(uint8_t *out, size_t outlen, const char *pw,
		    size_t pwlen, const uint8_t *salt,
		    const struct kr_kdf_params *p, struct kr_err *err) KR_WUR;
/*
 * HKDF-SHA-256 (RFC 5869): (out, outlen, ikm, ikmlen, salt, saltlen, info,
 * infolen); salt may be NULL.
 */
int		 kr_hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *ikm,
		    size_t ikmlen, const uint8_t *salt, size_t saltlen,
		    const uint8_t *info, size_t infolen) KR_WUR;

/* The operating system's CSPRNG (libsodium randombytes). */
void		 kr_random(void *, size_t);
/* An Mbed TLS f_rng callback over kr_random; ctx is ignored. */
int		 kr_mbedtls_rng(void *ctx, unsigned char *p, size_t len);

/*
 * Start-up: sodium_init() then every known-answer test.  On failure the
 * message names the test that failed and keyrite must not go on.
 */
int		 kr_crypto_init(struct kr_err *) KR_WUR;

/* The self-tests by name, for the unit tests and `keyrite status`. */
size_t		 kr_selftest_count(void);
const char	*kr_selftest_name(size_t);
/*
 * Runs every self-test; a test named in `sabotage` (or NULL) is fed a
 * corrupted expected value so the tests can prove the failure path.
 */
int		 kr_selftest_run(const char *, struct kr_err *) KR_WUR;

#endif /* KEYRITE_CRYPTO_H */
