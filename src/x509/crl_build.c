/*
 * X.509 v2 CRLs (RFC 5280 section 5): the streaming builder.  The parser
 * is crl_parse.c; the CRLReason names and integer rules are crl.c.
 *
 * The builder keeps the whole CRL in one growable buffer with headroom at
 * the front.  Entries are encoded one by one at the end of the buffer as
 * they come from the caller, then the CRL extensions; the few headers that
 * go before them (version, algorithm, issuer, times, the list's SEQUENCE
 * header, the TBS header) are written backwards into the headroom, and so
 * is the outer CertificateList header once the signature is appended.
 *
 *   buf: [ headroom ... | hdrs | entry | entry | ... | crlExtensions | sig ]
 *                        ^start                                          ^end
 *
 * Memory is the output buffer and nothing else: no list of entries, no
 * allocation per entry.
 */
#include <stdlib.h>
#include <string.h>

#include "x509_int.h"

#include <keyrite/crl.h>

#define CRL_BUILD_FMT	"cannot build the CRL: "

/* Room for every header before the entries (issuer <= 1024). */
#define CRL_HEADROOM	2048
/* The outer CertificateList header, kept free in the headroom. */
#define CRL_OUTER_ROOM	8
/* One encoded entry is at most about 85 bytes. */
#define CRL_ENTRY_MAX	128
/* crlExtensions: two URIs of KR_URI_MAX plus small fixed parts. */
#define CRL_EXTS_MAX	2048
#define CRL_INITIAL	((size_t)64 * 1024)

#define LIT(s)	(const uint8_t *)(s), sizeof(s) - 1

static void
serial_hex(const uint8_t *p, size_t len, char *out)
{
	if (len > KR_SERIAL_MAX)
		len = KR_SERIAL_MAX;
	kr_hex_encode(out, p, len);
}

/* ---------------------------------------------------------------------
 * Builder: checks
 */

static int
check_number(const uint8_t *n, size_t len, const char *what,
    struct kr_err *err)
{
	if (!kr_crl_uint_ok(n, len, KR_CRL_NUMBER_MAX))
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "the %s is "
		    "not a minimally encoded non-negative integer of 1 to %d "
		    "octets", what, KR_CRL_NUMBER_MAX);
	return KR_OK;
}

static int
check_times(const struct kr_crl_fields *f, struct kr_err *err)
{
	if (!kr_der_time_ok(f->this_update) ||
	    !kr_der_time_ok(f->next_update))
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "thisUpdate "
		    "or nextUpdate lies outside the years 0000 to 9999");
	if (f->next_update <= f->this_update)
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "nextUpdate "
		    "is not later than thisUpdate");
	return KR_OK;
}

static int
check_idp(const struct kr_crl_fields *f, struct kr_err *err)
{
	bool	has_uri = f->idp_uri[0] != '\0';

	/* crl.h: the idp_ fields count only when has_idp is set */
	if (!f->has_idp)
		return KR_OK;
	if (has_uri && !kr_der_uri_ok(f->idp_uri, KR_URI_MAX))
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "the "
		    "issuingDistributionPoint URI is not an absolute URI in "
		    "printable ASCII");
	if (f->idp_only_ca && f->idp_only_user)
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "an "
		    "issuingDistributionPoint cannot say both "
		    "onlyContainsUserCerts and onlyContainsCACerts "
		    "(RFC 5280 5.2.5)");
	if (!has_uri && !f->idp_only_ca && !f->idp_only_user)
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "an empty "
		    "issuingDistributionPoint (no URI, no scope) is not "
		    "allowed (RFC 5280 5.2.5)");
	return KR_OK;
}

static int
check_delta(const struct kr_crl_fields *f, struct kr_err *err)
{
	int	ret;

	if (f->freshest_uri[0] != '\0' &&
	    !kr_der_uri_ok(f->freshest_uri, KR_URI_MAX))
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "the "
		    "freshestCRL URI is not an absolute URI in printable "
		    "ASCII");
	if (!f->is_delta)
		return KR_OK;
	if (f->freshest_uri[0] != '\0')
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "a delta CRL "
		    "may not carry freshestCRL (RFC 5280 5.2.6)");
	if ((ret = check_number(f->base_number, f->base_number_len,
	    "base CRL number", err)) != KR_OK)
		return ret;
	if (kr_bigint_cmp(f->base_number, f->base_number_len, f->number,
	    f->number_len) >= 0)
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "the delta "
		    "CRL's number must be greater than its base CRL number");
	return KR_OK;
}

