/*
 * ceremony report: a ceremony's transcript, read from the verified audit
 * chain, signed by every custodian who approved a step of it
 * (docs/transcript.md).
 *
 * report.json holds every audit row from the ceremony's start row to its
 * last (end or abort) with its hash, and the chain's head before the
 * start, so anyone can recompute the rows' links with the files alone.
 * The custodians sign SHA-256(report.txt) and SHA-256(report.json) with
 * the approval keys whose fingerprints they wrote down at key generation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/quorum.h>

#include "report_int.h"

#define RP_STOP		1	/* the walk is past the ceremony's last row */

/* Approvers */

struct rp_approver *
rp_approver_find(struct rp_approvers *ap, const char *name)
{
	size_t	i;

	for (i = 0; i < ap->n; i++)
		if (strcmp(ap->a[i].name, name) == 0)
			return &ap->a[i];
	return NULL;
}

static struct rp_approver *
rp_approver_get(struct rp_approvers *ap, const char *name)
{
	struct rp_approver	*a;

	if ((a = rp_approver_find(ap, name)) != NULL)
		return a;
	if (ap->n == KR_CER_SIGNERS_MAX)
		return NULL;
	a = &ap->a[ap->n++];
	memset(a, 0, sizeof(*a));
	(void)snprintf(a->name, sizeof(a->name), "%s", name);
	return a;
}

static int
rp_approval_keys(struct rp_approvers *ap, const char *payload)
{
	struct rp_approver	*a;
	const char		*e;
	char			 name[RP_NAME_CAP];
	uint8_t			 pk[32];
	size_t			 k;
	bool			 first = true;

	e = kr_js_member(kr_js_member(payload, "approvals"), "signatures");
	while (e != NULL && kr_js_next(&e, first) != NULL) {
		first = false;
		if (!kr_js_str(kr_js_member(e, "custodian"), name,
		    sizeof(name)) || !kr_js_hex(kr_js_member(e, "pk_sha256"),
		    pk, sizeof(pk)) || (a = rp_approver_get(ap, name)) == NULL)
			return -1;
		for (k = 0; k < a->npk; k++)
			if (memcmp(a->pk_sha256[k], pk, 32) == 0)
				break;
		if (k == a->npk && a->npk < RP_KEYS_MAX)
			memcpy(a->pk_sha256[a->npk++], pk, 32);
	}
	return 0;
}

/*
 * The custodians a row says approved it: approved_by, or for a check of
 * shares its custodians (as `audit verify` reads them), with the
 * approval keys their signatures in "approvals" name.
 */
int
rp_approvers_add(struct rp_approvers *ap, const char *event,
    const char *payload)
{
	const char	*e;
	char		 name[RP_NAME_CAP];
	bool		 first = true;

	e = kr_js_member(payload, "approved_by");
	if (e == NULL && (strcmp(event, "quorum.verify") == 0 ||
	    strcmp(event, "share.check") == 0 ||
	    strcmp(event, "quorum.unlock") == 0))
		e = kr_js_member(payload, "custodians");
	while (e != NULL && kr_js_next(&e, first) != NULL) {
		first = false;
		if (!kr_js_str(e, name, sizeof(name)) ||
		    rp_approver_get(ap, name) == NULL)
			return -1;
	}
	return rp_approval_keys(ap, payload);
}

/* Statement and members */

static void
rp_field(struct kr_buf *b, const void *p, size_t n)
{
	kr_buf_put_u32(b, (uint32_t)n);
	kr_buf_put(b, p, n);
}

void
rp_statement(struct kr_buf *b, const char *appliance, const char *id,
    const char *custodian, const uint8_t *pk, const uint8_t *txt_sha,
    const uint8_t *json_sha)
{
	kr_buf_put(b, KR_CER_TRANSCRIPT, strlen(KR_CER_TRANSCRIPT));
	rp_field(b, appliance, strlen(appliance));
	rp_field(b, id, strlen(id));
	rp_field(b, custodian, strlen(custodian));
	rp_field(b, pk, KR_APPROVAL_PK_BYTES);
	rp_field(b, "sha256", 6);
	rp_field(b, txt_sha, 32);
	rp_field(b, json_sha, 32);
}

