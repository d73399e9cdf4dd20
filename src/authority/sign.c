/*
 * sign firmware | sign batch: firmware and OTA images.
 *
 * check every item (purpose firmware, inputs, outputs, certificate) ->
 * one quorum unlock -> per image: sign (the format layer verifies the
 * signature with the key) -> record the signature and its audit row in
 * one transaction -> write the output.  The unlocked key is wiped when
 * the batch ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "authority_int.h"

#define KR_SIGN_CERT_MAX	(64 * 1024)

struct kr_sign {
	struct kr_appliance		*app;
	const struct kr_sign_req	*req;
	struct kr_sign_result		*res;
	struct kr_key_rec		 k;
	uint8_t				*cert;
	size_t				 cert_len;
	uint8_t				*chain;
	size_t				 chain_len;
	char				 batch[33];
	char				 approvers[1024];
	struct kr_media_plan		 plan;
	const char			*names[KR_CUSTODIANS_MAX];
	size_t				 nnames;
	struct stat			*shown;	/* each image as shown */
	uint8_t				*digests;	/* its SHA-256, approved */
	struct kr_intake_memo		 intake;	/* images imported */
};

static bool
kr_sign_needs_cert(enum kr_fw_format f)
{
	return f == KR_FW_CMS || f == KR_FW_RAUC;
}

static int
kr_sign_load_key(struct kr_sign *sg, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_store_key_get(sg->app->store, sg->req->key, &sg->k,
	    err)) != KR_OK)
		return ret;
	if (strcmp(sg->k.state, "active") != 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s' is %s: it signs "
		    "nothing more", sg->k.name, sg->k.state);
	if (strcmp(sg->k.purpose, "firmware") != 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has purpose %s: "
		    "only keys of purpose firmware sign firmware and OTA "
		    "images", sg->k.name, sg->k.purpose);
	return KR_OK;
}

/* The signer certificate must carry this key. */
static int
kr_sign_load_cert(struct kr_sign *sg, struct kr_err *err)
{
	struct kr_cert	*c = NULL;
	int		 ret;

	if (sg->req->cert_path == NULL)
		return KR_OK;
	if ((ret = kr_file_read(sg->req->cert_path, KR_SIGN_CERT_MAX, false,
	    &sg->cert, &sg->cert_len, err)) != KR_OK ||
	    (ret = kr_cert_parse(sg->req->cert_path, sg->cert, sg->cert_len,
	    &c, err)) != KR_OK)
		return ret;
	if (c->f.spki_len != sg->k.spki_len ||
	    memcmp(c->f.spki, sg->k.spki, sg->k.spki_len) != 0)
		ret = kr_err_set(err, KR_EREFUSED, "%s is not a certificate "
		    "for key '%s': its public key is another one",
		    sg->req->cert_path, sg->k.name);
	else
		ret = kr_signer_cert_check(sg->app, c, sg->req->cert_path,
		    kr_time_now(), err);
	kr_cert_free(&c);
	if (ret != KR_OK || sg->req->chain_path == NULL)
		return ret;
	return kr_file_read(sg->req->chain_path, KR_FW_CHAIN_FILE_MAX, false,
	    &sg->chain, &sg->chain_len, err);
}

/*
 * Every output is checked (folder, room, not in the state folder, not
 * there yet) before the quorum is asked, so no image is recorded and then
 * left unwritten for want of a folder.
 */
/*
 * The format's own checks with the key's public half only (kr_fw_check_
 * file): a minisign image for a P-256 key, a RAUC input that is no
 * squashfs, an MCUboot image too big for its slot are refused before
 * the quorum is asked, not half way through a batch.
 */
