/*
 * Running each action: the request the CLI command would build, the
 * authority call it makes, and the result for the room and the step's
 * row.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceremony_int.h"

void
kr_cer_output(struct kr_cer_ctx *c, const char *path)
{
	if (c->nouts < KR_CER_OUTS_MAX)
		(void)snprintf(c->outs[c->nouts++], sizeof(c->outs[0]), "%s",
		    path);
}

void
kr_cer_print(const struct kr_cer_ctx *c, const char *fmt, ...)
{
	char	line[2048];
	va_list	ap;

	if (c->io->print == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->io->print(c->io->ctx, line);
}

/*
 * A fingerprint grouped for reading aloud: colon pairs, 16 to a line,
 * the second line under the first.
 */
static void
kr_cer_print_fp(const struct kr_cer_ctx *c, const char *label,
    const char *hex)
{
	uint8_t	b[32];
	char	pairs[KR_HEX_COLONS_BYTES(32, 0)];

	if (strlen(hex) == 64 && kr_hex_decode(b, sizeof(b), hex) == KR_OK &&
	    kr_hex_colons(pairs, sizeof(pairs), b, sizeof(b), 0, ""))
		hex = pairs;
	kr_cer_print(c, "%s%.47s", label, hex);
	if (strlen(hex) > 48)
		kr_cer_print(c, "%*s%s", (int)strlen(label), "", hex + 48);
}

static void
kr_cer_quorum_lines(struct kr_cer_ctx *c, const struct kr_quorum_report *q)
{
	const char	*names[KR_CUSTODIANS_MAX];
	size_t		 i, n = 0;

	if (q == NULL)
		return;
	for (i = 0; i < q->given && i < KR_CUSTODIANS_MAX; i++) {
		kr_cer_print(c, "  share of %s: %s", q->shares[i].custodian,
		    q->shares[i].code == KR_OK ? "good" : q->shares[i].msg);
		if (q->shares[i].code == KR_OK)
			names[n++] = q->shares[i].custodian;
	}
	kr_json_str_array(&c->sum, "shares_from", names, n);
}

int
kr_cer_run_keygen(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	const struct kr_cer_arg	*who = kr_cer_arg_get(st, "custodians");
	struct kr_keygen_req	 req;
	struct kr_keygen_result	*res;
	const char		*be = kr_cer_arg(st, "backend");
	size_t			 i;
	int			 ret;

	memset(&req, 0, sizeof(req));
	req.name = kr_cer_arg(st, "name");
	if ((ret = kr_key_alg_from_name(kr_cer_arg(st, "alg"), &req.alg)) !=
	    KR_OK || (ret = kr_purpose_from_name(kr_cer_arg(st, "purpose"),
	    &req.purpose)) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "alg or purpose is not one "
		    "keyrite knows (see `keyrite key generate --help`)");
	req.m = kr_cer_uint(st, "threshold");
	req.custodians = (const char *const *)who->list;
	req.n = who->n;
	req.share_dir = kr_cer_arg(st, "share_dir");
	req.actor = c->io->actor;
	req.backend = be != NULL && strcmp(be, "pkcs11") == 0 ?
	    KR_BACKEND_PKCS11 : KR_BACKEND_SEALED;
	req.module = kr_cer_arg(st, "module");
	req.token = kr_cer_arg(st, "token");
	req.uri = kr_cer_arg(st, "uri");
	req.init_token = kr_cer_bool(st, "init_token");
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_authority_key_generate(c->app, &req, c->io->src,
	    c->io->notice, res, err)) != KR_OK) {
		free(res);
		return ret;
	}
	kr_cer_print(c, "key '%s' generated%s, %u-of-%zu quorum", req.name,
	    res->held, req.m, req.n);
	kr_cer_print_fp(c, "  public key SHA-256:  ", res->fingerprint);
	for (i = 0; i < res->shares; i++) {
		kr_cer_print(c, "  share of %s: %s", req.custodians[i],
		    res->share_paths[i]);
		if (res->approval_fp[i][0] != '\0')
			kr_cer_print_fp(c, "    approval key SHA-256 (write it "
			    "down): ", res->approval_fp[i]);
	}
	kr_json_str(&c->sum, "key", req.name);
	kr_json_str(&c->sum, "fingerprint", res->fingerprint);
	kr_json_int(&c->sum, "audit_seq", res->audit_seq);
	free(res);
	return KR_OK;
}

