/*
 * Detached CMS SignedData (RFC 5652), DER, over any file; the same
 * encoder signs RAUC bundles (rauc.c).
 *
 * ContentInfo ::= SEQUENCE {
 *      contentType     id-signedData,
 *      content         [0] EXPLICIT SignedData }
 * SignedData ::= SEQUENCE {
 *      version         1,
 *      digestAlgorithms SET OF AlgorithmIdentifier,	-- the one hash
 *      encapContentInfo SEQUENCE { eContentType id-data },	-- detached
 *      certificates    [0] IMPLICIT SET OF Certificate,	-- DER order
 *      signerInfos     SET OF SignerInfo }
 * SignerInfo ::= SEQUENCE {
 *      version         1,
 *      sid             IssuerAndSerialNumber,
 *      digestAlgorithm AlgorithmIdentifier,
 *      signedAttrs     [0] IMPLICIT SET OF Attribute,	-- DER order
 *      signatureAlgorithm AlgorithmIdentifier,
 *      signature       OCTET STRING }
 * The signed attributes are contentType (id-data), signingTime (UTCTime
 * through 2049) and messageDigest; the signature is over their DER as a
 * SET OF (tag 0x31).  Digest AlgorithmIdentifiers carry no parameters
 * (RFC 5754).  Debian 12's OpenSSL cannot verify Ed25519 in CMS, so
 * Ed25519 keys are refused.
 */
#include <stdlib.h>
#include <string.h>

#include <keyrite/der.h>

#include "firmware_int.h"

#define OID_SIGNED_DATA	"\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"
#define OID_DATA	"\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"
#define OID_CONTENT_TYPE "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03"
#define OID_MSG_DIGEST	"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04"
#define OID_SIGNING_TIME "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05"
#define OIDLEN(o)	(sizeof(o) - 1)

#define ATTR_MAX	128		/* one attribute's DER */
#define NATTRS		3

/* The signer certificate and the chain that goes into the CMS. */
struct kr_fw_certs {
	struct kr_cert	*signer;
	struct kr_cert	*chain[KR_FW_CHAIN_MAX];
	size_t		 nchain;
};

/* ---- certificates ------------------------------------------------------ */

static void
certs_free(struct kr_fw_certs *cs)
{
	size_t	i;

	kr_cert_free(&cs->signer);
	for (i = 0; i < cs->nchain; i++)
		kr_cert_free(&cs->chain[i]);
	cs->nchain = 0;
}

static bool
same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static bool
self_signed(const struct kr_cert *c)
{
	struct kr_err	err;

	return same(c->f.subject, c->f.subject_len, c->f.issuer,
	    c->f.issuer_len) &&
	    kr_cert_verify_signature(c, c->f.spki, c->f.spki_len, &err) ==
	    KR_OK;
}

/* The next certificate of a chain file: a PEM block or a DER element. */
static int
next_cert(const uint8_t **pp, const uint8_t *end, bool pem, uint8_t **der,
    size_t *len)
{
	const uint8_t	*p = *pp, *q;
	struct kr_der	 d;
	struct kr_slice	 c, whole;
	uint8_t		 tag;

	if (pem) {
		q = memmem(p, (size_t)(end - p), "-----BEGIN CERTIFICATE-----",
		    27);
		if (q == NULL)
			return KR_ENOENT;
		if (kr_pem_decode("CERTIFICATE", (const char *)q,
		    (size_t)(end - q), der, len) != KR_OK)
			return KR_EINPUT;
		*pp = q + 27;
		return KR_OK;
	}
	if (p == end)
		return KR_ENOENT;
	kr_der_init(&d, p, (size_t)(end - p));
	if (kr_der_get_any(&d, &tag, &c, &whole) != KR_OK ||
	    tag != KR_DER_SEQUENCE)
		return KR_EINPUT;
	if ((*der = malloc(whole.len)) == NULL)
		return KR_ENOMEM;
	memcpy(*der, whole.p, whole.len);
	*len = whole.len;
	*pp = whole.p + whole.len;
	return KR_OK;
}

