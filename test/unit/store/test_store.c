/*
 * TEST-KEY-006 (docs/traceability.md).
 * Check suite for store/: create/open, records and their constraints,
 * transactions, and the audit hash chain against tampering through a
 * second, raw SQLite connection.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include <keyrite/base.h>
#include <keyrite/store.h>

#include "testlib.h"

static const char	*dir;
static char		 path[128];
static struct kr_store	*st;
static struct kr_err	 err;

static void
fx_setup(void)
{
	ck_assert_ptr_nonnull(dir = tl_work_begin("store"));
	snprintf(path, sizeof(path), "%s", tl_path("keyrite.db"));
	st = NULL;
	kr_err_clear(&err);
}

static void
fx_teardown(void)
{
	kr_store_close(&st);
	tl_work_end();
}

static void
create_and_open(void)
{
	ck_assert_int_eq(kr_store_create(path, &err), KR_OK);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
}

/* Runs SQL through a second, raw connection (the tamperer). */
static int
raw_exec(const char *sql)
{
	sqlite3	*db = NULL;
	int	 rc;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static int64_t
raw_int(const char *sql)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*stmt = NULL;
	int64_t		 v;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

static void
fill_key(struct kr_key_rec *k, const char *name, uint8_t idbyte)
{
	size_t	i;

	memset(k, 0, sizeof(*k));
	memset(k->id, idbyte, sizeof(k->id));
	snprintf(k->name, sizeof(k->name), "%s", name);
	strcpy(k->alg, "p256");
	strcpy(k->purpose, "ca");
	strcpy(k->backend, "sealed");
	strcpy(k->state, "active");
	snprintf(k->location, sizeof(k->location), "keys/%s.sealed", name);
	k->spki_len = 91;
	for (i = 0; i < k->spki_len; i++)
		k->spki[i] = (uint8_t)(i * 7 + idbyte);
	k->created = 1795000000 + idbyte;
}

static void
fill_set(struct kr_set_rec *s, uint8_t idbyte, const uint8_t *key_id,
    uint32_t epoch, unsigned m, unsigned n)
{
	memset(s, 0, sizeof(*s));
	memset(s->id, idbyte, sizeof(s->id));
	memcpy(s->key_id, key_id, KR_STORE_ID_BYTES);
	s->epoch = epoch;
	s->m = m;
	s->n = n;
	memset(s->dealer_pk, 0xd0 + idbyte, sizeof(s->dealer_pk));
	s->kdf_ops = 3;
	s->kdf_mem_kib = 65536;
	strcpy(s->state, "active");
	s->created = 1795000100;
}

/* Create, open, close */

START_TEST(test_create_open_close)
{
	struct stat	sb;

	ck_assert_int_eq(kr_store_create(path, &err), KR_OK);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	ck_assert_int_eq(raw_int("PRAGMA user_version"),
	    KR_STORE_SCHEMA_VERSION);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM sqlite_master "
	    "WHERE name IN ('meta', 'keys', 'share_sets', 'custodians', "
	    "'audit')"), 5);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	kr_store_close(&st);
	ck_assert_ptr_null(st);
	kr_store_close(&st);
	kr_store_close(NULL);
	/* WAL is persistent in the file itself. */
	ck_assert_int_eq(raw_int("SELECT journal_mode = 'wal' FROM "
	    "pragma_journal_mode"), 1);
}
END_TEST

START_TEST(test_create_refuses_existing)
{
	struct stat	sb;
	int		fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "precious", 8), 8);
	close(fd);
	ck_assert_int_eq(kr_store_create(path, &err), KR_EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 8);

	unlink(path);
	ck_assert_int_eq(kr_store_create(path, &err), KR_OK);
	ck_assert_int_eq(kr_store_create(path, &err), KR_EEXIST);
}
END_TEST

START_TEST(test_create_refuses_leftover_wal)
{
	char	wal[160];
	int	fd;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	fd = open(wal, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(kr_store_create(path, &err), KR_EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "-wal"));
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(test_open_refuses_missing)
{
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_ESTATE);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(err.msg, "no keyrite database at"));
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_ptr_nonnull(strstr(err.msg, "keyrite init"));
	/* Open never creates. */
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(test_open_refuses_symlink)
{
	char	link[160];

	ck_assert_int_eq(kr_store_create(path, &err), KR_OK);
	snprintf(link, sizeof(link), "%s/link.db", dir);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(kr_store_open(&st, link, &err), KR_ESTATE);
	ck_assert_ptr_nonnull(strstr(err.msg, "symbolic link"));
}
END_TEST

START_TEST(test_open_refuses_foreign)
{
	int	fd;

	ck_assert_int_eq(raw_exec("CREATE TABLE t (a); PRAGMA "
	    "user_version = 1;"), SQLITE_OK);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_ESTATE);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a keyrite"));

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "this is not a database at all, no sir, "
	    "it is a text file of some length.\n", 72), 72);
	close(fd);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_ESTATE);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a keyrite"));
}
END_TEST

/* One past what this keyrite understands. */
#define NEWER_VERSION	"13"
_Static_assert(KR_STORE_SCHEMA_VERSION == 12, "raise NEWER_VERSION with the schema");

START_TEST(test_open_refuses_newer)
{
	ck_assert_int_eq(kr_store_create(path, &err), KR_OK);
	ck_assert_int_eq(raw_exec("PRAGMA user_version = " NEWER_VERSION), SQLITE_OK);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_ESTATE);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(err.msg, "newer"));
	ck_assert_ptr_nonnull(strstr(err.msg, "version " NEWER_VERSION));
	/* and left it alone */
	ck_assert_int_eq(raw_int("PRAGMA user_version"), atoi(NEWER_VERSION));
}
END_TEST

START_TEST(test_open_finishes_empty_file)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
	ck_assert_int_eq(raw_int("PRAGMA user_version"),
	    KR_STORE_SCHEMA_VERSION);
}
END_TEST

START_TEST(test_open_readonly)
{
	if (geteuid() == 0) {
		/* root writes through permissions; nothing to observe */
		return;
	}
	ck_assert_int_eq(kr_store_create(path, &err), KR_OK);
	ck_assert_int_eq(chmod(path, 0400), 0);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_ESTATE);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot be written"));
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(chmod(dir, 0500), 0);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_ESTATE);
	ck_assert_ptr_nonnull(strstr(err.msg, "folder"));
	ck_assert_int_eq(chmod(dir, 0700), 0);
}
END_TEST

START_TEST(test_meta)
{
	char	buf[64];

	create_and_open();
	ck_assert_int_eq(kr_store_meta_get(st, "kdf_profile", buf,
	    sizeof(buf), &err), KR_ENOENT);
	ck_assert_int_eq(kr_store_meta_set(st, "kdf_profile", "moderate",
	    &err), KR_OK);
	ck_assert_int_eq(kr_store_meta_set(st, "kdf_profile", "sensitive",
	    &err), KR_OK);
	ck_assert_int_eq(kr_store_meta_get(st, "kdf_profile", buf,
	    sizeof(buf), &err), KR_OK);
	ck_assert_str_eq(buf, "sensitive");
	ck_assert_int_eq(kr_store_meta_get(st, "kdf_profile", buf, 5, &err),
	    KR_EINPUT);
	ck_assert_int_eq(kr_store_meta_get(st, "kdf_profile", buf, 10, &err),
	    KR_OK);
	ck_assert_str_eq(buf, "sensitive");
}
END_TEST

/* Keys */

static int
collect_names(const struct kr_key_rec *k, void *arg)
{
	char	*out = arg;

	strcat(out, k->name);
	strcat(out, ",");
	return strcmp(k->name, "stop") == 0 ? 42 : 0;
}

