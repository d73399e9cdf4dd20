/*
 * keyrite keystore: the only module that touches private key bytes or
 * token handles.  Everything above it sees a kr_signer: an algorithm, a
 * public key (SPKI DER) and a sign operation.
 *
 * A back end is a versioned table of functions (struct kr_signer_ops), in
 * the manner of SQLite's VFS: the sealed-file back end is here; a PKCS#11
 * back end fills the same table with a token session and object handle.
 */
#ifndef KEYRITE_KEYSTORE_H
#define KEYRITE_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/quorum.h>

/* Key purposes (enum kr_purpose) and their names are in crypto.h. */

#define KR_KEY_NAME_MAX		64

/* Checks a key name: 1..64 of [A-Za-z0-9._-], not starting with '.' or '-'. */
int		 kr_key_name_check(const char *, struct kr_err *) KR_WUR;

struct kr_signer;

#define KR_SIGNER_OPS_VERSION	1

struct kr_signer_ops {
	int		 version;	/* KR_SIGNER_OPS_VERSION */
	const char	*backend;	/* "sealed", "pkcs11" */
	/* Signs a digest (ECDSA, RSA); sig is DER for ECDSA. */
	int		(*sign_digest)(struct kr_signer *s, enum kr_sig_alg sa,
			    const uint8_t *md, size_t mdlen, uint8_t *sig,
			    size_t *siglen, struct kr_err *err);
	/* Signs a whole message (pure Ed25519); NULL if unsupported. */
	int		(*sign_message)(struct kr_signer *s, enum kr_sig_alg sa,
			    const uint8_t *msg, size_t msglen, uint8_t *sig,
			    size_t *siglen, struct kr_err *err);
	/* Releases the back end's state, wiping any key bytes. */
	void		(*destroy)(struct kr_signer *);
};

struct kr_signer {
	const struct kr_signer_ops	*ops;
	void				*impl;	/* back end state */
	char				 name[KR_KEY_NAME_MAX + 1];
	uint8_t				 key_id[KR_KEY_ID_BYTES];
	enum kr_key_alg			 alg;
	enum kr_purpose			 purpose;
	uint8_t				*spki;	/* public key, DER */
	size_t				 spki_len;
};

/*
 * Signs a message with the signer.  The signature algorithm must fit the
 * key (kr_sig_alg_fits).  sig must hold KR_SIG_MAX_BYTES.  The caller
 * (authority/) verifies the result before recording it.
 */
int		 kr_signer_sign(struct kr_signer *s, enum kr_sig_alg sa,
		    const uint8_t *msg, size_t msglen, uint8_t *sig,
		    size_t *siglen, struct kr_err *err) KR_WUR;
/* Signs a digest the caller computed (streaming); not for Ed25519. */
int		 kr_signer_sign_digest(struct kr_signer *s, enum kr_sig_alg sa,
		    const uint8_t *md, size_t mdlen, uint8_t *sig,
		    size_t *siglen, struct kr_err *err) KR_WUR;
/*
 * A signer made of a key's public half only, no back end (on the stack,
 * nothing to free; `spki` is borrowed): what kr_fw_check_file needs to
 * check an input against a key before the key is unlocked.  Signing
 * with it fails ("no usable signer").
 */
void		 kr_signer_public(struct kr_signer *s, const char *name,
		    const uint8_t *key_id, enum kr_key_alg alg,
		    enum kr_purpose purpose, uint8_t *spki, size_t spki_len);
/* Refuses (KR_EREFUSED) a signer whose purpose is not the one asked. */
int		 kr_signer_require_purpose(const struct kr_signer *,
		    enum kr_purpose, struct kr_err *) KR_WUR;
/* Destroys the signer, wiping key material; NULLs the caller's pointer. */
void		 kr_signer_free(struct kr_signer **);

/*
 * The sealed back end.  The header below is the AEAD associated data of
 * the sealed file, so changing any of its bytes is detected on unseal.
 */
struct kr_sealed_header {
	uint16_t		version;
	uint8_t			key_id[KR_KEY_ID_BYTES];
	char			name[KR_KEY_NAME_MAX + 1];
	enum kr_key_alg		alg;
	enum kr_purpose		purpose;
	uint8_t			spki[KR_SPKI_MAX_BYTES];
	size_t			spki_len;
	uint8_t			set_id[KR_SET_ID_BYTES];
	uint32_t		epoch;
	uint8_t			m;
	uint8_t			n;
	uint8_t			dealer_pk[KR_DEALER_PK_BYTES];
	int64_t			created;
};

