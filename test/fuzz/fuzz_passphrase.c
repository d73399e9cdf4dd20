/*
 * libFuzzer target for the --passphrase-fd reader (src/cli/passphrase.c,
 * compiled in here): the input is what a script writes to the
 * descriptor, read through a memfd one custodian line at a time with
 * get() and skip() taking turns as the quorum commands use them (the
 * first byte says which), into a buffer of the real size or of a few
 * bytes (the second byte says which).
 *
 * A passphrase read holds no newline or NUL and fits its buffer; the
 * reader never reads past the line it returns (the next custodian's line
 * stays); every refusal says why.  The reader takes one read(2) a byte,
 * so inputs are cut at FUZZ_FD_MAX bytes; the small buffers meet over-long
 * lines all the same.  Seeds: test/fuzz/seeds/passphrase/.
 *
 * TEST-KEY-054 (docs/traceability.md): its smoke run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * passphrase.c's cmd_pass_set_fd calls into cmd.c, which the target does
 * not link; it is never called here.
 */
int	cmd_parse_uint(struct cmd_ctx *, const char *, const char *, unsigned,
	    unsigned, unsigned *) __attribute__((weak));
int	cmd_usage_error(struct cmd_ctx *, const char *, ...)
	    __attribute__((weak));

int
cmd_parse_uint(struct cmd_ctx *ctx, const char *opt, const char *arg,
    unsigned lo, unsigned hi, unsigned *out)
{
	abort();
}

int
cmd_usage_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
	abort();
}

#define FUZZ_FD_MAX	512

static int	fd = -1;

static void
fuzz_lines(const uint8_t *data, size_t len, size_t cap)
{
	struct kr_passphrase_source	 src;
	struct cmd_pass			 p;
	struct kr_err			 err;
	char				*buf;
	int				 i, ret;
	bool				 at_end = false;

	if (ftruncate(fd, 0) != 0 || (len > 0 && pwrite(fd, data, len, 0) !=
	    (ssize_t)len) || lseek(fd, 0, SEEK_SET) != 0 ||
	    (buf = malloc(cap)) == NULL)
		abort();
	cmd_pass_init(&p, &src);
	p.fd = fd;
	/* until one call past the end (skip() costs a secure allocation) */
	for (i = 0; i < 64 && (i == 0 || !at_end); i++) {
		at_end = lseek(fd, 0, SEEK_CUR) >= (off_t)len;
		if (len > 0 && data[0] & (1u << (i % 8))) {
			src.skip(src.ctx);
			continue;
		}
		kr_err_clear(&err);
		ret = src.get(src.ctx, "alice", "alice.share", false, buf,
		    cap, &err);
		if (ret != KR_OK) {
			if (err.msg[0] == '\0' || strstr(err.msg, "alice") ==
			    NULL)
				abort();
			if (ret != KR_EINPUT)
				abort();
			continue;
		}
		if (memchr(buf, '\0', cap) == NULL || strlen(buf) >= cap ||
		    strchr(buf, '\n') != NULL)
			abort();
	}
	if (lseek(fd, 0, SEEK_CUR) > (off_t)len)
		abort();
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const size_t	caps[] = { KR_PASSPHRASE_MAX, 64, 8 };

	if (fd == -1 && (fd = memfd_create("kr-fuzz-passphrase", 0)) == -1)
		abort();
	if (len > FUZZ_FD_MAX)
		len = FUZZ_FD_MAX;
	fuzz_lines(data, len, caps[len > 1 ? data[1] % 3 : 0]);
	return 0;
}
