/*
 * The ledger: every record bound to the audit row that made or changed it.
 *
 * When a row is inserted or changed, the store reads it back, encodes its
 * columns canonically and queues a binding: the row's identity
 * ("keys:1a2b...", "revocations:17") and the SHA-256 of its encoding,
 * followed by a 4-byte tag per column (so a mismatch can name the column).
 * The next audit row written carries the queued bindings as the last
 * member of its payload:
 *
 *	..., "bind":{"keys:1a2b...":"<64 hex>.<8 hex per column>", ...}}
 *
 * A bulk import binds a range of rows at once ("revocations[3-1000002]"),
 * with the hash of the rows' encodings in id order.
 *
 * kr_store_replay walks the audit chain (checking every link), collects
 * the bindings, then walks every table: a row whose encoding differs from
 * its newest binding, a row nothing binds, and a binding whose row is gone
 * are each named.  The tables are a view of the chain; this is the check.
 *
 * Encoding (docs/formats.md): "keyrite-record-v1" || table name || NUL ||
 * per column: a type byte ('i' integer as 8 bytes big-endian, 't' text,
 * 'b' blob, each with a 4-byte big-endian length first, 'n' null).
 */
#include <endian.h>
#include <limits.h>
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

#define RECORD_TAG	"keyrite-record-v1"
#define RANGE_TAG	"keyrite-range-v1"
#define TAG_BYTES	4
#define COLS_MAX	20
#define IDENT_MAX	96
/* "<64 hex>.<8 hex per column>" */
#define VALUE_MAX	(64 + 1 + COLS_MAX * 2 * TAG_BYTES + 1)

/*
 * The bound tables.  `select` gives the identity first, then the bound
 * columns in their canonical order; `label` is the column (counted among
 * the bound ones, 0-based) a person knows the row by, or -1.
 */
struct store_table {
	const char	*name;
	const char	*select;
	const char	*where;		/* rows this binding covers, or "" */
	const char	*cols[COLS_MAX];
	int		 ncols;
	int		 label;
	bool		 ranged;	/* bulk imports bind ranges of rows */
	/*
	 * Columns from this one on were added by a later schema: when they
	 * are NULL at the end of a row they are left out of its encoding,
	 * so a row bound before they existed keeps its binding.  0: none.
	 */
	int		 added;
};

static const struct store_table store_tables[] = {
	{ "meta", "SELECT name, name, value FROM meta", "",
	    { "name", "value" }, 2, 0, false, 0 },
	{ "keys", "SELECT lower(hex(id)), id, name, alg, purpose, backend, "
	    "state, location, spki, created FROM keys", "",
	    { "id", "name", "alg", "purpose", "backend", "state", "location",
	    "public key", "created" }, 9, 1, false, 0 },
	{ "share_sets", "SELECT lower(hex(id)), id, key_id, epoch, m, n, "
	    "dealer_pk, kdf_ops, kdf_mem_kib, state, created, retired FROM "
	    "share_sets", "", { "id", "key id", "epoch", "m", "n", "dealer key",
	    "kdf ops", "kdf memory", "state", "created", "retired" }, 11, -1,
	    false, 10 },
	{ "custodians", "SELECT lower(hex(set_id)) || ':' || x, set_id, x, "
	    "name, share_digest, approval_pk, checked FROM custodians", "",
	    { "share set", "x", "name", "share digest", "approval key",
	    "checked" }, 6, 2, false, 4 },
	{ "token_keys", "SELECT lower(hex(key_id)), key_id, module, uri, "
	    "token_label, token_serial, manufacturer, model, p11_id, pin_mode, "
	    "pins_location FROM token_keys", "",
	    { "key id", "module", "uri", "token label", "token serial",
	    "manufacturer", "model", "CKA_ID", "pin mode", "pins file" }, 10,
	    3, false, 0 },
	{ "certificates", "SELECT id, id, issuer_key_id, serial, subject, "
	    "subject_der, issuer_der, not_before, not_after, spki_sha256, "
	    "subject_key_id, profile, kind, is_ca, der, sha256, created FROM "
	    "certificates", "",
	    { "id", "issuer key", "serial", "subject", "subject DER",
	    "issuer DER", "notBefore", "notAfter", "public key hash",
	    "subject key", "profile", "kind", "is_ca", "DER", "sha256",
	    "created" }, 16, 2, false, 0 },
	{ "external_certs", "SELECT id, id, issuer_key_id, serial, status, "
	    "expires, subject, source FROM external_certs", "",
	    { "id", "issuer key", "serial", "status", "expires", "subject",
	    "source" }, 7, -1, true, 0 },
	{ "revocations", "SELECT id, id, issuer_key_id, serial, revoked_at, "
	    "reason, invalidity, expires, source FROM revocations", "",
	    { "id", "issuer key", "serial", "revocation time", "reason",
	    "invalidity date", "expires", "source" }, 8, -1, true, 0 },
	/* A lifted certificateHold is bound on its own (the row is not). */
	{ "revocations.lifted", "SELECT id, id, lifted_at FROM revocations",
	    "lifted_at IS NOT NULL", { "id", "lifted at" }, 2, -1, false, 0 },
	{ "crls", "SELECT lower(hex(issuer_key_id)) || ':' || number, id, "
	    "issuer_key_id, number, is_delta, "
	    "base_number, this_update, next_update, entries, "
	    "max_revocation_id, sha256, created, location FROM crls", "",
	    { "id", "issuer key", "number", "is_delta", "base number",
	    "thisUpdate", "nextUpdate", "entries", "max revocation id",
	    "sha256", "created", "location" }, 12, -1, false, 0 },
	{ "ocsp_responses", "SELECT id, id, issuer_key_id, serial, status, "
	    "this_update, next_update, sha256, der, created FROM "
	    "ocsp_responses", "",
	    { "id", "issuer key", "serial", "status", "thisUpdate",
	    "nextUpdate", "sha256", "DER", "created" }, 9, 2, false, 0 },
	{ "signatures", "SELECT id, id, key_id, image_name, image_size, "
	    "digest_alg, digest, format, output, signature, cert_serial, "
	    "manifest_entry, batch, created, out_head, out_tail, out_img_off, "
	    "out_copy_off, out_copy_len, kept_sha256 FROM signatures",
	    "", { "id", "key", "image", "image size", "digest algorithm",
	    "digest", "format", "output", "signature", "certificate serial",
	    "manifest entry", "batch", "created", "kept head", "kept tail",
	    "image offset", "copy offset", "copy length", "kept sha256" }, 19,
	    2, false, 0 },
	{ "provisioning", "SELECT id, id, device_id, cert_id, "
	    "identity_sha256, bootstrap_sha256, operator, line, batch, "
	    "record_sha256, created FROM provisioning", "",
	    { "id", "device id", "certificate", "identity certificate sha256",
	    "bootstrap CA sha256", "operator", "line", "batch",
	    "record sha256", "created" }, 10, 1, false, 0 },
	{ "renewals", "SELECT id, id, cert_id, renews_id, created FROM "
	    "renewals", "", { "id", "certificate", "renews", "created" }, 4,
	    -1, false, 0 },
};

#define STORE_NTABLES	(sizeof(store_tables) / sizeof(store_tables[0]))

/*
 * What a CRL is built from, of a bulk range of revocations: bound beside
 * the whole rows so that the CRL builder proves its input in the pass
 * that reads it (the issuer is its query's condition; lifted holds are
 * bound on their own).  The columns are encoded as above.
 */
static const struct store_table store_crl_view = {
	"revocations.crl", "SELECT id, id, serial, revoked_at, reason, "
	    "invalidity, expires FROM revocations", "",
	{ "id", "serial", "revocation time", "reason", "invalidity date",
	    "expires" }, 6, -1, true, 0 };

/*
 * One binding the chain holds: an identity's newest digest.  The column
 * tags are read back from the binding's audit row only when a row differs.
 * A ledger holds a binding for every record the appliance ever wrote (two
 * per provisioned device), so it is kept small: the entries in one dense
 * array, their identities in one block of text, and the hash table of
 * 4-byte entry numbers.
 */
struct ledger_entry {
	int64_t		 seq;		/* the audit row that bound it */
	uint8_t		 digest[32];
	uint32_t	 ident;		/* "keys:1a2b...", at names + ident */
	bool		 seen;		/* found in the table by the replay */
};

/* A bulk range: rows first..last of a ranged table, hashed in order. */
struct ledger_range {
	size_t		 table;
	int64_t		 first, last;
	uint8_t		 issuer[KR_STORE_ID_BYTES];	/* every row's */
	uint8_t		 digest[32];
	uint8_t		 crl_digest[32];	/* the CRL's view, below */
	bool		 has_crl;
	int64_t		 seq;
	bool		 verified;	/* contents hashed and matched */
	bool		 crl_seen;	/* the CRL's view hashed and matched */
};

