/*
 * restore: a backup folder made by `keyrite backup` becomes a new state
 * folder (docs/operations.md).
 *
 * The copy is checked before it is trusted: every file against the
 * SHA-256 its MANIFEST gives (a file the MANIFEST does not name is
 * refused), SQLite's integrity check, then it is opened as any state
 * folder is (the policy against audit row 1, the chain walked and every
 * record replayed against it, the clock guard).  Then the fork guard:
 * the newest audit head known outside the appliance must be in the
 * copy's chain.  A copy that does not hold it is older (a rollback) or
 * from another line (a fork), and two state folders must never both
 * publish CRLs with the same numbers: it is refused unless a quorum of a
 * CA key's custodians approves, which the restored chain records.
 * Everything is staged beside the new folder and renamed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authority_int.h"

#define KR_MANIFEST_MAX		(1024 * 1024)
#define KR_RESTORE_FILES_MAX	4096
#define KR_RESTORE_FILE_MAX	((uint64_t)16 << 30)

struct kr_mf_file {
	char		path[300];
	uint8_t		sha[32];
	uint64_t	size;
};

struct kr_restore {
	const struct kr_restore_req *req;
	struct kr_restore_result *res;
	char			*stage;
	char			 head[KR_HEAD_HEX_BYTES];	/* MANIFEST's */
	uint8_t			 mf_sha[32];
	struct kr_mf_file	*files;
	size_t			 nfiles;
	struct kr_appliance	*app;
	uint8_t			 expect[32];
	bool			 found;
};

static int	kr_restore_own_row(struct kr_restore *, struct kr_err *);

static const char *const kr_restore_dirs[] = {
	KR_KEYS_DIR, KR_POLICY_DIR, KR_CRLS_DIR, KR_PENDING_DIR,
	KR_RELEASED_DIR, NULL
};

/* "keyrite.db" or DIR/NAME with DIR one of a state folder's. */
static bool
kr_restore_path_ok(const char *p)
{
	const char	*slash = strchr(p, '/');
	size_t		 i;

	if (strcmp(p, KR_DB_FILE) == 0)
		return true;
	if (slash == NULL || strchr(slash + 1, '/') != NULL ||
	    slash[1] == '.' || slash[1] == '\0')
		return false;
	for (i = 0; kr_restore_dirs[i] != NULL; i++)
		if (strlen(kr_restore_dirs[i]) == (size_t)(slash - p) &&
		    strncmp(p, kr_restore_dirs[i], (size_t)(slash - p)) == 0)
			return true;
	return false;
}

static int
kr_restore_mf_line(struct kr_restore *rs, char *line, size_t no,
    const char *mfpath, struct kr_err *err)
{
	struct kr_mf_file	*f;
	char			 hex[65], path[300];
	unsigned long long	 size;

	if (strncmp(line, "head ", 5) == 0) {
		(void)snprintf(rs->head, sizeof(rs->head), "%s", line + 5);
		return KR_OK;
	}
	if (strncmp(line, "file ", 5) != 0)
		return KR_OK;	/* appliance, created, rows, key: shown only */
	if (rs->nfiles == KR_RESTORE_FILES_MAX ||
	    sscanf(line + 5, "%64s %llu %299s", hex, &size, path) != 3 ||
	    !kr_restore_path_ok(path))
		goto bad;
	f = &rs->files[rs->nfiles];
	if (kr_hex_decode(f->sha, sizeof(f->sha), hex) != KR_OK)
		goto bad;
	(void)snprintf(f->path, sizeof(f->path), "%s", path);
	f->size = size;
	rs->nfiles++;
	return KR_OK;
bad:
	return kr_err_set(err, KR_EVERIFY, "line %zu of %s is not a file "
	    "line of a keyrite backup MANIFEST: the backup was changed or is "
	    "not one; nothing was restored", no, mfpath);
}

