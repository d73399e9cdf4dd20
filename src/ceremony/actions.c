/*
 * The ceremony actions: what each takes, how it is rehearsed (check.c)
 * and run.  A run builds the same request the CLI command builds and
 * calls the same authority function, so a ceremony and the commands
 * typed by hand leave the same records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony_int.h"

#define QUORUM_ARGS							\
	{ "custodians", KR_CA_LIST, false },				\
	{ "share_dir", KR_CA_PATH, true }

static const struct kr_cer_argdef kr_args_keygen[] = {
	{ "name", KR_CA_NAME, true }, { "alg", KR_CA_NAME, true },
	{ "purpose", KR_CA_NAME, true }, { "threshold", KR_CA_UINT, true },
	{ "custodians", KR_CA_LIST, true }, { "share_dir", KR_CA_PATH, true },
	{ "backend", KR_CA_NAME, false }, { "module", KR_CA_PATH, false },
	{ "token", KR_CA_STR, false }, { "uri", KR_CA_STR, false },
	{ "init_token", KR_CA_BOOL, false }, { NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_verify[] = {
	{ "key", KR_CA_NAME, true }, { "each", KR_CA_BOOL, false },
	QUORUM_ARGS, { NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_reshare[] = {
	{ "key", KR_CA_NAME, true }, { "threshold", KR_CA_UINT, true },
	{ "holders", KR_CA_LIST, true }, { "new_share_dir", KR_CA_PATH, true },
	{ "rewrap", KR_CA_BOOL, false }, QUORUM_ARGS, { NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_root[] = {
	{ "key", KR_CA_NAME, true }, { "profile", KR_CA_NAME, true },
	{ "subject", KR_CA_STR, true }, { "days", KR_CA_UINT, false },
	{ "out", KR_CA_PATH, true }, { "der", KR_CA_BOOL, false },
	{ "rsa_pss", KR_CA_BOOL, false },
	{ "accept_warnings", KR_CA_BOOL, false }, QUORUM_ARGS,
	{ NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_issue[] = {
	{ "issuer_key", KR_CA_NAME, true }, { "profile", KR_CA_NAME, true },
	{ "subject", KR_CA_STR, false }, { "csr", KR_CA_PATH, false },
	{ "pubkey", KR_CA_PATH, false }, { "subject_key", KR_CA_NAME, false },
	{ "days", KR_CA_UINT, false }, { "out", KR_CA_PATH, true },
	{ "der", KR_CA_BOOL, false }, { "rsa_pss", KR_CA_BOOL, false },
	{ "accept_warnings", KR_CA_BOOL, false }, QUORUM_ARGS,
	{ NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_cross[] = {
	{ "issuer_key", KR_CA_NAME, true }, { "cert", KR_CA_PATH, true },
	{ "profile", KR_CA_NAME, true }, { "days", KR_CA_UINT, false },
	{ "out", KR_CA_PATH, true }, { "der", KR_CA_BOOL, false },
	{ "accept_warnings", KR_CA_BOOL, false }, QUORUM_ARGS,
	{ NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_revoke[] = {
	{ "issuer_key", KR_CA_NAME, true }, { "serial", KR_CA_NAME, true },
	{ "reason", KR_CA_NAME, false }, { NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_crl[] = {
	{ "issuer_key", KR_CA_NAME, false }, { "due", KR_CA_BOOL, false },
	{ "out", KR_CA_PATH, false }, { "out_dir", KR_CA_PATH, false },
	{ "delta", KR_CA_BOOL, false }, { "pem", KR_CA_BOOL, false },
	{ "next_update_days", KR_CA_UINT, false }, QUORUM_ARGS,
	{ NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_ocsp[] = {
	{ "issuer_key", KR_CA_NAME, true }, { "out_dir", KR_CA_PATH, true },
	{ "valid_days", KR_CA_UINT, false }, QUORUM_ARGS, { NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_batch[] = {
	{ "manifest", KR_CA_PATH, true }, { "out_dir", KR_CA_PATH, false },
	QUORUM_ARGS, { NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_destroy[] = {
	{ "key", KR_CA_NAME, true }, QUORUM_ARGS, { NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_export[] = {
	{ "to", KR_CA_PATH, true }, { "all", KR_CA_BOOL, false },
	{ "key", KR_CA_NAME, false }, { NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_rotate[] = {
	{ "old", KR_CA_NAME, true }, { "new", KR_CA_NAME, true },
	{ "overlap_days", KR_CA_UINT, false }, { "profile", KR_CA_NAME, false },
	{ "new_subject", KR_CA_STR, false }, { "new_days", KR_CA_UINT, false },
	{ "out_dir", KR_CA_PATH, true }, QUORUM_ARGS, { NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_checkpoint[] = {
	{ "observation", KR_CA_STR, true }, { NULL, 0, false }
};
static const struct kr_cer_argdef kr_args_expect[] = {
	{ "key", KR_CA_NAME, false }, { "fingerprint", KR_CA_STR, false },
	{ "file", KR_CA_PATH, false }, { "sha256", KR_CA_STR, false },
	{ NULL, 0, false }
};

/*
 * done_event: the row, tagged with the step, that the step's action
 * commits together with its records; NULL when the step's own
 * "ceremony.step" row is what says it was done (actions of several
 * commits: a batch, every due CRL, each custodian's check).
 */
