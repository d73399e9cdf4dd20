/*
 * x509 revocation formats: CRL builder and parser, OCSP responses,
 * OpenSSL index.txt.
 *
 * Keys are made at run time through the keystore (sealed keys opened with
 * a random quorum secret); the CA certificates are built with
 * kr_tbs_build.  Everything keyrite writes is checked with openssl (path
 * in argv[1]): crl -verify and -text, verify -crl_check, ocsp -respin.
 * What keyrite reads is made by `openssl ca` at run time in a temporary
 * folder.  The 1,000,000-entry CRL and index.txt runs print their times;
 * no time is asserted.
 *
 * TEST-KEY-027 (docs/traceability.md): these tests as a whole.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <keyrite/crl.h>
#include <keyrite/keystore.h>
#include <keyrite/x509.h>

#include "testpki.h"
#include "x509_int.h"

#define DAY	86400

/* A CA made at run time: key, certificate, file names. */
struct ca {
	struct kr_signer	*signer;
	enum kr_sig_alg		 alg;
	uint8_t			 subject[KR_NAME_DER_MAX];
	size_t			 subject_len;
	uint8_t			 ski[KR_KEYID_BYTES];
	uint8_t			*der;
	size_t			 der_len;
	char			 pem[64];	/* its file in the work folder */
	char			 err[KR_ERR_MSG_MAX];
};

static struct ca		 ca_p256, ca_ed25519;
static struct kr_signer		*leaf_key;
static const char		*openssl = "openssl";
static int64_t			 now;
static bool			 oca_ok;
static char			 oca_log[4096];

/* Leaves issued by ca_p256: serials 0x1001 (revoked), 0x1002 (good). */
static const uint8_t		 leaf1_serial[2] = { 0x10, 0x01 };
static const uint8_t		 leaf2_serial[2] = { 0x10, 0x02 };

/* --- helpers ------------------------------------------------------------ */

static struct ca *
get_ca(struct ca *ca)
{
	ck_assert_msg(ca->der != NULL, "CA setup failed: %s", ca->err);
	return ca;
}

/* --- certificates ----------------------------------------------------- */

static int
make_ca_cert(struct ca *ca, const char *cn, struct kr_err *err)
{
	struct kr_cert_fields	*f = calloc(1, sizeof(*f));
	char			 subject[128];
	int			 ret;

	if (f == NULL)
		return KR_ENOMEM;
	f->serial_len = 16;
	kr_random(f->serial, 16);
	f->serial[0] = (uint8_t)(1 + f->serial[0] % 0x7f);
	f->sig_alg = ca->alg;
	snprintf(subject, sizeof(subject), "C=DE,O=Example,CN=%s", cn);
	if ((ret = kr_dn_encode(subject, &ca->der, &ca->subject_len, err)) !=
	    KR_OK)
		goto out;
	memcpy(ca->subject, ca->der, ca->subject_len);
	free(ca->der);
	ca->der = NULL;
	memcpy(f->subject, ca->subject, ca->subject_len);
	memcpy(f->issuer, ca->subject, ca->subject_len);
	f->subject_len = f->issuer_len = ca->subject_len;
	f->not_before = now - DAY;
	f->not_after = now + 3650 * DAY;
	memcpy(f->spki, ca->signer->spki, ca->signer->spki_len);
	f->spki_len = ca->signer->spki_len;
	f->has_bc = f->bc_critical = f->bc_ca = true;
	f->bc_pathlen = -1;
	f->has_ku = f->ku_critical = true;
	f->ku = KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN | KR_KU_DIGITAL_SIGNATURE;
	f->has_ski = true;
	if ((ret = kr_key_identifier(f->spki, f->spki_len, f->ski)) != KR_OK)
		goto out;
	f->ski_len = KR_KEYID_BYTES;
	memcpy(ca->ski, f->ski, KR_KEYID_BYTES);
	ret = tl_cert_sign(f, ca->signer, &ca->der, &ca->der_len, err);
out:
	free(f);
	return ret;
}

/* A leaf issued by ca_p256 with the given serial, as <name>.pem. */
static void
make_leaf(const uint8_t *serial, size_t serial_len, const char *name)
{
	struct kr_cert_fields	*f = calloc(1, sizeof(*f));
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_err		 err;
	uint8_t			*der;
	size_t			 len;
	char			 subject[128];

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(leaf_key);
	memcpy(f->serial, serial, serial_len);
	f->serial_len = serial_len;
	f->sig_alg = ca->alg;
	memcpy(f->issuer, ca->subject, ca->subject_len);
	f->issuer_len = ca->subject_len;
	snprintf(subject, sizeof(subject), "C=DE,O=Example,CN=%s", name);
	tl_set_name(f->subject, &f->subject_len, subject);
	f->not_before = now - DAY;
	f->not_after = now + 365 * DAY;
	memcpy(f->spki, leaf_key->spki, leaf_key->spki_len);
	f->spki_len = leaf_key->spki_len;
	f->bc_pathlen = -1;
	f->has_ku = f->ku_critical = true;
	f->ku = KR_KU_DIGITAL_SIGNATURE;
	f->has_aki = true;
	memcpy(f->aki, ca->ski, KR_KEYID_BYTES);
	f->aki_len = KR_KEYID_BYTES;
	kr_err_clear(&err);
	ck_assert_msg(tl_cert_sign(f, ca->signer, &der, &len, &err) == KR_OK,
	    "leaf %s: %s", name, err.msg);
	snprintf(subject, sizeof(subject), "%s.pem", name);
	tl_write_pem(subject, "CERTIFICATE", der, len);
	free(der);
	free(f);
}

/* --- CRL helpers ---------------------------------------------------------- */

/* An entry source over an array. */
struct list {
	const struct kr_crl_entry	*e;
	size_t				 n;
	size_t				 i;
};

static int
list_next(void *ctx, struct kr_crl_entry *out, struct kr_err *err)
{
	struct list	*l = ctx;

	(void)err;
	if (l->i == l->n)
		return 0;
	*out = l->e[l->i++];
	return 1;
}

static struct kr_crl_entry
entry(const uint8_t *serial, size_t len, int64_t at, enum kr_reason r,
    int64_t invalidity)
{
	struct kr_crl_entry	e;

	memset(&e, 0, sizeof(e));
	memcpy(e.serial, serial, len);
	e.serial_len = len;
	e.revoked_at = at;
	e.reason = r;
	e.invalidity = invalidity;
	return e;
}

static void
crl_fields(struct kr_crl_fields *f, const struct ca *ca, uint8_t number)
{
	memset(f, 0, sizeof(*f));
	f->sig_alg = ca->alg;
	memcpy(f->issuer, ca->subject, ca->subject_len);
	f->issuer_len = ca->subject_len;
	f->this_update = now - 3600;
	f->next_update = now + 7 * DAY;
	f->number[0] = number;
	f->number_len = 1;
	memcpy(f->aki, ca->ski, KR_KEYID_BYTES);
	f->aki_len = KR_KEYID_BYTES;
}

/* Builds and signs a CRL; the result is malloc'd. */
static uint8_t *
sign_crl(const struct kr_crl_fields *f, struct kr_signer *s,
    kr_crl_next *next, void *ctx, size_t *len)
{
	struct kr_crl_builder	 b;
	struct kr_slice		 out;
	struct kr_err		 err;
	uint8_t			 sig[KR_SIG_MAX_BYTES], *crl;
	size_t			 siglen;

	kr_err_clear(&err);
	ck_assert_msg(kr_crl_tbs_build(f, next, ctx, &b, &err) == KR_OK,
	    "build: %s", err.msg);
	ck_assert_msg(kr_signer_sign(s, f->sig_alg, b.tbs.p, b.tbs.len, sig,
	    &siglen, &err) == KR_OK, "sign: %s", err.msg);
	ck_assert_msg(kr_crl_finish(&b, f->sig_alg, sig, siglen, &out,
	    &err) == KR_OK, "finish: %s", err.msg);
	ck_assert_ptr_nonnull(crl = malloc(out.len));
	memcpy(crl, out.p, out.len);
	*len = out.len;
	kr_crl_builder_free(&b);
	return crl;
}

static uint8_t *
sign_list(const struct kr_crl_fields *f, struct kr_signer *s,
    const struct kr_crl_entry *e, size_t n, size_t *len)
{
	struct list	l = { e, n, 0 };

	return sign_crl(f, s, list_next, &l, len);
}

/* Collects parsed entries. */
struct got {
	struct kr_crl_entry	e[16];
	size_t			n;
};

static int
collect(const struct kr_crl_entry *e, void *ctx)
{
	struct got	*g = ctx;

	if (g->n == 16)
		return KR_EINTERNAL;
	g->e[g->n++] = *e;
	return 0;
}

static int
parse(const uint8_t *der, size_t len, struct kr_crl_info *info,
    struct got *g, struct kr_err *err)
{
	kr_err_clear(err);
	if (g != NULL)
		g->n = 0;
	return kr_crl_parse("test.crl", der, len, info, NULL,
	    g != NULL ? collect : NULL, g, err);
}

/* openssl crl -verify against the CA, and the -text output. */
static char *
openssl_crl(const uint8_t *der, size_t len, const struct ca *ca)
{
	char	*out;

	tl_write("t.crl", der, len);
	ck_assert_msg(tl_sh("'%s' crl -inform DER -in t.crl -CAfile %s -verify "
	    "-noout > v.txt 2>&1", openssl, ca->pem) == 0,
	    "openssl crl -verify: %s", tl_read_maybe("v.txt", NULL));
	out = tl_read_maybe("v.txt", NULL);
	tl_assert_has(out, "verify OK", "openssl crl -verify");
	free(out);
	ck_assert_int_eq(tl_sh("'%s' crl -inform DER -in t.crl -text -noout "
	    "> text.txt 2>&1", openssl), 0);
	return tl_read_maybe("text.txt", NULL);
}

/* --- reason names, numbers -------------------------------------------- */

START_TEST(test_reason_names)
{
	static const char *const names[] = {
		"keyCompromise", "cACompromise", "affiliationChanged",
		"superseded", "cessationOfOperation", "certificateHold",
		"removeFromCRL", "privilegeWithdrawn", "aACompromise",
	};
	static const enum kr_reason codes[] = { 1, 2, 3, 4, 5, 6, 8, 9, 10 };
	enum kr_reason	r;
	size_t		i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r = KR_REASON_NONE;
		ck_assert_int_eq(kr_reason_from_name(names[i], &r), KR_OK);
		ck_assert_int_eq(r, codes[i]);
		ck_assert_str_eq(kr_reason_name(r), names[i]);
	}
	ck_assert_int_eq(kr_reason_from_name("unspecified", &r), KR_OK);
	ck_assert_int_eq(r, KR_REASON_NONE);
	ck_assert_str_eq(kr_reason_name(KR_REASON_NONE), "unspecified");
	ck_assert_str_eq(kr_reason_name(KR_REASON_UNSPECIFIED), "unspecified");
	/* OpenSSL's spelling */
	ck_assert_int_eq(kr_reason_from_name("CACompromise", &r), KR_OK);
	ck_assert_int_eq(r, KR_REASON_CA_COMPROMISE);
	ck_assert_int_eq(kr_reason_from_name("keyCompromised", &r), KR_EINPUT);
	ck_assert_int_eq(kr_reason_from_name("", &r), KR_EINPUT);
	ck_assert_int_eq(kr_reason_from_name("7", &r), KR_EINPUT);
	ck_assert_int_eq(kr_reason_from_name(NULL, &r), KR_EINPUT);
	ck_assert_str_eq(kr_reason_name((enum kr_reason)7),
	    "(invalid reason)");
}
END_TEST

