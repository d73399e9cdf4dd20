/*
 * key generate: a new sealed key under a new m-of-n share set.
 *
 * Order of work: check the request -> collect every passphrase -> make the
 * quorum secret, the key and the shares in memory -> check them -> write a
 * journal (pending/ID.keygen) naming the files -> write the sealed file and
 * the share files under temporary names -> record (one transaction) ->
 * give each file its name -> remove the journal.  Any failure before the
 * commit leaves no file and no row; a crash before it leaves temporary
 * files that the next open removes, a crash after it leaves temporary
 * files that the next open puts in place (recover.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "authority_int.h"

struct kr_keygen {
	struct kr_appliance		*app;
	const struct kr_keygen_req	*req;
	const struct kr_notice_sink	*notice;
	uint8_t				*secret;
	/* The share set: dealt as quorum reshare deals (deal.c). */
	struct kr_deal			 deal;
	struct kr_sealed_header		 hdr;
	uint8_t				*sealed;
	size_t				 sealed_len;
	char				*sealed_path;
	char				 sealed_rel[KR_KEY_NAME_MAX + 16];
	char				*sealed_tmp;
	char				*journal;
	/* Where the key is made: its back end, and what that records. */
	const struct kr_backend_ops	*be;
	struct kr_key_home		 home;
	char				*token_pin;	/* prompt mode */
};

static void
kr_keygen_say(const struct kr_keygen *kg, const char *fmt, ...)
    KR_PRINTF(2, 3);

