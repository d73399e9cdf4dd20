/*
 * General names, as written on the command line and in profiles
 * ("dns:example.com", "ip:10.0.0.0/8") and in DER.
 *
 * GeneralName ::= CHOICE {
 *      otherName                 [0] OtherName,
 *      rfc822Name                [1] IA5String,
 *      dNSName                   [2] IA5String,
 *      x400Address               [3] ORAddress,
 *      directoryName             [4] Name,
 *      ediPartyName              [5] EDIPartyName,
 *      uniformResourceIdentifier [6] IA5String,
 *      iPAddress                 [7] OCTET STRING,
 *      registeredID              [8] OBJECT IDENTIFIER }
 *
 * The module is IMPLICIT TAGS, so [4] is explicit (Name is a CHOICE) and
 * the others replace the universal tag.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "x509_int.h"

static const struct {
	const char	*prefix;
	enum kr_gn_type	 type;
} gn_prefixes[] = {
	{ "dns", KR_GN_DNS },
	{ "ip", KR_GN_IP },
	{ "email", KR_GN_EMAIL },
	{ "uri", KR_GN_URI },
	{ "dirname", KR_GN_DIRNAME },
};

#define GN_PREFIXES	(sizeof(gn_prefixes) / sizeof(gn_prefixes[0]))

static bool
ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* Host name: LDH labels of 1..63, no '-' at a label's ends, <= 253. */
static bool
dns_ok(const char *s)
{
	size_t	n, total = strlen(s);

	if (total == 0 || total > 253)
		return false;
	for (;;) {
		for (n = 0; ldh(s[n]); n++)
			;
		if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
			return false;
		if (s[n] == '\0')
			return true;
		if (s[n] != '.')
			return false;
		s += n + 1;
	}
}

/* Printable ASCII without spaces (IA5 as keyrite writes it). */
static bool
ia5_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return false;
	return true;
}

static bool
email_ok(const char *s)
{
	const char	*at = strchr(s, '@');

	return ia5_ok(s) && at != NULL && at != s && strchr(at + 1, '@') ==
	    NULL && dns_ok(at + 1);
}

/* In a constraint a host may start with '.': ".example.com". */
static bool
host_constraint_ok(const char *s)
{
	return dns_ok(s[0] == '.' ? s + 1 : s);
}

static int
gn_text(const char *v, bool constraint, struct kr_gn *gn,
    struct kr_err *err)
{
	bool	ok;

	switch (gn->type) {
	case KR_GN_DNS:
		ok = constraint ? host_constraint_ok(v) :
		    dns_ok(strncmp(v, "*.", 2) == 0 ? v + 2 : v);
		break;
	case KR_GN_EMAIL:
		ok = email_ok(v) || (constraint && host_constraint_ok(v));
		break;
	default:
		ok = constraint ? host_constraint_ok(v) :
		    kr_der_uri_ok(v, KR_URI_MAX);
		break;
	}
	if (!ok)
		return kr_err_set(err, KR_EINPUT, "\"%s\" is not a valid %s%s",
		    v, gn->type == KR_GN_DNS ? "DNS name" :
		    gn->type == KR_GN_EMAIL ? "e-mail address" : "URI",
		    constraint ? " constraint" : "");
	gn->len = strlen(v);
	memcpy(gn->value, v, gn->len);
	return KR_OK;
}

/* Reads a decimal prefix length of at most `max`, no leading zeros. */
static bool
prefix_read(const char *s, unsigned max, unsigned *v)
{
	*v = 0;
	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		*v = *v * 10 + (unsigned)(*s - '0');
		if (*v > max)
			return false;
	}
	return true;
}

static int
gn_ip(const char *v, bool constraint, struct kr_gn *gn, struct kr_err *err)
{
	char		 addr[64];
	const char	*slash = strchr(v, '/');
	size_t		 alen, n, i;
	unsigned	 plen;

	alen = slash != NULL ? (size_t)(slash - v) : strlen(v);
	if (alen >= sizeof(addr))
		goto bad;
	memcpy(addr, v, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, gn->value) == 1)
		n = 4;
	else if (inet_pton(AF_INET6, addr, gn->value) == 1)
		n = 16;
	else
		goto bad;
	if (!constraint) {
		if (slash != NULL)
			return kr_err_set(err, KR_EINPUT, "\"%s\": an address "
			    "in a name takes no /prefix", v);
		gn->len = n;
		return KR_OK;
	}
	if (slash == NULL || !prefix_read(slash + 1, (unsigned)n * 8, &plen))
		return kr_err_set(err, KR_EINPUT, "\"%s\": an address in a "
		    "name constraint needs a prefix length, such as "
		    "ip:10.0.0.0/8 or ip:2001:db8::/32", v);
	for (i = 0; i < n; i++) {
		unsigned bits = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ?
		    plen - 8 * (unsigned)i : 0;
		uint8_t m = (uint8_t)(0xff00 >> bits);

		gn->value[n + i] = m;
		if ((gn->value[i] & (uint8_t)~m) != 0)
			return kr_err_set(err, KR_EINPUT, "\"%s\": the address "
			    "has bits set beyond the /%u prefix", v, plen);
	}
	gn->len = 2 * n;
	return KR_OK;
