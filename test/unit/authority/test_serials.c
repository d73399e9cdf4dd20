/*
 * TEST-KEY-022 (docs/traceability.md).
 * 1,000 issuances through authority/ give 1,000 distinct positive 16-byte
 * serial numbers (the first byte in 0x01..0x7f, so the INTEGER is positive
 * and minimally encoded, with more than 120 random bits).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <keyrite/authority.h>

#include "testauth.h"

#define ISSUES	1000

static struct tl_appliance	ap;
static const char *const custodians[] = { "a", "b", "c" };

static int
pw_get(void *vctx, const char *custodian, const char *file, bool setting,
    char *buf, size_t cap, struct kr_err *err)
{
	(void)vctx;
	(void)file;
	(void)setting;
	(void)err;
	tl_passphrase_of(custodian, buf, cap);
	return KR_OK;
}

static const struct kr_passphrase_source src = {
	.get = pw_get, .skip = NULL, .ctx = NULL };

static void
make_appliance(struct kr_appliance **app)
{
	struct kr_keygen_req	 kreq = {
		.name = "root", .alg = KR_KEY_P256, .purpose = KR_PURPOSE_CA,
		.m = 2, .custodians = custodians, .n = 3, .share_dir = ap.shares,
		.actor = "tester",
	};
	struct kr_keygen_result	*kres = calloc(1, sizeof(*kres));
	struct kr_err		 e;

	tl_appliance_make(&ap, "serials");
	ck_assert_int_eq(kr_appliance_open(app, ap.state, &e), KR_OK);
	ck_assert_msg(kr_authority_key_generate(*app, &kreq, &src, NULL, kres,
	    &e) == KR_OK, "%s", e.msg);
	free(kres);
}

static int
issue(struct kr_appliance *app, enum kr_issue_kind kind, const char *profile,
    const char *out, struct kr_issue_result *res, struct kr_err *e)
{
	char			 a[400], b[400];
	const char		*sh[2] = { a, b };
	struct kr_issue_req	 req;
	int			 ret;

	(void)snprintf(a, sizeof(a), "%s/a/root.share", ap.shares);
	(void)snprintf(b, sizeof(b), "%s/b/root.share", ap.shares);
	memset(&req, 0, sizeof(req));
	req.kind = kind;
	req.issuer_key = "root";
	req.profile = profile;
	req.subject = "CN=serial test,O=keyrite tests,C=DE";
	req.subject_key = kind == KR_ISSUE_CERT ? "root" : NULL;
	req.days = kind == KR_ISSUE_ROOT ? 3650 : 30;
	req.out_path = out;
	req.shares = sh;
	req.nshares = 2;
	req.actor = "tester";
	req.accept_warnings = true;
	ret = kr_authority_issue(app, &req, &src, res, e);
	kr_issue_result_free(res);	/* the serial stays */
	return ret;
}

START_TEST(test_thousand_serials)
{
	struct kr_appliance	*app;
	struct kr_issue_result	 res;
	char			(*seen)[33] = calloc(ISSUES, sizeof(*seen));
	char			 out[400];
	struct kr_err		 e;
	uint8_t			 first;
	int			 i, j;

	make_appliance(&app);
	(void)snprintf(out, sizeof(out), "%s", tl_path("root.pem"));
	ck_assert_msg(issue(app, KR_ISSUE_ROOT, "root", out, &res, &e) == KR_OK,
	    "%s", e.msg);
	for (i = 0; i < ISSUES; i++) {
		(void)snprintf(out, sizeof(out), "%s/c%04d.pem", tl_work(), i);
		ck_assert_msg(issue(app, KR_ISSUE_CERT, "device", out, &res,
		    &e) == KR_OK, "issuance %d: %s", i, e.msg);
		ck_assert_uint_eq(strlen(res.serial), 32);
		ck_assert_int_eq(kr_hex_decode(&first, 1, (char[3]){
		    res.serial[0], res.serial[1], '\0' }), KR_OK);
		ck_assert_msg(first >= 0x01 && first <= 0x7f, "serial %s is "
		    "not positive and minimal", res.serial);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(seen[j], res.serial);
		memcpy(seen[i], res.serial, 33);
	}
	kr_appliance_close(&app);
	free(seen);
	tl_work_end();
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("serials");
	TCase	*tc = tcase_create("core");
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, test_thousand_serials);
	suite_add_tcase(s, tc);
	return tl_run(s, NULL);
}
