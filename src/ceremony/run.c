/*
 * ceremony run, resume and abort, and what the chain says of each
 * ceremony.  A step is done when the chain says so: its "ceremony.step"
 * row, or the row its action commits with its records (an interruption
 * between the two is finished on resume, not repeated).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceremony_int.h"

const char *
kr_cer_state_name(enum kr_cer_state s)
{
	return s == KR_CER_DONE ? "done" : s == KR_CER_ABORTED ? "aborted" :
	    "running";
}

void
kr_cer_info_free(struct kr_cer_info *ci)
{
	if (ci == NULL)
		return;
	free(ci->script);
	free(ci->params);
	ci->script = ci->params = NULL;
}

/* Reading the chain */

struct kr_cer_scan {
	kr_cer_info_cb		*cb;
	void			*arg;
	const char		*only;		/* one id, or NULL for all */
	struct kr_cer_info	*cur;		/* kr_cer_get: the one */
	struct kr_cer_info	*all;		/* kr_cer_foreach */
	size_t			 n, cap;
};

static struct kr_cer_info *
kr_cer_scan_find(struct kr_cer_scan *sc, const char *id)
{
	size_t	i;

	if (sc->cur != NULL)
		return strcmp(sc->cur->id, id) == 0 ? sc->cur : NULL;
	for (i = 0; i < sc->n; i++)
		if (strcmp(sc->all[i].id, id) == 0)
			return &sc->all[i];
	return NULL;
}

static struct kr_cer_info *
kr_cer_scan_new(struct kr_cer_scan *sc, const char *id)
{
	struct kr_cer_info	*p;

	if (sc->only != NULL) {
		if (strcmp(sc->only, id) != 0 || sc->cur->id[0] != '\0')
			return NULL;
		return sc->cur;
	}
	if (sc->n == sc->cap) {
		size_t	cap = sc->cap ? 2 * sc->cap : 8;

		if ((p = realloc(sc->all, cap * sizeof(*p))) == NULL)
			return NULL;
		sc->all = p;
		sc->cap = cap;
	}
	p = &sc->all[sc->n++];
	memset(p, 0, sizeof(*p));
	return p;
}

static int
kr_cer_scan_begin(struct kr_cer_scan *sc, const struct kr_audit_rec *r)
{
	struct kr_cer_info	*ci;
	char			 id[KR_CEREMONY_ID_BYTES];

	if (!kr_js_str(kr_js_member(r->payload, "id"), id, sizeof(id)) ||
	    (ci = kr_cer_scan_new(sc, id)) == NULL)
		return 0;
	(void)snprintf(ci->id, sizeof(ci->id), "%s", id);
	(void)kr_js_str(kr_js_member(r->payload, "name"), ci->name,
	    sizeof(ci->name));
	(void)kr_js_str(kr_js_member(r->payload, "script_sha256"),
	    ci->script_sha256, sizeof(ci->script_sha256));
	(void)snprintf(ci->actor, sizeof(ci->actor), "%s", r->actor);
	ci->state = KR_CER_RUNNING;
	ci->begin_seq = r->seq;
	ci->begin_time = r->time;
	(void)kr_js_str(kr_js_member(r->payload, "requests"), ci->requests,
	    sizeof(ci->requests));
	if (sc->only != NULL) {
		ci->script = kr_js_str_dup(kr_js_member(r->payload, "script"));
		ci->params = kr_js_member(r->payload, "params") != NULL ?
		    strndup(kr_js_member(r->payload, "params"),
		    (size_t)(kr_js_skip(kr_js_member(r->payload, "params"), 1) -
		    kr_js_member(r->payload, "params"))) : NULL;
		if (ci->script == NULL || ci->params == NULL)
			return KR_ENOMEM;
	}
	return 0;
}

