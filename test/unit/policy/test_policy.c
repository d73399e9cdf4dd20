/*
 * TEST-KEY-015 (docs/traceability.md).
 * Unit tests for policy/: the strict YAML reader and policy/quorum.yaml.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/policy.h>

#include "testlib.h"

static const char good[] =
    "version: 1\n"
    "kdf_profiles:\n"
    "  ceremony:\n"
    "    algorithm: argon2id\n"
    "    passes: 3\n"
    "    memory_kib: 262144\n"
    "  test:\n"
    "    algorithm: argon2id\n"
    "    passes: 1\n"
    "    memory_kib: 64\n"
    "min_threshold: 2\n"
    "max_custodians: 255\n"
    "min_passphrase_length: 12\n";

static int
parse(const char *text, struct kr_quorum_policy *qp, struct kr_err *e)
{
	kr_err_clear(e);
	return kr_quorum_policy_parse("quorum.yaml", (const uint8_t *)text,
	    strlen(text), qp, e);
}

/* Replaces the first `from` in `good` with `to` and parses that. */
static int
parse_edit(const char *from, const char *to, struct kr_err *e)
{
	struct kr_quorum_policy	 qp;
	char			 buf[2048];
	const char		*at = strstr(good, from);
	int			 ret;

	ck_assert_ptr_nonnull(at);
	(void)snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - good), good,
	    to, at + strlen(from));
	ret = parse(buf, &qp, e);
	return ret;
}

START_TEST(test_good_and_shipped)
{
	struct kr_quorum_policy		 qp;
	struct kr_kdf_params		 k;
	const struct kr_policy_file	*pf;
	struct kr_err			 e;

	ck_assert_int_eq(parse(good, &qp, &e), KR_OK);
	ck_assert_uint_eq(qp.ceremony.mem_kib, 262144);
	ck_assert_uint_eq(qp.ceremony.opslimit, 3);
	ck_assert_uint_eq(qp.test.mem_kib, 64);
	ck_assert_uint_eq(qp.min_threshold, 2);
	ck_assert_int_eq(kr_quorum_policy_kdf(&qp, "test", &k, &e), KR_OK);
	ck_assert_uint_eq(k.opslimit, 1);
	ck_assert_int_eq(kr_quorum_policy_kdf(&qp, "fast", &k, &e), KR_EUSAGE);
	ck_assert_uint_ge(kr_policy_shipped_count(), 1);
	for (size_t i = 0; (pf = kr_policy_shipped(i)) != NULL; i++)
		if (strcmp(pf->name, "quorum.yaml") == 0)
			break;
	ck_assert_ptr_nonnull(pf);
	ck_assert_int_eq(kr_quorum_policy_parse(pf->name,
	    (const uint8_t *)pf->text, pf->len, &qp, &e), KR_OK);
	ck_assert_uint_ge(qp.ceremony.mem_kib, 256 * 1024);
	ck_assert_ptr_null(kr_policy_shipped(kr_policy_shipped_count()));
}
END_TEST

START_TEST(test_strictness)
{
	struct kr_err	e;

	ck_assert_int_eq(parse_edit("min_threshold: 2\n",
	    "min_threshold: 2\nmin_treshold: 3\n", &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown key 'min_treshold'"));
	ck_assert_ptr_nonnull(strstr(e.msg, "line 12"));
	ck_assert_int_eq(parse_edit("min_threshold: 2\n",
	    "min_threshold: 2\nmin_threshold: 3\n", &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "appears twice"));
	ck_assert_int_eq(parse_edit("    passes: 1\n", "    passes: 1\n"
	    "    salt: x\n", &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "kdf_profiles.test"));
	ck_assert_int_eq(parse_edit("memory_kib: 262144", "memory_kib: 65536",
	    &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "256 MiB"));
	ck_assert_int_eq(parse_edit("passes: 3", "passes: three", &e),
	    KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "'passes' must be a whole number"));
	ck_assert_int_eq(parse_edit("passes: 3", "passes: -3", &e), KR_EINPUT);
	ck_assert_int_eq(parse_edit("passes: 3", "passes: 99999999999999999999999",
	    &e), KR_EINPUT);
	ck_assert_int_eq(parse_edit("min_threshold: 2", "min_threshold: 1", &e),
	    KR_EINPUT);
	ck_assert_int_eq(parse_edit("algorithm: argon2id", "algorithm: scrypt",
	    &e), KR_EINPUT);
	ck_assert_int_eq(parse_edit("version: 1", "version: 2", &e), KR_EINPUT);
	ck_assert_int_eq(parse_edit("  ceremony:\n", "  ceremony: &c\n", &e),
	    KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "anchors"));
	ck_assert_int_eq(parse_edit("  test:\n    algorithm: argon2id\n"
	    "    passes: 1\n    memory_kib: 64\n", "  test: *c\n", &e),
	    KR_EINPUT);
	ck_assert_int_eq(parse_edit("min_passphrase_length: 12\n",
	    "min_passphrase_length: 12\n---\nversion: 1\n", &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "only one YAML document"));
	ck_assert_int_eq(parse_edit("min_threshold: 2", "min_threshold: [2]",
	    &e), KR_EINPUT);
	ck_assert_int_eq(parse_edit("version: 1", "version: 1\n  bad: indent",
	    &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "not valid YAML"));
	ck_assert_int_eq(parse_edit("max_custodians: 255\n", "", &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "'max_custodians' is missing"));
}
END_TEST

