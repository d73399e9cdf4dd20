/*
 * cert root | issue | cross-sign: the certificate issuance door.
 *
 * request -> profile -> subject key -> issuer chain -> fields -> TBS ->
 * lint -> (dry run stops here) -> quorum unlock -> sign -> verify after
 * signing, and check the signed TBS is the linted one -> record the
 * certificate and its audit row in one transaction -> write the output.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

struct kr_issue {
	struct kr_appliance		*app;
	const struct kr_issue_req	*req;
	struct kr_issue_result		*res;
	struct kr_key_rec		 issuer;
	struct kr_key_rec		 subject_key;
	bool				 has_subject_key;
	struct kr_profile		 profile;
	struct kr_cert_fields		*f;
	struct kr_chain			 chain;
	struct kr_csr			*csr;
	struct kr_cert			*cross;
	uint8_t				*tbs;
	size_t				 tbs_len;
	uint8_t				*cert;
	size_t				 cert_len;
	int64_t				 now;
	const char			*kind;	/* root, intermediate, cross, leaf */
	uint8_t				 src_sha[32];	/* CSR or key file */
	struct kr_issue_req		 rq_req;	/* --request: its names */
	struct kr_cert_request		 rq;
	/* The unlock whose approvals the audit row carries, and its item. */
	const struct kr_quorum_report	*q;
	size_t				 item;
	const char			*event;	/* NULL: the kind's */
	struct kr_issue_req		 leaf_req;	/* kr_issue_open */
	struct kr_issue_result		 leaf_res;
	const char			*renews;	/* cert renew: the old serial */
	const char			*renews_issuer;	/* its other issuer */
	int64_t				 renews_id;	/* and its record */
};


static const char *
kr_issue_event(enum kr_issue_kind k)
{
	return k == KR_ISSUE_ROOT ? "cert.root" : k == KR_ISSUE_CROSS ?
	    "cert.cross-sign" : "cert.issue";
}

static int
kr_issue_load_issuer(struct kr_issue *is, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_ca_key_load(is->app, is->req->issuer_key, &is->issuer,
	    err)) != KR_OK)
		return ret;
	return kr_key_standing_check(is->app, &is->issuer, KR_USE_ISSUE, err);
}

