/*
 * Home: the appliance at a glance.  Its id and KDF profile, the
 * self-tests, the audit chain (its head in groups of four, for reading
 * aloud), the keys with purpose, back end and quorum, the certificates
 * expiring within 90 days (short-lived ones counted per issuing key and
 * profile), the base and delta CRLs due, and a banner when a record does
 * not match the chain.
 */
#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "tui_int.h"


struct tui_home {
	char			id[64];
	struct kr_audit_report	rep;
	bool			damaged;
	char			damage[400];
	struct tui_lines	keys;
	struct tui_lines	soon;		/* certificates expiring */
	struct tui_lines	due;		/* CRLs due */
};

struct tui_home_cb {
	struct tui	*t;
	struct tui_home	*h;
};

static int
tui_home_key(const struct kr_key_rec *k, void *arg)
{
	struct tui		*t = ((struct tui_home_cb *)arg)->t;
	struct tui_home		*h = ((struct tui_home_cb *)arg)->h;
	struct kr_set_rec	 set;
	struct kr_err		 e;
	char			 q[32] = "no quorum";

	if (strcmp(k->state, "active") != 0)
		return 0;
	if (kr_store_set_active(kr_appliance_store(t->app), k->id, &set,
	    &e) == KR_OK)
		(void)snprintf(q, sizeof(q), "%u of %u, epoch %u", set.m,
		    set.n, set.epoch);
	tui_lines_add(&h->keys, "%-20.20s %-9s %-8s %-7s %s", k->name,
	    k->purpose, k->alg, k->backend, q);
	return 0;
}

static void
tui_home_deltas(struct tui_home *h, const struct kr_due *d)
{
	const struct kr_due_crl	*c;
	char			 when[KR_TIME_STR_BYTES];
	size_t			 i;

	for (i = 0; i < d->ndeltas; i++) {
		c = &d->deltas[i].crl;
		kr_time_format(c->publish_by, when);
		if (!c->published)
			tui_lines_add(&h->due, "%s: no delta CRL since base "
			    "%lld", c->issuer,
			    (long long)d->deltas[i].base_number);
		else
			tui_lines_add(&h->due, "%s: delta CRL %lld, publish by "
			    "%.10s %.5s%s", c->issuer, (long long)c->number,
			    when, when + 11, c->next_update < d->now ?
			    " (OVERDUE)" : c->unpublished > 0 ?
			    " (NEW REVOCATIONS)" : "");
	}
}

/* What `status` lists as due (kr_authority_due): one source for both. */
static void
tui_home_due(struct tui *t, struct tui_home *h)
{
	struct kr_due	 d;
	char		 when[KR_TIME_STR_BYTES];
	size_t		 i;

	if (kr_authority_due(t->app, kr_time_now(), &d, &t->err) != KR_OK) {
		tui_lines_add(&h->soon, "cannot tell: %s", t->err.msg);
		return;
	}
	for (i = 0; i < d.ngroups; i++) {
		kr_time_format(d.groups[i].soonest, when);
		tui_lines_add(&h->soon, "%s/%s: %zu short-lived, %zu within %u "
		    "days, soonest %.10s", d.groups[i].issuer,
		    d.groups[i].profile, d.groups[i].count, d.groups[i].soon,
		    d.soon_days, when);
	}
	for (i = 0; i < d.ncerts; i++) {
		kr_time_format(d.certs[i].not_after, when);
		tui_lines_add(&h->soon, "%.10s %s %s (%s)%s", when,
		    d.certs[i].not_after < d.now ? "EXPIRED" : "expires",
		    d.certs[i].subject, d.certs[i].kind,
		    d.certs[i].held ? " on hold" : "");
	}
	for (i = 0; i < d.ncrls; i++) {
		kr_time_format(d.crls[i].publish_by, when);
		if (!d.crls[i].published)
			tui_lines_add(&h->due, "%s: no CRL yet", d.crls[i].issuer);
		else
			tui_lines_add(&h->due, "%s: CRL %lld, publish by %.10s%s",
			    d.crls[i].issuer, (long long)d.crls[i].number, when,
			    d.crls[i].next_update < d.now ? " (OVERDUE)" :
			    d.crls[i].unpublished > 0 ? " (NEW REVOCATIONS)" :
			    "");
	}
	tui_home_deltas(h, &d);
	kr_due_free(&d);
}

