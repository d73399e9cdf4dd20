/*
 * The PKCS#11 back end: keys generated on a token and used there.
 *
 * Modules are loaded through p11-kit (managed mode, so each open token
 * has its own sessions), tokens and keys are named by label or by an
 * RFC 7512 "pkcs11:" URI that p11-kit parses.  The signer fills the same
 * kr_signer_ops as the sealed back end; before every signature it reads
 * the key-origin attributes and the public key back from the token.
 *
 * Every CK_RV becomes a keyrite error in one place, kr_p11_fail().  A PIN
 * is tried exactly once: a refused PIN is reported, never retried.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include <keyrite/keystore.h>

#include "keystore_int.h"
#include "pkcs11_int.h"

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

/* The state of a PKCS#11 signer (kr_signer.impl). */
struct p11_signer {
	struct kr_p11_token	*tok;
	CK_OBJECT_HANDLE	 priv;
	CK_OBJECT_HANDLE	 pub;
	struct kr_p11_key	 key;
	struct kr_p11_report	 rep;
};

#define SPKI_TMP_BYTES	(KR_SPKI_MAX_BYTES + 64)
#define ATTR_MAX_BYTES	1024	/* EC point, modulus, params */
#define OBJS_MAX	4

/* ---- CK_RV translation: the one boundary -------------------------- */

static const struct ckr_entry {
	CK_RV		 rv;
	const char	*name;
	int		 code;
	const char	*what;
	const char	*next;
} ckr_table[] = {
#define E(rv, code, what, next)	{ rv, #rv, code, what, next }
	E(CKR_PIN_INCORRECT, KR_EAUTH, "the token PIN was refused",
	    "; keyrite does not retry: make sure the right PIN file or PIN "
	    "is used before trying again, as the token locks itself after a "
	    "few wrong PINs"),
	E(CKR_PIN_LOCKED, KR_EREFUSED, "the token PIN is locked after too "
	    "many wrong PINs", "; the token's security officer must unblock "
	    "it (keyrite will not)"),
	E(CKR_PIN_INVALID, KR_EINPUT, "the token does not accept the "
	    "characters of this PIN", ""),
	E(CKR_PIN_LEN_RANGE, KR_EINPUT, "the token does not accept a PIN of "
	    "this length", ""),
	E(CKR_PIN_EXPIRED, KR_EREFUSED, "the token PIN has expired",
	    "; change it with the token's own tools"),
	E(CKR_USER_PIN_NOT_INITIALIZED, KR_EREFUSED, "the token has no user "
	    "PIN yet", "; a blank token is set up with --init-token"),
	E(CKR_TOKEN_NOT_PRESENT, KR_EIO, "the token is not present",
	    "; insert it (or check its reader) and start again"),
	E(CKR_TOKEN_NOT_RECOGNIZED, KR_EIO, "the module does not recognise "
	    "the token in the reader", ""),
	E(CKR_DEVICE_REMOVED, KR_EIO, "the token was removed during the "
	    "operation", "; nothing was signed: put it back and start again"),
	E(CKR_DEVICE_ERROR, KR_EIO, "the token reported a device error",
	    "; check the token and its reader"),
	E(CKR_DEVICE_MEMORY, KR_EIO, "the token has no room left", ""),
	E(CKR_SESSION_HANDLE_INVALID, KR_EIO, "the session with the token is "
	    "gone (was the token removed or reset?)", ""),
	E(CKR_SESSION_CLOSED, KR_EIO, "the session with the token was closed "
	    "(was the token removed or reset?)", ""),
	E(CKR_SESSION_COUNT, KR_EIO, "the token has no free session", ""),
	E(CKR_SESSION_EXISTS, KR_EREFUSED, "another program has a session "
	    "open on the token", "; close it first"),
	E(CKR_SESSION_READ_ONLY, KR_EREFUSED, "the session is read-only", ""),
	E(CKR_SESSION_READ_ONLY_EXISTS, KR_EREFUSED, "a read-only session is "
	    "open on the token", "; close it first"),
	E(CKR_TOKEN_WRITE_PROTECTED, KR_EREFUSED, "the token is "
	    "write-protected", ""),
	E(CKR_OBJECT_HANDLE_INVALID, KR_ENOENT, "the key object is no longer "
	    "on the token", ""),
	E(CKR_KEY_HANDLE_INVALID, KR_ENOENT, "the key is no longer on the "
	    "token", ""),
	E(CKR_MECHANISM_INVALID, KR_EREFUSED, "the token does not support "
	    "this mechanism", ""),
	E(CKR_MECHANISM_PARAM_INVALID, KR_EREFUSED, "the token does not "
	    "accept the parameters of this mechanism", ""),
	E(CKR_CURVE_NOT_SUPPORTED, KR_EREFUSED, "the token does not support "
	    "this curve", ""),
	E(CKR_DOMAIN_PARAMS_INVALID, KR_EREFUSED, "the token does not accept "
	    "these domain parameters", ""),
	E(CKR_KEY_SIZE_RANGE, KR_EREFUSED, "the token does not support this "
	    "key size", ""),
	E(CKR_KEY_TYPE_INCONSISTENT, KR_EREFUSED, "the key does not fit this "
	    "mechanism", ""),
	E(CKR_KEY_FUNCTION_NOT_PERMITTED, KR_EREFUSED, "the token does not "
	    "permit this use of the key", ""),
	E(CKR_ATTRIBUTE_VALUE_INVALID, KR_EREFUSED, "the token refused a "
	    "value in the key template", ""),
	E(CKR_ATTRIBUTE_TYPE_INVALID, KR_EREFUSED, "the token does not know "
	    "an attribute keyrite asked for", ""),
	E(CKR_ATTRIBUTE_READ_ONLY, KR_EREFUSED, "the token refused to set a "
	    "read-only attribute", ""),
	E(CKR_ATTRIBUTE_SENSITIVE, KR_EREFUSED, "the token refuses to reveal "
	    "a sensitive attribute", ""),
	E(CKR_TEMPLATE_INCOMPLETE, KR_EREFUSED, "the key template is "
	    "incomplete for this token", ""),
	E(CKR_TEMPLATE_INCONSISTENT, KR_EREFUSED, "the token finds the key "
	    "template inconsistent", ""),
	E(CKR_USER_NOT_LOGGED_IN, KR_EREFUSED, "the token needs a login for "
	    "this", ""),
	E(CKR_USER_ALREADY_LOGGED_IN, KR_EREFUSED, "a user is already logged "
	    "in to the token", ""),
	E(CKR_USER_ANOTHER_ALREADY_LOGGED_IN, KR_EREFUSED, "another user is "
	    "logged in to the token", "; log that user out first"),
	E(CKR_USER_TYPE_INVALID, KR_EINTERNAL, "keyrite asked for a user type "
	    "the token does not know (bug: report it)", ""),
	E(CKR_SLOT_ID_INVALID, KR_ENOENT, "the token's slot is gone", ""),
	E(CKR_DATA_LEN_RANGE, KR_EINPUT, "the token refused the length of the "
	    "data to sign", ""),
	E(CKR_DATA_INVALID, KR_EINPUT, "the token refused the data to sign",
	    ""),
	E(CKR_BUFFER_TOO_SMALL, KR_EINTERNAL, "the token's answer is longer "
	    "than keyrite expected (bug: report it)", ""),
	E(CKR_OPERATION_ACTIVE, KR_EINTERNAL, "another operation is active "
	    "in the session (bug: report it)", ""),
	E(CKR_HOST_MEMORY, KR_ENOMEM, "the PKCS#11 module ran out of memory",
	    ""),
	E(CKR_GENERAL_ERROR, KR_EIO, "the token reported a general error",
	    "; check the token, and if it is a file-backed token (SoftHSM) "
	    "its token folder"),
	E(CKR_FUNCTION_FAILED, KR_EIO, "the token could not carry out the "
	    "operation", ""),
	E(CKR_FUNCTION_NOT_SUPPORTED, KR_EREFUSED, "the module does not "
	    "implement this function", ""),
	E(CKR_CRYPTOKI_NOT_INITIALIZED, KR_EINTERNAL, "the module was not "
	    "initialised (bug: report it)", ""),
	E(CKR_CRYPTOKI_ALREADY_INITIALIZED, KR_EINTERNAL, "the module was "
	    "initialised twice (bug: report it)", ""),
	E(CKR_ARGUMENTS_BAD, KR_EINTERNAL, "keyrite passed bad arguments to "
	    "the module (bug: report it)", ""),
	E(CKR_CANT_LOCK, KR_EINTERNAL, "the module cannot lock for "
	    "threads", ""),
#undef E
};

#define NCKR	(sizeof(ckr_table) / sizeof(ckr_table[0]))

static const struct ckr_entry *
ckr_lookup(CK_RV rv)
{
	size_t	i;

	for (i = 0; i < NCKR; i++)
		if (ckr_table[i].rv == rv)
			return &ckr_table[i];
	return NULL;
}

const char *
kr_p11_rv_name(unsigned long rv)
{
	const struct ckr_entry	*e = ckr_lookup(rv);

	return e != NULL ? e->name : NULL;
}

int
kr_p11_fail(struct kr_err *err, unsigned long rv, const char *fmt, ...)
{
	const struct ckr_entry	*e = ckr_lookup(rv);
	char			 ctx[KR_ERR_MSG_MAX / 2];
	va_list			 ap;

	va_start(ap, fmt);
	(void)vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	if (e == NULL)
		return kr_err_set(err, KR_EIO, "%s: the token returned error "
		    "0x%lx (%s)", ctx, rv, p11_kit_strerror(rv));
	return kr_err_set(err, e->code, "%s: %s (%s)%s", ctx, e->what,
	    e->name, e->next);
}

/* ---- small helpers ------------------------------------------------- */

