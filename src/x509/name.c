/*
 * Distinguished Names: "CN=Example Root,O=Example,C=DE" <-> DER Name.
 *
 * Name ::= CHOICE { rdnSequence RDNSequence }
 * RDNSequence ::= SEQUENCE OF RelativeDistinguishedName
 * RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 * AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY }
 *
 * keyrite writes one attribute per RDN, in the order given.  Upper bounds
 * are those of RFC 5280 Appendix A (ub-common-name 64 and so on), counted
 * in characters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "x509_int.h"

enum charset {
	CS_UTF8,		/* UTF8String: any printable UTF-8 */
	CS_COUNTRY,		/* PrintableString: two capital letters */
	CS_PRINTABLE,		/* PrintableString (X.680 41.4) */
	CS_LABEL,		/* IA5String: a DNS label (RFC 4519 dc) */
	CS_EMAIL,		/* IA5String: printable ASCII with an '@' */
};

static const struct dn_attr {
	const char	*name;
	const char	*oid;
	size_t		 oid_len;
	enum charset	 cs;
	size_t		 max;		/* characters */
} dn_attrs[] = {
#define A(n, o, cs, max)	{ n, o, sizeof(o) - 1, cs, max }
	A("C", KR_OID_AT_C, CS_COUNTRY, 2),
	A("ST", KR_OID_AT_ST, CS_UTF8, 128),
	A("L", KR_OID_AT_L, CS_UTF8, 128),
	A("O", KR_OID_AT_O, CS_UTF8, 64),
	A("OU", KR_OID_AT_OU, CS_UTF8, 64),
	A("CN", KR_OID_AT_CN, CS_UTF8, 64),
	A("serialNumber", KR_OID_AT_SERIAL, CS_PRINTABLE, 64),
	A("DC", KR_OID_AT_DC, CS_LABEL, 63),
	A("emailAddress", KR_OID_AT_EMAIL, CS_EMAIL, 255),
#undef A
};

#define DN_ATTRS	(sizeof(dn_attrs) / sizeof(dn_attrs[0]))
#define DN_MAX_RDNS	16
#define DN_VALUE_MAX	(255 * 4)	/* 255 characters of UTF-8 */

struct dn_av {
	const struct dn_attr	*a;
	uint8_t			 v[DN_VALUE_MAX];
	size_t			 len;
};

const char *
kr_dn_attr_name(const struct kr_oid *oid)
{
	size_t	i;

	for (i = 0; i < DN_ATTRS; i++)
		if (kr_oid_eq(oid, dn_attrs[i].oid, dn_attrs[i].oid_len))
			return dn_attrs[i].name;
	return NULL;
}

static bool
printable_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || strchr(" '()+,-./:=?", c) != NULL;
}

static bool
label_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* Checks a value against its attribute's character set and bound. */
static int
dn_value_check(const struct dn_av *av, struct kr_err *err)
{
	const struct dn_attr	*a = av->a;
	size_t			 i, n, chars = 0;
	uint32_t		 cp;
	bool			 at = false;

	for (i = 0; i < av->len; i += n, chars++) {
		if ((n = kr_utf8_decode(av->v + i, av->len - i, &cp)) == 0)
			return kr_err_set(err, KR_EINPUT, "%s: the value is "
			    "not valid UTF-8", a->name);
		if (kr_cp_is_control(cp))
			return kr_err_set(err, KR_EINPUT, "%s: the value "
			    "holds the control character U+%04X: remove it",
			    a->name, (unsigned)cp);
		if (kr_cp_is_bidi_control(cp))
			return kr_err_set(err, KR_EINPUT, "%s: the value "
			    "holds the bidirectional control U+%04X, which "
			    "reorders the text on screen: remove it", a->name,
			    (unsigned)cp);
		if (a->cs == CS_UTF8)
			continue;
		if (cp > 0x7e ||
		    (a->cs == CS_COUNTRY && (cp < 'A' || cp > 'Z')) ||
		    (a->cs == CS_PRINTABLE && !printable_char((uint8_t)cp)) ||
		    (a->cs == CS_LABEL && !label_char((uint8_t)cp)))
			goto charset;
		at |= cp == '@';
	}
	if (a->cs == CS_COUNTRY && chars != 2)
		return kr_err_set(err, KR_EINPUT, "C must be a two-letter "
		    "ISO 3166 country code in capitals, such as C=DE");
	if (a->cs == CS_EMAIL && !at)
		return kr_err_set(err, KR_EINPUT, "emailAddress must be an "
		    "address with an '@'");
	if (chars > a->max)
		return kr_err_set(err, KR_EINPUT, "%s is %zu characters long; "
		    "at most %zu are allowed (RFC 5280)", a->name, chars,
		    a->max);
	return KR_OK;
charset:
	switch (a->cs) {
	case CS_COUNTRY:
		return kr_err_set(err, KR_EINPUT, "C must be a two-letter "
		    "ISO 3166 country code in capitals, such as C=DE");
	case CS_PRINTABLE:
		return kr_err_set(err, KR_EINPUT, "%s may hold only letters, "
		    "digits, spaces and ' ( ) + , - . / : = ? "
		    "(PrintableString)",
		    a->name);
	case CS_LABEL:
		return kr_err_set(err, KR_EINPUT, "DC must be one DNS label: "
		    "letters, digits and '-' (write DC=example,DC=com)");
	default:
		return kr_err_set(err, KR_EINPUT, "%s may hold only printable "
		    "ASCII", a->name);
	}
}