static int
kr_sign_format_check(struct kr_sign *sg, const struct kr_fw_opts *o,
    const char *path, struct kr_err *err)
{
	struct kr_signer	pub;
	enum kr_key_alg		alg;

	if (kr_key_alg_from_name(sg->k.alg, &alg) != KR_OK)
		return kr_err_set(err, KR_EINTERNAL, "key '%s' has an unknown "
		    "algorithm '%s' (bug: report it)", sg->k.name, sg->k.alg);
	kr_signer_public(&pub, sg->k.name, sg->k.id, alg, KR_PURPOSE_FIRMWARE,
	    sg->k.spki, sg->k.spki_len);
	return kr_fw_check_file(&pub, o, path, err);
}

static int
kr_sign_check_item(struct kr_sign *sg, size_t i, struct kr_err *err)
{
	const struct kr_sign_item	*it = &sg->req->items[i];
	struct kr_fw_opts		 o = it->opts;
	struct stat			 st;
	size_t				 j;
	int				 ret;

	if (stat(it->in_path, &st) != 0 || !S_ISREG(st.st_mode))
		return kr_err_set(err, KR_EINPUT, "image %s is missing or not "
		    "a regular file", it->in_path);
	if (st.st_size == 0)
		return kr_err_set(err, KR_EINPUT, "image %s is empty",
		    it->in_path);
	for (j = 0; j < i; j++)
		if (strcmp(sg->req->items[j].out_path, it->out_path) == 0)
			return kr_err_set(err, KR_EINPUT, "two images would be "
			    "written to %s", it->out_path);
	if (kr_sign_needs_cert(it->opts.format)) {
		if (sg->cert == NULL)
			return kr_err_set(err, KR_EUSAGE, "%s: the %s format "
			    "needs the signer certificate (--cert)",
			    it->in_path, kr_fw_format_name(it->opts.format));
	}
	o.cert = sg->cert;
	o.cert_len = sg->cert_len;
	o.chain = sg->chain;
	o.chain_len = sg->chain_len;
	/* What signing it would refuse, refused now: before the unlock. */
	if ((ret = kr_sign_format_check(sg, &o, it->in_path, err)) != KR_OK) {
		if (sg->req->nitems > 1)
			(void)kr_err_prefix(err, "image %zu of %zu (%s), "
			    "nothing signed: ", i + 1, sg->req->nitems,
			    it->in_path);
		return ret;
	}
	return kr_media_plan_add(&sg->plan, o.format == KR_FW_MCUBOOT ||
	    o.format == KR_FW_RAUC ? KR_ART_SIGNED_IMAGE : KR_ART_SIGNATURE,
	    it->out_path, kr_fw_output_bound(&o, (uint64_t)st.st_size), err);
}

/* What the output adds to the image, kept so it can be written again. */
static int
kr_sign_keep(const struct kr_fw_result *fr, struct kr_signature_rec *r,
    struct kr_err *err)
{
	struct kr_hash	h;
	uint8_t		dig[32];

	r->out_head = fr->head;
	r->out_head_len = fr->head_len;
	r->out_tail = fr->tail;
	r->out_tail_len = fr->tail_len;
	r->out_img_off = (int64_t)fr->img_off;
	r->out_copy_off = (int64_t)fr->copy_off;
	r->out_copy_len = (int64_t)fr->copy_len;
	if (kr_hash_init(&h, KR_HASH_SHA256) != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "cannot hash a signature");
	if (fr->head_len > 0)
		kr_hash_update(&h, fr->head, fr->head_len);
	if (fr->tail_len > 0)
		kr_hash_update(&h, fr->tail, fr->tail_len);
	kr_hash_final(&h, dig);
	kr_hex_encode(r->kept_sha256, dig, sizeof(dig));
	return KR_OK;
}

static int
kr_sign_record(struct kr_sign *sg, const struct kr_sign_item *it,
    const struct kr_fw_result *fr, struct kr_sign_item_result *ir,
    struct kr_err *err)
{
	struct kr_signature_rec	 r;
	struct kr_json		 j;
	char			 sighex[2 * KR_SIG_MAX_BYTES + 1];
	int			 ret;

