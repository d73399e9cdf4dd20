/*
 * keyrite store: the appliance's SQLite database (WAL, synchronous=FULL,
 * foreign keys, schema version and migrations) holding the key inventory,
 * share sets, custodians and the hash-chained audit log.
 *
 * The store knows nothing of cryptography beyond the audit chain's hash:
 * rows are plain values, filled in by authority/.
 */
#ifndef KEYRITE_STORE_H
#define KEYRITE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/base.h>

#define KR_STORE_SCHEMA_VERSION	12
#define KR_STORE_ID_BYTES	16
#define KR_STORE_NAME_MAX	64
#define KR_STORE_SPKI_MAX	1024
#define KR_AUDIT_HASH_BYTES	32

struct kr_store;

struct kr_key_rec {
	uint8_t		id[KR_STORE_ID_BYTES];
	char		name[KR_STORE_NAME_MAX + 1];
	char		alg[16];		/* "p256", ... */
	char		purpose[16];		/* "ca", ... */
	char		backend[16];		/* "sealed" */
	char		state[16];		/* "active", "destroyed" */
	char		location[256];		/* sealed file, relative to the state folder */
	uint8_t		spki[KR_STORE_SPKI_MAX];
	size_t		spki_len;
	int64_t		created;
};

struct kr_set_rec {
	uint8_t		id[KR_STORE_ID_BYTES];
	uint8_t		key_id[KR_STORE_ID_BYTES];
	uint32_t	epoch;
	unsigned	m;
	unsigned	n;
	uint8_t		dealer_pk[32];
	uint32_t	kdf_ops;
	uint32_t	kdf_mem_kib;
	char		state[16];		/* "pending", "active", "retired" */
	int64_t		created;
	int64_t		retired;		/* when retired; 0: not */
};

struct kr_custodian_rec {
	uint8_t		set_id[KR_STORE_ID_BYTES];
	unsigned	x;
	char		name[KR_STORE_NAME_MAX + 1];
	uint8_t		share_digest[32];	/* SHA-256 of the share file */
	/* Schema v9: the approval key of a format 2 share (NULL before). */
	bool		has_approval_pk;
	uint8_t		approval_pk[32];
	/* Schema v10: when a pending set's holder checked the share (0: not). */
	int64_t		checked;
};

struct kr_audit_rec {
	int64_t		seq;
	int64_t		time;
	const char	*actor;
	const char	*event;
	const char	*payload;
	uint8_t		prev_hash[KR_AUDIT_HASH_BYTES];
	uint8_t		hash[KR_AUDIT_HASH_BYTES];
};

/*
 * A firmware or OTA signature (schema v5), and what it released (v6):
 * the output is out_head, then the input's bytes [out_copy_off,
 * out_copy_off + out_copy_len), then out_tail; the image is the input's
 * bytes [out_img_off, out_img_off + image_size), hashing to `digest`.
 */
struct kr_signature_rec {
	int64_t		id;			/* set on read */
	uint8_t		key_id[KR_STORE_ID_BYTES];
	char		image_name[256];
	int64_t		image_size;
	char		digest_alg[16];
	char		digest[129];
	char		format[16];
	char		output[1024];
	char		signature[1025];	/* hex */
	char		cert_serial[41];	/* "" when none */
	char		manifest_entry[512];	/* "" for sign firmware */
	char		batch[33];		/* batch id, "" when single */
	int64_t		created;
	uint8_t		*out_head;		/* malloc'd by the store, read */
	size_t		out_head_len;
	uint8_t		*out_tail;
	size_t		out_tail_len;
	int64_t		out_img_off;
	int64_t		out_copy_off;
	int64_t		out_copy_len;
	char		kept_sha256[65];	/* head || tail; "" before v6 */
};

int	kr_store_signature_insert(struct kr_store *,
	    const struct kr_signature_rec *, int64_t *, struct kr_err *)
	    KR_WUR;
/* KR_ENOENT when there is no signature with that id. */
int	kr_store_signature_get(struct kr_store *, int64_t,
	    struct kr_signature_rec *, struct kr_err *) KR_WUR;
/* Frees what a read allocated (safe on a zeroed record). */
void	kr_store_signature_clear(struct kr_signature_rec *);
typedef int kr_signature_cb(const struct kr_signature_rec *, void *);
/* Every signature, oldest first; a callback's non-zero return stops. */
int	kr_store_signature_foreach(struct kr_store *, kr_signature_cb *,
	    void *, struct kr_err *) KR_WUR;

