/*
 * The audit bundle's records (docs/audit-bundle.md): the audit chain and
 * every bound record as JSON lines, one file per table, written from the
 * store and read back into a database in memory, where the replay of
 * ledger.c checks them exactly as it checks the state folder.
 *
 * A line is one canonical JSON object: the columns the ledger hashes, in
 * its order, named as in the table.  An integer is a number, a text a
 * string (escaped as \" \\ and \u00XX only: the bytes below 0x20 and
 * 0x7f), a blob {"hex":"<lower-case hex>"}, a NULL null.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include <keyrite/base.h>
#include <keyrite/store.h>

#include "store_int.h"

#define BUNDLE_AUDIT_FILE	"audit.jsonl"

/* Writing */

static bool
bundle_utf8(const uint8_t *p, size_t n)
{
	uint32_t	cp;
	size_t		k;

	while (n > 0) {
		if ((k = kr_utf8_decode(p, n, &cp)) == 0)
			return false;
		p += k;
		n -= k;
	}
	return true;
}

static void
bundle_quote(struct kr_buf *b, const uint8_t *p, size_t n)
{
	char	esc[8];
	size_t	i;

	kr_buf_put_u8(b, '"');
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			kr_buf_put_u8(b, '\\');
			kr_buf_put_u8(b, p[i]);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			(void)snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
			kr_buf_put(b, esc, 6);
		} else
			kr_buf_put_u8(b, p[i]);
	}
	kr_buf_put_u8(b, '"');
}

static void
bundle_hex(struct kr_buf *b, const uint8_t *p, size_t n)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	kr_buf_put_u8(b, '"');
	for (i = 0; i < n; i++) {
		kr_buf_put_u8(b, (uint8_t)digits[p[i] >> 4]);
		kr_buf_put_u8(b, (uint8_t)digits[p[i] & 15]);
	}
	kr_buf_put_u8(b, '"');
}

static void
bundle_key(struct kr_buf *b, const char *key, bool first)
{
	if (!first)
		kr_buf_put_u8(b, ',');
	bundle_quote(b, (const uint8_t *)key, strlen(key));
	kr_buf_put_u8(b, ':');
}

static void
bundle_int(struct kr_buf *b, int64_t v)
{
	char	num[32];

	(void)snprintf(num, sizeof(num), "%lld", (long long)v);
	kr_buf_put(b, num, strlen(num));
}

/* One column's value; false for a text that is not UTF-8. */
static bool
bundle_value(struct kr_buf *b, sqlite3_stmt *stmt, int col)
{
	const uint8_t	*p;
	size_t		 n;

	switch (sqlite3_column_type(stmt, col)) {
	case SQLITE_INTEGER:
		bundle_int(b, sqlite3_column_int64(stmt, col));
		return true;
	case SQLITE_NULL:
		kr_buf_put(b, "null", 4);
		return true;
	case SQLITE_BLOB:
		p = sqlite3_column_blob(stmt, col);
		n = (size_t)sqlite3_column_bytes(stmt, col);
		kr_buf_put(b, "{\"hex\":", 7);
		bundle_hex(b, p, n);
		kr_buf_put_u8(b, '}');
		return true;
	case SQLITE_TEXT:
		p = sqlite3_column_text(stmt, col);
		n = (size_t)sqlite3_column_bytes(stmt, col);
		bundle_quote(b, p, n);
		return bundle_utf8(p, n);
	default:
		return false;	/* a float no honest row has */
	}
}

static struct kr_bundle_file *
bundle_file_new(struct kr_bundle *bd, const char *name)
{
	struct kr_bundle_file	*f;

	if (bd->nfiles == KR_BUNDLE_FILES_MAX)
		return NULL;
	f = &bd->files[bd->nfiles++];
	memset(f, 0, sizeof(*f));
	(void)snprintf(f->name, sizeof(f->name), "%s", name);
	kr_buf_init(&f->data, false);
	return f;
}

