/*
 * keyrite backup, restore: a consistent copy of the state folder and a
 * new state folder made from one, with the fork guard
 * (docs/operations.md).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cmd_backup_opts {
	const char	*to;
};

static const struct cmd_opt cmd_backup_options[] = {
	CMD_ROW_STR("to", struct cmd_backup_opts, to),
	CMD_ROW_END
};

static int
cmd_backup_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_backup_opts	*o = opts;
	struct kr_backup_req	 req = { NULL, NULL };
	struct kr_backup_result	 res;
	int			 ret;

	(void)argc;
	(void)argv;
	if (o->to == NULL)
		return cmd_usage_error(ctx, "give --to DIR: a new folder on the "
		    "backup medium");
	req.to = o->to;
	req.actor = ctx->actor;
	if ((ret = kr_authority_backup(ctx->app, &req, &res, &ctx->err)) !=
	    KR_OK)
		return ret;
	cmd_printf(ctx, "Backed up %s to %s: %zu files, %llu bytes.\n",
	    kr_appliance_dir(ctx->app), o->to, res.files,
	    (unsigned long long)res.bytes);
	cmd_printf(ctx, "audit head in the copy: %s (%lld rows)\n", res.head,
	    (long long)res.rows);
	cmd_printf(ctx, "MANIFEST SHA-256:       %s\n", res.manifest_sha256);
	cmd_printf(ctx, "keys held:              %s\n", res.keys[0] != '\0' ?
	    res.keys : "none");
	cmd_printf(ctx, "Recorded as audit row %lld. The sealed key and PIN "
	    "files in it open only with their quorums; keep the medium "
	    "locked away from the shares (docs/operations.md).\n",
	    (long long)res.audit_seq);
	return KR_OK;
}

const struct cmd_entry cmd_backup_entry = {
	.name = "backup",
	.usage = "--to DIR",
	.summary = "copy the state folder, consistently, to a new folder",
	.help = "  --to DIR   a new folder (outside the state folder) that "
	    "gets the copy:\n"
	    "             the database, sealed key and PIN files, policy, "
	    "CRLs, MANIFEST\n"
	    "Recorded as a \"backup\" row naming the audit head the copy "
	    "holds.\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_NOARGS,
	.opts = cmd_backup_options,
	.opts_size = sizeof(struct cmd_backup_opts),
	.exec = cmd_backup_exec,
};

struct cmd_restore_opts {
	const char	*from;
	const char	*to;
	const char	*expect;
	const char	*key;
	bool		 approve;
};

static const struct cmd_opt cmd_restore_options[] = {
	CMD_ROW_STR("from", struct cmd_restore_opts, from),
	CMD_ROW_STR("to", struct cmd_restore_opts, to),
	CMD_ROW_STR("expect-head", struct cmd_restore_opts, expect),
	CMD_ROW_STR("key", struct cmd_restore_opts, key),
	CMD_ROW_FLAG("approve-rollback", struct cmd_restore_opts, approve),
	CMD_ROW_END
};

static int
cmd_restore_check(struct cmd_ctx *ctx, const struct cmd_restore_opts *o)
{
	if (o->from == NULL || o->to == NULL)
		return cmd_usage_error(ctx, "give --from BACKUP-DIR and --to "
		    "NEW-STATE-DIR");
	if (o->approve && (o->key == NULL || ctx->q.n == 0))
		return cmd_usage_error(ctx, "--approve-rollback needs --key "
		    "NAME and the --share of each custodian present");
	if (!o->approve && (o->key != NULL || ctx->q.n > 0))
		return cmd_usage_error(ctx, "--key and --share approve a "
		    "rollback: give them with --approve-rollback");
	return KR_OK;
}

static int
cmd_restore_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_restore_opts		*o = opts;
	struct kr_restore_req		 req;
	struct kr_restore_result	 res;
	int				 ret;

	(void)argc;
	(void)argv;
	if ((ret = cmd_restore_check(ctx, o)) != KR_OK)
		return ret;
	memset(&req, 0, sizeof(req));
	req.from = o->from;
	req.to = o->to;
	req.expect_head = o->expect;
	req.approve_rollback = o->approve;
	req.key = o->key;
	req.shares = ctx->q.shares;
	req.nshares = ctx->q.n;
	req.confirm_date = ctx->confirm_date;
	req.actor = ctx->actor;
	ret = kr_authority_restore(&req, &ctx->src, &res, &ctx->err);
	if (res.quorum != NULL)
		cmd_quorum_table(ctx, res.quorum);
	kr_quorum_report_free(&res.quorum);
	if (ret != KR_OK)
		return ret;
	cmd_printf(ctx, "Restored %s to the new state folder %s: %zu files "
	    "checked against the MANIFEST, the chain (%lld rows, head %s) and "
	    "every record against it.\n", o->from, o->to, res.files,
	    (long long)res.rows, res.head);
	if (res.rollback)
		cmd_printf(ctx, "ROLLBACK: the copy does not hold the expected "
		    "head %s; approved by %s and recorded as audit row %lld "
		    "(restore.rollback). Before publishing a CRL, read "
		    "docs/operations.md, after a rollback.\n", o->expect,
		    res.approvers, (long long)res.audit_seq);
	else
		cmd_printf(ctx, "The copy holds the expected head; recorded as "
		    "audit row %lld (restore).\n", (long long)res.audit_seq);
	cmd_printf(ctx, "Next: keyrite -C %s status, then retire the folder "
	    "this copy replaces so that only one state folder signs.\n", o->to);
	return KR_OK;
}

const struct cmd_entry cmd_restore_entry = {
	.name = "restore",
	.usage = "--from DIR --to NEWSTATE --expect-head HEX "
	    "[--approve-rollback --key NAME --share FILE ... "
	    "[--passphrase-fd N]]",
	.summary = "make a new state folder from a backup, with the fork guard",
	.help = "  --from DIR          the backup folder (keyrite backup --to)\n"
	    "  --to NEWSTATE       the new state folder (must not exist)\n"
	    "  --expect-head HEX   the newest audit head known outside the "
	    "appliance\n"
	    "                      (transcript, audit export, status "
	    "printout); required\n"
	    "  --approve-rollback  the copy does not hold that head: a quorum "
	    "of --key's\n"
	    "                      custodians approves going back to it "
	    "(recorded)\n"
	    "  --key NAME          an active sealed CA key of the copy\n"
	    "  --share FILE        once per custodian present\n"
	    "  --passphrase-fd N   read the passphrases from descriptor N\n",
	.flags = CMD_SECRETS | CMD_QUORUM | CMD_NOARGS,
	.opts = cmd_restore_options,
	.opts_size = sizeof(struct cmd_restore_opts),
	.exec = cmd_restore_exec,
};

/* ---- import --from DIR, import list -------------------------------------- */

