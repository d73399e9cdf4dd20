/*
 * keyrite's canonical JSON (audit payloads, transcripts): objects whose
 * members keep the order they were added in, no spaces, strings escaped
 * as \" \\ and \u00XX only.  The writer builds one object; the reader
 * reads only that form (anything else is refused, not guessed at).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/base.h>

#define KR_JS_DEPTH	16

static const char *kr_js_skip_string(const char *);
static const char *kr_js_skip_list(const char *, char, bool, int);

void
kr_json_begin(struct kr_json *j)
{
	kr_buf_init(&j->b, false);
	kr_buf_put_u8(&j->b, '{');
	j->first = true;
}

static void
kr_json_quote(struct kr_json *j, const char *s)
{
	char	esc[8];

	kr_buf_put_u8(&j->b, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			kr_buf_put_u8(&j->b, '\\');
			kr_buf_put_u8(&j->b, c);
		} else if (c < 0x20 || c == 0x7f) {
			(void)snprintf(esc, sizeof(esc), "\\u%04x", c);
			kr_buf_put(&j->b, esc, 6);
		} else {
			kr_buf_put_u8(&j->b, c);
		}
	}
	kr_buf_put_u8(&j->b, '"');
}

static void
kr_json_key(struct kr_json *j, const char *key)
{
	if (!j->first)
		kr_buf_put_u8(&j->b, ',');
	j->first = false;
	kr_json_quote(j, key);
	kr_buf_put_u8(&j->b, ':');
}

void
kr_json_str(struct kr_json *j, const char *key, const char *val)
{
	kr_json_key(j, key);
	kr_json_quote(j, val);
}

void
kr_json_int(struct kr_json *j, const char *key, int64_t val)
{
	char	num[32];

	kr_json_key(j, key);
	(void)snprintf(num, sizeof(num), "%lld", (long long)val);
	kr_buf_put(&j->b, num, strlen(num));
}

void
kr_json_hex(struct kr_json *j, const char *key, const uint8_t *p, size_t len)
{
	char	hex[2 * 1024 + 1];

	if (len > 1024)
		len = 1024;
	kr_hex_encode(hex, p, len);
	kr_json_str(j, key, hex);
}

void
kr_json_str_array(struct kr_json *j, const char *key,
    const char *const *vals, size_t n)
{
	size_t	i;

	kr_json_key(j, key);
	kr_buf_put_u8(&j->b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			kr_buf_put_u8(&j->b, ',');
		kr_json_quote(j, vals[i]);
	}
	kr_buf_put_u8(&j->b, ']');
}

void
kr_json_bool(struct kr_json *j, const char *key, bool val)
{
	kr_json_key(j, key);
	kr_buf_put(&j->b, val ? "true" : "false", val ? 4 : 5);
}

void
kr_json_list_add(struct kr_buf *list, struct kr_json *obj)
{
	const char	*t = kr_json_end(obj);

	kr_buf_put_u8(list, list->len == 0 ? '[' : ',');
	if (t != NULL)
		kr_buf_put(list, t, strlen(t));
	else
		list->failed = true;
	kr_json_free(obj);
}

const char *
kr_json_list_end(struct kr_buf *list)
{
	if (list->len == 0)
		kr_buf_put_u8(list, '[');
	kr_buf_put(list, "]", 2);	/* with its NUL */
	return list->failed ? NULL : (const char *)list->p;
}

void
kr_json_raw(struct kr_json *j, const char *key, const char *raw)
{
	kr_json_key(j, key);
	if (raw == NULL)
		j->b.failed = true;
	else
		kr_buf_put(&j->b, raw, strlen(raw));
}

const char *
kr_json_end(struct kr_json *j)
{
	kr_buf_put_u8(&j->b, '}');
	kr_buf_put_u8(&j->b, '\0');
	return j->b.failed ? NULL : (const char *)j->b.p;
}

void
kr_json_free(struct kr_json *j)
{
	kr_buf_free(&j->b);
}

/* Reading */


static const char *
kr_js_skip_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '\0' && *p != '"'; p++)
		if (*p == '\\' && *++p == '\0')
			return NULL;
	return *p == '"' ? p + 1 : NULL;
}

static const char *
kr_js_skip_list(const char *p, char close, bool object, int depth)
{
	if (*++p == close)
		return p + 1;
	for (;;) {
		if (object && ((p = kr_js_skip_string(p)) == NULL || *p++ != ':'))
			return NULL;
		if ((p = kr_js_skip(p, depth + 1)) == NULL)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

const char *
kr_js_skip(const char *p, int depth)
{
	if (depth > KR_JS_DEPTH)
		return NULL;
	if (*p == '"')
		return kr_js_skip_string(p);
	if (*p == '{')
		return kr_js_skip_list(p, '}', true, depth);
	if (*p == '[')
		return kr_js_skip_list(p, ']', false, depth);
	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

/* The value of member `key` of the object at p, or NULL. */
const char *
kr_js_member(const char *p, const char *key)
{
	const char	*k, *v;
	size_t		 n = strlen(key);

	if (p == NULL || *p++ != '{')
		return NULL;
	while (*p == '"') {
		k = p + 1;
		if ((p = kr_js_skip_string(p)) == NULL || *p != ':')
			return NULL;
		v = p + 1;
		if ((size_t)(p - 1 - k) == n && memcmp(k, key, n) == 0)
			return v;
		if ((p = kr_js_skip(v, 1)) == NULL || *p != ',')
			return NULL;
		p++;
	}
	return NULL;
}

/* A string value, unescaped (keyrite writes \" \\ and \u00XX only). */
bool
kr_js_str(const char *p, char *out, size_t cap)
{
	size_t		n = 0;
	unsigned	c;

	if (p == NULL || *p++ != '"')
		return false;
	for (; *p != '"'; p++) {
		if (*p == '\0' || n + 1 >= cap)
			return false;
		c = (unsigned char)*p;
		if (c == '\\') {
			p++;
			if (*p == 'u' && sscanf(p + 1, "00%2x", &c) == 1)
				p += 4;
			else if (*p != '"' && *p != '\\')
				return false;
			else
				c = (unsigned char)*p;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return true;
}

bool
kr_js_int(const char *p, int64_t *v)
{
	long long	x;

	if (p == NULL || sscanf(p, "%lld", &x) != 1)
		return false;
	*v = x;
	return true;
}

bool
kr_js_hex(const char *p, uint8_t *out, size_t n)
{
	char	buf[2 * 64 + 1];

	return n <= 64 && kr_js_str(p, buf, sizeof(buf)) &&
	    strlen(buf) == 2 * n && kr_hex_decode(out, n, buf) == KR_OK;
}

/* The elements of an array: *p at '[' first, then at the element. */
const char *
kr_js_next(const char **p, bool first)
{
	const char	*e = *p;

	if (first) {
		if (e == NULL || *e != '[' || e[1] == ']')
			return NULL;
		*p = e + 1;
		return *p;
	}
	if ((e = kr_js_skip(e, 1)) == NULL || *e != ',')
		return NULL;
	*p = e + 1;
	return *p;
}


/* A string value, unescaped, in memory of its own (free it); NULL if not. */
char *
kr_js_str_dup(const char *p)
{
	const char	*e;
	char		*s;
	size_t		 cap;

	if (p == NULL || (e = kr_js_skip_string(p)) == NULL)
		return NULL;
	cap = (size_t)(e - p);
	if ((s = malloc(cap)) == NULL)
		return NULL;
	if (!kr_js_str(p, s, cap)) {
		free(s);
		return NULL;
	}
	return s;
}
