/*
 * TBSCertificate and Certificate, written backwards on Mbed TLS asn1write.
 *
 * Everything here is deterministic: the same kr_cert_fields give the same
 * bytes, which the golden tests (test/vectors/golden/) hold us to.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha1.h>

#include "x509_int.h"

#define EXT_NAME_FMT	"cannot build the certificate: "

/* SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 4.2.1.2). */
int
kr_key_identifier(const uint8_t *spki, size_t len, uint8_t *out)
{
	struct kr_der	top, seq;
	struct kr_slice	alg, key;
	unsigned	unused;

	kr_der_init(&top, spki, len);
	if (kr_der_enter(&top, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_done(&top) != KR_OK ||
	    kr_der_get(&seq, KR_DER_SEQUENCE, &alg) != KR_OK ||
	    kr_der_get_bitstring(&seq, &key, &unused) != KR_OK ||
	    kr_der_done(&seq) != KR_OK || unused != 0 || key.len == 0)
		return KR_EINPUT;
	if (mbedtls_sha1_ret(key.p, key.len, out) != 0)
		return KR_ECRYPTO;
	return KR_OK;
}

/* Wraps the value already written as the extension with OID `oid`. */
#define EXT_WRAP(p, start, len, oid, crit) \
	kr_derw_ext((p), (start), (len), (const uint8_t *)(oid), \
	    sizeof(oid) - 1, (crit))

/*
 * BasicConstraints ::= SEQUENCE {
 *      cA                  BOOLEAN DEFAULT FALSE,
 *      pathLenConstraint   INTEGER (0..MAX) OPTIONAL }
 */
static int
ext_bc(uint8_t **p, uint8_t *start, const struct kr_cert_fields *f)
{
	int	ret;
	size_t	len = 0;

	if (f->bc_pathlen >= 0)
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_small_int(p, start,
		    (unsigned)f->bc_pathlen));
	if (f->bc_ca)
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_bool(p, start, true));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return EXT_WRAP(p, start, len, KR_OID_EXT_BC, f->bc_critical);
}

/*
 * KeyUsage ::= BIT STRING { digitalSignature (0), nonRepudiation (1),
 *      keyEncipherment (2), dataEncipherment (3), keyAgreement (4),
 *      keyCertSign (5), cRLSign (6), ... }
 * A named bit list: DER drops trailing zero bits (X.690 11.2.2).
 */
static int
ext_ku(uint8_t **p, uint8_t *start, const struct kr_cert_fields *f)
{
	int	ret, bit, top = 0;
	size_t	len = 0;
	uint8_t	b = 0;

	for (bit = 0; bit < 7; bit++) {
		if (f->ku & (1u << bit)) {
			b |= (uint8_t)(0x80 >> bit);
			top = bit;
		}
	}
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_bitstring(p, start, &b, 1,
	    (unsigned)(7 - top)));
	return EXT_WRAP(p, start, len, KR_OID_EXT_KU, f->ku_critical);
}

/* ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
static int
ext_eku(uint8_t **p, uint8_t *start, const struct kr_cert_fields *f)
{
	int	ret;
	size_t	len = 0, i;

	for (i = f->eku_count; i-- > 0;)
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_oid(p, start, f->eku[i].der,
		    f->eku[i].len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return EXT_WRAP(p, start, len, KR_OID_EXT_EKU, false);
}

/* SubjectKeyIdentifier ::= KeyIdentifier ::= OCTET STRING */
static int
ext_ski(uint8_t **p, uint8_t *start, const struct kr_cert_fields *f)
{
	int	ret;
	size_t	len = 0;

	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, KR_DER_OCTET_STRING,
	    f->ski, f->ski_len));
	return EXT_WRAP(p, start, len, KR_OID_EXT_SKI, false);
}

/*
 * AuthorityKeyIdentifier ::= SEQUENCE {
 *      keyIdentifier             [0] KeyIdentifier OPTIONAL,
 *      authorityCertIssuer       [1] GeneralNames OPTIONAL,
 *      authorityCertSerialNumber [2] CertificateSerialNumber OPTIONAL }
 * Only the key identifier is written.
 */
static int
ext_aki(uint8_t **p, uint8_t *start, const struct kr_cert_fields *f)
{
	int	ret;
	size_t	len = 0;

	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, KR_DER_CTX(0), f->aki,
	    f->aki_len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return EXT_WRAP(p, start, len, KR_OID_EXT_AKI, false);
}