START_TEST(test_limits)
{
	struct kr_quorum_policy	 qp;
	struct kr_yaml_doc	*doc = NULL;
	struct kr_err		 e;
	char			*big;
	size_t			 i, n;

	/* Depth. */
	big = malloc(4096);
	n = 0;
	for (i = 0; i < 40; i++)
		n += (size_t)sprintf(big + n, "[");
	for (i = 0; i < 40; i++)
		n += (size_t)sprintf(big + n, "]");
	ck_assert_int_eq(kr_yaml_parse("deep.yaml", (uint8_t *)big, n, &doc,
	    &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "nested too deeply"));
	free(big);
	/* Size. */
	n = KR_YAML_FILE_MAX + 1;
	big = malloc(n);
	memset(big, 'a', n);
	ck_assert_int_eq(kr_yaml_parse("big.yaml", (uint8_t *)big, n, &doc,
	    &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "big.yaml"));
	free(big);
	/* NUL bytes, empty input. */
	ck_assert_int_eq(kr_yaml_parse("nul.yaml", (const uint8_t *)"a: 1\0",
	    5, &doc, &e), KR_EINPUT);
	ck_assert_int_eq(parse("", &qp, &e), KR_EINPUT);
	ck_assert_int_eq(parse("just a string\n", &qp, &e), KR_EINPUT);
	ck_assert_ptr_null(doc);
}
END_TEST

/* TEST-KEY-400: version 2, a distribution point, delta and scope per CA. */
static int
crl_v2_parse(const char *text, struct kr_crl_policy *cp, struct kr_err *e)
{
	return kr_crl_policy_parse("crl.yaml", (const uint8_t *)text,
	    strlen(text), cp, e);
}

