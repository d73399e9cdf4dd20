/*
 * keyrite export --to DIR: recorded artifacts copied to removable media
 * (docs/media.md).  What is recorded is found through the audit chain:
 * every row binds the records it made ("bind": "certificates:3",
 * "crls:KEYID:N", "keys:KEYID", "signatures:ID"), so the selectors work
 * on rows (--ceremony: the rows a ceremony's steps made; --since: their
 * time) and on the records (--key: what the key issued or signed, its
 * certificates and its public key).  Every file is read from the records,
 * checked against the SHA-256 the record and its audit row hold, and
 * written through media/'s export folder; the export is one audit row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority_int.h"

enum kr_exp_table {
	KR_EXP_CERT, KR_EXP_CRL, KR_EXP_KEY, KR_EXP_SIG, KR_EXP_OCSP,
	KR_EXP_CUST, KR_EXP_NBOUND,
	/* Releases whose files the state folder keeps (released.c). */
	KR_EXP_REPORT = KR_EXP_NBOUND, KR_EXP_BUNDLE
};

static const struct {
	const char	*table;
	const char	*hash_member;	/* in the row that made it */
} kr_exp_tables[] = {
	[KR_EXP_CERT] = { "certificates", "cert_sha256" },
	[KR_EXP_CRL] = { "crls", "crl_sha256" },
	[KR_EXP_KEY] = { "keys", "spki_sha256" },
	[KR_EXP_SIG] = { "signatures", "kept_sha256" },
	/* The row binds the response's DER whole (kr_store_ocsp_get). */
	[KR_EXP_OCSP] = { "ocsp_responses", "" },
	/* A share file's SHA-256 is a bound column of its custodian's row. */
	[KR_EXP_CUST] = { "custodians", "" },
};
#define KR_EXP_NTABLES	(sizeof(kr_exp_tables) / sizeof(kr_exp_tables[0]))

/* A record some audit row made, the first row that bound it. */
struct kr_exp_ref {
	enum kr_exp_table	 table;
	char			 id[80];	/* after "table:" */
	int64_t			 seq;
	bool			 selected;	/* by --ceremony and --since */
	char			 row_sha256[65];	/* "" when the row has none */
	char			*kept;		/* a release's "kept" list */
};

struct kr_exp {
	struct kr_appliance		*app;
	const struct kr_export_req	*req;
	struct kr_export_result		*res;
	struct kr_media_export		*x;
	struct kr_key_rec		 key;		/* --key */
	char				 key_spki_sha256[65];
	struct kr_exp_ref		*refs;
	size_t				 n, cap;
	int64_t				 pinset_done;	/* last pin set added */
	bool				 pub;	/* a selector of records */
	struct kr_err			*err;
};

static bool
kr_exp_seen(const struct kr_exp *e, enum kr_exp_table t, const char *id)
{
	size_t	i;

	for (i = e->n; i-- > 0; )
		if (e->refs[i].table == t && strcmp(e->refs[i].id, id) == 0)
			return true;
	return false;
}

static struct kr_exp_ref *
kr_exp_ref_new(struct kr_exp *e, enum kr_exp_table t)
{
	struct kr_exp_ref	*ref;
	size_t			 n;

	if (e->n == e->cap) {
		n = e->cap != 0 ? 2 * e->cap : 64;
		if ((ref = reallocarray(e->refs, n, sizeof(*ref))) == NULL)
			return NULL;
		e->refs = ref;
		e->cap = n;
	}
	ref = &e->refs[e->n++];
	memset(ref, 0, sizeof(*ref));
	ref->table = t;
	return ref;
}

/*
 * A transcript ("ceremony.report", chosen by the ceremony it is of) or
 * an audit bundle ("audit.export") whose files the state folder keeps;
 * not a key's artifact, so never chosen by --key.
 */
