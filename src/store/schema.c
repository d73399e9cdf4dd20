/*
 * The schema and its migrations.
 *
 * store_migrations[v] is the SQL that takes a database from version v - 1
 * to version v; it ends by setting PRAGMA user_version to v, and runs in
 * the same transaction as the check that brought us here.  To change the
 * schema, append a step and raise KR_STORE_SCHEMA_VERSION; never edit a
 * step that has shipped.
 */
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include <keyrite/base.h>
#include <keyrite/store.h>

#include "store_int.h"

/*
 * Version 1: settings, the key inventory, share sets and their custodians,
 * and the hash-chained audit log (append-only: the triggers catch a bug,
 * the hash chain catches everything else).
 */
static const char store_schema_v1[] =
	"CREATE TABLE meta ("
	"  name TEXT PRIMARY KEY NOT NULL"
	"    CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 64),"
	"  value TEXT NOT NULL);"

	"CREATE TABLE keys ("
	"  id BLOB PRIMARY KEY NOT NULL"
	"    CHECK (typeof(id) = 'blob' AND length(id) = 16),"
	"  name TEXT NOT NULL UNIQUE"
	"    CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 64),"
	"  alg TEXT NOT NULL"
	"    CHECK (length(CAST(alg AS BLOB)) BETWEEN 1 AND 15),"
	"  purpose TEXT NOT NULL"
	"    CHECK (length(CAST(purpose AS BLOB)) BETWEEN 1 AND 15),"
	"  backend TEXT NOT NULL"
	"    CHECK (length(CAST(backend AS BLOB)) BETWEEN 1 AND 15),"
	"  state TEXT NOT NULL"
	"    CHECK (length(CAST(state AS BLOB)) BETWEEN 1 AND 15),"
	"  location TEXT NOT NULL"
	"    CHECK (length(CAST(location AS BLOB)) BETWEEN 1 AND 255),"
	"  spki BLOB NOT NULL CHECK (typeof(spki) = 'blob'"
	"    AND length(spki) BETWEEN 1 AND 1024),"
	"  created INTEGER NOT NULL CHECK (typeof(created) = 'integer'));"

	"CREATE TABLE share_sets ("
	"  id BLOB PRIMARY KEY NOT NULL"
	"    CHECK (typeof(id) = 'blob' AND length(id) = 16),"
	"  key_id BLOB NOT NULL REFERENCES keys (id),"
	"  epoch INTEGER NOT NULL CHECK (typeof(epoch) = 'integer')"
	"    CHECK (epoch BETWEEN 0 AND 4294967295),"
	"  m INTEGER NOT NULL CHECK (typeof(m) = 'integer') CHECK (m >= 2),"
	"  n INTEGER NOT NULL CHECK (typeof(n) = 'integer')"
	"    CHECK (n >= m) CHECK (n <= 255),"
	"  dealer_pk BLOB NOT NULL"
	"    CHECK (typeof(dealer_pk) = 'blob' AND length(dealer_pk) = 32),"
	"  kdf_ops INTEGER NOT NULL CHECK (typeof(kdf_ops) = 'integer')"
	"    CHECK (kdf_ops BETWEEN 1 AND 4294967295),"
	"  kdf_mem_kib INTEGER NOT NULL CHECK (typeof(kdf_mem_kib) = 'integer')"
	"    CHECK (kdf_mem_kib BETWEEN 8 AND 4294967295),"
	"  state TEXT NOT NULL CHECK (state IN ('active', 'retired')),"
	"  created INTEGER NOT NULL CHECK (typeof(created) = 'integer'),"
	"  UNIQUE (key_id, epoch));"
	"CREATE UNIQUE INDEX share_sets_one_active ON share_sets (key_id)"
	"  WHERE state = 'active';"

	"CREATE TABLE custodians ("
	"  set_id BLOB NOT NULL REFERENCES share_sets (id),"
	"  x INTEGER NOT NULL CHECK (typeof(x) = 'integer')"
	"    CHECK (x BETWEEN 1 AND 255),"
	"  name TEXT NOT NULL"
	"    CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 64),"
	"  share_digest BLOB NOT NULL CHECK (typeof(share_digest) = 'blob'"
	"    AND length(share_digest) = 32),"
	"  PRIMARY KEY (set_id, x),"
	"  UNIQUE (set_id, name));"
	"CREATE TRIGGER custodians_x_within_n BEFORE INSERT ON custodians"
	"  WHEN NEW.x > (SELECT n FROM share_sets WHERE id = NEW.set_id)"
	"  BEGIN SELECT RAISE(ABORT, 'custodian x is larger than the share"
	" set''s n'); END;"

	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
	"  time INTEGER NOT NULL CHECK (typeof(time) = 'integer'),"
	"  actor TEXT NOT NULL,"
	"  event TEXT NOT NULL CHECK (length(event) >= 1),"
	"  payload TEXT NOT NULL,"
	"  prev_hash BLOB NOT NULL CHECK (typeof(prev_hash) = 'blob'"
	"    AND length(prev_hash) = 32),"
	"  hash BLOB NOT NULL CHECK (typeof(hash) = 'blob'"
	"    AND length(hash) = 32));"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"

	"PRAGMA application_id = 1263686484;"	/* STORE_APPLICATION_ID */
	"PRAGMA user_version = 1;";

