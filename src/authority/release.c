/*
 * Outputs: checked before the quorum is asked, and written again from
 * the records when a write failed after recording.
 *
 *   cert show SERIAL --out FILE    the certificate's DER in the inventory
 *   crl show ISSUER N --out FILE   the copy in the state folder's crls/
 *   sign show ID --out FILE        the bytes the signature released
 *
 * Each reads the recorded bytes, checks them against the SHA-256 the
 * record holds, and writes them through media/ after the same output
 * checks as the signing operations.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

int
kr_out_check(struct kr_appliance *app, enum kr_artifact type,
    const char *path, uint64_t size, struct kr_err *err)
{
	struct kr_media_plan	*plan;
	int			 ret;

	if (path == NULL)
		return kr_err_set(err, KR_EUSAGE, "give --out FILE");
	if ((plan = malloc(sizeof(*plan))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_media_plan_init(plan, app->dir, err)) == KR_OK)
		ret = kr_media_plan_add(plan, type, path, size, err);
	free(plan);
	return ret;
}

int
kr_out_failed(struct kr_err *err, const char *fmt, ...)
{
	char	head[KR_ERR_MSG_MAX], orig[KR_ERR_MSG_MAX];
	va_list	ap;

	(void)snprintf(orig, sizeof(orig), "%s", err->msg);
	va_start(ap, fmt);
	(void)vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	return kr_err_set(err, err->code != KR_OK ? err->code : KR_EIO,
	    "%s The write failed: %s", head, orig);
}

static int
kr_sha256_hex_check(const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, const char *want, bool *match)
{
	struct kr_hash	h;
	uint8_t		dig[32];
	char		hex[65];
	int		ret;

	if ((ret = kr_hash_init(&h, KR_HASH_SHA256)) != KR_OK)
		return ret;
	if (alen > 0)
		kr_hash_update(&h, a, alen);
	if (blen > 0)
		kr_hash_update(&h, b, blen);
	kr_hash_final(&h, dig);
	kr_hex_encode(hex, dig, sizeof(dig));
	*match = strcmp(hex, want) == 0;
	return KR_OK;
}

/* PEM (text) or DER bytes of one artifact, written after the checks. */
static int
kr_release_der(struct kr_appliance *app, enum kr_artifact type,
    const char *label, const uint8_t *der, size_t len, bool pem,
    const char *out, struct kr_err *err)
{
	char	*text = NULL;
	int	 ret;

	if (pem && (text = kr_pem_encode(label, der, len)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_out_check(app, type, out, pem ? strlen(text) : len,
	    err)) == KR_OK)
		ret = kr_media_write(type, out, pem ? (const void *)text : der,
		    pem ? strlen(text) : len, KR_FILE_NOREPLACE, err);
	free(text);
	return ret;
}

struct kr_cert_pick {
	struct kr_cert_rec	rec;
	size_t			found;
};

static int
kr_cert_pick_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_cert_pick	*p = arg;

	if (p->found++ == 0) {
		p->rec = *c;
		((struct kr_cert_rec *)c)->der = NULL;
		((struct kr_cert_rec *)c)->subject_der = NULL;
		((struct kr_cert_rec *)c)->issuer_der = NULL;
	}
	return 0;
}

int
kr_authority_cert_release(struct kr_appliance *app, const char *serial,
    const char *out, bool der, struct kr_err *err)
{
	struct kr_cert_pick	p;
	bool			match = false;
	int			ret;

	memset(&p, 0, sizeof(p));
	if ((ret = kr_store_cert_by_serial(app->store, serial, kr_cert_pick_cb,
	    &p, err)) != KR_OK)
		goto out;
	if (p.found != 1) {
		ret = kr_err_set(err, p.found == 0 ? KR_ENOENT : KR_EREFUSED,
		    p.found == 0 ? "no certificate with serial %s was issued "
		    "here: `keyrite cert list` shows them" : "serial %s was "
		    "issued by more than one key here: nothing was written",
		    serial);
		goto out;
	}
	if ((ret = kr_sha256_hex_check(p.rec.der, p.rec.der_len, NULL, 0,
	    p.rec.sha256, &match)) != KR_OK)
		goto out;
	if (!match) {
		ret = kr_err_set(err, KR_EVERIFY, "the recorded certificate %s "
		    "does not have the SHA-256 recorded for it: the database was "
		    "altered; nothing was written", serial);
		goto out;
	}
	ret = kr_release_der(app, KR_ART_CERTIFICATE, "CERTIFICATE", p.rec.der,
	    p.rec.der_len, !der, out, err);
out:
	kr_store_cert_clear(&p.rec);
	return ret;
}

int
kr_authority_crl_release(struct kr_appliance *app, const char *issuer,
    int64_t number, const char *out, bool pem, struct kr_err *err)
{
	struct kr_key_rec	 k;
	struct kr_crl_rec	 c;
	uint8_t			*der = NULL;
	size_t			 len;
	int			 ret;

	if ((ret = kr_store_key_get(app->store, issuer, &k, err)) != KR_OK)
		return ret;
	ret = kr_store_crl_get(app->store, k.id, number, &c, err);
	if (ret == KR_ENOENT)
		return kr_err_set(err, KR_ENOENT, "no CRL number %lld of '%s' is "
		    "recorded", (long long)number, issuer);
	if (ret != KR_OK)
		return ret;
	if ((ret = kr_crl_copy_read(app, k.name, &c, &der, &len, err)) !=
	    KR_OK)
		return kr_err_prefix(err, "nothing was written: ");
	ret = kr_release_der(app, KR_ART_CRL, "X509 CRL", der, len, pem, out,
	    err);
	free(der);
	return ret;
}

