/*
 * Files: atomic private writes, bounded reads, shredding.
 *
 * Every write is made 0600, fsync'd, given its name, and the folder is
 * fsync'd.  A new file that may not replace another has no name until it
 * is complete (O_TMPFILE, then linkat); otherwise it is written under a
 * temporary name beside the target (PATH.tmp-XXXXXXXXXXXXXXXX, opened
 * O_CREAT|O_EXCL|O_NOFOLLOW) and renamed into place.  A crash leaves
 * either the old file or the new one, never a partial file under the
 * target's name.  Files a record owns are staged (kr_file_stage) before
 * the commit and placed (kr_file_place) after it.
 *
 * This is keyrite's only atomic writer: kr_file_write and kr_file_stage
 * are built on kr_file_out, and media/ streams outputs through it.  One table (kr_errno_rows) says what an errno means.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <keyrite/base.h>

/*
 * The one errno mapping of keyrite's file writes.  Naming a file (open,
 * link, rename, mkdir) takes the class from `code`; a failure while the
 * bytes are written or synced is KR_EIO whatever the errno, in the words
 * of `why` where the operator can act on it (strerror otherwise), and
 * says that nothing was left behind.
 */
static const struct kr_errno_row {
	int		 e;
	int		 code;
	const char	*why;
} kr_errno_rows[] = {
	{ ENOENT, KR_ENOENT, NULL },
	{ ENOTDIR, KR_ENOENT, NULL },
	{ EEXIST, KR_EEXIST, NULL },
	{ EACCES, KR_ESTATE, NULL },
	{ EPERM, KR_ESTATE, NULL },
	{ EROFS, KR_ESTATE, NULL },
	{ EFBIG, KR_EIO, "it would be larger than this process may write "
	    "(the file size limit, ulimit -f)" },
	{ ENOSPC, KR_EIO, "the device is full" },
	{ EDQUOT, KR_EIO, "the disk quota is used up" },
};

static const struct kr_errno_row *
kr_errno_row(int e)
{
	size_t	i;

	for (i = 0; i < sizeof(kr_errno_rows) / sizeof(kr_errno_rows[0]); i++)
		if (kr_errno_rows[i].e == e)
			return &kr_errno_rows[i];
	return NULL;
}

