/*
 * PKI helpers for the tests: see testpki.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testpki.h"

void
tl_sealed_header(struct kr_sealed_header *h, enum kr_key_alg alg,
    enum kr_purpose purpose, const char *name)
{
	memset(h, 0, sizeof(*h));
	(void)snprintf(h->name, sizeof(h->name), "%s", name);
	kr_random(h->key_id, sizeof(h->key_id));
	h->alg = alg;
	h->purpose = purpose;
	kr_random(h->set_id, sizeof(h->set_id));
	h->epoch = 1;
	h->m = 2;
	h->n = 3;
	kr_random(h->dealer_pk, sizeof(h->dealer_pk));
	h->created = kr_time_now();
}

struct kr_signer *
tl_signer_make(enum kr_key_alg alg, enum kr_purpose purpose, const char *name,
    char *errbuf)
{
	uint8_t			 qsecret[KR_QUORUM_SECRET_BYTES];
	struct kr_sealed_header	 h;
	struct kr_signer	*s = NULL;
	struct kr_err		 err;
	uint8_t			*file = NULL;
	size_t			 len;

	kr_random(qsecret, sizeof(qsecret));
	tl_sealed_header(&h, alg, purpose, name);
	kr_err_clear(&err);
	if (kr_sealed_generate(&h, qsecret, &file, &len, &err) != KR_OK ||
	    kr_sealed_open(file, len, h.name, qsecret, &s, &err) != KR_OK) {
		(void)snprintf(errbuf, KR_ERR_MSG_MAX, "%s", err.msg);
		s = NULL;
	}
	free(file);
	kr_wipe(qsecret, sizeof(qsecret));
	return s;
}

#define TL_KEPT_MAX	16

static struct kr_signer	**tl_kept[TL_KEPT_MAX];
static size_t		  tl_nkept;

static void
tl_kept_free(void)
{
	size_t	i;

	for (i = 0; i < tl_nkept; i++)
		kr_signer_free(tl_kept[i]);
}

void
tl_signer_keep(struct kr_signer **sp)
{
	if (tl_nkept == TL_KEPT_MAX)
		abort();
	if (tl_nkept == 0 && atexit(tl_kept_free) != 0)
		abort();
	tl_kept[tl_nkept++] = sp;
}

int
tl_dn(uint8_t *out, size_t *outlen, const char *s, struct kr_err *err)
{
	uint8_t	*der = NULL;
	size_t	 len;
	int	 ret;

	if ((ret = kr_dn_encode(s, &der, &len, err)) != KR_OK)
		return ret;
	if (len > KR_NAME_DER_MAX) {
		free(der);
		return kr_err_set(err, KR_EINPUT, "%s: %zu bytes of DER", s,
		    len);
	}
	memcpy(out, der, len);
	*outlen = len;
	free(der);
	return KR_OK;
}

void
tl_set_name(uint8_t *out, size_t *outlen, const char *s)
{
	struct kr_err	err;

	kr_err_clear(&err);
	ck_assert_msg(tl_dn(out, outlen, s, &err) == KR_OK, "%s: %s", s,
	    err.msg);
}

int
tl_cert_sign(const struct kr_cert_fields *f, struct kr_signer *s,
    uint8_t **out, size_t *len, struct kr_err *err)
{
	uint8_t	*tbs = NULL, sig[KR_SIG_MAX_BYTES];
	size_t	 tbslen, siglen = sizeof(sig);
	int	 ret;

	*out = NULL;
	if ((ret = kr_tbs_build(f, &tbs, &tbslen, err)) == KR_OK &&
	    (ret = kr_signer_sign(s, f->sig_alg, tbs, tbslen, sig, &siglen,
	    err)) == KR_OK &&
	    (ret = kr_sig_verify(f->sig_alg, s->spki, s->spki_len, tbs,
	    tbslen, sig, siglen, 0, err)) == KR_OK)
		ret = kr_cert_assemble(tbs, tbslen, f->sig_alg, sig, siglen,
		    out, len, err);
	free(tbs);
	return ret;
}

uint8_t *
tl_cert_make(const struct kr_cert_fields *f, struct kr_signer *s, size_t *len)
{
	struct kr_err	 err;
	uint8_t		*cert = NULL;

	kr_err_clear(&err);
	ck_assert_msg(tl_cert_sign(f, s, &cert, len, &err) == KR_OK, "%s",
	    err.msg);
	return cert;
}

static int
tl_openssl_verify(const char *opts)
{
	if (opts[0] == '\0')
		return tl_sh("openssl pkeyutl -verify -pubin -inkey pub.pem "
		    "-rawin -in msg -sigfile sig > /dev/null 2>&1");
	return tl_sh("openssl dgst %s -verify pub.pem -signature sig msg "
	    "> /dev/null 2>&1", opts);
}

void
tl_openssl_check(struct kr_signer *s, enum kr_sig_alg sa, const char *opts,
    const uint8_t *msg, size_t msglen)
{
	uint8_t		sig[KR_SIG_MAX_BYTES];
	size_t		siglen = sizeof(sig);
	struct kr_err	err;

	kr_err_clear(&err);
	ck_assert_msg(kr_signer_sign(s, sa, msg, msglen, sig, &siglen, &err) ==
	    KR_OK, "%s: %s", kr_sig_alg_name(sa), err.msg);
	tl_write_pem("pub.pem", "PUBLIC KEY", s->spki, s->spki_len);
	tl_write("sig", sig, siglen);
	tl_write("msg", msg, msglen);
	ck_assert_msg(tl_openssl_verify(opts) == 0, "openssl rejected %s",
	    kr_sig_alg_name(sa));
	tl_write("msg", msg, msglen - 1);
	ck_assert_msg(tl_openssl_verify(opts) != 0, "openssl accepted %s over "
	    "another message", kr_sig_alg_name(sa));
}

void
tl_sign_check(struct kr_signer *s, enum kr_sig_alg sa, const uint8_t *msg,
    size_t msglen)
{
	uint8_t		sig[KR_SIG_MAX_BYTES], md[KR_HASH_MAX_BYTES];
	size_t		siglen = sizeof(sig), mdlen;
	struct kr_err	err;
	int		ret;

	kr_err_clear(&err);
	ret = kr_signer_sign(s, sa, msg, msglen, sig, &siglen, &err);
	ck_assert_msg(ret == KR_OK, "%s: %s", kr_sig_alg_name(sa), err.msg);
	ck_assert_int_eq(kr_sig_verify(sa, s->spki, s->spki_len, msg, msglen,
	    sig, siglen, 0, &err), KR_OK);
	sig[siglen / 2] ^= 0x01;
	ck_assert_int_ne(kr_sig_verify(sa, s->spki, s->spki_len, msg, msglen,
	    sig, siglen, 0, &err), KR_OK);
	siglen = sizeof(sig);
	if (kr_sig_alg_hash(sa) == 0) {
		ck_assert_int_eq(kr_signer_sign_digest(s, sa, msg, 32, sig,
		    &siglen, &err), KR_EREFUSED);
		return;
	}
	mdlen = kr_hash_len(kr_sig_alg_hash(sa));
	ck_assert_int_eq(kr_hash(kr_sig_alg_hash(sa), msg, msglen, md), KR_OK);
	ret = kr_signer_sign_digest(s, sa, md, mdlen, sig, &siglen, &err);
	ck_assert_msg(ret == KR_OK, "%s digest: %s", kr_sig_alg_name(sa),
	    err.msg);
	ck_assert_int_eq(kr_sig_verify_digest(sa, s->spki, s->spki_len, md,
	    mdlen, sig, siglen, 0, &err), KR_OK);
}
