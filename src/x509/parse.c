/*
 * Certificate (RFC 5280) and PKCS#10 request (RFC 2986) parsers.
 *
 * Both read outside input, so both are strict: a size limit, PEM or DER,
 * DER rules throughout (shortest lengths, minimal INTEGERs, defaults left
 * out, SET OF in order), no trailing bytes at any level, version 3
 * certificates and version 1 requests only, and only the signature
 * algorithms keyrite can check.  The extensions keyrite writes are decoded
 * into struct kr_cert_fields; every extension is listed with its
 * criticality so a caller can refuse what it does not understand.
 *
 * Inner functions set a bare reason ("the serial number is negative");
 * kr_cert_parse() and kr_csr_parse() put the input's label in front.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/x509.h>

#include "x509_int.h"
#include "parse_int.h"

#define KR_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* 1.2.840.113549.1.9.14 (PKCS#9 extensionRequest) */
#define KR_PARSE_OID_EXT_REQUEST	"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x0e"

#define KR_OID_STR_MAX	96

static int	kr_bad(struct kr_err *, const char *, ...) KR_PRINTF(2, 3);

static int
kr_bad(struct kr_err *err, const char *fmt, ...)
{
	va_list	ap;
	int	ret;

	va_start(ap, fmt);
	ret = kr_err_vset(err, KR_EINPUT, fmt, ap);
	va_end(ap);
	return ret;
}

/* ---------------------------------------------------------------------
 * Small helpers
 */

/* X.690 11.6: the elements of a SET OF in ascending order of encoding. */
static bool
kr_set_in_order(const struct kr_slice *prev, const struct kr_slice *cur)
{
	size_t	n = prev->len < cur->len ? prev->len : cur->len;
	int	c = memcmp(prev->p, cur->p, n);

	return c < 0 || (c == 0 && prev->len <= cur->len);
}

/* Copies an IA5 URI or similar into a C string: printable, no spaces. */
static bool
kr_text_copy(char *dst, size_t cap, const uint8_t *p, size_t len)
{
	size_t	i;

	if (len == 0 || len >= cap)
		return false;
	for (i = 0; i < len; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return true;
}

/*
 * One GeneralName; `*modelled` is false for a kind keyrite does not model
 * (otherName, x400Address...), which is stepped over.
 */
static int
kr_gn_next(struct kr_der *d, bool constraint, struct kr_gn *gn,
    bool *modelled)
{
	const uint8_t	*before = d->p;
	uint8_t		 tag;
	struct kr_slice	 v;
	int		 rc;

	*modelled = false;
	rc = kr_der_get_gn(d, constraint, gn);
	if (rc == KR_OK) {
		*modelled = true;
		return KR_OK;
	}
	if (rc != KR_ENOENT)
		return KR_EINPUT;
	if (d->p != before)
		return KR_OK;
	return kr_der_get_any(d, &tag, &v, NULL);
}

/* ---------------------------------------------------------------------
 * Signature algorithms
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
	*alg = h == KR_HASH_SHA256 ? KR_SIG_RSA_PSS_SHA256 :
	    h == KR_HASH_SHA384 ? KR_SIG_RSA_PSS_SHA384 :
	    KR_SIG_RSA_PSS_SHA512;
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
static int
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

/* ---------------------------------------------------------------------
 * Names, validity, public key
 */

static bool
kr_string_tag(uint8_t tag)
{
	switch (tag) {
	case KR_DER_UTF8_STRING:
	case KR_DER_PRINTABLE_STRING:
	case KR_DER_T61_STRING:
	case KR_DER_IA5_STRING:
	case KR_DER_UNIVERSAL_STRING:
	case KR_DER_BMP_STRING:
		return true;
	}
	return false;
}

/*
 * RelativeDistinguishedName ::= SET SIZE (1..MAX) OF
 *	AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY }
 */
static int
kr_parse_rdn(struct kr_der *d)
{
	struct kr_der	set, atv;
	struct kr_slice	whole, contents, prev = { NULL, 0 }, value;
	struct kr_oid	oid;
	uint8_t		tag;

	if (kr_der_enter(d, KR_DER_SET, &set) != KR_OK ||
	    kr_der_at_end(&set))
		return KR_EINPUT;
	while (!kr_der_at_end(&set)) {
		if (kr_der_get_whole(&set, KR_DER_SEQUENCE, &contents,
		    &whole) != KR_OK)
			return KR_EINPUT;
		kr_der_init(&atv, contents.p, contents.len);
		if (kr_der_get_oid(&atv, &oid) != KR_OK ||
		    kr_der_get_any(&atv, &tag, &value, NULL) != KR_OK ||
		    kr_der_done(&atv) != KR_OK || !kr_string_tag(tag))
			return KR_EINPUT;
		if (prev.p != NULL && !kr_set_in_order(&prev, &whole))
			return KR_EINPUT;
		prev = whole;
	}
	return KR_OK;
}

/* Name ::= SEQUENCE OF RelativeDistinguishedName; `whole` gets it all. */
static int
kr_parse_name(struct kr_der *d, const char *what, struct kr_slice *whole,
    struct kr_err *err)
{
	struct kr_der	rdns;
	struct kr_slice	contents;
	size_t		n = 0;

	if (kr_der_get_whole(d, KR_DER_SEQUENCE, &contents, whole) != KR_OK)
		return kr_bad(err, "the %s is not a DER Name", what);
	if (whole->len > KR_NAME_DER_MAX)
		return kr_bad(err, "the %s is %zu bytes long, more than the %d "
		    "keyrite handles", what, whole->len, KR_NAME_DER_MAX);
	kr_der_init(&rdns, contents.p, contents.len);
	while (!kr_der_at_end(&rdns)) {
		n++;
		if (kr_parse_rdn(&rdns) != KR_OK)
			return kr_bad(err, "the %s is not a well-formed DER "
			    "Name (at its attribute %zu)", what, n);
	}
	return KR_OK;
}

/* Validity ::= SEQUENCE { notBefore Time, notAfter Time } */
static int
kr_parse_validity(struct kr_der *d, struct kr_cert_fields *f,
    struct kr_err *err)
{
	struct kr_der	v;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &v) != KR_OK)
		return kr_bad(err, "the validity is malformed");
	if (kr_der_get_time(&v, &f->not_before) != KR_OK)
		return kr_bad(err, "notBefore is not a time in the RFC 5280 "
		    "form (UTCTime YYMMDDHHMMSSZ through 2049, "
		    "GeneralizedTime YYYYMMDDHHMMSSZ after)");
	if (kr_der_get_time(&v, &f->not_after) != KR_OK)
		return kr_bad(err, "notAfter is not a time in the RFC 5280 "
		    "form (UTCTime YYMMDDHHMMSSZ through 2049, "
		    "GeneralizedTime YYYYMMDDHHMMSSZ after)");
	if (kr_der_done(&v) != KR_OK)
		return kr_bad(err, "unexpected data after notAfter");
	return KR_OK;
}

