/*
 * Run: a ceremony at the console, through the same engine as `ceremony
 * run` (kr_cer_run), so the records are the same.  The screen shows the
 * steps (done, current, to do), the current step's words to read aloud,
 * who must be present, each custodian's share, progress, and the log of
 * results; what will be signed is shown whole before it is approved;
 * passphrases are typed into fields that draw nothing; the witness
 * confirms each checkpoint.  At the end: where the transcript is and the
 * audit head.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "tui_int.h"

enum tui_step_state { TUI_TODO = 0, TUI_CURRENT, TUI_DONE };

struct tui_share {
	char	who[KR_CUSTODIAN_NAME_MAX + 1];
	char	state[64];
};

struct tui_run {
	struct tui			*t;
	const struct kr_cer_script	*s;
	struct kr_cer_script		*own;	/* a resumed ceremony's */
	char				 id[KR_CEREMONY_ID_BYTES];
	enum tui_step_state		 st[KR_CER_STEPS_MAX];
	bool				 stepping;	/* cur is set */
	size_t				 cur;
	char				 present[1024];
	/* what the step signs now (a step of several: each due CRL) */
	char				 signing[sizeof(((struct kr_preview *)0)->title)];
	struct tui_share		 sh[KR_CUSTODIANS_MAX];
	size_t				 nsh;
	/* the share files that approved, for the signed transcript */
	char				 files[KR_CUSTODIANS_MAX][1024];
	const char			*fileptr[KR_CUSTODIANS_MAX];
	size_t				 nfiles;
	struct tui_lines		 log;
	/* progress of a long step */
	bool				 prog;
	uint64_t			 done, total;
	struct timespec			 t0, drawn;
	/* the box over the log: a prompt, or the end */
	bool				 boxed;
	bool				 ended;		/* the box is bigger */
	char				 btitle[128];
	char				 btext[6][KR_ERR_MSG_MAX + 64];
	char				 bhint[160];
	/* the approval view */
	const struct kr_preview		*pv;
	size_t				 pv_top;
	char				 note[KR_ERR_MSG_MAX + 32];
	unsigned			 min_len;
	struct kr_passphrase_source	 src;
	struct kr_notice_sink		 ns;
	struct kr_cer_io		 io;
};

static void tui_run_draw(struct tui *, void *);

static const char *const tui_run_keys[] = {
	"The screen follows the ceremony; it asks when it needs someone:",
	"  a passphrase  typed blind (nothing is drawn); Enter ends it;",
	"                Backspace and Ctrl-U edit; Esc stops the step",
	"  approval      y approves what is shown; n or Esc signs nothing",
	"  checkpoint    y: the witness saw it; n or Esc: the ceremony stops",
	"Up, Down, PgUp, PgDn  scroll what will be signed",
	"F1 shows these keys while a passphrase is typed ('?' is a letter)",
	"After the end: l  the whole log   Enter, Esc  back",
	"               t  write the transcript, signed by the approvers",
	NULL
};

static void
tui_box_set(struct tui_run *r, const char *title, const char *hint)
{
	r->boxed = true;
	(void)snprintf(r->btitle, sizeof(r->btitle), "%s", title);
	(void)snprintf(r->bhint, sizeof(r->bhint), "%s", hint);
	memset(r->btext, 0, sizeof(r->btext));
}

static double
tui_secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
tui_run_steps(struct tui_run *r, int y, int h, int w)
{
	static const char *const mark[] = { "[ ]", "[>]", "[x]" };
	static const char *const word[] = { "to do", "now", "done" };
	size_t	i, first = 0;

	(void)tui_text(y++, 1, w, TUI_BOLD, "Steps");
	if (r->s == NULL || h < 3)
		return;
	if (r->cur >= (size_t)h - 1)
		first = r->cur - (size_t)h + 2;
	for (i = first; i < r->s->nsteps && (int)(i - first) < h - 1; i++)
		(void)tui_textf(y + (int)(i - first), 1, w, r->st[i] ==
		    TUI_CURRENT ? TUI_BOLD : r->st[i] == TUI_DONE ? TUI_GOOD :
		    TUI_NORMAL, "%s %-15.15s %s", mark[r->st[i]],
		    r->s->steps[i].id, word[r->st[i]]);
}

