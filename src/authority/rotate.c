/*
 * rotate root | rotate finish (docs/rotation.md).
 *
 * rotate root: both roots and their certificates checked -> the shares
 * told apart by the key in their headers -> the two link certificates
 * (old root over the new root's key, new root over the old's) prepared
 * and linted, and the transition pin set written -> each shown -> each
 * root's quorum approves exactly what it signs (its link's TBS and the
 * pin set) -> sign, verify -> one transaction: the two certificates and
 * the pin set's two signatures, each an audit row "cert.rotate" -> the
 * files, through media/.
 *
 * rotate finish: the pin set of the new root alone, once the overlap of
 * the transition pin set has ended (or earlier, forced, with the old
 * root's quorum consenting).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "authority_int.h"

#define KR_ROT_OLD		0
#define KR_ROT_NEW		1
#define KR_ROT_ROOT		2	/* is[]: the new root's certificate, made here */
#define KR_ROT_DROP		2	/* key[]: a root dropped early, consenting */
#define KR_ROT_KEYS		3
#define KR_ROT_BIT(k)		(1u << (k))
#define KR_ROT_DAYS_DEFAULT	365
#define KR_ROT_PROFILE		"root-link"
#define KR_ROT_ROOT_PROFILE	"root"
#define KR_ROT_EVENT		"cert.rotate"
#define KR_ROT_FINISH_EVENT	"cert.pinset"

struct kr_rot {
	struct kr_appliance		*app;
	const struct kr_rotate_req	*req;
	struct kr_rotate_result		*res;
	const struct kr_passphrase_source *src;
	int64_t				 now;
	bool				 rotating;	/* rotate root */
	unsigned			 days;		/* the overlap */
	struct kr_key_rec		 key[KR_ROT_KEYS];
	struct kr_cert_rec		 root[2];
	char				 fp[2][KR_FINGERPRINT_STR_BYTES];
	const char			*shares[KR_ROT_KEYS][KR_CUSTODIANS_MAX];
	size_t				 nsh[KR_ROT_KEYS];
	int				 order[KR_ROT_KEYS];	/* unlock order */
	size_t				 norder;
	const struct kr_pin		*drop;		/* rotate root --force */
	struct kr_issue_req		 ireq[2];	/* link by old, by new */
	char				 what[2][KR_KEY_NAME_MAX + 64];
	struct kr_issue_result		 ires[3];
	struct kr_issue			*is[3];		/* and the new root */
	struct kr_issue_req		 rreq;		/* the new root's */
	struct kr_pinset		 last;		/* finish: the transition */
	int64_t				 last_seq;	/* its sequence, or 0 */
	int64_t				 max_seq;
	struct kr_pinset		 prev;		/* the newest recorded */
	int64_t				 prev_row;	/* its audit row, or 0 */
	struct kr_err			*err;
	char				*pin_text;
	size_t				 pin_len;
	struct kr_signer		*s[KR_ROT_KEYS];
	uint8_t				 sig[2][KR_SIG_MAX_BYTES];
	size_t				 siglen[2];
};

static const char *
kr_rot_which(int k)
{
	return k == KR_ROT_OLD ? "old" : "new";
}

/*
 * --new-subject: the new key must have no certificate valid now; its
 * root certificate is made here (kr_rot_make).
 */
static int
kr_rot_root_new(struct kr_rot *r, const char *name, int found,
    struct kr_err *err)
{
	if (found == KR_OK)
		return kr_err_set(err, KR_EREFUSED, "key '%s' already has a%s "
		    "certificate valid now (serial %s): give --new-subject "
		    "only for a new key without one", name,
		    strcmp(r->root[KR_ROT_NEW].kind, "root") == 0 ? " root" :
		    "", r->root[KR_ROT_NEW].serial);
	if (found != KR_ENOENT)
		return found;
	kr_err_clear(err);
	return KR_OK;
}

/* A key of purpose ca and the self-signed root certificate it has now. */
static int
kr_rot_root(struct kr_rot *r, int k, const char *name, struct kr_err *err)
{
	int	ret;

	if (name == NULL)
		return kr_err_set(err, KR_EUSAGE, "give --%s KEY: the %s root "
		    "key", kr_rot_which(k), kr_rot_which(k));
	if ((ret = kr_ca_key_load(r->app, name, &r->key[k], err)) != KR_OK ||
	    (ret = kr_key_standing_check(r->app, &r->key[k], KR_USE_ISSUE,
	    err)) != KR_OK)
		return ret;
	kr_spki_fingerprint(r->key[k].spki, r->key[k].spki_len, r->fp[k]);
	ret = kr_store_cert_for_key(r->app->store, r->fp[k], r->now,
	    &r->root[k], err);
	if (k == KR_ROT_NEW && r->req->new_subject != NULL)
		return kr_rot_root_new(r, name, ret, err);
	if (ret == KR_ENOENT && k == KR_ROT_NEW && r->rotating)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has no root "
		    "certificate valid now: give --new-subject DN (and "
		    "--new-profile NAME if not root) and `rotate root` makes "
		    "it, approved with the rotation (or make it first with "
		    "`keyrite cert root --key %s --profile root --subject DN "
		    "--out FILE`)", name, name);
	if (ret == KR_OK && strcmp(r->root[k].kind, "root") != 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s' is not a root: "
		    "its certificate valid now (serial %s) is %s %s "
		    "certificate, and --%s names a root key, one with a "
		    "self-signed root certificate (`keyrite cert list` shows "
		    "each key's). Nothing was asked or signed", name,
		    r->root[k].serial, r->root[k].kind[0] == 'i' ? "an" : "a",
		    r->root[k].kind, kr_rot_which(k));
	if (ret == KR_ENOENT)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has no root "
		    "certificate valid now%s: make it first with `keyrite cert "
		    "root --key %s --profile root --subject DN --out FILE`",
		    name, k == KR_ROT_OLD ? " (the old root must still be valid "
		    "to sign its link certificate)" : "", name);
	return ret;
}