	memset(&r, 0, sizeof(r));
	if ((ret = kr_sign_keep(fr, &r, err)) != KR_OK)
		return ret;
	memcpy(r.key_id, sg->k.id, sizeof(r.key_id));
	(void)snprintf(r.image_name, sizeof(r.image_name), "%s", fr->image_name);
	r.image_size = (int64_t)fr->img_len;
	(void)snprintf(r.digest_alg, sizeof(r.digest_alg), "%s",
	    kr_hash_name(fr->digest_alg));
	kr_hex_encode(r.digest, fr->digest, fr->digest_len);
	(void)snprintf(r.format, sizeof(r.format), "%s",
	    kr_fw_format_name(fr->format));
	(void)snprintf(r.output, sizeof(r.output), "%s", it->out_path);
	kr_hex_encode(sighex, fr->sig, fr->sig_len);
	(void)snprintf(r.signature, sizeof(r.signature), "%.1024s", sighex);
	kr_hex_encode(r.cert_serial, fr->cert_serial, fr->cert_serial_len);
	(void)snprintf(r.manifest_entry, sizeof(r.manifest_entry), "%s",
	    it->entry);
	(void)snprintf(r.batch, sizeof(r.batch), "%s", sg->batch);
	r.created = kr_time_now();
	kr_json_begin(&j);
	kr_json_str(&j, "key", sg->k.name);
	kr_json_str(&j, "image", r.image_name);
	kr_json_int(&j, "size", r.image_size);
	kr_json_str(&j, "digest_alg", r.digest_alg);
	kr_json_str(&j, "digest", r.digest);
	kr_json_str(&j, "format", r.format);
	kr_json_str(&j, "output", r.output);
	kr_json_str(&j, "signer_cert_serial", r.cert_serial);
	kr_json_str(&j, "manifest_entry", r.manifest_entry);
	kr_json_str(&j, "batch", r.batch);
	kr_json_str(&j, "kept_sha256", r.kept_sha256);
	kr_json_hex(&j, "input_sha256", sg->digests + (size_t)(it -
	    sg->req->items) * 32, 32);
	kr_json_str_array(&j, "approved_by", sg->names, sg->nnames);
	kr_approvals_json(&j, sg->res->quorum, (size_t)(it - sg->req->items));
	kr_json_str(&j, "operator", sg->req->actor);
	if ((ret = kr_store_begin(sg->app->store, err)) == KR_OK) {
		if ((ret = kr_store_signature_insert(sg->app->store, &r,
		    &ir->signature_id, err)) != KR_OK ||
		    (ret = kr_audit_record(sg->app, sg->approvers[0] != '\0' ?
		    sg->approvers : sg->req->actor, sg->batch[0] != '\0' ?
		    "sign.batch" : "sign.firmware", kr_json_end(&j),
		    &ir->audit_seq, err)) != KR_OK ||
		    (ret = kr_store_commit(sg->app->store, err)) != KR_OK)
			kr_store_rollback(sg->app->store);
	}
	kr_json_free(&j);
	(void)snprintf(ir->image, sizeof(ir->image), "%s", r.image_name);
	ir->size = fr->img_len;
	(void)snprintf(ir->digest_alg, sizeof(ir->digest_alg), "%s",
	    r.digest_alg);
	(void)snprintf(ir->digest, sizeof(ir->digest), "%s", r.digest);
	(void)snprintf(ir->format, sizeof(ir->format), "%s", r.format);
	(void)snprintf(ir->output, sizeof(ir->output), "%s", r.output);
	return ret;
}

/*
 * Every output goes through media/: a detached signature as one buffer,
 * an image (or anything with a tail) streamed from firmware/ into a
 * media stream, which scans and writes it atomically.
 */
int
kr_sign_output_write(const struct kr_fw_result *fr, const char *in,
    const char *out, kr_fw_progress_fn *progress, void *arg,
    struct kr_err *err)
{
	struct kr_media_stream	ms;
	struct kr_fw_output	dst = { kr_media_stream_put, &ms };
	int			ret;

