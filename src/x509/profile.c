/*
 * Certificate profiles: policy/<name>.yaml (docs/profiles.md).
 *
 * A profile fixes what one kind of certificate may say.  The file is read
 * with the strict YAML reader (policy.h): unknown and duplicate keys are
 * errors, and every error names the file, the line and the key.  Values
 * that contradict each other (a leaf with a pathLen, a CA that would
 * accept RSA-2048, a default validity above the maximum) are refused here,
 * so that nothing downstream has to wonder about them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/policy.h>
#include <keyrite/x509.h>

#include "x509_int.h"

#define KR_PROF_DAYS_MAX	36525		/* 100 years */
#define KR_PROF_BACKDATE_MAX	86400		/* one day */
#define KR_PROF_PATHLEN_MAX	16
#define KR_PROF_RSA_MIN		2048
#define KR_PROF_RSA_MAX		16384
#define KR_PROF_RSA_CA_MIN	3072
#define KR_PROF_URL_MAX		4

/* Key algorithm bits, local to this file. */
#define KR_PROF_ALG_P256	0x1
#define KR_PROF_ALG_P384	0x2
#define KR_PROF_ALG_ED25519	0x4
#define KR_PROF_ALG_RSA		0x8

struct kr_prof {
	const struct kr_yaml_doc	*doc;
	const struct kr_yaml_node	*root;
	struct kr_profile		*p;
	struct kr_err			*err;
};

/* A name in a profile and the bit it stands for. */
struct kr_prof_word {
	const char	*word;
	unsigned	 bit;
};

static const char *const kr_prof_top_keys[] = {
	"version", "name", "kind", "path_len", "key_algorithms",
	"rsa_min_bits", "max_days", "default_days", "backdate_max_seconds",
	"key_usage", "key_usage_ec", "extended_key_usage", "name_constraints",
	"policies", "cps_uri", "crl_distribution_points", "aia_ca_issuers",
	"aia_ocsp",
	"subject_from_request", "san_allowed", "san_from_request",
	"device_id", NULL
};
static const char *const kr_prof_nc_keys[] = {
	"permitted", "excluded", NULL
};

static const struct kr_prof_word kr_prof_alg_words[] = {
	{ "p256", KR_PROF_ALG_P256 },
	{ "p384", KR_PROF_ALG_P384 },
	{ "ed25519", KR_PROF_ALG_ED25519 },
	{ "rsa", KR_PROF_ALG_RSA },
	{ NULL, 0 }
};
static const struct kr_prof_word kr_prof_ku_words[] = {
	{ "digitalSignature", KR_KU_DIGITAL_SIGNATURE },
	{ "nonRepudiation", KR_KU_NON_REPUDIATION },
	{ "contentCommitment", KR_KU_NON_REPUDIATION },
	{ "keyEncipherment", KR_KU_KEY_ENCIPHERMENT },
	{ "dataEncipherment", KR_KU_DATA_ENCIPHERMENT },
	{ "keyAgreement", KR_KU_KEY_AGREEMENT },
	{ "keyCertSign", KR_KU_KEY_CERT_SIGN },
	{ "cRLSign", KR_KU_CRL_SIGN },
	{ NULL, 0 }
};
static const struct kr_prof_word kr_prof_subj_words[] = {
	{ "CN", KR_SUBJ_CN },
	{ "O", KR_SUBJ_O },
	{ "OU", KR_SUBJ_OU },
	{ "C", KR_SUBJ_C },
	{ "ST", KR_SUBJ_ST },
	{ "L", KR_SUBJ_L },
	{ "serialNumber", KR_SUBJ_SERIAL },
	{ "DC", KR_SUBJ_DC },
	{ "emailAddress", KR_SUBJ_EMAIL },
	{ NULL, 0 }
};

static int kr_prof_fail(const struct kr_prof *, unsigned, const char *,
    const char *, ...) KR_PRINTF(4, 5);

/* "FILE, line N: 'key' what": the form the YAML reader uses too. */
static int
kr_prof_fail(const struct kr_prof *pc, unsigned line, const char *key,
    const char *fmt, ...)
{
	char	what[640];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return kr_err_set(pc->err, KR_EINPUT, "%s, line %u: '%s' %s",
	    pc->doc->label, line, key, what);
}

