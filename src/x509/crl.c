/*
 * X.509 v2 CRLs (RFC 5280 section 5): a streaming builder, a streaming
 * strict parser, and the CRLReason names.
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
 * allocation per entry.  The parser reads entries in place and hands each
 * to a callback.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "x509_int.h"
#include "parse_int.h"

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
/* Extensions one list may hold, for the duplicate check. */
#define CRL_EXT_SEEN	32

/* Object identifiers (contents) of the CRL extensions. */
#define OID_CRL_NUMBER		"\x55\x1d\x14"	/* 2.5.29.20 */
#define OID_REASON_CODE		"\x55\x1d\x15"	/* 2.5.29.21 */
#define OID_INVALIDITY		"\x55\x1d\x18"	/* 2.5.29.24 */
#define OID_DELTA_INDICATOR	"\x55\x1d\x1b"	/* 2.5.29.27 */
#define OID_IDP			"\x55\x1d\x1c"	/* 2.5.29.28 */
#define OID_CERT_ISSUER		"\x55\x1d\x1d"	/* 2.5.29.29 */
#define OID_FRESHEST		"\x55\x1d\x2e"	/* 2.5.29.46 */

#define LIT(s)	(const uint8_t *)(s), sizeof(s) - 1

/* ---------------------------------------------------------------------
 * CRLReason names (RFC 5280 5.3.1)
 */

static const struct {
	enum kr_reason	 reason;
	const char	*name;
} reason_names[] = {
	{ KR_REASON_UNSPECIFIED,	"unspecified" },
	{ KR_REASON_KEY_COMPROMISE,	"keyCompromise" },
	{ KR_REASON_CA_COMPROMISE,	"cACompromise" },
	{ KR_REASON_AFFILIATION_CHANGED, "affiliationChanged" },
	{ KR_REASON_SUPERSEDED,		"superseded" },
	{ KR_REASON_CESSATION,		"cessationOfOperation" },
	{ KR_REASON_CERTIFICATE_HOLD,	"certificateHold" },
	{ KR_REASON_REMOVE_FROM_CRL,	"removeFromCRL" },
	{ KR_REASON_PRIVILEGE_WITHDRAWN, "privilegeWithdrawn" },
	{ KR_REASON_AA_COMPROMISE,	"aACompromise" },
};

#define NREASONS	(sizeof(reason_names) / sizeof(reason_names[0]))

/*
 * Case does not matter, so OpenSSL's spelling "CACompromise" is read too.
 * "unspecified" gives KR_REASON_NONE: keyrite writes it as no reasonCode.
 */
int
kr_reason_from_name(const char *name, enum kr_reason *r)
{
	size_t	i;

	if (name == NULL)
		return KR_EINPUT;
	for (i = 0; i < NREASONS; i++) {
		if (strcasecmp(name, reason_names[i].name) != 0)
			continue;
		*r = reason_names[i].reason == KR_REASON_UNSPECIFIED ?
		    KR_REASON_NONE : reason_names[i].reason;
		return KR_OK;
	}
	return KR_EINPUT;
}

/* NONE reads as "unspecified", so the name maps back to it. */
const char *
kr_reason_name(enum kr_reason r)
{
	size_t	i;

	if (r == KR_REASON_NONE)
		return "unspecified";
	for (i = 0; i < NREASONS; i++)
		if (reason_names[i].reason == r)
			return reason_names[i].name;
	return "(invalid reason)";
}

static bool
reason_valid(int r)
{
	return r == KR_REASON_NONE || (r >= 0 && r <= 10 && r != 7);
}

/* ---------------------------------------------------------------------
 * Small helpers
 */

int
kr_bigint_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int	c;

	while (alen > 0 && a[0] == 0)
		a++, alen--;
	while (blen > 0 && b[0] == 0)
		b++, blen--;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	if (alen == 0)
		return 0;
	c = memcmp(a, b, alen);
	return c < 0 ? -1 : c > 0;
}