#define KR_SEALED_FILE_MAX	16384

/*
 * Generates a key pair of h->alg in secure memory, runs the pairwise
 * consistency test (sign, then verify with the public key), fills in
 * h->spki, and seals the private key under
 * HKDF-SHA-256(quorum secret, info = key id).  The sealed file's bytes are
 * returned in malloc'd memory (ciphertext only: no plaintext key).
 */
int		 kr_sealed_generate(struct kr_sealed_header *h,
		    const uint8_t *qsecret, uint8_t **out, size_t *outlen,
		    struct kr_err *err) KR_WUR;
/* Parses and range-checks a sealed file's header without unsealing. */
int		 kr_sealed_parse_header(const uint8_t *file, size_t len,
		    const char *label, struct kr_sealed_header *h,
		    struct kr_err *err) KR_WUR;
/*
 * Unseals with the quorum secret and returns a signer.  A wrong secret or
 * any altered byte gives KR_EVERIFY naming the file.  The public key
 * derived from the private key must equal the header's.
 */
int		 kr_sealed_open(const uint8_t *file, size_t len,
		    const char *label, const uint8_t *qsecret,
		    struct kr_signer **out, struct kr_err *err) KR_WUR;

/*
 * quorum reshare --new-secret: the share set a re-wrapped file names in
 * its header (the AEAD associated data).
 */
struct kr_rewrap_set {
	uint8_t		set_id[KR_SET_ID_BYTES];
	uint32_t	epoch;
	uint8_t		m;
	uint8_t		n;
	uint8_t		dealer_pk[KR_DEALER_PK_BYTES];
};
/*
 * Opens a sealed file with the old quorum secret and seals the same
 * private key under the new one, its header naming the new share set
 * (key id, name, algorithm, purpose, public key and creation time kept).
 */
int		 kr_sealed_rewrap(const uint8_t *file, size_t len,
		    const char *label, const uint8_t *old_qsecret,
		    const struct kr_rewrap_set *set, const uint8_t *new_qsecret,
		    uint8_t **out, size_t *outlen, struct kr_err *err) KR_WUR;
/* The wrap key derivation, exposed for the tests and docs. */
int		 kr_wrap_key_derive(const uint8_t *qsecret,
		    const uint8_t *key_id, uint8_t *out) KR_WUR;

/* ==== PKCS#11 token back end (src/keystore/pkcs11-*.c, pins.c) ==========
 *
 * Keys are generated on a token and never leave it.  A token is found by
 * its module (a path, or a module registered with p11-kit) and its label,
 * or by an RFC 7512 "pkcs11:" URI that p11-kit parses.  No PKCS#11 type
 * appears here: the layers above see labels, ids and kr_signer.
 *
 * The PIN is asked for last: every function that logs in first checks its
 * arguments, the module, the token and the public key, and only then makes
 * exactly one C_Login.  keyrite never retries a refused PIN.
 */
#define KR_P11_ID_BYTES		16	/* CKA_ID of a key keyrite made */
#define KR_P11_LABEL_MAX	32	/* token label (CK_TOKEN_INFO) */
#define KR_P11_MANUFACTURER_MAX	32
#define KR_P11_MODEL_MAX	16
#define KR_P11_SERIAL_MAX	16
#define KR_P11_MODULE_MAX	1024	/* module path or p11-kit name */
#define KR_P11_PIN_MAX		64	/* longest PIN keyrite accepts */
#define KR_P11_PIN_LEN		32	/* PINs keyrite draws (fewer if the
					   token allows fewer) */

/*
 * Where a token is.  module: a module path (--module), or NULL to take it
 * from the URI (?module-path=, ?module-name=) or to search every module
 * registered with p11-kit.  uri: a "pkcs11:" URI or NULL.  token: a token
 * label or NULL.  At least one of uri and token must name the token; when
 * both are given the token must match both.
 */
struct kr_p11_where {
	const char	*module;
	const char	*uri;
	const char	*token;
};

