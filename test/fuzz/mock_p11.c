/*
 * A PKCS#11 module for fuzz_p11 only: one slot with one token "mock"
 * holding one P-256 key pair (the RFC 6979 A.2.5 public key; no private
 * key exists; the public key object also answers for an RSA-3072 key),
 * answering the few functions keyrite calls.
 *
 * The fuzz target hands it bytes with kr_mock_p11_feed(); every answer
 * takes what it needs from them: a return code, a length that lies, a
 * count, flags, attribute bytes.  A zero byte (or the end of the bytes)
 * means the honest answer, so inputs reach deep into keyrite's checks.
 * It never writes past the buffers the caller gives: a module that does
 * cannot be defended against; one that lies about lengths must be.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "mock_p11.h"

CK_RV	C_GetFunctionList(CK_FUNCTION_LIST **);
void	kr_mock_p11_feed(const uint8_t *, size_t);

#define SLOT		1
#define SESSION		7
#define H_PRIV		1
#define H_PUB		2

static const uint8_t	*feed;
static size_t		 feed_len, feed_off;

/* The DER OID of P-256 (CKA_EC_PARAMS) and the point (CKA_EC_POINT). */
static const uint8_t	ec_params[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
};
static uint8_t		ec_point[2 + sizeof(mock_p256_point)];

static const uint8_t	exponent[] = { 0x01, 0x00, 0x01 };

static CK_OBJECT_CLASS	find_class;
static bool		find_active;

void
kr_mock_p11_feed(const uint8_t *p, size_t len)
{
	feed = p;
	feed_len = len;
	feed_off = 0;
	find_active = false;
}

static uint8_t
take(void)
{
	return feed_off < feed_len ? feed[feed_off++] : 0;
}

static CK_ULONG
take_ulong(void)
{
	CK_ULONG	v = 0;
	size_t		i;

	for (i = 0; i < 4; i++)
		v = v << 8 | take();
	return v;
}

/* A return code: mostly CKR_OK, sometimes one keyrite must handle. */
static CK_RV
take_rv(void)
{
	static const CK_RV	rvs[] = {
		CKR_GENERAL_ERROR, CKR_DEVICE_REMOVED, CKR_PIN_INCORRECT,
		CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_SENSITIVE,
		CKR_BUFFER_TOO_SMALL, CKR_SESSION_HANDLE_INVALID, 0x12345678,
	};
	uint8_t	b = take();

	return b < 0xf0 ? CKR_OK : rvs[b % (sizeof(rvs) / sizeof(rvs[0]))];
}

/*
 * A length to report instead of the true one: the truth (0), zero, one
 * more or less, CK_UNAVAILABLE_INFORMATION, or something huge.
 */
static CK_ULONG
take_len(CK_ULONG truth)
{
	switch (take() % 8) {
	case 1:
		return 0;
	case 2:
		return truth + 1;
	case 3:
		return truth > 0 ? truth - 1 : 0;
	case 4:
		return CK_UNAVAILABLE_INFORMATION;
	case 5:
		return take_ulong();
	case 6:
		return 4096;
	default:
		return truth;
	}
}

static void
pad(CK_UTF8CHAR *dst, size_t cap, const char *s)
{
	memset(dst, ' ', cap);
	memcpy(dst, s, strlen(s));
}

/* ---- module, slots, sessions ------------------------------------------ */

static CK_RV
mock_initialize(void *args)
{
	(void)args;
	return CKR_OK;
}

static CK_RV
mock_finalize(void *reserved)
{
	(void)reserved;
	return CKR_OK;
}

static CK_RV
mock_get_info(CK_INFO *info)
{
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 2;
	info->cryptokiVersion.minor = 40;
	pad(info->manufacturerID, sizeof(info->manufacturerID), "keyrite");
	pad(info->libraryDescription, sizeof(info->libraryDescription),
	    "keyrite fuzz mock");
	return CKR_OK;
}

static CK_RV
mock_get_slot_list(CK_BBOOL present, CK_SLOT_ID *list, CK_ULONG *count)
{
	CK_ULONG	i, n = take() == 0x80 ? 3 : 1;

	(void)present;
	if (list == NULL) {
		*count = n;
		return take_rv();
	}
	for (i = 0; i < n && i < *count; i++)
		list[i] = SLOT + i;
	*count = take_len(n);
	return take_rv();
}

static CK_RV
mock_get_slot_info(CK_SLOT_ID slot, CK_SLOT_INFO *info)
{
	(void)slot;
	memset(info, 0, sizeof(*info));
	pad(info->slotDescription, sizeof(info->slotDescription), "mock");
	pad(info->manufacturerID, sizeof(info->manufacturerID), "keyrite");
	info->flags = CKF_TOKEN_PRESENT;
	return CKR_OK;
}

