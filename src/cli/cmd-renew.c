/*
 * keyrite cert renew
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cmd_opt cmd_renew_options[] = {
	CMD_ROW_STR("issuer-key", struct kr_renew_req, issuer_key),
	CMD_ROW_UINT("days", struct kr_renew_req, days, 1, 36500),
	CMD_ROW_STR("out", struct kr_renew_req, out_path),
	CMD_ROW_FLAG("der", struct kr_renew_req, der),
	CMD_ROW_FLAG("accept-warnings", struct kr_renew_req, accept_warnings),
	CMD_ROW_END
};

static int
cmd_renew_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct kr_renew_req	*req = opts;
	struct kr_issue_result	 res;
	int			 ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "give the serial of the certificate "
		    "to renew");
	if (req->out_path == NULL)
		return cmd_usage_error(ctx, "--out FILE is required");
	req->serial = argv[0];
	req->shares = ctx->q.shares;
	req->nshares = ctx->q.n;
	req->actor = ctx->actor;
	ret = kr_authority_renew(ctx->app, req, &ctx->src, &res, &ctx->err);
	cmd_quorum_table(ctx, res.quorum);
	if (ret == KR_OK && res.signed_ok)
		cmd_printf(ctx, "subject:     %s\nserial:      %s (renews %s)\n"
		    "validity:    %s to %s\nkey SHA-256: %s (the same key)\n"
		    "cert SHA-256: %s\nWritten to %s (audit entry %lld).\n",
		    res.subject, res.serial, argv[0], res.not_before,
		    res.not_after, res.spki_sha256, res.cert_sha256,
		    req->out_path, (long long)res.audit_seq);
	cmd_note_kdf_profile(ctx);
	kr_issue_result_free(&res);
	return ret;
}

const struct cmd_entry cmd_cert_renew_entry = {
	.name = "cert renew",
	.usage = "SERIAL [--issuer-key NAME] [--days N] --out FILE [--der] "
	    "[--accept-warnings] --share FILE... [--passphrase-fd N] [--yes]",
	.summary = "reissue a device certificate for the same key, before it "
	    "expires",
	.help = "  SERIAL             the certificate to renew (hex, as openssl "
	    "prints it)\n"
	    "  --issuer-key NAME  when two issuers used that serial; or the\n"
	    "                     successor of the retired issuing CA that\n"
	    "                     made it, to renew it under that key\n"
	    "                     instead (docs/rotation.md)\n"
	    "  --days N           validity (default: the profile's; at most "
	    "its max_days)\n"
	    "  --out FILE         where the new certificate is written (PEM; "
	    "--der)\n"
	    "  --accept-warnings  sign despite lint warnings (shown first)\n"
	    "  --share FILE       a custodian's share of the issuing key, once "
	    "per custodian\n"
	    "  --passphrase-fd N  one passphrase line per --share, in order\n"
	    "  --yes              do not ask `Proceed? [y/N]` at a terminal\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM,
	.opts = cmd_renew_options,
	.opts_size = sizeof(struct kr_renew_req),
	.exec = cmd_renew_exec,
};
