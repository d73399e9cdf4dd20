/*
 * The certificate inventory (schema v2).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include <keyrite/base.h>
#include <keyrite/store.h>

#include "store_int.h"

#define CERT_COLUMNS \
	"id, issuer_key_id, serial, subject, subject_der, issuer_der, " \
	"not_before, not_after, spki_sha256, subject_key_id, profile, kind, " \
	"is_ca, der, sha256, created"

void
kr_store_cert_clear(struct kr_cert_rec *c)
{
	if (c == NULL)
		return;
	free(c->der);
	free(c->subject_der);
	free(c->issuer_der);
	c->der = c->subject_der = c->issuer_der = NULL;
}

int
kr_store_cert_insert(struct kr_store *st, const struct kr_cert_rec *c,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret = KR_EINTERNAL;

	if ((ret = store_prepare(st, "INSERT INTO certificates (" CERT_COLUMNS
	    ") VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	    "?12, ?13, ?14, ?15)", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, c->issuer_key_id, KR_STORE_ID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, c->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, c->subject, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 4, c->subject_der, (int)c->subject_der_len,
	    SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 5, c->issuer_der, (int)c->issuer_der_len,
	    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, c->not_before);
	sqlite3_bind_int64(stmt, 7, c->not_after);
	sqlite3_bind_text(stmt, 8, c->spki_sha256, -1, SQLITE_STATIC);
	if (c->has_subject_key)
		sqlite3_bind_blob(stmt, 9, c->subject_key_id,
		    KR_STORE_ID_BYTES, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 9);
	sqlite3_bind_text(stmt, 10, c->profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 11, c->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 12, c->is_ca ? 1 : 0);
	sqlite3_bind_blob(stmt, 13, c->der, (int)c->der_len, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 14, c->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 15, c->created);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		ret = KR_OK;
	else if (rc == SQLITE_CONSTRAINT_UNIQUE)
		ret = kr_err_set(err, KR_EEXIST, "serial %s was already issued "
		    "by this key (or the same certificate is recorded): "
		    "nothing was recorded", c->serial);
	else
		ret = store_sqlite_err(st, rc, err, "recording certificate %s",
		    c->serial);
	if (ret == KR_OK)
		ret = store_bind_last(st, "certificates", err);
	sqlite3_finalize(stmt);
	return ret;
}

int
store_blob_dup(sqlite3_stmt *stmt, int col, uint8_t **out, size_t *len)
{
	const void	*p = sqlite3_column_blob(stmt, col);
	int		 n = sqlite3_column_bytes(stmt, col);

	*out = NULL;
	*len = 0;
	if (p == NULL || n <= 0)
		return KR_OK;
	if ((*out = malloc((size_t)n)) == NULL)
		return KR_ENOMEM;
	memcpy(*out, p, (size_t)n);
	*len = (size_t)n;
	return KR_OK;
}

static int
store_cert_row(struct kr_store *st, sqlite3_stmt *stmt, struct kr_cert_rec *c,
    struct kr_err *err)
{
	int	ret;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(stmt, 0);
	if ((ret = store_col_blob(st, stmt, 1, c->issuer_key_id,
	    sizeof(c->issuer_key_id), "a certificate's issuer", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 2, c->serial, sizeof(c->serial),
	    "a serial", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 3, c->subject, sizeof(c->subject),
	    "a subject", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 8, c->spki_sha256,
	    sizeof(c->spki_sha256), "a key hash", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 10, c->profile, sizeof(c->profile),
	    "a profile", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 11, c->kind, sizeof(c->kind),
	    "a kind", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 14, c->sha256, sizeof(c->sha256),
	    "a certificate hash", err)) != KR_OK)
		return ret;
	c->not_before = sqlite3_column_int64(stmt, 6);
	c->not_after = sqlite3_column_int64(stmt, 7);
	if (sqlite3_column_type(stmt, 9) == SQLITE_BLOB) {
		c->has_subject_key = true;
		if ((ret = store_col_blob(st, stmt, 9, c->subject_key_id,
		    sizeof(c->subject_key_id), "a subject key", err)) != KR_OK)
			return ret;
	}
	c->is_ca = sqlite3_column_int(stmt, 12) != 0;
	c->created = sqlite3_column_int64(stmt, 15);
	if (store_blob_dup(stmt, 4, &c->subject_der, &c->subject_der_len) !=
	    KR_OK || store_blob_dup(stmt, 5, &c->issuer_der,
	    &c->issuer_der_len) != KR_OK ||
	    store_blob_dup(stmt, 13, &c->der, &c->der_len) != KR_OK) {
		kr_store_cert_clear(c);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	return KR_OK;
}

/* Runs a prepared SELECT of CERT_COLUMNS, calling cb per row. */
static int
store_cert_rows(struct kr_store *st, sqlite3_stmt *stmt, kr_cert_cb *cb,
    void *arg, struct kr_err *err)
{
	struct kr_cert_rec	c;
	int			rc = SQLITE_DONE, ret = KR_OK;

	while (ret == KR_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((ret = store_cert_row(st, stmt, &c, err)) != KR_OK)
			break;
		ret = cb(&c, arg);
		kr_store_cert_clear(&c);
	}
	if (ret == KR_OK && rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "reading certificates");
	return ret;
}

