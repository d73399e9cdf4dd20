/*
 * x509 reader side: the certificate and PKCS#10 parsers, the lint rules
 * and name constraints.
 *
 * Certificates and requests are made by the openssl command line at run
 * time (argv[1] is its path), in a temporary folder: requests for P-256,
 * P-384, RSA-3072 and Ed25519 keys, with and without extension requests,
 * roots and intermediates with the extensions keyrite reads.  Bad input is
 * made from good input by cutting, appending or changing bytes.
 *
 * Lint: a root, an intermediate and two leaves are built from fields with
 * kr_tbs_build() and must pass with no finding (and openssl verify
 * -x509_strict accepts them once signed with openssl dgst); then one
 * change per case must raise its rule, and every rule in the table has a
 * case.  argv[2] is docs/lint.md, which must list every rule.
 *
 * TEST-KEY-024 and TEST-KEY-453 (docs/traceability.md): these tests as a
 * whole; the device id reader is test_dn_value.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <keyrite/crl.h>
#include <keyrite/x509.h>

#include "testpki.h"
#include "x509_int.h"

static const char	*openssl = "openssl";
static const char	*lint_md = NULL;
static int64_t		 now;

/* ---------------------------------------------------------------------
 * Helpers
 */

#define SH_OK(...)	ck_assert_int_eq(tl_sh(__VA_ARGS__), 0)

/* Offset of the first (or, with `last`, the last) occurrence; -1 if none. */
static long
find(const uint8_t *h, size_t hl, const void *n, size_t nl, bool last)
{
	long	at = -1;
	size_t	i;

	for (i = 0; i + nl <= hl; i++) {
		if (memcmp(h + i, n, nl) == 0) {
			at = (long)i;
			if (!last)
				break;
		}
	}
	return at;
}

#define FIND(h, hl, lit)	find((h), (hl), (lit), sizeof(lit) - 1, false)
#define FIND_LAST(h, hl, lit)	\
	find((h), (hl), (lit), sizeof(lit) - 1, true)

static size_t
put_tl(uint8_t *out, uint8_t tag, size_t len)
{
	out[0] = tag;
	if (len < 0x80) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len < 0x100) {
		out[1] = 0x81;
		out[2] = (uint8_t)len;
		return 3;
	}
	out[1] = 0x82;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	return 4;
}

/*
 * Copies the DER elements in [p, p + n) to out, leaving out the element
 * that starts at `cut` and re-encoding the lengths of those around it.
 */
static size_t
der_drop(const uint8_t *p, size_t n, const uint8_t *cut, uint8_t *out)
{
	const uint8_t	*q = p, *c, *next;
	uint8_t		 sub[16384];
	size_t		 w = 0, hl, len, i, nb, sl;

	while (q < p + n) {
		if (q[1] < 0x80) {
			len = q[1];
			hl = 2;
		} else {
			nb = q[1] & 0x7f;
			for (len = 0, i = 0; i < nb; i++)
				len = (len << 8) | q[2 + i];
			hl = 2 + nb;
		}
		c = q + hl;
		next = c + len;
		if (q == cut) {
			q = next;
			continue;
		}
		if ((q[0] & 0x20) != 0 && cut > q && cut < next) {
			sl = der_drop(c, len, cut, sub);
			w += put_tl(out + w, q[0], sl);
			memcpy(out + w, sub, sl);
			w += sl;
		} else {
			memcpy(out + w, q, (size_t)(next - q));
			w += (size_t)(next - q);
		}
		q = next;
	}
	return w;
}

/* A copy of `der` without the element at offset `at`. */
static uint8_t *
drop_element(const uint8_t *der, size_t len, long at, size_t *outlen)
{
	uint8_t	*out = malloc(len);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_ge(at, 0);
	*outlen = der_drop(der, len, der + at, out);
	ck_assert_uint_lt(*outlen, len);
	return out;
}

static void
replace_all(uint8_t *p, size_t len, const void *from, const void *to,
    size_t n)
{
	size_t	i, hits = 0;

	for (i = 0; i + n <= len; i++)
		if (memcmp(p + i, from, n) == 0) {
			memcpy(p + i, to, n);
			hits++;
		}
	ck_assert_uint_gt(hits, 0);
}

static struct kr_cert *
cert_ok(const char *name)
{
	struct kr_cert	*c = NULL;
	struct kr_err	 err;
	uint8_t		*buf;
	size_t		 len;

	buf = tl_read(name, &len);
	kr_err_clear(&err);
	ck_assert_msg(kr_cert_parse(name, buf, len, &c, &err) == KR_OK,
	    "%s: %s", name, err.msg);
	free(buf);
	return c;
}

static struct kr_csr *
csr_ok(const char *name)
{
	struct kr_csr	*r = NULL;
	struct kr_err	 err;
	uint8_t		*buf;
	size_t		 len;

	buf = tl_read(name, &len);
	kr_err_clear(&err);
	ck_assert_msg(kr_csr_parse(name, buf, len, &r, &err) == KR_OK,
	    "%s: %s", name, err.msg);
	free(buf);
	return r;
}

/* Expects a refusal with this code and a message holding `want`. */
static void
cert_bad(const uint8_t *p, size_t len, int code, const char *want)
{
	struct kr_cert	*c = NULL;
	struct kr_err	 err;
	int		 ret;

	kr_err_clear(&err);
	ret = kr_cert_parse("bad.pem", p, len, &c, &err);
	ck_assert_msg(ret == code, "want %d got %d: %s", code, ret, err.msg);
	ck_assert_ptr_null(c);
	ck_assert_msg(strncmp(err.msg, "bad.pem: ", 9) == 0, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, want) != NULL, "'%s' not in '%s'", want,
	    err.msg);
}

static void
csr_bad(const uint8_t *p, size_t len, int code, const char *want)
{
	struct kr_csr	*r = NULL;
	struct kr_err	 err;
	int		 ret;

	kr_err_clear(&err);
	ret = kr_csr_parse("req.csr", p, len, &r, &err);
	ck_assert_msg(ret == code, "want %d got %d: %s", code, ret, err.msg);
	ck_assert_ptr_null(r);
	ck_assert_msg(strncmp(err.msg, "req.csr: ", 9) == 0, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, want) != NULL, "'%s' not in '%s'", want,
	    err.msg);
}

