/*
 * ceremony check: the rehearsal.  Each step is checked against the state
 * as it will be when it runs: the keys in the records, less those an
 * earlier step destroys, plus those an earlier step makes.  Certificates
 * whose keys exist now are prepared through the authority's dry run
 * exactly as the run will sign them.  Nothing is recorded.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceremony_int.h"

struct kr_cer_key *
kr_cer_key(struct kr_cer_ctx *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nkeys; i++)
		if (strcmp(c->keys[i].name, name) == 0)
			return &c->keys[i];
	return NULL;
}

static int
kr_cer_key_load(const struct kr_key_rec *k, void *arg)
{
	struct kr_cer_ctx	*c = arg;
	struct kr_cer_key	*ck;
	struct kr_custodian_rec	*cust;
	struct kr_set_rec	 set;
	struct kr_err		 e;
	size_t			 i, n = 0;

	if (strcmp(k->state, "active") != 0 || c->nkeys == KR_CER_KEYS_MAX)
		return 0;
	ck = &c->keys[c->nkeys++];
	memset(ck, 0, sizeof(*ck));
	(void)snprintf(ck->name, sizeof(ck->name), "%s", k->name);
	(void)snprintf(ck->purpose, sizeof(ck->purpose), "%s", k->purpose);
	ck->exists = true;
	ck->pkcs11 = strcmp(k->backend, "pkcs11") == 0;
	if (kr_store_set_active(kr_appliance_store(c->app), k->id, &set, &e) !=
	    KR_OK || (cust = calloc(KR_CUSTODIANS_MAX, sizeof(*cust))) == NULL)
		return 0;
	ck->m = set.m;
	if (kr_store_custodians(kr_appliance_store(c->app), set.id, cust,
	    KR_CUSTODIANS_MAX, &n, &e) == KR_OK)
		for (i = 0; i < n && i < KR_CUSTODIANS_MAX; i++)
			(void)snprintf(ck->custodians[ck->n++],
			    sizeof(ck->custodians[0]), "%s", cust[i].name);
	free(cust);
	return 0;
}

static int
kr_cer_cert_mark(const struct kr_cert_rec *r, void *arg)
{
	struct kr_cer_ctx	*c = arg;
	struct kr_key_rec	 k;
	struct kr_cer_key	*ck;
	struct kr_err		 e;

	if (!r->is_ca || !r->has_subject_key || kr_store_key_by_id(
	    kr_appliance_store(c->app), r->subject_key_id, &k, &e) != KR_OK)
		return 0;
	if ((ck = kr_cer_key(c, k.name)) != NULL)
		ck->has_cert = ck->cert_now = true;
	return 0;
}

/* A key the step uses: there (not destroyed), of the purpose wanted. */
int
kr_cer_need_key(struct kr_cer_ctx *c, const char *name, const char *purpose,
    struct kr_cer_key **out, struct kr_err *err)
{
	struct kr_cer_key	*k = kr_cer_key(c, name);

	*out = k;
	if (k == NULL || k->destroyed)
		return kr_err_set(err, KR_EREFUSED, "key '%s' %s", name,
		    k == NULL ? "is not in the records and no earlier step "
		    "makes it" : "is destroyed by an earlier step");
	if (purpose != NULL && strcmp(k->purpose, purpose) != 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has purpose %s; "
		    "this step needs a key of purpose %s", name, k->purpose,
		    purpose);
	return KR_OK;
}

