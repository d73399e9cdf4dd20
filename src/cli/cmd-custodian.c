/*
 * keyrite custodian list | show: who holds shares of which keys and
 * epochs, so that when a custodian leaves the keys to reshare are known.
 * Read-only: they work on a damaged state folder too (with its banner).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The state of one held share: its set's, and its key's when not active. */
static void
cmd_holding_state(const struct kr_holding_rec *h, char *out, size_t cap)
{
	if (strcmp(h->key_state, "active") == 0)
		(void)snprintf(out, cap, "%s", h->set_state);
	else
		(void)snprintf(out, cap, "%s, key %s", h->set_state,
		    h->key_state);
}

struct cmd_custodian_walk {
	struct cmd_ctx	*ctx;
	size_t		 rows;
	char		 last[KR_STORE_NAME_MAX + 1];
	size_t		 people;
};

static int
cmd_custodian_list_row(const struct kr_holding_rec *h, void *arg)
{
	struct cmd_custodian_walk	*w = arg;
	char				 state[48];

	cmd_holding_state(h, state, sizeof(state));
	cmd_printf(w->ctx, "%-20s %-24s %5u  %3u  %u of %-3u  %s\n",
	    h->c.name, h->key, h->epoch, h->c.x, h->m, h->n, state);
	if (w->rows == 0 || strcmp(w->last, h->c.name) != 0)
		w->people++;
	(void)snprintf(w->last, sizeof(w->last), "%s", h->c.name);
	w->rows++;
	return 0;
}

static int
cmd_custodian_list_exec(struct cmd_ctx *ctx, void *opts, int argc,
    char **argv)
{
	struct cmd_custodian_walk	w;
	int				ret;

	memset(&w, 0, sizeof(w));
	w.ctx = ctx;
	cmd_printf(ctx, "%-20s %-24s %5s  %3s  %-8s  %s\n", "CUSTODIAN", "KEY",
	    "EPOCH", "X", "QUORUM", "STATE");
	ret = kr_store_holdings_foreach(kr_appliance_store(ctx->app), NULL,
	    cmd_custodian_list_row, &w, &ctx->err);
	if (ret == KR_OK)
		cmd_printf(ctx, "%zu custodians hold %zu shares\n", w.people,
		    w.rows);
	return ret;
}

const struct cmd_entry cmd_custodian_list_entry = {
	.name = "custodian list",
	.usage = "",
	.summary = "list the custodians with the keys, epochs and states of "
	    "the shares they hold",
	.help = "",
	.flags = CMD_STATE | CMD_NOARGS,
	.exec = cmd_custodian_list_exec,
};

static int
cmd_custodian_show_row(const struct kr_holding_rec *h, void *arg)
{
	struct cmd_custodian_walk	*w = arg;
	char				 hex[2 * KR_STORE_ID_BYTES + 1];
	char				 dig[2 * 32 + 1], state[48];
	char				 fp[KR_APPROVAL_FP_BYTES];

	if (w->rows++ == 0)
		cmd_printf(w->ctx, "custodian:     %s\n", h->c.name);
	kr_hex_encode(hex, h->c.set_id, sizeof(h->c.set_id));
	kr_hex_encode(dig, h->c.share_digest, sizeof(h->c.share_digest));
	cmd_holding_state(h, state, sizeof(state));
	cmd_printf(w->ctx, "\nkey:           %s\nshare set:     %s, epoch %u\n"
	    "share:         x=%u of %u (%u needed)\nshare file:    SHA-256 %s\n",
	    h->key, hex, h->epoch, h->c.x, h->n, h->m, dig);
	if (h->c.has_approval_pk) {
		kr_approval_fingerprint(h->c.approval_pk, fp);
		cmd_printf(w->ctx, "approval key:  SHA-256 %s\n", fp);
	} else
		cmd_printf(w->ctx, "approval key:  none (share file format "
		    "1)\n");
	cmd_printf(w->ctx, "state:         %s\n", state);
	return 0;
}

static int
cmd_custodian_show_exec(struct cmd_ctx *ctx, void *opts, int argc,
    char **argv)
{
	struct cmd_custodian_walk	w;
	int				ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "name one custodian");
	memset(&w, 0, sizeof(w));
	w.ctx = ctx;
	ret = kr_store_holdings_foreach(kr_appliance_store(ctx->app), argv[0],
	    cmd_custodian_show_row, &w, &ctx->err);
	if (ret == KR_OK && w.rows == 0)
		return kr_err_set(&ctx->err, KR_ENOENT, "no custodian named "
		    "'%s' holds a share in this state folder: `keyrite "
		    "custodian list` shows them", argv[0]);
	return ret;
}

const struct cmd_entry cmd_custodian_show_entry = {
	.name = "custodian show",
	.usage = "NAME",
	.summary = "show one custodian's shares: key, share set, epoch, x, "
	    "file digest, approval key, state",
	.help = "",
	.flags = CMD_STATE,
	.exec = cmd_custodian_show_exec,
};
