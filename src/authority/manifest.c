/*
 * Batch manifests for `sign batch` (docs/ota-signing.md): strict YAML,
 * unknown keys are errors, paths relative to the manifest's folder.
 *
 *   version: 1
 *   key: fw-2026
 *   cert: signer.pem          # cms and rauc
 *   chain: chain.pem
 *   images:
 *     - file: app.bin
 *       format: mcuboot       # raw, minisign, mcuboot, rauc, cms
 *       output: app.signed.bin
 *       version: 1.2.3
 *       mcuboot: {header_size: 0x200, pad_header: true, align: 4,
 *                 slot_size: 458752, load_addr: 0, security_counter: 3}
 *
 * Sizes, addresses and the security counter are decimal or 0x hex, as on
 * the command line (kr_size_parse).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

#define KR_MANIFEST_IMAGES_MAX	1000

static const char *const kr_manifest_keys[] = {
	"version", "key", "cert", "chain", "images", NULL
};
static const char *const kr_manifest_image_keys[] = {
	"file", "format", "output", "version", "name", "comment", "mcuboot",
	"rsa_pss", NULL
};
static const char *const kr_manifest_mcuboot_keys[] = {
	"header_size", "pad_header", "align", "slot_size", "load_addr",
	"security_counter", "max_sectors", "overwrite_only", NULL
};

void
kr_manifest_free(struct kr_manifest *m)
{
	size_t	i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nitems; i++) {
		free((char *)m->items[i].in_path);
		free((char *)m->items[i].out_path);
		free((char *)m->items[i].opts.version);
		free((char *)m->items[i].opts.image_name);
		free((char *)m->items[i].opts.comment);
	}
	free(m->items);
	free(m->key);
	free(m->cert);
	free(m->chain);
	kr_yaml_free(&m->doc);
	memset(m, 0, sizeof(*m));
}

static char *
kr_manifest_path(const char *dir, const char *rel)
{
	return rel[0] == '/' ? strdup(rel) : kr_path_join(dir, rel);
}

/*
 * An image the manifest names, relative to its folder or not: it must
 * lie inside the manifest's folder, symbolic links resolved.  A manifest
 * comes from a medium: it may not make keyrite sign, and so copy onto
 * the medium, a file from elsewhere on the appliance.  (A missing image
 * is named by its own check, later.)
 */
