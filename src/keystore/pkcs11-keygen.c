/*
 * Keys made and destroyed on a PKCS#11 token: the mechanisms checked, the
 * label and id checked free, the key pair generated sensitive, not
 * extractable and sign-only, read back for the key-origin check and a
 * sign-then-verify pairwise test (destroyed again if either fails); and
 * key destroy, which removes the private and public objects.
 */

#include <string.h>

#include <p11-kit/pkcs11.h>

#include <keyrite/keystore.h>

#include "keystore_int.h"
#include "pkcs11_int.h"
#include "pkcs11_token_int.h"

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
		    kr_p11_alg_name(alg), mech_name(m));
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

	if ((ret = kr_p11_objects_find(t, 0, NULL, k->name, h, 1, &n, err)) !=
	    KR_OK)
		return ret;
	if (n > 0)
		return kr_err_set(err, KR_EEXIST, "token '%s' (serial %s) "
		    "already holds an object labelled '%s': choose another key "
		    "name, or destroy the old key first", t->info.label,
		    t->info.serial, k->name);
	if (by_id && (ret = kr_p11_objects_find(t, 0, k->p11_id, NULL, h, 1, &n,
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
	kr_p11_attr_add(g->pub, &g->npub, CKA_CLASS, &g->pubcls,
	    sizeof(g->pubcls));
	kr_p11_attr_add(g->pub, &g->npub, CKA_KEY_TYPE, &g->ktype,
	    sizeof(g->ktype));
	kr_p11_attr_add(g->pub, &g->npub, CKA_TOKEN, &g->yes, 1);
	kr_p11_attr_add(g->pub, &g->npub, CKA_PRIVATE, &g->no, 1);
	kr_p11_attr_add(g->pub, &g->npub, CKA_VERIFY, &g->yes, 1);
	kr_p11_attr_add(g->pub, &g->npub, CKA_ENCRYPT, &g->no, 1);
	kr_p11_attr_add(g->pub, &g->npub, CKA_WRAP, &g->no, 1);
	kr_p11_attr_add(g->pub, &g->npub, CKA_VERIFY_RECOVER, &g->no, 1);
	kr_p11_attr_add(g->pub, &g->npub, CKA_DERIVE, &g->no, 1);
	kr_p11_attr_add(g->pub, &g->npub, CKA_ID, k->p11_id, KR_P11_ID_BYTES);
	kr_p11_attr_add(g->pub, &g->npub, CKA_LABEL, k->name, ll);
	kr_p11_attr_add(g->priv, &g->npriv, CKA_CLASS, &g->privcls,
	    sizeof(g->privcls));
	kr_p11_attr_add(g->priv, &g->npriv, CKA_KEY_TYPE, &g->ktype,
	    sizeof(g->ktype));
	kr_p11_attr_add(g->priv, &g->npriv, CKA_TOKEN, &g->yes, 1);
	kr_p11_attr_add(g->priv, &g->npriv, CKA_PRIVATE, &g->yes, 1);
	kr_p11_attr_add(g->priv, &g->npriv, CKA_SENSITIVE, &g->yes, 1);
	kr_p11_attr_add(g->priv, &g->npriv, CKA_EXTRACTABLE, &g->no, 1);
	kr_p11_attr_add(g->priv, &g->npriv, CKA_SIGN, &g->yes, 1);
	kr_p11_attr_add(g->priv, &g->npriv, CKA_SIGN_RECOVER, &g->no, 1);
	kr_p11_attr_add(g->priv, &g->npriv, CKA_DECRYPT, &g->no, 1);
	kr_p11_attr_add(g->priv, &g->npriv, CKA_UNWRAP, &g->no, 1);
	kr_p11_attr_add(g->priv, &g->npriv, CKA_DERIVE, &g->no, 1);
	kr_p11_attr_add(g->priv, &g->npriv, CKA_ID, k->p11_id, KR_P11_ID_BYTES);
	kr_p11_attr_add(g->priv, &g->npriv, CKA_LABEL, k->name, ll);
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
		kr_p11_attr_add(g->pub, &g->npub, CKA_MODULUS_BITS, &g->bits,
		    sizeof(g->bits));
		kr_p11_attr_add(g->pub, &g->npub, CKA_PUBLIC_EXPONENT, g->exp,
		    3);
		return;
	}
	g->mech.mechanism = k->alg == KR_KEY_ED25519 ?
	    CKM_EC_EDWARDS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN;
	g->ktype = k->alg == KR_KEY_ED25519 ? CKK_EC_EDWARDS : CKK_EC;
	tpl_common(g, k);
	kr_p11_attr_add(g->pub, &g->npub, CKA_EC_PARAMS, ecp, ecplen);
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
		    "'%s' (serial %s)", kr_p11_alg_name(k->alg), k->name,
		    t->info.label, t->info.serial);
	return KR_OK;
}

static const uint8_t pairwise_msg[] = "keyrite pairwise consistency test";

/* Signs a fixed message with the new key and verifies it with its SPKI. */
static int
pairwise_test(struct kr_p11_token *t, const struct kr_p11_key *k,
    CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub, struct kr_err *err)
{
	struct kr_p11_signer	 ps;
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
	s = kr_signer_new(&kr_p11_borrowed_ops, &ps, k->name, k->key_id, k->alg,
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
		    "then verify); it was destroyed again",
		    kr_p11_alg_name(k->alg), k->name, t->info.label);
	return KR_OK;
}

/* Reads the new key back, checks its origin, signs and verifies. */
static int
keygen_check(struct kr_p11_token *t, struct kr_p11_key *k,
    CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub, struct kr_p11_report *rep,
    struct kr_err *err)
{
	int	ret;

	if ((ret = kr_p11_spki_read(t, pub, k->alg, k->spki, &k->spki_len,
	    err)) != KR_OK)
		return kr_err_prefix(err, "new key '%s': ", k->name);
	if ((ret = kr_p11_key_check(t, k, priv, pub, rep, err)) != KR_OK)
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
	if ((ret = kr_p11_key_args(k, false, err)) != KR_OK ||
	    (ret = mech_check(t, k->alg, err)) != KR_OK ||
	    (ret = key_free(t, k, false, err)) != KR_OK ||
	    (ret = kr_p11_login(t, CKU_USER, pin, err)) != KR_OK)
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
	kr_p11_logout(t);
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
	if ((ret = kr_p11_key_args(k, true, err)) != KR_OK ||
	    (ret = kr_p11_public_precheck(t, k, err)) != KR_OK ||
	    (ret = kr_p11_login(t, CKU_USER, pin, err)) != KR_OK ||
	    (ret = kr_p11_key_object(t, k, CKO_PRIVATE_KEY, &priv, &fpriv,
	    err)) != KR_OK ||
	    (ret = kr_p11_key_object(t, k, CKO_PUBLIC_KEY, &pub, &fpub, err)) !=
	    KR_OK)
		goto out;
	kr_p11_id_hex(k->p11_id, hex);
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
	kr_p11_logout(t);
	return ret;
}
