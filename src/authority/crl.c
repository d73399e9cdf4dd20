/*
 * crl publish: the next CRL of an issuer, streamed from the records.
 *
 * issuer certificate -> CRL policy -> dates (nextUpdate never past the
 * issuer's notAfter) -> number (strictly above every earlier one) ->
 * continuity with the previous CRL (records or --previous, signature
 * checked first) -> build streaming from SQLite, every revocation of the
 * issuer proven against the audit chain as it passes -> quorum unlock ->
 * sign -> verify -> record (CRL row + audit row) -> write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authority_int.h"

#define KR_MISSING_SHOWN	8
#define KR_NEW_SHOWN		100	/* new entries listed before approval */

struct kr_crl_pub {
	struct kr_appliance		*app;
	const struct kr_crl_req		*req;	/* &own, with a request's */
	struct kr_crl_req		 own;	/* issuer and kind */
	struct kr_crl_result		*res;
	const struct kr_notice_sink	*notice;
	struct kr_key_rec		 k;
	struct kr_chain			 chain;
	struct kr_crl_policy		 policy;
	struct kr_crl_fields		 f;
	struct kr_crl_rec		 last;		/* newest recorded, any */
	bool				 has_last;
	struct kr_crl_rec		 base;		/* newest recorded base */
	bool				 has_base;
	int64_t				 max_rev_id;
	int64_t				 now;
	int64_t				 at;	/* what the CRL speaks for */
	struct kr_crl_request		 rq;	/* --request FILE */
	bool				 has_rq;
	struct kr_crl_builder		 b;
	struct kr_slice			 crl;
	struct kr_rev_iter		*it;
	/* Hashed on a second thread: the TBS while the summary is read,
	 * the CRL while its recorded copy is written. */
	struct kr_hash_job		*tbs_job;
	uint8_t				 tbs_sha256[32];
	struct kr_hash_job		*crl_job;
	struct kr_media_bg		*out;		/* the released file */
	char				*pem;
	struct kr_preview		 pv;		/* see, then approve */
	size_t				 pv_list;	/* its first new entry */
	size_t				 lifted;	/* removeFromCRL entries */
};

static int	kr_crl_request_check(struct kr_crl_pub *, struct kr_err *);

static void
kr_crl_say(const struct kr_crl_pub *p, const char *msg)
{
	if (p->notice != NULL && p->notice->notice != NULL)
		p->notice->notice(p->notice->ctx, msg);
}

static void
kr_crl_number_set(uint8_t *out, size_t *len, int64_t n)
{
	uint8_t	tmp[9];
	size_t	i = sizeof(tmp);

	do {
		tmp[--i] = (uint8_t)(n & 0xff);
		n >>= 8;
	} while (n > 0);
	if ((tmp[i] & 0x80) != 0)
		tmp[--i] = 0;
	*len = sizeof(tmp) - i;
	memcpy(out, tmp + i, *len);
}

static int
kr_crl_number_get(const uint8_t *p, size_t len, int64_t *out)
{
	int64_t	n = 0;
	size_t	i;

	if (len == 0 || len > 8 || (len == 8 && (p[0] & 0x80) != 0))
		return KR_EINPUT;
	for (i = 0; i < len; i++)
		n = (n << 8) | p[i];
	*out = n;
	return KR_OK;
}

static int
kr_crl_load(struct kr_crl_pub *p, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_ca_key_load(p->app, p->req->issuer_key, &p->k, err)) !=
	    KR_OK ||
	    (ret = kr_key_standing_check(p->app, &p->k, KR_USE_STATUS, err)) !=
	    KR_OK)
		return ret;
	if ((ret = kr_chain_for_key(p->app, p->k.name, p->k.spki,
	    p->k.spki_len, p->now, &p->chain, err)) != KR_OK)
		return ret;
	if ((ret = kr_appliance_crl_policy(p->app, &p->policy, err)) != KR_OK)
		return ret;
	if ((ret = kr_crl_request_check(p, err)) != KR_OK)
		return ret;
	ret = kr_store_crl_last(p->app->store, p->k.id, false, &p->last, err);
	if (ret == KR_OK)
		p->has_last = true;
	else if (ret != KR_ENOENT)
		return ret;
	ret = kr_store_crl_last(p->app->store, p->k.id, true, &p->base, err);
	if (ret == KR_OK)
		p->has_base = true;
	else if (ret != KR_ENOENT)
		return ret;
	return kr_store_revocation_max_id(p->app->store, p->k.id,
	    &p->max_rev_id, err);
}

static int
kr_crl_dates(struct kr_crl_pub *p, struct kr_err *err)
{
	const struct kr_cert	*ic = p->chain.certs[0];
	unsigned		 days;
	char			 a[KR_TIME_STR_BYTES], b[KR_TIME_STR_BYTES];

	days = p->req->next_update_days != 0 ? p->req->next_update_days :
	    p->req->delta ? p->policy.delta_next_update_days :
	    p->policy.next_update_days;
	p->f.this_update = p->at;
	p->f.next_update = p->at + (int64_t)days * 86400;
	if (p->has_rq)
		p->f.next_update = p->rq.next_update;
	if (p->f.next_update > ic->f.not_after) {
		kr_time_format(p->f.next_update, a);
		kr_time_format(ic->f.not_after, b);
		return kr_err_set(err, KR_EREFUSED, "a nextUpdate of %s would "
		    "be after the issuer certificate's notAfter (%s): publish "
		    "with fewer --next-update-days, and plan the issuer's "
		    "renewal", a, b);
	}
	kr_time_format(p->f.this_update, p->res->this_update);
	kr_time_format(p->f.next_update, p->res->next_update);
	return KR_OK;
}