struct store_ledger {
	uint32_t		*slots;		/* entry number + 1; 0: free */
	size_t			 cap;		/* slots, a power of 2 */
	struct ledger_entry	*ents;
	size_t			 used, ecap;
	char			*names;		/* identities, NUL-ended */
	size_t			 nlen, ncap;
	struct ledger_range	*ranges;
	size_t			 nranges, rcap;
};

/* An event name and the newest audit row of it the replay walked. */
#define STORE_EVENTS_MAX	256

struct store_event {
	char	*name;
	int64_t	 seq;
};

/* A binding queued by an insert or update, waiting for its audit row. */
struct store_pending {
	char	ident[IDENT_MAX];
	char	value[VALUE_MAX];
};

/* Encoding */

static void
enc_be(uint8_t *p, uint64_t v, int n)
{
	uint64_t	be = htobe64(v);

	/* The low n bytes of v, most significant first. */
	memcpy(p, (const uint8_t *)&be + (8 - n), (size_t)n);
}

/*
 * Column encodings are gathered in a buffer and hashed in large pieces:
 * a million small updates would keep SHA-256 off its fast whole-block
 * path.
 */
#define ENC_BUF_BYTES	65536

struct enc {
	struct kr_hash		*h;
	struct kr_hash_pipe	*pipe;	/* or hashed on a second thread */
	size_t			 n;
	uint8_t			 b[ENC_BUF_BYTES];
};

static void
enc_flush(struct enc *e)
{
	if (e->n > 0)
		kr_hash_update(e->h, e->b, e->n);
	e->n = 0;
}

static void
enc_put(struct enc *e, const void *p, size_t n)
{
	if (e->pipe != NULL) {
		kr_hash_pipe_update(e->pipe, p, n);
		return;
	}
	if (e->n + n > sizeof(e->b)) {
		enc_flush(e);
		if (n > sizeof(e->b)) {
			kr_hash_update(e->h, p, n);
			return;
		}
	}
	if (n > 0)
		memcpy(e->b + e->n, p, n);
	e->n += n;
}

/*
 * One column's encoding into b (at least ENC_SMALL bytes free): the
 * bytes written, or 0 when the value is longer (enc_column then streams
 * it).
 */
#define ENC_SMALL	512

static size_t
enc_small(uint8_t *b, sqlite3_stmt *stmt, int col)
{
	const void	*p;
	int		 type = sqlite3_column_type(stmt, col);
	int		 n;

	switch (type) {
	case SQLITE_INTEGER:
		b[0] = 'i';
		enc_be(b + 1, (uint64_t)sqlite3_column_int64(stmt, col), 8);
		return 9;
	case SQLITE_NULL:
		b[0] = 'n';
		return 1;
	case SQLITE_BLOB:
		b[0] = 'b';
		p = sqlite3_column_blob(stmt, col);
		break;
	default:	/* text, and a float no honest row has */
		b[0] = type == SQLITE_TEXT ? 't' : 'f';
		p = sqlite3_column_text(stmt, col);
		break;
	}
	n = sqlite3_column_bytes(stmt, col);
	if ((size_t)n + 5 > ENC_SMALL)
		return 0;
	enc_be(b + 1, (uint64_t)n, 4);
	if (n > 0)
		memcpy(b + 5, p, (size_t)n);
	return (size_t)n + 5;
}

static void
enc_column(struct enc *e, sqlite3_stmt *stmt, int col)
{
	uint8_t		 b[ENC_SMALL];
	const void	*p;
	size_t		 k;
	int		 n;

	if ((k = enc_small(b, stmt, col)) > 0) {
		enc_put(e, b, k);
		return;
	}
	/* A long text or blob (a certificate's DER): streamed. */
	n = sqlite3_column_bytes(stmt, col);
	p = sqlite3_column_type(stmt, col) == SQLITE_BLOB ?
	    sqlite3_column_blob(stmt, col) :
	    (const void *)sqlite3_column_text(stmt, col);
	enc_be(b + 1, (uint64_t)n, 4);
	enc_put(e, b, 5);
	enc_put(e, p, (size_t)n);
}

/*
 * The listed columns of the statement's row, gathered and appended at
 * once: a million rows stream through here in an import.
 */
static void
enc_cols(struct enc *e, sqlite3_stmt *stmt, const int *cols, int ncols)
{
	uint8_t	b[4 * ENC_SMALL];
	size_t	n = 0, k;
	int	i;

	for (i = 0; i < ncols; i++) {
		if (n + ENC_SMALL > sizeof(b)) {
			enc_put(e, b, n);
			n = 0;
		}
		if ((k = enc_small(b + n, stmt, cols[i])) > 0)
			n += k;
		else {
			enc_put(e, b, n);
			n = 0;
			enc_column(e, stmt, cols[i]);
		}
	}
	enc_put(e, b, n);
}

/*
 * How many bound columns a row's encoding has: all, less the columns a
 * later schema added that are NULL at the end of the row.
 */
static int
row_ncols(const struct store_table *t, sqlite3_stmt *stmt)
{
	int	n = t->ncols;

	while (t->added > 0 && n > t->added &&
	    sqlite3_column_type(stmt, n) == SQLITE_NULL)
		n--;
	return n;
}

/* Columns 1..ncols of the statement's row (column 0 is the identity). */
static void
enc_row(struct enc *e, const struct store_table *t, sqlite3_stmt *stmt)
{
	static const int	all[COLS_MAX] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
				    11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };

	enc_cols(e, stmt, all, row_ncols(t, stmt));
}

static struct enc *
enc_new(struct kr_hash *h, const char *tag, const char *table)
{
	struct enc	*e;

	if ((e = malloc(sizeof(*e))) == NULL)
		return NULL;
	e->h = h;
	e->pipe = NULL;
	e->n = 0;
	if (kr_hash_init(h, KR_HASH_SHA256) != KR_OK) {
		free(e);
		return NULL;
	}
	enc_put(e, tag, strlen(tag));
	enc_put(e, table, strlen(table) + 1);
	return e;
}

/* The same, hashed on a second thread: for a long stream of rows. */
static struct enc *
enc_new_piped(const char *tag, const char *table)
{
	struct enc	*e;

	if ((e = malloc(sizeof(*e))) == NULL)
		return NULL;
	e->h = NULL;
	e->n = 0;
	if (kr_hash_pipe_new(&e->pipe, KR_HASH_SHA256) != KR_OK) {
		free(e);
		return NULL;
	}
	enc_put(e, tag, strlen(tag));
	enc_put(e, table, strlen(table) + 1);
	return e;
}

/* Writes the digest (unless NULL) and frees. */
static void
enc_final(struct enc **ep, uint8_t *digest)
{
	struct enc	*e = *ep;
	uint8_t		 d[32];

	if (e == NULL)
		return;
	if (e->pipe != NULL)
		kr_hash_pipe_final(&e->pipe, digest);
	else {
		enc_flush(e);
		kr_hash_final(e->h, d);
		if (digest != NULL)
			memcpy(digest, d, sizeof(d));
	}
	free(e);
	*ep = NULL;
}

static int
row_digest(const struct store_table *t, sqlite3_stmt *stmt, uint8_t *digest,
    uint8_t *tags)
{
	struct kr_hash	 h;
	struct enc	*e;
	uint8_t		 full[32];
	int		 i;

	if ((e = enc_new(&h, RECORD_TAG, t->name)) == NULL)
		return KR_ECRYPTO;
	enc_row(e, t, stmt);
	enc_final(&e, digest);
	for (i = 0; tags != NULL && i < row_ncols(t, stmt); i++) {
		if ((e = enc_new(&h, t->cols[i], t->name)) == NULL)
			return KR_ECRYPTO;
		enc_column(e, stmt, i + 1);
		enc_final(&e, full);
		memcpy(tags + i * TAG_BYTES, full, TAG_BYTES);
	}
	return KR_OK;
}

static void
row_ident(const struct store_table *t, sqlite3_stmt *stmt, char *out,
    size_t cap)
{
	const unsigned char	*id = sqlite3_column_text(stmt, 0);

	(void)snprintf(out, cap, "%s:%s", t->name, id != NULL ?
	    (const char *)id : "?");
}

/* The ledger's hash table */

static uint64_t
ledger_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

static const char *
ledger_ident(const struct store_ledger *l, const struct ledger_entry *e)
{
	return l->names + e->ident;
}

