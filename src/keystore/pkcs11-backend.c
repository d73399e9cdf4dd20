/*
 * The PKCS#11 back end's entry in the back-end table: key generation on a
 * token (a blank one initialised first when the quorum is to guard its
 * PINs), opening a signer with the PIN (unsealed from the PIN file, or
 * asked of the operator), destroying the token objects, and what key
 * show and the audit rows say about the token and the key-origin check.
 */
#include <stdio.h>
#include <string.h>

#include <keyrite/keystore.h>

#include "pkcs11_int.h"

/* The token key that home describes, as the kr_p11_* functions take it. */
static void
p11be_key(const struct kr_key_home *home, struct kr_p11_key *k)
{
	memset(k, 0, sizeof(*k));
	(void)snprintf(k->name, sizeof(k->name), "%s", home->name);
	memcpy(k->key_id, home->key_id, sizeof(k->key_id));
	k->alg = home->alg;
	k->purpose = home->purpose;
	memcpy(k->p11_id, home->p11_id, sizeof(k->p11_id));
	memcpy(k->spki, home->spki, home->spki_len);
	k->spki_len = home->spki_len;
}

/* The token's PINs sealed under the quorum secret, like a sealed key. */
static int
p11be_pins_seal(const struct kr_key_home *home,
    const struct kr_sealed_header *h, const struct kr_p11_pins *pins,
    const uint8_t *qsecret, uint8_t **file, size_t *len, struct kr_err *err)
{
	struct kr_pins_header	ph;

	memset(&ph, 0, sizeof(ph));
	ph.version = 1;
	memcpy(ph.key_id, h->key_id, sizeof(ph.key_id));
	(void)snprintf(ph.name, sizeof(ph.name), "%s", home->name);
	(void)snprintf(ph.token_label, sizeof(ph.token_label), "%s",
	    home->rep.token.label);
	(void)snprintf(ph.token_serial, sizeof(ph.token_serial), "%s",
	    home->rep.token.serial);
	memcpy(ph.set_id, h->set_id, sizeof(ph.set_id));
	ph.epoch = h->epoch;
	ph.created = h->created;
	return kr_pins_seal(&ph, pins, qsecret, file, len, err);
}

/*
 * The key is generated on the token.  With init_token the blank token is
 * initialised first with random SO and user PINs, which are then sealed
 * under the quorum secret (the file returned).
 */
static int
p11be_generate(struct kr_key_home *home, struct kr_sealed_header *h,
    const uint8_t *qsecret, const char *pin, uint8_t **file, size_t *len,
    struct kr_err *err)
{
	struct kr_p11_token_info	 info;
	struct kr_p11_token		*tok = NULL;
	struct kr_p11_pins		*pins = NULL;
	struct kr_p11_key		 k;
	int				 ret;

	if (home->init_token && (ret = kr_p11_token_init(&home->where, &pins,
	    &info, err)) != KR_OK)
		return ret;
	if ((ret = kr_p11_token_open(&home->where, &tok, &info, err)) != KR_OK)
		goto out;
	p11be_key(home, &k);
	k.spki_len = 0;
	ret = kr_p11_key_generate(tok, pins != NULL ? pins->user : pin, &k,
	    &home->rep, err);
	kr_p11_token_close(&tok);
	if (ret != KR_OK)
		goto out;
	memcpy(home->p11_id, k.p11_id, sizeof(home->p11_id));
	memcpy(h->spki, k.spki, k.spki_len);
	h->spki_len = k.spki_len;
	if (pins != NULL)
		ret = p11be_pins_seal(home, h, pins, qsecret, file, len, err);
out:
	kr_p11_pins_free(&pins);
	return ret;
}

static int
p11be_file_key_id(const uint8_t *file, size_t len, const char *label,
    uint8_t *key_id, struct kr_err *err)
{
	struct kr_pins_header	h;
	int			ret;

	if ((ret = kr_pins_parse_header(file, len, label, &h, err)) == KR_OK)
		memcpy(key_id, h.key_id, sizeof(h.key_id));
	return ret;
}

static int
p11be_reopen(const uint8_t *file, size_t len, const char *label,
    const uint8_t *qsecret, struct kr_err *err)
{
	struct kr_p11_pins	*pins = NULL;

	if (kr_pins_open(file, len, label, qsecret, NULL, &pins, err) != KR_OK)
		return kr_err_prefix(err, "self-check of the sealed token PINs "
		    "failed: ");
	kr_p11_pins_free(&pins);
	return KR_OK;
}

/* Opens a signer for the token key with its user PIN (logs in once). */
static int
p11be_signer(struct kr_key_home *home, const char *pin,
    struct kr_signer **out, struct kr_err *err)
{
	struct kr_p11_token	*tok = NULL;
	struct kr_p11_key	 k;
	int			 ret;

