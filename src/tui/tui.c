/*
 * keyrite console: starts curses, opens the state folder for reading,
 * offers an interrupted ceremony for resume, then the home screen.  A
 * rehearsal or a run takes the writer's handle for its time only, so the
 * home screen can show a damaged state that a writer would refuse.
 */
#include <stdio.h>
#include <string.h>

#include "tui_int.h"

static int
tui_open(struct tui *t, struct kr_appliance **app, unsigned mode,
    struct kr_err *err)
{
	struct kr_open_req	req;

	memset(&req, 0, sizeof(req));
	req.dir = t->o->statedir;
	req.mode = mode;
	req.confirm_date = t->o->confirm_date;
	req.wait_secs = 0;
	return kr_appliance_open_ex(app, &req, err);
}

int
tui_open_writer(struct tui *t, struct kr_appliance **w)
{
	int	ret;

	kr_appliance_close(&t->app);
	t->writes++;
	if ((ret = tui_open(t, w, KR_OPEN_WRITE, &t->err)) != KR_OK) {
		tui_message(t, "The state folder cannot be changed now",
		    t->err.msg);
		tui_close_writer(t, w);
	}
	return ret;
}

void
tui_close_writer(struct tui *t, struct kr_appliance **w)
{
	struct kr_err	e;

	kr_appliance_close(w);
	if (t->app == NULL && tui_open(t, &t->app, KR_OPEN_READ, &e) != KR_OK)
		tui_message(t, "The state folder cannot be read", e.msg);
}

struct tui_running {
	char	id[KR_CEREMONY_ID_BYTES];
	char	name[128];
	size_t	done;
	size_t	n;
};

static int
tui_running_row(const struct kr_cer_info *ci, void *arg)
{
	struct tui_running	*r = arg;
	size_t			 i;

	if (ci->state != KR_CER_RUNNING)
		return 0;
	(void)snprintf(r->id, sizeof(r->id), "%s", ci->id);
	(void)snprintf(r->name, sizeof(r->name), "%s", ci->name);
	for (i = 0, r->done = 0; i < ci->nsteps; i++)
		r->done += ci->steps[i].done;
	return 0;
}

/* The newest ceremony neither ended nor aborted: go on with it? */
void
tui_offer_resume(struct tui *t)
{
	struct tui_running	r;
	char			q[512];
	struct kr_err		e;

	memset(&r, 0, sizeof(r));
	if (t->app == NULL || kr_cer_foreach(t->app, tui_running_row, &r,
	    &e) != KR_OK || r.id[0] == '\0')
		return;
	(void)snprintf(q, sizeof(q), "Ceremony %s (%s) was interrupted after "
	    "%zu step%s recorded as done. Resume it now, from its first step "
	    "not done? (n: later; it stays offered at every start until it "
	    "ends or is aborted)", r.id, r.name, r.done, r.done == 1 ? "" :
	    "s");
	if (tui_yesno(t, "An interrupted ceremony", q))
		(void)tui_run(t, NULL, r.id);
}

int
kr_tui_main(const struct kr_tui_opts *o, struct kr_err *err)
{
	struct tui	t;
	int		ret;

	memset(&t, 0, sizeof(t));
	t.o = o;
	if ((ret = tui_open(&t, &t.app, KR_OPEN_READ, err)) != KR_OK)
		return ret;
	if ((ret = tui_start(&t, err)) != KR_OK) {
		kr_appliance_close(&t.app);
		return ret;
	}
	tui_home(&t);
	tui_end(&t);
	kr_appliance_close(&t.app);
	if (tui_signal() != 0 || t.gone)
		return kr_err_set(err, KR_EREFUSED, "the console was stopped "
		    "(%s): a prompt open then was given up, nothing of its "
		    "step recorded; an interrupted ceremony is offered for "
		    "resume at the next start", tui_signal() != 0 ?
		    strsignal(tui_signal()) : "the terminal was closed");
	return KR_OK;
}
