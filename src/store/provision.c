/*
 * Provisioning records and renewals (schema v11).
 *
 * Both tables are bound to the audit chain like every other (ledger.c):
 * the replay at open proves each row, so a reader here serves rows that
 * were proven or the open refused (writers) or reported (readers) the
 * damage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include <keyrite/base.h>
#include <keyrite/store.h>

#include "store_int.h"

#define PROV_SELECT \
	"SELECT p.id, p.device_id, p.cert_id, p.identity_sha256, " \
	"p.bootstrap_sha256, p.operator, p.line, p.batch, p.record_sha256, " \
	"p.created, c.serial, c.issuer_key_id, c.not_after, " \
	"(SELECT o.serial FROM renewals r JOIN certificates o ON " \
	"o.id = r.renews_id WHERE r.cert_id = p.cert_id) " \
	"FROM provisioning p JOIN certificates c ON c.id = p.cert_id "

int
kr_store_prov_insert(struct kr_store *st, const struct kr_prov_rec *p,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret;

	if ((ret = store_prepare(st, "INSERT INTO provisioning (device_id, "
	    "cert_id, identity_sha256, bootstrap_sha256, operator, line, "
	    "batch, record_sha256, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "?7, ?8, ?9)", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_text(stmt, 1, p->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, p->cert_id);
	sqlite3_bind_text(stmt, 3, p->identity_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, p->bootstrap_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, p->operator, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, p->line, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, p->batch, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 8, p->record_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 9, p->created);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "recording the provisioning "
		    "of device %s", p->device_id);
	else
		ret = store_bind_last(st, "provisioning", err);
	sqlite3_finalize(stmt);
	return ret;
}

static int
store_prov_row(struct kr_store *st, sqlite3_stmt *stmt, struct kr_prov_rec *p,
    struct kr_err *err)
{
	int	ret;

	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(stmt, 0);
	p->cert_id = sqlite3_column_int64(stmt, 2);
	p->created = sqlite3_column_int64(stmt, 9);
	p->not_after = sqlite3_column_int64(stmt, 12);
	if ((ret = store_col_text(st, stmt, 1, p->device_id,
	    sizeof(p->device_id), "a device id", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 3, p->identity_sha256,
	    sizeof(p->identity_sha256), "a certificate hash", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 4, p->bootstrap_sha256,
	    sizeof(p->bootstrap_sha256), "a CA certificate hash", err)) !=
	    KR_OK ||
	    (ret = store_col_text(st, stmt, 5, p->operator,
	    sizeof(p->operator), "an operator", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 6, p->line, sizeof(p->line),
	    "a line", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 7, p->batch, sizeof(p->batch),
	    "a batch id", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 8, p->record_sha256,
	    sizeof(p->record_sha256), "a record hash", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 10, p->serial, sizeof(p->serial),
	    "a serial", err)) != KR_OK ||
	    (ret = store_col_blob(st, stmt, 11, p->issuer_key_id,
	    sizeof(p->issuer_key_id), "an issuer", err)) != KR_OK)
		return ret;
	if (sqlite3_column_type(stmt, 13) == SQLITE_NULL)
		return KR_OK;
	return store_col_text(st, stmt, 13, p->renews, sizeof(p->renews),
	    "a renewed serial", err);
}

static int
store_prov_rows(struct kr_store *st, const char *where, const char *value,
    kr_prov_cb *cb, void *arg, struct kr_err *err)
{
	struct kr_prov_rec	 p;
	sqlite3_stmt		*stmt = NULL;
	char			 sql[1024];
	int			 rc = SQLITE_DONE, ret;

	(void)snprintf(sql, sizeof(sql), "%s WHERE %s = ?1 ORDER BY p.id",
	    PROV_SELECT, where);
	if ((ret = store_prepare(st, sql, &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_text(stmt, 1, value, -1, SQLITE_STATIC);
	while (ret == KR_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if ((ret = store_prov_row(st, stmt, &p, err)) == KR_OK)
			ret = cb(&p, arg);
	if (ret == KR_OK && rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "reading provisioning "
		    "records");
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_prov_by_device(struct kr_store *st, const char *device_id,
    kr_prov_cb *cb, void *arg, struct kr_err *err)
{
	return store_prov_rows(st, "p.device_id COLLATE NOCASE", device_id,
	    cb, arg, err);
}

int
kr_store_prov_by_batch(struct kr_store *st, const char *batch,
    kr_prov_cb *cb, void *arg, struct kr_err *err)
{
	return store_prov_rows(st, "p.batch", batch, cb, arg, err);
}

int
kr_store_prov_by_cert(struct kr_store *st, int64_t cert_id,
    struct kr_prov_rec *p, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret;

	if ((ret = store_prepare_kept(st, PROV_SELECT "WHERE p.cert_id = ?1",
	    &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_int64(stmt, 1, cert_id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		ret = store_prov_row(st, stmt, p, err);
	else if (rc == SQLITE_DONE)
		ret = KR_ENOENT;
	else
		ret = store_sqlite_err(st, rc, err, "reading a provisioning "
		    "record");
	store_release(st, stmt);
	return ret;
}

int
kr_store_renewal_insert(struct kr_store *st, int64_t cert_id,
    int64_t renews_id, int64_t created, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret;

	if ((ret = store_prepare(st, "INSERT INTO renewals (cert_id, "
	    "renews_id, created) VALUES (?1, ?2, ?3)", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_int64(stmt, 1, cert_id);
	sqlite3_bind_int64(stmt, 2, renews_id);
	sqlite3_bind_int64(stmt, 3, created);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		ret = kr_err_set(err, KR_EEXIST, "the certificate was already "
		    "renewed: nothing was recorded");
	else if (rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "recording a renewal");
	else
		ret = store_bind_last(st, "renewals", err);
	sqlite3_finalize(stmt);
	return ret;
}

/* One integer from a query with one integer parameter or two. */
static int
store_one_id(struct kr_store *st, const char *sql, int64_t a,
    const uint8_t *blob, const char *text, int64_t *out, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret;

	if ((ret = store_prepare_kept(st, sql, &stmt, err)) != KR_OK)
		return ret;
	if (blob != NULL) {
		sqlite3_bind_blob(stmt, 1, blob, KR_STORE_ID_BYTES,
		    SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, text, -1, SQLITE_STATIC);
	} else
		sqlite3_bind_int64(stmt, 1, a);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*out = sqlite3_column_int64(stmt, 0);
	else if (rc == SQLITE_DONE)
		ret = KR_ENOENT;
	else
		ret = store_sqlite_err(st, rc, err, "reading a certificate's "
		    "records");
	store_release(st, stmt);
	return ret;
}

int
kr_store_renewal_of(struct kr_store *st, int64_t renews_id, int64_t *cert_id,
    struct kr_err *err)
{
	return store_one_id(st, "SELECT cert_id FROM renewals WHERE "
	    "renews_id = ?1", renews_id, NULL, NULL, cert_id, err);
}

int
kr_store_cert_id(struct kr_store *st, const uint8_t *issuer_key_id,
    const char *serial, int64_t *id, struct kr_err *err)
{
	return store_one_id(st, "SELECT id FROM certificates WHERE "
	    "issuer_key_id = ?1 AND serial = ?2", 0, issuer_key_id, serial, id,
	    err);
}