/* A minimal INTEGER encoding of a non-negative value, 1..max octets. */
static bool
uint_ok(const uint8_t *p, size_t len, size_t max)
{
	if (len == 0 || len > max || (p[0] & 0x80) != 0)
		return false;
	return len == 1 || p[0] != 0 || (p[1] & 0x80) != 0;
}

/* The same, and not zero: a certificate serial number. */
static bool
serial_ok(const uint8_t *p, size_t len)
{
	return uint_ok(p, len, KR_SERIAL_MAX) && !(len == 1 && p[0] == 0);
}

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
	if (!uint_ok(n, len, KR_CRL_NUMBER_MAX))
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

	if (!serial_ok(e->serial, e->serial_len))
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "entry %zu: "
		    "the serial number is not a positive, minimally encoded "
		    "integer of 1 to %d octets", n, KR_SERIAL_MAX);
	if (!kr_der_time_ok(e->revoked_at) ||
	    (e->invalidity != 0 && !kr_der_time_ok(e->invalidity)))
		return kr_err_set(err, KR_EINPUT, CRL_BUILD_FMT "entry %zu "
		    "(serial %s): a date outside the years 0000 to 9999", n,
		    entry_hex(e, hex));
	if (!reason_valid((int)e->reason))
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
	if ((nb = realloc(b->buf, cap)) == NULL)
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
	free(b->buf);
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
		    LIT(OID_INVALIDITY), false));
	}
	if (e->reason != KR_REASON_NONE) {
		r = (uint8_t)e->reason;
		sub = 0;
		MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tlv(p, start,
		    KR_DER_ENUMERATED, &r, 1));
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_ext(p, start, sub,
		    LIT(OID_REASON_CODE), false));
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
		    LIT(OID_DELTA_INDICATOR), true));
	}
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, kr_derw_tlv(p, start, KR_DER_INTEGER,
	    f->number, f->number_len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_ext(p, start, sub,
	    LIT(OID_CRL_NUMBER), false));
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
	return kr_derw_ext(p, start, len, LIT(OID_IDP), true);
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
	return kr_derw_ext(p, start, len, LIT(OID_FRESHEST), false);
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
	if ((b->buf = malloc(b->cap)) == NULL)
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

/* ---------------------------------------------------------------------
 * Parser
 */

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
	if (KR_OID_IS(oid, OID_REASON_CODE)) {
		if (kr_der_get_small_int_tag(&d, KR_DER_ENUMERATED, &r) !=
		    KR_OK || !reason_valid(r))
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
		if (KR_OID_IS(&oid, OID_REASON_CODE) ||
		    KR_OID_IS(&oid, OID_INVALIDITY)) {
			if (entry_ext_value(&oid, &val, e) != KR_OK)
				return kr_err_set(err, KR_EINPUT, "%s: a "
				    "reasonCode or invalidityDate that is not "
				    "a valid value", where);
		} else if (KR_OID_IS(&oid, OID_CERT_ISSUER) && crit) {
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
	    !serial_ok(s.p, s.len))
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
	    !uint_ok(c.p, c.len, KR_CRL_NUMBER_MAX))
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
		if (kr_der_get(&seq, KR_DER_CTX_CONS(0), &c) != KR_OK)
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
	if (KR_OID_IS(oid, OID_CRL_NUMBER)) {
		info->has_number = true;
		return crl_number_value(val, info->number, &info->number_len);
	}
	if (KR_OID_IS(oid, OID_DELTA_INDICATOR)) {
		info->is_delta = true;
		return crl_number_value(val, info->base_number,
		    &info->base_number_len);
	}
	if (KR_OID_IS(oid, OID_IDP))
		return idp_value(val, info);
	if (KR_OID_IS(oid, OID_FRESHEST)) {
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
	if (KR_OID_IS(oid, OID_CRL_NUMBER))
		return "cRLNumber";
	if (KR_OID_IS(oid, OID_DELTA_INDICATOR))
		return "deltaCRLIndicator";
	if (KR_OID_IS(oid, OID_IDP))
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
