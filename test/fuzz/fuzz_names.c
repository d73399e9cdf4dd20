/*
 * libFuzzer target for the text parsers of the command line: --subject
 * and dirname: (kr_dn_encode), --san and name constraints (kr_gn_parse),
 * OIDs in profiles and options (kr_oid_parse) and --serial
 * (kr_serial_parse).  Each reads the input as one NUL-terminated string.
 *
 * What a success promises: a DER Name within KR_NAME_DER_MAX that
 * kr_dn_format renders, a general name within its buffer that formats,
 * an OID that formats and parses back to the same bytes, a serial of 1
 * to 20 octets, positive and minimally encoded.  A refusal always says
 * why.  Seeds: test/fuzz/seeds/names/.
 *
 * TEST-KEY-054 (docs/traceability.md): its smoke run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/x509.h>

#include "authority_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_TEXT_MAX	4096

static void
refused(const struct kr_err *err)
{
	if (err->msg[0] == '\0' || err->code == KR_OK)
		abort();
}

static void
fuzz_dn(const char *s)
{
	struct kr_err	 err;
	uint8_t		*der = NULL;
	size_t		 len = 0;
	char		 text[2048];

	kr_err_clear(&err);
	if (kr_dn_encode(s, &der, &len, &err) != KR_OK) {
		refused(&err);
		if (der != NULL)
			abort();
		return;
	}
	if (der == NULL || len < 2 || len > KR_NAME_DER_MAX || der[0] != 0x30)
		abort();
	kr_dn_format(der, len, text, sizeof(text));
	if (memchr(text, '\0', sizeof(text)) == NULL)
		abort();
	free(der);
}

static void
fuzz_gn(const char *s, bool constraint)
{
	struct kr_gn	g;
	struct kr_err	err;
	char		text[1200];

	kr_err_clear(&err);
	if (kr_gn_parse(s, constraint, &g, &err) != KR_OK) {
		refused(&err);
		return;
	}
	if (g.len > KR_GN_VALUE_MAX || g.type < KR_GN_DNS ||
	    g.type > KR_GN_DIRNAME)
		abort();
	kr_gn_format(&g, text, sizeof(text));
	if (memchr(text, '\0', sizeof(text)) == NULL)
		abort();
}

static void
fuzz_oid(const char *s)
{
	struct kr_oid	o, again;
	struct kr_err	err;
	char		text[256];

	kr_err_clear(&err);
	if (kr_oid_parse(s, &o, &err) != KR_OK) {
		refused(&err);
		return;
	}
	if (o.len == 0 || o.len > sizeof(o.der))
		abort();
	kr_oid_format(&o, text, sizeof(text));
	if (kr_oid_parse(text, &again, &err) != KR_OK ||
	    again.len != o.len || memcmp(again.der, o.der, o.len) != 0)
		abort();
}

static void
fuzz_serial(const char *s)
{
	uint8_t		out[KR_SERIAL_MAX];
	size_t		len = 0;
	struct kr_err	err;

	kr_err_clear(&err);
	if (kr_serial_parse(s, out, &len, &err) != KR_OK) {
		refused(&err);
		return;
	}
	if (len == 0 || len > KR_SERIAL_MAX || (out[0] & 0x80) != 0 ||
	    (len > 1 && out[0] == 0 && (out[1] & 0x80) == 0) ||
	    (len == 1 && out[0] == 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	s[FUZZ_TEXT_MAX + 1];

	if (len > FUZZ_TEXT_MAX)
		len = FUZZ_TEXT_MAX;
	memcpy(s, data, len);
	s[len] = '\0';
	fuzz_dn(s);
	fuzz_gn(s, false);
	fuzz_gn(s, true);
	fuzz_oid(s);
	fuzz_serial(s);
	return 0;
}
