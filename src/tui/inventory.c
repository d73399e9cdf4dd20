/*
 * Inventory: keys, certificates (with revocation state), CRLs,
 * signatures and custodians, one tab each; Enter shows one in full
 * (detail.c).  Read-only store queries, and the authority for what the
 * chain says of revocations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "tui_int.h"

enum { TUI_INV_KEYS, TUI_INV_CERTS, TUI_INV_CRLS, TUI_INV_SIGS,
    TUI_INV_CUST, TUI_INV_TABS };

static const char *const tui_inv_names[TUI_INV_TABS] = {
	"1 Keys", "2 Certificates", "3 CRLs", "4 Signatures", "5 Custodians"
};
static const char *const tui_inv_heads[TUI_INV_TABS] = {
	"NAME                 PURPOSE   ALG      BACK END STATE",
	"SERIAL            KIND         EXPIRES     REVOCATION  SUBJECT",
	"ISSUER KEY           NUMBER  NEXT UPDATE           ENTRIES",
	"ID     FORMAT   SIZE         IMAGE",
	"CUSTODIAN        KEY                  SHARE  EPOCH  CHECKED",
};

struct tui_inv {
	struct tui		*t;
	int			 tab;
	struct tui_lines	 rows;
	struct tui_lines	 details;	/* '\n'-joined, one per row */
	struct tui_sel		 sel;
};

/* One row and its detail (the detail's lines joined with '\n'). */
static void
tui_inv_add(struct tui_inv *v, struct tui_lines *d, const char *row)
{
	char	text[4096];
	size_t	i, o = 0;

	text[0] = '\0';
	for (i = 0; i < d->n && o + 2 < sizeof(text); i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\n",
		    d->v[i]);
	if (o >= sizeof(text))
		o = sizeof(text) - 1;
	tui_lines_put(&v->rows, row);
	tui_lines_put(&v->details, text);
	tui_lines_free(d);
}

static int
tui_inv_key(const struct kr_key_rec *k, void *arg)
{
	struct tui_inv		*v = arg;
	struct tui_lines	 d = { NULL, 0, 0 };
	char			 row[256];

	tui_detail_key(v->t, k, &d);
	(void)snprintf(row, sizeof(row), "%-20.20s %-9s %-8s %-8s %s",
	    k->name, k->purpose, k->alg, k->backend, k->state);
	tui_inv_add(v, &d, row);
	return 0;
}

static int
tui_inv_cert(const struct kr_cert_rec *c, void *arg)
{
	struct tui_inv		*v = arg;
	struct tui_lines	 d = { NULL, 0, 0 };
	struct kr_rev_status	 rs;
	char			 row[768], when[KR_TIME_STR_BYTES];

	tui_detail_cert(v->t, c, &d);
	kr_time_format(c->not_after, when);
	(void)snprintf(row, sizeof(row), "%-17.16s %-12s %.10s  %-11s %s",
	    c->serial, c->kind, when, kr_authority_cert_status(v->t->app, c,
	    &rs, &v->t->err) != KR_OK ? "unknown" : rs.state == KR_REV_NONE ?
	    "good" : "REVOKED", c->subject);
	tui_inv_add(v, &d, row);
	return 0;
}

static int
tui_inv_crl(const struct kr_key_rec *k, void *arg)
{
	struct tui_inv		*v = arg;
	struct tui_lines	 d = { NULL, 0, 0 };
	struct kr_crl_rec	 c;
	struct kr_err		 e;
	char			 row[256], when[KR_TIME_STR_BYTES];

	if (kr_store_crl_last(kr_appliance_store(v->t->app), k->id, false, &c,
	    &e) != KR_OK)
		return 0;
	tui_detail_crl(k->name, &c, &d);
	kr_time_format(c.next_update, when);
	(void)snprintf(row, sizeof(row), "%-20.20s %6lld  %s  %lld", k->name,
	    (long long)c.number, when, (long long)c.entries);
	tui_inv_add(v, &d, row);
	return 0;
}

static int
tui_inv_sig(const struct kr_signature_rec *s, void *arg)
{
	struct tui_inv		*v = arg;
	struct tui_lines	 d = { NULL, 0, 0 };
	char			 row[512];

	tui_detail_sig(s, &d);
	(void)snprintf(row, sizeof(row), "%-6lld %-8s %-12lld %s",
	    (long long)s->id, s->format, (long long)s->image_size,
	    s->image_name);
	tui_inv_add(v, &d, row);
	return 0;
}

