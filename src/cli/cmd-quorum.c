/*
 * keyrite quorum verify: a custodian checks their own share, or a quorum
 * checks that their shares unlock the key.  Also the --key option it
 * shares with audit clock-recover.  keyrite quorum reshare: a quorum of
 * the current shares deals a new share set for the key.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const struct cmd_opt cmd_key_options[] = {
	CMD_ROW_STR("key", struct cmd_key_opts, key),
	CMD_ROW_END
};

int
cmd_key_quorum_check(struct cmd_ctx *ctx, const struct cmd_key_opts *o)
{
	if (o->key == NULL || ctx->q.n == 0)
		return cmd_usage_error(ctx, "--key and the --share of each "
		    "custodian present are required");
	return KR_OK;
}

/* A reshare's pending set: how far its holders' checks have come. */
static void
cmd_quorum_pending_note(struct cmd_ctx *ctx, const char *key,
    const struct kr_quorum_report *rep)
{
	if (!rep->pending)
		cmd_printf(ctx, "share set epoch %u (current).\n", rep->epoch);
	else if (rep->activated)
		cmd_printf(ctx, "share set epoch %u is now current: %u of its "
		    "holders have checked their shares. Epoch %u is retired: "
		    "its shares no longer unlock key '%s'; they can be "
		    "destroyed.\n", rep->epoch, rep->checked,
		    rep->retired_epoch, key);
	else
		cmd_printf(ctx, "share set epoch %u is pending: %u of the %u "
		    "holders needed have checked their shares. It becomes "
		    "current when %u more %s checked; until then the current "
		    "shares unlock key '%s'.\n", rep->epoch, rep->checked,
		    rep->m, rep->m - rep->checked, rep->m - rep->checked == 1 ?
		    "has" : "have", key);
}

static int
cmd_quorum_verify_exec(struct cmd_ctx *ctx, void *opts, int argc,
    char **argv)
{
	const struct cmd_key_opts	*o = opts;
	struct kr_quorum_report		*rep = NULL;
	int				 ret;

	if ((ret = cmd_key_quorum_check(ctx, o)) != KR_OK)
		return ret;
	ret = kr_authority_quorum_verify(ctx->app, o->key, ctx->q.shares,
	    ctx->q.n, &ctx->src, &rep, &ctx->err);
	cmd_quorum_table_fp(ctx, rep);
	if (ret == KR_OK && ctx->q.n == 1)
		cmd_printf(ctx, "The share of custodian '%s' is good: it "
		    "opens with this passphrase and was dealt for this key.\n",
		    rep->shares[0].custodian);
	else if (ret == KR_OK)
		cmd_printf(ctx, "Quorum met: %zu good shares unlock key '%s'.\n",
		    rep->good, o->key);
	if (ret == KR_OK)
		cmd_quorum_pending_note(ctx, o->key, rep);
	cmd_note_kdf_profile(ctx);
	kr_quorum_report_free(&rep);
	return ret;
}

const struct cmd_entry cmd_quorum_verify_entry = {
	.name = "quorum verify",
	.usage = "--key NAME --share FILE [--share FILE ...] "
	    "[--passphrase-fd N]",
	.summary = "check one custodian's share, or that shares unlock a key",
	.help =
	    "  --key NAME         the key whose shares are checked\n"
	    "  --share FILE       a custodian's share file (once per custodian\n"
	    "                     present); with one, it is checked alone\n"
	    "  --passphrase-fd N  read one passphrase line per --share, in order,\n"
	    "                     from descriptor N instead of the terminal\n"
	    "\nExit status: 0 good (and, with two or more shares, unlocked);\n"
	    "1 refused or fewer than M good shares; 2 usage or input error.\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM | CMD_NOARGS,
	.opts = cmd_key_options,
	.opts_size = sizeof(struct cmd_key_opts),
	.exec = cmd_quorum_verify_exec,
};

struct cmd_reshare_opts {
	struct kr_reshare_req	 req;
	const char		*custodians[KR_CUSTODIANS_MAX];
	bool			 new_secret;
};

static int
cmd_reshare_opt_custodian(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct cmd_reshare_opts	*a = opts;

	return cmd_custodian_add(ctx, a->custodians, &a->req.n, arg);
}

