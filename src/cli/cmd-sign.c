/*
 * keyrite sign firmware | sign batch | sign show
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define CMD_PROGRESS_MIN	(64ULL * 1024 * 1024)

/* Bytes and rate on stderr, for large images, when it is a terminal. */
void
cmd_sign_progress(void *arg, uint64_t done, uint64_t total)
{
	struct cmd_progress	*p = arg;
	struct timespec		 now;
	double			 secs;
	char			 name[256];

	if (total < CMD_PROGRESS_MIN || !isatty(STDERR_FILENO))
		return;
	if (!p->shown) {
		(void)clock_gettime(CLOCK_MONOTONIC, &p->start);
		p->shown = true;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - p->start.tv_sec) +
	    (double)(now.tv_nsec - p->start.tv_nsec) / 1e9;
	(void)fprintf(stderr, "\r  %s: %llu of %llu MiB (%.0f MiB/s)%s",
	    kr_text_escape_str(name, sizeof(name),
	    p->name != NULL ? p->name : "image", 0),
	    (unsigned long long)(done >> 20), (unsigned long long)(total >> 20),
	    secs > 0 ? (double)(done >> 20) / secs : 0.0,
	    done == total ? "\n" : "");
}

static void
cmd_sign_table(struct cmd_ctx *ctx, const struct kr_sign_req *req,
    const struct kr_sign_result *res)
{
	const struct kr_sign_item_result	*r;
	size_t					 i;

	cmd_printf(ctx, "%-24s %12s  %-8s %-8s %s\n", "IMAGE", "SIZE",
	    "FORMAT", "STATUS", "DIGEST / OUTPUT");
	for (i = 0; i < req->nitems; i++) {
		r = &res->items[i];
		if (i < res->done)
			cmd_printf(ctx, "%-24.24s %12llu  %-8s %-8s %s:%.16s... "
			    "%s (signature %lld)\n", r->image,
			    (unsigned long long)r->size, r->format, "signed",
			    r->digest_alg, r->digest, r->output,
			    (long long)r->signature_id);
		else
			cmd_printf(ctx, "%-24.24s %12s  %-8s %-8s %s\n",
			    req->items[i].in_path, "-",
			    kr_fw_format_name(req->items[i].opts.format),
			    i == res->done ? "FAILED" : "not done",
			    i == res->done ? r->msg : "");
	}
}

