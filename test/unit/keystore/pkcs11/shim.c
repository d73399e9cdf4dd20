/*
 * A PKCS#11 module for the tests only: it forwards every call to SoftHSM2
 * and changes three things, each switched on by an environment variable
 * read at call time:
 *
 *   KR_SHIM_LOGINS=FILE	appends one line per C_Login ("login USERTYPE")
 *   KR_SHIM_HIDE_MECH=HEX	C_GetMechanismInfo says the mechanism is absent
 *   KR_SHIM_PIN_LOCKED=1	C_GetTokenInfo sets CKF_USER_PIN_LOCKED
 *
 * so the tests can count logins (exactly one, or none before a refusal)
 * and see the messages for a missing mechanism and a locked PIN.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#define REAL_MODULE	"/usr/lib/softhsm/libsofthsm2.so"

static CK_FUNCTION_LIST	 shim;
static CK_FUNCTION_LIST	*real;

CK_RV	C_GetFunctionList(CK_FUNCTION_LIST **);

static CK_RV
shim_login(CK_SESSION_HANDLE s, CK_USER_TYPE who, CK_UTF8CHAR *pin,
    CK_ULONG len)
{
	const char	*path = getenv("KR_SHIM_LOGINS");
	FILE		*fp;

	if (path != NULL && (fp = fopen(path, "a")) != NULL) {
		fprintf(fp, "login %lu\n", who);
		fclose(fp);
	}
	return real->C_Login(s, who, pin, len);
}

static CK_RV
shim_mech_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE m, CK_MECHANISM_INFO *mi)
{
	const char	*hide = getenv("KR_SHIM_HIDE_MECH");

	if (hide != NULL && strtoul(hide, NULL, 16) == m)
		return CKR_MECHANISM_INVALID;
	return real->C_GetMechanismInfo(slot, m, mi);
}

static CK_RV
shim_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO *ti)
{
	CK_RV	rv = real->C_GetTokenInfo(slot, ti);

	if (rv == CKR_OK && getenv("KR_SHIM_PIN_LOCKED") != NULL)
		ti->flags |= CKF_USER_PIN_LOCKED;
	return rv;
}

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST **out)
{
	CK_RV	(*get)(CK_FUNCTION_LIST **);
	void	*h;
	CK_RV	 rv;

	if (real == NULL) {
		if ((h = dlopen(REAL_MODULE, RTLD_NOW | RTLD_LOCAL)) == NULL)
			return CKR_GENERAL_ERROR;
		*(void **)&get = dlsym(h, "C_GetFunctionList");
		if (get == NULL)
			return CKR_GENERAL_ERROR;
		if ((rv = get(&real)) != CKR_OK)
			return rv;
		shim = *real;
		shim.C_Login = shim_login;
		shim.C_GetMechanismInfo = shim_mech_info;
		shim.C_GetTokenInfo = shim_token_info;
	}
	*out = &shim;
	return CKR_OK;
}