/* The line of `key` in `map`, or of the map itself when it is absent. */
static unsigned
kr_prof_line(const struct kr_yaml_node *map, const char *key)
{
	const struct kr_yaml_node	*n = kr_yaml_get(map, key);

	if (n != NULL)
		return n->line;
	return map != NULL ? map->line : 1;
}

static void
kr_prof_words_list(const struct kr_prof_word *w, char *out, size_t outlen)
{
	size_t	i, used = 0;
	int	n;

	out[0] = '\0';
	for (i = 0; w[i].word != NULL && used < outlen; i++) {
		n = snprintf(out + used, outlen - used, "%s%s",
		    i == 0 ? "" : ", ", w[i].word);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/*
 * keyUsage bits by the names profiles use (the first name of each bit),
 * then encipherOnly and decipherOnly, which no profile sets.
 */
void
kr_ku_format(uint16_t ku, char *out, size_t outlen)
{
	static const char *const only[] = { "encipherOnly", "decipherOnly" };
	const struct kr_prof_word	*w;
	unsigned			 done = 0;
	size_t				 used = 0;
	int				 n;

	out[0] = '\0';
	for (w = kr_prof_ku_words; w->word != NULL && used < outlen; w++) {
		if ((ku & w->bit) == 0 || (done & w->bit) != 0)
			continue;
		done |= w->bit;
		if ((n = snprintf(out + used, outlen - used, "%s%s",
		    used == 0 ? "" : ", ", w->word)) < 0)
			return;
		used += (size_t)n;
	}
	for (n = 0; n < 2 && used < outlen; n++)
		if ((ku & (0x80u << n)) != 0)
			used += (size_t)snprintf(out + used, outlen - used,
			    "%s%s", used == 0 ? "" : ", ", only[n]);
}

/*
 * The sequence `key` of `map`: KR_ENOENT when absent, an error unless it
 * is a list of at most `max` non-empty single values.  `where` names it.
 */
static int
kr_prof_seq(const struct kr_prof *pc, const struct kr_yaml_node *map,
    const char *key, const char *where, size_t max,
    const struct kr_yaml_node **out)
{
	const struct kr_yaml_node	*n = kr_yaml_get(map, key);
	size_t				 i;

	*out = NULL;
	if (n == NULL)
		return KR_ENOENT;
	if (n->kind != KR_YAML_SEQ)
		return kr_prof_fail(pc, n->line, where, "must be a list, "
		    "written [a, b] or one '- entry' per line ([] for none)");
	if (n->count > max)
		return kr_prof_fail(pc, n->line, where, "has %zu entries; at "
		    "most %zu are allowed", n->count, max);
	for (i = 0; i < n->count; i++)
		if (n->items[i]->kind != KR_YAML_SCALAR ||
		    n->items[i]->scalar[0] == '\0')
			return kr_prof_fail(pc, n->items[i]->line, where,
			    "entry %zu must be a single, non-empty value",
			    i + 1);
	*out = n;
	return KR_OK;
}

/* A list of names from table `w` -> OR of their bits; no repeats. */
static int
kr_prof_words(const struct kr_prof *pc, const char *key, bool required,
    const struct kr_prof_word *w, const char *what, unsigned *bits)
{
	const struct kr_yaml_node	*n, *item;
	char				 names[256];
	size_t				 i, j;
	int				 ret;

	*bits = 0;
	ret = kr_prof_seq(pc, pc->root, key, key, 32, &n);
	if (ret == KR_ENOENT && required)
		return kr_prof_fail(pc, pc->root->line, key, "is missing");
	if (ret != KR_OK)
		return ret;
	for (i = 0; i < n->count; i++) {
		item = n->items[i];
		for (j = 0; w[j].word != NULL; j++)
			if (strcmp(item->scalar, w[j].word) == 0)
				break;
		if (w[j].word == NULL) {
			kr_prof_words_list(w, names, sizeof(names));
			return kr_prof_fail(pc, item->line, key, "names an "
			    "unknown %s '%.64s'; use %s", what, item->scalar,
			    names);
		}
		if ((*bits & w[j].bit) != 0)
			return kr_prof_fail(pc, item->line, key, "lists "
			    "'%.64s' twice%s", item->scalar,
			    w == kr_prof_ku_words ?
			    " (nonRepudiation and contentCommitment are the "
			    "same bit)" : "");
		*bits |= w[j].bit;
	}
	return KR_OK;
}

/* A "true" or "false" value; `def` when absent. */
static int
kr_prof_bool(const struct kr_prof *pc, const char *key, bool def, bool *out)
{
	int	ret;

	*out = def;
	ret = kr_yaml_bool(pc->doc, pc->root, key, false, out, pc->err);
	return ret == KR_ENOENT ? KR_OK : ret;
}

/* Profile names are file names: [a-z0-9-], starting with a letter or digit. */
static bool
kr_prof_name_ok(const char *s)
{
	size_t	i, len = strlen(s);

	if (len == 0 || len > KR_PROFILE_NAME_MAX || s[0] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static int
kr_prof_name(const struct kr_prof *pc, const char *expect)
{
	const char	*s;
	int		 ret;

	if ((ret = kr_yaml_str(pc->doc, pc->root, "name", true, &s,
	    pc->err)) != KR_OK)
		return ret;
	if (!kr_prof_name_ok(s))
		return kr_prof_fail(pc, kr_prof_line(pc->root, "name"), "name",
		    "'%.64s' is not a profile name: use up to %d lower-case "
		    "letters, digits and '-'", s, KR_PROFILE_NAME_MAX);
	if (strcmp(s, expect) != 0)
		return kr_prof_fail(pc, kr_prof_line(pc->root, "name"), "name",
		    "is '%.64s' but the file is %s.yaml: a profile's name "
		    "must equal its file name", s, expect);
	(void)snprintf(pc->p->name, sizeof(pc->p->name), "%s", s);
	return KR_OK;
}

static int
kr_prof_kind(const struct kr_prof *pc)
{
	const char	*s;
	int		 ret;

	if ((ret = kr_yaml_str(pc->doc, pc->root, "kind", true, &s,
	    pc->err)) != KR_OK)
		return ret;
	if (strcmp(s, "root") == 0) {
		pc->p->is_ca = true;
		pc->p->self_signed = true;
	} else if (strcmp(s, "ca") == 0)
		pc->p->is_ca = true;
	else if (strcmp(s, "leaf") != 0)
		return kr_prof_fail(pc, kr_prof_line(pc->root, "kind"), "kind",
		    "must be root (self-signed CA), ca (a CA under another) "
		    "or leaf, not '%.32s'", s);
	return KR_OK;
}

/* path_len: a number or "none" on CA profiles, absent on leaves. */
static int
kr_prof_pathlen(const struct kr_prof *pc)
{
	const struct kr_yaml_node	*n = kr_yaml_get(pc->root, "path_len");
	const char			*s;
	int				 v = 0;

	pc->p->pathlen = -1;
	if (!pc->p->is_ca) {
		if (n != NULL)
			return kr_prof_fail(pc, n->line, "path_len", "is only "
			    "for CA profiles (kind root or ca): a leaf "
			    "certificate has no pathLenConstraint");
		return KR_OK;
	}
	if (n == NULL)
		return kr_prof_fail(pc, pc->root->line, "path_len", "is "
		    "missing: a CA profile must say how many CA levels may "
		    "follow (a number from 0 to %d, or none)",
		    KR_PROF_PATHLEN_MAX);
	if (n->kind != KR_YAML_SCALAR)
		return kr_prof_fail(pc, n->line, "path_len", "must be a "
		    "single value");
	if (strcmp(n->scalar, "none") == 0)
		return KR_OK;
	for (s = n->scalar; *s >= '0' && *s <= '9' && v <= 99; s++)
		v = v * 10 + (*s - '0');
	if (n->scalar[0] == '\0' || *s != '\0' || v > KR_PROF_PATHLEN_MAX)
		return kr_prof_fail(pc, n->line, "path_len", "must be a whole "
		    "number from 0 to %d, or none, not '%.32s'",
		    KR_PROF_PATHLEN_MAX, n->scalar);
	pc->p->pathlen = v;
	return KR_OK;
}

static int
kr_prof_rsa(const struct kr_prof *pc)
{
	struct kr_profile	*p = pc->p;
	uint64_t		 v;
	int			 ret;

	if (kr_yaml_get(pc->root, "rsa_min_bits") == NULL) {
		p->rsa_min_bits = p->allow_rsa ? KR_PROF_RSA_CA_MIN : 0;
		return KR_OK;
	}
	if (!p->allow_rsa)
		return kr_prof_fail(pc, kr_prof_line(pc->root, "rsa_min_bits"),
		    "rsa_min_bits", "is set but rsa is not in key_algorithms");
	if ((ret = kr_yaml_uint(pc->doc, pc->root, "rsa_min_bits", true,
	    KR_PROF_RSA_MIN, KR_PROF_RSA_MAX, &v, pc->err)) != KR_OK)
		return ret;
	if (p->is_ca && v < KR_PROF_RSA_CA_MIN)
		return kr_prof_fail(pc, kr_prof_line(pc->root, "rsa_min_bits"),
		    "rsa_min_bits", "is %u, but a CA profile must require RSA "
		    "keys of at least %d bits", (unsigned)v,
		    KR_PROF_RSA_CA_MIN);
	p->rsa_min_bits = (unsigned)v;
	return KR_OK;
}

static int
kr_prof_keys(const struct kr_prof *pc)
{
	struct kr_profile	*p = pc->p;
	unsigned		 algs;
	int			 ret;

	if ((ret = kr_prof_words(pc, "key_algorithms", true,
	    kr_prof_alg_words, "key algorithm", &algs)) != KR_OK)
		return ret;
	if (algs == 0)
		return kr_prof_fail(pc, kr_prof_line(pc->root,
		    "key_algorithms"), "key_algorithms", "is empty: no key "
		    "could be certified under this profile");
	p->allow_p256 = (algs & KR_PROF_ALG_P256) != 0;
	p->allow_p384 = (algs & KR_PROF_ALG_P384) != 0;
	p->allow_ed25519 = (algs & KR_PROF_ALG_ED25519) != 0;
	p->allow_rsa = (algs & KR_PROF_ALG_RSA) != 0;
	return kr_prof_rsa(pc);
}

static int
kr_prof_validity(const struct kr_prof *pc)
{
	struct kr_profile	*p = pc->p;
	uint64_t		 v;
	int			 ret;

	if ((ret = kr_yaml_uint(pc->doc, pc->root, "max_days", true, 1,
	    KR_PROF_DAYS_MAX, &v, pc->err)) != KR_OK)
		return ret;
	p->max_days = (unsigned)v;
	ret = kr_yaml_uint(pc->doc, pc->root, "default_days", false, 1,
	    KR_PROF_DAYS_MAX, &v, pc->err);
	if (ret == KR_ENOENT)
		v = p->max_days;
	else if (ret != KR_OK)
		return ret;
	if (v > p->max_days)
		return kr_prof_fail(pc, kr_prof_line(pc->root, "default_days"),
		    "default_days", "is %u, more than max_days (%u)",
		    (unsigned)v, p->max_days);
	p->default_days = (unsigned)v;
	ret = kr_yaml_uint(pc->doc, pc->root, "backdate_max_seconds", false,
	    0, KR_PROF_BACKDATE_MAX, &v, pc->err);
	if (ret == KR_ENOENT)
		v = 0;
	else if (ret != KR_OK)
		return ret;
	p->backdate_max_seconds = (unsigned)v;
	return KR_OK;
}

/*
 * keyUsage bits must suit every key the profile allows: keyAgreement is
 * meaningless for RSA and forbidden for Ed25519 (RFC 8410), and the
 * encipherment bits are forbidden for EC keys (RFC 5480, RFC 8410).
 */
static int
kr_prof_ku_fits(const struct kr_prof *pc)
{
	const struct kr_profile	*p = pc->p;
	unsigned		 line = kr_prof_line(pc->root, "key_usage");

	if ((p->key_usage & KR_KU_KEY_AGREEMENT) != 0 &&
	    (p->allow_rsa || p->allow_ed25519))
		return kr_prof_fail(pc, line, "key_usage", "has keyAgreement, "
		    "which RSA and Ed25519 keys cannot have: list it under "
		    "key_usage_ec, which applies to P-256 and P-384 keys only");
	if ((p->key_usage & (KR_KU_KEY_ENCIPHERMENT |
	    KR_KU_DATA_ENCIPHERMENT)) != 0 &&
	    (p->allow_p256 || p->allow_p384 || p->allow_ed25519))
		return kr_prof_fail(pc, line, "key_usage", "has "
		    "keyEncipherment or dataEncipherment, which EC and Ed25519 "
		    "keys must not have: allow only rsa in key_algorithms");
	if (p->is_ca && (p->key_usage & (KR_KU_KEY_CERT_SIGN |
	    KR_KU_CRL_SIGN)) != (KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN))
		return kr_prof_fail(pc, line, "key_usage", "must include "
		    "keyCertSign and cRLSign in a CA profile");
	if (!p->is_ca && (p->key_usage & KR_KU_KEY_CERT_SIGN) != 0)
		return kr_prof_fail(pc, line, "key_usage", "has keyCertSign, "
		    "which only a CA profile (kind root or ca) may have");
	return KR_OK;
}

static int
kr_prof_ku(const struct kr_prof *pc)
{
	struct kr_profile	*p = pc->p;
	unsigned		 bits;
	int			 ret;

	if ((ret = kr_prof_words(pc, "key_usage", true, kr_prof_ku_words,
	    "key usage", &bits)) != KR_OK)
		return ret;
	if (bits == 0)
		return kr_prof_fail(pc, kr_prof_line(pc->root, "key_usage"),
		    "key_usage", "is empty: name at least one usage");
	p->key_usage = (uint16_t)bits;
	if ((ret = kr_prof_ku_fits(pc)) != KR_OK)
		return ret;
	if ((ret = kr_prof_words(pc, "key_usage_ec", false, kr_prof_ku_words,
	    "key usage", &bits)) != KR_OK && ret != KR_ENOENT)
		return ret;
	if ((bits & ~(unsigned)(KR_KU_DIGITAL_SIGNATURE |
	    KR_KU_NON_REPUDIATION | KR_KU_KEY_AGREEMENT)) != 0)
		return kr_prof_fail(pc, kr_prof_line(pc->root, "key_usage_ec"),
		    "key_usage_ec", "may only add digitalSignature, "
		    "nonRepudiation or keyAgreement");
	if (bits != 0 && !p->allow_p256 && !p->allow_p384)
		return kr_prof_fail(pc, kr_prof_line(pc->root, "key_usage_ec"),
		    "key_usage_ec", "is set but neither p256 nor p384 is in "
		    "key_algorithms");
	p->key_usage_ec = (uint16_t)bits;
	return KR_OK;
}

/* Catches a key purpose listed as a policy, and anyPolicy as a purpose. */
static bool
kr_prof_oid_fits(const char *key, const struct kr_oid *oid)
{
	static const uint8_t	kp[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07,
	    0x03 };			/* 1.3.6.1.5.5.7.3 */

	if (strcmp(key, "policies") != 0)
		return !KR_OID_IS(oid, KR_OID_ANY_POLICY);
	if (oid->len > sizeof(kp) && memcmp(oid->der, kp, sizeof(kp)) == 0)
		return false;
	return !KR_OID_IS(oid, KR_OID_ANY_EKU);
}

/* A list of OIDs (names or dotted), no repeats. */
static int
kr_prof_oids(const struct kr_prof *pc, const char *key, struct kr_oid *out,
    size_t *count)
{
	const struct kr_yaml_node	*n;
	size_t				 i, j;
	int				 ret;

	*count = 0;
	ret = kr_prof_seq(pc, pc->root, key, key, KR_OID_MAX, &n);
	if (ret != KR_OK)
		return ret == KR_ENOENT ? KR_OK : ret;
	for (i = 0; i < n->count; i++) {
		if (kr_oid_parse(n->items[i]->scalar, &out[i], pc->err) !=
		    KR_OK)
			return kr_err_prefix(pc->err, "%s, line %u: '%s': ",
			    pc->doc->label, n->items[i]->line, key);
		if (!kr_prof_oid_fits(key, &out[i]))
			return kr_prof_fail(pc, n->items[i]->line, key,
			    "entry '%.64s' is not a %s", n->items[i]->scalar,
			    strcmp(key, "policies") == 0 ? "certificate policy "
			    "(it is an extended key usage)" : "key purpose (it "
			    "is a certificate policy)");
		for (j = 0; j < i; j++)
			if (out[j].len == out[i].len &&
			    memcmp(out[j].der, out[i].der, out[i].len) == 0)
				return kr_prof_fail(pc, n->items[i]->line, key,
				    "lists '%.64s' twice", n->items[i]->scalar);
	}
	*count = n->count;
	return KR_OK;
}

static int
kr_prof_gn_list(const struct kr_prof *pc, const struct kr_yaml_node *nc,
    const char *key, struct kr_gn *out, size_t *count)
{
	const struct kr_yaml_node	*n;
	char				 where[48];
	size_t				 i;
	int				 ret;

	*count = 0;
	(void)snprintf(where, sizeof(where), "name_constraints.%s", key);
	ret = kr_prof_seq(pc, nc, key, where, KR_GN_MAX, &n);
	if (ret != KR_OK)
		return ret == KR_ENOENT ? KR_OK : ret;
	for (i = 0; i < n->count; i++) {
		if (kr_gn_parse(n->items[i]->scalar, true, &out[i], pc->err) !=
		    KR_OK)
			return kr_err_prefix(pc->err, "%s, line %u: '%s': ",
			    pc->doc->label, n->items[i]->line, where);
		if (out[i].type == KR_GN_URI)
			return kr_prof_fail(pc, n->items[i]->line, where,
			    "entry '%.64s': name constraints take dns:, ip:, "
			    "email: and dirname: entries", n->items[i]->scalar);
	}
	*count = n->count;
	return KR_OK;
}

static int
kr_prof_nc(const struct kr_prof *pc)
{
	const struct kr_yaml_node	*nc;
	struct kr_profile		*p = pc->p;
	int				 ret;

	if ((nc = kr_yaml_get(pc->root, "name_constraints")) == NULL)
		return KR_OK;
	if ((ret = kr_yaml_expect_map(pc->doc, nc, "name_constraints",
	    kr_prof_nc_keys, pc->err)) != KR_OK)
		return ret;
	if ((ret = kr_prof_gn_list(pc, nc, "permitted", p->nc_permitted,
	    &p->nc_permitted_count)) != KR_OK ||
	    (ret = kr_prof_gn_list(pc, nc, "excluded", p->nc_excluded,
	    &p->nc_excluded_count)) != KR_OK)
		return ret;
	if (p->nc_permitted_count + p->nc_excluded_count == 0)
		return KR_OK;
	if (!p->is_ca || p->self_signed)
		return kr_prof_fail(pc, kr_prof_line(nc,
		    p->nc_permitted_count > 0 ? "permitted" : "excluded"),
		    "name_constraints", "are only for kind ca: validators "
		    "ignore them on a root, and a leaf cannot constrain "
		    "anything");
	return KR_OK;
}

static int
kr_prof_urls(const struct kr_prof *pc, const char *key,
    char out[][KR_URI_MAX], size_t *count)
{
	const struct kr_yaml_node	*n;
	size_t				 i, j;
	int				 ret;

	*count = 0;
	ret = kr_prof_seq(pc, pc->root, key, key, KR_PROF_URL_MAX, &n);
	if (ret != KR_OK)
		return ret == KR_ENOENT ? KR_OK : ret;
	for (i = 0; i < n->count; i++) {
		if (!kr_policy_url_ok(n->items[i]->scalar, KR_URI_MAX, false,
		    NULL))
			return kr_prof_fail(pc, n->items[i]->line, key,
			    "entry '%.64s' is not an http:// or ldap:// URL "
			    "with a host (printable ASCII without blanks, "
			    "quotes or backslashes, under %d characters; "
			    "validators fetch these before they can check TLS, "
			    "so not https)", n->items[i]->scalar, KR_URI_MAX);
		for (j = 0; j < i; j++)
			if (strcmp(out[j], n->items[i]->scalar) == 0)
				return kr_prof_fail(pc, n->items[i]->line, key,
				    "lists '%.64s' twice", n->items[i]->scalar);
		(void)snprintf(out[i], KR_URI_MAX, "%s", n->items[i]->scalar);
	}
	*count = n->count;
	return KR_OK;
}

static int
kr_prof_policies(const struct kr_prof *pc)
{
	struct kr_profile	*p = pc->p;
	const char		*s;
	unsigned		 line = kr_prof_line(pc->root, "cps_uri");
	int			 ret;

	if ((ret = kr_prof_oids(pc, "policies", p->policies,
	    &p->policies_count)) != KR_OK)
		return ret;
	ret = kr_yaml_str(pc->doc, pc->root, "cps_uri", false, &s, pc->err);
	if (ret == KR_ENOENT || (ret == KR_OK && s[0] == '\0'))
		return KR_OK;
	if (ret != KR_OK)
		return ret;
	if (p->policies_count == 0)
		return kr_prof_fail(pc, line, "cps_uri", "is set but policies "
		    "is empty: the CPS pointer is a qualifier of the first "
		    "policy");
	if (!kr_policy_url_ok(s, KR_URI_MAX, true, NULL))
		return kr_prof_fail(pc, line, "cps_uri", "'%.64s' is not an "
		    "http:// or https:// URL with a host (printable ASCII "
		    "without blanks, quotes or backslashes, under %d "
		    "characters)", s, KR_URI_MAX);
	(void)snprintf(p->cps_uri, sizeof(p->cps_uri), "%s", s);
	return KR_OK;
}

/* device_id: the subject attribute `provision batch` names a device by. */
static int
kr_prof_device_id(const struct kr_prof *pc)
{
	struct kr_profile	*p = pc->p;
	const char		*s;
	int			 ret;

	(void)snprintf(p->device_id, sizeof(p->device_id), "serialNumber");
	if ((ret = kr_yaml_str(pc->doc, pc->root, "device_id", false, &s,
	    pc->err)) == KR_ENOENT)
		return KR_OK;
	if (ret != KR_OK)
		return ret;
	if (strcmp(s, "serialNumber") != 0 && strcmp(s, "CN") != 0)
		return kr_prof_fail(pc, kr_prof_line(pc->root, "device_id"),
		    "device_id", "must be serialNumber or CN (the subject "
		    "attribute a device is named by)");
	if (p->is_ca)
		return kr_prof_fail(pc, kr_prof_line(pc->root, "device_id"),
		    "device_id", "is for leaf profiles: devices get leaf "
		    "certificates");
	(void)snprintf(p->device_id, sizeof(p->device_id), "%s", s);
	return KR_OK;
}

static int
kr_prof_subject(const struct kr_prof *pc)
{
	struct kr_profile	*p = pc->p;
	unsigned		 bits;
	int			 ret;

	if ((ret = kr_prof_words(pc, "subject_from_request", false,
	    kr_prof_subj_words, "subject attribute", &bits)) != KR_OK &&
	    ret != KR_ENOENT)
		return ret;
	if (bits != 0 && p->self_signed)
		return kr_prof_fail(pc, kr_prof_line(pc->root,
		    "subject_from_request"), "subject_from_request", "must be "
		    "empty for a root: a root is made from --subject, not "
		    "from a request");
	p->subject_from_request = bits;
	if ((ret = kr_prof_bool(pc, "san_allowed", false,
	    &p->san_allowed)) != KR_OK ||
	    (ret = kr_prof_bool(pc, "san_from_request", false,
	    &p->san_from_request)) != KR_OK)
		return ret;
	if (p->san_allowed && p->is_ca)
		return kr_prof_fail(pc, kr_prof_line(pc->root, "san_allowed"),
		    "san_allowed", "must be false in a CA profile: "
		    "subjectAltName is for leaf certificates");
	if (p->san_from_request && !p->san_allowed)
		return kr_prof_fail(pc, kr_prof_line(pc->root,
		    "san_from_request"), "san_from_request", "is true but "
		    "san_allowed is false");
	return kr_prof_device_id(pc);
}

static int
kr_prof_body(const struct kr_prof *pc, const char *expect)
{
	struct kr_profile	*p = pc->p;
	uint64_t		 v;
	int			 ret;

	if ((ret = kr_yaml_expect_map(pc->doc, pc->root, "the profile",
	    kr_prof_top_keys, pc->err)) != KR_OK ||
	    (ret = kr_yaml_uint(pc->doc, pc->root, "version", true, 1, 1, &v,
	    pc->err)) != KR_OK ||
	    (ret = kr_prof_name(pc, expect)) != KR_OK ||
	    (ret = kr_prof_kind(pc)) != KR_OK ||
	    (ret = kr_prof_pathlen(pc)) != KR_OK ||
	    (ret = kr_prof_keys(pc)) != KR_OK ||
	    (ret = kr_prof_validity(pc)) != KR_OK ||
	    (ret = kr_prof_ku(pc)) != KR_OK ||
	    (ret = kr_prof_oids(pc, "extended_key_usage", p->eku,
	    &p->eku_count)) != KR_OK ||
	    (ret = kr_prof_nc(pc)) != KR_OK ||
	    (ret = kr_prof_policies(pc)) != KR_OK ||
	    (ret = kr_prof_urls(pc, "crl_distribution_points", p->crldp,
	    &p->crldp_count)) != KR_OK ||
	    (ret = kr_prof_urls(pc, "aia_ca_issuers", p->aia_ca_issuers,
	    &p->aia_count)) != KR_OK ||
	    (ret = kr_prof_urls(pc, "aia_ocsp", p->aia_ocsp,
	    &p->aia_ocsp_count)) != KR_OK)
		return ret;
	return kr_prof_subject(pc);
}

/* "dir/intermediate.yaml" -> "intermediate". */
static void
kr_prof_expect_name(const char *label, char *out, size_t outlen)
{
	const char	*base = strrchr(label, '/');
	size_t		 len;

	base = base != NULL ? base + 1 : label;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	(void)snprintf(out, outlen, "%.*s", (int)len, base);
}

/*
 * `label` names the file in messages; `name` is the profile name the file
 * must declare (NULL: the file name of `label` without ".yaml").
 */
int
kr_profile_parse(const char *label, const char *name, const uint8_t *data,
    size_t len, struct kr_profile *p, struct kr_err *err)
{
	struct kr_yaml_doc	*doc = NULL;
	struct kr_prof		 pc;
	char			 expect[256];
	int			 ret;

	memset(p, 0, sizeof(*p));
	p->pathlen = -1;
	if (name != NULL)
		(void)snprintf(expect, sizeof(expect), "%s", name);
	else
		kr_prof_expect_name(label, expect, sizeof(expect));
	if ((ret = kr_yaml_parse(label, data, len, &doc, err)) != KR_OK)
		return ret;
	pc.doc = doc;
	pc.root = doc->root;
	pc.p = p;
	pc.err = err;
	ret = kr_prof_body(&pc, expect);
	kr_yaml_free(&doc);
	if (ret == KR_OK && kr_hash(KR_HASH_SHA256, data, len, p->sha256) !=
	    KR_OK)
		ret = kr_err_set(err, KR_EINTERNAL, "cannot hash %s", label);
	if (ret != KR_OK) {
		memset(p, 0, sizeof(*p));
		p->pathlen = -1;
	}
	return ret;
}

/* The profiles keyrite ships (its policy files but crl and quorum). */
static void
kr_prof_shipped(char *buf, size_t cap)
{
	const struct kr_policy_file	*pf;
	const char			*sep;
	size_t				 i, n = 0, k = 0, len = 0;

	for (i = 0; (pf = kr_policy_shipped(i)) != NULL; i++)
		if (strcmp(pf->name, "crl.yaml") != 0 &&
		    strcmp(pf->name, "quorum.yaml") != 0)
			n++;
	buf[0] = '\0';
	for (i = 0; (pf = kr_policy_shipped(i)) != NULL && len < cap; i++) {
		if (strcmp(pf->name, "crl.yaml") == 0 ||
		    strcmp(pf->name, "quorum.yaml") == 0)
			continue;
		sep = k == 0 ? "" : k + 1 == n ? " and " : ", ";
		k++;
		len += (size_t)snprintf(buf + len, cap - len, "%s%.*s", sep,
		    (int)(strlen(pf->name) - 5), pf->name);
	}
}

int
kr_profile_load(const char *dir, const char *name, struct kr_profile *p,
    struct kr_err *err)
{
	char	 file[KR_PROFILE_NAME_MAX + 8], *path, shipped[256];
	uint8_t	*data = NULL;
	size_t	 len;
	int	 ret;

	memset(p, 0, sizeof(*p));
	p->pathlen = -1;
	kr_prof_shipped(shipped, sizeof(shipped));
	if (!kr_prof_name_ok(name) || strcmp(name, "quorum") == 0)
		return kr_err_set(err, KR_EUSAGE, "'%.64s' is not a "
		    "certificate profile name: use one of the shipped "
		    "profiles (%s) or another profile in %s", name, shipped,
		    dir);
	(void)snprintf(file, sizeof(file), "%s.yaml", name);
	if ((path = kr_path_join(dir, file)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (!kr_path_exists(path)) {
		ret = kr_err_set(err, KR_ENOENT, "unknown profile '%s': there "
		    "is no %s (the shipped profiles are %s)", name, path,
		    shipped);
		goto out;
	}
	if ((ret = kr_file_read(path, KR_YAML_FILE_MAX, false, &data, &len,
	    err)) != KR_OK)
		goto out;
	ret = kr_profile_parse(path, name, data, len, p, err);
out:
	free(data);
	free(path);
	return ret;
}
