/*
 * The audit log: an append-only table whose rows are chained by SHA-256.
 *
 * hash = SHA-256("keyrite-audit-v1" || prev_hash (32) || seq (u64 BE) ||
 *     time (i64 BE) || len32(actor) || actor || len32(event) || event ||
 *     len32(payload) || payload), lengths big-endian, no NULs hashed.
 * The first row's prev_hash is 32 zero bytes.  verify walks the rows in
 * seq order and names the first one that is missing, out of place,
 * unlinked from its predecessor, or changed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/store.h>

#include "store_int.h"

#define AUDIT_TAG		"keyrite-audit-v1"
#define AUDIT_COLUMNS \
	"seq, time, actor, event, payload, prev_hash, hash"

static void
audit_be64(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static void
audit_hash_field(struct kr_hash *h, const char *s)
{
	uint8_t	len[4];
	size_t	n = strlen(s);

	len[0] = (uint8_t)(n >> 24);
	len[1] = (uint8_t)(n >> 16);
	len[2] = (uint8_t)(n >> 8);
	len[3] = (uint8_t)n;
	kr_hash_update(h, len, sizeof(len));
	kr_hash_update(h, s, n);
}

int
kr_audit_row_hash(const struct kr_audit_rec *r, uint8_t *out)
{
	struct kr_hash	h;
	uint8_t		num[8];
	int		ret = KR_EINTERNAL;

	if (r->actor == NULL || r->event == NULL || r->payload == NULL ||
	    strlen(r->actor) > UINT32_MAX || strlen(r->event) > UINT32_MAX ||
	    strlen(r->payload) > UINT32_MAX)
		return KR_EINPUT;
	if ((ret = kr_hash_init(&h, KR_HASH_SHA256)) != KR_OK)
		return ret;
	kr_hash_update(&h, AUDIT_TAG, sizeof(AUDIT_TAG) - 1);
	kr_hash_update(&h, r->prev_hash, KR_AUDIT_HASH_BYTES);
	audit_be64(num, (uint64_t)r->seq);
	kr_hash_update(&h, num, sizeof(num));
	audit_be64(num, (uint64_t)r->time);
	kr_hash_update(&h, num, sizeof(num));
	audit_hash_field(&h, r->actor);
	audit_hash_field(&h, r->event);
	audit_hash_field(&h, r->payload);
	kr_hash_final(&h, out);
	return KR_OK;
}

/* The newest row's seq, time and hash; seq 0 and zeros when empty. */
static int
audit_last(struct kr_store *st, int64_t *seq, int64_t *time, uint8_t *hash,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret = KR_EINTERNAL;

	*seq = 0;
	*time = 0;
	memset(hash, 0, KR_AUDIT_HASH_BYTES);
	if ((ret = store_prepare(st, "SELECT seq, time, hash FROM audit "
	    "ORDER BY seq DESC LIMIT 1", &stmt, err)) != KR_OK)
		return ret;
	rc = sqlite3_step(stmt);
	ret = KR_OK;
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(stmt, 0);
		*time = sqlite3_column_int64(stmt, 1);
		ret = store_col_blob(st, stmt, 2, hash, KR_AUDIT_HASH_BYTES,
		    "the newest audit row's hash", err);
	} else if (rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "reading the audit log");
	sqlite3_finalize(stmt);
	return ret;
}

static int
audit_clock_refused(int64_t now, int64_t last_seq, int64_t last_time,
    struct kr_err *err)
{
	char	a[KR_TIME_STR_BYTES], b[KR_TIME_STR_BYTES];

	kr_time_format(now, a);
	kr_time_format(last_time, b);
	return kr_err_set(err, KR_ECLOCK, "the clock says %s, earlier than "
	    "the newest audit entry (row %lld, %s): set the clock right "
	    "before going on; nothing was recorded", a, (long long)last_seq,
	    b);
}

