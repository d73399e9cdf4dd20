/*
 * keyrite ocsp presign
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cmd_opt cmd_ocsp_options[] = {
	CMD_ROW_STR("issuer-key", struct kr_ocsp_req, issuer_key),
	CMD_ROW_STR("out-dir", struct kr_ocsp_req, out_dir),
	CMD_ROW_UINT("valid-days", struct kr_ocsp_req, valid_days, 1, 366),
	CMD_ROW_END
};

static int
cmd_ocsp_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct kr_notice_sink	 sink = { cmd_notice, NULL };
	struct kr_ocsp_req	*req = opts;
	struct kr_ocsp_result	 res;
	int			 ret;

	if (argc != 0 || req->issuer_key == NULL || req->out_dir == NULL)
		return cmd_usage_error(ctx, "--issuer-key and --out-dir are "
		    "required");
	req->shares = ctx->q.shares;
	req->nshares = ctx->q.n;
	req->actor = ctx->actor;
	ret = kr_authority_ocsp_presign(ctx->app, req, &ctx->src, &sink, &res,
	    &ctx->err);
	cmd_quorum_table(ctx, res.quorum);
	if (ret == KR_OK)
		cmd_printf(ctx, "Pre-signed %zu OCSP responses for the CA "
		    "certificates '%s' issued (%zu good, %zu revoked), valid "
		    "until %s, in %s/SERIAL.ocsp (audit entry %lld).\n",
		    res.good + res.revoked, req->issuer_key, res.good,
		    res.revoked, res.next_update, req->out_dir,
		    (long long)res.audit_seq);
	kr_ocsp_result_free(&res);
	return ret;
}

const struct cmd_entry cmd_ocsp_presign_entry = {
	.name = "ocsp presign",
	.usage = "--issuer-key NAME --out-dir DIR [--valid-days N] "
	    "--share FILE... [--passphrase-fd N] [--yes]",
	.summary = "pre-sign OCSP responses for the CA certificates a key issued",
	.help = "  --issuer-key NAME  the CA key (it is also the responder)\n"
	    "  --out-dir DIR      an existing folder; one SERIAL.ocsp (DER) each\n"
	    "  --valid-days N     nextUpdate (default 7)\n"
	    "  --share FILE       a custodian's share, once per custodian\n"
	    "  --passphrase-fd N  one passphrase line per --share, in order\n"
	    "  --yes              do not ask `Proceed? [y/N]` at a terminal\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM,
	.opts = cmd_ocsp_options,
	.opts_size = sizeof(struct kr_ocsp_req),
	.exec = cmd_ocsp_exec,
};
