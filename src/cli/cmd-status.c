/*
 * keyrite status [--json]: what this appliance is, how it stands, and what
 * is due (authority/due.c gathers it; this file only shows it).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CMD_DAY		86400

/* What the folder is and how its chain stands, for both outputs. */
struct cmd_status_facts {
	char			 id[64];
	size_t			 keys;
	int64_t			 newest;
	struct kr_audit_report	 rep;
	bool			 records_ok;
	struct kr_err		 replay_err;	/* when not */
	struct kr_due		 due;
};

static int
cmd_status_count_key(const struct kr_key_rec *k, void *arg)
{
	size_t	*n = arg;

	if (strcmp(k->state, "active") == 0)
		(*n)++;
	return 0;
}

static int
cmd_status_gather(struct cmd_ctx *ctx, struct cmd_status_facts *f)
{
	struct kr_store			*st = kr_appliance_store(ctx->app);
	const struct kr_replay_report	*rp;
	int				 ret;

	memset(f, 0, sizeof(*f));
	if ((ret = kr_store_meta_get(st, "appliance_id", f->id, sizeof(f->id),
	    &ctx->err)) != KR_OK ||
	    (ret = kr_store_key_foreach(st, cmd_status_count_key, &f->keys,
	    &ctx->err)) != KR_OK ||
	    (ret = kr_store_audit_newest(st, &f->newest, &ctx->err)) != KR_OK)
		return ret;
	f->records_ok = kr_authority_audit_replay(ctx->app, &f->rep, &rp,
	    &f->replay_err) == KR_OK;
	return kr_authority_due(ctx->app, kr_time_now(), &f->due, &ctx->err);
}

/* "in 36 days", "in 5 hours", "within an hour", "1 hour ago" */
static const char *
cmd_status_days(int64_t when, int64_t now, char *buf, size_t cap)
{
	int64_t		 n = (when - now) / CMD_DAY;
	const char	*unit = "day";

	if (n == 0) {
		n = (when - now) / 3600;
		unit = "hour";
	}
	if (n == 0)
		(void)snprintf(buf, cap, "within an hour");
	else if (n > 0)
		(void)snprintf(buf, cap, "in %lld %s%s", (long long)n, unit,
		    n == 1 ? "" : "s");
	else
		(void)snprintf(buf, cap, "%lld %s%s ago", (long long)-n, unit,
		    n == -1 ? "" : "s");
	return buf;
}

#define CMD_STATUS_CONT	"                 "

static void
cmd_status_certs(struct cmd_ctx *ctx, const struct kr_due *d)
{
	const struct kr_due_cert	*c;
	char				 when[KR_TIME_STR_BYTES], in[32];
	size_t				 i;

	if (d->ncerts == 0)
		cmd_printf(ctx, "expiring:        no %scertificate expires "
		    "within %u days\n", d->ngroups > 0 ? "other " : "",
		    d->cert_days);
	for (i = 0; i < d->ncerts; i++) {
		c = &d->certs[i];
		kr_time_format(c->not_after, when);
		cmd_printf(ctx, "%s%s %s (%s, %s), issued by '%s', expires %s "
		    "(%s)%s\n", i == 0 ? "expiring:        " : CMD_STATUS_CONT,
		    c->kind, c->serial, c->subject, c->profile, c->issuer[0] !=
		    '\0' ? c->issuer : "?", when, cmd_status_days(c->not_after,
		    d->now, in, sizeof(in)), c->held ? ", on hold" : "");
	}
}

/*
 * The renewal command a group's line shows, for scripts too; for a
 * retired issuer's certificates, under its successor (KEY to fill in).
 */
static const char *
cmd_status_renew_command(const struct kr_due *d, const struct kr_due_group *g,
    char *buf, size_t cap)
{
	if (g->retired)
		(void)snprintf(buf, cap, "keyrite provision batch --issuer-key "
		    "KEY --from-issuer %s --profile %s --renew-within-days %u "
		    "--out-dir DIR --operator TEXT --share FILE...", g->issuer,
		    g->profile, d->soon_days);
	else
		(void)snprintf(buf, cap, "keyrite provision batch --issuer-key "
		    "%s --profile %s --renew-within-days %u --out-dir DIR "
		    "--operator TEXT --share FILE...", g->issuer, g->profile,
		    d->soon_days);
	return buf;
}

