/*
 * cert renew: a device certificate certified again for the same key.
 *
 * the recorded certificate (leaf, key not held here, not expired, not
 * revoked or held, not renewed before) -> the same subject, key and
 * alternative names under its issuer and profile with a new validity ->
 * lint -> see, then approve -> quorum unlock -> sign, verify -> record
 * the certificate, the renewal (new -> old) and the audit row in one
 * transaction -> write the output.  Renewal is the one case where a
 * device key is certified again (provision batch refuses any other).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

struct kr_renew {
	struct kr_appliance		*app;
	const struct kr_renew_req	*req;
	struct kr_issue_result		*res;
	struct kr_issue			*is;
	struct kr_cert_rec		 old;
	bool				 found;
	size_t				 matches;
	uint8_t				 issuer_id[KR_STORE_ID_BYTES];
	char				 serial[2 * 20 + 1];
	struct kr_key_rec		 issuer;
	struct kr_key_rec		 from;	/* moving: the retired issuer */
	bool				 any;	/* any issuer's serial */
	bool				 moving;
	struct kr_err			*err;
};

/* The leaf of an existing certificate: its subject, key and SANs. */
void
kr_renew_leaf(const struct kr_cert *c, const char *label, struct kr_leaf *lf)
{
	memset(lf, 0, sizeof(*lf));
	lf->label = label;
	lf->subject = c->f.subject;
	lf->subject_len = c->f.subject_len;
	lf->spki = c->f.spki;
	lf->spki_len = c->f.spki_len;
	if (c->f.has_san) {
		lf->san = c->f.san;
		lf->nsan = c->f.san_count;
	}
}

static int
kr_renew_find_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_renew	*rn = arg;

	if (rn->req->issuer_key != NULL && !rn->any &&
	    memcmp(c->issuer_key_id, rn->issuer.id, KR_STORE_ID_BYTES) != 0)
		return 0;
	rn->matches++;
	if (rn->found)
		return 0;
	rn->old = *c;
	rn->old.der = rn->old.subject_der = rn->old.issuer_der = NULL;
	if ((rn->old.der = malloc(c->der_len)) == NULL)
		return kr_err_set(rn->err, KR_ENOMEM, "out of memory");
	memcpy(rn->old.der, c->der, c->der_len);
	rn->found = true;
	return 0;
}

/*
 * The issuer of certificates renewed under another key (`successor`):
 * one that may no longer issue (retired, revoked or destroyed: docs/
 * rotation.md), as its standing says before any quorum is asked.  Its
 * record in *from; KR_EREFUSED when it still issues.
 */
int
kr_renew_retired(struct kr_appliance *app, const uint8_t *issuer_id,
    const char *successor, struct kr_key_rec *from, struct kr_err *err)
{
	struct kr_rev_status	rs;
	uint8_t			id[KR_STORE_ID_BYTES];
	int			ret;

	/* issuer_id may be from's own. */
	memcpy(id, issuer_id, sizeof(id));
	if ((ret = kr_store_key_by_id(app->store, id, from, err)) != KR_OK)
		return ret;
	if (strcmp(from->name, successor) == 0 ||
	    strcmp(from->state, "destroyed") == 0)
		return KR_OK;
	/* Revoked (for any reason), not on hold; a failed read fails. */
	if ((ret = kr_authority_key_status(app, from, &rs, err)) != KR_OK)
		return ret;
	if (rs.state == KR_REV_REVOKED)
		return KR_OK;
	if (rs.state == KR_REV_HELD)
		return kr_err_set(err, KR_EREFUSED, "key '%s' is on hold "
		    "(certificate %s), not retired: a hold may be lifted, so "
		    "another key does not take over its certificates; lift "
		    "the hold, or revoke its certificate (superseded) to "
		    "retire it (docs/rotation.md)", from->name, rs.serial);
	return kr_err_set(err, KR_EREFUSED, "the certificates of key '%s' are "
	    "renewed under it, which still issues, not under key '%s': leave "
	    "out --issuer-key (cert renew) or give --issuer-key %s (provision "
	    "batch); another key renews them once '%s' is retired (its "
	    "certificate revoked as superseded: docs/rotation.md)", from->name,
	    successor, from->name, from->name);
}