START_TEST(test_bigint_cmp)
{
	static const uint8_t	a[] = { 0x01 }, b[] = { 0x02 };
	static const uint8_t	c[] = { 0x00, 0x80 }, d[] = { 0x7f };
	static const uint8_t	e[] = { 0x01, 0x00 }, z[] = { 0x00 };

	ck_assert_int_eq(kr_bigint_cmp(a, 1, b, 1), -1);
	ck_assert_int_eq(kr_bigint_cmp(b, 1, a, 1), 1);
	ck_assert_int_eq(kr_bigint_cmp(a, 1, a, 1), 0);
	ck_assert_int_eq(kr_bigint_cmp(c, 2, d, 1), 1);
	ck_assert_int_eq(kr_bigint_cmp(d, 1, c, 2), -1);
	ck_assert_int_eq(kr_bigint_cmp(e, 2, c, 2), 1);
	ck_assert_int_eq(kr_bigint_cmp(z, 1, a, 1), -1);
	ck_assert_int_eq(kr_bigint_cmp(z, 1, z, 1), 0);
	/* a leading zero octet does not change the value */
	ck_assert_int_eq(kr_bigint_cmp(c + 1, 1, c, 2), 0);
}
END_TEST

/* --- building CRLs, checked with openssl ------------------------------ */

/* Three entries: a reason and invalidity, none, a hold; odd serials. */
static void
three_entries(struct kr_crl_entry *e)
{
	static const uint8_t	s2[3] = { 0x00, 0x9a, 0xbc };
	uint8_t			s3[KR_SERIAL_MAX];
	size_t			i;

	for (i = 0; i < sizeof(s3); i++)
		s3[i] = (uint8_t)(0x71 - i);
	e[0] = entry(leaf1_serial, 2, now - 2 * DAY, KR_REASON_KEY_COMPROMISE,
	    now - 10 * DAY);
	e[1] = entry(s2, 3, now - DAY, KR_REASON_NONE, 0);
	e[2] = entry(s3, sizeof(s3), now - 3600,
	    KR_REASON_CERTIFICATE_HOLD, 0);
}

START_TEST(test_crl_entries_openssl)
{
	static const size_t	 counts[] = { 0, 1, 3 };
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_crl_fields	 f;
	struct kr_crl_entry	 e[3];
	struct kr_crl_info	 info;
	struct kr_err		 err;
	uint8_t			*crl;
	size_t			 len, i;
	char			*text;

	three_entries(e);
	for (i = 0; i < 3; i++) {
		crl_fields(&f, ca, (uint8_t)(10 + i));
		crl = sign_list(&f, ca->signer, e, counts[i], &len);
		text = openssl_crl(crl, len, ca);
		tl_assert_has(text, "Version 2 (0x1)", "crl -text");
		tl_assert_has(text, "X509v3 CRL Number:", "crl -text");
		tl_assert_has(text, "X509v3 Authority Key Identifier:",
		    "crl -text");
		if (counts[i] == 0) {
			tl_assert_has(text, "No Revoked Certificates",
			    "crl -text");
		} else {
			tl_assert_has(text, "Serial Number: 1001", "crl -text");
			tl_assert_has(text, "Key Compromise", "crl -text");
			tl_assert_has(text, "Invalidity Date:", "crl -text");
		}
		if (counts[i] == 3) {
			tl_assert_has(text, "Serial Number: 9ABC", "crl -text");
			tl_assert_has(text, "Serial Number: 71706F6E",
			    "crl -text");
			tl_assert_has(text, "Certificate Hold", "crl -text");
		}
		ck_assert_msg(parse(crl, len, &info, NULL, &err) == KR_OK,
		    "%s", err.msg);
		ck_assert_uint_eq(info.entries, counts[i]);
		ck_assert_int_eq(kr_crl_verify_signature(&info,
		    ca->signer->spki, ca->signer->spki_len, &err), KR_OK);
		free(text);
		free(crl);
	}
}
END_TEST

/* No entries: revokedCertificates is left out, not written empty. */
START_TEST(test_crl_empty_layout)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_crl_fields	 f;
	struct kr_der		 d, cl, tbs;
	struct kr_slice		 c;
	uint8_t			*crl;
	size_t			 len;
	int64_t			 t;
	int			 v;

	crl_fields(&f, ca, 1);
	crl = sign_list(&f, ca->signer, NULL, 0, &len);
	kr_der_init(&d, crl, len);
	ck_assert_int_eq(kr_der_enter(&d, KR_DER_SEQUENCE, &cl), KR_OK);
	ck_assert_int_eq(kr_der_done(&d), KR_OK);
	ck_assert_int_eq(kr_der_enter(&cl, KR_DER_SEQUENCE, &tbs), KR_OK);
	ck_assert_int_eq(kr_der_get_small_int(&tbs, &v), KR_OK);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(kr_der_get(&tbs, KR_DER_SEQUENCE, &c), KR_OK);
	ck_assert_int_eq(kr_der_get(&tbs, KR_DER_SEQUENCE, &c), KR_OK);
	ck_assert_uint_eq(c.len + 2, ca->subject_len);
	ck_assert_int_eq(kr_der_get_time(&tbs, &t), KR_OK);
	ck_assert_int_eq(t, f.this_update);
	ck_assert_int_eq(kr_der_get_time(&tbs, &t), KR_OK);
	ck_assert_int_eq(t, f.next_update);
	/* straight to crlExtensions */
	ck_assert(kr_der_peek(&tbs, KR_DER_CTX_CONS(0)));
	ck_assert_int_eq(kr_der_get(&tbs, KR_DER_CTX_CONS(0), &c), KR_OK);
	ck_assert_int_eq(kr_der_done(&tbs), KR_OK);
	ck_assert_int_eq(kr_der_get(&cl, KR_DER_SEQUENCE, &c), KR_OK);
	ck_assert(kr_der_peek(&cl, KR_DER_BIT_STRING));
	free(crl);
}
END_TEST

struct combo {
	bool		delta;
	int		idp;		/* 0 none, 1 URI, 2 URI + CA, 3 user */
	bool		freshest;
};

static void
combo_fields(struct kr_crl_fields *f, const struct combo *c)
{
	if (c->delta) {
		f->is_delta = true;
		f->base_number[0] = 0x00;
		f->base_number[1] = 0x80;
		f->base_number_len = 2;
		f->number[0] = 0x01;
		f->number[1] = 0x02;
		f->number_len = 2;
	}
	f->has_idp = c->idp != 0;
	if (c->idp == 1 || c->idp == 2)
		snprintf(f->idp_uri, sizeof(f->idp_uri),
		    "http://pki.example.com/root.crl");
	f->idp_only_ca = c->idp == 2;
	f->idp_only_user = c->idp == 3;
	if (c->freshest)
		snprintf(f->freshest_uri, sizeof(f->freshest_uri),
		    "http://pki.example.com/delta.crl");
}

static void
combo_text(const char *t, const struct combo *c)
{
	if (c->delta) {
		tl_assert_has(t, "X509v3 Delta CRL Indicator: critical",
		    "delta");
		tl_assert_has(t, "Remove From CRL", "delta");
	} else
		tl_assert_lacks(t, "Delta CRL Indicator", "base");
	if (c->idp != 0)
		tl_assert_has(t, "X509v3 Issuing Distribution Point: critical",
		    "idp");
	else
		tl_assert_lacks(t, "Issuing Distribution Point", "no idp");
	if (c->idp == 1 || c->idp == 2)
		tl_assert_has(t, "URI:http://pki.example.com/root.crl", "idp");
	(c->idp == 2 ? tl_assert_has : tl_assert_lacks)(t,
	    "Only CA Certificates", "idp");
	(c->idp == 3 ? tl_assert_has : tl_assert_lacks)(t,
	    "Only User Certificates", "idp");
	if (c->freshest) {
		tl_assert_has(t, "X509v3 Freshest CRL:", "freshest");
		tl_assert_has(t, "URI:http://pki.example.com/delta.crl",
		    "freshest");
	} else
		tl_assert_lacks(t, "Freshest CRL", "no freshest");
}

static void
combo_parsed(const struct kr_crl_info *info, const struct combo *c,
    const struct ca *ca)
{
	ck_assert(info->has_number && info->has_aki);
	ck_assert_uint_eq(info->aki_len, KR_KEYID_BYTES);
	ck_assert_mem_eq(info->aki, ca->ski, KR_KEYID_BYTES);
	ck_assert_int_eq(info->is_delta, c->delta);
	if (c->delta) {
		ck_assert_uint_eq(info->base_number_len, 2);
		ck_assert_mem_eq(info->base_number, "\x00\x80", 2);
		ck_assert_uint_eq(info->number_len, 2);
		ck_assert_mem_eq(info->number, "\x01\x02", 2);
	}
	ck_assert_int_eq(info->has_idp, c->idp != 0);
	ck_assert_int_eq(info->idp_only_ca, c->idp == 2);
	ck_assert_int_eq(info->idp_only_user, c->idp == 3);
	/* The URI a delta copies from its base (crl_scope.c). */
	ck_assert_str_eq(info->idp_uri, c->idp == 1 || c->idp == 2 ?
	    "http://pki.example.com/root.crl" : "");
	ck_assert_uint_eq(info->entries, 1);
}

/* Every combination of delta, issuingDistributionPoint, freshestCRL. */
START_TEST(test_crl_extension_combinations)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_crl_fields	 f;
	struct kr_crl_entry	 e;
	struct kr_crl_info	 info;
	struct got		 g;
	struct kr_err		 err;
	struct combo		 c;
	uint8_t			*crl;
	size_t			 len;
	char			*text;
	int			 i, n = 0;

	for (i = 0; i < 16; i++) {
		c.delta = (i & 1) != 0;
		c.freshest = (i & 2) != 0;
		c.idp = i >> 2;
		if (c.delta && c.freshest)
			continue;	/* refused: see the builder refusals */
		crl_fields(&f, ca, 5);
		combo_fields(&f, &c);
		e = entry(leaf1_serial, 2, now - DAY, c.delta ?
		    KR_REASON_REMOVE_FROM_CRL : KR_REASON_SUPERSEDED, 0);
		crl = sign_list(&f, ca->signer, &e, 1, &len);
		text = openssl_crl(crl, len, ca);
		combo_text(text, &c);
		ck_assert_msg(parse(crl, len, &info, &g, &err) == KR_OK, "%s",
		    err.msg);
		combo_parsed(&info, &c, ca);
		ck_assert_int_eq(g.e[0].reason, c.delta ?
		    KR_REASON_REMOVE_FROM_CRL : KR_REASON_SUPERSEDED);
		free(text);
		free(crl);
		n++;
	}
	ck_assert_int_eq(n, 12);
}
END_TEST

static void
make_leaves(void)
{
	make_leaf(leaf1_serial, sizeof(leaf1_serial), "leaf1");
	make_leaf(leaf2_serial, sizeof(leaf2_serial), "leaf2");
}

/* openssl verify -crl_check: the revoked leaf refused, the other not. */
START_TEST(test_crl_verify_leaves)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_crl_fields	 f;
	struct kr_crl_entry	 e[3];
	uint8_t			*crl;
	size_t			 len;
	char			*out;

	make_leaves();
	three_entries(e);
	crl_fields(&f, ca, 2);
	f.has_idp = f.idp_only_user = true;
	crl = sign_list(&f, ca->signer, e, 3, &len);
	tl_write_pem("leaves.crl.pem", "X509 CRL", crl, len);
	ck_assert_int_ne(tl_sh("'%s' verify -crl_check -CAfile %s -CRLfile "
	    "leaves.crl.pem leaf1.pem > v1.txt 2>&1", openssl, ca->pem), 0);
	out = tl_read_maybe("v1.txt", NULL);
	tl_assert_has(out, "certificate revoked", "verify leaf1");
	free(out);
	ck_assert_msg(tl_sh("'%s' verify -crl_check -CAfile %s -CRLfile "
	    "leaves.crl.pem leaf2.pem > v2.txt 2>&1", openssl, ca->pem) == 0,
	    "verify leaf2: %s", tl_read_maybe("v2.txt", NULL));
	out = tl_read_maybe("v2.txt", NULL);
	tl_assert_has(out, "leaf2.pem: OK", "verify leaf2");
	free(out);
	/* without the CRL both pass, so the refusal above is the CRL's */
	ck_assert_int_eq(tl_sh("'%s' verify -CAfile %s leaf1.pem > /dev/null "
	    "2>&1", openssl, ca->pem), 0);
	free(crl);
}
END_TEST

