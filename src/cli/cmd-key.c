/*
 * keyrite key generate | list | show | destroy | export-public
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cmd_keygen_args {
	struct kr_keygen_req	 req;
	const char		*custodians[KR_CUSTODIANS_MAX];
	bool			 have_alg;
	bool			 have_purpose;
	bool			 have_threshold;
};

static int
cmd_keygen_opt(struct cmd_ctx *ctx, struct cmd_keygen_args *a,
    struct cmd_pass *pass, int c, char **argv)
{
	switch (c) {
	case 'a':
		a->have_alg = true;
		if (kr_key_alg_from_name(optarg, &a->req.alg) != KR_OK)
			return cmd_usage_error(ctx, "unknown algorithm '%s': "
			    "use p256, p384, ed25519, rsa3072 or rsa4096", optarg);
		return KR_OK;
	case 'p':
		a->have_purpose = true;
		if (kr_purpose_from_name(optarg, &a->req.purpose) != KR_OK)
			return cmd_usage_error(ctx, "unknown purpose '%s': use "
			    "ca, firmware, crl, ocsp or audit", optarg);
		return KR_OK;
	case 't':
		a->have_threshold = true;
		return cmd_parse_uint(ctx, "--threshold", optarg, 1, 255,
		    &a->req.m);
	case 'c':
		if (a->req.n >= KR_CUSTODIANS_MAX)
			return cmd_usage_error(ctx, "more than %d custodians "
			    "named: a share set has at most %d",
			    KR_CUSTODIANS_MAX, KR_CUSTODIANS_MAX);
		a->custodians[a->req.n++] = optarg;
		return KR_OK;
	case 'd':
		a->req.share_dir = optarg;
		return KR_OK;
	case 'f':
	case 'P':
		return cmd_pass_set_fd(ctx, pass, optarg);
	case 'b':
		if (strcmp(optarg, "sealed") == 0)
			a->req.backend = KR_BACKEND_SEALED;
		else if (strcmp(optarg, "pkcs11") == 0)
			a->req.backend = KR_BACKEND_PKCS11;
		else
			return cmd_usage_error(ctx, "unknown backend '%s': use "
			    "sealed or pkcs11", optarg);
		return KR_OK;
	case 'M':
		a->req.module = optarg;
		return KR_OK;
	case 'T':
		a->req.token = optarg;
		return KR_OK;
	case 'U':
		a->req.uri = optarg;
		return KR_OK;
	case 'I':
		a->req.init_token = true;
		return KR_OK;
	case 'S':
		if (strcmp(optarg, "prompt") != 0)
			return cmd_usage_error(ctx, "--pin-source takes prompt "
			    "(or give --init-token for quorum-sealed PINs)");
		a->req.pin_prompt = true;
		return KR_OK;
	default:
		return cmd_bad_option(ctx, c, argv);
	}
}

static int
cmd_keygen_parse(struct cmd_ctx *ctx, struct cmd_keygen_args *a,
    struct cmd_pass *pass, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "alg", required_argument, NULL, 'a' },
		{ "purpose", required_argument, NULL, 'p' },
		{ "threshold", required_argument, NULL, 't' },
		{ "custodian", required_argument, NULL, 'c' },
		{ "share-dir", required_argument, NULL, 'd' },
		{ "passphrase-fd", required_argument, NULL, 'f' },
		{ "backend", required_argument, NULL, 'b' },
		{ "module", required_argument, NULL, 'M' },
		{ "token", required_argument, NULL, 'T' },
		{ "uri", required_argument, NULL, 'U' },
		{ "init-token", no_argument, NULL, 'I' },
		{ "pin-source", required_argument, NULL, 'S' },
		{ "token-pin-fd", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	int	c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, opts,
	    NULL)) != -1)
		if ((ret = cmd_keygen_opt(ctx, a, pass, c, argv)) != KR_OK)
			return ret;
	if (optind + 1 != argc)
		return cmd_usage_error(ctx, optind >= argc ? "name the key to "
		    "generate" : "give exactly one key name");
	a->req.name = argv[optind];
	if (a->req.backend != KR_BACKEND_PKCS11 &&
	    (a->req.module != NULL || a->req.token != NULL ||
	    a->req.uri != NULL || a->req.init_token || a->req.pin_prompt))
		return cmd_usage_error(ctx, "--module, --token, --uri, "
		    "--init-token and --pin-source need --backend pkcs11");
	if (a->req.pin_prompt) {
		if (!a->have_alg || !a->have_purpose)
			return cmd_usage_error(ctx, "--alg and --purpose are "
			    "required");
	} else if (!a->have_alg || !a->have_purpose || !a->have_threshold ||
	    a->req.share_dir == NULL || a->req.n == 0)
		return cmd_usage_error(ctx, "--alg, --purpose, --threshold, "
		    "--custodian (once per custodian) and --share-dir are all "
		    "required");
	a->req.custodians = a->custodians;
	a->req.actor = ctx->actor;
	return KR_OK;
}

static int
cmd_key_generate_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct kr_passphrase_source	 src;
	struct kr_notice_sink		 sink = { cmd_notice, NULL };
	struct kr_keygen_result		*res;
	struct cmd_keygen_args		 a;
	struct cmd_pass			 pass;
	size_t				 i;
	int				 ret;

	memset(&a, 0, sizeof(a));
	cmd_pass_init(&pass, &src);
	if ((ret = cmd_keygen_parse(ctx, &a, &pass, argc, argv)) != KR_OK)
		return ret;
	pass.min_len = kr_appliance_policy(ctx->app)->min_passphrase_length;
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	ret = kr_authority_key_generate(ctx->app, &a.req, &src, &sink, res,
	    &ctx->err);
	if (ret == KR_OK && a.req.pin_prompt) {
		cmd_printf(ctx, "Generated %s key '%s' for purpose %s%s.\n"
		    "It is guarded by the token's own access control: its PIN "
		    "is asked at each use, and keyrite holds no quorum for "
		    "it.\n"
		    "public key SHA-256: %s\n", kr_key_alg_name(a.req.alg),
		    a.req.name, kr_purpose_name(a.req.purpose), res->held,
		    res->fingerprint);
	} else if (ret == KR_OK) {
		cmd_printf(ctx, "Generated %s key '%s' for purpose %s%s under "
		    "a %u-of-%zu quorum.\n", kr_key_alg_name(a.req.alg),
		    a.req.name, kr_purpose_name(a.req.purpose), res->held,
		    a.req.m, a.req.n);
		cmd_printf(ctx, "public key SHA-256: %s\n", res->fingerprint);
		cmd_printf(ctx, "share set: %s (epoch 1), audit entry %lld\n",
		    res->set_id, (long long)res->audit_seq);
		for (i = 0; i < res->shares; i++)
			cmd_printf(ctx, "  share for %-20s %s\n",
			    a.custodians[i], res->share_paths[i]);
		cmd_printf(ctx, "Each custodian should now check their own "
		    "share: keyrite quorum verify --key %s --share FILE\n",
		    a.req.name);
		cmd_note_kdf_profile(ctx);
	}
	free(res);
	return ret;
}

const struct cmd_entry cmd_key_generate_entry = {
	.name = "key generate",
	.usage = "NAME --alg ALG --purpose PURPOSE --threshold M "
	    "--custodian NAME... --share-dir DIR [--passphrase-fd N] "
	    "[--backend pkcs11 --module PATH --token LABEL (--init-token | "
	    "--pin-source prompt [--token-pin-fd N])]",
	.summary = "generate a sealed key under a new m-of-n custodian quorum",
	.help =
	    "  --alg ALG          p256, p384, ed25519, rsa3072 or rsa4096\n"
	    "  --purpose P        ca, firmware, crl, ocsp or audit (fixed for\n"
	    "                     the key's life)\n"
	    "  --threshold M      custodians needed to use the key (>= 2)\n"
	    "  --custodian NAME   once per custodian (n times, n >= M)\n"
	    "  --share-dir DIR    where NAME.share is written per custodian\n"
	    "  --passphrase-fd N  read one passphrase line per custodian, in\n"
	    "                     --custodian order, from descriptor N instead\n"
	    "                     of asking each custodian twice on the terminal\n"
	    "  --backend B        sealed (default) or pkcs11 (docs/pkcs11.md)\n"
	    "  --module PATH      the PKCS#11 module (e.g. libsofthsm2.so)\n"
	    "  --token LABEL      the token; --uri pkcs11:... selects it instead\n"
	    "  --init-token       initialise a blank token with random PINs\n"
	    "                     sealed under the custodians' quorum\n"
	    "  --pin-source prompt  a token initialised elsewhere, guarded by\n"
	    "                     its own access control: no --threshold or\n"
	    "                     --custodian; its PIN is asked at each use\n"
	    "  --token-pin-fd N   read that PIN from descriptor N (scripts)\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS,
	.exec = cmd_key_generate_exec,
};

static int
cmd_key_list_row(const struct kr_key_rec *k, void *vctx)
{
	struct cmd_ctx	*ctx = vctx;
	char		 fp[KR_FINGERPRINT_STR_BYTES];
	char		 when[KR_TIME_STR_BYTES];

	kr_spki_fingerprint(k->spki, k->spki_len, fp);
	kr_time_format(k->created, when);
	cmd_printf(ctx, "%-24s %-8s %-9s %-7s %-10s %s  %.16s\n", k->name,
	    k->alg, k->purpose, k->backend, k->state, when, fp);
	return 0;
}

static int
cmd_key_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	int	ret;

	if (argc > 1)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[1]);
	cmd_printf(ctx, "%-24s %-8s %-9s %-7s %-10s %-20s  %s\n", "NAME", "ALG",
	    "PURPOSE", "BACKEND", "STATE", "CREATED", "SHA-256(SPKI)");
	ret = kr_store_key_foreach(kr_appliance_store(ctx->app),
	    cmd_key_list_row, ctx, &ctx->err);
	cmd_note_kdf_profile(ctx);
	return ret;
}

const struct cmd_entry cmd_key_list_entry = {
	.name = "key list",
	.usage = "",
	.summary = "list the keys recorded in this state folder",
	.help = "",
	.flags = CMD_STATE,
	.exec = cmd_key_list_exec,
};

static void
cmd_key_show_set(struct cmd_ctx *ctx, const struct kr_set_rec *set,
    const struct kr_custodian_rec *cust, size_t n)
{
	char	hex[2 * 32 + 1];
	size_t	i;

	kr_hex_encode(hex, set->id, sizeof(set->id));
	cmd_printf(ctx, "quorum:      %u of %u custodians\n", set->m, set->n);
	cmd_printf(ctx, "share set:   %s, epoch %u (%s)\n", hex, set->epoch,
	    set->state);
	cmd_printf(ctx, "share kdf:   Argon2id, %u passes, %u KiB\n",
	    set->kdf_ops, set->kdf_mem_kib);
	kr_hex_encode(hex, set->dealer_pk, sizeof(set->dealer_pk));
	cmd_printf(ctx, "dealer key:  Ed25519 %s\n", hex);
	cmd_printf(ctx, "custodians:\n");
	for (i = 0; i < n; i++)
		cmd_printf(ctx, "  %3u  %s\n", cust[i].x, cust[i].name);
}

/* The worst revocation among the key's own certificates, and its effect. */
static int
cmd_key_show_revocation(struct cmd_ctx *ctx, const struct kr_key_rec *k)
{
	struct kr_rev_status	rs;
	char			rev[96];
	int			ret;

	if ((ret = kr_authority_key_status(ctx->app, k, &rs, &ctx->err)) !=
	    KR_OK)
		return ret;
	kr_rev_status_format(&rs, rev, sizeof(rev));
	if (rs.state == KR_REV_NONE)
		cmd_printf(ctx, "revocation:  none of its certificates is "
		    "revoked or on hold\n");
	else
		cmd_printf(ctx, "revocation:  certificate %s (issued by '%s') "
		    "%s\n", rs.serial, rs.issuer, rev);
	cmd_printf(ctx, "standing:    %s\n",
	    kr_rev_status_standing(&rs, k->purpose));
	return KR_OK;
}

