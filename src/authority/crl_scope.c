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

/*
 * A delta keeps its base's scope and distribution point: RFC 5280 5.2.4
 * wants the same IDP, whatever crl.yaml says now.
 */
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
	(void)snprintf(f->idp_uri, sizeof(f->idp_uri), "%s", info.has_idp ?
	    info.idp_uri : "");
	return KR_OK;
}

/* The first findings, "ID: message; ...". */
static void
kr_crl_findings(const struct kr_crl_cover *cv, char *out, size_t cap)
{
	size_t	i, n = 0;

	out[0] = '\0';
	for (i = 0; i < cv->r.count && i < KR_SCOPE_SHOWN && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s: %s",
		    i > 0 ? "; " : "", cv->r.f[i].id, cv->r.f[i].msg);
	if (cv->r.errors > KR_SCOPE_SHOWN && n < cap)
		(void)snprintf(out + n, cap - n, "; ...");
}

static int
kr_crl_scope_refuse(const struct kr_key_rec *k, const struct kr_crl_cover *cv,
    struct kr_err *err)
{
	char	shown[KR_SCOPE_SHOWN * 330];

	kr_crl_findings(cv, shown, sizeof(shown));
	return kr_err_set(err, KR_EREFUSED, "lint refused the CRL of '%s' "
	    "(%zu finding%s): %s. Relying parties would refuse this CRL for "
	    "those certificates (different CRL scope). Nothing was signed: "
	    "%sgive '%s' the distribution point and scope that fit its "
	    "certificates in policy/crl.yaml (keyrite policy update; "
	    "docs/revocation.md)",
	    k->name, cv->r.errors, cv->r.errors == 1 ? "" : "s", shown,
	    cv->f->is_delta ?
	    "a delta keeps its base CRL's scope, so publish a new base CRL; "
	    "or " : "", k->name);
}

/* A CRL's IDP and freshestCRL, linted against what it covers (in cv). */
static int
kr_crl_scope_lint(struct kr_appliance *app, const struct kr_key_rec *k,
    const struct kr_crl_policy *cp, size_t chain_len, int64_t at,
    const struct kr_crl_rec *base, struct kr_crl_fields *f,
    struct kr_crl_cover *cv, struct kr_err *err)
{
	struct kr_crl_site	site;
	int			ret;

	memset(cv, 0, sizeof(*cv));
	cv->f = f;
	if ((ret = kr_crl_policy_site(cp, k->name, &site, err)) != KR_OK)
		return kr_err_prefix(err, "policy/crl.yaml: ");
	if (!f->is_delta)
		(void)snprintf(f->freshest_uri, sizeof(f->freshest_uri), "%s",
		    site.delta);
	if (!cp->idp)
		return KR_OK;
	(void)snprintf(f->idp_uri, sizeof(f->idp_uri), "%s", site.dp);
	if (base != NULL)
		ret = kr_crl_base_scope(app, k, base, f, err);
	else if ((ret = kr_crl_cover_pass(app, k, at, cv, err)) == KR_OK)
		kr_crl_scope_flags(&site, chain_len, cv, f);
	if (ret != KR_OK)
		return ret;
	/* RFC 5280 5.2.5: an issuingDistributionPoint is never empty. */
	f->has_idp = f->idp_only_ca || f->idp_only_user || f->idp_uri[0] != '\0';
	cv->lint = true;
	return kr_crl_cover_pass(app, k, at, cv, err);
}

int
kr_crl_scope(struct kr_appliance *app, const struct kr_key_rec *k,
    const struct kr_crl_policy *cp, size_t chain_len, int64_t at,
    const struct kr_crl_rec *base, struct kr_crl_fields *f,
    struct kr_err *err)
{
	struct kr_crl_cover	cv;
	int			ret;

	if ((ret = kr_crl_scope_lint(app, k, cp, chain_len, at, base, f, &cv,
	    err)) != KR_OK)
		return ret;
	return cv.r.errors > 0 ? kr_crl_scope_refuse(k, &cv, err) : KR_OK;
}

/*
 * A policy update, checked before its quorum: for every active CA key
 * whose CRLs fit under the policy in force, they still fit under the new
 * crl.yaml, and no profile that gave its certificates the key's
 * distribution point stops doing so (crl publish would refuse them).
 */