/* Ed25519-signed CRL under an Ed25519 CA. */
START_TEST(test_crl_ed25519)
{
	struct ca		*ca = get_ca(&ca_ed25519);
	struct kr_crl_fields	 f;
	struct kr_crl_entry	 e[3];
	struct kr_crl_info	 info;
	struct kr_err		 err;
	uint8_t			*crl;
	size_t			 len;
	char			*text;

	three_entries(e);
	crl_fields(&f, ca, 3);
	crl = sign_list(&f, ca->signer, e, 3, &len);
	text = openssl_crl(crl, len, ca);
	tl_assert_has(text, "Signature Algorithm: ED25519", "crl -text");
	ck_assert_int_eq(parse(crl, len, &info, NULL, &err), KR_OK);
	ck_assert_int_eq(info.sig_alg, KR_SIG_ED25519);
	ck_assert_int_eq(kr_crl_verify_signature(&info, ca->signer->spki,
	    ca->signer->spki_len, &err), KR_OK);
	/* the P-256 CA's key does not verify it */
	ck_assert_int_ne(kr_crl_verify_signature(&info,
	    get_ca(&ca_p256)->signer->spki,
	    get_ca(&ca_p256)->signer->spki_len, &err), KR_OK);
	free(text);
	free(crl);
}
END_TEST

/* UTCTime through 2049, GeneralizedTime after; invalidityDate always
 * GeneralizedTime. */
START_TEST(test_crl_times)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_crl_fields	 f;
	struct kr_crl_entry	 e;
	struct kr_crl_builder	 b;
	struct kr_crl_info	 info;
	struct got		 g;
	struct kr_slice		 out;
	struct kr_err		 err;
	struct kr_tm		 tm1 = { 2049, 12, 31, 23, 59, 59 };
	struct kr_tm		 tm2 = { 2050, 1, 1, 0, 0, 0 };
	struct kr_tm		 tm3 = { 2026, 1, 1, 0, 0, 0 };
	struct list		 l = { &e, 1, 0 };
	uint8_t			 sig[64];

	crl_fields(&f, ca, 1);
	ck_assert_int_eq(kr_tm_to_time(&tm1, &f.this_update), KR_OK);
	ck_assert_int_eq(kr_tm_to_time(&tm2, &f.next_update), KR_OK);
	e = entry(leaf2_serial, 2, f.this_update - DAY,
	    KR_REASON_KEY_COMPROMISE, 0);
	ck_assert_int_eq(kr_tm_to_time(&tm3, &e.invalidity), KR_OK);
	kr_err_clear(&err);
	ck_assert_msg(kr_crl_tbs_build(&f, list_next, &l, &b, &err) == KR_OK,
	    "%s", err.msg);
	memset(sig, 0x5a, sizeof(sig));
	ck_assert_int_eq(kr_crl_finish(&b, f.sig_alg, sig, sizeof(sig), &out,
	    &err), KR_OK);
	ck_assert_ptr_nonnull(memmem(out.p, out.len,
	    "\x17\x0d" "491231235959Z", 15));
	ck_assert_ptr_nonnull(memmem(out.p, out.len,
	    "\x18\x0f" "20500101000000Z", 17));
	ck_assert_ptr_nonnull(memmem(out.p, out.len,
	    "\x17\x0d" "491230235959Z", 15));
	ck_assert_ptr_nonnull(memmem(out.p, out.len,
	    "\x18\x0f" "20260101000000Z", 17));
	ck_assert_msg(parse(out.p, out.len, &info, &g, &err) == KR_OK, "%s",
	    err.msg);
	ck_assert_int_eq(info.this_update, f.this_update);
	ck_assert_int_eq(info.next_update, f.next_update);
	ck_assert_int_eq(g.e[0].invalidity, e.invalidity);
	ck_assert_int_eq(g.e[0].revoked_at, e.revoked_at);
	kr_crl_builder_free(&b);
	kr_crl_builder_free(&b);	/* twice: harmless */
	kr_crl_builder_free(NULL);
}
END_TEST

/* What is built parses back to the same fields and entries. */
START_TEST(test_crl_round_trip)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_crl_fields	 f;
	struct kr_crl_entry	 e[3];
	struct kr_crl_info	 info;
	struct got		 g;
	struct kr_err		 err;
	uint8_t			*crl, *der = NULL, *p;
	size_t			 len, i;
	char			*pem;

	three_entries(e);
	crl_fields(&f, ca, 0x7f);
	crl = sign_list(&f, ca->signer, e, 3, &len);
	ck_assert_msg(parse(crl, len, &info, &g, &err) == KR_OK, "%s",
	    err.msg);
	ck_assert_int_eq(info.sig_alg, ca->alg);
	ck_assert_uint_eq(info.issuer_len, ca->subject_len);
	ck_assert_mem_eq(info.issuer, ca->subject, ca->subject_len);
	ck_assert_int_eq(info.this_update, f.this_update);
	ck_assert_int_eq(info.next_update, f.next_update);
	ck_assert(info.has_number && info.number_len == 1 &&
	    info.number[0] == 0x7f);
	ck_assert(!info.is_delta && !info.has_idp);
	ck_assert_uint_eq(info.entries, 3);
	ck_assert_uint_eq(g.n, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(g.e[i].serial_len, e[i].serial_len);
		ck_assert_mem_eq(g.e[i].serial, e[i].serial, e[i].serial_len);
		ck_assert_int_eq(g.e[i].revoked_at, e[i].revoked_at);
		ck_assert_int_eq(g.e[i].reason, e[i].reason);
		ck_assert_int_eq(g.e[i].invalidity, e[i].invalidity);
	}
	ck_assert_ptr_eq(info.tbs.p, crl + 4);
	ck_assert_int_eq(kr_crl_verify_signature(&info, ca->signer->spki,
	    ca->signer->spki_len, &err), KR_OK);
	/* PEM, with text before it as `openssl crl -text` writes */
	pem = kr_pem_encode("X509 CRL", crl, len);
	ck_assert_ptr_nonnull(pem);
	ck_assert_int_eq(kr_crl_parse("pem", (const uint8_t *)pem,
	    strlen(pem), &info, &der, collect, &g, &err), KR_OK);
	ck_assert_ptr_nonnull(der);
	ck_assert_uint_eq(info.entries, 3);
	ck_assert_mem_eq(info.tbs.p, crl + 4, info.tbs.len);
	free(der);
	kr_err_clear(&err);
	ck_assert_int_eq(kr_crl_parse("pem", (const uint8_t *)pem,
	    strlen(pem), &info, NULL, NULL, NULL, &err), KR_EINPUT);
	tl_assert_has(err.msg, "PEM", "PEM without der_out");
	free(pem);
	/* serial 1001 turned into 1003: parses, does not verify */
	ck_assert_ptr_nonnull(p = memmem(crl, len, "\x02\x02\x10\x01", 4));
	p[3] ^= 0x02;
	ck_assert_int_eq(parse(crl, len, &info, &g, &err), KR_OK);
	ck_assert_mem_eq(g.e[0].serial, "\x10\x03", 2);
	ck_assert_int_eq(kr_crl_verify_signature(&info, ca->signer->spki,
	    ca->signer->spki_len, &err), KR_EVERIFY);
	tl_assert_has(err.msg, "does not verify", "altered CRL");
	free(crl);
}
END_TEST

/* --- builder refusals ------------------------------------------------- */

static void
build_refused(const struct kr_crl_fields *f, const struct kr_crl_entry *e,
    size_t n, const char *msg)
{
	struct list		l = { e, n, 0 };
	struct kr_crl_builder	b;
	struct kr_err		err;

	kr_err_clear(&err);
	ck_assert_msg(kr_crl_tbs_build(f, list_next, &l, &b, &err) ==
	    KR_EINPUT, "built although \"%s\" was expected", msg);
	tl_assert_has(err.msg, msg, "builder refusal");
	ck_assert_ptr_null(b.buf);
}

static void
serial_refused(const struct kr_crl_fields *f, const char *hex, size_t len)
{
	struct kr_crl_entry	e;

	e = entry((const uint8_t *)"", 0, now, KR_REASON_NONE, 0);
	if (len > 0)
		ck_assert_int_eq(kr_hex_decode(e.serial, len, hex), KR_OK);
	e.serial_len = len;
	build_refused(f, &e, 1, "serial number");
}

START_TEST(test_crl_builder_refusals)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_crl_fields	 good, f;
	struct kr_crl_entry	 ok, e;
	struct kr_crl_builder	 b;
	struct list		 l = { &ok, 1, 0 };
	struct kr_err		 err;

	crl_fields(&good, ca, 9);
	ok = entry(leaf1_serial, 2, now, KR_REASON_SUPERSEDED, 0);
	kr_err_clear(&err);
	ck_assert_msg(kr_crl_tbs_build(&good, list_next, &l, &b, &err) ==
	    KR_OK, "%s", err.msg);
	ck_assert_uint_eq(b.entries, 1);
	kr_crl_builder_free(&b);
	/* IDP fields without has_idp are not written (crl.h) */
	f = good;
	snprintf(f.idp_uri, sizeof(f.idp_uri), "http://x/r.crl");
	f.idp_only_ca = true;
	l.i = 0;
	ck_assert_int_eq(kr_crl_tbs_build(&f, list_next, &l, &b, &err),
	    KR_OK);
	ck_assert_ptr_null(memmem(b.tbs.p, b.tbs.len, "\x55\x1d\x1c", 3));
	ck_assert_ptr_null(memmem(b.tbs.p, b.tbs.len, "http://x/", 9));
	kr_crl_builder_free(&b);

	serial_refused(&good, "80", 1);
	serial_refused(&good, "0001", 2);
	serial_refused(&good, "00", 1);
	serial_refused(&good, "", 0);
	serial_refused(&good, "010203040506070809101112131415161718192021",
	    21);
	e = ok;
	e.reason = (enum kr_reason)7;
	build_refused(&good, &e, 1, "unknown reason code 7");
	e.reason = (enum kr_reason)11;
	build_refused(&good, &e, 1, "unknown reason code 11");
	e.reason = KR_REASON_REMOVE_FROM_CRL;
	build_refused(&good, &e, 1, "removeFromCRL is only allowed in a delta");
	e = ok;
	e.revoked_at = 253402300800LL;
	build_refused(&good, &e, 1, "outside the years");

	f = good;
	f.next_update = f.this_update;
	build_refused(&f, NULL, 0, "nextUpdate is not later");
	f = good;
	f.number_len = 0;
	build_refused(&f, NULL, 0, "CRL number");
	f.number_len = 2;
	f.number[0] = 0x00;
	f.number[1] = 0x05;
	build_refused(&f, NULL, 0, "CRL number");
	f.number_len = 1;
	f.number[0] = 0x80;
	build_refused(&f, NULL, 0, "CRL number");
	f = good;
	f.aki_len = 0;
	build_refused(&f, NULL, 0, "authority key identifier");
	f = good;
	f.issuer_len = 0;
	build_refused(&f, NULL, 0, "issuer name");
	f = good;
	f.sig_alg = (enum kr_sig_alg)99;
	build_refused(&f, NULL, 0, "unknown signature algorithm");

	f = good;
	f.is_delta = true;
	f.base_number[0] = 9;
	f.base_number_len = 1;
	build_refused(&f, NULL, 0, "greater than its base");
	f.base_number_len = 0;
	build_refused(&f, NULL, 0, "base CRL number");
	f.base_number[0] = 3;
	f.base_number_len = 1;
	snprintf(f.freshest_uri, sizeof(f.freshest_uri), "http://x/d.crl");
	build_refused(&f, NULL, 0, "may not carry freshestCRL");

	f = good;
	f.has_idp = true;
	build_refused(&f, NULL, 0, "empty issuingDistributionPoint");
	f.idp_only_ca = f.idp_only_user = true;
	build_refused(&f, NULL, 0, "both");
	f = good;
	f.has_idp = true;
	snprintf(f.idp_uri, sizeof(f.idp_uri), "http://x/r crl");
	build_refused(&f, NULL, 0, "URI");
	f = good;
	snprintf(f.freshest_uri, sizeof(f.freshest_uri), "no-scheme");
	build_refused(&f, NULL, 0, "URI");
}
END_TEST

