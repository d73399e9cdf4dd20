/*
 * keyrite x509: certificates and requests, built and parsed by keyrite
 * itself on Mbed TLS's asn1write/asn1parse (Mbed TLS's x509write cannot
 * sign with a token key or Ed25519, and its parser cannot read Ed25519).
 *
 *   name.c      Distinguished Names: "CN=...,O=...,C=..." <-> DER
 *   gn.c        general names: "dns:...", "ip:..." <-> DER
 *   sigalg.c    signature AlgorithmIdentifiers, written and read
 *   build.c     TBSCertificate and Certificate
 *   parse.c     Certificate parser (and the input, Name, SPKI readers)
 *   ext.c       certificate extension decoders
 *   csr.c       PKCS#10 CSR parser
 *   profile.c   certificate profiles (policy/<name>.yaml)
 *   lint.c      rules run on a TBS before it is signed (docs/lint.md)
 *   nc.c        name-constraint matching (RFC 5280 4.2.1.10)
 *   crl*.c, ocsp.c, index.c   revocation formats (keyrite/crl.h)
 *
 * DER itself (reader, writer, times, OIDs) is src/der (keyrite/der.h).
 */
#ifndef KEYRITE_X509_H
#define KEYRITE_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/der.h>
#include <keyrite/policy.h>

#define KR_CERT_MAX		(64 * 1024)	/* certificates we read */
#define KR_CSR_MAX		(64 * 1024)	/* requests we read */
#define KR_SERIAL_MAX		20
#define KR_KEYID_BYTES		20		/* SHA-1 of the key, RFC 5280 4.2.1.2 (1) */
#define KR_NAME_DER_MAX		1024		/* a DER Name */
#define KR_GN_VALUE_MAX		256		/* one general name's value */
#define KR_GN_MAX		16		/* general names in one list */
#define KR_OID_MAX		16		/* OIDs in one list */
#define KR_URI_MAX		256

/* Distinguished Names. */

/*
 * Encodes "CN=Example Root,O=Example,C=DE" as a DER Name, one RDN per
 * attribute, in the order written.  Attributes: C, ST, L, O, OU, CN,
 * serialNumber, DC, emailAddress.  C and serialNumber are PrintableString
 * (checked), the others UTF8String.  "\," and "\\" escape.  Result is
 * malloc'd.
 */
int		 kr_dn_encode(const char *, uint8_t **, size_t *,
		    struct kr_err *) KR_WUR;
/* Renders a DER Name for display ("CN=...,O=...,C=..."), never failing. */
/*
 * The value of the one attribute named `attr` ("CN", "serialNumber") in a
 * DER Name: KR_ENOENT absent, KR_EEXIST twice, KR_EINPUT malformed.
 */
int		 kr_dn_value(const uint8_t *der, size_t len, const char *attr,
		    char *out, size_t cap) KR_WUR;
void		 kr_dn_format(const uint8_t *der, size_t len, char *out,
		    size_t outsz);

/* General names (subjectAltName, nameConstraints). */
enum kr_gn_type {
	KR_GN_DNS = 1,		/* dNSName [2] */
	KR_GN_IP,		/* iPAddress [7]: 4 or 16 bytes; in constraints 8 or 32 */
	KR_GN_EMAIL,		/* rfc822Name [1] */
	KR_GN_URI,		/* uniformResourceIdentifier [6] */
	KR_GN_DIRNAME,		/* directoryName [4]: a DER Name */
};

struct kr_gn {
	enum kr_gn_type	type;
	uint8_t		value[KR_GN_VALUE_MAX];	/* text (no NUL), address or Name */
	size_t		len;
};

/*
 * Parses "dns:example.com", "ip:192.0.2.1", "ip:2001:db8::1",
 * "email:a@example.com", "uri:https://...", "dirname:CN=...".  In a name
 * constraint an IP takes a prefix: "ip:10.0.0.0/8".
 */
