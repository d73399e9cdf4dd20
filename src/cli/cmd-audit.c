/*
 * keyrite audit verify [--bundle DIR] | export | show | clock-recover
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The signed approvals: rows named, unsigned ones noted, a count. */
static void
cmd_audit_verify_approvals(struct cmd_ctx *ctx,
    const struct kr_approval_report *ap)
{
	size_t	i;

	for (i = 0; i < ap->bad_shown; i++)
		cmd_printf(ctx, "approval problem: %s\n", ap->bad[i]);
	if (ap->bad_rows > (int64_t)ap->bad_shown)
		cmd_printf(ctx, "... and %lld more approval problems\n",
		    (long long)(ap->bad_rows - (int64_t)ap->bad_shown));
	for (i = 0; i < ap->unsigned_shown; i++)
		cmd_printf(ctx, "unsigned approvals: %s\n",
		    ap->unsigned_note[i]);
	if (ap->signed_rows + ap->unsigned_rows + ap->bad_rows > 0)
		cmd_printf(ctx, "approvals: %lld row%s signed by every "
		    "approver, %lld with unsigned approvals, %lld not backed "
		    "by their signatures\n", (long long)ap->signed_rows,
		    ap->signed_rows == 1 ? "" : "s",
		    (long long)ap->unsigned_rows, (long long)ap->bad_rows);
}

/* The head as a witness reads it aloud: two lines of 16 pairs. */
static void
cmd_audit_head(struct cmd_ctx *ctx, const char *label, const uint8_t *head)
{
	char	a[KR_HEX_COLONS_BYTES(16, 0)], b[KR_HEX_COLONS_BYTES(16, 0)];

	if (kr_hex_colons(a, sizeof(a), head, 16, 0, "") &&
	    kr_hex_colons(b, sizeof(b), head + 16, 16, 0, ""))
		cmd_printf(ctx, "%s\n        %s\n        %s\n", label, a, b);
}

static int
cmd_audit_bundle_verify(struct cmd_ctx *ctx, const char *dir)
{
	struct kr_bundle_check	*c;
	char			 hex[65];
	size_t			 i;
	int			 ret;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	ret = kr_authority_audit_bundle_verify(dir, c, &ctx->err);
	for (i = 0; i < c->shown; i++)
		cmd_printf(ctx, "bundle problem: %s\n", c->problem[i]);
	if (c->problems > (int64_t)c->shown)
		cmd_printf(ctx, "... and %lld more problems\n",
		    (long long)(c->problems - (int64_t)c->shown));
	if (ret == KR_OK) {
		kr_hex_encode(hex, c->manifest_sha256, 32);
		cmd_printf(ctx, "audit bundle intact: %lld rows, records "
		    "match the chain: %lld replayed\nMANIFEST SHA-256 %s\n",
		    (long long)c->rows, (long long)c->records, hex);
		cmd_audit_head(ctx, "head (the hash of the last row):",
		    c->head);
	}
	if (ret == KR_OK || ret == KR_EVERIFY)
		cmd_audit_verify_approvals(ctx, &c->approvals);
	free(c);
	return ret;
}

struct cmd_audit_verify_opts {
	const char	*bundle;
};

static const struct cmd_opt cmd_audit_verify_options[] = {
	CMD_ROW_STR("bundle", struct cmd_audit_verify_opts, bundle),
	CMD_ROW_END
};

static int
cmd_audit_verify_exec(struct cmd_ctx *ctx, void *opts, int argc,
    char **argv)
{
	struct cmd_audit_verify_opts	*o = opts;
	const struct kr_replay_report	*rp;
	struct kr_audit_report		 rep;
	char				 head[2 * KR_AUDIT_HASH_BYTES + 1];
	size_t				 i;
	int				 ret;

	if (o->bundle != NULL)
		return cmd_audit_bundle_verify(ctx, o->bundle);
	ret = kr_authority_audit_replay(ctx->app, &rep, &rp, &ctx->err);
	for (i = 0; i < rp->shown; i++)
		cmd_printf(ctx, "record problem: %s\n", rp->problem[i]);
	if (rp->problems > (int64_t)rp->shown)
		cmd_printf(ctx, "... and %lld more record problems\n",
		    (long long)(rp->problems - (int64_t)rp->shown));
	if (ret != KR_OK) {
		cmd_audit_verify_approvals(ctx, kr_appliance_approvals(ctx->app));
		return ret;
	}
	kr_hex_encode(head, rep.head, sizeof(rep.head));
	cmd_printf(ctx, "audit chain intact: %lld rows, head %s\n",
	    (long long)rep.rows, head);
	cmd_printf(ctx, "records match the chain: %lld rows replayed\n",
	    (long long)rp->records);
	cmd_audit_verify_approvals(ctx, kr_appliance_approvals(ctx->app));
	return KR_OK;
}