/* A key held on a PKCS#11 token (schema v4). */
struct kr_token_rec {
	uint8_t		key_id[KR_STORE_ID_BYTES];
	char		module[1100];
	char		uri[1024];
	char		token_label[64];
	char		token_serial[32];
	char		manufacturer[64];
	char		model[32];
	uint8_t		p11_id[16];
	char		pin_mode[16];		/* "quorum", "prompt" */
	char		pins_location[256];	/* "" for prompt */
};

int	kr_store_token_insert(struct kr_store *, const struct kr_token_rec *,
	    struct kr_err *) KR_WUR;
/* KR_ENOENT when the key is not a token key. */
int	kr_store_token_get(struct kr_store *, const uint8_t *,
	    struct kr_token_rec *, struct kr_err *) KR_WUR;

/* A certificate in the inventory (schema v2). */
struct kr_cert_rec {
	int64_t		id;
	uint8_t		issuer_key_id[KR_STORE_ID_BYTES];
	char		serial[41];		/* lower-case hex */
	char		subject[512];		/* for display */
	uint8_t		*subject_der;		/* malloc'd by the store on read */
	size_t		subject_der_len;
	uint8_t		*issuer_der;
	size_t		issuer_der_len;
	int64_t		not_before;
	int64_t		not_after;
	char		spki_sha256[65];
	bool		has_subject_key;
	uint8_t		subject_key_id[KR_STORE_ID_BYTES];
	char		profile[33];
	char		kind[16];		/* root, intermediate, cross, leaf */
	bool		is_ca;
	uint8_t		*der;
	size_t		der_len;
	char		sha256[65];
	int64_t		created;
};

/* Creates a new database file (refuses an existing one) with the schema. */
int	kr_store_create(const char *, struct kr_err *) KR_WUR;
/* Opens an existing database, migrating it to the current schema. */
int	kr_store_open(struct kr_store **, const char *, struct kr_err *) KR_WUR;
void	kr_store_close(struct kr_store **);

/* Write transactions (BEGIN IMMEDIATE).  rollback is safe to call twice. */
int	kr_store_begin(struct kr_store *, struct kr_err *) KR_WUR;
int	kr_store_commit(struct kr_store *, struct kr_err *) KR_WUR;
void	kr_store_rollback(struct kr_store *);

/* Appliance settings ("kdf_profile", "created", ...). */
int	kr_store_meta_set(struct kr_store *st, const char *name,
	    const char *value, struct kr_err *err) KR_WUR;
/* Copies the value into buf; KR_ENOENT if unset. */
int	kr_store_meta_get(struct kr_store *st, const char *name, char *buf,
	    size_t size, struct kr_err *err) KR_WUR;

/* Keys.  Names are unique: inserting a second gives KR_EEXIST. */
int	kr_store_key_insert(struct kr_store *, const struct kr_key_rec *,
	    struct kr_err *) KR_WUR;
int	kr_store_key_get(struct kr_store *, const char *, struct kr_key_rec *,
	    struct kr_err *) KR_WUR;
int	kr_store_key_set_state(struct kr_store *st, const uint8_t *id,
	    const char *state, struct kr_err *err) KR_WUR;
typedef int kr_key_cb(const struct kr_key_rec *, void *);
/* Calls cb for every key by name; a non-zero return stops and is returned. */
int	kr_store_key_foreach(struct kr_store *, kr_key_cb *, void *,
	    struct kr_err *) KR_WUR;

/* Share sets: one active set per key at a time. */
int	kr_store_set_insert(struct kr_store *, const struct kr_set_rec *,
	    struct kr_err *) KR_WUR;
int	kr_store_set_active(struct kr_store *, const uint8_t *,
	    struct kr_set_rec *, struct kr_err *) KR_WUR;
int	kr_store_set_get(struct kr_store *, const uint8_t *,
	    struct kr_set_rec *, struct kr_err *) KR_WUR;
/* A key's pending set (dealt by a reshare, not yet verified); KR_ENOENT. */
int	kr_store_set_pending(struct kr_store *, const uint8_t *,
	    struct kr_set_rec *, struct kr_err *) KR_WUR;
