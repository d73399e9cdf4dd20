/*
 * x509 builder: DER reader and writer helpers, Distinguished Names, OIDs,
 * general names, signature AlgorithmIdentifiers, the TBSCertificate and
 * the Certificate.
 *
 * Keys are made at run time, never committed: one sealed key of each
 * algorithm is generated in main() through the keystore, and the golden
 * tests derive theirs from fixed seeds (Ed25519 from SHA-256 of a string,
 * RSA-3072 from mbedtls_rsa_gen_key over an HMAC_DRBG with a fixed seed).
 * Certificates are checked with openssl (path in argv[1]): x509 -text,
 * asn1parse -strparse on every extension value, verify -x509_strict.
 *
 * KEYRITE_GOLDEN_WRITE=DIR writes the golden certificates into DIR instead
 * of comparing them (see test/vectors/golden/README.md).
 *
 * TEST-KEY-023 (docs/traceability.md): these tests as a whole.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/hmac_drbg.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha1.h>

#include <keyrite/keystore.h>
#include <keyrite/x509.h>

#include "keystore_int.h"
#include "testpki.h"
#include "x509_int.h"

#define NKEYS	4

static const enum kr_key_alg key_algs[NKEYS] = {
	KR_KEY_P256, KR_KEY_P384, KR_KEY_RSA3072, KR_KEY_ED25519,
};

static struct kr_signer	*signers[NKEYS];
static char		 keyerr[NKEYS][KR_ERR_MSG_MAX];
static const char	*openssl = "openssl";

/* --- helpers ------------------------------------------------------------ */

static struct kr_signer *
signer_for(enum kr_key_alg alg)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (key_algs[i] == alg) {
			ck_assert_msg(signers[i] != NULL, "key %s: %s",
			    kr_key_alg_name(alg), keyerr[i]);
			return signers[i];
		}
	ck_abort_msg("no key %d", (int)alg);
	return NULL;
}

static uint8_t *
dn(const char *s, size_t *len)
{
	struct kr_err	 err;
	uint8_t		*der = NULL;

	kr_err_clear(&err);
	ck_assert_msg(kr_dn_encode(s, &der, len, &err) == KR_OK, "%s: %s", s,
	    err.msg);
	return der;
}

static void
gn(struct kr_gn *g, const char *s, bool constraint)
{
	struct kr_err	err;

	kr_err_clear(&err);
	ck_assert_msg(kr_gn_parse(s, constraint, g, &err) == KR_OK, "%s: %s",
	    s, err.msg);
}

static void
oid(struct kr_oid *o, const char *s)
{
	struct kr_err	err;

	kr_err_clear(&err);
	ck_assert_msg(kr_oid_parse(s, o, &err) == KR_OK, "%s: %s", s, err.msg);
}

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct kr_tm	tm = { y, mo, d, h, mi, s };
	int64_t		t;

	ck_assert_int_eq(kr_tm_to_time(&tm, &t), KR_OK);
	return t;
}

static void
hexbytes(const char *hex, uint8_t *out, size_t *len)
{
	*len = strlen(hex) / 2;
	ck_assert_int_eq(kr_hex_decode(out, *len, hex), KR_OK);
}

/* --- strict DER reader ---------------------------------------------------- */

/* Whether `hex` reads as one element of `tag` and nothing more. */
static int
read_one(const char *hex, uint8_t tag)
{
	uint8_t		b[64];
	size_t		len;
	struct kr_der	d;
	struct kr_slice	c;

	hexbytes(hex, b, &len);
	kr_der_init(&d, b, len);
	if (kr_der_get(&d, tag, &c) != KR_OK)
		return KR_EINPUT;
	return kr_der_done(&d);
}

START_TEST(test_der_lengths)
{
	ck_assert_int_eq(read_one("0403616263", 0x04), KR_OK);
	ck_assert_int_eq(read_one("0400", 0x04), KR_OK);
	/* long form for a short length, leading zero, indefinite */
	ck_assert_int_eq(read_one("048103616263", 0x04), KR_EINPUT);
	ck_assert_int_eq(read_one("04820003616263", 0x04), KR_EINPUT);
	ck_assert_int_eq(read_one("3080040100" "0000", 0x30), KR_EINPUT);
	/* length past the end, trailing byte, wrong tag, high tag number */
	ck_assert_int_eq(read_one("0405616263", 0x04), KR_EINPUT);
	ck_assert_int_eq(read_one("0403616263" "00", 0x04), KR_EINPUT);
	ck_assert_int_eq(read_one("0403616263", 0x0c), KR_EINPUT);
	ck_assert_int_eq(read_one("1f2101ff", 0x1f), KR_EINPUT);
	ck_assert_int_eq(read_one("04", 0x04), KR_EINPUT);
}
END_TEST

START_TEST(test_der_long_length)
{
	uint8_t		b[300];
	struct kr_der	d;
	struct kr_slice	c, w;

	memset(b, 0x41, sizeof(b));
	b[0] = 0x04;
	b[1] = 0x81;
	b[2] = 200;
	kr_der_init(&d, b, 203);
	ck_assert_int_eq(kr_der_get_whole(&d, 0x04, &c, &w), KR_OK);
	ck_assert_uint_eq(c.len, 200);
	ck_assert_uint_eq(w.len, 203);
	ck_assert(c.p == b + 3);
	ck_assert(kr_der_at_end(&d));
	b[1] = 0x82;
	b[2] = 0x00;
	b[3] = 200;
	kr_der_init(&d, b, 204);
	ck_assert_int_eq(kr_der_get(&d, 0x04, &c), KR_EINPUT);
	/* the reader is left where it was */
	ck_assert(d.p == b);
}
END_TEST

START_TEST(test_der_values)
{
	uint8_t		b[64];
	size_t		len;
	struct kr_der	d;
	struct kr_slice	c;
	struct kr_oid	o;
	unsigned	unused;
	bool		v;
	int		n;

#define RD(hex)	(hexbytes((hex), b, &len), kr_der_init(&d, b, len))
	RD("0101ff");
	ck_assert_int_eq(kr_der_get_bool(&d, &v), KR_OK);
	ck_assert(v);
	RD("010101");
	ck_assert_int_eq(kr_der_get_bool(&d, &v), KR_EINPUT);
	RD("02020080");
	ck_assert_int_eq(kr_der_get_integer(&d, &c), KR_OK);
	RD("02020001");
	ck_assert_int_eq(kr_der_get_integer(&d, &c), KR_EINPUT);
	RD("0202ff80");
	ck_assert_int_eq(kr_der_get_integer(&d, &c), KR_EINPUT);
	RD("0200");
	ck_assert_int_eq(kr_der_get_integer(&d, &c), KR_EINPUT);
	RD("0201ff");
	ck_assert_int_eq(kr_der_get_small_int(&d, &n), KR_EINPUT);
	RD("02020100");
	ck_assert_int_eq(kr_der_get_small_int(&d, &n), KR_OK);
	ck_assert_int_eq(n, 256);
	RD("03020106");
	ck_assert_int_eq(kr_der_get_bitstring(&d, &c, &unused), KR_OK);
	ck_assert_uint_eq(unused, 1);
	ck_assert_uint_eq(c.len, 1);
	RD("03020107");		/* an unused bit is set */
	ck_assert_int_eq(kr_der_get_bitstring(&d, &c, &unused), KR_EINPUT);
	RD("030101");
	ck_assert_int_eq(kr_der_get_bitstring(&d, &c, &unused), KR_EINPUT);
	RD("06032b6570");
	ck_assert_int_eq(kr_der_get_oid(&d, &o), KR_OK);
	ck_assert(KR_OID_IS(&o, KR_OID_ED25519));
	RD("06032b8001");	/* subidentifier with a leading 0x80 */
	ck_assert_int_eq(kr_der_get_oid(&d, &o), KR_EINPUT);
	RD("06022b85");		/* ends inside a subidentifier */
	ck_assert_int_eq(kr_der_get_oid(&d, &o), KR_EINPUT);
	RD("0500");
	ck_assert_int_eq(kr_der_get_null(&d), KR_OK);
	RD("050100");
	ck_assert_int_eq(kr_der_get_null(&d), KR_EINPUT);
#undef RD
}
END_TEST

static int
read_time(const char *tag, const char *text, int64_t *t)
{
	char		hex[128];
	size_t		i, n = strlen(text), off;
	uint8_t		b[64];
	struct kr_der	d;

	off = (size_t)snprintf(hex, sizeof(hex), "%s%02zx", tag, n);
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(hex + off, sizeof(hex) - off, "%02x",
		    (unsigned char)text[i]);
	hexbytes(hex, b, &n);
	kr_der_init(&d, b, n);
	return kr_der_get_time(&d, t);
}

