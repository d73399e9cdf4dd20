/*
 * keyrite pinset show | pinset verify (docs/rotation.md): a pin set read
 * on any machine, with no state folder.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A pin set's pins, as pinset show and rotate print them. */
void
cmd_pinset_print(struct cmd_ctx *ctx, const struct kr_pinset *ps)
{
	char	nb[KR_TIME_STR_BYTES], na[KR_TIME_STR_BYTES];
	char	hex[65];
	size_t	i;

	kr_hex_encode(hex, ps->sha256, sizeof(ps->sha256));
	cmd_printf(ctx, "pin set %lld: %zu root%s, file SHA-256 %s\n",
	    (long long)ps->sequence, ps->n, ps->n == 1 ? "" : "s", hex);
	for (i = 0; i < ps->n; i++) {
		kr_time_format(ps->pins[i].not_before, nb);
		kr_time_format(ps->pins[i].not_after, na);
		cmd_printf(ctx, "  pin %zu: key '%s', %s\n"
		    "         key SHA-256 %s\n"
		    "         trusted from %s until %s (%s)\n", i + 1,
		    ps->pins[i].key, ps->pins[i].subject,
		    ps->pins[i].spki_sha256, nb, na, ps->pins[i].sig_alg);
	}
}

struct cmd_pinset_opts {
	const char	*roots[KR_PINSET_PINS_MAX];
	size_t		 n;
};

static int
cmd_pinset_opt_root(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct cmd_pinset_opts	*o = opts;

	if (o->n == KR_PINSET_PINS_MAX)
		return cmd_usage_error(ctx, "at most %d --root",
		    KR_PINSET_PINS_MAX);
	o->roots[o->n++] = arg;
	return KR_OK;
}

static const struct cmd_opt cmd_pinset_verify_options[] = {
	CMD_ROW_CALL_MANY("root", cmd_pinset_opt_root),
	CMD_ROW_END
};

static int
cmd_pinset_show_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct kr_pinset	ps;
	char			issued[KR_TIME_STR_BYTES];
	int			ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "name one pin set file");
	if ((ret = kr_authority_pinset_read(argv[0], &ps, &ctx->err)) != KR_OK)
		return ret;
	kr_time_format(ps.issued, issued);
	cmd_printf(ctx, "%s: issued %s\n", argv[0], issued);
	cmd_pinset_print(ctx, &ps);
	cmd_printf(ctx, "The signatures were not checked: `keyrite pinset "
	    "verify %s --root CERT...` checks them.\n", argv[0]);
	return KR_OK;
}

static int
cmd_pinset_verify_exec(struct cmd_ctx *ctx, void *opts, int argc,
    char **argv)
{
	struct cmd_pinset_opts	*o = opts;
	struct kr_pinset	 ps;
	int			 ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "name one pin set file");
	if (o->n == 0)
		return cmd_usage_error(ctx, "give --root CERT for each pinned "
		    "root");
	ret = kr_authority_pinset_verify(argv[0], o->roots, o->n, &ps,
	    &ctx->err);
	if (ret != KR_OK)
		return ret;
	cmd_pinset_print(ctx, &ps);
	cmd_printf(ctx, "Pin set verified: every pin's signature "
	    "(%s.N.sig) verifies with its root's key over the file's bytes.\n",
	    argv[0]);
	return KR_OK;
}

const struct cmd_entry cmd_pinset_show_entry = {
	.name = "pinset show",
	.usage = "FILE",
	.summary = "print a pin set (its signatures are not checked)",
	.help = "",
	.flags = 0,
	.exec = cmd_pinset_show_exec,
};

const struct cmd_entry cmd_pinset_verify_entry = {
	.name = "pinset verify",
	.usage = "FILE --root CERT...",
	.summary = "check a pin set's signatures with the pinned roots' "
	    "certificates, on any machine",
	.help = "  --root CERT        a pinned root's certificate (PEM or DER),\n"
	    "                     once per pin\n",
	.flags = 0,
	.opts = cmd_pinset_verify_options,
	.opts_size = sizeof(struct cmd_pinset_opts),
	.exec = cmd_pinset_verify_exec,
};
