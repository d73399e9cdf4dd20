/*
 * TEST-KEY-002, TEST-KEY-008 (docs/traceability.md).
 * Unit tests for the quorum module: GF(2^8), Shamir split/combine and the
 * custodian share file.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <sodium.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/quorum.h>

#include "testlib.h"

#include "quorum_int.h"

/* Offsets of the fixed header fields in a v1 share file. */
#define OFF_VERSION	8
#define OFF_SET_ID	10
#define OFF_EPOCH	26
#define OFF_KEY_ID	30
#define OFF_M		46
#define OFF_N		47
#define OFF_X		48
#define OFF_NAMELEN	49
#define OFF_NAME	50

/* A reference multiplication that may branch: schoolbook, then reduce. */
static uint8_t
ref_mul(uint8_t a, uint8_t b)
{
	unsigned	 p = 0, i;

	for (i = 0; i < 8; i++) {
		if (b & (1U << i))
			p ^= (unsigned)a << i;
	}
	for (i = 15; i >= 8; i--) {
		if (p & (1U << i))
			p ^= 0x11bU << (i - 8);
	}
	return (uint8_t)p;
}

START_TEST(gf_mul_matches_reference)
{
	unsigned	 a, b;

	for (a = 0; a < 256; a++)
		for (b = 0; b < 256; b++)
			ck_assert_uint_eq(kr_gf256_mul(a, b), ref_mul(a, b));
}
END_TEST

/* FIPS-197 section 4.2 examples, and the inverse pair of section 5.1.1. */
START_TEST(gf_known_answers)
{
	ck_assert_uint_eq(kr_gf256_mul(0x57, 0x83), 0xc1);
	ck_assert_uint_eq(kr_gf256_mul(0x57, 0x13), 0xfe);
	ck_assert_uint_eq(kr_gf256_mul(0x53, 0xca), 0x01);
	ck_assert_uint_eq(kr_gf256_inv(0x53), 0xca);
	ck_assert_uint_eq(kr_gf256_inv(0x01), 0x01);
	ck_assert_uint_eq(kr_gf256_inv(0x00), 0x00);
}
END_TEST

START_TEST(gf_inverse_all)
{
	unsigned	 a;

	for (a = 1; a < 256; a++) {
		ck_assert_uint_eq(kr_gf256_mul(a, kr_gf256_inv(a)), 1);
		ck_assert_uint_eq(kr_gf256_inv(kr_gf256_inv(a)), a);
	}
}
END_TEST

START_TEST(gf_field_axioms)
{
	static const uint8_t	 cs[] = { 0, 1, 2, 3, 0x1b, 0x53, 0x80,
				    0x8d, 0xca, 0xfe, 0xff };
	unsigned		 a, b, i;
	uint8_t			 c;

	for (a = 0; a < 256; a++) {
		ck_assert_uint_eq(kr_gf256_mul(a, 1), a);
		ck_assert_uint_eq(kr_gf256_mul(a, 0), 0);
		for (b = 0; b < 256; b++) {
			ck_assert_uint_eq(kr_gf256_mul(a, b),
			    kr_gf256_mul(b, a));
			for (i = 0; i < sizeof(cs); i++) {
				c = cs[i];
				ck_assert_uint_eq(
				    kr_gf256_mul(kr_gf256_mul(a, b), c),
				    kr_gf256_mul(a, kr_gf256_mul(b, c)));
				ck_assert_uint_eq(kr_gf256_mul(a, b ^ c),
				    kr_gf256_mul(a, b) ^ kr_gf256_mul(a, c));
			}
		}
	}
}
END_TEST

/*
 * Hand-computed: f(x) = s + c x per byte, with
 * (s, c) = (42, 01), (00, 02), (ff, 53); 53 * 2 = a6 and 53 * 3 = f5.
 */
START_TEST(shamir_vector_degree1)
{
	static const uint8_t	 s[3] = { 0x42, 0x00, 0xff };
	static const uint8_t	 c[3] = { 0x01, 0x02, 0x53 };
	static const uint8_t	 want[9] = {
		0x43, 0x02, 0xac,	/* x = 1 */
		0x40, 0x04, 0x59,	/* x = 2 */
		0x41, 0x06, 0x0a,	/* x = 3 */
	};
	uint8_t			 xs[3], ys[9], out[3];
	const uint8_t		*yp[2];

	ck_assert_int_eq(kr_shamir_split_coefs(s, 3, 2, 3, c, xs, ys), KR_OK);
	ck_assert_uint_eq(xs[0], 1);
	ck_assert_uint_eq(xs[1], 2);
	ck_assert_uint_eq(xs[2], 3);
	ck_assert_mem_eq(ys, want, sizeof(want));
	yp[0] = want + 6;
	yp[1] = want + 3;
	ck_assert_int_eq(kr_shamir_combine((uint8_t[]){ 3, 2 }, yp, 2, 3,
	    out), KR_OK);
	ck_assert_mem_eq(out, s, 3);
}
END_TEST

/*
 * Hand-computed: f(x) = 10 + c1 x + c2 x^2 with x^2 = 1, 4, 5, 10 for
 * x = 1..4.  (c1, c2) = (00, 01) gives 11 14 15 00; (01, 01) gives
 * 10 16 16 04 (a share may equal the secret).
 */
