/*
 * Initialising a blank PKCS#11 token: the one blank token on a module
 * named explicitly, random SO and user PINs drawn in secure memory as long
 * as the token allows, C_InitToken and C_InitPIN.  A label already in use
 * is refused: an initialised token is never initialised again.
 */

#include <stdio.h>
#include <string.h>

#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include <keyrite/keystore.h>

#include "pkcs11_int.h"
#include "pkcs11_token_int.h"

/* ---- PINs and token initialisation ----------------------------------- */

struct kr_p11_pins *
kr_p11_pins_new(void)
{
	struct kr_p11_pins	*p;

	if ((p = kr_secure_alloc(sizeof(*p))) != NULL)
		memset(p, 0, sizeof(*p));
	return p;
}

void
kr_p11_pins_free(struct kr_p11_pins **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	kr_wipe(*pp, sizeof(**pp));
	kr_secure_free(*pp);
	*pp = NULL;
}

void
kr_p11_pin_draw(char *pin, size_t len)
{
	static const char	alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint8_t			r[KR_P11_PIN_MAX];
	size_t			i;

	if (len > KR_P11_PIN_MAX)
		len = KR_P11_PIN_MAX;
	kr_random(r, len);
	for (i = 0; i < len; i++)
		pin[i] = alphabet[r[i] & 31];	/* 32 symbols: no bias */
	pin[len] = '\0';
	kr_wipe(r, sizeof(r));
}

/* The label-only URI, and the URI without its label (for the blank one). */
static int
init_uris(struct kr_p11_token *t, const struct kr_p11_where *w,
    P11KitUri **lab, P11KitUri **sel, char *label, struct kr_err *err)
{
	CK_TOKEN_INFO	*ti = p11_kit_uri_get_token_info(t->uri);
	int		 ret;

	if (ti->label[0] == 0)
		return kr_err_set(err, KR_EUSAGE, "give the label for the new "
		    "token (--token LABEL or token= in the URI)");
	kr_p11_space_copy(label, KR_P11_LABEL_MAX + 1, ti->label,
	    sizeof(ti->label));
	if ((*lab = p11_kit_uri_new()) == NULL ||
	    (*sel = p11_kit_uri_new()) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_p11_uri_set_label(*lab, label, err)) != KR_OK)
		return ret;
	if (w->uri != NULL &&
	    (ret = kr_p11_uri_parse(w->uri, *sel, err)) != KR_OK)
		return ret;
	memset(p11_kit_uri_get_token_info(*sel)->label, 0, KR_P11_LABEL_MAX);
	return KR_OK;
}

/* The one blank token to initialise; refuses a label already in use. */
static int
init_pick_blank(struct kr_p11_token *t, P11KitUri *lab, P11KitUri *sel,
    const char *label, CK_SLOT_ID *blank, struct kr_err *err)
{
	char	seen[256] = "";
	size_t	count = 0;
	int	ret;

	if ((ret = kr_p11_slots_match(t, lab, false, blank, &count, seen,
	    sizeof(seen), err)) != KR_OK)
		return ret;
	if (count > 0)
		return kr_err_set(err, KR_EEXIST, "module %s already has an "
		    "initialised token labelled '%s': keyrite never "
		    "initialises a token again; choose another label",
		    t->info.module, label);
	if ((ret = kr_p11_slots_match(t, sel, true, blank, &count, NULL, 0,
	    err)) != KR_OK)
		return ret;
	if (count == 0)
		return kr_err_set(err, KR_ENOENT, "module %s has no blank "
		    "(uninitialised) token to initialise (tokens present: %s)",
		    t->info.module, seen[0] != '\0' ? seen : "none");
	if (count > 1)
		return kr_err_set(err, KR_EREFUSED, "module %s has %zu blank "
		    "tokens; name the one to initialise by its serial "
		    "(pkcs11:serial=...)", t->info.module, count);
	return KR_OK;
}

/* Draws the SO and user PINs, as long as the token allows (<= 32). */
static int
init_pins(struct kr_p11_token *t, CK_SLOT_ID blank, struct kr_p11_pins **out,
    struct kr_err *err)
{
	CK_TOKEN_INFO	ti;
	size_t		len = KR_P11_PIN_LEN;
	CK_RV		rv;

