/*
 * Power-on self-tests: one known-answer test for every primitive keyrite
 * uses, run by kr_crypto_init() before anything else.  A wrong answer
 * means a broken library build or faulty hardware, and keyrite stops.
 *
 * Each test compares against a published vector; the verification tests
 * also check that the signature with one bit flipped is refused.  A test
 * named in `sabotage` gets a corrupted expected value, so the unit tests
 * can prove every test is able to fail.
 */
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/hkdf.h>
#include <sodium.h>

#include "crypto_int.h"

#define KR_KAT_MAX	512

struct kr_selftest {
	const char	*name;
	bool		(*run)(bool);
};

/* Decodes a hex vector into `out`; sabotage flips one bit of it. */
static bool
kr_kat_load(uint8_t *out, size_t len, const char *hex, bool sabotage)
{
	if (len > KR_KAT_MAX || strlen(hex) != 2 * len ||
	    kr_hex_decode(out, len, hex) != KR_OK)
		return false;
	if (sabotage)
		out[len / 2] ^= 0x04;
	return true;
}

static bool
kr_kat_equal(const uint8_t *got, const char *hex, size_t len, bool sabotage)
{
	uint8_t	want[KR_KAT_MAX];

	return kr_kat_load(want, len, hex, sabotage) &&
	    memcmp(got, want, len) == 0;
}

/* FIPS 180-4 examples (NIST CSRC): the message "abc". */
static const char kr_sha256_abc[] =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char kr_sha384_abc[] =
    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
    "8086072ba1e7cc2358baeca134c825a7";
static const char kr_sha512_abc[] =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
/* RFC 7693 appendix A: BLAKE2b-512("abc"). */
static const char kr_blake2b_abc[] =
    "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
    "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923";

static bool
kr_kat_hash(enum kr_hash_alg alg, const char *want, bool sabotage)
{
	uint8_t	md[KR_HASH_MAX_BYTES];

	if (kr_hash(alg, "abc", 3, md) != KR_OK)
		return false;
	return kr_kat_equal(md, want, kr_hash_len(alg), sabotage);
}

static bool
kr_kat_sha256(bool sabotage)
{
	return kr_kat_hash(KR_HASH_SHA256, kr_sha256_abc, sabotage);
}

/*
 * FIPS 180-2 appendix B.3: SHA-256 of one million 'a' (in 1000-byte
 * pieces), which runs the whole-block path, with the SHA extensions where
 * the CPU has them.
 */
static bool
kr_kat_sha256_long(bool sabotage)
{
	struct kr_hash	h;
	uint8_t		block[1000], md[32];
	int		i;

	memset(block, 'a', sizeof(block));
	if (kr_hash_init(&h, KR_HASH_SHA256) != KR_OK)
		return false;
	for (i = 0; i < 1000; i++)
		kr_hash_update(&h, block, sizeof(block));
	kr_hash_final(&h, md);
	return kr_kat_equal(md, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a49"
	    "7200e046d39ccc7112cd0", sizeof(md), sabotage);
}

static bool
kr_kat_sha384(bool sabotage)
{
	return kr_kat_hash(KR_HASH_SHA384, kr_sha384_abc, sabotage);
}

static bool
kr_kat_sha512(bool sabotage)
{
	return kr_kat_hash(KR_HASH_SHA512, kr_sha512_abc, sabotage);
}

static bool
kr_kat_blake2b(bool sabotage)
{
	return kr_kat_hash(KR_HASH_BLAKE2B512, kr_blake2b_abc, sabotage);
}

/* RFC 5869 appendix A.1 (test case 1). */
static const char kr_hkdf_ikm[] =
    "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
static const char kr_hkdf_salt[] = "000102030405060708090a0b0c";
static const char kr_hkdf_info[] = "f0f1f2f3f4f5f6f7f8f9";
static const char kr_hkdf_prk[] =
    "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5";
