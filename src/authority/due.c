/*
 * What is due: certificates that expire soon (short-lived ones counted
 * per issuing key and profile), base and delta CRLs to publish, keys with
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

/* Whether a profile is short-lived, read once per name. */
struct kr_due_prof {
	char	name[KR_PROFILE_NAME_MAX + 1];
	bool	short_lived;
};

#define KR_DUE_PROFILES	32

struct kr_due_walk {
	struct kr_appliance		*app;
	struct kr_due			*due;
	struct kr_err			*err;
	int				 status;
	const struct kr_crl_policy	*cp;
	char				*policy_dir;
	struct kr_due_prof		 prof[KR_DUE_PROFILES];
	size_t				 nprof;
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

/*
 * Whether certificates of this profile are short-lived: a leaf profile
 * (the one in force) whose max_days fits in the window.  A profile that
 * cannot be read (a name from an import) is not.
 */
static bool
kr_due_short_profile(struct kr_due_walk *w, const char *name)
{
	struct kr_profile	*p;
	struct kr_err		 e;
	size_t			 i;
	bool			 yes;

	for (i = 0; i < w->nprof; i++)
		if (strcmp(w->prof[i].name, name) == 0)
			return w->prof[i].short_lived;
	if ((p = malloc(sizeof(*p))) == NULL)
		return false;
	yes = kr_profile_load(w->policy_dir, name, p, &e) == KR_OK &&
	    !p->is_ca && p->max_days <= w->due->cert_days;
	free(p);
	if (w->nprof < KR_DUE_PROFILES) {
		(void)snprintf(w->prof[w->nprof].name,
		    sizeof(w->prof[0].name), "%s", name);
		w->prof[w->nprof++].short_lived = yes;
	}
	return yes;
}

/*
 * The group a certificate is summarised in (struct kr_due_group says
 * which are), made when it is the first; *g NULL: listed one by one.
 */
static int
kr_due_group_of(struct kr_due_walk *w, const struct kr_cert_rec *c,
    struct kr_due_group **g)
{
	struct kr_prov_rec	*pr;
	size_t			 i;
	int			 ret = KR_OK;

