/*
 * audit export and audit verify --bundle (docs/audit-bundle.md): the
 * audit chain and every record it binds, written as a folder of JSON
 * lines with bundle.json and MANIFEST, and checked again on a machine
 * with no state folder by loading it into a database in memory and
 * running the replay the open runs (store/ledger.c) on it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

#define BUNDLE_FORMAT		"keyrite-audit-bundle"
#define BUNDLE_VERSION		1
#define BUNDLE_INFO		"bundle.json"
#define BUNDLE_MANIFEST		"MANIFEST"
#define BUNDLE_FILE_MAX		((size_t)2 << 30)

/* bundle.json: what the bundle holds and where its chain ends. */
static int
bundle_info(struct kr_bundle *bd, const char *appliance, struct kr_err *err)
{
	struct kr_bundle_file	*f;
	struct kr_json		 j;
	const char		*text;
	char			 name[64], *dot;
	struct kr_buf		 tables;
	size_t			 i;

	if (bd->nfiles >= KR_BUNDLE_FILES_MAX)
		return kr_err_set(err, KR_EINTERNAL, "too many bundle files");
	kr_buf_init(&tables, false);
	for (i = 1; i < bd->nfiles; i++) {
		(void)snprintf(name, sizeof(name), "%s", bd->files[i].name);
		if ((dot = strstr(name, ".jsonl")) != NULL)
			*dot = '\0';
		kr_json_begin(&j);
		kr_json_str(&j, "table", name);
		kr_json_str(&j, "file", bd->files[i].name);
		kr_json_int(&j, "records", bd->files[i].lines);
		kr_json_int(&j, "added", bd->files[i].added);
		kr_json_list_add(&tables, &j);
	}
	kr_json_begin(&j);
	kr_json_str(&j, "format", BUNDLE_FORMAT);
	kr_json_int(&j, "version", BUNDLE_VERSION);
	kr_json_str(&j, "appliance_id", appliance);
	kr_json_int(&j, "rows", bd->rows);
	kr_json_hex(&j, "head", bd->head, sizeof(bd->head));
	kr_json_str(&j, "audit", bd->files[0].name);
	kr_json_raw(&j, "tables", kr_json_list_end(&tables));
	f = &bd->files[bd->nfiles++];
	memset(f, 0, sizeof(*f));
	(void)snprintf(f->name, sizeof(f->name), "%s", BUNDLE_INFO);
	kr_buf_init(&f->data, false);
	if ((text = kr_json_end(&j)) != NULL) {
		kr_buf_put(&f->data, text, strlen(text));
		kr_buf_put_u8(&f->data, '\n');
	}
	kr_json_free(&j);
	kr_buf_free(&tables);
	return text == NULL ? kr_err_set(err, KR_ENOMEM, "out of memory") :
	    kr_buf_status(&f->data, err);
}

static int
bundle_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* MANIFEST: "<SHA-256 hex>  <name>\n" per file, by name (sha256sum -c). */
static int
bundle_manifest(struct kr_bundle *bd, uint8_t *digest, struct kr_err *err)
{
	const char		*names[KR_BUNDLE_FILES_MAX];
	struct kr_bundle_file	*f;
	uint8_t			 d[32];
	char			 hex[65];
	size_t			 i, j, n = bd->nfiles;

	if (n >= KR_BUNDLE_FILES_MAX)
		return kr_err_set(err, KR_EINTERNAL, "too many bundle files");
	for (i = 0; i < n; i++)
		names[i] = bd->files[i].name;
	qsort(names, n, sizeof(names[0]), bundle_name_cmp);
	f = &bd->files[bd->nfiles++];
	memset(f, 0, sizeof(*f));
	(void)snprintf(f->name, sizeof(f->name), "%s", BUNDLE_MANIFEST);
	kr_buf_init(&f->data, false);
	for (i = 0; i < n; i++) {
		for (j = 0; strcmp(bd->files[j].name, names[i]) != 0; j++)
			;
		if (kr_hash(KR_HASH_SHA256, bd->files[j].data.p,
		    bd->files[j].data.len, d) != KR_OK)
			return kr_err_set(err, KR_ECRYPTO, "cannot hash %s",
			    names[i]);
		kr_hex_encode(hex, d, sizeof(d));
		kr_buf_put_sum(&f->data, hex, names[i]);
	}
	if (kr_buf_status(&f->data, err) != KR_OK)
		return KR_ENOMEM;
	if (kr_hash(KR_HASH_SHA256, f->data.p, f->data.len, digest) != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "cannot hash the manifest");
	return KR_OK;
}

