/*
 * The store's connection: create, open and close the database, the write
 * transactions, and the one boundary where SQLite result codes become
 * keyrite error codes with an operator-level message.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include <keyrite/base.h>
#include <keyrite/store.h>

#include "store_int.h"

#ifdef SQLITE_OPEN_NOFOLLOW
#define STORE_OPEN_NOFOLLOW	SQLITE_OPEN_NOFOLLOW
#else
#define STORE_OPEN_NOFOLLOW	0
#endif

#define STORE_OPEN_FLAGS \
	(SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | STORE_OPEN_NOFOLLOW)

/* Per-connection settings; journal_mode is set (and checked) apart. */
static const char store_pragmas[] =
	/*
	 * 16 KiB pages (a new database only; ignored afterwards): streaming
	 * a million revocations into a CRL reads a quarter as many pages.
	 */
	"PRAGMA page_size = 16384;"
	"PRAGMA trusted_schema = OFF;"
	"PRAGMA foreign_keys = ON;"
	"PRAGMA secure_delete = ON;"
	"PRAGMA synchronous = FULL;";

/*
 * The error boundary: every failed SQLite call goes through here.  `rc`
 * is the (extended) result code; the message starts with what keyrite was
 * doing, then says what it means for the operator, then SQLite's words.
 */
int
store_sqlite_err(struct kr_store *st, int rc, struct kr_err *err,
    const char *fmt, ...)
{
	char		 what[256];
	const char	*detail, *path;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	path = st->path;
	detail = st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_READONLY:
		return kr_err_set(err, KR_ESTATE, "%s: the keyrite database %s "
		    "is read-only (%s): keyrite must be able to write the file "
		    "and its folder; check their permissions and that the "
		    "disk is not mounted read-only", what, path, detail);
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return kr_err_set(err, KR_ESTATE, "%s: cannot open the keyrite "
		    "database %s (%s): check that the file and its folder "
		    "exist and that keyrite may read and write both",
		    what, path, detail);
	case SQLITE_FULL:
		return kr_err_set(err, KR_EIO, "%s: the disk holding %s is "
		    "full (%s): nothing was recorded; free some space and "
		    "try again", what, path, detail);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return kr_err_set(err, KR_EBUSY, "%s: busy: the keyrite "
		    "database %s is in use by another keyrite (%s): let it "
		    "finish, then try again", what, path, detail);
	case SQLITE_NOTADB:
		return kr_err_set(err, KR_ESTATE, "%s: %s is not a keyrite "
		    "database (%s)", what, path, detail);
	case SQLITE_CORRUPT:
		return kr_err_set(err, KR_ESTATE, "%s: the keyrite database %s "
		    "is damaged (%s): restore it from the last backup",
		    what, path, detail);
	case SQLITE_IOERR:
		return kr_err_set(err, KR_EIO, "%s: reading or writing %s "
		    "failed (%s): check the disk", what, path, detail);
	case SQLITE_NOMEM:
		return kr_err_set(err, KR_ENOMEM, "%s: out of memory (%s)",
		    what, detail);
	case SQLITE_CONSTRAINT:
		return kr_err_set(err, KR_EINPUT, "%s: the database refused "
		    "it (%s)", what, detail);
	default:
		return kr_err_set(err, KR_EINTERNAL, "%s: unexpected SQLite "
		    "error on %s (%s)", what, path, detail);
	}
}

int
store_damaged(struct kr_store *st, struct kr_err *err, const char *fmt, ...)
{
	char	what[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return kr_err_set(err, KR_ESTATE, "the keyrite database %s is damaged: "
	    "%s: restore it from the last backup", st->path, what);
}

int
store_prepare(struct kr_store *st, const char *sql, sqlite3_stmt **stmt,
    struct kr_err *err)
{
	int	rc;

	*stmt = NULL;
	rc = sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);
	if (rc != SQLITE_OK)
		return store_sqlite_err(st, rc, err, "preparing a query");
	return KR_OK;
}

int
store_prepare_kept(struct kr_store *st, const char *sql, sqlite3_stmt **stmt,
    struct kr_err *err)
{
	struct store_kept	*k, *room = NULL;
	size_t			 i;
	int			 rc;

	*stmt = NULL;
	for (i = 0; i < STORE_KEPT; i++) {
		k = &st->kept[i];
		if (k->sql == NULL) {
			if (room == NULL)
				room = k;
			continue;
		}
		if (strcmp(k->sql, sql) != 0)
			continue;
		if (k->busy)	/* nested: a statement of its own */
			return store_prepare(st, sql, stmt, err);
		k->busy = true;
		*stmt = k->stmt;
		return KR_OK;
	}
	if (room == NULL || (room->sql = strdup(sql)) == NULL)
		return store_prepare(st, sql, stmt, err);
	rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &room->stmt, NULL);
	if (rc != SQLITE_OK) {
		free(room->sql);
		room->sql = NULL;
		room->stmt = NULL;
		return store_sqlite_err(st, rc, err, "preparing a query");
	}
	room->busy = true;
	*stmt = room->stmt;
	return KR_OK;
}

