/*
 * Revocations, imported certificates, CRLs and OCSP responses (schema v3).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include <keyrite/base.h>
#include <keyrite/store.h>

#include "store_int.h"

#define ITER_COLUMNS	"id, serial, revoked_at, reason, invalidity"
#define REV_COLUMNS \
	"id, issuer_key_id, serial, revoked_at, reason, invalidity, " \
	"expires, coalesce(lifted_at, 0), source"

/* Steps an insert; a new row of `table` (when set) is queued for binding. */
static int
store_done(struct kr_store *st, sqlite3_stmt *stmt, const char *what,
    const char *dup, const char *table, struct kr_err *err)
{
	int	rc = sqlite3_step(stmt), ret;

	if (rc == SQLITE_DONE)
		ret = table != NULL ? store_bind_last(st, table, err) : KR_OK;
	else if (rc == SQLITE_CONSTRAINT_UNIQUE && dup != NULL)
		ret = kr_err_set(err, KR_EEXIST, "%s", dup);
	else
		ret = store_sqlite_err(st, rc, err, "%s", what);
	sqlite3_finalize(stmt);
	return ret;
}

#define REV_HEAD \
	"INSERT INTO revocations (issuer_key_id, serial, revoked_at, reason, " \
	"invalidity, expires, lifted_at, source) VALUES "
#define REV_ROW		"(?, ?, ?, ?, ?, ?, NULL, ?)"
#define REV_PARAMS	7
#define REV_INSERT	REV_HEAD REV_ROW
#define REV_DUP \
	"this serial is already revoked by this issuer: a certificate is " \
	"revoked once"
#define EXT_HEAD \
	"INSERT INTO external_certs (issuer_key_id, serial, status, expires, " \
	"subject, source) VALUES "
#define EXT_ROW		"(?, ?, ?, ?, ?, ?)"
#define EXT_PARAMS	6
#define EXT_INSERT	EXT_HEAD EXT_ROW
#define EXT_DUP "this serial is already in the inventory of this issuer"

