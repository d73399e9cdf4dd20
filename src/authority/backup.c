/*
 * backup: a consistent copy of the state folder (docs/operations.md).
 *
 * Under the writers' lock nothing changes while the copy is made.  The
 * database is copied with SQLite's online backup API into pending/ (a
 * temporary name the open-time cleanup removes), then every file goes
 * out through media/ as a backup file: the database copy, keys/ (sealed
 * key and PIN files, encrypted under their quorums), policy/, crls/ and
 * released/ (kept transcripts and audit bundles).
 * The MANIFEST names the audit head the copy holds and the SHA-256 of
 * each file.  The folder is staged beside its name, the "backup" row
 * recorded, and only then is the folder named.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authority_int.h"

#define KR_BACKUP_FILE_MAX	((uint64_t)16 << 30)
#define KR_BACKUP_MAGIC		"keyrite backup 1\n"
#define KR_KEYS_HELD_MAX	64

static const char *const kr_backup_dirs[] = {
	KR_KEYS_DIR, KR_POLICY_DIR, KR_CRLS_DIR, KR_RELEASED_DIR, NULL
};

struct kr_backup {
	struct kr_appliance	*app;
	const struct kr_backup_req *req;
	struct kr_backup_result	*res;
	char			*stage;
	struct kr_buf		 mf;		/* the MANIFEST's text */
	const char		*keys[KR_KEYS_HELD_MAX];
	char			 names[KR_KEYS_HELD_MAX][KR_STORE_NAME_MAX + 1];
	size_t			 nkeys;
};

static void
kr_buf_str(struct kr_buf *b, const char *s)
{
	kr_buf_put(b, s, strlen(s));
}

/* One file out through media/ into the staged folder; its MANIFEST line. */
static int
kr_backup_file(struct kr_backup *bk, const char *src, const char *rel,
    struct kr_err *err)
{
	struct kr_media_stream	 ms;
	uint8_t			 sha[32];
	char			 hex[65], line[64], *dst;
	uint64_t		 size;
	int			 ret;

	if ((dst = kr_path_join(bk->stage, rel)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_media_stream_open(&ms, KR_ART_BACKUP_FILE, dst,
	    KR_FILE_NOREPLACE, err)) == KR_OK) {
		ret = kr_file_copy(src, KR_BACKUP_FILE_MAX,
		    kr_media_stream_put, &ms, sha, &size, err);
		if (ret == KR_OK)
			ret = kr_media_stream_commit(&ms, err);
		kr_media_stream_abort(&ms);
	}
	free(dst);
	if (ret != KR_OK)
		return ret;
	kr_hex_encode(hex, sha, sizeof(sha));
	(void)snprintf(line, sizeof(line), " %llu ", (unsigned long long)size);
	kr_buf_str(&bk->mf, "file ");
	kr_buf_str(&bk->mf, hex);
	kr_buf_str(&bk->mf, line);
	kr_buf_str(&bk->mf, rel);
	kr_buf_put_u8(&bk->mf, '\n');
	bk->res->files++;
	bk->res->bytes += size;
	return KR_OK;
}

/* The database, copied in one step into pending/, then out. */
static int
kr_backup_db(struct kr_backup *bk, struct kr_err *err)
{
	uint8_t	 rnd[8];
	char	 hex[17], name[64], *tmp;
	int	 ret;

	kr_random(rnd, sizeof(rnd));
	kr_hex_encode(hex, rnd, sizeof(rnd));
	(void)snprintf(name, sizeof(name), KR_PENDING_DIR "/" KR_DB_FILE
	    ".tmp-%s", hex);
	if ((tmp = kr_appliance_path(bk->app, name)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_store_backup(bk->app->store, tmp, err)) == KR_OK) {
		ret = kr_backup_file(bk, tmp, KR_DB_FILE, err);
		(void)unlink(tmp);
	}
	free(tmp);
	return ret;
}

