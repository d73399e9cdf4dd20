/*
 * OBJECT IDENTIFIERs: well-formedness, dotted decimal and well-known names
 * <-> DER contents.  The one OID printer: every message that names an OID
 * goes through kr_oid_dotted() or kr_oid_format().
 *
 * Arcs may be larger than 64 bits (2.25.<UUID> policy identifiers are 128
 * bits), so an arc is held as base-128 digits, the same digits DER writes.
 */
#include <stdio.h>
#include <string.h>

#include <keyrite/der.h>

static const struct {
	const char	*name;
	const char	*der;
	size_t		 len;
} oid_names[] = {
#define N(name, oid)	{ name, oid, sizeof(oid) - 1 }
	N("serverAuth", KR_OID_KP_SERVER_AUTH),
	N("clientAuth", KR_OID_KP_CLIENT_AUTH),
	N("codeSigning", KR_OID_KP_CODE_SIGNING),
	N("emailProtection", KR_OID_KP_EMAIL),
	N("timeStamping", KR_OID_KP_TIME_STAMPING),
	N("OCSPSigning", KR_OID_KP_OCSP_SIGNING),
	N("anyExtendedKeyUsage", KR_OID_ANY_EKU),
	N("anyPolicy", KR_OID_ANY_POLICY),
#undef N
};

#define OID_NAMES	(sizeof(oid_names) / sizeof(oid_names[0]))

bool
kr_der_oid_valid(const uint8_t *p, size_t len)
{
	size_t	i;
	bool	start = true;

	if (len == 0 || (p[len - 1] & 0x80) != 0)
		return false;
	for (i = 0; i < len; i++) {
		/* a subidentifier may not start with 0x80 (leading zero) */
		if (start && p[i] == 0x80)
			return false;
		start = (p[i] & 0x80) == 0;
	}
	return true;
}

bool
kr_oid_eq(const struct kr_oid *oid, const char *c, size_t len)
{
	return oid->len == len && memcmp(oid->der, c, len) == 0;
}

/* An arc: base-128 digits, least significant first. */
struct arc {
	uint8_t	d[sizeof(((struct kr_oid *)0)->der)];
	size_t	n;		/* digits in use, >= 1 */
};

static bool
arc_mul_add(struct arc *a, unsigned mul, unsigned add)
{
	unsigned	carry = add, v;
	size_t		i;

	for (i = 0; i < a->n; i++) {
		v = a->d[i] * mul + carry;
		a->d[i] = v & 0x7f;
		carry = v >> 7;
	}
	while (carry != 0) {
		if (a->n == sizeof(a->d))
			return false;
		a->d[a->n++] = carry & 0x7f;
		carry >>= 7;
	}
	return true;
}

/* Divides by `div` in place, returning the remainder. */
static unsigned
arc_divmod(struct arc *a, unsigned div)
{
	unsigned	rem = 0, v;
	size_t		i;

	for (i = a->n; i-- > 0;) {
		v = (rem << 7) | a->d[i];
		a->d[i] = (uint8_t)(v / div);
		rem = v % div;
	}
	while (a->n > 1 && a->d[a->n - 1] == 0)
		a->n--;
	return rem;
}

/* Subtracts v (at most the arc's value). */
static void
arc_sub_small(struct arc *a, unsigned v)
{
	unsigned	borrow = v, d;
	size_t		i;

	for (i = 0; i < a->n && borrow != 0; i++) {
		d = borrow & 0x7f;
		borrow >>= 7;
		if (a->d[i] < d) {
			a->d[i] = (uint8_t)(a->d[i] + 128 - d);
			borrow++;
		} else
			a->d[i] = (uint8_t)(a->d[i] - d);
	}
	while (a->n > 1 && a->d[a->n - 1] == 0)
		a->n--;
}

static bool
arc_put(const struct arc *a, struct kr_oid *oid)
{
	size_t	i;

	if (oid->len + a->n > sizeof(oid->der))
		return false;
	for (i = a->n; i-- > 0;)
		oid->der[oid->len++] = a->d[i] | (i > 0 ? 0x80 : 0);
	return true;
}