static void
assert_dn(const uint8_t *der, size_t len, const char *want)
{
	char	buf[512];

	kr_dn_format(der, len, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

static uint8_t *
dn(const char *s, size_t *len)
{
	uint8_t		*p = NULL;
	struct kr_err	 err;

	ck_assert_msg(kr_dn_encode(s, &p, len, &err) == KR_OK, "%s: %s", s,
	    err.msg);
	return p;
}

static struct kr_gn
gn(const char *s, bool constraint)
{
	struct kr_gn	g;
	struct kr_err	err;

	ck_assert_msg(kr_gn_parse(s, constraint, &g, &err) == KR_OK, "%s: %s",
	    s, err.msg);
	return g;
}

/* ---------------------------------------------------------------------
 * Keys and requests made once, before the tests fork
 */

static const struct keydef {
	const char	*name;
	const char	*newkey;	/* openssl req -newkey arguments */
	enum kr_sig_alg	 sig;
} keydefs[] = {
	{ "p256", "ec -pkeyopt ec_paramgen_curve:P-256",
	    KR_SIG_ECDSA_P256_SHA256 },
	/* openssl signs with SHA-256 whatever the curve unless told */
	{ "p384", "ec -pkeyopt ec_paramgen_curve:P-384",
	    KR_SIG_ECDSA_P256_SHA256 },
	{ "rsa3072", "rsa:3072", KR_SIG_RSA_PKCS1_SHA256 },
	{ "ed25519", "ed25519", KR_SIG_ED25519 },
	{ "p256b", "ec -pkeyopt ec_paramgen_curve:P-256",
	    KR_SIG_ECDSA_P256_SHA256 },
	{ "p384b", "ec -pkeyopt ec_paramgen_curve:P-384",
	    KR_SIG_ECDSA_P256_SHA256 },
	{ "rsa2048", "rsa:2048", KR_SIG_RSA_PKCS1_SHA256 },
};

#define NKEYDEFS	(sizeof(keydefs) / sizeof(keydefs[0]))

/*
 * For each key: NAME.key, NAME.csr (PEM, made with -newkey), NAME.der
 * (the same request in DER) and NAME.spki (DER public key).
 */
static int
make_keys(void)
{
	size_t	i;

	for (i = 0; i < NKEYDEFS; i++)
		if (tl_sh("\"$OPENSSL\" req -new -newkey %s -nodes -keyout "
		    "%s.key -subj '/CN=dev 1/O=Example/C=DE' -out %s.csr "
		    "2>/dev/null && \"$OPENSSL\" req -in %s.csr -outform DER "
		    "-out %s.der && "
		    "\"$OPENSSL\" pkey -in %s.key -pubout -outform DER "
		    "-out %s.spki", keydefs[i].newkey, keydefs[i].name,
		    keydefs[i].name, keydefs[i].name, keydefs[i].name,
		    keydefs[i].name, keydefs[i].name) != 0)
			return -1;
	return 0;
}

static const char ca_cnf[] =
    "[req]\n"
    "distinguished_name = dn\n"
    "[dn]\n"
    "[v3_root]\n"
    "basicConstraints = critical,CA:TRUE,pathlen:1\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "nameConstraints = critical,permitted;DNS:example.com,"
    "permitted;email:.example.com,permitted;IP:10.0.0.0/255.0.0.0,"
    "permitted;URI:.example.com,permitted;dirName:nc_dir,"
    "excluded;DNS:bad.example.com\n"
    "certificatePolicies = ia5org,@pol,1.3.6.1.4.1.99999.1.1\n"
    "crlDistributionPoints = URI:http://crl.example.com/root.crl\n"
    "authorityInfoAccess = caIssuers;URI:http://ca.example.com/root.crt,"
    "OCSP;URI:http://ocsp.example.com/\n"
    "[nc_dir]\n"
    "C = DE\n"
    "O = Example\n"
    "[pol]\n"
    "policyIdentifier = 1.3.6.1.4.1.99999.1.2\n"
    "CPS.1 = \"http://cps.example.com/\"\n"
    "[v3_int]\n"
    "basicConstraints = critical,CA:TRUE,pathlen:0\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid:always\n"
    "[v3_plain]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[v3_unknown_crit]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "1.2.3.4 = critical,ASN1:UTF8String:hello\n"
    "[v3_unknown]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "1.2.3.4 = ASN1:UTF8String:hello\n";

/* root.pem (P-384, all extensions), int.pem under it (P-256). */
static int
make_certs(void)
{
	if (tl_save("ca.cnf", ca_cnf, sizeof(ca_cnf) - 1) != 0)
		return -1;
	return tl_sh("\"$OPENSSL\" req -x509 -new -key p384.key -sha384 "
	    "-config ca.cnf "
	    "-extensions v3_root -subj '/C=DE/O=Example/CN=Test Root' "
	    "-days 3650 -set_serial 0x0123456789abcdef0123 -out root.pem && "
	    "\"$OPENSSL\" x509 -in root.pem -outform DER -out root.crt && "
	    "\"$OPENSSL\" req -new -key p256.key -subj "
	    "'/C=DE/O=Example/CN=Test Int' -out int.csr && "
	    "\"$OPENSSL\" x509 -req -in int.csr -CA root.pem -CAkey p384.key "
	    "-sha384 "
	    "-extfile ca.cnf -extensions v3_int -days 365 -set_serial 77 "
	    "-out int.pem 2>/dev/null");
}

/* ---------------------------------------------------------------------
 * Requests
 */

/*
 * The device id provision batch takes from a subject (kr_dn_value),
 * TEST-KEY-453.
 */
START_TEST(test_dn_value)
{
	static const struct {
		const char	*dn, *attr, *want;
		int		 ret;
	} cases[] = {
		{ "CN=sensor,serialNumber=SN0001", "serialNumber", "SN0001",
		    KR_OK },
		{ "CN=sensor,serialNumber=SN0001", "CN", "sensor", KR_OK },
		{ "CN=sensor", "serialNumber", "", KR_ENOENT },
		{ "serialNumber=A,serialNumber=B", "serialNumber", "",
		    KR_EEXIST },
		{ "O=Example,CN=dev-7", "CN", "dev-7", KR_OK },
	};
	uint8_t	*d, junk[] = { 0x30, 0x05, 0x31, 0x03, 0x30, 0x01, 0x06 };
	char	 out[65], small[4];
	size_t	 i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d = dn(cases[i].dn, &len);
		ck_assert_int_eq(kr_dn_value(d, len, cases[i].attr, out,
		    sizeof(out)), cases[i].ret);
		if (cases[i].ret == KR_OK)
			ck_assert_str_eq(out, cases[i].want);
		free(d);
	}
	/* Too long for the buffer, malformed, cut short: refused. */
	d = dn("serialNumber=SN0001", &len);
	ck_assert_int_eq(kr_dn_value(d, len, "serialNumber", small,
	    sizeof(small)), KR_EINPUT);
	ck_assert_int_eq(kr_dn_value(d, len - 1, "serialNumber", out,
	    sizeof(out)), KR_EINPUT);
	free(d);
	ck_assert_int_eq(kr_dn_value(junk, sizeof(junk), "CN", out,
	    sizeof(out)), KR_EINPUT);
}
END_TEST

START_TEST(test_csr_algorithms)
{
	const struct keydef	*k = &keydefs[_i];
	struct kr_csr		*pem, *der;
	uint8_t			*spki;
	size_t			 spkilen;
	char			 name[64];

	snprintf(name, sizeof(name), "%s.csr", k->name);
	pem = csr_ok(name);
	snprintf(name, sizeof(name), "%s.der", k->name);
	der = csr_ok(name);
	snprintf(name, sizeof(name), "%s.spki", k->name);
	spki = tl_read(name, &spkilen);
	ck_assert_int_eq(pem->sig_alg, k->sig);
	ck_assert_int_eq(der->sig_alg, k->sig);
	ck_assert_uint_eq(pem->spki.len, spkilen);
	ck_assert_mem_eq(pem->spki.p, spki, spkilen);
	assert_dn(pem->subject.p, pem->subject.len, "CN=dev 1,O=Example,C=DE");
	ck_assert_uint_eq(pem->der_len, der->der_len);
	ck_assert_mem_eq(pem->der, der->der, der->der_len);
	ck_assert(!pem->has_ext_request);
	free(spki);
	kr_csr_free(&pem);
	kr_csr_free(&der);
	kr_csr_free(&der);
}
END_TEST

START_TEST(test_csr_extension_request)
{
	struct kr_csr			*r;
	const struct kr_cert_fields	*q;
	char				 s[128];

	SH_OK("\"$OPENSSL\" req -new -key p256.key -subj '/CN=dev1' "
	    "-addext 'subjectAltName=DNS:dev1.example.com,IP:192.0.2.7,"
	    "IP:2001:db8::1,email:ops@example.com,"
	    "URI:https://dev1.example.com/x' "
	    "-addext 'extendedKeyUsage=clientAuth,codeSigning' "
	    "-addext 'keyUsage=critical,digitalSignature,keyAgreement' "
	    "-addext 'basicConstraints=critical,CA:FALSE' -out san.csr");
	r = csr_ok("san.csr");
	q = &r->requested;
	ck_assert(r->has_ext_request);
	ck_assert(q->has_san);
	ck_assert_uint_eq(q->san_count, 5);
	ck_assert_int_eq(q->san[0].type, KR_GN_DNS);
	ck_assert_uint_eq(q->san[0].len, 16);
	ck_assert_mem_eq(q->san[0].value, "dev1.example.com", 16);
	ck_assert_int_eq(q->san[1].type, KR_GN_IP);
	ck_assert_uint_eq(q->san[1].len, 4);
	ck_assert_mem_eq(q->san[1].value, "\xc0\x00\x02\x07", 4);
	ck_assert_int_eq(q->san[2].type, KR_GN_IP);
	ck_assert_uint_eq(q->san[2].len, 16);
	kr_gn_format(&q->san[2], s, sizeof(s));
	ck_assert_str_eq(s, "ip:2001:db8::1");
	ck_assert_int_eq(q->san[3].type, KR_GN_EMAIL);
	ck_assert_mem_eq(q->san[3].value, "ops@example.com", 15);
	ck_assert_int_eq(q->san[4].type, KR_GN_URI);
	ck_assert_uint_eq(q->san[4].len, 26);
	ck_assert(q->has_eku);
	ck_assert_uint_eq(q->eku_count, 2);
	ck_assert(KR_OID_IS(&q->eku[0], KR_OID_KP_CLIENT_AUTH));
	ck_assert(KR_OID_IS(&q->eku[1], KR_OID_KP_CODE_SIGNING));
	ck_assert(q->has_ku && q->ku_critical);
	ck_assert_uint_eq(q->ku, KR_KU_DIGITAL_SIGNATURE | KR_KU_KEY_AGREEMENT);
	ck_assert(q->has_bc && q->bc_critical && !q->bc_ca);
	ck_assert_int_eq(q->bc_pathlen, -1);
	ck_assert(!q->has_ski && !q->has_nc);
	kr_csr_free(&r);
}
END_TEST

/* "NEW CERTIFICATE REQUEST" is the old label some tools still write. */
START_TEST(test_csr_new_label)
{
	struct kr_csr	*r = NULL;
	struct kr_err	 err;
	uint8_t		*pem, *alt;
	size_t		 len, n;
	char		*p;

	pem = tl_read("p384.csr", &len);
	alt = malloc(len + 16);
	ck_assert_ptr_nonnull(alt);
	p = strstr((char *)pem, "-----END");
	ck_assert_ptr_nonnull(p);
	n = (size_t)((uint8_t *)p - pem);
	ck_assert_int_eq(snprintf((char *)alt, len + 16, "-----BEGIN NEW %.*s"
	    "-----END NEW CERTIFICATE REQUEST-----\n", (int)(n - 11),
	    (char *)pem + 11), (int)(len + 8));
	ck_assert_msg(kr_csr_parse("new.csr", alt, len + 8, &r, &err) ==
	    KR_OK, "%s", err.msg);
	ck_assert_int_eq(r->sig_alg, KR_SIG_ECDSA_P256_SHA256);
	kr_csr_free(&r);
	free(pem);
	free(alt);
}
END_TEST

/*
 * ECDSA with the other curve's hash (P-384 with SHA-256 is openssl's
 * default): checked, and a changed byte still refused.
 */
START_TEST(test_csr_ecdsa_hash_mix)
{
	struct kr_csr	*r;
	uint8_t		*der;
	size_t		 len;

	SH_OK("\"$OPENSSL\" req -new -key p384.key -sha384 -subj '/CN=a' "
	    "-out a.csr && \"$OPENSSL\" req -new -key p256.key -sha384 "
	    "-subj '/CN=b' -out b.csr");
	r = csr_ok("a.csr");
	ck_assert_int_eq(r->sig_alg, KR_SIG_ECDSA_P384_SHA384);
	kr_csr_free(&r);
	r = csr_ok("b.csr");
	ck_assert_int_eq(r->sig_alg, KR_SIG_ECDSA_P384_SHA384);
	kr_csr_free(&r);
	der = tl_read("p384.der", &len);
	der[len - 2] ^= 0x20;
	csr_bad(der, len, KR_EVERIFY, "does not verify with the key it "
	    "carries");
	free(der);
}
END_TEST

START_TEST(test_csr_altered)
{
	uint8_t	*der;
	size_t	 len;
	long	 at;

	der = tl_read("p256.der", &len);
	der[len - 1] ^= 0x01;
	csr_bad(der, len, KR_EVERIFY, "does not verify with the key it "
	    "carries");
	der[len - 1] ^= 0x01;
	at = FIND(der, len, "dev 1");
	ck_assert_int_ge(at, 0);
	der[at + 4] = '2';
	csr_bad(der, len, KR_EVERIFY, "it was altered or made wrongly");
	free(der);
	der = tl_read("ed25519.der", &len);
	der[len - 5] ^= 0x40;
	csr_bad(der, len, KR_EVERIFY, "does not verify");
	free(der);
}
END_TEST

START_TEST(test_csr_truncated)
{
	uint8_t	*der, *pem;
	size_t	 len, plen, n;

	der = tl_read("rsa3072.der", &len);
	for (n = 1; n < len; n++)
		csr_bad(der, n, KR_EINPUT, "not a certificate request");
	csr_bad(der, 0, KR_EINPUT, "empty");
	free(der);
	pem = tl_read("p256.csr", &plen);
	csr_bad(pem, plen / 2, KR_EINPUT, "PEM");
	free(pem);
}
END_TEST

START_TEST(test_csr_trailing_oversize_garbage)
{
	uint8_t	*der, *big, *pem;
	size_t	 len, plen;

	der = tl_read("p256.der", &len);
	big = calloc(1, KR_CSR_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memcpy(big, der, len);
	csr_bad(big, len + 1, KR_EINPUT, "1 bytes of trailing data");
	csr_bad(big, len + 7, KR_EINPUT, "7 bytes of trailing data");
	csr_bad(big, KR_CSR_MAX + 1, KR_EINPUT, "more than the 65536");
	csr_bad((const uint8_t *)"hello", 5, KR_EINPUT, "not one DER SEQUENCE");
	free(big);
	free(der);
	pem = tl_read("root.pem", &plen);
	csr_bad(pem, plen, KR_EINPUT, "no block labelled CERTIFICATE REQUEST");
	free(pem);
}
END_TEST

START_TEST(test_csr_unknown_sig_oid)
{
	static const uint8_t	ecdsa256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48,
	    0xce, 0x3d, 0x04, 0x03, 0x02 };
	static const uint8_t	ecdsa512[] = { 0x06, 0x08, 0x2a, 0x86, 0x48,
	    0xce, 0x3d, 0x04, 0x03, 0x04 };
	uint8_t			*der;
	size_t			 len;

	der = tl_read("p256.der", &len);
	replace_all(der, len, ecdsa256, ecdsa512, sizeof(ecdsa256));
	csr_bad(der, len, KR_EINPUT, "signature algorithm 1.2.840.10045.4.3.4");
	free(der);
}
END_TEST

/* A request relabelled with another hash does not verify. */
START_TEST(test_csr_sig_alg_relabelled)
{
	static const uint8_t	ecdsa256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48,
	    0xce, 0x3d, 0x04, 0x03, 0x02 };
	static const uint8_t	ecdsa384[] = { 0x06, 0x08, 0x2a, 0x86, 0x48,
	    0xce, 0x3d, 0x04, 0x03, 0x03 };
	static const uint8_t	rsa256[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7,
	    0x0d, 0x01, 0x01, 0x0b };
	static const uint8_t	rsa384[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7,
	    0x0d, 0x01, 0x01, 0x0c };
	uint8_t			*der;
	size_t			 len;

	der = tl_read("p256.der", &len);
	replace_all(der, len, ecdsa256, ecdsa384, sizeof(ecdsa256));
	csr_bad(der, len, KR_EVERIFY, "does not verify");
	free(der);
	der = tl_read("rsa3072.der", &len);
	replace_all(der, len, rsa256, rsa384, sizeof(rsa256));
	csr_bad(der, len, KR_EVERIFY, "does not verify");
	free(der);
}
END_TEST

