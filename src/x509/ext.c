/*
 * Certificate extension decoders (RFC 5280 4.2), shared by the
 * certificate parser (parse.c), the CSR's extensionRequest (csr.c) and
 * lint, which reads a TBS again before it is signed.
 *
 * Each decoder reads one extnValue into struct kr_cert_fields, strictly
 * (DER defaults left out, no trailing bytes); every extension is listed
 * with its criticality so a caller can refuse what it does not
 * understand.  Messages are bare reasons, prefixed with the extension's
 * name here and with the input's label by the caller.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <keyrite/x509.h>

#include "x509_int.h"
#include "parse_int.h"

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
 * keyrite keeps the OCSP and caIssuers URIs.
 */
static int
kr_ext_ocsp_uri(struct kr_cert_fields *f, const struct kr_gn *gn,
    struct kr_err *err)
{
	if (f->aia_ocsp_count == 4)
		return kr_bad(err, "more than 4 OCSP URIs");
	if (!kr_text_copy(f->aia_ocsp[f->aia_ocsp_count], KR_URI_MAX,
	    gn->value, gn->len))
		return kr_bad(err, "an OCSP URI is not printable or longer "
		    "than %d bytes", KR_URI_MAX - 1);
	f->aia_ocsp_count++;
	return KR_OK;
}

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
		if (KR_OID_IS(&method, KR_OID_AD_OCSP) && modelled &&
		    gn.type == KR_GN_URI) {
			if (kr_ext_ocsp_uri(f, &gn, err) != KR_OK)
				return KR_EINPUT;
			continue;
		}
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
int
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
