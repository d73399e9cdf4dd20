/*
 * Kept copies of released artifacts that the records cannot rebuild: a
 * ceremony's transcript (its custodians' signatures) and an audit bundle
 * (the records as they were), so that `keyrite export` can copy them
 * again later (docs/media.md).
 *
 * Each file is kept once, under its SHA-256 in hex: STATE/released/HEX.
 * The audit row that records the release lists every file's name, size
 * and SHA-256 ("kept"), so a copy is found through the chain and checked
 * against it.  A copy is written under a temporary name before the row
 * (kr_file_stage) and named after its commit; the open-time cleanup
 * (recover.c) names a temporary copy a row lists, and removes any other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

static char *
kr_released_path(struct kr_appliance *app, const char *hex)
{
	char	rel[sizeof(KR_RELEASED_DIR) + 66];

	(void)snprintf(rel, sizeof(rel), "%s/%s", KR_RELEASED_DIR, hex);
	return kr_appliance_path(app, rel);
}

int
kr_released_stage(struct kr_appliance *app, struct kr_released *k,
    const char *name, const void *data, size_t len, struct kr_err *err)
{
	struct kr_released_file	*f;
	uint8_t			 dig[32];
	char			*dir = NULL, *path = NULL;
	int			 ret;

	if (k->n == KR_RELEASED_MAX)
		return kr_err_set(err, KR_EINTERNAL, "%s would be kept file "
		    "number %d, more than one release may keep (bug: report "
		    "it): nothing was released or recorded", name,
		    KR_RELEASED_MAX + 1);
	if (len > KR_RELEASED_FILE_MAX)
		return kr_err_set(err, KR_EREFUSED, "%s is %zu bytes, more than "
		    "a kept copy may be (%zu, what `keyrite export` writes): "
		    "nothing was released or recorded", name, len,
		    (size_t)KR_RELEASED_FILE_MAX);
	f = &k->f[k->n];
	memset(f, 0, sizeof(*f));
	if (kr_hash(KR_HASH_SHA256, data, len, dig) != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "cannot hash %s", name);
	kr_hex_encode(f->sha256, dig, sizeof(dig));
	(void)snprintf(f->name, sizeof(f->name), "%s", name);
	f->size = len;
	if ((dir = kr_appliance_path(app, KR_RELEASED_DIR)) == NULL ||
	    (path = kr_released_path(app, f->sha256)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	/* A new folder's name synced too, before anything relies on it. */
	ret = KR_OK;
	if (!kr_path_exists(dir) && (ret = kr_mkdir_private(dir, err)) ==
	    KR_OK)
		ret = kr_fsync_dir(app->dir, err);
	/* The same bytes kept already: read back and checked at export. */
	if (ret == KR_OK && !kr_path_exists(path))
		ret = kr_file_stage(path, data, len, &f->tmp, err);
	if (ret == KR_OK)
		k->n++;
out:
	free(path);
	free(dir);
	return ret;
}

int
kr_released_place(struct kr_appliance *app, struct kr_released *k,
    struct kr_err *err)
{
	char	*path;
	size_t	 i;
	int	 ret = KR_OK;

	for (i = 0; i < k->n && ret == KR_OK; i++) {
		if (k->f[i].tmp == NULL)
			continue;
		if ((path = kr_released_path(app, k->f[i].sha256)) == NULL)
			return kr_err_set(err, KR_ENOMEM, "out of memory");
		ret = kr_file_place(k->f[i].tmp, path, err);
		/* Two files of one release with the same bytes. */
		if (ret == KR_EEXIST) {
			(void)unlink(k->f[i].tmp);
			ret = KR_OK;
		}
		if (ret == KR_OK) {
			free(k->f[i].tmp);
			k->f[i].tmp = NULL;
		}
		free(path);
	}
	return ret;
}

/*
 * Once the row is committed, copies not yet named are the row's: their
 * temporary names are dropped, not the files, and the next open names
 * them (kr_recover_released).
 */