void
store_release(struct kr_store *st, sqlite3_stmt *stmt)
{
	size_t	i;

	if (stmt == NULL)
		return;
	for (i = 0; i < STORE_KEPT; i++)
		if (st->kept[i].stmt == stmt) {
			(void)sqlite3_reset(stmt);
			(void)sqlite3_clear_bindings(stmt);
			st->kept[i].busy = false;
			return;
		}
	sqlite3_finalize(stmt);
}

static void
store_kept_free(struct kr_store *st)
{
	size_t	i;

	for (i = 0; i < STORE_KEPT; i++) {
		sqlite3_finalize(st->kept[i].stmt);
		free(st->kept[i].sql);
	}
	memset(st->kept, 0, sizeof(st->kept));
}

/* Runs fixed SQL text (one or more statements), discarding any rows. */
int
store_exec(struct kr_store *st, const char *sql, const char *what,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	const char	*tail = sql;
	int		 rc;

	while (*tail != '\0') {
		rc = sqlite3_prepare_v2(st->db, tail, -1, &stmt, &tail);
		if (rc != SQLITE_OK)
			return store_sqlite_err(st, rc, err, "%s", what);
		if (stmt == NULL)	/* whitespace or a comment */
			continue;
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			continue;
		if (rc != SQLITE_DONE) {
			rc = store_sqlite_err(st, rc, err, "%s", what);
			sqlite3_finalize(stmt);
			return rc;
		}
		sqlite3_finalize(stmt);
		stmt = NULL;
	}
	return KR_OK;
}

/* Copies a TEXT column into buf; a NULL or oversized value is damage. */
int
store_col_text(struct kr_store *st, sqlite3_stmt *stmt, int col, char *buf,
    size_t size, const char *what, struct kr_err *err)
{
	const unsigned char	*p;
	int			 n;

	p = sqlite3_column_text(stmt, col);
	n = sqlite3_column_bytes(stmt, col);
	if (p == NULL || n < 0 || (size_t)n >= size ||
	    memchr(p, '\0', (size_t)n) != NULL)
		return store_damaged(st, err, "%s is missing or too long",
		    what);
	memcpy(buf, p, (size_t)n);
	buf[n] = '\0';
	return KR_OK;
}

/* Copies a BLOB column of exactly `len` bytes. */
int
store_col_blob(struct kr_store *st, sqlite3_stmt *stmt, int col,
    uint8_t *buf, size_t len, const char *what, struct kr_err *err)
{
	const void	*p;

	if (sqlite3_column_type(stmt, col) != SQLITE_BLOB)
		return store_damaged(st, err, "%s is not a byte string", what);
	p = sqlite3_column_blob(stmt, col);
	if (p == NULL || (size_t)sqlite3_column_bytes(stmt, col) != len)
		return store_damaged(st, err, "%s is not %zu bytes long",
		    what, len);
	memcpy(buf, p, len);
	return KR_OK;
}

/* Whether s is a NUL-terminated string of 1 to max bytes. */
bool
store_str_fits(const char *s, size_t max)
{
	size_t	n;

	if (s == NULL)
		return false;
	n = strnlen(s, max + 1);
	return n >= 1 && n <= max;
}

static struct kr_store *
store_new(const char *path)
{
	struct kr_store	*st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if ((st->path = strdup(path)) == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

static int
store_journal_wal(struct kr_store *st, struct kr_err *err)
{
	sqlite3_stmt		*stmt = NULL;
	const unsigned char	*mode;
	int			 rc, ret = KR_EINTERNAL;

	if ((ret = store_prepare(st, "PRAGMA journal_mode = WAL", &stmt,
	    err)) != KR_OK)
		return ret;
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		ret = store_sqlite_err(st, rc, err, "switching to WAL mode");
		goto out;
	}
	mode = sqlite3_column_text(stmt, 0);
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		ret = kr_err_set(err, KR_ESTATE, "the keyrite database %s "
		    "cannot use write-ahead logging (journal mode is %s): "
		    "keep the state folder on a local disk", st->path,
		    mode != NULL ? (const char *)mode : "unknown");
		goto out;
	}
	ret = KR_OK;
out:
	sqlite3_finalize(stmt);
	return ret;
}

