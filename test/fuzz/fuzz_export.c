/*
 * libFuzzer target for `keyrite export verify` (src/media/export_verify.c):
 * what it reads from a medium, MANIFEST.json (the canonical JSON reader,
 * names with one sub-folder) and SHA256SUMS.
 *
 * The input is the manifest, then a NUL byte, then SHA256SUMS (no NUL:
 * the whole input is the manifest).  Both are written into a folder made
 * at start-up (in /dev/shm where there is one) that also holds
 * cert.pem and sub/two.pem, the files the seeds list; the folder is
 * checked and its report's counts must agree.  Seeds: test/fuzz/seeds/export/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keyrite/media.h>

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 dir[64];
static char	 man[96], sums[96];

static void
put(const char *path, const void *p, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "wb")) == NULL ||
	    (len > 0 && fwrite(p, 1, len, f) != len) || fclose(f) != 0)
		abort();
}

static void
cleanup(void)
{
	char	p[128];

	(void)unlink(man);
	(void)unlink(sums);
	(void)snprintf(p, sizeof(p), "%s/cert.pem", dir);
	(void)unlink(p);
	(void)snprintf(p, sizeof(p), "%s/sub/two.pem", dir);
	(void)unlink(p);
	(void)snprintf(p, sizeof(p), "%s/sub", dir);
	(void)rmdir(p);
	(void)rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	p[128];

	(void)argc;
	(void)argv;
	(void)snprintf(dir, sizeof(dir), "%s/kr-fuzz-export.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	(void)snprintf(man, sizeof(man), "%s/%s", dir, KR_MEDIA_MANIFEST);
	(void)snprintf(sums, sizeof(sums), "%s/%s", dir, KR_MEDIA_SUMS);
	(void)snprintf(p, sizeof(p), "%s/cert.pem", dir);
	put(p, "cert\n", 5);
	(void)snprintf(p, sizeof(p), "%s/sub", dir);
	if (mkdir(p, 0700) != 0)
		abort();
	(void)snprintf(p, sizeof(p), "%s/sub/two.pem", dir);
	put(p, "two\n", 4);
	(void)atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct kr_media_export_report	*r;
	struct kr_err			 err;
	const uint8_t			*nul = memchr(data, '\0', len);
	size_t				 mlen = nul != NULL ?
					    (size_t)(nul - data) : len;
	int				 ret;

	if (dir[0] == '\0')
		(void)LLVMFuzzerInitialize(NULL, NULL);
	put(man, data, mlen);
	if (nul != NULL)
		put(sums, nul + 1, len - mlen - 1);
	else
		(void)unlink(sums);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	ret = kr_media_export_verify(dir, r, &err);
	if (r->files_ok > r->files || (ret == KR_OK && (r->nfailed != 0 ||
	    r->files_ok != r->files || !r->manifest_in_sums)))
		abort();
	free(r);
	return 0;
}
