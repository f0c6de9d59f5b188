/* timefmt.c - RFC 3339 UTC timestamps. */
#include <string.h>
#include <time.h>

#include "lockstep/error.h"
#include "lockstep/timefmt.h"

void
ls_time_format(char out[LS_TIME_LEN], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, LS_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* n decimal digits at s, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

int
ls_time_parse(time_t *out, const char *s, size_t len)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int y, mo, d, h = 0, mi = 0, se = 0;

	if (len != 10 && len != 20)
		goto bad;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 1970 || s[4] != '-' || s[7] != '-' || mo < 1 || mo > 12 ||
	    d < 1 || d > mdays[mo - 1])
		goto bad;
	if (mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		goto bad;
	if (len == 20) {
		h = digits(s + 11, 2);
		mi = digits(s + 14, 2);
		se = digits(s + 17, 2);
		if (s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
		    s[19] != 'Z' || h < 0 || h > 23 || mi < 0 || mi > 59 ||
		    se < 0 || se > 59)
			goto bad;
	}
	*out = (time_t)(days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + se);
	return 0;
bad:
	return ls_error_set(LS_EFORMAT,
	    "bad time '%.*s' (want "
	    "YYYY-MM-DDTHH:MM:SSZ)",
	    (int)(len > 40 ? 40 : len), s);
}

long long
ls_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
