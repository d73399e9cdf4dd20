/*
 * Unit tests for certificate profiles (src/x509/profile.c): the shipped
 * policy files, read from the copies embedded in the binary, and every
 * kind of bad profile, each refused with a message naming file, line and
 * key.
 *
 * TEST-KEY-025 (docs/traceability.md): these tests as a whole.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <keyrite/x509.h>

#include "testlib.h"

static const char *const shipped_names[] = {
	"root", "intermediate", "firmware-signing", "ocsp-signing", "device",
	"root-link", NULL
};

/* The embedded text of policy/<name>.yaml. */
static const struct kr_policy_file *
shipped(const char *name)
{
	const struct kr_policy_file	*pf;
	char				 file[64];
	size_t				 i;

	(void)snprintf(file, sizeof(file), "%s.yaml", name);
	for (i = 0; (pf = kr_policy_shipped(i)) != NULL; i++)
		if (strcmp(pf->name, file) == 0)
			return pf;
	ck_abort_msg("%s is not embedded in the binary", file);
	return NULL;
}

static int
parse_text(const char *label, const char *text, struct kr_profile *p,
    struct kr_err *e)
{
	kr_err_clear(e);
	return kr_profile_parse(label, NULL, (const uint8_t *)text,
	    strlen(text), p, e);
}

static void
load_shipped(const char *name, struct kr_profile *p)
{
	const struct kr_policy_file	*pf = shipped(name);
	struct kr_err			 e;

	kr_err_clear(&e);
	ck_assert_msg(kr_profile_parse(pf->name, NULL,
	    (const uint8_t *)pf->text, pf->len, p, &e) == KR_OK,
	    "%s: %s", pf->name, e.msg);
	ck_assert_str_eq(p->name, name);
}

static bool
has_oid(const struct kr_oid *list, size_t n, const char *name)
{
	struct kr_oid	oid;
	struct kr_err	e;
	size_t		i;

	ck_assert_int_eq(kr_oid_parse(name, &oid, &e), KR_OK);
	for (i = 0; i < n; i++)
		if (list[i].len == oid.len &&
		    memcmp(list[i].der, oid.der, oid.len) == 0)
			return true;
	return false;
}

START_TEST(test_root)
{
	struct kr_profile	p;

	load_shipped("root", &p);
	ck_assert(p.is_ca);
	ck_assert(p.self_signed);
	ck_assert_int_eq(p.pathlen, -1);
	ck_assert_uint_eq(p.key_usage, KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN |
	    KR_KU_DIGITAL_SIGNATURE);
	ck_assert_uint_eq(p.key_usage_ec, 0);
	ck_assert_uint_eq(p.eku_count, 0);
	ck_assert(p.allow_p256 && p.allow_p384 && p.allow_ed25519 &&
	    p.allow_rsa);
	ck_assert_uint_eq(p.rsa_min_bits, 3072);
	ck_assert_uint_eq(p.max_days, 9132);
	ck_assert_uint_le(p.max_days, 25 * 366);
	ck_assert_uint_eq(p.default_days, 7305);
	ck_assert_uint_eq(p.backdate_max_seconds, 0);
	ck_assert_uint_eq(p.subject_from_request, 0);
	ck_assert(!p.san_allowed && !p.san_from_request);
	ck_assert_uint_eq(p.nc_permitted_count + p.nc_excluded_count, 0);
	ck_assert_uint_eq(p.crldp_count + p.aia_count + p.policies_count, 0);
	ck_assert_str_eq(p.cps_uri, "");
}
END_TEST

START_TEST(test_intermediate)
{
	struct kr_profile	p;

	load_shipped("intermediate", &p);
	ck_assert(p.is_ca);
	ck_assert(!p.self_signed);
	ck_assert_int_eq(p.pathlen, 0);
	ck_assert_uint_eq(p.key_usage, KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN);
	ck_assert_uint_eq(p.rsa_min_bits, 3072);
	ck_assert_uint_eq(p.max_days, 3653);
	ck_assert_uint_eq(p.default_days, 1826);
	ck_assert_uint_eq(p.subject_from_request, KR_SUBJ_CN | KR_SUBJ_O |
	    KR_SUBJ_OU | KR_SUBJ_C);
	ck_assert(!p.san_allowed);
	ck_assert_uint_eq(p.nc_permitted_count + p.nc_excluded_count, 0);
	ck_assert_uint_eq(p.crldp_count + p.aia_count, 0);
}
END_TEST