/* SubjectPublicKeyInfo, checked by crypto/ (curve point, RSA sanity). */
static int
kr_parse_spki(struct kr_der *d, struct kr_slice *whole, struct kr_err *err)
{
	struct kr_slice	contents;

	if (kr_der_get_whole(d, KR_DER_SEQUENCE, &contents, whole) != KR_OK)
		return kr_bad(err, "the SubjectPublicKeyInfo is malformed");
	if (whole->len > KR_SPKI_MAX_BYTES)
		return kr_bad(err, "the public key is %zu bytes long, more "
		    "than the %d keyrite handles", whole->len,
		    KR_SPKI_MAX_BYTES);
	return kr_spki_parse(whole->p, whole->len, NULL, err);
}

/* ---------------------------------------------------------------------
 * Extensions.  Each decoder reads the extnValue contents.
 */

/* BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INT } */
static int
kr_ext_bc(struct kr_der *d, struct kr_cert_fields *f, bool crit,
    struct kr_err *err)
{
	struct kr_der	seq;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &seq) != KR_OK)
		return kr_bad(err, "not a SEQUENCE");
	if (kr_der_peek(&seq, KR_DER_BOOLEAN) &&
	    (kr_der_get_bool(&seq, &f->bc_ca) != KR_OK || !f->bc_ca))
		return kr_bad(err, "cA is written out as FALSE (DER leaves "
		    "a default value out)");
	if (kr_der_peek(&seq, KR_DER_INTEGER) &&
	    kr_der_get_small_int(&seq, &f->bc_pathlen) != KR_OK)
		return kr_bad(err, "pathLenConstraint is not a small "
		    "non-negative INTEGER");
	if (kr_der_done(&seq) != KR_OK)
		return kr_bad(err, "unexpected data inside");
	f->has_bc = true;
	f->bc_critical = crit;
	return KR_OK;
}

/* KeyUsage ::= BIT STRING, bits 0 (digitalSignature) to 8 (decipherOnly) */
static int
kr_ext_ku(struct kr_der *d, struct kr_cert_fields *f, bool crit,
    struct kr_err *err)
{
	struct kr_slice	bits;
	unsigned	unused, i;
	uint16_t	ku = 0;

	if (kr_der_get_bitstring(d, &bits, &unused) != KR_OK)
		return kr_bad(err, "not a DER BIT STRING");
	if (bits.len == 0 || bits.len > 2)
		return kr_bad(err, "no bit is set, or more bits than the nine "
		    "RFC 5280 defines");
	if ((bits.p[bits.len - 1] & (1u << unused)) == 0)
		return kr_bad(err, "ends in a zero bit (DER drops trailing "
		    "zero bits of a named bit list)");
	for (i = 0; i < bits.len * 8 - unused; i++) {
		if ((bits.p[i / 8] & (0x80u >> (i % 8))) == 0)
			continue;
		if (i > 8)
			return kr_bad(err, "bit %u is set; RFC 5280 defines "
			    "bits 0 to 8", i);
		ku |= (uint16_t)(1u << i);
	}
	f->has_ku = true;
	f->ku_critical = crit;
	f->ku = ku;
	return KR_OK;
}

/* ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
static int
kr_ext_eku(struct kr_der *d, struct kr_cert_fields *f, bool crit,
    struct kr_err *err)
{
	struct kr_der	seq;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_at_end(&seq))
		return kr_bad(err, "not a non-empty SEQUENCE");
	while (!kr_der_at_end(&seq)) {
		if (f->eku_count == KR_OID_MAX)
			return kr_bad(err, "more than %d purposes",
			    KR_OID_MAX);
		if (kr_der_get_oid(&seq, &f->eku[f->eku_count]) != KR_OK)
			return kr_bad(err, "purpose %zu is not an OBJECT "
			    "IDENTIFIER", f->eku_count + 1);
		f->eku_count++;
	}
	f->has_eku = true;
	return KR_OK;
}

/* A key identifier: 1 to KR_KEYID_BYTES octets. */
static bool
kr_keyid_copy(uint8_t *dst, size_t *dstlen, const struct kr_slice *s)
{
	if (s->len == 0 || s->len > KR_KEYID_BYTES)
		return false;
	memcpy(dst, s->p, s->len);
	*dstlen = s->len;
	return true;
}

/* SubjectKeyIdentifier ::= OCTET STRING */
static int
kr_ext_ski(struct kr_der *d, struct kr_cert_fields *f, bool crit,
    struct kr_err *err)
{
	struct kr_slice	s;

	if (kr_der_get(d, KR_DER_OCTET_STRING, &s) != KR_OK)
		return kr_bad(err, "not an OCTET STRING");
	if (!kr_keyid_copy(f->ski, &f->ski_len, &s))
		return kr_bad(err, "a %zu-byte key identifier; keyrite "
		    "handles 1 to %d bytes", s.len, KR_KEYID_BYTES);
	f->has_ski = true;
	return KR_OK;
}

/*
 * AuthorityKeyIdentifier ::= SEQUENCE {
 *	keyIdentifier [0] OCTET STRING OPTIONAL,
 *	authorityCertIssuer [1] GeneralNames OPTIONAL,
 *	authorityCertSerialNumber [2] INTEGER OPTIONAL }
 */
