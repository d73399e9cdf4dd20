/*
 * libFuzzer target for the prepared certificate request reader
 * (`cert root|issue|cross-sign --request FILE`: a file brought back from a
 * rehearsal; the seeds are of format 1 and of format 2, kinds root and
 * cross).
 *
 * Each input is read as it is, and again with a correct `sha256` line
 * appended, so the line reader behind the checksum is reached too.  Every
 * refusal names the file; a request read is formatted back to the same
 * bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "authority_int.h"

int	 LLVMFuzzerInitialize(int *, char ***);
int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kr_err	err;

	(void)argc;
	(void)argv;
	return kr_crypto_init(&err) == KR_OK ? 0 : -1;
}

static void
fuzz_one(const uint8_t *data, size_t size)
{
	struct kr_cert_request	 rq;
	struct kr_err		 err;
	char			*back = NULL;
	size_t			 len;

	if (kr_request_parse("fuzz.req", data, size, &rq, &err) != KR_OK) {
		if (strstr(err.msg, "fuzz.req") == NULL)
			__builtin_trap();
		return;
	}
	if (kr_request_format(&rq, &back, &len, &err) != KR_OK ||
	    len != size || memcmp(back, data, size) != 0)
		__builtin_trap();
	free(back);
	kr_request_free(&rq);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	*with, dig[32];
	char	 hex[65];

	if (size > KR_REQUEST_FILE_MAX)
		return 0;
	fuzz_one(data, size);
	if ((with = malloc(size + 72)) == NULL)
		return 0;
	memcpy(with, data, size);
	if (kr_hash(KR_HASH_SHA256, data, size, dig) == KR_OK) {
		kr_hex_encode(hex, dig, sizeof(dig));
		memcpy(with + size, "sha256 ", 7);
		memcpy(with + size + 7, hex, 64);
		with[size + 71] = '\n';
		fuzz_one(with, size + 72);
	}
	free(with);
	return 0;
}
