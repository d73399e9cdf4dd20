/*
 * Files: atomic private writes, bounded reads, shredding.
 *
 * Every write goes to a temporary file beside the target, opened
 * O_CREAT|O_EXCL|O_NOFOLLOW with mode 0600, is fsync'd, renamed into place,
 * and the folder is fsync'd.  A crash leaves either the old file or the new
 * one, never a partial file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <keyrite/base.h>

static int
kr_errno_code(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return KR_ENOENT;
	case EEXIST:
		return KR_EEXIST;
	case EACCES:
	case EPERM:
	case EROFS:
		return KR_ESTATE;
	default:
		return KR_EIO;
	}
}

static char *
kr_dirname_dup(const char *path)
{
	char	*copy, *dir, *out;

	if ((copy = strdup(path)) == NULL)
		return NULL;
	dir = dirname(copy);
	out = strdup(dir);
	free(copy);
	return out;
}

int
kr_fsync_dir(const char *dir, struct kr_err *err)
{
	int	fd, ret = KR_OK;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kr_err_set(err, kr_errno_code(errno),
		    "cannot open folder %s to sync it: %s", dir,
		    strerror(errno));
	if (fsync(fd) != 0)
		ret = kr_err_set(err, KR_EIO, "cannot sync folder %s: %s",
		    dir, strerror(errno));
	(void)close(fd);
	return ret;
}

static int
kr_write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
kr_tmp_create(const char *path, char **tmp_out, int *fd_out,
    struct kr_err *err)
{
	unsigned char	rnd[8];
	char		suffix[17];
	char		*tmp;
	size_t		len;

	randombytes_buf(rnd, sizeof(rnd));
	kr_hex_encode(suffix, rnd, sizeof(rnd));
	len = strlen(path) + 32;
	if ((tmp = malloc(len)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	(void)snprintf(tmp, len, "%s.tmp-%s", path, suffix);
	*fd_out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (*fd_out < 0) {
		int e = errno;

		free(tmp);
		return kr_err_set(err, kr_errno_code(e) == KR_EEXIST ?
		    KR_EIO : kr_errno_code(e),
		    "cannot create %s: %s", path, strerror(e));
	}
	*tmp_out = tmp;
	return KR_OK;
}

/* Moves tmp onto path; with NOREPLACE an existing path is an error. */
static int
kr_tmp_commit(const char *tmp, const char *path, unsigned flags,
    struct kr_err *err)
{
	if ((flags & KR_FILE_NOREPLACE) != 0) {
		/*
		 * renameat2 works on FAT and exFAT media, which have no hard
		 * links; link() is the fallback for file systems without it.
		 */
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
		    RENAME_NOREPLACE) == 0)
			return KR_OK;
		if (errno == EINVAL || errno == ENOSYS) {
			if (link(tmp, path) == 0) {
				(void)unlink(tmp);
				return KR_OK;
			}
		}
		return kr_err_set(err, kr_errno_code(errno),
		    errno == EEXIST ? "%s already exists: keyrite will not "
		    "overwrite it%s" : "cannot create %s: %s", path,
		    errno == EEXIST ? "" : strerror(errno));
	}
	if (rename(tmp, path) != 0)
		return kr_err_set(err, kr_errno_code(errno),
		    "cannot move the new %s into place: %s", path,
		    strerror(errno));
	return KR_OK;
}