static int
kr_ext_aki(struct kr_der *d, struct kr_cert_fields *f, bool crit,
    struct kr_err *err)
{
	struct kr_der	seq;
	struct kr_slice	s;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &seq) != KR_OK)
		return kr_bad(err, "not a SEQUENCE");
	if (kr_der_peek(&seq, KR_DER_CTX(0))) {
		if (kr_der_get(&seq, KR_DER_CTX(0), &s) != KR_OK ||
		    !kr_keyid_copy(f->aki, &f->aki_len, &s))
			return kr_bad(err, "the keyIdentifier is malformed "
			    "or not 1 to %d bytes long", KR_KEYID_BYTES);
	}
	if (kr_der_peek(&seq, KR_DER_CTX_CONS(1)) &&
	    kr_der_get(&seq, KR_DER_CTX_CONS(1), &s) != KR_OK)
		return kr_bad(err, "authorityCertIssuer is malformed");
	if (kr_der_peek(&seq, KR_DER_CTX(2)) &&
	    kr_der_get(&seq, KR_DER_CTX(2), &s) != KR_OK)
		return kr_bad(err, "authorityCertSerialNumber is malformed");
	if (kr_der_done(&seq) != KR_OK)
		return kr_bad(err, "unexpected data inside");
	f->has_aki = true;
	return KR_OK;
}

/*
 * GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree
 * GeneralSubtree ::= SEQUENCE { base GeneralName,
 *	minimum [0] DEFAULT 0, maximum [1] OPTIONAL }  (RFC 5280: neither)
 */
static int
kr_nc_subtrees(struct kr_der *d, uint8_t tag, struct kr_gn *gn,
    size_t *count, const char *what, struct kr_err *err)
{
	struct kr_der	list, st;
	int		rc;

	if (kr_der_enter(d, tag, &list) != KR_OK || kr_der_at_end(&list))
		return kr_bad(err, "%s is malformed or empty", what);
	while (!kr_der_at_end(&list)) {
		if (*count == KR_GN_MAX)
			return kr_bad(err, "%s lists more than %d names",
			    what, KR_GN_MAX);
		if (kr_der_enter(&list, KR_DER_SEQUENCE, &st) != KR_OK)
			return kr_bad(err, "%s: subtree %zu is malformed",
			    what, *count + 1);
		rc = kr_der_get_gn(&st, true, &gn[*count]);
		if (rc == KR_ENOENT)
			return kr_bad(err, "%s: subtree %zu is a kind of name "
			    "keyrite does not model (it knows dNSName, "
			    "rfc822Name, iPAddress, directoryName and URI); "
			    "refusing rather than dropping a constraint",
			    what, *count + 1);
		if (rc != KR_OK || !kr_der_at_end(&st))
			return kr_bad(err, "%s: subtree %zu is malformed or "
			    "sets minimum/maximum (RFC 5280 forbids both)",
			    what, *count + 1);
		(*count)++;
	}
	return KR_OK;
}

/* NameConstraints ::= SEQUENCE { permitted [0], excluded [1] } */
static int
kr_ext_nc(struct kr_der *d, struct kr_cert_fields *f, bool crit,
    struct kr_err *err)
{
	struct kr_der	seq;
	int		ret;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &seq) != KR_OK)
		return kr_bad(err, "not a SEQUENCE");
	if (kr_der_peek(&seq, KR_DER_CTX_CONS(0)) &&
	    (ret = kr_nc_subtrees(&seq, KR_DER_CTX_CONS(0), f->nc_permitted,
	    &f->nc_permitted_count, "permittedSubtrees", err)) != KR_OK)
		return ret;
	if (kr_der_peek(&seq, KR_DER_CTX_CONS(1)) &&
	    (ret = kr_nc_subtrees(&seq, KR_DER_CTX_CONS(1), f->nc_excluded,
	    &f->nc_excluded_count, "excludedSubtrees", err)) != KR_OK)
		return ret;
	if (kr_der_done(&seq) != KR_OK)
		return kr_bad(err, "unexpected data inside");
	if (f->nc_permitted_count == 0 && f->nc_excluded_count == 0)
		return kr_bad(err, "neither permitted nor excluded subtrees "
		    "(RFC 5280 4.2.1.10 requires one)");
	f->has_nc = true;
	return KR_OK;
}

/*
 * PolicyQualifiers ::= SEQUENCE SIZE (1..MAX) OF PolicyQualifierInfo
 * PolicyQualifierInfo ::= SEQUENCE { policyQualifierId OID, qualifier ANY }
 * The CPS URI (an IA5String) of the first policy is kept.
 */
static int
kr_policy_qualifiers(struct kr_der *d, struct kr_cert_fields *f,
    bool first, struct kr_err *err)
{
	struct kr_der	list, q;
	struct kr_oid	oid;
	struct kr_slice	v;
	uint8_t		tag;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &list) != KR_OK ||
	    kr_der_at_end(&list))
		return kr_bad(err, "policyQualifiers is malformed or empty");
	while (!kr_der_at_end(&list)) {
		if (kr_der_enter(&list, KR_DER_SEQUENCE, &q) != KR_OK ||
		    kr_der_get_oid(&q, &oid) != KR_OK ||
		    kr_der_get_any(&q, &tag, &v, NULL) != KR_OK ||
		    kr_der_done(&q) != KR_OK)
			return kr_bad(err, "a policy qualifier is malformed");
		if (!KR_OID_IS(&oid, KR_OID_QT_CPS))
			continue;
		if (tag != KR_DER_IA5_STRING)
			return kr_bad(err, "the CPS qualifier is not an "
			    "IA5String");
		if (first && f->cps_uri[0] == '\0' &&
		    !kr_text_copy(f->cps_uri, sizeof(f->cps_uri), v.p, v.len))
			return kr_bad(err, "the CPS URI is empty, not "
			    "printable, or longer than %d bytes",
			    KR_URI_MAX - 1);
	}
	return KR_OK;
}

static bool
kr_oid_in(const struct kr_oid *list, size_t n, const struct kr_oid *oid)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (list[i].len == oid->len &&
		    memcmp(list[i].der, oid->der, oid->len) == 0)
			return true;
	return false;
}

/*
 * certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation
 * PolicyInformation ::= SEQUENCE { policyIdentifier OID,
 *	policyQualifiers OPTIONAL }
 */
