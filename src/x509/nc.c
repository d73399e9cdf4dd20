/*
 * Name constraints (RFC 5280 4.2.1.10): whether a name lies inside the
 * subtrees a CA's nameConstraints permit and outside those it excludes.
 * Lint (lint.c) runs it on every subject and subjectAltName against every
 * CA of the chain; kr_nc_permits() (x509.h) answers for one general name.
 *
 * Matching follows RFC 5280: DNS names and e-mail domains by whole labels,
 * case-insensitive; iPAddress by address and mask; directoryName by
 * leading RDNs; URIs by their host.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <keyrite/x509.h>

#include "x509_int.h"

static bool
kr_ieq(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t	i;
	uint8_t	ca, cb;

	for (i = 0; i < n; i++) {
		ca = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
		cb = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];
		if (ca != cb)
			return false;
	}
	return true;
}

/*
 * Whether host `h` is inside domain constraint `c`: ".example.com" takes
 * every host below example.com; "example.com" takes that host and, with
 * `labels`, every host below it too (dNSName's rule).
 */
static bool
kr_host_under(const uint8_t *h, size_t hlen, const uint8_t *c, size_t clen,
    bool labels)
{
	if (clen > 0 && c[0] == '.')
		return hlen > clen && kr_ieq(h + hlen - clen, c, clen);
	if (hlen == clen)
		return kr_ieq(h, c, clen);
	return labels && hlen > clen && h[hlen - clen - 1] == '.' &&
	    kr_ieq(h + hlen - clen, c, clen);
}

/*
 * Matchers: 1 inside the constraint, 0 outside, -1 when the name cannot
 * be compared (malformed), which counts as outside every way.
 */

/* dNSName: the constraint plus zero or more labels on the left. */
static int
kr_nc_dns(const uint8_t *n, size_t nlen, const uint8_t *c, size_t clen)
{
	if (nlen == 0)
		return -1;
	if (clen == 0)
		return 1;
	return kr_host_under(n, nlen, c, clen, true);
}

/*
 * rfc822Name: "a@host" one mailbox, "host" every mailbox at that host,
 * ".domain" every mailbox at a host in that domain.
 */
static int
kr_nc_email(const uint8_t *n, size_t nlen, const uint8_t *c, size_t clen)
{
	const uint8_t	*at = memrchr(n, '@', nlen), *cat;
	const uint8_t	*host;
	size_t		 hlen;

	if (at == NULL || at == n || at == n + nlen - 1)
		return -1;
	host = at + 1;
	hlen = (size_t)(n + nlen - host);
	if ((cat = memrchr(c, '@', clen)) != NULL)
		return nlen == clen && (size_t)(at - n) == (size_t)(cat - c) &&
		    memcmp(n, c, (size_t)(at - n)) == 0 &&
		    kr_ieq(host, cat + 1, hlen);
	return kr_host_under(host, hlen, c, clen, false);
}

/* iPAddress: address and mask; the other family never matches. */
static int
kr_nc_ip(const uint8_t *n, size_t nlen, const uint8_t *c, size_t clen)
{
	size_t	i;

	if (nlen != 4 && nlen != 16)
		return -1;
	if (clen != 2 * nlen)
		return 0;
	for (i = 0; i < nlen; i++)
		if ((n[i] & c[nlen + i]) != (c[i] & c[nlen + i]))
			return 0;
	return 1;
}

