/*
 * keyrite keystore: the only module that touches private key bytes or
 * token handles.  Everything above it sees a kr_signer: an algorithm, a
 * public key (SPKI DER) and a sign operation.
 *
 * A back end is a versioned table of functions (struct kr_signer_ops), in
 * the manner of SQLite's VFS: the sealed-file back end is here; a PKCS#11
 * back end fills the same table with a token session and object handle.
 */
#ifndef KEYRITE_KEYSTORE_H
#define KEYRITE_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/quorum.h>

/* What a key may be used for: fixed at generation, checked on every use. */
enum kr_purpose {
	KR_PURPOSE_CA = 1,
	KR_PURPOSE_FIRMWARE,
	KR_PURPOSE_CRL,
	KR_PURPOSE_OCSP,
	KR_PURPOSE_AUDIT,
};

const char	*kr_purpose_name(enum kr_purpose);
int		 kr_purpose_from_name(const char *, enum kr_purpose *) KR_WUR;

#define KR_KEY_NAME_MAX		64

/* Checks a key name: 1..64 of [A-Za-z0-9._-], not starting with '.' or '-'. */
int		 kr_key_name_check(const char *, struct kr_err *) KR_WUR;

struct kr_signer;

#define KR_SIGNER_OPS_VERSION	1

struct kr_signer_ops {
	int		 version;	/* KR_SIGNER_OPS_VERSION */
	const char	*backend;	/* "sealed", "pkcs11" */
	/* Signs a digest (ECDSA, RSA); sig is DER for ECDSA. */
	int		(*sign_digest)(struct kr_signer *, enum kr_sig_alg,
			    const uint8_t *, size_t, uint8_t *, size_t *,
			    struct kr_err *);
	/* Signs a whole message (pure Ed25519); NULL if unsupported. */
	int		(*sign_message)(struct kr_signer *, enum kr_sig_alg,
			    const uint8_t *, size_t, uint8_t *, size_t *,
			    struct kr_err *);
	/* Releases the back end's state, wiping any key bytes. */
	void		(*destroy)(struct kr_signer *);
};

struct kr_signer {
	const struct kr_signer_ops	*ops;
	void				*impl;	/* back end state */
	char				 name[KR_KEY_NAME_MAX + 1];
	uint8_t				 key_id[KR_KEY_ID_BYTES];
	enum kr_key_alg			 alg;
	enum kr_purpose			 purpose;
	uint8_t				*spki;	/* public key, DER */
	size_t				 spki_len;
};

/*
 * Signs a message with the signer.  The signature algorithm must fit the
 * key (kr_sig_alg_fits).  sig must hold KR_SIG_MAX_BYTES.  The caller
 * (authority/) verifies the result before recording it.
 */
int		 kr_signer_sign(struct kr_signer *, enum kr_sig_alg,
		    const uint8_t *, size_t, uint8_t *, size_t *,
		    struct kr_err *) KR_WUR;
/* Signs a digest the caller computed (streaming); not for Ed25519. */
int		 kr_signer_sign_digest(struct kr_signer *, enum kr_sig_alg,
		    const uint8_t *, size_t, uint8_t *, size_t *,
		    struct kr_err *) KR_WUR;
/* Refuses (KR_EREFUSED) a signer whose purpose is not the one asked. */
int		 kr_signer_require_purpose(const struct kr_signer *,
		    enum kr_purpose, struct kr_err *) KR_WUR;
/* Destroys the signer, wiping key material; NULLs the caller's pointer. */
void		 kr_signer_free(struct kr_signer **);

/*
 * The sealed back end.  The header below is the AEAD associated data of
 * the sealed file, so changing any of its bytes is detected on unseal.
 */
struct kr_sealed_header {
	uint16_t		version;
	uint8_t			key_id[KR_KEY_ID_BYTES];
	char			name[KR_KEY_NAME_MAX + 1];
	enum kr_key_alg		alg;
	enum kr_purpose		purpose;
	uint8_t			spki[KR_SPKI_MAX_BYTES];
	size_t			spki_len;
	uint8_t			set_id[KR_SET_ID_BYTES];
	uint32_t		epoch;
	uint8_t			m;
	uint8_t			n;
	uint8_t			dealer_pk[KR_DEALER_PK_BYTES];
	int64_t			created;
};

#define KR_SEALED_FILE_MAX	16384

/*
 * Generates a key pair of h->alg in secure memory, runs the pairwise
 * consistency test (sign, then verify with the public key), fills in
 * h->spki, and seals the private key under
 * HKDF-SHA-256(quorum secret, info = key id).  The sealed file's bytes are
 * returned in malloc'd memory (ciphertext only: no plaintext key).
 */
int		 kr_sealed_generate(struct kr_sealed_header *, const uint8_t *,
		    uint8_t **, size_t *, struct kr_err *) KR_WUR;
/* Parses and range-checks a sealed file's header without unsealing. */
int		 kr_sealed_parse_header(const uint8_t *, size_t, const char *,
		    struct kr_sealed_header *, struct kr_err *) KR_WUR;
/*
 * Unseals with the quorum secret and returns a signer.  A wrong secret or
 * any altered byte gives KR_EVERIFY naming the file.  The public key
 * derived from the private key must equal the header's.
 */
int		 kr_sealed_open(const uint8_t *, size_t, const char *,
		    const uint8_t *, struct kr_signer **, struct kr_err *) KR_WUR;

/* The wrap key derivation, exposed for the tests and docs. */
int		 kr_wrap_key_derive(const uint8_t *, const uint8_t *,
		    uint8_t *) KR_WUR;

#endif /* KEYRITE_KEYSTORE_H */