START_TEST(test_firmware_signing)
{
	struct kr_profile	p;

	load_shipped("firmware-signing", &p);
	ck_assert(!p.is_ca && !p.self_signed);
	ck_assert_int_eq(p.pathlen, -1);
	ck_assert_uint_eq(p.key_usage, KR_KU_DIGITAL_SIGNATURE);
	ck_assert_uint_eq(p.key_usage_ec, 0);
	ck_assert_uint_eq(p.eku_count, 2);
	ck_assert(has_oid(p.eku, p.eku_count, "1.3.6.1.5.5.7.3.3"));
	ck_assert(has_oid(p.eku, p.eku_count, "1.3.6.1.5.5.7.3.4"));
	ck_assert_uint_eq(p.rsa_min_bits, 3072);
	ck_assert_uint_eq(p.max_days, 1827);
	ck_assert_uint_eq(p.default_days, 1096);
	ck_assert_uint_eq(p.backdate_max_seconds, 3600);
	ck_assert(!p.san_allowed);
}
END_TEST

START_TEST(test_ocsp_signing)
{
	struct kr_profile	p;

	load_shipped("ocsp-signing", &p);
	ck_assert(!p.is_ca);
	ck_assert_uint_eq(p.key_usage, KR_KU_DIGITAL_SIGNATURE);
	ck_assert_uint_eq(p.eku_count, 1);
	ck_assert(has_oid(p.eku, p.eku_count, "1.3.6.1.5.5.7.3.9"));
	ck_assert_uint_eq(p.max_days, 90);
	ck_assert_uint_eq(p.default_days, 60);
	ck_assert(!p.san_allowed);
}
END_TEST

START_TEST(test_device)
{
	struct kr_profile	p;

	load_shipped("device", &p);
	ck_assert(!p.is_ca);
	ck_assert_int_eq(p.pathlen, -1);
	ck_assert_uint_eq(p.key_usage, KR_KU_DIGITAL_SIGNATURE);
	ck_assert_uint_eq(p.key_usage_ec, KR_KU_KEY_AGREEMENT);
	ck_assert_uint_eq(p.eku_count, 1);
	ck_assert(has_oid(p.eku, p.eku_count, "1.3.6.1.5.5.7.3.2"));
	ck_assert(p.allow_rsa);
	ck_assert_uint_eq(p.rsa_min_bits, 2048);
	ck_assert_uint_eq(p.max_days, 90);
	ck_assert_uint_eq(p.default_days, 30);
	ck_assert(p.san_allowed && p.san_from_request);
	ck_assert_uint_eq(p.subject_from_request, KR_SUBJ_CN | KR_SUBJ_O |
	    KR_SUBJ_OU | KR_SUBJ_C | KR_SUBJ_SERIAL);
}
END_TEST

/* A rotation's link certificates: CA, no path length limit, one year. */
START_TEST(test_root_link)
{
	struct kr_profile	p;

	load_shipped("root-link", &p);
	ck_assert(p.is_ca && !p.self_signed);
	ck_assert_int_eq(p.pathlen, -1);
	ck_assert_uint_eq(p.key_usage, KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN);
	ck_assert_uint_eq(p.eku_count, 0);
	ck_assert_uint_eq(p.max_days, 1826);
	ck_assert_uint_eq(p.default_days, 365);
	ck_assert(!p.san_allowed);
	ck_assert_uint_eq(p.subject_from_request, 0);
}
END_TEST