static int
failing_next(void *ctx, struct kr_crl_entry *out, struct kr_err *err)
{
	int	*left = ctx;

	if ((*left)-- > 0) {
		*out = entry(leaf1_serial, 2, now, KR_REASON_NONE, 0);
		return 1;
	}
	if (*left == -1)
		return kr_err_set(err, KR_EREFUSED, "entry source: stop here");
	return 2;
}

START_TEST(test_crl_builder_source_and_finish)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_crl_fields	 f;
	struct kr_crl_builder	 b;
	struct kr_slice		 out;
	struct kr_err		 err;
	uint8_t			 sig[72];
	int			 left = 2;

	crl_fields(&f, ca, 1);
	kr_err_clear(&err);
	ck_assert_int_eq(kr_crl_tbs_build(&f, failing_next, &left, &b, &err),
	    KR_EREFUSED);
	ck_assert_str_eq(err.msg, "entry source: stop here");
	ck_assert_ptr_null(b.buf);
	left = -5;
	kr_err_clear(&err);
	ck_assert_int_eq(kr_crl_tbs_build(&f, failing_next, &left, &b, &err),
	    KR_EINTERNAL);

	/* finish: algorithm must match the TBS, once only */
	left = 0;
	ck_assert_int_eq(kr_crl_tbs_build(&f, list_next,
	    &(struct list){ NULL, 0, 0 }, &b, &err), KR_OK);
	memset(sig, 0x11, sizeof(sig));
	ck_assert_int_eq(kr_crl_finish(&b, KR_SIG_ED25519, sig, 64, &out,
	    &err), KR_EINPUT);
	tl_assert_has(err.msg, "another signature algorithm", "finish");
	ck_assert_int_eq(kr_crl_finish(&b, f.sig_alg, sig, 0, &out, &err),
	    KR_EINPUT);
	ck_assert_int_eq(kr_crl_finish(&b, f.sig_alg, sig, sizeof(sig), &out,
	    &err), KR_OK);
	ck_assert_ptr_eq(out.p, b.buf + b.start);
	ck_assert_int_eq(kr_crl_finish(&b, f.sig_alg, sig, sizeof(sig), &out,
	    &err), KR_EINTERNAL);
	kr_crl_builder_free(&b);
	ck_assert_int_eq(kr_crl_finish(&b, f.sig_alg, sig, sizeof(sig), &out,
	    &err), KR_EINTERNAL);
}
END_TEST

/* --- parser refusals, on CRLs crafted here ------------------------------ */

/* The parts of a hand-made CRL; hex strings are whole DER elements. */
struct craft {
	int		 version;	/* -1: left out */
	const char	*serial;	/* INTEGER contents, hex */
	const char	*entry_exts;	/* Extension elements, hex */
	const char	*crl_exts;	/* Extension elements, hex */
	bool		 no_list;	/* no revokedCertificates */
	bool		 empty_list;	/* revokedCertificates, empty */
	bool		 other_outer;	/* outer algorithm differs */
};

#define ALG_ECDSA_SHA256	"300a06082a8648ce3d040302"
#define ALG_RSA_SHA256		"300d06092a864886f70d01010b0500"
/* cRLNumber 1, reasonCode keyCompromise */
#define EXT_NUMBER	"300a0603551d140403020101"
#define EXT_REASON	"300a0603551d1504030a0101"

#define W(expr) do {							\
	int	n_ = (expr);						\
	ck_assert_int_ge(n_, 0);					\
	len += (size_t)n_;						\
} while (0)

static int
hex_raw(uint8_t **p, uint8_t *start, const char *hex)
{
	uint8_t	b[512];
	size_t	n = strlen(hex) / 2;

	ck_assert_uint_le(n, sizeof(b));
	ck_assert_int_eq(kr_hex_decode(b, n, hex), KR_OK);
	return kr_derw_raw(p, start, b, n);
}

static size_t
craft_tbs(uint8_t **p, uint8_t *start, const struct craft *c)
{
	struct ca	*ca = get_ca(&ca_p256);
	size_t		 len = 0, sub, mark;

	if (c->crl_exts != NULL) {
		mark = len;
		W(hex_raw(p, start, c->crl_exts));
		W(kr_derw_tl(p, start, len - mark, KR_DER_SEQUENCE));
		W(kr_derw_tl(p, start, len - mark, KR_DER_CTX_CONS(0)));
	}
	if (!c->no_list) {
		mark = len;
		if (!c->empty_list) {
			if (c->entry_exts != NULL) {
				sub = len;
				W(hex_raw(p, start, c->entry_exts));
				W(kr_derw_tl(p, start, len - sub,
				    KR_DER_SEQUENCE));
			}
			W(kr_derw_time(p, start, now));
			sub = len;
			W(hex_raw(p, start, c->serial != NULL ? c->serial :
			    "1001"));
			W(kr_derw_tl(p, start, len - sub, KR_DER_INTEGER));
			W(kr_derw_tl(p, start, len - mark, KR_DER_SEQUENCE));
		}
		W(kr_derw_tl(p, start, len - mark, KR_DER_SEQUENCE));
	}
	W(kr_derw_time(p, start, now + DAY));
	W(kr_derw_time(p, start, now));
	W(kr_derw_raw(p, start, ca->subject, ca->subject_len));
	W(hex_raw(p, start, ALG_ECDSA_SHA256));
	if (c->version >= 0)
		W(kr_derw_small_int(p, start, (unsigned)c->version));
	W(kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return len;
}

/* The whole CertificateList, with a dummy signature, into out[4096]. */
static size_t
craft(const struct craft *c, uint8_t *out)
{
	uint8_t	buf[4096], *p = buf + sizeof(buf), sig[8];
	size_t	len = 0;

	memset(sig, 0x42, sizeof(sig));
	W(kr_derw_bitstring(&p, buf, sig, sizeof(sig), 0));
	W(hex_raw(&p, buf, c->other_outer ? ALG_RSA_SHA256 : ALG_ECDSA_SHA256));
	len += craft_tbs(&p, buf, c);
	W(kr_derw_tl(&p, buf, len, KR_DER_SEQUENCE));
	memcpy(out, p, len);
	return len;
}

static void
crafted_ok(const struct craft *c, size_t entries)
{
	struct kr_crl_info	info;
	struct kr_err		err;
	uint8_t			der[4096];
	size_t			len = craft(c, der);

	ck_assert_msg(parse(der, len, &info, NULL, &err) == KR_OK, "%s",
	    err.msg);
	ck_assert_uint_eq(info.entries, entries);
}

static void
crafted_refused(const struct craft *c, const char *msg)
{
	struct kr_crl_info	info;
	struct kr_err		err;
	struct got		g;
	uint8_t			der[4096];
	size_t			len = craft(c, der);

	ck_assert_msg(parse(der, len, &info, &g, &err) == KR_EINPUT,
	    "parsed although \"%s\" was expected", msg);
	tl_assert_has(err.msg, "test.crl: not a CRL keyrite accepts: ",
	    "prefix");
	tl_assert_has(err.msg, msg, "parse refusal");
	ck_assert_uint_eq(g.n, 0);	/* nothing streamed before the end */
	ck_assert_uint_eq(info.entries, 0);
}

START_TEST(test_crl_parse_versions)
{
	struct craft	c = { 1, NULL, EXT_REASON, EXT_NUMBER, false, false,
			    false };

	crafted_ok(&c, 1);
	c.no_list = true;
	crafted_ok(&c, 0);
	/* v1: no version, no extensions anywhere */
	c = (struct craft){ -1, NULL, NULL, NULL, false, false, false };
	crafted_ok(&c, 1);
	c.crl_exts = EXT_NUMBER;
	crafted_refused(&c, "CRL extensions in a version 1 CRL");
	c.crl_exts = NULL;
	c.entry_exts = EXT_REASON;
	crafted_refused(&c, "entry extensions in a version 1 CRL");
	c = (struct craft){ 0, NULL, NULL, NULL, false, false, false };
	crafted_refused(&c, "version is not v2");
	c.version = 2;
	crafted_refused(&c, "version is not v2");
}
END_TEST

START_TEST(test_crl_parse_extensions)
{
	struct craft	c = { 1, NULL, EXT_REASON, NULL, false, false,
			    false };

	/* unknown critical CRL extension 1.2.3.4.5 (NULL value) */
	c.crl_exts = EXT_NUMBER "300d06042a0304050101ff04020500";
	crafted_refused(&c, "critical extension 1.2.3.4.5 is not one keyrite "
	    "knows");
	/* the same, not critical: ignored */
	c.crl_exts = EXT_NUMBER "300a06042a03040504020500";
	crafted_ok(&c, 1);
	/* unknown critical entry extension */
	c.crl_exts = EXT_NUMBER;
	c.entry_exts = EXT_REASON "300d06042a0304050101ff04020500";
	crafted_refused(&c, "revoked entry 1: the critical extension "
	    "1.2.3.4.5");
	/* certificateIssuer (indirect CRL) */
	c.entry_exts = "300f0603551d1d0101ff04053003820161";
	crafted_refused(&c, "certificateIssuer");
	/* reasonCode 7, reasonCode as INTEGER, invalidityDate as UTCTime */
	c.entry_exts = "300a0603551d1504030a0107";
	crafted_refused(&c, "reasonCode or invalidityDate");
	c.entry_exts = "300a0603551d150403020101";
	crafted_refused(&c, "reasonCode or invalidityDate");
	c.entry_exts = "30160603551d18040f170d3236303130313030303030305a";
	crafted_refused(&c, "reasonCode or invalidityDate");
	c.entry_exts = "30180603551d180411180f32303236303130313030303030305a";
	crafted_ok(&c, 1);
	/* critical FALSE written out is not DER */
	c.entry_exts = EXT_REASON;
	c.crl_exts = "300d0603551d140101000403020101";
	crafted_refused(&c, "a CRL extension is malformed");
	/* twice the same */
	c.crl_exts = EXT_NUMBER EXT_NUMBER;
	crafted_refused(&c, "appears twice");
	c.crl_exts = EXT_NUMBER;
	c.entry_exts = EXT_REASON EXT_REASON;
	crafted_refused(&c, "appears twice");
	/* IDP: both scopes; indirectCRL; empty */
	c.entry_exts = NULL;
	c.crl_exts = EXT_NUMBER "30120603551d1c0101ff040830068101ff8201ff";
	crafted_refused(&c, "issuingDistributionPoint extension is malformed");
	c.crl_exts = EXT_NUMBER "300f0603551d1c0101ff040530038401ff";
	crafted_refused(&c, "issuingDistributionPoint");
	c.crl_exts = EXT_NUMBER "300c0603551d1c0101ff04023000";
	crafted_refused(&c, "issuingDistributionPoint");
	c.crl_exts = EXT_NUMBER "300f0603551d1c0101ff040530038201ff";
	crafted_ok(&c, 1);
	/* cRLNumber negative; deltaCRLIndicator not an INTEGER */
	c.crl_exts = "300a0603551d140403020180";
	crafted_refused(&c, "cRLNumber");
	c.crl_exts = EXT_NUMBER "300d0603551d1b0101ff0403040101";
	crafted_refused(&c, "deltaCRLIndicator");
	/* keyIdentifier longer than 20 bytes */
	c.crl_exts = "30200603551d2304193017801501020304050607"
	    "08090a0b0c0d0e0f101112131415";
	crafted_refused(&c, "authorityKeyIdentifier");
}
END_TEST

START_TEST(test_crl_parse_structure)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct craft		 c = { 1, NULL, NULL, EXT_NUMBER, false, false,
				    false };
	struct kr_crl_fields	 f;
	struct kr_crl_entry	 e[3];
	struct kr_crl_info	 info;
	struct kr_err		 err;
	uint8_t			*crl, *big, *der = NULL, small[16];
	size_t			 len, i;

	/* serials: negative, zero, not minimal, 21 octets */
	c.serial = "80";
	crafted_refused(&c, "revoked entry 1: the serial number");
	c.serial = "00";
	crafted_refused(&c, "revoked entry 1: the serial number");
	c.serial = "0001";
	crafted_refused(&c, "revoked entry 1: the serial number");
	c.serial = "0102030405060708090a0b0c0d0e0f101112131415";
	crafted_refused(&c, "revoked entry 1: the serial number");
	c.serial = "00ff";
	crafted_ok(&c, 1);
	c.serial = NULL;
	c.empty_list = true;
	crafted_refused(&c, "revokedCertificates is malformed or empty");
	c.empty_list = false;
	c.other_outer = true;
	crafted_refused(&c, "signatureAlgorithm differs");

	three_entries(e);
	crl_fields(&f, ca, 1);
	crl = sign_list(&f, ca->signer, e, 3, &len);
	ck_assert_ptr_nonnull(big = malloc(len + 1));
	memcpy(big, crl, len);
	big[len] = 0x00;
	ck_assert_int_eq(parse(big, len + 1, &info, NULL, &err), KR_EINPUT);
	tl_assert_has(err.msg, "1 bytes of trailing data", "trailing");
	/* every truncation is refused, with a message */
	for (i = 0; i < len; i++) {
		ck_assert_msg(parse(crl, i, &info, NULL, &err) == KR_EINPUT,
		    "truncated at %zu parsed", i);
		ck_assert_msg(strlen(err.msg) > 30, "no message at %zu", i);
	}
	/* PEM with another label */
	free(big);
	big = (uint8_t *)kr_pem_encode("CERTIFICATE", crl, len);
	ck_assert_int_eq(kr_crl_parse("x.pem", big, strlen((char *)big),
	    &info, &der, NULL, NULL, &err), KR_EINPUT);
	tl_assert_has(err.msg, "no block labelled X509 CRL", "PEM label");
	ck_assert_ptr_null(der);
	/* the size limit is checked before anything is read */
	memset(small, 0x30, sizeof(small));
	ck_assert_int_eq(kr_crl_parse("huge", small, KR_CRL_FILE_MAX + 1,
	    &info, NULL, NULL, NULL, &err), KR_EINPUT);
	tl_assert_has(err.msg, "more than the", "size limit");
	free(big);
	free(crl);
}
END_TEST