static int
cmd_sign_run(struct cmd_ctx *ctx, struct kr_sign_req *req)
{
	struct kr_sign_result	res;
	struct cmd_progress	prog = { NULL, { 0, 0 }, false };
	int			ret;

	req->shares = ctx->q.shares;
	req->nshares = ctx->q.n;
	memset(&res, 0, sizeof(res));
	if ((res.items = calloc(req->nitems, sizeof(*res.items))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	req->actor = ctx->actor;
	req->progress = cmd_sign_progress;
	req->progress_arg = &prog;
	ret = kr_authority_sign(ctx->app, req, &ctx->src, &res, &ctx->err);
	cmd_quorum_table(ctx, res.quorum);
	if (ret == KR_OK || res.done > 0 || res.items[0].code != KR_OK)
		cmd_sign_table(ctx, req, &res);
	if (ret == KR_OK)
		cmd_printf(ctx, "Signed %zu image%s with key '%s'; each is "
		    "recorded with its audit entry.\n", res.done,
		    res.done == 1 ? "" : "s", req->key);
	cmd_note_kdf_profile(ctx);
	kr_sign_result_free(&res);
	free(res.items);
	return ret;
}

struct cmd_fw_opts {
	struct kr_sign_req	req;
	struct kr_sign_item	it;
	bool			rsa_pss;
};

static int
cmd_fw_opt_format(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct cmd_fw_opts	*o = opts;

	if (kr_fw_format_from_name(arg, &o->it.opts.format) != KR_OK)
		return cmd_usage_error(ctx, "unknown format '%s': use raw, "
		    "minisign, mcuboot, rauc or cms", arg);
	return KR_OK;
}

static int
cmd_fw_opt_counter(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct cmd_fw_opts	*o = opts;
	struct kr_mcuboot_opts	*m = &o->it.opts.mcuboot;

	m->has_security_counter = true;
	return cmd_parse_size(ctx, "--security-counter", arg,
	    &m->security_counter);
}

#define CMD_FW_MCUBOOT(n, m)						\
	CMD_ROW_SIZE((n), struct cmd_fw_opts, it.opts.mcuboot.m)

static const struct cmd_opt cmd_fw_options[] = {
	CMD_ROW_STR("key", struct cmd_fw_opts, req.key),
	CMD_ROW_CALL("format", cmd_fw_opt_format),
	CMD_ROW_STR("in", struct cmd_fw_opts, it.in_path),
	CMD_ROW_STR("out", struct cmd_fw_opts, it.out_path),
	CMD_ROW_STR("cert", struct cmd_fw_opts, req.cert_path),
	CMD_ROW_STR("chain", struct cmd_fw_opts, req.chain_path),
	CMD_ROW_STR("version", struct cmd_fw_opts, it.opts.version),
	CMD_ROW_STR("name", struct cmd_fw_opts, it.opts.image_name),
	CMD_FW_MCUBOOT("header-size", header_size),
	CMD_ROW_FLAG("pad-header", struct cmd_fw_opts,
	    it.opts.mcuboot.pad_header),
	CMD_FW_MCUBOOT("align", align),
	CMD_FW_MCUBOOT("slot-size", slot_size),
	CMD_FW_MCUBOOT("load-addr", load_addr),
	CMD_ROW_CALL("security-counter", cmd_fw_opt_counter),
	CMD_ROW_FLAG("rsa-pss", struct cmd_fw_opts, rsa_pss),
	CMD_ROW_END
};

static int
cmd_sign_firmware_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_fw_opts	*o = opts;

	if (argc != 0 || o->req.key == NULL || o->it.opts.format == 0 ||
	    o->it.in_path == NULL || o->it.out_path == NULL)
		return cmd_usage_error(ctx, "--key, --format, --in and --out are "
		    "required");
	if (o->rsa_pss)
		o->it.opts.sig_alg = KR_SIG_RSA_PSS_SHA256;
	o->req.items = &o->it;
	o->req.nitems = 1;
	return cmd_sign_run(ctx, &o->req);
}

const struct cmd_entry cmd_sign_firmware_entry = {
	.name = "sign firmware",
	.usage = "--key NAME --format raw|minisign|mcuboot|rauc|cms --in IMAGE "
	    "--out FILE [--cert FILE] [--chain FILE] [--version V] [format "
	    "options] --share FILE... [--passphrase-fd N] [--yes]",
	.summary = "sign one firmware or OTA image with a key of purpose firmware",
	.help =
	    "  --key NAME          a key of purpose firmware\n"
	    "  --format F          raw, minisign, mcuboot, rauc or cms\n"
	    "                      (docs/firmware-formats.md)\n"
	    "  --in IMAGE --out FILE\n"
	    "  --cert FILE         the signer certificate (cms, rauc)\n"
	    "  --chain FILE        certificates up to, not including, the root\n"
	    "  --version V         minisign trusted comment; MCUboot 1.2.3+4\n"
	    "  --name NAME         the image name in records and comments\n"
	    "  --header-size N --pad-header --align N --slot-size N\n"
	    "  --load-addr N --security-counter N    MCUboot options; sizes,\n"
	    "                      addresses and the counter decimal or 0x hex\n"
	    "  --rsa-pss           RSASSA-PSS for an RSA key (raw, cms)\n"
	    "  --share FILE        a custodian's share, once per custodian\n"
	    "  --passphrase-fd N   one passphrase line per --share, in order\n"
	    "  --yes               do not ask `Proceed? [y/N]` at a terminal\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM,
	.opts = cmd_fw_options,
	.opts_size = sizeof(struct cmd_fw_opts),
	.exec = cmd_sign_firmware_exec,
};

struct cmd_batch_opts {
	const char	*out_dir;
};

static const struct cmd_opt cmd_batch_options[] = {
	CMD_ROW_STR("out-dir", struct cmd_batch_opts, out_dir),
	CMD_ROW_END
};

static int
cmd_sign_batch_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_batch_opts	*o = opts;
	struct kr_manifest	 m;
	struct kr_sign_req	 req;
	int			 ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "give one manifest");
	if ((ret = kr_manifest_load(argv[0], o->out_dir, &m, &ctx->err)) !=
	    KR_OK)
		return ret;
	kr_manifest_sign_req(&m, argv[0], &req);
	ret = cmd_sign_run(ctx, &req);
	kr_manifest_free(&m);
	return ret;
}

const struct cmd_entry cmd_sign_batch_entry = {
	.name = "sign batch",
	.usage = "MANIFEST [--out-dir DIR] --share FILE... [--passphrase-fd N]"
	    " [--yes]",
	.summary = "sign every image a manifest lists, with one quorum unlock",
	.help =
	    "  MANIFEST            YAML (docs/ota-signing.md): key, cert, chain\n"
	    "                      and images (file, format, output, version,\n"
	    "                      name, mcuboot options); unknown keys are errors\n"
	    "  --out-dir DIR       where outputs go (default: beside the manifest)\n"
	    "  --share FILE        a custodian's share, once per custodian\n"
	    "  --passphrase-fd N   one passphrase line per --share, in order\n"
	    "  --yes               do not ask `Proceed? [y/N]` at a terminal\n",
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM,
	.opts = cmd_batch_options,
	.opts_size = sizeof(struct cmd_batch_opts),
	.exec = cmd_sign_batch_exec,
};

