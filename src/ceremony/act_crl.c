/*
 * crl.publish: one key's CRL, or every due CRL (`due: true`): the base
 * CRLs `status` lists, or with `delta: true` the delta CRLs it lists.  A
 * delta follows its base: a CA whose base CRL is due too gets no delta
 * from the step, which says why and what to run first.  A step of several
 * commits that was interrupted goes on from what its rows say was done:
 * each CRL they record is not published again, and its file, if it was
 * not written, is written from the record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceremony_int.h"

void
kr_cer_crl_request_path(const char *dir, const struct kr_cer_step *st,
    const char *key, char *out, size_t cap)
{
	if (!kr_cer_bool(st, "due"))
		(void)snprintf(out, cap, "%s/%s.request", dir, st->id);
	else if (kr_cer_bool(st, "delta"))
		(void)snprintf(out, cap, "%s/%s-%s-delta.request", dir, st->id,
		    key);
	else
		(void)snprintf(out, cap, "%s/%s-%s.request", dir, st->id, key);
}

/* OUT_DIR/KEY-DAY.crl, or OUT_DIR/KEY-delta-DAY.crl. */
static void
kr_cer_crl_out(const struct kr_cer_step *st, const char *key, int64_t day,
    char *out, size_t cap)
{
	char	when[KR_TIME_STR_BYTES];

	kr_time_format(day, when);
	(void)snprintf(out, cap, "%s/%s%s-%.10s.crl", kr_cer_arg(st, "out_dir"),
	    key, kr_cer_bool(st, "delta") ? "-delta" : "", when);
}

void
kr_cer_delta_skip_say(const struct kr_cer_ctx *c, const struct kr_due_crl *b)
{
	char	by[KR_TIME_STR_BYTES];

	kr_time_format(b->publish_by, by);
	kr_cer_print(c, "  '%s': no delta CRL: its base CRL %lld is due "
	    "(publish by %.10s), and a delta follows its base. Publish the "
	    "base first (a crl.publish step with due: true before this one, or "
	    "`keyrite crl publish --issuer-key %s`), then its delta", b->issuer,
	    (long long)b->number, by, b->issuer);
}

static void
kr_cer_crl_said(struct kr_cer_ctx *c, const char *key,
    const struct kr_crl_result *res, const char *out)
{
	if (res->base_number > 0)
		kr_cer_print(c, "delta CRL %lld of '%s' (over base CRL %lld): "
		    "%zu entries, next update %s", (long long)res->number, key,
		    (long long)res->base_number, res->entries,
		    res->next_update);
	else
		kr_cer_print(c, "CRL %lld of '%s': %zu entries, next update %s",
		    (long long)res->number, key, res->entries,
		    res->next_update);
	kr_cer_print(c, "  CRL SHA-256: %s", res->sha256);
	kr_cer_print(c, "  TBS SHA-256: %s", res->tbs_sha256);
	kr_cer_print(c, "  written to %s", out);
	kr_cer_output(c, out);
}

static int
kr_cer_crl_one(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    const char *key, const char *out, struct kr_err *err)
{
	struct kr_crl_req	req;
	struct kr_crl_result	res;
	struct kr_cer_q		q;
	char			path[4096];
	int			ret;

	memset(&req, 0, sizeof(req));
	req.issuer_key = key;
	req.out_path = out;
	req.delta = kr_cer_bool(st, "delta");
	req.pem = kr_cer_bool(st, "pem");
	req.next_update_days = kr_cer_uint(st, "next_update_days");
	req.actor = c->io->actor;
	/* Prepared by the rehearsal when its key and certificate existed. */
	if (c->requests_dir != NULL) {
		kr_cer_crl_request_path(c->requests_dir, st, key, path,
		    sizeof(path));
		if (access(path, F_OK) == 0) {
			req.request = path;
			req.issuer_key = NULL;
			req.delta = false;
			req.next_update_days = 0;
		}
	}
	if ((ret = kr_cer_shares(st, key, &q.files, q.owned, &q.n, err)) !=
	    KR_OK)
		return ret;
	req.shares = q.files;
	req.nshares = q.n;
	ret = kr_authority_crl_publish(c->app, &req, c->io->src,
	    c->io->notice, &res, err);
	kr_cer_shares_free(q.owned, q.n);
	if (ret == KR_OK)
		kr_cer_crl_said(c, key, &res, out);
	kr_crl_result_free(&res);
	return ret;
}