/* A share of none of the keys asked: which keys are. */
static int
kr_rot_share_foreign(struct kr_rot *r, const char *share, unsigned want,
    struct kr_err *err)
{
	if (want == KR_ROT_BIT(KR_ROT_NEW))
		return kr_err_set(err, KR_EUSAGE, "share %s is not for the new "
		    "root: give the shares of the new root only", share);
	if ((want & KR_ROT_BIT(KR_ROT_DROP)) == 0)
		return kr_err_set(err, KR_EUSAGE, "share %s is not for either "
		    "root: give the shares of both roots", share);
	return kr_err_set(err, KR_EUSAGE, "share %s is not for key '%s', "
	    "'%s' or '%s': give the shares of these three roots only", share,
	    r->key[KR_ROT_OLD].name, r->key[KR_ROT_NEW].name,
	    r->key[KR_ROT_DROP].name);
}

/*
 * The shares, told apart by key (the keys in `want`): all of one root's
 * first, then the next one's, so --passphrase-fd's lines follow the
 * --share arguments.  A key with no share given comes last, for its
 * unlock to name.
 */
static int
kr_rot_split(struct kr_rot *r, unsigned want, struct kr_err *err)
{
	struct kr_share_header	h;
	size_t			i;
	int			k, prev = -1, ret;

	for (i = 0; i < r->req->nshares; i++) {
		if ((ret = kr_share_header_read(r->req->shares[i], &h, err)) !=
		    KR_OK)
			return ret;
		for (k = 0; k < KR_ROT_KEYS; k++)
			if ((want & KR_ROT_BIT(k)) != 0 && memcmp(h.key_id,
			    r->key[k].id, KR_KEY_ID_BYTES) == 0)
				break;
		if (k == KR_ROT_KEYS)
			return kr_rot_share_foreign(r, r->req->shares[i], want,
			    err);
		if (k != prev && r->nsh[k] > 0)
			return kr_err_set(err, KR_EUSAGE, "give all the shares "
			    "of one root, then all of the next one's (share %s "
			    "breaks the order), so the passphrases follow the "
			    "--share arguments", r->req->shares[i]);
		if (r->nsh[k] == KR_CUSTODIANS_MAX)
			return kr_err_set(err, KR_EUSAGE, "give at most %d "
			    "shares of each root", KR_CUSTODIANS_MAX);
		if (k != prev)
			r->order[r->norder++] = k;
		prev = k;
		r->shares[k][r->nsh[k]++] = r->req->shares[i];
	}
	for (k = 0; k < KR_ROT_KEYS; k++) {
		if ((want & KR_ROT_BIT(k)) == 0 || r->nsh[k] > 0)
			continue;
		/* Before any passphrase: a quorum with no share at all. */
		if (!r->req->dry_run && strcmp(r->key[k].backend, "sealed") ==
		    0)
			return kr_err_set(err, KR_EUSAGE, "no share of key '%s' "
			    "was given: its custodians approve too. Give their "
			    "shares with --share (nothing was asked or signed)",
			    r->key[k].name);
		r->order[r->norder++] = k;
	}
	return KR_OK;
}

/* Each output: a path in --out-dir, checked before the quorum is asked. */
static int
kr_rot_path(struct kr_rot *r, char *buf, const char *name,
    enum kr_artifact type, uint64_t bound, struct kr_err *err)
{
	char	*p;

