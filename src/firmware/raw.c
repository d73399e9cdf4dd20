/*
 * The entry points every format shares (format names, signing context,
 * results, verify after sign) and the raw format: a detached signature
 * over the image, as `openssl dgst -verify` and `openssl pkeyutl -verify
 * -rawin` check it.
 *
 *   ECDSA   DER Ecdsa-Sig-Value over SHA-256 (P-256) or SHA-384 (P-384)
 *   RSA     PKCS#1 v1.5, or PSS (MGF1 with the same hash, salt = hash
 *           length), over SHA-256 unless the algorithm names another
 *   Ed25519 pure Ed25519 over the whole image (held in memory, at most
 *           KR_FW_PURE_MAX bytes)
 */
#include <stdlib.h>
#include <string.h>

#include "firmware_int.h"

static const struct {
	enum kr_fw_format	 format;
	const char		*name;
} kr_fw_formats[] = {
	{ KR_FW_RAW,		"raw" },
	{ KR_FW_MINISIGN,	"minisign" },
	{ KR_FW_MCUBOOT,	"mcuboot" },
	{ KR_FW_RAUC,		"rauc" },
	{ KR_FW_CMS,		"cms" },
};

#define KR_FW_NFORMATS	(sizeof(kr_fw_formats) / sizeof(kr_fw_formats[0]))

const char *
kr_fw_format_name(enum kr_fw_format f)
{
	size_t	i;

	for (i = 0; i < KR_FW_NFORMATS; i++)
		if (kr_fw_formats[i].format == f)
			return kr_fw_formats[i].name;
	return NULL;
}

/*
 * Detached outputs are bounded by what they carry; images are the input
 * plus a header (MCUboot, up to 64 KiB) and a trailer of TLVs or a CMS.
 */
uint64_t
kr_fw_output_bound(const struct kr_fw_opts *o, uint64_t in_size)
{
	uint64_t	cms = 8192 + (uint64_t)o->cert_len + o->chain_len;

	switch (o->format) {
	case KR_FW_RAW:
		return KR_SIG_MAX_BYTES;
	case KR_FW_MINISIGN:
		return 1024 + 2 * (KR_FW_COMMENT_MAX + KR_FW_NAME_MAX);
	case KR_FW_CMS:
		return cms;
	case KR_FW_RAUC:
		return in_size + cms;
	case KR_FW_MCUBOOT:
		return in_size + 65536 + 8192;
	}
	return in_size + cms;
}

int
kr_fw_format_from_name(const char *s, enum kr_fw_format *f)
{
	size_t	i;

	for (i = 0; s != NULL && i < KR_FW_NFORMATS; i++)
		if (strcmp(s, kr_fw_formats[i].name) == 0) {
			*f = kr_fw_formats[i].format;
			return KR_OK;
		}
	return KR_EINPUT;
}

/* ---- shared helpers ---------------------------------------------------- */

enum kr_hash_alg
kr_fw_record_hash(enum kr_sig_alg sa)
{
	enum kr_hash_alg	h = kr_sig_alg_hash(sa);

	return h != 0 ? h : KR_HASH_SHA256;
}

void
kr_fw_set_digest(struct kr_fw_result *r, enum kr_hash_alg alg,
    const uint8_t *md, uint64_t off, uint64_t len)
{
	r->digest_alg = alg;
	r->digest_len = kr_hash_len(alg);
	memcpy(r->digest, md, r->digest_len);
	r->img_off = off;
	r->img_len = len;
}

const char *
kr_fw_key_label(const struct kr_signer *s)
{
	return s->name[0] != '\0' ? s->name : "(unnamed)";
}

int
kr_fw_check_sig(struct kr_fw_ctx *c, enum kr_sig_alg sa, bool digest,
    const uint8_t *msg, size_t msglen, const uint8_t *sig, size_t siglen)
{
	struct kr_signer	*s = c->signer;
	int			 ret;

	ret = kr_sig_verify(sa, s->spki, s->spki_len, msg, msglen, sig,
	    siglen, digest ? KR_VERIFY_DIGEST : 0, c->err);
	if (ret != KR_OK)
		return kr_err_set(c->err, KR_EVERIFY, "image %s: the %s "
		    "signature key '%s' just made does not verify with its "
		    "public key (a fault in the key's device or in memory); "
		    "nothing was released", c->res->image_name,
		    kr_sig_alg_name(sa), kr_fw_key_label(s));
	return KR_OK;
}

int
kr_fw_stream_image(struct kr_fw_ctx *c, uint64_t off, uint64_t len,
    struct kr_fw_sink *sinks, size_t n)
{
	struct kr_fw_stream	st;

	memset(&st, 0, sizeof(st));
	st.in = c->in;
	st.off = off;
	st.len = len;
	st.sinks = sinks;
	st.nsinks = n;
	st.progress = c->opts->progress;
	st.progress_arg = c->opts->progress_arg;
	return kr_fw_stream_run(&st, c->err);
}