/* A callback's non-zero return stops the walk and is returned. */
static int
stop_at_two(const struct kr_crl_entry *e, void *ctx)
{
	size_t	*n = ctx;

	(void)e;
	return ++*n == 2 ? 42 : 0;
}

START_TEST(test_crl_parse_callback_stop)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_crl_fields	 f;
	struct kr_crl_entry	 e[3];
	struct kr_crl_info	 info;
	struct kr_err		 err;
	uint8_t			*crl;
	size_t			 len, n = 0;

	three_entries(e);
	crl_fields(&f, ca, 1);
	crl = sign_list(&f, ca->signer, e, 3, &len);
	kr_err_clear(&err);
	ck_assert_int_eq(kr_crl_parse("cb", crl, len, &info, NULL,
	    stop_at_two, &n, &err), 42);
	ck_assert_uint_eq(n, 2);
	tl_assert_has(err.msg, "stopped by the caller at revoked entry 2",
	    "callback stop");
	free(crl);
}
END_TEST

/* --- CRLs and index.txt made by `openssl ca` ---------------------------- */

/* Keeps the end of oca.log for the failure message (the folder goes). */
static void
oca_log_tail(int st)
{
	char	*log = tl_read_maybe("oca/oca.log", NULL);
	size_t	 n = log != NULL ? strlen(log) : 0;

	snprintf(oca_log, sizeof(oca_log), "exit %d: %s", st,
	    log == NULL ? "no log" : log + (n > 3000 ? n - 3000 : 0));
	free(log);
}

/*
 * A tiny `openssl ca` in the work folder's oca/: seven certificates
 * (serials 1000 to 1006), six revoked in the ways OpenSSL records, one
 * valid; a CRL with authorityKeyIdentifier, one with an unknown critical
 * extension, and a v1 CRL from an empty database.  Runs once, in main().
 */
static void
oca_setup(void)
{
	static const char	cnf[] =
	    "[ ca ]\ndefault_ca = CA_default\n"
	    "[ CA_default ]\ndir = .\ndatabase = $dir/index.txt\n"
	    "new_certs_dir = $dir/newcerts\nserial = $dir/serial\n"
	    "crlnumber = $dir/crlnumber\ncertificate = $dir/ca.pem\n"
	    "private_key = $dir/ca.key\ndefault_md = sha256\n"
	    "default_days = 10\ndefault_crl_days = 7\npolicy = pol\n"
	    "unique_subject = no\n"
	    "[ pol ]\ncommonName = supplied\norganizationName = optional\n"
	    "[ crl_ext ]\nauthorityKeyIdentifier = keyid:always\n"
	    "[ crl_bad ]\n1.2.3.4.5 = critical,ASN1:NULL\n";
	int	st;

	if (mkdir(tl_path("oca"), 0700) != 0 ||
	    tl_save("oca/ca.cnf", cnf, sizeof(cnf) - 1) != 0)
		return;
	st = tl_sh("(cd oca && mkdir newcerts && : > index.txt && : > empty.txt "
	    "&& echo 01 > crlnumber && echo 1000 > serial && "
	    "sed -e 's/index.txt/empty.txt/' -e '/^crlnumber/d' ca.cnf "
	    "> ca1.cnf && O='%s' && "
	    "$O ecparam -name prime256v1 -genkey -noout -out ca.key && "
	    "$O req -new -x509 -key ca.key -subj '/CN=OpenSSL Test CA/O=Ex' "
	    "-days 30 -out ca.pem && "
	    "$O pkey -in ca.key -pubout -outform DER -out ca.spki && "
	    "$O ecparam -name prime256v1 -genkey -noout -out leaf.key && "
	    "for i in 0 1 2 3 4 5 6; do $O req -new -key leaf.key "
	    "-subj /CN=leaf$i/O=Ex -out l$i.csr && $O ca -config ca.cnf "
	    "-batch -notext -in l$i.csr -out l$i.pem || exit 1; done && "
	    "$O ca -config ca.cnf -revoke l0.pem -crl_reason keyCompromise && "
	    "$O ca -config ca.cnf -revoke l1.pem "
	    "-crl_compromise 20260101000000Z && "
	    "$O ca -config ca.cnf -revoke l2.pem "
	    "-crl_CA_compromise 20250601120000Z && "
	    "$O ca -config ca.cnf -revoke l3.pem "
	    "-crl_hold holdInstructionReject && "
	    "$O ca -config ca.cnf -revoke l5.pem -crl_reason superseded && "
	    "$O ca -config ca.cnf -revoke l6.pem -crl_reason unspecified && "
	    "$O ca -config ca.cnf -gencrl -crlexts crl_ext -out crl.pem && "
	    "$O ca -config ca.cnf -gencrl -crlexts crl_bad -out bad.pem && "
	    "$O ca -config ca1.cnf -gencrl -out v1.pem) > oca/oca.log 2>&1",
	    openssl);
	oca_ok = st == 0;
	if (!oca_ok)
		oca_log_tail(st);
}

static uint8_t *
oca_read(const char *name, size_t *len)
{
	char	path[64];
	uint8_t	*b;

	ck_assert_msg(oca_ok, "openssl ca setup failed: %s", oca_log);
	snprintf(path, sizeof(path), "oca/%s", name);
	b = (uint8_t *)tl_read_maybe(path, len);
	ck_assert_msg(b != NULL, "cannot read %s", path);
	return b;
}

/* What `openssl ca` recorded for serial 1000 + i. */
static const struct {
	char		status;
	enum kr_reason	reason;		/* in index.txt terms */
	const char	*invalidity;	/* YYYYMMDDHHMMSS or NULL */
} oca_want[7] = {
	{ 'R', KR_REASON_KEY_COMPROMISE, NULL },
	{ 'R', KR_REASON_KEY_COMPROMISE, "20260101000000" },
	{ 'R', KR_REASON_CA_COMPROMISE, "20250601120000" },
	{ 'R', KR_REASON_CERTIFICATE_HOLD, NULL },
	{ 'V', KR_REASON_NONE, NULL },
	{ 'R', KR_REASON_SUPERSEDED, NULL },
	{ 'R', KR_REASON_NONE, NULL },
};

static int64_t
gt(const char *s)
{
	struct kr_tm	tm;
	int64_t		t;

	ck_assert_int_eq(sscanf(s, "%4d%2d%2d%2d%2d%2d", &tm.year, &tm.mon,
	    &tm.day, &tm.hour, &tm.min, &tm.sec), 6);
	ck_assert_int_eq(kr_tm_to_time(&tm, &t), KR_OK);
	return t;
}

START_TEST(test_openssl_ca_crl)
{
	struct kr_crl_info	 info;
	struct kr_err		 err;
	struct got		 g;
	uint8_t			*pem, *der = NULL, *spki;
	size_t			 len, spki_len, i, j;
	int64_t			 t;

	pem = oca_read("crl.pem", &len);
	spki = oca_read("ca.spki", &spki_len);
	kr_err_clear(&err);
	g.n = 0;
	ck_assert_msg(kr_crl_parse("crl.pem", pem, len, &info, &der, collect,
	    &g, &err) == KR_OK, "%s", err.msg);
	ck_assert_int_eq(kr_crl_verify_signature(&info, spki, spki_len, &err),
	    KR_OK);
	ck_assert_int_eq(info.sig_alg, KR_SIG_ECDSA_P256_SHA256);
	ck_assert(info.has_aki && info.aki_len == KR_KEYID_BYTES);
	ck_assert_uint_eq(info.aki_len, KR_KEYID_BYTES);
	ck_assert(info.has_number && info.number_len == 1 &&
	    info.number[0] == 1);
	ck_assert(!info.is_delta && !info.has_idp);
	ck_assert_uint_eq(info.entries, 6);
	ck_assert_uint_eq(g.n, 6);
	for (i = 0, j = 0; i < 7; i++) {
		if (oca_want[i].status != 'R')
			continue;
		ck_assert_uint_eq(g.e[j].serial_len, 2);
		ck_assert_uint_eq(g.e[j].serial[0], 0x10);
		ck_assert_uint_eq(g.e[j].serial[1], i);
		/* OpenSSL writes "unspecified" as reasonCode 0 */
		ck_assert_int_eq(g.e[j].reason, i == 6 ?
		    KR_REASON_UNSPECIFIED : oca_want[i].reason);
		t = oca_want[i].invalidity != NULL ?
		    gt(oca_want[i].invalidity) : 0;
		ck_assert_int_eq(g.e[j].invalidity, t);
		ck_assert_int_le(llabs(g.e[j].revoked_at - kr_time_now()),
		    3600);
		j++;
	}
	free(der);
	free(pem);
	free(spki);
}
END_TEST