static void
tui_run_current(struct tui_run *r, int y, int x, int w, int bottom)
{
	const struct kr_cer_step	*st;
	struct timespec			 now;
	size_t				 i;

	/* The console's copy of the steps: the engine's ends with the run. */
	if (!r->stepping || r->s == NULL || r->cur >= r->s->nsteps) {
		(void)tui_text(y, x, w, TUI_DIM, "Starting ...");
		return;
	}
	st = &r->s->steps[r->cur];
	(void)tui_textf(y++, x, w, TUI_BOLD, "Step %zu of %zu: %s",
	    r->cur + 1, r->s->nsteps, st->title);
	y += tui_wrap(y, x, w, 2, TUI_NORMAL, r->present);
	if (r->signing[0] != '\0' && y < bottom)
		(void)tui_textf(y++, x, w, TUI_NORMAL, "Now: %s", r->signing);
	if (st->say != NULL && y < bottom) {
		(void)tui_text(y++, x, w, TUI_BOLD, "Read aloud:");
		y += tui_wrap(y, x + 2, w - 2, bottom - y - (int)r->nsh - 1,
		    TUI_NORMAL, st->say);
	}
	for (i = 0; i < r->nsh && y < bottom; i++)
		(void)tui_textf(y++, x, w, TUI_NORMAL, "share of %-12s %s",
		    r->sh[i].who, r->sh[i].state);
	if (r->prog && y < bottom) {
		(void)clock_gettime(CLOCK_MONOTONIC, &now);
		tui_bar(r->t, y, x, w, r->done, r->total, tui_secs(&r->t0,
		    &now));
	}
}

static void
tui_run_box(struct tui_run *r, int y, int h)
{
	size_t	i;
	int	row = y + 1;

	tui_box(r->t, y, 0, h, COLS, r->btitle);
	for (i = 0; i < 6 && row < y + h - 2; i++)
		if (r->btext[i][0] != '\0')
			row += tui_wrap(row, 2, COLS - 4, y + h - 2 - row,
			    i == 0 ? TUI_BOLD : TUI_NORMAL, r->btext[i]);
	(void)tui_text(y + h - 2, 2, COLS - 4, TUI_BOLD, r->bhint);
}

static void
tui_run_pv_row(int y, const struct kr_preview_row *pr)
{
	char	hex[KR_HEX_COLONS_BYTES(KR_HASH_MAX_BYTES, 0)];

	if (pr->kind == KR_PREVIEW_HEAD) {
		(void)tui_text(y, 1, COLS - 2, TUI_BOLD, pr->text);
		return;
	}
	(void)tui_textf(y, 2, 15, TUI_NORMAL, "%s", pr->label);
	if (pr->kind == KR_PREVIEW_TEXT) {
		(void)tui_text(y, 17, COLS - 18, TUI_NORMAL, pr->text);
		return;
	}
	if (!kr_hex_colons(hex, sizeof(hex), pr->hash, pr->hash_len, 16, ""))
		(void)snprintf(hex, sizeof(hex), "(too long to show)");
	(void)tui_wrap(y, 17, 48, 4, TUI_NORMAL, hex);
}

/* What will be signed, whole, before it is approved. */
static void
tui_run_approval(struct tui_run *r)
{
	const struct kr_preview	*pv = r->pv;
	size_t			 i;
	int			 y = 3, step;

	tui_frame(r->t, "Approve what will be signed", "y: approve   n or "
	    "Esc: do not sign   arrows: scroll   ?: keys");
	(void)tui_wrap(2, 1, COLS - 2, 1, TUI_BOLD, pv->title);
	for (i = r->pv_top; i < pv->n && y < LINES - 4; i++) {
		step = pv->rows[i].kind == KR_PREVIEW_HASH ?
		    (int)((pv->rows[i].hash_len + 15) / 16) : 1;
		tui_run_pv_row(y, &pv->rows[i]);
		y += step;
	}
	(void)tui_text(LINES - 3, 1, COLS - 2, TUI_WARN, "Read it aloud. "
	    "y approves; the approvers then type their passphrases.");
	(void)tui_text(LINES - 2, 1, COLS - 2, TUI_NORMAL, "n or Esc: nothing "
	    "is signed or recorded; the ceremony stops at this step.");
}

