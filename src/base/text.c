/*
 * Text a person reads: UTF-8 decoding, the code points that must never
 * reach a terminal as they are, and the one escaping function every front
 * end uses before it shows text that may come from outside (names from a
 * CSR or a database, file names from a manifest, error messages quoting
 * them).
 *
 * Escaped text holds only printable ASCII, printable UTF-8 and, when the
 * caller keeps lines, '\n' and '\t'.  Escaping is idempotent: escaped text
 * escapes to itself, so a value escaped at its call site may pass through
 * an output point that escapes again.  Backslashes are not doubled (a DN
 * shows "\," as RFC 4514 writes it); a literal "\x1b" typed by someone is
 * therefore shown the same as an escaped ESC, which is harmless: both are
 * four visible characters.
 */
#include <stdio.h>
#include <string.h>

#include <keyrite/base.h>

size_t
kr_utf8_decode(const uint8_t *p, size_t len, uint32_t *cp)
{
	size_t		n, i;
	uint32_t	c;

	if (len == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool
kr_cp_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

bool
kr_cp_is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

bool
kr_cp_printable(uint32_t cp)
{
	if (kr_cp_is_control(cp) || kr_cp_is_bidi_control(cp) || cp == 0xad)
		return false;
	if (cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f))
		return false;
	if (cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) ||
	    cp == 0xfffe || cp == 0xffff || (cp >= 0xe0000 && cp <= 0xe007f))
		return false;
	return true;
}

/*
 * The next unit of escaped text for the bytes at p: either the character
 * itself or its escape.  Returns the bytes of input consumed (at least 1);
 * `out` (KR_TEXT_UNIT_MAX bytes) receives *outlen bytes.
 */
#define KR_TEXT_UNIT_MAX	16

static size_t
kr_text_unit(const uint8_t *p, size_t len, unsigned flags, char *out,
    size_t *outlen)
{
	uint32_t	cp;
	size_t		n;
	int		w;

	if ((n = kr_utf8_decode(p, len, &cp)) == 0) {
		w = snprintf(out, KR_TEXT_UNIT_MAX, (flags & KR_TEXT_JSON) != 0 ?
		    "\\ufffd" : "\\x%02x", p[0]);
		*outlen = (size_t)w;
		return 1;
	}
	if ((flags & KR_TEXT_JSON) != 0 && !kr_cp_printable(cp) &&
	    !((flags & KR_TEXT_LINES) != 0 && cp == '\n')) {
		w = cp > 0xffff ? snprintf(out, KR_TEXT_UNIT_MAX,
		    "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10),
		    0xdc00 + ((cp - 0x10000) & 0x3ff)) :
		    snprintf(out, KR_TEXT_UNIT_MAX, "\\u%04x", cp);
		*outlen = (size_t)w;
		return n;
	}
	if ((flags & KR_TEXT_LINES) != 0 && (cp == '\n' || cp == '\t')) {
		out[0] = (char)cp;
		*outlen = 1;
	} else if (cp < 0x80 && kr_cp_is_control(cp)) {
		*outlen = (size_t)snprintf(out, KR_TEXT_UNIT_MAX, "\\x%02x",
		    (unsigned)cp);
	} else if (!kr_cp_printable(cp) ||
	    ((flags & KR_TEXT_ASCII) != 0 && cp >= 0x80)) {
		w = snprintf(out, KR_TEXT_UNIT_MAX, cp > 0xffff ?
		    "\\U%08x" : "\\u%04x", (unsigned)cp);
		*outlen = (size_t)w;
	} else {
		memcpy(out, p, n);
		*outlen = n;
	}
	return n;
}

void
kr_text_escape(struct kr_buf *b, const char *s, size_t len, unsigned flags)
{
	const uint8_t	*p = (const uint8_t *)s;
	char		 unit[KR_TEXT_UNIT_MAX];
	size_t		 i, n, ulen;

	for (i = 0; i < len; i += n) {
		n = kr_text_unit(p + i, len - i, flags, unit, &ulen);
		kr_buf_put(b, unit, ulen);
	}
}

char *
kr_text_escape_str(char *out, size_t cap, const char *s, unsigned flags)
{
	const uint8_t	*p = (const uint8_t *)s;
	char		 unit[KR_TEXT_UNIT_MAX];
	size_t		 i, n, o = 0, ulen, len;

	if (cap == 0)
		return out;
	len = s != NULL ? strlen(s) : 0;
	for (i = 0; i < len; i += n) {
		n = kr_text_unit(p + i, len - i, flags, unit, &ulen);
		if (ulen >= cap - o)
			break;
		memcpy(out + o, unit, ulen);
		o += ulen;
	}
	out[o] = '\0';
	return out;
}

char *
kr_text_escape_dup(const char *s, unsigned flags)
{
	struct kr_buf	b;

	kr_buf_init(&b, false);
	kr_text_escape(&b, s != NULL ? s : "", s != NULL ? strlen(s) : 0,
	    flags);
	kr_buf_put_u8(&b, '\0');
	if (b.failed) {
		kr_buf_free(&b);
		return NULL;
	}
	return (char *)b.p;
}

void
kr_text_fput(FILE *f, const char *s, size_t len, unsigned flags)
{
	const uint8_t	*p = (const uint8_t *)s;
	char		 unit[KR_TEXT_UNIT_MAX];
	size_t		 i, n, ulen;

	if (kr_text_safe(s, len, flags)) {
		(void)fwrite(s, 1, len, f);
		return;
	}
	for (i = 0; i < len; i += n) {
		n = kr_text_unit(p + i, len - i, flags, unit, &ulen);
		(void)fwrite(unit, 1, ulen, f);
	}
}

bool
kr_text_safe(const char *s, size_t len, unsigned flags)
{
	const uint8_t	*p = (const uint8_t *)s;
	char		 unit[KR_TEXT_UNIT_MAX];
	size_t		 i, n, ulen;

	for (i = 0; i < len; i += n) {
		n = kr_text_unit(p + i, len - i, flags, unit, &ulen);
		if (ulen != n || memcmp(unit, p + i, n) != 0)
			return false;
	}
	return true;
}
