/*
 * What is due: certificates that expire soon, CRLs to publish, keys with
 * no certificate, keys whose certificate is revoked or on hold, and
 * reshares waiting for their holders.  Gathered here for `status` and the
 * console; every fact comes from records the audit chain proved when the
 * state folder was opened (kr_appliance_damage says when it did not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

#define KR_DAY		86400

struct kr_due_walk {
	struct kr_appliance	*app;
	struct kr_due		*due;
	struct kr_err		*err;
	int			 status;
};

/* Room for one more element of a list, grown by doubling. */
static void *
kr_due_grow(void *list, size_t n, size_t *cap, size_t size)
{
	void	*p;
	size_t	 want;

	if (n < *cap)
		return list;
	want = *cap == 0 ? 16 : *cap * 2;
	if ((p = reallocarray(list, want, size)) == NULL)
		return NULL;
	*cap = want;
	return p;
}

#define KR_DUE_PUSH(w, list, n, cap)					\
	(((w)->due->list = kr_due_grow((w)->due->list, (w)->due->n,	\
	    &(w)->due->cap, sizeof(*(w)->due->list))) == NULL ? NULL :	\
	    &(w)->due->list[(w)->due->n++])

static int
kr_due_nomem(struct kr_due_walk *w)
{
	return w->status = kr_err_set(w->err, KR_ENOMEM, "out of memory");
}

/* A certificate, not revoked, whose notAfter falls within the window. */
static int
kr_due_cert(const struct kr_cert_rec *c, void *arg)
{
	struct kr_due_walk	*w = arg;
	struct kr_due_cert	*d;
	struct kr_rev_status	 rs;
	int64_t			 renewed;

	if (c->not_after <= w->due->now ||
	    c->not_after > w->due->now + (int64_t)w->due->cert_days * KR_DAY)
		return 0;
	/* Renewed already: its successor is what is due next. */
	if ((w->status = kr_store_renewal_of(w->app->store, c->id, &renewed,
	    w->err)) == KR_OK)
		return 0;
	if (w->status != KR_ENOENT)
		return w->status;
	w->status = KR_OK;
	if ((w->status = kr_authority_cert_status(w->app, c, &rs, w->err)) !=
	    KR_OK)
		return w->status;
	if (rs.state == KR_REV_REVOKED)
		return 0;
	if ((d = KR_DUE_PUSH(w, certs, ncerts, cap_certs)) == NULL)
		return kr_due_nomem(w);
	memset(d, 0, sizeof(*d));
	(void)snprintf(d->serial, sizeof(d->serial), "%s", c->serial);
	(void)snprintf(d->subject, sizeof(d->subject), "%s", c->subject);
	(void)snprintf(d->kind, sizeof(d->kind), "%s", c->kind);
	(void)snprintf(d->profile, sizeof(d->profile), "%s", c->profile);
	if ((w->status = kr_store_key_name(w->app->store, c->issuer_key_id,
	    d->issuer, sizeof(d->issuer), w->err)) == KR_ENOENT)
		w->status = KR_OK;	/* imported under no key held here */
	else if (w->status != KR_OK)
		return w->status;
	d->not_after = c->not_after;
	d->held = rs.state == KR_REV_HELD;
	return 0;
}

static int
kr_due_cert_cmp(const void *a, const void *b)
{
	const struct kr_due_cert	*x = a, *y = b;

	return x->not_after < y->not_after ? -1 : x->not_after > y->not_after;
}

/*
 * Whether the key's public key is certified by a certificate held here
 * (has), and by one that has not expired (live).
 */
struct kr_due_certified {
	int64_t	now;
	bool	has, live;
};

static int
kr_due_has_cert_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_due_certified	*dc = arg;

	dc->has = true;
	dc->live = dc->live || c->not_after > dc->now;
	return dc->live ? 1 : 0;
}