static const char kr_hkdf_okm[] =
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
    "34007208d5b887185865";

/* HKDF-Extract is HMAC-SHA-256(salt, IKM): this checks the HMAC. */
static bool
kr_kat_hmac(bool sabotage)
{
	uint8_t	ikm[22], salt[13], prk[32];
	bool	ok;

	ok = kr_kat_load(ikm, sizeof(ikm), kr_hkdf_ikm, false) &&
	    kr_kat_load(salt, sizeof(salt), kr_hkdf_salt, false) &&
	    mbedtls_hkdf_extract(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
	    salt, sizeof(salt), ikm, sizeof(ikm), prk) == 0 &&
	    kr_kat_equal(prk, kr_hkdf_prk, sizeof(prk), sabotage);
	sodium_memzero(prk, sizeof(prk));
	return ok;
}

static bool
kr_kat_hkdf(bool sabotage)
{
	uint8_t	ikm[22], salt[13], info[10], okm[42];
	bool	ok;

	ok = kr_kat_load(ikm, sizeof(ikm), kr_hkdf_ikm, false) &&
	    kr_kat_load(salt, sizeof(salt), kr_hkdf_salt, false) &&
	    kr_kat_load(info, sizeof(info), kr_hkdf_info, false) &&
	    kr_hkdf_sha256(okm, sizeof(okm), ikm, sizeof(ikm), salt,
	    sizeof(salt), info, sizeof(info)) == KR_OK &&
	    kr_kat_equal(okm, kr_hkdf_okm, sizeof(okm), sabotage);
	sodium_memzero(okm, sizeof(okm));
	return ok;
}

/* draft-irtf-cfrg-xchacha-03 appendix A.3.1. */
static const char kr_xc_pt[] = "Ladies and Gentlemen of the class of '99: "
    "If I could offer you only one tip for the future, sunscreen would be "
    "it.";
static const char kr_xc_ad[] = "50515253c0c1c2c3c4c5c6c7";
static const char kr_xc_key[] =
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
static const char kr_xc_nonce[] =
    "404142434445464748494a4b4c4d4e4f5051525354555657";
static const char kr_xc_ct[] =
    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
    "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
    "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
    "21f9664c97637da9768812f615c68b13b52e"
    "c0875924c1c7987947deafd8780acf49";		/* the tag */

#define KR_XC_PT_BYTES	(sizeof(kr_xc_pt) - 1)
#define KR_XC_CT_BYTES	(KR_XC_PT_BYTES + KR_AEAD_TAG_BYTES)

static bool
kr_kat_xchacha(bool sabotage)
{
	uint8_t	key[32], nonce[24], ad[12], ct[KR_XC_CT_BYTES];
	uint8_t	pt[KR_XC_PT_BYTES];
	bool	ok;

	ok = kr_kat_load(key, sizeof(key), kr_xc_key, false) &&
	    kr_kat_load(nonce, sizeof(nonce), kr_xc_nonce, false) &&
	    kr_kat_load(ad, sizeof(ad), kr_xc_ad, false) &&
	    kr_aead_seal(ct, (const uint8_t *)kr_xc_pt, KR_XC_PT_BYTES, ad,
	    sizeof(ad), nonce, key) == KR_OK &&
	    kr_kat_equal(ct, kr_xc_ct, sizeof(ct), sabotage) &&
	    kr_aead_open(pt, ct, sizeof(ct), ad, sizeof(ad), nonce, key) ==
	    KR_OK && memcmp(pt, kr_xc_pt, sizeof(pt)) == 0;
	if (ok) {
		ct[sizeof(ct) - 1] ^= 0x01;	/* a tampered tag */
		ok = kr_aead_open(pt, ct, sizeof(ct), ad, sizeof(ad), nonce,
		    key) == KR_EVERIFY;
	}
	sodium_memzero(key, sizeof(key));
	sodium_memzero(pt, sizeof(pt));
	return ok;
}