START_TEST(shamir_vector_degree2)
{
	static const uint8_t	 s[2] = { 0x10, 0x10 };
	static const uint8_t	 c[4] = { 0x00, 0x01, 0x01, 0x01 };
	static const uint8_t	 want[8] = {
		0x11, 0x10, 0x14, 0x16, 0x15, 0x16, 0x00, 0x04,
	};
	uint8_t			 xs[4], ys[8], out[2];
	const uint8_t		*yp[3] = { want + 6, want + 0, want + 4 };

	ck_assert_int_eq(kr_shamir_split_coefs(s, 2, 3, 4, c, xs, ys), KR_OK);
	ck_assert_mem_eq(ys, want, sizeof(want));
	ck_assert_int_eq(kr_shamir_combine((uint8_t[]){ 4, 1, 3 }, yp, 3, 2,
	    out), KR_OK);
	ck_assert_mem_eq(out, s, 2);
	/* Two points of a degree-2 polynomial do not give f(0). */
	ck_assert_int_eq(kr_shamir_combine((uint8_t[]){ 4, 1 }, yp, 2, 2,
	    out), KR_OK);
	ck_assert(memcmp(out, s, 2) != 0);
}
END_TEST

static unsigned
popcount(unsigned v)
{
	unsigned	 c = 0;

	for (; v != 0; v >>= 1)
		c += v & 1;
	return c;
}

/*
 * Every subset of at least m shares gives the secret; every subset of
 * m - 1 gives something else (all 32 bytes equal by chance: 2^-256).
 */
static void
check_subsets(unsigned m, unsigned n)
{
	uint8_t		 secret[32], xs[9], ys[9 * 32], out[32], sx[9];
	const uint8_t	*sy[9];
	unsigned	 mask, i, k, full = 0, short_ = 0;

	kr_random(secret, sizeof(secret));
	ck_assert_int_eq(kr_shamir_split(secret, 32, m, n, xs, ys), KR_OK);
	for (mask = 1; mask < (1U << n); mask++) {
		for (k = 0, i = 0; i < n; i++) {
			if (mask & (1U << i)) {
				sx[k] = xs[i];
				sy[k++] = ys + i * 32;
			}
		}
		if (k < m - 1)
			continue;
		ck_assert_int_eq(kr_shamir_combine(sx, sy, k, 32, out), KR_OK);
		if (k >= m) {
			ck_assert_mem_eq(out, secret, 32);
			full++;
		} else {
			ck_assert(memcmp(out, secret, 32) != 0);
			short_++;
		}
	}
	ck_assert_uint_gt(full, 0);
	ck_assert_uint_gt(short_, 0);
}

START_TEST(shamir_subsets)
{
	check_subsets(2, 3);
	check_subsets(3, 5);
	check_subsets(5, 9);
	check_subsets(9, 9);
}
END_TEST

START_TEST(shamir_refusals)
{
	uint8_t		 s[4] = { 1, 2, 3, 4 }, xs[255], out[4];
	uint8_t		*ys;
	const uint8_t	*yp[2] = { s, s };

	ys = malloc(255 * 4);
	ck_assert_ptr_nonnull(ys);
	ck_assert_int_eq(kr_shamir_split(s, 4, 1, 3, xs, ys), KR_EINPUT);
	ck_assert_int_eq(kr_shamir_split(s, 4, 4, 3, xs, ys), KR_EINPUT);
	ck_assert_int_eq(kr_shamir_split(s, 4, 2, 256, xs, ys), KR_EINPUT);
	ck_assert_int_eq(kr_shamir_split(s, 0, 2, 3, xs, ys), KR_EINPUT);
	ck_assert_int_eq(kr_shamir_split(s, 4, 255, 255, xs, ys), KR_OK);
	ck_assert_uint_eq(xs[254], 255);
	free(ys);
	ck_assert_int_eq(kr_shamir_combine((uint8_t[]){ 1, 2 }, yp, 0, 4,
	    out), KR_EINPUT);
	ck_assert_int_eq(kr_shamir_combine((uint8_t[]){ 0, 2 }, yp, 2, 4,
	    out), KR_EINPUT);
	ck_assert_int_eq(kr_shamir_combine((uint8_t[]){ 2, 0 }, yp, 2, 4,
	    out), KR_EINPUT);
	ck_assert_int_eq(kr_shamir_combine((uint8_t[]){ 3, 3 }, yp, 2, 4,
	    out), KR_EINPUT);
	ck_assert_int_eq(kr_shamir_combine((uint8_t[]){ 3 }, yp, 1, 4, out),
	    KR_OK);
	ck_assert_mem_eq(out, s, 4);
}
END_TEST

/* Share files. */

#define SET_MAX	9

struct set {
	uint8_t			 secret[KR_QUORUM_SECRET_BYTES];
	uint8_t			 ys[SET_MAX * KR_QUORUM_SECRET_BYTES];
	struct kr_dealer	 dealer;
	unsigned		 m, n;
	uint8_t			*file[SET_MAX];
	size_t			 len[SET_MAX];
	struct kr_share		 sh[SET_MAX];
};

static const struct kr_kdf_params cheap = { 1, 64 };

static void
pass_for(char *buf, size_t size, const char *tag, unsigned i)
{
	(void)snprintf(buf, size, "%s passphrase %u", tag, i);
}

