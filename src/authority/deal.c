/*
 * Dealing a share set: the part of `key generate` that `quorum reshare`
 * does as well.  A quorum secret (the caller's) is split into n shares,
 * each sealed into a share file for its custodian under their passphrase,
 * checked, recorded (share set + custodians, in the caller's transaction),
 * written under temporary names before the commit and given their names
 * after it, the files named in the caller's journal (recover.c).
 *
 * Where a custodian's share file goes is decided in ONE place:
 * kr_keygen_share_path() (keygen.c).  The checks, the journal and the
 * writes all ask it.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "authority_int.h"

static void
kr_deal_say(const struct kr_deal *d, const char *fmt, ...) KR_PRINTF(2, 3);

static void
kr_deal_say(const struct kr_deal *d, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	if (d->notice == NULL || d->notice->notice == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->notice->notice(d->notice->ctx, msg);
}

int
kr_deal_begin(struct kr_deal *d, struct kr_err *err)
{
	int	ret;

	kr_random(d->set_id, sizeof(d->set_id));
	if ((ret = kr_dealer_new(&d->dealer, err)) != KR_OK)
		return ret;
	memcpy(d->dealer_pk, d->dealer.pk, sizeof(d->dealer_pk));
	return KR_OK;
}

/* m and the custodians named: as the quorum policy allows, no name twice. */
int
kr_deal_check_custodians(const struct kr_deal *d, struct kr_err *err)
{
	const struct kr_quorum_policy	*qp = &d->app->policy;
	size_t				 i, j;
	int				 ret;

	if (d->n > KR_CUSTODIANS_MAX || d->n > qp->max_custodians)
		return kr_err_set(err, KR_EUSAGE, "%zu custodians named; a "
		    "share set has at most %u", d->n,
		    qp->max_custodians < KR_CUSTODIANS_MAX ?
		    qp->max_custodians : KR_CUSTODIANS_MAX);
	if (d->m < 2 || d->m < qp->min_threshold)
		return kr_err_set(err, KR_EUSAGE, "a threshold of %u is too "
		    "low: the quorum policy needs at least %u custodians to "
		    "act together", d->m, qp->min_threshold < 2 ? 2 :
		    qp->min_threshold);
	if (d->m > d->n)
		return kr_err_set(err, KR_EUSAGE, "a threshold of %u needs at "
		    "least %u custodians, but %zu were named (--custodian)",
		    d->m, d->m, d->n);
	for (i = 0; i < d->n; i++) {
		if ((ret = kr_custodian_name_check(d->custodians[i], err)) !=
		    KR_OK)
			return ret;
		/* Case-blind: FAT media would put both in one file. */
		for (j = 0; j < i; j++)
			if (strcasecmp(d->custodians[i],
			    d->custodians[j]) == 0)
				return kr_err_set(err, KR_EUSAGE, "custodian "
				    "'%s' is named twice%s%s%s: each custodian "
				    "holds exactly one share, in a file named "
				    "after them", d->custodians[i],
				    strcmp(d->custodians[i],
				    d->custodians[j]) != 0 ? " (as '" : "",
				    strcmp(d->custodians[i],
				    d->custodians[j]) != 0 ?
				    d->custodians[j] : "",
				    strcmp(d->custodians[i],
				    d->custodians[j]) != 0 ? "')" : "");
	}
	return KR_OK;
}

/* Every share file is new, and the share folder takes them (media/). */
int
kr_deal_check_paths(struct kr_deal *d, struct kr_err *err)
{
	struct kr_media_plan	*plan;
	char			 rel[KR_SHARE_REL_MAX];
	size_t			 i;
	int			 ret;

	if ((plan = malloc(sizeof(*plan))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_media_plan_init(plan, d->app->dir, err)) != KR_OK ||
	    (ret = kr_media_plan_dir(plan, d->share_dir, "the share folder",
	    err)) != KR_OK) {
		free(plan);
		return ret;
	}
	/* A custodian's folder may exist (other keys' shares), a file not. */
	for (i = 0; i < d->n && ret == KR_OK; i++) {
		if ((ret = kr_keygen_share_path(d->share_dir, d->custodians[i],
		    d->key, &d->paths[i], rel, sizeof(rel), err)) != KR_OK)
			break;
		if (kr_path_exists(d->paths[i]))
			ret = kr_err_set(err, KR_EEXIST, "%s already exists: "
			    "keyrite will not overwrite a custodian's share "
			    "file; move it away or choose another --share-dir",
			    d->paths[i]);
		else
			ret = kr_media_plan_add_sub(plan, KR_ART_SHARE_FILE,
			    d->paths[i], KR_SHARE_FILE_MAX, err);
	}
	free(plan);
	return ret;
}

int
kr_passphrase_chosen(const char *first, const char *again, unsigned min_len,
    const char *custodian, struct kr_err *err)
{
	size_t	len = strlen(first);

	if (len < min_len)
		return kr_err_set(err, KR_EINPUT, "the passphrase for "
		    "custodian '%s' is too short: a passphrase must have at "
		    "least %u characters", custodian, min_len);
	if (len != strlen(again) || !kr_ct_equal(first, again, len))
		return kr_err_set(err, KR_EINPUT, "the two passphrases for "
		    "custodian '%s' did not match", custodian);
	return KR_OK;
}