int		 kr_gn_parse(const char *, bool, struct kr_gn *,
		    struct kr_err *) KR_WUR;
void		 kr_gn_format(const struct kr_gn *, char *, size_t);

/* keyUsage bits (RFC 5280 4.2.1.3), as bit masks. */
#define KR_KU_DIGITAL_SIGNATURE	0x0001
#define KR_KU_NON_REPUDIATION	0x0002
#define KR_KU_KEY_ENCIPHERMENT	0x0004
#define KR_KU_DATA_ENCIPHERMENT	0x0008
#define KR_KU_KEY_AGREEMENT	0x0010
#define KR_KU_KEY_CERT_SIGN	0x0020
#define KR_KU_CRL_SIGN		0x0040
/* "digitalSignature, keyCertSign, cRLSign": the bits set, by name. */
void		 kr_ku_format(uint16_t, char *, size_t);

/*
 * Everything a certificate says, as keyrite builds it and as the parser
 * reports it back.  Absent extensions have their `has_` flag false.
 */
struct kr_cert_fields {
	uint8_t			serial[KR_SERIAL_MAX];
	size_t			serial_len;
	enum kr_sig_alg		sig_alg;	/* signature algorithm of the issuer */
	uint8_t			issuer[KR_NAME_DER_MAX];
	size_t			issuer_len;
	uint8_t			subject[KR_NAME_DER_MAX];
	size_t			subject_len;
	int64_t			not_before;
	int64_t			not_after;
	uint8_t			spki[KR_SPKI_MAX_BYTES];
	size_t			spki_len;

	bool			has_bc;		/* basicConstraints (critical) */
	bool			bc_critical;
	bool			bc_ca;
	int			bc_pathlen;	/* -1: absent */
	bool			has_ku;		/* keyUsage (critical) */
	bool			ku_critical;
	uint16_t		ku;
	bool			has_eku;
	struct kr_oid		eku[KR_OID_MAX];
	size_t			eku_count;
	bool			has_ski;
	uint8_t			ski[KR_KEYID_BYTES];
	size_t			ski_len;
	bool			has_aki;
	uint8_t			aki[KR_KEYID_BYTES];
	size_t			aki_len;
	bool			has_nc;		/* nameConstraints (critical) */
	struct kr_gn		nc_permitted[KR_GN_MAX];
	size_t			nc_permitted_count;
	struct kr_gn		nc_excluded[KR_GN_MAX];
	size_t			nc_excluded_count;
	bool			has_policies;
	struct kr_oid		policies[KR_OID_MAX];
	size_t			policies_count;
	char			cps_uri[KR_URI_MAX];	/* qualifier on the first policy */
	bool			has_crldp;
	char			crldp[4][KR_URI_MAX];
	size_t			crldp_count;
	bool			has_aia;
	char			aia_ca_issuers[4][KR_URI_MAX];
	size_t			aia_count;
	char			aia_ocsp[4][KR_URI_MAX];	/* id-ad-ocsp */
	size_t			aia_ocsp_count;
	bool			has_san;
	struct kr_gn		san[KR_GN_MAX];
	size_t			san_count;
};

/* SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 method 1). */
int		 kr_key_identifier(const uint8_t *spki, size_t len,
		    uint8_t *out) KR_WUR;

/*
 * Encodes the TBSCertificate for `f` (v3, extensions in a fixed order:
 * basicConstraints, keyUsage, extendedKeyUsage, subjectKeyIdentifier,
 * authorityKeyIdentifier, nameConstraints, certificatePolicies,
 * cRLDistributionPoints, authorityInfoAccess, subjectAltName).  notBefore
 * and notAfter are UTCTime through 2049 and GeneralizedTime after.
 */
int		 kr_tbs_build(const struct kr_cert_fields *, uint8_t **, size_t *,
		    struct kr_err *) KR_WUR;
