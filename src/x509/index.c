/*
 * OpenSSL's `openssl ca` database (index.txt), read for migration.
 *
 * One certificate per line, six fields separated by tabs:
 *
 *   status   V (valid), R (revoked) or E (expired)
 *   expiry   UTCTime "YYMMDDHHMMSSZ" (or GeneralizedTime "YYYYMMDDHHMMSSZ")
 *   revoked  empty for V and E; for R "time[,reason[,extra]]", where the
 *            reason is an OpenSSL name (unspecified, keyCompromise,
 *            CACompromise, affiliationChanged, superseded,
 *            cessationOfOperation, certificateHold, removeFromCRL) or one
 *            of the forms with an extra field: holdInstruction,<OID>
 *            (certificateHold), keyTime,<time> and CAkeyTime,<time>
 *            (key or CA compromise, with the compromise time, which
 *            becomes the invalidity date)
 *   serial   hex, upper case, an even number of digits
 *   file     the certificate's file name, "unknown" in practice
 *   subject  "/CN=.../O=..."
 *
 * OpenSSL skips lines starting with '#'; so does keyrite.  The file is
 * read in large blocks and split in place: one buffer for the whole run,
 * no allocation per line, lines at most KR_INDEX_LINE_MAX bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "x509_int.h"

#include <keyrite/crl.h>

#define INDEX_LINE_MAX	8192
#define INDEX_BUF	((size_t)1024 * 1024)
#define INDEX_FIELDS	6
#define INDEX_WHY_MAX	320

/* What is wrong with one line, and which line. */
struct index_ctx {
	const char	*path;
	unsigned	 line;
	char		 why[INDEX_WHY_MAX];
};

static int	index_bad(struct index_ctx *, const char *, ...)
		    KR_PRINTF(2, 3);

static int
index_bad(struct index_ctx *x, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
	return KR_EINPUT;
}

