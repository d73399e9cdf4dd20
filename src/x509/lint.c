/*
 * Lint: the rules a TBSCertificate must pass before it is signed
 * (docs/lint.md lists them; a unit test keeps the two in step).
 *
 * Errors refuse the issuance; warnings are shown and need
 * --accept-warnings.  Each finding names the rule, what is wrong, and what
 * the operator should change.  The rules look at the fields to be signed;
 * the TBS bytes are read back with the strict parser and must be exactly
 * the encoding of those fields, so what was checked is what gets signed.
 *
 * Name constraints (RFC 5280 4.2.1.10) are matched by nc.c.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/x509.h>

#include <keyrite/crl.h>

#include "x509_int.h"
#include "parse_int.h"

#define KR_DAY		86400
#define KR_CA_RSA_MIN	3072	/* new CAs, whatever the profile */
#define KR_TLS_LEAF_DAYS 398	/* CA/Browser Forum limit for TLS leaves */

enum kr_rule {
	R_LINT_INPUT,
	R_TBS_MALFORMED,
	R_TBS_MISMATCH,
	R_EXT_DUPLICATE,
	R_EXT_UNKNOWN_CRITICAL,
	R_SERIAL_NOT_POSITIVE,
	R_SERIAL_NOT_MINIMAL,
	R_SERIAL_TOO_LONG,
	R_SERIAL_SHORT,
	R_VALIDITY_INVERTED,
	R_VALIDITY_OVER_PROFILE,
	R_VALIDITY_OUTSIDE_ISSUER,
	R_VALIDITY_BACKDATED,
	R_VALIDITY_EXPIRED,
	R_VALIDITY_LONG_TLS_LEAF,
	R_KEY_INVALID,
	R_KEY_ALG_NOT_ALLOWED,
	R_KEY_RSA_TOO_SMALL,
	R_CA_KEY_RSA_SMALL,
	R_CHAIN_PROFILE_MISMATCH,
	R_ISSUER_NAME_MISMATCH,
	R_ISSUER_NOT_CA,
	R_ISSUER_NO_KEYCERTSIGN,
	R_SIGNING_KEY_INVALID,
	R_SIGNING_KEY_NOT_ISSUER,
	R_SIG_ALG_KEY_MISMATCH,
	R_AKI_MISSING,
	R_AKI_MISMATCH,
	R_CA_SKI_MISSING,
	R_CA_BC_MISSING,
	R_CA_BC_NOT_CRITICAL,
	R_CA_BC_NOT_CA,
	R_CA_KU_MISSING,
	R_CA_KU_NOT_CRITICAL,
	R_CA_KU_NO_KEYCERTSIGN,
	R_CA_KU_NO_CRLSIGN,
	R_CA_SUBJECT_EMPTY,
	R_CA_HAS_EKU,
	R_LEAF_IS_CA,
	R_LEAF_KU_CERT_SIGN,
	R_KU_PROFILE_MISMATCH,
	R_PATHLEN_ISSUER_EXHAUSTED,
	R_PATHLEN_TOO_DEEP,
	R_PATHLEN_WITHOUT_CA,
	R_EKU_PROFILE_MISMATCH,
	R_EKU_FIRMWARE_NO_CODESIGNING,
	R_EKU_FIRMWARE_NO_EMAIL,
	R_EKU_ANY,
	R_NC_SUBJECT_OUTSIDE,
	R_NC_SAN_OUTSIDE,
	R_NC_NOT_CRITICAL,
	R_NC_ON_LEAF,
	R_SAN_NOT_ALLOWED,
	R_SUBJECT_EMPTY_NO_SAN,
	R_NAME_CONTROL,
	R_CRL_IDP_NOT_IN_CDP,
	R_CRL_ONLY_USER_CA,
	R_CRL_ONLY_CA_LEAF,
	R_COUNT
};

#define E	KR_LINT_ERROR
#define W	KR_LINT_WARN