/* ---------------------------------------------------------------------
 * Certificates made by openssl
 */

static void	check_root_nc(const struct kr_cert_fields *);
static void	check_root_uris(const struct kr_cert_fields *);

START_TEST(test_cert_root)
{
	struct kr_cert			*c;
	const struct kr_cert_fields	*f;
	uint8_t				*spki;
	size_t				 spkilen, i;
	uint8_t				 kid[KR_KEYID_BYTES];

	c = cert_ok("root.pem");
	f = &c->f;
	spki = tl_read("p384.spki", &spkilen);
	ck_assert_int_eq(f->sig_alg, KR_SIG_ECDSA_P384_SHA384);
	ck_assert_uint_eq(f->serial_len, 10);
	ck_assert_mem_eq(f->serial, "\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23",
	    10);
	assert_dn(f->subject, f->subject_len, "C=DE,O=Example,CN=Test Root");
	ck_assert_uint_eq(f->issuer_len, f->subject_len);
	ck_assert_mem_eq(f->issuer, f->subject, f->subject_len);
	ck_assert_int_eq(f->not_after - f->not_before, 3650 * 86400LL);
	ck_assert_int_le(f->not_before, now + 600);
	ck_assert_int_ge(f->not_before, now - 600);
	ck_assert_uint_eq(f->spki_len, spkilen);
	ck_assert_mem_eq(f->spki, spki, spkilen);
	ck_assert(f->has_bc && f->bc_critical && f->bc_ca);
	ck_assert_int_eq(f->bc_pathlen, 1);
	ck_assert(f->has_ku && f->ku_critical);
	ck_assert_uint_eq(f->ku, KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN);
	ck_assert(f->has_ski);
	ck_assert_int_eq(kr_key_identifier(f->spki, f->spki_len, kid), KR_OK);
	ck_assert_uint_eq(f->ski_len, KR_KEYID_BYTES);
	ck_assert_mem_eq(f->ski, kid, KR_KEYID_BYTES);
	ck_assert(!f->has_eku && !f->has_san);
	check_root_nc(f);
	check_root_uris(f);
	/* every extension listed, criticality kept */
	ck_assert_uint_ge(c->ext_count, 7);
	for (i = 0; i < c->ext_count; i++)
		if (KR_OID_IS(&c->ext_oids[i], KR_OID_EXT_NC) ||
		    KR_OID_IS(&c->ext_oids[i], KR_OID_EXT_BC))
			ck_assert(c->ext_critical[i]);
		else if (KR_OID_IS(&c->ext_oids[i], KR_OID_EXT_SKI))
			ck_assert(!c->ext_critical[i]);
	ck_assert(!c->unknown_critical);
	free(spki);
	kr_cert_free(&c);
	kr_cert_free(&c);
}
END_TEST

/* nameConstraints of root.pem, in the order written. */
static void
check_root_nc(const struct kr_cert_fields *f)
{
	uint8_t	*nc;
	size_t	 nclen;

	ck_assert(f->has_nc);
	ck_assert_uint_eq(f->nc_permitted_count, 5);
	ck_assert_uint_eq(f->nc_excluded_count, 1);
	ck_assert_int_eq(f->nc_permitted[0].type, KR_GN_DNS);
	ck_assert_mem_eq(f->nc_permitted[0].value, "example.com", 11);
	ck_assert_int_eq(f->nc_permitted[1].type, KR_GN_EMAIL);
	ck_assert_mem_eq(f->nc_permitted[1].value, ".example.com", 12);
	ck_assert_int_eq(f->nc_permitted[2].type, KR_GN_IP);
	ck_assert_uint_eq(f->nc_permitted[2].len, 8);
	ck_assert_mem_eq(f->nc_permitted[2].value,
	    "\x0a\x00\x00\x00\xff\x00\x00\x00", 8);
	ck_assert_int_eq(f->nc_permitted[3].type, KR_GN_URI);
	ck_assert_int_eq(f->nc_permitted[4].type, KR_GN_DIRNAME);
	nc = dn("C=DE,O=Example", &nclen);
	ck_assert_uint_eq(f->nc_permitted[4].len, nclen);
	ck_assert_mem_eq(f->nc_permitted[4].value, nc, nclen);
	ck_assert_int_eq(f->nc_excluded[0].type, KR_GN_DNS);
	ck_assert_mem_eq(f->nc_excluded[0].value, "bad.example.com", 15);
	free(nc);
}

/* Policies, CPS, CRL DP and AIA of root.pem (OCSP is not kept). */
static void
check_root_uris(const struct kr_cert_fields *f)
{
	ck_assert(f->has_policies);
	ck_assert_uint_eq(f->policies_count, 2);
	ck_assert_str_eq(f->cps_uri, "http://cps.example.com/");
	ck_assert(f->has_crldp);
	ck_assert_uint_eq(f->crldp_count, 1);
	ck_assert_str_eq(f->crldp[0], "http://crl.example.com/root.crl");
	ck_assert(f->has_aia);
	ck_assert_uint_eq(f->aia_count, 1);
	ck_assert_str_eq(f->aia_ca_issuers[0],
	    "http://ca.example.com/root.crt");
}

START_TEST(test_cert_signatures)
{
	struct kr_cert	*root, *in, *der;
	struct kr_err	 err;
	uint8_t		*p256;
	size_t		 len;

	root = cert_ok("root.pem");
	der = cert_ok("root.crt");
	in = cert_ok("int.pem");
	ck_assert_uint_eq(root->der_len, der->der_len);
	ck_assert_mem_eq(root->der, der->der, der->der_len);
	ck_assert_msg(kr_cert_verify_signature(root, root->f.spki,
	    root->f.spki_len, &err) == KR_OK, "%s", err.msg);
	ck_assert_msg(kr_cert_verify_signature(in, root->f.spki,
	    root->f.spki_len, &err) == KR_OK, "%s", err.msg);
	ck_assert_int_ne(kr_cert_verify_signature(in, in->f.spki,
	    in->f.spki_len, &err), KR_OK);
	p256 = tl_read("p256.spki", &len);
	ck_assert_uint_eq(in->f.spki_len, len);
	ck_assert_mem_eq(in->f.spki, p256, len);
	ck_assert_uint_eq(in->f.serial_len, 1);
	ck_assert_uint_eq(in->f.serial[0], 77);
	ck_assert_int_eq(in->f.bc_pathlen, 0);
	ck_assert(in->f.has_aki);
	ck_assert_uint_eq(in->f.aki_len, root->f.ski_len);
	ck_assert_mem_eq(in->f.aki, root->f.ski, root->f.ski_len);
	ck_assert_uint_eq(in->f.issuer_len, root->f.subject_len);
	ck_assert_mem_eq(in->f.issuer, root->f.subject, root->f.subject_len);
	/* a changed signature byte */
	der->der[der->der_len - 3] ^= 0x01;
	ck_assert_int_eq(kr_cert_verify_signature(der, root->f.spki,
	    root->f.spki_len, &err), KR_EVERIFY);
	ck_assert_msg(strstr(err.msg, "does not verify with the issuer key")
	    != NULL, "%s", err.msg);
	free(p256);
	kr_cert_free(&root);
	kr_cert_free(&der);
	kr_cert_free(&in);
}
END_TEST

/* RSASSA-PSS, PKCS#1 v1.5 with SHA-384, Ed25519: mapped and verified. */
START_TEST(test_cert_algorithms)
{
	static const struct {
		const char	*key;
		const char	*opts;
		enum kr_sig_alg	 alg;
	} cases[] = {
		{ "rsa3072", "-sha256 -sigopt rsa_padding_mode:pss "
		    "-sigopt rsa_pss_saltlen:digest", KR_SIG_RSA_PSS_SHA256 },
		{ "rsa3072", "-sha384 -sigopt rsa_padding_mode:pss "
		    "-sigopt rsa_pss_saltlen:digest", KR_SIG_RSA_PSS_SHA384 },
		{ "rsa3072", "-sha512 -sigopt rsa_padding_mode:pss "
		    "-sigopt rsa_pss_saltlen:digest", KR_SIG_RSA_PSS_SHA512 },
		{ "rsa3072", "-sha384", KR_SIG_RSA_PKCS1_SHA384 },
		{ "rsa3072", "-sha512", KR_SIG_RSA_PKCS1_SHA512 },
		{ "rsa3072", "-sha256", KR_SIG_RSA_PKCS1_SHA256 },
		{ "ed25519", "", KR_SIG_ED25519 },
		{ "p256", "-sha256", KR_SIG_ECDSA_P256_SHA256 },
		{ "p384", "-sha256", KR_SIG_ECDSA_P256_SHA256 },
	};
	struct kr_cert	*c;
	struct kr_err	 err;

	SH_OK("\"$OPENSSL\" req -x509 -new -key %s.key %s -config ca.cnf "
	    "-extensions v3_plain -subj '/CN=Alg %d' -days 30 -out alg%d.pem",
	    cases[_i].key, cases[_i].opts, _i, _i);
	{
		char	name[32];

		snprintf(name, sizeof(name), "alg%d.pem", _i);
		c = cert_ok(name);
	}
	ck_assert_int_eq(c->f.sig_alg, cases[_i].alg);
	ck_assert_msg(kr_cert_verify_signature(c, c->f.spki, c->f.spki_len,
	    &err) == KR_OK, "%s", err.msg);
	kr_cert_free(&c);
}
END_TEST

START_TEST(test_cert_pss_salt_refused)
{
	uint8_t	*p;
	size_t	 len;

	SH_OK("\"$OPENSSL\" req -x509 -new -key rsa3072.key -sha256 "
	    "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:20 "
	    "-config ca.cnf -extensions v3_plain -subj '/CN=Salt' -days 30 "
	    "-out salt.pem");
	p = tl_read("salt.pem", &len);
	cert_bad(p, len, KR_EINPUT, "a 20-byte salt");
	free(p);
}
END_TEST

/* UTCTime through 2049, GeneralizedTime after. */
START_TEST(test_cert_generalized_time)
{
	struct kr_cert	*c;

	SH_OK("\"$OPENSSL\" req -x509 -new -key p256.key -config ca.cnf "
	    "-extensions v3_plain -subj '/CN=Long' -days 36500 -out long.pem");
	c = cert_ok("long.pem");
	ck_assert_int_ge(c->f.not_after, 2524608000LL);	/* 2050-01-01 */
	ck_assert_int_eq(c->f.not_after - c->f.not_before, 36500 * 86400LL);
	ck_assert(FIND(c->der, c->der_len, "\x18\x0f") >= 0);
	kr_cert_free(&c);
}
END_TEST