static int
kr_exp_release(struct kr_exp *e, const struct kr_audit_rec *r, bool sel_time,
    bool sel)
{
	struct kr_exp_ref	*ref;
	const char		*k = kr_released_kept(r), *end;
	char			 of[KR_CEREMONY_ID_BYTES + 1] = "";
	bool			 report = strcmp(r->event, "ceremony.report") == 0;

	if (k == NULL || (end = kr_js_skip(k, 1)) == NULL)
		return 0;
	if (report && !kr_js_str(kr_js_member(r->payload, "report_of"), of,
	    sizeof(of)))
		return 0;
	if ((ref = kr_exp_ref_new(e, report ? KR_EXP_REPORT : KR_EXP_BUNDLE)) ==
	    NULL || (ref->kept = strndup(k, (size_t)(end - k))) == NULL)
		return KR_ENOMEM;
	(void)snprintf(ref->id, sizeof(ref->id), "%s", of);
	ref->seq = r->seq;
	ref->selected = e->req->key == NULL && (report ? sel_time &&
	    (e->req->ceremony == NULL || strcmp(of, e->req->ceremony) == 0) :
	    sel);
	return 0;
}

/* One member "table:id" of a row's "bind": a reference, if new. */
static int
kr_exp_bound(struct kr_exp *e, const struct kr_audit_rec *r, const char *key,
    bool selected)
{
	struct kr_exp_ref	*ref;
	size_t			 t, n;

	for (t = 0; t < KR_EXP_NTABLES; t++) {
		n = strlen(kr_exp_tables[t].table);
		if (strncmp(key, kr_exp_tables[t].table, n) == 0 &&
		    key[n] == ':' && strlen(key + n + 1) < sizeof(ref->id))
			break;
	}
	if (t == KR_EXP_NTABLES ||
	    kr_exp_seen(e, (enum kr_exp_table)t, key + n + 1))
		return 0;
	if ((ref = kr_exp_ref_new(e, (enum kr_exp_table)t)) == NULL)
		return KR_ENOMEM;
	(void)snprintf(ref->id, sizeof(ref->id), "%s", key + strlen(
	    kr_exp_tables[t].table) + 1);
	ref->seq = r->seq;
	ref->selected = selected;
	if (kr_exp_tables[t].hash_member[0] != '\0')
		(void)kr_js_str(kr_js_member(r->payload,
		    kr_exp_tables[t].hash_member), ref->row_sha256,
		    sizeof(ref->row_sha256));
	return 0;
}

static int
kr_exp_row(const struct kr_audit_rec *r, void *arg)
{
	struct kr_exp	*e = arg;
	const char	*p = kr_js_member(r->payload, "bind");
	char		 key[160], cer[64];
	bool		 sel = e->pub, sel_time;
	int		 ret;

	if (e->req->since > 0 && r->time < e->req->since)
		sel = false;
	sel_time = sel;
	if (e->req->ceremony != NULL && (!kr_js_str(kr_js_member(r->payload,
	    "ceremony"), cer, sizeof(cer)) || strcmp(cer, e->req->ceremony) !=
	    0))
		sel = false;
	/* Pin sets (rotate.c) are held by their rows, not by a table. */
	if (sel && (ret = kr_pinset_export(e->x, r, e->req->key != NULL ?
	    e->key_spki_sha256 : NULL, &e->pinset_done, &e->res->files,
	    e->err)) != KR_OK)
		return ret;
	if ((ret = kr_exp_release(e, r, sel_time, sel)) != 0)
		return ret;
	if (p == NULL || *p++ != '{')
		return 0;
	while (*p == '"') {
		if (!kr_js_str(p, key, sizeof(key)))
			key[0] = '\0';
		if ((p = kr_js_skip(p, 1)) == NULL || *p != ':' ||
		    (p = kr_js_skip(p + 1, 1)) == NULL)
			return 0;
		if (key[0] != '\0' && (ret = kr_exp_bound(e, r, key, sel)) != 0)
			return ret;
		if (*p != ',')
			break;
		p++;
	}
	return 0;
}