static const struct kr_lint_rule {
	const char		*id;
	enum kr_lint_level	 level;
	const char		*summary;
} kr_rules[R_COUNT] = {
	[R_LINT_INPUT] = { "e_lint_input_incomplete", E,
	    "lint was given no fields, profile or issuer chain, or fields "
	    "whose lengths overrun their buffers" },
	[R_TBS_MALFORMED] = { "e_tbs_malformed", E,
	    "the TBS bytes read back as a strict DER version 3 "
	    "TBSCertificate" },
	[R_TBS_MISMATCH] = { "e_tbs_fields_mismatch", E,
	    "the TBS bytes are exactly the encoding of the fields checked" },
	[R_EXT_DUPLICATE] = { "e_ext_duplicate", E,
	    "no extension appears twice in the TBS (RFC 5280 4.2)" },
	[R_EXT_UNKNOWN_CRITICAL] = { "e_ext_unknown_critical", E,
	    "no critical extension keyrite does not understand" },
	[R_SERIAL_NOT_POSITIVE] = { "e_serial_not_positive", E,
	    "the serial number is positive (RFC 5280 4.1.2.2)" },
	[R_SERIAL_NOT_MINIMAL] = { "e_serial_not_minimal", E,
	    "the serial number is minimally encoded" },
	[R_SERIAL_TOO_LONG] = { "e_serial_too_long", E,
	    "the serial number is at most 20 octets" },
	[R_SERIAL_SHORT] = { "w_serial_short", W,
	    "the serial number has at least 8 octets (64 bits)" },
	[R_VALIDITY_INVERTED] = { "e_validity_inverted", E,
	    "notAfter is later than notBefore" },
	[R_VALIDITY_OVER_PROFILE] = { "e_validity_over_profile", E,
	    "the validity period is at most the profile's max_days" },
	[R_VALIDITY_OUTSIDE_ISSUER] = { "e_validity_outside_issuer", E,
	    "the validity lies inside the validity of every issuer above" },
	[R_VALIDITY_BACKDATED] = { "e_validity_backdated", E,
	    "notBefore is no earlier than now minus the profile's "
	    "backdate_max_seconds" },
	[R_VALIDITY_EXPIRED] = { "e_validity_expired", E,
	    "notAfter is later than the time of issuance" },
	[R_VALIDITY_LONG_TLS_LEAF] = { "w_validity_long_tls_leaf", W,
	    "a serverAuth or clientAuth leaf is valid for at most 398 days" },
	[R_KEY_INVALID] = { "e_key_invalid", E,
	    "the subject public key parses (curve point, RSA sanity)" },
	[R_KEY_ALG_NOT_ALLOWED] = { "e_key_alg_not_allowed", E,
	    "the subject key algorithm is one the profile allows" },
	[R_KEY_RSA_TOO_SMALL] = { "e_key_rsa_too_small", E,
	    "an RSA subject key has at least the profile's rsa_min_bits" },
	[R_CA_KEY_RSA_SMALL] = { "e_ca_key_rsa_below_3072", E,
	    "an RSA key of a new CA has at least 3072 bits, whatever the "
	    "profile says" },
	[R_CHAIN_PROFILE_MISMATCH] = { "e_chain_profile_mismatch", E,
	    "a root profile has no issuer chain, any other profile has one" },
	[R_ISSUER_NAME_MISMATCH] = { "e_issuer_name_mismatch", E,
	    "the issuer name is byte for byte the issuer's subject (the "
	    "certificate's own subject for a self-signed root)" },
	[R_ISSUER_NOT_CA] = { "e_issuer_not_ca", E,
	    "every issuer in the chain has basicConstraints cA" },
	[R_ISSUER_NO_KEYCERTSIGN] = { "e_issuer_no_keycertsign", E,
	    "every issuer in the chain with keyUsage has keyCertSign" },
	[R_SIGNING_KEY_INVALID] = { "e_signing_key_invalid", E,
	    "the signing key was given and parses" },
	[R_SIGNING_KEY_NOT_ISSUER] = { "e_signing_key_not_issuer", E,
	    "the signing key is the key of the issuer certificate (the "
	    "subject key for a self-signed root)" },
	[R_SIG_ALG_KEY_MISMATCH] = { "e_sig_alg_key_mismatch", E,
	    "the signature algorithm can be made with the issuer's key" },
	[R_AKI_MISSING] = { "e_aki_missing", E,
	    "authorityKeyIdentifier with a keyIdentifier is present, except "
	    "on a self-signed root" },
	[R_AKI_MISMATCH] = { "e_aki_mismatch", E,
	    "the authorityKeyIdentifier equals the issuer's "
	    "subjectKeyIdentifier" },
	[R_CA_SKI_MISSING] = { "e_ca_ski_missing", E,
	    "a CA certificate has a subjectKeyIdentifier" },
	[R_CA_BC_MISSING] = { "e_ca_bc_missing", E,
	    "a CA certificate has basicConstraints" },
	[R_CA_BC_NOT_CRITICAL] = { "e_ca_bc_not_critical", E,
	    "a CA certificate's basicConstraints is critical" },
	[R_CA_BC_NOT_CA] = { "e_ca_bc_not_ca", E,
	    "a CA certificate's basicConstraints asserts cA" },
	[R_CA_KU_MISSING] = { "e_ca_ku_missing", E,
	    "a CA certificate has keyUsage" },
	[R_CA_KU_NOT_CRITICAL] = { "e_ca_ku_not_critical", E,
	    "a CA certificate's keyUsage is critical" },
	[R_CA_KU_NO_KEYCERTSIGN] = { "e_ca_ku_no_keycertsign", E,
	    "a CA certificate's keyUsage has keyCertSign" },
	[R_CA_KU_NO_CRLSIGN] = { "e_ca_ku_no_crlsign", E,
	    "a CA certificate's keyUsage has cRLSign" },
	[R_CA_SUBJECT_EMPTY] = { "e_ca_subject_empty", E,
	    "a CA certificate has a non-empty subject" },
	[R_CA_HAS_EKU] = { "w_ca_has_eku", W,
	    "a CA certificate carries no extendedKeyUsage (it restricts "
	    "every certificate below in some verifiers)" },
	[R_LEAF_IS_CA] = { "e_leaf_is_ca", E,
	    "a certificate from a non-CA profile does not assert cA" },
	[R_LEAF_KU_CERT_SIGN] = { "e_leaf_ku_cert_sign", E,
	    "a certificate from a non-CA profile has neither keyCertSign nor "
	    "cRLSign" },
	[R_KU_PROFILE_MISMATCH] = { "e_ku_profile_mismatch", E,
	    "keyUsage is exactly the profile's key_usage (plus key_usage_ec "
	    "for a P-256 or P-384 key)" },
	[R_PATHLEN_ISSUER_EXHAUSTED] = { "e_pathlen_issuer_exhausted", E,
	    "no issuer's pathLenConstraint is used up at this depth" },
	[R_PATHLEN_TOO_DEEP] = { "e_pathlen_too_deep", E,
	    "a CA's pathLenConstraint is present and at most what every "
	    "issuer above leaves (issuer pathLen p allows p-1 below)" },
	[R_PATHLEN_WITHOUT_CA] = { "e_pathlen_without_ca", E,
	    "pathLenConstraint only with cA (RFC 5280 4.2.1.9)" },
	[R_EKU_PROFILE_MISMATCH] = { "e_eku_profile_mismatch", E,
	    "extendedKeyUsage is exactly the profile's set (absent when the "
	    "profile has none)" },
	[R_EKU_FIRMWARE_NO_CODESIGNING] = { "e_eku_firmware_no_codesigning", E,
	    "a firmware-signing certificate has codeSigning" },
	[R_EKU_FIRMWARE_NO_EMAIL] = { "w_eku_firmware_no_email_protection", W,
	    "a firmware-signing certificate has emailProtection (RAUC and "
	    "SWUpdate check it)" },
	[R_EKU_ANY] = { "w_eku_any", W,
	    "extendedKeyUsage does not hold anyExtendedKeyUsage" },
	[R_NC_SUBJECT_OUTSIDE] = { "e_nc_subject_outside", E,
	    "the subject is inside the directoryName constraints of every "
	    "issuer" },
	[R_NC_SAN_OUTSIDE] = { "e_nc_san_outside", E,
	    "every subjectAltName is inside the name constraints of every "
	    "issuer" },
	[R_NC_NOT_CRITICAL] = { "e_nc_not_critical", E,
	    "nameConstraints is critical (RFC 5280 4.2.1.10)" },
	[R_NC_ON_LEAF] = { "e_nc_on_leaf", E,
	    "nameConstraints appears only in CA certificates" },
	[R_SAN_NOT_ALLOWED] = { "e_san_not_allowed", E,
	    "subjectAltName only where the profile allows it (san_allowed)" },
	[R_SUBJECT_EMPTY_NO_SAN] = { "e_subject_empty_no_san", E,
	    "a certificate names its subject in the subject or a "
	    "subjectAltName" },
	[R_NAME_CONTROL] = { "e_name_control_char", E,
	    "no DN attribute or general name holds a control character (C0, "
	    "DEL, C1) or a bidirectional override or isolate (U+202A..U+202E, "
	    "U+2066..U+2069), and every value reads as its string type" },
	[R_CRL_IDP_NOT_IN_CDP] = { "e_crl_idp_not_in_cdp", E,
	    "a CRL whose issuingDistributionPoint names a URL is named by the "
	    "CRL distribution point of every certificate it covers" },
	[R_CRL_ONLY_USER_CA] = { "e_crl_only_user_covers_ca", E,
	    "a CRL marked onlyContainsUserCerts covers no CA certificate" },
	[R_CRL_ONLY_CA_LEAF] = { "e_crl_only_ca_covers_leaf", E,
	    "a CRL marked onlyContainsCACerts covers no leaf certificate" },
};

