/*
 * keyrite crl publish | crl show
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cmd_opt cmd_crl_options[] = {
	CMD_ROW_STR("issuer-key", struct kr_crl_req, issuer_key),
	CMD_ROW_STR("out", struct kr_crl_req, out_path),
	CMD_ROW_UINT("next-update-days", struct kr_crl_req, next_update_days,
	    1, 3660),
	CMD_ROW_FLAG("delta", struct kr_crl_req, delta),
	CMD_ROW_STR("previous", struct kr_crl_req, previous_path),
	CMD_ROW_FLAG("pem", struct kr_crl_req, pem),
	CMD_ROW_FLAG("dry-run", struct kr_crl_req, dry_run),
	CMD_ROW_STR("save-request", struct kr_crl_req, save_request),
	CMD_ROW_STR("request", struct kr_crl_req, request),
	CMD_ROW_END
};

/* --request FILE holds the issuer, the kind, the number and the times. */
static int
cmd_crl_check(struct cmd_ctx *ctx, const struct kr_crl_req *req)
{
	if (req->request != NULL && (req->issuer_key != NULL || req->delta ||
	    req->next_update_days != 0 || req->previous_path != NULL ||
	    req->save_request != NULL))
		return cmd_usage_error(ctx, "--request FILE holds the issuer "
		    "key, kind, number and times: give only --out, --pem, "
		    "--dry-run and the quorum with it");
	if (req->request == NULL && req->issuer_key == NULL)
		return cmd_usage_error(ctx, "--issuer-key NAME is required");
	if (!req->dry_run && req->out_path == NULL)
		return cmd_usage_error(ctx, "--out FILE is required (or "
		    "--dry-run)");
	if (req->save_request != NULL && !req->dry_run)
		return cmd_usage_error(ctx, "--save-request FILE goes with "
		    "--dry-run");
	return KR_OK;
}

static void
cmd_crl_result(struct cmd_ctx *ctx, const struct kr_crl_req *req,
    const struct kr_crl_result *res)
{
	cmd_printf(ctx, "%s %sCRL number %lld: %zu entries (%zu new), "
	    "thisUpdate %s, nextUpdate %s.\nTBS SHA-256: %s\n", req->dry_run ?
	    "Prepared" : "Published", req->delta ? "delta " : "",
	    (long long)res->number, res->entries, res->new_entries,
	    res->this_update, res->next_update, res->tbs_sha256);
	if (req->dry_run && res->saved)
		cmd_printf(ctx, "Dry run: nothing was signed or recorded. The "
		    "prepared request is in %s: `keyrite crl publish --request "
		    "%s --out FILE --share FILE...` signs exactly this CRL, "
		    "while the revocation records stay as they are.\n",
		    req->save_request, req->save_request);
	else if (req->dry_run)
		cmd_printf(ctx, "Dry run: nothing was signed or recorded.\n");
	else
		cmd_printf(ctx, "CRL SHA-256: %s (%zu bytes), written to %s "
		    "(audit entry %lld).\n", res->sha256, res->der_len,
		    req->out_path, (long long)res->audit_seq);
}

static int
cmd_crl_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct kr_notice_sink	 sink = { cmd_notice, NULL };
	struct kr_crl_req	*req = opts;
	struct kr_crl_result	 res;
	int			 ret;

	if ((ret = cmd_crl_check(ctx, req)) != KR_OK)
		return ret;
	req->shares = ctx->q.shares;
	req->nshares = ctx->q.n;
	req->actor = ctx->actor;
	ret = kr_authority_crl_publish(ctx->app, req, &ctx->src, &sink, &res,
	    &ctx->err);
	cmd_quorum_table(ctx, res.quorum);
	if (ret == KR_OK) {
		cmd_crl_result(ctx, req, &res);
		cmd_note_kdf_profile(ctx);
	}
	kr_crl_result_free(&res);
	return ret;
}

const struct cmd_entry cmd_crl_publish_entry = {
	.name = "crl publish",
	.usage = "--issuer-key NAME --out FILE [--next-update-days N] [--delta] "
	    "[--previous FILE] [--pem] --share FILE... [--passphrase-fd N] [--yes]"
	    " | --issuer-key NAME --dry-run [--save-request FILE] | "
	    "--request FILE --out FILE --share FILE...",
	.summary = "publish the next CRL of a CA key (quorum of its custodians)",
	.help = "  --issuer-key NAME      the CA key whose CRL this is\n"
	    "  --out FILE             where the CRL is written (DER; --pem)\n"
	    "  --next-update-days N   instead of policy/crl.yaml's value\n"
	    "  --delta                a delta CRL against the last base CRL\n"
	    "  --previous FILE        the last CRL made elsewhere (e.g. by\n"
	    "                         `openssl ca`): its signature, issuer and\n"
	    "                         number are checked and every serial it\n"
	    "                         lists must still be listed\n"
	    "  --dry-run              build and show the CRL, sign nothing\n"
	    "  --save-request FILE    with --dry-run: keep what was prepared\n"
	    "                         (number, times, TBS SHA-256)\n"
	    "  --request FILE         sign exactly the CRL a dry run prepared\n"
	    "                         (refused if the records changed since)\n"
	    "  --share FILE           a custodian's share, once per custodian\n"
	    "  --passphrase-fd N      one passphrase line per --share, in order\n"
	    "  --yes                  do not ask `Proceed? [y/N]` at a terminal\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM |
	    CMD_NOARGS,
	.opts = cmd_crl_options,
	.opts_size = sizeof(struct kr_crl_req),
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

struct cmd_crl_show_opts {
	const char	*out;
	bool		 pem;
};

static const struct cmd_opt cmd_crl_show_options[] = {
	CMD_ROW_STR("out", struct cmd_crl_show_opts, out),
	CMD_ROW_FLAG("pem", struct cmd_crl_show_opts, pem),
	CMD_ROW_END
};

static int
cmd_crl_show_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_crl_show_opts	*o = opts;
	struct kr_store			*st = kr_appliance_store(ctx->app);
	struct kr_key_rec		 k;
	struct kr_crl_rec		 c;
	unsigned			 number;
	int				 ret;

	if (argc != 2)
		return cmd_usage_error(ctx, "give the issuer key and the CRL "
		    "number");
	if (o->pem && o->out == NULL)
		return cmd_usage_error(ctx, "--pem goes with --out FILE");
	if ((ret = cmd_parse_uint(ctx, "the CRL number", argv[1], 1,
	    0x7fffffffU, &number)) != KR_OK ||
	    (ret = kr_store_key_get(st, argv[0], &k, &ctx->err)) != KR_OK)
		return ret;
	ret = kr_store_crl_get(st, k.id, number, &c, &ctx->err);
	if (ret == KR_ENOENT)
		return kr_err_set(&ctx->err, KR_ENOENT, "no CRL number %u of "
		    "'%s' is recorded", number, k.name);
	if (ret != KR_OK)
		return ret;
	cmd_crl_show_rec(ctx, k.name, &c);
	if (o->out == NULL)
		return KR_OK;
	if ((ret = kr_authority_crl_release(ctx->app, k.name, number, o->out,
	    o->pem, &ctx->err)) == KR_OK)
		cmd_printf(ctx, "Wrote CRL %u of '%s' (%s; the recorded copy's "
		    "SHA-256 checked) to %s.\n", number, k.name, o->pem ?
		    "PEM" : "DER", o->out);
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
	.opts = cmd_crl_show_options,
	.opts_size = sizeof(struct cmd_crl_show_opts),
	.exec = cmd_crl_show_exec,
};