/*
 * The fields of a TBSCertificate alone (a prepared request's), read as
 * strictly as a certificate's; trailing bytes and a repeated extension
 * are refused.
 */
int		 kr_tbs_fields(const uint8_t *, size_t, struct kr_cert_fields *,
		    struct kr_err *) KR_WUR;
/* Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signatureValue }. */
int		 kr_cert_assemble(const uint8_t *tbs, size_t tbslen,
		    enum kr_sig_alg alg, const uint8_t *sig, size_t siglen,
		    uint8_t **out, size_t *outlen, struct kr_err *err) KR_WUR;
/* AlgorithmIdentifier DER for a signature algorithm (PSS with params). */
int		 kr_sig_alg_id(enum kr_sig_alg, uint8_t *, size_t, size_t *)
		    KR_WUR;

/* A parsed certificate: slices point into `der`, which it owns. */
struct kr_cert {
	uint8_t			*der;
	size_t			 der_len;
	struct kr_slice		 tbs;
	struct kr_slice		 sig;		/* signatureValue contents */
	struct kr_cert_fields	 f;
	struct kr_oid		 ext_oids[64];	/* every extension, in order */
	bool			 ext_critical[64];
	size_t			 ext_count;
	bool			 unknown_critical;	/* a critical extension we do not know */
};

/*
 * Parses a DER or PEM certificate strictly (DER rules, v3, both signature
 * AlgorithmIdentifiers equal, no trailing bytes, at most KR_CERT_MAX).
 * `label` names the input in messages.
 */
int		 kr_cert_parse(const char *label, const uint8_t *in, size_t len,
		    struct kr_cert **out, struct kr_err *err) KR_WUR;
void		 kr_cert_free(struct kr_cert **);
/* Verifies `cert`'s signature with an issuer's SPKI. */
int		 kr_cert_verify_signature(const struct kr_cert *,
		    const uint8_t *, size_t, struct kr_err *) KR_WUR;

/* A parsed PKCS#10 request (RFC 2986). */
struct kr_csr {
	uint8_t			*der;
	size_t			 der_len;
	struct kr_slice		 info;		/* CertificationRequestInfo */
	struct kr_slice		 subject;	/* DER Name */
	struct kr_slice		 spki;
	enum kr_sig_alg		 sig_alg;
	struct kr_slice		 sig;
	bool			 has_ext_request;	/* extensionRequest attribute */
	struct kr_cert_fields	 requested;	/* what the extensionRequest asks */
};

/*
 * Parses a PEM or DER CSR (ECDSA, RSA or Ed25519 key) and checks its
 * signature with its own key.  Refuses more than KR_CSR_MAX bytes.
 */
int		 kr_csr_parse(const char *label, const uint8_t *in, size_t len,
		    struct kr_csr **out, struct kr_err *err) KR_WUR;
/*
 * The same without the signature check, only for bytes whose SHA-256 is
 * that of a request kr_csr_parse accepted (a batch reads each twice).
 */
int		 kr_csr_parse_again(const char *label, const uint8_t *in,
		    size_t len, struct kr_csr **out, struct kr_err *err) KR_WUR;
void		 kr_csr_free(struct kr_csr **);

/* Certificate profiles (policy/<name>.yaml; docs/profiles.md). */
#define KR_PROFILE_NAME_MAX	32

enum kr_subject_field {
	KR_SUBJ_CN = 0x01, KR_SUBJ_O = 0x02, KR_SUBJ_OU = 0x04,
	KR_SUBJ_C = 0x08, KR_SUBJ_ST = 0x10, KR_SUBJ_L = 0x20,
	KR_SUBJ_SERIAL = 0x40, KR_SUBJ_DC = 0x80, KR_SUBJ_EMAIL = 0x100,
};