static int
parse_chain(const uint8_t *buf, size_t len, struct kr_cert **list,
    size_t *n, struct kr_err *err)
{
	const uint8_t	*p = buf, *end = buf + len;
	bool		 pem = memmem(buf, len, "-----BEGIN", 10) != NULL;
	uint8_t		*der;
	size_t		 dlen;
	int		 ret;
	char		 label[48];

	*n = 0;
	if (len > KR_FW_CHAIN_FILE_MAX)
		return kr_err_set(err, KR_EINPUT, "the chain file is larger "
		    "than %d bytes", KR_FW_CHAIN_FILE_MAX);
	while ((ret = next_cert(&p, end, pem, &der, &dlen)) == KR_OK) {
		if (*n == KR_FW_CHAIN_MAX) {
			free(der);
			return kr_err_set(err, KR_EINPUT, "the chain file has "
			    "more than %d certificates", KR_FW_CHAIN_MAX);
		}
		(void)snprintf(label, sizeof(label), "chain certificate %zu",
		    *n + 1);
		ret = kr_cert_parse(label, der, dlen, &list[*n], err);
		free(der);
		if (ret != KR_OK)
			return ret;
		(*n)++;
	}
	if (ret == KR_ENOMEM)
		return kr_err_set(err, ret, "out of memory");
	if (ret != KR_ENOENT)
		return kr_err_set(err, KR_EINPUT, "chain certificate %zu is "
		    "neither a PEM CERTIFICATE block nor a DER certificate",
		    *n + 1);
	return KR_OK;
}

/* Whether `up` issued `c` (names match and its key verifies c). */
static bool
issued(const struct kr_cert *up, const struct kr_cert *c)
{
	struct kr_err	err;

	return same(up->f.subject, up->f.subject_len, c->f.issuer,
	    c->f.issuer_len) &&
	    kr_cert_verify_signature(c, up->f.spki, up->f.spki_len, &err) ==
	    KR_OK;
}

/* Orders the chain from the signer up; roots are left out. */
static int
order_chain(struct kr_fw_certs *cs, struct kr_cert **list, size_t n,
    struct kr_err *err)
{
	const struct kr_cert	*cur = cs->signer;
	char			 dn[256];
	size_t			 i;
	bool			 more = !self_signed(cur);

	while (more) {
		for (i = 0; i < n; i++)
			if (list[i] != NULL && issued(list[i], cur))
				break;
		if (i == n)
			break;
		more = !self_signed(list[i]);
		if (more) {
			cur = cs->chain[cs->nchain++] = list[i];
			list[i] = NULL;
		}
	}
	for (i = 0; i < n; i++)
		if (list[i] != NULL && !self_signed(list[i])) {
			kr_dn_format(list[i]->f.subject,
			    list[i]->f.subject_len, dn, sizeof(dn));
			return kr_err_set(err, KR_EINPUT, "chain certificate "
			    "%zu (%s) is not on the path from the signer "
			    "certificate to its root: give only the "
			    "certificates of that path", i + 1, dn);
		}
	return KR_OK;
}

static int
load_chain(struct kr_fw_ctx *c, struct kr_fw_certs *cs)
{
	struct kr_cert	*list[KR_FW_CHAIN_MAX];
	size_t		 n = 0, i;
	int		 ret;

	memset(list, 0, sizeof(list));
	if (c->opts->chain == NULL || c->opts->chain_len == 0)
		return KR_OK;
	if ((ret = parse_chain(c->opts->chain, c->opts->chain_len, list, &n,
	    c->err)) == KR_OK)
		ret = order_chain(cs, list, n, c->err);
	for (i = 0; i < KR_FW_CHAIN_MAX; i++)
		kr_cert_free(&list[i]);
	return ret;
}

static int
cms_sig_alg(struct kr_fw_ctx *c, enum kr_sig_alg *sa)
{
	const struct kr_signer	*s = c->signer;

	if (s->alg == KR_KEY_ED25519)
		return kr_err_set(c->err, KR_EREFUSED, "key '%s' is an Ed25519 "
		    "key, and the %s format is a CMS signature: Debian 12's "
		    "OpenSSL (and so RAUC and SWUpdate built on it) cannot "
		    "verify Ed25519 in CMS; use a P-256, P-384 or RSA firmware "
		    "key, or --format raw, minisign or mcuboot",
		    kr_fw_key_label(s), kr_fw_format_name(c->opts->format));
	*sa = c->opts->sig_alg != 0 ? c->opts->sig_alg :
	    kr_sig_alg_default(s->alg);
	if (!kr_sig_alg_fits(*sa, s->alg) || kr_sig_alg_hash(*sa) == 0)
		return kr_err_set(c->err, KR_EREFUSED, "key '%s' is a %s key "
		    "and cannot make %s signatures", kr_fw_key_label(s),
		    kr_key_alg_name(s->alg), kr_sig_alg_name(*sa));
	return KR_OK;
}