START_TEST(test_key_round_trip)
{
	struct kr_key_rec	k, got;
	char			names[256] = "";

	create_and_open();
	fill_key(&k, "root-2026", 1);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	ck_assert_int_eq(kr_store_key_get(st, "root-2026", &got, &err),
	    KR_OK);
	ck_assert_mem_eq(got.id, k.id, sizeof(k.id));
	ck_assert_str_eq(got.name, k.name);
	ck_assert_str_eq(got.alg, k.alg);
	ck_assert_str_eq(got.purpose, k.purpose);
	ck_assert_str_eq(got.backend, k.backend);
	ck_assert_str_eq(got.state, k.state);
	ck_assert_str_eq(got.location, k.location);
	ck_assert_uint_eq(got.spki_len, k.spki_len);
	ck_assert_mem_eq(got.spki, k.spki, k.spki_len);
	ck_assert_int_eq(got.created, k.created);

	ck_assert_int_eq(kr_store_key_set_state(st, k.id, "destroyed", &err),
	    KR_OK);
	ck_assert_int_eq(kr_store_key_get(st, "root-2026", &got, &err),
	    KR_OK);
	ck_assert_str_eq(got.state, "destroyed");

	fill_key(&k, "b-fw", 2);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	fill_key(&k, "stop", 3);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	fill_key(&k, "zz-after", 4);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	ck_assert_int_eq(kr_store_key_foreach(st, collect_names, names, &err),
	    42);
	ck_assert_str_eq(names, "b-fw,root-2026,stop,");

	/* A key's name by its id, cut to the room given; none: "". */
	ck_assert_int_eq(kr_store_key_name(st, k.id, names, sizeof(names),
	    &err), KR_OK);
	ck_assert_str_eq(names, "zz-after");
	ck_assert_int_eq(kr_store_key_name(st, k.id, names, 3, &err), KR_OK);
	ck_assert_str_eq(names, "zz");
	memset(k.id, 0xee, sizeof(k.id));
	ck_assert_int_eq(kr_store_key_name(st, k.id, names, sizeof(names),
	    &err), KR_ENOENT);
	ck_assert_str_eq(names, "");
	ck_assert_ptr_nonnull(strstr(err.msg, "eeeeeeee"));
}
END_TEST

START_TEST(test_key_refusals)
{
	struct kr_key_rec	k, got;
	uint8_t			nobody[KR_STORE_ID_BYTES];

	create_and_open();
	fill_key(&k, "root", 1);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);

	fill_key(&k, "root", 2);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "'root'"));

	fill_key(&k, "other", 1);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_EEXIST);

	ck_assert_int_eq(kr_store_key_get(st, "x", &got, &err), KR_ENOENT);
	ck_assert_str_eq(err.msg, "no key named 'x' in this state folder: "
	    "`keyrite key list` shows the keys");

	memset(nobody, 0xee, sizeof(nobody));
	ck_assert_int_eq(kr_store_key_set_state(st, nobody, "destroyed",
	    &err), KR_ENOENT);

	fill_key(&k, "empty-spki", 5);
	k.spki_len = 0;
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_EINPUT);
	fill_key(&k, "", 6);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_EINPUT);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM keys"), 1);
}
END_TEST

/* Share sets and custodians */

START_TEST(test_set_round_trip)
{
	struct kr_key_rec	k;
	struct kr_set_rec	s, got;

	create_and_open();
	fill_key(&k, "root", 1);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	fill_set(&s, 0x10, k.id, 1, 3, 5);
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_OK);
	ck_assert_int_eq(kr_store_set_active(st, k.id, &got, &err), KR_OK);
	ck_assert_mem_eq(&got, &s, sizeof(s));
	ck_assert_int_eq(kr_store_set_get(st, s.id, &got, &err), KR_OK);
	ck_assert_mem_eq(&got, &s, sizeof(s));

	ck_assert_int_eq(kr_store_set_retire(st, s.id, 1700000000, &err), KR_OK);
	ck_assert_int_eq(kr_store_set_active(st, k.id, &got, &err),
	    KR_ENOENT);
	ck_assert_int_eq(kr_store_set_retire(st, s.id, 1700000000, &err), KR_EREFUSED);
	ck_assert_int_eq(kr_store_set_get(st, s.id, &got, &err), KR_OK);
	ck_assert_str_eq(got.state, "retired");

	fill_set(&s, 0x11, k.id, 2, 2, 2);
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_OK);
	ck_assert_int_eq(kr_store_set_active(st, k.id, &got, &err), KR_OK);
	ck_assert_uint_eq(got.epoch, 2);
}
END_TEST

/* Schema 10: a reshare's pending set, its checks, its activation. */
START_TEST(test_set_pending)
{
	struct kr_key_rec	k;
	struct kr_set_rec	s, p, got, all[4];
	struct kr_custodian_rec	c, cs[4];
	size_t			n;

	create_and_open();
	fill_key(&k, "root", 1);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	fill_set(&s, 0x10, k.id, 1, 3, 5);
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_OK);
	ck_assert_int_eq(kr_store_set_pending(st, k.id, &got, &err),
	    KR_ENOENT);
	fill_set(&p, 0x11, k.id, 2, 2, 3);
	strcpy(p.state, "pending");
	ck_assert_int_eq(kr_store_set_insert(st, &p, &err), KR_OK);
	fill_set(&got, 0x12, k.id, 3, 2, 3);
	strcpy(got.state, "pending");
	ck_assert_int_eq(kr_store_set_insert(st, &got, &err), KR_EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "already has a pending"));
	ck_assert_int_eq(kr_store_set_pending(st, k.id, &got, &err), KR_OK);
	ck_assert_uint_eq(got.epoch, 2);
	ck_assert_int_eq(got.retired, 0);

	memset(&c, 0, sizeof(c));
	memcpy(c.set_id, p.id, sizeof(c.set_id));
	c.x = 1;
	strcpy(c.name, "d1");
	ck_assert_int_eq(kr_store_custodian_insert(st, &c, &err), KR_OK);
	ck_assert_int_eq(kr_store_custodian_checked(st, p.id, 1, 1700000100,
	    &err), KR_OK);
	ck_assert_int_eq(kr_store_custodian_checked(st, p.id, 1, 1700000200,
	    &err), KR_OK);
	ck_assert_int_eq(kr_store_custodians(st, p.id, cs, 4, &n, &err),
	    KR_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(cs[0].checked, 1700000100);	/* the first stays */

	/* One active set per key: the old one is retired first. */
	ck_assert_int_ne(kr_store_set_activate(st, p.id, &err), KR_OK);
	ck_assert_int_eq(kr_store_set_retire(st, s.id, 1700000300, &err),
	    KR_OK);
	ck_assert_int_eq(kr_store_set_activate(st, p.id, &err), KR_OK);
	ck_assert_int_eq(kr_store_set_activate(st, p.id, &err), KR_EREFUSED);
	ck_assert_int_eq(kr_store_set_active(st, k.id, &got, &err), KR_OK);
	ck_assert_uint_eq(got.epoch, 2);
	ck_assert_int_eq(kr_store_set_get(st, s.id, &got, &err), KR_OK);
	ck_assert_str_eq(got.state, "retired");
	ck_assert_int_eq(got.retired, 1700000300);
	ck_assert_int_eq(kr_store_sets_of_key(st, k.id, all, 4, &n, &err),
	    KR_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(all[0].epoch, 2);	/* newest first */
	ck_assert_uint_eq(all[1].epoch, 1);
	/* A retirement date only on a retired set. */
	ck_assert_int_ne(raw_exec("UPDATE share_sets SET retired = 5 WHERE "
	    "epoch = 2"), SQLITE_OK);
}
END_TEST

START_TEST(test_set_refusals)
{
	struct kr_key_rec	k;
	struct kr_set_rec	s;
	uint8_t			nobody[KR_STORE_ID_BYTES];

	create_and_open();
	fill_key(&k, "root", 1);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	fill_set(&s, 0x10, k.id, 1, 3, 5);
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_OK);

	fill_set(&s, 0x11, k.id, 2, 3, 5);	/* a second active set */
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "already has an active"));

	fill_set(&s, 0x12, k.id, 1, 3, 5);	/* same epoch */
	strcpy(s.state, "retired");
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "epoch 1"));

	fill_set(&s, 0x10, k.id, 9, 3, 5);	/* same id */
	strcpy(s.state, "retired");
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_EEXIST);

	fill_set(&s, 0x13, k.id, 3, 1, 5);	/* m < 2 */
	strcpy(s.state, "retired");
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "m >= 2"));
	fill_set(&s, 0x14, k.id, 4, 4, 3);	/* n < m */
	strcpy(s.state, "retired");
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "n >= m"));
	fill_set(&s, 0x15, k.id, 5, 3, 256);	/* n > 255 */
	strcpy(s.state, "retired");
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "n <= 255"));
	fill_set(&s, 0x16, k.id, 6, 3, 5);
	strcpy(s.state, "unknown");
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_EINPUT);

	memset(nobody, 0xee, sizeof(nobody));
	fill_set(&s, 0x17, nobody, 1, 2, 3);	/* unknown key */
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_ENOENT);
	ck_assert_int_eq(kr_store_set_get(st, nobody, &s, &err), KR_ENOENT);
	ck_assert_int_eq(kr_store_set_retire(st, nobody, 1700000000, &err), KR_ENOENT);

	ck_assert_int_eq(raw_int("SELECT count(*) FROM share_sets"), 1);
}
END_TEST

