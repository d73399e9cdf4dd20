/*
 * PKCS#10 certification request parser (RFC 2986).
 *
 * Strict as the certificate parser is (parse.c, whose input, Name and
 * public key readers it shares): version 1 only, attributes in DER order,
 * only extensionRequest read (decoded by ext.c), and the signature checked
 * with the key the request carries (proof of possession).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/x509.h>

#include "x509_int.h"
#include "parse_int.h"

/* 1.2.840.113549.1.9.14 (PKCS#9 extensionRequest) */
#define KR_PARSE_OID_EXT_REQUEST	"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x0e"

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

static int
kr_csr_parse_as(const char *label, const uint8_t *in, size_t len, bool check,
    struct kr_csr **out, struct kr_err *err);

int
kr_csr_parse(const char *label, const uint8_t *in, size_t len,
    struct kr_csr **out, struct kr_err *err)
{
	return kr_csr_parse_as(label, in, len, true, out, err);
}

int
kr_csr_parse_again(const char *label, const uint8_t *in, size_t len,
    struct kr_csr **out, struct kr_err *err)
{
	return kr_csr_parse_as(label, in, len, false, out, err);
}

static int
kr_csr_parse_as(const char *label, const uint8_t *in, size_t len, bool check,
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
	    (check && (ret = kr_csr_check_signature(r, err)) != KR_OK))
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