/*
 * Version 2: the certificate inventory.  A certificate is recorded, with
 * its audit row, before its bytes are written anywhere; serials are unique
 * per issuing key.
 */
static const char store_schema_v2[] =
	"CREATE TABLE certificates ("
	"  id INTEGER PRIMARY KEY,"
	"  issuer_key_id BLOB NOT NULL REFERENCES keys (id)"
	"    CHECK (typeof(issuer_key_id) = 'blob'"
	"    AND length(issuer_key_id) = 16),"
	"  serial TEXT NOT NULL"
	"    CHECK (length(serial) BETWEEN 2 AND 40"
	"    AND serial NOT GLOB '*[^0-9a-f]*'),"
	"  subject TEXT NOT NULL,"
	"  subject_der BLOB NOT NULL,"
	"  issuer_der BLOB NOT NULL,"
	"  not_before INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL CHECK (not_after > not_before),"
	"  spki_sha256 TEXT NOT NULL CHECK (length(spki_sha256) = 64),"
	"  subject_key_id BLOB REFERENCES keys (id),"
	"  profile TEXT NOT NULL,"
	"  kind TEXT NOT NULL"
	"    CHECK (kind IN ('root', 'intermediate', 'cross', 'leaf')),"
	"  is_ca INTEGER NOT NULL CHECK (is_ca IN (0, 1)),"
	"  der BLOB NOT NULL CHECK (typeof(der) = 'blob'),"
	"  sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),"
	"  created INTEGER NOT NULL,"
	"  UNIQUE (issuer_key_id, serial));"
	"CREATE INDEX certificates_spki ON certificates (spki_sha256);"
	"PRAGMA user_version = 2;";

/*
 * Version 3: revocation.  Certificates known only from an imported
 * `openssl ca` index.txt, revocations (one per serial and issuer; only a
 * certificateHold may be lifted), and every CRL published, whose numbers
 * only grow per issuer.
 */
