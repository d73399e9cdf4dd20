/*
 * TEST-KEY-003 (docs/traceability.md).
 * Constant-time check of the GF(2^8) arithmetic and of Shamir split and
 * combine, run under Valgrind memcheck (test/ct/meson.build).
 *
 * Secrets, random coefficients and share values are marked undefined.
 * Memcheck then reports any conditional jump, move or memory address that
 * depends on them ("depends on uninitialised value(s)"), which is exactly
 * a secret-dependent branch or table index.  Results are marked defined
 * again before this program looks at them, so its own checks report
 * nothing.  Exits 77 (skipped) when not run under Valgrind.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <valgrind/memcheck.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/quorum.h>

#include "quorum_int.h"

#include "testlib.h"

#define SECRET(p, n)	VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n)	VALGRIND_MAKE_MEM_DEFINED((p), (n))

#define LEN	32

static int	 failures;

static void
expect(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "ct_shamir: wrong result: %s\n", what);
		failures++;
	}
}

/* Every a * b and every inverse, with both operands secret. */
static void
field_ops(void)
{
	unsigned	 i, j;
	uint8_t		 a, b, r;

	for (i = 0; i < 256; i++) {
		for (j = 0; j < 256; j++) {
			a = (uint8_t)i;
			b = (uint8_t)j;
			SECRET(&a, 1);
			SECRET(&b, 1);
			r = kr_gf256_mul(a, b);
			PUBLIC(&r, 1);
			expect(r == kr_gf256_mul((uint8_t)j, (uint8_t)i),
			    "mul");
		}
		a = (uint8_t)i;
		SECRET(&a, 1);
		r = kr_gf256_inv(a);
		PUBLIC(&r, 1);
		expect(kr_gf256_mul((uint8_t)i, r) == (i != 0), "inv");
	}
}

/* Combines the first k of n shares (public x's, secret y's). */
static void
combine_check(const uint8_t *xs, const uint8_t *ys, unsigned k,
    const uint8_t *secret, int want_equal)
{
	const uint8_t	*yp[KR_CUSTODIANS_MAX];
	uint8_t		 out[LEN];
	unsigned	 i;

	for (i = 0; i < k; i++)
		yp[i] = ys + i * LEN;
	SECRET(ys, k * LEN);
	expect(kr_shamir_combine(xs, yp, k, LEN, out) == KR_OK, "combine");
	PUBLIC(out, LEN);
	PUBLIC(ys, k * LEN);
	expect((memcmp(out, secret, LEN) == 0) == want_equal, "interpolate");
}

/* Split with CSPRNG coefficients, and with coefficients given. */
static void
shamir(unsigned m, unsigned n)
{
	static uint8_t	 ys[KR_CUSTODIANS_MAX * LEN];
	static uint8_t	 coefs[KR_CUSTODIANS_MAX * LEN];
	uint8_t		 secret[LEN], copy[LEN], xs[KR_CUSTODIANS_MAX];

	randombytes_buf(secret, LEN);
	memcpy(copy, secret, LEN);
	SECRET(secret, LEN);
	expect(kr_shamir_split(secret, LEN, m, n, xs, ys) == KR_OK, "split");
	PUBLIC(ys, n * LEN);
	combine_check(xs, ys, m, copy, 1);
	combine_check(xs, ys, n, copy, 1);

	randombytes_buf(coefs, (m - 1) * LEN);
	SECRET(coefs, (m - 1) * LEN);
	SECRET(secret, LEN);
	expect(kr_shamir_split_coefs(secret, LEN, m, n, coefs, xs, ys) ==
	    KR_OK, "split_coefs");
	PUBLIC(ys, n * LEN);
	combine_check(xs, ys, m, copy, 1);
	combine_check(xs, ys, m - 1, copy, 0);
}

int
main(void)
{
	if (TL_UNDER_ASAN)
		tl_skip("ct_shamir is built with AddressSanitizer, and Valgrind "
		    "cannot run such a binary: the constant-time check runs in "
		    "the plain build (./run test)");
	if (!RUNNING_ON_VALGRIND) {
		fprintf(stderr, "ct_shamir: not under Valgrind, skipped\n");
		return 77;
	}
	if (sodium_init() < 0)
		return 1;
	field_ops();
	shamir(2, 3);
	shamir(3, 5);
	shamir(5, 9);
	shamir(255, 255);
	if (VALGRIND_COUNT_ERRORS != 0) {
		fprintf(stderr, "ct_shamir: %u secret-dependent operations\n",
		    (unsigned)VALGRIND_COUNT_ERRORS);
		return 1;
	}
	return failures == 0 ? 0 : 1;
}
