/*
 * keyrite import openssl-index
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cmd_import_opts {
	const char	*key;
};

static const struct cmd_opt cmd_import_options[] = {
	CMD_ROW_STR("issuer-key", struct cmd_import_opts, key),
	CMD_ROW_END
};

static int
cmd_import_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_import_opts	*o = opts;
	struct kr_notice_sink	 sink = { cmd_notice, NULL };
	struct kr_import_result	 res;
	int			 ret;

	if (o->key == NULL || argc != 1)
		return cmd_usage_error(ctx, "give --issuer-key NAME and one "
		    "index.txt file");
	if ((ret = kr_authority_import_openssl_index(ctx->app, o->key,
	    argv[0], ctx->actor, &sink, &res, &ctx->err)) != KR_OK)
		return ret;
	cmd_printf(ctx, "Imported %zu lines of %s as certificates issued by "
	    "'%s': %zu valid, %zu revoked, %zu expired (audit entry %lld).\n",
	    res.lines, argv[0], o->key, res.valid, res.revoked, res.expired,
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
	.opts = cmd_import_options,
	.opts_size = sizeof(struct cmd_import_opts),
	.exec = cmd_import_exec,
};