void
kr_released_forget(struct kr_released *k)
{
	size_t	i;

	for (i = 0; i < k->n; i++) {
		free(k->f[i].tmp);
		k->f[i].tmp = NULL;
	}
}

void
kr_released_clear(struct kr_released *k)
{
	size_t	i;

	for (i = 0; i < k->n; i++) {
		if (k->f[i].tmp != NULL)
			(void)unlink(k->f[i].tmp);
		free(k->f[i].tmp);
		k->f[i].tmp = NULL;
	}
	k->n = 0;
}

/* "kept":[{"name","size","sha256"}, ...] into a row's payload. */
void
kr_released_json(const struct kr_released *k, struct kr_json *j)
{
	struct kr_json	 o;
	struct kr_buf	 a;
	size_t		 i;

	kr_buf_init(&a, false);
	for (i = 0; i < k->n; i++) {
		kr_json_begin(&o);
		kr_json_str(&o, "name", k->f[i].name);
		kr_json_int(&o, "size", (int64_t)k->f[i].size);
		kr_json_str(&o, "sha256", k->f[i].sha256);
		kr_json_list_add(&a, &o);
	}
	kr_json_raw(j, "kept", kr_json_list_end(&a));
	kr_buf_free(&a);
}

/* The "kept" list of a release row (a transcript, a bundle), or NULL. */
const char *
kr_released_kept(const struct kr_audit_rec *r)
{
	if (strcmp(r->event, "ceremony.report") != 0 &&
	    strcmp(r->event, "audit.export") != 0)
		return NULL;
	return kr_js_member(r->payload, "kept");
}

/* Whether release row `r` lists a kept file of SHA-256 `hex`. */
bool
kr_released_listed(const struct kr_audit_rec *r, const char *hex)
{
	const char	*p = kr_released_kept(r), *it;
	char		 sha[65];

	if (p == NULL)
		return false;
	for (it = kr_js_next(&p, true); it != NULL; it = kr_js_next(&p, false))
		if (kr_js_str(kr_js_member(it, "sha256"), sha, sizeof(sha)) &&
		    strcmp(sha, hex) == 0)
			return true;
	return false;
}

int
kr_released_read(struct kr_appliance *app, const char *sha256, int64_t seq,
    uint8_t **data, size_t *len, struct kr_err *err)
{
	uint8_t	 dig[32];
	char	*path, hex[65];
	int	 ret;

	*data = NULL;
	if (strlen(sha256) != 64 || strspn(sha256, "0123456789abcdef") != 64)
		return kr_err_set(err, KR_ESTATE, "audit row %lld lists a kept "
		    "file with no SHA-256", (long long)seq);
	if ((path = kr_released_path(app, sha256)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_file_read(path, KR_RELEASED_FILE_MAX, false, data, len, err);
	if (ret == KR_ENOENT)
		ret = kr_err_set(err, KR_EVERIFY, "%s, the kept copy of a file "
		    "audit row %lld released, is missing: it was removed "
		    "behind keyrite's back (a backup holds it)", path,
		    (long long)seq);
	if (ret == KR_OK && kr_hash(KR_HASH_SHA256, *data, *len, dig) !=
	    KR_OK)
		ret = kr_err_set(err, KR_ECRYPTO, "cannot hash %s, the kept "
		    "copy of a file audit row %lld released: it was not "
		    "checked, so it is not used", path, (long long)seq);
	if (ret == KR_OK) {
		kr_hex_encode(hex, dig, sizeof(dig));
		if (strcmp(hex, sha256) != 0)
			ret = kr_err_set(err, KR_EVERIFY, "%s, the kept copy of "
			    "a file audit row %lld released, does not have the "
			    "SHA-256 the row gives it: it was altered or "
			    "damaged", path, (long long)seq);
	}
	if (ret != KR_OK) {
		free(*data);
		*data = NULL;
	}
	free(path);
	return ret;
}