static int
fields_check(const struct kr_crl_fields *f, struct kr_err *err)
{
	uint8_t	id[128];
	size_t	idlen;
	int	ret;

	if (kr_sig_alg_id(f->sig_alg, id, sizeof(id), &idlen) != KR_OK)
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "unknown "
		    "signature algorithm %d", (int)f->sig_alg);
	if (f->issuer_len <= 2 || f->issuer_len > KR_NAME_DER_MAX ||
	    !kr_dn_valid(f->issuer, f->issuer_len))
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "the issuer "
		    "name is empty or not a well-formed DER Name");
	if ((ret = check_times(f, err)) != KR_OK ||
	    (ret = check_number(f->number, f->number_len, "CRL number",
	    err)) != KR_OK)
		return ret;
	if (f->aki_len == 0 || f->aki_len > KR_KEYID_BYTES)
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "the "
		    "authority key identifier is %zu bytes; 1 to %d expected",
		    f->aki_len, KR_KEYID_BYTES);
	if ((ret = check_idp(f, err)) != KR_OK ||
	    (ret = check_delta(f, err)) != KR_OK)
		return ret;
	return KR_OK;
}

/* The serial's hex, for a refusal only (a million entries pass). */
static const char *
entry_hex(const struct kr_crl_entry *e, char *hex)
{
	serial_hex(e->serial, e->serial_len, hex);
	return hex;
}

static int
entry_check(const struct kr_crl_entry *e, bool delta, size_t n,
    struct kr_err *err)
{
	char	hex[2 * KR_SERIAL_MAX + 1];

	if (!kr_crl_serial_ok(e->serial, e->serial_len))
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "entry %zu: "
		    "the serial number is not a positive, minimally encoded "
		    "integer of 1 to %d octets", n, KR_SERIAL_MAX);
	if (!kr_der_time_ok(e->revoked_at) ||
	    (e->invalidity != 0 && !kr_der_time_ok(e->invalidity)))
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "entry %zu "
		    "(serial %s): a date outside the years 0000 to 9999", n,
		    entry_hex(e, hex));
	if (!kr_crl_reason_valid((int)e->reason))
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "entry %zu "
		    "(serial %s): unknown reason code %d", n, entry_hex(e, hex),
		    (int)e->reason);
	if (e->reason == KR_REASON_REMOVE_FROM_CRL && !delta)
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "entry %zu "
		    "(serial %s): removeFromCRL is only allowed in a delta CRL "
		    "(RFC 5280 5.3.1)", n, entry_hex(e, hex));
	return KR_OK;
}

/* ---------------------------------------------------------------------
 * Builder: the buffer
 */

/* Makes room for `need` more bytes at the end. */
static int
builder_reserve(struct kr_crl_builder *b, size_t need, struct kr_err *err)
{
	uint8_t	*nb;
	size_t	 cap = b->cap, tbs_off = 0;

	if (b->cap - b->end >= need)
		return KR_OK;
	if (b->end - b->start + need > KR_CRL_FILE_MAX)
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "it would be "
		    "larger than %zu bytes (%zu entries so far)",
		    KR_CRL_FILE_MAX, b->entries);
	while (cap - b->end < need)
		cap *= 2;
	if (b->tbs.p != NULL)
		tbs_off = (size_t)(b->tbs.p - b->buf);
	if ((nb = kr_bulk_realloc(b->buf, b->cap, cap)) == NULL)
		return kr_err_set(err, KR_ENOMEM, CRL_BUILD_FMT "out of memory "
		    "at %zu bytes", b->end);
	b->buf = nb;
	b->cap = cap;
	if (b->tbs.p != NULL)
		b->tbs.p = nb + tbs_off;
	return KR_OK;
}

/*
 * An element is encoded backwards into the free space at the end of the
 * buffer, [end, end + max), then slid down to `end`: its bytes are written
 * into the builder's own buffer, with no copy elsewhere.
 */
static uint8_t *
tail_top(const struct kr_crl_builder *b, size_t max)
{
	return b->buf + b->end + max;
}

