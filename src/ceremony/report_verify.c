/*
 * ceremony verify-report: a transcript checked from its three files
 * alone, on any machine, with no state folder (docs/transcript.md).
 * Every failure is named; the first is the error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/der.h>
#include <keyrite/quorum.h>
#include <keyrite/store.h>

#include "report_int.h"

#define VR_TEXT_MAX	(64u * 1024 * 1024)
#define VR_SIGS_MAX	(1024u * 1024)

struct vr {
	struct kr_cer_report_result	*res;
	char				*txt, *json, *sigs;
	size_t				 txt_len;
	char				 id[KR_CEREMONY_ID_BYTES];
	char				 appliance[128];
	struct rp_approvers		 ap;
};

static int
vr_fail(struct vr *v, const char *fmt, ...) KR_PRINTF(2, 3);

static int
vr_fail(struct vr *v, const char *fmt, ...)
{
	struct kr_cer_report_result	*res = v->res;
	va_list				 ap;

	if (res->nfailed < sizeof(res->failed) / sizeof(res->failed[0])) {
		va_start(ap, fmt);
		(void)vsnprintf(res->failed[res->nfailed],
		    sizeof(res->failed[0]), fmt, ap);
		va_end(ap);
		res->nfailed++;
	}
	return -1;
}

/* A whole file; JSON must be one canonical object and nothing else. */
static int
vr_read(struct vr *v, const char *dir, const char *name, size_t max,
    bool json, char **out, size_t *outlen, struct kr_err *err)
{
	uint8_t	*buf = NULL;
	char	*path, *s;
	size_t	 len = 0;
	int	 ret;

	if ((path = kr_path_join(dir, name)) == NULL)
		return kr_err_set(err, KR_EINPUT, "the folder name is too long");
	ret = kr_file_read(path, max, false, &buf, &len, err);
	free(path);
	if (ret != KR_OK)
		return ret;
	if ((s = malloc(len + 1)) == NULL) {
		free(buf);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	memcpy(s, buf, len);
	s[len] = '\0';
	free(buf);
	*out = s;
	if (outlen != NULL)
		*outlen = len;
	if (json && (len == 0 || s[0] != '{' || strlen(s) != len ||
	    kr_js_skip(s, 0) != s + len))
		return kr_err_set(err, KR_EVERIFY, "%s is not one canonical "
		    "JSON object (changed, cut short or not keyrite's)", name);
	(void)v;
	return KR_OK;
}

/* One row: its place, its link, its hash recomputed as keyrite does. */
static int
vr_row(struct vr *v, const char *o, int64_t want, uint8_t *prev)
{
	struct kr_audit_rec	 r;
	char			*actor, *event, *payload, id[KR_CEREMONY_ID_BYTES];
	uint8_t			 hash[32], got[32];
	int			 ok = -1;

	memset(&r, 0, sizeof(r));
	actor = kr_js_str_dup(kr_js_member(o, "actor"));
	event = kr_js_str_dup(kr_js_member(o, "event"));
	payload = kr_js_str_dup(kr_js_member(o, "payload"));
	if (actor == NULL || event == NULL || payload == NULL ||
	    !kr_js_int(kr_js_member(o, "seq"), &r.seq) ||
	    !kr_js_int(kr_js_member(o, "time"), &r.time) ||
	    !kr_js_hex(kr_js_member(o, "hash"), hash, 32))
		(void)vr_fail(v, "audit entry %lld in report.json cannot be "
		    "read", (long long)want);
	else if (r.seq != want)
		(void)vr_fail(v, "report.json lists audit entry %lld where "
		    "entry %lld belongs: entries were removed or reordered",
		    (long long)r.seq, (long long)want);
	else {
		r.actor = actor;
		r.event = event;
		r.payload = payload;
		memcpy(r.prev_hash, prev, 32);
		if (kr_audit_row_hash(&r, got) != KR_OK ||
		    memcmp(got, hash, 32) != 0)
			(void)vr_fail(v, "audit entry %lld (%s) does not chain: "
			    "its contents or the entry before it were changed",
			    (long long)r.seq, event);
		else
			ok = 0;
		memcpy(prev, hash, 32);
	}
	if (ok == 0 && ((kr_js_str(kr_js_member(payload, "ceremony"), id,
	    sizeof(id)) && strcmp(id, v->id) == 0) ||
	    (strcmp(event, "ceremony.begin") == 0 && kr_js_str(
	    kr_js_member(payload, "id"), id, sizeof(id)) &&
	    strcmp(id, v->id) == 0)) &&
	    rp_approvers_add(&v->ap, event, payload) != 0)
		ok = vr_fail(v, "audit entry %lld: its approvers cannot be read",
		    (long long)r.seq);
	free(actor);
	free(event);
	free(payload);
	return ok;
}

static int
vr_chain(struct vr *v)
{
	const char	*hb = kr_js_member(v->json, "head_before");
	const char	*ha = kr_js_member(v->json, "head_after");
	const char	*e = kr_js_member(v->json, "rows");
	int64_t		 seq, after_seq;
	uint8_t		 prev[32], after[32];
	bool		 first = true;

	if (!kr_js_int(kr_js_member(hb, "seq"), &seq) ||
	    !kr_js_hex(kr_js_member(hb, "hash"), prev, 32) ||
	    !kr_js_int(kr_js_member(ha, "seq"), &after_seq) ||
	    !kr_js_hex(kr_js_member(ha, "hash"), after, 32) || e == NULL)
		return vr_fail(v, "report.json lacks its audit heads or rows");
	v->res->before_seq = seq;
	while (kr_js_next(&e, first) != NULL) {
		first = false;
		if (vr_row(v, e, ++seq, prev) != 0)
			return -1;
		v->res->rows++;
	}
	if (seq != after_seq || memcmp(prev, after, 32) != 0)
		return vr_fail(v, "the audit entries listed end at entry %lld, "
		    "not at the head after the ceremony (entry %lld)",
		    (long long)seq, (long long)after_seq);
	v->res->after_seq = after_seq;
	return 0;
}

/* One signature: an approver's, with a key they approved with. */
static int
vr_sig(struct vr *v, const char *o, const uint8_t *txt_sha,
    const uint8_t *json_sha, bool *done)
{
	struct kr_cer_signer	*sg;
	struct rp_approver	*a;
	struct kr_buf		 msg;
	struct kr_err		 e;
	uint8_t			 pk[32], sig[64], d[32];
	uint8_t			 spki[KR_ED25519_SPKI_BYTES];
	char			 name[RP_NAME_CAP];
	size_t			 k;
	int			 ok;

	if (!kr_js_str(kr_js_member(o, "custodian"), name, sizeof(name)) ||
	    !kr_js_hex(kr_js_member(o, "approval_pk"), pk, 32) ||
	    !kr_js_hex(kr_js_member(o, "sig"), sig, 64))
		return vr_fail(v, "a signature in signatures.json cannot be "
		    "read");
	if ((a = rp_approver_find(&v->ap, name)) == NULL)
		return vr_fail(v, "signatures.json holds a signature of "
		    "custodian '%s', who approved no step", name);
	if (done[a - v->ap.a])
		return vr_fail(v, "custodian '%s' signed twice", name);
	done[a - v->ap.a] = true;
	sg = &v->res->signers[v->res->nsigners++];
	(void)snprintf(sg->custodian, sizeof(sg->custodian), "%s", name);
	kr_approval_fingerprint(pk, sg->fp);
	if (kr_hash(KR_HASH_SHA256, pk, 32, d) != KR_OK)
		return vr_fail(v, "cannot hash an approval key");
	for (k = 0; k < a->npk; k++)
		if (memcmp(a->pk_sha256[k], d, 32) == 0)
			break;
	if (k == a->npk)
		return vr_fail(v, "custodian '%s' signed with approval key %s, "
		    "which approved no step of the ceremony", name, sg->fp);
	memcpy(spki, KR_ED25519_SPKI_PREFIX, KR_ED25519_SPKI_PREFIX_BYTES);
	memcpy(spki + KR_ED25519_SPKI_PREFIX_BYTES, pk, 32);
	kr_buf_init(&msg, false);
	rp_statement(&msg, v->appliance, v->id, name, pk, txt_sha, json_sha);
	kr_err_clear(&e);
	ok = !msg.failed && kr_sig_verify(KR_SIG_ED25519, spki, sizeof(spki),
	    msg.p, msg.len, sig, sizeof(sig), 0, &e) == KR_OK;
	kr_buf_free(&msg);
	if (!ok)
		return vr_fail(v, "the signature of custodian '%s' does not "
		    "verify over report.txt and report.json as they are now",
		    name);
	sg->good = true;
	return 0;
}

static void
vr_sigs(struct vr *v)
{
	const char	*e = kr_js_member(v->sigs, "signatures");
	uint8_t		 txt_sha[32], json_sha[32], want[32];
	char		 id[KR_CEREMONY_ID_BYTES];
	bool		 done[KR_CER_SIGNERS_MAX] = { false }, first = true;
	size_t		 i;

	if (kr_hash(KR_HASH_SHA256, v->txt, v->txt_len, txt_sha) != KR_OK ||
	    kr_hash(KR_HASH_SHA256, v->json, strlen(v->json), json_sha) !=
	    KR_OK) {
		(void)vr_fail(v, "cannot hash the transcript's files");
		return;
	}
	if (!kr_js_str(kr_js_member(v->sigs, "ceremony"), id, sizeof(id)) ||
	    strcmp(id, v->id) != 0)
		(void)vr_fail(v, "signatures.json is not of ceremony %s", v->id);
	if (!kr_js_hex(kr_js_member(v->sigs, "report_txt_sha256"), want, 32) ||
	    memcmp(want, txt_sha, 32) != 0)
		(void)vr_fail(v, "report.txt is not the file that was signed: "
		    "its SHA-256 differs from the one in signatures.json");
	if (!kr_js_hex(kr_js_member(v->sigs, "report_json_sha256"), want,
	    32) || memcmp(want, json_sha, 32) != 0)
		(void)vr_fail(v, "report.json is not the file that was signed: "
		    "its SHA-256 differs from the one in signatures.json");
	while (e != NULL && kr_js_next(&e, first) != NULL) {
		first = false;
		if (v->res->nsigners == KR_CER_SIGNERS_MAX)
			break;
		(void)vr_sig(v, e, txt_sha, json_sha, done);
	}
	for (i = 0; i < v->ap.n; i++)
		if (!done[i])
			(void)vr_fail(v, "custodian '%s' approved a step but "
			    "did not sign the transcript", v->ap.a[i].name);
}

static int
vr_run(struct vr *v, const char *dir, struct kr_err *err)
{
	char	fmt[64];
	int	ret;

	if ((ret = vr_read(v, dir, "report.txt", VR_TEXT_MAX, false, &v->txt,
	    &v->txt_len, err)) != KR_OK ||
	    (ret = vr_read(v, dir, "report.json", VR_TEXT_MAX, true, &v->json,
	    NULL, err)) != KR_OK ||
	    (ret = vr_read(v, dir, "signatures.json", VR_SIGS_MAX, true,
	    &v->sigs, NULL, err)) != KR_OK)
		return ret;
	if (!kr_js_str(kr_js_member(v->json, "format"), fmt, sizeof(fmt)) ||
	    strcmp(fmt, KR_CER_TRANSCRIPT) != 0 ||
	    !kr_js_str(kr_js_member(v->json, "ceremony"), v->id,
	    sizeof(v->id)) || !kr_js_str(kr_js_member(v->json, "appliance"),
	    v->appliance, sizeof(v->appliance)))
		return kr_err_set(err, KR_EVERIFY, "report.json is not a "
		    "keyrite transcript of format %s", KR_CER_TRANSCRIPT);
	(void)snprintf(v->res->id, sizeof(v->res->id), "%s", v->id);
	if (vr_chain(v) == 0)
		vr_sigs(v);
	if (v->res->nfailed > 0)
		return kr_err_set(err, KR_EVERIFY, "the transcript of ceremony "
		    "%s does not verify: %s", v->id, v->res->failed[0]);
	return KR_OK;
}

int
kr_cer_report_verify(const char *dir, struct kr_cer_report_result *res,
    struct kr_err *err)
{
	struct vr	*v;
	int		 ret;

	memset(res, 0, sizeof(*res));
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	v->res = res;
	ret = vr_run(v, dir, err);
	free(v->txt);
	free(v->json);
	free(v->sigs);
	free(v);
	return ret;
}