static int
cmd_sign_show_rec(struct cmd_ctx *ctx, const struct kr_signature_rec *r)
{
	char	key[KR_STORE_NAME_MAX + 1], when[KR_TIME_STR_BYTES];
	int	ret;

	if ((ret = kr_store_key_name(kr_appliance_store(ctx->app), r->key_id,
	    key, sizeof(key), &ctx->err)) == KR_ENOENT)
		(void)snprintf(key, sizeof(key), "(unknown key)");
	else if (ret != KR_OK)
		return ret;
	kr_time_format(r->created, when);
	cmd_printf(ctx, "signature:   %lld\nkey:         %s\nimage:       %s "
	    "(%lld bytes)\ndigest:      %s:%s\nformat:      %s\n"
	    "written to:  %s\nsigned:      %s\n", (long long)r->id, key,
	    r->image_name, (long long)r->image_size, r->digest_alg, r->digest,
	    r->format, r->output, when);
	if (r->cert_serial[0] != '\0')
		cmd_printf(ctx, "signer cert: %s\n", r->cert_serial);
	if (r->batch[0] != '\0')
		cmd_printf(ctx, "batch:       %s (%s)\n", r->batch,
		    r->manifest_entry);
	if (r->kept_sha256[0] == '\0')
		cmd_printf(ctx, "kept:        nothing (recorded before keyrite "
		    "kept released bytes): cannot be written again\n");
	else
		cmd_printf(ctx, "kept:        %s%zu bytes, SHA-256 %s\n",
		    r->out_copy_len > 0 ? "header and trailer (the image is "
		    "given again with --in), " : "the whole file, ",
		    r->out_head_len + r->out_tail_len, r->kept_sha256);
	return KR_OK;
}

struct cmd_sign_show_opts {
	const char	*out;
	const char	*in;
};

static const struct cmd_opt cmd_sign_show_options[] = {
	CMD_ROW_STR("out", struct cmd_sign_show_opts, out),
	CMD_ROW_STR("in", struct cmd_sign_show_opts, in),
	CMD_ROW_END
};

static int
cmd_sign_show_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_sign_show_opts	*o = opts;
	struct kr_signature_rec		*r;
	unsigned			 id;
	int				 ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "give one signature id");
	if (o->in != NULL && o->out == NULL)
		return cmd_usage_error(ctx, "--in goes with --out FILE");
	if ((ret = cmd_parse_uint(ctx, "the signature id", argv[0], 1,
	    0x7fffffffU, &id)) != KR_OK)
		return ret;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	ret = kr_store_signature_get(kr_appliance_store(ctx->app), id, r,
	    &ctx->err);
	if (ret == KR_ENOENT)
		ret = kr_err_set(&ctx->err, KR_ENOENT, "no signature %u is "
		    "recorded", id);
	if (ret == KR_OK)
		ret = cmd_sign_show_rec(ctx, r);
	kr_store_signature_clear(r);
	free(r);
	if (ret != KR_OK || o->out == NULL)
		return ret;
	if ((ret = kr_authority_sign_release(ctx->app, id, o->in, o->out,
	    &ctx->err)) == KR_OK)
		cmd_printf(ctx, "Wrote signature %u again to %s (the kept bytes' "
		    "SHA-256 checked%s).\n", id, o->out, o->in != NULL ?
		    ", and the image's digest" : "");
	return ret;
}

const struct cmd_entry cmd_sign_show_entry = {
	.name = "sign show",
	.usage = "ID [--out FILE [--in IMAGE]]",
	.summary = "show a recorded firmware signature (and write it again)",
	.help = "  ID           the signature's id (`sign firmware` and `sign\n"
	    "               batch` print it)\n"
	    "  --out FILE   write the signature's output again, byte for byte:\n"
	    "               raw, minisign and cms files are kept whole (their\n"
	    "               SHA-256 checked); FILE is checked as every output is\n"
	    "  --in IMAGE   mcuboot and rauc: the image that was signed; its\n"
	    "               digest must be the recorded one\n",
	.flags = CMD_STATE,
	.opts = cmd_sign_show_options,
	.opts_size = sizeof(struct cmd_sign_show_opts),
	.exec = cmd_sign_show_exec,
};
