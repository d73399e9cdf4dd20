/*
 * TEST-KEY-001, TEST-KEY-004 (HKDF), TEST-KEY-418 (kr_verifier)
 * (docs/traceability.md).
 * Unit tests for src/crypto: Wycheproof signature vectors, hashes, AEAD,
 * HKDF, Argon2id limits, SPKI parsing, ECDSA encodings, the verifier and
 * the power-on self-tests.
 *
 * argv[1] is the folder holding the Wycheproof vectors converted to lines
 * by test/vectors/wycheproof2txt.py (meson passes the build folder).
 *
 * TEST-KEY-029 (docs/traceability.md): these tests as a whole.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <check.h>
#include "crypto_int.h"
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <keyrite/der.h>
#include <sodium.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <keyrite/crypto.h>

#include "testlib.h"

static const char	*txt_dir = ".";

/* AddressSanitizer reserves terabytes of address space: no RLIMIT_AS. */
#define UNDER_ASAN	TL_UNDER_ASAN

/* Decodes hex ('-' is empty) into malloc'd memory. */
static uint8_t *
unhex(const char *hex, size_t *len)
{
	uint8_t	*p = NULL;

	if (strcmp(hex, "-") == 0) {
		*len = 0;
		p = malloc(1);
		ck_assert_ptr_nonnull(p);
		return p;
	}
	ck_assert_int_eq(kr_hex_decode_alloc(hex, &p, len), KR_OK);
	return p;
}

/* ---------------------------------------------------------------------
 * Wycheproof
 */

/*
 * The `acceptable` cases and what keyrite does with each.  A change of
 * behaviour fails the test; a case listed here that the files no longer
 * hold fails it too.
 */
static const struct acceptable {
	const char	*file;
	int		 tc;
	bool		 accept;
	const char	*why;
} acceptables[] = {
	/*
	 * PKCS#1 v1.5 DigestInfo without the NULL parameters: refused.
	 * keyrite accepts only the one encoding of RFC 8017 9.2 (Mbed TLS
	 * rebuilds the expected block and compares it whole).
	 */
	{ "rsa_signature_3072_sha256_test", 8, false, "MissingNull" },
	{ "rsa_signature_4096_sha256_test", 8, false, "MissingNull" },
};

#define NACCEPTABLES	(sizeof(acceptables) / sizeof(acceptables[0]))

static const struct wyche_file {
	const char	*name;
	enum kr_sig_alg	 alg;
	unsigned	 flags;
	const char	*params;	/* group parameters we rely on */
} wyche_files[] = {
	{ "ecdsa_secp256r1_sha256_test", KR_SIG_ECDSA_P256_SHA256, 0,
	    "sha=SHA-256" },
	{ "ecdsa_secp256r1_sha256_p1363_test", KR_SIG_ECDSA_P256_SHA256,
	    KR_VERIFY_ECDSA_RAW, "sha=SHA-256" },
	{ "ecdsa_secp384r1_sha384_test", KR_SIG_ECDSA_P384_SHA384, 0,
	    "sha=SHA-384" },
	{ "ed25519_test", KR_SIG_ED25519, 0, "-" },
	{ "rsa_signature_3072_sha256_test", KR_SIG_RSA_PKCS1_SHA256, 0,
	    "sha=SHA-256" },
	{ "rsa_signature_4096_sha256_test", KR_SIG_RSA_PKCS1_SHA256, 0,
	    "sha=SHA-256" },
	{ "rsa_pss_3072_sha256_mgf1_32_test", KR_SIG_RSA_PSS_SHA256, 0,
	    "sha=SHA-256,mgf=MGF1,mgfSha=SHA-256,sLen=32" },
};

#define NWYCHE	(sizeof(wyche_files) / sizeof(wyche_files[0]))

struct wyche_count {
	int	total, valid, invalid, acc_yes, acc_no, key_refused;
};

static const struct acceptable *
find_acceptable(const char *file, int tc)
{
	size_t	i;

	for (i = 0; i < NACCEPTABLES; i++)
		if (strcmp(acceptables[i].file, file) == 0 &&
		    acceptables[i].tc == tc)
			return &acceptables[i];
	return NULL;
}

static void
wyche_case(const struct wyche_file *wf, char *line, struct wyche_count *c)
{
	char			 res[16], flags[512], key[2048], params[128];
	char			*msgh, *sigh;
	uint8_t			*k, *m, *s;
	size_t			 klen, mlen, slen;
	int			 tc, rc;
	struct kr_err		 err;
	const struct acceptable	*a;

	msgh = calloc(1, strlen(line));
	sigh = calloc(1, strlen(line));
	ck_assert(msgh != NULL && sigh != NULL);
	ck_assert_int_eq(sscanf(line, "%d %15s %511s %2047s %s %s %127s", &tc,
	    res, flags, key, msgh, sigh, params), 7);
	ck_assert_msg(strcmp(params, wf->params) == 0, "%s tcId %d: group "
	    "parameters %s, the test expects %s", wf->name, tc, params,
	    wf->params);
	k = unhex(key, &klen);
	m = unhex(msgh, &mlen);
	s = unhex(sigh, &slen);
	kr_err_clear(&err);
	rc = kr_sig_verify(wf->alg, k, klen, m, mlen, s, slen, wf->flags,
	    &err);
	ck_assert_msg(rc == KR_OK || rc == KR_EVERIFY || rc == KR_EINPUT,
	    "%s tcId %d: unexpected code %d", wf->name, tc, rc);
	ck_assert_msg(rc == KR_OK || err.msg[0] != '\0', "%s tcId %d: no "
	    "message", wf->name, tc);
	c->total++;
	if (rc == KR_EINPUT)
		c->key_refused++;
	if (strcmp(res, "valid") == 0) {
		ck_assert_msg(rc == KR_OK, "%s tcId %d (%s) is valid but was "
		    "refused: %s", wf->name, tc, flags, err.msg);
		c->valid++;
	} else if (strcmp(res, "invalid") == 0) {
		ck_assert_msg(rc != KR_OK, "%s tcId %d (%s) is invalid but "
		    "was ACCEPTED", wf->name, tc, flags);
		c->invalid++;
	} else {
		a = find_acceptable(wf->name, tc);
		ck_assert_msg(a != NULL, "%s tcId %d (%s) is acceptable and "
		    "not listed in acceptables[]: decide and list it",
		    wf->name, tc, flags);
		ck_assert_msg((rc == KR_OK) == a->accept, "%s tcId %d (%s): "
		    "listed as %s, but was %s", wf->name, tc, a->why,
		    a->accept ? "accepted" : "refused",
		    rc == KR_OK ? "accepted" : "refused");
		if (rc == KR_OK)
			c->acc_yes++;
		else
			c->acc_no++;
	}
	free(k);
	free(m);
	free(s);
	free(msgh);
	free(sigh);
}

START_TEST(test_wycheproof)
{
	const struct wyche_file	*wf = &wyche_files[_i];
	struct wyche_count	 c = { 0 };
	char			 path[1024], *line = NULL;
	size_t			 cap = 0, i;
	int			 n = -1, listed = 0;
	FILE			*f;

	(void)snprintf(path, sizeof(path), "%s/%s.txt", txt_dir, wf->name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert(getline(&line, &cap, f) > 0);
	ck_assert_int_eq(sscanf(line, "numberOfTests %d", &n), 1);
	while (getline(&line, &cap, f) > 0)
		wyche_case(wf, line, &c);
	free(line);
	fclose(f);
	ck_assert_int_eq(c.total, n);
	ck_assert_int_gt(c.valid, 0);
	ck_assert_int_gt(c.invalid, 0);
	for (i = 0; i < NACCEPTABLES; i++)
		if (strcmp(acceptables[i].file, wf->name) == 0)
			listed++;
	ck_assert_int_eq(c.acc_yes + c.acc_no, listed);
	printf("wycheproof %s: %d cases: %d valid verified, %d invalid "
	    "refused (%d of them for the key), %d acceptable (%d accepted, "
	    "%d refused)\n", wf->name, c.total, c.valid, c.invalid,
	    c.key_refused, c.acc_yes + c.acc_no, c.acc_yes, c.acc_no);
}
END_TEST

/* ---------------------------------------------------------------------
 * Hashes
 */

static const enum kr_hash_alg hash_algs[] = {
	KR_HASH_SHA256, KR_HASH_SHA384, KR_HASH_SHA512, KR_HASH_BLAKE2B512,
};

START_TEST(test_hash_streaming)
{
	static uint8_t	data[20000];
	uint8_t		one[KR_HASH_MAX_BYTES], st[KR_HASH_MAX_BYTES];
	struct kr_hash	h;
	size_t		a, off, n, len;
	int		round;

	kr_random(data, sizeof(data));
	for (a = 0; a < sizeof(hash_algs) / sizeof(hash_algs[0]); a++) {
		len = kr_hash_len(hash_algs[a]);
		ck_assert(len == 32 || len == 48 || len == 64);
		for (round = 0; round < 40; round++) {
			size_t total = randombytes_uniform(sizeof(data) + 1);

			ck_assert_int_eq(kr_hash(hash_algs[a], data, total,
			    one), KR_OK);
			ck_assert_int_eq(kr_hash_init(&h, hash_algs[a]), KR_OK);
			for (off = 0; off < total; off += n) {
				n = randombytes_uniform(round < 20 ? 200 :
				    5000);
				if (n > total - off)
					n = total - off;
				kr_hash_update(&h, data + off, n);
			}
			kr_hash_final(&h, st);
			ck_assert_mem_eq(one, st, len);
		}
	}
}
END_TEST

/*
 * Hashes on a second thread give kr_hash()'s digest: whole-buffer jobs,
 * and pipes fed in appends of awkward sizes across their 256 KiB
 * buffers (lengths around one and two buffers, and none at all).
 */
START_TEST(test_hash_thread)
{
	static const size_t	 lens[] = { 0, 1, 63, 64, 262143, 262144,
				     262145, 524288, 1000003 };
	static const size_t	 steps[] = { 1, 7, 50, 4096, 300000 };
	struct kr_hash_job	*j = NULL;
	struct kr_hash_pipe	*hp = NULL;
	uint8_t			*data, want[64], got[64];
	size_t			 i, k, off, n;

	data = malloc(1000003);
	ck_assert_ptr_nonnull(data);
	for (i = 0; i < 1000003; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ck_assert_int_eq(kr_hash(KR_HASH_SHA256, data, lens[i], want),
		    KR_OK);
		ck_assert_int_eq(kr_hash_job_start(&j, KR_HASH_SHA256, data,
		    lens[i]), KR_OK);
		memset(got, 0, sizeof(got));
		ck_assert_int_eq(kr_hash_job_finish(&j, got), KR_OK);
		ck_assert_ptr_null(j);
		ck_assert_mem_eq(got, want, 32);
		for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			ck_assert_int_eq(kr_hash_pipe_new(&hp, KR_HASH_SHA256),
			    KR_OK);
			for (off = 0; off < lens[i]; off += n) {
				n = lens[i] - off < steps[k] ? lens[i] - off :
				    steps[k];
				kr_hash_pipe_update(hp, data + off, n);
			}
			memset(got, 0, sizeof(got));
			kr_hash_pipe_final(&hp, got);
			ck_assert_ptr_null(hp);
			ck_assert_mem_eq(got, want, 32);
		}
	}
	/* Another algorithm, and a digest dropped. */
	ck_assert_int_eq(kr_hash(KR_HASH_SHA512, data, 777777, want), KR_OK);
	ck_assert_int_eq(kr_hash_pipe_new(&hp, KR_HASH_SHA512), KR_OK);
	kr_hash_pipe_update(hp, data, 777777);
	kr_hash_pipe_final(&hp, got);
	ck_assert_mem_eq(got, want, 64);
	ck_assert_int_eq(kr_hash_job_start(&j, KR_HASH_SHA256, data, 10),
	    KR_OK);
	ck_assert_int_eq(kr_hash_job_finish(&j, NULL), KR_OK);
	ck_assert_int_eq(kr_hash_pipe_new(&hp, KR_HASH_SHA256), KR_OK);
	kr_hash_pipe_update(hp, data, 300000);
	kr_hash_pipe_final(&hp, NULL);
	free(data);
}
END_TEST