static void
kr_cer_scan_step(struct kr_cer_info *ci, const struct kr_audit_rec *r,
    const char *step)
{
	struct kr_cer_step_rec	*s = NULL;
	size_t			 i;

	if (strcmp(r->event, "ceremony.end") == 0 ||
	    strcmp(r->event, "ceremony.abort") == 0) {
		ci->state = r->event[9] == 'e' ? KR_CER_DONE : KR_CER_ABORTED;
		ci->end_seq = r->seq;
		ci->end_time = r->time;
		return;
	}
	for (i = 0; i < ci->nsteps; i++)
		if (strcmp(ci->steps[i].id, step) == 0)
			s = &ci->steps[i];
	if (s == NULL) {
		if (ci->nsteps == KR_CER_STEPS_MAX)
			return;
		s = &ci->steps[ci->nsteps++];
		(void)snprintf(s->id, sizeof(s->id), "%s", step);
		s->first_seq = r->seq;
	}
	s->rows++;
	if (strcmp(r->event, "ceremony.step") == 0) {
		s->done = true;
		s->done_seq = r->seq;
		s->time = r->time;
	}
}

static int
kr_cer_scan_row(const struct kr_audit_rec *r, void *arg)
{
	struct kr_cer_scan	*sc = arg;
	struct kr_cer_info	*ci;
	char			 id[KR_CEREMONY_ID_BYTES];
	char			 step[KR_CEREMONY_STEP_BYTES];

	if (strcmp(r->event, "ceremony.begin") == 0)
		return kr_cer_scan_begin(sc, r);
	if (!kr_js_str(kr_js_member(r->payload, "ceremony"), id, sizeof(id)) ||
	    !kr_js_str(kr_js_member(r->payload, "ceremony_step"), step,
	    sizeof(step)) || (ci = kr_cer_scan_find(sc, id)) == NULL)
		return 0;
	kr_cer_scan_step(ci, r, step);
	return 0;
}

int
kr_cer_foreach(struct kr_appliance *app, kr_cer_info_cb *cb, void *arg,
    struct kr_err *err)
{
	struct kr_cer_scan	sc;
	size_t			i;
	int			ret;

	memset(&sc, 0, sizeof(sc));
	ret = kr_store_audit_foreach(kr_appliance_store(app), 1,
	    kr_cer_scan_row, &sc, err);
	for (i = 0; ret == KR_OK && i < sc.n; i++)
		ret = cb(&sc.all[i], arg);
	free(sc.all);
	return ret;
}

int
kr_cer_get(struct kr_appliance *app, const char *id, struct kr_cer_info *out,
    struct kr_err *err)
{
	struct kr_cer_scan	sc;
	int			ret;

	memset(out, 0, sizeof(*out));
	memset(&sc, 0, sizeof(sc));
	sc.only = id;
	sc.cur = out;
	ret = kr_store_audit_foreach(kr_appliance_store(app), 1,
	    kr_cer_scan_row, &sc, err);
	if (ret == KR_ENOMEM)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	if (ret == KR_OK && out->id[0] == '\0')
		ret = kr_err_set(err, KR_ENOENT, "no ceremony %s in the audit "
		    "log (`keyrite ceremony list` shows them all)", id);
	if (ret != KR_OK)
		kr_cer_info_free(out);
	return ret;
}

/* Running */

void
kr_cer_present(const struct kr_cer_ctx *c, const struct kr_cer_step *st,
    char *out, size_t cap)
{
	const struct kr_cer_arg	*who = kr_cer_arg_get(st, "custodians");
	size_t			 i;

	(void)snprintf(out, cap, "administrator %s, witness %s",
	    c->s->administrator, c->s->witness);
	if (who == NULL || who->n == 0)
		return;
	(void)snprintf(out + strlen(out), cap - strlen(out), ", custodian%s ",
	    who->n == 1 ? "" : "s");
	for (i = 0; i < who->n; i++)
		(void)snprintf(out + strlen(out), cap - strlen(out), "%s%s",
		    i > 0 ? ", " : "", who->list[i]);
}

