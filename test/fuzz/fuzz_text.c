/*
 * libFuzzer target: the terminal-escaping function on arbitrary bytes.
 *
 * In the ordinary build it is linked with smoke.c and run as the test
 * fuzz-smoke-text.  Whatever the input, the escaped text holds no C0
 * control (but '\n' and '\t' when lines are kept), no DEL, no C1 and no
 * bidi control, is valid UTF-8, is at most four times as long as the
 * input, and escapes to itself.
 */
#include <stdlib.h>
#include <string.h>

#include <keyrite/base.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check(const uint8_t *in, size_t len, unsigned flags)
{
	struct kr_buf	b, again;
	uint32_t	cp;
	size_t		i, n;

	kr_buf_init(&b, false);
	kr_text_escape(&b, (const char *)in, len, flags);
	if (b.failed || b.len > 4 * len)
		abort();
	for (i = 0; i < b.len; i += n) {
		if ((n = kr_utf8_decode(b.p + i, b.len - i, &cp)) == 0)
			abort();
		if ((cp == '\n' || cp == '\t') && (flags & KR_TEXT_LINES) != 0)
			continue;
		if (kr_cp_is_control(cp) || kr_cp_is_bidi_control(cp) ||
		    !kr_cp_printable(cp))
			abort();
	}
	if (!kr_text_safe((const char *)b.p, b.len, flags))
		abort();
	kr_buf_init(&again, false);
	kr_text_escape(&again, (const char *)b.p, b.len, flags);
	if (again.len != b.len || (b.len > 0 && memcmp(again.p, b.p,
	    b.len) != 0))
		abort();
	kr_buf_free(&again);
	kr_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_check(data, len, 0);
	fuzz_check(data, len, KR_TEXT_LINES);
	return 0;
}