static int
kr_restore_manifest(struct kr_restore *rs, struct kr_err *err)
{
	uint8_t	*text = NULL;
	size_t	 len, no = 0;
	char	*mfpath, *line, *save = NULL;
	int	 ret;

	if ((mfpath = kr_path_join(rs->req->from, "MANIFEST")) == NULL ||
	    (rs->files = calloc(KR_RESTORE_FILES_MAX,
	    sizeof(*rs->files))) == NULL) {
		free(mfpath);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	if ((ret = kr_file_read(mfpath, KR_MANIFEST_MAX, false, &text, &len,
	    err)) != KR_OK)
		goto out;
	if (len < 17 || memcmp(text, "keyrite backup 1\n", 17) != 0 ||
	    memchr(text, '\0', len) != NULL) {
		ret = kr_err_set(err, KR_EVERIFY, "%s is not the MANIFEST of a "
		    "keyrite backup: nothing was restored", mfpath);
		goto out;
	}
	if (kr_hash(KR_HASH_SHA256, text, len, rs->mf_sha) != KR_OK) {
		ret = kr_err_set(err, KR_ECRYPTO, "cannot hash %s", mfpath);
		goto out;
	}
	text[len - 1] = '\0';
	for (line = strtok_r((char *)text, "\n", &save); line != NULL &&
	    ret == KR_OK; line = strtok_r(NULL, "\n", &save))
		ret = kr_restore_mf_line(rs, line, ++no, mfpath, err);
	if (ret == KR_OK && (strlen(rs->head) != 64 || rs->nfiles == 0))
		ret = kr_err_set(err, KR_EVERIFY, "%s names no audit head or no "
		    "file: the backup is incomplete; nothing was restored",
		    mfpath);
out:
	free(text);
	free(mfpath);
	return ret;
}

static bool
kr_restore_named(const struct kr_restore *rs, const char *rel)
{
	size_t	i;

	if (strcmp(rel, "MANIFEST") == 0 || strcmp(rel, "RECORD") == 0)
		return true;
	for (i = 0; i < rs->nfiles; i++)
		if (strcmp(rs->files[i].path, rel) == 0)
			return true;
	return false;
}

/* Nothing in the backup folder that its MANIFEST does not name. */
static int
kr_restore_extra(const struct kr_restore *rs, const char *sub,
    struct kr_err *err)
{
	struct dirent	*de;
	DIR		*d;
	char		 rel[600], *dir;
	size_t		 i;
	bool		 known;

	dir = sub[0] == '\0' ? strdup(rs->req->from) :
	    kr_path_join(rs->req->from, sub);
	if (dir == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return sub[0] == '\0' ? kr_err_set(err, KR_ENOENT, "cannot "
		    "read the backup folder %s: %s", rs->req->from,
		    strerror(errno)) : KR_OK;
	}
	free(dir);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		(void)snprintf(rel, sizeof(rel), "%s%s%s", sub, sub[0] != '\0' ?
		    "/" : "", de->d_name);
		for (known = false, i = 0; sub[0] == '\0' &&
		    kr_restore_dirs[i] != NULL; i++)
			known = known || strcmp(de->d_name, kr_restore_dirs[i]) == 0;
		if (known || kr_restore_named(rs, rel))
			continue;
		(void)closedir(d);
		return kr_err_set(err, KR_EVERIFY, "%s/%s is not named in the "
		    "backup's MANIFEST: the backup folder was changed after it "
		    "was made; nothing was restored. Use another backup, or "
		    "move that file away if you know where it came from",
		    rs->req->from, rel);
	}
	(void)closedir(d);
	return KR_OK;
}

/* One file into the staged folder, checked against the MANIFEST. */
static int
kr_restore_file(struct kr_restore *rs, const struct kr_mf_file *f,
    struct kr_err *err)
{
	struct kr_file_out	 out;
	uint8_t			 sha[32];
	uint64_t		 size;
	char			*src, *dst;
	int			 ret;

	src = kr_path_join(rs->req->from, f->path);
	dst = kr_path_join(rs->stage, f->path);
	if (src == NULL || dst == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = kr_file_out_open(&out, dst, KR_FILE_NOREPLACE, err)) !=
	    KR_OK)
		goto out;
	ret = kr_file_copy(src, KR_RESTORE_FILE_MAX, kr_file_out_put, &out,
	    sha, &size, err);
	if (ret == KR_OK && (size != f->size || memcmp(sha, f->sha, 32) != 0))
		ret = kr_err_set(err, KR_EVERIFY, "%s does not match the "
		    "SHA-256 and size the backup's MANIFEST gives it: the file "
		    "was changed or damaged since the backup was made. Nothing "
		    "was restored; use another backup", src);
	if (ret == KR_OK)
		ret = kr_file_out_commit(&out, err);
	kr_file_out_abort(&out);
	if (ret == KR_OK)
		rs->res->files++;