#undef E
#undef W

_Static_assert(KR_NITEMS(kr_rules) == R_COUNT, "one rule per enum value");

size_t
kr_lint_rule_count(void)
{
	return R_COUNT;
}

const char *
kr_lint_rule_id(size_t i)
{
	return i < R_COUNT ? kr_rules[i].id : NULL;
}

enum kr_lint_level
kr_lint_rule_level(size_t i)
{
	return i < R_COUNT ? kr_rules[i].level : KR_LINT_ERROR;
}

const char *
kr_lint_rule_summary(size_t i)
{
	return i < R_COUNT ? kr_rules[i].summary : NULL;
}

/* ---------------------------------------------------------------------
 * Findings
 */

struct kr_lint_ctx {
	const struct kr_lint_input	*in;
	const struct kr_cert_fields	*f;
	const struct kr_profile		*p;
	struct kr_lint_report		*r;
	bool				 is_ca;	/* a CA profile */
	bool				 root;	/* no chain */
	bool				 key_ok;
	struct kr_spki_info		 key;	/* if key_ok */
	struct kr_cert			*tbs_cert;	/* the TBS read back */
};

static void	kr_lint_add(struct kr_lint_ctx *, enum kr_rule, const char *,
		    ...) KR_PRINTF(3, 4);

/*
 * Records a finding.  The error and warning counts always grow, so a
 * report that ran out of room still refuses.
 */
