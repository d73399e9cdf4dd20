/*
 * TEST-KEY-004 (wrap key), TEST-KEY-005, TEST-KEY-009 (docs/traceability.md).
 * keystore: signer interface, key names and purposes, the sealed back end.
 *
 * One key of every algorithm is generated in main() (RSA-4096 takes
 * seconds) and every test works on those sealed files.  A fixed quorum
 * secret is drawn once from the CSPRNG.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <sodium.h>

#include <keyrite/keystore.h>

#include "keystore_int.h"
#include "testpki.h"

#define NALGS	5
#define LABEL	"keys/root.sealed"

static const enum kr_key_alg algs[NALGS] = {
	KR_KEY_P256, KR_KEY_P384, KR_KEY_ED25519, KR_KEY_RSA3072,
	KR_KEY_RSA4096,
};

struct gen {
	int			 ret;
	char			 msg[KR_ERR_MSG_MAX];
	struct kr_sealed_header	 h;
	uint8_t			*file;
	size_t			 len;
};

static struct gen	gens[NALGS];
static uint8_t		qsecret[KR_QUORUM_SECRET_BYTES];

static const uint8_t	msg[] = "firmware image 1.2.3 for the test bench";

static void
make_header(struct kr_sealed_header *h, enum kr_key_alg alg)
{
	char	name[32];

	snprintf(name, sizeof(name), "root-%s", kr_key_alg_name(alg));
	tl_sealed_header(h, alg, alg == KR_KEY_ED25519 ? KR_PURPOSE_FIRMWARE :
	    KR_PURPOSE_CA, name);
	h->epoch = 3;
	h->created = 1795000000;
}

static void
generate_all(void)
{
	struct kr_err	err;
	size_t		i;

	for (i = 0; i < NALGS; i++) {
		kr_err_clear(&err);
		make_header(&gens[i].h, algs[i]);
		gens[i].ret = kr_sealed_generate(&gens[i].h, qsecret,
		    &gens[i].file, &gens[i].len, &err);
		memcpy(gens[i].msg, err.msg, sizeof(err.msg));
	}
}

static const struct gen *
gen_ok(int i)
{
	ck_assert_msg(gens[i].ret == KR_OK, "generating %s failed: %s",
	    kr_key_alg_name(algs[i]), gens[i].msg);
	return &gens[i];
}

static struct kr_signer *
open_key(int i)
{
	const struct gen	*g = gen_ok(i);
	struct kr_signer	*s = NULL;
	struct kr_err		 err;
	int			 ret;

	kr_err_clear(&err);
	ret = kr_sealed_open(g->file, g->len, LABEL, qsecret, &s, &err);
	ck_assert_msg(ret == KR_OK, "open %s: %s", kr_key_alg_name(algs[i]),
	    err.msg);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* No 16-byte window of the secret appears in the file. */
static void
assert_absent(const struct gen *g, const uint8_t *sec, size_t len,
    const char *what)
{
	size_t	i, w = len < 16 ? len : 16;

	ck_assert_uint_gt(len, 0);
	for (i = 0; i + w <= len; i++)
		ck_assert_msg(!tl_contains(g->file, g->len, sec + i, w),
		    "%s bytes %zu..%zu appear in the sealed file", what, i,
		    i + w - 1);
}

START_TEST(test_generate)
{
	const struct gen	*g = gen_ok(_i);
	struct kr_sealed_header	 ph;
	struct kr_spki_info	 info;
	enum kr_key_alg		 alg;
	struct kr_err		 err;

	ck_assert_uint_le(g->len, KR_SEALED_FILE_MAX);
	ck_assert_int_eq(g->h.version, 1);
	ck_assert_int_eq(kr_spki_parse(g->h.spki, g->h.spki_len, &info, &err),
	    KR_OK);
	ck_assert_int_eq(kr_spki_key_alg(&info, &alg), KR_OK);
	ck_assert_int_eq(alg, algs[_i]);
	ck_assert_int_eq(kr_sealed_parse_header(g->file, g->len, LABEL, &ph,
	    &err), KR_OK);
	ck_assert_int_eq(ph.version, 1);
	ck_assert_mem_eq(ph.key_id, g->h.key_id, KR_KEY_ID_BYTES);
	ck_assert_str_eq(ph.name, g->h.name);
	ck_assert_int_eq(ph.alg, g->h.alg);
	ck_assert_int_eq(ph.purpose, g->h.purpose);
	ck_assert_uint_eq(ph.spki_len, g->h.spki_len);
	ck_assert_mem_eq(ph.spki, g->h.spki, ph.spki_len);
	ck_assert_mem_eq(ph.set_id, g->h.set_id, KR_SET_ID_BYTES);
	ck_assert_uint_eq(ph.epoch, 3);
	ck_assert_uint_eq(ph.m, 2);
	ck_assert_uint_eq(ph.n, 3);
	ck_assert_mem_eq(ph.dealer_pk, g->h.dealer_pk, KR_DEALER_PK_BYTES);
	ck_assert_int_eq(ph.created, 1795000000);
	ck_assert_mem_eq(g->file, "KRSEALED\x00\x01", 10);
}
END_TEST