struct kr_crl_recheck {
	struct kr_appliance		*app;
	const struct kr_policy_set	*cur, *next;
	const char			*from;
	struct kr_crl_policy		 ocp, ncp;
	struct kr_profile		*op, *np;
	int64_t				 now;
	struct kr_err			*err;
	int				 status;
};

static int
kr_crl_recheck_cover(struct kr_crl_recheck *rc, const struct kr_key_rec *k,
    size_t chain_len)
{
	struct kr_crl_fields	f;
	struct kr_crl_cover	cv;
	char			shown[KR_SCOPE_SHOWN * 330];
	int			ret;

	memset(&f, 0, sizeof(f));
	if ((ret = kr_crl_scope_lint(rc->app, k, &rc->ocp, chain_len, rc->now,
	    NULL, &f, &cv, rc->err)) != KR_OK || cv.r.errors > 0)
		return ret;	/* refused already: not this update's doing */
	memset(&f, 0, sizeof(f));
	if ((ret = kr_crl_scope_lint(rc->app, k, &rc->ncp, chain_len, rc->now,
	    NULL, &f, &cv, rc->err)) != KR_OK || cv.r.errors == 0)
		return ret;
	kr_crl_findings(&cv, shown, sizeof(shown));
	return kr_err_set(rc->err, KR_EREFUSED, "the policy was not changed: "
	    "under %s/crl.yaml the CRLs of '%s' would no longer cover the "
	    "certificates it issued, and `keyrite crl publish --issuer-key %s` "
	    "would be refused (%zu finding%s): %s. Keep the distribution point "
	    "and scope of '%s' that its certificates name (its own entry under "
	    "issuers: in crl.yaml can keep the old URL), or make this change "
	    "once those certificates have expired. Nothing was asked",
	    rc->from, k->name, k->name, cv.r.errors, cv.r.errors == 1 ? "" :
	    "s", shown, k->name);
}

/* A profile's certificates issued by `key` name the key's IDP URI. */
static bool
kr_crl_profile_fits(const struct kr_profile *p, const struct kr_crl_policy *cp,
    const char *key, char *uri, size_t cap)
{
	struct kr_crl_site	site;
	struct kr_err		e;
	size_t			i;

	(void)snprintf(uri, cap, "no CRL distribution point");
	if (!cp->idp || kr_crl_policy_site(cp, key, &site, &e) != KR_OK ||
	    site.dp[0] == '\0')
		return true;
	for (i = 0; i < p->crldp_count; i++)
		if (kr_policy_url_expand(p->crldp[i], key, uri, cap,
		    "crl_distribution_points", &e) == KR_OK &&
		    strcmp(uri, site.dp) == 0)
			return true;
	return false;
}

static int
kr_crl_recheck_profile(struct kr_crl_recheck *rc, const struct kr_key_rec *k,
    const struct kr_policy_doc *nd, const struct kr_policy_doc *od)
{
	struct kr_crl_site	site;
	char			base[64], uri[KR_URI_MAX];
	int			ret;

	(void)snprintf(base, sizeof(base), "%.*s", (int)(strlen(nd->name) - 5),
	    nd->name);
	if ((ret = kr_profile_parse(od->name, base, od->data, od->len, rc->op,
	    rc->err)) != KR_OK ||
	    (ret = kr_profile_parse(nd->name, base, nd->data, nd->len, rc->np,
	    rc->err)) != KR_OK)
		return ret;
	if (!kr_crl_profile_fits(rc->op, &rc->ocp, k->name, uri, sizeof(uri)) ||
	    kr_crl_profile_fits(rc->np, &rc->ncp, k->name, uri, sizeof(uri)) ||
	    kr_crl_policy_site(&rc->ncp, k->name, &site, rc->err) != KR_OK)
		return KR_OK;
	return kr_err_set(rc->err, KR_EREFUSED, "the policy was not changed: "
	    "certificates that '%s' issues under profile '%s' would name %s, "
	    "and the CRLs of '%s' under %s/crl.yaml name %s: `keyrite crl "
	    "publish --issuer-key %s` would refuse them. Keep the profile's "
	    "crl_distribution_points at %s, or change the distribution point "
	    "of '%s' in crl.yaml in the same update. Nothing was asked",
	    k->name, base, uri, k->name, rc->from, site.dp, k->name, site.dp,
	    k->name);
}

