/*
 * quorum reshare (issue 11 point 5): a quorum of the key's current shares
 * deals a new share set of the same quorum secret: the next epoch, new m,
 * n and holders, share files of format 2.  With --new-secret a fresh
 * secret is dealt instead, and the key's file (sealed key or token PINs)
 * is re-wrapped under it as keys/NAME+epochN.EXT, which replaces the
 * key's file when the set is activated (kr_reshare_switch, after that
 * commit; recover.c finishes a switch cut short).
 *
 * Order of work: check the request (key, current set, new holders, share
 * folder) -> describe the new set and hash the description (what the
 * current custodians approve, op "quorum.reshare") -> the current quorum
 * unlocks (approvals signed, secret recovered, the key opened with it) ->
 * (--new-secret: a fresh secret, the key's file re-wrapped and reopened)
 * -> the new holders' passphrases -> deal and self-check the new shares in
 * memory -> journal, stage the share files -> record the new set as
 * 'pending' and the quorum.reshare row (one transaction) -> name the
 * files -> remove the journal.  This is keygen's pattern (deal.c), so an
 * interrupted reshare is finished or undone by the same open-time
 * cleanup (recover.c).
 *
 * The old set stays current while the new one is pending: the key is
 * unchanged and the old shares still unlock it.  Activation (below) comes
 * when m distinct holders of the new set have checked their new shares
 * with quorum verify: the old set is retired, dated, and its shares are
 * refused from then on by record (they still reconstruct the secret
 * mathematically: the record is what refuses them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authority_int.h"

struct kr_reshare {
	struct kr_appliance		*app;
	const struct kr_reshare_req	*req;
	struct kr_key_rec		 key;
	struct kr_key_where		 kw;
	struct kr_set_rec		 from;		/* the active set */
	struct kr_set_rec		 pending;	/* one replaced, if any */
	bool				 has_pending;
	struct kr_deal			 deal;
	uint8_t				*secret;
	uint8_t				 digest[32];	/* of the description */
	char				*journal;
	/* --new-secret: the fresh secret and the key's file under it. */
	uint8_t				*new_secret;
	uint8_t				*next;
	size_t				 next_len;
	char				 next_rel[KR_KEY_NAME_MAX + 48];
	char				*next_path;
	char				*next_tmp;
};

/* keys/NAME+epochN.EXT: the key's file re-wrapped for epoch N. */
void
kr_reshare_next_rel(const struct kr_key_rec *k, uint32_t epoch, char *rel,
    size_t cap)
{
	const char	*dot = strrchr(k->location, '.');

	(void)snprintf(rel, cap, "%s/%s+epoch%u%s", KR_KEYS_DIR, k->name,
	    epoch, dot != NULL ? dot : "");
}

/*
 * After the commit that activated `epoch`: its re-wrapped file, if the
 * reshare made one, replaces the key's file (rename: atomic).
 */
int
kr_reshare_switch(struct kr_appliance *app, const struct kr_key_rec *k,
    uint32_t epoch, struct kr_err *err)
{
	char	 rel[KR_KEY_NAME_MAX + 48], *next, *path = NULL, *dir = NULL;
	int	 ret = KR_OK;

	kr_reshare_next_rel(k, epoch, rel, sizeof(rel));
	if ((next = kr_appliance_path(app, rel)) == NULL ||
	    (path = kr_appliance_path(app, k->location)) == NULL ||
	    (dir = kr_appliance_path(app, KR_KEYS_DIR)) == NULL)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	else if (kr_path_exists(next) && rename(next, path) != 0)
		ret = kr_err_set(err, KR_EIO, "cannot move %s over %s: %s", rel,
		    k->location, strerror(errno));
	else if (kr_path_exists(path))
		ret = kr_fsync_dir(dir, err);
	free(next);
	free(path);
	free(dir);
	return ret;
}

/* The next epoch: above every set the key ever had (newest first). */
static int
kr_reshare_epoch(struct kr_reshare *r, struct kr_err *err)
{
	struct kr_set_rec	 newest;
	size_t			 n;
	uint32_t		 top = r->from.epoch;
	int			 ret;

	ret = kr_store_sets_of_key(r->app->store, r->key.id, &newest, 1, &n,
	    err);
	if (ret == KR_OK && n == 1 && newest.epoch > top)
		top = newest.epoch;
	if (ret == KR_OK && top == UINT32_MAX)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has no epoch "
		    "left to reshare into", r->key.name);
	r->deal.epoch = top + 1;
	return ret;
}