START_TEST(test_crl_policy_issuers)
{
	static const char head[] =
	    "version: 2\n"
	    "next_update_days: 30\n"
	    "delta_next_update_days: 1\n"
	    "publish_margin_days: 7\n"
	    "issuing_distribution_point: true\n";
	static struct kr_crl_policy	cp;
	struct kr_crl_site		site;
	struct kr_err			e;
	char				t[2048], big[300];

	(void)snprintf(t, sizeof(t), "%s"
	    "distribution_point: \"http://pki.example.com/{issuer}.crl\"\n"
	    "delta_distribution_point: \"http://pki.example.com/{issuer}-d."
	    "crl\"\n"
	    "issuers:\n"
	    "  root:\n"
	    "    distribution_point: \"http://pki.example.com/r.crl\"\n"
	    "    delta_distribution_point: \"\"\n"
	    "    scope: ca\n"
	    "  issuing-2026:\n"
	    "    scope: user\n", head);
	ck_assert_int_eq(crl_v2_parse(t, &cp, &e), KR_OK);
	ck_assert_uint_eq(cp.version, 2);
	ck_assert_uint_eq(cp.nissuers, 2);
	ck_assert_int_eq(kr_crl_policy_site(&cp, "root", &site, &e), KR_OK);
	ck_assert_str_eq(site.dp, "http://pki.example.com/r.crl");
	ck_assert_str_eq(site.delta, "");
	ck_assert_int_eq(site.scope, KR_CRL_SCOPE_CA);
	ck_assert(site.own);
	ck_assert_int_eq(kr_crl_policy_site(&cp, "issuing-2026", &site, &e),
	    KR_OK);
	ck_assert_str_eq(site.dp, "http://pki.example.com/issuing-2026.crl");
	ck_assert_str_eq(site.delta, "http://pki.example.com/issuing-2026-d.crl");
	ck_assert_int_eq(site.scope, KR_CRL_SCOPE_USER);
	ck_assert_int_eq(kr_crl_policy_site(&cp, "other", &site, &e), KR_OK);
	ck_assert_str_eq(site.dp, "http://pki.example.com/other.crl");
	ck_assert_int_eq(site.scope, KR_CRL_SCOPE_AUTO);
	ck_assert(!site.own);
	/* {issuer} replaced past the length of a URL */
	memset(big, 'k', 64);
	big[64] = '\0';
	ck_assert_int_eq(kr_policy_url_expand("http://x/{issuer}{issuer}"
	    "{issuer}{issuer}/{issuer}", big, site.dp, sizeof(site.dp), "the "
	    "CRL distribution point", &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "longer than 255"));
	/* refusals, each naming what is wrong */
	(void)snprintf(t, sizeof(t), "%sdistribution_point: \"http://x/"
	    "{issuers}.crl\"\ndelta_distribution_point: \"\"\n", head);
	ck_assert_int_eq(crl_v2_parse(t, &cp, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "'distribution_point' must be"));
	(void)snprintf(t, sizeof(t), "%sdistribution_point: \"\"\n"
	    "delta_distribution_point: \"\"\nissuers:\n  root:\n"
	    "    scope: some\n", head);
	ck_assert_int_eq(crl_v2_parse(t, &cp, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "'issuers.root.scope' must be"));
	(void)snprintf(t, sizeof(t), "%sdistribution_point: \"\"\n"
	    "delta_distribution_point: \"\"\nissuers:\n  -root:\n"
	    "    scope: ca\n", head);
	ck_assert_int_eq(crl_v2_parse(t, &cp, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "is not a key name"));
	(void)snprintf(t, sizeof(t), "%sdistribution_point: \"\"\n"
	    "delta_distribution_point: \"\"\nissuers:\n  root:\n"
	    "    url: \"http://x/r.crl\"\n", head);
	ck_assert_int_eq(crl_v2_parse(t, &cp, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown key 'url'"));
	(void)snprintf(t, sizeof(t), "%sidp_uri: \"\"\ndelta_uri: \"\"\n",
	    head);
	ck_assert_int_eq(crl_v2_parse(t, &cp, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown key 'idp_uri'"));
}
END_TEST

START_TEST(test_crl_policy)
{
	static const char crl[] =
	    "version: 1\n"
	    "next_update_days: 30\n"
	    "delta_next_update_days: 1\n"
	    "publish_margin_days: 7\n"
	    "issuing_distribution_point: true\n"
	    "idp_uri: \"http://pki.example.com/root.crl\"\n"
	    "delta_uri: \"\"\n";
	const struct kr_policy_file	*pf;
	struct kr_crl_policy		 cp;
	struct kr_err			 e;
	char				 bad[1024];
	size_t				 i;

	ck_assert_int_eq(kr_crl_policy_parse("crl.yaml", (const uint8_t *)crl,
	    strlen(crl), &cp, &e), KR_OK);
	ck_assert_uint_eq(cp.next_update_days, 30);
	ck_assert(cp.idp);
	ck_assert_str_eq(cp.idp_uri, "http://pki.example.com/root.crl");
	for (i = 0; (pf = kr_policy_shipped(i)) != NULL; i++)
		if (strcmp(pf->name, "crl.yaml") == 0)
			break;
	ck_assert_ptr_nonnull(pf);
	ck_assert_int_eq(kr_crl_policy_parse(pf->name, (const uint8_t *)
	    pf->text, pf->len, &cp, &e), KR_OK);
	(void)snprintf(bad, sizeof(bad), "%snext_update_dayz: 3\n", crl);
	ck_assert_int_eq(kr_crl_policy_parse("crl.yaml", (const uint8_t *)bad,
	    strlen(bad), &cp, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown key 'next_update_dayz'"));
	(void)snprintf(bad, sizeof(bad), "%s", crl);
	memcpy(strstr(bad, "http://"), "ftp:// ", 7);
	ck_assert_int_eq(kr_crl_policy_parse("crl.yaml", (const uint8_t *)bad,
	    strlen(bad), &cp, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "'idp_uri' must be"));
	(void)snprintf(bad, sizeof(bad), "%s", crl);
	memcpy(strstr(bad, "publish_margin_days: 7"), "publish_margin_days: 99",
	    23);
	ck_assert_int_eq(kr_crl_policy_parse("crl.yaml", (const uint8_t *)bad,
	    strlen(bad), &cp, &e), KR_EINPUT);
	(void)snprintf(bad, sizeof(bad), "%s", crl);
	memcpy(strstr(bad, "true"), "yes ", 4);
	ck_assert_int_eq(kr_crl_policy_parse("crl.yaml", (const uint8_t *)bad,
	    strlen(bad), &cp, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "true or false"));
}
END_TEST

/*
 * TEST-KEY-487: one URL rule for init's options, profiles and crl.yaml;
 * crl.yaml used to take a URL naming no host, or holding a control
 * character or a backslash.
 */
START_TEST(test_url_rule)
{
	static const char head[] =
	    "version: 2\n"
	    "next_update_days: 30\n"
	    "delta_next_update_days: 1\n"
	    "publish_margin_days: 7\n"
	    "issuing_distribution_point: true\n"
	    "delta_distribution_point: \"\"\n";
	static const char *const bad[] = {
	    "", "http://", "http:///x.crl", "https://pki.example.com/x.crl",
	    "ftp://pki.example.com/x.crl", "http://pki example.com/",
	    "http://pki.example.com/\001", "http://pki.example.com/\"x",
	    "http://pki.example.com/\\x", "http://pki.example.com/\303\251",
	};
	static struct kr_crl_policy	cp;
	struct kr_err			e;
	const char			*why;
	char				t[1024], big[300];
	size_t				i;

	ck_assert(kr_policy_url_ok("http://pki.example.com/{issuer}.crl",
	    256, false, &why));
	ck_assert_ptr_null(why);
	ck_assert(kr_policy_url_ok("ldap://dir.example.com/cn=x", 256, false,
	    NULL));
	ck_assert(kr_policy_url_ok("https://pki.example.com/cps", 256, true,
	    NULL));
	ck_assert(!kr_policy_url_ok("ldap://dir.example.com/", 256, true,
	    &why));
	ck_assert_str_eq(why, "is not http:// or https://");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!kr_policy_url_ok(bad[i], 256, false, &why),
		    "%s", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert(!kr_policy_url_ok("http:///x.crl", 256, false, &why));
	ck_assert_str_eq(why, "names no host");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "http://", 7);
	ck_assert(!kr_policy_url_ok(big, 256, false, &why));
	ck_assert_str_eq(why, "is too long");
	/* crl.yaml: a distribution point naming no host is refused. */
	(void)snprintf(t, sizeof(t), "%sdistribution_point: "
	    "\"http:///{issuer}.crl\"\n", head);
	ck_assert_int_eq(crl_v2_parse(t, &cp, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "'distribution_point' must be"));
	(void)snprintf(t, sizeof(t), "%sdistribution_point: "
	    "'http://pki.example.com/\\{issuer}.crl'\n", head);
	ck_assert_int_eq(crl_v2_parse(t, &cp, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "'distribution_point' must be"));
	(void)snprintf(t, sizeof(t), "%sdistribution_point: "
	    "\"http://pki.example.com/{issuer}.crl\"\n", head);
	ck_assert_int_eq(crl_v2_parse(t, &cp, &e), KR_OK);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("policy");
	TCase	*tc = tcase_create("core");
	tcase_add_test(tc, test_good_and_shipped);
	tcase_add_test(tc, test_strictness);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_crl_policy);
	tcase_add_test(tc, test_crl_policy_issuers);
	tcase_add_test(tc, test_url_rule);
	suite_add_tcase(s, tc);
	return tl_run(s, NULL);
}
