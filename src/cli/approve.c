/*
 * See, then approve: what a quorum command is about to sign, shown before
 * any passphrase is asked, then `Proceed? [y/N]` at a terminal; and the
 * per-share table every quorum command prints once the shares were
 * checked.
 *
 * The rule for asking: only when standard input is a terminal and --yes
 * was not given.  A run without a terminal (a script with
 * --passphrase-fd) is not asked, since nobody could answer, but the
 * summary is printed all the same, for its log; --yes says so in the
 * command line.  keyrite(1) gives the reasons.
 */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#define CMD_HASH_PAIRS	16	/* pairs a line: 47 columns */
#define CMD_LABEL_W	13

static void
cmd_preview_hash(struct cmd_ctx *ctx, const struct kr_preview_row *r)
{
	char	indent[CMD_LABEL_W + 5];
	char	hex[KR_HEX_COLONS_BYTES(KR_HASH_MAX_BYTES, sizeof(indent))];

	(void)snprintf(indent, sizeof(indent), "  %*s", CMD_LABEL_W + 1, "");
	if (!kr_hex_colons(hex, sizeof(hex), r->hash, r->hash_len,
	    CMD_HASH_PAIRS, indent))
		(void)snprintf(hex, sizeof(hex), "(too long to show)");
	/* keyrite's own text: its line breaks are kept */
	cmd_printf(ctx, "  %-*s ", CMD_LABEL_W, r->label);
	cmd_print_text(ctx, hex);
	cmd_printf(ctx, "\n");
}

void
cmd_preview_print(struct cmd_ctx *ctx, const struct kr_preview *pv)
{
	const struct kr_preview_row	*r;
	size_t				 i;

	cmd_printf(ctx, "%s:\n", pv->title);
	for (i = 0; i < pv->n; i++) {
		r = &pv->rows[i];
		if (r->kind == KR_PREVIEW_HEAD)
			cmd_printf(ctx, " %s\n", r->text);
		else if (r->kind == KR_PREVIEW_HASH)
			cmd_preview_hash(ctx, r);
		else
			cmd_printf(ctx, "  %-*s %s\n", CMD_LABEL_W, r->label,
			    r->text);
	}
}

/* One answer line from the terminal on standard input: y or yes. */
static bool
cmd_ask_proceed(void)
{
	char	line[16];
	size_t	len;

	/* An answer typed before the question was shown does not count. */
	(void)tcflush(STDIN_FILENO, TCIFLUSH);
	(void)fputs("Proceed? [y/N] ", stderr);
	(void)fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return false;
	len = strcspn(line, "\r\n");
	line[len] = '\0';
	return strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 ||
	    strcmp(line, "yes") == 0 || strcmp(line, "YES") == 0 ||
	    strcmp(line, "Yes") == 0;
}

int
cmd_confirm(void *vctx, const struct kr_preview *pv, bool ask,
    struct kr_err *err)
{
	struct cmd_ctx	*ctx = vctx;

	cmd_preview_print(ctx, pv);
	if (!ask) {
		(void)fflush(ctx->out);
		return KR_OK;
	}
	if (ctx->q.yes)
		cmd_printf(ctx, "Approved with --yes.\n");
	else if (!isatty(STDIN_FILENO))
		cmd_printf(ctx, "Not asked to proceed: standard input is not "
		    "a terminal.\n");
	(void)fflush(ctx->out);
	if (ctx->q.yes || !isatty(STDIN_FILENO))
		return KR_OK;
	if (cmd_ask_proceed())
		return KR_OK;
	return kr_err_set(err, KR_EREFUSED, "not approved at the prompt: "
	    "nothing was signed or recorded");
}

/*
 * The table of each share; with `fps`, each good share's approval key
 * fingerprint under it, on two lines of 16 pairs as key generate printed
 * it for the custodian to write down.
 */
static void
cmd_quorum_rows(struct cmd_ctx *ctx, const struct kr_quorum_report *rep,
    bool fps)
{
	const struct kr_share_status	*s;
	size_t				 i;

	if (rep == NULL || rep->m == 0)
		return;
	cmd_printf(ctx, "key '%s': %u-of-%u quorum, share set epoch %u\n",
	    rep->key, rep->m, rep->n, rep->epoch);
	for (i = 0; i < rep->given; i++) {
		s = &rep->shares[i];
		if (s->code != KR_OK) {
			cmd_printf(ctx, "  %-8s %s\n           %s\n",
			    s->not_asked ? "unasked" : "REFUSED", s->file,
			    s->msg);
			continue;
		}
		cmd_printf(ctx, "  ok       %-20s x=%-3u %s\n", s->custodian,
		    s->x, s->file);
		if (fps && rep->approval_fp[i][0] != '\0')
			cmd_fp_lines(ctx, "           approval key SHA-256: ",
			    rep->approval_fp[i]);
		else if (fps)
			cmd_printf(ctx, "           no approval key (share "
			    "file format 1)\n");
	}
}

/*
 * An approval key fingerprint (32 colon-separated pairs) after `label`,
 * on two lines of 16 pairs, the second under the first, as a custodian
 * writes it down and compares it.
 */
void
cmd_fp_lines(struct cmd_ctx *ctx, const char *label, const char *fp)
{
	cmd_printf(ctx, "%s%.47s\n%*s%s\n", label, fp, (int)strlen(label), "",
	    strlen(fp) > 48 ? fp + 48 : "");
}

/* A --custodian value added to a list of at most KR_CUSTODIANS_MAX. */
int
cmd_custodian_add(struct cmd_ctx *ctx, const char **list, size_t *n,
    const char *name)
{
	if (*n >= KR_CUSTODIANS_MAX)
		return cmd_usage_error(ctx, "more than %d custodians named: a "
		    "share set has at most %d", KR_CUSTODIANS_MAX,
		    KR_CUSTODIANS_MAX);
	list[(*n)++] = name;
	return KR_OK;
}

/*
 * The share files just dealt, each with its custodian and, for format 2,
 * the approval key fingerprint the custodian writes down.
 */
void
cmd_share_lines(struct cmd_ctx *ctx, const char *const *custodians,
    const char (*paths)[KR_SHARE_PATH_BYTES],
    const char (*fps)[KR_APPROVAL_FP_BYTES], size_t count)
{
	size_t	i;

	for (i = 0; i < count; i++) {
		cmd_printf(ctx, "  share for %-20s %s\n", custodians[i],
		    paths[i]);
		if (fps[i][0] != '\0')
			cmd_fp_lines(ctx, "    approval key SHA-256 (write "
			    "it down): ", fps[i]);
	}
}

/* The table printed by every quorum command. */
void
cmd_quorum_table(struct cmd_ctx *ctx, const struct kr_quorum_report *rep)
{
	cmd_quorum_rows(ctx, rep, false);
}

/* quorum verify's: with each share's approval key fingerprint. */
void
cmd_quorum_table_fp(struct cmd_ctx *ctx, const struct kr_quorum_report *rep)
{
	cmd_quorum_rows(ctx, rep, true);
}