static int
kr_ext_policies(struct kr_der *d, struct kr_cert_fields *f, bool crit,
    struct kr_err *err)
{
	struct kr_der	seq, pi;
	struct kr_oid	*oid;
	int		ret;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_at_end(&seq))
		return kr_bad(err, "not a non-empty SEQUENCE");
	while (!kr_der_at_end(&seq)) {
		if (f->policies_count == KR_OID_MAX)
			return kr_bad(err, "more than %d policies",
			    KR_OID_MAX);
		oid = &f->policies[f->policies_count];
		if (kr_der_enter(&seq, KR_DER_SEQUENCE, &pi) != KR_OK ||
		    kr_der_get_oid(&pi, oid) != KR_OK)
			return kr_bad(err, "policy %zu is malformed",
			    f->policies_count + 1);
		if (kr_oid_in(f->policies, f->policies_count, oid))
			return kr_bad(err, "a policy appears twice (RFC 5280 "
			    "4.2.1.4)");
		if (!kr_der_at_end(&pi) && (ret = kr_policy_qualifiers(&pi,
		    f, f->policies_count == 0, err)) != KR_OK)
			return ret;
		if (kr_der_done(&pi) != KR_OK)
			return kr_bad(err, "unexpected data in policy %zu",
			    f->policies_count + 1);
		f->policies_count++;
	}
	f->has_policies = true;
	return KR_OK;
}

/* GeneralNames: keeps the URIs (at most 4), steps over other kinds. */
static int
kr_uri_list(struct kr_der *d, char (*out)[KR_URI_MAX], size_t *count,
    struct kr_err *err)
{
	struct kr_gn	gn;
	bool		modelled;

	while (!kr_der_at_end(d)) {
		if (kr_gn_next(d, false, &gn, &modelled) != KR_OK)
			return kr_bad(err, "a general name is malformed");
		if (!modelled || gn.type != KR_GN_URI)
			continue;
		if (*count == 4)
			return kr_bad(err, "more than 4 URIs");
		if (!kr_text_copy(out[*count], KR_URI_MAX, gn.value, gn.len))
			return kr_bad(err, "a URI is not printable or longer "
			    "than %d bytes", KR_URI_MAX - 1);
		(*count)++;
	}
	return KR_OK;
}

/*
 * DistributionPoint ::= SEQUENCE {
 *	distributionPoint [0] DistributionPointName OPTIONAL,
 *	reasons [1] ReasonFlags OPTIONAL,
 *	cRLIssuer [2] GeneralNames OPTIONAL }
 * DistributionPointName ::= CHOICE { fullName [0] GeneralNames,
 *	nameRelativeToCRLIssuer [1] RelativeDistinguishedName }
 */
static int
kr_crl_dp(struct kr_der *d, struct kr_cert_fields *f, struct kr_err *err)
{
	struct kr_der	dp, dpn, full;
	struct kr_slice	s;
	int		ret;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &dp) != KR_OK)
		return kr_bad(err, "a distribution point is malformed");
	if (kr_der_peek(&dp, KR_DER_CTX_CONS(0))) {
		if (kr_der_enter(&dp, KR_DER_CTX_CONS(0), &dpn) != KR_OK)
			return kr_bad(err, "distributionPoint is malformed");
		if (kr_der_peek(&dpn, KR_DER_CTX_CONS(0))) {
			if (kr_der_enter(&dpn, KR_DER_CTX_CONS(0), &full) !=
			    KR_OK)
				return kr_bad(err, "fullName is malformed");
			if ((ret = kr_uri_list(&full, f->crldp,
			    &f->crldp_count, err)) != KR_OK)
				return ret;
		} else if (kr_der_get(&dpn, KR_DER_CTX_CONS(1), &s) != KR_OK)
			return kr_bad(err, "distributionPoint is malformed");
		if (kr_der_done(&dpn) != KR_OK)
			return kr_bad(err, "distributionPoint is malformed");
	}
	if (kr_der_peek(&dp, KR_DER_CTX(1)) &&
	    kr_der_get(&dp, KR_DER_CTX(1), &s) != KR_OK)
		return kr_bad(err, "reasons is malformed");
	if (kr_der_peek(&dp, KR_DER_CTX_CONS(2)) &&
	    kr_der_get(&dp, KR_DER_CTX_CONS(2), &s) != KR_OK)
		return kr_bad(err, "cRLIssuer is malformed");
	if (kr_der_done(&dp) != KR_OK)
		return kr_bad(err, "unexpected data in a distribution point");
	return KR_OK;
}

/* CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint */
static int
kr_ext_crldp(struct kr_der *d, struct kr_cert_fields *f, bool crit,
    struct kr_err *err)
{
	struct kr_der	seq;
	int		ret;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_at_end(&seq))
		return kr_bad(err, "not a non-empty SEQUENCE");
	while (!kr_der_at_end(&seq))
		if ((ret = kr_crl_dp(&seq, f, err)) != KR_OK)
			return ret;
	f->has_crldp = true;
	return KR_OK;
}

/*
 * AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF
 *	AccessDescription ::= SEQUENCE { accessMethod OID,
 *	accessLocation GeneralName }
 * keyrite keeps the caIssuers URIs.
 */
static int
kr_ext_aia(struct kr_der *d, struct kr_cert_fields *f, bool crit,
    struct kr_err *err)
{
	struct kr_der	seq, ad;
	struct kr_oid	method;
	struct kr_gn	gn;
	bool		modelled;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_at_end(&seq))
		return kr_bad(err, "not a non-empty SEQUENCE");
	while (!kr_der_at_end(&seq)) {
		if (kr_der_enter(&seq, KR_DER_SEQUENCE, &ad) != KR_OK ||
		    kr_der_get_oid(&ad, &method) != KR_OK ||
		    kr_gn_next(&ad, false, &gn, &modelled) != KR_OK ||
		    kr_der_done(&ad) != KR_OK)
			return kr_bad(err, "an access description is "
			    "malformed");
		if (!KR_OID_IS(&method, KR_OID_AD_CA_ISSUERS) || !modelled ||
		    gn.type != KR_GN_URI)
			continue;
		if (f->aia_count == 4)
			return kr_bad(err, "more than 4 caIssuers URIs");
		if (!kr_text_copy(f->aia_ca_issuers[f->aia_count], KR_URI_MAX,
		    gn.value, gn.len))
			return kr_bad(err, "a caIssuers URI is not printable "
			    "or longer than %d bytes", KR_URI_MAX - 1);
		f->aia_count++;
	}
	f->has_aia = true;
	return KR_OK;
}