static int
cmd_key_show_body(struct cmd_ctx *ctx, const struct kr_key_rec *k, bool pem)
{
	struct kr_store		*st = kr_appliance_store(ctx->app);
	struct kr_custodian_rec	*cust;
	struct kr_set_rec	 set;
	char			 fp[KR_FINGERPRINT_STR_BYTES], hex[33];
	char			 when[KR_TIME_STR_BYTES], *p;
	char			 where[2048];
	bool			 quorum = true;
	size_t			 n;
	int			 ret;

	kr_spki_fingerprint(k->spki, k->spki_len, fp);
	kr_hex_encode(hex, k->id, sizeof(k->id));
	kr_time_format(k->created, when);
	cmd_printf(ctx, "name:        %s\nkey id:      %s\nalgorithm:   %s\n"
	    "purpose:     %s\nbackend:     %s (%s)\nstate:       %s\n"
	    "created:     %s\npublic key:  SHA-256 %s\n", k->name, hex, k->alg,
	    k->purpose, k->backend, k->location, k->state, when, fp);
	if ((ret = cmd_key_show_revocation(ctx, k)) != KR_OK)
		return ret;
	if ((ret = kr_authority_key_where(ctx->app, k, where, sizeof(where),
	    &quorum, &ctx->err)) != KR_OK)
		return ret;
	cmd_print_text(ctx, where);
	if (!quorum)
		goto pem;
	if ((cust = calloc(KR_CUSTODIANS_MAX, sizeof(*cust))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	if ((ret = kr_store_set_active(st, k->id, &set, &ctx->err)) == KR_OK &&
	    (ret = kr_store_custodians(st, set.id, cust, KR_CUSTODIANS_MAX, &n,
	    &ctx->err)) == KR_OK)
		cmd_key_show_set(ctx, &set, cust, n);
	free(cust);
pem:
	if (ret == KR_OK && pem) {
		if ((p = kr_pem_encode("PUBLIC KEY", k->spki, k->spki_len)) ==
		    NULL)
			return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
		cmd_print_text(ctx, p);
		free(p);
	}
	return ret;
}

static int
cmd_key_show_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pem", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct kr_key_rec	*k;
	bool			 pem = false;
	int			 c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, opts,
	    NULL)) != -1) {
		if (c != 'p')
			return cmd_bad_option(ctx, c, argv);
		pem = true;
	}
	if (optind + 1 != argc)
		return cmd_usage_error(ctx, "name one key");
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	if ((ret = kr_store_key_get(kr_appliance_store(ctx->app), argv[optind],
	    k, &ctx->err)) == KR_OK)
		ret = cmd_key_show_body(ctx, k, pem);
	free(k);
	cmd_note_kdf_profile(ctx);
	return ret;
}