static void
tui_home_damage(struct tui *t, struct tui_home *h, int ret)
{
	const struct kr_replay_report	*rp = kr_appliance_damage(t->app);

	h->damaged = ret != KR_OK || rp != NULL || h->rep.first_bad != 0;
	if (!h->damaged)
		return;
	if (h->rep.first_bad != 0)
		(void)snprintf(h->damage, sizeof(h->damage), "the audit chain "
		    "is broken at entry %lld: %s", (long long)h->rep.first_bad,
		    h->rep.reason);
	else if (rp != NULL && rp->shown > 0)
		(void)snprintf(h->damage, sizeof(h->damage), "%s",
		    rp->problem[0]);
	else
		(void)snprintf(h->damage, sizeof(h->damage), "%.300s",
		    t->err.msg);
}

static void
tui_home_load(struct tui *t, struct tui_home *h)
{
	const struct kr_replay_report	*rp;
	struct kr_store			*st = kr_appliance_store(t->app);
	struct tui_home_cb		 cb = { t, h };
	int				 ret;

	tui_lines_free(&h->keys);
	tui_lines_free(&h->soon);
	tui_lines_free(&h->due);
	memset(h, 0, sizeof(*h));
	if (kr_store_meta_get(st, "appliance_id", h->id, sizeof(h->id),
	    &t->err) != KR_OK)
		(void)snprintf(h->id, sizeof(h->id), "(unreadable)");
	ret = kr_authority_audit_replay(t->app, &h->rep, &rp, &t->err);
	tui_home_damage(t, h, ret);
	if (kr_store_key_foreach(st, tui_home_key, &cb, &t->err) != KR_OK)
		tui_lines_add(&h->keys, "cannot read: %s", t->err.msg);
	tui_home_due(t, h);
}

static int
tui_home_list(int y, const char *head, const struct tui_lines *l,
    const char *none, int max)
{
	int	i;

	(void)tui_text(y++, 1, COLS - 2, TUI_BOLD, head);
	if (l->n == 0)
		(void)tui_text(y++, 3, COLS - 4, TUI_NORMAL, none);
	for (i = 0; i < max && (size_t)i < l->n; i++)
		(void)tui_text(y++, 3, COLS - 4, TUI_NORMAL, l->v[i]);
	if (l->n > (size_t)max && max > 0)
		(void)tui_textf(y++, 3, COLS - 4, TUI_DIM, "... and %zu more "
		    "(i: inventory)", l->n - (size_t)max);
	return y;
}

