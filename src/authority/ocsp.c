/*
 * ocsp presign: an RFC 6960 response for every CA certificate a key
 * issued, signed by that key (the responder is the issuer itself), so a
 * root's intermediates have OCSP status without an online responder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

#define KR_OCSP_MAX	1024
/* A response: a CertID, times, a reason and the signature (RSA-4096). */
#define KR_OCSP_RESPONSE_MAX	2048

struct kr_ocsp_item {
	struct kr_ocsp_fields	f;
	char			serial[2 * KR_SERIAL_MAX + 1];
	uint8_t			*der;
	size_t			 der_len;
	char			 sha256[65];
	char			 path[1024];
};

struct kr_ocsp_run {
	struct kr_appliance		*app;
	const struct kr_ocsp_req	*req;
	struct kr_ocsp_result		*res;
	struct kr_key_rec		 k;
	struct kr_chain			 chain;
	struct kr_ocsp_fields		 tmpl;
	struct kr_ocsp_item		*items;
	size_t				 n;
	int64_t				 now;
	struct kr_err			*err;
	int				 status;
	struct kr_media_plan		 plan;
};

/* Collects the CA certificates the key issued (not its own root). */
static int
kr_ocsp_collect(const struct kr_cert_rec *c, void *arg)
{
	struct kr_ocsp_run		*r = arg;
	struct kr_revocation_rec	 rev;
	struct kr_ocsp_item		*it;
	uint8_t				 serial[KR_SERIAL_MAX];
	size_t				 len;
	int				 ret;

	if (!c->is_ca || memcmp(c->issuer_key_id, r->k.id, KR_STORE_ID_BYTES)
	    != 0 || strcmp(c->kind, "root") == 0)
		return 0;
	if (r->n == KR_OCSP_MAX)
		return kr_err_set(r->err, KR_EREFUSED, "more than %d CA "
		    "certificates: too many to pre-sign at once", KR_OCSP_MAX);
	if (kr_serial_parse(c->serial, serial, &len, r->err) != KR_OK)
		return r->err->code;
	it = &r->items[r->n];
	it->f = r->tmpl;
	memcpy(it->f.serial, serial, len);
	it->f.serial_len = len;
	(void)snprintf(it->serial, sizeof(it->serial), "%s", c->serial);
	ret = kr_store_revocation_get(r->app->store, r->k.id, serial, len,
	    &rev, r->err);
	if (ret == KR_OK && rev.lifted_at == 0) {
		it->f.status = KR_OCSP_REVOKED;
		it->f.revoked_at = rev.revoked_at;
		it->f.reason = (enum kr_reason)rev.reason;
		r->res->revoked++;
	} else if (ret == KR_OK || ret == KR_ENOENT) {
		it->f.status = KR_OCSP_GOOD;
		it->f.reason = KR_REASON_NONE;
		r->res->good++;
	} else {
		return ret;
	}
	r->n++;
	return 0;
}