static int
kr_issue_load_profile(struct kr_issue *is, struct kr_err *err)
{
	const char	*p;
	char		*dir;
	int		 ret;

	for (p = is->req->profile; *p != '\0'; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    *p != '-')
			return kr_err_set(err, KR_EUSAGE, "'%s' is not a profile "
			    "name: profiles are named with a-z, 0-9 and '-'",
			    is->req->profile);
	if ((dir = kr_appliance_path(is->app, KR_POLICY_DIR)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_profile_load(dir, is->req->profile, &is->profile, err);
	free(dir);
	if (ret != KR_OK)
		return ret;
	if (is->req->kind == KR_ISSUE_ROOT && !is->profile.self_signed)
		return kr_err_set(err, KR_EUSAGE, "profile '%s' is not a root "
		    "profile: `cert root` needs a self-signed profile such as "
		    "root", is->profile.name);
	if (is->req->kind != KR_ISSUE_ROOT && is->profile.self_signed)
		return kr_err_set(err, KR_EUSAGE, "profile '%s' makes "
		    "self-signed roots: use `keyrite cert root`",
		    is->profile.name);
	if (is->req->kind == KR_ISSUE_CROSS && !is->profile.is_ca)
		return kr_err_set(err, KR_EUSAGE, "cross-signing makes a CA "
		    "certificate: profile '%s' is not a CA profile",
		    is->profile.name);
	return KR_OK;
}

static int
kr_issue_set_spki(struct kr_issue *is, const uint8_t *spki, size_t len,
    const char *what, struct kr_err *err)
{
	struct kr_spki_info	info;
	int			ret;

	if (len > sizeof(is->f->spki))
		return kr_err_set(err, KR_EINPUT, "%s: the public key is too "
		    "large", what);
	if ((ret = kr_spki_parse(spki, len, &info, err)) != KR_OK)
		return kr_err_prefix(err, "%s: ", what);
	memcpy(is->f->spki, spki, len);
	is->f->spki_len = len;
	return KR_OK;
}

static int
kr_issue_subject_dn(struct kr_issue *is, const struct kr_slice *fallback,
    struct kr_err *err)
{
	uint8_t	*dn;
	size_t	 len;
	int	 ret;

	if (is->req->subject == NULL) {
		if (fallback == NULL || is->profile.subject_from_request == 0)
			return kr_err_set(err, KR_EUSAGE, "give --subject: "
			    "profile '%s' takes no subject from the request",
			    is->profile.name);
		if (fallback->len > sizeof(is->f->subject))
			return kr_err_set(err, KR_EINPUT, "the request's "
			    "subject is too long");
		memcpy(is->f->subject, fallback->p, fallback->len);
		is->f->subject_len = fallback->len;
		return KR_OK;
	}
	if ((ret = kr_dn_encode(is->req->subject, &dn, &len, err)) != KR_OK)
		return kr_err_prefix(err, "--subject: ");
	if (len > sizeof(is->f->subject)) {
		free(dn);
		return kr_err_set(err, KR_EINPUT, "--subject is too long");
	}
	memcpy(is->f->subject, dn, len);
	is->f->subject_len = len;
	free(dn);
	return KR_OK;
}

int
kr_csr_from_outside(const char *path, const uint8_t *data, size_t len,
    struct kr_csr **csr, struct kr_err *err)
{
	char	what[160];

	*csr = NULL;
	if (kr_media_holds_key(data, len, what, sizeof(what)))
		return kr_err_set(err, KR_EREFUSED, "%s holds a private key "
		    "(%s), not only a certificate request: a device key must "
		    "never leave its device. Nothing was signed; remove the "
		    "file from the medium, treat that key as exposed (the "
		    "device makes a new one) and run the command again", path,
		    what);
	return kr_csr_parse(path, data, len, csr, err);
}

static int
kr_issue_from_csr(struct kr_issue *is, struct kr_err *err)
{
	uint8_t	*data;
	size_t	 len;
	int	 ret;

	if ((ret = kr_file_read(is->req->csr_path, KR_CSR_MAX, false, &data,
	    &len, err)) != KR_OK)
		return ret;
	if (kr_hash(KR_HASH_SHA256, data, len, is->src_sha) != KR_OK)
		memset(is->src_sha, 0, sizeof(is->src_sha));
	ret = kr_csr_from_outside(is->req->csr_path, data, len, &is->csr, err);
	free(data);
	if (ret != KR_OK)
		return ret;
	if ((ret = kr_issue_set_spki(is, is->csr->spki.p, is->csr->spki.len,
	    is->req->csr_path, err)) != KR_OK)
		return ret;
	return kr_issue_subject_dn(is, &is->csr->subject, err);
}

static int
kr_issue_from_pubkey(struct kr_issue *is, struct kr_err *err)
{
	uint8_t	*data, *der = NULL;
	size_t	 len, dlen;
	int	 ret;

	if ((ret = kr_file_read(is->req->pubkey_path, KR_SPKI_MAX_BYTES * 4,
	    false, &data, &len, err)) != KR_OK)
		return ret;
	if (kr_hash(KR_HASH_SHA256, data, len, is->src_sha) != KR_OK)
		memset(is->src_sha, 0, sizeof(is->src_sha));
	ret = kr_pem_decode("PUBLIC KEY", (const char *)data, len, &der, &dlen);
	if (ret == KR_ENOENT && memmem(data, len, "-----BEGIN ", 11) != NULL)
		ret = kr_err_set(err, KR_EINPUT, "%s is %s, not a public key: "
		    "give a PEM \"PUBLIC KEY\" (for a certificate, `openssl "
		    "x509 -pubkey -noout -in FILE` extracts it)",
		    is->req->pubkey_path, memmem(data, len, "CERTIFICATE-----",
		    16) != NULL ? "a certificate" : "another kind of PEM file");
	else if (ret == KR_ENOENT)
		ret = kr_issue_set_spki(is, data, len, is->req->pubkey_path, err);
	else if (ret == KR_OK)
		ret = kr_issue_set_spki(is, der, dlen, is->req->pubkey_path, err);
	else
		ret = kr_err_set(err, KR_EINPUT, "%s: the PUBLIC KEY block is "
		    "not valid base64", is->req->pubkey_path);
	free(der);
	free(data);
	if (ret != KR_OK)
		return ret;
	return kr_issue_subject_dn(is, NULL, err);
}

/*
 * The purpose a key held here must have to be certified under a profile:
 * CA profiles certify ca keys; codeSigning and OCSPSigning leaves certify
 * firmware and ocsp keys; other leaves take any purpose.
 */
static const char *
kr_issue_purpose_for(const struct kr_profile *p)
{
	struct kr_oid	code, ocsp;
	size_t		i;

	if (p->is_ca)
		return "ca";
	if (kr_oid_parse("codeSigning", &code, NULL) != KR_OK ||
	    kr_oid_parse("OCSPSigning", &ocsp, NULL) != KR_OK)
		return NULL;
	for (i = 0; i < p->eku_count; i++) {
		if (p->eku[i].len == code.len &&
		    memcmp(p->eku[i].der, code.der, code.len) == 0)
			return "firmware";
		if (p->eku[i].len == ocsp.len &&
		    memcmp(p->eku[i].der, ocsp.der, ocsp.len) == 0)
			return "ocsp";
	}
	return NULL;
}

/* A key kept on this appliance: its purpose must suit the profile. */
static int
kr_issue_from_held_key(struct kr_issue *is, struct kr_err *err)
{
	const char	*need;
	int		 ret;

	if ((ret = kr_store_key_get(is->app->store, is->req->subject_key,
	    &is->subject_key, err)) != KR_OK)
		return ret;
	need = kr_issue_purpose_for(&is->profile);
	if (need != NULL && strcmp(is->subject_key.purpose, need) != 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has purpose %s; "
		    "a certificate under profile '%s' is for a key of purpose "
		    "%s", is->subject_key.name, is->subject_key.purpose,
		    is->profile.name, need);
	is->has_subject_key = true;
	if ((ret = kr_issue_set_spki(is, is->subject_key.spki,
	    is->subject_key.spki_len, is->subject_key.name, err)) != KR_OK)
		return ret;
	return kr_issue_subject_dn(is, NULL, err);
}

/* Cross-signing keeps the existing CA's subject bytes, key and SKI. */
static int
kr_issue_from_cross(struct kr_issue *is, struct kr_err *err)
{
	const struct kr_cert_fields	*cf;
	const char			*what = is->req->cross_cert_path;
	uint8_t				*data = NULL, ski[KR_KEYID_BYTES];
	size_t				 len;
	int				 ret;

	if (is->req->cross_der != NULL) {
		what = is->req->cross_what;
		ret = kr_cert_parse(what, is->req->cross_der,
		    is->req->cross_der_len, &is->cross, err);
	} else if ((ret = kr_file_read(what, KR_CERT_MAX, false, &data, &len,
	    err)) == KR_OK)
		ret = kr_cert_parse(what, data, len, &is->cross, err);
	free(data);
	if (ret != KR_OK)
		return ret;
	cf = &is->cross->f;
	if (!cf->has_bc || !cf->bc_ca)
		return kr_err_set(err, KR_EREFUSED, "%s is not a CA "
		    "certificate: only CAs are cross-signed", what);
	if ((ret = kr_key_identifier(cf->spki, cf->spki_len, ski)) != KR_OK)
		return kr_err_set(err, ret, "cannot compute the key identifier");
	if (!cf->has_ski || cf->ski_len != sizeof(ski) ||
	    memcmp(cf->ski, ski, sizeof(ski)) != 0)
		return kr_err_set(err, KR_EREFUSED, "%s: its subjectKeyIdentifier "
		    "is missing or is not the SHA-1 of its key, so a cross "
		    "certificate could not carry the same SKI", what);
	if (is->req->subject != NULL)
		return kr_err_set(err, KR_EUSAGE, "--subject cannot be given "
		    "when cross-signing: the subject is the certificate's own");
	memcpy(is->f->subject, cf->subject, cf->subject_len);
	is->f->subject_len = cf->subject_len;
	return kr_issue_set_spki(is, cf->spki, cf->spki_len, what, err);
}

static int
kr_issue_subject(struct kr_issue *is, struct kr_err *err)
{
	const struct kr_issue_req	*r = is->req;
	int				 n;

	switch (r->kind) {
	case KR_ISSUE_ROOT:
		if (kr_issue_set_spki(is, is->issuer.spki, is->issuer.spki_len,
		    is->issuer.name, err) != KR_OK)
			return err->code;
		return kr_issue_subject_dn(is, NULL, err);
	case KR_ISSUE_CROSS:
		return kr_issue_from_cross(is, err);
	case KR_ISSUE_CERT:
		n = (r->csr_path != NULL) + (r->pubkey_path != NULL) +
		    (r->subject_key != NULL);
		if (n != 1)
			return kr_err_set(err, KR_EUSAGE, "give exactly one of "
			    "--csr, --pubkey and --subject-key");
		if (r->csr_path != NULL)
			return kr_issue_from_csr(is, err);
		if (r->pubkey_path != NULL)
			return kr_issue_from_pubkey(is, err);
		return kr_issue_from_held_key(is, err);
	}
	return kr_err_set(err, KR_EINTERNAL, "unknown issuance kind");
}

/* 16 random bytes, first in 0x01..0x7f: positive, minimal, > 120 bits. */
static int
kr_issue_serial(struct kr_issue *is, struct kr_err *err)
{
	uint8_t	s[16];
	char	hex[33];
	bool	used;
	int	tries, ret;

	for (tries = 0; tries < 8; tries++) {
		kr_random(s, sizeof(s));
		s[0] = (uint8_t)(1 + s[0] % 0x7f);
		kr_hex_encode(hex, s, sizeof(s));
		if ((ret = kr_store_serial_used(is->app->store, is->issuer.id,
		    hex, &used, err)) != KR_OK)
			return ret;
		if (!used) {
			memcpy(is->f->serial, s, sizeof(s));
			is->f->serial_len = sizeof(s);
			return KR_OK;
		}
	}
	return kr_err_set(err, KR_EINTERNAL, "could not draw an unused serial "
	    "number: the random number generator is suspect");
}

static int
kr_issue_sig_alg(struct kr_issue *is, struct kr_err *err)
{
	enum kr_key_alg	alg;

	if (kr_key_alg_from_name(is->issuer.alg, &alg) != KR_OK)
		return kr_err_set(err, KR_ESTATE, "key '%s' has an unknown "
		    "algorithm '%s'", is->issuer.name, is->issuer.alg);
	if (is->req->rsa_pss && alg != KR_KEY_RSA3072 && alg != KR_KEY_RSA4096)
		return kr_err_set(err, KR_EUSAGE, "--rsa-pss needs an RSA "
		    "issuer key; '%s' is %s", is->issuer.name, is->issuer.alg);
	is->f->sig_alg = is->req->rsa_pss ? KR_SIG_RSA_PSS_SHA256 :
	    kr_sig_alg_default(alg);
	return KR_OK;
}

static void
kr_issue_profile_exts(struct kr_issue *is)
{
	const struct kr_profile	*p = &is->profile;
	struct kr_cert_fields	*f = is->f;

	f->has_bc = p->is_ca;
	f->bc_critical = true;
	f->bc_ca = p->is_ca;
	f->bc_pathlen = p->is_ca ? p->pathlen : -1;
	f->has_ku = p->key_usage != 0;
	f->ku_critical = true;
	f->ku = p->key_usage;
	f->has_eku = p->eku_count > 0;
	memcpy(f->eku, p->eku, sizeof(f->eku));
	f->eku_count = p->eku_count;
	f->has_nc = p->nc_permitted_count + p->nc_excluded_count > 0;
	memcpy(f->nc_permitted, p->nc_permitted, sizeof(f->nc_permitted));
	f->nc_permitted_count = p->nc_permitted_count;
	memcpy(f->nc_excluded, p->nc_excluded, sizeof(f->nc_excluded));
	f->nc_excluded_count = p->nc_excluded_count;
	f->has_policies = p->policies_count > 0;
	memcpy(f->policies, p->policies, sizeof(f->policies));
	f->policies_count = p->policies_count;
	memcpy(f->cps_uri, p->cps_uri, sizeof(f->cps_uri));
}

/* A profile's list of URLs, "{issuer}" standing for the issuing key. */
static int
kr_issue_urls(const struct kr_issue *is, const char (*in)[KR_URI_MAX],
    size_t n, char (*out)[KR_URI_MAX], size_t *count, const char *what,
    struct kr_err *err)
{
	size_t	i;
	int	ret;

	for (i = 0; i < n; i++)
		if ((ret = kr_policy_url_expand(in[i], is->issuer.name, out[i],
		    KR_URI_MAX, what, err)) != KR_OK)
			return kr_err_prefix(err, "profile '%s': ",
			    is->profile.name);
	*count = n;
	return KR_OK;
}

/* cRLDistributionPoints and authorityInfoAccess, for this issuer. */
static int
kr_issue_profile_urls(struct kr_issue *is, struct kr_err *err)
{
	const struct kr_profile	*p = &is->profile;
	struct kr_cert_fields	*f = is->f;
	int			 ret;

	if ((ret = kr_issue_urls(is, p->crldp, p->crldp_count, f->crldp,
	    &f->crldp_count, "crl_distribution_points", err)) != KR_OK ||
	    (ret = kr_issue_urls(is, p->aia_ca_issuers, p->aia_count,
	    f->aia_ca_issuers, &f->aia_count, "aia_ca_issuers", err)) !=
	    KR_OK ||
	    (ret = kr_issue_urls(is, p->aia_ocsp, p->aia_ocsp_count,
	    f->aia_ocsp, &f->aia_ocsp_count, "aia_ocsp", err)) != KR_OK)
		return ret;
	f->has_crldp = f->crldp_count > 0;
	f->has_aia = f->aia_count + f->aia_ocsp_count > 0;
	return KR_OK;
}

/* Key usages a profile grants only to ECDSA keys (keyAgreement). */
static void
kr_issue_ec_usage(struct kr_issue *is)
{
	struct kr_spki_info	info;
	struct kr_err		e;

	if (is->profile.key_usage_ec == 0 ||
	    kr_spki_parse(is->f->spki, is->f->spki_len, &info, &e) != KR_OK)
		return;
	if (info.type == KR_PK_EC_P256 || info.type == KR_PK_EC_P384) {
		is->f->ku |= is->profile.key_usage_ec;
		is->f->has_ku = true;
	}
}

/*
 * The profile's extensions for this certificate: one place for `cert
 * issue` and the leaves of provision batch and cert renew.
 */
static int
kr_issue_exts(struct kr_issue *is, struct kr_err *err)
{
	kr_issue_profile_exts(is);
	kr_issue_ec_usage(is);
	return kr_issue_profile_urls(is, err);
}

static int
kr_issue_sans(struct kr_issue *is, struct kr_err *err)
{
	struct kr_cert_fields	*f = is->f;
	size_t			 i;
	int			 ret;

	if (is->req->nsan > 0 && !is->profile.san_allowed)
		return kr_err_set(err, KR_EUSAGE, "profile '%s' puts no "
		    "subjectAltName in its certificates: drop --san",
		    is->profile.name);
	for (i = 0; i < is->req->nsan; i++) {
		if (f->san_count == KR_GN_MAX)
			return kr_err_set(err, KR_EUSAGE, "at most %d --san",
			    KR_GN_MAX);
		if ((ret = kr_gn_parse(is->req->san[i], false,
		    &f->san[f->san_count], err)) != KR_OK)
			return kr_err_prefix(err, "--san %s: ", is->req->san[i]);
		f->san_count++;
	}
	if (is->csr != NULL && is->profile.san_allowed &&
	    is->profile.san_from_request && is->csr->requested.has_san)
		for (i = 0; i < is->csr->requested.san_count &&
		    f->san_count < KR_GN_MAX; i++)
			f->san[f->san_count++] = is->csr->requested.san[i];
	f->has_san = f->san_count > 0;
	return KR_OK;
}

static int
kr_issue_validity(struct kr_issue *is, struct kr_err *err)
{
	unsigned	days = is->req->days != 0 ? is->req->days :
			    is->profile.default_days;

	if (days == 0)
		return kr_err_set(err, KR_EUSAGE, "give --days: profile '%s' "
		    "has no default validity", is->profile.name);
	is->f->not_before = is->now;
	is->f->not_after = is->now + (int64_t)days * 86400;
	return KR_OK;
}

static int
kr_issue_key_ids(struct kr_issue *is, struct kr_err *err)
{
	struct kr_cert_fields	*f = is->f;
	const struct kr_cert	*up;
	int			 ret;

	if (is->cross != NULL) {
		memcpy(f->ski, is->cross->f.ski, is->cross->f.ski_len);
		f->ski_len = is->cross->f.ski_len;
	} else {
		if ((ret = kr_key_identifier(f->spki, f->spki_len, f->ski)) !=
		    KR_OK)
			return kr_err_set(err, ret, "cannot compute the "
			    "subject key identifier");
		f->ski_len = KR_KEYID_BYTES;
	}
	f->has_ski = true;
	if (is->req->kind == KR_ISSUE_ROOT)
		return KR_OK;
	up = is->chain.certs[0];
	if (up->f.has_ski) {
		memcpy(f->aki, up->f.ski, up->f.ski_len);
		f->aki_len = up->f.ski_len;
		f->has_aki = true;
	}
	memcpy(f->issuer, up->f.subject, up->f.subject_len);
	f->issuer_len = up->f.subject_len;
	return KR_OK;
}

/*
 * rotate root: the issuer is a root prepared in the same operation, its
 * certificate a template of its fields (kr_issue_template), not recorded.
 */
static int
kr_issue_chain_given(struct kr_issue *is, struct kr_err *err)
{
	const struct kr_cert	*c;
	int			 ret;

	memset(&is->chain, 0, sizeof(is->chain));
	if ((ret = kr_cert_parse("the issuer certificate", is->req->issuer_der,
	    is->req->issuer_der_len, &is->chain.certs[0], err)) != KR_OK)
		return ret;
	is->chain.len = 1;
	c = is->chain.certs[0];
	if (!kr_cert_self_signed(c) || c->f.spki_len != is->issuer.spki_len ||
	    memcmp(c->f.spki, is->issuer.spki, c->f.spki_len) != 0)
		return kr_err_set(err, KR_EINTERNAL, "the issuer certificate "
		    "given is not a root certificate of key '%s'",
		    is->issuer.name);
	return KR_OK;
}

static int
kr_issue_fields(struct kr_issue *is, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_issue_subject(is, err)) != KR_OK)
		return ret;
	if (is->req->kind == KR_ISSUE_ROOT) {
		memcpy(is->f->issuer, is->f->subject, is->f->subject_len);
		is->f->issuer_len = is->f->subject_len;
	} else if (is->req->issuer_der != NULL) {
		if ((ret = kr_issue_chain_given(is, err)) != KR_OK)
			return ret;
	} else if ((ret = kr_chain_for_key(is->app, is->issuer.name,
	    is->issuer.spki, is->issuer.spki_len, is->now, &is->chain,
	    err)) != KR_OK)
		return ret;
	if ((ret = kr_issue_exts(is, err)) != KR_OK ||
	    (ret = kr_issue_serial(is, err)) != KR_OK ||
	    (ret = kr_issue_sig_alg(is, err)) != KR_OK ||
	    (ret = kr_issue_sans(is, err)) != KR_OK ||
	    (ret = kr_issue_validity(is, err)) != KR_OK ||
	    (ret = kr_issue_key_ids(is, err)) != KR_OK)
		return ret;
	return kr_tbs_build(is->f, &is->tbs, &is->tbs_len, err);
}

