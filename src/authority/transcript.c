/*
 * ceremony report: the custodians' signatures over a transcript, and
 * writing its files (docs/transcript.md).
 *
 * A custodian signs with the approval key sealed in their share file
 * (format 2), the key whose fingerprint they wrote down when the share
 * was dealt.  The share file must be the one recorded for them; the
 * passphrase is asked only once the file passed every check and the
 * caller said this custodian is one who signs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authority_int.h"

#define TRANSCRIPT_FILES_MAX	8

/* Every file of a transcript is kept (released.c). */
_Static_assert(KR_RELEASED_MAX >= TRANSCRIPT_FILES_MAX,
    "a transcript's files do not fit struct kr_released");

/* The share file is the one dealt to its custodian, with that key. */
static int
kr_transcript_share_check(struct kr_appliance *app, const struct kr_share *sh,
    const uint8_t *file, size_t len, struct kr_err *err)
{
	struct kr_share_rec	rec;
	int			ret;

	if ((ret = kr_share_recorded(app, sh, file, len, &rec, err)) != KR_OK)
		return ret;
	if (!rec.c.has_approval_pk || !kr_share_has_approval_key(sh) ||
	    memcmp(rec.c.approval_pk, sh->h.approval_pk,
	    KR_APPROVAL_PK_BYTES) != 0)
		return kr_err_set(err, KR_EREFUSED, "share file %s (custodian "
		    "'%s') holds no approval key recorded for that custodian "
		    "(a share file of format 1 cannot sign a transcript)",
		    sh->label, sh->h.custodian);
	return KR_OK;
}

/* The passphrase, then the signature; the approval key is wiped. */
static int
kr_transcript_open_sign(struct kr_share *sh, const char *path,
    const struct kr_passphrase_source *src, const struct kr_buf *msg,
    struct kr_transcript_sig *out, struct kr_err *err)
{
	char	*pass;
	int	 ret;

