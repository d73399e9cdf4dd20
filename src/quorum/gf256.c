/*
 * Arithmetic in GF(2^8) with the AES reduction polynomial
 * x^8 + x^4 + x^3 + x + 1 (0x11b).
 *
 * Every operation runs in constant time: no lookup table, no branch and no
 * memory index depends on an operand.  Shamir shares and secrets pass
 * through here, and a table indexed by a secret byte leaks it through the
 * cache.  test/ct/ct_shamir.c checks this under Valgrind.
 */
#include <stdint.h>

#include <keyrite/quorum.h>

/*
 * Shift-and-add ("Russian peasant") multiplication.  The bit of b that
 * selects whether a is added, and the top bit of a that selects whether
 * the polynomial is subtracted, become all-zeros or all-ones masks.
 */
uint8_t
kr_gf256_mul(uint8_t a, uint8_t b)
{
	unsigned int	 x = a, y = b, r = 0, i;

	for (i = 0; i < 8; i++) {
		r ^= x & (0U - (y & 1U));
		x = (x << 1) ^ (0x11bU & (0U - (x >> 7)));
		y >>= 1;
	}
	return (uint8_t)r;
}

/*
 * The inverse is a^254 (a^255 = 1 for a != 0), computed by square and
 * multiply over the bits of the public exponent 254 = 0b11111110, so the
 * sequence of operations is the same for every a.  It gives inv(0) = 0.
 */
uint8_t
kr_gf256_inv(uint8_t a)
{
	uint8_t		 r = 1;
	int		 bit;

	for (bit = 7; bit >= 0; bit--) {
		r = kr_gf256_mul(r, r);
		if ((254 >> bit) & 1)
			r = kr_gf256_mul(r, a);
	}
	return r;
}
