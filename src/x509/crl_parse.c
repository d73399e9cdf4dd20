/*
 * X.509 v2 CRLs (RFC 5280 section 5): the streaming strict parser.  It
 * reads entries in place and hands each to a callback, so a CRL of any
 * length is read in constant memory.  The builder is crl_build.c.
 */
#include <stdlib.h>
#include <string.h>

#include "x509_int.h"

#include <keyrite/crl.h>

/* Extensions one list may hold, for the duplicate check. */
#define CRL_EXT_SEEN	32

struct crl_parse {
	struct kr_crl_info	*info;
	bool			 v2;
	struct kr_slice		 revoked;	/* contents of the list */
	bool			 has_revoked;
};

/* Remembers extension OIDs to refuse a repeat (RFC 5280 4.2). */
struct ext_seen {
	struct kr_oid	oid[CRL_EXT_SEEN];
	size_t		n;
};

static int
ext_seen_add(struct ext_seen *s, const struct kr_oid *oid, const char *where,
    struct kr_err *err)
{
	char	dotted[96];
	size_t	i;

	for (i = 0; i < s->n; i++) {
		if (s->oid[i].len == oid->len &&
		    memcmp(s->oid[i].der, oid->der, oid->len) == 0) {
			kr_oid_dotted(oid->der, oid->len, dotted,
			    sizeof(dotted));
			return kr_err_set(err, KR_EINPUT, "%s: the extension "
			    "%s appears twice", where, dotted);
		}
	}
	if (s->n == CRL_EXT_SEEN)
		return kr_err_set(err, KR_EINPUT, "%s: more than %d "
		    "extensions", where, CRL_EXT_SEEN);
	s->oid[s->n++] = *oid;
	return KR_OK;
}

/*
 * Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE,
 * extnValue OCTET STRING }.  A critical flag of FALSE is not DER.
 */
static int
ext_next(struct kr_der *list, struct kr_oid *oid, bool *crit,
    struct kr_slice *val)
{
	struct kr_der	ext;

	*crit = false;
	if (kr_der_enter(list, KR_DER_SEQUENCE, &ext) != KR_OK ||
	    kr_der_get_oid(&ext, oid) != KR_OK)
		return KR_EINPUT;
	if (kr_der_peek(&ext, KR_DER_BOOLEAN) &&
	    (kr_der_get_bool(&ext, crit) != KR_OK || !*crit))
		return KR_EINPUT;
	if (kr_der_get(&ext, KR_DER_OCTET_STRING, val) != KR_OK ||
	    kr_der_done(&ext) != KR_OK)
		return KR_EINPUT;
	return KR_OK;
}

static int
unknown_ext(const struct kr_oid *oid, bool crit, const char *where,
    struct kr_err *err)
{
	char	dotted[96];

	if (!crit)
		return KR_OK;
	kr_oid_dotted(oid->der, oid->len, dotted, sizeof(dotted));
	return kr_err_set(err, KR_EINPUT, "%s: the critical extension %s is "
	    "not one keyrite knows, so the CRL cannot be relied on", where,
	    dotted);
}

/* reasonCode or invalidityDate: the value is exactly one element. */
static int
entry_ext_value(const struct kr_oid *oid, const struct kr_slice *val,
    struct kr_crl_entry *e)
{
	struct kr_der	d;
	int		r;

	kr_der_init(&d, val->p, val->len);
	if (KR_OID_IS(oid, KR_OID_REASON_CODE)) {
		if (kr_der_get_small_int_tag(&d, KR_DER_ENUMERATED, &r) !=
		    KR_OK || !kr_crl_reason_valid(r))
			return KR_EINPUT;
		e->reason = (enum kr_reason)r;
	} else if (kr_der_get_gentime(&d, &e->invalidity) != KR_OK ||
	    e->invalidity == 0)
		return KR_EINPUT;
	return kr_der_done(&d);
}