/* The bytes' SHA-256 against the record's and the audit row's. */
static int
kr_exp_hash_check(const struct kr_exp_ref *ref, const void *data,
    size_t len, const char *rec_sha256, const char *what,
    struct kr_err *err)
{
	uint8_t	dig[32];
	char	hex[65];
	int	ret;

	if ((ret = kr_hash(KR_HASH_SHA256, data, len, dig)) != KR_OK)
		return kr_err_set(err, ret, "cannot hash %s", what);
	kr_hex_encode(hex, dig, sizeof(dig));
	if ((rec_sha256 != NULL && strcmp(hex, rec_sha256) != 0) ||
	    (ref->row_sha256[0] != '\0' && strcmp(hex, ref->row_sha256) != 0))
		return kr_err_set(err, KR_EVERIFY, "%s does not have the SHA-256 "
		    "recorded for it (audit row %lld): the records were altered; "
		    "nothing was exported. `keyrite audit verify` names the "
		    "rows", what, (long long)ref->seq);
	return KR_OK;
}

/* Adds one file, its record as JSON members (table, then the given). */
static int
kr_exp_add(struct kr_exp *e, const struct kr_exp_ref *ref,
    enum kr_artifact type, const char *name, const void *data, size_t len,
    struct kr_json *rec, struct kr_err *err)
{
	const char	*t;
	int		 ret;

	kr_json_int(rec, "audit_seq", ref->seq);
	if ((t = kr_json_end(rec)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_media_export_add(e->x, type, name, data, len, t, err);
	if (ret == KR_OK)
		e->res->files++;
	return ret;
}

static bool
kr_exp_key_match(const struct kr_exp *e, const uint8_t *id)
{
	return e->req->key == NULL || memcmp(id, e->key.id,
	    sizeof(e->key.id)) == 0;
}

static int
kr_exp_cert_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_exp		*e = arg;
	const struct kr_exp_ref	*ref = NULL;
	struct kr_json		 j;
	char			 id[24], name[80], what[96], *pem;
	size_t			 i;
	int			 ret;

	(void)snprintf(id, sizeof(id), "%lld", (long long)c->id);
	for (i = 0; i < e->n && ref == NULL; i++)
		if (e->refs[i].table == KR_EXP_CERT &&
		    strcmp(e->refs[i].id, id) == 0 && e->refs[i].selected)
			ref = &e->refs[i];
	if (ref == NULL || (e->req->key != NULL &&
	    !kr_exp_key_match(e, c->issuer_key_id) &&
	    strcmp(c->spki_sha256, e->key_spki_sha256) != 0))
		return 0;
	(void)snprintf(what, sizeof(what), "certificate %s", c->serial);
	if ((ret = kr_exp_hash_check(ref, c->der, c->der_len, c->sha256, what,
	    e->err)) != KR_OK)
		return ret;
	if ((pem = kr_pem_encode("CERTIFICATE", c->der, c->der_len)) == NULL)
		return kr_err_set(e->err, KR_ENOMEM, "out of memory");
	(void)snprintf(name, sizeof(name), "cert-%s.pem", c->serial);
	kr_json_begin(&j);
	kr_json_str(&j, "table", "certificates");
	kr_json_int(&j, "id", c->id);
	kr_json_str(&j, "serial", c->serial);
	ret = kr_exp_add(e, ref, KR_ART_CERTIFICATE, name, pem, strlen(pem), &j,
	    e->err);
	kr_json_free(&j);
	free(pem);
	if (ret == KR_OK)
		e->res->certs++;
	return ret;
}

static int
kr_exp_crl(struct kr_exp *e, const struct kr_exp_ref *ref,
    struct kr_err *err)
{
	struct kr_key_rec	 k;
	struct kr_crl_rec	 c;
	struct kr_json		 j;
	uint8_t			 kid[KR_STORE_ID_BYTES], *der = NULL;
	char			 hex[2 * KR_STORE_ID_BYTES + 1], name[128];
	char			 clean[KR_STORE_NAME_MAX + 1], what[128];
	long long		 number;
	size_t			 len;
	int			 ret;