static void
space_copy(char *dst, size_t cap, const unsigned char *src, size_t len)
{
	size_t	n = p11_kit_space_strlen(src, len);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
info_fill(struct kr_p11_token_info *in, const CK_TOKEN_INFO *ti)
{
	space_copy(in->label, sizeof(in->label), ti->label,
	    sizeof(ti->label));
	space_copy(in->manufacturer, sizeof(in->manufacturer),
	    ti->manufacturerID, sizeof(ti->manufacturerID));
	space_copy(in->model, sizeof(in->model), ti->model,
	    sizeof(ti->model));
	space_copy(in->serial, sizeof(in->serial), ti->serialNumber,
	    sizeof(ti->serialNumber));
	in->initialized = (ti->flags & CKF_TOKEN_INITIALIZED) != 0;
	in->user_pin_initialized = (ti->flags & CKF_USER_PIN_INITIALIZED) != 0;
	in->user_pin_count_low = (ti->flags & CKF_USER_PIN_COUNT_LOW) != 0;
	in->user_pin_final_try = (ti->flags & CKF_USER_PIN_FINAL_TRY) != 0;
	in->user_pin_locked = (ti->flags & CKF_USER_PIN_LOCKED) != 0;
	in->so_pin_locked = (ti->flags & CKF_SO_PIN_LOCKED) != 0;
	in->min_pin_len = ti->ulMinPinLen;
	in->max_pin_len = ti->ulMaxPinLen;
}

/* Pads a label with blanks, as CK_TOKEN_INFO holds it. */
static void
label_pad(unsigned char *dst, const char *label)
{
	memset(dst, ' ', KR_P11_LABEL_MAX);
	memcpy(dst, label, strlen(label));
}

static const char *
alg_name(enum kr_key_alg alg)
{
	const char	*n = kr_key_alg_name(alg);

	return n != NULL ? n : "unknown";
}

/* ---- URIs ---------------------------------------------------------- */

static int
uri_parse(const char *s, P11KitUri *uri, struct kr_err *err)
{
	int	rc;

	rc = p11_kit_uri_parse(s, P11_KIT_URI_FOR_ANY, uri);
	if (rc != P11_KIT_URI_OK)
		return kr_err_set(err, KR_EUSAGE, "the pkcs11: URI given does "
		    "not parse: %s; write it as RFC 7512 says, for example "
		    "pkcs11:token=keyrite-root;object=root-2026",
		    p11_kit_uri_message(rc));
	if (p11_kit_uri_get_pin_value(uri) != NULL ||
	    p11_kit_uri_get_pin_source(uri) != NULL)
		return kr_err_set(err, KR_EUSAGE, "the pkcs11: URI given holds "
		    "a PIN (pin-value or pin-source): keyrite takes no secret "
		    "on the command line; remove it from the URI");
	if (p11_kit_uri_any_unrecognized(uri))
		return kr_err_set(err, KR_EUSAGE, "the pkcs11: URI given has "
		    "an attribute keyrite does not know; it uses token, "
		    "serial, model, manufacturer, object, id and type, and the "
		    "queries ?module-name= and ?module-path=");
	return KR_OK;
}

/* Sets the token label in the URI, or checks that it agrees. */
static int
uri_set_label(P11KitUri *uri, const char *label, struct kr_err *err)
{
	CK_TOKEN_INFO	*ti = p11_kit_uri_get_token_info(uri);
	unsigned char	 pad[KR_P11_LABEL_MAX];
	char		 have[KR_P11_LABEL_MAX + 1];

	if (label[0] == '\0' || strlen(label) > KR_P11_LABEL_MAX)
		return kr_err_set(err, KR_EUSAGE, "token label '%s' must be 1 "
		    "to %d bytes", label, KR_P11_LABEL_MAX);
	label_pad(pad, label);
	if (ti->label[0] != 0 && memcmp(ti->label, pad, sizeof(pad)) != 0) {
		space_copy(have, sizeof(have), ti->label, sizeof(ti->label));
		return kr_err_set(err, KR_EUSAGE, "the token label '%s' and "
		    "the URI's token=%s name different tokens", label, have);
	}
	memcpy(ti->label, pad, sizeof(pad));
	return KR_OK;
}

static int
uri_build(const struct kr_p11_where *w, P11KitUri **out, struct kr_err *err)
{
	P11KitUri	*uri;
	int		 ret = KR_EINTERNAL;

	*out = NULL;
	if ((uri = p11_kit_uri_new()) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (w->uri != NULL && (ret = uri_parse(w->uri, uri, err)) != KR_OK)
		goto fail;
	if (w->token != NULL &&
	    (ret = uri_set_label(uri, w->token, err)) != KR_OK)
		goto fail;
	*out = uri;
	return KR_OK;
fail:
	p11_kit_uri_free(uri);
	return ret;
}

/* Whether the URI names a token (by label or serial). */
static bool
uri_names_token(P11KitUri *uri)
{
	CK_TOKEN_INFO	*ti = p11_kit_uri_get_token_info(uri);

	return ti->label[0] != 0 || ti->serialNumber[0] != 0;
}

/* ---- modules and slots --------------------------------------------- */

static void
module_drop(struct kr_p11_token *t)
{
	if (t->mod != NULL && t->mod_init)
		(void)p11_kit_module_finalize(t->mod);
	if (t->mod != NULL)
		p11_kit_module_release(t->mod);
	t->mod = NULL;
	t->mod_init = false;
}

/*
 * A path with a slash is taken from here (made absolute: p11-kit would
 * look for a relative one in its own module folder); a bare file name is
 * looked for in p11-kit's module folder.
 */
static int
module_load_path(struct kr_p11_token *t, const char *path,
    struct kr_err *err)
{
	char		*abs = NULL;
	const char	*why;
	CK_RV		 rv;

	if (strchr(path, '/') != NULL && (abs = realpath(path, NULL)) == NULL)
		return kr_err_set(err, KR_ENOENT, "PKCS#11 module %s was not "
		    "found (%s): check --module or the URI's ?module-path=",
		    path, strerror(errno));
	(void)snprintf(t->info.module, sizeof(t->info.module), "%s", path);
	p11_kit_be_quiet();
	t->mod = p11_kit_module_load(abs != NULL ? abs : path, 0);
	free(abs);
	if (t->mod == NULL) {
		why = p11_kit_message();
		return kr_err_set(err, KR_EINPUT, "PKCS#11 module %s could not "
		    "be loaded: %s", path, why != NULL ? why :
		    "is it a PKCS#11 module built for this machine?");
	}
	if ((rv = p11_kit_module_initialize(t->mod)) != CKR_OK) {
		module_drop(t);
		return kr_p11_fail(err, rv, "PKCS#11 module %s did not "
		    "initialise", path);
	}
	t->mod_init = true;
	return KR_OK;
}

/* Appends a token label to the list of labels seen, for messages. */
static void
seen_add(char *seen, size_t cap, const CK_TOKEN_INFO *ti)
{
	char	label[KR_P11_LABEL_MAX + 1];
	size_t	len = strlen(seen);

	space_copy(label, sizeof(label), ti->label, sizeof(ti->label));
	if (!(ti->flags & CKF_TOKEN_INITIALIZED))
		(void)snprintf(label, sizeof(label), "(blank)");
	(void)snprintf(seen + len, cap - len, "%s'%s'", len > 0 ? ", " : "",
	    label);
}

/*
 * Finds the tokens of the loaded module that the URI matches, initialised
 * ones or (blank) uninitialised ones.  *count receives how many matched,
 * *slot the first; seen (may be NULL) the labels of every token present.
 */
static int
slots_match(struct kr_p11_token *t, P11KitUri *uri, bool blank,
    CK_SLOT_ID *slot, size_t *count, char *seen, size_t seencap,
    struct kr_err *err)
{
	CK_SLOT_ID	*ids = NULL;
	CK_TOKEN_INFO	 ti;
	CK_ULONG	 n = 0, cap, i;
	CK_RV		 rv;
	int		 ret = KR_EINTERNAL;

	*count = 0;
	rv = t->mod->C_GetSlotList(CK_TRUE, NULL, &n);
	if (rv == CKR_OK && n > 0 && (ids = calloc(n, sizeof(*ids))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	cap = n;
	if (rv == CKR_OK && n > 0)
		rv = t->mod->C_GetSlotList(CK_TRUE, ids, &n);
	if (rv != CKR_OK) {
		ret = kr_p11_fail(err, rv, "listing the tokens of module %s",
		    t->info.module);
		goto out;
	}
	/* A module may not list more slots than it said there were. */
	if (n > cap) {
		ret = kr_err_set(err, KR_EIO, "module %s listed %lu tokens "
		    "after saying there were %lu; was a token inserted? Try "
		    "again", t->info.module, n, cap);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (t->mod->C_GetTokenInfo(ids[i], &ti) != CKR_OK)
			continue;
		if (seen != NULL)
			seen_add(seen, seencap, &ti);
		if (!(ti.flags & CKF_TOKEN_INITIALIZED) != blank ||
		    !p11_kit_uri_match_token_info(uri, &ti))
			continue;
		if ((*count)++ == 0)
			*slot = ids[i];
	}
	ret = KR_OK;
out:
	free(ids);
	return ret;
}

/* One initialised token matching t->uri on the loaded module. */
static int
slot_pick(struct kr_p11_token *t, size_t *count, char *seen, size_t cap,
    struct kr_err *err)
{
	int	ret;

	ret = slots_match(t, t->uri, false, &t->slot, count, seen, cap, err);
	if (ret == KR_OK && *count > 1)
		return kr_err_set(err, KR_EREFUSED, "%zu tokens on module %s "
		    "match; name one by its serial (pkcs11:serial=...)", *count,
		    t->info.module);
	return ret;
}

/* "labelled 'x'", "with serial y", for messages. */
static void
want_desc(P11KitUri *uri, char *out, size_t cap)
{
	CK_TOKEN_INFO	*ti = p11_kit_uri_get_token_info(uri);
	char		 label[KR_P11_LABEL_MAX + 1];
	char		 serial[KR_P11_SERIAL_MAX + 1];

	space_copy(label, sizeof(label), ti->label, sizeof(ti->label));
	space_copy(serial, sizeof(serial), ti->serialNumber,
	    sizeof(ti->serialNumber));
	if (label[0] != '\0' && serial[0] != '\0')
		(void)snprintf(out, cap, "labelled '%s' with serial %s", label,
		    serial);
	else if (label[0] != '\0')
		(void)snprintf(out, cap, "labelled '%s'", label);
	else
		(void)snprintf(out, cap, "with serial %s", serial);
}

/* Loads the module named by path and finds the token on it. */
static int
locate_by_path(struct kr_p11_token *t, const char *path, struct kr_err *err)
{
	char	seen[256] = "", want[96];
	size_t	count = 0;
	int	ret;

	if ((ret = module_load_path(t, path, err)) != KR_OK ||
	    (ret = slot_pick(t, &count, seen, sizeof(seen), err)) != KR_OK)
		return ret;
	want_desc(t->uri, want, sizeof(want));
	if (count == 0)
		return kr_err_set(err, KR_ENOENT, "no such token: module %s "
		    "has no initialised token %s (tokens present: %s); check "
		    "the token label, or initialise a blank token first", path,
		    want, seen[0] != '\0' ? seen : "none");
	return KR_OK;
}

/* Tries one registered module: keeps it if the token is on it. */
static int
registry_try(struct kr_p11_token *t, CK_FUNCTION_LIST *m, char *seen,
    size_t cap, struct kr_err *err)
{
	char	*name = p11_kit_module_get_name(m);
	size_t	 count = 0;
	CK_RV	 rv;
	int	 ret;

	(void)snprintf(t->info.module, sizeof(t->info.module), "%s",
	    name != NULL ? name : "(unnamed)");
	free(name);
	t->mod = m;
	if ((rv = p11_kit_module_initialize(m)) != CKR_OK) {
		module_drop(t);
		return KR_ENOENT;
	}
	t->mod_init = true;
	ret = slot_pick(t, &count, seen, cap, err);
	if (ret != KR_OK || count == 0)
		module_drop(t);
	return ret != KR_OK ? ret : count == 0 ? KR_ENOENT : KR_OK;
}

/* Searches the modules registered with p11-kit (or the one named). */
static int
locate_in_registry(struct kr_p11_token *t, struct kr_err *err)
{
	CK_FUNCTION_LIST	**mods;
	const char		 *want = p11_kit_uri_get_module_name(t->uri);
	char			 *name, seen[256] = "", desc[96];
	size_t			  i;
	int			  ret = KR_ENOENT;

	p11_kit_be_quiet();
	if ((mods = p11_kit_modules_load(NULL, 0)) == NULL)
		return kr_err_set(err, KR_EIO, "p11-kit could not load its "
		    "registered modules: %s", p11_kit_message() != NULL ?
		    p11_kit_message() : "unknown error");
	for (i = 0; mods[i] != NULL; i++) {
		name = p11_kit_module_get_name(mods[i]);
		if (ret == KR_ENOENT && (want == NULL ||
		    (name != NULL && strcmp(name, want) == 0)))
			ret = registry_try(t, mods[i], seen, sizeof(seen), err);
		else
			p11_kit_module_release(mods[i]);
		free(name);
	}
	free(mods);
	if (ret != KR_ENOENT)
		return ret;
	want_desc(t->uri, desc, sizeof(desc));
	return kr_err_set(err, KR_ENOENT, "no such token: no %s module "
	    "registered with p11-kit has an initialised token %s (tokens "
	    "present: %s); give --module PATH for a module p11-kit does not "
	    "know", want != NULL ? want : "PKCS#11", desc,
	    seen[0] != '\0' ? seen : "none");
}

static int
session_open(struct kr_p11_token *t, struct kr_err *err)
{
	CK_TOKEN_INFO	ti;
	CK_RV		rv;

	if ((rv = t->mod->C_GetTokenInfo(t->slot, &ti)) != CKR_OK)
		return kr_p11_fail(err, rv, "reading the token on module %s",
		    t->info.module);
	info_fill(&t->info, &ti);
	rv = t->mod->C_OpenSession(t->slot, CKF_SERIAL_SESSION |
	    CKF_RW_SESSION, NULL, NULL, &t->sess);
	if (rv != CKR_OK)
		return kr_p11_fail(err, rv, "opening a session with token "
		    "'%s' (serial %s)", t->info.label, t->info.serial);
	t->has_sess = true;
	return KR_OK;
}

static int
token_new(const struct kr_p11_where *w, struct kr_p11_token **out,
    struct kr_err *err)
{
	struct kr_p11_token	*t;
	int			 ret;

	*out = NULL;
	if (w == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no token was named "
		    "(bug: report it)");
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = uri_build(w, &t->uri, err)) != KR_OK) {
		free(t);
		return ret;
	}
	if (w->token != NULL)
		(void)snprintf(t->info.label, sizeof(t->info.label), "%s",
		    w->token);
	*out = t;
	return KR_OK;
}

int
kr_p11_token_open(const struct kr_p11_where *w, struct kr_p11_token **out,
    struct kr_p11_token_info *info, struct kr_err *err)
{
	struct kr_p11_token	*t = NULL;
	const char		*path;
	int			 ret = KR_EINTERNAL;

	*out = NULL;
	if ((ret = token_new(w, &t, err)) != KR_OK)
		return ret;
	if (!uri_names_token(t->uri)) {
		ret = kr_err_set(err, KR_EUSAGE, "name the token: give its "
		    "label (--token LABEL) or a URI with token= or serial=");
		goto out;
	}
	path = w->module != NULL ? w->module :
	    p11_kit_uri_get_module_path(t->uri);
	if (path != NULL)
		ret = locate_by_path(t, path, err);
	else
		ret = locate_in_registry(t, err);
	if (ret == KR_OK)
		ret = session_open(t, err);
	if (ret == KR_OK && info != NULL)
		*info = t->info;
out:
	if (ret == KR_OK)
		*out = t;
	else
		kr_p11_token_close(&t);
	return ret;
}

int
kr_p11_token_info(struct kr_p11_token *t, struct kr_p11_token_info *info,
    struct kr_err *err)
{
	CK_TOKEN_INFO	ti;
	CK_RV		rv;

	if (t == NULL || t->mod == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no open token (bug: "
		    "report it)");
	if ((rv = t->mod->C_GetTokenInfo(t->slot, &ti)) != CKR_OK)
		return kr_p11_fail(err, rv, "reading token '%s' (serial %s)",
		    t->info.label, t->info.serial);
	info_fill(&t->info, &ti);
	if (info != NULL)
		*info = t->info;
	return KR_OK;
}

void
kr_p11_token_close(struct kr_p11_token **tp)
{
	struct kr_p11_token	*t;

	if (tp == NULL || (t = *tp) == NULL)
		return;
	if (t->logged_in)
		(void)t->mod->C_Logout(t->sess);
	if (t->has_sess)
		(void)t->mod->C_CloseSession(t->sess);
	module_drop(t);
	if (t->uri != NULL)
		p11_kit_uri_free(t->uri);
	kr_wipe(t, sizeof(*t));
	free(t);
	*tp = NULL;
}

/* ---- login ----------------------------------------------------------- */

/* Refuses a login the token says cannot succeed, before trying it. */
static int
login_precheck(struct kr_p11_token *t, CK_USER_TYPE who, const char *pin,
    bool *pinpad, struct kr_err *err)
{
	CK_TOKEN_INFO	ti;
	CK_RV		rv;

	if ((rv = t->mod->C_GetTokenInfo(t->slot, &ti)) != CKR_OK)
		return kr_p11_fail(err, rv, "reading token '%s' (serial %s)",
		    t->info.label, t->info.serial);
	info_fill(&t->info, &ti);
	if ((who == CKU_USER && t->info.user_pin_locked) ||
	    (who == CKU_SO && t->info.so_pin_locked))
		return kr_err_set(err, KR_EREFUSED, "token '%s' (serial %s): "
		    "its %s PIN is locked after too many wrong PINs "
		    "(CKF_%s_PIN_LOCKED); keyrite did not try to log in",
		    t->info.label, t->info.serial, who == CKU_SO ? "SO" :
		    "user", who == CKU_SO ? "SO" : "USER");
	*pinpad = (ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
	if (pin == NULL && !*pinpad)
		return kr_err_set(err, KR_EINTERNAL, "no PIN was given for "
		    "token '%s' (bug: report it)", t->info.label);
	if (pin != NULL && (pin[0] == '\0' || strlen(pin) > KR_P11_PIN_MAX))
		return kr_err_set(err, KR_EINPUT, "the PIN for token '%s' must "
		    "be 1 to %d characters", t->info.label, KR_P11_PIN_MAX);
	return KR_OK;
}

/*
 * Exactly one C_Login.  A user who is already logged in (another signer
 * of this process on the same token) is not logged out by this handle.
 */
static int
token_login(struct kr_p11_token *t, CK_USER_TYPE who, const char *pin,
    struct kr_err *err)
{
	bool	pinpad = false;
	CK_RV	rv;
	int	ret;

	if ((ret = login_precheck(t, who, pin, &pinpad, err)) != KR_OK)
		return ret;
	rv = t->mod->C_Login(t->sess, who, (CK_UTF8CHAR *)pin,
	    pin != NULL ? strlen(pin) : 0);
	if (rv == CKR_USER_ALREADY_LOGGED_IN && who == CKU_USER)
		return KR_OK;
	if (rv != CKR_OK)
		return kr_p11_fail(err, rv, "logging in to token '%s' (serial "
		    "%s)", t->info.label, t->info.serial);
	t->logged_in = true;
	return KR_OK;
}

static void
token_logout(struct kr_p11_token *t)
{
	if (t->logged_in)
		(void)t->mod->C_Logout(t->sess);
	t->logged_in = false;
}

/* ---- objects and attributes ------------------------------------------ */

static void
attr_add(CK_ATTRIBUTE *a, CK_ULONG *n, CK_ATTRIBUTE_TYPE type,
    const void *p, size_t len)
{
	a[*n].type = type;
	a[*n].pValue = (void *)p;
	a[*n].ulValueLen = len;
	(*n)++;
}

/*
 * Objects of a class (0: any class) with the id and/or label given (NULL:
 * any).  Up to cap handles; *n says how many were found (at most cap).
 */
static int
objects_find(struct kr_p11_token *t, CK_OBJECT_CLASS cls, const uint8_t *id,
    const char *label, CK_OBJECT_HANDLE *h, size_t cap, size_t *n,
    struct kr_err *err)
{
	CK_ATTRIBUTE	tpl[3];
	CK_ULONG	ntpl = 0, got = 0;
	CK_RV		rv, rv2;

	if (cls != 0)
		attr_add(tpl, &ntpl, CKA_CLASS, &cls, sizeof(cls));
	if (id != NULL)
		attr_add(tpl, &ntpl, CKA_ID, id, KR_P11_ID_BYTES);
	if (label != NULL)
		attr_add(tpl, &ntpl, CKA_LABEL, label, strlen(label));
	*n = 0;
	if ((rv = t->mod->C_FindObjectsInit(t->sess, tpl, ntpl)) != CKR_OK)
		return kr_p11_fail(err, rv, "searching token '%s' (serial %s)",
		    t->info.label, t->info.serial);
	rv = t->mod->C_FindObjects(t->sess, h, cap, &got);
	rv2 = t->mod->C_FindObjectsFinal(t->sess);
	if (rv == CKR_OK)
		rv = rv2;
	if (rv != CKR_OK)
		return kr_p11_fail(err, rv, "searching token '%s' (serial %s)",
		    t->info.label, t->info.serial);
	*n = got;
	return KR_OK;
}

/*
 * Reads boolean attributes; one the object does not have reads as false.
 */
static int
attr_bools(struct kr_p11_token *t, CK_OBJECT_HANDLE obj,
    const CK_ATTRIBUTE_TYPE *types, bool *vals, size_t n, struct kr_err *err)
{
	CK_ATTRIBUTE	a[12];
	CK_BBOOL	b[12];
	CK_ULONG	na = 0;
	CK_RV		rv;
	size_t		i;

	if (n > 12)
		return kr_err_set(err, KR_EINTERNAL, "too many attributes "
		    "(bug: report it)");
	for (i = 0; i < n; i++) {
		b[i] = CK_FALSE;
		attr_add(a, &na, types[i], &b[i], sizeof(b[i]));
	}
	rv = t->mod->C_GetAttributeValue(t->sess, obj, a, na);
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID &&
	    rv != CKR_ATTRIBUTE_SENSITIVE)
		return kr_p11_fail(err, rv, "reading the key's attributes on "
		    "token '%s' (serial %s)", t->info.label, t->info.serial);
	for (i = 0; i < n; i++)
		vals[i] = a[i].ulValueLen == sizeof(CK_BBOOL) &&
		    b[i] == CK_TRUE;
	return KR_OK;
}

/* Reads one attribute of at most cap bytes. */
static int
attr_bytes(struct kr_p11_token *t, CK_OBJECT_HANDLE obj,
    CK_ATTRIBUTE_TYPE type, uint8_t *buf, size_t cap, size_t *len,
    struct kr_err *err)
{
	CK_ATTRIBUTE	a = { type, NULL, 0 };
	CK_RV		rv;

	rv = t->mod->C_GetAttributeValue(t->sess, obj, &a, 1);
	if (rv == CKR_OK && (a.ulValueLen == CK_UNAVAILABLE_INFORMATION ||
	    a.ulValueLen > cap))
		return kr_err_set(err, KR_EINPUT, "token '%s': a public key "
		    "attribute is missing or longer than %zu bytes",
		    t->info.label, cap);
	if (rv == CKR_OK) {
		a.pValue = buf;
		rv = t->mod->C_GetAttributeValue(t->sess, obj, &a, 1);
	}
	if (rv != CKR_OK)
		return kr_p11_fail(err, rv, "reading the public key on token "
		    "'%s' (serial %s)", t->info.label, t->info.serial);
	/* The length the module reports now is what was read: check it too. */
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > cap)
		return kr_err_set(err, KR_EINPUT, "token '%s': a public key "
		    "attribute changed its length between two reads, or is "
		    "longer than %zu bytes", t->info.label, cap);
	*len = a.ulValueLen;
	return KR_OK;
}

/* ---- public keys ------------------------------------------------------- */

int
kr_p11_ec_point(const uint8_t *p, size_t len, size_t want,
    const uint8_t **pt)
{
	if (want < 0x80 && len == want + 2 && p[0] == 0x04 && p[1] == want) {
		*pt = p + 2;
		return KR_OK;
	}
	if (want >= 0x80 && want < 0x100 && len == want + 3 && p[0] == 0x04 &&
	    p[1] == 0x81 && p[2] == want) {
		*pt = p + 3;
		return KR_OK;
	}
	if (len == want) {
		*pt = p;
		return KR_OK;
	}
	return KR_EINPUT;
}

/* Copies the SPKI Mbed TLS wrote at the end of tmp. */
static int
pk_spki(mbedtls_pk_context *pk, uint8_t *spki, size_t *len)
{
	uint8_t	tmp[SPKI_TMP_BYTES];
	int	n;

	n = mbedtls_pk_write_pubkey_der(pk, tmp, sizeof(tmp));
	if (n <= 0 || (size_t)n > KR_SPKI_MAX_BYTES)
		return KR_ECRYPTO;
	memcpy(spki, tmp + sizeof(tmp) - n, (size_t)n);
	*len = (size_t)n;
	return KR_OK;
}

static int
ec_spki(enum kr_key_alg alg, const uint8_t *pt, size_t ptlen, uint8_t *spki,
    size_t *len)
{
	mbedtls_pk_context	 pk;
	mbedtls_ecp_keypair	*ec;
	int			 ret = KR_EINPUT;

	mbedtls_pk_init(&pk);
	if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))
	    != 0)
		goto out;
	ec = mbedtls_pk_ec(pk);
	if (mbedtls_ecp_group_load(&ec->grp, alg == KR_KEY_P256 ?
	    MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_SECP384R1) != 0 ||
	    mbedtls_ecp_point_read_binary(&ec->grp, &ec->Q, pt, ptlen) != 0 ||
	    mbedtls_ecp_check_pubkey(&ec->grp, &ec->Q) != 0)
		goto out;
	ret = pk_spki(&pk, spki, len);