static int
kr_renew_find(struct kr_renew *rn, struct kr_err *err)
{
	uint8_t	b[21];
	size_t	len;
	int	ret;

	if ((ret = kr_serial_parse(rn->req->serial, b, &len, err)) != KR_OK)
		return ret;
	kr_hex_encode(rn->serial, b, len);
	if (rn->req->issuer_key != NULL && (ret = kr_store_key_get(
	    rn->app->store, rn->req->issuer_key, &rn->issuer, err)) != KR_OK)
		return ret;
	if ((ret = kr_store_cert_by_serial(rn->app->store, rn->serial,
	    kr_renew_find_cb, rn, err)) != KR_OK)
		return ret;
	/* Not that key's: a retired issuer's, renewed under it instead. */
	if (!rn->found && rn->req->issuer_key != NULL) {
		rn->any = rn->moving = true;
		if ((ret = kr_store_cert_by_serial(rn->app->store, rn->serial,
		    kr_renew_find_cb, rn, err)) != KR_OK)
			return ret;
	}
	if (!rn->found)
		return kr_err_set(err, KR_ENOENT, "no certificate with serial "
		    "%s was issued here", rn->serial);
	if (rn->matches > 1)
		return kr_err_set(err, KR_EUSAGE, "two issuers used serial "
		    "%s%s: give --issuer-key NAME", rn->serial, rn->moving ?
		    ", neither of them the key given" : "");
	if (rn->moving)
		return kr_renew_retired(rn->app, rn->old.issuer_key_id,
		    rn->req->issuer_key, &rn->from, err);
	return kr_store_key_by_id(rn->app->store, rn->old.issuer_key_id,
	    &rn->issuer, err);
}

/* A certificate for the same key revoked as keyCompromise, if any. */
struct kr_renew_kc {
	struct kr_appliance	*app;
	struct kr_err		*err;
	char			 serial[2 * 20 + 1];
	int			 ret;
};

static int
kr_renew_kc_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_renew_kc	*kc = arg;
	struct kr_rev_status	 rs;

	if ((kc->ret = kr_authority_cert_status(kc->app, c, &rs, kc->err)) !=
	    KR_OK)
		return 1;
	if (rs.state != KR_REV_REVOKED || rs.reason != KR_REASON_KEY_COMPROMISE)
		return 0;
	(void)snprintf(kc->serial, sizeof(kc->serial), "%s", c->serial);
	return 1;
}

/*
 * A key revoked for keyCompromise in any certificate (of any issuer) is
 * never certified again, by renewal of another of its certificates either.
 */
int
kr_renew_key_compromised(struct kr_appliance *app, const char *spki_sha256,
    char *serial, struct kr_err *err)
{
	struct kr_renew_kc	kc;
	int			ret;

	memset(&kc, 0, sizeof(kc));
	kc.app = app;
	kc.err = err;
	if ((ret = kr_store_cert_by_spki(app->store, spki_sha256,
	    kr_renew_kc_cb, &kc, err)) < 0)
		return ret;
	if (kc.ret != KR_OK)
		return kc.ret;
	(void)snprintf(serial, 2 * 20 + 1, "%s", kc.serial);
	return kc.serial[0] != '\0' ? KR_EREFUSED : KR_OK;
}

/* The certificate with row id `id` among those of its key: its serial. */
struct kr_renew_last {
	int64_t	id;
	char	serial[2 * 20 + 1];
};

static int
kr_renew_last_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_renew_last	*l = arg;

	if (c->id != l->id)
		return 0;
	(void)snprintf(l->serial, sizeof(l->serial), "%s", c->serial);
	return 1;
}

/*
 * The newest renewal of certificate c, following the renewals recorded
 * from `next` (the one that renewed c): a renewal keeps the key, so it
 * is one of the key's certificates.
 */
static int
kr_renew_newest(struct kr_appliance *app, const struct kr_cert_rec *c,
    int64_t next, char serial[2 * 20 + 1], struct kr_err *err)
{
	struct kr_renew_last	l = { next, "" };
	int64_t			after;
	int			ret;

	while ((ret = kr_store_renewal_of(app->store, l.id, &after, err)) ==
	    KR_OK)
		l.id = after;
	if (ret != KR_ENOENT || (ret = kr_store_cert_by_spki(app->store,
	    c->spki_sha256, kr_renew_last_cb, &l, err)) < 0)
		return ret;
	if (l.serial[0] == '\0')
		return kr_err_set(err, KR_ESTATE, "the renewal of certificate "
		    "%s names a certificate of another key", c->serial);
	(void)snprintf(serial, 2 * 20 + 1, "%s", l.serial);
	return KR_OK;
}

