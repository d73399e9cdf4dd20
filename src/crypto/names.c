/*
 * Names of hash, key and signature algorithms, and which fits which; and
 * the names of key purposes.
 *
 * Key algorithm and purpose names are what an operator types ("p256",
 * "ca"); signature
 * algorithm names follow the X.509 / RFC 4055 names an auditor will see in
 * `openssl x509 -text` where there is one.
 */
#include <string.h>

#include "crypto_int.h"

static const struct {
	enum kr_hash_alg	 alg;
	const char		*name;
	size_t			 len;
	mbedtls_md_type_t	 md;
} kr_hashes[] = {
	{ KR_HASH_SHA256,	"sha256",	32,	MBEDTLS_MD_SHA256 },
	{ KR_HASH_SHA384,	"sha384",	48,	MBEDTLS_MD_SHA384 },
	{ KR_HASH_SHA512,	"sha512",	64,	MBEDTLS_MD_SHA512 },
	{ KR_HASH_BLAKE2B512,	"blake2b512",	64,	MBEDTLS_MD_NONE },
};

static const struct {
	enum kr_key_alg	 alg;
	const char	*name;
	enum kr_sig_alg	 sig;	/* the default signature algorithm */
} kr_keys[] = {
	{ KR_KEY_P256,		"p256",		KR_SIG_ECDSA_P256_SHA256 },
	{ KR_KEY_P384,		"p384",		KR_SIG_ECDSA_P384_SHA384 },
	{ KR_KEY_ED25519,	"ed25519",	KR_SIG_ED25519 },
	{ KR_KEY_RSA3072,	"rsa3072",	KR_SIG_RSA_PKCS1_SHA256 },
	{ KR_KEY_RSA4096,	"rsa4096",	KR_SIG_RSA_PKCS1_SHA256 },
};

static const struct {
	enum kr_purpose	 purpose;
	const char	*name;
} kr_purposes[] = {
	{ KR_PURPOSE_CA,	"ca" },
	{ KR_PURPOSE_FIRMWARE,	"firmware" },
	{ KR_PURPOSE_CRL,	"crl" },
	{ KR_PURPOSE_OCSP,	"ocsp" },
	{ KR_PURPOSE_AUDIT,	"audit" },
};

/* Key families: which key algorithms a signature algorithm can use. */
#define KR_FAM_P256	0x01
#define KR_FAM_P384	0x02
#define KR_FAM_ED25519	0x04
#define KR_FAM_RSA	0x08

/* Signature algorithms: scheme, hash, the keys keyrite makes them with. */
static const struct {
	enum kr_sig_alg		 alg;
	const char		*name;
	enum kr_sig_scheme	 scheme;
	enum kr_hash_alg	 hash;
	unsigned		 fam;
} kr_sigs[] = {
	{ KR_SIG_ECDSA_P256_SHA256, "ecdsa-with-SHA256", KR_SCHEME_ECDSA,
	    KR_HASH_SHA256, KR_FAM_P256 },
	{ KR_SIG_ECDSA_P384_SHA384, "ecdsa-with-SHA384", KR_SCHEME_ECDSA,
	    KR_HASH_SHA384, KR_FAM_P384 },
	{ KR_SIG_RSA_PKCS1_SHA256, "sha256WithRSAEncryption",
	    KR_SCHEME_RSA_PKCS1, KR_HASH_SHA256, KR_FAM_RSA },
	{ KR_SIG_RSA_PKCS1_SHA384, "sha384WithRSAEncryption",
	    KR_SCHEME_RSA_PKCS1, KR_HASH_SHA384, KR_FAM_RSA },
	{ KR_SIG_RSA_PKCS1_SHA512, "sha512WithRSAEncryption",
	    KR_SCHEME_RSA_PKCS1, KR_HASH_SHA512, KR_FAM_RSA },
	{ KR_SIG_RSA_PSS_SHA256, "rsassa-pss-sha256", KR_SCHEME_RSA_PSS,
	    KR_HASH_SHA256, KR_FAM_RSA },
	{ KR_SIG_RSA_PSS_SHA384, "rsassa-pss-sha384", KR_SCHEME_RSA_PSS,
	    KR_HASH_SHA384, KR_FAM_RSA },
	{ KR_SIG_RSA_PSS_SHA512, "rsassa-pss-sha512", KR_SCHEME_RSA_PSS,
	    KR_HASH_SHA512, KR_FAM_RSA },
	{ KR_SIG_ED25519, "ed25519", KR_SCHEME_ED25519, 0, KR_FAM_ED25519 },
};

#define KR_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

size_t
kr_hash_len(enum kr_hash_alg alg)
{
	size_t	i;

	for (i = 0; i < KR_NITEMS(kr_hashes); i++)
		if (kr_hashes[i].alg == alg)
			return kr_hashes[i].len;
	return 0;
}

const char *
kr_hash_name(enum kr_hash_alg alg)
{
	size_t	i;

	for (i = 0; i < KR_NITEMS(kr_hashes); i++)
		if (kr_hashes[i].alg == alg)
			return kr_hashes[i].name;
	return "unknown-hash";
}