static const struct kr_due_crl *
kr_cer_due_find(const struct kr_due_crl *v, size_t n, const char *key)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].issuer, key) == 0)
			return &v[i];
	return NULL;
}

/*
 * The CA keys whose base CRL is due now, or (delta) whose delta CRL is:
 * what `status` lists (kr_authority_due).  A delta whose base is due too
 * is set aside in `held`: a delta follows its base.
 */
int
kr_cer_crl_due(struct kr_appliance *app, bool delta, struct kr_cer_due *d,
    struct kr_err *err)
{
	struct kr_due		 due;
	const struct kr_due_crl	*b;
	size_t			 i;
	int			 ret;

	memset(d, 0, sizeof(*d));
	if ((ret = kr_authority_due(app, kr_time_now(), &due, err)) != KR_OK)
		return ret;
	/* No CRL that is due is left out unsaid. */
	if ((delta ? due.ndeltas : due.ncrls) > KR_CER_DUE_MAX) {
		ret = kr_err_set(err, KR_EREFUSED, "%zu CA keys have a %sCRL "
		    "due, more than the %d one crl.publish step publishes: "
		    "publish some with `keyrite crl publish` first, then run "
		    "the ceremony", delta ? due.ndeltas : due.ncrls, delta ?
		    "delta " : "", KR_CER_DUE_MAX);
		kr_due_free(&due);
		return ret;
	}
	for (i = 0; !delta && i < due.ncrls && d->n < KR_CER_DUE_MAX; i++)
		(void)snprintf(d->names[d->n++], sizeof(d->names[0]), "%s",
		    due.crls[i].issuer);
	for (i = 0; delta && i < due.ndeltas && d->n + d->nheld <
	    KR_CER_DUE_MAX; i++) {
		b = kr_cer_due_find(due.crls, due.ncrls,
		    due.deltas[i].crl.issuer);
		if (b != NULL)
			d->held[d->nheld++] = *b;
		else
			(void)snprintf(d->names[d->n++], sizeof(d->names[0]),
			    "%s", due.deltas[i].crl.issuer);
	}
	kr_due_free(&due);
	return KR_OK;
}

/* The CRLs this step recorded before an interruption, from its rows. */
struct kr_cer_crl_rows {
	char		 tag[128];
	const char	*event;
	struct kr_cer_due *d;		/* done[], ndone */
	int64_t		 first;		/* the first one's time */
};

static int
kr_cer_crl_row(const struct kr_audit_rec *r, void *arg)
{
	struct kr_cer_crl_rows	*w = arg;
	struct kr_cer_due	*d = w->d;

	if (strcmp(r->event, w->event) != 0 ||
	    strstr(r->payload, w->tag) == NULL || d->ndone == KR_CER_DUE_MAX ||
	    !kr_js_str(kr_js_member(r->payload, "issuer_key"),
	    d->done[d->ndone].key, sizeof(d->done[0].key)) ||
	    !kr_js_int(kr_js_member(r->payload, "crl_number"),
	    &d->done[d->ndone].number))
		return 0;
	if (d->ndone++ == 0)
		w->first = r->time;
	return 0;
}

/*
 * The files of the CRLs recorded before the interruption (named with the
 * day of the first, the step's day), each written from its record if it
 * was not; and the day for the rest.
 */