/* SubjectAltName ::= GeneralNames; kinds keyrite does not model are skipped */
static int
kr_ext_san(struct kr_der *d, struct kr_cert_fields *f, bool crit,
    struct kr_err *err)
{
	struct kr_der	seq;
	struct kr_gn	gn;
	bool		modelled;

	if (kr_der_enter(d, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_at_end(&seq))
		return kr_bad(err, "not a non-empty SEQUENCE");
	while (!kr_der_at_end(&seq)) {
		if (kr_gn_next(&seq, false, &gn, &modelled) != KR_OK)
			return kr_bad(err, "name %zu is malformed",
			    f->san_count + 1);
		if (!modelled)
			continue;
		if (f->san_count == KR_GN_MAX)
			return kr_bad(err, "more than %d names", KR_GN_MAX);
		f->san[f->san_count++] = gn;
	}
	f->has_san = true;
	return KR_OK;
}

static const struct kr_ext_decoder {
	const char	*oid;
	size_t		 len;
	const char	*name;
	int		(*decode)(struct kr_der *, struct kr_cert_fields *,
			    bool, struct kr_err *);
} kr_ext_decoders[] = {
#define KR_EXT(o, n, fn)	{ o, sizeof(o) - 1, n, fn }
	KR_EXT(KR_OID_EXT_BC, "basicConstraints", kr_ext_bc),
	KR_EXT(KR_OID_EXT_KU, "keyUsage", kr_ext_ku),
	KR_EXT(KR_OID_EXT_EKU, "extendedKeyUsage", kr_ext_eku),
	KR_EXT(KR_OID_EXT_SKI, "subjectKeyIdentifier", kr_ext_ski),
	KR_EXT(KR_OID_EXT_AKI, "authorityKeyIdentifier", kr_ext_aki),
	KR_EXT(KR_OID_EXT_NC, "nameConstraints", kr_ext_nc),
	KR_EXT(KR_OID_EXT_POLICIES, "certificatePolicies", kr_ext_policies),
	KR_EXT(KR_OID_EXT_CRLDP, "cRLDistributionPoints", kr_ext_crldp),
	KR_EXT(KR_OID_EXT_AIA, "authorityInfoAccess", kr_ext_aia),
	KR_EXT(KR_OID_EXT_SAN, "subjectAltName", kr_ext_san),
#undef KR_EXT
};

static const struct kr_ext_decoder *
kr_ext_find(const struct kr_oid *oid)
{
	size_t	i;

	for (i = 0; i < KR_NITEMS(kr_ext_decoders); i++)
		if (kr_oid_eq(oid, kr_ext_decoders[i].oid,
		    kr_ext_decoders[i].len))
			return &kr_ext_decoders[i];
	return NULL;
}

/* Decodes one extnValue with a known decoder; all of it must be read. */
static int
kr_ext_decode(const struct kr_ext_decoder *dec, const struct kr_slice *v,
    struct kr_cert_fields *f, bool crit, struct kr_err *err)
{
	struct kr_der	val;
	int		ret;