/* An active or pending set becomes 'retired', dated `when`. */
int	kr_store_set_retire(struct kr_store *, const uint8_t *, int64_t,
	    struct kr_err *) KR_WUR;
/* A pending set becomes 'active' (retire the active one first). */
int	kr_store_set_activate(struct kr_store *, const uint8_t *,
	    struct kr_err *) KR_WUR;
/* A key's share sets, every state, newest epoch first (up to max). */
int	kr_store_sets_of_key(struct kr_store *, const uint8_t *,
	    struct kr_set_rec *, size_t, size_t *, struct kr_err *) KR_WUR;

/* The key with this id; KR_ENOENT (message naming the id) when none. */
int	kr_store_key_by_id(struct kr_store *, const uint8_t *,
	    struct kr_key_rec *, struct kr_err *) KR_WUR;
/*
 * The name of the key with this id, copied into out (cap bytes, cut short
 * if need be); KR_ENOENT, out "", when no key here has that id.
 */
int	kr_store_key_name(struct kr_store *, const uint8_t *, char *, size_t,
	    struct kr_err *) KR_WUR;

/* Custodians of a share set, in x order. */
int	kr_store_custodian_insert(struct kr_store *,
	    const struct kr_custodian_rec *, struct kr_err *) KR_WUR;
/* Fills up to `max` records; *count receives how many there are. */
int	kr_store_custodians(struct kr_store *st, const uint8_t *set_id,
	    struct kr_custodian_rec *out, size_t max, size_t *count,
	    struct kr_err *err) KR_WUR;
/* Dates a custodian's check of their share (kept if already dated). */
int	kr_store_custodian_checked(struct kr_store *, const uint8_t *,
	    unsigned, int64_t, struct kr_err *) KR_WUR;

/* One share a custodian holds: the custodian row, its set and its key. */
struct kr_holding_rec {
	struct kr_custodian_rec	c;
	char			key[KR_STORE_NAME_MAX + 1];
	char			key_state[16];
	uint32_t		epoch;
	unsigned		m;
	unsigned		n;
	char			set_state[16];
};
typedef int kr_holding_cb(const struct kr_holding_rec *, void *);
/*
 * Calls cb for every share held, by custodian name, key name and epoch;
 * only `custodian`'s when not NULL.  A non-zero return stops and is
 * returned.
 */
int	kr_store_holdings_foreach(struct kr_store *st, const char *custodian,
	    kr_holding_cb *cb, void *arg, struct kr_err *err) KR_WUR;

/* Certificates.  A second serial for one issuer gives KR_EEXIST. */
int	kr_store_cert_insert(struct kr_store *, const struct kr_cert_rec *,
	    struct kr_err *) KR_WUR;
/* Frees what a read allocated (safe on a zeroed record). */
void	kr_store_cert_clear(struct kr_cert_rec *);
typedef int kr_cert_cb(const struct kr_cert_rec *, void *);
/* Every certificate, oldest first. */
int	kr_store_cert_foreach(struct kr_store *, kr_cert_cb *, void *,
	    struct kr_err *) KR_WUR;
/* Certificates with this serial (any issuer), oldest first. */
int	kr_store_cert_by_serial(struct kr_store *st, const char *serial,
	    kr_cert_cb *cb, void *arg, struct kr_err *err) KR_WUR;
/* Certificates for the public key with this SHA-256, oldest first. */
int	kr_store_cert_by_spki(struct kr_store *st, const char *spki_sha256,
	    kr_cert_cb *cb, void *arg, struct kr_err *err) KR_WUR;
/* Certificates a key issued that have not expired at `at`, oldest first. */
int	kr_store_cert_by_issuer(struct kr_store *st,
	    const uint8_t *issuer_key_id, int64_t at, kr_cert_cb *cb,
	    void *arg, struct kr_err *err) KR_WUR;
/*
 * The CA certificate to issue under for a key: a CA certificate whose
 * subject public key has this SHA-256 and whose validity covers `now`,
 * preferring root or intermediate over cross certificates, newest first.
 * KR_ENOENT when there is none.
 */
int	kr_store_cert_for_key(struct kr_store *st, const char *spki_sha256,
	    int64_t now, struct kr_cert_rec *out, struct kr_err *err) KR_WUR;
/* Whether a serial is already used by an issuing key. */
int	kr_store_serial_used(struct kr_store *st, const uint8_t *issuer_key_id,
	    const char *serial, bool *used, struct kr_err *err) KR_WUR;

