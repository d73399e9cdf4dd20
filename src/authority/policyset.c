/*
 * The policy files of an appliance: chosen at `init` (the shipped ones,
 * or an operator's folder of them, with the URLs init was given),
 * validated, copied into the state folder, and pinned by their SHA-256 in
 * the first audit row; `policy update` pins a new set in a policy.update
 * row (policy_update.c).  Every open checks the copies against the newest
 * of those rows.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

void
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

/* A folder's *.yaml files replace or add to those of the set. */
int
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
int
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

const struct kr_policy_doc *
kr_policy_set_find(const struct kr_policy_set *ps, const char *name)
{
	size_t	i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->doc[i].name, name) == 0)
			return &ps->doc[i];
	return NULL;
}

void
kr_policy_set_pin(const struct kr_policy_set *ps, struct kr_json *j)
{
	size_t	i;

	kr_json_int(j, "policy_files", (int64_t)ps->n);
	for (i = 0; i < ps->n; i++)
		kr_json_hex(j, ps->doc[i].name, ps->doc[i].sha256,
		    sizeof(ps->doc[i].sha256));
}

int
kr_policy_set_hash(struct kr_policy_set *ps, struct kr_err *err)
{
	size_t	i;

	for (i = 0; i < ps->n; i++)
		if (kr_hash(KR_HASH_SHA256, ps->doc[i].data, ps->doc[i].len,
		    ps->doc[i].sha256) != KR_OK)
			return kr_err_set(err, KR_EINTERNAL, "cannot hash %s",
			    ps->doc[i].name);
	return KR_OK;
}

static int
kr_policy_set_write(const struct kr_policy_set *ps, const char *pdir,
    struct kr_err *err)
{
	char	*path;
	size_t	 i;
	int	 ret = KR_OK;

	for (i = 0; i < ps->n && ret == KR_OK; i++) {
		if ((path = kr_path_join(pdir, ps->doc[i].name)) == NULL)
			return kr_err_set(err, KR_ENOMEM, "out of memory");
		ret = kr_file_write(path, ps->doc[i].data, ps->doc[i].len,
		    KR_FILE_NOREPLACE, err);
		free(path);
	}
	return ret;
}

int
kr_policy_install(const struct kr_init_req *req, struct kr_json *j,
    struct kr_err *err)
{
	struct kr_policy_set	*ps;
	const char		*from = req->policy_dir;
	char			*pdir = NULL;
	int			 ret;

	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	/* Checked as given, then again with the URLs written in. */
	if ((ret = kr_policy_set_shipped(ps, err)) != KR_OK ||
	    (from != NULL && (ret = kr_policy_set_dir(ps, from, err)) !=
	    KR_OK) ||
	    (ret = kr_policy_set_check(ps, from != NULL ? from : "(shipped)",
	    err)) != KR_OK ||
	    (ret = kr_policy_set_urls(ps, req, err)) != KR_OK ||
	    (ret = kr_policy_set_check(ps, "the policy with init's URLs",
	    err)) != KR_OK || (ret = kr_policy_set_hash(ps, err)) != KR_OK)
		goto out;
	if ((pdir = kr_path_join(req->statedir, KR_POLICY_DIR)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = kr_mkdir_private(pdir, err)) != KR_OK ||
	    (ret = kr_policy_set_write(ps, pdir, err)) != KR_OK)
		goto out;
	kr_policy_set_pin(ps, j);
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

/* The first file of the set the pin row does not name with its hash. */
static const char *
kr_policy_set_unpinned(const struct kr_policy_set *ps, const char *payload)
{
	char	hex[65], want[384];
	size_t	i;

	for (i = 0; i < ps->n; i++) {
		kr_hex_encode(hex, ps->doc[i].sha256, 32);
		(void)snprintf(want, sizeof(want), "\"%s\":\"%s\"",
		    ps->doc[i].name, hex);
		if (strstr(payload, want) == NULL)
			return ps->doc[i].name;
	}
	return NULL;
}

static bool
kr_policy_set_pinned(const struct kr_policy_set *ps, const char *payload)
{
	char	want[64];

	(void)snprintf(want, sizeof(want), "\"policy_files\":%zu,", ps->n);
	return strstr(payload, want) != NULL &&
	    kr_policy_set_unpinned(ps, payload) == NULL;
}

/* policy.next/ over policy/: moved into place, or removed. */
static int
kr_policy_next_move(const char *pdir, const char *ndir, bool recorded,
    struct kr_err *err)
{
	struct dirent	*de;
	char		*from, *to;
	DIR		*d;
	int		 ret = KR_OK;

	if ((d = opendir(ndir)) == NULL)
		return kr_err_set(err, KR_ESTATE, "cannot read %s: %s", ndir,
		    strerror(errno));
	while (ret == KR_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		from = kr_path_join(ndir, de->d_name);
		to = kr_path_join(pdir, de->d_name);
		if (from == NULL || to == NULL)
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		else if (recorded && rename(from, to) != 0)
			ret = kr_err_set(err, KR_ESTATE, "cannot move %s to "
			    "%s: %s", from, to, strerror(errno));
		else if (!recorded)
			(void)unlink(from);
		free(from);
		free(to);
	}
	(void)closedir(d);
	if (ret == KR_OK && (ret = kr_fsync_dir(pdir, err)) == KR_OK &&
	    rmdir(ndir) != 0)
		ret = kr_err_set(err, KR_ESTATE, "cannot remove %s: %s", ndir,
		    strerror(errno));
	return ret;
}

int
kr_policy_next_settle(const char *statedir, bool recorded,
    struct kr_err *err)
{
	char	*pdir, *ndir;
	int	 ret;