	if (fr->copy_len == 0 && fr->tail_len == 0)
		return kr_media_write(KR_ART_SIGNATURE, out, fr->head,
		    fr->head_len, KR_FILE_NOREPLACE, err);
	if ((ret = kr_media_stream_open(&ms, fr->copy_len > 0 ?
	    KR_ART_SIGNED_IMAGE : KR_ART_SIGNATURE, out, KR_FILE_NOREPLACE,
	    err)) != KR_OK)
		return ret;
	if ((ret = kr_fw_write(fr, in, &dst, progress, arg, err)) != KR_OK) {
		kr_media_stream_abort(&ms);
		return ret;
	}
	return kr_media_stream_commit(&ms, err);
}

static int
kr_sign_write(struct kr_sign *sg, const struct kr_sign_item *it,
    const struct kr_fw_result *fr, const struct kr_sign_item_result *ir,
    struct kr_err *err)
{
	int	ret;

	if ((ret = kr_sign_output_write(fr, it->in_path, it->out_path,
	    sg->req->progress, sg->req->progress_arg, err)) == KR_OK)
		return KR_OK;
	return kr_out_failed(err, "%s was signed and recorded as signature "
	    "%lld (audit entry %lld) but not written. Write it again with "
	    "`keyrite -C %s sign show %lld --out %s%s%s`.", it->in_path,
	    (long long)ir->signature_id, (long long)ir->audit_seq,
	    sg->app->dir, (long long)ir->signature_id, it->out_path,
	    fr->copy_len > 0 ? " --in " : "", fr->copy_len > 0 ? it->in_path :
	    "");
}

/* An image's SHA-256 as it is shown for approval, and its file's stat. */
/* Is the image still the file that was shown (same inode, size, times)? */
static int
kr_sign_same_image(const struct kr_sign *sg, size_t i, struct kr_err *err)
{
	const struct stat	*a = &sg->shown[i];
	struct stat		 b;

	if (stat(sg->req->items[i].in_path, &b) != 0 ||
	    a->st_dev != b.st_dev || a->st_ino != b.st_ino ||
	    a->st_size != b.st_size ||
	    a->st_mtim.tv_sec != b.st_mtim.tv_sec ||
	    a->st_mtim.tv_nsec != b.st_mtim.tv_nsec ||
	    a->st_ctim.tv_sec != b.st_ctim.tv_sec ||
	    a->st_ctim.tv_nsec != b.st_ctim.tv_nsec)
		return kr_err_set(err, KR_EREFUSED, "image %s changed after it "
		    "was shown for approval: its signature was not recorded",
		    sg->req->items[i].in_path);
	return KR_OK;
}

/* See, then approve: each image with its size and SHA-256. */
static int
kr_sign_preview(struct kr_sign *sg, struct kr_preview *pv,
    struct kr_err *err)
{
	const struct kr_sign_item	*it;
	uint8_t				*dig;
	size_t				 i;
	int				 ret;

