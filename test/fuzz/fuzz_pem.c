/*
 * libFuzzer target for PEM decoding (kr_pem_decode: CSRs, certificates,
 * chains and CRLs given as files) and the base64 and hex decoders under
 * it.
 *
 * A block that decodes encodes again (kr_pem_encode) and decodes to the
 * same bytes; base64 and hex results are never longer than the input
 * allows.  Seeds: test/fuzz/seeds/pem/.
 *
 * TEST-KEY-054 (docs/traceability.md): its smoke run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/base.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const labels[] = {
	"CERTIFICATE", "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST",
	"X509 CRL", "PUBLIC KEY",
};

static void
fuzz_pem(const char *label, const char *text, size_t len)
{
	uint8_t	*der = NULL, *again = NULL;
	size_t	 dlen = 0, alen = 0;
	char	*pem;
	int	 ret;

	ret = kr_pem_decode(label, text, len, &der, &dlen);
	if (ret != KR_OK) {
		if (der != NULL || dlen != 0 || (ret != KR_ENOENT &&
		    ret != KR_EINPUT))
			abort();
		return;
	}
	if (der == NULL || dlen == 0 || dlen > len)
		abort();
	if ((pem = kr_pem_encode(label, der, dlen)) == NULL ||
	    kr_pem_decode(label, pem, strlen(pem), &again, &alen) != KR_OK ||
	    alen != dlen || memcmp(again, der, dlen) != 0)
		abort();
	free(again);
	free(pem);
	free(der);
}

static void
fuzz_codecs(const char *text, size_t len)
{
	uint8_t	*out = NULL;
	size_t	 olen = 0;

	if (kr_base64_decode(text, len, &out, &olen) == KR_OK &&
	    (olen > len || (olen > 0 && out == NULL)))
		abort();
	free(out);
	out = NULL;
	if (kr_hex_decode_alloc(text, &out, &olen) == KR_OK &&
	    2 * olen > len)
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	*text = malloc(len + 1);
	size_t	 i;

	if (text == NULL)
		abort();
	memcpy(text, data, len);
	text[len] = '\0';
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		fuzz_pem(labels[i], text, len);
	fuzz_codecs(text, strlen(text));
	free(text);
	return 0;
}
