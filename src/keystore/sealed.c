/*
 * The sealed back end: a private key encrypted under a wrap key derived
 * from the quorum secret, in a file whose header is the AEAD associated
 * data.  The format is in docs/formats.md (section "Sealed key file").
 *
 *   magic "KRSEALED" | version u16 | key id[16] | name len u8 | name |
 *   alg u8 | purpose u8 | spki len u16 | spki | set id[16] | epoch u32 |
 *   m u8 | n u8 | dealer pk[32] | created i64 | nonce[24] | ct len u32 |
 *   ciphertext[ct len]
 *
 * Everything before the ciphertext is associated data.
 */
#include <stdlib.h>
#include <string.h>

#include <keyrite/keystore.h>

#include "keystore_int.h"

/* Where the sealed parts of a parsed file are. */
struct sealed_layout {
	size_t		 aad_len;
	const uint8_t	*nonce;
	const uint8_t	*ct;
	size_t		 ct_len;
};

static const uint8_t pairwise_msg[] = "keyrite pairwise consistency test";

static int
sealed_sign_digest(struct kr_signer *s, enum kr_sig_alg sa,
    const uint8_t *md, size_t mdlen, uint8_t *sig, size_t *siglen,
    struct kr_err *err)
{
	int	ret;

	ret = kr_keypair_sign_digest(s->impl, sa, md, mdlen, sig, siglen, err);
	if (ret != KR_OK)
		kr_err_prefix(err, "key '%s': ", s->name);
	return ret;
}

static int
sealed_sign_message(struct kr_signer *s, enum kr_sig_alg sa,
    const uint8_t *msg, size_t msglen, uint8_t *sig, size_t *siglen,
    struct kr_err *err)
{
	int	ret;

	ret = kr_keypair_sign_message(s->impl, sa, msg, msglen, sig, siglen,
	    err);
	if (ret != KR_OK)
		kr_err_prefix(err, "key '%s': ", s->name);
	return ret;
}

static void
sealed_destroy(struct kr_signer *s)
{
	struct kr_keypair	*kp = s->impl;

	kr_keypair_free(&kp);
	s->impl = NULL;
}

static const struct kr_signer_ops sealed_ops = {
	.version = KR_SIGNER_OPS_VERSION,
	.backend = "sealed",
	.sign_digest = sealed_sign_digest,
	.sign_message = sealed_sign_message,
	.destroy = sealed_destroy,
};

/* A signer that borrows a key pair: the pairwise test, during generation. */
static const struct kr_signer_ops borrowed_ops = {
	.version = KR_SIGNER_OPS_VERSION,
	.backend = "sealed",
	.sign_digest = sealed_sign_digest,
	.sign_message = sealed_sign_message,
	.destroy = NULL,
};

int
kr_sealed_private_bytes(const struct kr_signer *s, uint8_t *buf, size_t cap,
    size_t *len)
{
	const uint8_t	*priv;
	size_t		 plen;

	if (s == NULL || s->ops != &sealed_ops || s->impl == NULL)
		return KR_EINPUT;
	priv = kr_keypair_private(s->impl, &plen);
	if (plen > cap)
		return KR_EINPUT;
	memcpy(buf, priv, plen);
	*len = plen;
	return KR_OK;
}

int
kr_wrap_key_derive(const uint8_t *qsecret, const uint8_t *key_id,
    uint8_t *out)
{
	return kr_qseal_derive(qsecret, KR_WRAP_INFO, key_id, out);
}

/*
 * Range checks shared by generation and parsing; the caller prefixes the
 * message with the file or key it is about.
 */
static int
fields_check(const struct kr_sealed_header *h, struct kr_err *err)
{
	int	ret = KR_EINTERNAL;

	if ((ret = kr_key_name_check(h->name, err)) != KR_OK)
		return ret;
	if (h->alg < KR_KEY_P256 || h->alg > KR_KEY_RSA4096)
		return kr_err_set(err, KR_EINPUT, "key algorithm %d is not one "
		    "this keyrite knows", (int)h->alg);
	if (h->purpose < KR_PURPOSE_CA || h->purpose > KR_PURPOSE_AUDIT)
		return kr_err_set(err, KR_EINPUT, "key purpose %d is not one "
		    "this keyrite knows", (int)h->purpose);
	if (h->m < 2 || h->m > h->n)
		return kr_err_set(err, KR_EINPUT, "quorum %u of %u is out of "
		    "range (2 <= m <= n <= 255)", h->m, h->n);
	if (h->created < 0)
		return kr_err_set(err, KR_EINPUT, "the creation time is "
		    "before 1970");
	return KR_OK;
}

