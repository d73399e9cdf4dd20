/*
 * policy/crl.yaml: how CRLs are dated and marked, and where each CA
 * publishes them (docs/revocation.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/policy.h>

#define KR_ISSUER_MARK	"{issuer}"

static const char *const kr_crl_policy_keys_v1[] = {
	"version", "next_update_days", "delta_next_update_days",
	"publish_margin_days", "issuing_distribution_point", "idp_uri",
	"delta_uri", NULL
};
static const char *const kr_crl_policy_keys_v2[] = {
	"version", "next_update_days", "delta_next_update_days",
	"publish_margin_days", "issuing_distribution_point",
	"distribution_point", "delta_distribution_point", "issuers", NULL
};
static const char *const kr_crl_issuer_keys[] = {
	"distribution_point", "delta_distribution_point", "scope", NULL
};
static const char *const kr_crl_scope_names[] = {
	[KR_CRL_SCOPE_AUTO] = "auto", [KR_CRL_SCOPE_CA] = "ca",
	[KR_CRL_SCOPE_USER] = "user", [KR_CRL_SCOPE_ALL] = "all",
};

const char *
kr_crl_scope_name(enum kr_crl_scope s)
{
	return (size_t)s < 4 ? kr_crl_scope_names[s] : "?";
}

/* Every '{' opens "{issuer}", every '}' closes one. */
static bool
kr_crl_policy_marks_ok(const char *v)
{
	const char	*p;

	for (p = v; *p != '\0'; p++) {
		if (*p == '}')
			return false;
		if (*p != '{')
			continue;
		if (strncmp(p, KR_ISSUER_MARK, strlen(KR_ISSUER_MARK)) != 0)
			return false;
		p += strlen(KR_ISSUER_MARK) - 1;
	}
	return true;
}

/* "" or a URL kr_policy_url_ok takes; absent: KR_ENOENT. */
static int
kr_crl_policy_uri(const struct kr_yaml_doc *doc,
    const struct kr_yaml_node *map, const char *where, const char *key,
    bool required, char *out, size_t cap, struct kr_err *err)
{
	const char	*v;
	int		 ret;

	if ((ret = kr_yaml_str(doc, map, key, required, &v, err)) != KR_OK)
		return ret;
	if (v[0] != '\0' && (!kr_policy_url_ok(v, cap, false, NULL) ||
	    !kr_crl_policy_marks_ok(v)))
		return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s%s' must be "
		    "empty or an http:// or ldap:// URL (relying parties fetch "
		    "CRLs without TLS; \"{issuer}\" stands for the CA key's "
		    "name), not '%.64s'", doc->label,
		    kr_yaml_get(map, key)->line, where, key, v);
	(void)snprintf(out, cap, "%s", v);
	return KR_OK;
}

static int
kr_crl_policy_dates(const struct kr_yaml_doc *doc, struct kr_crl_policy *cp,
    struct kr_err *err)
{
	uint64_t	v;
	int		ret;