	pdir = kr_path_join(statedir, KR_POLICY_DIR);
	ndir = kr_path_join(statedir, KR_POLICY_NEXT_DIR);
	if (pdir == NULL || ndir == NULL)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	else
		ret = kr_policy_next_move(pdir, ndir, recorded, err);
	free(pdir);
	free(ndir);
	return ret;
}

static int
kr_policy_verify_sets(const char *pdir, const char *ndir,
    struct kr_policy_set *cur, struct kr_policy_set *next, bool has_next,
    const char *payload, int64_t seq, bool finish, struct kr_err *err)
{
	const char	*bad;

	if (has_next && kr_policy_set_pinned(next, payload) && !finish)
		return kr_err_set(err, KR_ESTATE, "the policy update of audit "
		    "row %lld stopped before its files were moved from %s into "
		    "place: `keyrite policy show` (or any command that changes "
		    "the state folder) finishes it", (long long)seq, ndir);
	if (has_next && kr_policy_set_pinned(next, payload))
		return kr_policy_next_move(pdir, ndir, true, err);
	if (kr_policy_set_pinned(cur, payload))
		return has_next && finish ? kr_policy_next_move(pdir, ndir,
		    false, err) : KR_OK;
	if ((bad = kr_policy_set_unpinned(cur, payload)) != NULL)
		return kr_err_set(err, KR_ESTATE, "%s/%s has changed since "
		    "audit row %lld pinned the policy (its SHA-256 is there): "
		    "keyrite will not work under an altered or added policy. "
		    "Restore the file; a new policy comes in only with "
		    "`keyrite policy update --from DIR` under a quorum", pdir,
		    bad, (long long)seq);
	return kr_err_set(err, KR_ESTATE, "%s does not hold the policy files "
	    "audit row %lld pinned (a file was removed): restore them", pdir,
	    (long long)seq);
}

int
kr_policy_verify(const char *statedir, const char *payload, int64_t seq,
    bool finish, struct kr_err *err)
{
	struct kr_policy_set	*cur, *next;
	char			*pdir, *ndir;
	bool			 has_next;
	int			 ret;

	pdir = kr_path_join(statedir, KR_POLICY_DIR);
	ndir = kr_path_join(statedir, KR_POLICY_NEXT_DIR);
	cur = calloc(1, sizeof(*cur));
	next = calloc(1, sizeof(*next));
	ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	if (pdir == NULL || ndir == NULL || cur == NULL || next == NULL)
		goto out;
	has_next = kr_path_exists(ndir);
	if ((ret = kr_policy_set_dir(cur, pdir, err)) != KR_OK) {
		(void)kr_err_prefix(err, "the state folder is damaged: ");
		ret = KR_ESTATE;
		goto out;
	}
	if ((ret = kr_policy_set_hash(cur, err)) != KR_OK ||
	    (has_next && ((ret = kr_policy_set_dir(next, pdir, err)) != KR_OK ||
	    (ret = kr_policy_set_dir(next, ndir, err)) != KR_OK ||
	    (ret = kr_policy_set_hash(next, err)) != KR_OK)))
		goto out;
	ret = kr_policy_verify_sets(pdir, ndir, cur, next, has_next, payload,
	    seq, finish, err);
out:
	if (next != NULL)
		kr_policy_set_free(next);
	if (cur != NULL)
		kr_policy_set_free(cur);
	free(next);
	free(cur);
	free(ndir);
	free(pdir);
	return ret;
}

static int
kr_policy_pin_cb(const struct kr_audit_rec *r, void *arg)
{
	struct kr_policy_pin	*pin = arg;

	pin->seq = r->seq;
	pin->time = r->time;
	(void)snprintf(pin->event, sizeof(pin->event), "%s", r->event);
	free(pin->payload);
	return (pin->payload = strdup(r->payload)) == NULL ? KR_ENOMEM : KR_OK;
}

/* The row that pins the policy: audit row 1, or the newest update. */
int
kr_policy_pin_row(struct kr_appliance *app, struct kr_policy_pin *pin,
    struct kr_err *err)
{
	int	ret;

	memset(pin, 0, sizeof(*pin));
	ret = kr_store_audit_last_event(app->store, "appliance.init",
	    KR_POLICY_UPDATE_EVENT, kr_policy_pin_cb, pin, err);
	if (ret == KR_ENOMEM)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	else if (ret == KR_ENOENT)
		ret = kr_err_set(err, KR_ESTATE, "no audit row of %s pins the "
		    "policy (neither appliance.init nor %s): the database was "
		    "altered. Run `keyrite -C %s audit verify` to see which "
		    "rows, and restore the state folder from a backup",
		    app->dir, KR_POLICY_UPDATE_EVENT, app->dir);
	if (ret != KR_OK)
		kr_policy_pin_free(pin);
	return ret;
}

void
kr_policy_pin_free(struct kr_policy_pin *pin)
{
	free(pin->payload);
	pin->payload = NULL;
}