static void
tui_home_draw(struct tui *t, void *arg)
{
	struct tui_home	*h = arg;
	char		 hex[2 * KR_AUDIT_HASH_BYTES + 1], grouped[96];
	int		 y = 2, room;

	tui_frame(t, "Home", "c: ceremonies  i: inventory  a: audit log  "
	    "r: refresh  ?: keys  q: quit");
	/* The frame's banner says DAMAGED when a record does not match. */
	if (h->damaged && kr_appliance_damage(t->app) != NULL)
		(void)tui_textf(y++, 1, COLS - 2, TUI_WARN, "Damage: %s",
		    h->damage);
	else if (h->damaged) {
		(void)tui_textf(y++, 1, COLS - 2, TUI_WARN, "DAMAGED STATE: %s",
		    h->damage);
		(void)tui_text(y++, 1, COLS - 2, TUI_WARN, "Records are shown "
		    "as held, not as fact; nothing can be signed.");
	}
	if (kr_appliance_clock_note(t->app) != NULL)
		(void)tui_textf(y++, 1, COLS - 2, TUI_WARN, "CLOCK: %s",
		    kr_appliance_clock_note(t->app));
	if (t->o->warning != NULL && t->o->warning[0] != '\0')
		(void)tui_textf(y++, 1, COLS - 2, TUI_WARN, "WARNING: %s",
		    t->o->warning);
	(void)tui_textf(y++, 1, COLS - 2, TUI_NORMAL, "Appliance   %s", h->id);
	(void)tui_textf(y++, 1, COLS - 2, TUI_NORMAL, "KDF profile %s%s",
	    kr_appliance_kdf_profile(t->app), kr_appliance_is_test(t->app) ?
	    " (TEST ONLY: share files are cheap to attack)" : "");
	(void)tui_textf(y++, 1, COLS - 2, TUI_NORMAL, "Self-tests  %zu "
	    "known-answer tests passed at start",
	    kr_appliance_selftests(t->app));
	(void)tui_textf(y++, 1, COLS - 2, h->rep.first_bad != 0 ? TUI_WARN :
	    TUI_NORMAL, "Audit chain %lld rows, %s", (long long)h->rep.rows,
	    h->rep.first_bad != 0 ? "BROKEN" : h->damaged ?
	    "intact links, records DAMAGED" : "intact, every record matches");
	kr_hex_encode(hex, h->rep.head, sizeof(h->rep.head));
	tui_group_hex(hex, grouped, sizeof(grouped));
	(void)tui_textf(y++, 1, COLS - 2, TUI_NORMAL, "Audit head  %.39s",
	    grouped);
	(void)tui_textf(y++, 1, COLS - 2, TUI_NORMAL, "            %s",
	    grouped + 40);
	y++;
	room = LINES - y - 8;
	y = tui_home_list(y, "Keys (name, purpose, algorithm, back end, "
	    "quorum)", &h->keys, "none yet", room > 2 ? room : 2);
	y = tui_home_list(y, "Certificates expiring within 90 days",
	    &h->soon, "none", 2);
	(void)tui_home_list(y, "CRLs due", &h->due, "none", 2);
}

static const char *const tui_home_keys[] = {
	"c        ceremonies: pick a script, set it, rehearse, run",
	"i        inventory: keys, certificates, CRLs, signatures, custodians",
	"a        the audit log, and verify",
	"r        read the state folder again",
	"?, F1    these keys (on every screen)",
	"Esc      back; on this screen: leave the console",
	"q        leave the console (the screen is cleared)",
	NULL
};

/*
 * The replay and the lists of what is due are read on entry, after a
 * rehearsal or a run (a writer was opened), and on 'r'; not at every key.
 */
void
tui_home(struct tui *t)
{
	struct tui_home		h;
	struct tui_screen_save	sv;
	unsigned		seen = t->writes;
	int			ch = 0;

	memset(&h, 0, sizeof(h));
	tui_home_load(t, &h);
	tui_push(t, &sv, tui_home_draw, &h, tui_home_keys);
	tui_offer_resume(t);
	for (;;) {
		if (t->app == NULL)
			break;
		if (ch == 'r' || t->writes != seen)
			tui_home_load(t, &h);
		seen = t->writes;
		tui_redraw(t);
		ch = tui_key(t);
		if (tui_leaving(t) || ch == 'q' || (ch == TUI_ESC &&
		    tui_yesno(t, "Leave",
		    "Leave the console? The screen is cleared.")))
			break;
		if (ch == 'c')
			tui_ceremonies(t);
		else if (ch == 'i')
			tui_inventory(t);
		else if (ch == 'a')
			tui_audit(t);
	}
	tui_pop(t, &sv);
	tui_lines_free(&h.keys);
	tui_lines_free(&h.soon);
	tui_lines_free(&h.due);
}
