/*
 * Sealing under a quorum secret, shared by the sealed key file and the
 * sealed token PIN file:
 *
 *   key  = HKDF-SHA-256(quorum secret, info = tag || key id)
 *   file = header || XChaCha20-Poly1305(key, nonce, plaintext, AAD = header)
 *
 * Callers build and check their own headers and write their own messages;
 * these return only KR_OK, KR_ENOMEM, KR_ECRYPTO or KR_EVERIFY.
 */
#include <stdlib.h>
#include <string.h>

#include "keystore_int.h"

#define KR_QSEAL_TAG_MAX	64

int
kr_qseal_derive(const uint8_t *qsecret, const char *tag,
    const uint8_t *key_id, uint8_t *out)
{
	uint8_t	info[KR_QSEAL_TAG_MAX + KR_KEY_ID_BYTES];
	size_t	tlen;

	if (qsecret == NULL || tag == NULL || key_id == NULL || out == NULL ||
	    (tlen = strlen(tag)) > KR_QSEAL_TAG_MAX)
		return KR_EINPUT;
	memcpy(info, tag, tlen);
	memcpy(info + tlen, key_id, KR_KEY_ID_BYTES);
	return kr_hkdf_sha256(out, KR_AEAD_KEY_BYTES, qsecret,
	    KR_QUORUM_SECRET_BYTES, NULL, 0, info, tlen + KR_KEY_ID_BYTES);
}

int
kr_qseal_encrypt(const uint8_t *qsecret, const char *tag,
    const uint8_t *key_id, const uint8_t *aad, size_t aad_len,
    const uint8_t *nonce, const uint8_t *pt, size_t plen, uint8_t **out,
    size_t *outlen)
{
	uint8_t	*wk, *file;
	int	 ret = KR_ECRYPTO;

	*out = NULL;
	*outlen = 0;
	if ((wk = kr_secure_alloc(KR_AEAD_KEY_BYTES)) == NULL)
		return KR_ENOMEM;
	if ((file = malloc(aad_len + plen + KR_AEAD_TAG_BYTES)) == NULL) {
		kr_secure_free(wk);
		return KR_ENOMEM;
	}
	memcpy(file, aad, aad_len);
	if (kr_qseal_derive(qsecret, tag, key_id, wk) == KR_OK &&
	    kr_aead_seal(file + aad_len, pt, plen, aad, aad_len, nonce, wk) ==
	    KR_OK) {
		*out = file;
		*outlen = aad_len + plen + KR_AEAD_TAG_BYTES;
		file = NULL;
		ret = KR_OK;
	}
	kr_secure_free(wk);
	free(file);
	return ret;
}

int
kr_qseal_decrypt(const uint8_t *qsecret, const char *tag,
    const uint8_t *key_id, const uint8_t *aad, size_t aad_len,
    const uint8_t *nonce, const uint8_t *ct, size_t ct_len, uint8_t **pt)
{
	uint8_t	*wk = NULL, *p = NULL;
	int	 ret;

	*pt = NULL;
	if (ct_len < KR_AEAD_TAG_BYTES)
		return KR_EVERIFY;
	if ((wk = kr_secure_alloc(KR_AEAD_KEY_BYTES)) == NULL ||
	    (p = kr_secure_alloc(ct_len - KR_AEAD_TAG_BYTES)) == NULL) {
		ret = KR_ENOMEM;
		goto out;
	}
	if (kr_qseal_derive(qsecret, tag, key_id, wk) != KR_OK) {
		ret = KR_ECRYPTO;
		goto out;
	}
	if (kr_aead_open(p, ct, ct_len, aad, aad_len, nonce, wk) != KR_OK) {
		ret = KR_EVERIFY;
		goto out;
	}
	*pt = p;
	p = NULL;
	ret = KR_OK;
out:
	kr_secure_free(p);
	kr_secure_free(wk);
	return ret;
}
