/*
 * One writer at a time: an exclusive flock(2) on the state folder's lock
 * file, taken before the database is opened and held until the appliance
 * is closed (or the process ends: the kernel drops the lock with the last
 * descriptor, so a killed keyrite never leaves the folder locked).
 *
 * The file holds the holder's pid, for the messages of the one waiting.
 * It is never removed: removing it would let two processes lock two
 * different files of the same name.  Readers never take it; SQLite's
 * write-ahead log lets them read while a writer works.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "authority_int.h"

#define KR_LOCK_POLL_NS	100000000L	/* 0.1 s between tries */

/* The pid written by the holder, or 0 when there is none yet. */
static long
kr_lock_holder(int fd)
{
	char	buf[24];
	ssize_t	n;
	long	pid;
	char	*end;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0') || pid <= 0)
		return 0;
	return pid;
}

static void
kr_lock_mine(int fd)
{
	char	buf[24];
	int	n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	/* the pid only improves a message: a failed write is harmless */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) != n)
		return;
}

static void
kr_lock_pid_str(long pid, char *out, size_t cap)
{
	if (pid > 0)
		snprintf(out, cap, "pid %ld", pid);
	else
		snprintf(out, cap, "pid unknown");
}

static double
kr_lock_elapsed(const struct timespec *start)
{
	struct timespec	now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Tries until the lock is ours or `wait_secs` have passed. */
static int
kr_lock_wait(int fd, const char *dir, unsigned wait_secs,
    const struct kr_notice_sink *ns, struct kr_err *err)
{
	struct timespec	 start, nap = { 0, KR_LOCK_POLL_NS };
	char		 who[32], msg[512];

	kr_lock_pid_str(kr_lock_holder(fd), who, sizeof(who));
	if (wait_secs > 0 && ns != NULL && ns->notice != NULL) {
		snprintf(msg, sizeof(msg), "waiting for another keyrite (%s) "
		    "to finish with %s (up to %u s; KEYRITE_LOCK_WAIT sets "
		    "the wait) ...", who, dir, wait_secs);
		ns->notice(ns->ctx, msg);
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	while (kr_lock_elapsed(&start) < (double)wait_secs) {
		(void)nanosleep(&nap, NULL);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return KR_OK;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return kr_err_set(err, KR_ESTATE, "cannot lock %s/%s: "
			    "%s", dir, KR_LOCK_FILE, strerror(errno));
	}
	kr_lock_pid_str(kr_lock_holder(fd), who, sizeof(who));
	return kr_err_set(err, KR_EBUSY, "busy: another keyrite (%s) is "
	    "changing the state folder %s and still held it after %u s; "
	    "nothing was done. Let it finish (ps -p shows it), then run this "
	    "command again, or set KEYRITE_LOCK_WAIT=SECONDS to wait longer",
	    who, dir, wait_secs);
}

static int
kr_lock_open(const char *dir, bool fresh, struct kr_err *err)
{
	struct stat	 st;
	char		*path;
	int		 fd, e;

	if ((path = kr_path_join(dir, KR_LOCK_FILE)) == NULL) {
		(void)kr_err_set(err, KR_ENOMEM, "out of memory");
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
	    (fresh ? O_EXCL : 0), 0600);
	e = errno;
	free(path);
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		(void)close(fd);
		(void)kr_err_set(err, KR_ESTATE, "%s/%s is not a regular file: "
		    "remove it (it is only a lock)", dir, KR_LOCK_FILE);
		return -1;
	}
	if (fd >= 0)
		return fd;
	if (fresh && e == EEXIST)
		(void)kr_err_set(err, KR_EBUSY, "busy: another keyrite init "
		    "is making the state folder %s: let it finish, or choose "
		    "another folder", dir);
	else if (e == ELOOP)
		(void)kr_err_set(err, KR_ESTATE, "%s/%s is a symbolic link: "
		    "keyrite refuses it; remove the link", dir, KR_LOCK_FILE);
	else
		(void)kr_err_set(err, KR_ESTATE, "cannot open the lock file "
		    "%s/%s: %s: keyrite must be able to write the state folder",
		    dir, KR_LOCK_FILE, strerror(e));
	return -1;
}

int
kr_lock_take(const char *dir, bool fresh, unsigned wait_secs,
    const struct kr_notice_sink *ns, int *fdp, struct kr_err *err)
{
	int	fd, ret;

	*fdp = -1;
	if ((fd = kr_lock_open(dir, fresh, err)) < 0)
		return err->code;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK)
			ret = kr_err_set(err, KR_ESTATE, "cannot lock %s/%s: %s",
			    dir, KR_LOCK_FILE, strerror(errno));
		else
			ret = kr_lock_wait(fd, dir, wait_secs, ns, err);
		if (ret != KR_OK) {
			(void)close(fd);
			return ret;
		}
	}
	kr_lock_mine(fd);
	*fdp = fd;
	return KR_OK;
}

void
kr_lock_release(int *fdp)
{
	if (*fdp < 0)
		return;
	if (ftruncate(*fdp, 0) != 0) {
		/* a stale pid only misleads a message of the next one */
	}
	(void)close(*fdp);		/* drops the flock */
	*fdp = -1;
}