START_TEST(test_der_time)
{
	int64_t	t;

	ck_assert_int_eq(read_time("17", "491231235959Z", &t), KR_OK);
	ck_assert_int_eq(t, 2524607999LL);
	ck_assert_int_eq(read_time("17", "500101000000Z", &t), KR_OK);
	ck_assert_int_eq(t, -631152000LL);
	ck_assert_int_eq(read_time("18", "20500101000000Z", &t), KR_OK);
	ck_assert_int_eq(t, 2524608000LL);
	ck_assert_int_eq(read_time("18", "19491231235959Z", &t), KR_OK);
	ck_assert_int_eq(t, -631152001LL);
	ck_assert_int_eq(read_time("17", "240229120000Z", &t), KR_OK);
	/* GeneralizedTime inside 1950..2049, bad dates, no Z, fractions */
	ck_assert_int_eq(read_time("18", "20491231235959Z", &t), KR_EINPUT);
	ck_assert_int_eq(read_time("17", "230229120000Z", &t), KR_EINPUT);
	ck_assert_int_eq(read_time("17", "231131120000Z", &t), KR_EINPUT);
	ck_assert_int_eq(read_time("17", "231130246000Z", &t), KR_EINPUT);
	ck_assert_int_eq(read_time("17", "231130235960Z", &t), KR_EINPUT);
	ck_assert_int_eq(read_time("17", "2311302359Z", &t), KR_EINPUT);
	ck_assert_int_eq(read_time("17", "231130235959+0100", &t), KR_EINPUT);
	ck_assert_int_eq(read_time("18", "20500101000000.5Z", &t), KR_EINPUT);
	ck_assert_int_eq(read_time("04", "231130235959Z", &t), KR_EINPUT);
}
END_TEST

START_TEST(test_calendar)
{
	struct kr_tm	tm;
	int64_t		t, back;

	/* every day from 1900 to 2100 and some far years round-trip */
	for (t = -2208988800LL; t < 4102444800LL; t += 86400 - 1) {
		kr_time_to_tm(t, &tm);
		ck_assert_int_eq(kr_tm_to_time(&tm, &back), KR_OK);
		ck_assert_int_eq(back, t);
	}
	kr_time_to_tm(253402300799LL, &tm);
	ck_assert_int_eq(tm.year, 9999);
	ck_assert_int_eq(tm.sec, 59);
	kr_time_to_tm(-62167219200LL, &tm);
	ck_assert_int_eq(tm.year, 0);
	ck_assert_int_eq(tm.mon, 1);
}
END_TEST

static void
write_time_hex(int64_t t, char *hex)
{
	uint8_t	b[32], *p = b + sizeof(b);
	int	n = kr_derw_time(&p, b, t);

	ck_assert_int_gt(n, 0);
	kr_hex_encode(hex, p, (size_t)n);
}

START_TEST(test_der_write_time)
{
	char	hex[80];
	uint8_t	b[32], *p = b + sizeof(b);

	write_time_hex(2524607999LL, hex);	/* 2049-12-31 23:59:59 */
	ck_assert_str_eq(hex, "170d3439313233313233353935395a");
	write_time_hex(2524608000LL, hex);	/* 2050-01-01 00:00:00 */
	ck_assert_str_eq(hex, "180f32303530303130313030303030305a");
	write_time_hex(-631152001LL, hex);	/* 1949-12-31 23:59:59 */
	ck_assert_str_eq(hex, "180f31393439313233313233353935395a");
	write_time_hex(-631152000LL, hex);		/* 1950-01-01 */
	ck_assert_str_eq(hex, "170d3530303130313030303030305a");
	ck_assert_int_lt(kr_derw_time(&p, b, 253402300800LL), 0);
}
END_TEST

START_TEST(test_der_write_small)
{
	uint8_t	b[16], *p;
	char	hex[40];
	int	n;
	static const struct {
		unsigned	 v;
		const char	*hex;
	} cases[] = {
		{ 0, "020100" }, { 127, "02017f" }, { 128, "02020080" },
		{ 256, "02020100" }, { 0x7fffffff, "02047fffffff" },
		{ 0x80000000u, "02050080000000" },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = b + sizeof(b);
		n = kr_derw_small_int(&p, b, cases[i].v);
		ck_assert_int_gt(n, 0);
		kr_hex_encode(hex, p, (size_t)n);
		ck_assert_str_eq(hex, cases[i].hex);
	}
	/* a buffer too small is an error, not an overflow */
	p = b + 2;
	ck_assert_int_eq(kr_derw_small_int(&p, b, 1),
	    MBEDTLS_ERR_ASN1_BUF_TOO_SMALL);
}
END_TEST

/* --- Distinguished Names -------------------------------------------------- */

static void
dn_hex(const char *s, const char *want)
{
	uint8_t	*der;
	size_t	 len;
	char	 hex[2 * KR_NAME_DER_MAX + 1];

	der = dn(s, &len);
	kr_hex_encode(hex, der, len);
	ck_assert_msg(strcmp(hex, want) == 0, "%s: %s, want %s", s, hex, want);
	free(der);
}

START_TEST(test_dn_encode_bytes)
{
	/* C is a PrintableString, CN a UTF8String, one RDN each */
	dn_hex("C=DE", "300d310b3009060355040613024445");
	dn_hex("CN=a", "300c310a300806035504030c0161");
	dn_hex("C=DE,CN=a", "3019310b3009060355040613024445"
	    "310a300806035504030c0161");
	/* written in the order given */
	dn_hex("CN=a,C=DE", "3019310a300806035504030c0161"
	    "310b3009060355040613024445");
	/* serialNumber PrintableString, DC and emailAddress IA5String */
	dn_hex("serialNumber=A-1", "300e310c300a06035504051303412d31");
	dn_hex("DC=com", "301531133011060a0992268993f22c640119"
	    "1603636f6d");
	dn_hex("emailAddress=a@b", "30143112301006092a864886f70d010901"
	    "1603614062");
	dn_hex("ST=s,L=l,O=o,OU=u", "3030"
	    "310a300806035504080c0173" "310a300806035504070c016c"
	    "310a3008060355040a0c016f" "310a3008060355040b0c0175");
	/* escapes, spaces around separators, case of the type */
	dn_hex("CN=a\\,b\\\\c", "3010310e300c06035504030c05612c625c63");
	dn_hex(" cn = a b , c=DE ",
	    "301b310c300a06035504030c03612062310b3009060355040613024445");
}
END_TEST

static void
dn_round(const char *in, const char *want)
{
	uint8_t	*der;
	size_t	 len;
	char	 out[512];

	der = dn(in, &len);
	kr_dn_format(der, len, out, sizeof(out));
	ck_assert_str_eq(out, want);
	free(der);
	der = dn(out, &len);		/* the display form reads back */
	kr_dn_format(der, len, out, sizeof(out));
	ck_assert_str_eq(out, want);
	free(der);
}

START_TEST(test_dn_round_trip)
{
	dn_round("CN=Example Root,O=Example,C=DE",
	    "CN=Example Root,O=Example,C=DE");
	dn_round("C=DE, O=Example\\, Inc., CN=Root \\\\ CA",
	    "C=DE,O=Example\\, Inc.,CN=Root \\\\ CA");
	dn_round("CN=M\xc3\xbcller \xe6\x97\xa5\xf0\x9f\x94\x91,O=x",
	    "CN=M\xc3\xbcller \xe6\x97\xa5\xf0\x9f\x94\x91,O=x");
	dn_round("dc=example,DC=com,EMAILADDRESS=pki@example.com,"
	    "SERIALNUMBER=1234 (A/B)",
	    "DC=example,DC=com,emailAddress=pki@example.com,"
	    "serialNumber=1234 (A/B)");
	dn_round("ST=Bayern,L=M\xc3\xbcnchen,OU=PKI", "ST=Bayern,"
	    "L=M\xc3\xbcnchen,OU=PKI");
}
END_TEST

static void
dn_refused(const char *s, const char *msg)
{
	struct kr_err	 err;
	uint8_t		*der = (uint8_t *)1;
	size_t		 len = 1;

	kr_err_clear(&err);
	ck_assert_msg(kr_dn_encode(s, &der, &len, &err) == KR_EINPUT,
	    "\"%s\" was accepted", s);
	ck_assert_ptr_null(der);
	ck_assert_uint_eq(len, 0);
	ck_assert_msg(strstr(err.msg, msg) != NULL, "\"%s\": message \"%s\" "
	    "lacks \"%s\"", s, err.msg, msg);
}

START_TEST(test_dn_refusals)
{
	char	 s[400];

	dn_refused("", "empty");
	dn_refused("   ", "empty");
	dn_refused("CN=", "empty value");
	dn_refused("CN=   ", "empty value");
	dn_refused("CN=a,", "ends with");
	dn_refused("CN=a,,O=b", "no '='");
	dn_refused("CN", "no '='");
	dn_refused("X=1", "unknown name attribute \"X\"");
	dn_refused("CN=a,givenName=b", "unknown name attribute");
	dn_refused("CN=a\\b", "escapes");
	dn_refused("CN=a\\", "escapes");
	dn_refused("C=DEU", "two-letter");
	dn_refused("C=de", "two-letter");
	dn_refused("C=D", "two-letter");
	dn_refused("C=\xc3\x9c" "A", "two-letter");
	dn_refused("serialNumber=a*b", "PrintableString");
	dn_refused("serialNumber=a@b", "PrintableString");
	dn_refused("DC=example.com", "DNS label");
	dn_refused("emailAddress=nobody", "'@'");
	dn_refused("emailAddress=a\xc3\xbc@b", "printable ASCII");
	dn_refused("CN=a\tb", "control");
	dn_refused("CN=a\x7f", "control");
	dn_refused("CN=a\xc3", "UTF-8");
	dn_refused("CN=a\xc0\x80", "UTF-8");	/* overlong NUL */
	dn_refused("CN=\xed\xa0\x80", "UTF-8");	/* a surrogate */
	/* ub-common-name is 64 characters, not bytes */
	memset(s, 0, sizeof(s));
	memcpy(s, "CN=", 3);
	memset(s + 3, 'a', 65);
	dn_refused(s, "at most 64");
	s[3 + 64] = '\0';
	free(dn(s, &(size_t){ 0 }));
	memset(s + 3, 0, sizeof(s) - 3);
	for (int i = 0; i < 64; i++)
		memcpy(s + 3 + 2 * i, "\xc3\xbc", 2);
	free(dn(s, &(size_t){ 0 }));
	memcpy(s, "O=", 2);
	memmove(s + 2, s + 3, strlen(s + 3) + 1);
	strcat(s, "\xc3\xbc");
	dn_refused(s, "at most 64");
	dn_refused("CN=1,CN=2,CN=3,CN=4,CN=5,CN=6,CN=7,CN=8,CN=9,CN=10,"
	    "CN=11,CN=12,CN=13,CN=14,CN=15,CN=16,CN=17", "more than 16");
}
END_TEST