/* Every regular file of one folder of the state (temporary ones left). */
static int
kr_backup_dir(struct kr_backup *bk, const char *sub, struct kr_err *err)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 rel[512], *src = NULL, *dir;
	int		 ret = KR_OK;

	if ((dir = kr_appliance_path(bk->app, sub)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((d = opendir(dir)) == NULL) {
		ret = errno == ENOENT ? KR_OK : kr_err_set(err, KR_ESTATE,
		    "cannot read %s: %s", dir, strerror(errno));
		free(dir);
		return ret;
	}
	if ((ret = kr_folder_sub(bk->stage, sub, err)) != KR_OK)
		goto out;
	while (ret == KR_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || kr_file_tmp_name(de->d_name, NULL))
			continue;
		free(src);
		(void)snprintf(rel, sizeof(rel), "%s/%s", sub, de->d_name);
		if ((src = kr_path_join(dir, de->d_name)) == NULL)
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		else if (lstat(src, &st) != 0 || !S_ISREG(st.st_mode))
			ret = kr_err_set(err, KR_ESTATE, "%s is not a regular "
			    "file: a state folder holds none such; move it "
			    "away, then back up again", src);
		else
			ret = kr_backup_file(bk, src, rel, err);
	}
out:
	free(src);
	(void)closedir(d);
	free(dir);
	return ret;
}

static int
kr_backup_key_cb(const struct kr_key_rec *k, void *arg)
{
	struct kr_backup	*bk = arg;

	if (strcmp(k->state, "destroyed") == 0 || bk->nkeys == KR_KEYS_HELD_MAX)
		return 0;
	(void)snprintf(bk->names[bk->nkeys], sizeof(bk->names[0]), "%s",
	    k->name);
	bk->keys[bk->nkeys] = bk->names[bk->nkeys];
	bk->nkeys++;
	return 0;
}

/* The MANIFEST's head: what the copy holds. */
static int
kr_backup_head(struct kr_backup *bk, struct kr_err *err)
{
	struct kr_audit_report	 rep;
	char			 line[256], when[KR_TIME_STR_BYTES], id[64];
	size_t			 i;
	int			 ret;

	memset(&rep, 0, sizeof(rep));
	if ((ret = kr_store_audit_verify(bk->app->store, &rep, err)) != KR_OK)
		return ret;
	kr_hex_encode(bk->res->head, rep.head, sizeof(rep.head));
	bk->res->rows = rep.rows;
	if ((ret = kr_store_meta_get(bk->app->store, "appliance_id", id,
	    sizeof(id), err)) != KR_OK ||
	    (ret = kr_store_key_foreach(bk->app->store, kr_backup_key_cb, bk,
	    err)) < 0)
		return ret;
	kr_time_format(kr_time_now(), when);
	(void)snprintf(line, sizeof(line), KR_BACKUP_MAGIC "appliance %s\n"
	    "created %s\nhead %s\nrows %lld\n", id, when, bk->res->head,
	    (long long)rep.rows);
	kr_buf_str(&bk->mf, line);
	for (i = 0; i < bk->nkeys; i++) {
		kr_buf_str(&bk->mf, "key ");
		kr_buf_str(&bk->mf, bk->keys[i]);
		kr_buf_put_u8(&bk->mf, '\n');
		(void)snprintf(bk->res->keys + strlen(bk->res->keys),
		    sizeof(bk->res->keys) - strlen(bk->res->keys), "%s%s",
		    i > 0 ? ", " : "", bk->keys[i]);
	}
	return KR_OK;
}