	if (home->alg == 0 || home->purpose == 0)
		return kr_err_set(err, KR_ESTATE, "key '%s' has an unknown "
		    "algorithm or purpose", home->name);
	p11be_key(home, &k);
	if ((ret = kr_p11_token_open(&home->where, &tok, NULL, err)) != KR_OK)
		return ret;
	return kr_p11_signer_open(&tok, &k, pin, out, &home->rep, err);
}

/* Quorum-guarded: the secret opens the sealed token PINs first. */
static int
p11be_open(struct kr_key_home *home, const uint8_t *file, size_t len,
    const char *label, const uint8_t *qsecret, const char *pin,
    struct kr_signer **out, struct kr_err *err)
{
	struct kr_p11_pins	*pins = NULL;
	int			 ret;

	if (qsecret == NULL)
		return p11be_signer(home, pin, out, err);
	if ((ret = kr_pins_open(file, len, label, qsecret, NULL, &pins,
	    err)) == KR_OK)
		ret = p11be_signer(home, pins->user, out, err);
	kr_p11_pins_free(&pins);
	return ret;
}

static int
p11be_destroy(struct kr_signer *s, const char *path, struct kr_err *err)
{
	return kr_p11_signer_destroy_key(s, err);
}

static void
p11be_describe(const struct kr_key_home *home, char *held, size_t heldcap,
    char *lines, size_t linescap)
{
	const struct kr_p11_token_info	*t = &home->rep.token;
	char				 id[2 * KR_P11_ID_BYTES + 1];
	size_t				 n;

	(void)snprintf(held, heldcap, " on token %s (%s %s, serial %s)%s",
	    t->label, t->manufacturer, t->model, t->serial, home->quorum ?
	    "; the token's PINs are sealed" : "");
	if (linescap == 0)
		return;
	kr_hex_encode(id, home->p11_id, sizeof(home->p11_id));
	(void)snprintf(lines, linescap, "token:       %s (%s %s, serial %s)\n"
	    "module:      %s\nCKA_ID:      %s\n", t->label, t->manufacturer,
	    t->model, t->serial, home->where.module != NULL ?
	    home->where.module : "", id);
	n = strlen(lines);
	if (home->quorum)
		(void)snprintf(lines + n, linescap - n, "guarded by:  the "
		    "quorum below (the token's PINs are sealed in %s)\n",
		    home->file != NULL ? home->file : "");
	else
		(void)snprintf(lines + n, linescap - n, "guarded by:  the "
		    "token's own access control (its PIN is asked at each "
		    "use); keyrite holds no quorum for this key\n");
}

static void
p11be_fact(struct kr_key_fact *facts, size_t *n, const char *name,
    const char *value)
{
	facts[*n].name = name;
	(void)snprintf(facts[*n].value, sizeof(facts[*n].value), "%s", value);
	(*n)++;
}

/* The token and its origin check, recorded at generation and every use. */
static size_t
p11be_facts(const struct kr_key_home *home, enum kr_key_event ev,
    struct kr_key_fact *facts)
{
	const struct kr_p11_report	*r = &home->rep;
	bool				 gen = ev == KR_KEY_EVENT_GENERATE;
	char				 id[2 * KR_P11_ID_BYTES + 1];
	size_t				 n = 0;

	if (gen || r->token.label[0] != '\0') {
		p11be_fact(facts, &n, "token_label", r->token.label);
		p11be_fact(facts, &n, "token_manufacturer",
		    r->token.manufacturer);
		p11be_fact(facts, &n, "token_model", r->token.model);
		p11be_fact(facts, &n, "token_serial", r->token.serial);
		kr_hex_encode(id, home->p11_id, sizeof(home->p11_id));
		if (gen)
			p11be_fact(facts, &n, "cka_id", id);
		p11be_fact(facts, &n, "origin_check", !r->origin.passed ?
		    "FAILED" : gen ? "passed: local, always sensitive, never "
		    "extractable, sign only" : "passed");
	}
	if (gen)
		p11be_fact(facts, &n, "guarded_by", !home->quorum ? "the "
		    "token's own access control (PIN asked at each use); no "
		    "keyrite quorum" : "a keyrite quorum: the token PINs are "
		    "sealed under the share set");
	else if (!home->quorum)
		p11be_fact(facts, &n, "guarded_by", "the token's own access "
		    "control");
	return n;
}

const struct kr_backend_ops kr_backend_pkcs11 = {
	.version = KR_BACKEND_OPS_VERSION,
	.name = "pkcs11",
	.file_ext = "pins",
	.file_max = KR_PINS_FILE_MAX,
	.on_token = true,
	.material = "token objects (private and public key) destroyed with "
	    "C_DestroyObject",
	.generate = p11be_generate,
	.file_key_id = p11be_file_key_id,
	.reopen = p11be_reopen,
	.open = p11be_open,
	.destroy = p11be_destroy,
	.describe = p11be_describe,
	.facts = p11be_facts,
	.rewrap = kr_pins_rewrap,
};