static void
kr_issue_lint_summary(const struct kr_lint_report *rep, char *out,
    size_t cap)
{
	size_t	i, o = 0;

	out[0] = '\0';
	for (i = 0; i < rep->count && o + 8 < cap; i++) {
		int n = snprintf(out + o, cap - o, "\n  %s %s: %s",
		    rep->f[i].level == KR_LINT_ERROR ? "error" : "warning",
		    rep->f[i].id, rep->f[i].msg);

		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static int
kr_issue_lint(struct kr_issue *is, struct kr_err *err)
{
	struct kr_lint_input	 in;
	struct kr_lint_report	*rep = &is->res->lint;
	char			 list[700];

	memset(&in, 0, sizeof(in));
	in.fields = is->f;
	in.tbs = is->tbs;
	in.tbs_len = is->tbs_len;
	in.profile = &is->profile;
	in.chain = (const struct kr_cert *const *)is->chain.certs;
	in.chain_len = is->chain.len;
	in.issuer_spki = is->issuer.spki;
	in.issuer_spki_len = is->issuer.spki_len;
	/*
	 * A prepared request is linted as of when it was prepared (its
	 * notBefore, what the custodians saw); how long it may wait is
	 * KR_REQUEST_MAX_AGE, checked against now with the chain.
	 */
	in.now = is->req->request != NULL ? is->f->not_before : is->now;
	kr_lint_run(&in, rep);
	kr_issue_lint_summary(rep, list, sizeof(list));
	if (rep->errors > 0)
		return kr_err_set(err, KR_EREFUSED, "the certificate fails %zu "
		    "lint rule%s, so it was not signed:%s", rep->errors,
		    rep->errors == 1 ? "" : "s", list);
	if (rep->warnings > 0 && !is->req->accept_warnings && !is->req->dry_run)
		return kr_err_set(err, KR_EREFUSED, "the certificate has %zu "
		    "lint warning%s; read them and give --accept-warnings to "
		    "sign it anyway:%s", rep->warnings,
		    rep->warnings == 1 ? "" : "s", list);
	return KR_OK;
}

/* Signs, verifies, assembles, and re-parses to compare the TBS bytes. */
/*
 * The signature over the linted TBS, verified with the issuer's key (by
 * the verifier `v` if there is one).
 */
static int
kr_issue_sig_verify(struct kr_verifier *v, enum kr_sig_alg alg,
    const uint8_t *spki, size_t spkilen, const uint8_t *tbs, size_t tbslen,
    const uint8_t *sig, size_t siglen, const char *issuer, struct kr_err *err)
{
	if ((v != NULL ? kr_verifier_check(v, alg, spki, spkilen, tbs, tbslen,
	    sig, siglen, 0, err) : kr_sig_verify(alg, spki, spkilen, tbs,
	    tbslen, sig, siglen, 0, err)) != KR_OK)
		return kr_err_set(err, KR_EVERIFY, "the signature key '%s' just "
		    "made does not verify with its public key: nothing was "
		    "recorded. The key store or token is faulty", issuer);
	return KR_OK;
}

/* The certificate from the TBS and its signature, as parsed back. */
static int
kr_issue_assemble(struct kr_issue *is, const uint8_t *sig, size_t siglen,
    struct kr_err *err)
{
	struct kr_cert	*back = NULL;
	int		 ret;

	if ((ret = kr_cert_assemble(is->tbs, is->tbs_len, is->f->sig_alg, sig,
	    siglen, &is->cert, &is->cert_len, err)) != KR_OK)
		return ret;
	if ((ret = kr_cert_parse("the new certificate", is->cert,
	    is->cert_len, &back, err)) != KR_OK)
		return ret;
	/* The verified signature over the linted TBS, as parsed back. */
	if (back->tbs.len != is->tbs_len ||
	    memcmp(back->tbs.p, is->tbs, is->tbs_len) != 0)
		ret = kr_err_set(err, KR_EINTERNAL, "the signed certificate's "
		    "TBS differs from the linted one: nothing was recorded");
	else if (back->f.sig_alg != is->f->sig_alg || back->sig.len != siglen ||
	    memcmp(back->sig.p, sig, siglen) != 0)
		ret = kr_err_set(err, KR_EINTERNAL, "the signed certificate "
		    "does not carry the signature that was verified: nothing "
		    "was recorded");
	kr_cert_free(&back);
	return ret;
}

/*
 * Signs the TBS; verifies the signature here, or with `later` leaves
 * the check to the caller (kr_issue_sig_check), which makes it before
 * anything of the certificate is committed.
 */
static int
kr_issue_sign_as_later(struct kr_issue *is, struct kr_signer *s,
    struct kr_sig_check *later, struct kr_err *err)
{
	uint8_t	sig[KR_SIG_MAX_BYTES];
	size_t	siglen = sizeof(sig);
	int	ret;

	if ((ret = kr_signer_require_purpose(s, KR_PURPOSE_CA, err)) != KR_OK ||
	    (ret = kr_signer_sign(s, is->f->sig_alg, is->tbs, is->tbs_len, sig,
	    &siglen, err)) != KR_OK)
		return ret;
	if (later == NULL && (ret = kr_issue_sig_verify(NULL, is->f->sig_alg,
	    is->issuer.spki, is->issuer.spki_len, is->tbs, is->tbs_len, sig,
	    siglen, is->issuer.name, err)) != KR_OK)
		return ret;
	if (later != NULL) {
		memset(later, 0, sizeof(*later));
		if ((later->tbs = malloc(is->tbs_len)) == NULL)
			return kr_err_set(err, KR_ENOMEM, "out of memory");
		memcpy(later->tbs, is->tbs, is->tbs_len);
		later->tbs_len = is->tbs_len;
		memcpy(later->sig, sig, siglen);
		later->siglen = siglen;
		later->alg = is->f->sig_alg;
		later->spki = is->issuer.spki;
		later->spki_len = is->issuer.spki_len;
		later->issuer = is->issuer.name;
	}
	return kr_issue_assemble(is, sig, siglen, err);
}

static int
kr_issue_sign(struct kr_issue *is, struct kr_signer *s, struct kr_err *err)
{
	return kr_issue_sign_as_later(is, s, NULL, err);
}

int
kr_issue_sig_check(struct kr_sig_check *c, struct kr_verifier *v,
    struct kr_err *err)
{
	return kr_issue_sig_verify(v, c->alg, c->spki, c->spki_len, c->tbs,
	    c->tbs_len, c->sig, c->siglen, c->issuer, err);
}

void
kr_issue_sig_check_free(struct kr_sig_check *c)
{
	free(c->tbs);
	c->tbs = NULL;
}

static const char *
kr_issue_kind(const struct kr_issue *is)
{
	if (is->req->kind == KR_ISSUE_ROOT)
		return "root";
	if (is->req->kind == KR_ISSUE_CROSS)
		return "cross";
	return is->profile.is_ca ? "intermediate" : "leaf";
}

/* What every certificate's audit row says of it, serial to validity. */
static void
kr_issue_audit_cert(const struct kr_issue *is, struct kr_json *j)
{
	kr_json_str(j, "serial", is->res->serial);
	if (is->renews != NULL)
		kr_json_str(j, "renews", is->renews);
	if (is->renews != NULL && is->renews_issuer != NULL)
		kr_json_str(j, "renews_issuer_key", is->renews_issuer);
	kr_json_str(j, "subject", is->res->subject);
	kr_json_str(j, "profile", is->profile.name);
	kr_json_hex(j, "profile_sha256", is->profile.sha256,
	    sizeof(is->profile.sha256));
	kr_json_str(j, "issuer_key", is->issuer.name);
	kr_json_str(j, "spki_sha256", is->res->spki_sha256);
	kr_json_str(j, "tbs_sha256", is->res->tbs_sha256);
	kr_json_str(j, "cert_sha256", is->res->cert_sha256);
	kr_json_str(j, "not_before", is->res->not_before);
	kr_json_str(j, "not_after", is->res->not_after);
}

/*
 * The one builder of a certificate's audit row: the kind (or the row's
 * lead member), the certificate, the lint count and prepared request (or
 * the row's members), who approved (item `item` of quorum q) and the
 * operator.
 */
static int
kr_issue_audit(struct kr_issue *is, const struct kr_issue_row *row,
    struct kr_err *err)
{
	const char	*names[KR_CUSTODIANS_MAX], *op;
	char		 actor[1024];
	struct kr_json	 j;
	size_t		 i, k;
	int		 ret;

	kr_quorum_approvers(is->q, names, &k, actor, sizeof(actor));
	op = row != NULL ? row->actor : is->req->actor;
	kr_json_begin(&j);
	if (row != NULL)
		kr_json_str(&j, row->lead[0], row->lead[1]);
	else
		kr_json_str(&j, "kind", is->kind);
	kr_issue_audit_cert(is, &j);
	for (i = 0; row != NULL && i < row->nmore; i++)
		kr_json_str(&j, row->more[i][0], row->more[i][1]);
	if (row == NULL)
		kr_json_int(&j, "lint_warnings_accepted",
		    (int64_t)is->res->lint.warnings);
	if (row == NULL && is->req->request != NULL)
		kr_json_str(&j, "prepared_request", is->res->request_sha256);
	kr_json_str_array(&j, "approved_by", names, k);
	kr_approvals_json(&j, is->q, is->item);
	kr_json_str(&j, "operator", op);
	ret = kr_audit_record(is->app, actor[0] != '\0' ? actor : op,
	    row != NULL ? row->event : is->renews != NULL ? "cert.renew" :
	    is->event != NULL ? is->event : kr_issue_event(is->req->kind),
	    kr_json_end(&j), &is->res->audit_seq, err);
	kr_json_free(&j);
	return ret;
}

static int
kr_issue_insert(struct kr_issue *is, struct kr_err *err)
{
	struct kr_cert_rec	c;

	memset(&c, 0, sizeof(c));
	memcpy(c.issuer_key_id, is->issuer.id, sizeof(c.issuer_key_id));
	(void)snprintf(c.serial, sizeof(c.serial), "%s", is->res->serial);
	(void)snprintf(c.subject, sizeof(c.subject), "%s", is->res->subject);
	c.subject_der = is->f->subject;
	c.subject_der_len = is->f->subject_len;
	c.issuer_der = is->f->issuer;
	c.issuer_der_len = is->f->issuer_len;
	c.not_before = is->f->not_before;
	c.not_after = is->f->not_after;
	(void)snprintf(c.spki_sha256, sizeof(c.spki_sha256), "%s",
	    is->res->spki_sha256);
	c.has_subject_key = is->has_subject_key || is->req->kind == KR_ISSUE_ROOT;
	memcpy(c.subject_key_id, is->req->kind == KR_ISSUE_ROOT ?
	    is->issuer.id : is->subject_key.id, sizeof(c.subject_key_id));
	(void)snprintf(c.profile, sizeof(c.profile), "%s", is->profile.name);
	(void)snprintf(c.kind, sizeof(c.kind), "%s", is->kind);
	c.is_ca = is->profile.is_ca;
	c.der = is->cert;
	c.der_len = is->cert_len;
	(void)snprintf(c.sha256, sizeof(c.sha256), "%s", is->res->cert_sha256);
	c.created = is->now;
	return kr_store_cert_insert(is->app->store, &c, err);
}

static int
kr_issue_output(struct kr_issue *is, struct kr_err *err)
{
	char	*pem;
	int	 ret;

	if (is->req->der)
		return kr_media_write(KR_ART_CERTIFICATE, is->req->out_path,
		    is->cert, is->cert_len, KR_FILE_NOREPLACE, err);
	if ((pem = kr_pem_encode("CERTIFICATE", is->cert, is->cert_len)) ==
	    NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_media_write(KR_ART_CERTIFICATE, is->req->out_path, pem,
	    strlen(pem), KR_FILE_NOREPLACE, err);
	free(pem);
	return ret;
}

/* cert renew: the new certificate's record points to the old one. */
static int
kr_issue_renewal(struct kr_issue *is, struct kr_err *err)
{
	int64_t	id;
	int	ret;

	if (is->renews == NULL)
		return KR_OK;
	if ((ret = kr_store_cert_id(is->app->store, is->issuer.id,
	    is->res->serial, &id, err)) != KR_OK)
		return ret;
	return kr_store_renewal_insert(is->app->store, id, is->renews_id,
	    is->now, err);
}

/* The certificate row and its audit row, in the caller's transaction. */
int
kr_issue_store(struct kr_issue *is, struct kr_err *err)
{
	uint8_t	dig[32];
	int	ret;

	if ((ret = kr_hash(KR_HASH_SHA256, is->cert, is->cert_len, dig)) !=
	    KR_OK)
		return kr_err_set(err, ret, "cannot hash the certificate");
	kr_hex_encode(is->res->cert_sha256, dig, sizeof(dig));
	if ((ret = kr_issue_insert(is, err)) != KR_OK)
		return ret;
	if ((ret = kr_issue_renewal(is, err)) != KR_OK)
		return ret;
	return kr_issue_audit(is, NULL, err);
}

/* The release, once recorded; a failure says how to write it again. */
int
kr_issue_write(struct kr_issue *is, struct kr_err *err)
{
	if (kr_issue_output(is, err) != KR_OK)
		return kr_out_failed(err, "certificate %s was signed and "
		    "recorded (audit entry %lld) but not written. Write it "
		    "again with `keyrite -C %s cert show %s --out %s%s`.",
		    is->res->serial, (long long)is->res->audit_seq,
		    is->app->dir, is->res->serial, is->req->out_path,
		    is->req->der ? " --der" : "");
	return KR_OK;
}

/* Record first, then release: a crash between leaves it unreleased. */
static int
kr_issue_record(struct kr_issue *is, struct kr_err *err)
{
	struct kr_sigmask	sig;
	int			ret;

	if ((ret = kr_store_begin(is->app->store, err)) != KR_OK)
		return ret;
	kr_signals_hold(&sig);
	if ((ret = kr_issue_store(is, err)) != KR_OK ||
	    (ret = kr_store_commit(is->app->store, err)) != KR_OK) {
		kr_store_rollback(is->app->store);
		kr_signals_release(&sig);
		return ret;
	}
	ret = kr_issue_write(is, err);
	kr_signals_release(&sig);
	return ret;
}

static void
kr_issue_describe(struct kr_issue *is)
{
	struct kr_issue_result	*r = is->res;
	uint8_t			 dig[32];

	kr_hex_encode(r->serial, is->f->serial, is->f->serial_len);
	kr_dn_format(is->f->subject, is->f->subject_len, r->subject,
	    sizeof(r->subject));
	if (kr_hash(KR_HASH_SHA256, is->tbs, is->tbs_len, dig) == KR_OK)
		kr_hex_encode(r->tbs_sha256, dig, sizeof(dig));
	kr_spki_fingerprint(is->f->spki, is->f->spki_len, r->spki_sha256);
	kr_time_format(is->f->not_before, r->not_before);
	kr_time_format(is->f->not_after, r->not_after);
}

/* SHA-256 of the profile file as the state folder holds it now. */
static int
kr_issue_profile_sha(struct kr_issue *is, uint8_t *dig, struct kr_err *err)
{
	uint8_t	*data = NULL;
	char	 rel[KR_PROFILE_NAME_MAX + 32], *path;
	size_t	 len;
	int	 ret;

	(void)snprintf(rel, sizeof(rel), "%s/%s.yaml", KR_POLICY_DIR,
	    is->profile.name);
	if ((path = kr_appliance_path(is->app, rel)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_file_read(path, KR_YAML_FILE_MAX, false, &data, &len,
	    err)) == KR_OK && (ret = kr_hash(KR_HASH_SHA256, data, len, dig)) !=
	    KR_OK)
		ret = kr_err_set(err, ret, "cannot hash %s", path);
	free(data);
	free(path);
	return ret;
}

/* The command a kind of request goes with, for messages. */
static const char *
kr_issue_command(enum kr_issue_kind k)
{
	return k == KR_ISSUE_ROOT ? "cert root" : k == KR_ISSUE_CROSS ?
	    "cert cross-sign" : "cert issue";
}

/* What the subject key came from: a file's SHA-256 or a key's name. */
static void
kr_issue_request_source(struct kr_issue *is, struct kr_cert_request *rq)
{
	const char	*src;
	uint8_t		 dig[32];

	src = is->req->kind == KR_ISSUE_CROSS ? "cert" :
	    is->req->kind == KR_ISSUE_ROOT || is->has_subject_key ? "key" :
	    is->req->csr_path != NULL ? "csr" : "pubkey";
	(void)snprintf(rq->source, sizeof(rq->source), "%s", src);
	if (is->req->kind == KR_ISSUE_ROOT)
		(void)snprintf(rq->source_value, sizeof(rq->source_value),
		    "%s", is->issuer.name);
	else if (is->has_subject_key)
		(void)snprintf(rq->source_value, sizeof(rq->source_value),
		    "%s", is->subject_key.name);
	else if (is->cross != NULL && kr_hash(KR_HASH_SHA256, is->cross->der,
	    is->cross->der_len, dig) == KR_OK)
		kr_hex_encode(rq->source_value, dig, sizeof(dig));
	else
		kr_hex_encode(rq->source_value, is->src_sha,
		    sizeof(is->src_sha));
}

/* --dry-run --save-request FILE: the request as prepared and shown. */
static int
kr_issue_save_request(struct kr_issue *is, struct kr_err *err)
{
	const struct kr_cert	*ic = is->chain.certs[0];
	struct kr_cert_request	 rq;
	char			*text = NULL;
	size_t			 len;
	int			 ret;

	memset(&rq, 0, sizeof(rq));
	rq.version = 2;
	rq.kind = is->req->kind;
	(void)snprintf(rq.issuer_key, sizeof(rq.issuer_key), "%s",
	    is->issuer.name);
	memcpy(rq.issuer_key_id, is->issuer.id, sizeof(rq.issuer_key_id));
	(void)snprintf(rq.profile, sizeof(rq.profile), "%s", is->profile.name);
	kr_issue_request_source(is, &rq);
	memcpy(rq.serial, is->f->serial, sizeof(rq.serial));
	rq.serial_len = sizeof(rq.serial);
	rq.tbs = is->tbs;
	rq.tbs_len = is->tbs_len;
	rq.has_issuer_cert = is->req->kind != KR_ISSUE_ROOT;
	if (is->f->serial_len != sizeof(rq.serial) || (rq.has_issuer_cert &&
	    (ic == NULL || kr_hash(KR_HASH_SHA256, ic->der, ic->der_len,
	    rq.issuer_cert_sha256) != KR_OK)))
		return kr_err_set(err, KR_EINTERNAL, "cannot prepare the "
		    "request");
	if ((ret = kr_issue_profile_sha(is, rq.profile_sha256, err)) != KR_OK ||
	    (ret = kr_request_format(&rq, &text, &len, err)) != KR_OK)
		return ret;
	if ((ret = kr_out_check(is->app, KR_ART_CERT_REQUEST,
	    is->req->save_request, len, err)) == KR_OK)
		ret = kr_media_write(KR_ART_CERT_REQUEST, is->req->save_request,
		    text, len, KR_FILE_NOREPLACE, err);
	free(text);
	return ret;
}

/* What the request names is still what it was: key, profile, issuer. */
static int
kr_issue_request_deps(struct kr_issue *is, struct kr_err *err)
{
	const char	*file = is->req->request;
	uint8_t		 dig[32];
	int		 ret;

	if ((ret = kr_issue_load_issuer(is, err)) != KR_OK)
		return ret;
	if (memcmp(is->issuer.id, is->rq.issuer_key_id, KR_STORE_ID_BYTES) != 0)
		return kr_err_set(err, KR_EREFUSED, "%s was prepared for another "
		    "key named '%s' (its key id differs): nothing was signed",
		    file, is->issuer.name);
	if ((ret = kr_issue_load_profile(is, err)) != KR_OK ||
	    (ret = kr_issue_profile_sha(is, dig, err)) != KR_OK)
		return ret;
	if (memcmp(dig, is->rq.profile_sha256, sizeof(dig)) != 0)
		return kr_err_set(err, KR_EREFUSED, "profile '%s' changed since "
		    "%s was prepared: nothing was signed; prepare the request "
		    "again", is->profile.name, file);
	if (!is->rq.has_issuer_cert)
		return KR_OK;	/* a root: it is its own issuer */
	if ((ret = kr_chain_for_key(is->app, is->issuer.name, is->issuer.spki,
	    is->issuer.spki_len, is->now, &is->chain, err)) != KR_OK)
		return ret;
	if (kr_hash(KR_HASH_SHA256, is->chain.certs[0]->der,
	    is->chain.certs[0]->der_len, dig) != KR_OK ||
	    memcmp(dig, is->rq.issuer_cert_sha256, sizeof(dig)) != 0)
		return kr_err_set(err, KR_EREFUSED, "the certificate of key '%s' "
		    "is not the one %s was prepared under (it was renewed or "
		    "replaced since): nothing was signed", is->issuer.name,
		    file);
	return KR_OK;
}

/* The held subject key named by the request: still there, same key. */
static int
kr_issue_request_key(struct kr_issue *is, struct kr_err *err)
{
	const char	*need;
	int		 ret;

	if (strcmp(is->rq.source, "key") != 0)
		return KR_OK;
	if ((ret = kr_store_key_get(is->app->store, is->rq.source_value,
	    &is->subject_key, err)) != KR_OK)
		return ret;
	need = kr_issue_purpose_for(&is->profile);
	if (is->subject_key.spki_len != is->f->spki_len ||
	    memcmp(is->subject_key.spki, is->f->spki, is->f->spki_len) != 0 ||
	    (need != NULL && strcmp(is->subject_key.purpose, need) != 0))
		return kr_err_set(err, KR_EREFUSED, "key '%s' is not the key %s "
		    "was prepared for: nothing was signed",
		    is->subject_key.name, is->req->request);
	is->has_subject_key = true;
	return KR_OK;
}

/* The TBS against now: its serial unused, its times still good. */
static int
kr_issue_request_tbs(struct kr_issue *is, struct kr_err *err)
{
	const struct kr_cert_fields	*f = is->f, *up;
	const char			*file = is->req->request;
	enum kr_key_alg			 alg;
	char				 hex[2 * 20 + 1];
	bool				 used;
	int				 ret;

	/* A root names itself as its issuer. */
	up = is->rq.has_issuer_cert ? &is->chain.certs[0]->f : f;
	if (f->serial_len != is->rq.serial_len ||
	    memcmp(f->serial, is->rq.serial, f->serial_len) != 0 ||
	    f->issuer_len != up->subject_len ||
	    memcmp(f->issuer, up->subject, f->issuer_len) != 0 ||
	    kr_key_alg_from_name(is->issuer.alg, &alg) != KR_OK ||
	    (f->sig_alg != kr_sig_alg_default(alg) &&
	    !(f->sig_alg == KR_SIG_RSA_PSS_SHA256 && (alg == KR_KEY_RSA3072 ||
	    alg == KR_KEY_RSA4096))))
		return kr_err_set(err, KR_EREFUSED, "%s: its TBS does not go "
		    "with its serial line, the issuer's name or key '%s': "
		    "nothing was signed", file, is->issuer.name);
	if (f->not_before > is->now + KR_REQUEST_SKEW ||
	    is->now - f->not_before > KR_REQUEST_MAX_AGE ||
	    f->not_after <= is->now)
		return kr_err_set(err, KR_EREFUSED, "%s was prepared for a "
		    "notBefore that is no longer within 48 hours of now: nothing "
		    "was signed; prepare the request again", file);
	kr_hex_encode(hex, f->serial, f->serial_len);
	if ((ret = kr_store_serial_used(is->app->store, is->issuer.id, hex,
	    &used, err)) != KR_OK)
		return ret;
	if (used)
		return kr_err_set(err, KR_EREFUSED, "serial %s of %s has been "
		    "used since it was prepared (a certificate with it was "
		    "issued): nothing was signed", hex, file);
	return KR_OK;
}

/*
 * cert cross-sign --request FILE --cert CERT: CERT is the certificate the
 * request was prepared for, and the TBS carries its subject, key and SKI.
 */
static int
kr_issue_request_cross(struct kr_issue *is, struct kr_err *err)
{
	const struct kr_cert_fields	*f = is->f, *cf;
	const char			*path = is->req->cross_cert_path;
	uint8_t				*data, dig[32];
	char				 hex[65];
	size_t				 len;
	int				 ret;

	if (is->req->kind != KR_ISSUE_CROSS || path == NULL)
		return KR_OK;
	if ((ret = kr_file_read(path, KR_CERT_MAX, false, &data, &len,
	    err)) != KR_OK)
		return ret;
	ret = kr_cert_parse(path, data, len, &is->cross, err);
	free(data);
	if (ret != KR_OK)
		return ret;
	cf = &is->cross->f;
	if (kr_hash(KR_HASH_SHA256, is->cross->der, is->cross->der_len,
	    dig) != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "cannot hash %s", path);
	kr_hex_encode(hex, dig, sizeof(dig));
	if (strcmp(hex, is->rq.source_value) != 0 ||
	    f->subject_len != cf->subject_len ||
	    memcmp(f->subject, cf->subject, f->subject_len) != 0 ||
	    f->spki_len != cf->spki_len ||
	    memcmp(f->spki, cf->spki, f->spki_len) != 0 ||
	    f->ski_len != cf->ski_len ||
	    memcmp(f->ski, cf->ski, f->ski_len) != 0)
		return kr_err_set(err, KR_EREFUSED, "%s is not the certificate "
		    "%s was prepared to cross-sign (its SHA-256, or the "
		    "subject, key or SKI the TBS carries, differ): nothing was "
		    "signed", path, is->req->request);
	return KR_OK;
}

/* The request is of the kind the command makes: root, issue, cross. */
static int
kr_issue_request_kind(struct kr_issue *is, struct kr_err *err)
{
	if (is->rq.kind == is->req->kind)
		return KR_OK;
	return kr_err_set(err, KR_EREFUSED, "%s was prepared by `keyrite %s`, "
	    "not `keyrite %s`: nothing was signed; give it to `keyrite %s "
	    "--request FILE`", is->req->request, kr_issue_command(is->rq.kind),
	    kr_issue_command(is->req->kind), kr_issue_command(is->rq.kind));
}

/* cert root|issue|cross-sign --request FILE: the prepared TBS, now. */
static int
kr_issue_from_request(struct kr_issue *is, struct kr_err *err)
{
	uint8_t	*data = NULL, dig[32];
	size_t	 len;
	int	 ret;

	if ((ret = kr_file_read(is->req->request, KR_REQUEST_FILE_MAX, false,
	    &data, &len, err)) != KR_OK)
		return ret;
	if (kr_hash(KR_HASH_SHA256, data, len, dig) == KR_OK)
		kr_hex_encode(is->res->request_sha256, dig, sizeof(dig));
	ret = kr_request_parse(is->req->request, data, len, &is->rq, err);
	free(data);
	if (ret != KR_OK || (ret = kr_issue_request_kind(is, err)) != KR_OK)
		return ret;
	is->rq_req.issuer_key = is->rq.issuer_key;
	is->rq_req.profile = is->rq.profile;
	if ((ret = kr_issue_request_deps(is, err)) != KR_OK)
		return ret;
	if ((ret = kr_tbs_fields(is->rq.tbs, is->rq.tbs_len, is->f, err)) !=
	    KR_OK)
		return kr_err_prefix(err, "%s: ", is->req->request);
	if ((is->tbs = malloc(is->rq.tbs_len)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	memcpy(is->tbs, is->rq.tbs, is->rq.tbs_len);
	is->tbs_len = is->rq.tbs_len;
	if ((ret = kr_issue_request_key(is, err)) != KR_OK ||
	    (ret = kr_issue_request_cross(is, err)) != KR_OK)
		return ret;
	return kr_issue_request_tbs(is, err);
}

static const char *
kr_issue_key_desc(const uint8_t *spki, size_t len, char *buf, size_t cap)
{
	struct kr_spki_info	info;
	struct kr_err		e;

	if (kr_spki_parse(spki, len, &info, &e) != KR_OK)
		return "unknown";
	switch (info.type) {
	case KR_PK_EC_P256:
		return "ECDSA P-256";
	case KR_PK_EC_P384:
		return "ECDSA P-384";
	case KR_PK_ED25519:
		return "Ed25519";
	case KR_PK_RSA:
		(void)snprintf(buf, cap, "RSA %u bits", info.bits);
		return buf;
	}
	return "unknown";
}

/* See, then approve: the certificate as the custodians will sign it. */
static void
kr_issue_preview(struct kr_issue *is, struct kr_preview *pv)
{
	const struct kr_cert_fields	*f = is->f;
	const struct kr_issue_result	*r = is->res;
	const char			*kind;
	uint8_t				 dig[32];
	char				 buf[512], alg[32];
	size_t				 i;

	/* rotate root's: a link certificate (docs/rotation.md). */
	kind = is->req->cross_der != NULL ? "link" : is->kind;
	kr_preview_init(pv, "%c%s certificate to be signed by key '%s'",
	    kind[0] - 32, kind + 1, is->issuer.name);
	kr_preview_text(pv, "subject", "%s", r->subject);
	kr_dn_format(f->issuer, f->issuer_len, buf, sizeof(buf));
	kr_preview_text(pv, "issuer", "%s", buf);
	kr_preview_hash(pv, "serial", f->serial, f->serial_len);
	kr_preview_text(pv, "not before", "%s", r->not_before);
	kr_preview_text(pv, "not after", "%s (%lld days)", r->not_after,
	    (long long)((f->not_after - f->not_before) / 86400));
	kr_preview_text(pv, "profile", "%s (%s%s)", is->profile.name, kind,
	    kind != is->kind ? " certificate" : "");
	kr_preview_text(pv, "key", "%s", kr_issue_key_desc(f->spki,
	    f->spki_len, alg, sizeof(alg)));
	if (kr_hash(KR_HASH_SHA256, f->spki, f->spki_len, dig) == KR_OK)
		kr_preview_hash(pv, "key SHA-256", dig, sizeof(dig));
	for (i = 0; i < f->san_count; i++) {
		kr_gn_format(&f->san[i], buf, sizeof(buf));
		kr_preview_text(pv, "alt. name", "%s", buf);
	}
	kr_preview_text(pv, "signed with", "key '%s' (%s), %s",
	    is->issuer.name, is->issuer.alg, kr_sig_alg_name(f->sig_alg));
	if (kr_hash(KR_HASH_SHA256, is->tbs, is->tbs_len, dig) == KR_OK)
		kr_preview_hash(pv, "TBS SHA-256", dig, sizeof(dig));
	if (r->lint.warnings > 0)
		kr_preview_text(pv, "lint", "%zu warning%s%s", r->lint.warnings,
		    r->lint.warnings == 1 ? "" : "s", is->req->accept_warnings ?
		    ", accepted with --accept-warnings" : "");
	else
		kr_preview_text(pv, "lint", "no findings");
}

static int
kr_issue_confirm(struct kr_issue *is, const struct kr_passphrase_source *src,
    bool ask, struct kr_err *err)
{
	struct kr_preview	pv;
	int			ret;

	kr_issue_preview(is, &pv);
	ret = kr_preview_confirm(src, &pv, ask && !is->req->dry_run, err);
	kr_preview_free(&pv);
	return ret;
}

/* Everything before the custodians see it: fields, description, lint. */
static int
kr_issue_build(struct kr_issue *is, struct kr_err *err)
{
	int	ret;

	if (is->req->request != NULL)
		ret = kr_issue_from_request(is, err);
	else if ((ret = kr_issue_load_issuer(is, err)) == KR_OK &&
	    (ret = kr_issue_load_profile(is, err)) == KR_OK)
		ret = kr_issue_fields(is, err);
	if (ret != KR_OK)
		return ret;
	is->kind = kr_issue_kind(is);
	kr_issue_describe(is);
	return kr_issue_lint(is, err);
}

int
kr_issue_out_check(struct kr_issue *is, struct kr_err *err)
{
	/* The certificate is the TBS, two AlgorithmIdentifiers, a signature. */
	return kr_out_check(is->app, KR_ART_CERTIFICATE, is->req->out_path,
	    kr_media_pem_bound(is->tbs_len + 64 + KR_SIG_MAX_BYTES), err);
}

/* Shown; asked only with `ask` (rotate root asks once, after it all). */
int
kr_issue_show(struct kr_issue *is, const struct kr_passphrase_source *src,
    bool ask, struct kr_err *err)
{
	return kr_issue_confirm(is, src, ask, err);
}

/* What the custodians approve: the SHA-256 of exactly this TBS. */
int
kr_issue_tbs_sha256(const struct kr_issue *is, uint8_t *dig,
    struct kr_err *err)
{
	if (kr_hash(KR_HASH_SHA256, is->tbs, is->tbs_len, dig) != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "cannot hash the TBS");
	return KR_OK;
}

int
kr_issue_sign_as(struct kr_issue *is, struct kr_signer *s,
    const struct kr_quorum_report *q, size_t item, const char *event,
    struct kr_err *err)
{
	is->q = q;
	is->item = item;
	is->event = event;
	return kr_issue_sign(is, s, err);
}

const uint8_t *
kr_issue_der(const struct kr_issue *is, size_t *len)
{
	*len = is->cert_len;
	return is->cert;
}

/*
 * rotate root: the prepared TBS as a certificate with a placeholder
 * signature, from which the link certificates read the new root's
 * subject, key, key identifier and validity before it is signed.  The
 * caller frees it; it is never recorded or written.
 */
int
kr_issue_template(const struct kr_issue *is, uint8_t **der, size_t *len,
    struct kr_err *err)
{
	static const uint8_t	placeholder[1];

	return kr_cert_assemble(is->tbs, is->tbs_len, is->f->sig_alg,
	    placeholder, sizeof(placeholder), der, len, err);
}

static int
kr_issue_run(struct kr_issue *is, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	struct kr_approval_subject	 sub = { .op = NULL };
	struct kr_signer	*s = NULL;
	uint8_t			 tbs_dig[32];
	int			 ret;

	if ((ret = kr_issue_build(is, err)) != KR_OK)
		return ret;
	if (is->req->dry_run) {
		if ((ret = kr_issue_confirm(is, src, true, err)) != KR_OK ||
		    is->req->save_request == NULL)
			return ret;
		if ((ret = kr_issue_save_request(is, err)) == KR_OK)
			is->res->saved = true;
		return ret;
	}
	if ((ret = kr_issue_out_check(is, err)) != KR_OK ||
	    (ret = kr_issue_confirm(is, src, true, err)) != KR_OK ||
	    (ret = kr_issue_tbs_sha256(is, tbs_dig, err)) != KR_OK)
		return ret;
	/* The custodians approve exactly this TBS. */
	sub.op = kr_issue_event(is->req->kind);
	sub.digests = tbs_dig;
	sub.n = 1;
	if ((ret = kr_authority_unlock_report(is->app, is->issuer.name,
	    is->req->shares, is->req->nshares, src, &sub, &is->res->quorum, &s,
	    err)) != KR_OK)
		return ret;
	ret = kr_issue_sign_as(is, s, is->res->quorum, 0, NULL, err);
	kr_signer_free(&s);
	if (ret != KR_OK)
		return ret;
	if ((ret = kr_issue_record(is, err)) != KR_OK)
		return ret;
	is->res->signed_ok = true;
	return KR_OK;
}

/*
 * The one way to open an issuance context: for `req` (its result in
 * `res`), or with both NULL for leaves issued in a loop (kr_issue_open),
 * whose request and result are the context's own.
 */
static struct kr_issue *
kr_issue_new(struct kr_appliance *app, const struct kr_issue_req *req,
    struct kr_issue_result *res)
{
	struct kr_issue	*is;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if ((is = calloc(1, sizeof(*is))) == NULL)
		return NULL;
	if ((is->f = calloc(1, sizeof(*is->f))) == NULL) {
		free(is);
		return NULL;
	}
	is->app = app;
	is->req = req != NULL ? req : &is->leaf_req;
	is->res = res != NULL ? res : &is->leaf_res;
	if (is->req->request != NULL) {
		is->rq_req = *is->req;	/* its names come from the file */
		is->req = &is->rq_req;
	}
	is->now = kr_time_now();
	return is;
}

/* The one way to free it (either kind); safe on NULL. */
void
kr_issue_free(struct kr_issue **isp)
{
	struct kr_issue	*is;

	if (isp == NULL || (is = *isp) == NULL)
		return;
	kr_chain_free(&is->chain);
	kr_csr_free(&is->csr);
	kr_cert_free(&is->cross);
	kr_request_free(&is->rq);
	free(is->tbs);
	free(is->cert);
	free(is->f);
	free(is);
	*isp = NULL;
}

/* Prepared and linted, not shown: the caller shows, signs, records. */
int
kr_issue_prepare(struct kr_appliance *app, const struct kr_issue_req *req,
    struct kr_issue_result *res, struct kr_issue **out, struct kr_err *err)
{
	if ((*out = kr_issue_new(app, req, res)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	return kr_issue_build(*out, err);
}

int
kr_authority_issue(struct kr_appliance *app, const struct kr_issue_req *req,
    const struct kr_passphrase_source *src, struct kr_issue_result *res,
    struct kr_err *err)
{
	struct kr_issue	*is;
	int		 ret;

	if ((is = kr_issue_new(app, req, res)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_issue_run(is, src, err);
	kr_issue_free(&is);
	return ret;
}

void
kr_issue_result_free(struct kr_issue_result *res)
{
	if (res != NULL)
		kr_quorum_report_free(&res->quorum);
}

/*
 * Leaves issued in a loop (provision.c, renew.c): the issuer, profile and
 * chain loaded once, then one leaf after another from a subject name, a
 * key and alternative names, each built and linted like `cert issue`.
 */
int
kr_issue_open(struct kr_appliance *app, const char *issuer_key,
    const char *profile, unsigned days, struct kr_issue **out,
    struct kr_err *err)
{
	struct kr_issue	*is;
	int		 ret;

	if ((*out = is = kr_issue_new(app, NULL, NULL)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	is->leaf_req.kind = KR_ISSUE_CERT;
	is->leaf_req.issuer_key = issuer_key;
	is->leaf_req.profile = profile;
	is->leaf_req.days = days;
	if ((ret = kr_issue_load_issuer(is, err)) != KR_OK ||
	    (ret = kr_issue_load_profile(is, err)) != KR_OK)
		return ret;
	if (is->profile.is_ca)
		return kr_err_set(err, KR_EUSAGE, "profile '%s' makes CA "
		    "certificates: devices get leaf certificates (profile "
		    "device)", is->profile.name);
	if (days > is->profile.max_days)
		return kr_err_set(err, KR_EUSAGE, "%u days is longer than "
		    "profile '%s' allows (max_days %u)", days, is->profile.name,
		    is->profile.max_days);
	return kr_chain_for_key(app, is->issuer.name, is->issuer.spki,
	    is->issuer.spki_len, is->now, &is->chain, err);
}

static int
kr_issue_leaf_fields(struct kr_issue *is, const struct kr_leaf *lf,
    struct kr_err *err)
{
	size_t	i;
	int	ret;

	memset(is->f, 0, sizeof(*is->f));
	/*
	 * The subject comes from the request (or its certificate), as for
	 * `cert issue --csr` without --subject.
	 */
	if (is->profile.subject_from_request == 0)
		return kr_err_set(err, KR_EREFUSED, "%s: profile '%s' takes no "
		    "subject from the request (subject_from_request is empty): "
		    "devices are certified under a profile that does, such as "
		    "device", lf->label, is->profile.name);
	if (lf->subject_len > sizeof(is->f->subject))
		return kr_err_set(err, KR_EINPUT, "%s: the subject is too long",
		    lf->label);
	memcpy(is->f->subject, lf->subject, lf->subject_len);
	is->f->subject_len = lf->subject_len;
	if ((ret = kr_issue_set_spki(is, lf->spki, lf->spki_len, lf->label,
	    err)) != KR_OK)
		return ret;
	if ((ret = kr_issue_exts(is, err)) != KR_OK)
		return ret;
	if (lf->nsan > 0 && !is->profile.san_allowed)
		return kr_err_set(err, KR_EREFUSED, "%s: profile '%s' puts no "
		    "subjectAltName in its certificates", lf->label,
		    is->profile.name);
	for (i = 0; i < lf->nsan && i < KR_GN_MAX; i++)
		is->f->san[i] = lf->san[i];
	is->f->san_count = i;
	is->f->has_san = i > 0;
	if ((ret = kr_issue_serial(is, err)) != KR_OK ||
	    (ret = kr_issue_sig_alg(is, err)) != KR_OK ||
	    (ret = kr_issue_validity(is, err)) != KR_OK ||
	    (ret = kr_issue_key_ids(is, err)) != KR_OK)
		return ret;
	return kr_tbs_build(is->f, &is->tbs, &is->tbs_len, err);
}

/* Builds and lints the next leaf; its description in *res. */
int
kr_issue_leaf(struct kr_issue *is, const struct kr_leaf *lf,
    const struct kr_issue_result **res, struct kr_err *err)
{
	int	ret;

	free(is->tbs);
	free(is->cert);
	is->tbs = is->cert = NULL;
	is->tbs_len = is->cert_len = 0;
	memset(&is->leaf_res, 0, sizeof(is->leaf_res));
	*res = &is->leaf_res;
	is->now = kr_time_now();
	if ((ret = kr_issue_leaf_fields(is, lf, err)) != KR_OK)
		return ret;
	is->kind = "leaf";
	kr_issue_describe(is);
	if ((ret = kr_issue_lint(is, err)) != KR_OK)
		return kr_err_prefix(err, "%s: ", lf->label);
	return KR_OK;
}

/*
 * Signs the leaf just built, verified after signing here or, with
 * `later`, by the caller (kr_issue_sig_check) before it commits the leaf.
 */
int
kr_issue_leaf_sign(struct kr_issue *is, struct kr_signer *s,
    struct kr_sig_check *later, struct kr_err *err)
{
	uint8_t	dig[32];
	int	ret;

	if ((ret = kr_issue_sign_as_later(is, s, later, err)) != KR_OK)
		return ret;
	if ((ret = kr_hash(KR_HASH_SHA256, is->cert, is->cert_len, dig)) !=
	    KR_OK)
		return kr_err_set(err, ret, "cannot hash the certificate");
	kr_hex_encode(is->leaf_res.cert_sha256, dig, sizeof(dig));
	return KR_OK;
}

int
kr_issue_leaf_insert(struct kr_issue *is, struct kr_err *err)
{
	return kr_issue_insert(is, err);
}

void
kr_issue_leaf_cert(const struct kr_issue *is, const uint8_t **der,
    size_t *len)
{
	*der = is->cert;
	*len = is->cert_len;
}

const struct kr_key_rec *
kr_issue_issuer(const struct kr_issue *is)
{
	return &is->issuer;
}

const struct kr_profile *
kr_issue_profile(const struct kr_issue *is)
{
	return &is->profile;
}

/* The certificate of the issuing CA the leaves chain to. */
const struct kr_cert *
kr_issue_ca_cert(const struct kr_issue *is)
{
	return is->chain.len > 0 ? is->chain.certs[0] : NULL;
}

const struct kr_cert_fields *
kr_issue_leaf_fields_get(const struct kr_issue *is)
{
	return is->f;
}

int
kr_issue_accept_warnings(struct kr_issue *is, bool yes)
{
	is->leaf_req.accept_warnings = yes;
	return KR_OK;
}

/*
 * provision batch: the leaf just inserted, its audit row (the approvals
 * of item 0 of quorum q) with the batch's members.
 */
int
kr_issue_leaf_audit(struct kr_issue *is, const struct kr_issue_row *row,
    const struct kr_quorum_report *q, struct kr_err *err)
{
	int	ret;

	is->q = q;
	is->item = 0;
	ret = kr_issue_audit(is, row, err);
	is->q = NULL;
	return ret;
}

void
kr_issue_renews_issuer(struct kr_issue *is, const char *name)
{
	is->renews_issuer = name;
}

/*
 * cert renew: the leaf just signed recorded as a renewal of certificate
 * `renews` (its row `renews_id`) with its audit row (`cert.renew`, the
 * approvals of quorum q), then written to `out`, as `cert issue` does.
 */
int
kr_issue_leaf_record(struct kr_issue *is, const char *renews,
    int64_t renews_id, const struct kr_issue_req *out,
    struct kr_quorum_report *q, struct kr_err *err)
{
	int	ret;

	is->renews = renews;
	is->renews_id = renews_id;
	is->leaf_req.out_path = out->out_path;
	is->leaf_req.der = out->der;
	is->leaf_req.actor = out->actor;
	is->q = q;
	is->item = 0;
	ret = kr_issue_record(is, err);
	is->q = NULL;
	return ret;
}