/* What a token says about itself (trailing blanks removed). */
struct kr_p11_token_info {
	char	module[KR_P11_MODULE_MAX + 1];	/* path or p11-kit name */
	char	label[KR_P11_LABEL_MAX + 1];
	char	manufacturer[KR_P11_MANUFACTURER_MAX + 1];
	char	model[KR_P11_MODEL_MAX + 1];
	char	serial[KR_P11_SERIAL_MAX + 1];
	bool	initialized;
	bool	user_pin_initialized;
	bool	user_pin_count_low;	/* a wrong user PIN was given */
	bool	user_pin_final_try;
	bool	user_pin_locked;
	bool	so_pin_locked;
	unsigned long	min_pin_len;
	unsigned long	max_pin_len;
};

/*
 * The two PINs of a token keyrite initialised, NUL-terminated, in secure
 * memory.  kr_p11_pins_free() wipes them and is safe on NULL.
 */
struct kr_p11_pins {
	char	so[KR_P11_PIN_MAX + 1];
	char	user[KR_P11_PIN_MAX + 1];
};

struct kr_p11_pins *kr_p11_pins_new(void);
void		 kr_p11_pins_free(struct kr_p11_pins **);

/* An open token: its module loaded and a read-write session, no login. */
struct kr_p11_token;

/*
 * Loads the module, finds the initialised token and opens a session.
 * info (may be NULL) receives what the token says about itself.
 */
int		 kr_p11_token_open(const struct kr_p11_where *,
		    struct kr_p11_token **, struct kr_p11_token_info *,
		    struct kr_err *) KR_WUR;
/* Reads the token's information again (flags change after a login). */
int		 kr_p11_token_info(struct kr_p11_token *,
		    struct kr_p11_token_info *, struct kr_err *) KR_WUR;
/*
 * Logs out if logged in, closes the session, finalises and releases the
 * module; NULLs the caller's pointer.  Safe on NULL.
 */
void		 kr_p11_token_close(struct kr_p11_token **);

/*
 * Initialises a blank token: finds a present token that is not yet
 * initialised (the URI's serial, model or manufacturer narrow the choice),
 * draws a random SO PIN and user PIN, runs C_InitToken with the label
 * (where->token, or the URI's token=) and C_InitPIN.  Refuses if a token
 * with that label is already initialised on the module.  On success *pins
 * holds the two PINs (free with kr_p11_pins_free) and info describes the
 * new token.  An initialised token is never initialised again.
 */
int		 kr_p11_token_init(const struct kr_p11_where *,
		    struct kr_p11_pins **, struct kr_p11_token_info *,
		    struct kr_err *) KR_WUR;

/*
 * A key on a token.  For kr_p11_key_generate() the caller fills name
 * (becomes CKA_LABEL), key_id, alg and purpose; generation fills p11_id
 * (a random CKA_ID) and spki.  The other functions take the record as
 * generation left it (as stored by authority/).
 */
struct kr_p11_key {
	char		name[KR_KEY_NAME_MAX + 1];
	uint8_t		key_id[KR_KEY_ID_BYTES];
	enum kr_key_alg	alg;
	enum kr_purpose	purpose;
	uint8_t		p11_id[KR_P11_ID_BYTES];
	uint8_t		spki[KR_SPKI_MAX_BYTES];
	size_t		spki_len;
};

/* The key-origin check, as read back from the token. */
struct kr_p11_origin {
	bool	local;			/* CKA_LOCAL: generated on the token */
	bool	always_sensitive;	/* CKA_ALWAYS_SENSITIVE */
	bool	never_extractable;	/* CKA_NEVER_EXTRACTABLE */
	bool	sensitive;		/* CKA_SENSITIVE */
	bool	extractable;		/* CKA_EXTRACTABLE (must be false) */
	bool	sign_only;		/* CKA_SIGN, no decrypt/derive/unwrap */
	bool	spki_match;		/* token public key == recorded SPKI */
	bool	passed;			/* all of the above as required */
};

/* For the audit log: which token, and what the origin check found. */
struct kr_p11_report {
	struct kr_p11_token_info	token;
	struct kr_p11_origin		origin;
};

/*
 * Generates k->alg on the token (CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE,
 * not CKA_EXTRACTABLE, CKA_SIGN only, CKA_LABEL = k->name, random
 * CKA_ID).  Refuses (KR_EEXIST) if the label or id is already on the
 * token.  Logs in once with pin, reads the key back for the origin check,
 * runs a sign-then-verify pairwise test, logs out.  Fills k->p11_id,
 * k->spki and rep (may be NULL).  On a failure after generation the new
 * objects are destroyed again.
 */
int		 kr_p11_key_generate(struct kr_p11_token *t, const char *pin,
		    struct kr_p11_key *k, struct kr_p11_report *rep,
		    struct kr_err *err) KR_WUR;