static const struct dn_attr *
dn_attr_find(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < DN_ATTRS; i++)
		if (strlen(dn_attrs[i].name) == len &&
		    strncasecmp(dn_attrs[i].name, s, len) == 0)
			return &dn_attrs[i];
	return NULL;
}

/*
 * Reads one "TYPE=value" at *s up to an unescaped ',' or the end, and
 * leaves *s on the ',' or the end.  Spaces around TYPE, around '=' and at
 * the end of the value are dropped.
 */
static int
dn_read_av(const char **s, struct dn_av *av, struct kr_err *err)
{
	const char	*p = *s, *t;
	size_t		 tlen;

	while (*p == ' ')
		p++;
	for (t = p; *p != '\0' && *p != '=' && *p != ','; p++)
		;
	for (tlen = (size_t)(p - t); tlen > 0 && t[tlen - 1] == ' '; tlen--)
		;
	if (*p != '=')
		return kr_err_set(err, KR_EINPUT, "\"%.*s\" has no '=': write "
		    "the name as TYPE=value,TYPE=value (CN=Example Root,"
		    "O=Example,C=DE)", (int)(p - t), t);
	if ((av->a = dn_attr_find(t, tlen)) == NULL)
		return kr_err_set(err, KR_EINPUT, "unknown name attribute "
		    "\"%.*s\": use C, ST, L, O, OU, CN, serialNumber, DC or "
		    "emailAddress", (int)tlen, t);
	for (p++; *p == ' '; p++)
		;
	for (av->len = 0; *p != '\0' && *p != ','; p++) {
		if (*p == '\\') {
			if (p[1] != ',' && p[1] != '\\')
				return kr_err_set(err, KR_EINPUT, "%s: only "
				    "\"\\,\" and \"\\\\\" are escapes",
				    av->a->name);
			p++;
		}
		if (av->len == sizeof(av->v))
			return kr_err_set(err, KR_EINPUT, "%s: the value is "
			    "too long", av->a->name);
		av->v[av->len++] = (uint8_t)*p;
	}
	/* escapes never yield a space, so trailing spaces are unescaped */
	while (av->len > 0 && av->v[av->len - 1] == ' ')
		av->len--;
	if (av->len == 0)
		return kr_err_set(err, KR_EINPUT, "%s has an empty value",
		    av->a->name);
	*s = p;
	return dn_value_check(av, err);
}

/* AttributeTypeAndValue wrapped in its one-element SET. */
static int
dn_write_rdn(uint8_t **p, uint8_t *start, const struct dn_av *av)
{
	int	ret;
	size_t	len = 0;
	uint8_t	tag;

	switch (av->a->cs) {
	case CS_COUNTRY:
	case CS_PRINTABLE:
		tag = KR_DER_PRINTABLE_STRING;
		break;
	case CS_LABEL:
	case CS_EMAIL:
		tag = KR_DER_IA5_STRING;
		break;
	default:
		tag = KR_DER_UTF8_STRING;
		break;
	}
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tlv(p, start, tag, av->v, av->len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_oid(p, start,
	    (const uint8_t *)av->a->oid, av->a->oid_len));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SET));
	return (int)len;
}

static int
dn_write(const struct dn_av *av, size_t n, uint8_t **out, size_t *outlen,
    struct kr_err *err)
{
	uint8_t	buf[KR_NAME_DER_MAX], *p = buf + sizeof(buf);
	int	r;
	size_t	len = 0;