static const char store_schema_v3[] =
	"CREATE TABLE external_certs ("
	"  id INTEGER PRIMARY KEY,"
	"  issuer_key_id BLOB NOT NULL REFERENCES keys (id),"
	"  serial BLOB NOT NULL CHECK (typeof(serial) = 'blob'"
	"    AND length(serial) BETWEEN 1 AND 20),"
	"  status TEXT NOT NULL CHECK (status IN ('V', 'R', 'E')),"
	"  expires INTEGER NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  UNIQUE (issuer_key_id, serial));"
	"CREATE TABLE revocations ("
	"  id INTEGER PRIMARY KEY,"
	"  issuer_key_id BLOB NOT NULL REFERENCES keys (id),"
	"  serial BLOB NOT NULL CHECK (typeof(serial) = 'blob'"
	"    AND length(serial) BETWEEN 1 AND 20),"
	"  revoked_at INTEGER NOT NULL,"
	"  reason INTEGER NOT NULL CHECK (reason IN (-1, 1, 2, 3, 4, 5, 6, 9,"
	"    10)),"
	"  invalidity INTEGER NOT NULL DEFAULT 0,"
	"  expires INTEGER NOT NULL,"
	"  lifted_at INTEGER CHECK (lifted_at IS NULL OR reason = 6),"
	"  source TEXT NOT NULL,"
	"  UNIQUE (issuer_key_id, serial));"
	"CREATE TABLE crls ("
	"  id INTEGER PRIMARY KEY,"
	"  issuer_key_id BLOB NOT NULL REFERENCES keys (id),"
	"  number INTEGER NOT NULL CHECK (number >= 1),"
	"  is_delta INTEGER NOT NULL CHECK (is_delta IN (0, 1)),"
	"  base_number INTEGER,"
	"  this_update INTEGER NOT NULL,"
	"  next_update INTEGER NOT NULL CHECK (next_update > this_update),"
	"  entries INTEGER NOT NULL,"
	"  max_revocation_id INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
	"  created INTEGER NOT NULL,"
	/* The CRL's copy in the state folder (CRLs can be tens of MB). */
	"  location TEXT NOT NULL,"
	"  UNIQUE (issuer_key_id, number));"
	"CREATE TABLE ocsp_responses ("
	"  id INTEGER PRIMARY KEY,"
	"  issuer_key_id BLOB NOT NULL REFERENCES keys (id),"
	"  serial TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('good', 'revoked')),"
	"  this_update INTEGER NOT NULL,"
	"  next_update INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  der BLOB NOT NULL,"
	"  created INTEGER NOT NULL);"
	"PRAGMA user_version = 3;";

/*
 * Version 4: keys held on a PKCS#11 token.  pin_mode 'quorum': the token's
 * PINs are sealed under the key's share set (pins_location); 'prompt':
 * the token's own access control guards the key and its PIN is asked at
 * each use.
 */
static const char store_schema_v4[] =
	"CREATE TABLE token_keys ("
	"  key_id BLOB PRIMARY KEY NOT NULL REFERENCES keys (id),"
	"  module TEXT NOT NULL,"
	"  uri TEXT NOT NULL,"
	"  token_label TEXT NOT NULL,"
	"  token_serial TEXT NOT NULL,"
	"  manufacturer TEXT NOT NULL,"
	"  model TEXT NOT NULL,"
	"  p11_id BLOB NOT NULL CHECK (typeof(p11_id) = 'blob'"
	"    AND length(p11_id) = 16),"
	"  pin_mode TEXT NOT NULL CHECK (pin_mode IN ('quorum', 'prompt')),"
	"  pins_location TEXT NOT NULL);"
	"PRAGMA user_version = 4;";

/*
 * Version 5: firmware and OTA signatures.  Each is recorded, with its
 * audit row, before its output is written.
 */
static const char store_schema_v5[] =
	"CREATE TABLE signatures ("
	"  id INTEGER PRIMARY KEY,"
	"  key_id BLOB NOT NULL REFERENCES keys (id),"
	"  image_name TEXT NOT NULL,"
	"  image_size INTEGER NOT NULL CHECK (image_size > 0),"
	"  digest_alg TEXT NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  format TEXT NOT NULL,"
	"  output TEXT NOT NULL,"
	"  signature TEXT NOT NULL,"
	"  cert_serial TEXT NOT NULL,"
	"  manifest_entry TEXT NOT NULL,"
	"  batch TEXT NOT NULL,"
	"  created INTEGER NOT NULL);"
	"PRAGMA user_version = 5;";

/*
 * Version 6: what a signature released, kept so that `sign show --out`
 * writes it again byte for byte: the output's head and tail (for the
 * detached formats the head is the whole file) and where the image bytes
 * sit between them in the output and the input; kept_sha256 is the
 * SHA-256 of head || tail.  Rows made before have NULLs there: their
 * outputs cannot be written again.
 */