/*
 * Manufacturing provisioning (schema v11): a device certificate made by
 * `provision batch`, with the hashes of what was written for it.
 */
#define KR_DEVICE_ID_MAX	64
#define KR_OPERATOR_MAX		128
#define KR_LINE_MAX		64

struct kr_prov_rec {
	int64_t		id;
	char		device_id[KR_DEVICE_ID_MAX + 1];
	int64_t		cert_id;
	char		identity_sha256[65];	/* the device certificate */
	char		bootstrap_sha256[65];	/* its issuing CA's certificate */
	char		operator[KR_OPERATOR_MAX + 1];
	char		line[KR_LINE_MAX + 1];	/* "" when none */
	char		batch[33];
	char		record_sha256[65];	/* the record file */
	int64_t		created;
	/* On read, from the certificate and renewal records: */
	char		serial[41];
	uint8_t		issuer_key_id[KR_STORE_ID_BYTES];
	int64_t		not_after;
	char		renews[41];		/* serial renewed, "" if none */
};

/* Inserts a row (its cert_id a recorded certificate) and binds it. */
int	kr_store_prov_insert(struct kr_store *, const struct kr_prov_rec *,
	    struct kr_err *) KR_WUR;
typedef int kr_prov_cb(const struct kr_prov_rec *, void *);
/* A device's records, oldest first (the id compared without case). */
int	kr_store_prov_by_device(struct kr_store *, const char *, kr_prov_cb *,
	    void *, struct kr_err *) KR_WUR;
/* A batch's records, in the order they were made. */
int	kr_store_prov_by_batch(struct kr_store *, const char *, kr_prov_cb *,
	    void *, struct kr_err *) KR_WUR;
/* The record of a certificate; KR_ENOENT when it has none. */
int	kr_store_prov_by_cert(struct kr_store *, int64_t, struct kr_prov_rec *,
	    struct kr_err *) KR_WUR;
/*
 * Renewals: certificate cert_id renews certificate renews_id (one renewal
 * per certificate: KR_EEXIST otherwise).  kr_store_renewal_of gives the
 * id of the certificate that renewed `renews_id` (KR_ENOENT: none).
 */
int	kr_store_renewal_insert(struct kr_store *, int64_t, int64_t, int64_t,
	    struct kr_err *) KR_WUR;
int	kr_store_renewal_of(struct kr_store *, int64_t, int64_t *,
	    struct kr_err *) KR_WUR;
/* The id of the certificate an issuer recorded with this serial. */
int	kr_store_cert_id(struct kr_store *, const uint8_t *, const char *,
	    int64_t *, struct kr_err *) KR_WUR;

/* Revocation (schema v3). */
#define KR_STORE_SERIAL_MAX	20

struct kr_revocation_rec {
	int64_t		id;
	uint8_t		issuer_key_id[KR_STORE_ID_BYTES];
	uint8_t		serial[KR_STORE_SERIAL_MAX];	/* minimal, positive */
	size_t		serial_len;
	int64_t		revoked_at;
	int		reason;		/* enum kr_reason; -1: none */
	int64_t		invalidity;	/* 0: none */
	int64_t		expires;	/* the certificate's notAfter */
	int64_t		lifted_at;	/* 0: not lifted (certificateHold only) */
	char		source[16];	/* "keyrite", "openssl-index" */
};

/* KR_EEXIST when that serial is already revoked by that issuer. */
int	kr_store_revocation_insert(struct kr_store *,
	    const struct kr_revocation_rec *, struct kr_err *) KR_WUR;
/* KR_ENOENT when the serial is not revoked. */
int	kr_store_revocation_get(struct kr_store *st, const uint8_t *issuer,
	    const uint8_t *serial, size_t len, struct kr_revocation_rec *r,
	    struct kr_err *err) KR_WUR;
int	kr_store_revocation_lift(struct kr_store *st, int64_t id, int64_t when,
	    struct kr_err *err) KR_WUR;
/* The highest revocation row id so far for an issuer (0: none). */
int	kr_store_revocation_max_id(struct kr_store *, const uint8_t *,
	    int64_t *, struct kr_err *) KR_WUR;

