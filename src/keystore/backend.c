/*
 * The back-end table: the sealed-file back end's operations, and the
 * lookup of a back end by the name a key row records.  The PKCS#11 back
 * end's table is in pkcs11-backend.c.
 */
#include <stdio.h>
#include <string.h>

#include <keyrite/keystore.h>

#include "keystore_int.h"
#include "pkcs11_int.h"

static int
sealed_generate(struct kr_key_home *home, struct kr_sealed_header *h,
    const uint8_t *qsecret, const char *pin, uint8_t **file, size_t *len,
    struct kr_err *err)
{
	return kr_sealed_generate(h, qsecret, file, len, err);
}

static int
sealed_file_key_id(const uint8_t *file, size_t len, const char *label,
    uint8_t *key_id, struct kr_err *err)
{
	struct kr_sealed_header	h;
	int			ret;

	if ((ret = kr_sealed_parse_header(file, len, label, &h, err)) ==
	    KR_OK)
		memcpy(key_id, h.key_id, sizeof(h.key_id));
	return ret;
}

static int
sealed_reopen(const uint8_t *file, size_t len, const char *label,
    const uint8_t *qsecret, struct kr_err *err)
{
	struct kr_signer	*s = NULL;

	if (kr_sealed_open(file, len, label, qsecret, &s, err) != KR_OK)
		return kr_err_prefix(err, "self-check of the new sealed key "
		    "failed: ");
	kr_signer_free(&s);
	return KR_OK;
}

/* The sealed file must hold the key recorded under its name. */
static int
sealed_open(struct kr_key_home *home, const uint8_t *file, size_t len,
    const char *label, const uint8_t *qsecret, const char *pin,
    struct kr_signer **out, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_sealed_open(file, len, label, qsecret, out, err)) !=
	    KR_OK)
		return ret;
	if ((*out)->spki_len != home->spki_len ||
	    memcmp((*out)->spki, home->spki, home->spki_len) != 0 ||
	    memcmp((*out)->key_id, home->key_id, KR_KEY_ID_BYTES) != 0) {
		kr_signer_free(out);
		return kr_err_set(err, KR_EVERIFY, "sealed key file %s does "
		    "not hold the key recorded as '%s': the state folder was "
		    "tampered with", label, home->name);
	}
	return KR_OK;
}

static int
sealed_destroy(struct kr_signer *s, const char *path, struct kr_err *err)
{
	return kr_file_shred(path, err);
}

static void
sealed_describe(const struct kr_key_home *home, char *held, size_t heldcap,
    char *lines, size_t linescap)
{
	(void)snprintf(held, heldcap, ", sealed");
	if (linescap > 0)
		lines[0] = '\0';
}

/* A sealed key's audit rows say no more than its key row. */
static size_t
sealed_facts(const struct kr_key_home *home, enum kr_key_event ev,
    struct kr_key_fact *facts)
{
	return 0;
}

static const struct kr_backend_ops kr_backend_sealed = {
	.version = KR_BACKEND_OPS_VERSION,
	.name = "sealed",
	.file_ext = "sealed",
	.file_max = KR_SEALED_FILE_MAX,
	.on_token = false,
	.material = NULL,
	.generate = sealed_generate,
	.file_key_id = sealed_file_key_id,
	.reopen = sealed_reopen,
	.open = sealed_open,
	.destroy = sealed_destroy,
	.describe = sealed_describe,
	.facts = sealed_facts,
	.rewrap = kr_sealed_rewrap,
};

static const struct kr_backend_ops *const all[] = {
	&kr_backend_sealed,
	&kr_backend_pkcs11,
};

const struct kr_backend_ops *
kr_backend_find(const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

const struct kr_backend_ops *
kr_backend_for_file(const char *path)
{
	size_t	i, plen = strlen(path), elen;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		elen = strlen(all[i]->file_ext);
		if (plen > elen && path[plen - elen - 1] == '.' &&
		    strcmp(path + plen - elen, all[i]->file_ext) == 0)
			return all[i];
	}
	return &kr_backend_sealed;
}