START_TEST(test_hash_misc)
{
	struct kr_hash	h;
	uint8_t		a[64], b[64];
	size_t		i, j;

	ck_assert_int_ne(kr_hash_init(&h, 0), KR_OK);
	ck_assert_int_ne(kr_hash_init(&h, 99), KR_OK);
	ck_assert_int_ne(kr_hash(0, "x", 1, a), KR_OK);
	ck_assert_uint_eq(kr_hash_len(0), 0);
	/* final wipes the state */
	ck_assert_int_eq(kr_hash_init(&h, KR_HASH_SHA256), KR_OK);
	kr_hash_update(&h, "secret", 6);
	kr_hash_final(&h, a);
	for (i = 0; i < sizeof(h.state); i++)
		ck_assert_uint_eq(h.state[i], 0);
	/* the algorithms differ from one another */
	for (i = 0; i < 4; i++)
		for (j = i + 1; j < 4; j++) {
			ck_assert_int_eq(kr_hash(hash_algs[i], "abc", 3, a),
			    KR_OK);
			ck_assert_int_eq(kr_hash(hash_algs[j], "abc", 3, b),
			    KR_OK);
			ck_assert(memcmp(a, b, 32) != 0);
		}
	/* SHA-256 of the empty string (FIPS 180-4) */
	ck_assert_int_eq(kr_hash(KR_HASH_SHA256, NULL, 0, a), KR_OK);
	ck_assert_int_eq(kr_hex_decode(b, 32, "e3b0c44298fc1c149afbf4c8996fb9"
	    "2427ae41e4649b934ca495991b7852b855"), KR_OK);
	ck_assert_mem_eq(a, b, 32);
}
END_TEST

/* ---------------------------------------------------------------------
 * AEAD
 */

START_TEST(test_aead)
{
	uint8_t	key[32], nonce[24], m[300], ad[40], c[316], out[300];
	size_t	i, mlen = 300;

	kr_random(key, sizeof(key));
	kr_random(nonce, sizeof(nonce));
	kr_random(m, sizeof(m));
	kr_random(ad, sizeof(ad));
	ck_assert_int_eq(kr_aead_seal(c, m, mlen, ad, sizeof(ad), nonce, key),
	    KR_OK);
	ck_assert_int_eq(kr_aead_open(out, c, mlen + 16, ad, sizeof(ad), nonce,
	    key), KR_OK);
	ck_assert_mem_eq(out, m, mlen);
	for (i = 0; i < mlen + 16; i++) {
		c[i] ^= 0x80;
		ck_assert_int_eq(kr_aead_open(out, c, mlen + 16, ad,
		    sizeof(ad), nonce, key), KR_EVERIFY);
		c[i] ^= 0x80;
	}
	for (i = 0; i < sizeof(ad); i++) {
		ad[i] ^= 0x01;
		ck_assert_int_eq(kr_aead_open(out, c, mlen + 16, ad,
		    sizeof(ad), nonce, key), KR_EVERIFY);
		ad[i] ^= 0x01;
	}
	nonce[23] ^= 1;
	ck_assert_int_eq(kr_aead_open(out, c, mlen + 16, ad, sizeof(ad),
	    nonce, key), KR_EVERIFY);
	nonce[23] ^= 1;
	key[0] ^= 1;
	ck_assert_int_eq(kr_aead_open(out, c, mlen + 16, ad, sizeof(ad),
	    nonce, key), KR_EVERIFY);
	key[0] ^= 1;
	/* truncated or missing AD */
	ck_assert_int_eq(kr_aead_open(out, c, mlen + 15, ad, sizeof(ad),
	    nonce, key), KR_EVERIFY);
	ck_assert_int_eq(kr_aead_open(out, c, mlen + 16, NULL, 0, nonce, key),
	    KR_EVERIFY);
	ck_assert_int_eq(kr_aead_open(out, c, 15, ad, sizeof(ad), nonce, key),
	    KR_EINPUT);
	/* empty message and AD */
	ck_assert_int_eq(kr_aead_seal(c, NULL, 0, NULL, 0, nonce, key), KR_OK);
	ck_assert_int_eq(kr_aead_open(NULL, c, 16, NULL, 0, nonce, key),
	    KR_OK);
}
END_TEST

/* ---------------------------------------------------------------------
 * HKDF (RFC 5869 appendix A, the SHA-256 cases)
 */

static void
seq(uint8_t *p, size_t n, uint8_t first)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static void
check_okm(const uint8_t *okm, size_t len, const char *hex)
{
	uint8_t	want[128];

	ck_assert_uint_eq(strlen(hex), 2 * len);
	ck_assert_int_eq(kr_hex_decode(want, len, hex), KR_OK);
	ck_assert_mem_eq(okm, want, len);
}

START_TEST(test_hkdf)
{
	uint8_t	ikm[80], salt[80], info[80], okm[82];

	memset(ikm, 0x0b, 22);
	seq(salt, 13, 0x00);
	seq(info, 10, 0xf0);
	ck_assert_int_eq(kr_hkdf_sha256(okm, 42, ikm, 22, salt, 13, info, 10),
	    KR_OK);
	check_okm(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5d"
	    "b02d56ecc4c5bf34007208d5b887185865");

	seq(ikm, 80, 0x00);
	seq(salt, 80, 0x60);
	seq(info, 80, 0xb0);
	ck_assert_int_eq(kr_hkdf_sha256(okm, 82, ikm, 80, salt, 80, info, 80),
	    KR_OK);
	check_okm(okm, 82, "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a0"
	    "50cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b836"
	    "7793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87");

	memset(ikm, 0x0b, 22);
	ck_assert_int_eq(kr_hkdf_sha256(okm, 42, ikm, 22, NULL, 0, NULL, 0),
	    KR_OK);
	check_okm(okm, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3"
	    "454e5f3c738d2d9d201395faa4b61a96c8");
	ck_assert_int_eq(kr_hkdf_sha256(okm, 42, ikm, 22, salt, 0, info, 0),
	    KR_OK);
	check_okm(okm, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3"
	    "454e5f3c738d2d9d201395faa4b61a96c8");

	ck_assert_int_eq(kr_hkdf_sha256(okm, 0, ikm, 22, NULL, 0, NULL, 0),
	    KR_EINPUT);
	ck_assert_int_eq(kr_hkdf_sha256(okm, 42, NULL, 5, NULL, 0, NULL, 0),
	    KR_EINPUT);
}
END_TEST

/* ---------------------------------------------------------------------
 * Argon2id
 */

START_TEST(test_argon2id_ranges)
{
	struct kr_kdf_params	p = { .opslimit = 1, .mem_kib = 8 };
	uint8_t			salt[16] = { 1 }, a[32], b[32];
	struct kr_err		err;

	ck_assert_int_eq(kr_kdf_argon2id(a, 32, "pw", 2, salt, &p, &err),
	    KR_OK);
	ck_assert_int_eq(kr_kdf_argon2id(b, 32, "pw", 2, salt, &p, &err),
	    KR_OK);
	ck_assert_mem_eq(a, b, 32);
	salt[15] ^= 1;
	ck_assert_int_eq(kr_kdf_argon2id(b, 32, "pw", 2, salt, &p, &err),
	    KR_OK);
	ck_assert(memcmp(a, b, 32) != 0);
	ck_assert_int_eq(kr_kdf_argon2id(b, 32, "", 0, salt, &p, &err), KR_OK);

	p.opslimit = 0;
	ck_assert_int_eq(kr_kdf_argon2id(a, 32, "pw", 2, salt, &p, &err),
	    KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "passes"));
	p.opslimit = 1;
	p.mem_kib = 7;
	ck_assert_int_eq(kr_kdf_argon2id(a, 32, "pw", 2, salt, &p, &err),
	    KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "KiB"));
	p.mem_kib = 8;
	ck_assert_int_ne(kr_kdf_argon2id(a, 15, "pw", 2, salt, &p, &err),
	    KR_OK);
}
END_TEST