/*
 * Deals an m-of-n set for the key id and set id (each 16 times one byte)
 * and epoch; custodians are "<tag>-<i>", files "<tag>-<i>.share".  Files
 * are parsed, signature-checked and opened.
 */
static void
set_make(struct set *st, const char *tag, unsigned m, unsigned n,
    uint8_t key, uint8_t set, uint32_t epoch)
{
	struct kr_share_header	 h;
	struct kr_err		 err;
	uint8_t			 xs[SET_MAX];
	char			 label[64], pass[64];
	unsigned		 i;

	memset(st, 0, sizeof(*st));
	st->m = m;
	st->n = n;
	kr_random(st->secret, sizeof(st->secret));
	ck_assert_int_eq(kr_shamir_split(st->secret, KR_QUORUM_SECRET_BYTES,
	    m, n, xs, st->ys), KR_OK);
	ck_assert_int_eq(kr_dealer_new(&st->dealer, &err), KR_OK);
	for (i = 0; i < n; i++) {
		memset(&h, 0, sizeof(h));
		memset(h.set_id, set, sizeof(h.set_id));
		memset(h.key_id, key, sizeof(h.key_id));
		h.epoch = epoch;
		h.m = (uint8_t)m;
		h.n = (uint8_t)n;
		h.x = xs[i];
		(void)snprintf(h.custodian, sizeof(h.custodian), "%s-%u", tag,
		    i + 1);
		h.kdf = cheap;
		pass_for(pass, sizeof(pass), tag, i + 1);
		ck_assert_msg(kr_share_seal(&h, st->ys + i * 32, pass,
		    strlen(pass), &st->dealer, &st->file[i], &st->len[i],
		    &err) == KR_OK, "%s", err.msg);
		(void)snprintf(label, sizeof(label), "%s-%u.share", tag, i + 1);
		ck_assert_msg(kr_share_parse(st->file[i], st->len[i], label,
		    &st->sh[i], &err) == KR_OK, "%s", err.msg);
		ck_assert_msg(kr_share_check_signature(&st->sh[i],
		    st->dealer.pk, &err) == KR_OK, "%s", err.msg);
		ck_assert_msg(kr_share_open(&st->sh[i], pass, strlen(pass),
		    &err) == KR_OK, "%s", err.msg);
	}
}

static void
set_free(struct set *st)
{
	unsigned	 i;

	for (i = 0; i < st->n; i++) {
		kr_share_clear(&st->sh[i]);
		free(st->file[i]);
	}
	kr_dealer_free(&st->dealer);
}

#define ck_assert_msg_has(err, s)					\
	ck_assert_msg(strstr((err).msg, (s)) != NULL,			\
	    "message \"%s\" lacks \"%s\"", (err).msg, (s))

START_TEST(share_round_trip)
{
	struct set	 st;
	struct kr_share	*pick[2];
	uint8_t		 out[32], id[16];
	unsigned	 i;

	set_make(&st, "alice", 2, 3, 0xa1, 0x51, 7);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(st.len[i], 243 + strlen("alice-1"));
		ck_assert_uint_eq(st.sh[i].signed_len, st.len[i] - 64);
		ck_assert_mem_eq(st.sh[i].y, st.ys + i * 32, 32);
		ck_assert_uint_eq(st.sh[i].h.x, i + 1);
		ck_assert_uint_eq(st.sh[i].h.version, 1);
		ck_assert_uint_eq(st.sh[i].h.m, 2);
		ck_assert_uint_eq(st.sh[i].h.n, 3);
		ck_assert_uint_eq(st.sh[i].h.epoch, 7);
		ck_assert_uint_eq(st.sh[i].h.kdf.opslimit, 1);
		ck_assert_uint_eq(st.sh[i].h.kdf.mem_kib, 64);
		memset(id, 0xa1, sizeof(id));
		ck_assert_mem_eq(st.sh[i].h.key_id, id, 16);
		memset(id, 0x51, sizeof(id));
		ck_assert_mem_eq(st.sh[i].h.set_id, id, 16);
		ck_assert_mem_eq(st.sh[i].h.dealer_pk, st.dealer.pk, 32);
	}
	ck_assert_str_eq(st.sh[1].h.custodian, "alice-2");
	ck_assert_str_eq(st.sh[1].label, "alice-2.share");
	pick[0] = &st.sh[2];
	pick[1] = &st.sh[0];
	ck_assert_int_eq(kr_share_combine(pick, 2, out, NULL), KR_OK);
	ck_assert_mem_eq(out, st.secret, 32);
	set_free(&st);
}
END_TEST