START_TEST(test_openssl_ca_crl_refusals)
{
	struct kr_crl_info	 info;
	struct kr_err		 err;
	uint8_t			*pem, *der = NULL;
	size_t			 len;

	pem = oca_read("bad.pem", &len);
	kr_err_clear(&err);
	ck_assert_int_eq(kr_crl_parse("bad.pem", pem, len, &info, &der, NULL,
	    NULL, &err), KR_EINPUT);
	tl_assert_has(err.msg, "critical extension 1.2.3.4.5", "openssl bad");
	ck_assert_ptr_null(der);
	free(pem);
	/* a v1 CRL (empty database, no extensions) is read */
	pem = oca_read("v1.pem", &len);
	ck_assert_msg(kr_crl_parse("v1.pem", pem, len, &info, &der, NULL,
	    NULL, &err) == KR_OK, "%s", err.msg);
	ck_assert_uint_eq(info.tbs.p[info.tbs.len > 127 ? 3 : 2], 0x30);
	ck_assert(!info.has_number && !info.has_aki);
	ck_assert_uint_eq(info.entries, 0);
	free(der);
	free(pem);
}
END_TEST

/* --- index.txt ------------------------------------------------------------ */

struct igot {
	struct kr_index_entry	e[16];
	size_t			n;
};

static int
icollect(const struct kr_index_entry *e, void *ctx)
{
	struct igot	*g = ctx;

	if (g->n == 16)
		return KR_EINTERNAL;
	g->e[g->n++] = *e;
	return 0;
}

static int
icount(const struct kr_index_entry *e, void *ctx)
{
	size_t	*n = ctx;

	(void)e;
	++*n;
	return 0;
}

START_TEST(test_openssl_ca_index)
{
	struct igot		*g = calloc(1, sizeof(*g));
	struct kr_err		 err;
	struct kr_index_entry	*e;
	uint8_t			*txt;
	size_t			 len, i;
	char			 cn[32];

	ck_assert_ptr_nonnull(g);
	txt = oca_read("index.txt", &len);
	free(txt);
	kr_err_clear(&err);
	ck_assert_msg(kr_index_read(tl_path("oca/index.txt"), icollect, g,
	    &err) == KR_OK, "%s", err.msg);
	ck_assert_uint_eq(g->n, 7);
	for (i = 0; i < 7; i++) {
		e = &g->e[i];
		ck_assert_uint_eq(e->line, i + 1);
		ck_assert_int_eq(e->status, oca_want[i].status);
		ck_assert_uint_eq(e->serial_len, 2);
		ck_assert_uint_eq(e->serial[0], 0x10);
		ck_assert_uint_eq(e->serial[1], i);
		ck_assert_int_gt(e->expires, kr_time_now() + 9 * DAY);
		ck_assert_int_eq(e->reason, oca_want[i].reason);
		ck_assert_int_eq(e->invalidity, oca_want[i].invalidity !=
		    NULL ? gt(oca_want[i].invalidity) : 0);
		if (e->status == 'R')
			ck_assert_int_le(llabs(e->revoked_at - kr_time_now()),
			    3600);
		else
			ck_assert_int_eq(e->revoked_at, 0);
		snprintf(cn, sizeof(cn), "/CN=leaf%zu", i);
		ck_assert_msg(strncmp(e->subject, cn, strlen(cn)) == 0,
		    "subject %s", e->subject);
	}
	free(g);
}
END_TEST

#define EXP	"271231235959Z"
#define REV	"261123184452Z"

static void
index_refused(const char *bad, size_t badlen, const char *msg)
{
	static const char	good1[] = "V\t" EXP "\t\t01\tunknown\t/CN=a\n"
				    "# a comment\n";
	static const char	good2[] = "\nV\t" EXP "\t\t02\tunknown\t"
				    "/CN=b\n";
	struct kr_err		err;
	FILE			*f = fopen(tl_path("bad.txt"), "wb");
	size_t			n = 0;

	ck_assert_ptr_nonnull(f);
	fwrite(good1, 1, sizeof(good1) - 1, f);
	fwrite(bad, 1, badlen, f);
	fwrite(good2, 1, sizeof(good2) - 1, f);
	ck_assert_int_eq(fclose(f), 0);
	kr_err_clear(&err);
	ck_assert_msg(kr_index_read(tl_path("bad.txt"), icount, &n, &err) ==
	    KR_EINPUT, "read although \"%s\" was expected", msg);
	tl_assert_has(err.msg, "bad.txt, line 3: ", "index refusal");
	tl_assert_has(err.msg, msg, "index refusal");
	ck_assert_uint_eq(n, 1);	/* line 1 only; nothing after line 3 */
}

#define IDX_REFUSED(line, msg)	index_refused((line), strlen(line), (msg))

START_TEST(test_index_malformed)
{
	static const char	nul[] = "V\t" EXP "\t\t03\tunk\0own\t/CN=x";
	char			long_line[9001];

	IDX_REFUSED("V\t" EXP "\t\t03\tunknown", "5 tab-separated fields");
	IDX_REFUSED("V\t" EXP "\t\t03\tunknown\t/CN=x\tmore",
	    "more than 6 tab-separated fields");
	IDX_REFUSED("X\t" EXP "\t\t03\tunknown\t/CN=x", "status \"X\"");
	IDX_REFUSED("VV\t" EXP "\t\t03\tunknown\t/CN=x", "status \"VV\"");
	IDX_REFUSED("V\t" EXP "\t" REV "\t03\tunknown\t/CN=x",
	    "status V but a revocation field");
	IDX_REFUSED("E\t" EXP "\t" REV "\t03\tunknown\t/CN=x",
	    "status E but a revocation field");
	IDX_REFUSED("R\t" EXP "\t\t03\tunknown\t/CN=x",
	    "status R but no revocation time");
	IDX_REFUSED("V\t2712312359Z\t\t03\tunknown\t/CN=x", "the expiry");
	IDX_REFUSED("V\t271331235959Z\t\t03\tunknown\t/CN=x", "the expiry");
	IDX_REFUSED("R\t" EXP "\t26112318445Z,keyCompromise\t03\tunknown\t"
	    "/CN=x", "the revocation time");
	IDX_REFUSED("R\t" EXP "\t" REV ",keyCompromized\t03\tunknown\t/CN=x",
	    "unknown revocation reason \"keyCompromized\"");
	IDX_REFUSED("R\t" EXP "\t" REV ",\t03\tunknown\t/CN=x",
	    "reason after the comma is empty");
	IDX_REFUSED("R\t" EXP "\t" REV ",keyTime\t03\tunknown\t/CN=x",
	    "needs a third part");
	IDX_REFUSED("R\t" EXP "\t" REV ",holdInstruction\t03\tunknown\t/CN=x",
	    "needs a third part");
	IDX_REFUSED("R\t" EXP "\t" REV ",keyTime,2026\t03\tunknown\t/CN=x",
	    "the compromise time");
	IDX_REFUSED("R\t" EXP "\t" REV ",superseded,20260101000000Z\t03\t"
	    "unknown\t/CN=x", "takes no third part");
	IDX_REFUSED("R\t" EXP "\t" REV ",keyTime,20260101000000Z,x\t03\t"
	    "unknown\t/CN=x", "more than three");
	IDX_REFUSED("V\t" EXP "\t\tABC\tunknown\t/CN=x", "even number");
	IDX_REFUSED("V\t" EXP "\t\tXY\tunknown\t/CN=x", "not hexadecimal");
	IDX_REFUSED("V\t" EXP "\t\t\tunknown\t/CN=x", "serial number field "
	    "is empty");
	IDX_REFUSED("V\t" EXP "\t\t0000\tunknown\t/CN=x", "zero");
	IDX_REFUSED("V\t" EXP "\t\t8000000000000000000000000000000000000000"
	    "\tunknown\t/CN=x", "longer than the 20 octets");
	IDX_REFUSED("", "the line is empty");
	index_refused(nul, sizeof(nul) - 1, "NUL byte");
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	IDX_REFUSED(long_line, "longer than 8192 bytes");
}
END_TEST

static int
stop_second(const struct kr_index_entry *e, void *ctx)
{
	(void)ctx;
	return e->line == 3 ? 7 : 0;
}

START_TEST(test_index_forms)
{
	static const char	txt[] =
	    "# exported from an old CA\r\n"
	    "V\t" EXP "\t\t00FF\tunknown\t/CN=a\r\n"
	    "E\t20510101000000Z\t\t0001\tunknown\t/CN=b/O=Ex\n"
	    "R\t" EXP "\t" REV "\t7f\tunknown\t/CN=c\n"
	    "R\t" EXP "\t" REV ",CACompromise\t80\tcert.pem\t\n"
	    "R\t" EXP "\t" REV ",removeFromCRL\t0a\tunknown\t/CN=e";
	struct igot	*g = calloc(1, sizeof(*g));
	struct kr_err	 err;
	size_t		 n = 0;
	int64_t		 exp2051;

	ck_assert_ptr_nonnull(g);
	tl_write("forms.txt", txt, sizeof(txt) - 1);
	kr_err_clear(&err);
	ck_assert_msg(kr_index_read(tl_path("forms.txt"), icollect, g,
	    &err) == KR_OK, "%s", err.msg);
	ck_assert_uint_eq(g->n, 5);
	ck_assert_uint_eq(g->e[0].line, 2);
	ck_assert_str_eq(g->e[0].subject, "/CN=a");
	ck_assert_uint_eq(g->e[0].serial_len, 2);
	ck_assert_mem_eq(g->e[0].serial, "\x00\xff", 2);
	ck_assert_int_eq(g->e[1].status, 'E');
	exp2051 = gt("20510101000000");
	ck_assert_int_eq(g->e[1].expires, exp2051);
	ck_assert_uint_eq(g->e[1].serial_len, 1);
	ck_assert_uint_eq(g->e[1].serial[0], 1);
	ck_assert_int_eq(g->e[2].reason, KR_REASON_NONE);
	ck_assert_int_eq(g->e[2].revoked_at, gt("20261123184452"));
	ck_assert_uint_eq(g->e[2].serial[0], 0x7f);
	ck_assert_int_eq(g->e[3].reason, KR_REASON_CA_COMPROMISE);
	ck_assert_mem_eq(g->e[3].serial, "\x00\x80", 2);
	ck_assert_str_eq(g->e[3].subject, "");
	ck_assert_int_eq(g->e[4].reason, KR_REASON_REMOVE_FROM_CRL);
	ck_assert_uint_eq(g->e[4].line, 6);
	ck_assert_str_eq(g->e[4].subject, "/CN=e");
	/* the callback stops the read */
	ck_assert_int_eq(kr_index_read(tl_path("forms.txt"), stop_second,
	    NULL, &err), 7);
	tl_assert_has(err.msg, "forms.txt, line 3: reading stopped", "stop");
	/* missing file, a folder, a symlink */
	ck_assert_int_eq(kr_index_read(tl_path("nope.txt"), icount, &n,
	    &err), KR_ENOENT);
	tl_assert_has(err.msg, "nope.txt", "missing");
	ck_assert_int_eq(kr_index_read(tl_work(), icount, &n, &err), KR_EINPUT);
	tl_assert_has(err.msg, "not a regular file", "folder");
	ck_assert_int_eq(symlink("forms.txt", tl_path("link.txt")), 0);
	ck_assert_int_ne(kr_index_read(tl_path("link.txt"), icount, &n,
	    &err), KR_OK);
	ck_assert_uint_eq(n, 0);
	free(g);
}
END_TEST

