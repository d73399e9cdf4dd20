/*
 * Prepared request files (docs/formats.md): the text form shared by
 * prepared certificate requests (request.c) and prepared CRL requests
 * (crl_request.c).  A magic line, then "NAME VALUE" lines of printable
 * ASCII, each ending with a line feed, and last "sha256 HEX" of every
 * byte before it.  The reader checks that last line first, so a changed
 * byte is said as such, then reads the lines in order, strictly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

/* "NAME VALUE\n" */
void
kr_reqf_line(struct kr_buf *b, const char *name, const char *value)
{
	kr_buf_put(b, name, strlen(name));
	kr_buf_put_u8(b, ' ');
	kr_buf_put(b, value, strlen(value));
	kr_buf_put_u8(b, '\n');
}

void
kr_reqf_hexline(struct kr_buf *b, const char *name, const uint8_t *p,
    size_t len)
{
	char	hex[2 * 64 + 1];

	kr_hex_encode(hex, p, len);
	kr_reqf_line(b, name, hex);
}

/* One "NAME VALUE" line: printable ASCII, the name as expected. */

int
kr_reqf_next(struct kr_reqf_reader *r, const char *name, struct kr_err *err)
{
	const char	*nl, *q;
	size_t		 n = strlen(name), vlen;

	r->line++;
	if ((nl = memchr(r->p, '\n', (size_t)(r->end - r->p))) == NULL)
		goto bad;
	for (q = r->p; q < nl; q++)
		if (*q < 0x21 && *q != ' ')
			goto bad;
		else if ((unsigned char)*q > 0x7e)
			goto bad;
	if ((size_t)(nl - r->p) <= n + 1 || memcmp(r->p, name, n) != 0 ||
	    r->p[n] != ' ')
		goto bad;
	vlen = (size_t)(nl - r->p) - n - 1;
	if (vlen >= sizeof(r->val))
		goto bad;
	memcpy(r->val, r->p + n + 1, vlen);
	r->val[vlen] = '\0';
	r->p = nl + 1;
	return KR_OK;
bad:
	return kr_err_set(err, KR_EINPUT, "%s, line %u: not the '%s' line of "
	    "a %s: nothing was signed", r->path, r->line, name, r->what);
}

/* `s` is lower-case hex of exactly `n` digits. */
bool
kr_reqf_is_hex(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == n;
}

/* The value read: lower-case hex of exactly `len` bytes. */
int
kr_reqf_hexval(struct kr_reqf_reader *r, const char *name, uint8_t *out,
    size_t len, struct kr_err *err)
{
	if (!kr_reqf_is_hex(r->val, 2 * len) ||
	    kr_hex_decode(out, len, r->val) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' wants %zu "
		    "bytes of lower-case hex: nothing was signed", r->path,
		    r->line, name, len);
	return KR_OK;
}

int
kr_reqf_hex(struct kr_reqf_reader *r, const char *name, uint8_t *out,
    size_t len, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_reqf_next(r, name, err)) != KR_OK)
		return ret;
	return kr_reqf_hexval(r, name, out, len, err);
}

int
kr_reqf_name(struct kr_reqf_reader *r, const char *name, char *out, size_t cap,
    struct kr_err *err)
{
	size_t	i;
	int	ret;

	if ((ret = kr_reqf_next(r, name, err)) != KR_OK)
		return ret;
	for (i = 0; r->val[i] != '\0'; i++)
		if (r->val[i] == ' ')
			break;
	if (r->val[i] != '\0' || i >= cap)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' is not a "
		    "name: nothing was signed", r->path, r->line, name);
	memcpy(out, r->val, i + 1);
	return KR_OK;
}

/* The last line first: the checksum of every byte before it. */
int
kr_reqf_checksum(const char *path, const uint8_t *data, size_t len,
    size_t *body, const char *again, struct kr_err *err)
{
	const char	*s = (const char *)data;
	uint8_t		 want[32], got[32];
	char		 hex[65];
	size_t		 start;
	size_t		 i;

	if (len < 72 || s[len - 1] != '\n')
		goto changed;
	start = len - 72;	/* "sha256 " + 64 + "\n" */
	if (start > 0 && s[start - 1] != '\n')
		goto changed;
	if (memcmp(s + start, "sha256 ", 7) != 0)
		goto changed;
	memcpy(hex, s + start + 7, 64);
	hex[64] = '\0';
	for (i = 0; i < 64; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f')))
			goto changed;
	if (kr_hex_decode(want, sizeof(want), hex) != KR_OK ||
	    kr_hash(KR_HASH_SHA256, data, start, got) != KR_OK ||
	    memcmp(want, got, sizeof(got)) != 0)
		goto changed;
	*body = start;
	return KR_OK;
changed:
	return kr_err_set(err, KR_EVERIFY, "%s is not the prepared request "
	    "it was: its sha256 line does not match its contents (the file "
	    "was changed or cut). Nothing was signed; prepare it again with "
	    "%s", path, again);
}


/*
 * The last line, the SHA-256 of every byte before it; the text is
 * handed over NUL-terminated (its length without the NUL in *len).
 */
int
kr_reqf_finish(struct kr_buf *b, char **out, size_t *len, struct kr_err *err)
{
	uint8_t	dig[32];
	int	ret;

	*out = NULL;
	if (!b->failed && kr_hash(KR_HASH_SHA256, b->p, b->len, dig) != KR_OK)
		b->failed = true;
	kr_reqf_hexline(b, "sha256", dig, sizeof(dig));
	kr_buf_put_u8(b, '\0');
	if ((ret = kr_buf_status(b, err)) != KR_OK) {
		kr_buf_free(b);
		return ret;
	}
	*len = b->len - 1;
	*out = (char *)b->p;	/* the caller frees it */
	return KR_OK;
}
