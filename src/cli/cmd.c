/*
 * The command table and what every command shares: lookup, usage, running
 * (options.c parses the options) and output.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cmd_entry *const cmd_table[] = {
	&cmd_init_entry,
	&cmd_status_entry,
	&cmd_ceremony_check_entry,
	&cmd_ceremony_run_entry,
	&cmd_ceremony_abort_entry,
	&cmd_ceremony_list_entry,
	&cmd_ceremony_show_entry,
	&cmd_ceremony_report_entry,
	&cmd_ceremony_verify_report_entry,
	&cmd_console_entry,
	&cmd_key_generate_entry,
	&cmd_key_list_entry,
	&cmd_key_show_entry,
	&cmd_key_destroy_entry,
	&cmd_key_export_entry,
	&cmd_quorum_verify_entry,
	&cmd_quorum_reshare_entry,
	&cmd_custodian_list_entry,
	&cmd_custodian_show_entry,
	&cmd_cert_root_entry,
	&cmd_cert_issue_entry,
	&cmd_cert_cross_sign_entry,
	&cmd_cert_list_entry,
	&cmd_cert_show_entry,
	&cmd_rotate_root_entry,
	&cmd_rotate_finish_entry,
	&cmd_pinset_show_entry,
	&cmd_pinset_verify_entry,
	&cmd_cert_renew_entry,
	&cmd_provision_batch_entry,
	&cmd_provision_show_entry,
	&cmd_provision_list_entry,
	&cmd_revoke_entry,
	&cmd_crl_publish_entry,
	&cmd_crl_show_entry,
	&cmd_ocsp_presign_entry,
	&cmd_import_index_entry,
	&cmd_import_files_entry,
	&cmd_import_list_entry,
	&cmd_backup_entry,
	&cmd_restore_entry,
	&cmd_sign_firmware_entry,
	&cmd_sign_batch_entry,
	&cmd_sign_show_entry,
	&cmd_export_entry,
	&cmd_export_verify_entry,
	&cmd_audit_verify_entry,
	&cmd_audit_export_entry,
	&cmd_audit_show_entry,
	&cmd_audit_clock_recover_entry,
	&cmd_policy_show_entry,
	&cmd_policy_update_entry,
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

/*
 * The commands of a group ("quorum"): their last words, comma-separated,
 * in `out`; how many there are (0: no such group).
 */
size_t
cmd_group(const char *group, char *out, size_t cap)
{
	const struct cmd_entry	*e;
	size_t			 i, k = 0, len = strlen(group);
	int			 n;

	out[0] = '\0';
	for (i = 0; (e = cmd_table[i]) != NULL; i++) {
		if (strncmp(e->name, group, len) != 0 || e->name[len] != ' ')
			continue;
		n = snprintf(out + strlen(out), cap - strlen(out), "%s%s",
		    k > 0 ? ", " : "", e->name + len + 1);
		if (n < 0 || (size_t)n >= cap - strlen(out))
			break;
		k++;
	}
	return k;
}

void
cmd_list(FILE *f)
{
	const struct cmd_entry	*e;
	size_t			 i;

	for (i = 0; (e = cmd_table[i]) != NULL; i++)
		(void)fprintf(f, "  %-16s %s\n", e->name, e->summary);
}

/*
 * The column a command's help describes its options at: that of its
 * first option line ("  --name ARG   text"); 21 when it has none.
 */
static int
cmd_help_column(const char *help)
{
	const char	*p, *gap;

	for (p = help; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, "  -", 3) != 0)
			continue;
		if ((gap = strstr(p + 2, "  ")) == NULL ||
		    (strchr(p, '\n') != NULL && gap > strchr(p, '\n')))
			continue;
		gap += strspn(gap, " ");
		if (*gap != '\n' && *gap != '\0')
			return (int)(gap - p);
	}
	return 21;
}

/*
 * One option the command table adds, described at the help's column (on
 * a line of its own after the option when the column is too narrow).
 */
static void
cmd_usage_opt(FILE *f, int col, const char *opt, const char *l1,
    const char *l2)
{
	if ((int)strlen(opt) + 4 > col)
		(void)fprintf(f, "  %s\n%*s%s\n%*s%s\n", opt, col, "", l1,
		    col, "", l2);
	else
		(void)fprintf(f, "  %-*s%s\n%*s%s\n", col - 2, opt, l1, col,
		    "", l2);
}

