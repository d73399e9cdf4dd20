/*
 * keyrite x509 revocation formats: X.509 v2 CRLs (RFC 5280 section 5),
 * pre-signed OCSP responses (RFC 6960) and OpenSSL's `openssl ca`
 * index.txt, for migration.  Part of the x509 module (src/x509/crl.c,
 * crl_build.c, crl_parse.c, ocsp.c, index.c).
 *
 * CRLs are built and read as streams: entries come from (or go to) a
 * callback, so memory stays bounded by the output buffer alone, whatever
 * the number of entries.
 */
#ifndef KEYRITE_CRL_H
#define KEYRITE_CRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/x509.h>

#define KR_CRL_NUMBER_MAX	20	/* octets, RFC 5280 5.2.3 */
#define KR_CRL_FILE_MAX		((size_t)512 * 1024 * 1024)

/* RFC 5280 CRLReason codes; KR_REASON_NONE writes no reasonCode. */
enum kr_reason {
	KR_REASON_NONE = -1,
	KR_REASON_UNSPECIFIED = 0,
	KR_REASON_KEY_COMPROMISE = 1,
	KR_REASON_CA_COMPROMISE = 2,
	KR_REASON_AFFILIATION_CHANGED = 3,
	KR_REASON_SUPERSEDED = 4,
	KR_REASON_CESSATION = 5,
	KR_REASON_CERTIFICATE_HOLD = 6,
	KR_REASON_REMOVE_FROM_CRL = 8,	/* delta CRLs only */
	KR_REASON_PRIVILEGE_WITHDRAWN = 9,
	KR_REASON_AA_COMPROMISE = 10,
};

/* "keyCompromise" ... (RFC 5280 names); "unspecified" gives NONE. */
int		 kr_reason_from_name(const char *, enum kr_reason *) KR_WUR;
const char	*kr_reason_name(enum kr_reason);

struct kr_crl_entry {
	uint8_t		serial[KR_SERIAL_MAX];
	size_t		serial_len;		/* minimal, positive */
	int64_t		revoked_at;
	enum kr_reason	reason;
	int64_t		invalidity;		/* 0: no invalidityDate */
};

/*
 * The next entry to write: returns 1 with *out filled, 0 at the end, or a
 * negative KR_E* code (with err set) to abandon the build.  Entries must
 * come in the order they are to be written.
 */
typedef int kr_crl_next(void *, struct kr_crl_entry *, struct kr_err *);

struct kr_crl_fields {
	enum kr_sig_alg	sig_alg;
	uint8_t		issuer[KR_NAME_DER_MAX];	/* byte-equal to the issuer's subject */
	size_t		issuer_len;
	int64_t		this_update;
	int64_t		next_update;
	uint8_t		number[KR_CRL_NUMBER_MAX];	/* cRLNumber, minimal positive */
	size_t		number_len;
	uint8_t		aki[KR_KEYID_BYTES];		/* authorityKeyIdentifier */
	size_t		aki_len;
	/* issuingDistributionPoint (critical), when has_idp */
	bool		has_idp;
	char		idp_uri[KR_URI_MAX];		/* "" : none */
	bool		idp_only_ca;			/* onlyContainsCACerts */
	bool		idp_only_user;			/* onlyContainsUserCerts */
	/* deltaCRLIndicator (critical), when is_delta */
	bool		is_delta;
	uint8_t		base_number[KR_CRL_NUMBER_MAX];
	size_t		base_number_len;
	/* freshestCRL (a base CRL pointing at its delta) */
	char		freshest_uri[KR_URI_MAX];	/* "" : none */
	/* Expected number of entries, to size the buffer once (0: unknown). */
	size_t		entries_hint;
};

/*
 * Lint of a CRL's scope against one certificate it covers (one of its
 * issuer's certificates that has not expired), before the CRL is signed:
 * the issuingDistributionPoint's URL must be in the certificate's CRL
 * distribution point, and onlyContainsUserCerts / onlyContainsCACerts
 * must hold for it (docs/lint.md).  Findings are added to `r`.
 */
void		 kr_lint_crl_cert(const struct kr_crl_fields *,
		    const struct kr_cert *, struct kr_lint_report *);

/*
 * A CRL under construction.  The buffer holds the whole CRL; the TBS is a
 * contiguous slice of it, to be signed, after which kr_crl_finish appends
 * the signature and prepends the outer header in place.
 */
struct kr_crl_builder {
	uint8_t		*buf;
	size_t		 cap;
	size_t		 start;		/* first byte of the DER so far */
	size_t		 end;
	size_t		 entries;
	struct kr_slice	 tbs;		/* valid after kr_crl_tbs_build */
};

/*
 * Encodes TBSCertList v2 with every entry from `next` (reasonCode and
 * invalidityDate entry extensions) and the CRL extensions in this order:
 * authorityKeyIdentifier, cRLNumber, deltaCRLIndicator,
 * issuingDistributionPoint, freshestCRL.  thisUpdate/nextUpdate are
 * UTCTime through 2049.  Entry serials must be positive and minimal.
 */
int		 kr_crl_tbs_build(const struct kr_crl_fields *f,
		    kr_crl_next *next, void *ctx, struct kr_crl_builder *b,
		    struct kr_err *err) KR_WUR;
/* CertificateList ::= SEQUENCE { tbs, signatureAlgorithm, signature }. */
int		 kr_crl_finish(struct kr_crl_builder *b, enum kr_sig_alg alg,
		    const uint8_t *sig, size_t siglen, struct kr_slice *out,
		    struct kr_err *err) KR_WUR;
