/*
 * The option parser every command shares: a command's table of options
 * (cli.h, struct cmd_opt), and --share and --passphrase-fd for every
 * CMD_QUORUM command, read once here with getopt_long.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define CMD_OPTS_MAX	32	/* a command's options, the quorum's included */
#define CMD_OPT_VAL	256	/* getopt_long returns it + the row's index */

/* A command's rows and the getopt_long table made from them. */
struct cmd_optset {
	const struct cmd_opt	*row[CMD_OPTS_MAX];
	struct option		 lo[CMD_OPTS_MAX + 1];
	size_t			 n;
};

static void
cmd_quorum_init(struct cmd_ctx *ctx)
{
	memset(&ctx->q, 0, sizeof(ctx->q));
	cmd_pass_init(&ctx->q.pass, &ctx->src);
	ctx->src.confirm = cmd_confirm;
	ctx->src.confirm_ctx = ctx;
}

static int
cmd_opt_share(struct cmd_ctx *ctx, void *opts, const char *file)
{
	(void)opts;
	if (ctx->q.n == KR_CUSTODIANS_MAX)
		return cmd_usage_error(ctx, "more than %d --share",
		    KR_CUSTODIANS_MAX);
	ctx->q.shares[ctx->q.n++] = file;
	return KR_OK;
}

int
cmd_opt_pass_fd(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	(void)opts;
	return cmd_pass_set_fd(ctx, &ctx->q.pass, arg);
}

int
cmd_opt_token_pin_fd(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	(void)opts;
	return cmd_pass_set_pin_fd(ctx, &ctx->q.pass, arg);
}

static int
cmd_opt_yes(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	(void)opts;
	(void)arg;
	ctx->q.yes = true;
	return KR_OK;
}

const struct cmd_opt cmd_json_options[] = {
	CMD_ROW_FLAG("json", struct cmd_json_opts, json),
	CMD_ROW_END
};

static const struct cmd_opt cmd_quorum_opts[] = {
	CMD_ROW_CALL_MANY("share", cmd_opt_share),
	CMD_ROW_CALL("passphrase-fd", cmd_opt_pass_fd),
	CMD_ROW_CALL("token-pin-fd", cmd_opt_token_pin_fd),
	CMD_ROW_SWITCH("yes", cmd_opt_yes),
	CMD_ROW_END
};

static int
cmd_optset_add(struct cmd_ctx *ctx, struct cmd_optset *s,
    const struct cmd_opt *rows)
{
	for (; rows != NULL && rows->name != NULL; rows++) {
		if (s->n == CMD_OPTS_MAX)
			return kr_err_set(&ctx->err, KR_EINTERNAL, "a command "
			    "has more than %d options", CMD_OPTS_MAX);
		s->row[s->n] = rows;
		s->lo[s->n].name = rows->name;
		s->lo[s->n].has_arg = rows->kind == CMD_OPT_FLAG ||
		    rows->kind == CMD_OPT_SWITCH ? no_argument :
		    required_argument;
		s->lo[s->n].flag = NULL;
		s->lo[s->n].val = CMD_OPT_VAL + (int)s->n;
		s->n++;
	}
	memset(&s->lo[s->n], 0, sizeof(s->lo[s->n]));
	return KR_OK;
}

/* A size or an address as MCUboot's imgtool takes one (kr_size_parse). */
int
cmd_parse_size(struct cmd_ctx *ctx, const char *opt, const char *s,
    uint32_t *out)
{
	if (kr_size_parse(s, out))
		return KR_OK;
	return cmd_usage_error(ctx, "%s wants a size or address in bytes, "
	    KR_SIZE_FORMS ", not '%.32s'", opt, s);
}

/* Names an option getopt refused: unknown, or missing its value. */
static int
cmd_bad_option(struct cmd_ctx *ctx, int c, char **argv)
{
	const char	*arg = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		return cmd_usage_error(ctx, "option %s needs a value", arg);
	return cmd_usage_error(ctx, "unknown option '%s'", arg);
}

static int
cmd_opt_apply(struct cmd_ctx *ctx, const struct cmd_opt *row, void *opts,
    const char *arg)
{
	char	*at = (char *)opts + row->off;
	char	 name[64];

	switch (row->kind) {
	case CMD_OPT_FLAG:
		*(bool *)(void *)at = true;
		return KR_OK;
	case CMD_OPT_STR:
		*(const char **)(void *)at = arg;
		return KR_OK;
	case CMD_OPT_UINT:
		(void)snprintf(name, sizeof(name), "--%s", row->name);
		return cmd_parse_uint(ctx, name, arg, row->min, row->max,
		    (unsigned *)(void *)at);
	case CMD_OPT_SIZE:
		(void)snprintf(name, sizeof(name), "--%s", row->name);
		return cmd_parse_size(ctx, name, arg, (uint32_t *)(void *)at);
	case CMD_OPT_CALL:
		return row->set(ctx, opts, arg);
	case CMD_OPT_SWITCH:
		return row->set(ctx, opts, NULL);
	case CMD_OPT_REFUSED:
		break;
	}
	return kr_err_set(&ctx->err, KR_EINTERNAL, "option --%s has no kind",
	    row->name);
}

/* getopt_long over the rows; optind is then the first argument left. */
static int
cmd_getopt(struct cmd_ctx *ctx, const struct cmd_optset *s, void *opts,
    int argc, char **argv)
{
	const struct cmd_opt	*row;
	bool			 seen[CMD_OPTS_MAX] = { false };
	int			 c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":", s->lo, NULL)) != -1) {
		if (c < CMD_OPT_VAL || c >= CMD_OPT_VAL + (int)s->n)
			return cmd_bad_option(ctx, c, argv);
		row = s->row[c - CMD_OPT_VAL];
		if (row->kind == CMD_OPT_REFUSED)
			return cmd_bad_option(ctx, '?', argv);
		/* A value given twice: the last would win, unseen. */
		if (seen[c - CMD_OPT_VAL] && !row->many &&
		    row->kind != CMD_OPT_FLAG)
			return cmd_usage_error(ctx, "--%s is given more than "
			    "once: give it once", row->name);
		seen[c - CMD_OPT_VAL] = true;
		if ((ret = cmd_opt_apply(ctx, row, opts, optarg)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

/*
 * argv[0] is the command's last word.  A command without options sees
 * every word after it as an argument, "--" and "-x" included.
 */
int
cmd_options_parse(const struct cmd_entry *e, struct cmd_ctx *ctx, void *opts,
    int *argc, char ***argv)
{
	struct cmd_optset	s;
	int			ret;

	cmd_quorum_init(ctx);
	s.n = 0;
	optind = 1;
	if ((ret = cmd_optset_add(ctx, &s, e->opts)) != KR_OK ||
	    ((e->flags & CMD_QUORUM) != 0 &&
	    (ret = cmd_optset_add(ctx, &s, cmd_quorum_opts)) != KR_OK))
		return ret;
	if (s.n > 0 && (ret = cmd_getopt(ctx, &s, opts, *argc, *argv)) !=
	    KR_OK)
		return ret;
	*argc -= optind;
	*argv += optind;
	if ((e->flags & CMD_NOARGS) != 0 && *argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    (*argv)[0]);
	return KR_OK;
}