START_TEST(test_custodians)
{
	struct kr_key_rec	k;
	struct kr_set_rec	s;
	struct kr_custodian_rec	c, out[5];
	static const char	*const who[] = { "carol", "alice", "bob" };
	static const unsigned	 xs[] = { 3, 1, 2 };
	size_t			 i, count;

	create_and_open();
	fill_key(&k, "root", 1);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	fill_set(&s, 0x10, k.id, 1, 2, 5);
	ck_assert_int_eq(kr_store_set_insert(st, &s, &err), KR_OK);
	for (i = 0; i < 3; i++) {
		memset(&c, 0, sizeof(c));
		memcpy(c.set_id, s.id, sizeof(c.set_id));
		c.x = xs[i];
		strcpy(c.name, who[i]);
		memset(c.share_digest, (int)xs[i], sizeof(c.share_digest));
		ck_assert_int_eq(kr_store_custodian_insert(st, &c, &err),
		    KR_OK);
	}
	ck_assert_int_eq(kr_store_custodians(st, s.id, out, 5, &count, &err),
	    KR_OK);
	ck_assert_uint_eq(count, 3);
	ck_assert_str_eq(out[0].name, "alice");
	ck_assert_uint_eq(out[0].x, 1);
	ck_assert_str_eq(out[1].name, "bob");
	ck_assert_str_eq(out[2].name, "carol");
	ck_assert_uint_eq(out[2].x, 3);
	ck_assert_mem_eq(out[2].set_id, s.id, sizeof(s.id));
	ck_assert_uint_eq(out[2].share_digest[31], 3);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(kr_store_custodians(st, s.id, out, 1, &count, &err),
	    KR_OK);
	ck_assert_uint_eq(count, 3);
	ck_assert_str_eq(out[0].name, "alice");
	ck_assert_str_eq(out[1].name, "");

	strcpy(c.name, "dave");			/* x taken */
	c.x = 3;
	ck_assert_int_eq(kr_store_custodian_insert(st, &c, &err), KR_EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "share 3 "));
	strcpy(c.name, "alice");		/* name taken */
	c.x = 4;
	ck_assert_int_eq(kr_store_custodian_insert(st, &c, &err), KR_EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "'alice'"));
	strcpy(c.name, "dave");
	c.x = 0;
	ck_assert_int_eq(kr_store_custodian_insert(st, &c, &err), KR_EINPUT);
	c.x = 6;				/* beyond n = 5 */
	ck_assert_int_eq(kr_store_custodian_insert(st, &c, &err), KR_EINPUT);
	memset(c.set_id, 0xee, sizeof(c.set_id));
	c.x = 1;
	ck_assert_int_eq(kr_store_custodian_insert(st, &c, &err), KR_ENOENT);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM custodians"), 3);
}
END_TEST

/* Transactions */

START_TEST(test_rollback_leaves_nothing)
{
	struct kr_key_rec	k, got;
	int64_t			seq, newest;

	create_and_open();
	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_begin(st, &err), KR_EINTERNAL);
	fill_key(&k, "root", 1);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	ck_assert_int_eq(kr_store_audit_append(st, 1000, "admin",
	    "key.generate", "{}", &seq, &err), KR_OK);
	ck_assert_int_eq(seq, 1);
	kr_store_rollback(st);
	kr_store_rollback(st);
	ck_assert_int_eq(kr_store_key_get(st, "root", &got, &err), KR_ENOENT);
	ck_assert_int_eq(kr_store_audit_newest(st, &newest, &err), KR_OK);
	ck_assert_int_eq(newest, 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM keys"), 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit"), 0);
	ck_assert_int_eq(kr_store_commit(st, &err), KR_EINTERNAL);

	/* The same work committed survives a reopen. */
	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	ck_assert_int_eq(kr_store_audit_append(st, 1000, "admin",
	    "key.generate", "{}", &seq, &err), KR_OK);
	ck_assert_int_eq(kr_store_commit(st, &err), KR_OK);
	kr_store_close(&st);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
	ck_assert_int_eq(kr_store_key_get(st, "root", &got, &err), KR_OK);
	ck_assert_int_eq(kr_store_audit_newest(st, &newest, &err), KR_OK);
	ck_assert_int_eq(newest, 1000);
}
END_TEST

/* Audit chain */

/* An independent rendering of the documented row encoding. */
static void
ref_row_hash(int64_t seq, int64_t t, const uint8_t *prev, const char *actor,
    const char *event, const char *payload, uint8_t *out)
{
	crypto_hash_sha256_state	 h;
	const char			*f[3] = { actor, event, payload };
	uint8_t				 b[8];
	size_t				 i, n;
	int				 j;

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const uint8_t *)"keyrite-audit-v1", 16);
	crypto_hash_sha256_update(&h, prev, 32);
	for (j = 0; j < 8; j++)
		b[j] = (uint8_t)((uint64_t)seq >> (56 - 8 * j));
	crypto_hash_sha256_update(&h, b, 8);
	for (j = 0; j < 8; j++)
		b[j] = (uint8_t)((uint64_t)t >> (56 - 8 * j));
	crypto_hash_sha256_update(&h, b, 8);
	for (i = 0; i < 3; i++) {
		n = strlen(f[i]);
		b[0] = (uint8_t)(n >> 24);
		b[1] = (uint8_t)(n >> 16);
		b[2] = (uint8_t)(n >> 8);
		b[3] = (uint8_t)n;
		crypto_hash_sha256_update(&h, b, 4);
		crypto_hash_sha256_update(&h, (const uint8_t *)f[i], n);
	}
	crypto_hash_sha256_final(&h, out);
}

START_TEST(test_audit_row_hash_format)
{
	struct kr_audit_rec	r;
	uint8_t			want[32], got[32];

	memset(&r, 0, sizeof(r));
	r.seq = 7;
	r.time = 1795454402;
	r.actor = "alice,bob";
	r.event = "key.generate";
	r.payload = "{\"name\":\"root\"}";
	memset(r.prev_hash, 0xab, sizeof(r.prev_hash));
	ck_assert_int_eq(kr_audit_row_hash(&r, got), KR_OK);
	ref_row_hash(r.seq, r.time, r.prev_hash, r.actor, r.event, r.payload,
	    want);
	ck_assert_mem_eq(got, want, 32);
	r.time++;
	ck_assert_int_eq(kr_audit_row_hash(&r, got), KR_OK);
	ck_assert_mem_ne(got, want, 32);
	r.payload = NULL;
	ck_assert_int_ne(kr_audit_row_hash(&r, got), KR_OK);
}
END_TEST

#define AUDIT_ROWS	50

static void
append_rows(int n)
{
	char	payload[64], actor[32];
	int64_t	seq;
	int	i;

	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	for (i = 1; i <= n; i++) {
		snprintf(actor, sizeof(actor), "custodian-%d", i % 3);
		snprintf(payload, sizeof(payload), "{\"i\":%d}", i);
		ck_assert_int_eq(kr_store_audit_append(st, 1795454400 + i / 2,
		    actor, i % 2 ? "key.generate" : "quorum.verify", payload,
		    &seq, &err), KR_OK);
		ck_assert_int_eq(seq, i);
	}
	ck_assert_int_eq(kr_store_commit(st, &err), KR_OK);
}

struct chain_check {
	uint8_t	prev[32];
	int64_t	rows;
};