bool
rp_member_next(const char **p, char *key, size_t cap, const char **val)
{
	const char	*q = *p;

	if (q == NULL || (*q != '{' && *q != ','))
		return false;
	q++;
	if (*q != '"' || !kr_js_str(q, key, cap) ||
	    (q = kr_js_skip(q, 1)) == NULL || *q != ':')
		return false;
	*val = q + 1;
	if ((q = kr_js_skip(*val, 1)) == NULL)
		return false;
	*p = q;
	return true;
}

/* Reading the ceremony from the chain */

static int
rp_row_copy(const struct kr_audit_rec *r, void *arg)
{
	struct rp	*rp = arg;
	struct rp_row	*w;
	char		 id[KR_CEREMONY_ID_BYTES];

	if (r->seq > rp->ci.end_seq)
		return RP_STOP;
	if (rp->nrows == rp->cap) {
		size_t	cap = rp->cap ? 2 * rp->cap : 32;

		if ((w = realloc(rp->rows, cap * sizeof(*w))) == NULL)
			return KR_ENOMEM;
		rp->rows = w;
		rp->cap = cap;
	}
	if (rp->nrows == 0)
		memcpy(rp->head_before, r->prev_hash, 32);
	w = &rp->rows[rp->nrows++];
	memset(w, 0, sizeof(*w));
	w->seq = r->seq;
	w->time = r->time;
	memcpy(w->hash, r->hash, 32);
	w->actor = strdup(r->actor);
	w->event = strdup(r->event);
	w->payload = strdup(r->payload);
	if (w->actor == NULL || w->event == NULL || w->payload == NULL)
		return KR_ENOMEM;
	w->tagged = kr_js_str(kr_js_member(r->payload, "ceremony"), id,
	    sizeof(id)) && strcmp(id, rp->ci.id) == 0;
	if (w->tagged)
		(void)kr_js_str(kr_js_member(r->payload, "ceremony_step"),
		    w->step, sizeof(w->step));
	w->tagged = w->tagged || r->seq == rp->ci.begin_seq;
	if (w->tagged && rp_approvers_add(&rp->ap, r->event, r->payload) != 0)
		return KR_EINPUT;
	return 0;
}

static int
rp_load(struct rp *rp, const char *id, struct kr_err *err)
{
	char	label[128];
	int	ret;

	if ((ret = kr_cer_get(rp->app, id, &rp->ci, err)) != KR_OK)
		return ret;
	if (rp->ci.state == KR_CER_RUNNING)
		return kr_err_set(err, KR_EREFUSED, "ceremony %s is still "
		    "running: resume it (`keyrite ceremony run --resume %s`) "
		    "or abort it before its transcript is made", rp->ci.id,
		    rp->ci.id);
	(void)snprintf(label, sizeof(label), "the script of ceremony %s",
	    rp->ci.id);
	if ((ret = kr_cer_parse(label, (const uint8_t *)rp->ci.script,
	    strlen(rp->ci.script), &rp->s, err)) != KR_OK)
		return ret;
	if ((ret = kr_store_meta_get(kr_appliance_store(rp->app),
	    "appliance_id", rp->appliance, sizeof(rp->appliance), err)) !=
	    KR_OK)
		return ret;
	rp->before_seq = rp->ci.begin_seq - 1;
	ret = kr_store_audit_foreach(kr_appliance_store(rp->app),
	    rp->ci.begin_seq, rp_row_copy, rp, err);
	if (ret == RP_STOP)
		ret = KR_OK;
	if (ret == KR_ENOMEM)
		return kr_err_set(err, ret, "out of memory");
	if (ret == KR_EINPUT)
		return kr_err_set(err, ret, "ceremony %s: an audit row's "
		    "approver list cannot be read", rp->ci.id);
	if (ret == KR_OK && (rp->nrows == 0 ||
	    rp->rows[rp->nrows - 1].seq != rp->ci.end_seq))
		ret = kr_err_set(err, KR_EVERIFY, "ceremony %s: its rows %lld "
		    "to %lld cannot be read whole", rp->ci.id,
		    (long long)rp->ci.begin_seq, (long long)rp->ci.end_seq);
	return ret;
}