static int
bundle_audit_line(const struct kr_audit_rec *r, void *arg)
{
	struct kr_bundle_file	*f = arg;
	struct kr_buf		*b = &f->data;

	if (!bundle_utf8((const uint8_t *)r->actor, strlen(r->actor)) ||
	    !bundle_utf8((const uint8_t *)r->event, strlen(r->event)) ||
	    !bundle_utf8((const uint8_t *)r->payload, strlen(r->payload)))
		return KR_EINPUT;
	kr_buf_put(b, "{\"seq\":", 7);
	bundle_int(b, r->seq);
	bundle_key(b, "time", false);
	bundle_int(b, r->time);
	bundle_key(b, "actor", false);
	bundle_quote(b, (const uint8_t *)r->actor, strlen(r->actor));
	bundle_key(b, "event", false);
	bundle_quote(b, (const uint8_t *)r->event, strlen(r->event));
	bundle_key(b, "payload", false);
	bundle_quote(b, (const uint8_t *)r->payload, strlen(r->payload));
	bundle_key(b, "prev_hash", false);
	bundle_hex(b, r->prev_hash, sizeof(r->prev_hash));
	bundle_key(b, "hash", false);
	bundle_hex(b, r->hash, sizeof(r->hash));
	kr_buf_put(b, "}\n", 2);
	f->lines++;
	return KR_OK;
}

static int
bundle_audit(struct kr_store *st, struct kr_bundle *bd, struct kr_err *err)
{
	struct kr_audit_report	 rep;
	struct kr_bundle_file	*f;
	int			 ret;

	if ((f = bundle_file_new(bd, BUNDLE_AUDIT_FILE)) == NULL)
		return kr_err_set(err, KR_EINTERNAL, "too many bundle files");
	ret = store_audit_walk(st, &rep, bundle_audit_line, f, err);
	if (ret == KR_EINPUT)
		return kr_err_set(err, KR_ESTATE, "audit row %lld holds text "
		    "that is not UTF-8: it cannot be exported (`keyrite audit "
		    "verify` says more)", (long long)rep.rows);
	if (ret != KR_OK)
		return ret;
	bd->rows = rep.rows;
	memcpy(bd->head, rep.head, sizeof(bd->head));
	return kr_buf_status(&f->data, err);
}

static int
bundle_table(struct kr_store *st, const struct store_bound *t,
    struct kr_bundle *bd, struct kr_err *err)
{
	struct kr_bundle_file	*f;
	sqlite3_stmt		*stmt = NULL;
	char			 sql[1024], name[64];
	int			 c, rc, ret;

	(void)snprintf(name, sizeof(name), "%s.jsonl", t->name);
	if ((f = bundle_file_new(bd, name)) == NULL)
		return kr_err_set(err, KR_EINTERNAL, "too many bundle files");
	f->added = t->added;
	(void)snprintf(sql, sizeof(sql), "%s%s%s ORDER BY 1", t->select,
	    t->where[0] != '\0' ? " WHERE " : "", t->where);
	if ((ret = store_prepare(st, sql, &stmt, err)) != KR_OK)
		return ret;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		kr_buf_put_u8(&f->data, '{');
		for (c = 0; c < t->ncols; c++) {
			bundle_key(&f->data, t->cols[c], c == 0);
			if (!bundle_value(&f->data, stmt, c + 1))
				break;
		}
		if (c < t->ncols)
			break;
		kr_buf_put(&f->data, "}\n", 2);
		f->lines++;
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return kr_err_set(err, KR_ESTATE, "the %s table's row %lld "
		    "holds a value of the wrong kind (text that is not UTF-8, "
		    "or a number with a fraction): it cannot be exported",
		    t->name, (long long)f->lines + 1);
	if (rc != SQLITE_DONE)
		return store_sqlite_err(st, rc, err, "reading the %s table",
		    t->name);
	return kr_buf_status(&f->data, err);
}

