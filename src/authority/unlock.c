/*
 * Quorum unlock: check each presented share, combine m of them, unseal the
 * key.  `quorum verify` is this without a signing operation after it.
 * Each share of format 2 signs the operation's approval statements with
 * its custodian's approval key the moment it is opened (approvals.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

struct kr_unlock {
	struct kr_appliance		*app;
	struct kr_key_rec		 key;
	struct kr_set_rec		 set;
	struct kr_custodian_rec		 cust[KR_CUSTODIANS_MAX];
	size_t				 ncust;
	struct kr_share			*shares[KR_CUSTODIANS_MAX];
	/* Read and matched to the key, before any passphrase is asked. */
	struct kr_share			*read[KR_CUSTODIANS_MAX];
	uint8_t				*file[KR_CUSTODIANS_MAX];
	size_t				 flen[KR_CUSTODIANS_MAX];
	struct kr_quorum_report		*rep;
	struct kr_key_where		 kw;		/* its back end */
	/* What the custodians approve; the approvals go into rep. */
	const struct kr_approval_subject *sub;
	const char			*op;
	/* quorum verify of a pending set's shares (reshare.c activates). */
	bool				 pending;
};

static int
kr_unlock_load(struct kr_unlock *u, const char *name, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_store_key_get(u->app->store, name, &u->key, err)) !=
	    KR_OK)
		return ret;
	if (strcmp(u->key.state, "active") != 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s' is %s: it can no "
		    "longer be unlocked", name, u->key.state);
	if ((ret = kr_key_where_load(u->app, &u->key, &u->kw, err)) != KR_OK)
		return ret;
	if (!u->kw.home.quorum)
		return KR_OK;	/* no share set: the token's own PIN */
	if ((ret = kr_store_set_active(u->app->store, u->key.id, &u->set,
	    err)) != KR_OK)
		return ret;
	return kr_store_custodians(u->app->store, u->set.id, u->cust,
	    KR_CUSTODIANS_MAX, &u->ncust, err);
}

/*
 * quorum verify with the shares of a reshare's pending set: that set is
 * the one checked (its holders' checks activate it, reshare.c).  Decided
 * by the first share file's header; anything unreadable is left to the
 * checks that follow.
 */
static int
kr_unlock_pick_pending(struct kr_unlock *u, const char *path,
    struct kr_err *err)
{
	struct kr_set_rec	 p;
	struct kr_share		*sh;
	struct kr_err		 e;
	uint8_t			*file = NULL;
	size_t			 len;
	int			 ret = KR_OK;