out:
	mbedtls_pk_free(&pk);
	return ret;
}

static int
rsa_spki(enum kr_key_alg alg, const uint8_t *mod, size_t modlen,
    const uint8_t *e, size_t elen, uint8_t *spki, size_t *len)
{
	mbedtls_pk_context	 pk;
	mbedtls_rsa_context	*rsa;
	size_t			 bits = alg == KR_KEY_RSA3072 ? 3072 : 4096;
	int			 ret = KR_EINPUT;

	mbedtls_pk_init(&pk);
	if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA))
	    != 0)
		goto out;
	rsa = mbedtls_pk_rsa(pk);
	if (mbedtls_rsa_import_raw(rsa, mod, modlen, NULL, 0, NULL, 0, NULL, 0,
	    e, elen) != 0 || mbedtls_rsa_complete(rsa) != 0 ||
	    mbedtls_rsa_check_pubkey(rsa) != 0 ||
	    mbedtls_pk_get_bitlen(&pk) != bits)
		goto out;
	ret = pk_spki(&pk, spki, len);
out:
	mbedtls_pk_free(&pk);
	return ret;
}

static bool
ec_params_ok(enum kr_key_alg alg, const uint8_t *p, size_t len)
{
	if (alg == KR_KEY_P256)
		return len == KR_P11_OID_P256_BYTES &&
		    memcmp(p, KR_P11_OID_P256, len) == 0;
	if (alg == KR_KEY_P384)
		return len == KR_P11_OID_P384_BYTES &&
		    memcmp(p, KR_P11_OID_P384, len) == 0;
	return (len == KR_P11_OID_ED25519_BYTES &&
	    memcmp(p, KR_P11_OID_ED25519, len) == 0) ||
	    (len == KR_P11_STR_ED25519_BYTES &&
	    memcmp(p, KR_P11_STR_ED25519, len) == 0);
}