const struct cmd_entry cmd_audit_verify_entry = {
	.name = "audit verify",
	.usage = "[--bundle DIR]",
	.summary = "recompute the audit hash chain and replay it against "
	    "every record",
	.help = "Checks every link of the audit chain, then every record the "
	    "database holds\n(keys, share sets, custodians, tokens, "
	    "certificates, revocations, CRLs,\nOCSP responses, signatures, "
	    "settings) against the audit row that made or\nlast changed it, "
	    "and names each row that was changed, added or deleted, and "
	    "checks every\ncustodian's approval signature against the "
	    "approval key recorded for them.\n"
	    "  --bundle DIR  check an audit bundle (`keyrite audit export`) "
	    "instead, on\n                its own: no state folder is "
	    "opened or needed\n"
	    "Exit status: 0 intact, 1 a row was changed, removed or "
	    "reordered.\n",
	.flags = CMD_STATE | CMD_NOARGS,
	.nostate = "bundle",
	.opts = cmd_audit_verify_options,
	.opts_size = sizeof(struct cmd_audit_verify_opts),
	.exec = cmd_audit_verify_exec,
};

struct cmd_audit_export_opts {
	const char	*out;
};

static const struct cmd_opt cmd_audit_export_options[] = {
	CMD_ROW_STR("out", struct cmd_audit_export_opts, out),
	CMD_ROW_END
};

static int
cmd_audit_export_exec(struct cmd_ctx *ctx, void *opts, int argc,
    char **argv)
{
	struct cmd_audit_export_opts	*o = opts;
	struct kr_audit_export_req	 req;
	struct kr_audit_export_result	 res;
	char				 hex[65];
	int				 ret;

	if (o->out == NULL)
		return kr_err_set(&ctx->err, KR_EUSAGE, "give the folder to "
		    "make with --out DIR");
	req.out = o->out;
	req.actor = ctx->actor;
	if ((ret = kr_authority_audit_export(ctx->app, &req, &res,
	    &ctx->err)) != KR_OK)
		return ret;
	kr_hex_encode(hex, res.manifest_sha256, 32);
	cmd_printf(ctx, "Exported the audit chain (rows 1 to %lld) and the "
	    "records it binds to %s: %zu files.\nMANIFEST SHA-256 %s\n",
	    (long long)res.rows, o->out, res.files, hex);
	cmd_audit_head(ctx, "head (the hash of the last row):", res.head);
	cmd_printf(ctx, "Recorded as audit row %lld (audit.export), which "
	    "the bundle does not hold.\n", (long long)res.seq);
	return KR_OK;
}

const struct cmd_entry cmd_audit_export_entry = {
	.name = "audit export",
	.usage = "--out DIR",
	.summary = "write the audit chain and the public records it binds to "
	    "a folder",
	.help = "Writes every audit row and every record the chain binds "
	    "(public parts only:\nno sealed key, share or PIN file) to a new "
	    "folder DIR, with bundle.json and\na MANIFEST of SHA-256 sums "
	    "(docs/audit-bundle.md), then records the export\nas an "
	    "audit.export row. Check it anywhere with `keyrite audit verify "
	    "--bundle DIR`.\n"
	    "  --out DIR   the folder to make: outside the state folder, not "
	    "existing yet\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_NOARGS,
	.opts = cmd_audit_export_options,
	.opts_size = sizeof(struct cmd_audit_export_opts),
	.exec = cmd_audit_export_exec,
};

struct cmd_audit_show {
	struct cmd_ctx	*ctx;
	bool		 json;
	size_t		 n;
};

static int
cmd_audit_show_json(struct cmd_audit_show *sh, const struct kr_audit_rec *r,
    const char *when)
{
	struct kr_json	 j;
	const char	*end = kr_js_skip(r->payload, 0);

	kr_json_begin(&j);
	kr_json_int(&j, "seq", r->seq);
	kr_json_str(&j, "time", when);
	kr_json_str(&j, "actor", r->actor);
	kr_json_str(&j, "event", r->event);
	/* A payload that is not one JSON value (an edited row): as text. */
	if (end != NULL && *end == '\0')
		kr_json_raw(&j, "payload", r->payload);
	else
		kr_json_str(&j, "payload_text", r->payload);
	kr_json_hex(&j, "prev_hash", r->prev_hash, sizeof(r->prev_hash));
	kr_json_hex(&j, "hash", r->hash, sizeof(r->hash));
	return cmd_json_list_item(sh->ctx, &sh->n, &j);
}

/*
 * cmd_printf escapes the row's text in full: a tampered row cannot smuggle
 * controls or forged lines to the auditor.
 */
