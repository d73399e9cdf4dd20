/*
 * keyrite policy show, policy update: the policy files in force and how
 * they change (docs/operations.md).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
cmd_policy_show_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct kr_policy_info	*pi;
	char			 when[KR_TIME_STR_BYTES], hex[65];
	size_t			 i;
	int			 ret;

	if ((pi = calloc(1, sizeof(*pi))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	if ((ret = kr_authority_policy_show(ctx->app, pi, &ctx->err)) ==
	    KR_OK) {
		kr_time_format(pi->pin_time, when);
		cmd_printf(ctx, "Policy in force: %zu files in %s/policy, "
		    "pinned by audit row %lld (%s, %s).\n", pi->n,
		    ctx->statedir, (long long)pi->pin_seq, pi->pin_event,
		    when);
		for (i = 0; i < pi->n; i++) {
			kr_hex_encode(hex, pi->file[i].sha256, 32);
			cmd_printf(ctx, "%-24s %-32s SHA-256 %s\n",
			    pi->file[i].name, pi->file[i].what, hex);
		}
	}
	free(pi);
	return ret;
}

const struct cmd_entry cmd_policy_show_entry = {
	.name = "policy show",
	.usage = "",
	.summary = "show the policy files in force and their SHA-256",
	.help = "Each file of the state folder's policy copy, what it is, and "
	    "its SHA-256, with\nthe audit row that pins them (init or the "
	    "newest policy update).\n",
	/* A writer: it finishes an update that stopped half-way. */
	.flags = CMD_STATE | CMD_WRITES | CMD_NOARGS,
	.exec = cmd_policy_show_exec,
};

struct cmd_policy_update_opts {
	const char	*key;
	const char	*from;
	bool		 dry_run;
};

static const struct cmd_opt cmd_policy_update_options[] = {
	CMD_ROW_STR("key", struct cmd_policy_update_opts, key),
	CMD_ROW_STR("from", struct cmd_policy_update_opts, from),
	CMD_ROW_FLAG("dry-run", struct cmd_policy_update_opts, dry_run),
	CMD_ROW_END
};

static int
cmd_policy_update_exec(struct cmd_ctx *ctx, void *opts, int argc,
    char **argv)
{
	const struct cmd_policy_update_opts	*o = opts;
	struct kr_policy_update_req		 req;
	struct kr_policy_update_result		 res;
	int					 ret;

	/* The shares: the authority says which the key needs (it may have
	 * no custodian quorum at all). */
	if (o->from == NULL || o->key == NULL)
		return cmd_usage_error(ctx, "--from DIR and --key NAME are "
		    "required, and the --share of each custodian present "
		    "(not with --dry-run)");
	memset(&req, 0, sizeof(req));
	req.from = o->from;
	req.key = o->key;
	req.shares = ctx->q.shares;
	req.nshares = ctx->q.n;
	req.dry_run = o->dry_run;
	req.actor = ctx->actor;
	ret = kr_authority_policy_update(ctx->app, &req, &ctx->src, &res,
	    &ctx->err);
	cmd_quorum_table(ctx, res.quorum);
	kr_quorum_report_free(&res.quorum);
	if (ret != KR_OK)
		return ret;
	if (o->dry_run)
		cmd_printf(ctx, "Dry run: %zu file%s would change; nothing was "
		    "recorded.\n", res.changed, res.changed == 1 ? "" : "s");
	else
		cmd_printf(ctx, "Policy updated: %zu file%s changed, recorded "
		    "in audit row %lld with the old and new SHA-256 of each; "
		    "approved by %s.\n", res.changed, res.changed == 1 ? "" :
		    "s", (long long)res.audit_seq, res.approvers);
	return KR_OK;
}

const struct cmd_entry cmd_policy_update_entry = {
	.name = "policy update",
	.usage = "--from DIR --key NAME --share FILE ... [--passphrase-fd N] "
	    "[--dry-run]",
	.summary = "adopt new policy files under a quorum of a CA key",
	.help = "The NAME.yaml files of DIR replace or add to the policy in "
	    "force. Each is checked\nwith the parsers init uses; what changes "
	    "is shown key by key, file by file,\nbefore any passphrase is "
	    "asked; the custodians of the CA key approve, and the\nold and "
	    "new SHA-256 of each file are recorded in the audit chain. "
	    "Certificates\nissued before keep the profile SHA-256 recorded "
	    "with them.\n"
	    "  --from DIR         the folder of new policy files\n"
	    "  --key NAME         an active CA key, whose quorum approves\n"
	    "  --share FILE       once per custodian present\n"
	    "  --passphrase-fd N  read the passphrases from descriptor N, "
	    "one per line\n"
	    "  --dry-run          show the differences, ask nothing, "
	    "record nothing\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM | CMD_NOARGS,
	.opts = cmd_policy_update_options,
	.opts_size = sizeof(struct cmd_policy_update_opts),
	.exec = cmd_policy_update_exec,
};