void
cmd_usage(FILE *f, const struct cmd_entry *e)
{
	int	col = cmd_help_column(e->help);

	(void)fprintf(f, "usage: keyrite [-C STATEDIR] %s%s%s\n", e->name,
	    e->usage[0] != '\0' ? " " : "", e->usage);
	(void)fprintf(f, "\n%s\n", e->summary);
	if (e->help != NULL && e->help[0] != '\0')
		(void)fprintf(f, "\n%s", e->help);
	if ((e->flags & CMD_QUORUM) != 0)
		cmd_usage_opt(f, col, "--token-pin-fd N", "for a key its token "
		    "guards (--pin-source prompt):", "read the token PIN from "
		    "descriptor N");
	/* Every writer; audit clock-recover describes it in its help. */
	if ((e->flags & (CMD_WRITES | CMD_CLOCK)) == CMD_WRITES)
		cmd_usage_opt(f, col, "--confirm-date D", "today's date "
		    "(YYYY-MM-DD) when the clock is far ahead",
		    "of the newest audit entry: keyrite asks for it");
	(void)fprintf(f, "\nSee keyrite(1) for the full description.\n");
}

/*
 * The one output point of every command, and how it escapes.
 *
 * The format string is the program's own text: its newlines and tabs
 * make the report.  Every %s argument may come from outside (a name from a
 * CSR or the database, a file name from a manifest, an audit row), so it
 * is escaped in full with kr_text_escape (controls, C1, bidi controls,
 * invalid UTF-8, and newlines and tabs too: a value cannot forge a line of
 * the report).  The whole text is escaped once more keeping lines, so
 * nothing else (a %c) can carry a control either.  Multi-line text that
 * keyrite made itself (PEM) goes through cmd_print_text, which keeps its
 * lines.  The compiler checks every format against its arguments
 * (KR_PRINTF); each conversion is then formatted alone.
 */
struct cmd_conv {
	char	spec[32];	/* "%-24.24s" */
	char	len[3];		/* length modifier: "", "l", "ll", "z", ... */
	char	conv;
	int	star[2];	/* '*' width and precision, in order */
	int	nstar;
	long	prec;		/* the precision, or -1 */
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* A spec cut from a format the compiler has checked (see above). */
static void
cmd_bput(struct kr_buf *b, const char *spec, ...)
{
	char	small[256], *big;
	va_list	ap, ap2;
	int	n;

	va_start(ap, spec);
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), spec, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(small))
		kr_buf_put(b, small, (size_t)n);
	else if (n < 0 || (big = malloc((size_t)n + 1)) == NULL)
		b->failed = true;
	else {
		(void)vsnprintf(big, (size_t)n + 1, spec, ap2);
		kr_buf_put(b, big, (size_t)n);
		free(big);
	}
	va_end(ap2);
}
#pragma GCC diagnostic pop

#define CMD_PUT(b, c, v) do {						\
	if ((c)->nstar == 0)						\
		cmd_bput((b), (c)->spec, (v));				\
	else if ((c)->nstar == 1)					\
		cmd_bput((b), (c)->spec, (c)->star[0], (v));		\
	else								\
		cmd_bput((b), (c)->spec, (c)->star[0], (c)->star[1], (v)); \
} while (0)

/* Reads "%[flags][width][.precision][length]conv"; NULL if unsupported. */
static const char *
cmd_conv_parse(const char *p, struct cmd_conv *c, va_list *ap)
{
	const char	*start = p++;
	size_t		 n = 0;

	memset(c, 0, sizeof(*c));
	while (*p != '\0' && strchr("-+ #0", *p) != NULL)
		p++;
	if (*p == '*') {
		p++;
		c->star[c->nstar++] = va_arg(*ap, int);
	}
	while (*p >= '0' && *p <= '9')
		p++;
	c->prec = -1;
	if (*p == '.') {
		if (*++p == '*') {
			p++;
			c->prec = c->star[c->nstar++] = va_arg(*ap, int);
		} else
			c->prec = strtol(p, NULL, 10);	/* "%.s" is 0 */
	}
	while (*p >= '0' && *p <= '9')
		p++;
	while (*p != '\0' && strchr("hlLzjt", *p) != NULL && n < 2)
		c->len[n++] = *p++;
	if (*p == '\0' || strchr("diouxXcspeEfFgGaA", *p) == NULL ||
	    (size_t)(p + 1 - start) >= sizeof(c->spec))
		return NULL;
	c->conv = *p++;
	memcpy(c->spec, start, (size_t)(p - start));
	return p;
}