mbedtls_md_type_t
kr_hash_md_type(enum kr_hash_alg alg)
{
	size_t	i;

	for (i = 0; i < KR_NITEMS(kr_hashes); i++)
		if (kr_hashes[i].alg == alg)
			return kr_hashes[i].md;
	return MBEDTLS_MD_NONE;
}

const char *
kr_key_alg_name(enum kr_key_alg alg)
{
	size_t	i;

	for (i = 0; i < KR_NITEMS(kr_keys); i++)
		if (kr_keys[i].alg == alg)
			return kr_keys[i].name;
	return "unknown-key";
}

int
kr_key_alg_from_name(const char *name, enum kr_key_alg *alg)
{
	size_t	i;

	if (name == NULL)
		return KR_EINPUT;
	for (i = 0; i < KR_NITEMS(kr_keys); i++) {
		if (strcmp(kr_keys[i].name, name) == 0) {
			*alg = kr_keys[i].alg;
			return KR_OK;
		}
	}
	return KR_EINPUT;
}

const char *
kr_purpose_name(enum kr_purpose p)
{
	size_t	i;

	for (i = 0; i < KR_NITEMS(kr_purposes); i++)
		if (kr_purposes[i].purpose == p)
			return kr_purposes[i].name;
	return "unknown";
}

int
kr_purpose_from_name(const char *name, enum kr_purpose *out)
{
	size_t	i;

	if (name == NULL || out == NULL)
		return KR_EINPUT;
	for (i = 0; i < KR_NITEMS(kr_purposes); i++) {
		if (strcmp(kr_purposes[i].name, name) == 0) {
			*out = kr_purposes[i].purpose;
			return KR_OK;
		}
	}
	return KR_EINPUT;
}

enum kr_sig_alg
kr_sig_alg_default(enum kr_key_alg alg)
{
	size_t	i;

	for (i = 0; i < KR_NITEMS(kr_keys); i++)
		if (kr_keys[i].alg == alg)
			return kr_keys[i].sig;
	return 0;
}

const char *
kr_sig_alg_name(enum kr_sig_alg alg)
{
	size_t	i;

	for (i = 0; i < KR_NITEMS(kr_sigs); i++)
		if (kr_sigs[i].alg == alg)
			return kr_sigs[i].name;
	return "unknown-signature";
}

enum kr_sig_scheme
kr_sig_alg_scheme(enum kr_sig_alg alg)
{
	size_t	i;

	for (i = 0; i < KR_NITEMS(kr_sigs); i++)
		if (kr_sigs[i].alg == alg)
			return kr_sigs[i].scheme;
	return 0;
}

enum kr_hash_alg
kr_sig_alg_hash(enum kr_sig_alg alg)
{
	size_t	i;

	for (i = 0; i < KR_NITEMS(kr_sigs); i++)
		if (kr_sigs[i].alg == alg)
			return kr_sigs[i].hash;
	return 0;
}

enum kr_sig_alg
kr_sig_alg_of(enum kr_sig_scheme scheme, enum kr_hash_alg hash)
{
	size_t	i;

	for (i = 0; i < KR_NITEMS(kr_sigs); i++)
		if (kr_sigs[i].scheme == scheme && kr_sigs[i].hash == hash)
			return kr_sigs[i].alg;
	return 0;
}

static unsigned
kr_key_family(enum kr_key_alg alg)
{
	switch (alg) {
	case KR_KEY_P256:
		return KR_FAM_P256;
	case KR_KEY_P384:
		return KR_FAM_P384;
	case KR_KEY_ED25519:
		return KR_FAM_ED25519;
	case KR_KEY_RSA3072:
	case KR_KEY_RSA4096:
		return KR_FAM_RSA;
	}
	return 0;
}

static unsigned
kr_sig_alg_families(enum kr_sig_alg sig)
{
	size_t	i;

	for (i = 0; i < KR_NITEMS(kr_sigs); i++)
		if (kr_sigs[i].alg == sig)
			return kr_sigs[i].fam;
	return 0;
}

bool
kr_sig_alg_fits(enum kr_sig_alg sig, enum kr_key_alg key)
{
	return (kr_sig_alg_families(sig) & kr_key_family(key)) != 0;
}

/* The family of a public key read from an SPKI (RSA of any size). */
static unsigned
kr_pk_family(enum kr_pk_type type)
{
	switch (type) {
	case KR_PK_EC_P256:
		return KR_FAM_P256;
	case KR_PK_EC_P384:
		return KR_FAM_P384;
	case KR_PK_ED25519:
		return KR_FAM_ED25519;
	case KR_PK_RSA:
		return KR_FAM_RSA;
	}
	return 0;
}

bool
kr_sig_alg_takes(enum kr_sig_alg sig, enum kr_pk_type type, bool any_curve)
{
	unsigned	fam = kr_sig_alg_families(sig);

	if (any_curve && kr_sig_alg_scheme(sig) == KR_SCHEME_ECDSA)
		fam = KR_FAM_P256 | KR_FAM_P384;
	return (fam & kr_pk_family(type)) != 0;
}