/*
 * Opens a signer for a key on the token.  Takes ownership of *tp in every
 * case (NULLs it): the signer keeps the session, and kr_signer_free() logs
 * out, closes it and finalises the module.  Before the login the public
 * key object is compared with k->spki; after it the private key's origin
 * is checked, and both checks are made again before every signature.
 * rep (may be NULL) receives the token and check results.
 */
int		 kr_p11_signer_open(struct kr_p11_token **tp,
		    const struct kr_p11_key *k, const char *pin,
		    struct kr_signer **out, struct kr_p11_report *rep,
		    struct kr_err *err) KR_WUR;
/* Destroys an open token signer's key objects (key destroy). */
int		 kr_p11_signer_destroy_key(struct kr_signer *, struct kr_err *)
		    KR_WUR;
/* The last check results of a PKCS#11 signer; KR_EINPUT for another kind. */
int		 kr_p11_signer_report(const struct kr_signer *,
		    struct kr_p11_report *) KR_WUR;

/*
 * Destroys the key's private and public objects on the token (found by
 * CKA_ID and CKA_LABEL; the public key must match k->spki).  KR_ENOENT if
 * neither is there.  Logs in once with pin and logs out.
 */
int		 kr_p11_key_destroy(struct kr_p11_token *, const char *,
		    const struct kr_p11_key *, struct kr_err *) KR_WUR;

/*
 * The token PINs sealed under the quorum secret, like a sealed key: the
 * header below is the AEAD associated data; the key is
 * HKDF-SHA-256(quorum secret, info = "keyrite token pins v1" || key id).
 * Format in docs/pkcs11.md.
 */
struct kr_pins_header {
	uint16_t	version;
	uint8_t		key_id[KR_KEY_ID_BYTES];
	char		name[KR_KEY_NAME_MAX + 1];
	char		token_label[KR_P11_LABEL_MAX + 1];
	char		token_serial[KR_P11_SERIAL_MAX + 1];
	uint8_t		set_id[KR_SET_ID_BYTES];
	uint32_t	epoch;
	int64_t		created;
};

#define KR_PINS_FILE_MAX	1024

/* Seals the PINs; the file is returned in malloc'd memory. */
int		 kr_pins_seal(struct kr_pins_header *h,
		    const struct kr_p11_pins *pins, const uint8_t *qsecret,
		    uint8_t **out, size_t *outlen, struct kr_err *err) KR_WUR;
/* Parses and range-checks a PIN file's header without opening it. */
int		 kr_pins_parse_header(const uint8_t *file, size_t len,
		    const char *label, struct kr_pins_header *h,
		    struct kr_err *err) KR_WUR;
/*
 * Opens a PIN file (label names it in messages) with the quorum secret.
 * A wrong secret or any altered byte gives KR_EVERIFY.  hout may be NULL.
 */
int		 kr_pins_open(const uint8_t *file, size_t len,
		    const char *label, const uint8_t *qsecret,
		    struct kr_pins_header *hout, struct kr_p11_pins **out,
		    struct kr_err *err) KR_WUR;
/* The same for a PIN file: the same PINs, the new set in its header. */
int		 kr_pins_rewrap(const uint8_t *file, size_t len,
		    const char *label, const uint8_t *old_qsecret,
		    const struct kr_rewrap_set *set, const uint8_t *new_qsecret,
		    uint8_t **out, size_t *outlen, struct kr_err *err) KR_WUR;
/* The PIN file key derivation, exposed for the tests and docs. */
int		 kr_pins_key_derive(const uint8_t *qsecret,
		    const uint8_t *key_id, uint8_t *out) KR_WUR;

/* ==== end of the PKCS#11 section ======================================= */

/* ==== The back-end table ================================================
 *
 * Where a key lives is a back end: a sealed file ("sealed") or a PKCS#11
 * token ("pkcs11").  Each fills one versioned table of operations, in the
 * manner of SQLite's sqlite3_vfs, so authority/ makes, opens, checks,
 * destroys and describes a key through the same calls whatever holds it.
 * The signer a back end opens is the kr_signer above, with its own
 * kr_signer_ops.
 *
 * A key is unlocked either by a quorum secret (the key, or the token's
 * PINs, sealed in a file under it) or, for a token that guards the key
 * itself, by the token PIN asked of the operator.
 */

