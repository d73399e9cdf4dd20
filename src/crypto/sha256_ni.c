/*
 * SHA-256 block compression with the x86 SHA extensions, used for whole
 * blocks when the CPU has them; Mbed TLS keeps the buffering, padding and
 * every other case.  A CRL of a million entries is about 50 MB, hashed
 * twice per publication: in software that alone took longer than the
 * whole target.
 *
 * The SHA extensions keep the eight state words as two vectors,
 * ABEF and CDGH; SHA256RNDS2 runs two rounds, SHA256MSG1/MSG2 extend the
 * message schedule four words at a time (FIPS 180-4 6.2.2).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto_int.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t kr_sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* 0 unknown, 1 yes, -1 no or disabled; read by the hashing threads too. */
static _Atomic int	kr_sha_ni_state;

bool
kr_sha256_ni_available(void)
{
	unsigned int	a, b, c, d;
	int		st = atomic_load(&kr_sha_ni_state);

	if (st == 0) {
		st = __get_cpuid(1, &a, &b, &c, &d) != 0 &&
		    (c & bit_SSSE3) != 0 && (c & bit_SSE4_1) != 0 &&
		    __get_cpuid_count(7, 0, &a, &b, &c, &d) != 0 &&
		    (b & bit_SHA) != 0 ? 1 : -1;
		atomic_store(&kr_sha_ni_state, st);
	}
	return st == 1;
}

void
kr_sha256_ni_disable(bool off)
{
	atomic_store(&kr_sha_ni_state, off ? -1 : 0);
}

/* Four message words of group g (rounds 4g..4g+3) plus their constants. */
__attribute__((target("sha,sse4.1,ssse3")))
static inline __m128i
kr_sha256_ni_wk(const __m128i *m, int g)
{
	return _mm_add_epi32(m[g & 3], _mm_loadu_si128(
	    (const __m128i *)&kr_sha256_k[4 * g]));
}

__attribute__((target("sha,sse4.1,ssse3")))
void
kr_sha256_ni_blocks(uint32_t *state, const uint8_t *data, size_t blocks)
{
	const __m128i	bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
			    0x0405060700010203ULL);
	__m128i		abef, cdgh, abef0, cdgh0, t, wk, m[4];
	int		g;

	/* state[] is A..H: make ABEF and CDGH. */
	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]),
	    0xb1);						/* CDAB */
	cdgh = _mm_shuffle_epi32(_mm_loadu_si128(
	    (const __m128i *)&state[4]), 0x1b);			/* EFGH */
	abef = _mm_alignr_epi8(t, cdgh, 8);			/* ABEF */
	cdgh = _mm_blend_epi16(cdgh, t, 0xf0);			/* CDGH */
	for (; blocks > 0; blocks--, data += 64) {
		abef0 = abef;
		cdgh0 = cdgh;
		for (g = 0; g < 16; g++) {
			if (g < 4)
				m[g] = _mm_shuffle_epi8(_mm_loadu_si128(
				    (const __m128i *)(data + 16 * g)), bswap);
			else
				/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] */
				m[g & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(
				    _mm_sha256msg1_epu32(m[g & 3],
				    m[(g + 1) & 3]), _mm_alignr_epi8(
				    m[(g + 3) & 3], m[(g + 2) & 3], 4)),
				    m[(g + 3) & 3]);
			wk = kr_sha256_ni_wk(m, g);
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
			abef = _mm_sha256rnds2_epu32(abef, cdgh,
			    _mm_shuffle_epi32(wk, 0x0e));
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	t = _mm_shuffle_epi32(abef, 0x1b);			/* FEBA */
	cdgh = _mm_shuffle_epi32(cdgh, 0xb1);			/* DCHG */
	_mm_storeu_si128((__m128i *)&state[0],
	    _mm_blend_epi16(t, cdgh, 0xf0));			/* DCBA */
	_mm_storeu_si128((__m128i *)&state[4],
	    _mm_alignr_epi8(cdgh, t, 8));			/* HGFE */
}

#else

bool
kr_sha256_ni_available(void)
{
	return false;
}

void
kr_sha256_ni_disable(bool off)
{
	(void)off;
}

void
kr_sha256_ni_blocks(uint32_t *state, const uint8_t *data, size_t blocks)
{
	(void)state;
	(void)data;
	(void)blocks;
}

#endif
