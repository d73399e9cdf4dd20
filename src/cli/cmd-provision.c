/*
 * keyrite provision batch | provision show | provision list
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cmd_prov_opts {
	struct kr_prov_req	req;
};

static const struct cmd_opt cmd_prov_options[] = {
	CMD_ROW_STR("issuer-key", struct kr_prov_req, issuer_key),
	CMD_ROW_STR("profile", struct kr_prov_req, profile),
	CMD_ROW_STR("csr-dir", struct kr_prov_req, csr_dir),
	CMD_ROW_UINT("renew-within-days", struct kr_prov_req,
	    renew_within_days, 1, 3650),
	CMD_ROW_STR("from-issuer", struct kr_prov_req, from_issuer),
	CMD_ROW_STR("out-dir", struct kr_prov_req, out_dir),
	CMD_ROW_STR("operator", struct kr_prov_req, operator),
	CMD_ROW_STR("line", struct kr_prov_req, line),
	CMD_ROW_UINT("days", struct kr_prov_req, days, 1, 36500),
	CMD_ROW_FLAG("dry-run", struct kr_prov_req, dry_run),
	CMD_ROW_FLAG("accept-warnings", struct kr_prov_req, accept_warnings),
	CMD_ROW_FLAG("skip-provisioned", struct kr_prov_req, skip_provisioned),
	CMD_ROW_END
};

/* How the batch ended, after its quorum table and digest. */
static void
cmd_prov_batch_report(struct cmd_ctx *ctx, const struct kr_prov_req *req,
    const struct kr_prov_result *r, int ret)
{
	if (ret == KR_OK && r->total == 0 && req->csr_dir != NULL)
		cmd_printf(ctx, "Nothing to provision: every CSR in %s is for "
		    "a device provisioned before with the same key (%zu "
		    "skipped, listed above).\n", req->csr_dir, r->skipped);
	else if (ret == KR_OK && r->total == 0)
		cmd_printf(ctx, "Nothing to renew: no certificate of key '%s' "
		    "under profile '%s' to renew within %u days (expired, "
		    "revoked, held and already renewed ones are not "
		    "renewed%s).\n", req->from_issuer != NULL ?
		    req->from_issuer : req->issuer_key, req->profile != NULL ?
		    req->profile : "device", req->renew_within_days,
		    r->skipped > 0 ? "; the ones left out are listed above" :
		    "");
	else if (req->dry_run && ret == KR_OK)
		cmd_printf(ctx, "Dry run: %zu device%s checked; nothing was "
		    "signed or recorded.\n", r->total, r->total == 1 ? "" :
		    "s");
	else if (ret == KR_OK)
		cmd_printf(ctx, "%s %zu device%s into %s: each has "
		    "DEVICE.crt and DEVICE.yaml beside bootstrap-ca.crt, "
		    "recorded with its audit entry. `keyrite provision list "
		    "--batch %s` lists them.%s\n", req->csr_dir != NULL ?
		    "Provisioned" : "Renewed", r->done,
		    r->done == 1 ? "" : "s", req->out_dir, r->batch,
		    req->csr_dir != NULL &&
		    r->skipped > 0 ? " The devices provisioned before are "
		    "listed above as skipped." : "");
	else if (r->done > 0)
		cmd_printf(ctx, "%zu of %zu devices were %s before the "
		    "failure (batch %s).\n", r->done, r->total,
		    req->csr_dir != NULL ? "provisioned" : "renewed",
		    r->batch);
}

static int
cmd_prov_batch_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct kr_prov_req	*req = opts;
	struct kr_prov_result	 res;
	int			 ret;

	if (req->issuer_key == NULL || req->out_dir == NULL ||
	    req->operator == NULL)
		return cmd_usage_error(ctx, "--issuer-key NAME, --out-dir DIR "
		    "and --operator TEXT are required");
	if ((req->csr_dir == NULL) == (req->renew_within_days == 0))
		return cmd_usage_error(ctx, "give --csr-dir DIR (new devices) "
		    "or --renew-within-days N (renewals)");
	if (req->from_issuer != NULL && req->csr_dir != NULL)
		return cmd_usage_error(ctx, "--from-issuer KEY goes with "
		    "--renew-within-days N: it renews the certificates of a "
		    "retired issuing key under --issuer-key");
	if (req->skip_provisioned && req->csr_dir == NULL)
		return cmd_usage_error(ctx, "--skip-provisioned goes with "
		    "--csr-dir DIR (a renewal batch skips by itself what was "
		    "renewed)");
	req->shares = ctx->q.shares;
	req->nshares = ctx->q.n;
	req->actor = ctx->actor;
	ret = kr_authority_provision(ctx->app, req, &ctx->src, &res,
	    &ctx->err);
	cmd_quorum_table(ctx, res.quorum);
	if (res.batch_sha256[0] != '\0')
		cmd_printf(ctx, "batch:         %s\nbatch SHA-256: %s\n",
		    res.batch, res.batch_sha256);
	cmd_prov_batch_report(ctx, req, &res, ret);
	cmd_note_kdf_profile(ctx);
	kr_prov_result_free(&res);
	return ret;
}

