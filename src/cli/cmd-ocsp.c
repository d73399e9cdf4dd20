/*
 * keyrite ocsp presign
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
cmd_ocsp_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "issuer-key", required_argument, NULL, 'k' },
		{ "out-dir", required_argument, NULL, 'o' },
		{ "valid-days", required_argument, NULL, 'v' },
		{ "share", required_argument, NULL, 'S' },
		{ "passphrase-fd", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	struct kr_passphrase_source	 src;
	struct kr_notice_sink		 sink = { cmd_notice, NULL };
	struct cmd_quorum		 q;
	struct kr_ocsp_result		*res;
	struct kr_ocsp_req		 req;
	int				 c, ret = KR_OK;

	memset(&req, 0, sizeof(req));
	cmd_quorum_init(&q, &src);
	optind = 0;
	while (ret == KR_OK && (c = getopt_long(argc, argv, CMD_OPTSTRING,
	    opts, NULL)) != -1) {
		switch (c) {
		case 'k': req.issuer_key = optarg; break;
		case 'o': req.out_dir = optarg; break;
		case 'v':
			ret = cmd_parse_uint(ctx, "--valid-days", optarg, 1, 366,
			    &req.valid_days);
			break;
		case 'S':
			ret = cmd_quorum_share(ctx, &q, optarg);
			break;
		case 'F':
			ret = cmd_pass_set_fd(ctx, &q.pass, optarg);
			break;
		default:
			return cmd_bad_option(ctx, c, argv);
		}
	}
	if (ret != KR_OK)
		return ret;
	if (optind != argc || req.issuer_key == NULL || req.out_dir == NULL)
		return cmd_usage_error(ctx, "--issuer-key and --out-dir are "
		    "required");
	req.shares = q.shares;
	req.nshares = q.n;
	req.actor = ctx->actor;
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	ret = kr_authority_ocsp_presign(ctx->app, &req, &src, &sink, res,
	    &ctx->err);
	if (ret == KR_OK)
		cmd_printf(ctx, "Pre-signed %zu OCSP responses for the CA "
		    "certificates '%s' issued (%zu good, %zu revoked), valid "
		    "until %s, in %s/SERIAL.ocsp (audit entry %lld).\n",
		    res->good + res->revoked, req.issuer_key, res->good,
		    res->revoked, res->next_update, req.out_dir,
		    (long long)res->audit_seq);
	free(res);
	return ret;
}

const struct cmd_entry cmd_ocsp_presign_entry = {
	.name = "ocsp presign",
	.usage = "--issuer-key NAME --out-dir DIR [--valid-days N] "
	    "--share FILE... [--passphrase-fd N]",
	.summary = "pre-sign OCSP responses for the CA certificates a key issued",
	.help = "  --issuer-key NAME  the CA key (it is also the responder)\n"
	    "  --out-dir DIR      an existing folder; one SERIAL.ocsp (DER) each\n"
	    "  --valid-days N     nextUpdate (default 7)\n"
	    "  --share FILE       a custodian's share, once per custodian\n"
	    "  --passphrase-fd N  one passphrase line per --share, in order\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS,
	.exec = cmd_ocsp_exec,
};
