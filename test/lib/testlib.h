/*
 * The helpers every C test shares (test/lib/, prefix tl_): a work folder
 * with files in it, shell commands run there, text checks, the Check
 * runner, and exit 77 for a skip.  Helpers named for files and commands
 * assert with Check, so they belong inside a test (or its fixture); the
 * ones that return an error instead say so.
 *
 * PKI helpers (sealed signers, names, certificates, openssl checks) are
 * in testpki.h, a separate library, so a test of a low module does not
 * link the keystore.
 */
#ifndef KR_TESTLIB_H
#define KR_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>

#define TL_PRINTF(f, a)	__attribute__((format(printf, f, a)))

/* Whether this binary runs under AddressSanitizer (gcc or clang). */
#if defined(__SANITIZE_ADDRESS__)
#define TL_UNDER_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TL_UNDER_ASAN	1
#endif
#endif
#ifndef TL_UNDER_ASAN
#define TL_UNDER_ASAN	0
#endif

/*
 * The work folder: one fresh /tmp/kr-TAG-XXXXXX (under $TMPDIR if set)
 * at a time.  tl_work_begin returns its path, or NULL after a message on
 * stderr.  tl_work_end removes it and all below it, unless
 * KEYRITE_TEST_KEEP is set (then it says where it is).
 */
const char	*tl_work_begin(const char *tag);
void		 tl_work_end(void);
const char	*tl_work(void);

/* Removes a folder and everything below it (no links followed). */
int		 tl_rmtree(const char *dir);

/*
 * NAME in the work folder (an absolute NAME, or NULL, as it is).  The
 * result lives until eight more calls.
 */
const char	*tl_path(const char *name);

/*
 * Files, named as tl_path names them.  tl_write* assert; tl_save* return
 * 0 or -1, for set-up outside a test.
 */
int		 tl_save(const char *name, const void *p, size_t len);
int		 tl_save_pem(const char *name, const char *label,
		    const uint8_t *der, size_t len);
void		 tl_write(const char *name, const void *p, size_t len);
void		 tl_write_text(const char *name, const char *text);
void		 tl_write_pem(const char *name, const char *label,
		    const uint8_t *der, size_t len);
/* The whole file, NUL-terminated (malloc'd); asserts it can be read. */
uint8_t		*tl_read(const char *name, size_t *len);
/* The same, NULL if the file cannot be read; len may be NULL. */
char		*tl_read_maybe(const char *name, size_t *len);

/*
 * Runs a shell command in the work folder; returns its exit status, or
 * -1 if it did not exit.  tl_sh_logged sends the command's output to
 * cmd.log there, and tl_sh_log() returns (the end of) that log.
 */
int		 tl_sh(const char *fmt, ...) TL_PRINTF(1, 2);
int		 tl_sh_logged(const char *fmt, ...) TL_PRINTF(1, 2);
const char	*tl_sh_log(void);

#define TL_SH_OK(...)	ck_assert_msg(tl_sh_logged(__VA_ARGS__) == 0,	\
			    "command failed: %s", tl_sh_log())
#define TL_SH_FAIL(...)	ck_assert_msg(tl_sh_logged(__VA_ARGS__) != 0,	\
			    "command passed but should fail: %s",	\
			    tl_sh_log())

/* Whether a command runs and exits 0 (its output thrown away). */
bool		 tl_have(const char *cmd);

/* Text and bytes. */
void		 tl_assert_has(const char *text, const char *needle,
		    const char *what);
void		 tl_assert_lacks(const char *text, const char *needle,
		    const char *what);
bool		 tl_contains(const void *hay, size_t hlen, const void *needle,
		    size_t nlen);
#define TL_CONTAINS(h, hl, lit)	tl_contains((h), (hl), (lit), sizeof(lit) - 1)

/* Seconds on the monotonic clock, for printed timings. */
double		 tl_seconds(void);

/*
 * Runs the suites given (up to a NULL; a NULL before the end ends the
 * list early) with CK_NORMAL output and returns EXIT_SUCCESS if every
 * test passed, EXIT_FAILURE otherwise: `return tl_run(s, NULL);`.
 */
int		 tl_run(Suite *first, ...);

/* Says why on stderr ("SKIP: ...") and exits 77, meson's skip. */
void		 tl_skip(const char *fmt, ...) TL_PRINTF(1, 2)
		    __attribute__((noreturn));

/*
 * For fuzz targets of parsers that read files: one scratch file, made on
 * first use (in /dev/shm where there is one: a file per input is slow on
 * disk) and removed at exit.  tl_scratch_put replaces what it holds and
 * returns its path.  Both abort on failure.
 */
const char	*tl_scratch(void);
const char	*tl_scratch_put(const void *p, size_t len);

/*
 * Reads data as an edit script on buf (len bytes, len > 0): each three
 * bytes a 16-bit position (modulo len) and a byte to XOR there; a last
 * single byte shortens buf by its value modulo len.  Returns the new
 * length.  Fuzz targets use it to reach past the outer checks of a
 * valid seed they make at start-up.
 */
size_t		 tl_apply_edits(uint8_t *buf, size_t len, const uint8_t *data,
		    size_t dlen);

/* Whether the suite runs under the sanitizers (KEYRITE_SANITIZE=1). */
bool		 tl_sanitized(void);

#endif