static void
fmt_hex(const char *hex, const char *want)
{
	uint8_t	b[512];
	size_t	len;
	char	out[256];

	hexbytes(hex, b, &len);
	kr_dn_format(b, len, out, sizeof(out));
	ck_assert_str_eq(out, want);
}

START_TEST(test_dn_format_foreign)
{
	char	out[32];
	uint8_t	b[64];
	size_t	len;

	/* as OpenSSL may write: PrintableString CN, givenName (2.5.4.42) */
	fmt_hex("3025310d300b06035504031304526f6f7431143012060355042a0c0b"
	    "4a6f686e2c20536d697468", "CN=Root,2.5.4.42=John\\, Smith");
	/* BMPString (and one of odd length), T61String, UniversalString */
	fmt_hex("3011310f300d06035504031e06004100e90042", "CN=A\xc3\xa9" "B");
	fmt_hex("3010310e300c06035504031e05004100e900",
	    "CN=#1e05004100e900");
	fmt_hex("300f310d300b0603550403140441e95c42", "CN=A\\xe9\\\\B");
	fmt_hex("30133111300f06035504031c08000000410001f511",
	    "CN=A\xf0\x9f\x94\x91");
	/* a control character and a non-string value */
	fmt_hex("300e310c300a06035504030c03610a62", "CN=a\\x0ab");
	fmt_hex("300e310c300a06035504030203010203", "CN=#0203010203");
	/* a multi-valued RDN must be in DER SET OF order */
	fmt_hex("301b3119300906035504030c026161300c060355040a0c056f72672e61",
	    "CN=aa+O=org.a");
	fmt_hex("301b3119300c060355040a0c056f72672e61300906035504030c026161",
	    "(malformed name)");
	/* an empty Name, trailing bytes, an empty RDN, truncation */
	fmt_hex("3000", "");
	fmt_hex("300000", "(malformed name)");
	fmt_hex("30023100", "(malformed name)");
	fmt_hex("3004310230" "00", "(malformed name)");
	hexbytes("3019310b3009060355040613024445310a300806035504030c0161", b,
	    &len);
	kr_dn_format(b, len, out, 8);
	ck_assert_str_eq(out, "C=DE...");
	kr_dn_format(NULL, 0, out, sizeof(out));
	ck_assert_str_eq(out, "(malformed name)");
	ck_assert(kr_dn_valid(b, len));
	ck_assert(!kr_dn_valid(b, len - 1));
}
END_TEST

/* --- OIDs ----------------------------------------------------------------- */

static void
oid_case(const char *s, const char *hex, const char *formatted)
{
	struct kr_oid	o;
	char		h[80], out[128];

	oid(&o, s);
	kr_hex_encode(h, o.der, o.len);
	ck_assert_msg(strcmp(h, hex) == 0, "%s: %s, want %s", s, h, hex);
	kr_oid_format(&o, out, sizeof(out));
	ck_assert_str_eq(out, formatted);
	kr_oid_dotted(o.der, o.len, out, sizeof(out));
	oid(&o, out);
	kr_hex_encode(h, o.der, o.len);
	ck_assert_str_eq(h, hex);
}

START_TEST(test_oid_parse_format)
{
	struct kr_err	err;
	struct kr_oid	o;
	char		out[64];
	static const char *const bad[] = {
		"", "1", "3.1", "1.40", "0.40", "1..2", "01.2", "1.02",
		"1.2.", ".1.2", "1.2a", "foo", "codesigning", "-1.2",
		"1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22."
		"23.24.25.26.27.28.29.30.31.32.33.34",
	};
	size_t		i;

	oid_case("1.3.6.1.5.5.7.3.3", "2b06010505070303", "codeSigning");
	oid_case("codeSigning", "2b06010505070303", "codeSigning");
	oid_case("serverAuth", "2b06010505070301", "serverAuth");
	oid_case("clientAuth", "2b06010505070302", "clientAuth");
	oid_case("emailProtection", "2b06010505070304", "emailProtection");
	oid_case("timeStamping", "2b06010505070308", "timeStamping");
	oid_case("OCSPSigning", "2b06010505070309", "OCSPSigning");
	oid_case("anyPolicy", "551d2000", "anyPolicy");
	oid_case("2.5.29.32.0", "551d2000", "anyPolicy");
	oid_case("anyExtendedKeyUsage", "551d2500", "anyExtendedKeyUsage");
	oid_case("1.3.6.1.4.1.55555.1.1", "2b0601040183b2030101",
	    "1.3.6.1.4.1.55555.1.1");
	oid_case("2.999.3", "883703", "2.999.3");
	oid_case("0.39.1", "2701", "0.39.1");
	oid_case("1.39.18446744073709551616", "4f82808080808080808000",
	    "1.39.18446744073709551616");
	oid_case("2.25.329800735698586629295641978511506172918",
	    "6983f09da7ebcfdee0c7a1a7b2c0948cc8f9d776",
	    "2.25.329800735698586629295641978511506172918");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kr_err_clear(&err);
		ck_assert_msg(kr_oid_parse(bad[i], &o, &err) == KR_EINPUT,
		    "\"%s\" was accepted", bad[i]);
		ck_assert(strstr(err.msg, "not an object identifier") != NULL);
	}
	kr_oid_dotted((const uint8_t *)"\x2b\x80\x01", 3, out, sizeof(out));
	ck_assert_str_eq(out, "(bad OID)");
	kr_oid_dotted((const uint8_t *)"\x2b\x06\x01", 3, out, 6);
	ck_assert_str_eq(out, "1.3.6");
}
END_TEST

/* --- general names ------------------------------------------------------- */

static void
gn_case(const char *s, bool constraint, enum kr_gn_type type,
    const char *hex, const char *formatted)
{
	struct kr_gn	g;
	char		h[2 * KR_GN_VALUE_MAX + 1], out[600];
	uint8_t		b[300], *p = b + sizeof(b);
	struct kr_der	d;
	struct kr_gn	back;
	int		n;

	gn(&g, s, constraint);
	ck_assert_int_eq(g.type, type);
	if (hex != NULL) {
		kr_hex_encode(h, g.value, g.len);
		ck_assert_msg(strcmp(h, hex) == 0, "%s: %s", s, h);
	}
	kr_gn_format(&g, out, sizeof(out));
	ck_assert_str_eq(out, formatted);
	/* the DER form reads back */
	ck_assert_int_gt(n = kr_derw_gn(&p, b, &g), 0);
	kr_der_init(&d, p, (size_t)n);
	ck_assert_int_eq(kr_der_get_gn(&d, constraint, &back), KR_OK);
	ck_assert(kr_der_at_end(&d));
	ck_assert_int_eq(back.type, g.type);
	ck_assert_uint_eq(back.len, g.len);
	ck_assert_mem_eq(back.value, g.value, g.len);
}

static void
gn_refused(const char *s, bool constraint, const char *msg)
{
	struct kr_err	err;
	struct kr_gn	g;

	kr_err_clear(&err);
	ck_assert_msg(kr_gn_parse(s, constraint, &g, &err) == KR_EINPUT,
	    "\"%s\" was accepted", s);
	ck_assert_msg(strstr(err.msg, msg) != NULL, "\"%s\": \"%s\"", s,
	    err.msg);
	ck_assert_uint_eq(g.len, 0);
}

