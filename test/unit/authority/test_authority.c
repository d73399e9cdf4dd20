/*
 * TEST-KEY-016, TEST-KEY-043, TEST-KEY-419 (the fault check)
 * (docs/traceability.md).
 * Unit tests for authority/: key generation and unlock end to end, and the
 * invariant that no secret (private key, share value, quorum secret, wrap
 * key, passphrase) appears in plaintext anywhere in the state folder or
 * the share folder.  A failed generation leaves no file and no row.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/pk.h>
#include <sodium.h>

#include <keyrite/authority.h>

#include "authority_int.h"
#include "keystore_int.h"
#include "testauth.h"

#define NCUST	5

static struct tl_appliance	 ap;
static const char		*const state = ap.state;
static const char		*const shares = ap.shares;
static const char *const custodians[NCUST] = {
	"alice", "bob", "carol", "dave", "erin"
};

struct pw_src {
	int	next;		/* which custodian's passphrase comes next */
	int	fail_at;	/* return an error for this call (-1: never) */
	int	order[NCUST];
};

static int
pw_get(void *vctx, const char *custodian, const char *file, bool setting,
    char *buf, size_t cap, struct kr_err *err)
{
	struct pw_src	*p = vctx;

	(void)file;
	(void)setting;
	if (p->next++ == p->fail_at)
		return kr_err_set(err, KR_EINPUT, "test: no passphrase");
	tl_passphrase_of(custodian, buf, cap);
	return KR_OK;
}

static void
setup(void)
{
	tl_appliance_make(&ap, "auth");
}

static void
teardown(void)
{
	tl_work_end();
}

static int
generate_format(struct kr_appliance *app, const char *name,
    enum kr_key_alg alg, unsigned format, struct pw_src *pw, struct kr_err *e)
{
	struct kr_passphrase_source	src = {
	    .get = pw_get, .skip = NULL, .ctx = pw };
	struct kr_keygen_req		req = {
		.name = name, .alg = alg, .purpose = KR_PURPOSE_CA, .m = 3,
		.custodians = custodians, .n = NCUST, .share_dir = shares,
		.actor = "tester", .share_format = format,
	};
	struct kr_keygen_result		*res = calloc(1, sizeof(*res));
	int				 ret;

	ret = kr_authority_key_generate(app, &req, &src, NULL, res, e);
	free(res);
	return ret;
}

static int
generate(struct kr_appliance *app, const char *name, enum kr_key_alg alg,
    struct pw_src *pw, struct kr_err *e)
{
	return generate_format(app, name, alg, 0, pw, e);
}

/* Does `needle` occur in any file under `dir`, recursively? */
static bool
found_in_tree(const char *dir, const uint8_t *needle, size_t n)
{
	struct dirent	*de;
	struct stat	 st;
	char		 path[1024];
	DIR		*d = opendir(dir);
	bool		 hit = false;

	ck_assert_ptr_nonnull(d);
	while (!hit && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_int_eq(lstat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			hit = found_in_tree(path, needle, n);
		} else {
			FILE	*f = fopen(path, "rb");
			uint8_t	*buf = malloc((size_t)st.st_size + 1);
			size_t	 len = fread(buf, 1, (size_t)st.st_size, f), i;

			(void)fclose(f);
			for (i = 0; n <= len && i + n <= len && !hit; i++)
				hit = memcmp(buf + i, needle, n) == 0;
			free(buf);
		}
	}
	(void)closedir(d);
	return hit;
}

static bool
in_public(const uint8_t *win, size_t w, const uint8_t *pub, size_t plen)
{
	size_t	i;

	for (i = 0; pub != NULL && i + w <= plen; i++)
		if (memcmp(pub + i, win, w) == 0)
			return true;
	return false;
}

/*
 * Every 12-byte window of a secret must be absent from both folders,
 * except windows that are part of the public key (an RSA private key
 * serialization starts with the public modulus and exponent).
 */
static void
assert_absent_except(const char *what, const uint8_t *secret, size_t len,
    const uint8_t *pub, size_t plen)
{
	size_t	i, w = len < 12 ? len : 12;

	for (i = 0; i + w <= len; i += 4) {
		if (in_public(secret + i, w, pub, plen))
			continue;
		ck_assert_msg(!found_in_tree(state, secret + i, w),
		    "%s bytes %zu.. found in the state folder", what, i);
		ck_assert_msg(!found_in_tree(shares, secret + i, w),
		    "%s bytes %zu.. found in the share folder", what, i);
	}
}

