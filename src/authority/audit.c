/*
 * Audit payloads (canonical JSON) and the audit verify operation.
 */
#include <stdio.h>
#include <string.h>

#include "authority_int.h"

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

int
kr_audit_record(struct kr_appliance *app, const char *actor,
    const char *event, const char *payload, int64_t *seq, struct kr_err *err)
{
	int64_t	dummy;

	if (payload == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory building the "
		    "audit entry for %s", event);
	return kr_store_audit_append(app->store, kr_time_now(), actor, event,
	    payload, seq != NULL ? seq : &dummy, err);
}

int
kr_authority_audit_verify(struct kr_appliance *app,
    struct kr_audit_report *rep, struct kr_err *err)
{
	return kr_store_audit_verify(app->store, rep, err);
}