static void
tail_commit(struct kr_crl_builder *b, const uint8_t *p, int n)
{
	memmove(b->buf + b->end, p, (size_t)n);
	b->end += (size_t)n;
}

void
kr_crl_builder_free(struct kr_crl_builder *b)
{
	if (b == NULL)
		return;
	kr_bulk_free(b->buf, b->cap);
	memset(b, 0, sizeof(*b));
}

/* ---------------------------------------------------------------------
 * Builder: entries
 */

/*
 * crlEntryExtensions Extensions OPTIONAL
 *   reasonCode      (2.5.29.21)  CRLReason ::= ENUMERATED
 *   invalidityDate  (2.5.29.24)  InvalidityDate ::= GeneralizedTime
 * Both non-critical; unspecified-by-absence is KR_REASON_NONE.
 */
static int
write_entry_exts(uint8_t **p, uint8_t *start, const struct kr_crl_entry *e)
{
	int	ret;
	size_t	len = 0, sub;
	uint8_t	r;

	if (e->invalidity != 0) {
		sub = 0;
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_gentime(p, start,
		    e->invalidity));
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_ext(p, start, sub,
		    LIT(KR_OID_INVALIDITY), false));
	}
	if (e->reason != KR_REASON_NONE) {
		r = (uint8_t)e->reason;
		sub = 0;
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tlv(p, start,
		    KR_DER_ENUMERATED, &r, 1));
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_ext(p, start, sub,
		    LIT(KR_OID_REASON_CODE), false));
	}
	if (len == 0)
		return 0;
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

/*
 * SEQUENCE {
 *      userCertificate     CertificateSerialNumber,
 *      revocationDate      Time,
 *      crlEntryExtensions  Extensions OPTIONAL }
 */
/*
 * Revocation times repeat (a batch, an import): the last one encoded is
 * kept and copied instead of being formatted again.
 */
static int
write_time_cached(uint8_t **p, uint8_t *start, int64_t t)
{
	static _Thread_local int64_t	last = INT64_MIN;
	static _Thread_local uint8_t	enc[24];
	static _Thread_local size_t	enc_len;
	uint8_t				tmp[24], *q = tmp + sizeof(tmp);
	int				n;

	if (t != last) {
		if ((n = kr_derw_time(&q, tmp, t)) < 0)
			return n;
		enc_len = (size_t)n;
		memcpy(enc, q, enc_len);
		last = t;
	}
	if ((size_t)(*p - start) < enc_len)
		return MBEDTLS_ERR_ASN1_BUF_TOO_SMALL;
	*p -= enc_len;
	memcpy(*p, enc, enc_len);
	return (int)enc_len;
}

static int
write_entry(uint8_t **p, uint8_t *start, const struct kr_crl_entry *e)
{
	int	ret;
	size_t	len = 0;

	MBEDTLS_ASN1_CHK_ADD(len, write_entry_exts(p, start, e));
	MBEDTLS_ASN1_CHK_ADD(len, write_time_cached(p, start, e->revoked_at));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, KR_DER_INTEGER,
	    e->serial, e->serial_len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

static int
next_failed(int rc, size_t n, struct kr_err *err)
{
	if (rc > 0)
		return kr_err_set(err, KR_EINTERNAL, CRL_BUILD_FMT "the entry "
		    "source returned %d after %zu entries", rc, n);
	if (err->msg[0] == '\0')
		kr_err_set(err, rc, CRL_BUILD_FMT "the entry source failed "
		    "after %zu entries", n);
	return rc;
}

/* Every entry, forward, from where the headroom ends. */
static int
write_entries(const struct kr_crl_fields *f, kr_crl_next *next, void *ctx,
    struct kr_crl_builder *b, struct kr_err *err)
{
	struct kr_crl_entry	 e;
	uint8_t			*p;
	int			 rc, n;

	for (;;) {
		memset(&e, 0, sizeof(e));
		e.reason = KR_REASON_NONE;
		if ((rc = next(ctx, &e, err)) == 0)
			return KR_OK;
		if (rc != 1)
			return next_failed(rc, b->entries, err);
		if ((rc = entry_check(&e, f->is_delta, b->entries + 1,
		    err)) != KR_OK ||
		    (rc = builder_reserve(b, CRL_ENTRY_MAX, err)) != KR_OK)
			return rc;
		p = tail_top(b, CRL_ENTRY_MAX);
		if ((n = write_entry(&p, b->buf + b->end, &e)) < 0)
			return kr_err_set(err, KR_EINTERNAL, CRL_BUILD_FMT
			    "entry %zu did not encode (-0x%04x)",
			    b->entries + 1, (unsigned)-n);
		tail_commit(b, p, n);
		b->entries++;
	}
}

/* ---------------------------------------------------------------------
 * Builder: CRL extensions
 */

/*
 * AuthorityKeyIdentifier ::= SEQUENCE {
 *      keyIdentifier  [0] KeyIdentifier OPTIONAL, ... }
 * CRLNumber ::= INTEGER (0..MAX)
 * BaseCRLNumber ::= CRLNumber			-- deltaCRLIndicator
 */
static int
ext_numbers(uint8_t **p, uint8_t *start, const struct kr_crl_fields *f)
{
	int	ret;
	size_t	len = 0, sub;

	if (f->is_delta) {
		sub = 0;
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tlv(p, start, KR_DER_INTEGER,
		    f->base_number, f->base_number_len));
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_ext(p, start, sub,
		    LIT(KR_OID_DELTA_INDICATOR), true));
	}
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tlv(p, start, KR_DER_INTEGER,
	    f->number, f->number_len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_ext(p, start, sub,
	    LIT(KR_OID_CRL_NUMBER), false));
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tlv(p, start, KR_DER_CTX(0), f->aki,
	    f->aki_len));
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tl(p, start, sub, KR_DER_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_ext(p, start, sub,
	    LIT(KR_OID_EXT_AKI), false));
	return (int)len;
}

