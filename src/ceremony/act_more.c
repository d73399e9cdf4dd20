/*
 * Running the actions of several commits (an OTA batch; every due CRL is
 * act_crl.c) and the ceremony's own steps (checkpoint, expect).  A step of
 * several commits that was interrupted goes on from what its rows say was
 * done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceremony_int.h"

/* Whether a row of this step already signed this output. */
struct kr_cer_signed {
	const char	*id;
	const char	*step;
	char		 want[4200];
	bool		 found;
};

static int
kr_cer_signed_row(const struct kr_audit_rec *r, void *arg)
{
	struct kr_cer_signed	*s = arg;
	char			 tag[128];

	(void)snprintf(tag, sizeof(tag), "\"ceremony\":\"%s\","
	    "\"ceremony_step\":\"%s\"", s->id, s->step);
	if (strcmp(r->event, "sign.batch") == 0 && strstr(r->payload, tag) !=
	    NULL && strstr(r->payload, s->want) != NULL)
		s->found = true;
	return 0;
}

static int
kr_cer_batch_skip(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_manifest *m, struct kr_err *err)
{
	struct kr_cer_signed	 s;
	struct kr_json		 j;
	size_t			 i, k = 0;
	int			 ret = KR_OK;

	if (c->rec == NULL || c->rec->rows == 0)
		return KR_OK;
	for (i = 0; ret == KR_OK && i < m->nitems; i++) {
		memset(&s, 0, sizeof(s));
		s.id = c->id;
		s.step = st->id;
		kr_json_begin(&j);
		kr_json_str(&j, "output", m->items[i].out_path);
		(void)snprintf(s.want, sizeof(s.want), "%s",
		    kr_json_end(&j) != NULL ? (const char *)j.b.p + 1 : "-");
		s.want[strlen(s.want) > 0 ? strlen(s.want) - 1 : 0] = '\0';
		kr_json_free(&j);
		ret = kr_store_audit_foreach(kr_appliance_store(c->app),
		    c->rec->first_seq, kr_cer_signed_row, &s, err);
		if (s.found) {
			kr_cer_print(c, "  %s was signed before the "
			    "interruption: not signed again", m->items[i].out_path);
			continue;
		}
		m->items[k++] = m->items[i];
	}
	m->nitems = k;
	return ret;
}

int
kr_cer_run_batch(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_manifest	m;
	struct kr_sign_req	req;
	struct kr_sign_result	res;
	struct kr_cer_q		q;
	size_t			i;
	int			ret;

	memset(&res, 0, sizeof(res));
	if ((ret = kr_manifest_load(kr_cer_arg(st, "manifest"),
	    kr_cer_arg(st, "out_dir"), &m, err)) != KR_OK)
		return ret;
	if ((ret = kr_cer_batch_skip(c, st, &m, err)) != KR_OK ||
	    m.nitems == 0 ||
	    (ret = kr_cer_shares(st, m.key, &q.files, q.owned, &q.n, err)) !=
	    KR_OK)
		goto out;
	kr_manifest_sign_req(&m, kr_cer_arg(st, "manifest"), &req);
	req.shares = q.files;
	req.nshares = q.n;
	req.actor = c->io->actor;
	req.progress = c->io->progress;
	req.progress_arg = c->io->ctx;
	if ((res.items = calloc(m.nitems, sizeof(*res.items))) == NULL)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	else
		ret = kr_authority_sign(c->app, &req, c->io->src, &res, err);
	kr_cer_shares_free(q.owned, q.n);
	for (i = 0; res.items != NULL && i < res.done; i++) {
		kr_cer_print(c, "  %s: %s %s, written to %s", res.items[i].image,
		    res.items[i].digest_alg, res.items[i].digest,
		    res.items[i].output);
		kr_cer_output(c, res.items[i].output);
	}
	kr_json_int(&c->sum, "images", (int64_t)res.done);
	free(res.items);
	kr_sign_result_free(&res);
out:
	kr_manifest_free(&m);
	return ret;
}

/*
 * Public artifacts onto the removable medium: this ceremony's (by
 * default), a key's, or everything recorded.  Its row carries the
 * ceremony's id, so the transcript lists the export and its manifest.
 */
int
kr_cer_run_export(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	struct kr_export_req	 req;
	struct kr_export_result	 res;
	char			 path[KR_CER_VALUE_MAX + 32];
	char			 dir[KR_CER_VALUE_MAX + 32];
	unsigned		 n;
	int			 ret;

	/*
	 * Into a folder of the ceremony's own on the medium.  An attempt cut
	 * before its row left one that holds nothing recorded: the next
	 * attempt takes the next name (ID-2, ...) and says so.
	 */
	(void)snprintf(dir, sizeof(dir), "%s/%s", kr_cer_arg(st, "to"), c->id);
	for (n = 2; kr_path_exists(dir) && n < 100; n++)
		(void)snprintf(dir, sizeof(dir), "%s/%s-%u",
		    kr_cer_arg(st, "to"), c->id, n);
	if (n > 2)
		kr_cer_print(c, "  an earlier attempt of this step was cut "
		    "before it was recorded: its folder is not the export; "
		    "this one is %s", dir);
	if ((ret = kr_mkdir_private(dir, err)) != KR_OK)
		return ret;
	memset(&req, 0, sizeof(req));
	req.dir = dir;
	req.all = kr_cer_bool(st, "all");
	req.key = kr_cer_arg(st, "key");
	if (!req.all && req.key == NULL)
		req.ceremony = c->id;
	req.actor = c->io->actor;
	if ((ret = kr_authority_export(c->app, &req, &res, err)) != KR_OK)
		return ret;
	/* "safe to remove" only once the ceremony's end is recorded. */
	kr_cer_print(c, "%zu files exported to %s (MANIFEST.json SHA-256 %s)",
	    res.files, req.dir, res.manifest_sha256);
	(void)snprintf(path, sizeof(path), "%s/MANIFEST.json", req.dir);
	kr_cer_output(c, path);
	kr_json_int(&c->sum, "files", (int64_t)res.files);
	kr_json_str(&c->sum, "manifest_sha256", res.manifest_sha256);
	return KR_OK;
}