/*
 * Whether certificate c may be renewed, for `cert renew` and the renewal
 * batch alike: a device's (a leaf for a key not held here), in force,
 * neither revoked nor on hold, not renewed before, and its key never
 * revoked for keyCompromise in any certificate.  KR_OK; KR_EREFUSED with
 * the reason in err (the certificate named as `label`) and the rule in
 * *bar; another code when the records cannot be read.  Its subject must
 * also name a device: kr_prov_device_id, once its profile is loaded.
 */
int
kr_renew_check(struct kr_appliance *app, const struct kr_cert_rec *c,
    const char *label, enum kr_renew_bar *bar, struct kr_err *err)
{
	struct kr_rev_status	rs;
	char			when[KR_TIME_STR_BYTES], st[96];
	int64_t			next;
	int			ret;

	*bar = KR_RENEW_NOT_DEVICE;
	if (c->is_ca || c->has_subject_key)
		return kr_err_set(err, KR_EREFUSED, "%s is %s: only device "
		    "certificates (leaves for keys not held here) are renewed",
		    label, c->is_ca ? "a CA certificate" :
		    "for a key this appliance holds");
	*bar = KR_RENEW_EXPIRED;
	kr_time_format(c->not_after, when);
	if (c->not_after <= kr_time_now())
		return kr_err_set(err, KR_EREFUSED, "%s expired at %s: a "
		    "certificate is renewed only before it expires. The device "
		    "must make a new key and be provisioned again", label,
		    when);
	*bar = KR_RENEW_REVOKED;
	if ((ret = kr_authority_cert_status(app, c, &rs, err)) != KR_OK)
		return ret;
	if (rs.state != KR_REV_NONE) {
		kr_rev_status_format(&rs, st, sizeof(st));
		return kr_err_set(err, KR_EREFUSED, "%s is %s: a revoked or "
		    "held certificate is not renewed", label, st);
	}
	*bar = KR_RENEW_RENEWED;
	if ((ret = kr_store_renewal_of(app->store, c->id, &next, err)) ==
	    KR_OK) {
		if ((ret = kr_renew_newest(app, c, next, st, err)) != KR_OK)
			return ret;
		return kr_err_set(err, KR_EREFUSED, "%s was already renewed: "
		    "renew the newest certificate of its key, %s (`keyrite "
		    "cert renew %s`)", label, st, st);
	}
	if (ret != KR_ENOENT)
		return ret;
	*bar = KR_RENEW_KEY_COMPROMISED;
	if ((ret = kr_renew_key_compromised(app, c->spki_sha256, st,
	    err)) == KR_EREFUSED)
		return kr_err_set(err, KR_EREFUSED, "the key of %s (SHA-256 %s) "
		    "was revoked for keyCompromise in certificate %s: a "
		    "compromised key is never certified again; the device must "
		    "make a new key and be provisioned again", label,
		    c->spki_sha256, st);
	*bar = KR_RENEW_OK;
	return ret;
}

static void
kr_renew_preview(struct kr_renew *rn, struct kr_preview *pv)
{
	const struct kr_issue_result	*r = rn->res;
	char				 old[KR_TIME_STR_BYTES];

	kr_time_format(rn->old.not_after, old);
	kr_preview_init(pv, "Renewal of certificate %s to be signed by key "
	    "'%s'", rn->old.serial, rn->issuer.name);
	kr_preview_text(pv, "subject", "%s", r->subject);
	kr_preview_text(pv, "serial", "%s (renews %s, not after %s)",
	    r->serial, rn->old.serial, old);
	if (rn->moving)
		kr_preview_text(pv, "renews under", "key '%s', in place of key "
		    "'%s' (retired), which issued %s; the device needs the "
		    "new issuing CA's certificate", rn->issuer.name,
		    rn->from.name, rn->old.serial);
	kr_preview_text(pv, "not before", "%s", r->not_before);
	kr_preview_text(pv, "not after", "%s", r->not_after);
	kr_preview_text(pv, "profile", "%s", rn->old.profile);
	kr_preview_text(pv, "key SHA-256", "%s (the same key)", r->spki_sha256);
	kr_preview_text(pv, "lint", "%zu warning%s%s", r->lint.warnings,
	    r->lint.warnings == 1 ? "" : "s", r->lint.warnings == 0 ? "" :
	    " (accepted with --accept-warnings)");
	kr_preview_text(pv, "TBS SHA-256", "%s", r->tbs_sha256);
}

/* The new certificate recorded as a renewal, then written. */
static int
kr_renew_record(struct kr_renew *rn, const struct kr_issue_result *r,
    struct kr_err *err)
{
	struct kr_quorum_report	*q = rn->res->quorum;
	struct kr_issue_req	 out;
	int			 ret;