/* The SPKI must parse and hold a key of the header's algorithm. */
static int
spki_check(const struct kr_sealed_header *h, struct kr_err *err)
{
	struct kr_spki_info	info;
	enum kr_key_alg		alg;
	int			ret = KR_EINTERNAL;

	if ((ret = kr_spki_parse(h->spki, h->spki_len, &info, err)) != KR_OK)
		return kr_err_prefix(err, "its public key does not parse: ");
	if (kr_spki_key_alg(&info, &alg) != KR_OK || alg != h->alg)
		return kr_err_set(err, KR_EINPUT, "its header names key "
		    "algorithm %s but its public key is of another algorithm",
		    kr_key_alg_name(h->alg));
	return KR_OK;
}

static void
header_put(struct kr_buf *b, const struct kr_sealed_header *h,
    const uint8_t *nonce, uint32_t ct_len)
{
	size_t	nlen = strlen(h->name);

	kr_buf_put(b, KR_SEALED_MAGIC, KR_SEALED_MAGIC_BYTES);
	kr_buf_put_u16(b, KR_SEALED_VERSION);
	kr_buf_put(b, h->key_id, KR_KEY_ID_BYTES);
	kr_buf_put_u8(b, (uint8_t)nlen);
	kr_buf_put(b, h->name, nlen);
	kr_buf_put_u8(b, (uint8_t)h->alg);
	kr_buf_put_u8(b, (uint8_t)h->purpose);
	kr_buf_put_u16(b, (uint16_t)h->spki_len);
	kr_buf_put(b, h->spki, h->spki_len);
	kr_buf_put(b, h->set_id, KR_SET_ID_BYTES);
	kr_buf_put_u32(b, h->epoch);
	kr_buf_put_u8(b, h->m);
	kr_buf_put_u8(b, h->n);
	kr_buf_put(b, h->dealer_pk, KR_DEALER_PK_BYTES);
	kr_buf_put_u64(b, (uint64_t)h->created);
	kr_buf_put(b, nonce, KR_AEAD_NONCE_BYTES);
	kr_buf_put_u32(b, ct_len);
}

static int
truncated(struct kr_err *err, const char *label, const char *field)
{
	return kr_err_set(err, KR_EINPUT, "sealed key file %s is truncated: "
	    "it ends inside the %s", label, field);
}

/* Size, magic and version. */
static int
parse_start(struct kr_rd *rd, const char *label, struct kr_sealed_header *h,
    struct kr_err *err)
{
	const uint8_t	*magic;

	if (rd->len > KR_SEALED_FILE_MAX)
		return kr_err_set(err, KR_EINPUT, "sealed key file %s is %zu "
		    "bytes; a sealed key file is at most %d", label, rd->len,
		    KR_SEALED_FILE_MAX);
	magic = kr_rd_bytes(rd, KR_SEALED_MAGIC_BYTES);
	if (rd->bad || memcmp(magic, KR_SEALED_MAGIC,
	    KR_SEALED_MAGIC_BYTES) != 0)
		return kr_err_set(err, KR_EINPUT, "%s is not a keyrite sealed "
		    "key file (bad magic)", label);
	h->version = kr_rd_u16(rd);
	if (rd->bad)
		return truncated(err, label, "format version");
	if (h->version != KR_SEALED_VERSION)
		return kr_err_set(err, KR_EINPUT, "sealed key file %s has "
		    "format version %u; this keyrite reads version %d",
		    label, h->version, KR_SEALED_VERSION);
	return KR_OK;
}

/* Key id, name, algorithm, purpose, public key. */
static int
parse_key(struct kr_rd *rd, const char *label, struct kr_sealed_header *h,
    struct kr_err *err)
{
	size_t	nlen;