static void
kr_keygen_say(const struct kr_keygen *kg, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	if (kg->notice == NULL || kg->notice->notice == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kg->notice->notice(kg->notice->ctx, msg);
}

/*
 * Where a custodian's share of key `key` goes: SHARE_DIR/CUSTODIAN/KEY.share
 * (one folder per custodian, to hand over; files named by key).  `rel`
 * receives the name the journal records, relative to the share folder;
 * *path (malloc'd) the full path, unless path is NULL.
 */
int
kr_keygen_share_path(const char *share_dir, const char *custodian,
    const char *key, char **path, char *rel, size_t cap, struct kr_err *err)
{
	int	n;

	n = snprintf(rel, cap, "%s/%s.share", custodian, key);
	if (n < 0 || (size_t)n >= cap)
		return kr_err_set(err, KR_EINTERNAL, "the share file name of "
		    "custodian '%s' is too long", custodian);
	if (path != NULL && (*path = kr_path_join(share_dir, rel)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	return KR_OK;
}

static int
kr_keygen_check_paths(struct kr_keygen *kg, struct kr_err *err)
{
	const struct kr_keygen_req	*req = kg->req;
	struct kr_deal			*d = &kg->deal;
	int				 ret;

	/* The share files: named and checked where reshare's are (deal.c). */
	if ((ret = kr_deal_check_paths(d, err)) != KR_OK)
		return ret;
	(void)snprintf(kg->sealed_rel, sizeof(kg->sealed_rel), "%s/%s.%s",
	    KR_KEYS_DIR, req->name, kg->be->file_ext);
	if ((kg->sealed_path = kr_appliance_path(kg->app, kg->sealed_rel)) ==
	    NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (kr_path_exists(kg->sealed_path))
		return kr_err_set(err, KR_EEXIST, "%s already exists although "
		    "no key '%s' is recorded: the state folder needs "
		    "attention before a key of that name can be made",
		    kg->sealed_path, req->name);
	return KR_OK;
}

static int
kr_keygen_check(struct kr_keygen *kg, struct kr_err *err)
{
	const struct kr_keygen_req	*req = kg->req;
	struct kr_deal			*d = &kg->deal;
	struct kr_key_rec		 rec;
	struct kr_err			 e2;
	int				 ret;

	d->app = kg->app;
	d->notice = kg->notice;
	d->key = req->name;
	d->m = req->m;
	d->custodians = req->custodians;
	d->n = req->n;
	d->share_dir = req->share_dir;
	d->share_format = req->share_format;
	d->epoch = 1;
	if ((ret = kr_key_name_check(kg->req->name, err)) != KR_OK ||
	    (ret = kr_deal_check_custodians(d, err)) != KR_OK)
		return ret;
	kr_err_clear(&e2);
	ret = kr_store_key_get(kg->app->store, kg->req->name, &rec, &e2);
	if (ret == KR_OK)
		return kr_err_set(err, KR_EEXIST, "a key named '%s' already "
		    "exists (%s, purpose %s): choose another name",
		    kg->req->name, rec.alg, rec.purpose);
	if (ret != KR_ENOENT) {
		*err = e2;
		return ret;
	}
	return kr_keygen_check_paths(kg, err);
}

/*
 * The key is made by its back end: sealed in a file under the quorum
 * secret, or generated on a token (a blank token initialised first, its
 * PINs sealed under the quorum secret in keys/NAME.pins; or, with a token
 * PIN and no quorum, a token guarded by its own access control).
 */
static int
kr_keygen_backend_key(struct kr_keygen *kg, struct kr_err *err)
{
	const struct kr_keygen_req	*req = kg->req;
	struct kr_key_home		*home = &kg->home;
	int				 ret;

	(void)snprintf(home->name, sizeof(home->name), "%s", req->name);
	memcpy(home->key_id, kg->hdr.key_id, sizeof(home->key_id));
	home->alg = req->alg;
	home->purpose = req->purpose;
	home->quorum = !req->pin_prompt;
	home->file = kg->sealed_rel;
	home->where.module = req->module;
	home->where.uri = req->uri;
	home->where.token = req->token;
	home->init_token = req->init_token;
	ret = kg->be->generate(home, &kg->hdr, home->quorum ? kg->secret :
	    NULL, kg->token_pin, &kg->sealed, &kg->sealed_len, err);
	memcpy(home->spki, kg->hdr.spki, kg->hdr.spki_len);
	home->spki_len = kg->hdr.spki_len;
	return ret;
}

/* How the key is held, for the front end's message. */
static void
kr_keygen_held(const struct kr_keygen *kg, struct kr_keygen_result *res)
{
	kg->be->describe(&kg->home, res->held, sizeof(res->held), NULL, 0);
}

static int
kr_keygen_make_key(struct kr_keygen *kg, struct kr_err *err)
{
	struct kr_sealed_header	*h = &kg->hdr;
	int			 ret;

	if ((kg->secret = kr_secure_alloc(KR_QUORUM_SECRET_BYTES)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	kr_random(kg->secret, KR_QUORUM_SECRET_BYTES);
	if ((ret = kr_deal_begin(&kg->deal, err)) != KR_OK)
		return ret;
	h->version = 1;
	kr_random(h->key_id, sizeof(h->key_id));
	memcpy(kg->deal.key_id, h->key_id, sizeof(kg->deal.key_id));
	memcpy(h->set_id, kg->deal.set_id, sizeof(h->set_id));
	(void)snprintf(h->name, sizeof(h->name), "%s", kg->req->name);
	h->alg = kg->req->alg;
	h->purpose = kg->req->purpose;
	h->epoch = 1;
	h->m = (uint8_t)kg->req->m;
	h->n = (uint8_t)kg->req->n;
	memcpy(h->dealer_pk, kg->deal.dealer_pk, sizeof(h->dealer_pk));
	h->created = kr_time_now();
	kr_keygen_say(kg, "generating the %s key '%s'%s%s",
	    kr_key_alg_name(h->alg), h->name, kg->be->on_token ?
	    " on the token" : "",
	    h->alg == KR_KEY_RSA4096 || h->alg == KR_KEY_RSA3072 ?
	    " (RSA key generation can take a minute)" : "");
	return kr_keygen_backend_key(kg, err);
}

/* Reads back what was made before anything is recorded. */
static int
kr_keygen_selfcheck(struct kr_keygen *kg, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_deal_selfcheck(&kg->deal, err)) != KR_OK)
		return ret;
	return kg->be->reopen(kg->sealed, kg->sealed_len, kg->sealed_path,
	    kg->secret, err);
}

static int
kr_keygen_token_insert(struct kr_keygen *kg, struct kr_err *err)
{
	const struct kr_keygen_req	*req = kg->req;
	const struct kr_p11_token_info	*ti = &kg->home.rep.token;
	struct kr_token_rec		 t;

	memset(&t, 0, sizeof(t));
	memcpy(t.key_id, kg->hdr.key_id, sizeof(t.key_id));
	(void)snprintf(t.module, sizeof(t.module), "%s",
	    req->module != NULL ? req->module : ti->module);
	(void)snprintf(t.uri, sizeof(t.uri), "%s", req->uri != NULL ? req->uri :
	    "");
	(void)snprintf(t.token_label, sizeof(t.token_label), "%s", ti->label);
	(void)snprintf(t.token_serial, sizeof(t.token_serial), "%s",
	    ti->serial);
	(void)snprintf(t.manufacturer, sizeof(t.manufacturer), "%s",
	    ti->manufacturer);
	(void)snprintf(t.model, sizeof(t.model), "%s", ti->model);
	memcpy(t.p11_id, kg->home.p11_id, sizeof(t.p11_id));
	(void)snprintf(t.pin_mode, sizeof(t.pin_mode), "%s",
	    req->pin_prompt ? "prompt" : "quorum");
	(void)snprintf(t.pins_location, sizeof(t.pins_location), "%s",
	    req->pin_prompt ? "" : kg->sealed_rel);
	return kr_store_token_insert(kg->app->store, &t, err);
}

static int
kr_keygen_insert(struct kr_keygen *kg, struct kr_err *err)
{
	struct kr_key_rec	kr;
	int			ret;

	memset(&kr, 0, sizeof(kr));
	memcpy(kr.id, kg->hdr.key_id, sizeof(kr.id));
	(void)snprintf(kr.name, sizeof(kr.name), "%s", kg->hdr.name);
	(void)snprintf(kr.alg, sizeof(kr.alg), "%s", kr_key_alg_name(kg->hdr.alg));
	(void)snprintf(kr.purpose, sizeof(kr.purpose), "%s",
	    kr_purpose_name(kg->hdr.purpose));
	(void)snprintf(kr.backend, sizeof(kr.backend), "%s", kg->be->name);
	(void)snprintf(kr.state, sizeof(kr.state), "active");
	(void)snprintf(kr.location, sizeof(kr.location), "%s", kg->sealed_rel);
	memcpy(kr.spki, kg->hdr.spki, kg->hdr.spki_len);
	kr.spki_len = kg->hdr.spki_len;
	kr.created = kg->hdr.created;
	if ((ret = kr_store_key_insert(kg->app->store, &kr, err)) != KR_OK ||
	    (kg->be->on_token && (ret = kr_keygen_token_insert(kg, err)) !=
	    KR_OK))
		return ret;
	if (kg->req->pin_prompt)
		return KR_OK;	/* no share set: the token guards the key */
	return kr_deal_insert(&kg->deal, "active", kg->hdr.created, err);
}

static int
kr_keygen_audit(struct kr_keygen *kg, struct kr_keygen_result *res,
    struct kr_err *err)
{
	struct kr_json	j;
	int		ret;

	kr_json_begin(&j);
	kr_json_str(&j, "key", kg->hdr.name);
	kr_json_hex(&j, "key_id", kg->hdr.key_id, sizeof(kg->hdr.key_id));
	kr_json_str(&j, "alg", kr_key_alg_name(kg->hdr.alg));
	kr_json_str(&j, "purpose", kr_purpose_name(kg->hdr.purpose));
	kr_json_str(&j, "backend", kg->be->name);
	kr_key_home_audit(kg->be, &kg->home, KR_KEY_EVENT_GENERATE, &j);
	kr_json_str(&j, "spki_sha256", res->fingerprint);
	kr_json_hex(&j, "share_set", kg->hdr.set_id, sizeof(kg->hdr.set_id));
	kr_json_int(&j, "epoch", kg->hdr.epoch);
	kr_json_int(&j, "m", kg->hdr.m);
	kr_json_int(&j, "n", kg->hdr.n);
	kr_json_str_array(&j, "custodians", kg->req->custodians, kg->req->n);
	kr_deal_audit(&kg->deal, &j);
	kr_json_hex(&j, "dealer_pk", kg->hdr.dealer_pk, sizeof(kg->hdr.dealer_pk));
	kr_json_str(&j, "kdf_profile", kg->app->kdf_profile);
	kr_json_str(&j, "sealed_file", kg->sealed_rel);
	ret = kr_audit_record(kg->app, kg->req->actor, "key.generate",
	    kr_json_end(&j), &res->audit_seq, err);
	kr_json_free(&j);
	return ret;
}

/* Names the files to come, before any of them exists. */
static int
kr_keygen_journal(struct kr_keygen *kg, struct kr_err *err)
{
	struct kr_journal	*j;
	int			 ret;

	if (kg->sealed == NULL && kg->req->n == 0)
		return KR_OK;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	(void)snprintf(j->key, sizeof(j->key), "%s", kg->hdr.name);
	memcpy(j->key_id, kg->hdr.key_id, sizeof(j->key_id));
	if (kg->sealed != NULL)
		(void)snprintf(j->sealed, sizeof(j->sealed), "%s",
		    kg->sealed_rel);
	if ((ret = kr_deal_journal(&kg->deal, j, err)) == KR_OK)
		ret = kr_journal_begin(kg->app, j, &kg->journal, err);
	free(j);
	return ret;
}

/* Every file under a temporary name, synced, before the commit. */
static int
kr_keygen_stage(struct kr_keygen *kg, struct kr_err *err)
{
	int	ret;

	if (kg->sealed != NULL && (ret = kr_file_stage(kg->sealed_path,
	    kg->sealed, kg->sealed_len, &kg->sealed_tmp, err)) != KR_OK)
		return ret;
	return kr_deal_stage(&kg->deal, err);
}

/* After the commit: each file gets its name. */
static int
kr_keygen_place(struct kr_keygen *kg, struct kr_err *err)
{
	int	ret;

	if (kg->sealed_tmp != NULL) {
		if ((ret = kr_file_place(kg->sealed_tmp, kg->sealed_path,
		    err)) != KR_OK)
			return ret;
		free(kg->sealed_tmp);
		kg->sealed_tmp = NULL;
	}
	return kr_deal_place(&kg->deal, err);
}

/* Nothing was recorded: the staged files and the journal go. */
static void
kr_keygen_unstage(struct kr_keygen *kg)
{
	struct kr_err	e;

	kr_deal_unstage(&kg->deal);
	/* Best effort: the first error is the one reported. */
	if (kg->sealed_tmp != NULL && kr_file_shred(kg->sealed_tmp, &e) !=
	    KR_OK)
		(void)unlink(kg->sealed_tmp);
	free(kg->sealed_tmp);
	kg->sealed_tmp = NULL;
	kr_journal_end(kg->app, &kg->journal);
}

static int
kr_keygen_record(struct kr_keygen *kg, struct kr_keygen_result *res,
    struct kr_err *err)
{
	struct kr_sigmask	sig;
	int			ret;

	/* Ctrl-C lands after commit or rollback, never between. */
	kr_signals_hold(&sig);
	if ((ret = kr_keygen_journal(kg, err)) != KR_OK ||
	    (ret = kr_keygen_stage(kg, err)) != KR_OK ||
	    (ret = kr_store_begin(kg->app->store, err)) != KR_OK)
		goto undo;
	if ((ret = kr_keygen_insert(kg, err)) != KR_OK ||
	    (ret = kr_keygen_audit(kg, res, err)) != KR_OK ||
	    (ret = kr_store_commit(kg->app->store, err)) != KR_OK) {
		kr_store_rollback(kg->app->store);
		goto undo;
	}
	/* Recorded: from here the journal finishes what is left undone. */
	if ((ret = kr_keygen_place(kg, err)) != KR_OK)
		(void)kr_err_prefix(err, "key '%s' was generated and recorded, "
		    "but not every file of it has its name yet (keyrite "
		    "finishes this the next time a command that changes "
		    "state opens the state folder): ", kg->hdr.name);
	else
		kr_journal_end(kg->app, &kg->journal);
	kr_signals_release(&sig);
	return ret;
undo:
	kr_keygen_unstage(kg);
	kr_signals_release(&sig);
	return ret;
}

static void
kr_keygen_wipe(struct kr_keygen *kg)
{
	kr_deal_free(&kg->deal);
	kr_secure_free(kg->secret);
	kr_secure_free(kg->token_pin);
	free(kg->sealed);
	free(kg->sealed_path);
	/* Left only when the key is recorded: the journal finishes it. */
	free(kg->sealed_tmp);
	free(kg->journal);
}

/* What the PKCS#11 options must say, before anything is asked or made. */
static int
kr_keygen_token_check(const struct kr_keygen_req *req, struct kr_err *err)
{
	if (req->module == NULL && req->uri == NULL)
		return kr_err_set(err, KR_EUSAGE, "a token key needs --module "
		    "PATH (or a pkcs11: URI naming the module)");
	if (req->token == NULL && req->uri == NULL)
		return kr_err_set(err, KR_EUSAGE, "name the token with --token "
		    "LABEL (or a pkcs11: URI)");
	if (req->init_token == req->pin_prompt)
		return kr_err_set(err, KR_EUSAGE, "choose one of --init-token "
		    "(keyrite initialises a blank token; its PINs are sealed "
		    "under the quorum) and --pin-source prompt (the token's own "
		    "access control guards the key)");
	if (req->pin_prompt && (req->n > 0 || req->m > 0))
		return kr_err_set(err, KR_EUSAGE, "--threshold and --custodian "
		    "are refused with --pin-source prompt: the token's own "
		    "access control guards that key, not a keyrite quorum");
	return KR_OK;
}

/*
 * --pin-source prompt: no quorum of keyrite's; the token PIN is asked now
 * and at each use.  The key, its token and the audit row say so.
 */
static int
kr_keygen_prompt(struct kr_keygen *kg, const struct kr_passphrase_source *src,
    struct kr_keygen_result *res, struct kr_err *err)
{
	struct kr_key_rec	rec;
	struct kr_err		e2;
	int			ret;

	if ((ret = kr_key_name_check(kg->req->name, err)) != KR_OK)
		return ret;
	kr_err_clear(&e2);
	if (kr_store_key_get(kg->app->store, kg->req->name, &rec, &e2) == KR_OK)
		return kr_err_set(err, KR_EEXIST, "a key named '%s' already "
		    "exists: choose another name", kg->req->name);
	(void)snprintf(kg->sealed_rel, sizeof(kg->sealed_rel), "token");
	if ((kg->token_pin = kr_secure_alloc(KR_PASSPHRASE_MAX)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	if ((ret = kr_passphrase_pin(src, kg->req->token != NULL ?
	    kg->req->token : "(from the URI)", kg->token_pin,
	    KR_PASSPHRASE_MAX, err)) != KR_OK)
		return ret;
	kr_random(kg->hdr.key_id, sizeof(kg->hdr.key_id));
	(void)snprintf(kg->hdr.name, sizeof(kg->hdr.name), "%s", kg->req->name);
	kg->hdr.alg = kg->req->alg;
	kg->hdr.purpose = kg->req->purpose;
	kg->hdr.created = kr_time_now();
	if ((ret = kr_keygen_backend_key(kg, err)) != KR_OK)
		return ret;
	kr_spki_fingerprint(kg->hdr.spki, kg->hdr.spki_len, res->fingerprint);
	return kr_keygen_record(kg, res, err);
}

int
kr_authority_key_generate(struct kr_appliance *app,
    const struct kr_keygen_req *req, const struct kr_passphrase_source *src,
    const struct kr_notice_sink *notice, struct kr_keygen_result *res,
    struct kr_err *err)
{
	struct kr_keygen	*kg;
	size_t			 i;
	int			 ret;

	memset(res, 0, sizeof(*res));
	if ((kg = calloc(1, sizeof(*kg))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	kg->app = app;
	kg->req = req;
	kg->notice = notice;
	kg->be = kr_backend_find(req->backend == KR_BACKEND_PKCS11 ?
	    "pkcs11" : "sealed");
	if (kg->be->on_token && (ret = kr_keygen_token_check(req, err)) !=
	    KR_OK)
		goto out;
	if (kg->be->on_token && req->pin_prompt) {
		ret = kr_keygen_prompt(kg, src, res, err);
		goto token_out;
	}
	if ((ret = kr_keygen_check(kg, err)) != KR_OK ||
	    (ret = kr_deal_passphrases(&kg->deal, src, err)) != KR_OK ||
	    (ret = kr_keygen_make_key(kg, err)) != KR_OK ||
	    (ret = kr_deal_make_shares(&kg->deal, kg->secret, err)) != KR_OK ||
	    (ret = kr_keygen_selfcheck(kg, err)) != KR_OK)
		goto out;
	/* The dealer key is one-time: kr_deal_selfcheck freed it. */
	kr_spki_fingerprint(kg->hdr.spki, kg->hdr.spki_len, res->fingerprint);
	kr_hex_encode(res->set_id, kg->hdr.set_id, sizeof(kg->hdr.set_id));
	if ((ret = kr_keygen_record(kg, res, err)) != KR_OK)
		goto out;
	for (i = 0; i < req->n; i++) {
		(void)snprintf(res->share_paths[i], sizeof(res->share_paths[i]),
		    "%s", kg->deal.paths[i]);
		(void)snprintf(res->approval_fp[i], sizeof(res->approval_fp[i]),
		    "%s", kg->deal.approval_fp[i]);
	}
	res->shares = req->n;
token_out:
	if (ret == KR_OK)
		kr_keygen_held(kg, res);
out:
	kr_keygen_wipe(kg);
	free(kg);
	return ret;
}
