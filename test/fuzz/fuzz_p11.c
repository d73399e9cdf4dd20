/*
 * libFuzzer target for keyrite's side of PKCS#11 (src/keystore/pkcs11.c):
 * what a module answers is outside input too.  The module is
 * test/fuzz/mock_p11.c (built as kr-mock-p11.so and loaded through
 * p11-kit as keyrite loads any module); the input is fed to it and
 * decides its return codes, lengths, counts, flags and attribute bytes.
 *
 * Each input opens the token "mock", opens a signer for the key on it
 * (the first byte picks the algorithm the record claims), signs twice and
 * closes.  Whatever the module says, keyrite must refuse with a message or
 * go on, never read or write out of bounds (the sanitizers watch), and
 * never hand out a signature longer than its buffer.
 *
 * KEYRITE_MOCK_P11 names the module; the build passes its path.
 *
 * TEST-KEY-055 (docs/traceability.md): its smoke run.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/keystore.h>

#include "mock_p11.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void		 (*feed)(const uint8_t *, size_t);
static const char	*module = KR_MOCK_P11_PATH;
static void		*handle;

/* The SPKIs of the module's keys: DER prefixes, then the key bytes. */
static const uint8_t	p256_prefix[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
	0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
	0x42, 0x00,
};
static const uint8_t	rsa_prefix[] = {
	0x30, 0x82, 0x01, 0xa2, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x82, 0x01, 0x8f, 0x00,
	0x30, 0x82, 0x01, 0x8a, 0x02, 0x82, 0x01, 0x81, 0x00,
};
static const uint8_t	rsa_suffix[] = { 0x02, 0x03, 0x01, 0x00, 0x01 };

/* The SPKI recorded for the module's key of alg. */
static void
record_spki(struct kr_p11_key *k)
{
	const uint8_t	*pre = p256_prefix, *key = mock_p256_point;
	size_t		 plen = sizeof(p256_prefix);
	size_t		 klen = sizeof(mock_p256_point);

	if (k->alg == KR_KEY_RSA3072) {
		pre = rsa_prefix;
		plen = sizeof(rsa_prefix);
		key = mock_rsa_modulus;
		klen = sizeof(mock_rsa_modulus);
	}
	memcpy(k->spki, pre, plen);
	memcpy(k->spki + plen, key, klen);
	k->spki_len = plen + klen;
	if (k->alg == KR_KEY_RSA3072) {
		memcpy(k->spki + k->spki_len, rsa_suffix, sizeof(rsa_suffix));
		k->spki_len += sizeof(rsa_suffix);
	}
}

static const enum kr_key_alg	algs[] = {
	KR_KEY_P256, KR_KEY_P384, KR_KEY_ED25519, KR_KEY_RSA3072,
};
static const enum kr_sig_alg	sig_algs[] = {
	KR_SIG_ECDSA_P256_SHA256, KR_SIG_ECDSA_P384_SHA384, KR_SIG_ED25519,
	KR_SIG_RSA_PKCS1_SHA256,
};

static void
unload(void)
{
	if (handle != NULL)
		(void)dlclose(handle);
	handle = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kr_err	err;

	(void)argc;
	(void)argv;
	if (getenv("KEYRITE_MOCK_P11") != NULL)
		module = getenv("KEYRITE_MOCK_P11");
	/* the same file p11-kit loads: one copy, one feed */
	if (kr_crypto_init(&err) != KR_OK ||
	    (handle = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    (*(void **)&feed = dlsym(handle, "kr_mock_p11_feed")) == NULL) {
		fprintf(stderr, "fuzz_p11: %s: %s\n", module, dlerror());
		abort();
	}
	(void)atexit(unload);
	return 0;
}

/* KEYRITE_FUZZ_VERBOSE=1 prints each refusal, to see where inputs go. */
static void
refused(const struct kr_err *err)
{
	if (err->msg[0] == '\0' || err->code == KR_OK)
		abort();
	if (getenv("KEYRITE_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "refused: %s\n", err->msg);
}

static void
sign_twice(struct kr_signer *s, enum kr_sig_alg sa)
{
	static const uint8_t	msg[] = "a TBSCertificate, more or less";
	uint8_t			sig[KR_SIG_MAX_BYTES + 1];
	size_t			siglen;
	struct kr_err		err;
	int			i;

	for (i = 0; i < 2; i++) {
		siglen = KR_SIG_MAX_BYTES;
		kr_err_clear(&err);
		sig[KR_SIG_MAX_BYTES] = 0xa5;
		if (kr_signer_sign(s, sa, msg, sizeof(msg), sig, &siglen,
		    &err) != KR_OK)
			refused(&err);
		else if (siglen == 0 || siglen > KR_SIG_MAX_BYTES)
			abort();
		if (sig[KR_SIG_MAX_BYTES] != 0xa5)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct kr_p11_where	 w = { module, NULL, "mock" };
	struct kr_p11_token	*t = NULL;
	struct kr_p11_key	 k;
	struct kr_signer	*s = NULL;
	struct kr_err		 err;
	size_t			 pick = len > 0 ? data[0] % 4 : 0;

	feed(len > 0 ? data + 1 : data, len > 0 ? len - 1 : 0);
	kr_err_clear(&err);
	if (kr_p11_token_open(&w, &t, NULL, &err) != KR_OK) {
		refused(&err);
		if (t != NULL)
			abort();
		return 0;
	}
	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "fuzz-key");
	k.alg = algs[pick];
	k.purpose = KR_PURPOSE_CA;
	memset(k.p11_id, 0x5a, sizeof(k.p11_id));
	record_spki(&k);
	kr_err_clear(&err);
	if (kr_p11_signer_open(&t, &k, "1234", &s, NULL, &err) != KR_OK) {
		refused(&err);
		if (s != NULL || t != NULL)
			abort();
		return 0;
	}
	if (getenv("KEYRITE_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "signer open\n");
	sign_twice(s, sig_algs[pick]);
	kr_signer_free(&s);
	return 0;
}