static int
store_foreign_keys_on(struct kr_store *st, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 ret = KR_EINTERNAL;

	if ((ret = store_prepare(st, "PRAGMA foreign_keys", &stmt, err)) !=
	    KR_OK)
		return ret;
	ret = KR_OK;
	if (sqlite3_step(stmt) != SQLITE_ROW ||
	    sqlite3_column_int(stmt, 0) != 1)
		ret = kr_err_set(err, KR_EINTERNAL, "this SQLite library "
		    "does not enforce foreign keys: keyrite needs a SQLite "
		    "built with them");
	sqlite3_finalize(stmt);
	return ret;
}

/* Opens st->path read-write and applies the connection settings. */
static int
store_connect(struct kr_store *st, struct kr_err *err)
{
	int	rc, ret = KR_EINTERNAL;

	rc = sqlite3_open_v2(st->path, &st->db, STORE_OPEN_FLAGS, NULL);
	if (rc != SQLITE_OK)
		return store_sqlite_err(st, rc, err, "opening the database");
	sqlite3_extended_result_codes(st->db, 1);
	if (sqlite3_db_readonly(st->db, "main") != 0)
		return store_sqlite_err(st, SQLITE_READONLY, err,
		    "opening the database");
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	if ((ret = store_journal_wal(st, err)) != KR_OK)
		return ret;
	if ((ret = store_exec(st, store_pragmas, "setting up the "
	    "connection", err)) != KR_OK ||
	    (ret = store_rev_functions(st, err)) != KR_OK)
		return ret;
	return store_foreign_keys_on(st, err);
}

/* Clear wording for why the folder or file cannot be written. */
static int
store_check_writable(const char *path, struct kr_err *err)
{
	char	*dir;
	int	 ret = KR_EINTERNAL;

	if (access(path, R_OK | W_OK) == -1)
		return kr_err_set(err, KR_ESTATE, "the keyrite database %s "
		    "cannot be written (%s): keyrite must be able to write "
		    "it; check its permissions and that the disk is not "
		    "mounted read-only", path, strerror(errno));
	if ((dir = kr_path_dir(path)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = KR_OK;
	if (access(dir, W_OK | X_OK) == -1)
		ret = kr_err_set(err, KR_ESTATE, "the folder %s holding the "
		    "keyrite database cannot be written (%s): keyrite keeps "
		    "its write-ahead log beside %s; check the folder's "
		    "permissions and that the disk is not mounted read-only",
		    dir, strerror(errno), path);
	free(dir);
	return ret;
}

static int
store_check_present(const char *path, struct kr_err *err)
{
	struct stat	sb;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return kr_err_set(err, KR_ESTATE, "no keyrite "
			    "database at %s: run `keyrite init` first or "
			    "pass -C", path);
		return kr_err_set(err, KR_ESTATE, "cannot reach the keyrite "
		    "database %s: %s", path, strerror(errno));
	}
	if (S_ISLNK(sb.st_mode))
		return kr_err_set(err, KR_ESTATE, "%s is a symbolic link: "
		    "keyrite opens its database only as a regular file",
		    path);
	if (!S_ISREG(sb.st_mode))
		return kr_err_set(err, KR_ESTATE, "%s is not a regular file, "
		    "so it cannot be a keyrite database", path);
	return store_check_writable(path, err);
}

int
kr_store_open(struct kr_store **out, const char *path, struct kr_err *err)
{
	struct kr_store	*st = NULL;
	int		 ret = KR_EINTERNAL;

	*out = NULL;
	if (path == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no database path given");
	if ((ret = store_check_present(path, err)) != KR_OK)
		return ret;
	if ((st = store_new(path)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = store_connect(st, err)) != KR_OK)
		goto fail;
	if ((ret = store_schema_migrate(st, false, err)) != KR_OK)
		goto fail;
	*out = st;
	return KR_OK;
fail:
	kr_store_close(&st);
	return ret;
}

/* A WAL or shared-memory file left from an earlier database would be
 * replayed into the new one: refuse rather than guess. */
static int
store_check_leftovers(const char *path, struct kr_err *err)
{
	static const char *const sfx[] = { "-wal", "-shm", "-journal" };
	char	 name[4096];
	size_t	 i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if ((size_t)snprintf(name, sizeof(name), "%s%s", path,
		    sfx[i]) >= sizeof(name))
			return kr_err_set(err, KR_EINPUT, "the path %s is too "
			    "long", path);
		if (kr_path_exists(name))
			return kr_err_set(err, KR_EEXIST, "%s is left over "
			    "from an earlier database: move it away before "
			    "creating a new keyrite database at %s", name,
			    path);
	}
	return KR_OK;
}

static int
store_create_file(const char *path, struct kr_err *err)
{
	int	fd, saved;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		if (errno == EEXIST)
			return kr_err_set(err, KR_EEXIST, "a keyrite database "
			    "already exists at %s: it was left untouched; "
			    "use it, or choose another folder with -C", path);
		return kr_err_set(err, KR_ESTATE, "cannot create the keyrite "
		    "database %s: %s: check that the folder exists and that "
		    "keyrite may write it", path, strerror(errno));
	}
	if (fchmod(fd, 0600) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(path);
		return kr_err_set(err, KR_EIO, "cannot set up the new keyrite "
		    "database %s: %s", path, strerror(saved));
	}
	close(fd);
	return KR_OK;
}