int
kr_file_write(const char *path, const void *data, size_t len,
    unsigned flags, struct kr_err *err)
{
	char	*tmp = NULL, *dir = NULL;
	int	 fd = -1, ret;

	if ((dir = kr_dirname_dup(path)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_tmp_create(path, &tmp, &fd, err)) != KR_OK)
		goto out;
	ret = KR_EIO;
	if (kr_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		ret = kr_err_set(err, KR_EIO, "cannot write %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		ret = kr_err_set(err, KR_EIO, "cannot write %s: %s", path,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if ((ret = kr_tmp_commit(tmp, path, flags, err)) != KR_OK)
		goto out;
	/* A new file whose folder cannot be synced is not left behind. */
	if ((ret = kr_fsync_dir(dir, err)) != KR_OK &&
	    (flags & KR_FILE_NOREPLACE) != 0)
		(void)unlink(path);
out:
	if (fd >= 0)
		(void)close(fd);
	if (tmp != NULL) {
		(void)unlink(tmp);
		free(tmp);
	}
	free(dir);
	return ret;
}

static int
kr_read_fd(int fd, const char *path, size_t size, bool secure, uint8_t **out,
    struct kr_err *err)
{
	uint8_t	*buf;
	size_t	 got = 0;
	ssize_t	 n;

	buf = secure ? kr_secure_alloc(size + 1) : malloc(size + 1);
	if (buf == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory reading %s",
		    path);
	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != size) {
		if (secure)
			kr_secure_free(buf);
		else
			free(buf);
		return kr_err_set(err, KR_EIO, "cannot read %s: it changed "
		    "while being read or a read failed", path);
	}
	buf[size] = '\0';
	*out = buf;
	return KR_OK;
}

int
kr_file_read(const char *path, size_t max, bool secure, uint8_t **out,
    size_t *outlen, struct kr_err *err)
{
	struct stat	st;
	int		fd, ret;

	*out = NULL;
	*outlen = 0;
	/* O_NONBLOCK: a FIFO given as a file must not hang keyrite. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return kr_err_set(err, kr_errno_code(errno) == KR_ESTATE ?
		    KR_EINPUT : kr_errno_code(errno),
		    errno == ELOOP ? "%s is a symbolic link: keyrite reads "
		    "only regular files" : "cannot open %s: %s", path,
		    strerror(errno));
	ret = KR_EINPUT;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ret = kr_err_set(err, KR_EINPUT, "%s is not a regular file",
		    path);
		goto out;
	}
	if (fcntl(fd, F_SETFL, 0) != 0) {
		ret = kr_err_set(err, KR_EIO, "cannot read %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		ret = kr_err_set(err, KR_EINPUT, "%s is %lld bytes, more than "
		    "the %zu allowed for this kind of file", path,
		    (long long)st.st_size, max);
		goto out;
	}
	if ((ret = kr_read_fd(fd, path, (size_t)st.st_size, secure, out,
	    err)) == KR_OK)
		*outlen = (size_t)st.st_size;
out:
	(void)close(fd);
	return ret;
}

int
kr_file_shred(const char *path, struct kr_err *err)
{
	struct stat	 st;
	uint8_t		 zero[4096];
	char		*dir;
	off_t		 left;
	int		 fd, ret = KR_EIO;

	memset(zero, 0, sizeof(zero));
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return kr_err_set(err, kr_errno_code(errno),
		    "cannot open %s to destroy it: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0)
		goto fail;
	for (left = st.st_size; left > 0; left -= (off_t)sizeof(zero))
		if (kr_write_all(fd, zero, left < (off_t)sizeof(zero) ?
		    (size_t)left : sizeof(zero)) != 0)
			goto fail;
	if (fsync(fd) != 0)
		goto fail;
	(void)close(fd);
	if (unlink(path) != 0)
		return kr_err_set(err, KR_EIO, "cannot remove %s: %s", path,
		    strerror(errno));
	if ((dir = kr_dirname_dup(path)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_fsync_dir(dir, err);
	free(dir);
	return ret;
fail:
	ret = kr_err_set(err, KR_EIO, "cannot overwrite %s: %s", path,
	    strerror(errno));
	(void)close(fd);
	return ret;
}

int
kr_mkdir_private(const char *path, struct kr_err *err)
{
	struct stat	st;

	if (mkdir(path, 0700) == 0)
		return KR_OK;
	if (errno == EEXIST && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return KR_OK;
	return kr_err_set(err, kr_errno_code(errno),
	    "cannot create folder %s: %s", path, strerror(errno));
}

bool
kr_path_exists(const char *path)
{
	struct stat	st;

	return lstat(path, &st) == 0;
}

char *
kr_path_join(const char *dir, const char *name)
{
	size_t	 len;
	char	*out;

	len = strlen(dir) + strlen(name) + 2;
	if ((out = malloc(len)) == NULL)
		return NULL;
	(void)snprintf(out, len, "%s/%s", dir, name);
	return out;
}

/*
 * Holds SIGINT, SIGTERM and SIGHUP while a record-and-release step runs,
 * so an operator's Ctrl-C lands after commit or rollback, not between.
 */
void
kr_signals_hold(struct kr_sigmask *m)
{
	sigset_t	set;

	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGHUP);
	(void)sigprocmask(SIG_BLOCK, &set, &m->old);
}

void
kr_signals_release(struct kr_sigmask *m)
{
	(void)sigprocmask(SIG_SETMASK, &m->old, NULL);
}

/*
 * Copies `src` (exactly `len` bytes) to `dst` with the same atomic,
 * private, fsync'd write as kr_file_write.  The kernel copies the bytes
 * (copy_file_range), which for a large artifact already written once is
 * several times faster than writing it again from memory.
 */
int
kr_file_copy(const char *src, const char *dst, size_t len, unsigned flags,
    struct kr_err *err)
{
	char	*tmp = NULL, *dir = NULL;
	int	 in = -1, fd = -1, ret;
	ssize_t	 n;
	size_t	 done = 0;

	if ((dir = kr_dirname_dup(dst)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		ret = kr_err_set(err, KR_EIO, "cannot open %s: %s", src,
		    strerror(errno));
		goto out;
	}
	if ((ret = kr_tmp_create(dst, &tmp, &fd, err)) != KR_OK)
		goto out;
	while (done < len) {
		n = copy_file_range(in, NULL, fd, NULL, len - done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done != len || fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		ret = kr_err_set(err, KR_EIO, "cannot write %s: %s", dst,
		    done != len ? "the copy came up short" : strerror(errno));
		goto out;
	}
	fd = -1;
	if ((ret = kr_tmp_commit(tmp, dst, flags, err)) != KR_OK)
		goto out;
	if ((ret = kr_fsync_dir(dir, err)) != KR_OK &&
	    (flags & KR_FILE_NOREPLACE) != 0)
		(void)unlink(dst);
out:
	if (fd >= 0)
		(void)close(fd);
	if (in >= 0)
		(void)close(in);
	if (tmp != NULL) {
		(void)unlink(tmp);
		free(tmp);
	}
	free(dir);
	return ret;
}