/* Every embedded file but quorum.yaml and crl.yaml is a profile, and each parses. */
START_TEST(test_all_embedded)
{
	const struct kr_policy_file	*pf;
	struct kr_profile		 p;
	struct kr_err			 e;
	size_t				 i, n = 0;

	for (i = 0; (pf = kr_policy_shipped(i)) != NULL; i++) {
		if (strcmp(pf->name, "quorum.yaml") == 0 ||
		    strcmp(pf->name, "crl.yaml") == 0)
			continue;
		kr_err_clear(&e);
		ck_assert_msg(kr_profile_parse(pf->name, NULL,
		    (const uint8_t *)pf->text, pf->len, &p, &e) == KR_OK,
		    "%s: %s", pf->name, e.msg);
		n++;
	}
	ck_assert_uint_eq(n, 6);
	for (i = 0; shipped_names[i] != NULL; i++)
		ck_assert_ptr_nonnull(shipped(shipped_names[i]));
}
END_TEST

/* A profile using every optional key. */
static const char full[] =
    "version: 1\n"
    "name: full\n"
    "kind: ca\n"
    "path_len: 2\n"
    "key_algorithms:\n"
    "  - p384\n"
    "  - rsa\n"
    "rsa_min_bits: 4096\n"
    "max_days: 400\n"
    "backdate_max_seconds: 60\n"
    "key_usage: [keyCertSign, cRLSign, contentCommitment]\n"
    "key_usage_ec: [keyAgreement]\n"
    "extended_key_usage: [serverAuth, 1.3.6.1.4.1.99999.1]\n"
    "name_constraints:\n"
    "  permitted: [\"dns:.example.com\", \"ip:10.0.0.0/8\",\n"
    "              \"email:example.com\", \"dirname:O=Example,C=DE\"]\n"
    "  excluded:\n"
    "    - dns:bad.example.com\n"
    "    - \"ip:2001:db8::/32\"\n"
    "    - email:pki@example.com\n"
    "    - email:.example.com\n"
    "policies: [1.3.6.1.4.1.99999.2.1, anyPolicy]\n"
    "cps_uri: https://pki.example.com/cps\n"
    "crl_distribution_points: [\"http://pki.example.com/a.crl\",\n"
    "                          \"ldap://ldap.example.com/cn=a\"]\n"
    "aia_ca_issuers: [\"http://pki.example.com/{issuer}.crt\"]\n"
    "aia_ocsp: [\"http://ocsp.example.com/\"]\n"
    "subject_from_request: [CN, DC, emailAddress, ST, L]\n"
    "san_allowed: false\n";

START_TEST(test_full)
{
	struct kr_profile	p;
	struct kr_err		e;

	ck_assert_msg(parse_text("dir/full.yaml", full, &p, &e) == KR_OK,
	    "%s", e.msg);
	ck_assert_str_eq(p.name, "full");
	ck_assert_int_eq(p.pathlen, 2);
	ck_assert(!p.allow_p256 && p.allow_p384 && !p.allow_ed25519 &&
	    p.allow_rsa);
	ck_assert_uint_eq(p.rsa_min_bits, 4096);
	ck_assert_uint_eq(p.max_days, 400);
	ck_assert_uint_eq(p.default_days, 400);	/* defaults to max_days */
	ck_assert_uint_eq(p.backdate_max_seconds, 60);
	ck_assert_uint_eq(p.key_usage, KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN |
	    KR_KU_NON_REPUDIATION);
	ck_assert_uint_eq(p.key_usage_ec, KR_KU_KEY_AGREEMENT);
	ck_assert_uint_eq(p.eku_count, 2);
	ck_assert(has_oid(p.eku, 2, "1.3.6.1.4.1.99999.1"));
	ck_assert_uint_eq(p.nc_permitted_count, 4);
	ck_assert_int_eq(p.nc_permitted[0].type, KR_GN_DNS);
	ck_assert_int_eq(p.nc_permitted[1].type, KR_GN_IP);
	ck_assert_uint_eq(p.nc_permitted[1].len, 8);
	ck_assert_int_eq(p.nc_permitted[2].type, KR_GN_EMAIL);
	ck_assert_int_eq(p.nc_permitted[3].type, KR_GN_DIRNAME);
	ck_assert_uint_eq(p.nc_excluded_count, 4);
	ck_assert_int_eq(p.nc_excluded[1].type, KR_GN_IP);
	ck_assert_uint_eq(p.nc_excluded[1].len, 32);
	ck_assert_int_eq(p.nc_excluded[2].type, KR_GN_EMAIL);
	ck_assert_int_eq(p.nc_excluded[3].type, KR_GN_EMAIL);
	ck_assert_uint_eq(p.policies_count, 2);
	ck_assert(has_oid(p.policies, 2, "2.5.29.32.0"));
	ck_assert_str_eq(p.cps_uri, "https://pki.example.com/cps");
	ck_assert_uint_eq(p.crldp_count, 2);
	ck_assert_str_eq(p.crldp[1], "ldap://ldap.example.com/cn=a");
	ck_assert_uint_eq(p.aia_count, 1);
	ck_assert_str_eq(p.aia_ca_issuers[0],
	    "http://pki.example.com/{issuer}.crt");
	ck_assert_uint_eq(p.aia_ocsp_count, 1);
	ck_assert_str_eq(p.aia_ocsp[0], "http://ocsp.example.com/");
	ck_assert_uint_eq(p.subject_from_request, KR_SUBJ_CN | KR_SUBJ_DC |
	    KR_SUBJ_EMAIL | KR_SUBJ_ST | KR_SUBJ_L);
	ck_assert(!p.san_allowed && !p.san_from_request);
}
END_TEST

