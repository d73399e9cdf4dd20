/*
 * keystore: the PKCS#11 token back end on SoftHSM2, and the sealed token
 * PIN file.
 *
 * Every token test gets its own SoftHSM2 token folder: the checked fixture
 * (run in the forked test process) makes a temporary folder with a
 * softhsm2.conf and points SOFTHSM2_CONF at it.  argv[1] is the shim
 * module (shim.c) that forwards to SoftHSM2 and counts C_Login calls.
 *
 * Without /usr/lib/softhsm/libsofthsm2.so only the offline tests (PIN
 * file, error messages) run, and the test exits 77 (SKIP) saying so.
 *
 * TEST-KEY-031 (docs/traceability.md): these tests as a whole.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>
#include <sodium.h>

#include <keyrite/keystore.h>

#include "keystore_int.h"
#include "pkcs11_int.h"
#include "testpki.h"

#define SOFTHSM		"/usr/lib/softhsm/libsofthsm2.so"
#define SOFTHSM_REG	"/usr/share/p11-kit/modules/softhsm2.module"
#define TOKEN		"keyrite-test"
#define WRONG_PIN_MSG	"the token PIN was refused (CKR_PIN_INCORRECT); " \
			"keyrite does not retry"

#define NALGS	4

static const enum kr_key_alg algs[NALGS] = {
	KR_KEY_P256, KR_KEY_P384, KR_KEY_ED25519, KR_KEY_RSA3072,
};

static const char	*shim;		/* path of the shim module */
static char		 logins[128];	/* the shim's C_Login log */
static struct kr_p11_pins *pins;	/* this test's token PINs */
static struct kr_p11_token_info tinfo;

static const uint8_t	msg[] = "intermediate CA certificate to be signed";

/* ---- fixture and helpers ------------------------------------------- */

static void
setup(void)
{
	char	conf[1024];
	int	n;

	ck_assert_ptr_nonnull(tl_work_begin("p11"));
	ck_assert_int_eq(mkdir(tl_path("tokens"), 0700), 0);
	n = snprintf(conf, sizeof(conf), "directories.tokendir = %s\n"
	    "objectstore.backend = file\nlog.level = ERROR\n",
	    tl_path("tokens"));
	tl_write("softhsm2.conf", conf, (size_t)n);
	ck_assert_int_eq(setenv("SOFTHSM2_CONF", tl_path("softhsm2.conf"), 1),
	    0);
	snprintf(logins, sizeof(logins), "%s", tl_path("logins"));
	ck_assert_int_eq(setenv("KR_SHIM_LOGINS", logins, 1), 0);
	unsetenv("KR_SHIM_HIDE_MECH");
	unsetenv("KR_SHIM_PIN_LOCKED");
	pins = NULL;
}

static void
teardown(void)
{
	kr_p11_pins_free(&pins);
	tl_work_end();
}