/* Signs, then checks: verifies, a flipped signature fails, digest path. */
static void
sign_one(struct kr_signer *s, enum kr_sig_alg sa)
{
	uint8_t		sig2[KR_SIG_MAX_BYTES];
	uint8_t		md[KR_HASH_MAX_BYTES];
	size_t		siglen2 = 0, mdlen;
	struct kr_err	err;
	int		ret;

	tl_sign_check(s, sa, msg, sizeof(msg));
	if (kr_sig_alg_hash(sa) == 0)
		return;
	mdlen = kr_hash_len(kr_sig_alg_hash(sa));
	ck_assert_int_eq(kr_hash(kr_sig_alg_hash(sa), msg, sizeof(msg), md),
	    KR_OK);
	/* a signature over the digest is one over the message */
	ret = kr_signer_sign_digest(s, sa, md, mdlen, sig2, &siglen2, &err);
	ck_assert_msg(ret == KR_OK, "%s: %s", kr_sig_alg_name(sa), err.msg);
	ck_assert_int_eq(kr_sig_verify(sa, s->spki, s->spki_len, msg,
	    sizeof(msg), sig2, siglen2, 0, &err), KR_OK);
	ck_assert_int_eq(kr_signer_sign_digest(s, sa, md, mdlen - 1, sig2,
	    &siglen2, &err), KR_EINPUT);
}

START_TEST(test_sign_verify)
{
	struct kr_signer	*s = open_key(_i);
	uint8_t			 sig[KR_SIG_MAX_BYTES];
	size_t			 siglen;
	struct kr_err		 err;
	int			 sa, nfit = 0;

	ck_assert_str_eq(s->ops->backend, "sealed");
	ck_assert_str_eq(s->name, gens[_i].h.name);
	ck_assert_int_eq(s->alg, algs[_i]);
	ck_assert_mem_eq(s->spki, gens[_i].h.spki, gens[_i].h.spki_len);
	for (sa = KR_SIG_ECDSA_P256_SHA256; sa <= KR_SIG_ED25519; sa++) {
		if (kr_sig_alg_fits(sa, algs[_i])) {
			sign_one(s, sa);
			nfit++;
			continue;
		}
		kr_err_clear(&err);
		ck_assert_int_eq(kr_signer_sign(s, sa, msg, sizeof(msg), sig,
		    &siglen, &err), KR_EREFUSED);
		ck_assert_msg(strstr(err.msg, s->name) != NULL &&
		    strstr(err.msg, "cannot make") != NULL, "%s", err.msg);
	}
	ck_assert_int_eq(nfit, algs[_i] >= KR_KEY_RSA3072 ? 6 : 1);
	ck_assert_int_eq(kr_signer_sign(s, 0, msg, sizeof(msg), sig, &siglen,
	    &err), KR_EREFUSED);
	ck_assert_int_eq(kr_signer_sign(s, 99, msg, sizeof(msg), sig, &siglen,
	    &err), KR_EREFUSED);
	kr_signer_free(&s);
	ck_assert_ptr_null(s);
	kr_signer_free(&s);
	kr_signer_free(NULL);
}
END_TEST

/* ECDSA is RFC 6979 deterministic, Ed25519 and PKCS#1 v1.5 too; PSS not. */
START_TEST(test_determinism)
{
	struct kr_signer	*s = open_key(_i);
	enum kr_sig_alg		 sa;
	uint8_t			 a[KR_SIG_MAX_BYTES], b[KR_SIG_MAX_BYTES];
	size_t			 alen, blen;
	struct kr_err		 err;

	sa = kr_sig_alg_default(algs[_i]);
	ck_assert_int_eq(kr_signer_sign(s, sa, msg, sizeof(msg), a, &alen,
	    &err), KR_OK);
	ck_assert_int_eq(kr_signer_sign(s, sa, msg, sizeof(msg), b, &blen,
	    &err), KR_OK);
	ck_assert_uint_eq(alen, blen);
	ck_assert_mem_eq(a, b, alen);
	if (algs[_i] == KR_KEY_RSA3072) {
		sa = KR_SIG_RSA_PSS_SHA256;
		ck_assert_int_eq(kr_signer_sign(s, sa, msg, sizeof(msg), a,
		    &alen, &err), KR_OK);
		ck_assert_int_eq(kr_signer_sign(s, sa, msg, sizeof(msg), b,
		    &blen, &err), KR_OK);
		ck_assert_uint_eq(alen, 384);
		ck_assert_mem_ne(a, b, alen);
	}
	kr_signer_free(&s);
}
END_TEST