static int
kr_due_has_cert(struct kr_due_walk *w, const struct kr_key_rec *k,
    struct kr_due_certified *dc)
{
	char	fp[KR_FINGERPRINT_STR_BYTES];
	int	ret;

	memset(dc, 0, sizeof(*dc));
	dc->now = w->due->now;
	kr_spki_fingerprint(k->spki, k->spki_len, fp);
	ret = kr_store_cert_by_spki(w->app->store, fp, kr_due_has_cert_cb, dc,
	    w->err);
	return ret == 1 ? KR_OK : ret;
}

/* Whether a CA key issued a certificate that has not expired. */
static int
kr_due_issued_cb(const struct kr_cert_rec *c, void *arg)
{
	(void)c;
	*(bool *)arg = true;
	return 1;
}

/*
 * A CA's CRLs are due while its own certificate or one it issued is
 * still valid: a CA whose certificates have all expired is done.
 */
static int
kr_due_crl_live(struct kr_due_walk *w, const struct kr_key_rec *k,
    const struct kr_due_certified *dc, bool *live)
{
	int	ret;

	*live = dc->live;
	if (*live)
		return KR_OK;
	ret = kr_store_cert_by_issuer(w->app->store, k->id, w->due->now,
	    kr_due_issued_cb, live, w->err);
	return ret == 1 ? KR_OK : ret;
}

/* A certified CA key's next base CRL: due within the policy's margin. */
static int
kr_due_crl(struct kr_due_walk *w, const struct kr_key_rec *k)
{
	struct kr_due_crl	*d;
	struct kr_crl_rec	 last;
	int64_t			 by;
	int			 ret;

	ret = kr_store_crl_last(w->app->store, k->id, true, &last, w->err);
	if (ret != KR_OK && ret != KR_ENOENT)
		return ret;
	by = ret == KR_OK ? last.next_update -
	    (int64_t)w->due->crl_margin_days * KR_DAY : 0;
	if (ret == KR_OK && by > w->due->now)
		return KR_OK;
	if ((d = KR_DUE_PUSH(w, crls, ncrls, cap_crls)) == NULL)
		return kr_due_nomem(w);
	memset(d, 0, sizeof(*d));
	(void)snprintf(d->issuer, sizeof(d->issuer), "%s", k->name);
	d->published = ret == KR_OK;
	if (d->published) {
		d->number = last.number;
		d->this_update = last.this_update;
		d->next_update = last.next_update;
		d->publish_by = by;
	}
	return KR_OK;
}

static int
kr_due_revoked(struct kr_due_walk *w, const struct kr_key_rec *k)
{
	struct kr_due_rev	*d;
	struct kr_rev_status	 rs;
	int			 ret;

	if ((ret = kr_authority_key_status(w->app, k, &rs, w->err)) != KR_OK)
		return ret;
	if (rs.state == KR_REV_NONE)
		return KR_OK;
	if ((d = KR_DUE_PUSH(w, revoked, nrevoked, cap_revoked)) == NULL)
		return kr_due_nomem(w);
	(void)snprintf(d->key, sizeof(d->key), "%s", k->name);
	(void)snprintf(d->purpose, sizeof(d->purpose), "%s", k->purpose);
	d->status = rs;
	d->standing = kr_rev_status_standing(&rs, k->purpose);
	return KR_OK;
}

