/*
 * A prepared certificate request (docs/formats.md, "Prepared certificate
 * request"): what `cert root|issue|cross-sign --dry-run --save-request
 * FILE` prepared, so that the same command with `--request FILE` signs
 * exactly that TBS, with the serial and times the dry run showed.  A text
 * file of fixed lines:
 *
 *   keyrite-cert-request 2
 *   kind root | issue | cross
 *   issuer-key NAME
 *   issuer-key-id HEX (16 bytes)
 *   issuer-cert-sha256 HEX | none (a root: it has no issuer certificate)
 *   profile NAME
 *   profile-sha256 HEX
 *   subject-key csr HEX | pubkey HEX | key NAME (issue); key NAME, the
 *       issuer key itself (root); cert HEX, the SHA-256 of the DER of the
 *       certificate cross-signed (cross)
 *   serial HEX
 *   tbs-sha256 HEX
 *   tbs BASE64 (the DER TBSCertificate)
 *   sha256 HEX (of every byte before this line)
 *
 * Hex is lower case; every line ends with a line feed; nothing follows
 * the last.  The reader checks the last line first, so a changed byte is
 * said as such, then reads the rest strictly.  Format 1 (what keyrite
 * wrote before) has no kind line and is read, and written back, as kind
 * issue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

/* Both the same length. */
#define KR_REQ_MAGIC1	"keyrite-cert-request 1"
#define KR_REQ_MAGIC2	"keyrite-cert-request 2"

/* Each kind: its name in the file and the subject-key sources it takes. */
static const struct {
	enum kr_issue_kind	 kind;
	const char		*name;
	const char		*sources;	/* " csr pubkey key " */
	const char		*want;
} kr_req_kinds[] = {
	{ KR_ISSUE_ROOT, "root", " key ", "key and the root key's own name" },
	{ KR_ISSUE_CERT, "issue", " csr pubkey key ", "csr or pubkey and a "
	    "SHA-256, or key and a key name" },
	{ KR_ISSUE_CROSS, "cross", " cert ", "cert and the SHA-256 of the "
	    "certificate cross-signed" },
};

static size_t
kr_req_kind_index(enum kr_issue_kind kind)
{
	size_t	i;

	for (i = 0; i < sizeof(kr_req_kinds) / sizeof(kr_req_kinds[0]); i++)
		if (kr_req_kinds[i].kind == kind)
			return i;
	return 1;	/* not reached: every kind is in the table */
}

int
kr_request_format(const struct kr_cert_request *rq, char **out, size_t *len,
    struct kr_err *err)
{
	struct kr_buf	 b;
	uint8_t		 dig[32];
	char		*b64;