/* The step's custodians hold shares of the key, enough of them, there. */
int
kr_cer_need_quorum(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    const struct kr_cer_key *k, struct kr_err *err)
{
	const struct kr_cer_arg	*who = kr_cer_arg_get(st, "custodians");
	const char		*files[KR_CUSTODIANS_MAX];
	char			*owned[KR_CUSTODIANS_MAX];
	size_t			 i, j, n;
	bool			 pending = false;
	int			 ret = KR_OK;

	if (k->pkcs11 && k->m == 0)
		return KR_OK;		/* the token's own PIN guards it */
	if (who == NULL || who->n < k->m)
		return kr_err_set(err, KR_EREFUSED, "key '%s' needs %u "
		    "custodians and the step names %zu", k->name, k->m,
		    who != NULL ? who->n : 0);
	for (i = 0; i < who->n; i++) {
		for (j = 0; j < k->n; j++)
			if (strcmp(k->custodians[j], who->list[i]) == 0)
				break;
		if (j < k->n)
			continue;
		for (j = 0; j < k->npending; j++)
			if (strcmp(k->pending[j], who->list[i]) == 0)
				break;
		if (j == k->npending)
			return kr_err_set(err, KR_EREFUSED, "'%s' holds no "
			    "share of key '%s'", who->list[i], k->name);
		pending = true;
	}
	if (!k->exists || pending)
		return KR_OK;		/* its shares are dealt by then */
	if ((ret = kr_cer_shares(st, k->name, &files, owned, &n, err)) !=
	    KR_OK)
		return ret;
	for (i = 0; ret == KR_OK && i < n; i++)
		if (access(files[i], R_OK) != 0)
			ret = kr_err_set(err, KR_EREFUSED, "the share of '%s' "
			    "is not at %s (is the medium in?)", who->list[i],
			    files[i]);
	kr_cer_shares_free(owned, n);
	return ret;
}

/* An output: not there yet, in a folder that is. */
int
kr_cer_need_out(const char *path, bool dir, struct kr_err *err)
{
	struct stat	sb;
	char		parent[4096], *slash;

	if (path == NULL)
		return KR_OK;
	if (dir)
		return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    access(path, W_OK) == 0 ? KR_OK : kr_err_set(err,
		    KR_EREFUSED, "output folder %s is missing or not "
		    "writable", path);
	if (lstat(path, &sb) == 0)
		return kr_err_set(err, KR_EEXIST, "%s exists already: keyrite "
		    "never overwrites an output", path);
	(void)snprintf(parent, sizeof(parent), "%s", path);
	if ((slash = strrchr(parent, '/')) == NULL)
		(void)snprintf(parent, sizeof(parent), ".");
	else
		*(slash == parent ? slash + 1 : slash) = '\0';
	return kr_cer_need_out(parent, true, err);
}

int
kr_cer_check_keygen(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	const struct kr_cer_arg	*who = kr_cer_arg_get(st, "custodians");
	const char		*name = kr_cer_arg(st, "name");
	struct kr_cer_key	*k;
	enum kr_key_alg		 alg;
	enum kr_purpose		 pur;
	unsigned		 m = kr_cer_uint(st, "threshold");
	size_t			 i;

	if (kr_key_alg_from_name(kr_cer_arg(st, "alg"), &alg) != KR_OK ||
	    kr_purpose_from_name(kr_cer_arg(st, "purpose"), &pur) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "alg or purpose is not one "
		    "keyrite knows (see `keyrite key generate --help`)");
	if ((k = kr_cer_key(c, name)) != NULL)
		return kr_err_set(err, KR_EEXIST, "key '%s' %s", name,
		    k->exists ? "exists already" : "is made by an earlier step");
	if (m < kr_appliance_policy(c->app)->min_threshold || m > who->n)
		return kr_err_set(err, KR_EREFUSED, "a %u-of-%zu quorum: the "
		    "policy wants at least %u, and at most as many as the "
		    "custodians", m, who->n,
		    kr_appliance_policy(c->app)->min_threshold);
	if (c->nkeys == KR_CER_KEYS_MAX)
		return kr_err_set(err, KR_EREFUSED, "too many keys");
	k = &c->keys[c->nkeys++];
	memset(k, 0, sizeof(*k));
	(void)snprintf(k->name, sizeof(k->name), "%s", name);
	(void)snprintf(k->purpose, sizeof(k->purpose), "%s",
	    kr_purpose_name(pur));
	k->m = m;
	k->made = true;
	for (i = 0; i < who->n; i++)
		(void)snprintf(k->custodians[k->n++], sizeof(k->custodians[0]),
		    "%s", who->list[i]);
	kr_cer_print(c, "  will make key '%s' (%s, purpose %s), %u of %zu: "
	    "%s", name, kr_key_alg_name(alg), k->purpose, m, who->n,
	    kr_cer_arg(st, "share_dir"));
	return kr_cer_need_out(kr_cer_arg(st, "share_dir"), true, err);
}

