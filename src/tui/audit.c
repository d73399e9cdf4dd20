/*
 * The audit log: every row, newest last, each shown in full with Enter
 * (its payload as `audit show` prints it, kr_audit_payload_text: times
 * in ISO 8601, and the row's whole hash); v verifies the chain and
 * replays it against every record (`audit verify`), and says the head.
 */
#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "tui_int.h"

struct tui_audit {
	struct tui_lines	rows;
	struct tui_lines	heads;
	struct tui_lines	payloads;
	struct tui_lines	hashes;
	struct tui_sel		sel;
};

static int
tui_audit_row(const struct kr_audit_rec *r, void *arg)
{
	struct tui_audit	*a = arg;
	struct kr_buf		 b;
	char			 when[KR_TIME_STR_BYTES], row[512];
	char			 hash[2 * KR_AUDIT_HASH_BYTES + 1];

	kr_time_format(r->time, when);
	(void)snprintf(row, sizeof(row), "%6lld  %s  %-10.10s %s",
	    (long long)r->seq, when, r->actor, r->event);
	tui_lines_put(&a->rows, row);
	(void)snprintf(row, sizeof(row), "row %lld  %s  %s by %s",
	    (long long)r->seq, when, r->event, r->actor);
	tui_lines_put(&a->heads, row);
	kr_buf_init(&b, false);
	kr_audit_payload_text(r->payload, &b);
	tui_lines_put(&a->payloads, b.failed ? r->payload : (const char *)b.p);
	kr_buf_free(&b);
	kr_hex_encode(hash, r->hash, sizeof(r->hash));
	(void)snprintf(row, sizeof(row), "hash %s", hash);
	tui_lines_put(&a->hashes, row);
	return 0;
}

static void
tui_audit_draw(struct tui *t, void *arg)
{
	struct tui_audit	*a = arg;

	tui_frame(t, "Audit log", "Enter: the row  v: verify  ?: keys  "
	    "Esc: back");
	(void)tui_text(2, 1, COLS - 2, TUI_BOLD, "   SEQ  TIME (UTC)"
	    "            ACTOR      EVENT");
	tui_sel_draw(&a->sel, &a->rows, 3, LINES - 5);
}

static void
tui_audit_verify(struct tui *t)
{
	struct kr_audit_report	rep;
	char			hex[2 * KR_AUDIT_HASH_BYTES + 1], grouped[96];
	char			msg[KR_ERR_MSG_MAX + 200];
	int			ret;

	memset(&rep, 0, sizeof(rep));
	ret = kr_authority_audit_verify_afresh(t->app, &rep, &t->err);
	kr_hex_encode(hex, rep.head, sizeof(rep.head));
	tui_group_hex(hex, grouped, sizeof(grouped));
	if (ret == KR_OK)
		(void)snprintf(msg, sizeof(msg), "INTACT: %lld rows; every "
		    "record matches the chain. Head: %s", (long long)rep.rows,
		    grouped);
	else
		(void)snprintf(msg, sizeof(msg), "NOT INTACT: %s", t->err.msg);
	tui_message(t, "Audit verify", msg);
}

/* One row in full: its payload and its hash, wrapped by the pager. */
static void
tui_audit_one(struct tui *t, struct tui_audit *a)
{
	struct tui_lines	l = { NULL, 0, 0 };

	if (a->sel.cur >= a->rows.n)
		return;
	tui_lines_put(&l, a->heads.v[a->sel.cur]);
	tui_lines_put(&l, a->payloads.v[a->sel.cur]);
	tui_lines_put(&l, a->hashes.v[a->sel.cur]);
	tui_pager(t, "Audit row", &l);
	tui_lines_free(&l);
}

static const char *const tui_audit_keys[] = {
	"Up, Down  choose a row; PgUp, PgDn, Home, End",
	"Enter     the row in full: its payload (UTC times), its hash",
	"v         verify: the chain, and every record against it",
	"Esc       back to home",
	NULL
};

void
tui_audit(struct tui *t)
{
	struct tui_audit	a;
	struct tui_screen_save	sv;
	int			ch;

	memset(&a, 0, sizeof(a));
	if (kr_store_audit_foreach(kr_appliance_store(t->app), 1,
	    tui_audit_row, &a, &t->err) != KR_OK)
		tui_message(t, "The audit log cannot be read", t->err.msg);
	a.sel.n = a.rows.n;
	a.sel.cur = a.rows.n > 0 ? a.rows.n - 1 : 0;
	(void)tui_sel_key(&a.sel, KEY_END, LINES - 5);
	tui_push(t, &sv, tui_audit_draw, &a, tui_audit_keys);
	while ((ch = tui_key(t)) != TUI_ESC) {
		if (ch == '\r' || ch == '\n' || ch == KEY_ENTER)
			tui_audit_one(t, &a);
		else if (ch == 'v')
			tui_audit_verify(t);
		else
			(void)tui_sel_key(&a.sel, ch, LINES - 5);
		tui_redraw(t);
	}
	tui_pop(t, &sv);
	tui_lines_free(&a.rows);
	tui_lines_free(&a.heads);
	tui_lines_free(&a.payloads);
	tui_lines_free(&a.hashes);
}
