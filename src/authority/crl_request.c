/*
 * A prepared CRL request (docs/formats.md, "Prepared CRL request"): what
 * `crl publish --dry-run --save-request FILE` (or a ceremony's rehearsal)
 * prepared, so that `crl publish --request FILE` signs exactly that TBS:
 * the same number and times, over the same revocations.  The CRL itself
 * can hold a million entries, so the request keeps its SHA-256 only; the
 * run builds the TBS again with the request's number and times and signs
 * it only if it hashes the same (a revocation recorded since makes it
 * differ, and the CRL is prepared again).
 *
 *   keyrite-crl-request 1
 *   issuer-key NAME
 *   issuer-key-id HEX (16 bytes)
 *   issuer-cert-sha256 HEX
 *   kind base | delta
 *   number DECIMAL
 *   this-update YYYY-MM-DDTHH:MM:SSZ
 *   next-update YYYY-MM-DDTHH:MM:SSZ
 *   entries DECIMAL
 *   tbs-sha256 HEX
 *   sha256 HEX (of every byte before this line)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

#define KR_CRL_REQ_MAGIC	"keyrite-crl-request 1"
#define KR_CRL_REQ_AGAIN	"`keyrite crl publish ... --dry-run " \
				"--save-request FILE`"

static void
kr_crl_req_int(struct kr_buf *b, const char *name, int64_t v)
{
	char	num[24];

	(void)snprintf(num, sizeof(num), "%lld", (long long)v);
	kr_reqf_line(b, name, num);
}

int
kr_crl_request_format(const struct kr_crl_request *rq, char **out,
    size_t *len, struct kr_err *err)
{
	struct kr_buf	b;
	char		when[KR_TIME_STR_BYTES];

	*out = NULL;
	kr_buf_init(&b, false);
	kr_buf_put(&b, KR_CRL_REQ_MAGIC "\n", sizeof(KR_CRL_REQ_MAGIC));
	kr_reqf_line(&b, "issuer-key", rq->issuer_key);
	kr_reqf_hexline(&b, "issuer-key-id", rq->issuer_key_id,
	    sizeof(rq->issuer_key_id));
	kr_reqf_hexline(&b, "issuer-cert-sha256", rq->issuer_cert_sha256, 32);
	kr_reqf_line(&b, "kind", rq->delta ? "delta" : "base");
	kr_crl_req_int(&b, "number", rq->number);
	kr_time_format(rq->this_update, when);
	kr_reqf_line(&b, "this-update", when);
	kr_time_format(rq->next_update, when);
	kr_reqf_line(&b, "next-update", when);
	kr_crl_req_int(&b, "entries", (int64_t)rq->entries);
	kr_reqf_hexline(&b, "tbs-sha256", rq->tbs_sha256, 32);
	return kr_reqf_finish(&b, out, len, err);
}

/* A decimal of at most 15 digits, no sign, no leading zero. */
static int
kr_crl_req_dec(struct kr_reqf_reader *r, const char *name, int64_t *out,
    struct kr_err *err)
{
	size_t	n;
	int	ret;

	if ((ret = kr_reqf_next(r, name, err)) != KR_OK)
		return ret;
	n = strlen(r->val);
	if (n == 0 || n > 15 || strspn(r->val, "0123456789") != n ||
	    (n > 1 && r->val[0] == '0'))
		return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' wants a "
		    "decimal number: nothing was signed", r->path, r->line,
		    name);
	*out = strtoll(r->val, NULL, 10);
	return KR_OK;
}

static int
kr_crl_req_time(struct kr_reqf_reader *r, const char *name, int64_t *out,
    struct kr_err *err)
{
	int	ret;

	if ((ret = kr_reqf_next(r, name, err)) != KR_OK)
		return ret;
	if (kr_time_parse(r->val, KR_TIME_SECOND, out) && *out > 0)
		return KR_OK;
	return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' wants a time "
	    "as YYYY-MM-DDTHH:MM:SSZ: nothing was signed", r->path, r->line,
	    name);
}

static int
kr_crl_req_kind(struct kr_reqf_reader *r, struct kr_crl_request *rq,
    struct kr_err *err)
{
	int	ret;

	if ((ret = kr_reqf_next(r, "kind", err)) != KR_OK)
		return ret;
	if (strcmp(r->val, "base") != 0 && strcmp(r->val, "delta") != 0)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: 'kind' wants "
		    "base or delta: nothing was signed", r->path, r->line);
	rq->delta = r->val[0] == 'd';
	return KR_OK;
}

static int
kr_crl_req_body(struct kr_reqf_reader *r, struct kr_crl_request *rq,
    struct kr_err *err)
{
	int64_t	entries;
	int	ret;

	if ((ret = kr_reqf_name(r, "issuer-key", rq->issuer_key,
	    sizeof(rq->issuer_key), err)) != KR_OK ||
	    (ret = kr_reqf_hex(r, "issuer-key-id", rq->issuer_key_id,
	    sizeof(rq->issuer_key_id), err)) != KR_OK ||
	    (ret = kr_reqf_hex(r, "issuer-cert-sha256", rq->issuer_cert_sha256,
	    32, err)) != KR_OK ||
	    (ret = kr_crl_req_kind(r, rq, err)) != KR_OK ||
	    (ret = kr_crl_req_dec(r, "number", &rq->number, err)) != KR_OK ||
	    (ret = kr_crl_req_time(r, "this-update", &rq->this_update,
	    err)) != KR_OK ||
	    (ret = kr_crl_req_time(r, "next-update", &rq->next_update,
	    err)) != KR_OK ||
	    (ret = kr_crl_req_dec(r, "entries", &entries, err)) != KR_OK ||
	    (ret = kr_reqf_hex(r, "tbs-sha256", rq->tbs_sha256, 32, err)) !=
	    KR_OK)
		return ret;
	rq->entries = (size_t)entries;
	if (rq->number < 1 || rq->next_update <= rq->this_update)
		return kr_err_set(err, KR_EINPUT, "%s: a CRL number below 1, "
		    "or a nextUpdate not after its thisUpdate: nothing was "
		    "signed", r->path);
	if (r->p != r->end)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: more lines than "
		    "a prepared CRL request has: nothing was signed", r->path,
		    r->line + 1);
	return KR_OK;
}

int
kr_crl_request_parse(const char *path, const uint8_t *data, size_t len,
    struct kr_crl_request *rq, struct kr_err *err)
{
	struct kr_reqf_reader	*r;
	size_t			 body = 0, n = sizeof(KR_CRL_REQ_MAGIC);
	int			 ret;

	memset(rq, 0, sizeof(*rq));
	/* Another kind of file is named as such, not as a changed one. */
	if (len < n || memcmp(data, KR_CRL_REQ_MAGIC "\n", n) != 0)
		return kr_err_set(err, KR_EINPUT, "%s is not a prepared CRL "
		    "request (its first line is not '%s'): nothing was signed",
		    path, KR_CRL_REQ_MAGIC);
	if ((ret = kr_reqf_checksum(path, data, len, &body, KR_CRL_REQ_AGAIN,
	    err)) != KR_OK)
		return ret;
	if (body < n)
		return kr_err_set(err, KR_EINPUT, "%s holds nothing but its "
		    "first and last lines: nothing was signed", path);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	r->path = path;
	r->what = "prepared CRL request";
	r->p = (const char *)data + n;
	r->end = (const char *)data + body;
	r->line = 1;
	ret = kr_crl_req_body(r, rq, err);
	free(r);
	return ret;
}