/* Short-lived certificates: one line per issuing key and profile. */
static void
cmd_status_groups(struct cmd_ctx *ctx, const struct kr_due *d)
{
	const struct kr_due_group	*g;
	char				 when[KR_TIME_STR_BYTES], in[32];
	char				 cmd[512];
	size_t				 i;

	if (d->ngroups == 0)
		cmd_printf(ctx, "short-lived:     none (no certificate of a "
		    "short-lived profile expires within %u days)\n",
		    d->cert_days);
	for (i = 0; i < d->ngroups; i++) {
		g = &d->groups[i];
		kr_time_format(g->soonest, when);
		cmd_printf(ctx, "%s'%s', profile %s: %zu certificate%s "
		    "expire%s within %u days, %zu of them within %u days; the "
		    "soonest, %s, expires %s (%s)\n", i == 0 ?
		    "short-lived:     " : CMD_STATUS_CONT, g->issuer,
		    g->profile, g->count, g->count == 1 ? "" : "s",
		    g->count == 1 ? "s" : "", d->cert_days, g->soon,
		    d->soon_days, g->soonest_serial, when, cmd_status_days(
		    g->soonest, d->now, in, sizeof(in)));
		cmd_printf(ctx, CMD_STATUS_CONT "  `%s`\n",
		    cmd_status_renew_command(d, g, cmd, sizeof(cmd)));
	}
}

/* Revocations on no published CRL yet: the CRL is due now. */
static void
cmd_status_unpublished(struct cmd_ctx *ctx, const struct kr_due_crl *c)
{
	if (c->unpublished > 0)
		cmd_printf(ctx, CMD_STATUS_CONT "  %lld revocation%s recorded "
		    "since, on no published CRL yet: publish now\n",
		    (long long)c->unpublished, c->unpublished == 1 ? "" : "s");
}

static void
cmd_status_crls(struct cmd_ctx *ctx, const struct kr_due *d)
{
	const struct kr_due_crl	*c;
	char			 next[KR_TIME_STR_BYTES], by[KR_TIME_STR_BYTES];
	char			 in[32];
	size_t			 i;

	if (d->ncrls == 0)
		cmd_printf(ctx, "CRLs due:        none (each CA's next CRL is "
		    "more than %u days away)\n", d->crl_margin_days);
	for (i = 0; i < d->ncrls; i++) {
		c = &d->crls[i];
		kr_time_format(c->next_update, next);
		kr_time_format(c->publish_by, by);
		if (!c->published)
			cmd_printf(ctx, "%s'%s': no CRL published yet\n", i == 0 ?
			    "CRLs due:        " : CMD_STATUS_CONT, c->issuer);
		else
			cmd_printf(ctx, "%s'%s': CRL %lld's nextUpdate is %s "
			    "(%s)%s, publish by %s\n", i == 0 ?
			    "CRLs due:        " : CMD_STATUS_CONT, c->issuer,
			    (long long)c->number, next, cmd_status_days(
			    c->next_update, d->now, in, sizeof(in)),
			    c->next_update <= d->now ? ", OVERDUE" : "", by);
		cmd_status_unpublished(ctx, c);
		cmd_printf(ctx, CMD_STATUS_CONT "  `keyrite crl publish "
		    "--issuer-key %s --out FILE --share FILE...`\n", c->issuer);
	}
}

