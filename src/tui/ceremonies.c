/*
 * Ceremonies: pick a script from the ceremonies folder, then its form:
 * what it is (name, purpose, SHA-256, roles) and its parameters, each
 * set in a field; then rehearse it (`ceremony check`) or run it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "tui_int.h"

#define TUI_SCRIPTS_MAX	64

struct tui_pick {
	struct tui_lines	 names;
	struct tui_sel		 sel;
	char			 note[600];
};

static int
tui_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
tui_pick_load(struct tui *t, struct tui_pick *p)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 len;

	memset(p, 0, sizeof(*p));
	if ((d = opendir(t->o->ceremonies)) == NULL) {
		(void)snprintf(p->note, sizeof(p->note), "No ceremonies folder "
		    "%s: start the console with --ceremonies DIR.",
		    t->o->ceremonies);
		return;
	}
	while ((e = readdir(d)) != NULL && p->names.n < TUI_SCRIPTS_MAX) {
		len = strlen(e->d_name);
		if (len > 5 && e->d_name[0] != '.' &&
		    strcmp(e->d_name + len - 5, ".yaml") == 0)
			tui_lines_put(&p->names, e->d_name);
	}
	(void)closedir(d);
	if (p->names.n > 0)
		qsort(p->names.v, p->names.n, sizeof(p->names.v[0]),
		    tui_name_cmp);
	p->sel.n = p->names.n;
	if (p->sel.n == 0)
		(void)snprintf(p->note, sizeof(p->note), "No ceremony scripts "
		    "(*.yaml) in %s.", t->o->ceremonies);
}

static void
tui_pick_draw(struct tui *t, void *arg)
{
	struct tui_pick	*p = arg;

	tui_frame(t, "Ceremonies", "Enter: open  ?: keys  Esc: back");
	(void)tui_textf(2, 1, COLS - 2, TUI_BOLD, "Ceremony scripts in %s",
	    t->o->ceremonies);
	if (p->note[0] != '\0')
		(void)tui_wrap(4, 1, COLS - 2, 3, TUI_WARN, p->note);
	else
		tui_sel_draw(&p->sel, &p->names, 3, LINES - 5);
}

static const char *const tui_pick_keys[] = {
	"Up, Down  choose a script (or its first letter)",
	"Enter     open it: its parameters, rehearse, run",
	"Esc       back to home",
	NULL
};

void
tui_ceremonies(struct tui *t)
{
	struct tui_pick		*p;
	struct tui_screen_save	 sv;
	char			 path[4096];
	int			 ch;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return;
	tui_pick_load(t, p);
	tui_push(t, &sv, tui_pick_draw, p, tui_pick_keys);
	while ((ch = tui_key(t)) != TUI_ESC && t->app != NULL) {
		if ((ch == '\r' || ch == '\n' || ch == KEY_ENTER) &&
		    p->sel.n > 0) {
			(void)snprintf(path, sizeof(path), "%s/%s",
			    t->o->ceremonies, p->names.v[p->sel.cur]);
			tui_form(t, path);
		} else if (!tui_sel_key(&p->sel, ch, LINES - 5))
			(void)tui_sel_jump(&p->sel, &p->names, ch, LINES - 5);
		tui_redraw(t);
	}
	tui_pop(t, &sv);
	tui_lines_free(&p->names);
	free(p);
}

/* The form: the script, and a value for each parameter. */
struct tui_form {
	const char		*path;
	struct kr_cer_script	*s;
	char			 val[KR_CER_PARAMS_MAX][KR_CER_VALUE_MAX];
	bool			 set[KR_CER_PARAMS_MAX];
	struct tui_sel		 sel;
};

static int
tui_form_top(struct tui *t, const struct tui_form *f)
{
	const struct kr_cer_script	*s = f->s;
	char				 hex[65], grouped[96];
	int				 y = 2;

	(void)tui_textf(y++, 1, COLS - 2, TUI_BOLD, "%s", s->name);
	y += tui_wrap(y, 1, COLS - 2, 3, TUI_NORMAL, s->purpose);
	kr_hex_encode(hex, s->sha256, sizeof(s->sha256));
	tui_group_hex(hex, grouped, sizeof(grouped));
	(void)tui_textf(y++, 1, COLS - 2, TUI_NORMAL, "Script  %s", s->label);
	(void)tui_textf(y++, 1, COLS - 2, TUI_NORMAL, "SHA-256 %.39s",
	    grouped);
	(void)tui_textf(y++, 1, COLS - 2, TUI_NORMAL, "        %s",
	    grouped + 40);
	(void)tui_textf(y++, 1, COLS - 2, TUI_NORMAL, "Roles   administrator "
	    "%s, witness %s, %zu custodians", s->administrator, s->witness,
	    s->ncustodians);
	(void)tui_textf(y++, 1, COLS - 2, TUI_NORMAL, "Steps   %zu",
	    s->nsteps);
	return y + 1;
}

static void
tui_form_draw(struct tui *t, void *arg)
{
	struct tui_form			*f = arg;
	const struct kr_cer_param	*pm;
	size_t				 i;
	int				 y, h;

	tui_frame(t, "Ceremony: parameters", "Enter: set  r: rehearse  "
	    "g: run  ?: keys  Esc: back");
	y = tui_form_top(t, f);
	(void)tui_text(y++, 1, COLS - 2, TUI_BOLD, "Parameters (Enter sets "
	    "the one marked >; \"(not set)\" must be given)");
	h = LINES - y - 1;
	for (i = f->sel.top; i < f->sel.n && (int)(i - f->sel.top) < h; i++) {
		pm = &f->s->params[i];
		(void)tui_textf(y + (int)(i - f->sel.top), 1, COLS - 2,
		    i == f->sel.cur ? TUI_TITLE : TUI_NORMAL, "%s %-12s %s%s",
		    i == f->sel.cur ? ">" : " ", pm->name,
		    f->set[i] ? f->val[i] : pm->def != NULL ? pm->def :
		    "(not set)",
		    f->set[i] || pm->def == NULL ? "" : "  (default)");
	}
}