/*
 * Argon2id v1.3, t = 2, m = 64 KiB, p = 1, 32 bytes, from the reference
 * implementation's CLI (Debian package argon2 0~20171227-0.3+deb12u1):
 *   echo -n password | argon2 somesaltsomesalt -id -t 2 -k 64 -p 1 -l 32 -r
 */
static const char kr_argon2id_out[] =
    "1a98fba8e6394425c9bdc333a9c750aaf811df070f5fb4a5788e1cf4db5793a1";

static bool
kr_kat_argon2id(bool sabotage)
{
	struct kr_kdf_params	p = { .opslimit = 2, .mem_kib = 64 };
	uint8_t			out[32];
	bool			ok;

	ok = kr_kdf_argon2id(out, sizeof(out), "password", 8,
	    (const uint8_t *)"somesaltsomesalt", &p, NULL) == KR_OK &&
	    kr_kat_equal(out, kr_argon2id_out, sizeof(out), sabotage);
	sodium_memzero(out, sizeof(out));
	return ok;
}

/* Verifies sig (sabotaged or not), then refuses it with one bit flipped. */
static bool
kr_kat_verify(enum kr_sig_alg alg, const uint8_t *spki, size_t spkilen,
    const void *msg, size_t msglen, const char *sighex, size_t siglen,
    unsigned flags, bool sabotage)
{
	uint8_t	sig[KR_KAT_MAX];

	if (!kr_kat_load(sig, siglen, sighex, sabotage))
		return false;
	if (kr_sig_verify(alg, spki, spkilen, msg, msglen, sig, siglen, flags,
	    NULL) != KR_OK)
		return false;
	sig[siglen / 3] ^= 0x10;
	return kr_sig_verify(alg, spki, spkilen, msg, msglen, sig, siglen,
	    flags, NULL) == KR_EVERIFY;
}