/*
 * Where a key lives: what a back end needs to open, check, destroy or
 * describe it, as authority/ has it from the key's records.  Generation
 * fills p11_id and rep; opening fills rep (the token as found and the
 * key-origin check).  The PKCS#11 fields are empty for a sealed key.
 */
struct kr_key_home {
	char			name[KR_KEY_NAME_MAX + 1];
	uint8_t			key_id[KR_KEY_ID_BYTES];
	enum kr_key_alg		alg;
	enum kr_purpose		purpose;
	uint8_t			spki[KR_SPKI_MAX_BYTES];
	size_t			spki_len;
	bool			quorum;		/* false: the token's own PIN */
	const char		*file;		/* under the quorum, relative */
	struct kr_p11_where	where;		/* module, URI, token label */
	bool			init_token;	/* generate: a blank token */
	uint8_t			p11_id[KR_P11_ID_BYTES];
	struct kr_p11_report	rep;		/* token and origin check */
};

/* One fact for the audit row, in the order the back end gives them. */
struct kr_key_fact {
	const char	*name;
	char		 value[160];
};

#define KR_KEY_FACTS_MAX	8

/* When the facts are recorded. */
enum kr_key_event {
	KR_KEY_EVENT_GENERATE = 1,
	KR_KEY_EVENT_USE,
};

#define KR_BACKEND_OPS_VERSION	1

struct kr_backend_ops {
	int		 version;	/* KR_BACKEND_OPS_VERSION */
	const char	*name;		/* as the key row records it */
	/* The file under the quorum: keys/NAME.<file_ext>, at most file_max. */
	const char	*file_ext;
	size_t		 file_max;
	/* A token key: it has a token row; every use is an audit row. */
	bool		 on_token;
	/* What key destroy removes, for its audit row; NULL: the file. */
	const char	*material;
	/*
	 * Generates the key of home (name, key id, alg, purpose) whose sealed
	 * header h also names the share set.  With a quorum secret the file
	 * to keep under it is returned in *file (malloc'd): the sealed key,
	 * or the token's PINs; with only a token PIN, *file stays NULL.
	 * Fills h->spki and, for a token, home->p11_id and home->rep.
	 */
	int		(*generate)(struct kr_key_home *home,
			    struct kr_sealed_header *h, const uint8_t *qsecret,
			    const char *pin, uint8_t **file, size_t *len,
			    struct kr_err *err);
	/* The key id in the file's header (read without the secret). */
	int		(*file_key_id)(const uint8_t *file, size_t len,
			    const char *label, uint8_t *key_id,
			    struct kr_err *err);
	/* Opens the file just made again with the secret (a self-check). */
	int		(*reopen)(const uint8_t *file, size_t len,
			    const char *label, const uint8_t *qsecret,
			    struct kr_err *err);
	/*
	 * Opens a signer for the key: with the file (named by label) and the
	 * quorum secret, or with the token PIN.  The key must be the one
	 * home records; a token key passes the origin check (home->rep).
	 */
	int		(*open)(struct kr_key_home *home, const uint8_t *file,
			    size_t len, const char *label,
			    const uint8_t *qsecret, const char *pin,
			    struct kr_signer **out, struct kr_err *err);
	/* Destroys the key material: the open signer's, or the file at path. */
	int		(*destroy)(struct kr_signer *, const char *,
			    struct kr_err *);
	/*
	 * Says where the key lives: "held" for messages (", sealed" or
	 * " on token LABEL (...)"), "lines" for key show ("" or "token: ...").
	 */
	void		(*describe)(const struct kr_key_home *home, char *held,
			    size_t heldcap, char *lines, size_t linescap);
	/* The facts of an audit row (token, origin check); returns how many. */
	size_t		(*facts)(const struct kr_key_home *, enum kr_key_event,
			    struct kr_key_fact *);
	/* The file under a new quorum secret (kr_sealed_rewrap, ...). */
	int		(*rewrap)(const uint8_t *file, size_t len,
			    const char *label, const uint8_t *old_qsecret,
			    const struct kr_rewrap_set *set,
			    const uint8_t *new_qsecret, uint8_t **out,
			    size_t *outlen, struct kr_err *err);
};

/* The back end recorded as name ("sealed", "pkcs11"); NULL if none. */
const struct kr_backend_ops *kr_backend_find(const char *);
/* The back end whose file a path names (by its extension); else sealed. */
const struct kr_backend_ops *kr_backend_for_file(const char *);

#endif /* KEYRITE_KEYSTORE_H */
