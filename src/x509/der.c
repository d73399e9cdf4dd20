/*
 * Strict DER reader and backward DER writer helpers.
 *
 * The reader is written by hand because Mbed TLS's asn1parse accepts
 * lengths that are not in their shortest form.  DER (X.690 10.1) wants the
 * definite form with the fewest octets; keyrite also refuses high tag
 * numbers, which no structure it reads uses.
 */
#include <stdlib.h>
#include <string.h>

#include "x509_int.h"

void
kr_der_init(struct kr_der *d, const uint8_t *p, size_t len)
{
	d->p = p;
	d->end = p + len;
}

bool
kr_der_at_end(const struct kr_der *d)
{
	return d->p == d->end;
}

int
kr_der_done(const struct kr_der *d)
{
	return d->p == d->end ? KR_OK : KR_EINPUT;
}

/*
 * Reads a tag and a length at d->p.  On success *hdr is the number of
 * header bytes and *len the content length, which fits in what is left.
 */
static int
der_header(const struct kr_der *d, uint8_t *tag, size_t *hdr, size_t *len)
{
	const uint8_t	*p = d->p;
	size_t		 left = (size_t)(d->end - d->p), n, i, l;

	if (left < 2)
		return KR_EINPUT;
	if ((p[0] & 0x1f) == 0x1f)
		return KR_EINPUT;		/* high tag number form */
	*tag = p[0];
	if (p[1] < 0x80) {
		*hdr = 2;
		*len = p[1];
	} else {
		n = p[1] & 0x7f;
		/* 0x80 is the indefinite form; 4 octets cover 4 GiB */
		if (n == 0 || n > 4 || left < 2 + n || p[2] == 0)
			return KR_EINPUT;
		for (l = 0, i = 0; i < n; i++)
			l = (l << 8) | p[2 + i];
		if (l < 0x80)
			return KR_EINPUT;	/* short form was due */
		*hdr = 2 + n;
		*len = l;
	}
	if (*len > left - *hdr)
		return KR_EINPUT;
	return KR_OK;
}

bool
kr_der_peek(const struct kr_der *d, uint8_t tag)
{
	return d->p < d->end && d->p[0] == tag;
}

int
kr_der_get_any(struct kr_der *d, uint8_t *tag, struct kr_slice *content,
    struct kr_slice *whole)
{
	size_t	hdr, len;

	if (der_header(d, tag, &hdr, &len) != KR_OK)
		return KR_EINPUT;
	content->p = d->p + hdr;
	content->len = len;
	if (whole != NULL) {
		whole->p = d->p;
		whole->len = hdr + len;
	}
	d->p += hdr + len;
	return KR_OK;
}

int
kr_der_get_whole(struct kr_der *d, uint8_t tag, struct kr_slice *content,
    struct kr_slice *whole)
{
	struct kr_der	save = *d;
	uint8_t		t;

	if (kr_der_get_any(d, &t, content, whole) != KR_OK)
		return KR_EINPUT;
	if (t != tag) {
		*d = save;
		return KR_EINPUT;
	}
	return KR_OK;
}

int
kr_der_get(struct kr_der *d, uint8_t tag, struct kr_slice *content)
{
	return kr_der_get_whole(d, tag, content, NULL);
}

int
kr_der_enter(struct kr_der *d, uint8_t tag, struct kr_der *sub)
{
	struct kr_slice	c;

	if ((tag & 0x20) == 0 || kr_der_get(d, tag, &c) != KR_OK)
		return KR_EINPUT;
	kr_der_init(sub, c.p, c.len);
	return KR_OK;
}

int
kr_der_get_bool(struct kr_der *d, bool *v)
{
	struct kr_der	save = *d;
	struct kr_slice	c;

	if (kr_der_get(d, KR_DER_BOOLEAN, &c) != KR_OK)
		return KR_EINPUT;
	if (c.len != 1 || (c.p[0] != 0x00 && c.p[0] != 0xff)) {
		*d = save;
		return KR_EINPUT;
	}
	*v = c.p[0] == 0xff;
	return KR_OK;
}

static bool
integer_minimal(const struct kr_slice *c)
{
	if (c->len == 0)
		return false;
	if (c->len == 1)
		return true;
	if (c->p[0] == 0x00 && (c->p[1] & 0x80) == 0)
		return false;
	if (c->p[0] == 0xff && (c->p[1] & 0x80) != 0)
		return false;
	return true;
}

int
kr_der_get_integer(struct kr_der *d, struct kr_slice *c)
{
	struct kr_der	save = *d;

	if (kr_der_get(d, KR_DER_INTEGER, c) != KR_OK)
		return KR_EINPUT;
	if (!integer_minimal(c)) {
		*d = save;
		return KR_EINPUT;
	}
	return KR_OK;
}

