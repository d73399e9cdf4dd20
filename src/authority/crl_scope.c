/*
 * Where a CA's CRLs say they are published and what they cover: its
 * settings in policy/crl.yaml (its own section, or the defaults with
 * "{issuer}" replaced by its key name), a scope that follows what it
 * issued, and the lint of that scope against every certificate it covers
 * (its certificates that have not expired), before the quorum is asked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

#define KR_SCOPE_SHOWN	3	/* findings named in the refusal */

struct kr_crl_cover {
	const struct kr_crl_fields	*f;
	struct kr_lint_report		 r;
	size_t				 ca, leaf;
	bool				 lint;
	int				 status;
	struct kr_err			*err;
};

/*
 * A root's own certificate is covered too: `openssl verify -crl_check_all`
 * checks the trust anchor against its own CRL.
 */
static int
kr_crl_cover_cert(const struct kr_cert_rec *rec, void *arg)
{
	struct kr_crl_cover	*cv = arg;
	struct kr_cert		*c = NULL;

	if (!cv->lint) {
		if (rec->is_ca)
			cv->ca++;
		else
			cv->leaf++;
		return 0;
	}
	if ((cv->status = kr_cert_parse(rec->serial, rec->der, rec->der_len,
	    &c, cv->err)) != KR_OK)
		return cv->status;
	kr_lint_crl_cert(cv->f, c, &cv->r);
	kr_cert_free(&c);
	return 0;
}

static int
kr_crl_cover_pass(struct kr_appliance *app, const struct kr_key_rec *k,
    int64_t at, struct kr_crl_cover *cv, struct kr_err *err)
{
	int	ret;

	cv->err = err;
	ret = kr_store_cert_by_issuer(app->store, k->id, at, kr_crl_cover_cert,
	    cv, err);
	if (cv->status != KR_OK)
		return cv->status;
	return ret;
}

/* auto: CAs only (a root's CRL), leaves only, or both. */
static void
kr_crl_scope_flags(const struct kr_crl_site *site, size_t chain_len,
    const struct kr_crl_cover *cv, struct kr_crl_fields *f)
{
	enum kr_crl_scope	s = site->scope;

	if (s == KR_CRL_SCOPE_AUTO) {
		if (cv->leaf == 0 && (cv->ca > 0 || chain_len == 1))
			s = KR_CRL_SCOPE_CA;
		else if (cv->ca == 0 && cv->leaf > 0)
			s = KR_CRL_SCOPE_USER;
		else
			s = KR_CRL_SCOPE_ALL;
	}
	f->idp_only_ca = s == KR_CRL_SCOPE_CA;
	f->idp_only_user = s == KR_CRL_SCOPE_USER;
}

/* A delta keeps its base's scope: RFC 5280 5.2.4 wants the same IDP. */
static int
kr_crl_base_scope(struct kr_appliance *app, const struct kr_key_rec *k,
    const struct kr_crl_rec *base, struct kr_crl_fields *f,
    struct kr_err *err)
{
	struct kr_crl_info	 info;
	uint8_t			*der = NULL;
	char			 what[96];
	size_t			 len;
	int			 ret;

	if ((ret = kr_crl_copy_read(app, k->name, base, &der, &len, err)) !=
	    KR_OK)
		return kr_err_prefix(err, "nothing was signed: ");
	(void)snprintf(what, sizeof(what), "CRL %lld of '%s'",
	    (long long)base->number, k->name);
	ret = kr_crl_parse(what, der, len, &info, NULL, NULL, NULL, err);
	free(der);
	if (ret != KR_OK)
		return ret;
	f->idp_only_ca = info.has_idp && info.idp_only_ca;
	f->idp_only_user = info.has_idp && info.idp_only_user;
	return KR_OK;
}

static int
kr_crl_scope_refuse(const struct kr_key_rec *k, const struct kr_crl_cover *cv,
    struct kr_err *err)
{
	char	shown[KR_SCOPE_SHOWN * 330];
	size_t	i, n = 0;

	shown[0] = '\0';
	for (i = 0; i < cv->r.count && i < KR_SCOPE_SHOWN; i++)
		n += (size_t)snprintf(shown + n, sizeof(shown) - n, "%s%s: %s",
		    i > 0 ? "; " : "", cv->r.f[i].id, cv->r.f[i].msg);
	return kr_err_set(err, KR_EREFUSED, "lint refused the CRL of '%s' "
	    "(%zu finding%s): %s%s. Relying parties would refuse this CRL for "
	    "those certificates (different CRL scope). Nothing was signed: "
	    "%sgive '%s' the distribution point and scope that fit its "
	    "certificates in policy/crl.yaml (keyrite policy update; "
	    "docs/revocation.md)",
	    k->name, cv->r.errors, cv->r.errors == 1 ? "" : "s", shown,
	    cv->r.errors > KR_SCOPE_SHOWN ? "; ..." : "", cv->f->is_delta ?
	    "a delta keeps its base CRL's scope, so publish a new base CRL; "
	    "or " : "", k->name);
}

int
kr_crl_scope(struct kr_appliance *app, const struct kr_key_rec *k,
    const struct kr_crl_policy *cp, size_t chain_len, int64_t at,
    const struct kr_crl_rec *base, struct kr_crl_fields *f,
    struct kr_err *err)
{
	struct kr_crl_site	site;
	struct kr_crl_cover	cv;
	int			ret;

	memset(&cv, 0, sizeof(cv));
	if ((ret = kr_crl_policy_site(cp, k->name, &site, err)) != KR_OK)
		return kr_err_prefix(err, "policy/crl.yaml: ");
	if (!f->is_delta)
		(void)snprintf(f->freshest_uri, sizeof(f->freshest_uri), "%s",
		    site.delta);
	if (!cp->idp)
		return KR_OK;
	if (base != NULL)
		ret = kr_crl_base_scope(app, k, base, f, err);
	else if ((ret = kr_crl_cover_pass(app, k, at, &cv, err)) == KR_OK)
		kr_crl_scope_flags(&site, chain_len, &cv, f);
	if (ret != KR_OK)
		return ret;
	(void)snprintf(f->idp_uri, sizeof(f->idp_uri), "%s", site.dp);
	/* RFC 5280 5.2.5: an issuingDistributionPoint is never empty. */
	f->has_idp = f->idp_only_ca || f->idp_only_user || f->idp_uri[0] != '\0';
	cv.f = f;
	cv.lint = true;
	if ((ret = kr_crl_cover_pass(app, k, at, &cv, err)) != KR_OK)
		return ret;
	return cv.r.errors > 0 ? kr_crl_scope_refuse(k, &cv, err) : KR_OK;
}