static int
cmd_audit_show_row(const struct kr_audit_rec *r, void *arg)
{
	struct cmd_audit_show	*sh = arg;
	struct kr_buf		 b;
	char			 when[KR_TIME_STR_BYTES];
	char			 hash[2 * KR_AUDIT_HASH_BYTES + 1];

	kr_time_format(r->time, when);
	if (sh->json)
		return cmd_audit_show_json(sh, r, when);
	kr_hex_encode(hash, r->hash, sizeof(r->hash));
	kr_buf_init(&b, false);
	kr_audit_payload_text(r->payload, &b);
	cmd_printf(sh->ctx, "%6lld  %s  %-16s by %s\n        %s\n        hash "
	    "%s\n", (long long)r->seq, when, r->event, r->actor, b.failed ?
	    r->payload : (const char *)b.p, hash);
	kr_buf_free(&b);
	return 0;
}

struct cmd_audit_show_opts {
	unsigned	since;
	bool		json;
};

static const struct cmd_opt cmd_audit_show_options[] = {
	CMD_ROW_UINT("since", struct cmd_audit_show_opts, since, 0,
	    2000000000U),
	CMD_ROW_FLAG("json", struct cmd_audit_show_opts, json),
	CMD_ROW_END
};

static int
cmd_audit_show_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_audit_show_opts	*o = opts;
	struct cmd_audit_show		 sh = { ctx, o->json, 0 };
	int				 ret;

	if (o->json)
		cmd_json_list_begin(ctx, "keyrite-audit-show", "rows");
	ret = kr_store_audit_foreach(kr_appliance_store(ctx->app),
	    (int64_t)o->since, cmd_audit_show_row, &sh, &ctx->err);
	if (o->json && ret == KR_OK)
		cmd_json_list_end(ctx, sh.n);
	return ret;
}

const struct cmd_entry cmd_audit_show_entry = {
	.name = "audit show",
	.usage = "[--since SEQ] [--json]",
	.summary = "print the audit log (sequence, time, event, actor, payload)",
	.help = "  --since SEQ   start at row SEQ (default: the first row)\n"
	    "  --json        one JSON document, a row an object, its payload "
	    "as recorded\n                (docs/formats.md)\n",
	.flags = CMD_STATE | CMD_NOARGS,
	.opts = cmd_audit_show_options,
	.opts_size = sizeof(struct cmd_audit_show_opts),
	.exec = cmd_audit_show_exec,
};

static int
cmd_audit_clock_recover_exec(struct cmd_ctx *ctx, void *opts, int argc,
    char **argv)
{
	const struct cmd_key_opts	*o = opts;
	struct kr_clock_recover_req	 req;
	struct kr_clock_recover_result	 res;
	char				 when[KR_TIME_STR_BYTES];
	int				 ret;

	if ((ret = cmd_key_quorum_check(ctx, o)) != KR_OK)
		return ret;
	memset(&req, 0, sizeof(req));
	req.key = o->key;
	req.shares = ctx->q.shares;
	req.nshares = ctx->q.n;
	req.confirm_date = ctx->confirm_date;
	req.actor = ctx->actor;
	ret = kr_authority_clock_recover(ctx->app, &req, &ctx->src, &res,
	    &ctx->err);
	cmd_quorum_table(ctx, res.quorum);
	kr_quorum_report_free(&res.quorum);
	if (ret != KR_OK)
		return ret;
	kr_time_format(res.future_time, when);
	cmd_printf(ctx, "Recovered: audit row %lld records that the clock is "
	    "right and that row %lld (dated %s) was made with a clock set "
	    "ahead; approved by %s.\n", (long long)res.audit_seq,
	    (long long)res.future_seq, when, res.approvers);
	return KR_OK;
}

const struct cmd_entry cmd_audit_clock_recover_entry = {
	.name = "audit clock-recover",
	.usage = "--confirm-date YYYY-MM-DD --key NAME --share FILE ... "
	    "[--passphrase-fd N]",
	.summary = "bring back a state folder whose newest audit entry is "
	    "dated in the future",
	.help = "When a command once ran with the clock set ahead, every "
	    "later command is\nrefused as earlier than the newest entry. "
	    "Check the clock against a trusted\nsource, then a quorum of a "
	    "sealed key's custodians records one row, dated\nnow, naming the "
	    "future entry. Nothing in the database is edited.\n"
	    "  --confirm-date D   today's date as the clock shows it "
	    "(required)\n"
	    "  --key NAME         an active key sealed in a file, whose "
	    "quorum approves\n"
	    "  --share FILE       once per custodian present\n"
	    "  --passphrase-fd N  read the passphrases from descriptor N, "
	    "one per line\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_CLOCK | CMD_QUORUM |
	    CMD_NOARGS,
	.opts = cmd_key_options,
	.opts_size = sizeof(struct cmd_key_opts),
	.exec = cmd_audit_clock_recover_exec,
};
