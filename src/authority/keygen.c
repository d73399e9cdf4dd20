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
	char				*pass[KR_CUSTODIANS_MAX];
	uint8_t				*secret;
	uint8_t				*ys;
	uint8_t				 xs[KR_CUSTODIANS_MAX];
	struct kr_dealer		 dealer;
	struct kr_sealed_header		 hdr;
	uint8_t				*sealed;
	size_t				 sealed_len;
	uint8_t				*files[KR_CUSTODIANS_MAX];
	size_t				 file_lens[KR_CUSTODIANS_MAX];
	char				*paths[KR_CUSTODIANS_MAX];
	/* Each custodian's approval public key (share file format 2). */
	uint8_t				 approval_pk[KR_CUSTODIANS_MAX]
					    [KR_APPROVAL_PK_BYTES];
	char				 approval_fp[KR_CUSTODIANS_MAX]
					    [KR_APPROVAL_FP_BYTES];
	char				*sealed_path;
	char				 sealed_rel[KR_KEY_NAME_MAX + 16];
	char				*tmps[KR_CUSTODIANS_MAX];
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

static int
kr_keygen_check_custodians(const struct kr_keygen *kg, struct kr_err *err)
{
	const struct kr_keygen_req	*req = kg->req;
	const struct kr_quorum_policy	*qp = &kg->app->policy;
	size_t				 i, j;
	int				 ret;

	if (req->n > KR_CUSTODIANS_MAX || req->n > qp->max_custodians)
		return kr_err_set(err, KR_EUSAGE, "%zu custodians named; a "
		    "share set has at most %u", req->n,
		    qp->max_custodians < KR_CUSTODIANS_MAX ?
		    qp->max_custodians : KR_CUSTODIANS_MAX);
	if (req->m < 2 || req->m < qp->min_threshold)
		return kr_err_set(err, KR_EUSAGE, "a threshold of %u is too "
		    "low: the quorum policy needs at least %u custodians to "
		    "act together", req->m, qp->min_threshold < 2 ? 2 :
		    qp->min_threshold);
	if (req->m > req->n)
		return kr_err_set(err, KR_EUSAGE, "a threshold of %u needs at "
		    "least %u custodians, but %zu were named (--custodian)",
		    req->m, req->m, req->n);
	for (i = 0; i < req->n; i++) {
		if ((ret = kr_custodian_name_check(req->custodians[i], err)) !=
		    KR_OK)
			return ret;
		/* Case-blind: FAT media would put both in one file. */
		for (j = 0; j < i; j++)
			if (strcasecmp(req->custodians[i],
			    req->custodians[j]) == 0)
				return kr_err_set(err, KR_EUSAGE, "custodian "
				    "'%s' is named twice%s%s%s: each custodian "
				    "holds exactly one share, in a file named "
				    "after them", req->custodians[i],
				    strcmp(req->custodians[i],
				    req->custodians[j]) != 0 ? " (as '" : "",
				    strcmp(req->custodians[i],
				    req->custodians[j]) != 0 ?
				    req->custodians[j] : "",
				    strcmp(req->custodians[i],
				    req->custodians[j]) != 0 ? "')" : "");
	}
	return KR_OK;
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
	struct kr_media_plan		*plan;
	char				 rel[KR_SHARE_REL_MAX];
	size_t				 i;
	int				 ret;

	/* The share folder is checked as every output is (media/). */
	if ((plan = malloc(sizeof(*plan))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_media_plan_init(plan, kg->app->dir, err)) != KR_OK ||
	    (ret = kr_media_plan_dir(plan, req->share_dir, "the share folder",
	    err)) != KR_OK) {
		free(plan);
		return ret;
	}
	/* A custodian's folder may exist (other keys' shares), a file not. */
	for (i = 0; i < req->n && ret == KR_OK; i++) {
		if ((ret = kr_keygen_share_path(req->share_dir,
		    req->custodians[i], req->name, &kg->paths[i], rel,
		    sizeof(rel), err)) != KR_OK)
			break;
		if (kr_path_exists(kg->paths[i]))
			ret = kr_err_set(err, KR_EEXIST, "%s already exists: "
			    "keyrite will not overwrite a custodian's share "
			    "file; move it away or choose another --share-dir",
			    kg->paths[i]);
		else
			ret = kr_media_plan_add_sub(plan, KR_ART_SHARE_FILE,
			    kg->paths[i], KR_SHARE_FILE_MAX, err);
	}
	free(plan);
	if (ret != KR_OK)
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
	struct kr_key_rec	rec;
	struct kr_err		e2;
	int			ret;

	if ((ret = kr_key_name_check(kg->req->name, err)) != KR_OK ||
	    (ret = kr_keygen_check_custodians(kg, err)) != KR_OK)
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

static int
kr_keygen_passphrases(struct kr_keygen *kg,
    const struct kr_passphrase_source *src, struct kr_err *err)
{
	unsigned	min = kg->app->policy.min_passphrase_length;
	size_t		i, len;
	int		ret;

	for (i = 0; i < kg->req->n; i++) {
		if ((kg->pass[i] = kr_secure_alloc(KR_PASSPHRASE_MAX)) == NULL)
			return kr_err_set(err, KR_ENOMEM, "out of secure memory");
		if ((ret = src->get(src->ctx, kg->req->custodians[i],
		    kg->paths[i], true, kg->pass[i], KR_PASSPHRASE_MAX,
		    err)) != KR_OK)
			return ret;
		len = strlen(kg->pass[i]);
		if (len < min)
			return kr_err_set(err, KR_EINPUT, "the passphrase for "
			    "custodian '%s' is %zu characters; the quorum "
			    "policy asks for at least %u", kg->req->custodians[i],
			    len, min);
	}
	return KR_OK;
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
	if ((ret = kr_dealer_new(&kg->dealer, err)) != KR_OK)
		return ret;
	h->version = 1;
	kr_random(h->key_id, sizeof(h->key_id));
	kr_random(h->set_id, sizeof(h->set_id));
	(void)snprintf(h->name, sizeof(h->name), "%s", kg->req->name);
	h->alg = kg->req->alg;
	h->purpose = kg->req->purpose;
	h->epoch = 1;
	h->m = (uint8_t)kg->req->m;
	h->n = (uint8_t)kg->req->n;
	memcpy(h->dealer_pk, kg->dealer.pk, sizeof(h->dealer_pk));
	h->created = kr_time_now();
	kr_keygen_say(kg, "generating the %s key '%s'%s%s",
	    kr_key_alg_name(h->alg), h->name, kg->be->on_token ?
	    " on the token" : "",
	    h->alg == KR_KEY_RSA4096 || h->alg == KR_KEY_RSA3072 ?
	    " (RSA key generation can take a minute)" : "");
	return kr_keygen_backend_key(kg, err);
}

/*
 * Share i: format 2 holds a new approval key for its custodian (the seed
 * lives in secure memory only until it is sealed); format 1 (tests of
 * old share sets) none.
 */
static int
kr_keygen_seal_share(struct kr_keygen *kg, size_t i,
    struct kr_share_header *sh, struct kr_err *err)
{
	const uint8_t	*y = kg->ys + i * KR_QUORUM_SECRET_BYTES;
	uint8_t		*seed;
	int		 ret;

	if (kg->req->share_format == 1)
		return kr_share_seal(sh, y, kg->pass[i], strlen(kg->pass[i]),
		    &kg->dealer, &kg->files[i], &kg->file_lens[i], err);
	if ((seed = kr_secure_alloc(KR_APPROVAL_SEED_BYTES)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	kr_random(seed, KR_APPROVAL_SEED_BYTES);
	ret = kr_share_seal_v2(sh, y, seed, kg->pass[i], strlen(kg->pass[i]),
	    &kg->dealer, &kg->files[i], &kg->file_lens[i], err);
	kr_wipe(seed, KR_APPROVAL_SEED_BYTES);
	kr_secure_free(seed);
	if (ret != KR_OK)
		return ret;
	memcpy(kg->approval_pk[i], sh->approval_pk, KR_APPROVAL_PK_BYTES);
	kr_approval_fingerprint(sh->approval_pk, kg->approval_fp[i]);
	return KR_OK;
}

static int
kr_keygen_make_shares(struct kr_keygen *kg, struct kr_err *err)
{
	const struct kr_keygen_req	*req = kg->req;
	struct kr_share_header		 sh;
	size_t				 i;
	int				 ret;

	if (req->share_format > 2)
		return kr_err_set(err, KR_EUSAGE, "share file format %u does "
		    "not exist", req->share_format);
	if ((kg->ys = kr_secure_alloc(req->n * KR_QUORUM_SECRET_BYTES)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	if ((ret = kr_shamir_split(kg->secret, KR_QUORUM_SECRET_BYTES, req->m,
	    (unsigned)req->n, kg->xs, kg->ys)) != KR_OK)
		return kr_err_set(err, ret, "splitting the quorum secret "
		    "failed");
	for (i = 0; i < req->n; i++) {
		memset(&sh, 0, sizeof(sh));
		memcpy(sh.set_id, kg->hdr.set_id, sizeof(sh.set_id));
		sh.epoch = kg->hdr.epoch;
		memcpy(sh.key_id, kg->hdr.key_id, sizeof(sh.key_id));
		sh.m = (uint8_t)req->m;
		sh.n = (uint8_t)req->n;
		sh.x = kg->xs[i];
		(void)snprintf(sh.custodian, sizeof(sh.custodian), "%s",
		    req->custodians[i]);
		sh.kdf = kg->app->kdf;
		memcpy(sh.dealer_pk, kg->dealer.pk, sizeof(sh.dealer_pk));
		kr_keygen_say(kg, "sealing share %zu of %zu for custodian '%s'",
		    i + 1, req->n, req->custodians[i]);
		if ((ret = kr_keygen_seal_share(kg, i, &sh, err)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

/* Reads back what was made before anything is recorded. */
static int
kr_keygen_selfcheck(struct kr_keygen *kg, struct kr_err *err)
{
	struct kr_share		 sh;
	size_t			 i;
	int			 ret;

	for (i = 0; i < kg->req->n; i++) {
		memset(&sh, 0, sizeof(sh));
		if ((ret = kr_share_parse(kg->files[i], kg->file_lens[i],
		    kg->paths[i], &sh, err)) != KR_OK ||
		    (ret = kr_share_check_signature(&sh, kg->dealer.pk, err)) !=
		    KR_OK)
			return kr_err_prefix(err, "self-check of a new share "
			    "failed: ");
	}
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
	struct kr_set_rec	sr;
	struct kr_custodian_rec	cr;
	size_t			i;
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
	memset(&sr, 0, sizeof(sr));
	memcpy(sr.id, kg->hdr.set_id, sizeof(sr.id));
	memcpy(sr.key_id, kg->hdr.key_id, sizeof(sr.key_id));
	sr.epoch = kg->hdr.epoch;
	sr.m = kg->hdr.m;
	sr.n = kg->hdr.n;
	memcpy(sr.dealer_pk, kg->hdr.dealer_pk, sizeof(sr.dealer_pk));
	sr.kdf_ops = kg->app->kdf.opslimit;
	sr.kdf_mem_kib = kg->app->kdf.mem_kib;
	(void)snprintf(sr.state, sizeof(sr.state), "active");
	sr.created = kg->hdr.created;
	if ((ret = kr_store_set_insert(kg->app->store, &sr, err)) != KR_OK)
		return ret;
	for (i = 0; i < kg->req->n; i++) {
		memset(&cr, 0, sizeof(cr));
		memcpy(cr.set_id, sr.id, sizeof(cr.set_id));
		cr.x = kg->xs[i];
		(void)snprintf(cr.name, sizeof(cr.name), "%s",
		    kg->req->custodians[i]);
		cr.has_approval_pk = kg->req->share_format != 1;
		memcpy(cr.approval_pk, kg->approval_pk[i],
		    sizeof(cr.approval_pk));
		if ((ret = kr_hash(KR_HASH_SHA256, kg->files[i],
		    kg->file_lens[i], cr.share_digest)) != KR_OK ||
		    (ret = kr_store_custodian_insert(kg->app->store, &cr,
		    err)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

/* The share format, and the fingerprints the custodians wrote down. */
static void
kr_keygen_audit_approval(const struct kr_keygen *kg, struct kr_json *j)
{
	const char	*fps[KR_CUSTODIANS_MAX];
	size_t		 i;

	if (kg->req->n == 0)
		return;
	kr_json_int(j, "share_format", kg->req->share_format == 1 ? 1 : 2);
	if (kg->req->share_format == 1)
		return;
	for (i = 0; i < kg->req->n; i++)
		fps[i] = kg->approval_fp[i];
	kr_json_str_array(j, "approval_key_fingerprints", fps, kg->req->n);
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
	kr_keygen_audit_approval(kg, &j);
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
	char			 dir[PATH_MAX];
	size_t			 i;
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
	if (kg->req->n > 0 && realpath(kg->req->share_dir, dir) == NULL) {
		free(j);
		return kr_err_set(err, KR_ESTATE, "cannot resolve the share "
		    "folder %s: %s", kg->req->share_dir, strerror(errno));
	}
	if (kg->req->n > 0)
		(void)snprintf(j->share_dir, sizeof(j->share_dir), "%s", dir);
	for (i = 0, ret = KR_OK; i < kg->req->n && ret == KR_OK; i++) {
		j->x[i] = kg->xs[i];
		ret = kr_keygen_share_path(kg->req->share_dir,
		    kg->req->custodians[i], kg->hdr.name, NULL, j->share[i],
		    sizeof(j->share[i]), err);
	}
	j->n = kg->req->n;
	if (ret == KR_OK)
		ret = kr_journal_begin(kg->app, j, &kg->journal, err);
	free(j);
	return ret;
}

/* Every file under a temporary name, synced, before the commit. */
static int
kr_keygen_stage(struct kr_keygen *kg, struct kr_err *err)
{
	size_t	i;
	int	ret;

	if (kg->sealed != NULL && (ret = kr_file_stage(kg->sealed_path,
	    kg->sealed, kg->sealed_len, &kg->sealed_tmp, err)) != KR_OK)
		return ret;
	for (i = 0; i < kg->req->n; i++)
		if ((ret = kr_media_stage(KR_ART_SHARE_FILE, kg->paths[i],
		    kg->files[i], kg->file_lens[i], &kg->tmps[i], err)) !=
		    KR_OK)
			return ret;
	return KR_OK;
}

/* After the commit: each file gets its name. */
static int
kr_keygen_place(struct kr_keygen *kg, struct kr_err *err)
{
	size_t	i;
	int	ret;

	if (kg->sealed_tmp != NULL) {
		if ((ret = kr_file_place(kg->sealed_tmp, kg->sealed_path,
		    err)) != KR_OK)
			return ret;
		free(kg->sealed_tmp);
		kg->sealed_tmp = NULL;
	}
	for (i = 0; i < kg->req->n; i++) {
		if ((ret = kr_media_place(kg->tmps[i], kg->paths[i], err)) !=
		    KR_OK)
			return ret;
		free(kg->tmps[i]);
		kg->tmps[i] = NULL;
	}
	return KR_OK;
}

/* Nothing was recorded: the staged files and the journal go. */
static void
kr_keygen_unstage(struct kr_keygen *kg)
{
	struct kr_err	e;
	size_t		i;

	for (i = 0; i < KR_CUSTODIANS_MAX; i++) {
		if (kg->tmps[i] != NULL)
			kr_media_unstage(kg->tmps[i]);
		free(kg->tmps[i]);
		kg->tmps[i] = NULL;
	}
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
	size_t	i;

	for (i = 0; i < KR_CUSTODIANS_MAX; i++) {
		kr_secure_free(kg->pass[i]);
		free(kg->files[i]);
		free(kg->paths[i]);
	}
	kr_secure_free(kg->secret);
	kr_secure_free(kg->ys);
	kr_dealer_free(&kg->dealer);
	kr_secure_free(kg->token_pin);
	free(kg->sealed);
	free(kg->sealed_path);
	/* Left only when the key is recorded: the journal finishes them. */
	for (i = 0; i < KR_CUSTODIANS_MAX; i++)
		free(kg->tmps[i]);
	free(kg->sealed_tmp);
	free(kg->journal);
	kr_wipe(kg->xs, sizeof(kg->xs));
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
	char			who[96];
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
	(void)snprintf(who, sizeof(who), "token '%s'", kg->req->token != NULL ?
	    kg->req->token : "(from the URI)");
	if ((ret = src->get(src->ctx, who, "its user PIN", false,
	    kg->token_pin, KR_PASSPHRASE_MAX, err)) != KR_OK)
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
	    (ret = kr_keygen_passphrases(kg, src, err)) != KR_OK ||
	    (ret = kr_keygen_make_key(kg, err)) != KR_OK ||
	    (ret = kr_keygen_make_shares(kg, err)) != KR_OK ||
	    (ret = kr_keygen_selfcheck(kg, err)) != KR_OK)
		goto out;
	/* The dealer key is one-time: gone before anything is recorded. */
	kr_dealer_free(&kg->dealer);
	kr_spki_fingerprint(kg->hdr.spki, kg->hdr.spki_len, res->fingerprint);
	kr_hex_encode(res->set_id, kg->hdr.set_id, sizeof(kg->hdr.set_id));
	if ((ret = kr_keygen_record(kg, res, err)) != KR_OK)
		goto out;
	for (i = 0; i < req->n; i++) {
		(void)snprintf(res->share_paths[i], sizeof(res->share_paths[i]),
		    "%s", kg->paths[i]);
		(void)snprintf(res->approval_fp[i], sizeof(res->approval_fp[i]),
		    "%s", kg->approval_fp[i]);
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