static void
tui_run_draw(struct tui *t, void *arg)
{
	struct tui_run		*r = arg;
	struct tui_lines	 w;
	char			 title[256];
	int			 split, lw = 27;

	if (r->pv != NULL) {
		tui_run_approval(r);
		return;
	}
	split = r->ended ? LINES / 2 : LINES - 9;
	(void)snprintf(title, sizeof(title), "Ceremony %s  %s",
	    r->s != NULL ? r->s->name : "", r->id);
	tui_frame(t, title, r->boxed ? "?: keys" : "?: keys   (the ceremony "
	    "is running)");
	tui_run_steps(r, 2, split - 2, lw - 1);
	tui_run_current(r, 2, lw + 1, COLS - lw - 2, split - 1);
	if (r->boxed)
		tui_run_box(r, split - 1, LINES - split);
	else {
		tui_hline(t, split - 1, 0, COLS);
		memset(&w, 0, sizeof(w));
		tui_lines_wrap(&r->log, r->log.n > 7 ? r->log.n - 7 : 0,
		    COLS - 2, &w);
		tui_lines_draw(&w, w.n > 7 ? w.n - 7 : 0, split, 7);
		tui_lines_free(&w);
	}
}

static void
tui_run_show(struct tui_run *r)
{
	tui_redraw(r->t);
}

/* The engine's callbacks: what the room sees and answers. */

static struct tui_share *
tui_run_share(struct tui_run *r, const char *who)
{
	size_t	i;

	for (i = 0; i < r->nsh; i++)
		if (strcmp(r->sh[i].who, who) == 0)
			return &r->sh[i];
	if (r->nsh == KR_CUSTODIANS_MAX)
		return &r->sh[r->nsh - 1];
	(void)snprintf(r->sh[r->nsh].who, sizeof(r->sh[0].who), "%s", who);
	return &r->sh[r->nsh++];
}

static void
tui_run_say(void *arg, const struct kr_cer_step *st, size_t i, size_t n,
    const char *present)
{
	struct tui_run		*r = arg;
	const struct kr_cer_arg	*who = kr_cer_arg_get(st, "custodians");
	size_t			 k;

	if (r->stepping && r->cur != i)
		r->st[r->cur] = TUI_DONE;
	r->stepping = true;
	r->cur = i;
	r->st[i] = TUI_CURRENT;
	r->nsh = 0;
	r->prog = false;
	r->signing[0] = '\0';
	(void)snprintf(r->present, sizeof(r->present), "Present: %s", present);
	for (k = 0; who != NULL && k < who->n; k++)
		(void)snprintf(tui_run_share(r, who->list[k])->state,
		    sizeof(r->sh[0].state), "%s", "waiting");
	tui_lines_add(&r->log, "== Step %zu of %zu: %s", i + 1, n, st->title);
	tui_run_show(r);
}

static void
tui_run_print(void *arg, const char *line)
{
	struct tui_run	*r = arg;

	tui_lines_add(&r->log, "%s", line);
	tui_run_show(r);
}

static void
tui_run_notice(void *arg, const char *msg)
{
	struct tui_run	*r = arg;

	tui_lines_add(&r->log, "  ... %s", msg);
	tui_run_show(r);
}

/* Bytes and rate of a long step; drawn at most ten times a second. */
static void
tui_run_progress(void *arg, uint64_t done, uint64_t total)
{
	struct tui_run	*r = arg;
	struct timespec	 now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	if (!r->prog || done < r->done || r->done == r->total) {
		r->prog = true;
		r->t0 = now;
	}
	r->done = done;
	r->total = total;
	if (done == total || tui_secs(&r->drawn, &now) >= 0.1) {
		r->drawn = now;
		tui_run_show(r);
	}
}

static int
tui_run_witness(void *arg, const char *witness, const char *obs,
    struct kr_err *err)
{
	struct tui_run	*r = arg;
	int		 ch;