static int
kr_errno_code(int e)
{
	const struct kr_errno_row	*r = kr_errno_row(e);

	return r != NULL ? r->code : KR_EIO;
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

/*
 * A large write (a CRL of a million entries is 49 MB) goes around the
 * page cache (O_DIRECT) where the file system allows it: a buffered write
 * copies every byte into page-cache pages the kernel must first find,
 * which on the project machine (a VM whose free memory goes back to the
 * host) cost 2 to 3 ms per MB, against one DMA from a reused buffer.
 * fsync follows as before.  The bytes go through an aligned bounce
 * buffer, KR_DIRECT_ALIGN at a time; the unaligned tail, and everything
 * after any refusal or short write, is written the usual way, which also
 * reports any error.  The return is the number of bytes written.
 */
#define KR_DIRECT_MIN	((size_t)8 << 20)
#define KR_DIRECT_ALIGN	((size_t)4096)
#define KR_DIRECT_CHUNK	((size_t)1 << 20)

static size_t
kr_write_direct(int fd, const uint8_t *p, size_t len)
{
	uint8_t	*bb;
	size_t	 done = 0, n;
	ssize_t	 w;
	off_t	 off;
	int	 fl;

	if (len < KR_DIRECT_MIN || (off = lseek(fd, 0, SEEK_CUR)) < 0 ||
	    (size_t)off % KR_DIRECT_ALIGN != 0 || (fl = fcntl(fd, F_GETFL)) < 0)
		return 0;
	bb = mmap(NULL, KR_DIRECT_CHUNK, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bb == MAP_FAILED)
		return 0;
	if (fcntl(fd, F_SETFL, fl | O_DIRECT) == 0) {
		while (len - done >= KR_DIRECT_ALIGN) {
			n = len - done < KR_DIRECT_CHUNK ? len - done :
			    KR_DIRECT_CHUNK;
			n &= ~(KR_DIRECT_ALIGN - 1);
			memcpy(bb, p + done, n);
			if ((w = write(fd, bb, n)) > 0)
				done += (size_t)w;
			if (w != (ssize_t)n)
				break;
		}
		(void)fcntl(fd, F_SETFL, fl);
	}
	/* What is written may be a secret: the copy goes with the buffer. */
	sodium_memzero(bb, KR_DIRECT_CHUNK);
	(void)munmap(bb, KR_DIRECT_CHUNK);
	return done;
}

/* "cannot write PATH: why", in the table's words where it has some. */
static int
kr_write_error(struct kr_err *err, const char *path, int e)
{
	const struct kr_errno_row	*r = kr_errno_row(e);

	if (r == NULL || r->why == NULL)
		return kr_err_set(err, KR_EIO, "cannot write %s: %s", path,
		    strerror(e));
	return kr_err_set(err, KR_EIO, "cannot write %s: %s; nothing was "
	    "left behind", path, r->why);
}

/* "PATH.tmp-" and 16 hex digits: keyrite's own temporary names. */
#define KR_TMP_MARK	".tmp-"
#define KR_TMP_HEX	16

bool
kr_file_tmp_name(const char *name, size_t *stem_len)
{
	size_t	len = strlen(name), mark = sizeof(KR_TMP_MARK) - 1, i;

	if (len <= mark + KR_TMP_HEX)
		return false;
	if (memcmp(name + len - KR_TMP_HEX - mark, KR_TMP_MARK, mark) != 0)
		return false;
	for (i = len - KR_TMP_HEX; i < len; i++)
		if (strchr("0123456789abcdef", name[i]) == NULL ||
		    name[i] == '\0')
			return false;
	if (stem_len != NULL)
		*stem_len = len - KR_TMP_HEX - mark;
	return true;
}

static char *
kr_tmp_name(const char *path)
{
	unsigned char	rnd[KR_TMP_HEX / 2];
	char		suffix[KR_TMP_HEX + 1];
	char		*tmp;
	size_t		len;

	randombytes_buf(rnd, sizeof(rnd));
	kr_hex_encode(suffix, rnd, sizeof(rnd));
	len = strlen(path) + sizeof(KR_TMP_MARK) + KR_TMP_HEX;
	if ((tmp = malloc(len)) == NULL)
		return NULL;
	(void)snprintf(tmp, len, "%s" KR_TMP_MARK "%s", path, suffix);
	return tmp;
}

/*
 * A new file that must not replace another gets no name at all until it
 * is complete: O_TMPFILE in the target folder, then linkat() through
 * /proc/self/fd, which refuses an existing name.  A process killed while
 * writing it leaves nothing.  File systems without O_TMPFILE (FAT and
 * exFAT media) get a named temporary file instead.
 */
static int
kr_out_anonymous(struct kr_file_out *o)
{
	char	*dir;

	if ((o->flags & (KR_FILE_NOREPLACE | KR_FILE_STAGED)) !=
	    KR_FILE_NOREPLACE || access("/proc/self/fd", X_OK) != 0)
		return -1;
	if ((dir = kr_dirname_dup(o->path)) == NULL)
		return -1;
	o->fd = open(dir, O_WRONLY | O_TMPFILE | O_CLOEXEC, 0600);
	free(dir);
	return o->fd >= 0 ? 0 : -1;
}

int
kr_file_out_open(struct kr_file_out *o, const char *path, unsigned flags,
    struct kr_err *err)
{
	int	e;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->flags = flags;
	if ((o->path = strdup(path)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (kr_out_anonymous(o) == 0)
		return KR_OK;
	if ((o->tmp = kr_tmp_name(path)) == NULL) {
		kr_file_out_abort(o);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (o->fd < 0) {
		e = errno;
		free(o->tmp);
		o->tmp = NULL;
		kr_file_out_abort(o);
		return kr_err_set(err, kr_errno_code(e) == KR_EEXIST ?
		    KR_EIO : kr_errno_code(e), "cannot create %s: %s", path,
		    strerror(e));
	}
	return KR_OK;
}

int
kr_file_out_write(struct kr_file_out *o, const void *data, size_t len,
    struct kr_err *err)
{
	size_t	done = kr_write_direct(o->fd, data, len);

	if (kr_write_all(o->fd, (const uint8_t *)data + done, len - done) != 0)
		return kr_write_error(err, o->path, errno);
	return KR_OK;
}

/* Closes and removes what was written; safe to call twice. */
void
kr_file_out_abort(struct kr_file_out *o)
{
	if (o->fd >= 0)
		(void)close(o->fd);
	o->fd = -1;
	if (o->tmp != NULL)
		(void)unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	o->tmp = NULL;
	o->path = NULL;
}

/* "PATH already exists" or "cannot create PATH: why", naming a file. */
static int
kr_name_error(struct kr_err *err, const char *path, int e)
{
	if (e == EEXIST)
		return kr_err_set(err, KR_EEXIST, "%s already exists: keyrite "
		    "will not overwrite it", path);
	return kr_err_set(err, kr_errno_code(e), "cannot create %s: %s", path,
	    strerror(e));
}

int
kr_rename_noreplace(const char *from, const char *to)
{
	struct stat	st;

	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(from, to) == 0) {
		(void)unlink(from);
		return 0;
	}
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS &&
	    errno != EISDIR)
		return -1;
	if (lstat(to, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	return rename(from, to);
}

/* Moves tmp onto path; with NOREPLACE an existing path is an error. */
static int
kr_tmp_commit(const char *tmp, const char *path, unsigned flags,
    struct kr_err *err)
{
	if ((flags & KR_FILE_NOREPLACE) != 0) {
		if (kr_rename_noreplace(tmp, path) == 0)
			return KR_OK;
		return kr_name_error(err, path, errno);
	}
	if (rename(tmp, path) != 0)
		return kr_err_set(err, kr_errno_code(errno),
		    "cannot move the new %s into place: %s", path,
		    strerror(errno));
	return KR_OK;
}

static int
kr_out_link(struct kr_file_out *o, struct kr_err *err)
{
	char	proc[64];

	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, o->path, AT_SYMLINK_FOLLOW) == 0)
		return KR_OK;
	return kr_name_error(err, o->path, errno);
}

/* Syncs the bytes; a file with a temporary name is closed as well. */
static int
kr_out_sync(struct kr_file_out *o, struct kr_err *err)
{
	int	fd = o->fd;

	if (fsync(fd) != 0)
		return kr_write_error(err, o->path, errno);
	if (o->tmp == NULL)
		return KR_OK;	/* linkat names it through the descriptor */
	o->fd = -1;
	if (close(fd) != 0)
		return kr_write_error(err, o->path, errno);
	return KR_OK;
}

/* Syncs the folder `path` lies in. */
static int
kr_fsync_parent(const char *path, struct kr_err *err)
{
	char	*dir;
	int	 ret;

	if ((dir = kr_dirname_dup(path)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_fsync_dir(dir, err);
	free(dir);
	return ret;
}

/*
 * Syncs the bytes, gives the file its name (refusing an existing one with
 * KR_FILE_NOREPLACE) and syncs the folder.  On failure nothing is left.
 * Always closes.
 */
int
kr_file_out_commit(struct kr_file_out *o, struct kr_err *err)
{
	char	*dir = NULL;
	int	 ret;

	if ((ret = kr_out_sync(o, err)) != KR_OK)
		goto out;
	/* Everything that can fail for want of memory, before the name. */
	if ((dir = kr_dirname_dup(o->path)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if (o->tmp == NULL)
		ret = kr_out_link(o, err);
	else
		ret = kr_tmp_commit(o->tmp, o->path, o->flags, err);
	if (ret != KR_OK)
		goto out;
	/* A new file whose folder cannot be synced is not left behind. */
	if ((ret = kr_fsync_dir(dir, err)) != KR_OK &&
	    (o->flags & KR_FILE_NOREPLACE) != 0)
		(void)unlink(o->path);
out:
	free(dir);
	kr_file_out_abort(o);
	return ret;
}

int
kr_file_out_sync_group(struct kr_file_out *o, size_t n, struct kr_err *err)
{
	size_t	i;

	/* Writeback of every file first, so one journal commit covers all. */
	for (i = 0; i < n; i++)
		(void)sync_file_range(o[i].fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	for (i = 0; i < n; i++)
		if (fdatasync(o[i].fd) != 0)
			return kr_write_error(err, o[i].path, errno);
	return KR_OK;
}

int
kr_file_out_name(struct kr_file_out *o, struct kr_err *err)
{
	int	ret = KR_OK;

	if (o->tmp == NULL)
		ret = kr_out_link(o, err);
	else if (close(o->fd) != 0)
		ret = kr_write_error(err, o->path, errno);
	else {
		o->fd = -1;
		ret = kr_tmp_commit(o->tmp, o->path, o->flags, err);
	}
	kr_file_out_abort(o);
	return ret;
}

int
kr_file_write(const char *path, const void *data, size_t len,
    unsigned flags, struct kr_err *err)
{
	struct kr_file_out	o;
	int			ret;

	if ((ret = kr_file_out_open(&o, path, flags, err)) != KR_OK)
		return ret;
	if ((ret = kr_file_out_write(&o, data, len, err)) != KR_OK) {
		kr_file_out_abort(&o);
		return ret;
	}
	return kr_file_out_commit(&o, err);
}

/*
 * Writes `path`'s future bytes under a temporary name beside it, synced
 * with its folder, so the file survives a crash that follows; *tmp gets
 * the name.  kr_file_place gives it its name.
 */
int
kr_file_stage(const char *path, const void *data, size_t len, char **tmp,
    struct kr_err *err)
{
	struct kr_file_out	o;
	int			ret;

	*tmp = NULL;
	if ((ret = kr_file_out_open(&o, path, KR_FILE_STAGED, err)) != KR_OK)
		return ret;
	if ((ret = kr_file_out_write(&o, data, len, err)) == KR_OK &&
	    (ret = kr_out_sync(&o, err)) == KR_OK &&
	    (ret = kr_fsync_parent(path, err)) == KR_OK) {
		*tmp = o.tmp;
		o.tmp = NULL;
	}
	kr_file_out_abort(&o);
	return ret;
}

int
kr_file_place(const char *tmp, const char *path, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_tmp_commit(tmp, path, KR_FILE_NOREPLACE, err)) != KR_OK)
		return ret;
	return kr_fsync_parent(path, err);
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
	return kr_fsync_parent(path, err);
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

bool
kr_path_under(const char *real, const char *top)
{
	size_t	n = strlen(top);

	if (n == 1 && top[0] == '/')
		return real[0] == '/';
	return strncmp(real, top, n) == 0 && (real[n] == '/' ||
	    real[n] == '\0');
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

char *
kr_path_dir(const char *path)
{
	char	*copy, *dir;

	if ((copy = strdup(path)) == NULL)
		return NULL;
	dir = strdup(dirname(copy));
	free(copy);
	return dir;
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
	(void)pthread_sigmask(SIG_BLOCK, &set, &m->old);
}

void
kr_signals_release(struct kr_sigmask *m)
{
	(void)pthread_sigmask(SIG_SETMASK, &m->old, NULL);
}

/*
 * Starts a worker thread that takes no signal: an operator's Ctrl-C is
 * delivered to the main thread, which holds it across a record-and-
 * release step (kr_signals_hold); a worker taking it would end the
 * process in the middle of that step.
 */
bool
kr_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	sigset_t	all, old;
	int		rc;

	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(tid, NULL, fn, arg);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0;
}