START_TEST(test_cert_unknown_critical)
{
	struct kr_cert	*c;
	size_t		 i;
	bool		 seen = false;

	SH_OK("\"$OPENSSL\" req -x509 -new -key p256.key -config ca.cnf "
	    "-extensions v3_unknown_crit -subj '/CN=U' -days 30 -out uc.pem && "
	    "\"$OPENSSL\" req -x509 -new -key p256.key -config ca.cnf "
	    "-extensions v3_unknown -subj '/CN=U' -days 30 -out un.pem");
	c = cert_ok("uc.pem");
	ck_assert(c->unknown_critical);
	for (i = 0; i < c->ext_count; i++)
		if (KR_OID_IS(&c->ext_oids[i], "\x2a\x03\x04")) {
			ck_assert(c->ext_critical[i]);
			seen = true;
		}
	ck_assert(seen);
	kr_cert_free(&c);
	c = cert_ok("un.pem");
	ck_assert(!c->unknown_critical);
	kr_cert_free(&c);
}
END_TEST

START_TEST(test_cert_refusals)
{
	static const uint8_t	e384[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d,
	    0x04, 0x03, 0x03 };
	static const uint8_t	e512[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d,
	    0x04, 0x03, 0x04 };
	uint8_t			*der, *big, *v1, *csr;
	size_t			 len, n, v1len, clen;
	long			 at;

	der = tl_read("root.crt", &len);
	for (n = 1; n < len; n++)
		cert_bad(der, n, KR_EINPUT, "not a certificate");
	big = calloc(1, KR_CERT_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memcpy(big, der, len);
	cert_bad(big, len + 2, KR_EINPUT, "2 bytes of trailing data");
	cert_bad(big, KR_CERT_MAX + 1, KR_EINPUT, "more than the 65536");
	free(big);
	/* the outer algorithm changed alone, then both */
	at = FIND_LAST(der, len, e384);
	ck_assert_int_gt(at, 0);
	der[at + 7] = 0x04;
	cert_bad(der, len, KR_EINPUT, "differs from the one outside");
	replace_all(der, len, e384, e512, sizeof(e384));
	cert_bad(der, len, KR_EINPUT, "1.2.840.10045.4.3.4");
	replace_all(der, len, e512, e384, sizeof(e384));
	/* version 1: the [0] version element dropped */
	at = FIND(der, len, "\xa0\x03\x02\x01\x02");
	v1 = drop_element(der, len, at, &v1len);
	cert_bad(v1, v1len, KR_EINPUT, "version 1 certificate");
	free(v1);
	/* version 2 */
	der[at + 4] = 0x01;
	cert_bad(der, len, KR_EINPUT, "version 2 certificate");
	der[at + 4] = 0x02;
	/* a UTCTime without its Z */
	at = FIND(der, len, "\x17\x0d");
	ck_assert_int_gt(at, 0);
	der[at + 14] = '0';
	cert_bad(der, len, KR_EINPUT, "notBefore is not a time");
	der[at + 14] = 'Z';
	/* keyUsage renamed to basicConstraints: a repeated extension */
	replace_all(der, len, "\x06\x03\x55\x1d\x0f", "\x06\x03\x55\x1d\x13",
	    5);
	cert_bad(der, len, KR_EINPUT, "appears more than once");
	free(der);
	/* a request is not a certificate */
	csr = tl_read("p256.csr", &clen);
	cert_bad(csr, clen, KR_EINPUT, "holds no block labelled CERTIFICATE");
	free(csr);
}
END_TEST

START_TEST(test_cert_v1_and_serials)
{
	uint8_t	*p;
	size_t	 len;

	SH_OK("\"$OPENSSL\" x509 -req -in int.csr -key p256.key -days 10 "
	    "-out v1.pem 2>/dev/null");
	p = tl_read("v1.pem", &len);
	cert_bad(p, len, KR_EINPUT, "version 1 certificate");
	free(p);
	SH_OK("\"$OPENSSL\" req -x509 -new -key p256.key -config ca.cnf "
	    "-extensions v3_plain -subj '/CN=Z' -days 30 -set_serial 0 "
	    "-out zero.pem");
	p = tl_read("zero.pem", &len);
	cert_bad(p, len, KR_EINPUT, "serial number is zero");
	free(p);
	SH_OK("\"$OPENSSL\" req -x509 -new -key p256.key -config ca.cnf "
	    "-extensions v3_plain -subj '/CN=Z' -days 30 -set_serial "
	    "0x0102030405060708090a0b0c0d0e0f1011121314ff -out long.pem");
	p = tl_read("long.pem", &len);
	cert_bad(p, len, KR_EINPUT, "21 octets long");
	free(p);
}
END_TEST

/* ---------------------------------------------------------------------
 * Lint scenarios: fields for a root, an intermediate, a device leaf and
 * a firmware-signing leaf, built once in main().
 */

enum base { B_ROOT, B_INT, B_LEAF, B_FW };

struct key {
	uint8_t	spki[KR_SPKI_MAX_BYTES];
	size_t	len;
};

static struct key		k_root, k_int, k_leaf, k_other, k_rsa2048,
				k_ed;
static struct kr_cert_fields	f_root, f_int, f_leaf, f_fw;
static struct kr_profile	p_root, p_int, p_dev, p_fw;
static struct kr_cert		c_root, c_int;

static void
load_key(struct key *k, const char *name)
{
	uint8_t	*p;
	char	 file[64];

	snprintf(file, sizeof(file), "%s.spki", name);
	p = tl_read(file, &k->len);
	ck_assert_uint_le(k->len, sizeof(k->spki));
	memcpy(k->spki, p, k->len);
	free(p);
}

static void
set_key(struct kr_cert_fields *f, const struct key *k)
{
	memcpy(f->spki, k->spki, k->len);
	f->spki_len = k->len;
	f->has_ski = true;
	f->ski_len = KR_KEYID_BYTES;
	ck_assert_int_eq(kr_key_identifier(k->spki, k->len, f->ski), KR_OK);
}

static void
set_aki(struct kr_cert_fields *f, const struct kr_cert_fields *up)
{
	f->has_aki = true;
	memcpy(f->aki, up->ski, up->ski_len);
	f->aki_len = up->ski_len;
	memcpy(f->issuer, up->subject, up->subject_len);
	f->issuer_len = up->subject_len;
}

static void
set_serial(struct kr_cert_fields *f, uint8_t first)
{
	size_t	i;

	for (i = 0; i < 16; i++)
		f->serial[i] = (uint8_t)(first + 17 * i);
	f->serial_len = 16;
}

static void
set_ca(struct kr_cert_fields *f, int pathlen)
{
	f->has_bc = f->bc_critical = f->bc_ca = true;
	f->bc_pathlen = pathlen;
	f->has_ku = f->ku_critical = true;
	f->ku = KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN;
}

static void
set_profile(struct kr_profile *p, const char *name, bool ca, unsigned days)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->is_ca = ca;
	p->pathlen = -1;
	p->allow_p256 = p->allow_p384 = p->allow_ed25519 = p->allow_rsa = true;
	p->rsa_min_bits = 3072;
	p->max_days = days;
	p->default_days = days;
	if (ca)
		p->key_usage = KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN;
}

static void
add_eku(struct kr_oid *list, size_t *n, const char *oid, size_t len)
{
	memcpy(list[*n].der, oid, len);
	list[*n].len = len;
	(*n)++;
}

#define ADD_EKU(l, n, c)	add_eku((l), (n), (c), sizeof(c) - 1)

static void
make_root_fields(void)
{
	struct kr_cert_fields	*f = &f_root;

	f->bc_pathlen = -1;
	set_serial(f, 0x11);
	f->sig_alg = KR_SIG_ECDSA_P384_SHA384;
	tl_set_name(f->subject, &f->subject_len, "C=DE,O=Example,CN=Lint Root");
	tl_set_name(f->issuer, &f->issuer_len, "C=DE,O=Example,CN=Lint Root");
	f->not_before = now;
	f->not_after = now + 7300 * 86400LL;
	set_key(f, &k_root);
	set_ca(f, 1);
	f->has_nc = true;
	f->nc_permitted[0] = gn("dns:example.com", true);
	f->nc_permitted[1] = gn("dirname:C=DE,O=Example", true);
	f->nc_permitted[2] = gn("email:.example.com", true);
	f->nc_permitted_count = 3;
	f->nc_excluded[0] = gn("dns:bad.example.com", true);
	f->nc_excluded_count = 1;
	set_profile(&p_root, "root", true, 7300);
	p_root.self_signed = true;
	p_root.pathlen = 1;
	c_root.f = f_root;
}

static void
make_int_fields(void)
{
	struct kr_cert_fields	*f = &f_int;

	f->bc_pathlen = -1;
	set_serial(f, 0x22);
	f->sig_alg = KR_SIG_ECDSA_P384_SHA384;
	tl_set_name(f->subject, &f->subject_len,
	    "C=DE,O=Example,CN=Lint Issuing CA");
	f->not_before = now;
	f->not_after = now + 3650 * 86400LL;
	set_key(f, &k_int);
	set_aki(f, &f_root);
	set_ca(f, 0);
	set_profile(&p_int, "intermediate", true, 3650);
	p_int.pathlen = 0;
	c_int.f = f_int;
}

static void
make_leaf_fields(void)
{
	struct kr_cert_fields	*f = &f_leaf;

	f->bc_pathlen = -1;
	set_serial(f, 0x33);
	f->sig_alg = KR_SIG_ECDSA_P256_SHA256;
	tl_set_name(f->subject, &f->subject_len,
	    "C=DE,O=Example,CN=dev1.example.com");
	f->not_before = now;
	f->not_after = now + 30 * 86400LL;
	set_key(f, &k_leaf);
	set_aki(f, &f_int);
	f->has_ku = f->ku_critical = true;
	f->ku = KR_KU_DIGITAL_SIGNATURE | KR_KU_KEY_AGREEMENT;
	f->has_eku = true;
	ADD_EKU(f->eku, &f->eku_count, KR_OID_KP_CLIENT_AUTH);
	f->has_san = true;
	f->san[0] = gn("dns:dev1.example.com", false);
	f->san[1] = gn("email:dev1@ops.example.com", false);
	f->san[2] = gn("ip:192.0.2.7", false);
	f->san_count = 3;
	set_profile(&p_dev, "device", false, 825);
	p_dev.allow_rsa = false;
	p_dev.key_usage = KR_KU_DIGITAL_SIGNATURE;
	p_dev.key_usage_ec = KR_KU_KEY_AGREEMENT;
	ADD_EKU(p_dev.eku, &p_dev.eku_count, KR_OID_KP_CLIENT_AUTH);
	p_dev.san_allowed = true;
}

