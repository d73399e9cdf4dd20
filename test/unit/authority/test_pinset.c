/*
 * TEST-KEY-437 (docs/traceability.md): the pin set reader refuses, naming
 * the file, every input that is not byte for byte a pin set keyrite
 * writes (docs/formats.md, "Pin set"), and reads back the ones it writes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"
#include "testlib.h"

static char	good[4096];
static size_t	good_len;

static void
make_good(void)
{
	struct kr_pinset	 ps;
	struct kr_err		 err;
	char			*text;
	size_t			 len, i;

	memset(&ps, 0, sizeof(ps));
	ps.sequence = 7;
	ps.issued = 1800000000;
	ps.n = 2;
	for (i = 0; i < 2; i++) {
		(void)snprintf(ps.pins[i].key, sizeof(ps.pins[i].key), "root-%zu",
		    i + 1);
		(void)snprintf(ps.pins[i].subject, sizeof(ps.pins[i].subject),
		    "CN=Root \"%zu\",O=Example", i + 1);
		memset(ps.pins[i].spki_sha256, i == 0 ? 'a' : '7', 64);
		(void)snprintf(ps.pins[i].sig_alg, sizeof(ps.pins[i].sig_alg),
		    "%s", i == 0 ? "ecdsa-with-SHA256" : "ed25519");
		ps.pins[i].not_before = 1800000000;
		ps.pins[i].not_after = 1800000000 + 86400 * (int64_t)(i + 1);
	}
	ck_assert_int_eq(kr_pinset_format(&ps, &text, &len, &err), KR_OK);
	ck_assert_uint_lt(len, sizeof(good));
	memcpy(good, text, len);
	good_len = len;
	free(text);
}

START_TEST(test_round_trip)
{
	struct kr_pinset	ps;
	struct kr_err		err;

	make_good();
	ck_assert_int_eq(kr_pinset_parse("p.json", (uint8_t *)good, good_len,
	    &ps, &err), KR_OK);
	ck_assert_int_eq(ps.sequence, 7);
	ck_assert_uint_eq(ps.n, 2);
	ck_assert_str_eq(ps.pins[0].subject, "CN=Root \"1\",O=Example");
	ck_assert_str_eq(ps.pins[1].sig_alg, "ed25519");
	ck_assert_int_eq(ps.pins[1].not_after - ps.pins[1].not_before, 172800);
	ck_assert(good[good_len - 1] == '\n' && memchr(good, '\n',
	    good_len - 1) == NULL);
}
END_TEST

/* `from` replaced by `to` (first occurrence) must be refused. */
static const struct {
	const char	*from;
	const char	*to;
} bad[] = {
	{ "\"keyrite-pinset\"", "\"keyrite-pins\"" },
	{ "\"version\":1", "\"version\":2" },
	{ "\"sequence\":7", "\"sequence\":0" },
	{ "\"sequence\":7", "\"sequence\":-7" },
	{ "\"sequence\":7", "\"sequence\":07" },
	{ "\"sequence\":7,", "\"sequence\":7 ," },
	{ "aaaaaaaa", "AAAAAAAA" },
	{ "aaaaaaaa", "aaaaaaa" },
	{ "aaaaaaaa", "aaaaaaag" },
	{ "\"ed25519\"", "\"ed448\"" },
	{ "\"ecdsa-with-SHA256\"", "\"ECDSA\"" },
	{ "2027-01-16T08:00:00Z\"}", "2027-01-15T08:00:00Z\"}" },
	{ "T08:00:00Z", "T08:00:00+00:00" },
	{ "2027-01-15", "2027-02-30" },
	{ "\"issued\"", "\"Issued\"" },
	{ "\"key\":\"root-1\",", "" },
	{ "\"subject\"", "\"subject\":\"x\",\"subject\"" },
	{ "\n", "" },
	{ "\n", "\n\n" },
	{ "\n", "\r\n" },
	{ "}]}", "}],\"extra\":1}" },
	{ "[{", "[]" },
	{ "{\"format\"", " {\"format\"" },
};

START_TEST(test_bad)
{
	struct kr_pinset	 ps;
	struct kr_err		 err;
	char			 buf[4200], *at;
	size_t			 head;

	make_good();
	at = strstr(good, bad[_i].from);
	ck_assert_ptr_nonnull(at);
	head = (size_t)(at - good);
	(void)snprintf(buf, sizeof(buf), "%.*s%s%s", (int)head, good,
	    bad[_i].to, at + strlen(bad[_i].from));
	ck_assert_int_ne(kr_pinset_parse("bad.json", (uint8_t *)buf,
	    strlen(buf), &ps, &err), KR_OK);
	ck_assert_int_eq(err.code, KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "bad.json"));
}
END_TEST

START_TEST(test_bad_sizes)
{
	struct kr_pinset	 ps;
	struct kr_err		 err;
	char			*big, five[8192];
	const char		*pin;
	size_t			 i, o;

	make_good();
	ck_assert_int_ne(kr_pinset_parse("e.json", (uint8_t *)"", 0, &ps,
	    &err), KR_OK);
	good[10] = '\0';
	ck_assert_int_ne(kr_pinset_parse("nul.json", (uint8_t *)good,
	    good_len, &ps, &err), KR_OK);
	ck_assert_ptr_nonnull(strstr(err.msg, "NUL"));
	make_good();
	/* Five pins: one more than a pin set holds. */
	pin = strstr(good, "[{") + 1;
	o = (size_t)snprintf(five, sizeof(five), "%.*s", (int)(pin - good),
	    good);
	for (i = 0; i < 5; i++)
		o += (size_t)snprintf(five + o, sizeof(five) - o, "%s%.*s",
		    i > 0 ? "," : "", (int)(strstr(pin, "},") + 1 - pin), pin);
	(void)snprintf(five + o, sizeof(five) - o, "]}\n");
	ck_assert_int_ne(kr_pinset_parse("five.json", (uint8_t *)five,
	    strlen(five), &ps, &err), KR_OK);
	ck_assert_ptr_nonnull(strstr(err.msg, "more than 4"));
	/* The file reader's bound. */
	ck_assert_ptr_nonnull(tl_work_begin("pinset"));
	big = calloc(1, KR_PINSET_FILE_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', KR_PINSET_FILE_MAX + 1);
	ck_assert_int_eq(tl_save("big.json", big, KR_PINSET_FILE_MAX + 1), 0);
	ck_assert_int_ne(kr_authority_pinset_read(tl_path("big.json"), &ps,
	    &err), KR_OK);
	free(big);
	tl_work_end();
}
END_TEST

int
main(void)
{
	Suite		*s = suite_create("pinset");
	TCase		*tc = tcase_create("reader");
	struct kr_err	 err;

	if (kr_crypto_init(&err) != KR_OK)
		return 1;
	tcase_add_test(tc, test_round_trip);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) /
	    sizeof(bad[0])));
	tcase_add_test(tc, test_bad_sizes);
	suite_add_tcase(s, tc);
	return tl_run(s, NULL);
}