static int
kr_reshare_load(struct kr_reshare *r, struct kr_err *err)
{
	const struct kr_reshare_req	*req = r->req;
	struct kr_err			 e;
	int				 ret;

	if ((ret = kr_store_key_get(r->app->store, req->key, &r->key, err)) !=
	    KR_OK)
		return ret;
	if (strcmp(r->key.state, "active") != 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s' is %s: its "
		    "shares can no longer be reshared", req->key, r->key.state);
	if ((ret = kr_key_where_load(r->app, &r->key, &r->kw, err)) != KR_OK)
		return ret;
	if (!r->kw.home.quorum)
		return kr_err_set(err, KR_EREFUSED, "key '%s' is guarded by its "
		    "token's own access control, not by a keyrite quorum: it "
		    "has no shares to reshare", req->key);
	if ((ret = kr_store_set_active(r->app->store, r->key.id, &r->from,
	    err)) != KR_OK)
		return ret;
	kr_err_clear(&e);
	r->has_pending = kr_store_set_pending(r->app->store, r->key.id,
	    &r->pending, &e) == KR_OK;
	return kr_reshare_epoch(r, err);
}

static int
kr_reshare_check(struct kr_reshare *r, struct kr_err *err)
{
	const struct kr_reshare_req	*req = r->req;
	struct kr_deal			*d = &r->deal;
	int				 ret;

	if (req->nshares < 2)
		return kr_err_set(err, KR_EUSAGE, "a reshare needs a quorum of "
		    "the key's current custodians: give their share files "
		    "with --share (one per custodian present)");
	d->app = r->app;
	d->key = req->key;
	d->m = req->m;
	d->custodians = req->custodians;
	d->n = req->n;
	d->share_dir = req->share_dir;
	d->share_format = req->share_format;
	if ((ret = kr_reshare_load(r, err)) != KR_OK ||
	    (ret = kr_deal_check_custodians(d, err)) != KR_OK)
		return ret;
	memcpy(d->key_id, r->key.id, sizeof(d->key_id));
	if (req->new_secret && r->kw.be->rewrap == NULL)
		return kr_err_set(err, KR_EUSAGE, "the %s back end of key '%s' "
		    "cannot re-wrap its file: reshare without --new-secret",
		    r->kw.be->name, req->key);
	if (req->new_secret) {
		kr_reshare_next_rel(&r->key, d->epoch, r->next_rel,
		    sizeof(r->next_rel));
		if ((r->next_path = kr_appliance_path(r->app, r->next_rel)) ==
		    NULL)
			return kr_err_set(err, KR_ENOMEM, "out of memory");
		if (kr_path_exists(r->next_path))
			return kr_err_set(err, KR_EEXIST, "%s already exists "
			    "although no share set of epoch %u is recorded: "
			    "the state folder needs attention", r->next_rel,
			    d->epoch);
	}
	return kr_deal_check_paths(d, err);
}

/*
 * --new-secret: a fresh quorum secret, and the key's file (sealed key or
 * token PINs) re-wrapped under it for the new set, then opened again.
 */
