/*
 * Pre-signed OCSP responses (RFC 6960): one BasicOCSPResponse per
 * certificate, signed by its issuer's key ahead of time, with no nonce,
 * so a relying party or a plain web server can hand it out without an
 * online responder.  Written backwards on the x509 DER writer helpers.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha1.h>

#include "x509_int.h"

#include <keyrite/crl.h>

#define OCSP_FMT	"cannot build the OCSP response: "
#define OCSP_TBS_MAX	1024

/* 1.3.14.3.2.26 */
#define OID_SHA1		"\x2b\x0e\x03\x02\x1a"
/* 1.3.6.1.5.5.7.48.1.1 */
#define OID_OCSP_BASIC		"\x2b\x06\x01\x05\x05\x07\x30\x01\x01"

#define LIT(s)	(const uint8_t *)(s), sizeof(s) - 1

/*
 * CertID hashes for a certificate `issuer` issued: SHA-1 of its subject
 * Name DER and of its subjectPublicKey BIT STRING contents (the key
 * identifier of RFC 5280 4.2.1.2 method 1, read with the strict reader).
 */
int
kr_ocsp_certid(const struct kr_cert *issuer, struct kr_ocsp_fields *f,
    struct kr_err *err)
{
	if (issuer == NULL || f == NULL)
		return kr_err_set(err, KR_EINTERNAL, OCSP_FMT "no issuer "
		    "certificate");
	if (mbedtls_sha1_ret(issuer->f.subject, issuer->f.subject_len,
	    f->issuer_name_hash) != 0)
		return kr_err_set(err, KR_ECRYPTO, OCSP_FMT "SHA-1 failed");
	if (kr_key_identifier(issuer->f.spki, issuer->f.spki_len,
	    f->issuer_key_hash) != KR_OK)
		return kr_err_set(err, KR_EINPUT, OCSP_FMT "the issuer's "
		    "public key is not a well-formed SubjectPublicKeyInfo");
	return KR_OK;
}

static int
fields_check(const struct kr_ocsp_fields *f, struct kr_err *err)
{
	const uint8_t	*s = f->serial;
	size_t		 n = f->serial_len;
	int		 r = (int)f->reason;

	if (n == 0 || n > KR_SERIAL_MAX || (s[0] & 0x80) != 0 ||
	    (n > 1 && s[0] == 0 && (s[1] & 0x80) == 0) ||
	    (n == 1 && s[0] == 0))
		return kr_err_set(err, KR_EINPUT, OCSP_FMT "the serial number "
		    "is not a positive, minimally encoded integer of 1 to %d "
		    "octets", KR_SERIAL_MAX);
	if (f->status != KR_OCSP_GOOD && f->status != KR_OCSP_REVOKED)
		return kr_err_set(err, KR_EINPUT, OCSP_FMT "unknown "
		    "certificate status %d", (int)f->status);
	if (!kr_der_time_ok(f->produced_at) ||
	    !kr_der_time_ok(f->this_update) ||
	    !kr_der_time_ok(f->next_update) ||
	    (f->status == KR_OCSP_REVOKED && !kr_der_time_ok(f->revoked_at)))
		return kr_err_set(err, KR_EINPUT, OCSP_FMT "a time outside "
		    "the years 0000 to 9999");
	if (f->next_update <= f->this_update)
		return kr_err_set(err, KR_EINPUT, OCSP_FMT "nextUpdate is not "
		    "later than thisUpdate");
	if (f->status == KR_OCSP_REVOKED && r != KR_REASON_NONE &&
	    (r < 0 || r > 10 || r == 7 || r == KR_REASON_REMOVE_FROM_CRL))
		return kr_err_set(err, KR_EINPUT, OCSP_FMT "reason code %d "
		    "cannot be given for a revoked certificate", r);
	return KR_OK;
}

/*
 * CertID ::= SEQUENCE {
 *      hashAlgorithm    AlgorithmIdentifier,	-- sha1, NULL parameters
 *      issuerNameHash   OCTET STRING,
 *      issuerKeyHash    OCTET STRING,
 *      serialNumber     CertificateSerialNumber }
 */
static int
write_certid(uint8_t **p, uint8_t *start, const struct kr_ocsp_fields *f)
{
	int	ret;
	size_t	len = 0, alg = 0;

	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, KR_DER_INTEGER,
	    f->serial, f->serial_len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, KR_DER_OCTET_STRING,
	    f->issuer_key_hash, sizeof(f->issuer_key_hash)));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, KR_DER_OCTET_STRING,
	    f->issuer_name_hash, sizeof(f->issuer_name_hash)));
	MBEDTLS_ASN1_CHK_ADD(alg, kr_derw_tlv(p, start, KR_DER_NULL, NULL, 0));
	MBEDTLS_ASN1_CHK_ADD(alg, kr_derw_oid(p, start, LIT(OID_SHA1)));
	MBEDTLS_ASN1_CHK_ADD(alg, kr_derw_tl(p, start, alg, KR_DER_SEQUENCE));
	len += alg;
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