static void
assert_absent(const char *what, const uint8_t *secret, size_t len)
{
	assert_absent_except(what, secret, len, NULL, 0);
}

static void
share_path(char *buf, size_t cap, const char *who, const char *key)
{
	(void)snprintf(buf, cap, "%s/%s/%s.share", shares, who, key);
}

static void
check_no_plaintext(struct kr_appliance *app, const char *name,
    enum kr_key_alg alg)
{
	struct kr_passphrase_source	 src;
	struct kr_quorum_report		*rep = NULL;
	struct kr_share			*sh[NCUST];
	struct kr_signer		*s = NULL;
	struct pw_src			 pw = { 0, -1, { 0 } };
	struct kr_err			 e;
	char				 paths[3][512], pass[128];
	const char			*files[3] = { paths[0], paths[1], paths[2] };
	uint8_t				 priv[KR_PRIV_MAX_BYTES], secret[32];
	uint8_t				 wrap[32], *file;
	size_t				 len, flen;
	int				 i;

	ck_assert_msg(generate(app, name, alg, &pw, &e) == KR_OK, "%s", e.msg);
	src = (struct kr_passphrase_source){ .get = pw_get, .skip = NULL,
	    .ctx = &pw };
	for (i = 0; i < 3; i++)
		share_path(paths[i], sizeof(paths[i]), custodians[i * 2], name);
	ck_assert_msg(kr_authority_unlock_report(app, name, files, 3, &src,
	    NULL, &rep, &s, &e) == KR_OK, "%s", e.msg);
	ck_assert(rep->unlocked);
	ck_assert_int_eq(kr_sealed_private_bytes(s, priv, sizeof(priv), &len),
	    KR_OK);
	assert_absent_except("private key", priv, len, s->spki, s->spki_len);
	/* Open all five shares by hand: their values and the secret. */
	for (i = 0; i < NCUST; i++) {
		sh[i] = calloc(1, sizeof(*sh[i]));
		share_path(paths[0], sizeof(paths[0]), custodians[i], name);
		ck_assert_int_eq(kr_file_read(paths[0], 4096, false, &file,
		    &flen, &e), KR_OK);
		ck_assert_int_eq(kr_share_parse(file, flen, paths[0], sh[i],
		    &e), KR_OK);
		free(file);
		tl_passphrase_of(custodians[i], pass, sizeof(pass));
		ck_assert_int_eq(kr_share_open(sh[i], pass, strlen(pass), &e),
		    KR_OK);
		assert_absent("share value", sh[i]->y, 32);
		/* The approval key's seed: the first half of libsodium's form. */
		ck_assert_ptr_nonnull(sh[i]->approval_sk);
		assert_absent("approval key", sh[i]->approval_sk, 32);
		assert_absent("passphrase", (const uint8_t *)pass, strlen(pass));
	}
	ck_assert_int_eq(kr_share_combine(sh, NCUST, secret, &e), KR_OK);
	assert_absent("quorum secret", secret, sizeof(secret));
	ck_assert_int_eq(kr_wrap_key_derive(secret, s->key_id, wrap), KR_OK);
	assert_absent("wrap key", wrap, sizeof(wrap));
	for (i = 0; i < NCUST; i++) {
		kr_share_clear(sh[i]);
		free(sh[i]);
	}
	kr_signer_free(&s);
	kr_quorum_report_free(&rep);
}

START_TEST(test_no_plaintext_anywhere)
{
	static const enum kr_key_alg algs[] = {
		KR_KEY_P256, KR_KEY_P384, KR_KEY_ED25519, KR_KEY_RSA3072
	};
	struct kr_appliance	*app;
	struct kr_err		 e;
	char			 name[32];
	size_t			 i;

	ck_assert_int_eq(kr_appliance_open(&app, state, &e), KR_OK);
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		char cmd[400];

		(void)snprintf(name, sizeof(name), "key-%s",
		    kr_key_alg_name(algs[i]));
		check_no_plaintext(app, name, algs[i]);
		(void)snprintf(cmd, sizeof(cmd), "rm -f '%s'/*/*.share", shares);
		ck_assert_int_eq(system(cmd), 0);
	}
	kr_appliance_close(&app);
}
END_TEST

