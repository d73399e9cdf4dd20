/*
 * PKCS#11 tokens, sessions and login.
 *
 * Modules are loaded through p11-kit (managed mode, so each open token
 * has its own sessions); a token is named by label or by an RFC 7512
 * "pkcs11:" URI that p11-kit parses, found on the module named or on the
 * modules registered with p11-kit.  A PIN is tried exactly once: a refused
 * PIN is reported, never retried.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include <keyrite/keystore.h>

#include "pkcs11_int.h"
#include "pkcs11_token_int.h"

/* ---- small helpers ------------------------------------------------- */

void
kr_p11_space_copy(char *dst, size_t cap, const unsigned char *src, size_t len)
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
	kr_p11_space_copy(in->label, sizeof(in->label), ti->label,
	    sizeof(ti->label));
	kr_p11_space_copy(in->manufacturer, sizeof(in->manufacturer),
	    ti->manufacturerID, sizeof(ti->manufacturerID));
	kr_p11_space_copy(in->model, sizeof(in->model), ti->model,
	    sizeof(ti->model));
	kr_p11_space_copy(in->serial, sizeof(in->serial), ti->serialNumber,
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
void
kr_p11_label_pad(unsigned char *dst, const char *label)
{
	memset(dst, ' ', KR_P11_LABEL_MAX);
	memcpy(dst, label, strlen(label));
}

const char *
kr_p11_alg_name(enum kr_key_alg alg)
{
	const char	*n = kr_key_alg_name(alg);

	return n != NULL ? n : "unknown";
}

/* ---- URIs ---------------------------------------------------------- */

int
kr_p11_uri_parse(const char *s, P11KitUri *uri, struct kr_err *err)
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
int
kr_p11_uri_set_label(P11KitUri *uri, const char *label, struct kr_err *err)
{
	CK_TOKEN_INFO	*ti = p11_kit_uri_get_token_info(uri);
	unsigned char	 pad[KR_P11_LABEL_MAX];
	char		 have[KR_P11_LABEL_MAX + 1];

	if (label[0] == '\0' || strlen(label) > KR_P11_LABEL_MAX)
		return kr_err_set(err, KR_EUSAGE, "token label '%s' must be 1 "
		    "to %d bytes", label, KR_P11_LABEL_MAX);
	kr_p11_label_pad(pad, label);
	if (ti->label[0] != 0 && memcmp(ti->label, pad, sizeof(pad)) != 0) {
		kr_p11_space_copy(have, sizeof(have), ti->label,
		    sizeof(ti->label));
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
	if (w->uri != NULL &&
	    (ret = kr_p11_uri_parse(w->uri, uri, err)) != KR_OK)
		goto fail;
	if (w->token != NULL &&
	    (ret = kr_p11_uri_set_label(uri, w->token, err)) != KR_OK)
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
int
kr_p11_module_load(struct kr_p11_token *t, const char *path,
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

	kr_p11_space_copy(label, sizeof(label), ti->label, sizeof(ti->label));
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
int
kr_p11_slots_match(struct kr_p11_token *t, P11KitUri *uri, bool blank,
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

	ret = kr_p11_slots_match(t, t->uri, false, &t->slot, count, seen, cap,
	    err);
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

	kr_p11_space_copy(label, sizeof(label), ti->label, sizeof(ti->label));
	kr_p11_space_copy(serial, sizeof(serial), ti->serialNumber,
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

	if ((ret = kr_p11_module_load(t, path, err)) != KR_OK ||
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

int
kr_p11_session_open(struct kr_p11_token *t, struct kr_err *err)
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

int
kr_p11_token_new(const struct kr_p11_where *w, struct kr_p11_token **out,
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
	if ((ret = kr_p11_token_new(w, &t, err)) != KR_OK)
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
		ret = kr_p11_session_open(t, err);
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
int
kr_p11_login(struct kr_p11_token *t, CK_USER_TYPE who, const char *pin,
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

void
kr_p11_logout(struct kr_p11_token *t)
{
	if (t->logged_in)
		(void)t->mod->C_Logout(t->sess);
	t->logged_in = false;
}