/* Every output checked (outside the state folder, new, room) first. */
static int
bundle_plan(struct kr_appliance *app, const char *out,
    const struct kr_bundle *bd, struct kr_err *err)
{
	struct kr_media_plan	plan;
	uint64_t		size = 0;
	size_t			i;
	int			ret;

	for (i = 0; i < bd->nfiles; i++)
		size += bd->files[i].data.len + 4096;
	if ((ret = kr_media_plan_init(&plan, app->dir, err)) != KR_OK)
		return ret;
	return kr_media_plan_add(&plan, KR_ART_AUDIT_EXPORT, out, size, err);
}

static int
bundle_stage(const char *out, const struct kr_bundle *bd, char **tmp,
    struct kr_err *err)
{
	size_t	i;
	int	ret;

	if ((ret = kr_media_dir_stage(out, tmp, err)) != KR_OK)
		return ret;
	for (i = 0; i < bd->nfiles; i++)
		if ((ret = kr_media_dir_put(KR_ART_AUDIT_EXPORT, *tmp,
		    bd->files[i].name, bd->files[i].data.p,
		    bd->files[i].data.len, err)) != KR_OK)
			break;
	if (ret != KR_OK) {
		kr_media_dir_unstage(*tmp);
		free(*tmp);
		*tmp = NULL;
	}
	return ret;
}

/* Every file kept in the state folder too, for `keyrite export`. */
static int
bundle_keep(struct kr_appliance *app, const struct kr_bundle *bd,
    struct kr_released *k, struct kr_err *err)
{
	size_t	i;
	int	ret = KR_OK;

	for (i = 0; i < bd->nfiles && ret == KR_OK; i++)
		ret = kr_released_stage(app, k, bd->files[i].name,
		    bd->files[i].data.p, bd->files[i].data.len, err);
	return ret;
}

static int
bundle_record(struct kr_appliance *app, const struct kr_audit_export_req *req,
    struct kr_audit_export_result *res, const struct kr_released *k,
    struct kr_err *err)
{
	struct kr_json	j;
	int		ret;

	kr_json_begin(&j);
	kr_json_str(&j, "out", req->out);
	kr_json_int(&j, "rows", res->rows);
	kr_json_hex(&j, "head", res->head, sizeof(res->head));
	kr_json_hex(&j, "manifest_sha256", res->manifest_sha256,
	    sizeof(res->manifest_sha256));
	kr_json_int(&j, "files", (int64_t)res->files);
	kr_released_json(k, &j);
	ret = kr_audit_record(app, req->actor, "audit.export", kr_json_end(&j),
	    &res->seq, err);
	kr_json_free(&j);
	return ret;
}

/* After the commit: kept copies not named are left for the next open. */
static int
bundle_unplaced(const char *tmp, struct kr_released *k, int64_t seq,
    struct kr_err *err)
{
	char	why[KR_ERR_MSG_MAX];
	int	ret = err->code;

	kr_released_forget(k);
	kr_media_dir_unstage(tmp);
	(void)snprintf(why, sizeof(why), "%s", err->msg);
	return kr_err_set(err, ret, "the bundle is recorded as audit row %lld "
	    "but its folder could not be written: %s; nothing was left on "
	    "the output: `keyrite export --all` writes it again (audit-%lld/)",
	    (long long)seq, why, (long long)seq);
}