	if ((rv = t->mod->C_GetTokenInfo(blank, &ti)) != CKR_OK)
		return kr_p11_fail(err, rv, "reading the blank token on module "
		    "%s", t->info.module);
	if (ti.ulMaxPinLen != CK_UNAVAILABLE_INFORMATION &&
	    ti.ulMaxPinLen != 0 && ti.ulMaxPinLen < len)
		len = ti.ulMaxPinLen;
	if (len < 6 || (ti.ulMinPinLen != CK_UNAVAILABLE_INFORMATION &&
	    len < ti.ulMinPinLen))
		return kr_err_set(err, KR_EREFUSED, "the blank token on module "
		    "%s takes PINs of %lu to %lu characters; keyrite needs at "
		    "least 6 random characters", t->info.module,
		    ti.ulMinPinLen, ti.ulMaxPinLen);
	if ((*out = kr_p11_pins_new()) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	kr_p11_pin_draw((*out)->so, len);
	kr_p11_pin_draw((*out)->user, len);
	return KR_OK;
}

/* After C_InitToken: find the token again (its slot may change). */
static int
init_refind(struct kr_p11_token *t, P11KitUri *lab, const char *label,
    struct kr_err *err)
{
	size_t	count = 0;
	int	ret;

	if ((ret = kr_p11_slots_match(t, lab, false, &t->slot, &count, NULL, 0,
	    err)) != KR_OK)
		return ret;
	if (count != 1)
		return kr_err_set(err, KR_EIO, "module %s: the token "
		    "initialised as '%s' is not found again (%zu match)",
		    t->info.module, label, count);
	return KR_OK;
}

static int
init_run(struct kr_p11_token *t, P11KitUri *lab, const char *label,
    CK_SLOT_ID blank, const struct kr_p11_pins *pins, struct kr_err *err)
{
	unsigned char	padded[KR_P11_LABEL_MAX];
	CK_RV		rv;
	int		ret;

	kr_p11_label_pad(padded, label);
	rv = t->mod->C_InitToken(blank, (CK_UTF8CHAR *)pins->so,
	    strlen(pins->so), padded);
	if (rv != CKR_OK)
		return kr_p11_fail(err, rv, "initialising the blank token on "
		    "module %s as '%s'", t->info.module, label);
	if ((ret = init_refind(t, lab, label, err)) != KR_OK ||
	    (ret = kr_p11_session_open(t, err)) != KR_OK ||
	    (ret = kr_p11_login(t, CKU_SO, pins->so, err)) != KR_OK)
		goto fail;
	rv = t->mod->C_InitPIN(t->sess, (CK_UTF8CHAR *)pins->user,
	    strlen(pins->user));
	kr_p11_logout(t);
	if (rv != CKR_OK) {
		ret = kr_p11_fail(err, rv, "setting the user PIN");
		goto fail;
	}
	return kr_p11_token_info(t, NULL, err);
fail:
	return kr_err_prefix(err, "token '%s' was initialised but could not "
	    "be set up, and its PINs are lost: delete or reset it with the "
	    "token's own tools before trying again: ", label);
}

int
kr_p11_token_init(const struct kr_p11_where *w, struct kr_p11_pins **pinsp,
    struct kr_p11_token_info *info, struct kr_err *err)
{
	struct kr_p11_token	*t = NULL;
	struct kr_p11_pins	*pins = NULL;
	P11KitUri		*lab = NULL, *sel = NULL;
	char			 label[KR_P11_LABEL_MAX + 1];
	const char		*path;
	CK_SLOT_ID		 blank = 0;
	int			 ret = KR_EINTERNAL;

	*pinsp = NULL;
	if ((ret = kr_p11_token_new(w, &t, err)) != KR_OK)
		return ret;
	if ((ret = init_uris(t, w, &lab, &sel, label, err)) != KR_OK)
		goto out;
	path = w->module != NULL ? w->module :
	    p11_kit_uri_get_module_path(t->uri);
	if (path == NULL) {
		ret = kr_err_set(err, KR_EUSAGE, "give the module of the blank "
		    "token (--module PATH or ?module-path= in the URI): "
		    "keyrite initialises a token only on a module named "
		    "explicitly");
		goto out;
	}
	if ((ret = kr_p11_module_load(t, path, err)) != KR_OK ||
	    (ret = init_pick_blank(t, lab, sel, label, &blank, err)) != KR_OK ||
	    (ret = init_pins(t, blank, &pins, err)) != KR_OK ||
	    (ret = init_run(t, lab, label, blank, pins, err)) != KR_OK)
		goto out;
	if (info != NULL)
		*info = t->info;
	*pinsp = pins;
	pins = NULL;
out:
	kr_p11_pins_free(&pins);
	if (lab != NULL)
		p11_kit_uri_free(lab);
	if (sel != NULL)
		p11_kit_uri_free(sel);
	kr_p11_token_close(&t);
	return ret;
}