/*
 * CertStatus ::= CHOICE {
 *      good        [0] IMPLICIT NULL,
 *      revoked     [1] IMPLICIT RevokedInfo,
 *      unknown     [2] IMPLICIT UnknownInfo }
 * RevokedInfo ::= SEQUENCE {
 *      revocationTime     GeneralizedTime,
 *      revocationReason   [0] EXPLICIT CRLReason OPTIONAL }
 */
static int
write_status(uint8_t **p, uint8_t *start, const struct kr_ocsp_fields *f)
{
	int	ret;
	size_t	len = 0, sub = 0;
	uint8_t	r;

	if (f->status == KR_OCSP_GOOD)
		return kr_derw_tlv(p, start, KR_DER_CTX(0), NULL, 0);
	if (f->reason != KR_REASON_NONE) {
		r = (uint8_t)f->reason;
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tlv(p, start, KR_DER_ENUMERATED,
		    &r, 1));
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub,
		    KR_DER_CTX_CONS(0)));
		len += sub;
	}
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_gentime(p, start, f->revoked_at));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len,
	    KR_DER_CTX_CONS(1)));
	return (int)len;
}

/*
 * SingleResponse ::= SEQUENCE {
 *      certID             CertID,
 *      certStatus         CertStatus,
 *      thisUpdate         GeneralizedTime,
 *      nextUpdate         [0] EXPLICIT GeneralizedTime OPTIONAL,
 *      singleExtensions   [1] EXPLICIT Extensions OPTIONAL }
 */
static int
write_single(uint8_t **p, uint8_t *start, const struct kr_ocsp_fields *f)
{
	int	ret;
	size_t	len = 0, sub = 0;

	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_gentime(p, start, f->next_update));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub,
	    KR_DER_CTX_CONS(0)));
	len += sub;
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_gentime(p, start, f->this_update));
	MBEDTLS_ASN1_CHK_ADD(len, write_status(p, start, f));
	MBEDTLS_ASN1_CHK_ADD(len, write_certid(p, start, f));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

/*
 * ResponseData ::= SEQUENCE {
 *      version             [0] EXPLICIT Version DEFAULT v1,	-- left out
 *      responderID         ResponderID,
 *      producedAt          GeneralizedTime,
 *      responses           SEQUENCE OF SingleResponse,
 *      responseExtensions  [1] EXPLICIT Extensions OPTIONAL }	-- none
 * ResponderID ::= CHOICE {
 *      byName  [1] Name,
 *      byKey   [2] KeyHash }	-- KeyHash ::= OCTET STRING (SHA-1)
 * No nonce: the response is made before anyone asks.
 */
static int
write_response_data(uint8_t **p, uint8_t *start,
    const struct kr_ocsp_fields *f)
{
	int	ret;
	size_t	len = 0, sub = 0;

	MBEDTLS_ASN1_CHK_ADD(sub, write_single(p, start, f));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub, KR_DER_SEQUENCE));
	len += sub;
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_gentime(p, start, f->produced_at));
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tlv(p, start, KR_DER_OCTET_STRING,
	    f->responder_key_hash, sizeof(f->responder_key_hash)));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub,
	    KR_DER_CTX_CONS(2)));
	len += sub;
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