static void
rp_free(struct rp *rp)
{
	size_t	i;

	for (i = 0; i < rp->nrows; i++) {
		free(rp->rows[i].actor);
		free(rp->rows[i].event);
		free(rp->rows[i].payload);
	}
	free(rp->rows);
	kr_cer_info_free(&rp->ci);
	kr_cer_free(&rp->s);
	kr_buf_free(&rp->txt);
	kr_json_free(&rp->json);
}

/* report.json */

/* The approvers of one step (its tagged rows). */
void
rp_step_approvers(const struct rp *rp, const char *step,
    struct rp_approvers *out)
{
	size_t	i;

	out->n = 0;
	for (i = 0; i < rp->nrows; i++)
		if (rp->rows[i].tagged && strcmp(rp->rows[i].step, step) == 0)
			(void)rp_approvers_add(out, rp->rows[i].event,
			    rp->rows[i].payload);
}

const struct kr_cer_step_rec *
rp_step_rec(const struct rp *rp, const char *id)
{
	size_t	i;

	for (i = 0; i < rp->ci.nsteps; i++)
		if (strcmp(rp->ci.steps[i].id, id) == 0)
			return &rp->ci.steps[i];
	return NULL;
}

const char *
rp_step_result(const struct kr_cer_step_rec *rec)
{
	return rec == NULL ? "not run" : rec->done ? "done" : "not done";
}

static char *
rp_names_json(const struct rp_approvers *ap)
{
	const char	*names[KR_CER_SIGNERS_MAX];
	struct kr_json	 j;
	char		*out, *p;
	size_t		 i;

	for (i = 0; i < ap->n; i++)
		names[i] = ap->a[i].name;
	kr_json_begin(&j);
	kr_json_str_array(&j, "n", names, ap->n);
	/* {"n":[...]} -> [...] */
	out = (p = (char *)kr_json_end(&j)) != NULL ? strdup(p + 5) : NULL;
	if (out != NULL)
		out[strlen(out) - 1] = '\0';
	kr_json_free(&j);
	return out;
}

static void
rp_json_steps(struct rp *rp, struct kr_buf *arr, struct rp_approvers *ap)
{
	const struct kr_cer_step_rec	*rec;
	const struct kr_cer_step	*st;
	struct kr_json			 o;
	char				*names;
	size_t				 i;

	for (i = 0; i < rp->s->nsteps; i++) {
		st = &rp->s->steps[i];
		rec = rp_step_rec(rp, st->id);
		rp_step_approvers(rp, st->id, ap);
		kr_json_begin(&o);
		kr_json_str(&o, "id", st->id);
		kr_json_str(&o, "title", st->title);
		kr_json_str(&o, "action", kr_cer_action_name(st));
		kr_json_str(&o, "result", rp_step_result(rec));
		kr_json_int(&o, "seq", rec != NULL && rec->done ?
		    rec->done_seq : 0);
		kr_json_int(&o, "time", rec != NULL && rec->done ?
		    rec->time : 0);
		kr_json_raw(&o, "approved_by", names = rp_names_json(ap));
		free(names);
		kr_json_list_add(arr, &o);
	}
}

static void
rp_json_approvers(const struct rp *rp, struct kr_buf *arr)
{
	const struct rp_approver	*a;
	struct kr_json			 o;
	char				 hex[RP_KEYS_MAX][65];
	const char			*keys[RP_KEYS_MAX];
	size_t				 i, k;

	for (i = 0; i < rp->ap.n; i++) {
		a = &rp->ap.a[i];
		for (k = 0; k < a->npk; k++) {
			kr_hex_encode(hex[k], a->pk_sha256[k], 32);
			keys[k] = hex[k];
		}
		kr_json_begin(&o);
		kr_json_str(&o, "custodian", a->name);
		kr_json_str_array(&o, "approval_keys", keys, a->npk);
		kr_json_list_add(arr, &o);
	}
}

static void
rp_json_rows(const struct rp *rp, struct kr_buf *arr)
{
	const struct rp_row	*r;
	struct kr_json		 o;
	size_t			 i;

	for (i = 0; i < rp->nrows; i++) {
		r = &rp->rows[i];
		kr_json_begin(&o);
		kr_json_int(&o, "seq", r->seq);
		kr_json_int(&o, "time", r->time);
		kr_json_str(&o, "actor", r->actor);
		kr_json_str(&o, "event", r->event);
		kr_json_str(&o, "payload", r->payload);
		kr_json_hex(&o, "hash", r->hash, 32);
		kr_json_list_add(arr, &o);
	}
}