	kr_err_clear(&e);
	if (kr_store_set_pending(u->app->store, u->key.id, &p, &e) != KR_OK)
		return KR_OK;
	if ((sh = calloc(1, sizeof(*sh))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (kr_file_read(path, KR_SHARE_FILE_MAX, false, &file, &len, &e) ==
	    KR_OK && kr_share_parse(file, len, path, sh, &e) == KR_OK &&
	    memcmp(sh->h.set_id, p.id, KR_SET_ID_BYTES) == 0) {
		u->set = p;
		u->pending = true;
		ret = kr_store_custodians(u->app->store, u->set.id, u->cust,
		    KR_CUSTODIANS_MAX, &u->ncust, err);
	}
	kr_share_clear(sh);
	free(sh);
	free(file);
	return ret;
}

/* The approvals the shares will sign, once the share set is known. */
static int
kr_unlock_approvals(struct kr_unlock *u, struct kr_err *err)
{
	if (u->rep->approvals != NULL)
		return KR_OK;
	return kr_approvals_new(u->app, &u->key, &u->set, u->sub, u->op,
	    u->rep->given, &u->rep->approvals, err);
}

static const struct kr_custodian_rec *
kr_unlock_custodian(const struct kr_unlock *u, unsigned x)
{
	size_t	i;

	for (i = 0; i < u->ncust; i++)
		if (u->cust[i].x == x)
			return &u->cust[i];
	return NULL;
}

/*
 * A share of another set of the key: retired (refused, with the date),
 * pending (not yet current), or unknown.
 */
static int
kr_unlock_other_set(const struct kr_unlock *u, const struct kr_share *sh,
    struct kr_err *err)
{
	struct kr_set_rec	o;
	struct kr_err		e;
	char			when[KR_TIME_STR_BYTES];

	kr_err_clear(&e);
	if (kr_store_set_get(u->app->store, sh->h.set_id, &o, &e) != KR_OK ||
	    memcmp(o.key_id, u->key.id, KR_KEY_ID_BYTES) != 0 ||
	    o.epoch != sh->h.epoch)
		return kr_err_set(err, KR_EVERIFY, "share file %s (custodian "
		    "'%s') is from share set epoch %u, which is not a share "
		    "set recorded for key '%s' (its current one is epoch %u)",
		    sh->label, sh->h.custodian, sh->h.epoch, u->key.name,
		    u->set.epoch);
	if (strcmp(o.state, "retired") == 0) {
		kr_time_format(o.retired, when);
		when[10] = '\0';	/* the date */
		return kr_err_set(err, KR_EREFUSED, "share file %s (custodian "
		    "'%s'): epoch %u was retired on %s: ask for your new "
		    "share (key '%s' is now held by share set epoch %u)",
		    sh->label, sh->h.custodian, o.epoch, o.retired != 0 ? when :
		    "an unrecorded date", u->key.name, u->set.epoch);
	}
	if (strcmp(o.state, "active") == 0)
		return kr_err_set(err, KR_EREFUSED, "share file %s (custodian "
		    "'%s') is of the current share set epoch %u of key '%s', "
		    "while the first share given is of the pending set epoch "
		    "%u: check the shares of one set at a time", sh->label,
		    sh->h.custodian, o.epoch, u->key.name, u->set.epoch);
	return kr_err_set(err, KR_EREFUSED, "share file %s (custodian '%s') is "
	    "of the pending share set epoch %u of key '%s': it counts once %u "
	    "of its holders have checked their new shares with `keyrite "
	    "quorum verify --key %s --share FILE`; until then the current "
	    "shares (epoch %u) unlock the key", sh->label, sh->h.custodian,
	    o.epoch, u->key.name, o.m, u->key.name, u->set.epoch);
}

/*
 * A share of another key: named by its name when it is a key of this
 * appliance (the header's key id is unauthenticated here, so this only
 * says which key the file claims), else by its id.
 */
static int
kr_unlock_other_key(const struct kr_unlock *u, const struct kr_share *sh,
    struct kr_err *err)
{
	struct kr_key_rec	*k;
	struct kr_err		 e;
	char			 hex[2 * KR_KEY_ID_BYTES + 1];

	kr_hex_encode(hex, sh->h.key_id, sizeof(sh->h.key_id));
	if ((k = calloc(1, sizeof(*k))) != NULL &&
	    kr_store_key_by_id(u->app->store, sh->h.key_id, k, &e) == KR_OK) {
		(void)kr_err_set(err, KR_EVERIFY, "share file %s (custodian "
		    "'%s') was made for another key, '%s' of this appliance "
		    "(key id %s), not for '%s'", sh->label, sh->h.custodian,
		    k->name, hex, u->key.name);
		free(k);
		return KR_EVERIFY;
	}
	free(k);
	return kr_err_set(err, KR_EVERIFY, "share file %s (custodian '%s') "
	    "was made for another key (key id %s, not a key of this "
	    "appliance), not for '%s'", sh->label, sh->h.custodian, hex,
	    u->key.name);
}

/* Does the share belong to this key's active set, as dealt? */
static int
kr_unlock_match(const struct kr_unlock *u, const struct kr_share *sh,
    const uint8_t *file, size_t len, struct kr_err *err)
{
	const struct kr_custodian_rec	*c;
	uint8_t				 dig[32];

	if (memcmp(sh->h.key_id, u->key.id, KR_KEY_ID_BYTES) != 0)
		return kr_unlock_other_key(u, sh, err);
	if (memcmp(sh->h.set_id, u->set.id, KR_SET_ID_BYTES) == 0 &&
	    sh->h.epoch != u->set.epoch)
		return kr_err_set(err, KR_EVERIFY, "share file %s (custodian "
		    "'%s') claims epoch %u of key '%s''s share set, whose "
		    "epoch is %u: the file was altered", sh->label,
		    sh->h.custodian, sh->h.epoch, u->key.name, u->set.epoch);
	if (memcmp(sh->h.set_id, u->set.id, KR_SET_ID_BYTES) != 0)
		return kr_unlock_other_set(u, sh, err);
	if (kr_share_check_signature(sh, u->set.dealer_pk, err) != KR_OK)
		return err->code;
	c = kr_unlock_custodian(u, sh->h.x);
	if (c == NULL || strcmp(c->name, sh->h.custodian) != 0 ||
	    kr_hash(KR_HASH_SHA256, file, len, dig) != KR_OK ||
	    memcmp(dig, c->share_digest, sizeof(dig)) != 0)
		return kr_err_set(err, KR_EVERIFY, "share file %s (custodian "
		    "'%s') is not the share file recorded for that custodian "
		    "of key '%s'", sh->label, sh->h.custodian, u->key.name);
	/* Its approval key is the one recorded with the set (or none). */
	if (c->has_approval_pk != kr_share_has_approval_key(sh) ||
	    (c->has_approval_pk && memcmp(c->approval_pk, sh->h.approval_pk,
	    sizeof(c->approval_pk)) != 0))
		return kr_err_set(err, KR_EVERIFY, "share file %s (custodian "
		    "'%s') holds another approval key than the one recorded "
		    "for that custodian of key '%s'", sh->label,
		    sh->h.custodian, u->key.name);
	return KR_OK;
}

/* A share already presented with the same x or custodian? */
static int
kr_unlock_duplicate(const struct kr_unlock *u, size_t upto,
    const struct kr_share *sh, struct kr_err *err)
{
	size_t	i;

	for (i = 0; i < upto; i++) {
		const struct kr_share *o = u->read[i];

		if (o == NULL)
			continue;
		if (o->h.x == sh->h.x ||
		    strcmp(o->h.custodian, sh->h.custodian) == 0)
			return kr_err_set(err, KR_EQUORUM, "the share of "
			    "custodian '%s' was given twice (%s and %s): each "
			    "custodian counts once", sh->h.custodian, o->label,
			    sh->label);
	}
	return KR_OK;
}

/*
 * A wrong passphrase is an audit row of its own, committed at once, so it
 * stays whatever follows: the custodian, the share file and its SHA-256,
 * the try (never the passphrase).  If it cannot be recorded the unlock
 * stops.
 */
static int
kr_unlock_refused(struct kr_unlock *u, const struct kr_share *sh,
    const uint8_t *file, size_t len, unsigned tries, struct kr_err *err)
{
	struct kr_json	j;
	struct kr_err	e;
	uint8_t		dig[32];
	int		ret;

	/* The operation's row must be the next one: counted for it instead. */
	if (u->sub != NULL && u->sub->refusals_in_row) {
		u->rep->refused_unrecorded++;
		return KR_OK;
	}
	if ((ret = kr_hash(KR_HASH_SHA256, file, len, dig)) != KR_OK)
		return kr_err_set(err, ret, "cannot hash share file %s",
		    sh->label);
	kr_err_clear(&e);
	kr_json_begin(&j);
	kr_json_str(&j, "key", u->key.name);
	kr_json_str(&j, "custodian", sh->h.custodian);
	kr_json_str(&j, "share_file", sh->label);
	kr_json_hex(&j, "share_sha256", dig, sizeof(dig));
	kr_json_int(&j, "try", tries);
	kr_json_str(&j, "reason", "wrong passphrase");
	if ((ret = kr_store_begin(u->app->store, &e)) == KR_OK) {
		if ((ret = kr_audit_record(u->app, sh->h.custodian,
		    "quorum.refused", kr_json_end(&j), NULL, &e)) == KR_OK)
			ret = kr_store_commit(u->app->store, &e);
		else
			kr_store_rollback(u->app->store);
	}
	kr_json_free(&j);
	if (ret != KR_OK)
		return kr_err_set(err, ret, "the wrong passphrase given for "
		    "custodian '%s' (share file %s) could not be recorded, so "
		    "nothing was unlocked: %s", sh->h.custodian, sh->label,
		    e.msg);
	return KR_OK;
}

/*
 * The passphrase for an opened share file: a wrong one is recorded and,
 * where the source allows (the terminal), asked again.
 */
static int
kr_unlock_open(struct kr_unlock *u, struct kr_share *sh, const uint8_t *file,
    size_t len, const char *path, const struct kr_passphrase_source *src,
    char *pass, struct kr_err *err)
{
	unsigned	tries;
	int		ret;

	for (tries = 1;; tries++) {
		if ((ret = src->get(src->ctx, sh->h.custodian, path, false,
		    pass, KR_PASSPHRASE_MAX, err)) != KR_OK)
			return ret;
		ret = kr_share_open(sh, pass, strlen(pass), err);
		kr_wipe(pass, KR_PASSPHRASE_MAX);
		if (ret != KR_EAUTH)
			return ret;
		if ((ret = kr_unlock_refused(u, sh, file, len, tries, err)) !=
		    KR_OK)
			return ret;
		if (src->retry == NULL || !src->retry(src->ctx,
		    sh->h.custodian, path, tries))
			return KR_EAUTH;
		kr_err_clear(err);
	}
}

/* A share file read, parsed and matched to the key: nobody asked yet. */
static int
kr_unlock_read(struct kr_unlock *u, size_t i, const char *path,
    struct kr_err *err)
{
	struct kr_share	*sh;
	int		 ret;

	if ((sh = calloc(1, sizeof(*sh))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_file_read(path, KR_SHARE_FILE_MAX, false, &u->file[i],
	    &u->flen[i], err)) != KR_OK ||
	    (ret = kr_share_parse(u->file[i], u->flen[i], path, sh,
	    err)) != KR_OK ||
	    (ret = kr_unlock_match(u, sh, u->file[i], u->flen[i],
	    err)) != KR_OK ||
	    (ret = kr_unlock_duplicate(u, i, sh, err)) != KR_OK) {
		kr_share_clear(sh);
		free(sh);
		return ret;
	}
	u->read[i] = sh;
	return KR_OK;
}

/* The custodian of a share read: the passphrase, then the approval. */
static int
kr_unlock_one(struct kr_unlock *u, size_t i, const char *path,
    const struct kr_passphrase_source *src, struct kr_err *err)
{
	struct kr_share	*sh = u->read[i];
	char		*pass;
	int		 ret;

	if ((pass = kr_secure_alloc(KR_PASSPHRASE_MAX)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	ret = kr_unlock_open(u, sh, u->file[i], u->flen[i], path, src, pass,
	    err);
	kr_secure_free(pass);
	if (ret != KR_OK)
		return ret;
	/* The passphrase was typed: the custodian's approval is signed now. */
	if ((ret = kr_approvals_sign(u->rep->approvals, i, sh, err)) != KR_OK)
		return ret;
	if (kr_share_has_approval_key(sh))
		kr_approval_fingerprint(sh->h.approval_pk,
		    u->rep->approval_fp[i]);
	u->shares[i] = sh;
	u->read[i] = NULL;
	return KR_OK;
}

static void
kr_unlock_report_share(struct kr_unlock *u, size_t i, const char *path,
    int ret, const struct kr_err *e)
{
	struct kr_share_status	*st = &u->rep->shares[i];

	(void)snprintf(st->file, sizeof(st->file), "%s", path);
	st->code = ret;
	if (u->read[i] != NULL && ret != KR_OK) {
		(void)snprintf(st->custodian, sizeof(st->custodian), "%s",
		    u->read[i]->h.custodian);
		st->x = u->read[i]->h.x;
	}
	if (u->shares[i] != NULL) {
		(void)snprintf(st->custodian, sizeof(st->custodian), "%s",
		    u->shares[i]->h.custodian);
		st->x = u->shares[i]->h.x;
		(void)snprintf(st->msg, sizeof(st->msg), "good share %u of "
		    "%u", st->x, u->set.n);
		u->rep->good++;
	} else {
		(void)snprintf(st->msg, sizeof(st->msg), "%s", e->msg);
	}
}

int
kr_passphrase_pin(const struct kr_passphrase_source *src, const char *token,
    char *buf, size_t cap, struct kr_err *err)
{
	char	who[96];

	if (src->pin != NULL)
		return src->pin(src->ctx, token, buf, cap, err);
	(void)snprintf(who, sizeof(who), "token '%s'", token);
	return src->get(src->ctx, who, "its user PIN", false, buf, cap, err);
}

/* --pin-source prompt: the token's own access control, PIN asked now. */
static int
kr_unlock_token_prompt(struct kr_unlock *u, size_t count,
    const struct kr_passphrase_source *src, struct kr_signer **out,
    struct kr_err *err)
{
	char	*pin;
	int	 ret;

	if (count > 0)
		return kr_err_set(err, KR_EUSAGE, "key '%s' is guarded by its "
		    "token's own access control, not by a keyrite quorum: give "
		    "no --share; the token PIN is asked instead", u->key.name);
	if ((pin = kr_secure_alloc(KR_PASSPHRASE_MAX)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	if ((ret = kr_passphrase_pin(src, u->kw.tok.token_label, pin,
	    KR_PASSPHRASE_MAX, err)) == KR_OK)
		ret = u->kw.be->open(&u->kw.home, NULL, 0, NULL, NULL, pin, out,
		    err);
	kr_secure_free(pin);
	return ret;
}

/* Combines the good shares and opens the key; keep: a copy of the secret. */
static int
kr_unlock_unseal(struct kr_unlock *u, size_t good, struct kr_signer **out,
    uint8_t *keep, struct kr_err *err)
{
	struct kr_share	*use[KR_CUSTODIANS_MAX];
	uint8_t		*secret = NULL, *file = NULL;
	char		*path = NULL, next[KR_KEY_NAME_MAX + 48];
	size_t		 i, k = 0, len;
	int		 ret = KR_ENOMEM;

	for (i = 0; i < KR_CUSTODIANS_MAX && k < good; i++)
		if (u->shares[i] != NULL)
			use[k++] = u->shares[i];
	if ((secret = kr_secure_alloc(KR_QUORUM_SECRET_BYTES)) == NULL ||
	    (path = kr_appliance_path(u->app, u->key.location)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	/* A pending set of --new-secret opens its re-wrapped file. */
	kr_reshare_next_rel(&u->key, u->set.epoch, next, sizeof(next));
	if (u->pending) {
		free(path);
		if ((path = kr_appliance_path(u->app, next)) == NULL) {
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
			goto out;
		}
		if (!kr_path_exists(path)) {
			free(path);
			path = kr_appliance_path(u->app, u->key.location);
		}
		if (path == NULL) {
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((ret = kr_share_combine(use, k, secret, err)) != KR_OK ||
	    (ret = kr_file_read(path, u->kw.be->file_max, false, &file, &len,
	    err)) != KR_OK)
		goto out;
	ret = u->kw.be->open(&u->kw.home, file, len, path, secret, NULL, out,
	    err);
	if (ret == KR_OK && keep != NULL)
		memcpy(keep, secret, KR_QUORUM_SECRET_BYTES);
out:
	kr_secure_free(secret);
	free(file);
	free(path);
	return ret;
}

/* Each good share of the pending set: its holder has checked it now. */
static int
kr_unlock_mark_checked(struct kr_unlock *u, struct kr_err *err)
{
	int64_t	now = kr_time_now();
	size_t	i;
	int	ret;

	for (i = 0; i < KR_CUSTODIANS_MAX; i++)
		if (u->shares[i] != NULL && (ret = kr_store_custodian_checked(
		    u->app->store, u->set.id, u->shares[i]->h.x, now, err)) !=
		    KR_OK)
			return ret;
	return KR_OK;
}

static int
kr_unlock_audit(struct kr_unlock *u, const char *event, struct kr_err *err)
{
	const char	*names[KR_CUSTODIANS_MAX];
	char		 actor[1024] = "";
	struct kr_json	 j;
	size_t		 i, k = 0;
	int		 ret;

	for (i = 0; i < KR_CUSTODIANS_MAX; i++) {
		if (u->shares[i] == NULL)
			continue;
		names[k++] = u->shares[i]->h.custodian;
		if (strlen(actor) + KR_CUSTODIAN_NAME_MAX + 2 < sizeof(actor)) {
			if (actor[0] != '\0')
				(void)strcat(actor, ",");
			(void)strcat(actor, u->shares[i]->h.custodian);
		}
	}
	kr_json_begin(&j);
	kr_json_str(&j, "key", u->key.name);
	kr_json_hex(&j, "share_set", u->set.id, sizeof(u->set.id));
	kr_json_int(&j, "epoch", u->set.epoch);
	kr_json_int(&j, "m", u->set.m);
	kr_json_str_array(&j, "custodians", names, k);
	kr_approvals_json(&j, u->rep, 0);
	kr_key_home_audit(u->kw.be, &u->kw.home, KR_KEY_EVENT_USE, &j);
	if (u->pending)
		kr_json_str(&j, "set_state", "pending");
	if (!u->kw.home.quorum && actor[0] == '\0')
		(void)snprintf(actor, sizeof(actor), "token PIN holder");
	if ((ret = kr_store_begin(u->app->store, err)) == KR_OK) {
		/* A pending set's checks are dated in the same row. */
		if (u->pending)
			ret = kr_unlock_mark_checked(u, err);
		if (ret == KR_OK)
			ret = kr_audit_record(u->app, actor, event,
			    kr_json_end(&j), NULL, err);
		if (ret == KR_OK && u->pending)
			ret = kr_reshare_activate_due(u->app, &u->key, &u->set,
			    u->rep, err);
		if (ret == KR_OK)
			ret = kr_store_commit(u->app->store, err);
		else
			kr_store_rollback(u->app->store);
	}
	kr_json_free(&j);
	/* Activated: a --new-secret set's file now replaces the key's. */
	if (ret == KR_OK && u->rep->activated && (ret = kr_reshare_switch(
	    u->app, &u->key, u->set.epoch, err)) != KR_OK)
		(void)kr_err_prefix(err, "share set epoch %u of key '%s' is now "
		    "current, but its re-wrapped key file is not yet in place "
		    "(keyrite finishes this the next time a command that "
		    "changes state opens the state folder): ", u->set.epoch,
		    u->key.name);
	return ret;
}

static void
kr_unlock_free(struct kr_unlock *u)
{
	size_t	i;

	for (i = 0; i < KR_CUSTODIANS_MAX; i++) {
		if (u->shares[i] != NULL) {
			kr_share_clear(u->shares[i]);
			free(u->shares[i]);
		}
		if (u->read[i] != NULL) {
			kr_share_clear(u->read[i]);
			free(u->read[i]);
		}
		free(u->file[i]);
	}
	free(u);
}

/*
 * Every share file is read and matched to the key before anyone is asked
 * for a passphrase.  For an operation (not `quorum verify`, which checks
 * each share), one refusal means nothing is unlocked: nobody is asked
 * once a share was refused; the shares left are reported "not asked".
 */
static int
kr_unlock_check_all(struct kr_unlock *u, const char *const *files,
    size_t count, const struct kr_passphrase_source *src, bool op)
{
	struct kr_err	e;
	size_t		i;
	int		worst = KR_OK, ret;

	for (i = 0; i < count; i++) {
		kr_err_clear(&e);
		if ((ret = kr_unlock_read(u, i, files[i], &e)) == KR_OK)
			continue;
		kr_unlock_report_share(u, i, files[i], ret, &e);
		if (worst == KR_OK)
			worst = ret;
	}
	for (i = 0; i < count; i++) {
		if (u->read[i] == NULL) {
			if (src->skip != NULL)
				src->skip(src->ctx);
			continue;
		}
		kr_err_clear(&e);
		if (op && worst != KR_OK) {
			if (src->skip != NULL)
				src->skip(src->ctx);
			(void)kr_err_set(&e, KR_EQUORUM, "not asked for its "
			    "passphrase: another share was refused, so this "
			    "unlock could not succeed");
			kr_unlock_report_share(u, i, files[i], KR_EQUORUM, &e);
			u->rep->shares[i].not_asked = true;
			continue;
		}
		ret = kr_unlock_one(u, i, files[i], src, &e);
		kr_unlock_report_share(u, i, files[i], ret, &e);
		if (ret != KR_OK && worst == KR_OK)
			worst = ret;
	}
	return worst;
}

static int
kr_unlock_summarize(const struct kr_unlock *u, size_t count, int worst,
    struct kr_err *err)
{
	const struct kr_quorum_report	*rep = u->rep;
	size_t				 i, skipped = 0, refused;

	if (worst != KR_OK) {
		for (i = 0; i < count; i++)
			skipped += rep->shares[i].not_asked;
		for (i = 0; i < count; i++)
			if (rep->shares[i].code != KR_OK &&
			    !rep->shares[i].not_asked)
				break;
		if (count == 1)
			return kr_err_set(err, worst, "%s", rep->shares[0].msg);
		refused = count - rep->good - skipped;
		return kr_err_set(err, worst, "%zu of the %zu shares presented "
		    "%s refused, so nothing was unlocked (%zu good share%s; "
		    "%u needed%s%s). First refusal: %s", refused,
		    count, refused == 1 ? "was" : "were",
		    rep->good + skipped, rep->good + skipped == 1 ? "" : "s",
		    u->set.m, rep->good + skipped >= u->set.m ? ": run again "
		    "without the refused file" : "", skipped > 0 ? "; the "
		    "custodians of the good ones were not asked for their "
		    "passphrases" : "", rep->shares[i].msg);
	}
	if (count >= 2 && rep->good < u->set.m)
		return kr_err_set(err, KR_EQUORUM, "%zu good shares of the %u "
		    "needed to unlock key '%s': %zu more custodian%s must "
		    "present a share", rep->good, u->set.m, u->key.name,
		    u->set.m - rep->good, u->set.m - rep->good == 1 ? "" : "s");
	return KR_OK;
}

/* A token-guarded key: the token's own PIN, its origin check recorded. */
static int
kr_unlock_token(struct kr_unlock *u, size_t count,
    const struct kr_passphrase_source *src, struct kr_signer **out,
    struct kr_err *err)
{
	struct kr_signer	*s = NULL;
	int			 ret;

	ret = kr_unlock_token_prompt(u, count, src, &s, err);
	/* The token's origin check is recorded at every use. */
	if (ret == KR_OK)
		ret = kr_unlock_audit(u, "token.unlock", err);
	if (ret == KR_OK && out != NULL) {
		*out = s;
		s = NULL;
	}
	u->rep->unlocked = ret == KR_OK;
	kr_signer_free(&s);
	return ret;
}

/*
 * m good shares: the key unsealed.  `quorum verify` is its own audit row.
 * An operation that unlocks a sealed key records the approvers in its own
 * row, in the same transaction as what it made, so a refusal after the
 * unlock (bad input found late) leaves no row at all.  A token key's
 * unlock is a row of its own: the token and its key-origin check are
 * recorded at every use.
 */
static int
kr_unlock_quorum(struct kr_unlock *u, struct kr_signer **out,
    struct kr_err *err)
{
	struct kr_signer	*s = NULL;
	int			 ret;

	if ((ret = kr_unlock_unseal(u, u->rep->good, &s, NULL, err)) != KR_OK) {
		kr_signer_free(&s);
		return ret;
	}
	u->rep->unlocked = true;
	if ((out == NULL || u->kw.be->on_token) && (ret = kr_unlock_audit(u,
	    out == NULL ? "quorum.verify" : "quorum.unlock", err)) != KR_OK) {
		kr_signer_free(&s);
		return ret;
	}
	if (out != NULL)
		*out = s;
	else
		kr_signer_free(&s);
	return KR_OK;
}

int
kr_authority_unlock(struct kr_appliance *app, const char *name,
    const char *const *files, size_t count,
    const struct kr_passphrase_source *src,
    const struct kr_approval_subject *sub, struct kr_quorum_report *rep,
    struct kr_signer **out, struct kr_err *err)
{
	struct kr_unlock	*u;
	int			 ret;

	memset(rep, 0, sizeof(*rep));
	if (out != NULL)
		*out = NULL;
	if (count > KR_CUSTODIANS_MAX)
		return kr_err_set(err, KR_EUSAGE, "give at most %d share files "
		    "with --share", KR_CUSTODIANS_MAX);
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	u->app = app;
	u->rep = rep;
	u->sub = sub;
	u->op = out == NULL ? (count == 1 ? "share.check" : "quorum.verify") :
	    "quorum.unlock";
	rep->given = count;
	(void)snprintf(rep->key, sizeof(rep->key), "%s", name);
	if ((ret = kr_unlock_load(u, name, err)) != KR_OK ||
	    (out == NULL && count > 0 && u->kw.home.quorum &&
	    (ret = kr_unlock_pick_pending(u, files[0], err)) != KR_OK))
		goto out;
	rep->pending = u->pending;
	if (!u->kw.home.quorum) {
		ret = kr_unlock_token(u, count, src, out, err);
		goto out;
	}
	if (count == 0) {
		ret = kr_err_set(err, KR_EUSAGE, "key '%s' needs %u of its "
		    "custodians: give their share files with --share", name,
		    u->set.m);
		goto out;
	}
	rep->m = u->set.m;
	rep->n = u->set.n;
	rep->epoch = u->set.epoch;
	if ((ret = kr_unlock_approvals(u, err)) != KR_OK)
		goto out;
	ret = kr_unlock_check_all(u, files, count, src, out != NULL);
	if ((ret = kr_unlock_summarize(u, count, ret, err)) != KR_OK)
		goto out;
	if (count == 1 && out == NULL) {
		ret = kr_unlock_audit(u, "share.check", err);
		goto out;
	}
	if (count == 1) {
		ret = kr_err_set(err, KR_EQUORUM, "one share cannot unlock key "
		    "'%s': %u custodians must present their shares", name,
		    u->set.m);
		goto out;
	}
	ret = kr_unlock_quorum(u, out, err);
out:
	kr_unlock_free(u);
	return ret;
}

int
kr_authority_unlock_report(struct kr_appliance *app, const char *name,
    const char *const *files, size_t count,
    const struct kr_passphrase_source *src,
    const struct kr_approval_subject *sub, struct kr_quorum_report **rep,
    struct kr_signer **out, struct kr_err *err)
{
	if (out != NULL)
		*out = NULL;
	if ((*rep = calloc(1, sizeof(**rep))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	return kr_authority_unlock(app, name, files, count, src, sub, *rep,
	    out, err);
}

void
kr_quorum_report_free(struct kr_quorum_report **rep)
{
	if (rep == NULL || *rep == NULL)
		return;
	kr_approvals_free(&(*rep)->approvals);
	free(*rep);
	*rep = NULL;
}

int
kr_authority_quorum_verify(struct kr_appliance *app, const char *name,
    const char *const *files, size_t count,
    const struct kr_passphrase_source *src, struct kr_quorum_report **rep,
    struct kr_err *err)
{
	return kr_authority_unlock_report(app, name, files, count, src, NULL,
	    rep, NULL, err);
}

void
kr_quorum_approvers(const struct kr_quorum_report *q, const char **names,
    size_t *n, char *actor, size_t cap)
{
	size_t	i;

	*n = 0;
	actor[0] = '\0';
	for (i = 0; i < q->given; i++) {
		if (q->shares[i].code != KR_OK)
			continue;
		names[(*n)++] = q->shares[i].custodian;
		if (strlen(actor) + strlen(q->shares[i].custodian) + 2 < cap) {
			if (actor[0] != '\0')
				(void)strcat(actor, ",");
			(void)strcat(actor, q->shares[i].custodian);
		}
	}
}

/*
 * key destroy: the same quorum as any use of the key, then the record
 * (key destroyed, share set retired, audit row) is committed first, and
 * only then is the key material removed: the sealed file overwritten and
 * unlinked, or the token objects destroyed.  If removal fails the key is
 * already unusable through keyrite and the message says what to remove.
 */
/*
 * A reshare's pending set is retired with the key; its re-wrapped file,
 * if any, is removed by the next open's cleanup (recover.c).
 */
static int
kr_destroy_pending(struct kr_unlock *u, const struct kr_set_rec *p,
    struct kr_err *err)
{
	if (p->epoch == 0)
		return KR_OK;
	return kr_store_set_retire(u->app->store, p->id, kr_time_now(), err);
}

static int
kr_destroy_record(struct kr_unlock *u, const char *actor, struct kr_err *err)
{
	const char		*names[KR_CUSTODIANS_MAX];
	char			 who[1024];
	struct kr_set_rec	 pending;
	struct kr_err		 e;
	struct kr_json		 j;
	size_t			 n;
	int			 ret;

	kr_quorum_approvers(u->rep, names, &n, who, sizeof(who));
	kr_err_clear(&e);
	if (kr_store_set_pending(u->app->store, u->key.id, &pending, &e) !=
	    KR_OK)
		memset(&pending, 0, sizeof(pending));
	if ((ret = kr_store_begin(u->app->store, err)) != KR_OK)
		return ret;
	kr_json_begin(&j);
	kr_json_str(&j, "key", u->key.name);
	kr_json_str(&j, "backend", u->key.backend);
	kr_json_str(&j, "material", u->kw.be->material != NULL ?
	    u->kw.be->material : u->key.location);
	if (u->set.epoch != 0)
		kr_json_int(&j, "retired_epoch", u->set.epoch);
	if (pending.epoch != 0)
		kr_json_int(&j, "retired_pending_epoch", pending.epoch);
	kr_json_str_array(&j, "approved_by", names, n);
	kr_approvals_json(&j, u->rep, 0);
	kr_json_str(&j, "operator", actor);
	if ((ret = kr_store_key_set_state(u->app->store, u->key.id, "destroyed",
	    err)) != KR_OK ||
	    (u->set.epoch != 0 && (ret = kr_store_set_retire(u->app->store,
	    u->set.id, kr_time_now(), err)) != KR_OK) ||
	    (ret = kr_destroy_pending(u, &pending, err)) != KR_OK ||
	    (ret = kr_audit_record(u->app, who[0] != '\0' ? who : actor,
	    "key.destroy", kr_json_end(&j), NULL, err)) != KR_OK ||
	    (ret = kr_store_commit(u->app->store, err)) != KR_OK)
		kr_store_rollback(u->app->store);
	kr_json_free(&j);
	return ret;
}

int
kr_authority_key_destroy(struct kr_appliance *app, const char *name,
    const char *const *files, size_t count,
    const struct kr_passphrase_source *src, const char *actor,
    struct kr_quorum_report **rep, struct kr_err *err)
{
	const struct kr_approval_subject sub = { .op = "key.destroy" };
	struct kr_signer	*s = NULL;
	struct kr_unlock	*u = NULL;
	char			*path = NULL;
	int			 ret;

	/* Shown first; the quorum (or token PIN) proves itself by unlocking. */
	if ((ret = kr_destroy_confirm(app, name, src, err)) != KR_OK ||
	    (ret = kr_authority_unlock_report(app, name, files, count, src,
	    &sub, rep, &s, err)) != KR_OK)
		return ret;
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	u->app = app;
	u->rep = *rep;
	if ((ret = kr_unlock_load(u, name, err)) != KR_OK ||
	    (ret = kr_destroy_record(u, actor, err)) != KR_OK)
		goto out;
	if ((path = kr_appliance_path(app, u->key.location)) == NULL)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	else
		ret = u->kw.be->destroy(s, path, err);
	if (ret != KR_OK)
		(void)kr_err_prefix(err, "key '%s' is recorded as destroyed and "
		    "can no longer be used through keyrite, but its material "
		    "could not be removed; remove it by hand: ", name);
out:
	kr_signer_free(&s);
	free(path);
	free(u);
	return ret;
}

/*
 * quorum reshare: the current quorum's shares are checked and combined as
 * for any unlock (each custodian's approval signed for sub), the key is
 * opened with the secret to prove it, and the secret is handed back in
 * `secret` (KR_QUORUM_SECRET_BYTES of the caller's secure memory).
 * Nothing is recorded: the reshare's own row names the approvers.
 */
int
kr_authority_unlock_secret(struct kr_appliance *app, const char *name,
    const char *const *files, size_t count,
    const struct kr_passphrase_source *src,
    const struct kr_approval_subject *sub, struct kr_quorum_report **rep,
    uint8_t *secret, struct kr_err *err)
{
	struct kr_signer	*s = NULL;
	struct kr_unlock	*u;
	int			 ret;

	if ((*rep = calloc(1, sizeof(**rep))) == NULL ||
	    (u = calloc(1, sizeof(*u))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	u->app = app;
	u->rep = *rep;
	u->sub = sub;
	u->op = sub->op;
	(*rep)->given = count;
	(void)snprintf((*rep)->key, sizeof((*rep)->key), "%s", name);
	if ((ret = kr_unlock_load(u, name, err)) != KR_OK)
		goto out;
	if (!u->kw.home.quorum) {
		ret = kr_err_set(err, KR_EREFUSED, "key '%s' is guarded by its "
		    "token's own access control, not by a keyrite quorum: it "
		    "has no shares to reshare", name);
		goto out;
	}
	if (count < 2 || count > KR_CUSTODIANS_MAX) {
		ret = kr_err_set(err, KR_EUSAGE, "key '%s' needs %u of its "
		    "current custodians to approve: give their share files "
		    "with --share", name, u->set.m);
		goto out;
	}
	(*rep)->m = u->set.m;
	(*rep)->n = u->set.n;
	(*rep)->epoch = u->set.epoch;
	if ((ret = kr_unlock_approvals(u, err)) != KR_OK)
		goto out;
	ret = kr_unlock_check_all(u, files, count, src, true);
	if ((ret = kr_unlock_summarize(u, count, ret, err)) != KR_OK ||
	    (ret = kr_unlock_unseal(u, (*rep)->good, &s, secret, err)) !=
	    KR_OK)
		goto out;
	(*rep)->unlocked = true;
out:
	kr_signer_free(&s);
	kr_unlock_free(u);
	return ret;
}