	if ((ret = kr_yaml_uint(doc, doc->root, "next_update_days", true, 1,
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
	if (cp->publish_margin_days >= cp->next_update_days)
		return kr_err_set(err, KR_EINPUT, "%s: publish_margin_days "
		    "(%u) must be less than next_update_days (%u)", doc->label,
		    cp->publish_margin_days, cp->next_update_days);
	return kr_yaml_bool(doc, doc->root, "issuing_distribution_point", true,
	    &cp->idp, err);
}

/* A key name as keyrite accepts it: A-Z a-z 0-9 . _ -, not first . or -. */
static bool
kr_crl_policy_key_ok(const char *k)
{
	size_t	i, len = strlen(k);

	if (len == 0 || len > KR_CRL_KEY_NAME_MAX || k[0] == '.' ||
	    k[0] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' &&
		    k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') ||
		    k[i] == '.' || k[i] == '_' || k[i] == '-'))
			return false;
	return true;
}

static int
kr_crl_policy_scope(const struct kr_yaml_doc *doc,
    const struct kr_yaml_node *map, const char *where,
    enum kr_crl_scope *out, struct kr_err *err)
{
	const char	*v;
	size_t		 i;
	int		 ret;

	*out = KR_CRL_SCOPE_AUTO;
	if ((ret = kr_yaml_str(doc, map, "scope", false, &v, err)) != KR_OK)
		return ret == KR_ENOENT ? KR_OK : ret;
	for (i = 0; i < sizeof(kr_crl_scope_names) /
	    sizeof(kr_crl_scope_names[0]); i++)
		if (strcmp(v, kr_crl_scope_names[i]) == 0) {
			*out = (enum kr_crl_scope)i;
			return KR_OK;
		}
	return kr_err_set(err, KR_EINPUT, "%s, line %u: '%sscope' must be "
	    "auto, ca, user or all, not '%.32s'", doc->label,
	    kr_yaml_get(map, "scope")->line, where, v);
}

static int
kr_crl_policy_issuer(const struct kr_yaml_doc *doc, const char *key,
    const struct kr_yaml_node *map, struct kr_crl_issuer *is,
    struct kr_err *err)
{
	char	where[KR_CRL_KEY_NAME_MAX + 16];
	int	ret;

	(void)snprintf(where, sizeof(where), "issuers.%s.", key);
	if (!kr_crl_policy_key_ok(key))
		return kr_err_set(err, KR_EINPUT, "%s, line %u: issuers: "
		    "'%.64s' is not a key name (A-Z a-z 0-9 . _ -)",
		    doc->label, map->line, key);
	if ((ret = kr_yaml_expect_map(doc, map, where, kr_crl_issuer_keys,
	    err)) != KR_OK)
		return ret;
	(void)snprintf(is->key, sizeof(is->key), "%s", key);
	ret = kr_crl_policy_uri(doc, map, where, "distribution_point", false,
	    is->dp, sizeof(is->dp), err);
	if (ret != KR_OK && ret != KR_ENOENT)
		return ret;
	is->has_dp = ret == KR_OK;
	ret = kr_crl_policy_uri(doc, map, where, "delta_distribution_point",
	    false, is->delta, sizeof(is->delta), err);
	if (ret != KR_OK && ret != KR_ENOENT)
		return ret;
	is->has_delta = ret == KR_OK;
	return kr_crl_policy_scope(doc, map, where, &is->scope, err);
}

static int
kr_crl_policy_issuers(const struct kr_yaml_doc *doc, struct kr_crl_policy *cp,
    struct kr_err *err)
{
	const struct kr_yaml_node	*n = kr_yaml_get(doc->root, "issuers");
	size_t				 i;
	int				 ret;

	if (n == NULL)
		return KR_OK;
	if (n->kind != KR_YAML_MAP)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: 'issuers' must "
		    "be a mapping of CA key names to their settings",
		    doc->label, n->line);
	if (n->count > KR_CRL_ISSUERS_MAX)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: more than %d "
		    "issuers", doc->label, n->line, KR_CRL_ISSUERS_MAX);
	for (i = 0; i < n->count; i++)
		if ((ret = kr_crl_policy_issuer(doc, n->keys[i], n->items[i],
		    &cp->issuers[i], err)) != KR_OK)
			return ret;
	cp->nissuers = n->count;
	return KR_OK;
}

static int
kr_crl_policy_fill(const struct kr_yaml_doc *doc, struct kr_crl_policy *cp,
    struct kr_err *err)
{
	uint64_t	v;
	bool		v1;
	int		ret;