START_TEST(test_wrong_secret)
{
	const struct gen	*g = gen_ok(_i);
	struct kr_signer	*s = NULL;
	uint8_t			 bad[KR_QUORUM_SECRET_BYTES];
	struct kr_err		 err;
	int			 k;

	for (k = 0; k < 2; k++) {
		memcpy(bad, qsecret, sizeof(bad));
		if (k == 0)
			bad[(7 * _i) % sizeof(bad)] ^= 0x01;
		else
			kr_random(bad, sizeof(bad));
		kr_err_clear(&err);
		ck_assert_int_eq(kr_sealed_open(g->file, g->len, LABEL, bad,
		    &s, &err), KR_EVERIFY);
		ck_assert_ptr_null(s);
		ck_assert_msg(strstr(err.msg, "sealed key file " LABEL
		    " could not be opened with this quorum secret") != NULL,
		    "%s", err.msg);
	}
}
END_TEST

/*
 * quorum reshare --new-secret: the same private key under a new secret,
 * its header naming the new set; the old secret cannot open the new file.
 */
START_TEST(test_rewrap)
{
	const struct gen	*g = gen_ok(_i);
	struct kr_rewrap_set	 set;
	struct kr_sealed_header	 h;
	struct kr_signer	*s = NULL;
	uint8_t			 fresh[KR_QUORUM_SECRET_BYTES], *f = NULL;
	size_t			 flen = 0;
	struct kr_err		 err;

	memset(&set, 0, sizeof(set));
	memset(set.set_id, 0x5e, sizeof(set.set_id));
	set.epoch = 4;
	set.m = 2;
	set.n = 3;
	memset(set.dealer_pk, 0xd4, sizeof(set.dealer_pk));
	kr_random(fresh, sizeof(fresh));
	kr_err_clear(&err);
	ck_assert_int_eq(kr_sealed_rewrap(g->file, g->len, LABEL, fresh, &set,
	    fresh, &f, &flen, &err), KR_EVERIFY);	/* wrong old secret */
	ck_assert_ptr_null(f);
	ck_assert_int_eq(kr_sealed_rewrap(g->file, g->len, LABEL, qsecret,
	    &set, fresh, &f, &flen, &err), KR_OK);
	ck_assert_int_eq(kr_sealed_parse_header(f, flen, LABEL, &h, &err),
	    KR_OK);
	ck_assert_mem_eq(h.set_id, set.set_id, sizeof(h.set_id));
	ck_assert_uint_eq(h.epoch, 4);
	ck_assert_uint_eq(h.m, 2);
	ck_assert_uint_eq(h.n, 3);
	ck_assert_mem_eq(h.key_id, g->h.key_id, sizeof(h.key_id));
	ck_assert_mem_eq(h.spki, g->h.spki, g->h.spki_len);
	ck_assert_int_eq(kr_sealed_open(f, flen, LABEL, qsecret, &s, &err),
	    KR_EVERIFY);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(kr_sealed_open(f, flen, LABEL, fresh, &s, &err),
	    KR_OK);
	kr_signer_free(&s);
	free(f);
}
END_TEST

/* Open with one byte changed: refused by the parser or by the AEAD tag. */
static void
flip_check(uint8_t *buf, size_t len, size_t pos, uint8_t mask)
{
	struct kr_sealed_header	 h;
	struct kr_signer	*s = NULL;
	struct kr_err		 err;
	int			 pret, oret;

	buf[pos] ^= mask;
	pret = kr_sealed_parse_header(buf, len, LABEL, &h, &err);
	kr_err_clear(&err);
	oret = kr_sealed_open(buf, len, LABEL, qsecret, &s, &err);
	ck_assert_msg(oret != KR_OK, "byte %zu ^ 0x%02x was not detected",
	    pos, mask);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(oret, pret == KR_OK ? KR_EVERIFY : pret);
	ck_assert_int_eq(oret == KR_EVERIFY || oret == KR_EINPUT, 1);
	ck_assert_msg(strstr(err.msg, LABEL) != NULL, "byte %zu: %s", pos,
	    err.msg);
	buf[pos] ^= mask;
}