static int
kr_backup_manifest(struct kr_backup *bk, struct kr_err *err)
{
	uint8_t	 sha[32];
	char	*p;
	int	 ret;

	if ((ret = kr_buf_status(&bk->mf, err)) != KR_OK)
		return ret;
	if ((p = kr_path_join(bk->stage, "MANIFEST")) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_media_write(KR_ART_BACKUP_FILE, p, bk->mf.p, bk->mf.len,
	    KR_FILE_NOREPLACE, err);
	free(p);
	if (ret != KR_OK)
		return ret;
	if ((ret = kr_hash(KR_HASH_SHA256, bk->mf.p, bk->mf.len, sha)) !=
	    KR_OK)
		return kr_err_set(err, ret, "cannot hash the MANIFEST");
	kr_hex_encode(bk->res->manifest_sha256, sha, sizeof(sha));
	return KR_OK;
}

static int
kr_backup_record(struct kr_backup *bk, struct kr_err *err)
{
	struct kr_json	j;
	int		ret;

	kr_json_begin(&j);
	kr_json_str(&j, "to", bk->req->to);
	kr_json_str(&j, "head", bk->res->head);
	kr_json_int(&j, "rows", bk->res->rows);
	kr_json_str(&j, "manifest_sha256", bk->res->manifest_sha256);
	kr_json_int(&j, "files", (int64_t)bk->res->files);
	kr_json_int(&j, "bytes", (int64_t)bk->res->bytes);
	kr_json_str_array(&j, "keys", bk->keys, bk->nkeys);
	if (kr_json_end(&j) == NULL) {
		kr_json_free(&j);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	if ((ret = kr_store_begin(bk->app->store, err)) == KR_OK) {
		if ((ret = kr_audit_record(bk->app, bk->req->actor, "backup",
		    kr_json_end(&j), &bk->res->audit_seq, err)) == KR_OK)
			ret = kr_store_commit(bk->app->store, err);
		else
			kr_store_rollback(bk->app->store);
	}
	kr_json_free(&j);
	return ret;
}

/* The folder the backup goes to: new, outside the state folder. */
static int
kr_backup_check(struct kr_backup *bk, struct kr_err *err)
{
	struct kr_media_plan	*plan;
	char			*copy, *slash;
	int			 ret;

	if ((plan = calloc(1, sizeof(*plan))) == NULL ||
	    (copy = strdup(bk->req->to)) == NULL) {
		free(plan);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	if ((slash = strrchr(copy, '/')) == NULL)
		(void)snprintf(copy, strlen(copy) + 1, ".");
	else if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((ret = kr_media_plan_init(plan, bk->app->dir, err)) == KR_OK)
		ret = kr_media_plan_dir(plan, copy, "the folder of the backup",
		    err);
	free(copy);
	free(plan);
	return ret;
}

static int
kr_backup_fill(struct kr_backup *bk, struct kr_err *err)
{
	size_t	i;
	int	ret;

	kr_buf_init(&bk->mf, false);
	if ((ret = kr_backup_head(bk, err)) != KR_OK ||
	    (ret = kr_backup_db(bk, err)) != KR_OK)
		return ret;
	for (i = 0; kr_backup_dirs[i] != NULL; i++)
		if ((ret = kr_backup_dir(bk, kr_backup_dirs[i], err)) != KR_OK)
			return ret;
	return kr_backup_manifest(bk, err);
}

/*
 * RECORD: the backup's own audit row, exactly as the chain holds it
 * (canonical JSON: seq, time, actor, event, payload, prev_hash, hash).
 * The copy ends the row before it; a restore checks the row against the
 * copy's head and MANIFEST and appends it, so the restored chain reaches
 * the head the live folder had right after the backup (the head an
 * operator notes from `keyrite status` after backing up).
 */
static int
kr_backup_row_cb(const struct kr_audit_rec *r, void *arg)
{
	struct kr_json	*j = arg;
	char		 hex[2 * KR_AUDIT_HASH_BYTES + 1];

	kr_json_begin(j);
	kr_json_int(j, "seq", r->seq);
	kr_json_int(j, "time", r->time);
	kr_json_str(j, "actor", r->actor);
	kr_json_str(j, "event", r->event);
	kr_json_str(j, "payload", r->payload);
	kr_hex_encode(hex, r->prev_hash, KR_AUDIT_HASH_BYTES);
	kr_json_str(j, "prev_hash", hex);
	kr_hex_encode(hex, r->hash, KR_AUDIT_HASH_BYTES);
	kr_json_str(j, "hash", hex);
	return 1;	/* that row only */
}

static int
kr_backup_row_file(struct kr_backup *bk, struct kr_err *err)
{
	struct kr_json	j;
	const char	*text;
	int		ret;

	memset(&j, 0, sizeof(j));
	ret = kr_store_audit_foreach(bk->app->store, bk->res->audit_seq,
	    kr_backup_row_cb, &j, err);
	if (ret < 0)
		return ret;
	if (j.b.p == NULL || (text = kr_json_end(&j)) == NULL) {
		kr_json_free(&j);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	ret = kr_media_dir_put(KR_ART_BACKUP_FILE, bk->stage, "RECORD", text,
	    strlen(text), err);
	kr_json_free(&j);
	return ret;
}

int
kr_authority_backup(struct kr_appliance *app, const struct kr_backup_req *req,
    struct kr_backup_result *res, struct kr_err *err)
{
	struct kr_backup	*bk;
	char			 why[sizeof(err->msg)];
	int			 ret;

	memset(res, 0, sizeof(*res));
	if ((bk = calloc(1, sizeof(*bk))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	bk->app = app;
	bk->req = req;
	bk->res = res;
	if ((ret = kr_backup_check(bk, err)) != KR_OK ||
	    (ret = kr_folder_stage(req->to, "the backup folder", &bk->stage,
	    err)) != KR_OK ||
	    (ret = kr_backup_fill(bk, err)) != KR_OK ||
	    (ret = kr_fsync_dir(bk->stage, err)) != KR_OK ||
	    (ret = kr_backup_record(bk, err)) != KR_OK) {
		kr_media_dir_unstage(bk->stage);
		goto out;
	}
	if ((ret = kr_backup_row_file(bk, err)) != KR_OK ||
	    (ret = kr_media_dir_place(bk->stage, req->to, err)) != KR_OK) {
		(void)snprintf(why, sizeof(why), "%s", err->msg);
		(void)kr_err_set(err, ret, "the backup was recorded (audit row "
		    "%lld) and is complete in %s, but could not be given its "
		    "name %s: rename that folder to %s by hand (%s)",
		    (long long)res->audit_seq, bk->stage, req->to, req->to,
		    why);
	}
out:
	kr_buf_free(&bk->mf);
	free(bk->stage);
	free(bk);
	return ret;
}

/* ---- the backups that hold a key (key destroy) --------------------------- */

struct kr_backups_of {
	const char	*key;
	kr_backup_cb	*cb;
	void		*arg;
};

static int
kr_backups_of_cb(const struct kr_audit_rec *r, void *arg)
{
	struct kr_backups_of	*bo = arg;
	const char		*p;
	char			 name[KR_STORE_NAME_MAX + 1], to[1024];
	bool			 first = true;

	if (strcmp(r->event, "backup") != 0)
		return 0;
	p = kr_js_member(r->payload, "keys");
	while (kr_js_next(&p, first) != NULL) {
		first = false;
		if (!kr_js_str(p, name, sizeof(name)) ||
		    strcmp(name, bo->key) != 0)
			continue;
		if (!kr_js_str(kr_js_member(r->payload, "to"), to, sizeof(to)))
			to[0] = '\0';
		return bo->cb(r->seq, r->time, to, bo->arg);
	}
	return 0;
}

int
kr_authority_backups_of_key(struct kr_appliance *app, const char *key,
    kr_backup_cb *cb, void *arg, struct kr_err *err)
{
	struct kr_backups_of	bo = { key, cb, arg };
	int			ret;

	ret = kr_store_audit_foreach(app->store, 1, kr_backups_of_cb, &bo,
	    err);
	return ret < 0 ? ret : KR_OK;
}