static int
entry_exts(struct kr_der *es, struct kr_crl_entry *e, const char *where,
    struct kr_err *err)
{
	struct kr_der	list;
	struct ext_seen	seen;
	struct kr_oid	oid;
	struct kr_slice	val;
	bool		crit;
	int		ret;

	seen.n = 0;
	if (kr_der_enter(es, KR_DER_SEQUENCE, &list) != KR_OK ||
	    kr_der_at_end(&list))
		return kr_err_set(err, KR_EINPUT, "%s: crlEntryExtensions is "
		    "malformed or empty", where);
	while (!kr_der_at_end(&list)) {
		if (ext_next(&list, &oid, &crit, &val) != KR_OK)
			return kr_err_set(err, KR_EINPUT, "%s: an entry "
			    "extension is malformed", where);
		if ((ret = ext_seen_add(&seen, &oid, where, err)) != KR_OK)
			return ret;
		if (KR_OID_IS(&oid, KR_OID_REASON_CODE) ||
		    KR_OID_IS(&oid, KR_OID_INVALIDITY)) {
			if (entry_ext_value(&oid, &val, e) != KR_OK)
				return kr_err_set(err, KR_EINPUT, "%s: a "
				    "reasonCode or invalidityDate that is not "
				    "a valid value", where);
		} else if (KR_OID_IS(&oid, KR_OID_CERT_ISSUER) && crit) {
			return kr_err_set(err, KR_EINPUT, "%s: a "
			    "certificateIssuer entry extension (an indirect "
			    "CRL), which keyrite does not handle", where);
		} else if ((ret = unknown_ext(&oid, crit, where, err)) !=
		    KR_OK)
			return ret;
	}
	return KR_OK;
}

/*
 * SEQUENCE { userCertificate INTEGER, revocationDate Time,
 * crlEntryExtensions Extensions OPTIONAL }
 */
static int
entry_parse(struct kr_der *list, bool v2, size_t n, struct kr_crl_entry *e,
    struct kr_err *err)
{
	struct kr_der	es;
	struct kr_slice	s;
	char		where[64];
	int		ret;

	snprintf(where, sizeof(where), "revoked entry %zu", n);
	e->reason = KR_REASON_NONE;
	e->invalidity = 0;
	if (kr_der_enter(list, KR_DER_SEQUENCE, &es) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "%s is not a DER SEQUENCE",
		    where);
	if (kr_der_get_integer(&es, &s) != KR_OK ||
	    !kr_crl_serial_ok(s.p, s.len))
		return kr_err_set(err, KR_EINPUT, "%s: the serial number is "
		    "not a positive DER INTEGER of at most %d octets", where,
		    KR_SERIAL_MAX);
	memcpy(e->serial, s.p, s.len);
	e->serial_len = s.len;
	if (kr_der_get_time(&es, &e->revoked_at) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "%s: the revocationDate is "
		    "not a valid RFC 5280 Time", where);
	if (!kr_der_at_end(&es)) {
		if (!v2)
			return kr_err_set(err, KR_EINPUT, "%s: entry "
			    "extensions in a version 1 CRL", where);
		if ((ret = entry_exts(&es, e, where, err)) != KR_OK)
			return ret;
	}
	if (kr_der_done(&es) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "%s: unexpected data after "
		    "its fields", where);
	return KR_OK;
}

static int
cb_stopped(int rc, size_t n, struct kr_err *err)
{
	if (err->msg[0] == '\0')
		kr_err_set(err, rc < 0 ? rc : KR_EINTERNAL, "reading stopped "
		    "by the caller at revoked entry %zu", n);
	return rc;
}

/* Walks revokedCertificates; `cb` NULL only checks and counts. */
static int
entries_walk(const struct crl_parse *cp, kr_crl_entry_cb *cb, void *ctx,
    size_t *count, struct kr_err *err)
{
	struct kr_der		list;
	struct kr_crl_entry	e;
	size_t			n = 0;
	int			ret;

	kr_der_init(&list, cp->revoked.p, cp->revoked.len);
	while (!kr_der_at_end(&list)) {
		n++;
		if ((ret = entry_parse(&list, cp->v2, n, &e, err)) != KR_OK)
			return ret;
		if (cb != NULL && (ret = cb(&e, ctx)) != 0)
			return cb_stopped(ret, n, err);
	}
	*count = n;
	return KR_OK;
}