bad:
	return kr_err_set(err, KR_EINPUT, "\"%s\" is not an IPv4 or IPv6 "
	    "address", v);
}

static int
gn_dirname(const char *v, struct kr_gn *gn, struct kr_err *err)
{
	uint8_t	*der;
	size_t	 len;

	if (kr_dn_encode(v, &der, &len, err) != KR_OK)
		return err->code;
	if (len > sizeof(gn->value)) {
		free(der);
		return kr_err_set(err, KR_EINPUT, "dirname:%s is longer than "
		    "%d bytes in DER", v, KR_GN_VALUE_MAX);
	}
	memcpy(gn->value, der, len);
	gn->len = len;
	free(der);
	return KR_OK;
}

int
kr_gn_parse(const char *s, bool constraint, struct kr_gn *gn,
    struct kr_err *err)
{
	const char	*colon = strchr(s, ':');
	size_t		 i, plen;
	int		 ret = KR_EINPUT;

	memset(gn, 0, sizeof(*gn));
	plen = colon != NULL ? (size_t)(colon - s) : 0;
	for (i = 0; i < GN_PREFIXES; i++)
		if (strlen(gn_prefixes[i].prefix) == plen &&
		    strncasecmp(gn_prefixes[i].prefix, s, plen) == 0)
			break;
	if (i == GN_PREFIXES)
		return kr_err_set(err, KR_EINPUT, "\"%s\" is not a general "
		    "name: write dns:NAME, ip:ADDRESS%s, email:ADDRESS, "
		    "uri:URI or dirname:DN", s, constraint ? "/PREFIX" : "");
	gn->type = gn_prefixes[i].type;
	if (strlen(colon + 1) >= KR_GN_VALUE_MAX && gn->type != KR_GN_DIRNAME)
		return kr_err_set(err, KR_EINPUT, "\"%.40s...\" is longer than "
		    "%d characters", s, KR_GN_VALUE_MAX - 1);
	if (gn->type == KR_GN_IP)
		ret = gn_ip(colon + 1, constraint, gn, err);
	else if (gn->type == KR_GN_DIRNAME)
		ret = gn_dirname(colon + 1, gn, err);
	else
		ret = gn_text(colon + 1, constraint, gn, err);
	if (ret != KR_OK)
		memset(gn, 0, sizeof(*gn));
	return ret;
}

/* Mask bytes -> prefix length, or -1 if not contiguous. */
static int
mask_prefix(const uint8_t *m, size_t n)
{
	size_t	i;
	int	bits = 0;
	bool	ended = false;
	uint8_t	b;

	for (i = 0; i < n; i++) {
		for (b = 0x80; b != 0; b >>= 1) {
			if ((m[i] & b) != 0) {
				if (ended)
					return -1;
				bits++;
			} else
				ended = true;
		}
	}
	return bits;
}

static void
gn_format_ip(const struct kr_gn *gn, char *out, size_t outsz)
{
	char	a[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN];
	size_t	n = gn->len == 8 || gn->len == 4 ? 4 : 16;
	int	af = n == 4 ? AF_INET : AF_INET6, p;

	if ((gn->len != 4 && gn->len != 8 && gn->len != 16 &&
	    gn->len != 32) || inet_ntop(af, gn->value, a, sizeof(a)) == NULL) {
		snprintf(out, outsz, "ip:(%zu bytes)", gn->len);
		return;
	}
	if (gn->len == n) {
		snprintf(out, outsz, "ip:%s", a);
		return;
	}
	if ((p = mask_prefix(gn->value + n, n)) >= 0)
		snprintf(out, outsz, "ip:%s/%d", a, p);
	else if (inet_ntop(af, gn->value + n, m, sizeof(m)) != NULL)
		snprintf(out, outsz, "ip:%s/%s", a, m);
}