/* DistributionPointName ::= CHOICE { fullName [0] GeneralNames, ... } */
static int
write_dp_name(uint8_t **p, uint8_t *start, const char *uri)
{
	int	ret;
	size_t	len = 0;

	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, KR_DER_CTX(6),
	    (const uint8_t *)uri, strlen(uri)));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len,
	    KR_DER_CTX_CONS(0)));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len,
	    KR_DER_CTX_CONS(0)));
	return (int)len;
}

/*
 * IssuingDistributionPoint ::= SEQUENCE {
 *      distributionPoint          [0] DistributionPointName OPTIONAL,
 *      onlyContainsUserCerts      [1] BOOLEAN DEFAULT FALSE,
 *      onlyContainsCACerts        [2] BOOLEAN DEFAULT FALSE,
 *      onlySomeReasons            [3] ReasonFlags OPTIONAL,
 *      indirectCRL                [4] BOOLEAN DEFAULT FALSE,
 *      onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
 * Critical (RFC 5280 5.2.5).
 */
static int
ext_idp(uint8_t **p, uint8_t *start, const struct kr_crl_fields *f)
{
	static const uint8_t	yes = 0xff;
	int			ret;
	size_t			len = 0;

	if (f->idp_only_ca)
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, KR_DER_CTX(2),
		    &yes, 1));
	if (f->idp_only_user)
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, KR_DER_CTX(1),
		    &yes, 1));
	if (f->idp_uri[0] != '\0')
		MBEDTLS_ASN1_CHK_ADD(len, write_dp_name(p, start, f->idp_uri));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return kr_derw_ext(p, start, len, LIT(KR_OID_IDP), true);
}

/*
 * FreshestCRL ::= CRLDistributionPoints
 * CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
 * DistributionPoint ::= SEQUENCE {
 *      distributionPoint  [0] DistributionPointName OPTIONAL, ... }
 * Non-critical (RFC 5280 5.2.6).
 */
static int
ext_freshest(uint8_t **p, uint8_t *start, const struct kr_crl_fields *f)
{
	int	ret;
	size_t	len = 0;

	MBEDTLS_ASN1_CHK_ADD(len, write_dp_name(p, start, f->freshest_uri));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return kr_derw_ext(p, start, len, LIT(KR_OID_FRESHEST), false);
}

/*
 * crlExtensions [0] EXPLICIT Extensions
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 * In the order of crl.h: authorityKeyIdentifier, cRLNumber,
 * deltaCRLIndicator, issuingDistributionPoint, freshestCRL (written last
 * to first).
 */