	if ((pass = kr_secure_alloc(KR_PASSPHRASE_MAX)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	if ((ret = src->get(src->ctx, sh->h.custodian, path, false, pass,
	    KR_PASSPHRASE_MAX, err)) == KR_OK)
		ret = kr_share_open(sh, pass, strlen(pass), err);
	kr_wipe(pass, KR_PASSPHRASE_MAX);
	kr_secure_free(pass);
	if (ret == KR_EAUTH)
		(void)kr_err_prefix(err, "the transcript was not signed: ");
	if (ret == KR_OK)
		ret = kr_share_approve(sh, msg->p, msg->len, out->sig, err);
	kr_share_clear(sh);
	if (ret != KR_OK)
		kr_wipe(out->sig, sizeof(out->sig));
	return ret;
}

int
kr_authority_transcript_sign(struct kr_appliance *app, const char *path,
    const struct kr_passphrase_source *src, kr_transcript_who_cb *who,
    void *arg, struct kr_transcript_sig *out, struct kr_err *err)
{
	struct kr_share	*sh;
	struct kr_buf	 msg;
	uint8_t		*file;
	size_t		 len;
	bool		 asked = false;
	int		 ret;

	memset(out, 0, sizeof(*out));
	kr_buf_init(&msg, false);
	if ((ret = kr_share_file_load(path, &sh, &file, &len, err)) != KR_OK ||
	    (ret = kr_transcript_share_check(app, sh, file, len, err)) !=
	    KR_OK ||
	    (ret = who(arg, sh->h.custodian, sh->h.approval_pk, &msg, err)) !=
	    KR_OK)
		goto out;
	if ((ret = kr_buf_status(&msg, err)) != KR_OK)
		goto out;
	(void)snprintf(out->custodian, sizeof(out->custodian), "%s",
	    sh->h.custodian);
	memcpy(out->pk, sh->h.approval_pk, sizeof(out->pk));
	asked = true;
	ret = kr_transcript_open_sign(sh, path, src, &msg, out, err);
out:
	if (!asked && src->skip != NULL)
		src->skip(src->ctx);
	kr_share_file_free(&sh, &file);
	kr_buf_free(&msg);
	return ret;
}

int
kr_authority_transcript_check(struct kr_appliance *app, const char *dir,
    const char *const *names, const uint64_t *sizes, size_t n,
    struct kr_err *err)
{
	struct kr_media_plan	*plan;
	char			*path;
	size_t			 i;
	int			 ret;

	if (n == 0 || n > TRANSCRIPT_FILES_MAX)
		return kr_err_set(err, KR_EINTERNAL, "%zu transcript files", n);
	if ((plan = malloc(sizeof(*plan))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_media_plan_init(plan, app->dir, err);
	for (i = 0; ret == KR_OK && i < n; i++) {
		if ((path = kr_path_join(dir, names[i])) == NULL)
			ret = kr_err_set(err, KR_EINPUT, "the folder name %s "
			    "is too long", dir);
		else
			ret = kr_media_plan_add_sub(plan,
			    KR_ART_CEREMONY_REPORT, path, sizes[i], err);
		free(path);
	}
	free(plan);
	return ret;
}

/*
 * The transcript recorded ("ceremony.report": the ceremony, the folder,
 * each file kept), the kept copies named after the commit.
 */
static int
kr_transcript_record(struct kr_appliance *app, const char *actor,
    const char *ceremony, const char *dir, struct kr_released *k,
    int64_t *seq, struct kr_err *err)
{
	struct kr_json	j;
	int		ret;

	kr_json_begin(&j);
	kr_json_str(&j, "report_of", ceremony);
	kr_json_str(&j, "out", dir);
	kr_released_json(k, &j);
	if ((ret = kr_store_begin(app->store, err)) == KR_OK) {
		if ((ret = kr_audit_record(app, actor != NULL ? actor :
		    "keyrite", "ceremony.report",
		    kr_json_end(&j), seq, err)) != KR_OK ||
		    (ret = kr_store_commit(app->store, err)) != KR_OK)
			kr_store_rollback(app->store);
	}
	kr_json_free(&j);
	return ret;
}

/*
 * After the commit: the kept copy named, then the files.  On a failure
 * the kept copy's temporary names stay for the next open to name (the
 * row lists them) and no file is left on the output, so no report.txt
 * stands there without its signatures.json.
 */
static int
kr_transcript_release(struct kr_appliance *app, const char *ceremony,
    struct kr_released *k, char **paths, char **tmps, size_t n, int64_t seq,
    struct kr_err *err)
{
	size_t	i, placed = 0;
	int	ret;

	if ((ret = kr_released_place(app, k, err)) != KR_OK)
		kr_released_forget(k);
	for (i = 0; i < n && ret == KR_OK; i++) {
		if ((ret = kr_media_place(tmps[i], paths[i], err)) == KR_OK) {
			free(tmps[i]);
			tmps[i] = NULL;
			placed++;
		}
	}
	if (ret == KR_OK)
		return KR_OK;
	for (i = 0; i < placed; i++)
		(void)unlink(paths[i]);
	return kr_err_prefix(err, "the transcript is recorded as audit row "
	    "%lld, but its files were not written (none is left on the "
	    "output); `keyrite export --ceremony %s` writes it again: ",
	    (long long)seq, ceremony);
}

int
kr_authority_transcript_write(struct kr_appliance *app, const char *actor,
    const char *ceremony, const char *dir, const struct kr_transcript_file *files, size_t n,
    int64_t *seq, struct kr_err *err)
{
	char			*paths[TRANSCRIPT_FILES_MAX] = { NULL };
	char			*tmps[TRANSCRIPT_FILES_MAX] = { NULL };
	const char		*names[TRANSCRIPT_FILES_MAX] = { NULL };
	uint64_t		 sizes[TRANSCRIPT_FILES_MAX] = { 0 };
	struct kr_released	 k;
	size_t			 i;
	int			 ret = KR_OK;

	memset(&k, 0, sizeof(k));
	for (i = 0; i < n && i < TRANSCRIPT_FILES_MAX; i++) {
		names[i] = files[i].name;
		sizes[i] = files[i].len;
	}
	if ((ret = kr_authority_transcript_check(app, dir, names, sizes, n,
	    err)) != KR_OK)
		return ret;
	for (i = 0; i < n && ret == KR_OK; i++)
		if ((paths[i] = kr_path_join(dir, files[i].name)) == NULL)
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	for (i = 0; i < n && ret == KR_OK; i++)
		if ((ret = kr_media_stage(KR_ART_CEREMONY_REPORT, paths[i],
		    files[i].data, files[i].len, &tmps[i], err)) == KR_OK)
			ret = kr_released_stage(app, &k, files[i].name,
			    files[i].data, files[i].len, err);
	/* Record, then release. */
	if (ret == KR_OK && (ret = kr_transcript_record(app, actor, ceremony,
	    dir, &k, seq, err)) == KR_OK)
		ret = kr_transcript_release(app, ceremony, &k, paths, tmps, n,
		    *seq, err);
	for (i = 0; i < n; i++) {
		if (tmps[i] != NULL)
			kr_media_unstage(tmps[i]);
		free(tmps[i]);
		free(paths[i]);
	}
	kr_released_clear(&k);
	return ret;
}
