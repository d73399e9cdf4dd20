/*
 * policy/crl.yaml: how CRLs are dated and marked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/policy.h>

static const char *const kr_crl_policy_keys[] = {
	"version", "next_update_days", "delta_next_update_days",
	"publish_margin_days", "issuing_distribution_point", "idp_uri",
	"delta_uri", NULL
};

static int
kr_crl_policy_bool(const struct kr_yaml_doc *doc, const char *key, bool *out,
    struct kr_err *err)
{
	const char	*v;
	int		 ret;

	if ((ret = kr_yaml_str(doc, doc->root, key, true, &v, err)) != KR_OK)
		return ret;
	if (strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0)
		*out = false;
	else
		return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' must be "
		    "true or false, not '%.32s'", doc->label,
		    kr_yaml_get(doc->root, key)->line, key, v);
	return KR_OK;
}

/* "" or an http:// or ldap:// URI without spaces. */
static int
kr_crl_policy_uri(const struct kr_yaml_doc *doc, const char *key, char *out,
    size_t cap, struct kr_err *err)
{
	const char	*v;
	int		 ret;

	if ((ret = kr_yaml_str(doc, doc->root, key, true, &v, err)) != KR_OK)
		return ret;
	if (v[0] != '\0' && ((strncmp(v, "http://", 7) != 0 &&
	    strncmp(v, "ldap://", 7) != 0) || strpbrk(v, " \t\"") != NULL ||
	    strlen(v) >= cap))
		return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' must be "
		    "empty or an http:// or ldap:// URL (relying parties fetch "
		    "CRLs without TLS), not '%.64s'", doc->label,
		    kr_yaml_get(doc->root, key)->line, key, v);
	(void)snprintf(out, cap, "%s", v);
	return KR_OK;
}

static int
kr_crl_policy_fill(const struct kr_yaml_doc *doc, struct kr_crl_policy *cp,
    struct kr_err *err)
{
	uint64_t	v;
	int		ret;

	if ((ret = kr_yaml_uint(doc, doc->root, "version", true, 1, 1, &v,
	    err)) != KR_OK ||
	    (ret = kr_yaml_uint(doc, doc->root, "next_update_days", true, 1,
	    3660, &v, err)) != KR_OK)
		return ret;
	cp->next_update_days = (unsigned)v;
	if ((ret = kr_yaml_uint(doc, doc->root, "delta_next_update_days",
	    true, 1, 366, &v, err)) != KR_OK)
		return ret;
	cp->delta_next_update_days = (unsigned)v;
	if ((ret = kr_yaml_uint(doc, doc->root, "publish_margin_days", true, 0,
	    3660, &v, err)) != KR_OK)
		return ret;
	cp->publish_margin_days = (unsigned)v;
	if ((ret = kr_crl_policy_bool(doc, "issuing_distribution_point",
	    &cp->idp, err)) != KR_OK ||
	    (ret = kr_crl_policy_uri(doc, "idp_uri", cp->idp_uri,
	    sizeof(cp->idp_uri), err)) != KR_OK ||
	    (ret = kr_crl_policy_uri(doc, "delta_uri", cp->delta_uri,
	    sizeof(cp->delta_uri), err)) != KR_OK)
		return ret;
	if (cp->publish_margin_days >= cp->next_update_days)
		return kr_err_set(err, KR_EINPUT, "%s: publish_margin_days "
		    "(%u) must be less than next_update_days (%u)", doc->label,
		    cp->publish_margin_days, cp->next_update_days);
	return KR_OK;
}

int
kr_crl_policy_parse(const char *label, const uint8_t *data, size_t len,
    struct kr_crl_policy *cp, struct kr_err *err)
{
	struct kr_yaml_doc	*doc = NULL;
	int			 ret;

	memset(cp, 0, sizeof(*cp));
	if ((ret = kr_yaml_parse(label, data, len, &doc, err)) != KR_OK)
		return ret;
	if ((ret = kr_yaml_expect_map(doc, doc->root, "the CRL policy",
	    kr_crl_policy_keys, err)) == KR_OK)
		ret = kr_crl_policy_fill(doc, cp, err);
	kr_yaml_free(&doc);
	if (ret != KR_OK)
		memset(cp, 0, sizeof(*cp));
	return ret;
}

int
kr_crl_policy_load(const char *path, struct kr_crl_policy *cp,
    struct kr_err *err)
{
	uint8_t	*data;
	size_t	 len;
	int	 ret;

	if ((ret = kr_file_read(path, KR_YAML_FILE_MAX, false, &data, &len,
	    err)) != KR_OK)
		return ret;
	ret = kr_crl_policy_parse(path, data, len, cp, err);
	free(data);
	return ret;
}