static const struct kr_cer_action_def kr_cer_actions[] = {
	{ "key.generate", kr_args_keygen, "key.generate",
	    kr_cer_check_keygen, kr_cer_run_keygen },
	{ "quorum.verify", kr_args_verify, NULL,
	    kr_cer_check_verify, kr_cer_run_verify },
	{ "quorum.reshare", kr_args_reshare, "quorum.reshare",
	    kr_cer_check_reshare, kr_cer_run_reshare },
	{ "cert.root", kr_args_root, "cert.root",
	    kr_cer_check_cert, kr_cer_run_cert },
	{ "cert.issue", kr_args_issue, "cert.issue",
	    kr_cer_check_cert, kr_cer_run_cert },
	{ "cert.cross-sign", kr_args_cross, "cert.cross-sign",
	    kr_cer_check_cert, kr_cer_run_cert },
	{ "revoke", kr_args_revoke, "revoke",
	    kr_cer_check_revoke, kr_cer_run_revoke },
	{ "crl.publish", kr_args_crl, NULL,
	    kr_cer_check_crl, kr_cer_run_crl },
	{ "ocsp.presign", kr_args_ocsp, "ocsp.presign",
	    kr_cer_check_ocsp, kr_cer_run_ocsp },
	{ "sign.batch", kr_args_batch, NULL,
	    kr_cer_check_batch, kr_cer_run_batch },
	{ "key.destroy", kr_args_destroy, "key.destroy",
	    kr_cer_check_destroy, kr_cer_run_destroy },
	{ "export", kr_args_export, "export",
	    kr_cer_check_export, kr_cer_run_export },
	{ "rotate.root", kr_args_rotate, "cert.rotate",
	    kr_cer_check_rotate, kr_cer_run_rotate },
	{ "checkpoint", kr_args_checkpoint, "ceremony.checkpoint",
	    kr_cer_check_checkpoint, kr_cer_run_checkpoint },
	{ "expect", kr_args_expect, "ceremony.expect",
	    kr_cer_check_expect, kr_cer_run_expect },
};

#define NACTIONS	(sizeof(kr_cer_actions) / sizeof(kr_cer_actions[0]))

const struct kr_cer_action_def *
kr_cer_action_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NACTIONS; i++)
		if (strcmp(kr_cer_actions[i].name, name) == 0)
			return &kr_cer_actions[i];
	return NULL;
}

const char *
kr_cer_action_list(void)
{
	static char	list[512];
	size_t		i;

	if (list[0] != '\0')
		return list;
	for (i = 0; i < NACTIONS; i++)
		(void)snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", i > 0 ? ", " : "", kr_cer_actions[i].name);
	return list;
}

int
kr_cer_step_err(const struct kr_cer_ctx *c, const struct kr_cer_step *st,
    int ret, struct kr_err *err)
{
	size_t	i = (size_t)(st - c->s->steps);

	(void)kr_err_prefix(err, "step %zu (%s), %s line %u: ", i + 1, st->id,
	    c->s->label, st->line);
	return ret;
}

/*
 * The share files a step presents for `key`: its custodians (or the
 * script's) who hold a share of the key's current set, in that order,
 * at SHARE_DIR/CUSTODIAN/KEY.share.
 */
int
kr_cer_shares(const struct kr_cer_step *st, const char *key,
    const char *(*files)[KR_CUSTODIANS_MAX], char **owned, size_t *n,
    struct kr_err *err)
{
	const struct kr_cer_arg	*who = kr_cer_arg_get(st, "custodians");
	const char		*dir = kr_cer_arg(st, "share_dir");
	char			 rel[KR_SHARE_REL_MAX];
	size_t			 i;
	int			 ret;

	*n = 0;
	if (who == NULL || who->n == 0)
		return kr_err_set(err, KR_EINPUT, "step '%s' names no "
		    "custodians: say which custodians present their shares "
		    "(custodians: [...])", st->id);
	for (i = 0; i < who->n; i++) {
		if ((ret = kr_keygen_share_path(dir, who->list[i], key,
		    &owned[i], rel, sizeof(rel), err)) != KR_OK) {
			kr_cer_shares_free(owned, i);
			return ret;
		}
		(*files)[i] = owned[i];
	}
	*n = who->n;
	return KR_OK;
}

void
kr_cer_shares_free(char **owned, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(owned[i]);
		owned[i] = NULL;
	}
}