static int
check_row(const struct kr_audit_rec *r, void *arg)
{
	struct chain_check	*cc = arg;
	uint8_t			 want[32];

	ck_assert_int_eq(r->seq, cc->rows + 1);
	ck_assert_mem_eq(r->prev_hash, cc->prev, 32);
	ref_row_hash(r->seq, r->time, r->prev_hash, r->actor, r->event,
	    r->payload, want);
	ck_assert_mem_eq(r->hash, want, 32);
	memcpy(cc->prev, r->hash, 32);
	cc->rows++;
	return 0;
}

static int
stop_at_ten(const struct kr_audit_rec *r, void *arg)
{
	*(int64_t *)arg = r->seq;
	return r->seq == 10 ? 7 : 0;
}

START_TEST(test_audit_append_verify)
{
	struct kr_audit_report	rep;
	struct chain_check	cc;
	int64_t			newest, last = 0;

	create_and_open();
	ck_assert_int_eq(kr_store_audit_verify(st, &rep, &err), KR_OK);
	ck_assert_int_eq(rep.rows, 0);
	ck_assert_int_eq(kr_store_audit_newest(st, &newest, &err), KR_OK);
	ck_assert_int_eq(newest, 0);

	append_rows(AUDIT_ROWS);
	ck_assert_int_eq(kr_store_audit_verify(st, &rep, &err), KR_OK);
	ck_assert_int_eq(rep.rows, AUDIT_ROWS);
	ck_assert_int_eq(rep.first_bad, 0);

	memset(&cc, 0, sizeof(cc));
	ck_assert_int_eq(kr_store_audit_foreach(st, 1, check_row, &cc, &err),
	    KR_OK);
	ck_assert_int_eq(cc.rows, AUDIT_ROWS);
	ck_assert_mem_eq(rep.head, cc.prev, 32);
	ck_assert_int_eq(kr_store_audit_newest(st, &newest, &err), KR_OK);
	ck_assert_int_eq(newest, 1795454400 + AUDIT_ROWS / 2);

	ck_assert_int_eq(kr_store_audit_foreach(st, 5, stop_at_ten, &last,
	    &err), 7);
	ck_assert_int_eq(last, 10);

	/* Outside a transaction, append opens and commits its own. */
	ck_assert_int_eq(kr_store_audit_append(st, newest, "admin",
	    "status", "", &last, &err), KR_OK);
	ck_assert_int_eq(last, AUDIT_ROWS + 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit"),
	    AUDIT_ROWS + 1);
}
END_TEST

START_TEST(test_audit_clock)
{
	int64_t	seq;

	create_and_open();
	ck_assert_int_eq(kr_store_audit_append(st, 2000, "a", "e", "p", &seq,
	    &err), KR_OK);
	ck_assert_int_eq(kr_store_audit_append(st, 1999, "a", "e", "p", &seq,
	    &err), KR_ECLOCK);
	ck_assert_ptr_nonnull(strstr(err.msg, "row 1"));
	ck_assert_int_eq(kr_store_audit_append(st, 2000, "a", "e", "p", &seq,
	    &err), KR_OK);
	ck_assert_int_eq(seq, 2);

	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_audit_append(st, 10, "a", "e", "p", &seq,
	    &err), KR_ECLOCK);
	kr_store_rollback(st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit"), 2);
	ck_assert_int_eq(kr_store_audit_append(st, 3000, "a", "", "p", &seq,
	    &err), KR_EINPUT);
}
END_TEST

START_TEST(test_audit_append_only_trigger)
{
	create_and_open();
	append_rows(3);
	ck_assert_int_eq(raw_exec("UPDATE audit SET payload = 'x' "
	    "WHERE seq = 2"), SQLITE_CONSTRAINT);
	ck_assert_int_eq(raw_exec("DELETE FROM audit WHERE seq = 2"),
	    SQLITE_CONSTRAINT);
}
END_TEST

/* Tampering with one column of row 25, through a raw connection. */
static const struct {
	const char	*sql;
	const char	*why;
} tamper[] = {
	{ "UPDATE audit SET seq = 1000 WHERE seq = 25",
	    "audit row 25 is missing" },
	{ "UPDATE audit SET time = time + 1 WHERE seq = 25",
	    "stored hash does not match its contents" },
	{ "UPDATE audit SET actor = 'mallory' WHERE seq = 25",
	    "stored hash does not match its contents" },
	{ "UPDATE audit SET event = 'key.destroy' WHERE seq = 25",
	    "stored hash does not match its contents" },
	{ "UPDATE audit SET payload = payload || ' ' WHERE seq = 25",
	    "stored hash does not match its contents" },
	{ "UPDATE audit SET prev_hash = zeroblob(32) WHERE seq = 25",
	    "does not link to the row before it" },
	{ "UPDATE audit SET hash = randomblob(32) WHERE seq = 25",
	    "stored hash does not match its contents" },
	{ "UPDATE audit SET actor = CAST(actor AS BLOB) WHERE seq = 25",
	    "its actor column has the wrong type" },
	{ "DELETE FROM audit WHERE seq = 25",
	    "audit row 25 is missing" },
};

START_TEST(test_audit_tamper)
{
	struct kr_audit_report	rep;
	char			sql[256];

	create_and_open();
	append_rows(AUDIT_ROWS);
	ck_assert_int_eq(raw_exec("DROP TRIGGER audit_no_update; "
	    "DROP TRIGGER audit_no_delete"), SQLITE_OK);
	snprintf(sql, sizeof(sql), "%s", tamper[_i].sql);
	ck_assert_int_eq(raw_exec(sql), SQLITE_OK);
	ck_assert_int_eq(kr_store_audit_verify(st, &rep, &err), KR_EVERIFY);
	ck_assert_int_eq(rep.first_bad, 25);
	ck_assert_msg(strstr(rep.reason, tamper[_i].why) != NULL,
	    "reason \"%s\" lacks \"%s\"", rep.reason, tamper[_i].why);
	ck_assert_msg(strncmp(rep.reason, "audit row 25 ", 13) == 0,
	    "reason \"%s\" does not name row 25", rep.reason);
	ck_assert_str_eq(err.msg, rep.reason);
	ck_assert_int_le(rep.rows, 25);
}
END_TEST

START_TEST(test_audit_reason_wording)
{
	struct kr_audit_report	rep;

	create_and_open();
	ck_assert_int_eq(kr_store_audit_append(st, 1795454402, "admin",
	    "key.generate", "{}", NULL, &err), KR_OK);
	ck_assert_int_eq(raw_exec("DROP TRIGGER audit_no_update; "
	    "UPDATE audit SET payload = '{\"x\":1}'"), SQLITE_OK);
	ck_assert_int_eq(kr_store_audit_verify(st, &rep, &err), KR_EVERIFY);
	ck_assert_str_eq(rep.reason, "audit row 1 (event key.generate, "
	    "2026-11-23T17:20:02Z): its stored hash does not match its "
	    "contents: the row was changed after it was written");
}
END_TEST

/* A tamperer who also rehashes row 25 is caught at row 26's link. */
START_TEST(test_audit_rehashed_row)
{
	struct kr_audit_report	rep;
	sqlite3			*db = NULL;
	sqlite3_stmt		*stmt = NULL;
	uint8_t			 prev[32], h[32];

	create_and_open();
	append_rows(AUDIT_ROWS);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "DROP TRIGGER audit_no_update",
	    NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT prev_hash, time, "
	    "actor, event FROM audit WHERE seq = 25", -1, &stmt, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	memcpy(prev, sqlite3_column_blob(stmt, 0), 32);
	ref_row_hash(25, sqlite3_column_int64(stmt, 1), prev,
	    (const char *)sqlite3_column_text(stmt, 2),
	    (const char *)sqlite3_column_text(stmt, 3), "{\"forged\":1}", h);
	sqlite3_finalize(stmt);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE audit SET payload = "
	    "'{\"forged\":1}', hash = ?1 WHERE seq = 25", -1, &stmt, NULL),
	    SQLITE_OK);
	sqlite3_bind_blob(stmt, 1, h, 32, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_DONE);
	sqlite3_finalize(stmt);
	sqlite3_close(db);

	ck_assert_int_eq(kr_store_audit_verify(st, &rep, &err), KR_EVERIFY);
	ck_assert_int_eq(rep.first_bad, 26);
	ck_assert_ptr_nonnull(strstr(rep.reason, "does not link"));
}
END_TEST