/* A reshare's new set, pending until m of its holders checked it. */
static int
kr_due_reshare(struct kr_due_walk *w, const struct kr_key_rec *k)
{
	struct kr_custodian_rec	*cust;
	struct kr_due_reshare	*d = NULL;
	struct kr_set_rec	 set;
	struct kr_err		 e;
	size_t			 i, n;
	int			 ret;

	if ((ret = kr_store_set_pending(w->app->store, k->id, &set, &e)) !=
	    KR_OK) {
		if (ret != KR_ENOENT)
			*w->err = e;
		return ret == KR_ENOENT ? KR_OK : ret;
	}
	if ((cust = calloc(KR_CUSTODIANS_MAX, sizeof(*cust))) == NULL)
		return kr_due_nomem(w);
	if ((ret = kr_store_custodians(w->app->store, set.id, cust,
	    KR_CUSTODIANS_MAX, &n, w->err)) == KR_OK &&
	    (d = KR_DUE_PUSH(w, reshares, nreshares, cap_reshares)) == NULL)
		ret = kr_due_nomem(w);
	if (d != NULL) {
		memset(d, 0, sizeof(*d));
		(void)snprintf(d->key, sizeof(d->key), "%s", k->name);
		d->epoch = set.epoch;
		d->m = set.m;
		d->n = set.n;
		d->created = set.created;
		for (i = 0; i < n && i < KR_CUSTODIANS_MAX; i++)
			if (cust[i].checked != 0)
				d->checked++;
	}
	free(cust);
	return ret;
}

static int
kr_due_key(const struct kr_key_rec *k, void *arg)
{
	struct kr_due_walk	*w = arg;
	struct kr_due_key	*d;
	struct kr_due_certified	 dc;
	bool			 has, live = false;

	if (strcmp(k->state, "active") != 0)
		return 0;
	if ((w->status = kr_due_has_cert(w, k, &dc)) != KR_OK ||
	    (dc.has && strcmp(k->purpose, "ca") == 0 &&
	    (w->status = kr_due_crl_live(w, k, &dc, &live)) != KR_OK) ||
	    (live && (w->status = kr_due_crl(w, k)) != KR_OK) ||
	    (w->status = kr_due_revoked(w, k)) != KR_OK ||
	    (w->status = kr_due_reshare(w, k)) != KR_OK)
		return w->status;
	has = dc.has;
	if (has)
		return 0;
	if ((d = KR_DUE_PUSH(w, uncertified, nuncertified,
	    cap_uncertified)) == NULL)
		return kr_due_nomem(w);
	(void)snprintf(d->key, sizeof(d->key), "%s", k->name);
	(void)snprintf(d->alg, sizeof(d->alg), "%s", k->alg);
	(void)snprintf(d->purpose, sizeof(d->purpose), "%s", k->purpose);
	(void)snprintf(d->backend, sizeof(d->backend), "%s", k->backend);
	d->created = k->created;
	return 0;
}

int
kr_authority_due(struct kr_appliance *app, int64_t now, struct kr_due *due,
    struct kr_err *err)
{
	struct kr_due_walk	 w = { app, due, err, KR_OK };
	struct kr_crl_policy	 cp;
	char			*path;
	int			 ret;

	memset(due, 0, sizeof(*due));
	due->now = now;
	due->cert_days = KR_DUE_CERT_DAYS;
	due->damaged = kr_appliance_damage(app) != NULL;
	if ((path = kr_appliance_path(app, KR_POLICY_DIR "/crl.yaml")) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_crl_policy_load(path, &cp, err);
	free(path);
	if (ret != KR_OK)
		return ret;
	due->crl_margin_days = cp.publish_margin_days;
	if ((ret = kr_store_cert_foreach(app->store, kr_due_cert, &w, err)) ==
	    KR_OK)
		ret = kr_store_key_foreach(app->store, kr_due_key, &w, err);
	if (w.status != KR_OK)
		ret = w.status;
	if (ret != KR_OK) {
		kr_due_free(due);
		return ret;
	}
	if (due->ncerts > 1)
		qsort(due->certs, due->ncerts, sizeof(*due->certs),
		    kr_due_cert_cmp);
	return KR_OK;
}

void
kr_due_free(struct kr_due *due)
{
	free(due->certs);
	free(due->crls);
	free(due->uncertified);
	free(due->revoked);
	free(due->reshares);
	due->certs = NULL;
	due->crls = NULL;
	due->uncertified = NULL;
	due->revoked = NULL;
	due->reshares = NULL;
	due->ncerts = due->ncrls = due->nuncertified = due->nrevoked =
	    due->nreshares = 0;
}