/*
 * GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree
 * GeneralSubtree ::= SEQUENCE {
 *      base        GeneralName,
 *      minimum     [0] BaseDistance DEFAULT 0,
 *      maximum     [1] BaseDistance OPTIONAL }
 * Written as [tag] IMPLICIT GeneralSubtrees; only `base` (RFC 5280).
 */
static int
write_subtrees(uint8_t **p, uint8_t *start, const struct kr_gn *gn,
    size_t n, uint8_t tag)
{
	int	ret;
	size_t	len = 0, sub;

	while (n-- > 0) {
		sub = 0;
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_gn(p, start, &gn[n]));
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub,
		    KR_DER_SEQUENCE));
		len += sub;
	}
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, tag));
	return (int)len;
}

/*
 * NameConstraints ::= SEQUENCE {
 *      permittedSubtrees   [0] GeneralSubtrees OPTIONAL,
 *      excludedSubtrees    [1] GeneralSubtrees OPTIONAL }
 * Always critical (RFC 5280 4.2.1.10: conforming CAs MUST mark it so).
 */
static int
ext_nc(uint8_t **p, uint8_t *start, const struct kr_cert_fields *f)
{
	int	ret;
	size_t	len = 0;

	if (f->nc_excluded_count > 0)
		MBEDTLS_ASN1_CHK_ADD(len, write_subtrees(p, start,
		    f->nc_excluded, f->nc_excluded_count, KR_DER_CTX_CONS(1)));
	if (f->nc_permitted_count > 0)
		MBEDTLS_ASN1_CHK_ADD(len, write_subtrees(p, start,
		    f->nc_permitted, f->nc_permitted_count,
		    KR_DER_CTX_CONS(0)));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return EXT_WRAP(p, start, len, KR_OID_EXT_NC, true);
}

/*
 * certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation
 * PolicyInformation ::= SEQUENCE {
 *      policyIdentifier   CertPolicyId,
 *      policyQualifiers   SEQUENCE SIZE (1..MAX) OF
 *                              PolicyQualifierInfo OPTIONAL }
 * PolicyQualifierInfo ::= SEQUENCE {
 *      policyQualifierId  PolicyQualifierId,	-- id-qt-cps
 *      qualifier          ANY }		-- CPSuri ::= IA5String
 * The CPS URI, if any, qualifies the first policy.
 */
static int
write_cps(uint8_t **p, uint8_t *start, const char *uri)
{
	int	ret;
	size_t	len = 0;

	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, KR_DER_IA5_STRING,
	    (const uint8_t *)uri, strlen(uri)));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_oid(p, start,
	    (const uint8_t *)KR_OID_QT_CPS, sizeof(KR_OID_QT_CPS) - 1));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

static int
ext_policies(uint8_t **p, uint8_t *start, const struct kr_cert_fields *f)
{
	int	ret;
	size_t	len = 0, sub, i;

	for (i = f->policies_count; i-- > 0;) {
		sub = 0;
		if (i == 0 && f->cps_uri[0] != '\0')
			MBEDTLS_ASN1_CHK_ADD(sub, write_cps(p, start,
			    f->cps_uri));
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_oid(p, start,
		    f->policies[i].der, f->policies[i].len));
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub,
		    KR_DER_SEQUENCE));
		len += sub;
	}
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return EXT_WRAP(p, start, len, KR_OID_EXT_POLICIES, false);
}

static int
write_uri(uint8_t **p, uint8_t *start, const char *uri)
{
	return kr_derw_tlv(p, start, KR_DER_CTX(6), (const uint8_t *)uri,
	    strlen(uri));
}

/*
 * CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
 * DistributionPoint ::= SEQUENCE {
 *      distributionPoint  [0] DistributionPointName OPTIONAL,
 *      reasons            [1] ReasonFlags OPTIONAL,
 *      cRLIssuer          [2] GeneralNames OPTIONAL }
 * DistributionPointName ::= CHOICE {
 *      fullName                 [0] GeneralNames,
 *      nameRelativeToCRLIssuer  [1] RelativeDistinguishedName }
 * One DistributionPoint whose fullName lists every URI: the same CRL at
 * each location.
 */
static int
ext_crldp(uint8_t **p, uint8_t *start, const struct kr_cert_fields *f)
{
	int	ret;
	size_t	len = 0, i;

	for (i = f->crldp_count; i-- > 0;)
		MBEDTLS_ASN1_CHK_ADD(len, write_uri(p, start, f->crldp[i]));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len,
	    KR_DER_CTX_CONS(0)));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len,
	    KR_DER_CTX_CONS(0)));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return EXT_WRAP(p, start, len, KR_OID_EXT_CRLDP, false);
}