/* Every response's file, checked before the quorum is asked. */
static int
kr_ocsp_check_out(struct kr_ocsp_run *r, struct kr_err *err)
{
	struct kr_ocsp_item	*it;
	size_t			 i;
	int			 ret;

	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		(void)snprintf(it->path, sizeof(it->path), "%s/%s.ocsp",
		    r->req->out_dir, it->serial);
		if ((ret = kr_media_plan_add(&r->plan, KR_ART_OCSP_RESPONSE,
		    it->path, KR_OCSP_RESPONSE_MAX, err)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

static int
kr_ocsp_prepare(struct kr_ocsp_run *r, struct kr_err *err)
{
	const struct kr_cert	*ic;
	enum kr_key_alg		 alg;
	unsigned		 days = r->req->valid_days != 0 ?
				    r->req->valid_days : 7;
	int			 ret;

	if (r->req->out_dir == NULL)
		return kr_err_set(err, KR_EUSAGE, "give --out-dir DIR");
	if ((ret = kr_media_plan_init(&r->plan, r->app->dir, err)) != KR_OK ||
	    (ret = kr_media_plan_dir(&r->plan, r->req->out_dir, "the output "
	    "folder", err)) != KR_OK)
		return ret;
	if ((ret = kr_ca_key_load(r->app, r->req->issuer_key, &r->k,
	    err)) != KR_OK ||
	    (ret = kr_key_standing_check(r->app, &r->k, KR_USE_STATUS,
	    err)) != KR_OK ||
	    (ret = kr_chain_for_key(r->app, r->k.name, r->k.spki,
	    r->k.spki_len, r->now, &r->chain, err)) != KR_OK)
		return ret;
	ic = r->chain.certs[0];
	if (kr_key_alg_from_name(r->k.alg, &alg) != KR_OK)
		return kr_err_set(err, KR_ESTATE, "key '%s' has an unknown "
		    "algorithm", r->k.name);
	r->tmpl.sig_alg = kr_sig_alg_default(alg);
	r->tmpl.produced_at = r->now;
	r->tmpl.this_update = r->now;
	r->tmpl.next_update = r->now + (int64_t)days * 86400;
	if (r->tmpl.next_update > ic->f.not_after)
		return kr_err_set(err, KR_EREFUSED, "responses valid %u days "
		    "would outlive the issuer certificate: use fewer "
		    "--valid-days", days);
	kr_time_format(r->tmpl.next_update, r->res->next_update);
	if ((ret = kr_ocsp_certid(ic, &r->tmpl, err)) != KR_OK)
		return ret;
	/* byKey: the issuer is the responder, so the same key hash. */
	memcpy(r->tmpl.responder_key_hash, r->tmpl.issuer_key_hash, 20);
	if ((r->items = calloc(KR_OCSP_MAX, sizeof(*r->items))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	r->err = err;
	if ((ret = kr_store_cert_foreach(r->app->store, kr_ocsp_collect, r,
	    err)) != KR_OK)
		return ret;
	if (r->n == 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has issued no CA "
		    "certificate: there is nothing to pre-sign", r->k.name);
	return kr_ocsp_check_out(r, err);
}

static int
kr_ocsp_sign_one(struct kr_ocsp_run *r, struct kr_signer *s,
    struct kr_ocsp_item *it, struct kr_err *err)
{
	uint8_t	*tbs = NULL, sig[KR_SIG_MAX_BYTES], dig[32];
	size_t	 tbs_len, siglen = sizeof(sig);
	int	 ret;

	if ((ret = kr_ocsp_tbs_build(&it->f, &tbs, &tbs_len, err)) != KR_OK)
		return ret;
	if ((ret = kr_signer_sign(s, it->f.sig_alg, tbs, tbs_len, sig, &siglen,
	    err)) == KR_OK &&
	    kr_sig_verify(it->f.sig_alg, r->k.spki, r->k.spki_len, tbs,
	    tbs_len, sig, siglen, 0, err) != KR_OK)
		ret = kr_err_set(err, KR_EVERIFY, "an OCSP signature key '%s' "
		    "just made does not verify: nothing was recorded",
		    r->k.name);
	if (ret == KR_OK)
		ret = kr_ocsp_assemble(tbs, tbs_len, it->f.sig_alg, sig, siglen,
		    NULL, 0, &it->der, &it->der_len, err);
	free(tbs);
	if (ret != KR_OK)
		return ret;
	if ((ret = kr_hash(KR_HASH_SHA256, it->der, it->der_len, dig)) !=
	    KR_OK)
		return kr_err_set(err, ret, "cannot hash a response");
	kr_hex_encode(it->sha256, dig, sizeof(dig));
	return KR_OK;
}

static int
kr_ocsp_audit(struct kr_ocsp_run *r, struct kr_err *err)
{
	const char	*names[KR_CUSTODIANS_MAX];
	char		 actor[1024];
	struct kr_json	 j;
	size_t		 n;
	int		 ret;

	kr_quorum_approvers(r->res->quorum, names, &n, actor, sizeof(actor));
	kr_json_begin(&j);
	kr_json_str(&j, "issuer_key", r->k.name);
	kr_json_int(&j, "responses", (int64_t)r->n);
	kr_json_int(&j, "good", (int64_t)r->res->good);
	kr_json_int(&j, "revoked", (int64_t)r->res->revoked);
	kr_json_str(&j, "next_update", r->res->next_update);
	kr_json_str_array(&j, "approved_by", names, n);
	kr_approvals_json(&j, r->res->quorum, 0);
	kr_json_str(&j, "operator", r->req->actor);
	ret = kr_audit_record(r->app, actor, "ocsp.presign", kr_json_end(&j),
	    &r->res->audit_seq, err);
	kr_json_free(&j);
	return ret;
}

static int
kr_ocsp_record(struct kr_ocsp_run *r, struct kr_err *err)
{
	struct kr_sigmask	sig;
	struct kr_ocsp_rec	o;
	size_t			i;
	int			ret;

	if ((ret = kr_store_begin(r->app->store, err)) != KR_OK)
		return ret;
	kr_signals_hold(&sig);
	for (i = 0, ret = KR_OK; i < r->n && ret == KR_OK; i++) {
		memset(&o, 0, sizeof(o));
		memcpy(o.issuer_key_id, r->k.id, sizeof(o.issuer_key_id));
		(void)snprintf(o.serial, sizeof(o.serial), "%s",
		    r->items[i].serial);
		(void)snprintf(o.status, sizeof(o.status), "%s",
		    r->items[i].f.status == KR_OCSP_GOOD ? "good" : "revoked");
		o.this_update = r->tmpl.this_update;
		o.next_update = r->tmpl.next_update;
		(void)snprintf(o.sha256, sizeof(o.sha256), "%s",
		    r->items[i].sha256);
		o.der = r->items[i].der;
		o.der_len = r->items[i].der_len;
		o.created = r->now;
		ret = kr_store_ocsp_insert(r->app->store, &o, err);
	}
	if (ret != KR_OK || (ret = kr_ocsp_audit(r, err)) != KR_OK ||
	    (ret = kr_store_commit(r->app->store, err)) != KR_OK) {
		kr_store_rollback(r->app->store);
		kr_signals_release(&sig);
		return ret;
	}
	for (i = 0; i < r->n && ret == KR_OK; i++)
		ret = kr_media_write(KR_ART_OCSP_RESPONSE, r->items[i].path,
		    r->items[i].der, r->items[i].der_len, KR_FILE_NOREPLACE,
		    err);
	kr_signals_release(&sig);
	if (ret != KR_OK)
		(void)kr_out_failed(err, "the %zu OCSP responses of '%s' were "
		    "signed and recorded (audit entry %lld), but response %zu "
		    "of %zu was not written. Responses are not written again "
		    "from the records: when the folder is fixed, pre-sign fresh "
		    "ones with `keyrite -C %s ocsp presign --issuer-key %s "
		    "--out-dir DIR`.", r->n, r->k.name,
		    (long long)r->res->audit_seq, i, r->n, r->app->dir,
		    r->k.name);
	return ret;
}

/*
 * What the custodians approve: the responses prepared (a response's
 * bytes carry its signing time and are made after the unlock), as the
 * SHA-256 of one line per response, in order, holding what the summary
 * showed: "SERIAL good THISUPDATE NEXTUPDATE\n" or "SERIAL revoked
 * REVOKEDAT REASON THISUPDATE NEXTUPDATE\n" (Unix times and the RFC 5280
 * reason code in decimal; -1: no reason).
 */
static int
kr_ocsp_subject(const struct kr_ocsp_run *r, uint8_t *digest,
    struct kr_err *err)
{
	const struct kr_ocsp_fields	*f;
	struct kr_hash			 h;
	char				 line[2 * KR_SERIAL_MAX + 128];
	size_t				 i;
	int				 n;

	if (kr_hash_init(&h, KR_HASH_SHA256) != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "cannot hash the responses");
	for (i = 0; i < r->n; i++) {
		f = &r->items[i].f;
		if (f->status == KR_OCSP_GOOD)
			n = snprintf(line, sizeof(line), "%s good %lld %lld\n",
			    r->items[i].serial, (long long)f->this_update,
			    (long long)f->next_update);
		else
			n = snprintf(line, sizeof(line), "%s revoked %lld %d "
			    "%lld %lld\n", r->items[i].serial,
			    (long long)f->revoked_at, (int)f->reason,
			    (long long)f->this_update,
			    (long long)f->next_update);
		kr_hash_update(&h, line, (size_t)n);
	}
	kr_hash_final(&h, digest);
	return KR_OK;
}

/* See, then approve: each response's certificate and status. */
static int
kr_ocsp_confirm(struct kr_ocsp_run *r, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	struct kr_preview	 pv;
	const struct kr_ocsp_item *it;
	char			 hex[KR_HEX_COLONS_BYTES(KR_SERIAL_MAX, 0)];
	char			 a[KR_TIME_STR_BYTES], b[KR_TIME_STR_BYTES];
	size_t			 i;
	int			 ret;

	kr_preview_init(&pv, "%zu OCSP response%s to be signed by key '%s'",
	    r->n, r->n == 1 ? "" : "s", r->k.name);
	kr_time_format(r->tmpl.this_update, a);
	kr_time_format(r->tmpl.next_update, b);
	kr_preview_text(&pv, "this update", "%s", a);
	kr_preview_text(&pv, "next update", "%s", b);
	kr_preview_text(&pv, "signed with", "key '%s' (%s), %s", r->k.name,
	    r->k.alg, kr_sig_alg_name(r->tmpl.sig_alg));
	kr_preview_text(&pv, "responses", "%zu good, %zu revoked",
	    r->res->good, r->res->revoked);
	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		(void)kr_hex_colons(hex, sizeof(hex), it->f.serial,
		    it->f.serial_len, 0, "");
		if (it->f.status == KR_OCSP_GOOD) {
			kr_preview_text(&pv, "certificate", "%s  good", hex);
			continue;
		}
		kr_time_format(it->f.revoked_at, a);
		kr_preview_text(&pv, "certificate", "%s  revoked (%s) at %s",
		    hex, kr_reason_name(it->f.reason), a);
	}
	ret = kr_preview_confirm(src, &pv, true, err);
	kr_preview_free(&pv);
	return ret;
}

int
kr_authority_ocsp_presign(struct kr_appliance *app,
    const struct kr_ocsp_req *req, const struct kr_passphrase_source *src,
    const struct kr_notice_sink *notice, struct kr_ocsp_result *res,
    struct kr_err *err)
{
	struct kr_approval_subject	 sub = { .op = "ocsp.presign", .n = 1 };
	struct kr_signer	*s = NULL;
	struct kr_ocsp_run	*r;
	uint8_t			 dig[32];
	size_t			 i;
	int			 ret;

	(void)notice;
	sub.digests = dig;
	memset(res, 0, sizeof(*res));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	r->app = app;
	r->req = req;
	r->res = res;
	r->now = kr_time_now();
	if ((ret = kr_ocsp_prepare(r, err)) != KR_OK ||
	    (ret = kr_ocsp_subject(r, dig, err)) != KR_OK ||
	    (ret = kr_ocsp_confirm(r, src, err)) != KR_OK)
		goto out;
	if ((ret = kr_authority_unlock_report(app, r->k.name, req->shares,
	    req->nshares, src, &sub, &res->quorum, &s, err)) != KR_OK)
		goto out;
	if ((ret = kr_signer_require_purpose(s, KR_PURPOSE_CA, err)) == KR_OK)
		for (i = 0; i < r->n && ret == KR_OK; i++)
			ret = kr_ocsp_sign_one(r, s, &r->items[i], err);
	kr_signer_free(&s);
	if (ret == KR_OK)
		ret = kr_ocsp_record(r, err);
out:
	for (i = 0; r->items != NULL && i < r->n; i++)
		free(r->items[i].der);
	free(r->items);
	kr_chain_free(&r->chain);
	free(r);
	return ret;
}

void
kr_ocsp_result_free(struct kr_ocsp_result *res)
{
	if (res != NULL)
		kr_quorum_report_free(&res->quorum);
}
