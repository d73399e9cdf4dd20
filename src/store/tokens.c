/*
 * Keys held on PKCS#11 tokens (schema v4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include <keyrite/base.h>
#include <keyrite/store.h>

#include "store_int.h"

int
kr_store_token_insert(struct kr_store *st, const struct kr_token_rec *t,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret;

	if ((ret = store_prepare(st, "INSERT INTO token_keys (key_id, module, "
	    "uri, token_label, token_serial, manufacturer, model, p11_id, "
	    "pin_mode, pins_location) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10)", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, t->key_id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, t->module, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, t->uri, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, t->token_label, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, t->token_serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, t->manufacturer, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, t->model, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 8, t->p11_id, sizeof(t->p11_id), SQLITE_STATIC);
	sqlite3_bind_text(stmt, 9, t->pin_mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 10, t->pins_location, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "recording a token key");
	if (ret == KR_OK)
		ret = store_bind_last(st, "token_keys", err);
	sqlite3_finalize(stmt);
	return ret;
}

static void
store_text(sqlite3_stmt *stmt, int col, char *out, size_t cap)
{
	const unsigned char	*p = sqlite3_column_text(stmt, col);

	(void)snprintf(out, cap, "%s", p != NULL ? (const char *)p : "");
}

int
kr_store_token_get(struct kr_store *st, const uint8_t *key_id,
    struct kr_token_rec *t, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	const void	*p;
	int		 rc, ret;

	memset(t, 0, sizeof(*t));
	if ((ret = store_prepare(st, "SELECT module, uri, token_label, "
	    "token_serial, manufacturer, model, p11_id, pin_mode, "
	    "pins_location FROM token_keys WHERE key_id = ?1", &stmt, err)) !=
	    KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, key_id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		memcpy(t->key_id, key_id, KR_STORE_ID_BYTES);
		store_text(stmt, 0, t->module, sizeof(t->module));
		store_text(stmt, 1, t->uri, sizeof(t->uri));
		store_text(stmt, 2, t->token_label, sizeof(t->token_label));
		store_text(stmt, 3, t->token_serial, sizeof(t->token_serial));
		store_text(stmt, 4, t->manufacturer, sizeof(t->manufacturer));
		store_text(stmt, 5, t->model, sizeof(t->model));
		if ((p = sqlite3_column_blob(stmt, 6)) != NULL &&
		    sqlite3_column_bytes(stmt, 6) == (int)sizeof(t->p11_id))
			memcpy(t->p11_id, p, sizeof(t->p11_id));
		store_text(stmt, 7, t->pin_mode, sizeof(t->pin_mode));
		store_text(stmt, 8, t->pins_location, sizeof(t->pins_location));
	} else if (rc == SQLITE_DONE) {
		ret = KR_ENOENT;
	} else {
		ret = store_sqlite_err(st, rc, err, "reading a token key");
	}
	sqlite3_finalize(stmt);
	return ret;
}

#define SIG_COLUMNS \
	"key_id, image_name, image_size, digest_alg, digest, format, output, " \
	"signature, cert_serial, manifest_entry, batch, created, out_head, " \
	"out_tail, out_img_off, out_copy_off, out_copy_len, kept_sha256"

static void
store_sig_bind_blob(sqlite3_stmt *stmt, int col, const uint8_t *p, size_t n)
{
	if (p != NULL)
		sqlite3_bind_blob(stmt, col, n > 0 ? (const void *)p : "",
		    (int)n, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, col);
}

int
kr_store_signature_insert(struct kr_store *st,
    const struct kr_signature_rec *r, int64_t *id, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret;

	if ((ret = store_prepare(st, "INSERT INTO signatures (" SIG_COLUMNS
	    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17, ?18)", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, r->key_id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, r->image_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, r->image_size);
	sqlite3_bind_text(stmt, 4, r->digest_alg, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, r->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, r->format, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, r->output, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 8, r->signature, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 9, r->cert_serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 10, r->manifest_entry, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 11, r->batch, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 12, r->created);
	store_sig_bind_blob(stmt, 13, r->out_head, r->out_head_len);
	store_sig_bind_blob(stmt, 14, r->out_tail, r->out_tail_len);
	sqlite3_bind_int64(stmt, 15, r->out_img_off);
	sqlite3_bind_int64(stmt, 16, r->out_copy_off);
	sqlite3_bind_int64(stmt, 17, r->out_copy_len);
	sqlite3_bind_text(stmt, 18, r->kept_sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "recording a signature");
	else if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	if (ret == KR_OK)
		ret = store_bind_last(st, "signatures", err);
	sqlite3_finalize(stmt);
	return ret;
}

void
kr_store_signature_clear(struct kr_signature_rec *r)
{
	if (r == NULL)
		return;
	free(r->out_head);
	free(r->out_tail);
	r->out_head = r->out_tail = NULL;
	r->out_head_len = r->out_tail_len = 0;
}

static int
store_sig_row(struct kr_store *st, sqlite3_stmt *stmt,
    struct kr_signature_rec *r, struct kr_err *err)
{
	int	ret;

	if ((ret = store_col_blob(st, stmt, 0, r->key_id, sizeof(r->key_id),
	    "a signature's key", err)) != KR_OK)
		return ret;
	store_text(stmt, 1, r->image_name, sizeof(r->image_name));
	r->image_size = sqlite3_column_int64(stmt, 2);
	store_text(stmt, 3, r->digest_alg, sizeof(r->digest_alg));
	store_text(stmt, 4, r->digest, sizeof(r->digest));
	store_text(stmt, 5, r->format, sizeof(r->format));
	store_text(stmt, 6, r->output, sizeof(r->output));
	store_text(stmt, 7, r->signature, sizeof(r->signature));
	store_text(stmt, 8, r->cert_serial, sizeof(r->cert_serial));
	store_text(stmt, 9, r->manifest_entry, sizeof(r->manifest_entry));
	store_text(stmt, 10, r->batch, sizeof(r->batch));
	r->created = sqlite3_column_int64(stmt, 11);
	r->out_img_off = sqlite3_column_int64(stmt, 14);
	r->out_copy_off = sqlite3_column_int64(stmt, 15);
	r->out_copy_len = sqlite3_column_int64(stmt, 16);
	store_text(stmt, 17, r->kept_sha256, sizeof(r->kept_sha256));
	if (store_blob_dup(stmt, 12, &r->out_head, &r->out_head_len) !=
	    KR_OK || store_blob_dup(stmt, 13, &r->out_tail,
	    &r->out_tail_len) != KR_OK) {
		kr_store_signature_clear(r);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	return KR_OK;
}

/* Every signature, oldest first; read-only (the inventory's list). */
int
kr_store_signature_foreach(struct kr_store *st, kr_signature_cb *cb,
    void *arg, struct kr_err *err)
{
	struct kr_signature_rec	 r;
	sqlite3_stmt		*stmt = NULL;
	int			 rc = SQLITE_DONE, ret;

	if ((ret = store_prepare(st, "SELECT " SIG_COLUMNS ", id FROM "
	    "signatures ORDER BY id", &stmt, err)) != KR_OK)
		return ret;
	while (ret == KR_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(stmt, 18);
		if ((ret = store_sig_row(st, stmt, &r, err)) != KR_OK)
			break;
		ret = cb(&r, arg);
		kr_store_signature_clear(&r);
	}
	if (ret == KR_OK && rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "reading signatures");
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_signature_get(struct kr_store *st, int64_t id,
    struct kr_signature_rec *r, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret;

	memset(r, 0, sizeof(*r));
	if ((ret = store_prepare(st, "SELECT " SIG_COLUMNS " FROM signatures "
	    "WHERE id = ?1", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		r->id = id;
		ret = store_sig_row(st, stmt, r, err);
	} else if (rc == SQLITE_DONE) {
		ret = KR_ENOENT;
	} else {
		ret = store_sqlite_err(st, rc, err, "reading signature %lld",
		    (long long)id);
	}
	sqlite3_finalize(stmt);
	return ret;
}
