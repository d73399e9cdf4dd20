/*
 * audit clock-recover: a state folder whose newest audit entry is dated
 * in the future.
 *
 * A command once ran with the clock set years ahead; every later command
 * would be refused as "earlier than the newest entry".  Editing the
 * database is never the answer.  Instead a quorum of a sealed key's
 * custodians and the operator's confirmation of today's date record one
 * row, dated now, that names the future entry; from then on the clock
 * guard compares against that row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

static int
kr_recover_check(struct kr_appliance *app,
    const struct kr_clock_recover_req *req, struct kr_clock_recover_result *res,
    int64_t now, struct kr_err *err)
{
	struct kr_key_rec	k;
	char			a[KR_TIME_STR_BYTES], b[KR_TIME_STR_BYTES];
	char			today[KR_TIME_STR_BYTES];
	int			ret;

	if ((ret = kr_store_audit_newest_row(app->store, &res->future_seq,
	    &res->future_time, err)) != KR_OK)
		return ret;
	kr_time_format(now, a);
	kr_time_format(res->future_time, b);
	if (res->future_time <= now)
		return kr_err_set(err, KR_EREFUSED, "nothing to recover: the "
		    "newest audit entry (row %lld, %s) is not later than the "
		    "clock (%s)", (long long)res->future_seq, b, a);
	memcpy(today, a, 10);
	today[10] = '\0';
	if (req->confirm_date == NULL || strcmp(req->confirm_date, today) != 0)
		return kr_err_set(err, KR_EUSAGE, "name today's date as the "
		    "clock shows it with --confirm-date %s (after checking the "
		    "clock against a trusted source): the recovery records the "
		    "clock as the truth", today);
	if ((ret = kr_store_key_get(app->store, req->key, &k, err)) != KR_OK)
		return ret;
	if (strcmp(k.backend, "sealed") != 0 || strcmp(k.state, "active") != 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s' is %s %s key: the "
		    "recovery needs the quorum of an active key sealed in a "
		    "file (its unlock records nothing until the recovery row)",
		    req->key, strcmp(k.state, "active") == 0 ? "a" : "a "
		    "destroyed", k.backend);
	return KR_OK;
}

static int
kr_recover_record(struct kr_appliance *app,
    const struct kr_clock_recover_req *req, struct kr_clock_recover_result *res,
    int64_t now, const struct kr_quorum_report *rep, const char *const *names,
    size_t n, struct kr_err *err)
{
	struct kr_json	j;
	int		ret;

	kr_json_begin(&j);
	kr_json_int(&j, "future_entry", res->future_seq);
	kr_json_int(&j, "future_time", res->future_time);
	kr_json_int(&j, "clock", now);
	kr_json_str(&j, "confirmed_date", req->confirm_date);
	kr_json_str(&j, "quorum_key", req->key);
	kr_json_str_array(&j, "approved_by", names, n);
	kr_json_int(&j, "wrong_passphrases", rep != NULL ?
	    (int64_t)rep->refused_unrecorded : 0);
	kr_approvals_json(&j, rep, 0);
	kr_json_str(&j, "operator", req->actor);
	if (kr_json_end(&j) == NULL) {
		kr_json_free(&j);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	if ((ret = kr_store_begin(app->store, err)) == KR_OK) {
		if ((ret = kr_store_audit_append_clock_back(app->store, now,
		    res->approvers, "clock.recover", kr_json_end(&j),
		    &res->audit_seq, err)) == KR_OK)
			ret = kr_store_commit(app->store, err);
		else
			kr_store_rollback(app->store);
	}
	kr_json_free(&j);
	return ret;
}

int
kr_authority_clock_recover(struct kr_appliance *app,
    const struct kr_clock_recover_req *req,
    const struct kr_passphrase_source *src,
    struct kr_clock_recover_result *res, struct kr_err *err)
{
	const struct kr_approval_subject sub = { .op = "clock.recover",
	    .refusals_in_row = true };
	struct kr_signer	*s = NULL;
	const char		*names[KR_CUSTODIANS_MAX];
	size_t			 n;
	int64_t			 now = kr_time_now();
	int			 ret;

	memset(res, 0, sizeof(*res));
	if ((ret = kr_recover_check(app, req, res, now, err)) != KR_OK)
		return ret;
	ret = kr_authority_unlock_report(app, req->key, req->shares,
	    req->nshares, src, &sub, &res->quorum, &s, err);
	/* The quorum is what is asked for; the key is not used. */
	kr_signer_free(&s);
	if (ret == KR_OK) {
		/* Dated when recorded: after the custodians' approvals. */
		now = kr_time_now();
		kr_quorum_approvers(res->quorum, names, &n, res->approvers,
		    sizeof(res->approvers));
		ret = kr_recover_record(app, req, res, now, res->quorum, names,
		    n, err);
	}
	return ret;
}