START_TEST(test_gn_parse_format)
{
	gn_case("dns:example.com", false, KR_GN_DNS, "6578616d706c652e636f6d",
	    "dns:example.com");
	gn_case("DNS:*.example.com", false, KR_GN_DNS, NULL,
	    "dns:*.example.com");
	gn_case("dns:.example.com", true, KR_GN_DNS, NULL, "dns:.example.com");
	gn_case("ip:192.0.2.1", false, KR_GN_IP, "c0000201", "ip:192.0.2.1");
	gn_case("ip:2001:db8::1", false, KR_GN_IP,
	    "20010db8000000000000000000000001", "ip:2001:db8::1");
	gn_case("ip:10.0.0.0/8", true, KR_GN_IP, "0a000000ff000000",
	    "ip:10.0.0.0/8");
	gn_case("ip:192.0.2.0/24", true, KR_GN_IP, "c0000200ffffff00",
	    "ip:192.0.2.0/24");
	gn_case("ip:0.0.0.0/0", true, KR_GN_IP, "0000000000000000",
	    "ip:0.0.0.0/0");
	gn_case("ip:192.0.2.1/32", true, KR_GN_IP, "c0000201ffffffff",
	    "ip:192.0.2.1/32");
	gn_case("ip:2001:db8::/33", true, KR_GN_IP,
	    "20010db8000000000000000000000000"
	    "ffffffff800000000000000000000000", "ip:2001:db8::/33");
	gn_case("email:pki@example.com", false, KR_GN_EMAIL, NULL,
	    "email:pki@example.com");
	gn_case("email:example.com", true, KR_GN_EMAIL, NULL,
	    "email:example.com");
	gn_case("uri:https://pki.example.com/a?b=c", false, KR_GN_URI, NULL,
	    "uri:https://pki.example.com/a?b=c");
	gn_case("uri:.example.com", true, KR_GN_URI, NULL,
	    "uri:.example.com");
	gn_case("dirname:C=DE,O=Example", true, KR_GN_DIRNAME,
	    "301f310b3009060355040613024445" "3110300e060355040a0c07"
	    "4578616d706c65",
	    "dirname:C=DE,O=Example");

	gn_refused("example.com", false, "not a general name");
	gn_refused("foo:bar", false, "not a general name");
	gn_refused("dns:-bad.example.com", false, "not a valid DNS name");
	gn_refused("dns:a..b", false, "not a valid DNS name");
	gn_refused("dns:a_b.com", false, "not a valid DNS name");
	gn_refused("dns:", false, "not a valid DNS name");
	gn_refused("dns:.example.com", false, "not a valid DNS name");
	gn_refused("dns:*.example.com", true, "not a valid DNS name");
	gn_refused("ip:192.0.2.1/24", false, "no /prefix");
	gn_refused("ip:192.0.2.0", true, "needs a prefix length");
	gn_refused("ip:192.0.2.1/24", true, "beyond the /24 prefix");
	gn_refused("ip:192.0.2.0/33", true, "needs a prefix length");
	gn_refused("ip:192.0.2.0/024", true, "needs a prefix length");
	gn_refused("ip:192.0.2", false, "not an IPv4 or IPv6");
	gn_refused("ip:example.com", false, "not an IPv4 or IPv6");
	gn_refused("email:nobody", false, "not a valid e-mail");
	gn_refused("email:a b@example.com", false, "not a valid e-mail");
	gn_refused("uri:no-scheme", false, "not a valid URI");
	gn_refused("uri:https://a b", false, "not a valid URI");
	gn_refused("dirname:X=1", true, "unknown name attribute");
}
END_TEST

START_TEST(test_gn_der_reader)
{
	uint8_t		b[64];
	size_t		len;
	struct kr_der	d;
	struct kr_gn	g;

	/* otherName is skipped (KR_ENOENT) and consumed */
	hexbytes("a00706032a03040500" "820161", b, &len);
	kr_der_init(&d, b, len);
	ck_assert_int_eq(kr_der_get_gn(&d, false, &g), KR_ENOENT);
	ck_assert_int_eq(kr_der_get_gn(&d, false, &g), KR_OK);
	ck_assert_int_eq(g.type, KR_GN_DNS);
	/* an iPAddress of the wrong size for its place, a text with NUL */
	hexbytes("8704c0000201", b, &len);
	kr_der_init(&d, b, len);
	ck_assert_int_eq(kr_der_get_gn(&d, true, &g), KR_EINPUT);
	ck_assert_int_eq(kr_der_get_gn(&d, false, &g), KR_OK);
	hexbytes("82036100" "62", b, &len);
	kr_der_init(&d, b, len);
	ck_assert_int_eq(kr_der_get_gn(&d, false, &g), KR_EINPUT);
	/* a universal tag is not a GeneralName; a bad directoryName */
	hexbytes("1603616263", b, &len);
	kr_der_init(&d, b, len);
	ck_assert_int_eq(kr_der_get_gn(&d, false, &g), KR_EINPUT);
	hexbytes("a40430023100", b, &len);
	kr_der_init(&d, b, len);
	ck_assert_int_eq(kr_der_get_gn(&d, false, &g), KR_EINPUT);
}
END_TEST

/* --- AlgorithmIdentifiers and key identifiers -------------------------- */

static void
alg_case(enum kr_sig_alg alg, const char *hex)
{
	uint8_t		id[128];
	size_t		len;
	char		h[260];
	enum kr_sig_alg	back;

	ck_assert_int_eq(kr_sig_alg_id(alg, id, sizeof(id), &len), KR_OK);
	kr_hex_encode(h, id, len);
	ck_assert_msg(strcmp(h, hex) == 0, "%s: %s", kr_sig_alg_name(alg), h);
	ck_assert_int_eq(kr_sig_alg_from_id(id, len, &back), KR_OK);
	ck_assert_int_eq(back, alg);
	ck_assert_int_eq(kr_sig_alg_id(alg, id, len - 1, &len), KR_EINPUT);
}

START_TEST(test_sig_alg_id)
{
	uint8_t	id[8];
	size_t	len;
	enum kr_sig_alg back;

	alg_case(KR_SIG_ECDSA_P256_SHA256, "300a06082a8648ce3d040302");
	alg_case(KR_SIG_ECDSA_P384_SHA384, "300a06082a8648ce3d040303");
	alg_case(KR_SIG_RSA_PKCS1_SHA256, "300d06092a864886f70d01010b0500");
	alg_case(KR_SIG_RSA_PKCS1_SHA384, "300d06092a864886f70d01010c0500");
	alg_case(KR_SIG_RSA_PKCS1_SHA512, "300d06092a864886f70d01010d0500");
	/* the RSASSA-PSS encodings of the CA/Browser Forum BR 7.1.3.2 */
	alg_case(KR_SIG_RSA_PSS_SHA256, "304106092a864886f70d01010a3034a00f30"
	    "0d06096086480165030402010500a11c301a06092a864886f70d010108300d"
	    "06096086480165030402010500a203020120");
	alg_case(KR_SIG_RSA_PSS_SHA384, "304106092a864886f70d01010a3034a00f30"
	    "0d06096086480165030402020500a11c301a06092a864886f70d010108300d"
	    "06096086480165030402020500a203020130");
	alg_case(KR_SIG_RSA_PSS_SHA512, "304106092a864886f70d01010a3034a00f30"
	    "0d06096086480165030402030500a11c301a06092a864886f70d010108300d"
	    "06096086480165030402030500a203020140");
	alg_case(KR_SIG_ED25519, "300506032b6570");
	ck_assert_int_eq(kr_sig_alg_id((enum kr_sig_alg)0, id, sizeof(id),
	    &len), KR_EINPUT);
	/* Ed25519 with NULL parameters is not what keyrite writes */
	ck_assert_int_eq(kr_sig_alg_from_id((const uint8_t *)
	    "\x30\x07\x06\x03\x2b\x65\x70\x05\x00", 9, &back), KR_EINPUT);
}
END_TEST

START_TEST(test_key_identifier)
{
	struct kr_signer	*s = signer_for(KR_KEY_ED25519);
	uint8_t			 ki[KR_KEYID_BYTES], want[20], spki[64];

	ck_assert_uint_eq(s->spki_len, KR_ED25519_SPKI_BYTES);
	ck_assert_int_eq(kr_key_identifier(s->spki, s->spki_len, ki), KR_OK);
	/* SHA-1 over the 32 key bytes, after the unused-bits octet */
	ck_assert_int_eq(mbedtls_sha1_ret(s->spki + 12, 32, want), 0);
	ck_assert_mem_eq(ki, want, 20);
	memcpy(spki, s->spki, s->spki_len);
	ck_assert_int_eq(kr_key_identifier(spki, s->spki_len - 1, ki),
	    KR_EINPUT);
	spki[11] = 1;		/* unused bits */
	ck_assert_int_eq(kr_key_identifier(spki, s->spki_len, ki), KR_EINPUT);
}
END_TEST

/* --- certificates --------------------------------------------------------- */

static struct kr_cert_fields *
fields_new(void)
{
	struct kr_cert_fields	*f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	f->bc_pathlen = -1;
	return f;
}

/* A self-signed CA with every extension keyrite writes. */
static void
fill_root(struct kr_cert_fields *f, const struct kr_signer *s,
    enum kr_sig_alg alg, const char *cn)
{
	char	subject[128];

