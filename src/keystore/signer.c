/*
 * The signer interface: what every back end (sealed file, PKCS#11 token)
 * offers to the layers above.  The checks that do not depend on where the
 * key lives (purpose, algorithm fit, hashing) are made here, once.
 */
#include <stdlib.h>
#include <string.h>

#include <keyrite/keystore.h>

#include "keystore_int.h"

struct kr_signer *
kr_signer_new(const struct kr_signer_ops *ops, void *impl, const char *name,
    const uint8_t *key_id, enum kr_key_alg alg, enum kr_purpose purpose,
    const uint8_t *spki, size_t spki_len)
{
	struct kr_signer	*s;

	if (ops == NULL || ops->version != KR_SIGNER_OPS_VERSION ||
	    name == NULL || strlen(name) > KR_KEY_NAME_MAX ||
	    spki == NULL || spki_len == 0 || spki_len > KR_SPKI_MAX_BYTES)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->spki = malloc(spki_len)) == NULL) {
		free(s);
		return NULL;
	}
	memcpy(s->spki, spki, spki_len);
	s->spki_len = spki_len;
	s->ops = ops;
	s->impl = impl;
	memcpy(s->name, name, strlen(name) + 1);
	memcpy(s->key_id, key_id, KR_KEY_ID_BYTES);
	s->alg = alg;
	s->purpose = purpose;
	return s;
}

void
kr_signer_free(struct kr_signer **sp)
{
	struct kr_signer	*s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	if (s->ops != NULL && s->ops->destroy != NULL)
		s->ops->destroy(s);
	free(s->spki);
	kr_wipe(s, sizeof(*s));
	free(s);
	*sp = NULL;
}

static const char *
sig_name(enum kr_sig_alg sa)
{
	const char	*n = kr_sig_alg_name(sa);

	return n != NULL ? n : "unknown";
}

static int
check_fit(const struct kr_signer *s, enum kr_sig_alg sa, struct kr_err *err)
{
	const char	*kn;

	if (kr_sig_alg_fits(sa, s->alg))
		return KR_OK;
	kn = kr_key_alg_name(s->alg);
	return kr_err_set(err, KR_EREFUSED, "key '%s' is a %s key and cannot "
	    "make %s signatures; use %s (or another algorithm for %s keys)",
	    s->name, kn != NULL ? kn : "unknown", sig_name(sa),
	    sig_name(kr_sig_alg_default(s->alg)), kn != NULL ? kn : "unknown");
}

static int
check_signer(const struct kr_signer *s, struct kr_err *err)
{
	if (s == NULL || s->ops == NULL ||
	    s->ops->version != KR_SIGNER_OPS_VERSION ||
	    s->ops->sign_digest == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no usable signer was "
		    "given (bug: report it)");
	return KR_OK;
}

int
kr_signer_sign(struct kr_signer *s, enum kr_sig_alg sa, const uint8_t *msg,
    size_t msglen, uint8_t *sig, size_t *siglen, struct kr_err *err)
{
	uint8_t	md[KR_HASH_MAX_BYTES];
	int	ret = KR_EINTERNAL;

	if ((ret = check_signer(s, err)) != KR_OK)
		return ret;
	if ((ret = check_fit(s, sa, err)) != KR_OK)
		return ret;
	if (msg == NULL && msglen != 0)
		return kr_err_set(err, KR_EINTERNAL, "no message to sign "
		    "(bug: report it)");
	if (kr_sig_alg_hash(sa) == 0) {
		if (s->ops->sign_message == NULL)
			return kr_err_set(err, KR_EREFUSED, "key '%s' (%s back "
			    "end) cannot sign a whole message with %s",
			    s->name, s->ops->backend, sig_name(sa));
		return s->ops->sign_message(s, sa, msg, msglen, sig, siglen,
		    err);
	}
	ret = kr_hash(kr_sig_alg_hash(sa), msg, msglen, md);
	if (ret != KR_OK) {
		ret = kr_err_set(err, ret, "hashing the message for key '%s' "
		    "failed", s->name);
		goto wipe;
	}
	ret = s->ops->sign_digest(s, sa, md,
	    kr_hash_len(kr_sig_alg_hash(sa)), sig, siglen, err);
wipe:
	kr_wipe(md, sizeof(md));
	return ret;
}

int
kr_signer_sign_digest(struct kr_signer *s, enum kr_sig_alg sa,
    const uint8_t *md, size_t mdlen, uint8_t *sig, size_t *siglen,
    struct kr_err *err)
{
	int	ret = KR_EINTERNAL;

	if ((ret = check_signer(s, err)) != KR_OK)
		return ret;
	if ((ret = check_fit(s, sa, err)) != KR_OK)
		return ret;
	if (kr_sig_alg_hash(sa) == 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s': %s signs the "
		    "whole message, not a digest", s->name, sig_name(sa));
	if (md == NULL || mdlen != kr_hash_len(kr_sig_alg_hash(sa)))
		return kr_err_set(err, KR_EINPUT, "key '%s': a %s digest must "
		    "be %zu bytes, got %zu", s->name, sig_name(sa),
		    kr_hash_len(kr_sig_alg_hash(sa)), mdlen);
	return s->ops->sign_digest(s, sa, md, mdlen, sig, siglen, err);
}

void
kr_signer_public(struct kr_signer *s, const char *name, const uint8_t *key_id,
    enum kr_key_alg alg, enum kr_purpose purpose, uint8_t *spki,
    size_t spki_len)
{
	memset(s, 0, sizeof(*s));
	(void)snprintf(s->name, sizeof(s->name), "%s", name);
	memcpy(s->key_id, key_id, sizeof(s->key_id));
	s->alg = alg;
	s->purpose = purpose;
	s->spki = spki;
	s->spki_len = spki_len;
}

int
kr_signer_require_purpose(const struct kr_signer *s, enum kr_purpose want,
    struct kr_err *err)
{
	if (s == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no signer was given "
		    "(bug: report it)");
	if (s->purpose != want)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has purpose %s; "
		    "this operation needs a%s %s key", s->name,
		    kr_purpose_name(s->purpose),
		    want == KR_PURPOSE_OCSP || want == KR_PURPOSE_AUDIT ?
		    "n" : "", kr_purpose_name(want));
	return KR_OK;
}
