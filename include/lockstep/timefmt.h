/*
 * timefmt.h - RFC 3339 UTC timestamps ("2026-11-24T03:46:49Z"), the only
 * time format in Lockstep documents, logs and reports.
 */
#ifndef LOCKSTEP_TIMEFMT_H
#define LOCKSTEP_TIMEFMT_H

#include <time.h>

#define LS_TIME_LEN 21 /* "YYYY-MM-DDTHH:MM:SSZ" plus NUL */

/* Format t as UTC into out. */
void ls_time_format(char out[LS_TIME_LEN], time_t t);

/*
 * Parse "YYYY-MM-DDTHH:MM:SSZ" (exactly, UTC) or a bare date "YYYY-MM-DD"
 * (midnight UTC).  LS_EFORMAT on anything else, including impossible dates.
 */
int ls_time_parse(time_t *out, const char *s, size_t len);

/* Milliseconds on the monotonic clock, for deadlines and durations. */
long long ls_mono_ms(void);

#endif
