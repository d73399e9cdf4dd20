/*
 * The rehearsal of the steps that sign: certificates (prepared through
 * the authority's dry run when their keys exist now), CRLs and OTA
 * batches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceremony_int.h"

static int
kr_cer_need_file(const char *path, const char *what, struct kr_err *err)
{
	if (path == NULL || access(path, R_OK) == 0)
		return KR_OK;
	return kr_err_set(err, KR_EINPUT, "%s %s cannot be read (is the "
	    "medium in?)", what, path);
}

/* Prepared now, exactly as the run will sign it. */
static int
kr_cer_prepare(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_issue_req *req, struct kr_err *err)
{
	struct kr_issue_result	res;
	char			path[4096];
	int			ret;

	req->dry_run = true;
	if (c->requests_dir != NULL) {
		(void)snprintf(path, sizeof(path), "%s/%s.request",
		    c->requests_dir, st->id);
		req->save_request = path;
	}
	ret = kr_authority_issue(c->app, req, NULL, &res, err);
	if (res.serial[0] != '\0') {
		kr_cer_print(c, "  will sign: %s, serial %s, %s to %s",
		    res.subject, res.serial, res.not_before, res.not_after);
		kr_cer_print(c, "  TBS SHA-256: %s", res.tbs_sha256);
		kr_cer_print(c, "  lint: %zu error(s), %zu warning(s)",
		    res.lint.errors, res.lint.warnings);
		if (res.saved)
			kr_cer_print(c, "  prepared request: %s (the run signs "
			    "exactly this TBS, serial and validity)", path);
	}
	kr_issue_result_free(&res);
	return ret;
}

int
kr_cer_check_cert(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_issue_req	 req;
	struct kr_cer_key	*k, *sk = NULL;
	int			 ret;

	kr_cer_issue_req(c, st, &req, NULL, 0);
	if ((ret = kr_cer_need_key(c, req.issuer_key, "ca", &k, err)) !=
	    KR_OK || (ret = kr_cer_need_quorum(c, st, k, err)) != KR_OK ||
	    (ret = kr_cer_need_out(req.out_path, false, err)) != KR_OK ||
	    (ret = kr_cer_need_file(req.csr_path, "the CSR", err)) != KR_OK ||
	    (ret = kr_cer_need_file(req.pubkey_path, "the public key",
	    err)) != KR_OK ||
	    (ret = kr_cer_need_file(req.cross_cert_path, "the certificate",
	    err)) != KR_OK)
		return ret;
	if (req.kind != KR_ISSUE_ROOT && !k->has_cert)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has no CA "
		    "certificate now and no earlier step makes one", k->name);
	if (req.subject_key != NULL && (ret = kr_cer_need_key(c,
	    req.subject_key, NULL, &sk, err)) != KR_OK)
		return ret;
	if (k->exists && (req.kind == KR_ISSUE_ROOT || k->cert_now) &&
	    (sk == NULL || sk->exists))
		ret = kr_cer_prepare(c, st, &req, err);
	else
		kr_cer_print(c, "  will be prepared when it runs: %s is made "
		    "by an earlier step", !k->exists ? "its issuer key" :
		    !k->cert_now ? "its issuer's certificate" : "its key");
	if (ret != KR_OK)
		return ret;
	if (req.kind == KR_ISSUE_ROOT)
		k->has_cert = true;
	if (sk != NULL && strcmp(sk->purpose, "ca") == 0)
		sk->has_cert = true;
	return KR_OK;
}

/* The CRL prepared now, as the run will sign it if nothing changes. */
static int
kr_cer_prepare_crl(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    const char *name, struct kr_err *err)
{
	struct kr_crl_req	req;
	struct kr_crl_result	res;
	char			path[4096];
	int			ret;

	memset(&req, 0, sizeof(req));
	req.issuer_key = name;
	req.delta = kr_cer_bool(st, "delta");
	req.next_update_days = kr_cer_uint(st, "next_update_days");
	req.dry_run = true;
	if (c->requests_dir != NULL) {
		kr_cer_crl_request_path(c->requests_dir, st, name, path,
		    sizeof(path));
		req.save_request = path;
	}
	ret = kr_authority_crl_publish(c->app, &req, NULL, NULL, &res, err);
	if (ret == KR_OK) {
		kr_cer_print(c, "  will sign CRL %lld of '%s': %zu entries, "
		    "%s to %s", (long long)res.number, name, res.entries,
		    res.this_update, res.next_update);
		kr_cer_print(c, "  TBS SHA-256: %s", res.tbs_sha256);
		if (res.saved)
			kr_cer_print(c, "  prepared request: %s (the run signs "
			    "exactly this CRL if no revocation is recorded "
			    "before it)", path);
	}
	kr_crl_result_free(&res);
	return ret;
}

