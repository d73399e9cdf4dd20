/*
 * Issuer chains: from a keyrite key's CA certificate up to a self-signed
 * root, found in the certificate inventory by name and key identifier.
 */
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

struct kr_parent_search {
	const struct kr_cert	*child;
	struct kr_cert		*best;
	bool			 best_root;
	struct kr_err		*err;
};

bool
kr_cert_self_signed(const struct kr_cert *c)
{
	return c->f.issuer_len == c->f.subject_len &&
	    memcmp(c->f.issuer, c->f.subject, c->f.subject_len) == 0;
}

static int
kr_parent_cb(const struct kr_cert_rec *r, void *arg)
{
	struct kr_parent_search	*ps = arg;
	const struct kr_cert	*ch = ps->child;
	struct kr_cert		*c = NULL;
	struct kr_err		 e;
	bool			 root;

	if (!r->is_ca || r->subject_der_len != ch->f.issuer_len ||
	    memcmp(r->subject_der, ch->f.issuer, ch->f.issuer_len) != 0)
		return 0;
	if (kr_cert_parse("inventory", r->der, r->der_len, &c, &e) != KR_OK)
		return 0;
	if (ch->f.has_aki && (!c->f.has_ski || c->f.ski_len != ch->f.aki_len ||
	    memcmp(c->f.ski, ch->f.aki, ch->f.aki_len) != 0) ) {
		kr_cert_free(&c);
		return 0;
	}
	root = kr_cert_self_signed(c);
	if (ps->best == NULL || (root && !ps->best_root)) {
		kr_cert_free(&ps->best);
		ps->best = c;
		ps->best_root = root;
	} else {
		kr_cert_free(&c);
	}
	return 0;
}

void
kr_chain_free(struct kr_chain *ch)
{
	size_t	i;

	for (i = 0; i < ch->len; i++)
		kr_cert_free(&ch->certs[i]);
	ch->len = 0;
}

/*
 * Fills ch with the CA certificate of the key with this SPKI (valid now)
 * and its issuers up to a self-signed root.
 */
int
kr_chain_for_key(struct kr_appliance *app, const char *keyname,
    const uint8_t *spki, size_t spki_len, int64_t now, struct kr_chain *ch,
    struct kr_err *err)
{
	struct kr_parent_search	 ps;
	struct kr_cert_rec	 rec;
	char			 fp[KR_FINGERPRINT_STR_BYTES];
	int			 ret;

	memset(ch, 0, sizeof(*ch));
	kr_spki_fingerprint(spki, spki_len, fp);
	ret = kr_store_cert_for_key(app->store, fp, now, &rec, err);
	if (ret == KR_ENOENT)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has no CA "
		    "certificate valid now: make one first (`keyrite cert "
		    "root` for a root key, or have its issuer run `keyrite "
		    "cert issue --subject-key %s`)", keyname, keyname);
	if (ret != KR_OK)
		return ret;
	ret = kr_cert_parse("the issuer certificate", rec.der, rec.der_len,
	    &ch->certs[0], err);
	kr_store_cert_clear(&rec);
	if (ret != KR_OK)
		return ret;
	ch->len = 1;
	while (!kr_cert_self_signed(ch->certs[ch->len - 1])) {
		if (ch->len == KR_CHAIN_MAX) {
			kr_chain_free(ch);
			return kr_err_set(err, KR_EREFUSED, "the chain above key "
			    "'%s' is longer than %d certificates", keyname,
			    KR_CHAIN_MAX);
		}
		memset(&ps, 0, sizeof(ps));
		ps.child = ch->certs[ch->len - 1];
		ps.err = err;
		if ((ret = kr_store_cert_foreach(app->store, kr_parent_cb, &ps,
		    err)) != KR_OK) {
			kr_cert_free(&ps.best);
			kr_chain_free(ch);
			return ret;
		}
		if (ps.best == NULL)
			break;	/* issued elsewhere: the chain ends here */
		ch->certs[ch->len++] = ps.best;
	}
	return KR_OK;
}