/* Each new holder's passphrase, asked once, as long as the policy says. */
int
kr_deal_passphrases(struct kr_deal *d, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	unsigned	min = d->app->policy.min_passphrase_length;
	size_t		i, len;
	int		ret;

	for (i = 0; i < d->n; i++) {
		if ((d->pass[i] = kr_secure_alloc(KR_PASSPHRASE_MAX)) == NULL)
			return kr_err_set(err, KR_ENOMEM, "out of secure memory");
		if ((ret = src->get(src->ctx, d->custodians[i], d->paths[i],
		    true, d->pass[i], KR_PASSPHRASE_MAX, err)) != KR_OK)
			return ret;
		len = strlen(d->pass[i]);
		if (len < min)
			return kr_err_set(err, KR_EINPUT, "the passphrase for "
			    "custodian '%s' is %zu characters; the quorum "
			    "policy asks for at least %u", d->custodians[i],
			    len, min);
	}
	return KR_OK;
}

/*
 * Share i: format 2 holds a new approval key for its custodian (the seed
 * lives in secure memory only until it is sealed); format 1 (tests of
 * old share sets) none.
 */
static int
kr_deal_seal_share(struct kr_deal *d, size_t i, struct kr_share_header *sh,
    struct kr_err *err)
{
	const uint8_t	*y = d->ys + i * KR_QUORUM_SECRET_BYTES;
	uint8_t		*seed;
	int		 ret;