	f->serial_len = 16;
	kr_random(f->serial, 16);
	f->serial[0] = (uint8_t)(1 + f->serial[0] % 0x7f);
	f->sig_alg = alg;
	snprintf(subject, sizeof(subject), "C=DE,O=Example,CN=%s", cn);
	tl_set_name(f->subject, &f->subject_len, subject);
	tl_set_name(f->issuer, &f->issuer_len, subject);
	f->not_before = utc(2026, 1, 1, 0, 0, 0);
	f->not_after = utc(2046, 1, 1, 0, 0, 0);
	memcpy(f->spki, s->spki, s->spki_len);
	f->spki_len = s->spki_len;
	f->has_bc = f->bc_critical = f->bc_ca = true;
	f->bc_pathlen = 1;
	f->has_ku = f->ku_critical = true;
	f->ku = KR_KU_DIGITAL_SIGNATURE | KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN;
	f->has_eku = true;
	oid(&f->eku[f->eku_count++], "codeSigning");
	oid(&f->eku[f->eku_count++], "emailProtection");
	f->has_ski = f->has_aki = true;
	ck_assert_int_eq(kr_key_identifier(s->spki, s->spki_len, f->ski),
	    KR_OK);
	f->ski_len = f->aki_len = KR_KEYID_BYTES;
	memcpy(f->aki, f->ski, KR_KEYID_BYTES);
	f->has_nc = true;
	gn(&f->nc_permitted[f->nc_permitted_count++], "dns:example.com", true);
	gn(&f->nc_permitted[f->nc_permitted_count++], "email:example.com",
	    true);
	gn(&f->nc_permitted[f->nc_permitted_count++], "ip:192.0.2.0/24", true);
	gn(&f->nc_permitted[f->nc_permitted_count++], "ip:2001:db8::/32",
	    true);
	gn(&f->nc_permitted[f->nc_permitted_count++], "uri:.example.com",
	    true);
	gn(&f->nc_permitted[f->nc_permitted_count++],
	    "dirname:C=DE,O=Example", true);
	gn(&f->nc_excluded[f->nc_excluded_count++], "dns:bad.example.com",
	    true);
	f->has_policies = true;
	oid(&f->policies[f->policies_count++], "1.3.6.1.4.1.55555.1.1");
	oid(&f->policies[f->policies_count++], "anyPolicy");
	snprintf(f->cps_uri, sizeof(f->cps_uri), "https://pki.example.com/cps");
	f->has_crldp = true;
	snprintf(f->crldp[f->crldp_count++], KR_URI_MAX,
	    "http://pki.example.com/root.crl");
	snprintf(f->crldp[f->crldp_count++], KR_URI_MAX,
	    "http://mirror.example.com/root.crl");
	f->has_aia = true;
	snprintf(f->aia_ca_issuers[f->aia_count++], KR_URI_MAX,
	    "http://pki.example.com/root.crt");
	f->has_san = true;
	gn(&f->san[f->san_count++], "dns:pki.example.com", false);
	gn(&f->san[f->san_count++], "ip:192.0.2.1", false);
	gn(&f->san[f->san_count++], "ip:2001:db8::1", false);
	gn(&f->san[f->san_count++], "email:pki@example.com", false);
	gn(&f->san[f->san_count++], "uri:https://pki.example.com/", false);
}

/* Every extension value (an OCTET STRING) parses on its own. */
static void
asn1parse_all(const char *der_name)
{
	char	*text, *line, *save = NULL;
	long	 off;
	int	 n = 0;

	ck_assert_int_eq(tl_sh("%s asn1parse -inform DER -in %s > asn1.txt "
	    "2>&1", openssl, der_name), 0);
	ck_assert_ptr_nonnull(text = tl_read_maybe("asn1.txt", NULL));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "OCTET STRING") == NULL ||
		    strstr(line, "[HEX DUMP]") == NULL)
			continue;
		off = strtol(line, NULL, 10);
		ck_assert_msg(tl_sh("%s asn1parse -inform DER -in %s "
		    "-strparse %ld > /dev/null 2>&1", openssl, der_name,
		    off) == 0,
		    "asn1parse -strparse %ld failed", off);
		n++;
	}
	ck_assert_int_ge(n, 10);	/* one per extension */
	free(text);
}

static void
hex_colon(const uint8_t *p, size_t len, char *out)
{
	size_t	i;

	for (i = 0; i < len; i++)
		sprintf(out + 3 * i, "%02X%s", p[i], i + 1 < len ? ":" : "");
}

static void
root_checks(enum kr_key_alg kalg, enum kr_sig_alg alg, const char *sigtext,
    const char *params)
{
	struct kr_signer	*s = signer_for(kalg);
	struct kr_cert_fields	*f = fields_new();
	uint8_t			*cert;
	size_t			 len;
	char			*text, ski[64];
	static const char *const want[] = {
		"Version: 3 (0x2)",
		"Issuer: C = DE, O = Example, CN = Example Root",
		"Subject: C = DE, O = Example, CN = Example Root",
		"Not Before: Jan  1 00:00:00 2026 GMT",
		"Not After : Jan  1 00:00:00 2046 GMT",
		"X509v3 Basic Constraints: critical",
		"CA:TRUE, pathlen:1",
		"X509v3 Key Usage: critical",
		"Digital Signature, Certificate Sign, CRL Sign",
		"X509v3 Extended Key Usage: \n",
		"Code Signing, E-mail Protection",
		"X509v3 Subject Key Identifier: \n",
		"X509v3 Authority Key Identifier: \n",
		"X509v3 Name Constraints: critical",
		"Permitted:",
		"DNS:example.com",
		"email:example.com",
		"IP:192.0.2.0/255.255.255.0",
		"URI:.example.com",
		"DirName:C = DE, O = Example",
		"Excluded:",
		"DNS:bad.example.com",
		"X509v3 Certificate Policies: \n",
		"Policy: 1.3.6.1.4.1.55555.1.1",
		"CPS: https://pki.example.com/cps",
		"Policy: X509v3 Any Policy",
		"X509v3 CRL Distribution Points: \n",
		"URI:http://pki.example.com/root.crl",
		"URI:http://mirror.example.com/root.crl",
		"Authority Information Access: \n",
		"CA Issuers - URI:http://pki.example.com/root.crt",
		"X509v3 Subject Alternative Name: \n",
		"DNS:pki.example.com, IP Address:192.0.2.1, "
		    "IP Address:2001:DB8:0:0:0:0:0:1, email:pki@example.com, "
		    "URI:https://pki.example.com/",
	};
	size_t			 i;

	fill_root(f, s, alg, "Example Root");
	cert = tl_cert_make(f, s, &len);
	tl_write("root.der", cert, len);
	tl_write_pem("root.pem", "CERTIFICATE", cert, len);
	ck_assert_int_eq(tl_sh("%s x509 -inform DER -in root.der -noout -text "
	    "> text.txt 2>&1", openssl), 0);
	ck_assert_ptr_nonnull(text = tl_read_maybe("text.txt", NULL));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		tl_assert_has(text, want[i], "openssl x509 -text");
	tl_assert_has(text, sigtext, "signature algorithm");
	if (params != NULL)
		tl_assert_has(text, params, "signature parameters");
	hex_colon(f->ski, f->ski_len, ski);
	tl_assert_has(text, ski, "key identifier");
	free(text);
	asn1parse_all("root.der");
	ck_assert_msg(tl_sh("%s verify -x509_strict -CAfile root.pem root.pem "
	    "> verify.txt 2>&1", openssl) == 0, "openssl verify: %s",
	    tl_read_maybe("verify.txt", NULL));
	if (access("/usr/bin/certtool", X_OK) == 0)
		ck_assert_msg(tl_sh("certtool --verify-chain --infile root.pem "
		    "> certtool.txt 2>&1") == 0, "certtool: %s",
		    tl_read_maybe("certtool.txt", NULL));
	free(cert);
	free(f);
}

START_TEST(test_root_p256)
{
	root_checks(KR_KEY_P256, KR_SIG_ECDSA_P256_SHA256,
	    "Signature Algorithm: ecdsa-with-SHA256", NULL);
}
END_TEST

START_TEST(test_root_p384)
{
	root_checks(KR_KEY_P384, KR_SIG_ECDSA_P384_SHA384,
	    "Signature Algorithm: ecdsa-with-SHA384", NULL);
}
END_TEST

START_TEST(test_root_rsa_pkcs1)
{
	root_checks(KR_KEY_RSA3072, KR_SIG_RSA_PKCS1_SHA256,
	    "Signature Algorithm: sha256WithRSAEncryption", NULL);
}
END_TEST

START_TEST(test_root_rsa_pss)
{
	root_checks(KR_KEY_RSA3072, KR_SIG_RSA_PSS_SHA256,
	    "Signature Algorithm: rsassaPss", "Hash Algorithm: sha256\n"
	    "        Mask Algorithm: mgf1 with sha256\n"
	    "         Salt Length: 0x20");
	root_checks(KR_KEY_RSA3072, KR_SIG_RSA_PSS_SHA384,
	    "Signature Algorithm: rsassaPss", "Hash Algorithm: sha384\n"
	    "        Mask Algorithm: mgf1 with sha384\n"
	    "         Salt Length: 0x30");
}
END_TEST

START_TEST(test_root_ed25519)
{
	root_checks(KR_KEY_ED25519, KR_SIG_ED25519,
	    "Signature Algorithm: ED25519", NULL);
}
END_TEST

