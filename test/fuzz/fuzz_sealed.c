/*
 * libFuzzer target: the sealed key file header parser
 * (kr_sealed_parse_header), which reads untrusted bytes before any MAC is
 * checked.
 *
 * Not built by default.  From the top of the source tree, with clang:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Iinclude -o fuzz_sealed test/fuzz/fuzz_sealed.c \
 *       src/keystore/[a-z]*.c src/crypto/[a-z]*.c src/base/[a-z]*.c \
 *       -lmbedcrypto -lsodium
 *   mkdir -p corpus && ./fuzz_sealed -max_len=16500 corpus
 *
 * Seed the corpus with real sealed files (keyrite key generate) so the
 * fuzzer starts past the magic and version.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/keystore.h>

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kr_err	err;

	if (kr_crypto_init(&err) != KR_OK)
		abort();
	return 0;
}

/* What a successful parse promises its callers. */
static void
check_header(const struct kr_sealed_header *h, size_t size)
{
	if (h->version != 1 || size > KR_SEALED_FILE_MAX ||
	    h->spki_len == 0 || h->spki_len > KR_SPKI_MAX_BYTES ||
	    h->alg < KR_KEY_P256 || h->alg > KR_KEY_RSA4096 ||
	    h->purpose < KR_PURPOSE_CA || h->purpose > KR_PURPOSE_AUDIT ||
	    h->m < 2 || h->m > h->n || h->created < 0 ||
	    strnlen(h->name, sizeof(h->name)) > KR_KEY_NAME_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_sealed_header	h;
	struct kr_err		err;

	kr_err_clear(&err);
	if (kr_sealed_parse_header(data, size, "fuzz.sealed", &h, &err) ==
	    KR_OK)
		check_header(&h, size);
	else if (err.msg[0] == '\0' || err.code == KR_OK)
		abort();
	return 0;
}