	tui_box_set(r, "Checkpoint for the witness", "y: the witness saw "
	    "this   n or Esc: not seen (the ceremony stops here)");
	(void)snprintf(r->btext[0], sizeof(r->btext[0]), "%s, did you see "
	    "this?", witness);
	(void)snprintf(r->btext[1], sizeof(r->btext[1]), "%s", obs);
	tui_run_show(r);
	while ((ch = tui_key(r->t)) != 'y' && ch != 'n' && ch != TUI_ESC)
		;
	r->boxed = false;
	tui_run_show(r);
	if (ch == 'y')
		return KR_OK;
	return kr_err_set(err, KR_EREFUSED, "the witness did not confirm "
	    "\"%s\": the ceremony stopped here. Put it right and resume, or "
	    "abort the ceremony", obs);
}

static const char *const tui_approval_keys[] = {
	"y             approve: the custodians then type their passphrases",
	"n, Esc        do not approve: nothing is signed or recorded",
	"Up, Down      scroll what will be signed",
	"PgUp, PgDn    scroll a page",
	NULL
};

static int
tui_run_confirm(void *arg, const struct kr_preview *pv, bool ask,
    struct kr_err *err)
{
	struct tui_run		*r = arg;
	struct tui_screen_save	 sv;
	struct tui_sel		 sel = { pv->n, 0, 0 };
	size_t			 i;
	int			 ch;

	if (!ask) {
		tui_lines_add(&r->log, "%s (shown only)", pv->title);
		return KR_OK;
	}
	/* Each signing of a step has its own quorum: its shares start anew. */
	(void)snprintf(r->signing, sizeof(r->signing), "%s", pv->title);
	for (i = 0; i < r->nsh; i++)
		(void)snprintf(r->sh[i].state, sizeof(r->sh[0].state), "%s",
		    "waiting");
	r->pv = pv;
	tui_push(r->t, &sv, tui_run_draw, r, tui_approval_keys);
	while ((ch = tui_key(r->t)) != 'y' && ch != 'n' && ch != TUI_ESC) {
		if (tui_sel_key(&sel, ch, 1))
			r->pv_top = sel.cur;
		tui_run_show(r);
	}
	r->pv = NULL;
	r->pv_top = 0;
	tui_pop(r->t, &sv);
	tui_lines_add(&r->log, "%s: %s", pv->title, ch == 'y' ? "APPROVED at "
	    "the console" : "NOT approved: nothing signed");
	if (ch == 'y')
		return KR_OK;
	return kr_err_set(err, KR_EREFUSED, "not approved at the console: "
	    "nothing was signed or recorded");
}

/* One passphrase typed blind into buf; the box says who and why. */
static int
tui_run_ask(struct tui_run *r, const char *title, const char *who,
    const char *what, const char *file, char *buf, size_t cap,
    struct kr_err *err)
{
	int	ret;

	tui_box_set(r, title, "Enter: done   Esc: stop this step   F1: keys");
	(void)snprintf(r->btext[0], sizeof(r->btext[0]), "Custodian '%s', "
	    "%s", who, what);
	(void)snprintf(r->btext[1], sizeof(r->btext[1]), "Share file: %s",
	    file);
	(void)snprintf(r->btext[2], sizeof(r->btext[2]), "%s", r->note);
	(void)snprintf(r->btext[3], sizeof(r->btext[3]), "Type it now. "
	    "Nothing is shown while you type, not even stars.");
	r->note[0] = '\0';
	tui_run_show(r);
	ret = tui_secret(r->t, buf, cap);
	r->boxed = false;
	tui_run_show(r);
	if (ret != KR_OK)
		return kr_err_set(err, KR_EREFUSED, "custodian '%s' stopped at "
		    "the passphrase (Esc): nothing was signed for this step",
		    who);
	return KR_OK;
}