static const char store_schema_v6[] =
	"ALTER TABLE signatures ADD COLUMN out_head BLOB;"
	"ALTER TABLE signatures ADD COLUMN out_tail BLOB;"
	"ALTER TABLE signatures ADD COLUMN out_img_off INTEGER;"
	"ALTER TABLE signatures ADD COLUMN out_copy_off INTEGER;"
	"ALTER TABLE signatures ADD COLUMN out_copy_len INTEGER;"
	"ALTER TABLE signatures ADD COLUMN kept_sha256 TEXT;"
	"PRAGMA user_version = 6;";

/*
 * Version 7: the lifted certificate holds, found without reading every
 * revocation (each is checked against the audit chain at every open).
 */
static const char store_schema_v7[] =
	"CREATE INDEX revocations_lifted ON revocations (id)"
	"  WHERE lifted_at IS NOT NULL;"
	"PRAGMA user_version = 7;";

/*
 * Version 8: the two tables an import fills a million rows at a time lose
 * their `IN (...)` checks for the same rules written as comparisons.
 * SQLite builds an in-memory table for a constant IN list at every
 * single-row insert, which was half the time of a large import.  SQLite
 * cannot change a CHECK in place, so each table is made again, rows and
 * ids kept (the audit chain binds them by id), and its index with it.
 */
static const char store_schema_v8[] =
	"CREATE TABLE external_certs_v8 ("
	"  id INTEGER PRIMARY KEY,"
	"  issuer_key_id BLOB NOT NULL REFERENCES keys (id),"
	"  serial BLOB NOT NULL CHECK (typeof(serial) = 'blob'"
	"    AND length(serial) BETWEEN 1 AND 20),"
	"  status TEXT NOT NULL"
	"    CHECK (status = 'V' OR status = 'R' OR status = 'E'),"
	"  expires INTEGER NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  UNIQUE (issuer_key_id, serial));"
	"INSERT INTO external_certs_v8 SELECT id, issuer_key_id, serial, status,"
	"  expires, subject, source FROM external_certs ORDER BY id;"
	"DROP TABLE external_certs;"
	"ALTER TABLE external_certs_v8 RENAME TO external_certs;"
	"CREATE TABLE revocations_v8 ("
	"  id INTEGER PRIMARY KEY,"
	"  issuer_key_id BLOB NOT NULL REFERENCES keys (id),"
	"  serial BLOB NOT NULL CHECK (typeof(serial) = 'blob'"
	"    AND length(serial) BETWEEN 1 AND 20),"
	"  revoked_at INTEGER NOT NULL,"
	"  reason INTEGER NOT NULL CHECK (typeof(reason) = 'integer'"
	"    AND (reason = -1 OR reason BETWEEN 1 AND 6"
	"    OR reason = 9 OR reason = 10)),"
	"  invalidity INTEGER NOT NULL DEFAULT 0,"
	"  expires INTEGER NOT NULL,"
	"  lifted_at INTEGER CHECK (lifted_at IS NULL OR reason = 6),"
	"  source TEXT NOT NULL,"
	"  UNIQUE (issuer_key_id, serial));"
	"INSERT INTO revocations_v8 SELECT id, issuer_key_id, serial, revoked_at,"
	"  reason, invalidity, expires, lifted_at, source FROM revocations"
	"  ORDER BY id;"
	"DROP TABLE revocations;"
	"ALTER TABLE revocations_v8 RENAME TO revocations;"
	"CREATE INDEX revocations_lifted ON revocations (id)"
	"  WHERE lifted_at IS NOT NULL;"
	"PRAGMA user_version = 8;";

/*
 * Version 9: each custodian's Ed25519 approval public key, from a share
 * file of format 2 (docs/formats.md).  Custodians of sets dealt before
 * (format 1 shares) keep NULL: their approvals are unsigned.  The column
 * is bound to the audit chain like the others; a NULL in it is left out
 * of the record hash, so rows bound before version 9 keep their binding
 * (src/store/ledger.c).
 */
