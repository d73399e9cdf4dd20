/*
 * Custodian share files (formats 1 and 2, docs/formats.md): sealing,
 * parsing, dealer signature, opening with the passphrase, the custodian's
 * approval key (format 2), and combining a quorum.
 *
 * A share file is outside input: it is parsed with a size limit, every
 * field is range-checked, and every refusal names the file (and, once it
 * is known, the custodian) so the ceremony room knows whose share to look
 * at.  The header is re-encoded from the parsed fields for the AEAD and
 * the signature; the parser accepts exactly one encoding of each header,
 * so the re-encoding is the bytes that were read.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/quorum.h>

#include "quorum_int.h"

#define ID_HEX_BYTES	(2 * KR_KEY_ID_BYTES + 1)

/* Custodian names. */

int
kr_custodian_name_check(const char *name, struct kr_err *err)
{
	const unsigned char	*s = (const unsigned char *)name;
	size_t			 len, i = 0, at, n;
	uint32_t		 cp;

	len = name != NULL ? strnlen(name, KR_CUSTODIAN_NAME_MAX + 1) : 0;
	if (len == 0)
		return kr_err_set(err, KR_EINPUT, "custodian name is empty: "
		    "give each custodian a name of 1 to %d bytes",
		    KR_CUSTODIAN_NAME_MAX);
	if (len > KR_CUSTODIAN_NAME_MAX)
		return kr_err_set(err, KR_EINPUT, "custodian name is longer "
		    "than %d bytes: choose a shorter name",
		    KR_CUSTODIAN_NAME_MAX);
	for (i = 0; i < len; i += n) {
		at = i;
		if ((n = kr_utf8_decode(s + i, len - i, &cp)) == 0)
			return kr_err_set(err, KR_EINPUT, "custodian name is "
			    "not valid UTF-8 (at byte %zu)", at + 1);
		if (cp == '/')
			return kr_err_set(err, KR_EINPUT, "custodian name "
			    "contains '/' (at byte %zu): choose a name "
			    "without '/'", at + 1);
		if (!kr_cp_printable(cp))
			return kr_err_set(err, KR_EINPUT, "custodian name "
			    "contains the control or invisible character "
			    "U+%04lX (at byte %zu): use printable characters "
			    "only", (unsigned long)cp, at + 1);
	}
	/* The name becomes a file name on the custodian's (often FAT) medium. */
	if (s[0] == '.' || s[0] == '-' || s[0] == ' ' || s[len - 1] == ' ')
		return kr_err_set(err, KR_EINPUT, "custodian name '%s' starts "
		    "with '.', '-' or a space, or ends with a space: such "
		    "names make hidden or confusing share file names",
		    name);
	if (strpbrk(name, "\\:*?\"<>|") != NULL)
		return kr_err_set(err, KR_EINPUT, "custodian name '%s' holds "
		    "one of \\ : * ? \" < > |, which FAT and exFAT media "
		    "cannot store in a file name", name);
	return KR_OK;
}

/* Dealer keys. */

