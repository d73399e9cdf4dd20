/*
 * keyrite quorum: Shamir secret sharing over GF(2^8) in constant time, and
 * the custodian share file.
 *
 * A share file holds one custodian's share of a quorum secret, encrypted
 * under a key stretched from that custodian's passphrase (Argon2id) and
 * signed by the one-time dealer key of its share set.  The format is in
 * docs/formats.md.
 */
#ifndef KEYRITE_QUORUM_H
#define KEYRITE_QUORUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>

#define KR_QUORUM_SECRET_BYTES	32
#define KR_SET_ID_BYTES		16
#define KR_KEY_ID_BYTES		16
#define KR_DEALER_PK_BYTES	32
#define KR_DEALER_SIG_BYTES	64
#define KR_CUSTODIAN_NAME_MAX	64	/* bytes, not counting NUL */
#define KR_CUSTODIANS_MAX	255
#define KR_SHARE_FILE_MAX	4096
/* A custodian's approval key (share file format 2): Ed25519. */
#define KR_APPROVAL_PK_BYTES	32
#define KR_APPROVAL_SEED_BYTES	32
#define KR_APPROVAL_SIG_BYTES	64
/* "AB:CD:..." : 32 pairs, 31 colons, NUL */
#define KR_APPROVAL_FP_BYTES	96

/* GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1; constant time. */
uint8_t		 kr_gf256_mul(uint8_t a, uint8_t b);
uint8_t		 kr_gf256_inv(uint8_t);	/* inv(0) = 0 */

/*
 * Splits `len` secret bytes into n shares with threshold m
 * (2 <= m <= n <= 255).  xs[i] = i + 1; ys receives n * len bytes (share i
 * at ys + i * len).  Coefficients come from the CSPRNG and are wiped.
 */
int		 kr_shamir_split(const uint8_t *secret, size_t len, unsigned m,
		    unsigned n, uint8_t *xs, uint8_t *ys) KR_WUR;
/*
 * Interpolates at x = 0 from k shares of len bytes (share i is x = xs[i],
 * y = ys[i]) into secret[len].  Refuses k < 1, a zero x and duplicate xs
 * (KR_EINPUT).  It cannot know m: fewer than m shares give a wrong value,
 * which is why kr_share_combine() checks m first.
 */
int		 kr_shamir_combine(const uint8_t *xs, const uint8_t *const *ys,
		    size_t k, size_t len, uint8_t *secret) KR_WUR;

/* A one-time dealer key: made for one share set, wiped once it is dealt. */
struct kr_dealer {
	uint8_t	*sk;				/* secure memory, 64 bytes */
	uint8_t	 pk[KR_DEALER_PK_BYTES];
};

int		 kr_dealer_new(struct kr_dealer *, struct kr_err *) KR_WUR;
void		 kr_dealer_free(struct kr_dealer *);

/* The public, signed part of a share file (the AEAD associated data). */
struct kr_share_header {
	uint16_t		version;
	uint8_t			set_id[KR_SET_ID_BYTES];
	uint32_t		epoch;
	uint8_t			key_id[KR_KEY_ID_BYTES];
	uint8_t			m;
	uint8_t			n;
	uint8_t			x;
	char			custodian[KR_CUSTODIAN_NAME_MAX + 1];
	struct kr_kdf_params	kdf;
	uint8_t			salt[KR_KDF_SALT_BYTES];
	uint8_t			nonce[KR_AEAD_NONCE_BYTES];
	uint8_t			dealer_pk[KR_DEALER_PK_BYTES];
	/* Format 2 only: the custodian's approval public key. */
	uint8_t			approval_pk[KR_APPROVAL_PK_BYTES];
};

/*
 * A parsed share file; `y` is set (secure memory) once it is opened, and
 * for format 2 also `approval_sk` (the custodian's Ed25519 approval key,
 * secure memory, until kr_share_approval_forget).
 */
struct kr_share {
	struct kr_share_header	 h;
	char			 label[256];	/* file name, for messages */
	uint8_t			 ct[KR_QUORUM_SECRET_BYTES +
				    KR_APPROVAL_SEED_BYTES + KR_AEAD_TAG_BYTES];
	size_t			 ct_len;
	uint8_t			 sig[KR_DEALER_SIG_BYTES];
	size_t			 signed_len;	/* bytes the signature covers */
	uint8_t			*y;
	uint8_t			*approval_sk;	/* 64 bytes, libsodium form */
};

/* Checks a custodian name: 1..64 bytes of printable UTF-8, no '/' or NUL. */
int		 kr_custodian_name_check(const char *, struct kr_err *) KR_WUR;

/*
 * Builds a share file: the header (salt and nonce are filled in here),
 * share value y encrypted under Argon2id(passphrase), signed by the
 * dealer.  The result is malloc'd (it holds no plaintext secret).
 */
int		 kr_share_seal(struct kr_share_header *h, const uint8_t *y,
		    const char *pass, size_t passlen, const struct kr_dealer *d,
		    uint8_t **out, size_t *outlen, struct kr_err *err) KR_WUR;
/*
 * The same in format 2: the plaintext is y and the custodian's 32-byte
 * approval key seed; its public key goes into the header
 * (h->approval_pk is filled in here).
 */
int		 kr_share_seal_v2(struct kr_share_header *, const uint8_t *,
		    const uint8_t *, const char *, size_t,
		    const struct kr_dealer *, uint8_t **, size_t *,
		    struct kr_err *) KR_WUR;
/*
 * Parses a share file's structure (magic, version, lengths, field ranges).
 * `label` names the file in messages.  Does not check the signature.
 */
int		 kr_share_parse(const uint8_t *buf, size_t len,
		    const char *label, struct kr_share *s, struct kr_err *err)
		    KR_WUR;
/* Verifies the dealer signature against the recorded dealer key. */
int		 kr_share_check_signature(const struct kr_share *,
		    const uint8_t *, struct kr_err *) KR_WUR;
/* Decrypts y with the custodian's passphrase (KR_EAUTH if wrong). */
int		 kr_share_open(struct kr_share *, const char *, size_t,
		    struct kr_err *) KR_WUR;
/*
 * Recovers the quorum secret from k opened shares: all of one set, epoch
 * and key, no duplicate x or custodian, no x = 0, and k >= m.  Each
 * refusal names the share file and custodian.
 */
int		 kr_share_combine(struct kr_share *const *, size_t, uint8_t *,
		    struct kr_err *) KR_WUR;
/* Wipes and frees y and the approval key. */
void		 kr_share_clear(struct kr_share *);

/* Whether the share file holds an approval key (format 2). */
bool		 kr_share_has_approval_key(const struct kr_share *);
/*
 * Signs a message with the opened share's approval key (pure Ed25519)
 * and checks the signature with the header's public key.
 */
int		 kr_share_approve(const struct kr_share *, const uint8_t *,
		    size_t, uint8_t *, struct kr_err *) KR_WUR;
/* Wipes the approval key (the share value stays). */
void		 kr_share_approval_forget(struct kr_share *);
/*
 * The fingerprint a custodian writes down: SHA-256 of the 32-byte
 * approval public key, upper-case hex pairs joined by ':'.
 */
void		 kr_approval_fingerprint(const uint8_t *, char *);

#endif /* KEYRITE_QUORUM_H */