static void
cmd_status_deltas(struct cmd_ctx *ctx, const struct kr_due *d)
{
	const struct kr_due_delta	*dl;
	const struct kr_due_crl		*c;
	char				 next[KR_TIME_STR_BYTES];
	char				 by[KR_TIME_STR_BYTES], in[32];
	size_t				 i;

	if (d->ndeltas == 0 && d->delta_cas > 0)
		cmd_printf(ctx, "delta CRLs due:  none (each CA's next delta "
		    "CRL is not due yet)\n");
	for (i = 0; i < d->ndeltas; i++) {
		dl = &d->deltas[i];
		c = &dl->crl;
		kr_time_format(c->next_update, next);
		kr_time_format(c->publish_by, by);
		if (!c->published)
			cmd_printf(ctx, "%s'%s': no delta CRL since base CRL "
			    "%lld (deltas go to %s)\n", i == 0 ?
			    "delta CRLs due:  " : CMD_STATUS_CONT, c->issuer,
			    (long long)dl->base_number, dl->location);
		else
			cmd_printf(ctx, "%s'%s': delta CRL %lld (of base "
			    "%lld)'s nextUpdate is %s (%s)%s, publish by %s\n",
			    i == 0 ? "delta CRLs due:  " : CMD_STATUS_CONT,
			    c->issuer,
			    (long long)c->number, (long long)dl->base_number,
			    next, cmd_status_days(c->next_update, d->now, in,
			    sizeof(in)), c->next_update <= d->now ?
			    ", OVERDUE" : "", by);
		cmd_status_unpublished(ctx, c);
		cmd_printf(ctx, CMD_STATUS_CONT "  `keyrite crl publish "
		    "--issuer-key %s --delta --out FILE --share FILE...`\n",
		    c->issuer);
	}
}

/* A key held here whose own certificate is revoked or on hold. */
static void
cmd_status_revoked(struct cmd_ctx *ctx, const struct kr_due *d)
{
	const struct kr_due_rev	*r;
	char			 rev[96];
	size_t			 i;

	if (d->nrevoked == 0)
		cmd_printf(ctx, "revoked keys:    none (no key's certificate is "
		    "revoked or on hold)\n");
	for (i = 0; i < d->nrevoked; i++) {
		r = &d->revoked[i];
		kr_rev_status_format(&r->status, rev, sizeof(rev));
		cmd_printf(ctx, "%s%s: certificate %s %s; %s\n", i == 0 ?
		    "revoked keys:    " : CMD_STATUS_CONT, r->key,
		    r->status.serial, rev, r->standing);
	}
}

static void
cmd_status_keys(struct cmd_ctx *ctx, const struct kr_due *d)
{
	const struct kr_due_key		*k;
	const struct kr_due_reshare	*r;
	size_t				 i;

	if (d->nuncertified == 0)
		cmd_printf(ctx, "uncertified:     none (every active key has a "
		    "certificate)\n");
	for (i = 0; i < d->nuncertified; i++) {
		k = &d->uncertified[i];
		cmd_printf(ctx, "%s%s (%s, purpose %s, %s): no certificate\n",
		    i == 0 ? "uncertified:     " : CMD_STATUS_CONT, k->key,
		    k->alg, k->purpose, k->backend);
	}
	if (d->nreshares == 0)
		cmd_printf(ctx, "reshares:        none pending\n");
	for (i = 0; i < d->nreshares; i++) {
		r = &d->reshares[i];
		cmd_printf(ctx, "%s%s: epoch %u (%u of %u) is pending: %u of its "
		    "holders checked their new shares, %u needed (`keyrite "
		    "quorum verify --key %s --share FILE`)\n", i == 0 ?
		    "reshares:        " : CMD_STATUS_CONT, r->key, r->epoch,
		    r->m, r->n, r->checked, r->m, r->key);
	}
}

static void
cmd_status_due(struct cmd_ctx *ctx, const struct kr_due *d)
{
	char	now[KR_TIME_STR_BYTES];

	kr_time_format(d->now, now);
	cmd_printf(ctx, "what is due:     as of %s%s\n", now, d->damaged ?
	    " (from records that do NOT match the audit chain: not fact)" :
	    "");
	cmd_status_certs(ctx, d);
	cmd_status_groups(ctx, d);
	cmd_status_crls(ctx, d);
	cmd_status_deltas(ctx, d);
	cmd_status_revoked(ctx, d);
	cmd_status_keys(ctx, d);
}