/* The bytes sit where docs/formats.md says. */
START_TEST(share_layout)
{
	struct set	 st;
	const uint8_t	*f;
	size_t		 o;

	set_make(&st, "bob", 2, 3, 0xa1, 0x51, 0x01020304);
	f = st.file[1];
	ck_assert_mem_eq(f, "KRSHARE\0", 8);
	ck_assert_mem_eq(f + OFF_VERSION, "\x00\x01", 2);
	ck_assert_uint_eq(f[OFF_SET_ID], 0x51);
	ck_assert_mem_eq(f + OFF_EPOCH, "\x01\x02\x03\x04", 4);
	ck_assert_uint_eq(f[OFF_KEY_ID + 15], 0xa1);
	ck_assert_uint_eq(f[OFF_M], 2);
	ck_assert_uint_eq(f[OFF_N], 3);
	ck_assert_uint_eq(f[OFF_X], 2);
	ck_assert_uint_eq(f[OFF_NAMELEN], 5);
	ck_assert_mem_eq(f + OFF_NAME, "bob-2", 5);
	o = OFF_NAME + 5;
	ck_assert_uint_eq(f[o], 1);
	ck_assert_mem_eq(f + o + 1, "\x00\x00\x00\x01\x00\x00\x00\x40", 8);
	ck_assert_mem_eq(f + o + 9, st.sh[1].h.salt, 16);
	ck_assert_mem_eq(f + o + 25, st.sh[1].h.nonce, 24);
	ck_assert_mem_eq(f + o + 49, st.dealer.pk, 32);
	ck_assert_mem_eq(f + o + 81, st.sh[1].ct, 48);
	ck_assert_mem_eq(f + o + 129, st.sh[1].sig, 64);
	ck_assert_uint_eq(st.len[1], o + 193);
	ck_assert_int_eq(crypto_sign_verify_detached(f + o + 129, f, o + 129,
	    st.dealer.pk), 0);
	set_free(&st);
}
END_TEST

/*
 * For each shape, every m-subset of share files gives the secret and
 * every (m-1)-subset is refused by count.
 */
static void
check_share_subsets(unsigned m, unsigned n)
{
	struct set	 st;
	struct kr_share	*pick[SET_MAX];
	struct kr_err	 err;
	uint8_t		 out[32];
	char		 want[128];
	unsigned	 mask, i, k;

	set_make(&st, "c", m, n, 1, 2, 1);
	for (mask = 1; mask < (1U << n); mask++) {
		if ((k = popcount(mask)) != m && k != m - 1)
			continue;
		for (k = 0, i = 0; i < n; i++) {
			if (mask & (1U << i))
				pick[k++] = &st.sh[i];
		}
		memset(out, 0, sizeof(out));
		if (k == m) {
			ck_assert_msg(kr_share_combine(pick, k, out, &err) ==
			    KR_OK, "%s", err.msg);
			ck_assert_mem_eq(out, st.secret, 32);
			continue;
		}
		ck_assert_int_eq(kr_share_combine(pick, k, out, &err),
		    KR_EQUORUM);
		(void)snprintf(want, sizeof(want), "%u of the %u shares "
		    "needed: 1 more custodian must present a share", k, m);
		ck_assert_str_eq(err.msg, want);
	}
	set_free(&st);
}

START_TEST(share_subsets)
{
	check_share_subsets(2, 3);
	check_share_subsets(3, 5);
	check_share_subsets(5, 9);
}
END_TEST

START_TEST(share_count_message)
{
	struct set	 st;
	struct kr_share	*pick[1];
	struct kr_err	 err;
	uint8_t		 out[32];

	set_make(&st, "c", 3, 3, 1, 2, 1);
	pick[0] = &st.sh[0];
	ck_assert_int_eq(kr_share_combine(pick, 1, out, &err), KR_EQUORUM);
	ck_assert_str_eq(err.msg, "1 of the 3 shares needed: 2 more "
	    "custodians must present a share");
	ck_assert_int_eq(kr_share_combine(pick, 0, out, &err), KR_EQUORUM);
	set_free(&st);
}
END_TEST

START_TEST(share_wrong_passphrase)
{
	struct set	 st;
	struct kr_err	 err;
	char		 pass[64];

	set_make(&st, "carol", 2, 3, 1, 2, 1);
	ck_assert_int_eq(kr_share_open(&st.sh[1], "carol passphrase 1", 18,
	    &err), KR_EAUTH);
	ck_assert_ptr_null(st.sh[1].y);
	ck_assert_msg_has(err, "the passphrase for custodian 'carol-2' "
	    "(share file carol-2.share) is wrong");
	/* A prefix of the right passphrase is a wrong one too. */
	pass_for(pass, sizeof(pass), "carol", 2);
	ck_assert_int_eq(kr_share_open(&st.sh[1], pass, strlen(pass) - 1,
	    &err), KR_EAUTH);
	ck_assert_int_eq(kr_share_open(&st.sh[1], pass, strlen(pass), &err),
	    KR_OK);
	ck_assert_mem_eq(st.sh[1].y, st.ys + 32, 32);
	set_free(&st);
}
END_TEST

/* Parse, check the signature, open: some step must refuse. */
static void
check_damaged(const struct set *st, const uint8_t *f, size_t len)
{
	struct kr_share	 s;
	struct kr_err	 err;
	char		 pass[64];
	int		 ret;

	kr_err_clear(&err);
	pass_for(pass, sizeof(pass), "dave", 1);
	ret = kr_share_parse(f, len, "dave-1.share", &s, &err);
	if (ret == KR_OK)
		ret = kr_share_check_signature(&s, st->dealer.pk, &err);
	if (ret == KR_OK)
		ret = kr_share_open(&s, pass, strlen(pass), &err);
	kr_share_clear(&s);
	ck_assert_int_ne(ret, KR_OK);
	ck_assert_int_eq(err.code, ret);
	ck_assert_msg(strstr(err.msg, "dave-1.share") != NULL ||
	    strstr(err.msg, "'dave-1'") != NULL,
	    "message \"%s\" names neither file nor custodian", err.msg);
}

