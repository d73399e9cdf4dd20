/*
 * Certificate parser (RFC 5280), and the pieces the CSR parser (csr.c)
 * shares with it: input (size limit, PEM or DER), Names, the public key.
 *
 * It reads outside input, so it is strict: a size limit, PEM or DER, DER
 * rules throughout (shortest lengths, minimal INTEGERs, defaults left
 * out, SET OF in order), no trailing bytes at any level, version 3
 * certificates only, and only the signature algorithms keyrite can check
 * (sigalg.c).  The extensions are decoded by ext.c.
 *
 * Inner functions set a bare reason ("the serial number is negative");
 * kr_cert_parse() puts the input's label in front.
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

/* X.690 11.6: the elements of a SET OF in ascending order of encoding. */
bool
kr_set_in_order(const struct kr_slice *prev, const struct kr_slice *cur)
{
	size_t	n = prev->len < cur->len ? prev->len : cur->len;
	int	c = memcmp(prev->p, cur->p, n);

	return c < 0 || (c == 0 && prev->len <= cur->len);
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
int
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
int
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

int
kr_tbs_fields(const uint8_t *p, size_t len, struct kr_cert_fields *f,
    struct kr_err *err)
{
	struct kr_cert	*c;
	struct kr_slice	 algid;
	size_t		 i;
	int		 ret;

	if (len == 0 || len > KR_CERT_MAX)
		return kr_bad(err, "a TBSCertificate of %zu bytes", len);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_tbs_parse(p, len, c, &algid, err)) == KR_OK &&
	    kr_ext_duplicate(c, &i))
		ret = kr_bad(err, "an extension appears more than once "
		    "(RFC 5280 4.2)");
	if (ret == KR_OK)
		*f = c->f;
	free(c);
	return ret;
}

/* ---------------------------------------------------------------------
 * Input: size limit, then PEM (any of `labels`) or DER
 */

int
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
size_t
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