static void
cmd_status_hardening(struct cmd_ctx *ctx)
{
	const struct kr_hardening	*h = ctx->hardening;

	cmd_printf(ctx, "self-tests:      %zu known-answer tests passed\n",
	    kr_appliance_selftests(ctx->app));
	if (h == NULL)
		return;
	cmd_printf(ctx, "core dumps:      %s\n", h->core_off ? "off" : "ON");
	cmd_printf(ctx, "memory locked:   %s\n", h->locked ? "yes" :
	    "NO (see the warning when secrets are handled)");
}

static void
cmd_status_text(struct cmd_ctx *ctx, const struct cmd_status_facts *f)
{
	char	when[KR_TIME_STR_BYTES];
	char	head[2 * KR_AUDIT_HASH_BYTES + 1];

	kr_hex_encode(head, f->rep.head, sizeof(f->rep.head));
	kr_time_format(f->newest, when);
	cmd_printf(ctx, "state folder:    %s\n", kr_appliance_dir(ctx->app));
	cmd_printf(ctx, "appliance id:    %s\n", f->id);
	cmd_printf(ctx, "kdf profile:     %s%s\n",
	    kr_appliance_kdf_profile(ctx->app), kr_appliance_is_test(ctx->app) ?
	    " (TEST ONLY: share files are cheap to attack)" : "");
	cmd_printf(ctx, "active keys:     %zu\n", f->keys);
	cmd_printf(ctx, "audit chain:     %lld rows, %s, newest %s\n",
	    (long long)f->rep.rows, f->rep.first_bad != 0 ? "BROKEN" :
	    "intact", when);
	cmd_printf(ctx, "records:         %s\n", f->records_ok ?
	    "every record matches the chain" : "DAMAGED: records do not "
	    "match the chain (`keyrite audit verify` lists them)");
	if (f->records_ok)
		cmd_printf(ctx, "audit head:      %s\n", head);
	cmd_status_hardening(ctx);
	cmd_status_due(ctx, &f->due);
}

/* --json (docs/formats.md, "status --json") */
static void
cmd_status_json_certs(const struct kr_due *d, struct kr_buf *l)
{
	struct kr_json	j;
	size_t		i;

	for (i = 0; i < d->ncerts; i++) {
		kr_json_begin(&j);
		kr_json_str(&j, "serial", d->certs[i].serial);
		kr_json_str(&j, "subject", d->certs[i].subject);
		kr_json_str(&j, "kind", d->certs[i].kind);
		kr_json_str(&j, "profile", d->certs[i].profile);
		kr_json_str(&j, "issuer_key", d->certs[i].issuer);
		cmd_json_time(&j, "not_after", d->certs[i].not_after);
		kr_json_bool(&j, "on_hold", d->certs[i].held);
		kr_json_list_add(l, &j);
	}
}

/* A base or delta CRL that is due, after the members before it. */
static void
cmd_status_json_crl(struct kr_json *j, const struct kr_due_crl *c,
    int64_t now)
{
	kr_json_bool(j, "published", c->published);
	if (c->published) {
		kr_json_int(j, "number", c->number);
		cmd_json_time(j, "this_update", c->this_update);
		cmd_json_time(j, "next_update", c->next_update);
		cmd_json_time(j, "publish_by", c->publish_by);
	}
	kr_json_bool(j, "overdue", !c->published || c->next_update <= now);
	kr_json_int(j, "unpublished_revocations", c->unpublished);
}

static void
cmd_status_json_crls(const struct kr_due *d, struct kr_buf *l)
{
	struct kr_json	j;
	size_t		i;

	for (i = 0; i < d->ncrls; i++) {
		kr_json_begin(&j);
		kr_json_str(&j, "issuer_key", d->crls[i].issuer);
		cmd_status_json_crl(&j, &d->crls[i], d->now);
		kr_json_list_add(l, &j);
	}
}

