/*
 * Signature AlgorithmIdentifiers (RFC 5758, RFC 4055, RFC 8410): written
 * for certificates, CRLs, OCSP responses and CMS, and read from what
 * keyrite parses.
 *
 * The reader is strict: ECDSA and Ed25519 without parameters, RSA with
 * NULL, RSASSA-PSS with SHA-256/384/512, MGF1 with the same hash, a salt
 * as long as the hash and the default trailer.  Each algorithm is a
 * scheme and a hash (crypto/); the writer and the reader share one table.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <keyrite/crypto.h>
#include <keyrite/x509.h>

#include "x509_int.h"
#include "parse_int.h"

/*
 * The AlgorithmIdentifiers keyrite reads and writes, but RSASSA-PSS, whose
 * parameters say the hash.  ECDSA (RFC 5758) and Ed25519 (RFC 8410) have
 * no parameters; sha*WithRSAEncryption (RFC 4055) has NULL.
 */
static const struct {
	const char	*oid;
	size_t		 len;
	enum kr_sig_alg	 alg;
	bool		 null_params;	/* RSA: NULL; others: absent */
} kr_sig_oids[] = {
#define KR_SIG_OID(o, a, n)	{ o, sizeof(o) - 1, a, n }
	KR_SIG_OID(KR_OID_ECDSA_SHA256, KR_SIG_ECDSA_P256_SHA256, false),
	KR_SIG_OID(KR_OID_ECDSA_SHA384, KR_SIG_ECDSA_P384_SHA384, false),
	KR_SIG_OID(KR_OID_RSA_SHA256, KR_SIG_RSA_PKCS1_SHA256, true),
	KR_SIG_OID(KR_OID_RSA_SHA384, KR_SIG_RSA_PKCS1_SHA384, true),
	KR_SIG_OID(KR_OID_RSA_SHA512, KR_SIG_RSA_PKCS1_SHA512, true),
	KR_SIG_OID(KR_OID_ED25519, KR_SIG_ED25519, false),
#undef KR_SIG_OID
};

/* ---------------------------------------------------------------------
 * Writer
 */

/*
 * HashAlgorithm ::= AlgorithmIdentifier { id-sha256, NULL } (RFC 4055
 * sha256Identifier; the CA/Browser Forum encodings use NULL too).
 */
static int
write_hash_alg(uint8_t **p, uint8_t *start, enum kr_hash_alg h)
{
	int	ret;
	size_t	len = 0;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_null(p, start));
	if (h == KR_HASH_SHA256)
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_oid(p, start,
		    (const uint8_t *)KR_OID_SHA256, sizeof(KR_OID_SHA256) - 1));
	else if (h == KR_HASH_SHA384)
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_oid(p, start,
		    (const uint8_t *)KR_OID_SHA384, sizeof(KR_OID_SHA384) - 1));
	else
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_oid(p, start,
		    (const uint8_t *)KR_OID_SHA512, sizeof(KR_OID_SHA512) - 1));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

/*
 * RSASSA-PSS-params ::= SEQUENCE {
 *      hashAlgorithm      [0] HashAlgorithm DEFAULT sha1,
 *      maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1,
 *      saltLength         [2] INTEGER DEFAULT 20,
 *      trailerField       [3] TrailerField DEFAULT trailerFieldBC }
 * MaskGenAlgorithm ::= AlgorithmIdentifier { id-mgf1, HashAlgorithm }
 * We write sha-N, MGF1 with sha-N, salt = N/8; trailerField is DEFAULT.
 */
static int
write_pss_params(uint8_t **p, uint8_t *start, enum kr_hash_alg h)
{
	int	ret;
	size_t	len = 0, sub = 0;

	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_small_int(p, start,
	    (unsigned)kr_hash_len(h)));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub,
	    KR_DER_CTX_CONS(2)));
	len += sub;
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, write_hash_alg(p, start, h));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_oid(p, start,
	    (const uint8_t *)KR_OID_MGF1, sizeof(KR_OID_MGF1) - 1));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub, KR_DER_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub,
	    KR_DER_CTX_CONS(1)));
	len += sub;
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, write_hash_alg(p, start, h));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub,
	    KR_DER_CTX_CONS(0)));
	len += sub;
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

/*
 * AlgorithmIdentifier ::= SEQUENCE {
 *      algorithm   OBJECT IDENTIFIER,
 *      parameters  ANY DEFINED BY algorithm OPTIONAL }
 * Parameters as kr_sig_oids says; RSASSA-PSS: the params above.
 */