int
kr_der_get_small_int_tag(struct kr_der *d, uint8_t tag, int *v)
{
	struct kr_der	save = *d;
	struct kr_slice	c;
	size_t		i;
	int		x = 0;

	if (kr_der_get(d, tag, &c) != KR_OK)
		return KR_EINPUT;
	/* non-negative, minimal, at most 31 bits */
	if (!integer_minimal(&c) || (c.p[0] & 0x80) != 0 || c.len > 4) {
		*d = save;
		return KR_EINPUT;
	}
	for (i = 0; i < c.len; i++)
		x = (x << 8) | c.p[i];
	*v = x;
	return KR_OK;
}

int
kr_der_get_small_int(struct kr_der *d, int *v)
{
	return kr_der_get_small_int_tag(d, KR_DER_INTEGER, v);
}

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

int
kr_der_get_oid(struct kr_der *d, struct kr_oid *oid)
{
	struct kr_der	save = *d;
	struct kr_slice	c;

	if (kr_der_get(d, KR_DER_OID, &c) != KR_OK)
		return KR_EINPUT;
	if (c.len > sizeof(oid->der) || !kr_der_oid_valid(c.p, c.len)) {
		*d = save;
		return KR_EINPUT;
	}
	memcpy(oid->der, c.p, c.len);
	oid->len = c.len;
	return KR_OK;
}

bool
kr_oid_eq(const struct kr_oid *oid, const char *c, size_t len)
{
	return oid->len == len && memcmp(oid->der, c, len) == 0;
}

int
kr_der_get_bitstring(struct kr_der *d, struct kr_slice *bits,
    unsigned *unused)
{
	struct kr_der	save = *d;
	struct kr_slice	c;
	unsigned	u;

	if (kr_der_get(d, KR_DER_BIT_STRING, &c) != KR_OK)
		return KR_EINPUT;
	if (c.len == 0)
		goto bad;
	u = c.p[0];
	if (u > 7 || (c.len == 1 && u != 0))
		goto bad;
	/* DER: the unused bits are zero (X.690 11.2.1) */
	if (u != 0 && (c.p[c.len - 1] & ((1u << u) - 1)) != 0)
		goto bad;
	bits->p = c.p + 1;
	bits->len = c.len - 1;
	*unused = u;
	return KR_OK;
bad:
	*d = save;
	return KR_EINPUT;
}

int
kr_der_get_null(struct kr_der *d)
{
	struct kr_der	save = *d;
	struct kr_slice	c;

	if (kr_der_get(d, KR_DER_NULL, &c) != KR_OK)
		return KR_EINPUT;
	if (c.len != 0) {
		*d = save;
		return KR_EINPUT;
	}
	return KR_OK;
}

/* Calendar arithmetic on the proleptic Gregorian calendar. */

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int	dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool			leap;

	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dim[m - 1];
}

void
kr_time_to_tm(int64_t t, struct kr_tm *tm)
{
	int64_t	days, secs, era, doe, yoe, doy, mp, y;

	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = (int)(y + (tm->mon <= 2));
	tm->hour = (int)(secs / 3600);
	tm->min = (int)(secs / 60 % 60);
	tm->sec = (int)(secs % 60);
}

int
kr_tm_to_time(const struct kr_tm *tm, int64_t *t)
{
	if (tm->year < 0 || tm->year > 9999 || tm->mon < 1 || tm->mon > 12 ||
	    tm->day < 1 || tm->day > days_in_month(tm->year, tm->mon) ||
	    tm->hour < 0 || tm->hour > 23 || tm->min < 0 || tm->min > 59 ||
	    tm->sec < 0 || tm->sec > 59)
		return KR_EINPUT;
	*t = days_from_civil(tm->year, tm->mon, tm->day) * 86400 +
	    tm->hour * 3600 + tm->min * 60 + tm->sec;
	return KR_OK;
}

/* Reads `n` decimal digits. */
static bool
digits(const uint8_t *p, size_t n, int *v)
{
	size_t	i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (p[i] - '0');
	}
	return true;
}

static int
parse_time(uint8_t tag, const struct kr_slice *c, int64_t *t)
{
	struct kr_tm	 tm;
	const uint8_t	*p = c->p;
	size_t		 ylen = tag == KR_DER_UTC_TIME ? 2 : 4;

	if (c->len != ylen + 11 || p[c->len - 1] != 'Z')
		return KR_EINPUT;
	if (!digits(p, ylen, &tm.year) || !digits(p + ylen, 2, &tm.mon) ||
	    !digits(p + ylen + 2, 2, &tm.day) ||
	    !digits(p + ylen + 4, 2, &tm.hour) ||
	    !digits(p + ylen + 6, 2, &tm.min) ||
	    !digits(p + ylen + 8, 2, &tm.sec))
		return KR_EINPUT;
	if (tag == KR_DER_UTC_TIME)
		tm.year += tm.year >= 50 ? 1900 : 2000;
	else if (tm.year >= 1950 && tm.year <= 2049)
		return KR_EINPUT;	/* RFC 5280: UTCTime through 2049 */
	return kr_tm_to_time(&tm, t);
}

