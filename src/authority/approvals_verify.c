/*
 * audit verify: the signed approvals of every audit row.
 *
 * For each row naming approvers (approved_by, or custodians for the
 * quorum's own rows) the "approvals" member is read, each statement is
 * rebuilt from the row (docs/formats.md) and its signature checked with
 * the approval key recorded for that custodian of that share set (the
 * custodians table, itself proven against the chain by the replay).  A
 * row whose approver list is not exactly the custodians whose signatures
 * verify, in order, is named.  Rows approved with shares of format 1 are
 * counted as unsigned approvals.
 *
 * The payload is keyrite's canonical JSON (no spaces, members in a fixed
 * order); anything else is not read and the row is named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/der.h>

#include "authority_int.h"

#define JS_DEPTH	16
#define NAME_CAP	(KR_CUSTODIAN_NAME_MAX + 1)

/* One row */

struct av_names {
	char	name[KR_CUSTODIANS_MAX][NAME_CAP];
	size_t	n;
};

/*
 * A signature that verified earlier in the walk: every device row of a
 * provisioning batch carries the batch's approvals, the same statements
 * signed once.  The entry is all that was checked (the key, the whole
 * statement, the signature), compared byte for byte before the earlier
 * result is reused; only signatures that verified are kept.
 */
#define AV_SEEN		8

struct av_seen {
	uint8_t	 spki[KR_ED25519_SPKI_BYTES];
	uint8_t	 sig[KR_APPROVAL_SIG_BYTES];
	uint8_t	*msg;
	size_t	 len;
};

struct av_row {
	struct kr_appliance		*app;
	struct kr_approval_report	*rep;
	const struct kr_audit_rec	*r;
	const char			*ap;		/* approvals member */
	struct av_names			 listed;	/* approved_by */
	struct av_names			 signers;
	struct kr_set_rec		 set;
	struct kr_custodian_rec		 cust[KR_CUSTODIANS_MAX];
	size_t				 ncust;
	char				 appliance[64];
	/* The walk reads the store only: what it read last is reused. */
	bool				 set_loaded;	/* set and cust */
	struct kr_key_rec		 key;
	bool				 key_loaded;
	struct av_seen			 seen[AV_SEEN];
	size_t				 nseen;
};

static bool
av_names_read(const char *p, struct av_names *out)
{
	const char	*e = p;
	bool		 first = true;

	out->n = 0;
	if (p == NULL || *p != '[')
		return false;
	while (kr_js_next(&e, first) != NULL) {
		first = false;
		if (out->n == KR_CUSTODIANS_MAX || !kr_js_str(e, out->name[out->n],
		    NAME_CAP))
			return false;
		out->n++;
	}
	return true;
}

static void
av_names_join(const struct av_names *nm, char *out, size_t cap)
{
	size_t	i;

	out[0] = '\0';
	for (i = 0; i < nm->n; i++) {
		if (strlen(out) + strlen(nm->name[i]) + 2 >= cap)
			break;
		if (i > 0)
			(void)strcat(out, ",");
		(void)strcat(out, nm->name[i]);
	}
}

static int
av_bad(struct av_row *v, const char *fmt, ...) KR_PRINTF(2, 3);

/* Names the row; returns 0 so the walk goes on. */
static int
av_bad(struct av_row *v, const char *fmt, ...)
{
	struct kr_approval_report	*rep = v->rep;
	char				 raw[320];
	va_list				 ap;

	rep->bad_rows++;
	if (rep->bad_shown >= KR_APPROVALS_SHOWN)
		return 0;
	va_start(ap, fmt);
	(void)vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	(void)snprintf(rep->bad[rep->bad_shown], sizeof(rep->bad[0]),
	    "audit row %lld (%s): %s", (long long)v->r->seq, v->r->event, raw);
	rep->bad_shown++;
	return 0;
}

static void
av_unsigned(struct av_row *v, const char *why)
{
	struct kr_approval_report	*rep = v->rep;
	char				 who[128];

	rep->unsigned_rows++;
	if (rep->unsigned_shown >= KR_APPROVALS_SHOWN)
		return;
	av_names_join(&v->listed, who, sizeof(who));
	(void)snprintf(rep->unsigned_note[rep->unsigned_shown],
	    sizeof(rep->unsigned_note[0]), "audit row %lld (%s) by %s: %s",
	    (long long)v->r->seq, v->r->event, who, why);
	rep->unsigned_shown++;
}

/* Whether any custodian of the set has an approval key. */
static bool
av_set_signs(const struct av_row *v)
{
	size_t	i;

	for (i = 0; i < v->ncust && i < KR_CUSTODIANS_MAX; i++)
		if (v->cust[i].has_approval_pk)
			return true;
	return false;
}