out:
	free(src);
	free(dst);
	return ret;
}

static int
kr_restore_copy(struct kr_restore *rs, struct kr_err *err)
{
	size_t	i;
	int	ret;

	if ((ret = kr_restore_extra(rs, "", err)) != KR_OK)
		return ret;
	for (i = 0; kr_restore_dirs[i] != NULL; i++)
		if ((ret = kr_restore_extra(rs, kr_restore_dirs[i], err)) !=
		    KR_OK)
			return ret;
	if ((ret = kr_folder_stage(rs->req->to, "the new state folder",
	    &rs->stage, err)) != KR_OK)
		return ret;
	for (i = 0; kr_restore_dirs[i] != NULL; i++)
		if ((ret = kr_folder_sub(rs->stage, kr_restore_dirs[i],
		    err)) != KR_OK)
			return ret;
	for (i = 0; i < rs->nfiles; i++)
		if ((ret = kr_restore_file(rs, &rs->files[i], err)) != KR_OK)
			return ret;
	return KR_OK;
}

/* SQLite's own check of the copied database, before it is opened. */
static int
kr_restore_integrity(struct kr_restore *rs, struct kr_err *err)
{
	struct kr_store	*st = NULL;
	char		*db, why[sizeof(err->msg)];
	int		 ret;

	if ((db = kr_path_join(rs->stage, KR_DB_FILE)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_store_open(&st, db, err)) == KR_OK)
		ret = kr_store_integrity(st, err);
	kr_store_close(&st);
	free(db);
	if (ret != KR_OK) {
		(void)snprintf(why, sizeof(why), "%s", err->msg);
		(void)kr_err_set(err, ret, "the database in the backup %s "
		    "cannot be used (%s): nothing was restored; use another "
		    "backup", rs->req->from, why);
	}
	return ret;
}

static int
kr_restore_head_cb(const struct kr_audit_rec *r, void *arg)
{
	struct kr_restore	*rs = arg;

	if (memcmp(r->hash, rs->expect, sizeof(rs->expect)) == 0) {
		rs->found = true;
		return 1;
	}
	return 0;
}

/*
 * Opened as any state folder (policy, chain, replay, clock), then the
 * copy's head against the MANIFEST's and the expected head looked for.
 */
static int
kr_restore_open(struct kr_restore *rs, struct kr_err *err)
{
	struct kr_open_req	 oreq = { rs->stage, KR_OPEN_WRITE,
	    rs->req->confirm_date, false, 0, NULL };
	struct kr_audit_report	 rep;
	int			 ret;

	if ((ret = kr_appliance_open_ex(&rs->app, &oreq, err)) != KR_OK)
		return ret;
	memset(&rep, 0, sizeof(rep));
	if ((ret = kr_store_audit_verify(rs->app->store, &rep, err)) != KR_OK)
		return ret;
	kr_hex_encode(rs->res->head, rep.head, sizeof(rep.head));
	rs->res->rows = rep.rows;
	if (strcmp(rs->res->head, rs->head) != 0)
		return kr_err_set(err, KR_EVERIFY, "the database in %s ends its "
		    "audit chain at %s, not at the head its MANIFEST names (%s): "
		    "the backup was changed; nothing was restored",
		    rs->req->from, rs->res->head, rs->head);
	ret = kr_store_audit_foreach(rs->app->store, 1, kr_restore_head_cb,
	    rs, err);
	if (ret < 0)
		return ret;
	if ((ret = kr_restore_own_row(rs, err)) != KR_OK)
		return ret;
	rs->res->rollback = !rs->found;
	return KR_OK;
}

/* The backup's own row (RECORD), read and checked against the copy. */
struct kr_restore_row {
	struct kr_audit_rec	 r;
	char			*actor, *event, *payload;
};

static bool
kr_restore_row_read(struct kr_restore *rs, const char *text,
    struct kr_restore_row *w)
{
	uint8_t	 mf[32], hash[32], head[32];
	char	 hex[65];
	char	*m;

