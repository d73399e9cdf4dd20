/*
 * A key's standing: what the revocations of its own certificates allow
 * it to do (docs/revocation.md, "When keyrite's own certificates are
 * revoked").
 *
 *   revoked for superseded, cessationOfOperation or affiliationChanged:
 *       retired: issues and signs nothing more, but may still publish
 *       its last CRLs and OCSP responses;
 *   on hold (certificateHold not lifted): suspended, signs nothing until
 *       the hold is lifted;
 *   revoked for any other reason (unspecified or none, keyCompromise,
 *       cACompromise, privilegeWithdrawn, aACompromise): stopped, signs
 *       nothing at all.
 *
 * Every operation that uses a key calls kr_key_standing_check before its
 * quorum is asked, so a refused key costs no custodian a passphrase.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

/* Ranks, worst last: a key's standing is its worst certificate's. */
enum kr_rank {
	KR_RANK_NONE = 0,
	KR_RANK_RETIRED,
	KR_RANK_HELD,
	KR_RANK_STOPPED,
};

static bool
kr_reason_retires(int reason)
{
	return reason == KR_REASON_SUPERSEDED ||
	    reason == KR_REASON_CESSATION ||
	    reason == KR_REASON_AFFILIATION_CHANGED;
}

static enum kr_rank
kr_status_rank(const struct kr_rev_status *s)
{
	if (s->state == KR_REV_HELD)
		return KR_RANK_HELD;
	if (s->state != KR_REV_REVOKED)
		return KR_RANK_NONE;
	return kr_reason_retires(s->reason) ? KR_RANK_RETIRED :
	    KR_RANK_STOPPED;
}

/* The name of the key with this id ("(unknown key)" when none). */
static int
kr_key_name_of(struct kr_appliance *app, const uint8_t *id, char *out,
    size_t cap, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_store_key_name(app->store, id, out, cap, err)) !=
	    KR_ENOENT)
		return ret;
	(void)snprintf(out, cap, "(unknown key)");
	return KR_OK;
}

/* The revocation of one certificate (issuer key id + serial bytes). */
static int
kr_rev_lookup(struct kr_appliance *app, const uint8_t *issuer_id,
    const uint8_t *serial, size_t len, struct kr_rev_status *st,
    struct kr_err *err)
{
	struct kr_revocation_rec	r;
	int				ret;

	memset(st, 0, sizeof(*st));
	st->reason = KR_REASON_NONE;
	kr_hex_encode(st->serial, serial, len);
	ret = kr_store_revocation_get(app->store, issuer_id, serial, len, &r,
	    err);
	if (ret == KR_ENOENT)
		return KR_OK;
	if (ret != KR_OK)
		return ret;
	if (r.reason == KR_REASON_CERTIFICATE_HOLD && r.lifted_at != 0)
		return KR_OK;
	st->state = r.reason == KR_REASON_CERTIFICATE_HOLD ? KR_REV_HELD :
	    KR_REV_REVOKED;
	st->reason = (enum kr_reason)r.reason;
	st->since = r.revoked_at;
	return kr_key_name_of(app, issuer_id, st->issuer, sizeof(st->issuer),
	    err);
}

/* A provisioning record's certificate: its serial by its issuing key. */
struct kr_prov_status {
	struct kr_appliance		*app;
	const struct kr_prov_rec	*r;
	struct kr_rev_status		*rs;
	struct kr_err			*err;
	int				 ret;
};

static int
kr_prov_status_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_prov_status	*ps = arg;

	if (memcmp(c->issuer_key_id, ps->r->issuer_key_id,
	    KR_STORE_ID_BYTES) != 0)
		return 0;
	ps->ret = kr_authority_cert_status(ps->app, c, ps->rs, ps->err);
	return 1;
}

int
kr_authority_prov_status(struct kr_appliance *app,
    const struct kr_prov_rec *r, struct kr_rev_status *rs, struct kr_err *err)
{
	struct kr_prov_status	ps = { app, r, rs, err, KR_ENOENT };
	int			ret;

	if ((ret = kr_store_cert_by_serial(app->store, r->serial,
	    kr_prov_status_cb, &ps, err)) < 0)
		return ret;
	if (ps.ret == KR_ENOENT)
		return kr_err_set(err, KR_ESTATE, "the record of device %s "
		    "names certificate %s, which is not recorded",
		    r->device_id, r->serial);
	return ps.ret;
}