/*
 * AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription
 * AccessDescription ::= SEQUENCE {
 *      accessMethod     OBJECT IDENTIFIER,	-- id-ad-ocsp, id-ad-caIssuers
 *      accessLocation   GeneralName }		-- a URI
 * The OCSP responders first, then where the issuer's certificate is.
 */
static int
ext_access(uint8_t **p, uint8_t *start, const char *oid, size_t oidlen,
    const char *uri)
{
	int	ret;
	size_t	len = 0;

	MBEDTLS_ASN1_CHK_ADD(len, write_uri(p, start, uri));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_oid(p, start, (const uint8_t *)oid,
	    oidlen));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

static int
ext_aia(uint8_t **p, uint8_t *start, const struct kr_cert_fields *f)
{
	int	ret;
	size_t	len = 0, i;

	for (i = f->aia_count; i-- > 0;)
		MBEDTLS_ASN1_CHK_ADD(len, ext_access(p, start,
		    KR_OID_AD_CA_ISSUERS, sizeof(KR_OID_AD_CA_ISSUERS) - 1,
		    f->aia_ca_issuers[i]));
	for (i = f->aia_ocsp_count; i-- > 0;)
		MBEDTLS_ASN1_CHK_ADD(len, ext_access(p, start, KR_OID_AD_OCSP,
		    sizeof(KR_OID_AD_OCSP) - 1, f->aia_ocsp[i]));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return EXT_WRAP(p, start, len, KR_OID_EXT_AIA, false);
}

/*
 * SubjectAltName ::= GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
 * Critical when the subject is empty (RFC 5280 4.2.1.6).
 */
static int
ext_san(uint8_t **p, uint8_t *start, const struct kr_cert_fields *f)
{
	int	ret;
	size_t	len = 0, i;
	bool	empty_subject = f->subject_len == 2;

	for (i = f->san_count; i-- > 0;)
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_gn(p, start, &f->san[i]));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return EXT_WRAP(p, start, len, KR_OID_EXT_SAN, empty_subject);
}

/*
 * extensions [3] EXPLICIT Extensions OPTIONAL
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 * Written last to first, so they appear in the order of x509.h.
 */
static int
write_extensions(uint8_t **p, uint8_t *start, const struct kr_cert_fields *f)
{
	int	ret;
	size_t	len = 0;

	if (f->has_san)
		MBEDTLS_ASN1_CHK_ADD(len, ext_san(p, start, f));
	if (f->has_aia)
		MBEDTLS_ASN1_CHK_ADD(len, ext_aia(p, start, f));
	if (f->has_crldp)
		MBEDTLS_ASN1_CHK_ADD(len, ext_crldp(p, start, f));
	if (f->has_policies)
		MBEDTLS_ASN1_CHK_ADD(len, ext_policies(p, start, f));
	if (f->has_nc)
		MBEDTLS_ASN1_CHK_ADD(len, ext_nc(p, start, f));
	if (f->has_aki)
		MBEDTLS_ASN1_CHK_ADD(len, ext_aki(p, start, f));
	if (f->has_ski)
		MBEDTLS_ASN1_CHK_ADD(len, ext_ski(p, start, f));
	if (f->has_eku)
		MBEDTLS_ASN1_CHK_ADD(len, ext_eku(p, start, f));
	if (f->has_ku)
		MBEDTLS_ASN1_CHK_ADD(len, ext_ku(p, start, f));
	if (f->has_bc)
		MBEDTLS_ASN1_CHK_ADD(len, ext_bc(p, start, f));
	if (len == 0)
		return 0;
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len,
	    KR_DER_CTX_CONS(3)));
	return (int)len;
}

/* --- Field checks: refuse what would not be a valid encoding ---------- */

static int
check_serial(const struct kr_cert_fields *f, struct kr_err *err)
{
	const uint8_t	*s = f->serial;
	size_t		 n = f->serial_len;

	if (n == 0 || n > KR_SERIAL_MAX)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "the serial "
		    "number is %zu bytes; it must be 1 to %d", n,
		    KR_SERIAL_MAX);
	if ((s[0] & 0x80) != 0)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "the serial "
		    "number is negative (first byte 0x%02x)", s[0]);
	if (n > 1 && s[0] == 0 && (s[1] & 0x80) == 0)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "the serial "
		    "number has a leading zero byte (not minimally encoded)");
	if (n == 1 && s[0] == 0)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "the serial "
		    "number is zero; it must be positive");
	return KR_OK;
}