static int
write_crl_exts(uint8_t **p, uint8_t *start, const struct kr_crl_fields *f)
{
	int	ret;
	size_t	len = 0;

	if (f->freshest_uri[0] != '\0')
		MBEDTLS_ASN1_CHK_ADD(len, ext_freshest(p, start, f));
	if (f->has_idp)
		MBEDTLS_ASN1_CHK_ADD(len, ext_idp(p, start, f));
	MBEDTLS_ASN1_CHK_ADD(len, ext_numbers(p, start, f));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len,
	    KR_DER_CTX_CONS(0)));
	return (int)len;
}

/*
 * TBSCertList ::= SEQUENCE {
 *      version              Version OPTIONAL,	-- v2 (1)
 *      signature            AlgorithmIdentifier,
 *      issuer               Name,
 *      thisUpdate           Time,
 *      nextUpdate           Time OPTIONAL,
 *      revokedCertificates  SEQUENCE OF SEQUENCE { ... } OPTIONAL,
 *      crlExtensions        [0] EXPLICIT Extensions OPTIONAL }
 * The headers in front of the entries, written backwards into the
 * headroom.  An empty revokedCertificates is left out (RFC 5280 5.1.2.6).
 */
static int
write_tbs_head(uint8_t **p, uint8_t *start, const struct kr_crl_fields *f,
    size_t entries_len, size_t after_len)
{
	uint8_t	id[128];
	size_t	idlen, len = after_len;
	int	ret;

	if (kr_sig_alg_id(f->sig_alg, id, sizeof(id), &idlen) != KR_OK)
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	if (entries_len > 0)
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, entries_len,
		    KR_DER_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_time(p, start, f->next_update));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_time(p, start, f->this_update));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_raw(p, start, f->issuer,
	    f->issuer_len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_raw(p, start, id, idlen));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_small_int(p, start, 1));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

static int
write_tail_and_head(const struct kr_crl_fields *f, struct kr_crl_builder *b,
    struct kr_err *err)
{
	size_t	 entries_len = b->end - b->start;
	uint8_t	*p;
	int	 n, ret;

	if ((ret = builder_reserve(b, CRL_EXTS_MAX, err)) != KR_OK)
		return ret;
	p = tail_top(b, CRL_EXTS_MAX);
	if ((n = write_crl_exts(&p, b->buf + b->end, f)) < 0)
		return kr_err_set(err, KR_EINTERNAL, CRL_BUILD_FMT "the CRL "
		    "extensions did not encode (-0x%04x)", (unsigned)-n);
	tail_commit(b, p, n);
	p = b->buf + b->start;
	n = write_tbs_head(&p, b->buf + CRL_OUTER_ROOM, f, entries_len,
	    b->end - b->start);
	if (n < 0)
		return kr_err_set(err, KR_EINTERNAL, CRL_BUILD_FMT "the TBS "
		    "headers did not encode (-0x%04x)", (unsigned)-n);
	b->start = (size_t)(p - b->buf);
	return KR_OK;
}