const struct cmd_entry cmd_provision_batch_entry = {
	.name = "provision batch",
	.usage = "--issuer-key NAME [--profile device] (--csr-dir DIR | "
	    "--renew-within-days N [--from-issuer KEY]) --out-dir DIR "
	    "--operator TEXT [--line TEXT] "
	    "[--days N] [--dry-run] [--accept-warnings] [--skip-provisioned] "
	    "--share FILE... [--passphrase-fd N] [--yes]",
	.summary = "certify a folder of device CSRs (or renew expiring device "
	    "certificates) with one quorum unlock",
	.help = "  --issuer-key NAME    the issuing CA key (purpose ca)\n"
	    "  --profile NAME       the leaf profile (default device); its\n"
	    "                       device_id names the subject attribute\n"
	    "                       (serialNumber or CN) a device is named by\n"
	    "  --csr-dir DIR        one PKCS#10 request per device (PEM or DER);\n"
	    "                       a key certified here before, or twice in the\n"
	    "                       folder, is refused and named\n"
	    "  --renew-within-days N  instead: renew every device certificate\n"
	    "                       of the key and profile expiring within N days\n"
	    "  --from-issuer KEY    with --renew-within-days: renew those of\n"
	    "                       KEY, a retired issuing CA, under\n"
	    "                       --issuer-key, its successor\n"
	    "                       (docs/rotation.md)\n"
	    "  --out-dir DIR        DEVICE.crt (DER), DEVICE.yaml (the record)\n"
	    "                       and bootstrap-ca.crt are written there\n"
	    "  --operator TEXT      who runs the line (in every record)\n"
	    "  --line TEXT          the manufacturing line (in every record)\n"
	    "  --days N             validity (default: the profile's)\n"
	    "  --dry-run            check the whole batch and show it; sign "
	    "nothing\n"
	    "  --accept-warnings    sign despite lint warnings (each device's\n"
	    "                       are checked before the quorum; in the\n"
	    "                       batch digest)\n"
	    "  --skip-provisioned   skip, and list, each CSR whose device\n"
	    "                       this issuer provisioned with the same key\n"
	    "                       (to go on after a batch failed half way);\n"
	    "                       any other reuse is still refused\n"
	    "  --share FILE         a custodian's share, once per custodian\n"
	    "  --passphrase-fd N    one passphrase line per --share, in order\n"
	    "  --yes                do not ask `Proceed? [y/N]` at a terminal\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM |
	    CMD_NOARGS,
	.opts = cmd_prov_options,
	.opts_size = sizeof(struct kr_prov_req),
	.exec = cmd_prov_batch_exec,
};

struct cmd_prov_view {
	struct cmd_ctx	*ctx;
	bool		 json;
	size_t		 n;
};

static int
cmd_prov_json(struct cmd_prov_view *v, const struct kr_prov_rec *r,
    const struct kr_rev_status *rs)
{
	struct kr_json	j;

	kr_json_begin(&j);
	kr_json_str(&j, "device_id", r->device_id);
	kr_json_str(&j, "serial", r->serial);
	kr_json_str(&j, "identity_cert_sha256", r->identity_sha256);
	kr_json_str(&j, "bootstrap_ca_sha256", r->bootstrap_sha256);
	kr_json_str(&j, "record_sha256", r->record_sha256);
	cmd_json_time(&j, "date", r->created);
	cmd_json_time(&j, "not_after", r->not_after);
	kr_json_str(&j, "operator", r->operator);
	kr_json_str(&j, "line", r->line);
	kr_json_str(&j, "batch", r->batch);
	kr_json_str(&j, "renews", r->renews);
	cmd_json_revocation(&j, rs);
	return cmd_json_list_item(v->ctx, &v->n, &j);
}