static int
tui_inv_holding(const struct kr_holding_rec *h, void *arg)
{
	struct tui_inv		*v = arg;
	struct tui_lines	 d = { NULL, 0, 0 };
	char			 row[256];

	tui_detail_holding(h, &d);
	(void)snprintf(row, sizeof(row), "%-16.16s %-20.20s %5u  %5u  %s",
	    h->c.name, h->key, h->c.x, h->epoch, h->c.checked != 0 ? "yes" :
	    "no");
	tui_inv_add(v, &d, row);
	return 0;
}

static void
tui_inv_load(struct tui_inv *v)
{
	struct kr_store	*st = kr_appliance_store(v->t->app);
	int		 ret = KR_OK;

	tui_lines_free(&v->rows);
	tui_lines_free(&v->details);
	if (v->tab == TUI_INV_KEYS)
		ret = kr_store_key_foreach(st, tui_inv_key, v, &v->t->err);
	else if (v->tab == TUI_INV_CERTS)
		ret = kr_store_cert_foreach(st, tui_inv_cert, v, &v->t->err);
	else if (v->tab == TUI_INV_CRLS)
		ret = kr_store_key_foreach(st, tui_inv_crl, v, &v->t->err);
	else if (v->tab == TUI_INV_SIGS)
		ret = kr_store_signature_foreach(st, tui_inv_sig, v,
		    &v->t->err);
	else
		ret = kr_store_holdings_foreach(st, NULL, tui_inv_holding, v,
		    &v->t->err);
	if (ret != KR_OK)
		tui_message(v->t, "The records cannot be read", v->t->err.msg);
	memset(&v->sel, 0, sizeof(v->sel));
	v->sel.n = v->rows.n;
}

static void
tui_inv_draw(struct tui *t, void *arg)
{
	struct tui_inv	*v = arg;
	size_t		 i;
	int		 x = 1;

	tui_frame(t, "Inventory", "1-5, Tab: lists  Enter: details  ?: keys  "
	    "Esc: back");
	for (i = 0; i < TUI_INV_TABS; i++)
		x += tui_textf(2, x, COLS - x, (int)i == v->tab ? TUI_TITLE :
		    TUI_NORMAL, " %s ", tui_inv_names[i]) + 1;
	(void)tui_text(3, 1, COLS - 2, TUI_BOLD, tui_inv_heads[v->tab]);
	tui_sel_draw(&v->sel, &v->rows, 4, LINES - 6);
}

static void
tui_inv_detail(struct tui_inv *v)
{
	struct tui_lines	 l = { NULL, 0, 0 };
	char			*p, *nl;

	if (v->sel.cur >= v->details.n)
		return;
	for (p = v->details.v[v->sel.cur]; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		tui_lines_add(&l, "%.*s", (int)(nl - p), p);
	}
	tui_pager(v->t, tui_inv_names[v->tab] + 2, &l);
	tui_lines_free(&l);
}

static const char *const tui_inv_keys[] = {
	"1 .. 5    keys, certificates, CRLs, signatures, custodians",
	"Tab       the next list",
	"Up, Down  choose a row; PgUp, PgDn, Home, End",
	"Enter     the row in full",
	"Esc       back to home",
	NULL
};

void
tui_inventory(struct tui *t)
{
	struct tui_inv		v;
	struct tui_screen_save	sv;
	int			ch;

	memset(&v, 0, sizeof(v));
	v.t = t;
	tui_inv_load(&v);
	tui_push(t, &sv, tui_inv_draw, &v, tui_inv_keys);
	while ((ch = tui_key(t)) != TUI_ESC) {
		if ((ch >= '1' && ch < '1' + TUI_INV_TABS) || ch == '\t') {
			v.tab = ch == '\t' ? (v.tab + 1) % TUI_INV_TABS :
			    ch - '1';
			tui_inv_load(&v);
		} else if (ch == '\r' || ch == '\n' || ch == KEY_ENTER)
			tui_inv_detail(&v);
		else
			(void)tui_sel_key(&v.sel, ch, LINES - 6);
		tui_redraw(t);
	}
	tui_pop(t, &sv);
	tui_lines_free(&v.rows);
	tui_lines_free(&v.details);
}
