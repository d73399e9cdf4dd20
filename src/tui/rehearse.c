/*
 * Rehearse: `ceremony check` at the console.  Every step is checked
 * against the state as it will be, its findings listed; nothing is
 * signed or recorded.  The result is shown in a pager.
 */
#include <stdio.h>
#include <string.h>

#include "tui_int.h"

static void
tui_reh_say(void *arg, const struct kr_cer_step *st, size_t i, size_t n,
    const char *present)
{
	struct tui_lines	*l = arg;

	tui_lines_add(l, "%s", "");
	tui_lines_add(l, "Step %zu of %zu: %s  [%s, %s]", i + 1, n, st->title,
	    st->id, kr_cer_action_name(st));
	tui_lines_add(l, "  present: %s", present);
}

static void
tui_reh_print(void *arg, const char *line)
{
	tui_lines_add(arg, "%s", line);
}

static void
tui_reh_notice(void *arg, const char *msg)
{
	tui_lines_add(arg, "  ... %s", msg);
}

int
tui_rehearse(struct tui *t, struct kr_cer_script *s)
{
	struct kr_appliance	*w = NULL;
	struct tui_lines	 l, v;
	struct kr_notice_sink	 ns;
	struct kr_cer_io	 io;
	size_t			 i;
	int			 ret;

	memset(&l, 0, sizeof(l));
	memset(&io, 0, sizeof(io));
	ns.notice = tui_reh_notice;
	ns.ctx = &l;
	io.notice = &ns;
	io.say = tui_reh_say;
	io.print = tui_reh_print;
	io.ctx = &l;
	io.actor = t->o->actor;
	tui_lines_add(&l, "Rehearsal of %s (%s)", s->name, s->label);
	for (i = 0; i < s->nparams; i++)
		tui_lines_add(&l, "  parameter %s = %s", s->params[i].name,
		    s->params[i].value);
	if ((ret = tui_open_writer(t, &w)) != KR_OK) {
		tui_lines_free(&l);
		return ret;
	}
	ret = kr_cer_check(w, s, NULL, &io, &t->err);
	tui_close_writer(t, &w);
	/* The verdict first, then every step's findings. */
	memset(&v, 0, sizeof(v));
	if (ret == KR_OK)
		tui_lines_add(&v, "Rehearsal passed: %zu steps checked; "
		    "nothing was signed or recorded.", s->nsteps);
	else
		tui_lines_add(&v, "REHEARSAL FAILED: %s", t->err.msg);
	tui_lines_add(&v, "%s", "");
	for (i = 0; i < l.n; i++)
		tui_lines_add(&v, "%s", l.v[i]);
	tui_pager(t, ret == KR_OK ? "Rehearsal: passed" :
	    "Rehearsal: FAILED", &v);
	tui_lines_free(&v);
	tui_lines_free(&l);
	return ret;
}
