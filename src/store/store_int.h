/*
 * store/ private declarations: the connection, the one boundary where
 * SQLite result codes become kr_err codes, and small statement helpers.
 */
#ifndef KEYRITE_STORE_INT_H
#define KEYRITE_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include <keyrite/base.h>
#include <keyrite/store.h>

#define STORE_BUSY_TIMEOUT_MS	5000
/* "KRST": marks a SQLite file as a keyrite store (PRAGMA application_id). */
#define STORE_APPLICATION_ID	0x4b525354
#define STORE_AUDIT_TEXT_MAX	(1024 * 1024)

struct store_ledger;
struct store_pending;

/*
 * A point query a reader runs once per row of a long walk (what is due
 * over 50,000 certificates), prepared once and kept for the connection.
 */
#define STORE_KEPT	8

struct store_kept {
	char		*sql;
	sqlite3_stmt	*stmt;
	bool		 busy;		/* handed out, not yet released */
};

struct kr_store {
	sqlite3			*db;
	char			*path;
	bool			 in_tx;
	/* ledger.c: the chain's bindings, and those waiting for a row. */
	struct store_ledger	*ledger;
	struct store_pending	*pending;
	size_t			 npending, pcap;
	bool			 ledger_tx;	/* changed in this transaction */
	struct store_kept	 kept[STORE_KEPT];
	/*
	 * The last replay's report (ledger.c), kept while nothing wrote to
	 * the database since (its data_version and this connection's change
	 * count as they were when it began): `full` says whether bulk
	 * ranges were hashed too.
	 */
	struct kr_replay_report	*replayed;
	bool			 replayed_full;
	int64_t			 replayed_version, replayed_changes;
	/*
	 * The newest audit row of each event the last replay's walk read,
	 * for kr_store_audit_last_event while that replay is kept (unusable
	 * after a broken link, or past STORE_EVENTS_MAX names).
	 */
	struct store_event	*events;
	size_t			 nevents;
	bool			 events_ok;
};

/* store.c: the error boundary and statement helpers. */
int	store_sqlite_err(struct kr_store *, int, struct kr_err *,
	    const char *, ...) KR_PRINTF(4, 5);
int	store_prepare(struct kr_store *, const char *, sqlite3_stmt **,
	    struct kr_err *) KR_WUR;
int	store_exec(struct kr_store *, const char *, const char *,
	    struct kr_err *) KR_WUR;
/*
 * The same as store_prepare, from the connection's kept statements (one
 * per SQL text, reset between uses); store_release hands it back (and
 * finalizes one that was not kept: the text's statement was in use).
 */
int	store_prepare_kept(struct kr_store *, const char *, sqlite3_stmt **,
	    struct kr_err *) KR_WUR;
void	store_release(struct kr_store *, sqlite3_stmt *);
int	store_damaged(struct kr_store *, struct kr_err *, const char *, ...)
	    KR_PRINTF(3, 4);
int	store_col_text(struct kr_store *, sqlite3_stmt *, int, char *, size_t,
	    const char *, struct kr_err *) KR_WUR;
int	store_col_blob(struct kr_store *, sqlite3_stmt *, int, uint8_t *,
	    size_t, const char *, struct kr_err *) KR_WUR;
bool	store_str_fits(const char *, size_t);
/* certs.c: a copy of a BLOB column (NULL and 0 for NULL or empty). */
int	store_blob_dup(sqlite3_stmt *, int, uint8_t **, size_t *) KR_WUR;
int	store_tx_enter(struct kr_store *, bool *, struct kr_err *) KR_WUR;
int	store_tx_leave(struct kr_store *, bool, int, struct kr_err *) KR_WUR;

/*
 * audit.c: walks the chain, checking every link; cb sees each good row.
 * KR_EVERIFY with rep->first_bad set at the first bad row.
 */
int	store_audit_walk(struct kr_store *, struct kr_audit_report *,
	    kr_audit_cb *, void *, struct kr_err *) KR_WUR;