const struct cmd_entry cmd_key_show_entry = {
	.name = "key show",
	.usage = "NAME [--pem]",
	.summary = "show a key: algorithm, purpose, fingerprint, quorum, "
	    "custodians, epoch",
	.help = "  --pem   also print the public key (SubjectPublicKeyInfo) "
	    "as PEM\n",
	.flags = CMD_STATE,
	.exec = cmd_key_show_exec,
};

static int
cmd_key_destroy_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "share", required_argument, NULL, 's' },
		{ "passphrase-fd", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct kr_passphrase_source	 src;
	struct kr_quorum_report		*rep;
	struct cmd_quorum		 q;
	int				 c, ret;

	cmd_quorum_init(&q, &src);
	optind = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, opts, NULL)) != -1) {
		if (c == 's')
			ret = cmd_quorum_share(ctx, &q, optarg);
		else if (c == 'f')
			ret = cmd_pass_set_fd(ctx, &q.pass, optarg);
		else
			return cmd_bad_option(ctx, c, argv);
		if (ret != KR_OK)
			return ret;
	}
	if (optind + 1 != argc)
		return cmd_usage_error(ctx, "name one key");
	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	ret = kr_authority_key_destroy(ctx->app, argv[optind], q.shares, q.n,
	    &src, ctx->actor, rep, &ctx->err);
	if (ret == KR_OK)
		cmd_printf(ctx, "Destroyed key '%s': its material is gone%s. "
		    "Its certificates and CRLs stay in the inventory.\n",
		    argv[optind], q.n > 0 ? " and its share set is retired, so "
		    "its shares are worthless" : "");
	free(rep);
	return ret;
}