/* RFC 8032 section 7.1, TEST 1 (empty message). */
static const char kr_ed_seed[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char kr_ed_pk[] =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char kr_ed_sig[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
/* RFC 8410 SubjectPublicKeyInfo prefix for an Ed25519 key. */
static const char kr_ed_spki_prefix[] = "302a300506032b6570032100";

static bool
kr_kat_ed25519(bool sabotage)
{
	uint8_t	seed[32], pk[32], sk[64], sig[64], spki[44];
	bool	ok;

	ok = kr_kat_load(seed, sizeof(seed), kr_ed_seed, false) &&
	    crypto_sign_seed_keypair(pk, sk, seed) == 0 &&
	    kr_kat_equal(pk, kr_ed_pk, sizeof(pk), false) &&
	    crypto_sign_detached(sig, NULL, (const uint8_t *)"", 0, sk) == 0 &&
	    kr_kat_equal(sig, kr_ed_sig, sizeof(sig), sabotage) &&
	    kr_kat_load(spki, 12, kr_ed_spki_prefix, false);
	if (ok) {
		memcpy(spki + 12, pk, sizeof(pk));
		ok = kr_kat_verify(KR_SIG_ED25519, spki, sizeof(spki), NULL, 0,
		    kr_ed_sig, 64, 0, sabotage);
	}
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	return ok;
}

/*
 * RFC 6979 appendix A.2.5 (P-256) and A.2.6 (P-384): the key pair and the
 * signature of "sample" with SHA-256 / SHA-384, as SPKI and r||s.
 */
static const char kr_p256_spki[] =
    "3059301306072a8648ce3d020106082a8648ce3d030107034200"
    "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
static const char kr_p256_d[] =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
static const char kr_p256_sig[] =
    "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
    "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";
static const char kr_p384_spki[] =
    "3076301006072a8648ce3d020106052b81040022036200"
    "04ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5286b300c64"
    "def8f0ea9055866064a254515480bc138015d9b72d7d57244ea8ef9ac0c62189"
    "6708a59367f9dfb9f54ca84b3f1c9db1288b231c3ae0d4fe7344fd2533264720";
static const char kr_p384_sig[] =
    "94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c"
    "81a648152e44acf96e36dd1e80fabe46"
    "99ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94f"
    "a329c145786e679e7b82c71a38628ac8";

/*
 * Both encodings: raw r||s, then the DER made from it, which must also be
 * refused with one bit flipped.
 */
static bool
kr_kat_ecdsa_verify(enum kr_sig_alg alg, const char *spkihex, size_t spkilen,
    const char *sighex, size_t siglen, bool sabotage)
{
	uint8_t	spki[120], raw[96], der[112];
	char	derhex[2 * sizeof(der) + 1];
	size_t	derlen = sizeof(der);

	if (!kr_kat_load(spki, spkilen, spkihex, false) ||
	    !kr_kat_load(raw, siglen, sighex, sabotage))
		return false;
	if (kr_sig_verify(alg, spki, spkilen, (const uint8_t *)"sample", 6,
	    raw, siglen, KR_VERIFY_ECDSA_RAW, NULL) != KR_OK)
		return false;
	if (kr_ecdsa_raw_to_der(raw, siglen, der, &derlen) != KR_OK)
		return false;
	kr_hex_encode(derhex, der, derlen);
	return kr_kat_verify(alg, spki, spkilen, "sample", 6, derhex, derlen,
	    0, false);
}

static bool
kr_kat_p256_verify(bool sabotage)
{
	return kr_kat_ecdsa_verify(KR_SIG_ECDSA_P256_SHA256, kr_p256_spki, 91,
	    kr_p256_sig, 64, sabotage);
}

static bool
kr_kat_p384_verify(bool sabotage)
{
	return kr_kat_ecdsa_verify(KR_SIG_ECDSA_P384_SHA384, kr_p384_spki, 120,
	    kr_p384_sig, 96, sabotage);
}

/* RFC 6979 signing must reproduce the A.2.5 signature exactly. */
static bool
kr_kat_p256_sign(bool sabotage)
{
	mbedtls_ecp_group	grp;
	mbedtls_mpi		d, r, s;
	uint8_t			dbuf[32], md[32], sig[64];
	bool			ok;

	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	ok = kr_kat_load(dbuf, sizeof(dbuf), kr_p256_d, false) &&
	    mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
	    mbedtls_mpi_read_binary(&d, dbuf, sizeof(dbuf)) == 0 &&
	    kr_hash(KR_HASH_SHA256, "sample", 6, md) == KR_OK &&
	    mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &d, md, sizeof(md),
	    MBEDTLS_MD_SHA256, kr_mbedtls_rng, NULL) == 0 &&
	    mbedtls_mpi_write_binary(&r, sig, 32) == 0 &&
	    mbedtls_mpi_write_binary(&s, sig + 32, 32) == 0 &&
	    kr_kat_equal(sig, kr_p256_sig, sizeof(sig), sabotage);
	sodium_memzero(dbuf, sizeof(dbuf));
	mbedtls_mpi_free(&d);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_ecp_group_free(&grp);
	return ok;
}

/*
 * RSA: the 3072-bit key shared by the Wycheproof files
 * rsa_signature_3072_sha256_test.json and
 * rsa_pss_3072_sha256_mgf1_32_test.json (test/vectors/wycheproof/), and
 * the signatures of the message "Test" from each: PKCS#1 v1.5 tcId 3 and
 * PSS (SHA-256, MGF1-SHA-256, 32-byte salt) tcId 3.
 */
static const char kr_rsa_spki[] =
    "308201a2300d06092a864886f70d01010105000382018f003082018a02820181"
    "00c6fe23792566023c265287c5ac6f71541c0994d11d059ee6403986efa21c24"
    "b51bd91d8862f9df79a4e328e3e27c83df260b25a9b43420affc44b51e8d7525"
    "b6f29c372a405104732007527a62ed82fac73f4892a80e09682a41a58cd34701"
    "7f3be7d801334f92d9321aafd53b51bffabfc752cfccae0b1ee03bdaff9e428c"
    "c1c117f1ac96b4fe23f8c23e6381186a66fd59289339ae55c4bcdadbff84abda"
    "a532240d4e1d28b2d0481dadd3b246557ca8fe18092817730b39e6ee378ffcc8"
    "5b19ffdc916a9b991a6b66d4a9c7bab5f5e7a3722101142e7a4108c15d573b15"
    "289e07e46eaea07b42c2abcba330e99554b4656165bb4c0db2b6393a07eca575"
    "c51a93c4e15bdb0f747909447e3efe34c67ca8954b530e56a20a1b6d84d45ed1"
    "bcd3aa58ec06f184ee5857aaa819e1cca9a26f4e28d6b977d33916db9896d252"
    "d1afa762e287cb0d384cc75bfe53f4e922d02dd0a481c042e2d306b4b3c18937"
    "1e575b25e0005a164cf69dd0976e4d5be476806ea6be6084e71ab4f5ac5c1b12"
    "030203010001";
static const char kr_rsa_pkcs1_sig[] =
    "5819a699691c01a7f35f0bb1831a1cb65631ef693f7c9ef89f1e8460ee2ec312"
    "f6fd38fe382b3bf4db8f5d208146c32c5ed2d3b13105743767a73529bfddb575"
    "3c8cc13148d41db97f69ea1dee0ef1e1de990ff565f633bd3cfd315a7dafc70a"
    "a7f27d4f6486a2f1e2711e7919c5c73c518069338c0ac984d75f58b00fb0eee0"
    "f7da6c9c84d97955137417df8f20c02b7893b5cd929ba37f6b3278a1bd35748e"
    "14086c5f7100abf2edebeab5f767bb83d999a61cc27531bb67e44a92004fba99"
    "44b9c5f770bc66671d2efc74e01fbbd2885c5175a1fd72b91937c324b8d99d35"
    "92bfb73efb9641b87949266de441b61d180e141de510ae0cdefc2160df918c08"
    "c53799f050ca4eeb3a8b6b5ed35b8b59d3acd13a600a8a137eb1b8c1abbf55f3"
    "e99cf52d7092d1e3acc08583b04aa25a052668bc982abf060ffb17c1782daf76"
    "fbd69e7fc9510c5c6a68bd525719be5b81d0f2a8b961f1aeac7dc13aeeeef998"
    "6c7a47b34f8b96167d79f7ec458fef7345c1c31bba599d09b3fe33e738bc7da1";
static const char kr_rsa_pss_sig[] =
    "22915cfa1d7dd30f50b4c0e4cee42c5f0aa1b7a6644f8a11e611b2db042b122a"
    "f8211ffc1dc220b435d8919cf64d715b54ff8a762f702b365cbdab455509b97d"
    "9b310011467d4186647b957e2efa404aed3b84840529bdef7746348385a1c6a2"
    "ecdb88d1cc2b40b36c346386739c39d2815938e463a35348426f17d32d633b87"
    "3d6124d8b49a726743af7c0e56d63394155b63089c63ed8897f8af2a2260d334"
    "99afab11c911faa754ced5acdac2de571f39c2768716e4308244a99d1e65da70"
    "61d2feb8ec8b4e517bd5e19cac626698479ab2019257cf83ad7b641db2345b38"
    "006d63f84b41772b90037778389cc30ed6aba6af212d9326792af746d7bca921"
    "1fa344fdc2798a490aed3a2840620c2a85e3d9b9c38f2330072663e16dd26bc4"
    "14c7d68f6b11d2cd3e0387c1834c5e2262a9e2dc1bf7c0108b4e2052566c7a94"
    "1ef6b38c8687fd7abe6add2b745c2c2d680ae3e5646ce2e717ef9899c7f3fb1e"
    "3088e8c0587d86546f752771819595a7a3d422820ceaa12e3ee671a456dac673";

#define KR_RSA_SPKI_BYTES	422
#define KR_RSA_SIG_BYTES	384

static bool
kr_kat_rsa(enum kr_sig_alg alg, const char *sighex, bool sabotage)
{
	uint8_t	spki[KR_RSA_SPKI_BYTES];

	return kr_kat_load(spki, sizeof(spki), kr_rsa_spki, false) &&
	    kr_kat_verify(alg, spki, sizeof(spki), "Test", 4, sighex,
	    KR_RSA_SIG_BYTES, 0, sabotage);
}

static bool
kr_kat_rsa_pkcs1(bool sabotage)
{
	return kr_kat_rsa(KR_SIG_RSA_PKCS1_SHA256, kr_rsa_pkcs1_sig, sabotage);
}

static bool
kr_kat_rsa_pss(bool sabotage)
{
	return kr_kat_rsa(KR_SIG_RSA_PSS_SHA256, kr_rsa_pss_sig, sabotage);
}

static const struct kr_selftest kr_selftests[] = {
	{ "sha256-kat",			kr_kat_sha256 },
	{ "sha256-long-kat",		kr_kat_sha256_long },
	{ "sha384-kat",			kr_kat_sha384 },
	{ "sha512-kat",			kr_kat_sha512 },
	{ "blake2b512-kat",		kr_kat_blake2b },
	{ "hmac-sha256-kat",		kr_kat_hmac },
	{ "hkdf-sha256-kat",		kr_kat_hkdf },
	{ "xchacha20poly1305-kat",	kr_kat_xchacha },
	{ "argon2id-kat",		kr_kat_argon2id },
	{ "ed25519-kat",		kr_kat_ed25519 },
	{ "ecdsa-p256-verify-kat",	kr_kat_p256_verify },
	{ "ecdsa-p256-sign-kat",	kr_kat_p256_sign },
	{ "ecdsa-p384-verify-kat",	kr_kat_p384_verify },
	{ "rsa-pkcs1-verify-kat",	kr_kat_rsa_pkcs1 },
	{ "rsa-pss-verify-kat",		kr_kat_rsa_pss },
};

#define KR_NSELFTESTS	(sizeof(kr_selftests) / sizeof(kr_selftests[0]))

size_t
kr_selftest_count(void)
{
	return KR_NSELFTESTS;
}

const char *
kr_selftest_name(size_t i)
{
	if (i >= KR_NSELFTESTS)
		return NULL;
	return kr_selftests[i].name;
}

int
kr_selftest_run(const char *sabotage, struct kr_err *err)
{
	size_t	i;
	bool	found = sabotage == NULL;

	for (i = 0; i < KR_NSELFTESTS && !found; i++)
		found = strcmp(sabotage, kr_selftests[i].name) == 0;
	if (!found)
		return kr_err_set(err, KR_EINTERNAL, "self-test '%s' does not "
		    "exist", sabotage);
	for (i = 0; i < KR_NSELFTESTS; i++) {
		const struct kr_selftest *t = &kr_selftests[i];

		if (!t->run(sabotage != NULL && strcmp(sabotage, t->name) == 0))
			return kr_err_set(err, KR_ESELFTEST, "power-on "
			    "self-test '%s' failed: keyrite will not run on "
			    "this machine; the cryptographic libraries or the "
			    "hardware give wrong answers: reinstall keyrite "
			    "and its libraries from the release media, or use "
			    "another machine", t->name);
	}
	return KR_OK;
}

int
kr_crypto_init(struct kr_err *err)
{
	if (sodium_init() < 0)
		return kr_err_set(err, KR_ECRYPTO, "libsodium could not be "
		    "initialised (no usable random number source?): keyrite "
		    "will not run on this machine");
	return kr_selftest_run(NULL, err);
}