/*
 * ledger.c: after a row is inserted or changed, queue its binding; the
 * next audit row carries the queue (store_pending_payload).
 */
int	store_bind_last(struct kr_store *, const char *, struct kr_err *)
	    KR_WUR;
int	store_bind_rowid(struct kr_store *, const char *, int64_t,
	    struct kr_err *) KR_WUR;
int	store_bind_blob(struct kr_store *, const char *, const char *,
	    const uint8_t *, size_t, struct kr_err *) KR_WUR;
int	store_bind_text(struct kr_store *, const char *, const char *,
	    const char *, struct kr_err *) KR_WUR;
int	store_bind_range(struct kr_store *, const char *, int64_t, int64_t,
	    const uint8_t *, struct kr_err *) KR_WUR;
int	store_pending_payload(struct kr_store *, const char *, char **,
	    struct kr_err *) KR_WUR;
/*
 * The newest seq of an audit row of event a or b (0: none) as the kept
 * replay read the chain, nothing written since: 1; 0 when there is no
 * such replay (the caller reads the table).
 */
int	store_replayed_newest(struct kr_store *, const char *, const char *,
	    int64_t *, struct kr_err *) KR_WUR;
void	store_pending_clear(struct kr_store *);
/* Adds the bindings an audit row carries to a loaded ledger. */
int	store_ledger_row(struct kr_store *, int64_t, const char *) KR_WUR;
int	store_ledger_reset(struct kr_store *, struct kr_err *) KR_WUR;
void	store_ledger_free(struct kr_store *);
/* Forgets the ledger (not the queue); the next use reads the chain again. */
void	store_ledger_drop(struct kr_store *);
int	store_ledger_load(struct kr_store *, struct kr_err *) KR_WUR;

/* The values a CRL is built from, of one revocation row. */
struct store_crl_row {
	int64_t		 id;
	const uint8_t	*serial;
	size_t		 serial_len;
	int64_t		 revoked_at;
	int64_t		 reason;
	int64_t		 invalidity;
	int64_t		 expires;
	bool		 lifted;
	int64_t		 lifted_at;
};

/* revocation.c: the SQL function of the CRL iterator's scan. */
int	store_rev_functions(struct kr_store *, struct kr_err *) KR_WUR;

struct store_pwalk;
int	store_pwalk_new(struct kr_store *, const uint8_t *,
	    struct store_pwalk **, struct kr_err *) KR_WUR;
int	store_pwalk_row(struct store_pwalk *, const struct store_crl_row *,
	    struct kr_err *) KR_WUR;
int	store_pwalk_end(struct store_pwalk *, struct kr_err *) KR_WUR;
void	store_pwalk_free(struct store_pwalk **);
/* A row of a ranged table found by a point lookup, checked before use. */
int	store_check_id(struct kr_store *, const char *, int64_t,
	    struct kr_err *) KR_WUR;
/* A serial found among none of an issuer's revocations: proven absent. */
int	store_check_absent(struct kr_store *, const uint8_t *,
	    struct kr_err *) KR_WUR;

/*
 * ledger.c: the bound tables, for the audit bundle (bundle.c): the name
 * of the binding, the table read, the columns hashed in their order.
 */
#define STORE_BOUND_COLS	20
struct store_bound {
	const char	*name;		/* "revocations.lifted" */
	char		 base[32];	/* "revocations" */
	const char	*select;	/* identity, then the columns */
	const char	*where;		/* rows covered, or "" */
	int		 ncols;
	char		 cols[STORE_BOUND_COLS][32];
	bool		 ranged;
	int		 added;
};
size_t	store_bound_count(void);
int	store_bound_get(size_t, struct store_bound *) KR_WUR;

/* schema.c */
int	store_schema_migrate(struct kr_store *, bool, struct kr_err *) KR_WUR;

#endif /* KEYRITE_STORE_INT_H */