int
kr_cer_check_verify(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_cer_key	*k;
	int			 ret;

	if ((ret = kr_cer_need_key(c, kr_cer_arg(st, "key"), NULL, &k, err)) !=
	    KR_OK)
		return ret;
	kr_cer_print(c, "  will check shares of '%s'%s", k->name,
	    kr_cer_arg(st, "each") == NULL || kr_cer_bool(st, "each") ?
	    ", each custodian alone" : " together");
	/* Each custodian alone: one is enough. */
	if (kr_cer_arg(st, "each") == NULL || kr_cer_bool(st, "each")) {
		unsigned m = k->m;

		k->m = 1;
		ret = kr_cer_need_quorum(c, st, k, err);
		k->m = m;
		return ret;
	}
	return kr_cer_need_quorum(c, st, k, err);
}

int
kr_cer_check_reshare(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	const struct kr_cer_arg	*h = kr_cer_arg_get(st, "holders");
	struct kr_cer_key	*k;
	unsigned		 m = kr_cer_uint(st, "threshold");
	int			 ret;

	if ((ret = kr_cer_need_key(c, kr_cer_arg(st, "key"), NULL, &k, err)) !=
	    KR_OK || (ret = kr_cer_need_quorum(c, st, k, err)) != KR_OK)
		return ret;
	if (m < kr_appliance_policy(c->app)->min_threshold || m > h->n)
		return kr_err_set(err, KR_EREFUSED, "a %u-of-%zu quorum is not "
		    "allowed", m, h->n);
	k->npending = 0;
	for (size_t i = 0; i < h->n; i++)
		(void)snprintf(k->pending[k->npending++], sizeof(k->pending[0]),
		    "%s", h->list[i]);
	kr_cer_print(c, "  will deal '%s' again, %u of %zu, into %s", k->name,
	    m, h->n, kr_cer_arg(st, "new_share_dir"));
	return kr_cer_need_out(kr_cer_arg(st, "new_share_dir"), true, err);
}

int
kr_cer_check_revoke(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_cer_key	*k;

	int			 ret;

	kr_cer_print(c, "  will revoke %s of '%s'", kr_cer_arg(st, "serial"),
	    kr_cer_arg(st, "issuer_key"));
	if ((ret = kr_cer_need_key(c, kr_cer_arg(st, "issuer_key"), "ca", &k,
	    err)) == KR_OK)
		k->revokes = true;	/* its next CRL lists one more */
	return ret;
}

int
kr_cer_check_ocsp(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_cer_key	*k;
	int			 ret;

	if ((ret = kr_cer_need_key(c, kr_cer_arg(st, "issuer_key"), "ca", &k,
	    err)) != KR_OK || (ret = kr_cer_need_quorum(c, st, k, err)) !=
	    KR_OK)
		return ret;
	kr_cer_print(c, "  will sign OCSP responses for the certificates "
	    "'%s' issued", k->name);
	return kr_cer_need_out(kr_cer_arg(st, "out_dir"), true, err);
}

int
kr_cer_check_destroy(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_cer_key	*k;
	int			 ret;

	if ((ret = kr_cer_need_key(c, kr_cer_arg(st, "key"), NULL, &k, err)) !=
	    KR_OK || (ret = kr_cer_need_quorum(c, st, k, err)) != KR_OK)
		return ret;
	k->destroyed = true;
	kr_cer_print(c, "  will destroy key '%s'", k->name);
	return KR_OK;
}

int
kr_cer_check_export(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_cer_key	*k;
	const char		*key = kr_cer_arg(st, "key");
	int			 ret;

	if (key != NULL && (ret = kr_cer_need_key(c, key, NULL, &k, err)) !=
	    KR_OK)
		return ret;
	kr_cer_print(c, "  will export %s to %s/CEREMONY-ID", kr_cer_bool(st, "all") ?
	    "every public artifact recorded" : key != NULL ? "what the key "
	    "issued and signed" : "the public artifacts of this ceremony",
	    kr_cer_arg(st, "to"));
	return kr_cer_need_out(kr_cer_arg(st, "to"), true, err);
}

int
kr_cer_check_checkpoint(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	kr_cer_print(c, "  %s confirms: %s", c->s->witness,
	    kr_cer_arg(st, "observation"));
	return KR_OK;
}

