/*
 * keyrite import openssl-index
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
cmd_import_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "issuer-key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	struct kr_notice_sink	sink = { cmd_notice, NULL };
	struct kr_import_result	res;
	const char		*key = NULL;
	int			 c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, opts, NULL)) != -1) {
		if (c != 'k')
			return cmd_bad_option(ctx, c, argv);
		key = optarg;
	}
	if (key == NULL || optind + 1 != argc)
		return cmd_usage_error(ctx, "give --issuer-key NAME and one "
		    "index.txt file");
	if ((ret = kr_authority_import_openssl_index(ctx->app, key,
	    argv[optind], ctx->actor, &sink, &res, &ctx->err)) != KR_OK)
		return ret;
	cmd_printf(ctx, "Imported %zu lines of %s as certificates issued by "
	    "'%s': %zu valid, %zu revoked, %zu expired (audit entry %lld).\n",
	    res.lines, argv[optind], key, res.valid, res.revoked, res.expired,
	    (long long)res.audit_seq);
	return KR_OK;
}

const struct cmd_entry cmd_import_index_entry = {
	.name = "import openssl-index",
	.usage = "--issuer-key NAME FILE",
	.summary = "take over an `openssl ca` database (index.txt) for a key",
	.help = "  --issuer-key NAME  the CA key whose certificates FILE lists\n"
	    "A malformed line refuses the whole file, naming the line; the\n"
	    "import is one transaction.\n",
	.flags = CMD_STATE | CMD_WRITES,
	.exec = cmd_import_exec,
};