struct kr_cer_event_find {
	const char	*event;
	char		 tag[128];
	int64_t		 seq;
	char		 serial[2 * KR_SERIAL_MAX + 1];	/* cert.* */
	int64_t		 crl_number;			/* crl.publish */
};

static int
kr_cer_event_row(const struct kr_audit_rec *r, void *arg)
{
	struct kr_cer_event_find	*f = arg;

	if (f->seq != 0 || strcmp(r->event, f->event) != 0 ||
	    strstr(r->payload, f->tag) == NULL)
		return 0;
	f->seq = r->seq;
	(void)kr_js_str(kr_js_member(r->payload, "serial"), f->serial,
	    sizeof(f->serial));
	(void)kr_js_int(kr_js_member(r->payload, "crl_number"),
	    &f->crl_number);
	return 0;
}

/*
 * The output of a step recorded before the interruption but perhaps
 * not written (it is named only after the commit): written again from
 * the record, as `cert release` / `crl release` would.
 */
static int
kr_cer_step_release(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    const struct kr_cer_event_find *f, struct kr_err *err)
{
	const char	*out = kr_cer_arg(st, "out");
	int		 ret;

	if (out == NULL || access(out, F_OK) == 0)
		return KR_OK;
	if (f->serial[0] != '\0')
		ret = kr_authority_cert_release(c->app, f->serial, out,
		    kr_cer_bool(st, "der"), err);
	else if (f->crl_number > 0)
		ret = kr_authority_crl_release(c->app,
		    kr_cer_arg(st, "issuer_key"), f->crl_number, out,
		    kr_cer_bool(st, "pem"), err);
	else
		return KR_OK;
	if (ret == KR_OK)
		kr_cer_print(c, "  %s was not written before the interruption: "
		    "written now from the record", out);
	return ret;
}

