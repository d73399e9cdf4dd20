/*
 * keyrite status: what this appliance is and how it stands.
 */
#include <string.h>

#include "cli.h"

static int
cmd_status_count_key(const struct kr_key_rec *k, void *arg)
{
	size_t	*n = arg;

	if (strcmp(k->state, "active") == 0)
		(*n)++;
	return 0;
}

struct cmd_status_rev {
	struct cmd_ctx	*ctx;
	size_t		 shown;
	int		 status;
};

/* A key held here whose own certificate is revoked or on hold. */
static int
cmd_status_rev_key(const struct kr_key_rec *k, void *arg)
{
	struct cmd_status_rev	*sr = arg;
	struct kr_rev_status	 rs;
	char			 rev[96];

	if ((sr->status = kr_authority_key_status(sr->ctx->app, k, &rs,
	    &sr->ctx->err)) != KR_OK)
		return sr->status;
	if (rs.state == KR_REV_NONE)
		return 0;
	kr_rev_status_format(&rs, rev, sizeof(rev));
	cmd_printf(sr->ctx, "%s%s: certificate %s %s; %s\n", sr->shown++ == 0 ?
	    "revoked keys:    " : "                 ", k->name, rs.serial, rev,
	    kr_rev_status_standing(&rs, k->purpose));
	return 0;
}

static int
cmd_status_revoked(struct cmd_ctx *ctx)
{
	struct cmd_status_rev	sr = { ctx, 0, KR_OK };
	int			ret;

	ret = kr_store_key_foreach(kr_appliance_store(ctx->app),
	    cmd_status_rev_key, &sr, &ctx->err);
	if (sr.status != KR_OK)
		return sr.status;
	if (ret == KR_OK && sr.shown == 0)
		cmd_printf(ctx, "revoked keys:    none (no key's certificate is "
		    "revoked or on hold)\n");
	return ret;
}

static void
cmd_status_hardening(struct cmd_ctx *ctx)
{
	const struct kr_hardening	*h = ctx->hardening;

	cmd_printf(ctx, "self-tests:      %zu known-answer tests passed\n",
	    kr_selftest_count());
	if (h == NULL)
		return;
	cmd_printf(ctx, "core dumps:      %s\n", h->core_off ? "off" : "ON");
	cmd_printf(ctx, "memory locked:   %s\n", h->locked ? "yes" :
	    "NO (see the warning when secrets are handled)");
}

static int
cmd_status_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct kr_store			*st = kr_appliance_store(ctx->app);
	const struct kr_replay_report	*rp;
	struct kr_audit_report		 rep;
	char				 id[64], when[KR_TIME_STR_BYTES];
	char				 head[2 * KR_AUDIT_HASH_BYTES + 1];
	int64_t				 newest;
	size_t				 keys = 0;
	int				 ret;

	if ((ret = kr_store_meta_get(st, "appliance_id", id, sizeof(id),
	    &ctx->err)) != KR_OK ||
	    (ret = kr_store_key_foreach(st, cmd_status_count_key, &keys,
	    &ctx->err)) != KR_OK ||
	    (ret = kr_store_audit_newest(st, &newest, &ctx->err)) != KR_OK)
		return ret;
	cmd_printf(ctx, "state folder:    %s\n", kr_appliance_dir(ctx->app));
	cmd_printf(ctx, "appliance id:    %s\n", id);
	cmd_printf(ctx, "kdf profile:     %s%s\n",
	    kr_appliance_kdf_profile(ctx->app), kr_appliance_is_test(ctx->app) ?
	    " (TEST ONLY: share files are cheap to attack)" : "");
	cmd_printf(ctx, "active keys:     %zu\n", keys);
	if ((ret = cmd_status_revoked(ctx)) != KR_OK)
		return ret;
	ret = kr_authority_audit_replay(ctx->app, &rep, &rp, &ctx->err);
	kr_hex_encode(head, rep.head, sizeof(rep.head));
	kr_time_format(newest, when);
	cmd_printf(ctx, "audit chain:     %lld rows, %s, newest %s\n",
	    (long long)rep.rows, rep.first_bad != 0 ? "BROKEN" : "intact",
	    when);
	cmd_printf(ctx, "records:         %s\n", ret == KR_OK ?
	    "every record matches the chain" : "DAMAGED: records do not "
	    "match the chain (`keyrite audit verify` lists them)");
	if (ret == KR_OK)
		cmd_printf(ctx, "audit head:      %s\n", head);
	cmd_status_hardening(ctx);
	return ret;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "",
	.summary = "show the appliance, its KDF profile, keys and audit chain",
	.help = "",
	.flags = CMD_STATE | CMD_NOARGS,
	.exec = cmd_status_exec,
};