static int
cmd_prov_row(const struct kr_prov_rec *r, void *arg)
{
	struct cmd_prov_view	*v = arg;
	struct kr_rev_status	 rs;
	char			 when[KR_TIME_STR_BYTES], rev[96];
	char			 until[KR_TIME_STR_BYTES];
	int			 ret;

	if ((ret = kr_authority_prov_status(v->ctx->app, r, &rs,
	    &v->ctx->err)) != KR_OK)
		return ret;
	if (v->json)
		return cmd_prov_json(v, r, &rs);
	kr_time_format(r->created, when);
	kr_time_format(r->not_after, until);
	kr_rev_status_format(&rs, rev, sizeof(rev));
	if (v->n++ == 0)
		cmd_printf(v->ctx, "%-24s %-32s %-20s %-20s %-32s %s\n",
		    "DEVICE", "SERIAL", "DATE", "NOT AFTER", "RENEWS",
		    "REVOCATION");
	cmd_printf(v->ctx, "%-24s %-32s %-20s %-20s %-32s %s\n", r->device_id,
	    r->serial, when, until, r->renews[0] != '\0' ? r->renews : "-",
	    rev);
	return 0;
}

/* The records one reader gives, as a table or one JSON document. */
static int
cmd_prov_view(struct cmd_prov_view *v, int (*rd)(struct kr_store *,
    const char *, kr_prov_cb *, void *, struct kr_err *), const char *key)
{
	int	ret;

	if (v->json)
		cmd_json_list_begin(v->ctx, "keyrite-provision-list", "records");
	ret = rd(kr_appliance_store(v->ctx->app), key, cmd_prov_row, v,
	    &v->ctx->err);
	if (v->json && ret == KR_OK)
		cmd_json_list_end(v->ctx, v->n);
	return ret;
}

struct cmd_prov_list_opts {
	const char	*batch;
	bool		 json;
};

static const struct cmd_opt cmd_prov_list_options[] = {
	CMD_ROW_STR("batch", struct cmd_prov_list_opts, batch),
	CMD_ROW_FLAG("json", struct cmd_prov_list_opts, json),
	CMD_ROW_END
};

static int
cmd_prov_list_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_prov_list_opts	*o = opts;
	struct cmd_prov_view		 v = { ctx, o->json, 0 };
	int				 ret;

	if (o->batch == NULL)
		return cmd_usage_error(ctx, "give --batch ID (`provision batch` "
		    "prints it)");
	if ((ret = cmd_prov_view(&v, kr_store_prov_by_batch, o->batch)) !=
	    KR_OK)
		return ret;
	if (v.n == 0 && !o->json)
		return kr_err_set(&ctx->err, KR_ENOENT, "no device was "
		    "provisioned in batch %s", o->batch);
	return KR_OK;
}

const struct cmd_entry cmd_provision_list_entry = {
	.name = "provision list",
	.usage = "--batch ID [--json]",
	.summary = "list the devices of a provisioning batch",
	.help = "  --batch ID   the batch id `provision batch` printed\n"
	    "  --json       one JSON document, a record an object "
	    "(docs/formats.md)\n",
	.flags = CMD_STATE | CMD_NOARGS,
	.opts = cmd_prov_list_options,
	.opts_size = sizeof(struct cmd_prov_list_opts),
	.exec = cmd_prov_list_exec,
};

static int
cmd_prov_show_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_json_opts	*o = opts;
	struct cmd_prov_view	 v = { ctx, o->json, 0 };
	int			 ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "give one device id");
	if ((ret = cmd_prov_view(&v, kr_store_prov_by_device, argv[0])) !=
	    KR_OK)
		return ret;
	if (v.n == 0 && !o->json)
		return kr_err_set(&ctx->err, KR_ENOENT, "device %s was never "
		    "provisioned here", argv[0]);
	return KR_OK;
}

const struct cmd_entry cmd_provision_show_entry = {
	.name = "provision show",
	.usage = "DEVICE_ID [--json]",
	.summary = "show a device's provisioning records (and renewals)",
	.help = "  DEVICE_ID    the device id (the subject's serialNumber or CN;\n"
	    "               case is not told apart)\n"
	    "  --json       one JSON document, a record an object "
	    "(docs/formats.md)\n",
	.flags = CMD_STATE,
	.opts = cmd_json_options,
	.opts_size = sizeof(struct cmd_json_opts),
	.exec = cmd_prov_show_exec,
};