int
kr_ocsp_tbs_build(const struct kr_ocsp_fields *f, uint8_t **out,
    size_t *outlen, struct kr_err *err)
{
	uint8_t	buf[OCSP_TBS_MAX], *p = buf + sizeof(buf);
	int	n, ret = KR_EINTERNAL;

	*out = NULL;
	*outlen = 0;
	if (f == NULL)
		return kr_err_set(err, KR_EINTERNAL, OCSP_FMT "no fields");
	if ((ret = fields_check(f, err)) != KR_OK)
		return ret;
	if ((n = write_response_data(&p, buf, f)) < 0)
		return kr_err_set(err, KR_EINTERNAL, OCSP_FMT "the DER writer "
		    "refused a field (-0x%04x)", (unsigned)-n);
	if ((ret = kr_derw_finish(p, (size_t)n, out, outlen)) != KR_OK)
		return kr_err_set(err, ret, "out of memory");
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

/*
 * BasicOCSPResponse ::= SEQUENCE {
 *      tbsResponseData     ResponseData,
 *      signatureAlgorithm  AlgorithmIdentifier,
 *      signature           BIT STRING,
 *      certs               [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 */
static int
write_basic(uint8_t **p, uint8_t *start, const struct kr_slice *tbs,
    const struct kr_slice *algid, const struct kr_slice *sig,
    const struct kr_slice *cert)
{
	int	ret;
	size_t	len = 0, sub = 0;

	if (cert->p != NULL) {
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_raw(p, start, cert->p,
		    cert->len));
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub,
		    KR_DER_SEQUENCE));
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub,
		    KR_DER_CTX_CONS(0)));
		len += sub;
	}
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_bitstring(p, start, sig->p,
	    sig->len, 0));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_raw(p, start, algid->p, algid->len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_raw(p, start, tbs->p, tbs->len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

/*
 * OCSPResponse ::= SEQUENCE {
 *      responseStatus  OCSPResponseStatus,	-- ENUMERATED successful (0)
 *      responseBytes   [0] EXPLICIT ResponseBytes OPTIONAL }
 * ResponseBytes ::= SEQUENCE {
 *      responseType    OBJECT IDENTIFIER,	-- id-pkix-ocsp-basic
 *      response        OCTET STRING }		-- BasicOCSPResponse DER
 */
static int
write_response(uint8_t **p, uint8_t *start, const struct kr_slice *tbs,
    const struct kr_slice *algid, const struct kr_slice *sig,
    const struct kr_slice *cert)
{
	static const uint8_t	successful = 0;
	int			ret;
	size_t			len = 0;

	MBEDTLS_ASN1_CHK_ADD(len, write_basic(p, start, tbs, algid, sig,
	    cert));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len,
	    KR_DER_OCTET_STRING));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_oid(p, start, LIT(OID_OCSP_BASIC)));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len,
	    KR_DER_CTX_CONS(0)));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, KR_DER_ENUMERATED,
	    &successful, 1));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

static int
assemble_check(const struct kr_slice *tbs, const struct kr_slice *sig,
    const struct kr_slice *cert, struct kr_err *err)
{
	if (tbs->p == NULL || tbs->len > OCSP_TBS_MAX ||
	    !single_element(tbs->p, tbs->len, KR_DER_SEQUENCE))
		return kr_err_set(err, KR_EINPUT, OCSP_FMT "the ResponseData "
		    "is not one DER SEQUENCE of at most %d bytes",
		    OCSP_TBS_MAX);
	if (sig->p == NULL || sig->len == 0 || sig->len > KR_SIG_MAX_BYTES)
		return kr_err_set(err, KR_EINPUT, OCSP_FMT "a signature of "
		    "%zu bytes", sig->len);
	if (cert->p != NULL && (cert->len > KR_CERT_MAX ||
	    !single_element(cert->p, cert->len, KR_DER_SEQUENCE)))
		return kr_err_set(err, KR_EINPUT, OCSP_FMT "the responder "
		    "certificate is not one DER SEQUENCE of at most %d bytes",
		    KR_CERT_MAX);
	return KR_OK;
}

int
kr_ocsp_assemble(const uint8_t *tbs, size_t tbslen, enum kr_sig_alg alg,
    const uint8_t *sig, size_t siglen, const uint8_t *cert, size_t certlen,
    uint8_t **out, size_t *outlen, struct kr_err *err)
{
	struct kr_slice	 t = { tbs, tbslen }, s = { sig, siglen };
	struct kr_slice	 c = { cert, cert != NULL ? certlen : 0 }, a;
	uint8_t		 id[128], *buf = NULL, *p;
	size_t		 idlen, cap;
	int		 n, ret = KR_EINTERNAL;

	*out = NULL;
	*outlen = 0;
	if (kr_sig_alg_id(alg, id, sizeof(id), &idlen) != KR_OK)
		return kr_err_set(err, KR_EINPUT, OCSP_FMT "unknown signature "
		    "algorithm %d", (int)alg);
	if ((ret = assemble_check(&t, &s, &c, err)) != KR_OK)
		return ret;
	a.p = id;
	a.len = idlen;
	cap = tbslen + idlen + siglen + c.len + 64;
	if ((buf = malloc(cap)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	p = buf + cap;
	if ((n = write_response(&p, buf, &t, &a, &s, &c)) < 0) {
		ret = kr_err_set(err, KR_EINTERNAL, OCSP_FMT "the output "
		    "buffer was too small (-0x%04x)", (unsigned)-n);
		goto out;
	}
	if ((ret = kr_derw_finish(p, (size_t)n, out, outlen)) != KR_OK)
		ret = kr_err_set(err, ret, "out of memory");
out:
	free(buf);
	return ret;
}