void
kr_bundle_free(struct kr_bundle *bd)
{
	size_t	i;

	for (i = 0; i < bd->nfiles; i++)
		kr_buf_free(&bd->files[i].data);
	memset(bd, 0, sizeof(*bd));
}

int
kr_store_bundle_export(struct kr_store *st, struct kr_bundle *bd,
    struct kr_err *err)
{
	struct store_bound	t;
	size_t			i;
	int			ret;

	memset(bd, 0, sizeof(*bd));
	if ((ret = bundle_audit(st, bd, err)) != KR_OK)
		goto fail;
	for (i = 0; i < store_bound_count(); i++) {
		if (store_bound_get(i, &t) != KR_OK) {
			ret = kr_err_set(err, KR_EINTERNAL, "the bound table "
			    "%zu cannot be described: this is a bug in "
			    "keyrite", i);
			goto fail;
		}
		if ((ret = bundle_table(st, &t, bd, err)) != KR_OK)
			goto fail;
	}
	return KR_OK;
fail:
	kr_bundle_free(bd);
	return ret;
}

/* Reading: the canonical form only, anything else refused */

struct bundle_rd {
	const char	*p, *end;	/* the rest of the line */
};

struct bundle_val {
	int		 type;		/* SQLITE_INTEGER, _TEXT, _BLOB, _NULL */
	int64_t		 i;
	uint8_t		*b;		/* text or blob, malloc'd */
	size_t		 n;
};

static bool
rd_lit(struct bundle_rd *r, const char *s)
{
	size_t	n = strlen(s);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, s, n) != 0)
		return false;
	r->p += n;
	return true;
}

static bool
rd_int(struct bundle_rd *r, int64_t *v)
{
	char		 num[24];
	const char	*s = r->p;
	size_t		 n;
	char		*e;

	if (s < r->end && *s == '-')
		s++;
	if (s >= r->end || *s < '0' || *s > '9' ||
	    (*s == '0' && s + 1 < r->end && s[1] >= '0' && s[1] <= '9'))
		return false;
	while (s < r->end && *s >= '0' && *s <= '9')
		s++;
	if ((n = (size_t)(s - r->p)) >= sizeof(num) ||
	    (n == 2 && memcmp(r->p, "-0", 2) == 0))
		return false;
	memcpy(num, r->p, n);
	num[n] = '\0';
	errno = 0;
	*v = strtoll(num, &e, 10);
	if (errno != 0 || *e != '\0')
		return false;
	r->p = s;
	return true;
}

static int
rd_hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A string: its bytes (NUL-terminated too) and length. */
static bool
rd_str(struct bundle_rd *r, uint8_t **out, size_t *n)
{
	const char	*s = r->p;
	uint8_t		*b;
	int		 hi, lo;

	*out = NULL;
	if (s >= r->end || *s++ != '"' ||
	    (b = malloc((size_t)(r->end - s) + 1)) == NULL)
		return false;
	for (*n = 0; s < r->end && *s != '"'; s++) {
		if ((uint8_t)*s < 0x20 || *s == 0x7f)
			break;
		if (*s != '\\') {
			b[(*n)++] = (uint8_t)*s;
			continue;
		}
		if (++s < r->end && (*s == '"' || *s == '\\')) {
			b[(*n)++] = (uint8_t)*s;
			continue;
		}
		if (r->end - s < 5 || memcmp(s, "u00", 3) != 0 ||
		    (hi = rd_hexdigit(s[3])) < 0 || (lo = rd_hexdigit(s[4])) < 0 ||
		    (hi * 16 + lo >= 0x20 && hi * 16 + lo != 0x7f))
			break;
		b[(*n)++] = (uint8_t)(hi * 16 + lo);
		s += 4;
	}
	if (s >= r->end || *s != '"') {
		free(b);
		return false;
	}
	b[*n] = '\0';
	r->p = s + 1;
	*out = b;
	return true;
}