	kr_rd_copy(rd, h->key_id, KR_KEY_ID_BYTES);
	nlen = kr_rd_u8(rd);
	if (rd->bad)
		return truncated(err, label, "key id");
	if (nlen == 0 || nlen > KR_KEY_NAME_MAX)
		return kr_err_set(err, KR_EINPUT, "sealed key file %s: the key "
		    "name length %zu is out of range (1..%d)", label, nlen,
		    KR_KEY_NAME_MAX);
	kr_rd_copy(rd, h->name, nlen);
	h->name[rd->bad ? 0 : nlen] = '\0';
	h->alg = kr_rd_u8(rd);
	h->purpose = kr_rd_u8(rd);
	h->spki_len = kr_rd_u16(rd);
	if (rd->bad)
		return truncated(err, label, "key name");
	if (h->spki_len == 0 || h->spki_len > KR_SPKI_MAX_BYTES)
		return kr_err_set(err, KR_EINPUT, "sealed key file %s: the "
		    "public key length %zu is out of range (1..%d)", label,
		    h->spki_len, KR_SPKI_MAX_BYTES);
	kr_rd_copy(rd, h->spki, h->spki_len);
	if (rd->bad)
		return truncated(err, label, "public key");
	return KR_OK;
}

/* Share set, epoch, m, n, dealer key, creation time. */
static void
parse_quorum(struct kr_rd *rd, struct kr_sealed_header *h)
{
	kr_rd_copy(rd, h->set_id, KR_SET_ID_BYTES);
	h->epoch = kr_rd_u32(rd);
	h->m = kr_rd_u8(rd);
	h->n = kr_rd_u8(rd);
	kr_rd_copy(rd, h->dealer_pk, KR_DEALER_PK_BYTES);
	h->created = (int64_t)kr_rd_u64(rd);
}

/* The smallest and largest ciphertext a key algorithm can have. */
static void
ct_bounds(enum kr_key_alg alg, size_t *lo, size_t *hi)
{
	size_t	pt_lo = 1, pt_hi = KR_PRIV_MAX_BYTES;

	if (alg == KR_KEY_P256)
		pt_lo = pt_hi = KR_EC_P256_PRIV_BYTES;
	else if (alg == KR_KEY_P384)
		pt_lo = pt_hi = KR_EC_P384_PRIV_BYTES;
	else if (alg == KR_KEY_ED25519)
		pt_lo = pt_hi = KR_ED25519_SEED_BYTES;
	*lo = pt_lo + KR_AEAD_TAG_BYTES;
	*hi = pt_hi + KR_AEAD_TAG_BYTES;
}

/* Nonce, ciphertext length, and nothing after the ciphertext. */
static int
parse_tail(struct kr_rd *rd, const char *label,
    const struct kr_sealed_header *h, struct sealed_layout *lay,
    struct kr_err *err)
{
	size_t	lo, hi;

	lay->nonce = kr_rd_bytes(rd, KR_AEAD_NONCE_BYTES);
	lay->ct_len = kr_rd_u32(rd);
	if (rd->bad)
		return truncated(err, label, "nonce or ciphertext length");
	lay->aad_len = rd->off;
	ct_bounds(h->alg, &lo, &hi);
	if (lay->ct_len < lo || lay->ct_len > hi)
		return kr_err_set(err, KR_EINPUT, "sealed key file %s: the "
		    "sealed private key is %zu bytes, which is out of range "
		    "for a %s key (%zu..%zu)", label, lay->ct_len,
		    kr_key_alg_name(h->alg), lo, hi);
	if (kr_rd_left(rd) < lay->ct_len)
		return truncated(err, label, "sealed private key");
	if (kr_rd_left(rd) > lay->ct_len)
		return kr_err_set(err, KR_EINPUT, "sealed key file %s has %zu "
		    "unexpected bytes after the sealed private key", label,
		    kr_rd_left(rd) - lay->ct_len);
	lay->ct = kr_rd_bytes(rd, lay->ct_len);
	return KR_OK;
}

static int
sealed_parse(const uint8_t *file, size_t len, const char *label,
    struct kr_sealed_header *h, struct sealed_layout *lay,
    struct kr_err *err)
{
	struct kr_rd	rd;
	int		ret = KR_EINTERNAL;

	memset(h, 0, sizeof(*h));
	memset(lay, 0, sizeof(*lay));
	kr_rd_init(&rd, file, len);
	if ((ret = parse_start(&rd, label, h, err)) != KR_OK ||
	    (ret = parse_key(&rd, label, h, err)) != KR_OK)
		return ret;
	parse_quorum(&rd, h);
	if (rd.bad)
		return truncated(err, label, "quorum fields");
	if ((ret = fields_check(h, err)) != KR_OK ||
	    (ret = spki_check(h, err)) != KR_OK)
		return kr_err_prefix(err, "sealed key file %s: ", label);
	return parse_tail(&rd, label, h, lay, err);
}

int
kr_sealed_parse_header(const uint8_t *file, size_t len, const char *label,
    struct kr_sealed_header *h, struct kr_err *err)
{
	struct sealed_layout	lay;

