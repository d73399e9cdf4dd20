/*
 * Signed approvals (docs/formats.md, "Approval statements").
 *
 * When a custodian's share of format 2 is opened for an operation, the
 * approval key in it signs one statement per thing the operation signs
 * (the appliance, the operation, the key, the share set, the custodian,
 * the SHA-256 of what is signed, the time) and is wiped at once.  The
 * signatures go into the operation's audit row as its "approvals" member,
 * so the chain binds them; `audit verify` rebuilds every statement from
 * the row and checks it with the custodian's recorded approval key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/der.h>

#include "authority_int.h"

#define APPROVAL_TAG		"keyrite-approval-v1"
#define APPROVAL_DIGEST_ALG	"sha256"
#define DIGEST_BYTES		32
#define ITEMS_MAX		100000

/* The statement. */

static void
put_field(struct kr_buf *b, const void *p, size_t n)
{
	kr_buf_put_u32(b, (uint32_t)n);
	kr_buf_put(b, p, n);
}

int
kr_approval_statement(struct kr_buf *b, const struct kr_approval_fields *f)
{
	uint8_t	x = (uint8_t)f->x, t[8];
	int	i;

	for (i = 0; i < 8; i++)
		t[i] = (uint8_t)((uint64_t)f->time >> (56 - 8 * i));
	kr_buf_put(b, APPROVAL_TAG, strlen(APPROVAL_TAG));
	put_field(b, f->appliance, strlen(f->appliance));
	put_field(b, f->op, strlen(f->op));
	put_field(b, f->key, strlen(f->key));
	put_field(b, f->key_id, KR_KEY_ID_BYTES);
	put_field(b, f->set_id, KR_SET_ID_BYTES);
	put_field(b, f->custodian, strlen(f->custodian));
	put_field(b, &x, 1);
	put_field(b, APPROVAL_DIGEST_ALG, strlen(APPROVAL_DIGEST_ALG));
	put_field(b, f->digest, DIGEST_BYTES);
	put_field(b, t, sizeof(t));
	return b->failed ? KR_ENOMEM : KR_OK;
}

/* Making approvals, at the unlock. */

void
kr_approvals_free(struct kr_approvals **ap)
{
	if (ap == NULL || *ap == NULL)
		return;
	free((*ap)->digests);
	free((*ap)->sigs);
	free(*ap);
	*ap = NULL;
}

