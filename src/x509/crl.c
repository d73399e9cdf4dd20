/*
 * What the CRL builder (crl_build.c) and parser (crl_parse.c) share: the
 * CRLReason names (RFC 5280 5.3.1) and the rules for the integers a CRL
 * carries (serial numbers, CRL numbers).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "x509_int.h"

#include <keyrite/crl.h>

/* ---------------------------------------------------------------------
 * CRLReason names (RFC 5280 5.3.1)
 */

static const struct {
	enum kr_reason	 reason;
	const char	*name;
} reason_names[] = {
	{ KR_REASON_UNSPECIFIED,	"unspecified" },
	{ KR_REASON_KEY_COMPROMISE,	"keyCompromise" },
	{ KR_REASON_CA_COMPROMISE,	"cACompromise" },
	{ KR_REASON_AFFILIATION_CHANGED, "affiliationChanged" },
	{ KR_REASON_SUPERSEDED,		"superseded" },
	{ KR_REASON_CESSATION,		"cessationOfOperation" },
	{ KR_REASON_CERTIFICATE_HOLD,	"certificateHold" },
	{ KR_REASON_REMOVE_FROM_CRL,	"removeFromCRL" },
	{ KR_REASON_PRIVILEGE_WITHDRAWN, "privilegeWithdrawn" },
	{ KR_REASON_AA_COMPROMISE,	"aACompromise" },
};

#define NREASONS	(sizeof(reason_names) / sizeof(reason_names[0]))

/*
 * Case does not matter, so OpenSSL's spelling "CACompromise" is read too.
 * "unspecified" gives KR_REASON_NONE: keyrite writes it as no reasonCode.
 */
int
kr_reason_from_name(const char *name, enum kr_reason *r)
{
	size_t	i;

	if (name == NULL)
		return KR_EINPUT;
	for (i = 0; i < NREASONS; i++) {
		if (strcasecmp(name, reason_names[i].name) != 0)
			continue;
		*r = reason_names[i].reason == KR_REASON_UNSPECIFIED ?
		    KR_REASON_NONE : reason_names[i].reason;
		return KR_OK;
	}
	return KR_EINPUT;
}

/* NONE reads as "unspecified", so the name maps back to it. */
const char *
kr_reason_name(enum kr_reason r)
{
	size_t	i;

	if (r == KR_REASON_NONE)
		return "unspecified";
	for (i = 0; i < NREASONS; i++)
		if (reason_names[i].reason == r)
			return reason_names[i].name;
	return "(invalid reason)";
}

bool
kr_crl_reason_valid(int r)
{
	return r == KR_REASON_NONE || (r >= 0 && r <= 10 && r != 7);
}

int
kr_bigint_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int	c;

	while (alen > 0 && a[0] == 0)
		a++, alen--;
	while (blen > 0 && b[0] == 0)
		b++, blen--;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	if (alen == 0)
		return 0;
	c = memcmp(a, b, alen);
	return c < 0 ? -1 : c > 0;
}

/* A minimal INTEGER encoding of a non-negative value, 1..max octets. */
bool
kr_crl_uint_ok(const uint8_t *p, size_t len, size_t max)
{
	if (len == 0 || len > max || (p[0] & 0x80) != 0)
		return false;
	return len == 1 || p[0] != 0 || (p[1] & 0x80) != 0;
}

/* The same, and not zero: a certificate serial number. */
bool
kr_crl_serial_ok(const uint8_t *p, size_t len)
{
	return kr_crl_uint_ok(p, len, KR_SERIAL_MAX) && !(len == 1 && p[0] == 0);
}