/* "YYMMDDHHMMSSZ" (1950..2049) or "YYYYMMDDHHMMSSZ". */
static int
index_time(const char *s, int64_t *t)
{
	size_t	len = strlen(s);

	return kr_der_time_text(len == 13 ? KR_DER_UTC_TIME :
	    KR_DER_GENERALIZED_TIME, (const uint8_t *)s, len, t);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Hex digits -> minimal positive DER INTEGER contents. */
static int
index_serial(const char *s, struct kr_index_entry *e, struct index_ctx *x)
{
	uint8_t	raw[64];
	size_t	len = strlen(s), n = len / 2, i, skip = 0;
	int	hi, lo;

	if (len == 0)
		return index_bad(x, "the serial number field is empty");
	if (len % 2 != 0 || len > 2 * sizeof(raw))
		return index_bad(x, "the serial number \"%.64s\" is not an "
		    "even number of hex digits (at most %zu)", s,
		    2 * sizeof(raw));
	for (i = 0; i < n; i++) {
		if ((hi = hexval(s[2 * i])) < 0 ||
		    (lo = hexval(s[2 * i + 1])) < 0)
			return index_bad(x, "the serial number \"%.64s\" is "
			    "not hexadecimal", s);
		raw[i] = (uint8_t)(hi << 4 | lo);
	}
	while (skip < n && raw[skip] == 0)
		skip++;
	if (skip == n)
		return index_bad(x, "the serial number is zero; it must be "
		    "positive");
	e->serial_len = 0;
	if (raw[skip] & 0x80)
		e->serial[e->serial_len++] = 0;
	if (e->serial_len + n - skip > KR_SERIAL_MAX)
		return index_bad(x, "the serial number %s is longer than the "
		    "%d octets RFC 5280 allows", s, KR_SERIAL_MAX);
	memcpy(e->serial + e->serial_len, raw + skip, n - skip);
	e->serial_len += n - skip;
	return KR_OK;
}

/* The reason, with the extra field of the special forms. */
static int
index_reason(const char *r, const char *extra, struct kr_index_entry *e,
    struct index_ctx *x)
{
	bool	timed = strcasecmp(r, "keyTime") == 0 ||
		    strcasecmp(r, "CAkeyTime") == 0;

	if (timed || strcasecmp(r, "holdInstruction") == 0) {
		if (extra == NULL || *extra == '\0')
			return index_bad(x, "the revocation reason %s needs a "
			    "third part (%s)", r, timed ? "a time" : "an OID");
		if (!timed) {
			e->reason = KR_REASON_CERTIFICATE_HOLD;
			return KR_OK;
		}
		e->reason = strcasecmp(r, "keyTime") == 0 ?
		    KR_REASON_KEY_COMPROMISE : KR_REASON_CA_COMPROMISE;
		if (index_time(extra, &e->invalidity) != KR_OK ||
		    e->invalidity == 0)
			return index_bad(x, "the compromise time \"%.32s\" is "
			    "not a valid YYYYMMDDHHMMSSZ time", extra);
		return KR_OK;
	}
	if (extra != NULL)
		return index_bad(x, "the revocation reason %s takes no third "
		    "part", r);
	if (kr_reason_from_name(r, &e->reason) != KR_OK)
		return index_bad(x, "unknown revocation reason \"%.40s\"", r);
	return KR_OK;
}

/* "time[,reason[,extra]]" for an R line. */
static int
index_revocation(char *s, struct kr_index_entry *e, struct index_ctx *x)
{
	char	*reason = NULL, *extra = NULL;

	if ((reason = strchr(s, ',')) != NULL) {
		*reason++ = '\0';
		if ((extra = strchr(reason, ',')) != NULL) {
			*extra++ = '\0';
			if (strchr(extra, ',') != NULL)
				return index_bad(x, "the revocation field has "
				    "more than three comma-separated parts");
		}
	}
	if (index_time(s, &e->revoked_at) != KR_OK)
		return index_bad(x, "the revocation time \"%.32s\" is not a "
		    "valid YYMMDDHHMMSSZ time", s);
	if (reason == NULL)
		return KR_OK;
	if (*reason == '\0')
		return index_bad(x, "the revocation reason after the comma is "
		    "empty");
	return index_reason(reason, extra, e, x);
}

/* Splits at tabs; fails unless there are exactly INDEX_FIELDS fields. */
static int
index_split(char *s, char **f, struct index_ctx *x)
{
	size_t	n = 0;

	for (;;) {
		if (n == INDEX_FIELDS)
			return index_bad(x, "more than %d tab-separated fields",
			    INDEX_FIELDS);
		f[n++] = s;
		if ((s = strchr(s, '\t')) == NULL)
			break;
		*s++ = '\0';
	}
	if (n != INDEX_FIELDS)
		return index_bad(x, "%zu tab-separated field%s, where %d are "
		    "expected (status, expiry, revocation, serial, file name, "
		    "subject)", n, n == 1 ? "" : "s", INDEX_FIELDS);
	return KR_OK;
}

static int
index_status(const char *s, const char *rev, struct kr_index_entry *e,
    struct index_ctx *x)
{
	if (s[0] == '\0' || s[1] != '\0' ||
	    (s[0] != 'V' && s[0] != 'R' && s[0] != 'E'))
		return index_bad(x, "the status \"%.16s\" is not V, R or E",
		    s);
	e->status = s[0];
	if (e->status == 'R' && rev[0] == '\0')
		return index_bad(x, "status R but no revocation time");
	if (e->status != 'R' && rev[0] != '\0')
		return index_bad(x, "status %c but a revocation field "
		    "\"%.32s\"", e->status, rev);
	return KR_OK;
}

/* One line, NUL-terminated in place (no newline). */
static int
index_line(char *s, size_t len, struct kr_index_entry *e,
    struct index_ctx *x)
{
	char	*f[INDEX_FIELDS];
	size_t	 n;
	int	 ret;

	if (strlen(s) != len)
		return index_bad(x, "the line contains a NUL byte");
	if (len == 0)
		return index_bad(x, "the line is empty");
	e->line = x->line;
	e->revoked_at = 0;
	e->reason = KR_REASON_NONE;
	e->invalidity = 0;
	if ((ret = index_split(s, f, x)) != KR_OK ||
	    (ret = index_status(f[0], f[2], e, x)) != KR_OK)
		return ret;
	if (index_time(f[1], &e->expires) != KR_OK)
		return index_bad(x, "the expiry \"%.32s\" is not a valid "
		    "YYMMDDHHMMSSZ time", f[1]);
	if (e->status == 'R' &&
	    (ret = index_revocation(f[2], e, x)) != KR_OK)
		return ret;
	if ((ret = index_serial(f[3], e, x)) != KR_OK)
		return ret;
	if ((n = strlen(f[5])) >= sizeof(e->subject))
		return index_bad(x, "the subject is %zu bytes, more than the "
		    "%zu keyrite keeps", n, sizeof(e->subject) - 1);
	memcpy(e->subject, f[5], n + 1);
	return KR_OK;
}

struct index_run {
	struct index_ctx	 x;
	struct kr_index_entry	 e;
	kr_index_cb		*cb;
	void			*ctx;
};

/* One line of `len` bytes at s[0..len), with s[len] writable. */
static int
index_one(struct index_run *r, char *s, size_t len, struct kr_err *err)
{
	int	rc;

	r->x.line++;
	if (len > INDEX_LINE_MAX)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: the line is "
		    "longer than %d bytes", r->x.path, r->x.line,
		    INDEX_LINE_MAX);
	if (len > 0 && s[len - 1] == '\r')
		len--;		/* a file edited on Windows */
	s[len] = '\0';
	if (len > 0 && s[0] == '#')
		return KR_OK;
	if (index_line(s, len, &r->e, &r->x) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: %s", r->x.path,
		    r->x.line, r->x.why);
	if ((rc = r->cb(&r->e, r->ctx)) != 0 && err->msg[0] == '\0')
		kr_err_set(err, rc < 0 ? rc : KR_EINTERNAL, "%s, line %u: "
		    "reading stopped by the caller", r->x.path, r->x.line);
	return rc;
}