/* The 1-based line of the first `needle` in `text`. */
static unsigned
line_of(const char *text, const char *needle)
{
	const char	*at = strstr(text, needle), *c;
	unsigned	 line = 1;

	ck_assert_msg(at != NULL, "'%s' not in the text", needle);
	for (c = text; c < at; c++)
		if (*c == '\n')
			line++;
	return line;
}

/*
 * Replaces `from` (which must occur) in the shipped profile `name` with
 * `to`, parses the result, and checks that it is refused with a message
 * naming the file, `key`, `what` and the line of the first `at` in the
 * edited text (NULL: the line where `to` starts).
 */
static void
refuse(const char *name, const char *from, const char *to, const char *at,
    const char *key, const char *what)
{
	const struct kr_policy_file	*pf = shipped(name);
	struct kr_profile		 p;
	struct kr_err			 e;
	char				 buf[8192], want[64];
	const char			*hit;
	size_t				 off;
	unsigned			 line;

	ck_assert_uint_lt(pf->len, sizeof(buf) - 512);
	memcpy(buf, pf->text, pf->len);
	buf[pf->len] = '\0';
	ck_assert_msg((hit = strstr(buf, from)) != NULL, "'%s' not in %s",
	    from, pf->name);
	off = (size_t)(hit - buf);
	(void)snprintf(buf + off, sizeof(buf) - off, "%s%s", to,
	    pf->text + off + strlen(from));
	line = 1;
	if (at != NULL)
		line = line_of(buf, at);
	else
		for (hit = buf; hit < buf + off; hit++)
			line += *hit == '\n';
	ck_assert_int_eq(parse_text(pf->name, buf, &p, &e), KR_EINPUT);
	ck_assert_int_eq(e.code, KR_EINPUT);
	(void)snprintf(want, sizeof(want), "%s, line %u:", pf->name, line);
	ck_assert_msg(strstr(e.msg, want) != NULL, "'%s' not in '%s'", want,
	    e.msg);
	ck_assert_msg(strstr(e.msg, key) != NULL, "'%s' not in '%s'", key,
	    e.msg);
	ck_assert_msg(strstr(e.msg, what) != NULL, "'%s' not in '%s'", what,
	    e.msg);
	/* A refused profile is left empty, so it cannot be used by mistake. */
	ck_assert_str_eq(p.name, "");
	ck_assert(!p.is_ca);
	ck_assert_uint_eq(p.key_usage, 0);
}

START_TEST(test_unknown_key)
{
	refuse("intermediate", "san_allowed: false\n",
	    "san_allowed: false\ncolour: blue\n", "colour", "colour",
	    "unknown key");
	refuse("root", "kind: root\n", "kind: root\npath_length: 1\n",
	    "path_length", "path_length", "unknown key");
	refuse("intermediate", "  excluded: []\n",
	    "  excluded: []\n  permited: []\n", "permited", "permited",
	    "unknown key");
}
END_TEST

/*
 * The YAML reader reports a duplicate at the line of the mapping that holds
 * it (here the first key of the file, line 7 after the comment header).
 */
