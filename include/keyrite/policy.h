/*
 * keyrite policy: a strict YAML reader (libyaml) and the policy files
 * built on it.
 *
 * Policy and ceremony files come from outside, so the reader is strict:
 * size and depth limits, no anchors or aliases, no duplicate keys, and
 * every mapping checked against the keys its format allows.  Errors name
 * the file and line.
 */
#ifndef KEYRITE_POLICY_H
#define KEYRITE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>

#define KR_YAML_FILE_MAX	(256 * 1024)
#define KR_YAML_DEPTH_MAX	16
#define KR_YAML_NODES_MAX	20000

enum kr_yaml_kind {
	KR_YAML_SCALAR = 1,
	KR_YAML_MAP,
	KR_YAML_SEQ,
};

struct kr_yaml_node {
	enum kr_yaml_kind	  kind;
	unsigned		  line;		/* 1-based, for messages */
	char			 *scalar;	/* KR_YAML_SCALAR */
	size_t			  count;	/* entries of a map or seq */
	char			**keys;		/* KR_YAML_MAP: count keys */
	struct kr_yaml_node	**items;	/* values, count of them */
};

struct kr_yaml_doc {
	struct kr_yaml_node	*root;
	char			 label[256];	/* file name for messages */
	size_t			 nodes;
};

/* Parses one YAML document from memory; `label` names it in messages. */
int		 kr_yaml_parse(const char *label, const uint8_t *data,
		    size_t len, struct kr_yaml_doc **out, struct kr_err *err)
		    KR_WUR;
int		 kr_yaml_load(const char *, struct kr_yaml_doc **,
		    struct kr_err *) KR_WUR;
void		 kr_yaml_free(struct kr_yaml_doc **);

/* Lookups on a mapping; NULL when absent or when `map` is not a mapping. */
const struct kr_yaml_node *
		 kr_yaml_get(const struct kr_yaml_node *, const char *);
/*
 * Refuses a key of `map` not in the NULL-terminated `allowed` list, and a
 * node that is not a mapping.  `where` names the section ("kdf_profiles.test").
 */
int		 kr_yaml_expect_map(const struct kr_yaml_doc *doc,
		    const struct kr_yaml_node *map, const char *where,
		    const char *const *allowed, struct kr_err *err) KR_WUR;
/* A scalar string; KR_ENOENT if absent and not required. */
int		 kr_yaml_str(const struct kr_yaml_doc *doc,
		    const struct kr_yaml_node *map, const char *key,
		    bool required, const char **out, struct kr_err *err) KR_WUR;
/* "true" or "false"; KR_ENOENT if absent and not required. */
int		 kr_yaml_bool(const struct kr_yaml_doc *doc,
		    const struct kr_yaml_node *map, const char *key,
		    bool required, bool *out, struct kr_err *err) KR_WUR;
/* An unsigned decimal integer in [min, max]. */
int		 kr_yaml_uint(const struct kr_yaml_doc *doc,
		    const struct kr_yaml_node *map, const char *key,
		    bool required, uint64_t min, uint64_t max, uint64_t *out,
		    struct kr_err *err) KR_WUR;

/* The quorum policy (policy/quorum.yaml). */
struct kr_quorum_policy {
	struct kr_kdf_params	ceremony;
	struct kr_kdf_params	test;
	unsigned		min_threshold;
	unsigned		max_custodians;
	unsigned		min_passphrase_length;
	/*
	 * A clock further than this ahead of the newest audit entry is
	 * refused unless the operator confirms today's date.
	 */
	unsigned		max_clock_jump_days;
};

#define KR_CLOCK_JUMP_DAYS_DEFAULT	7

int		 kr_quorum_policy_parse(const char *label, const uint8_t *data,
		    size_t len, struct kr_quorum_policy *qp, struct kr_err *err)
		    KR_WUR;
int		 kr_quorum_policy_load(const char *, struct kr_quorum_policy *,
		    struct kr_err *) KR_WUR;