int
kr_crl_tbs_build(const struct kr_crl_fields *f, kr_crl_next *next,
    void *ctx, struct kr_crl_builder *b, struct kr_err *err)
{
	int	ret = KR_EINTERNAL;

	memset(b, 0, sizeof(*b));
	if (f == NULL || next == NULL)
		return kr_err_set(err, KR_EINTERNAL, CRL_BUILD_FMT "no fields "
		    "or no entry source");
	if ((ret = fields_check(f, err)) != KR_OK)
		return ret;
	/*
	 * Sized once from the hint (an entry with both extensions takes
	 * under 64 bytes), so a large CRL is not copied while it grows and
	 * memory stays near the size of the CRL itself.
	 */
	b->cap = CRL_INITIAL;
	if (f->entries_hint > 0 && f->entries_hint < KR_CRL_FILE_MAX / 64)
		b->cap += f->entries_hint * 64;
	if ((b->buf = kr_bulk_alloc(b->cap)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	b->start = b->end = CRL_HEADROOM;
	if ((ret = write_entries(f, next, ctx, b, err)) != KR_OK ||
	    (ret = write_tail_and_head(f, b, err)) != KR_OK)
		goto fail;
	b->tbs.p = b->buf + b->start;
	b->tbs.len = b->end - b->start;
	return KR_OK;
fail:
	kr_crl_builder_free(b);
	return ret;
}

/* ---------------------------------------------------------------------
 * Builder: signature and outer header
 */

/* The signature AlgorithmIdentifier inside a TBSCertList. */
static int
tbs_alg_id(const struct kr_slice *tbs, struct kr_slice *alg)
{
	struct kr_der	top, seq;
	struct kr_slice	c;
	int		v;

	kr_der_init(&top, tbs->p, tbs->len);
	if (kr_der_enter(&top, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_done(&top) != KR_OK ||
	    kr_der_get_small_int(&seq, &v) != KR_OK || v != 1 ||
	    kr_der_get_whole(&seq, KR_DER_SEQUENCE, &c, alg) != KR_OK)
		return KR_EINPUT;
	return KR_OK;
}

static int
finish_check(const struct kr_crl_builder *b, const uint8_t *id, size_t idlen,
    size_t siglen, struct kr_err *err)
{
	struct kr_slice	inner;

	if (b->buf == NULL || b->tbs.p == NULL ||
	    b->tbs.p != b->buf + b->start)
		return kr_err_set(err, KR_EINTERNAL, CRL_BUILD_FMT "finish "
		    "called without a built TBS, or a second time");
	if (tbs_alg_id(&b->tbs, &inner) != KR_OK)
		return kr_err_set(err, KR_EINTERNAL, CRL_BUILD_FMT "the TBS "
		    "in the builder is damaged");
	if (inner.len != idlen || memcmp(inner.p, id, idlen) != 0)
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "the TBS names "
		    "another signature algorithm than the one signed with");
	if (siglen == 0 || siglen > KR_SIG_MAX_BYTES)
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "a signature "
		    "of %zu bytes", siglen);
	return KR_OK;
}

/* Moves the DER up if the headroom cannot take the outer header. */
static int
ensure_headroom(struct kr_crl_builder *b, struct kr_err *err)
{
	size_t	shift = CRL_OUTER_ROOM, tbs_off;
	int	ret;

	if (b->start >= CRL_OUTER_ROOM)
		return KR_OK;
	if ((ret = builder_reserve(b, shift, err)) != KR_OK)
		return ret;
	tbs_off = (size_t)(b->tbs.p - b->buf);
	memmove(b->buf + b->start + shift, b->buf + b->start,
	    b->end - b->start);
	b->start += shift;
	b->end += shift;
	b->tbs.p = b->buf + tbs_off + shift;
	return KR_OK;
}

/*
 * CertificateList ::= SEQUENCE {
 *      tbsCertList          TBSCertList,
 *      signatureAlgorithm   AlgorithmIdentifier,
 *      signatureValue       BIT STRING }
 */
int
kr_crl_finish(struct kr_crl_builder *b, enum kr_sig_alg alg,
    const uint8_t *sig, size_t siglen, struct kr_slice *out,
    struct kr_err *err)
{
	uint8_t	id[128], *p;
	size_t	idlen;
	int	n, ret = KR_EINTERNAL;

	out->p = NULL;
	out->len = 0;
	if (kr_sig_alg_id(alg, id, sizeof(id), &idlen) != KR_OK)
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "unknown "
		    "signature algorithm %d", (int)alg);
	if ((ret = finish_check(b, id, idlen, siglen, err)) != KR_OK ||
	    (ret = builder_reserve(b, idlen + siglen + 16, err)) != KR_OK)
		return ret;
	memcpy(b->buf + b->end, id, idlen);
	b->end += idlen;
	p = tail_top(b, siglen + 16);
	if ((n = kr_derw_bitstring(&p, b->buf + b->end, sig, siglen, 0)) < 0)
		return kr_err_set(err, KR_EINTERNAL, CRL_BUILD_FMT "the "
		    "signature did not encode");
	tail_commit(b, p, n);
	if ((ret = ensure_headroom(b, err)) != KR_OK)
		return ret;
	p = b->buf + b->start;
	if ((n = kr_derw_tl(&p, b->buf, b->end - b->start,
	    KR_DER_SEQUENCE)) < 0)
		return kr_err_set(err, KR_EINTERNAL, CRL_BUILD_FMT "the outer "
		    "header did not fit");
	b->start = (size_t)(p - b->buf);
	out->p = b->buf + b->start;
	out->len = b->end - b->start;
	return KR_OK;
}