	if (r->res->nfiles == KR_ROTATE_FILES)
		return kr_err_set(err, KR_EINTERNAL, "too many outputs");
	if (r->req->out_dir == NULL) {		/* a dry run's: named only */
		(void)snprintf(buf, 1024, "%s", name);
		return KR_OK;
	}
	if ((p = kr_path_join(r->req->out_dir, name)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	(void)snprintf(buf, 1024, "%s", p);
	free(p);
	if (r->req->dry_run || type == KR_ART_CERTIFICATE)
		return KR_OK;	/* a certificate's: kr_issue_out_check */
	return kr_out_check(r->app, type, buf, bound, err);
}

static void
kr_rot_pin(struct kr_rot *r, int k, int64_t not_after, struct kr_pin *p)
{
	enum kr_key_alg	alg = 0;

	(void)snprintf(p->key, sizeof(p->key), "%s", r->key[k].name);
	(void)snprintf(p->subject, sizeof(p->subject), "%s",
	    r->root[k].subject);
	(void)snprintf(p->spki_sha256, sizeof(p->spki_sha256), "%s",
	    r->root[k].spki_sha256);
	if (kr_key_alg_from_name(r->key[k].alg, &alg) != KR_OK)
		alg = 0;
	(void)snprintf(p->sig_alg, sizeof(p->sig_alg), "%s",
	    kr_sig_alg_name(kr_sig_alg_default(alg)));
	p->not_before = r->root[k].not_before;
	p->not_after = not_after;
}

/*
 * Every pin set the chain records, each checked against the SHA-256 its
 * row records: the newest (the previous pin set of the next one), and
 * the newest transition from the old root to the new one.
 */
static int
kr_rot_row(const struct kr_audit_rec *a, void *arg)
{
	struct kr_rot		*r = arg;
	struct kr_pinset	 ps;
	char			*text = NULL, what[64];
	int64_t			 seq;
	int			 ret;

	if (!kr_js_int(kr_js_member(a->payload, "pinset_sequence"), &seq))
		return KR_OK;
	(void)snprintf(what, sizeof(what), "the pin set of audit row %lld",
	    (long long)a->seq);
	if ((ret = kr_pinset_row_text(a, &text, r->err)) != KR_OK ||
	    (ret = kr_pinset_parse(what, (const uint8_t *)text, strlen(text),
	    &ps, r->err)) != KR_OK) {
		free(text);
		return kr_err_prefix(r->err, "nothing was asked or signed: ");
	}
	free(text);
	if (seq > r->max_seq)
		r->max_seq = seq;
	if (ps.sequence >= r->prev.sequence) {
		r->prev = ps;
		r->prev_row = a->seq;
	}
	if (ps.n == 2 &&
	    strcmp(ps.pins[0].spki_sha256, r->fp[KR_ROT_OLD]) == 0 &&
	    strcmp(ps.pins[1].spki_sha256, r->fp[KR_ROT_NEW]) == 0 &&
	    ps.sequence >= r->last_seq) {
		r->last = ps;
		r->last_seq = ps.sequence;
	}
	return KR_OK;
}

static int
kr_rot_scan(struct kr_rot *r, struct kr_err *err)
{
	r->err = err;
	return kr_store_audit_foreach(r->app->store, 1, kr_rot_row, r, err);
}

/* The pin set's bytes, from its pins; the result keeps a copy. */
static int
kr_rot_pinset(struct kr_rot *r, struct kr_pinset *ps, struct kr_err *err)
{
	ps->sequence = r->max_seq + 1;
	ps->issued = r->now;
	if (kr_pinset_format(ps, &r->pin_text, &r->pin_len, err) != KR_OK)
		return err->code;
	r->res->pinset = *ps;
	return KR_OK;
}

/*
 * The new root's fields, from a template of its prepared certificate
 * (kr_issue_template): what the links and the pin set read of it.
 */
static int
kr_rot_made(struct kr_rot *r, struct kr_err *err)
{
	struct kr_cert_rec		*c = &r->root[KR_ROT_NEW];
	const struct kr_issue_result	*res = &r->ires[KR_ROT_ROOT];
	struct kr_cert			*t = NULL;
	int				 ret;

	if ((ret = kr_issue_template(r->is[KR_ROT_ROOT], &c->der, &c->der_len,
	    err)) != KR_OK || (ret = kr_cert_parse("the new root certificate",
	    c->der, c->der_len, &t, err)) != KR_OK)
		return ret;
	(void)snprintf(c->subject, sizeof(c->subject), "%s", res->subject);
	(void)snprintf(c->spki_sha256, sizeof(c->spki_sha256), "%s",
	    res->spki_sha256);
	(void)snprintf(c->kind, sizeof(c->kind), "root");
	c->not_before = t->f.not_before;
	c->not_after = t->f.not_after;
	kr_cert_free(&t);
	return KR_OK;
}

/*
 * A certificate of the rotation (the new root's, a link): its output
 * path checked, then prepared and linted into slot `slot`.
 */
static int
kr_rot_cert(struct kr_rot *r, int slot, struct kr_issue_req *q,
    const char *name, struct kr_err *err)
{
	int	ret;

	q->dry_run = r->req->dry_run;
	q->actor = r->req->actor;
	q->out_path = r->res->files[r->res->nfiles];
	if ((ret = kr_rot_path(r, r->res->files[r->res->nfiles], name,
	    KR_ART_CERTIFICATE, 0, err)) != KR_OK)
		return ret;
	r->res->nfiles++;
	if ((ret = kr_issue_prepare(r->app, q, &r->ires[slot], &r->is[slot],
	    err)) != KR_OK || q->dry_run)
		return ret;
	return kr_issue_out_check(r->is[slot], err);
}

/* --new-subject: the new root's certificate, prepared and linted. */
static int
kr_rot_make(struct kr_rot *r, struct kr_err *err)
{
	struct kr_issue_req	*q = &r->rreq;
	char			 name[KR_KEY_NAME_MAX + 16];
	int			 ret;

	(void)snprintf(name, sizeof(name), "root-%s.pem",
	    r->key[KR_ROT_NEW].name);
	memset(q, 0, sizeof(*q));
	q->kind = KR_ISSUE_ROOT;
	q->issuer_key = r->key[KR_ROT_NEW].name;
	q->profile = r->req->new_profile != NULL ? r->req->new_profile :
	    KR_ROT_ROOT_PROFILE;
	q->subject = r->req->new_subject;
	q->days = r->req->new_days;
	if ((ret = kr_rot_cert(r, KR_ROT_ROOT, q, name, err)) != KR_OK)
		return kr_err_prefix(err, "the root certificate of key '%s': ",
		    r->key[KR_ROT_NEW].name);
	memcpy(r->res->root_serial, r->ires[KR_ROT_ROOT].serial,
	    sizeof(r->res->root_serial));
	return kr_rot_made(r, err);
}

/* A link certificate: `by` certifies the other root's subject and key. */
static int
kr_rot_link(struct kr_rot *r, int by, struct kr_err *err)
{
	struct kr_issue_req	*q = &r->ireq[by];
	char			 name[2 * KR_KEY_NAME_MAX + 16];
	char			 what[sizeof(r->what[0])];
	int			 other = 1 - by, ret;

	(void)snprintf(name, sizeof(name), "link-%s-to-%s.pem",
	    r->key[by].name, r->key[other].name);
	(void)snprintf(what, sizeof(what), "the root certificate of key '%s'",
	    r->key[other].name);
	memcpy(r->what[by], what, sizeof(what));
	memset(q, 0, sizeof(*q));
	q->kind = KR_ISSUE_CROSS;
	q->issuer_key = r->key[by].name;
	q->profile = r->req->profile != NULL ? r->req->profile :
	    KR_ROT_PROFILE;
	q->cross_der = r->root[other].der;
	q->cross_der_len = r->root[other].der_len;
	q->cross_what = r->what[by];
	if (by == KR_ROT_NEW && r->is[KR_ROT_ROOT] != NULL) {
		q->issuer_der = r->root[by].der;	/* not recorded yet */
		q->issuer_der_len = r->root[by].der_len;
	}
	q->days = r->days;
	if ((ret = kr_rot_cert(r, by, q, name, err)) != KR_OK)
		return kr_err_prefix(err, "the link certificate of key '%s' "
		    "over key '%s': ", r->key[by].name, r->key[other].name);
	(void)snprintf(r->res->link_serial[by], sizeof(r->res->link_serial[by]),
	    "%s", r->ires[by].serial);
	return KR_OK;
}

/* The pin set's file and one signature file per signing pin. */
static int
kr_rot_pin_paths(struct kr_rot *r, size_t nsig, struct kr_err *err)
{
	char	name[64];
	size_t	i;
	int	ret;

	(void)snprintf(name, sizeof(name), "pinset-%lld.json",
	    (long long)r->res->pinset.sequence);
	if ((ret = kr_rot_path(r, r->res->files[r->res->nfiles], name,
	    KR_ART_PIN_SET, r->pin_len, err)) != KR_OK)
		return ret;
	r->res->nfiles++;
	for (i = 0; i < nsig; i++) {
		(void)snprintf(name, sizeof(name), "pinset-%lld.json.%zu.sig",
		    (long long)r->res->pinset.sequence, i + 1);
		if ((ret = kr_rot_path(r, r->res->files[r->res->nfiles], name,
		    KR_ART_SIGNATURE, KR_SIG_MAX_BYTES, err)) != KR_OK)
			return ret;
		r->res->nfiles++;
	}
	return KR_OK;
}

/* The pin set it follows, and what of it is kept or dropped. */
static void
kr_rot_pin_prev(const struct kr_rot *r, struct kr_preview *pv)
{
	const struct kr_pinset	*ps = &r->res->pinset, *pp = &r->prev;
	size_t			 i, j;

	if (r->prev_row == 0) {
		kr_preview_head(pv, "previous pin set: none recorded");
		return;
	}
	kr_preview_head(pv, "previous pin set %lld (audit row %lld)",
	    (long long)pp->sequence, (long long)r->prev_row);
	for (i = 0; i < pp->n; i++) {
		for (j = 0; j < ps->n; j++)
			if (strcmp(ps->pins[j].spki_sha256,
			    pp->pins[i].spki_sha256) == 0)
				break;
		kr_preview_text(pv, j < ps->n ? "kept" : "dropped",
		    "key '%s' (%s), key SHA-256 %s", pp->pins[i].key,
		    pp->pins[i].subject, pp->pins[i].spki_sha256);
	}
}

/* See, then approve: the pin set as the roots will sign it. */
static int
kr_rot_pin_show(struct kr_rot *r, const char *signers, struct kr_err *err)
{
	const struct kr_pinset	*ps = &r->res->pinset;
	struct kr_preview	 pv;
	uint8_t			 dig[32];
	char			 nb[KR_TIME_STR_BYTES], na[KR_TIME_STR_BYTES];
	size_t			 i;
	int			 ret;

	kr_preview_init(&pv, "Pin set %lld to be signed by %s",
	    (long long)ps->sequence, signers);
	for (i = 0; i < ps->n; i++) {
		kr_time_format(ps->pins[i].not_before, nb);
		kr_time_format(ps->pins[i].not_after, na);
		kr_preview_head(&pv, "pin %zu: key '%s'", i + 1,
		    ps->pins[i].key);
		kr_preview_text(&pv, "subject", "%s", ps->pins[i].subject);
		if (kr_hex_decode(dig, sizeof(dig), ps->pins[i].spki_sha256) ==
		    KR_OK)
			kr_preview_hash(&pv, "key SHA-256", dig, sizeof(dig));
		kr_preview_text(&pv, "trusted", "from %s until %s", nb, na);
	}
	kr_preview_hash(&pv, "file SHA-256", ps->sha256, sizeof(ps->sha256));
	kr_rot_pin_prev(r, &pv);
	ret = kr_preview_confirm(r->src, &pv, !r->req->dry_run, err);
	kr_preview_free(&pv);
	return ret;
}

/*
 * One root's quorum approves what it signs: its link's TBS, the pin set
 * and, for a new root made here, its own certificate's TBS.
 */
static int
kr_rot_unlock(struct kr_rot *r, int k, const char *op, bool with_link,
    struct kr_err *err)
{
	struct kr_approval_subject	sub;
	uint8_t				dig[3][32];
	int				ret;

	memset(&sub, 0, sizeof(sub));
	sub.op = op;
	sub.n = 0;
	if (with_link && (ret = kr_issue_tbs_sha256(r->is[k], dig[sub.n++],
	    err)) != KR_OK)
		return ret;
	memcpy(dig[sub.n++], r->res->pinset.sha256, 32);
	/* Item 2: the new root's own certificate, when it is made here. */
	if (with_link && k == KR_ROT_NEW && r->is[KR_ROT_ROOT] != NULL &&
	    (ret = kr_issue_tbs_sha256(r->is[KR_ROT_ROOT], dig[sub.n++],
	    err)) != KR_OK)
		return ret;
	sub.digests = &dig[0][0];
	return kr_authority_unlock_report(r->app, r->key[k].name,
	    r->shares[k], r->nsh[k], r->src, &sub, &r->res->quorum[k],
	    &r->s[k], err);
}

/* The pin set signed by root k, and checked with its public key. */
static int
kr_rot_pin_sign(struct kr_rot *r, int k, struct kr_err *err)
{
	enum kr_key_alg	alg;
	enum kr_sig_alg	sa;
	int		ret;

	if (kr_key_alg_from_name(r->key[k].alg, &alg) != KR_OK)
		return kr_err_set(err, KR_ESTATE, "key '%s' has an unknown "
		    "algorithm '%s'", r->key[k].name, r->key[k].alg);
	sa = kr_sig_alg_default(alg);
	r->siglen[k] = sizeof(r->sig[k]);
	if ((ret = kr_signer_sign(r->s[k], sa, (const uint8_t *)r->pin_text,
	    r->pin_len, r->sig[k], &r->siglen[k], err)) != KR_OK)
		return ret;
	if (kr_sig_verify(sa, r->key[k].spki, r->key[k].spki_len,
	    (const uint8_t *)r->pin_text, r->pin_len, r->sig[k], r->siglen[k],
	    0, err) != KR_OK)
		return kr_err_set(err, KR_EVERIFY, "the pin set signature key "
		    "'%s' just made does not verify with its public key: "
		    "nothing was recorded. The key store or token is faulty",
		    r->key[k].name);
	return KR_OK;
}

/*
 * One audit row per root and pin set: its signature (pin > 0), or the
 * old root's consent to an early finish (pin 0).  The approved digest,
 * the SHA-256 of the file's bytes, is the row's tbs_sha256.
 */
static int
kr_rot_pin_row(struct kr_rot *r, int k, size_t pin, size_t item,
    const char *event, struct kr_err *err)
{
	const struct kr_quorum_report	*q = r->res->quorum[k];
	const char			*names[KR_CUSTODIANS_MAX];
	char				 actor[1024];
	struct kr_json			 j;
	size_t				 n;
	int				 ret;

	kr_quorum_approvers(q, names, &n, actor, sizeof(actor));
	kr_json_begin(&j);
	kr_json_str(&j, "kind", pin > 0 ? "pinset-signature" :
	    "pinset-consent");
	kr_json_int(&j, "pinset_sequence", r->res->pinset.sequence);
	kr_json_str(&j, "key", r->key[k].name);
	if (pin > 0) {
		kr_json_int(&j, "pin", (int64_t)pin);
		kr_json_hex(&j, "signature", r->sig[k], r->siglen[k]);
	}
	kr_json_hex(&j, "tbs_sha256", r->res->pinset.sha256, 32);
	kr_json_str(&j, "pinset", r->pin_text);
	kr_json_str_array(&j, "approved_by", names, n);
	kr_approvals_json(&j, q, item);
	kr_json_str(&j, "operator", r->req->actor);
	ret = kr_audit_record(r->app, actor[0] != '\0' ? actor :
	    r->req->actor, event, kr_json_end(&j), &r->res->audit_seq, err);
	kr_json_free(&j);
	return ret;
}

/* The files, once recorded: links (rotate root), pin set, signatures. */
static int
kr_rot_write(struct kr_rot *r, size_t nlinks, const int *signer,
    struct kr_err *err)
{
	size_t	i, f = 0;
	int	ret = KR_OK;

	if (r->is[KR_ROT_ROOT] != NULL) {
		ret = kr_issue_write(r->is[KR_ROT_ROOT], err);
		f++;
	}
	for (i = 0; ret == KR_OK && i < nlinks; i++, f++)
		ret = kr_issue_write(r->is[i], err);
	if (ret == KR_OK)
		ret = kr_media_write(KR_ART_PIN_SET, r->res->files[f++],
		    r->pin_text, r->pin_len, KR_FILE_NOREPLACE, err);
	for (i = 0; ret == KR_OK && f < r->res->nfiles; i++, f++)
		ret = kr_media_write(KR_ART_SIGNATURE, r->res->files[f],
		    r->sig[signer[i]], r->siglen[signer[i]], KR_FILE_NOREPLACE,
		    err);
	if (ret != KR_OK)
		return kr_out_failed(err, "pin set %lld%s was signed and "
		    "recorded (audit entry %lld) but not all its files were "
		    "written. Write them again with `keyrite -C %s export --to "
		    "EMPTY-FOLDER --key %s`.", (long long)r->res->pinset.sequence,
		    r->is[KR_ROT_ROOT] != NULL ? ", the new root and the link "
	    "certificates" : nlinks > 0 ? " and the link certificates" : "",
		    (long long)r->res->audit_seq, r->app->dir,
		    r->key[KR_ROT_NEW].name);
	return KR_OK;
}

/* One transaction for every row, then the release. */
/* The rows: links and both signatures, or the final pin set's. */
static int
kr_rot_rows(struct kr_rot *r, bool links, bool consent, struct kr_err *err)
{
	int	ret;

	if (links) {
		if ((r->is[KR_ROT_ROOT] != NULL && (ret = kr_issue_store(
		    r->is[KR_ROT_ROOT], err)) != KR_OK) ||
		    (ret = kr_issue_store(r->is[0], err)) != KR_OK ||
		    (ret = kr_issue_store(r->is[1], err)) != KR_OK ||
		    (ret = kr_rot_pin_row(r, KR_ROT_OLD, 1, 1, KR_ROT_EVENT,
		    err)) != KR_OK ||
		    (ret = kr_rot_pin_row(r, KR_ROT_NEW, 2, 1, KR_ROT_EVENT,
		    err)) != KR_OK || r->drop == NULL)
			return ret;
		return kr_rot_pin_row(r, KR_ROT_DROP, 0, 0, KR_ROT_EVENT, err);
	}
	if (consent && (ret = kr_rot_pin_row(r, KR_ROT_OLD, 0, 0,
	    KR_ROT_FINISH_EVENT, err)) != KR_OK)
		return ret;
	return kr_rot_pin_row(r, KR_ROT_NEW, 1, 0, KR_ROT_FINISH_EVENT, err);
}

static int
kr_rot_record(struct kr_rot *r, bool links, bool consent,
    struct kr_err *err)
{
	static const int	both[2] = { KR_ROT_OLD, KR_ROT_NEW };
	static const int	fresh[1] = { KR_ROT_NEW };
	struct kr_sigmask	sig;
	int			ret;

	if ((ret = kr_store_begin(r->app->store, err)) != KR_OK)
		return ret;
	kr_signals_hold(&sig);
	if ((ret = kr_rot_rows(r, links, consent, err)) != KR_OK ||
	    (ret = kr_store_commit(r->app->store, err)) != KR_OK) {
		kr_store_rollback(r->app->store);
		kr_signals_release(&sig);
		return ret;
	}
	ret = kr_rot_write(r, links ? 2 : 0, links ? both : fresh, err);
	kr_signals_release(&sig);
	return ret;
}

/*
 * The newest pin set's pins that the rotation's pin set (the old root
 * and the new) would drop while they are still trusted: the number, and
 * the first in `*first`.
 */
static size_t
kr_rot_drops(const struct kr_rot *r, const struct kr_pin **first)
{
	const struct kr_pinset	*pp = &r->prev;
	size_t			 i, n = 0;

	*first = NULL;
	for (i = 0; r->prev_row != 0 && i < pp->n; i++) {
		if (strcmp(pp->pins[i].spki_sha256, r->fp[KR_ROT_OLD]) == 0 ||
		    strcmp(pp->pins[i].spki_sha256, r->fp[KR_ROT_NEW]) == 0 ||
		    pp->pins[i].not_after <= r->now)
			continue;
		if (n++ == 0)
			*first = &pp->pins[i];
	}
	return n;
}

/* Refused: a root still trusted would be dropped without its quorum. */
static int
kr_rot_drop_refuse(struct kr_rot *r, const struct kr_pin *d, size_t n,
    struct kr_err *err)
{
	const struct kr_pinset	*pp = &r->prev;
	char			 end[KR_TIME_STR_BYTES], fin[256] = "";

	kr_time_format(d->not_after, end);
	if (pp->n == 2 && d == &pp->pins[0])
		(void)snprintf(fin, sizeof(fin), "`keyrite rotate finish --old "
		    "%s --new %s` ", pp->pins[0].key, pp->pins[1].key);
	if (n > 1)
		return kr_err_set(err, KR_EREFUSED, "pin set %lld (audit row "
		    "%lld) trusts %zu roots that pin set %lld would drop before "
		    "their pins end, key '%s' until %s the first: nothing was "
		    "asked or signed. Drop them first (`keyrite rotate finish`, "
		    "once each overlap has ended), then rotate",
		    (long long)pp->sequence, (long long)r->prev_row, n,
		    (long long)(r->max_seq + 1), d->key, end);
	return kr_err_set(err, KR_EREFUSED, "pin set %lld (audit row %lld) "
	    "trusts key '%s' until %s, and pin set %lld of this rotation "
	    "would pin only keys '%s' and '%s': devices would stop trusting "
	    "key '%s' before then, without its custodians. Nothing was asked "
	    "or signed. Either wait until %s and run %sfirst, or give --force "
	    "with the shares of key '%s' too (after both roots' shares): its "
	    "custodians consent to dropping it early, as `rotate finish "
	    "--force` asks", (long long)pp->sequence, (long long)r->prev_row,
	    d->key, end, (long long)(r->max_seq + 1), r->key[KR_ROT_OLD].name,
	    r->key[KR_ROT_NEW].name, d->key, end, fin[0] != '\0' ? fin :
	    "`keyrite rotate finish` ", d->key);
}

/*
 * A rotation's pin set pins its two roots only (docs/rotation.md): a
 * third root the newest pin set still trusts is dropped only with its
 * custodians' consent (--force and its quorum), as `rotate finish
 * --force` drops one.  Checked before any share is read.
 */
static int
kr_rot_drop_check(struct kr_rot *r, struct kr_err *err)
{
	struct kr_key_rec	*k = &r->key[KR_ROT_DROP];
	const struct kr_pin	*d;
	char			 fp[KR_FINGERPRINT_STR_BYTES];
	size_t			 n;
	int			 ret;

	if ((n = kr_rot_drops(r, &d)) == 0)
		return KR_OK;
	if (!r->req->force || n > 1)
		return kr_rot_drop_refuse(r, d, n, err);
	if ((ret = kr_store_key_get(r->app->store, d->key, k, err)) != KR_OK)
		return kr_err_prefix(err, "key '%s' (pinned by pin set %lld), "
		    "whose custodians are to consent to --force: ", d->key,
		    (long long)r->prev.sequence);
	kr_spki_fingerprint(k->spki, k->spki_len, fp);
	if (strcmp(fp, d->spki_sha256) != 0)
		return kr_err_set(err, KR_ESTATE, "key '%s' on this appliance "
		    "is not the key pin set %lld pins under that name (its "
		    "SHA-256 %s, the pin's %s): `keyrite audit verify`",
		    d->key, (long long)r->prev.sequence, fp, d->spki_sha256);
	r->drop = d;
	return KR_OK;
}

/* Both roots, the overlap, the shares and the pin sets recorded so far. */
static int
kr_rot_root_check(struct kr_rot *r, struct kr_err *err)
{
	const struct kr_rotate_req	*q = r->req;
	char				 end[KR_TIME_STR_BYTES];
	char				 last[KR_TIME_STR_BYTES];
	int				 ret;

	if (q->out_dir == NULL && !q->dry_run)
		return kr_err_set(err, KR_EUSAGE, "give --out-dir DIR: the "
		    "link certificates and the pin set are written there");
	if (q->old_key != NULL && q->new_key != NULL &&
	    strcmp(q->old_key, q->new_key) == 0)
		return kr_err_set(err, KR_EUSAGE, "--old and --new name the "
		    "same key '%s'", q->old_key);
	r->rotating = true;
	if ((ret = kr_rot_root(r, KR_ROT_OLD, q->old_key, err)) != KR_OK ||
	    (ret = kr_rot_root(r, KR_ROT_NEW, q->new_key, err)) != KR_OK)
		return ret;
	r->days = q->overlap_days != 0 ? q->overlap_days : KR_ROT_DAYS_DEFAULT;
	r->res->overlap_end = r->now + (int64_t)r->days * 86400;
	if (r->res->overlap_end > r->root[KR_ROT_OLD].not_after) {
		kr_time_format(r->res->overlap_end, end);
		kr_time_format(r->root[KR_ROT_OLD].not_after, last);
		return kr_err_set(err, KR_EREFUSED, "the overlap would end on "
		    "%s, after the old root's certificate expires (%s): give "
		    "--overlap-days of at most %lld", end, last,
		    (long long)((r->root[KR_ROT_OLD].not_after - r->now) /
		    86400));
	}
	if ((ret = kr_rot_scan(r, err)) != KR_OK ||
	    (ret = kr_rot_drop_check(r, err)) != KR_OK)
		return ret;
	return kr_rot_split(r, KR_ROT_BIT(KR_ROT_OLD) | KR_ROT_BIT(KR_ROT_NEW) |
	    (r->drop != NULL ? KR_ROT_BIT(KR_ROT_DROP) : 0), err);
}

static int
kr_rot_root_prepare(struct kr_rot *r, struct kr_err *err)
{
	struct kr_pinset	ps;
	int			ret;

	memset(&ps, 0, sizeof(ps));
	if (r->req->new_subject != NULL && (ret = kr_rot_make(r, err)) !=
	    KR_OK)
		return ret;
	if ((ret = kr_rot_link(r, KR_ROT_OLD, err)) != KR_OK ||
	    (ret = kr_rot_link(r, KR_ROT_NEW, err)) != KR_OK)
		return ret;
	ps.n = 2;
	kr_rot_pin(r, KR_ROT_OLD, r->res->overlap_end, &ps.pins[0]);
	kr_rot_pin(r, KR_ROT_NEW, r->root[KR_ROT_NEW].not_after, &ps.pins[1]);
	if ((ret = kr_rot_pinset(r, &ps, err)) != KR_OK)
		return ret;
	return kr_rot_pin_paths(r, 2, err);
}

/* Who signs the rotation's pin set, and who consents to a drop. */
static void
kr_rot_signers(const struct kr_rot *r, char *who, size_t cap)
{
	char	end[KR_TIME_STR_BYTES] = "";

	if (r->drop != NULL)
		kr_time_format(r->drop->not_after, end);
	(void)snprintf(who, cap, "keys '%s' and '%s'%s%s%s%s%s",
	    r->key[KR_ROT_OLD].name, r->key[KR_ROT_NEW].name,
	    r->drop != NULL ? " (dropping key '" : "",
	    r->drop != NULL ? r->drop->key : "",
	    r->drop != NULL ? "', trusted until " : "", end,
	    r->drop != NULL ? ", with its custodians' consent)" : "");
}

static int
kr_rot_root_run(struct kr_rot *r, struct kr_err *err)
{
	char	who[3 * KR_KEY_NAME_MAX + 128];
	size_t	i;
	int	k, ret;

	if ((ret = kr_rot_root_check(r, err)) != KR_OK ||
	    (ret = kr_rot_root_prepare(r, err)) != KR_OK)
		return ret;
	kr_rot_signers(r, who, sizeof(who));
	/* Everything shown, then one question, after the pin set. */
	if ((r->is[KR_ROT_ROOT] != NULL && (ret = kr_issue_show(
	    r->is[KR_ROT_ROOT], r->src, false, err)) != KR_OK) ||
	    (ret = kr_issue_show(r->is[KR_ROT_OLD], r->src, false, err)) !=
	    KR_OK ||
	    (ret = kr_issue_show(r->is[KR_ROT_NEW], r->src, false, err)) !=
	    KR_OK ||
	    (ret = kr_rot_pin_show(r, who, err)) != KR_OK || r->req->dry_run)
		return ret;
	for (i = 0; i < r->norder; i++)
		if ((ret = kr_rot_unlock(r, r->order[i], KR_ROT_EVENT,
		    r->order[i] != KR_ROT_DROP, err)) != KR_OK)
			return ret;
	kr_signer_free(&r->s[KR_ROT_DROP]);	/* its quorum consents only */
	if (r->is[KR_ROT_ROOT] != NULL && (ret = kr_issue_sign_as(
	    r->is[KR_ROT_ROOT], r->s[KR_ROT_NEW], r->res->quorum[KR_ROT_NEW], 2,
	    NULL, err)) != KR_OK)
		return ret;
	for (k = 0; k < 2; k++)
		if ((ret = kr_issue_sign_as(r->is[k], r->s[k],
		    r->res->quorum[k], 0, KR_ROT_EVENT, err)) != KR_OK ||
		    (ret = kr_rot_pin_sign(r, k, err)) != KR_OK)
			return ret;
	for (k = 0; k < 2; k++)
		kr_signer_free(&r->s[k]);
	return kr_rot_record(r, true, false, err);
}

static struct kr_rot *
kr_rot_new(struct kr_appliance *app, const struct kr_rotate_req *req,
    const struct kr_passphrase_source *src, struct kr_rotate_result *res)
{
	struct kr_rot	*r;

	memset(res, 0, sizeof(*res));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->app = app;
	r->req = req;
	r->src = src;
	r->res = res;
	r->now = kr_time_now();
	return r;
}

static void
kr_rot_free(struct kr_rot *r)
{
	int	k;

	kr_signer_free(&r->s[KR_ROT_DROP]);
	for (k = 0; k < 2; k++) {
		kr_signer_free(&r->s[k]);
		kr_issue_free(&r->is[k]);
		kr_store_cert_clear(&r->root[k]);	/* and a template */
	}
	kr_issue_free(&r->is[KR_ROT_ROOT]);
	free(r->pin_text);
	sodium_memzero(r, sizeof(*r));
	free(r);
}

static int
kr_rot_call(struct kr_appliance *app, const struct kr_rotate_req *req,
    const struct kr_passphrase_source *src, struct kr_rotate_result *res,
    int (*run)(struct kr_rot *, struct kr_err *), struct kr_err *err)
{
	struct kr_rot	*r;
	int		 ret;

	if ((r = kr_rot_new(app, req, src, res)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = run(r, err);
	kr_rot_free(r);
	return ret;
}

int
kr_authority_rotate_root(struct kr_appliance *app,
    const struct kr_rotate_req *req, const struct kr_passphrase_source *src,
    struct kr_rotate_result *res, struct kr_err *err)
{
	return kr_rot_call(app, req, src, res, kr_rot_root_run, err);
}

/*
 * A later pin set than the transition (a rotation from the new root to a
 * third one, say) that pins another key than the new root: finishing
 * now would sign a higher sequence without it, rolling devices back.
 */
static int
kr_rot_finish_later(struct kr_rot *r, struct kr_err *err)
{
	const struct kr_pinset	*pp = &r->prev;
	size_t			 i;

	if (pp->sequence <= r->last_seq)
		return KR_OK;
	for (i = 0; i < pp->n; i++)
		if (strcmp(pp->pins[i].spki_sha256, r->fp[KR_ROT_NEW]) != 0)
			break;
	if (i == pp->n)
		return KR_OK;
	return kr_err_set(err, KR_EREFUSED, "pin set %lld (audit row %lld) "
	    "came after the rotation from key '%s' to key '%s' (pin set %lld) "
	    "and pins key '%s' too: finishing that rotation now would sign pin "
	    "set %lld without it, and devices would stop trusting it. Nothing "
	    "was asked or signed. Finish the newest rotation instead%s%s%s%s%s",
	    (long long)pp->sequence, (long long)r->prev_row,
	    r->key[KR_ROT_OLD].name, r->key[KR_ROT_NEW].name,
	    (long long)r->last_seq, pp->pins[i].key,
	    (long long)(r->max_seq + 1), pp->n == 2 ? " (`keyrite rotate "
	    "finish --old " : "", pp->n == 2 ? pp->pins[0].key : "",
	    pp->n == 2 ? " --new " : "", pp->n == 2 ? pp->pins[1].key : "",
	    pp->n == 2 ? "`)" : "");
}

/* The transition pin set from the old root to the new, and its end. */
static int
kr_rot_finish_check(struct kr_rot *r, struct kr_err *err)
{
	const struct kr_rotate_req	*q = r->req;
	char				 end[KR_TIME_STR_BYTES];
	int				 ret;

	if (q->out_dir == NULL && !q->dry_run)
		return kr_err_set(err, KR_EUSAGE, "give --out-dir DIR: the "
		    "pin set is written there");
	if (q->old_key == NULL)
		return kr_err_set(err, KR_EUSAGE, "give --old KEY: the root "
		    "the pin set drops");
	if ((ret = kr_store_key_get(r->app->store, q->old_key,
	    &r->key[KR_ROT_OLD], err)) != KR_OK ||
	    (ret = kr_rot_root(r, KR_ROT_NEW, q->new_key, err)) != KR_OK)
		return ret;
	kr_spki_fingerprint(r->key[KR_ROT_OLD].spki,
	    r->key[KR_ROT_OLD].spki_len, r->fp[KR_ROT_OLD]);
	if ((ret = kr_rot_scan(r, err)) != KR_OK)
		return ret;
	if (r->last_seq == 0)
		return kr_err_set(err, KR_EREFUSED, "no pin set of a rotation "
		    "from key '%s' to key '%s' is recorded: run `keyrite rotate "
		    "root --old %s --new %s` first", q->old_key, q->new_key,
		    q->old_key, q->new_key);
	if ((ret = kr_rot_finish_later(r, err)) != KR_OK)
		return ret;
	r->res->overlap_end = r->last.pins[0].not_after;
	kr_time_format(r->res->overlap_end, end);
	if (r->now < r->res->overlap_end && !q->force)
		return kr_err_set(err, KR_EREFUSED, "the overlap of pin set "
		    "%lld ends on %s: until then devices trust both roots. To "
		    "drop key '%s' earlier, give --force with the shares of "
		    "both roots' custodians", (long long)r->last_seq, end,
		    q->old_key);
	return kr_rot_split(r, KR_ROT_BIT(KR_ROT_NEW) | (q->force &&
	    r->now < r->res->overlap_end ? KR_ROT_BIT(KR_ROT_OLD) : 0), err);
}

static int
kr_rot_finish_run(struct kr_rot *r, struct kr_err *err)
{
	struct kr_pinset	ps;
	char			who[2 * KR_KEY_NAME_MAX + 128];
	bool			consent;
	size_t			i;
	int			ret;

	if ((ret = kr_rot_finish_check(r, err)) != KR_OK)
		return ret;
	consent = r->req->force && r->now < r->res->overlap_end;
	memset(&ps, 0, sizeof(ps));
	ps.n = 1;
	ps.pins[0] = r->last.pins[1];
	if ((ret = kr_rot_pinset(r, &ps, err)) != KR_OK ||
	    (ret = kr_rot_pin_paths(r, 1, err)) != KR_OK)
		return ret;
	(void)snprintf(who, sizeof(who), "key '%s'%s%s%s",
	    r->key[KR_ROT_NEW].name, consent ? " (dropping key '" : "",
	    consent ? r->key[KR_ROT_OLD].name : "", consent ? "' before the "
	    "overlap ends, with its custodians' consent)" : "");
	if ((ret = kr_rot_pin_show(r, who, err)) != KR_OK || r->req->dry_run)
		return ret;
	for (i = 0; i < r->norder; i++)
		if ((ret = kr_rot_unlock(r, r->order[i], KR_ROT_FINISH_EVENT,
		    false, err)) != KR_OK)
			return ret;
	kr_signer_free(&r->s[KR_ROT_OLD]);	/* its quorum consents only */
	if ((ret = kr_rot_pin_sign(r, KR_ROT_NEW, err)) != KR_OK)
		return ret;
	kr_signer_free(&r->s[KR_ROT_NEW]);
	return kr_rot_record(r, false, consent, err);
}

int
kr_authority_rotate_finish(struct kr_appliance *app,
    const struct kr_rotate_req *req, const struct kr_passphrase_source *src,
    struct kr_rotate_result *res, struct kr_err *err)
{
	return kr_rot_call(app, req, src, res, kr_rot_finish_run, err);
}

void
kr_rotate_result_free(struct kr_rotate_result *res)
{
	if (res == NULL)
		return;
	kr_quorum_report_free(&res->quorum[0]);
	kr_quorum_report_free(&res->quorum[1]);
	kr_quorum_report_free(&res->quorum[2]);
}