/* The SPKI of an EC or Ed25519 public key object. */
static int
ec_public(struct kr_p11_token *t, CK_OBJECT_HANDLE pub, enum kr_key_alg alg,
    uint8_t *spki, size_t *len, struct kr_err *err)
{
	uint8_t		 buf[ATTR_MAX_BYTES];
	const uint8_t	*pt;
	size_t		 n = 0, want;
	int		 ret;

	want = alg == KR_KEY_P256 ? 65 : alg == KR_KEY_P384 ? 97 : 32;
	if ((ret = attr_bytes(t, pub, CKA_EC_PARAMS, buf, sizeof(buf), &n,
	    err)) != KR_OK)
		return ret;
	if (!ec_params_ok(alg, buf, n))
		return kr_err_set(err, KR_EVERIFY, "token '%s': the public key "
		    "is not on the curve of a %s key (CKA_EC_PARAMS)",
		    t->info.label, alg_name(alg));
	if ((ret = attr_bytes(t, pub, CKA_EC_POINT, buf, sizeof(buf), &n,
	    err)) != KR_OK)
		return ret;
	if (kr_p11_ec_point(buf, n, want, &pt) != KR_OK)
		return kr_err_set(err, KR_EVERIFY, "token '%s': the public key "
		    "point (CKA_EC_POINT, %zu bytes) is not a %s point",
		    t->info.label, n, alg_name(alg));
	if (alg == KR_KEY_ED25519) {
		memcpy(spki, KR_ED25519_SPKI_PREFIX,
		    KR_ED25519_SPKI_PREFIX_BYTES);
		memcpy(spki + KR_ED25519_SPKI_PREFIX_BYTES, pt, 32);
		*len = KR_ED25519_SPKI_BYTES;
		return KR_OK;
	}
	if (ec_spki(alg, pt, want, spki, len) != KR_OK)
		return kr_err_set(err, KR_EVERIFY, "token '%s': the public key "
		    "point is not a valid %s point", t->info.label,
		    alg_name(alg));
	return KR_OK;
}

static int
rsa_public(struct kr_p11_token *t, CK_OBJECT_HANDLE pub, enum kr_key_alg alg,
    uint8_t *spki, size_t *len, struct kr_err *err)
{
	uint8_t	mod[ATTR_MAX_BYTES], e[16];
	size_t	modlen = 0, elen = 0;
	int	ret;

	if ((ret = attr_bytes(t, pub, CKA_MODULUS, mod, sizeof(mod), &modlen,
	    err)) != KR_OK ||
	    (ret = attr_bytes(t, pub, CKA_PUBLIC_EXPONENT, e, sizeof(e), &elen,
	    err)) != KR_OK)
		return ret;
	if (rsa_spki(alg, mod, modlen, e, elen, spki, len) != KR_OK)
		return kr_err_set(err, KR_EVERIFY, "token '%s': the public key "
		    "is not a valid %s key", t->info.label, alg_name(alg));
	return KR_OK;
}

/* Reads a public key object back as a SubjectPublicKeyInfo. */
static int
spki_from_token(struct kr_p11_token *t, CK_OBJECT_HANDLE pub,
    enum kr_key_alg alg, uint8_t *spki, size_t *len, struct kr_err *err)
{
	struct kr_spki_info	info;
	enum kr_key_alg		got;
	int			ret;

	if (alg == KR_KEY_RSA3072 || alg == KR_KEY_RSA4096)
		ret = rsa_public(t, pub, alg, spki, len, err);
	else
		ret = ec_public(t, pub, alg, spki, len, err);
	if (ret != KR_OK)
		return ret;
	if (kr_spki_parse(spki, *len, &info, err) != KR_OK ||
	    kr_spki_key_alg(&info, &got) != KR_OK || got != alg)
		return kr_err_set(err, KR_EVERIFY, "token '%s': the public key "
		    "read back is not a usable %s key", t->info.label,
		    alg_name(alg));
	return KR_OK;
}

/* ---- the key-origin check ---------------------------------------------- */

enum {
	O_LOCAL, O_ALWAYS_SENSITIVE, O_NEVER_EXTRACTABLE, O_SENSITIVE,
	O_EXTRACTABLE, O_SIGN, O_DECRYPT, O_DERIVE, O_UNWRAP, O_SIGN_RECOVER,
	O_ALWAYS_AUTH, O_COUNT
};

static const CK_ATTRIBUTE_TYPE origin_types[O_COUNT] = {
	CKA_LOCAL, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_SENSITIVE,
	CKA_EXTRACTABLE, CKA_SIGN, CKA_DECRYPT, CKA_DERIVE, CKA_UNWRAP,
	CKA_SIGN_RECOVER, CKA_ALWAYS_AUTHENTICATE,
};

static int
origin_read(struct kr_p11_token *t, CK_OBJECT_HANDLE priv,
    struct kr_p11_origin *o, bool *v, struct kr_err *err)
{
	int	ret;

	if ((ret = attr_bools(t, priv, origin_types, v, O_COUNT, err)) !=
	    KR_OK)
		return ret;
	o->local = v[O_LOCAL];
	o->always_sensitive = v[O_ALWAYS_SENSITIVE];
	o->never_extractable = v[O_NEVER_EXTRACTABLE];
	o->sensitive = v[O_SENSITIVE];
	o->extractable = v[O_EXTRACTABLE];
	o->sign_only = v[O_SIGN] && !v[O_DECRYPT] && !v[O_DERIVE] &&
	    !v[O_UNWRAP] && !v[O_SIGN_RECOVER];
	return KR_OK;
}