int
kr_der_get_time(struct kr_der *d, int64_t *t)
{
	struct kr_der	save = *d;
	struct kr_slice	c;
	uint8_t		tag;

	if (kr_der_get_any(d, &tag, &c, NULL) != KR_OK)
		return KR_EINPUT;
	if ((tag != KR_DER_UTC_TIME && tag != KR_DER_GENERALIZED_TIME) ||
	    parse_time(tag, &c, t) != KR_OK) {
		*d = save;
		return KR_EINPUT;
	}
	return KR_OK;
}

/* --- Writer ----------------------------------------------------------- */

int
kr_derw_tl(uint8_t **p, uint8_t *start, size_t len, uint8_t tag)
{
	int	ret;
	size_t	n = 0;

	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_tag(p, start, tag));
	return (int)n;
}

int
kr_derw_raw(uint8_t **p, uint8_t *start, const uint8_t *buf, size_t len)
{
	if (len > (size_t)(*p - start))
		return MBEDTLS_ERR_ASN1_BUF_TOO_SMALL;
	*p -= len;
	if (len > 0)
		memcpy(*p, buf, len);
	return (int)len;
}

int
kr_derw_tlv(uint8_t **p, uint8_t *start, uint8_t tag, const uint8_t *buf,
    size_t len)
{
	int	ret;
	size_t	n = 0;

	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_raw(p, start, buf, len));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tl(p, start, n, tag));
	return (int)n;
}

int
kr_derw_bool(uint8_t **p, uint8_t *start, bool v)
{
	uint8_t	b = v ? 0xff : 0x00;

	return kr_derw_tlv(p, start, KR_DER_BOOLEAN, &b, 1);
}

int
kr_derw_small_int(uint8_t **p, uint8_t *start, unsigned v)
{
	uint8_t	b[5];
	size_t	n = 0;

	do {
		b[sizeof(b) - 1 - n++] = v & 0xff;
		v >>= 8;
	} while (v != 0);
	if (b[sizeof(b) - n] & 0x80)
		b[sizeof(b) - 1 - n++] = 0x00;
	return kr_derw_tlv(p, start, KR_DER_INTEGER, b + sizeof(b) - n, n);
}

int
kr_derw_oid(uint8_t **p, uint8_t *start, const uint8_t *oid, size_t len)
{
	return kr_derw_tlv(p, start, KR_DER_OID, oid, len);
}

int
kr_derw_bitstring(uint8_t **p, uint8_t *start, const uint8_t *buf,
    size_t len, unsigned unused)
{
	int	ret;
	size_t	n = 0;
	uint8_t	u = (uint8_t)unused;

	if (unused > 7 || (len == 0 && unused != 0))
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_raw(p, start, buf, len));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_raw(p, start, &u, 1));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tl(p, start, n, KR_DER_BIT_STRING));
	return (int)n;
}

static void
put2(char *s, int v)
{
	s[0] = (char)('0' + v / 10 % 10);
	s[1] = (char)('0' + v % 10);
}

/*
 * Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }
 * UTCTime "YYMMDDHHMMSSZ" for 1950..2049, else "YYYYMMDDHHMMSSZ".
 */
int
kr_derw_time(uint8_t **p, uint8_t *start, int64_t t)
{
	struct kr_tm	tm;
	char		s[15];
	size_t		n = 0;
	bool		utc;

	if (t < -62167219200LL || t > 253402300799LL)	/* years 0..9999 */
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	kr_time_to_tm(t, &tm);
	utc = tm.year >= 1950 && tm.year <= 2049;
	if (!utc) {
		put2(s + n, tm.year / 100);
		n += 2;
	}
	put2(s + n, tm.year % 100);
	put2(s + n + 2, tm.mon);
	put2(s + n + 4, tm.day);
	put2(s + n + 6, tm.hour);
	put2(s + n + 8, tm.min);
	put2(s + n + 10, tm.sec);
	s[n + 12] = 'Z';
	n += 13;
	return kr_derw_tlv(p, start, utc ? KR_DER_UTC_TIME :
	    KR_DER_GENERALIZED_TIME, (const uint8_t *)s, n);
}

int
kr_derw_finish(const uint8_t *p, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t	*b;

	if ((b = malloc(len > 0 ? len : 1)) == NULL)
		return KR_ENOMEM;
	memcpy(b, p, len);
	*out = b;
	*outlen = len;
	return KR_OK;
}