static const char store_schema_v9[] =
	"ALTER TABLE custodians ADD COLUMN approval_pk BLOB"
	"  CHECK (approval_pk IS NULL OR (typeof(approval_pk) = 'blob'"
	"  AND length(approval_pk) = 32));"
	"PRAGMA user_version = 9;";

/*
 * Version 10: reshare (docs/formats.md, "Reshare").  A share set may be
 * 'pending' (dealt by a reshare, not yet verified by m of its holders);
 * share_sets.retired dates the retirement of a set; custodians.checked
 * dates the first `quorum verify` of a pending set's share by its holder.
 * SQLite cannot change a CHECK in place, so both tables are made again
 * (custodians references share_sets), rows kept: they are bound by their
 * ids, and the new columns, NULL in every old row, are left out of the
 * record hash (src/store/ledger.c).  At most one pending set per key.
 */
static const char store_schema_v10[] =
	"CREATE TABLE share_sets_v10 ("
	"  id BLOB PRIMARY KEY NOT NULL"
	"    CHECK (typeof(id) = 'blob' AND length(id) = 16),"
	"  key_id BLOB NOT NULL REFERENCES keys (id),"
	"  epoch INTEGER NOT NULL CHECK (typeof(epoch) = 'integer')"
	"    CHECK (epoch BETWEEN 0 AND 4294967295),"
	"  m INTEGER NOT NULL CHECK (typeof(m) = 'integer') CHECK (m >= 2),"
	"  n INTEGER NOT NULL CHECK (typeof(n) = 'integer')"
	"    CHECK (n >= m) CHECK (n <= 255),"
	"  dealer_pk BLOB NOT NULL"
	"    CHECK (typeof(dealer_pk) = 'blob' AND length(dealer_pk) = 32),"
	"  kdf_ops INTEGER NOT NULL CHECK (typeof(kdf_ops) = 'integer')"
	"    CHECK (kdf_ops BETWEEN 1 AND 4294967295),"
	"  kdf_mem_kib INTEGER NOT NULL CHECK (typeof(kdf_mem_kib) = 'integer')"
	"    CHECK (kdf_mem_kib BETWEEN 8 AND 4294967295),"
	"  state TEXT NOT NULL"
	"    CHECK (state IN ('pending', 'active', 'retired')),"
	"  created INTEGER NOT NULL CHECK (typeof(created) = 'integer'),"
	"  retired INTEGER CHECK (retired IS NULL OR"
	"    (typeof(retired) = 'integer' AND state = 'retired')),"
	"  UNIQUE (key_id, epoch));"
	"INSERT INTO share_sets_v10 SELECT id, key_id, epoch, m, n, dealer_pk,"
	"  kdf_ops, kdf_mem_kib, state, created, NULL FROM share_sets;"
	"CREATE TABLE custodians_v10 ("
	"  set_id BLOB NOT NULL REFERENCES share_sets_v10 (id),"
	"  x INTEGER NOT NULL CHECK (typeof(x) = 'integer')"
	"    CHECK (x BETWEEN 1 AND 255),"
	"  name TEXT NOT NULL"
	"    CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 64),"
	"  share_digest BLOB NOT NULL CHECK (typeof(share_digest) = 'blob'"
	"    AND length(share_digest) = 32),"
	"  approval_pk BLOB"
	"    CHECK (approval_pk IS NULL OR (typeof(approval_pk) = 'blob'"
	"    AND length(approval_pk) = 32)),"
	"  checked INTEGER"
	"    CHECK (checked IS NULL OR typeof(checked) = 'integer'),"
	"  PRIMARY KEY (set_id, x),"
	"  UNIQUE (set_id, name));"
	"INSERT INTO custodians_v10 SELECT set_id, x, name, share_digest,"
	"  approval_pk, NULL FROM custodians;"
	"DROP TABLE custodians;"
	"DROP TABLE share_sets;"
	"ALTER TABLE share_sets_v10 RENAME TO share_sets;"
	"ALTER TABLE custodians_v10 RENAME TO custodians;"
	"CREATE UNIQUE INDEX share_sets_one_active ON share_sets (key_id)"
	"  WHERE state = 'active';"
	"CREATE UNIQUE INDEX share_sets_one_pending ON share_sets (key_id)"
	"  WHERE state = 'pending';"
	"CREATE TRIGGER custodians_x_within_n BEFORE INSERT ON custodians"
	"  WHEN NEW.x > (SELECT n FROM share_sets WHERE id = NEW.set_id)"
	"  BEGIN SELECT RAISE(ABORT, 'custodian x is larger than the share"
	" set''s n'); END;"
	"PRAGMA user_version = 10;";