/* ---- results ----------------------------------------------------------- */

void
kr_fw_result_free(struct kr_fw_result **rp)
{
	struct kr_fw_result	*r;

	if (rp == NULL || (r = *rp) == NULL)
		return;
	free(r->head);
	free(r->tail);
	free(r);
	*rp = NULL;
}

/* The base name of a path, or the whole label. */
static const char *
base_name(const char *label)
{
	const char	*s = strrchr(label, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : label;
}

static int
set_name(struct kr_fw_result *r, const struct kr_fw_opts *o,
    const struct kr_fw_input *in, struct kr_err *err)
{
	const char	*name = o->image_name != NULL ? o->image_name :
			    base_name(in->label);
	size_t		 len = strlen(name);

	if (len == 0 || len > KR_FW_NAME_MAX)
		return kr_err_set(err, KR_EINPUT, "image %s: an image name "
		    "must have 1 to %d characters", in->label,
		    KR_FW_NAME_MAX);
	memcpy(r->image_name, name, len + 1);
	return KR_OK;
}

static int
check_call(struct kr_signer *s, const struct kr_fw_opts *o,
    struct kr_err *err)
{
	if (s == NULL || o == NULL || s->spki == NULL)
		return kr_err_set(err, KR_EINTERNAL, "firmware signing "
		    "needs a signer and options (bug: report it)");
	if (kr_fw_format_name(o->format) == NULL)
		return kr_err_set(err, KR_EUSAGE, "unknown firmware format "
		    "%d; use raw, minisign, mcuboot, rauc or cms",
		    (int)o->format);
	return kr_signer_require_purpose(s, KR_PURPOSE_FIRMWARE, err);
}

static int
dispatch(struct kr_fw_ctx *c)
{
	switch (c->opts->format) {
	case KR_FW_RAW:
		return kr_fw_do_raw(c);
	case KR_FW_MINISIGN:
		return kr_fw_do_minisign(c);
	case KR_FW_MCUBOOT:
		return kr_fw_do_mcuboot(c);
	case KR_FW_RAUC:
		return kr_fw_do_rauc(c);
	case KR_FW_CMS:
		return kr_fw_do_cms(c);
	}
	return kr_err_set(c->err, KR_EINTERNAL, "unknown format");
}

static int
sign_input(struct kr_signer *s, const struct kr_fw_opts *o,
    struct kr_fw_input *in, bool check, struct kr_fw_result **out,
    struct kr_err *err)
{
	struct kr_fw_ctx	 c;
	struct kr_fw_result	*r;
	int			 ret = KR_EINTERNAL;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	r->format = o->format;
	if ((ret = set_name(r, o, in, err)) != KR_OK)
		goto fail;
	memset(&c, 0, sizeof(c));
	c.signer = s;
	c.opts = o;
	c.in = in;
	c.res = r;
	c.now = o->now != 0 ? o->now : kr_time_now();
	c.err = err;
	c.check = check;
	if ((ret = dispatch(&c)) != KR_OK)
		goto fail;
	r->out_len = r->head_len + r->copy_len + r->tail_len;
	*out = r;
	return KR_OK;
fail:
	kr_fw_result_free(&r);
	return ret;
}

/* A file signed, or with `check` only checked (kr_fw_check_file). */
static int
fw_file(struct kr_signer *s, const struct kr_fw_opts *opts, const char *path,
    bool check, struct kr_fw_result **out, struct kr_err *err)
{
	struct kr_fw_input	in;
	int			ret = KR_EINTERNAL;

	*out = NULL;
	if ((ret = check_call(s, opts, err)) != KR_OK)
		return ret;
	if (path == NULL)
		return kr_err_set(err, KR_EUSAGE, "no image file was given");
	if ((ret = kr_fw_input_open(&in, path, err)) != KR_OK)
		return ret;
	ret = sign_input(s, opts, &in, check, out, err);
	kr_fw_input_close(&in);
	return ret;
}

int
kr_fw_sign_file(struct kr_signer *s, const struct kr_fw_opts *opts,
    const char *path, struct kr_fw_result **out, struct kr_err *err)
{
	return fw_file(s, opts, path, false, out, err);
}

int
kr_fw_check_file(struct kr_signer *s, const struct kr_fw_opts *opts,
    const char *path, struct kr_err *err)
{
	struct kr_fw_result	*r = NULL;
	int			 ret;

	ret = fw_file(s, opts, path, true, &r, err);
	kr_fw_result_free(&r);
	return ret;
}

int
kr_fw_sign_buf(struct kr_signer *s, const struct kr_fw_opts *opts,
    const char *label, const uint8_t *buf, size_t len,
    struct kr_fw_result **out, struct kr_err *err)
{
	struct kr_fw_input	in;
	int			ret = KR_EINTERNAL;

	*out = NULL;
	if ((ret = check_call(s, opts, err)) != KR_OK)
		return ret;
	if ((ret = kr_fw_input_buf(&in, label, buf, len, err)) != KR_OK)
		return ret;
	return sign_input(s, opts, &in, false, out, err);
}

/* ---- raw --------------------------------------------------------------- */

static int
keep_sig(struct kr_fw_ctx *c, enum kr_sig_alg sa, const uint8_t *sig,
    size_t siglen)
{
	struct kr_fw_result	*r = c->res;

	if ((r->head = malloc(siglen)) == NULL)
		return kr_err_set(c->err, KR_ENOMEM, "out of memory");
	memcpy(r->head, sig, siglen);
	r->head_len = siglen;
	memcpy(r->sig, sig, siglen);
	r->sig_len = siglen;
	r->sig_alg = sa;
	return KR_OK;
}

/* ECDSA and RSA: hash streaming, sign the digest. */
static int
raw_hashed(struct kr_fw_ctx *c, enum kr_sig_alg sa)
{
	struct kr_fw_sink	k;
	enum kr_hash_alg	h = kr_sig_alg_hash(sa);
	uint8_t			md[KR_HASH_MAX_BYTES], sig[KR_SIG_MAX_BYTES];
	size_t			siglen = sizeof(sig);
	int			ret = KR_EINTERNAL;

	memset(&k, 0, sizeof(k));
	if ((ret = kr_hash_init(&k.h, h)) != KR_OK)
		return kr_err_set(c->err, ret, "bad hash for %s",
		    kr_sig_alg_name(sa));
	if ((ret = kr_fw_stream_image(c, 0, c->in->size, &k, 1)) != KR_OK)
		goto out;
	kr_hash_final(&k.h, md);
	ret = kr_signer_sign_digest(c->signer, sa, md, kr_hash_len(h), sig,
	    &siglen, c->err);
	if (ret != KR_OK)
		goto out;
	if ((ret = kr_fw_check_sig(c, sa, true, md, kr_hash_len(h), sig,
	    siglen)) != KR_OK)
		goto out;
	kr_fw_set_digest(c->res, h, md, 0, c->in->size);
	ret = keep_sig(c, sa, sig, siglen);
out:
	kr_wipe(&k, sizeof(k));
	return ret;
}

/* Pure Ed25519 needs the whole message: the image is read into memory. */
static int
raw_pure(struct kr_fw_ctx *c, enum kr_sig_alg sa)
{
	uint8_t		*buf = NULL, md[KR_HASH_MAX_BYTES];
	uint8_t		 sig[KR_SIG_MAX_BYTES];
	const uint8_t	*msg;
	size_t		 siglen = sizeof(sig), len;
	int		 ret = KR_EINTERNAL;

	if (c->in->size > KR_FW_PURE_MAX)
		return kr_err_set(c->err, KR_EINPUT, "image %s is %llu "
		    "bytes: a raw Ed25519 signature is made over the whole "
		    "image in memory, and keyrite holds at most %d MiB; use "
		    "--format minisign (Ed25519 over a BLAKE2b-512 hash) or "
		    "mcuboot for a larger image", c->res->image_name,
		    (unsigned long long)c->in->size, KR_FW_PURE_MAX >> 20);
	len = (size_t)c->in->size;
	msg = c->in->buf;
	if (c->in->fd >= 0) {
		if ((buf = malloc(len)) == NULL)
			return kr_err_set(c->err, KR_ENOMEM, "out of memory "
			    "for image %s", c->res->image_name);
		if ((ret = kr_fw_input_pread(c->in, 0, buf, len, c->err)) !=
		    KR_OK || (ret = kr_fw_input_unchanged(c->in, c->err)) !=
		    KR_OK)
			goto out;
		msg = buf;
	}
	if ((ret = kr_hash(KR_HASH_SHA256, msg, len, md)) != KR_OK ||
	    (ret = kr_signer_sign(c->signer, sa, msg, len, sig, &siglen,
	    c->err)) != KR_OK)
		goto out;
	if ((ret = kr_fw_check_sig(c, sa, false, msg, len, sig, siglen)) !=
	    KR_OK)
		goto out;
	kr_fw_set_digest(c->res, KR_HASH_SHA256, md, 0, len);
	ret = keep_sig(c, sa, sig, siglen);
out:
	free(buf);
	return ret;
}

int
kr_fw_do_raw(struct kr_fw_ctx *c)
{
	enum kr_sig_alg	sa = c->opts->sig_alg;

	if (sa == 0)
		sa = kr_sig_alg_default(c->signer->alg);
	if (!kr_sig_alg_fits(sa, c->signer->alg))
		return kr_err_set(c->err, KR_EREFUSED, "key '%s' is a %s key "
		    "and cannot make %s signatures", kr_fw_key_label(c->signer),
		    kr_key_alg_name(c->signer->alg), kr_sig_alg_name(sa));
	if (c->check)
		return KR_OK;
	if (kr_sig_alg_hash(sa) == 0)
		return raw_pure(c, sa);
	return raw_hashed(c, sa);
}