/* A minimal leaf-like TBS on the Ed25519 key, for encoding checks. */
static struct kr_cert_fields *
fields_min(void)
{
	struct kr_signer	*s = signer_for(KR_KEY_ED25519);
	struct kr_cert_fields	*f = fields_new();

	f->serial[0] = 0x01;
	f->serial_len = 1;
	f->sig_alg = KR_SIG_ED25519;
	tl_set_name(f->issuer, &f->issuer_len, "CN=Issuer");
	tl_set_name(f->subject, &f->subject_len, "CN=Subject");
	f->not_before = utc(2026, 1, 1, 0, 0, 0);
	f->not_after = utc(2027, 1, 1, 0, 0, 0);
	memcpy(f->spki, s->spki, s->spki_len);
	f->spki_len = s->spki_len;
	return f;
}

static uint8_t *
tbs(const struct kr_cert_fields *f, size_t *len)
{
	struct kr_err	 err;
	uint8_t		*t;

	kr_err_clear(&err);
	ck_assert_msg(kr_tbs_build(f, &t, len, &err) == KR_OK, "%s", err.msg);
	return t;
}

START_TEST(test_tbs_time_boundary)
{
	struct kr_signer	*s = signer_for(KR_KEY_ED25519);
	struct kr_cert_fields	*f = fields_min();
	uint8_t			*t, *cert;
	size_t			 len;
	char			*text;

	f->not_before = utc(2049, 12, 31, 23, 59, 59);
	f->not_after = utc(2050, 1, 1, 0, 0, 0);
	t = tbs(f, &len);
	ck_assert(TL_CONTAINS(t, len, "\x30\x20\x17\x0d" "491231235959Z"
	    "\x18\x0f" "20500101000000Z"));
	free(t);
	cert = tl_cert_make(f, s, &len);
	tl_write("boundary.der", cert, len);
	ck_assert_int_eq(tl_sh("%s x509 -inform DER -in boundary.der -noout "
	    "-dates > dates.txt 2>&1", openssl), 0);
	ck_assert_ptr_nonnull(text = tl_read_maybe("dates.txt", NULL));
	tl_assert_has(text, "notBefore=Dec 31 23:59:59 2049 GMT", "dates");
	tl_assert_has(text, "notAfter=Jan  1 00:00:00 2050 GMT", "dates");
	free(text);
	free(cert);
	f->not_before = utc(1949, 12, 31, 23, 59, 59);
	f->not_after = utc(1950, 1, 1, 0, 0, 0);
	t = tbs(f, &len);
	ck_assert(TL_CONTAINS(t, len, "\x30\x20\x18\x0f" "19491231235959Z"
	    "\x17\x0d" "500101000000Z"));
	free(t);
	free(f);
}
END_TEST

START_TEST(test_tbs_layout)
{
	struct kr_cert_fields	*f = fields_min();
	uint8_t			*t, id[16];
	size_t			 len, idlen;
	struct kr_der		 d, seq, ver;
	struct kr_slice		 c;
	int			 v;

	/* no extensions: no [3] at all */
	t = tbs(f, &len);
	kr_der_init(&d, t, len);
	ck_assert_int_eq(kr_der_enter(&d, KR_DER_SEQUENCE, &seq), KR_OK);
	ck_assert_int_eq(kr_der_done(&d), KR_OK);
	ck_assert_int_eq(kr_der_enter(&seq, KR_DER_CTX_CONS(0), &ver), KR_OK);
	ck_assert_int_eq(kr_der_get_small_int(&ver, &v), KR_OK);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(kr_der_get_integer(&seq, &c), KR_OK);
	ck_assert_uint_eq(c.len, 1);
	ck_assert_int_eq(kr_der_get_whole(&seq, KR_DER_SEQUENCE, &c, &c),
	    KR_OK);
	ck_assert_int_eq(kr_sig_alg_id(KR_SIG_ED25519, id, sizeof(id), &idlen),
	    KR_OK);
	ck_assert_mem_eq(c.p, id, idlen);
	ck_assert_int_eq(kr_der_get_whole(&seq, KR_DER_SEQUENCE, &c, &c),
	    KR_OK);
	ck_assert_mem_eq(c.p, f->issuer, f->issuer_len);
	ck_assert_int_eq(kr_der_get(&seq, KR_DER_SEQUENCE, &c), KR_OK);
	ck_assert_int_eq(kr_der_get_whole(&seq, KR_DER_SEQUENCE, &c, &c),
	    KR_OK);
	ck_assert_mem_eq(c.p, f->subject, f->subject_len);
	ck_assert_int_eq(kr_der_get_whole(&seq, KR_DER_SEQUENCE, &c, &c),
	    KR_OK);
	ck_assert_mem_eq(c.p, f->spki, f->spki_len);
	ck_assert(kr_der_at_end(&seq));
	free(t);
	/* a 20-byte serial with its top bit clear is fine */
	memset(f->serial, 0x7f, 20);
	f->serial_len = 20;
	free(tbs(f, &len));
	f->serial[0] = 0x00;
	f->serial[1] = 0x80;
	free(tbs(f, &len));
	free(f);
}
END_TEST

/* The encodings the DER DEFAULT rule and X.690 named bits decide. */
START_TEST(test_tbs_extension_bytes)
{
	struct kr_cert_fields	*f = fields_min();
	uint8_t			*t;
	size_t			 len;

	/* cA TRUE, critical, no pathLen */
	f->has_bc = f->bc_critical = f->bc_ca = true;
	f->has_ku = true;		/* not critical: no BOOLEAN */
	f->ku = KR_KU_DIGITAL_SIGNATURE;
	t = tbs(f, &len);
	ck_assert(TL_CONTAINS(t, len, "\xa3\x20\x30\x1e"
	    "\x30\x0f\x06\x03\x55\x1d\x13\x01\x01\xff\x04\x05\x30\x03\x01\x01"
	    "\xff"
	    "\x30\x0b\x06\x03\x55\x1d\x0f\x04\x04\x03\x02\x07\x80"));
	free(t);
	/* cA FALSE is DEFAULT: an empty SEQUENCE; pathLen 0; not critical */
	f->bc_critical = f->bc_ca = false;
	f->ku_critical = true;
	f->ku = KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN;
	t = tbs(f, &len);
	ck_assert(TL_CONTAINS(t, len, "\x30\x09\x06\x03\x55\x1d\x13\x04\x02\x30"
	    "\x00"));
	ck_assert(TL_CONTAINS(t, len, "\x30\x0e\x06\x03\x55\x1d\x0f\x01\x01\xff"
	    "\x04\x04\x03\x02\x01\x06"));
	free(t);
	f->bc_ca = true;
	f->bc_pathlen = 0;
	f->ku = 0x7f;
	t = tbs(f, &len);
	ck_assert(TL_CONTAINS(t, len,
	    "\x04\x08\x30\x06\x01\x01\xff\x02\x01\x00"));
	ck_assert(TL_CONTAINS(t, len, "\x04\x04\x03\x02\x01\xfe"));
	free(t);
	/* AKI holds only [0] keyIdentifier; SKI an OCTET STRING */
	f->has_bc = f->has_ku = false;
	f->has_ski = f->has_aki = true;
	memset(f->ski, 0x11, 20);
	memset(f->aki, 0x22, 20);
	f->ski_len = f->aki_len = 20;
	t = tbs(f, &len);
	ck_assert(TL_CONTAINS(t, len, "\x30\x1d\x06\x03\x55\x1d\x0e\x04\x16\x04"
	    "\x14\x11\x11"));
	ck_assert(TL_CONTAINS(t, len, "\x30\x1f\x06\x03\x55\x1d\x23\x04\x18\x30"
	    "\x16\x80\x14\x22\x22"));
	free(t);
	free(f);
}
END_TEST

START_TEST(test_tbs_extension_order)
{
	struct kr_signer	*s = signer_for(KR_KEY_ED25519);
	struct kr_cert_fields	*f = fields_new();
	uint8_t			*t;
	size_t			 len, i, n = 0;
	struct kr_der		 d, seq, ext, exts, one;
	struct kr_slice		 c;
	struct kr_oid		 o;
	static const char *const order[] = {
		KR_OID_EXT_BC, KR_OID_EXT_KU, KR_OID_EXT_EKU, KR_OID_EXT_SKI,
		KR_OID_EXT_AKI, KR_OID_EXT_NC, KR_OID_EXT_POLICIES,
		KR_OID_EXT_CRLDP, KR_OID_EXT_AIA, KR_OID_EXT_SAN,
	};

	fill_root(f, s, KR_SIG_ED25519, "Order");
	t = tbs(f, &len);
	kr_der_init(&d, t, len);
	ck_assert_int_eq(kr_der_enter(&d, KR_DER_SEQUENCE, &seq), KR_OK);
	for (i = 0; i < 7; i++)
		ck_assert_int_eq(kr_der_get_any(&seq, &(uint8_t){ 0 }, &c,
		    NULL), KR_OK);
	ck_assert_int_eq(kr_der_enter(&seq, KR_DER_CTX_CONS(3), &ext), KR_OK);
	ck_assert_int_eq(kr_der_enter(&ext, KR_DER_SEQUENCE, &exts), KR_OK);
	while (!kr_der_at_end(&exts)) {
		ck_assert_int_eq(kr_der_enter(&exts, KR_DER_SEQUENCE, &one),
		    KR_OK);
		ck_assert_int_eq(kr_der_get_oid(&one, &o), KR_OK);
		ck_assert_uint_lt(n, 10);
		ck_assert(kr_oid_eq(&o, order[n], strlen(order[n])));
		n++;
	}
	ck_assert_uint_eq(n, 10);
	free(t);
	free(f);
}
END_TEST