void
kr_gn_format(const struct kr_gn *gn, char *out, size_t outsz)
{
	char	 text[4 * KR_GN_VALUE_MAX + 1], dn[KR_NAME_DER_MAX];
	size_t	 i, off = 0;
	uint8_t	 c;

	if (outsz == 0)
		return;
	out[0] = '\0';
	switch (gn->type) {
	case KR_GN_IP:
		gn_format_ip(gn, out, outsz);
		return;
	case KR_GN_DIRNAME:
		kr_dn_format(gn->value, gn->len, dn, sizeof(dn));
		snprintf(out, outsz, "dirname:%s", dn);
		return;
	case KR_GN_DNS:
	case KR_GN_EMAIL:
	case KR_GN_URI:
		break;
	default:
		snprintf(out, outsz, "(general name of type %d)", gn->type);
		return;
	}
	for (i = 0; i < gn->len && i < KR_GN_VALUE_MAX; i++) {
		c = gn->value[i];
		if (c > 0x20 && c < 0x7f)
			text[off++] = (char)c;
		else
			off += (size_t)snprintf(text + off, 5, "\\x%02x", c);
	}
	text[off] = '\0';
	snprintf(out, outsz, "%s:%s", gn->type == KR_GN_DNS ? "dns" :
	    gn->type == KR_GN_EMAIL ? "email" : "uri", text);
}

int
kr_derw_gn(uint8_t **p, uint8_t *start, const struct kr_gn *gn)
{
	int	ret;
	size_t	len = 0;

	if (gn->len > KR_GN_VALUE_MAX)
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	switch (gn->type) {
	case KR_GN_EMAIL:
		return kr_derw_tlv(p, start, KR_DER_CTX(1), gn->value,
		    gn->len);
	case KR_GN_DNS:
		return kr_derw_tlv(p, start, KR_DER_CTX(2), gn->value,
		    gn->len);
	case KR_GN_URI:
		return kr_derw_tlv(p, start, KR_DER_CTX(6), gn->value,
		    gn->len);
	case KR_GN_IP:
		return kr_derw_tlv(p, start, KR_DER_CTX(7), gn->value,
		    gn->len);
	case KR_GN_DIRNAME:
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_raw(p, start, gn->value,
		    gn->len));
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len,
		    KR_DER_CTX_CONS(4)));
		return (int)len;
	default:
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	}
}

static int
gn_get_text(const struct kr_slice *c, bool constraint, struct kr_gn *gn)
{
	size_t	i;

	if (c->len >= KR_GN_VALUE_MAX || (c->len == 0 && !constraint))
		return KR_EINPUT;
	for (i = 0; i < c->len; i++)
		if (c->p[i] <= 0x20 || c->p[i] >= 0x7f)
			return KR_EINPUT;
	memcpy(gn->value, c->p, c->len);
	gn->len = c->len;
	return KR_OK;
}

static int
gn_get_dirname(const struct kr_slice *c, struct kr_gn *gn)
{
	struct kr_der	d;
	struct kr_slice	name, whole;

	kr_der_init(&d, c->p, c->len);
	if (kr_der_get_whole(&d, KR_DER_SEQUENCE, &name, &whole) != KR_OK ||
	    kr_der_done(&d) != KR_OK || whole.len > sizeof(gn->value) ||
	    !kr_dn_valid(whole.p, whole.len))
		return KR_EINPUT;
	memcpy(gn->value, whole.p, whole.len);
	gn->len = whole.len;
	return KR_OK;
}

int
kr_der_get_gn(struct kr_der *d, bool constraint, struct kr_gn *gn)
{
	struct kr_der	save = *d;
	struct kr_slice	c;
	uint8_t		tag;
	int		ret = KR_EINPUT;
	size_t		n = constraint ? 8 : 4;

	memset(gn, 0, sizeof(*gn));
	if (kr_der_get_any(d, &tag, &c, NULL) != KR_OK)
		return KR_EINPUT;
	switch (tag) {
	case KR_DER_CTX(1):
		gn->type = KR_GN_EMAIL;
		ret = gn_get_text(&c, constraint, gn);
		break;
	case KR_DER_CTX(2):
		gn->type = KR_GN_DNS;
		ret = gn_get_text(&c, constraint, gn);
		break;
	case KR_DER_CTX(6):
		gn->type = KR_GN_URI;
		ret = gn_get_text(&c, constraint, gn);
		break;
	case KR_DER_CTX(7):
		gn->type = KR_GN_IP;
		if (c.len == n || c.len == 4 * n) {
			memcpy(gn->value, c.p, c.len);
			gn->len = c.len;
			ret = KR_OK;
		}
		break;
	case KR_DER_CTX_CONS(4):
		gn->type = KR_GN_DIRNAME;
		ret = gn_get_dirname(&c, gn);
		break;
	case KR_DER_CTX_CONS(0):	/* otherName */
	case KR_DER_CTX_CONS(3):	/* x400Address */
	case KR_DER_CTX_CONS(5):	/* ediPartyName */
	case KR_DER_CTX(8):		/* registeredID */
		memset(gn, 0, sizeof(*gn));
		return KR_ENOENT;
	default:
		break;
	}
	if (ret != KR_OK) {
		memset(gn, 0, sizeof(*gn));
		*d = save;
	}
	return ret;
}
