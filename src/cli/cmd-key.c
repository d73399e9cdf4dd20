/*
 * keyrite key generate | list | show | destroy | export-public
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cmd_keygen_opts {
	struct kr_keygen_req	 req;
	const char		*custodians[KR_CUSTODIANS_MAX];
};

static int
cmd_keygen_opt_alg(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct cmd_keygen_opts	*a = opts;

	if (kr_key_alg_from_name(arg, &a->req.alg) != KR_OK)
		return cmd_usage_error(ctx, "unknown algorithm '%s': use p256, "
		    "p384, ed25519, rsa3072 or rsa4096", arg);
	return KR_OK;
}

static int
cmd_keygen_opt_purpose(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct cmd_keygen_opts	*a = opts;

	if (kr_purpose_from_name(arg, &a->req.purpose) != KR_OK)
		return cmd_usage_error(ctx, "unknown purpose '%s': use ca, "
		    "firmware, crl, ocsp or audit", arg);
	return KR_OK;
}

static int
cmd_keygen_opt_custodian(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct cmd_keygen_opts	*a = opts;

	return cmd_custodian_add(ctx, a->custodians, &a->req.n, arg);
}

static int
cmd_keygen_opt_backend(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct cmd_keygen_opts	*a = opts;

	if (strcmp(arg, "sealed") == 0)
		a->req.backend = KR_BACKEND_SEALED;
	else if (strcmp(arg, "pkcs11") == 0)
		a->req.backend = KR_BACKEND_PKCS11;
	else
		return cmd_usage_error(ctx, "unknown backend '%s': use sealed "
		    "or pkcs11", arg);
	return KR_OK;
}

static int
cmd_keygen_opt_pin_source(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct cmd_keygen_opts	*a = opts;

	if (strcmp(arg, "prompt") != 0)
		return cmd_usage_error(ctx, "--pin-source takes prompt (or "
		    "give --init-token for quorum-sealed PINs)");
	a->req.pin_prompt = true;
	return KR_OK;
}

static const struct cmd_opt cmd_keygen_options[] = {
	CMD_ROW_CALL("alg", cmd_keygen_opt_alg),
	CMD_ROW_CALL("purpose", cmd_keygen_opt_purpose),
	CMD_ROW_UINT("threshold", struct cmd_keygen_opts, req.m, 1, 255),
	CMD_ROW_CALL_MANY("custodian", cmd_keygen_opt_custodian),
	CMD_ROW_STR("share-dir", struct cmd_keygen_opts, req.share_dir),
	CMD_ROW_CALL("passphrase-fd", cmd_opt_pass_fd),
	CMD_ROW_CALL("backend", cmd_keygen_opt_backend),
	CMD_ROW_STR("module", struct cmd_keygen_opts, req.module),
	CMD_ROW_STR("token", struct cmd_keygen_opts, req.token),
	CMD_ROW_STR("uri", struct cmd_keygen_opts, req.uri),
	CMD_ROW_FLAG("init-token", struct cmd_keygen_opts, req.init_token),
	CMD_ROW_CALL("pin-source", cmd_keygen_opt_pin_source),
	CMD_ROW_CALL("token-pin-fd", cmd_opt_token_pin_fd),
	CMD_ROW_END
};

/* What the options say together (an algorithm or purpose is never 0). */
static int
cmd_keygen_check(struct cmd_ctx *ctx, struct cmd_keygen_opts *a, int argc,
    char **argv)
{
	struct kr_keygen_req	*r = &a->req;

	if (argc != 1)
		return cmd_usage_error(ctx, argc == 0 ? "name the key to "
		    "generate" : "give exactly one key name");
	r->name = argv[0];
	if (r->backend != KR_BACKEND_PKCS11 && (r->module != NULL ||
	    r->token != NULL || r->uri != NULL || r->init_token ||
	    r->pin_prompt))
		return cmd_usage_error(ctx, "--module, --token, --uri, "
		    "--init-token and --pin-source need --backend pkcs11");
	if (r->pin_prompt) {
		if (r->alg == 0 || r->purpose == 0)
			return cmd_usage_error(ctx, "--alg and --purpose are "
			    "required");
	} else if (r->alg == 0 || r->purpose == 0 || r->m == 0 ||
	    r->share_dir == NULL || r->n == 0)
		return cmd_usage_error(ctx, "--alg, --purpose, --threshold, "
		    "--custodian (once per custodian) and --share-dir are all "
		    "required");
	r->custodians = a->custodians;
	r->actor = ctx->actor;
	return KR_OK;
}

