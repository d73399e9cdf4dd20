/*
 * Key names: what a key may be called (purposes are named in crypto/).
 */
#include <string.h>

#include <keyrite/keystore.h>

static bool
key_name_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/*
 * The name itself is not repeated in the messages: a bad name may hold
 * control characters that would garble the operator's terminal.
 */
int
kr_key_name_check(const char *name, struct kr_err *err)
{
	size_t	i, len;

	if (name == NULL || name[0] == '\0')
		return kr_err_set(err, KR_EINPUT, "the key name is empty: "
		    "give 1 to %d characters of A-Z a-z 0-9 . _ -",
		    KR_KEY_NAME_MAX);
	len = strnlen(name, KR_KEY_NAME_MAX + 1);
	if (len > KR_KEY_NAME_MAX)
		return kr_err_set(err, KR_EINPUT, "the key name is longer "
		    "than %d characters", KR_KEY_NAME_MAX);
	for (i = 0; i < len; i++) {
		if (!key_name_char_ok(name[i]))
			return kr_err_set(err, KR_EINPUT, "the key name has "
			    "a character other than A-Z a-z 0-9 . _ - at "
			    "position %zu", i + 1);
	}
	if (name[0] == '.' || name[0] == '-')
		return kr_err_set(err, KR_EINPUT, "the key name may not start "
		    "with '.' or '-'");
	return KR_OK;
}