/*
 * Streams the entries of a CRL from the revocations table, without
 * copying the list: a base CRL lists every revocation not lifted whose
 * certificate has not expired at `now`; a delta (delta_base_max_id > 0)
 * lists revocations after the base (id > max id) and, as removeFromCRL
 * (reason 8), holds on the base lifted after the base's thisUpdate.
 */
struct kr_rev_iter;

int	kr_store_rev_iter_open(struct kr_store *st, const uint8_t *issuer,
	    int64_t now, int64_t delta_base_max_id, int64_t base_this_update,
	    struct kr_rev_iter **out, struct kr_err *err) KR_WUR;
/*
 * (The base and delta iterators prove every row of the issuer against
 * the audit chain as they stream it; the last call, which returns 0 or
 * KR_EVERIFY, ends the proof.  Use nothing built from them before.
 * They read on a second thread, which owns the store's connection from
 * the first kr_store_rev_iter_next until one returns 0 or an error, or
 * the iterator is closed: make no other call on the store meanwhile.)
 */
/*
 * Every revocation row of an issuer with id <= max_id, in row order (the
 * order keyrite writes CRL entries in): for checking a recorded CRL
 * against the records in one sequential pass.
 */
int	kr_store_rev_iter_rows(struct kr_store *st, const uint8_t *issuer,
	    int64_t max_id, struct kr_rev_iter **out, struct kr_err *err)
	    KR_WUR;
/*
 * 1 with the entry fields of *rec filled (id, serial, revoked_at, reason,
 * invalidity), 0 at the end, negative on error.
 */
int	kr_store_rev_iter_next(struct kr_rev_iter *, struct kr_revocation_rec *,
	    struct kr_err *) KR_WUR;
void	kr_store_rev_iter_close(struct kr_rev_iter **);


/* A certificate known from an imported index.txt. */
struct kr_external_rec {
	uint8_t		issuer_key_id[KR_STORE_ID_BYTES];
	uint8_t		serial[KR_STORE_SERIAL_MAX];
	size_t		serial_len;
	char		status;		/* 'V', 'R', 'E' */
	int64_t		expires;
	char		subject[1024];
	char		source[64];
};

int	kr_store_external_insert(struct kr_store *,
	    const struct kr_external_rec *, struct kr_err *) KR_WUR;

/*
 * Bulk import (import openssl-index).  Rows are gathered and written many
 * at a time, so a failure may surface at a later row: the error is about
 * the row whose tag (the caller's input line) kr_store_import_failed
 * returns.  kr_store_import_flush writes what is still gathered.
 */
struct kr_import_batch;

int	kr_store_import_open(struct kr_store *, struct kr_import_batch **,
	    struct kr_err *) KR_WUR;
int	kr_store_import_external(struct kr_import_batch *b,
	    const struct kr_external_rec *r, uint32_t tag, struct kr_err *err)
	    KR_WUR;
int	kr_store_import_revocation(struct kr_import_batch *b,
	    const struct kr_revocation_rec *r, uint32_t tag,
	    struct kr_err *err) KR_WUR;
int	kr_store_import_flush(struct kr_import_batch *, struct kr_err *)
	    KR_WUR;
uint32_t kr_store_import_failed(const struct kr_import_batch *);
void	kr_store_import_close(struct kr_import_batch **);

/*
 * Finds a serial issued by a key, among its certificates and imported
 * ones: *found false when neither has it.  *other_issuer is set when the
 * serial belongs to another key of this appliance instead.
 */
struct kr_serial_lookup {
	bool		found;
	bool		other_issuer;
	int64_t		expires;
	bool		is_ca;
	char		subject[512];
};

int	kr_store_serial_lookup(struct kr_store *st, const uint8_t *issuer,
	    const uint8_t *serial, size_t len, struct kr_serial_lookup *lk,
	    struct kr_err *err) KR_WUR;

struct kr_crl_rec {
	uint8_t		issuer_key_id[KR_STORE_ID_BYTES];
	int64_t		number;
	bool		is_delta;
	int64_t		base_number;	/* deltas */
	int64_t		this_update;
	int64_t		next_update;
	int64_t		entries;
	int64_t		max_revocation_id;
	char		sha256[65];
	char		location[128];	/* the copy, relative to the state folder */
	int64_t		created;
};

/* KR_EEXIST when that number was used. */
int	kr_store_crl_insert(struct kr_store *, const struct kr_crl_rec *,
	    struct kr_err *) KR_WUR;
