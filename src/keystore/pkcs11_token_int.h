/*
 * What the files of the PKCS#11 back end share (pkcs11-*.c only): the open
 * token, a signer's state, and the helpers one file defines for another.
 * Unlike pkcs11_int.h it speaks PKCS#11 and p11-kit types.
 */
#ifndef KEYRITE_PKCS11_TOKEN_INT_H
#define KEYRITE_PKCS11_TOKEN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include <keyrite/keystore.h>

/* An open token (pkcs11-session.c). */
struct kr_p11_token {
	CK_FUNCTION_LIST		*mod;
	bool				 mod_init;
	P11KitUri			*uri;
	CK_SLOT_ID			 slot;
	CK_SESSION_HANDLE		 sess;
	bool				 has_sess;
	bool				 logged_in;	/* by us: log out */
	struct kr_p11_token_info	 info;
};

/* The state of a PKCS#11 signer (kr_signer.impl; pkcs11-signer.c). */
struct kr_p11_signer {
	struct kr_p11_token	*tok;
	CK_OBJECT_HANDLE	 priv;
	CK_OBJECT_HANDLE	 pub;
	struct kr_p11_key	 key;
	struct kr_p11_report	 rep;
};

/* A signer that borrows the token: the pairwise test after generation. */
extern const struct kr_signer_ops kr_p11_borrowed_ops;

/* ---- pkcs11-session.c: tokens, sessions, login ---------------------- */

/* Copies a blank-padded CK_TOKEN_INFO field as a C string. */
void		 kr_p11_space_copy(char *, size_t, const unsigned char *,
		    size_t);
/* Pads a label with blanks, as CK_TOKEN_INFO holds it. */
void		 kr_p11_label_pad(unsigned char *, const char *);
/* The algorithm's name, or "unknown". */
const char	*kr_p11_alg_name(enum kr_key_alg);
/* Parses a "pkcs11:" URI, refusing a PIN in it and unknown attributes. */
int		 kr_p11_uri_parse(const char *, P11KitUri *, struct kr_err *)
		    KR_WUR;
/* Sets the token label in the URI, or checks that it agrees. */
int		 kr_p11_uri_set_label(P11KitUri *, const char *,
		    struct kr_err *) KR_WUR;
/* An empty token for the place named (its URI built, no module yet). */
int		 kr_p11_token_new(const struct kr_p11_where *,
		    struct kr_p11_token **, struct kr_err *) KR_WUR;
/* Loads and initialises the module at a path. */
int		 kr_p11_module_load(struct kr_p11_token *, const char *,
		    struct kr_err *) KR_WUR;
/*
 * The tokens of the loaded module the URI matches, initialised ones or
 * (blank) uninitialised ones: *count of them, *slot the first; seen (may
 * be NULL) receives the labels of every token present.
 */
int		 kr_p11_slots_match(struct kr_p11_token *, P11KitUri *, bool,
		    CK_SLOT_ID *, size_t *, char *, size_t, struct kr_err *)
		    KR_WUR;
/* Reads the token's information and opens a read-write session. */
int		 kr_p11_session_open(struct kr_p11_token *, struct kr_err *)
		    KR_WUR;
/* Exactly one C_Login, after the checks that need no PIN. */
int		 kr_p11_login(struct kr_p11_token *, CK_USER_TYPE, const char *,
		    struct kr_err *) KR_WUR;
void		 kr_p11_logout(struct kr_p11_token *);

/* ---- pkcs11-origin.c: objects, attributes, the key-origin check ----- */

void		 kr_p11_attr_add(CK_ATTRIBUTE *, CK_ULONG *, CK_ATTRIBUTE_TYPE,
		    const void *, size_t);
/*
 * Objects of a class (0: any class) with the id and/or label given (NULL:
 * any).  Up to cap handles; *n says how many were found (at most cap).
 */
int		 kr_p11_objects_find(struct kr_p11_token *, CK_OBJECT_CLASS,
		    const uint8_t *, const char *, CK_OBJECT_HANDLE *, size_t,
		    size_t *, struct kr_err *) KR_WUR;
/* Reads a public key object back as a SubjectPublicKeyInfo. */
int		 kr_p11_spki_read(struct kr_p11_token *, CK_OBJECT_HANDLE,
		    enum kr_key_alg, uint8_t *, size_t *, struct kr_err *)
		    KR_WUR;
/*
 * The check made after generation and before every use: the origin
 * attributes, and the public key compared with the recorded one.
 */
int		 kr_p11_key_check(struct kr_p11_token *,
		    const struct kr_p11_key *, CK_OBJECT_HANDLE,
		    CK_OBJECT_HANDLE, struct kr_p11_report *, struct kr_err *)
		    KR_WUR;
/* The key's name and algorithm (and with need_spki its public key). */
int		 kr_p11_key_args(const struct kr_p11_key *, bool,
		    struct kr_err *) KR_WUR;
/* The one object of a class with the key's id and label, if any. */
int		 kr_p11_key_object(struct kr_p11_token *,
		    const struct kr_p11_key *, CK_OBJECT_CLASS,
		    CK_OBJECT_HANDLE *, bool *, struct kr_err *) KR_WUR;
/* After login: the private and public objects, both present. */
int		 kr_p11_key_objects(struct kr_p11_token *,
		    const struct kr_p11_key *, CK_OBJECT_HANDLE *,
		    CK_OBJECT_HANDLE *, struct kr_err *) KR_WUR;
/* The URI's object= and id=, if given, must be this key's. */
int		 kr_p11_uri_object_check(struct kr_p11_token *,
		    const struct kr_p11_key *, struct kr_err *) KR_WUR;
/* The public key object, if visible, must be the recorded one. */
int		 kr_p11_public_precheck(struct kr_p11_token *,
		    const struct kr_p11_key *, struct kr_err *) KR_WUR;
/* hex must hold 2 * KR_P11_ID_BYTES + 1. */
void		 kr_p11_id_hex(const uint8_t *, char *);

#endif /* KEYRITE_PKCS11_TOKEN_INT_H */