static int
kr_crl_recheck_key(const struct kr_key_rec *k, void *arg)
{
	struct kr_crl_recheck		*rc = arg;
	const struct kr_policy_doc	*nd, *od;
	struct kr_chain			 chain;
	struct kr_err			 e;
	size_t				 i;

	if (strcmp(k->purpose, "ca") != 0 || strcmp(k->state, "active") != 0)
		return 0;
	memset(&chain, 0, sizeof(chain));
	if (kr_chain_for_key(rc->app, k->name, k->spki, k->spki_len, rc->now,
	    &chain, &e) != KR_OK)
		return 0;	/* no certificate: it publishes no CRL */
	rc->status = kr_crl_recheck_cover(rc, k, chain.len);
	kr_chain_free(&chain);
	for (i = 0; rc->status == KR_OK && i < rc->next->n; i++) {
		nd = &rc->next->doc[i];
		if (strcmp(nd->name, "quorum.yaml") == 0 ||
		    strcmp(nd->name, "crl.yaml") == 0 ||
		    (od = kr_policy_set_find(rc->cur, nd->name)) == NULL)
			continue;
		rc->status = kr_crl_recheck_profile(rc, k, nd, od);
	}
	return rc->status != KR_OK ? 1 : 0;
}

static int
kr_crl_recheck_policy(const struct kr_policy_set *ps, const char *origin,
    struct kr_crl_policy *cp, struct kr_err *err)
{
	const struct kr_policy_doc	*d;

	if ((d = kr_policy_set_find(ps, "crl.yaml")) == NULL)
		return kr_err_set(err, KR_ESTATE, "%s holds no crl.yaml",
		    origin);
	return kr_crl_policy_parse(origin, d->data, d->len, cp, err);
}

int
kr_crl_policy_recheck(struct kr_appliance *app,
    const struct kr_policy_set *cur, const struct kr_policy_set *next,
    const char *from, int64_t now, struct kr_err *err)
{
	struct kr_crl_recheck	*rc;
	int			 ret;

	if ((rc = calloc(1, sizeof(*rc))) == NULL ||
	    (rc->op = calloc(1, sizeof(*rc->op))) == NULL ||
	    (rc->np = calloc(1, sizeof(*rc->np))) == NULL) {
		if (rc != NULL)
			free(rc->op);
		free(rc);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	rc->app = app;
	rc->cur = cur;
	rc->next = next;
	rc->from = from;
	rc->now = now;
	rc->err = err;
	if ((ret = kr_crl_recheck_policy(cur, "policy/crl.yaml", &rc->ocp,
	    err)) == KR_OK &&
	    (ret = kr_crl_recheck_policy(next, from, &rc->ncp, err)) == KR_OK) {
		ret = kr_store_key_foreach(app->store, kr_crl_recheck_key, rc,
		    err);
		if (rc->status != KR_OK)
			ret = rc->status;
	}
	free(rc->op);
	free(rc->np);
	free(rc);
	return ret;
}

int
kr_appliance_crl_policy(struct kr_appliance *app, struct kr_crl_policy *cp,
    struct kr_err *err)
{
	char	*path;
	int	 ret;

	if ((path = kr_appliance_path(app, KR_POLICY_DIR "/crl.yaml")) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_crl_policy_load(path, cp, err);
	free(path);
	return ret;
}

int
kr_authority_crl_site(struct kr_appliance *app, const char *key,
    struct kr_crl_site *site, struct kr_err *err)
{
	struct kr_crl_policy	*cp;
	int			 ret;

	memset(site, 0, sizeof(*site));
	if ((cp = calloc(1, sizeof(*cp))) == NULL)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	else if ((ret = kr_appliance_crl_policy(app, cp, err)) == KR_OK &&
	    (ret = kr_crl_policy_site(cp, key, site, err)) != KR_OK)
		ret = kr_err_prefix(err, "policy/crl.yaml: ");
	free(cp);
	return ret;
}