START_TEST(test_duplicate_key)
{
	refuse("device", "max_days: 90\n", "max_days: 90\nmax_days: 9000\n",
	    "max_days: 9000", "max_days",
	    "appears twice");
}
END_TEST

START_TEST(test_bad_oid)
{
	refuse("firmware-signing", "[codeSigning, emailProtection]",
	    "[codeSigning, 1.3.6.1..5]", NULL, "extended_key_usage",
	    "1.3.6.1..5");
	refuse("firmware-signing", "[codeSigning, emailProtection]",
	    "[codeSigning, codeSignin]", NULL, "extended_key_usage",
	    "codeSignin");
	refuse("intermediate", "policies: []", "policies: [1.2.x]", NULL,
	    "policies", "1.2.x");
	refuse("intermediate", "policies: []", "policies: [clientAuth]", NULL,
	    "policies", "extended key usage");
	refuse("device", "[clientAuth]", "[clientAuth, anyPolicy]", NULL,
	    "extended_key_usage", "not a key purpose");
	refuse("device", "[clientAuth]", "[clientAuth, clientAuth]", NULL,
	    "extended_key_usage", "twice");
}
END_TEST

START_TEST(test_bad_key_usage)
{
	refuse("intermediate", "[keyCertSign, cRLSign]",
	    "[keyCertSign, cRLSign, keySigning]", NULL, "key_usage",
	    "unknown key usage 'keySigning'");
	refuse("intermediate", "[keyCertSign, cRLSign]", "[keyCertSign]", NULL,
	    "key_usage", "must include keyCertSign and cRLSign");
	refuse("ocsp-signing", "[digitalSignature]",
	    "[digitalSignature, keyCertSign]", NULL, "key_usage",
	    "only a CA profile");
	refuse("ocsp-signing", "[digitalSignature]",
	    "[digitalSignature, nonRepudiation, contentCommitment]", NULL,
	    "key_usage", "twice");
	refuse("device", "key_usage: [digitalSignature]",
	    "key_usage: [digitalSignature, keyAgreement]", NULL, "key_usage",
	    "key_usage_ec");
	refuse("device", "key_usage: [digitalSignature]",
	    "key_usage: [keyEncipherment]", NULL, "key_usage",
	    "keyEncipherment");
	refuse("device", "key_usage_ec: [keyAgreement]",
	    "key_usage_ec: [cRLSign]", NULL, "key_usage_ec", "may only add");
	refuse("device", "key_algorithms: [p256, p384, ed25519, rsa]",
	    "key_algorithms: [ed25519, rsa]", "key_usage_ec:", "key_usage_ec",
	    "neither p256 nor p384");
	refuse("device", "key_usage: [digitalSignature]", "key_usage: []", NULL,
	    "key_usage", "is empty");
}
END_TEST

START_TEST(test_ca_rsa_2048)
{
	refuse("intermediate", "rsa_min_bits: 3072", "rsa_min_bits: 2048", NULL,
	    "rsa_min_bits", "at least 3072");
	refuse("root", "rsa_min_bits: 3072", "rsa_min_bits: 3000", NULL,
	    "rsa_min_bits", "at least 3072");
	refuse("device", "rsa_min_bits: 2048", "rsa_min_bits: 1024", NULL,
	    "rsa_min_bits", "from 2048");
	refuse("intermediate", "[p256, p384, ed25519, rsa]",
	    "[p256, p384, ed25519]", "rsa_min_bits:", "rsa_min_bits",
	    "rsa is not in key_algorithms");
	refuse("intermediate", "[p256, p384, ed25519, rsa]",
	    "[p256, p521]", NULL, "key_algorithms", "'p521'");
	refuse("intermediate", "[p256, p384, ed25519, rsa]", "[]", NULL,
	    "key_algorithms", "is empty");
}
END_TEST