/* Ledger: records bound to the audit chain (TEST-KEY-034). */

static void
bound_key(const char *name, uint8_t idbyte)
{
	struct kr_key_rec	k;

	fill_key(&k, name, idbyte);
	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	ck_assert_int_eq(kr_store_audit_append(st, 1795000000, "test",
	    "key.generate", "{\"key\":\"x\"}", NULL, &err), KR_OK);
	ck_assert_int_eq(kr_store_commit(st, &err), KR_OK);
}

static void
replay(struct kr_replay_report *rep)
{
	ck_assert_int_eq(kr_store_replay(st, rep, true, &err), KR_OK);
}

START_TEST(test_ledger_binds_and_replays)
{
	struct kr_replay_report	rep;

	create_and_open();
	bound_key("root", 1);
	bound_key("fw", 2);
	replay(&rep);
	ck_assert_msg(!rep.damaged, "%s", rep.problem[0]);
	ck_assert_int_eq(rep.records, 2);
	/* The audit row carries the binding as its payload's last member. */
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE payload "
	    "LIKE '{\"key\":\"x\",\"bind\":{\"keys:0101%'"), 1);
}
END_TEST

START_TEST(test_ledger_names_changed_column)
{
	struct kr_replay_report	rep;

	create_and_open();
	bound_key("root", 1);
	kr_store_close(&st);
	ck_assert_int_eq(raw_exec("UPDATE keys SET purpose = 'firmware'"),
	    SQLITE_OK);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
	replay(&rep);
	ck_assert(rep.damaged);
	ck_assert_int_eq(rep.problems, 1);
	ck_assert_ptr_nonnull(strstr(rep.problem[0], "keys row 'root'"));
	ck_assert_ptr_nonnull(strstr(rep.problem[0], "purpose differs"));
	ck_assert_ptr_nonnull(strstr(rep.problem[0], "audit row 1"));
}
END_TEST

START_TEST(test_ledger_added_and_deleted)
{
	struct kr_replay_report	rep;
	struct kr_key_rec	k;

	create_and_open();
	bound_key("root", 1);
	/* Inserted without an audit row: nothing binds it. */
	fill_key(&k, "stray", 9);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	kr_store_close(&st);
	ck_assert_int_eq(raw_exec("DELETE FROM keys WHERE name = 'root'"),
	    SQLITE_OK);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
	replay(&rep);
	ck_assert_int_eq(rep.problems, 2);
	ck_assert_ptr_nonnull(strstr(rep.problem[0], "'stray'"));
	ck_assert_ptr_nonnull(strstr(rep.problem[0], "not recorded"));
	ck_assert_ptr_nonnull(strstr(rep.problem[1], "missing"));
}
END_TEST

START_TEST(test_ledger_update_rebinds)
{
	struct kr_replay_report	rep;
	struct kr_key_rec	k;

	create_and_open();
	bound_key("root", 1);
	fill_key(&k, "root", 1);
	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_key_set_state(st, k.id, "destroyed", &err),
	    KR_OK);
	ck_assert_int_eq(kr_store_audit_append(st, 1795000001, "test",
	    "key.destroy", "{}", NULL, &err), KR_OK);
	ck_assert_int_eq(kr_store_commit(st, &err), KR_OK);
	replay(&rep);
	ck_assert_msg(!rep.damaged, "%s", rep.problem[0]);
	/* Set back to active behind keyrite's back: the newest binding wins. */
	kr_store_close(&st);
	ck_assert_int_eq(raw_exec("UPDATE keys SET state = 'active'"),
	    SQLITE_OK);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
	replay(&rep);
	ck_assert(rep.damaged);
	ck_assert_ptr_nonnull(strstr(rep.problem[0], "state differs"));
	ck_assert_ptr_nonnull(strstr(rep.problem[0], "audit row 2"));
}
END_TEST

START_TEST(test_ledger_rollback_forgets)
{
	struct kr_replay_report	rep;
	struct kr_key_rec	k;

	create_and_open();
	bound_key("root", 1);
	replay(&rep);
	fill_key(&k, "gone", 5);
	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	ck_assert_int_eq(kr_store_audit_append(st, 1795000002, "test",
	    "key.generate", "{}", NULL, &err), KR_OK);
	kr_store_rollback(st);
	replay(&rep);
	ck_assert_msg(!rep.damaged, "%s", rep.problem[0]);
	ck_assert_int_eq(rep.records, 1);
}
END_TEST

START_TEST(test_ledger_crl_number_from_chain)
{
	struct kr_crl_rec	c;
	struct kr_key_rec	k;
	int64_t			max;

	create_and_open();
	bound_key("root", 1);
	fill_key(&k, "root", 1);
	memset(&c, 0, sizeof(c));
	memcpy(c.issuer_key_id, k.id, sizeof(c.issuer_key_id));
	c.this_update = 1795000000;
	c.next_update = 1797000000;
	memset(c.sha256, 'a', 64);
	strcpy(c.location, "crls/x.crl");
	for (c.number = 1; c.number <= 3; c.number++) {
		ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
		ck_assert_int_eq(kr_store_crl_insert(st, &c, &err), KR_OK);
		ck_assert_int_eq(kr_store_audit_append(st, 1795000010, "test",
		    "crl.publish", "{}", NULL, &err), KR_OK);
		ck_assert_int_eq(kr_store_commit(st, &err), KR_OK);
	}
	kr_store_close(&st);
	ck_assert_int_eq(raw_exec("DELETE FROM crls"), SQLITE_OK);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
	ck_assert_int_eq(kr_store_crl_number_bound(st, k.id, &max, &err),
	    KR_OK);
	ck_assert_int_eq(max, 3);
}
END_TEST

/* The serial of imported row i: 0x20, then i in two bytes. */
static void
import_serial(uint8_t *serial, size_t *len, int i)
{
	serial[0] = 0x20;
	serial[1] = (uint8_t)(i >> 8);
	serial[2] = (uint8_t)i;
	*len = 3;
}

static void
import_rev(struct kr_import_batch *b, const struct kr_key_rec *k, int i,
    uint32_t tag, int want)
{
	struct kr_revocation_rec	r;

	memset(&r, 0, sizeof(r));
	memcpy(r.issuer_key_id, k->id, sizeof(r.issuer_key_id));
	import_serial(r.serial, &r.serial_len, i);
	r.revoked_at = 1795000000;
	r.reason = 1;
	r.expires = 1900000000;
	strcpy(r.source, "openssl-index");
	ck_assert_int_eq(kr_store_import_revocation(b, &r, tag, &err), want);
}

/*
 * Imports write their rows many at a time: three full batches and a
 * tail land in order with consecutive ids; a duplicate inside a full
 * batch is named by its own tag (the input line), not the batch's last.
 */
START_TEST(test_import_batches)
{
	struct kr_import_batch	*b = NULL;
	struct kr_key_rec	 k;
	int			 i;

	create_and_open();
	bound_key("root", 1);
	fill_key(&k, "root", 1);
	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_import_open(st, &b, &err), KR_OK);
	for (i = 0; i < 200; i++)
		import_rev(b, &k, i, (uint32_t)i + 1, KR_OK);
	ck_assert_int_eq(kr_store_import_flush(b, &err), KR_OK);
	kr_store_import_close(&b);
	ck_assert_int_eq(kr_store_commit(st, &err), KR_OK);
	kr_store_close(&st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM revocations"), 200);
	ck_assert_int_eq(raw_int("SELECT max(id) - min(id) FROM revocations"),
	    199);
	ck_assert_int_eq(raw_int("SELECT id FROM revocations WHERE serial = "
	    "x'2000c7'"), raw_int("SELECT min(id) FROM revocations") + 199);

	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_import_open(st, &b, &err), KR_OK);
	for (i = 1000; i < 1063; i++)
		import_rev(b, &k, i, (uint32_t)i, KR_OK);
	/* The 64th row repeats serial 7 of the first import. */
	import_rev(b, &k, 7, 4242, KR_EEXIST);
	ck_assert_uint_eq(kr_store_import_failed(b), 4242);
	ck_assert_ptr_nonnull(strstr(err.msg, "already revoked"));
	kr_store_import_close(&b);
	kr_store_rollback(st);
	kr_store_close(&st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM revocations"), 200);
}
END_TEST