static int
kr_hash_from_name(const char *name, enum kr_hash_alg *out)
{
	static const enum kr_hash_alg	 algs[] = { KR_HASH_SHA256,
					    KR_HASH_SHA384, KR_HASH_SHA512,
					    KR_HASH_BLAKE2B512 };
	size_t				 i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(kr_hash_name(algs[i]), name) == 0) {
			*out = algs[i];
			return KR_OK;
		}
	return KR_EINPUT;
}

/* The recorded output of an image signature, rebuilt as a result. */
static int
kr_sign_result_from(const struct kr_signature_rec *r, struct kr_fw_result *fr,
    struct kr_err *err)
{
	memset(fr, 0, sizeof(*fr));
	if (kr_fw_format_from_name(r->format, &fr->format) != KR_OK ||
	    kr_hash_from_name(r->digest_alg, &fr->digest_alg) != KR_OK ||
	    strlen(r->digest) != 2 * kr_hash_len(fr->digest_alg) ||
	    kr_hex_decode(fr->digest, kr_hash_len(fr->digest_alg),
	    r->digest) != KR_OK || r->out_copy_off < 0 ||
	    r->out_copy_len < 0 || r->out_img_off < 0)
		return kr_err_set(err, KR_ESTATE, "signature %lld has a "
		    "malformed record: nothing was written", (long long)r->id);
	fr->digest_len = kr_hash_len(fr->digest_alg);
	fr->img_off = (uint64_t)r->out_img_off;
	fr->img_len = (uint64_t)r->image_size;
	fr->copy_off = (uint64_t)r->out_copy_off;
	fr->copy_len = (uint64_t)r->out_copy_len;
	fr->head = r->out_head;
	fr->head_len = r->out_head_len;
	fr->tail = r->out_tail;
	fr->tail_len = r->out_tail_len;
	fr->out_len = fr->head_len + fr->copy_len + fr->tail_len;
	(void)snprintf(fr->image_name, sizeof(fr->image_name), "%s",
	    r->image_name);
	return KR_OK;
}

static int
kr_sign_release_checked(struct kr_appliance *app,
    const struct kr_signature_rec *r, const char *in, const char *out,
    struct kr_err *err)
{
	struct kr_fw_result	fr;
	int			ret;

	if ((ret = kr_sign_result_from(r, &fr, err)) != KR_OK)
		return ret;
	if (fr.copy_len == 0 && in != NULL)
		return kr_err_set(err, KR_EUSAGE, "signature %lld is a detached "
		    "%s signature: its file is kept whole, give no --in",
		    (long long)r->id, r->format);
	if (fr.copy_len > 0 && in == NULL)
		return kr_err_set(err, KR_EUSAGE, "signature %lld is a %s image "
		    "(%s, %lld bytes): keyrite keeps what it added, not the "
		    "image; give --in IMAGE, the image it signed (its %s digest "
		    "is checked against the record)", (long long)r->id,
		    r->format, r->image_name, (long long)r->image_size,
		    r->digest_alg);
	if ((ret = kr_out_check(app, fr.copy_len > 0 ? KR_ART_SIGNED_IMAGE :
	    KR_ART_SIGNATURE, out, fr.out_len, err)) != KR_OK)
		return ret;
	return kr_sign_output_write(&fr, in, out, NULL, NULL, err);
}

int
kr_authority_sign_release(struct kr_appliance *app, int64_t id,
    const char *in, const char *out, struct kr_err *err)
{
	struct kr_signature_rec	*r;
	bool			 match = false;
	int			 ret;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_store_signature_get(app->store, id, r, err);
	if (ret == KR_ENOENT)
		ret = kr_err_set(err, KR_ENOENT, "no signature %lld is recorded: "
		    "`keyrite audit show` lists the sign.firmware and sign.batch "
		    "events with their signature ids", (long long)id);
	if (ret != KR_OK)
		goto out;
	if (r->kept_sha256[0] == '\0') {
		ret = kr_err_set(err, KR_EREFUSED, "signature %lld was recorded "
		    "before keyrite kept the bytes it released: its output "
		    "cannot be written again; sign %s again", (long long)id,
		    r->image_name);
		goto out;
	}
	if ((ret = kr_sha256_hex_check(r->out_head, r->out_head_len,
	    r->out_tail, r->out_tail_len, r->kept_sha256, &match)) != KR_OK)
		goto out;
	if (!match) {
		ret = kr_err_set(err, KR_EVERIFY, "the bytes kept for signature "
		    "%lld do not have the SHA-256 recorded for them: the database "
		    "was altered; nothing was written", (long long)id);
		goto out;
	}
	ret = kr_sign_release_checked(app, r, in, out, err);
out:
	kr_store_signature_clear(r);
	free(r);
	return ret;
}