	if (d->share_format == 1)
		return kr_share_seal(sh, y, d->pass[i], strlen(d->pass[i]),
		    &d->dealer, &d->files[i], &d->file_lens[i], err);
	if ((seed = kr_secure_alloc(KR_APPROVAL_SEED_BYTES)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	kr_random(seed, KR_APPROVAL_SEED_BYTES);
	ret = kr_share_seal_v2(sh, y, seed, d->pass[i], strlen(d->pass[i]),
	    &d->dealer, &d->files[i], &d->file_lens[i], err);
	kr_wipe(seed, KR_APPROVAL_SEED_BYTES);
	kr_secure_free(seed);
	if (ret != KR_OK)
		return ret;
	memcpy(d->approval_pk[i], sh->approval_pk, KR_APPROVAL_PK_BYTES);
	kr_approval_fingerprint(sh->approval_pk, d->approval_fp[i]);
	return KR_OK;
}

/* Splits the secret and seals one share file per custodian, in memory. */
int
kr_deal_make_shares(struct kr_deal *d, const uint8_t *secret,
    struct kr_err *err)
{
	struct kr_share_header	sh;
	size_t			i;
	int			ret;

	if (d->share_format > 2)
		return kr_err_set(err, KR_EUSAGE, "share file format %u does "
		    "not exist", d->share_format);
	if ((d->ys = kr_secure_alloc(d->n * KR_QUORUM_SECRET_BYTES)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	if ((ret = kr_shamir_split(secret, KR_QUORUM_SECRET_BYTES, d->m,
	    (unsigned)d->n, d->xs, d->ys)) != KR_OK)
		return kr_err_set(err, ret, "splitting the quorum secret "
		    "failed");
	for (i = 0; i < d->n; i++) {
		memset(&sh, 0, sizeof(sh));
		memcpy(sh.set_id, d->set_id, sizeof(sh.set_id));
		sh.epoch = d->epoch;
		memcpy(sh.key_id, d->key_id, sizeof(sh.key_id));
		sh.m = (uint8_t)d->m;
		sh.n = (uint8_t)d->n;
		sh.x = d->xs[i];
		(void)snprintf(sh.custodian, sizeof(sh.custodian), "%s",
		    d->custodians[i]);
		sh.kdf = d->app->kdf;
		memcpy(sh.dealer_pk, d->dealer.pk, sizeof(sh.dealer_pk));
		kr_deal_say(d, "sealing share %zu of %zu for custodian '%s'",
		    i + 1, d->n, d->custodians[i]);
		if ((ret = kr_deal_seal_share(d, i, &sh, err)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

/*
 * Reads back each share file made, before anything is recorded; then the
 * one-time dealer key goes (it must sign nothing else).
 */
int
kr_deal_selfcheck(struct kr_deal *d, struct kr_err *err)
{
	struct kr_share	sh;
	size_t		i;
	int		ret;

	for (i = 0; i < d->n; i++) {
		memset(&sh, 0, sizeof(sh));
		if ((ret = kr_share_parse(d->files[i], d->file_lens[i],
		    d->paths[i], &sh, err)) != KR_OK ||
		    (ret = kr_share_check_signature(&sh, d->dealer.pk, err)) !=
		    KR_OK)
			return kr_err_prefix(err, "self-check of a new share "
			    "failed: ");
	}
	kr_dealer_free(&d->dealer);
	return KR_OK;
}

/* The share set (in `state`) and its custodians, in the open transaction. */
int
kr_deal_insert(struct kr_deal *d, const char *state, int64_t created,
    struct kr_err *err)
{
	struct kr_set_rec	sr;
	struct kr_custodian_rec	cr;
	size_t			i;
	int			ret;

	memset(&sr, 0, sizeof(sr));
	memcpy(sr.id, d->set_id, sizeof(sr.id));
	memcpy(sr.key_id, d->key_id, sizeof(sr.key_id));
	sr.epoch = d->epoch;
	sr.m = d->m;
	sr.n = (unsigned)d->n;
	memcpy(sr.dealer_pk, d->dealer_pk, sizeof(sr.dealer_pk));
	sr.kdf_ops = d->app->kdf.opslimit;
	sr.kdf_mem_kib = d->app->kdf.mem_kib;
	(void)snprintf(sr.state, sizeof(sr.state), "%s", state);
	sr.created = created;
	if ((ret = kr_store_set_insert(d->app->store, &sr, err)) != KR_OK)
		return ret;
	for (i = 0; i < d->n; i++) {
		memset(&cr, 0, sizeof(cr));
		memcpy(cr.set_id, sr.id, sizeof(cr.set_id));
		cr.x = d->xs[i];
		(void)snprintf(cr.name, sizeof(cr.name), "%s",
		    d->custodians[i]);
		cr.has_approval_pk = d->share_format != 1;
		memcpy(cr.approval_pk, d->approval_pk[i],
		    sizeof(cr.approval_pk));
		if ((ret = kr_hash(KR_HASH_SHA256, d->files[i],
		    d->file_lens[i], cr.share_digest)) != KR_OK ||
		    (ret = kr_store_custodian_insert(d->app->store, &cr,
		    err)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

/* The share format, and the fingerprints the custodians write down. */
void
kr_deal_audit(const struct kr_deal *d, struct kr_json *j)
{
	const char	*fps[KR_CUSTODIANS_MAX];
	size_t		 i;

	if (d->n == 0)
		return;
	kr_json_int(j, "share_format", d->share_format == 1 ? 1 : 2);
	if (d->share_format == 1)
		return;
	for (i = 0; i < d->n; i++)
		fps[i] = d->approval_fp[i];
	kr_json_str_array(j, "approval_key_fingerprints", fps, d->n);
}

/* The share files, in the journal the caller writes before staging. */
int
kr_deal_journal(const struct kr_deal *d, struct kr_journal *j,
    struct kr_err *err)
{
	char	dir[PATH_MAX];
	size_t	i;
	int	ret = KR_OK;

	if (d->n == 0)
		return KR_OK;
	if (realpath(d->share_dir, dir) == NULL)
		return kr_err_set(err, KR_ESTATE, "cannot resolve the share "
		    "folder %s: %s", d->share_dir, strerror(errno));
	(void)snprintf(j->share_dir, sizeof(j->share_dir), "%s", dir);
	for (i = 0; i < d->n && ret == KR_OK; i++) {
		j->x[i] = d->xs[i];
		ret = kr_keygen_share_path(d->share_dir, d->custodians[i],
		    d->key, NULL, j->share[i], sizeof(j->share[i]), err);
	}
	j->n = d->n;
	return ret;
}

/* Every share file under a temporary name, synced, before the commit. */
int
kr_deal_stage(struct kr_deal *d, struct kr_err *err)
{
	size_t	i;
	int	ret;

	for (i = 0; i < d->n; i++)
		if ((ret = kr_media_stage(KR_ART_SHARE_FILE, d->paths[i],
		    d->files[i], d->file_lens[i], &d->tmps[i], err)) != KR_OK)
			return ret;
	return KR_OK;
}

/* After the commit: each share file gets its name. */
int
kr_deal_place(struct kr_deal *d, struct kr_err *err)
{
	size_t	i;
	int	ret;

	for (i = 0; i < d->n; i++) {
		if ((ret = kr_media_place(d->tmps[i], d->paths[i], err)) !=
		    KR_OK)
			return ret;
		free(d->tmps[i]);
		d->tmps[i] = NULL;
	}
	return KR_OK;
}

/* Nothing was recorded: the staged share files go. */
void
kr_deal_unstage(struct kr_deal *d)
{
	size_t	i;

	for (i = 0; i < KR_CUSTODIANS_MAX; i++) {
		if (d->tmps[i] != NULL)
			kr_media_unstage(d->tmps[i]);
		free(d->tmps[i]);
		d->tmps[i] = NULL;
	}
}

void
kr_deal_free(struct kr_deal *d)
{
	size_t	i;

	for (i = 0; i < KR_CUSTODIANS_MAX; i++) {
		kr_secure_free(d->pass[i]);
		d->pass[i] = NULL;
		free(d->files[i]);
		d->files[i] = NULL;
		free(d->paths[i]);
		d->paths[i] = NULL;
		/* Left only when recorded: the journal finishes them. */
		free(d->tmps[i]);
		d->tmps[i] = NULL;
	}
	kr_secure_free(d->ys);
	d->ys = NULL;
	kr_dealer_free(&d->dealer);
	kr_wipe(d->xs, sizeof(d->xs));
}
