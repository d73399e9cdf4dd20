/*
 * Streaming hashes: SHA-2 from Mbed TLS, BLAKE2b-512 from libsodium, all
 * behind one opaque state so callers can hash a file in pieces.
 */
#include <sys/stat.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <sodium.h>

#include "crypto_int.h"

#define KR_STATE_FITS(t)						\
	static_assert(sizeof(t) <= sizeof(((struct kr_hash *)0)->state) &&\
	    _Alignof(t) <= _Alignof(struct kr_hash),			\
	    #t " does not fit struct kr_hash")

KR_STATE_FITS(mbedtls_sha256_context);
KR_STATE_FITS(mbedtls_sha512_context);
KR_STATE_FITS(crypto_generichash_state);

int
kr_hash_init(struct kr_hash *h, enum kr_hash_alg alg)
{
	int	ret = KR_EINPUT;

	sodium_memzero(h, sizeof(*h));
	switch (alg) {
	case KR_HASH_SHA256:
		mbedtls_sha256_init((mbedtls_sha256_context *)h->state);
		if (mbedtls_sha256_starts_ret(
		    (mbedtls_sha256_context *)h->state, 0) == 0)
			ret = KR_OK;
		break;
	case KR_HASH_SHA384:
	case KR_HASH_SHA512:
		mbedtls_sha512_init((mbedtls_sha512_context *)h->state);
		if (mbedtls_sha512_starts_ret(
		    (mbedtls_sha512_context *)h->state,
		    alg == KR_HASH_SHA384) == 0)
			ret = KR_OK;
		break;
	case KR_HASH_BLAKE2B512:
		if (crypto_generichash_init(
		    (crypto_generichash_state *)h->state, NULL, 0, 64) == 0)
			ret = KR_OK;
		break;
	}
	if (ret == KR_OK)
		h->alg = alg;
	return ret;
}

/*
 * SHA-256 update: Mbed TLS buffers partial blocks and pads; whole blocks
 * go to the SHA extensions when the CPU has them.  This uses the Mbed TLS
 * 2.28 context fields (total[], state[]) directly, which that version
 * makes public.
 */
static void
kr_sha256_update(mbedtls_sha256_context *c, const uint8_t *p, size_t len)
{
	size_t	fill, n, blocks;

	if (!kr_sha256_ni_available() || len < 64) {
		(void)mbedtls_sha256_update_ret(c, p, len);
		return;
	}
	fill = c->total[0] & 63;
	if (fill != 0) {
		n = 64 - fill;
		(void)mbedtls_sha256_update_ret(c, p, n);
		p += n;
		len -= n;
	}
	blocks = len / 64;
	if (blocks > 0) {
		uint64_t total = ((uint64_t)c->total[1] << 32 | c->total[0]) +
		    (uint64_t)blocks * 64;

		kr_sha256_ni_blocks(c->state, p, blocks);
		c->total[0] = (uint32_t)total;
		c->total[1] = (uint32_t)(total >> 32);
		p += blocks * 64;
		len -= blocks * 64;
	}
	if (len > 0)
		(void)mbedtls_sha256_update_ret(c, p, len);
}

/*
 * The software implementations cannot fail on update; an unknown or
 * uninitialised state is a bug, and kr_hash_final() then yields zeros that
 * can match nothing real.
 */
void
kr_hash_update(struct kr_hash *h, const void *p, size_t len)
{
	if (len == 0)
		return;
	switch (h->alg) {
	case KR_HASH_SHA256:
		kr_sha256_update((mbedtls_sha256_context *)h->state, p, len);
		break;
	case KR_HASH_SHA384:
	case KR_HASH_SHA512:
		(void)mbedtls_sha512_update_ret(
		    (mbedtls_sha512_context *)h->state, p, len);
		break;
	case KR_HASH_BLAKE2B512:
		(void)crypto_generichash_update(
		    (crypto_generichash_state *)h->state, p, len);
		break;
	}
}

void
kr_hash_final(struct kr_hash *h, uint8_t *out)
{
	size_t	len = kr_hash_len(h->alg);

	if (len != 0)
		sodium_memzero(out, len);
	switch (h->alg) {
	case KR_HASH_SHA256:
		(void)mbedtls_sha256_finish_ret(
		    (mbedtls_sha256_context *)h->state, out);
		mbedtls_sha256_free((mbedtls_sha256_context *)h->state);
		break;
	case KR_HASH_SHA384:
	case KR_HASH_SHA512:
		(void)mbedtls_sha512_finish_ret(
		    (mbedtls_sha512_context *)h->state, out);
		mbedtls_sha512_free((mbedtls_sha512_context *)h->state);
		break;
	case KR_HASH_BLAKE2B512:
		(void)crypto_generichash_final(
		    (crypto_generichash_state *)h->state, out, 64);
		break;
	}
	sodium_memzero(h, sizeof(*h));
}

int
kr_hash(enum kr_hash_alg alg, const void *data, size_t len, uint8_t *out)
{
	struct kr_hash	h;
	int		ret;

	if ((ret = kr_hash_init(&h, alg)) != KR_OK)
		return ret;
	kr_hash_update(&h, data, len);
	kr_hash_final(&h, out);
	return KR_OK;
}

int
kr_hash_file(const char *path, enum kr_hash_alg alg, uint8_t *out,
    struct stat *st, struct kr_err *err)
{
	struct kr_hash	 h;
	struct stat	 sb;
	uint8_t		*buf;
	ssize_t		 n = 0;
	int		 fd, ret = KR_OK;

	if ((buf = malloc(1 << 20)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, st != NULL ? st : &sb) != 0) {
		ret = kr_err_set(err, KR_EINPUT, "cannot read %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (kr_hash_init(&h, alg) != KR_OK) {
		ret = kr_err_set(err, KR_ECRYPTO, "cannot hash %s", path);
		goto out;
	}
	while ((n = read(fd, buf, 1 << 20)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			kr_hash_update(&h, buf, (size_t)n);
	kr_hash_final(&h, out);
	if (n < 0)
		ret = kr_err_set(err, KR_EIO, "cannot read %s: %s", path,
		    strerror(errno));
out:
	if (fd >= 0)
		(void)close(fd);
	free(buf);
	return ret;
}
