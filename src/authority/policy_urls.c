/*
 * init --crl-url, --ca-issuers-url, --ocsp-url: the URLs most operators
 * need, written into the policy files before they are checked and copied:
 * the CRL distribution point of every profile (a root's too: `openssl
 * verify -crl_check_all` checks the root against its own CRL, whose
 * scope must then name it), the caIssuers and OCSP access of every
 * profile that is not a root's (a root is found by trust, not fetched),
 * and the CRL URL as the CRL policy's distribution_point, so that every
 * CA's CRL names the URL its certificates carry.  "{issuer}" in a URL
 * stands for the issuing CA key's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

/* The URL rule of the policy files (kr_policy_url_ok), for an option. */
static int
kr_url_arg_check(const char *opt, const char *url, struct kr_err *err)
{
	const char	*why;

	if (!kr_policy_url_ok(url, KR_URI_MAX, false, &why))
		return kr_err_set(err, KR_EUSAGE, "%s: give an http:// or "
		    "ldap:// URL of printable ASCII without blanks, quotes or "
		    "backslashes, under %d characters (relying parties fetch "
		    "CRLs, certificates and OCSP answers before they can check "
		    "TLS): '%.64s' %s", opt, KR_URI_MAX, url, why);
	return KR_OK;
}

/* The line "key: ..." at the start of a line, or NULL. */
static const char *
kr_yaml_line(const struct kr_policy_doc *d, const char *key, size_t *linelen)
{
	const char	*p = (const char *)d->data, *end = p + d->len, *nl;
	size_t		 klen = strlen(key);

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		*linelen = (size_t)((nl != NULL ? nl : end) - p);
		if (*linelen > klen && memcmp(p, key, klen) == 0 &&
		    p[klen] == ':')
			return p;
		p = nl != NULL ? nl + 1 : end;
	}
	return NULL;
}

/* Sets `key` to `value` where the file leaves it empty ("[]" or ""). */
static int
kr_doc_set(struct kr_policy_doc *d, const char *key, const char *value,
    const char *opt, struct kr_err *err)
{
	const char	*line, *v;
	char		 add[KR_URI_MAX + 64];
	uint8_t		*out;
	size_t		 linelen, at, addlen, rest;

	addlen = (size_t)snprintf(add, sizeof(add), "%s: %s", key, value);
	if ((line = kr_yaml_line(d, key, &linelen)) != NULL) {
		v = line + strlen(key) + 1;
		v += strspn(v, " \t");
		if (strncmp(v, "[]", 2) != 0 && strncmp(v, "\"\"", 2) != 0)
			return kr_err_set(err, KR_EUSAGE, "%s: %s already "
			    "sets '%s': give %s or set it in the file, not "
			    "both", opt, d->name, key, opt);
		at = (size_t)(line - (const char *)d->data);
	} else {
		at = d->len;
		linelen = 0;
		memmove(add + 1, add, addlen + 1);
		add[0] = '\n';
		addlen++;
	}
	rest = d->len - at - linelen;
	if ((out = malloc(at + addlen + rest + 1)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	memcpy(out, d->data, at);
	memcpy(out + at, add, addlen);
	memcpy(out + at + addlen, d->data + at + linelen, rest);
	free(d->data);
	d->data = out;
	d->len = at + addlen + rest;
	return KR_OK;
}

static int
kr_doc_set_list(struct kr_policy_doc *d, const char *key, const char *url,
    const char *opt, struct kr_err *err)
{
	char	value[KR_URI_MAX + 8];

	if (url == NULL)
		return KR_OK;
	(void)snprintf(value, sizeof(value), "[\"%s\"]", url);
	return kr_doc_set(d, key, value, opt, err);
}

/* A root's profile gets the CRL distribution point only. */
static int
kr_profile_urls(struct kr_policy_doc *d, const struct kr_init_req *req,
    struct kr_profile *prof, struct kr_err *err)
{
	char	base[64];
	int	ret;

	(void)snprintf(base, sizeof(base), "%.*s", (int)(strlen(d->name) - 5),
	    d->name);
	if ((ret = kr_profile_parse(d->name, base, d->data, d->len, prof,
	    err)) != KR_OK ||
	    (ret = kr_doc_set_list(d, "crl_distribution_points", req->crl_url,
	    "--crl-url", err)) != KR_OK || prof->self_signed)
		return ret;
	if ((ret = kr_doc_set_list(d, "aia_ca_issuers", req->ca_issuers_url,
	    "--ca-issuers-url", err)) != KR_OK)
		return ret;
	return kr_doc_set_list(d, "aia_ocsp", req->ocsp_url, "--ocsp-url",
	    err);
}

static int
kr_crl_policy_url(struct kr_policy_doc *d, const char *url,
    struct kr_err *err)
{
	struct kr_crl_policy	cp;
	char			value[KR_URI_MAX + 4];
	int			ret;

	if ((ret = kr_crl_policy_parse(d->name, d->data, d->len, &cp, err)) !=
	    KR_OK)
		return ret;
	if (cp.version < 2)
		return kr_err_set(err, KR_EUSAGE, "--crl-url: %s is a version "
		    "1 CRL policy (one idp_uri for every CA); write version 2 "
		    "(docs/revocation.md) or leave --crl-url out", d->name);
	(void)snprintf(value, sizeof(value), "\"%s\"", url);
	return kr_doc_set(d, "distribution_point", value, "--crl-url", err);
}

int
kr_policy_set_urls(struct kr_policy_set *ps, const struct kr_init_req *req,
    struct kr_err *err)
{
	struct kr_profile	*prof;
	struct kr_policy_doc	*d;
	size_t			 i;
	int			 ret = KR_OK;

	if ((req->crl_url != NULL && (ret = kr_url_arg_check("--crl-url",
	    req->crl_url, err)) != KR_OK) || (req->ca_issuers_url != NULL &&
	    (ret = kr_url_arg_check("--ca-issuers-url", req->ca_issuers_url,
	    err)) != KR_OK) || (req->ocsp_url != NULL &&
	    (ret = kr_url_arg_check("--ocsp-url", req->ocsp_url, err)) !=
	    KR_OK))
		return ret;
	if (req->crl_url == NULL && req->ca_issuers_url == NULL &&
	    req->ocsp_url == NULL)
		return KR_OK;
	if ((prof = calloc(1, sizeof(*prof))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	for (i = 0; i < ps->n && ret == KR_OK; i++) {
		d = &ps->doc[i];
		if (strcmp(d->name, "crl.yaml") == 0)
			ret = req->crl_url != NULL ? kr_crl_policy_url(d,
			    req->crl_url, err) : KR_OK;
		else if (strcmp(d->name, "quorum.yaml") != 0)
			ret = kr_profile_urls(d, req, prof, err);
	}
	free(prof);
	return ret;
}