static void
make_fw_fields(void)
{
	struct kr_cert_fields	*f = &f_fw;

	f->bc_pathlen = -1;
	set_serial(f, 0x44);
	f->sig_alg = KR_SIG_ECDSA_P256_SHA256;
	tl_set_name(f->subject, &f->subject_len,
	    "C=DE,O=Example,CN=Firmware 2026");
	f->not_before = now;
	f->not_after = now + 1825 * 86400LL;
	set_key(f, &k_ed);
	set_aki(f, &f_int);
	f->has_ku = f->ku_critical = true;
	f->ku = KR_KU_DIGITAL_SIGNATURE;
	f->has_eku = true;
	ADD_EKU(f->eku, &f->eku_count, KR_OID_KP_CODE_SIGNING);
	ADD_EKU(f->eku, &f->eku_count, KR_OID_KP_EMAIL);
	set_profile(&p_fw, "firmware-signing", false, 1825);
	p_fw.key_usage = KR_KU_DIGITAL_SIGNATURE;
	ADD_EKU(p_fw.eku, &p_fw.eku_count, KR_OID_KP_CODE_SIGNING);
	ADD_EKU(p_fw.eku, &p_fw.eku_count, KR_OID_KP_EMAIL);
}

static void
make_lint_fields(void)
{
	memset(&f_root, 0, sizeof(f_root));
	memset(&f_int, 0, sizeof(f_int));
	memset(&f_leaf, 0, sizeof(f_leaf));
	memset(&f_fw, 0, sizeof(f_fw));
	memset(&c_root, 0, sizeof(c_root));
	memset(&c_int, 0, sizeof(c_int));
	load_key(&k_root, "p384");
	load_key(&k_int, "p256");
	load_key(&k_leaf, "p256b");
	load_key(&k_other, "p384b");
	load_key(&k_rsa2048, "rsa2048");
	load_key(&k_ed, "ed25519");
	make_root_fields();
	make_int_fields();
	make_leaf_fields();
	make_fw_fields();
}

struct scen {
	struct kr_cert_fields	 f;
	struct kr_profile	 p;
	struct kr_cert		 cc[2];		/* chain copies */
	const struct kr_cert	*chain[2];
	size_t			 chain_len;
	struct key		 signer;
	bool			 no_signer;
	bool			 no_profile;
	int64_t			 now;
	uint8_t			*tbs;
	size_t			 tbs_len;
};

static struct scen *
scen_new(enum base b)
{
	struct scen	*s = calloc(1, sizeof(*s));

	ck_assert_ptr_nonnull(s);
	s->now = now;
	s->cc[0] = c_int;
	s->cc[1] = c_root;
	switch (b) {
	case B_ROOT:
		s->f = f_root;
		s->p = p_root;
		s->signer = k_root;
		break;
	case B_INT:
		s->f = f_int;
		s->p = p_int;
		s->cc[0] = c_root;
		s->chain_len = 1;
		s->signer = k_root;
		break;
	case B_LEAF:
	case B_FW:
		s->f = b == B_LEAF ? f_leaf : f_fw;
		s->p = b == B_LEAF ? p_dev : p_fw;
		s->chain_len = 2;
		s->signer = k_int;
		break;
	}
	s->chain[0] = &s->cc[0];
	s->chain[1] = &s->cc[1];
	return s;
}

static void
scen_build(struct scen *s)
{
	struct kr_err	err;

	free(s->tbs);
	s->tbs = NULL;
	s->tbs_len = 0;
	if (kr_tbs_build(&s->f, &s->tbs, &s->tbs_len, &err) != KR_OK) {
		s->tbs = NULL;
		s->tbs_len = 0;
	}
}

static void
scen_lint(const struct scen *s, struct kr_lint_report *r)
{
	struct kr_lint_input	in;

	memset(&in, 0, sizeof(in));
	in.fields = &s->f;
	in.tbs = s->tbs;
	in.tbs_len = s->tbs_len;
	in.profile = s->no_profile ? NULL : &s->p;
	in.chain = s->chain;
	in.chain_len = s->chain_len;
	in.issuer_spki = s->no_signer ? NULL : s->signer.spki;
	in.issuer_spki_len = s->no_signer ? 0 : s->signer.len;
	in.now = s->now;
	kr_lint_run(&in, r);
}

static void
scen_free(struct scen *s)
{
	free(s->tbs);
	free(s);
}

static const char *
report_str(const struct kr_lint_report *r)
{
	static char	buf[8192];
	size_t		i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < r->count && off < sizeof(buf) - 1; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "\n  %s: %s", r->f[i].id, r->f[i].msg);
	return buf;
}

static bool
has_finding(const struct kr_lint_report *r, const char *id)
{
	size_t	i;

	for (i = 0; i < r->count; i++)
		if (strcmp(r->f[i].id, id) == 0)
			return true;
	return false;
}

static void
assert_clean(enum base b)
{
	struct scen		*s = scen_new(b);
	struct kr_lint_report	 r;

	scen_build(s);
	ck_assert_ptr_nonnull(s->tbs);
	scen_lint(s, &r);
	ck_assert_msg(r.count == 0 && r.errors == 0 && r.warnings == 0,
	    "findings on a clean certificate:%s", report_str(&r));
	scen_free(s);
}

START_TEST(test_lint_clean)
{
	assert_clean(B_ROOT);
	assert_clean(B_INT);
	assert_clean(B_LEAF);
	assert_clean(B_FW);
}
END_TEST

/* Signs a TBS with openssl dgst (or pkeyutl for Ed25519) and parses it. */
static struct kr_cert *
sign_with_openssl(const char *name, const uint8_t *tbs, size_t tbslen,
    enum kr_sig_alg alg, const char *key)
{
	struct kr_cert	*c = NULL;
	struct kr_err	 err;
	uint8_t		*sig, *cert;
	size_t		 siglen, certlen;
	char		 file[64], *pem;

	snprintf(file, sizeof(file), "%s.tbs", name);
	tl_write(file, tbs, tbslen);
	SH_OK("\"$OPENSSL\" dgst -%s -sign %s.key -out %s.sig %s.tbs",
	    alg == KR_SIG_ECDSA_P384_SHA384 ? "sha384" : "sha256", key, name,
	    name);
	snprintf(file, sizeof(file), "%s.sig", name);
	sig = tl_read(file, &siglen);
	ck_assert_msg(kr_cert_assemble(tbs, tbslen, alg, sig, siglen, &cert,
	    &certlen, &err) == KR_OK, "%s", err.msg);
	ck_assert_msg(kr_cert_parse(name, cert, certlen, &c, &err) == KR_OK,
	    "%s", err.msg);
	pem = kr_pem_encode("CERTIFICATE", cert, certlen);
	ck_assert_ptr_nonnull(pem);
	snprintf(file, sizeof(file), "%s.pem", name);
	tl_write(file, (const uint8_t *)pem, strlen(pem));
	free(pem);
	free(cert);
	free(sig);
	return c;
}

/* The lint-clean chain, signed, is what openssl -x509_strict accepts. */
START_TEST(test_lint_clean_chain_verifies)
{
	struct scen	*root = scen_new(B_ROOT), *in = scen_new(B_INT);
	struct scen	*leaf = scen_new(B_LEAF);
	struct kr_cert	*cr, *ci, *cl;
	struct kr_err	 err;

	scen_build(root);
	scen_build(in);
	scen_build(leaf);
	cr = sign_with_openssl("lroot", root->tbs, root->tbs_len,
	    KR_SIG_ECDSA_P384_SHA384, "p384");
	ci = sign_with_openssl("lint", in->tbs, in->tbs_len,
	    KR_SIG_ECDSA_P384_SHA384, "p384");
	cl = sign_with_openssl("lleaf", leaf->tbs, leaf->tbs_len,
	    KR_SIG_ECDSA_P256_SHA256, "p256");
	ck_assert_msg(kr_cert_verify_signature(ci, cr->f.spki, cr->f.spki_len,
	    &err) == KR_OK, "%s", err.msg);
	ck_assert_msg(kr_cert_verify_signature(cl, ci->f.spki, ci->f.spki_len,
	    &err) == KR_OK, "%s", err.msg);
	ck_assert_int_ne(kr_cert_verify_signature(cl, cr->f.spki,
	    cr->f.spki_len, &err), KR_OK);
	SH_OK("\"$OPENSSL\" verify -x509_strict -CAfile lroot.pem "
	    "-untrusted lint.pem lleaf.pem >/dev/null");
	SH_OK("\"$OPENSSL\" verify -x509_strict -CAfile lroot.pem lint.pem "
	    ">/dev/null");
	kr_cert_free(&cr);
	kr_cert_free(&ci);
	kr_cert_free(&cl);
	scen_free(root);
	scen_free(in);
	scen_free(leaf);
}
END_TEST

/* Mutations, each meant to raise one rule. */
static void
m_none(struct scen *s)
{
	(void)s;
}