static int
check_signer_cert(struct kr_fw_ctx *c, const struct kr_cert *cert)
{
	char	dn[256];

	if (same(cert->f.spki, cert->f.spki_len, c->signer->spki,
	    c->signer->spki_len))
		return KR_OK;
	kr_dn_format(cert->f.subject, cert->f.subject_len, dn, sizeof(dn));
	return kr_err_set(c->err, KR_EREFUSED, "the signer certificate (%s) "
	    "is for another key: its public key is not the public key of "
	    "key '%s'; give the certificate issued for this key",
	    dn, kr_fw_key_label(c->signer));
}

static int
cms_prepare(struct kr_fw_ctx *c, enum kr_sig_alg *sa,
    struct kr_fw_certs *cs)
{
	int	ret;

	memset(cs, 0, sizeof(*cs));
	if ((ret = cms_sig_alg(c, sa)) != KR_OK)
		return ret;
	if (c->opts->cert == NULL || c->opts->cert_len == 0)
		return kr_err_set(c->err, KR_EUSAGE, "the %s format needs the "
		    "signer certificate (--cert): the certificate issued for "
		    "key '%s' under the firmware-signing profile",
		    kr_fw_format_name(c->opts->format),
		    kr_fw_key_label(c->signer));
	if ((ret = kr_cert_parse("signer certificate", c->opts->cert,
	    c->opts->cert_len, &cs->signer, c->err)) != KR_OK)
		return ret;
	if ((ret = check_signer_cert(c, cs->signer)) != KR_OK)
		return ret;
	return load_chain(c, cs);
}

/* ---- encoding ---------------------------------------------------------- */

static const char *
hash_oid(enum kr_hash_alg h, size_t *len)
{
	*len = OIDLEN(KR_OID_SHA256);
	switch (h) {
	case KR_HASH_SHA384:
		return KR_OID_SHA384;
	case KR_HASH_SHA512:
		return KR_OID_SHA512;
	default:
		return KR_OID_SHA256;
	}
}

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OID }, no parameters. */
static int
write_digest_alg(uint8_t **p, uint8_t *start, enum kr_hash_alg h)
{
	const char	*oid;
	size_t		 olen, n = 0;
	int		 ret;

	oid = hash_oid(h, &olen);
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_oid(p, start, (const uint8_t *)oid,
	    olen));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tl(p, start, n, KR_DER_SEQUENCE));
	return (int)n;
}

/* Attribute ::= SEQUENCE { attrType OID, attrValues SET OF value } */
static int
write_attr(uint8_t **p, uint8_t *start, const char *oid, size_t olen,
    const uint8_t *val, size_t vlen)
{
	size_t	n = 0;
	int	ret;

	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_raw(p, start, val, vlen));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tl(p, start, n, KR_DER_SET));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_oid(p, start, (const uint8_t *)oid,
	    olen));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tl(p, start, n, KR_DER_SEQUENCE));
	return (int)n;
}

struct attr {
	uint8_t	buf[ATTR_MAX];
	uint8_t	*p;
	size_t	 len;
};

/* DER order of a SET OF: bytewise, a shorter prefix first. */
static int
der_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int	c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int
attr_cmp(const void *x, const void *y)
{
	const struct attr	*a = x, *b = y;

	return der_cmp(a->p, a->len, b->p, b->len);
}

static int
make_attr(struct attr *a, const char *oid, size_t olen, const uint8_t *val,
    size_t vlen)
{
	int	n;

	a->p = a->buf + sizeof(a->buf);
	if ((n = write_attr(&a->p, a->buf, oid, olen, val, vlen)) < 0)
		return KR_EINTERNAL;
	a->len = (size_t)n;
	return KR_OK;
}

/* The signed attributes as a DER SET OF (tag 0x31), malloc'd. */
static int
signed_attrs(struct kr_fw_ctx *c, const uint8_t *md, size_t mdlen,
    uint8_t **out, size_t *outlen)
{
	struct attr	a[NATTRS];
	uint8_t		val[80], *p, *b;
	size_t		i, n = 0;
	int		w;

	p = val + sizeof(val);
	if ((w = kr_derw_oid(&p, val, (const uint8_t *)OID_DATA,
	    OIDLEN(OID_DATA))) < 0 || make_attr(&a[0], OID_CONTENT_TYPE,
	    OIDLEN(OID_CONTENT_TYPE), p, (size_t)w) != KR_OK)
		return kr_err_set(c->err, KR_EINTERNAL, "CMS contentType");
	p = val + sizeof(val);
	if ((w = kr_derw_time(&p, val, c->now)) < 0 || make_attr(&a[1],
	    OID_SIGNING_TIME, OIDLEN(OID_SIGNING_TIME), p, (size_t)w) != KR_OK)
		return kr_err_set(c->err, KR_EINPUT, "the signing time is "
		    "outside the years 0..9999");
	p = val + sizeof(val);
	if ((w = kr_derw_tlv(&p, val, KR_DER_OCTET_STRING, md, mdlen)) < 0 ||
	    make_attr(&a[2], OID_MSG_DIGEST, OIDLEN(OID_MSG_DIGEST), p,
	    (size_t)w) != KR_OK)
		return kr_err_set(c->err, KR_EINTERNAL, "CMS messageDigest");
	qsort(a, NATTRS, sizeof(a[0]), attr_cmp);
	if ((b = malloc(NATTRS * ATTR_MAX + 8)) == NULL)
		return kr_err_set(c->err, KR_ENOMEM, "out of memory");
	p = b + NATTRS * ATTR_MAX + 8;
	for (i = NATTRS; i > 0; i--)
		n += (size_t)kr_derw_raw(&p, b, a[i - 1].p, a[i - 1].len);
	n += (size_t)kr_derw_tl(&p, b, n, KR_DER_SET);
	memmove(b, p, n);
	*out = b;
	*outlen = n;
	return KR_OK;
}