int
kr_cer_check_expect(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	const char		*key = kr_cer_arg(st, "key");
	struct kr_cer_key	*k;
	int			 ret;

	if ((key == NULL) == (kr_cer_arg(st, "file") == NULL) ||
	    (key != NULL && kr_cer_arg(st, "fingerprint") == NULL) ||
	    (key == NULL && kr_cer_arg(st, "sha256") == NULL))
		return kr_err_set(err, KR_EINPUT, "expect takes a key with its "
		    "fingerprint, or a file with its sha256");
	if (key != NULL && (ret = kr_cer_need_key(c, key, NULL, &k, err)) !=
	    KR_OK)
		return ret;
	if (key != NULL && !k->exists) {
		kr_cer_print(c, "  will compare the fingerprint of '%s' once "
		    "it is made", key);
		return KR_OK;
	}
	/* What is there now can be compared now. */
	return kr_cer_run_expect_compare(c, st, err);
}

static int
kr_cer_check_steps(struct kr_cer_ctx *c, struct kr_err *err)
{
	struct kr_err	 e;
	char		 present[1024];
	size_t		 i;
	int		 ret, first = KR_OK;

	for (i = 0; i < c->s->nsteps; i++) {
		const struct kr_cer_step	*st = &c->s->steps[i];

		kr_cer_present(c, st, present, sizeof(present));
		if (c->io->say != NULL)
			c->io->say(c->io->ctx, st, i, c->s->nsteps, present);
		memset(&e, 0, sizeof(e));
		if ((ret = st->def->check(c, st, &e)) == KR_OK)
			continue;
		(void)kr_cer_step_err(c, st, ret, &e);
		kr_cer_print(c, "  REFUSED: %s", e.msg);
		if (first == KR_OK) {
			first = ret;
			*err = e;
		}
	}
	return first;
}

int
kr_cer_check(struct kr_appliance *app, struct kr_cer_script *s,
    const char *requests_dir, const struct kr_cer_io *io,
    struct kr_err *err)
{
	struct kr_cer_ctx	*c;
	int			 ret;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	c->app = app;
	c->s = s;
	c->io = io;
	c->requests_dir = requests_dir;
	if ((ret = kr_store_key_foreach(kr_appliance_store(app),
	    kr_cer_key_load, c, err)) == KR_OK &&
	    (ret = kr_store_cert_foreach(kr_appliance_store(app),
	    kr_cer_cert_mark, c, err)) == KR_OK &&
	    (ret = kr_cer_need_out(requests_dir, true, err)) == KR_OK)
		ret = kr_cer_check_steps(c, err);
	free(c);
	return ret;
}

/*
 * rotate.root: both roots are CA keys whose quorum the step's custodians
 * hold, each with a root certificate now or from an earlier step, or the
 * new one given new_subject (the rotation makes its certificate; then it
 * must have none); when both keys are in the records, the rotation is
 * prepared as a dry run.
 */
int
kr_cer_check_rotate(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_rotate_req	 req;
	struct kr_rotate_result	 res;
	struct kr_cer_key	*k[2];
	int			 i, ret;

	kr_cer_rotate_req(c, st, &req);
	for (i = 0; i < 2; i++) {
		if ((ret = kr_cer_need_key(c, i == 0 ? req.old_key :
		    req.new_key, "ca", &k[i], err)) != KR_OK ||
		    (ret = kr_cer_need_quorum(c, st, k[i], err)) != KR_OK)
			return ret;
		if (i == 1 && req.new_subject != NULL && k[i]->has_cert)
			return kr_err_set(err, KR_EREFUSED, "key '%s' has a "
			    "root certificate now or from an earlier step: "
			    "drop new_subject, or the cert.root step",
			    k[i]->name);
		if (!k[i]->has_cert && (i == 0 || req.new_subject == NULL))
			return kr_err_set(err, KR_EREFUSED, "key '%s' has no "
			    "root certificate now and no earlier step makes "
			    "one (cert.root%s)", k[i]->name, i == 1 ?
			    ", or new_subject in this step" : "");
	}
	if ((ret = kr_cer_need_out(req.out_dir, true, err)) != KR_OK)
		return ret;
	if (!k[0]->exists || !k[0]->cert_now || !k[1]->exists ||
	    (!k[1]->cert_now && req.new_subject == NULL)) {
		kr_cer_print(c, "  will be prepared when it runs: a root or its "
		    "certificate is made by an earlier step");
		return KR_OK;
	}
	req.dry_run = true;
	ret = kr_authority_rotate_root(c->app, &req, c->io->src, &res, err);
	kr_rotate_result_free(&res);
	return ret;
}