START_TEST(share_every_byte_flipped)
{
	static const uint8_t	 masks[] = { 0x01, 0x80, 0xff };
	struct set		 st;
	uint8_t			 f[KR_SHARE_FILE_MAX + 1];
	size_t			 len, i, j;

	set_make(&st, "dave", 2, 2, 1, 2, 1);
	len = st.len[0];
	for (i = 0; i < len; i++) {
		for (j = 0; j < sizeof(masks); j++) {
			memcpy(f, st.file[0], len);
			f[i] ^= masks[j];
			check_damaged(&st, f, len);
		}
	}
	for (i = 0; i < len; i++)
		check_damaged(&st, st.file[0], i);
	memcpy(f, st.file[0], len);
	f[len] = 0;
	check_damaged(&st, f, len + 1);
	set_free(&st);
}
END_TEST

static int
parse_patched(const struct set *st, size_t off, uint8_t v,
    struct kr_err *err)
{
	struct kr_share	 s;
	uint8_t		 f[KR_SHARE_FILE_MAX];

	memcpy(f, st->file[0], st->len[0]);
	f[off] = v;
	return kr_share_parse(f, st->len[0], "erin-1.share", &s, err);
}

START_TEST(share_parse_refusals)
{
	struct set	 st;
	struct kr_share	 s;
	struct kr_err	 err;
	size_t		 kdf = OFF_NAME + strlen("erin-1");
	uint8_t		*big;

	set_make(&st, "erin", 2, 3, 1, 2, 1);
	ck_assert_int_eq(parse_patched(&st, 0, 'X', &err), KR_EINPUT);
	ck_assert_str_eq(err.msg, "share file erin-1.share is not a keyrite "
	    "share file (wrong magic)");
	ck_assert_int_eq(parse_patched(&st, OFF_VERSION + 1, 3, &err),
	    KR_EINPUT);
	ck_assert_msg_has(err, "share file erin-1.share has format version 3");
	/* A format 1 file read as format 2 lacks its approval key. */
	ck_assert_int_eq(parse_patched(&st, OFF_VERSION + 1, 2, &err),
	    KR_EINPUT);
	ck_assert_msg_has(err, "truncated");
	ck_assert_int_eq(parse_patched(&st, OFF_M, 1, &err), KR_EINPUT);
	ck_assert_msg_has(err, "share file erin-1.share (custodian 'erin-1') "
	    "says 1 of 3");
	ck_assert_int_eq(parse_patched(&st, OFF_M, 4, &err), KR_EINPUT);
	ck_assert_int_eq(parse_patched(&st, OFF_N, 1, &err), KR_EINPUT);
	ck_assert_int_eq(parse_patched(&st, OFF_X, 0, &err), KR_EINPUT);
	ck_assert_msg_has(err, "holds share x = 0, outside 1 to 3");
	ck_assert_int_eq(parse_patched(&st, OFF_X, 4, &err), KR_EINPUT);
	ck_assert_int_eq(parse_patched(&st, OFF_NAMELEN, 0, &err), KR_EINPUT);
	ck_assert_int_eq(parse_patched(&st, OFF_NAMELEN, 65, &err),
	    KR_EINPUT);
	ck_assert_int_eq(parse_patched(&st, OFF_NAME + 1, '/', &err),
	    KR_EINPUT);
	ck_assert_msg_has(err, "share file erin-1.share: custodian name "
	    "contains '/'");
	ck_assert_int_eq(parse_patched(&st, OFF_NAME + 1, 0, &err),
	    KR_EINPUT);
	ck_assert_msg_has(err, "NUL byte");
	ck_assert_int_eq(parse_patched(&st, OFF_NAME, 0x1b, &err),
	    KR_EINPUT);
	ck_assert_int_eq(parse_patched(&st, kdf, 2, &err), KR_EINPUT);
	ck_assert_msg_has(err, "key-derivation algorithm 2");
	ck_assert_int_eq(parse_patched(&st, kdf + 4, 0, &err), KR_EINPUT);
	ck_assert_msg_has(err, "Argon2id with 0 passes");
	ck_assert_int_eq(parse_patched(&st, kdf + 4, 65, &err), KR_EINPUT);
	ck_assert_int_eq(parse_patched(&st, kdf + 4, 64, &err), KR_OK);
	ck_assert_int_eq(parse_patched(&st, kdf + 8, 7, &err), KR_EINPUT);
	ck_assert_msg_has(err, "and 7 KiB");
	ck_assert_int_eq(parse_patched(&st, kdf + 8, 8, &err), KR_OK);
	ck_assert_int_eq(parse_patched(&st, kdf + 6, 0x40, &err), KR_EINPUT);
	ck_assert_int_eq(parse_patched(&st, kdf + 5, 0x01, &err), KR_EINPUT);
	ck_assert_int_eq(parse_patched(&st, kdf + 6, 0x3f, &err), KR_OK);
	ck_assert_int_eq(kr_share_parse(st.file[0], 20, "erin-1.share", &s,
	    &err), KR_EINPUT);
	ck_assert_msg_has(err, "share file erin-1.share is truncated");
	ck_assert_int_eq(kr_share_parse(NULL, 0, "erin-1.share", &s, &err),
	    KR_EINPUT);
	big = calloc(1, KR_SHARE_FILE_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memcpy(big, st.file[0], st.len[0]);
	ck_assert_int_eq(kr_share_parse(big, KR_SHARE_FILE_MAX + 1,
	    "erin-1.share", &s, &err), KR_EINPUT);
	ck_assert_msg_has(err, "share file erin-1.share is 4097 bytes");
	ck_assert_int_eq(kr_share_parse(big, st.len[0] + 1, "erin-1.share",
	    &s, &err), KR_EINPUT);
	ck_assert_msg_has(err, "1 unexpected bytes after its signature");
	free(big);
	set_free(&st);
}
END_TEST

START_TEST(share_signature)
{
	struct set	 st, other;
	struct kr_share	 s;
	struct kr_err	 err;

	set_make(&st, "fay", 2, 3, 0xab, 2, 1);
	set_make(&other, "fay", 2, 3, 0xab, 2, 1);
	ck_assert_int_eq(kr_share_check_signature(&st.sh[0], other.dealer.pk,
	    &err), KR_EVERIFY);
	ck_assert_str_eq(err.msg, "share file fay-1.share (custodian 'fay-1') "
	    "was dealt by a different dealer key than key "
	    "abababababababababababababababab's share set: it belongs to "
	    "another share set or was forged");
	/* A share re-signed by another dealer, claiming the right one. */
	s = other.sh[0];
	s.y = NULL;
	memcpy(s.h.dealer_pk, st.dealer.pk, 32);
	ck_assert_int_eq(kr_share_check_signature(&s, st.dealer.pk, &err),
	    KR_EVERIFY);
	ck_assert_str_eq(err.msg, "share file fay-1.share (custodian 'fay-1') "
	    "has been altered: its dealer signature does not verify");
	/* A field changed after parsing is caught too. */
	s = st.sh[2];
	s.y = NULL;
	s.h.epoch++;
	ck_assert_int_eq(kr_share_check_signature(&s, st.dealer.pk, &err),
	    KR_EVERIFY);
	set_free(&st);
	set_free(&other);
}
END_TEST

/* Combining shares of different sets names the odd one out. */
START_TEST(share_foreign)
{
	struct set	 a, key, set, epoch;
	struct kr_share	*pick[3];
	struct kr_err	 err;
	uint8_t		 out[32];

	set_make(&a, "amy", 2, 3, 0x11, 0x22, 3);
	set_make(&key, "ken", 2, 3, 0x12, 0x22, 3);
	set_make(&set, "sam", 2, 3, 0x11, 0x23, 3);
	set_make(&epoch, "eve", 2, 3, 0x11, 0x22, 4);
	pick[0] = &a.sh[0];
	pick[1] = &key.sh[1];
	pick[2] = &a.sh[2];
	ck_assert_int_eq(kr_share_combine(pick, 3, out, &err), KR_EINPUT);
	ck_assert_msg_has(err, "share file ken-2.share (custodian 'ken-2') is "
	    "a share of key 12121212121212121212121212121212, not of key "
	    "11111111111111111111111111111111 like share file amy-1.share");
	pick[1] = &set.sh[1];
	ck_assert_int_eq(kr_share_combine(pick, 3, out, &err), KR_EINPUT);
	ck_assert_msg_has(err, "share file sam-2.share (custodian 'sam-2') "
	    "belongs to share set 23232323232323232323232323232323");
	/* The odd one out is found even in first place. */
	pick[0] = &epoch.sh[1];
	pick[1] = &a.sh[1];
	ck_assert_int_eq(kr_share_combine(pick, 3, out, &err), KR_EINPUT);
	ck_assert_msg_has(err, "share file eve-2.share (custodian 'eve-2') is "
	    "from epoch 4, not epoch 3");
	/* With two, the second is named against the first. */
	ck_assert_int_eq(kr_share_combine(pick, 2, out, &err), KR_EINPUT);
	ck_assert_msg_has(err, "share file amy-2.share (custodian 'amy-2') is "
	    "from epoch 3, not epoch 4 like share file eve-2.share");
	set_free(&a);
	set_free(&key);
	set_free(&set);
	set_free(&epoch);
}
END_TEST

START_TEST(share_duplicates)
{
	struct set	 st;
	struct kr_share	*pick[3], copy;
	struct kr_err	 err;
	uint8_t		 out[32];

	set_make(&st, "gus", 2, 3, 1, 2, 1);
	pick[0] = &st.sh[0];
	pick[1] = &st.sh[1];
	pick[2] = &st.sh[0];
	ck_assert_int_eq(kr_share_combine(pick, 3, out, &err), KR_EINPUT);
	ck_assert_str_eq(err.msg, "share of custodian 'gus-1' given twice "
	    "(files gus-1.share and gus-1.share)");
	copy = st.sh[1];
	(void)snprintf(copy.label, sizeof(copy.label), "copy.share");
	pick[2] = &copy;
	ck_assert_int_eq(kr_share_combine(pick, 3, out, &err), KR_EINPUT);
	ck_assert_str_eq(err.msg, "share of custodian 'gus-2' given twice "
	    "(files gus-2.share and copy.share)");
	(void)snprintf(copy.h.custodian, sizeof(copy.h.custodian), "zed");
	ck_assert_int_eq(kr_share_combine(pick, 3, out, &err), KR_EINPUT);
	ck_assert_msg_has(err, "share files gus-2.share (custodian 'gus-2') "
	    "and copy.share (custodian 'zed') both hold share x = 2");
	copy.h.x = 0;
	ck_assert_int_eq(kr_share_combine(pick, 3, out, &err), KR_EINPUT);
	ck_assert_msg_has(err, "copy.share (custodian 'zed') holds share "
	    "x = 0");
	copy.y = NULL;
	set_free(&st);
}
END_TEST

START_TEST(share_seal_refusals)
{
	struct kr_share_header	 h;
	struct kr_dealer	 d;
	struct kr_err		 err;
	uint8_t			 y[32] = { 0 }, *out = NULL;
	size_t			 len = 0;

	ck_assert_int_eq(kr_dealer_new(&d, &err), KR_OK);
	memset(&h, 0, sizeof(h));
	h.m = 2;
	h.n = 3;
	h.x = 0;
	h.kdf = cheap;
	(void)snprintf(h.custodian, sizeof(h.custodian), "hal");
	ck_assert_int_eq(kr_share_seal(&h, y, "pw", 2, &d, &out, &len, &err),
	    KR_EINPUT);
	ck_assert_msg_has(err, "holds share x = 0");
	h.x = 1;
	ck_assert_int_eq(kr_share_seal(&h, y, "pw", 0, &d, &out, &len, &err),
	    KR_EINPUT);
	ck_assert_msg_has(err, "custodian 'hal' is empty");
	h.custodian[0] = '\0';
	ck_assert_int_eq(kr_share_seal(&h, y, "pw", 2, &d, &out, &len, &err),
	    KR_EINPUT);
	ck_assert_msg_has(err, "custodian name is empty");
	(void)snprintf(h.custodian, sizeof(h.custodian), "hal");
	h.m = 4;
	ck_assert_int_eq(kr_share_seal(&h, y, "pw", 2, &d, &out, &len, &err),
	    KR_EINPUT);
	h.m = 2;
	h.kdf.opslimit = 0;
	ck_assert_int_eq(kr_share_seal(&h, y, "pw", 2, &d, &out, &len, &err),
	    KR_EINPUT);
	ck_assert_ptr_null(out);
	h.kdf = cheap;
	ck_assert_int_eq(kr_share_seal(&h, y, "pw", 2, &d, &out, &len, &err),
	    KR_OK);
	ck_assert_ptr_nonnull(out);
	free(out);
	kr_dealer_free(&d);
}
END_TEST

/*
 * TEST-KEY-060: format 2 holds the custodian's approval key, sealed with
 * the share; it signs once opened and is gone once forgotten; every byte
 * of the file is covered (parse, dealer signature or AEAD refuse a flip).
 */
static int
v2_read(const uint8_t *f, size_t len, const uint8_t *dpk, const char *pass,
    struct kr_share *s, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_share_parse(f, len, "ivy.share", s, err)) != KR_OK ||
	    (ret = kr_share_check_signature(s, dpk, err)) != KR_OK)
		return ret;
	return kr_share_open(s, pass, strlen(pass), err);
}

