/*
 * libFuzzer target: SubjectPublicKeyInfo parsing, signature verification
 * and the strict ECDSA DER reader, on arbitrary bytes.
 *
 * In the ordinary build it is linked with smoke.c and run as the test
 * fuzz-smoke-spki.  As a libFuzzer binary: `meson setup -Dfuzzing=true`
 * with CC=clang, or by hand from the top of the tree with a build folder
 * (here build-crypto) that holds the base library:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *       -o fuzz_spki test/fuzz/fuzz_spki.c src/crypto/[a-z]*.c \
 *       build-crypto/src/base/libkr_base.a -lmbedcrypto -lsodium
 *   ./fuzz_spki -max_total_time=60
 *
 * Input layout: byte 0 picks the signature algorithm and the raw-ECDSA
 * flag, bytes 1-2 the SPKI length; then the SPKI, one length byte for the
 * message, the message, and the signature.  The whole input is also fed
 * to kr_spki_parse() and kr_ecdsa_der_to_raw() as it is.
 *
 * TEST-KEY-026 (docs/traceability.md): its smoke run.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <keyrite/crypto.h>

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (sodium_init() < 0)
		abort();
	return 0;
}

/* Strict DER has one encoding: whatever parses must re-encode to itself. */
static void
fuzz_ecdsa_der(const uint8_t *p, size_t len)
{
	static const size_t	halves[] = { 32, 48 };
	uint8_t			raw[96], der[112];
	size_t			i, derlen;

	for (i = 0; i < 2; i++) {
		if (kr_ecdsa_der_to_raw(p, len, halves[i], raw) != KR_OK)
			continue;
		derlen = sizeof(der);
		if (kr_ecdsa_raw_to_der(raw, 2 * halves[i], der, &derlen) !=
		    KR_OK || derlen != len || memcmp(der, p, len) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	struct kr_spki_info	info;
	struct kr_err		err;
	size_t			spkilen, msglen;
	enum kr_sig_alg		alg;
	unsigned		flags;
	int			ret;

	if (kr_spki_parse(p, len, &info, &err) != KR_OK && err.msg[0] == '\0')
		__builtin_trap();
	fuzz_ecdsa_der(p, len);
	if (len < 4)
		return 0;
	alg = (enum kr_sig_alg)(p[0] % 10);
	flags = (p[0] & 0x80) ? KR_VERIFY_ECDSA_RAW : 0;
	spkilen = (size_t)p[1] << 8 | p[2];
	p += 3;
	len -= 3;
	if (spkilen >= len)
		return 0;
	msglen = p[spkilen];
	if (msglen > len - spkilen - 1)
		return 0;
	/* Any outcome is fine here; crashes and sanitizer reports are not. */
	ret = kr_sig_verify(alg, p, spkilen, p + spkilen + 1, msglen,
	    p + spkilen + 1 + msglen, len - spkilen - 1 - msglen, flags, &err);
	(void)ret;
	return 0;
}
