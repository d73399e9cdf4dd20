/*
 * PKCS#11 objects and attributes: finding a key's objects by CKA_ID and
 * CKA_LABEL, reading its public key back as a SubjectPublicKeyInfo, and
 * the key-origin check (generated on the token, always sensitive, never
 * extractable, sign only, the public key the one recorded) made after
 * generation and before every use.
 */

#include <stdio.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include <keyrite/keystore.h>

#include "keystore_int.h"
#include "pkcs11_int.h"
#include "pkcs11_token_int.h"

#define SPKI_TMP_BYTES	(KR_SPKI_MAX_BYTES + 64)
#define ATTR_MAX_BYTES	1024	/* EC point, modulus, params */
#define OBJS_MAX	4

/* ---- objects and attributes ------------------------------------------ */

void
kr_p11_attr_add(CK_ATTRIBUTE *a, CK_ULONG *n, CK_ATTRIBUTE_TYPE type,
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
int
kr_p11_objects_find(struct kr_p11_token *t, CK_OBJECT_CLASS cls,
    const uint8_t *id, const char *label, CK_OBJECT_HANDLE *h, size_t cap,
    size_t *n, struct kr_err *err)
{
	CK_ATTRIBUTE	tpl[3];
	CK_ULONG	ntpl = 0, got = 0;
	CK_RV		rv, rv2;

	if (cls != 0)
		kr_p11_attr_add(tpl, &ntpl, CKA_CLASS, &cls, sizeof(cls));
	if (id != NULL)
		kr_p11_attr_add(tpl, &ntpl, CKA_ID, id, KR_P11_ID_BYTES);
	if (label != NULL)
		kr_p11_attr_add(tpl, &ntpl, CKA_LABEL, label, strlen(label));
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
		kr_p11_attr_add(a, &na, types[i], &b[i], sizeof(b[i]));
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
		    t->info.label, kr_p11_alg_name(alg));
	if ((ret = attr_bytes(t, pub, CKA_EC_POINT, buf, sizeof(buf), &n,
	    err)) != KR_OK)
		return ret;
	if (kr_p11_ec_point(buf, n, want, &pt) != KR_OK)
		return kr_err_set(err, KR_EVERIFY, "token '%s': the public key "
		    "point (CKA_EC_POINT, %zu bytes) is not a %s point",
		    t->info.label, n, kr_p11_alg_name(alg));
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
		    kr_p11_alg_name(alg));
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
		    "is not a valid %s key", t->info.label,
		    kr_p11_alg_name(alg));
	return KR_OK;
}

/* Reads a public key object back as a SubjectPublicKeyInfo. */
int
kr_p11_spki_read(struct kr_p11_token *t, CK_OBJECT_HANDLE pub,
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
		    kr_p11_alg_name(alg));
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
int
kr_p11_key_check(struct kr_p11_token *t, const struct kr_p11_key *k,
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
	    (ret = kr_p11_spki_read(t, pub, k->alg, spki, &len, err)) != KR_OK)
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


/* ---- keys on the token ----------------------------------------------- */

int
kr_p11_key_args(const struct kr_p11_key *k, bool need_spki, struct kr_err *err)
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
		    "public key is not a %s key", k->name,
		    kr_p11_alg_name(k->alg));
	return KR_OK;
}

/* The one object of a class with the key's id and label, if any. */
int
kr_p11_key_object(struct kr_p11_token *t, const struct kr_p11_key *k,
    CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *h, bool *found,
    struct kr_err *err)
{
	CK_OBJECT_HANDLE	hs[OBJS_MAX];
	size_t			n = 0;
	int			ret;

	*found = false;
	if ((ret = kr_p11_objects_find(t, cls, k->p11_id, k->name, hs,
	    OBJS_MAX, &n, err)) != KR_OK)
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

void
kr_p11_id_hex(const uint8_t *id, char *hex)
{
	kr_hex_encode(hex, id, KR_P11_ID_BYTES);
}

/* The URI's object= and id=, if given, must be this key's. */
int
kr_p11_uri_object_check(struct kr_p11_token *t, const struct kr_p11_key *k,
    struct kr_err *err)
{
	CK_ATTRIBUTE	a[2];
	CK_ULONG	n = 0;

	kr_p11_attr_add(a, &n, CKA_LABEL, k->name, strlen(k->name));
	kr_p11_attr_add(a, &n, CKA_ID, k->p11_id, KR_P11_ID_BYTES);
	if (!p11_kit_uri_match_attributes(t->uri, a, n))
		return kr_err_set(err, KR_EUSAGE, "the pkcs11: URI names "
		    "another object than key '%s' (its object= or id= differ "
		    "from the key's label and id)", k->name);
	return KR_OK;
}

/* The public key object, if visible, must be the recorded one. */
int
kr_p11_public_precheck(struct kr_p11_token *t, const struct kr_p11_key *k,
    struct kr_err *err)
{
	CK_OBJECT_HANDLE	pub = CK_INVALID_HANDLE;
	uint8_t			spki[KR_SPKI_MAX_BYTES];
	size_t			len = 0;
	bool			found = false;
	int			ret;

	if ((ret = kr_p11_key_object(t, k, CKO_PUBLIC_KEY, &pub, &found,
	    err)) != KR_OK || !found)
		return ret;
	if ((ret = kr_p11_spki_read(t, pub, k->alg, spki, &len, err)) != KR_OK)
		return kr_err_prefix(err, "key '%s': ", k->name);
	if (len != k->spki_len || memcmp(spki, k->spki, len) != 0)
		return kr_err_set(err, KR_EVERIFY, "key '%s' on token '%s' "
		    "(serial %s): the public key on the token is not the one "
		    "recorded when the key was generated; keyrite did not log "
		    "in", k->name, t->info.label, t->info.serial);
	return KR_OK;
}

/* After login: the private and public objects, both present. */
int
kr_p11_key_objects(struct kr_p11_token *t, const struct kr_p11_key *k,
    CK_OBJECT_HANDLE *priv, CK_OBJECT_HANDLE *pub, struct kr_err *err)
{
	char	hex[2 * KR_P11_ID_BYTES + 1];
	bool	fpriv = false, fpub = false;
	int	ret;

	if ((ret = kr_p11_key_object(t, k, CKO_PRIVATE_KEY, priv, &fpriv,
	    err)) != KR_OK ||
	    (ret = kr_p11_key_object(t, k, CKO_PUBLIC_KEY, pub, &fpub, err)) !=
	    KR_OK)
		return ret;
	if (fpriv && fpub)
		return KR_OK;
	kr_p11_id_hex(k->p11_id, hex);
	return kr_err_set(err, KR_ENOENT, "token '%s' (serial %s) has no %s "
	    "key labelled '%s' with id %s: was the key destroyed, or is this "
	    "another token?", t->info.label, t->info.serial,
	    !fpriv ? "private" : "public", k->name, hex);
}
