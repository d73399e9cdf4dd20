/*
 * Signature verification, the one check in keyrite: ECDSA P-256 / P-384
 * and RSA (PKCS#1 v1.5, PSS) through Mbed TLS, Ed25519 through libsodium.
 * It works on the algorithm's scheme and hash; the curve is the key's.
 *
 * Everything keyrite signs is verified here before it is recorded, and so
 * is every certificate, CSR and CRL it reads, so a signature is accepted
 * in exactly one encoding: ECDSA in strict DER (read with src/der, Mbed
 * TLS's own reader is lenient) or fixed-width r||s, RSA exactly as long as
 * the modulus, PSS with a salt as long as the hash.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/rsa.h>
#include <sodium.h>

#include <keyrite/der.h>

#include "crypto_int.h"

/* Widest ECDSA half keyrite's encoders accept: P-521. */
#define KR_ECDSA_HALF_MAX	66

/* Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 5480) */
int
kr_ecdsa_der_to_raw(const uint8_t *der, size_t derlen, size_t half,
    uint8_t *raw)
{
	struct kr_der	top, seq;

	if (der == NULL || half == 0 || half > KR_ECDSA_HALF_MAX)
		return KR_EINPUT;
	kr_der_init(&top, der, derlen);
	if (kr_der_enter(&top, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_done(&top) != KR_OK)
		return KR_EINPUT;
	if (kr_der_get_uint_fixed(&seq, half, raw) != KR_OK ||
	    kr_der_get_uint_fixed(&seq, half, raw + half) != KR_OK ||
	    kr_der_done(&seq) != KR_OK) {
		sodium_memzero(raw, 2 * half);
		return KR_EINPUT;
	}
	return KR_OK;
}

int
kr_ecdsa_raw_to_der(const uint8_t *raw, size_t rawlen, uint8_t *der,
    size_t *derlen)
{
	uint8_t	buf[2 * KR_ECDSA_HALF_MAX + 9], *p = buf + sizeof(buf);
	size_t	half = rawlen / 2;
	int	r, s, n;

	if (raw == NULL || rawlen == 0 || rawlen % 2 != 0 ||
	    half > KR_ECDSA_HALF_MAX)
		return KR_EINPUT;
	/* backwards: s, then r, then the SEQUENCE header */
	s = kr_derw_uint(&p, buf, raw + half, half);
	r = kr_derw_uint(&p, buf, raw, half);
	if (r <= 0 || s <= 0)
		return KR_EINPUT;		/* r or s is zero */
	n = kr_derw_tl(&p, buf, (size_t)(r + s), KR_DER_SEQUENCE);
	if (n < 0 || der == NULL || (size_t)(r + s + n) > *derlen)
		return KR_EINPUT;
	*derlen = (size_t)(r + s + n);
	memcpy(der, p, *derlen);
	return KR_OK;
}

static int
kr_verify_fail(struct kr_err *err, enum kr_sig_alg alg, const char *why)
{
	return kr_err_set(err, KR_EVERIFY, "%s signature refused: %s",
	    kr_sig_alg_name(alg), why);
}

/* Whether x is in [1, n - 1]. */
static bool
kr_ecdsa_in_range(const mbedtls_ecp_group *grp, const mbedtls_mpi *x)
{
	return mbedtls_mpi_cmp_int(x, 1) >= 0 &&
	    mbedtls_mpi_cmp_mpi(x, &grp->N) < 0;
}

/* r and s from raw, each in [1, n - 1]. */
static bool
kr_ecdsa_read_rs(const mbedtls_ecp_group *grp, const uint8_t *raw,
    size_t half, mbedtls_mpi *r, mbedtls_mpi *s)
{
	if (mbedtls_mpi_read_binary(r, raw, half) != 0 ||
	    mbedtls_mpi_read_binary(s, raw + half, half) != 0)
		return false;
	return kr_ecdsa_in_range(grp, r) && kr_ecdsa_in_range(grp, s);
}

/*
 * The curves of ECDSA checks, kept per thread.  Mbed TLS keeps the
 * generator's precomputed multiples in the group the first time it
 * multiplies the generator; a key read from its SPKI brings a fresh
 * group, so each check computed them again (about half of a P-256
 * check).  The group of the key's curve is taken from here instead
 * (the same named curve, loaded by Mbed TLS from its own constants); a
 * thread's groups are freed when it ends.
 */
#define KR_EC_CACHED	2	/* P-256, P-384 */

struct kr_ec_cache {
	mbedtls_ecp_group	grp[KR_EC_CACHED];
	bool			loaded[KR_EC_CACHED];
};

static pthread_key_t	kr_ec_key;
static pthread_once_t	kr_ec_once = PTHREAD_ONCE_INIT;
static bool		kr_ec_key_ok;

static void
kr_ec_cache_free(void *arg)
{
	struct kr_ec_cache	*c = arg;
	size_t			 i;

	for (i = 0; i < KR_EC_CACHED; i++)
		mbedtls_ecp_group_free(&c->grp[i]);
	free(c);
}

static void
kr_ec_key_make(void)
{
	kr_ec_key_ok = pthread_key_create(&kr_ec_key, kr_ec_cache_free) == 0;
}

/* This thread's group for curve `id`, or NULL: use the key's own. */
static mbedtls_ecp_group *
kr_ec_group(mbedtls_ecp_group_id id)
{
	struct kr_ec_cache	*c;
	size_t			 i;

	if (id == MBEDTLS_ECP_DP_SECP256R1)
		i = 0;
	else if (id == MBEDTLS_ECP_DP_SECP384R1)
		i = 1;
	else
		return NULL;
	if (pthread_once(&kr_ec_once, kr_ec_key_make) != 0 || !kr_ec_key_ok)
		return NULL;
	if ((c = pthread_getspecific(kr_ec_key)) == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return NULL;
		if (pthread_setspecific(kr_ec_key, c) != 0) {
			free(c);
			return NULL;
		}
	}
	if (!c->loaded[i]) {
		mbedtls_ecp_group_init(&c->grp[i]);
		if (mbedtls_ecp_group_load(&c->grp[i], id) != 0) {
			mbedtls_ecp_group_free(&c->grp[i]);
			return NULL;
		}
		c->loaded[i] = true;
	}
	return &c->grp[i];
}

/*
 * A group of the key's curve whose generator is the key Q, for a
 * verifier: Mbed TLS keeps precomputed multiples only of a group's
 * generator (ecp_mul_comb), so u2 * Q is computed from a kept table
 * after the first check, as u1 * G is.  A loaded group's constants are
 * Mbed TLS's static data (h == 1): mbedtls_ecp_group_free() leaves them
 * alone, so G is forgotten, not freed, and Q is copied into a fresh
 * point, which kr_ecq_free() frees.  A loaded group may also point T at
 * the static table of the real generator (T_size == 0); that table is
 * forgotten too, or u2 * Q would be computed as u2 * G.
 */
static mbedtls_ecp_group *
kr_ecq_new(const mbedtls_ecp_keypair *ec)
{
	mbedtls_ecp_group	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	mbedtls_ecp_group_init(q);
	if (mbedtls_ecp_group_load(q, ec->grp.id) != 0 || q->h != 1 ||
	    q->T_size != 0) {
		mbedtls_ecp_group_free(q);
		free(q);
		return NULL;
	}
	q->T = NULL;
	mbedtls_ecp_point_init(&q->G);
	if (mbedtls_ecp_copy(&q->G, &ec->Q) != 0) {
		mbedtls_ecp_point_free(&q->G);
		mbedtls_ecp_group_free(q);
		free(q);
		return NULL;
	}
	return q;
}

static void
kr_ecq_free(mbedtls_ecp_group *q)
{
	if (q == NULL)
		return;
	mbedtls_ecp_point_free(&q->G);
	mbedtls_ecp_group_free(q);
	free(q);
}

/*
 * The digest as an integer mod n, as Mbed TLS's ECDSA takes it (SEC1
 * 4.1.4 step 5): its leftmost nbits bits, less n once if it is n or more.
 */
static int
kr_ecq_digest(const mbedtls_ecp_group *grp, const uint8_t *md, size_t mdlen,
    mbedtls_mpi *e)
{
	size_t	use = (grp->nbits + 7) / 8;
	int	rc;

	if (use > mdlen)
		use = mdlen;
	if ((rc = mbedtls_mpi_read_binary(e, md, use)) != 0)
		return rc;
	if (use * 8 > grp->nbits &&
	    (rc = mbedtls_mpi_shift_r(e, use * 8 - grp->nbits)) != 0)
		return rc;
	if (mbedtls_mpi_cmp_mpi(e, &grp->N) >= 0)
		return mbedtls_mpi_sub_mpi(e, e, &grp->N);
	return 0;
}

/*
 * mbedtls_ecdsa_verify() with u2 * Q from the key's group `q`: w = 1/s,
 * u1 = e w, u2 = r w (mod n), R = u1 G + u2 Q, not zero, R.x = r (mod n).
 * 0 or an Mbed TLS error; r and s are public, so nothing here needs to
 * take the same time whatever they are.
 */
static int
kr_ecq_verify(mbedtls_ecp_group *q, mbedtls_ecp_group *grp,
    const uint8_t *md, size_t mdlen, const mbedtls_mpi *r,
    const mbedtls_mpi *s)
{
	mbedtls_mpi		e, w, u1, u2, one;
	mbedtls_ecp_point	X, R;
	int			rc;

	mbedtls_mpi_init(&e);
	mbedtls_mpi_init(&w);
	mbedtls_mpi_init(&u1);
	mbedtls_mpi_init(&u2);
	mbedtls_mpi_init(&one);
	mbedtls_ecp_point_init(&X);
	mbedtls_ecp_point_init(&R);
	if (!kr_ecdsa_in_range(grp, r) || !kr_ecdsa_in_range(grp, s)) {
		rc = MBEDTLS_ERR_ECP_VERIFY_FAILED;
		goto out;
	}
	if ((rc = kr_ecq_digest(grp, md, mdlen, &e)) != 0 ||
	    (rc = mbedtls_mpi_inv_mod(&w, s, &grp->N)) != 0 ||
	    (rc = mbedtls_mpi_mul_mpi(&u1, &e, &w)) != 0 ||
	    (rc = mbedtls_mpi_mod_mpi(&u1, &u1, &grp->N)) != 0 ||
	    (rc = mbedtls_mpi_mul_mpi(&u2, r, &w)) != 0 ||
	    (rc = mbedtls_mpi_mod_mpi(&u2, &u2, &grp->N)) != 0 ||
	    (rc = mbedtls_mpi_lset(&one, 1)) != 0)
		goto out;
	/* X = u2 Q from q's table, then R = u1 G + 1 X from grp's */
	if ((rc = mbedtls_ecp_mul(q, &X, &u2, &q->G, NULL, NULL)) != 0 ||
	    (rc = mbedtls_ecp_muladd(grp, &R, &u1, &grp->G, &one, &X)) != 0)
		goto out;
	if (mbedtls_ecp_is_zero(&R) ||
	    (rc = mbedtls_mpi_mod_mpi(&R.X, &R.X, &grp->N)) != 0 ||
	    mbedtls_mpi_cmp_mpi(&R.X, r) != 0)
		rc = MBEDTLS_ERR_ECP_VERIFY_FAILED;
out:
	mbedtls_mpi_free(&e);
	mbedtls_mpi_free(&w);
	mbedtls_mpi_free(&u1);
	mbedtls_mpi_free(&u2);
	mbedtls_mpi_free(&one);
	mbedtls_ecp_point_free(&X);
	mbedtls_ecp_point_free(&R);
	return rc;
}

static int
kr_verify_ecdsa(const struct kr_pubkey *key, enum kr_sig_alg alg,
    const uint8_t *md, size_t mdlen, const uint8_t *sig, size_t siglen,
    unsigned flags, struct kr_err *err)
{
	mbedtls_ecp_keypair	*ec = mbedtls_pk_ec(key->pk);
	mbedtls_ecp_group	*grp;
	mbedtls_mpi		 r, s;
	uint8_t			 raw[2 * KR_ECDSA_HALF_MAX];
	size_t			 half;
	int			 ret = KR_EVERIFY;

	if (ec == NULL)
		return kr_err_set(err, KR_EINTERNAL, "public key: no EC key");
	half = (ec->grp.nbits + 7) / 8;
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	if ((flags & KR_VERIFY_ECDSA_RAW) != 0) {
		if (siglen != 2 * half) {
			ret = kr_verify_fail(err, alg, "a raw r||s signature "
			    "has the wrong length");
			goto out;
		}
		memcpy(raw, sig, siglen);
	} else if (kr_ecdsa_der_to_raw(sig, siglen, half, raw) != KR_OK) {
		ret = kr_verify_fail(err, alg, "not a strict DER "
		    "Ecdsa-Sig-Value");
		goto out;
	}
	if (!kr_ecdsa_read_rs(&ec->grp, raw, half, &r, &s)) {
		ret = kr_verify_fail(err, alg, "r or s is out of range");
		goto out;
	}
	if ((grp = kr_ec_group(ec->grp.id)) == NULL)
		grp = &ec->grp;
	if ((key->ecq != NULL ? kr_ecq_verify(key->ecq, grp, md, mdlen, &r,
	    &s) : mbedtls_ecdsa_verify(grp, md, mdlen, &ec->Q, &r, &s)) != 0) {
		ret = kr_verify_fail(err, alg, "it does not match the data "
		    "and the public key");
		goto out;
	}
	ret = KR_OK;
out:
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	return ret;
}

static int
kr_verify_rsa(struct kr_pubkey *key, enum kr_sig_alg alg,
    const uint8_t *md, size_t mdlen, const uint8_t *sig, size_t siglen,
    struct kr_err *err)
{
	mbedtls_rsa_context	*rsa = mbedtls_pk_rsa(key->pk);
	mbedtls_md_type_t	 mdt = kr_hash_md_type(kr_sig_alg_hash(alg));
	int			 rc;

	if (rsa == NULL)
		return kr_err_set(err, KR_EINTERNAL, "public key: no RSA key");
	if (key->info.bits < 2048)
		return kr_err_set(err, KR_EINPUT, "public key: RSA keys "
		    "under 2048 bits are not accepted");
	if (siglen != mbedtls_rsa_get_len(rsa))
		return kr_verify_fail(err, alg, "its length differs from "
		    "the length of the RSA modulus");
	if (kr_sig_alg_scheme(alg) == KR_SCHEME_RSA_PSS)
		rc = mbedtls_rsa_rsassa_pss_verify_ext(rsa, NULL, NULL,
		    MBEDTLS_RSA_PUBLIC, mdt, (unsigned)mdlen, md, mdt,
		    (int)mdlen, sig);
	else
		rc = mbedtls_rsa_rsassa_pkcs1_v15_verify(rsa, NULL, NULL,
		    MBEDTLS_RSA_PUBLIC, mdt, (unsigned)mdlen, md, sig);
	if (rc != 0)
		return kr_verify_fail(err, alg, "it does not match the data "
		    "and the public key");
	return KR_OK;
}

static int
kr_verify_ed25519(struct kr_pubkey *key, const uint8_t *msg, size_t msglen,
    const uint8_t *sig, size_t siglen, struct kr_err *err)
{
	static const uint8_t	empty[1];

	if (siglen != crypto_sign_BYTES)
		return kr_verify_fail(err, KR_SIG_ED25519, "an Ed25519 "
		    "signature is exactly 64 bytes");
	if (crypto_sign_verify_detached(sig, msg != NULL ? msg : empty,
	    msglen, key->ed) != 0)
		return kr_verify_fail(err, KR_SIG_ED25519, "it does not match "
		    "the data and the public key");
	return KR_OK;
}

#define KR_VERIFY_FLAGS \
	(KR_VERIFY_ECDSA_RAW | KR_VERIFY_DIGEST | KR_VERIFY_ANY_CURVE)

/* Checks the key and the arguments suit `alg`. */
static int
kr_verify_args(const struct kr_pubkey *key, enum kr_sig_alg alg,
    const uint8_t *sig, unsigned flags, struct kr_err *err)
{
	if (kr_sig_alg_scheme(alg) == 0)
		return kr_err_set(err, KR_EINPUT, "signature algorithm %d is "
		    "not one keyrite knows", (int)alg);
	if (!kr_sig_alg_takes(alg, key->info.type,
	    (flags & KR_VERIFY_ANY_CURVE) != 0))
		return kr_err_set(err, KR_EINPUT, "public key: a %s signature "
		    "cannot be made with this kind of key",
		    kr_sig_alg_name(alg));
	if ((flags & ~(unsigned)KR_VERIFY_FLAGS) != 0)
		return kr_err_set(err, KR_EINPUT, "signature check: unknown "
		    "flags 0x%x", flags);
	if (sig == NULL)
		return kr_verify_fail(err, alg, "it is missing");
	return KR_OK;
}

/* ECDSA or RSA over a digest of the algorithm's hash. */
static int
kr_verify_hashed(struct kr_pubkey *key, enum kr_sig_alg alg,
    const uint8_t *md, size_t mdlen, const uint8_t *sig, size_t siglen,
    unsigned flags, struct kr_err *err)
{
	if (md == NULL)
		return kr_err_set(err, KR_EINPUT, "signature check: no digest");
	if (mdlen != kr_hash_len(kr_sig_alg_hash(alg)))
		return kr_err_set(err, KR_EINPUT, "signature check: a %zu-byte "
		    "digest does not suit %s", mdlen, kr_sig_alg_name(alg));
	if (key->info.type == KR_PK_RSA)
		return kr_verify_rsa(key, alg, md, mdlen, sig, siglen, err);
	return kr_verify_ecdsa(key, alg, md, mdlen, sig, siglen, flags, err);
}

/* The message (or with KR_VERIFY_DIGEST its digest) against the key. */
static int
kr_verify_data(struct kr_pubkey *key, enum kr_sig_alg alg,
    const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen,
    unsigned flags, struct kr_err *err)
{
	uint8_t			md[KR_HASH_MAX_BYTES];
	enum kr_hash_alg	hash = kr_sig_alg_hash(alg);
	int			ret;

	if ((flags & KR_VERIFY_DIGEST) != 0) {
		if (kr_sig_alg_scheme(alg) == KR_SCHEME_ED25519)
			return kr_err_set(err, KR_EINPUT, "signature check: "
			    "%s needs the message, not a digest",
			    kr_sig_alg_name(alg));
		return kr_verify_hashed(key, alg, data, len, sig, siglen,
		    flags, err);
	}
	if (data == NULL && len != 0)
		return kr_err_set(err, KR_EINPUT, "signature check: no data");
	if (kr_sig_alg_scheme(alg) == KR_SCHEME_ED25519)
		return kr_verify_ed25519(key, data, len, sig, siglen, err);
	if ((ret = kr_hash(hash, data, len, md)) != KR_OK)
		return ret;
	return kr_verify_hashed(key, alg, md, kr_hash_len(hash), sig, siglen,
	    flags, err);
}

int
kr_sig_verify(enum kr_sig_alg alg, const uint8_t *spki, size_t spkilen,
    const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen,
    unsigned flags, struct kr_err *err)
{
	struct kr_pubkey	key;
	int			ret;

	if ((ret = kr_pubkey_load(&key, spki, spkilen, err)) == KR_OK &&
	    (ret = kr_verify_args(&key, alg, sig, flags, err)) == KR_OK)
		ret = kr_verify_data(&key, alg, data, len, sig, siglen, flags,
		    err);
	kr_pubkey_free(&key);
	return ret;
}

struct kr_verifier {
	uint8_t			*spki;		/* NULL: no key loaded */
	size_t			 spkilen;
	struct kr_pubkey	 key;
	mbedtls_ecp_group	*ecq;		/* key.ecq */
};

int
kr_verifier_new(struct kr_verifier **vp, struct kr_err *err)
{
	if ((*vp = calloc(1, sizeof(**vp))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	return KR_OK;
}

static void
kr_verifier_forget(struct kr_verifier *v)
{
	if (v->spki == NULL)
		return;
	kr_pubkey_free(&v->key);
	kr_ecq_free(v->ecq);
	free(v->spki);
	v->spki = NULL;
	v->ecq = NULL;
}

void
kr_verifier_free(struct kr_verifier **vp)
{
	if (*vp == NULL)
		return;
	kr_verifier_forget(*vp);
	free(*vp);
	*vp = NULL;
}

/*
 * The key of `spki` loaded in `v`, kept from the last check if it is the
 * same; an ECDSA key with its group (without one, if it cannot be made,
 * the checks take kr_sig_verify()'s way).
 */
static int
kr_verifier_load(struct kr_verifier *v, const uint8_t *spki, size_t spkilen,
    struct kr_err *err)
{
	mbedtls_ecp_keypair	*ec;
	int			 ret;

	if (v->spki != NULL && spki != NULL && spkilen == v->spkilen &&
	    memcmp(spki, v->spki, spkilen) == 0)
		return KR_OK;
	kr_verifier_forget(v);
	if ((ret = kr_pubkey_load(&v->key, spki, spkilen, err)) != KR_OK) {
		kr_pubkey_free(&v->key);
		return ret;
	}
	if ((v->spki = malloc(spkilen)) == NULL) {
		kr_pubkey_free(&v->key);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	memcpy(v->spki, spki, spkilen);
	v->spkilen = spkilen;
	if ((v->key.info.type == KR_PK_EC_P256 ||
	    v->key.info.type == KR_PK_EC_P384) &&
	    (ec = mbedtls_pk_ec(v->key.pk)) != NULL)
		v->ecq = kr_ecq_new(ec);
	v->key.ecq = v->ecq;
	return KR_OK;
}

int
kr_verifier_check(struct kr_verifier *v, enum kr_sig_alg alg,
    const uint8_t *spki, size_t spkilen, const uint8_t *data, size_t len,
    const uint8_t *sig, size_t siglen, unsigned flags, struct kr_err *err)
{
	int	ret;

	if (v == NULL)
		return kr_err_set(err, KR_EINTERNAL, "signature check: no "
		    "verifier");
	if ((ret = kr_verifier_load(v, spki, spkilen, err)) != KR_OK ||
	    (ret = kr_verify_args(&v->key, alg, sig, flags, err)) != KR_OK)
		return ret;
	return kr_verify_data(&v->key, alg, data, len, sig, siglen, flags,
	    err);
}

size_t
kr_verifier_table_points(const struct kr_verifier *v)
{
	return v->ecq != NULL && v->ecq->T != NULL ? v->ecq->T_size : 0;
}

int
kr_sig_verify_digest(enum kr_sig_alg alg, const uint8_t *spki,
    size_t spkilen, const uint8_t *md, size_t mdlen, const uint8_t *sig,
    size_t siglen, unsigned flags, struct kr_err *err)
{
	return kr_sig_verify(alg, spki, spkilen, md, mdlen, sig, siglen,
	    flags | KR_VERIFY_DIGEST, err);
}