struct last {
	size_t		n;
	uint8_t		serial[KR_SERIAL_MAX];
	size_t		serial_len;
};

static int
ilast(const struct kr_index_entry *e, void *ctx)
{
	struct last	*l = ctx;

	l->n++;
	memcpy(l->serial, e->serial, e->serial_len);
	l->serial_len = e->serial_len;
	return 0;
}

/* 1,000,000 lines stream through; the time is printed, not asserted. */
START_TEST(test_index_million)
{
	struct kr_err	 err;
	struct last	 l = { 0, { 0 }, 0 };
	FILE		*f = fopen(tl_path("million.txt"), "w");
	double		 t0;
	unsigned	 i;

	ck_assert_ptr_nonnull(f);
	for (i = 1; i <= 1000000; i++)
		fprintf(f, "R\t" EXP "\t" REV "%s\t%08X\tunknown\t"
		    "/CN=device %u/O=Example\n", i % 2 ? ",keyCompromise" : "",
		    i, i);
	ck_assert_int_eq(fclose(f), 0);
	kr_err_clear(&err);
	t0 = tl_seconds();
	ck_assert_msg(kr_index_read(tl_path("million.txt"), ilast, &l,
	    &err) == KR_OK, "%s", err.msg);
	printf("index.txt: 1000000 lines streamed in %.3f s\n",
	    tl_seconds() - t0);
	ck_assert_uint_eq(l.n, 1000000);
	ck_assert_uint_eq(l.serial_len, 3);
	ck_assert_mem_eq(l.serial, "\x0f\x42\x40", 3);
	unlink(tl_path("million.txt"));
}
END_TEST

/* --- a million CRL entries ---------------------------------------------- */

/* Serials like keyrite's: 16 bytes, positive; reasons and dates vary. */
struct gen {
	size_t		i;
	size_t		n;
	uint64_t	x;
};

static int
gen_next(void *ctx, struct kr_crl_entry *e, struct kr_err *err)
{
	struct gen	*g = ctx;
	size_t		 k;

	(void)err;
	if (g->i == g->n)
		return 0;
	g->i++;
	for (k = 0; k < 16; k += 8) {
		g->x ^= g->x << 13;
		g->x ^= g->x >> 7;
		g->x ^= g->x << 17;
		memcpy(e->serial + k, &g->x, 8);
	}
	e->serial[0] = (uint8_t)(0x01 + (e->serial[0] & 0x3f));
	e->serial_len = 16;
	e->revoked_at = now - (int64_t)g->i;
	e->reason = g->i % 3 == 0 ? KR_REASON_KEY_COMPROMISE :
	    g->i % 3 == 1 ? KR_REASON_NONE : KR_REASON_SUPERSEDED;
	e->invalidity = g->i % 10 == 0 ? now - 30 * DAY : 0;
	return 1;
}

static int
count_entries(const struct kr_crl_entry *e, void *ctx)
{
	size_t	*n = ctx;

	if (e->serial_len != 16)
		return KR_EINTERNAL;
	++*n;
	return 0;
}

START_TEST(test_crl_million)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_crl_fields	 f;
	struct kr_crl_builder	 b;
	struct kr_crl_info	 info;
	struct kr_slice		 out;
	struct kr_err		 err;
	struct gen		 g = { 0, 1000000, 0x6b72636c5deece66ULL };
	uint8_t			 sig[KR_SIG_MAX_BYTES];
	size_t			 siglen, n = 0;
	double			 t0, t_build, t_sign, t_parse, t_verify;

	crl_fields(&f, ca, 1);
	kr_err_clear(&err);
	t0 = tl_seconds();
	ck_assert_msg(kr_crl_tbs_build(&f, gen_next, &g, &b, &err) == KR_OK,
	    "%s", err.msg);
	t_build = tl_seconds() - t0;
	ck_assert_uint_eq(b.entries, 1000000);
	t0 = tl_seconds();
	ck_assert_msg(kr_signer_sign(ca->signer, f.sig_alg, b.tbs.p,
	    b.tbs.len, sig, &siglen, &err) == KR_OK, "%s", err.msg);
	ck_assert_int_eq(kr_crl_finish(&b, f.sig_alg, sig, siglen, &out,
	    &err), KR_OK);
	t_sign = tl_seconds() - t0;
	t0 = tl_seconds();
	ck_assert_msg(kr_crl_parse("million", out.p, out.len, &info, NULL,
	    count_entries, &n, &err) == KR_OK, "%s", err.msg);
	t_parse = tl_seconds() - t0;
	t0 = tl_seconds();
	ck_assert_int_eq(kr_crl_verify_signature(&info, ca->signer->spki,
	    ca->signer->spki_len, &err), KR_OK);
	t_verify = tl_seconds() - t0;
	ck_assert_uint_eq(info.entries, 1000000);
	ck_assert_uint_eq(n, 1000000);
	printf("CRL: 1000000 entries, %zu bytes (buffer %zu): built in "
	    "%.3f s, hashed+signed+finished in %.3f s, parsed in %.3f s, "
	    "verified in %.3f s\n", out.len, b.cap, t_build, t_sign, t_parse,
	    t_verify);
	kr_crl_builder_free(&b);
}
END_TEST

/* --- OCSP ----------------------------------------------------------------- */

static void
ocsp_fields(struct kr_ocsp_fields *f, const struct ca *ca,
    const uint8_t *serial, size_t serial_len, enum kr_ocsp_status st)
{
	struct kr_cert	*c = NULL;
	struct kr_err	 err;

	memset(f, 0, sizeof(*f));
	kr_err_clear(&err);
	ck_assert_msg(kr_cert_parse("ca", ca->der, ca->der_len, &c, &err) ==
	    KR_OK, "%s", err.msg);
	ck_assert_msg(kr_ocsp_certid(c, f, &err) == KR_OK, "%s", err.msg);
	kr_cert_free(&c);
	f->sig_alg = ca->alg;
	memcpy(f->responder_key_hash, f->issuer_key_hash, 20);
	f->produced_at = now;
	f->this_update = now - 60;
	f->next_update = now + 7 * DAY;
	memcpy(f->serial, serial, serial_len);
	f->serial_len = serial_len;
	f->status = st;
	f->revoked_at = now - 3600;
	f->reason = st == KR_OCSP_REVOKED ? KR_REASON_KEY_COMPROMISE :
	    KR_REASON_NONE;
}

static uint8_t *
ocsp_response(const struct kr_ocsp_fields *f, struct kr_signer *s,
    const uint8_t *cert, size_t certlen, size_t *len, uint8_t **tbs_out,
    size_t *tbs_len)
{
	struct kr_err	 err;
	uint8_t		*tbs, *resp, sig[KR_SIG_MAX_BYTES];
	size_t		 tbslen, siglen;

	kr_err_clear(&err);
	ck_assert_msg(kr_ocsp_tbs_build(f, &tbs, &tbslen, &err) == KR_OK,
	    "%s", err.msg);
	ck_assert_msg(kr_signer_sign(s, f->sig_alg, tbs, tbslen, sig, &siglen,
	    &err) == KR_OK, "%s", err.msg);
	ck_assert_msg(kr_ocsp_assemble(tbs, tbslen, f->sig_alg, sig, siglen,
	    cert, certlen, &resp, len, &err) == KR_OK, "%s", err.msg);
	if (tbs_out != NULL) {
		*tbs_out = tbs;
		*tbs_len = tbslen;
	} else
		free(tbs);
	return resp;
}

static char *
ocsp_run(const char *resp, const char *what)
{
	tl_sh("'%s' ocsp -respin %s -issuer %s -CAfile %s -resp_text %s "
	    "> o.txt 2>&1", openssl, resp, ca_p256.pem, ca_p256.pem, what);
	return tl_read_maybe("o.txt", NULL);
}

static void
hex_upper(const uint8_t *p, size_t len, char *out)
{
	size_t	i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02X", p[i]);
}

START_TEST(test_ocsp_openssl)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_ocsp_fields	 f;
	uint8_t			*resp;
	size_t			 len;
	char			*out, hex[41];

	make_leaves();
	/* revoked, with the CA certificate in certs */
	ocsp_fields(&f, ca, leaf1_serial, 2, KR_OCSP_REVOKED);
	resp = ocsp_response(&f, ca->signer, ca->der, ca->der_len, &len, NULL,
	    NULL);
	tl_write("r1.der", resp, len);
	out = ocsp_run("r1.der", "-serial 0x1001");
	tl_assert_has(out, "Response verify OK", "ocsp revoked");
	tl_assert_has(out, "0x1001: revoked", "ocsp revoked");
	tl_assert_has(out, "Reason: keyCompromise", "ocsp revoked");
	tl_assert_has(out, "Cert Status: revoked", "ocsp revoked");
	free(out);
	out = ocsp_run("r1.der", "-cert leaf1.pem");
	tl_assert_has(out, "leaf1.pem: revoked", "ocsp -cert");
	free(out);
	/* a byte of the signature altered */
	resp[len - ca->der_len - 10] ^= 0x01;
	tl_write("r1bad.der", resp, len);
	out = ocsp_run("r1bad.der", "-serial 0x1001");
	tl_assert_lacks(out, "Response verify OK", "ocsp altered");
	free(out);
	free(resp);

	/* good, without certs: found through -issuer */
	ocsp_fields(&f, ca, leaf2_serial, 2, KR_OCSP_GOOD);
	resp = ocsp_response(&f, ca->signer, NULL, 0, &len, NULL, NULL);
	tl_write("r2.der", resp, len);
	out = ocsp_run("r2.der", "-serial 0x1002");
	tl_assert_has(out, "Response verify OK", "ocsp good");
	tl_assert_has(out, "0x1002: good", "ocsp good");
	free(out);
	out = ocsp_run("r2.der", "-cert leaf2.pem");
	tl_assert_has(out, "leaf2.pem: good", "ocsp good -cert");
	free(out);
	out = ocsp_run("r2.der", "-serial 0x1003");
	tl_assert_has(out, "No Status found", "ocsp other serial");
	free(out);
	free(resp);

	/* the CertID hashes are the ones openssl asks with */
	ck_assert_int_eq(tl_sh("'%s' ocsp -issuer %s -cert leaf1.pem -no_nonce "
	    "-req_text -reqout req.der > q.txt 2>&1", openssl, ca->pem), 0);
	out = tl_read_maybe("q.txt", NULL);
	hex_upper(f.issuer_name_hash, 20, hex);
	tl_assert_has(out, hex, "issuer name hash");
	hex_upper(f.issuer_key_hash, 20, hex);
	tl_assert_has(out, hex, "issuer key hash");
	free(out);
}
END_TEST

