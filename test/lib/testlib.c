/*
 * The helpers every C test shares: see testlib.h.
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <keyrite/base.h>

#include "testlib.h"

#define TL_PATHS	8

static char	tl_dir[512];
static char	tl_log[4096];

/* ---- the work folder ------------------------------------------------ */

const char *
tl_work_begin(const char *tag)
{
	const char	*tmp = getenv("TMPDIR");

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	(void)snprintf(tl_dir, sizeof(tl_dir), "%s/kr-%s-XXXXXX", tmp, tag);
	if (mkdtemp(tl_dir) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", tl_dir, strerror(errno));
		tl_dir[0] = '\0';
		return NULL;
	}
	return tl_dir;
}

const char *
tl_work(void)
{
	return tl_dir;
}

static int
tl_rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

int
tl_rmtree(const char *dir)
{
	if (dir == NULL || dir[0] == '\0')
		return 0;
	if (nftw(dir, tl_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		fprintf(stderr, "could not remove %s: %s\n", dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
tl_work_end(void)
{
	if (tl_dir[0] == '\0')
		return;
	if (getenv("KEYRITE_TEST_KEEP") != NULL)
		fprintf(stderr, "kept %s\n", tl_dir);
	else
		(void)tl_rmtree(tl_dir);
	tl_dir[0] = '\0';
}

const char *
tl_path(const char *name)
{
	static char	path[TL_PATHS][1024];
	static int	i;

	if (name == NULL || name[0] == '/' || tl_dir[0] == '\0')
		return name;
	i = (i + 1) % TL_PATHS;
	(void)snprintf(path[i], sizeof(path[i]), "%s/%s", tl_dir, name);
	return path[i];
}

/* ---- files ------------------------------------------------------------ */

int
tl_save(const char *name, const void *p, size_t len)
{
	FILE	*f = fopen(tl_path(name), "wb");
	int	 ret = 0;

	if (f == NULL)
		return -1;
	if (len > 0 && fwrite(p, 1, len, f) != len)
		ret = -1;
	if (fclose(f) != 0)
		ret = -1;
	return ret;
}

int
tl_save_pem(const char *name, const char *label, const uint8_t *der,
    size_t len)
{
	char	*pem = kr_pem_encode(label, der, len);
	int	 ret = -1;

	if (pem != NULL)
		ret = tl_save(name, pem, strlen(pem));
	free(pem);
	return ret;
}

void
tl_write(const char *name, const void *p, size_t len)
{
	ck_assert_msg(tl_save(name, p, len) == 0, "cannot write %s: %s",
	    tl_path(name), strerror(errno));
}

void
tl_write_text(const char *name, const char *text)
{
	tl_write(name, text, strlen(text));
}

void
tl_write_pem(const char *name, const char *label, const uint8_t *der,
    size_t len)
{
	ck_assert_msg(tl_save_pem(name, label, der, len) == 0, "cannot write "
	    "%s", tl_path(name));
}

char *
tl_read_maybe(const char *name, size_t *lenp)
{
	FILE	*f = fopen(tl_path(name), "rb");
	char	*b = NULL;
	long	 n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)n + 1)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		(void)fclose(f);
		return NULL;
	}
	(void)fclose(f);
	b[n] = '\0';
	if (lenp != NULL)
		*lenp = (size_t)n;
	return b;
}

uint8_t *
tl_read(const char *name, size_t *lenp)
{
	char	*b = tl_read_maybe(name, lenp);

	ck_assert_msg(b != NULL, "cannot read %s", tl_path(name));
	return (uint8_t *)b;
}

/* ---- commands --------------------------------------------------------- */

int
tl_sh(const char *fmt, ...)
{
	char	*cmd = NULL, *all = NULL;
	va_list	 ap;
	int	 st;

	va_start(ap, fmt);
	st = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (st < 0)
		return -1;
	if (tl_dir[0] != '\0')
		st = asprintf(&all, "cd '%s' && { %s\n}", tl_dir, cmd);
	else
		st = asprintf(&all, "{ %s\n}", cmd);
	free(cmd);
	if (st < 0)
		return -1;
	st = system(all);
	free(all);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
tl_sh_logged(const char *fmt, ...)
{
	char	*cmd = NULL;
	va_list	 ap;
	int	 st;

	va_start(ap, fmt);
	st = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (st < 0)
		return -1;
	st = tl_sh("{ %s\n} >cmd.log 2>&1", cmd);
	free(cmd);
	return st;
}

const char *
tl_sh_log(void)
{
	char	*log = tl_read_maybe("cmd.log", NULL);
	size_t	 n;

	if (log == NULL) {
		(void)snprintf(tl_log, sizeof(tl_log), "(no cmd.log)");
		return tl_log;
	}
	n = strlen(log);
	(void)snprintf(tl_log, sizeof(tl_log), "%s", n >= sizeof(tl_log) ?
	    log + n - (sizeof(tl_log) - 1) : log);
	free(log);
	return tl_log;
}

bool
tl_have(const char *cmd)
{
	char	*all = NULL;
	int	 st;

	if (asprintf(&all, "%s > /dev/null 2>&1", cmd) < 0)
		return false;
	st = system(all);
	free(all);
	return st == 0;
}

/* ---- text ------------------------------------------------------------- */

void
tl_assert_has(const char *text, const char *needle, const char *what)
{
	ck_assert_msg(text != NULL && strstr(text, needle) != NULL,
	    "%s: \"%s\" not in:\n%s", what, needle,
	    text != NULL ? text : "(nothing)");
}

void
tl_assert_lacks(const char *text, const char *needle, const char *what)
{
	ck_assert_msg(text != NULL && strstr(text, needle) == NULL,
	    "%s: \"%s\" should not be in:\n%s", what, needle,
	    text != NULL ? text : "(nothing)");
}

bool
tl_contains(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
	return memmem(hay, hlen, needle, nlen) != NULL;
}

double
tl_seconds(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- running ---------------------------------------------------------- */

int
tl_run(Suite *first, ...)
{
	SRunner	*sr = srunner_create(first);
	Suite	*s;
	va_list	 ap;
	int	 failed;

	va_start(ap, first);
	while ((s = va_arg(ap, Suite *)) != NULL)
		srunner_add_suite(sr, s);
	va_end(ap);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void
tl_skip(const char *fmt, ...)
{
	va_list	ap;

	fputs("SKIP: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(77);
}

/* ---- scratch file for fuzz targets ------------------------------------ */

static char	tl_scratch_path[64];
static int	tl_scratch_fd = -1;

static void
tl_scratch_remove(void)
{
	if (tl_scratch_fd != -1) {
		(void)unlink(tl_scratch_path);
		(void)close(tl_scratch_fd);
		tl_scratch_fd = -1;
	}
}

const char *
tl_scratch(void)
{
	if (tl_scratch_fd != -1)
		return tl_scratch_path;
	(void)snprintf(tl_scratch_path, sizeof(tl_scratch_path),
	    "/dev/shm/kr-fuzz-XXXXXX");
	if ((tl_scratch_fd = mkstemp(tl_scratch_path)) == -1) {
		(void)snprintf(tl_scratch_path, sizeof(tl_scratch_path),
		    "/tmp/kr-fuzz-XXXXXX");
		if ((tl_scratch_fd = mkstemp(tl_scratch_path)) == -1)
			abort();
	}
	if (atexit(tl_scratch_remove) != 0)
		abort();
	return tl_scratch_path;
}

const char *
tl_scratch_put(const void *p, size_t len)
{
	const char	*path = tl_scratch();

	if (ftruncate(tl_scratch_fd, 0) != 0 ||
	    (len > 0 && pwrite(tl_scratch_fd, p, len, 0) != (ssize_t)len))
		abort();
	return path;
}

size_t
tl_apply_edits(uint8_t *buf, size_t len, const uint8_t *data, size_t dlen)
{
	size_t	i, pos;

	for (i = 0; i + 3 <= dlen; i += 3) {
		pos = ((size_t)data[i] << 8 | data[i + 1]) % len;
		buf[pos] ^= data[i + 2];
	}
	if (dlen % 3 == 1)
		len -= data[dlen - 1] % len;
	return len;
}

/* ---- running under the sanitizers -------------------------------------- */

bool
tl_sanitized(void)
{
	const char	*v = getenv("KEYRITE_SANITIZE");

	return TL_UNDER_ASAN || (v != NULL && strcmp(v, "1") == 0);
}
