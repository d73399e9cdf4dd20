/*
 * keyrite ceremony report | verify-report (docs/transcript.md)
 */
#include <stdlib.h>
#include <string.h>

#include <keyrite/ceremony.h>

#include "cli.h"

struct cmd_report_opts {
	const char	*out;
};

static const struct cmd_opt cmd_report_options[] = {
	CMD_ROW_STR("out", struct cmd_report_opts, out),
	CMD_ROW_END
};

static void
cmd_report_hash(struct cmd_ctx *ctx, const char *label, const uint8_t *h)
{
	char	hex[KR_HEX_COLONS_BYTES(32, 24)];

	if (!kr_hex_colons(hex, sizeof(hex), h, 32, 16,
	    "                       "))
		hex[0] = '\0';
	cmd_printf(ctx, "  %-20s ", label);
	cmd_print_text(ctx, hex);
	cmd_printf(ctx, "\n");
}

static void
cmd_report_signers(struct cmd_ctx *ctx, const struct kr_cer_report_result *r)
{
	size_t	i;

	if (r->nsigners == 0)
		cmd_printf(ctx, "  no custodian approved a step: no signature "
		    "is needed\n");
	for (i = 0; i < r->nsigners; i++) {
		cmd_printf(ctx, "  %-8s %s\n", r->signers[i].good ? "good" :
		    "BAD", r->signers[i].custodian);
		cmd_fp_lines(ctx, "           approval key SHA-256: ",
		    r->signers[i].fp);
	}
}

static int
cmd_report_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_report_opts		*o = opts;
	struct kr_cer_report_req	 req;
	struct kr_cer_report_result	*res;
	int				 ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "name one ceremony");
	if (o->out == NULL)
		return cmd_usage_error(ctx, "say where the transcript goes: "
		    "--out DIR");
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	memset(&req, 0, sizeof(req));
	req.id = argv[0];
	req.out_dir = o->out;
	req.shares = ctx->q.shares;
	req.nshares = ctx->q.n;
	req.src = &ctx->src;
	req.actor = ctx->actor;
	if ((ret = kr_cer_report(ctx->app, &req, res, &ctx->err)) == KR_OK) {
		cmd_printf(ctx, "Transcript of ceremony %s written to %s "
		    "(report.txt, report.json, signatures.json); audit entries "
		    "%lld to %lld.\n", res->id, o->out,
		    (long long)res->before_seq + 1, (long long)res->after_seq);
		cmd_printf(ctx, "Recorded as audit row %lld (ceremony.report); "
		    "`keyrite export --ceremony %s` copies it again.\n",
		    (long long)res->seq, res->id);
		cmd_report_hash(ctx, "report.txt SHA-256", res->txt_sha256);
		cmd_report_hash(ctx, "report.json SHA-256", res->json_sha256);
		cmd_printf(ctx, "Signed by:\n");
		cmd_report_signers(ctx, res);
	}
	free(res);
	return ret;
}

static int
cmd_verify_report_exec(struct cmd_ctx *ctx, void *opts, int argc,
    char **argv)
{
	struct kr_cer_report_result	*res;
	size_t				 i;
	int				 ret;

	(void)opts;
	if (argc != 1)
		return cmd_usage_error(ctx, "name one transcript folder");
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	ret = kr_cer_report_verify(argv[0], res, &ctx->err);
	if (res->id[0] != '\0') {
		cmd_printf(ctx, "Transcript of ceremony %s (%s)\n", res->id,
		    argv[0]);
		cmd_printf(ctx, "Audit entries %lld to %lld: %lld listed\n",
		    (long long)res->before_seq + 1, (long long)res->after_seq,
		    (long long)res->rows);
		cmd_printf(ctx, "Signatures (compare each approval key with "
		    "what its custodian wrote down):\n");
		cmd_report_signers(ctx, res);
	}
	for (i = 0; i < res->nfailed; i++)
		cmd_printf(ctx, "FAILED: %s\n", res->failed[i]);
	if (ret == KR_OK)
		cmd_printf(ctx, "Transcript verified: the audit entries chain "
		    "from the head before to the head after, and every "
		    "custodian who approved a step signed both files.\n");
	free(res);
	return ret;
}

const struct cmd_entry cmd_ceremony_report_entry = {
	.name = "ceremony report",
	.usage = "ID --out DIR [--share FILE]... [--passphrase-fd N]",
	.summary = "write a ceremony's transcript (report.txt, report.json), "
	    "signed by every custodian who approved a step",
	.help = "  --out DIR          the transcript folder (made if "
	    "missing; no file in it is overwritten)\n"
	    "  --share FILE       the share file of a custodian who approved "
	    "a step (one each)\n"
	    "  --passphrase-fd N  their passphrases, one line each, in the "
	    "order of --share\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM,
	.opts = cmd_report_options,
	.opts_size = sizeof(struct cmd_report_opts),
	.exec = cmd_report_exec,
};

const struct cmd_entry cmd_ceremony_verify_report_entry = {
	.name = "ceremony verify-report",
	.usage = "DIR",
	.summary = "check a ceremony transcript on any machine, with no state "
	    "folder: its audit entries and the custodians' signatures",
	.help = "",
	.flags = 0,
	.exec = cmd_verify_report_exec,
};