/* ResponseData and OCSPResponse, element by element. */
START_TEST(test_ocsp_layout)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_ocsp_fields	 f;
	struct kr_der		 d, s, r, rb, basic, rd, sr, cid;
	struct kr_slice		 c, whole;
	struct kr_oid		 oid;
	uint8_t			*resp, *tbs;
	size_t			 len, tbslen;
	int			 v;

	ocsp_fields(&f, ca, leaf2_serial, 2, KR_OCSP_GOOD);
	resp = ocsp_response(&f, ca->signer, NULL, 0, &len, &tbs, &tbslen);
	kr_der_init(&d, resp, len);
	ck_assert_int_eq(kr_der_enter(&d, KR_DER_SEQUENCE, &s), KR_OK);
	ck_assert_int_eq(kr_der_done(&d), KR_OK);
	ck_assert_int_eq(kr_der_get_small_int_tag(&s, 0x0a, &v), KR_OK);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(kr_der_enter(&s, KR_DER_CTX_CONS(0), &r), KR_OK);
	ck_assert_int_eq(kr_der_enter(&r, KR_DER_SEQUENCE, &rb), KR_OK);
	ck_assert_int_eq(kr_der_get_oid(&rb, &oid), KR_OK);
	ck_assert(KR_OID_IS(&oid, "\x2b\x06\x01\x05\x05\x07\x30\x01\x01"));
	ck_assert_int_eq(kr_der_get(&rb, KR_DER_OCTET_STRING, &c), KR_OK);
	kr_der_init(&d, c.p, c.len);
	ck_assert_int_eq(kr_der_enter(&d, KR_DER_SEQUENCE, &basic), KR_OK);
	ck_assert_int_eq(kr_der_get_whole(&basic, KR_DER_SEQUENCE, &c,
	    &whole), KR_OK);
	ck_assert_uint_eq(whole.len, tbslen);
	ck_assert_mem_eq(whole.p, tbs, tbslen);
	ck_assert_int_eq(kr_der_get(&basic, KR_DER_SEQUENCE, &c), KR_OK);
	ck_assert(kr_der_peek(&basic, KR_DER_BIT_STRING));
	ck_assert_int_eq(kr_der_get(&basic, KR_DER_BIT_STRING, &c), KR_OK);
	ck_assert(kr_der_at_end(&basic));	/* no certs */

	/* ResponseData: no version, byKey, producedAt, one response */
	kr_der_init(&d, tbs, tbslen);
	ck_assert_int_eq(kr_der_enter(&d, KR_DER_SEQUENCE, &rd), KR_OK);
	ck_assert_int_eq(kr_der_get(&rd, KR_DER_CTX_CONS(2), &c), KR_OK);
	ck_assert_uint_eq(c.len, 22);
	ck_assert_mem_eq(c.p + 2, f.issuer_key_hash, 20);
	ck_assert_int_eq(kr_der_get(&rd, KR_DER_GENERALIZED_TIME, &c), KR_OK);
	ck_assert_uint_eq(c.len, 15);
	ck_assert_int_eq(kr_der_enter(&rd, KR_DER_SEQUENCE, &s), KR_OK);
	ck_assert(kr_der_at_end(&rd));		/* no responseExtensions */
	ck_assert_int_eq(kr_der_enter(&s, KR_DER_SEQUENCE, &sr), KR_OK);
	ck_assert(kr_der_at_end(&s));
	ck_assert_int_eq(kr_der_enter(&sr, KR_DER_SEQUENCE, &cid), KR_OK);
	ck_assert_int_eq(kr_der_get_whole(&cid, KR_DER_SEQUENCE, &c, &whole),
	    KR_OK);
	ck_assert_uint_eq(whole.len, 11);
	ck_assert_mem_eq(whole.p, "\x30\x09\x06\x05\x2b\x0e\x03\x02\x1a\x05"
	    "\x00", 11);
	ck_assert_int_eq(kr_der_get(&sr, KR_DER_CTX(0), &c), KR_OK);
	ck_assert_uint_eq(c.len, 0);		/* good [0] IMPLICIT NULL */
	ck_assert_int_eq(kr_der_get(&sr, KR_DER_GENERALIZED_TIME, &c), KR_OK);
	ck_assert_int_eq(kr_der_get(&sr, KR_DER_CTX_CONS(0), &c), KR_OK);
	ck_assert_uint_eq(c.len, 17);
	ck_assert(kr_der_at_end(&sr));
	free(tbs);
	free(resp);
}
END_TEST

START_TEST(test_ocsp_refusals)
{
	struct ca		*ca = get_ca(&ca_p256);
	struct kr_ocsp_fields	 good, f;
	struct kr_err		 err;
	uint8_t			*out = NULL, *tbs, sig[64];
	size_t			 len, tbslen;

	ocsp_fields(&good, ca, leaf1_serial, 2, KR_OCSP_REVOKED);
	kr_err_clear(&err);
	f = good;
	f.serial[0] = 0x80;
	ck_assert_int_eq(kr_ocsp_tbs_build(&f, &out, &len, &err), KR_EINPUT);
	tl_assert_has(err.msg, "serial number", "ocsp serial");
	f = good;
	f.serial_len = 0;
	ck_assert_int_eq(kr_ocsp_tbs_build(&f, &out, &len, &err), KR_EINPUT);
	f = good;
	f.reason = KR_REASON_REMOVE_FROM_CRL;
	ck_assert_int_eq(kr_ocsp_tbs_build(&f, &out, &len, &err), KR_EINPUT);
	tl_assert_has(err.msg, "reason code 8", "ocsp reason");
	f = good;
	f.next_update = f.this_update;
	ck_assert_int_eq(kr_ocsp_tbs_build(&f, &out, &len, &err), KR_EINPUT);
	tl_assert_has(err.msg, "nextUpdate", "ocsp times");
	f = good;
	f.status = (enum kr_ocsp_status)2;
	ck_assert_int_eq(kr_ocsp_tbs_build(&f, &out, &len, &err), KR_EINPUT);
	ck_assert_ptr_null(out);

	/* a revoked response without a reason leaves it out */
	f = good;
	f.reason = KR_REASON_NONE;
	ck_assert_int_eq(kr_ocsp_tbs_build(&f, &tbs, &tbslen, &err), KR_OK);
	ck_assert_ptr_null(memmem(tbs, tbslen, "\xa0\x03\x0a\x01", 4));
	free(tbs);
	f.reason = KR_REASON_SUPERSEDED;
	ck_assert_int_eq(kr_ocsp_tbs_build(&f, &tbs, &tbslen, &err), KR_OK);
	ck_assert_ptr_nonnull(memmem(tbs, tbslen, "\xa0\x03\x0a\x01\x04",
	    5));

	memset(sig, 1, sizeof(sig));
	ck_assert_int_eq(kr_ocsp_assemble(tbs, tbslen - 1, f.sig_alg, sig, 64,
	    NULL, 0, &out, &len, &err), KR_EINPUT);
	tl_assert_has(err.msg, "ResponseData", "assemble tbs");
	ck_assert_int_eq(kr_ocsp_assemble(tbs, tbslen, f.sig_alg, sig, 0,
	    NULL, 0, &out, &len, &err), KR_EINPUT);
	tl_assert_has(err.msg, "signature of 0 bytes", "assemble sig");
	ck_assert_int_eq(kr_ocsp_assemble(tbs, tbslen, (enum kr_sig_alg)99,
	    sig, 64, NULL, 0, &out, &len, &err), KR_EINPUT);
	tl_assert_has(err.msg, "unknown signature algorithm", "assemble alg");
	ck_assert_int_eq(kr_ocsp_assemble(tbs, tbslen, f.sig_alg, sig, 64,
	    sig, 10, &out, &len, &err), KR_EINPUT);
	tl_assert_has(err.msg, "responder certificate", "assemble cert");
	ck_assert_ptr_null(out);
	ck_assert_int_eq(kr_ocsp_assemble(tbs, tbslen, f.sig_alg, sig, 64,
	    NULL, 0, &out, &len, &err), KR_OK);
	ck_assert_ptr_nonnull(out);
	free(out);
	free(tbs);
}
END_TEST

/* --- runner ----------------------------------------------------------- */

static Suite *
crl_suite(void)
{
	Suite	*s = suite_create("x509-crl");
	TCase	*tc;

	tc = tcase_create("names");
	tcase_add_test(tc, test_reason_names);
	tcase_add_test(tc, test_bigint_cmp);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_add_test(tc, test_crl_entries_openssl);
	tcase_add_test(tc, test_crl_empty_layout);
	tcase_add_test(tc, test_crl_extension_combinations);
	tcase_add_test(tc, test_crl_verify_leaves);
	tcase_add_test(tc, test_crl_ed25519);
	tcase_add_test(tc, test_crl_times);
	tcase_add_test(tc, test_crl_round_trip);
	tcase_add_test(tc, test_crl_builder_refusals);
	tcase_add_test(tc, test_crl_builder_source_and_finish);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, test_crl_parse_versions);
	tcase_add_test(tc, test_crl_parse_extensions);
	tcase_add_test(tc, test_crl_parse_structure);
	tcase_add_test(tc, test_crl_parse_callback_stop);
	tcase_add_test(tc, test_openssl_ca_crl);
	tcase_add_test(tc, test_openssl_ca_crl_refusals);
	suite_add_tcase(s, tc);

	tc = tcase_create("index");
	tcase_add_test(tc, test_openssl_ca_index);
	tcase_add_test(tc, test_index_malformed);
	tcase_add_test(tc, test_index_forms);
	suite_add_tcase(s, tc);

	tc = tcase_create("ocsp");
	tcase_add_test(tc, test_ocsp_openssl);
	tcase_add_test(tc, test_ocsp_layout);
	tcase_add_test(tc, test_ocsp_refusals);
	suite_add_tcase(s, tc);

	tc = tcase_create("million");
	tcase_add_test(tc, test_crl_million);
	tcase_add_test(tc, test_index_million);
	suite_add_tcase(s, tc);
	return s;
}

static void
setup_ca(struct ca *ca, enum kr_key_alg alg, const char *cn)
{
	struct kr_err	 err;

	ca->alg = kr_sig_alg_default(alg);
	snprintf(ca->pem, sizeof(ca->pem), "%s.pem", cn);
	ca->signer = tl_signer_make(alg, KR_PURPOSE_CA, cn, ca->err);
	tl_signer_keep(&ca->signer);
	if (ca->signer == NULL)
		return;
	kr_err_clear(&err);
	if (make_ca_cert(ca, cn, &err) != KR_OK) {
		kr_err_prefix(&err, "CA %s: ", cn);
		snprintf(ca->err, sizeof(ca->err), "%s", err.msg);
		free(ca->der);
		ca->der = NULL;
		return;
	}
	if (tl_save_pem(ca->pem, "CERTIFICATE", ca->der, ca->der_len) != 0) {
		snprintf(ca->err, sizeof(ca->err), "cannot write %s",
		    tl_path(ca->pem));
		free(ca->der);
		ca->der = NULL;
	}
}

int
main(int argc, char **argv)
{
	struct kr_err	 err;
	char		 leaf_err[KR_ERR_MSG_MAX];
	int		 ret;

	if (argc > 1)
		openssl = argv[1];
	if (kr_crypto_init(&err) != KR_OK) {
		fprintf(stderr, "crypto init: %s\n", err.msg);
		return EXIT_FAILURE;
	}
	if (tl_work_begin("x509-crl") == NULL)
		return EXIT_FAILURE;
	now = kr_time_now();
	setup_ca(&ca_p256, KR_KEY_P256, "crl-ca-p256");
	setup_ca(&ca_ed25519, KR_KEY_ED25519, "crl-ca-ed25519");
	if ((leaf_key = tl_signer_make(KR_KEY_P256, KR_PURPOSE_CA, "crl-leaf",
	    leaf_err)) == NULL)
		fprintf(stderr, "leaf key: %s\n", leaf_err);
	tl_signer_keep(&leaf_key);
	oca_setup();
	ret = tl_run(crl_suite(), NULL);
	kr_signer_free(&ca_p256.signer);
	kr_signer_free(&ca_ed25519.signer);
	kr_signer_free(&leaf_key);
	free(ca_p256.der);
	free(ca_ed25519.der);
	tl_work_end();
	return ret;
}
