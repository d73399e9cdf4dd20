/*
 * The one rule for a URI keyrite writes (cRLDistributionPoints,
 * authorityInfoAccess, the CPS qualifier, a CRL's issuingDistributionPoint
 * and freshestCRL) or reads from an operator (a uri: general name).
 */
#include <string.h>

#include <keyrite/der.h>

/* A scheme character after the first: ALPHA / DIGIT / "+" / "-" / "." */
static bool
scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

bool
kr_der_uri_ok(const char *s, size_t cap)
{
	const char	*colon;
	size_t		 i, n = strnlen(s, cap);

	if (n == 0 || n == cap)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	if ((colon = memchr(s, ':', n)) == NULL || colon[1] == '\0')
		return false;
	for (i = 1; s + i < colon; i++)
		if (!scheme_char(s[i]))
			return false;
	return true;
}