static void
kr_lint_add(struct kr_lint_ctx *x, enum kr_rule rule, const char *fmt, ...)
{
	struct kr_lint_report	*r = x->r;
	struct kr_lint_finding	*f;
	va_list			 ap;

	if (kr_rules[rule].level == KR_LINT_ERROR)
		r->errors++;
	else
		r->warnings++;
	if (r->count == KR_NITEMS(r->f))
		return;
	f = &r->f[r->count++];
	snprintf(f->id, sizeof(f->id), "%s", kr_rules[rule].id);
	f->level = kr_rules[rule].level;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

static bool
kr_bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* An empty Name: nothing, or SEQUENCE {}. */
static bool
kr_name_empty(const uint8_t *p, size_t len)
{
	return len == 0 || (len == 2 && p[0] == 0x30 && p[1] == 0x00);
}

static void
kr_name_str(const uint8_t *p, size_t len, char *out, size_t cap)
{
	if (kr_name_empty(p, len))
		snprintf(out, cap, "(empty)");
	else
		kr_dn_format(p, len, out, cap);
}

static bool
kr_eku_has(const struct kr_cert_fields *f, const char *oid, size_t len)
{
	size_t	i;

	if (!f->has_eku)
		return false;
	for (i = 0; i < f->eku_count; i++)
		if (kr_oid_eq(&f->eku[i], oid, len))
			return true;
	return false;
}

#define KR_EKU_HAS(f, c)	kr_eku_has((f), (c), sizeof(c) - 1)

/* ---------------------------------------------------------------------
 * Input sanity: lengths inside their buffers (fail closed otherwise).
 */

static bool
kr_gns_sane(const struct kr_gn *gn, size_t n)
{
	size_t	i;

	if (n > KR_GN_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (gn[i].len > KR_GN_VALUE_MAX)
			return false;
	return true;
}

static bool
kr_fields_sane(const struct kr_cert_fields *f)
{
	return f->issuer_len <= KR_NAME_DER_MAX &&
	    f->subject_len <= KR_NAME_DER_MAX &&
	    f->spki_len <= KR_SPKI_MAX_BYTES &&
	    f->eku_count <= KR_OID_MAX && f->ski_len <= KR_KEYID_BYTES &&
	    f->aki_len <= KR_KEYID_BYTES && f->policies_count <= KR_OID_MAX &&
	    kr_gns_sane(f->nc_permitted, f->nc_permitted_count) &&
	    kr_gns_sane(f->nc_excluded, f->nc_excluded_count) &&
	    kr_gns_sane(f->san, f->san_count);
}

static bool
kr_input_ok(struct kr_lint_ctx *x)
{
	const struct kr_lint_input	*in = x->in;
	size_t				 i;

	if (in->fields == NULL || in->profile == NULL ||
	    (in->chain == NULL && in->chain_len > 0)) {
		kr_lint_add(x, R_LINT_INPUT, "lint was given no fields, no "
		    "profile or no issuer chain: nothing can be signed");
		return false;
	}
	for (i = 0; i < in->chain_len; i++) {
		if (in->chain[i] == NULL) {
			kr_lint_add(x, R_LINT_INPUT, "issuer chain entry %zu "
			    "is missing: nothing can be signed", i);
			return false;
		}
	}
	if (!kr_fields_sane(in->fields)) {
		kr_lint_add(x, R_LINT_INPUT, "a length in the certificate "
		    "fields overruns its buffer: this is a bug, nothing can "
		    "be signed");
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * The TBS bytes
 */

static void
kr_check_tbs_exts(struct kr_lint_ctx *x, const struct kr_cert *c)
{
	char	name[96];
	size_t	i;

	if (kr_ext_duplicate(c, &i)) {
		kr_oid_format(&c->ext_oids[i], name, sizeof(name));
		kr_lint_add(x, R_EXT_DUPLICATE, "the extension %s appears "
		    "more than once in the TBS: write each extension once",
		    name);
	}
	if (c->unknown_critical)
		kr_lint_add(x, R_EXT_UNKNOWN_CRITICAL, "the TBS has a critical "
		    "extension keyrite does not understand: remove it or make "
		    "it non-critical");
	for (i = 0; i < c->ext_count; i++)
		if (KR_OID_IS(&c->ext_oids[i], KR_OID_EXT_NC) &&
		    !c->ext_critical[i])
			kr_lint_add(x, R_NC_NOT_CRITICAL, "nameConstraints is "
			    "not marked critical: RFC 5280 requires it to be");
}

static void
kr_check_tbs_match(struct kr_lint_ctx *x)
{
	struct kr_err	 err;
	uint8_t		*tbs = NULL;
	size_t		 len = 0;

	kr_err_clear(&err);
	if (kr_tbs_build(x->f, &tbs, &len, &err) != KR_OK)
		kr_lint_add(x, R_TBS_MISMATCH, "the fields cannot be encoded, "
		    "so the TBS cannot be theirs: %s", err.msg);
	else if (!kr_bytes_eq(tbs, len, x->in->tbs, x->in->tbs_len))
		kr_lint_add(x, R_TBS_MISMATCH, "the TBS bytes (%zu) are not "
		    "the encoding of the fields checked (%zu bytes): build the "
		    "TBS again from these fields", x->in->tbs_len, len);
	free(tbs);
}

static void
kr_check_tbs(struct kr_lint_ctx *x)
{
	struct kr_cert	*c;
	struct kr_slice	 algid;
	struct kr_err	 err;

	if (x->in->tbs == NULL || x->in->tbs_len == 0) {
		kr_lint_add(x, R_TBS_MALFORMED, "no TBS bytes were given: "
		    "build the TBSCertificate, then lint it");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		kr_lint_add(x, R_TBS_MALFORMED, "out of memory reading the "
		    "TBS back");
		return;
	}
	kr_err_clear(&err);
	if (kr_tbs_parse(x->in->tbs, x->in->tbs_len, c, &algid, &err) !=
	    KR_OK) {
		kr_lint_add(x, R_TBS_MALFORMED, "the TBS does not read back "
		    "as a strict DER certificate: %s", err.msg);
		free(c);
	} else {
		kr_check_tbs_exts(x, c);
		x->tbs_cert = c;	/* its names are checked with the fields' */
	}
	kr_check_tbs_match(x);
}

/* ---------------------------------------------------------------------
 * Serial number: INTEGER contents, two's complement.
 */

static bool
kr_all_zero(const uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static void
kr_check_serial(struct kr_lint_ctx *x)
{
	const uint8_t	*s = x->f->serial;
	size_t		 n = x->f->serial_len;

	if (n > KR_SERIAL_MAX) {
		kr_lint_add(x, R_SERIAL_TOO_LONG, "the serial number is %zu "
		    "octets; RFC 5280 allows at most %d: use 16", n,
		    KR_SERIAL_MAX);
		return;
	}
	if (n == 0 || (s[0] & 0x80) != 0 || kr_all_zero(s, n))
		kr_lint_add(x, R_SERIAL_NOT_POSITIVE, "the serial number is "
		    "empty, zero or negative: use 16 random octets with the "
		    "first in 0x01..0x7f");
	if (n > 1 && ((s[0] == 0x00 && (s[1] & 0x80) == 0) ||
	    (s[0] == 0xff && (s[1] & 0x80) != 0)))
		kr_lint_add(x, R_SERIAL_NOT_MINIMAL, "the serial number starts "
		    "with a redundant 0x%02x octet: drop it", s[0]);
	if (n < 8)
		kr_lint_add(x, R_SERIAL_SHORT, "the serial number is only %zu "
		    "octets: use 16 random octets so serials cannot be "
		    "guessed", n);
}

/* ---------------------------------------------------------------------
 * Validity
 */

static void
kr_check_validity_issuers(struct kr_lint_ctx *x)
{
	const struct kr_cert	*c;
	char			 nb[KR_TIME_STR_BYTES];
	char			 na[KR_TIME_STR_BYTES];
	char			 name[128];
	size_t			 i;

	for (i = 0; i < x->in->chain_len; i++) {
		c = x->in->chain[i];
		if (x->f->not_before >= c->f.not_before &&
		    x->f->not_after <= c->f.not_after)
			continue;
		kr_time_format(c->f.not_before, nb);
		kr_time_format(c->f.not_after, na);
		kr_name_str(c->f.subject, c->f.subject_len, name,
		    sizeof(name));
		kr_lint_add(x, R_VALIDITY_OUTSIDE_ISSUER, "the validity "
		    "reaches outside that of issuer %s (%s to %s): ask for "
		    "fewer days or a later start", name, nb, na);
		return;
	}
}

static void
kr_check_validity(struct kr_lint_ctx *x)
{
	const struct kr_cert_fields	*f = x->f;
	int64_t				 span, now = x->in->now;
	int64_t				 earliest;

	span = f->not_after - f->not_before;

	if (span <= 0)
		kr_lint_add(x, R_VALIDITY_INVERTED, "notAfter is not later "
		    "than notBefore: give a positive number of days");
	else if (span > (int64_t)x->p->max_days * KR_DAY)
		kr_lint_add(x, R_VALIDITY_OVER_PROFILE, "the validity is "
		    "%lld days; profile %s allows at most %u: ask for fewer "
		    "days (--days)", (long long)((span + KR_DAY - 1) / KR_DAY),
		    x->p->name, x->p->max_days);
	kr_check_validity_issuers(x);
	earliest = now - (int64_t)x->p->backdate_max_seconds;
	if (f->not_before < earliest)
		kr_lint_add(x, R_VALIDITY_BACKDATED, "notBefore is %lld "
		    "seconds before now; profile %s allows %u: start the "
		    "validity now", (long long)(now - f->not_before),
		    x->p->name, x->p->backdate_max_seconds);
	if (f->not_after <= now)
		kr_lint_add(x, R_VALIDITY_EXPIRED, "notAfter is not in the "
		    "future: the certificate would be born expired");
	if (!x->is_ca && span > (int64_t)KR_TLS_LEAF_DAYS * KR_DAY &&
	    (KR_EKU_HAS(f, KR_OID_KP_SERVER_AUTH) ||
	    KR_EKU_HAS(f, KR_OID_KP_CLIENT_AUTH)))
		kr_lint_add(x, R_VALIDITY_LONG_TLS_LEAF, "a TLS leaf valid for "
		    "%lld days: %d or fewer is the usual limit, lower --days",
		    (long long)((span + KR_DAY - 1) / KR_DAY),
		    KR_TLS_LEAF_DAYS);
}

/* ---------------------------------------------------------------------
 * The subject key
 */

static const char *
kr_pk_name(enum kr_pk_type t)
{
	switch (t) {
	case KR_PK_EC_P256:
		return "P-256";
	case KR_PK_EC_P384:
		return "P-384";
	case KR_PK_ED25519:
		return "Ed25519";
	case KR_PK_RSA:
		return "RSA";
	}
	return "unknown";
}

static bool
kr_pk_allowed(const struct kr_profile *p, enum kr_pk_type t)
{
	switch (t) {
	case KR_PK_EC_P256:
		return p->allow_p256;
	case KR_PK_EC_P384:
		return p->allow_p384;
	case KR_PK_ED25519:
		return p->allow_ed25519;
	case KR_PK_RSA:
		return p->allow_rsa;
	}
	return false;
}

static void
kr_check_key(struct kr_lint_ctx *x)
{
	const struct kr_spki_info	*key = &x->key;
	struct kr_err			 err;

	kr_err_clear(&err);
	if (kr_spki_parse(x->f->spki, x->f->spki_len, &x->key, &err) !=
	    KR_OK) {
		kr_lint_add(x, R_KEY_INVALID, "the subject public key cannot "
		    "be used: %s", err.msg);
		return;
	}
	x->key_ok = true;
	if (!kr_pk_allowed(x->p, key->type))
		kr_lint_add(x, R_KEY_ALG_NOT_ALLOWED, "profile %s does not "
		    "allow %s keys: ask for a key of an algorithm it lists",
		    x->p->name, kr_pk_name(key->type));
	else if (key->type == KR_PK_RSA && key->bits < x->p->rsa_min_bits)
		kr_lint_add(x, R_KEY_RSA_TOO_SMALL, "an RSA key of %u bits; "
		    "profile %s needs at least %u: ask for a larger key",
		    key->bits, x->p->name, x->p->rsa_min_bits);
	if (x->is_ca && key->type == KR_PK_RSA && key->bits < KR_CA_RSA_MIN)
		kr_lint_add(x, R_CA_KEY_RSA_SMALL, "a CA key of RSA-%u: new "
		    "CAs need RSA-%d or more (or an EC or Ed25519 key)",
		    key->bits, KR_CA_RSA_MIN);
}

/* ---------------------------------------------------------------------
 * Issuer, signing key, signature algorithm
 */

/* The key algorithm standing for a key's family (RSA: any size). */
static enum kr_key_alg
kr_pk_family(enum kr_pk_type t)
{
	switch (t) {
	case KR_PK_EC_P256:
		return KR_KEY_P256;
	case KR_PK_EC_P384:
		return KR_KEY_P384;
	case KR_PK_ED25519:
		return KR_KEY_ED25519;
	case KR_PK_RSA:
		return KR_KEY_RSA3072;
	}
	return 0;
}

static void
kr_check_sig_alg(struct kr_lint_ctx *x)
{
	struct kr_spki_info	key;
	struct kr_err		err;

	kr_err_clear(&err);
	if (x->in->issuer_spki == NULL) {
		kr_lint_add(x, R_SIGNING_KEY_INVALID, "no signing key was "
		    "given: name the issuer key");
		return;
	}
	if (kr_spki_parse(x->in->issuer_spki, x->in->issuer_spki_len, &key,
	    &err) != KR_OK) {
		kr_lint_add(x, R_SIGNING_KEY_INVALID, "the signing key cannot "
		    "be used: %s", err.msg);
		return;
	}
	if (!kr_sig_alg_fits(x->f->sig_alg, kr_pk_family(key.type)))
		kr_lint_add(x, R_SIG_ALG_KEY_MISMATCH, "the signature "
		    "algorithm %s cannot be made with the issuer's %s key: "
		    "use one that fits the key", kr_sig_alg_name(x->f->sig_alg),
		    kr_pk_name(key.type));
}

static void
kr_check_root(struct kr_lint_ctx *x)
{
	const struct kr_cert_fields	*f = x->f;

	if (!x->p->self_signed)
		kr_lint_add(x, R_CHAIN_PROFILE_MISMATCH, "no issuer "
		    "certificate was given, but profile %s is not a root "
		    "profile: name the issuer", x->p->name);
	if (!kr_bytes_eq(f->issuer, f->issuer_len, f->subject,
	    f->subject_len))
		kr_lint_add(x, R_ISSUER_NAME_MISMATCH, "a self-signed root "
		    "must name itself as issuer: set the issuer to the "
		    "subject");
	if (x->in->issuer_spki != NULL && !kr_bytes_eq(x->in->issuer_spki,
	    x->in->issuer_spki_len, f->spki, f->spki_len))
		kr_lint_add(x, R_SIGNING_KEY_NOT_ISSUER, "a self-signed root "
		    "must be signed by its own key: use the root's key");
}

static void
kr_check_chain_cas(struct kr_lint_ctx *x)
{
	const struct kr_cert	*c;
	char			 name[128];
	size_t			 i;

	for (i = 0; i < x->in->chain_len; i++) {
		c = x->in->chain[i];
		kr_name_str(c->f.subject, c->f.subject_len, name,
		    sizeof(name));
		if (!c->f.has_bc || !c->f.bc_ca)
			kr_lint_add(x, R_ISSUER_NOT_CA, "issuer %s is not a CA "
			    "certificate (no basicConstraints cA): issue "
			    "under a CA", name);
		if (c->f.has_ku && (c->f.ku & KR_KU_KEY_CERT_SIGN) == 0)
			kr_lint_add(x, R_ISSUER_NO_KEYCERTSIGN, "issuer %s may "
			    "not sign certificates (no keyCertSign): issue "
			    "under a CA", name);
	}
}

static void
kr_check_issuer(struct kr_lint_ctx *x)
{
	const struct kr_cert_fields	*f = x->f, *c0;
	char				 a[128], b[128];

	kr_check_sig_alg(x);
	if (x->root) {
		kr_check_root(x);
		return;
	}
	c0 = &x->in->chain[0]->f;
	if (x->p->self_signed)
		kr_lint_add(x, R_CHAIN_PROFILE_MISMATCH, "profile %s makes "
		    "self-signed roots, but an issuer was given: use an "
		    "intermediate or leaf profile", x->p->name);
	kr_name_str(f->issuer, f->issuer_len, a, sizeof(a));
	kr_name_str(c0->subject, c0->subject_len, b, sizeof(b));
	if (!kr_bytes_eq(f->issuer, f->issuer_len, c0->subject,
	    c0->subject_len))
		kr_lint_add(x, R_ISSUER_NAME_MISMATCH, "the issuer name %s is "
		    "not byte for byte the subject of the issuer certificate "
		    "(%s): copy the issuer's subject", a, b);
	if (x->in->issuer_spki != NULL && !kr_bytes_eq(x->in->issuer_spki,
	    x->in->issuer_spki_len, c0->spki, c0->spki_len))
		kr_lint_add(x, R_SIGNING_KEY_NOT_ISSUER, "the signing key is "
		    "not the key of the issuer certificate %s: sign with that "
		    "certificate's key", b);
	kr_check_chain_cas(x);
}

/* ---------------------------------------------------------------------
 * Key identifiers
 */

/* The identifier an AKI must carry: the issuer's SKI, or its key hash. */
static bool
kr_expected_aki(struct kr_lint_ctx *x, uint8_t *id, size_t *len)
{
	const struct kr_cert_fields	*i = x->root ? x->f :
					    &x->in->chain[0]->f;

	if (i->has_ski) {
		memcpy(id, i->ski, i->ski_len);
		*len = i->ski_len;
		return true;
	}
	*len = KR_KEYID_BYTES;
	return kr_key_identifier(i->spki, i->spki_len, id) == KR_OK;
}

static void
kr_check_keyids(struct kr_lint_ctx *x)
{
	const struct kr_cert_fields	*f = x->f;
	uint8_t				 id[KR_KEYID_BYTES];
	size_t				 len = 0;
	bool				 self;

	self = x->root && kr_bytes_eq(f->issuer, f->issuer_len, f->subject,
	    f->subject_len);
	if (!f->has_aki || f->aki_len == 0) {
		if (!self)
			kr_lint_add(x, R_AKI_MISSING, "no "
			    "authorityKeyIdentifier keyIdentifier: add the "
			    "issuer's subjectKeyIdentifier as AKI");
	} else if (!kr_expected_aki(x, id, &len) ||
	    !kr_bytes_eq(f->aki, f->aki_len, id, len))
		kr_lint_add(x, R_AKI_MISMATCH, "the authorityKeyIdentifier is "
		    "not the issuer's subjectKeyIdentifier: copy the issuer's "
		    "SKI");
	if (x->is_ca && (!f->has_ski || f->ski_len == 0))
		kr_lint_add(x, R_CA_SKI_MISSING, "a CA certificate without "
		    "subjectKeyIdentifier: add the SHA-1 of its key");
}

/* ---------------------------------------------------------------------
 * CA and leaf extensions
 */

static void
kr_check_ca_ku(struct kr_lint_ctx *x)
{
	const struct kr_cert_fields	*f = x->f;

	if (!f->has_ku) {
		kr_lint_add(x, R_CA_KU_MISSING, "a CA certificate without "
		    "keyUsage: add keyUsage keyCertSign, cRLSign (critical)");
		return;
	}
	if (!f->ku_critical)
		kr_lint_add(x, R_CA_KU_NOT_CRITICAL, "keyUsage of a CA is not "
		    "critical: mark it critical");
	if ((f->ku & KR_KU_KEY_CERT_SIGN) == 0)
		kr_lint_add(x, R_CA_KU_NO_KEYCERTSIGN, "keyUsage of a CA lacks "
		    "keyCertSign: add it to the profile's key_usage");
	if ((f->ku & KR_KU_CRL_SIGN) == 0)
		kr_lint_add(x, R_CA_KU_NO_CRLSIGN, "keyUsage of a CA lacks "
		    "cRLSign: add it to the profile's key_usage");
}

static void
kr_check_ca(struct kr_lint_ctx *x)
{
	const struct kr_cert_fields	*f = x->f;

	if (!f->has_bc)
		kr_lint_add(x, R_CA_BC_MISSING, "a CA certificate without "
		    "basicConstraints: add basicConstraints cA (critical)");
	else {
		if (!f->bc_critical)
			kr_lint_add(x, R_CA_BC_NOT_CRITICAL, "basicConstraints "
			    "of a CA is not critical: mark it critical");
		if (!f->bc_ca)
			kr_lint_add(x, R_CA_BC_NOT_CA, "basicConstraints of a "
			    "CA does not assert cA: set cA TRUE");
	}
	kr_check_ca_ku(x);
	if (kr_name_empty(f->subject, f->subject_len))
		kr_lint_add(x, R_CA_SUBJECT_EMPTY, "a CA certificate with an "
		    "empty subject: give it a distinguished name");
	if (f->has_eku)
		kr_lint_add(x, R_CA_HAS_EKU, "a CA certificate with "
		    "extendedKeyUsage restricts everything below it in some "
		    "verifiers: remove eku from the profile unless intended");
}

static void
kr_check_leaf(struct kr_lint_ctx *x)
{
	const struct kr_cert_fields	*f = x->f;

	if (f->has_bc && f->bc_ca)
		kr_lint_add(x, R_LEAF_IS_CA, "profile %s issues end-entity "
		    "certificates, but cA is set: use a CA profile or clear "
		    "cA", x->p->name);
	if (f->has_ku && (f->ku & (KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN)))
		kr_lint_add(x, R_LEAF_KU_CERT_SIGN, "an end-entity certificate "
		    "with keyCertSign or cRLSign: remove them from key_usage");
	if (f->has_nc)
		kr_lint_add(x, R_NC_ON_LEAF, "nameConstraints on an "
		    "end-entity certificate: remove them from the profile");
}

/* The profile's key_usage, plus key_usage_ec for a P-256/P-384 key. */
static void
kr_check_ku_profile(struct kr_lint_ctx *x)
{
	const struct kr_cert_fields	*f = x->f;
	uint16_t			 want = x->p->key_usage;

	if (x->key_ok && (x->key.type == KR_PK_EC_P256 ||
	    x->key.type == KR_PK_EC_P384))
		want |= x->p->key_usage_ec;
	if (want == 0)
		return;
	if (!f->has_ku || f->ku != want)
		kr_lint_add(x, R_KU_PROFILE_MISMATCH, "keyUsage 0x%04x is not "
		    "the 0x%04x profile %s fixes for this key: build it from "
		    "the profile", f->has_ku ? f->ku : 0, want, x->p->name);
}

/* ---------------------------------------------------------------------
 * pathLenConstraint: issuer chain[i] with pathLen p has i CAs below it
 * already, so it leaves room for p - i more CA certificates here.
 */

static void
kr_check_pathlen(struct kr_lint_ctx *x)
{
	const struct kr_cert_fields	*f = x->f, *c;
	bool				 new_ca = x->is_ca ||
					    (f->has_bc && f->bc_ca);
	int				 room = INT_MAX, r;
	size_t				 i, at = 0;
	char				 name[128];

	if (f->has_bc && !f->bc_ca && f->bc_pathlen >= 0)
		kr_lint_add(x, R_PATHLEN_WITHOUT_CA, "pathLenConstraint "
		    "without cA: remove pathlen or set cA");
	for (i = 0; i < x->in->chain_len; i++) {
		c = &x->in->chain[i]->f;
		if (!c->has_bc || c->bc_pathlen < 0)
			continue;
		if ((r = c->bc_pathlen - (int)i) < room)
			room = r, at = i;
	}
	if (room == INT_MAX)
		return;
	c = &x->in->chain[at]->f;
	kr_name_str(c->subject, c->subject_len, name, sizeof(name));
	if (room < (new_ca ? 1 : 0))
		kr_lint_add(x, R_PATHLEN_ISSUER_EXHAUSTED, "issuer %s has "
		    "pathLen %d, which leaves no room for %s at this depth: "
		    "issue under a CA higher up", name, c->bc_pathlen,
		    new_ca ? "another CA" : "this chain");
	else if (new_ca && (f->bc_pathlen < 0 || f->bc_pathlen > room - 1))
		kr_lint_add(x, R_PATHLEN_TOO_DEEP, "pathLen %d here, but "
		    "issuer %s (pathLen %d) allows at most %d below this "
		    "certificate: set pathlen to %d or less in the profile",
		    f->bc_pathlen, name, c->bc_pathlen, room - 1, room - 1);
}

/* ---------------------------------------------------------------------
 * extendedKeyUsage
 */

static bool
kr_eku_matches_profile(const struct kr_cert_fields *f,
    const struct kr_profile *p)
{
	size_t	i;

	if (!f->has_eku)
		return p->eku_count == 0;
	if (f->eku_count != p->eku_count)
		return false;
	for (i = 0; i < p->eku_count; i++)
		if (!kr_eku_has(f, (const char *)p->eku[i].der, p->eku[i].len))
			return false;
	return true;
}

static void
kr_check_eku(struct kr_lint_ctx *x)
{
	const struct kr_cert_fields	*f = x->f;

	if (!kr_eku_matches_profile(f, x->p))
		kr_lint_add(x, R_EKU_PROFILE_MISMATCH, "extendedKeyUsage (%zu "
		    "purposes) is not the set profile %s fixes (%zu "
		    "purposes): build it from the profile",
		    f->has_eku ? f->eku_count : 0, x->p->name,
		    x->p->eku_count);
	if (strcmp(x->p->name, "firmware-signing") == 0) {
		if (!KR_EKU_HAS(f, KR_OID_KP_CODE_SIGNING))
			kr_lint_add(x, R_EKU_FIRMWARE_NO_CODESIGNING, "a "
			    "firmware-signing certificate without codeSigning: "
			    "add codeSigning to the profile's eku");
		if (!KR_EKU_HAS(f, KR_OID_KP_EMAIL))
			kr_lint_add(x, R_EKU_FIRMWARE_NO_EMAIL, "a "
			    "firmware-signing certificate without "
			    "emailProtection: RAUC and SWUpdate will refuse "
			    "it; add emailProtection to the profile's eku");
	}
	if (KR_EKU_HAS(f, KR_OID_ANY_EKU))
		kr_lint_add(x, R_EKU_ANY, "extendedKeyUsage holds "
		    "anyExtendedKeyUsage, which allows every purpose: list "
		    "the purposes instead");
}

static void
kr_check_nc(struct kr_lint_ctx *x)
{
	const struct kr_cert_fields	*f = x->f, *c;
	char				 name[128], gn[128];
	size_t				 i, k;

	for (i = 0; i < x->in->chain_len; i++) {
		c = &x->in->chain[i]->f;
		if (!c->has_nc)
			continue;
		kr_name_str(c->subject, c->subject_len, name, sizeof(name));
		if (!kr_name_empty(f->subject, f->subject_len) &&
		    !kr_nc_check(c, KR_GN_DIRNAME, f->subject, f->subject_len))
			kr_lint_add(x, R_NC_SUBJECT_OUTSIDE, "the subject is "
			    "outside the directoryName constraints of issuer "
			    "%s: choose a subject under its permitted names",
			    name);
		for (k = 0; f->has_san && k < f->san_count; k++) {
			if (kr_nc_permits(c, &f->san[k]))
				continue;
			kr_gn_format(&f->san[k], gn, sizeof(gn));
			kr_lint_add(x, R_NC_SAN_OUTSIDE, "the name %s is "
			    "outside the name constraints of issuer %s: remove "
			    "it or issue under another CA", gn, name);
		}
	}
}

static void
kr_check_san(struct kr_lint_ctx *x)
{
	const struct kr_cert_fields	*f = x->f;

	if (f->has_san && !x->p->san_allowed)
		kr_lint_add(x, R_SAN_NOT_ALLOWED, "profile %s does not allow "
		    "subjectAltName: drop the --san names or use another "
		    "profile", x->p->name);
	if (kr_name_empty(f->subject, f->subject_len) &&
	    (!f->has_san || f->san_count == 0))
		kr_lint_add(x, R_SUBJECT_EMPTY_NO_SAN, "neither a subject nor "
		    "a subjectAltName: give a subject (--subject) or a name "
		    "(--san)");
}

/* ---------------------------------------------------------------------
 * Names a person reads: no controls, no bidi overrides or isolates.
 */

/* Describes what is wrong with one name; false if nothing is. */
static bool
kr_dn_text_bad(const uint8_t *der, size_t len, char *out, size_t cap)
{
	struct kr_dn_text	t;

	if (kr_dn_text_ok(der, len, &t))
		return false;
	if (t.bad_encoding)
		snprintf(out, cap, "attribute %s is not a valid %s", t.attr,
		    t.type);
	else
		snprintf(out, cap, "attribute %s holds the %s U+%04X", t.attr,
		    kr_cp_is_bidi_control(t.cp) ? "bidirectional control" :
		    "control character", (unsigned)t.cp);
	return true;
}

static bool
kr_gn_text_bad(const struct kr_gn *gn, char *out, size_t cap)
{
	size_t	i;

	switch (gn->type) {
	case KR_GN_DIRNAME:
		return kr_dn_text_bad(gn->value, gn->len, out, cap);
	case KR_GN_DNS:
	case KR_GN_EMAIL:
	case KR_GN_URI:
		for (i = 0; i < gn->len && i < KR_GN_VALUE_MAX; i++)
			if (kr_cp_is_control(gn->value[i])) {
				snprintf(out, cap, "it holds the control "
				    "character U+%04X", gn->value[i]);
				return true;
			}
		return false;
	default:
		return false;	/* addresses are not text */
	}
}

static void
kr_name_control_add(struct kr_lint_ctx *x, const char *where,
    const char *what, const char *src)
{
	kr_lint_add(x, R_NAME_CONTROL, "%s%s: %s; such names can show one "
	    "thing on screen and hold another: ask for a request or name "
	    "without it", src, where, what);
}

/* Each of `n` general names; `what` names the list ("subjectAltName"). */
static bool
kr_check_gns_text(struct kr_lint_ctx *x, const struct kr_gn *gn, size_t n,
    const char *what, const char *src)
{
	char	bad[160], where[48];
	size_t	i;
	bool	found = false;

	for (i = 0; i < n && i < KR_GN_MAX; i++)
		if (kr_gn_text_bad(&gn[i], bad, sizeof(bad))) {
			snprintf(where, sizeof(where), "%s %zu", what, i + 1);
			kr_name_control_add(x, where, bad, src);
			found = true;
		}
	return found;
}

/*
 * The subject, every subjectAltName and every name constraint subtree of
 * `f`; `src` says which copy is checked (the fields, or the TBS bytes).
 * Returns whether anything was found.
 */
static bool
kr_check_names_of(struct kr_lint_ctx *x, const struct kr_cert_fields *f,
    const char *src)
{
	char	bad[160];
	bool	found = false;

	if (kr_dn_text_bad(f->subject, f->subject_len, bad, sizeof(bad))) {
		kr_name_control_add(x, "the subject", bad, src);
		found = true;
	}
	if (f->has_san)
		found |= kr_check_gns_text(x, f->san, f->san_count,
		    "subjectAltName", src);
	if (f->has_nc) {
		found |= kr_check_gns_text(x, f->nc_permitted,
		    f->nc_permitted_count, "permitted name constraint", src);
		found |= kr_check_gns_text(x, f->nc_excluded,
		    f->nc_excluded_count, "excluded name constraint", src);
	}
	return found;
}

static void
kr_check_names(struct kr_lint_ctx *x)
{
	/* the TBS copy only speaks when the fields were clean */
	if (!kr_check_names_of(x, x->f, "") && x->tbs_cert != NULL)
		(void)kr_check_names_of(x, &x->tbs_cert->f,
		    "in the TBS bytes, ");
}

/* ---------------------------------------------------------------------
 * Running
 */

void
kr_lint_run(const struct kr_lint_input *in, struct kr_lint_report *r)
{
	struct kr_lint_ctx	x;

	memset(r, 0, sizeof(*r));
	memset(&x, 0, sizeof(x));
	x.in = in;
	x.r = r;
	if (in == NULL) {
		kr_lint_add(&x, R_LINT_INPUT, "lint was given nothing to "
		    "check: nothing can be signed");
		return;
	}
	if (!kr_input_ok(&x))
		return;
	x.f = in->fields;
	x.p = in->profile;
	x.is_ca = x.p->is_ca;
	x.root = in->chain_len == 0;
	kr_check_tbs(&x);
	kr_check_serial(&x);
	kr_check_validity(&x);
	kr_check_key(&x);
	kr_check_issuer(&x);
	kr_check_keyids(&x);
	if (x.is_ca)
		kr_check_ca(&x);
	else
		kr_check_leaf(&x);
	kr_check_ku_profile(&x);
	kr_check_pathlen(&x);
	kr_check_eku(&x);
	kr_check_nc(&x);
	kr_check_san(&x);
	kr_check_names(&x);
	free(x.tbs_cert);
}

/* ---------------------------------------------------------------------
 * A CRL's scope, against each certificate it covers
 */

static void
kr_lint_crl_add(struct kr_lint_report *r, enum kr_rule rule,
    const struct kr_cert *c, const char *fmt, ...) KR_PRINTF(4, 5);

static void
kr_lint_crl_add(struct kr_lint_report *r, enum kr_rule rule,
    const struct kr_cert *c, const char *fmt, ...)
{
	struct kr_lint_finding	*f;
	char			 serial[2 * KR_SERIAL_MAX + 1], what[160];
	va_list			 ap;

	r->errors++;
	if (r->count == KR_NITEMS(r->f))
		return;
	f = &r->f[r->count++];
	(void)snprintf(f->id, sizeof(f->id), "%s", kr_rules[rule].id);
	f->level = kr_rules[rule].level;
	kr_hex_encode(serial, c->f.serial, c->f.serial_len);
	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	(void)snprintf(f->msg, sizeof(f->msg), "certificate %s %s", serial,
	    what);
}

static bool
kr_cdp_names(const struct kr_cert *c, const char *uri)
{
	size_t	i;

	for (i = 0; c->f.has_crldp && i < c->f.crldp_count; i++)
		if (strcmp(c->f.crldp[i], uri) == 0)
			return true;
	return false;
}

void
kr_lint_crl_cert(const struct kr_crl_fields *crl, const struct kr_cert *c,
    struct kr_lint_report *r)
{
	bool	ca = c->f.has_bc && c->f.bc_ca;

	if (!crl->has_idp)
		return;
	if (crl->idp_only_user && ca)
		kr_lint_crl_add(r, R_CRL_ONLY_USER_CA, c, "is a CA "
		    "certificate, and the CRL says it covers leaves only "
		    "(onlyContainsUserCerts)");
	if (crl->idp_only_ca && !ca)
		kr_lint_crl_add(r, R_CRL_ONLY_CA_LEAF, c, "is a leaf "
		    "certificate, and the CRL says it covers CAs only "
		    "(onlyContainsCACerts)");
	if (crl->idp_uri[0] != '\0' && !kr_cdp_names(c, crl->idp_uri))
		kr_lint_crl_add(r, R_CRL_IDP_NOT_IN_CDP, c, "%s%.64s, not "
		    "this CRL's %.64s", c->f.has_crldp ? "names the CRL "
		    "distribution point " : "names no CRL distribution point",
		    c->f.has_crldp && c->f.crldp_count > 0 ? c->f.crldp[0] :
		    "", crl->idp_uri);
}