/* Continuity: each entry of the previous CRL not expired is still listed. */
struct kr_continuity {
	struct kr_crl_pub	*p;
	struct kr_rev_lookup	*lk;
	size_t			 missing;
	char			 shown[KR_MISSING_SHOWN * 44];
	int			 status;
	struct kr_err		*err;
};

static int
kr_continuity_entry(const struct kr_crl_entry *e, void *arg)
{
	struct kr_continuity		*c = arg;
	struct kr_revocation_rec	 r;
	char				 hex[2 * KR_SERIAL_MAX + 1];
	int				 found;

	found = kr_store_rev_lookup_find(c->lk, e->serial, e->serial_len, &r,
	    c->err);
	if (found < 0) {
		c->status = found;
		return found;
	}
	if (found == 1 && (r.lifted_at == 0 || r.reason ==
	    KR_REASON_CERTIFICATE_HOLD) && (r.lifted_at == 0 ||
	    e->reason == KR_REASON_CERTIFICATE_HOLD))
		return 0;
	if (found == 1 && r.expires < c->p->at)
		return 0;
	if (c->missing++ < KR_MISSING_SHOWN) {
		kr_hex_encode(hex, e->serial, e->serial_len);
		(void)strcat(c->shown, c->shown[0] != '\0' ? ", " : "");
		(void)strcat(c->shown, hex);
	}
	return 0;
}

static int
kr_crl_continuity_run(struct kr_crl_pub *p, const char *what,
    const uint8_t *der, size_t len, struct kr_crl_info *info,
    struct kr_err *err)
{
	struct kr_continuity	c;
	int			ret;

	uint8_t			*decoded = NULL;

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.err = err;
	if ((ret = kr_store_rev_lookup_open(p->app->store, p->k.id, &c.lk,
	    err)) != KR_OK)
		return ret;
	kr_crl_say(p, "checking continuity with the previous CRL");
	ret = kr_crl_parse(what, der, len, info, &decoded, kr_continuity_entry,
	    &c, err);
	free(decoded);
	kr_store_rev_lookup_close(&c.lk);
	if (ret != KR_OK)
		return c.status != KR_OK ? c.status : ret;
	if (c.missing > 0)
		return kr_err_set(err, KR_EREFUSED, "the new CRL would drop %zu "
		    "serial%s that %s lists and whose certificates have not "
		    "expired: %s%s. Nothing was signed: the revocation records "
		    "are incomplete (import them first)", c.missing,
		    c.missing == 1 ? "" : "s", what, c.shown,
		    c.missing > KR_MISSING_SHOWN ? ", ..." : "");
	return KR_OK;
}

/* The recorded copy of a CRL, checked against its recorded SHA-256. */
int
kr_crl_copy_read(struct kr_appliance *app, const char *issuer,
    const struct kr_crl_rec *c, uint8_t **der, size_t *len,
    struct kr_err *err)
{
	uint8_t	 dig[32];
	char	*path, hex[65];
	int	 ret;