/* Reads a decimal arc at *s (no leading zeros), advancing *s. */
static bool
arc_read(const char **s, struct arc *a)
{
	const char	*p = *s;

	a->n = 1;
	a->d[0] = 0;
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' &&
	    p[1] <= '9'))
		return false;
	for (; *p >= '0' && *p <= '9'; p++)
		if (!arc_mul_add(a, 10, (unsigned)(*p - '0')))
			return false;
	*s = p;
	return true;
}

static int
oid_dotted_parse(const char *s, struct kr_oid *oid)
{
	struct arc	a;
	unsigned	first;
	size_t		narcs = 0;

	oid->len = 0;
	if (*s < '0' || *s > '2' || s[1] != '.')
		return KR_EINPUT;
	first = (unsigned)(*s - '0');
	s += 2;
	for (;;) {
		if (!arc_read(&s, &a))
			return KR_EINPUT;
		if (narcs++ == 0) {
			/* the first two arcs share one subidentifier */
			if (first < 2 && (a.n > 1 || a.d[0] >= 40))
				return KR_EINPUT;
			if (!arc_mul_add(&a, 1, first * 40))
				return KR_EINPUT;
		}
		if (!arc_put(&a, oid))
			return KR_EINPUT;
		if (*s == '\0')
			return KR_OK;
		if (*s++ != '.')
			return KR_EINPUT;
	}
}

int
kr_oid_parse(const char *s, struct kr_oid *oid, struct kr_err *err)
{
	size_t	i;

	for (i = 0; i < OID_NAMES; i++) {
		if (strcmp(s, oid_names[i].name) == 0) {
			memcpy(oid->der, oid_names[i].der, oid_names[i].len);
			oid->len = oid_names[i].len;
			return KR_OK;
		}
	}
	if (oid_dotted_parse(s, oid) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "\"%s\" is not an object "
		    "identifier: write it dotted (1.3.6.1.5.5.7.3.3) or by a "
		    "known name (serverAuth, clientAuth, codeSigning, "
		    "emailProtection, timeStamping, OCSPSigning, "
		    "anyExtendedKeyUsage, anyPolicy)", s);
	return KR_OK;
}

/* Appends the decimal form of `a` (destroyed) to out at *off. */
static void
arc_print(struct arc *a, char *out, size_t outsz, size_t *off)
{
	char	dec[80];
	size_t	n = 0;

	do {
		dec[n++] = (char)('0' + arc_divmod(a, 10));
	} while ((a->n > 1 || a->d[0] != 0) && n < sizeof(dec));
	while (n > 0 && *off + 1 < outsz)
		out[(*off)++] = dec[--n];
	out[*off] = '\0';
}

/* Dotted decimal of OID contents; "(bad OID)" if they are malformed. */
void
kr_oid_dotted(const uint8_t *der, size_t len, char *out, size_t outsz)
{
	struct arc	a;
	size_t		i, off = 0, j;
	unsigned	top;
	bool		first = true;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (len > sizeof(a.d) || !kr_der_oid_valid(der, len)) {
		snprintf(out, outsz, "(bad OID)");
		return;
	}
	for (i = 0; i < len; i = j) {
		for (j = i; der[j] & 0x80; j++)
			;
		j++;
		/* base-128 digits, most significant first in DER */
		for (a.n = 0; a.n < j - i; a.n++)
			a.d[a.n] = der[j - 1 - a.n] & 0x7f;
		while (a.n > 1 && a.d[a.n - 1] == 0)
			a.n--;
		if (first) {
			top = (a.n == 1 && a.d[0] < 40) ? 0 :
			    (a.n == 1 && a.d[0] < 80) ? 1 : 2;
			arc_sub_small(&a, top * 40);
			off += (size_t)snprintf(out + off, outsz - off, "%u.",
			    top);
			if (off >= outsz)
				return;
			first = false;
		} else if (off + 1 < outsz) {
			out[off++] = '.';
			out[off] = '\0';
		}
		arc_print(&a, out, outsz, &off);
	}
}

void
kr_oid_format(const struct kr_oid *oid, char *out, size_t outsz)
{
	size_t	i;

	for (i = 0; i < OID_NAMES; i++) {
		if (kr_oid_eq(oid, oid_names[i].der, oid_names[i].len)) {
			snprintf(out, outsz, "%s", oid_names[i].name);
			return;
		}
	}
	kr_oid_dotted(oid->der, oid->len, out, outsz);
}