static void
tbs_refused(const struct kr_cert_fields *f, const char *msg)
{
	struct kr_err	 err;
	uint8_t		*t = (uint8_t *)1;
	size_t		 len = 1;

	kr_err_clear(&err);
	ck_assert_msg(kr_tbs_build(f, &t, &len, &err) != KR_OK,
	    "accepted (wanted \"%s\")", msg);
	ck_assert_ptr_null(t);
	ck_assert_uint_eq(len, 0);
	ck_assert_msg(strstr(err.msg, msg) != NULL, "\"%s\" lacks \"%s\"",
	    err.msg, msg);
}

START_TEST(test_tbs_refusals)
{
	struct kr_cert_fields	*f = fields_min(), *g = fields_new();
	struct kr_signer	*s = signer_for(KR_KEY_ED25519);

#define WITH(stmt, msg)	do { memcpy(g, f, sizeof(*f)); stmt; \
	tbs_refused(g, msg); } while (0)
	WITH(g->serial[0] = 0x80, "negative");
	WITH((g->serial[0] = 0x00, g->serial[1] = 0x01, g->serial_len = 2),
	    "leading zero");
	WITH(g->serial[0] = 0x00, "zero");
	WITH(g->serial_len = 0, "serial number is 0 bytes");
	WITH(g->serial_len = 21, "serial number is 21 bytes");
	WITH(g->sig_alg = (enum kr_sig_alg)99, "unknown signature algorithm");
	WITH(g->issuer_len = 0, "issuer name");
	WITH((g->issuer[0] = 0x30, g->issuer[1] = 0, g->issuer_len = 2),
	    "issuer name is empty");
	WITH(g->subject_len--, "subject name");
	WITH((g->subject[1] = 0, g->subject_len = 2), "no subjectAltName");
	WITH(g->spki_len = 0, "SubjectPublicKeyInfo");
	WITH(g->spki[g->spki_len++] = 0, "SubjectPublicKeyInfo");
	WITH(g->not_after = g->not_before - 1, "ends before it starts");
	WITH(g->not_after = 253402300800LL, "9999");
	WITH((g->has_ku = true, g->ku = 0), "keyUsage");
	WITH((g->has_ku = true, g->ku = 0x80), "keyUsage");
	WITH((g->has_bc = true, g->bc_pathlen = -2), "pathLen");
	WITH((g->has_ski = true, g->ski_len = 0), "subject key identifier");
	WITH((g->has_aki = true, g->aki_len = 21), "authority key identifier");
	WITH(g->has_eku = true, "extendedKeyUsage needs 1");
	WITH((g->has_eku = true, g->eku_count = 1, g->eku[0].len = 2,
	    g->eku[0].der[1] = 0x80), "malformed");
	WITH(g->has_nc = true, "neither permitted nor excluded");
	WITH((g->has_nc = true, g->nc_permitted_count = 1,
	    g->nc_permitted[0].type = KR_GN_IP, g->nc_permitted[0].len = 4),
	    "permitted subtrees is malformed");
	WITH((g->has_nc = true, g->nc_excluded_count = KR_GN_MAX + 1),
	    "at most 16");
	WITH((g->has_policies = true, g->policies_count = 2,
	    oid(&g->policies[0], "anyPolicy"), oid(&g->policies[1],
	    "2.5.29.32.0")), "twice");
	WITH((g->has_policies = true, g->policies_count = 1,
	    oid(&g->policies[0], "anyPolicy"), strcpy(g->cps_uri, "no scheme")),
	    "CPS URI");
	WITH(g->has_crldp = true, "needs 1 to 4 URIs");
	WITH((g->has_crldp = true, g->crldp_count = 1, strcpy(g->crldp[0],
	    "http://a b")), "cRLDistributionPoints URI 1");
	WITH((g->has_aia = true, g->aia_count = 5), "needs 1 to 4 URIs");
	WITH((g->has_aia = true, g->aia_count = 1, memset(g->aia_ca_issuers[0],
	    'a', KR_URI_MAX)), "authorityInfoAccess URI 1");
	WITH(g->has_san = true, "subjectAltName with no names");
	WITH((g->has_san = true, g->san_count = 1, g->san[0].type = KR_GN_IP,
	    g->san[0].len = 8), "subjectAltName is malformed");
	WITH((g->has_san = true, g->san_count = 1, g->san[0].type = KR_GN_DNS,
	    g->san[0].len = 0), "subjectAltName is malformed");
#undef WITH
	(void)s;
	free(f);
	free(g);
}
END_TEST

START_TEST(test_empty_subject_san_critical)
{
	struct kr_cert_fields	*f = fields_min();
	uint8_t			*t;
	size_t			 len;

	f->subject[0] = 0x30;
	f->subject[1] = 0x00;
	f->subject_len = 2;
	f->has_san = true;
	gn(&f->san[f->san_count++], "dns:a.example.com", false);
	t = tbs(f, &len);
	ck_assert(TL_CONTAINS(t, len, "\x30\x1b\x06\x03\x55\x1d\x11\x01\x01\xff"
	    "\x04\x11\x30\x0f\x82\x0d" "a.example.com"));
	free(t);
	free(f);
}
END_TEST

START_TEST(test_cert_assemble)
{
	struct kr_cert_fields	*f = fields_min();
	struct kr_err		 err;
	uint8_t			*t, *cert, sig[64];
	size_t			 len, clen, hdr;

	memset(sig, 0x5a, sizeof(sig));
	t = tbs(f, &len);
	kr_err_clear(&err);
	ck_assert_int_eq(kr_cert_assemble(t, len, KR_SIG_ED25519, sig, 64,
	    &cert, &clen, &err), KR_OK);
	hdr = clen - (len + 7 + 3 + 64);
	ck_assert_msg(hdr == 3 || hdr == 4, "header of %zu bytes", hdr);
	ck_assert_int_eq(cert[0], 0x30);
	ck_assert_mem_eq(cert + hdr, t, len);
	ck_assert_mem_eq(cert + hdr + len, "\x30\x05\x06\x03\x2b\x65\x70"
	    "\x03\x41\x00\x5a", 11);
	free(cert);
	/* the TBS names Ed25519: another algorithm is refused */
	ck_assert_int_eq(kr_cert_assemble(t, len, KR_SIG_ECDSA_P256_SHA256,
	    sig, 64, &cert, &clen, &err), KR_EINPUT);
	ck_assert(strstr(err.msg, "another signature algorithm") != NULL);
	ck_assert_int_eq(kr_cert_assemble(t, len - 1, KR_SIG_ED25519, sig, 64,
	    &cert, &clen, &err), KR_EINPUT);
	ck_assert_int_eq(kr_cert_assemble(t, len, KR_SIG_ED25519, sig, 0,
	    &cert, &clen, &err), KR_EINPUT);
	ck_assert_ptr_null(cert);
	free(t);
	free(f);
}
END_TEST

/* --- golden certificates ---------------------------------------------- */

/* Ed25519 from the seed SHA-256("keyrite golden ed25519"). */
static struct kr_keypair *
golden_ed25519(void)
{
	static const char	 label[] = "keyrite golden ed25519";
	struct kr_keypair	*kp = NULL;
	struct kr_err		 err;
	uint8_t			 seed[32];

	ck_assert_int_eq(kr_hash(KR_HASH_SHA256, label, strlen(label), seed),
	    KR_OK);
	kr_err_clear(&err);
	ck_assert_msg(kr_keypair_load(KR_KEY_ED25519, seed, sizeof(seed), &kp,
	    &err) == KR_OK, "%s", err.msg);
	kr_wipe(seed, sizeof(seed));
	return kp;
}

/*
 * RSA-3072, e = 65537, from mbedtls_rsa_gen_key over an HMAC_DRBG
 * (SHA-256) seeded with "keyrite golden rsa-3072" and nothing else.
 */
static struct kr_keypair *
golden_rsa3072(void)
{
	static const char		 label[] = "keyrite golden rsa-3072";
	mbedtls_hmac_drbg_context	 drbg;
	mbedtls_pk_context		 pk;
	struct kr_keypair		*kp = NULL;
	struct kr_err			 err;
	uint8_t				*der;
	int				 n;

	ck_assert_ptr_nonnull(der = malloc(KR_RSA_PRIV_DER_MAX));
	mbedtls_hmac_drbg_init(&drbg);
	mbedtls_pk_init(&pk);
	ck_assert_int_eq(mbedtls_hmac_drbg_seed_buf(&drbg,
	    mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
	    (const unsigned char *)label, strlen(label)), 0);
	mbedtls_hmac_drbg_set_reseed_interval(&drbg,
	    MBEDTLS_HMAC_DRBG_MAX_REQUEST);
	ck_assert_int_eq(mbedtls_pk_setup(&pk,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
	ck_assert_int_eq(mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk),
	    mbedtls_hmac_drbg_random, &drbg, 3072, 65537), 0);
	n = mbedtls_pk_write_key_der(&pk, der, KR_RSA_PRIV_DER_MAX);
	ck_assert_int_gt(n, 0);
	kr_err_clear(&err);
	ck_assert_msg(kr_keypair_load(KR_KEY_RSA3072, der +
	    KR_RSA_PRIV_DER_MAX - n, (size_t)n, &kp, &err) == KR_OK, "%s",
	    err.msg);
	kr_wipe(der, KR_RSA_PRIV_DER_MAX);
	free(der);
	mbedtls_pk_free(&pk);
	mbedtls_hmac_drbg_free(&drbg);
	return kp;
}