/* Names every failed part of the origin check in one message. */
static int
origin_refuse(const struct kr_p11_token *t, const struct kr_p11_key *k,
    const struct kr_p11_origin *o, const bool *v, struct kr_err *err)
{
	char	why[512] = "";
	size_t	l;

#define WHY(cond, text)	do {						\
	if (cond) {							\
		l = strlen(why);					\
		(void)snprintf(why + l, sizeof(why) - l, "%s%s",	\
		    l > 0 ? "; " : "", text);				\
	}								\
} while (0)
	WHY(!o->local, "CKA_LOCAL is false (the key was not generated on the "
	    "token)");
	WHY(!o->always_sensitive, "CKA_ALWAYS_SENSITIVE is false (the key "
	    "was once readable)");
	WHY(!o->never_extractable, "CKA_NEVER_EXTRACTABLE is false (the key "
	    "was once exportable)");
	WHY(!o->sensitive, "CKA_SENSITIVE is false");
	WHY(o->extractable, "CKA_EXTRACTABLE is true");
	WHY(!v[O_SIGN], "CKA_SIGN is false");
	WHY(v[O_DECRYPT], "CKA_DECRYPT is true (keyrite keys only sign)");
	WHY(v[O_DERIVE], "CKA_DERIVE is true (keyrite keys only sign)");
	WHY(v[O_UNWRAP], "CKA_UNWRAP is true (keyrite keys only sign)");
	WHY(v[O_SIGN_RECOVER], "CKA_SIGN_RECOVER is true (keyrite keys only "
	    "sign)");
	WHY(!o->spki_match, "its public key is not the one recorded when the "
	    "key was generated");
#undef WHY
	return kr_err_set(err, KR_EREFUSED, "key '%s' on token '%s' (serial "
	    "%s) fails the key-origin check: %s; keyrite will not use it",
	    k->name, t->info.label, t->info.serial, why);
}

/*
 * The check made after generation and before every use: the origin
 * attributes, and the public key compared with the recorded one.
 */
static int
key_check(struct kr_p11_token *t, const struct kr_p11_key *k,
    CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub, struct kr_p11_report *rep,
    struct kr_err *err)
{
	struct kr_p11_origin	*o = &rep->origin;
	uint8_t			 spki[KR_SPKI_MAX_BYTES];
	size_t			 len = 0;
	bool			 v[O_COUNT];
	int			 ret;

	memset(o, 0, sizeof(*o));
	rep->token = t->info;
	if ((ret = origin_read(t, priv, o, v, err)) != KR_OK ||
	    (ret = spki_from_token(t, pub, k->alg, spki, &len, err)) != KR_OK)
		return kr_err_prefix(err, "key '%s': ", k->name);
	o->spki_match = len == k->spki_len &&
	    memcmp(spki, k->spki, len) == 0;
	o->passed = o->local && o->always_sensitive && o->never_extractable &&
	    o->sensitive && !o->extractable && o->sign_only && o->spki_match;
	if (!o->passed)
		return origin_refuse(t, k, o, v, err);
	if (v[O_ALWAYS_AUTH])
		return kr_err_set(err, KR_EREFUSED, "key '%s' on token '%s' "
		    "asks for the PIN before every signature "
		    "(CKA_ALWAYS_AUTHENTICATE); keyrite logs in once and does "
		    "not support such keys", k->name, t->info.label);
	return KR_OK;
}

/* ---- signing ------------------------------------------------------------ */

/* DigestInfo prefixes of RFC 8017, section 9.2, note 1. */
static const uint8_t di_sha256[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};
static const uint8_t di_sha384[] = {
	0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30,
};
static const uint8_t di_sha512[] = {
	0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40,
};

int
kr_p11_digest_info(enum kr_hash_alg h, const uint8_t *md, size_t mdlen,
    uint8_t *out, size_t *outlen)
{
	const uint8_t	*pre;

	if (h == KR_HASH_SHA256)
		pre = di_sha256;
	else if (h == KR_HASH_SHA384)
		pre = di_sha384;
	else if (h == KR_HASH_SHA512)
		pre = di_sha512;
	else
		return KR_EINPUT;
	if (md == NULL || mdlen != kr_hash_len(h))
		return KR_EINPUT;
	memcpy(out, pre, sizeof(di_sha256));
	memcpy(out + sizeof(di_sha256), md, mdlen);
	*outlen = sizeof(di_sha256) + mdlen;
	return KR_OK;
}

/* C_SignInit + C_Sign into out (capacity *outlen). */
static int
p11_sign_raw(struct p11_signer *ps, CK_MECHANISM *mech, const uint8_t *in,
    size_t inlen, uint8_t *out, size_t *outlen, struct kr_err *err)
{
	struct kr_p11_token	*t = ps->tok;
	CK_ULONG		 len = *outlen;
	CK_RV			 rv;

	rv = t->mod->C_SignInit(t->sess, mech, ps->priv);
	if (rv == CKR_OK)
		rv = t->mod->C_Sign(t->sess, (CK_BYTE *)in, inlen, out, &len);
	if (rv != CKR_OK)
		return kr_p11_fail(err, rv, "key '%s' on token '%s' (serial "
		    "%s): signing failed", ps->key.name, t->info.label,
		    t->info.serial);
	/* Nothing past the buffer is the signature, whatever the module says. */
	if (len > *outlen)
		return kr_err_set(err, KR_EVERIFY, "key '%s' on token '%s': the "
		    "token says it wrote a %lu-byte signature into %zu bytes",
		    ps->key.name, t->info.label, len, *outlen);
	*outlen = len;
	return KR_OK;
}

static int
p11_check(struct p11_signer *ps, struct kr_err *err)
{
	return key_check(ps->tok, &ps->key, ps->priv, ps->pub, &ps->rep, err);
}

static int
p11_ecdsa(struct p11_signer *ps, const uint8_t *md, size_t mdlen,
    uint8_t *sig, size_t *siglen, struct kr_err *err)
{
	CK_MECHANISM	mech = { CKM_ECDSA, NULL, 0 };
	uint8_t		raw[96];
	size_t		rawlen = sizeof(raw);
	size_t		want = ps->key.alg == KR_KEY_P256 ? 64 : 96;
	int		ret;

	if ((ret = p11_sign_raw(ps, &mech, md, mdlen, raw, &rawlen, err)) !=
	    KR_OK)
		return ret;
	*siglen = KR_SIG_MAX_BYTES;
	if (rawlen != want || kr_ecdsa_raw_to_der(raw, rawlen, sig, siglen) !=
	    KR_OK)
		return kr_err_set(err, KR_EVERIFY, "key '%s' on token '%s': "
		    "the token gave a malformed ECDSA signature (%zu bytes)",
		    ps->key.name, ps->tok->info.label, rawlen);
	return KR_OK;
}

static CK_MECHANISM_TYPE
hash_mech(enum kr_hash_alg h, CK_RSA_PKCS_MGF_TYPE *mgf)
{
	if (h == KR_HASH_SHA384) {
		*mgf = CKG_MGF1_SHA384;
		return CKM_SHA384;
	}
	if (h == KR_HASH_SHA512) {
		*mgf = CKG_MGF1_SHA512;
		return CKM_SHA512;
	}
	*mgf = CKG_MGF1_SHA256;
	return CKM_SHA256;
}

static bool
sig_is_pss(enum kr_sig_alg sa)
{
	return sa == KR_SIG_RSA_PSS_SHA256 || sa == KR_SIG_RSA_PSS_SHA384 ||
	    sa == KR_SIG_RSA_PSS_SHA512;
}

static int
p11_rsa(struct p11_signer *ps, enum kr_sig_alg sa, const uint8_t *md,
    size_t mdlen, uint8_t *sig, size_t *siglen, struct kr_err *err)
{
	CK_RSA_PKCS_PSS_PARAMS	pss;
	CK_MECHANISM		mech = { CKM_RSA_PKCS, NULL, 0 };
	enum kr_hash_alg	h = kr_sig_alg_hash(sa);
	uint8_t			di[KR_P11_DIGEST_INFO_MAX];
	size_t			dilen = 0;

	*siglen = KR_SIG_MAX_BYTES;
	if (sig_is_pss(sa)) {
		pss.hashAlg = hash_mech(h, &pss.mgf);
		pss.sLen = mdlen;
		mech.mechanism = CKM_RSA_PKCS_PSS;
		mech.pParameter = &pss;
		mech.ulParameterLen = sizeof(pss);
		return p11_sign_raw(ps, &mech, md, mdlen, sig, siglen, err);
	}
	if (kr_p11_digest_info(h, md, mdlen, di, &dilen) != KR_OK)
		return kr_err_set(err, KR_EINTERNAL, "key '%s': no DigestInfo "
		    "for %s (bug: report it)", ps->key.name,
		    kr_sig_alg_name(sa));
	return p11_sign_raw(ps, &mech, di, dilen, sig, siglen, err);
}

static int
p11_sign_digest(struct kr_signer *s, enum kr_sig_alg sa, const uint8_t *md,
    size_t mdlen, uint8_t *sig, size_t *siglen, struct kr_err *err)
{
	struct p11_signer	*ps = s->impl;
	int			 ret;

	if ((ret = p11_check(ps, err)) != KR_OK)
		return ret;
	if (sa == KR_SIG_ECDSA_P256_SHA256 || sa == KR_SIG_ECDSA_P384_SHA384)
		return p11_ecdsa(ps, md, mdlen, sig, siglen, err);
	if (kr_sig_alg_hash(sa) != 0 && (s->alg == KR_KEY_RSA3072 ||
	    s->alg == KR_KEY_RSA4096))
		return p11_rsa(ps, sa, md, mdlen, sig, siglen, err);
	return kr_err_set(err, KR_EREFUSED, "key '%s' (pkcs11 back end) "
	    "cannot make %s signatures over a digest", s->name,
	    kr_sig_alg_name(sa));
}

static int
p11_sign_message(struct kr_signer *s, enum kr_sig_alg sa,
    const uint8_t *msg, size_t msglen, uint8_t *sig, size_t *siglen,
    struct kr_err *err)
{
	struct p11_signer	*ps = s->impl;
	CK_MECHANISM		 mech = { CKM_EDDSA, NULL, 0 };
	int			 ret;

	if (sa != KR_SIG_ED25519 || s->alg != KR_KEY_ED25519)
		return kr_err_set(err, KR_EREFUSED, "key '%s' (pkcs11 back "
		    "end) signs whole messages only with Ed25519", s->name);
	if ((ret = p11_check(ps, err)) != KR_OK)
		return ret;
	*siglen = KR_SIG_MAX_BYTES;
	if ((ret = p11_sign_raw(ps, &mech, msg, msglen, sig, siglen, err)) !=
	    KR_OK)
		return ret;
	if (*siglen != 64)
		return kr_err_set(err, KR_EVERIFY, "key '%s' on token '%s': "
		    "the token gave a %zu-byte Ed25519 signature", s->name,
		    ps->tok->info.label, *siglen);
	return KR_OK;
}

