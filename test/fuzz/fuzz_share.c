/*
 * libFuzzer target for the share file parser (outside input: a custodian
 * brings the file on removable media).
 *
 * Not built by default.  Build and run from the top of the tree with:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Iinclude -o fuzz_share test/fuzz/fuzz_share.c \
 *       src/quorum/[gs]*.c src/crypto/aead_kdf.c src/base/[a-z]*.c \
 *       -lsodium -lmbedcrypto
 *   ./fuzz_share -max_len=4200 corpus/
 *
 * A valid share file for the seed corpus comes from the unit tests (see
 * set_make() in test/unit/quorum/test_quorum.c) or `keyrite key generate`.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include <keyrite/base.h>
#include <keyrite/quorum.h>

int	 LLVMFuzzerInitialize(int *, char ***);
int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return sodium_init() < 0 ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_share	 s;
	struct kr_err	 err;

	if (kr_share_parse(data, size, "fuzz.share", &s, &err) != KR_OK) {
		/* Every refusal names the file. */
		if (strstr(err.msg, "fuzz.share") == NULL)
			__builtin_trap();
		return 0;
	}
	/* A parsed file re-encodes to the bytes it came from. */
	if (s.signed_len + KR_DEALER_SIG_BYTES != size ||
	    kr_custodian_name_check(s.h.custodian, &err) != KR_OK)
		__builtin_trap();
	if (kr_share_check_signature(&s, s.h.dealer_pk, &err) != KR_OK &&
	    err.msg[0] == '\0')
		__builtin_trap();
	kr_share_clear(&s);
	return 0;
}