const struct cmd_entry cmd_key_destroy_entry = {
	.name = "key destroy",
	.usage = "NAME --share FILE... [--passphrase-fd N]",
	.summary = "destroy a key (sealed file or token objects) with its quorum",
	.help = "  --share FILE       a custodian's share, once per custodian\n"
	    "                     present (a token key guarded by its own\n"
	    "                     access control asks for its PIN instead)\n"
	    "  --passphrase-fd N  one passphrase (or PIN) line per --share\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS,
	.exec = cmd_key_destroy_exec,
};

static int
cmd_key_export_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*format = "pem";
	char		*text;
	int		 c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, opts, NULL)) != -1) {
		if (c != 'f')
			return cmd_bad_option(ctx, c, argv);
		format = optarg;
	}
	if (optind + 1 != argc)
		return cmd_usage_error(ctx, "name one key");
	if ((ret = kr_authority_export_public(ctx->app, argv[optind], format,
	    &text, &ctx->err)) != KR_OK)
		return ret;
	cmd_print_text(ctx, text);
	free(text);
	return KR_OK;
}

const struct cmd_entry cmd_key_export_entry = {
	.name = "key export-public",
	.usage = "NAME [--format pem|minisign|mcuboot-c]",
	.summary = "print a key's public key for device builds and verifiers",
	.help = "  --format F   pem (SubjectPublicKeyInfo, default), minisign\n"
	    "               (minisign.pub) or mcuboot-c (a C array for\n"
	    "               MCUboot's key table)\n",
	.flags = CMD_STATE,
	.exec = cmd_key_export_exec,
};
