/*
 * A share file checked against the records: its share set is recorded,
 * the set's dealer signed it, and it is byte for byte the file recorded
 * for its custodian (the SHA-256 in the custodian's row, which the audit
 * chain binds).  Used where a share file is taken as what it claims
 * without opening it: a transcript's signer (transcript.c) and a
 * custodian's share folder copied to a medium (`keyrite export
 * --custodian`, export.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

int
kr_share_recorded(struct kr_appliance *app, const struct kr_share *sh,
    const uint8_t *file, size_t len, struct kr_share_rec *out,
    struct kr_err *err)
{
	struct kr_custodian_rec	*cust;
	uint8_t			 dig[32];
	size_t			 i, n = 0;
	int			 ret;

	memset(out, 0, sizeof(*out));
	if ((ret = kr_store_set_get(app->store, sh->h.set_id, &out->set,
	    err)) != KR_OK)
		return ret == KR_ENOENT ? kr_err_set(err, KR_EVERIFY, "share "
		    "file %s (custodian '%s') is of no share set this state "
		    "folder records", sh->label, sh->h.custodian) : ret;
	if (kr_share_check_signature(sh, out->set.dealer_pk, err) != KR_OK)
		return err->code;
	if ((cust = calloc(KR_CUSTODIANS_MAX, sizeof(*cust))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_store_custodians(app->store, out->set.id, cust,
	    KR_CUSTODIANS_MAX, &n, err)) == KR_OK &&
	    (ret = kr_hash(KR_HASH_SHA256, file, len, dig)) != KR_OK)
		ret = kr_err_set(err, ret, "cannot hash share file %s",
		    sh->label);
	for (i = 0; ret == KR_OK && i < n; i++)
		if (cust[i].x == sh->h.x)
			break;
	if (ret == KR_OK && (i == n || strcmp(cust[i].name,
	    sh->h.custodian) != 0 || memcmp(dig, cust[i].share_digest,
	    sizeof(dig)) != 0))
		ret = kr_err_set(err, KR_EVERIFY, "share file %s (custodian "
		    "'%s') is not the share file recorded for that custodian "
		    "(its SHA-256 or its place in the share set differs)",
		    sh->label, sh->h.custodian);
	if (ret == KR_OK)
		out->c = cust[i];
	free(cust);
	return ret;
}

int
kr_share_file_load(const char *path, struct kr_share **sh, uint8_t **file,
    size_t *len, struct kr_err *err)
{
	int	ret;

	*file = NULL;
	*len = 0;
	if ((*sh = calloc(1, sizeof(**sh))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_file_read(path, KR_SHARE_FILE_MAX, false, file, len,
	    err)) == KR_OK)
		ret = kr_share_parse(*file, *len, path, *sh, err);
	return ret;
}

void
kr_share_file_free(struct kr_share **sh, uint8_t **file)
{
	if (*sh != NULL)
		kr_share_clear(*sh);
	free(*sh);
	free(*file);
	*sh = NULL;
	*file = NULL;
}

int
kr_authority_share_holder(const char *path, char *custodian, size_t cap,
    struct kr_err *err)
{
	struct kr_share_header	h;
	int			ret;

	if ((ret = kr_share_header_read(path, &h, err)) == KR_OK)
		(void)snprintf(custodian, cap, "%s", h.custodian);
	return ret;
}

/* A share file's public header, parsed and checked (not opened). */
int
kr_share_header_read(const char *path, struct kr_share_header *h,
    struct kr_err *err)
{
	struct kr_share	*sh;
	uint8_t		*file;
	size_t		 len;
	int		 ret;

	if ((ret = kr_share_file_load(path, &sh, &file, &len, err)) == KR_OK)
		*h = sh->h;
	kr_share_file_free(&sh, &file);
	return ret;
}

/* One file of the folder: a share file of `custodian`, as recorded. */
static int
kr_shares_one(struct kr_appliance *app, const char *path,
    const char *custodian, kr_share_file_cb *cb, void *arg,
    struct kr_err *err)
{
	struct kr_share		*sh;
	struct kr_share_rec	 rec;
	uint8_t			*file;
	size_t			 len;
	int			 ret;

	if ((ret = kr_share_file_load(path, &sh, &file, &len, err)) != KR_OK)
		goto out;
	if (strcmp(sh->h.custodian, custodian) != 0) {
		ret = kr_err_set(err, KR_EREFUSED, "%s is a share of custodian "
		    "'%s', not of '%s': a custodian's export holds only their "
		    "own shares; move it to its custodian's folder", path,
		    sh->h.custodian, custodian);
		goto out;
	}
	if ((ret = kr_share_recorded(app, sh, file, len, &rec, err)) == KR_OK)
		ret = cb(arg, path, file, len, &rec, err);
out:
	kr_share_file_free(&sh, &file);
	return ret;
}

static bool
kr_shares_is_share(const char *name)
{
	size_t	n = strlen(name);

	return n > 6 && name[0] != '.' && strcmp(name + n - 6, ".share") == 0;
}

int
kr_shares_of(struct kr_appliance *app, const char *share_dir,
    const char *custodian, kr_share_file_cb *cb, void *arg,
    struct kr_err *err)
{
	struct dirent	*de;
	DIR		*d;
	char		*dir, *path;
	size_t		 n = 0;
	int		 ret = KR_OK;

	if ((ret = kr_custodian_name_check(custodian, err)) != KR_OK)
		return ret;
	if ((dir = kr_path_join(share_dir, custodian)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((d = opendir(dir)) == NULL) {
		ret = kr_err_set(err, errno == ENOENT ? KR_ENOENT : KR_EINPUT,
		    "cannot read the share folder of custodian '%s', %s: %s",
		    custodian, dir, strerror(errno));
		free(dir);
		return ret;
	}
	while (ret == KR_OK && (de = readdir(d)) != NULL) {
		if (!kr_shares_is_share(de->d_name))
			continue;
		if ((path = kr_path_join(dir, de->d_name)) == NULL)
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		else
			ret = kr_shares_one(app, path, custodian, cb, arg, err);
		free(path);
		n++;
	}
	(void)closedir(d);
	if (ret == KR_OK && n == 0)
		ret = kr_err_set(err, KR_ENOENT, "%s holds no share file "
		    "(NAME.share) of custodian '%s'", dir, custodian);
	free(dir);
	return ret;
}