/* Files as sha256sum lines ("HEX  PATH") in a member of a step's row. */
static int
kr_cer_sums_json(struct kr_json *j, const char *member,
    const char *const *paths, size_t n, struct kr_err *err)
{
	const char	*lines[KR_CER_OUTS_MAX];
	char		(*text)[KR_CER_VALUE_MAX + 200];
	uint8_t		 d[32];
	char		 hex[65];
	size_t		 i;
	int		 ret = KR_OK;

	if ((text = calloc(KR_CER_OUTS_MAX, sizeof(*text))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	for (i = 0; ret == KR_OK && i < n && i < KR_CER_OUTS_MAX; i++) {
		if ((ret = kr_hash_file(paths[i], KR_HASH_SHA256, d, NULL,
		    err)) != KR_OK)
			break;
		kr_hex_encode(hex, d, sizeof(d));
		(void)snprintf(text[i], sizeof(text[0]), "%s  %s", hex,
		    paths[i]);
		lines[i] = text[i];
	}
	if (ret == KR_OK)
		kr_json_str_array(j, member, lines, i);
	free(text);
	return ret;
}

/* The step's public files, for its row. */
static int
kr_cer_outputs_json(struct kr_cer_ctx *c, struct kr_json *j,
    struct kr_err *err)
{
	const char	*paths[KR_CER_OUTS_MAX];
	size_t		 i;
	int		 ret;

	for (i = 0; i < c->nouts; i++)
		paths[i] = c->outs[i];
	ret = kr_cer_sums_json(j, "outputs", paths, c->nouts, err);
	c->nouts = 0;
	return ret;
}

/*
 * The files the step reads (a CSR, a public key, a certificate to
 * cross-sign, a manifest, a file to compare), as they are when it runs.
 */
static int
kr_cer_inputs_json(const struct kr_cer_step *st, struct kr_json *j,
    struct kr_err *err)
{
	static const char *const keys[] = { "csr", "pubkey", "cert",
	    "manifest", "file", NULL };
	const char	*paths[8];
	size_t		 i, n = 0;

	for (i = 0; keys[i] != NULL; i++)
		if (kr_cer_arg(st, keys[i]) != NULL)
			paths[n++] = kr_cer_arg(st, keys[i]);
	return kr_cer_sums_json(j, "inputs", paths, n, err);
}

/*
 * A step not recorded as done whose action's own row is there: the run
 * was cut between the two commits.  Its completion is recorded now.
 */
static int
kr_cer_step_recover(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    bool *done, struct kr_err *err)
{
	struct kr_cer_event_find	f;
	struct kr_json			j;
	int				ret;

	*done = false;
	memset(&f, 0, sizeof(f));
	f.event = st->def->done_event;
	/* One CRL is one commit; every due CRL is several (run again). */
	if (strcmp(st->def->name, "crl.publish") == 0 &&
	    !kr_cer_bool(st, "due"))
		f.event = kr_cer_bool(st, "delta") ? "crl.delta" :
		    "crl.publish";
	if (c->rec == NULL || c->rec->rows == 0 || f.event == NULL)
		return KR_OK;
	(void)snprintf(f.tag, sizeof(f.tag), "\"ceremony\":\"%s\","
	    "\"ceremony_step\":\"%s\"", c->id, st->id);
	if ((ret = kr_store_audit_foreach(kr_appliance_store(c->app),
	    c->rec->first_seq, kr_cer_event_row, &f, err)) != KR_OK ||
	    f.seq == 0 || (ret = kr_cer_step_release(c, st, &f, err)) != KR_OK)
		return ret;
	kr_json_begin(&j);
	kr_json_str(&j, "action", st->def->name);
	kr_json_str(&j, "title", st->title);
	kr_json_int(&j, "recovered_from", f.seq);
	c->nouts = 0;
	if (kr_cer_arg(st, "out") != NULL)
		kr_cer_output(c, kr_cer_arg(st, "out"));
	if ((ret = kr_cer_outputs_json(c, &j, err)) != KR_OK) {
		kr_json_free(&j);
		return ret;
	}
	ret = kr_authority_ceremony_record(c->app, c->id, st->id,
	    "ceremony.step", kr_json_end(&j), c->io->actor, NULL, err);
	kr_json_free(&j);
	if (ret == KR_OK) {
		kr_cer_print(c, "step %s: its action was recorded (audit entry "
		    "%lld) before the interruption; marked done, not repeated",
		    st->id, (long long)f.seq);
		*done = true;
	}
	return ret;
}

static int
kr_cer_step_run(struct kr_cer_ctx *c, size_t i, struct kr_err *err)
{
	const struct kr_cer_step	*st = &c->s->steps[i];
	char				 present[1024];
	int				 ret;

	kr_cer_present(c, st, present, sizeof(present));
	if (c->io->say != NULL)
		c->io->say(c->io->ctx, st, i, c->s->nsteps, present);
	kr_json_begin(&c->sum);
	kr_json_str(&c->sum, "action", st->def->name);
	kr_json_str(&c->sum, "title", st->title);
	if ((ret = kr_cer_inputs_json(st, &c->sum, err)) != KR_OK) {
		kr_json_free(&c->sum);
		return kr_cer_step_err(c, st, ret, err);
	}
	kr_authority_ceremony_step(c->app, c->id, st->id);
	c->nouts = 0;
	ret = st->def->run(c, st, err);
	kr_authority_ceremony_step(c->app, NULL, NULL);
	if (ret == KR_OK)
		ret = kr_cer_outputs_json(c, &c->sum, err);
	if (ret == KR_OK)
		ret = kr_authority_ceremony_record(c->app, c->id, st->id,
		    "ceremony.step", kr_json_end(&c->sum), c->io->actor, NULL,
		    err);
	kr_json_free(&c->sum);
	if (ret != KR_OK) {
		(void)kr_cer_step_err(c, st, ret, err);
		(void)kr_err_prefix(err, "ceremony %s stopped: ", c->id);
	}
	return ret;
}

/* The script of a ceremony being resumed, from its start row. */
static int
kr_cer_resume_script(const struct kr_cer_info *ci, struct kr_cer_script **s,
    struct kr_err *err)
{
	char		 label[128], *v;
	size_t		 i;
	int		 ret;

	(void)snprintf(label, sizeof(label), "the script of ceremony %s",
	    ci->id);
	if ((ret = kr_cer_parse(label, (const uint8_t *)ci->script,
	    strlen(ci->script), s, err)) != KR_OK)
		return ret;
	for (i = 0; i < (*s)->nparams; i++) {
		v = kr_js_str_dup(kr_js_member(ci->params,
		    (*s)->params[i].name));
		if (v == NULL)
			return kr_err_set(err, KR_EVERIFY, "ceremony %s: its "
			    "start row lacks parameter '%s'", ci->id,
			    (*s)->params[i].name);
		(*s)->params[i].value = v;
	}
	return kr_cer_bind(*s, err);
}

/* Every public file the ceremony's steps wrote, from their rows. */
struct kr_cer_outs {
	char	tag[128];
	char	(*lines)[KR_CER_VALUE_MAX + 200];
	size_t	n;
};

static int
kr_cer_outs_row(const struct kr_audit_rec *r, void *arg)
{
	struct kr_cer_outs	*o = arg;
	const char		*p;
	bool			 first = true;

	if (strcmp(r->event, "ceremony.step") != 0 ||
	    strstr(r->payload, o->tag) == NULL)
		return 0;
	p = kr_js_member(r->payload, "outputs");
	while (o->n < KR_CER_OUTS_MAX && kr_js_next(&p, first) != NULL) {
		first = false;
		if (kr_js_str(p, o->lines[o->n], sizeof(o->lines[0])))
			o->n++;
	}
	return 0;
}

/*
 * After the last sync (the end row committed): each export's folder, its
 * files synced when it was written, may now leave the room.
 */
static void
kr_cer_media_done(struct kr_cer_ctx *c, const struct kr_cer_outs *o)
{
	const char	*p;
	size_t		 i, len;

	for (i = 0; i < o->n; i++) {
		len = strlen(o->lines[i]);
		if (len < 80 || strcmp(o->lines[i] + len - 14,
		    "/MANIFEST.json") != 0)
			continue;
		p = o->lines[i] + 66;
		kr_cer_print(c, "The export %.*s is synced and the ceremony's "
		    "end recorded: safe to remove", (int)(len - 66 - 14), p);
	}
}

static int
kr_cer_end(struct kr_cer_ctx *c, struct kr_err *err)
{
	const char		*lines[KR_CER_OUTS_MAX];
	struct kr_cer_outs	 o;
	struct kr_json		 j;
	size_t			 i;
	int			 ret;

	memset(&o, 0, sizeof(o));
	(void)snprintf(o.tag, sizeof(o.tag), "\"ceremony\":\"%s\",", c->id);
	if ((o.lines = calloc(KR_CER_OUTS_MAX, sizeof(*o.lines))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_store_audit_foreach(kr_appliance_store(c->app), c->begin_seq,
	    kr_cer_outs_row, &o, err);
	if (ret == KR_OK && o.n > 0) {
		kr_cer_print(c, "%s", "");
		kr_cer_print(c, "Public artifacts of ceremony %s "
		    "(`sha256sum -c` checks these lines):", c->id);
		for (i = 0; i < o.n; i++) {
			kr_cer_print(c, "%s", o.lines[i]);
			lines[i] = o.lines[i];
		}
	}
	if (ret == KR_OK) {
		kr_json_begin(&j);
		kr_json_int(&j, "steps", (int64_t)c->s->nsteps);
		kr_json_str_array(&j, "outputs", lines, o.n);
		ret = kr_authority_ceremony_record(c->app, c->id, NULL,
		    "ceremony.end", kr_json_end(&j), c->io->actor, NULL, err);
		kr_json_free(&j);
	}
	if (ret == KR_OK)
		kr_cer_media_done(c, &o);
	free(o.lines);
	return ret;
}

static int
kr_cer_steps_run(struct kr_cer_ctx *c, const struct kr_cer_info *ci,
    struct kr_err *err)
{
	const struct kr_cer_step_rec	*rec;
	size_t				 i, k;
	bool				 done;
	int				 ret;

	for (i = 0; i < c->s->nsteps; i++) {
		for (k = 0, rec = NULL; ci != NULL && k < ci->nsteps; k++)
			if (strcmp(ci->steps[k].id, c->s->steps[i].id) == 0)
				rec = &ci->steps[k];
		c->rec = rec;
		if (rec != NULL && rec->done)
			continue;
		if ((ret = kr_cer_step_recover(c, &c->s->steps[i], &done,
		    err)) != KR_OK)
			return ret;
		if (!done && (ret = kr_cer_step_run(c, i, err)) != KR_OK)
			return ret;
	}
	return kr_cer_end(c, err);
}

int
kr_cer_run(struct kr_appliance *app, const struct kr_cer_run_req *req,
    const struct kr_cer_io *io, char id[KR_CEREMONY_ID_BYTES],
    struct kr_err *err)
{
	struct kr_cer_ctx		*c;
	struct kr_cer_info		 ci;
	struct kr_cer_script		*own = NULL;
	struct kr_ceremony_begin	 b;
	char				*params = NULL;
	int				 ret;

	id[0] = '\0';
	memset(&ci, 0, sizeof(ci));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	c->app = app;
	c->io = io;
	c->requests_dir = req->requests_dir;
	if (req->resume_id != NULL) {
		if ((ret = kr_cer_get(app, req->resume_id, &ci, err)) != KR_OK)
			goto out;
		if (ci.state != KR_CER_RUNNING) {
			ret = kr_err_set(err, KR_EREFUSED, "ceremony %s is %s "
			    "(audit entry %lld): it cannot go on", ci.id,
			    kr_cer_state_name(ci.state), (long long)ci.end_seq);
			goto out;
		}
		if ((ret = kr_cer_resume_script(&ci, &own, err)) != KR_OK)
			goto out;
		c->s = own;
		(void)snprintf(id, KR_CEREMONY_ID_BYTES, "%s", ci.id);
		/* The rehearsal's requests the ceremony started with. */
		if (c->requests_dir == NULL && ci.requests[0] != '\0')
			c->requests_dir = ci.requests;
		c->begin_seq = ci.begin_seq;
	} else {
		c->s = req->script;
		if ((params = kr_cer_params_json(c->s)) == NULL) {
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
			goto out;
		}
		b.name = c->s->name;
		b.script = c->s->text;
		b.script_len = c->s->len;
		b.params = params;
		b.requests = req->requests_dir;
		b.actor = io->actor;
		if ((ret = kr_authority_ceremony_begin(app, &b, id,
		    &c->begin_seq, err)) != KR_OK)
			goto out;
	}
	c->id = id;
	ret = kr_cer_steps_run(c, req->resume_id != NULL ? &ci : NULL, err);
out:
	kr_cer_info_free(&ci);
	kr_cer_free(&own);
	free(params);
	free(c);
	return ret;
}

int
kr_cer_abort(struct kr_appliance *app, const char *id, const char *reason,
    const char *actor, struct kr_err *err)
{
	struct kr_cer_info	ci;
	struct kr_json		j;
	int			ret;

	if ((ret = kr_cer_get(app, id, &ci, err)) != KR_OK)
		return ret;
	if (ci.state != KR_CER_RUNNING)
		ret = kr_err_set(err, KR_EREFUSED, "ceremony %s is already %s "
		    "(audit entry %lld)", ci.id, kr_cer_state_name(ci.state),
		    (long long)ci.end_seq);
	kr_cer_info_free(&ci);
	if (ret != KR_OK)
		return ret;
	kr_json_begin(&j);
	kr_json_str(&j, "reason", reason != NULL ? reason : "");
	ret = kr_authority_ceremony_record(app, id, NULL, "ceremony.abort",
	    kr_json_end(&j), actor, NULL, err);
	kr_json_free(&j);
	return ret;
}
