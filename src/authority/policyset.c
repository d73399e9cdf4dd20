/*
 * The policy files of an appliance: chosen at `init` (the shipped ones,
 * or an operator's folder of them), validated, copied into the state
 * folder, and pinned by their SHA-256 in the first audit row.  Every open
 * checks the copies against that row.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

#define KR_POLICY_FILES_MAX	64

struct kr_policy_doc {
	char	 name[64];
	uint8_t	*data;
	size_t	 len;
};

struct kr_policy_set {
	struct kr_policy_doc	doc[KR_POLICY_FILES_MAX];
	size_t			n;
};

static void
kr_policy_set_free(struct kr_policy_set *ps)
{
	size_t	i;

	for (i = 0; i < ps->n; i++)
		free(ps->doc[i].data);
	ps->n = 0;
}

/* "name.yaml" with name of a-z, 0-9 and '-'. */
static bool
kr_policy_file_name_ok(const char *n)
{
	size_t	len = strlen(n), i;

	if (len < 6 || len > 40 || strcmp(n + len - 5, ".yaml") != 0)
		return false;
	for (i = 0; i < len - 5; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') ||
		    (n[i] >= '0' && n[i] <= '9') || n[i] == '-'))
			return false;
	return true;
}

static int
kr_policy_set_put(struct kr_policy_set *ps, const char *name, uint8_t *data,
    size_t len, struct kr_err *err)
{
	size_t	i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->doc[i].name, name) == 0) {
			free(ps->doc[i].data);
			ps->doc[i].data = data;
			ps->doc[i].len = len;
			return KR_OK;
		}
	if (ps->n == KR_POLICY_FILES_MAX) {
		free(data);
		return kr_err_set(err, KR_EINPUT, "more than %d policy files",
		    KR_POLICY_FILES_MAX);
	}
	(void)snprintf(ps->doc[ps->n].name, sizeof(ps->doc[0].name), "%s",
	    name);
	ps->doc[ps->n].data = data;
	ps->doc[ps->n].len = len;
	ps->n++;
	return KR_OK;
}