/* A string of lower-case hex, decoded in place. */
static bool
rd_hex(struct bundle_rd *r, uint8_t **out, size_t *n)
{
	size_t	i;
	int	hi, lo;

	if (!rd_str(r, out, n))
		return false;
	for (i = 0; i + 1 < *n; i += 2) {
		if ((hi = rd_hexdigit((char)(*out)[i])) < 0 ||
		    (lo = rd_hexdigit((char)(*out)[i + 1])) < 0)
			break;
		(*out)[i / 2] = (uint8_t)(hi * 16 + lo);
	}
	if (i != *n) {
		free(*out);
		*out = NULL;
		return false;
	}
	*n /= 2;
	return true;
}

static bool
rd_value(struct bundle_rd *r, struct bundle_val *v)
{
	memset(v, 0, sizeof(*v));
	if (rd_lit(r, "null")) {
		v->type = SQLITE_NULL;
		return true;
	}
	if (rd_lit(r, "{\"hex\":")) {
		v->type = SQLITE_BLOB;
		return rd_hex(r, &v->b, &v->n) && rd_lit(r, "}");
	}
	if (r->p < r->end && *r->p == '"') {
		v->type = SQLITE_TEXT;
		return rd_str(r, &v->b, &v->n) && bundle_utf8(v->b, v->n);
	}
	v->type = SQLITE_INTEGER;
	return rd_int(r, &v->i);
}

static void
val_bind(sqlite3_stmt *stmt, int i, struct bundle_val *v)
{
	switch (v->type) {
	case SQLITE_INTEGER:
		sqlite3_bind_int64(stmt, i, v->i);
		break;
	case SQLITE_TEXT:
		sqlite3_bind_text(stmt, i, (const char *)v->b, (int)v->n,
		    SQLITE_TRANSIENT);
		break;
	case SQLITE_BLOB:
		sqlite3_bind_blob(stmt, i, v->b, (int)v->n, SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_bind_null(stmt, i);
	}
	free(v->b);
	v->b = NULL;
}

/* One line: {"COL":VALUE,...} with the named columns in order. */
static bool
rd_line(struct bundle_rd *r, const char *const *cols, int ncols,
    sqlite3_stmt *stmt)
{
	struct bundle_val	v;
	char			key[48];
	int			c;
	bool			hex;

	memset(&v, 0, sizeof(v));
	for (c = 0; c < ncols; c++) {
		hex = cols[c][0] == '#';	/* a plain hex string: a blob */
		(void)snprintf(key, sizeof(key), "%s\"%s\":", c == 0 ? "{" :
		    ",", cols[c] + hex);
		if (!rd_lit(r, key) ||
		    !(hex ? rd_hex(r, &v.b, &v.n) : rd_value(r, &v)) ||
		    v.n > INT32_MAX) {
			free(v.b);
			return false;
		}
		if (hex)
			v.type = SQLITE_BLOB;
		val_bind(stmt, c + 1, &v);
	}
	return rd_lit(r, "}") && r->p == r->end;
}

static const struct kr_bundle_file *
bundle_find(const struct kr_bundle *bd, const char *name)
{
	size_t	i;

	for (i = 0; i < bd->nfiles; i++)
		if (strcmp(bd->files[i].name, name) == 0)
			return &bd->files[i];
	return NULL;
}

/* Every line of a file through the statement; names the first bad one. */
static int
bundle_lines(struct kr_store *st, const struct kr_bundle *bd,
    const char *name, const char *const *cols, int ncols, const char *sql,
    struct kr_err *err)
{
	const struct kr_bundle_file	*f;
	struct bundle_rd		 r;
	sqlite3_stmt			*stmt = NULL;
	const char			*p, *end, *nl;
	int64_t				 line = 0;
	int				 rc, ret;

	if ((f = bundle_find(bd, name)) == NULL)
		return kr_err_set(err, KR_EVERIFY, "%s: the file %s is "
		    "missing: the bundle is not whole", st->path, name);
	if ((ret = store_prepare(st, sql, &stmt, err)) != KR_OK)
		return ret;
	p = (const char *)f->data.p;
	end = p + f->data.len;
	for (; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		r.p = p;
		r.end = nl;
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		if (nl == end || !rd_line(&r, cols, ncols, stmt)) {
			ret = kr_err_set(err, KR_EVERIFY, "%s: %s line %lld is "
			    "not in the bundle's form (docs/audit-bundle.md): "
			    "the file was changed or cut", st->path, name,
			    (long long)line);
			break;
		}
		if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
			ret = store_sqlite_err(st, rc, err, "loading %s line "
			    "%lld", name, (long long)line);
			break;
		}
	}
	sqlite3_finalize(stmt);
	return ret;
}