void		 kr_crl_builder_free(struct kr_crl_builder *);

/* What a parsed CRL says (entries go to a callback). */
struct kr_crl_info {
	enum kr_sig_alg	sig_alg;
	struct kr_slice	tbs;
	struct kr_slice	sig;
	uint8_t		issuer[KR_NAME_DER_MAX];
	size_t		issuer_len;
	int64_t		this_update;
	int64_t		next_update;		/* 0: absent */
	bool		has_number;
	uint8_t		number[KR_CRL_NUMBER_MAX];
	size_t		number_len;
	bool		has_aki;
	uint8_t		aki[KR_KEYID_BYTES];
	size_t		aki_len;
	bool		is_delta;
	uint8_t		base_number[KR_CRL_NUMBER_MAX];
	size_t		base_number_len;
	bool		has_idp;
	char		idp_uri[KR_URI_MAX];	/* first fullName URI; "": none */
	bool		idp_only_ca;
	bool		idp_only_user;
	size_t		entries;
};

/* Called per revoked entry while parsing; non-zero stops and is returned. */
typedef int kr_crl_entry_cb(const struct kr_crl_entry *, void *);

/*
 * Parses a DER or PEM ("X509 CRL") CRL strictly, streaming its entries to
 * `cb` (may be NULL).  Does not check the signature: call
 * kr_crl_verify_signature with the issuer's key.  At most KR_CRL_FILE_MAX.
 * `label` names the input in messages.  The slices in `info` point into
 * `data` (DER) or into *der_out (PEM input, malloc'd; may be NULL for DER).
 */
int		 kr_crl_parse(const char *label, const uint8_t *data,
		    size_t len, struct kr_crl_info *info, uint8_t **der_out,
		    kr_crl_entry_cb *cb, void *ctx, struct kr_err *err) KR_WUR;
/* The outer CertificateList only (TBS slice, algorithm, signature). */
int		 kr_crl_parse_outer(const uint8_t *data, size_t len,
		    struct kr_slice *tbs, enum kr_sig_alg *alg,
		    struct kr_slice *sig, struct kr_err *err) KR_WUR;
int		 kr_crl_verify_signature(const struct kr_crl_info *,
		    const uint8_t *, size_t, struct kr_err *) KR_WUR;

/* Compares two minimal positive big-endian integers (CRL numbers). */
int		 kr_bigint_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
		    size_t blen);

/* OCSP (RFC 6960): one pre-signed response per certificate. */
enum kr_ocsp_status {
	KR_OCSP_GOOD = 0,
	KR_OCSP_REVOKED = 1,
};

struct kr_ocsp_fields {
	enum kr_sig_alg		sig_alg;
	/* ResponderID byKey: SHA-1 of the responder's subjectPublicKey. */
	uint8_t			responder_key_hash[20];
	int64_t			produced_at;
	/* CertID, hashAlgorithm SHA-1 (what `openssl ocsp` asks with). */
	uint8_t			issuer_name_hash[20];
	uint8_t			issuer_key_hash[20];
	uint8_t			serial[KR_SERIAL_MAX];
	size_t			serial_len;
	enum kr_ocsp_status	status;
	int64_t			revoked_at;	/* KR_OCSP_REVOKED */
	enum kr_reason		reason;		/* KR_REASON_NONE: absent */
	int64_t			this_update;
	int64_t			next_update;
};

/*
 * Fills the CertID hashes for a certificate issued by `issuer`: SHA-1 of
 * the issuer's subject Name DER and of its subjectPublicKey BIT STRING
 * contents.
 */
int		 kr_ocsp_certid(const struct kr_cert *, struct kr_ocsp_fields *,
		    struct kr_err *) KR_WUR;
/* ResponseData (the bytes the responder signs). */
int		 kr_ocsp_tbs_build(const struct kr_ocsp_fields *, uint8_t **,
		    size_t *, struct kr_err *) KR_WUR;
/*
 * OCSPResponse { successful, BasicOCSPResponse { tbs, sigAlg, sig,
 * certs [0] (optional: the responder's certificate DER, may be NULL) } }.
 */
int		 kr_ocsp_assemble(const uint8_t *tbs, size_t tbslen,
		    enum kr_sig_alg alg, const uint8_t *sig, size_t siglen,
		    const uint8_t *cert, size_t certlen, uint8_t **out,
		    size_t *outlen, struct kr_err *err) KR_WUR;

/* OpenSSL `openssl ca` database (index.txt), for migration. */
struct kr_index_entry {
	unsigned	line;
	char		status;			/* 'V', 'R' or 'E' */
	int64_t		expires;
	int64_t		revoked_at;		/* 'R' only */
	enum kr_reason	reason;			/* 'R' only; NONE if absent */
	int64_t		invalidity;		/* from "keyTime"/"invalidityDate" forms, else 0 */
	uint8_t		serial[KR_SERIAL_MAX];
	size_t		serial_len;
	char		subject[1024];		/* OpenSSL's "/CN=..." form */
};

/* Called per line; non-zero stops and is returned. */
typedef int kr_index_cb(const struct kr_index_entry *, void *);

/*
 * Reads an index.txt from a file, streaming one entry per line to `cb`.
 * A malformed line stops the read with KR_EINPUT naming the file and line
 * number and what is wrong with it.
 */
int		 kr_index_read(const char *path, kr_index_cb *cb, void *ctx,
		    struct kr_err *err) KR_WUR;

#endif /* KEYRITE_CRL_H */
