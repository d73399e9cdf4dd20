/*
 * keyrite export --to DIR | export verify DIR (docs/media.md): recorded
 * artifacts to removable media, and the check of such a folder on any
 * machine (no state folder).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "cli.h"

struct cmd_export_opts {
	const char	*to;
	bool		 all;
	const char	*key;
	const char	*ceremony;
	const char	*since;
	const char	*custodian;
	const char	*share_dir;
};

static const struct cmd_opt cmd_export_options[] = {
	CMD_ROW_STR("to", struct cmd_export_opts, to),
	CMD_ROW_FLAG("all", struct cmd_export_opts, all),
	CMD_ROW_STR("key", struct cmd_export_opts, key),
	CMD_ROW_STR("ceremony", struct cmd_export_opts, ceremony),
	CMD_ROW_STR("since", struct cmd_export_opts, since),
	CMD_ROW_STR("custodian", struct cmd_export_opts, custodian),
	CMD_ROW_STR("share-dir", struct cmd_export_opts, share_dir),
	CMD_ROW_END
};

/* YYYY-MM-DD, a real date: its midnight UTC. */
static int
cmd_export_date(struct cmd_ctx *ctx, const char *s, int64_t *out)
{
	int	y, m, d, n = 0;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) !=
	    3 || n != 10 || y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return cmd_usage_error(ctx, "--since wants a date as "
		    "YYYY-MM-DD, not '%s'", s);
	if (!kr_time_parse(s, KR_TIME_DAY, out))
		return cmd_usage_error(ctx, "--since: there is no day %s", s);
	return KR_OK;
}

static int
cmd_export_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_export_opts	*o = opts;
	struct kr_export_req	 req;
	struct kr_export_result	 res;
	int			 ret;

	(void)argv;
	if (argc != 0)
		return cmd_usage_error(ctx, "export takes no arguments; "
		    "`keyrite export verify DIR` checks an export");
	if (o->to == NULL)
		return cmd_usage_error(ctx, "say where the files go: --to DIR");
	memset(&req, 0, sizeof(req));
	req.dir = o->to;
	req.all = o->all;
	req.key = o->key;
	req.ceremony = o->ceremony;
	req.since_text = o->since;
	req.custodian = o->custodian;
	req.share_dir = o->share_dir;
	req.actor = ctx->actor;
	if (o->since != NULL && (ret = cmd_export_date(ctx, o->since,
	    &req.since)) != KR_OK)
		return ret;
	if (!o->all && o->key == NULL && o->ceremony == NULL &&
	    o->since == NULL && o->custodian == NULL)
		return cmd_usage_error(ctx, "say what to export: --all, or "
		    "--key NAME, --ceremony ID, --since YYYY-MM-DD, or "
		    "--custodian NAME --share-dir DIR");
	if ((o->custodian == NULL) != (o->share_dir == NULL))
		return cmd_usage_error(ctx, "--custodian NAME and --share-dir "
		    "DIR go together: the custodian's share files are in "
		    "DIR/NAME");
	if ((ret = kr_authority_export(ctx->app, &req, &res, &ctx->err)) !=
	    KR_OK)
		return ret;
	cmd_printf(ctx, "Exported to %s: %zu files (%zu certificates, %zu "
	    "CRLs, %zu signatures, %zu public keys, %zu OCSP responses, %zu "
	    "transcripts, %zu audit bundles, %zu share files), MANIFEST.json "
	    "and SHA256SUMS; audit entry %lld.\n", o->to, res.files,
	    res.certs, res.crls, res.sigs, res.pubkeys, res.ocsp,
	    res.transcripts, res.bundles, res.shares,
	    (long long)res.audit_seq);
	cmd_printf(ctx, "MANIFEST.json SHA-256: %s\n", res.manifest_sha256);
	cmd_printf(ctx, "Every file was read back and matches; the folder and "
	    "its file system are synced: safe to remove.\n");
	return KR_OK;
}

const struct cmd_entry cmd_export_entry = {
	.name = "export",
	.usage = "--to DIR (--all | [--key NAME] [--ceremony ID] "
	    "[--since YYYY-MM-DD]) [--custodian NAME --share-dir DIR]",
	.summary = "copy recorded public artifacts (certificates, CRLs, OCSP "
	    "responses, signatures, public keys, transcripts, audit "
	    "bundles) or a custodian's share files to removable media, with "
	    "MANIFEST.json and SHA256SUMS",
	.help = "  --to DIR            the folder on the medium (no file in "
	    "it is overwritten)\n"
	    "  --all               everything recorded\n"
	    "  --key NAME          what the key issued or signed, its "
	    "certificates and its public key\n"
	    "  --ceremony ID       what that ceremony's steps recorded, and "
	    "its transcripts\n"
	    "  --since YYYY-MM-DD  what was recorded from that day on (UTC)\n"
	    "  --custodian NAME    that custodian's own share files (from "
	    "DIR/NAME/*.share),\n"
	    "  --share-dir DIR     each checked against its custodian "
	    "record\n",
	.flags = CMD_STATE | CMD_WRITES,
	.opts = cmd_export_options,
	.opts_size = sizeof(struct cmd_export_opts),
	.exec = cmd_export_exec,
};

static int
cmd_export_verify_exec(struct cmd_ctx *ctx, void *opts, int argc,
    char **argv)
{
	struct kr_media_export_report	*r;
	size_t				 i;
	int				 ret;

	(void)opts;
	if (argc != 1)
		return cmd_usage_error(ctx, "name one export folder");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	ret = kr_authority_export_verify(argv[0], r, &ctx->err);
	if (r->manifest_sha256[0] != '\0')
		cmd_printf(ctx, "Export %s: %zu files listed, %zu match; "
		    "MANIFEST.json SHA-256 %s\n", argv[0], r->files,
		    r->files_ok, r->manifest_sha256);
	for (i = 0; i < r->nfailed && i < KR_MEDIA_VERIFY_SHOWN; i++)
		cmd_printf(ctx, "FAILED: %s\n", r->failed[i]);
	if (r->nfailed > KR_MEDIA_VERIFY_SHOWN)
		cmd_printf(ctx, "FAILED: ... and %zu more\n", r->nfailed -
		    KR_MEDIA_VERIFY_SHOWN);
	if (ret == KR_OK)
		cmd_printf(ctx, "Export verified: every file the manifest lists "
		    "is there with its size and SHA-256, nothing else is, and "
		    "SHA256SUMS agrees.\n");
	free(r);
	return ret;
}

const struct cmd_entry cmd_export_verify_entry = {
	.name = "export verify",
	.usage = "DIR",
	.summary = "check an export folder on any machine, with no state "
	    "folder: its files against MANIFEST.json and SHA256SUMS",
	.help = "",
	.flags = 0,
	.exec = cmd_export_verify_exec,
};