static int
av_load_set(struct av_row *v, const uint8_t *id)
{
	struct kr_err	e;
	uint8_t		set_id[KR_SET_ID_BYTES];

	if (v->set_loaded && memcmp(v->set.id, id, sizeof(set_id)) == 0)
		return 0;
	memcpy(set_id, id, sizeof(set_id));	/* id may be v->set.id */
	kr_err_clear(&e);
	v->set_loaded = kr_store_set_get(v->app->store, set_id, &v->set,
	    &e) == KR_OK && kr_store_custodians(v->app->store, set_id, v->cust,
	    KR_CUSTODIANS_MAX, &v->ncust, &e) == KR_OK;
	return v->set_loaded ? 0 : -1;
}

/* A key by name, as kr_store_key_get, the last one kept. */
static const struct kr_key_rec *
av_key(struct av_row *v, const char *name)
{
	struct kr_err	e;

	if (v->key_loaded && strcmp(v->key.name, name) == 0)
		return &v->key;
	kr_err_clear(&e);
	v->key_loaded = kr_store_key_get(v->app->store, name, &v->key, &e) ==
	    KR_OK;
	return v->key_loaded ? &v->key : NULL;
}

/* An approval signature: verified, or the same bytes verified before. */
static bool
av_verify(struct av_row *v, const uint8_t *spki, const struct kr_buf *b,
    const uint8_t *sig)
{
	struct av_seen	*s;
	struct kr_err	 e;
	uint8_t		*m;
	size_t		 i;

	for (i = 0; i < v->nseen && i < AV_SEEN; i++) {
		s = &v->seen[i];
		if (s->len == b->len && memcmp(s->sig, sig, sizeof(s->sig)) ==
		    0 && memcmp(s->spki, spki, sizeof(s->spki)) == 0 &&
		    memcmp(s->msg, b->p, b->len) == 0)
			return true;
	}
	kr_err_clear(&e);
	if (kr_sig_verify(KR_SIG_ED25519, spki, KR_ED25519_SPKI_BYTES, b->p,
	    b->len, sig, KR_APPROVAL_SIG_BYTES, 0, &e) != KR_OK)
		return false;
	if ((m = malloc(b->len)) == NULL)
		return true;	/* verified; only not kept */
	s = &v->seen[v->nseen++ % AV_SEEN];
	free(s->msg);
	s->msg = m;
	memcpy(s->msg, b->p, b->len);
	s->len = b->len;
	memcpy(s->spki, spki, sizeof(s->spki));
	memcpy(s->sig, sig, sizeof(s->sig));
	return true;
}

/* A row written before approvals were signed: the key's set decides. */
static int
av_legacy(struct av_row *v)
{
	const char	*k = kr_js_member(v->r->payload, "key");
	char		 name[KR_KEY_NAME_MAX + 1];
	struct kr_key_rec key;
	struct kr_err	 e;

	if (k == NULL)
		k = kr_js_member(v->r->payload, "issuer_key");
	if (k == NULL)
		k = kr_js_member(v->r->payload, "quorum_key");
	kr_err_clear(&e);
	v->set_loaded = false;	/* v->set is written over here */
	if (kr_js_str(k, name, sizeof(name)) && kr_store_key_get(v->app->store,
	    name, &key, &e) == KR_OK && kr_store_set_active(v->app->store,
	    key.id, &v->set, &e) == KR_OK && av_load_set(v, v->set.id) == 0 &&
	    av_set_signs(v))
		return av_bad(v, "it names approvers (%s...) but holds no "
		    "approval signatures, although the custodians of key '%s' "
		    "have approval keys", v->listed.name[0], name);
	av_unsigned(v, "unsigned approvals (no approval keys recorded)");
	return 0;
}

/* The member of the row that holds the digest of what was signed. */
static const char *
av_artifact_member(const char *op)
{
	if (strncmp(op, "cert.", 5) == 0 || strncmp(op, "crl.", 4) == 0)
		return "tbs_sha256";
	if (strncmp(op, "sign.", 5) == 0)
		return "input_sha256";
	if (strncmp(op, "provision.", 10) == 0)
		return "batch_sha256";
	if (strcmp(op, "quorum.reshare") == 0)
		return "new_set_sha256";
	if (strcmp(op, "policy.update") == 0)
		return "approved_digest";
	return NULL;
}