struct cmd_import_files_opts {
	const char	*from;
};

static const struct cmd_opt cmd_import_files_options[] = {
	CMD_ROW_STR("from", struct cmd_import_files_opts, from),
	CMD_ROW_END
};

static int
cmd_import_files_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_import_files_opts	*o = opts;
	struct kr_intake_req		 req;
	struct kr_intake_result		 res;
	int				 ret;

	(void)argc;
	(void)argv;
	if (o->from == NULL)
		return cmd_usage_error(ctx, "give --from DIR: the folder on the "
		    "medium holding the job's inputs");
	req.from = o->from;
	req.actor = ctx->actor;
	if ((ret = kr_authority_import_files(ctx->app, &req, &res,
	    &ctx->err)) != KR_OK)
		return ret;
	cmd_printf(ctx, "Imported %zu files (%llu bytes) from %s into %s "
	    "(audit row %lld, import.files).\n", res.files,
	    (unsigned long long)res.bytes, o->from, res.dir,
	    (long long)res.audit_seq);
	cmd_printf(ctx, "Name them by that path in commands and ceremony "
	    "scripts; `keyrite import list` shows them.\n");
	return KR_OK;
}

const struct cmd_entry cmd_import_files_entry = {
	.name = "import",
	.usage = "--from DIR",
	.summary = "bring a job's inputs (CSRs, images, manifests, CRLs, "
	    "index.txt) in from a medium",
	.help = "  --from DIR   the folder on the medium; every file in it is "
	    "checked first\n"
	    "               (type, size, parsed), then all are copied into "
	    "STATE/intake/ID/\n"
	    "A symbolic link, device, FIFO, sub-folder or unknown type "
	    "refuses the whole\nimport, naming the file.\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_NOARGS,
	.opts = cmd_import_files_options,
	.opts_size = sizeof(struct cmd_import_files_opts),
	.exec = cmd_import_files_exec,
};

struct cmd_import_list {
	struct cmd_ctx	*ctx;
	size_t		 bad;
};

static int
cmd_import_list_row(const struct kr_intake_file *f, void *arg)
{
	struct cmd_import_list	*l = arg;

	cmd_printf(l->ctx, "%-20s %-14s %10llu  %s  %s%s\n", f->id, f->type,
	    (unsigned long long)f->size, f->sha256, f->path, f->recorded ? "" :
	    "  (NOT AS RECORDED: no import.files row names this file with "
	    "this SHA-256)");
	l->bad += !f->recorded;
	return 0;
}

static int
cmd_import_list_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_import_list	l = { ctx, 0 };
	int			ret;

	(void)opts;
	(void)argc;
	(void)argv;
	cmd_printf(ctx, "%-20s %-14s %10s  %-64s  %s\n", "IMPORT", "TYPE",
	    "BYTES", "SHA-256", "PATH");
	if ((ret = kr_authority_intake_list(ctx->app, cmd_import_list_row, &l,
	    &ctx->err)) != KR_OK)
		return ret;
	if (l.bad > 0)
		return kr_err_set(&ctx->err, KR_EVERIFY, "%zu file%s in the "
		    "intake %s not as %s import recorded (marked above): "
		    "do not use %s (keyrite refuses to sign %s); import again "
		    "from the medium", l.bad, l.bad == 1 ? "" : "s",
		    l.bad == 1 ? "is" : "are", l.bad == 1 ? "its" : "their",
		    l.bad == 1 ? "it" : "them", l.bad == 1 ? "it" : "them");
	return KR_OK;
}

const struct cmd_entry cmd_import_list_entry = {
	.name = "import list",
	.usage = "",
	.summary = "list the files in the intake area, checked against their "
	    "record",
	.help = "",
	.flags = CMD_STATE | CMD_NOARGS,
	.opts = NULL,
	.opts_size = 0,
	.exec = cmd_import_list_exec,
};
