/*
 * The export writer: an allow-list of public artifact types.
 */
#include <string.h>

#include <keyrite/media.h>

static const char *const kr_artifact_names[] = {
	[KR_ART_CERTIFICATE] = "certificate",
	[KR_ART_CRL] = "CRL",
	[KR_ART_OCSP_RESPONSE] = "OCSP response",
	[KR_ART_SIGNATURE] = "signature",
	[KR_ART_SIGNED_IMAGE] = "signed image",
	[KR_ART_PUBLIC_KEY] = "public key",
	[KR_ART_PIN_SET] = "pin set",
	[KR_ART_MANIFEST] = "manifest",
	[KR_ART_AUDIT_EXPORT] = "audit export",
	[KR_ART_CEREMONY_REPORT] = "ceremony report",
	[KR_ART_SHARE_FILE] = "encrypted share file",
};

const char *
kr_artifact_name(enum kr_artifact type)
{
	if ((size_t)type >= sizeof(kr_artifact_names) /
	    sizeof(kr_artifact_names[0]) || kr_artifact_names[type] == NULL)
		return NULL;
	return kr_artifact_names[type];
}

/* True when `data` holds a PEM private key block of any flavour. */
static bool
kr_media_has_private_pem(const void *data, size_t len)
{
	static const char	 marker[] = "PRIVATE KEY-----";
	const char		*p = data;
	size_t			 n = sizeof(marker) - 1, i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (p[i] == 'P' && memcmp(p + i, marker, n) == 0)
			return true;
	return false;
}

static int
kr_media_check(enum kr_artifact type, const char *path, const void *data,
    size_t len, struct kr_err *err)
{
	const char	*name = kr_artifact_name(type);

	if (name == NULL)
		return kr_err_set(err, KR_EINTERNAL, "refusing to write %s: "
		    "artifact type %d is not on the export allow-list", path,
		    (int)type);
	if (kr_media_has_private_pem(data, len))
		return kr_err_set(err, KR_EINTERNAL, "refusing to write %s: "
		    "the %s carries a private key block", path, name);
	return KR_OK;
}

int
kr_media_write(enum kr_artifact type, const char *path, const void *data,
    size_t len, unsigned flags, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_media_check(type, path, data, len, err)) != KR_OK)
		return ret;
	return kr_file_write(path, data, len, flags, err);
}

int
kr_media_copy(enum kr_artifact type, const char *path, const void *data,
    size_t len, const char *src, unsigned flags, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_media_check(type, path, data, len, err)) != KR_OK)
		return ret;
	return kr_file_copy(src, path, len, flags, err);
}

int
kr_media_stage(enum kr_artifact type, const char *path, const void *data,
    size_t len, char **tmp, struct kr_err *err)
{
	int	ret;

	*tmp = NULL;
	if ((ret = kr_media_check(type, path, data, len, err)) != KR_OK)
		return ret;
	return kr_file_stage(path, data, len, tmp, err);
}

int
kr_media_place(const char *tmp, const char *path, struct kr_err *err)
{
	return kr_file_place(tmp, path, err);
}
