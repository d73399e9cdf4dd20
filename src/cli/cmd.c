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

/*
 * The one output point of every command.  The text is escaped for the
 * terminal (kr_text_fput) keeping newlines and tabs, which reports are
 * made of: no control, C1, bidi override or invalid UTF-8 reaches the
 * terminal, whatever a name in the database or a file holds.  A value
 * that may itself hold a newline (a file name from a manifest, an audit
 * row, a message) is escaped in full by its caller with
 * kr_text_escape_dup(s, 0), so it cannot forge a line of the report.
 */
void
cmd_printf(struct cmd_ctx *ctx, const char *fmt, ...)
{
	char	 small[1024], *text = small;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		if ((text = malloc((size_t)n + 1)) == NULL) {
			(void)fprintf(stderr, "keyrite: out of memory: %d "
			    "bytes of output were lost\n", n);
			return;
		}
		va_start(ap, fmt);
		(void)vsnprintf(text, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	kr_text_fput(ctx->out, text, (size_t)n, KR_TEXT_LINES);
	if (text != small)
		free(text);
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

/* KEYRITE_LOCK_WAIT: seconds a writer waits for another (keyrite(1)). */
static int
cmd_lock_wait(struct cmd_ctx *ctx, unsigned *secs)
{
	const char	*s = getenv("KEYRITE_LOCK_WAIT");

	*secs = KR_LOCK_WAIT_DEFAULT;
	if (s == NULL || s[0] == '\0')
		return KR_OK;
	return cmd_parse_uint(ctx, "KEYRITE_LOCK_WAIT", s, 0,
	    KR_LOCK_WAIT_MAX, secs);
}

static int
cmd_open(const struct cmd_entry *e, struct cmd_ctx *ctx)
{
	static const struct kr_notice_sink	ns = { cmd_notice, NULL };
	unsigned				secs = 0;
	int					ret;

	if ((e->flags & CMD_WRITES) == 0)
		return kr_appliance_open_wait(&ctx->app, ctx->statedir,
		    KR_OPEN_READ, 0, NULL, &ctx->err);
	if ((ret = cmd_lock_wait(ctx, &secs)) != KR_OK)
		return ret;
	return kr_appliance_open_wait(&ctx->app, ctx->statedir, KR_OPEN_WRITE,
	    secs, &ns, &ctx->err);
}

int
cmd_run(const struct cmd_entry *e, struct cmd_ctx *ctx, int argc,
    char **argv)
{
	int	ret;

	if ((e->flags & CMD_STATE) != 0 && (ret = cmd_open(e, ctx)) != KR_OK)
		return ret;
	if ((e->flags & CMD_SECRETS) != 0 && ctx->hardening != NULL &&
	    ctx->hardening->warning[0] != '\0')
		cmd_eprint("keyrite: warning: ", ctx->hardening->warning);
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
	cmd_eprint("keyrite: ", msg);
}

void
cmd_eprint(const char *prefix, const char *msg)
{
	(void)fputs(prefix, stderr);
	kr_text_fput(stderr, msg, strlen(msg), 0);
	(void)fputc('\n', stderr);
}
