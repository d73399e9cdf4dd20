/*
 * keyrite rotate root | rotate finish (docs/rotation.md)
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cmd_opt cmd_rotate_root_options[] = {
	CMD_ROW_STR("old", struct kr_rotate_req, old_key),
	CMD_ROW_STR("new", struct kr_rotate_req, new_key),
	CMD_ROW_UINT("overlap-days", struct kr_rotate_req, overlap_days, 1,
	    36525),
	CMD_ROW_STR("profile", struct kr_rotate_req, profile),
	CMD_ROW_STR("new-subject", struct kr_rotate_req, new_subject),
	CMD_ROW_STR("new-profile", struct kr_rotate_req, new_profile),
	CMD_ROW_UINT("new-days", struct kr_rotate_req, new_days, 1, 36525),
	CMD_ROW_STR("out-dir", struct kr_rotate_req, out_dir),
	CMD_ROW_FLAG("force", struct kr_rotate_req, force),
	CMD_ROW_FLAG("dry-run", struct kr_rotate_req, dry_run),
	CMD_ROW_END
};

static const struct cmd_opt cmd_rotate_finish_options[] = {
	CMD_ROW_STR("old", struct kr_rotate_req, old_key),
	CMD_ROW_STR("new", struct kr_rotate_req, new_key),
	CMD_ROW_STR("out-dir", struct kr_rotate_req, out_dir),
	CMD_ROW_FLAG("force", struct kr_rotate_req, force),
	CMD_ROW_FLAG("dry-run", struct kr_rotate_req, dry_run),
	CMD_ROW_REFUSED("overlap-days"),
	CMD_ROW_REFUSED("profile"),
	CMD_ROW_REFUSED("new-subject"),
	CMD_ROW_REFUSED("new-profile"),
	CMD_ROW_REFUSED("new-days"),
	CMD_ROW_END
};

static void
cmd_rotate_result(struct cmd_ctx *ctx, const struct kr_rotate_req *req,
    const struct kr_rotate_result *res, bool links)
{
	char	end[KR_TIME_STR_BYTES];
	size_t	i;

	if (res->pinset.n > 0)
		cmd_pinset_print(ctx, &res->pinset);
	if (req->dry_run) {
		cmd_printf(ctx, "Dry run: nothing was signed or recorded.\n");
		return;
	}
	if (res->audit_seq == 0)
		return;
	kr_time_format(res->overlap_end, end);
	if (links && req->new_subject != NULL)
		cmd_printf(ctx, "new root certificate: serial %s (key '%s')\n",
		    res->root_serial, req->new_key);
	if (links)
		cmd_printf(ctx, "link certificates: serial %s (by key '%s'), "
		    "serial %s (by key '%s')\noverlap ends: %s (then `keyrite "
		    "rotate finish --old %s --new %s`)\n", res->link_serial[0],
		    req->old_key, res->link_serial[1], req->new_key, end,
		    req->old_key, req->new_key);
	for (i = 0; i < res->nfiles; i++)
		cmd_printf(ctx, "Written: %s\n", res->files[i]);
	cmd_printf(ctx, "Recorded (last audit entry %lld).\n",
	    (long long)res->audit_seq);
}

static int
cmd_rotate_exec(struct cmd_ctx *ctx, struct kr_rotate_req *req, bool root)
{
	struct kr_rotate_result	res;
	int			ret;

	if (req->old_key == NULL || req->new_key == NULL)
		return cmd_usage_error(ctx, "--old KEY and --new KEY are "
		    "required");
	if (req->out_dir == NULL && !req->dry_run)
		return cmd_usage_error(ctx, "--out-dir DIR is required (or "
		    "--dry-run)");
	if ((req->new_profile != NULL || req->new_days != 0) &&
	    req->new_subject == NULL)
		return cmd_usage_error(ctx, "--new-profile and --new-days go "
		    "with --new-subject: the new root's certificate is made "
		    "only when its key has none");
	req->shares = ctx->q.shares;
	req->nshares = ctx->q.n;
	req->actor = ctx->actor;
	ret = root ? kr_authority_rotate_root(ctx->app, req, &ctx->src, &res,
	    &ctx->err) : kr_authority_rotate_finish(ctx->app, req, &ctx->src,
	    &res, &ctx->err);
	cmd_quorum_table(ctx, res.quorum[0]);
	cmd_quorum_table(ctx, res.quorum[1]);
	cmd_quorum_table(ctx, res.quorum[2]);
	if (ret == KR_OK)
		cmd_rotate_result(ctx, req, &res, root);
	cmd_note_kdf_profile(ctx);
	kr_rotate_result_free(&res);
	return ret;
}

static int
cmd_rotate_root_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_rotate_exec(ctx, opts, true);
}

static int
cmd_rotate_finish_exec(struct cmd_ctx *ctx, void *opts, int argc,
    char **argv)
{
	return cmd_rotate_exec(ctx, opts, false);
}

#define CMD_ROTATE_QUORUM_HELP \
	"  --share FILE       a custodian's share, once per custodian present:\n" \
	"                     all of one root's, then all of the other's\n" \
	"  --passphrase-fd N  one passphrase line per --share, in order\n" \
	"  --dry-run          show what would be signed; sign nothing\n" \
	"  --yes              do not ask `Proceed? [y/N]` at a terminal\n"

const struct cmd_entry cmd_rotate_root_entry = {
	.name = "rotate root",
	.usage = "--old KEY --new KEY [--new-subject DN [--new-profile NAME] "
	    "[--new-days D]] [--overlap-days N] [--profile NAME] [--force] "
	    "(--out-dir DIR | --dry-run) --share FILE... [--passphrase-fd N] "
	    "[--yes]",
	.summary = "link an old and a new root both ways and sign the "
	    "transition pin set with both",
	.help = "  --old KEY          the root in use (its root certificate "
	    "valid)\n"
	    "  --new KEY          the new root\n"
	    "  --new-subject DN   the new key has no root certificate: make it\n"
	    "                     here (root-NEW.pem), approved with the rest\n"
	    "  --new-profile NAME its profile (root)\n"
	    "  --new-days D       its validity in days (the profile's default)\n"
	    "  --overlap-days N   how long both roots are trusted (default 365)\n"
	    "  --profile NAME     the link certificates' profile (root-link)\n"
	    "  --force            the newest pin set trusts a third root whose\n"
	    "                     pin has not ended: drop it anyway, its\n"
	    "                     custodians' shares given too, as consent\n"
	    "  --out-dir DIR      where [root-NEW.pem,] link-OLD-to-NEW.pem,\n"
	    "                     link-NEW-to-OLD.pem,\n"
	    "                     pinset-N.json and its .1.sig, .2.sig go\n"
	    CMD_ROTATE_QUORUM_HELP,
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM |
	    CMD_NOARGS,
	.opts = cmd_rotate_root_options,
	.opts_size = sizeof(struct kr_rotate_req),
	.exec = cmd_rotate_root_exec,
};

const struct cmd_entry cmd_rotate_finish_entry = {
	.name = "rotate finish",
	.usage = "--old KEY --new KEY [--force] (--out-dir DIR | --dry-run) "
	    "--share FILE... [--passphrase-fd N] [--yes]",
	.summary = "sign the pin set that drops the old root once the overlap "
	    "has ended",
	.help = "  --old KEY          the root being dropped\n"
	    "  --new KEY          the root that stays (it signs the pin set)\n"
	    "  --force            before the overlap ends: needs the old root's\n"
	    "                     quorum as well, as consent\n"
	    "  --out-dir DIR      where pinset-N.json and pinset-N.json.1.sig go\n"
	    CMD_ROTATE_QUORUM_HELP,
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM |
	    CMD_NOARGS,
	.opts = cmd_rotate_finish_options,
	.opts_size = sizeof(struct kr_rotate_req),
	.exec = cmd_rotate_finish_exec,
};