START_TEST(test_name_mismatch)
{
	const struct kr_policy_file	*pf = shipped("root");
	struct kr_profile		 p;
	struct kr_err			 e;

	refuse("intermediate", "name: intermediate", "name: intermediat", NULL,
	    "name", "must equal its file name");
	refuse("root", "name: root", "name: Root", NULL, "name",
	    "not a profile name");
	/* The expected name can be given instead of taken from the label. */
	ck_assert_int_eq(kr_profile_parse("embedded copy", "root",
	    (const uint8_t *)pf->text, pf->len, &p, &e), KR_OK);
	ck_assert_int_eq(kr_profile_parse("root.yaml", "device",
	    (const uint8_t *)pf->text, pf->len, &p, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "device.yaml"));
}
END_TEST

START_TEST(test_days)
{
	refuse("device", "default_days: 30", "default_days: 91", NULL,
	    "default_days", "more than max_days (90)");
	refuse("device", "max_days: 90", "max_days: 0", NULL, "max_days",
	    "from 1 to");
	refuse("device", "max_days: 90", "max_days: ninety", NULL, "max_days",
	    "whole number");
	refuse("device", "backdate_max_seconds: 3600",
	    "backdate_max_seconds: 90000", NULL, "backdate_max_seconds",
	    "from 0 to 86400");
	refuse("device", "version: 1", "version: 2", NULL, "version",
	    "from 1 to 1");
}
END_TEST

START_TEST(test_pathlen)
{
	refuse("device", "kind: leaf\n", "kind: leaf\npath_len: 0\n",
	    "path_len",
	    "path_len", "only for CA profiles");
	refuse("device", "kind: leaf\n", "kind: leaf\npath_len: none\n",
	    "path_len",
	    "path_len", "only for CA profiles");
	refuse("intermediate", "path_len: 0\n", "path_len: -1\n", NULL,
	    "path_len", "or none");
	refuse("intermediate", "path_len: 0\n", "path_len: 17\n", NULL,
	    "path_len", "from 0 to 16");
	refuse("intermediate", "path_len: 0\n", "", "version:", "path_len",
	    "is missing");
}
END_TEST

START_TEST(test_other_refusals)
{
	refuse("device", "kind: leaf", "kind: subca", NULL, "kind",
	    "'subca'");
	refuse("device", "san_from_request: true", "san_from_request: yes",
	    NULL,
	    "san_from_request", "true or false");
	refuse("ocsp-signing", "san_from_request: false",
	    "san_from_request: true", NULL, "san_from_request",
	    "san_allowed is false");
	refuse("intermediate", "san_allowed: false", "san_allowed: true", NULL,
	    "san_allowed", "CA profile");
	refuse("root", "subject_from_request: []",
	    "subject_from_request: [CN]", NULL, "subject_from_request",
	    "for a root");
	refuse("device", "[CN, O, OU, C, serialNumber]", "[CN, uid]", NULL,
	    "subject_from_request", "'uid'");
}
END_TEST

START_TEST(test_nc_url_refusals)
{
	refuse("intermediate", "  permitted: []",
	    "  permitted: [\"dns:.example.com\", \"uri:.example.com\"]", NULL,
	    "name_constraints.permitted", "dirname");
	refuse("intermediate", "  permitted: []",
	    "  permitted: [\"ftp:example.com\"]", NULL,
	    "name_constraints.permitted", "ftp:example.com");
	refuse("intermediate", "  excluded: []",
	    "  excluded: dns:.example.com", NULL, "name_constraints.excluded",
	    "must be a list");
	refuse("device", "aia_ca_issuers: []",
	    "name_constraints:\n  permitted: [\"dns:.example.com\"]",
	    "permitted:",
	    "name_constraints", "only for kind ca");
	refuse("root", "aia_ca_issuers: []",
	    "name_constraints:\n  excluded: [\"dns:.example.com\"]",
	    "excluded:",
	    "name_constraints", "only for kind ca");
	refuse("intermediate", "cps_uri: \"\"",
	    "cps_uri: http://pki.example.com/cps", NULL, "cps_uri",
	    "policies is empty");
	refuse("intermediate", "aia_ca_issuers: []",
	    "aia_ca_issuers: [\"https://pki.example.com/root.crt\"]", NULL,
	    "aia_ca_issuers", "not https");
	refuse("intermediate", "crl_distribution_points: []",
	    "crl_distribution_points: [\"http://a/1\", \"http://a/2\", "
	    "\"http://a/3\", \"http://a/4\", \"http://a/5\"]", NULL,
	    "crl_distribution_points", "at most 4");
	refuse("intermediate", "crl_distribution_points: []",
	    "crl_distribution_points: [\"http://a/1\", \"http://a/1\"]", NULL,
	    "crl_distribution_points", "twice");
	refuse("intermediate", "crl_distribution_points: []",
	    "crl_distribution_points: [\"http://a b/\"]", NULL,
	    "crl_distribution_points", "not an http");
	/* TEST-KEY-487: the one URL rule (kr_policy_url_ok): no backslash. */
	refuse("intermediate", "crl_distribution_points: []",
	    "crl_distribution_points: ['http://a/\\x.crl']", NULL,
	    "crl_distribution_points", "not an http");
	refuse("intermediate", "policies: []", "policies:\n  - [1.2.3]",
	    "- [1.2.3]",
	    "policies", "entry 1");
}
END_TEST