static void
p11_destroy(struct kr_signer *s)
{
	struct p11_signer	*ps = s->impl;

	if (ps == NULL)
		return;
	kr_p11_token_close(&ps->tok);
	kr_wipe(ps, sizeof(*ps));
	free(ps);
	s->impl = NULL;
}

static const struct kr_signer_ops p11_ops = {
	.version = KR_SIGNER_OPS_VERSION,
	.backend = "pkcs11",
	.sign_digest = p11_sign_digest,
	.sign_message = p11_sign_message,
	.destroy = p11_destroy,
};

/* A signer that borrows the token: the pairwise test after generation. */
static const struct kr_signer_ops p11_borrowed_ops = {
	.version = KR_SIGNER_OPS_VERSION,
	.backend = "pkcs11",
	.sign_digest = p11_sign_digest,
	.sign_message = p11_sign_message,
	.destroy = NULL,
};

int
kr_p11_signer_report(const struct kr_signer *s, struct kr_p11_report *rep)
{
	const struct p11_signer	*ps;

	if (s == NULL || s->ops != &p11_ops || s->impl == NULL || rep == NULL)
		return KR_EINPUT;
	ps = s->impl;
	*rep = ps->rep;
	return KR_OK;
}

/*
 * Destroys the private and public key objects of an open (logged-in)
 * signer; the signer can sign no more afterwards.
 */
int
kr_p11_signer_destroy_key(struct kr_signer *s, struct kr_err *err)
{
	struct p11_signer	*ps;
	struct kr_p11_token	*t;
	CK_RV			 rv;

	if (s == NULL || s->ops != &p11_ops || s->impl == NULL)
		return kr_err_set(err, KR_EINTERNAL, "not a token key (bug: "
		    "report it)");
	ps = s->impl;
	t = ps->tok;
	rv = t->mod->C_DestroyObject(t->sess, ps->priv);
	if (rv == CKR_OK && ps->pub != CK_INVALID_HANDLE)
		rv = t->mod->C_DestroyObject(t->sess, ps->pub);
	ps->priv = ps->pub = CK_INVALID_HANDLE;
	if (rv != CKR_OK)
		return kr_p11_fail(err, rv, "destroying key '%s' on token '%s' "
		    "(serial %s)", ps->key.name, t->info.label, t->info.serial);
	return KR_OK;
}

/* ---- keys on the token ----------------------------------------------- */

static int
key_args(const struct kr_p11_key *k, bool need_spki, struct kr_err *err)
{
	struct kr_spki_info	info;
	enum kr_key_alg		alg;
	int			ret;

	if ((ret = kr_key_name_check(k->name, err)) != KR_OK)
		return ret;
	if (k->alg < KR_KEY_P256 || k->alg > KR_KEY_RSA4096)
		return kr_err_set(err, KR_EINPUT, "key '%s': algorithm %d is "
		    "not one keyrite knows", k->name, (int)k->alg);
	if (!need_spki)
		return KR_OK;
	if (k->spki_len == 0 || k->spki_len > KR_SPKI_MAX_BYTES ||
	    kr_spki_parse(k->spki, k->spki_len, &info, err) != KR_OK ||
	    kr_spki_key_alg(&info, &alg) != KR_OK || alg != k->alg)
		return kr_err_set(err, KR_EINPUT, "key '%s': the recorded "
		    "public key is not a %s key", k->name, alg_name(k->alg));
	return KR_OK;
}

/* The one object of a class with the key's id and label, if any. */
static int
key_object(struct kr_p11_token *t, const struct kr_p11_key *k,
    CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *h, bool *found,
    struct kr_err *err)
{
	CK_OBJECT_HANDLE	hs[OBJS_MAX];
	size_t			n = 0;
	int			ret;

	*found = false;
	if ((ret = objects_find(t, cls, k->p11_id, k->name, hs, OBJS_MAX, &n,
	    err)) != KR_OK)
		return ret;
	if (n > 1)
		return kr_err_set(err, KR_EREFUSED, "token '%s' (serial %s) "
		    "holds %zu %s key objects labelled '%s' with the same id; "
		    "keyrite will not guess which one to use", t->info.label,
		    t->info.serial, n, cls == CKO_PRIVATE_KEY ? "private" :
		    "public", k->name);
	if (n == 1) {
		*h = hs[0];
		*found = true;
	}
	return KR_OK;
}

static void
id_hex(const uint8_t *id, char *hex)
{
	kr_hex_encode(hex, id, KR_P11_ID_BYTES);
}

/* The URI's object= and id=, if given, must be this key's. */
static int
uri_object_check(struct kr_p11_token *t, const struct kr_p11_key *k,
    struct kr_err *err)
{
	CK_ATTRIBUTE	a[2];
	CK_ULONG	n = 0;

	attr_add(a, &n, CKA_LABEL, k->name, strlen(k->name));
	attr_add(a, &n, CKA_ID, k->p11_id, KR_P11_ID_BYTES);
	if (!p11_kit_uri_match_attributes(t->uri, a, n))
		return kr_err_set(err, KR_EUSAGE, "the pkcs11: URI names "
		    "another object than key '%s' (its object= or id= differ "
		    "from the key's label and id)", k->name);
	return KR_OK;
}

/* The public key object, if visible, must be the recorded one. */
static int
public_precheck(struct kr_p11_token *t, const struct kr_p11_key *k,
    struct kr_err *err)
{
	CK_OBJECT_HANDLE	pub = CK_INVALID_HANDLE;
	uint8_t			spki[KR_SPKI_MAX_BYTES];
	size_t			len = 0;
	bool			found = false;
	int			ret;

	if ((ret = key_object(t, k, CKO_PUBLIC_KEY, &pub, &found, err)) !=
	    KR_OK || !found)
		return ret;
	if ((ret = spki_from_token(t, pub, k->alg, spki, &len, err)) != KR_OK)
		return kr_err_prefix(err, "key '%s': ", k->name);
	if (len != k->spki_len || memcmp(spki, k->spki, len) != 0)
		return kr_err_set(err, KR_EVERIFY, "key '%s' on token '%s' "
		    "(serial %s): the public key on the token is not the one "
		    "recorded when the key was generated; keyrite did not log "
		    "in", k->name, t->info.label, t->info.serial);
	return KR_OK;
}

/* After login: the private and public objects, both present. */
static int
key_objects(struct kr_p11_token *t, const struct kr_p11_key *k,
    CK_OBJECT_HANDLE *priv, CK_OBJECT_HANDLE *pub, struct kr_err *err)
{
	char	hex[2 * KR_P11_ID_BYTES + 1];
	bool	fpriv = false, fpub = false;
	int	ret;

	if ((ret = key_object(t, k, CKO_PRIVATE_KEY, priv, &fpriv, err)) !=
	    KR_OK ||
	    (ret = key_object(t, k, CKO_PUBLIC_KEY, pub, &fpub, err)) != KR_OK)
		return ret;
	if (fpriv && fpub)
		return KR_OK;
	id_hex(k->p11_id, hex);
	return kr_err_set(err, KR_ENOENT, "token '%s' (serial %s) has no %s "
	    "key labelled '%s' with id %s: was the key destroyed, or is this "
	    "another token?", t->info.label, t->info.serial,
	    !fpriv ? "private" : "public", k->name, hex);
}

int
kr_p11_signer_open(struct kr_p11_token **tp, const struct kr_p11_key *k,
    const char *pin, struct kr_signer **out, struct kr_p11_report *rep,
    struct kr_err *err)
{
	struct kr_p11_token	*t = *tp;
	struct p11_signer	*ps = NULL;
	int			 ret = KR_EINTERNAL;

	*tp = NULL;
	*out = NULL;
	if (t == NULL || k == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no token or key was "
		    "given (bug: report it)");
	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	ps->key = *k;
	ps->rep.token = t->info;
	if ((ret = key_args(k, true, err)) != KR_OK ||
	    (ret = uri_object_check(t, k, err)) != KR_OK ||
	    (ret = public_precheck(t, k, err)) != KR_OK ||
	    (ret = token_login(t, CKU_USER, pin, err)) != KR_OK ||
	    (ret = key_objects(t, k, &ps->priv, &ps->pub, err)) != KR_OK ||
	    (ret = key_check(t, k, ps->priv, ps->pub, &ps->rep, err)) != KR_OK)
		goto out;
	ps->tok = t;
	*out = kr_signer_new(&p11_ops, ps, k->name, k->key_id, k->alg,
	    k->purpose, k->spki, k->spki_len);
	if (*out == NULL) {
		ps->tok = NULL;
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	t = NULL;
	ret = KR_OK;
out:
	if (rep != NULL && ps != NULL)
		*rep = ps->rep;
	if (ret != KR_OK)
		free(ps);
	kr_p11_token_close(&t);
	return ret;
}

/* ---- generation --------------------------------------------------------- */

static const char *
mech_name(CK_MECHANISM_TYPE m)
{
	switch (m) {
	case CKM_EC_KEY_PAIR_GEN:
		return "CKM_EC_KEY_PAIR_GEN";
	case CKM_EC_EDWARDS_KEY_PAIR_GEN:
		return "CKM_EC_EDWARDS_KEY_PAIR_GEN";
	case CKM_RSA_PKCS_KEY_PAIR_GEN:
		return "CKM_RSA_PKCS_KEY_PAIR_GEN";
	case CKM_ECDSA:
		return "CKM_ECDSA";
	case CKM_EDDSA:
		return "CKM_EDDSA";
	default:
		return "CKM_RSA_PKCS";
	}
}

static int
mech_need(struct kr_p11_token *t, CK_MECHANISM_TYPE m, CK_FLAGS flag,
    enum kr_key_alg alg, struct kr_err *err)
{
	CK_MECHANISM_INFO	mi;
	CK_RV			rv;

	rv = t->mod->C_GetMechanismInfo(t->slot, m, &mi);
	if (rv == CKR_OK && !(mi.flags & flag))
		rv = CKR_MECHANISM_INVALID;
	if (rv != CKR_OK)
		return kr_p11_fail(err, rv, "token '%s' (serial %s) cannot "
		    "hold a %s key: %s", t->info.label, t->info.serial,
		    alg_name(alg), mech_name(m));
	return KR_OK;
}

/* The token offers the mechanisms to make and use a key of alg. */
static int
mech_check(struct kr_p11_token *t, enum kr_key_alg alg, struct kr_err *err)
{
	CK_MECHANISM_TYPE	gen, sign;
	int			ret;

	if (alg == KR_KEY_P256 || alg == KR_KEY_P384) {
		gen = CKM_EC_KEY_PAIR_GEN;
		sign = CKM_ECDSA;
	} else if (alg == KR_KEY_ED25519) {
		gen = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		sign = CKM_EDDSA;
	} else {
		gen = CKM_RSA_PKCS_KEY_PAIR_GEN;
		sign = CKM_RSA_PKCS;
	}
	if ((ret = mech_need(t, gen, CKF_GENERATE_KEY_PAIR, alg, err)) !=
	    KR_OK)
		return ret;
	return mech_need(t, sign, CKF_SIGN, alg, err);
}

/* No object on the token may carry the key's label or (if given) id. */
static int
key_free(struct kr_p11_token *t, const struct kr_p11_key *k, bool by_id,
    struct kr_err *err)
{
	CK_OBJECT_HANDLE	h[1];
	size_t			n = 0;
	int			ret;