/* With the address space capped, a large memory cost is KR_ENOMEM. */
START_TEST(test_argon2id_nomem)
{
	struct kr_kdf_params	p = { .opslimit = 1, .mem_kib = 4u << 20 };
	uint8_t			salt[16] = { 0 }, out[32];
	struct rlimit		rl = { 512u << 20, 512u << 20 };
	struct kr_err		err;
	pid_t			pid;
	int			status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(2);
		if (kr_kdf_argon2id(out, 32, "pw", 2, salt, &p, &err) !=
		    KR_ENOMEM || strstr(err.msg, "memory") == NULL)
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* ---------------------------------------------------------------------
 * Self-tests
 */

static const char *const required_selftests[] = {
	"sha256-kat", "sha384-kat", "sha512-kat", "blake2b512-kat",
	"hmac-sha256-kat", "hkdf-sha256-kat", "xchacha20poly1305-kat",
	"argon2id-kat", "ed25519-kat", "ecdsa-p256-verify-kat",
	"ecdsa-p256-sign-kat", "ecdsa-p384-verify-kat",
	"rsa-pkcs1-verify-kat", "rsa-pss-verify-kat",
};

START_TEST(test_selftest_pass)
{
	struct kr_err	err;
	struct timespec	t0, t1;
	double		ms;
	size_t		i, j, n = kr_selftest_count();
	bool		found;

	kr_err_clear(&err);
	ck_assert_int_eq(kr_crypto_init(&err), KR_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(kr_selftest_run(NULL, &err), KR_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("self-tests: %zu passed in %.1f ms\n", n, ms);
	ck_assert_ptr_null(kr_selftest_name(n));
	for (i = 0; i < sizeof(required_selftests) /
	    sizeof(required_selftests[0]); i++) {
		found = false;
		for (j = 0; j < n; j++)
			if (strcmp(kr_selftest_name(j),
			    required_selftests[i]) == 0)
				found = true;
		ck_assert_msg(found, "no self-test %s", required_selftests[i]);
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			ck_assert_str_ne(kr_selftest_name(i),
			    kr_selftest_name(j));
}
END_TEST

START_TEST(test_selftest_sabotage)
{
	const char	*name = kr_selftest_name((size_t)_i);
	char		 quoted[128];
	struct kr_err	 err;

	ck_assert_ptr_nonnull(name);
	kr_err_clear(&err);
	ck_assert_int_eq(kr_selftest_run(name, &err), KR_ESELFTEST);
	(void)snprintf(quoted, sizeof(quoted), "power-on self-test '%s' "
	    "failed: keyrite will not run on this machine", name);
	ck_assert_msg(strstr(err.msg, quoted) != NULL, "message: %s",
	    err.msg);
	/* and the sabotage leaves nothing behind */
	ck_assert_int_eq(kr_selftest_run(NULL, &err), KR_OK);
}
END_TEST

START_TEST(test_selftest_unknown)
{
	struct kr_err	err;

	ck_assert_int_ne(kr_selftest_run("no-such-test", &err), KR_OK);
	ck_assert_int_ne(kr_selftest_run("", &err), KR_OK);
}
END_TEST

/* ---------------------------------------------------------------------
 * SubjectPublicKeyInfo
 */

static const struct spki_good {
	const char		*hex;
	enum kr_pk_type		 type;
	unsigned		 bits;
	int			 key_alg;	/* 0: none */
	const char		*fingerprint;	/* sha256sum of the DER */
} spki_good[] = {
	{ "3059301306072a8648ce3d020106082a8648ce3d03010703420004"
	    "04aaec73635726f213fb8a9e64da3b8632e41495a944d0045b522eba7240fad5"
	    "87d9315798aaa3a5ba01775787ced05eaaf7b4e09fc81d6d1aa546e8365d525d",
	    KR_PK_EC_P256, 256, KR_KEY_P256,
	    "0959b8a32ced68a78e40886d18b70109"
	    "8c146497c51790ce549456ddfef3ece9" },
	{ "3076301006072a8648ce3d020106052b8104002203620004"
	    "29bdb76d5fa741bfd70233cb3a66cc7d44beb3b0663d92a8136650478bcefb61"
	    "ef182e155a54345a5e8e5e88f064e5bc9a525ab7f764dad3dae1468c2b419f3b"
	    "62b9ba917d5e8c4fb1ec47404a3fc76474b2713081be9db4c00e043ada9fc4a3",
	    KR_PK_EC_P384, 384, KR_KEY_P384,
	    "95a00153bdf9de3502e88fecb8bacf53"
	    "ac5a23ff450c990a76c8e1a78da5e91f" },
	{ "302a300506032b65700321007d4d0e7f6153a69b6242b522abbee685fda4420f88"
	    "34b108c3bdae369ef549fa", KR_PK_ED25519, 256, KR_KEY_ED25519,
	    "71d4c03fb1705e8409a17b448f343cb3"
	    "c4aa03b5f7b98bea5f02a063efcf7d67" },
};

/* Keys that must be refused, made with OpenSSL 3.0 (`openssl genpkey`). */
static const char *const spki_bad[] = {
	/* RSA-1024 */
	"30819f300d06092a864886f70d010101050003818d0030818902818100d906dca640"
	"3ad486ca86c544b2a931c40d5321e9f4279f4b3ee194006e369d65499a17b48ea1ce"
	"62d8ca1c0a59f9e474050e230de627d6d0c15285cdfe1b571cdccc8f2ef4de435ae5"
	"acce184ed23ca0f3b7364c59a75006b8ce86c4263758978bdab0b8061c20b26d253a"
	"2bef371da7d06aaeb8b14df2bc33e2ac6ec69354150203010001",
	/* secp256k1 */
	"3056301006072a8648ce3d020106052b8104000a03420004493f365c4d4de41e80c8"
	"2a02e973aa4cc0756ee05c207c6ee79f6b983d14c05f8e8bbebe808175856d456709"
	"25592db37fd299d44cb0780f28b5d39650b58447",
	/* P-256 with explicit curve parameters */
	"3082014b3082010306072a8648ce3d02013081f7020101302c06072a8648ce3d0101"
	"022100ffffffff00000001000000000000000000000000ffffffffffffffffffffff"
	"ff305b0420ffffffff00000001000000000000000000000000ffffffffffffffffff"
	"fffffc04205ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27"
	"d2604b031500c49d360886e704936a6678e1139d26b7819f7e900441046b17d1f2e1"
	"2c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f"
	"9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5022100ffffffff0000"
	"0000ffffffffffffffffbce6faada7179e84f3b9cac2fc6325510201010342000"
	"4d6fa151961547d8c512a1b3948fff9be7a224d473065d8412274c1bbbcb82e73b3"
	"cde0dbecec14825474b3409ff1d47b80ea0925d01e181f5f4f1def020a0786",
	/* P-256, compressed point */
	"3039301306072a8648ce3d020106082a8648ce3d030107032200026a1b7f298b6818"
	"82ee9646efc21acccf6bc014e76f8799dd899f538255bae8a5",
	/* Ed448 */
	"3043300506032b6571033a000dcd13a20f54f89654e5d7c101762b061323b942c25a"
	"23f32129fa2e6a6faa2d15ba61f5f51a9e285da7084d9cb8b329850288ab9c688708"
	"00",
	/* X25519 */
	"302a300506032b656e0321005a9fc3558a187284ced7f76bc30f4b91a0e180274db4"
	"f6364c0bf1ffd949e72e",
	/* Ed25519, the identity point (small order) */
	"302a300506032b6570032100010000000000000000000000000000000000000000"
	"0000000000000000000000",
	/* P-256, point not on the curve (last byte of y changed) */
	"3059301306072a8648ce3d020106082a8648ce3d03010703420004"
	"04aaec73635726f213fb8a9e64da3b8632e41495a944d0045b522eba7240fad5"
	"87d9315798aaa3a5ba01775787ced05eaaf7b4e09fc81d6d1aa546e8365d525e",
	/* P-256, outer length in long form (BER, not DER) */
	"308159301306072a8648ce3d020106082a8648ce3d03010703420004"
	"04aaec73635726f213fb8a9e64da3b8632e41495a944d0045b522eba7240fad5"
	"87d9315798aaa3a5ba01775787ced05eaaf7b4e09fc81d6d1aa546e8365d525d",
};

static void
spki_refused(const uint8_t *p, size_t len, const char *what)
{
	struct kr_err		err;
	struct kr_spki_info	info;

	kr_err_clear(&err);
	ck_assert_msg(kr_spki_parse(p, len, &info, &err) == KR_EINPUT,
	    "%s was accepted", what);
	ck_assert_msg(strncmp(err.msg, "public key", 10) == 0, "%s: %s", what,
	    err.msg);
}

START_TEST(test_spki_good)
{
	const struct spki_good	*g = &spki_good[_i];
	struct kr_spki_info	 info;
	enum kr_key_alg		 alg;
	struct kr_err		 err;
	uint8_t			*p, *q;
	size_t			 len, cut;
	char			 fp[KR_FINGERPRINT_STR_BYTES];

	ck_assert_int_eq(kr_hex_decode_alloc(g->hex, &p, &len), KR_OK);
	ck_assert_int_eq(kr_spki_parse(p, len, &info, &err), KR_OK);
	ck_assert_int_eq(info.type, g->type);
	ck_assert_uint_eq(info.bits, g->bits);
	ck_assert_int_eq(kr_spki_key_alg(&info, &alg), KR_OK);
	ck_assert_int_eq(alg, g->key_alg);
	kr_spki_fingerprint(p, len, fp);
	ck_assert_str_eq(fp, g->fingerprint);
	for (cut = 0; cut < len; cut++)
		spki_refused(p, cut, "a truncated key");
	q = malloc(len + 2);
	ck_assert_ptr_nonnull(q);
	memcpy(q, p, len);
	q[len] = 0x00;
	q[len + 1] = 0x00;
	spki_refused(q, len + 1, "a key with a trailing 00");
	spki_refused(q, len + 2, "a key with trailing 00 00");
	q[0] = 0x31;
	spki_refused(q, len, "a key whose SEQUENCE is a SET");
	free(q);
	free(p);
}
END_TEST

START_TEST(test_spki_bad)
{
	uint8_t	*p;
	size_t	 len;

	ck_assert_int_eq(kr_hex_decode_alloc(spki_bad[_i], &p, &len), KR_OK);
	spki_refused(p, len, spki_bad[_i]);
	free(p);
}
END_TEST

START_TEST(test_spki_misc)
{
	static uint8_t		big[KR_SPKI_MAX_BYTES + 1];
	struct kr_spki_info	info;
	enum kr_key_alg		alg;
	struct kr_err		err;

	spki_refused(NULL, 0, "NULL");
	spki_refused((const uint8_t *)"", 0, "empty");
	memset(big, 0x30, sizeof(big));
	spki_refused(big, sizeof(big), "an oversized key");
	spki_refused((const uint8_t *)"-----BEGIN PUBLIC KEY-----", 26,
	    "PEM text");
	info.type = KR_PK_RSA;
	info.bits = 3072;
	ck_assert_int_eq(kr_spki_key_alg(&info, &alg), KR_OK);
	ck_assert_int_eq(alg, KR_KEY_RSA3072);
	info.bits = 4096;
	ck_assert_int_eq(kr_spki_key_alg(&info, &alg), KR_OK);
	ck_assert_int_eq(alg, KR_KEY_RSA4096);
	info.bits = 2048;
	ck_assert_int_eq(kr_spki_key_alg(&info, &alg), KR_EINPUT);
	(void)err;
}
END_TEST

/*
 * TEST-KEY-479: Ed25519 points found valid are kept per thread (the
 * subgroup check costs a signature check): a kept key is accepted again,
 * one pushed out by eight others is checked again and accepted, and
 * the same key plus a point of order 2 (on the curve, not in the prime
 * order subgroup) is still refused after the key itself was kept.
 */
static void
spki_ed25519(const uint8_t *pk, uint8_t *spki)
{
	static const uint8_t	prefix[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06,
				    0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };

	memcpy(spki, prefix, sizeof(prefix));
	memcpy(spki + sizeof(prefix), pk, crypto_sign_PUBLICKEYBYTES);
}

START_TEST(test_spki_ed25519_kept)
{
	uint8_t			pk[10][crypto_sign_PUBLICKEYBYTES], two[32];
	uint8_t			sk[crypto_sign_SECRETKEYBYTES], mixed[32];
	uint8_t			spki[44];
	struct kr_spki_info	info;
	struct kr_err		err;
	int			i, round;

	/* (0, -1), of order 2: y = p - 1, little-endian */
	memset(two, 0xff, sizeof(two));
	two[0] = 0xec;
	two[31] = 0x7f;
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(crypto_sign_keypair(pk[i], sk), 0);
	sodium_memzero(sk, sizeof(sk));
	for (round = 0; round < 2; round++)
		for (i = 0; i < 10; i++) {
			spki_ed25519(pk[i], spki);
			kr_err_clear(&err);
			ck_assert_msg(kr_spki_parse(spki, sizeof(spki), &info,
			    &err) == KR_OK, "key %d, round %d: %s", i, round,
			    err.msg);
		}
	ck_assert_int_eq(crypto_core_ed25519_add(mixed, pk[9], two), 0);
	ck_assert_int_eq(crypto_core_ed25519_is_valid_point(mixed), 0);
	spki_ed25519(mixed, spki);
	spki_refused(spki, sizeof(spki), "a kept key plus a point of order 2");
	spki_ed25519(two, spki);
	spki_refused(spki, sizeof(spki), "the point of order 2");
	spki_ed25519(pk[9], spki);
	ck_assert_int_eq(kr_spki_parse(spki, sizeof(spki), &info, &err), KR_OK);
}
END_TEST

/*
 * The negated key's SPKI hash: Ed25519 -A made as (L - a)B, EC -Q as
 * (n - d)G, each by scalar multiplication (not by the sign bit or p - y
 * that kr_spki_negated_sha256 uses).
 */
START_TEST(test_spki_negated)
{
	static const uint8_t	 pre[] = KR_ED25519_SPKI_PREFIX;
	uint8_t			 a[32], na[32], spki[44], want[32], got[32];
	uint8_t			 buf[KR_SPKI_MAX_BYTES];
	mbedtls_pk_context	 pk;
	mbedtls_ecp_keypair	*ec;
	mbedtls_mpi		 nd;
	struct kr_err		 err;
	int			 n;

	crypto_core_ed25519_scalar_random(a);
	crypto_core_ed25519_scalar_negate(na, a);
	memcpy(spki, pre, sizeof(pre));
	ck_assert_int_eq(crypto_scalarmult_ed25519_base_noclamp(spki + 12,
	    na), 0);
	ck_assert_int_eq(kr_hash(KR_HASH_SHA256, spki, 44, want), KR_OK);
	ck_assert_int_eq(crypto_scalarmult_ed25519_base_noclamp(spki + 12, a),
	    0);
	ck_assert_int_eq(kr_spki_negated_sha256(spki, 44, got, &err), KR_OK);
	ck_assert_mem_eq(got, want, 32);

	mbedtls_pk_init(&pk);
	mbedtls_mpi_init(&nd);
	ck_assert_int_eq(mbedtls_pk_setup(&pk,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	ec = mbedtls_pk_ec(pk);
	ck_assert_int_eq(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, ec,
	    kr_mbedtls_rng, NULL), 0);
	n = mbedtls_pk_write_pubkey_der(&pk, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(kr_spki_negated_sha256(buf + sizeof(buf) - n,
	    (size_t)n, got, &err), KR_OK);
	ck_assert_int_eq(mbedtls_mpi_sub_mpi(&nd, &ec->grp.N, &ec->d), 0);
	ck_assert_int_eq(mbedtls_ecp_mul(&ec->grp, &ec->Q, &nd, &ec->grp.G,
	    kr_mbedtls_rng, NULL), 0);
	n = mbedtls_pk_write_pubkey_der(&pk, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(kr_hash(KR_HASH_SHA256, buf + sizeof(buf) - n,
	    (size_t)n, want), KR_OK);
	ck_assert_mem_eq(got, want, 32);
	mbedtls_mpi_free(&nd);
	mbedtls_pk_free(&pk);
}
END_TEST

/* ---------------------------------------------------------------------
 * ECDSA encodings
 */

static void
der_refused(const char *hex, size_t half)
{
	uint8_t	der[200], raw[200];
	size_t	len = strlen(hex) / 2;

	ck_assert_int_eq(kr_hex_decode(der, len, hex), KR_OK);
	ck_assert_msg(kr_ecdsa_der_to_raw(der, len, half, raw) == KR_EINPUT,
	    "%s accepted", hex);
}

START_TEST(test_ecdsa_der_strict)
{
	uint8_t	raw[2 * 33], der[80];
	size_t	len;

	/* a good one first: r = 1, s = 0x80 */
	ck_assert_int_eq(kr_hex_decode(der, 9, "300702010102020080"), KR_OK);
	ck_assert_int_eq(kr_ecdsa_der_to_raw(der, 9, 32, raw), KR_OK);
	ck_assert_uint_eq(raw[31], 1);
	ck_assert_uint_eq(raw[63], 0x80);
	ck_assert_uint_eq(raw[62], 0);
	len = sizeof(der);
	ck_assert_int_eq(kr_ecdsa_raw_to_der(raw, 64, der, &len), KR_OK);
	ck_assert_uint_eq(len, 9);

	der_refused("30070201010202008000", 32);	/* trailing byte */
	der_refused("300802010102020080", 32);		/* seq length */
	der_refused("30060201010202008000", 32);	/* seq length short */
	der_refused("3081070201010202008000", 32);	/* non-minimal len */
	der_refused("30080201010203000080", 32);	/* 00 00 80 */
	der_refused("300602010102017f00", 32);		/* trailing byte */
	der_refused("300702010102017f00", 32);		/* trailing in seq */
	der_refused("3006020101020180", 32);		/* negative s */
	der_refused("3006020100020101", 32);		/* r = 0 */
	der_refused("300702020001020101", 32);		/* r = 00 01 */
	der_refused("3006020101030101", 32);		/* BIT STRING */
	der_refused("3106020101020101", 32);		/* SET */
	der_refused("3004020101020101", 32);		/* seq too short */
	der_refused("30050201010200", 32);		/* empty s */
	der_refused("300302010102", 32);		/* truncated */
	der_refused("3003020101", 32);			/* no s */
	der_refused("30", 32);
	der_refused("", 32);
	der_refused("3006020101020101", 0);		/* no half */
	/* r = 2^256 (33 bytes) does not fit a 32-byte half; 2^256 - 1 does */
	memset(der, 0, sizeof(der));
	memcpy(der, "\x30\x26\x02\x21\x01", 5);
	memcpy(der + 37, "\x02\x01\x01", 3);
	ck_assert_int_eq(kr_ecdsa_der_to_raw(der, 40, 32, raw), KR_EINPUT);
	ck_assert_int_eq(kr_ecdsa_der_to_raw(der, 40, 33, raw), KR_OK);
	memcpy(der, "\x30\x26\x02\x21\x00", 5);
	memset(der + 5, 0xff, 32);
	ck_assert_int_eq(kr_ecdsa_der_to_raw(der, 40, 32, raw), KR_OK);
}
END_TEST

/* raw -> DER -> raw over values with leading zeros and high bits. */
START_TEST(test_ecdsa_roundtrip)
{
	uint8_t	raw[96], back[96], der[112];
	size_t	half, len, i;
	int	round;

	for (round = 0; round < 2000; round++) {
		half = (round & 1) ? 48 : 32;
		kr_random(raw, 2 * half);
		/* shape: zero bytes at the top, or the top bit set */
		for (i = 0; i < (size_t)(round % 5) * 3 && i < half - 1; i++)
			raw[i] = raw[half + i] = 0;
		if (round % 7 == 0)
			raw[0] |= 0x80;
		raw[half - 1] |= 1;
		raw[2 * half - 1] |= 1;
		len = sizeof(der);
		ck_assert_int_eq(kr_ecdsa_raw_to_der(raw, 2 * half, der, &len),
		    KR_OK);
		ck_assert_uint_le(len, 2 * half + 9);
		ck_assert_int_eq(kr_ecdsa_der_to_raw(der, len, half, back),
		    KR_OK);
		ck_assert_mem_eq(raw, back, 2 * half);
		/* every truncation is refused */
		for (i = 0; i < len; i += 7)
			ck_assert_int_eq(kr_ecdsa_der_to_raw(der, i, half,
			    back), KR_EINPUT);
	}
}
END_TEST

START_TEST(test_ecdsa_raw_refused)
{
	uint8_t	raw[64], der[80];
	size_t	len;

	memset(raw, 0x11, sizeof(raw));
	len = sizeof(der);
	ck_assert_int_eq(kr_ecdsa_raw_to_der(raw, 63, der, &len), KR_EINPUT);
	ck_assert_int_eq(kr_ecdsa_raw_to_der(raw, 0, der, &len), KR_EINPUT);
	len = 10;
	ck_assert_int_eq(kr_ecdsa_raw_to_der(raw, 64, der, &len), KR_EINPUT);
	memset(raw, 0, 32);
	len = sizeof(der);
	ck_assert_int_eq(kr_ecdsa_raw_to_der(raw, 64, der, &len), KR_EINPUT);
	memset(raw, 0x11, 32);
	memset(raw + 32, 0, 32);
	ck_assert_int_eq(kr_ecdsa_raw_to_der(raw, 64, der, &len), KR_EINPUT);
}
END_TEST

/* ---------------------------------------------------------------------
 * Verification: arguments and keys that do not fit
 */

/* RFC 6979 A.2.5: P-256 key and the SHA-256 signature of "sample". */
static const char p256_spki[] =
    "3059301306072a8648ce3d020106082a8648ce3d030107034200"
    "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
static const char p256_sig[] =
    "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
    "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";

START_TEST(test_verify_args)
{
	uint8_t		spki[91], sig[64], der[80], md[32], high[64];
	uint8_t		n[32];
	size_t		derlen = sizeof(der), i;
	struct kr_err	err;

	ck_assert_int_eq(kr_hex_decode(spki, 91, p256_spki), KR_OK);
	ck_assert_int_eq(kr_hex_decode(sig, 64, p256_sig), KR_OK);
	ck_assert_int_eq(kr_ecdsa_raw_to_der(sig, 64, der, &derlen), KR_OK);
	ck_assert_int_eq(kr_hash(KR_HASH_SHA256, "sample", 6, md), KR_OK);

	ck_assert_int_eq(kr_sig_verify(KR_SIG_ECDSA_P256_SHA256, spki, 91,
	    (const uint8_t *)"sample", 6, der, derlen, 0, &err), KR_OK);
	ck_assert_int_eq(kr_sig_verify_digest(KR_SIG_ECDSA_P256_SHA256, spki,
	    91, md, 32, sig, 64, KR_VERIFY_ECDSA_RAW, &err), KR_OK);
	/* the other message, the other encoding */
	ck_assert_int_eq(kr_sig_verify(KR_SIG_ECDSA_P256_SHA256, spki, 91,
	    (const uint8_t *)"Sample", 6, der, derlen, 0, &err), KR_EVERIFY);
	ck_assert_int_eq(kr_sig_verify(KR_SIG_ECDSA_P256_SHA256, spki, 91,
	    (const uint8_t *)"sample", 6, sig, 64, 0, &err), KR_EVERIFY);
	ck_assert_int_eq(kr_sig_verify(KR_SIG_ECDSA_P256_SHA256, spki, 91,
	    (const uint8_t *)"sample", 6, der, derlen, KR_VERIFY_ECDSA_RAW,
	    &err), KR_EVERIFY);
	/* r or s equal to 0 or to the group order n: out of range */
	ck_assert_int_eq(kr_hex_decode(n, 32, "ffffffff00000000ffffffffffffff"
	    "ffbce6faada7179e84f3b9cac2fc632551"), KR_OK);
	for (i = 0; i < 4; i++) {
		memcpy(high, sig, 64);
		if (i < 2)
			memcpy(high + 32 * i, n, 32);
		else
			memset(high + 32 * (i - 2), 0, 32);
		ck_assert_int_eq(kr_sig_verify_digest(KR_SIG_ECDSA_P256_SHA256,
		    spki, 91, md, 32, high, 64, KR_VERIFY_ECDSA_RAW, &err),
		    KR_EVERIFY);
	}
	/* n - s with the same r is the other valid signature (malleable) */
	{
		int	c = 0, j;

		memcpy(high, sig, 64);
		for (j = 31; j >= 0; j--) {
			c = (int)n[j] - (int)sig[32 + j] - c;
			high[32 + j] = (uint8_t)c;
			c = c < 0;
		}
		ck_assert_int_eq(kr_sig_verify_digest(KR_SIG_ECDSA_P256_SHA256,
		    spki, 91, md, 32, high, 64, KR_VERIFY_ECDSA_RAW, &err),
		    KR_OK);
	}
	/* a key of another kind, a digest of the wrong size, bad flags */
	ck_assert_int_eq(kr_sig_verify(KR_SIG_ECDSA_P384_SHA384, spki, 91,
	    (const uint8_t *)"sample", 6, der, derlen, 0, &err), KR_EINPUT);
	ck_assert_int_eq(kr_sig_verify(KR_SIG_RSA_PSS_SHA256, spki, 91,
	    (const uint8_t *)"sample", 6, der, derlen, 0, &err), KR_EINPUT);
	ck_assert_int_eq(kr_sig_verify(KR_SIG_ED25519, spki, 91,
	    (const uint8_t *)"sample", 6, sig, 64, 0, &err), KR_EINPUT);
	ck_assert_int_eq(kr_sig_verify(0, spki, 91,
	    (const uint8_t *)"sample", 6, der, derlen, 0, &err), KR_EINPUT);
	ck_assert_int_eq(kr_sig_verify_digest(KR_SIG_ECDSA_P256_SHA256, spki,
	    91, md, 31, sig, 64, KR_VERIFY_ECDSA_RAW, &err), KR_EINPUT);
	ck_assert_int_eq(kr_sig_verify(KR_SIG_ECDSA_P256_SHA256, spki, 91,
	    (const uint8_t *)"sample", 6, der, derlen, 0x100, &err),
	    KR_EINPUT);
	ck_assert_int_eq(kr_sig_verify(KR_SIG_ECDSA_P256_SHA256, spki, 90,
	    (const uint8_t *)"sample", 6, der, derlen, 0, &err), KR_EINPUT);
	ck_assert_int_eq(kr_sig_verify(KR_SIG_ECDSA_P256_SHA256, spki, 91,
	    (const uint8_t *)"sample", 6, NULL, 0, 0, &err), KR_EVERIFY);
}
END_TEST

/*
 * RSA-2048 made with OpenSSL 3.0.22 for these tests: the message
 * "keyrite" signed with `openssl dgst -sha256|-sha384|-sha512 -sign`, with
 * `-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:N -sigopt
 * rsa_mgf1_md:MD` for PSS.  Covers the hashes Wycheproof's files do not,
 * and PSS salt lengths and MGF1 hashes other than keyrite's.
 */
static const char rsa2048_spki[] =
    "30820122300d06092a864886f70d01010105000382010f003082010a0282"
    "0101009cecd7fffd63354c6bec9f674c82c93621868276e6f7ba78f9bb58"
    "23785e9719f926babf0c27b8de5c76bd10320ad3fc788b86381932ce1609"
    "9d09f38a6bcb3adcac232476e6ce9c73c1da28dc910431693239c3dd5df9"
    "380d0621a3799dfb23c45974f22897a22b265c68dfb3e650569abef2bd16"
    "3c7f5016452e58c241da37670ea82ffc840b7357257391fe1b95a7f31911"
    "e50720d25c7d0507b8d5288d0bdce3f662ce4bf7b82152e79e34d1e7d5d2"
    "f227d77587b168aaf5ecd9f8f96219230a7ee33500f34b5d556627790e20"
    "4555fb510670daa103454aa5d023ccfa05f6a3c4ddf077b79437c844ae84"
    "7e929f9bd0720dcf510c70b0ab8ed8ac1fffbf0203010001";

static const struct rsa_case {
	enum kr_sig_alg	 alg;
	int		 rc;
	const char	*what;
	const char	*sig;
} rsa_cases[] = {
	{ KR_SIG_RSA_PKCS1_SHA256, KR_OK, "PKCS#1 v1.5, SHA-256",
	    "0b0ba7119bd3878eec0520f1d6232a6f856a7ead19200c90e8b1a13d5bee"
	    "ea27e2effce1d21bd6c20a279415130f579b5de37496c90ce82579ebf512"
	    "63676f5d8def7382b045c0fcd52f09de9082322824b2f9b0ad46b7e314a2"
	    "30a91c51e4fb8451b22b223511ceea9065c3e63a946275da968fdec39572"
	    "2fc6cfabc0e771d6de1cd7ecd4148926084ee6e7332ddb4200dc277d7dae"
	    "47ba25fc70fe53c29d74c8dadf8757652271dabc9a86280329565af5388c"
	    "baac4563b767409a1f3a3534cc1ef34db0ba00b8a5afa66de470590e6c06"
	    "6131d0f5997687d7c1481761392efac9453bd5fb56f4fadb2ba75a3a51e7"
	    "7db34605b9f2423ebf6dae3c815c709a" },
	{ KR_SIG_RSA_PKCS1_SHA384, KR_OK, "PKCS#1 v1.5, SHA-384",
	    "241c2304d75779d9c9ada0e00e0e642767ffbcbf045f57fa4470f3616313"
	    "433d91c46b0fcb9b7c2135073d13b0ec70adc8c14cb3d21244f71d9f407f"
	    "650dce0cb7f51991236ff5315e85bc50512a9075bf157049a8a0bcc951d8"
	    "39b9bdf63864e49a69b438da5c75cf8d8eaad39afc24b3cac6b7df84d7b6"
	    "d2c56a59e250e3086fcd105604637a299a7289c048f1a7c4261f1d156881"
	    "298bff18b575821dc88c42440b0433e147048c3cd8690b0b89eea6b62902"
	    "efba8404bb0ebd774bf36b9f0962b561443c2f8ad2da4572d51d61890ecc"
	    "590055a2582deb8b780c60968c5f08c368db6bcebb7661dc642107bfb2e6"
	    "f7777faf506496dfea59b7c3283fa830" },
	{ KR_SIG_RSA_PKCS1_SHA512, KR_OK, "PKCS#1 v1.5, SHA-512",
	    "226cfcae8e773e9c302831c00bd0e4b2eaac0e9b719dd4698ba84ed45136"
	    "1da55aef121c2ab25d43547b7f8cc1dadb9b159e2b929eb7e71d938cf3a6"
	    "2eea279b18c053477842be4c9db962bc388e5e08fdcc3d9a1559912c1dc6"
	    "bfdc2cec9cd4473b917b57da63981f93cee207699fa23aa1422f08998ed4"
	    "a05e43b5133c1142c935a1b498272ad84a4c19f679b901d52a60cbe7abac"
	    "ae709405c7767e5f56701123a10936485b32a15866eecc9d0eefb77761b7"
	    "46bc676db4a64a525f78f092c69d9e179e3f931b6a7d35c7eaf1242414f9"
	    "ce0f017302eb4484a69dc042a74a29633a5f0d6a1e23871ac5299b85965b"
	    "0c986cf6d554582ebed6d204c6da9f3c" },
	{ KR_SIG_RSA_PSS_SHA256, KR_OK, "PSS, SHA-256, salt 32",
	    "04b732071bd9626fa5e2e329e9b10ae5c17f1942489a7562017ddf414c9f"
	    "e3f5b53b094d444690cad317cc542ad3209eef2c001e407e40de85494975"
	    "2070706b661c56c4c051099b51e3ead446f8ade1de18ea7cb3e4d84ee89f"
	    "051c2d2070bd1d77b1b5cd84a53988d018e76d29c935b8e5ad6ad10ce94c"
	    "a84d7ca5c86ef148e2651e8f4b1db0e2ae4e432f8980ecc828d455988f42"
	    "26bb0a1ee00f8bb23dbcc95c81532e6d075f147b24f341b69031ec545c61"
	    "8e4cbb29c848e0c26db31adc82905da8061bde5b0e990875debb2893aed5"
	    "d99fa7c6a45018ac999adfcc1119520dfb5f5058b3aa04842e7de21f8587"
	    "a09133cc90729f5c62a90b529b97c2ec" },
	{ KR_SIG_RSA_PSS_SHA384, KR_OK, "PSS, SHA-384, salt 48",
	    "256eaad90ca83d3513ef474ed2d1441d0817777bfc50fec36b9dd7173529"
	    "0876ef79a28d2df9a441f394f3ed42a87aca35e259eb9f3676375266e857"
	    "ae866b2ca709bbb538e8734fe82ad9b0c5be089e95311633cd5cf8052e4d"
	    "55c93e38b1a036dc568c1f7b1f969147386af82dbc9629fbcdde75f48344"
	    "0257d6ecf59d29f37cc7b8df265e223e343b7bf7c407b98b54f070c05fdc"
	    "75b756192ab69494a8b5593063839689d0f14ccd7362c583a9c6509a1393"
	    "065e41ce239aa3a787a300c389e8389b4db759a8ffe5bc83f48dbd62a7c3"
	    "69c90e1e233ba036292561068493db385e28596e790076173c73d58d9076"
	    "19370a7bc07687e205301f29854ab408" },
	{ KR_SIG_RSA_PSS_SHA512, KR_OK, "PSS, SHA-512, salt 64",
	    "421738c846d50de1455dde7fa559b5304300e20ffc205ea9a7757c864131"
	    "8ac4200095166c12531184877679cb77d2001f09e15fd9fde875ba53c151"
	    "e2b426fdde66b4276820ad3476cf8fcd8741738e31369d3a97bebb613f56"
	    "43b8919c2ccf509c5db6418f8c5a1e2977f62632fc4e3c1eb49ffeda1346"
	    "7751029e94e5f9a1471aa04bcf0eaaa9584b6b60a606c9edecfe325d1f2b"
	    "4b8a69a7a6f3566303010f8f51aa0675e10075b9a1fcd1ddcc616e9345d5"
	    "e6d27aa8058f224860577d23224727e1d077acb5ab68e6ee5354061d9c00"
	    "82186fc4bbc19a395fc8c9afd372d03fc2a434f6c484f2396a92f4551d83"
	    "d0ecca31d2cf6e6c6b446281d024bea0" },
	{ KR_SIG_RSA_PSS_SHA256, KR_EVERIFY, "PSS, salt 20",
	    "30c34a0bcb8adf086880b35df4b06679acba157fe004f6feea707ac60012"
	    "42ec158a84e63f7031a954aa87a256d6f36e4d0555e73cae19775441f09d"
	    "7e3818994a46eb36deb474f466db2fbf60a84e717da6a5de7888e83fd0ab"
	    "7fc431bdacfb5d7cd405cb86fb4657a2b73df82af5a7b63ea3bdd22b227e"
	    "a25e2f04f5fabd49540bffa1d0f378169567e3429d9d063ea365a917caac"
	    "55365b1c415a0551ce4237ffc1a31ef6c06ad94e0b545c8cf2caa51d8414"
	    "f9f666f17cb993db4f69b148effa5686d4d77bf8c5125890622a593804b0"
	    "7b6184b49ee9245044e020cd47c42c03515258917afa01f13ded97701b6d"
	    "397f7eebb08199ecab1f18b8248a3bfd" },
	{ KR_SIG_RSA_PSS_SHA256, KR_EVERIFY, "PSS, salt 0",
	    "83aaae6e21e0d90a221be5459f02cb63b949c9e6f25d9d2530af815e2ca7"
	    "9a11fa6cfeb8db0f246b5cd5edbc2591b91ecd532b96c58769e713841327"
	    "e996f328f72fa2709b41b2b08b588cd808b5a2abb88cdf1e28e54a7f44b9"
	    "d9df2dc1fa03b0a1d56aa5056de2c1ae71e3a350f7978bd7c63afc3aff40"
	    "e29842d32d5eee1fb83a7f0c1838073ba452c2dfc514c4a02834ba1bf9d1"
	    "de22030da35e34545c80263869f993ed5d38ea100569625e951887cb977a"
	    "11dc2f38d0722d1d2b01d024da02944f1b91560f5feddedd1d2439b4821c"
	    "b6f22dc3d2230fb25e57a202f182016ef84232233c7fa326b70e02152e30"
	    "5bc8077a43a79aea24085b4174484d54" },
	{ KR_SIG_RSA_PSS_SHA256, KR_EVERIFY, "PSS, MGF1 with SHA-1",
	    "340e27984e46843d4030c38f25b03d0fec00cc8a0d0907bd4ac350eb5433"
	    "9c91b4001466559500f9514b70500aa0bc1cf239b1482a94f27ceddd1a04"
	    "2158d5c94bba4cf5f27e187207bfee1ea84aace91fc8e6443df062534e91"
	    "67c88204114afc605d19df571476b419af2eab8de1e424f02ab321e2917c"
	    "6e4c65d93c03556e01e522def69b63f517dec7bbbbecf2d55addb281dfbf"
	    "0369e2213554c9be215b44347525719a85423a568d8089682ba6304059b5"
	    "01cc5e0f2580ac61e6732183cfb1e092b5d45381c0f6ed3b82e77369ae57"
	    "f1de0541cf2a1e5f8e2f1bbe644c693a0a0f048729057d53ab880a78013c"
	    "96b1260613891799d440b7f3091f8f32" },
	{ KR_SIG_RSA_PSS_SHA256, KR_EVERIFY, "PSS-SHA-384 as PSS-SHA-256",
	    "0d70c98e62b7be2aed796783b8e4ba0b716d89ee774184881e00676e3429"
	    "75e8d7a5f3bb6082884621211ddf6721c03746b84726a03eed6b6cd6ea9a"
	    "a68f87dbc5533fc4c5581335fec8889e8ad4918733f05ef3678da0d358eb"
	    "e15c3e91fe6acc22d9439a4f23c6a0cd2a449c74fb4c0521473e20d0cb0e"
	    "6716804ec8c6a72cb707902d48cab5890ce28d6639fc6c5ed4045553b1b9"
	    "1bb95cb8c677ac07c60c441c578128858e937ef0372862d48b5a55128544"
	    "50e5877e68313f1a9ed15b7d44c27494bd6a7608cdd44e118e37f9e595bb"
	    "9df5b00b887ce2a250b19f3e803ff4eadcda3112273e4f81ce484f182732"
	    "75d202ba9c1f33ebefc9ba44c60e11d4" },
	{ KR_SIG_RSA_PKCS1_SHA256, KR_EVERIFY, "PKCS#1 SHA-384 as SHA-256",
	    "241c2304d75779d9c9ada0e00e0e642767ffbcbf045f57fa4470f3616313"
	    "433d91c46b0fcb9b7c2135073d13b0ec70adc8c14cb3d21244f71d9f407f"
	    "650dce0cb7f51991236ff5315e85bc50512a9075bf157049a8a0bcc951d8"
	    "39b9bdf63864e49a69b438da5c75cf8d8eaad39afc24b3cac6b7df84d7b6"
	    "d2c56a59e250e3086fcd105604637a299a7289c048f1a7c4261f1d156881"
	    "298bff18b575821dc88c42440b0433e147048c3cd8690b0b89eea6b62902"
	    "efba8404bb0ebd774bf36b9f0962b561443c2f8ad2da4572d51d61890ecc"
	    "590055a2582deb8b780c60968c5f08c368db6bcebb7661dc642107bfb2e6"
	    "f7777faf506496dfea59b7c3283fa830" },
	{ KR_SIG_RSA_PSS_SHA256, KR_EVERIFY, "PKCS#1 v1.5 checked as PSS",
	    "0b0ba7119bd3878eec0520f1d6232a6f856a7ead19200c90e8b1a13d5bee"
	    "ea27e2effce1d21bd6c20a279415130f579b5de37496c90ce82579ebf512"
	    "63676f5d8def7382b045c0fcd52f09de9082322824b2f9b0ad46b7e314a2"
	    "30a91c51e4fb8451b22b223511ceea9065c3e63a946275da968fdec39572"
	    "2fc6cfabc0e771d6de1cd7ecd4148926084ee6e7332ddb4200dc277d7dae"
	    "47ba25fc70fe53c29d74c8dadf8757652271dabc9a86280329565af5388c"
	    "baac4563b767409a1f3a3534cc1ef34db0ba00b8a5afa66de470590e6c06"
	    "6131d0f5997687d7c1481761392efac9453bd5fb56f4fadb2ba75a3a51e7"
	    "7db34605b9f2423ebf6dae3c815c709a" },
	{ KR_SIG_RSA_PKCS1_SHA256, KR_EVERIFY, "PSS checked as PKCS#1 v1.5",
	    "013d95f8b62132adcbe11fd9f01046731eef1286dc23102fde5841a9bb7e"
	    "3b8e8a24fc591c06c423c6552120bda0bfb5714a5875ac67ce8589675b65"
	    "5d079e72dc7c5a749c41840417c86b1f1d85b9eabbc0f744a6169d16dd05"
	    "372930a8c5cf40f41f9507ed402628e6920bebe2ed30f421980a0171c12c"
	    "91170807937db38f4b178eef54c3a5745e3affbc54065a5504cd6fe3e295"
	    "4615710e58cd186fb6dfbfc1a7340e53562905fe92461b4bd6c18ad012cd"
	    "198a2e50dfe72e3bf70f6bab59e9e322ee72ad8240f28de564d67fcb1392"
	    "67dd8a94a53723ce108311c3f3081ad62b41eedcc1c59f14f7aa1d4f8ddd"
	    "6d5f869b0e700f181fbb8fa42a077d5b" },
};

START_TEST(test_verify_rsa_params)
{
	const struct rsa_case	*c = &rsa_cases[_i];
	uint8_t			*spki, *sig;
	size_t			 spkilen, siglen;
	struct kr_err		 err;
	int			 rc;

	ck_assert_int_eq(kr_hex_decode_alloc(rsa2048_spki, &spki, &spkilen),
	    KR_OK);
	ck_assert_int_eq(kr_hex_decode_alloc(c->sig, &sig, &siglen), KR_OK);
	ck_assert_uint_eq(siglen, 256);
	rc = kr_sig_verify(c->alg, spki, spkilen, (const uint8_t *)"keyrite",
	    7, sig, siglen, 0, &err);
	ck_assert_msg(rc == c->rc, "%s: got %d, want %d", c->what, rc, c->rc);
	if (rc == KR_OK) {
		/* one flipped bit, one byte short, one byte long */
		sig[100] ^= 0x01;
		ck_assert_int_eq(kr_sig_verify(c->alg, spki, spkilen,
		    (const uint8_t *)"keyrite", 7, sig, siglen, 0, &err),
		    KR_EVERIFY);
		sig[100] ^= 0x01;
		ck_assert_int_eq(kr_sig_verify(c->alg, spki, spkilen,
		    (const uint8_t *)"keyrite", 7, sig + 1, siglen - 1, 0,
		    &err), KR_EVERIFY);
	}
	free(spki);
	free(sig);
}
END_TEST

/* Ed25519 refuses a digest, and a signature of any other length. */
START_TEST(test_verify_ed25519_args)
{
	static const char pk[] = "302a300506032b6570032100d75a980182b10ab7d5"
	    "4bfed3c964073a0ee172f3daa62325af021a68f707511a";
	static const char sighex[] = "e5564300c360ac729086e2cc806e828a84877f1e"
	    "b8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0"
	    "595bbe24655141438e7a100b";
	uint8_t		spki[44], sig[65];
	struct kr_err	err;

	ck_assert_int_eq(kr_hex_decode(spki, 44, pk), KR_OK);
	ck_assert_int_eq(kr_hex_decode(sig, 64, sighex), KR_OK);
	sig[64] = 0;
	ck_assert_int_eq(kr_sig_verify(KR_SIG_ED25519, spki, 44, NULL, 0, sig,
	    64, 0, &err), KR_OK);
	ck_assert_int_eq(kr_sig_verify(KR_SIG_ED25519, spki, 44, NULL, 0, sig,
	    65, 0, &err), KR_EVERIFY);
	ck_assert_int_eq(kr_sig_verify(KR_SIG_ED25519, spki, 44, NULL, 0, sig,
	    63, 0, &err), KR_EVERIFY);
	ck_assert_int_eq(kr_sig_verify(KR_SIG_ED25519, spki, 44,
	    (const uint8_t *)"x", 1, sig, 64, 0, &err), KR_EVERIFY);
	ck_assert_int_eq(kr_sig_verify_digest(KR_SIG_ED25519, spki, 44, sig,
	    32, sig, 64, 0, &err), KR_EINPUT);
}
END_TEST

/* ---------------------------------------------------------------------
 * Names, random
 */

START_TEST(test_names)
{
	static const char *const keys[] = {
		"p256", "p384", "ed25519", "rsa3072", "rsa4096",
	};
	enum kr_key_alg	alg;
	size_t		i;

	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(kr_key_alg_from_name(keys[i], &alg), KR_OK);
		ck_assert_str_eq(kr_key_alg_name(alg), keys[i]);
		ck_assert(kr_sig_alg_fits(kr_sig_alg_default(alg), alg));
	}
	ck_assert_int_ne(kr_key_alg_from_name("P256", &alg), KR_OK);
	ck_assert_int_ne(kr_key_alg_from_name("rsa2048", &alg), KR_OK);
	ck_assert_int_ne(kr_key_alg_from_name("", &alg), KR_OK);
	ck_assert_str_eq(kr_sig_alg_name(KR_SIG_ECDSA_P256_SHA256),
	    "ecdsa-with-SHA256");
	ck_assert_str_eq(kr_sig_alg_name(KR_SIG_ECDSA_P384_SHA384),
	    "ecdsa-with-SHA384");
	ck_assert_str_eq(kr_sig_alg_name(KR_SIG_RSA_PKCS1_SHA256),
	    "sha256WithRSAEncryption");
	ck_assert_str_eq(kr_sig_alg_name(KR_SIG_RSA_PSS_SHA512),
	    "rsassa-pss-sha512");
	ck_assert_str_eq(kr_sig_alg_name(KR_SIG_ED25519), "ed25519");
	ck_assert_int_eq(kr_sig_alg_hash(KR_SIG_ED25519), 0);
	ck_assert_int_eq(kr_sig_alg_hash(KR_SIG_RSA_PSS_SHA384),
	    KR_HASH_SHA384);
	ck_assert_int_eq(kr_sig_alg_hash(KR_SIG_ECDSA_P384_SHA384),
	    KR_HASH_SHA384);
	ck_assert(kr_sig_alg_fits(KR_SIG_RSA_PSS_SHA256, KR_KEY_RSA4096));
	ck_assert(!kr_sig_alg_fits(KR_SIG_ECDSA_P256_SHA256, KR_KEY_P384));
	ck_assert(!kr_sig_alg_fits(KR_SIG_ED25519, KR_KEY_P256));
	ck_assert(!kr_sig_alg_fits(KR_SIG_RSA_PKCS1_SHA256, KR_KEY_ED25519));
	ck_assert(!kr_sig_alg_fits(0, KR_KEY_P256));
	ck_assert_str_eq(kr_hash_name(KR_HASH_SHA384), "sha384");
}
END_TEST

START_TEST(test_random)
{
	uint8_t	a[32], b[32], z[32] = { 0 };
	uint8_t	c[16];

	kr_random(a, sizeof(a));
	kr_random(b, sizeof(b));
	ck_assert(memcmp(a, b, 32) != 0);
	ck_assert(memcmp(a, z, 32) != 0);
	memset(c, 0, sizeof(c));
	ck_assert_int_eq(kr_mbedtls_rng(NULL, c, sizeof(c)), 0);
	ck_assert(memcmp(c, z, sizeof(c)) != 0);
}
END_TEST


/*
 * SHA-256 with the x86 SHA extensions against the software path, over
 * every length up to 1,000 bytes (split at every point up to 100 bytes,
 * every 37th beyond), and a long input;
 * plus the FIPS 180-2 one-million-'a' vector on the active path.
 */
START_TEST(test_sha256_ni_matches_software)
{
	static uint8_t	buf[1000 + 4096];
	uint8_t		a[32], b[32];
	struct kr_hash	h;
	size_t		len, cut;
	uint8_t		*million;

	if (!kr_sha256_ni_available()) {
		printf("SKIP: this CPU has no SHA extensions; only the "
		    "software path is tested\n");
		return;
	}
	randombytes_buf(buf, sizeof(buf));
	for (len = 0; len <= 1000; len++) {
		for (cut = 0; cut <= len; cut += (len > 100 ? 37 : 1)) {
			ck_assert_int_eq(kr_hash_init(&h, KR_HASH_SHA256), KR_OK);
			kr_hash_update(&h, buf, cut);
			kr_hash_update(&h, buf + cut, len - cut);
			kr_hash_final(&h, a);
			kr_sha256_ni_disable(true);
			ck_assert_int_eq(kr_hash(KR_HASH_SHA256, buf, len, b),
			    KR_OK);
			kr_sha256_ni_disable(false);
			ck_assert_mem_eq(a, b, 32);
		}
	}
	ck_assert_int_eq(kr_hash(KR_HASH_SHA256, buf, sizeof(buf), a), KR_OK);
	kr_sha256_ni_disable(true);
	ck_assert_int_eq(kr_hash(KR_HASH_SHA256, buf, sizeof(buf), b), KR_OK);
	kr_sha256_ni_disable(false);
	ck_assert_mem_eq(a, b, 32);
	million = malloc(1000000);
	memset(million, 'a', 1000000);
	ck_assert_int_eq(kr_hash(KR_HASH_SHA256, million, 1000000, a), KR_OK);
	free(million);
	ck_assert_int_eq(kr_hex_decode(b, 32, "cdc76e5c9914fb9281a1c7e284d73e6"
	    "7f1809a48a497200e046d39ccc7112cd0"), KR_OK);
	ck_assert_mem_eq(a, b, 32);
}
END_TEST

/* ---------------------------------------------------------------------
 * TEST-KEY-418: a kr_verifier answers as kr_sig_verify() does
 */

/* The same code, and for a refusal the same message, both ways. */
static int
verify_both(struct kr_verifier *v, enum kr_sig_alg alg, const uint8_t *spki,
    size_t spkilen, const uint8_t *data, size_t len, const uint8_t *sig,
    size_t siglen, unsigned flags, const char *what)
{
	struct kr_err	e1, e2;
	int		r1, r2;

	kr_err_clear(&e1);
	kr_err_clear(&e2);
	r1 = kr_sig_verify(alg, spki, spkilen, data, len, sig, siglen, flags,
	    &e1);
	r2 = kr_verifier_check(v, alg, spki, spkilen, data, len, sig, siglen,
	    flags, &e2);
	ck_assert_msg(r1 == r2, "%s: kr_sig_verify %d, kr_verifier_check %d "
	    "(%s | %s)", what, r1, r2, e1.msg, e2.msg);
	if (r1 != KR_OK)
		ck_assert_str_eq(e1.msg, e2.msg);
	return r1;
}

/*
 * Every case of every Wycheproof file through one verifier (the keys
 * change from group to group, and each is used for the group's cases in
 * a row); RSA and Ed25519 take kr_sig_verify()'s own way.
 */
START_TEST(test_verifier_wycheproof)
{
	const struct wyche_file	*wf = &wyche_files[_i];
	struct kr_verifier	*v = NULL;
	struct kr_err		 err;
	char			 path[1024], what[128], *line = NULL;
	char			 res[16], flags[512], key[2048], params[128];
	char			*msgh = NULL, *sigh = NULL;
	uint8_t			*k, *m, *sg;
	size_t			 cap = 0, klen, mlen, slen;
	int			 tc, n = 0, ok = 0, tables = 0;
	FILE			*f;

	ck_assert_int_eq(kr_verifier_new(&v, &err), KR_OK);
	(void)snprintf(path, sizeof(path), "%s/%s.txt", txt_dir, wf->name);
	ck_assert_msg((f = fopen(path, "r")) != NULL, "cannot open %s", path);
	ck_assert(getline(&line, &cap, f) > 0);
	while (getline(&line, &cap, f) > 0) {
		msgh = realloc(msgh, strlen(line));
		sigh = realloc(sigh, strlen(line));
		ck_assert(msgh != NULL && sigh != NULL);
		ck_assert_int_eq(sscanf(line, "%d %15s %511s %2047s %s %s "
		    "%127s", &tc, res, flags, key, msgh, sigh, params), 7);
		k = unhex(key, &klen);
		m = unhex(msgh, &mlen);
		sg = unhex(sigh, &slen);
		(void)snprintf(what, sizeof(what), "%s tcId %d", wf->name, tc);
		if (verify_both(v, wf->alg, k, klen, m, mlen, sg, slen,
		    wf->flags, what) == KR_OK)
			ok++;
		if (kr_verifier_table_points(v) > 0)
			tables++;
		n++;
		free(k);
		free(m);
		free(sg);
	}
	free(line);
	free(msgh);
	free(sigh);
	fclose(f);
	kr_verifier_free(&v);
	ck_assert_ptr_null(v);
	ck_assert_int_gt(n, 100);
	ck_assert_int_gt(ok, 0);
	/* the ECDSA keys' multiples were kept and used */
	if (kr_sig_alg_scheme(wf->alg) == KR_SCHEME_ECDSA)
		ck_assert_int_gt(tables, n / 2);
	else
		ck_assert_int_eq(tables, 0);
	printf("verifier %s: %d cases, %d verified, the same answers as "
	    "kr_sig_verify\n", wf->name, n, ok);
}
END_TEST

/* A fresh EC key, its SPKI at *spki (in buf). */
static void
ec_key(mbedtls_pk_context *pk, mbedtls_ecp_group_id id, uint8_t *buf,
    size_t cap, const uint8_t **spki, size_t *spkilen)
{
	int	n;

	mbedtls_pk_init(pk);
	ck_assert_int_eq(mbedtls_pk_setup(pk,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	ck_assert_int_eq(mbedtls_ecp_gen_key(id, mbedtls_pk_ec(*pk),
	    kr_mbedtls_rng, NULL), 0);
	n = mbedtls_pk_write_pubkey_der(pk, buf, cap);
	ck_assert_int_gt(n, 0);
	*spki = buf + cap - n;
	*spkilen = (size_t)n;
}

/* Signs the digest md: raw r||s, each `half` bytes. */
static void
ec_sign(mbedtls_pk_context *pk, const uint8_t *md, size_t mdlen,
    uint8_t *raw, size_t half)
{
	mbedtls_ecp_keypair	*ec = mbedtls_pk_ec(*pk);
	mbedtls_mpi		 r, s;

	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	ck_assert_int_eq(mbedtls_ecdsa_sign(&ec->grp, &r, &s, &ec->d, md,
	    mdlen, kr_mbedtls_rng, NULL), 0);
	ck_assert_int_eq(mbedtls_mpi_write_binary(&r, raw, half), 0);
	ck_assert_int_eq(mbedtls_mpi_write_binary(&s, raw + half, half), 0);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
}

struct ec_case {
	struct kr_verifier	*v;
	enum kr_sig_alg		 alg;
	const uint8_t		*spki;
	size_t			 spkilen, half;
	uint8_t			 n[48];		/* the group order */
};

/*
 * A valid raw signature `raw` over digest md and its variants: r or s
 * 0 or n, n - s, one bit of r or s flipped, one bit of the DER flipped.
 */
static void
ec_variants(const struct ec_case *c, const uint8_t *md, size_t mdlen,
    const uint8_t *raw, unsigned flags)
{
	uint8_t	sig[96], der[112];
	size_t	h = c->half, derlen = sizeof(der), i;
	int	b;

	flags |= KR_VERIFY_DIGEST;
	ck_assert_int_eq(verify_both(c->v, c->alg, c->spki, c->spkilen, md,
	    mdlen, raw, 2 * h, flags | KR_VERIFY_ECDSA_RAW, "valid"), KR_OK);
	ck_assert_int_eq(kr_ecdsa_raw_to_der(raw, 2 * h, der, &derlen), KR_OK);
	ck_assert_int_eq(verify_both(c->v, c->alg, c->spki, c->spkilen, md,
	    mdlen, der, derlen, flags, "valid DER"), KR_OK);
	for (i = 0; i < 4; i++) {	/* r = n, s = n, r = 0, s = 0 */
		memcpy(sig, raw, 2 * h);
		if (i < 2)
			memcpy(sig + h * i, c->n, h);
		else
			memset(sig + h * (i - 2), 0, h);
		ck_assert_int_eq(verify_both(c->v, c->alg, c->spki, c->spkilen,
		    md, mdlen, sig, 2 * h, flags | KR_VERIFY_ECDSA_RAW,
		    "r or s 0 or n"), KR_EVERIFY);
	}
	memcpy(sig, raw, 2 * h);	/* n - s: the other valid one */
	for (b = 0, i = h; i-- > 0;) {
		b = (int)c->n[i] - (int)raw[h + i] - b;
		sig[h + i] = (uint8_t)b;
		b = b < 0;
	}
	ck_assert_int_eq(verify_both(c->v, c->alg, c->spki, c->spkilen, md,
	    mdlen, sig, 2 * h, flags | KR_VERIFY_ECDSA_RAW, "n - s"), KR_OK);
	memcpy(sig, raw, 2 * h);
	i = randombytes_uniform((uint32_t)(16 * h));
	sig[i / 8] ^= (uint8_t)(1u << (i % 8));
	ck_assert_int_eq(verify_both(c->v, c->alg, c->spki, c->spkilen, md,
	    mdlen, sig, 2 * h, flags | KR_VERIFY_ECDSA_RAW, "r/s bit"),
	    KR_EVERIFY);
	i = randombytes_uniform((uint32_t)(8 * derlen));
	der[i / 8] ^= (uint8_t)(1u << (i % 8));
	ck_assert_int_eq(verify_both(c->v, c->alg, c->spki, c->spkilen, md,
	    mdlen, der, derlen, flags, "DER bit"), KR_EVERIFY);
}

/* A fresh P-256 (or P-384) key for c, in pk, its SPKI in buf. */
static void
ec_case_key(struct ec_case *c, mbedtls_pk_context *pk, bool p384,
    uint8_t *buf, size_t cap)
{
	c->half = p384 ? 48 : 32;
	c->alg = p384 ? KR_SIG_ECDSA_P384_SHA384 : KR_SIG_ECDSA_P256_SHA256;
	ec_key(pk, p384 ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_SECP256R1,
	    buf, cap, &c->spki, &c->spkilen);
	ck_assert_int_eq(mbedtls_mpi_write_binary(&mbedtls_pk_ec(*pk)->grp.N,
	    c->n, c->half), 0);
}

/*
 * Random P-256 (3 of 4) and P-384 keys through one verifier: per key a
 * signature by the previous key (the wrong key), then two messages with
 * their variants and the other message, all with the key's table after
 * the first; a digest of 0, and of n (0 mod n); a P-256 key checking a
 * SHA-384 digest (cut to 256 bits) and a P-384 key a SHA-256 one.
 */
START_TEST(test_verifier_random)
{
	uint8_t			 bufs[2][KR_SPKI_MAX_BYTES], md[48], md2[48];
	uint8_t			 raw[96], prev[96], prevmd[48];
	mbedtls_pk_context	 pk[2];
	struct ec_case		 c;
	struct kr_err		 err;
	size_t			 mdlen, prevlen = 0;
	int			 i, j, cur;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(kr_verifier_new(&c.v, &err), KR_OK);
	for (i = 0; i < 160; i++) {
		cur = i & 1;
		if (i >= 2)
			mbedtls_pk_free(&pk[cur]);
		ec_case_key(&c, &pk[cur], i % 4 == 3, bufs[cur],
		    sizeof(bufs[cur]));
		mdlen = c.half;
		if (prevlen == 2 * c.half)	/* the previous key's */
			ck_assert_int_eq(verify_both(c.v, c.alg, c.spki,
			    c.spkilen, prevmd, mdlen, prev, prevlen,
			    KR_VERIFY_DIGEST | KR_VERIFY_ECDSA_RAW,
			    "wrong key"), KR_EVERIFY);
		for (j = 0; j < 2; j++) {
			kr_random(md, sizeof(md));
			ec_sign(&pk[cur], md, mdlen, raw, c.half);
			ec_variants(&c, md, mdlen, raw, 0);
			memcpy(md2, md, sizeof(md2));
			md2[randombytes_uniform((uint32_t)mdlen)] ^= 0x10;
			ck_assert_int_eq(verify_both(c.v, c.alg, c.spki,
			    c.spkilen, md2, mdlen, raw, 2 * c.half,
			    KR_VERIFY_DIGEST | KR_VERIFY_ECDSA_RAW,
			    "wrong message"), KR_EVERIFY);
			ck_assert_uint_gt(kr_verifier_table_points(c.v), 0);
		}
		memcpy(prev, raw, 2 * c.half);
		memcpy(prevmd, md, mdlen);
		prevlen = 2 * c.half;
		memset(md, 0, sizeof(md));	/* e = 0 */
		if (i % 8 == 0) {
			ec_sign(&pk[cur], md, mdlen, raw, c.half);
			ec_variants(&c, md, mdlen, raw, 0);
			ec_variants(&c, c.n, mdlen, raw, 0);	/* e = n */
		}
		if (i % 8 == 1 || i % 8 == 3) {	/* the other hash */
			mdlen = 80 - c.half;
			c.alg = mdlen == 48 ? KR_SIG_ECDSA_P384_SHA384 :
			    KR_SIG_ECDSA_P256_SHA256;
			kr_random(md, sizeof(md));
			ec_sign(&pk[cur], md, mdlen, raw, c.half);
			ec_variants(&c, md, mdlen, raw, KR_VERIFY_ANY_CURVE);
		}
	}
	mbedtls_pk_free(&pk[0]);
	mbedtls_pk_free(&pk[1]);
	kr_verifier_free(&c.v);
}
END_TEST

/*
 * The key's group forgets the table of the curve's generator: a
 * signature made with the private key 1 (public key G) is refused under
 * a key Q, which it would not be if u2 * Q were computed from G's
 * multiples; it verifies under G's own SPKI, and Q's own signatures
 * under Q, with Q's table kept (8 points: Mbed TLS's window of 4).
 */
START_TEST(test_verifier_not_g)
{
	static const mbedtls_ecp_group_id ids[] = { MBEDTLS_ECP_DP_SECP256R1,
					    MBEDTLS_ECP_DP_SECP384R1 };
	static const enum kr_sig_alg algs[] = { KR_SIG_ECDSA_P256_SHA256,
					    KR_SIG_ECDSA_P384_SHA384 };
	uint8_t			 qbuf[KR_SPKI_MAX_BYTES], md[48], byq[96];
	uint8_t			 gbuf[KR_SPKI_MAX_BYTES], byg[96];
	const uint8_t		*qspki, *gspki;
	size_t			 qlen, glen, half, i;
	mbedtls_pk_context	 q, g;
	mbedtls_ecp_keypair	*ge;
	struct kr_verifier	*v = NULL;
	struct kr_err		 err;
	int			 k, n;

	for (k = 0; k < 2; k++) {
		half = k == 0 ? 32 : 48;
		ec_key(&q, ids[k], qbuf, sizeof(qbuf), &qspki, &qlen);
		ec_key(&g, ids[k], gbuf, sizeof(gbuf), &gspki, &glen);
		ge = mbedtls_pk_ec(g);
		ck_assert_int_eq(mbedtls_mpi_lset(&ge->d, 1), 0);
		ck_assert_int_eq(mbedtls_ecp_copy(&ge->Q, &ge->grp.G), 0);
		n = mbedtls_pk_write_pubkey_der(&g, gbuf, sizeof(gbuf));
		ck_assert_int_gt(n, 0);
		gspki = gbuf + sizeof(gbuf) - n;
		glen = (size_t)n;
		ck_assert_int_eq(kr_verifier_new(&v, &err), KR_OK);
		for (i = 0; i < 20; i++) {
			kr_random(md, sizeof(md));
			ec_sign(&q, md, half, byq, half);
			ec_sign(&g, md, half, byg, half);
			ck_assert_int_eq(kr_verifier_check(v, algs[k], qspki,
			    qlen, md, half, byq, 2 * half, KR_VERIFY_DIGEST |
			    KR_VERIFY_ECDSA_RAW, &err), KR_OK);
			ck_assert_uint_eq(kr_verifier_table_points(v), 8);
			ck_assert_int_eq(kr_verifier_check(v, algs[k], qspki,
			    qlen, md, half, byg, 2 * half, KR_VERIFY_DIGEST |
			    KR_VERIFY_ECDSA_RAW, &err), KR_EVERIFY);
			ck_assert_int_eq(kr_sig_verify_digest(algs[k], gspki,
			    glen, md, half, byg, 2 * half, KR_VERIFY_ECDSA_RAW,
			    &err), KR_OK);
		}
		kr_verifier_free(&v);
		mbedtls_pk_free(&q);
		mbedtls_pk_free(&g);
	}
	ck_assert_int_eq(kr_verifier_check(NULL, algs[0], qspki, qlen, md, 32,
	    byq, 64, 0, &err), KR_EINTERNAL);
	kr_verifier_free(&v);
}
END_TEST

static Suite *
crypto_suite(void)
{
	Suite	*s = suite_create("crypto");
	TCase	*tc;

	tc = tcase_create("wycheproof");
	tcase_add_loop_test(tc, test_wycheproof, 0, (int)NWYCHE);
	suite_add_tcase(s, tc);

	tc = tcase_create("primitives");
	tcase_add_test(tc, test_hash_streaming);
	tcase_add_test(tc, test_hash_misc);
	tcase_add_test(tc, test_hash_thread);
	tcase_add_test(tc, test_aead);
	tcase_add_test(tc, test_hkdf);
	tcase_add_test(tc, test_argon2id_ranges);
	if (!UNDER_ASAN)
		tcase_add_test(tc, test_argon2id_nomem);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("selftest");
	tcase_add_test(tc, test_selftest_pass);
	tcase_add_loop_test(tc, test_selftest_sabotage, 0,
	    (int)kr_selftest_count());
	tcase_add_test(tc, test_selftest_unknown);
	suite_add_tcase(s, tc);

	tc = tcase_create("spki");
	tcase_add_loop_test(tc, test_spki_good, 0,
	    (int)(sizeof(spki_good) / sizeof(spki_good[0])));
	tcase_add_loop_test(tc, test_spki_bad, 0,
	    (int)(sizeof(spki_bad) / sizeof(spki_bad[0])));
	tcase_add_test(tc, test_spki_misc);
	tcase_add_test(tc, test_spki_negated);
	tcase_add_test(tc, test_spki_ed25519_kept);
	suite_add_tcase(s, tc);

	tc = tcase_create("ecdsa");
	tcase_add_test(tc, test_ecdsa_der_strict);
	tcase_add_test(tc, test_ecdsa_roundtrip);
	tcase_add_test(tc, test_ecdsa_raw_refused);
	tcase_add_test(tc, test_verify_args);
	tcase_add_test(tc, test_verify_ed25519_args);
	tcase_add_test(tc, test_sha256_ni_matches_software);
	tcase_add_loop_test(tc, test_verify_rsa_params, 0,
	    (int)(sizeof(rsa_cases) / sizeof(rsa_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("verifier");
	tcase_add_loop_test(tc, test_verifier_wycheproof, 0, (int)NWYCHE);
	tcase_add_test(tc, test_verifier_random);
	tcase_add_test(tc, test_verifier_not_g);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	struct kr_err	err;

	if (argc > 1)
		txt_dir = argv[1];
	if (kr_crypto_init(&err) != KR_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	return tl_run(crypto_suite(), NULL);
}