	/* Each image's SHA-256, shown here, is what the custodians sign. */
	if ((sg->shown = calloc(sg->req->nitems, sizeof(*sg->shown))) == NULL ||
	    (sg->digests = calloc(sg->req->nitems, 32)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	kr_preview_init(pv, "%zu image%s to be signed by key '%s'%s%s",
	    sg->req->nitems, sg->req->nitems == 1 ? "" : "s", sg->k.name,
	    sg->req->batch_name != NULL ? ", batch " : "",
	    sg->req->batch_name != NULL ? sg->req->batch_name : "");
	kr_preview_text(pv, "signed with", "key '%s' (%s)%s%s", sg->k.name,
	    sg->k.alg, sg->req->cert_path != NULL ? ", certificate " : "",
	    sg->req->cert_path != NULL ? sg->req->cert_path : "");
	for (i = 0; i < sg->req->nitems; i++) {
		it = &sg->req->items[i];
		dig = sg->digests + i * 32;
		if ((ret = kr_hash_file(it->in_path, KR_HASH_SHA256, dig,
		    &sg->shown[i], err)) != KR_OK ||
		    (ret = kr_intake_image_check(sg->app, it->in_path, dig,
		    &sg->intake, err)) != KR_OK)
			return ret;
		kr_preview_head(pv, "image %zu of %zu: %s", i + 1,
		    sg->req->nitems, it->in_path);
		kr_preview_text(pv, "size", "%lld bytes",
		    (long long)sg->shown[i].st_size);
		kr_preview_hash(pv, "SHA-256", dig, 32);
		kr_preview_text(pv, "format", "%s",
		    kr_fw_format_name(it->opts.format));
		kr_preview_text(pv, "output", "%s", it->out_path);
	}
	return KR_OK;
}

static int
kr_sign_confirm(struct kr_sign *sg, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	struct kr_preview	pv;
	int			ret;

	memset(&pv, 0, sizeof(pv));
	if ((ret = kr_sign_preview(sg, &pv, err)) == KR_OK)
		ret = kr_preview_confirm(src, &pv, true, err);
	kr_preview_free(&pv);
	return ret;
}

static int
kr_sign_one(struct kr_sign *sg, struct kr_signer *s, size_t i,
    struct kr_err *err)
{
	const struct kr_sign_item	*it = &sg->req->items[i];
	struct kr_sign_item_result	*ir = &sg->res->items[i];
	struct kr_fw_result		*fr = NULL;
	struct kr_fw_opts		 o = it->opts;
	int				 ret;

	o.cert = sg->cert;
	o.cert_len = sg->cert_len;
	o.chain = sg->chain;
	o.chain_len = sg->chain_len;
	o.progress = sg->req->progress;
	o.progress_arg = sg->req->progress_arg;
	if ((ret = kr_fw_sign_file(s, &o, it->in_path, &fr, err)) == KR_OK &&
	    (ret = kr_sign_same_image(sg, i, err)) == KR_OK &&
	    (ret = kr_sign_record(sg, it, fr, ir, err)) == KR_OK)
		ret = kr_sign_write(sg, it, fr, ir, err);
	kr_fw_result_free(&fr);
	ir->code = ret;
	if (ret != KR_OK)
		(void)snprintf(ir->msg, sizeof(ir->msg), "%s", err->msg);
	return ret;
}

static int
kr_sign_run(struct kr_sign *sg, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	struct kr_approval_subject	 sub = { .op = NULL };
	struct kr_signer	*s = NULL;
	uint8_t			 id[16];
	size_t			 i;
	int			 ret;

	if ((ret = kr_sign_load_key(sg, err)) != KR_OK)
		return ret;
	for (i = 0; i < sg->req->nitems; i++)
		if (kr_sign_needs_cert(sg->req->items[i].opts.format) &&
		    strcmp(sg->k.alg, "ed25519") == 0)
			return kr_err_set(err, KR_EREFUSED, "%s: Ed25519 is "
			    "refused for CMS-based formats (cms, rauc): Debian "
			    "12's OpenSSL and RAUC cannot verify it; sign with "
			    "an ECDSA or RSA firmware key",
			    sg->req->items[i].in_path);
	/* The signer certificate first, so a revoked one is named as such. */
	if ((ret = kr_sign_load_cert(sg, err)) != KR_OK ||
	    (ret = kr_key_standing_check(sg->app, &sg->k, KR_USE_FIRMWARE,
	    err)) != KR_OK ||
	    (ret = kr_media_plan_init(&sg->plan, sg->app->dir, err)) != KR_OK)
		return ret;
	/* A manifest from the intake: its folder is no place for outputs. */
	if (sg->req->beside != NULL && (ret = kr_media_plan_dir(&sg->plan,
	    sg->req->beside, "the manifest's folder, where the outputs go "
	    "unless --out-dir DIR is given,", err)) != KR_OK)
		return ret;
	for (i = 0; i < sg->req->nitems; i++)
		if ((ret = kr_sign_check_item(sg, i, err)) != KR_OK)
			return ret;
	if (sg->req->batch_name != NULL) {
		kr_random(id, sizeof(id));
		kr_hex_encode(sg->batch, id, sizeof(id));
	}
	if ((ret = kr_sign_confirm(sg, src, err)) != KR_OK)
		return ret;
	/* The custodians approve the digests they were shown. */
	sub.op = sg->batch[0] != '\0' ? "sign.batch" : "sign.firmware";
	sub.digests = sg->digests;
	sub.n = sg->req->nitems;
	if ((ret = kr_authority_unlock_report(sg->app, sg->k.name,
	    sg->req->shares, sg->req->nshares, src, &sub, &sg->res->quorum, &s,
	    err)) != KR_OK)
		return ret;
	kr_quorum_approvers(sg->res->quorum, sg->names, &sg->nnames,
	    sg->approvers, sizeof(sg->approvers));
	if ((ret = kr_signer_require_purpose(s, KR_PURPOSE_FIRMWARE, err)) ==
	    KR_OK)
		for (i = 0; i < sg->req->nitems && ret == KR_OK; i++)
			if ((ret = kr_sign_one(sg, s, i, err)) == KR_OK)
				sg->res->done++;
	/* The unlocked key is wiped when the batch ends. */
	kr_signer_free(&s);
	if (ret != KR_OK && sg->req->nitems > 1)
		(void)kr_err_prefix(err, "image %zu of %zu (%s) failed; the %zu "
		    "before it are signed, recorded and written: ",
		    sg->res->done + 1, sg->req->nitems,
		    sg->req->items[sg->res->done].in_path, sg->res->done);
	return ret;
}

int
kr_authority_sign(struct kr_appliance *app, const struct kr_sign_req *req,
    const struct kr_passphrase_source *src, struct kr_sign_result *res,
    struct kr_err *err)
{
	struct kr_sign	*sg;
	int		 ret;

	res->done = 0;
	res->quorum = NULL;
	if (req->nitems == 0)
		return kr_err_set(err, KR_EUSAGE, "nothing to sign");
	if ((sg = calloc(1, sizeof(*sg))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	sg->app = app;
	sg->req = req;
	sg->res = res;
	ret = kr_sign_run(sg, src, err);
	free(sg->cert);
	free(sg->chain);
	free(sg->digests);
	free(sg->shown);
	kr_intake_memo_free(&sg->intake);
	free(sg);
	return ret;
}

void
kr_sign_result_free(struct kr_sign_result *res)
{
	if (res != NULL)
		kr_quorum_report_free(&res->quorum);
}

int
kr_authority_export_public(struct kr_appliance *app, const char *name,
    const char *format, char **out, struct kr_err *err)
{
	struct kr_key_rec	k;
	int			ret;

	*out = NULL;
	/* Its output becomes devices' trust anchors: only a proven record. */
	if (app->replay.damaged)
		return kr_err_set(err, KR_EVERIFY, "the records of %s do not "
		    "match its audit chain, so the public key of '%s' cannot be "
		    "vouched for: nothing was exported. `keyrite audit verify` "
		    "names the rows", app->dir, name);
	if ((ret = kr_store_key_get(app->store, name, &k, err)) != KR_OK)
		return ret;
	if (strcmp(format, "pem") == 0) {
		if ((*out = kr_pem_encode("PUBLIC KEY", k.spki, k.spki_len)) ==
		    NULL)
			return kr_err_set(err, KR_ENOMEM, "out of memory");
		return KR_OK;
	}
	if (strcmp(format, "minisign") == 0) {
		if (strcmp(k.alg, "ed25519") != 0)
			return kr_err_set(err, KR_EREFUSED, "minisign public keys "
			    "are Ed25519; key '%s' is %s", name, k.alg);
		return kr_minisign_pubkey(k.id, k.spki, k.spki_len, out, err);
	}
	if (strcmp(format, "mcuboot-c") == 0)
		return kr_mcuboot_pubkey_c(k.spki, k.spki_len, out, err);
	return kr_err_set(err, KR_EUSAGE, "unknown format '%s': use pem, "
	    "minisign or mcuboot-c", format);
}