	memset(w, 0, sizeof(*w));
	w->actor = kr_js_str_dup(kr_js_member(text, "actor"));
	w->event = kr_js_str_dup(kr_js_member(text, "event"));
	w->payload = kr_js_str_dup(kr_js_member(text, "payload"));
	if (w->actor == NULL || w->event == NULL || w->payload == NULL ||
	    !kr_js_int(kr_js_member(text, "seq"), &w->r.seq) ||
	    !kr_js_int(kr_js_member(text, "time"), &w->r.time) ||
	    !kr_js_hex(kr_js_member(text, "prev_hash"), w->r.prev_hash, 32) ||
	    !kr_js_hex(kr_js_member(text, "hash"), w->r.hash, 32) ||
	    strcmp(w->event, "backup") != 0 ||
	    (m = kr_js_str_dup(kr_js_member(w->payload, "manifest_sha256"))) ==
	    NULL)
		return false;
	(void)snprintf(hex, sizeof(hex), "%s", m);
	free(m);
	w->r.actor = w->actor;
	w->r.event = w->event;
	w->r.payload = w->payload;
	/* Its place: right after the copy's head, naming this MANIFEST. */
	return kr_hex_decode(mf, sizeof(mf), hex) == KR_OK &&
	    memcmp(mf, rs->mf_sha, sizeof(mf)) == 0 &&
	    kr_hex_decode(head, sizeof(head), rs->res->head) == KR_OK &&
	    memcmp(head, w->r.prev_hash, sizeof(head)) == 0 &&
	    w->r.seq == rs->res->rows + 1 &&
	    kr_audit_row_hash(&w->r, hash) == KR_OK &&
	    memcmp(hash, w->r.hash, sizeof(hash)) == 0;
}

/*
 * The expected head is the backup's own row (noted after the backup):
 * that row is appended as it was, so the restored chain reaches it.
 */
