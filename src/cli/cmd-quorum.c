/*
 * keyrite quorum verify: a custodian checks their own share, or a quorum
 * checks that their shares unlock the key.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void
cmd_quorum_print(struct cmd_ctx *ctx, const struct kr_quorum_report *rep)
{
	const struct kr_share_status	*s;
	size_t				 i;

	for (i = 0; i < rep->given; i++) {
		s = &rep->shares[i];
		if (s->code == KR_OK)
			cmd_printf(ctx, "  ok       %-20s x=%-3u %s\n",
			    s->custodian, s->x, s->file);
		else
			cmd_printf(ctx, "  REFUSED  %s\n           %s\n", s->file,
			    s->msg);
	}
}

static int
cmd_quorum_verify_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "share", required_argument, NULL, 's' },
		{ "passphrase-fd", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct kr_passphrase_source	 src;
	struct kr_quorum_report		*rep;
	struct cmd_quorum		 q;
	const char			*key = NULL;
	int				 c, ret = KR_OK;

	cmd_quorum_init(&q, &src);
	optind = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, opts,
	    NULL)) != -1) {
		if (c == 'k')
			key = optarg;
		else if (c == 's')
			ret = cmd_quorum_share(ctx, &q, optarg);
		else if (c == 'f')
			ret = cmd_pass_set_fd(ctx, &q.pass, optarg);
		else
			return cmd_bad_option(ctx, c, argv);
		if (ret != KR_OK)
			return ret;
	}
	if (optind != argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[optind]);
	if (key == NULL || q.n == 0)
		return cmd_usage_error(ctx, "--key and at least one --share "
		    "are required");
	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	ret = kr_authority_quorum_verify(ctx->app, key, q.shares, q.n, &src, rep,
	    &ctx->err);
	if (rep->m > 0) {
		cmd_printf(ctx, "key '%s': %u-of-%u quorum, share set epoch "
		    "%u\n", key, rep->m, rep->n, rep->epoch);
		cmd_quorum_print(ctx, rep);
	}
	if (ret == KR_OK && q.n == 1)
		cmd_printf(ctx, "The share of custodian '%s' is good: it "
		    "opens with this passphrase and was dealt for this key.\n",
		    rep->shares[0].custodian);
	else if (ret == KR_OK)
		cmd_printf(ctx, "Quorum met: %zu good shares unlock key '%s'.\n",
		    rep->good, key);
	cmd_note_kdf_profile(ctx);
	free(rep);
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
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS,
	.exec = cmd_quorum_verify_exec,
};