/* Looks up a KDF profile by name ("ceremony", "test"). */
int		 kr_quorum_policy_kdf(const struct kr_quorum_policy *,
		    const char *, struct kr_kdf_params *, struct kr_err *)
		    KR_WUR;

/*
 * The CRL policy (policy/crl.yaml; docs/revocation.md).  Version 2 gives
 * each CA its own distribution point, delta location and scope: a
 * default for every CA, in which "{issuer}" stands for the CA key's name,
 * and sections under `issuers:` by key name.  Version 1 (folders made
 * before) had one idp_uri and delta_uri for every CA.
 */
#define KR_CRL_URL_MAX		256
#define KR_CRL_ISSUERS_MAX	32
#define KR_CRL_KEY_NAME_MAX	64

enum kr_crl_scope {
	KR_CRL_SCOPE_AUTO = 0,	/* from what the CA issued */
	KR_CRL_SCOPE_CA,	/* onlyContainsCACerts */
	KR_CRL_SCOPE_USER,	/* onlyContainsUserCerts */
	KR_CRL_SCOPE_ALL,	/* neither */
};

struct kr_crl_issuer {
	char		key[KR_CRL_KEY_NAME_MAX + 1];
	bool		has_dp, has_delta;
	char		dp[KR_CRL_URL_MAX];
	char		delta[KR_CRL_URL_MAX];
	enum kr_crl_scope scope;
};

struct kr_crl_policy {
	unsigned	version;
	unsigned	next_update_days;
	unsigned	delta_next_update_days;
	unsigned	publish_margin_days;
	bool		idp;
	char		idp_uri[KR_CRL_URL_MAX];	/* may hold {issuer} */
	char		delta_uri[KR_CRL_URL_MAX];	/* may hold {issuer} */
	struct kr_crl_issuer issuers[KR_CRL_ISSUERS_MAX];
	size_t		nissuers;
};

/* What one CA's CRLs carry: its section or the defaults, expanded. */
struct kr_crl_site {
	char		dp[KR_CRL_URL_MAX];	/* "": no fullName */
	char		delta[KR_CRL_URL_MAX];	/* "": no freshestCRL */
	enum kr_crl_scope scope;
	bool		own;			/* from issuers: */
};

int		 kr_crl_policy_parse(const char *label, const uint8_t *data,
		    size_t len, struct kr_crl_policy *cp, struct kr_err *err)
		    KR_WUR;
int		 kr_crl_policy_load(const char *, struct kr_crl_policy *,
		    struct kr_err *) KR_WUR;
int		 kr_crl_policy_site(const struct kr_crl_policy *,
		    const char *key, struct kr_crl_site *, struct kr_err *)
		    KR_WUR;
const char	*kr_crl_scope_name(enum kr_crl_scope);
/*
 * The one rule for a URL keyrite puts where relying parties fetch before
 * they can check TLS (a CRL distribution point, caIssuers, OCSP; given to
 * init, in a profile or in crl.yaml), and for a CPS pointer (`cps`):
 * shorter than `cap` bytes, printable ASCII without blanks, quotes or
 * backslashes (it is written into YAML), http:// or ldap:// (http:// or
 * https:// for a CPS) and a host.  When it is not, *why (unless NULL)
 * says how, after "it".
 */
bool		 kr_policy_url_ok(const char *, size_t cap, bool cps,
		    const char **why);
/*
 * A policy URL with "{issuer}" replaced by a key name; KR_EINPUT (and a
 * message naming `what`) when the result does not fit in `cap`.
 */
int		 kr_policy_url_expand(const char *tmpl, const char *key,
		    char *out, size_t cap, const char *what, struct kr_err *)
		    KR_WUR;

/* The policy files shipped with keyrite, built into the binary. */
struct kr_policy_file {
	const char	*name;		/* "quorum.yaml" */
	const char	*text;
	size_t		 len;
};

size_t		 kr_policy_shipped_count(void);
const struct kr_policy_file *
		 kr_policy_shipped(size_t);

#endif /* KEYRITE_POLICY_H */