int
kr_authority_audit_export(struct kr_appliance *app,
    const struct kr_audit_export_req *req, struct kr_audit_export_result *res,
    struct kr_err *err)
{
	struct kr_bundle	 bd;
	struct kr_released	 k;
	char			 appliance[64], *tmp = NULL;
	int			 ret;

	memset(res, 0, sizeof(*res));
	memset(&k, 0, sizeof(k));
	if ((ret = kr_store_meta_get(app->store, "appliance_id", appliance,
	    sizeof(appliance), err)) != KR_OK)
		return ret;
	if ((ret = kr_store_bundle_export(app->store, &bd, err)) != KR_OK)
		return ret;
	res->rows = bd.rows;
	memcpy(res->head, bd.head, sizeof(res->head));
	if ((ret = bundle_info(&bd, appliance, err)) != KR_OK ||
	    (ret = bundle_manifest(&bd, res->manifest_sha256, err)) != KR_OK ||
	    (ret = bundle_plan(app, req->out, &bd, err)) != KR_OK ||
	    (ret = bundle_stage(req->out, &bd, &tmp, err)) != KR_OK)
		goto out;
	res->files = bd.nfiles;
	/* Record, then release: the row is not in the bundle it names. */
	if ((ret = bundle_keep(app, &bd, &k, err)) != KR_OK ||
	    (ret = bundle_record(app, req, res, &k, err)) != KR_OK) {
		kr_media_dir_unstage(tmp);
		goto out;
	}
	if ((ret = kr_released_place(app, &k, err)) != KR_OK ||
	    (ret = kr_media_dir_place(tmp, req->out, err)) != KR_OK)
		ret = bundle_unplaced(tmp, &k, res->seq, err);
out:
	kr_released_clear(&k);
	free(tmp);
	kr_bundle_free(&bd);
	return ret;
}

/* Checking a bundle, with no state folder */

static void
bundle_problem(struct kr_bundle_check *c, const char *fmt, ...)
    KR_PRINTF(2, 3);

static void
bundle_problem(struct kr_bundle_check *c, const char *fmt, ...)
{
	char	raw[sizeof(c->problem[0])];
	va_list	ap;

	c->problems++;
	if (c->shown >= KR_BUNDLE_SHOWN)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	(void)kr_text_escape_str(c->problem[c->shown++],
	    sizeof(c->problem[0]), raw, 0);
}

static void
bundle_changed(struct kr_bundle_check *c, const char *name)
{
	if (c->nchanged < sizeof(c->changed) / sizeof(c->changed[0]))
		(void)snprintf(c->changed[c->nchanged++], sizeof(c->changed[0]),
		    "%s", name);
}

/* After what the chain and records say: the files MANIFEST refuses. */
static void
bundle_changed_note(struct kr_bundle_check *c)
{
	size_t	i;

	for (i = 0; i < c->nchanged; i++)
		bundle_problem(c, "the file %s is missing or does not have the "
		    "SHA-256 MANIFEST gives it: it was changed", c->changed[i]);
}

/* One MANIFEST line: 64 hex digits, two spaces, a plain name. */
static bool
bundle_manifest_line(const char *p, const char *nl, uint8_t *d, char *name,
    size_t cap)
{
	char	hex[65];
	size_t	n;

	if (nl - p < 67 || p[64] != ' ' || p[65] != ' ')
		return false;
	memcpy(hex, p, 64);
	hex[64] = '\0';
	if (strspn(hex, "0123456789abcdef") != 64 ||
	    kr_hex_decode(d, 32, hex) != KR_OK)
		return false;
	n = (size_t)(nl - p - 66);
	if (n >= cap)
		return false;
	memcpy(name, p + 66, n);
	name[n] = '\0';
	return strchr(name, '/') == NULL && name[0] != '.' &&
	    strlen(name) == n;
}