static const struct cmd_opt cmd_reshare_options[] = {
	CMD_ROW_STR("key", struct cmd_reshare_opts, req.key),
	CMD_ROW_UINT("threshold", struct cmd_reshare_opts, req.m, 1, 255),
	CMD_ROW_CALL_MANY("custodian", cmd_reshare_opt_custodian),
	CMD_ROW_STR("share-dir", struct cmd_reshare_opts, req.share_dir),
	CMD_ROW_FLAG("new-secret", struct cmd_reshare_opts, new_secret),
	CMD_ROW_END
};

static void
cmd_reshare_report(struct cmd_ctx *ctx, const struct cmd_reshare_opts *a,
    const struct kr_reshare_result *res)
{
	cmd_printf(ctx, "Reshared key '%s': new share set %s, epoch %u, "
	    "%u-of-%zu (audit entry %lld).\n", a->req.key, res->set_id,
	    res->epoch, res->m, res->shares, (long long)res->audit_seq);
	if (res->abandoned_epoch != 0)
		cmd_printf(ctx, "The earlier pending set (epoch %u) was "
		    "replaced: its shares will never count.\n",
		    res->abandoned_epoch);
	cmd_share_lines(ctx, a->custodians, res->share_paths,
	    res->approval_fp, res->shares);
	if (a->req.new_secret)
		cmd_printf(ctx, "The key was re-wrapped under a fresh quorum "
		    "secret for epoch %u; it replaces the key's file when the "
		    "new set becomes current.\n", res->epoch);
	cmd_printf(ctx, "The new set is pending: epoch %u stays current until "
	    "%u of the new holders have checked their shares with\n"
	    "  keyrite quorum verify --key %s --share FILE\n"
	    "Then epoch %u becomes current and epoch %u is retired.\n",
	    res->from_epoch, res->m, a->req.key, res->epoch, res->from_epoch);
}

static int
cmd_quorum_reshare_exec(struct cmd_ctx *ctx, void *opts, int argc,
    char **argv)
{
	struct kr_notice_sink		 sink = { cmd_notice, NULL };
	struct cmd_reshare_opts		*a = opts;
	struct kr_reshare_result	*res;
	int				 ret;

	(void)argc;
	(void)argv;
	if (a->req.key == NULL || a->req.m == 0 || a->req.n == 0 ||
	    a->req.share_dir == NULL || ctx->q.n == 0)
		return cmd_usage_error(ctx, "--key, --threshold, --custodian "
		    "(once per new holder), --share-dir and the --share of each "
		    "current custodian present are all required");
	a->req.custodians = a->custodians;
	a->req.actor = ctx->actor;
	a->req.new_secret = a->new_secret;
	a->req.shares = ctx->q.shares;
	a->req.nshares = ctx->q.n;
	ctx->q.pass.min_len =
	    kr_appliance_policy(ctx->app)->min_passphrase_length;
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	ret = kr_authority_quorum_reshare(ctx->app, &a->req, &ctx->src, &sink,
	    res, &ctx->err);
	cmd_quorum_table(ctx, res->quorum);
	if (ret == KR_OK)
		cmd_reshare_report(ctx, a, res);
	cmd_note_kdf_profile(ctx);
	kr_reshare_result_free(res);
	free(res);
	return ret;
}

const struct cmd_entry cmd_quorum_reshare_entry = {
	.name = "quorum reshare",
	.usage = "--key NAME --threshold M --custodian NAME... --share-dir DIR "
	    "--share FILE... [--passphrase-fd N] [--new-secret] [--yes]",
	.summary = "deal a key's quorum secret to a new set of custodians",
	.help =
	    "  --key NAME         the key whose shares are dealt anew\n"
	    "  --threshold M      new holders needed to use the key (>= 2)\n"
	    "  --custodian NAME   once per new holder (n times, n >= M)\n"
	    "  --share-dir DIR    where DIR/CUSTODIAN/KEY.share is written per\n"
	    "                     new holder\n"
	    "  --share FILE       a current custodian's share file (once per\n"
	    "                     custodian present; a quorum approves)\n"
	    "  --passphrase-fd N  read the passphrases from descriptor N: one\n"
	    "                     line per --share, then one per --custodian\n"
	    "  --new-secret       re-wrap the key under a fresh quorum secret:\n"
	    "                     once the new set is current, the old shares\n"
	    "                     cannot open the key even together\n"
	    "\nThe new set is pending until M of its holders have run quorum\n"
	    "verify with their new shares; then it becomes current and the old\n"
	    "epoch is retired (its shares are refused).\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM | CMD_NOARGS,
	.opts = cmd_reshare_options,
	.opts_size = sizeof(struct cmd_reshare_opts),
	.exec = cmd_quorum_reshare_exec,
};