/* Each custodian checks their own share alone, or the quorum together. */
int
kr_cer_run_verify(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	const char		*key = kr_cer_arg(st, "key");
	struct kr_quorum_report	*rep = NULL;
	struct kr_cer_q		 q;
	bool			 each = kr_cer_arg(st, "each") == NULL ||
				     kr_cer_bool(st, "each");
	size_t			 i;
	int			 ret;

	if ((ret = kr_cer_shares(st, key, &q.files, q.owned, &q.n, err)) !=
	    KR_OK)
		return ret;
	for (i = 0, ret = KR_OK; ret == KR_OK && i < (each ? q.n : 1); i++) {
		ret = kr_authority_quorum_verify(c->app, key, q.files + i,
		    each ? 1 : q.n, c->io->src, &rep, err);
		if (rep != NULL && rep->given > 0)
			kr_cer_print(c, "  share of %s (%s): %s",
			    rep->shares[0].custodian, rep->shares[0].file,
			    rep->shares[0].code == KR_OK ? "good" :
			    rep->shares[0].msg);
		kr_quorum_report_free(&rep);
	}
	kr_cer_shares_free(q.owned, q.n);
	if (ret != KR_OK)
		return ret;
	kr_json_str(&c->sum, "key", key);
	kr_json_int(&c->sum, "shares_checked", (int64_t)q.n);
	kr_cer_print(c, "%zu share%s of '%s' checked%s", q.n, q.n == 1 ? "" :
	    "s", key, each ? ", each alone" : " together");
	return KR_OK;
}

int
kr_cer_run_reshare(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	const struct kr_cer_arg		*h = kr_cer_arg_get(st, "holders");
	struct kr_reshare_req		 req;
	struct kr_reshare_result	 res;
	struct kr_cer_q			 q;
	size_t				 i;
	int				 ret;

	memset(&req, 0, sizeof(req));
	req.key = kr_cer_arg(st, "key");
	if ((ret = kr_cer_shares(st, req.key, &q.files, q.owned, &q.n, err)) !=
	    KR_OK)
		return ret;
	req.m = kr_cer_uint(st, "threshold");
	req.custodians = (const char *const *)h->list;
	req.n = h->n;
	req.share_dir = kr_cer_arg(st, "new_share_dir");
	req.new_secret = kr_cer_bool(st, "rewrap");
	req.shares = q.files;
	req.nshares = q.n;
	req.actor = c->io->actor;
	ret = kr_authority_quorum_reshare(c->app, &req, c->io->src,
	    c->io->notice, &res, err);
	kr_cer_shares_free(q.owned, q.n);
	if (ret == KR_OK) {
		kr_cer_quorum_lines(c, res.quorum);
		kr_cer_print(c, "'%s' dealt again: epoch %u, %u of %zu; the "
		    "new set is pending until %u holders check their shares",
		    req.key, res.epoch, res.m, res.shares, res.m);
		for (i = 0; i < res.shares; i++)
			kr_cer_print(c, "  new share of %s: %s",
			    req.custodians[i], res.share_paths[i]);
		kr_json_str(&c->sum, "key", req.key);
		kr_json_int(&c->sum, "epoch", res.epoch);
	}
	kr_reshare_result_free(&res);
	return ret;
}