static void
cmd_keygen_report(struct cmd_ctx *ctx, const struct cmd_keygen_opts *a,
    const struct kr_keygen_result *res)
{
	const struct kr_keygen_req	*r = &a->req;

	cmd_printf(ctx, "Generated %s key '%s' for purpose %s%s under a "
	    "%u-of-%zu quorum.\n", kr_key_alg_name(r->alg), r->name,
	    kr_purpose_name(r->purpose), res->held, r->m, r->n);
	cmd_printf(ctx, "public key SHA-256: %s\n", res->fingerprint);
	cmd_printf(ctx, "share set: %s (epoch 1), audit entry %lld\n",
	    res->set_id, (long long)res->audit_seq);
	cmd_share_lines(ctx, a->custodians, res->share_paths,
	    res->approval_fp, res->shares);
	cmd_printf(ctx, "Each custodian should now check their own share: "
	    "keyrite quorum verify --key %s --share FILE\n", r->name);
	cmd_note_kdf_profile(ctx);
}

static int
cmd_key_generate_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct kr_notice_sink		 sink = { cmd_notice, NULL };
	struct cmd_keygen_opts		*a = opts;
	struct kr_keygen_result		*res;
	int				 ret;

	if ((ret = cmd_keygen_check(ctx, a, argc, argv)) != KR_OK)
		return ret;
	ctx->q.pass.min_len =
	    kr_appliance_policy(ctx->app)->min_passphrase_length;
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	ret = kr_authority_key_generate(ctx->app, &a->req, &ctx->src, &sink,
	    res, &ctx->err);
	if (ret == KR_OK && a->req.pin_prompt)
		cmd_printf(ctx, "Generated %s key '%s' for purpose %s%s.\n"
		    "It is guarded by the token's own access control: its PIN "
		    "is asked at each use, and keyrite holds no quorum for "
		    "it.\npublic key SHA-256: %s\n",
		    kr_key_alg_name(a->req.alg), a->req.name,
		    kr_purpose_name(a->req.purpose), res->held,
		    res->fingerprint);
	else if (ret == KR_OK)
		cmd_keygen_report(ctx, a, res);
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
	.opts = cmd_keygen_options,
	.opts_size = sizeof(struct cmd_keygen_opts),
	.exec = cmd_key_generate_exec,
};

struct cmd_key_list {
	struct cmd_ctx	*ctx;
	bool		 json;
	size_t		 n;
};

static int
cmd_key_list_json(struct cmd_key_list *l, const struct kr_key_rec *k,
    const char *fp, const char *when)
{
	struct kr_json	j;

	kr_json_begin(&j);
	kr_json_str(&j, "name", k->name);
	kr_json_hex(&j, "key_id", k->id, sizeof(k->id));
	kr_json_str(&j, "alg", k->alg);
	kr_json_str(&j, "purpose", k->purpose);
	kr_json_str(&j, "backend", k->backend);
	kr_json_str(&j, "state", k->state);
	kr_json_str(&j, "created", when);
	kr_json_str(&j, "spki_sha256", fp);
	return cmd_json_list_item(l->ctx, &l->n, &j);
}

static int
cmd_key_list_row(const struct kr_key_rec *k, void *arg)
{
	struct cmd_key_list	*l = arg;
	char			 fp[KR_FINGERPRINT_STR_BYTES];
	char			 when[KR_TIME_STR_BYTES];

	kr_spki_fingerprint(k->spki, k->spki_len, fp);
	kr_time_format(k->created, when);
	if (l->json)
		return cmd_key_list_json(l, k, fp, when);
	cmd_printf(l->ctx, "%-24s %-8s %-9s %-7s %-10s %s  %.16s\n", k->name,
	    k->alg, k->purpose, k->backend, k->state, when, fp);
	return 0;
}

static int
cmd_key_list_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_json_opts	*o = opts;
	struct cmd_key_list	 l = { ctx, o->json, 0 };
	int			 ret;

	if (o->json)
		cmd_json_list_begin(ctx, "keyrite-key-list", "keys");
	else
		cmd_printf(ctx, "%-24s %-8s %-9s %-7s %-10s %-20s  %s\n",
		    "NAME", "ALG", "PURPOSE", "BACKEND", "STATE", "CREATED",
		    "SHA-256(SPKI)");
	ret = kr_store_key_foreach(kr_appliance_store(ctx->app),
	    cmd_key_list_row, &l, &ctx->err);
	if (o->json && ret == KR_OK)
		cmd_json_list_end(ctx, l.n);
	else if (!o->json)
		cmd_note_kdf_profile(ctx);
	return ret;
}