START_TEST(test_every_byte_flipped)
{
	const struct gen	*g = gen_ok(_i);
	struct kr_signer	*s = NULL;
	struct kr_err		 err;
	uint8_t			*buf;
	size_t			 pos;

	ck_assert_ptr_nonnull(buf = malloc(g->len));
	memcpy(buf, g->file, g->len);
	for (pos = 0; pos < g->len; pos++) {
		flip_check(buf, g->len, pos, 0x01);
		flip_check(buf, g->len, pos, 0xff);
	}
	ck_assert_int_eq(kr_sealed_open(buf, g->len, LABEL, qsecret, &s,
	    &err), KR_OK);
	kr_signer_free(&s);
	free(buf);
}
END_TEST

START_TEST(test_truncated_and_trailing)
{
	const struct gen	*g = gen_ok(_i);
	struct kr_sealed_header	 h;
	struct kr_signer	*s = NULL;
	struct kr_err		 err;
	uint8_t			*buf;
	size_t			 n;

	for (n = 0; n < g->len; n++) {
		ck_assert_int_eq(kr_sealed_parse_header(g->file, n, LABEL, &h,
		    &err), KR_EINPUT);
		ck_assert_int_eq(kr_sealed_open(g->file, n, LABEL, qsecret,
		    &s, &err), KR_EINPUT);
		ck_assert_ptr_null(s);
	}
	ck_assert_ptr_nonnull(buf = calloc(1, KR_SEALED_FILE_MAX + 1));
	memcpy(buf, g->file, g->len);
	ck_assert_int_eq(kr_sealed_parse_header(buf, g->len + 1, LABEL, &h,
	    &err), KR_EINPUT);
	ck_assert_msg(strstr(err.msg, "1 unexpected bytes after") != NULL,
	    "%s", err.msg);
	ck_assert_int_eq(kr_sealed_parse_header(buf, KR_SEALED_FILE_MAX + 1,
	    LABEL, &h, &err), KR_EINPUT);
	ck_assert_msg(strstr(err.msg, "at most 16384") != NULL, "%s", err.msg);
	free(buf);
}
END_TEST

/* The RSA private numbers, big-endian, for the leak search. */
static void
assert_rsa_absent(const struct gen *g, const uint8_t *der, size_t len)
{
	mbedtls_pk_context	pk;
	mbedtls_mpi		v[3];
	uint8_t			out[KR_SPKI_MAX_BYTES], num[512];
	size_t			i;
	int			n;

	mbedtls_pk_init(&pk);
	for (i = 0; i < 3; i++)
		mbedtls_mpi_init(&v[i]);
	ck_assert_int_eq(mbedtls_pk_parse_key(&pk, der, len, NULL, 0), 0);
	n = mbedtls_pk_write_pubkey_der(&pk, out, sizeof(out));
	ck_assert_int_eq(n, g->h.spki_len);
	ck_assert_mem_eq(out + sizeof(out) - n, g->h.spki, n);
	ck_assert_int_eq(mbedtls_rsa_export(mbedtls_pk_rsa(pk), NULL, &v[0],
	    &v[1], &v[2], NULL), 0);
	for (i = 0; i < 3; i++) {
		n = (int)mbedtls_mpi_size(&v[i]);
		ck_assert_int_eq(mbedtls_mpi_write_binary(&v[i], num, n), 0);
		assert_absent(g, num, n, i == 0 ? "p" : i == 1 ? "q" : "d");
		mbedtls_mpi_free(&v[i]);
	}
	sodium_memzero(num, sizeof(num));
	mbedtls_pk_free(&pk);
}