/* A non-negative CRL number INTEGER as the whole extension value. */
static int
crl_number_value(const struct kr_slice *val, uint8_t *out, size_t *outlen)
{
	struct kr_der	d;
	struct kr_slice	c;

	kr_der_init(&d, val->p, val->len);
	if (kr_der_get_integer(&d, &c) != KR_OK || kr_der_done(&d) != KR_OK ||
	    !kr_crl_uint_ok(c.p, c.len, KR_CRL_NUMBER_MAX))
		return KR_EINPUT;
	memcpy(out, c.p, c.len);
	*outlen = c.len;
	return KR_OK;
}

/*
 * AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] OPTIONAL,
 * authorityCertIssuer [1] OPTIONAL, authorityCertSerialNumber [2]
 * OPTIONAL }.  Only the key identifier is kept.
 */
static int
aki_value(const struct kr_slice *val, struct kr_crl_info *info)
{
	struct kr_der	d, seq;
	struct kr_slice	c;

	kr_der_init(&d, val->p, val->len);
	if (kr_der_enter(&d, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_done(&d) != KR_OK)
		return KR_EINPUT;
	if (kr_der_peek(&seq, KR_DER_CTX(0))) {
		if (kr_der_get(&seq, KR_DER_CTX(0), &c) != KR_OK ||
		    c.len == 0 || c.len > KR_KEYID_BYTES)
			return KR_EINPUT;
		memcpy(info->aki, c.p, c.len);
		info->aki_len = c.len;
		info->has_aki = true;
	}
	if (kr_der_peek(&seq, KR_DER_CTX_CONS(1)) &&
	    kr_der_get(&seq, KR_DER_CTX_CONS(1), &c) != KR_OK)
		return KR_EINPUT;
	if (kr_der_peek(&seq, KR_DER_CTX(2)) &&
	    kr_der_get(&seq, KR_DER_CTX(2), &c) != KR_OK)
		return KR_EINPUT;
	return kr_der_done(&seq);
}

/* [n] IMPLICIT BOOLEAN DEFAULT FALSE: present means TRUE in DER. */
static int
idp_flag(struct kr_der *seq, unsigned n, bool *v)
{
	struct kr_slice	c;

	*v = false;
	if (!kr_der_peek(seq, KR_DER_CTX(n)))
		return KR_OK;
	if (kr_der_get(seq, KR_DER_CTX(n), &c) != KR_OK || c.len != 1 ||
	    c.p[0] != 0xff)
		return KR_EINPUT;
	*v = true;
	return KR_OK;
}

/*
 * DistributionPointName: the first uniformResourceIdentifier [6] of a
 * fullName [0], which a delta CRL copies from its base.
 */
static int
idp_uri(const struct kr_slice *dpn, struct kr_crl_info *info)
{
	struct kr_der	d, full;
	struct kr_slice	v;
	uint8_t		tag;

	kr_der_init(&d, dpn->p, dpn->len);
	if (!kr_der_peek(&d, KR_DER_CTX_CONS(0)))
		return KR_OK;
	if (kr_der_enter(&d, KR_DER_CTX_CONS(0), &full) != KR_OK)
		return KR_EINPUT;
	while (!kr_der_at_end(&full)) {
		if (kr_der_get_any(&full, &tag, &v, NULL) != KR_OK)
			return KR_EINPUT;
		if (tag != KR_DER_CTX(6) || info->idp_uri[0] != '\0')
			continue;
		if (v.len == 0 || v.len >= sizeof(info->idp_uri) ||
		    memchr(v.p, '\0', v.len) != NULL)
			return KR_EINPUT;
		memcpy(info->idp_uri, v.p, v.len);
		info->idp_uri[v.len] = '\0';
	}
	return KR_OK;
}

/*
 * IssuingDistributionPoint (grammar at ext_idp above).  keyrite keeps
 * the two scope flags and refuses the scopes it cannot honour
 * (onlySomeReasons, indirectCRL, onlyContainsAttributeCerts).
 */
static int
idp_value(const struct kr_slice *val, struct kr_crl_info *info)
{
	struct kr_der	d, seq;
	struct kr_slice	c;
	bool		indirect, attr, dp = false;

	kr_der_init(&d, val->p, val->len);
	if (kr_der_enter(&d, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_done(&d) != KR_OK)
		return KR_EINPUT;
	if (kr_der_peek(&seq, KR_DER_CTX_CONS(0))) {
		if (kr_der_get(&seq, KR_DER_CTX_CONS(0), &c) != KR_OK ||
		    idp_uri(&c, info) != KR_OK)
			return KR_EINPUT;
		dp = true;
	}
	if (idp_flag(&seq, 1, &info->idp_only_user) != KR_OK ||
	    idp_flag(&seq, 2, &info->idp_only_ca) != KR_OK ||
	    kr_der_peek(&seq, KR_DER_CTX(3)) ||
	    idp_flag(&seq, 4, &indirect) != KR_OK || indirect ||
	    idp_flag(&seq, 5, &attr) != KR_OK || attr ||
	    kr_der_done(&seq) != KR_OK)
		return KR_EINPUT;
	if (info->idp_only_user && info->idp_only_ca)
		return KR_EINPUT;
	if (!dp && !info->idp_only_user && !info->idp_only_ca)
		return KR_EINPUT;
	info->has_idp = true;
	return KR_OK;
}

/* The value of a known CRL extension; KR_ENOENT for an unknown one. */
static int
crl_ext_value(const struct kr_oid *oid, const struct kr_slice *val,
    struct kr_crl_info *info)
{
	struct kr_der	d;
	struct kr_slice	c;

	if (KR_OID_IS(oid, KR_OID_EXT_AKI))
		return aki_value(val, info);
	if (KR_OID_IS(oid, KR_OID_CRL_NUMBER)) {
		info->has_number = true;
		return crl_number_value(val, info->number, &info->number_len);
	}
	if (KR_OID_IS(oid, KR_OID_DELTA_INDICATOR)) {
		info->is_delta = true;
		return crl_number_value(val, info->base_number,
		    &info->base_number_len);
	}
	if (KR_OID_IS(oid, KR_OID_IDP))
		return idp_value(val, info);
	if (KR_OID_IS(oid, KR_OID_FRESHEST)) {
		kr_der_init(&d, val->p, val->len);
		if (kr_der_get(&d, KR_DER_SEQUENCE, &c) != KR_OK ||
		    c.len == 0 || kr_der_done(&d) != KR_OK)
			return KR_EINPUT;
		return KR_OK;
	}
	return KR_ENOENT;
}

static const char *
crl_ext_name(const struct kr_oid *oid)
{
	if (KR_OID_IS(oid, KR_OID_EXT_AKI))
		return "authorityKeyIdentifier";
	if (KR_OID_IS(oid, KR_OID_CRL_NUMBER))
		return "cRLNumber";
	if (KR_OID_IS(oid, KR_OID_DELTA_INDICATOR))
		return "deltaCRLIndicator";
	if (KR_OID_IS(oid, KR_OID_IDP))
		return "issuingDistributionPoint";
	return "freshestCRL";
}

/* crlExtensions [0] EXPLICIT SEQUENCE SIZE (1..MAX) OF Extension */
static int
crl_exts(struct kr_der *tbs, struct kr_crl_info *info, struct kr_err *err)
{
	struct kr_der	outer, list;
	struct ext_seen	seen;
	struct kr_oid	oid;
	struct kr_slice	val;
	bool		crit;
	int		ret;

	seen.n = 0;
	if (kr_der_enter(tbs, KR_DER_CTX_CONS(0), &outer) != KR_OK ||
	    kr_der_enter(&outer, KR_DER_SEQUENCE, &list) != KR_OK ||
	    kr_der_done(&outer) != KR_OK || kr_der_at_end(&list))
		return kr_err_set(err, KR_EINPUT, "crlExtensions is malformed "
		    "or empty");
	while (!kr_der_at_end(&list)) {
		if (ext_next(&list, &oid, &crit, &val) != KR_OK)
			return kr_err_set(err, KR_EINPUT, "a CRL extension is "
			    "malformed");
		if ((ret = ext_seen_add(&seen, &oid, "crlExtensions",
		    err)) != KR_OK)
			return ret;
		ret = crl_ext_value(&oid, &val, info);
		if (ret == KR_ENOENT)
			ret = unknown_ext(&oid, crit, "crlExtensions", err);
		else if (ret != KR_OK)
			return kr_err_set(err, KR_EINPUT, "the %s extension "
			    "is malformed or says something keyrite does not "
			    "handle", crl_ext_name(&oid));
		if (ret != KR_OK)
			return ret;
	}
	return KR_OK;
}

/* version, signature, issuer */
static int
tbs_head(struct kr_der *tbs, struct crl_parse *cp, struct kr_slice *algid,
    struct kr_err *err)
{
	struct kr_crl_info	*info = cp->info;
	struct kr_slice		 c, name;
	int			 v;

	if (kr_der_peek(tbs, KR_DER_INTEGER)) {
		if (kr_der_get_small_int(tbs, &v) != KR_OK || v != 1)
			return kr_err_set(err, KR_EINPUT, "the version is not "
			    "v2 (a v1 CRL leaves the version out)");
		cp->v2 = true;
	}
	if (kr_der_get_whole(tbs, KR_DER_SEQUENCE, &c, algid) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "the signature "
		    "AlgorithmIdentifier is malformed");
	if (kr_sig_alg_from_id(algid->p, algid->len, &info->sig_alg) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "the signature algorithm is "
		    "not one keyrite accepts (ECDSA P-256/P-384, RSA PKCS#1 "
		    "v1.5 or PSS with SHA-2, Ed25519)");
	if (kr_der_get_whole(tbs, KR_DER_SEQUENCE, &c, &name) != KR_OK ||
	    name.len > KR_NAME_DER_MAX || !kr_dn_valid(name.p, name.len))
		return kr_err_set(err, KR_EINPUT, "the issuer is not a "
		    "well-formed DER Name of at most %d bytes",
		    KR_NAME_DER_MAX);
	memcpy(info->issuer, name.p, name.len);
	info->issuer_len = name.len;
	return KR_OK;
}

/* thisUpdate, nextUpdate, revokedCertificates, crlExtensions */
static int
tbs_body(struct kr_der *tbs, struct crl_parse *cp, struct kr_err *err)
{
	struct kr_crl_info	*info = cp->info;
	int			 ret;

	if (kr_der_get_time(tbs, &info->this_update) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "thisUpdate is not a valid "
		    "RFC 5280 Time");
	if ((kr_der_peek(tbs, KR_DER_UTC_TIME) ||
	    kr_der_peek(tbs, KR_DER_GENERALIZED_TIME)) &&
	    (kr_der_get_time(tbs, &info->next_update) != KR_OK ||
	    info->next_update < info->this_update))
		return kr_err_set(err, KR_EINPUT, "nextUpdate is not a valid "
		    "RFC 5280 Time, or it is before thisUpdate");
	if (kr_der_peek(tbs, KR_DER_SEQUENCE)) {
		if (kr_der_get(tbs, KR_DER_SEQUENCE, &cp->revoked) != KR_OK ||
		    cp->revoked.len == 0)
			return kr_err_set(err, KR_EINPUT, "revokedCertificates "
			    "is malformed or empty (an empty list must be "
			    "left out, RFC 5280 5.1.2.6)");
		cp->has_revoked = true;
		if ((ret = entries_walk(cp, NULL, NULL, &info->entries,
		    err)) != KR_OK)
			return ret;
	}
	if (kr_der_peek(tbs, KR_DER_CTX_CONS(0))) {
		if (!cp->v2)
			return kr_err_set(err, KR_EINPUT, "CRL extensions in a "
			    "version 1 CRL");
		if ((ret = crl_exts(tbs, info, err)) != KR_OK)
			return ret;
	}
	if (kr_der_done(tbs) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "unexpected data at the end "
		    "of the TBSCertList");
	return KR_OK;
}

/* CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, sig } */
static int
crl_decode(const uint8_t *der, size_t len, struct crl_parse *cp,
    struct kr_err *err)
{
	struct kr_der	in, cl, tbs;
	struct kr_slice	c, inner, outer;
	unsigned	unused;
	int		ret;

	kr_der_init(&in, der, len);
	if (kr_der_enter(&in, KR_DER_SEQUENCE, &cl) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "not one DER SEQUENCE "
		    "(truncated, not DER, or another kind of file)");
	if (kr_der_done(&in) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "%zu bytes of trailing data "
		    "after it", (size_t)(in.end - in.p));
	if (kr_der_get_whole(&cl, KR_DER_SEQUENCE, &c, &cp->info->tbs) !=
	    KR_OK)
		return kr_err_set(err, KR_EINPUT, "the TBSCertList is "
		    "malformed");
	kr_der_init(&tbs, c.p, c.len);
	if ((ret = tbs_head(&tbs, cp, &inner, err)) != KR_OK ||
	    (ret = tbs_body(&tbs, cp, err)) != KR_OK)
		return ret;
	if (kr_der_get_whole(&cl, KR_DER_SEQUENCE, &c, &outer) != KR_OK ||
	    outer.len != inner.len || memcmp(outer.p, inner.p, inner.len) != 0)
		return kr_err_set(err, KR_EINPUT, "the signatureAlgorithm "
		    "differs from the one inside the signed part (RFC 5280 "
		    "5.1.1.2)");
	if (kr_der_get_bitstring(&cl, &cp->info->sig, &unused) != KR_OK ||
	    unused != 0 || cp->info->sig.len == 0 ||
	    kr_der_done(&cl) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "the signatureValue is not "
		    "the last element, a BIT STRING of whole bytes");
	return KR_OK;
}

/* DER as is, or the first "X509 CRL" PEM block decoded into *der_out. */
static int
crl_input(const uint8_t *in, size_t len, uint8_t **der_out,
    const uint8_t **der, size_t *derlen, struct kr_err *err)
{
	int	rc;

	if (in == NULL || len == 0)
		return kr_err_set(err, KR_EINPUT, "the input is empty");
	if (len > KR_CRL_FILE_MAX)
		return kr_err_set(err, KR_EINPUT, "%zu bytes, more than the "
		    "%zu keyrite reads", len, KR_CRL_FILE_MAX);
	if ((len >= 2 && in[0] == KR_DER_SEQUENCE && (in[1] & 0x80) != 0) ||
	    memmem(in, len, "-----BEGIN ", 11) == NULL) {
		*der = in;
		*derlen = len;
		return KR_OK;
	}
	if (der_out == NULL)
		return kr_err_set(err, KR_EINPUT, "PEM input where only DER "
		    "was expected");
	rc = kr_pem_decode("X509 CRL", (const char *)in, len, der_out, derlen);
	if (rc == KR_ENOENT)
		return kr_err_set(err, KR_EINPUT, "it is PEM but holds no "
		    "block labelled X509 CRL");
	if (rc != KR_OK)
		return kr_err_set(err, KR_EINPUT, "the PEM block labelled "
		    "X509 CRL is malformed (bad base64 or no END line)");
	*der = *der_out;
	return KR_OK;
}

int
kr_crl_parse(const char *label, const uint8_t *data, size_t len,
    struct kr_crl_info *info, uint8_t **der_out, kr_crl_entry_cb *cb,
    void *ctx, struct kr_err *err)
{
	struct crl_parse	 cp;
	const uint8_t		*der = NULL;
	size_t			 derlen = 0, n;
	int			 ret = KR_EINTERNAL;

	memset(info, 0, sizeof(*info));
	memset(&cp, 0, sizeof(cp));
	cp.info = info;
	if (der_out != NULL)
		*der_out = NULL;
	if (label == NULL)
		label = "CRL";
	if ((ret = crl_input(data, len, der_out, &der, &derlen, err)) !=
	    KR_OK || (ret = crl_decode(der, derlen, &cp, err)) != KR_OK)
		goto fail;
	/* Entries go to the caller only once the whole CRL has parsed. */
	if (cb != NULL && cp.has_revoked &&
	    (ret = entries_walk(&cp, cb, ctx, &n, err)) != KR_OK)
		goto fail;
	return KR_OK;
fail:
	if (der_out != NULL) {
		free(*der_out);
		*der_out = NULL;
	}
	memset(info, 0, sizeof(*info));
	if (ret == KR_EINPUT)
		kr_err_prefix(err, "%s: not a CRL keyrite accepts: ", label);
	else
		kr_err_prefix(err, "%s: ", label);
	return ret;
}

int
kr_crl_verify_signature(const struct kr_crl_info *info, const uint8_t *spki,
    size_t spkilen, struct kr_err *err)
{
	int	ret;

	if (info == NULL || info->tbs.p == NULL || spki == NULL)
		return kr_err_set(err, KR_EINTERNAL, "CRL signature check: no "
		    "parsed CRL or no issuer key");
	/* As for certificates: a P-384 CA's CRL from `openssl ca` uses SHA-256. */
	ret = kr_sig_verify(info->sig_alg, spki, spkilen, info->tbs.p,
	    info->tbs.len, info->sig.p, info->sig.len, KR_VERIFY_ANY_CURVE,
	    err);
	if (ret == KR_EVERIFY)
		kr_err_prefix(err, "the CRL's signature does not verify with "
		    "the issuer key given (the CRL was altered, or another key "
		    "signed it): ");
	else if (ret != KR_OK)
		kr_err_prefix(err, "checking the CRL's signature: ");
	return ret;
}

/*
 * The outer structure only: CertificateList ::= SEQUENCE { tbsCertList
 * (taken whole, not walked), signatureAlgorithm, signatureValue }, with
 * the inner algorithm not compared.  For checking, right after signing, that
 * the bytes to be released carry the signed TBS and signature, without
 * walking a million entries the builder has just written.
 */
int
kr_crl_parse_outer(const uint8_t *data, size_t len, struct kr_slice *tbs,
    enum kr_sig_alg *alg, struct kr_slice *sig, struct kr_err *err)
{
	struct kr_der	top, cl;
	struct kr_slice	tbs_c, alg_whole, alg_c;
	unsigned	unused;

	kr_der_init(&top, data, len);
	if (kr_der_enter(&top, KR_DER_SEQUENCE, &cl) != KR_OK ||
	    kr_der_done(&top) != KR_OK ||
	    kr_der_get_whole(&cl, KR_DER_SEQUENCE, &tbs_c, tbs) != KR_OK ||
	    kr_der_get_whole(&cl, KR_DER_SEQUENCE, &alg_c, &alg_whole) !=
	    KR_OK ||
	    kr_sig_alg_from_id(alg_whole.p, alg_whole.len, alg) != KR_OK ||
	    kr_der_get_bitstring(&cl, sig, &unused) != KR_OK || unused != 0 ||
	    kr_der_done(&cl) != KR_OK)
		return kr_err_set(err, KR_EINTERNAL, "the new CRL is not a "
		    "well-formed CertificateList: nothing was recorded");
	return KR_OK;
}