static int
bundle_read_file(const char *dir, const char *name, struct kr_buf *b,
    struct kr_err *err)
{
	char	*path;
	uint8_t	*p;
	size_t	 n;
	int	 ret;

	if ((path = kr_path_join(dir, name)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_file_read(path, BUNDLE_FILE_MAX, false, &p, &n, err);
	free(path);
	if (ret != KR_OK)
		return ret;
	kr_buf_init(b, false);
	kr_buf_put(b, p, n);
	free(p);
	return kr_buf_status(b, err);
}

/* Reads MANIFEST and every file it lists, checking their SHA-256. */
static int
bundle_read(const char *dir, struct kr_bundle *bd, struct kr_bundle_check *c,
    struct kr_err *err)
{
	struct kr_buf	 man;
	uint8_t		 want[32], got[32];
	const char	*p, *end, *nl;
	char		 name[64];
	int		 ret;

	if ((ret = bundle_read_file(dir, BUNDLE_MANIFEST, &man, err)) != KR_OK)
		return ret;
	if (kr_hash(KR_HASH_SHA256, man.p, man.len, c->manifest_sha256) !=
	    KR_OK) {
		kr_buf_free(&man);
		return kr_err_set(err, KR_ECRYPTO, "cannot hash the manifest");
	}
	p = (const char *)man.p;
	end = p + man.len;
	for (ret = KR_OK; ret == KR_OK && p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    !bundle_manifest_line(p, nl, want, name, sizeof(name))) {
			ret = kr_err_set(err, KR_EVERIFY, "%s/%s is not a "
			    "bundle's manifest: a line is not \"SHA256  NAME\"",
			    dir, BUNDLE_MANIFEST);
			break;
		}
		if (bd->nfiles == KR_BUNDLE_FILES_MAX) {
			ret = kr_err_set(err, KR_EVERIFY, "%s/%s lists more "
			    "files than a bundle has", dir, BUNDLE_MANIFEST);
			break;
		}
		(void)snprintf(bd->files[bd->nfiles].name, 64, "%s", name);
		if ((ret = bundle_read_file(dir, name,
		    &bd->files[bd->nfiles].data, err)) == KR_ENOENT) {
			ret = KR_OK;	/* named below, with the changed */
			bundle_changed(c, name);
			continue;
		}
		if (ret != KR_OK)
			break;
		if (kr_hash(KR_HASH_SHA256, bd->files[bd->nfiles].data.p,
		    bd->files[bd->nfiles].data.len, got) != KR_OK)
			memset(got, 0, sizeof(got));
		bd->nfiles++;
		if (memcmp(want, got, 32) != 0)
			bundle_changed(c, name);
	}
	kr_buf_free(&man);
	return ret;
}

/* bundle.json: a bundle of this version; the rows and head it says. */
static int
bundle_said(const char *dir, const struct kr_bundle *bd, int64_t *rows,
    uint8_t *head, struct kr_err *err)
{
	const struct kr_bundle_file	*f = NULL;
	struct kr_buf			 text;
	const char			*j;
	char				 format[32];
	int64_t				 version = 0;
	size_t				 i;
	bool				 ok;

	for (i = 0; i < bd->nfiles; i++)
		if (strcmp(bd->files[i].name, BUNDLE_INFO) == 0)
			f = &bd->files[i];
	if (f == NULL)
		return kr_err_set(err, KR_EVERIFY, "%s: MANIFEST does not list "
		    "%s: this is not a whole audit bundle", dir, BUNDLE_INFO);
	kr_buf_init(&text, false);
	kr_buf_put(&text, f->data.p, f->data.len);
	kr_buf_put_u8(&text, '\0');
	j = text.failed ? NULL : (const char *)text.p;
	ok = j != NULL && kr_js_str(kr_js_member(j, "format"), format,
	    sizeof(format)) && strcmp(format, BUNDLE_FORMAT) == 0 &&
	    kr_js_int(kr_js_member(j, "version"), &version) &&
	    version == BUNDLE_VERSION &&
	    kr_js_int(kr_js_member(j, "rows"), rows) &&
	    kr_js_hex(kr_js_member(j, "head"), head, 32);
	kr_buf_free(&text);
	if (!ok)
		return kr_err_set(err, KR_EVERIFY, "%s/%s is not the "
		    "description of a keyrite audit bundle of version %d",
		    dir, BUNDLE_INFO, BUNDLE_VERSION);
	return KR_OK;
}

/* The replay of the open, on the bundle's records. */
static int
bundle_replay(struct kr_store *st, struct kr_bundle_check *c,
    struct kr_err *err)
{
	struct kr_replay_report	*rp;
	size_t			 i;
	int			 ret;

	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_store_replay(st, rp, true, err)) == KR_OK) {
		c->rows = rp->chain.rows;
		memcpy(c->head, rp->chain.head, sizeof(c->head));
		c->records = rp->records;
		if (rp->chain.first_bad != 0)
			bundle_problem(c, "%s", rp->chain.reason);
		for (i = 0; i < rp->shown; i++)
			bundle_problem(c, "record problem: %s", rp->problem[i]);
		c->problems += rp->problems - (int64_t)rp->shown;
	}
	free(rp);
	return ret;
}

