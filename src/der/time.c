/*
 * Times in DER: the proleptic Gregorian calendar, and UTCTime and
 * GeneralizedTime read and written in the forms RFC 5280 allows.
 *
 * Certificates and CRLs say a time as UTCTime "YYMMDDHHMMSSZ" for the
 * years 1950 to 2049 and GeneralizedTime "YYYYMMDDHHMMSSZ" outside them
 * (RFC 5280 4.1.2.5); invalidityDate and OCSP always use GeneralizedTime.
 * Either way the years are 0000 to 9999, what four digits can say.
 */
#include <keyrite/der.h>

/* RFC 5280 4.1.2.5: UTCTime for these years, GeneralizedTime outside. */
#define UTC_FIRST_YEAR	1950
#define UTC_LAST_YEAR	2049

bool
kr_der_time_ok(int64_t t)
{
	return t >= KR_DER_TIME_MIN && t <= KR_DER_TIME_MAX;
}

static bool
utc_year(int year)
{
	return year >= UTC_FIRST_YEAR && year <= UTC_LAST_YEAR;
}

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

/*
 * "YYMMDDHHMMSSZ" (UTCTime) or "YYYYMMDDHHMMSSZ" (GeneralizedTime).
 * `any_year`: a GeneralizedTime may name a year UTCTime could.
 */
static int
parse_time(uint8_t tag, const struct kr_slice *c, bool any_year, int64_t *t)
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
	else if (!any_year && utc_year(tm.year))
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
	    parse_time(tag, &c, false, t) != KR_OK) {
		*d = save;
		return KR_EINPUT;
	}
	return KR_OK;
}

int
kr_der_time_text(uint8_t tag, const uint8_t *p, size_t len, int64_t *t)
{
	struct kr_slice	c = { p, len };

	if (tag != KR_DER_UTC_TIME && tag != KR_DER_GENERALIZED_TIME)
		return KR_EINPUT;
	return parse_time(tag, &c, true, t);
}

int
kr_der_get_gentime(struct kr_der *d, int64_t *t)
{
	struct kr_der	save = *d;
	struct kr_slice	c;

	if (kr_der_get(d, KR_DER_GENERALIZED_TIME, &c) != KR_OK)
		return KR_EINPUT;
	if (parse_time(KR_DER_GENERALIZED_TIME, &c, true, t) != KR_OK) {
		*d = save;
		return KR_EINPUT;
	}
	return KR_OK;
}

/* --- Writer ----------------------------------------------------------- */

static void
put2(char *s, int v)
{
	s[0] = (char)('0' + v / 10 % 10);
	s[1] = (char)('0' + v % 10);
}

/*
 * Writes the time as text into s[15], with the century when `century`;
 * returns the length (13 or 15).
 */
static size_t
time_text(const struct kr_tm *tm, bool century, char *s)
{
	size_t	n = 0;

	if (century) {
		put2(s, tm->year / 100);
		n = 2;
	}
	put2(s + n, tm->year % 100);
	put2(s + n + 2, tm->mon);
	put2(s + n + 4, tm->day);
	put2(s + n + 6, tm->hour);
	put2(s + n + 8, tm->min);
	put2(s + n + 10, tm->sec);
	s[n + 12] = 'Z';
	return n + 13;
}

/* UTCTime when allowed and the year suits it, else GeneralizedTime. */
static int
write_time(uint8_t **p, uint8_t *start, int64_t t, bool utc_allowed)
{
	struct kr_tm	tm;
	char		s[15];
	size_t		n;
	bool		utc;

	if (!kr_der_time_ok(t))
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	kr_time_to_tm(t, &tm);
	utc = utc_allowed && utc_year(tm.year);
	n = time_text(&tm, !utc, s);
	return kr_derw_tlv(p, start, utc ? KR_DER_UTC_TIME :
	    KR_DER_GENERALIZED_TIME, (const uint8_t *)s, n);
}

/*
 * Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }
 * UTCTime "YYMMDDHHMMSSZ" for 1950..2049, else "YYYYMMDDHHMMSSZ".
 */
int
kr_derw_time(uint8_t **p, uint8_t *start, int64_t t)
{
	return write_time(p, start, t, true);
}

int
kr_derw_gentime(uint8_t **p, uint8_t *start, int64_t t)
{
	return write_time(p, start, t, false);
}