/* One DER element with this tag and nothing after it. */
static bool
single_element(const uint8_t *p, size_t len, uint8_t tag)
{
	struct kr_der	d;
	struct kr_slice	c;

	kr_der_init(&d, p, len);
	return kr_der_get(&d, tag, &c) == KR_OK && kr_der_done(&d) == KR_OK;
}

static int
check_basics(const struct kr_cert_fields *f, struct kr_err *err)
{
	uint8_t	id[128];
	size_t	idlen;

	if (kr_sig_alg_id(f->sig_alg, id, sizeof(id), &idlen) != KR_OK)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "unknown "
		    "signature algorithm %d", (int)f->sig_alg);
	if (f->issuer_len > KR_NAME_DER_MAX || f->issuer_len <= 2 ||
	    !kr_dn_valid(f->issuer, f->issuer_len))
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "the issuer "
		    "name is empty or not a well-formed DER Name");
	if (f->subject_len > KR_NAME_DER_MAX ||
	    !kr_dn_valid(f->subject, f->subject_len))
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "the subject "
		    "name is not a well-formed DER Name");
	if (f->subject_len == 2 && (!f->has_san || f->san_count == 0))
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "the subject "
		    "name is empty and there is no subjectAltName");
	if (f->spki_len > KR_SPKI_MAX_BYTES ||
	    !single_element(f->spki, f->spki_len, KR_DER_SEQUENCE))
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "the public "
		    "key is not one DER SubjectPublicKeyInfo");
	if (!kr_der_time_ok(f->not_before) || !kr_der_time_ok(f->not_after) ||
	    f->not_after < f->not_before)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "the validity "
		    "period ends before it starts or lies outside the years "
		    "0000 to 9999");
	return KR_OK;
}

static int
check_gns(const struct kr_gn *gn, size_t n, bool constraint,
    const char *what, struct kr_err *err)
{
	size_t	i, j;

	if (n > KR_GN_MAX)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "%s has %zu "
		    "names; at most %d are allowed", what, n, KR_GN_MAX);
	for (i = 0; i < n; i++) {
		bool ok = gn[i].len <= KR_GN_VALUE_MAX;

		switch (gn[i].type) {
		case KR_GN_IP:
			ok = ok && (constraint ? gn[i].len == 8 ||
			    gn[i].len == 32 : gn[i].len == 4 ||
			    gn[i].len == 16);
			break;
		case KR_GN_DIRNAME:
			ok = ok && kr_dn_valid(gn[i].value, gn[i].len);
			break;
		case KR_GN_DNS:
		case KR_GN_EMAIL:
		case KR_GN_URI:
			ok = ok && (gn[i].len > 0 || constraint);
			for (j = 0; ok && j < gn[i].len; j++)
				ok = gn[i].value[j] > 0x20 &&
				    gn[i].value[j] < 0x7f;
			break;
		default:
			ok = false;
			break;
		}
		if (!ok)
			return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "name "
			    "%zu of %s is malformed", i + 1, what);
	}
	return KR_OK;
}

static int
check_uris(const char (*u)[KR_URI_MAX], size_t n, const char *what,
    struct kr_err *err)
{
	size_t	i;

	if (n == 0 || n > 4)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "%s needs 1 to "
		    "4 URIs, not %zu", what, n);
	for (i = 0; i < n; i++)
		if (!kr_der_uri_ok(u[i], KR_URI_MAX))
			return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "%s URI "
			    "%zu is not an absolute URI in printable ASCII",
			    what, i + 1);
	return KR_OK;
}

static int
check_oids(const struct kr_oid *o, size_t n, bool unique, const char *what,
    struct kr_err *err)
{
	size_t	i, j;

	if (n == 0 || n > KR_OID_MAX)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "%s needs 1 to "
		    "%d object identifiers, not %zu", what, KR_OID_MAX, n);
	for (i = 0; i < n; i++) {
		if (o[i].len > sizeof(o[i].der) ||
		    !kr_der_oid_valid(o[i].der, o[i].len))
			return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "%s "
			    "identifier %zu is malformed", what, i + 1);
		for (j = 0; unique && j < i; j++)
			if (o[j].len == o[i].len &&
			    memcmp(o[j].der, o[i].der, o[i].len) == 0)
				return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT
				    "%s lists an identifier twice", what);
	}
	return KR_OK;
}

