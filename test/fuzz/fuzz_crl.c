/*
 * libFuzzer target for the revocation parsers of outside input: CRLs (a
 * --previous CRL made elsewhere, one written by `openssl ca`) and OpenSSL
 * index.txt files (`keyrite import openssl-index`).
 *
 * Each input is read three ways: as a CRL; as an edit script applied to a
 * CRL built here at start-up with every extension keyrite writes (so
 * inputs reach past the outer SEQUENCE even without seed files); and as
 * an edit script on a small valid index.txt, and as an index.txt itself,
 * both through a temporary file since kr_index_read reads files.
 *
 * TEST-KEY-028 (docs/traceability.md): its smoke run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/crl.h>

#include "testlib.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	seed_crl[4096];
static size_t	seed_crl_len;

static const char seed_index[] =
    "V\t271231235959Z\t\t1000\tunknown\t/CN=a/O=Example\n"
    "R\t271231235959Z\t261123184452Z,keyCompromise\t1001\tunknown\t/CN=b\n"
    "R\t20510101000000Z\t261123184452Z,keyTime,20260101000000Z\t00FF\t"
    "unknown\t/CN=c\n"
    "# comment\n"
    "R\t271231235959Z\t261123184452Z,holdInstruction,1.2.3\t7F\tx\t/CN=d\n"
    "E\t271231235959Z\t\t0A0B\tunknown\t/CN=e";

/* An Ed25519 SubjectPublicKeyInfo (the RFC 8032 test 1 public key). */
static const uint8_t ed25519_spki[] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21,
	0x00, 0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b,
	0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda,
	0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};

struct seed_src {
	int	i;
};

static int
seed_next(void *ctx, struct kr_crl_entry *e, struct kr_err *err)
{
	struct seed_src	*s = ctx;

	(void)err;
	if (s->i == 3)
		return 0;
	e->serial[0] = 0x10;
	e->serial[1] = (uint8_t)s->i;
	e->serial_len = 2;
	e->revoked_at = 1700000000 + s->i;
	e->reason = s->i == 0 ? KR_REASON_KEY_COMPROMISE : s->i == 1 ?
	    KR_REASON_NONE : KR_REASON_CERTIFICATE_HOLD;
	e->invalidity = s->i == 0 ? 1690000000 : 0;
	s->i++;
	return 1;
}

static void
build_seed(void)
{
	struct kr_crl_fields	*f = calloc(1, sizeof(*f));
	struct kr_crl_builder	 b;
	struct seed_src		 src = { 0 };
	struct kr_slice		 out;
	struct kr_err		 err;
	uint8_t			*dn, sig[64];
	size_t			 dnlen;

	if (f == NULL || kr_dn_encode("C=DE,O=Example,CN=Fuzz CA", &dn,
	    &dnlen, &err) != KR_OK)
		abort();
	f->sig_alg = KR_SIG_ED25519;
	memcpy(f->issuer, dn, dnlen);
	f->issuer_len = dnlen;
	free(dn);
	f->this_update = 1700000000;
	f->next_update = 1700000000 + 7 * 86400;
	f->number[0] = 5;
	f->number_len = 1;
	memset(f->aki, 0xab, KR_KEYID_BYTES);
	f->aki_len = KR_KEYID_BYTES;
	f->has_idp = f->idp_only_ca = true;
	snprintf(f->idp_uri, sizeof(f->idp_uri), "http://example.com/r.crl");
	snprintf(f->freshest_uri, sizeof(f->freshest_uri),
	    "http://example.com/d.crl");
	memset(sig, 0x5a, sizeof(sig));
	if (kr_crl_tbs_build(f, seed_next, &src, &b, &err) != KR_OK ||
	    kr_crl_finish(&b, f->sig_alg, sig, sizeof(sig), &out, &err) !=
	    KR_OK || out.len > sizeof(seed_crl))
		abort();
	memcpy(seed_crl, out.p, out.len);
	seed_crl_len = out.len;
	kr_crl_builder_free(&b);
	free(f);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kr_err	err;

	(void)argc;
	(void)argv;
	if (kr_crypto_init(&err) != KR_OK)
		abort();
	build_seed();
	(void)tl_scratch();
	return 0;
}

static int
count_entry(const struct kr_crl_entry *e, void *ctx)
{
	size_t	*n = ctx;

	if (e->serial_len == 0 || e->serial_len > KR_SERIAL_MAX ||
	    (e->serial[0] & 0x80) != 0)
		abort();
	++*n;
	return 0;
}

static void
fuzz_crl(const uint8_t *data, size_t len)
{
	struct kr_crl_info	 info;
	struct kr_err		 err;
	uint8_t			*der = NULL;
	size_t			 n = 0;
	int			 ret;

	kr_err_clear(&err);
	ret = kr_crl_parse("fuzz", data, len, &info, &der, count_entry, &n,
	    &err);
	if (ret != KR_OK) {
		if (err.msg[0] == '\0' || der != NULL)
			abort();
		return;
	}
	if (n != info.entries || info.tbs.p == NULL || info.sig.len == 0)
		abort();
	ret = kr_crl_verify_signature(&info, ed25519_spki,
	    sizeof(ed25519_spki), &err);
	(void)ret;
	free(der);
}

static int
check_index_entry(const struct kr_index_entry *e, void *ctx)
{
	(void)ctx;
	if ((e->status != 'V' && e->status != 'R' && e->status != 'E') ||
	    e->serial_len == 0 || e->serial_len > KR_SERIAL_MAX ||
	    (e->serial[0] & 0x80) != 0 ||
	    memchr(e->subject, '\0', sizeof(e->subject)) == NULL)
		abort();
	return 0;
}

static void
fuzz_index(const uint8_t *data, size_t len)
{
	struct kr_err	err;
	int		ret;

	kr_err_clear(&err);
	ret = kr_index_read(tl_scratch_put(data, len), check_index_entry, NULL,
	    &err);
	if (ret != KR_OK && err.msg[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t	buf[4096];
	size_t	n;

	fuzz_crl(data, len);
	memcpy(buf, seed_crl, seed_crl_len);
	n = tl_apply_edits(buf, seed_crl_len, data, len);
	fuzz_crl(buf, n);
	fuzz_index(data, len);
	memcpy(buf, seed_index, sizeof(seed_index) - 1);
	n = tl_apply_edits(buf, sizeof(seed_index) - 1, data, len);
	fuzz_index(buf, n);
	return 0;
}