static void
buf_str(struct kr_buf *b, const char *s)
{
	kr_buf_put(b, s, strlen(s));
}

/*
 * Tables of the bound columns only, with no declared type (a value keeps
 * the kind it has in the bundle); a binding of some columns of another
 * table's rows (revocations.lifted) adds its columns to that table.
 */
static void
bundle_schema_sql(struct kr_buf *sql, const struct store_bound *t)
{
	int	c;

	if (strcmp(t->name, t->base) != 0) {
		for (c = 1; c < t->ncols; c++) {
			buf_str(sql, "ALTER TABLE ");
			buf_str(sql, t->base);
			buf_str(sql, " ADD COLUMN ");
			buf_str(sql, t->cols[c]);
			buf_str(sql, ";");
		}
		return;
	}
	buf_str(sql, "CREATE TABLE ");
	buf_str(sql, t->base);
	for (c = 0; c < t->ncols; c++) {
		buf_str(sql, c == 0 ? " (" : ", ");
		buf_str(sql, t->cols[c]);
	}
	buf_str(sql, ");");
}

static int
bundle_schema(struct kr_store *st, struct kr_err *err)
{
	struct store_bound	t;
	struct kr_buf		sql;
	size_t			i;
	int			ret;

	kr_buf_init(&sql, false);
	buf_str(&sql, "CREATE TABLE audit (seq, time, actor, event, payload, "
	    "prev_hash, hash);");
	for (i = 0; i < store_bound_count(); i++) {
		if (store_bound_get(i, &t) != KR_OK)
			break;
		bundle_schema_sql(&sql, &t);
	}
	kr_buf_put_u8(&sql, '\0');
	if (i < store_bound_count() || sql.failed)
		ret = kr_err_set(err, KR_EINTERNAL, "cannot describe the "
		    "bound tables: this is a bug in keyrite");
	else
		ret = store_exec(st, (const char *)sql.p, "making the bundle's "
		    "tables in memory", err);
	kr_buf_free(&sql);
	return ret;
}

/* The statement loading one table's lines. */
static void
bundle_load_sql(struct kr_buf *sql, const struct store_bound *t)
{
	char	num[16];
	int	c;

	if (strcmp(t->name, t->base) != 0) {
		buf_str(sql, "UPDATE ");
		buf_str(sql, t->base);
		for (c = 1; c < t->ncols; c++) {
			(void)snprintf(num, sizeof(num), " = ?%d", c + 1);
			buf_str(sql, c == 1 ? " SET " : ", ");
			buf_str(sql, t->cols[c]);
			buf_str(sql, num);
		}
		buf_str(sql, " WHERE ");
		buf_str(sql, t->cols[0]);
		buf_str(sql, " = ?1");
	} else {
		buf_str(sql, "INSERT INTO ");
		buf_str(sql, t->base);
		for (c = 0; c < t->ncols; c++) {
			buf_str(sql, c == 0 ? " (" : ", ");
			buf_str(sql, t->cols[c]);
		}
		for (c = 0; c < t->ncols; c++) {
			(void)snprintf(num, sizeof(num), "?%d", c + 1);
			buf_str(sql, c == 0 ? ") VALUES (" : ", ");
			buf_str(sql, num);
		}
		buf_str(sql, ")");
	}
	kr_buf_put_u8(sql, '\0');
}