int
kr_derw_sig_alg(uint8_t **p, uint8_t *start, enum kr_sig_alg alg)
{
	const char	*oid = KR_OID_RSASSA_PSS;
	size_t		 len = 0, olen = sizeof(KR_OID_RSASSA_PSS) - 1, i;
	int		 ret;

	if (kr_sig_alg_scheme(alg) == KR_SCHEME_RSA_PSS)
		MBEDTLS_ASN1_CHK_ADD(len, write_pss_params(p, start,
		    kr_sig_alg_hash(alg)));
	else {
		for (i = 0; i < KR_NITEMS(kr_sig_oids); i++)
			if (kr_sig_oids[i].alg == alg)
				break;
		if (i == KR_NITEMS(kr_sig_oids))
			return MBEDTLS_ERR_ASN1_INVALID_DATA;
		if (kr_sig_oids[i].null_params)
			MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_null(p,
			    start));
		oid = kr_sig_oids[i].oid;
		olen = kr_sig_oids[i].len;
	}
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_oid(p, start, (const uint8_t *)oid,
	    olen));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

int
kr_sig_alg_id(enum kr_sig_alg alg, uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t	buf[128], *p = buf + sizeof(buf);
	int	n;

	if ((n = kr_derw_sig_alg(&p, buf, alg)) < 0)
		return KR_EINPUT;
	if ((size_t)n > cap)
		return KR_EINPUT;
	memcpy(out, p, (size_t)n);
	*outlen = (size_t)n;
	return KR_OK;
}

int
kr_sig_alg_from_id(const uint8_t *der, size_t len, enum kr_sig_alg *alg)
{
	uint8_t	id[128];
	size_t	idlen;
	int	a;

	for (a = KR_SIG_ECDSA_P256_SHA256; a <= KR_SIG_ED25519; a++) {
		if (kr_sig_alg_id((enum kr_sig_alg)a, id, sizeof(id), &idlen) ==
		    KR_OK && idlen == len && memcmp(id, der, len) == 0) {
			*alg = (enum kr_sig_alg)a;
			return KR_OK;
		}
	}
	return KR_EINPUT;
}

/* ---------------------------------------------------------------------
 * Reader
 */

/*
 * HashAlgorithm inside RSASSA-PSS-params: SHA-256/384/512 with NULL or
 * absent parameters (RFC 4055 2.1 lets both be written).
 */
static int
kr_pss_hash(struct kr_der *d, enum kr_hash_alg *h)
{
	struct kr_der	seq;
	struct kr_oid	oid;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_get_oid(&seq, &oid) != KR_OK)
		return KR_EINPUT;
	if (!kr_der_at_end(&seq) && kr_der_get_null(&seq) != KR_OK)
		return KR_EINPUT;
	if (kr_der_done(&seq) != KR_OK)
		return KR_EINPUT;
	if (KR_OID_IS(&oid, KR_OID_SHA256))
		*h = KR_HASH_SHA256;
	else if (KR_OID_IS(&oid, KR_OID_SHA384))
		*h = KR_HASH_SHA384;
	else if (KR_OID_IS(&oid, KR_OID_SHA512))
		*h = KR_HASH_SHA512;
	else
		return KR_EINPUT;
	return KR_OK;
}

/* maskGenAlgorithm: MGF1 with a hash as above. */
static int
kr_pss_mgf(struct kr_der *d, enum kr_hash_alg *h)
{
	struct kr_der	seq;
	struct kr_oid	oid;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_get_oid(&seq, &oid) != KR_OK ||
	    !KR_OID_IS(&oid, KR_OID_MGF1) || kr_pss_hash(&seq, h) != KR_OK)
		return KR_EINPUT;
	return kr_der_done(&seq);
}

/*
 * RSASSA-PSS-params ::= SEQUENCE {
 *	hashAlgorithm	 [0] HashAlgorithm DEFAULT sha1,
 *	maskGenAlgorithm [1] MaskGenAlgorithm DEFAULT mgf1SHA1,
 *	saltLength	 [2] INTEGER DEFAULT 20,
 *	trailerField	 [3] TrailerField DEFAULT trailerFieldBC }
 * Reads the fields present; `h` and `mh` stay 0 for the SHA-1 default.
 */