	while (n-- > 0) {
		if ((r = dn_write_rdn(&p, buf, &av[n])) < 0)
			goto toolong;
		len += (size_t)r;
	}
	if ((r = kr_derw_tl(&p, buf, len, KR_DER_SEQUENCE)) < 0)
		goto toolong;
	len += (size_t)r;
	if (kr_derw_finish(p, len, out, outlen) != KR_OK)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	return KR_OK;
toolong:
	return kr_err_set(err, KR_EINPUT, "the name is longer than %d bytes "
	    "in DER", KR_NAME_DER_MAX);
}

int
kr_dn_encode(const char *s, uint8_t **out, size_t *outlen,
    struct kr_err *err)
{
	struct dn_av	*av;
	const char	*orig = s;
	size_t		 n = 0;
	int		 ret = KR_EINPUT;

	*out = NULL;
	*outlen = 0;
	if ((av = calloc(DN_MAX_RDNS, sizeof(*av))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	while (*s == ' ')
		s++;
	if (*s == '\0') {
		ret = kr_err_set(err, KR_EINPUT, "the name is empty: give at "
		    "least CN=..., such as CN=Example Root,O=Example,C=DE");
		goto fail;
	}
	for (;;) {
		if (n == DN_MAX_RDNS) {
			ret = kr_err_set(err, KR_EINPUT, "it has more than %d "
			    "attributes", DN_MAX_RDNS);
			goto fail;
		}
		if ((ret = dn_read_av(&s, &av[n++], err)) != KR_OK)
			goto fail;
		if (*s == '\0')
			break;
		if (*++s == '\0') {
			ret = kr_err_set(err, KR_EINPUT, "it ends with a ','");
			goto fail;
		}
	}
	ret = dn_write(av, n, out, outlen, err);
	if (ret != KR_OK)
		goto fail;
	free(av);
	return KR_OK;
fail:
	free(av);
	return kr_err_prefix(err, "name \"%s\": ", orig);
}

/* --- Display ---------------------------------------------------------- */

/* Bounded text output that notes truncation. */
struct dn_out {
	char	*s;
	size_t	 sz;
	size_t	 off;
	bool	 trunc;
};

static void
out_str(struct dn_out *o, const char *s, size_t n)
{
	if (o == NULL)
		return;
	if (o->off + n >= o->sz) {
		o->trunc = true;
		n = o->sz - 1 - o->off;
	}
	memcpy(o->s + o->off, s, n);
	o->off += n;
	o->s[o->off] = '\0';
}

static void
out_hexbyte(struct dn_out *o, uint8_t b)
{
	char	h[5];

	snprintf(h, sizeof(h), "\\x%02x", b);
	out_str(o, h, 4);
}

/*
 * One code point, escaping ',' and backslash, ASCII controls as \xHH and
 * other non-printable code points as \uHHHH.
 */
static void
out_cp(struct dn_out *o, uint32_t cp)
{
	char	u[4], esc[12];

	if (cp < 0x80 && kr_cp_is_control(cp)) {
		out_hexbyte(o, (uint8_t)cp);
		return;
	}
	if (!kr_cp_printable(cp)) {
		/* the same escape as kr_text_escape, so it passes through */
		snprintf(esc, sizeof(esc), cp > 0xffff ? "\\U%08x" : "\\u%04x",
		    (unsigned)cp);
		out_str(o, esc, strlen(esc));
		return;
	}
	if (cp == ',' || cp == '\\')
		out_str(o, "\\", 1);
	if (cp < 0x80) {
		u[0] = (char)cp;
		out_str(o, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		out_str(o, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		out_str(o, u, 3);
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		out_str(o, u, 4);
	}
}

static void
out_value(struct dn_out *o, uint8_t tag, const struct kr_slice *v,
    const struct kr_slice *whole)
{
	size_t		i, n;
	uint32_t	cp;
	char		h[3];

	for (i = 0; i < v->len; i += n) {
		n = 1;
		cp = v->p[i];
		if (tag == KR_DER_UTF8_STRING) {
			if ((n = kr_utf8_decode(v->p + i, v->len - i, &cp)) == 0) {
				out_hexbyte(o, v->p[i]);
				n = 1;
				continue;
			}
		} else if (tag == KR_DER_BMP_STRING && v->len % 2 == 0) {
			n = 2;
			cp = (uint32_t)v->p[i] << 8 | v->p[i + 1];
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
		} else if (tag == KR_DER_UNIVERSAL_STRING && v->len % 4 == 0) {
			n = 4;
			cp = (uint32_t)v->p[i] << 24 |
			    (uint32_t)v->p[i + 1] << 16 |
			    (uint32_t)v->p[i + 2] << 8 | v->p[i + 3];
			if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				cp = 0xfffd;
		} else if (tag != KR_DER_PRINTABLE_STRING &&
		    tag != KR_DER_IA5_STRING && tag != KR_DER_T61_STRING) {
			/* not a string: RFC 4514 "#" and the hex DER */
			out_str(o, "#", 1);
			for (i = 0; i < whole->len; i++) {
				snprintf(h, sizeof(h), "%02x", whole->p[i]);
				out_str(o, h, 2);
			}
			return;
		} else if (cp >= 0x80) {
			out_hexbyte(o, (uint8_t)cp);
			continue;
		}
		out_cp(o, cp);
	}
}

/*
 * Code points of a string value, for the text check: UTF8String,
 * BMPString (UCS-2), UniversalString (UCS-4), and the one-byte types as
 * their bytes (a Teletex byte 0x80..0x9f is a C1 control).  Other types
 * are not text and are skipped.
 */
static void
dn_scan_value(uint8_t tag, const struct kr_slice *v, struct kr_dn_text *t)
{
	size_t		i, k, n, w;
	uint32_t	cp;

	switch (tag) {
	case KR_DER_UTF8_STRING:
		w = 0, t->type = "UTF8String";
		break;
	case KR_DER_BMP_STRING:
		w = 2, t->type = "BMPString";
		break;
	case KR_DER_UNIVERSAL_STRING:
		w = 4, t->type = "UniversalString";
		break;
	case KR_DER_PRINTABLE_STRING:
	case KR_DER_IA5_STRING:
	case KR_DER_T61_STRING:
	case KR_DER_NUMERIC_STRING:
	case KR_DER_VISIBLE_STRING:
		w = 1, t->type = tag == KR_DER_T61_STRING ? "TeletexString" :
		    "a one-byte string";
		break;
	default:
		return;
	}
	if (w > 1 && v->len % w != 0) {
		t->found = t->bad_encoding = true;
		return;
	}
	for (i = 0; i < v->len; i += n) {
		if (w == 0)
			n = kr_utf8_decode(v->p + i, v->len - i, &cp);
		else
			for (n = w, cp = 0, k = 0; k < w; k++)
				cp = cp << 8 | v->p[i + k];
		if (n == 0 || cp > 0x10ffff ||
		    (w > 1 && cp >= 0xd800 && cp <= 0xdfff)) {
			t->found = t->bad_encoding = true;
			return;
		}
		if (kr_cp_is_control(cp) || kr_cp_is_bidi_control(cp)) {
			t->found = true;
			t->cp = cp;
			return;
		}
	}
}

/* One AttributeTypeAndValue of a SET: its type, and its value's tag. */
static int
dn_atav_read(struct kr_der *set, struct kr_oid *oid, uint8_t *tag,
    struct kr_slice *v, struct kr_slice *whole)
{
	struct kr_der	atav;

	if (kr_der_enter(set, KR_DER_SEQUENCE, &atav) != KR_OK ||
	    kr_der_get_oid(&atav, oid) != KR_OK ||
	    kr_der_get_any(&atav, tag, v, whole) != KR_OK ||
	    kr_der_done(&atav) != KR_OK)
		return KR_EINPUT;
	return KR_OK;
}

static int
dn_walk_atav(struct kr_der *set, struct dn_out *o, struct kr_dn_text *t)
{
	struct kr_oid	 oid;
	struct kr_slice	 v, whole;
	const char	*name;
	char		 dotted[96];
	uint8_t		 tag;

	if (dn_atav_read(set, &oid, &tag, &v, &whole) != KR_OK)
		return KR_EINPUT;
	if ((name = kr_dn_attr_name(&oid)) == NULL) {
		kr_oid_dotted(oid.der, oid.len, dotted, sizeof(dotted));
		name = dotted;
	}
	out_str(o, name, strlen(name));
	out_str(o, "=", 1);
	out_value(o, tag, &v, &whole);
	if (t != NULL && !t->found) {
		dn_scan_value(tag, &v, t);
		if (t->found)
			snprintf(t->attr, sizeof(t->attr), "%s", name);
	}
	return KR_OK;
}

/* DER SET OF order (X.690 11.6): encodings ascending, zero-padded. */
static bool
set_order_ok(const struct kr_slice *a, const struct kr_slice *b)
{
	size_t	n = a->len < b->len ? a->len : b->len, i;
	int	c = memcmp(a->p, b->p, n);

	if (c != 0)
		return c < 0;
	for (i = n; i < a->len; i++)
		if (a->p[i] != 0)
			return false;
	return true;
}

/*
 * Walks a Name strictly, rendering it into `o` unless o is NULL, and
 * looking for a misleading value when t is not NULL.
 */
static int
dn_walk(const uint8_t *der, size_t len, struct dn_out *o,
    struct kr_dn_text *t)
{
	struct kr_der	top, seq, set, peek;
	struct kr_slice	prev, cur, c;
	size_t		rdn = 0, k;
	uint8_t		tag;

	kr_der_init(&top, der, len);
	if (kr_der_enter(&top, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_done(&top) != KR_OK)
		return KR_EINPUT;
	while (!kr_der_at_end(&seq)) {
		if (kr_der_enter(&seq, KR_DER_SET, &set) != KR_OK ||
		    kr_der_at_end(&set))
			return KR_EINPUT;
		if (rdn++ > 0)
			out_str(o, ",", 1);
		for (k = 0; !kr_der_at_end(&set); k++) {
			peek = set;
			if (kr_der_get_any(&peek, &tag, &c, &cur) != KR_OK ||
			    (k > 0 && !set_order_ok(&prev, &cur)))
				return KR_EINPUT;
			prev = cur;
			if (k > 0)
				out_str(o, "+", 1);
			if (dn_walk_atav(&set, o, t) != KR_OK)
				return KR_EINPUT;
		}
	}
	return KR_OK;
}

bool
kr_dn_valid(const uint8_t *der, size_t len)
{
	return len <= KR_NAME_DER_MAX && dn_walk(der, len, NULL, NULL) == KR_OK;
}

bool
kr_dn_text_ok(const uint8_t *der, size_t len, struct kr_dn_text *t)
{
	memset(t, 0, sizeof(*t));
	if (der == NULL || dn_walk(der, len, NULL, t) != KR_OK)
		return true;	/* a malformed Name is refused elsewhere */
	return !t->found;
}

void
kr_dn_format(const uint8_t *der, size_t len, char *out, size_t outsz)
{
	struct dn_out	o = { out, outsz, 0, false };

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (der == NULL || dn_walk(der, len, &o, NULL) != KR_OK) {
		snprintf(out, outsz, "(malformed name)");
		return;
	}
	if (o.trunc && outsz >= 4)
		memcpy(out + outsz - 4, "...", 4);
}

/*
 * The value of the one attribute `attr` ("serialNumber", "CN") of a Name,
 * as its bytes (a one-byte string or UTF8String).  KR_ENOENT when it is
 * absent, KR_EEXIST when it appears more than once, KR_EINPUT when the
 * Name is malformed or the value is of another string type or too long.
 */
static int
dn_value_atav(struct kr_der *set, const char *attr, char *out, size_t cap,
    int *found)
{
	struct kr_oid	 oid;
	struct kr_slice	 v, whole;
	const char	*name;
	uint8_t		 tag;

	if (dn_atav_read(set, &oid, &tag, &v, &whole) != KR_OK)
		return KR_EINPUT;
	if ((name = kr_dn_attr_name(&oid)) == NULL || strcmp(name, attr) != 0)
		return KR_OK;
	if (++*found > 1)
		return KR_EEXIST;
	if ((tag != KR_DER_UTF8_STRING && tag != KR_DER_PRINTABLE_STRING &&
	    tag != KR_DER_IA5_STRING) || v.len >= cap || v.len == 0 ||
	    memchr(v.p, '\0', v.len) != NULL)
		return KR_EINPUT;
	memcpy(out, v.p, v.len);
	out[v.len] = '\0';
	return KR_OK;
}

int
kr_dn_value(const uint8_t *der, size_t len, const char *attr, char *out,
    size_t cap)
{
	struct kr_der	top, seq, set;
	int		found = 0, ret;

	if (cap == 0 || dn_walk(der, len, NULL, NULL) != KR_OK)
		return KR_EINPUT;
	out[0] = '\0';
	kr_der_init(&top, der, len);
	if (kr_der_enter(&top, KR_DER_SEQUENCE, &seq) != KR_OK)
		return KR_EINPUT;
	while (!kr_der_at_end(&seq)) {
		if (kr_der_enter(&seq, KR_DER_SET, &set) != KR_OK)
			return KR_EINPUT;
		while (!kr_der_at_end(&set))
			if ((ret = dn_value_atav(&set, attr, out, cap,
			    &found)) != KR_OK)
				return ret;
	}
	return found == 1 ? KR_OK : KR_ENOENT;
}
