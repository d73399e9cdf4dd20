/*
 * Inventory records: appliance settings, keys, share sets, custodians.
 * Plain values in, plain values out; the database's constraints are the
 * last word, and their refusals are turned into messages here.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include <keyrite/base.h>
#include <keyrite/store.h>

#include "store_int.h"

#define STORE_ID_HEX	(2 * KR_STORE_ID_BYTES + 1)

#define KEY_COLUMNS \
	"id, name, alg, purpose, backend, state, location, spki, created"
#define SET_COLUMNS \
	"id, key_id, epoch, m, n, dealer_pk, kdf_ops, kdf_mem_kib, state, " \
	"created, retired"

static void
store_id_hex(char *out, const uint8_t *id)
{
	kr_hex_encode(out, id, KR_STORE_ID_BYTES);
}

/* Steps a statement that returns no rows. */
static int
store_step_done(struct kr_store *st, sqlite3_stmt *stmt, int *rc,
    struct kr_err *err, const char *what)
{
	*rc = sqlite3_step(stmt);
	if (*rc == SQLITE_DONE)
		return KR_OK;
	return store_sqlite_err(st, *rc, err, "%s", what);
}

/* Settings */

int
kr_store_meta_set(struct kr_store *st, const char *name, const char *value,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret = KR_EINTERNAL;

	if (!store_str_fits(name, KR_STORE_NAME_MAX) || value == NULL)
		return kr_err_set(err, KR_EINTERNAL, "a setting needs a name "
		    "of 1 to %d bytes and a value", KR_STORE_NAME_MAX);
	if ((ret = store_prepare(st, "INSERT INTO meta (name, value) "
	    "VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE "
	    "SET value = excluded.value", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
	ret = store_step_done(st, stmt, &rc, err, "saving a setting");
	if (ret != KR_OK)
		kr_err_prefix(err, "setting %s: ", name);
	if (ret == KR_OK)
		ret = store_bind_text(st, "meta", "name", name, err);
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_meta_get(struct kr_store *st, const char *name, char *buf,
    size_t size, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret = KR_EINTERNAL;

	if (size > 0)
		buf[0] = '\0';
	if ((ret = store_prepare(st, "SELECT value FROM meta WHERE name = ?1",
	    &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(stmt, 0) >= size)
		ret = kr_err_set(err, KR_EINPUT, "the setting %s in %s is "
		    "longer than keyrite expects (%zu bytes at most)", name,
		    st->path, size > 0 ? size - 1 : 0);
	else if (rc == SQLITE_ROW) {
		ret = store_col_text(st, stmt, 0, buf, size, "a setting",
		    err);
		if (ret != KR_OK)
			kr_err_prefix(err, "setting %s: ", name);
	} else if (rc == SQLITE_DONE)
		ret = kr_err_set(err, KR_ENOENT, "the setting %s is not set "
		    "in %s", name, st->path);
	else
		ret = store_sqlite_err(st, rc, err, "reading setting %s",
		    name);
	sqlite3_finalize(stmt);
	return ret;
}

/* Keys */

static int
store_key_valid(const struct kr_key_rec *k, struct kr_err *err)
{
	if (!store_str_fits(k->name, KR_STORE_NAME_MAX))
		return kr_err_set(err, KR_EINPUT, "a key name must be 1 to %d "
		    "bytes long", KR_STORE_NAME_MAX);
	if (!store_str_fits(k->alg, sizeof(k->alg) - 1) ||
	    !store_str_fits(k->purpose, sizeof(k->purpose) - 1) ||
	    !store_str_fits(k->backend, sizeof(k->backend) - 1) ||
	    !store_str_fits(k->state, sizeof(k->state) - 1) ||
	    !store_str_fits(k->location, sizeof(k->location) - 1))
		return kr_err_set(err, KR_EINTERNAL, "key '%s': a field of "
		    "its record is empty or not terminated: this is a bug in "
		    "keyrite", k->name);
	if (k->spki_len == 0 || k->spki_len > KR_STORE_SPKI_MAX)
		return kr_err_set(err, KR_EINPUT, "key '%s': its public key "
		    "is %zu bytes; keyrite keeps 1 to %d", k->name,
		    k->spki_len, KR_STORE_SPKI_MAX);
	return KR_OK;
}

static int
store_key_refused(struct kr_store *st, const struct kr_key_rec *k, int rc,
    struct kr_err *err)
{
	char	hex[STORE_ID_HEX];

	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return kr_err_set(err, KR_EEXIST, "a key named '%s' already "
		    "exists in this state folder: choose another name "
		    "(`keyrite key list` shows the keys)", k->name);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		store_id_hex(hex, k->id);
		return kr_err_set(err, KR_EEXIST, "a key with id %s already "
		    "exists in this state folder", hex);
	}
	return store_sqlite_err(st, rc, err, "recording key '%s'", k->name);
}

int
kr_store_key_insert(struct kr_store *st, const struct kr_key_rec *k,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret = KR_EINTERNAL;

	if ((ret = store_key_valid(k, err)) != KR_OK)
		return ret;
	if ((ret = store_prepare(st, "INSERT INTO keys (" KEY_COLUMNS ") "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &stmt, err)) !=
	    KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, k->id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, k->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, k->alg, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, k->purpose, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, k->backend, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, k->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, k->location, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 8, k->spki, (int)k->spki_len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 9, k->created);
	rc = sqlite3_step(stmt);
	ret = KR_OK;
	if (rc != SQLITE_DONE)
		ret = store_key_refused(st, k, rc, err);
	if (ret == KR_OK)
		ret = store_bind_last(st, "keys", err);
	sqlite3_finalize(stmt);
	return ret;
}

static int
store_key_row(struct kr_store *st, sqlite3_stmt *stmt, struct kr_key_rec *k,
    struct kr_err *err)
{
	const void	*spki;
	int		 n, ret = KR_EINTERNAL;

	memset(k, 0, sizeof(*k));
	if ((ret = store_col_blob(st, stmt, 0, k->id, sizeof(k->id),
	    "a key id", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 1, k->name, sizeof(k->name),
	    "a key name", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 2, k->alg, sizeof(k->alg),
	    "a key algorithm", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 3, k->purpose, sizeof(k->purpose),
	    "a key purpose", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 4, k->backend, sizeof(k->backend),
	    "a key backend", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 5, k->state, sizeof(k->state),
	    "a key state", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 6, k->location,
	    sizeof(k->location), "a key location", err)) != KR_OK)
		return ret;
	spki = sqlite3_column_blob(stmt, 7);
	n = sqlite3_column_bytes(stmt, 7);
	if (spki == NULL || n <= 0 || n > KR_STORE_SPKI_MAX)
		return store_damaged(st, err, "the public key of key '%s' is "
		    "missing or too long", k->name);
	memcpy(k->spki, spki, (size_t)n);
	k->spki_len = (size_t)n;
	k->created = sqlite3_column_int64(stmt, 8);
	return KR_OK;
}

int
kr_store_key_get(struct kr_store *st, const char *name, struct kr_key_rec *k,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret = KR_EINTERNAL;

	memset(k, 0, sizeof(*k));
	if ((ret = store_prepare(st, "SELECT " KEY_COLUMNS " FROM keys "
	    "WHERE name = ?1", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		ret = store_key_row(st, stmt, k, err);
	else if (rc == SQLITE_DONE)
		ret = kr_err_set(err, KR_ENOENT, "no key named '%s' in this "
		    "state folder: `keyrite key list` shows the keys", name);
	else
		ret = store_sqlite_err(st, rc, err, "looking up key '%s'",
		    name);
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_key_by_id(struct kr_store *st, const uint8_t *id,
    struct kr_key_rec *k, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	char		 hex[STORE_ID_HEX];
	int		 rc, ret = KR_EINTERNAL;

	memset(k, 0, sizeof(*k));
	store_id_hex(hex, id);
	if ((ret = store_prepare(st, "SELECT " KEY_COLUMNS " FROM keys "
	    "WHERE id = ?1", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		ret = store_key_row(st, stmt, k, err);
	else if (rc == SQLITE_DONE)
		ret = kr_err_set(err, KR_ENOENT, "no key with id %s in this "
		    "state folder", hex);
	else
		ret = store_sqlite_err(st, rc, err, "looking up key %s", hex);
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_key_name(struct kr_store *st, const uint8_t *id, char *out,
    size_t cap, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	char		 hex[STORE_ID_HEX], name[KR_STORE_NAME_MAX + 1];
	int		 rc, ret = KR_EINTERNAL;

	if (cap > 0)
		out[0] = '\0';
	store_id_hex(hex, id);
	if ((ret = store_prepare_kept(st, "SELECT name FROM keys WHERE id = "
	    "?1", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && (ret = store_col_text(st, stmt, 0, name,
	    sizeof(name), "a key name", err)) == KR_OK)
		(void)snprintf(out, cap, "%s", name);
	else if (rc == SQLITE_DONE)
		ret = kr_err_set(err, KR_ENOENT, "no key with id %s in this "
		    "state folder", hex);
	else if (rc != SQLITE_ROW)
		ret = store_sqlite_err(st, rc, err, "looking up key %s", hex);
	store_release(st, stmt);
	return ret;
}

int
kr_store_key_set_state(struct kr_store *st, const uint8_t *id,
    const char *state, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	char		 hex[STORE_ID_HEX];
	int		 rc, ret = KR_EINTERNAL;

	store_id_hex(hex, id);
	if ((ret = store_prepare(st, "UPDATE keys SET state = ?2 "
	    "WHERE id = ?1", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC);
	if ((ret = store_step_done(st, stmt, &rc, err, "changing a key's "
	    "state")) != KR_OK)
		kr_err_prefix(err, "key %s: ", hex);
	else if (sqlite3_changes(st->db) != 1)
		ret = kr_err_set(err, KR_ENOENT, "no key with id %s in this "
		    "state folder: `keyrite key list` shows the keys", hex);
	if (ret == KR_OK)
		ret = store_bind_blob(st, "keys", "id", id,
		    KR_STORE_ID_BYTES, err);
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_key_foreach(struct kr_store *st, kr_key_cb *cb, void *arg,
    struct kr_err *err)
{
	sqlite3_stmt		*stmt = NULL;
	struct kr_key_rec	 k;
	int			 rc = SQLITE_DONE, ret = KR_EINTERNAL;

	if ((ret = store_prepare(st, "SELECT " KEY_COLUMNS " FROM keys "
	    "ORDER BY name", &stmt, err)) != KR_OK)
		return ret;
	ret = KR_OK;
	while (ret == KR_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((ret = store_key_row(st, stmt, &k, err)) == KR_OK)
			ret = cb(&k, arg);
	}
	if (ret == KR_OK && rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "listing the keys");
	sqlite3_finalize(stmt);
	return ret;
}

/* Share sets */

static int
store_set_row(struct kr_store *st, sqlite3_stmt *stmt, struct kr_set_rec *s,
    struct kr_err *err)
{
	int	ret = KR_EINTERNAL;

	memset(s, 0, sizeof(*s));
	if ((ret = store_col_blob(st, stmt, 0, s->id, sizeof(s->id),
	    "a share set id", err)) != KR_OK ||
	    (ret = store_col_blob(st, stmt, 1, s->key_id, sizeof(s->key_id),
	    "a share set's key id", err)) != KR_OK ||
	    (ret = store_col_blob(st, stmt, 5, s->dealer_pk,
	    sizeof(s->dealer_pk), "a share set's dealer key", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 8, s->state, sizeof(s->state),
	    "a share set's state", err)) != KR_OK)
		return ret;
	s->epoch = (uint32_t)sqlite3_column_int64(stmt, 2);
	s->m = (unsigned)sqlite3_column_int(stmt, 3);
	s->n = (unsigned)sqlite3_column_int(stmt, 4);
	s->kdf_ops = (uint32_t)sqlite3_column_int64(stmt, 6);
	s->kdf_mem_kib = (uint32_t)sqlite3_column_int64(stmt, 7);
	s->created = sqlite3_column_int64(stmt, 9);
	s->retired = sqlite3_column_int64(stmt, 10);	/* NULL: 0 */
	return KR_OK;
}

/*
 * Fetches one share set by its id (state NULL), or a key's set in that
 * state ("active", "pending").
 */
static int
store_set_one(struct kr_store *st, const char *state, const uint8_t *id,
    struct kr_set_rec *s, struct kr_err *err)
{
	bool		 by_key = state != NULL;
	sqlite3_stmt	*stmt = NULL;
	char		 hex[STORE_ID_HEX];
	int		 rc, ret = KR_EINTERNAL;

	memset(s, 0, sizeof(*s));
	store_id_hex(hex, id);
	if ((ret = store_prepare(st, by_key ? "SELECT " SET_COLUMNS
	    " FROM share_sets WHERE key_id = ?1 AND state = ?2" :
	    "SELECT " SET_COLUMNS " FROM share_sets WHERE id = ?1", &stmt,
	    err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	if (by_key)
		sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		ret = store_set_row(st, stmt, s, err);
	else if (rc == SQLITE_DONE && by_key)
		ret = kr_err_set(err, KR_ENOENT, "key %s has no %s share "
		    "set", hex, state);
	else if (rc == SQLITE_DONE)
		ret = kr_err_set(err, KR_ENOENT, "no share set %s in this "
		    "state folder", hex);
	else
		ret = store_sqlite_err(st, rc, err, "looking up share set "
		    "%s", hex);
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_set_active(struct kr_store *st, const uint8_t *key_id,
    struct kr_set_rec *s, struct kr_err *err)
{
	return store_set_one(st, "active", key_id, s, err);
}

int
kr_store_set_pending(struct kr_store *st, const uint8_t *key_id,
    struct kr_set_rec *s, struct kr_err *err)
{
	return store_set_one(st, "pending", key_id, s, err);
}

int
kr_store_set_get(struct kr_store *st, const uint8_t *id,
    struct kr_set_rec *s, struct kr_err *err)
{
	return store_set_one(st, NULL, id, s, err);
}

/* Why a share set insert hit a uniqueness rule: which one. */
static int
store_set_refused(struct kr_store *st, const struct kr_set_rec *s, int rc,
    struct kr_err *err)
{
	struct kr_set_rec	active;
	struct kr_err		ignored;
	char			set[STORE_ID_HEX], key[STORE_ID_HEX];

	store_id_hex(set, s->id);
	store_id_hex(key, s->key_id);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return kr_err_set(err, KR_EEXIST, "a share set with id %s "
		    "already exists", set);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return kr_err_set(err, KR_ENOENT, "share set %s: no key with "
		    "id %s in this state folder", set, key);
	if (rc != SQLITE_CONSTRAINT_UNIQUE)
		return store_sqlite_err(st, rc, err, "recording share set %s "
		    "(m=%u, n=%u)", set, s->m, s->n);
	if (strcmp(s->state, "pending") == 0 &&
	    kr_store_set_pending(st, s->key_id, &active, &ignored) == KR_OK)
		return kr_err_set(err, KR_EEXIST, "key %s already has a "
		    "pending share set (epoch %u)", key, active.epoch);
	if (strcmp(s->state, "active") == 0 &&
	    kr_store_set_active(st, s->key_id, &active, &ignored) == KR_OK)
		return kr_err_set(err, KR_EEXIST, "key %s already has an "
		    "active share set (epoch %u): retire it before recording "
		    "another", key, active.epoch);
	return kr_err_set(err, KR_EEXIST, "key %s already has a share set "
	    "for epoch %u", key, s->epoch);
}

int
kr_store_set_insert(struct kr_store *st, const struct kr_set_rec *s,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret = KR_EINTERNAL;

	if (memchr(s->state, '\0', sizeof(s->state)) == NULL)
		return kr_err_set(err, KR_EINTERNAL, "share set state not "
		    "terminated: this is a bug in keyrite");
	if ((ret = store_prepare(st, "INSERT INTO share_sets (" SET_COLUMNS
	    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL)", &stmt,
	    err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, s->id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 2, s->key_id, KR_STORE_ID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, s->epoch);
	sqlite3_bind_int64(stmt, 4, s->m);
	sqlite3_bind_int64(stmt, 5, s->n);
	sqlite3_bind_blob(stmt, 6, s->dealer_pk, sizeof(s->dealer_pk),
	    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, s->kdf_ops);
	sqlite3_bind_int64(stmt, 8, s->kdf_mem_kib);
	sqlite3_bind_text(stmt, 9, s->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 10, s->created);
	rc = sqlite3_step(stmt);
	ret = KR_OK;
	if (rc != SQLITE_DONE)
		ret = store_set_refused(st, s, rc, err);
	if (ret == KR_OK)
		ret = store_bind_last(st, "share_sets", err);
	sqlite3_finalize(stmt);
	return ret;
}

/*
 * A share set's state changed by `sql` (?1 the set id, ?2 `when` if not
 * 0) and bound again; a set not in a state the change allows is refused,
 * saying its state and what was expected (`wanted`).
 */
static int
store_set_change(struct kr_store *st, const uint8_t *id, const char *sql,
    int64_t when, const char *what, const char *wanted, struct kr_err *err)
{
	sqlite3_stmt		*stmt = NULL;
	struct kr_set_rec	 s;
	char			 hex[STORE_ID_HEX];
	int			 rc, ret = KR_EINTERNAL;

	store_id_hex(hex, id);
	if ((ret = store_prepare(st, sql, &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	if (when != 0)
		sqlite3_bind_int64(stmt, 2, when);
	ret = store_step_done(st, stmt, &rc, err, what);
	sqlite3_finalize(stmt);
	if (ret != KR_OK)
		return kr_err_prefix(err, "share set %s: ", hex);
	if (sqlite3_changes(st->db) == 1)
		return store_bind_blob(st, "share_sets", "id", id,
		    KR_STORE_ID_BYTES, err);
	if ((ret = kr_store_set_get(st, id, &s, err)) != KR_OK)
		return ret;
	return kr_err_set(err, KR_EREFUSED, "share set %s (epoch %u) is %s, "
	    "not %s", hex, s.epoch, s.state, wanted);
}

int
kr_store_set_retire(struct kr_store *st, const uint8_t *id, int64_t when,
    struct kr_err *err)
{
	return store_set_change(st, id, "UPDATE share_sets SET state = "
	    "'retired', retired = ?2 WHERE id = ?1 AND state IN ('active', "
	    "'pending')", when, "retiring a share set", "active or pending",
	    err);
}

int
kr_store_set_activate(struct kr_store *st, const uint8_t *id,
    struct kr_err *err)
{
	return store_set_change(st, id, "UPDATE share_sets SET state = "
	    "'active' WHERE id = ?1 AND state = 'pending'", 0,
	    "activating a share set", "pending", err);
}

int
kr_store_sets_of_key(struct kr_store *st, const uint8_t *key_id,
    struct kr_set_rec *out, size_t max, size_t *count, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	size_t		 n = 0;
	int		 rc = SQLITE_DONE, ret = KR_EINTERNAL;

	*count = 0;
	if ((ret = store_prepare(st, "SELECT " SET_COLUMNS " FROM share_sets "
	    "WHERE key_id = ?1 ORDER BY epoch DESC", &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, key_id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	ret = KR_OK;
	while (ret == KR_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n < max)
			ret = store_set_row(st, stmt, &out[n], err);
		n++;
	}
	if (ret == KR_OK && rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "listing share sets");
	if (ret == KR_OK)
		*count = n < max ? n : max;
	sqlite3_finalize(stmt);
	return ret;
}

/* Custodians */

static int
store_custodian_refused(struct kr_store *st, const struct kr_custodian_rec *c,
    int rc, struct kr_err *err)
{
	char	set[STORE_ID_HEX];

	store_id_hex(set, c->set_id);
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
		return kr_err_set(err, KR_EEXIST, "custodian '%s' already "
		    "holds a share of set %s", c->name, set);
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return kr_err_set(err, KR_EEXIST, "share %u of set %s is "
		    "already held by another custodian", c->x, set);
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return kr_err_set(err, KR_ENOENT, "custodian '%s': no share "
		    "set %s in this state folder", c->name, set);
	case SQLITE_CONSTRAINT_TRIGGER:
		return kr_err_set(err, KR_EINPUT, "custodian '%s': share %u "
		    "does not exist in set %s (x is larger than n)", c->name,
		    c->x, set);
	default:
		return store_sqlite_err(st, rc, err, "recording custodian "
		    "'%s' (share %u of set %s)", c->name, c->x, set);
	}
}

int
kr_store_custodian_insert(struct kr_store *st,
    const struct kr_custodian_rec *c, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret = KR_EINTERNAL;

	if (!store_str_fits(c->name, KR_STORE_NAME_MAX))
		return kr_err_set(err, KR_EINPUT, "a custodian name must be 1 "
		    "to %d bytes long", KR_STORE_NAME_MAX);
	if ((ret = store_prepare(st, "INSERT INTO custodians (set_id, x, "
	    "name, share_digest, approval_pk) VALUES (?1, ?2, ?3, ?4, ?5)",
	    &stmt, err)) != KR_OK)
		return ret;
	if (c->has_approval_pk)
		sqlite3_bind_blob(stmt, 5, c->approval_pk,
		    sizeof(c->approval_pk), SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 5);
	sqlite3_bind_blob(stmt, 1, c->set_id, KR_STORE_ID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, c->x);
	sqlite3_bind_text(stmt, 3, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 4, c->share_digest, sizeof(c->share_digest),
	    SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	ret = KR_OK;
	if (rc != SQLITE_DONE)
		ret = store_custodian_refused(st, c, rc, err);
	if (ret == KR_OK)
		ret = store_bind_last(st, "custodians", err);
	sqlite3_finalize(stmt);
	return ret;
}

static int
store_custodian_row(struct kr_store *st, sqlite3_stmt *stmt,
    struct kr_custodian_rec *c, struct kr_err *err)
{
	int	ret = KR_EINTERNAL;

	memset(c, 0, sizeof(*c));
	if ((ret = store_col_blob(st, stmt, 0, c->set_id, sizeof(c->set_id),
	    "a custodian's share set id", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 2, c->name, sizeof(c->name),
	    "a custodian name", err)) != KR_OK ||
	    (ret = store_col_blob(st, stmt, 3, c->share_digest,
	    sizeof(c->share_digest), "a share digest", err)) != KR_OK)
		return ret;
	c->has_approval_pk = sqlite3_column_type(stmt, 4) != SQLITE_NULL;
	if (c->has_approval_pk && (ret = store_col_blob(st, stmt, 4,
	    c->approval_pk, sizeof(c->approval_pk), "a custodian's approval "
	    "key", err)) != KR_OK)
		return ret;
	c->x = (unsigned)sqlite3_column_int(stmt, 1);
	return KR_OK;
}

int
kr_store_custodians(struct kr_store *st, const uint8_t *set_id,
    struct kr_custodian_rec *out, size_t max, size_t *count,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	size_t		 n = 0;
	int		 rc = SQLITE_DONE, ret = KR_EINTERNAL;

	*count = 0;
	if ((ret = store_prepare(st, "SELECT set_id, x, name, share_digest, "
	    "approval_pk, checked FROM custodians WHERE set_id = ?1 ORDER BY x",
	    &stmt,
	    err)) !=
	    KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, set_id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	ret = KR_OK;
	while (ret == KR_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n < max && (ret = store_custodian_row(st, stmt, &out[n],
		    err)) == KR_OK)
			out[n].checked = sqlite3_column_int64(stmt, 5);
		n++;
	}
	if (ret == KR_OK && rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "listing custodians");
	if (ret == KR_OK)
		*count = n;
	sqlite3_finalize(stmt);
	return ret;
}

int
kr_store_custodian_checked(struct kr_store *st, const uint8_t *set_id,
    unsigned x, int64_t when, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int64_t		 rowid = 0;
	int		 rc, ret = KR_EINTERNAL;

	if ((ret = store_prepare(st, "UPDATE custodians SET checked = ?3 "
	    "WHERE set_id = ?1 AND x = ?2 AND checked IS NULL RETURNING rowid",
	    &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_blob(stmt, 1, set_id, KR_STORE_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, x);
	sqlite3_bind_int64(stmt, 3, when);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		rowid = sqlite3_column_int64(stmt, 0);
		rc = sqlite3_step(stmt);
	}
	ret = KR_OK;
	if (rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "recording the check of "
		    "share %u", x);
	sqlite3_finalize(stmt);
	if (ret != KR_OK || rowid == 0)
		return ret;	/* checked before: the first date stays */
	return store_bind_rowid(st, "custodians", rowid, err);
}

/* The custodian columns first, as store_custodian_row reads them. */
static int
store_holding_row(struct kr_store *st, sqlite3_stmt *stmt,
    struct kr_holding_rec *h, struct kr_err *err)
{
	int	ret = KR_EINTERNAL;

	memset(h, 0, sizeof(*h));
	if ((ret = store_custodian_row(st, stmt, &h->c, err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 5, h->key, sizeof(h->key),
	    "a key name", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 6, h->key_state,
	    sizeof(h->key_state), "a key's state", err)) != KR_OK ||
	    (ret = store_col_text(st, stmt, 10, h->set_state,
	    sizeof(h->set_state), "a share set's state", err)) != KR_OK)
		return ret;
	h->epoch = (uint32_t)sqlite3_column_int64(stmt, 7);
	h->m = (unsigned)sqlite3_column_int(stmt, 8);
	h->n = (unsigned)sqlite3_column_int(stmt, 9);
	return KR_OK;
}

int
kr_store_holdings_foreach(struct kr_store *st, const char *custodian,
    kr_holding_cb *cb, void *arg, struct kr_err *err)
{
	sqlite3_stmt		*stmt = NULL;
	struct kr_holding_rec	 h;
	int			 rc = SQLITE_DONE, ret = KR_EINTERNAL;

	if ((ret = store_prepare(st, "SELECT c.set_id, c.x, c.name, "
	    "c.share_digest, c.approval_pk, k.name, k.state, s.epoch, s.m, "
	    "s.n, s.state FROM custodians c JOIN share_sets s ON s.id = "
	    "c.set_id JOIN keys k ON k.id = s.key_id WHERE ?1 IS NULL OR "
	    "c.name = ?1 ORDER BY c.name, k.name, s.epoch", &stmt, err)) !=
	    KR_OK)
		return ret;
	if (custodian != NULL)
		sqlite3_bind_text(stmt, 1, custodian, -1, SQLITE_STATIC);
	ret = KR_OK;
	while (ret == KR_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((ret = store_holding_row(st, stmt, &h, err)) == KR_OK)
			ret = cb(&h, arg);
	}
	if (ret == KR_OK && rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "listing the custodians' "
		    "shares");
	sqlite3_finalize(stmt);
	return ret;
}