/* cert.root, cert.issue, cert.cross-sign: one request. */
void
kr_cer_issue_req(const struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_issue_req *req, char *request, size_t cap)
{
	const char	*a = kr_cer_action_name(st);

	memset(req, 0, sizeof(*req));
	req->kind = strcmp(a, "cert.root") == 0 ? KR_ISSUE_ROOT :
	    strcmp(a, "cert.issue") == 0 ? KR_ISSUE_CERT : KR_ISSUE_CROSS;
	req->issuer_key = kr_cer_arg(st, req->kind == KR_ISSUE_ROOT ? "key" :
	    "issuer_key");
	req->profile = kr_cer_arg(st, "profile");
	req->subject = kr_cer_arg(st, "subject");
	req->csr_path = kr_cer_arg(st, "csr");
	req->pubkey_path = kr_cer_arg(st, "pubkey");
	req->subject_key = kr_cer_arg(st, "subject_key");
	req->cross_cert_path = kr_cer_arg(st, "cert");
	req->days = kr_cer_uint(st, "days");
	req->rsa_pss = kr_cer_bool(st, "rsa_pss");
	req->der = kr_cer_bool(st, "der");
	req->accept_warnings = kr_cer_bool(st, "accept_warnings");
	req->out_path = kr_cer_arg(st, "out");
	req->actor = c->io->actor;
	/* Prepared by the rehearsal when its keys existed then. */
	if (request != NULL && c->requests_dir != NULL) {
		(void)snprintf(request, cap, "%s/%s.request", c->requests_dir,
		    st->id);
		if (access(request, F_OK) == 0)
			req->request = request;
	}
}

int
kr_cer_run_cert(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_issue_req	 req;
	struct kr_issue_result	 res;
	struct kr_cer_q		 q;
	char			 request[4096];
	int			 ret;

	kr_cer_issue_req(c, st, &req, request, sizeof(request));
	if ((ret = kr_cer_shares(st, req.issuer_key, &q.files, q.owned, &q.n,
	    err)) != KR_OK)
		return ret;
	if (req.request != NULL) {
		/*
		 * The request holds issuer, profile, subject, key and times;
		 * a cross step's cert is kept: it is checked against it.
		 */
		req.issuer_key = req.profile = req.subject = NULL;
		req.csr_path = req.pubkey_path = req.subject_key = NULL;
		req.days = 0;
		req.rsa_pss = false;
	}
	req.shares = q.files;
	req.nshares = q.n;
	ret = kr_authority_issue(c->app, &req, c->io->src, &res, err);
	kr_cer_shares_free(q.owned, q.n);
	kr_cer_quorum_lines(c, res.quorum);
	if (ret == KR_OK) {
		kr_cer_print(c, "certificate %s for %s, %s to %s", res.serial,
		    res.subject, res.not_before, res.not_after);
		kr_cer_print_fp(c, "  certificate SHA-256: ", res.cert_sha256);
		kr_cer_print(c, "  TBS SHA-256:  %s", res.tbs_sha256);
		kr_cer_print(c, "  written to %s", req.out_path);
		kr_cer_output(c, req.out_path);
		kr_json_str(&c->sum, "serial", res.serial);
		kr_json_str(&c->sum, "tbs_sha256", res.tbs_sha256);
		kr_json_str(&c->sum, "cert_sha256", res.cert_sha256);
		kr_json_str(&c->sum, "out", req.out_path);
		kr_json_str(&c->sum, "request", req.request != NULL ?
		    req.request : "");
	}
	kr_issue_result_free(&res);
	return ret;
}

int
kr_cer_run_revoke(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_revoke_req	req;
	struct kr_revoke_result	res;
	const char		*why = kr_cer_arg(st, "reason");
	int			ret;

	memset(&req, 0, sizeof(req));
	req.issuer_key = kr_cer_arg(st, "issuer_key");
	req.serial = kr_cer_arg(st, "serial");
	req.reason = KR_REASON_NONE;
	if (why != NULL && kr_reason_from_name(why, &req.reason) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "reason '%s' is not a CRL "
		    "reason keyrite knows (see `keyrite revoke --help`)", why);
	req.actor = c->io->actor;
	if ((ret = kr_authority_revoke(c->app, &req, &res, err)) != KR_OK)
		return ret;
	kr_cer_print(c, "certificate %s (%s) revoked", res.serial,
	    res.subject);
	kr_json_str(&c->sum, "serial", res.serial);
	return KR_OK;
}