static void
cmd_conv_int(struct kr_buf *b, const struct cmd_conv *c, va_list *ap)
{
	bool	sgn = c->conv == 'd' || c->conv == 'i';

	if (strcmp(c->len, "l") == 0) {
		if (sgn)
			CMD_PUT(b, c, va_arg(*ap, long));
		else
			CMD_PUT(b, c, va_arg(*ap, unsigned long));
	} else if (strcmp(c->len, "ll") == 0) {
		if (sgn)
			CMD_PUT(b, c, va_arg(*ap, long long));
		else
			CMD_PUT(b, c, va_arg(*ap, unsigned long long));
	} else if (strcmp(c->len, "z") == 0) {
		if (sgn)
			CMD_PUT(b, c, va_arg(*ap, ssize_t));
		else
			CMD_PUT(b, c, va_arg(*ap, size_t));
	} else if (strcmp(c->len, "j") == 0) {
		if (sgn)
			CMD_PUT(b, c, va_arg(*ap, intmax_t));
		else
			CMD_PUT(b, c, va_arg(*ap, uintmax_t));
	} else if (strcmp(c->len, "t") == 0) {
		CMD_PUT(b, c, va_arg(*ap, ptrdiff_t));
	} else if (sgn) {
		CMD_PUT(b, c, va_arg(*ap, int));	/* h, hh promote */
	} else
		CMD_PUT(b, c, va_arg(*ap, unsigned));
}

static void
cmd_conv_put(struct kr_buf *b, const struct cmd_conv *c, va_list *ap)
{
	struct kr_buf	 e;
	const char	*s;

	switch (c->conv) {
	case 's':
		if ((s = va_arg(*ap, const char *)) == NULL)
			s = "(null)";
		/* "%.*s" may name bytes that are not NUL-terminated */
		kr_buf_init(&e, false);
		kr_text_escape(&e, s, c->prec >= 0 ?
		    strnlen(s, (size_t)c->prec) : strlen(s), 0);
		kr_buf_put_u8(&e, '\0');
		if (e.failed)
			b->failed = true;
		else
			CMD_PUT(b, c, (const char *)e.p);
		kr_buf_free(&e);
		return;
	case 'c':
		CMD_PUT(b, c, va_arg(*ap, int));
		return;
	case 'p':
		CMD_PUT(b, c, va_arg(*ap, void *));
		return;
	case 'd': case 'i': case 'o': case 'u': case 'x': case 'X':
		cmd_conv_int(b, c, ap);
		return;
	default:
		if (c->len[0] == 'L')
			CMD_PUT(b, c, va_arg(*ap, long double));
		else
			CMD_PUT(b, c, va_arg(*ap, double));
		return;
	}
}

static void
cmd_vformat(struct kr_buf *b, const char *fmt, va_list *ap)
{
	struct cmd_conv	 c;
	const char	*p = fmt, *lit;

	while (*p != '\0') {
		for (lit = p; *p != '\0' && *p != '%'; p++)
			;
		kr_buf_put(b, lit, (size_t)(p - lit));
		if (*p == '\0')
			break;
		if (p[1] == '%') {
			kr_buf_put_u8(b, '%');
			p += 2;
			continue;
		}
		if ((p = cmd_conv_parse(p, &c, ap)) == NULL) {
			/* a bug: the conversion is not one keyrite uses */
			kr_buf_put(b, "(bad format)", 12);
			return;
		}
		cmd_conv_put(b, &c, ap);
	}
}

void
cmd_printf(struct cmd_ctx *ctx, const char *fmt, ...)
{
	struct kr_buf	b;
	va_list		ap;

	kr_buf_init(&b, false);
	va_start(ap, fmt);
	cmd_vformat(&b, fmt, &ap);
	va_end(ap);
	if (b.failed)
		(void)fprintf(stderr, "keyrite: out of memory: a line of "
		    "output was lost\n");
	else
		kr_text_fput(ctx->out, (const char *)b.p, b.len,
		    KR_TEXT_LINES);
	kr_buf_free(&b);
}

void
cmd_print_text(struct cmd_ctx *ctx, const char *text)
{
	kr_text_fput(ctx->out, text, strlen(text), KR_TEXT_LINES);
}

void
cmd_print_json(struct cmd_ctx *ctx, const char *text)
{
	kr_text_fput(ctx->out, text, strlen(text), KR_TEXT_JSON | KR_TEXT_LINES);
}

void
cmd_json_time(struct kr_json *j, const char *key, int64_t t)
{
	char	when[KR_TIME_STR_BYTES];

	kr_time_format(t, when);
	kr_json_str(j, key, when);
}

/* A certificate's revocation state: "revocation", then reason and since. */
void
cmd_json_revocation(struct kr_json *j, const struct kr_rev_status *rs)
{
	kr_json_str(j, "revocation", rs->state == KR_REV_NONE ? "none" :
	    rs->state == KR_REV_HELD ? "on hold" : "revoked");
	if (rs->state != KR_REV_NONE) {
		kr_json_str(j, "reason", kr_reason_name(rs->reason));
		cmd_json_time(j, "since", rs->since);
	}
}