static int
kr_policy_set_shipped(struct kr_policy_set *ps, struct kr_err *err)
{
	const struct kr_policy_file	*pf;
	uint8_t				*copy;
	size_t				 i;
	int				 ret;

	for (i = 0; (pf = kr_policy_shipped(i)) != NULL; i++) {
		if ((copy = malloc(pf->len + 1)) == NULL)
			return kr_err_set(err, KR_ENOMEM, "out of memory");
		memcpy(copy, pf->text, pf->len);
		if ((ret = kr_policy_set_put(ps, pf->name, copy, pf->len,
		    err)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

/* An operator's folder: its *.yaml files replace or add to the shipped. */
static int
kr_policy_set_dir(struct kr_policy_set *ps, const char *dir,
    struct kr_err *err)
{
	struct dirent	*de;
	uint8_t		*data;
	size_t		 len;
	char		*path;
	DIR		*d;
	int		 ret = KR_OK;

	if ((d = opendir(dir)) == NULL)
		return kr_err_set(err, KR_EUSAGE, "cannot read the policy "
		    "folder %s", dir);
	while (ret == KR_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (!kr_policy_file_name_ok(de->d_name)) {
			ret = kr_err_set(err, KR_EINPUT, "%s/%s: policy files "
			    "are named NAME.yaml with a-z, 0-9 and '-'", dir,
			    de->d_name);
			break;
		}
		if ((path = kr_path_join(dir, de->d_name)) == NULL) {
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
			break;
		}
		ret = kr_file_read(path, KR_YAML_FILE_MAX, false, &data, &len,
		    err);
		free(path);
		if (ret == KR_OK)
			ret = kr_policy_set_put(ps, de->d_name, data, len, err);
	}
	(void)closedir(d);
	return ret;
}

/* Each file must parse as what its name says it is. */
static int
kr_policy_set_check(const struct kr_policy_set *ps, const char *origin,
    struct kr_err *err)
{
	struct kr_quorum_policy	 qp;
	struct kr_crl_policy	 cp;
	struct kr_profile	*prof;
	char			 label[512], base[64];
	size_t			 i;
	int			 ret = KR_OK;

	if ((prof = calloc(1, sizeof(*prof))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	for (i = 0; i < ps->n && ret == KR_OK; i++) {
		const struct kr_policy_doc *d = &ps->doc[i];

		(void)snprintf(label, sizeof(label), "%s/%s", origin, d->name);
		(void)snprintf(base, sizeof(base), "%.*s",
		    (int)(strlen(d->name) - 5), d->name);
		if (strcmp(d->name, "quorum.yaml") == 0)
			ret = kr_quorum_policy_parse(label, d->data, d->len,
			    &qp, err);
		else if (strcmp(d->name, "crl.yaml") == 0)
			ret = kr_crl_policy_parse(label, d->data, d->len, &cp,
			    err);
		else
			ret = kr_profile_parse(label, base, d->data, d->len,
			    prof, err);
	}
	free(prof);
	return ret;
}

int
kr_policy_install(const char *statedir, const char *from, struct kr_json *j,
    struct kr_err *err)
{
	struct kr_policy_set	*ps;
	uint8_t			 dig[32];
	char			*pdir = NULL, *path;
	size_t			 i;
	int			 ret;

	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_policy_set_shipped(ps, err)) != KR_OK ||
	    (from != NULL && (ret = kr_policy_set_dir(ps, from, err)) !=
	    KR_OK) ||
	    (ret = kr_policy_set_check(ps, from != NULL ? from : "(shipped)",
	    err)) != KR_OK)
		goto out;
	if ((pdir = kr_path_join(statedir, KR_POLICY_DIR)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = kr_mkdir_private(pdir, err)) != KR_OK)
		goto out;
	kr_json_int(j, "policy_files", (int64_t)ps->n);
	for (i = 0; i < ps->n && ret == KR_OK; i++) {
		if ((path = kr_path_join(pdir, ps->doc[i].name)) == NULL) {
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
			break;
		}
		ret = kr_file_write(path, ps->doc[i].data, ps->doc[i].len,
		    KR_FILE_NOREPLACE, err);
		free(path);
		if (ret == KR_OK && (ret = kr_hash(KR_HASH_SHA256,
		    ps->doc[i].data, ps->doc[i].len, dig)) == KR_OK)
			kr_json_hex(j, ps->doc[i].name, dig, sizeof(dig));
	}
out:
	kr_policy_set_free(ps);
	free(ps);
	free(pdir);
	return ret;
}

/* Removes the policy copies a failed init wrote. */
void
kr_policy_uninstall(const char *statedir)
{
	struct dirent	*de;
	char		*pdir, *path;
	DIR		*d;

	if ((pdir = kr_path_join(statedir, KR_POLICY_DIR)) == NULL)
		return;
	if ((d = opendir(pdir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (!kr_policy_file_name_ok(de->d_name))
				continue;
			if ((path = kr_path_join(pdir, de->d_name)) != NULL) {
				(void)unlink(path);
				free(path);
			}
		}
		(void)closedir(d);
	}
	(void)rmdir(pdir);
	free(pdir);
}

static int
kr_policy_verify_one(const char *pdir, const char *name, const char *payload,
    struct kr_err *err)
{
	uint8_t	*data, dig[32];
	char	*path, hex[65], want[384];
	size_t	 len;
	int	 ret;

	if ((path = kr_path_join(pdir, name)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_file_read(path, KR_YAML_FILE_MAX, false, &data, &len, err);
	if (ret == KR_OK) {
		ret = kr_hash(KR_HASH_SHA256, data, len, dig);
		free(data);
		kr_hex_encode(hex, dig, sizeof(dig));
		(void)snprintf(want, sizeof(want), "\"%s\":\"%s\"", name, hex);
		if (ret == KR_OK && strstr(payload, want) == NULL)
			ret = kr_err_set(err, KR_ESTATE, "%s has changed since "
			    "this state folder was created (its SHA-256 is in "
			    "audit row 1): keyrite will not work under an "
			    "altered or added policy. Restore the original "
			    "file", path);
	}
	free(path);
	return ret;
}

int
kr_policy_verify(const char *statedir, const char *payload,
    struct kr_err *err)
{
	struct dirent	*de;
	char		*pdir, want[64];
	size_t		 n = 0;
	DIR		*d;
	int		 ret = KR_OK;

	if ((pdir = kr_path_join(statedir, KR_POLICY_DIR)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((d = opendir(pdir)) == NULL) {
		ret = kr_err_set(err, KR_ESTATE, "cannot read %s: the state "
		    "folder is damaged", pdir);
		free(pdir);
		return ret;
	}
	while (ret == KR_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		ret = kr_policy_verify_one(pdir, de->d_name, payload, err);
	}
	(void)closedir(d);
	(void)snprintf(want, sizeof(want), "\"policy_files\":%zu", n);
	if (ret == KR_OK && strstr(payload, want) == NULL)
		ret = kr_err_set(err, KR_ESTATE, "%s does not hold the policy "
		    "files recorded in audit row 1 (a file was removed): "
		    "restore them", pdir);
	free(pdir);
	return ret;
}
