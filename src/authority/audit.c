/*
 * Audit rows and the audit verify operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

/*
 * Payload members that hold a time as seconds since 1970 (UTC): every
 * front end that shows a payload writes these as ISO 8601 times.
 */
const char *const kr_audit_time_members[] = {
	"invalidity_date", "future_time", "time", "clock",
	"newest_entry_before", NULL
};

static bool
kr_audit_time_key(const char *quoted, size_t len)
{
	size_t	i;

	for (i = 0; kr_audit_time_members[i] != NULL; i++)
		if (len == strlen(kr_audit_time_members[i]) + 2 &&
		    memcmp(quoted + 1, kr_audit_time_members[i], len - 2) == 0)
			return true;
	return false;
}

/*
 * The payload as a person reads it: as recorded, but each time member's
 * number written as an ISO 8601 UTC time (an invalidity date of 0 as
 * "none": a revocation given none now leaves the member out, but older
 * rows hold 0).  (A string followed by ':' is
 * a member name; the hash covers the payload as recorded.)
 */
void
kr_audit_payload_text(const char *p, struct kr_buf *b)
{
	const char	*e;
	char		*end, when[KR_TIME_STR_BYTES];
	long long	 t;

	while (*p != '\0') {
		if (*p != '"' || (e = kr_js_skip(p, 0)) == NULL) {
			kr_buf_put_u8(b, (uint8_t)*p++);
			continue;
		}
		kr_buf_put(b, p, (size_t)(e - p));
		if (e[0] == ':' && ((e[1] >= '0' && e[1] <= '9') ||
		    e[1] == '-') && kr_audit_time_key(p, (size_t)(e - p))) {
			t = strtoll(e + 1, &end, 10);
			/* older revocations: 0 when none was given */
			if (t == 0 && e - p == 17 &&
			    memcmp(p, "\"invalidity_date\"", 17) == 0)
				(void)snprintf(when, sizeof(when), "none");
			else
				kr_time_format((int64_t)t, when);
			kr_buf_put(b, ":\"", 2);
			kr_buf_put(b, when, strlen(when));
			kr_buf_put_u8(b, '"');
			e = end;
		}
		p = e;
	}
	kr_buf_put_u8(b, '\0');
}