	memset(&out, 0, sizeof(out));
	out.out_path = rn->req->out_path;
	out.der = rn->req->der;
	out.actor = rn->req->actor;
	if (rn->moving)
		kr_issue_renews_issuer(rn->is, rn->from.name);
	ret = kr_issue_leaf_record(rn->is, rn->old.serial, rn->old.id, &out, q,
	    err);
	/* Its hashes and audit entry, as recorded. */
	*rn->res = *r;
	rn->res->quorum = q;
	rn->res->signed_ok = ret == KR_OK;
	return ret;
}

/* The custodians approve the TBS they were shown; then sign, record. */
static int
kr_renew_sign(struct kr_renew *rn, const struct kr_passphrase_source *src,
    const struct kr_issue_result *r, struct kr_err *err)
{
	struct kr_approval_subject	 sub;
	struct kr_signer		*s = NULL;
	uint8_t				 tbs_dig[32];
	int				 ret;

	if ((ret = kr_hex_decode(tbs_dig, sizeof(tbs_dig), r->tbs_sha256)) !=
	    KR_OK)
		return kr_err_set(err, KR_EINTERNAL, "the TBS hash is not hex");
	memset(&sub, 0, sizeof(sub));
	sub.op = "cert.renew";
	sub.digests = tbs_dig;
	sub.n = 1;
	if ((ret = kr_authority_unlock_report(rn->app, rn->issuer.name,
	    rn->req->shares, rn->req->nshares, src, &sub, &rn->res->quorum, &s,
	    err)) != KR_OK)
		return ret;
	ret = kr_issue_leaf_sign(rn->is, s, NULL, err);
	kr_signer_free(&s);
	if (ret != KR_OK)
		return ret;
	return kr_renew_record(rn, r, err);
}

static int
kr_renew_run(struct kr_renew *rn, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	const struct kr_issue_result	*r;
	enum kr_renew_bar		 bar;
	struct kr_preview		 pv;
	struct kr_cert			*c = NULL;
	struct kr_leaf			 lf;
	char				 label[80], id[KR_DEVICE_ID_MAX + 1];
	int				 ret;

	if ((ret = kr_renew_find(rn, err)) != KR_OK)
		return ret;
	(void)snprintf(label, sizeof(label), "certificate %s", rn->old.serial);
	if ((ret = kr_renew_check(rn->app, &rn->old, label, &bar, err)) !=
	    KR_OK ||
	    (ret = kr_issue_open(rn->app, rn->issuer.name, rn->old.profile,
	    rn->req->days, &rn->is, err)) != KR_OK ||
	    (ret = kr_issue_accept_warnings(rn->is, rn->req->accept_warnings)) !=
	    KR_OK || (ret = kr_cert_parse(rn->old.serial, rn->old.der, rn->old.der_len,
	    &c, err)) != KR_OK)
		goto out;
	kr_renew_leaf(c, rn->old.serial, &lf);
	(void)snprintf(label, sizeof(label), "certificate %s names no device",
	    rn->old.serial);
	if ((ret = kr_prov_device_id(kr_issue_profile(rn->is), label,
	    lf.subject, lf.subject_len, id, KR_EREFUSED, err)) != KR_OK ||
	    (ret = kr_issue_leaf(rn->is, &lf, &r, err)) != KR_OK)
		goto out;
	*rn->res = *r;
	if ((ret = kr_out_check(rn->app, KR_ART_CERTIFICATE, rn->req->out_path,
	    kr_media_pem_bound(8192), err)) != KR_OK)
		goto out;
	kr_renew_preview(rn, &pv);
	ret = kr_preview_confirm(src, &pv, true, err);
	kr_preview_free(&pv);
	if (ret == KR_OK)
		ret = kr_renew_sign(rn, src, r, err);
out:
	kr_cert_free(&c);
	return ret;
}

int
kr_authority_renew(struct kr_appliance *app, const struct kr_renew_req *req,
    const struct kr_passphrase_source *src, struct kr_issue_result *res,
    struct kr_err *err)
{
	struct kr_renew	rn;
	int		ret;

	memset(res, 0, sizeof(*res));
	memset(&rn, 0, sizeof(rn));
	rn.app = app;
	rn.req = req;
	rn.res = res;
	rn.err = err;
	if (req->out_path == NULL)
		return kr_err_set(err, KR_EUSAGE, "give --out FILE");
	ret = kr_renew_run(&rn, src, err);
	kr_issue_free(&rn.is);
	free(rn.old.der);
	return ret;
}