/*
 * Version 11: manufacturing provisioning.  One row per device certificate
 * made by `provision batch` (its device id, the SHA-256 of the identity
 * certificate, of the issuing CA certificate and of the record file
 * written beside them, operator, line, batch); and renewals: a
 * certificate that renews another (same key, new validity), each old
 * certificate renewed at most once.
 */
static const char store_schema_v11[] =
	"CREATE TABLE provisioning ("
	"  id INTEGER PRIMARY KEY,"
	"  device_id TEXT NOT NULL"
	"    CHECK (length(CAST(device_id AS BLOB)) BETWEEN 1 AND 64),"
	"  cert_id INTEGER NOT NULL UNIQUE REFERENCES certificates (id),"
	"  identity_sha256 TEXT NOT NULL CHECK (length(identity_sha256) = 64),"
	"  bootstrap_sha256 TEXT NOT NULL"
	"    CHECK (length(bootstrap_sha256) = 64),"
	"  operator TEXT NOT NULL"
	"    CHECK (length(CAST(operator AS BLOB)) BETWEEN 1 AND 128),"
	"  line TEXT NOT NULL CHECK (length(CAST(line AS BLOB)) <= 64),"
	"  batch TEXT NOT NULL CHECK (length(batch) = 32"
	"    AND batch NOT GLOB '*[^0-9a-f]*'),"
	"  record_sha256 TEXT NOT NULL CHECK (length(record_sha256) = 64),"
	"  created INTEGER NOT NULL CHECK (typeof(created) = 'integer'));"
	"CREATE INDEX provisioning_device ON provisioning (device_id);"
	"CREATE INDEX provisioning_batch ON provisioning (batch);"
	"CREATE TABLE renewals ("
	"  id INTEGER PRIMARY KEY,"
	"  cert_id INTEGER NOT NULL UNIQUE REFERENCES certificates (id),"
	"  renews_id INTEGER NOT NULL UNIQUE REFERENCES certificates (id)"
	"    CHECK (renews_id <> cert_id),"
	"  created INTEGER NOT NULL CHECK (typeof(created) = 'integer'));"
	"PRAGMA user_version = 11;";

/*
 * Version 12: device ids looked up without regard to case (FAT media,
 * where device files are written, do not tell SN1 from sn1).
 */
static const char store_schema_v12[] =
	"DROP INDEX provisioning_device;"
	"CREATE INDEX provisioning_device ON provisioning"
	"  (device_id COLLATE NOCASE);"
	"PRAGMA user_version = 12;";

static const char *const store_migrations[] = {
	NULL,			/* 0: the empty file kr_store_create makes */
	store_schema_v1,
	store_schema_v2,
	store_schema_v3,
	store_schema_v4,
	store_schema_v5,
	store_schema_v6,
	store_schema_v7,
	store_schema_v8,
	store_schema_v9,
	store_schema_v10,
	store_schema_v11,
	store_schema_v12,
};

_Static_assert(sizeof(store_migrations) / sizeof(store_migrations[0]) ==
    KR_STORE_SCHEMA_VERSION + 1, "one migration step per schema version");
_Static_assert(STORE_APPLICATION_ID == 1263686484,
    "the application id in store_schema_v1 matches STORE_APPLICATION_ID");

struct store_schema_info {
	int64_t	version;
	int64_t	app_id;
	int64_t	objects;	/* rows in sqlite_schema */
};

