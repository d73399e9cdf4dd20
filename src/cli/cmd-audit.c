/*
 * keyrite audit verify | show
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
cmd_audit_verify_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct kr_audit_report	rep;
	char			head[2 * KR_AUDIT_HASH_BYTES + 1];
	int			ret;

	if (argc > 1)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[1]);
	ret = kr_authority_audit_verify(ctx->app, &rep, &ctx->err);
	if (ret != KR_OK)
		return ret;
	kr_hex_encode(head, rep.head, sizeof(rep.head));
	cmd_printf(ctx, "audit chain intact: %lld rows, head %s\n",
	    (long long)rep.rows, head);
	return KR_OK;
}

const struct cmd_entry cmd_audit_verify_entry = {
	.name = "audit verify",
	.usage = "",
	.summary = "recompute the audit hash chain and name the first bad row",
	.help = "Exit status: 0 intact, 1 a row was changed, removed or "
	    "reordered.\n",
	.flags = CMD_STATE,
	.exec = cmd_audit_verify_exec,
};

/*
 * cmd_printf escapes the row's text in full: a tampered row cannot smuggle
 * controls or forged lines to the auditor.
 */
static int
cmd_audit_show_row(const struct kr_audit_rec *r, void *vctx)
{
	struct cmd_ctx	*ctx = vctx;
	char		 when[KR_TIME_STR_BYTES];
	char		 hash[2 * KR_AUDIT_HASH_BYTES + 1];

	kr_time_format(r->time, when);
	kr_hex_encode(hash, r->hash, sizeof(r->hash));
	cmd_printf(ctx, "%6lld  %s  %-16s by %s\n        %s\n        hash "
	    "%.16s\n", (long long)r->seq, when, r->event, r->actor,
	    r->payload, hash);
	return 0;
}

static int
cmd_audit_show_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned	since = 0;
	int		c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, opts,
	    NULL)) != -1) {
		if (c != 's')
			return cmd_bad_option(ctx, c, argv);
		if ((ret = cmd_parse_uint(ctx, "--since", optarg, 0,
		    2000000000U, &since)) != KR_OK)
			return ret;
	}
	if (optind != argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[optind]);
	return kr_store_audit_foreach(kr_appliance_store(ctx->app),
	    (int64_t)since, cmd_audit_show_row, ctx, &ctx->err);
}

const struct cmd_entry cmd_audit_show_entry = {
	.name = "audit show",
	.usage = "[--since SEQ]",
	.summary = "print the audit log (sequence, time, event, actor, payload)",
	.help = "  --since SEQ   start at row SEQ (default: the first row)\n",
	.flags = CMD_STATE,
	.exec = cmd_audit_show_exec,
};