static struct ledger_entry *
ledger_find(const struct store_ledger *l, const char *ident)
{
	struct ledger_entry	*e;
	size_t			 i;

	if (l->cap == 0)
		return NULL;
	for (i = ledger_hash(ident) & (l->cap - 1); l->slots[i] != 0;
	    i = (i + 1) & (l->cap - 1)) {
		e = &l->ents[l->slots[i] - 1];
		if (strcmp(ledger_ident(l, e), ident) == 0)
			return e;
	}
	return NULL;
}

/* The slot where `ident` goes (not there yet). */
static size_t
ledger_slot(const struct store_ledger *l, const char *ident)
{
	size_t	i;

	for (i = ledger_hash(ident) & (l->cap - 1); l->slots[i] != 0;
	    i = (i + 1) & (l->cap - 1))
		;
	return i;
}

static int
ledger_grow(struct store_ledger *l)
{
	uint32_t	*old = l->slots;
	size_t		 oldcap = l->cap, i;

	l->cap = oldcap == 0 ? 256 : oldcap * 2;
	if ((l->slots = calloc(l->cap, sizeof(*l->slots))) == NULL) {
		l->slots = old;
		l->cap = oldcap;
		return KR_ENOMEM;
	}
	for (i = 0; i < l->used; i++)
		l->slots[ledger_slot(l, ledger_ident(l, &l->ents[i]))] =
		    (uint32_t)i + 1;
	free(old);
	return KR_OK;
}

/* Room for one more entry and an identity of `len` bytes. */
static int
ledger_room(struct store_ledger *l, size_t len)
{
	void	*p;
	size_t	 cap;

	if (l->used >= UINT32_MAX - 1 || l->nlen + len + 1 > UINT32_MAX)
		return KR_ENOMEM;
	if ((l->used + 1) * 2 > l->cap && ledger_grow(l) != KR_OK)
		return KR_ENOMEM;
	if (l->used == l->ecap) {
		cap = l->ecap == 0 ? 256 : l->ecap * 2;
		if ((p = realloc(l->ents, cap * sizeof(*l->ents))) == NULL)
			return KR_ENOMEM;
		l->ents = p;
		l->ecap = cap;
	}
	if (l->nlen + len + 1 > l->ncap) {
		for (cap = l->ncap == 0 ? 16384 : l->ncap; cap < l->nlen +
		    len + 1; cap *= 2)
			;
		if ((p = realloc(l->names, cap)) == NULL)
			return KR_ENOMEM;
		l->names = p;
		l->ncap = cap;
	}
	return KR_OK;
}

static struct ledger_entry *
ledger_put(struct store_ledger *l, const char *ident)
{
	struct ledger_entry	*e;
	size_t			 len = strlen(ident);

	if ((e = ledger_find(l, ident)) != NULL)
		return e;
	if (ledger_room(l, len) != KR_OK)
		return NULL;
	e = &l->ents[l->used];
	memset(e, 0, sizeof(*e));
	e->ident = (uint32_t)l->nlen;
	memcpy(l->names + l->nlen, ident, len + 1);
	l->nlen += len + 1;
	l->slots[ledger_slot(l, ident)] = (uint32_t)++l->used;
	return e;
}

static void
ledger_free(struct store_ledger *l)
{
	free(l->slots);
	free(l->ents);
	free(l->names);
	free(l->ranges);
	memset(l, 0, sizeof(*l));
}

static void
events_clear(struct kr_store *st)
{
	size_t	i;

	for (i = 0; i < st->nevents; i++)
		free(st->events[i].name);
	free(st->events);
	st->events = NULL;
	st->nevents = 0;
	st->events_ok = false;
}

/* Row seq of event `name`, in chain order: the newest so far. */
static void
events_note(struct kr_store *st, const char *name, int64_t seq)
{
	struct store_event	*e;
	size_t			 i;

	/* Rows of one kind come in runs: the last one noted first. */
	for (i = st->nevents; i > 0; i--)
		if (strcmp(st->events[i - 1].name, name) == 0) {
			st->events[i - 1].seq = seq;
			return;
		}
	if (!st->events_ok)
		return;
	if (st->nevents == STORE_EVENTS_MAX || (e = reallocarray(st->events,
	    st->nevents + 1, sizeof(*e))) == NULL) {
		st->events_ok = false;
		return;
	}
	st->events = e;
	if ((e[st->nevents].name = strdup(name)) == NULL) {
		st->events_ok = false;
		return;
	}
	e[st->nevents++].seq = seq;
}

void
kr_store_replay_forget(struct kr_store *st)
{
	store_ledger_drop(st);
}

void
store_ledger_drop(struct kr_store *st)
{
	free(st->replayed);
	st->replayed = NULL;
	events_clear(st);
	if (st->ledger != NULL) {
		ledger_free(st->ledger);
		free(st->ledger);
		st->ledger = NULL;
	}
}

void
store_ledger_free(struct kr_store *st)
{
	store_ledger_drop(st);
	free(st->pending);
	st->pending = NULL;
	st->npending = st->pcap = 0;
}

/* Queuing bindings */

static int
pending_add(struct kr_store *st, const char *ident, const char *value,
    struct kr_err *err)
{
	struct store_pending	*p;
	size_t			 i;

	for (i = 0; i < st->npending; i++)
		if (strcmp(st->pending[i].ident, ident) == 0)
			break;
	if (i == st->npending) {
		if (st->npending == st->pcap) {
			st->pcap = st->pcap == 0 ? 16 : st->pcap * 2;
			if ((p = realloc(st->pending, st->pcap *
			    sizeof(*p))) == NULL)
				return kr_err_set(err, KR_ENOMEM, "out of "
				    "memory");
			st->pending = p;
		}
		st->npending++;
	}
	(void)snprintf(st->pending[i].ident, IDENT_MAX, "%s", ident);
	(void)snprintf(st->pending[i].value, VALUE_MAX, "%s", value);
	return KR_OK;
}

static void
value_format(char *out, const uint8_t *digest, const uint8_t *tags, int ncols)
{
	kr_hex_encode(out, digest, 32);
	if (tags == NULL)
		return;
	out[64] = '.';
	kr_hex_encode(out + 65, tags, (size_t)ncols * TAG_BYTES);
}

static const struct store_table *
table_named(const char *name)
{
	size_t	i;

	for (i = 0; i < STORE_NTABLES; i++)
		if (strcmp(store_tables[i].name, name) == 0)
			return &store_tables[i];
	return NULL;
}

/* Binds the rows a statement selects (identity + bound columns). */
static int
bind_stmt_rows(struct kr_store *st, const struct store_table *t,
    sqlite3_stmt *stmt, struct kr_err *err)
{
	uint8_t	digest[32], tags[COLS_MAX * TAG_BYTES];
	char	ident[IDENT_MAX], value[VALUE_MAX];
	int	rc, ret = KR_OK;

	while (ret == KR_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		row_ident(t, stmt, ident, sizeof(ident));
		if ((ret = row_digest(t, stmt, digest, tags)) != KR_OK)
			return kr_err_set(err, ret, "cannot hash a record");
		value_format(value, digest, tags, row_ncols(t, stmt));
		ret = pending_add(st, ident, value, err);
	}
	if (ret == KR_OK && rc != SQLITE_DONE)
		ret = store_sqlite_err(st, rc, err, "reading back a %s row to "
		    "record it", t->name);
	return ret;
}

/*
 * Queues the binding of the rows of table `name` where `col` (an SQL
 * column or "rowid") equals the value: text when `text` is set, a blob
 * when blob_len > 0, else the integer.
 */
static int
bind_where(struct kr_store *st, const char *name, const char *col,
    const char *text, const uint8_t *blob, size_t blob_len, int64_t num,
    struct kr_err *err)
{
	const struct store_table	*t = table_named(name);
	sqlite3_stmt			*stmt = NULL;
	char				 sql[512];
	int				 ret;

	if (t == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no bound table %s: this "
		    "is a bug in keyrite", name);
	(void)snprintf(sql, sizeof(sql), "%s WHERE %s = ?1%s%s", t->select,
	    col, t->where[0] != '\0' ? " AND " : "", t->where);
	if ((ret = store_prepare(st, sql, &stmt, err)) != KR_OK)
		return ret;
	if (text != NULL)
		sqlite3_bind_text(stmt, 1, text, -1, SQLITE_STATIC);
	else if (blob_len > 0)
		sqlite3_bind_blob(stmt, 1, blob, (int)blob_len, SQLITE_STATIC);
	else
		sqlite3_bind_int64(stmt, 1, num);
	ret = bind_stmt_rows(st, t, stmt, err);
	sqlite3_finalize(stmt);
	return ret;
}

int
store_bind_rowid(struct kr_store *st, const char *table, int64_t rowid,
    struct kr_err *err)
{
	return bind_where(st, table, "rowid", NULL, NULL, 0, rowid, err);
}