static void
store_remove_files(const char *path)
{
	static const char *const sfx[] = { "-wal", "-shm", "-journal" };
	char	 name[4096];
	size_t	 i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
		if ((size_t)snprintf(name, sizeof(name), "%s%s", path,
		    sfx[i]) < sizeof(name))
			unlink(name);
	unlink(path);
}

static int
store_sync_folder(const char *path, struct kr_err *err)
{
	char	*dir;
	int	 ret = KR_EINTERNAL;

	if ((dir = kr_path_dir(path)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_fsync_dir(dir, err);
	free(dir);
	return ret;
}

int
kr_store_create(const char *path, struct kr_err *err)
{
	struct kr_store	*st = NULL;
	int		 ret = KR_EINTERNAL;

	if (path == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no database path given");
	if ((ret = store_check_leftovers(path, err)) != KR_OK)
		return ret;
	if ((ret = store_create_file(path, err)) != KR_OK)
		return ret;
	if ((st = store_new(path)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto fail;
	}
	if ((ret = store_connect(st, err)) != KR_OK)
		goto fail;
	if ((ret = store_schema_migrate(st, true, err)) != KR_OK)
		goto fail;
	kr_store_close(&st);
	if ((ret = store_sync_folder(path, err)) != KR_OK)
		goto fail;
	return KR_OK;
fail:
	kr_store_close(&st);
	store_remove_files(path);
	return ret;
}

void
kr_store_close(struct kr_store **stp)
{
	struct kr_store	*st;

	if (stp == NULL || (st = *stp) == NULL)
		return;
	kr_store_rollback(st);
	store_ledger_free(st);
	store_kept_free(st);
	if (st->db != NULL)
		sqlite3_close_v2(st->db);
	free(st->path);
	free(st);
	*stp = NULL;
}

int
kr_store_begin(struct kr_store *st, struct kr_err *err)
{
	int	ret = KR_EINTERNAL;

	if (st->in_tx || !sqlite3_get_autocommit(st->db))
		return kr_err_set(err, KR_EINTERNAL, "a store transaction is "
		    "already open on %s (nested begin): this is a bug in "
		    "keyrite", st->path);
	if ((ret = store_exec(st, "BEGIN IMMEDIATE", "starting a change",
	    err)) != KR_OK)
		return ret;
	st->in_tx = true;
	return KR_OK;
}

int
kr_store_commit(struct kr_store *st, struct kr_err *err)
{
	int	ret = KR_EINTERNAL;

	if (!st->in_tx)
		return kr_err_set(err, KR_EINTERNAL, "commit without an open "
		    "store transaction on %s: this is a bug in keyrite",
		    st->path);
	if ((ret = store_exec(st, "COMMIT", "saving a change", err)) != KR_OK) {
		kr_store_rollback(st);
		return ret;
	}
	st->in_tx = false;
	st->ledger_tx = false;
	store_pending_clear(st);
	return KR_OK;
}

void
kr_store_rollback(struct kr_store *st)
{
	sqlite3_stmt	*stmt = NULL;

	if (st == NULL || st->db == NULL)
		return;
	st->in_tx = false;
	store_pending_clear(st);
	if (st->ledger_tx) {
		/* Bindings of rows that are gone: read the chain again. */
		st->ledger_tx = false;
		store_ledger_drop(st);
	}
	if (sqlite3_get_autocommit(st->db))
		return;
	if (sqlite3_prepare_v2(st->db, "ROLLBACK", -1, &stmt, NULL) ==
	    SQLITE_OK)
		(void)sqlite3_step(stmt);
	sqlite3_finalize(stmt);
}

/*
 * For functions that must run in a transaction: joins the caller's open
 * one, or opens one of its own (*own set) for store_tx_leave to finish.
 */
int
store_tx_enter(struct kr_store *st, bool *own, struct kr_err *err)
{
	*own = false;
	if (st->in_tx)
		return KR_OK;
	*own = true;
	return kr_store_begin(st, err);
}

int
store_tx_leave(struct kr_store *st, bool own, int ret, struct kr_err *err)
{
	if (!own)
		return ret;
	if (ret == KR_OK)
		return kr_store_commit(st, err);
	kr_store_rollback(st);
	return ret;
}