/* The CMS pieces that the backward writer puts together. */
struct cms_parts {
	enum kr_sig_alg			 sa;
	enum kr_hash_alg		 h;
	const struct kr_fw_certs	*cs;
	const uint8_t			*attrs;		/* SET OF, tag 0x31 */
	size_t				 attrs_len;
	const uint8_t			*sig;
	size_t				 sig_len;
};

static int
write_signer_info(uint8_t **p, uint8_t *start, const struct cms_parts *m)
{
	const struct kr_cert	*sc = m->cs->signer;
	uint8_t			 alg[128];
	size_t			 alen, n = 0, sub = 0;
	int			 ret;

	if (kr_sig_alg_id(m->sa, alg, sizeof(alg), &alen) != KR_OK)
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tlv(p, start, KR_DER_OCTET_STRING,
	    m->sig, m->sig_len));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_raw(p, start, alg, alen));
	/* [0] IMPLICIT SET OF: the same contents under tag 0xa0 */
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_raw(p, start, m->attrs,
	    m->attrs_len));
	**p = KR_DER_CTX_CONS(0);
	MBEDTLS_ASN1_CHK_ADD(n, write_digest_alg(p, start, m->h));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tlv(p, start, KR_DER_INTEGER,
	    sc->f.serial, sc->f.serial_len));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_raw(p, start, sc->f.issuer,
	    sc->f.issuer_len));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub, KR_DER_SEQUENCE));
	n += sub;
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_small_int(p, start, 1));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tl(p, start, n, KR_DER_SEQUENCE));
	return (int)n;
}

static int
cert_cmp(const void *x, const void *y)
{
	const struct kr_cert	*a = *(const struct kr_cert *const *)x;
	const struct kr_cert	*b = *(const struct kr_cert *const *)y;

	return der_cmp(a->der, a->der_len, b->der, b->der_len);
}

/* certificates [0] IMPLICIT SET OF Certificate, in DER order. */
static int
write_certs(uint8_t **p, uint8_t *start, const struct kr_fw_certs *cs)
{
	const struct kr_cert	*all[KR_FW_CHAIN_MAX + 1];
	size_t			 i, k = 0, n = 0;
	int			 ret;

	all[k++] = cs->signer;
	for (i = 0; i < cs->nchain; i++)
		all[k++] = cs->chain[i];
	qsort(all, k, sizeof(all[0]), cert_cmp);
	for (i = k; i > 0; i--)
		MBEDTLS_ASN1_CHK_ADD(n, kr_derw_raw(p, start, all[i - 1]->der,
		    all[i - 1]->der_len));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tl(p, start, n, KR_DER_CTX_CONS(0)));
	return (int)n;
}

static int
write_content_info(uint8_t **p, uint8_t *start, const struct cms_parts *m)
{
	size_t	n = 0, sub = 0;
	int	ret;

	MBEDTLS_ASN1_CHK_ADD(sub, write_signer_info(p, start, m));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub, KR_DER_SET));
	n += sub;
	MBEDTLS_ASN1_CHK_ADD(n, write_certs(p, start, m->cs));
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_oid(p, start,
	    (const uint8_t *)OID_DATA, OIDLEN(OID_DATA)));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub, KR_DER_SEQUENCE));
	n += sub;
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, write_digest_alg(p, start, m->h));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub, KR_DER_SET));
	n += sub;
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_small_int(p, start, 1));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tl(p, start, n, KR_DER_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tl(p, start, n, KR_DER_CTX_CONS(0)));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_oid(p, start,
	    (const uint8_t *)OID_SIGNED_DATA, OIDLEN(OID_SIGNED_DATA)));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tl(p, start, n, KR_DER_SEQUENCE));
	return (int)n;
}

