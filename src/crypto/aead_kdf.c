/*
 * XChaCha20-Poly1305 (IETF), Argon2id, HKDF-SHA-256 and the CSPRNG.
 *
 * The nonce of XChaCha20 is 24 random bytes, so callers draw a fresh one
 * from kr_random() for every seal without keeping a counter.
 */
#include <errno.h>
#include <inttypes.h>

#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <sodium.h>

#include "crypto_int.h"

_Static_assert(KR_AEAD_KEY_BYTES ==
    crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "AEAD key size");
_Static_assert(KR_AEAD_NONCE_BYTES ==
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "AEAD nonce size");
_Static_assert(KR_AEAD_TAG_BYTES ==
    crypto_aead_xchacha20poly1305_ietf_ABYTES, "AEAD tag size");
_Static_assert(KR_KDF_SALT_BYTES == crypto_pwhash_argon2id_SALTBYTES,
    "Argon2id salt size");

int
kr_aead_seal(uint8_t *c, const uint8_t *m, size_t mlen, const uint8_t *ad,
    size_t adlen, const uint8_t *nonce, const uint8_t *key)
{
	if (c == NULL || (m == NULL && mlen != 0) ||
	    (ad == NULL && adlen != 0) || nonce == NULL || key == NULL ||
	    mlen > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return KR_EINPUT;
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(c, NULL, m, mlen, ad,
	    adlen, NULL, nonce, key) != 0)
		return KR_ECRYPTO;
	return KR_OK;
}

int
kr_aead_open(uint8_t *m, const uint8_t *c, size_t clen, const uint8_t *ad,
    size_t adlen, const uint8_t *nonce, const uint8_t *key)
{
	if (c == NULL || clen < KR_AEAD_TAG_BYTES ||
	    (m == NULL && clen != KR_AEAD_TAG_BYTES) ||
	    (ad == NULL && adlen != 0) || nonce == NULL || key == NULL)
		return KR_EINPUT;
	/* libsodium leaves m zeroed when the tag does not verify. */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(m, NULL, NULL, c, clen,
	    ad, adlen, nonce, key) != 0)
		return KR_EVERIFY;
	return KR_OK;
}

/* libsodium's limits, read at run time (some are the whole type range). */
static int
kr_kdf_check(size_t outlen, size_t pwlen, const struct kr_kdf_params *p,
    struct kr_err *err)
{
	size_t	mem = (size_t)p->mem_kib * 1024;

	if (outlen < crypto_pwhash_argon2id_bytes_min() ||
	    outlen > crypto_pwhash_argon2id_bytes_max())
		return kr_err_set(err, KR_EINTERNAL, "Argon2id: output length "
		    "%zu out of range", outlen);
	if (pwlen > crypto_pwhash_argon2id_passwd_max())
		return kr_err_set(err, KR_EINPUT, "Argon2id: passphrase too "
		    "long");
	if (p->opslimit < crypto_pwhash_argon2id_opslimit_min() ||
	    p->opslimit > crypto_pwhash_argon2id_opslimit_max())
		return kr_err_set(err, KR_EINPUT, "Argon2id: %" PRIu32
		    " passes is out of range (at least %zu)", p->opslimit,
		    crypto_pwhash_argon2id_opslimit_min());
	if (mem < crypto_pwhash_argon2id_memlimit_min() ||
	    mem > crypto_pwhash_argon2id_memlimit_max())
		return kr_err_set(err, KR_EINPUT, "Argon2id: %" PRIu32 " KiB "
		    "of memory is out of range (at least %zu KiB)", p->mem_kib,
		    crypto_pwhash_argon2id_memlimit_min() / 1024);
	return KR_OK;
}

int
kr_kdf_argon2id(uint8_t *out, size_t outlen, const char *pw, size_t pwlen,
    const uint8_t *salt, const struct kr_kdf_params *p, struct kr_err *err)
{
	static const char	empty[1];
	int			ret;

	if (out == NULL || salt == NULL || p == NULL || (pw == NULL &&
	    pwlen != 0))
		return kr_err_set(err, KR_EINTERNAL, "Argon2id: missing "
		    "argument");
	if ((ret = kr_kdf_check(outlen, pwlen, p, err)) != KR_OK)
		return ret;
	errno = 0;
	if (crypto_pwhash(out, outlen, pw != NULL ? pw : empty, pwlen, salt,
	    p->opslimit, (size_t)p->mem_kib * 1024,
	    crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_memzero(out, outlen);
		if (errno == ENOMEM)
			return kr_err_set(err, KR_ENOMEM, "Argon2id needs %"
			    PRIu32 " KiB of memory and the system could not "
			    "provide it: close other programs and try again, "
			    "or use a machine with more memory",
			    p->mem_kib);
		return kr_err_set(err, KR_ECRYPTO, "Argon2id failed");
	}
	return KR_OK;
}

int
kr_hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *ikm,
    size_t ikmlen, const uint8_t *salt, size_t saltlen, const uint8_t *info,
    size_t infolen)
{
	const mbedtls_md_info_t	*md;

	md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	if (md == NULL || out == NULL || outlen == 0 || outlen > 255 * 32 ||
	    (ikm == NULL && ikmlen != 0) || (salt == NULL && saltlen != 0) ||
	    (info == NULL && infolen != 0))
		return KR_EINPUT;
	if (mbedtls_hkdf(md, salt, saltlen, ikm, ikmlen, info, infolen, out,
	    outlen) != 0) {
		sodium_memzero(out, outlen);
		return KR_ECRYPTO;
	}
	return KR_OK;
}

void
kr_random(void *p, size_t len)
{
	randombytes_buf(p, len);
}

int
kr_mbedtls_rng(void *ctx, unsigned char *p, size_t len)
{
	randombytes_buf(p, len);
	return 0;
}