const struct cmd_entry cmd_key_list_entry = {
	.name = "key list",
	.usage = "[--json]",
	.summary = "list the keys recorded in this state folder",
	.help = "  --json   one JSON document, a key an object (docs/formats.md)\n",
	.flags = CMD_STATE | CMD_NOARGS,
	.opts = cmd_json_options,
	.opts_size = sizeof(struct cmd_json_opts),
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
		cmd_printf(ctx, "  %3u  %s%s\n", cust[i].x, cust[i].name,
		    strcmp(set->state, "pending") != 0 ? "" : cust[i].checked !=
		    0 ? "  (checked the new share)" : "  (not checked yet)");
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
	struct kr_err		 e;
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
	/* A reshare's set waiting for its holders' checks. */
	if (ret == KR_OK && kr_store_set_pending(st, k->id, &set, &e) ==
	    KR_OK && (ret = kr_store_custodians(st, set.id, cust,
	    KR_CUSTODIANS_MAX, &n, &ctx->err)) == KR_OK) {
		cmd_printf(ctx, "pending reshare: it becomes current when %u of "
		    "its holders have checked their shares (quorum verify)\n",
		    set.m);
		cmd_key_show_set(ctx, &set, cust, n);
	}
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

struct cmd_key_show_opts {
	bool	pem;
};

static const struct cmd_opt cmd_key_show_options[] = {
	CMD_ROW_FLAG("pem", struct cmd_key_show_opts, pem),
	CMD_ROW_END
};

static int
cmd_key_show_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_key_show_opts	*o = opts;
	struct kr_key_rec		*k;
	int				 ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "name one key");
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	if ((ret = kr_store_key_get(kr_appliance_store(ctx->app), argv[0], k,
	    &ctx->err)) == KR_OK)
		ret = cmd_key_show_body(ctx, k, o->pem);
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
	.opts = cmd_key_show_options,
	.opts_size = sizeof(struct cmd_key_show_opts),
	.exec = cmd_key_show_exec,
};

static int
cmd_key_destroy_backup(int64_t seq, int64_t time, const char *to, void *arg)
{
	struct cmd_ctx	*ctx = arg;
	char		 when[KR_TIME_STR_BYTES];

	kr_time_format(time, when);
	cmd_printf(ctx, "The backup %s (audit row %lld, %s) still holds this "
	    "key, sealed under its old quorum: restored with the old shares it "
	    "brings the key back. Destroy that backup (or its keys/ files) "
	    "too; see docs/threat-model.md.\n", to, (long long)seq, when);
	return 0;
}

static int
cmd_key_destroy_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct kr_quorum_report		*rep = NULL;
	struct kr_err			 e;
	int				 ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "name one key");
	ret = kr_authority_key_destroy(ctx->app, argv[0], ctx->q.shares,
	    ctx->q.n, &ctx->src, ctx->actor, &rep, &ctx->err);
	cmd_quorum_table(ctx, rep);
	if (ret == KR_OK)
		cmd_printf(ctx, "Destroyed key '%s': its material is gone%s. "
		    "Its certificates and CRLs stay in the inventory.\n",
		    argv[0], ctx->q.n > 0 ? " and its share set is retired, "
		    "so its shares are worthless" : "");
	if (ret == KR_OK && kr_authority_backups_of_key(ctx->app, argv[0],
	    cmd_key_destroy_backup, ctx, &e) != KR_OK)
		cmd_eprint("keyrite: warning: the backups could not be listed: ",
		    e.msg);
	kr_quorum_report_free(&rep);
	return ret;
}

const struct cmd_entry cmd_key_destroy_entry = {
	.name = "key destroy",
	.usage = "NAME --share FILE... [--passphrase-fd N] [--yes]",
	.summary = "destroy a key (sealed file or token objects) with its quorum",
	.help = "  --share FILE       a custodian's share, once per custodian\n"
	    "                     present (a token key guarded by its own\n"
	    "                     access control asks for its PIN instead)\n"
	    "  --passphrase-fd N  one passphrase line per --share\n"
	    "  --yes              do not ask `Proceed? [y/N]` at a terminal\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM,
	.exec = cmd_key_destroy_exec,
};

struct cmd_key_export_opts {
	const char	*format;
};

static const struct cmd_opt cmd_key_export_options[] = {
	CMD_ROW_STR("format", struct cmd_key_export_opts, format),
	CMD_ROW_END
};

static int
cmd_key_export_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_key_export_opts	*o = opts;
	char				*text;
	int				 ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "name one key");
	if ((ret = kr_authority_export_public(ctx->app, argv[0],
	    o->format != NULL ? o->format : "pem", &text, &ctx->err)) != KR_OK)
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
	.opts = cmd_key_export_options,
	.opts_size = sizeof(struct cmd_key_export_opts),
	.exec = cmd_key_export_exec,
};