/* A fresh copy of the script with the form's values, bound. */
static int
tui_form_bind(struct tui *t, struct tui_form *f, struct kr_cer_script **out)
{
	char	as[KR_CER_VALUE_MAX + 64];
	size_t	i;
	int	ret;

	if ((ret = kr_cer_load(f->path, out, &t->err)) != KR_OK)
		return ret;
	for (i = 0; i < (*out)->nparams; i++) {
		if (!f->set[i])
			continue;
		(void)snprintf(as, sizeof(as), "%s=%s",
		    (*out)->params[i].name, f->val[i]);
		if ((ret = kr_cer_set(*out, as, &t->err)) != KR_OK)
			return ret;
	}
	return kr_cer_bind(*out, &t->err);
}

static void
tui_form_edit(struct tui *t, struct tui_form *f)
{
	const struct kr_cer_param	*pm = &f->s->params[f->sel.cur];
	char				 buf[KR_CER_VALUE_MAX];
	char				 about[512];

	(void)snprintf(buf, sizeof(buf), "%s", f->set[f->sel.cur] ?
	    f->val[f->sel.cur] : pm->def != NULL ? pm->def : "");
	(void)snprintf(about, sizeof(about), "%s: %s", pm->name,
	    pm->about != NULL ? pm->about : "");
	tui_box(t, LINES - 6, 0, 5, COLS, "Set a parameter");
	(void)tui_text(LINES - 5, 2, COLS - 4, TUI_NORMAL, about);
	(void)tui_text(LINES - 3, 2, COLS - 4, TUI_DIM, "Enter: keep  Esc: "
	    "leave it as it was");
	if (tui_field(t, LINES - 4, 2, COLS - 4, buf, sizeof(buf)) == KR_OK) {
		(void)snprintf(f->val[f->sel.cur], sizeof(f->val[0]), "%s",
		    buf);
		f->set[f->sel.cur] = true;
	}
}

/*
 * The script as read again for a rehearsal or a run must be the one the
 * form shows (see, then approve): the same SHA-256, or refused.
 */
static bool
tui_form_same(struct tui *t, const struct tui_form *f,
    const struct kr_cer_script *s)
{
	if (memcmp(s->sha256, f->s->sha256, sizeof(s->sha256)) == 0)
		return true;
	tui_message(t, "The script changed on disk", "The script changed on "
	    "disk since it was opened; open it again (Esc, then Enter on it) "
	    "to see what it says now. Nothing was rehearsed, run or "
	    "recorded.");
	return false;
}

static void
tui_form_go(struct tui *t, struct tui_form *f, bool run)
{
	struct kr_cer_script	*s = NULL;
	char			 q[512], hex[65], grouped[96];

	if (tui_form_bind(t, f, &s) != KR_OK) {
		tui_message(t, "The script's parameters are not complete",
		    t->err.msg);
		kr_cer_free(&s);
		return;
	}
	if (!tui_form_same(t, f, s)) {
		kr_cer_free(&s);
		return;
	}
	kr_hex_encode(hex, s->sha256, sizeof(s->sha256));
	tui_group_hex(hex, grouped, sizeof(grouped));
	(void)snprintf(q, sizeof(q), "Start ceremony %s now (script SHA-256 "
	    "%s, as shown)? Its start, with the script and these parameters, "
	    "is recorded in the audit log; it can then be resumed or "
	    "aborted, not undone.", s->name, grouped);
	if (!run)
		(void)tui_rehearse(t, s);
	else if (tui_yesno(t, "Run the ceremony", q))
		(void)tui_run(t, s, NULL);
	kr_cer_free(&s);
}

static const char *const tui_form_keys[] = {
	"Up, Down  choose a parameter",
	"Enter     set it (Enter keeps the value, Esc leaves it as it was)",
	"r         rehearse: every step checked, nothing recorded",
	"g         run the ceremony (asks first: its start is recorded)",
	"Esc       back to the list of scripts",
	NULL
};

void
tui_form(struct tui *t, const char *path)
{
	struct tui_form		*f;
	struct tui_screen_save	 sv;
	int			 ch;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return;
	f->path = path;
	if (kr_cer_load(path, &f->s, &t->err) != KR_OK) {
		tui_message(t, "This script cannot be used", t->err.msg);
		free(f);
		return;
	}
	f->sel.n = f->s->nparams;
	tui_push(t, &sv, tui_form_draw, f, tui_form_keys);
	while ((ch = tui_key(t)) != TUI_ESC && t->app != NULL) {
		if ((ch == '\r' || ch == '\n' || ch == KEY_ENTER) &&
		    f->sel.n > 0)
			tui_form_edit(t, f);
		else if (ch == 'r' || ch == 'g')
			tui_form_go(t, f, ch == 'g');
		else
			(void)tui_sel_key(&f->sel, ch, LINES - 14);
		tui_redraw(t);
	}
	tui_pop(t, &sv);
	kr_cer_free(&f->s);
	free(f);
}
