/*
 * minisign signatures, the prehashed algorithm "ED" that `minisign -V`
 * checks by default:
 *
 *   untrusted comment: <text>
 *   base64("ED" || keynum[8] || Ed25519(BLAKE2b-512(image))[64])
 *   trusted comment: timestamp:<t>\tfile:<name>\thashed[\tversion:<v>]
 *   base64(Ed25519(signature[64] || trusted comment))
 *
 * and the public key file:
 *
 *   untrusted comment: minisign public key <KEYNUM>
 *   base64("Ed" || keynum[8] || public key[32])
 *
 * minisign draws the key number at random when it makes a key; keyrite
 * takes the first 8 bytes of the keyrite key id, so it is fixed by the key
 * and the same on every export.  minisign shows it as a little-endian
 * 64-bit number in upper-case hex.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/der.h>

#include "firmware_int.h"

#define MS_PK_BYTES	32
#define MS_SIG_BYTES	64
#define MS_B2_BYTES	64
#define MS_TRUSTED_MAX	8192	/* minisign's limit */

static int
ed25519_pk(const uint8_t *spki, size_t len, const uint8_t **pk,
    struct kr_err *err)
{
	if (spki == NULL || len != KR_ED25519_SPKI_BYTES ||
	    memcmp(spki, KR_ED25519_SPKI_PREFIX,
	    KR_ED25519_SPKI_PREFIX_BYTES) != 0)
		return kr_err_set(err, KR_EREFUSED, "minisign keys are "
		    "Ed25519 keys; this is not one");
	*pk = spki + KR_ED25519_SPKI_PREFIX_BYTES;
	return KR_OK;
}

void
kr_minisign_keynum(const uint8_t *key_id, uint8_t *out)
{
	memcpy(out, key_id, KR_MINISIGN_KEYNUM_BYTES);
}

static void
keynum_hex(const uint8_t *kn, char *out)
{
	int	i;

	for (i = KR_MINISIGN_KEYNUM_BYTES - 1; i >= 0; i--)
		(void)snprintf(out + 2 * (KR_MINISIGN_KEYNUM_BYTES - 1 - i), 3,
		    "%02X", kn[i]);
}