/*
 * The newest CRL of an issuer (base only when `base_only`).  KR_ENOENT
 * when none was published.
 */
int	kr_store_crl_last(struct kr_store *st, const uint8_t *issuer,
	    bool base_only, struct kr_crl_rec *c, struct kr_err *err) KR_WUR;
/* The issuer's CRL with this `number`; KR_ENOENT when there is none. */
int	kr_store_crl_get(struct kr_store *st, const uint8_t *issuer,
	    int64_t number, struct kr_crl_rec *c, struct kr_err *err) KR_WUR;

/*
 * An issuer's revocation rows a CRL after its newest may list: rows after
 * `after_id` (the newest base's max_revocation_id) and holds lifted
 * after `lifted_after`, in id order, to `cb` (a non-zero return stops).
 */
int	kr_store_revocation_since(struct kr_store *st, const uint8_t *issuer,
	    int64_t after_id, int64_t lifted_after,
	    int (*cb)(const struct kr_revocation_rec *, void *), void *arg,
	    struct kr_err *err) KR_WUR;
/*
 * Forgets the last replay and the chain's bindings: the next replay reads
 * the chain and every table again (kr_authority_audit_verify_afresh).
 */
void	kr_store_replay_forget(struct kr_store *st);
/* Rows of the revocations table up to an id (continuity of the records). */
int	kr_store_revocation_count(struct kr_store *st, const uint8_t *issuer,
	    int64_t upto, int64_t *out, struct kr_err *err) KR_WUR;

/*
 * A reusable lookup of one issuer's revocations by serial, for checking
 * a previous CRL entry by entry.
 */
struct kr_rev_lookup;

int	kr_store_rev_lookup_open(struct kr_store *, const uint8_t *,
	    struct kr_rev_lookup **, struct kr_err *) KR_WUR;
/* 1 with *r filled when revoked (lifted or not), 0 when not, <0 error. */
int	kr_store_rev_lookup_find(struct kr_rev_lookup *lk,
	    const uint8_t *serial, size_t len, struct kr_revocation_rec *r,
	    struct kr_err *err) KR_WUR;
void	kr_store_rev_lookup_close(struct kr_rev_lookup **);

struct kr_ocsp_rec {
	uint8_t		issuer_key_id[KR_STORE_ID_BYTES];
	char		serial[41];
	char		status[16];
	int64_t		this_update;
	int64_t		next_update;
	char		sha256[65];
	const uint8_t	*der;
	size_t		der_len;
	int64_t		created;
};

int	kr_store_ocsp_insert(struct kr_store *, const struct kr_ocsp_rec *,
	    struct kr_err *) KR_WUR;
/*
 * Response `id`, its row proven against the audit chain first; *der
 * (malloc'd, also o->der) holds its bytes.  KR_ENOENT when none.
 */
int	kr_store_ocsp_get(struct kr_store *st, int64_t id,
	    struct kr_ocsp_rec *o, uint8_t **der, struct kr_err *err) KR_WUR;

/*
 * Audit chain.  Every state change appends one row inside the same
 * transaction as the change.  hash = SHA-256 over a domain tag, the
 * previous row's hash and the row's fields, each length-prefixed
 * (docs/formats.md).  The first row's prev_hash is 32 zero bytes.
 */
int	kr_store_audit_append(struct kr_store *st, int64_t time,
	    const char *actor, const char *event, const char *payload,
	    int64_t *seq_out, struct kr_err *err) KR_WUR;
typedef int kr_audit_cb(const struct kr_audit_rec *, void *);
/* The newest row of event a or b, through cb; KR_ENOENT when none. */
int	kr_store_audit_last_event(struct kr_store *st, const char *a,
	    const char *b, kr_audit_cb *cb, void *arg, struct kr_err *err)
	    KR_WUR;
int	kr_store_audit_foreach(struct kr_store *st, int64_t from,
	    kr_audit_cb *cb, void *arg, struct kr_err *err) KR_WUR;

struct kr_audit_report {
	int64_t		rows;		/* rows checked */
	int64_t		first_bad;	/* seq of the first bad row, 0 if none */
	char		reason[256];	/* what was wrong with it */
	uint8_t		head[KR_AUDIT_HASH_BYTES];
};

/*
 * Recomputes the whole chain.  KR_OK with first_bad == 0 when intact;
 * KR_EVERIFY with first_bad and reason set otherwise.
 */