/* The approved digest is the one the row says was signed. */
static int
av_check_digest(struct av_row *v, const char *op, const uint8_t *digest,
    const struct kr_key_rec *k)
{
	const char	*m = av_artifact_member(op);
	uint8_t		 want[32];

	if (strcmp(v->r->event, "quorum.unlock") == 0 ||
	    strcmp(op, "ocsp.presign") == 0)
		return 1;
	if (m != NULL) {
		if (!kr_js_hex(kr_js_member(v->r->payload, m), want, sizeof(want)))
			return av_bad(v, "the row has no %s for its approvals",
			    m);
	} else if (kr_hash(KR_HASH_SHA256, k->spki, k->spki_len, want) !=
	    KR_OK)
		return 0;
	if (memcmp(want, digest, sizeof(want)) != 0)
		return av_bad(v, "the custodians approved another digest than "
		    "the row records (%s)", m != NULL ? m : "the key's public "
		    "key");
	return 1;
}

static const struct kr_custodian_rec *
av_custodian(const struct av_row *v, int64_t x)
{
	size_t	i;

	for (i = 0; i < v->ncust && i < KR_CUSTODIANS_MAX; i++)
		if ((int64_t)v->cust[i].x == x)
			return &v->cust[i];
	return NULL;
}

/* One signature: its custodian, key and statement. */
static int
av_signature(struct av_row *v, const char *s, struct kr_approval_fields *f)
{
	const struct kr_custodian_rec	*c;
	struct kr_buf			 b;
	uint8_t				 sig[KR_APPROVAL_SIG_BYTES];
	uint8_t				 spki[KR_ED25519_SPKI_BYTES];
	char				 name[NAME_CAP];
	int64_t				 x, t;
	int				 ok;

	if (!kr_js_str(kr_js_member(s, "custodian"), name, sizeof(name)) ||
	    !kr_js_int(kr_js_member(s, "x"), &x) ||
	    !kr_js_int(kr_js_member(s, "time"), &t) ||
	    !kr_js_hex(kr_js_member(s, "sig"), sig, sizeof(sig)))
		return av_bad(v, "an approval signature cannot be read");
	if ((c = av_custodian(v, x)) == NULL || strcmp(c->name, name) != 0)
		return av_bad(v, "the approval signed as custodian '%s' (x = "
		    "%lld) is not by that custodian of its share set", name,
		    (long long)x);
	if (!c->has_approval_pk)
		return av_bad(v, "custodian '%s' has no approval key recorded",
		    name);
	if (t > v->r->time)
		return av_bad(v, "the approval of custodian '%s' is dated after "
		    "the row", name);
	f->custodian = name;
	f->x = (unsigned)x;
	f->time = t;
	memcpy(spki, KR_ED25519_SPKI_PREFIX, KR_ED25519_SPKI_PREFIX_BYTES);
	memcpy(spki + KR_ED25519_SPKI_PREFIX_BYTES, c->approval_pk, 32);
	kr_buf_init(&b, false);
	ok = kr_approval_statement(&b, f) == KR_OK && av_verify(v, spki, &b,
	    sig);
	kr_buf_free(&b);
	if (!ok)
		return av_bad(v, "the approval signature of custodian '%s' does "
		    "not verify with that custodian's recorded approval key",
		    name);
	(void)snprintf(v->signers.name[v->signers.n++], NAME_CAP, "%s", name);
	return 1;
}

/* The statement's fields from the approvals member; 1 when usable. */
static int
av_fields(struct av_row *v, struct kr_approval_fields *f, char *op,
    char *key, uint8_t *key_id, uint8_t *digest)
{
	const struct kr_key_rec	*k;
	char			 alg[16];

	if (!kr_js_str(kr_js_member(v->ap, "op"), op, 32) ||
	    !kr_js_str(kr_js_member(v->ap, "key"), key, KR_KEY_NAME_MAX + 1) ||
	    !kr_js_hex(kr_js_member(v->ap, "key_id"), key_id, KR_KEY_ID_BYTES) ||
	    !kr_js_str(kr_js_member(v->ap, "digest_alg"), alg, sizeof(alg)) ||
	    strcmp(alg, "sha256") != 0 ||
	    !kr_js_hex(kr_js_member(v->ap, "digest"), digest, 32))
		return av_bad(v, "its approvals member cannot be read");
	/* A root made by `rotate root` was approved with its rotation. */
	if (strcmp(v->r->event, "quorum.unlock") != 0 &&
	    strcmp(op, v->r->event) != 0 &&
	    (strcmp(v->r->event, "cert.root") != 0 ||
	    strcmp(op, "cert.rotate") != 0))
		return av_bad(v, "the custodians approved %s, not %s", op,
		    v->r->event);
	if ((k = av_key(v, key)) == NULL ||
	    memcmp(k->id, key_id, KR_KEY_ID_BYTES) != 0 ||
	    memcmp(v->set.key_id, key_id, KR_KEY_ID_BYTES) != 0)
		return av_bad(v, "the approvals name key '%s', which is not "
		    "the key of their share set", key);
	if (av_check_digest(v, op, digest, k) == 0)
		return 0;
	f->appliance = v->appliance;
	f->op = op;
	f->key = key;
	f->key_id = key_id;
	f->set_id = v->set.id;
	f->digest = digest;
	return 1;
}