/* What needs the authority's view: keys' rows, approval signatures. */
static void
bundle_authority(struct kr_store *st, struct kr_bundle_check *c)
{
	struct kr_appliance	*app;
	struct kr_audit_report	 rep;
	struct kr_err		 e;

	if ((app = calloc(1, sizeof(*app))) == NULL) {
		bundle_problem(c, "out of memory checking the approvals");
		return;
	}
	app->store = st;
	app->lock_fd = -1;
	memset(&rep, 0, sizeof(rep));
	rep.rows = c->rows;
	kr_err_clear(&e);
	if (kr_audit_check_keys(app, &rep, &e) != KR_OK)
		bundle_problem(c, "%s", e.msg);
	kr_err_clear(&e);
	if (kr_approvals_verify_chain(app, &c->approvals, &e) != KR_OK &&
	    c->approvals.bad_rows == 0)
		bundle_problem(c, "the approvals could not be checked: %s",
		    e.msg);
	c->problems += c->approvals.bad_rows;
	free(app);
}

int
kr_authority_audit_bundle_verify(const char *dir, struct kr_bundle_check *c,
    struct kr_err *err)
{
	struct kr_bundle	 bd;
	struct kr_store		*st = NULL;
	uint8_t			 said_head[32];
	char			 label[600];
	int64_t			 said_rows = 0;
	int			 ret;

	memset(c, 0, sizeof(*c));
	memset(&bd, 0, sizeof(bd));
	(void)snprintf(label, sizeof(label), "the audit bundle %s", dir);
	if ((ret = bundle_read(dir, &bd, c, err)) != KR_OK ||
	    (ret = bundle_said(dir, &bd, &said_rows, said_head, err)) !=
	    KR_OK ||
	    (ret = kr_store_bundle_load(&st, label, &bd, err)) != KR_OK ||
	    (ret = bundle_replay(st, c, err)) != KR_OK) {
		if (ret == KR_EVERIFY)
			bundle_changed_note(c);
		goto out;
	}
	bundle_authority(st, c);
	if (said_rows != c->rows || memcmp(said_head, c->head, 32) != 0)
		bundle_problem(c, "%s says the chain has %lld rows and ends "
		    "at another head than the %lld rows of %s give: rows were "
		    "added or removed at the end", BUNDLE_INFO,
		    (long long)said_rows, (long long)c->rows, "audit.jsonl");
	bundle_changed_note(c);
	if (c->problems > 0)
		ret = kr_err_set(err, KR_EVERIFY, "%s does not check: %lld "
		    "problem%s; the first: %s", label, (long long)c->problems,
		    c->problems == 1 ? "" : "s", c->problem[0]);
out:
	kr_store_close(&st);
	kr_bundle_free(&bd);
	return ret;
}