	if (file == NULL || label == NULL || h == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no sealed key file was "
		    "given (bug: report it)");
	return sealed_parse(file, len, label, h, &lay, err);
}

/* Signs a fixed message with the new key and verifies it with its SPKI. */
static int
pairwise_test(const struct kr_sealed_header *h, struct kr_keypair *kp,
    struct kr_err *err)
{
	struct kr_signer	*s;
	const uint8_t		*spki;
	uint8_t			 sig[KR_SIG_MAX_BYTES];
	size_t			 spki_len, siglen = 0;
	enum kr_sig_alg		 sa = kr_sig_alg_default(h->alg);
	int			 ret = KR_EINTERNAL;

	spki = kr_keypair_spki(kp, &spki_len);
	s = kr_signer_new(&borrowed_ops, kp, h->name, h->key_id, h->alg,
	    h->purpose, spki, spki_len);
	if (s == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_signer_sign(s, sa, pairwise_msg, sizeof(pairwise_msg), sig,
	    &siglen, err);
	if (ret == KR_OK)
		ret = kr_sig_verify(sa, spki, spki_len, pairwise_msg,
		    sizeof(pairwise_msg), sig, siglen, 0, err);
	kr_signer_free(&s);
	if (ret != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "the new %s key '%s' failed "
		    "its pairwise consistency test (sign, then verify): "
		    "nothing was sealed; if this happens again, stop and have "
		    "this machine checked", kr_key_alg_name(h->alg), h->name);
	return KR_OK;
}

/* Encrypts the private key serialization; the file is header || ct. */
static int
seal(const struct kr_sealed_header *h, const uint8_t *priv, size_t plen,
    const uint8_t *qsecret, uint8_t **out, size_t *outlen,
    struct kr_err *err)
{
	struct kr_buf	 aad;
	uint8_t		 nonce[KR_AEAD_NONCE_BYTES];
	size_t		 ct_len = plen + KR_AEAD_TAG_BYTES;
	int		 ret = KR_EINTERNAL;

	kr_buf_init(&aad, false);
	kr_random(nonce, sizeof(nonce));
	header_put(&aad, h, nonce, (uint32_t)ct_len);
	if ((ret = kr_buf_status(&aad, err)) != KR_OK)
		goto out;
	if (aad.len + ct_len > KR_SEALED_FILE_MAX) {
		ret = kr_err_set(err, KR_EINTERNAL, "the sealed file for key "
		    "'%s' would exceed %d bytes", h->name, KR_SEALED_FILE_MAX);
		goto out;
	}
	ret = kr_qseal_encrypt(qsecret, KR_WRAP_INFO, h->key_id, aad.p, aad.len,
	    nonce, priv, plen, out, outlen);
	if (ret == KR_ENOMEM)
		(void)kr_err_set(err, ret, "out of memory");
	else if (ret != KR_OK)
		ret = kr_err_set(err, KR_ECRYPTO, "sealing key '%s' failed",
		    h->name);
out:
	kr_buf_free(&aad);
	return ret;
}

int
kr_sealed_generate(struct kr_sealed_header *h, const uint8_t *qsecret,
    uint8_t **out, size_t *outlen, struct kr_err *err)
{
	struct kr_keypair	*kp = NULL;
	const uint8_t		*spki, *priv;
	size_t			 spki_len, plen;
	int			 ret = KR_EINTERNAL;

	*out = NULL;
	*outlen = 0;
	if ((ret = fields_check(h, err)) != KR_OK)
		return kr_err_prefix(err, "new key: ");
	h->version = KR_SEALED_VERSION;
	if ((ret = kr_keypair_generate(h->alg, &kp, err)) != KR_OK) {
		kr_err_prefix(err, "generating key '%s': ", h->name);
		goto out;
	}
	if ((ret = pairwise_test(h, kp, err)) != KR_OK)
		goto out;
	spki = kr_keypair_spki(kp, &spki_len);
	memcpy(h->spki, spki, spki_len);
	h->spki_len = spki_len;
	priv = kr_keypair_private(kp, &plen);
	ret = seal(h, priv, plen, qsecret, out, outlen, err);
out:
	kr_keypair_free(&kp);
	return ret;
}

/* Derives the wrap key, decrypts, and rebuilds the key pair. */
static int
unseal(const uint8_t *file, const struct sealed_layout *lay,
    const char *label, const struct kr_sealed_header *h,
    const uint8_t *qsecret, struct kr_keypair **kp, struct kr_err *err)
{
	uint8_t	*pt = NULL;
	size_t	 plen = lay->ct_len - KR_AEAD_TAG_BYTES;
	int	 ret;

	ret = kr_qseal_decrypt(qsecret, KR_WRAP_INFO, h->key_id, file,
	    lay->aad_len, lay->nonce, lay->ct, lay->ct_len, &pt);
	if (ret == KR_EVERIFY)
		return kr_err_set(err, ret, "sealed key file %s could not be "
		    "opened with this quorum secret: the file was altered or "
		    "the shares belong to another key", label);
	if (ret == KR_ENOMEM)
		return kr_err_set(err, ret, "out of secure memory");
	if (ret != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "sealed key file %s: "
		    "deriving the wrap key failed", label);
	if ((ret = kr_keypair_load(h->alg, pt, plen, kp, err)) != KR_OK)
		kr_err_prefix(err, "sealed key file %s: ", label);
	kr_wipe(pt, plen);
	kr_secure_free(pt);
	return ret;
}

/*
 * Parses and unseals a sealed file with a quorum secret, and checks that
 * the private key inside is the public key its header names.
 */
static int
sealed_open_checked(const uint8_t *file, size_t len, const char *label,
    const uint8_t *qsecret, struct kr_sealed_header *h,
    struct kr_keypair **kp, struct kr_err *err)
{
	struct sealed_layout	 lay;
	const uint8_t		*spki;
	size_t			 spki_len;
	int			 ret;