	if (sscanf(ref->id, "%32[0-9a-f]:%lld", hex, &number) != 2 ||
	    kr_hex_decode(kid, sizeof(kid), hex) != KR_OK)
		return kr_err_set(err, KR_ESTATE, "audit row %lld binds a CRL "
		    "record it does not name: crls:%s", (long long)ref->seq,
		    ref->id);
	if (!kr_exp_key_match(e, kid))
		return KR_OK;
	if ((ret = kr_store_key_by_id(e->app->store, kid, &k, err)) != KR_OK ||
	    (ret = kr_store_crl_get(e->app->store, kid, number, &c, err)) !=
	    KR_OK)
		return ret;
	if ((ret = kr_crl_copy_read(e->app, k.name, &c, &der, &len, err)) !=
	    KR_OK)
		return kr_err_prefix(err, "nothing was exported: ");
	(void)snprintf(what, sizeof(what), "CRL %lld of '%s'", number, k.name);
	kr_media_name_clean(clean, sizeof(clean), k.name);
	(void)snprintf(name, sizeof(name), "crl-%s-%lld.crl", clean, number);
	kr_json_begin(&j);
	kr_json_str(&j, "table", "crls");
	kr_json_str(&j, "issuer_key", k.name);
	kr_json_int(&j, "number", number);
	kr_json_int(&j, "delta", c.is_delta ? 1 : 0);
	if ((ret = kr_exp_hash_check(ref, der, len, NULL, what, err)) == KR_OK)
		ret = kr_exp_add(e, ref, KR_ART_CRL, name, der, len, &j, err);
	kr_json_free(&j);
	free(der);
	if (ret == KR_OK)
		e->res->crls++;
	return ret;
}

static int
kr_exp_pubkey(struct kr_exp *e, const struct kr_exp_ref *ref,
    struct kr_err *err)
{
	struct kr_key_rec	 k;
	struct kr_json		 j;
	uint8_t			 kid[KR_STORE_ID_BYTES];
	char			 name[128], clean[KR_STORE_NAME_MAX + 1];
	char			 what[128], *pem;
	int			 ret;