int
kr_cer_run_checkpoint(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	const char	*obs = kr_cer_arg(st, "observation");
	struct kr_json	 j;
	int		 ret;

	if (c->io->witness == NULL)
		return kr_err_set(err, KR_EUSAGE, "this front end cannot ask "
		    "the witness");
	if ((ret = c->io->witness(c->io->ctx, c->s->witness, obs, err)) !=
	    KR_OK)
		return ret;
	kr_json_begin(&j);
	kr_json_str(&j, "observation", obs);
	kr_json_str(&j, "witness", c->s->witness);
	kr_json_str(&j, "confirmed", "yes");
	ret = kr_authority_ceremony_record(c->app, c->id, st->id,
	    "ceremony.checkpoint", kr_json_end(&j), c->s->witness, NULL, err);
	kr_json_free(&j);
	if (ret == KR_OK)
		kr_cer_print(c, "%s confirmed: %s", c->s->witness, obs);
	return ret;
}

/* Fingerprints and hashes compared as hex, ':' and case ignored. */
static void
kr_cer_hex_norm(const char *in, char *out, size_t cap)
{
	size_t	n = 0;

	for (; *in != '\0' && n + 1 < cap; in++)
		if (*in != ':' && *in != ' ')
			out[n++] = (char)(*in >= 'A' && *in <= 'F' ?
			    *in - 'A' + 'a' : *in);
	out[n] = '\0';
}

static int
kr_cer_expect_found(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    char *found, size_t cap, const char **what, struct kr_err *err)
{
	struct kr_key_rec	k;
	uint8_t			 d[32];
	int			 ret;

	if ((*what = kr_cer_arg(st, "key")) != NULL) {
		if ((ret = kr_store_key_get(kr_appliance_store(c->app), *what,
		    &k, err)) != KR_OK)
			return ret;
		kr_spki_fingerprint(k.spki, k.spki_len, found);
		return KR_OK;
	}
	*what = kr_cer_arg(st, "file");
	if (cap < 65)
		return kr_err_set(err, KR_EINTERNAL, "no room for a SHA-256");
	if ((ret = kr_hash_file(*what, KR_HASH_SHA256, d, NULL, err)) != KR_OK)
		return ret;
	kr_hex_encode(found, d, sizeof(d));
	return KR_OK;
}

/* The comparison alone (the rehearsal makes it too, for what is there). */
int
kr_cer_run_expect_compare(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	const char	*want = kr_cer_arg(st, kr_cer_arg(st, "key") != NULL ?
			    "fingerprint" : "sha256"), *what;
	char		 found[KR_FINGERPRINT_STR_BYTES + 64], a[160], b[160];
	int		 ret;

	if ((ret = kr_cer_expect_found(c, st, found, sizeof(found), &what,
	    err)) != KR_OK)
		return ret;
	kr_cer_hex_norm(want, a, sizeof(a));
	kr_cer_hex_norm(found, b, sizeof(b));
	if (strcmp(a, b) != 0)
		return kr_err_set(err, KR_EVERIFY, "%s is %s, not the %s this "
		    "ceremony expects (%s): stop, and find out why before going "
		    "on", what, found, kr_cer_arg(st, "key") != NULL ?
		    "fingerprint" : "SHA-256", want);
	kr_cer_print(c, "  %s matches: %s", what, found);
	return KR_OK;
}

int
kr_cer_run_expect(struct kr_cer_ctx *c, const struct kr_cer_step *st,
    struct kr_err *err)
{
	const char	*key = kr_cer_arg(st, "key");
	struct kr_json	 j;
	int		 ret;

	if ((ret = kr_cer_run_expect_compare(c, st, err)) != KR_OK)
		return ret;
	kr_json_begin(&j);
	kr_json_str(&j, key != NULL ? "key" : "file", key != NULL ? key :
	    kr_cer_arg(st, "file"));
	kr_json_str(&j, "expected", kr_cer_arg(st, key != NULL ?
	    "fingerprint" : "sha256"));
	ret = kr_authority_ceremony_record(c->app, c->id, st->id,
	    "ceremony.expect", kr_json_end(&j), c->io->actor, NULL, err);
	kr_json_free(&j);
	return ret;
}