	if ((ret = sealed_parse(file, len, label, h, &lay, err)) != KR_OK ||
	    (ret = unseal(file, &lay, label, h, qsecret, kp, err)) != KR_OK)
		return ret;
	spki = kr_keypair_spki(*kp, &spki_len);
	if (spki_len != h->spki_len || !kr_ct_equal(spki, h->spki, spki_len))
		return kr_err_set(err, KR_EVERIFY, "sealed key file %s: the "
		    "private key inside does not match the public key in its "
		    "header; do not use this file", label);
	return KR_OK;
}

int
kr_sealed_open(const uint8_t *file, size_t len, const char *label,
    const uint8_t *qsecret, struct kr_signer **out, struct kr_err *err)
{
	struct kr_sealed_header	 h;
	struct kr_keypair	*kp = NULL;
	int			 ret = KR_EINTERNAL;

	*out = NULL;
	if (file == NULL || label == NULL || qsecret == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no sealed key file or "
		    "quorum secret was given (bug: report it)");
	if ((ret = sealed_open_checked(file, len, label, qsecret, &h, &kp,
	    err)) != KR_OK)
		goto out;
	*out = kr_signer_new(&sealed_ops, kp, h.name, h.key_id, h.alg,
	    h.purpose, h.spki, h.spki_len);
	if (*out == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	kp = NULL;
	ret = KR_OK;
out:
	kr_keypair_free(&kp);
	return ret;
}

int
kr_sealed_rewrap(const uint8_t *file, size_t len, const char *label,
    const uint8_t *old_qsecret, const struct kr_rewrap_set *set,
    const uint8_t *new_qsecret, uint8_t **out, size_t *outlen,
    struct kr_err *err)
{
	struct kr_sealed_header	 h;
	struct kr_keypair	*kp = NULL;
	const uint8_t		*priv;
	size_t			 plen;
	int			 ret = KR_EINTERNAL;

	*out = NULL;
	*outlen = 0;
	if (file == NULL || label == NULL || old_qsecret == NULL ||
	    new_qsecret == NULL || set == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no sealed key file or "
		    "quorum secret was given (bug: report it)");
	if ((ret = sealed_open_checked(file, len, label, old_qsecret, &h, &kp,
	    err)) != KR_OK)
		goto out;
	memcpy(h.set_id, set->set_id, sizeof(h.set_id));
	h.epoch = set->epoch;
	h.m = set->m;
	h.n = set->n;
	memcpy(h.dealer_pk, set->dealer_pk, sizeof(h.dealer_pk));
	if ((ret = fields_check(&h, err)) != KR_OK) {
		(void)kr_err_prefix(err, "re-wrapping %s: ", label);
		goto out;
	}
	priv = kr_keypair_private(kp, &plen);
	ret = seal(&h, priv, plen, new_qsecret, out, outlen, err);
out:
	kr_keypair_free(&kp);
	return ret;
}
