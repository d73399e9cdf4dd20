/*
 * Hex, base64 and PEM.  Hex and base64 go through libsodium, whose
 * codecs run in constant time, so they are safe on secret bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <keyrite/base.h>

void
kr_hex_encode(char *out, const uint8_t *in, size_t len)
{
	(void)sodium_bin2hex(out, 2 * len + 1, in, len);
}

bool
kr_hex_colons(char *out, size_t cap, const uint8_t *in, size_t len,
    size_t per_line, const char *indent)
{
	static const char	digits[] = "0123456789ABCDEF";
	size_t			i, o = 0, ind = strlen(indent);

	if (cap == 0)
		return false;
	out[0] = '\0';
	for (i = 0; i < len; i++) {
		if (i > 0 && per_line > 0 && i % per_line == 0) {
			if (o + 1 + ind >= cap)
				goto small;
			out[o++] = '\n';
			memcpy(out + o, indent, ind);
			o += ind;
		} else if (i > 0) {
			if (o + 1 >= cap)
				goto small;
			out[o++] = ':';
		}
		if (o + 2 >= cap)
			goto small;
		out[o++] = digits[in[i] >> 4];
		out[o++] = digits[in[i] & 0x0f];
	}
	out[o] = '\0';
	return true;
small:
	out[0] = '\0';
	return false;
}

int
kr_hex_decode(uint8_t *out, size_t outlen, const char *hex)
{
	size_t		 got = 0;
	const char	*end = NULL;

	if (strlen(hex) != 2 * outlen)
		return KR_EINPUT;
	if (sodium_hex2bin(out, outlen, hex, 2 * outlen, NULL, &got,
	    &end) != 0 || got != outlen || *end != '\0')
		return KR_EINPUT;
	return KR_OK;
}

int
kr_hex_decode_alloc(const char *hex, uint8_t **out, size_t *outlen)
{
	size_t	 len = strlen(hex);
	uint8_t	*buf;

	*out = NULL;
	*outlen = 0;
	if (len % 2 != 0)
		return KR_EINPUT;
	if ((buf = malloc(len / 2 + 1)) == NULL)
		return KR_ENOMEM;
	if (kr_hex_decode(buf, len / 2, hex) != KR_OK) {
		free(buf);
		return KR_EINPUT;
	}
	*out = buf;
	*outlen = len / 2;
	return KR_OK;
}

char *
kr_base64_encode(const uint8_t *in, size_t len)
{
	size_t	 need;
	char	*out;

	need = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	if ((out = malloc(need)) == NULL)
		return NULL;
	(void)sodium_bin2base64(out, need, in, len,
	    sodium_base64_VARIANT_ORIGINAL);
	return out;
}

int
kr_base64_decode(const char *in, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t		*buf;
	size_t		 got = 0;
	const char	*end = NULL;

	*out = NULL;
	*outlen = 0;
	if ((buf = malloc(len / 4 * 3 + 3)) == NULL)
		return KR_ENOMEM;
	if (sodium_base642bin(buf, len / 4 * 3 + 3, in, len, " \t\r\n",
	    &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != in + len) {
		free(buf);
		return KR_EINPUT;
	}
	*out = buf;
	*outlen = got;
	return KR_OK;
}

char *
kr_pem_encode(const char *label, const uint8_t *der, size_t len)
{
	char	*b64, *out, *o;
	size_t	 blen, i, need;

	if ((b64 = kr_base64_encode(der, len)) == NULL)
		return NULL;
	blen = strlen(b64);
	need = 2 * strlen(label) + blen + blen / 64 + 64;
	if ((out = malloc(need)) == NULL) {
		free(b64);
		return NULL;
	}
	o = out + sprintf(out, "-----BEGIN %s-----\n", label);
	for (i = 0; i < blen; i += 64) {
		size_t n = blen - i < 64 ? blen - i : 64;

		memcpy(o, b64 + i, n);
		o += n;
		*o++ = '\n';
	}
	(void)sprintf(o, "-----END %s-----\n", label);
	free(b64);
	return out;
}

static const char *
kr_memfind(const char *hay, size_t len, const char *needle)
{
	size_t	n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

int
kr_pem_decode(const char *label, const char *text, size_t len, uint8_t **der,
    size_t *derlen)
{
	char		 begin[96], end[96];
	const char	*b, *e;

	*der = NULL;
	*derlen = 0;
	if (snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label) >=
	    (int)sizeof(begin) ||
	    snprintf(end, sizeof(end), "-----END %s-----", label) >=
	    (int)sizeof(end))
		return KR_EINPUT;
	if ((b = kr_memfind(text, len, begin)) == NULL)
		return KR_ENOENT;
	b += strlen(begin);
	if ((e = kr_memfind(b, len - (size_t)(b - text), end)) == NULL)
		return KR_EINPUT;
	if (kr_base64_decode(b, (size_t)(e - b), der, derlen) != KR_OK ||
	    *derlen == 0) {
		free(*der);
		*der = NULL;
		return KR_EINPUT;
	}
	return KR_OK;
}

/*
 * A size or an address as MCUboot's imgtool takes one: decimal (512), or
 * 0x and hex digits (0x200), up to 0xffffffff.  No sign, blank or suffix.
 * One reader for the command line's options and `sign batch` manifests.
 */
bool
kr_size_parse(const char *s, uint32_t *out)
{
	uint64_t	v = 0;
	unsigned	base = 10, digit;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			digit = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			digit = (unsigned)(*s - 'a') + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			digit = (unsigned)(*s - 'A') + 10;
		else
			return false;
		if ((v = v * base + digit) > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}