static CK_RV
mock_get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO *ti)
{
	size_t	i;
	uint8_t	b;

	(void)slot;
	memset(ti, 0, sizeof(*ti));
	pad(ti->label, sizeof(ti->label), "mock");
	pad(ti->manufacturerID, sizeof(ti->manufacturerID), "keyrite");
	pad(ti->model, sizeof(ti->model), "fuzz");
	pad(ti->serialNumber, sizeof(ti->serialNumber), "0001");
	ti->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED |
	    CKF_LOGIN_REQUIRED;
	ti->ulMaxPinLen = 64;
	ti->ulMinPinLen = 4;
	if ((b = take()) >= 0xc0) {
		/* hostile text: no blanks, control bytes, no NUL anywhere */
		for (i = 0; i < sizeof(ti->manufacturerID); i++)
			ti->manufacturerID[i] = take();
		for (i = 0; i < sizeof(ti->model); i++)
			ti->model[i] = take();
		for (i = 4; i < sizeof(ti->serialNumber); i++)
			ti->serialNumber[i] = take();
		ti->flags = take_ulong();
		ti->ulMaxPinLen = take_ulong();
	}
	return take_rv();
}

static CK_RV
mock_get_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE m,
    CK_MECHANISM_INFO *mi)
{
	(void)slot;
	(void)m;
	memset(mi, 0, sizeof(*mi));
	mi->ulMinKeySize = 256;
	mi->ulMaxKeySize = 4096;
	mi->flags = CKF_SIGN | CKF_GENERATE_KEY_PAIR;
	return take_rv();
}

static CK_RV
mock_open_session(CK_SLOT_ID slot, CK_FLAGS flags, void *app,
    CK_NOTIFY notify, CK_SESSION_HANDLE *s)
{
	(void)slot;
	(void)flags;
	(void)app;
	(void)notify;
	*s = SESSION;
	return take_rv();
}

static CK_RV
mock_close_session(CK_SESSION_HANDLE s)
{
	(void)s;
	return CKR_OK;
}

static CK_RV
mock_close_all_sessions(CK_SLOT_ID slot)
{
	(void)slot;
	return CKR_OK;
}

static CK_RV
mock_get_session_info(CK_SESSION_HANDLE s, CK_SESSION_INFO *info)
{
	(void)s;
	memset(info, 0, sizeof(*info));
	info->slotID = SLOT;
	info->state = CKS_RW_USER_FUNCTIONS;
	info->flags = CKF_SERIAL_SESSION | CKF_RW_SESSION;
	return CKR_OK;
}

static CK_RV
mock_login(CK_SESSION_HANDLE s, CK_USER_TYPE who, CK_UTF8CHAR *pin,
    CK_ULONG len)
{
	(void)s;
	(void)who;
	(void)pin;
	(void)len;
	return take_rv();
}

static CK_RV
mock_logout(CK_SESSION_HANDLE s)
{
	(void)s;
	return CKR_OK;
}

/* ---- objects ------------------------------------------------------------ */

static CK_RV
mock_find_init(CK_SESSION_HANDLE s, CK_ATTRIBUTE *tpl, CK_ULONG n)
{
	CK_ULONG	i;

	(void)s;
	find_class = CKO_PRIVATE_KEY;
	for (i = 0; i < n; i++)
		if (tpl[i].type == CKA_CLASS &&
		    tpl[i].ulValueLen == sizeof(find_class))
			memcpy(&find_class, tpl[i].pValue, sizeof(find_class));
	find_active = true;
	return take_rv();
}

static CK_RV
mock_find(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *h, CK_ULONG max,
    CK_ULONG *count)
{
	CK_ULONG	i, n = 1;
	uint8_t		b = take();

	(void)s;
	if (!find_active)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (b == 0x81)
		n = 0;
	else if (b == 0x82)
		n = 2;
	for (i = 0; i < n && i < max; i++)
		h[i] = find_class == CKO_PUBLIC_KEY ? H_PUB : H_PRIV;
	*count = b == 0x83 ? take_ulong() : (n < max ? n : max);
	return take_rv();
}

static CK_RV
mock_find_final(CK_SESSION_HANDLE s)
{
	(void)s;
	find_active = false;
	return take_rv();
}