static int
kr_cer_check_crl_key(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    const char *name, struct kr_err *err)
{
	struct kr_cer_key	*k;
	bool			 delta = kr_cer_bool(st, "delta");
	int			 ret;

	if ((ret = kr_cer_need_key(c, name, "ca", &k, err)) != KR_OK ||
	    (ret = kr_cer_need_quorum(c, st, k, err)) != KR_OK)
		return ret;
	if (!k->has_cert)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has no CA "
		    "certificate now and no earlier step makes one", name);
	if (k->exists && k->cert_now && !k->crl_made && !k->revokes)
		ret = kr_cer_prepare_crl(c, st, name, err);
	else
		kr_cer_print(c, "  will publish the next %sCRL of '%s' (prepared "
		    "when it runs: %s)", delta ? "delta " : "", name,
		    k->crl_made ? "an earlier step publishes one first" :
		    k->revokes ? "an earlier step revokes a certificate it "
		    "issued" : "its key or certificate is made by an earlier "
		    "step");
	k->crl_made = true;
	k->delta_by = delta ? st->id : NULL;
	k->base_by = delta ? NULL : st->id;
	return ret;
}

/*
 * A CA key whose base CRL an earlier step publishes: its delta is due
 * then (none since that base) if it has a delta location.
 */
static int
kr_cer_check_after_base(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_cer_key *k, size_t *n, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_cer_need_key(c, k->name, "ca", &k, err)) != KR_OK ||
	    (ret = kr_cer_need_quorum(c, st, k, err)) != KR_OK)
		return ret;
	kr_cer_print(c, "  will publish a delta CRL of '%s' over the base CRL "
	    "that step '%s' publishes (prepared when it runs)", k->name,
	    k->base_by);
	k->crl_made = true;
	k->delta_by = st->id;
	k->base_by = NULL;
	(*n)++;
	return KR_OK;
}

static bool
kr_cer_due_held(const struct kr_cer_due *d, const char *name)
{
	size_t	i;

	for (i = 0; i < d->nheld; i++)
		if (strcmp(d->held[i].issuer, name) == 0)
			return true;
	return false;
}

static int
kr_cer_check_delta(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    const char *name, size_t *n, struct kr_err *err)
{
	struct kr_cer_key	*k = kr_cer_key(c, name);

	if (k != NULL && k->base_by != NULL)
		return kr_cer_check_after_base(c, st, k, n, err);
	if (k != NULL && k->delta_by != NULL) {
		kr_cer_print(c, "  '%s': step '%s' publishes its delta CRL "
		    "first; none will be due then", name, k->delta_by);
		return KR_OK;
	}
	(*n)++;
	return kr_cer_check_crl_key(c, st, name, err);
}

/*
 * Every due delta CRL, as the state will be when the step runs: the CAs
 * `status` lists whose base CRL is not due, those whose base CRL is due
 * and an earlier step publishes, and any other CA with a delta location
 * whose base an earlier step publishes.  A CA whose base is due and no
 * earlier step publishes it gets no delta: said, not refused.
 */
static int
kr_cer_check_deltas(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    const struct kr_cer_due *d, size_t *n, struct kr_err *err)
{
	struct kr_crl_site	 site;
	struct kr_cer_key	*k;
	size_t			 i, j;
	int			 ret = KR_OK;

	for (i = 0; ret == KR_OK && i < d->nheld; i++) {
		k = kr_cer_key(c, d->held[i].issuer);
		if (k != NULL && k->base_by != NULL)
			ret = kr_cer_check_after_base(c, st, k, n, err);
		else
			kr_cer_delta_skip_say(c, &d->held[i]);
	}
	for (i = 0; ret == KR_OK && i < d->n; i++)
		ret = kr_cer_check_delta(c, st, d->names[i], n, err);
	for (i = 0; ret == KR_OK && i < c->nkeys; i++) {
		k = &c->keys[i];
		for (j = 0; j < d->n && strcmp(d->names[j], k->name) != 0; j++)
			;
		if (k->base_by == NULL || j < d->n || kr_cer_due_held(d,
		    k->name))
			continue;
		if ((ret = kr_authority_crl_site(c->app, k->name, &site,
		    err)) == KR_OK && site.delta[0] != '\0')
			ret = kr_cer_check_after_base(c, st, k, n, err);
	}
	return ret;
}

