/*
 * keyrite init: create an appliance state folder.
 */
#include <getopt.h>
#include <string.h>

#include "cli.h"

static int
cmd_init_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kdf-profile", required_argument, NULL, 'k' },
		{ "policy-dir", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct kr_init_req	req;
	int			c, ret;

	memset(&req, 0, sizeof(req));
	req.kdf_profile = "ceremony";
	optind = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, opts,
	    NULL)) != -1) {
		if (c == 'k')
			req.kdf_profile = optarg;
		else if (c == 'p')
			req.policy_dir = optarg;
		else
			return cmd_bad_option(ctx, c, argv);
	}
	if (optind != argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[optind]);
	if (ctx->statedir == NULL)
		return cmd_usage_error(ctx, "no state folder: give -C STATEDIR "
		    "or set KEYRITE_HOME");
	req.statedir = ctx->statedir;
	req.actor = ctx->actor;
	if ((ret = kr_appliance_init(&req, &ctx->err)) != KR_OK)
		return ret;
	cmd_printf(ctx, "Created the keyrite state folder %s (KDF profile "
	    "%s).\n", req.statedir, req.kdf_profile);
	if (strcmp(req.kdf_profile, "ceremony") != 0)
		cmd_printf(ctx, "NOTE: the TEST KDF profile makes share files "
		    "cheap to attack: use this folder only for tests and "
		    "benchmarks.\n");
	cmd_printf(ctx, "Next: keyrite -C %s key generate NAME --alg ALG "
	    "--purpose PURPOSE --threshold M --custodian NAME ... --share-dir "
	    "DIR\n", req.statedir);
	return KR_OK;
}

const struct cmd_entry cmd_init_entry = {
	.name = "init",
	.usage = "[--kdf-profile ceremony|test] [--policy-dir DIR]",
	.summary = "create an appliance state folder (database, policy copy, "
	    "audit chain)",
	.help =
	    "  --kdf-profile P  passphrase stretching for share files:\n"
	    "                   ceremony (default, Argon2id >= 256 MiB) or\n"
	    "                   test (cheap; for tests and benchmarks only)\n"
	    "  --policy-dir DIR NAME.yaml files that replace or add to the\n"
	    "                   shipped policy and profiles (each is checked;\n"
	    "                   they are fixed for the folder's life)\n",
	.flags = 0,
	.exec = cmd_init_exec,
};