static int
av_signed(struct av_row *v)
{
	struct kr_approval_fields	 f;
	const char			*sigs, *e;
	char				 op[32], key[KR_KEY_NAME_MAX + 1];
	char				 a[160], b[160];
	uint8_t				 key_id[KR_KEY_ID_BYTES], digest[32];
	size_t				 i;
	bool				 first = true;

	memset(&f, 0, sizeof(f));
	if (av_fields(v, &f, op, key, key_id, digest) == 0)
		return 0;
	v->signers.n = 0;
	e = sigs = kr_js_member(v->ap, "signatures");
	while (kr_js_next(&e, first) != NULL) {
		first = false;
		if (v->signers.n == KR_CUSTODIANS_MAX ||
		    av_signature(v, e, &f) == 0)
			return 0;
	}
	for (i = 0; i < v->signers.n; i++)
		if (i >= v->listed.n ||
		    strcmp(v->signers.name[i], v->listed.name[i]) != 0)
			break;
	if (i < v->signers.n || v->signers.n != v->listed.n ||
	    v->listed.n == 0) {
		av_names_join(&v->listed, a, sizeof(a));
		av_names_join(&v->signers, b, sizeof(b));
		return av_bad(v, "it names the approvers [%s], but the "
		    "approval signatures that verify are by [%s]", a, b);
	}
	v->rep->signed_rows++;
	return 0;
}

static int
av_row_check(const struct kr_audit_rec *r, void *arg)
{
	struct av_row	*v = arg;
	const char	*names;
	uint8_t		 set_id[KR_SET_ID_BYTES];
	char		 status[32];

	v->r = r;
	names = kr_js_member(r->payload, "approved_by");
	if (names == NULL && (strcmp(r->event, "quorum.verify") == 0 ||
	    strcmp(r->event, "share.check") == 0 ||
	    strcmp(r->event, "quorum.unlock") == 0))
		names = kr_js_member(r->payload, "custodians");
	v->ap = kr_js_member(r->payload, "approvals");
	if (names == NULL && v->ap == NULL)
		return 0;
	if (!av_names_read(names, &v->listed))
		return av_bad(v, "its approver list cannot be read");
	if (v->ap == NULL)
		return v->listed.n == 0 ? 0 : av_legacy(v);
	if (!kr_js_hex(kr_js_member(v->ap, "share_set"), set_id, sizeof(set_id)) ||
	    !kr_js_str(kr_js_member(v->ap, "status"), status, sizeof(status)))
		return av_bad(v, "its approvals member cannot be read");
	if (av_load_set(v, set_id) != 0)
		return av_bad(v, "its approvals name a share set that is not "
		    "recorded");
	if (strcmp(status, KR_APPROVALS_UNSIGNED) == 0) {
		if (av_set_signs(v))
			return av_bad(v, "it says unsigned approvals, but the "
			    "custodians of its share set have approval keys");
		av_unsigned(v, "unsigned approvals (share files of format 1)");
		return 0;
	}
	if (strcmp(status, "signed") != 0)
		return av_bad(v, "its approvals member cannot be read");
	return av_signed(v);
}

int
kr_approvals_verify_chain(struct kr_appliance *app,
    struct kr_approval_report *rep, struct kr_err *err)
{
	struct av_row	*v;
	size_t		 i;
	int		 ret;

	memset(rep, 0, sizeof(*rep));
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	v->app = app;
	v->rep = rep;
	if ((ret = kr_store_meta_get(app->store, "appliance_id", v->appliance,
	    sizeof(v->appliance), err)) == KR_OK)
		ret = kr_store_audit_foreach(app->store, 0, av_row_check, v,
		    err);
	for (i = 0; i < AV_SEEN; i++)
		free(v->seen[i].msg);
	free(v);
	if (ret != KR_OK)
		return ret;
	if (rep->bad_rows > 0)
		return kr_err_set(err, KR_EVERIFY, "%lld audit row%s name%s "
		    "approvers the custodians' approval signatures do not "
		    "back; the first: %s", (long long)rep->bad_rows,
		    rep->bad_rows == 1 ? "" : "s", rep->bad_rows == 1 ? "s" :
		    "", rep->bad[0]);
	return KR_OK;
}
