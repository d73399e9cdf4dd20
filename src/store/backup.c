/*
 * A consistent copy of the database (SQLite's online backup API), for
 * `keyrite backup`, and the integrity check `keyrite restore` runs on a
 * copy before it opens it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include <keyrite/base.h>
#include <keyrite/store.h>

#include "store_int.h"

/* The copy is a new file: never over an existing one. */
static int
store_backup_target(const char *path, struct kr_err *err)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return kr_err_set(err, errno == EEXIST ? KR_EEXIST : KR_ESTATE,
		    "cannot create the database copy %s: %s", path,
		    strerror(errno));
	(void)close(fd);
	return KR_OK;
}

static int
store_backup_sync(const char *path, struct kr_err *err)
{
	int	fd, r;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return kr_err_set(err, KR_EIO, "cannot open the database copy "
		    "%s: %s", path, strerror(errno));
	r = fsync(fd);
	(void)close(fd);
	if (r != 0) {
		(void)unlink(path);
		return kr_err_set(err, KR_EIO, "cannot sync the database copy "
		    "%s: %s", path, strerror(errno));
	}
	return KR_OK;
}

/*
 * Copies the whole database into `path` (a new file) in one step, inside
 * a read transaction, so the copy is one consistent state of the records
 * whatever a reader does meanwhile (writers are held off by the lock).
 * The copy uses the rollback journal: it is one self-contained file.
 */
int
kr_store_backup(struct kr_store *st, const char *path, struct kr_err *err)
{
	sqlite3		*dst = NULL;
	sqlite3_backup	*b;
	int		 rc, ret;

	if (st->in_tx)
		return kr_err_set(err, KR_EINTERNAL, "a database copy was "
		    "asked for inside a transaction: this is a bug in keyrite");
	if ((ret = store_backup_target(path, err)) != KR_OK)
		return ret;
	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	if ((b = sqlite3_backup_init(dst, "main", st->db, "main")) == NULL) {
		rc = sqlite3_errcode(dst);
		goto fail;
	}
	rc = sqlite3_backup_step(b, -1);
	(void)sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		goto fail;
	rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL,
	    NULL);
	if (rc != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_close(dst)) != SQLITE_OK) {
		dst = NULL;
		goto fail;
	}
	return store_backup_sync(path, err);
fail:
	if (dst != NULL)
		(void)sqlite3_close_v2(dst);
	ret = store_sqlite_err(st, rc, err, "copying the database to %s",
	    path);
	(void)unlink(path);
	return ret;
}

/* PRAGMA integrity_check: KR_EVERIFY naming the first problem. */
int
kr_store_integrity(struct kr_store *st, struct kr_err *err)
{
	sqlite3_stmt		*stmt = NULL;
	const unsigned char	*txt;
	int			 rc, ret;

	if ((ret = store_prepare(st, "PRAGMA integrity_check(1)", &stmt,
	    err)) != KR_OK)
		return ret;
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		ret = store_sqlite_err(st, rc, err, "checking the database");
		sqlite3_finalize(stmt);
		return ret;
	}
	txt = sqlite3_column_text(stmt, 0);
	if (txt != NULL && strcmp((const char *)txt, "ok") == 0)
		ret = KR_OK;
	else
		ret = kr_err_set(err, KR_EVERIFY, "the database %s fails "
		    "SQLite's integrity check (%.200s)", st->path, txt != NULL ?
		    (const char *)txt : "no answer");
	sqlite3_finalize(stmt);
	return ret;
}