static int
kr_cer_crl_resume(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_cer_due *d, int64_t *day, struct kr_err *err)
{
	struct kr_cer_crl_rows	w;
	char			out[4096];
	size_t			i;
	int			ret;

	*day = kr_time_now();
	if (c->rec == NULL || c->rec->rows == 0)
		return KR_OK;
	memset(&w, 0, sizeof(w));
	(void)snprintf(w.tag, sizeof(w.tag), "\"ceremony\":\"%s\","
	    "\"ceremony_step\":\"%s\"", c->id, st->id);
	w.event = kr_cer_bool(st, "delta") ? "crl.delta" : "crl.publish";
	w.d = d;
	if ((ret = kr_store_audit_foreach(kr_appliance_store(c->app),
	    c->rec->first_seq, kr_cer_crl_row, &w, err)) != KR_OK)
		return ret;
	if (d->ndone > 0)
		*day = w.first;
	for (i = 0; i < d->ndone; i++) {
		kr_cer_crl_out(st, d->done[i].key, *day, out, sizeof(out));
		if (access(out, F_OK) != 0) {
			if ((ret = kr_authority_crl_release(c->app,
			    d->done[i].key, d->done[i].number, out,
			    kr_cer_bool(st, "pem"), err)) != KR_OK)
				return ret;
			kr_cer_print(c, "  %s was not written before the "
			    "interruption: written now from the record", out);
		}
		kr_cer_print(c, "%sCRL %lld of '%s' was published before the "
		    "interruption (%s): not published again",
		    kr_cer_bool(st, "delta") ? "delta " : "",
		    (long long)d->done[i].number, d->done[i].key, out);
		kr_cer_output(c, out);
	}
	return KR_OK;
}

static bool
kr_cer_crl_was_done(const struct kr_cer_due *d, const char *key)
{
	size_t	i;

	for (i = 0; i < d->ndone; i++)
		if (strcmp(d->done[i].key, key) == 0)
			return true;
	return false;
}

/* What the step did, for its ceremony.step row. */
static void
kr_cer_crl_sum(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    const struct kr_cer_due *d, size_t done)
{
	const char	*held[KR_CER_DUE_MAX];
	size_t		 i, n = 0;

	kr_json_str(&c->sum, "kind", kr_cer_bool(st, "delta") ? "delta" :
	    "base");
	kr_json_int(&c->sum, "crls", (int64_t)done);
	for (i = 0; i < d->nheld; i++)
		if (!kr_cer_crl_was_done(d, d->held[i].issuer))
			held[n++] = d->held[i].issuer;
	if (kr_cer_bool(st, "delta"))
		kr_json_str_array(&c->sum, "base_due_first", held, n);
}

static int
kr_cer_run_due(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_cer_due *d, struct kr_err *err)
{
	char	out[4096];
	int64_t	day;
	size_t	i, done;
	int	ret;

	if ((ret = kr_cer_crl_due(c->app, kr_cer_bool(st, "delta"), d,
	    err)) != KR_OK ||
	    (ret = kr_cer_crl_resume(c, st, d, &day, err)) != KR_OK)
		return ret;
	done = d->ndone;
	for (i = 0; i < d->nheld; i++)
		if (!kr_cer_crl_was_done(d, d->held[i].issuer))
			kr_cer_delta_skip_say(c, &d->held[i]);
	for (i = 0; ret == KR_OK && i < d->n; i++) {
		if (kr_cer_crl_was_done(d, d->names[i]))
			continue;
		kr_cer_crl_out(st, d->names[i], day, out, sizeof(out));
		if ((ret = kr_cer_crl_one(c, st, d->names[i], out, err)) ==
		    KR_OK)
			done++;
	}
	if (ret != KR_OK)
		return ret;
	if (done == 0)
		kr_cer_print(c, "no CA key's %s is due", kr_cer_bool(st,
		    "delta") ? "delta CRL" : "CRL");
	kr_cer_crl_sum(c, st, d, done);
	return KR_OK;
}

int
kr_cer_run_crl(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_cer_due	*d;
	int			 ret;

	if (!kr_cer_bool(st, "due")) {
		if ((ret = kr_cer_crl_one(c, st, kr_cer_arg(st, "issuer_key"),
		    kr_cer_arg(st, "out"), err)) != KR_OK)
			return ret;
		kr_json_str(&c->sum, "issuer_key", kr_cer_arg(st, "issuer_key"));
		kr_json_int(&c->sum, "crls", 1);
		return KR_OK;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_cer_run_due(c, st, d, err);
	free(d);
	return ret;
}