	*g = NULL;
	if (c->is_ca || c->has_subject_key)
		return KR_OK;
	if (!kr_due_short_profile(w, c->profile)) {
		if ((pr = malloc(sizeof(*pr))) == NULL)
			return kr_due_nomem(w);
		ret = kr_store_prov_by_cert(w->app->store, c->id, pr, w->err);
		free(pr);
		if (ret != KR_OK)
			return ret == KR_ENOENT ? KR_OK : ret;
	}
	for (i = 0; i < w->due->ngroups; i++)
		if (memcmp(w->due->groups[i].issuer_id, c->issuer_key_id,
		    KR_STORE_ID_BYTES) == 0 && strcmp(w->due->groups[i].profile,
		    c->profile) == 0) {
			*g = &w->due->groups[i];
			return KR_OK;
		}
	if ((*g = KR_DUE_PUSH(w, groups, ngroups, cap_groups)) == NULL)
		return kr_due_nomem(w);
	memset(*g, 0, sizeof(**g));
	ret = kr_store_key_name(w->app->store, c->issuer_key_id, (*g)->issuer,
	    sizeof((*g)->issuer), w->err);
	if (ret != KR_OK) {
		/* Imported under no key held here: nothing renews it here. */
		w->due->ngroups--;
		*g = NULL;
		return ret == KR_ENOENT ? KR_OK : ret;
	}
	memcpy((*g)->issuer_id, c->issuer_key_id, KR_STORE_ID_BYTES);
	(void)snprintf((*g)->profile, sizeof((*g)->profile), "%s", c->profile);
	return KR_OK;
}

static void
kr_due_group_add(struct kr_due_walk *w, struct kr_due_group *g,
    const struct kr_cert_rec *c)
{
	g->count++;
	if (c->not_after <= w->due->now + (int64_t)w->due->soon_days * KR_DAY)
		g->soon++;
	if (g->count == 1 || c->not_after < g->soonest) {
		g->soonest = c->not_after;
		(void)snprintf(g->soonest_serial, sizeof(g->soonest_serial),
		    "%s", c->serial);
	}
}

static int
kr_due_cert_push(struct kr_due_walk *w, const struct kr_cert_rec *c,
    bool held)
{
	struct kr_due_cert	*d;
	int			 ret;

	if ((d = KR_DUE_PUSH(w, certs, ncerts, cap_certs)) == NULL)
		return kr_due_nomem(w);
	memset(d, 0, sizeof(*d));
	(void)snprintf(d->serial, sizeof(d->serial), "%s", c->serial);
	(void)snprintf(d->subject, sizeof(d->subject), "%s", c->subject);
	(void)snprintf(d->kind, sizeof(d->kind), "%s", c->kind);
	(void)snprintf(d->profile, sizeof(d->profile), "%s", c->profile);
	d->not_after = c->not_after;
	d->held = held;
	/* "" when imported under no key held here. */
	ret = kr_store_key_name(w->app->store, c->issuer_key_id, d->issuer,
	    sizeof(d->issuer), w->err);
	return ret == KR_ENOENT ? KR_OK : ret;
}

/* A certificate, not revoked, whose notAfter falls within the window. */
static int
kr_due_cert(const struct kr_cert_rec *c, void *arg)
{
	struct kr_due_walk	*w = arg;
	struct kr_due_group	*g = NULL;
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
	/* A hold is listed: the renewal batch leaves it out. */
	if (rs.state == KR_REV_NONE &&
	    (w->status = kr_due_group_of(w, c, &g)) != KR_OK)
		return w->status;
	if (g != NULL) {
		kr_due_group_add(w, g, c);
		return 0;
	}
	return w->status = kr_due_cert_push(w, c, rs.state == KR_REV_HELD);
}

static int
kr_due_cert_cmp(const void *a, const void *b)
{
	const struct kr_due_cert	*x = a, *y = b;

	return x->not_after < y->not_after ? -1 : x->not_after > y->not_after;
}

static int
kr_due_group_cmp(const void *a, const void *b)
{
	const struct kr_due_group	*x = a, *y = b;

	return x->soonest < y->soonest ? -1 : x->soonest > y->soonest;
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

/* A CRL that is due: the newest one (NULL: none) and when to publish. */
static void
kr_due_crl_fill(struct kr_due_crl *d, const struct kr_key_rec *k,
    const struct kr_crl_rec *last, int64_t by)
{
	memset(d, 0, sizeof(*d));
	(void)snprintf(d->issuer, sizeof(d->issuer), "%s", k->name);
	d->published = last != NULL;
	if (last != NULL) {
		d->number = last->number;
		d->this_update = last->this_update;
		d->next_update = last->next_update;
		d->publish_by = by;
	}
}

/*
 * A CA with a delta location: its next delta CRL, due when none was
 * published since the base, or within the delta's margin (the base
 * margin's share of the delta's life: publish_margin_days of
 * next_update_days).
 */
static int
kr_due_delta(struct kr_due_walk *w, const struct kr_key_rec *k,
    const struct kr_crl_rec *base, const struct kr_crl_rec *newest,
    int64_t unpub, bool *took)
{
	const struct kr_crl_rec	*last = newest;
	struct kr_due_delta	*d;
	struct kr_crl_site	 site;
	int64_t			 by = 0;
	int			 ret;

	*took = false;
	if ((ret = kr_crl_policy_site(w->cp, k->name, &site, w->err)) !=
	    KR_OK || site.delta[0] == '\0')
		return ret;
	w->due->delta_cas++;
	*took = true;	/* a delta publishes new revocations soonest */
	if (last->is_delta) {
		by = last->next_update - (w->cp->next_update_days == 0 ? 0 :
		    (last->next_update - last->this_update) *
		    (int64_t)w->cp->publish_margin_days /
		    (int64_t)w->cp->next_update_days);
		if (by > w->due->now && unpub == 0)
			return KR_OK;
	}
	if ((d = KR_DUE_PUSH(w, deltas, ndeltas, cap_deltas)) == NULL)
		return kr_due_nomem(w);
	memset(d, 0, sizeof(*d));
	kr_due_crl_fill(&d->crl, k, last->is_delta ? last : NULL,
	    unpub > 0 && by > w->due->now ? w->due->now : by);
	d->crl.unpublished = unpub;
	(void)snprintf(d->location, sizeof(d->location), "%s", site.delta);
	d->base_number = base->number;
	return KR_OK;
}

/* The entries of a CA's newest delta CRL (its recorded copy). */
struct kr_due_listed {
	struct kr_crl_entry	*e;
	size_t			 n, cap;
};

static int
kr_due_listed_cb(const struct kr_crl_entry *e, void *arg)
{
	struct kr_due_listed	*l = arg;
	struct kr_crl_entry	*v;

	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 64 : l->cap * 2;
		if ((v = realloc(l->e, l->cap * sizeof(*v))) == NULL)
			return KR_ENOMEM;
		l->e = v;
	}
	l->e[l->n++] = *e;
	return KR_OK;
}

/* Revocations a CRL built now would list that the newest does not. */
struct kr_due_unpub {
	const struct kr_crl_rec		*base;
	const struct kr_due_listed	*delta;	/* NULL: the newest is base */
	int64_t				 now;
	int64_t				 n;
	struct kr_due_listed		 lifted; /* holds lifted since base */
};

/* Entries by serial (length, then bytes): a CRL lists a serial once. */
static int
kr_due_entry_cmp(const void *a, const void *b)
{
	const struct kr_crl_entry	*x = a, *y = b;

	if (x->serial_len != y->serial_len)
		return x->serial_len < y->serial_len ? -1 : 1;
	return memcmp(x->serial, y->serial, x->serial_len);
}

/* `l` (sorted) lists the serial, as removeFromCRL (`removed`) or not. */
static bool
kr_due_lists(const struct kr_due_listed *l, const uint8_t *serial,
    size_t len, bool removed)
{
	struct kr_crl_entry		 key;
	const struct kr_crl_entry	*e;

	if (l->n == 0 || len > sizeof(key.serial))
		return false;
	key.serial_len = len;
	memcpy(key.serial, serial, len);
	e = bsearch(&key, l->e, l->n, sizeof(*l->e), kr_due_entry_cmp);
	return e != NULL && (e->reason == KR_REASON_REMOVE_FROM_CRL) ==
	    removed;
}

/*
 * As the CRL builder lists a row (store_build_listed), over the base: a
 * row after the base unless lifted, and a hold lifted since the base
 * (kept to be compared with the newest CRL's entries after the walk).
 */
static int
kr_due_unpub_cb(const struct kr_revocation_rec *r, void *arg)
{
	struct kr_due_unpub	*u = arg;
	struct kr_crl_entry	 e;

	if (r->expires < u->now)
		return 0;
	if (u->base->max_revocation_id <= 0 ||
	    r->id > u->base->max_revocation_id) {
		if (r->lifted_at == 0 && (u->delta == NULL ||
		    !kr_due_lists(u->delta, r->serial, r->serial_len, false)))
			u->n++;
		return 0;
	}
	if (r->lifted_at == 0 || r->lifted_at < u->base->this_update)
		return 0;
	memset(&e, 0, sizeof(e));
	memcpy(e.serial, r->serial, r->serial_len);
	e.serial_len = r->serial_len;
	return kr_due_listed_cb(&e, &u->lifted) != KR_OK;
}

/* A CRL's recorded copy, its entries into `l`. */
static int
kr_due_entries(struct kr_due_walk *w, const struct kr_key_rec *k,
    const struct kr_crl_rec *c, struct kr_due_listed *l)
{
	struct kr_crl_info	 info;
	uint8_t			*der = NULL;
	size_t			 len;
	int			 ret;

	if ((ret = kr_crl_copy_read(w->app, k->name, c, &der, &len,
	    w->err)) == KR_OK)
		ret = kr_crl_parse(c->location, der, len, &info, NULL,
		    kr_due_listed_cb, l, w->err);
	free(der);
	if (ret == KR_OK && l->n > 1)
		qsort(l->e, l->n, sizeof(*l->e), kr_due_entry_cmp);
	return ret;
}

/*
 * Revocations (and lifted holds) on no published CRL yet: what a CRL
 * built now would list that the newest one, base or delta (its recorded
 * copy, as written), does not.  Compared entry by entry, not by time: an
 * import keeps its entries' old revocation dates, and a hold lifted in
 * the second its base was made may or may not be on it.
 */
static int
kr_due_unpublished(struct kr_due_walk *w, const struct kr_key_rec *k,
    const struct kr_crl_rec *base, const struct kr_crl_rec *newest,
    int64_t *out)
{
	struct kr_due_listed	 l = { NULL, 0, 0 };
	struct kr_due_unpub	 u;
	size_t			 i;
	int			 ret;

	*out = 0;
	memset(&u, 0, sizeof(u));
	u.base = base;
	u.now = w->due->now;
	if (newest->is_delta) {
		if ((ret = kr_due_entries(w, k, newest, &l)) != KR_OK)
			goto out;
		u.delta = &l;
	}
	if ((ret = kr_store_revocation_since(w->app->store, k->id,
	    base->max_revocation_id, base->this_update - 1, kr_due_unpub_cb,
	    &u, w->err)) != KR_OK)
		goto out;
	/* A lifted hold: a delta lists it as removeFromCRL, a base not. */
	if (u.lifted.n > 0 && !newest->is_delta &&
	    (ret = kr_due_entries(w, k, newest, &l)) != KR_OK)
		goto out;
	for (i = 0; i < u.lifted.n; i++)
		if (kr_due_lists(&l, u.lifted.e[i].serial,
		    u.lifted.e[i].serial_len, false) ||
		    (newest->is_delta && !kr_due_lists(&l, u.lifted.e[i].serial,
		    u.lifted.e[i].serial_len, true)))
			u.n++;
	*out = u.n;
out:
	free(l.e);
	free(u.lifted.e);
	return ret;
}

/*
 * A certified CA key's next base CRL: due within the policy's margin;
 * then its next delta, once it has a base.
 */
static int
kr_due_crl(struct kr_due_walk *w, const struct kr_key_rec *k)
{
	struct kr_due_crl	*d;
	struct kr_crl_rec	 last, newest;	/* newest base, newest any */
	int64_t			 by, unpub = 0;
	bool			 took = false;
	int			 ret;

	ret = kr_store_crl_last(w->app->store, k->id, true, &last, w->err);
	if (ret != KR_OK && ret != KR_ENOENT)
		return ret;
	if (ret == KR_OK && ((ret = kr_store_crl_last(w->app->store, k->id,
	    false, &newest, w->err)) != KR_OK ||
	    (ret = kr_due_unpublished(w, k, &last, &newest, &unpub)) !=
	    KR_OK ||
	    (ret = kr_due_delta(w, k, &last, &newest, unpub, &took)) !=
	    KR_OK))
		return ret;
	if (took)
		unpub = 0;	/* said with the delta */
	by = ret == KR_OK ? last.next_update -
	    (int64_t)w->due->crl_margin_days * KR_DAY : 0;
	if (ret == KR_OK && by > w->due->now && unpub == 0)
		return KR_OK;
	if ((d = KR_DUE_PUSH(w, crls, ncrls, cap_crls)) == NULL)
		return kr_due_nomem(w);
	kr_due_crl_fill(d, k, ret == KR_OK ? &last : NULL,
	    unpub > 0 && by > w->due->now ? w->due->now : by);
	d->unpublished = unpub;
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

/* The CRL policy and the policy folder the walk reads profiles from. */
static int
kr_due_policy(struct kr_due_walk *w, struct kr_crl_policy *cp)
{
	int	ret;

	if ((w->policy_dir = kr_appliance_path(w->app, KR_POLICY_DIR)) == NULL)
		return kr_err_set(w->err, KR_ENOMEM, "out of memory");
	ret = kr_appliance_crl_policy(w->app, cp, w->err);
	w->cp = cp;
	w->due->crl_margin_days = cp->publish_margin_days;
	return ret;
}

/* Groups whose issuing key is revoked: renewed under a successor. */
static void
kr_due_retired(struct kr_due *due)
{
	size_t	i, j;

	for (i = 0; i < due->ngroups; i++)
		for (j = 0; j < due->nrevoked; j++)
			if (strcmp(due->revoked[j].key,
			    due->groups[i].issuer) == 0)
				due->groups[i].retired =
				    due->revoked[j].status.state ==
				    KR_REV_REVOKED;
}

static void
kr_due_sort(struct kr_due *due)
{
	if (due->ncerts > 1)
		qsort(due->certs, due->ncerts, sizeof(*due->certs),
		    kr_due_cert_cmp);
	if (due->ngroups > 1)
		qsort(due->groups, due->ngroups, sizeof(*due->groups),
		    kr_due_group_cmp);
}

int
kr_authority_due(struct kr_appliance *app, int64_t now, struct kr_due *due,
    struct kr_err *err)
{
	struct kr_due_walk	*w;
	struct kr_crl_policy	*cp;
	int			 ret;

	memset(due, 0, sizeof(*due));
	due->now = now;
	due->cert_days = KR_DUE_CERT_DAYS;
	due->soon_days = KR_DUE_SOON_DAYS;
	due->damaged = kr_appliance_damage(app) != NULL;
	w = calloc(1, sizeof(*w));
	cp = calloc(1, sizeof(*cp));
	if (w == NULL || cp == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	w->app = app;
	w->due = due;
	w->err = err;
	if ((ret = kr_due_policy(w, cp)) == KR_OK &&
	    (ret = kr_store_cert_foreach(app->store, kr_due_cert, w, err)) ==
	    KR_OK)
		ret = kr_store_key_foreach(app->store, kr_due_key, w, err);
	if (w->status != KR_OK)
		ret = w->status;
	if (ret == KR_OK) {
		kr_due_retired(due);
		kr_due_sort(due);
	}
out:
	if (ret != KR_OK)
		kr_due_free(due);
	if (w != NULL)
		free(w->policy_dir);
	free(w);
	free(cp);
	return ret;
}

void
kr_due_free(struct kr_due *due)
{
	free(due->certs);
	free(due->groups);
	free(due->crls);
	free(due->deltas);
	free(due->uncertified);
	free(due->revoked);
	free(due->reshares);
	due->certs = NULL;
	due->groups = NULL;
	due->crls = NULL;
	due->deltas = NULL;
	due->uncertified = NULL;
	due->revoked = NULL;
	due->reshares = NULL;
	due->ncerts = due->ngroups = due->ncrls = due->ndeltas =
	    due->nuncertified = due->nrevoked = due->nreshares = 0;
}