/* A record given twice would be counted once by the replay: refused. */
static int
bundle_unique(struct kr_store *st, const struct store_bound *t,
    struct kr_err *err)
{
	sqlite3_stmt		*stmt = NULL;
	const unsigned char	*id;
	char			 sql[1024], prev[128];
	int			 rc, ret;

	if (strcmp(t->name, t->base) != 0)
		return KR_OK;
	(void)snprintf(sql, sizeof(sql), "%s ORDER BY 1", t->select);
	if ((ret = store_prepare(st, sql, &stmt, err)) != KR_OK)
		return ret;
	prev[0] = '\0';
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((id = sqlite3_column_text(stmt, 0)) == NULL)
			id = (const unsigned char *)"";
		if (prev[0] != '\0' && strcmp(prev, (const char *)id) == 0)
			break;
		(void)snprintf(prev, sizeof(prev), "%s", id);
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return kr_err_set(err, KR_EVERIFY, "%s: the record %s:%s is "
		    "given twice in %s.jsonl: a row was added to the bundle",
		    st->path, t->name, prev, t->name);
	if (rc != SQLITE_DONE)
		return store_sqlite_err(st, rc, err, "reading the %s table",
		    t->name);
	return KR_OK;
}

static int
bundle_load_table(struct kr_store *st, const struct kr_bundle *bd,
    const struct store_bound *t, struct kr_err *err)
{
	const char	*cols[STORE_BOUND_COLS];
	struct kr_buf	 sql;
	char		 name[64];
	int		 c, ret;

	for (c = 0; c < t->ncols; c++)
		cols[c] = t->cols[c];
	(void)snprintf(name, sizeof(name), "%s.jsonl", t->name);
	kr_buf_init(&sql, false);
	bundle_load_sql(&sql, t);
	if (sql.failed)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	else if ((ret = bundle_lines(st, bd, name, cols, t->ncols,
	    (const char *)sql.p, err)) == KR_OK)
		ret = bundle_unique(st, t, err);
	kr_buf_free(&sql);
	return ret;
}

static int
bundle_load_all(struct kr_store *st, const struct kr_bundle *bd,
    struct kr_err *err)
{
	static const char *const audit_cols[] = { "seq", "time", "actor",
	    "event", "payload", "#prev_hash", "#hash" };
	struct store_bound	 t;
	size_t			 i;
	int			 ret;

	if ((ret = bundle_schema(st, err)) != KR_OK)
		return ret;
	if ((ret = bundle_lines(st, bd, BUNDLE_AUDIT_FILE, audit_cols, 7,
	    "INSERT INTO audit (seq, time, actor, event, payload, prev_hash, "
	    "hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", err)) != KR_OK)
		return ret;
	for (i = 0; i < store_bound_count(); i++) {
		if (store_bound_get(i, &t) != KR_OK)
			return kr_err_set(err, KR_EINTERNAL, "cannot describe "
			    "the bound tables: this is a bug in keyrite");
		if ((ret = bundle_load_table(st, bd, &t, err)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

/*
 * A store in memory holding the bundle's rows, for kr_store_replay and
 * the readers of records: `label` names the bundle in messages.
 */
int
kr_store_bundle_load(struct kr_store **out, const char *label,
    const struct kr_bundle *bd, struct kr_err *err)
{
	struct kr_store	*st;
	int		 rc, ret;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(label)) == NULL) {
		free(st);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	rc = sqlite3_open_v2(":memory:", &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		ret = store_sqlite_err(st, rc, err, "making a database in "
		    "memory");
	else {
		sqlite3_extended_result_codes(st->db, 1);
		sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
		ret = bundle_load_all(st, bd, err);
	}
	if (ret != KR_OK) {
		kr_store_close(&st);
		return ret;
	}
	*out = st;
	return KR_OK;
}