	if (kr_hex_decode(kid, sizeof(kid), ref->id) != KR_OK)
		return kr_err_set(err, KR_ESTATE, "audit row %lld binds a key "
		    "record it does not name: keys:%s", (long long)ref->seq,
		    ref->id);
	if (!kr_exp_key_match(e, kid))
		return KR_OK;
	if ((ret = kr_store_key_by_id(e->app->store, kid, &k, err)) != KR_OK)
		return ret;
	(void)snprintf(what, sizeof(what), "the public key of '%s'", k.name);
	if ((ret = kr_exp_hash_check(ref, k.spki, k.spki_len, NULL, what,
	    err)) != KR_OK)
		return ret;
	if ((pem = kr_pem_encode("PUBLIC KEY", k.spki, k.spki_len)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	kr_media_name_clean(clean, sizeof(clean), k.name);
	(void)snprintf(name, sizeof(name), "pubkey-%s.pem", clean);
	kr_json_begin(&j);
	kr_json_str(&j, "table", "keys");
	kr_json_str(&j, "key", k.name);
	kr_json_str(&j, "id", ref->id);
	ret = kr_exp_add(e, ref, KR_ART_PUBLIC_KEY, name, pem, strlen(pem), &j,
	    err);
	kr_json_free(&j);
	free(pem);
	if (ret == KR_OK)
		e->res->pubkeys++;
	return ret;
}

/* A detached signature: the bytes kept whole (an image's are not kept). */
static int
kr_exp_sig(struct kr_exp *e, const struct kr_exp_ref *ref,
    struct kr_err *err)
{
	struct kr_signature_rec	*r;
	struct kr_json		 j;
	uint8_t			*buf = NULL;
	char			 name[128], clean[96], what[64];
	const char		*base;
	int			 ret;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_store_signature_get(e->app->store, strtoll(ref->id, NULL,
	    10), r, err)) != KR_OK || !kr_exp_key_match(e, r->key_id) ||
	    r->out_copy_len != 0 || r->kept_sha256[0] == '\0')
		goto out;
	(void)snprintf(what, sizeof(what), "signature %lld", (long long)r->id);
	if ((buf = malloc(r->out_head_len + r->out_tail_len + 1)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if (r->out_head_len > 0)
		memcpy(buf, r->out_head, r->out_head_len);
	if (r->out_tail_len > 0)
		memcpy(buf + r->out_head_len, r->out_tail, r->out_tail_len);
	base = strrchr(r->output, '/') != NULL ? strrchr(r->output, '/') + 1 :
	    r->output;
	kr_media_name_clean(clean, sizeof(clean), base);
	(void)snprintf(name, sizeof(name), "sig-%lld-%s", (long long)r->id,
	    clean);
	kr_json_begin(&j);
	kr_json_str(&j, "table", "signatures");
	kr_json_int(&j, "id", r->id);
	kr_json_str(&j, "image", r->image_name);
	kr_json_str(&j, "format", r->format);
	if ((ret = kr_exp_hash_check(ref, buf, r->out_head_len +
	    r->out_tail_len, r->kept_sha256, what, err)) == KR_OK &&
	    (ret = kr_exp_add(e, ref, KR_ART_SIGNATURE, name, buf,
	    r->out_head_len + r->out_tail_len, &j, err)) == KR_OK)
		e->res->sigs++;
	kr_json_free(&j);
out:
	free(buf);
	kr_store_signature_clear(r);
	free(r);
	return ret;
}

/* A pre-signed OCSP response: its DER as recorded (and bound). */
static int
kr_exp_ocsp(struct kr_exp *e, const struct kr_exp_ref *ref,
    struct kr_err *err)
{
	struct kr_ocsp_rec	 o;
	struct kr_key_rec	 k;
	struct kr_json		 j;
	uint8_t			*der = NULL;
	char			 name[160], what[256];
	int			 ret;

	if ((ret = kr_store_ocsp_get(e->app->store, strtoll(ref->id, NULL, 10),
	    &o, &der, err)) != KR_OK)
		return kr_err_prefix(err, "nothing was exported: ");
	if (!kr_exp_key_match(e, o.issuer_key_id))
		goto out;
	if ((ret = kr_store_key_by_id(e->app->store, o.issuer_key_id, &k,
	    err)) != KR_OK)
		goto out;
	(void)snprintf(what, sizeof(what), "the OCSP response for %s by '%s'",
	    o.serial, k.name);
	(void)snprintf(name, sizeof(name), "ocsp-%s-%s.ocsp", o.serial,
	    ref->id);
	kr_json_begin(&j);
	kr_json_str(&j, "table", "ocsp_responses");
	kr_json_int(&j, "id", strtoll(ref->id, NULL, 10));
	kr_json_str(&j, "issuer_key", k.name);
	kr_json_str(&j, "serial", o.serial);
	kr_json_str(&j, "status", o.status);
	if ((ret = kr_exp_hash_check(ref, der, o.der_len, o.sha256, what,
	    err)) == KR_OK && (ret = kr_exp_add(e, ref, KR_ART_OCSP_RESPONSE,
	    name, der, o.der_len, &j, err)) == KR_OK)
		e->res->ocsp++;
	kr_json_free(&j);
out:
	free(der);
	return ret;
}

/*
 * The files of a transcript or bundle, each re-read from its kept copy
 * and checked against the SHA-256 its audit row lists, into a folder of
 * their own: transcript-CEREMONY-SEQ/ or audit-SEQ/, under their names.
 */
static int
kr_exp_kept(struct kr_exp *e, const struct kr_exp_ref *ref,
    struct kr_err *err)
{
	const bool	 report = ref->table == KR_EXP_REPORT;
	const char	*p = ref->kept, *it;
	struct kr_json	 j;
	uint8_t		*data = NULL;
	char		 name[64], sha[65], dir[128], path[200];
	size_t		 len;
	int		 ret = KR_OK;

	if (report)
		(void)snprintf(dir, sizeof(dir), "transcript-%s-%lld", ref->id,
		    (long long)ref->seq);
	else
		(void)snprintf(dir, sizeof(dir), "audit-%lld",
		    (long long)ref->seq);
	for (it = kr_js_next(&p, true); it != NULL && ret == KR_OK;
	    it = kr_js_next(&p, false)) {
		if (!kr_js_str(kr_js_member(it, "name"), name, sizeof(name)) ||
		    !kr_js_str(kr_js_member(it, "sha256"), sha, sizeof(sha)))
			return kr_err_set(err, KR_ESTATE, "audit row %lld lists "
			    "a kept file it does not name", (long long)ref->seq);
		if ((ret = kr_released_read(e->app, sha, ref->seq, &data, &len,
		    err)) != KR_OK)
			return kr_err_prefix(err, "nothing was exported: ");
		(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
		kr_json_begin(&j);
		kr_json_str(&j, "table", "audit");
		kr_json_str(&j, "event", report ? "ceremony.report" :
		    "audit.export");
		if (report)
			kr_json_str(&j, "ceremony", ref->id);
		kr_json_str(&j, "file", name);
		ret = kr_exp_add(e, ref, report ? KR_ART_CEREMONY_REPORT :
		    KR_ART_AUDIT_EXPORT, path, data, len, &j, err);
		kr_json_free(&j);
		free(data);
	}
	if (ret == KR_OK && report)
		e->res->transcripts++;
	else if (ret == KR_OK)
		e->res->bundles++;
	return ret;
}

/* A share that unlocks nothing (retired set, destroyed key) stays put. */
static int
kr_exp_share_live(const char *path, const struct kr_share_rec *rec,
    const struct kr_key_rec *k, struct kr_err *err)
{
	if (strcmp(k->state, "destroyed") == 0)
		return kr_err_set(err, KR_EREFUSED, "%s is a share of epoch %u "
		    "of '%s', a destroyed key: not exported; destroy it", path,
		    rec->set.epoch, k->name);
	if (strcmp(rec->set.state, "active") != 0 &&
	    strcmp(rec->set.state, "pending") != 0)
		return kr_err_set(err, KR_EREFUSED, "%s is a share of %s epoch "
		    "%u of '%s': not exported; destroy it", path,
		    rec->set.state, rec->set.epoch, k->name);
	return KR_OK;
}

/* One share file of the custodian asked for, checked by kr_shares_of. */
static int
kr_exp_share_cb(void *arg, const char *path, const uint8_t *file, size_t len,
    const struct kr_share_rec *rec, struct kr_err *err)
{
	struct kr_exp		*e = arg;
	const struct kr_exp_ref	*ref = NULL;
	struct kr_key_rec	 k;
	struct kr_json		 j;
	char			 id[80], hex[2 * KR_STORE_ID_BYTES + 1];
	char			 clean[KR_MEDIA_NAME_MAX + 1], name[300];
	const char		*base = strrchr(path, '/') + 1;
	size_t			 i;
	int			 ret;

	kr_hex_encode(hex, rec->set.id, KR_STORE_ID_BYTES);
	(void)snprintf(id, sizeof(id), "%s:%u", hex, rec->c.x);
	for (i = 0; i < e->n && ref == NULL; i++)
		if (e->refs[i].table == KR_EXP_CUST &&
		    strcmp(e->refs[i].id, id) == 0)
			ref = &e->refs[i];
	if (ref == NULL)
		return kr_err_set(err, KR_ESTATE, "%s: no audit row records "
		    "custodian '%s' of share set %s: nothing was exported; "
		    "`keyrite audit verify` names the rows", path, rec->c.name,
		    hex);
	if ((ret = kr_store_key_by_id(e->app->store, rec->set.key_id, &k,
	    err)) != KR_OK)
		return ret;
	if ((ret = kr_exp_share_live(path, rec, &k, err)) != KR_OK)
		return ret;
	kr_media_name_clean(clean, sizeof(clean), rec->c.name);
	(void)snprintf(name, sizeof(name), "shares-%s/", clean);
	kr_media_name_clean(name + strlen(name), sizeof(name) - strlen(name),
	    base);
	kr_json_begin(&j);
	kr_json_str(&j, "table", "custodians");
	kr_json_str(&j, "share_set", hex);
	kr_json_int(&j, "x", rec->c.x);
	kr_json_str(&j, "custodian", rec->c.name);
	kr_json_str(&j, "key", k.name);
	kr_json_int(&j, "epoch", rec->set.epoch);
	if ((ret = kr_exp_add(e, ref, KR_ART_SHARE_FILE, name, file, len, &j,
	    err)) == KR_OK)
		e->res->shares++;
	kr_json_free(&j);
	return ret;
}

/* Every selected record, public keys first, then CRLs and signatures. */
static int
kr_exp_collect(struct kr_exp *e, struct kr_err *err)
{
	size_t	i;
	int	ret;

	ret = kr_store_audit_foreach(e->app->store, 1, kr_exp_row, e, err);
	if (ret == KR_ENOMEM)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	for (i = 0; ret == KR_OK && i < e->n; i++)
		if (e->refs[i].selected && e->refs[i].table == KR_EXP_KEY)
			ret = kr_exp_pubkey(e, &e->refs[i], err);
	if (ret == KR_OK)
		ret = kr_store_cert_foreach(e->app->store, kr_exp_cert_cb, e,
		    err);
	for (i = 0; ret == KR_OK && i < e->n; i++) {
		if (!e->refs[i].selected)
			continue;
		if (e->refs[i].table == KR_EXP_CRL)
			ret = kr_exp_crl(e, &e->refs[i], err);
		else if (e->refs[i].table == KR_EXP_SIG)
			ret = kr_exp_sig(e, &e->refs[i], err);
		else if (e->refs[i].table == KR_EXP_OCSP)
			ret = kr_exp_ocsp(e, &e->refs[i], err);
		else if (e->refs[i].table >= KR_EXP_NBOUND)
			ret = kr_exp_kept(e, &e->refs[i], err);
	}
	if (ret == KR_OK && e->req->custodian != NULL)
		ret = kr_shares_of(e->app, e->req->share_dir,
		    e->req->custodian, kr_exp_share_cb, e, err);
	return ret;
}

/* The selectors, as MANIFEST.json's "about" and the audit row give them. */
static void
kr_exp_selectors(const struct kr_export_req *req, struct kr_json *j)
{
	if (req->all)
		kr_json_int(j, "all", 1);
	if (req->key != NULL)
		kr_json_str(j, "key", req->key);
	if (req->ceremony != NULL)
		kr_json_str(j, "ceremony", req->ceremony);
	if (req->since_text != NULL)
		kr_json_str(j, "since", req->since_text);
	if (req->custodian != NULL)
		kr_json_str(j, "custodian", req->custodian);
}

static int
kr_exp_seal(struct kr_exp *e, struct kr_err *err)
{
	struct kr_json	j;
	char		now[24];
	int		ret;

	kr_time_format(kr_time_now(), now);
	kr_json_begin(&j);
	kr_json_str(&j, "exported", now);
	kr_exp_selectors(e->req, &j);
	kr_json_int(&j, "count", (int64_t)e->res->files);
	ret = kr_json_end(&j) == NULL ? kr_err_set(err, KR_ENOMEM, "out of "
	    "memory") : kr_media_export_seal(e->x, kr_json_end(&j),
	    e->res->manifest_sha256, err);
	kr_json_free(&j);
	return ret;
}

static int
kr_exp_record(struct kr_exp *e, struct kr_err *err)
{
	struct kr_json	j;
	int		ret;

	kr_json_begin(&j);
	kr_json_str(&j, "target", e->req->dir);
	kr_exp_selectors(e->req, &j);
	kr_json_int(&j, "count", (int64_t)e->res->files);
	kr_json_str(&j, "manifest_sha256", e->res->manifest_sha256);
	kr_json_str(&j, "operator", e->req->actor);
	if ((ret = kr_store_begin(e->app->store, err)) == KR_OK) {
		if ((ret = kr_audit_record(e->app, e->req->actor, "export",
		    kr_json_end(&j), &e->res->audit_seq, err)) != KR_OK ||
		    (ret = kr_store_commit(e->app->store, err)) != KR_OK)
			kr_store_rollback(e->app->store);
	}
	kr_json_free(&j);
	return ret;
}

static int
kr_exp_prepare(struct kr_exp *e, struct kr_err *err)
{
	struct kr_media_plan	*plan;
	uint8_t			 dig[32];
	int			 ret;

	if (e->app->replay.damaged)
		return kr_err_set(err, KR_EVERIFY, "the records of %s do not "
		    "match its audit chain, so nothing in it can be vouched "
		    "for: nothing was exported. `keyrite audit verify` names "
		    "the rows", e->app->dir);
	if (e->req->key != NULL) {
		if ((ret = kr_store_key_get(e->app->store, e->req->key, &e->key,
		    err)) != KR_OK)
			return ret;
		if ((ret = kr_hash(KR_HASH_SHA256, e->key.spki,
		    e->key.spki_len, dig)) != KR_OK)
			return kr_err_set(err, ret, "cannot hash a public key");
		kr_hex_encode(e->key_spki_sha256, dig, sizeof(dig));
	}
	if ((plan = malloc(sizeof(*plan))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_media_plan_init(plan, e->app->dir, err)) == KR_OK)
		ret = kr_media_plan_dir(plan, e->req->dir, "the export folder",
		    err);
	free(plan);
	if (ret == KR_OK)
		ret = kr_media_export_open(&e->x, e->req->dir, err);
	return ret;
}

int
kr_authority_export(struct kr_appliance *app, const struct kr_export_req *req,
    struct kr_export_result *res, struct kr_err *err)
{
	struct kr_exp	e;
	size_t		i;
	int		ret;

	memset(res, 0, sizeof(*res));
	memset(&e, 0, sizeof(e));
	e.app = app;
	e.req = req;
	e.res = res;
	e.err = err;
	e.pub = req->all || req->key != NULL || req->ceremony != NULL ||
	    req->since_text != NULL;
	if (!e.pub && req->custodian == NULL)
		return kr_err_set(err, KR_EUSAGE, "say what to export: --all, "
		    "or --key NAME, --ceremony ID, --since YYYY-MM-DD, or "
		    "--custodian NAME --share-dir DIR");
	if ((req->custodian == NULL) != (req->share_dir == NULL))
		return kr_err_set(err, KR_EUSAGE, "--custodian NAME and "
		    "--share-dir DIR go together: the custodian's share files "
		    "are in DIR/NAME");
	if ((ret = kr_exp_prepare(&e, err)) != KR_OK)
		goto out;
	if ((ret = kr_exp_collect(&e, err)) == KR_OK && res->files == 0)
		ret = kr_err_set(err, KR_ENOENT, "no recorded artifact matches "
		    "the selectors: nothing was exported");
	if (ret == KR_OK && (ret = kr_exp_seal(&e, err)) == KR_OK &&
	    (ret = kr_media_export_place(e.x, err)) == KR_OK &&
	    (ret = kr_exp_record(&e, err)) == KR_OK)
		ret = kr_media_export_finish(e.x, err);
	else if (e.x != NULL)
		kr_media_export_undo(e.x);
out:
	kr_media_export_free(&e.x);
	for (i = 0; i < e.n; i++)
		free(e.refs[i].kept);
	free(e.refs);
	return ret;
}

int
kr_authority_export_verify(const char *dir, struct kr_media_export_report *r,
    struct kr_err *err)
{
	return kr_media_export_verify(dir, r, err);
}