/* Not YAML a profile can be: the reader's own refusals still name a line. */
START_TEST(test_reader_refusals)
{
	struct kr_profile	p;
	struct kr_err		e;

	ck_assert_int_eq(parse_text("x.yaml", "version: 1\nname: [x\n", &p,
	    &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "x.yaml, line"));
	ck_assert_int_eq(parse_text("x.yaml", "- a\n- b\n", &p, &e),
	    KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "mapping"));
	ck_assert_int_eq(parse_text("x.yaml", "version: 1\nname: x\n", &p,
	    &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "'kind' is missing"));
}
END_TEST

START_TEST(test_load)
{
	const struct kr_policy_file	*pf = shipped("device");
	struct kr_profile		 p;
	struct kr_err			 e;
	const char			*dir = tl_work_begin("profile");

	ck_assert_ptr_nonnull(dir);
	tl_write("device.yaml", pf->text, pf->len);
	tl_write("renamed.yaml", pf->text, pf->len);
	kr_err_clear(&e);
	ck_assert_msg(kr_profile_load(dir, "device", &p, &e) == KR_OK, "%s",
	    e.msg);
	ck_assert_str_eq(p.name, "device");
	ck_assert_uint_eq(p.max_days, 90);
	ck_assert_int_eq(kr_profile_load(dir, "renamed", &p, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "/renamed.yaml, line"));
	ck_assert_ptr_nonnull(strstr(e.msg, "'name'"));
	ck_assert_int_eq(kr_profile_load(dir, "nosuch", &p, &e), KR_ENOENT);
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown profile 'nosuch'"));
	ck_assert_int_eq(kr_profile_load(dir, "../device", &p, &e),
	    KR_EUSAGE);
	ck_assert_int_eq(kr_profile_load(dir, "quorum", &p, &e), KR_EUSAGE);
	ck_assert_int_eq(kr_profile_load(dir, "", &p, &e), KR_EUSAGE);
	ck_assert_int_eq(unlink(tl_path("device.yaml")), 0);
	ck_assert_int_eq(unlink(tl_path("renamed.yaml")), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *
profile_suite(void)
{
	Suite	*s = suite_create("x509-profile");
	TCase	*tc = tcase_create("profile");

	tcase_add_test(tc, test_root);
	tcase_add_test(tc, test_intermediate);
	tcase_add_test(tc, test_firmware_signing);
	tcase_add_test(tc, test_ocsp_signing);
	tcase_add_test(tc, test_device);
	tcase_add_test(tc, test_root_link);
	tcase_add_test(tc, test_all_embedded);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_duplicate_key);
	tcase_add_test(tc, test_bad_oid);
	tcase_add_test(tc, test_bad_key_usage);
	tcase_add_test(tc, test_ca_rsa_2048);
	tcase_add_test(tc, test_name_mismatch);
	tcase_add_test(tc, test_days);
	tcase_add_test(tc, test_pathlen);
	tcase_add_test(tc, test_other_refusals);
	tcase_add_test(tc, test_nc_url_refusals);
	tcase_add_test(tc, test_reader_refusals);
	tcase_add_test(tc, test_load);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(profile_suite(), NULL);
}