START_TEST(test_no_secret_in_file)
{
	const struct gen	*g = gen_ok(_i);
	struct kr_signer	*s = open_key(_i);
	uint8_t			 priv[KR_PRIV_MAX_BYTES];
	uint8_t			 wk[KR_AEAD_KEY_BYTES];
	uint8_t			 pk[32], sk[64];
	size_t			 plen = 0;

	ck_assert_int_eq(kr_sealed_private_bytes(s, priv, sizeof(priv),
	    &plen), KR_OK);
	ck_assert_int_eq(kr_sealed_private_bytes(s, priv, plen - 1, &plen),
	    KR_EINPUT);
	ck_assert(!tl_contains(g->file, g->len, priv, plen));
	assert_absent(g, qsecret, sizeof(qsecret), "the quorum secret");
	ck_assert_int_eq(kr_wrap_key_derive(qsecret, g->h.key_id, wk), KR_OK);
	assert_absent(g, wk, sizeof(wk), "the wrap key");
	if (algs[_i] == KR_KEY_P256 || algs[_i] == KR_KEY_P384) {
		ck_assert_uint_eq(plen, algs[_i] == KR_KEY_P256 ? 32 : 48);
		assert_absent(g, priv, plen, "the EC scalar");
	} else if (algs[_i] == KR_KEY_ED25519) {
		ck_assert_uint_eq(plen, 32);
		assert_absent(g, priv, plen, "the Ed25519 seed");
		crypto_sign_seed_keypair(pk, sk, priv);
		ck_assert_mem_eq(g->h.spki + 12, pk, 32);
	} else
		assert_rsa_absent(g, priv, plen);
	sodium_memzero(priv, sizeof(priv));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(wk, sizeof(wk));
	kr_signer_free(&s);
}
END_TEST

/* RFC 5869 HKDF-SHA-256; computed with Python's hmac and `openssl kdf`. */
START_TEST(test_wrap_key_vector)
{
	static const uint8_t	expect[32] = {
		0xd1, 0x01, 0x71, 0x65, 0xad, 0x98, 0x26, 0x27,
		0x31, 0x0d, 0xd3, 0xe5, 0x76, 0x7f, 0xb1, 0x9a,
		0xef, 0x22, 0x71, 0x2f, 0xb1, 0xdc, 0x28, 0x56,
		0x2f, 0xcf, 0x4b, 0x81, 0xbe, 0xf0, 0x24, 0xb7,
	};
	uint8_t	qs[32], kid[16], wk[32], wk2[32];
	int	i;

	for (i = 0; i < 32; i++)
		qs[i] = (uint8_t)i;
	for (i = 0; i < 16; i++)
		kid[i] = (uint8_t)(0xa0 + i);
	ck_assert_int_eq(kr_wrap_key_derive(qs, kid, wk), KR_OK);
	ck_assert_mem_eq(wk, expect, 32);
	kid[15] ^= 1;
	ck_assert_int_eq(kr_wrap_key_derive(qs, kid, wk2), KR_OK);
	ck_assert_mem_ne(wk, wk2, 32);
	ck_assert_int_eq(kr_wrap_key_derive(NULL, kid, wk2), KR_EINPUT);
}
END_TEST

/* Offsets of the header fields of gens[i].file (format v1). */
struct offs {
	size_t	nlen, alg, purpose, spki_len, m, n, created;
};

static struct offs
offsets(const struct gen *g)
{
	struct offs	o;

	o.nlen = 8 + 2 + 16;
	o.alg = o.nlen + 1 + strlen(g->h.name);
	o.purpose = o.alg + 1;
	o.spki_len = o.purpose + 1;
	o.m = o.spki_len + 2 + g->h.spki_len + 16 + 4;
	o.n = o.m + 1;
	o.created = o.n + 1 + 32;
	return o;
}

static void
expect_parse_error(uint8_t *buf, size_t len, size_t pos, uint8_t val,
    const char *text)
{
	struct kr_sealed_header	h;
	struct kr_err		err;
	uint8_t			old = buf[pos];

	buf[pos] = val;
	kr_err_clear(&err);
	ck_assert_int_eq(kr_sealed_parse_header(buf, len, LABEL, &h, &err),
	    KR_EINPUT);
	ck_assert_msg(strstr(err.msg, text) != NULL && strstr(err.msg, LABEL)
	    != NULL, "byte %zu = %u: expected \"%s\", got: %s", pos, val, text,
	    err.msg);
	buf[pos] = old;
}