static void m_input(struct scen *s) { s->no_profile = true; }
static void m_serial_neg(struct scen *s) { s->f.serial[0] = 0x80; }
static void m_serial_pad(struct scen *s) { s->f.serial[0] = 0x00; }
static void m_serial_long(struct scen *s) { s->f.serial_len = 21; }
static void m_serial_short(struct scen *s) { s->f.serial_len = 4; }
static void m_inverted(struct scen *s) { s->f.not_after = s->f.not_before; }
static void m_over_profile(struct scen *s) { s->p.max_days = 100; }
static void
m_outside_issuer(struct scen *s)
{
	s->f.not_after = f_root.not_after + 1;
	s->p.max_days = 8000;
}
static void m_backdated(struct scen *s) { s->f.not_before = now - 3600; }
static void
m_expired(struct scen *s)
{
	s->f.not_before = now - 7200;
	s->f.not_after = now - 1;
	s->p.backdate_max_seconds = 86400;
}
static void
m_long_tls(struct scen *s)
{
	s->f.not_after = s->f.not_before + 400 * 86400LL;
}
static void m_key_invalid(struct scen *s) { s->f.spki[s->f.spki_len - 1] ^= 1; }
static void m_key_alg(struct scen *s) { s->p.allow_p256 = false; }
static void
m_key_rsa(struct scen *s)
{
	set_key(&s->f, &k_rsa2048);
	s->p.allow_rsa = true;
}
static void
m_ca_rsa(struct scen *s)
{
	set_key(&s->f, &k_rsa2048);
	s->p.rsa_min_bits = 2048;
}
static void m_profile_root(struct scen *s) { s->p.self_signed = true; }
static void m_root_not_root(struct scen *s) { s->p.self_signed = false; }
static void
m_issuer_name(struct scen *s)
{
	tl_set_name(s->f.issuer, &s->f.issuer_len, "C=DE,O=Example,CN=Other");
}
static void
m_root_issuer(struct scen *s)
{
	tl_set_name(s->f.issuer, &s->f.issuer_len, "C=DE,O=Example,CN=Other");
}
static void m_issuer_not_ca(struct scen *s) { s->cc[0].f.bc_ca = false; }
static void
m_issuer_no_certsign(struct scen *s)
{
	s->cc[0].f.ku = KR_KU_CRL_SIGN;
}
static void m_no_signer(struct scen *s) { s->no_signer = true; }
static void m_bad_signer(struct scen *s) { s->signer.spki[10] ^= 0xff; }
static void m_other_signer(struct scen *s) { s->signer = k_other; }
static void m_root_other_signer(struct scen *s) { s->signer = k_other; }
static void m_sig_alg(struct scen *s) { s->f.sig_alg = KR_SIG_ED25519; }
static void m_no_aki(struct scen *s) { s->f.has_aki = false; }
static void m_aki(struct scen *s) { s->f.aki[0] ^= 1; }
static void m_no_ski(struct scen *s) { s->f.has_ski = false; }
static void m_no_bc(struct scen *s) { s->f.has_bc = false; }
static void m_bc_crit(struct scen *s) { s->f.bc_critical = false; }
static void
m_bc_ca(struct scen *s)
{
	s->f.bc_ca = false;
	s->f.bc_pathlen = -1;
}
static void m_no_ku(struct scen *s) { s->f.has_ku = false; }
static void m_ku_crit(struct scen *s) { s->f.ku_critical = false; }
static void m_ku_no_certsign(struct scen *s) { s->f.ku = KR_KU_CRL_SIGN; }
static void
m_ku_no_crlsign(struct scen *s)
{
	s->f.ku = KR_KU_KEY_CERT_SIGN;
}
static void
m_ca_empty_subject(struct scen *s)
{
	s->f.subject[0] = 0x30;
	s->f.subject[1] = 0x00;
	s->f.subject_len = 2;
}
/* The profile asks for it too, so only the warning is raised. */
static void
m_ca_eku(struct scen *s)
{
	s->f.has_eku = true;
	s->f.eku_count = 0;
	ADD_EKU(s->f.eku, &s->f.eku_count, KR_OID_KP_OCSP_SIGNING);
	ADD_EKU(s->p.eku, &s->p.eku_count, KR_OID_KP_OCSP_SIGNING);
}
static void
m_leaf_ca(struct scen *s)
{
	s->f.has_bc = s->f.bc_critical = s->f.bc_ca = true;
}
static void
m_leaf_certsign(struct scen *s)
{
	s->f.ku |= KR_KU_KEY_CERT_SIGN;
}
static void m_ku_profile(struct scen *s) { s->f.ku = KR_KU_DIGITAL_SIGNATURE; }
static void m_exhausted(struct scen *s) { s->cc[0].f.bc_pathlen = 0; }
static void m_too_deep(struct scen *s) { s->f.bc_pathlen = 1; }
static void m_no_pathlen(struct scen *s) { s->f.bc_pathlen = -1; }
static void
m_pathlen_no_ca(struct scen *s)
{
	s->f.has_bc = s->f.bc_critical = true;
	s->f.bc_ca = false;
	s->f.bc_pathlen = 0;
}
static void
m_eku_profile(struct scen *s)
{
	s->f.eku_count = 0;
	ADD_EKU(s->f.eku, &s->f.eku_count, KR_OID_KP_SERVER_AUTH);
}
static void
m_fw_no_codesign(struct scen *s)
{
	s->f.eku_count = 0;
	ADD_EKU(s->f.eku, &s->f.eku_count, KR_OID_KP_EMAIL);
}
static void
m_fw_no_email(struct scen *s)
{
	s->f.eku_count = 1;
	s->p.eku_count = 1;
}
static void
m_eku_any(struct scen *s)
{
	ADD_EKU(s->f.eku, &s->f.eku_count, KR_OID_ANY_EKU);
	ADD_EKU(s->p.eku, &s->p.eku_count, KR_OID_ANY_EKU);
}
static void
m_nc_subject(struct scen *s)
{
	tl_set_name(s->f.subject, &s->f.subject_len,
	    "C=DE,O=Elsewhere,CN=Lint Issuing CA");
}
static void
m_nc_san(struct scen *s)
{
	s->f.san[s->f.san_count++] = gn("dns:www.bad.example.com", false);
}
static void
m_nc_san_email(struct scen *s)
{
	s->f.san[s->f.san_count++] = gn("email:dev1@example.org", false);
}
static void
m_nc_leaf(struct scen *s)
{
	s->f.has_nc = true;
	s->f.nc_permitted[0] = gn("dns:example.com", true);
	s->f.nc_permitted_count = 1;
}
static void
m_san_int(struct scen *s)
{
	s->f.has_san = true;
	s->f.san[0] = gn("dns:ca.example.com", false);
	s->f.san_count = 1;
}
static void
m_leaf_anon(struct scen *s)
{
	m_ca_empty_subject(s);
	s->f.has_san = false;
	s->f.san_count = 0;
}

/* TBS byte changes, after building. */
static void
t_truncate(struct scen *s)
{
	s->tbs_len--;
}

static void
t_change_subject(struct scen *s)
{
	long	at = FIND(s->tbs, s->tbs_len, "Lint Issuing CA");

	ck_assert_int_gt(at, 0);
	s->tbs[at] = 'M';
}

/* subjectKeyIdentifier renamed keyUsage. */
static void
t_duplicate(struct scen *s)
{
	replace_all(s->tbs, s->tbs_len, "\x06\x03\x55\x1d\x0e",
	    "\x06\x03\x55\x1d\x0f", 5);
}

/* basicConstraints (critical) renamed 2.5.29.127. */
static void
t_unknown_critical(struct scen *s)
{
	replace_all(s->tbs, s->tbs_len, "\x06\x03\x55\x1d\x13",
	    "\x06\x03\x55\x1d\x7f", 5);
}

/* The critical flag of nameConstraints dropped. */
static void
t_nc_not_critical(struct scen *s)
{
	long	 at;
	uint8_t	*out;
	size_t	 len;

	at = FIND(s->tbs, s->tbs_len, "\x06\x03\x55\x1d\x1e\x01\x01");
	out = drop_element(s->tbs, s->tbs_len, at + 5, &len);
	free(s->tbs);
	s->tbs = out;
	s->tbs_len = len;
}

/*
 * Names a person reads: a one-RDN Name whose CN has the string type `tag`
 * and the raw value bytes v (so the fields carry what --subject refuses).
 */
static void
raw_cn(uint8_t *out, size_t *outlen, uint8_t tag, const char *v, size_t vl)
{
	static const uint8_t	cn[] = { 0x06, 0x03, 0x55, 0x04, 0x03 };
	size_t			atav = sizeof(cn) + 2 + vl;

	ck_assert_uint_lt(vl, 100);
	out[0] = 0x30;
	out[1] = (uint8_t)(atav + 4);
	out[2] = 0x31;
	out[3] = (uint8_t)(atav + 2);
	out[4] = 0x30;
	out[5] = (uint8_t)atav;
	memcpy(out + 6, cn, sizeof(cn));
	out[6 + sizeof(cn)] = tag;
	out[7 + sizeof(cn)] = (uint8_t)vl;
	memcpy(out + 8 + sizeof(cn), v, vl);
	*outlen = 8 + sizeof(cn) + vl;
}
#define RAW_CN(s, tag, lit)	raw_cn((s)->f.subject, &(s)->f.subject_len, \
				    (tag), (lit), sizeof(lit) - 1)
static void m_name_esc(struct scen *s) { RAW_CN(s, 0x0c, "dev\x1b[2Jice"); }
static void m_name_bel(struct scen *s) { RAW_CN(s, 0x0c, "dev\aice"); }
static void m_name_del(struct scen *s) { RAW_CN(s, 0x0c, "dev\x7fice"); }
static void m_name_c1(struct scen *s) { RAW_CN(s, 0x0c, "dev\xc2\x9bice"); }
static void m_name_rlo(struct scen *s) { RAW_CN(s, 0x0c, "\xe2\x80\xaegnp.exe"); }
static void m_name_lri(struct scen *s) { RAW_CN(s, 0x0c, "a\xe2\x81\xa6" "b"); }
static void m_name_utf8(struct scen *s) { RAW_CN(s, 0x0c, "dev\xff"); }
static void m_name_bmp(struct scen *s) { RAW_CN(s, 0x1e, "\x00" "a\x20\x2e"); }
static void m_name_bmp_odd(struct scen *s) { RAW_CN(s, 0x1e, "\x00" "a\x00"); }
static void
m_name_univ(struct scen *s)
{
	RAW_CN(s, 0x1c, "\x00\x00\x00" "a\x00\x00\x00\x1b");
}
static void m_name_t61(struct scen *s) { RAW_CN(s, 0x14, "dev\x9bice"); }
static void m_name_ia5(struct scen *s) { RAW_CN(s, 0x16, "dev\rice"); }
static void
m_san_dirname(struct scen *s)
{
	struct kr_gn	*g = &s->f.san[s->f.san_count++];

	g->type = KR_GN_DIRNAME;
	raw_cn(g->value, &g->len, 0x0c, "ok\x07", 3);
	s->f.has_san = true;
	s->p.san_allowed = true;
}
/* The fields are clean; the TBS bytes read back are not. */
static void
t_name_control(struct scen *s)
{
	long	at = FIND(s->tbs, s->tbs_len, "Lint Issuing CA");

	ck_assert_int_gt(at, 0);
	s->tbs[at + 4] = 0x1b;
}