START_TEST(share_v2_approval_key)
{
	static const char	 pass[] = "ivy's passphrase";
	struct kr_share_header	 h;
	struct kr_share		 s;
	struct kr_dealer	 d;
	struct kr_err		 err;
	uint8_t			 y[32], seed[32], pk[32], sk[64], sig[64];
	uint8_t			*out = NULL, f[KR_SHARE_FILE_MAX];
	char			 fp[KR_APPROVAL_FP_BYTES];
	size_t			 len = 0, i;

	kr_random(y, sizeof(y));
	kr_random(seed, sizeof(seed));
	ck_assert_int_eq(crypto_sign_seed_keypair(pk, sk, seed), 0);
	ck_assert_int_eq(kr_dealer_new(&d, &err), KR_OK);
	memset(&h, 0, sizeof(h));
	h.m = 2;
	h.n = 3;
	h.x = 2;
	h.kdf = cheap;
	(void)snprintf(h.custodian, sizeof(h.custodian), "ivy");
	ck_assert_int_eq(kr_share_seal_v2(&h, y, NULL, pass, strlen(pass), &d,
	    &out, &len, &err), KR_EINTERNAL);
	ck_assert_int_eq(kr_share_seal_v2(&h, y, seed, pass, strlen(pass), &d,
	    &out, &len, &err), KR_OK);
	ck_assert_uint_eq(len, 307 + 3);
	ck_assert_uint_eq(out[OFF_VERSION + 1], 2);
	ck_assert_mem_eq(h.approval_pk, pk, 32);
	/* the public key sits after the dealer key, in the clear */
	ck_assert_mem_eq(out + 99 + 3 + 32, pk, 32);
	memset(&s, 0, sizeof(s));
	ck_assert_msg(v2_read(out, len, d.pk, pass, &s, &err) == KR_OK, "%s",
	    err.msg);
	ck_assert(kr_share_has_approval_key(&s));
	ck_assert_mem_eq(s.y, y, 32);
	ck_assert_ptr_nonnull(s.approval_sk);
	ck_assert_int_eq(kr_share_approve(&s, (const uint8_t *)"stmt", 4, sig,
	    &err), KR_OK);
	ck_assert_int_eq(crypto_sign_verify_detached(sig,
	    (const uint8_t *)"stmt", 4, pk), 0);
	kr_share_approval_forget(&s);
	ck_assert_ptr_null(s.approval_sk);
	ck_assert_ptr_nonnull(s.y);
	ck_assert_int_eq(kr_share_approve(&s, (const uint8_t *)"stmt", 4, sig,
	    &err), KR_EINTERNAL);
	kr_share_clear(&s);
	/* a wrong passphrase opens neither the share nor the key */
	ck_assert_int_eq(v2_read(out, len, d.pk, "not ivy's", &s, &err),
	    KR_EAUTH);
	ck_assert_ptr_null(s.approval_sk);
	/* every byte flipped is refused */
	for (i = 0; i < len; i++) {
		memcpy(f, out, len);
		f[i] ^= 0x01;
		memset(&s, 0, sizeof(s));
		ck_assert_msg(v2_read(f, len, d.pk, pass, &s, &err) != KR_OK,
		    "byte %zu flipped was accepted", i);
		kr_share_clear(&s);
	}
	kr_approval_fingerprint(pk, fp);
	ck_assert_uint_eq(strlen(fp), 95);
	for (i = 0; i < 32; i++) {
		ck_assert(strchr("0123456789ABCDEF", fp[3 * i]) != NULL);
		if (i < 31)
			ck_assert_int_eq(fp[3 * i + 2], ':');
	}
	free(out);
	kr_dealer_free(&d);
}
END_TEST