/* Binds one row's values from parameter at + 1 on. */
static void
store_rev_bind(sqlite3_stmt *stmt, int at, const void *rec)
{
	const struct kr_revocation_rec	*r = rec;

	sqlite3_bind_blob(stmt, at + 1, r->issuer_key_id, KR_STORE_ID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_blob(stmt, at + 2, r->serial, (int)r->serial_len,
	    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, at + 3, r->revoked_at);
	sqlite3_bind_int(stmt, at + 4, r->reason);
	sqlite3_bind_int64(stmt, at + 5, r->invalidity);
	sqlite3_bind_int64(stmt, at + 6, r->expires);
	sqlite3_bind_text(stmt, at + 7, r->source, -1, SQLITE_STATIC);
}

/*
 * A serial the issuer's revocations do not hold.  For a certificate
 * keyrite issued with that key, the open's replay has proven it: such a
 * revocation is only ever bound row by row (an import naming it is
 * refused).  Any other serial may have sat in a bulk import, which is
 * hashed (once) to prove nothing was deleted or changed there.
 */
static int
store_revocation_absent(struct kr_store *st, const uint8_t *issuer,
    const uint8_t *serial, size_t len, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	char		 hex[2 * KR_STORE_SERIAL_MAX + 1];
	int		 rc, ret;

	if (len == 0 || len > KR_STORE_SERIAL_MAX)
		return store_check_absent(st, issuer, err);
	kr_hex_encode(hex, serial, len);
	if ((ret = store_prepare_kept(st, "SELECT 1 FROM certificates WHERE "
	    "issuer_key_id = ?1 AND serial = ?2", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, issuer, KR_STORE_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	store_release(st, stmt);
	if (rc == SQLITE_ROW)
		return KR_OK;
	if (rc != SQLITE_DONE)
		return store_sqlite_err(st, rc, err, "looking up a serial");
	return store_check_absent(st, issuer, err);
}

int
kr_store_revocation_insert(struct kr_store *st,
    const struct kr_revocation_rec *r, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret;

	/* A duplicate is refused by the table; its absence must be proven. */
	if ((ret = store_revocation_absent(st, r->issuer_key_id, r->serial,
	    r->serial_len, err)) != KR_OK ||
	    (ret = store_prepare(st, REV_INSERT, &stmt, err)) != KR_OK)
		return ret;
	store_rev_bind(stmt, 0, r);
	return store_done(st, stmt, "recording a revocation", REV_DUP,
	    "revocations", err);
}

static void
store_rev_row(sqlite3_stmt *stmt, struct kr_revocation_rec *r)
{
	const void	*p;
	int		 n;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(stmt, 0);
	if ((p = sqlite3_column_blob(stmt, 1)) != NULL &&
	    sqlite3_column_bytes(stmt, 1) == KR_STORE_ID_BYTES)
		memcpy(r->issuer_key_id, p, KR_STORE_ID_BYTES);
	p = sqlite3_column_blob(stmt, 2);
	n = sqlite3_column_bytes(stmt, 2);
	if (p != NULL && n > 0 && n <= KR_STORE_SERIAL_MAX) {
		memcpy(r->serial, p, (size_t)n);
		r->serial_len = (size_t)n;
	}
	r->revoked_at = sqlite3_column_int64(stmt, 3);
	r->reason = sqlite3_column_int(stmt, 4);
	r->invalidity = sqlite3_column_int64(stmt, 5);
	r->expires = sqlite3_column_int64(stmt, 6);
	r->lifted_at = sqlite3_column_int64(stmt, 7);
	p = sqlite3_column_text(stmt, 8);
	n = sqlite3_column_bytes(stmt, 8);
	if (p != NULL && n > 0 && (size_t)n < sizeof(r->source))
		memcpy(r->source, p, (size_t)n);	/* zeroed above */
}

int
kr_store_revocation_get(struct kr_store *st, const uint8_t *issuer,
    const uint8_t *serial, size_t len, struct kr_revocation_rec *r,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret;

	if ((ret = store_prepare_kept(st, "SELECT " REV_COLUMNS " FROM "
	    "revocations WHERE issuer_key_id = ?1 AND serial = ?2", &stmt,
	    err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, issuer, KR_STORE_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 2, serial, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		store_rev_row(stmt, r);
		ret = store_check_id(st, "revocations", r->id, err);
	} else if (rc == SQLITE_DONE) {
		/* Not there: unless a bulk import lost it behind our back. */
		if ((ret = store_revocation_absent(st, issuer, serial, len,
		    err)) == KR_OK)
			ret = KR_ENOENT;
	} else {
		ret = store_sqlite_err(st, rc, err, "reading a revocation");
	}
	store_release(st, stmt);
	return ret;
}

int
kr_store_revocation_lift(struct kr_store *st, int64_t id, int64_t when,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret;

	if ((ret = store_prepare(st, "UPDATE revocations SET lifted_at = ?2 "
	    "WHERE id = ?1 AND reason = 6 AND lifted_at IS NULL", &stmt,
	    err)) != KR_OK)
		return ret;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, when);
	ret = store_done(st, stmt, "lifting a certificate hold", NULL, NULL,
	    err);
	if (ret == KR_OK && sqlite3_changes(st->db) != 1)
		ret = kr_err_set(err, KR_EREFUSED, "only a certificateHold "
		    "that is still in force can be lifted");
	if (ret == KR_OK)
		ret = store_bind_rowid(st, "revocations.lifted", id, err);
	return ret;
}

static int
store_int64_query(struct kr_store *st, const char *sql, const uint8_t *id,
    int64_t *out, const char *what, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret;

	*out = 0;
	if ((ret = store_prepare(st, sql, &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(stmt, 0);
	else if (rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "%s", what);
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_revocation_max_id(struct kr_store *st, const uint8_t *issuer,
    int64_t *out, struct kr_err *err)
{
	/* Backwards in row order: immediate when one issuer holds most rows. */
	return store_int64_query(st, "SELECT id FROM revocations WHERE "
	    "+issuer_key_id = ?1 ORDER BY id DESC LIMIT 1", issuer, out,
	    "reading the revocations", err);
}

/*
 * The CRL iterators.  The base and delta iterators read every revocation
 * row of the issuer in id order, with what the CRL is built from and what
 * decides whether a row is listed, prove each row against the audit chain
 * as it passes (store_pwalk), and return the rows the CRL lists.  The
 * proof ends with the last row: a caller uses nothing before the
 * iterator has said 0.
 *
 * Reading and proving a million rows costs about as much as encoding
 * their CRL entries, so a proving iterator reads on a second thread (the
 * producer): it fills a ring of batches with listed rows, in turn, while
 * the caller takes the rows of the filled ones.  The ring is deep (about
 * 12 ms of reading) because the caller stalls for milliseconds at a time
 * while the kernel finds fresh pages for its CRL buffer; with two batches
 * the producer waited through each stall (a build of 1M entries with
 * memory fresh from the host: 0.40 s against 0.23 s).  The producer owns
 * the connection (opened without SQLite's mutexes) from the first
 * kr_store_rev_iter_next until the iterator has ended or is closed.  Its
 * end (0, or the error of the row that failed, message and all) comes
 * after the rows before it, as it did when the caller's thread read them.
 * With no thread to be had, each batch is read on the caller's thread
 * when it is wanted.
 */
#define BUILD_COLUMNS \
	"id, serial, revoked_at, reason, invalidity, expires, lifted_at"
#define ITER_BATCH	4096			/* listed rows */
#define ITER_BATCHES	16			/* in the ring: 3.7 MB */
#define ITER_STEPS	(4 * ITER_BATCH)	/* rows read (a delta lists few) */
#define ITER_FN		"kr_rev_row"
#define ITER_PTR	"kr_rev_iter"

/* What a CRL entry needs of a listed row. */
struct iter_row {
	int64_t		 id;
	int64_t		 revoked_at;
	int64_t		 invalidity;
	int		 reason;
	uint8_t		 serial_len;
	uint8_t		 serial[KR_STORE_SERIAL_MAX];
};

struct iter_batch {
	struct iter_row	 rows[ITER_BATCH];
	size_t		 n;
	int		 end;		/* 1: more follow; else the last (ret) */
	bool		 ready;		/* the caller's (under mu) */
};

struct kr_rev_iter {
	struct kr_store		*st;
	sqlite3_stmt		*stmt;
	struct store_pwalk	*w;		/* NULL: rows as selected */
	int64_t			 now;
	int64_t			 base_max_id;	/* a delta: > 0 */
	int64_t			 base_this_update;
	/* A proving iterator's ring of batches (see above). */
	struct iter_batch	*b;
	struct iter_batch	*cur;		/* ready, being read */
	int			 take;		/* the one read next */
	size_t			 pos;		/* cur's next row */
	bool			 started, threaded;
	bool			 done;		/* rows as selected: spent */
	bool			 stop;		/* under mu */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 tid;
	struct kr_err		 perr;		/* the producer's */
	/* The producer's, for iter_row_fn during its sqlite3_step. */
	uint8_t			 issuer[KR_STORE_ID_BYTES];
	struct iter_batch	*fill;		/* the batch being filled */
	int			 steps;		/* rows read into it */
	int			 fret;		/* a row's failure */
};

int
kr_store_rev_iter_open(struct kr_store *st, const uint8_t *issuer,
    int64_t now, int64_t delta_base_max_id, int64_t base_this_update,
    struct kr_rev_iter **out, struct kr_err *err)
{
	struct kr_rev_iter	*it;
	int			 ret;

	*out = NULL;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	it->st = st;
	it->now = now;
	it->base_max_id = delta_base_max_id;
	it->base_this_update = base_this_update;
	memcpy(it->issuer, issuer, sizeof(it->issuer));
	/*
	 * The table in row order (not through the serial index row by row,
	 * several times slower for the large CRLs this streams), each row
	 * handed to iter_row_fn; a result row ends a batch.
	 */
	if ((ret = store_prepare(st, "SELECT 1 FROM revocations WHERE "
	    ITER_FN "(?1, issuer_key_id, " BUILD_COLUMNS ") ORDER BY id",
	    &it->stmt, err)) != KR_OK ||
	    (ret = store_pwalk_new(st, issuer, &it->w, err)) != KR_OK) {
		kr_store_rev_iter_close(&it);
		return ret;
	}
	if ((it->b = calloc(ITER_BATCHES, sizeof(*it->b))) == NULL) {
		kr_store_rev_iter_close(&it);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	(void)pthread_mutex_init(&it->mu, NULL);
	(void)pthread_cond_init(&it->cv, NULL);
	sqlite3_bind_pointer(it->stmt, 1, it, ITER_PTR, NULL);
	*out = it;
	return KR_OK;
}

/* Whether a proven row belongs in the CRL, and its entry's reason. */
static bool
store_build_listed(const struct kr_rev_iter *it, const struct store_crl_row *r,
    int *reason)
{
	*reason = (int)r->reason;
	if (r->expires < it->now)
		return false;
	if (it->base_max_id <= 0 || r->id > it->base_max_id)
		return !r->lifted;
	if (r->lifted && r->lifted_at >= it->base_this_update) {
		*reason = 8;		/* removeFromCRL: a hold lifted */
		return true;
	}
	return false;
}

static int
store_build_row(struct kr_rev_iter *it, sqlite3_value **v,
    struct store_crl_row *r, struct kr_err *err)
{
	int	n = sqlite3_value_bytes(v[1]);

	r->id = sqlite3_value_int64(v[0]);
	r->serial = sqlite3_value_blob(v[1]);
	if (r->serial == NULL || n <= 0 || n > KR_STORE_SERIAL_MAX)
		return store_damaged(it->st, err, "revocations row %lld: its "
		    "serial is missing or longer than %d bytes (`keyrite audit "
		    "verify` says more)", (long long)r->id,
		    KR_STORE_SERIAL_MAX);
	r->serial_len = (size_t)n;
	r->revoked_at = sqlite3_value_int64(v[2]);
	r->reason = sqlite3_value_int64(v[3]);
	r->invalidity = sqlite3_value_int64(v[4]);
	r->expires = sqlite3_value_int64(v[5]);
	r->lifted = sqlite3_value_type(v[6]) != SQLITE_NULL;
	r->lifted_at = sqlite3_value_int64(v[6]);
	return store_pwalk_row(it->w, r, err);
}

static void
iter_put(struct iter_batch *bt, const struct store_crl_row *row, int reason)
{
	struct iter_row	*o = &bt->rows[bt->n++];

	o->id = row->id;
	o->revoked_at = row->revoked_at;
	o->invalidity = row->invalidity;
	o->reason = reason;
	o->serial_len = (uint8_t)row->serial_len;
	memcpy(o->serial, row->serial, row->serial_len);
}

/*
 * ITER_FN, an SQL function the scan calls with each revocation row (the
 * iterator, bound as a pointer, then issuer_key_id and BUILD_COLUMNS):
 * SQLite hands the columns over as values, which takes a million rows
 * about 40% less time than a sqlite3_step and eight sqlite3_column_*
 * calls per row (each takes and checks the statement's state).  A row of
 * the issuer is proven and, when the CRL lists it, put in the batch being
 * filled.  The answer is 1 (a result row: sqlite3_step returns) once the
 * batch is full or ITER_STEPS rows were read, otherwise 0; a row that
 * fails fails the statement, its error kept in it->perr.
 */
static void
iter_row_fn(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	struct kr_rev_iter	*it = sqlite3_value_pointer(v[0], ITER_PTR);
	struct store_crl_row	 row;
	const void		*id;
	int			 reason;

	if (it == NULL || it->fill == NULL) {
		sqlite3_result_error(ctx, ITER_FN ": misused", -1);
		return;
	}
	it->steps++;
	/* Here, not in SQL: this function sees every row, in id order. */
	id = sqlite3_value_blob(v[1]);
	if (sqlite3_value_type(v[1]) == SQLITE_BLOB &&
	    sqlite3_value_bytes(v[1]) == KR_STORE_ID_BYTES &&
	    memcmp(id, it->issuer, KR_STORE_ID_BYTES) == 0) {
		if ((it->fret = store_build_row(it, v + 2, &row,
		    &it->perr)) != KR_OK) {
			sqlite3_result_error(ctx, ITER_FN ": a row failed", -1);
			return;
		}
		if (store_build_listed(it, &row, &reason))
			iter_put(it->fill, &row, reason);
	}
	sqlite3_result_int(ctx, it->fill->n == ITER_BATCH ||
	    it->steps == ITER_STEPS);
}

/* At every connection: ITER_FN, for keyrite's own queries only. */
int
store_rev_functions(struct kr_store *st, struct kr_err *err)
{
	int	rc;

	rc = sqlite3_create_function_v2(st->db, ITER_FN, 9, SQLITE_UTF8 |
	    SQLITE_DIRECTONLY, NULL, iter_row_fn, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_sqlite_err(st, rc, err, "setting up the "
		    "connection");
	return KR_OK;
}

/*
 * Reads and proves rows into a batch: one step of the scan, which
 * iter_row_fn ends after ITER_BATCH listed rows or ITER_STEPS read (so
 * that a close is heard soon).  1: more may follow; 0: the last row was
 * read and the proof is complete; negative: the error, in it->perr.
 */
static int
iter_fill(struct kr_rev_iter *it, struct iter_batch *bt)
{
	int	rc;

	bt->n = 0;
	it->fill = bt;
	it->steps = 0;
	it->fret = KR_OK;
	rc = sqlite3_step(it->stmt);
	it->fill = NULL;
	if (rc == SQLITE_ROW)
		return 1;
	if (it->fret != KR_OK)
		return it->fret;
	if (rc != SQLITE_DONE)
		return store_sqlite_err(it->st, rc, &it->perr, "reading the "
		    "revocations");
	return store_pwalk_end(it->w, &it->perr);
}

/* Waits until a batch is the producer's to fill; false: stop. */
static bool
iter_wait_free(struct kr_rev_iter *it, struct iter_batch *bt)
{
	bool	go;

	(void)pthread_mutex_lock(&it->mu);
	while (bt->ready && !it->stop)
		(void)pthread_cond_wait(&it->cv, &it->mu);
	go = !it->stop;
	(void)pthread_mutex_unlock(&it->mu);
	return go;
}

/* The producer: the ring's batches in turn, until the end or a stop. */
static void *
iter_main(void *arg)
{
	struct kr_rev_iter	*it = arg;
	struct iter_batch	*bt = &it->b[0];
	int			 end = 1, fill = 0;

	while (end == 1 && iter_wait_free(it, bt)) {
		end = iter_fill(it, bt);
		(void)pthread_mutex_lock(&it->mu);
		bt->end = end;
		bt->ready = true;
		(void)pthread_cond_broadcast(&it->cv);
		(void)pthread_mutex_unlock(&it->mu);
		fill = (fill + 1) % ITER_BATCHES;
		bt = &it->b[fill];
	}
	return NULL;
}

/* The caller's next batch: once the producer has it ready, or read here. */
static struct iter_batch *
iter_take(struct kr_rev_iter *it)
{
	struct iter_batch	*bt = &it->b[it->take];

	if (!it->started) {
		it->started = true;
		it->threaded = kr_thread_start(&it->tid, iter_main, it);
	}
	if (!it->threaded) {
		if (!bt->ready) {
			bt->end = iter_fill(it, bt);
			bt->ready = true;
		}
		return bt;
	}
	(void)pthread_mutex_lock(&it->mu);
	while (!bt->ready)
		(void)pthread_cond_wait(&it->cv, &it->mu);
	(void)pthread_mutex_unlock(&it->mu);
	return bt;
}

/* Gives a spent batch back to the producer; the next is read next. */
static void
iter_give(struct kr_rev_iter *it)
{
	(void)pthread_mutex_lock(&it->mu);
	it->cur->ready = false;
	(void)pthread_cond_broadcast(&it->cv);
	(void)pthread_mutex_unlock(&it->mu);
	it->cur = NULL;
	it->take = (it->take + 1) % ITER_BATCHES;
	it->pos = 0;
}

static int
iter_next_proven(struct kr_rev_iter *it, struct kr_revocation_rec *r,
    struct kr_err *err)
{
	const struct iter_row	*o;

	for (;;) {
		if (it->cur == NULL)
			it->cur = iter_take(it);
		if (it->pos < it->cur->n)
			break;
		if (it->cur->end != 1) {
			/* Kept: a call after the end says it again. */
			if (it->cur->end < 0)
				*err = it->perr;
			return it->cur->end;
		}
		iter_give(it);
	}
	o = &it->cur->rows[it->pos++];
	r->id = o->id;
	memcpy(r->serial, o->serial, o->serial_len);
	r->serial_len = o->serial_len;
	r->revoked_at = o->revoked_at;
	r->reason = o->reason;
	r->invalidity = o->invalidity;
	return 1;
}

int
kr_store_rev_iter_rows(struct kr_store *st, const uint8_t *issuer,
    int64_t max_id, struct kr_rev_iter **out, struct kr_err *err)
{
	struct kr_rev_iter	*it;
	int			 ret;

	*out = NULL;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	it->st = st;
	if ((ret = store_prepare(st, "SELECT " ITER_COLUMNS " FROM revocations "
	    "WHERE +issuer_key_id = ?1 AND id <= ?2 ORDER BY id", &it->stmt,
	    err)) != KR_OK) {
		free(it);
		return ret;
	}
	sqlite3_bind_blob(it->stmt, 1, issuer, KR_STORE_ID_BYTES,
	    SQLITE_TRANSIENT);
	sqlite3_bind_int64(it->stmt, 2, max_id);
	*out = it;
	return KR_OK;
}

/*
 * The iterators read only what a CRL entry needs (ITER_COLUMNS), a
 * million times over: the other fields of *r are left as they were.
 */
static void
store_iter_row(sqlite3_stmt *stmt, struct kr_revocation_rec *r)
{
	const void	*p = sqlite3_column_blob(stmt, 1);
	int		 n = sqlite3_column_bytes(stmt, 1);

	r->id = sqlite3_column_int64(stmt, 0);
	r->serial_len = 0;
	if (p != NULL && n > 0 && n <= KR_STORE_SERIAL_MAX) {
		memcpy(r->serial, p, (size_t)n);
		r->serial_len = (size_t)n;
	}
	r->revoked_at = sqlite3_column_int64(stmt, 2);
	r->reason = sqlite3_column_int(stmt, 3);
	r->invalidity = sqlite3_column_int64(stmt, 4);
}

int
kr_store_rev_iter_next(struct kr_rev_iter *it, struct kr_revocation_rec *r,
    struct kr_err *err)
{
	int	rc;

	if (it->w != NULL)
		return iter_next_proven(it, r, err);
	/* SQLite would start the statement over after its end. */
	if (it->done)
		return 0;
	if ((rc = sqlite3_step(it->stmt)) == SQLITE_ROW) {
		store_iter_row(it->stmt, r);
		return 1;
	}
	it->done = true;
	if (rc != SQLITE_DONE)
		return store_sqlite_err(it->st, rc, err, "reading the "
		    "revocations");
	return 0;
}

/* Stops the producer, if any, before the statement and proof go. */
void
kr_store_rev_iter_close(struct kr_rev_iter **itp)
{
	struct kr_rev_iter	*it;

	if (itp == NULL || (it = *itp) == NULL)
		return;
	if (it->threaded) {
		(void)pthread_mutex_lock(&it->mu);
		it->stop = true;
		(void)pthread_cond_broadcast(&it->cv);
		(void)pthread_mutex_unlock(&it->mu);
		(void)pthread_join(it->tid, NULL);
	}
	if (it->b != NULL) {
		(void)pthread_cond_destroy(&it->cv);
		(void)pthread_mutex_destroy(&it->mu);
		free(it->b);
	}
	sqlite3_finalize(it->stmt);
	store_pwalk_free(&it->w);
	free(it);
	*itp = NULL;
}

static void
store_ext_bind(sqlite3_stmt *stmt, int at, const void *rec)
{
	const struct kr_external_rec	*r = rec;
	char				 status[2] = { r->status, '\0' };

	sqlite3_bind_blob(stmt, at + 1, r->issuer_key_id, KR_STORE_ID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_blob(stmt, at + 2, r->serial, (int)r->serial_len,
	    SQLITE_STATIC);
	sqlite3_bind_text(stmt, at + 3, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, at + 4, r->expires);
	sqlite3_bind_text(stmt, at + 5, r->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, at + 6, r->source, -1, SQLITE_STATIC);
}

int
kr_store_external_insert(struct kr_store *st, const struct kr_external_rec *r,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret;

	if ((ret = store_prepare(st, EXT_INSERT, &stmt, err)) != KR_OK)
		return ret;
	store_ext_bind(stmt, 0, r);
	return store_done(st, stmt, "recording an imported certificate",
	    EXT_DUP, "external_certs", err);
}

/*
 * Bulk import.  Rows are gathered IMPORT_ROWS at a time and written by one
 * multi-row INSERT: SQLite's cost is mostly per statement run, and a
 * million single-row runs took most of an import.  When a full batch
 * fails (its statement undone as a whole), its rows are written one by
 * one, so that the error names the row at fault by the caller's tag.
 */
#define IMPORT_ROWS	64

struct import_table {
	const char	*what, *dup;
	void		(*bind)(sqlite3_stmt *, int, const void *);
	int		 nparams;	/* per row */
	size_t		 size;		/* of one record */
	sqlite3_stmt	*one, *many;
	uint8_t		*rows;		/* IMPORT_ROWS records */
	uint32_t	 tags[IMPORT_ROWS];
	size_t		 n;
	/* The rows this batch made, bound as one range per table. */
	int64_t		 first, last;
};

struct kr_import_batch {
	struct kr_store		*st;
	struct import_table	 ext, rev;
	uint8_t			 issuer[KR_STORE_ID_BYTES];
	uint32_t		 failed;	/* the tag of the row at fault */
};

static int
import_table_open(struct kr_store *st, struct import_table *t,
    const char *head, const char *row, struct kr_err *err)
{
	char	sql[4096];
	size_t	i, len;
	int	ret;

	if ((t->rows = calloc(IMPORT_ROWS, t->size)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	len = (size_t)snprintf(sql, sizeof(sql), "%s%s", head, row);
	if ((ret = store_prepare(st, sql, &t->one, err)) != KR_OK)
		return ret;
	for (i = 1; i < IMPORT_ROWS && len < sizeof(sql); i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s",
		    row);
	if (len >= sizeof(sql))
		return kr_err_set(err, KR_EINTERNAL, "an import statement "
		    "outgrew its buffer: this is a bug in keyrite");
	return store_prepare(st, sql, &t->many, err);
}

int
kr_store_import_open(struct kr_store *st, struct kr_import_batch **out,
    struct kr_err *err)
{
	struct kr_import_batch	*b;
	int			 ret;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	b->st = st;
	b->ext = (struct import_table){ .what = "recording an imported "
	    "certificate", .dup = EXT_DUP, .bind = store_ext_bind,
	    .nparams = EXT_PARAMS, .size = sizeof(struct kr_external_rec) };
	b->rev = (struct import_table){ .what = "recording a revocation",
	    .dup = REV_DUP, .bind = store_rev_bind, .nparams = REV_PARAMS,
	    .size = sizeof(struct kr_revocation_rec) };
	if ((ret = import_table_open(st, &b->ext, EXT_HEAD, EXT_ROW, err)) !=
	    KR_OK || (ret = import_table_open(st, &b->rev, REV_HEAD, REV_ROW,
	    err)) != KR_OK) {
		kr_store_import_close(&b);
		return ret;
	}
	*out = b;
	return KR_OK;
}

/* After a statement wrote n rows: the table's range grows by them. */
static void
import_wrote(struct kr_store *st, struct import_table *t, size_t n)
{
	t->last = sqlite3_last_insert_rowid(st->db);
	if (t->first == 0)
		t->first = t->last - (int64_t)n + 1;
}

static int
import_one(struct kr_import_batch *b, struct import_table *t, size_t i,
    struct kr_err *err)
{
	int	rc;

	t->bind(t->one, 0, t->rows + i * t->size);
	rc = sqlite3_step(t->one);
	sqlite3_reset(t->one);
	if (rc == SQLITE_DONE) {
		import_wrote(b->st, t, 1);
		return KR_OK;
	}
	b->failed = t->tags[i];
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return kr_err_set(err, KR_EEXIST, "%s", t->dup);
	return store_sqlite_err(b->st, rc, err, "%s", t->what);
}

/* A full batch in one statement, else row by row: the SQLite result. */
static int
import_write(struct kr_import_batch *b, struct import_table *t)
{
	size_t	i;
	int	rc = SQLITE_DONE;

	if (t->n == IMPORT_ROWS) {
		for (i = 0; i < t->n; i++)
			t->bind(t->many, (int)i * t->nparams,
			    t->rows + i * t->size);
		rc = sqlite3_step(t->many);
		sqlite3_reset(t->many);
		if (rc == SQLITE_DONE)
			import_wrote(b->st, t, t->n);
		return rc;
	}
	for (i = 0; i < t->n && rc == SQLITE_DONE; i++) {
		t->bind(t->one, 0, t->rows + i * t->size);
		rc = sqlite3_step(t->one);
		sqlite3_reset(t->one);
		if (rc == SQLITE_DONE)
			import_wrote(b->st, t, 1);
	}
	return rc;
}

/*
 * After a constraint failed: the gathered rows of both tables one by one,
 * in input order (a line's certificate before its revocation), so the
 * error is the first the file holds, as a row-by-row import would say.
 */
static int
import_in_order(struct kr_import_batch *b, struct kr_err *err)
{
	size_t	ie = 0, ir = 0;
	int	ret = KR_OK;

	while (ret == KR_OK && (ie < b->ext.n || ir < b->rev.n)) {
		if (ie < b->ext.n && (ir == b->rev.n ||
		    b->ext.tags[ie] <= b->rev.tags[ir]))
			ret = import_one(b, &b->ext, ie++, err);
		else
			ret = import_one(b, &b->rev, ir++, err);
	}
	return ret;
}

/* Removes the rows a batch wrote after `from` (the table's last id then). */
static int
import_undo(struct kr_import_batch *b, struct import_table *t,
    const struct import_table *from, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	char		 sql[128];
	int		 ret;

	if (t->last == from->last)
		return KR_OK;
	(void)snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id > ?1 AND "
	    "id <= ?2", t == &b->ext ? "external_certs" : "revocations");
	if ((ret = store_prepare(b->st, sql, &stmt, err)) != KR_OK)
		return ret;
	/* This flush wrote the ids after the last one before it. */
	sqlite3_bind_int64(stmt, 1, from->last != 0 ? from->last :
	    t->first - 1);
	sqlite3_bind_int64(stmt, 2, t->last);
	ret = store_done(b->st, stmt, "importing", NULL, NULL, err);
	t->first = from->first;
	t->last = from->last;
	return ret;
}

/*
 * Writes what both tables have gathered.  When a constraint fails, the
 * rows this flush wrote are taken out again (the import's transaction
 * is rolled back after any error anyway) and all are written one by one
 * in input order, to name the first line at fault.  Any other failure (a
 * full disk, no memory) is returned as it is: SQLite may have ended the
 * transaction.
 */
static int
import_flush(struct kr_import_batch *b, struct kr_err *err)
{
	struct import_table	 ext = b->ext, rev = b->rev;
	int			 rc, ret;

	if (b->ext.n == 0 && b->rev.n == 0)
		return KR_OK;
	if ((rc = import_write(b, &b->ext)) == SQLITE_DONE)
		rc = import_write(b, &b->rev);
	if (rc == SQLITE_DONE)
		ret = KR_OK;
	else if ((rc & 0xff) != SQLITE_CONSTRAINT ||
	    sqlite3_get_autocommit(b->st->db)) {
		b->failed = b->ext.n > 0 ? b->ext.tags[0] : b->rev.tags[0];
		ret = store_sqlite_err(b->st, rc, err, "%s", b->ext.what);
	} else if ((ret = import_undo(b, &b->ext, &ext, err)) == KR_OK &&
	    (ret = import_undo(b, &b->rev, &rev, err)) == KR_OK)
		ret = import_in_order(b, err);
	b->ext.n = b->rev.n = 0;
	return ret;
}

static int
import_add(struct kr_import_batch *b, struct import_table *t,
    const void *rec, uint32_t tag, struct kr_err *err)
{
	memcpy(t->rows + t->n * t->size, rec, t->size);
	t->tags[t->n++] = tag;
	return t->n == IMPORT_ROWS ? import_flush(b, err) : KR_OK;
}

int
kr_store_import_external(struct kr_import_batch *b,
    const struct kr_external_rec *r, uint32_t tag, struct kr_err *err)
{
	memcpy(b->issuer, r->issuer_key_id, sizeof(b->issuer));
	return import_add(b, &b->ext, r, tag, err);
}

int
kr_store_import_revocation(struct kr_import_batch *b,
    const struct kr_revocation_rec *r, uint32_t tag, struct kr_err *err)
{
	memcpy(b->issuer, r->issuer_key_id, sizeof(b->issuer));
	return import_add(b, &b->rev, r, tag, err);
}

int
kr_store_import_flush(struct kr_import_batch *b, struct kr_err *err)
{
	return import_flush(b, err);
}

uint32_t
kr_store_import_failed(const struct kr_import_batch *b)
{
	return b->failed;
}

/*
 * An index.txt may not speak for certificates keyrite issued with the same
 * key: those are revoked with `keyrite revoke`, one audited row each.
 */
int
kr_store_import_check_own(struct kr_import_batch *b, struct kr_err *err)
{
	sqlite3_stmt	*certs = NULL, *find = NULL;
	uint8_t		 serial[KR_STORE_SERIAL_MAX];
	size_t		 len;
	const char	*hex;
	int		 rc, ret;

	if (b->ext.first == 0)
		return KR_OK;
	if ((ret = store_prepare(b->st, "SELECT serial FROM certificates "
	    "WHERE issuer_key_id = ?1", &certs, err)) != KR_OK ||
	    (ret = store_prepare(b->st, "SELECT 1 FROM external_certs WHERE "
	    "issuer_key_id = ?1 AND serial = ?2 AND id BETWEEN ?3 AND ?4",
	    &find, err)) != KR_OK)
		goto out;
	sqlite3_bind_blob(certs, 1, b->issuer, KR_STORE_ID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_blob(find, 1, b->issuer, KR_STORE_ID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_int64(find, 3, b->ext.first);
	sqlite3_bind_int64(find, 4, b->ext.last);
	while (ret == KR_OK && (rc = sqlite3_step(certs)) == SQLITE_ROW) {
		hex = (const char *)sqlite3_column_text(certs, 0);
		len = hex != NULL ? strlen(hex) / 2 : 0;
		if (len == 0 || len > sizeof(serial) ||
		    kr_hex_decode(serial, len, hex) != KR_OK)
			continue;
		sqlite3_reset(find);
		sqlite3_bind_blob(find, 2, serial, (int)len, SQLITE_STATIC);
		if (sqlite3_step(find) == SQLITE_ROW)
			ret = kr_err_set(err, KR_EREFUSED, "the index names "
			    "serial %s, a certificate keyrite itself issued with "
			    "this key: revoke it with `keyrite revoke` (one "
			    "audited row), not through an import. Nothing of "
			    "the file was imported", hex);
	}
out:
	sqlite3_finalize(certs);
	sqlite3_finalize(find);
	return ret;
}

int
kr_store_import_bind(struct kr_import_batch *b, struct kr_err *err)
{
	int	ret;

	/* One import is for one issuer: each range carries it. */
	if (b->ext.first > 0 && (ret = store_bind_range(b->st,
	    "external_certs", b->ext.first, b->ext.last, b->issuer, err)) !=
	    KR_OK)
		return ret;
	if (b->rev.first > 0)
		return store_bind_range(b->st, "revocations", b->rev.first,
		    b->rev.last, b->issuer, err);
	return KR_OK;
}

static void
import_table_close(struct import_table *t)
{
	sqlite3_finalize(t->one);
	sqlite3_finalize(t->many);
	free(t->rows);
}

void
kr_store_import_close(struct kr_import_batch **bp)
{
	if (bp == NULL || *bp == NULL)
		return;
	import_table_close(&(*bp)->ext);
	import_table_close(&(*bp)->rev);
	free(*bp);
	*bp = NULL;
}

static void
store_serial_hex(char *out, const uint8_t *s, size_t len)
{
	kr_hex_encode(out, s, len);
}

/* A certificate issued here, by serial (hex), from any issuer. */
static int
store_lookup_issued(struct kr_store *st, const uint8_t *issuer,
    const char *hex, struct kr_serial_lookup *lk, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	const void	*p;
	int		 rc, ret;

	if ((ret = store_prepare(st, "SELECT issuer_key_id, not_after, is_ca, "
	    "subject FROM certificates WHERE serial = ?1", &stmt, err)) !=
	    KR_OK)
		return ret;
	sqlite3_bind_text(stmt, 1, hex, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		p = sqlite3_column_blob(stmt, 0);
		if (p == NULL || sqlite3_column_bytes(stmt, 0) !=
		    KR_STORE_ID_BYTES || memcmp(p, issuer, KR_STORE_ID_BYTES) !=
		    0) {
			lk->other_issuer = true;
			continue;
		}
		lk->found = true;
		lk->expires = sqlite3_column_int64(stmt, 1);
		lk->is_ca = sqlite3_column_int(stmt, 2) != 0;
		(void)snprintf(lk->subject, sizeof(lk->subject), "%s",
		    (const char *)sqlite3_column_text(stmt, 3));
	}
	if (rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "looking up a serial");
	sqlite3_finalize(stmt);
	return ret;
}

static int
store_lookup_external(struct kr_store *st, const uint8_t *issuer,
    const uint8_t *serial, size_t len, struct kr_serial_lookup *lk,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	const void	*p;
	int		 rc, ret;

	if ((ret = store_prepare(st, "SELECT issuer_key_id, expires, subject, "
	    "id FROM external_certs WHERE serial = ?1", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, serial, (int)len, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		p = sqlite3_column_blob(stmt, 0);
		if (p == NULL || sqlite3_column_bytes(stmt, 0) !=
		    KR_STORE_ID_BYTES || memcmp(p, issuer, KR_STORE_ID_BYTES) !=
		    0) {
			lk->other_issuer = true;
			continue;
		}
		if ((ret = store_check_id(st, "external_certs",
		    sqlite3_column_int64(stmt, 3), err)) != KR_OK) {
			sqlite3_finalize(stmt);
			return ret;
		}
		lk->found = true;
		lk->expires = sqlite3_column_int64(stmt, 1);
		(void)snprintf(lk->subject, sizeof(lk->subject), "%s",
		    (const char *)sqlite3_column_text(stmt, 2));
	}
	if (rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "looking up a serial");
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_serial_lookup(struct kr_store *st, const uint8_t *issuer,
    const uint8_t *serial, size_t len, struct kr_serial_lookup *lk,
    struct kr_err *err)
{
	char	hex[2 * KR_STORE_SERIAL_MAX + 1];
	int	ret;

	memset(lk, 0, sizeof(*lk));
	if (len == 0 || len > KR_STORE_SERIAL_MAX)
		return kr_err_set(err, KR_EINPUT, "a serial number has 1 to 20 "
		    "bytes");
	store_serial_hex(hex, serial, len);
	if ((ret = store_lookup_issued(st, issuer, hex, lk, err)) != KR_OK)
		return ret;
	if (lk->found)
		return KR_OK;
	return store_lookup_external(st, issuer, serial, len, lk, err);
}

int
kr_store_crl_insert(struct kr_store *st, const struct kr_crl_rec *c,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret;

	if ((ret = store_prepare(st, "INSERT INTO crls (issuer_key_id, number, "
	    "is_delta, base_number, this_update, next_update, entries, "
	    "max_revocation_id, sha256, location, created) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, c->issuer_key_id, KR_STORE_ID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, c->number);
	sqlite3_bind_int(stmt, 3, c->is_delta ? 1 : 0);
	if (c->is_delta)
		sqlite3_bind_int64(stmt, 4, c->base_number);
	else
		sqlite3_bind_null(stmt, 4);
	sqlite3_bind_int64(stmt, 5, c->this_update);
	sqlite3_bind_int64(stmt, 6, c->next_update);
	sqlite3_bind_int64(stmt, 7, c->entries);
	sqlite3_bind_int64(stmt, 8, c->max_revocation_id);
	sqlite3_bind_text(stmt, 9, c->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 10, c->location, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 11, c->created);
	return store_done(st, stmt, "recording a CRL", "this CRL number was "
	    "already used by this issuer", "crls", err);
}

#define CRL_COLUMNS \
	"number, is_delta, coalesce(base_number, 0), this_update, " \
	"next_update, entries, max_revocation_id, sha256, created, location"

/* Steps a SELECT of CRL_COLUMNS once into *c (KR_ENOENT: no row). */
static int
store_crl_step(struct kr_store *st, sqlite3_stmt *stmt, const uint8_t *issuer,
    struct kr_crl_rec *c, struct kr_err *err)
{
	const char	*p;
	int		 rc;

	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return KR_ENOENT;
	if (rc != SQLITE_ROW)
		return store_sqlite_err(st, rc, err, "reading the CRLs");
	memcpy(c->issuer_key_id, issuer, KR_STORE_ID_BYTES);
	c->number = sqlite3_column_int64(stmt, 0);
	c->is_delta = sqlite3_column_int(stmt, 1) != 0;
	c->base_number = sqlite3_column_int64(stmt, 2);
	c->this_update = sqlite3_column_int64(stmt, 3);
	c->next_update = sqlite3_column_int64(stmt, 4);
	c->entries = sqlite3_column_int64(stmt, 5);
	c->max_revocation_id = sqlite3_column_int64(stmt, 6);
	if ((p = (const char *)sqlite3_column_text(stmt, 7)) != NULL)
		(void)snprintf(c->sha256, sizeof(c->sha256), "%s", p);
	c->created = sqlite3_column_int64(stmt, 8);
	if ((p = (const char *)sqlite3_column_text(stmt, 9)) != NULL)
		(void)snprintf(c->location, sizeof(c->location), "%s", p);
	return KR_OK;
}

int
kr_store_crl_last(struct kr_store *st, const uint8_t *issuer, bool base_only,
    struct kr_crl_rec *c, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret;

	memset(c, 0, sizeof(*c));
	if ((ret = store_prepare(st, base_only ? "SELECT " CRL_COLUMNS " FROM "
	    "crls WHERE issuer_key_id = ?1 AND is_delta = 0 ORDER BY number "
	    "DESC LIMIT 1" : "SELECT " CRL_COLUMNS " FROM crls WHERE "
	    "issuer_key_id = ?1 ORDER BY number DESC LIMIT 1", &stmt, err)) !=
	    KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, issuer, KR_STORE_ID_BYTES, SQLITE_STATIC);
	ret = store_crl_step(st, stmt, issuer, c, err);
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_crl_get(struct kr_store *st, const uint8_t *issuer, int64_t number,
    struct kr_crl_rec *c, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret;

	memset(c, 0, sizeof(*c));
	if ((ret = store_prepare(st, "SELECT " CRL_COLUMNS " FROM crls WHERE "
	    "issuer_key_id = ?1 AND number = ?2", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, issuer, KR_STORE_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, number);
	ret = store_crl_step(st, stmt, issuer, c, err);
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_ocsp_insert(struct kr_store *st, const struct kr_ocsp_rec *o,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret;

	if ((ret = store_prepare(st, "INSERT INTO ocsp_responses "
	    "(issuer_key_id, serial, status, this_update, next_update, sha256, "
	    "der, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &stmt,
	    err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, o->issuer_key_id, KR_STORE_ID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, o->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, o->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, o->this_update);
	sqlite3_bind_int64(stmt, 5, o->next_update);
	sqlite3_bind_text(stmt, 6, o->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 7, o->der, (int)o->der_len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 8, o->created);
	return store_done(st, stmt, "recording an OCSP response", NULL,
	    "ocsp_responses", err);
}

/*
 * An OCSP response as recorded, proven against the binding of its audit
 * row first (its DER is one of the bound columns).
 */
int
kr_store_ocsp_get(struct kr_store *st, int64_t id, struct kr_ocsp_rec *o,
    uint8_t **der, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	size_t		 len = 0;
	int		 rc, ret;

	memset(o, 0, sizeof(*o));
	*der = NULL;
	if ((ret = store_check_id(st, "ocsp_responses", id, err)) != KR_OK ||
	    (ret = store_prepare(st, "SELECT issuer_key_id, serial, status, "
	    "this_update, next_update, sha256, der, created FROM "
	    "ocsp_responses WHERE id = ?1", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_int64(stmt, 1, id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		ret = rc == SQLITE_DONE ? kr_err_set(err, KR_ENOENT, "no OCSP "
		    "response %lld is recorded", (long long)id) :
		    store_sqlite_err(st, rc, err, "reading an OCSP response");
	else if ((ret = store_col_blob(st, stmt, 0, o->issuer_key_id,
	    KR_STORE_ID_BYTES, "an OCSP response's issuer", err)) == KR_OK &&
	    (ret = store_col_text(st, stmt, 1, o->serial, sizeof(o->serial),
	    "an OCSP response's serial", err)) == KR_OK &&
	    (ret = store_col_text(st, stmt, 2, o->status, sizeof(o->status),
	    "an OCSP response's status", err)) == KR_OK &&
	    (ret = store_col_text(st, stmt, 5, o->sha256, sizeof(o->sha256),
	    "an OCSP response's SHA-256", err)) == KR_OK) {
		o->this_update = sqlite3_column_int64(stmt, 3);
		o->next_update = sqlite3_column_int64(stmt, 4);
		o->created = sqlite3_column_int64(stmt, 7);
		if (store_blob_dup(stmt, 6, der, &len) != KR_OK)
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		o->der = *der;
		o->der_len = len;
	}
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_revocation_since(struct kr_store *st, const uint8_t *issuer,
    int64_t after_id, int64_t lifted_after,
    int (*cb)(const struct kr_revocation_rec *, void *), void *arg,
    struct kr_err *err)
{
	struct kr_revocation_rec	 r;
	sqlite3_stmt			*stmt = NULL;
	int				 rc, ret;

	if ((ret = store_prepare(st, "SELECT " REV_COLUMNS " FROM revocations "
	    "WHERE issuer_key_id = ?1 AND (id > ?2 OR (lifted_at IS NOT NULL "
	    "AND lifted_at > ?3)) ORDER BY id", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, issuer, KR_STORE_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, after_id);
	sqlite3_bind_int64(stmt, 3, lifted_after);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_rev_row(stmt, &r);
		if (cb(&r, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "reading revocations");
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_revocation_count(struct kr_store *st, const uint8_t *issuer,
    int64_t upto, int64_t *out, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret;

	*out = 0;
	if ((ret = store_prepare(st, "SELECT count(*) FROM revocations WHERE "
	    "issuer_key_id = ?1 AND id <= ?2", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, issuer, KR_STORE_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, upto);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*out = sqlite3_column_int64(stmt, 0);
	else
		ret = store_sqlite_err(st, rc, err, "counting revocations");
	sqlite3_finalize(stmt);
	return ret;
}

struct kr_rev_lookup {
	struct kr_store	*st;
	sqlite3_stmt	*stmt;
};

int
kr_store_rev_lookup_open(struct kr_store *st, const uint8_t *issuer,
    struct kr_rev_lookup **out, struct kr_err *err)
{
	struct kr_rev_lookup	*lk;
	int			 ret;

	*out = NULL;
	if ((lk = calloc(1, sizeof(*lk))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	lk->st = st;
	if ((ret = store_prepare(st, "SELECT " REV_COLUMNS " FROM revocations "
	    "WHERE issuer_key_id = ?1 AND serial = ?2", &lk->stmt, err)) !=
	    KR_OK) {
		free(lk);
		return ret;
	}
	sqlite3_bind_blob(lk->stmt, 1, issuer, KR_STORE_ID_BYTES,
	    SQLITE_TRANSIENT);
	*out = lk;
	return KR_OK;
}

int
kr_store_rev_lookup_find(struct kr_rev_lookup *lk, const uint8_t *serial,
    size_t len, struct kr_revocation_rec *r, struct kr_err *err)
{
	int	rc, ret;

	sqlite3_reset(lk->stmt);
	sqlite3_bind_blob(lk->stmt, 2, serial, (int)len, SQLITE_TRANSIENT);
	rc = sqlite3_step(lk->stmt);
	if (rc == SQLITE_ROW) {
		store_rev_row(lk->stmt, r);
		ret = 1;
	} else if (rc == SQLITE_DONE) {
		ret = 0;
	} else {
		ret = store_sqlite_err(lk->st, rc, err, "looking up a "
		    "revocation");
	}
	return ret;
}

void
kr_store_rev_lookup_close(struct kr_rev_lookup **lkp)
{
	if (lkp == NULL || *lkp == NULL)
		return;
	sqlite3_finalize((*lkp)->stmt);
	free(*lkp);
	*lkp = NULL;
}
