/*
 * Where a recorded key lives: its key row (and a token key's token row)
 * made into the keystore's kr_key_home, so that keygen.c, unlock.c and
 * key show reach the key through its back end's table of operations
 * whatever holds it, a sealed file or a token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

/* The token row's fields were read from the token: they fit. */
static void
kr_key_where_copy(char *dst, size_t cap, const char *src)
{
	(void)snprintf(dst, cap, "%.*s", (int)(cap - 1), src);
}

/* The token row's fields in home: where to find the token, and the key. */
static void
kr_key_where_token(struct kr_key_where *kw)
{
	struct kr_key_home	*h = &kw->home;
	struct kr_token_rec	*t = &kw->tok;

	h->quorum = strcmp(t->pin_mode, "prompt") != 0;
	h->where.module = t->module[0] != '\0' ? t->module : NULL;
	h->where.uri = t->uri[0] != '\0' ? t->uri : NULL;
	h->where.token = t->token_label;
	memcpy(h->p11_id, t->p11_id, sizeof(h->p11_id));
}

/*
 * For key show: the token as recorded.  (Opening the key fills the token
 * as found instead, and an audit row names a token only once it is.)
 */
static void
kr_key_where_recorded(struct kr_key_where *kw)
{
	struct kr_p11_token_info	*i = &kw->home.rep.token;
	struct kr_token_rec		*t = &kw->tok;

	kr_key_where_copy(i->label, sizeof(i->label), t->token_label);
	kr_key_where_copy(i->serial, sizeof(i->serial), t->token_serial);
	kr_key_where_copy(i->manufacturer, sizeof(i->manufacturer),
	    t->manufacturer);
	kr_key_where_copy(i->model, sizeof(i->model), t->model);
}

int
kr_key_where_load(struct kr_appliance *app, const struct kr_key_rec *k,
    struct kr_key_where *kw, struct kr_err *err)
{
	struct kr_key_home	*h = &kw->home;
	int			 ret;

	memset(kw, 0, sizeof(*kw));
	if ((kw->be = kr_backend_find(k->backend)) == NULL)
		return kr_err_set(err, KR_ESTATE, "key '%s' is recorded with "
		    "a back end keyrite does not know ('%s'): the database is "
		    "damaged", k->name, k->backend);
	if (kw->be->on_token && (ret = kr_store_token_get(app->store, k->id,
	    &kw->tok, err)) != KR_OK)
		return ret == KR_ENOENT ? kr_err_set(err, KR_ESTATE, "key '%s' "
		    "is recorded as a token key but its token is not: the "
		    "database is damaged", k->name) : ret;
	(void)snprintf(h->name, sizeof(h->name), "%s", k->name);
	memcpy(h->key_id, k->id, sizeof(h->key_id));
	if (kr_key_alg_from_name(k->alg, &h->alg) != KR_OK)
		h->alg = 0;	/* refused where the algorithm is needed */
	if (kr_purpose_from_name(k->purpose, &h->purpose) != KR_OK)
		h->purpose = 0;
	memcpy(h->spki, k->spki, k->spki_len);
	h->spki_len = k->spki_len;
	h->file = k->location;
	h->quorum = true;
	if (kw->be->on_token)
		kr_key_where_token(kw);
	return KR_OK;
}

void
kr_key_home_audit(const struct kr_backend_ops *be,
    const struct kr_key_home *home, enum kr_key_event ev, struct kr_json *j)
{
	struct kr_key_fact	facts[KR_KEY_FACTS_MAX];
	size_t			i, n;

	n = be->facts(home, ev, facts);
	for (i = 0; i < n; i++)
		kr_json_str(j, facts[i].name, facts[i].value);
}

int
kr_authority_key_where(struct kr_appliance *app, const struct kr_key_rec *k,
    char *lines, size_t cap, bool *quorum, struct kr_err *err)
{
	struct kr_key_where	*kw;
	char			 held[200];
	int			 ret;

	if ((kw = calloc(1, sizeof(*kw))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_key_where_load(app, k, kw, err)) == KR_OK) {
		kr_key_where_recorded(kw);
		kw->be->describe(&kw->home, held, sizeof(held), lines, cap);
		*quorum = kw->home.quorum;
	}
	free(kw);
	return ret;
}