	*out = NULL;
	if (rq->version == 1 && rq->kind != KR_ISSUE_CERT)
		return kr_err_set(err, KR_EINTERNAL, "a prepared request of "
		    "format 1 is for `cert issue` only");
	if ((b64 = kr_base64_encode(rq->tbs, rq->tbs_len)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	kr_buf_init(&b, false);
	if (rq->version == 1)
		kr_buf_put(&b, KR_REQ_MAGIC1 "\n", sizeof(KR_REQ_MAGIC1));
	else {
		kr_buf_put(&b, KR_REQ_MAGIC2 "\n", sizeof(KR_REQ_MAGIC2));
		kr_reqf_line(&b, "kind",
		    kr_req_kinds[kr_req_kind_index(rq->kind)].name);
	}
	kr_reqf_line(&b, "issuer-key", rq->issuer_key);
	kr_reqf_hexline(&b, "issuer-key-id", rq->issuer_key_id,
	    sizeof(rq->issuer_key_id));
	if (rq->has_issuer_cert)
		kr_reqf_hexline(&b, "issuer-cert-sha256",
		    rq->issuer_cert_sha256, 32);
	else
		kr_reqf_line(&b, "issuer-cert-sha256", "none");
	kr_reqf_line(&b, "profile", rq->profile);
	kr_reqf_hexline(&b, "profile-sha256", rq->profile_sha256, 32);
	kr_buf_put(&b, "subject-key ", 12);
	kr_reqf_line(&b, rq->source, rq->source_value);
	kr_reqf_hexline(&b, "serial", rq->serial, rq->serial_len);
	if (kr_hash(KR_HASH_SHA256, rq->tbs, rq->tbs_len, dig) != KR_OK)
		b.failed = true;
	kr_reqf_hexline(&b, "tbs-sha256", dig, sizeof(dig));
	kr_reqf_line(&b, "tbs", b64);
	free(b64);
	return kr_reqf_finish(&b, out, len, err);
}

/* The first line after the magic: the kind (format 1 has none: issue). */
static int
kr_req_magic(struct kr_reqf_reader *r, struct kr_cert_request *rq,
    struct kr_err *err)
{
	const size_t	n = sizeof(KR_REQ_MAGIC2);	/* with its \n */
	size_t		i;
	int		ret;

	if ((size_t)(r->end - r->p) >= n &&
	    memcmp(r->p, KR_REQ_MAGIC2 "\n", n) == 0)
		rq->version = 2;
	else if ((size_t)(r->end - r->p) >= n &&
	    memcmp(r->p, KR_REQ_MAGIC1 "\n", n) == 0)
		rq->version = 1;
	else
		return kr_err_set(err, KR_EINPUT, "%s is not a prepared "
		    "certificate request of format 1 or 2: nothing was signed",
		    r->path);
	r->p += n;
	r->line = 1;
	rq->kind = KR_ISSUE_CERT;
	if (rq->version == 1)
		return KR_OK;
	if ((ret = kr_reqf_next(r, "kind", err)) != KR_OK)
		return ret;
	for (i = 0; i < sizeof(kr_req_kinds) / sizeof(kr_req_kinds[0]); i++)
		if (strcmp(r->val, kr_req_kinds[i].name) == 0) {
			rq->kind = kr_req_kinds[i].kind;
			return KR_OK;
		}
	return kr_err_set(err, KR_EINPUT, "%s, line %u: 'kind' wants root, "
	    "issue or cross: nothing was signed", r->path, r->line);
}

/* A root has no issuer certificate ("none"); the others its SHA-256. */
static int
kr_req_issuer_cert(struct kr_reqf_reader *r, struct kr_cert_request *rq,
    struct kr_err *err)
{
	int	ret;

	if ((ret = kr_reqf_next(r, "issuer-cert-sha256", err)) != KR_OK)
		return ret;
	if (rq->kind == KR_ISSUE_ROOT) {
		if (strcmp(r->val, "none") == 0)
			return KR_OK;
		return kr_err_set(err, KR_EINPUT, "%s, line %u: a root's "
		    "request says 'issuer-cert-sha256 none' (a root has no "
		    "issuer certificate): nothing was signed", r->path,
		    r->line);
	}
	rq->has_issuer_cert = true;
	return kr_reqf_hexval(r, "issuer-cert-sha256", rq->issuer_cert_sha256,
	    32, err);
}

/* Where the subject key came from, as the request's kind allows. */
static int
kr_req_source(struct kr_reqf_reader *r, struct kr_cert_request *rq,
    struct kr_err *err)
{
	size_t	 k = kr_req_kind_index(rq->kind);
	char	*sp, word[10];
	int	 ret;

	if ((ret = kr_reqf_next(r, "subject-key", err)) != KR_OK)
		return ret;
	if ((sp = strchr(r->val, ' ')) == NULL || sp - r->val > 6)
		goto bad;
	*sp++ = '\0';
	word[0] = ' ';
	memcpy(word + 1, r->val, strlen(r->val));
	memcpy(word + 1 + strlen(r->val), " ", 2);
	if (strstr(kr_req_kinds[k].sources, word) == NULL)
		goto bad;
	if (strcmp(r->val, "key") == 0 ? kr_key_name_check(sp, err) != KR_OK :
	    !kr_reqf_is_hex(sp, 64))
		goto bad;
	if (rq->kind == KR_ISSUE_ROOT && strcmp(sp, rq->issuer_key) != 0)
		goto bad;
	if (strlen(sp) >= sizeof(rq->source_value) ||
	    strlen(r->val) >= sizeof(rq->source))
		goto bad;
	memcpy(rq->source, r->val, strlen(r->val) + 1);
	memcpy(rq->source_value, sp, strlen(sp) + 1);
	return KR_OK;
bad:
	return kr_err_set(err, KR_EINPUT, "%s, line %u: 'subject-key' of a "
	    "request of kind %s wants %s: nothing was signed", r->path,
	    r->line, kr_req_kinds[k].name, kr_req_kinds[k].want);
}

static int
kr_req_tbs(struct kr_reqf_reader *r, struct kr_cert_request *rq,
    const uint8_t *want, struct kr_err *err)
{
	uint8_t	dig[32];
	int	ret;

	if ((ret = kr_reqf_next(r, "tbs", err)) != KR_OK)
		return ret;
	if (kr_base64_decode(r->val, strlen(r->val), &rq->tbs,
	    &rq->tbs_len) != KR_OK || rq->tbs_len == 0)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: 'tbs' is not "
		    "base64: nothing was signed", r->path, r->line);
	if (kr_hash(KR_HASH_SHA256, rq->tbs, rq->tbs_len, dig) != KR_OK ||
	    memcmp(dig, want, sizeof(dig)) != 0)
		return kr_err_set(err, KR_EVERIFY, "%s: its TBS does not have "
		    "the SHA-256 its tbs-sha256 line says: nothing was signed",
		    r->path);
	return KR_OK;
}

int
kr_request_parse(const char *path, const uint8_t *data, size_t len,
    struct kr_cert_request *rq, struct kr_err *err)
{
	struct kr_reqf_reader	*r;
	uint8_t			 tbs_sha[32];
	size_t			 body = 0;
	int			 ret;