static void
import_ext(struct kr_import_batch *b, const struct kr_key_rec *k, int i,
    uint32_t tag, int want)
{
	struct kr_external_rec	x;

	memset(&x, 0, sizeof(x));
	memcpy(x.issuer_key_id, k->id, sizeof(x.issuer_key_id));
	import_serial(x.serial, &x.serial_len, i);
	x.status = 'R';
	x.expires = 1900000000;
	strcpy(x.subject, "/CN=x");
	strcpy(x.source, "openssl-index");
	ck_assert_int_eq(kr_store_import_external(b, &x, tag, &err), want);
}

/* Lines 1 to 63: a certificate (serial i + off) and its revocation (i). */
static void
import_pairs(struct kr_import_batch *b, const struct kr_key_rec *k, int off)
{
	int	i;

	for (i = 1; i < 64; i++) {
		import_ext(b, k, i + off, (uint32_t)i, KR_OK);
		import_rev(b, k, i, (uint32_t)i, KR_OK);
	}
}

/*
 * Two tables gathered apart still fail in file order: a revocation
 * already recorded at line 3 is named, not a certificate repeated at
 * line 60 that the first full batch meets first; nothing is kept.
 */
START_TEST(test_import_first_error)
{
	struct kr_import_batch	*b = NULL;
	struct kr_key_rec	 k;

	create_and_open();
	bound_key("root", 1);
	fill_key(&k, "root", 1);
	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_import_open(st, &b, &err), KR_OK);
	import_rev(b, &k, 3, 1, KR_OK);
	import_ext(b, &k, 60, 2, KR_OK);
	ck_assert_int_eq(kr_store_import_flush(b, &err), KR_OK);
	kr_store_import_close(&b);
	ck_assert_int_eq(kr_store_commit(st, &err), KR_OK);

	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_import_open(st, &b, &err), KR_OK);
	/* Lines 1 to 63 gathered; the 64th certificate fills the batch. */
	import_pairs(b, &k, 0);
	import_ext(b, &k, 64, 64, KR_EEXIST);
	ck_assert_uint_eq(kr_store_import_failed(b), 3);
	ck_assert_ptr_nonnull(strstr(err.msg, "already revoked"));
	kr_store_import_close(&b);
	kr_store_rollback(st);
	/* The certificates' batch written, the revocations' failing: the
	 * written rows are taken out again and line 3 is still named. */
	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_import_open(st, &b, &err), KR_OK);
	import_pairs(b, &k, 2000);
	import_ext(b, &k, 2064, 64, KR_EEXIST);
	ck_assert_uint_eq(kr_store_import_failed(b), 3);
	ck_assert_ptr_nonnull(strstr(err.msg, "already revoked"));
	kr_store_import_close(&b);
	kr_store_rollback(st);
	kr_store_close(&st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM revocations"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM external_certs"), 1);
}
END_TEST

/* 50 revocations of key k imported as one bulk range, at 1795000003. */
static void
bulk_revocations(struct kr_key_rec *k)
{
	struct kr_import_batch	*b = NULL;
	int			 i;

	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_import_open(st, &b, &err), KR_OK);
	for (i = 0; i < 50; i++)
		import_rev(b, k, i, (uint32_t)i + 1, KR_OK);
	ck_assert_int_eq(kr_store_import_flush(b, &err), KR_OK);
	ck_assert_int_eq(kr_store_import_bind(b, &err), KR_OK);
	kr_store_import_close(&b);
	ck_assert_int_eq(kr_store_audit_append(st, 1795000003, "test",
	    "import.openssl-index", "{}", NULL, &err), KR_OK);
	ck_assert_int_eq(kr_store_commit(st, &err), KR_OK);
}

START_TEST(test_ledger_bulk_range)
{
	struct kr_replay_report	rep;
	struct kr_key_rec	k;

	create_and_open();
	bound_key("root", 1);
	fill_key(&k, "root", 1);
	bulk_revocations(&k);
	replay(&rep);
	ck_assert_msg(!rep.damaged, "%s", rep.problem[0]);
	ck_assert_int_eq(rep.records, 51);
	/* One imported row changed: the range is named by its import. */
	kr_store_close(&st);
	ck_assert_int_eq(raw_exec("UPDATE revocations SET reason = 4 WHERE "
	    "id = 20"), SQLITE_OK);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
	replay(&rep);
	ck_assert(rep.damaged);
	ck_assert_ptr_nonnull(strstr(rep.problem[0], "revocations rows 1 to "
	    "50"));
	ck_assert_ptr_nonnull(strstr(rep.problem[0], "import.openssl-index"));
	/* Without `full`, the open leaves bulk rows to their readers. */
	ck_assert_int_eq(kr_store_replay(st, &rep, false, &err), KR_OK);
	ck_assert(!rep.damaged);
}
END_TEST

/*
 * TEST-KEY-494: a full replay asked after the open's quick one, with
 * nothing written in between, completes it (the bulk ranges hashed and
 * counted) instead of walking the chain again; a write by another
 * connection or by this one makes it start over.
 */
START_TEST(test_ledger_replay_again)
{
	struct kr_replay_report	rep;
	struct kr_key_rec	k;

	create_and_open();
	bound_key("root", 1);
	fill_key(&k, "root", 1);
	bulk_revocations(&k);
	kr_store_close(&st);
	ck_assert_int_eq(raw_exec("UPDATE revocations SET reason = 4 WHERE "
	    "id = 20"), SQLITE_OK);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
	ck_assert_int_eq(kr_store_replay(st, &rep, false, &err), KR_OK);
	ck_assert(!rep.damaged);
	ck_assert_int_eq(rep.records, 51);
	/* Made full: the changed import is named, once, however often. */
	replay(&rep);
	ck_assert(rep.damaged);
	ck_assert_int_eq(rep.records, 51);
	ck_assert_ptr_nonnull(strstr(rep.problem[0], "revocations rows 1 to "
	    "50 (50 found)"));
	replay(&rep);
	ck_assert(rep.damaged);
	ck_assert_int_eq(rep.problems, 1);
	/* Put back by another connection: replayed anew. */
	ck_assert_int_eq(raw_exec("UPDATE revocations SET reason = 1 WHERE "
	    "id = 20"), SQLITE_OK);
	replay(&rep);
	ck_assert_msg(!rep.damaged, "%s", rep.problem[0]);
	/* Changed by another connection after the quick replay. */
	ck_assert_int_eq(kr_store_replay(st, &rep, false, &err), KR_OK);
	ck_assert_int_eq(raw_exec("UPDATE revocations SET reason = 4 WHERE "
	    "id = 33"), SQLITE_OK);
	replay(&rep);
	ck_assert(rep.damaged);
	ck_assert_int_eq(raw_exec("UPDATE revocations SET reason = 1 WHERE "
	    "id = 33"), SQLITE_OK);
	/* A row written by this connection after the quick replay is seen. */
	ck_assert_int_eq(kr_store_replay(st, &rep, false, &err), KR_OK);
	ck_assert_int_eq(rep.records, 51);
	fill_key(&k, "fw", 2);
	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_key_insert(st, &k, &err), KR_OK);
	ck_assert_int_eq(kr_store_audit_append(st, 1795000010, "test",
	    "key.generate", "{\"key\":\"fw\"}", NULL, &err), KR_OK);
	ck_assert_int_eq(kr_store_commit(st, &err), KR_OK);
	replay(&rep);
	ck_assert_msg(!rep.damaged, "%s", rep.problem[0]);
	ck_assert_int_eq(rep.records, 52);
}
END_TEST

/*
 * TEST-KEY-496: the newest row of an event, which the open reads to pin
 * the policy: from the replay's walk while nothing was written since it,
 * from the table otherwise (a row added by another connection, or by
 * this one, and after a replay cut short by a bad link).
 */