START_TEST(test_parse_errors)
{
	const struct gen	*g = gen_ok(0);
	struct offs		 o = offsets(g);
	uint8_t			*b;
	size_t			 n = g->len;

	ck_assert_ptr_nonnull(b = malloc(n));
	memcpy(b, g->file, n);
	ck_assert_uint_eq(b[o.alg], KR_KEY_P256);
	ck_assert_uint_eq(b[o.m], 2);
	expect_parse_error(b, n, 0, 'X', "is not a keyrite sealed key file");
	expect_parse_error(b, n, 9, 2, "format version 2");
	expect_parse_error(b, n, o.nlen, 0, "key name length 0");
	expect_parse_error(b, n, o.nlen, 65, "key name length 65");
	expect_parse_error(b, n, o.nlen + 1, '/', "key name has a character");
	expect_parse_error(b, n, o.nlen + 1, '-', "may not start with");
	expect_parse_error(b, n, o.alg, 0, "key algorithm 0");
	expect_parse_error(b, n, o.alg, 6, "key algorithm 6");
	expect_parse_error(b, n, o.alg, KR_KEY_P384, "names key algorithm "
	    "p384 but its public key is of another");
	expect_parse_error(b, n, o.alg, KR_KEY_RSA3072, "names key algorithm "
	    "rsa3072 but");
	expect_parse_error(b, n, o.purpose, 0, "key purpose 0");
	expect_parse_error(b, n, o.purpose, 6, "key purpose 6");
	expect_parse_error(b, n, o.spki_len, 0x10, "public key length");
	expect_parse_error(b, n, o.spki_len + 1, 0, "public key length 0");
	/* one byte of the point's x changed (a fixed 0x55 was already
	 * its value in 1 run of 256) */
	expect_parse_error(b, n, o.spki_len + 2 + 30,
	    (uint8_t)(b[o.spki_len + 2 + 30] ^ 0x55), "public key does not parse");
	expect_parse_error(b, n, o.m, 1, "quorum 1 of 3 is out of range");
	expect_parse_error(b, n, o.m, 4, "quorum 4 of 3 is out of range");
	expect_parse_error(b, n, o.n, 1, "quorum 2 of 1 is out of range");
	expect_parse_error(b, n, o.created, 0x80, "before 1970");
	expect_parse_error(b, n, n - 49, 47, "private key is 47 bytes, which "
	    "is out of range for a p256 key (48..48)");
	free(b);
}
END_TEST

/*
 * A file whose ciphertext holds another key of the same algorithm, sealed
 * correctly under this header, must be refused: the key does not match
 * the SPKI.  The same construction with the right key opens.
 */
static int
reseal(const struct gen *g, const uint8_t *priv, size_t plen,
    struct kr_err *err)
{
	struct kr_signer	*s = NULL;
	uint8_t			*b, wk[KR_AEAD_KEY_BYTES];
	size_t			 aad_len = g->len - plen - KR_AEAD_TAG_BYTES;
	int			 ret;

	ck_assert_ptr_nonnull(b = malloc(g->len));
	memcpy(b, g->file, aad_len);
	ck_assert_int_eq(kr_wrap_key_derive(qsecret, g->h.key_id, wk), KR_OK);
	ck_assert_int_eq(kr_aead_seal(b + aad_len, priv, plen, b, aad_len,
	    b + aad_len - 4 - KR_AEAD_NONCE_BYTES, wk), KR_OK);
	kr_err_clear(err);
	ret = kr_sealed_open(b, g->len, LABEL, qsecret, &s, err);
	ck_assert_int_eq(ret == KR_OK, s != NULL);
	kr_signer_free(&s);
	sodium_memzero(wk, sizeof(wk));
	free(b);
	return ret;
}

START_TEST(test_key_spki_mismatch)
{
	const struct gen	*g = gen_ok(0);
	struct kr_sealed_header	 h2;
	struct kr_signer	*s = open_key(0), *s2 = NULL;
	uint8_t			*f2 = NULL, priv[64];
	size_t			 f2len, plen;
	struct kr_err		 err;

	make_header(&h2, KR_KEY_P256);
	ck_assert_int_eq(kr_sealed_generate(&h2, qsecret, &f2, &f2len, &err),
	    KR_OK);
	ck_assert_int_eq(kr_sealed_open(f2, f2len, "two", qsecret, &s2, &err),
	    KR_OK);
	ck_assert_int_eq(kr_sealed_private_bytes(s, priv, sizeof(priv),
	    &plen), KR_OK);
	ck_assert_int_eq(reseal(g, priv, plen, &err), KR_OK);
	ck_assert_int_eq(kr_sealed_private_bytes(s2, priv, sizeof(priv),
	    &plen), KR_OK);
	ck_assert_int_eq(reseal(g, priv, plen, &err), KR_EVERIFY);
	ck_assert_msg(strstr(err.msg, "does not match the public key") !=
	    NULL, "%s", err.msg);
	sodium_memzero(priv, sizeof(priv));
	kr_signer_free(&s);
	kr_signer_free(&s2);
	free(f2);
}
END_TEST