/* The honest value of one attribute of one of the two objects. */
static bool
attr_value(CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, const void **p,
    CK_ULONG *len)
{
	static const CK_BBOOL	yes = CK_TRUE, no = CK_FALSE;

	*len = sizeof(CK_BBOOL);
	switch (type) {
	case CKA_EC_PARAMS:
		*p = ec_params;
		*len = sizeof(ec_params);
		return true;
	case CKA_EC_POINT:
		*p = ec_point;
		*len = sizeof(ec_point);
		return obj == H_PUB;
	case CKA_MODULUS:
		*p = mock_rsa_modulus;
		*len = sizeof(mock_rsa_modulus);
		return obj == H_PUB;
	case CKA_PUBLIC_EXPONENT:
		*p = exponent;
		*len = sizeof(exponent);
		return obj == H_PUB;
	case CKA_LOCAL:
	case CKA_ALWAYS_SENSITIVE:
	case CKA_NEVER_EXTRACTABLE:
	case CKA_SENSITIVE:
	case CKA_SIGN:
		*p = &yes;
		return obj == H_PRIV;
	case CKA_EXTRACTABLE:
	case CKA_DECRYPT:
	case CKA_DERIVE:
	case CKA_UNWRAP:
	case CKA_SIGN_RECOVER:
	case CKA_ALWAYS_AUTHENTICATE:
		*p = &no;
		return obj == H_PRIV;
	default:
		return false;
	}
}

static CK_RV
mock_get_attribute(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj,
    CK_ATTRIBUTE *a, CK_ULONG n)
{
	const void	*p;
	CK_ULONG	 i, j, len, cap;
	CK_RV		 rv = CKR_OK;

	(void)s;
	for (i = 0; i < n; i++) {
		if (!attr_value(obj, a[i].type, &p, &len)) {
			a[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_ATTRIBUTE_TYPE_INVALID;
			continue;
		}
		cap = a[i].ulValueLen;
		if (a[i].pValue != NULL) {
			memcpy(a[i].pValue, p, len < cap ? len : cap);
			/* hostile bytes, within the caller's buffer */
			for (j = 0; j < cap && j < len && take() == 0x84; j++)
				((uint8_t *)a[i].pValue)[j] = take();
		}
		a[i].ulValueLen = take_len(len);
	}
	return rv != CKR_OK ? rv : take_rv();
}

static CK_RV
mock_sign_init(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE k)
{
	(void)s;
	(void)m;
	(void)k;
	return take_rv();
}

static CK_RV
mock_sign(CK_SESSION_HANDLE s, CK_BYTE *in, CK_ULONG inlen, CK_BYTE *sig,
    CK_ULONG *siglen)
{
	CK_ULONG	i;

	(void)s;
	(void)in;
	(void)inlen;
	if (sig == NULL) {
		*siglen = 64;
		return CKR_OK;
	}
	for (i = 0; i < *siglen && i < 64; i++)
		sig[i] = (CK_BYTE)(0x11 + i + take());
	*siglen = take_len(64);
	return take_rv();
}

static CK_RV
mock_destroy(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h)
{
	(void)s;
	(void)h;
	return take_rv();
}

static CK_FUNCTION_LIST	mock;

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST **out)
{
	ec_point[0] = 0x04;		/* an OCTET STRING around the point */
	ec_point[1] = sizeof(mock_p256_point);
	memcpy(ec_point + 2, mock_p256_point, sizeof(mock_p256_point));
	mock.version.major = 2;
	mock.version.minor = 40;
	mock.C_Initialize = mock_initialize;
	mock.C_Finalize = mock_finalize;
	mock.C_GetInfo = mock_get_info;
	mock.C_GetFunctionList = C_GetFunctionList;
	mock.C_GetSlotList = mock_get_slot_list;
	mock.C_GetSlotInfo = mock_get_slot_info;
	mock.C_GetTokenInfo = mock_get_token_info;
	mock.C_GetMechanismInfo = mock_get_mechanism_info;
	mock.C_OpenSession = mock_open_session;
	mock.C_CloseSession = mock_close_session;
	mock.C_CloseAllSessions = mock_close_all_sessions;
	mock.C_GetSessionInfo = mock_get_session_info;
	mock.C_Login = mock_login;
	mock.C_Logout = mock_logout;
	mock.C_FindObjectsInit = mock_find_init;
	mock.C_FindObjects = mock_find;
	mock.C_FindObjectsFinal = mock_find_final;
	mock.C_GetAttributeValue = mock_get_attribute;
	mock.C_SignInit = mock_sign_init;
	mock.C_Sign = mock_sign;
	mock.C_DestroyObject = mock_destroy;
	*out = &mock;
	return CKR_OK;
}