struct kr_profile {
	char		name[KR_PROFILE_NAME_MAX + 1];
	bool		is_ca;
	bool		self_signed;		/* a root profile */
	int		pathlen;		/* -1: no limit written */
	uint16_t	key_usage;
	uint16_t	key_usage_ec;		/* added for P-256/P-384 subject keys */
	struct kr_oid	eku[KR_OID_MAX];
	size_t		eku_count;
	/* Allowed subject keys: algorithm and RSA minimum size. */
	bool		allow_p256, allow_p384, allow_ed25519, allow_rsa;
	unsigned	rsa_min_bits;
	unsigned	max_days;
	unsigned	default_days;
	unsigned	backdate_max_seconds;	/* 0: no backdating */
	struct kr_gn	nc_permitted[KR_GN_MAX];
	size_t		nc_permitted_count;
	struct kr_gn	nc_excluded[KR_GN_MAX];
	size_t		nc_excluded_count;
	struct kr_oid	policies[KR_OID_MAX];
	size_t		policies_count;
	char		cps_uri[KR_URI_MAX];
	char		crldp[4][KR_URI_MAX];
	size_t		crldp_count;
	char		aia_ca_issuers[4][KR_URI_MAX];
	size_t		aia_count;
	char		aia_ocsp[4][KR_URI_MAX];
	size_t		aia_ocsp_count;
	unsigned	subject_from_request;	/* enum kr_subject_field bits */
	bool		san_allowed;		/* SANs for leaves */
	bool		san_from_request;	/* take SANs the CSR asks for */
	uint8_t		sha256[32];		/* of the file, its version */
	char		device_id[16];	/* "serialNumber" (default) or "CN" */
};

/*
 * Loads <dir>/<name>.yaml, `dir` being the folder of policy files (the
 * state folder's policy/); strict: unknown keys are errors.
 */
int		 kr_profile_load(const char *dir, const char *name,
		    struct kr_profile *p, struct kr_err *err) KR_WUR;
/*
 * Parses a profile from memory: `label` names it in messages, `name` is
 * the name the file must declare (NULL: `label`'s file name minus .yaml).
 */
int		 kr_profile_parse(const char *label, const char *name,
		    const uint8_t *data, size_t len, struct kr_profile *p,
		    struct kr_err *err) KR_WUR;

/* Lint (docs/lint.md). */
enum kr_lint_level {
	KR_LINT_ERROR = 1,	/* refuses the issuance */
	KR_LINT_WARN,		/* shown; needs --accept-warnings */
};

struct kr_lint_finding {
	char			id[48];		/* "e_ca_bc_not_critical" */
	enum kr_lint_level	level;
	char			msg[256];
};

struct kr_lint_report {
	struct kr_lint_finding	f[64];
	size_t			count;
	size_t			errors;
	size_t			warnings;
};

/*
 * What the lint looks at: the fields to be signed, their TBS encoding
 * (parsed again, so duplicates and encodings are checked on the bytes that
 * will be signed), the profile, the issuer chain from the direct issuer up
 * to the root (empty for a self-signed root), the key that will sign, and
 * the time of issuance.
 */
struct kr_lint_input {
	const struct kr_cert_fields	 *fields;
	const uint8_t			 *tbs;
	size_t				  tbs_len;
	const struct kr_profile		 *profile;
	const struct kr_cert *const	 *chain;	/* [0] = direct issuer */
	size_t				  chain_len;
	const uint8_t			 *issuer_spki;	/* signing key */
	size_t				  issuer_spki_len;
	int64_t				  now;
};

void		 kr_lint_run(const struct kr_lint_input *,
		    struct kr_lint_report *);
/* The rule table, for docs/lint.md and the tests. */
size_t		 kr_lint_rule_count(void);
const char	*kr_lint_rule_id(size_t);
enum kr_lint_level kr_lint_rule_level(size_t);
const char	*kr_lint_rule_summary(size_t);

/* Name constraints: is `gn` (or a subject Name) inside the constraints? */
bool		 kr_nc_permits(const struct kr_cert_fields *,
		    const struct kr_gn *);

#endif /* KEYRITE_X509_H */