static int
kr_manifest_image_path(const struct kr_yaml_doc *doc,
    const struct kr_yaml_node *n, const char *dir, const char *top,
    const char *rel, char **out, struct kr_err *err)
{
	char	real[PATH_MAX];

	if ((*out = kr_manifest_path(dir, rel)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (realpath(*out, real) == NULL)
		return KR_OK;
	if (kr_path_under(real, top) && strcmp(real, top) != 0)
		return KR_OK;
	return kr_err_set(err, KR_EINPUT, "%s, line %u: image '%.64s' "
	    "resolves to %s, outside the manifest's folder %s: keyrite signs "
	    "only images that came with the manifest. Nothing was signed",
	    doc->label, kr_yaml_get(n, "file")->line, rel, real, top);
}

static int
kr_manifest_bool(const struct kr_yaml_doc *doc, const struct kr_yaml_node *n,
    const char *key, bool *out, struct kr_err *err)
{
	int	ret = kr_yaml_bool(doc, n, key, false, out, err);

	return ret == KR_ENOENT ? KR_OK : ret;
}

static int
kr_manifest_u32(const struct kr_yaml_doc *doc, const struct kr_yaml_node *n,
    const char *key, uint32_t *out, struct kr_err *err)
{
	uint64_t	v;
	int		ret;

	ret = kr_yaml_uint(doc, n, key, false, 0, UINT32_MAX, &v, err);
	if (ret == KR_OK)
		*out = (uint32_t)v;
	return ret == KR_ENOENT ? KR_OK : ret;
}

/*
 * A size or an address, in the forms the command line's options take
 * (kr_size_parse: decimal or 0x hex, as MCUboot's imgtool).
 */
static int
kr_manifest_size(const struct kr_yaml_doc *doc, const struct kr_yaml_node *n,
    const char *file, const char *key, uint32_t *out, struct kr_err *err)
{
	const char	*v;
	int		 ret;

	if ((ret = kr_yaml_str(doc, n, key, false, &v, err)) == KR_ENOENT)
		return KR_OK;
	if (ret != KR_OK)
		return ret;
	if (!kr_size_parse(v, out))
		return kr_err_set(err, KR_EINPUT, "%s, line %u, the entry for "
		    "%.64s: mcuboot %s wants a size or address in bytes, "
		    KR_SIZE_FORMS ", not '%.32s'; nothing was signed",
		    doc->label, kr_yaml_get(n, key)->line, file, key, v);
	return KR_OK;
}

static int
kr_manifest_mcuboot(const struct kr_yaml_doc *doc,
    const struct kr_yaml_node *n, const char *file, struct kr_mcuboot_opts *o,
    struct kr_err *err)
{
	int	ret;

	if (n == NULL)
		return KR_OK;
	if ((ret = kr_yaml_expect_map(doc, n, "mcuboot",
	    kr_manifest_mcuboot_keys, err)) != KR_OK ||
	    (ret = kr_manifest_size(doc, n, file, "header_size",
	    &o->header_size, err)) != KR_OK ||
	    (ret = kr_manifest_bool(doc, n, "pad_header", &o->pad_header,
	    err)) != KR_OK ||
	    (ret = kr_manifest_size(doc, n, file, "align", &o->align, err)) !=
	    KR_OK ||
	    (ret = kr_manifest_size(doc, n, file, "slot_size", &o->slot_size,
	    err)) != KR_OK ||
	    (ret = kr_manifest_size(doc, n, file, "load_addr", &o->load_addr,
	    err)) != KR_OK ||
	    (ret = kr_manifest_u32(doc, n, "max_sectors", &o->max_sectors,
	    err)) != KR_OK ||
	    (ret = kr_manifest_bool(doc, n, "overwrite_only",
	    &o->overwrite_only, err)) != KR_OK)
		return ret;
	if (kr_yaml_get(n, "security_counter") != NULL) {
		o->has_security_counter = true;
		return kr_manifest_size(doc, n, file, "security_counter",
		    &o->security_counter, err);
	}
	return KR_OK;
}

static int
kr_manifest_opt_str(const struct kr_yaml_doc *doc,
    const struct kr_yaml_node *n, const char *key, const char **out,
    struct kr_err *err)
{
	const char	*v;
	int		 ret;

	*out = NULL;
	if ((ret = kr_yaml_str(doc, n, key, false, &v, err)) == KR_ENOENT)
		return KR_OK;
	if (ret != KR_OK)
		return ret;
	if ((*out = strdup(v)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	return KR_OK;
}

static int
kr_manifest_image(struct kr_manifest *m, const char *dir, const char *top,
    const struct kr_yaml_node *n, struct kr_sign_item *it, struct kr_err *err)
{
	const struct kr_yaml_doc	*doc = m->doc;
	const char			*file, *fmt, *out;
	char				*in;
	bool				 pss = false;
	int				 ret;

	if ((ret = kr_yaml_expect_map(doc, n, "an image entry",
	    kr_manifest_image_keys, err)) != KR_OK ||
	    (ret = kr_yaml_str(doc, n, "file", true, &file, err)) != KR_OK ||
	    (ret = kr_yaml_str(doc, n, "format", true, &fmt, err)) != KR_OK ||
	    (ret = kr_yaml_str(doc, n, "output", true, &out, err)) != KR_OK)
		return ret;
	if (kr_fw_format_from_name(fmt, &it->opts.format) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: unknown format "
		    "'%.32s': use raw, minisign, mcuboot, rauc or cms",
		    doc->label, kr_yaml_get(n, "format")->line, fmt);
	if (strchr(out, '/') != NULL || out[0] == '.' || out[0] == '\0')
		return kr_err_set(err, KR_EINPUT, "%s, line %u: the output "
		    "'%.64s' must be a plain file name (it is written beside "
		    "the manifest or into --out-dir)", doc->label,
		    kr_yaml_get(n, "output")->line, out);
	if ((ret = kr_manifest_image_path(doc, n, dir, top, file, &in, err)) !=
	    KR_OK) {
		free(in);
		return ret;
	}
	it->in_path = in;
	if ((it->out_path = kr_path_join(m->out_dir, out)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_manifest_opt_str(doc, n, "version", &it->opts.version,
	    err)) != KR_OK ||
	    (ret = kr_manifest_opt_str(doc, n, "name", &it->opts.image_name,
	    err)) != KR_OK ||
	    (ret = kr_manifest_opt_str(doc, n, "comment", &it->opts.comment,
	    err)) != KR_OK ||
	    (ret = kr_manifest_bool(doc, n, "rsa_pss", &pss, err)) != KR_OK ||
	    (ret = kr_manifest_mcuboot(doc, kr_yaml_get(n, "mcuboot"), file,
	    &it->opts.mcuboot, err)) != KR_OK)
		return ret;
	if (pss)
		it->opts.sig_alg = KR_SIG_RSA_PSS_SHA256;
	(void)snprintf(it->entry, sizeof(it->entry), "%s line %u: %s -> %s "
	    "(%s)", doc->label, n->line, file, out, fmt);
	return KR_OK;
}

static int
kr_manifest_images(struct kr_manifest *m, const char *dir, struct kr_err *err)
{
	const struct kr_yaml_node	*imgs = kr_yaml_get(m->doc->root,
					    "images");
	char				 top[PATH_MAX];
	size_t				 i, j;
	int				 ret;

	/* The folder the images must lie in, resolved once. */
	if (realpath(dir, top) == NULL)
		return kr_err_set(err, KR_EIO, "cannot resolve the manifest's "
		    "folder %s: %s", dir, strerror(errno));
	if (imgs == NULL || imgs->kind != KR_YAML_SEQ || imgs->count == 0)
		return kr_err_set(err, KR_EINPUT, "%s: 'images' must list at "
		    "least one image", m->doc->label);
	if (imgs->count > KR_MANIFEST_IMAGES_MAX)
		return kr_err_set(err, KR_EINPUT, "%s lists %zu images; a batch "
		    "has at most %d", m->doc->label, imgs->count,
		    KR_MANIFEST_IMAGES_MAX);
	if ((m->items = calloc(imgs->count, sizeof(*m->items))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	for (i = 0; i < imgs->count; i++) {
		m->nitems = i + 1;
		if ((ret = kr_manifest_image(m, dir, top, imgs->items[i],
		    &m->items[i], err)) != KR_OK)
			return ret;
		for (j = 0; j < i; j++)
			if (strcmp(m->items[j].out_path, m->items[i].out_path) ==
			    0)
				return kr_err_set(err, KR_EINPUT, "%s, line %u: "
				    "output %s is named twice", m->doc->label,
				    imgs->items[i]->line, m->items[i].out_path);
	}
	return KR_OK;
}

int
kr_manifest_load(const char *path, const char *out_dir, struct kr_manifest *m,
    struct kr_err *err)
{
	const char	*v;
	char		*copy, *dir;
	uint64_t	 version;
	int		 ret;

	memset(m, 0, sizeof(*m));
	if ((copy = strdup(path)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	dir = dirname(copy);
	(void)snprintf(m->out_dir, sizeof(m->out_dir), "%s",
	    out_dir != NULL ? out_dir : dir);
	m->out_beside = out_dir == NULL;
	if ((ret = kr_yaml_load(path, &m->doc, err)) != KR_OK ||
	    (ret = kr_yaml_expect_map(m->doc, m->doc->root, "the manifest",
	    kr_manifest_keys, err)) != KR_OK ||
	    (ret = kr_yaml_uint(m->doc, m->doc->root, "version", true, 1, 1,
	    &version, err)) != KR_OK ||
	    (ret = kr_yaml_str(m->doc, m->doc->root, "key", true, &v,
	    err)) != KR_OK)
		goto out;
	if ((m->key = strdup(v)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if (kr_yaml_str(m->doc, m->doc->root, "cert", false, &v, err) ==
	    KR_OK && (m->cert = kr_manifest_path(dir, v)) == NULL)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	if (ret == KR_OK && kr_yaml_str(m->doc, m->doc->root, "chain", false,
	    &v, err) == KR_OK && (m->chain = kr_manifest_path(dir, v)) == NULL)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	if (ret == KR_OK)
		ret = kr_manifest_images(m, dir, err);
out:
	free(copy);
	if (ret != KR_OK)
		kr_manifest_free(m);
	return ret;
}

void
kr_manifest_sign_req(const struct kr_manifest *m, const char *batch_name,
    struct kr_sign_req *req)
{
	memset(req, 0, sizeof(*req));
	req->key = m->key;
	req->cert_path = m->cert;
	req->chain_path = m->chain;
	req->items = m->items;
	req->nitems = m->nitems;
	req->batch_name = batch_name;
	req->beside = m->out_beside ? m->out_dir : NULL;
}