int	kr_store_audit_verify(struct kr_store *, struct kr_audit_report *,
	    struct kr_err *) KR_WUR;
/*
 * Replays the audit chain against every table: each record keyrite keeps
 * is bound to the audit row that made or last changed it (the hash of
 * its fields in that row's payload, docs/formats.md).  The report names
 * the first rows that differ, were added or were deleted.  KR_OK whenever
 * the check ran; `damaged` says what it found.  Without `full`, rows of
 * bulk imports are left to whatever reads them (the revocation iterators
 * and point lookups prove them as they read).
 */
#define KR_REPLAY_SHOWN		8

struct kr_replay_report {
	struct kr_audit_report	chain;		/* the links */
	int64_t			records;	/* rows compared */
	int64_t			problems;	/* rows that do not match */
	char			problem[KR_REPLAY_SHOWN][320];
	size_t			shown;
	bool			damaged;	/* a bad link or a problem */
};

int	kr_store_replay(struct kr_store *, struct kr_replay_report *, bool,
	    struct kr_err *) KR_WUR;
/*
 * The highest CRL number the audit chain ever recorded for an issuer
 * (0: none), whatever the crls table says now.
 */
int	kr_store_crl_number_bound(struct kr_store *, const uint8_t *,
	    int64_t *, struct kr_err *) KR_WUR;
/*
 * Bulk imports bind their rows as one range each: call before the
 * import's audit row, inside its transaction.
 */
int	kr_store_import_bind(struct kr_import_batch *, struct kr_err *)
	    KR_WUR;
/* Refuses an import naming a serial keyrite issued with the same key. */
int	kr_store_import_check_own(struct kr_import_batch *, struct kr_err *)
	    KR_WUR;

/*
 * The one append that may be dated before the newest row: `audit
 * clock-recover`, after a quorum, when that row was made with a clock
 * set in the future.
 */
int	kr_store_audit_append_clock_back(struct kr_store *st, int64_t time,
	    const char *actor, const char *event, const char *payload,
	    int64_t *seq_out, struct kr_err *err) KR_WUR;
int	kr_store_audit_newest_row(struct kr_store *st, int64_t *seq,
	    int64_t *time, struct kr_err *err) KR_WUR;
/* Time of the newest audit row, 0 when there is none. */
int	kr_store_audit_newest(struct kr_store *, int64_t *, struct kr_err *)
	    KR_WUR;

/* The canonical bytes an audit row's hash covers (for tests and docs). */
int	kr_audit_row_hash(const struct kr_audit_rec *, uint8_t *) KR_WUR;

/*
 * backup.c: a consistent copy of the whole database into a new file
 * `path` (SQLite's online backup API, in one step), and SQLite's
 * integrity check (KR_EVERIFY naming the first problem).
 */
int	kr_store_backup(struct kr_store *, const char *path, struct kr_err *)
	    KR_WUR;
int	kr_store_integrity(struct kr_store *, struct kr_err *) KR_WUR;

/*
 * The audit bundle (bundle.c, docs/audit-bundle.md): the audit chain and
 * every bound record as JSON lines, one file per table ("audit.jsonl",
 * then "TABLE.jsonl" for each bound table).  export reads them from the
 * store (the chain's links checked on the way); load makes a store in
 * memory of a bundle's files, on which kr_store_replay and the record
 * readers run as on a state folder (`label` names the bundle).
 */
#define KR_BUNDLE_FILES_MAX	32
struct kr_bundle_file {
	char		name[64];
	struct kr_buf	data;
	int64_t		lines;
	int		added;		/* columns from here on, NULL at the
					   end of a row, are not hashed */
};
struct kr_bundle {
	struct kr_bundle_file	files[KR_BUNDLE_FILES_MAX];
	size_t			nfiles;
	int64_t			rows;		/* export: the chain's rows */
	uint8_t			head[KR_AUDIT_HASH_BYTES];
};
int	kr_store_bundle_export(struct kr_store *, struct kr_bundle *,
	    struct kr_err *) KR_WUR;
int	kr_store_bundle_load(struct kr_store **, const char *,
	    const struct kr_bundle *, struct kr_err *) KR_WUR;
void	kr_bundle_free(struct kr_bundle *);

#endif /* KEYRITE_STORE_H */
