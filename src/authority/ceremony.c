/*
 * Ceremonies in the audit chain (docs/ceremonies.md).  A ceremony has no
 * table: its start row holds the script and its parameters, the rows of
 * its steps carry its id and their step's id, and its checkpoints,
 * expectations, end and abort are rows of their own.  What a ceremony
 * did is therefore exactly what the verified chain says it did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

static const char *const kr_ceremony_events[] = {
	"ceremony.checkpoint", "ceremony.expect", "ceremony.step",
	"ceremony.end", "ceremony.abort", NULL
};

/* Ids and step ids: [a-z0-9_-], so they need no escaping anywhere. */
static bool
kr_ceremony_token_ok(const char *s, size_t cap)
{
	size_t	n;

	if (s == NULL || (n = strlen(s)) == 0 || n >= cap)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* The payload with the running step's id and ceremony's id added last. */
char *
kr_ceremony_tag(const struct kr_appliance *app, const char *payload)
{
	size_t	 n = strlen(payload), cap;
	char	*out;

	if (n < 2 || payload[0] != '{' || payload[n - 1] != '}')
		return NULL;
	cap = n + sizeof(app->ceremony) + sizeof(app->ceremony_step) + 40;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	(void)snprintf(out, cap, "%.*s%s\"ceremony\":\"%s\","
	    "\"ceremony_step\":\"%s\"}", (int)(n - 1), payload,
	    n > 2 ? "," : "", app->ceremony, app->ceremony_step);
	return out;
}

void
kr_authority_ceremony_step(struct kr_appliance *app, const char *id,
    const char *step)
{
	app->ceremony[0] = app->ceremony_step[0] = '\0';
	if (id == NULL || step == NULL ||
	    !kr_ceremony_token_ok(id, sizeof(app->ceremony)) ||
	    !kr_ceremony_token_ok(step, sizeof(app->ceremony_step)))
		return;
	(void)snprintf(app->ceremony, sizeof(app->ceremony), "%s", id);
	(void)snprintf(app->ceremony_step, sizeof(app->ceremony_step), "%s",
	    step);
}

/* One row in a transaction of its own. */
static int
kr_ceremony_append(struct kr_appliance *app, const char *actor,
    const char *event, const char *payload, int64_t *seq, struct kr_err *err)
{
	int	ret;

	if (app->mode != KR_OPEN_WRITE)
		return kr_err_set(err, KR_EINTERNAL, "the state folder is open "
		    "for reading: a ceremony records nothing this way");
	if ((ret = kr_store_begin(app->store, err)) != KR_OK)
		return ret;
	if ((ret = kr_audit_record(app, actor, event, payload, seq, err)) !=
	    KR_OK) {
		kr_store_rollback(app->store);
		return ret;
	}
	return kr_store_commit(app->store, err);
}

static void
kr_ceremony_new_id(char id[KR_CEREMONY_ID_BYTES])
{
	uint8_t	r[4];
	char	day[KR_TIME_STR_BYTES], hex[9];

	kr_random(r, sizeof(r));
	kr_hex_encode(hex, r, sizeof(r));
	kr_time_format(kr_time_now(), day);	/* 2026-12-05T... */
	(void)snprintf(id, KR_CEREMONY_ID_BYTES, "%.4s%.2s%.2s-%s", day,
	    day + 5, day + 8, hex);
	for (size_t i = 0; id[i] != '\0'; i++)
		if (id[i] >= 'A' && id[i] <= 'F')
			id[i] = (char)(id[i] - 'A' + 'a');
}

int
kr_authority_ceremony_begin(struct kr_appliance *app,
    const struct kr_ceremony_begin *req, char id[KR_CEREMONY_ID_BYTES],
    int64_t *seq, struct kr_err *err)
{
	struct kr_json	 j;
	uint8_t		 sha[32];
	char		*text;
	int		 ret;

	id[0] = '\0';
	if (req->script == NULL || req->script_len == 0 ||
	    memchr(req->script, '\0', req->script_len) != NULL)
		return kr_err_set(err, KR_EINPUT, "the ceremony script is "
		    "empty or holds a NUL byte");
	if (app->ceremony[0] != '\0')
		return kr_err_set(err, KR_EINTERNAL, "ceremony %s is running",
		    app->ceremony);
	if ((ret = kr_hash(KR_HASH_SHA256, req->script, req->script_len,
	    sha)) != KR_OK)
		return kr_err_set(err, ret, "cannot hash the ceremony script");
	if ((text = malloc(req->script_len + 1)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	memcpy(text, req->script, req->script_len);
	text[req->script_len] = '\0';
	kr_ceremony_new_id(id);
	kr_json_begin(&j);
	kr_json_str(&j, "id", id);
	kr_json_str(&j, "name", req->name);
	kr_json_hex(&j, "script_sha256", sha, sizeof(sha));
	kr_json_raw(&j, "params", req->params);
	kr_json_str(&j, "requests", req->requests != NULL ? req->requests :
	    "");
	kr_json_str(&j, "script", text);
	free(text);
	ret = kr_ceremony_append(app, req->actor, "ceremony.begin",
	    kr_json_end(&j), seq, err);
	kr_json_free(&j);
	if (ret != KR_OK)
		id[0] = '\0';
	return ret;
}

int
kr_authority_ceremony_record(struct kr_appliance *app, const char *id,
    const char *step, const char *event, const char *payload,
    const char *actor, int64_t *seq, struct kr_err *err)
{
	size_t	i;
	int	ret;

	for (i = 0; kr_ceremony_events[i] != NULL; i++)
		if (strcmp(event, kr_ceremony_events[i]) == 0)
			break;
	if (kr_ceremony_events[i] == NULL)
		return kr_err_set(err, KR_EINTERNAL, "'%s' is not a ceremony "
		    "row", event);
	if (!kr_ceremony_token_ok(id, sizeof(app->ceremony)))
		return kr_err_set(err, KR_EINTERNAL, "bad ceremony id");
	kr_authority_ceremony_step(app, id, step != NULL && step[0] != '\0' ?
	    step : "-");
	ret = kr_ceremony_append(app, actor, event, payload, seq, err);
	kr_authority_ceremony_step(app, NULL, NULL);
	return ret;
}