int
kr_minisign_pubkey(const uint8_t *key_id, const uint8_t *spki, size_t len,
    char **out, struct kr_err *err)
{
	uint8_t		 blob[2 + KR_MINISIGN_KEYNUM_BYTES + MS_PK_BYTES];
	const uint8_t	*pk = NULL;
	char		 hex[2 * KR_MINISIGN_KEYNUM_BYTES + 1], *b64;
	int		 ret, n;

	*out = NULL;
	if ((ret = ed25519_pk(spki, len, &pk, err)) != KR_OK)
		return ret;
	memcpy(blob, "Ed", 2);
	kr_minisign_keynum(key_id, blob + 2);
	memcpy(blob + 2 + KR_MINISIGN_KEYNUM_BYTES, pk, MS_PK_BYTES);
	keynum_hex(blob + 2, hex);
	if ((b64 = kr_base64_encode(blob, sizeof(blob))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	n = asprintf(out, "untrusted comment: minisign public key %s\n%s\n",
	    hex, b64);
	free(b64);
	if (n < 0) {
		*out = NULL;
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	return KR_OK;
}

/* A comment field: printable, no line breaks; tabs only where allowed. */
static int
check_text(const char *what, const char *s, size_t max, bool tabs,
    struct kr_err *err)
{
	const unsigned char	*p;

	if (strlen(s) > max)
		return kr_err_set(err, KR_EINPUT, "the %s is longer than %zu "
		    "bytes", what, max);
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p < 0x20 && !(tabs && *p == '\t')) || *p == 0x7f)
			return kr_err_set(err, KR_EINPUT, "the %s \"%s\" has "
			    "a control character (line break or tab); minisign "
			    "comments are one line", what, s);
	return KR_OK;
}

struct ms_text {
	char	untrusted[KR_FW_COMMENT_MAX + 1];
	char	trusted[MS_TRUSTED_MAX + 1];
};

static int
ms_comments(struct kr_fw_ctx *c, struct ms_text *t)
{
	const struct kr_fw_opts	*o = c->opts;
	int			 ret, n;

	if ((ret = check_text("image name", c->res->image_name,
	    KR_FW_NAME_MAX, false, c->err)) != KR_OK)
		return ret;
	if (o->version != NULL && (ret = check_text("version", o->version,
	    KR_FW_NAME_MAX, false, c->err)) != KR_OK)
		return ret;
	if (o->comment != NULL) {
		if ((ret = check_text("untrusted comment", o->comment,
		    KR_FW_COMMENT_MAX, true, c->err)) != KR_OK)
			return ret;
		(void)snprintf(t->untrusted, sizeof(t->untrusted), "%s",
		    o->comment);
	} else
		(void)snprintf(t->untrusted, sizeof(t->untrusted), "signature "
		    "from keyrite key %s", kr_fw_key_label(c->signer));
	n = snprintf(t->trusted, sizeof(t->trusted), "timestamp:%lld\tfile:"
	    "%s\thashed%s%s", (long long)c->now, c->res->image_name,
	    o->version != NULL ? "\tversion:" : "",
	    o->version != NULL ? o->version : "");
	if (n < 0 || (size_t)n >= sizeof(t->trusted))
		return kr_err_set(c->err, KR_EINPUT, "the trusted comment "
		    "would be too long");
	return KR_OK;
}

/* Signs `msg` with pure Ed25519 and checks the signature. */
static int
ms_sign(struct kr_fw_ctx *c, const uint8_t *msg, size_t len, uint8_t *sig)
{
	size_t	siglen = KR_SIG_MAX_BYTES;
	int	ret;

	if ((ret = kr_signer_sign(c->signer, KR_SIG_ED25519, msg, len, sig,
	    &siglen, c->err)) != KR_OK)
		return ret;
	if (siglen != MS_SIG_BYTES)
		return kr_err_set(c->err, KR_EINTERNAL, "an Ed25519 signature "
		    "of %zu bytes (bug: report it)", siglen);
	return kr_fw_check_sig(c, KR_SIG_ED25519, false, msg, len, sig,
	    siglen);
}

static int
ms_format(struct kr_fw_ctx *c, const struct ms_text *t, const uint8_t *sig,
    const uint8_t *gsig)
{
	uint8_t	 blob[2 + KR_MINISIGN_KEYNUM_BYTES + MS_SIG_BYTES];
	char	*b1, *b2, *text = NULL;
	int	 n = -1;

	memcpy(blob, "ED", 2);
	kr_minisign_keynum(c->signer->key_id, blob + 2);
	memcpy(blob + 2 + KR_MINISIGN_KEYNUM_BYTES, sig, MS_SIG_BYTES);
	b1 = kr_base64_encode(blob, sizeof(blob));
	b2 = kr_base64_encode(gsig, MS_SIG_BYTES);
	if (b1 != NULL && b2 != NULL)
		n = asprintf(&text, "untrusted comment: %s\n%s\ntrusted "
		    "comment: %s\n%s\n", t->untrusted, b1, t->trusted, b2);
	free(b1);
	free(b2);
	if (n < 0)
		return kr_err_set(c->err, KR_ENOMEM, "out of memory");
	c->res->head = (uint8_t *)text;
	c->res->head_len = (size_t)n;
	return KR_OK;
}

/*
 * BLAKE2b-512 of the image: what the signature covers, and the record's
 * digest too, so the image is hashed once (a second hash beside it would
 * cost a tenth more time than `minisign -S` takes).
 */
static int
ms_hash(struct kr_fw_ctx *c, uint8_t *b2)
{
	struct kr_fw_sink	k;
	int			ret;

	memset(&k, 0, sizeof(k));
	if (kr_hash_init(&k.h, KR_HASH_BLAKE2B512) != KR_OK)
		return kr_err_set(c->err, KR_ECRYPTO, "cannot start hashing");
	if ((ret = kr_fw_stream_image(c, 0, c->in->size, &k, 1)) == KR_OK)
		kr_hash_final(&k.h, b2);
	kr_wipe(&k, sizeof(k));
	return ret;
}

int
kr_fw_do_minisign(struct kr_fw_ctx *c)
{
	struct ms_text	 t;
	const uint8_t	*pk = NULL;
	uint8_t		 b2[MS_B2_BYTES];
	uint8_t		 sig[KR_SIG_MAX_BYTES], gsig[KR_SIG_MAX_BYTES];
	uint8_t		 global[MS_SIG_BYTES + MS_TRUSTED_MAX];
	size_t		 tlen;
	int		 ret;

	if (c->signer->alg != KR_KEY_ED25519 || (c->opts->sig_alg != 0 &&
	    c->opts->sig_alg != KR_SIG_ED25519))
		return kr_err_set(c->err, KR_EREFUSED, "minisign signatures "
		    "are Ed25519 signatures; key '%s' is a %s key: use "
		    "--format raw or cms with it, or an Ed25519 key",
		    kr_fw_key_label(c->signer),
		    kr_key_alg_name(c->signer->alg));
	if ((ret = ed25519_pk(c->signer->spki, c->signer->spki_len, &pk,
	    c->err)) != KR_OK || (ret = ms_comments(c, &t)) != KR_OK ||
	    c->check)
		return ret;
	if ((ret = ms_hash(c, b2)) != KR_OK ||
	    (ret = ms_sign(c, b2, sizeof(b2), sig)) != KR_OK)
		return ret;
	tlen = strlen(t.trusted);
	memcpy(global, sig, MS_SIG_BYTES);
	memcpy(global + MS_SIG_BYTES, t.trusted, tlen);
	if ((ret = ms_sign(c, global, MS_SIG_BYTES + tlen, gsig)) != KR_OK)
		return ret;
	kr_fw_set_digest(c->res, KR_HASH_BLAKE2B512, b2, 0, c->in->size);
	memcpy(c->res->sig, sig, MS_SIG_BYTES);
	c->res->sig_len = MS_SIG_BYTES;
	c->res->sig_alg = KR_SIG_ED25519;
	return ms_format(c, &t, sig, gsig);
}