	if ((path = kr_appliance_path(app, c->location)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_file_read(path, KR_CRL_FILE_MAX, false, der, len, err);
	if (ret == KR_OK && (ret = kr_hash(KR_HASH_SHA256, *der, *len, dig)) ==
	    KR_OK) {
		kr_hex_encode(hex, dig, sizeof(dig));
		if (strcmp(hex, c->sha256) != 0)
			ret = kr_err_set(err, KR_EVERIFY, "%s, the recorded copy "
			    "of CRL %lld of '%s', does not have the SHA-256 "
			    "recorded for it: it was altered or damaged", path,
			    (long long)c->number, issuer);
	}
	if (ret != KR_OK) {
		free(*der);
		*der = NULL;
	}
	free(path);
	return ret;
}

/*
 * Lockstep check of a CRL keyrite built from its records: its entries
 * were written in row order, so one sequential pass over the rows finds
 * each entry's row; an entry with no row means records were altered.
 */
struct kr_lockstep {
	struct kr_rev_iter	*it;
	size_t			 missing;
	char			 shown[KR_MISSING_SHOWN * 44];
	int			 status;
	struct kr_err		*err;
};

static int
kr_lockstep_entry(const struct kr_crl_entry *e, void *arg)
{
	struct kr_lockstep		*ls = arg;
	struct kr_revocation_rec	 r;
	char				 hex[2 * KR_SERIAL_MAX + 1];
	int				 got;

	while ((got = kr_store_rev_iter_next(ls->it, &r, ls->err)) == 1)
		if (r.serial_len == e->serial_len &&
		    memcmp(r.serial, e->serial, e->serial_len) == 0)
			return 0;
	if (got < 0) {
		ls->status = got;
		return got;
	}
	if (ls->missing++ < KR_MISSING_SHOWN) {
		kr_hex_encode(hex, e->serial, e->serial_len);
		(void)strcat(ls->shown, ls->shown[0] != '\0' ? ", " : "");
		(void)strcat(ls->shown, hex);
	}
	/* The cursor is spent: every later entry is missing as well. */
	return 0;
}

/* The recorded previous base CRL, re-read entry by entry. */
static int
kr_crl_continuity_records(struct kr_crl_pub *p, struct kr_err *err)
{
	struct kr_crl_info	 info;
	struct kr_lockstep	 ls;
	uint8_t			*der = NULL;
	char			 what[64];
	size_t			 len;
	int64_t			 rows;
	int			 ret;

	if (!p->has_base)
		return KR_OK;
	if ((ret = kr_store_revocation_count(p->app->store, p->k.id,
	    p->base.max_revocation_id, &rows, err)) != KR_OK)
		return ret;
	if (rows < p->base.entries)
		return kr_err_set(err, KR_EREFUSED, "CRL %lld listed %lld "
		    "entries but only %lld revocation records remain from its "
		    "time: records were removed from the database; nothing was "
		    "signed", (long long)p->base.number,
		    (long long)p->base.entries, (long long)rows);
	if ((ret = kr_crl_copy_read(p->app, p->k.name, &p->base, &der, &len,
	    err)) != KR_OK)
		return kr_err_prefix(err, "nothing was signed: ");
	(void)snprintf(what, sizeof(what), "CRL %lld", (long long)p->base.number);
	memset(&ls, 0, sizeof(ls));
	ls.err = err;
	kr_crl_say(p, "checking continuity with the previous CRL");
	if ((ret = kr_store_rev_iter_rows(p->app->store, p->k.id,
	    p->base.max_revocation_id, &ls.it, err)) == KR_OK) {
		ret = kr_crl_parse(what, der, len, &info, NULL,
		    kr_lockstep_entry, &ls, err);
		kr_store_rev_iter_close(&ls.it);
	}
	free(der);
	if (ret != KR_OK)
		return ls.status != KR_OK ? ls.status : ret;
	if (ls.missing > 0)
		return kr_err_set(err, KR_EREFUSED, "%s lists %zu serial%s that "
		    "the revocation records no longer hold: %s%s. The database "
		    "was altered; nothing was signed", what, ls.missing,
		    ls.missing == 1 ? "" : "s", ls.shown,
		    ls.missing > KR_MISSING_SHOWN ? ", ..." : "");
	return KR_OK;
}

/* A CRL made elsewhere: signature, issuer and number first. */
static int
kr_crl_continuity_file(struct kr_crl_pub *p, int64_t *prev_number,
    struct kr_err *err)
{
	const struct kr_cert	*ic = p->chain.certs[0];
	struct kr_crl_info	 info;
	uint8_t			*data = NULL, *der = NULL;
	size_t			 len;
	int			 ret;

	*prev_number = 0;
	if ((ret = kr_file_read(p->req->previous_path, KR_CRL_FILE_MAX, false,
	    &data, &len, err)) != KR_OK)
		return ret;
	if ((ret = kr_crl_parse(p->req->previous_path, data, len, &info, &der,
	    NULL, NULL, err)) != KR_OK)
		goto out;
	if (info.issuer_len != ic->f.subject_len ||
	    memcmp(info.issuer, ic->f.subject, info.issuer_len) != 0) {
		ret = kr_err_set(err, KR_EREFUSED, "%s was issued by another "
		    "CA (its issuer name is not the subject of '%s''s "
		    "certificate)", p->req->previous_path, p->k.name);
		goto out;
	}
	if ((ret = kr_crl_verify_signature(&info, p->k.spki, p->k.spki_len,
	    err)) != KR_OK) {
		(void)kr_err_prefix(err, "%s: ", p->req->previous_path);
		goto out;
	}
	if (!info.has_number || info.is_delta ||
	    kr_crl_number_get(info.number, info.number_len, prev_number) !=
	    KR_OK) {
		ret = kr_err_set(err, KR_EINPUT, "%s %s: give the last base CRL",
		    p->req->previous_path, info.is_delta ? "is a delta CRL" :
		    "has no usable CRL number");
		goto out;
	}
	if (p->has_last && *prev_number >= p->last.number + 1) {
		ret = kr_err_set(err, KR_EREFUSED, "%s has CRL number %lld, not "
		    "lower than the next number of this appliance (%lld): it "
		    "is not a previous CRL of this series",
		    p->req->previous_path, (long long)*prev_number,
		    (long long)p->last.number + 1);
		goto out;
	}
	ret = kr_crl_continuity_run(p, p->req->previous_path, data, len,
	    &info, err);
out:
	free(der);
	free(data);
	return ret;
}

static int
kr_crl_fields(struct kr_crl_pub *p, int64_t prev_number, struct kr_err *err)
{
	const struct kr_cert	*ic = p->chain.certs[0];
	struct kr_crl_fields	*f = &p->f;
	enum kr_key_alg		 alg;
	int64_t			 n, copies;
	int			 ret;

	if (kr_key_alg_from_name(p->k.alg, &alg) != KR_OK)
		return kr_err_set(err, KR_ESTATE, "key '%s' has an unknown "
		    "algorithm", p->k.name);
	f->sig_alg = kr_sig_alg_default(alg);
	memcpy(f->issuer, ic->f.subject, ic->f.subject_len);
	f->issuer_len = ic->f.subject_len;
	if (ic->f.has_ski) {
		memcpy(f->aki, ic->f.ski, ic->f.ski_len);
		f->aki_len = ic->f.ski_len;
	}
	/*
	 * Above every number this issuer ever used: the newest row, the
	 * --previous CRL, and the chain (rows deleted behind keyrite's back
	 * do not make a number free again).
	 */
	if ((ret = kr_store_crl_number_bound(p->app->store, p->k.id, &n,
	    err)) != KR_OK ||
	    (ret = kr_crl_copies_max(p->app, p->k.name, p->k.id, &copies)) !=
	    KR_OK)
		return ret;
	if (copies > n)
		n = copies;	/* a copy with no record is never reused */
	if (p->has_last && p->last.number > n)
		n = p->last.number;
	if (prev_number > n)
		n = prev_number;
	p->res->number = n + 1;
	if (p->has_rq && p->rq.number != n + 1)
		return kr_err_set(err, KR_EREFUSED, "%s prepared CRL number "
		    "%lld, and the next number of '%s' is now %lld (a CRL was "
		    "published since): nothing was signed; prepare it again",
		    p->req->request, (long long)p->rq.number, p->k.name,
		    (long long)(n + 1));
	kr_crl_number_set(f->number, &f->number_len, n + 1);
	if (p->req->delta) {
		if (!p->has_base)
			return kr_err_set(err, KR_EREFUSED, "a delta CRL needs a "
			    "base CRL of '%s' first: publish one without "
			    "--delta", p->k.name);
		f->is_delta = true;
		kr_crl_number_set(f->base_number, &f->base_number_len,
		    p->base.number);
		p->res->base_number = p->base.number;
	}
	return kr_crl_scope(p->app, &p->k, &p->policy, p->chain.len, p->at,
	    p->req->delta ? &p->base : NULL, f, err);
}

/* A new entry: counted, and the first KR_NEW_SHOWN listed for approval. */
static void
kr_crl_preview_new(struct kr_crl_pub *p, const struct kr_crl_entry *e)
{
	char	hex[KR_HEX_COLONS_BYTES(KR_SERIAL_MAX, 0)];
	char	when[KR_TIME_STR_BYTES];

	if (p->res->new_entries++ >= KR_NEW_SHOWN)
		return;
	(void)kr_hex_colons(hex, sizeof(hex), e->serial, e->serial_len, 0, "");
	kr_time_format(e->revoked_at, when);
	kr_preview_text(&p->pv, "new entry", "%s  %s, %s", hex,
	    kr_reason_name(e->reason), when);
}

/* A delta's removeFromCRL entry: a hold lifted since the base. */
static void
kr_crl_preview_lifted(struct kr_crl_pub *p, const struct kr_crl_entry *e)
{
	char	hex[KR_HEX_COLONS_BYTES(KR_SERIAL_MAX, 0)];

	if (p->lifted++ >= KR_NEW_SHOWN)
		return;
	(void)kr_hex_colons(hex, sizeof(hex), e->serial, e->serial_len, 0, "");
	kr_preview_text(&p->pv, "removed entry", "%s  removeFromCRL (its hold "
	    "was lifted)", hex);
}

/*
 * One entry of the build.  The iterator's thread holds the store until
 * the last row: this uses nothing of it.
 */
static int
kr_crl_next_entry(void *arg, struct kr_crl_entry *e, struct kr_err *err)
{
	struct kr_crl_pub		*p = arg;
	struct kr_revocation_rec	 r;
	int				 ret;

	if ((ret = kr_store_rev_iter_next(p->it, &r, err)) <= 0)
		return ret;
	memcpy(e->serial, r.serial, r.serial_len);
	e->serial_len = r.serial_len;
	e->revoked_at = r.revoked_at;
	e->reason = (enum kr_reason)r.reason;
	e->invalidity = r.invalidity;
	if (e->reason == KR_REASON_REMOVE_FROM_CRL)
		kr_crl_preview_lifted(p, e);
	else if (!p->has_base || r.id > p->base.max_revocation_id)
		kr_crl_preview_new(p, e);
	p->res->entries++;
	return 1;
}

static int
kr_crl_build(struct kr_crl_pub *p, struct kr_err *err)
{
	int64_t	hint;
	int	ret;

	if ((ret = kr_store_rev_iter_open(p->app->store, p->k.id, p->at,
	    p->req->delta ? p->base.max_revocation_id : 0,
	    p->req->delta ? p->base.this_update : 0, &p->it, err)) != KR_OK)
		return ret;
	/* A delta over a base with no revocations yet still works. */
	if (p->req->delta && p->base.max_revocation_id == 0) {
		kr_store_rev_iter_close(&p->it);
		if ((ret = kr_store_rev_iter_open(p->app->store, p->k.id,
		    p->at, 0, 0, &p->it, err)) != KR_OK)
			return ret;
	}
	p->res->entries = 0;
	p->res->new_entries = 0;
	/* Row ids bound the number of entries from above. */
	hint = p->max_rev_id;
	p->f.entries_hint = (size_t)hint;
	ret = kr_crl_tbs_build(&p->f, kr_crl_next_entry, p, &p->b, err);
	kr_store_rev_iter_close(&p->it);
	return ret;
}

/*
 * The TBS is hashed once: the digest is signed and verified, and the
 * released CRL is parsed again to prove its TBS is those same bytes in
 * place.  (Pure Ed25519 signs and verifies the message itself.)
 */
static int
kr_crl_sign_digest(struct kr_crl_pub *p, struct kr_signer *s, uint8_t *sig,
    size_t *siglen, uint8_t *dig, size_t *diglen, struct kr_err *err)
{
	enum kr_hash_alg	h = kr_sig_alg_hash(p->f.sig_alg);
	int			ret;

	if (h == 0) {
		*diglen = 0;
		if ((ret = kr_signer_sign(s, p->f.sig_alg, p->b.tbs.p,
		    p->b.tbs.len, sig, siglen, err)) != KR_OK)
			return ret;
		return kr_sig_verify(p->f.sig_alg, p->k.spki, p->k.spki_len,
		    p->b.tbs.p, p->b.tbs.len, sig, *siglen, 0, err);
	}
	*diglen = kr_hash_len(h);
	if (h == KR_HASH_SHA256)
		memcpy(dig, p->tbs_sha256, 32);
	else if ((ret = kr_hash(h, p->b.tbs.p, p->b.tbs.len, dig)) != KR_OK)
		return kr_err_set(err, ret, "cannot hash the CRL");
	if ((ret = kr_signer_sign_digest(s, p->f.sig_alg, dig, *diglen, sig,
	    siglen, err)) != KR_OK)
		return ret;
	return kr_sig_verify_digest(p->f.sig_alg, p->k.spki, p->k.spki_len,
	    dig, *diglen, sig, *siglen, 0, err);
}

static int
kr_crl_sign(struct kr_crl_pub *p, struct kr_signer *s, struct kr_err *err)
{
	struct kr_slice		tbs, rsig;
	enum kr_sig_alg		alg;
	uint8_t			sig[KR_SIG_MAX_BYTES], dig[KR_HASH_MAX_BYTES];
	size_t			siglen = sizeof(sig), diglen;
	int			ret;

	kr_crl_say(p, "signing the CRL");
	if ((ret = kr_signer_require_purpose(s, KR_PURPOSE_CA, err)) != KR_OK)
		return ret;
	if ((ret = kr_crl_sign_digest(p, s, sig, &siglen, dig, &diglen,
	    err)) != KR_OK)
		return ret == KR_EVERIFY ? kr_err_set(err, KR_EVERIFY, "the CRL "
		    "signature key '%s' just made does not verify: nothing was "
		    "recorded; the key store or token is faulty", p->k.name) :
		    ret;
	if ((ret = kr_crl_finish(&p->b, p->f.sig_alg, sig, siglen, &p->crl,
	    err)) != KR_OK)
		return ret;
	/*
	 * Verify after signing, on the bytes that will be released: their
	 * TBS must be the signed bytes, in place, and their signature must
	 * verify over the digest of those bytes.
	 */
	if ((ret = kr_crl_parse_outer(p->crl.p, p->crl.len, &tbs, &alg,
	    &rsig, err)) != KR_OK)
		return ret;
	if (tbs.p != p->b.tbs.p || tbs.len != p->b.tbs.len ||
	    alg != p->f.sig_alg || rsig.len != siglen ||
	    memcmp(rsig.p, sig, siglen) != 0)
		return kr_err_set(err, KR_EINTERNAL, "the released CRL does not "
		    "carry the signed TBS and signature: nothing was recorded");
	if (diglen > 0)
		ret = kr_sig_verify_digest(alg, p->k.spki, p->k.spki_len, dig,
		    diglen, rsig.p, rsig.len, 0, err);
	else
		ret = kr_sig_verify(alg, p->k.spki, p->k.spki_len, tbs.p,
		    tbs.len, rsig.p, rsig.len, 0, err);
	if (ret != KR_OK)
		return ret;
	p->res->der_len = p->crl.len;
	/* Its SHA-256 for the record, while the copy is written. */
	if ((ret = kr_hash_job_start(&p->crl_job, KR_HASH_SHA256, p->crl.p,
	    p->crl.len)) != KR_OK)
		return kr_err_set(err, ret, "cannot hash the CRL");
	return KR_OK;
}

static int
kr_crl_digest(struct kr_crl_pub *p, struct kr_err *err)
{
	uint8_t	fdig[32];
	int	ret;

	if ((ret = kr_hash_job_finish(&p->crl_job, fdig)) != KR_OK)
		return kr_err_set(err, ret, "cannot hash the CRL");
	kr_hex_encode(p->res->sha256, fdig, sizeof(fdig));
	return KR_OK;
}

static int
kr_crl_audit(struct kr_crl_pub *p, struct kr_err *err)
{
	const char	*names[KR_CUSTODIANS_MAX];
	char		 actor[1024];
	struct kr_json	 j;
	size_t		 n;
	int		 ret;

	kr_quorum_approvers(p->res->quorum, names, &n, actor, sizeof(actor));
	kr_json_begin(&j);
	kr_json_str(&j, "issuer_key", p->k.name);
	kr_json_int(&j, "crl_number", p->res->number);
	kr_json_int(&j, "delta_of", p->req->delta ? p->res->base_number : 0);
	kr_json_int(&j, "entries", (int64_t)p->res->entries);
	kr_json_int(&j, "new_entries", (int64_t)p->res->new_entries);
	kr_json_str(&j, "this_update", p->res->this_update);
	kr_json_str(&j, "next_update", p->res->next_update);
	kr_json_str(&j, "crl_sha256", p->res->sha256);
	kr_json_str(&j, "tbs_sha256", p->res->tbs_sha256);
	kr_json_str(&j, "previous", p->req->previous_path != NULL ?
	    p->req->previous_path : "");
	if (p->has_rq)
		kr_json_str(&j, "prepared_request", p->res->request_sha256);
	kr_json_str_array(&j, "approved_by", names, n);
	kr_approvals_json(&j, p->res->quorum, 0);
	kr_json_str(&j, "operator", p->req->actor);
	ret = kr_audit_record(p->app, actor, p->req->delta ? "crl.delta" :
	    "crl.publish", kr_json_end(&j), &p->res->audit_seq, err);
	kr_json_free(&j);
	return ret;
}

/*
 * The released file, written on a second thread while the recorded copy
 * is written and the record committed; it is named after the commit.
 */
static int
kr_crl_release_start(struct kr_crl_pub *p, struct kr_err *err)
{
	const void	*data = p->crl.p;
	size_t		 len = p->crl.len;

	if (p->req->pem) {
		if ((p->pem = kr_pem_encode("X509 CRL", p->crl.p,
		    p->crl.len)) == NULL)
			return kr_err_set(err, KR_ENOMEM, "out of memory");
		data = p->pem;
		len = strlen(p->pem);
	}
	return kr_media_bg_start(&p->out, KR_ART_CRL, p->req->out_path, data,
	    len, KR_FILE_NOREPLACE, err);
}

/* The CRL's row, all but its SHA-256 (hashed while the copy is written). */
static void
kr_crl_row(const struct kr_crl_pub *p, struct kr_crl_rec *c)
{
	char	idhex[17];

	memset(c, 0, sizeof(*c));
	memcpy(c->issuer_key_id, p->k.id, sizeof(c->issuer_key_id));
	kr_hex_encode(idhex, p->k.id, 8);
	(void)snprintf(c->location, sizeof(c->location), "%s/%s-%s-%lld.crl",
	    KR_CRLS_DIR, p->k.name, idhex, (long long)p->res->number);
	c->number = p->res->number;
	c->is_delta = p->req->delta;
	c->base_number = p->res->base_number;
	c->this_update = p->f.this_update;
	c->next_update = p->f.next_update;
	c->entries = (int64_t)p->res->entries;
	c->max_revocation_id = p->req->delta ? p->base.max_revocation_id :
	    p->max_rev_id;
	c->created = p->now;
}

/* The row and its audit row, in one transaction. */
static int
kr_crl_commit(struct kr_crl_pub *p, const struct kr_crl_rec *c,
    struct kr_err *err)
{
	int	ret;

	if ((ret = kr_store_begin(p->app->store, err)) != KR_OK)
		return ret;
	if ((ret = kr_store_crl_insert(p->app->store, c, err)) != KR_OK ||
	    (ret = kr_crl_audit(p, err)) != KR_OK ||
	    (ret = kr_store_commit(p->app->store, err)) != KR_OK) {
		kr_store_rollback(p->app->store);
		return ret;
	}
	return KR_OK;
}

static int
kr_crl_record(struct kr_crl_pub *p, struct kr_err *err)
{
	struct kr_sigmask	sig;
	struct kr_crl_rec	c;
	char			*dir = NULL, *copy = NULL, *tmp = NULL;
	int			ret;

	kr_crl_row(p, &c);
	if ((ret = kr_crl_release_start(p, err)) != KR_OK)
		return ret;
	if ((dir = kr_appliance_path(p->app, KR_CRLS_DIR)) == NULL ||
	    (copy = kr_appliance_path(p->app, c.location)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	/*
	 * The state folder's copy is part of the record: written under a
	 * temporary name before the commit, named after it.  A crash
	 * between leaves a temporary file the next open names (recorded)
	 * or removes (not recorded).
	 */
	if ((ret = kr_mkdir_private(dir, err)) != KR_OK ||
	    (ret = kr_fsync_dir(p->app->dir, err)) != KR_OK ||
	    (ret = kr_file_stage(copy, p->crl.p, p->crl.len, &tmp, err)) !=
	    KR_OK)
		goto out;
	if ((ret = kr_crl_digest(p, err)) != KR_OK) {
		(void)unlink(tmp);
		goto out;
	}
	(void)snprintf(c.sha256, sizeof(c.sha256), "%s", p->res->sha256);
	kr_signals_hold(&sig);
	if ((ret = kr_crl_commit(p, &c, err)) != KR_OK) {
		(void)unlink(tmp);
		kr_signals_release(&sig);
		goto out;
	}
	if ((ret = kr_file_place(tmp, copy, err)) != KR_OK) {
		kr_signals_release(&sig);
		(void)kr_err_prefix(err, "CRL %lld was signed and recorded, but "
		    "its copy in the state folder could not be given its name "
		    "(keyrite finishes this the next time a command that "
		    "changes state opens the state folder); it was not written "
		    "out: ", (long long)p->res->number);
		goto out;
	}
	ret = kr_media_bg_finish(&p->out, true, err);
	kr_signals_release(&sig);
	if (ret != KR_OK)
		(void)kr_out_failed(err, "CRL %lld of '%s' was signed and "
		    "recorded (audit entry %lld; its copy is %s) but not "
		    "written. Write it again with `keyrite -C %s crl show %s "
		    "%lld --out %s%s`.", (long long)p->res->number, p->k.name,
		    (long long)p->res->audit_seq, copy, p->app->dir, p->k.name,
		    (long long)p->res->number, p->req->out_path,
		    p->req->pem ? " --pem" : "");
out:
	free(dir);
	free(copy);
	free(tmp);
	return ret;
}

/*
 * The output, before anything is asked: a bound on the CRL's size (an
 * entry is at most 96 bytes) from a bound on its entries that costs no
 * query: the last base CRL's entries plus every row since, or, before
 * the first CRL, every row id up to the issuer's highest.
 */
static int
kr_crl_check_out(struct kr_crl_pub *p, struct kr_err *err)
{
	uint64_t	size;
	int64_t		rows;

	if (p->req->out_path == NULL)
		return KR_OK;	/* a dry run */
	rows = p->has_base ? p->base.entries + p->max_rev_id -
	    p->base.max_revocation_id : p->max_rev_id;
	size = 4096 + 2 * KR_SIG_MAX_BYTES + (uint64_t)(rows > 0 ? rows : 0) *
	    96;
	return kr_out_check(p->app, KR_ART_CRL, p->req->out_path,
	    p->req->pem ? kr_media_pem_bound(size) : size, err);
}

/* See, then approve: the rows before the new entries the build lists. */
static void
kr_crl_preview_begin(struct kr_crl_pub *p)
{
	char	dn[512];

	kr_preview_init(&p->pv, "%s to be signed by key '%s'", p->req->delta ?
	    "Delta CRL" : "CRL", p->k.name);
	kr_dn_format(p->f.issuer, p->f.issuer_len, dn, sizeof(dn));
	kr_preview_text(&p->pv, "issuer", "%s", dn);
	if (p->req->delta)
		kr_preview_text(&p->pv, "CRL number", "%lld (delta of base "
		    "CRL %lld)", (long long)p->res->number,
		    (long long)p->res->base_number);
	else
		kr_preview_text(&p->pv, "CRL number", "%lld",
		    (long long)p->res->number);
	kr_preview_text(&p->pv, "this update", "%s", p->res->this_update);
	kr_preview_text(&p->pv, "next update", "%s", p->res->next_update);
	kr_preview_text(&p->pv, "signed with", "key '%s' (%s), %s", p->k.name,
	    p->k.alg, kr_sig_alg_name(p->f.sig_alg));
	p->pv_list = p->pv.n;
}

/* The counts, once the build has listed the new entries. */
static void
kr_crl_preview_end(struct kr_crl_pub *p)
{
	size_t	at = p->pv_list;
	int64_t	dropped;

	/* The counts go before the entries listed. */
	kr_preview_text(&p->pv, "entries", "%zu in all, %zu new since %s",
	    p->res->entries, p->res->new_entries, p->has_base ?
	    "the last base CRL" : "the start (no CRL before)");
	kr_preview_move_last(&p->pv, at++);
	if (p->req->delta && p->lifted > 0) {
		kr_preview_text(&p->pv, "", "%zu hold%s lifted since it, listed "
		    "as removeFromCRL", p->lifted, p->lifted == 1 ? "" : "s");
		kr_preview_move_last(&p->pv, at++);
	}
	/* A base drops what the last one listed and no longer holds. */
	dropped = p->has_base && !p->req->delta ? p->base.entries +
	    (int64_t)p->res->new_entries - (int64_t)p->res->entries : 0;
	if (dropped > 0) {
		kr_preview_text(&p->pv, "", "%lld entr%s of base CRL %lld no "
		    "longer listed (holds lifted, certificates expired)",
		    (long long)dropped, dropped == 1 ? "y" : "ies",
		    (long long)p->base.number);
		kr_preview_move_last(&p->pv, at++);
	}
	if (p->res->new_entries > KR_NEW_SHOWN)
		kr_preview_text(&p->pv, "", "(%zu more new entries not listed "
		    "here)", p->res->new_entries - KR_NEW_SHOWN);
}

/* Everything before the quorum: output, dates, continuity, fields, build. */
static int
kr_crl_prepare(struct kr_crl_pub *p, struct kr_err *err)
{
	int64_t	prev_number = 0;
	int	ret;

	if ((ret = kr_crl_check_out(p, err)) != KR_OK ||
	    (ret = kr_crl_dates(p, err)) != KR_OK)
		return ret;
	if (p->req->previous_path != NULL)
		ret = kr_crl_continuity_file(p, &prev_number, err);
	else
		ret = kr_crl_continuity_records(p, err);
	if (ret != KR_OK || (ret = kr_crl_fields(p, prev_number, err)) != KR_OK)
		return ret;
	kr_crl_say(p, "building the CRL from the revocation records");
	kr_crl_preview_begin(p);
	if ((ret = kr_crl_build(p, err)) != KR_OK)
		return ret;
	kr_crl_preview_end(p);
	/*
	 * Its SHA-256 (what the custodians approve, and the signed digest
	 * of a SHA-256 algorithm) is made while the summary is read.
	 */
	if ((ret = kr_hash_job_start(&p->tbs_job, KR_HASH_SHA256, p->b.tbs.p,
	    p->b.tbs.len)) != KR_OK)
		return kr_err_set(err, ret, "cannot hash the CRL");
	return KR_OK;
}

/*
 * --request FILE, read first: it names the issuer and the kind (base or
 * delta) that the command then takes as given.
 */
static int
kr_crl_request_read(struct kr_crl_pub *p, struct kr_err *err)
{
	uint8_t	*data = NULL, dig[32];
	size_t	 len = 0;
	int	 ret;

	if (p->req->request == NULL)
		return KR_OK;
	if ((ret = kr_file_read(p->req->request, KR_REQUEST_FILE_MAX, false,
	    &data, &len, err)) != KR_OK)
		return ret;
	ret = kr_crl_request_parse(p->req->request, data, len, &p->rq, err);
	if (ret == KR_OK && (ret = kr_hash(KR_HASH_SHA256, data, len, dig)) !=
	    KR_OK)
		ret = kr_err_set(err, ret, "cannot hash %s", p->req->request);
	free(data);
	if (ret != KR_OK)
		return ret;
	kr_hex_encode(p->res->request_sha256, dig, sizeof(dig));
	if (p->req->issuer_key != NULL &&
	    strcmp(p->req->issuer_key, p->rq.issuer_key) != 0)
		return kr_err_set(err, KR_EUSAGE, "%s was prepared for key "
		    "'%s', not '%s'", p->req->request, p->rq.issuer_key,
		    p->req->issuer_key);
	p->own = *p->req;
	p->own.issuer_key = p->rq.issuer_key;
	p->own.delta = p->rq.delta;
	p->req = &p->own;
	p->has_rq = true;
	p->at = p->rq.this_update;	/* entries as of then, too */
	return KR_OK;
}

/* The request still fits: same key, same issuer certificate, in time. */
static int
kr_crl_request_check(struct kr_crl_pub *p, struct kr_err *err)
{
	const struct kr_cert	*ic = p->chain.certs[0];
	uint8_t			 dig[32];
	char			 when[KR_TIME_STR_BYTES];
	const char		*file = p->req->request;

	if (!p->has_rq)
		return KR_OK;
	if (memcmp(p->rq.issuer_key_id, p->k.id, sizeof(p->k.id)) != 0)
		return kr_err_set(err, KR_EREFUSED, "%s was prepared for "
		    "another key named '%s' (a key of that name was made "
		    "since): nothing was signed", file, p->k.name);
	if (kr_hash(KR_HASH_SHA256, ic->der, ic->der_len, dig) != KR_OK ||
	    memcmp(dig, p->rq.issuer_cert_sha256, sizeof(dig)) != 0)
		return kr_err_set(err, KR_EREFUSED, "%s was prepared under "
		    "another certificate of '%s' than the one in force now: "
		    "nothing was signed; prepare it again", file, p->k.name);
	if (p->rq.this_update > p->now + KR_REQUEST_SKEW ||
	    p->now - p->rq.this_update > KR_REQUEST_MAX_AGE) {
		kr_time_format(p->rq.this_update, when);
		return kr_err_set(err, KR_EREFUSED, "%s was prepared for "
		    "%s, more than 48 hours from now: nothing was signed; "
		    "prepare it again", file, when);
	}
	return KR_OK;
}

/* The TBS the records give now is the one the request prepared. */
static int
kr_crl_request_same(struct kr_crl_pub *p, struct kr_err *err)
{
	if (!p->has_rq || memcmp(p->tbs_sha256, p->rq.tbs_sha256, 32) == 0)
		return KR_OK;
	return kr_err_set(err, KR_EREFUSED, "the revocation records give "
	    "another CRL than %s prepared (%zu entries now, %zu then): "
	    "revocations were recorded or lifted since. Nothing was signed; "
	    "prepare it again", p->req->request, p->res->entries,
	    p->rq.entries);
}

/* --dry-run --save-request FILE: the CRL as built and shown. */
static int
kr_crl_request_save(struct kr_crl_pub *p, struct kr_err *err)
{
	const struct kr_cert	*ic = p->chain.certs[0];
	struct kr_crl_request	 rq;
	char			*text = NULL;
	size_t			 len = 0;
	int			 ret;

	if (p->req->save_request == NULL)
		return KR_OK;
	memset(&rq, 0, sizeof(rq));
	(void)snprintf(rq.issuer_key, sizeof(rq.issuer_key), "%s", p->k.name);
	memcpy(rq.issuer_key_id, p->k.id, sizeof(rq.issuer_key_id));
	rq.delta = p->req->delta;
	rq.number = p->res->number;
	rq.this_update = p->f.this_update;
	rq.next_update = p->f.next_update;
	rq.entries = p->res->entries;
	memcpy(rq.tbs_sha256, p->tbs_sha256, 32);
	if ((ret = kr_hash(KR_HASH_SHA256, ic->der, ic->der_len,
	    rq.issuer_cert_sha256)) != KR_OK)
		return kr_err_set(err, ret, "cannot hash the issuer certificate");
	if ((ret = kr_crl_request_format(&rq, &text, &len, err)) == KR_OK &&
	    (ret = kr_out_check(p->app, KR_ART_CRL_REQUEST,
	    p->req->save_request, len, err)) == KR_OK &&
	    (ret = kr_media_write(KR_ART_CRL_REQUEST, p->req->save_request,
	    text, len, KR_FILE_NOREPLACE, err)) == KR_OK)
		p->res->saved = true;
	free(text);
	return ret;
}

static int
kr_crl_run(struct kr_crl_pub *p, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	struct kr_approval_subject	 sub = { .op = NULL };
	struct kr_signer	*s = NULL;
	int			 ret;

	if (p->req->out_path == NULL && !p->req->dry_run)
		return kr_err_set(err, KR_EUSAGE, "give --out FILE");
	if (p->req->save_request != NULL && !p->req->dry_run)
		return kr_err_set(err, KR_EUSAGE, "--save-request FILE goes "
		    "with --dry-run");
	/*
	 * The CRL is built before the quorum is asked, and the build proves
	 * every revocation of the issuer against the audit chain as it
	 * reads it.
	 */
	if ((ret = kr_crl_request_read(p, err)) != KR_OK ||
	    (ret = kr_crl_load(p, err)) != KR_OK ||
	    (ret = kr_crl_prepare(p, err)) != KR_OK ||
	    (ret = kr_preview_confirm(src, &p->pv, !p->req->dry_run, err)) !=
	    KR_OK)
		return ret;
	/* The custodians approve exactly this TBS. */
	if ((ret = kr_hash_job_finish(&p->tbs_job, p->tbs_sha256)) != KR_OK)
		return kr_err_set(err, ret, "cannot hash the CRL");
	kr_hex_encode(p->res->tbs_sha256, p->tbs_sha256,
	    sizeof(p->tbs_sha256));
	if ((ret = kr_crl_request_same(p, err)) != KR_OK)
		return ret;
	if (p->req->dry_run)
		return kr_crl_request_save(p, err);
	sub.op = p->req->delta ? "crl.delta" : "crl.publish";
	sub.digests = p->tbs_sha256;
	sub.n = 1;
	if ((ret = kr_authority_unlock_report(p->app, p->k.name,
	    p->req->shares, p->req->nshares, src, &sub, &p->res->quorum, &s,
	    err)) != KR_OK)
		return ret;
	ret = kr_crl_sign(p, s, err);
	kr_signer_free(&s);
	if (ret != KR_OK)
		return ret;
	return kr_crl_record(p, err);
}

int
kr_authority_crl_publish(struct kr_appliance *app, const struct kr_crl_req *req,
    const struct kr_passphrase_source *src,
    const struct kr_notice_sink *notice, struct kr_crl_result *res,
    struct kr_err *err)
{
	struct kr_crl_pub	*p;
	int			 ret;

	memset(res, 0, sizeof(*res));
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	p->app = app;
	p->req = req;
	p->res = res;
	p->notice = notice;
	p->now = kr_time_now();
	p->at = p->now;
	ret = kr_crl_run(p, src, err);
	/* A failure may leave a hash running over the buffers freed below. */
	kr_hash_job_cancel(&p->tbs_job);
	kr_hash_job_cancel(&p->crl_job);
	kr_media_bg_cancel(&p->out);
	free(p->pem);
	kr_store_rev_iter_close(&p->it);
	kr_crl_builder_free(&p->b);
	kr_chain_free(&p->chain);
	kr_preview_free(&p->pv);
	free(p);
	return ret;
}

void
kr_crl_result_free(struct kr_crl_result *res)
{
	if (res != NULL)
		kr_quorum_report_free(&res->quorum);
}
