/*
 * Key pairs of the sealed back end: generation, the private key
 * serialization that is sealed, rebuilding a key from it, and signing.
 *
 * EC and RSA keys are Mbed TLS contexts; Ed25519 keys are libsodium's.
 * Every private byte keyrite holds itself is in sodium_malloc memory; the
 * Mbed TLS numbers are on the heap and zeroized by mbedtls_pk_free().
 */
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <sodium.h>

#include <keyrite/keystore.h>

#include "keystore_int.h"

#define RSA_EXPONENT	65537

struct kr_keypair {
	enum kr_key_alg		 alg;
	uint8_t			*priv;		/* secure: serialization */
	size_t			 priv_len;
	uint8_t			*ed_sk;		/* secure: Ed25519 expanded */
	mbedtls_pk_context	 pk;		/* EC and RSA */
	uint8_t			 spki[KR_SPKI_MAX_BYTES];
	size_t			 spki_len;
};

enum sig_kind {
	SIG_ECDSA = 1,
	SIG_RSA_PKCS1,
	SIG_RSA_PSS,
	SIG_ED25519,
};

static const struct {
	enum kr_sig_alg		sa;
	enum sig_kind		kind;
	mbedtls_md_type_t	md;
} sigs[] = {
	{ KR_SIG_ECDSA_P256_SHA256,	SIG_ECDSA,	MBEDTLS_MD_SHA256 },
	{ KR_SIG_ECDSA_P384_SHA384,	SIG_ECDSA,	MBEDTLS_MD_SHA384 },
	{ KR_SIG_RSA_PKCS1_SHA256,	SIG_RSA_PKCS1,	MBEDTLS_MD_SHA256 },
	{ KR_SIG_RSA_PKCS1_SHA384,	SIG_RSA_PKCS1,	MBEDTLS_MD_SHA384 },
	{ KR_SIG_RSA_PKCS1_SHA512,	SIG_RSA_PKCS1,	MBEDTLS_MD_SHA512 },
	{ KR_SIG_RSA_PSS_SHA256,	SIG_RSA_PSS,	MBEDTLS_MD_SHA256 },
	{ KR_SIG_RSA_PSS_SHA384,	SIG_RSA_PSS,	MBEDTLS_MD_SHA384 },
	{ KR_SIG_RSA_PSS_SHA512,	SIG_RSA_PSS,	MBEDTLS_MD_SHA512 },
	{ KR_SIG_ED25519,		SIG_ED25519,	MBEDTLS_MD_NONE },
};

static int
mbed_fail(struct kr_err *err, const char *what, int rc)
{
	int	code = KR_ECRYPTO;

	if (rc == MBEDTLS_ERR_MPI_ALLOC_FAILED ||
	    rc == MBEDTLS_ERR_ECP_ALLOC_FAILED ||
	    rc == MBEDTLS_ERR_PK_ALLOC_FAILED)
		code = KR_ENOMEM;
	return kr_err_set(err, code, "%s failed (Mbed TLS error -0x%04x)",
	    what, (unsigned)-rc);
}

static struct kr_keypair *
keypair_new(enum kr_key_alg alg)
{
	struct kr_keypair	*kp;

	if ((kp = kr_secure_alloc(sizeof(*kp))) == NULL)
		return NULL;
	memset(kp, 0, sizeof(*kp));
	mbedtls_pk_init(&kp->pk);
	kp->alg = alg;
	return kp;
}

void
kr_keypair_free(struct kr_keypair **kpp)
{
	struct kr_keypair	*kp;

	if (kpp == NULL || (kp = *kpp) == NULL)
		return;
	mbedtls_pk_free(&kp->pk);
	kr_secure_free(kp->priv);
	kr_secure_free(kp->ed_sk);
	kr_secure_free(kp);
	*kpp = NULL;
}

const uint8_t *
kr_keypair_spki(const struct kr_keypair *kp, size_t *len)
{
	*len = kp->spki_len;
	return kp->spki;
}

const uint8_t *
kr_keypair_private(const struct kr_keypair *kp, size_t *len)
{
	*len = kp->priv_len;
	return kp->priv;
}

/* The curve and scalar width of an EC key algorithm; 0 if not EC. */
static size_t
ec_params(enum kr_key_alg alg, mbedtls_ecp_group_id *gid)
{
	switch (alg) {
	case KR_KEY_P256:
		*gid = MBEDTLS_ECP_DP_SECP256R1;
		return KR_EC_P256_PRIV_BYTES;
	case KR_KEY_P384:
		*gid = MBEDTLS_ECP_DP_SECP384R1;
		return KR_EC_P384_PRIV_BYTES;
	default:
		*gid = MBEDTLS_ECP_DP_NONE;
		return 0;
	}
}