static void
rp_json_head(struct kr_json *j, const char *key, int64_t seq,
    const uint8_t *hash)
{
	struct kr_json	o;

	kr_json_begin(&o);
	kr_json_int(&o, "seq", seq);
	kr_json_hex(&o, "hash", hash, 32);
	kr_json_raw(j, key, kr_json_end(&o));
	kr_json_free(&o);
}

static int
rp_json(struct rp *rp, struct kr_err *err)
{
	struct kr_json		*j = &rp->json;
	struct rp_approvers	*ap;
	struct kr_buf		 arr[3];
	size_t			 i;

	if ((ap = calloc(1, sizeof(*ap))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	for (i = 0; i < 3; i++)
		kr_buf_init(&arr[i], false);
	rp_json_steps(rp, &arr[0], ap);
	rp_json_approvers(rp, &arr[1]);
	rp_json_rows(rp, &arr[2]);
	free(ap);
	kr_json_begin(j);
	kr_json_str(j, "format", KR_CER_TRANSCRIPT);
	kr_json_str(j, "appliance", rp->appliance);
	kr_json_str(j, "ceremony", rp->ci.id);
	kr_json_str(j, "name", rp->ci.name);
	kr_json_str(j, "purpose", rp->s->purpose != NULL ? rp->s->purpose :
	    "");
	kr_json_str(j, "state", kr_cer_state_name(rp->ci.state));
	kr_json_str(j, "script_sha256", rp->ci.script_sha256);
	kr_json_raw(j, "params", rp->ci.params);
	kr_json_str(j, "administrator", rp->s->administrator);
	kr_json_str(j, "witness", rp->s->witness);
	kr_json_str_array(j, "custodians", rp->s->custodians,
	    rp->s->ncustodians);
	rp_json_head(j, "head_before", rp->before_seq, rp->head_before);
	rp_json_head(j, "head_after", rp->rows[rp->nrows - 1].seq,
	    rp->rows[rp->nrows - 1].hash);
	for (i = 0; i < 3; i++) {
		kr_json_raw(j, (const char *[]){ "steps", "approvers",
		    "rows" }[i], kr_json_list_end(&arr[i]));
		kr_buf_free(&arr[i]);
	}
	if (kr_json_end(j) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	return KR_OK;
}

/* Signatures */

struct rp_sign {
	struct rp			*rp;
	uint8_t				 txt_sha[32];
	uint8_t				 json_sha[32];
	struct kr_transcript_sig	*sigs;		/* by approver */
	bool				*have;
};

/* Every approver has an approval key and a share file here. */
static int
rp_sign_precheck(struct rp *rp, const char *const *files, size_t n,
    struct kr_err *err)
{
	struct kr_err	 e;
	size_t		 i, k;
	char		 missing[512] = "", who[KR_CUSTODIAN_NAME_MAX + 1];

	for (i = 0; i < rp->ap.n; i++)
		if (rp->ap.a[i].npk == 0)
			return kr_err_set(err, KR_EREFUSED, "custodian '%s' "
			    "approved a step of ceremony %s with a share file "
			    "of format 1, which holds no approval key: the "
			    "transcript cannot be signed by them",
			    rp->ap.a[i].name, rp->ci.id);
	for (i = 0; i < rp->ap.n; i++) {
		for (k = 0; k < n; k++) {
			kr_err_clear(&e);
			if (kr_authority_share_holder(files[k], who,
			    sizeof(who), &e) == KR_OK &&
			    strcmp(who, rp->ap.a[i].name) == 0)
				k = n + 1;
		}
		if (k == n)
			(void)snprintf(missing + strlen(missing),
			    sizeof(missing) - strlen(missing), "%s'%s'",
			    missing[0] != '\0' ? ", " : "", rp->ap.a[i].name);
	}
	if (missing[0] != '\0')
		return kr_err_set(err, KR_EREFUSED, "the transcript of ceremony "
		    "%s needs the signature of every custodian who approved a "
		    "step; no share file was given for %s (--share FILE for "
		    "each); nothing was written", rp->ci.id, missing);
	return KR_OK;
}

static int
rp_sign_who(void *arg, const char *custodian, const uint8_t *pk,
    struct kr_buf *msg, struct kr_err *err)
{
	struct rp_sign		*sg = arg;
	struct rp_approver	*a;
	uint8_t			 d[32];
	char			 fp[KR_APPROVAL_FP_BYTES];
	size_t			 k;

	if ((a = rp_approver_find(&sg->rp->ap, custodian)) == NULL)
		return kr_err_set(err, KR_EREFUSED, "custodian '%s' approved "
		    "no step of ceremony %s: their signature is not asked; "
		    "leave their share file out", custodian, sg->rp->ci.id);
	if (sg->have[a - sg->rp->ap.a])
		return kr_err_set(err, KR_EUSAGE, "custodian '%s''s share file "
		    "was given twice", custodian);
	if (kr_hash(KR_HASH_SHA256, pk, KR_APPROVAL_PK_BYTES, d) != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "cannot hash an approval "
		    "key");
	for (k = 0; k < a->npk; k++)
		if (memcmp(a->pk_sha256[k], d, 32) == 0)
			break;
	kr_approval_fingerprint(pk, fp);
	if (k == a->npk)
		return kr_err_set(err, KR_EREFUSED, "the share file of "
		    "custodian '%s' holds approval key %s, which approved no "
		    "step of ceremony %s: give the share file they approved "
		    "with", custodian, fp, sg->rp->ci.id);
	rp_statement(msg, sg->rp->appliance, sg->rp->ci.id, custodian, pk,
	    sg->txt_sha, sg->json_sha);
	return KR_OK;
}

static int
rp_sign_all(struct rp_sign *sg, const struct kr_cer_report_req *req,
    struct kr_err *err)
{
	struct kr_transcript_sig	 one;
	struct rp_approver		*a;
	size_t				 i;
	int				 ret;

	for (i = 0; i < req->nshares; i++) {
		if ((ret = kr_authority_transcript_sign(sg->rp->app,
		    req->shares[i], req->src, rp_sign_who, sg, &one, err)) !=
		    KR_OK)
			return ret;
		a = rp_approver_find(&sg->rp->ap, one.custodian);
		sg->sigs[a - sg->rp->ap.a] = one;
		sg->have[a - sg->rp->ap.a] = true;
	}
	for (i = 0; i < sg->rp->ap.n; i++)
		if (!sg->have[i])
			return kr_err_set(err, KR_EREFUSED, "custodian '%s' "
			    "did not sign the transcript; nothing was written",
			    sg->rp->ap.a[i].name);
	return KR_OK;
}

static char *
rp_signatures_json(const struct rp_sign *sg)
{
	struct kr_json	 j, o;
	struct kr_buf	 arr;
	uint8_t		 d[32];
	size_t		 i;
	char		*out;

	kr_buf_init(&arr, false);
	for (i = 0; i < sg->rp->ap.n; i++) {
		if (kr_hash(KR_HASH_SHA256, sg->sigs[i].pk, 32, d) != KR_OK)
			arr.failed = true;
		kr_json_begin(&o);
		kr_json_str(&o, "custodian", sg->sigs[i].custodian);
		kr_json_hex(&o, "approval_pk", sg->sigs[i].pk, 32);
		kr_json_hex(&o, "approval_pk_sha256", d, 32);
		kr_json_hex(&o, "sig", sg->sigs[i].sig, 64);
		kr_json_list_add(&arr, &o);
	}
	kr_json_begin(&j);
	kr_json_str(&j, "format", KR_CER_TRANSCRIPT);
	kr_json_str(&j, "appliance", sg->rp->appliance);
	kr_json_str(&j, "ceremony", sg->rp->ci.id);
	kr_json_hex(&j, "report_txt_sha256", sg->txt_sha, 32);
	kr_json_hex(&j, "report_json_sha256", sg->json_sha, 32);
	kr_json_raw(&j, "signatures", kr_json_list_end(&arr));
	out = kr_json_end(&j) != NULL ? strdup((char *)j.b.p) : NULL;
	kr_json_free(&j);
	kr_buf_free(&arr);
	return out;
}

static int
rp_sign_write(struct rp *rp, const struct kr_cer_report_req *req,
    struct kr_cer_report_result *res, struct kr_err *err)
{
	struct kr_transcript_file	 f[3];
	struct rp_sign			 sg;
	const char			*json = (const char *)rp->json.b.p;
	char				*sigs = NULL;
	size_t				 i;
	int				 ret;

	memset(&sg, 0, sizeof(sg));
	sg.rp = rp;
	if ((sg.sigs = calloc(KR_CER_SIGNERS_MAX, sizeof(*sg.sigs))) == NULL ||
	    (sg.have = calloc(KR_CER_SIGNERS_MAX, sizeof(*sg.have))) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = kr_hash(KR_HASH_SHA256, rp->txt.p, rp->txt.len,
	    sg.txt_sha)) != KR_OK || (ret = kr_hash(KR_HASH_SHA256, json,
	    strlen(json), sg.json_sha)) != KR_OK) {
		ret = kr_err_set(err, KR_ECRYPTO, "cannot hash the transcript");
		goto out;
	}
	if ((ret = rp_sign_all(&sg, req, err)) != KR_OK)
		goto out;
	if ((sigs = rp_signatures_json(&sg)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	f[0] = (struct kr_transcript_file){ "report.txt", rp->txt.p,
	    rp->txt.len };
	f[1] = (struct kr_transcript_file){ "report.json", json,
	    strlen(json) };
	f[2] = (struct kr_transcript_file){ "signatures.json", sigs,
	    strlen(sigs) };
	if ((ret = kr_authority_transcript_write(rp->app, req->actor, rp->ci.id,
	    req->out_dir, f, 3, &res->seq, err)) != KR_OK)
		goto out;
	memcpy(res->txt_sha256, sg.txt_sha, 32);
	memcpy(res->json_sha256, sg.json_sha, 32);
	for (i = 0; i < rp->ap.n; i++) {
		(void)snprintf(res->signers[i].custodian,
		    sizeof(res->signers[i].custodian), "%s", rp->ap.a[i].name);
		kr_approval_fingerprint(sg.sigs[i].pk, res->signers[i].fp);
		res->signers[i].good = true;
	}
	res->nsigners = rp->ap.n;
out:
	free(sigs);
	free(sg.sigs);
	free(sg.have);
	return ret;
}

/*
 * The output folder checked before any custodian is asked: the sizes of
 * report.txt and report.json, and a bound on signatures.json's.
 */
static int
rp_out_check(struct rp *rp, const char *dir, struct kr_err *err)
{
	static const char *const names[] = {
		"report.txt", "report.json", "signatures.json"
	};
	uint64_t	sizes[3];

	sizes[0] = rp->txt.len;
	sizes[1] = strlen((const char *)rp->json.b.p);
	sizes[2] = 1024 + (uint64_t)rp->ap.n * 1024;
	return kr_authority_transcript_check(rp->app, dir, names, sizes, 3,
	    err);
}

int
kr_cer_report(struct kr_appliance *app, const struct kr_cer_report_req *req,
    struct kr_cer_report_result *res, struct kr_err *err)
{
	struct rp	*rp;
	int		 ret;

	memset(res, 0, sizeof(*res));
	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	rp->app = app;
	kr_buf_init(&rp->txt, false);
	kr_json_begin(&rp->json);
	if ((ret = rp_load(rp, req->id, err)) != KR_OK ||
	    (ret = rp_sign_precheck(rp, req->shares, req->nshares, err)) !=
	    KR_OK)
		goto out;
	kr_json_free(&rp->json);
	if ((ret = rp_json(rp, err)) != KR_OK ||
	    (ret = rp_text(rp, err)) != KR_OK ||
	    (ret = rp_out_check(rp, req->out_dir, err)) != KR_OK ||
	    (ret = rp_sign_write(rp, req, res, err)) != KR_OK)
		goto out;
	(void)snprintf(res->id, sizeof(res->id), "%s", rp->ci.id);
	res->rows = (int64_t)rp->nrows;
	res->before_seq = rp->before_seq;
	res->after_seq = rp->rows[rp->nrows - 1].seq;
out:
	rp_free(rp);
	free(rp);
	return ret;
}