START_TEST(custodian_names)
{
	static const char *const good[] = {
		"alice", "Zo\xc3\xab", "\xe6\x9d\x8e\xe9\x9b\xb7", "a b",
		"\xf0\x9f\x94\x91",
	};
	static const char *const bad[] = {
		"", "a/b", "a\x01", "a\x7f", "\xc3", "\xc0\xaf",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x80\xae", "\xc2\x85",
		"a\xef\xbb\xbf", "\xe2\x81\xa6", "\xff",
	};
	struct kr_err	 err;
	char		 longest[KR_CUSTODIAN_NAME_MAX + 2];
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(kr_custodian_name_check(good[i], &err) == KR_OK,
		    "good name %zu: %s", i, err.msg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		ck_assert_msg(kr_custodian_name_check(bad[i], &err) ==
		    KR_EINPUT, "bad name %zu accepted", i);
		ck_assert_msg(strncmp(err.msg, "custodian name ", 15) == 0,
		    "bad name %zu: %s", i, err.msg);
	}
	ck_assert_int_eq(kr_custodian_name_check(NULL, &err), KR_EINPUT);
	memset(longest, 'n', sizeof(longest));
	longest[KR_CUSTODIAN_NAME_MAX] = '\0';
	ck_assert_int_eq(kr_custodian_name_check(longest, &err), KR_OK);
	longest[KR_CUSTODIAN_NAME_MAX] = 'n';
	longest[KR_CUSTODIAN_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(kr_custodian_name_check(longest, &err), KR_EINPUT);
	ck_assert_msg_has(err, "longer than 64 bytes");
}
END_TEST

START_TEST(dealer_lifecycle)
{
	struct kr_dealer	 d;
	struct kr_err		 err;
	uint8_t			 sig[64], zero[32] = { 0 };

	ck_assert_int_eq(kr_dealer_new(&d, &err), KR_OK);
	ck_assert_ptr_nonnull(d.sk);
	ck_assert(memcmp(d.pk, zero, 32) != 0);
	ck_assert_int_eq(crypto_sign_detached(sig, NULL,
	    (const uint8_t *)"m", 1, d.sk), 0);
	ck_assert_int_eq(crypto_sign_verify_detached(sig,
	    (const uint8_t *)"m", 1, d.pk), 0);
	kr_dealer_free(&d);
	ck_assert_ptr_null(d.sk);
	kr_dealer_free(&d);
	kr_dealer_free(NULL);
	kr_share_clear(NULL);
}
END_TEST

static Suite *
quorum_suite(void)
{
	Suite	*s = suite_create("quorum");
	TCase	*gf = tcase_create("gf256");
	TCase	*sh = tcase_create("shamir");
	TCase	*fi = tcase_create("share file");

	tcase_add_test(gf, gf_mul_matches_reference);
	tcase_add_test(gf, gf_known_answers);
	tcase_add_test(gf, gf_inverse_all);
	tcase_add_test(gf, gf_field_axioms);
	tcase_add_test(sh, shamir_vector_degree1);
	tcase_add_test(sh, shamir_vector_degree2);
	tcase_add_test(sh, shamir_subsets);
	tcase_add_test(sh, shamir_refusals);
	tcase_add_test(fi, share_round_trip);
	tcase_add_test(fi, share_layout);
	tcase_add_test(fi, share_subsets);
	tcase_add_test(fi, share_count_message);
	tcase_add_test(fi, share_wrong_passphrase);
	tcase_add_test(fi, share_every_byte_flipped);
	tcase_add_test(fi, share_parse_refusals);
	tcase_add_test(fi, share_signature);
	tcase_add_test(fi, share_foreign);
	tcase_add_test(fi, share_duplicates);
	tcase_add_test(fi, share_seal_refusals);
	tcase_add_test(fi, share_v2_approval_key);
	tcase_add_test(fi, custodian_names);
	tcase_add_test(fi, dealer_lifecycle);
	suite_add_tcase(s, gf);
	suite_add_tcase(s, sh);
	suite_add_tcase(s, fi);
	return s;
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	return tl_run(quorum_suite(), NULL);
}