	if ((ret = objects_find(t, 0, NULL, k->name, h, 1, &n, err)) != KR_OK)
		return ret;
	if (n > 0)
		return kr_err_set(err, KR_EEXIST, "token '%s' (serial %s) "
		    "already holds an object labelled '%s': choose another key "
		    "name, or destroy the old key first", t->info.label,
		    t->info.serial, k->name);
	if (by_id && (ret = objects_find(t, 0, k->p11_id, NULL, h, 1, &n,
	    err)) != KR_OK)
		return ret;
	if (by_id && n > 0)
		return kr_err_set(err, KR_EEXIST, "token '%s' (serial %s) "
		    "already holds an object with the random id drawn for key "
		    "'%s'; nothing was generated, try again", t->info.label,
		    t->info.serial, k->name);
	return KR_OK;
}

/* The templates of C_GenerateKeyPair; attributes point into the struct. */
struct keygen_tpl {
	CK_MECHANISM	mech;
	CK_ATTRIBUTE	pub[16];
	CK_ATTRIBUTE	priv[16];
	CK_ULONG	npub, npriv;
	CK_OBJECT_CLASS	pubcls, privcls;
	CK_KEY_TYPE	ktype;
	CK_ULONG	bits;
	CK_BBOOL	yes, no;
	uint8_t		exp[3];
};

static void
tpl_common(struct keygen_tpl *g, const struct kr_p11_key *k)
{
	size_t	ll = strlen(k->name);

	g->yes = CK_TRUE;
	g->no = CK_FALSE;
	g->pubcls = CKO_PUBLIC_KEY;
	g->privcls = CKO_PRIVATE_KEY;
	attr_add(g->pub, &g->npub, CKA_CLASS, &g->pubcls, sizeof(g->pubcls));
	attr_add(g->pub, &g->npub, CKA_KEY_TYPE, &g->ktype, sizeof(g->ktype));
	attr_add(g->pub, &g->npub, CKA_TOKEN, &g->yes, 1);
	attr_add(g->pub, &g->npub, CKA_PRIVATE, &g->no, 1);
	attr_add(g->pub, &g->npub, CKA_VERIFY, &g->yes, 1);
	attr_add(g->pub, &g->npub, CKA_ENCRYPT, &g->no, 1);
	attr_add(g->pub, &g->npub, CKA_WRAP, &g->no, 1);
	attr_add(g->pub, &g->npub, CKA_VERIFY_RECOVER, &g->no, 1);
	attr_add(g->pub, &g->npub, CKA_DERIVE, &g->no, 1);
	attr_add(g->pub, &g->npub, CKA_ID, k->p11_id, KR_P11_ID_BYTES);
	attr_add(g->pub, &g->npub, CKA_LABEL, k->name, ll);
	attr_add(g->priv, &g->npriv, CKA_CLASS, &g->privcls,
	    sizeof(g->privcls));
	attr_add(g->priv, &g->npriv, CKA_KEY_TYPE, &g->ktype,
	    sizeof(g->ktype));
	attr_add(g->priv, &g->npriv, CKA_TOKEN, &g->yes, 1);
	attr_add(g->priv, &g->npriv, CKA_PRIVATE, &g->yes, 1);
	attr_add(g->priv, &g->npriv, CKA_SENSITIVE, &g->yes, 1);
	attr_add(g->priv, &g->npriv, CKA_EXTRACTABLE, &g->no, 1);
	attr_add(g->priv, &g->npriv, CKA_SIGN, &g->yes, 1);
	attr_add(g->priv, &g->npriv, CKA_SIGN_RECOVER, &g->no, 1);
	attr_add(g->priv, &g->npriv, CKA_DECRYPT, &g->no, 1);
	attr_add(g->priv, &g->npriv, CKA_UNWRAP, &g->no, 1);
	attr_add(g->priv, &g->npriv, CKA_DERIVE, &g->no, 1);
	attr_add(g->priv, &g->npriv, CKA_ID, k->p11_id, KR_P11_ID_BYTES);
	attr_add(g->priv, &g->npriv, CKA_LABEL, k->name, ll);
}

/* ecp: the CKA_EC_PARAMS to send for an EC or Edwards key. */
static void
tpl_build(struct keygen_tpl *g, const struct kr_p11_key *k,
    const void *ecp, size_t ecplen)
{
	memset(g, 0, sizeof(*g));
	if (k->alg == KR_KEY_RSA3072 || k->alg == KR_KEY_RSA4096) {
		g->mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		g->ktype = CKK_RSA;
		g->bits = k->alg == KR_KEY_RSA3072 ? 3072 : 4096;
		memcpy(g->exp, "\x01\x00\x01", 3);
		tpl_common(g, k);
		attr_add(g->pub, &g->npub, CKA_MODULUS_BITS, &g->bits,
		    sizeof(g->bits));
		attr_add(g->pub, &g->npub, CKA_PUBLIC_EXPONENT, g->exp, 3);
		return;
	}
	g->mech.mechanism = k->alg == KR_KEY_ED25519 ?
	    CKM_EC_EDWARDS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN;
	g->ktype = k->alg == KR_KEY_ED25519 ? CKK_EC_EDWARDS : CKK_EC;
	tpl_common(g, k);
	attr_add(g->pub, &g->npub, CKA_EC_PARAMS, ecp, ecplen);
}

static CK_RV
keygen_once(struct kr_p11_token *t, const struct kr_p11_key *k,
    const void *ecp, size_t ecplen, CK_OBJECT_HANDLE *pub,
    CK_OBJECT_HANDLE *priv)
{
	struct keygen_tpl	g;

	tpl_build(&g, k, ecp, ecplen);
	return t->mod->C_GenerateKeyPair(t->sess, &g.mech, g.pub, g.npub,
	    g.priv, g.npriv, pub, priv);
}

/*
 * Generates the key pair.  Ed25519 is asked for with the OID id-Ed25519
 * first (RFC 8410, PKCS#11 3.1), then with the PrintableString
 * "edwards25519" of PKCS#11 3.0 for a token that knows only that.
 */
static int
keygen_run(struct kr_p11_token *t, const struct kr_p11_key *k,
    CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv, struct kr_err *err)
{
	CK_RV	rv;

	if (k->alg == KR_KEY_P256)
		rv = keygen_once(t, k, KR_P11_OID_P256, KR_P11_OID_P256_BYTES,
		    pub, priv);
	else if (k->alg == KR_KEY_P384)
		rv = keygen_once(t, k, KR_P11_OID_P384, KR_P11_OID_P384_BYTES,
		    pub, priv);
	else if (k->alg == KR_KEY_ED25519) {
		rv = keygen_once(t, k, KR_P11_OID_ED25519,
		    KR_P11_OID_ED25519_BYTES, pub, priv);
		if (rv == CKR_ATTRIBUTE_VALUE_INVALID ||
		    rv == CKR_CURVE_NOT_SUPPORTED ||
		    rv == CKR_DOMAIN_PARAMS_INVALID ||
		    rv == CKR_TEMPLATE_INCONSISTENT)
			rv = keygen_once(t, k, KR_P11_STR_ED25519,
			    KR_P11_STR_ED25519_BYTES, pub, priv);
	} else
		rv = keygen_once(t, k, NULL, 0, pub, priv);
	if (rv != CKR_OK)
		return kr_p11_fail(err, rv, "generating %s key '%s' on token "
		    "'%s' (serial %s)", alg_name(k->alg), k->name,
		    t->info.label, t->info.serial);
	return KR_OK;
}

static const uint8_t pairwise_msg[] = "keyrite pairwise consistency test";

/* Signs a fixed message with the new key and verifies it with its SPKI. */
static int
pairwise_test(struct kr_p11_token *t, const struct kr_p11_key *k,
    CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub, struct kr_err *err)
{
	struct p11_signer	 ps;
	struct kr_signer	*s;
	uint8_t			 sig[KR_SIG_MAX_BYTES];
	size_t			 siglen = 0;
	enum kr_sig_alg		 sa = kr_sig_alg_default(k->alg);
	int			 ret;

	memset(&ps, 0, sizeof(ps));
	ps.tok = t;
	ps.priv = priv;
	ps.pub = pub;
	ps.key = *k;
	s = kr_signer_new(&p11_borrowed_ops, &ps, k->name, k->key_id, k->alg,
	    k->purpose, k->spki, k->spki_len);
	if (s == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_signer_sign(s, sa, pairwise_msg, sizeof(pairwise_msg), sig,
	    &siglen, err);
	kr_signer_free(&s);
	if (ret != KR_OK)
		return ret;
	if (kr_sig_verify(sa, k->spki, k->spki_len, pairwise_msg,
	    sizeof(pairwise_msg), sig, siglen, 0, err) != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "the new %s key '%s' on "
		    "token '%s' failed its pairwise consistency test (sign, "
		    "then verify); it was destroyed again", alg_name(k->alg),
		    k->name, t->info.label);
	return KR_OK;
}

/* Reads the new key back, checks its origin, signs and verifies. */
static int
keygen_check(struct kr_p11_token *t, struct kr_p11_key *k,
    CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub, struct kr_p11_report *rep,
    struct kr_err *err)
{
	int	ret;

	if ((ret = spki_from_token(t, pub, k->alg, k->spki, &k->spki_len,
	    err)) != KR_OK)
		return kr_err_prefix(err, "new key '%s': ", k->name);
	if ((ret = key_check(t, k, priv, pub, rep, err)) != KR_OK)
		return ret;
	return pairwise_test(t, k, priv, pub, err);
}

static void
objects_destroy(struct kr_p11_token *t, CK_OBJECT_HANDLE priv,
    CK_OBJECT_HANDLE pub)
{
	if (priv != CK_INVALID_HANDLE)
		(void)t->mod->C_DestroyObject(t->sess, priv);
	if (pub != CK_INVALID_HANDLE)
		(void)t->mod->C_DestroyObject(t->sess, pub);
}

int
kr_p11_key_generate(struct kr_p11_token *t, const char *pin,
    struct kr_p11_key *k, struct kr_p11_report *rep, struct kr_err *err)
{
	struct kr_p11_report	r;
	CK_OBJECT_HANDLE	pub = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE	priv = CK_INVALID_HANDLE;
	int			ret = KR_EINTERNAL;

	memset(&r, 0, sizeof(r));
	if (t == NULL || k == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no token or key was "
		    "given (bug: report it)");
	r.token = t->info;
	k->spki_len = 0;
	if ((ret = key_args(k, false, err)) != KR_OK ||
	    (ret = mech_check(t, k->alg, err)) != KR_OK ||
	    (ret = key_free(t, k, false, err)) != KR_OK ||
	    (ret = token_login(t, CKU_USER, pin, err)) != KR_OK)
		goto out;
	kr_random(k->p11_id, sizeof(k->p11_id));
	if ((ret = key_free(t, k, true, err)) != KR_OK ||
	    (ret = keygen_run(t, k, &pub, &priv, err)) != KR_OK)
		goto out;
	if ((ret = keygen_check(t, k, priv, pub, &r, err)) != KR_OK)
		objects_destroy(t, priv, pub);
out:
	if (ret != KR_OK)
		k->spki_len = 0;
	token_logout(t);
	if (rep != NULL)
		*rep = r;
	return ret;
}

int
kr_p11_key_destroy(struct kr_p11_token *t, const char *pin,
    const struct kr_p11_key *k, struct kr_err *err)
{
	CK_OBJECT_HANDLE	priv = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE	pub = CK_INVALID_HANDLE;
	char			hex[2 * KR_P11_ID_BYTES + 1];
	bool			fpriv = false, fpub = false;
	CK_RV			rv = CKR_OK;
	int			ret = KR_EINTERNAL;

	if (t == NULL || k == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no token or key was "
		    "given (bug: report it)");
	if ((ret = key_args(k, true, err)) != KR_OK ||
	    (ret = public_precheck(t, k, err)) != KR_OK ||
	    (ret = token_login(t, CKU_USER, pin, err)) != KR_OK ||
	    (ret = key_object(t, k, CKO_PRIVATE_KEY, &priv, &fpriv, err)) !=
	    KR_OK ||
	    (ret = key_object(t, k, CKO_PUBLIC_KEY, &pub, &fpub, err)) != KR_OK)
		goto out;
	id_hex(k->p11_id, hex);
	if (!fpriv && !fpub) {
		ret = kr_err_set(err, KR_ENOENT, "token '%s' (serial %s) holds "
		    "no key labelled '%s' with id %s: nothing was destroyed",
		    t->info.label, t->info.serial, k->name, hex);
		goto out;
	}
	if (fpriv)
		rv = t->mod->C_DestroyObject(t->sess, priv);
	if (rv == CKR_OK && fpub)
		rv = t->mod->C_DestroyObject(t->sess, pub);
	ret = rv == CKR_OK ? KR_OK : kr_p11_fail(err, rv, "destroying key "
	    "'%s' (id %s) on token '%s' (serial %s)", k->name, hex,
	    t->info.label, t->info.serial);
out:
	token_logout(t);
	return ret;
}

/* ---- PINs and token initialisation ----------------------------------- */

struct kr_p11_pins *
kr_p11_pins_new(void)
{
	struct kr_p11_pins	*p;

	if ((p = kr_secure_alloc(sizeof(*p))) != NULL)
		memset(p, 0, sizeof(*p));
	return p;
}

void
kr_p11_pins_free(struct kr_p11_pins **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	kr_wipe(*pp, sizeof(**pp));
	kr_secure_free(*pp);
	*pp = NULL;
}

void
kr_p11_pin_draw(char *pin, size_t len)
{
	static const char	alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint8_t			r[KR_P11_PIN_MAX];
	size_t			i;

	if (len > KR_P11_PIN_MAX)
		len = KR_P11_PIN_MAX;
	kr_random(r, len);
	for (i = 0; i < len; i++)
		pin[i] = alphabet[r[i] & 31];	/* 32 symbols: no bias */
	pin[len] = '\0';
	kr_wipe(r, sizeof(r));
}

/* The label-only URI, and the URI without its label (for the blank one). */
static int
init_uris(struct kr_p11_token *t, const struct kr_p11_where *w,
    P11KitUri **lab, P11KitUri **sel, char *label, struct kr_err *err)
{
	CK_TOKEN_INFO	*ti = p11_kit_uri_get_token_info(t->uri);
	int		 ret;

	if (ti->label[0] == 0)
		return kr_err_set(err, KR_EUSAGE, "give the label for the new "
		    "token (--token LABEL or token= in the URI)");
	space_copy(label, KR_P11_LABEL_MAX + 1, ti->label, sizeof(ti->label));
	if ((*lab = p11_kit_uri_new()) == NULL ||
	    (*sel = p11_kit_uri_new()) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = uri_set_label(*lab, label, err)) != KR_OK)
		return ret;
	if (w->uri != NULL && (ret = uri_parse(w->uri, *sel, err)) != KR_OK)
		return ret;
	memset(p11_kit_uri_get_token_info(*sel)->label, 0, KR_P11_LABEL_MAX);
	return KR_OK;
}

/* The one blank token to initialise; refuses a label already in use. */
static int
init_pick_blank(struct kr_p11_token *t, P11KitUri *lab, P11KitUri *sel,
    const char *label, CK_SLOT_ID *blank, struct kr_err *err)
{
	char	seen[256] = "";
	size_t	count = 0;
	int	ret;

	if ((ret = slots_match(t, lab, false, blank, &count, seen,
	    sizeof(seen), err)) != KR_OK)
		return ret;
	if (count > 0)
		return kr_err_set(err, KR_EEXIST, "module %s already has an "
		    "initialised token labelled '%s': keyrite never "
		    "initialises a token again; choose another label",
		    t->info.module, label);
	if ((ret = slots_match(t, sel, true, blank, &count, NULL, 0, err)) !=
	    KR_OK)
		return ret;
	if (count == 0)
		return kr_err_set(err, KR_ENOENT, "module %s has no blank "
		    "(uninitialised) token to initialise (tokens present: %s)",
		    t->info.module, seen[0] != '\0' ? seen : "none");
	if (count > 1)
		return kr_err_set(err, KR_EREFUSED, "module %s has %zu blank "
		    "tokens; name the one to initialise by its serial "
		    "(pkcs11:serial=...)", t->info.module, count);
	return KR_OK;
}

/* Draws the SO and user PINs, as long as the token allows (<= 32). */
static int
init_pins(struct kr_p11_token *t, CK_SLOT_ID blank, struct kr_p11_pins **out,
    struct kr_err *err)
{
	CK_TOKEN_INFO	ti;
	size_t		len = KR_P11_PIN_LEN;
	CK_RV		rv;

