/*
 * The command table and what every command shares: lookup, usage, option
 * helpers and output.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cmd_entry *const cmd_table[] = {
	&cmd_init_entry,
	&cmd_status_entry,
	&cmd_key_generate_entry,
	&cmd_key_list_entry,
	&cmd_key_show_entry,
	&cmd_key_destroy_entry,
	&cmd_key_export_entry,
	&cmd_quorum_verify_entry,
	&cmd_cert_root_entry,
	&cmd_cert_issue_entry,
	&cmd_cert_cross_sign_entry,
	&cmd_cert_list_entry,
	&cmd_cert_show_entry,
	&cmd_revoke_entry,
	&cmd_crl_publish_entry,
	&cmd_ocsp_presign_entry,
	&cmd_import_index_entry,
	&cmd_sign_firmware_entry,
	&cmd_sign_batch_entry,
	&cmd_audit_verify_entry,
	&cmd_audit_show_entry,
	NULL
};

/* Matches "key generate" against argv; *used is the words consumed. */
const struct cmd_entry *
cmd_find(int argc, char **argv, int *used)
{
	const struct cmd_entry	*e;
	size_t			 i;
	char			 two[128];

	*used = 0;
	if (argc < 1)
		return NULL;
	if (argc >= 2) {
		(void)snprintf(two, sizeof(two), "%s %s", argv[0], argv[1]);
		for (i = 0; (e = cmd_table[i]) != NULL; i++)
			if (strcmp(e->name, two) == 0) {
				*used = 2;
				return e;
			}
	}
	for (i = 0; (e = cmd_table[i]) != NULL; i++)
		if (strcmp(e->name, argv[0]) == 0) {
			*used = 1;
			return e;
		}
	return NULL;
}

void
cmd_list(FILE *f)
{
	const struct cmd_entry	*e;
	size_t			 i;

	for (i = 0; (e = cmd_table[i]) != NULL; i++)
		(void)fprintf(f, "  %-16s %s\n", e->name, e->summary);
}

void
cmd_usage(FILE *f, const struct cmd_entry *e)
{
	(void)fprintf(f, "usage: keyrite [-C STATEDIR] %s%s%s\n", e->name,
	    e->usage[0] != '\0' ? " " : "", e->usage);
	(void)fprintf(f, "\n%s\n", e->summary);
	if (e->help != NULL && e->help[0] != '\0')
		(void)fprintf(f, "\n%s", e->help);
	(void)fprintf(f, "\nSee keyrite(1) for the full description.\n");
}

void
cmd_printf(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vfprintf(ctx->out, fmt, ap);
	va_end(ap);
}

int
cmd_usage_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)kr_err_vset(&ctx->err, KR_EUSAGE, fmt, ap);
	va_end(ap);
	return KR_EUSAGE;
}

int
cmd_bad_option(struct cmd_ctx *ctx, int c, char **argv)
{
	const char	*arg = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		return cmd_usage_error(ctx, "option %s needs a value", arg);
	return cmd_usage_error(ctx, "unknown option '%s'", arg);
}

int
cmd_parse_uint(struct cmd_ctx *ctx, const char *opt, const char *s,
    unsigned min, unsigned max, unsigned *out)
{
	char		*end;
	unsigned long	 v;

	if (s[0] < '0' || s[0] > '9')
		return cmd_usage_error(ctx, "%s wants a number from %u to %u, "
		    "not '%.32s'", opt, min, max, s);
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return cmd_usage_error(ctx, "%s wants a number from %u to %u, "
		    "not '%.32s'", opt, min, max, s);
	*out = (unsigned)v;
	return KR_OK;
}

void
cmd_note_kdf_profile(struct cmd_ctx *ctx)
{
	if (ctx->app != NULL && kr_appliance_is_test(ctx->app))
		cmd_printf(ctx, "NOTE: this state folder uses the TEST "
		    "passphrase-stretching profile (kdf profile '%s'): its "
		    "share files are cheap to attack and it must not hold "
		    "real keys.\n", kr_appliance_kdf_profile(ctx->app));
}

/* What opening the state folder cleaned up after an interrupted run. */
static void
cmd_note_recovery(struct cmd_ctx *ctx)
{
	const char	*line;
	char		 msg[600];
	size_t		 i;

	for (i = 0; ctx->app != NULL &&
	    (line = kr_appliance_recovery(ctx->app, i)) != NULL; i++) {
		(void)snprintf(msg, sizeof(msg), "state folder cleanup after "
		    "an interrupted run: %s", line);
		cmd_notice(ctx, msg);
	}
}

int
cmd_run(const struct cmd_entry *e, struct cmd_ctx *ctx, int argc,
    char **argv)
{
	int	ret;

	if ((e->flags & CMD_STATE) != 0 &&
	    (ret = kr_appliance_open_mode(&ctx->app, ctx->statedir,
	    (e->flags & CMD_WRITES) != 0 ? KR_OPEN_WRITE : KR_OPEN_READ,
	    &ctx->err)) != KR_OK)
		return ret;
	cmd_note_recovery(ctx);
	if ((e->flags & CMD_SECRETS) != 0 && ctx->hardening != NULL &&
	    ctx->hardening->warning[0] != '\0')
		(void)fprintf(stderr, "keyrite: warning: %s\n",
		    ctx->hardening->warning);
	ret = e->exec(ctx, argc, argv);
	kr_appliance_close(&ctx->app);
	return ret;
}

void
cmd_quorum_init(struct cmd_quorum *q, struct kr_passphrase_source *src)
{
	memset(q, 0, sizeof(*q));
	cmd_pass_init(&q->pass, src);
}

int
cmd_quorum_share(struct cmd_ctx *ctx, struct cmd_quorum *q, const char *file)
{
	if (q->n == KR_CUSTODIANS_MAX)
		return cmd_usage_error(ctx, "more than %d --share",
		    KR_CUSTODIANS_MAX);
	q->shares[q->n++] = file;
	return KR_OK;
}

void
cmd_notice(void *vctx, const char *msg)
{
	(void)vctx;
	(void)fprintf(stderr, "keyrite: %s\n", msg);
}