int
store_bind_last(struct kr_store *st, const char *table, struct kr_err *err)
{
	return store_bind_rowid(st, table, sqlite3_last_insert_rowid(st->db),
	    err);
}

int
store_bind_blob(struct kr_store *st, const char *table, const char *col,
    const uint8_t *id, size_t len, struct kr_err *err)
{
	return bind_where(st, table, col, NULL, id, len, 0, err);
}

int
store_bind_text(struct kr_store *st, const char *table, const char *col,
    const char *value, struct kr_err *err)
{
	return bind_where(st, table, col, value, NULL, 0, 0, err);
}

/*
 * The CRL view's columns, as positions in the revocations select: the
 * import hashes both views of its rows in one pass.
 */
static const int store_crl_view_cols[] = { 1, 3, 4, 5, 6, 7 };

_Static_assert(sizeof(store_crl_view_cols) / sizeof(store_crl_view_cols[0])
    == 6, "one position per column of store_crl_view");

/*
 * Hashes rows first..last of a ranged table, in id order; with view set
 * (revocations only), the CRL view of the same rows as well.
 */
static int
range_digest(struct kr_store *st, const struct store_table *t, int64_t first,
    int64_t last, uint8_t *digest, uint8_t *view, int64_t *count,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	struct enc	*e, *ev = NULL;
	char		 sql[512];
	int		 rc, ret;

	(void)snprintf(sql, sizeof(sql), "%s WHERE id BETWEEN ?1 AND ?2 "
	    "ORDER BY id", t->select);
	if ((ret = store_prepare(st, sql, &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_int64(stmt, 1, first);
	sqlite3_bind_int64(stmt, 2, last);
	if ((e = enc_new_piped(RANGE_TAG, t->name)) == NULL || (view != NULL &&
	    (ev = enc_new_piped(RANGE_TAG, store_crl_view.name)) == NULL)) {
		sqlite3_finalize(stmt);
		enc_final(&e, NULL);
		return kr_err_set(err, KR_ECRYPTO, "cannot hash a record");
	}
	*count = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		enc_row(e, t, stmt);
		if (ev != NULL)
			enc_cols(ev, stmt, store_crl_view_cols,
			    store_crl_view.ncols);
		(*count)++;
	}
	sqlite3_finalize(stmt);
	enc_final(&e, digest);
	if (ev != NULL)
		enc_final(&ev, view);
	if (rc != SQLITE_DONE)
		return store_sqlite_err(st, rc, err, "reading %s rows %lld to "
		    "%lld", t->name, (long long)first, (long long)last);
	return KR_OK;
}

int
store_bind_range(struct kr_store *st, const char *table, int64_t first,
    int64_t last, const uint8_t *issuer, struct kr_err *err)
{
	const struct store_table	*t = table_named(table);
	uint8_t				 digest[32], view[32];
	char				 ident[IDENT_MAX], value[VALUE_MAX];
	char				 hex[2 * KR_STORE_ID_BYTES + 1];
	int64_t				 count;
	bool				 revs;
	int				 ret;

	if (t == NULL || !t->ranged)
		return kr_err_set(err, KR_EINTERNAL, "no ranged table %s: "
		    "this is a bug in keyrite", table);
	if (last < first)
		return KR_OK;
	/* Revocations: "<whole rows>.<the CRL's view>" */
	revs = strcmp(t->name, "revocations") == 0;
	if ((ret = range_digest(st, t, first, last, digest, revs ? view : NULL,
	    &count, err)) != KR_OK)
		return ret;
	kr_hex_encode(hex, issuer, KR_STORE_ID_BYTES);
	(void)snprintf(ident, sizeof(ident), "%s[%lld-%lld]@%s", t->name,
	    (long long)first, (long long)last, hex);
	value_format(value, digest, NULL, 0);
	if (revs) {
		value[64] = '.';
		kr_hex_encode(value + 65, view, 32);
	}
	return pending_add(st, ident, value, err);
}

void
store_pending_clear(struct kr_store *st)
{
	st->npending = 0;
}

static void
buf_str(struct kr_buf *b, const char *s)
{
	kr_buf_put(b, s, strlen(s));
}

/*
 * The payload with the queued bindings as its last member; *out is NULL
 * when nothing is queued (the payload stays as it is).
 */
int
store_pending_payload(struct kr_store *st, const char *payload, char **out,
    struct kr_err *err)
{
	struct kr_buf	b;
	size_t		n = strlen(payload), i;
	bool		empty;

	*out = NULL;
	if (st->npending == 0)
		return KR_OK;
	if (n < 2 || payload[0] != '{' || payload[n - 1] != '}')
		return kr_err_set(err, KR_EINTERNAL, "an audit payload that "
		    "binds records must be a JSON object: this is a bug in "
		    "keyrite");
	empty = n == 2;
	kr_buf_init(&b, false);
	kr_buf_put(&b, payload, n - 1);
	buf_str(&b, empty ? "\"bind\":{" : ",\"bind\":{");
	for (i = 0; i < st->npending; i++) {
		buf_str(&b, i == 0 ? "\"" : ",\"");
		buf_str(&b, st->pending[i].ident);
		buf_str(&b, "\":\"");
		buf_str(&b, st->pending[i].value);
		buf_str(&b, "\"");
	}
	buf_str(&b, "}}");
	kr_buf_put_u8(&b, 0);
	if (b.failed) {
		kr_buf_free(&b);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	*out = (char *)b.p;	/* the caller frees it */
	return KR_OK;
}

/* Reading bindings back from the chain */

static bool
parse_hex(const char *s, size_t n, uint8_t *out)
{
	char	tmp[VALUE_MAX];

	if (n >= sizeof(tmp) || n % 2 != 0)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return kr_hex_decode(out, n / 2, tmp) == KR_OK;
}

static int
ledger_add_range(struct store_ledger *l, const char *ident,
    const uint8_t *digest, const uint8_t *crl_digest, int64_t seq)
{
	struct ledger_range	*r;
	const char		*br = strchr(ident, '[');
	const char		*at = strchr(ident, '@');
	uint8_t			 issuer[KR_STORE_ID_BYTES];
	char			 name[32];
	long long		 a, b;
	size_t			 i;

	if (br == NULL || (size_t)(br - ident) >= sizeof(name) ||
	    sscanf(br, "[%lld-%lld]", &a, &b) != 2 || b < a || at == NULL ||
	    strlen(at + 1) != 2 * KR_STORE_ID_BYTES ||
	    !parse_hex(at + 1, 2 * KR_STORE_ID_BYTES, issuer))
		return KR_EVERIFY;
	memcpy(name, ident, (size_t)(br - ident));
	name[br - ident] = '\0';
	for (i = 0; i < STORE_NTABLES; i++)
		if (strcmp(store_tables[i].name, name) == 0 &&
		    store_tables[i].ranged)
			break;
	if (i == STORE_NTABLES)
		return KR_EVERIFY;
	if (l->nranges == l->rcap) {
		l->rcap = l->rcap == 0 ? 8 : l->rcap * 2;
		if ((r = realloc(l->ranges, l->rcap * sizeof(*r))) == NULL)
			return KR_ENOMEM;
		l->ranges = r;
	}
	r = &l->ranges[l->nranges++];
	r->table = i;
	r->first = a;
	r->last = b;
	memcpy(r->issuer, issuer, sizeof(r->issuer));
	memcpy(r->digest, digest, 32);
	r->has_crl = crl_digest != NULL;
	if (crl_digest != NULL)
		memcpy(r->crl_digest, crl_digest, 32);
	r->seq = seq;
	r->verified = false;
	r->crl_seen = false;
	return KR_OK;
}

/* One "ident":"value" pair of a payload's bind member. */
static int
ledger_add(struct store_ledger *l, const char *ident, const char *value,
    size_t vlen, int64_t seq)
{
	struct ledger_entry	*e;
	uint8_t			 digest[32];

	if (vlen < 64 || !parse_hex(value, 64, digest))
		return KR_EVERIFY;
	if (strchr(ident, '[') != NULL) {
		uint8_t	crl[32];
		bool	has = vlen == 129 && value[64] == '.' &&
			    parse_hex(value + 65, 64, crl);

		return ledger_add_range(l, ident, digest, has ? crl : NULL,
		    seq);
	}
	if ((e = ledger_put(l, ident)) == NULL)
		return KR_ENOMEM;
	memcpy(e->digest, digest, 32);
	e->seq = seq;
	return KR_OK;
}

/* The bind member is the payload's last: {"ident":"value",...}}. */
int
store_ledger_row(struct kr_store *st, int64_t seq, const char *payload)
{
	const char	*end, *open, *p, *q, *v, *w;
	char		 ident[IDENT_MAX];
	size_t		 n = strlen(payload);
	int		 ret;

	if (n < 2 || payload[n - 1] != '}' || payload[n - 2] != '}')
		return KR_OK;
	end = payload + n - 2;
	for (open = end - 1; open > payload && *open != '{'; open--)
		if (*open == '"' || *open == ':' || *open == ',' ||
		    (*open >= '0' && *open <= '9') || (*open >= 'a' &&
		    *open <= 'z') || *open == '_' || *open == '.' ||
		    *open == '[' || *open == ']' || *open == '-' ||
		    *open == '@')
			continue;
		else
			return KR_OK;
	if (open - payload < 7 || memcmp(open - 7, "\"bind\":", 7) != 0)
		return KR_OK;
	for (p = open + 1; p < end; p = w + 1) {
		if (*p == ',')
			p++;
		if (*p != '"' || (q = memchr(p + 1, '"', (size_t)(end - p -
		    1))) == NULL || q[1] != ':' || q[2] != '"' ||
		    (size_t)(q - p - 1) >= sizeof(ident))
			return KR_EVERIFY;
		memcpy(ident, p + 1, (size_t)(q - p - 1));
		ident[q - p - 1] = '\0';
		v = q + 3;
		if ((w = memchr(v, '"', (size_t)(end - v))) == NULL)
			return KR_EVERIFY;
		if ((ret = ledger_add(st->ledger, ident, v, (size_t)(w - v),
		    seq)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

int
store_ledger_reset(struct kr_store *st, struct kr_err *err)
{
	free(st->replayed);
	st->replayed = NULL;
	events_clear(st);
	if (st->ledger != NULL)
		ledger_free(st->ledger);
	else if ((st->ledger = calloc(1, sizeof(*st->ledger))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	return KR_OK;
}

/* Comparing the tables with the ledger */

struct replay {
	struct kr_store			*st;
	struct kr_replay_report		*rep;
};

static void
replay_note(struct replay *r, const char *fmt, ...) KR_PRINTF(2, 3);

static void
replay_note(struct replay *r, const char *fmt, ...)
{
	struct kr_replay_report	*rep = r->rep;
	char			 raw[sizeof(rep->problem[0])];
	va_list			 ap;

	rep->problems++;
	if (rep->shown >= KR_REPLAY_SHOWN)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Names come from the database: nothing raw reaches a terminal. */
	(void)kr_text_escape_str(rep->problem[rep->shown],
	    sizeof(rep->problem[0]), raw, 0);
	rep->shown++;
}

/* "audit row 7 (key.generate)" */
static void
replay_row_name(struct replay *r, int64_t seq, char *out, size_t cap)
{
	sqlite3_stmt		*stmt = NULL;
	const unsigned char	*ev = NULL;

	if (store_prepare(r->st, "SELECT event FROM audit WHERE seq = ?1",
	    &stmt, NULL) == KR_OK) {
		sqlite3_bind_int64(stmt, 1, seq);
		if (sqlite3_step(stmt) == SQLITE_ROW)
			ev = sqlite3_column_text(stmt, 0);
	}
	(void)snprintf(out, cap, "audit row %lld (%s)", (long long)seq,
	    ev != NULL ? (const char *)ev : "?");
	sqlite3_finalize(stmt);
}

static void
replay_label(const struct store_table *t, sqlite3_stmt *stmt,
    const char *ident, char *out, size_t cap)
{
	const unsigned char	*lab = NULL;

	if (t->label >= 0 && sqlite3_column_type(stmt, t->label + 1) ==
	    SQLITE_TEXT)
		lab = sqlite3_column_text(stmt, t->label + 1);
	if (lab != NULL)
		(void)snprintf(out, cap, "%s row '%s' (%s)", t->name, lab,
		    ident);
	else
		(void)snprintf(out, cap, "%s row %s", t->name,
		    strchr(ident, ':') + 1);
}

/*
 * The column tags an audit row bound for an identity: how many (0: none;
 * fewer than the table's columns when later ones were left out).
 */
static int
replay_bound_tags(struct replay *r, int64_t seq, const char *ident,
    uint8_t *tags, int ncols)
{
	sqlite3_stmt		*stmt = NULL;
	const unsigned char	*payload = NULL;
	const char		*p, *q;
	char			 key[IDENT_MAX + 4];
	int			 n = 0;

	(void)snprintf(key, sizeof(key), "\"%s\":\"", ident);
	if (store_prepare(r->st, "SELECT payload FROM audit WHERE seq = ?1",
	    &stmt, NULL) != KR_OK)
		return 0;
	sqlite3_bind_int64(stmt, 1, seq);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		payload = sqlite3_column_text(stmt, 0);
	if (payload != NULL &&
	    (p = strstr((const char *)payload, key)) != NULL &&
	    (q = strchr(p += strlen(key), '"')) != NULL && q - p > 65 &&
	    p[64] == '.') {
		n = (int)((q - p - 65) / (2 * TAG_BYTES));
		if (n > ncols || !parse_hex(p + 65, (size_t)n * 2 * TAG_BYTES,
		    tags))
			n = 0;
	}
	sqlite3_finalize(stmt);
	return n;
}

static void
replay_changed(struct replay *r, const struct store_table *t,
    sqlite3_stmt *stmt, const char *ident, const struct ledger_entry *e)
{
	uint8_t	digest[32], tags[COLS_MAX * TAG_BYTES];
	uint8_t	bound[COLS_MAX * TAG_BYTES];
	char	label[192], row[96], cols[160];
	size_t	used = 0;
	int	i, nb, nr = row_ncols(t, stmt);

	replay_label(t, stmt, ident, label, sizeof(label));
	replay_row_name(r, e->seq, row, sizeof(row));
	cols[0] = '\0';
	if ((nb = replay_bound_tags(r, e->seq, ident, bound, t->ncols)) > 0 &&
	    row_digest(t, stmt, digest, tags) == KR_OK)
		for (i = 0; i < t->ncols && used < sizeof(cols); i++)
			if ((i < nb) != (i < nr) || (i < nb && memcmp(tags +
			    i * TAG_BYTES, bound + i * TAG_BYTES,
			    TAG_BYTES) != 0))
				used += (size_t)snprintf(cols + used,
				    sizeof(cols) - used, "%s%s",
				    used > 0 ? ", " : "", t->cols[i]);
	replay_note(r, "%s: %s differ%s from what %s recorded: the row was "
	    "changed after it was written", label, cols[0] != '\0' ? cols :
	    "its fields", strchr(cols, ',') != NULL || cols[0] == '\0' ? "" :
	    "s", row);
}

/* A row of a ranged table inside a bulk range: fed to that range's hash. */
struct range_walk {
	struct ledger_range	*r;
	struct enc		*e;
	int64_t			 count;
	bool			 open;
};

/* A bulk range's rows hashed (count of them found): compared. */
static void
range_judge(struct replay *r, struct ledger_range *g, const uint8_t *digest,
    int64_t count)
{
	char	row[96];

	if (memcmp(digest, g->digest, 32) == 0 &&
	    count == g->last - g->first + 1) {
		g->verified = true;
		return;
	}
	replay_row_name(r, g->seq, row, sizeof(row));
	replay_note(r, "%s rows %lld to %lld (%lld found), imported by %s: "
	    "rows in that range were changed, added or deleted after the "
	    "import", store_tables[g->table].name, (long long)g->first,
	    (long long)g->last, (long long)count, row);
}

static void
range_walk_close(struct replay *r, struct range_walk *w)
{
	uint8_t	digest[32];

	if (!w->open)
		return;
	w->open = false;
	enc_final(&w->e, digest);
	range_judge(r, w->r, digest, w->count);
}

static struct ledger_range *
range_of(struct store_ledger *l, size_t table, int64_t id)
{
	size_t	i;

	/* Ranges never overlap: an import binds rows it made itself. */
	for (i = l->nranges; i > 0; i--)
		if (l->ranges[i - 1].table == table &&
		    id >= l->ranges[i - 1].first && id <= l->ranges[i - 1].last)
			return &l->ranges[i - 1];
	return NULL;
}

static int
replay_range_row(struct replay *r, size_t ti, sqlite3_stmt *stmt,
    struct range_walk *w)
{
	const struct store_table	*t = &store_tables[ti];
	struct ledger_range		*rg;
	int64_t				 id = sqlite3_column_int64(stmt, 1);

	if (w->open && id <= w->r->last) {
		enc_row(w->e, t, stmt);
		w->count++;
		return 1;
	}
	range_walk_close(r, w);
	if ((rg = range_of(r->st->ledger, ti, id)) == NULL)
		return 0;
	w->r = rg;
	w->count = 1;
	if ((w->e = enc_new_piped(RANGE_TAG, t->name)) == NULL)
		return -1;
	w->open = true;
	enc_row(w->e, t, stmt);
	return 1;
}

static void
replay_one(struct replay *r, const struct store_table *t, sqlite3_stmt *stmt)
{
	struct ledger_entry	*e;
	uint8_t			 digest[32];
	char			 ident[IDENT_MAX], label[192];

	row_ident(t, stmt, ident, sizeof(ident));
	r->rep->records++;
	if ((e = ledger_find(r->st->ledger, ident)) == NULL) {
		replay_label(t, stmt, ident, label, sizeof(label));
		replay_note(r, "%s is not recorded in the audit chain: the row "
		    "was added to the database by something other than "
		    "keyrite", label);
		return;
	}
	e->seen = true;
	if (row_digest(t, stmt, digest, NULL) != KR_OK ||
	    memcmp(digest, e->digest, 32) != 0)
		replay_changed(r, t, stmt, ident, e);
}

/* Rows of a table with first < id < last (a gap between bulk ranges). */
static int
replay_gap(struct replay *r, const struct store_table *t, int64_t first,
    int64_t last, struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	char		 sql[512];
	int		 rc, ret;

	(void)snprintf(sql, sizeof(sql), "%s WHERE id > ?1 AND id < ?2 "
	    "ORDER BY id", t->select);
	if ((ret = store_prepare(r->st, sql, &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_int64(stmt, 1, first);
	sqlite3_bind_int64(stmt, 2, last);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		replay_one(r, t, stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_sqlite_err(r->st, rc, err, "reading the %s "
		    "table", t->name);
	return KR_OK;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct ledger_range	*x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * At open, a ranged table's rows outside bulk ranges are compared one by
 * one; rows inside a range are proven by whatever reads them (the CRL
 * build's kr_store_rev_iter_*, point lookups) and by `audit verify`.
 */
static int
replay_ranged_quick(struct replay *r, size_t ti, struct kr_err *err)
{
	struct store_ledger	*l = r->st->ledger;
	int64_t			 prev = INT64_MIN;
	size_t			 i;
	int			 ret;

	if (l->nranges > 1)
		qsort(l->ranges, l->nranges, sizeof(*l->ranges), range_cmp);
	for (i = 0; i < l->nranges; i++) {
		if (l->ranges[i].table != ti)
			continue;
		if ((ret = replay_gap(r, &store_tables[ti], prev,
		    l->ranges[i].first, err)) != KR_OK)
			return ret;
		prev = l->ranges[i].last;
		r->rep->records += l->ranges[i].last - l->ranges[i].first + 1;
	}
	return replay_gap(r, &store_tables[ti], prev, INT64_MAX, err);
}

static int
replay_table(struct replay *r, size_t ti, bool full, struct kr_err *err)
{
	const struct store_table	*t = &store_tables[ti];
	sqlite3_stmt			*stmt = NULL;
	struct range_walk		 w;
	char				 sql[512];
	int				 rc, in, ret;

	if (t->ranged && !full)
		return replay_ranged_quick(r, ti, err);
	memset(&w, 0, sizeof(w));
	(void)snprintf(sql, sizeof(sql), "%s%s%s%s", t->select,
	    t->where[0] != '\0' ? " WHERE " : "", t->where,
	    t->ranged ? " ORDER BY id" : "");
	if ((ret = store_prepare(r->st, sql, &stmt, err)) != KR_OK)
		return ret;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		in = t->ranged ? replay_range_row(r, ti, stmt, &w) : 0;
		if (in < 0) {
			sqlite3_finalize(stmt);
			return kr_err_set(err, KR_ECRYPTO, "cannot hash a "
			    "record");
		}
		if (in > 0)
			r->rep->records++;
		else
			replay_one(r, t, stmt);
	}
	range_walk_close(r, &w);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_sqlite_err(r->st, rc, err, "reading the %s "
		    "table", t->name);
	return KR_OK;
}

/*
 * Every bulk range still has all its rows (counted by row id alone; their
 * contents, issuer included, are hashed where they are read).
 */
static int
replay_range_counts(struct replay *r, struct kr_err *err)
{
	struct store_ledger	*l = r->st->ledger;
	sqlite3_stmt		*stmt = NULL;
	char			 sql[256], row[96];
	int64_t			 n;
	size_t			 i;
	int			 ret;

	for (i = 0; i < l->nranges; i++) {
		struct ledger_range	*g = &l->ranges[i];

		(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s "
		    "WHERE id BETWEEN ?1 AND ?2", store_tables[g->table].name);
		if ((ret = store_prepare(r->st, sql, &stmt, err)) != KR_OK)
			return ret;
		sqlite3_bind_int64(stmt, 1, g->first);
		sqlite3_bind_int64(stmt, 2, g->last);
		n = sqlite3_step(stmt) == SQLITE_ROW ?
		    sqlite3_column_int64(stmt, 0) : -1;
		sqlite3_finalize(stmt);
		if (n == g->last - g->first + 1)
			continue;
		replay_row_name(r, g->seq, row, sizeof(row));
		replay_note(r, "%s rows %lld to %lld, imported by %s: only %lld "
		    "of them are there: rows were deleted",
		    store_tables[g->table].name,
		    (long long)g->first, (long long)g->last, row, (long long)n);
	}
	return KR_OK;
}

/* Bindings whose rows are gone, and bulk ranges never walked. */
static void
replay_missing(struct replay *r)
{
	struct store_ledger	*l = r->st->ledger;
	char			 row[96];
	size_t			 i;

	for (i = 0; i < l->used; i++) {
		if (l->ents[i].seen)
			continue;
		replay_row_name(r, l->ents[i].seq, row, sizeof(row));
		replay_note(r, "%s, recorded by %s, is missing from the "
		    "database: the row was deleted", ledger_ident(l,
		    &l->ents[i]), row);
	}
	(void)row;
}

static int
replay_chain_cb(const struct kr_audit_rec *a, void *arg)
{
	struct replay	*r = arg;
	char		 row[96];

	events_note(r->st, a->event, a->seq);
	if (store_ledger_row(r->st, a->seq, a->payload) == KR_OK)
		return KR_OK;
	(void)snprintf(row, sizeof(row), "audit row %lld (%s)",
	    (long long)a->seq, a->event);
	replay_note(r, "%s: its record bindings cannot be read", row);
	return KR_OK;
}

static int
ledger_load_cb(const struct kr_audit_rec *a, void *arg)
{
	struct kr_store	*st = arg;

	/* An unreadable binding counts as none: the replay names it. */
	if (store_ledger_row(st, a->seq, a->payload) != KR_OK)
		return KR_OK;
	return KR_OK;
}

/* The chain's bindings, without comparing the tables (a bad link fails). */
int
store_ledger_load(struct kr_store *st, struct kr_err *err)
{
	struct kr_audit_report	rep;
	int			ret;

	if ((ret = store_ledger_reset(st, err)) != KR_OK)
		return ret;
	if ((ret = store_audit_walk(st, &rep, ledger_load_cb, st, err)) !=
	    KR_OK)
		store_ledger_drop(st);
	return ret;
}

/*
 * PRAGMA data_version and the connection's change count: both as they
 * were, and nothing was written to the database in between.
 */
static int
replay_mark(struct kr_store *st, int64_t *version, int64_t *changes,
    struct kr_err *err)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, ret;

	if ((ret = store_prepare(st, "PRAGMA data_version", &stmt, err)) !=
	    KR_OK)
		return ret;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*version = sqlite3_column_int64(stmt, 0);
	else
		ret = store_sqlite_err(st, rc, err, "reading the database's "
		    "version");
	sqlite3_finalize(stmt);
	*changes = sqlite3_total_changes64(st->db);
	return ret;
}

/*
 * A quick replay made full: the bulk ranges not proven since in this
 * process hashed and compared, and every range counted, as the full
 * replay's walk does.  The chain and every other row were compared by
 * the quick replay, over the same database.
 */
static int
replay_finish(struct replay *r, struct kr_err *err)
{
	struct store_ledger	*l = r->st->ledger;
	struct ledger_range	*g;
	uint8_t			 d[32];
	int64_t			 count;
	size_t			 i;
	int			 ret;

	for (i = 0; i < l->nranges; i++) {
		g = &l->ranges[i];
		if (g->verified)
			continue;
		if ((ret = range_digest(r->st, &store_tables[g->table],
		    g->first, g->last, d, NULL, &count, err)) != KR_OK)
			return ret;
		/* The quick replay counted the range whole; the full, its rows. */
		r->rep->records += count - (g->last - g->first + 1);
		range_judge(r, g, d, count);
	}
	if ((ret = replay_range_counts(r, err)) != KR_OK)
		return ret;
	r->rep->damaged = r->rep->chain.first_bad != 0 || r->rep->problems > 0;
	return KR_OK;
}

/*
 * The last replay's report again when nothing was written since (1), made
 * full first when it was quick and a full one is asked; 0: replay.  (A
 * quick replay asked after a full one is made again: it says less.)
 */
static int
replay_again(struct replay *r, bool full, int64_t version, int64_t changes,
    struct kr_err *err)
{
	struct kr_store	*st = r->st;
	int		 ret;

	if (st->replayed == NULL || st->ledger == NULL ||
	    version != st->replayed_version ||
	    changes != st->replayed_changes || (!full && st->replayed_full))
		return 0;
	*r->rep = *st->replayed;
	if (full == st->replayed_full)
		return 1;
	if ((ret = replay_finish(r, err)) != KR_OK)
		return ret;
	*st->replayed = *r->rep;
	st->replayed_full = true;
	return 1;
}

int
kr_store_replay(struct kr_store *st, struct kr_replay_report *rep, bool full,
    struct kr_err *err)
{
	struct replay	r;
	struct kr_err	e2;
	int64_t		version = 0, changes = 0;
	size_t		i;
	int		ret;

	memset(rep, 0, sizeof(*rep));
	r.st = st;
	r.rep = rep;
	if ((ret = replay_mark(st, &version, &changes, err)) != KR_OK ||
	    (ret = replay_again(&r, full, version, changes, err)) != 0)
		return ret == 1 ? KR_OK : ret;
	if ((ret = store_ledger_reset(st, err)) != KR_OK)
		return ret;
	st->events_ok = true;
	kr_err_clear(&e2);
	ret = store_audit_walk(st, &rep->chain, replay_chain_cb, &r, &e2);
	if (ret != KR_OK && ret != KR_EVERIFY) {
		*err = e2;
		return ret;
	}
	for (i = 0; i < STORE_NTABLES; i++)
		if ((ret = replay_table(&r, i, full, err)) != KR_OK)
			return ret;
	replay_missing(&r);
	/*
	 * Rows of bulk ranges are proven where they are read (the CRL
	 * build, point lookups); here only when everything is hashed.
	 */
	if (full && (ret = replay_range_counts(&r, err)) != KR_OK)
		return ret;
	rep->damaged = rep->chain.first_bad != 0 || rep->problems > 0;
	if ((st->replayed = malloc(sizeof(*st->replayed))) != NULL) {
		*st->replayed = *rep;
		st->replayed_full = full;
		st->replayed_version = version;
		st->replayed_changes = changes;
	}
	/* A walk cut short by a bad link did not read every row. */
	st->events_ok = st->events_ok && rep->chain.first_bad == 0;
	return KR_OK;
}

int
store_replayed_newest(struct kr_store *st, const char *a, const char *b,
    int64_t *seq, struct kr_err *err)
{
	int64_t	version = 0, changes = 0;
	size_t	i;
	int	ret;

	*seq = 0;
	if (st->replayed == NULL || !st->events_ok)
		return 0;
	if ((ret = replay_mark(st, &version, &changes, err)) != KR_OK)
		return ret;
	if (version != st->replayed_version ||
	    changes != st->replayed_changes)
		return 0;
	for (i = 0; i < st->nevents; i++)
		if ((strcmp(st->events[i].name, a) == 0 ||
		    strcmp(st->events[i].name, b) == 0) &&
		    st->events[i].seq > *seq)
			*seq = st->events[i].seq;
	return 1;
}

/*
 * The highest CRL number the chain ever bound for an issuer (0: none),
 * whatever the crls table says now.
 */
int
kr_store_crl_number_bound(struct kr_store *st, const uint8_t *issuer,
    int64_t *max, struct kr_err *err)
{
	struct store_ledger	*l = st->ledger;
	char			 prefix[8 + 2 * KR_STORE_ID_BYTES + 2];
	size_t			 i, n;
	long long		 v;
	int			 ret;

	*max = 0;
	if (l == NULL) {
		if ((ret = store_ledger_load(st, err)) != KR_OK)
			return ret;
		l = st->ledger;
	}
	memcpy(prefix, "crls:", 5);
	kr_hex_encode(prefix + 5, issuer, KR_STORE_ID_BYTES);
	n = strlen(prefix);
	prefix[n++] = ':';
	prefix[n] = '\0';
	for (i = 0; i < l->used; i++)
		if (strncmp(ledger_ident(l, &l->ents[i]), prefix, n) == 0 &&
		    sscanf(ledger_ident(l, &l->ents[i]) + n, "%lld", &v) == 1 &&
		    v > *max)
			*max = v;
	return KR_OK;
}

/* A report of one problem, for a refusal (the same words as the replay). */
struct one_check {
	struct replay		r;
	struct kr_replay_report	rep;
};

static void
one_check_init(struct one_check *c, struct kr_store *st)
{
	memset(&c->rep, 0, sizeof(c->rep));
	c->r.st = st;
	c->r.rep = &c->rep;
}

static int
one_check_result(const struct one_check *c, struct kr_err *err)
{
	if (c->rep.problems == 0)
		return KR_OK;
	return kr_err_set(err, KR_EVERIFY, "%s. Nothing was signed or changed: "
	    "run `keyrite audit verify` for the full list", c->rep.problem[0]);
}

/* A bulk range's rows hashed once per process and compared. */
static int
range_verify(struct kr_store *st, struct ledger_range *g, struct kr_err *err)
{
	const struct store_table	*t = &store_tables[g->table];
	struct one_check		 c;
	uint8_t				 d[32];
	int64_t				 count;
	char				 row[96];
	int				 ret;

	if (g->verified)
		return KR_OK;
	if ((ret = range_digest(st, t, g->first, g->last, d, NULL, &count,
	    err)) != KR_OK)
		return ret;
	if (memcmp(d, g->digest, 32) == 0 && count == g->last - g->first + 1) {
		g->verified = true;
		return KR_OK;
	}
	one_check_init(&c, st);
	replay_row_name(&c.r, g->seq, row, sizeof(row));
	replay_note(&c.r, "%s rows %lld to %lld, imported by %s, were "
	    "changed, deleted or moved after the import", t->name,
	    (long long)g->first, (long long)g->last, row);
	return one_check_result(&c, err);
}

/*
 * Before a row of a ranged table found by a point lookup is used: its
 * bulk range hashed (once), or the row compared with its own binding.
 */
int
store_check_id(struct kr_store *st, const char *table, int64_t id,
    struct kr_err *err)
{
	const struct store_table	*t = table_named(table);
	struct ledger_range		*g;
	struct one_check		 c;
	sqlite3_stmt			*stmt = NULL;
	char				 sql[512];
	int				 rc, ret;

	if (t == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no bound table %s: this "
		    "is a bug in keyrite", table);
	if (st->ledger == NULL && (ret = store_ledger_load(st, err)) != KR_OK)
		return ret;
	if ((g = range_of(st->ledger, (size_t)(t - store_tables), id)) != NULL)
		return range_verify(st, g, err);
	(void)snprintf(sql, sizeof(sql), "%s WHERE id = ?1", t->select);
	if ((ret = store_prepare_kept(st, sql, &stmt, err)) != KR_OK)
		return ret;
	sqlite3_bind_int64(stmt, 1, id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		ret = store_sqlite_err(st, rc, err, "reading %s row %lld",
		    table, (long long)id);
	else {
		one_check_init(&c, st);
		replay_one(&c.r, t, stmt);
		ret = one_check_result(&c, err);
	}
	store_release(st, stmt);
	return ret;
}

/*
 * A serial not found among an issuer's revocations: true only if no row of
 * any of its bulk imports was deleted or changed (rows revoked one by one
 * are proven absent at open: their bindings would be missing rows).
 */
int
store_check_absent(struct kr_store *st, const uint8_t *issuer,
    struct kr_err *err)
{
	const struct store_table	*t = table_named("revocations");
	struct store_ledger		*l;
	size_t				 i;
	int				 ret;

	if (st->ledger == NULL && (ret = store_ledger_load(st, err)) != KR_OK)
		return ret;
	l = st->ledger;
	for (i = 0; t != NULL && i < l->nranges; i++)
		if (l->ranges[i].table == (size_t)(t - store_tables) &&
		    memcmp(l->ranges[i].issuer, issuer, KR_STORE_ID_BYTES) ==
		    0 && (ret = range_verify(st, &l->ranges[i], err)) != KR_OK)
			return ret;
	return KR_OK;
}

/* The encoding of one integer column (as enc_column writes it). */
static void
enc_int(struct enc *e, int64_t v)
{
	uint8_t	b[9];

	b[0] = 'i';
	enc_be(b + 1, (uint64_t)v, 8);
	enc_put(e, b, 9);
}

/* A lifted hold's time, against its own binding. */
static void
lifted_check(struct replay *r, int64_t id, int64_t lifted_at)
{
	const struct store_table	*t = table_named("revocations.lifted");
	struct ledger_entry		*e;
	struct kr_hash			 h;
	struct enc			*en;
	uint8_t				 digest[32];
	char				 ident[IDENT_MAX];

	if (t == NULL || (en = enc_new(&h, RECORD_TAG, t->name)) == NULL)
		return;
	(void)snprintf(ident, sizeof(ident), "%s:%lld", t->name,
	    (long long)id);
	enc_int(en, id);
	enc_int(en, lifted_at);
	enc_final(&en, digest);
	if ((e = ledger_find(r->st->ledger, ident)) == NULL ||
	    memcmp(e->digest, digest, 32) != 0)
		replay_note(r, "revocations row %lld: its certificate hold "
		    "was lifted in the database, not by keyrite (no audit row "
		    "records that lift)", (long long)id);
}

/*
 * The CRL builder's walk: one issuer's revocations in id order, each row
 * given as the values the CRL is built from.  Rows of a bulk range of
 * that issuer are hashed into the range's CRL view as they pass; rows
 * bound one by one are compared whole (a point query; they are few); a
 * lifted hold is compared with its own binding.  KR_EVERIFY names the
 * first difference; store_pwalk_end also requires every range of the
 * issuer to have been seen whole.
 */
struct store_pwalk {
	struct kr_store		*st;
	size_t			 ti;
	uint8_t			 issuer[KR_STORE_ID_BYTES];
	struct ledger_range	*r;
	struct enc		*e;
	int64_t			 count;
	struct one_check	 c;
};

int
store_pwalk_new(struct kr_store *st, const uint8_t *issuer,
    struct store_pwalk **out, struct kr_err *err)
{
	const struct store_table	*t = table_named("revocations");
	struct store_pwalk		*w;
	size_t				 i;
	int				 ret;

	*out = NULL;
	if (t == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no revocations table: "
		    "this is a bug in keyrite");
	if (st->ledger == NULL && (ret = store_ledger_load(st, err)) != KR_OK)
		return ret;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	w->st = st;
	w->ti = (size_t)(t - store_tables);
	memcpy(w->issuer, issuer, sizeof(w->issuer));
	one_check_init(&w->c, st);
	for (i = 0; i < st->ledger->nranges; i++)
		st->ledger->ranges[i].crl_seen = false;
	*out = w;
	return KR_OK;
}

static int
pwalk_failed(struct store_pwalk *w, struct ledger_range *g, const char *what,
    struct kr_err *err)
{
	char	row[96];

	replay_row_name(&w->c.r, g->seq, row, sizeof(row));
	replay_note(&w->c.r, "revocations rows %lld to %lld, imported by %s, "
	    "%s", (long long)g->first, (long long)g->last, row, what);
	return one_check_result(&w->c, err);
}

static int
pwalk_close(struct store_pwalk *w, struct kr_err *err)
{
	uint8_t	digest[32];

	if (w->e == NULL)
		return KR_OK;
	enc_final(&w->e, digest);
	if (w->count != w->r->last - w->r->first + 1 ||
	    memcmp(digest, w->r->crl_digest, 32) != 0)
		return pwalk_failed(w, w->r, "were changed, deleted or moved to "
		    "another issuer after the import", err);
	w->r->crl_seen = true;
	return KR_OK;
}

/* A row opening a new stretch: its range, or its own binding. */
static int
pwalk_enter(struct store_pwalk *w, int64_t id, struct kr_err *err)
{
	struct ledger_range	*g;
	int			 ret;

	if ((ret = pwalk_close(w, err)) != KR_OK)
		return ret;
	g = range_of(w->st->ledger, w->ti, id);
	if (g != NULL && memcmp(g->issuer, w->issuer, KR_STORE_ID_BYTES) != 0)
		return pwalk_failed(w, g, "belong to another issuer: a row was "
		    "moved to this one", err);
	if (g == NULL || !g->has_crl)
		/* Bound on its own (or an import without a CRL view). */
		return store_check_id(w->st, "revocations", id, err);
	w->r = g;
	w->count = 0;
	if ((w->e = enc_new_piped(RANGE_TAG, store_crl_view.name)) == NULL)
		return kr_err_set(err, KR_ECRYPTO, "cannot hash a record");
	return KR_OK;
}

int
store_pwalk_row(struct store_pwalk *w, const struct store_crl_row *row,
    struct kr_err *err)
{
	int	ret;

	if ((w->e == NULL || row->id > w->r->last) &&
	    (ret = pwalk_enter(w, row->id, err)) != KR_OK)
		return ret;
	if (w->e != NULL) {
		/* One append per row: a million rows stream through here. */
		uint8_t	 b[9 + 5 + KR_STORE_SERIAL_MAX + 4 * 9], *q = b;
		int64_t	 v[4] = { row->revoked_at, row->reason,
			     row->invalidity, row->expires };
		int	 i;

		*q++ = 'i';
		enc_be(q, (uint64_t)row->id, 8);
		q += 8;
		*q++ = 'b';
		enc_be(q, (uint64_t)row->serial_len, 4);
		q += 4;
		memcpy(q, row->serial, row->serial_len);
		q += row->serial_len;
		for (i = 0; i < 4; i++) {
			*q++ = 'i';
			enc_be(q, (uint64_t)v[i], 8);
			q += 8;
		}
		enc_put(w->e, b, (size_t)(q - b));
		w->count++;
	}
	if (row->lifted)
		lifted_check(&w->c.r, row->id, row->lifted_at);
	return one_check_result(&w->c, err);
}

int
store_pwalk_end(struct store_pwalk *w, struct kr_err *err)
{
	struct store_ledger	*l = w->st->ledger;
	size_t			 i;
	int			 ret;

	if ((ret = pwalk_close(w, err)) != KR_OK)
		return ret;
	for (i = 0; i < l->nranges; i++) {
		struct ledger_range	*g = &l->ranges[i];

		if (g->table == w->ti && g->has_crl && !g->crl_seen &&
		    memcmp(g->issuer, w->issuer, sizeof(g->issuer)) == 0)
			return pwalk_failed(w, g, "are not all this issuer's "
			    "any more: rows were moved to another issuer or "
			    "deleted", err);
	}
	return KR_OK;
}

void
store_pwalk_free(struct store_pwalk **wp)
{
	if (wp == NULL || *wp == NULL)
		return;
	enc_final(&(*wp)->e, NULL);
	free(*wp);
	*wp = NULL;
}

/*
 * The bound tables as the audit bundle exports them: for each, the
 * columns the record hash encodes, named as in the table (parsed from
 * the select above, so the list is the one the ledger hashes), the
 * table they are read from and the rows the binding covers.
 */
size_t
store_bound_count(void)
{
	return STORE_NTABLES;
}

static bool
bound_word(const char **p, const char *end, char *out, size_t cap)
{
	size_t	n = 0;

	while (*p < end && **p == ' ')
		(*p)++;
	while (*p < end && **p != ',' && **p != ' ') {
		if (n + 1 >= cap)
			return false;
		out[n++] = *(*p)++;
	}
	out[n] = '\0';
	if (*p < end && **p == ',')
		(*p)++;
	return n > 0;
}

int
store_bound_get(size_t i, struct store_bound *b)
{
	const struct store_table	*t;
	const char			*p, *from;
	int				 c;

	if (i >= STORE_NTABLES)
		return KR_EINTERNAL;
	t = &store_tables[i];
	memset(b, 0, sizeof(*b));
	b->name = t->name;
	b->select = t->select;
	b->where = t->where;
	b->ncols = t->ncols;
	b->ranged = t->ranged;
	b->added = t->added;
	if (strncmp(t->select, "SELECT ", 7) != 0 ||
	    (from = strstr(t->select, " FROM ")) == NULL ||
	    (p = strchr(t->select, ',')) == NULL || p > from)
		return KR_EINTERNAL;
	p++;	/* past the identity */
	for (c = 0; c < t->ncols; c++)
		if (!bound_word(&p, from, b->cols[c], sizeof(b->cols[c])))
			return KR_EINTERNAL;
	p = from + 6;
	if (!bound_word(&p, p + strlen(p), b->base, sizeof(b->base)))
		return KR_EINTERNAL;
	return KR_OK;
}