/* Every complete line in buf[0..have); returns the bytes used. */
static int
index_lines(struct index_run *r, char *buf, size_t have, size_t *used,
    struct kr_err *err)
{
	char	*nl;
	size_t	 pos = 0;
	int	 ret;

	while ((nl = memchr(buf + pos, '\n', have - pos)) != NULL) {
		if ((ret = index_one(r, buf + pos, (size_t)(nl - buf) - pos,
		    err)) != 0)
			return ret;
		pos = (size_t)(nl - buf) + 1;
	}
	*used = pos;
	if (have - pos > INDEX_LINE_MAX)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: the line is "
		    "longer than %d bytes", r->x.path, r->x.line + 1,
		    INDEX_LINE_MAX);
	return KR_OK;
}

static int
index_open(const char *path, int *fd, struct kr_err *err)
{
	struct stat	st;

	if ((*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return kr_err_set(err, errno == ENOENT ? KR_ENOENT : KR_EIO,
		    "%s: cannot open: %s", path, strerror(errno));
	if (fstat(*fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return kr_err_set(err, KR_EINPUT, "%s: not a regular file",
		    path);
	}
	return KR_OK;
}

/* Reads the next block after the `have` bytes kept; *got 0 at the end. */
static int
index_fill(int fd, const char *path, char *buf, size_t have, size_t *got,
    struct kr_err *err)
{
	ssize_t	n;

	do
		n = read(fd, buf + have, INDEX_BUF - have);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return kr_err_set(err, KR_EIO, "%s: read failed: %s", path,
		    strerror(errno));
	*got = (size_t)n;
	return KR_OK;
}

int
kr_index_read(const char *path, kr_index_cb *cb, void *ctx,
    struct kr_err *err)
{
	struct index_run	*r = NULL;
	char			*buf = NULL;
	size_t			 have = 0, got = 0, used = 0;
	int			 fd = -1, ret = KR_EINTERNAL;

	if (path == NULL || cb == NULL)
		return kr_err_set(err, KR_EINTERNAL, "index.txt: no file or "
		    "no callback");
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (buf = malloc(INDEX_BUF + 1)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	r->x.path = path;
	r->cb = cb;
	r->ctx = ctx;
	if ((ret = index_open(path, &fd, err)) != KR_OK)
		goto out;
	for (;;) {
		if ((ret = index_fill(fd, path, buf, have, &got, err)) !=
		    KR_OK)
			goto out;
		if (got == 0)
			break;
		have += got;
		if ((ret = index_lines(r, buf, have, &used, err)) != KR_OK)
			goto out;
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	/* a last line without a newline */
	ret = have > 0 ? index_one(r, buf, have, err) : KR_OK;
out:
	if (fd != -1)
		close(fd);
	free(buf);
	free(r);
	return ret;
}
