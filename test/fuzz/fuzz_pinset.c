/*
 * libFuzzer target for the pin set reader (`pinset show FILE`, `pinset
 * verify FILE`: a file from outside; the seeds are pin sets `rotate root`
 * and `rotate finish` wrote).  Every refusal names the file; a pin set
 * read is written back to the same bytes, since the reader takes only
 * the form keyrite writes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_pinset	 ps;
	struct kr_err		 err;
	char			*back = NULL;
	size_t			 len;

	if (size > KR_PINSET_FILE_MAX)
		return 0;
	if (kr_pinset_parse("fuzz.json", data, size, &ps, &err) != KR_OK) {
		if (strstr(err.msg, "fuzz.json") == NULL)
			__builtin_trap();
		return 0;
	}
	if (ps.n == 0 || ps.n > KR_PINSET_PINS_MAX ||
	    kr_pinset_format(&ps, &back, &len, &err) != KR_OK ||
	    len != size || memcmp(back, data, size) != 0)
		__builtin_trap();
	free(back);
	return 0;
}