static int
newest_cb(const struct kr_audit_rec *r, void *arg)
{
	*(int64_t *)arg = r->seq;
	return KR_OK;
}

static int64_t
newest_policy(void)
{
	int64_t	seq = -1;

	ck_assert_int_eq(kr_store_audit_last_event(st, "appliance.init",
	    "policy.update", newest_cb, &seq, &err), KR_OK);
	return seq;
}

START_TEST(test_ledger_newest_event)
{
	struct kr_replay_report	rep;
	int64_t			seq;
	int			i;
	static const char *const ev[] = { "appliance.init", "key.generate",
	    "policy.update", "key.generate" };

	create_and_open();
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(kr_store_audit_append(st, 2000 + i, "a", ev[i],
		    "{}", &seq, &err), KR_OK);
	ck_assert_int_eq(kr_store_audit_last_event(st, "cert.root", "x",
	    newest_cb, &seq, &err), KR_ENOENT);
	ck_assert_int_eq(kr_store_replay(st, &rep, false, &err), KR_OK);
	ck_assert_int_eq(newest_policy(), 3);
	ck_assert_int_eq(kr_store_audit_last_event(st, "cert.root", "x",
	    newest_cb, &seq, &err), KR_ENOENT);
	/* Another connection adds one (its hash is no link). */
	ck_assert_int_eq(raw_exec("INSERT INTO audit (seq, time, actor, event, "
	    "payload, prev_hash, hash) VALUES (5, 2010, 'a', 'policy.update', "
	    "'{}', zeroblob(32), zeroblob(32))"), SQLITE_OK);
	ck_assert_int_eq(newest_policy(), 5);
	ck_assert_int_eq(kr_store_replay(st, &rep, false, &err), KR_OK);
	ck_assert_int_eq(rep.chain.first_bad, 5);
	ck_assert_int_eq(newest_policy(), 5);
	/* This connection adds one after a good replay. */
	ck_assert_int_eq(raw_exec("DROP TRIGGER audit_no_delete; DELETE FROM "
	    "audit WHERE seq = 5"), SQLITE_OK);
	ck_assert_int_eq(kr_store_replay(st, &rep, false, &err), KR_OK);
	ck_assert_int_eq(rep.chain.first_bad, 0);
	ck_assert_int_eq(newest_policy(), 3);
	ck_assert_int_eq(kr_store_audit_append(st, 2020, "a", "appliance.init",
	    "{}", &seq, &err), KR_OK);
	ck_assert_int_eq(newest_policy(), seq);
}
END_TEST

/*
 * The CRL iterator reads and proves rows on a second thread, into a ring
 * of 16 batches of 4096: these tests go round the ring (the reader waits
 * for the caller) and cross the batches' ends.
 */
#define ITER_ROWS	100000
#define ITER_NOW	1796000000

/* More rows than import_serial numbers: 0x30, then i in three bytes. */
static void
iter_serial(uint8_t *serial, size_t *len, int i)
{
	serial[0] = 0x30;
	serial[1] = (uint8_t)(i >> 16);
	serial[2] = (uint8_t)(i >> 8);
	serial[3] = (uint8_t)i;
	*len = 4;
}

/* Rows [from, from + n) of iter_serial, bound as one imported range. */
static void
import_range(const struct kr_key_rec *k, int from, int n)
{
	struct kr_import_batch		*b = NULL;
	struct kr_revocation_rec	 r;
	int				 i;

	memset(&r, 0, sizeof(r));
	memcpy(r.issuer_key_id, k->id, sizeof(r.issuer_key_id));
	r.revoked_at = 1795000000;
	r.reason = 1;
	r.expires = 1900000000;
	strcpy(r.source, "openssl-index");
	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	ck_assert_int_eq(kr_store_import_open(st, &b, &err), KR_OK);
	for (i = from; i < from + n; i++) {
		iter_serial(r.serial, &r.serial_len, i);
		ck_assert_int_eq(kr_store_import_revocation(b, &r,
		    (uint32_t)i + 1, &err), KR_OK);
	}
	ck_assert_int_eq(kr_store_import_flush(b, &err), KR_OK);
	ck_assert_int_eq(kr_store_import_bind(b, &err), KR_OK);
	kr_store_import_close(&b);
	ck_assert_int_eq(kr_store_audit_append(st, 1795000003, "test",
	    "import.openssl-index", "{}", NULL, &err), KR_OK);
	ck_assert_int_eq(kr_store_commit(st, &err), KR_OK);
}

/* Counts what the iterator gives; *ret gets its last answer. */
static int
iter_count(struct kr_rev_iter *it, int64_t *last_id, int *ret)
{
	struct kr_revocation_rec	r;
	uint8_t				s[KR_STORE_SERIAL_MAX];
	size_t				len;
	int				n = 0;

	*last_id = 0;
	while ((*ret = kr_store_rev_iter_next(it, &r, &err)) == 1) {
		ck_assert_int_gt(r.id, *last_id);
		*last_id = r.id;
		/* Imported rows only here: row id i + 1 has serial i. */
		iter_serial(s, &len, (int)r.id - 1);
		ck_assert_uint_eq(r.serial_len, len);
		ck_assert_mem_eq(r.serial, s, len);
		ck_assert_int_eq(r.reason, 1);
		n++;
	}
	return n;
}

START_TEST(test_rev_iter_batches)
{
	struct kr_rev_iter		*it = NULL;
	struct kr_revocation_rec	 r;
	struct kr_key_rec		 k;
	int64_t				 last, max;
	int				 ret;

	create_and_open();
	bound_key("root", 1);
	fill_key(&k, "root", 1);
	import_range(&k, 0, ITER_ROWS);
	ck_assert_int_eq(kr_store_rev_iter_open(st, k.id, ITER_NOW, 0, 0, &it,
	    &err), KR_OK);
	ck_assert_int_eq(iter_count(it, &last, &ret), ITER_ROWS);
	ck_assert_msg(ret == 0, "%s", err.msg);
	ck_assert_int_eq(last, ITER_ROWS);
	/* The end is said again; the connection is the caller's again. */
	ck_assert_int_eq(kr_store_rev_iter_next(it, &r, &err), 0);
	kr_store_rev_iter_close(&it);
	ck_assert_int_eq(kr_store_revocation_max_id(st, k.id, &max, &err),
	    KR_OK);
	ck_assert_int_eq(max, ITER_ROWS);
	/* A delta lists the last ten: whole batches read list nothing. */
	ck_assert_int_eq(kr_store_rev_iter_open(st, k.id, ITER_NOW,
	    ITER_ROWS - 10, ITER_NOW - 1, &it, &err), KR_OK);
	ck_assert_int_eq(iter_count(it, &last, &ret), 10);
	ck_assert_msg(ret == 0, "%s", err.msg);
	ck_assert_int_eq(last, ITER_ROWS);
	kr_store_rev_iter_close(&it);
	/* Expired certificates are read and proven, not listed. */
	ck_assert_int_eq(kr_store_rev_iter_open(st, k.id, 1900000001, 0, 0,
	    &it, &err), KR_OK);
	ck_assert_int_eq(iter_count(it, &last, &ret), 0);
	ck_assert_msg(ret == 0, "%s", err.msg);
	kr_store_rev_iter_close(&it);
}
END_TEST

/*
 * A changed row fails the proof of its range when the range ends: in the
 * middle of the stream, after the rows before it, with the message the
 * proof wrote.
 */