static int
kr_approvals_digests(struct kr_approvals *a, const struct kr_key_rec *k,
    const struct kr_approval_subject *sub, struct kr_err *err)
{
	a->items = sub != NULL && sub->digests != NULL ? sub->n : 1;
	if (a->items == 0 || a->items > ITEMS_MAX)
		return kr_err_set(err, KR_EINTERNAL, "%zu things to approve",
		    a->items);
	if ((a->digests = calloc(a->items, DIGEST_BYTES)) == NULL ||
	    (a->sigs = calloc(a->items * a->slots,
	    KR_APPROVAL_SIG_BYTES)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (sub != NULL && sub->digests != NULL)
		memcpy(a->digests, sub->digests, a->items * DIGEST_BYTES);
	else if (kr_hash(KR_HASH_SHA256, k->spki, k->spki_len, a->digests) !=
	    KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "cannot hash key '%s'",
		    k->name);
	return KR_OK;
}

int
kr_approvals_new(struct kr_appliance *app, const struct kr_key_rec *k,
    const struct kr_set_rec *set, const struct kr_approval_subject *sub,
    const char *op, size_t slots, struct kr_approvals **out,
    struct kr_err *err)
{
	struct kr_approvals	*a;
	int			 ret;

	*out = NULL;
	if (slots == 0 || slots > KR_CUSTODIANS_MAX)
		return kr_err_set(err, KR_EINTERNAL, "%zu shares to approve",
		    slots);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	a->slots = slots;
	(void)snprintf(a->op, sizeof(a->op), "%s", sub != NULL &&
	    sub->op != NULL ? sub->op : op);
	(void)snprintf(a->key, sizeof(a->key), "%s", k->name);
	memcpy(a->key_id, k->id, sizeof(a->key_id));
	memcpy(a->set_id, set->id, sizeof(a->set_id));
	if ((ret = kr_store_meta_get(app->store, "appliance_id", a->appliance,
	    sizeof(a->appliance), err)) != KR_OK ||
	    (ret = kr_approvals_digests(a, k, sub, err)) != KR_OK) {
		kr_approvals_free(&a);
		return ret;
	}
	*out = a;
	return KR_OK;
}

/*
 * Right after share slot i opened: its approval key signs every item,
 * then is wiped.  A share of format 1 has none: its approval is unsigned.
 */
int
kr_approvals_sign(struct kr_approvals *a, size_t i, struct kr_share *sh,
    struct kr_err *err)
{
	struct kr_approval_signer	*sg = &a->signer[i];
	struct kr_approval_fields	 f;
	struct kr_buf			 b;
	size_t				 it;
	int				 ret = KR_OK;

	if (i >= a->slots)
		return kr_err_set(err, KR_EINTERNAL, "share %zu of %zu", i + 1,
		    a->slots);
	memset(sg, 0, sizeof(*sg));
	(void)snprintf(sg->custodian, sizeof(sg->custodian), "%s",
	    sh->h.custodian);
	sg->x = sh->h.x;
	sg->time = kr_time_now();
	if (!kr_share_has_approval_key(sh))
		return KR_OK;
	memcpy(sg->pk, sh->h.approval_pk, sizeof(sg->pk));
	f.appliance = a->appliance;
	f.op = a->op;
	f.key = a->key;
	f.key_id = a->key_id;
	f.set_id = a->set_id;
	f.custodian = sg->custodian;
	f.x = sg->x;
	f.time = sg->time;
	for (it = 0; it < a->items && ret == KR_OK; it++) {
		f.digest = a->digests + it * DIGEST_BYTES;
		kr_buf_init(&b, false);
		if ((ret = kr_approval_statement(&b, &f)) == KR_OK)
			ret = kr_share_approve(sh, b.p, b.len, a->sigs +
			    (it * a->slots + i) * KR_APPROVAL_SIG_BYTES, err);
		else
			ret = kr_err_set(err, ret, "out of memory");
		kr_buf_free(&b);
	}
	kr_share_approval_forget(sh);
	sg->has_sig = ret == KR_OK;
	return ret;
}

/* The "approvals" member of an audit row, for item `item`. */
static void
kr_approvals_signer_json(struct kr_buf *arr, const struct kr_approvals *a,
    size_t i, size_t item)
{
	const struct kr_approval_signer	*sg = &a->signer[i];
	uint8_t				 pkd[DIGEST_BYTES];
	struct kr_json			 o;

	kr_json_begin(&o);
	kr_json_str(&o, "custodian", sg->custodian);
	kr_json_int(&o, "x", sg->x);
	kr_json_int(&o, "time", sg->time);
	if (kr_hash(KR_HASH_SHA256, sg->pk, sizeof(sg->pk), pkd) != KR_OK)
		arr->failed = true;
	kr_json_hex(&o, "pk_sha256", pkd, sizeof(pkd));
	kr_json_hex(&o, "sig", a->sigs + (item * a->slots + i) *
	    KR_APPROVAL_SIG_BYTES, KR_APPROVAL_SIG_BYTES);
	kr_json_list_add(arr, &o);
}

void
kr_approvals_json(struct kr_json *j, const struct kr_quorum_report *q,
    size_t item)
{
	const struct kr_approvals	*a = q != NULL ? q->approvals : NULL;
	struct kr_json			 o;
	struct kr_buf			 arr;
	size_t				 i;
	bool				 all = true;

	if (a == NULL || item >= a->items)
		return;
	for (i = 0; i < q->given && i < a->slots; i++)
		if (q->shares[i].code == KR_OK && !a->signer[i].has_sig)
			all = false;
	kr_json_begin(&o);
	kr_json_hex(&o, "share_set", a->set_id, sizeof(a->set_id));
	if (!all) {
		kr_json_str(&o, "status", KR_APPROVALS_UNSIGNED);
		kr_json_raw(j, "approvals", kr_json_end(&o));
		kr_json_free(&o);
		return;
	}
	kr_json_str(&o, "status", "signed");
	kr_json_str(&o, "op", a->op);
	kr_json_str(&o, "key", a->key);
	kr_json_hex(&o, "key_id", a->key_id, sizeof(a->key_id));
	kr_json_str(&o, "digest_alg", APPROVAL_DIGEST_ALG);
	kr_json_hex(&o, "digest", a->digests + item * DIGEST_BYTES,
	    DIGEST_BYTES);
	kr_buf_init(&arr, false);
	for (i = 0; i < q->given && i < a->slots; i++)
		if (q->shares[i].code == KR_OK)
			kr_approvals_signer_json(&arr, a, i, item);
	kr_json_raw(&o, "signatures", kr_json_list_end(&arr));
	kr_json_raw(j, "approvals", kr_json_end(&o));
	kr_buf_free(&arr);
	kr_json_free(&o);
}
