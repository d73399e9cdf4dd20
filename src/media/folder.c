/*
 * A folder of artifacts released whole or not at all (the audit bundle,
 * docs/audit-bundle.md).  It is made as DIR.tmp-XXXXXXXXXXXXXXXX (16
 * random hex digits, 0700) beside DIR; each file goes into it through
 * kr_media_write (allow-list, key scan, fsync); placing syncs the folder
 * and gives it its name, never over an existing one (renameat2 with
 * RENAME_NOREPLACE), then syncs its parent.  Unstaging removes the
 * files and the folder, so a failure leaves nothing at DIR.
 */
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keyrite/crypto.h>

#include "media_int.h"

int
kr_media_dir_stage(const char *path, char **tmp, struct kr_err *err)
{
	uint8_t	rnd[8];
	char	hex[2 * sizeof(rnd) + 1];
	size_t	n;

	*tmp = NULL;
	kr_random(rnd, sizeof(rnd));
	kr_hex_encode(hex, rnd, sizeof(rnd));
	n = strlen(path) + sizeof(".tmp-") + sizeof(hex);
	if ((*tmp = malloc(n)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	(void)snprintf(*tmp, n, "%s.tmp-%s", path, hex);
	if (mkdir(*tmp, 0700) != 0) {
		free(*tmp);
		*tmp = NULL;
		return kr_err_set(err, errno == EEXIST ? KR_EEXIST : KR_EIO,
		    "cannot make the folder %s.tmp-... beside %s: %s: "
		    "nothing was written", path, path, strerror(errno));
	}
	return KR_OK;
}

int
kr_media_dir_put(enum kr_artifact type, const char *tmp, const char *name,
    const void *data, size_t len, struct kr_err *err)
{
	char	path[KR_MEDIA_PATH_MAX];

	if (strchr(name, '/') != NULL || name[0] == '.' ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", tmp, name) >=
	    sizeof(path))
		return kr_err_set(err, KR_EINTERNAL, "the file name %s cannot "
		    "go into %s", name, tmp);
	return kr_media_write(type, path, data, len, KR_FILE_NOREPLACE, err);
}

static int
kr_media_dir_sync_parent(const char *path, struct kr_err *err)
{
	char	*dir;
	int	 ret;

	if ((dir = kr_path_dir(path)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_fsync_dir(dir, err);
	free(dir);
	return ret;
}

int
kr_media_dir_place(const char *tmp, const char *path, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_fsync_dir(tmp, err)) != KR_OK)
		return ret;
	if (kr_rename_noreplace(tmp, path) != 0)
		return kr_err_set(err, errno == EEXIST ? KR_EEXIST : KR_EIO,
		    "cannot name the folder %s: %s", path, errno == EEXIST ?
		    "something of that name appeared meanwhile" :
		    strerror(errno));
	return kr_media_dir_sync_parent(path, err);
}

static int
kr_media_dir_rm(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		(void)rmdir(path);
	else
		(void)unlink(path);
	return 0;
}

/* The staged folder and all it holds, sub-folders too; links not followed. */
void
kr_media_dir_unstage(const char *tmp)
{
	if (tmp != NULL)
		(void)nftw(tmp, kr_media_dir_rm, 8, FTW_DEPTH | FTW_PHYS);
}
