/*
 * policy/quorum.yaml: KDF profiles for custodian passphrases and the
 * limits on share sets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/policy.h>

static const char *const kr_quorum_top_keys[] = {
	"version", "kdf_profiles", "min_threshold", "max_custodians",
	"min_passphrase_length", "max_clock_jump_days", NULL
};
static const char *const kr_quorum_profiles_keys[] = {
	"ceremony", "test", NULL
};
static const char *const kr_quorum_kdf_keys[] = {
	"algorithm", "passes", "memory_kib", NULL
};

static int
kr_quorum_kdf_parse(const struct kr_yaml_doc *doc,
    const struct kr_yaml_node *profiles, const char *name,
    struct kr_kdf_params *out, struct kr_err *err)
{
	const struct kr_yaml_node	*p = kr_yaml_get(profiles, name);
	const char			*alg;
	char				 where[64];
	uint64_t			 v;
	int				 ret;

	(void)snprintf(where, sizeof(where), "kdf_profiles.%s", name);
	if ((ret = kr_yaml_expect_map(doc, p, where, kr_quorum_kdf_keys,
	    err)) != KR_OK)
		return ret;
	if ((ret = kr_yaml_str(doc, p, "algorithm", true, &alg, err)) != KR_OK)
		return ret;
	if (strcmp(alg, "argon2id") != 0)
		return kr_err_set(err, KR_EINPUT, "%s: %s.algorithm must be "
		    "argon2id, not '%.32s'", doc->label, where, alg);
	if ((ret = kr_yaml_uint(doc, p, "passes", true, 1, 64, &v, err)) !=
	    KR_OK)
		return ret;
	out->opslimit = (uint32_t)v;
	if ((ret = kr_yaml_uint(doc, p, "memory_kib", true, 8,
	    4U * 1024 * 1024, &v, err)) != KR_OK)
		return ret;
	out->mem_kib = (uint32_t)v;
	return KR_OK;
}

static int
kr_quorum_limits_parse(const struct kr_yaml_doc *doc,
    struct kr_quorum_policy *qp, struct kr_err *err)
{
	const struct kr_yaml_node	*root = doc->root;
	uint64_t			 v;
	int				 ret;

	if ((ret = kr_yaml_uint(doc, root, "min_threshold", true, 2, 255, &v,
	    err)) != KR_OK)
		return ret;
	qp->min_threshold = (unsigned)v;
	if ((ret = kr_yaml_uint(doc, root, "max_custodians", true, 2, 255, &v,
	    err)) != KR_OK)
		return ret;
	qp->max_custodians = (unsigned)v;
	if ((ret = kr_yaml_uint(doc, root, "min_passphrase_length", true, 1,
	    1024, &v, err)) != KR_OK)
		return ret;
	qp->min_passphrase_length = (unsigned)v;
	/* Optional: how far the clock may move ahead unconfirmed. */
	qp->max_clock_jump_days = KR_CLOCK_JUMP_DAYS_DEFAULT;
	if (kr_yaml_get(root, "max_clock_jump_days") != NULL) {
		if ((ret = kr_yaml_uint(doc, root, "max_clock_jump_days", true,
		    1, 3650, &v, err)) != KR_OK)
			return ret;
		qp->max_clock_jump_days = (unsigned)v;
	}
	return KR_OK;
}

int
kr_quorum_policy_parse(const char *label, const uint8_t *data, size_t len,
    struct kr_quorum_policy *qp, struct kr_err *err)
{
	struct kr_yaml_doc		*doc = NULL;
	const struct kr_yaml_node	*profiles;
	uint64_t			 version;
	int				 ret;

	memset(qp, 0, sizeof(*qp));
	if ((ret = kr_yaml_parse(label, data, len, &doc, err)) != KR_OK)
		return ret;
	if ((ret = kr_yaml_expect_map(doc, doc->root, "the quorum policy",
	    kr_quorum_top_keys, err)) != KR_OK)
		goto out;
	if ((ret = kr_yaml_uint(doc, doc->root, "version", true, 1, 1,
	    &version, err)) != KR_OK)
		goto out;
	profiles = kr_yaml_get(doc->root, "kdf_profiles");
	if ((ret = kr_yaml_expect_map(doc, profiles, "kdf_profiles",
	    kr_quorum_profiles_keys, err)) != KR_OK)
		goto out;
	if ((ret = kr_quorum_kdf_parse(doc, profiles, "ceremony",
	    &qp->ceremony, err)) != KR_OK)
		goto out;
	if ((ret = kr_quorum_kdf_parse(doc, profiles, "test", &qp->test,
	    err)) != KR_OK)
		goto out;
	if (qp->ceremony.mem_kib < 256 * 1024) {
		ret = kr_err_set(err, KR_EINPUT, "%s: the ceremony KDF profile "
		    "must use at least 256 MiB (memory_kib: 262144); it is "
		    "the protection of every share file", label);
		goto out;
	}
	ret = kr_quorum_limits_parse(doc, qp, err);
out:
	kr_yaml_free(&doc);
	return ret;
}

int
kr_quorum_policy_load(const char *path, struct kr_quorum_policy *qp,
    struct kr_err *err)
{
	uint8_t	*data;
	size_t	 len;
	int	 ret;

	if ((ret = kr_file_read(path, KR_YAML_FILE_MAX, false, &data, &len,
	    err)) != KR_OK)
		return ret;
	ret = kr_quorum_policy_parse(path, data, len, qp, err);
	free(data);
	return ret;
}

int
kr_quorum_policy_kdf(const struct kr_quorum_policy *qp, const char *name,
    struct kr_kdf_params *out, struct kr_err *err)
{
	if (strcmp(name, "ceremony") == 0)
		*out = qp->ceremony;
	else if (strcmp(name, "test") == 0)
		*out = qp->test;
	else
		return kr_err_set(err, KR_EUSAGE, "unknown KDF profile '%.32s': "
		    "use ceremony or test", name);
	return KR_OK;
}