static int
kr_pss_fields(struct kr_der *seq, enum kr_hash_alg *h, enum kr_hash_alg *mh,
    int *salt)
{
	struct kr_der	t;

	if (kr_der_peek(seq, KR_DER_CTX_CONS(0)) &&
	    (kr_der_enter(seq, KR_DER_CTX_CONS(0), &t) != KR_OK ||
	    kr_pss_hash(&t, h) != KR_OK || kr_der_done(&t) != KR_OK))
		return KR_EINPUT;
	if (kr_der_peek(seq, KR_DER_CTX_CONS(1)) &&
	    (kr_der_enter(seq, KR_DER_CTX_CONS(1), &t) != KR_OK ||
	    kr_pss_mgf(&t, mh) != KR_OK || kr_der_done(&t) != KR_OK))
		return KR_EINPUT;
	if (kr_der_peek(seq, KR_DER_CTX_CONS(2)) &&
	    (kr_der_enter(seq, KR_DER_CTX_CONS(2), &t) != KR_OK ||
	    kr_der_get_small_int(&t, salt) != KR_OK ||
	    kr_der_done(&t) != KR_OK))
		return KR_EINPUT;
	return kr_der_done(seq);
}

/*
 * keyrite takes SHA-256/384/512, MGF1 with the same hash, a salt as long
 * as the hash, and the default trailer (so [3] is absent in DER).
 */
static int
kr_pss_params(struct kr_der *algid, enum kr_sig_alg *alg,
    struct kr_err *err)
{
	struct kr_der		seq;
	enum kr_hash_alg	h = 0, mh = 0;
	int			salt = 20;

	if (kr_der_enter(algid, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_done(algid) != KR_OK ||
	    kr_pss_fields(&seq, &h, &mh, &salt) != KR_OK)
		return kr_bad(err, "the RSASSA-PSS parameters are malformed "
		    "or name a hash keyrite does not accept (SHA-256, SHA-384 "
		    "and SHA-512 are accepted; the trailer must be the "
		    "default)");
	if (h == 0)
		return kr_bad(err, "the RSASSA-PSS parameters use SHA-1 (the "
		    "default); keyrite accepts SHA-256, SHA-384 and SHA-512");
	if (mh != h)
		return kr_bad(err, "the RSASSA-PSS parameters use MGF1 with "
		    "another hash than the signature's; keyrite accepts only "
		    "the same hash");
	if ((size_t)salt != kr_hash_len(h))
		return kr_bad(err, "the RSASSA-PSS parameters ask for a "
		    "%d-byte salt; keyrite accepts a salt as long as the hash "
		    "(%zu bytes)", salt, kr_hash_len(h));
	*alg = kr_sig_alg_of(KR_SCHEME_RSA_PSS, h);
	return KR_OK;
}

/* Parameters of a non-PSS algorithm: NULL for RSA, absent otherwise. */
static int
kr_sig_simple(struct kr_der *seq, size_t i, enum kr_sig_alg *alg,
    struct kr_err *err)
{
	const char	*name = kr_sig_alg_name(kr_sig_oids[i].alg);

	if (kr_sig_oids[i].null_params) {
		if (kr_der_get_null(seq) != KR_OK ||
		    kr_der_done(seq) != KR_OK)
			return kr_bad(err, "the %s AlgorithmIdentifier must "
			    "have NULL parameters (RFC 4055)", name);
	} else if (kr_der_done(seq) != KR_OK)
		return kr_bad(err, "the %s AlgorithmIdentifier must have no "
		    "parameters (RFC 5758, RFC 8410)", name);
	*alg = kr_sig_oids[i].alg;
	return KR_OK;
}

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY } */
int
kr_parse_sig_alg(const struct kr_slice *whole, enum kr_sig_alg *alg,
    struct kr_err *err)
{
	struct kr_der	d, seq;
	struct kr_oid	oid;
	char		name[KR_OID_STR_MAX], dotted[KR_OID_STR_MAX];
	size_t		i;

	kr_der_init(&d, whole->p, whole->len);
	if (kr_der_enter(&d, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_get_oid(&seq, &oid) != KR_OK)
		return kr_bad(err, "the signature AlgorithmIdentifier is "
		    "malformed");
	if (KR_OID_IS(&oid, KR_OID_RSASSA_PSS))
		return kr_pss_params(&seq, alg, err);
	for (i = 0; i < KR_NITEMS(kr_sig_oids); i++)
		if (kr_oid_eq(&oid, kr_sig_oids[i].oid, kr_sig_oids[i].len))
			return kr_sig_simple(&seq, i, alg, err);
	kr_oid_dotted(oid.der, oid.len, dotted, sizeof(dotted));
	kr_oid_format(&oid, name, sizeof(name));
	return kr_bad(err, "signature algorithm %s%s%s%s is not one keyrite "
	    "accepts (ecdsa-with-SHA256/384, sha256/384/512WithRSAEncryption, "
	    "RSASSA-PSS with SHA-256/384/512, Ed25519)", dotted,
	    strcmp(name, dotted) != 0 ? " (" : "",
	    strcmp(name, dotted) != 0 ? name : "",
	    strcmp(name, dotted) != 0 ? ")" : "");
}
