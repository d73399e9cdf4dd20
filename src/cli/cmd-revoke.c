/*
 * keyrite revoke
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* "2026-11-20", "2026-11-20T10:00:00Z" -> Unix time (UTC). */
static int
cmd_parse_time(struct cmd_ctx *ctx, const char *opt, const char *s,
    int64_t *out)
{
	struct tm	tm;
	const char	*end;
	time_t		t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0') {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (end == NULL || *end != '\0' || (t = timegm(&tm)) == (time_t)-1)
		return cmd_usage_error(ctx, "%s wants a UTC time such as "
		    "2026-11-20 or 2026-11-20T10:00:00Z, not '%.40s'", opt, s);
	*out = (int64_t)t;
	return KR_OK;
}

static int
cmd_revoke_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "issuer-key", required_argument, NULL, 'k' },
		{ "serial", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'r' },
		{ "invalidity-date", required_argument, NULL, 'i' },
		{ "lift-hold", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	struct kr_revoke_req	req;
	struct kr_revoke_result	res;
	const char		*reason = NULL;
	int			 c, ret;

	memset(&req, 0, sizeof(req));
	optind = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, opts, NULL)) != -1) {
		switch (c) {
		case 'k': req.issuer_key = optarg; break;
		case 's': req.serial = optarg; break;
		case 'r': reason = optarg; break;
		case 'l': req.lift_hold = true; break;
		case 'i':
			if ((ret = cmd_parse_time(ctx, "--invalidity-date",
			    optarg, &req.invalidity)) != KR_OK)
				return ret;
			break;
		default:
			return cmd_bad_option(ctx, c, argv);
		}
	}
	if (optind != argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[optind]);
	if (req.issuer_key == NULL || req.serial == NULL ||
	    (reason == NULL) != req.lift_hold)
		return cmd_usage_error(ctx, "--issuer-key, --serial and either "
		    "--reason or --lift-hold are required");
	if (reason != NULL && kr_reason_from_name(reason, &req.reason) != KR_OK)
		return cmd_usage_error(ctx, "unknown reason '%s': use "
		    "unspecified, keyCompromise, cACompromise, "
		    "affiliationChanged, superseded, cessationOfOperation, "
		    "certificateHold, privilegeWithdrawn or aACompromise",
		    reason);
	req.actor = ctx->actor;
	if ((ret = kr_authority_revoke(ctx->app, &req, &res, &ctx->err)) !=
	    KR_OK)
		return ret;
	if (req.lift_hold)
		cmd_printf(ctx, "Lifted the hold on %s (%s): it leaves the next "
		    "base CRL and shows as removeFromCRL in the next delta "
		    "(audit entry %lld).\n", res.serial, res.subject,
		    (long long)res.audit_seq);
	else
		cmd_printf(ctx, "Revoked %s (%s), reason %s (audit entry %lld).\n"
		    "It is listed from the next `keyrite crl publish --issuer-key "
		    "%s`.\n", res.serial, res.subject, reason,
		    (long long)res.audit_seq, req.issuer_key);
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
	.flags = CMD_STATE | CMD_WRITES,
	.exec = cmd_revoke_exec,
};