	memset(rq, 0, sizeof(*rq));
	if ((ret = kr_reqf_checksum(path, data, len, &body, "the same `keyrite cert ...` command and --dry-run --save-request FILE", err)) != KR_OK)
		return ret;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	r->path = path;
	r->what = "prepared certificate request";
	r->p = (const char *)data;
	r->end = r->p + body;
	if ((ret = kr_req_magic(r, rq, err)) != KR_OK ||
	    (ret = kr_reqf_name(r, "issuer-key", rq->issuer_key,
	    sizeof(rq->issuer_key), err)) != KR_OK ||
	    (ret = kr_reqf_hex(r, "issuer-key-id", rq->issuer_key_id,
	    sizeof(rq->issuer_key_id), err)) != KR_OK ||
	    (ret = kr_req_issuer_cert(r, rq, err)) != KR_OK ||
	    (ret = kr_reqf_name(r, "profile", rq->profile, sizeof(rq->profile),
	    err)) != KR_OK ||
	    (ret = kr_reqf_hex(r, "profile-sha256", rq->profile_sha256, 32,
	    err)) != KR_OK ||
	    (ret = kr_req_source(r, rq, err)) != KR_OK ||
	    (ret = kr_reqf_hex(r, "serial", rq->serial, 16, err)) != KR_OK ||
	    (ret = kr_reqf_hex(r, "tbs-sha256", tbs_sha, 32, err)) != KR_OK ||
	    (ret = kr_req_tbs(r, rq, tbs_sha, err)) != KR_OK)
		goto out;
	rq->serial_len = 16;
	if (r->p != r->end)
		ret = kr_err_set(err, KR_EINPUT, "%s, line %u: more lines than "
		    "a prepared certificate request has: nothing was signed",
		    path, r->line + 1);
out:
	free(r);
	if (ret != KR_OK)
		kr_request_free(rq);
	return ret;
}

void
kr_request_free(struct kr_cert_request *rq)
{
	if (rq == NULL)
		return;
	free(rq->tbs);
	rq->tbs = NULL;
	rq->tbs_len = 0;
}
