/*
 * keyrite crl publish | crl show
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
cmd_crl_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "issuer-key", required_argument, NULL, 'k' },
		{ "out", required_argument, NULL, 'o' },
		{ "next-update-days", required_argument, NULL, 'n' },
		{ "delta", no_argument, NULL, 'd' },
		{ "previous", required_argument, NULL, 'p' },
		{ "pem", no_argument, NULL, 'P' },
		{ "share", required_argument, NULL, 'S' },
		{ "passphrase-fd", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	struct kr_passphrase_source	 src;
	struct kr_notice_sink		 sink = { cmd_notice, NULL };
	struct cmd_quorum		 q;
	struct kr_crl_result		*res;
	struct kr_crl_req		 req;
	int				 c, ret = KR_OK;

	memset(&req, 0, sizeof(req));
	cmd_quorum_init(&q, &src);
	optind = 0;
	while (ret == KR_OK && (c = getopt_long(argc, argv, CMD_OPTSTRING,
	    opts, NULL)) != -1) {
		switch (c) {
		case 'k': req.issuer_key = optarg; break;
		case 'o': req.out_path = optarg; break;
		case 'd': req.delta = true; break;
		case 'p': req.previous_path = optarg; break;
		case 'P': req.pem = true; break;
		case 'n':
			ret = cmd_parse_uint(ctx, "--next-update-days", optarg,
			    1, 3660, &req.next_update_days);
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
	if (optind != argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[optind]);
	if (req.issuer_key == NULL || req.out_path == NULL)
		return cmd_usage_error(ctx, "--issuer-key and --out are "
		    "required");
	req.shares = q.shares;
	req.nshares = q.n;
	req.actor = ctx->actor;
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	ret = kr_authority_crl_publish(ctx->app, &req, &src, &sink, res,
	    &ctx->err);
	if (ret == KR_OK) {
		cmd_printf(ctx, "Published %sCRL number %lld of '%s': %zu "
		    "entries (%zu new), thisUpdate %s, nextUpdate %s.\n",
		    req.delta ? "delta " : "", (long long)res->number,
		    req.issuer_key, res->entries, res->new_entries,
		    res->this_update, res->next_update);
		cmd_printf(ctx, "CRL SHA-256: %s (%zu bytes), written to %s "
		    "(audit entry %lld).\n", res->sha256, res->der_len,
		    req.out_path, (long long)res->audit_seq);
		cmd_note_kdf_profile(ctx);
	}
	free(res);
	return ret;
}

const struct cmd_entry cmd_crl_publish_entry = {
	.name = "crl publish",
	.usage = "--issuer-key NAME --out FILE [--next-update-days N] [--delta] "
	    "[--previous FILE] [--pem] --share FILE... [--passphrase-fd N]",
	.summary = "publish the next CRL of a CA key (quorum of its custodians)",
	.help = "  --issuer-key NAME      the CA key whose CRL this is\n"
	    "  --out FILE             where the CRL is written (DER; --pem)\n"
	    "  --next-update-days N   instead of policy/crl.yaml's value\n"
	    "  --delta                a delta CRL against the last base CRL\n"
	    "  --previous FILE        the last CRL made elsewhere (e.g. by\n"
	    "                         `openssl ca`): its signature, issuer and\n"
	    "                         number are checked and every serial it\n"
	    "                         lists must still be listed\n"
	    "  --share FILE           a custodian's share, once per custodian\n"
	    "  --passphrase-fd N      one passphrase line per --share, in order\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS,
	.exec = cmd_crl_exec,
};

static void
cmd_crl_show_rec(struct cmd_ctx *ctx, const char *issuer,
    const struct kr_crl_rec *c)
{
	char	a[KR_TIME_STR_BYTES], b[KR_TIME_STR_BYTES];
	char	made[KR_TIME_STR_BYTES];

	kr_time_format(c->this_update, a);
	kr_time_format(c->next_update, b);
	kr_time_format(c->created, made);
	cmd_printf(ctx, "issuer key:  %s\nnumber:      %lld\n", issuer,
	    (long long)c->number);
	if (c->is_delta)
		cmd_printf(ctx, "kind:        delta CRL of base %lld\n",
		    (long long)c->base_number);
	else
		cmd_printf(ctx, "kind:        base CRL\n");
	cmd_printf(ctx, "thisUpdate:  %s\nnextUpdate:  %s\nentries:     %lld\n"
	    "SHA-256:     %s\nrecorded:    %s, copy %s\n", a, b,
	    (long long)c->entries, c->sha256, made, c->location);
}

static int
cmd_crl_show_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "pem", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	struct kr_store		*st = kr_appliance_store(ctx->app);
	struct kr_key_rec	 k;
	struct kr_crl_rec	 c;
	const char		*out = NULL;
	unsigned		 number;
	bool			 pem = false;
	int			 ch, ret;

	optind = 0;
	while ((ch = getopt_long(argc, argv, CMD_OPTSTRING, opts, NULL)) != -1) {
		if (ch == 'o')
			out = optarg;
		else if (ch == 'P')
			pem = true;
		else
			return cmd_bad_option(ctx, ch, argv);
	}
	if (optind + 2 != argc)
		return cmd_usage_error(ctx, "give the issuer key and the CRL "
		    "number");
	if (pem && out == NULL)
		return cmd_usage_error(ctx, "--pem goes with --out FILE");
	if ((ret = cmd_parse_uint(ctx, "the CRL number", argv[optind + 1], 1,
	    0x7fffffffU, &number)) != KR_OK ||
	    (ret = kr_store_key_get(st, argv[optind], &k, &ctx->err)) != KR_OK)
		return ret;
	ret = kr_store_crl_get(st, k.id, number, &c, &ctx->err);
	if (ret == KR_ENOENT)
		return kr_err_set(&ctx->err, KR_ENOENT, "no CRL number %u of "
		    "'%s' is recorded", number, k.name);
	if (ret != KR_OK)
		return ret;
	cmd_crl_show_rec(ctx, k.name, &c);
	if (out == NULL)
		return KR_OK;
	if ((ret = kr_authority_crl_release(ctx->app, k.name, number, out, pem,
	    &ctx->err)) == KR_OK)
		cmd_printf(ctx, "Wrote CRL %u of '%s' (%s; the recorded copy's "
		    "SHA-256 checked) to %s.\n", number, k.name, pem ? "PEM" :
		    "DER", out);
	return ret;
}

const struct cmd_entry cmd_crl_show_entry = {
	.name = "crl show",
	.usage = "ISSUER NUMBER [--out FILE [--pem]]",
	.summary = "show a published CRL (and write it again from its copy)",
	.help = "  ISSUER NUMBER  the CA key and the CRL number\n"
	    "  --out FILE     write the recorded copy (state folder crls/) to\n"
	    "                 FILE after checking its SHA-256 against the\n"
	    "                 record; FILE is checked as every output is\n"
	    "  --pem          with --out: PEM instead of DER\n",
	.flags = CMD_STATE,
	.exec = cmd_crl_show_exec,
};