/* A new passphrase: typed twice, long enough, the same both times. */
static int
tui_run_choose(struct tui_run *r, const char *who, const char *file,
    char *buf, size_t cap, struct kr_err *err)
{
	char	*again;
	char	 what[160];
	int	 tries, ret = KR_EINPUT;

	if ((again = kr_secure_alloc(cap)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	(void)snprintf(what, sizeof(what), "choose the passphrase for your "
	    "share (at least %u characters)", r->min_len);
	for (tries = 0; tries < KR_PASSPHRASE_TRIES; tries++) {
		if ((ret = tui_run_ask(r, "Choose a passphrase", who, what,
		    file, buf, cap, err)) != KR_OK ||
		    (ret = tui_run_ask(r, "Choose a passphrase", who,
		    "type the same passphrase again", file, again, cap,
		    err)) != KR_OK)
			break;
		if ((ret = kr_passphrase_chosen(buf, again, r->min_len, who,
		    err)) == KR_OK)
			break;
		(void)snprintf(r->note, sizeof(r->note), "%s. Choose again.",
		    err->msg);
	}
	kr_secure_free(again);
	r->note[0] = '\0';
	if (ret == KR_EINPUT) {
		kr_wipe(buf, cap);
		return kr_err_set(err, KR_EINPUT, "custodian '%s' did not "
		    "choose a passphrase in %d tries", who,
		    KR_PASSPHRASE_TRIES);
	}
	return ret;
}

/* A share file that approved a step (each once). */
static void
tui_run_file(struct tui_run *r, const char *file)
{
	size_t	i;

	for (i = 0; i < r->nfiles; i++)
		if (strcmp(r->files[i], file) == 0)
			return;
	if (r->nfiles == KR_CUSTODIANS_MAX)
		return;
	(void)snprintf(r->files[r->nfiles], sizeof(r->files[0]), "%s", file);
	r->fileptr[r->nfiles] = r->files[r->nfiles];
	r->nfiles++;
}

static int
tui_run_get(void *arg, const char *who, const char *file, bool setting,
    char *buf, size_t cap, struct kr_err *err)
{
	struct tui_run		*r = arg;
	struct tui_share	*sh = tui_run_share(r, who);
	int			 ret;

	(void)snprintf(sh->state, sizeof(sh->state), "%s", "typing now");
	if (setting)
		ret = tui_run_choose(r, who, file, buf, cap, err);
	else
		ret = tui_run_ask(r, "Passphrase", who, "type the passphrase "
		    "of your share", file, buf, cap, err);
	(void)snprintf(sh->state, sizeof(sh->state), "%s", ret == KR_OK ?
	    "given" : "not given");
	if (ret == KR_OK && !setting)
		tui_run_file(r, file);
	tui_run_show(r);
	return ret;
}

static bool
tui_run_retry(void *arg, const char *who, const char *file, unsigned tries)
{
	struct tui_run	*r = arg;

	if (tries >= KR_PASSPHRASE_TRIES)
		return false;
	(void)snprintf(tui_run_share(r, who)->state, sizeof(r->sh[0].state),
	    "WRONG passphrase (try %u of %d)", tries, KR_PASSPHRASE_TRIES);
	(void)snprintf(r->note, sizeof(r->note), "That passphrase does not "
	    "open the share of custodian '%s': type it again (try %u of %d).",
	    who, tries + 1, KR_PASSPHRASE_TRIES);
	tui_lines_add(&r->log, "  a wrong passphrase for %s's share: asked "
	    "again", who);
	return true;
}

/* Each share's passphrase is asked when its share comes up: no lines. */
static void
tui_run_skip(void *arg)
{
	(void)arg;
}

static void
tui_run_io(struct tui_run *r)
{
	r->src.get = tui_run_get;
	r->src.skip = tui_run_skip;
	r->src.retry = tui_run_retry;
	r->src.confirm = tui_run_confirm;
	r->src.ctx = r;
	r->src.confirm_ctx = r;
	r->ns.notice = tui_run_notice;
	r->ns.ctx = r;
	r->io.src = &r->src;
	r->io.notice = &r->ns;
	r->io.say = tui_run_say;
	r->io.print = tui_run_print;
	r->io.witness = tui_run_witness;
	r->io.progress = tui_run_progress;
	r->io.ctx = r;
	r->io.actor = r->t->o->actor;
}

/* A resumed ceremony: its script and its steps done, from the chain. */
static int
tui_run_resume_load(struct tui_run *r, const char *id)
{
	struct kr_cer_info	ci;
	size_t			i, k;
	int			ret;

	if ((ret = kr_cer_get(r->t->app, id, &ci, &r->t->err)) != KR_OK)
		return ret;
	(void)snprintf(r->id, sizeof(r->id), "%s", ci.id);
	ret = kr_cer_parse(ci.name, (const uint8_t *)ci.script,
	    strlen(ci.script), &r->own, &r->t->err);
	for (i = 0; ret == KR_OK && i < r->own->nsteps; i++)
		for (k = 0; k < ci.nsteps; k++)
			if (strcmp(ci.steps[k].id, r->own->steps[i].id) == 0 &&
			    ci.steps[k].done)
				r->st[i] = TUI_DONE;
	r->s = r->own;
	kr_cer_info_free(&ci);
	return ret;
}

/* The outcome, and where the transcript is or what to do next. */
static void
tui_run_outcome(struct tui_run *r, int ret)
{
	size_t	i;

	if (ret == KR_OK) {
		for (i = 0; r->s != NULL && i < r->s->nsteps; i++)
			r->st[i] = TUI_DONE;
		(void)snprintf(r->btext[0], sizeof(r->btext[0]), "Ceremony %s "
		    "is complete: every step is recorded as done.", r->id);
		(void)snprintf(r->btext[1], sizeof(r->btext[1]), "Transcript: "
		    "in the audit log as ceremony %s; `keyrite ceremony report "
		    "%s --out DIR` writes it for the custodians to sign.",
		    r->id, r->id);
		return;
	}
	(void)snprintf(r->btext[0], sizeof(r->btext[0]), "%s", r->t->err.msg);
	if (r->id[0] == '\0')
		(void)snprintf(r->btext[1], sizeof(r->btext[1]), "The ceremony "
		    "did not start: nothing was recorded.");
	else
		(void)snprintf(r->btext[1], sizeof(r->btext[1]), "Nothing of "
		    "the stopped step was recorded. The console offers the "
		    "ceremony for resume at its next start (or: keyrite "
		    "ceremony abort %s).", r->id);
}

/* The end: the outcome, where the transcript is, the audit head. */
static void
tui_run_end(struct tui_run *r, struct kr_appliance *w, int ret)
{
	struct kr_audit_report	rep;
	struct kr_err		e;
	char			hex[2 * KR_AUDIT_HASH_BYTES + 1], grouped[96];
	size_t			i, m = 3;

	tui_box_set(r, ret == KR_OK ? "The ceremony is complete" :
	    "The ceremony stopped", ret == KR_OK ? "l: the whole log   t: "
	    "write the signed transcript   Enter or Esc: back" : "l: the "
	    "whole log   Enter or Esc: back   ?: keys");
	r->ended = true;
	tui_run_outcome(r, ret);
	memset(&rep, 0, sizeof(rep));
	if (kr_authority_audit_verify(w, &rep, &e) != KR_OK &&
	    rep.first_bad == 0)
		rep.first_bad = -1;
	kr_hex_encode(hex, rep.head, sizeof(rep.head));
	tui_group_hex(hex, grouped, sizeof(grouped));
	(void)snprintf(r->btext[2], sizeof(r->btext[2]), "Audit head "
	    "(%lld rows, %s): %s", (long long)rep.rows, rep.first_bad == 0 ?
	    "intact" : "NOT INTACT", grouped);
	/* The exports, said safe to remove after the ceremony's end. */
	for (i = 0; ret == KR_OK && i < r->log.n && m < 6; i++)
		if (strstr(r->log.v[i], "safe to remove") != NULL)
			(void)snprintf(r->btext[m++], sizeof(r->btext[0]),
			    "%s", r->log.v[i]);
}

/* The transcript's folder, typed in a field; false on Esc. */
static bool
tui_run_report_dir(struct tui_run *r, char *dir, size_t cap)
{
	tui_box(r->t, LINES - 6, 0, 5, COLS, "Write the signed transcript");
	(void)tui_text(LINES - 5, 2, COLS - 4, TUI_NORMAL, "The folder for "
	    "report.txt, report.json and signatures.json (made if missing):");
	(void)tui_text(LINES - 3, 2, COLS - 4, TUI_DIM, "Enter: write it   "
	    "Esc: do not");
	dir[0] = '\0';
	return tui_field(r->t, LINES - 4, 2, COLS - 4, dir, cap) == KR_OK &&
	    dir[0] != '\0';
}

/*
 * t at the end: `ceremony report` at the console.  The approvers type
 * their passphrases as during the run (the same passphrase source) to
 * sign the transcript; the end box is put back after.
 */
static void
tui_run_report(struct tui_run *r)
{
	struct kr_cer_report_req	 req;
	struct kr_cer_report_result	*res;
	struct kr_appliance		*w = NULL;
	char				 dir[1024], msg[1400];
	char				 bt[sizeof(r->btext)], bti[128], bh[160];

	if (!tui_run_report_dir(r, dir, sizeof(dir)) ||
	    (res = calloc(1, sizeof(*res))) == NULL)
		return;
	memcpy(bt, r->btext, sizeof(bt));
	memcpy(bti, r->btitle, sizeof(bti));
	memcpy(bh, r->bhint, sizeof(bh));
	memset(&req, 0, sizeof(req));
	req.id = r->id;
	req.out_dir = dir;
	req.shares = r->fileptr;
	req.nshares = r->nfiles;
	req.src = &r->src;
	req.actor = r->t->o->actor;
	if (tui_open_writer(r->t, &w) == KR_OK) {
		if (kr_cer_report(w, &req, res, &r->t->err) == KR_OK)
			(void)snprintf(msg, sizeof(msg), "Transcript of ceremony "
			    "%s written to %s (report.txt, report.json, "
			    "signatures.json), signed by %zu approver%s; "
			    "recorded as audit row %lld (ceremony.report).",
			    res->id, dir, res->nsigners, res->nsigners == 1 ?
			    "" : "s", (long long)res->seq);
		else
			(void)snprintf(msg, sizeof(msg), "No transcript was "
			    "written: %s", r->t->err.msg);
		tui_close_writer(r->t, &w);
		memcpy(r->btext, bt, sizeof(bt));
		memcpy(r->btitle, bti, sizeof(bti));
		memcpy(r->bhint, bh, sizeof(bh));
		r->boxed = true;
		tui_message(r->t, "The signed transcript", msg);
	}
	free(res);
}

static int
tui_run_go(struct tui_run *r, struct kr_cer_script *s, const char *resume)
{
	struct kr_cer_run_req	 req;
	struct kr_appliance	*w = NULL;
	const char		*line;
	size_t			 i;
	int			 ret, ch;

	if ((ret = tui_open_writer(r->t, &w)) != KR_OK)
		return ret;
	r->min_len = kr_appliance_policy(w)->min_passphrase_length;
	for (i = 0; (line = kr_appliance_recovery(w, i)) != NULL; i++)
		tui_lines_add(&r->log, "state folder cleanup after an "
		    "interrupted run: %s", line);
	memset(&req, 0, sizeof(req));
	req.script = s;
	req.resume_id = resume;
	ret = kr_cer_run(w, &req, &r->io, r->id, &r->t->err);
	tui_run_end(r, w, ret);
	tui_close_writer(r->t, &w);
	tui_run_show(r);
	while ((ch = tui_key(r->t)) != TUI_ESC && ch != '\r' && ch != '\n' &&
	    ch != KEY_ENTER)
		if (ch == 'l')
			tui_pager(r->t, "The ceremony's log", &r->log);
		else if (ch == 't' && ret == KR_OK)
			tui_run_report(r);
	return ret;
}

int
tui_run(struct tui *t, struct kr_cer_script *s, const char *resume)
{
	struct tui_run		*r;
	struct tui_screen_save	 sv;
	int			 ret;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		tui_message(t, "Out of memory", "The ceremony was not started "
		    "or resumed: out of memory. Leave the console, then start "
		    "it again; nothing was recorded.");
		return KR_ENOMEM;
	}
	r->t = t;
	r->s = s;
	tui_run_io(r);
	if (resume != NULL && (ret = tui_run_resume_load(r, resume)) !=
	    KR_OK) {
		tui_message(t, "This ceremony cannot be resumed", t->err.msg);
		goto out;
	}
	if (resume != NULL)
		tui_lines_add(&r->log, "Resuming ceremony %s from its first "
		    "step not done", resume);
	tui_push(t, &sv, tui_run_draw, r, tui_run_keys);
	ret = tui_run_go(r, s, resume);
	tui_pop(t, &sv);
out:
	tui_lines_free(&r->log);
	kr_cer_free(&r->own);
	free(r);
	return ret;
}