START_TEST(test_purpose)
{
	struct kr_signer	*s = open_key(0), *e = open_key(2);
	struct kr_err		 err;

	ck_assert_int_eq(kr_signer_require_purpose(s, KR_PURPOSE_CA, &err),
	    KR_OK);
	ck_assert_int_eq(kr_signer_require_purpose(s, KR_PURPOSE_FIRMWARE,
	    &err), KR_EREFUSED);
	ck_assert_str_eq(err.msg, "key 'root-p256' has purpose ca; this "
	    "operation needs a firmware key");
	ck_assert_int_eq(kr_signer_require_purpose(e, KR_PURPOSE_FIRMWARE,
	    &err), KR_OK);
	ck_assert_int_eq(kr_signer_require_purpose(e, KR_PURPOSE_OCSP, &err),
	    KR_EREFUSED);
	ck_assert_str_eq(err.msg, "key 'root-ed25519' has purpose firmware; "
	    "this operation needs an ocsp key");
	ck_assert_int_eq(kr_signer_require_purpose(NULL, KR_PURPOSE_CA, &err),
	    KR_EINTERNAL);
	kr_signer_free(&s);
	kr_signer_free(&e);
}
END_TEST

START_TEST(test_purpose_names)
{
	static const char	*names[] = {
		"ca", "firmware", "crl", "ocsp", "audit",
	};
	enum kr_purpose		 p;
	int			 i;

	for (i = 0; i < 5; i++) {
		ck_assert_str_eq(kr_purpose_name(KR_PURPOSE_CA + i), names[i]);
		ck_assert_int_eq(kr_purpose_from_name(names[i], &p), KR_OK);
		ck_assert_int_eq(p, KR_PURPOSE_CA + i);
	}
	ck_assert_str_eq(kr_purpose_name(0), "unknown");
	ck_assert_str_eq(kr_purpose_name(6), "unknown");
	ck_assert_int_eq(kr_purpose_from_name("CA", &p), KR_EINPUT);
	ck_assert_int_eq(kr_purpose_from_name("", &p), KR_EINPUT);
	ck_assert_int_eq(kr_purpose_from_name("signing", &p), KR_EINPUT);
	ck_assert_int_eq(kr_purpose_from_name(NULL, &p), KR_EINPUT);
}
END_TEST