void
cmd_json_list_begin(struct cmd_ctx *ctx, const char *format, const char *list)
{
	(void)fprintf(ctx->out, "{\"format\":\"%s\",\"version\":1,\"%s\":[\n",
	    format, list);
}

int
cmd_json_list_item(struct cmd_ctx *ctx, size_t *n, struct kr_json *j)
{
	const char	*t = kr_json_end(j);

	if (t != NULL) {
		if ((*n)++ > 0)
			(void)fputs(",\n", ctx->out);
		cmd_print_json(ctx, t);
	}
	kr_json_free(j);
	return t != NULL ? KR_OK : kr_err_set(&ctx->err, KR_ENOMEM,
	    "out of memory");
}

void
cmd_json_list_end(struct cmd_ctx *ctx, size_t n)
{
	(void)fputs(n > 0 ? "\n]}\n" : "]}\n", ctx->out);
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

/* Read-only commands on a damaged state say so before anything else. */
static void
cmd_damage_banner(struct cmd_ctx *ctx, const struct kr_replay_report *r)
{
	(void)fprintf(stderr, "keyrite: WARNING: the state folder %s is "
	    "DAMAGED: %s%s%s (%lld record%s differ%s). What follows is shown "
	    "as the database holds it, not as fact; commands that sign or "
	    "change state refuse. `keyrite audit verify` lists the problems.\n",
	    kr_appliance_dir(ctx->app), r->chain.first_bad != 0 ?
	    "the audit chain is broken: " : "",
	    r->chain.first_bad != 0 ? r->chain.reason : "",
	    r->chain.first_bad == 0 && r->shown > 0 ? r->problem[0] : "",
	    (long long)r->problems, r->problems == 1 ? "" : "s",
	    r->problems == 1 ? "s" : "");
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
	struct kr_open_req			req = { ctx->statedir,
	    KR_OPEN_READ, ctx->confirm_date, (e->flags & CMD_CLOCK) != 0, 0,
	    NULL };
	int					ret;

	if ((e->flags & CMD_WRITES) != 0) {
		req.mode = KR_OPEN_WRITE;
		req.notice = &ns;
		if ((ret = cmd_lock_wait(ctx, &req.wait_secs)) != KR_OK)
			return ret;
	}
	return kr_appliance_open_ex(&ctx->app, &req, &ctx->err);
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

/* Options first (after the state folder is open), then the command. */
static int
cmd_exec(const struct cmd_entry *e, struct cmd_ctx *ctx, int argc,
    char **argv)
{
	void	*opts = NULL;
	int	 ret;

	if (e->opts_size > 0 && (opts = calloc(1, e->opts_size)) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	if ((ret = cmd_options_parse(e, ctx, opts, &argc, &argv)) == KR_OK)
		ret = e->exec(ctx, opts, argc, argv);
	free(opts);
	return ret;
}

bool
cmd_wants_state(const struct cmd_entry *e, int argc, char **argv)
{
	size_t	n;
	int	i;

	if ((e->flags & CMD_STATE) == 0)
		return false;
	if (e->nostate == NULL)
		return true;
	n = strlen(e->nostate);
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strncmp(argv[i], "--", 2) == 0 &&
		    strncmp(argv[i] + 2, e->nostate, n) == 0 &&
		    (argv[i][2 + n] == '\0' || argv[i][2 + n] == '='))
			return false;
	return true;
}

int
cmd_run(const struct cmd_entry *e, struct cmd_ctx *ctx, int argc,
    char **argv)
{
	int	ret;

	if (cmd_wants_state(e, argc, argv) && (ret = cmd_open(e, ctx)) != KR_OK)
		return ret;
	if (ctx->app != NULL && kr_appliance_clock_note(ctx->app) != NULL)
		(void)fprintf(stderr, "keyrite: WARNING: %s\n",
		    kr_appliance_clock_note(ctx->app));
	if (ctx->app != NULL && kr_appliance_damage(ctx->app) != NULL)
		cmd_damage_banner(ctx, kr_appliance_damage(ctx->app));
	cmd_note_recovery(ctx);
	if ((e->flags & CMD_SECRETS) != 0 && ctx->hardening != NULL &&
	    ctx->hardening->warning[0] != '\0')
		cmd_eprint("keyrite: warning: ", ctx->hardening->warning);
	ret = cmd_exec(e, ctx, argc, argv);
	kr_appliance_close(&ctx->app);
	return ret;
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