int
kr_audit_record(struct kr_appliance *app, const char *actor,
    const char *event, const char *payload, int64_t *seq, struct kr_err *err)
{
	int64_t	dummy;

	char	*tagged = NULL;
	int	 ret;

	if (payload == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory building the "
		    "audit entry for %s", event);
	if (app->ceremony[0] != '\0' &&
	    (payload = tagged = kr_ceremony_tag(app, payload)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory building the "
		    "audit entry for %s", event);
	ret = kr_store_audit_append(app->store, kr_time_now(), actor, event,
	    payload, seq != NULL ? seq : &dummy, err);
	free(tagged);
	return ret;
}

/*
 * Rows cut from the end of the log leave the chain intact, so every
 * recorded key must also have its key.generate row.
 */
struct kr_key_audit {
	char	(*ids)[2 * KR_STORE_ID_BYTES + 1];
	char	(*names)[KR_STORE_NAME_MAX + 1];
	bool	 *seen;
	size_t	  n;
	size_t	  cap;
};

static int
kr_key_audit_collect(const struct kr_key_rec *k, void *arg)
{
	struct kr_key_audit	*ka = arg;

	if (ka->n == ka->cap)
		return KR_ENOMEM;
	kr_hex_encode(ka->ids[ka->n], k->id, sizeof(k->id));
	(void)snprintf(ka->names[ka->n], sizeof(ka->names[0]), "%s", k->name);
	ka->n++;
	return 0;
}

static int
kr_key_audit_mark(const struct kr_audit_rec *r, void *arg)
{
	struct kr_key_audit	*ka = arg;
	char			 want[64];
	size_t			 i;

	if (strcmp(r->event, "key.generate") != 0)
		return 0;
	for (i = 0; i < ka->n; i++) {
		(void)snprintf(want, sizeof(want), "\"key_id\":\"%s\"",
		    ka->ids[i]);
		if (strstr(r->payload, want) != NULL)
			ka->seen[i] = true;
	}
	return 0;
}

static int
kr_count_keys(const struct kr_key_rec *k, void *arg)
{
	(void)k;
	(*(size_t *)arg)++;
	return 0;
}

int
kr_audit_check_keys(struct kr_appliance *app, struct kr_audit_report *rep,
    struct kr_err *err)
{
	struct kr_key_audit	ka;
	size_t			i, count = 0;
	int			ret;

	memset(&ka, 0, sizeof(ka));
	if ((ret = kr_store_key_foreach(app->store, kr_count_keys, &count,
	    err)) != KR_OK)
		return ret;
	ka.cap = count;
	ka.ids = calloc(count + 1, sizeof(*ka.ids));
	ka.names = calloc(count + 1, sizeof(*ka.names));
	ka.seen = calloc(count + 1, sizeof(*ka.seen));
	ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	if (ka.ids == NULL || ka.names == NULL || ka.seen == NULL ||
	    kr_store_key_foreach(app->store, kr_key_audit_collect, &ka,
	    err) != KR_OK ||
	    kr_store_audit_foreach(app->store, 0, kr_key_audit_mark, &ka,
	    err) != KR_OK)
		goto out;
	ret = KR_OK;
	for (i = 0; i < ka.n; i++)
		if (!ka.seen[i]) {
			ret = kr_err_set(err, KR_EVERIFY, "key '%s' is recorded "
			    "but its key.generate row is missing from the "
			    "audit log (%lld rows): rows were removed from the "
			    "end of the log", ka.names[i], (long long)rep->rows);
			rep->first_bad = rep->rows + 1;
			(void)snprintf(rep->reason, sizeof(rep->reason),
			    "rows missing after row %lld", (long long)rep->rows);
			break;
		}
out:
	free(ka.ids);
	free(ka.names);
	free(ka.seen);
	return ret;
}

int
kr_authority_audit_replay(struct kr_appliance *app,
    struct kr_audit_report *rep, const struct kr_replay_report **replay,
    struct kr_err *err)
{
	const struct kr_replay_report	*r = &app->replay;
	struct kr_err			 e2;
	int				 ret, aret;

	memset(&app->approvals, 0, sizeof(app->approvals));
	/* The open counted bulk imports; here every row is hashed. */
	if ((ret = kr_store_replay(app->store, &app->replay, true, err)) !=
	    KR_OK)
		return ret;
	if (replay != NULL)
		*replay = r;
	*rep = r->chain;
	if (r->chain.first_bad != 0)
		return kr_err_set(err, KR_EVERIFY, "%s", r->chain.reason);
	if ((ret = kr_audit_check_keys(app, rep, err)) != KR_OK)
		return ret;
	/* Every approval signature, against the custodians' keys. */
	kr_err_clear(&e2);
	aret = kr_approvals_verify_chain(app, &app->approvals, &e2);
	if (r->problems > 0)
		return kr_err_set(err, KR_EVERIFY, "%lld record%s of the "
		    "database do%s not match the audit chain; the first: %s",
		    (long long)r->problems, r->problems == 1 ? "" : "s",
		    r->problems == 1 ? "es" : "", r->problem[0]);
	if (aret != KR_OK) {
		*err = e2;
		return aret;
	}
	return KR_OK;
}

const struct kr_approval_report *
kr_appliance_approvals(const struct kr_appliance *app)
{
	return &app->approvals;
}

int
kr_authority_audit_verify(struct kr_appliance *app,
    struct kr_audit_report *rep, struct kr_err *err)
{
	return kr_authority_audit_replay(app, rep, NULL, err);
}

int
kr_authority_audit_verify_afresh(struct kr_appliance *app,
    struct kr_audit_report *rep, struct kr_err *err)
{
	kr_store_replay_forget(app->store);
	return kr_authority_audit_verify(app, rep, err);
}