int
kr_authority_cert_status(struct kr_appliance *app,
    const struct kr_cert_rec *c, struct kr_rev_status *st,
    struct kr_err *err)
{
	uint8_t	serial[KR_SERIAL_MAX];
	size_t	len;
	int	ret;

	if ((ret = kr_serial_parse(c->serial, serial, &len, err)) != KR_OK)
		return kr_err_set(err, KR_ESTATE, "certificate record %lld has "
		    "a malformed serial", (long long)c->id);
	return kr_rev_lookup(app, c->issuer_key_id, serial, len, st, err);
}

struct kr_worst {
	struct kr_appliance	*app;
	struct kr_rev_status	*st;
	struct kr_err		*err;
	int			 status;
};

static int
kr_worst_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_worst		*w = arg;
	struct kr_rev_status	 s;

	if ((w->status = kr_authority_cert_status(w->app, c, &s, w->err)) !=
	    KR_OK)
		return w->status;
	if (kr_status_rank(&s) > kr_status_rank(w->st))
		*w->st = s;
	return 0;
}

int
kr_authority_key_status(struct kr_appliance *app, const struct kr_key_rec *k,
    struct kr_rev_status *st, struct kr_err *err)
{
	struct kr_worst	w = { app, st, err, KR_OK };
	char		fp[KR_FINGERPRINT_STR_BYTES];
	int		ret;

	memset(st, 0, sizeof(*st));
	st->reason = KR_REASON_NONE;
	kr_spki_fingerprint(k->spki, k->spki_len, fp);
	ret = kr_store_cert_by_spki(app->store, fp, kr_worst_cb, &w, err);
	return w.status != KR_OK ? w.status : ret;
}

void
kr_rev_status_format(const struct kr_rev_status *s, char *out, size_t cap)
{
	char	when[KR_TIME_STR_BYTES];

	kr_time_format(s->since, when);
	if (s->state == KR_REV_HELD)
		(void)snprintf(out, cap, "on hold since %s", when);
	else if (s->state == KR_REV_REVOKED)
		(void)snprintf(out, cap, "revoked: %s, %s",
		    kr_reason_name(s->reason), when);
	else
		(void)snprintf(out, cap, "not revoked");
}

const char *
kr_rev_status_standing(const struct kr_rev_status *s, const char *purpose)
{
	switch (kr_status_rank(s)) {
	case KR_RANK_NONE:
		return "in good standing";
	case KR_RANK_RETIRED:
		return strcmp(purpose, "ca") == 0 ? "retired: may only "
		    "publish its last CRLs and OCSP responses" : "retired: "
		    "signs nothing more";
	case KR_RANK_HELD:
		return "suspended: signs nothing until the hold is lifted";
	case KR_RANK_STOPPED:
		return "stopped: signs nothing more";
	}
	return "unknown";
}

static const char *
kr_use_name(enum kr_key_use use)
{
	switch (use) {
	case KR_USE_ISSUE:
		return "issue certificates";
	case KR_USE_FIRMWARE:
		return "sign firmware";
	case KR_USE_STATUS:
		return "publish CRLs or OCSP responses";
	}
	return "sign";
}

static int
kr_standing_refuse(const struct kr_key_rec *k, enum kr_key_use use,
    const struct kr_rev_status *s, struct kr_err *err)
{
	char	when[KR_TIME_STR_BYTES];

	kr_time_format(s->since, when);
	if (s->state == KR_REV_HELD)
		return kr_err_set(err, KR_EREFUSED, "key '%s' is suspended: its "
		    "certificate %s (issued by '%s') is on hold (certificateHold "
		    "since %s), so it may not %s until the hold is lifted with "
		    "`keyrite revoke --issuer-key %s --serial %s --lift-hold`. "
		    "Nothing was asked or signed", k->name, s->serial, s->issuer,
		    when, kr_use_name(use), s->issuer, s->serial);
	if (kr_reason_retires(s->reason))
		return kr_err_set(err, KR_EREFUSED, "key '%s' may not %s: its "
		    "certificate %s (issued by '%s') was revoked for %s on %s. "
		    "%s: use its successor. Nothing was asked or signed",
		    k->name, kr_use_name(use), s->serial, s->issuer,
		    kr_reason_name(s->reason), when, strcmp(k->purpose, "ca") ==
		    0 ? "A retired CA key may still publish its last CRLs and "
		    "OCSP responses, nothing more" : "A retired key signs "
		    "nothing more");
	return kr_err_set(err, KR_EREFUSED, "key '%s' may not %s: its "
	    "certificate %s (issued by '%s') was revoked for %s on %s, and a "
	    "key revoked for that reason signs nothing more%s. Make a new key, "
	    "have '%s' certify it, and retire this one (`keyrite key destroy "
	    "%s`). Nothing was asked or signed", k->name, kr_use_name(use),
	    s->serial, s->issuer, kr_reason_name(s->reason), when,
	    strcmp(k->purpose, "ca") == 0 ? ", CRLs and OCSP responses "
	    "included" : "", s->issuer, k->name);
}