static int
check_key_ext(const struct kr_cert_fields *f, struct kr_err *err)
{
	if (f->has_bc && f->bc_pathlen < -1)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "pathLen %d",
		    f->bc_pathlen);
	if (f->has_ku && (f->ku == 0 || (f->ku & ~0x7fu) != 0))
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "keyUsage "
		    "0x%04x sets no known bit or an unknown one", f->ku);
	if (f->has_ski && (f->ski_len == 0 || f->ski_len > KR_KEYID_BYTES))
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "a subject key "
		    "identifier of %zu bytes", f->ski_len);
	if (f->has_aki && (f->aki_len == 0 || f->aki_len > KR_KEYID_BYTES))
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "an authority "
		    "key identifier of %zu bytes", f->aki_len);
	return KR_OK;
}

static int
fields_check(const struct kr_cert_fields *f, struct kr_err *err)
{
	int	ret;

	if ((ret = check_serial(f, err)) != KR_OK ||
	    (ret = check_basics(f, err)) != KR_OK ||
	    (ret = check_key_ext(f, err)) != KR_OK)
		return ret;
	if (f->has_eku && (ret = check_oids(f->eku, f->eku_count, false,
	    "extendedKeyUsage", err)) != KR_OK)
		return ret;
	if (f->has_nc && f->nc_permitted_count + f->nc_excluded_count == 0)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT
		    "nameConstraints with neither permitted nor excluded "
		    "names");
	if (f->has_nc && ((ret = check_gns(f->nc_permitted,
	    f->nc_permitted_count, true, "permitted subtrees", err)) != KR_OK ||
	    (ret = check_gns(f->nc_excluded, f->nc_excluded_count, true,
	    "excluded subtrees", err)) != KR_OK))
		return ret;
	if (f->has_policies && ((ret = check_oids(f->policies,
	    f->policies_count, true, "certificatePolicies", err)) != KR_OK))
		return ret;
	if (f->has_policies && f->cps_uri[0] != '\0' &&
	    !kr_der_uri_ok(f->cps_uri, KR_URI_MAX))
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "the CPS URI is "
		    "not an absolute URI in printable ASCII");
	if (f->has_crldp && (ret = check_uris(f->crldp, f->crldp_count,
	    "cRLDistributionPoints", err)) != KR_OK)
		return ret;
	if (f->has_aia && f->aia_count + f->aia_ocsp_count == 0)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT
		    "authorityInfoAccess with no URIs");
	if (f->has_aia && ((f->aia_count > 0 && (ret = check_uris(
	    f->aia_ca_issuers, f->aia_count, "authorityInfoAccess", err)) !=
	    KR_OK) || (f->aia_ocsp_count > 0 && (ret = check_uris(f->aia_ocsp,
	    f->aia_ocsp_count, "authorityInfoAccess", err)) != KR_OK)))
		return ret;
	if (f->has_san && f->san_count == 0)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "subjectAltName "
		    "with no names");
	if (f->has_san && (ret = check_gns(f->san, f->san_count, false,
	    "subjectAltName", err)) != KR_OK)
		return ret;
	return KR_OK;
}

/*
 * TBSCertificate ::= SEQUENCE {
 *      version          [0] EXPLICIT Version DEFAULT v1,	-- v3 (2)
 *      serialNumber     CertificateSerialNumber,
 *      signature        AlgorithmIdentifier,
 *      issuer           Name,
 *      validity         Validity,
 *      subject          Name,
 *      subjectPublicKeyInfo SubjectPublicKeyInfo,
 *      extensions       [3] EXPLICIT Extensions OPTIONAL }
 * Validity ::= SEQUENCE { notBefore Time, notAfter Time }
 */
static int
write_tbs(uint8_t **p, uint8_t *start, const struct kr_cert_fields *f)
{
	int	ret;
	size_t	len = 0, sub = 0;

	MBEDTLS_ASN1_CHK_ADD(len, write_extensions(p, start, f));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_raw(p, start, f->spki, f->spki_len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_raw(p, start, f->subject,
	    f->subject_len));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_time(p, start, f->not_after));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_time(p, start, f->not_before));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub, KR_DER_SEQUENCE));
	len += sub;
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_raw(p, start, f->issuer,
	    f->issuer_len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_sig_alg(p, start, f->sig_alg));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, KR_DER_INTEGER,
	    f->serial, f->serial_len));
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_small_int(p, start, 2));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub,
	    KR_DER_CTX_CONS(0)));
	len += sub;
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

int
kr_tbs_build(const struct kr_cert_fields *f, uint8_t **out, size_t *outlen,
    struct kr_err *err)
{
	uint8_t	*buf, *p;
	int	 n, ret = KR_EINTERNAL;