static int
store_pragma_int(struct kr_store *st, const char *sql, int64_t *out,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret = KR_EINTERNAL;

	if ((ret = store_prepare(st, sql, &stmt, err)) != KR_OK)
		return ret;
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		ret = store_sqlite_err(st, rc, err, "reading the schema "
		    "version");
		goto out;
	}
	*out = sqlite3_column_int64(stmt, 0);
	ret = KR_OK;
out:
	sqlite3_finalize(stmt);
	return ret;
}

static int
store_schema_read(struct kr_store *st, struct store_schema_info *si,
    struct kr_err *err)
{
	int	ret = KR_EINTERNAL;

	if ((ret = store_pragma_int(st, "PRAGMA user_version", &si->version,
	    err)) != KR_OK)
		return ret;
	if ((ret = store_pragma_int(st, "PRAGMA application_id", &si->app_id,
	    err)) != KR_OK)
		return ret;
	return store_pragma_int(st, "SELECT count(*) FROM sqlite_master",
	    &si->objects, err);
}

static int
store_schema_check(struct kr_store *st, const struct store_schema_info *si,
    struct kr_err *err)
{
	if (si->version > KR_STORE_SCHEMA_VERSION)
		return kr_err_set(err, KR_ESTATE, "the keyrite database %s has "
		    "schema version %lld, newer than this keyrite understands "
		    "(%d): it was written by a newer keyrite; use that one. "
		    "Nothing was changed", st->path, (long long)si->version,
		    KR_STORE_SCHEMA_VERSION);
	if (si->version < 0 || (si->version == 0 && si->objects != 0) ||
	    (si->version > 0 && si->app_id != STORE_APPLICATION_ID))
		return kr_err_set(err, KR_ESTATE, "%s is a SQLite database "
		    "but not a keyrite one (schema version %lld, application "
		    "id %lld): check the -C folder", st->path,
		    (long long)si->version, (long long)si->app_id);
	return KR_OK;
}

static int
store_schema_step(struct kr_store *st, int64_t to, struct kr_err *err)
{
	int64_t	got = 0;
	int	ret = KR_EINTERNAL;

	if ((ret = store_exec(st, store_migrations[to], "bringing the "
	    "database to the current schema", err)) != KR_OK)
		return ret;
	if ((ret = store_pragma_int(st, "PRAGMA user_version", &got, err)) !=
	    KR_OK)
		return ret;
	if (got != to)
		return kr_err_set(err, KR_EINTERNAL, "schema step %lld left "
		    "the version at %lld: this is a bug in keyrite",
		    (long long)to, (long long)got);
	return KR_OK;
}

static int
store_schema_upgrade(struct kr_store *st, struct kr_err *err)
{
	struct store_schema_info	si;
	int64_t				v;
	int				ret = KR_EINTERNAL;

	if ((ret = store_schema_read(st, &si, err)) != KR_OK)
		return ret;
	if ((ret = store_schema_check(st, &si, err)) != KR_OK)
		return ret;
	for (v = si.version + 1; v <= KR_STORE_SCHEMA_VERSION; v++)
		if ((ret = store_schema_step(st, v, err)) != KR_OK)
			return ret;
	return KR_OK;
}

/*
 * Brings the database to KR_STORE_SCHEMA_VERSION.  A fresh file starts
 * at 0; an empty file at 0 found by open is an interrupted create and is
 * finished.  Nothing is written unless a step is due.
 */
int
store_schema_migrate(struct kr_store *st, bool fresh, struct kr_err *err)
{
	struct store_schema_info	si;
	int				ret = KR_EINTERNAL;

	if ((ret = store_schema_read(st, &si, err)) != KR_OK)
		return ret;
	if ((ret = store_schema_check(st, &si, err)) != KR_OK)
		return ret;
	if (!fresh && si.version == KR_STORE_SCHEMA_VERSION)
		return KR_OK;
	if ((ret = kr_store_begin(st, err)) != KR_OK)
		return ret;
	ret = store_schema_upgrade(st, err);
	if (ret == KR_OK)
		return kr_store_commit(st, err);
	kr_store_rollback(st);
	return ret;
}