static void
cmd_status_json_groups(const struct kr_due *d, struct kr_buf *l)
{
	const struct kr_due_group	*g;
	struct kr_json			 j;
	char				 cmd[512];
	size_t				 i;

	for (i = 0; i < d->ngroups; i++) {
		g = &d->groups[i];
		kr_json_begin(&j);
		kr_json_str(&j, "issuer_key", g->issuer);
		kr_json_str(&j, "profile", g->profile);
		kr_json_int(&j, "count", (int64_t)g->count);
		kr_json_int(&j, "soon", (int64_t)g->soon);
		cmd_json_time(&j, "soonest", g->soonest);
		kr_json_str(&j, "soonest_serial", g->soonest_serial);
		kr_json_str(&j, "command", cmd_status_renew_command(d, g, cmd,
		    sizeof(cmd)));
		kr_json_list_add(l, &j);
	}
}

static void
cmd_status_json_deltas(const struct kr_due *d, struct kr_buf *l)
{
	const struct kr_due_delta	*c;
	struct kr_json			 j;
	size_t				 i;

	for (i = 0; i < d->ndeltas; i++) {
		c = &d->deltas[i];
		kr_json_begin(&j);
		kr_json_str(&j, "issuer_key", c->crl.issuer);
		kr_json_str(&j, "location", c->location);
		kr_json_int(&j, "base_number", c->base_number);
		cmd_status_json_crl(&j, &c->crl, d->now);
		kr_json_list_add(l, &j);
	}
}

static void
cmd_status_json_revoked(const struct kr_due *d, struct kr_buf *l)
{
	const struct kr_due_rev	*r;
	struct kr_json		 j;
	size_t			 i;

	for (i = 0; i < d->nrevoked; i++) {
		r = &d->revoked[i];
		kr_json_begin(&j);
		kr_json_str(&j, "key", r->key);
		kr_json_str(&j, "purpose", r->purpose);
		kr_json_str(&j, "serial", r->status.serial);
		kr_json_str(&j, "issuer_key", r->status.issuer);
		kr_json_str(&j, "state", r->status.state == KR_REV_HELD ?
		    "on hold" : "revoked");
		kr_json_str(&j, "reason", kr_reason_name(r->status.reason));
		cmd_json_time(&j, "since", r->status.since);
		kr_json_str(&j, "standing", r->standing);
		kr_json_list_add(l, &j);
	}
}

static void
cmd_status_json_keys(const struct kr_due *d, struct kr_buf *l,
    struct kr_buf *rl)
{
	struct kr_json	j;
	size_t		i;

	for (i = 0; i < d->nuncertified; i++) {
		kr_json_begin(&j);
		kr_json_str(&j, "key", d->uncertified[i].key);
		kr_json_str(&j, "alg", d->uncertified[i].alg);
		kr_json_str(&j, "purpose", d->uncertified[i].purpose);
		kr_json_str(&j, "backend", d->uncertified[i].backend);
		cmd_json_time(&j, "created", d->uncertified[i].created);
		kr_json_list_add(l, &j);
	}
	for (i = 0; i < d->nreshares; i++) {
		kr_json_begin(&j);
		kr_json_str(&j, "key", d->reshares[i].key);
		kr_json_int(&j, "epoch", d->reshares[i].epoch);
		kr_json_int(&j, "m", d->reshares[i].m);
		kr_json_int(&j, "n", d->reshares[i].n);
		kr_json_int(&j, "checked", d->reshares[i].checked);
		cmd_json_time(&j, "dealt", d->reshares[i].created);
		kr_json_list_add(rl, &j);
	}
}

#define CMD_STATUS_LISTS	7

/* The "due" member: seven lists, each [] when nothing is due. */
static const char *
cmd_status_json_due(const struct kr_due *d, struct kr_json *j,
    struct kr_buf *l)
{
	kr_json_begin(j);
	cmd_json_time(j, "as_of", d->now);
	kr_json_bool(j, "damaged", d->damaged);
	kr_json_int(j, "certificate_days", d->cert_days);
	kr_json_int(j, "soon_days", d->soon_days);
	kr_json_int(j, "crl_margin_days", d->crl_margin_days);
	cmd_status_json_certs(d, &l[0]);
	cmd_status_json_groups(d, &l[1]);
	cmd_status_json_crls(d, &l[2]);
	cmd_status_json_deltas(d, &l[3]);
	cmd_status_json_revoked(d, &l[4]);
	cmd_status_json_keys(d, &l[5], &l[6]);
	kr_json_raw(j, "certificates", kr_json_list_end(&l[0]));
	kr_json_raw(j, "certificate_groups", kr_json_list_end(&l[1]));
	kr_json_raw(j, "crls", kr_json_list_end(&l[2]));
	kr_json_raw(j, "delta_crls", kr_json_list_end(&l[3]));
	kr_json_raw(j, "revoked_keys", kr_json_list_end(&l[4]));
	kr_json_raw(j, "uncertified_keys", kr_json_list_end(&l[5]));
	kr_json_raw(j, "pending_reshares", kr_json_list_end(&l[6]));
	return kr_json_end(j);
}