/* User logins (CKU_USER = 1) the shim has seen in this test. */
static int
count_logins(void)
{
	char	line[64];
	FILE	*fp;
	int	n = 0;

	if ((fp = fopen(logins, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strcmp(line, "login 1\n") == 0)
			n++;
	fclose(fp);
	return n;
}

static void
init_token_on(const char *module)
{
	struct kr_p11_where	w = { module, NULL, TOKEN };
	struct kr_err		err;
	int			ret;

	kr_err_clear(&err);
	ret = kr_p11_token_init(&w, &pins, &tinfo, &err);
	ck_assert_msg(ret == KR_OK, "token init: %s", err.msg);
	ck_assert_ptr_nonnull(pins);
}

static void
init_token(void)
{
	init_token_on(SOFTHSM);
}

static struct kr_p11_token *
open_token_on(const char *module)
{
	struct kr_p11_where	 w = { module, NULL, TOKEN };
	struct kr_p11_token	*t = NULL;
	struct kr_err		 err;
	int			 ret;

	ret = kr_p11_token_open(&w, &t, NULL, &err);
	ck_assert_msg(ret == KR_OK, "token open: %s", err.msg);
	ck_assert_ptr_nonnull(t);
	return t;
}

static void
key_new(struct kr_p11_key *k, const char *name, enum kr_key_alg alg)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	kr_random(k->key_id, sizeof(k->key_id));
	k->alg = alg;
	k->purpose = KR_PURPOSE_CA;
}

static void
gen_key_on(const char *module, struct kr_p11_key *k, const char *name,
    enum kr_key_alg alg, struct kr_p11_report *rep)
{
	struct kr_p11_token	*t = open_token_on(module);
	struct kr_err		 err;
	int			 ret;

	key_new(k, name, alg);
	ret = kr_p11_key_generate(t, pins->user, k, rep, &err);
	ck_assert_msg(ret == KR_OK, "generate %s: %s", kr_key_alg_name(alg),
	    err.msg);
	kr_p11_token_close(&t);
	ck_assert_ptr_null(t);
}

static void
gen_key(struct kr_p11_key *k, const char *name, enum kr_key_alg alg)
{
	gen_key_on(SOFTHSM, k, name, alg, NULL);
}

static int
open_signer_on(const char *module, const struct kr_p11_key *k,
    const char *pin, struct kr_signer **s, struct kr_err *err)
{
	struct kr_p11_token	*t = open_token_on(module);
	int			 ret;

	kr_err_clear(err);
	ret = kr_p11_signer_open(&t, k, pin, s, NULL, err);
	ck_assert_ptr_null(t);
	return ret;
}

static struct kr_signer *
open_signer(const struct kr_p11_key *k)
{
	struct kr_signer	*s = NULL;
	struct kr_err		 err;

	ck_assert_msg(open_signer_on(SOFTHSM, k, pins->user, &s, &err) ==
	    KR_OK, "signer open: %s", err.msg);
	ck_assert_ptr_nonnull(s);
	return s;
}

static void
assert_msg_has(const struct kr_err *err, const char *needle)
{
	ck_assert_msg(strstr(err->msg, needle) != NULL, "message '%s' lacks "
	    "'%s'", err->msg, needle);
}

/* ---- signing --------------------------------------------------------- */

/* Signs through kr_signer_sign and the digest path; checks both. */
#define sign_one(s, sa)	tl_sign_check((s), (sa), msg, sizeof(msg))

/* openssl verifies a signature; a changed message must fail. */
#define openssl_check(s, sa, opts) \
	tl_openssl_check((s), (sa), (opts), msg, sizeof(msg))
#define PSS	TL_PSS

static void
openssl_all(struct kr_signer *s)
{
	if (!tl_have("openssl version")) {
		fprintf(stderr, "SKIP: openssl not found: token signatures "
		    "were not checked by an independent tool\n");
		return;
	}
	if (s->alg == KR_KEY_P256)
		openssl_check(s, KR_SIG_ECDSA_P256_SHA256, "-sha256");
	else if (s->alg == KR_KEY_P384)
		openssl_check(s, KR_SIG_ECDSA_P384_SHA384, "-sha384");
	else if (s->alg == KR_KEY_ED25519)
		openssl_check(s, KR_SIG_ED25519, "");
	else {
		openssl_check(s, KR_SIG_RSA_PKCS1_SHA256, "-sha256");
		openssl_check(s, KR_SIG_RSA_PKCS1_SHA384, "-sha384");
		openssl_check(s, KR_SIG_RSA_PKCS1_SHA512, "-sha512");
		openssl_check(s, KR_SIG_RSA_PSS_SHA256, "-sha256 " PSS "32");
		openssl_check(s, KR_SIG_RSA_PSS_SHA384, "-sha384 " PSS "48");
		openssl_check(s, KR_SIG_RSA_PSS_SHA512, "-sha512 " PSS "64");
	}
}

/*
 * pkcs11-tool's view of the private key labelled `name`: its Usage and
 * Access lines, read from --list-objects after a login.
 */
static void
pkcs11_tool_lines(const char *name, char *usage, char *access, size_t cap)
{
	char	cmd[512], line[256], want[128];
	FILE	*fp;
	bool	in_priv = false, ours = false;

	snprintf(cmd, sizeof(cmd), "pkcs11-tool --module %s --token-label %s "
	    "--login --pin %s --list-objects 2>&1", SOFTHSM, TOKEN,
	    pins->user);
	snprintf(want, sizeof(want), "label:      %s\n", name);
	ck_assert_uint_ge(cap, sizeof(line));
	usage[0] = access[0] = '\0';
	ck_assert_ptr_nonnull(fp = popen(cmd, "r"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strstr(line, "Object;") != NULL) {
			in_priv = strncmp(line, "Private Key Object", 18) == 0;
			ours = false;
		}
		if (in_priv && strstr(line, want) != NULL)
			ours = true;
		if (ours && strncmp(line, "  Usage:", 8) == 0)
			memcpy(usage, line, strlen(line) + 1);
		if (ours && strncmp(line, "  Access:", 9) == 0)
			memcpy(access, line, strlen(line) + 1);
	}
	ck_assert_int_eq(pclose(fp), 0);
}

static void
pkcs11_tool_check(const char *name)
{
	char	usage[256], access[256];

	if (!tl_have("command -v pkcs11-tool")) {
		fprintf(stderr, "SKIP: pkcs11-tool (opensc) not found: the key "
		    "attributes were not checked by an independent tool\n");
		return;
	}
	pkcs11_tool_lines(name, usage, access, sizeof(usage));
	ck_assert_str_eq(usage, "  Usage:      sign\n");
	ck_assert_str_eq(access, "  Access:     sensitive, always sensitive, "
	    "never extractable, local\n");
}

/* ---- token tests ------------------------------------------------------ */

static bool
base32(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == strlen(s);
}

START_TEST(test_init_token)
{
	struct kr_p11_where	 w = { SOFTHSM, NULL, TOKEN };
	struct kr_p11_pins	*again = NULL;
	struct kr_p11_token_info ti;
	struct kr_p11_token	*t;
	struct kr_err		 err;

	init_token();
	ck_assert_str_eq(tinfo.label, TOKEN);
	ck_assert_str_eq(tinfo.manufacturer, "SoftHSM project");
	ck_assert_str_eq(tinfo.model, "SoftHSM v2");
	ck_assert_uint_gt(strlen(tinfo.serial), 0);
	ck_assert_str_eq(tinfo.module, SOFTHSM);
	ck_assert(tinfo.initialized && tinfo.user_pin_initialized);
	ck_assert(!tinfo.user_pin_count_low && !tinfo.user_pin_locked);
	ck_assert_uint_eq(strlen(pins->so), KR_P11_PIN_LEN);
	ck_assert_uint_eq(strlen(pins->user), KR_P11_PIN_LEN);
	ck_assert(base32(pins->so) && base32(pins->user));
	ck_assert_str_ne(pins->so, pins->user);
	t = open_token_on(SOFTHSM);
	ck_assert_int_eq(kr_p11_token_info(t, &ti, &err), KR_OK);
	ck_assert_str_eq(ti.serial, tinfo.serial);
	kr_p11_token_close(&t);
	kr_p11_token_close(&t);
	/* The label is taken now: never initialised again. */
	ck_assert_int_eq(kr_p11_token_init(&w, &again, NULL, &err), KR_EEXIST);
	assert_msg_has(&err, "already has an initialised token labelled "
	    "'keyrite-test'");
	ck_assert_ptr_null(again);
}
END_TEST

START_TEST(test_init_refuses)
{
	struct kr_p11_where	 nomod = { NULL, NULL, TOKEN };
	struct kr_p11_where	 nolabel = { SOFTHSM, NULL, NULL };
	struct kr_p11_where	 toolong = { SOFTHSM, NULL,
	    "a-token-label-of-thirty-three-by" "x" };
	struct kr_p11_pins	*p = NULL;
	struct kr_err		 err;

	ck_assert_int_eq(kr_p11_token_init(&nomod, &p, NULL, &err),
	    KR_EUSAGE);
	assert_msg_has(&err, "--module PATH");
	ck_assert_int_eq(kr_p11_token_init(&nolabel, &p, NULL, &err),
	    KR_EUSAGE);
	assert_msg_has(&err, "label for the new token");
	ck_assert_int_eq(kr_p11_token_init(&toolong, &p, NULL, &err),
	    KR_EUSAGE);
	ck_assert_ptr_null(p);
}
END_TEST

/* Generate, origin check, pkcs11-tool, sign and verify, openssl. */
START_TEST(test_keys)
{
	struct kr_p11_key	 k;
	struct kr_p11_report	 rep, rep2;
	struct kr_spki_info	 info;
	struct kr_signer	*s;
	enum kr_key_alg		 alg;
	struct kr_err		 err;

	init_token();
	memset(&rep, 0, sizeof(rep));
	gen_key_on(SOFTHSM, &k, "root-2026", algs[_i], &rep);
	ck_assert(rep.origin.passed && rep.origin.local &&
	    rep.origin.always_sensitive && rep.origin.never_extractable &&
	    rep.origin.sensitive && !rep.origin.extractable &&
	    rep.origin.sign_only && rep.origin.spki_match);
	ck_assert_str_eq(rep.token.serial, tinfo.serial);
	ck_assert_str_eq(rep.token.manufacturer, "SoftHSM project");
	ck_assert_int_eq(kr_spki_parse(k.spki, k.spki_len, &info, &err),
	    KR_OK);
	ck_assert_int_eq(kr_spki_key_alg(&info, &alg), KR_OK);
	ck_assert_int_eq(alg, algs[_i]);
	pkcs11_tool_check("root-2026");
	s = open_signer(&k);
	ck_assert_str_eq(s->ops->backend, "pkcs11");
	ck_assert_str_eq(s->name, "root-2026");
	ck_assert_mem_eq(s->key_id, k.key_id, KR_KEY_ID_BYTES);
	ck_assert_int_eq(kr_p11_signer_report(s, &rep2), KR_OK);
	ck_assert(rep2.origin.passed);
	ck_assert_str_eq(rep2.token.model, "SoftHSM v2");
	sign_one(s, kr_sig_alg_default(algs[_i]));
	if (algs[_i] == KR_KEY_RSA3072) {
		sign_one(s, KR_SIG_RSA_PKCS1_SHA384);
		sign_one(s, KR_SIG_RSA_PKCS1_SHA512);
		sign_one(s, KR_SIG_RSA_PSS_SHA256);
		sign_one(s, KR_SIG_RSA_PSS_SHA384);
		sign_one(s, KR_SIG_RSA_PSS_SHA512);
	}
	openssl_all(s);
	kr_signer_free(&s);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_signer_refuses_wrong_alg)
{
	struct kr_p11_key	 k;
	struct kr_signer	*s;
	struct kr_p11_report	 rep;
	uint8_t			 sig[KR_SIG_MAX_BYTES];
	size_t			 siglen;
	struct kr_err		 err;

	init_token();
	gen_key(&k, "ed", KR_KEY_ED25519);
	s = open_signer(&k);
	ck_assert_int_eq(kr_signer_sign(s, KR_SIG_ECDSA_P256_SHA256, msg,
	    sizeof(msg), sig, &siglen, &err), KR_EREFUSED);
	ck_assert_int_eq(kr_signer_sign_digest(s, KR_SIG_ED25519, msg, 32,
	    sig, &siglen, &err), KR_EREFUSED);
	kr_signer_free(&s);
	ck_assert_int_eq(kr_p11_signer_report(NULL, &rep), KR_EINPUT);
}
END_TEST

START_TEST(test_label_taken)
{
	struct kr_p11_key	 k, k2;
	struct kr_p11_token	*t;
	struct kr_err		 err;

	init_token();
	gen_key(&k, "root-2026", KR_KEY_P256);
	t = open_token_on(shim);
	key_new(&k2, "root-2026", KR_KEY_ED25519);
	ck_assert_int_eq(kr_p11_key_generate(t, pins->user, &k2, NULL, &err),
	    KR_EEXIST);
	assert_msg_has(&err, "already holds an object labelled 'root-2026'");
	ck_assert_uint_eq(k2.spki_len, 0);
	ck_assert_int_eq(count_logins(), 0);	/* refused before login */
	kr_p11_token_close(&t);
	kr_signer_free(&(struct kr_signer *){ open_signer(&k) });
}
END_TEST

/* One wrong PIN: one C_Login, the clear message, and no retry. */
START_TEST(test_wrong_pin)
{
	struct kr_p11_key	 k;
	struct kr_p11_token	*t;
	struct kr_p11_token_info ti;
	struct kr_signer	*s = NULL;
	struct kr_err		 err;

	init_token_on(shim);
	gen_key_on(shim, &k, "root-2026", KR_KEY_P256, NULL);
	ck_assert_int_eq(count_logins(), 1);
	t = open_token_on(shim);
	ck_assert_int_eq(kr_p11_token_info(t, &ti, &err), KR_OK);
	ck_assert(!ti.user_pin_count_low);
	kr_p11_token_close(&t);
	ck_assert_int_eq(open_signer_on(shim, &k, "WRONG-PIN-1234", &s, &err),
	    KR_EAUTH);
	ck_assert_ptr_null(s);
	assert_msg_has(&err, WRONG_PIN_MSG);
	assert_msg_has(&err, TOKEN);
	ck_assert_int_eq(count_logins(), 2);	/* exactly one more */
	t = open_token_on(shim);
	ck_assert_int_eq(kr_p11_token_info(t, &ti, &err), KR_OK);
	ck_assert(ti.user_pin_count_low);	/* the token counted one */
	ck_assert(!ti.user_pin_locked);
	key_new(&k, "other", KR_KEY_P256);
	ck_assert_int_eq(kr_p11_key_generate(t, "WRONG-PIN-5678", &k, NULL,
	    &err), KR_EAUTH);
	assert_msg_has(&err, WRONG_PIN_MSG);
	ck_assert_int_eq(count_logins(), 3);
	kr_p11_token_close(&t);
}
END_TEST

/* Everything else is checked before the PIN is used. */
START_TEST(test_login_last)
{
	struct kr_p11_key	 k, bad;
	struct kr_p11_token	*t;
	struct kr_signer	*s = NULL;
	struct kr_err		 err;

	init_token_on(shim);
	gen_key_on(shim, &k, "root-2026", KR_KEY_P256, NULL);
	gen_key_on(shim, &bad, "other", KR_KEY_P256, NULL);
	ck_assert_int_eq(count_logins(), 2);
	/* Recorded public key differs from the token's. */
	memcpy(bad.spki, k.spki, k.spki_len);
	bad.spki_len = k.spki_len;
	ck_assert_int_eq(open_signer_on(shim, &bad, pins->user, &s, &err),
	    KR_EVERIFY);
	assert_msg_has(&err, "did not log in");
	/* A bad key name. */
	bad = k;
	strcpy(bad.name, "-bad");
	ck_assert_int_eq(open_signer_on(shim, &bad, pins->user, &s, &err),
	    KR_EINPUT);
	/* A locked PIN is refused without trying it. */
	setenv("KR_SHIM_PIN_LOCKED", "1", 1);
	ck_assert_int_eq(open_signer_on(shim, &k, pins->user, &s, &err),
	    KR_EREFUSED);
	assert_msg_has(&err, "CKF_USER_PIN_LOCKED");
	assert_msg_has(&err, "did not try to log in");
	unsetenv("KR_SHIM_PIN_LOCKED");
	/* A missing mechanism is found before the login. */
	setenv("KR_SHIM_HIDE_MECH", "1055", 1);	/* EC_EDWARDS_KEY_PAIR_GEN */
	t = open_token_on(shim);
	key_new(&bad, "ed", KR_KEY_ED25519);
	ck_assert_int_eq(kr_p11_key_generate(t, pins->user, &bad, NULL, &err),
	    KR_EREFUSED);
	assert_msg_has(&err, "CKM_EC_EDWARDS_KEY_PAIR_GEN");
	assert_msg_has(&err, "(CKR_MECHANISM_INVALID)");
	kr_p11_token_close(&t);
	ck_assert_int_eq(count_logins(), 2);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_wrong_module)
{
	struct kr_p11_where	 w = { "/nonexistent/libnope-pkcs11.so", NULL,
	    TOKEN };
	struct kr_p11_token	*t = NULL;
	struct kr_err		 err;
	char			 path[128];

	ck_assert_int_eq(kr_p11_token_open(&w, &t, NULL, &err), KR_ENOENT);
	assert_msg_has(&err, "PKCS#11 module /nonexistent/libnope-pkcs11.so "
	    "was not found");
	ck_assert_ptr_null(t);
	tl_write("notamodule.so", "hello", 5);
	snprintf(path, sizeof(path), "%s", tl_path("notamodule.so"));
	w.module = path;
	ck_assert_int_eq(kr_p11_token_open(&w, &t, NULL, &err), KR_EINPUT);
	assert_msg_has(&err, path);
	assert_msg_has(&err, "could not be loaded");
	ck_assert_ptr_null(t);
}
END_TEST

START_TEST(test_no_such_token)
{
	struct kr_p11_where	 w = { SOFTHSM, NULL, "no-such-token" };
	struct kr_p11_where	 unnamed = { SOFTHSM, NULL, NULL };
	struct kr_p11_token	*t = NULL;
	struct kr_err		 err;

	init_token();
	ck_assert_int_eq(kr_p11_token_open(&w, &t, NULL, &err), KR_ENOENT);
	assert_msg_has(&err, "no such token");
	assert_msg_has(&err, "labelled 'no-such-token'");
	assert_msg_has(&err, "'keyrite-test'");		/* what is there */
	ck_assert_ptr_null(t);
	ck_assert_int_eq(kr_p11_token_open(&unnamed, &t, NULL, &err),
	    KR_EUSAGE);
	assert_msg_has(&err, "name the token");
}
END_TEST

static void
tokens_remove(void)
{
	ck_assert_int_eq(tl_sh("rm -rf -- tokens/*"), 0);
}

/* The token folder disappears between two signatures. */
START_TEST(test_removed_between_signs)
{
	struct kr_p11_key	 k;
	struct kr_signer	*s;
	uint8_t			 sig[KR_SIG_MAX_BYTES];
	size_t			 siglen;
	struct kr_err		 err;
	int			 ret;

	init_token();
	gen_key(&k, "root-2026", KR_KEY_P256);
	s = open_signer(&k);
	ck_assert_int_eq(kr_signer_sign(s, KR_SIG_ECDSA_P256_SHA256, msg,
	    sizeof(msg), sig, &siglen, &err), KR_OK);
	tokens_remove();
	kr_err_clear(&err);
	ret = kr_signer_sign(s, KR_SIG_ECDSA_P256_SHA256, msg, sizeof(msg),
	    sig, &siglen, &err);
	ck_assert_int_ne(ret, KR_OK);
	assert_msg_has(&err, "key 'root-2026'");
	assert_msg_has(&err, "token 'keyrite-test'");
	assert_msg_has(&err, "(CKR_");
	kr_signer_free(&s);
}
END_TEST

/* The token folder disappears between opening the token and signing. */
START_TEST(test_removed_before_open)
{
	struct kr_p11_key	 k;
	struct kr_p11_token	*t;
	struct kr_signer	*s = NULL;
	struct kr_err		 err;
	int			 ret;

	init_token();
	gen_key(&k, "root-2026", KR_KEY_P384);
	t = open_token_on(SOFTHSM);
	tokens_remove();
	kr_err_clear(&err);
	ret = kr_p11_signer_open(&t, &k, pins->user, &s, NULL, &err);
	ck_assert_int_ne(ret, KR_OK);
	ck_assert_ptr_null(s);
	ck_assert_ptr_null(t);
	assert_msg_has(&err, "token 'keyrite-test'");
}
END_TEST

START_TEST(test_uri)
{
	struct kr_p11_key	 k;
	struct kr_p11_where	 w;
	struct kr_p11_token	*t = NULL;
	struct kr_signer	*s = NULL;
	struct kr_err		 err;
	char			 uri[256];

	init_token();
	gen_key(&k, "root-2026", KR_KEY_ED25519);
	/* module-path and token in the URI, object agreeing. */
	snprintf(uri, sizeof(uri), "pkcs11:token=%s;object=root-2026;"
	    "type=private?module-path=%s", TOKEN, SOFTHSM);
	w = (struct kr_p11_where){ NULL, uri, NULL };
	ck_assert_msg(kr_p11_token_open(&w, &t, NULL, &err) == KR_OK, "%s",
	    err.msg);
	ck_assert_msg(kr_p11_signer_open(&t, &k, pins->user, &s, NULL,
	    &err) == KR_OK, "%s", err.msg);
	kr_signer_free(&s);
	/* By serial. */
	snprintf(uri, sizeof(uri), "pkcs11:serial=%s", tinfo.serial);
	w = (struct kr_p11_where){ SOFTHSM, uri, NULL };
	ck_assert_msg(kr_p11_token_open(&w, &t, NULL, &err) == KR_OK, "%s",
	    err.msg);
	kr_p11_token_close(&t);
	/* An object= naming another key. */
	w = (struct kr_p11_where){ SOFTHSM, "pkcs11:object=other-key", TOKEN };
	ck_assert_int_eq(kr_p11_token_open(&w, &t, NULL, &err), KR_OK);
	ck_assert_int_eq(kr_p11_signer_open(&t, &k, pins->user, &s, NULL,
	    &err), KR_EUSAGE);
	assert_msg_has(&err, "another object");
	ck_assert_ptr_null(t);
}
END_TEST

START_TEST(test_uri_refused)
{
	struct kr_p11_where	 w = { SOFTHSM, NULL, NULL };
	struct kr_p11_token	*t = NULL;
	struct kr_err		 err;

	init_token();
	w.uri = "pkcs11:token=" TOKEN "?pin-value=123456";
	ck_assert_int_eq(kr_p11_token_open(&w, &t, NULL, &err), KR_EUSAGE);
	assert_msg_has(&err, "holds a PIN");
	ck_assert(strstr(err.msg, "123456") == NULL);
	w.uri = "pkcs11:token=%zz";
	ck_assert_int_eq(kr_p11_token_open(&w, &t, NULL, &err), KR_EUSAGE);
	assert_msg_has(&err, "does not parse");
	w.uri = "https://example.org/";
	ck_assert_int_eq(kr_p11_token_open(&w, &t, NULL, &err), KR_EUSAGE);
	w.uri = "pkcs11:token=one";
	w.token = "two";
	ck_assert_int_eq(kr_p11_token_open(&w, &t, NULL, &err), KR_EUSAGE);
	assert_msg_has(&err, "name different tokens");
	ck_assert_ptr_null(t);
}
END_TEST

/* A module registered with p11-kit, by name, and by searching them all. */
START_TEST(test_uri_registered)
{
	struct kr_p11_where	 w = { NULL, NULL, NULL };
	struct kr_p11_token	*t = NULL;
	struct kr_p11_token_info ti;
	struct kr_err		 err;

	if (access(SOFTHSM_REG, R_OK) != 0) {
		fprintf(stderr, "SKIP: SoftHSM2 is not registered with p11-kit "
		    "(%s): module-name URIs were not tested\n", SOFTHSM_REG);
		return;
	}
	init_token();
	w.uri = "pkcs11:token=" TOKEN "?module-name=softhsm2";
	ck_assert_msg(kr_p11_token_open(&w, &t, &ti, &err) == KR_OK, "%s",
	    err.msg);
	ck_assert_str_eq(ti.module, "softhsm2");
	ck_assert_str_eq(ti.serial, tinfo.serial);
	kr_p11_token_close(&t);
	w.uri = "pkcs11:token=" TOKEN;
	ck_assert_msg(kr_p11_token_open(&w, &t, &ti, &err) == KR_OK, "%s",
	    err.msg);
	kr_p11_token_close(&t);
	w.uri = "pkcs11:token=absent?module-name=softhsm2";
	ck_assert_int_eq(kr_p11_token_open(&w, &t, &ti, &err), KR_ENOENT);
	assert_msg_has(&err, "no such token");
	assert_msg_has(&err, "softhsm2");
}
END_TEST

START_TEST(test_destroy)
{
	struct kr_p11_key	 k, k2;
	struct kr_p11_token	*t;
	struct kr_signer	*s = NULL;
	struct kr_err		 err;

	init_token();
	gen_key(&k, "root-2026", KR_KEY_P256);
	gen_key(&k2, "keep-me", KR_KEY_P256);
	t = open_token_on(SOFTHSM);
	ck_assert_msg(kr_p11_key_destroy(t, pins->user, &k, &err) == KR_OK,
	    "%s", err.msg);
	ck_assert_int_eq(kr_p11_key_destroy(t, pins->user, &k, &err),
	    KR_ENOENT);
	assert_msg_has(&err, "nothing was destroyed");
	kr_p11_token_close(&t);
	ck_assert_int_eq(open_signer_on(SOFTHSM, &k, pins->user, &s, &err),
	    KR_ENOENT);
	assert_msg_has(&err, "has no private key labelled 'root-2026'");
	/* The label is free again, and the other key is untouched. */
	gen_key(&k, "root-2026", KR_KEY_P256);
	kr_signer_free(&(struct kr_signer *){ open_signer(&k2) });
}
END_TEST

/* An imported key (not generated on the token) fails the origin check. */
START_TEST(test_origin_refused)
{
	struct kr_p11_key	 k;
	struct kr_signer	*s = NULL;
	uint8_t			*spki = NULL;
	size_t			 len = 0;
	struct kr_err		 err;

	if (!tl_have("command -v pkcs11-tool") ||
	    !tl_have("openssl version")) {
		fprintf(stderr, "SKIP: pkcs11-tool or openssl not found: the "
		    "origin check was not shown to refuse an imported key\n");
		return;
	}
	init_token();
	key_new(&k, "imported", KR_KEY_P256);
	memset(k.p11_id, 0x5a, sizeof(k.p11_id));
	ck_assert_int_eq(tl_sh("openssl genpkey -algorithm EC "
	    "-pkeyopt ec_paramgen_curve:P-256 -outform DER -out k.der && "
	    "openssl pkey -inform DER -in k.der -pubout -outform DER -out "
	    "p.der && for o in 'k.der --type privkey --usage-sign' "
	    "'p.der --type pubkey'; do pkcs11-tool --module %s --token-label "
	    "%s --login --pin %s --label imported --id %s --write-object $o; "
	    "done > /dev/null 2>&1", SOFTHSM, TOKEN, pins->user,
	    "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"), 0);
	ck_assert_int_eq(kr_file_read(tl_path("p.der"), 4096, false, &spki,
	    &len, &err), KR_OK);
	memcpy(k.spki, spki, len);
	k.spki_len = len;
	free(spki);
	ck_assert_int_eq(open_signer_on(SOFTHSM, &k, pins->user, &s, &err),
	    KR_EREFUSED);
	assert_msg_has(&err, "fails the key-origin check");
	assert_msg_has(&err, "CKA_LOCAL is false");
	assert_msg_has(&err, "CKA_ALWAYS_SENSITIVE is false");
	assert_msg_has(&err, "CKA_NEVER_EXTRACTABLE is false");
	ck_assert_ptr_null(s);
}
END_TEST

/* ---- the PIN file (no token needed) ------------------------------------ */

static uint8_t	qsecret[KR_QUORUM_SECRET_BYTES];

static void
pins_header(struct kr_pins_header *h)
{
	memset(h, 0, sizeof(*h));
	kr_random(h->key_id, sizeof(h->key_id));
	strcpy(h->name, "root-2026");
	strcpy(h->token_label, "keyrite-root");
	strcpy(h->token_serial, "a1b2c3d4e5f60718");
	kr_random(h->set_id, sizeof(h->set_id));
	h->epoch = 7;
	h->created = 1795000000;
}

static struct kr_p11_pins *
pins_sample(void)
{
	struct kr_p11_pins	*p = kr_p11_pins_new();

	ck_assert_ptr_nonnull(p);
	kr_p11_pin_draw(p->so, KR_P11_PIN_LEN);
	kr_p11_pin_draw(p->user, KR_P11_PIN_LEN);
	return p;
}

static uint8_t *
pins_file(struct kr_pins_header *h, const struct kr_p11_pins *p, size_t *len)
{
	uint8_t		*f = NULL;
	struct kr_err	 err;

	pins_header(h);
	ck_assert_msg(kr_pins_seal(h, p, qsecret, &f, len, &err) == KR_OK,
	    "%s", err.msg);
	ck_assert_ptr_nonnull(f);
	return f;
}

START_TEST(test_pins_round_trip)
{
	struct kr_p11_pins	*p = pins_sample(), *q = NULL;
	struct kr_pins_header	 h, ph, oh;
	struct kr_err		 err;
	uint8_t			*f;
	size_t			 len;

	f = pins_file(&h, p, &len);
	ck_assert_mem_eq(f, "KRTKPINS\x00\x01", 10);
	/* docs/pkcs11.md: 85 + L + B + S + C, C = 2 + 32 + 32 + 16 */
	ck_assert_uint_eq(len, 85 + 9 + 12 + 16 + 82);
	ck_assert_uint_eq(f[26], 9);
	ck_assert_mem_eq(f + 27, "root-2026", 9);
	ck_assert_uint_eq(f[36], 12);
	ck_assert_uint_eq(f[49], 16);
	ck_assert_uint_le(len, KR_PINS_FILE_MAX);
	ck_assert_int_eq(kr_pins_parse_header(f, len, "pins/root.pins", &ph,
	    &err), KR_OK);
	ck_assert_uint_eq(ph.version, 1);
	ck_assert_mem_eq(ph.key_id, h.key_id, KR_KEY_ID_BYTES);
	ck_assert_str_eq(ph.name, "root-2026");
	ck_assert_str_eq(ph.token_label, "keyrite-root");
	ck_assert_str_eq(ph.token_serial, "a1b2c3d4e5f60718");
	ck_assert_mem_eq(ph.set_id, h.set_id, KR_SET_ID_BYTES);
	ck_assert_uint_eq(ph.epoch, 7);
	ck_assert_int_eq(ph.created, 1795000000);
	ck_assert_msg(kr_pins_open(f, len, "pins/root.pins", qsecret, &oh, &q,
	    &err) == KR_OK, "%s", err.msg);
	ck_assert_str_eq(q->so, p->so);
	ck_assert_str_eq(q->user, p->user);
	ck_assert_str_eq(oh.token_label, "keyrite-root");
	/* Neither PIN appears in the file. */
	ck_assert_ptr_null(memmem(f, len, p->so, strlen(p->so)));
	ck_assert_ptr_null(memmem(f, len, p->user, strlen(p->user)));
	kr_p11_pins_free(&q);
	ck_assert_ptr_null(q);
	kr_p11_pins_free(&p);
	free(f);
}
END_TEST

START_TEST(test_pins_wrong_secret)
{
	struct kr_p11_pins	*p = pins_sample(), *q = NULL;
	struct kr_pins_header	 h;
	uint8_t			 other[KR_QUORUM_SECRET_BYTES], *f;
	struct kr_err		 err;
	size_t			 len;

	f = pins_file(&h, p, &len);
	memcpy(other, qsecret, sizeof(other));
	other[31] ^= 0x80;
	ck_assert_int_eq(kr_pins_open(f, len, "pins/root.pins", other, NULL,
	    &q, &err), KR_EVERIFY);
	assert_msg_has(&err, "pins/root.pins");
	assert_msg_has(&err, "could not be opened with this quorum secret");
	ck_assert_ptr_null(q);
	kr_p11_pins_free(&p);
	free(f);
}
END_TEST

/* Any single flipped bit, in every byte, is detected. */
START_TEST(test_pins_every_byte)
{
	struct kr_p11_pins	*p = pins_sample(), *q = NULL;
	struct kr_pins_header	 h;
	struct kr_err		 err;
	uint8_t			*f;
	size_t			 len, i;

	f = pins_file(&h, p, &len);
	for (i = 0; i < len; i++) {
		f[i] ^= (uint8_t)(1u << (i % 8));
		ck_assert_msg(kr_pins_open(f, len, "p", qsecret, NULL, &q,
		    &err) != KR_OK, "byte %zu flipped went unnoticed", i);
		ck_assert_ptr_null(q);
		f[i] ^= (uint8_t)(1u << (i % 8));
	}
	for (i = 0; i < len; i++)
		ck_assert_msg(kr_pins_open(f, i, "p", qsecret, NULL, &q,
		    &err) == KR_EINPUT, "truncated to %zu accepted", i);
	ck_assert_int_eq(kr_pins_open(f, len, "p", qsecret, NULL, &q, &err),
	    KR_OK);
	kr_p11_pins_free(&q);
	kr_p11_pins_free(&p);
	free(f);
}
END_TEST

START_TEST(test_pins_trailing_and_refusals)
{
	struct kr_p11_pins	*p = pins_sample(), *q = NULL;
	struct kr_pins_header	 h;
	struct kr_err		 err;
	uint8_t			*f, *g = NULL;
	size_t			 len, glen = 0;

	f = pins_file(&h, p, &len);
	ck_assert_ptr_nonnull(f = realloc(f, len + 1));
	f[len] = 0;
	ck_assert_int_eq(kr_pins_open(f, len + 1, "p", qsecret, NULL, &q,
	    &err), KR_EINPUT);
	assert_msg_has(&err, "unexpected bytes");
	pins_header(&h);
	h.token_label[0] = '\0';
	ck_assert_int_eq(kr_pins_seal(&h, p, qsecret, &g, &glen, &err),
	    KR_EINPUT);
	pins_header(&h);
	strcpy(h.name, ".hidden");
	ck_assert_int_eq(kr_pins_seal(&h, p, qsecret, &g, &glen, &err),
	    KR_EINPUT);
	pins_header(&h);
	p->user[0] = '\0';
	ck_assert_int_eq(kr_pins_seal(&h, p, qsecret, &g, &glen, &err),
	    KR_EINPUT);
	ck_assert_ptr_null(g);
	ck_assert_uint_eq(glen, 0);
	kr_p11_pins_free(&p);
	free(f);
}
END_TEST

/* RFC 5869 HKDF-SHA-256; computed with Python's hmac and `openssl kdf`. */
START_TEST(test_pins_key_vector)
{
	static const uint8_t	expect[32] = {
		0xdb, 0x19, 0x43, 0xa2, 0xfb, 0xde, 0x8a, 0x74,
		0xcf, 0x07, 0xc5, 0x8f, 0xa0, 0x23, 0x72, 0x46,
		0x8b, 0x07, 0x6b, 0x3e, 0xcd, 0x5d, 0xb7, 0x29,
		0x37, 0x52, 0x74, 0xc8, 0x6d, 0x6e, 0x72, 0x11,
	};
	uint8_t	qs[32], kid[16], k1[32], k2[32];
	int	i;

	for (i = 0; i < 32; i++)
		qs[i] = (uint8_t)i;
	for (i = 0; i < 16; i++)
		kid[i] = (uint8_t)(0xa0 + i);
	ck_assert_int_eq(kr_pins_key_derive(qs, kid, k1), KR_OK);
	ck_assert_mem_eq(k1, expect, 32);
	/* Not the sealed-key wrap key of the same key id. */
	ck_assert_int_eq(kr_wrap_key_derive(qs, kid, k2), KR_OK);
	ck_assert_mem_ne(k1, k2, 32);
	ck_assert_int_eq(kr_pins_key_derive(NULL, kid, k1), KR_EINPUT);
}
END_TEST

START_TEST(test_pin_draw)
{
	char	a[KR_P11_PIN_MAX + 1], b[KR_P11_PIN_MAX + 1];

	kr_p11_pin_draw(a, 32);
	kr_p11_pin_draw(b, 32);
	ck_assert_uint_eq(strlen(a), 32);
	ck_assert(base32(a) && base32(b));
	ck_assert_str_ne(a, b);
	kr_p11_pin_draw(a, 8);
	ck_assert_uint_eq(strlen(a), 8);
}
END_TEST

/* ---- the CK_RV translation and encodings -------------------------------- */

START_TEST(test_rv_messages)
{
	struct kr_err	err;

	ck_assert_int_eq(kr_p11_fail(&err, CKR_PIN_INCORRECT, "token '%s'",
	    "t"), KR_EAUTH);
	ck_assert_msg(strncmp(err.msg, "token 't': " WRONG_PIN_MSG,
	    strlen("token 't': " WRONG_PIN_MSG)) == 0, "%s", err.msg);
	ck_assert_int_eq(kr_p11_fail(&err, CKR_PIN_LOCKED, "x"), KR_EREFUSED);
	assert_msg_has(&err, "locked after too many wrong PINs "
	    "(CKR_PIN_LOCKED)");
	ck_assert_int_eq(kr_p11_fail(&err, CKR_TOKEN_NOT_PRESENT, "x"),
	    KR_EIO);
	assert_msg_has(&err, "not present (CKR_TOKEN_NOT_PRESENT)");
	ck_assert_int_eq(kr_p11_fail(&err, CKR_DEVICE_REMOVED, "x"), KR_EIO);
	assert_msg_has(&err, "removed");
	ck_assert_int_eq(kr_p11_fail(&err, CKR_MECHANISM_INVALID, "x"),
	    KR_EREFUSED);
	assert_msg_has(&err, "does not support this mechanism");
	ck_assert_int_eq(kr_p11_fail(&err, 0x7777, "x"), KR_EIO);
	assert_msg_has(&err, "0x7777");
	ck_assert_str_eq(kr_p11_rv_name(CKR_PIN_INCORRECT),
	    "CKR_PIN_INCORRECT");
	ck_assert_ptr_null(kr_p11_rv_name(0x7777));
}
END_TEST

START_TEST(test_ec_point)
{
	uint8_t		 der[67], raw[65], big[136];
	const uint8_t	*pt = NULL;

	memset(raw, 0x11, sizeof(raw));
	raw[0] = 0x04;
	der[0] = 0x04;
	der[1] = 65;
	memcpy(der + 2, raw, 65);
	ck_assert_int_eq(kr_p11_ec_point(der, 67, 65, &pt), KR_OK);
	ck_assert_ptr_eq(pt, der + 2);
	ck_assert_int_eq(kr_p11_ec_point(raw, 65, 65, &pt), KR_OK);
	ck_assert_ptr_eq(pt, raw);
	ck_assert_int_eq(kr_p11_ec_point(der, 66, 65, &pt), KR_EINPUT);
	ck_assert_int_eq(kr_p11_ec_point(der, 67, 97, &pt), KR_EINPUT);
	memset(big, 0, sizeof(big));
	big[0] = 0x04;
	big[1] = 0x81;
	big[2] = 133;			/* long form: a P-521 point */
	ck_assert_int_eq(kr_p11_ec_point(big, 136, 133, &pt), KR_OK);
	ck_assert_ptr_eq(pt, big + 3);
	ck_assert_int_eq(kr_p11_ec_point(big, 135, 133, &pt), KR_EINPUT);
	ck_assert_int_eq(kr_p11_ec_point(big, 34, 32, &pt), KR_EINPUT);
}
END_TEST

START_TEST(test_digest_info)
{
	uint8_t	md[64], out[KR_P11_DIGEST_INFO_MAX];
	size_t	len = 0;

	memset(md, 0xab, sizeof(md));
	ck_assert_int_eq(kr_p11_digest_info(KR_HASH_SHA384, md, 48, out,
	    &len), KR_OK);
	ck_assert_uint_eq(len, 19 + 48);
	ck_assert_uint_eq(out[1], len - 2);	/* SEQUENCE length */
	ck_assert_uint_eq(out[18], 48);		/* OCTET STRING length */
	ck_assert_mem_eq(out + 19, md, 48);
	ck_assert_int_eq(kr_p11_digest_info(KR_HASH_SHA256, md, 48, out,
	    &len), KR_EINPUT);
	ck_assert_int_eq(kr_p11_digest_info(KR_HASH_BLAKE2B512, md, 64, out,
	    &len), KR_EINPUT);
}
END_TEST

/* ---- suites ------------------------------------------------------------- */

static Suite *
offline_suite(void)
{
	Suite	*su = suite_create("pkcs11-offline");
	TCase	*tc = tcase_create("pins");

	tcase_add_test(tc, test_pins_round_trip);
	tcase_add_test(tc, test_pins_wrong_secret);
	tcase_add_test(tc, test_pins_every_byte);
	tcase_add_test(tc, test_pins_trailing_and_refusals);
	tcase_add_test(tc, test_pins_key_vector);
	tcase_add_test(tc, test_pin_draw);
	suite_add_tcase(su, tc);
	tc = tcase_create("encodings");
	tcase_add_test(tc, test_rv_messages);
	tcase_add_test(tc, test_ec_point);
	tcase_add_test(tc, test_digest_info);
	suite_add_tcase(su, tc);
	return su;
}

static Suite *
token_suite(void)
{
	Suite	*su = suite_create("pkcs11-softhsm");
	TCase	*tc = tcase_create("token");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_init_token);
	tcase_add_test(tc, test_init_refuses);
	tcase_add_loop_test(tc, test_keys, 0, NALGS);
	tcase_add_test(tc, test_signer_refuses_wrong_alg);
	tcase_add_test(tc, test_label_taken);
	tcase_add_test(tc, test_wrong_pin);
	tcase_add_test(tc, test_login_last);
	tcase_add_test(tc, test_wrong_module);
	tcase_add_test(tc, test_no_such_token);
	tcase_add_test(tc, test_removed_between_signs);
	tcase_add_test(tc, test_removed_before_open);
	tcase_add_test(tc, test_uri);
	tcase_add_test(tc, test_uri_refused);
	tcase_add_test(tc, test_uri_registered);
	tcase_add_test(tc, test_destroy);
	tcase_add_test(tc, test_origin_refused);
	suite_add_tcase(su, tc);
	return su;
}

int
main(int argc, char **argv)
{
	struct kr_err	 err;
	bool		 have_hsm = access(SOFTHSM, R_OK) == 0;
	int		 ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SHIM-MODULE\n", argv[0]);
		return EXIT_FAILURE;
	}
	if ((shim = realpath(argv[1], NULL)) == NULL) {
		fprintf(stderr, "%s: the shim module %s is missing\n", argv[0],
		    argv[1]);
		return EXIT_FAILURE;
	}
	if (kr_crypto_init(&err) != KR_OK) {
		fprintf(stderr, "crypto init: %s\n", err.msg);
		return EXIT_FAILURE;
	}
	kr_random(qsecret, sizeof(qsecret));
	ret = tl_run(offline_suite(), have_hsm ? token_suite() : NULL, NULL);
	sodium_memzero(qsecret, sizeof(qsecret));
	free((char *)shim);
	if (ret != EXIT_SUCCESS)
		return ret;
	if (!have_hsm) {
		fprintf(stderr, "SKIP: %s is missing (apt-get install "
		    "softhsm2): the token tests did not run\n", SOFTHSM);
		return 77;
	}
	return EXIT_SUCCESS;
}