int
kr_dealer_new(struct kr_dealer *d, struct kr_err *err)
{
	memset(d, 0, sizeof(*d));
	if ((d->sk = kr_secure_alloc(crypto_sign_SECRETKEYBYTES)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "cannot allocate secure "
		    "memory for the dealer key");
	if (crypto_sign_keypair(d->pk, d->sk) != 0) {
		kr_dealer_free(d);
		return kr_err_set(err, KR_ECRYPTO, "cannot generate the "
		    "dealer key");
	}
	return KR_OK;
}

void
kr_dealer_free(struct kr_dealer *d)
{
	if (d == NULL)
		return;
	kr_secure_free(d->sk);
	d->sk = NULL;
	sodium_memzero(d->pk, sizeof(d->pk));
}

/* Encoding. */

/* The header: everything before the ciphertext, the AEAD's AAD. */
static void
header_put(struct kr_buf *b, const struct kr_share_header *h)
{
	size_t	 namelen = strnlen(h->custodian, sizeof(h->custodian));

	kr_buf_put(b, KR_SHARE_MAGIC, KR_SHARE_MAGIC_BYTES);
	kr_buf_put_u16(b, h->version);
	kr_buf_put(b, h->set_id, sizeof(h->set_id));
	kr_buf_put_u32(b, h->epoch);
	kr_buf_put(b, h->key_id, sizeof(h->key_id));
	kr_buf_put_u8(b, h->m);
	kr_buf_put_u8(b, h->n);
	kr_buf_put_u8(b, h->x);
	kr_buf_put_u8(b, (uint8_t)namelen);
	kr_buf_put(b, h->custodian, namelen);
	kr_buf_put_u8(b, KR_SHARE_KDF_ARGON2ID13);
	kr_buf_put_u32(b, h->kdf.opslimit);
	kr_buf_put_u32(b, h->kdf.mem_kib);
	kr_buf_put(b, h->salt, sizeof(h->salt));
	kr_buf_put(b, h->nonce, sizeof(h->nonce));
	kr_buf_put(b, h->dealer_pk, sizeof(h->dealer_pk));
	if (h->version == KR_SHARE_VERSION_2)
		kr_buf_put(b, h->approval_pk, sizeof(h->approval_pk));
}

/* The plaintext and ciphertext sizes of a version. */
static size_t
pt_len(unsigned version)
{
	return version == KR_SHARE_VERSION_2 ? KR_QUORUM_SECRET_BYTES +
	    KR_APPROVAL_SEED_BYTES : KR_QUORUM_SECRET_BYTES;
}

/*
 * Range checks shared by sealing and parsing; `file` names the file in
 * messages.  The custodian name has been checked already.
 */
static int
header_check(const struct kr_share_header *h, const char *file,
    struct kr_err *err)
{
	if (h->m < 2 || h->m > h->n)
		return kr_err_set(err, KR_EINPUT, "share file %s (custodian "
		    "'%s') says %u of %u shares are needed, which no share "
		    "set can have (2 <= m <= n <= %d): the file is damaged "
		    "or forged", file, h->custodian, h->m, h->n,
		    KR_CUSTODIANS_MAX);
	if (h->x < 1 || h->x > h->n)
		return kr_err_set(err, KR_EINPUT, "share file %s (custodian "
		    "'%s') holds share x = %u, outside 1 to %u: the file is "
		    "damaged or forged", file, h->custodian, h->x, h->n);
	if (h->kdf.opslimit < KR_SHARE_OPS_MIN ||
	    h->kdf.opslimit > KR_SHARE_OPS_MAX ||
	    h->kdf.mem_kib < KR_SHARE_MEM_KIB_MIN ||
	    h->kdf.mem_kib > KR_SHARE_MEM_KIB_MAX)
		return kr_err_set(err, KR_EINPUT, "share file %s (custodian "
		    "'%s') asks for Argon2id with %u passes and %u KiB, "
		    "outside the accepted %d to %d passes and %d KiB to "
		    "4 GiB: the file is damaged or forged", file,
		    h->custodian, h->kdf.opslimit, h->kdf.mem_kib,
		    KR_SHARE_OPS_MIN, KR_SHARE_OPS_MAX, KR_SHARE_MEM_KIB_MIN);
	return KR_OK;
}

/* Sealing. */

static int
seal_prepare(struct kr_share_header *h, const uint8_t *y, size_t passlen,
    const struct kr_dealer *d, struct kr_err *err)
{
	int	 ret;

	if (y == NULL || d == NULL || d->sk == NULL)
		return kr_err_set(err, KR_EINTERNAL, "kr_share_seal: no share "
		    "value or no dealer key");
	if ((ret = kr_custodian_name_check(h->custodian, err)) != KR_OK) {
		(void)kr_err_prefix(err, "new share file: ");
		return ret;
	}
	if (passlen == 0)
		return kr_err_set(err, KR_EINPUT, "the passphrase for "
		    "custodian '%s' is empty: a share file must be protected "
		    "by a passphrase", h->custodian);
	memcpy(h->dealer_pk, d->pk, sizeof(h->dealer_pk));
	kr_random(h->salt, sizeof(h->salt));
	kr_random(h->nonce, sizeof(h->nonce));
	return header_check(h, "being dealt", err);
}

/*
 * Appends the encrypted plaintext (y, and in format 2 the approval key
 * seed) and the dealer signature.
 */
static int
seal_body(struct kr_buf *b, const struct kr_share_header *h,
    const uint8_t *pt, const uint8_t *key, const struct kr_dealer *d,
    struct kr_err *err)
{
	uint8_t		 ct[KR_SHARE_CT2_BYTES];
	uint8_t		 sig[KR_DEALER_SIG_BYTES];
	size_t		 n = pt_len(h->version);
	int		 ret;

	if (kr_aead_seal(ct, pt, n, b->p, b->len, h->nonce, key) != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "cannot encrypt the share "
		    "of custodian '%s'", h->custodian);
	kr_buf_put(b, ct, n + KR_AEAD_TAG_BYTES);
	if ((ret = kr_buf_status(b, err)) != KR_OK)
		return ret;
	if (crypto_sign_detached(sig, NULL, b->p, b->len, d->sk) != 0 ||
	    crypto_sign_verify_detached(sig, b->p, b->len, d->pk) != 0)
		return kr_err_set(err, KR_ECRYPTO, "the dealer signature on "
		    "the share of custodian '%s' failed or does not verify",
		    h->custodian);
	kr_buf_put(b, sig, sizeof(sig));
	return kr_buf_status(b, err);
}

/*
 * The plaintext in secure memory: y, then (format 2) the approval seed,
 * whose public key goes into the header.
 */
static int
seal_plaintext(struct kr_share_header *h, const uint8_t *y,
    const uint8_t *seed, uint8_t **pt, struct kr_err *err)
{
	uint8_t	*sk;

	if ((*pt = kr_secure_alloc(KR_QUORUM_SECRET_BYTES +
	    KR_APPROVAL_SEED_BYTES)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "cannot allocate secure "
		    "memory for the share of custodian '%s'", h->custodian);
	memcpy(*pt, y, KR_QUORUM_SECRET_BYTES);
	if (h->version != KR_SHARE_VERSION_2)
		return KR_OK;
	if ((sk = kr_secure_alloc(crypto_sign_SECRETKEYBYTES)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "cannot allocate secure "
		    "memory for the approval key of custodian '%s'",
		    h->custodian);
	memcpy(*pt + KR_QUORUM_SECRET_BYTES, seed, KR_APPROVAL_SEED_BYTES);
	(void)crypto_sign_seed_keypair(h->approval_pk, sk, seed);
	kr_secure_free(sk);
	return KR_OK;
}

static int
share_seal(struct kr_share_header *h, const uint8_t *y, const uint8_t *seed,
    const char *pass, size_t passlen, const struct kr_dealer *d,
    uint8_t **out, size_t *outlen, struct kr_err *err)
{
	struct kr_buf	 b;
	uint8_t		 key[KR_AEAD_KEY_BYTES];
	uint8_t		*pt = NULL;
	int		 ret = KR_EINTERNAL;

	*out = NULL;
	*outlen = 0;
	kr_buf_init(&b, false);
	h->version = seed != NULL ? KR_SHARE_VERSION_2 : KR_SHARE_VERSION;
	if ((ret = seal_prepare(h, y, passlen, d, err)) != KR_OK ||
	    (ret = seal_plaintext(h, y, seed, &pt, err)) != KR_OK)
		goto wipe;
	header_put(&b, h);
	if ((ret = kr_buf_status(&b, err)) != KR_OK)
		goto wipe;
	if ((ret = kr_kdf_argon2id(key, sizeof(key), pass, passlen, h->salt,
	    &h->kdf, err)) != KR_OK)
		goto wipe;
	if ((ret = seal_body(&b, h, pt, key, d, err)) != KR_OK)
		goto wipe;
	if ((*out = malloc(b.len)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto wipe;
	}
	memcpy(*out, b.p, b.len);
	*outlen = b.len;
	ret = KR_OK;
wipe:
	sodium_memzero(key, sizeof(key));
	kr_secure_free(pt);
	kr_buf_free(&b);
	return ret;
}

int
kr_share_seal(struct kr_share_header *h, const uint8_t *y, const char *pass,
    size_t passlen, const struct kr_dealer *d, uint8_t **out, size_t *outlen,
    struct kr_err *err)
{
	return share_seal(h, y, NULL, pass, passlen, d, out, outlen, err);
}

int
kr_share_seal_v2(struct kr_share_header *h, const uint8_t *y,
    const uint8_t *seed, const char *pass, size_t passlen,
    const struct kr_dealer *d, uint8_t **out, size_t *outlen,
    struct kr_err *err)
{
	*out = NULL;
	*outlen = 0;
	if (seed == NULL)
		return kr_err_set(err, KR_EINTERNAL, "kr_share_seal_v2: no "
		    "approval key");
	return share_seal(h, y, seed, pass, passlen, d, out, outlen, err);
}

/* Parsing. */

/* Size, magic and version: whether this is a share file we can read. */
static int
parse_envelope(const uint8_t *buf, size_t len, const char *file,
    struct kr_err *err)
{
	size_t		 n = len < KR_SHARE_MAGIC_BYTES ?
			    len : KR_SHARE_MAGIC_BYTES;
	unsigned	 version;

	if (len > KR_SHARE_FILE_MAX)
		return kr_err_set(err, KR_EINPUT, "share file %s is %zu "
		    "bytes, more than any share file (%d): it is not a "
		    "keyrite share file", file, len, KR_SHARE_FILE_MAX);
	if (len == 0)
		return kr_err_set(err, KR_EINPUT, "share file %s is empty",
		    file);
	if (memcmp(buf, KR_SHARE_MAGIC, n) != 0)
		return kr_err_set(err, KR_EINPUT, "share file %s is not a "
		    "keyrite share file (wrong magic)", file);
	if (len < KR_SHARE_MAGIC_BYTES + 2)
		return kr_err_set(err, KR_EINPUT, "share file %s is truncated "
		    "(%zu bytes): copy it again from the custodian's medium",
		    file, len);
	version = (unsigned)buf[KR_SHARE_MAGIC_BYTES] << 8 |
	    buf[KR_SHARE_MAGIC_BYTES + 1];
	if (version != KR_SHARE_VERSION && version != KR_SHARE_VERSION_2)
		return kr_err_set(err, KR_EINPUT, "share file %s has format "
		    "version %u, but this keyrite reads versions %d and %d "
		    "only", file, version, KR_SHARE_VERSION,
		    KR_SHARE_VERSION_2);
	return KR_OK;
}

/*
 * Reads the fields after the version.  The custodian name goes to `name`
 * (NUL-padded, not checked yet) and its length to *namelen; the KDF id to
 * *kdf_alg.
 */
static int
parse_fields(struct kr_rd *rd, struct kr_share *s, char *name,
    unsigned *namelen, unsigned *kdf_alg, struct kr_err *err)
{
	struct kr_share_header	*h = &s->h;

	kr_rd_copy(rd, h->set_id, sizeof(h->set_id));
	h->epoch = kr_rd_u32(rd);
	kr_rd_copy(rd, h->key_id, sizeof(h->key_id));
	h->m = kr_rd_u8(rd);
	h->n = kr_rd_u8(rd);
	h->x = kr_rd_u8(rd);
	*namelen = kr_rd_u8(rd);
	if (!rd->bad && (*namelen < 1 || *namelen > KR_CUSTODIAN_NAME_MAX))
		return kr_err_set(err, KR_EINPUT, "share file %s: the "
		    "custodian name is %u bytes long, outside 1 to %d: the "
		    "file is damaged or forged", s->label, *namelen,
		    KR_CUSTODIAN_NAME_MAX);
	kr_rd_copy(rd, name, *namelen);
	*kdf_alg = kr_rd_u8(rd);
	h->kdf.opslimit = kr_rd_u32(rd);
	h->kdf.mem_kib = kr_rd_u32(rd);
	kr_rd_copy(rd, h->salt, sizeof(h->salt));
	kr_rd_copy(rd, h->nonce, sizeof(h->nonce));
	kr_rd_copy(rd, h->dealer_pk, sizeof(h->dealer_pk));
	if (h->version == KR_SHARE_VERSION_2)
		kr_rd_copy(rd, h->approval_pk, sizeof(h->approval_pk));
	s->ct_len = pt_len(h->version) + KR_AEAD_TAG_BYTES;
	kr_rd_copy(rd, s->ct, s->ct_len);
	s->signed_len = rd->off;
	kr_rd_copy(rd, s->sig, sizeof(s->sig));
	if (rd->bad)
		return kr_err_set(err, KR_EINPUT, "share file %s is truncated "
		    "(%zu bytes): copy it again from the custodian's medium",
		    s->label, rd->len);
	if (kr_rd_left(rd) != 0)
		return kr_err_set(err, KR_EINPUT, "share file %s has %zu "
		    "unexpected bytes after its signature: it was altered",
		    s->label, kr_rd_left(rd));
	return KR_OK;
}

/* The custodian name as read: no NUL, then the documented rules. */
static int
parse_name(struct kr_share *s, const char *name, unsigned namelen,
    struct kr_err *err)
{
	int	 ret;

	if (strnlen(name, namelen) != namelen)
		return kr_err_set(err, KR_EINPUT, "share file %s: the "
		    "custodian name contains a NUL byte: the file is damaged "
		    "or forged", s->label);
	memcpy(s->h.custodian, name, namelen);
	s->h.custodian[namelen] = '\0';
	if ((ret = kr_custodian_name_check(s->h.custodian, err)) != KR_OK) {
		(void)kr_err_prefix(err, "share file %s: ", s->label);
		return ret;
	}
	return KR_OK;
}

int
kr_share_parse(const uint8_t *buf, size_t len, const char *label,
    struct kr_share *s, struct kr_err *err)
{
	struct kr_rd	 rd;
	char		 name[KR_CUSTODIAN_NAME_MAX] = { 0 };
	unsigned	 namelen = 0, kdf_alg = 0;
	int		 ret;

	memset(s, 0, sizeof(*s));
	(void)snprintf(s->label, sizeof(s->label), "%s",
	    label != NULL ? label : "(unnamed)");
	if ((ret = parse_envelope(buf, buf != NULL ? len : 0, s->label,
	    err)) != KR_OK)
		return ret;
	kr_rd_init(&rd, buf, len);
	(void)kr_rd_bytes(&rd, KR_SHARE_MAGIC_BYTES);
	s->h.version = kr_rd_u16(&rd);
	if ((ret = parse_fields(&rd, s, name, &namelen, &kdf_alg, err)) !=
	    KR_OK)
		return ret;
	if ((ret = parse_name(s, name, namelen, err)) != KR_OK)
		return ret;
	if (kdf_alg != KR_SHARE_KDF_ARGON2ID13)
		return kr_err_set(err, KR_EINPUT, "share file %s (custodian "
		    "'%s') uses key-derivation algorithm %u, which this "
		    "keyrite does not know (1 = Argon2id v1.3)", s->label,
		    s->h.custodian, kdf_alg);
	return header_check(&s->h, s->label, err);
}

/* Signature. */

int
kr_share_check_signature(const struct kr_share *s, const uint8_t *dealer_pk,
    struct kr_err *err)
{
	struct kr_buf	 b;
	char		 kid[ID_HEX_BYTES];
	int		 ret = KR_EVERIFY;

	kr_hex_encode(kid, s->h.key_id, sizeof(s->h.key_id));
	if (dealer_pk == NULL || sodium_memcmp(s->h.dealer_pk, dealer_pk,
	    KR_DEALER_PK_BYTES) != 0)
		return kr_err_set(err, KR_EVERIFY, "share file %s (custodian "
		    "'%s') was dealt by a different dealer key than key %s's "
		    "share set: it belongs to another share set or was "
		    "forged", s->label, s->h.custodian, kid);
	kr_buf_init(&b, false);
	header_put(&b, &s->h);
	kr_buf_put(&b, s->ct, s->ct_len);
	if ((ret = kr_buf_status(&b, err)) != KR_OK)
		goto free;
	if (crypto_sign_verify_detached(s->sig, b.p, b.len, dealer_pk) != 0) {
		ret = kr_err_set(err, KR_EVERIFY, "share file %s (custodian "
		    "'%s') has been altered: its dealer signature does not "
		    "verify", s->label, s->h.custodian);
		goto free;
	}
	ret = KR_OK;
free:
	kr_buf_free(&b);
	return ret;
}

/* Opening. */

/* Format 2: the approval key from its seed, matching the header's. */
static int
open_approval(struct kr_share *s, const uint8_t *seed, struct kr_err *err)
{
	uint8_t	pk[KR_APPROVAL_PK_BYTES];

	if ((s->approval_sk = kr_secure_alloc(crypto_sign_SECRETKEYBYTES)) ==
	    NULL)
		return kr_err_set(err, KR_ENOMEM, "cannot allocate secure "
		    "memory for the approval key of custodian '%s'",
		    s->h.custodian);
	(void)crypto_sign_seed_keypair(pk, s->approval_sk, seed);
	if (sodium_memcmp(pk, s->h.approval_pk, sizeof(pk)) != 0)
		return kr_err_set(err, KR_EVERIFY, "share file %s (custodian "
		    "'%s') holds an approval key that does not match its "
		    "public key: the file was made wrongly or forged",
		    s->label, s->h.custodian);
	return KR_OK;
}

int
kr_share_open(struct kr_share *s, const char *pass, size_t passlen,
    struct kr_err *err)
{
	struct kr_buf	 aad;
	uint8_t		 key[KR_AEAD_KEY_BYTES];
	uint8_t		*pt = NULL, *y = NULL;
	size_t		 n = pt_len(s->h.version);
	int		 ret = KR_EINTERNAL;

	kr_share_clear(s);
	kr_buf_init(&aad, false);
	header_put(&aad, &s->h);
	if ((ret = kr_buf_status(&aad, err)) != KR_OK)
		goto wipe;
	if ((pt = kr_secure_alloc(KR_QUORUM_SECRET_BYTES +
	    KR_APPROVAL_SEED_BYTES)) == NULL ||
	    (y = kr_secure_alloc(KR_QUORUM_SECRET_BYTES)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "cannot allocate secure "
		    "memory for the share of custodian '%s'", s->h.custodian);
		goto wipe;
	}
	if ((ret = kr_kdf_argon2id(key, sizeof(key), pass, passlen, s->h.salt,
	    &s->h.kdf, err)) != KR_OK) {
		(void)kr_err_prefix(err, "share file %s (custodian '%s'): ",
		    s->label, s->h.custodian);
		goto wipe;
	}
	if (s->ct_len != n + KR_AEAD_TAG_BYTES || kr_aead_open(pt, s->ct,
	    s->ct_len, aad.p, aad.len, s->h.nonce, key) != KR_OK) {
		ret = kr_err_set(err, KR_EAUTH, "the passphrase for custodian "
		    "'%s' (share file %s) is wrong: ask the custodian to "
		    "enter it again", s->h.custodian, s->label);
		goto wipe;
	}
	memcpy(y, pt, KR_QUORUM_SECRET_BYTES);
	if (s->h.version == KR_SHARE_VERSION_2 && (ret = open_approval(s,
	    pt + KR_QUORUM_SECRET_BYTES, err)) != KR_OK) {
		kr_share_approval_forget(s);
		goto wipe;
	}
	s->y = y;
	y = NULL;
	ret = KR_OK;
wipe:
	sodium_memzero(key, sizeof(key));
	kr_secure_free(pt);
	kr_secure_free(y);
	kr_buf_free(&aad);
	return ret;
}

void
kr_share_clear(struct kr_share *s)
{
	if (s == NULL)
		return;
	if (s->y != NULL)
		kr_wipe(s->y, KR_QUORUM_SECRET_BYTES);
	kr_secure_free(s->y);
	s->y = NULL;
	kr_share_approval_forget(s);
}

/* Approvals. */

bool
kr_share_has_approval_key(const struct kr_share *s)
{
	return s->h.version == KR_SHARE_VERSION_2;
}

int
kr_share_approve(const struct kr_share *s, const uint8_t *msg, size_t len,
    uint8_t *sig, struct kr_err *err)
{
	if (s->approval_sk == NULL)
		return kr_err_set(err, KR_EINTERNAL, "share file %s (custodian "
		    "'%s') has no opened approval key", s->label,
		    s->h.custodian);
	if (crypto_sign_detached(sig, NULL, msg, len, s->approval_sk) != 0 ||
	    crypto_sign_verify_detached(sig, msg, len, s->h.approval_pk) !=
	    0) {
		sodium_memzero(sig, KR_APPROVAL_SIG_BYTES);
		return kr_err_set(err, KR_ECRYPTO, "the approval signature of "
		    "custodian '%s' failed or does not verify",
		    s->h.custodian);
	}
	return KR_OK;
}

void
kr_share_approval_forget(struct kr_share *s)
{
	if (s == NULL || s->approval_sk == NULL)
		return;
	kr_wipe(s->approval_sk, crypto_sign_SECRETKEYBYTES);
	kr_secure_free(s->approval_sk);
	s->approval_sk = NULL;
}

void
kr_approval_fingerprint(const uint8_t *pk, char *out)
{
	static const char	 hex[] = "0123456789ABCDEF";
	uint8_t			 d[crypto_hash_sha256_BYTES];
	size_t			 i;

	(void)crypto_hash_sha256(d, pk, KR_APPROVAL_PK_BYTES);
	for (i = 0; i < sizeof(d); i++) {
		out[3 * i] = hex[d[i] >> 4];
		out[3 * i + 1] = hex[d[i] & 0xf];
		out[3 * i + 2] = i + 1 < sizeof(d) ? ':' : '\0';
	}
}

/* Combining. */

static bool
same_key(const struct kr_share *a, const struct kr_share *b)
{
	return memcmp(a->h.key_id, b->h.key_id, KR_KEY_ID_BYTES) == 0;
}

static bool
same_set(const struct kr_share *a, const struct kr_share *b)
{
	return memcmp(a->h.set_id, b->h.set_id, KR_SET_ID_BYTES) == 0;
}

static bool
same_epoch(const struct kr_share *a, const struct kr_share *b)
{
	return a->h.epoch == b->h.epoch;
}

static bool
same_shape(const struct kr_share *a, const struct kr_share *b)
{
	return a->h.m == b->h.m && a->h.n == b->h.n;
}

/*
 * Finds a share that disagrees with the value most shares hold (ties go
 * to the earliest share).  Returns its index, or k if all agree; *ref is
 * a share holding the majority value.
 */
static size_t
odd_one_out(struct kr_share *const *s, size_t k,
    bool (*same)(const struct kr_share *, const struct kr_share *),
    size_t *ref)
{
	size_t	 i, j, votes, best = 0;

	*ref = 0;
	for (i = 0; i < k; i++) {
		for (votes = 0, j = 0; j < k; j++)
			votes += same(s[i], s[j]);
		if (votes > best) {
			best = votes;
			*ref = i;
		}
	}
	for (i = 0; i < k; i++) {
		if (!same(s[i], s[*ref]))
			return i;
	}
	return k;
}

/* All shares are of one key, one share set and one epoch. */
static int
combine_one_set(struct kr_share *const *s, size_t k, struct kr_err *err)
{
	char	 a[ID_HEX_BYTES], b[ID_HEX_BYTES];
	size_t	 i, r;

	if ((i = odd_one_out(s, k, same_key, &r)) < k) {
		kr_hex_encode(a, s[i]->h.key_id, KR_KEY_ID_BYTES);
		kr_hex_encode(b, s[r]->h.key_id, KR_KEY_ID_BYTES);
		return kr_err_set(err, KR_EINPUT, "share file %s (custodian "
		    "'%s') is a share of key %s, not of key %s like share "
		    "file %s (custodian '%s'): leave out the share of the "
		    "other key", s[i]->label, s[i]->h.custodian, a, b,
		    s[r]->label, s[r]->h.custodian);
	}
	if ((i = odd_one_out(s, k, same_set, &r)) < k) {
		kr_hex_encode(a, s[i]->h.set_id, KR_SET_ID_BYTES);
		kr_hex_encode(b, s[r]->h.set_id, KR_SET_ID_BYTES);
		return kr_err_set(err, KR_EINPUT, "share file %s (custodian "
		    "'%s') belongs to share set %s, not to share set %s like "
		    "share file %s (custodian '%s'): shares of different sets "
		    "cannot be combined", s[i]->label, s[i]->h.custodian, a,
		    b, s[r]->label, s[r]->h.custodian);
	}
	if ((i = odd_one_out(s, k, same_epoch, &r)) < k)
		return kr_err_set(err, KR_EINPUT, "share file %s (custodian "
		    "'%s') is from epoch %u, not epoch %u like share file %s "
		    "(custodian '%s'): shares of different epochs cannot be "
		    "combined; a reshare retired the older one",
		    s[i]->label, s[i]->h.custodian, s[i]->h.epoch,
		    s[r]->h.epoch, s[r]->label, s[r]->h.custodian);
	if ((i = odd_one_out(s, k, same_shape, &r)) < k)
		return kr_err_set(err, KR_EINPUT, "share file %s (custodian "
		    "'%s') says %u of %u, but share file %s (custodian '%s') "
		    "says %u of %u: one of them is damaged or forged",
		    s[i]->label, s[i]->h.custodian, s[i]->h.m, s[i]->h.n,
		    s[r]->label, s[r]->h.custodian, s[r]->h.m, s[r]->h.n);
	return KR_OK;
}

/* Each share usable, and each custodian and x present once. */
static int
combine_distinct(struct kr_share *const *s, size_t k, struct kr_err *err)
{
	size_t	 i, j;

	for (i = 0; i < k; i++) {
		if (s[i]->h.x < 1 || s[i]->h.x > s[i]->h.n)
			return kr_err_set(err, KR_EINPUT, "share file %s "
			    "(custodian '%s') holds share x = %u, outside 1 "
			    "to %u: the file is damaged or forged",
			    s[i]->label, s[i]->h.custodian, s[i]->h.x,
			    s[i]->h.n);
		if (s[i]->y == NULL)
			return kr_err_set(err, KR_EINTERNAL, "share file %s "
			    "(custodian '%s') was not opened with its "
			    "passphrase", s[i]->label, s[i]->h.custodian);
		for (j = 0; j < i; j++) {
			if (strcmp(s[i]->h.custodian, s[j]->h.custodian) == 0)
				return kr_err_set(err, KR_EINPUT, "share of "
				    "custodian '%s' given twice (files %s and "
				    "%s)", s[i]->h.custodian, s[j]->label,
				    s[i]->label);
			if (s[i]->h.x == s[j]->h.x)
				return kr_err_set(err, KR_EINPUT, "share "
				    "files %s (custodian '%s') and %s "
				    "(custodian '%s') both hold share x = %u: "
				    "one of them is damaged or forged",
				    s[j]->label, s[j]->h.custodian,
				    s[i]->label, s[i]->h.custodian, s[i]->h.x);
		}
	}
	return KR_OK;
}

int
kr_share_combine(struct kr_share *const *s, size_t k, uint8_t *secret,
    struct kr_err *err)
{
	uint8_t		 xs[KR_CUSTODIANS_MAX];
	const uint8_t	*ys[KR_CUSTODIANS_MAX];
	size_t		 i, m;
	int		 ret = KR_EINTERNAL;

	if (s == NULL || k == 0)
		return kr_err_set(err, KR_EQUORUM, "no share was presented: "
		    "the quorum's custodians must present their shares");
	if (k > KR_CUSTODIANS_MAX)
		return kr_err_set(err, KR_EINPUT, "%zu shares were given, "
		    "more than a share set can hold (%d)", k,
		    KR_CUSTODIANS_MAX);
	for (i = 0; i < k; i++) {
		if (s[i] == NULL)
			return kr_err_set(err, KR_EINTERNAL, "share %zu of %zu "
			    "is missing", i + 1, k);
	}
	if ((ret = combine_one_set(s, k, err)) != KR_OK ||
	    (ret = combine_distinct(s, k, err)) != KR_OK)
		return ret;
	if (k < (m = s[0]->h.m))
		return kr_err_set(err, KR_EQUORUM, "%zu of the %zu shares "
		    "needed: %zu more custodian%s must present a share", k, m,
		    m - k, m - k == 1 ? "" : "s");
	for (i = 0; i < k; i++) {
		xs[i] = s[i]->h.x;
		ys[i] = s[i]->y;
	}
	if (kr_shamir_combine(xs, ys, k, KR_QUORUM_SECRET_BYTES, secret) !=
	    KR_OK)
		return kr_err_set(err, KR_EINTERNAL, "combining %zu checked "
		    "shares failed", k);
	return KR_OK;
}