static int
assemble(struct kr_fw_ctx *c, const struct cms_parts *m, uint8_t **out,
    size_t *outlen)
{
	uint8_t	*buf, *p;
	size_t	 cap = m->attrs_len + m->sig_len + 4096, i;
	int	 n, ret;

	cap += m->cs->signer->der_len;
	for (i = 0; i < m->cs->nchain; i++)
		cap += m->cs->chain[i]->der_len;
	if ((buf = malloc(cap)) == NULL)
		return kr_err_set(c->err, KR_ENOMEM, "out of memory");
	p = buf + cap;
	if ((n = write_content_info(&p, buf, m)) < 0) {
		free(buf);
		return kr_err_set(c->err, KR_EINTERNAL, "the CMS encoder "
		    "failed (-0x%04x; bug: report it)", (unsigned)-n);
	}
	ret = kr_derw_finish(p, (size_t)n, out, outlen);
	free(buf);
	if (ret != KR_OK)
		return kr_err_set(c->err, ret, "out of memory");
	return KR_OK;
}

static int
cms_build(struct kr_fw_ctx *c, enum kr_sig_alg sa,
    const struct kr_fw_certs *cs, const uint8_t *md, uint8_t **out,
    size_t *outlen)
{
	struct cms_parts	 m;
	uint8_t			*attrs = NULL, sig[KR_SIG_MAX_BYTES];
	size_t			 alen = 0, siglen = sizeof(sig);
	int			 ret;

	memset(&m, 0, sizeof(m));
	m.sa = sa;
	m.h = kr_sig_alg_hash(sa);
	m.cs = cs;
	if ((ret = signed_attrs(c, md, kr_hash_len(m.h), &attrs, &alen)) !=
	    KR_OK)
		return ret;
	if ((ret = kr_signer_sign(c->signer, sa, attrs, alen, sig, &siglen,
	    c->err)) != KR_OK ||
	    (ret = kr_fw_check_sig(c, sa, false, attrs, alen, sig, siglen)) !=
	    KR_OK)
		goto out;
	m.attrs = attrs;
	m.attrs_len = alen;
	m.sig = sig;
	m.sig_len = siglen;
	if ((ret = assemble(c, &m, out, outlen)) != KR_OK)
		goto out;
	memcpy(c->res->sig, sig, siglen);
	c->res->sig_len = siglen;
	c->res->sig_alg = sa;
	memcpy(c->res->cert_serial, cs->signer->f.serial,
	    cs->signer->f.serial_len);
	c->res->cert_serial_len = cs->signer->f.serial_len;
out:
	free(attrs);
	return ret;
}

/* ---- the cms format ---------------------------------------------------- */

/* Hashes bytes [0, len) of the input with the signature's hash. */
static int
content_digest(struct kr_fw_ctx *c, enum kr_sig_alg sa, uint64_t len,
    uint8_t *md)
{
	struct kr_fw_sink	k;
	int			ret;

	memset(&k, 0, sizeof(k));
	if (kr_hash_init(&k.h, kr_sig_alg_hash(sa)) != KR_OK)
		return kr_err_set(c->err, KR_ECRYPTO, "cannot start hashing");
	if ((ret = kr_fw_stream_image(c, 0, len, &k, 1)) == KR_OK)
		kr_hash_final(&k.h, md);
	kr_wipe(&k, sizeof(k));
	return ret;
}

int
kr_fw_cms_key_check(struct kr_fw_ctx *c)
{
	enum kr_sig_alg	sa;

	return cms_sig_alg(c, &sa);
}

int
kr_fw_cms_sign(struct kr_fw_ctx *c, uint64_t len, uint8_t **der,
    size_t *derlen)
{
	struct kr_fw_certs	cs;
	enum kr_sig_alg		sa = 0;
	uint8_t			md[KR_HASH_MAX_BYTES];
	int			ret;

	if ((ret = cms_prepare(c, &sa, &cs)) != KR_OK || c->check ||
	    (ret = content_digest(c, sa, len, md)) != KR_OK ||
	    (ret = cms_build(c, sa, &cs, md, der, derlen)) != KR_OK)
		goto out;
	kr_fw_set_digest(c->res, kr_sig_alg_hash(sa), md, 0, len);
out:
	certs_free(&cs);
	return ret;
}

int
kr_fw_do_cms(struct kr_fw_ctx *c)
{
	return kr_fw_cms_sign(c, c->in->size, &c->res->head,
	    &c->res->head_len);
}
