/*
 * Wall-clock time, UTC.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <keyrite/base.h>

int64_t
kr_time_now(void)
{
	return (int64_t)time(NULL);
}

void
kr_time_format(int64_t t, char *out)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, KR_TIME_STR_BYTES, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(out, KR_TIME_STR_BYTES, "(bad time)");
}

/*
 * A UTC time as written in keyrite's files and options: a day
 * (YYYY-MM-DD, its midnight) or a second (YYYY-MM-DDTHH:MM:SSZ), as
 * `forms` allows; only a real one (it reads back as written).
 */
bool
kr_time_parse(const char *s, unsigned forms, int64_t *out)
{
	struct tm	 tm;
	const char	*end;
	char		 back[KR_TIME_STR_BYTES];
	size_t		 n = strlen(s);
	time_t		 t;

	memset(&tm, 0, sizeof(tm));
	if (n == 20 && (forms & KR_TIME_SECOND) != 0)
		end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else if (n == 10 && (forms & KR_TIME_DAY) != 0)
		end = strptime(s, "%Y-%m-%d", &tm);
	else
		return false;
	if (end == NULL || *end != '\0' || tm.tm_year < 70 ||
	    (t = timegm(&tm)) == (time_t)-1)
		return false;
	kr_time_format((int64_t)t, back);
	if (strncmp(back, s, n) != 0)
		return false;
	*out = (int64_t)t;
	return true;
}
