/*
 * keyrite init: create an appliance state folder.
 */
#include <string.h>

#include "cli.h"

static const struct cmd_opt cmd_init_options[] = {
	CMD_ROW_STR("kdf-profile", struct kr_init_req, kdf_profile),
	CMD_ROW_STR("policy-dir", struct kr_init_req, policy_dir),
	CMD_ROW_STR("crl-url", struct kr_init_req, crl_url),
	CMD_ROW_STR("ca-issuers-url", struct kr_init_req, ca_issuers_url),
	CMD_ROW_STR("ocsp-url", struct kr_init_req, ocsp_url),
	CMD_ROW_END
};

static int
cmd_init_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct kr_init_req	*req = opts;
	int			 ret;

	if (req->kdf_profile == NULL)
		req->kdf_profile = "ceremony";
	if (ctx->statedir == NULL)
		return cmd_usage_error(ctx, "no state folder: give -C STATEDIR "
		    "or set KEYRITE_HOME");
	req->statedir = ctx->statedir;
	req->actor = ctx->actor;
	if ((ret = kr_appliance_init(req, &ctx->err)) != KR_OK)
		return ret;
	cmd_printf(ctx, "Created the keyrite state folder %s (KDF profile "
	    "%s).\n", req->statedir, req->kdf_profile);
	if (strcmp(req->kdf_profile, "ceremony") != 0)
		cmd_printf(ctx, "NOTE: the TEST KDF profile makes share files "
		    "cheap to attack: use this folder only for tests and "
		    "benchmarks.\n");
	cmd_printf(ctx, "Next: keyrite -C %s key generate NAME --alg ALG "
	    "--purpose PURPOSE --threshold M --custodian NAME ... --share-dir "
	    "DIR\n", req->statedir);
	return KR_OK;
}

const struct cmd_entry cmd_init_entry = {
	.name = "init",
	.usage = "[--kdf-profile ceremony|test] [--policy-dir DIR] "
	    "[--crl-url URL] [--ca-issuers-url URL] [--ocsp-url URL]",
	.summary = "create an appliance state folder (database, policy copy, "
	    "audit chain)",
	.help =
	    "  --kdf-profile P  passphrase stretching for share files:\n"
	    "                   ceremony (default, Argon2id >= 256 MiB) or\n"
	    "                   test (cheap; for tests and benchmarks only)\n"
	    "  --policy-dir DIR NAME.yaml files that replace or add to the\n"
	    "                   shipped policy and profiles (each is checked;\n"
	    "                   `keyrite policy update` changes them under a\n"
	    "                   quorum)\n"
	    "  --crl-url URL    the CRL distribution point of every certificate\n"
	    "                   but a root, and where each CA's CRL says it is\n"
	    "                   (crl.yaml distribution_point); {issuer} stands\n"
	    "                   for the issuing key's name\n"
	    "  --ca-issuers-url URL  where the issuer's certificate is\n"
	    "                   (authorityInfoAccess caIssuers), {issuer} too\n"
	    "  --ocsp-url URL   the OCSP responder (authorityInfoAccess OCSP)\n",
	.flags = CMD_NOARGS,
	.opts = cmd_init_options,
	.opts_size = sizeof(struct kr_init_req),
	.exec = cmd_init_exec,
};