int
kr_store_cert_foreach(struct kr_store *st, kr_cert_cb *cb, void *arg,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret;

	if ((ret = store_prepare(st, "SELECT " CERT_COLUMNS " FROM "
	    "certificates ORDER BY id", &stmt, err)) != KR_OK)
		return ret;
	ret = store_cert_rows(st, stmt, cb, arg, err);
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_cert_by_serial(struct kr_store *st, const char *serial,
    kr_cert_cb *cb, void *arg, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret;

	if ((ret = store_prepare(st, "SELECT " CERT_COLUMNS " FROM "
	    "certificates WHERE serial = ?1 ORDER BY id", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_text(stmt, 1, serial, -1, SQLITE_STATIC);
	ret = store_cert_rows(st, stmt, cb, arg, err);
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_cert_by_spki(struct kr_store *st, const char *spki_sha256,
    kr_cert_cb *cb, void *arg, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret;

	if ((ret = store_prepare(st, "SELECT " CERT_COLUMNS " FROM "
	    "certificates WHERE spki_sha256 = ?1 ORDER BY id", &stmt, err)) !=
	    KR_OK)
		return ret;
	sqlite3_bind_text(stmt, 1, spki_sha256, -1, SQLITE_STATIC);
	ret = store_cert_rows(st, stmt, cb, arg, err);
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_cert_by_issuer(struct kr_store *st, const uint8_t *issuer_key_id,
    int64_t at, kr_cert_cb *cb, void *arg, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret;

	if ((ret = store_prepare(st, "SELECT " CERT_COLUMNS " FROM "
	    "certificates WHERE issuer_key_id = ?1 AND not_after >= ?2 ORDER "
	    "BY id", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, issuer_key_id, KR_STORE_ID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, at);
	ret = store_cert_rows(st, stmt, cb, arg, err);
	sqlite3_finalize(stmt);
	return ret;
}

static int
store_cert_take_first(const struct kr_cert_rec *c, void *arg)
{
	struct kr_cert_rec	*out = arg;

	*out = *c;
	/* Ownership of the buffers moves to the caller's record. */
	((struct kr_cert_rec *)c)->der = NULL;
	((struct kr_cert_rec *)c)->subject_der = NULL;
	((struct kr_cert_rec *)c)->issuer_der = NULL;
	return 1;
}

int
kr_store_cert_for_key(struct kr_store *st, const char *spki_sha256,
    int64_t now, struct kr_cert_rec *out, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret;

	memset(out, 0, sizeof(*out));
	if ((ret = store_prepare(st, "SELECT " CERT_COLUMNS " FROM "
	    "certificates WHERE spki_sha256 = ?1 AND is_ca = 1 AND "
	    "not_before <= ?2 AND not_after >= ?2 ORDER BY kind = 'cross', "
	    "id DESC", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_text(stmt, 1, spki_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, now);
	ret = store_cert_rows(st, stmt, store_cert_take_first, out, err);
	sqlite3_finalize(stmt);
	if (ret == 1)
		return KR_OK;
	if (ret == KR_OK)
		return KR_ENOENT;
	return ret;
}

int
kr_store_serial_used(struct kr_store *st, const uint8_t *issuer_key_id,
    const char *serial, bool *used, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret;

	*used = false;
	if ((ret = store_prepare(st, "SELECT 1 FROM certificates WHERE "
	    "issuer_key_id = ?1 AND serial = ?2", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, issuer_key_id, KR_STORE_ID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, serial, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*used = true;
	else if (rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "checking serial %s",
		    serial);
	sqlite3_finalize(stmt);
	return ret;
}