	if ((rv = t->mod->C_GetTokenInfo(blank, &ti)) != CKR_OK)
		return kr_p11_fail(err, rv, "reading the blank token on module "
		    "%s", t->info.module);
	if (ti.ulMaxPinLen != CK_UNAVAILABLE_INFORMATION &&
	    ti.ulMaxPinLen != 0 && ti.ulMaxPinLen < len)
		len = ti.ulMaxPinLen;
	if (len < 6 || (ti.ulMinPinLen != CK_UNAVAILABLE_INFORMATION &&
	    len < ti.ulMinPinLen))
		return kr_err_set(err, KR_EREFUSED, "the blank token on module "
		    "%s takes PINs of %lu to %lu characters; keyrite needs at "
		    "least 6 random characters", t->info.module,
		    ti.ulMinPinLen, ti.ulMaxPinLen);
	if ((*out = kr_p11_pins_new()) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	kr_p11_pin_draw((*out)->so, len);
	kr_p11_pin_draw((*out)->user, len);
	return KR_OK;
}

/* After C_InitToken: find the token again (its slot may change). */
static int
init_refind(struct kr_p11_token *t, P11KitUri *lab, const char *label,
    struct kr_err *err)
{
	size_t	count = 0;
	int	ret;

	if ((ret = slots_match(t, lab, false, &t->slot, &count, NULL, 0,
	    err)) != KR_OK)
		return ret;
	if (count != 1)
		return kr_err_set(err, KR_EIO, "module %s: the token "
		    "initialised as '%s' is not found again (%zu match)",
		    t->info.module, label, count);
	return KR_OK;
}

static int
init_run(struct kr_p11_token *t, P11KitUri *lab, const char *label,
    CK_SLOT_ID blank, const struct kr_p11_pins *pins, struct kr_err *err)
{
	unsigned char	padded[KR_P11_LABEL_MAX];
	CK_RV		rv;
	int		ret;

	label_pad(padded, label);
	rv = t->mod->C_InitToken(blank, (CK_UTF8CHAR *)pins->so,
	    strlen(pins->so), padded);
	if (rv != CKR_OK)
		return kr_p11_fail(err, rv, "initialising the blank token on "
		    "module %s as '%s'", t->info.module, label);
	if ((ret = init_refind(t, lab, label, err)) != KR_OK ||
	    (ret = session_open(t, err)) != KR_OK ||
	    (ret = token_login(t, CKU_SO, pins->so, err)) != KR_OK)
		goto fail;
	rv = t->mod->C_InitPIN(t->sess, (CK_UTF8CHAR *)pins->user,
	    strlen(pins->user));
	token_logout(t);
	if (rv != CKR_OK) {
		ret = kr_p11_fail(err, rv, "setting the user PIN");
		goto fail;
	}
	return kr_p11_token_info(t, NULL, err);
fail:
	return kr_err_prefix(err, "token '%s' was initialised but could not "
	    "be set up, and its PINs are lost: delete or reset it with the "
	    "token's own tools before trying again: ", label);
}

int
kr_p11_token_init(const struct kr_p11_where *w, struct kr_p11_pins **pinsp,
    struct kr_p11_token_info *info, struct kr_err *err)
{
	struct kr_p11_token	*t = NULL;
	struct kr_p11_pins	*pins = NULL;
	P11KitUri		*lab = NULL, *sel = NULL;
	char			 label[KR_P11_LABEL_MAX + 1];
	const char		*path;
	CK_SLOT_ID		 blank = 0;
	int			 ret = KR_EINTERNAL;

	*pinsp = NULL;
	if ((ret = token_new(w, &t, err)) != KR_OK)
		return ret;
	if ((ret = init_uris(t, w, &lab, &sel, label, err)) != KR_OK)
		goto out;
	path = w->module != NULL ? w->module :
	    p11_kit_uri_get_module_path(t->uri);
	if (path == NULL) {
		ret = kr_err_set(err, KR_EUSAGE, "give the module of the blank "
		    "token (--module PATH or ?module-path= in the URI): "
		    "keyrite initialises a token only on a module named "
		    "explicitly");
		goto out;
	}
	if ((ret = module_load_path(t, path, err)) != KR_OK ||
	    (ret = init_pick_blank(t, lab, sel, label, &blank, err)) != KR_OK ||
	    (ret = init_pins(t, blank, &pins, err)) != KR_OK ||
	    (ret = init_run(t, lab, label, blank, pins, err)) != KR_OK)
		goto out;
	if (info != NULL)
		*info = t->info;
	*pinsp = pins;
	pins = NULL;
out:
	kr_p11_pins_free(&pins);
	if (lab != NULL)
		p11_kit_uri_free(lab);
	if (sel != NULL)
		p11_kit_uri_free(sel);
	kr_p11_token_close(&t);
	return ret;
}
