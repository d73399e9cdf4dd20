/*
 * libFuzzer target for the certificate and CSR parsers (outside input: a
 * CSR from a requester, a CA certificate to cross-sign), and lint over
 * whatever parses.  Built as a real fuzzer with -Dfuzzing=true (clang), as
 * a smoke test over the golden certificates otherwise.
 *
 * TEST-KEY-026 and TEST-KEY-453 (docs/traceability.md): its smoke run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/x509.h>

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kr_err	err;

	(void)argc;
	(void)argv;
	if (kr_crypto_init(&err) != KR_OK)
		abort();
	return 0;
}

static void
fuzz_lint(const struct kr_cert *c)
{
	static struct kr_profile	 p;
	const struct kr_cert		*chain[1] = { c };
	struct kr_lint_report		 rep;
	struct kr_lint_input		 in;

	p.is_ca = c->f.bc_ca;
	p.max_days = 100;
	memset(&in, 0, sizeof(in));
	in.fields = &c->f;
	in.tbs = c->tbs.p;
	in.tbs_len = c->tbs.len;
	in.profile = &p;
	in.chain = chain;
	in.chain_len = 1;
	in.issuer_spki = c->f.spki;
	in.issuer_spki_len = c->f.spki_len;
	kr_lint_run(&in, &rep);
	if (rep.count > 0 && rep.errors + rep.warnings == 0)
		abort();
}

/* The device id of a Name: NUL-terminated, within its buffer. */
static void
fuzz_device_id(const uint8_t *der, size_t len)
{
	char	id[65];	/* KR_DEVICE_ID_MAX + 1 */

	if (kr_dn_value(der, len, "serialNumber", id, sizeof(id)) == KR_OK &&
	    strlen(id) >= sizeof(id))
		abort();
	if (kr_dn_value(der, len, "CN", id, sizeof(id)) == KR_OK &&
	    strlen(id) == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct kr_cert	*c = NULL;
	struct kr_csr	*r = NULL;
	struct kr_err	 err;
	int		 ret;

	kr_err_clear(&err);
	if (kr_cert_parse("fuzz", data, len, &c, &err) == KR_OK) {
		ret = kr_cert_verify_signature(c, c->f.spki, c->f.spki_len,
		    &err);
		(void)ret;
		fuzz_lint(c);
		kr_cert_free(&c);
	} else if (err.msg[0] == '\0' || c != NULL) {
		abort();
	}
	kr_err_clear(&err);
	if (kr_csr_parse("fuzz", data, len, &r, &err) == KR_OK)
		kr_csr_free(&r);
	else if (err.msg[0] == '\0' || r != NULL)
		abort();
	/* provision batch: a CSR read again, and a device id from a Name. */
	kr_err_clear(&err);
	if (kr_csr_parse_again("fuzz", data, len, &r, &err) == KR_OK) {
		fuzz_device_id(r->subject.p, r->subject.len);
		kr_csr_free(&r);
	} else if (err.msg[0] == '\0' || r != NULL)
		abort();
	fuzz_device_id(data, len);
	return 0;
}