static const struct lint_case {
	const char	*rule;
	enum base	 base;
	void		(*mutate)(struct scen *);
	void		(*tbs)(struct scen *);
} lint_cases[] = {
	{ "e_lint_input_incomplete", B_INT, m_input, NULL },
	{ "e_tbs_malformed", B_INT, m_none, t_truncate },
	{ "e_tbs_fields_mismatch", B_INT, m_none, t_change_subject },
	{ "e_ext_duplicate", B_INT, m_none, t_duplicate },
	{ "e_ext_unknown_critical", B_INT, m_none, t_unknown_critical },
	{ "e_serial_not_positive", B_INT, m_serial_neg, NULL },
	{ "e_serial_not_minimal", B_INT, m_serial_pad, NULL },
	{ "e_serial_too_long", B_LEAF, m_serial_long, NULL },
	{ "w_serial_short", B_LEAF, m_serial_short, NULL },
	{ "e_validity_inverted", B_INT, m_inverted, NULL },
	{ "e_validity_over_profile", B_INT, m_over_profile, NULL },
	{ "e_validity_outside_issuer", B_INT, m_outside_issuer, NULL },
	{ "e_validity_backdated", B_LEAF, m_backdated, NULL },
	{ "e_validity_expired", B_LEAF, m_expired, NULL },
	{ "w_validity_long_tls_leaf", B_LEAF, m_long_tls, NULL },
	{ "e_key_invalid", B_LEAF, m_key_invalid, NULL },
	{ "e_key_alg_not_allowed", B_INT, m_key_alg, NULL },
	{ "e_key_rsa_too_small", B_LEAF, m_key_rsa, NULL },
	{ "e_ca_key_rsa_below_3072", B_INT, m_ca_rsa, NULL },
	{ "e_chain_profile_mismatch", B_INT, m_profile_root, NULL },
	{ "e_chain_profile_mismatch", B_ROOT, m_root_not_root, NULL },
	{ "e_issuer_name_mismatch", B_INT, m_issuer_name, NULL },
	{ "e_issuer_name_mismatch", B_ROOT, m_root_issuer, NULL },
	{ "e_issuer_not_ca", B_LEAF, m_issuer_not_ca, NULL },
	{ "e_issuer_no_keycertsign", B_LEAF, m_issuer_no_certsign, NULL },
	{ "e_signing_key_invalid", B_INT, m_no_signer, NULL },
	{ "e_signing_key_invalid", B_INT, m_bad_signer, NULL },
	{ "e_signing_key_not_issuer", B_INT, m_other_signer, NULL },
	{ "e_signing_key_not_issuer", B_ROOT, m_root_other_signer, NULL },
	{ "e_sig_alg_key_mismatch", B_INT, m_sig_alg, NULL },
	{ "e_aki_missing", B_INT, m_no_aki, NULL },
	{ "e_aki_mismatch", B_LEAF, m_aki, NULL },
	{ "e_ca_ski_missing", B_INT, m_no_ski, NULL },
	{ "e_ca_bc_missing", B_INT, m_no_bc, NULL },
	{ "e_ca_bc_not_critical", B_INT, m_bc_crit, NULL },
	{ "e_ca_bc_not_ca", B_INT, m_bc_ca, NULL },
	{ "e_ca_ku_missing", B_INT, m_no_ku, NULL },
	{ "e_ca_ku_not_critical", B_ROOT, m_ku_crit, NULL },
	{ "e_ca_ku_no_keycertsign", B_INT, m_ku_no_certsign, NULL },
	{ "e_ca_ku_no_crlsign", B_INT, m_ku_no_crlsign, NULL },
	{ "e_ca_subject_empty", B_INT, m_ca_empty_subject, NULL },
	{ "w_ca_has_eku", B_INT, m_ca_eku, NULL },
	{ "e_leaf_is_ca", B_LEAF, m_leaf_ca, NULL },
	{ "e_leaf_ku_cert_sign", B_FW, m_leaf_certsign, NULL },
	{ "e_ku_profile_mismatch", B_LEAF, m_ku_profile, NULL },
	{ "e_pathlen_issuer_exhausted", B_INT, m_exhausted, NULL },
	{ "e_pathlen_too_deep", B_INT, m_too_deep, NULL },
	{ "e_pathlen_too_deep", B_INT, m_no_pathlen, NULL },
	{ "e_pathlen_without_ca", B_LEAF, m_pathlen_no_ca, NULL },
	{ "e_eku_profile_mismatch", B_LEAF, m_eku_profile, NULL },
	{ "e_eku_firmware_no_codesigning", B_FW, m_fw_no_codesign, NULL },
	{ "w_eku_firmware_no_email_protection", B_FW, m_fw_no_email, NULL },
	{ "w_eku_any", B_LEAF, m_eku_any, NULL },
	{ "e_nc_subject_outside", B_INT, m_nc_subject, NULL },
	{ "e_nc_san_outside", B_LEAF, m_nc_san, NULL },
	{ "e_nc_san_outside", B_LEAF, m_nc_san_email, NULL },
	{ "e_nc_not_critical", B_ROOT, m_none, t_nc_not_critical },
	{ "e_nc_on_leaf", B_LEAF, m_nc_leaf, NULL },
	{ "e_san_not_allowed", B_INT, m_san_int, NULL },
	{ "e_subject_empty_no_san", B_LEAF, m_leaf_anon, NULL },
	{ "e_name_control_char", B_LEAF, m_name_esc, NULL },
	{ "e_name_control_char", B_LEAF, m_name_bel, NULL },
	{ "e_name_control_char", B_LEAF, m_name_del, NULL },
	{ "e_name_control_char", B_LEAF, m_name_c1, NULL },
	{ "e_name_control_char", B_INT, m_name_rlo, NULL },
	{ "e_name_control_char", B_LEAF, m_name_lri, NULL },
	{ "e_name_control_char", B_LEAF, m_name_utf8, NULL },
	{ "e_name_control_char", B_LEAF, m_name_bmp, NULL },
	{ "e_name_control_char", B_LEAF, m_name_bmp_odd, NULL },
	{ "e_name_control_char", B_LEAF, m_name_univ, NULL },
	{ "e_name_control_char", B_LEAF, m_name_t61, NULL },
	{ "e_name_control_char", B_LEAF, m_name_ia5, NULL },
	{ "e_name_control_char", B_LEAF, m_san_dirname, NULL },
	{ "e_name_control_char", B_INT, m_none, t_name_control },
};

#define NLINT_CASES	(sizeof(lint_cases) / sizeof(lint_cases[0]))

static size_t
rule_index(const char *id)
{
	size_t	i;

	for (i = 0; i < kr_lint_rule_count(); i++)
		if (strcmp(kr_lint_rule_id(i), id) == 0)
			return i;
	ck_abort_msg("no rule %s in the table", id);
	return 0;
}

START_TEST(test_lint_rule)
{
	const struct lint_case	*lc = &lint_cases[_i];
	struct scen		*s = scen_new(lc->base);
	struct kr_lint_report	 r;
	size_t			 i, errors = 0, warnings = 0, idx;

	idx = rule_index(lc->rule);
	lc->mutate(s);
	scen_build(s);
	if (lc->tbs != NULL) {
		ck_assert_ptr_nonnull(s->tbs);
		lc->tbs(s);
	}
	scen_lint(s, &r);
	ck_assert_msg(has_finding(&r, lc->rule), "case %d: %s not raised:%s",
	    _i, lc->rule, report_str(&r));
	for (i = 0; i < r.count; i++) {
		ck_assert(r.f[i].msg[0] != '\0');
		if (strcmp(r.f[i].id, lc->rule) == 0)
			ck_assert_int_eq(r.f[i].level,
			    kr_lint_rule_level(idx));
		if (r.f[i].level == KR_LINT_ERROR)
			errors++;
		else
			warnings++;
	}
	ck_assert_uint_eq(r.errors, errors);
	ck_assert_uint_eq(r.warnings, warnings);
	/* a warning case raises no error unless the change forces one */
	if (lc->rule[0] == 'w')
		ck_assert_msg(r.errors == 0, "case %d: %s", _i,
		    report_str(&r));
	scen_free(s);
}
END_TEST

static const char *
finding_msg(const struct kr_lint_report *r, const char *id)
{
	size_t	i;

	for (i = 0; i < r->count; i++)
		if (strcmp(r->f[i].id, id) == 0)
			return r->f[i].msg;
	return NULL;
}

static void
m_name_clean_utf8(struct scen *s)
{
	RAW_CN(s, 0x0c, "M\xc3\xbcller \xe6\x9d\xb1\xe4\xba\xac");
}
static void m_name_clean_bmp(struct scen *s) { RAW_CN(s, 0x1e, "\x00M\x00\xfc"); }

/* What the finding says; NULL: printable names raise nothing. */
static const struct name_case {
	enum base	 base;
	void		(*mutate)(struct scen *);
	void		(*tbs)(struct scen *);
	const char	*says;
} name_cases[] = {
	{ B_LEAF, m_name_rlo, NULL, "the subject: attribute CN holds the "
	    "bidirectional control U+202E" },
	{ B_LEAF, m_name_t61, NULL, "control character U+009B" },
	{ B_LEAF, m_name_bmp_odd, NULL, "not a valid BMPString" },
	{ B_LEAF, m_name_univ, NULL, "control character U+001B" },
	{ B_LEAF, m_san_dirname, NULL, "subjectAltName 4: attribute CN "
	    "holds the control character U+0007" },
	/* only the TBS bytes carry it, and the finding says so */
	{ B_INT, m_none, t_name_control, "in the TBS bytes, the subject: "
	    "attribute CN holds the control character U+001B" },
	{ B_LEAF, m_name_clean_utf8, NULL, NULL },
	{ B_LEAF, m_name_clean_bmp, NULL, NULL },
};

#define NNAME_CASES	(sizeof(name_cases) / sizeof(name_cases[0]))

START_TEST(test_lint_name_text)
{
	const struct name_case	*nc = &name_cases[_i];
	struct scen		*s = scen_new(nc->base);
	struct kr_lint_report	 r;
	const char		*m;

	nc->mutate(s);
	scen_build(s);
	if (nc->tbs != NULL)
		nc->tbs(s);
	scen_lint(s, &r);
	m = finding_msg(&r, "e_name_control_char");
	if (nc->says == NULL)
		ck_assert_msg(m == NULL, "case %d:%s", _i, report_str(&r));
	else
		ck_assert_msg(m != NULL && strstr(m, nc->says) != NULL,
		    "case %d: want \"%s\":%s", _i, nc->says, report_str(&r));
	if (nc->tbs != NULL)
		ck_assert(has_finding(&r, "e_tbs_fields_mismatch"));
	scen_free(s);
}
END_TEST

/* The rules of a CRL's scope, checked against one certificate it covers. */
static const char *const crl_lint_rules[] = {
	"e_crl_idp_not_in_cdp", "e_crl_only_user_covers_ca",
	"e_crl_only_ca_covers_leaf",
};

static const char *
crl_lint(const struct kr_crl_fields *crl, const struct kr_cert *c,
    const char *id)
{
	static struct kr_lint_report	r;

	memset(&r, 0, sizeof(r));
	kr_lint_crl_cert(crl, c, &r);
	if (id == NULL) {
		ck_assert_msg(r.errors == 0, "%s", report_str(&r));
		return NULL;
	}
	ck_assert_msg(r.errors == 1 && has_finding(&r, id), "want %s:%s", id,
	    report_str(&r));
	return finding_msg(&r, id);
}

/* TEST-KEY-401 */
START_TEST(test_lint_crl_scope)
{
	struct kr_crl_fields	 crl;
	struct kr_cert		*c = calloc(1, sizeof(*c));
	const char		*m;

	ck_assert_ptr_nonnull(c);
	memset(&crl, 0, sizeof(crl));
	c->f.serial[0] = 0x42;
	c->f.serial_len = 1;
	c->f.has_crldp = true;
	c->f.crldp_count = 2;
	strcpy(c->f.crldp[0], "ldap://dir.example.com/cn=issuing");
	strcpy(c->f.crldp[1], "http://pki.example.com/issuing.crl");
	crl.has_idp = true;
	crl.idp_only_user = true;
	strcpy(crl.idp_uri, "http://pki.example.com/issuing.crl");
	(void)crl_lint(&crl, c, NULL);
	strcpy(crl.idp_uri, "http://pki.example.com/root.crl");
	m = crl_lint(&crl, c, "e_crl_idp_not_in_cdp");
	ck_assert_msg(strstr(m, "certificate 42 ") != NULL &&
	    strstr(m, "root.crl") != NULL, "%s", m);
	c->f.has_crldp = false;
	m = crl_lint(&crl, c, "e_crl_idp_not_in_cdp");
	ck_assert_ptr_nonnull(strstr(m, "names no CRL distribution point"));
	crl.idp_uri[0] = '\0';
	(void)crl_lint(&crl, c, NULL);
	c->f.has_bc = c->f.bc_ca = true;
	(void)crl_lint(&crl, c, "e_crl_only_user_covers_ca");
	crl.idp_only_user = false;
	crl.idp_only_ca = true;
	(void)crl_lint(&crl, c, NULL);
	c->f.bc_ca = false;
	(void)crl_lint(&crl, c, "e_crl_only_ca_covers_leaf");
	crl.has_idp = false;
	(void)crl_lint(&crl, c, NULL);
	free(c);
}
END_TEST