int
kr_cer_run_ocsp(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_ocsp_req	req;
	struct kr_ocsp_result	res;
	struct kr_cer_q		q;
	int			ret;

	memset(&req, 0, sizeof(req));
	req.issuer_key = kr_cer_arg(st, "issuer_key");
	req.out_dir = kr_cer_arg(st, "out_dir");
	req.valid_days = kr_cer_uint(st, "valid_days");
	req.actor = c->io->actor;
	if ((ret = kr_cer_shares(st, req.issuer_key, &q.files, q.owned, &q.n,
	    err)) != KR_OK)
		return ret;
	req.shares = q.files;
	req.nshares = q.n;
	ret = kr_authority_ocsp_presign(c->app, &req, c->io->src,
	    c->io->notice, &res, err);
	kr_cer_shares_free(q.owned, q.n);
	kr_cer_quorum_lines(c, res.quorum);
	if (ret == KR_OK) {
		kr_cer_print(c, "%zu OCSP responses (%zu good, %zu revoked) in "
		    "%s, valid until %s", res.good + res.revoked, res.good,
		    res.revoked, req.out_dir, res.next_update);
		kr_json_int(&c->sum, "responses", (int64_t)(res.good +
		    res.revoked));
	}
	kr_ocsp_result_free(&res);
	return ret;
}

int
kr_cer_run_destroy(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_quorum_report	*rep = NULL;
	const char		*key = kr_cer_arg(st, "key");
	struct kr_cer_q		 q;
	int			 ret;

	if ((ret = kr_cer_shares(st, key, &q.files, q.owned, &q.n, err)) !=
	    KR_OK)
		return ret;
	ret = kr_authority_key_destroy(c->app, key, q.files, q.n, c->io->src,
	    c->io->actor, &rep, err);
	kr_cer_shares_free(q.owned, q.n);
	kr_cer_quorum_lines(c, rep);
	kr_quorum_report_free(&rep);
	if (ret == KR_OK) {
		kr_cer_print(c, "key '%s' destroyed: its material is gone and "
		    "its shares are worthless", key);
		kr_json_str(&c->sum, "key", key);
	}
	return ret;
}

/* The rotation a rotate.root step asks for (its run and its rehearsal). */
void
kr_cer_rotate_req(const struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_rotate_req *req)
{
	memset(req, 0, sizeof(*req));
	req->old_key = kr_cer_arg(st, "old");
	req->new_key = kr_cer_arg(st, "new");
	req->overlap_days = kr_cer_uint(st, "overlap_days");
	req->profile = kr_cer_arg(st, "profile");
	req->new_subject = kr_cer_arg(st, "new_subject");
	req->new_days = kr_cer_uint(st, "new_days");
	req->out_dir = kr_cer_arg(st, "out_dir");
	req->actor = c->io->actor;
}

/*
 * A root rotation: the step's custodians present their shares of the old
 * root, then of the new one (the same custodians hold both).
 */
int
kr_cer_run_rotate(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_rotate_req	 req;
	struct kr_rotate_result	 res;
	struct kr_cer_q		 q[2];
	const char		*all[2 * KR_CUSTODIANS_MAX];
	size_t			 i, n = 0;
	int			 ret;

	kr_cer_rotate_req(c, st, &req);
	if ((ret = kr_cer_shares(st, req.old_key, &q[0].files, q[0].owned,
	    &q[0].n, err)) != KR_OK)
		return ret;
	if ((ret = kr_cer_shares(st, req.new_key, &q[1].files, q[1].owned,
	    &q[1].n, err)) != KR_OK) {
		kr_cer_shares_free(q[0].owned, q[0].n);
		return ret;
	}
	for (i = 0; i < q[0].n; i++)
		all[n++] = q[0].files[i];
	for (i = 0; i < q[1].n; i++)
		all[n++] = q[1].files[i];
	req.shares = all;
	req.nshares = n;
	ret = kr_authority_rotate_root(c->app, &req, c->io->src, &res, err);
	kr_cer_shares_free(q[0].owned, q[0].n);
	kr_cer_shares_free(q[1].owned, q[1].n);
	kr_cer_quorum_lines(c, res.quorum[0]);
	kr_cer_quorum_lines(c, res.quorum[1]);
	if (ret == KR_OK) {
		kr_cer_print(c, "link certificates %s (by '%s') and %s (by "
		    "'%s'), pin set %lld, in %s", res.link_serial[0],
		    req.old_key, res.link_serial[1], req.new_key,
		    (long long)res.pinset.sequence, req.out_dir);
		for (i = 0; i < res.nfiles; i++)
			kr_cer_output(c, res.files[i]);
		kr_json_int(&c->sum, "pinset_sequence", res.pinset.sequence);
	}
	kr_rotate_result_free(&res);
	return ret;
}