static int
kr_restore_own_row(struct kr_restore *rs, struct kr_err *err)
{
	struct kr_restore_row	 w;
	uint8_t			*text = NULL;
	size_t			 len = 0;
	char			*path, *str = NULL;
	int64_t			 seq;
	int			 ret = KR_OK;

	if (rs->found)
		return KR_OK;
	if ((path = kr_path_join(rs->req->from, "RECORD")) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	memset(&w, 0, sizeof(w));
	if (kr_path_exists(path) &&
	    (ret = kr_file_read(path, 64 * 1024, false, &text, &len, err)) ==
	    KR_OK && memchr(text, '\0', len) == NULL &&
	    (str = strndup((const char *)text, len)) != NULL) {
		if (kr_restore_row_read(rs, str, &w) &&
		    memcmp(w.r.hash, rs->expect, sizeof(rs->expect)) == 0) {
			ret = kr_store_audit_append(rs->app->store, w.r.time,
			    w.r.actor, w.r.event, w.r.payload, &seq, err);
			rs->found = ret == KR_OK;
		}
	}
	free(w.actor);
	free(w.event);
	free(w.payload);
	free(str);
	free(text);
	free(path);
	return ret;
}

static int
kr_restore_record(struct kr_restore *rs, const char *event,
    const char *const *names, size_t n, struct kr_err *err)
{
	struct kr_json	j;
	char		hex[65];
	int		ret;

	kr_json_begin(&j);
	kr_json_str(&j, "from", rs->req->from);
	kr_json_str(&j, "to", rs->req->to);
	kr_hex_encode(hex, rs->mf_sha, sizeof(rs->mf_sha));
	kr_json_str(&j, "manifest_sha256", hex);
	kr_json_str(&j, "copy_head", rs->res->head);
	kr_json_int(&j, "copy_rows", rs->res->rows);
	kr_json_str(&j, "expected_head", rs->req->expect_head);
	if (rs->res->rollback) {
		kr_json_str(&j, "quorum_key", rs->req->key);
		kr_json_str_array(&j, "approved_by", names, n);
		kr_approvals_json(&j, rs->res->quorum, 0);
	}
	if (kr_json_end(&j) == NULL) {
		kr_json_free(&j);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	if ((ret = kr_store_begin(rs->app->store, err)) == KR_OK) {
		if ((ret = kr_audit_record(rs->app, rs->req->actor, event,
		    kr_json_end(&j), &rs->res->audit_seq, err)) == KR_OK)
			ret = kr_store_commit(rs->app->store, err);
		else
			kr_store_rollback(rs->app->store);
	}
	kr_json_free(&j);
	return ret;
}

static int
kr_restore_refuse(struct kr_restore *rs, struct kr_err *err)
{
	return kr_err_set(err, KR_EREFUSED, "the backup %s does not hold the "
	    "expected audit head %s: its chain ends at %s (row %lld). The "
	    "copy is older than the state that head came from (restoring it "
	    "rolls the CA back) or is from another line (a fork): a rolled "
	    "back or forked CA could publish CRLs with numbers already used. "
	    "Nothing was created. Find a newer backup; or, if this copy is "
	    "the one to go on with, a quorum of a CA key's custodians "
	    "approves the rollback: add --approve-rollback --key NAME --share "
	    "FILE ... (docs/operations.md, after a rollback)", rs->req->from,
	    rs->req->expect_head, rs->res->head, (long long)rs->res->rows);
}

/* The fork guard: a copy without the expected head needs the quorum. */
static int
kr_restore_guard(struct kr_restore *rs, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	const struct kr_approval_subject sub = { .op = "restore.rollback",
	    .refusals_in_row = true };
	struct kr_signer	*s = NULL;
	struct kr_key_rec	 k;
	const char		*names[KR_CUSTODIANS_MAX];
	size_t			 n = 0;
	int			 ret;

	if (!rs->res->rollback)
		return kr_restore_record(rs, "restore", NULL, 0, err);
	if (!rs->req->approve_rollback)
		return kr_restore_refuse(rs, err);
	if ((ret = kr_store_key_get(rs->app->store, rs->req->key, &k,
	    err)) != KR_OK)
		return ret;
	if (strcmp(k.backend, "sealed") != 0 || strcmp(k.state, "active") != 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s' is not an active "
		    "key sealed in a file: the rollback needs the quorum of "
		    "one. Nothing was created", rs->req->key);
	ret = kr_authority_unlock_report(rs->app, rs->req->key,
	    rs->req->shares, rs->req->nshares, src, &sub, &rs->res->quorum, &s,
	    err);
	kr_signer_free(&s);	/* the quorum is what is asked, not the key */
	if (ret != KR_OK)
		return ret;
	kr_quorum_approvers(rs->res->quorum, names, &n, rs->res->approvers,
	    sizeof(rs->res->approvers));
	return kr_restore_record(rs, "restore.rollback", names, n, err);
}

int
kr_authority_restore(const struct kr_restore_req *req,
    const struct kr_passphrase_source *src, struct kr_restore_result *res,
    struct kr_err *err)
{
	struct kr_restore	rs;
	int			ret;

	memset(res, 0, sizeof(*res));
	memset(&rs, 0, sizeof(rs));
	rs.req = req;
	rs.res = res;
	if (req->expect_head == NULL)
		return kr_err_set(err, KR_EUSAGE, "give --expect-head HEX: the "
		    "newest audit head known outside the appliance (the last "
		    "ceremony transcript, audit export or `keyrite status` "
		    "printout). Without it keyrite cannot tell a rollback or a "
		    "fork from the latest state, and two copies of the CA must "
		    "never both publish CRLs with the same numbers");
	if (strlen(req->expect_head) != 64 ||
	    kr_hex_decode(rs.expect, sizeof(rs.expect), req->expect_head) !=
	    KR_OK)
		return kr_err_set(err, KR_EUSAGE, "--expect-head wants the 64 "
		    "hex digits of an audit head, as `keyrite status` prints it");
	if ((ret = kr_restore_manifest(&rs, err)) == KR_OK &&
	    (ret = kr_restore_copy(&rs, err)) == KR_OK &&
	    (ret = kr_restore_integrity(&rs, err)) == KR_OK &&
	    (ret = kr_restore_open(&rs, err)) == KR_OK)
		ret = kr_restore_guard(&rs, src, err);
	kr_appliance_close(&rs.app);
	if (ret == KR_OK)
		ret = kr_media_dir_place(rs.stage, req->to, err);
	if (ret != KR_OK && rs.stage != NULL)
		kr_media_dir_unstage(rs.stage);
	free(rs.stage);
	free(rs.files);
	return ret;
}