static int
kr_reshare_rewrap(struct kr_reshare *r, struct kr_err *err)
{
	const struct kr_backend_ops	*be = r->kw.be;
	struct kr_rewrap_set		 set;
	uint8_t				*file = NULL;
	char				*path;
	size_t				 len;
	int				 ret;

	if ((r->new_secret = kr_secure_alloc(KR_QUORUM_SECRET_BYTES)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	kr_random(r->new_secret, KR_QUORUM_SECRET_BYTES);
	memset(&set, 0, sizeof(set));
	memcpy(set.set_id, r->deal.set_id, sizeof(set.set_id));
	set.epoch = r->deal.epoch;
	set.m = (uint8_t)r->deal.m;
	set.n = (uint8_t)r->deal.n;
	memcpy(set.dealer_pk, r->deal.dealer_pk, sizeof(set.dealer_pk));
	if ((path = kr_appliance_path(r->app, r->key.location)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_file_read(path, be->file_max, false, &file, &len,
	    err)) == KR_OK &&
	    (ret = be->rewrap(file, len, r->key.location, r->secret, &set,
	    r->new_secret, &r->next, &r->next_len, err)) == KR_OK)
		ret = be->reopen(r->next, r->next_len, r->next_rel,
		    r->new_secret, err);
	free(file);
	free(path);
	return ret;
}

/*
 * What the current custodians approve (docs/formats.md, "Reshare"): the
 * SHA-256 of this text, fixed before any passphrase is asked.
 */
static int
kr_reshare_describe(struct kr_reshare *r, struct kr_err *err)
{
	const struct kr_deal	*d = &r->deal;
	struct kr_buf		 b;
	char			 hex[2 * 32 + 1], line[256];
	size_t			 i;
	int			 ret;

	kr_buf_init(&b, false);
#define KR_LINE(...) do {						\
		(void)snprintf(line, sizeof(line), __VA_ARGS__);	\
		kr_buf_put(&b, line, strlen(line));			\
	} while (0)
	KR_LINE("keyrite-reshare-v1\n");
	KR_LINE("key %s\n", r->key.name);
	kr_hex_encode(hex, r->key.id, KR_KEY_ID_BYTES);
	KR_LINE("key_id %s\n", hex);
	kr_hex_encode(hex, r->from.id, KR_SET_ID_BYTES);
	KR_LINE("from_set %s\nfrom_epoch %u\n", hex, r->from.epoch);
	kr_hex_encode(hex, d->set_id, KR_SET_ID_BYTES);
	KR_LINE("set %s\nepoch %u\nm %u\nn %zu\n", hex, d->epoch, d->m, d->n);
	kr_hex_encode(hex, d->dealer_pk, sizeof(d->dealer_pk));
	KR_LINE("dealer_pk %s\nnew_secret %s\n", hex, r->req->new_secret ?
	    "yes" : "no");
	for (i = 0; i < d->n; i++)
		KR_LINE("custodian %s\n", d->custodians[i]);
#undef KR_LINE
	if ((ret = kr_buf_status(&b, err)) == KR_OK)
		ret = kr_hash(KR_HASH_SHA256, b.p, b.len, r->digest);
	kr_buf_free(&b);
	return ret;
}

/* See, then approve: the new set, before any passphrase is asked. */
static int
kr_reshare_confirm(struct kr_reshare *r, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	const struct kr_deal	*d = &r->deal;
	struct kr_preview	 pv;
	char			 names[KR_CUSTODIANS_MAX * 20];
	size_t			 i;
	int			 ret;

	names[0] = '\0';
	for (i = 0; i < d->n && strlen(names) + strlen(d->custodians[i]) + 3 <
	    sizeof(names); i++) {
		if (i > 0)
			(void)strcat(names, ", ");
		(void)strcat(names, d->custodians[i]);
	}
	kr_preview_init(&pv, "New share set for key '%s' (quorum reshare)",
	    r->key.name);
	kr_preview_text(&pv, "current set", "epoch %u, %u of %u custodians",
	    r->from.epoch, r->from.m, r->from.n);
	kr_preview_text(&pv, "new set", "epoch %u, %u of %zu: %s", d->epoch,
	    d->m, d->n, names);
	kr_preview_text(&pv, "quorum secret", "%s", r->req->new_secret ?
	    "a fresh one: the key is re-wrapped under it" : "the same one, "
	    "dealt again");
	if (r->has_pending)
		kr_preview_text(&pv, "replaces", "the pending set of epoch %u "
		    "(never activated)", r->pending.epoch);
	kr_preview_hash(&pv, "description SHA-256", r->digest,
	    sizeof(r->digest));
	kr_preview_text(&pv, "afterwards", "the new set is pending until %u of "
	    "its holders have checked their shares; then epoch %u is retired",
	    d->m, r->from.epoch);
	ret = kr_preview_confirm(src, &pv, true, err);
	kr_preview_free(&pv);
	return ret;
}

static int
kr_reshare_audit(struct kr_reshare *r, struct kr_reshare_result *res,
    struct kr_err *err)
{
	const struct kr_deal	*d = &r->deal;
	const char		*names[KR_CUSTODIANS_MAX];
	char			 who[1024];
	struct kr_json		 j;
	size_t			 n;
	int			 ret;

	kr_quorum_approvers(res->quorum, names, &n, who, sizeof(who));
	kr_json_begin(&j);
	kr_json_str(&j, "key", r->key.name);
	kr_json_hex(&j, "key_id", r->key.id, sizeof(r->key.id));
	kr_json_hex(&j, "from_share_set", r->from.id, sizeof(r->from.id));
	kr_json_int(&j, "from_epoch", r->from.epoch);
	kr_json_hex(&j, "share_set", d->set_id, sizeof(d->set_id));
	kr_json_int(&j, "epoch", d->epoch);
	kr_json_int(&j, "m", d->m);
	kr_json_int(&j, "n", (int64_t)d->n);
	kr_json_str(&j, "set_state", "pending");
	kr_json_str_array(&j, "custodians", d->custodians, d->n);
	kr_deal_audit(d, &j);
	kr_json_hex(&j, "dealer_pk", d->dealer_pk, sizeof(d->dealer_pk));
	kr_json_str(&j, "new_secret", r->req->new_secret ? "yes" : "no");
	if (r->req->new_secret)
		kr_json_str(&j, "next_file", r->next_rel);
	if (r->has_pending) {
		kr_json_hex(&j, "abandoned_share_set", r->pending.id,
		    sizeof(r->pending.id));
		kr_json_int(&j, "abandoned_epoch", r->pending.epoch);
	}
	kr_json_hex(&j, "new_set_sha256", r->digest, sizeof(r->digest));
	kr_json_str_array(&j, "approved_by", names, n);
	kr_approvals_json(&j, res->quorum, 0);
	kr_json_str(&j, "operator", r->req->actor != NULL ? r->req->actor :
	    "");
	ret = kr_audit_record(r->app, who, "quorum.reshare", kr_json_end(&j),
	    &res->audit_seq, err);
	kr_json_free(&j);
	return ret;
}

static int
kr_reshare_journal(struct kr_reshare *r, struct kr_err *err)
{
	struct kr_journal	*j;
	int			 ret;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	(void)snprintf(j->key, sizeof(j->key), "%s", r->key.name);
	memcpy(j->key_id, r->key.id, sizeof(j->key_id));
	if (r->next != NULL)
		(void)snprintf(j->sealed, sizeof(j->sealed), "%s",
		    r->next_rel);
	if ((ret = kr_deal_journal(&r->deal, j, err)) == KR_OK)
		ret = kr_journal_begin(r->app, j, &r->journal, err);
	free(j);
	return ret;
}

static int
kr_reshare_record(struct kr_reshare *r, struct kr_reshare_result *res,
    struct kr_err *err)
{
	struct kr_sigmask	sig;
	int			ret;

	kr_signals_hold(&sig);
	if ((ret = kr_reshare_journal(r, err)) != KR_OK ||
	    (r->next != NULL && (ret = kr_file_stage(r->next_path, r->next,
	    r->next_len, &r->next_tmp, err)) != KR_OK) ||
	    (ret = kr_deal_stage(&r->deal, err)) != KR_OK ||
	    (ret = kr_store_begin(r->app->store, err)) != KR_OK)
		goto undo;
	/* A pending set not yet activated is replaced: retired, dated. */
	if ((r->has_pending && (ret = kr_store_set_retire(r->app->store,
	    r->pending.id, kr_time_now(), err)) != KR_OK) ||
	    (ret = kr_deal_insert(&r->deal, "pending", kr_time_now(), err)) !=
	    KR_OK ||
	    (ret = kr_reshare_audit(r, res, err)) != KR_OK ||
	    (ret = kr_store_commit(r->app->store, err)) != KR_OK) {
		kr_store_rollback(r->app->store);
		goto undo;
	}
	if (r->next_tmp != NULL && (ret = kr_file_place(r->next_tmp,
	    r->next_path, err)) == KR_OK) {
		free(r->next_tmp);
		r->next_tmp = NULL;
	}
	if (ret != KR_OK || (ret = kr_deal_place(&r->deal, err)) != KR_OK)
		(void)kr_err_prefix(err, "the new share set of key '%s' was "
		    "recorded, but not every share file has its name yet "
		    "(keyrite finishes this the next time a command that "
		    "changes state opens the state folder): ", r->key.name);
	else
		kr_journal_end(r->app, &r->journal);
	kr_signals_release(&sig);
	return ret;
undo:
	kr_deal_unstage(&r->deal);
	if (r->next_tmp != NULL)
		(void)unlink(r->next_tmp);
	kr_journal_end(r->app, &r->journal);
	kr_signals_release(&sig);
	return ret;
}

static void
kr_reshare_fill(const struct kr_reshare *r, struct kr_reshare_result *res)
{
	const struct kr_deal	*d = &r->deal;
	size_t			 i;

	kr_hex_encode(res->set_id, d->set_id, sizeof(d->set_id));
	res->epoch = d->epoch;
	res->from_epoch = r->from.epoch;
	res->abandoned_epoch = r->has_pending ? r->pending.epoch : 0;
	res->m = d->m;
	res->shares = d->n;
	for (i = 0; i < d->n; i++) {
		(void)snprintf(res->share_paths[i], sizeof(res->share_paths[i]),
		    "%s", d->paths[i]);
		(void)snprintf(res->approval_fp[i], sizeof(res->approval_fp[i]),
		    "%s", d->approval_fp[i]);
	}
}

int
kr_authority_quorum_reshare(struct kr_appliance *app,
    const struct kr_reshare_req *req, const struct kr_passphrase_source *src,
    const struct kr_notice_sink *notice, struct kr_reshare_result *res,
    struct kr_err *err)
{
	struct kr_approval_subject	 sub = { .op = "quorum.reshare",
	    .n = 1 };
	struct kr_reshare		*r;
	int				 ret;

	memset(res, 0, sizeof(*res));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	r->app = app;
	r->req = req;
	r->deal.notice = notice;
	if ((ret = kr_reshare_check(r, err)) != KR_OK ||
	    (ret = kr_deal_begin(&r->deal, err)) != KR_OK ||
	    (ret = kr_reshare_describe(r, err)) != KR_OK ||
	    (ret = kr_reshare_confirm(r, src, err)) != KR_OK)
		goto out;
	sub.digests = r->digest;
	if ((r->secret = kr_secure_alloc(KR_QUORUM_SECRET_BYTES)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of secure memory");
		goto out;
	}
	/* The current custodians approve first; then the new holders. */
	if ((ret = kr_authority_unlock_secret(app, req->key, req->shares,
	    req->nshares, src, &sub, &res->quorum, r->secret, err)) != KR_OK ||
	    (req->new_secret && (ret = kr_reshare_rewrap(r, err)) != KR_OK) ||
	    (ret = kr_deal_passphrases(&r->deal, src, err)) != KR_OK ||
	    (ret = kr_deal_make_shares(&r->deal, req->new_secret ?
	    r->new_secret : r->secret, err)) != KR_OK ||
	    (ret = kr_deal_selfcheck(&r->deal, err)) != KR_OK)
		goto out;
	if ((ret = kr_reshare_record(r, res, err)) == KR_OK)
		kr_reshare_fill(r, res);
out:
	kr_secure_free(r->secret);
	kr_secure_free(r->new_secret);
	kr_deal_free(&r->deal);
	free(r->journal);
	free(r->next);
	free(r->next_path);
	free(r->next_tmp);
	free(r);
	return ret;
}

void
kr_reshare_result_free(struct kr_reshare_result *res)
{
	if (res != NULL)
		kr_quorum_report_free(&res->quorum);
}

/* Names of the custodians of a set who have checked their shares. */
static size_t
kr_reshare_checked(const struct kr_custodian_rec *cust, size_t n,
    const char **names)
{
	size_t	i, k = 0;

	for (i = 0; i < n; i++)
		if (cust[i].checked != 0)
			names[k++] = cust[i].name;
	return k;
}

static int
kr_reshare_activate(struct kr_appliance *app, const struct kr_key_rec *key,
    const struct kr_set_rec *set, const char *const *names, size_t k,
    struct kr_quorum_report *rep, struct kr_err *err)
{
	struct kr_set_rec	old;
	struct kr_json		j;
	int			ret;

	if ((ret = kr_store_set_active(app->store, key->id, &old, err)) !=
	    KR_OK ||
	    (ret = kr_store_set_retire(app->store, old.id, kr_time_now(),
	    err)) != KR_OK ||
	    (ret = kr_store_set_activate(app->store, set->id, err)) != KR_OK)
		return ret;
	kr_json_begin(&j);
	kr_json_str(&j, "key", key->name);
	kr_json_hex(&j, "share_set", set->id, sizeof(set->id));
	kr_json_int(&j, "epoch", set->epoch);
	kr_json_int(&j, "m", set->m);
	kr_json_int(&j, "n", set->n);
	kr_json_str_array(&j, "checked_by", names, k);
	kr_json_hex(&j, "retired_share_set", old.id, sizeof(old.id));
	kr_json_int(&j, "retired_epoch", old.epoch);
	ret = kr_audit_record(app, "keyrite", "quorum.activate",
	    kr_json_end(&j), NULL, err);
	kr_json_free(&j);
	if (ret == KR_OK) {
		rep->activated = true;
		rep->retired_epoch = old.epoch;
	}
	return ret;
}

int
kr_reshare_activate_due(struct kr_appliance *app, const struct kr_key_rec *key,
    const struct kr_set_rec *set, struct kr_quorum_report *rep,
    struct kr_err *err)
{
	struct kr_custodian_rec	*cust;
	const char		*names[KR_CUSTODIANS_MAX];
	size_t			 n, k;
	int			 ret;

	if ((cust = calloc(KR_CUSTODIANS_MAX, sizeof(*cust))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_store_custodians(app->store, set->id, cust,
	    KR_CUSTODIANS_MAX, &n, err)) == KR_OK) {
		k = kr_reshare_checked(cust, n, names);
		rep->checked = (unsigned)k;
		if (k >= set->m)
			ret = kr_reshare_activate(app, key, set, names, k,
			    rep, err);
	}
	free(cust);
	return ret;
}
