/*
 * Whole folders made beside their final name and named at the end
 * (backup, restore, the intake of an import), and file copies that hash
 * what they copy.  A folder is built as FINAL.tmp-XXXXXXXXXXXXXXXX (16 hex
 * digits), synced, then renamed to FINAL, never over anything there: a
 * failure or a kill leaves no half-made FINAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "authority_int.h"

#define KR_COPY_CHUNK	(256 * 1024)

/*
 * A folder made beside `final` (media's staged folder), after checking
 * that `final` is not there and its folder is writable.
 */
int
kr_folder_stage(const char *final, const char *what, char **stage,
    struct kr_err *err)
{
	struct stat	 st;
	char		*parent;

	*stage = NULL;
	if (lstat(final, &st) == 0 || errno != ENOENT)
		return kr_err_set(err, KR_EEXIST, "%s %s already exists: keyrite "
		    "never writes over a folder; name a new one", what, final);
	if ((parent = kr_path_dir(final)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    access(parent, W_OK) != 0) {
		(void)kr_err_set(err, KR_ENOENT, "cannot make %s %s: its folder "
		    "%s is missing or not writable", what, final, parent);
		free(parent);
		return KR_ENOENT;
	}
	free(parent);
	return kr_media_dir_stage(final, stage, err);
}

int
kr_folder_sub(const char *stage, const char *sub, struct kr_err *err)
{
	char	*p;
	int	 ret;

	if ((p = kr_path_join(stage, sub)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_mkdir_private(p, err);
	free(p);
	return ret;
}

/* Opens a regular file, never through a symbolic link; its size. */
static int
kr_copy_open(const char *src, uint64_t max, int *fd, uint64_t *size,
    struct kr_err *err)
{
	struct stat	st;

	if ((*fd = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return kr_err_set(err, errno == ENOENT ? KR_ENOENT : KR_EINPUT,
		    "cannot read %s: %s", src, errno == ELOOP ? "it is a "
		    "symbolic link" : strerror(errno));
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		(void)close(*fd);
		*fd = -1;
		return kr_err_set(err, KR_EINPUT, "%s is not a regular file",
		    src);
	}
	if ((uint64_t)st.st_size > max) {
		(void)close(*fd);
		*fd = -1;
		return kr_err_set(err, KR_EINPUT, "%s is %llu bytes, more than "
		    "the %llu allowed", src, (unsigned long long)st.st_size,
		    (unsigned long long)max);
	}
	*size = (uint64_t)st.st_size;
	return KR_OK;
}

/*
 * Copies the regular file `src` (at most `max` bytes) into `put`, or only
 * hashes it when `put` is NULL: its SHA-256 and size.  A file that grows
 * past what fstat said while it is read is refused.
 */
int
kr_file_copy(const char *src, uint64_t max, kr_copy_put *put, void *arg,
    uint8_t *sha, uint64_t *size, struct kr_err *err)
{
	struct kr_hash	 h;
	uint8_t		*buf;
	uint64_t	 want = 0, got = 0;
	ssize_t		 n;
	int		 fd, ret;

	if ((ret = kr_copy_open(src, max, &fd, &want, err)) != KR_OK)
		return ret;
	if ((buf = malloc(KR_COPY_CHUNK)) == NULL ||
	    (ret = kr_hash_init(&h, KR_HASH_SHA256)) != KR_OK) {
		free(buf);
		(void)close(fd);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	while ((n = read(fd, buf, KR_COPY_CHUNK)) > 0) {
		if ((got += (uint64_t)n) > want) {
			ret = kr_err_set(err, KR_EINPUT, "%s changed while it "
			    "was read: nothing was kept", src);
			break;
		}
		kr_hash_update(&h, buf, (size_t)n);
		if (put != NULL && (ret = put(arg, buf, (size_t)n, err)) !=
		    KR_OK)
			break;
	}
	if (n < 0)
		ret = kr_err_set(err, KR_EIO, "cannot read %s: %s", src,
		    strerror(errno));
	else if (ret == KR_OK && got != want)
		ret = kr_err_set(err, KR_EINPUT, "%s changed while it was "
		    "read: nothing was kept", src);
	kr_hash_final(&h, sha);
	*size = got;
	free(buf);
	(void)close(fd);
	return ret;
}

int
kr_file_out_put(void *out, const void *data, size_t len, struct kr_err *err)
{
	return kr_file_out_write(out, data, len, err);
}
