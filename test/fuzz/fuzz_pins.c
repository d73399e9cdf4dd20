/*
 * libFuzzer target for token PIN files (src/keystore/pins.c): the header
 * parser, which reads the file before its MAC is checked, and the whole
 * open with a quorum secret.
 *
 * Each input is read as a PIN file, and as an edit script on a valid PIN
 * file sealed at start-up (so mutations reach past the magic and the
 * length fields).  Only the unedited file may open.  Seeds:
 * test/fuzz/seeds/pins/.
 *
 * TEST-KEY-054 (docs/traceability.md): its smoke run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/keystore.h>

#include "testlib.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	 qsecret[KR_QUORUM_SECRET_BYTES];
static uint8_t	*seed;
static size_t	 seed_len;

static void
seed_free(void)
{
	free(seed);
	seed = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kr_pins_header	 h;
	struct kr_p11_pins	*p;
	struct kr_err		 err;

	(void)argc;
	(void)argv;
	if (kr_crypto_init(&err) != KR_OK || (p = kr_p11_pins_new()) == NULL)
		abort();
	memset(qsecret, 0x42, sizeof(qsecret));
	memset(&h, 0, sizeof(h));
	memset(h.key_id, 0x11, sizeof(h.key_id));
	strcpy(h.name, "fuzz-token-key");
	strcpy(h.token_label, "fuzz token");
	strcpy(h.token_serial, "0123456789");
	memset(h.set_id, 0x22, sizeof(h.set_id));
	h.epoch = 1;
	h.created = 1795000000;
	strcpy(p->so, "so-pin-1234");
	strcpy(p->user, "user-pin-5678");
	if (kr_pins_seal(&h, p, qsecret, &seed, &seed_len, &err) != KR_OK ||
	    atexit(seed_free) != 0)
		abort();
	kr_p11_pins_free(&p);
	return 0;
}

static void
fuzz_file(const uint8_t *file, size_t len, bool may_open)
{
	struct kr_pins_header	 h;
	struct kr_p11_pins	*p = NULL;
	struct kr_err		 err;

	kr_err_clear(&err);
	if (kr_pins_parse_header(file, len, "fuzz.pins", &h, &err) == KR_OK) {
		if (memchr(h.name, '\0', sizeof(h.name)) == NULL ||
		    memchr(h.token_label, '\0', sizeof(h.token_label)) ==
		    NULL || h.token_label[0] == '\0' || h.created < 0)
			abort();
	} else if (err.msg[0] == '\0' ||
	    strstr(err.msg, "fuzz.pins") == NULL) {
		abort();
	}
	kr_err_clear(&err);
	if (kr_pins_open(file, len, "fuzz.pins", qsecret, NULL, &p, &err) ==
	    KR_OK) {
		if (!may_open || p == NULL || strcmp(p->user,
		    "user-pin-5678") != 0)
			abort();
		kr_p11_pins_free(&p);
	} else if (p != NULL || err.msg[0] == '\0') {
		abort();
	}
}

static bool
is_seed(const uint8_t *p, size_t len)
{
	return len == seed_len && memcmp(p, seed, len) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t	*buf;
	size_t	 n;

	fuzz_file(data, len, is_seed(data, len));
	if ((buf = malloc(seed_len)) == NULL)
		abort();
	memcpy(buf, seed, seed_len);
	n = tl_apply_edits(buf, seed_len, data, len);
	fuzz_file(buf, n, is_seed(buf, n));
	free(buf);
	return 0;
}