	if ((ret = kr_yaml_uint(doc, doc->root, "version", true, 1, 2, &v,
	    err)) != KR_OK)
		return ret;
	cp->version = (unsigned)v;
	v1 = v == 1;
	if ((ret = kr_yaml_expect_map(doc, doc->root, "the CRL policy",
	    v1 ? kr_crl_policy_keys_v1 : kr_crl_policy_keys_v2, err)) !=
	    KR_OK ||
	    (ret = kr_crl_policy_dates(doc, cp, err)) != KR_OK ||
	    (ret = kr_crl_policy_uri(doc, doc->root, "", v1 ? "idp_uri" :
	    "distribution_point", true, cp->idp_uri, sizeof(cp->idp_uri),
	    err)) != KR_OK ||
	    (ret = kr_crl_policy_uri(doc, doc->root, "", v1 ? "delta_uri" :
	    "delta_distribution_point", true, cp->delta_uri,
	    sizeof(cp->delta_uri), err)) != KR_OK)
		return ret;
	return v1 ? KR_OK : kr_crl_policy_issuers(doc, cp, err);
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
	if (doc->root->kind != KR_YAML_MAP)
		ret = kr_yaml_expect_map(doc, doc->root, "the CRL policy",
		    kr_crl_policy_keys_v2, err);
	else
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

bool
kr_policy_url_ok(const char *s, size_t cap, bool cps, const char **why)
{
	const char	*rest, *dummy;
	size_t		 i, n = strnlen(s, cap);

	if (why == NULL)
		why = &dummy;
	*why = "is empty";
	if (n == 0)
		return false;
	*why = "is too long";
	if (n == cap)
		return false;
	*why = "has a blank, control, quote, backslash or non-ASCII character";
	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return false;
	*why = cps ? "is not http:// or https://" : "is not http:// or ldap://";
	if (strncmp(s, "http://", 7) == 0)
		rest = s + 7;
	else if (cps && strncmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (!cps && strncmp(s, "ldap://", 7) == 0)
		rest = s + 7;
	else
		return false;
	*why = "names no host";
	if (rest[0] == '\0' || rest[0] == '/')
		return false;
	*why = NULL;
	return true;
}

int
kr_policy_url_expand(const char *tmpl, const char *key, char *out,
    size_t cap, const char *what, struct kr_err *err)
{
	const char	*p, *mark;
	size_t		 n = 0, klen = strlen(key), ml = strlen(KR_ISSUER_MARK);

	for (p = tmpl; (mark = strstr(p, KR_ISSUER_MARK)) != NULL;
	    p = mark + ml) {
		if (n + (size_t)(mark - p) + klen >= cap)
			goto toolong;
		memcpy(out + n, p, (size_t)(mark - p));
		n += (size_t)(mark - p);
		memcpy(out + n, key, klen);
		n += klen;
	}
	if (n + strlen(p) >= cap)
		goto toolong;
	memcpy(out + n, p, strlen(p) + 1);
	return KR_OK;
toolong:
	out[0] = '\0';
	return kr_err_set(err, KR_EINPUT, "%s '%.64s' with \"{issuer}\" "
	    "replaced by '%s' is longer than %zu characters", what, tmpl, key,
	    cap - 1);
}

int
kr_crl_policy_site(const struct kr_crl_policy *cp, const char *key,
    struct kr_crl_site *out, struct kr_err *err)
{
	const struct kr_crl_issuer	*is = NULL;
	size_t				 i;
	int				 ret;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < cp->nissuers; i++)
		if (strcmp(cp->issuers[i].key, key) == 0)
			is = &cp->issuers[i];
	out->own = is != NULL;
	out->scope = is != NULL ? is->scope : KR_CRL_SCOPE_AUTO;
	if ((ret = kr_policy_url_expand(is != NULL && is->has_dp ? is->dp :
	    cp->idp_uri, key, out->dp, sizeof(out->dp), "the CRL "
	    "distribution point", err)) != KR_OK)
		return ret;
	return kr_policy_url_expand(is != NULL && is->has_delta ? is->delta :
	    cp->delta_uri, key, out->delta, sizeof(out->delta), "the delta "
	    "CRL location", err);
}