	kr_der_init(&val, v->p, v->len);
	ret = dec->decode(&val, f, crit, err);
	if (ret == KR_OK && kr_der_done(&val) != KR_OK)
		ret = kr_bad(err, "unexpected bytes after the value");
	if (ret != KR_OK)
		kr_err_prefix(err, "the %s extension: ", dec->name);
	return ret;
}

/*
 * Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE,
 *	extnValue OCTET STRING }
 */
static int
kr_parse_ext(struct kr_der *exts, struct kr_cert *c, struct kr_err *err)
{
	const struct kr_ext_decoder	*dec;
	struct kr_der			 ext;
	struct kr_slice			 v;
	struct kr_oid			 oid;
	bool				 crit = false, seen;

	if (kr_der_enter(exts, KR_DER_SEQUENCE, &ext) != KR_OK ||
	    kr_der_get_oid(&ext, &oid) != KR_OK)
		return kr_bad(err, "extension %zu is malformed",
		    c->ext_count + 1);
	if (kr_der_peek(&ext, KR_DER_BOOLEAN) &&
	    (kr_der_get_bool(&ext, &crit) != KR_OK || !crit))
		return kr_bad(err, "extension %zu: critical is written out as "
		    "FALSE (DER leaves a default value out)", c->ext_count + 1);
	if (kr_der_get(&ext, KR_DER_OCTET_STRING, &v) != KR_OK ||
	    kr_der_done(&ext) != KR_OK)
		return kr_bad(err, "extension %zu is malformed",
		    c->ext_count + 1);
	if (c->ext_count == KR_NITEMS(c->ext_oids))
		return kr_bad(err, "more than %zu extensions",
		    KR_NITEMS(c->ext_oids));
	seen = kr_oid_in(c->ext_oids, c->ext_count, &oid);
	c->ext_oids[c->ext_count] = oid;
	c->ext_critical[c->ext_count] = crit;
	c->ext_count++;
	if (seen)
		return KR_OK;
	if ((dec = kr_ext_find(&oid)) == NULL) {
		if (crit)
			c->unknown_critical = true;
		return KR_OK;
	}
	return kr_ext_decode(dec, &v, &c->f, crit, err);
}

bool
kr_ext_duplicate(const struct kr_cert *c, size_t *idx)
{
	size_t	i;

	for (i = 1; i < c->ext_count; i++) {
		if (kr_oid_in(c->ext_oids, i, &c->ext_oids[i])) {
			if (idx != NULL)
				*idx = i;
			return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------------
 * TBSCertificate
 */

/* version [0] EXPLICIT Version DEFAULT v1: keyrite reads v3 (2) only. */
static int
kr_tbs_version(struct kr_der *tbs, struct kr_err *err)
{
	struct kr_der	v;
	int		ver = -1;

	if (!kr_der_peek(tbs, KR_DER_CTX_CONS(0)))
		return kr_bad(err, "it is a version 1 certificate (no version "
		    "field); keyrite reads only version 3");
	if (kr_der_enter(tbs, KR_DER_CTX_CONS(0), &v) != KR_OK ||
	    kr_der_get_small_int(&v, &ver) != KR_OK ||
	    kr_der_done(&v) != KR_OK)
		return kr_bad(err, "the version field is malformed");
	if (ver != 2)
		return kr_bad(err, "it is a version %d certificate; keyrite "
		    "reads only version 3", ver + 1);
	return KR_OK;
}

/* serialNumber: a positive INTEGER of at most 20 octets. */
static int
kr_tbs_serial(struct kr_der *tbs, struct kr_cert_fields *f,
    struct kr_err *err)
{
	struct kr_slice	s;

	if (kr_der_get_integer(tbs, &s) != KR_OK)
		return kr_bad(err, "the serial number is not a minimally "
		    "encoded INTEGER");
	if ((s.p[0] & 0x80) != 0)
		return kr_bad(err, "the serial number (%zu octets) is "
		    "negative; RFC 5280 requires a positive one", s.len);
	if (s.len == 1 && s.p[0] == 0)
		return kr_bad(err, "the serial number is zero; RFC 5280 "
		    "requires a positive one");
	if (s.len > KR_SERIAL_MAX)
		return kr_bad(err, "the serial number is %zu octets long; "
		    "RFC 5280 allows at most %d", s.len, KR_SERIAL_MAX);
	memcpy(f->serial, s.p, s.len);
	f->serial_len = s.len;
	return KR_OK;
}

/* issuer, validity, subject, subjectPublicKeyInfo */
static int
kr_tbs_names(struct kr_der *tbs, struct kr_cert_fields *f,
    struct kr_err *err)
{
	struct kr_slice	s;
	int		ret;

	if ((ret = kr_parse_name(tbs, "issuer", &s, err)) != KR_OK)
		return ret;
	memcpy(f->issuer, s.p, s.len);
	f->issuer_len = s.len;
	if ((ret = kr_parse_validity(tbs, f, err)) != KR_OK)
		return ret;
	if ((ret = kr_parse_name(tbs, "subject", &s, err)) != KR_OK)
		return ret;
	memcpy(f->subject, s.p, s.len);
	f->subject_len = s.len;
	if ((ret = kr_parse_spki(tbs, &s, err)) != KR_OK)
		return ret;
	memcpy(f->spki, s.p, s.len);
	f->spki_len = s.len;
	return KR_OK;
}

/* extensions [3] EXPLICIT SEQUENCE SIZE (1..MAX) OF Extension OPTIONAL */
static int
kr_tbs_exts(struct kr_der *tbs, struct kr_cert *c, struct kr_err *err)
{
	struct kr_der	x, list;
	int		ret;

	if (kr_der_peek(tbs, KR_DER_CTX(1)) || kr_der_peek(tbs, KR_DER_CTX(2)))
		return kr_bad(err, "it carries issuer or subject unique "
		    "identifiers, which RFC 5280 CAs must not write");
	if (kr_der_at_end(tbs))
		return KR_OK;
	if (kr_der_enter(tbs, KR_DER_CTX_CONS(3), &x) != KR_OK ||
	    kr_der_enter(&x, KR_DER_SEQUENCE, &list) != KR_OK ||
	    kr_der_done(&x) != KR_OK || kr_der_at_end(&list))
		return kr_bad(err, "the extensions field is malformed or "
		    "empty");
	while (!kr_der_at_end(&list))
		if ((ret = kr_parse_ext(&list, c, err)) != KR_OK)
			return ret;
	if (kr_der_done(tbs) != KR_OK)
		return kr_bad(err, "unexpected data after the extensions");
	return KR_OK;
}

/*
 * TBSCertificate ::= SEQUENCE { version [0], serialNumber, signature,
 *	issuer, validity, subject, subjectPublicKeyInfo,
 *	issuerUniqueID [1], subjectUniqueID [2], extensions [3] }
 */
int
kr_tbs_parse(const uint8_t *p, size_t len, struct kr_cert *c,
    struct kr_slice *algid, struct kr_err *err)
{
	struct kr_der	in, tbs;
	struct kr_slice	contents;
	int		ret;

	c->f.bc_pathlen = -1;
	kr_der_init(&in, p, len);
	if (kr_der_get_whole(&in, KR_DER_SEQUENCE, &contents, &c->tbs) !=
	    KR_OK || kr_der_done(&in) != KR_OK)
		return kr_bad(err, "the TBSCertificate is not one DER "
		    "SEQUENCE");
	kr_der_init(&tbs, contents.p, contents.len);
	if ((ret = kr_tbs_version(&tbs, err)) != KR_OK ||
	    (ret = kr_tbs_serial(&tbs, &c->f, err)) != KR_OK)
		return ret;
	if (kr_der_get_whole(&tbs, KR_DER_SEQUENCE, &contents, algid) !=
	    KR_OK)
		return kr_bad(err, "the signature AlgorithmIdentifier is "
		    "malformed");
	if ((ret = kr_parse_sig_alg(algid, &c->f.sig_alg, err)) != KR_OK ||
	    (ret = kr_tbs_names(&tbs, &c->f, err)) != KR_OK)
		return ret;
	return kr_tbs_exts(&tbs, c, err);
}

/* ---------------------------------------------------------------------
 * Input: size limit, then PEM (any of `labels`) or DER
 */

static int
kr_input_der(const uint8_t *in, size_t len, size_t max,
    const char *const *labels, uint8_t **der, size_t *derlen,
    struct kr_err *err)
{
	size_t	i;
	int	rc;

	if (in == NULL || len == 0)
		return kr_bad(err, "the input is empty");
	if (len > max)
		return kr_bad(err, "%zu bytes, more than the %zu keyrite "
		    "reads", len, max);
	/* DER: a SEQUENCE with a long-form length; PEM: a BEGIN line. */
	if ((len >= 2 && in[0] == KR_DER_SEQUENCE && (in[1] & 0x80) != 0) ||
	    memmem(in, len, "-----BEGIN ", 11) == NULL) {
		if ((*der = malloc(len)) == NULL)
			return kr_err_set(err, KR_ENOMEM, "out of memory");
		memcpy(*der, in, len);
		*derlen = len;
		return KR_OK;
	}
	for (i = 0; labels[i] != NULL; i++) {
		rc = kr_pem_decode(labels[i], (const char *)in, len, der,
		    derlen);
		if (rc == KR_OK)
			return KR_OK;
		if (rc != KR_ENOENT)
			return kr_bad(err, "the PEM block labelled %s is "
			    "malformed (bad base64 or no END line)",
			    labels[i]);
	}
	return kr_bad(err, "it is PEM but holds no block labelled %s",
	    labels[0]);
}

/* Bytes after the element the reader just passed. */
static size_t
kr_trailing(const struct kr_der *d)
{
	return (size_t)(d->end - d->p);
}

/* Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signatureValue } */
static int
kr_cert_decode(struct kr_cert *c, struct kr_err *err)
{
	struct kr_der	in, cert;
	struct kr_slice	contents, tbs, algid, outer;
	unsigned	unused;
	size_t		i;
	char		name[KR_OID_STR_MAX];
	int		ret;

	kr_der_init(&in, c->der, c->der_len);
	if (kr_der_enter(&in, KR_DER_SEQUENCE, &cert) != KR_OK)
		return kr_bad(err, "not one DER SEQUENCE (truncated, not "
		    "DER, or another kind of file)");
	if (kr_der_done(&in) != KR_OK)
		return kr_bad(err, "%zu bytes of trailing data after it",
		    kr_trailing(&in));
	if (kr_der_get_whole(&cert, KR_DER_SEQUENCE, &contents, &tbs) !=
	    KR_OK)
		return kr_bad(err, "the TBSCertificate is malformed");
	if ((ret = kr_tbs_parse(tbs.p, tbs.len, c, &algid, err)) != KR_OK)
		return ret;
	if (kr_der_get_whole(&cert, KR_DER_SEQUENCE, &contents, &outer) !=
	    KR_OK)
		return kr_bad(err, "the signatureAlgorithm is malformed");
	if (outer.len != algid.len || memcmp(outer.p, algid.p, algid.len) != 0)
		return kr_bad(err, "the signature algorithm inside the signed "
		    "part differs from the one outside it (RFC 5280 4.1.1.2)");
	if (kr_der_get_bitstring(&cert, &c->sig, &unused) != KR_OK ||
	    unused != 0 || c->sig.len == 0 || kr_der_done(&cert) != KR_OK)
		return kr_bad(err, "the signatureValue is not the last "
		    "element, a BIT STRING of whole bytes");
	if (kr_ext_duplicate(c, &i)) {
		kr_oid_format(&c->ext_oids[i], name, sizeof(name));
		return kr_bad(err, "the extension %s appears more than once "
		    "(RFC 5280 4.2)", name);
	}
	return KR_OK;
}

int
kr_cert_parse(const char *label, const uint8_t *in, size_t len,
    struct kr_cert **out, struct kr_err *err)
{
	static const char *const	 labels[] = { "CERTIFICATE", NULL };
	struct kr_cert			*c;
	int				 ret = KR_EINTERNAL;

	*out = NULL;
	if (label == NULL)
		label = "certificate";
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto fail;
	}
	if ((ret = kr_input_der(in, len, KR_CERT_MAX, labels, &c->der,
	    &c->der_len, err)) != KR_OK ||
	    (ret = kr_cert_decode(c, err)) != KR_OK)
		goto fail;
	*out = c;
	return KR_OK;
fail:
	kr_cert_free(&c);
	if (ret == KR_EINPUT)
		kr_err_prefix(err, "%s: not a certificate: ", label);
	else
		kr_err_prefix(err, "%s: ", label);
	return ret;
}

void
kr_cert_free(struct kr_cert **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	free((*cp)->der);
	free(*cp);
	*cp = NULL;
}

int
kr_cert_verify_signature(const struct kr_cert *c, const uint8_t *spki,
    size_t spkilen, struct kr_err *err)
{
	int	ret;

	if (c == NULL || spki == NULL)
		return kr_err_set(err, KR_EINTERNAL, "certificate signature "
		    "check: no certificate or no issuer key");
	ret = kr_sig_verify(c->f.sig_alg, spki, spkilen, c->tbs.p, c->tbs.len,
	    c->sig.p, c->sig.len, KR_VERIFY_ANY_CURVE, err);
	if (ret == KR_EVERIFY)
		kr_err_prefix(err, "the certificate's signature does not "
		    "verify with the issuer key given (the certificate was "
		    "altered, or that key is not its issuer's): ");
	else if (ret != KR_OK)
		kr_err_prefix(err, "checking the certificate's signature: ");
	return ret;
}

/* ---------------------------------------------------------------------
 * PKCS#10 certification requests
 */

/* extensionRequest: exactly one Extensions value, decoded into tmp. */
static int
kr_csr_ext_request(struct kr_der *vals, struct kr_csr *r,
    struct kr_cert *tmp, struct kr_err *err)
{
	struct kr_der	exts;
	char		name[KR_OID_STR_MAX];
	size_t		i;

	if (r->has_ext_request)
		return kr_bad(err, "two extensionRequest attributes");
	if (kr_der_enter(vals, KR_DER_SEQUENCE, &exts) != KR_OK ||
	    kr_der_done(vals) != KR_OK)
		return kr_bad(err, "the extensionRequest attribute does not "
		    "hold exactly one list of extensions");
	memset(tmp, 0, sizeof(*tmp));
	tmp->f.bc_pathlen = -1;
	while (!kr_der_at_end(&exts))
		if (kr_parse_ext(&exts, tmp, err) != KR_OK)
			return kr_err_prefix(err, "extensionRequest: ");
	if (kr_ext_duplicate(tmp, &i)) {
		kr_oid_format(&tmp->ext_oids[i], name, sizeof(name));
		return kr_bad(err, "extensionRequest: the extension %s is "
		    "asked for more than once", name);
	}
	r->requested = tmp->f;
	r->has_ext_request = true;
	return KR_OK;
}

/*
 * attributes [0] IMPLICIT SET OF Attribute
 * Attribute ::= SEQUENCE { type OID, values SET SIZE (1..MAX) OF ANY }
 * Only extensionRequest is read; other attributes are ignored.
 */
static int
kr_csr_attrs(struct kr_der *info, struct kr_csr *r, struct kr_cert *tmp,
    struct kr_err *err)
{
	struct kr_der	attrs, a, vals;
	struct kr_slice	contents, whole, prev = { NULL, 0 };
	struct kr_oid	oid;
	int		ret;

	if (kr_der_enter(info, KR_DER_CTX_CONS(0), &attrs) != KR_OK)
		return kr_bad(err, "the attributes field [0] is missing or "
		    "malformed (RFC 2986 requires it, even when empty)");
	while (!kr_der_at_end(&attrs)) {
		if (kr_der_get_whole(&attrs, KR_DER_SEQUENCE, &contents,
		    &whole) != KR_OK)
			return kr_bad(err, "an attribute is malformed");
		if (prev.p != NULL && !kr_set_in_order(&prev, &whole))
			return kr_bad(err, "the attributes are not in DER "
			    "order");
		prev = whole;
		kr_der_init(&a, contents.p, contents.len);
		if (kr_der_get_oid(&a, &oid) != KR_OK ||
		    kr_der_enter(&a, KR_DER_SET, &vals) != KR_OK ||
		    kr_der_done(&a) != KR_OK || kr_der_at_end(&vals))
			return kr_bad(err, "an attribute is malformed");
		if (KR_OID_IS(&oid, KR_PARSE_OID_EXT_REQUEST) &&
		    (ret = kr_csr_ext_request(&vals, r, tmp, err)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

/*
 * CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) },
 *	subject Name, subjectPKInfo, attributes [0] }
 */
static int
kr_csr_info(struct kr_csr *r, struct kr_cert *tmp, struct kr_err *err)
{
	struct kr_der	d, info;
	int		ver = -1, ret;

	kr_der_init(&d, r->info.p, r->info.len);
	if (kr_der_enter(&d, KR_DER_SEQUENCE, &info) != KR_OK)
		return kr_bad(err, "the CertificationRequestInfo is "
		    "malformed");
	if (kr_der_get_small_int(&info, &ver) != KR_OK || ver != 0)
		return kr_bad(err, "the version is not 0 (v1), the only one "
		    "RFC 2986 defines");
	if ((ret = kr_parse_name(&info, "subject", &r->subject, err)) !=
	    KR_OK ||
	    (ret = kr_parse_spki(&info, &r->spki, err)) != KR_OK ||
	    (ret = kr_csr_attrs(&info, r, tmp, err)) != KR_OK)
		return ret;
	if (kr_der_done(&info) != KR_OK)
		return kr_bad(err, "unexpected data after the attributes");
	return KR_OK;
}

/*
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo,
 *	signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }
 */
static int
kr_csr_decode(struct kr_csr *r, struct kr_cert *tmp, struct kr_err *err)
{
	struct kr_der	in, req;
	struct kr_slice	contents, algid;
	unsigned	unused;
	int		ret;

	kr_der_init(&in, r->der, r->der_len);
	if (kr_der_enter(&in, KR_DER_SEQUENCE, &req) != KR_OK)
		return kr_bad(err, "not one DER SEQUENCE (truncated, not "
		    "DER, or another kind of file)");
	if (kr_der_done(&in) != KR_OK)
		return kr_bad(err, "%zu bytes of trailing data after it",
		    kr_trailing(&in));
	if (kr_der_get_whole(&req, KR_DER_SEQUENCE, &contents, &r->info) !=
	    KR_OK ||
	    kr_der_get_whole(&req, KR_DER_SEQUENCE, &contents, &algid) !=
	    KR_OK)
		return kr_bad(err, "the request is malformed");
	if ((ret = kr_parse_sig_alg(&algid, &r->sig_alg, err)) != KR_OK)
		return ret;
	if (kr_der_get_bitstring(&req, &r->sig, &unused) != KR_OK ||
	    unused != 0 || r->sig.len == 0 || kr_der_done(&req) != KR_OK)
		return kr_bad(err, "the signature is not the last element, a "
		    "BIT STRING of whole bytes");
	return kr_csr_info(r, tmp, err);
}

/* The request must be signed by the key it carries (proof of possession). */
static int
kr_csr_check_signature(const struct kr_csr *r, struct kr_err *err)
{
	int	ret;

	ret = kr_sig_verify(r->sig_alg, r->spki.p, r->spki.len, r->info.p,
	    r->info.len, r->sig.p, r->sig.len, KR_VERIFY_ANY_CURVE, err);
	if (ret == KR_EVERIFY)
		return kr_err_set(err, KR_EVERIFY, "the CSR's signature does "
		    "not verify with the key it carries: it was altered or "
		    "made wrongly; ask for a new request");
	if (ret != KR_OK)
		kr_err_prefix(err, "the CSR's signature cannot be checked: ");
	return ret;
}

int
kr_csr_parse(const char *label, const uint8_t *in, size_t len,
    struct kr_csr **out, struct kr_err *err)
{
	static const char *const	 labels[] = { "CERTIFICATE REQUEST",
	    "NEW CERTIFICATE REQUEST", NULL };
	struct kr_csr			*r;
	struct kr_cert			*tmp = NULL;
	int				 ret = KR_EINTERNAL;

	*out = NULL;
	if (label == NULL)
		label = "request";
	r = calloc(1, sizeof(*r));
	tmp = calloc(1, sizeof(*tmp));
	if (r == NULL || tmp == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto fail;
	}
	r->requested.bc_pathlen = -1;
	if ((ret = kr_input_der(in, len, KR_CSR_MAX, labels, &r->der,
	    &r->der_len, err)) != KR_OK ||
	    (ret = kr_csr_decode(r, tmp, err)) != KR_OK ||
	    (ret = kr_csr_check_signature(r, err)) != KR_OK)
		goto fail;
	free(tmp);
	*out = r;
	return KR_OK;
fail:
	free(tmp);
	kr_csr_free(&r);
	if (ret == KR_EINPUT)
		kr_err_prefix(err, "%s: not a certificate request: ", label);
	else
		kr_err_prefix(err, "%s: ", label);
	return ret;
}

void
kr_csr_free(struct kr_csr **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	free((*rp)->der);
	free(*rp);
	*rp = NULL;
}