static const char *
cmd_status_json_audit(const struct cmd_status_facts *f, struct kr_json *j)
{
	kr_json_begin(j);
	kr_json_int(j, "rows", f->rep.rows);
	kr_json_bool(j, "intact", f->rep.first_bad == 0);
	cmd_json_time(j, "newest", f->newest);
	kr_json_bool(j, "records_match", f->records_ok);
	if (f->records_ok)
		kr_json_hex(j, "head", f->rep.head, sizeof(f->rep.head));
	return kr_json_end(j);
}

static int
cmd_status_json(struct cmd_ctx *ctx, const struct cmd_status_facts *f)
{
	struct kr_json	 j, a, d;
	struct kr_buf	 l[CMD_STATUS_LISTS];
	const char	*t;
	size_t		 i;

	for (i = 0; i < CMD_STATUS_LISTS; i++)
		kr_buf_init(&l[i], false);
	kr_json_begin(&j);
	kr_json_str(&j, "format", "keyrite-status");
	kr_json_int(&j, "version", 1);
	kr_json_str(&j, "state_folder", kr_appliance_dir(ctx->app));
	kr_json_str(&j, "appliance_id", f->id);
	kr_json_str(&j, "kdf_profile", kr_appliance_kdf_profile(ctx->app));
	kr_json_bool(&j, "test_kdf", kr_appliance_is_test(ctx->app));
	kr_json_int(&j, "active_keys", (int64_t)f->keys);
	kr_json_raw(&j, "audit", cmd_status_json_audit(f, &a));
	kr_json_raw(&j, "due", cmd_status_json_due(&f->due, &d, l));
	if ((t = kr_json_end(&j)) != NULL) {
		cmd_print_json(ctx, t);
		cmd_printf(ctx, "\n");
	}
	kr_json_free(&j);
	kr_json_free(&a);
	kr_json_free(&d);
	for (i = 0; i < CMD_STATUS_LISTS; i++)
		kr_buf_free(&l[i]);
	return t != NULL ? KR_OK : kr_err_set(&ctx->err, KR_ENOMEM,
	    "out of memory");
}

static int
cmd_status_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_json_opts	*o = opts;
	struct cmd_status_facts	*f;
	int			 ret;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	if ((ret = cmd_status_gather(ctx, f)) == KR_OK) {
		if (o->json)
			ret = cmd_status_json(ctx, f);
		else
			cmd_status_text(ctx, f);
		if (ret == KR_OK && !f->records_ok) {
			ctx->err = f->replay_err;
			ret = f->replay_err.code != KR_OK ? f->replay_err.code :
			    KR_EVERIFY;
		}
	}
	kr_due_free(&f->due);
	free(f);
	return ret;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[--json]",
	.summary = "show the appliance, its audit chain, and what is due",
	.help = "Shows the state folder, KDF profile, keys and audit chain, "
	    "then what is due:\ncertificates expiring within 90 days "
	    "(short-lived device certificates counted\nper issuing key and "
	    "profile, with the command that renews them), base and\ndelta "
	    "CRLs to publish, keys revoked or on hold, keys with no "
	    "certificate,\npending reshares.\n"
	    "  --json   the same as one JSON document (docs/formats.md)\n",
	.flags = CMD_STATE | CMD_NOARGS,
	.opts = cmd_json_options,
	.opts_size = sizeof(struct cmd_json_opts),
	.exec = cmd_status_exec,
};