int
kr_key_standing_check(struct kr_appliance *app, const struct kr_key_rec *k,
    enum kr_key_use use, struct kr_err *err)
{
	struct kr_rev_status	s;
	enum kr_rank		rank;
	int			ret;

	if ((ret = kr_authority_key_status(app, k, &s, err)) != KR_OK)
		return ret;
	rank = kr_status_rank(&s);
	if (rank == KR_RANK_NONE ||
	    (rank == KR_RANK_RETIRED && use == KR_USE_STATUS))
		return KR_OK;
	return kr_standing_refuse(k, use, &s, err);
}

/* A CA key held here whose signature the certificate carries. */
struct kr_cert_issuer {
	struct kr_appliance	*app;
	const struct kr_cert	*c;
	struct kr_rev_status	*st;
	struct kr_err		*err;
	int			 status;
};

static int
kr_cert_issuer_cb(const struct kr_key_rec *k, void *arg)
{
	struct kr_cert_issuer	*ci = arg;
	struct kr_err		 e;

	if (strcmp(k->purpose, "ca") != 0 ||
	    kr_cert_verify_signature(ci->c, k->spki, k->spki_len, &e) != KR_OK)
		return 0;
	ci->status = kr_rev_lookup(ci->app, k->id, ci->c->f.serial,
	    ci->c->f.serial_len, ci->st, ci->err);
	return ci->status != KR_OK || ci->st->state != KR_REV_NONE ? 1 : 0;
}

int
kr_signer_cert_check(struct kr_appliance *app, const struct kr_cert *c,
    const char *path, int64_t now, struct kr_err *err)
{
	struct kr_rev_status	s;
	struct kr_cert_issuer	ci = { app, c, &s, err, KR_OK };
	char			when[KR_TIME_STR_BYTES], serial[41];
	int			ret;

	memset(&s, 0, sizeof(s));
	kr_hex_encode(serial, c->f.serial, c->f.serial_len < 20 ?
	    c->f.serial_len : 20);
	if (c->f.not_after < now || c->f.not_before > now) {
		kr_time_format(c->f.not_after < now ? c->f.not_after :
		    c->f.not_before, when);
		return kr_err_set(err, KR_EREFUSED, "the signer certificate %s "
		    "(serial %s) %s %s: a CMS or RAUC signature under it would "
		    "not verify. Give a certificate valid now (`keyrite cert "
		    "issue` makes one). Nothing was asked or signed", path,
		    serial, c->f.not_after < now ? "expired on" :
		    "is not valid before", when);
	}
	ret = kr_store_key_foreach(app->store, kr_cert_issuer_cb, &ci, err);
	if (ci.status != KR_OK)
		return ci.status;
	if (ret < 0)
		return ret;
	if (s.state == KR_REV_NONE)
		return KR_OK;
	kr_time_format(s.since, when);
	return kr_err_set(err, KR_EREFUSED, "the signer certificate %s (serial "
	    "%s) is %s by '%s' (%s since %s): a CMS or RAUC signature under it "
	    "would not be trusted. Give a certificate that is not revoked%s. "
	    "Nothing was asked or signed", path, serial, s.state ==
	    KR_REV_HELD ? "on hold" : "revoked", s.issuer, s.state ==
	    KR_REV_HELD ? "certificateHold" : kr_reason_name(s.reason), when,
	    s.state == KR_REV_HELD ? ", or lift the hold with `keyrite revoke "
	    "--lift-hold`" : "");
}