START_TEST(test_key_names)
{
	static const char	*good[] = {
		"root-2026", "a", "A.b_c-d", "0", "x.", "_lead",
	};
	static const char	*bad[] = {
		"", ".hidden", "-opt", "a b", "a/b", "key\n", "caf\xc3\xa9",
		"a:b",
	};
	char			 longest[KR_KEY_NAME_MAX + 2];
	struct kr_err		 err;
	size_t			 i;

	memset(longest, 'k', sizeof(longest));
	longest[KR_KEY_NAME_MAX] = '\0';
	ck_assert_int_eq(kr_key_name_check(longest, &err), KR_OK);
	longest[KR_KEY_NAME_MAX] = 'k';
	longest[KR_KEY_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(kr_key_name_check(longest, &err), KR_EINPUT);
	ck_assert_msg(strstr(err.msg, "longer than 64") != NULL, "%s",
	    err.msg);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(kr_key_name_check(good[i], &err) == KR_OK,
		    "'%s': %s", good[i], err.msg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kr_err_clear(&err);
		ck_assert_msg(kr_key_name_check(bad[i], &err) == KR_EINPUT,
		    "'%s' accepted", bad[i]);
		ck_assert_msg(err.msg[0] != '\0', "no message for '%s'",
		    bad[i]);
	}
	ck_assert_int_eq(kr_key_name_check(NULL, &err), KR_EINPUT);
}
END_TEST

START_TEST(test_generate_refuses)
{
	struct kr_sealed_header	 h;
	uint8_t			*f = NULL;
	size_t			 flen = 0;
	struct kr_err		 err;

	make_header(&h, KR_KEY_P256);
	strcpy(h.name, "-bad");
	ck_assert_int_eq(kr_sealed_generate(&h, qsecret, &f, &flen, &err),
	    KR_EINPUT);
	make_header(&h, 9);
	ck_assert_int_eq(kr_sealed_generate(&h, qsecret, &f, &flen, &err),
	    KR_EINPUT);
	make_header(&h, KR_KEY_P256);
	h.purpose = 0;
	ck_assert_int_eq(kr_sealed_generate(&h, qsecret, &f, &flen, &err),
	    KR_EINPUT);
	make_header(&h, KR_KEY_P256);
	h.m = 4;
	ck_assert_int_eq(kr_sealed_generate(&h, qsecret, &f, &flen, &err),
	    KR_EINPUT);
	ck_assert_msg(strstr(err.msg, "quorum 4 of 3") != NULL, "%s", err.msg);
	ck_assert_ptr_null(f);
	ck_assert_uint_eq(flen, 0);
}
END_TEST

/* openssl verifies a signature; a changed message must fail. */
#define openssl_check(s, sa, opts) \
	tl_openssl_check((s), (sa), (opts), msg, sizeof(msg))

START_TEST(test_openssl_verifies)
{
	struct kr_signer	*s = open_key(_i);

	if (!tl_have("openssl version")) {
		fprintf(stderr, "SKIP: openssl not found: signatures were not "
		    "checked by an independent tool\n");
		kr_signer_free(&s);
		return;
	}
	ck_assert_ptr_nonnull(tl_work_begin("keystore"));
	if (algs[_i] == KR_KEY_P256)
		openssl_check(s, KR_SIG_ECDSA_P256_SHA256, "-sha256");
	else if (algs[_i] == KR_KEY_P384)
		openssl_check(s, KR_SIG_ECDSA_P384_SHA384, "-sha384");
	else if (algs[_i] == KR_KEY_ED25519)
		openssl_check(s, KR_SIG_ED25519, "");
	else {
		openssl_check(s, KR_SIG_RSA_PKCS1_SHA256, "-sha256");
		openssl_check(s, KR_SIG_RSA_PKCS1_SHA512, "-sha512");
		openssl_check(s, KR_SIG_RSA_PSS_SHA256,
		    "-sha256 " TL_PSS "32");
		openssl_check(s, KR_SIG_RSA_PSS_SHA384,
		    "-sha384 " TL_PSS "48");
	}
	tl_work_end();
	kr_signer_free(&s);
}
END_TEST

/* A signer of a public half only: checks pass, signing is refused. */
START_TEST(test_signer_public)
{
	struct kr_signer	pub;
	struct kr_err		e;
	uint8_t			spki[44] = { 0x30 }, id[KR_KEY_ID_BYTES] = { 1 };
	uint8_t			sig[KR_SIG_MAX_BYTES];
	size_t			siglen = sizeof(sig);

	kr_signer_public(&pub, "fw", id, KR_KEY_ED25519, KR_PURPOSE_FIRMWARE,
	    spki, sizeof(spki));
	ck_assert_str_eq(pub.name, "fw");
	ck_assert_ptr_eq(pub.spki, spki);
	ck_assert_int_eq(kr_signer_require_purpose(&pub, KR_PURPOSE_FIRMWARE,
	    &e), KR_OK);
	ck_assert_int_eq(kr_signer_sign(&pub, KR_SIG_ED25519,
	    (const uint8_t *)"m", 1, sig, &siglen, &e), KR_EINTERNAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "no usable signer"));
}
END_TEST

static Suite *
keystore_suite(void)
{
	Suite	*su = suite_create("keystore");
	TCase	*tc = tcase_create("sealed");

	tcase_add_loop_test(tc, test_generate, 0, NALGS);
	tcase_add_loop_test(tc, test_sign_verify, 0, NALGS);
	tcase_add_loop_test(tc, test_determinism, 0, NALGS);
	tcase_add_loop_test(tc, test_wrong_secret, 0, NALGS);
	tcase_add_loop_test(tc, test_rewrap, 0, NALGS);
	tcase_add_loop_test(tc, test_every_byte_flipped, 0, NALGS);
	tcase_add_loop_test(tc, test_truncated_and_trailing, 0, NALGS);
	tcase_add_loop_test(tc, test_no_secret_in_file, 0, NALGS);
	tcase_add_loop_test(tc, test_openssl_verifies, 0, NALGS);
	tcase_add_test(tc, test_wrap_key_vector);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_key_spki_mismatch);
	tcase_add_test(tc, test_signer_public);
	tcase_add_test(tc, test_generate_refuses);
	suite_add_tcase(su, tc);
	tc = tcase_create("signer");
	tcase_add_test(tc, test_purpose);
	tcase_add_test(tc, test_purpose_names);
	tcase_add_test(tc, test_key_names);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	struct kr_err	 err;
	int		 ret, i;

	if (kr_crypto_init(&err) != KR_OK) {
		fprintf(stderr, "crypto init: %s\n", err.msg);
		return EXIT_FAILURE;
	}
	kr_random(qsecret, sizeof(qsecret));
	generate_all();
	ret = tl_run(keystore_suite(), NULL);
	for (i = 0; i < NALGS; i++)
		free(gens[i].file);
	sodium_memzero(qsecret, sizeof(qsecret));
	return ret;
}