static int
count_rows(const struct kr_audit_rec *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

START_TEST(test_failed_generation_leaves_nothing)
{
	struct kr_appliance	*app;
	struct kr_key_rec	 rec;
	struct pw_src		 pw = { 0, 3, { 0 } };
	struct kr_err		 e;
	struct dirent		*de;
	DIR			*d;
	int			 rows = 0;

	ck_assert_int_eq(kr_appliance_open(&app, state, &e), KR_OK);
	/* The fourth passphrase is missing. */
	ck_assert_int_eq(generate(app, "half", KR_KEY_P256, &pw, &e),
	    KR_EINPUT);
	ck_assert_int_eq(kr_store_key_get(kr_appliance_store(app), "half", &rec,
	    &e), KR_ENOENT);
	ck_assert_int_eq(kr_store_audit_foreach(kr_appliance_store(app), 0,
	    count_rows, &rows, &e), KR_OK);
	ck_assert_int_eq(rows, 1);	/* appliance.init only */
	d = opendir(shares);
	while ((de = readdir(d)) != NULL)
		ck_assert_msg(de->d_name[0] == '.', "left %s", de->d_name);
	(void)closedir(d);
	kr_appliance_close(&app);
}
END_TEST

static void
count_notice(void *arg, const char *msg)
{
	ck_assert_ptr_nonnull(strstr(msg, "waiting for another keyrite (pid"));
	(*(int *)arg)++;
}

/*
 * TEST-KEY-043: one writer at a time.  A second KR_OPEN_WRITE of the same
 * folder (another open file description, as another process would have)
 * is busy, after one notice when it may wait; readers open meanwhile; the
 * lock goes with kr_appliance_close.
 */
START_TEST(test_one_writer)
{
	struct kr_appliance	*w1, *w2 = NULL, *r1;
	struct kr_notice_sink	 ns;
	struct kr_err		 e;
	char			 pid[64];
	int			 notices = 0;

	ns.notice = count_notice;
	ns.ctx = &notices;
	ck_assert_int_eq(kr_appliance_open_wait(&w1, state, KR_OPEN_WRITE, 0,
	    &ns, &e), KR_OK);
	ck_assert_int_eq(kr_appliance_open_wait(&w2, state, KR_OPEN_WRITE, 0,
	    &ns, &e), KR_EBUSY);
	ck_assert_ptr_null(w2);
	ck_assert_int_eq(notices, 0);		/* no wait, no notice */
	(void)snprintf(pid, sizeof(pid), "busy: another keyrite (pid %ld)",
	    (long)getpid());
	ck_assert_msg(strstr(e.msg, pid) != NULL, "%s", e.msg);
	ck_assert_int_eq(kr_exit_status(KR_EBUSY), 2);
	ck_assert_int_eq(kr_appliance_open_wait(&w2, state, KR_OPEN_WRITE, 1,
	    &ns, &e), KR_EBUSY);
	ck_assert_int_eq(notices, 1);		/* said once */
	ck_assert_int_eq(kr_appliance_open_wait(&r1, state, KR_OPEN_READ, 0,
	    &ns, &e), KR_OK);
	kr_appliance_close(&r1);
	kr_appliance_close(&w1);
	ck_assert_int_eq(kr_appliance_open_wait(&w2, state, KR_OPEN_WRITE, 0,
	    &ns, &e), KR_OK);
	kr_appliance_close(&w2);
	ck_assert_int_eq(notices, 1);
}
END_TEST

static int
find_unsigned(const struct kr_audit_rec *r, void *arg)
{
	if (strcmp(r->event, "quorum.verify") == 0 && strstr(r->payload,
	    "\"approvals\":{\"share_set\":") != NULL && strstr(r->payload,
	    "\"status\":\"unsigned approvals\"}") != NULL)
		(*(int *)arg)++;
	return 0;
}

/*
 * TEST-KEY-064: a share set of format 1 (no approval keys) keeps working:
 * its quorum verifies and destroys its key, its rows say "unsigned
 * approvals", and audit verify counts them as such beside the signed
 * rows of a format 2 set, without calling them an error.
 */
START_TEST(test_format_1_unsigned_approvals)
{
	const struct kr_approval_report	*apr;
	struct kr_passphrase_source	 src;
	struct kr_quorum_report		*rep = NULL;
	struct kr_appliance		*app;
	struct kr_audit_report		 arep;
	struct pw_src			 pw = { 0, -1, { 0 } };
	struct kr_err			 e;
	char				 paths[3][512];
	const char			*files[3] = { paths[0], paths[1], paths[2] };
	int				 i, found = 0;

	src = (struct kr_passphrase_source){ .get = pw_get, .ctx = &pw };
	ck_assert_int_eq(kr_appliance_open(&app, state, &e), KR_OK);
	ck_assert_msg(generate_format(app, "old", KR_KEY_P256, 1, &pw, &e) ==
	    KR_OK, "%s", e.msg);
	for (i = 0; i < 3; i++)
		share_path(paths[i], sizeof(paths[i]), custodians[i * 2], "old");
	ck_assert_msg(kr_authority_quorum_verify(app, "old", files, 3, &src,
	    &rep, &e) == KR_OK, "%s", e.msg);
	ck_assert_str_eq(rep->approval_fp[0], "");
	kr_quorum_report_free(&rep);
	ck_assert_int_eq(kr_store_audit_foreach(kr_appliance_store(app), 0,
	    find_unsigned, &found, &e), KR_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_msg(kr_authority_key_destroy(app, "old", files, 3, &src,
	    "tester", &rep, &e) == KR_OK, "%s", e.msg);
	kr_quorum_report_free(&rep);
	/* The shares of "old" are gone with it; a format 2 set now. */
	for (i = 0; i < NCUST; i++) {
		share_path(paths[0], sizeof(paths[0]), custodians[i], "old");
		ck_assert_int_eq(unlink(paths[0]), 0);
	}
	ck_assert_msg(generate(app, "new", KR_KEY_P256, &pw, &e) == KR_OK, "%s",
	    e.msg);
	for (i = 0; i < 3; i++)
		share_path(paths[i], sizeof(paths[i]), custodians[i * 2], "new");
	ck_assert_msg(kr_authority_quorum_verify(app, "new", files, 3, &src,
	    &rep, &e) == KR_OK, "%s", e.msg);
	ck_assert_uint_eq(strlen(rep->approval_fp[0]), 95);
	kr_quorum_report_free(&rep);
	ck_assert_msg(kr_authority_audit_verify(app, &arep, &e) == KR_OK, "%s",
	    e.msg);
	apr = kr_appliance_approvals(app);
	ck_assert_int_eq(apr->signed_rows, 1);
	ck_assert_int_eq(apr->unsigned_rows, 2);
	ck_assert_int_eq(apr->bad_rows, 0);
	ck_assert_ptr_nonnull(strstr(apr->unsigned_note[0],
	    "unsigned approvals"));
	kr_appliance_close(&app);
}
END_TEST

/*
 * TEST-KEY-488: a payload as `audit show` and the console print it
 * (kr_audit_payload_text): time members in ISO 8601 UTC, an invalidity
 * date of 0 (older revocations given none) as "none", other numbers and
 * strings as recorded, a time-like name inside a string left alone.
 */
START_TEST(test_payload_text)
{
	static const struct {
		const char	*in, *out;
	} c[] = {
		{ "{\"serial\":\"0a\",\"invalidity_date\":1767323045}",
		  "{\"serial\":\"0a\",\"invalidity_date\":"
		  "\"2026-01-02T03:04:05Z\"}" },
		{ "{\"reason\":\"superseded\",\"invalidity_date\":0}",
		  "{\"reason\":\"superseded\",\"invalidity_date\":\"none\"}" },
		{ "{\"time\":0,\"count\":1767323045}",
		  "{\"time\":\"1970-01-01T00:00:00Z\",\"count\":1767323045}" },
		{ "{\"note\":\"time\",\"n\":5}",
		  "{\"note\":\"time\",\"n\":5}" },
	};
	struct kr_buf	b;
	size_t		i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		kr_buf_init(&b, false);
		kr_audit_payload_text(c[i].in, &b);
		ck_assert_str_eq((const char *)b.p, c[i].out);
		kr_buf_free(&b);
	}
}
END_TEST

/*
 * A new passphrase typed twice: the rule the terminal and console share
 * (TEST-KEY-375).
 */
START_TEST(test_passphrase_chosen)
{
	struct kr_err	e;

	ck_assert_int_eq(kr_passphrase_chosen("twelve chars", "twelve chars",
	    12, "alice", &e), KR_OK);
	ck_assert_int_eq(kr_passphrase_chosen("eleven char", "eleven char",
	    12, "alice", &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "custodian 'alice' is too short"));
	ck_assert_ptr_nonnull(strstr(e.msg, "at least 12 characters"));
	ck_assert_int_eq(kr_passphrase_chosen("twelve chars", "twelve charz",
	    12, "bob", &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "for custodian 'bob' did not "
	    "match"));
	/* a prefix is not the same passphrase */
	ck_assert_int_eq(kr_passphrase_chosen("twelve chars", "twelve chars!",
	    12, "bob", &e), KR_EINPUT);
	ck_assert_int_eq(kr_passphrase_chosen("twelve chars!", "twelve chars",
	    12, "bob", &e), KR_EINPUT);
	ck_assert_int_eq(KR_PASSPHRASE_TRIES, 3);
}
END_TEST

/*
 * The fault check provision batch's checker makes with its verifier
 * (kr_issue_sig_check): a signature with one bit changed, or made with
 * another key, is refused naming the issuer and the faulty key store,
 * between good ones that pass, the same with and without a verifier.
 */
START_TEST(test_fault_check)
{
	uint8_t			 buf[2][200], md[32], tbs[300];
	mbedtls_pk_context	 pk[2];
	struct kr_sig_check	 c;
	struct kr_verifier	*v = NULL;
	struct kr_err		 e;
	size_t			 len, bit;
	int			 i, k, n, want;

	for (k = 0; k < 2; k++) {
		mbedtls_pk_init(&pk[k]);
		ck_assert_int_eq(mbedtls_pk_setup(&pk[k],
		    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
		ck_assert_int_eq(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
		    mbedtls_pk_ec(pk[k]), kr_mbedtls_rng, NULL), 0);
	}
	n = mbedtls_pk_write_pubkey_der(&pk[0], buf[0], sizeof(buf[0]));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(kr_verifier_new(&v, &e), KR_OK);
	for (i = 0; i < 60; i++) {
		memset(&c, 0, sizeof(c));
		kr_random(tbs, sizeof(tbs));
		c.alg = KR_SIG_ECDSA_P256_SHA256;
		c.spki = buf[0] + sizeof(buf[0]) - n;
		c.spki_len = (size_t)n;
		c.issuer = "issuing-ca";
		c.tbs = tbs;
		c.tbs_len = sizeof(tbs);
		ck_assert_int_eq(kr_hash(KR_HASH_SHA256, tbs, sizeof(tbs), md),
		    KR_OK);
		k = i % 3 == 2;		/* every third by the other key */
		ck_assert_int_eq(mbedtls_pk_sign(&pk[k], MBEDTLS_MD_SHA256, md,
		    32, c.sig, &len, kr_mbedtls_rng, NULL), 0);
		c.siglen = len;
		if (i % 3 == 1) {	/* one bit changed */
			bit = randombytes_uniform((uint32_t)(8 * len));
			c.sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		want = i % 3 == 0 ? KR_OK : KR_EVERIFY;
		kr_err_clear(&e);
		ck_assert_int_eq(kr_issue_sig_check(&c, v, &e), want);
		if (want != KR_OK)
			ck_assert_msg(strstr(e.msg, "'issuing-ca' just made "
			    "does not verify with its public key: nothing was "
			    "recorded. The key store or token is faulty") !=
			    NULL, "%s", e.msg);
		ck_assert_int_eq(kr_issue_sig_check(&c, NULL, &e), want);
	}
	kr_verifier_free(&v);
	mbedtls_pk_free(&pk[0]);
	mbedtls_pk_free(&pk[1]);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("authority");
	TCase	*tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_no_plaintext_anywhere);
	tcase_add_test(tc, test_failed_generation_leaves_nothing);
	tcase_add_test(tc, test_one_writer);
	tcase_add_test(tc, test_format_1_unsigned_approvals);
	tcase_add_test(tc, test_passphrase_chosen);
	tcase_add_test(tc, test_payload_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("fault_check");
	tcase_add_test(tc, test_fault_check);
	suite_add_tcase(s, tc);
	return tl_run(s, NULL);
}
