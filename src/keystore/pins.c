/*
 * Token PIN files: the SO and user PINs of a token keyrite initialised,
 * sealed under the quorum secret like a sealed key.  The format is in
 * docs/pkcs11.md (section "The PIN file").
 *
 *   magic "KRTKPINS" | version u16 | key id[16] | name len u8 | name |
 *   token label len u8 | token label | token serial len u8 | serial |
 *   set id[16] | epoch u32 | created i64 | nonce[24] | ct len u32 |
 *   ciphertext[ct len]
 *
 * Everything before the ciphertext is associated data.  The plaintext is
 *   SO PIN len u8 | SO PIN | user PIN len u8 | user PIN
 */
#include <stdlib.h>
#include <string.h>

#include <keyrite/keystore.h>

#include "keystore_int.h"
#include "pkcs11_int.h"

#define PT_MIN	4				/* two 1-byte PINs */
#define PT_MAX	(2 + 2 * KR_P11_PIN_MAX)

struct pins_layout {
	size_t		 aad_len;
	const uint8_t	*nonce;
	const uint8_t	*ct;
	size_t		 ct_len;
};

int
kr_pins_key_derive(const uint8_t *qsecret, const uint8_t *key_id,
    uint8_t *out)
{
	return kr_qseal_derive(qsecret, KR_PINS_INFO, key_id, out);
}

/* A token label or serial: printable, no NUL, within its length. */
static bool
text_ok(const char *s, size_t lo, size_t hi)
{
	size_t	i, n = strlen(s);

	if (n < lo || n > hi)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int
fields_check(const struct kr_pins_header *h, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_key_name_check(h->name, err)) != KR_OK)
		return ret;
	if (!text_ok(h->token_label, 1, KR_P11_LABEL_MAX))
		return kr_err_set(err, KR_EINPUT, "the token label must be 1 "
		    "to %d printable characters", KR_P11_LABEL_MAX);
	if (!text_ok(h->token_serial, 0, KR_P11_SERIAL_MAX))
		return kr_err_set(err, KR_EINPUT, "the token serial must be at "
		    "most %d printable characters", KR_P11_SERIAL_MAX);
	if (h->created < 0)
		return kr_err_set(err, KR_EINPUT, "the creation time is "
		    "before 1970");
	return KR_OK;
}

static void
put_text(struct kr_buf *b, const char *s)
{
	size_t	n = strlen(s);

	kr_buf_put_u8(b, (uint8_t)n);
	kr_buf_put(b, s, n);
}

static void
header_put(struct kr_buf *b, const struct kr_pins_header *h,
    const uint8_t *nonce, uint32_t ct_len)
{
	kr_buf_put(b, KR_PINS_MAGIC, KR_PINS_MAGIC_BYTES);
	kr_buf_put_u16(b, KR_PINS_VERSION);
	kr_buf_put(b, h->key_id, KR_KEY_ID_BYTES);
	put_text(b, h->name);
	put_text(b, h->token_label);
	put_text(b, h->token_serial);
	kr_buf_put(b, h->set_id, KR_SET_ID_BYTES);
	kr_buf_put_u32(b, h->epoch);
	kr_buf_put_u64(b, (uint64_t)h->created);
	kr_buf_put(b, nonce, KR_AEAD_NONCE_BYTES);
	kr_buf_put_u32(b, ct_len);
}

static bool
pin_ok(const char *pin)
{
	return pin[0] != '\0' && strlen(pin) <= KR_P11_PIN_MAX;
}

/* The plaintext, in secure memory. */
static void
plain_put(struct kr_buf *b, const struct kr_p11_pins *pins)
{
	put_text(b, pins->so);
	put_text(b, pins->user);
}

static int
seal(const struct kr_pins_header *h, const struct kr_buf *pt,
    const uint8_t *qsecret, uint8_t **out, size_t *outlen,
    struct kr_err *err)
{
	struct kr_buf	 aad;
	uint8_t		 nonce[KR_AEAD_NONCE_BYTES];
	int		 ret = KR_EINTERNAL;

	kr_buf_init(&aad, false);
	kr_random(nonce, sizeof(nonce));
	header_put(&aad, h, nonce, (uint32_t)(pt->len + KR_AEAD_TAG_BYTES));
	if ((ret = kr_buf_status(&aad, err)) != KR_OK)
		goto out;
	ret = kr_qseal_encrypt(qsecret, KR_PINS_INFO, h->key_id, aad.p, aad.len,
	    nonce, pt->p, pt->len, out, outlen);
	if (ret == KR_ENOMEM)
		(void)kr_err_set(err, ret, "out of memory");
	else if (ret != KR_OK)
		ret = kr_err_set(err, KR_ECRYPTO, "sealing the PINs of token "
		    "'%s' failed", h->token_label);
out:
	kr_buf_free(&aad);
	return ret;
}

int
kr_pins_seal(struct kr_pins_header *h, const struct kr_p11_pins *pins,
    const uint8_t *qsecret, uint8_t **out, size_t *outlen,
    struct kr_err *err)
{
	struct kr_buf	pt;
	int		ret = KR_EINTERNAL;

