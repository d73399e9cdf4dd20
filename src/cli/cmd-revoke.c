/*
 * keyrite revoke
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* "2026-11-20", "2026-11-20T10:00:00Z" -> Unix time (UTC). */
static int
cmd_parse_time(struct cmd_ctx *ctx, const char *opt, const char *s,
    int64_t *out)
{
	if (!kr_time_parse(s, KR_TIME_DAY | KR_TIME_SECOND, out))
		return cmd_usage_error(ctx, "%s wants a UTC time such as "
		    "2026-11-20 or 2026-11-20T10:00:00Z, not '%.40s'", opt, s);
	return KR_OK;
}

struct cmd_revoke_opts {
	struct kr_revoke_req	 req;
	const char		*reason;
};

static int
cmd_revoke_opt_date(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct cmd_revoke_opts	*o = opts;

	return cmd_parse_time(ctx, "--invalidity-date", arg,
	    &o->req.invalidity);
}

static const struct cmd_opt cmd_revoke_options[] = {
	CMD_ROW_STR("issuer-key", struct cmd_revoke_opts, req.issuer_key),
	CMD_ROW_STR("serial", struct cmd_revoke_opts, req.serial),
	CMD_ROW_STR("reason", struct cmd_revoke_opts, reason),
	CMD_ROW_CALL("invalidity-date", cmd_revoke_opt_date),
	CMD_ROW_FLAG("lift-hold", struct cmd_revoke_opts, req.lift_hold),
	CMD_ROW_END
};

static int
cmd_revoke_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_revoke_opts	*o = opts;
	struct kr_revoke_req	*req = &o->req;
	struct kr_revoke_result	 res;
	int			 ret;

	if (req->issuer_key == NULL || req->serial == NULL ||
	    (o->reason == NULL) != req->lift_hold)
		return cmd_usage_error(ctx, "--issuer-key, --serial and either "
		    "--reason or --lift-hold are required");
	if (o->reason != NULL &&
	    kr_reason_from_name(o->reason, &req->reason) != KR_OK)
		return cmd_usage_error(ctx, "unknown reason '%s': use "
		    "unspecified, keyCompromise, cACompromise, "
		    "affiliationChanged, superseded, cessationOfOperation, "
		    "certificateHold, privilegeWithdrawn or aACompromise",
		    o->reason);
	req->actor = ctx->actor;
	if ((ret = kr_authority_revoke(ctx->app, req, &res, &ctx->err)) !=
	    KR_OK)
		return ret;
	if (req->lift_hold)
		cmd_printf(ctx, "Lifted the hold on %s (%s): it leaves the next "
		    "base CRL and shows as removeFromCRL in the next delta "
		    "(audit entry %lld).\n", res.serial, res.subject,
		    (long long)res.audit_seq);
	else
		cmd_printf(ctx, "Revoked %s (%s), reason %s (audit entry %lld).\n"
		    "It is listed from the next `keyrite crl publish --issuer-key "
		    "%s`.\n", res.serial, res.subject, o->reason,
		    (long long)res.audit_seq, req->issuer_key);
	return KR_OK;
}

const struct cmd_entry cmd_revoke_entry = {
	.name = "revoke",
	.usage = "--issuer-key NAME --serial HEX (--reason REASON "
	    "[--invalidity-date TIME] | --lift-hold)",
	.summary = "record the revocation of a certificate a key issued",
	.help = "  --issuer-key NAME  the CA key that issued the certificate\n"
	    "  --serial HEX       its serial, as `openssl x509 -serial` prints it\n"
	    "  --reason REASON    unspecified (no reason code), keyCompromise,\n"
	    "                     cACompromise, affiliationChanged, superseded,\n"
	    "                     cessationOfOperation, certificateHold,\n"
	    "                     privilegeWithdrawn, aACompromise\n"
	    "  --invalidity-date TIME  when the key was (suspected to be)\n"
	    "                     compromised: 2026-11-20 or 2026-11-20T10:00:00Z\n"
	    "  --lift-hold        lift a certificateHold (only that reason lifts)\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_NOARGS,
	.opts = cmd_revoke_options,
	.opts_size = sizeof(struct cmd_revoke_opts),
	.exec = cmd_revoke_exec,
};