static unsigned
rsa_bits(enum kr_key_alg alg)
{
	if (alg == KR_KEY_RSA3072)
		return 3072;
	if (alg == KR_KEY_RSA4096)
		return 4096;
	return 0;
}

/* SubjectPublicKeyInfo of an EC or RSA key; Mbed TLS writes it backwards. */
static int
pk_write_spki(struct kr_keypair *kp, struct kr_err *err)
{
	int	n;

	n = mbedtls_pk_write_pubkey_der(&kp->pk, kp->spki, sizeof(kp->spki));
	if (n <= 0)
		return mbed_fail(err, "writing the public key", n);
	memmove(kp->spki, kp->spki + sizeof(kp->spki) - n, n);
	kp->spki_len = n;
	return KR_OK;
}

static int
pk_setup(struct kr_keypair *kp, mbedtls_pk_type_t type, struct kr_err *err)
{
	int	rc;

	rc = mbedtls_pk_setup(&kp->pk, mbedtls_pk_info_from_type(type));
	if (rc != 0)
		return mbed_fail(err, "setting up a key context", rc);
	return KR_OK;
}

static int
ec_generate(struct kr_keypair *kp, struct kr_err *err)
{
	mbedtls_ecp_group_id	 gid;
	mbedtls_ecp_keypair	*ec;
	size_t			 dlen = ec_params(kp->alg, &gid);
	int			 rc, ret = KR_EINTERNAL;

	if ((ret = pk_setup(kp, MBEDTLS_PK_ECKEY, err)) != KR_OK)
		return ret;
	ec = mbedtls_pk_ec(kp->pk);
	if ((rc = mbedtls_ecp_gen_key(gid, ec, kr_mbedtls_rng, NULL)) != 0)
		return mbed_fail(err, "generating an EC key", rc);
	if ((kp->priv = kr_secure_alloc(dlen)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	kp->priv_len = dlen;
	if ((rc = mbedtls_mpi_write_binary(&ec->d, kp->priv, dlen)) != 0)
		return mbed_fail(err, "writing the EC private key", rc);
	return pk_write_spki(kp, err);
}

static int
ec_load(struct kr_keypair *kp, struct kr_err *err)
{
	mbedtls_ecp_group_id	 gid;
	mbedtls_ecp_keypair	*ec;
	size_t			 dlen = ec_params(kp->alg, &gid);
	int			 rc, ret = KR_EINTERNAL;

	if (kp->priv_len != dlen)
		return kr_err_set(err, KR_EINPUT, "the EC private key is %zu "
		    "bytes, not %zu", kp->priv_len, dlen);
	if ((ret = pk_setup(kp, MBEDTLS_PK_ECKEY, err)) != KR_OK)
		return ret;
	ec = mbedtls_pk_ec(kp->pk);
	if ((rc = mbedtls_ecp_group_load(&ec->grp, gid)) != 0 ||
	    (rc = mbedtls_mpi_read_binary(&ec->d, kp->priv, dlen)) != 0)
		return mbed_fail(err, "loading the EC private key", rc);
	if ((rc = mbedtls_ecp_check_privkey(&ec->grp, &ec->d)) != 0)
		return mbed_fail(err, "checking the EC private key", rc);
	if ((rc = mbedtls_ecp_mul(&ec->grp, &ec->Q, &ec->d, &ec->grp.G,
	    kr_mbedtls_rng, NULL)) != 0)
		return mbed_fail(err, "deriving the EC public key", rc);
	return pk_write_spki(kp, err);
}

/* PKCS#1 RSAPrivateKey DER; Mbed TLS writes it at the end of the buffer. */
static int
rsa_write_private(struct kr_keypair *kp, struct kr_err *err)
{
	uint8_t	*tmp;
	int	 n, ret = KR_EINTERNAL;

	if ((tmp = kr_secure_alloc(KR_RSA_PRIV_DER_MAX)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	n = mbedtls_pk_write_key_der(&kp->pk, tmp, KR_RSA_PRIV_DER_MAX);
	if (n <= 0) {
		ret = mbed_fail(err, "writing the RSA private key", n);
		goto out;
	}
	if ((kp->priv = kr_secure_alloc(n)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of secure memory");
		goto out;
	}
	memcpy(kp->priv, tmp + KR_RSA_PRIV_DER_MAX - n, n);
	kp->priv_len = n;
	ret = KR_OK;
out:
	kr_secure_free(tmp);
	return ret;
}

static int
rsa_generate(struct kr_keypair *kp, struct kr_err *err)
{
	int	rc, ret = KR_EINTERNAL;

	if ((ret = pk_setup(kp, MBEDTLS_PK_RSA, err)) != KR_OK)
		return ret;
	rc = mbedtls_rsa_gen_key(mbedtls_pk_rsa(kp->pk), kr_mbedtls_rng, NULL,
	    rsa_bits(kp->alg), RSA_EXPONENT);
	if (rc != 0)
		return mbed_fail(err, "generating an RSA key", rc);
	if ((ret = rsa_write_private(kp, err)) != KR_OK)
		return ret;
	return pk_write_spki(kp, err);
}

/*
 * RSAPrivateKey ::= SEQUENCE { version INTEGER (0), modulus, publicExponent,
 *     privateExponent, prime1, prime2, exponent1, exponent2, coefficient }
 * v[] holds n, e, d, p, q, dP, dQ, qInv in that order.
 */
static int
rsa_parse_pkcs1(const uint8_t *der, size_t len, mbedtls_mpi *v)
{
	unsigned char	*p = (unsigned char *)der, *end = p + len;
	size_t		 seqlen;
	int		 i, ver;

	if (mbedtls_asn1_get_tag(&p, end, &seqlen,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 ||
	    seqlen != (size_t)(end - p))
		return -1;
	if (mbedtls_asn1_get_int(&p, end, &ver) != 0 || ver != 0)
		return -1;
	for (i = 0; i < 8; i++)
		if (mbedtls_asn1_get_mpi(&p, end, &v[i]) != 0)
			return -1;
	return p == end ? 0 : -1;
}

/* Imports n, p, q, d, e; recomputes the CRT values and checks the ones read. */
static int
rsa_import(mbedtls_rsa_context *rsa, mbedtls_mpi *v)
{
	if (mbedtls_rsa_import(rsa, &v[0], &v[3], &v[4], &v[2], &v[1]) != 0 ||
	    mbedtls_rsa_complete(rsa) != 0 ||
	    mbedtls_rsa_check_privkey(rsa) != 0)
		return -1;
	if (mbedtls_mpi_cmp_mpi(&rsa->DP, &v[5]) != 0 ||
	    mbedtls_mpi_cmp_mpi(&rsa->DQ, &v[6]) != 0 ||
	    mbedtls_mpi_cmp_mpi(&rsa->QP, &v[7]) != 0)
		return -1;
	return 0;
}

static int
rsa_load(struct kr_keypair *kp, struct kr_err *err)
{
	mbedtls_rsa_context	*rsa;
	mbedtls_mpi		 v[8];
	size_t			 i;
	int			 ret = KR_EINTERNAL;

	for (i = 0; i < 8; i++)
		mbedtls_mpi_init(&v[i]);
	if ((ret = pk_setup(kp, MBEDTLS_PK_RSA, err)) != KR_OK)
		goto out;
	rsa = mbedtls_pk_rsa(kp->pk);
	if (rsa_parse_pkcs1(kp->priv, kp->priv_len, v) != 0 ||
	    rsa_import(rsa, v) != 0) {
		ret = kr_err_set(err, KR_EINPUT, "the RSA private key is not "
		    "a consistent PKCS#1 RSAPrivateKey");
		goto out;
	}
	if (mbedtls_pk_get_bitlen(&kp->pk) != rsa_bits(kp->alg)) {
		ret = kr_err_set(err, KR_EINPUT, "the RSA private key has "
		    "%zu bits, not %u", mbedtls_pk_get_bitlen(&kp->pk),
		    rsa_bits(kp->alg));
		goto out;
	}
	ret = pk_write_spki(kp, err);
out:
	for (i = 0; i < 8; i++)
		mbedtls_mpi_free(&v[i]);
	return ret;
}

/* The expanded secret key and SPKI from the seed in kp->priv. */
static int
ed25519_expand(struct kr_keypair *kp, struct kr_err *err)
{
	uint8_t	pk[crypto_sign_PUBLICKEYBYTES];

	if (kp->priv_len != KR_ED25519_SEED_BYTES)
		return kr_err_set(err, KR_EINPUT, "the Ed25519 private key is "
		    "%zu bytes, not %d", kp->priv_len, KR_ED25519_SEED_BYTES);
	if ((kp->ed_sk = kr_secure_alloc(crypto_sign_SECRETKEYBYTES)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	if (crypto_sign_seed_keypair(pk, kp->ed_sk, kp->priv) != 0)
		return kr_err_set(err, KR_ECRYPTO, "deriving the Ed25519 key "
		    "pair failed");
	memcpy(kp->spki, KR_ED25519_SPKI_PREFIX, KR_ED25519_SPKI_PREFIX_BYTES);
	memcpy(kp->spki + KR_ED25519_SPKI_PREFIX_BYTES, pk, sizeof(pk));
	kp->spki_len = KR_ED25519_SPKI_BYTES;
	return KR_OK;
}

static int
ed25519_generate(struct kr_keypair *kp, struct kr_err *err)
{
	if ((kp->priv = kr_secure_alloc(KR_ED25519_SEED_BYTES)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	kp->priv_len = KR_ED25519_SEED_BYTES;
	kr_random(kp->priv, kp->priv_len);
	return ed25519_expand(kp, err);
}

int
kr_keypair_generate(enum kr_key_alg alg, struct kr_keypair **out,
    struct kr_err *err)
{
	struct kr_keypair	*kp;
	int			 ret = KR_EINTERNAL;

	*out = NULL;
	if ((kp = keypair_new(alg)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	switch (alg) {
	case KR_KEY_P256:
	case KR_KEY_P384:
		ret = ec_generate(kp, err);
		break;
	case KR_KEY_ED25519:
		ret = ed25519_generate(kp, err);
		break;
	case KR_KEY_RSA3072:
	case KR_KEY_RSA4096:
		ret = rsa_generate(kp, err);
		break;
	default:
		ret = kr_err_set(err, KR_EINPUT, "unknown key algorithm %d",
		    (int)alg);
		break;
	}
	if (ret != KR_OK)
		kr_keypair_free(&kp);
	*out = kp;
	return ret;
}

int
kr_keypair_load(enum kr_key_alg alg, const uint8_t *priv, size_t len,
    struct kr_keypair **out, struct kr_err *err)
{
	struct kr_keypair	*kp;
	int			 ret = KR_EINTERNAL;

	*out = NULL;
	if (len == 0 || len > KR_PRIV_MAX_BYTES)
		return kr_err_set(err, KR_EINPUT, "the private key is %zu "
		    "bytes, which no key algorithm uses", len);
	if ((kp = keypair_new(alg)) == NULL ||
	    (kp->priv = kr_secure_alloc(len)) == NULL) {
		kr_keypair_free(&kp);
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	}
	memcpy(kp->priv, priv, len);
	kp->priv_len = len;
	if (alg == KR_KEY_P256 || alg == KR_KEY_P384)
		ret = ec_load(kp, err);
	else if (alg == KR_KEY_ED25519)
		ret = ed25519_expand(kp, err);
	else if (alg == KR_KEY_RSA3072 || alg == KR_KEY_RSA4096)
		ret = rsa_load(kp, err);
	else
		ret = kr_err_set(err, KR_EINPUT, "unknown key algorithm %d",
		    (int)alg);
	if (ret != KR_OK)
		kr_keypair_free(&kp);
	*out = kp;
	return ret;
}

/* Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, written backwards. */
static int
ecdsa_der(const mbedtls_mpi *r, const mbedtls_mpi *s, uint8_t *sig,
    size_t *siglen)
{
	unsigned char	 buf[MBEDTLS_ECDSA_MAX_LEN], *p = buf + sizeof(buf);
	size_t		 len = 0;
	int		 n;

	if ((n = mbedtls_asn1_write_mpi(&p, buf, s)) < 0)
		return n;
	len += n;
	if ((n = mbedtls_asn1_write_mpi(&p, buf, r)) < 0)
		return n;
	len += n;
	if ((n = mbedtls_asn1_write_len(&p, buf, len)) < 0)
		return n;
	len += n;
	if ((n = mbedtls_asn1_write_tag(&p, buf,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
		return n;
	len += n;
	if (len > KR_SIG_MAX_BYTES)
		return MBEDTLS_ERR_ASN1_BUF_TOO_SMALL;
	memcpy(sig, p, len);
	*siglen = len;
	return 0;
}

/* Deterministic ECDSA (RFC 6979), with the CSPRNG blinding the scalar. */
static int
ecdsa_sign(struct kr_keypair *kp, mbedtls_md_type_t md, const uint8_t *h,
    size_t hlen, uint8_t *sig, size_t *siglen, struct kr_err *err)
{
	mbedtls_ecp_keypair	*ec = mbedtls_pk_ec(kp->pk);
	mbedtls_mpi		 r, s;
	int			 rc, ret = KR_EINTERNAL;

	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	rc = mbedtls_ecdsa_sign_det_ext(&ec->grp, &r, &s, &ec->d, h, hlen, md,
	    kr_mbedtls_rng, NULL);
	if (rc == 0)
		rc = ecdsa_der(&r, &s, sig, siglen);
	ret = rc == 0 ? KR_OK : mbed_fail(err, "ECDSA signing", rc);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	return ret;
}

/* PKCS#1 v1.5 or PSS (MGF1 with the same hash, salt = hash length). */
static int
rsa_sign(struct kr_keypair *kp, enum sig_kind kind, mbedtls_md_type_t md,
    const uint8_t *h, size_t hlen, uint8_t *sig, size_t *siglen,
    struct kr_err *err)
{
	mbedtls_rsa_context	*rsa = mbedtls_pk_rsa(kp->pk);
	int			 rc;

	if (mbedtls_rsa_get_len(rsa) > KR_SIG_MAX_BYTES)
		return kr_err_set(err, KR_EINTERNAL, "the RSA key is too "
		    "large for a keyrite signature");
	if (kind == SIG_RSA_PSS) {
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, md);
		rc = mbedtls_rsa_rsassa_pss_sign_ext(rsa, kr_mbedtls_rng, NULL,
		    md, (unsigned)hlen, h, (int)hlen, sig);
	} else {
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, md);
		rc = mbedtls_rsa_rsassa_pkcs1_v15_sign(rsa, kr_mbedtls_rng,
		    NULL, MBEDTLS_RSA_PRIVATE, md, (unsigned)hlen, h, sig);
	}
	if (rc != 0)
		return mbed_fail(err, "RSA signing", rc);
	*siglen = mbedtls_rsa_get_len(rsa);
	return KR_OK;
}

static int
sig_lookup(const struct kr_keypair *kp, enum kr_sig_alg sa,
    enum sig_kind *kind, mbedtls_md_type_t *md, struct kr_err *err)
{
	size_t	i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigs[i].sa == sa && kr_sig_alg_fits(sa, kp->alg)) {
			*kind = sigs[i].kind;
			*md = sigs[i].md;
			return KR_OK;
		}
	}
	return kr_err_set(err, KR_EINTERNAL, "signature algorithm %d does "
	    "not fit a %s key (bug: report it)", (int)sa,
	    kr_key_alg_name(kp->alg));
}

int
kr_keypair_sign_digest(struct kr_keypair *kp, enum kr_sig_alg sa,
    const uint8_t *h, size_t hlen, uint8_t *sig, size_t *siglen,
    struct kr_err *err)
{
	enum sig_kind		kind;
	mbedtls_md_type_t	md;
	int			ret = KR_EINTERNAL;

	if ((ret = sig_lookup(kp, sa, &kind, &md, err)) != KR_OK)
		return ret;
	if (kind == SIG_ED25519 ||
	    hlen != mbedtls_md_get_size(mbedtls_md_info_from_type(md)))
		return kr_err_set(err, KR_EINTERNAL, "a %zu-byte digest "
		    "cannot be signed with %s (bug: report it)", hlen,
		    kr_sig_alg_name(sa));
	if (kind == SIG_ECDSA)
		return ecdsa_sign(kp, md, h, hlen, sig, siglen, err);
	return rsa_sign(kp, kind, md, h, hlen, sig, siglen, err);
}

int
kr_keypair_sign_message(struct kr_keypair *kp, enum kr_sig_alg sa,
    const uint8_t *msg, size_t msglen, uint8_t *sig, size_t *siglen,
    struct kr_err *err)
{
	enum sig_kind		kind;
	mbedtls_md_type_t	md;
	unsigned long long	sl = 0;
	int			ret = KR_EINTERNAL;

	if ((ret = sig_lookup(kp, sa, &kind, &md, err)) != KR_OK)
		return ret;
	if (kind != SIG_ED25519 || kp->ed_sk == NULL)
		return kr_err_set(err, KR_EINTERNAL, "%s does not sign whole "
		    "messages (bug: report it)", kr_sig_alg_name(sa));
	if (crypto_sign_detached(sig, &sl, msg, msglen, kp->ed_sk) != 0)
		return kr_err_set(err, KR_ECRYPTO, "Ed25519 signing failed");
	*siglen = (size_t)sl;
	return KR_OK;
}