	*out = NULL;
	*outlen = 0;
	if (h == NULL || pins == NULL || qsecret == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no PINs or quorum secret "
		    "were given (bug: report it)");
	if ((ret = fields_check(h, err)) != KR_OK)
		return kr_err_prefix(err, "token PIN file: ");
	if (!pin_ok(pins->so) || !pin_ok(pins->user))
		return kr_err_set(err, KR_EINPUT, "token PIN file for '%s': a "
		    "PIN must be 1 to %d characters", h->token_label,
		    KR_P11_PIN_MAX);
	h->version = KR_PINS_VERSION;
	kr_buf_init(&pt, true);
	plain_put(&pt, pins);
	if ((ret = kr_buf_status(&pt, err)) == KR_OK)
		ret = seal(h, &pt, qsecret, out, outlen, err);
	kr_buf_free(&pt);
	return ret;
}

static int
truncated(struct kr_err *err, const char *label, const char *field)
{
	return kr_err_set(err, KR_EINPUT, "token PIN file %s is truncated: it "
	    "ends inside the %s", label, field);
}

/* A length-prefixed text field of lo..hi bytes into dst[hi + 1]. */
static int
get_text(struct kr_rd *rd, const char *label, const char *field, size_t lo,
    size_t hi, char *dst, struct kr_err *err)
{
	size_t	n = kr_rd_u8(rd);

	if (rd->bad)
		return truncated(err, label, field);
	if (n < lo || n > hi)
		return kr_err_set(err, KR_EINPUT, "token PIN file %s: the %s "
		    "length %zu is out of range (%zu..%zu)", label, field, n,
		    lo, hi);
	kr_rd_copy(rd, dst, n);
	if (rd->bad)
		return truncated(err, label, field);
	dst[n] = '\0';
	if (strlen(dst) != n)
		return kr_err_set(err, KR_EINPUT, "token PIN file %s: the %s "
		    "holds a NUL byte", label, field);
	return KR_OK;
}

static int
parse_start(struct kr_rd *rd, const char *label, struct kr_pins_header *h,
    struct kr_err *err)
{
	const uint8_t	*magic;

	if (rd->len > KR_PINS_FILE_MAX)
		return kr_err_set(err, KR_EINPUT, "token PIN file %s is %zu "
		    "bytes; a PIN file is at most %d", label, rd->len,
		    KR_PINS_FILE_MAX);
	magic = kr_rd_bytes(rd, KR_PINS_MAGIC_BYTES);
	if (rd->bad || memcmp(magic, KR_PINS_MAGIC, KR_PINS_MAGIC_BYTES) != 0)
		return kr_err_set(err, KR_EINPUT, "%s is not a keyrite token "
		    "PIN file (bad magic)", label);
	h->version = kr_rd_u16(rd);
	if (rd->bad)
		return truncated(err, label, "format version");
	if (h->version != KR_PINS_VERSION)
		return kr_err_set(err, KR_EINPUT, "token PIN file %s has "
		    "format version %u; this keyrite reads version %d", label,
		    h->version, KR_PINS_VERSION);
	return KR_OK;
}

static int
parse_fields(struct kr_rd *rd, const char *label, struct kr_pins_header *h,
    struct kr_err *err)
{
	int	ret;

	kr_rd_copy(rd, h->key_id, KR_KEY_ID_BYTES);
	if (rd->bad)
		return truncated(err, label, "key id");
	if ((ret = get_text(rd, label, "key name", 1, KR_KEY_NAME_MAX,
	    h->name, err)) != KR_OK ||
	    (ret = get_text(rd, label, "token label", 1, KR_P11_LABEL_MAX,
	    h->token_label, err)) != KR_OK ||
	    (ret = get_text(rd, label, "token serial", 0, KR_P11_SERIAL_MAX,
	    h->token_serial, err)) != KR_OK)
		return ret;
	kr_rd_copy(rd, h->set_id, KR_SET_ID_BYTES);
	h->epoch = kr_rd_u32(rd);
	h->created = (int64_t)kr_rd_u64(rd);
	if (rd->bad)
		return truncated(err, label, "share set fields");
	if ((ret = fields_check(h, err)) != KR_OK)
		return kr_err_prefix(err, "token PIN file %s: ", label);
	return KR_OK;
}

static int
parse_tail(struct kr_rd *rd, const char *label, struct pins_layout *lay,
    struct kr_err *err)
{
	lay->nonce = kr_rd_bytes(rd, KR_AEAD_NONCE_BYTES);
	lay->ct_len = kr_rd_u32(rd);
	if (rd->bad)
		return truncated(err, label, "nonce or ciphertext length");
	lay->aad_len = rd->off;
	if (lay->ct_len < PT_MIN + KR_AEAD_TAG_BYTES ||
	    lay->ct_len > PT_MAX + KR_AEAD_TAG_BYTES)
		return kr_err_set(err, KR_EINPUT, "token PIN file %s: the "
		    "sealed PINs are %zu bytes, out of range (%d..%d)", label,
		    lay->ct_len, PT_MIN + KR_AEAD_TAG_BYTES,
		    PT_MAX + KR_AEAD_TAG_BYTES);
	if (kr_rd_left(rd) < lay->ct_len)
		return truncated(err, label, "sealed PINs");
	if (kr_rd_left(rd) > lay->ct_len)
		return kr_err_set(err, KR_EINPUT, "token PIN file %s has %zu "
		    "unexpected bytes after the sealed PINs", label,
		    kr_rd_left(rd) - lay->ct_len);
	lay->ct = kr_rd_bytes(rd, lay->ct_len);
	return KR_OK;
}