/* Everything fixed: serial, names, times, key, extensions. */
static void
golden_fields(struct kr_cert_fields *f, struct kr_keypair *kp,
    enum kr_sig_alg alg, const char *cn)
{
	static const uint8_t	 serial[16] = "keyrite golden 1";
	struct kr_signer	 fake;
	const uint8_t		*spki;
	size_t			 spki_len;

	memset(&fake, 0, sizeof(fake));
	spki = kr_keypair_spki(kp, &spki_len);
	fake.spki = (uint8_t *)(uintptr_t)spki;
	fake.spki_len = spki_len;
	fill_root(f, &fake, alg, cn);
	memcpy(f->serial, serial, sizeof(serial));
	f->serial_len = sizeof(serial);
	f->not_before = utc(2026, 1, 1, 0, 0, 0);
	f->not_after = utc(2051, 1, 1, 0, 0, 0);	/* GeneralizedTime */
}

static uint8_t *
golden_sign(const struct kr_cert_fields *f, struct kr_keypair *kp,
    size_t *len)
{
	struct kr_err	 err;
	uint8_t		*t, *cert, sig[KR_SIG_MAX_BYTES], md[32];
	size_t		 tlen, siglen;
	const uint8_t	*spki;
	size_t		 spki_len;

	t = tbs(f, &tlen);
	kr_err_clear(&err);
	if (f->sig_alg == KR_SIG_ED25519) {
		ck_assert_msg(kr_keypair_sign_message(kp, f->sig_alg, t, tlen,
		    sig, &siglen, &err) == KR_OK, "%s", err.msg);
	} else {
		ck_assert_int_eq(kr_hash(KR_HASH_SHA256, t, tlen, md), KR_OK);
		ck_assert_msg(kr_keypair_sign_digest(kp, f->sig_alg, md,
		    sizeof(md), sig, &siglen, &err) == KR_OK, "%s", err.msg);
	}
	spki = kr_keypair_spki(kp, &spki_len);
	ck_assert_msg(kr_sig_verify(f->sig_alg, spki, spki_len, t, tlen, sig,
	    siglen, 0, &err) == KR_OK, "%s", err.msg);
	ck_assert_msg(kr_cert_assemble(t, tlen, f->sig_alg, sig, siglen, &cert,
	    len, &err) == KR_OK, "%s", err.msg);
	free(t);
	return cert;
}

static void
golden_check(const char *file, struct kr_keypair *kp, enum kr_sig_alg alg,
    const char *cn)
{
	struct kr_cert_fields	*f = fields_new();
	const char		*wdir = getenv("KEYRITE_GOLDEN_WRITE");
	const char		*vec = getenv("KEYRITE_TEST_VECTORS");
	const uint8_t		*spki;
	uint8_t			*cert, *want;
	size_t			 len, wlen, spki_len;
	char			 path[512];

	golden_fields(f, kp, alg, cn);
	cert = golden_sign(f, kp, &len);
	/* whatever the bytes, openssl must accept them */
	tl_write("golden.der", cert, len);
	tl_write_pem("golden.pem", "CERTIFICATE", cert, len);
	ck_assert_msg(tl_sh("%s verify -x509_strict -CAfile golden.pem "
	    "golden.pem > verify.txt 2>&1", openssl) == 0, "openssl verify: %s",
	    tl_read_maybe("verify.txt", NULL));
	if (wdir != NULL) {
		snprintf(path, sizeof(path), "%s/%s", wdir, file);
		tl_write(path, cert, len);
		free(cert);
		free(f);
		return;
	}
	ck_assert_msg(vec != NULL, "KEYRITE_TEST_VECTORS is not set");
	snprintf(path, sizeof(path), "%s/golden/%s", vec, file);
	want = (uint8_t *)tl_read_maybe(path, &wlen);
	ck_assert_msg(want != NULL, "cannot read %s", path);
	spki = kr_keypair_spki(kp, &spki_len);
	ck_assert_msg(tl_contains(want, wlen, spki, spki_len), "%s: the key "
	    "made from the fixed seed is not the key in the golden file", file);
	ck_assert_msg(wlen == len && memcmp(want, cert, len) == 0, "%s: the "
	    "certificate built from fixed inputs differs from the golden "
	    "file (%zu bytes, golden %zu)", file, len, wlen);
	free(want);
	free(cert);
	free(f);
}

START_TEST(test_golden_ed25519)
{
	struct kr_keypair	*kp = golden_ed25519();

	golden_check("cert-ed25519-root.der", kp, KR_SIG_ED25519,
	    "keyrite golden Ed25519");
	kr_keypair_free(&kp);
}
END_TEST

START_TEST(test_golden_rsa3072_pkcs1)
{
	struct kr_keypair	*kp = golden_rsa3072();

	golden_check("cert-rsa3072-pkcs1-root.der", kp,
	    KR_SIG_RSA_PKCS1_SHA256, "keyrite golden RSA-3072");
	kr_keypair_free(&kp);
}
END_TEST

/* The same inputs give the same bytes within one run, too. */
START_TEST(test_golden_deterministic)
{
	struct kr_keypair	*kp = golden_ed25519();
	struct kr_cert_fields	*f = fields_new();
	uint8_t			*a, *b;
	size_t			 alen, blen;

	golden_fields(f, kp, KR_SIG_ED25519, "again");
	a = golden_sign(f, kp, &alen);
	b = golden_sign(f, kp, &blen);
	ck_assert_uint_eq(alen, blen);
	ck_assert_mem_eq(a, b, alen);
	free(a);
	free(b);
	free(f);
	kr_keypair_free(&kp);
}
END_TEST

/* --- runner ----------------------------------------------------------- */

static Suite *
x509_build_suite(void)
{
	Suite	*s = suite_create("x509-build");
	TCase	*tc;

	tc = tcase_create("der");
	tcase_add_test(tc, test_der_lengths);
	tcase_add_test(tc, test_der_long_length);
	tcase_add_test(tc, test_der_values);
	tcase_add_test(tc, test_der_time);
	tcase_add_test(tc, test_calendar);
	tcase_add_test(tc, test_der_write_time);
	tcase_add_test(tc, test_der_write_small);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_dn_encode_bytes);
	tcase_add_test(tc, test_dn_round_trip);
	tcase_add_test(tc, test_dn_refusals);
	tcase_add_test(tc, test_dn_format_foreign);
	tcase_add_test(tc, test_oid_parse_format);
	tcase_add_test(tc, test_gn_parse_format);
	tcase_add_test(tc, test_gn_der_reader);
	suite_add_tcase(s, tc);

	tc = tcase_create("tbs");
	tcase_add_test(tc, test_sig_alg_id);
	tcase_add_test(tc, test_key_identifier);
	tcase_add_test(tc, test_tbs_time_boundary);
	tcase_add_test(tc, test_tbs_layout);
	tcase_add_test(tc, test_tbs_extension_bytes);
	tcase_add_test(tc, test_tbs_extension_order);
	tcase_add_test(tc, test_tbs_refusals);
	tcase_add_test(tc, test_empty_subject_san_critical);
	tcase_add_test(tc, test_cert_assemble);
	suite_add_tcase(s, tc);

	tc = tcase_create("signed");
	tcase_add_test(tc, test_root_p256);
	tcase_add_test(tc, test_root_p384);
	tcase_add_test(tc, test_root_rsa_pkcs1);
	tcase_add_test(tc, test_root_rsa_pss);
	tcase_add_test(tc, test_root_ed25519);
	suite_add_tcase(s, tc);

	tc = tcase_create("golden");
	tcase_add_test(tc, test_golden_ed25519);
	tcase_add_test(tc, test_golden_rsa3072_pkcs1);
	tcase_add_test(tc, test_golden_deterministic);
	suite_add_tcase(s, tc);
	return s;
}

/* One sealed key per algorithm, opened with a random quorum secret. */
static void
make_signers(void)
{
	char	name[32];
	size_t	i;

	for (i = 0; i < NKEYS; i++) {
		snprintf(name, sizeof(name), "x509-%s",
		    kr_key_alg_name(key_algs[i]));
		signers[i] = tl_signer_make(key_algs[i], KR_PURPOSE_CA, name,
		    keyerr[i]);
		tl_signer_keep(&signers[i]);
	}
}

int
main(int argc, char **argv)
{
	struct kr_err	 err;
	int		 ret;
	size_t		 i;

	if (argc > 1)
		openssl = argv[1];
	if (kr_crypto_init(&err) != KR_OK) {
		fprintf(stderr, "crypto init: %s\n", err.msg);
		return EXIT_FAILURE;
	}
	if (tl_work_begin("x509-build") == NULL)
		return EXIT_FAILURE;
	make_signers();
	ret = tl_run(x509_build_suite(), NULL);
	for (i = 0; i < NKEYS; i++)
		kr_signer_free(&signers[i]);
	tl_work_end();
	return ret;
}