int
kr_cer_check_crl(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_cer_due	*d;
	bool			 delta = kr_cer_bool(st, "delta");
	size_t			 i, n = 0;
	int			 ret;

	if (!kr_cer_bool(st, "due")) {
		if ((ret = kr_cer_check_crl_key(c, st, kr_cer_arg(st,
		    "issuer_key"), err)) != KR_OK)
			return ret;
		return kr_cer_need_out(kr_cer_arg(st, "out"), false, err);
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_cer_crl_due(c->app, delta, d, err)) == KR_OK && delta)
		ret = kr_cer_check_deltas(c, st, d, &n, err);
	for (i = 0; ret == KR_OK && !delta && i < d->n; i++, n++)
		ret = kr_cer_check_crl_key(c, st, d->names[i], err);
	if (ret == KR_OK && n == 0)
		kr_cer_print(c, "  no CA key's %s is due now", delta ?
		    "delta CRL" : "CRL");
	free(d);
	if (ret != KR_OK)
		return ret;
	return kr_cer_need_out(kr_cer_arg(st, "out_dir"), true, err);
}

int
kr_cer_check_batch(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_manifest	 m;
	struct kr_cer_key	*k;
	size_t			 i;
	int			 ret;

	if ((ret = kr_manifest_load(kr_cer_arg(st, "manifest"),
	    kr_cer_arg(st, "out_dir"), &m, err)) != KR_OK)
		return ret;
	if ((ret = kr_cer_need_key(c, m.key, "firmware", &k, err)) == KR_OK &&
	    (ret = kr_cer_need_quorum(c, st, k, err)) == KR_OK)
		for (i = 0; ret == KR_OK && i < m.nitems; i++) {
			if ((ret = kr_cer_need_file(m.items[i].in_path,
			    "image", err)) == KR_OK)
				ret = kr_cer_need_out(m.items[i].out_path,
				    false, err);
			if (ret == KR_OK)
				kr_cer_print(c, "  will sign %s -> %s",
				    m.items[i].in_path, m.items[i].out_path);
		}
	kr_manifest_free(&m);
	return ret;
}

/* Where a crl.publish step is refused at bind: "FILE, line N: step 'ID'". */
static int
kr_cer_crl_refuse(const struct kr_cer_script *s, const struct kr_cer_step *st,
    const char *why, struct kr_err *err)
{
	return kr_err_set(err, KR_EINPUT, "%s, line %u: step '%s' "
	    "(crl.publish) %s", s->label, st->line, st->id, why);
}

/* One step's arguments: one key's CRL, or every due one. */
static int
kr_cer_crl_args(const struct kr_cer_script *s, const struct kr_cer_step *st,
    struct kr_err *err)
{
	bool	key = kr_cer_arg(st, "issuer_key") != NULL;
	bool	out = kr_cer_arg(st, "out") != NULL;

	if (kr_cer_bool(st, "due") && (key || out))
		return kr_cer_crl_refuse(s, st, "has due: true and names "
		    "issuer_key or out: due: true publishes the CRL of every CA "
		    "key that is due, into out_dir. Drop issuer_key and out, "
		    "or drop due to publish one key's CRL", err);
	if (kr_cer_bool(st, "due") && kr_cer_arg(st, "out_dir") == NULL)
		return kr_cer_crl_refuse(s, st, "has due: true and no "
		    "out_dir: name the folder the due CRLs are written to",
		    err);
	if (!kr_cer_bool(st, "due") && (!key || !out))
		return kr_cer_crl_refuse(s, st, "needs issuer_key and out (one "
		    "key's CRL), or due: true and out_dir (every due CRL)",
		    err);
	if (!kr_cer_bool(st, "due") && kr_cer_arg(st, "out_dir") != NULL)
		return kr_cer_crl_refuse(s, st, "has out_dir without due: "
		    "true: one key's CRL is written to out", err);
	return KR_OK;
}

int
kr_cer_crl_rules(const struct kr_cer_script *s, struct kr_err *err)
{
	const struct kr_cer_step	*st, *delta = NULL;
	char				 why[384];
	size_t				 i;
	int				 ret;

	for (i = 0; i < s->nsteps; i++) {
		st = &s->steps[i];
		if (strcmp(kr_cer_action_name(st), "crl.publish") != 0)
			continue;
		if ((ret = kr_cer_crl_args(s, st, err)) != KR_OK)
			return ret;
		if (!kr_cer_bool(st, "due"))
			continue;
		if (kr_cer_bool(st, "delta")) {
			if (delta == NULL)
				delta = st;
			continue;
		}
		if (delta == NULL)
			continue;
		(void)snprintf(why, sizeof(why), "publishes the due base CRLs "
		    "after step '%s' (line %u) publishes the due delta CRLs: a "
		    "delta CRL follows its base, so put step '%s' before step "
		    "'%s'", delta->id, delta->line, st->id, delta->id);
		return kr_cer_crl_refuse(s, st, why, err);
	}
	return KR_OK;
}