static int
pins_parse(const uint8_t *file, size_t len, const char *label,
    struct kr_pins_header *h, struct pins_layout *lay, struct kr_err *err)
{
	struct kr_rd	rd;
	int		ret;

	memset(h, 0, sizeof(*h));
	memset(lay, 0, sizeof(*lay));
	if (file == NULL || label == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no token PIN file was "
		    "given (bug: report it)");
	kr_rd_init(&rd, file, len);
	if ((ret = parse_start(&rd, label, h, err)) != KR_OK ||
	    (ret = parse_fields(&rd, label, h, err)) != KR_OK)
		return ret;
	return parse_tail(&rd, label, lay, err);
}

int
kr_pins_parse_header(const uint8_t *file, size_t len, const char *label,
    struct kr_pins_header *h, struct kr_err *err)
{
	struct pins_layout	lay;

	if (h == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no header to fill (bug: "
		    "report it)");
	return pins_parse(file, len, label, h, &lay, err);
}

/* The decrypted plaintext into the PIN struct. */
static int
plain_get(const uint8_t *pt, size_t len, const char *label,
    struct kr_p11_pins *pins, struct kr_err *err)
{
	struct kr_rd	rd;
	int		ret;

	kr_rd_init(&rd, pt, len);
	if ((ret = get_text(&rd, label, "SO PIN", 1, KR_P11_PIN_MAX, pins->so,
	    err)) != KR_OK ||
	    (ret = get_text(&rd, label, "user PIN", 1, KR_P11_PIN_MAX,
	    pins->user, err)) != KR_OK)
		return ret;
	if (kr_rd_left(&rd) != 0)
		return kr_err_set(err, KR_EINPUT, "token PIN file %s: bytes "
		    "after the user PIN", label);
	return KR_OK;
}

static int
unseal(const uint8_t *file, const struct pins_layout *lay,
    const char *label, const struct kr_pins_header *h,
    const uint8_t *qsecret, struct kr_p11_pins *pins, struct kr_err *err)
{
	uint8_t	*pt = NULL;
	size_t	 plen = lay->ct_len - KR_AEAD_TAG_BYTES;
	int	 ret;

	ret = kr_qseal_decrypt(qsecret, KR_PINS_INFO, h->key_id, file,
	    lay->aad_len, lay->nonce, lay->ct, lay->ct_len, &pt);
	if (ret == KR_EVERIFY)
		return kr_err_set(err, ret, "token PIN file %s could not be "
		    "opened with this quorum secret: the file was altered or "
		    "the shares belong to another key", label);
	if (ret == KR_ENOMEM)
		return kr_err_set(err, ret, "out of secure memory");
	if (ret != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "token PIN file %s: "
		    "deriving its key failed", label);
	ret = plain_get(pt, plen, label, pins, err);
	kr_wipe(pt, plen);
	kr_secure_free(pt);
	return ret;
}

int
kr_pins_open(const uint8_t *file, size_t len, const char *label,
    const uint8_t *qsecret, struct kr_pins_header *hout,
    struct kr_p11_pins **out, struct kr_err *err)
{
	struct kr_pins_header	 h;
	struct pins_layout	 lay;
	struct kr_p11_pins	*pins = NULL;
	int			 ret = KR_EINTERNAL;

	*out = NULL;
	if (qsecret == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no quorum secret was "
		    "given (bug: report it)");
	if ((ret = pins_parse(file, len, label, &h, &lay, err)) != KR_OK)
		return ret;
	if ((pins = kr_p11_pins_new()) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	if ((ret = unseal(file, &lay, label, &h, qsecret, pins, err)) !=
	    KR_OK) {
		kr_p11_pins_free(&pins);
		return ret;
	}
	if (hout != NULL)
		*hout = h;
	*out = pins;
	return KR_OK;
}

int
kr_pins_rewrap(const uint8_t *file, size_t len, const char *label,
    const uint8_t *old_qsecret, const struct kr_rewrap_set *set,
    const uint8_t *new_qsecret, uint8_t **out, size_t *outlen,
    struct kr_err *err)
{
	struct kr_pins_header	 h;
	struct kr_p11_pins	*pins = NULL;
	int			 ret;

	*out = NULL;
	*outlen = 0;
	if ((ret = kr_pins_open(file, len, label, old_qsecret, &h, &pins,
	    err)) != KR_OK)
		return ret;
	memcpy(h.set_id, set->set_id, sizeof(h.set_id));
	h.epoch = set->epoch;
	ret = kr_pins_seal(&h, pins, new_qsecret, out, outlen, err);
	kr_p11_pins_free(&pins);
	return ret;
}