	*out = NULL;
	*outlen = 0;
	if ((ret = fields_check(f, err)) != KR_OK)
		return ret;
	if ((buf = malloc(KR_CERT_MAX)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	p = buf + KR_CERT_MAX;
	if ((n = write_tbs(&p, buf, f)) < 0) {
		ret = n == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL ?
		    kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "it would be "
		    "larger than %d bytes", KR_CERT_MAX) :
		    kr_err_set(err, KR_EINTERNAL, EXT_NAME_FMT "the DER "
		    "writer refused a field (-0x%04x)", (unsigned)-n);
		goto out;
	}
	if ((ret = kr_derw_finish(p, (size_t)n, out, outlen)) != KR_OK)
		ret = kr_err_set(err, ret, "out of memory");
out:
	free(buf);
	return ret;
}

/*
 * Reads the signature AlgorithmIdentifier of a TBSCertificate, checking
 * that the TBS is one DER SEQUENCE and nothing more.
 */
static int
tbs_sig_alg(const uint8_t *tbs, size_t len, struct kr_slice *alg)
{
	struct kr_der	top, seq, ver;
	struct kr_slice	serial, c;
	int		v;

	kr_der_init(&top, tbs, len);
	if (kr_der_enter(&top, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_done(&top) != KR_OK)
		return KR_EINPUT;
	if (kr_der_peek(&seq, KR_DER_CTX_CONS(0)) &&
	    (kr_der_enter(&seq, KR_DER_CTX_CONS(0), &ver) != KR_OK ||
	    kr_der_get_small_int(&ver, &v) != KR_OK ||
	    kr_der_done(&ver) != KR_OK))
		return KR_EINPUT;
	if (kr_der_get_integer(&seq, &serial) != KR_OK ||
	    kr_der_get_whole(&seq, KR_DER_SEQUENCE, &c, alg) != KR_OK)
		return KR_EINPUT;
	return KR_OK;
}

/*
 * Certificate ::= SEQUENCE {
 *      tbsCertificate       TBSCertificate,
 *      signatureAlgorithm   AlgorithmIdentifier,
 *      signatureValue       BIT STRING }
 */
int
kr_cert_assemble(const uint8_t *tbs, size_t tbslen, enum kr_sig_alg alg,
    const uint8_t *sig, size_t siglen, uint8_t **out, size_t *outlen,
    struct kr_err *err)
{
	struct kr_slice	 inner;
	uint8_t		 id[128], *buf = NULL, *p;
	size_t		 idlen, cap, len = 0;
	int		 n, ret = KR_EINTERNAL;

	*out = NULL;
	*outlen = 0;
	if (kr_sig_alg_id(alg, id, sizeof(id), &idlen) != KR_OK)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "unknown "
		    "signature algorithm %d", (int)alg);
	if (tbslen > KR_CERT_MAX || tbs_sig_alg(tbs, tbslen, &inner) != KR_OK)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "the "
		    "TBSCertificate is not one well-formed DER structure");
	if (inner.len != idlen || memcmp(inner.p, id, idlen) != 0)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "the "
		    "TBSCertificate names another signature algorithm than "
		    "%s", kr_sig_alg_name(alg));
	if (siglen == 0 || siglen > KR_SIG_MAX_BYTES)
		return kr_err_set(err, KR_EINPUT, EXT_NAME_FMT "a signature "
		    "of %zu bytes", siglen);
	cap = tbslen + idlen + siglen + 32;
	if ((buf = malloc(cap)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	p = buf + cap;
	if ((n = kr_derw_bitstring(&p, buf, sig, siglen, 0)) < 0)
		goto toolong;
	len += (size_t)n;
	if ((n = kr_derw_raw(&p, buf, id, idlen)) < 0)
		goto toolong;
	len += (size_t)n;
	if ((n = kr_derw_raw(&p, buf, tbs, tbslen)) < 0)
		goto toolong;
	len += (size_t)n;
	if ((n = kr_derw_tl(&p, buf, len, KR_DER_SEQUENCE)) < 0)
		goto toolong;
	len += (size_t)n;
	if ((ret = kr_derw_finish(p, len, out, outlen)) != KR_OK)
		ret = kr_err_set(err, ret, "out of memory");
	free(buf);
	return ret;
toolong:
	free(buf);
	return kr_err_set(err, KR_EINTERNAL, EXT_NAME_FMT "the output buffer "
	    "was too small");
}