static int
audit_insert(struct kr_store *st, const struct kr_audit_rec *r,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret = KR_EINTERNAL;

	if ((ret = store_prepare(st, "INSERT INTO audit (" AUDIT_COLUMNS ") "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_int64(stmt, 1, r->seq);
	sqlite3_bind_int64(stmt, 2, r->time);
	sqlite3_bind_text(stmt, 3, r->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, r->event, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, r->payload, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 6, r->prev_hash, KR_AUDIT_HASH_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 7, r->hash, KR_AUDIT_HASH_BYTES,
	    SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	ret = KR_OK;
	if (rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "recording audit event "
		    "%s", r->event);
	sqlite3_finalize(stmt);
	return ret;
}

/* Inside a transaction: link to the newest row, check the clock, insert. */
static int
audit_append_tx(struct kr_store *st, struct kr_audit_rec *r, bool back,
    struct kr_err *err)
{
	int64_t	last_seq, last_time;
	int	ret = KR_EINTERNAL;

	if ((ret = audit_last(st, &last_seq, &last_time, r->prev_hash,
	    err)) != KR_OK)
		return ret;
	if (last_seq > 0 && r->time < last_time && !back)
		return audit_clock_refused(r->time, last_seq, last_time, err);
	if (last_seq < 0 || last_seq == INT64_MAX)
		return store_damaged(st, err, "the newest audit row has "
		    "sequence number %lld", (long long)last_seq);
	r->seq = last_seq + 1;
	if (kr_audit_row_hash(r, r->hash) != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "cannot compute the audit "
		    "row hash");
	return audit_insert(st, r, err);
}

static bool
audit_text_ok(const char *s, bool nonempty)
{
	size_t	n;

	if (s == NULL)
		return false;
	n = strnlen(s, STORE_AUDIT_TEXT_MAX + 1);
	return n <= STORE_AUDIT_TEXT_MAX && (n > 0 || !nonempty);
}

static int
audit_append(struct kr_store *st, int64_t time, const char *actor,
    const char *event, const char *payload, bool back, int64_t *seq_out,
    struct kr_err *err)
{
	struct kr_audit_rec	r;
	char			*bound = NULL;
	bool			own = false;
	int			ret = KR_EINTERNAL;

	if (seq_out != NULL)
		*seq_out = 0;
	if (!audit_text_ok(actor, false) || !audit_text_ok(event, true) ||
	    !audit_text_ok(payload, false))
		return kr_err_set(err, KR_EINPUT, "an audit entry needs an "
		    "event name, an actor and a payload of at most %d bytes "
		    "each", STORE_AUDIT_TEXT_MAX);
	if (time < 0)
		return kr_err_set(err, KR_ECLOCK, "the clock reads before "
		    "1970: set it right before going on");
	if ((ret = store_pending_payload(st, payload, &bound, err)) != KR_OK)
		return ret;
	memset(&r, 0, sizeof(r));
	r.time = time;
	r.actor = actor;
	r.event = event;
	r.payload = bound != NULL ? bound : payload;
	if ((ret = store_tx_enter(st, &own, err)) != KR_OK)
		goto out;
	ret = audit_append_tx(st, &r, back, err);
	if (ret == KR_OK && bound != NULL && st->ledger != NULL) {
		/* The in-memory ledger follows; a rollback drops it. */
		st->ledger_tx = true;
		if (store_ledger_row(st, r.seq, r.payload) != KR_OK)
			store_ledger_drop(st);	/* read again when needed */
	}
	if ((ret = store_tx_leave(st, own, ret, err)) == KR_OK) {
		store_pending_clear(st);
		if (seq_out != NULL)
			*seq_out = r.seq;
	}
out:
	free(bound);
	return ret;
}

int
kr_store_audit_append(struct kr_store *st, int64_t time, const char *actor,
    const char *event, const char *payload, int64_t *seq_out,
    struct kr_err *err)
{
	return audit_append(st, time, actor, event, payload, false, seq_out,
	    err);
}

int
kr_store_audit_append_clock_back(struct kr_store *st, int64_t time,
    const char *actor, const char *event, const char *payload,
    int64_t *seq_out, struct kr_err *err)
{
	return audit_append(st, time, actor, event, payload, true, seq_out,
	    err);
}

int
kr_store_audit_newest_row(struct kr_store *st, int64_t *seq, int64_t *time,
    struct kr_err *err)
{
	uint8_t	hash[KR_AUDIT_HASH_BYTES];

	return audit_last(st, seq, time, hash, err);
}

int
kr_store_audit_newest(struct kr_store *st, int64_t *time, struct kr_err *err)
{
	uint8_t	hash[KR_AUDIT_HASH_BYTES];
	int64_t	seq;

	return audit_last(st, &seq, time, hash, err);
}

/*
 * Reads a row's columns without judging them; *bad names the first
 * column whose type or size no honest row can have.
 */
static void
audit_row_read(sqlite3_stmt *stmt, struct kr_audit_rec *r, const char **bad)
{
	static const char *const names[] = { "seq", "time", "actor", "event",
	    "payload", "prev_hash", "hash" };
	static const int types[] = { SQLITE_INTEGER, SQLITE_INTEGER,
	    SQLITE_TEXT, SQLITE_TEXT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_BLOB };
	const char	**text[] = { &r->actor, &r->event, &r->payload };
	const void	*p;
	int		 i;

	memset(r, 0, sizeof(*r));
	*bad = NULL;
	for (i = 0; i < 7 && *bad == NULL; i++)
		if (sqlite3_column_type(stmt, i) != types[i])
			*bad = names[i];
	r->seq = sqlite3_column_int64(stmt, 0);
	r->time = sqlite3_column_int64(stmt, 1);
	for (i = 0; i < 3; i++) {
		*text[i] = (const char *)sqlite3_column_text(stmt, 2 + i);
		if (*bad == NULL && (*text[i] == NULL ||
		    strlen(*text[i]) != (size_t)sqlite3_column_bytes(stmt,
		    2 + i)))
			*bad = names[2 + i];
	}
	for (i = 0; i < 2; i++) {
		p = sqlite3_column_blob(stmt, 5 + i);
		if (p == NULL || sqlite3_column_bytes(stmt, 5 + i) !=
		    KR_AUDIT_HASH_BYTES) {
			if (*bad == NULL)
				*bad = names[5 + i];
			continue;
		}
		memcpy(i == 0 ? r->prev_hash : r->hash, p,
		    KR_AUDIT_HASH_BYTES);
	}
}

/* "event key.generate, 2026-11-23T17:40:02Z", with unprintables escaped. */
static void
audit_row_label(char *out, size_t size, const struct kr_audit_rec *r)
{
	char	ev[64], when[KR_TIME_STR_BYTES];

	(void)kr_text_escape_str(ev, sizeof(ev),
	    r->event != NULL ? r->event : "?", 0);
	kr_time_format(r->time, when);
	snprintf(out, size, "event %s, %s", ev, when);
}

struct audit_walk {
	struct kr_audit_report	*rep;
	int64_t			 expect;
	uint8_t			 prev[KR_AUDIT_HASH_BYTES];
};

/* Judges one row; on the first fault fills the report and returns false. */
static bool
audit_row_judge(struct audit_walk *w, const struct kr_audit_rec *r,
    const char *bad)
{
	struct kr_audit_report	*rep = w->rep;
	uint8_t			 hash[KR_AUDIT_HASH_BYTES];
	char			 label[96];

	audit_row_label(label, sizeof(label), r);
	if (r->seq > w->expect) {
		rep->first_bad = w->expect;
		snprintf(rep->reason, sizeof(rep->reason), "audit row %lld is "
		    "missing (the next row is %lld, %s): rows were deleted "
		    "from the log", (long long)w->expect, (long long)r->seq,
		    label);
		return false;
	}
	rep->first_bad = r->seq;
	if (r->seq != w->expect)
		snprintf(rep->reason, sizeof(rep->reason), "audit row %lld "
		    "(%s): its sequence number is out of place (expected "
		    "%lld): the row was changed after it was written",
		    (long long)r->seq, label, (long long)w->expect);
	else if (bad != NULL)
		snprintf(rep->reason, sizeof(rep->reason), "audit row %lld "
		    "(%s): its %s column has the wrong type or size: the row "
		    "was changed after it was written", (long long)r->seq,
		    label, bad);
	else if (memcmp(r->prev_hash, w->prev, KR_AUDIT_HASH_BYTES) != 0)
		snprintf(rep->reason, sizeof(rep->reason), "audit row %lld "
		    "(%s): it does not link to the row before it: this row's "
		    "link was changed, or an earlier row was replaced",
		    (long long)r->seq, label);
	else if (kr_audit_row_hash(r, hash) != KR_OK ||
	    memcmp(hash, r->hash, KR_AUDIT_HASH_BYTES) != 0)
		snprintf(rep->reason, sizeof(rep->reason), "audit row %lld "
		    "(%s): its stored hash does not match its contents: the "
		    "row was changed after it was written", (long long)r->seq,
		    label);
	else {
		rep->first_bad = 0;
		memcpy(w->prev, r->hash, KR_AUDIT_HASH_BYTES);
		w->expect++;
		return true;
	}
	return false;
}

int
store_audit_walk(struct kr_store *st, struct kr_audit_report *rep,
    kr_audit_cb *cb, void *arg, struct kr_err *err)
{
	sqlite3_stmt		*stmt = NULL;
	struct audit_walk	 w;
	struct kr_audit_rec	 r;
	const char		*bad;
	int			 rc = SQLITE_DONE, ret = KR_EINTERNAL;

	memset(rep, 0, sizeof(*rep));
	memset(&w, 0, sizeof(w));
	w.rep = rep;
	w.expect = 1;
	if ((ret = store_prepare(st, "SELECT " AUDIT_COLUMNS " FROM audit "
	    "ORDER BY seq", &stmt, err)) != KR_OK)
		return ret;
	ret = KR_OK;
	while (ret == KR_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		rep->rows++;
		audit_row_read(stmt, &r, &bad);
		if (!audit_row_judge(&w, &r, bad))
			break;
		if (cb != NULL)
			ret = cb(&r, arg);
	}
	if (ret != KR_OK)
		;
	else if (rc == SQLITE_ROW)
		ret = kr_err_set(err, KR_EVERIFY, "%s", rep->reason);
	else if (rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "reading the audit log");
	else
		memcpy(rep->head, w.prev, KR_AUDIT_HASH_BYTES);
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_audit_verify(struct kr_store *st, struct kr_audit_report *rep,
    struct kr_err *err)
{
	return store_audit_walk(st, rep, NULL, NULL, err);
}

/* Fills a record whose strings point into the statement's current row. */
static int
audit_row_get(struct kr_store *st, sqlite3_stmt *stmt, struct kr_audit_rec *r,
    struct kr_err *err)
{
	const char	*bad;

	audit_row_read(stmt, r, &bad);
	if (bad != NULL)
		return store_damaged(st, err, "audit row %lld: its %s column "
		    "has the wrong type or size (`keyrite audit verify` "
		    "says more)", (long long)r->seq, bad);
	return KR_OK;
}

int
kr_store_audit_foreach(struct kr_store *st, int64_t from, kr_audit_cb *cb,
    void *arg, struct kr_err *err)
{
	sqlite3_stmt		*stmt = NULL;
	struct kr_audit_rec	 r;
	int			 rc = SQLITE_DONE, ret = KR_EINTERNAL;

	if ((ret = store_prepare(st, "SELECT " AUDIT_COLUMNS " FROM audit "
	    "WHERE seq >= ?1 ORDER BY seq", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_int64(stmt, 1, from);
	ret = KR_OK;
	while (ret == KR_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((ret = audit_row_get(st, stmt, &r, err)) == KR_OK)
			ret = cb(&r, arg);
	}
	if (ret == KR_OK && rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "reading the audit log");
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_audit_last_event(struct kr_store *st, const char *a, const char *b,
    kr_audit_cb *cb, void *arg, struct kr_err *err)
{
	sqlite3_stmt		*stmt = NULL;
	struct kr_audit_rec	 r;
	int64_t			 seq;
	int			 rc, ret;

	/*
	 * The replay that just walked the chain knows the row; otherwise the
	 * table is scanned from its newest row back (no index: an index is
	 * not covered by the chain's proof).
	 */
	if ((ret = store_replayed_newest(st, a, b, &seq, err)) < 0)
		return ret;
	if (ret == 1 && seq == 0)
		return KR_ENOENT;
	if (ret == 1)
		ret = store_prepare(st, "SELECT " AUDIT_COLUMNS " FROM audit "
		    "WHERE (event = ?1 OR event = ?2) AND seq = ?3", &stmt, err);
	else
		ret = store_prepare(st, "SELECT " AUDIT_COLUMNS " FROM audit "
		    "WHERE event = ?1 OR event = ?2 ORDER BY seq DESC LIMIT 1",
		    &stmt, err);
	if (ret != KR_OK)
		return ret;
	sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
	if (seq != 0)
		sqlite3_bind_int64(stmt, 3, seq);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((ret = audit_row_get(st, stmt, &r, err)) == KR_OK)
			ret = cb(&r, arg);
	} else if (rc == SQLITE_DONE)
		ret = KR_ENOENT;
	else
		ret = store_sqlite_err(st, rc, err, "reading the audit log");
	sqlite3_finalize(stmt);
	return ret;
}
