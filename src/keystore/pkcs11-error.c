/*
 * The PKCS#11 back end's one boundary for CK_RV: every return value a
 * token gives becomes a keyrite error here, worded for the operator (what
 * it means, what to do next), with the matching KR_E* code.
 */

#include <stdarg.h>
#include <stdio.h>

#include <p11-kit/pkcs11.h>
#include <p11-kit/p11-kit.h>

#include <keyrite/keystore.h>

#include "pkcs11_int.h"

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
