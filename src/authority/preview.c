/*
 * See, then approve: what an operation is about to sign, as rows for the
 * operator and the witness to read before any passphrase is asked.  The
 * operations build it from what they prepared (the TBS, the CRL, the
 * images); the front end shows it and asks (kr_passphrase_source.confirm).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

static struct kr_preview_row *
kr_preview_add(struct kr_preview *pv, enum kr_preview_kind kind,
    const char *label)
{
	struct kr_preview_row	*r;
	size_t			 cap;

	if (pv->failed)
		return NULL;
	if (pv->n == pv->cap) {
		cap = pv->cap == 0 ? 16 : 2 * pv->cap;
		if ((r = reallocarray(pv->rows, cap, sizeof(*r))) == NULL) {
			pv->failed = true;
			return NULL;
		}
		pv->rows = r;
		pv->cap = cap;
	}
	r = &pv->rows[pv->n++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	(void)snprintf(r->label, sizeof(r->label), "%s", label);
	return r;
}

void
kr_preview_init(struct kr_preview *pv, const char *fmt, ...)
{
	va_list	ap;

	memset(pv, 0, sizeof(*pv));
	va_start(ap, fmt);
	(void)vsnprintf(pv->title, sizeof(pv->title), fmt, ap);
	va_end(ap);
}

void
kr_preview_text(struct kr_preview *pv, const char *label, const char *fmt,
    ...)
{
	struct kr_preview_row	*r;
	va_list			 ap;

	if ((r = kr_preview_add(pv, KR_PREVIEW_TEXT, label)) == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

void
kr_preview_hash(struct kr_preview *pv, const char *label, const uint8_t *h,
    size_t len)
{
	struct kr_preview_row	*r;

	if (len > sizeof(r->hash)) {
		pv->failed = true;
		return;
	}
	if ((r = kr_preview_add(pv, KR_PREVIEW_HASH, label)) == NULL)
		return;
	memcpy(r->hash, h, len);
	r->hash_len = len;
}

void
kr_preview_head(struct kr_preview *pv, const char *fmt, ...)
{
	struct kr_preview_row	*r;
	va_list			 ap;

	if ((r = kr_preview_add(pv, KR_PREVIEW_HEAD, "")) == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/* The last row moved up to `pos` (a count before the list it counts). */
void
kr_preview_move_last(struct kr_preview *pv, size_t pos)
{
	struct kr_preview_row	last;

	if (pv->failed || pv->n == 0 || pos >= pv->n - 1)
		return;
	last = pv->rows[pv->n - 1];
	memmove(&pv->rows[pos + 1], &pv->rows[pos],
	    (pv->n - 1 - pos) * sizeof(last));
	pv->rows[pos] = last;
}

void
kr_preview_free(struct kr_preview *pv)
{
	if (pv == NULL)
		return;
	free(pv->rows);
	pv->rows = NULL;
	pv->n = pv->cap = 0;
}

/*
 * Shown (and, unless a dry run, asked) before the quorum: a preview that
 * lost a row is not shown at all, and nothing is signed.
 */
int
kr_preview_confirm(const struct kr_passphrase_source *src,
    const struct kr_preview *pv, bool ask, struct kr_err *err)
{
	if (pv->failed)
		return kr_err_set(err, KR_ENOMEM, "out of memory while "
		    "preparing what is to be signed: nothing was signed");
	if (src == NULL || src->confirm == NULL)
		return KR_OK;
	return src->confirm(src->confirm_ctx, pv, ask, err);
}

struct kr_destroy_backups {
	struct kr_preview	*pv;
	size_t			 n;
};

static int
kr_destroy_backup_cb(int64_t seq, int64_t time, const char *to, void *arg)
{
	struct kr_destroy_backups	*db = arg;
	char				 when[KR_TIME_STR_BYTES];

	kr_time_format(time, when);
	kr_preview_text(db->pv, "backup holding it", "%s (audit row %lld, %s)",
	    to, (long long)seq, when);
	db->n++;
	return 0;
}

/* The recorded backups that still hold the key's sealed file. */
static void
kr_destroy_backups(struct kr_appliance *app, const char *name,
    struct kr_preview *pv)
{
	struct kr_destroy_backups	db = { pv, 0 };
	struct kr_err			e;

	if (kr_authority_backups_of_key(app, name, kr_destroy_backup_cb, &db,
	    &e) != KR_OK || db.n == 0)
		return;
	kr_preview_text(pv, "backups", "%zu recorded backup%s hold%s this "
	    "key's sealed file: destroy %s too, or the key lives on in %s "
	    "(docs/threat-model.md)", db.n, db.n == 1 ? "" : "s",
	    db.n == 1 ? "s" : "", db.n == 1 ? "it" : "them",
	    db.n == 1 ? "it" : "them");
}

/*
 * key destroy: what is about to be destroyed, before any passphrase.  A
 * key that cannot be found is left to the unlock to refuse in its words.
 */
int
kr_destroy_confirm(struct kr_appliance *app, const char *name,
    const struct kr_passphrase_source *src, struct kr_err *err)
{
	struct kr_key_rec	k;
	struct kr_preview	pv;
	struct kr_err		e;
	uint8_t			dig[32];
	char			when[KR_TIME_STR_BYTES];
	int			ret;

	if (kr_store_key_get(app->store, name, &k, &e) != KR_OK)
		return KR_OK;
	kr_preview_init(&pv, "Key to be DESTROYED: '%s'", k.name);
	kr_preview_text(&pv, "algorithm", "%s", k.alg);
	kr_preview_text(&pv, "purpose", "%s", k.purpose);
	kr_preview_text(&pv, "held", "%s (%s)", k.backend, k.location);
	if (kr_hash(KR_HASH_SHA256, k.spki, k.spki_len, dig) == KR_OK)
		kr_preview_hash(&pv, "key SHA-256", dig, sizeof(dig));
	kr_time_format(k.created, when);
	kr_preview_text(&pv, "created", "%s", when);
	kr_preview_text(&pv, "afterwards", "its material is removed and its "
	    "share set retired; its certificates and CRLs stay recorded");
	kr_destroy_backups(app, k.name, &pv);
	ret = kr_preview_confirm(src, &pv, true, err);
	kr_preview_free(&pv);
	return ret;
}