/* Every rule in the table has a case above, and no case is for nothing. */
START_TEST(test_lint_table)
{
	size_t		i, k, n = kr_lint_rule_count();
	const char	*id;
	bool		found;

	ck_assert_uint_ge(n, 40);
	for (i = 0; i < n; i++) {
		id = kr_lint_rule_id(i);
		ck_assert_ptr_nonnull(id);
		ck_assert_msg(strlen(id) < sizeof(((struct kr_lint_finding *)0)
		    ->id), "%s", id);
		ck_assert(kr_lint_rule_summary(i) != NULL &&
		    kr_lint_rule_summary(i)[0] != '\0');
		ck_assert_int_eq(id[0] == 'e' ? KR_LINT_ERROR : KR_LINT_WARN,
		    kr_lint_rule_level(i));
		ck_assert(id[1] == '_');
		for (k = 0; k < i; k++)
			ck_assert_str_ne(kr_lint_rule_id(k), id);
		for (found = false, k = 0; k < NLINT_CASES && !found; k++)
			found = strcmp(lint_cases[k].rule, id) == 0;
		for (k = 0; k < sizeof(crl_lint_rules) /
		    sizeof(crl_lint_rules[0]) && !found; k++)
			found = strcmp(crl_lint_rules[k], id) == 0;
		ck_assert_msg(found, "rule %s has no test case", id);
	}
	ck_assert_ptr_null(kr_lint_rule_id(n));
	ck_assert_ptr_null(kr_lint_rule_summary(n));
	for (k = 0; k < NLINT_CASES; k++)
		(void)rule_index(lint_cases[k].rule);
}
END_TEST

/* The report keeps counting after its 64 slots are full. */
START_TEST(test_lint_many)
{
	struct scen		*s = scen_new(B_INT);
	struct kr_lint_report	 r;

	memset(&s->f, 0, sizeof(s->f));
	s->f.serial_len = 21;
	s->f.has_eku = true;
	s->p.self_signed = true;
	s->no_signer = true;
	s->cc[0].f.bc_ca = false;
	s->cc[0].f.has_ku = true;
	scen_build(s);
	scen_lint(s, &r);
	ck_assert_uint_ge(r.errors, 10);
	ck_assert_uint_le(r.count, 64);
	ck_assert_uint_eq(r.errors + r.warnings >= r.count, true);
	kr_lint_run(NULL, &r);
	ck_assert(has_finding(&r, "e_lint_input_incomplete"));
	ck_assert_uint_eq(r.errors, 1);
	scen_free(s);
}
END_TEST

/* docs/lint.md lists every rule with its level, and no rule it lacks. */
START_TEST(test_lint_doc)
{
	uint8_t		*doc;
	size_t		 len, i, n = kr_lint_rule_count();
	char		 want[128], *p, *q, *line;
	FILE		*fp;
	long		 sz;

	ck_assert_msg(lint_md != NULL, "no path to docs/lint.md given");
	fp = fopen(lint_md, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", lint_md);
	fseek(fp, 0, SEEK_END);
	sz = ftell(fp);
	rewind(fp);
	doc = calloc(1, (size_t)sz + 1);
	ck_assert_ptr_nonnull(doc);
	len = fread(doc, 1, (size_t)sz, fp);
	fclose(fp);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "| `%s` | %s |",
		    kr_lint_rule_id(i), kr_lint_rule_level(i) ==
		    KR_LINT_ERROR ? "error" : "warning");
		ck_assert_msg(strstr((char *)doc, want) != NULL,
		    "docs/lint.md has no row \"%s\"", want);
	}
	/* every table row names a rule that exists */
	for (line = (char *)doc; line != NULL && line < (char *)doc + len;
	    line = (p = strchr(line, '\n')) != NULL ? p + 1 : NULL) {
		if (strncmp(line, "| `", 3) != 0)
			continue;
		q = strchr(line + 3, '`');
		ck_assert_ptr_nonnull(q);
		snprintf(want, sizeof(want), "%.*s", (int)(q - line - 3),
		    line + 3);
		(void)rule_index(want);
	}
	free(doc);
}
END_TEST

/* ---------------------------------------------------------------------
 * Name constraints
 */

static struct kr_cert_fields	nc_ca;

static void
nc_setup(void)
{
	static const char *const permitted[] = {
		"dns:example.com", "dns:.corp.example.net",
		"email:.example.com", "email:ops@example.org",
		"email:example.net", "ip:10.0.0.0/8", "ip:2001:db8::/32",
		"dirname:C=DE,O=Example", "uri:.example.com",
		"uri:host.example.org",
	};
	static const char *const excluded[] = {
		"dns:bad.example.com", "ip:10.66.0.0/16",
		"email:bad@example.org",
	};
	size_t	i;

	memset(&nc_ca, 0, sizeof(nc_ca));
	nc_ca.has_nc = true;
	for (i = 0; i < sizeof(permitted) / sizeof(permitted[0]); i++)
		nc_ca.nc_permitted[nc_ca.nc_permitted_count++] =
		    gn(permitted[i], true);
	for (i = 0; i < sizeof(excluded) / sizeof(excluded[0]); i++)
		nc_ca.nc_excluded[nc_ca.nc_excluded_count++] =
		    gn(excluded[i], true);
}

static const struct nc_case {
	const char	*name;
	bool		 permitted;
} nc_cases[] = {
	/* DNS: the name itself and names with more labels on the left */
	{ "dns:example.com", true },
	{ "dns:www.example.com", true },
	{ "dns:a.b.EXAMPLE.com", true },
	{ "dns:*.example.com", true },
	{ "dns:badexample.com", false },
	{ "dns:example.com.evil.org", false },
	{ "dns:bad.example.com", false },
	{ "dns:x.bad.example.com", false },
	{ "dns:notbad.example.com", true },
	{ "dns:corp.example.net", false },
	{ "dns:a.corp.example.net", true },
	{ "dns:example.org", false },
	/* email: ".domain" hosts below, "host" exactly, "a@host" one mailbox */
	{ "email:ops@dev.example.com", true },
	{ "email:ops@example.com", false },
	{ "email:ops@example.org", true },
	{ "email:OPS@example.org", false },
	{ "email:dev@example.org", false },
	{ "email:bad@example.org", false },
	{ "email:x@example.net", true },
	{ "email:x@sub.example.net", false },
	/* IP addresses with masks; the other family is not constrained by v4 */
	{ "ip:10.1.2.3", true },
	{ "ip:10.66.1.1", false },
	{ "ip:11.0.0.1", false },
	{ "ip:2001:db8::1", true },
	{ "ip:2001:db9::1", false },
	/* directoryName: the constraint's RDNs first */
	{ "dirname:C=DE,O=Example,CN=dev1", true },
	{ "dirname:C=DE,O=Example", true },
	{ "dirname:C=DE,O=Other,CN=dev1", false },
	{ "dirname:C=DE", false },
	{ "dirname:O=Example,C=DE,CN=dev1", false },
	/* URI: the host; ".domain" hosts below, "host" exactly */
	{ "uri:https://www.example.com/fw.bin", true },
	{ "uri:https://user@www.example.com:8443/x?y", true },
	{ "uri:https://example.com/", false },
	{ "uri:https://host.example.org/", true },
	{ "uri:https://sub.host.example.org/", false },
	{ "uri:https://www.example.com.evil.org/", false },
	{ "uri:urn:example:thing", false },
};

#define NNC_CASES	(sizeof(nc_cases) / sizeof(nc_cases[0]))

START_TEST(test_nc_permits)
{
	const struct nc_case	*c = &nc_cases[_i];
	struct kr_gn		 g = gn(c->name, false);

	ck_assert_msg(kr_nc_permits(&nc_ca, &g) == c->permitted, "%s: want %s",
	    c->name, c->permitted ? "permitted" : "refused");
}
END_TEST

START_TEST(test_nc_no_constraints)
{
	struct kr_cert_fields	none;
	struct kr_gn		g = gn("dns:anything.example", false);

	memset(&none, 0, sizeof(none));
	ck_assert(kr_nc_permits(&none, &g));
	/* constraints of other kinds only: a DNS name is free */
	none.has_nc = true;
	none.nc_permitted[0] = gn("ip:10.0.0.0/8", true);
	none.nc_permitted_count = 1;
	ck_assert(kr_nc_permits(&none, &g));
	g = gn("ip:192.168.1.1", false);
	ck_assert(!kr_nc_permits(&none, &g));
	ck_assert(!kr_nc_permits(NULL, &g));
	ck_assert(!kr_nc_permits(&none, NULL));
}
END_TEST

/* ---------------------------------------------------------------------
 * Suite
 */

static Suite *
x509_parse_suite(void)
{
	Suite	*s = suite_create("x509-parse");
	TCase	*tc;

	tc = tcase_create("csr");
	tcase_add_test(tc, test_dn_value);
	tcase_add_loop_test(tc, test_csr_algorithms, 0, 4);
	tcase_add_test(tc, test_csr_extension_request);
	tcase_add_test(tc, test_csr_new_label);
	tcase_add_test(tc, test_csr_ecdsa_hash_mix);
	tcase_add_test(tc, test_csr_altered);
	tcase_add_test(tc, test_csr_truncated);
	tcase_add_test(tc, test_csr_trailing_oversize_garbage);
	tcase_add_test(tc, test_csr_unknown_sig_oid);
	tcase_add_test(tc, test_csr_sig_alg_relabelled);
	suite_add_tcase(s, tc);
	tc = tcase_create("cert");
	tcase_add_test(tc, test_cert_root);
	tcase_add_test(tc, test_cert_signatures);
	tcase_add_loop_test(tc, test_cert_algorithms, 0, 9);
	tcase_add_test(tc, test_cert_pss_salt_refused);
	tcase_add_test(tc, test_cert_generalized_time);
	tcase_add_test(tc, test_cert_unknown_critical);
	tcase_add_test(tc, test_cert_refusals);
	tcase_add_test(tc, test_cert_v1_and_serials);
	suite_add_tcase(s, tc);
	tc = tcase_create("lint");
	tcase_add_checked_fixture(tc, make_lint_fields, NULL);
	tcase_add_test(tc, test_lint_clean);
	tcase_add_test(tc, test_lint_clean_chain_verifies);
	tcase_add_loop_test(tc, test_lint_rule, 0, (int)NLINT_CASES);
	tcase_add_test(tc, test_lint_table);
	tcase_add_test(tc, test_lint_crl_scope);
	tcase_add_loop_test(tc, test_lint_name_text, 0, (int)NNAME_CASES);
	tcase_add_test(tc, test_lint_many);
	tcase_add_test(tc, test_lint_doc);
	suite_add_tcase(s, tc);
	tc = tcase_create("nc");
	tcase_add_checked_fixture(tc, nc_setup, NULL);
	tcase_add_loop_test(tc, test_nc_permits, 0, (int)NNC_CASES);
	tcase_add_test(tc, test_nc_no_constraints);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	int	ret;

	if (argc > 1)
		openssl = argv[1];
	if (argc > 2)
		lint_md = argv[2];
	/* the commands name it "$OPENSSL" */
	if (setenv("OPENSSL", openssl, 1) != 0 ||
	    tl_work_begin("x509-parse") == NULL)
		return 1;
	now = kr_time_now();
	if (make_keys() != 0 || make_certs() != 0) {
		fprintf(stderr, "could not make the test keys with %s\n",
		    openssl);
		tl_work_end();
		return 1;
	}
	ret = tl_run(x509_parse_suite(), NULL);
	tl_work_end();
	return ret;
}
