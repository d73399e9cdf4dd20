/*
 * Shamir secret sharing over GF(2^8), one polynomial per secret byte.
 *
 * Share i (i = 1..n) of a secret byte s is f(i), where
 * f(x) = s + c1 x + ... + c(m-1) x^(m-1) with random c's.  Any m shares
 * determine f and so f(0) = s; fewer reveal nothing about s.
 *
 * The x coordinates are public; secret bytes, coefficients and share
 * values only ever meet the constant-time field operations in gf256.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/quorum.h>

#include "quorum_int.h"

static bool
split_args_ok(size_t len, unsigned m, unsigned n)
{
	return len > 0 && m >= 2 && m <= n && n <= KR_CUSTODIANS_MAX;
}

/* f(x) by Horner's rule; c[0] is the constant term, c[1..deg] follow. */
static uint8_t
poly_eval(uint8_t c0, const uint8_t *c, unsigned deg, uint8_t x)
{
	uint8_t		 acc = 0;
	unsigned	 i;

	for (i = deg; i > 0; i--)
		acc = kr_gf256_mul(acc, x) ^ c[i - 1];
	return kr_gf256_mul(acc, x) ^ c0;
}

int
kr_shamir_split_coefs(const uint8_t *secret, size_t len, unsigned m,
    unsigned n, const uint8_t *coefs, uint8_t *xs, uint8_t *ys)
{
	size_t		 j;
	unsigned	 i;

	if (secret == NULL || coefs == NULL || xs == NULL || ys == NULL ||
	    !split_args_ok(len, m, n))
		return KR_EINPUT;
	for (i = 0; i < n; i++)
		xs[i] = (uint8_t)(i + 1);
	for (j = 0; j < len; j++) {
		for (i = 0; i < n; i++)
			ys[i * len + j] = poly_eval(secret[j],
			    coefs + j * (m - 1), m - 1, xs[i]);
	}
	return KR_OK;
}

int
kr_shamir_split(const uint8_t *secret, size_t len, unsigned m, unsigned n,
    uint8_t *xs, uint8_t *ys)
{
	uint8_t		*coefs;
	int		 ret = KR_EINPUT;

	if (!split_args_ok(len, m, n) || len > SIZE_MAX / (m - 1))
		return ret;
	if ((coefs = kr_secure_alloc(len * (m - 1))) == NULL)
		return KR_ENOMEM;
	kr_random(coefs, len * (m - 1));
	ret = kr_shamir_split_coefs(secret, len, m, n, coefs, xs, ys);
	kr_wipe(coefs, len * (m - 1));
	kr_secure_free(coefs);
	return ret;
}

/*
 * The Lagrange basis polynomials at 0: l_i(0) = prod_{j != i} x_j /
 * (x_j - x_i), where subtraction is XOR.  These depend on the public x's
 * only.  Refuses x = 0 and duplicates (either makes a division by zero).
 */
static int
lagrange_at_zero(const uint8_t *xs, size_t k, uint8_t *l)
{
	bool		 seen[256] = { false };
	uint8_t		 num, den;
	size_t		 i, j;

	if (k < 1 || k > KR_CUSTODIANS_MAX)
		return KR_EINPUT;
	for (i = 0; i < k; i++) {
		if (xs[i] == 0 || seen[xs[i]])
			return KR_EINPUT;
		seen[xs[i]] = true;
	}
	for (i = 0; i < k; i++) {
		num = 1;
		den = 1;
		for (j = 0; j < k; j++) {
			if (j == i)
				continue;
			num = kr_gf256_mul(num, xs[j]);
			den = kr_gf256_mul(den, xs[j] ^ xs[i]);
		}
		l[i] = kr_gf256_mul(num, kr_gf256_inv(den));
	}
	return KR_OK;
}

/*
 * s = sum_i y_i * l_i(0), byte by byte.  The y's are only multiplied and
 * XORed, so the work does not depend on their values.
 */
int
kr_shamir_combine(const uint8_t *xs, const uint8_t *const *ys, size_t k,
    size_t len, uint8_t *secret)
{
	uint8_t		 l[KR_CUSTODIANS_MAX];
	uint8_t		 acc;
	size_t		 i, j;
	int		 ret = KR_EINPUT;

	if (xs == NULL || ys == NULL || secret == NULL || len == 0)
		return ret;
	for (i = 0; i < k; i++) {
		if (ys[i] == NULL)
			return ret;
	}
	if ((ret = lagrange_at_zero(xs, k, l)) != KR_OK)
		return ret;
	for (j = 0; j < len; j++) {
		acc = 0;
		for (i = 0; i < k; i++)
			acc ^= kr_gf256_mul(ys[i][j], l[i]);
		secret[j] = acc;
	}
	kr_wipe(&acc, sizeof(acc));
	return KR_OK;
}
