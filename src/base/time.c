/*
 * Wall-clock time, UTC.
 */
#include <stdio.h>
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
