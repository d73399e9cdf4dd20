/*
 * Process hardening, run before anything else in main(): no core dumps,
 * not dumpable or ptrace-attachable by other users, private file modes,
 * memory locked so secrets are not paged to disk, and SIGXFSZ ignored so
 * a write over the file size limit fails instead of killing keyrite.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <keyrite/base.h>

static int
kr_core_off(struct kr_err *err)
{
	struct rlimit	rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return kr_err_set(err, KR_EINTERNAL,
		    "cannot disable core dumps (setrlimit: %s); keyrite will "
		    "not run where a crash could write secrets to disk",
		    strerror(errno));
	return KR_OK;
}

static int
kr_nondumpable(struct kr_err *err)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return kr_err_set(err, KR_EINTERNAL,
		    "cannot mark the process non-dumpable (prctl: %s)",
		    strerror(errno));
	return KR_OK;
}

/*
 * Locking all future memory is only safe when the lock limit can hold
 * what keyrite allocates later (Argon2id alone takes 256 MiB or more);
 * otherwise those allocations would fail.  Lock only under a generous
 * limit, raising the soft limit to the hard one where that helps.
 */
#define KR_MLOCK_NEED	((rlim_t)1024 * 1024 * 1024)

/* CAP_IPC_LOCK (bit 14 of CapEff) makes RLIMIT_MEMLOCK irrelevant. */
static bool
kr_has_ipc_lock(void)
{
	char			 line[256];
	unsigned long long	 caps;
	FILE			*f = fopen("/proc/self/status", "re");
	bool			 yes = false;

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			yes = (caps & (1ULL << 14)) != 0;
			break;
		}
	(void)fclose(f);
	return yes;
}

static bool
kr_mlock_limit_ok(void)
{
	struct rlimit	rl;

	if (kr_has_ipc_lock())
		return true;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return false;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= KR_MLOCK_NEED)
		return true;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= KR_MLOCK_NEED) {
		rl.rlim_cur = rl.rlim_max;
		return setrlimit(RLIMIT_MEMLOCK, &rl) == 0;
	}
	return false;
}

/*
 * Every page of the process is locked as it is first touched
 * (MCL_ONFAULT), not when it is mapped: a page never touched holds
 * nothing to protect, and a large buffer can then take huge pages
 * (kr_bulk_alloc) before it is filled.  A kernel without MCL_ONFAULT
 * (before Linux 4.4) locks at mapping time.
 */
static int
kr_lock_all(void)
{
#ifdef MCL_ONFAULT
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
#endif
	return mlockall(MCL_CURRENT | MCL_FUTURE);
}

int
kr_harden_process(struct kr_hardening *h, struct kr_err *err)
{
	int	ret;

	memset(h, 0, sizeof(*h));
	(void)umask(077);
	/*
	 * A write past the file size limit (ulimit -f) fails with EFBIG
	 * instead of killing keyrite, so the writer removes its temporary
	 * file and says what happened.
	 */
	(void)signal(SIGXFSZ, SIG_IGN);
	if ((ret = kr_core_off(err)) != KR_OK)
		return ret;
	h->core_off = true;
	if ((ret = kr_nondumpable(err)) != KR_OK)
		return ret;
	h->nondumpable = true;
	if (!kr_mlock_limit_ok()) {
		(void)snprintf(h->warning, sizeof(h->warning),
		    "memory is not locked: the locked-memory limit "
		    "(RLIMIT_MEMLOCK) is below 1 GiB and keyrite lacks "
		    "CAP_IPC_LOCK, so secrets outside its secure buffers "
		    "could reach swap. Raise the limit (ulimit -l) or run "
		    "with CAP_IPC_LOCK, and use a machine without swap for "
		    "ceremonies.");
	} else if (kr_lock_all() == 0) {
		h->locked = true;
	} else {
		(void)snprintf(h->warning, sizeof(h->warning),
		    "memory could not be locked (mlockall: %s); secrets "
		    "outside keyrite's secure buffers could reach swap. Run "
		    "as root or raise RLIMIT_MEMLOCK, and use a machine "
		    "without swap for ceremonies.", strerror(errno));
	}
	return KR_OK;
}
