/*
 * The PKCS#11 signer: fills the same kr_signer_ops as the sealed back end
 * with a token session and object handles.  Before every signature it
 * makes the key-origin check again (pkcs11-origin.c); ECDSA signatures
 * come back raw and are turned into DER, RSA PKCS#1 v1.5 is sent its
 * DigestInfo.
 */

#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include <keyrite/keystore.h>

#include "keystore_int.h"
#include "pkcs11_int.h"
#include "pkcs11_token_int.h"

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
p11_sign_raw(struct kr_p11_signer *ps, CK_MECHANISM *mech, const uint8_t *in,
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
p11_check(struct kr_p11_signer *ps, struct kr_err *err)
{
	return kr_p11_key_check(ps->tok, &ps->key, ps->priv, ps->pub, &ps->rep,
	    err);
}

static int
p11_ecdsa(struct kr_p11_signer *ps, const uint8_t *md, size_t mdlen,
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
p11_rsa(struct kr_p11_signer *ps, enum kr_sig_alg sa, const uint8_t *md,
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
	struct kr_p11_signer	*ps = s->impl;
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
	struct kr_p11_signer	*ps = s->impl;
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
	struct kr_p11_signer	*ps = s->impl;

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
const struct kr_signer_ops kr_p11_borrowed_ops = {
	.version = KR_SIGNER_OPS_VERSION,
	.backend = "pkcs11",
	.sign_digest = p11_sign_digest,
	.sign_message = p11_sign_message,
	.destroy = NULL,
};

int
kr_p11_signer_report(const struct kr_signer *s, struct kr_p11_report *rep)
{
	const struct kr_p11_signer	*ps;

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
	struct kr_p11_signer	*ps;
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

int
kr_p11_signer_open(struct kr_p11_token **tp, const struct kr_p11_key *k,
    const char *pin, struct kr_signer **out, struct kr_p11_report *rep,
    struct kr_err *err)
{
	struct kr_p11_token	*t = *tp;
	struct kr_p11_signer	*ps = NULL;
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
	if ((ret = kr_p11_key_args(k, true, err)) != KR_OK ||
	    (ret = kr_p11_uri_object_check(t, k, err)) != KR_OK ||
	    (ret = kr_p11_public_precheck(t, k, err)) != KR_OK ||
	    (ret = kr_p11_login(t, CKU_USER, pin, err)) != KR_OK ||
	    (ret = kr_p11_key_objects(t, k, &ps->priv, &ps->pub, err)) !=
	    KR_OK ||
	    (ret = kr_p11_key_check(t, k, ps->priv, ps->pub, &ps->rep, err)) !=
	    KR_OK)
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
