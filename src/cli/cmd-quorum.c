/*
 * keyrite quorum verify: a custodian checks their own share, or a quorum
 * checks that their shares unlock the key.  Also the --key option it
 * shares with audit clock-recover.
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