START_TEST(test_rev_iter_tampered)
{
	struct kr_rev_iter		*it = NULL;
	struct kr_revocation_rec	 r;
	struct kr_key_rec		 k;
	char				 range[64];
	int64_t				 last;
	int				 ret;

	(void)snprintf(range, sizeof(range), "revocations rows 1 to %d",
	    ITER_ROWS / 2);
	create_and_open();
	bound_key("root", 1);
	fill_key(&k, "root", 1);
	import_range(&k, 0, ITER_ROWS / 2);
	import_range(&k, ITER_ROWS / 2, ITER_ROWS / 2);
	kr_store_close(&st);
	ck_assert_int_eq(raw_exec("UPDATE revocations SET revoked_at = "
	    "revoked_at + 1 WHERE id = 40000"), SQLITE_OK);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
	ck_assert_int_eq(kr_store_rev_iter_open(st, k.id, ITER_NOW, 0, 0, &it,
	    &err), KR_OK);
	ck_assert_int_eq(iter_count(it, &last, &ret), ITER_ROWS / 2);
	ck_assert_int_eq(ret, KR_EVERIFY);
	ck_assert_ptr_nonnull(strstr(err.msg, range));
	ck_assert_ptr_nonnull(strstr(err.msg, "import.openssl-index"));
	kr_err_clear(&err);
	ck_assert_int_eq(kr_store_rev_iter_next(it, &r, &err), KR_EVERIFY);
	ck_assert_ptr_nonnull(strstr(err.msg, range));
	kr_store_rev_iter_close(&it);
}
END_TEST

/*
 * The rows iterator (the continuity check's) stays at its end: a call
 * after the last row says 0 again instead of starting over, so a CRL
 * entry after a missing one is counted missing too.
 */
START_TEST(test_rev_iter_rows_spent)
{
	struct kr_rev_iter		*it = NULL;
	struct kr_revocation_rec	 r;
	struct kr_key_rec		 k;
	int				 n = 0;

	create_and_open();
	bound_key("root", 1);
	fill_key(&k, "root", 1);
	import_range(&k, 0, 3);
	ck_assert_int_eq(kr_store_rev_iter_rows(st, k.id, 3, &it, &err),
	    KR_OK);
	while (kr_store_rev_iter_next(it, &r, &err) == 1)
		n++;
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(kr_store_rev_iter_next(it, &r, &err), 0);
	ck_assert_int_eq(kr_store_rev_iter_next(it, &r, &err), 0);
	kr_store_rev_iter_close(&it);
}
END_TEST

/*
 * Rows revoked one by one are proven by a query of their own, made from
 * inside the scan: listed, or not when expired; one changed afterwards
 * fails the stream where it stands, after the rows before it.
 */
START_TEST(test_rev_iter_single_rows)
{
	struct kr_rev_iter		*it = NULL;
	struct kr_revocation_rec	 r;
	struct kr_key_rec		 k;
	int64_t				 last;
	int				 i, ret;

	create_and_open();
	bound_key("root", 1);
	fill_key(&k, "root", 1);
	import_range(&k, 0, ITER_ROWS / 2);
	ck_assert_int_eq(kr_store_begin(st, &err), KR_OK);
	for (i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		memcpy(r.issuer_key_id, k.id, sizeof(r.issuer_key_id));
		iter_serial(r.serial, &r.serial_len, ITER_ROWS / 2 + i);
		r.revoked_at = 1795000000;
		r.reason = 1;
		r.expires = i == 0 ? 1900000000 : ITER_NOW - 1;
		strcpy(r.source, "keyrite");
		ck_assert_int_eq(kr_store_revocation_insert(st, &r, &err),
		    KR_OK);
	}
	ck_assert_int_eq(kr_store_audit_append(st, 1795000003, "test",
	    "revoke", "{}", NULL, &err), KR_OK);
	ck_assert_int_eq(kr_store_commit(st, &err), KR_OK);
	import_range(&k, ITER_ROWS / 2 + 2, ITER_ROWS / 2 - 2);
	ck_assert_int_eq(kr_store_rev_iter_open(st, k.id, ITER_NOW, 0, 0, &it,
	    &err), KR_OK);
	ck_assert_int_eq(iter_count(it, &last, &ret), ITER_ROWS - 1);
	ck_assert_msg(ret == 0, "%s", err.msg);
	kr_store_rev_iter_close(&it);
	/* The listed one changed behind keyrite's back. */
	kr_store_close(&st);
	ck_assert_int_eq(raw_exec("UPDATE revocations SET reason = 4 WHERE "
	    "id = 50001"), SQLITE_OK);
	ck_assert_int_eq(kr_store_open(&st, path, &err), KR_OK);
	ck_assert_int_eq(kr_store_rev_iter_open(st, k.id, ITER_NOW, 0, 0, &it,
	    &err), KR_OK);
	ck_assert_int_eq(iter_count(it, &last, &ret), ITER_ROWS / 2);
	ck_assert_int_eq(ret, KR_EVERIFY);
	ck_assert_ptr_nonnull(strstr(err.msg, "revocations row 50001: reason "
	    "differs"));
	kr_store_rev_iter_close(&it);
}
END_TEST

/* A caller that stops early (a bad entry) closes; the reader stops. */
START_TEST(test_rev_iter_close_early)
{
	struct kr_rev_iter		*it = NULL;
	struct kr_revocation_rec	 r;
	struct kr_key_rec		 k;
	int64_t				 max;

	create_and_open();
	bound_key("root", 1);
	fill_key(&k, "root", 1);
	import_range(&k, 0, ITER_ROWS);
	ck_assert_int_eq(kr_store_rev_iter_open(st, k.id, ITER_NOW, 0, 0, &it,
	    &err), KR_OK);
	ck_assert_int_eq(kr_store_rev_iter_next(it, &r, &err), 1);
	ck_assert_int_eq(r.id, 1);
	kr_store_rev_iter_close(&it);
	ck_assert_ptr_null(it);
	/* Opened and closed unread: no reader was started. */
	ck_assert_int_eq(kr_store_rev_iter_open(st, k.id, ITER_NOW, 0, 0, &it,
	    &err), KR_OK);
	kr_store_rev_iter_close(&it);
	ck_assert_int_eq(kr_store_revocation_max_id(st, k.id, &max, &err),
	    KR_OK);
	ck_assert_int_eq(max, ITER_ROWS);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite	*s = suite_create("store");
	TCase	*tc;

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_create_open_close);
	tcase_add_test(tc, test_create_refuses_existing);
	tcase_add_test(tc, test_create_refuses_leftover_wal);
	tcase_add_test(tc, test_open_refuses_missing);
	tcase_add_test(tc, test_open_refuses_symlink);
	tcase_add_test(tc, test_open_refuses_foreign);
	tcase_add_test(tc, test_open_refuses_newer);
	tcase_add_test(tc, test_open_finishes_empty_file);
	tcase_add_test(tc, test_open_readonly);
	suite_add_tcase(s, tc);

	tc = tcase_create("records");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_meta);
	tcase_add_test(tc, test_key_round_trip);
	tcase_add_test(tc, test_key_refusals);
	tcase_add_test(tc, test_set_round_trip);
	tcase_add_test(tc, test_set_refusals);
	tcase_add_test(tc, test_set_pending);
	tcase_add_test(tc, test_custodians);
	tcase_add_test(tc, test_rollback_leaves_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_audit_row_hash_format);
	tcase_add_test(tc, test_audit_append_verify);
	tcase_add_test(tc, test_audit_clock);
	tcase_add_test(tc, test_audit_append_only_trigger);
	tcase_add_loop_test(tc, test_audit_tamper, 0,
	    (int)(sizeof(tamper) / sizeof(tamper[0])));
	tcase_add_test(tc, test_audit_reason_wording);
	tcase_add_test(tc, test_audit_rehashed_row);
	suite_add_tcase(s, tc);

	tc = tcase_create("ledger");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_ledger_binds_and_replays);
	tcase_add_test(tc, test_ledger_names_changed_column);
	tcase_add_test(tc, test_ledger_added_and_deleted);
	tcase_add_test(tc, test_ledger_update_rebinds);
	tcase_add_test(tc, test_ledger_rollback_forgets);
	tcase_add_test(tc, test_ledger_crl_number_from_chain);
	tcase_add_test(tc, test_ledger_bulk_range);
	tcase_add_test(tc, test_ledger_replay_again);
	tcase_add_test(tc, test_ledger_newest_event);
	tcase_add_test(tc, test_import_batches);
	tcase_add_test(tc, test_import_first_error);
	tcase_add_test(tc, test_rev_iter_batches);
	tcase_add_test(tc, test_rev_iter_tampered);
	tcase_add_test(tc, test_rev_iter_single_rows);
	tcase_add_test(tc, test_rev_iter_rows_spent);
	tcase_add_test(tc, test_rev_iter_close_early);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	return tl_run(store_suite(), NULL);
}