/* directoryName: the constraint's RDNs are the first RDNs of the name. */
static int
kr_nc_dirname(const uint8_t *n, size_t nlen, const uint8_t *c, size_t clen)
{
	struct kr_der	nd, cd, ns, cs;
	struct kr_slice	tmp, nw, cw;
	uint8_t		tag;

	kr_der_init(&nd, n, nlen);
	kr_der_init(&cd, c, clen);
	if (kr_der_enter(&nd, KR_DER_SEQUENCE, &ns) != KR_OK ||
	    kr_der_done(&nd) != KR_OK ||
	    kr_der_enter(&cd, KR_DER_SEQUENCE, &cs) != KR_OK ||
	    kr_der_done(&cd) != KR_OK)
		return -1;
	while (!kr_der_at_end(&cs)) {
		if (kr_der_get_any(&cs, &tag, &tmp, &cw) != KR_OK)
			return -1;
		if (kr_der_at_end(&ns))
			return 0;
		if (kr_der_get_any(&ns, &tag, &tmp, &nw) != KR_OK)
			return -1;
		if (nw.len != cw.len || memcmp(nw.p, cw.p, nw.len) != 0)
			return 0;
	}
	return 1;
}

/* The host of "scheme://[userinfo@]host[:port][/...]". */
static bool
kr_uri_host(const uint8_t *u, size_t len, const uint8_t **host,
    size_t *hlen)
{
	const uint8_t	*a, *end, *p, *at;

	if ((a = memmem(u, len, "://", 3)) == NULL || a == u ||
	    memchr(u, '/', (size_t)(a - u)) != NULL)
		return false;
	a += 3;
	for (end = a; end < u + len && *end != '/' && *end != '?' &&
	    *end != '#'; end++)
		continue;
	if ((at = memrchr(a, '@', (size_t)(end - a))) != NULL)
		a = at + 1;
	if (a < end && *a == '[') {
		if ((p = memchr(a, ']', (size_t)(end - a))) == NULL)
			return false;
		end = p + 1;
	} else if ((p = memchr(a, ':', (size_t)(end - a))) != NULL)
		end = p;
	*host = a;
	*hlen = (size_t)(end - a);
	return *hlen > 0;
}

/* URI: "host" that host only, ".domain" any host in the domain. */
static int
kr_nc_uri(const uint8_t *n, size_t nlen, const uint8_t *c, size_t clen)
{
	const uint8_t	*host;
	size_t		 hlen;

	if (!kr_uri_host(n, nlen, &host, &hlen))
		return -1;
	return kr_host_under(host, hlen, c, clen, false);
}

static int
kr_nc_match(enum kr_gn_type t, const uint8_t *n, size_t nlen,
    const struct kr_gn *c)
{
	switch (t) {
	case KR_GN_DNS:
		return kr_nc_dns(n, nlen, c->value, c->len);
	case KR_GN_EMAIL:
		return kr_nc_email(n, nlen, c->value, c->len);
	case KR_GN_IP:
		return kr_nc_ip(n, nlen, c->value, c->len);
	case KR_GN_DIRNAME:
		return kr_nc_dirname(n, nlen, c->value, c->len);
	case KR_GN_URI:
		return kr_nc_uri(n, nlen, c->value, c->len);
	}
	return -1;
}

/*
 * Outside every excluded subtree of its type, and inside one permitted
 * subtree of its type if there are any.
 */
bool
kr_nc_check(const struct kr_cert_fields *ca, enum kr_gn_type t,
    const uint8_t *n, size_t nlen)
{
	size_t	i, same = 0;
	bool	inside = false;
	int	m;

	if (!ca->has_nc)
		return true;
	for (i = 0; i < ca->nc_excluded_count && i < KR_GN_MAX; i++)
		if (ca->nc_excluded[i].type == t &&
		    kr_nc_match(t, n, nlen, &ca->nc_excluded[i]) != 0)
			return false;
	for (i = 0; i < ca->nc_permitted_count && i < KR_GN_MAX; i++) {
		if (ca->nc_permitted[i].type != t)
			continue;
		same++;
		if ((m = kr_nc_match(t, n, nlen, &ca->nc_permitted[i])) < 0)
			return false;
		if (m == 1)
			inside = true;
	}
	return same == 0 || inside;
}

bool
kr_nc_permits(const struct kr_cert_fields *ca, const struct kr_gn *gn)
{
	if (ca == NULL || gn == NULL || gn->len > KR_GN_VALUE_MAX)
		return false;
	return kr_nc_check(ca, gn->type, gn->value, gn->len);
}
