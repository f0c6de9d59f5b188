/*
 * time.c - civil time, IANA time zones and Go's reference-time layouts
 * ("2006-01-02T15:04:05Z07:00") for the time.* builtins.
 *
 * Zones come from the system's TZif files (version 2+, 64-bit section);
 * instants after the last transition keep the last offset.  Layout
 * chunks are recognised exactly as Go's time.nextStdChunk does, so
 * formatting and parsing agree with opa for any layout.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "rego/builtins/lib.h"

#define TZ_DIR "/usr/share/zoneinfo/"
#define TZ_MAX_FILE (1 << 20)
#define TZ_MAX_NAME 128

struct bi_tz {
	char name[TZ_MAX_NAME]; /* IANA name, the cache key */
	int cached;		/* owned by the cache: never freed */
	int64_t *trans;		/* transition instants, ascending */
	uint8_t *idx;		/* ttinfo index per transition */
	size_t ntrans;
	int32_t *off;	 /* ttinfo offsets */
	uint8_t *abbr_i; /* ttinfo abbreviation index */
	size_t ntt;
	char *abbr; /* NUL-separated abbreviations */
	size_t nabbr;
};

/*
 * Loaded zones are immutable and kept for the life of the process (at
 * most TZ_CACHE of them) so time.* calls in a hot policy do not re-read
 * zoneinfo; the table is guarded by a mutex.
 */
#define TZ_CACHE 64
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bi_tz *tz_cache[TZ_CACHE];

void
bi_tz_free(struct bi_tz *tz)
{
	if (tz == NULL || tz->cached)
		return;
	free(tz->trans);
	free(tz->idx);
	free(tz->off);
	free(tz->abbr_i);
	free(tz->abbr);
	free(tz);
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
tz_parse(struct bi_tz *tz, const unsigned char *d, size_t n)
{
	uint32_t cnt[6];
	size_t off = 44, need, i;
	int k;

	if (n < 44 || memcmp(d, "TZif", 4) != 0 || d[4] < '2')
		return -1;
	for (k = 0; k < 6; k++)
		cnt[k] = be32(d + 20 + 4 * k);
	/* skip the v1 body: isutcnt, isstdcnt, leapcnt, timecnt, typecnt,
	 * charcnt */
	off += (size_t)cnt[3] * 5 + (size_t)cnt[4] * 6 + cnt[5] +
	    (size_t)cnt[2] * 8 + cnt[1] + cnt[0];
	if (off + 44 > n || memcmp(d + off, "TZif", 4) != 0)
		return -1;
	for (k = 0; k < 6; k++)
		cnt[k] = be32(d + off + 20 + 4 * k);
	off += 44;
	need = (size_t)cnt[3] * 9 + (size_t)cnt[4] * 6 + cnt[5];
	if (cnt[4] == 0 || cnt[3] > 100000 || cnt[4] > 256 || off + need > n)
		return -1;
	tz->ntrans = cnt[3];
	tz->ntt = cnt[4];
	tz->nabbr = cnt[5];
	tz->trans = calloc(tz->ntrans + 1, sizeof *tz->trans);
	tz->idx = calloc(tz->ntrans + 1, 1);
	tz->off = calloc(tz->ntt, sizeof *tz->off);
	tz->abbr_i = calloc(tz->ntt, 1);
	tz->abbr = calloc(tz->nabbr + 1, 1);
	if (!tz->trans || !tz->idx || !tz->off || !tz->abbr_i || !tz->abbr)
		return -1;
	for (i = 0; i < tz->ntrans; i++) {
		tz->trans[i] = (int64_t)((uint64_t)be32(d + off) << 32 |
		    be32(d + off + 4));
		off += 8;
	}
	for (i = 0; i < tz->ntrans; i++) {
		tz->idx[i] = d[off++];
		if (tz->idx[i] >= tz->ntt)
			return -1;
	}
	for (i = 0; i < tz->ntt; i++) {
		tz->off[i] = (int32_t)be32(d + off);
		tz->abbr_i[i] = d[off + 5];
		if (tz->abbr_i[i] >= tz->nabbr && tz->nabbr > 0)
			return -1;
		off += 6;
	}
	memcpy(tz->abbr, d + off, tz->nabbr);
	return 0;
}

int
bi_tz_load(struct bi_tz **out, const char *name, size_t len)
{
	char path[sizeof TZ_DIR + TZ_MAX_NAME];
	struct bi_tz *tz = NULL;
	char *data = NULL;
	size_t n = 0, i;

	*out = NULL;
	if (len == 0 || (len == 3 && memcmp(name, "UTC", 3) == 0) ||
	    (len == 5 && memcmp(name, "Local", 5) == 0))
		return 0;
	if (len >= TZ_MAX_NAME || name[0] == '/' || name[0] == '.')
		goto bad;
	for (i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '/' || c == '_' ||
			c == '-' || c == '+') ||
		    (c == '/' && i + 1 < len && name[i + 1] == '.'))
			goto bad;
	}
	pthread_mutex_lock(&tz_lock);
	for (i = 0; i < TZ_CACHE && tz_cache[i] != NULL; i++) {
		if (strlen(tz_cache[i]->name) == len &&
		    memcmp(tz_cache[i]->name, name, len) == 0) {
			*out = tz_cache[i];
			pthread_mutex_unlock(&tz_lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&tz_lock);
	snprintf(path, sizeof path, "%s%.*s", TZ_DIR, (int)len, name);
	if (ls_file_read(&data, &n, path, TZ_MAX_FILE) != 0)
		goto bad;
	if ((tz = calloc(1, sizeof *tz)) == NULL ||
	    tz_parse(tz, (const unsigned char *)data, n) != 0) {
		free(data);
		bi_tz_free(tz);
		goto bad;
	}
	free(data);
	memcpy(tz->name, name, len);
	pthread_mutex_lock(&tz_lock);
	for (i = 0; i < TZ_CACHE; i++) {
		if (tz_cache[i] != NULL &&
		    strcmp(tz_cache[i]->name, tz->name) == 0) {
			/* another thread won the race */
			bi_tz_free(tz);
			tz = tz_cache[i];
			break;
		}
		if (tz_cache[i] == NULL) {
			tz->cached = 1;
			tz_cache[i] = tz;
			break;
		}
	}
	pthread_mutex_unlock(&tz_lock);
	*out = tz;
	return 0;
bad:
	return ls_error_set(LS_ENOTFOUND, "unknown time zone %.*s",
	    (int)(len > 100 ? 100 : len), name);
}

/* Offset and abbreviation in effect at instant sec. */
static void
tz_lookup(const struct bi_tz *tz, int64_t sec, int *off, const char **abbr)
{
	size_t lo = 0, hi, t = 0;

	if (tz == NULL) {
		*off = 0;
		*abbr = "UTC";
		return;
	}
	hi = tz->ntrans;
	if (tz->ntrans == 0 || sec < tz->trans[0]) {
		/* before the first transition: the first standard type */
		for (t = 0; t < tz->ntt; t++)
			break;
	} else {
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;
			if (tz->trans[mid] <= sec)
				lo = mid;
			else
				hi = mid;
		}
		t = tz->idx[lo];
	}
	*off = tz->off[t];
	*abbr = tz->nabbr ? tz->abbr + tz->abbr_i[t] : "";
}

static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y += *m <= 2;
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void
bi_time_civil(struct bi_tm *out, int64_t sec, int nsec, const struct bi_tz *tz)
{
	const char *abbr;
	int64_t local, days, rem;

	memset(out, 0, sizeof *out);
	tz_lookup(tz, sec, &out->offset, &abbr);
	snprintf(out->abbr, sizeof out->abbr, "%s", abbr);
	local = sec + out->offset;
	days = floordiv(local, 86400);
	rem = local - days * 86400;
	civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (int)(rem / 3600);
	out->min = (int)(rem % 3600 / 60);
	out->sec = (int)(rem % 60);
	out->nsec = nsec;
	/* 1970-01-01 was a Thursday */
	out->wday = (int)((days % 7 + 11) % 7);
	out->yday = (int)(days - days_from_civil(out->year, 1, 1) + 1);
}

int64_t
bi_time_from_civil(int64_t year, int64_t month, int64_t day, int64_t hour,
    int64_t min, int64_t sec, const struct bi_tz *tz)
{
	int64_t m0 = month - 1, local, guess;
	int off;
	const char *abbr;

	year += floordiv(m0, 12);
	m0 -= floordiv(m0, 12) * 12;
	local = (days_from_civil(year, m0 + 1, 1) + day - 1) * 86400 +
	    hour * 3600 + min * 60 + sec;
	/* Like Go: try the offset at local-as-UTC, then correct once. */
	tz_lookup(tz, local, &off, &abbr);
	guess = local - off;
	tz_lookup(tz, guess, &off, &abbr);
	return local - off;
}

int
bi_time_to_ns(int64_t *out, int64_t sec, int nsec)
{
	int64_t ns;

	if (sec < 0 && nsec > 0) { /* keep the product in range */
		sec++;
		nsec -= 1000000000;
	}
	if (__builtin_mul_overflow(sec, (int64_t)1000000000, &ns) ||
	    __builtin_add_overflow(ns, (int64_t)nsec, &ns))
		return ls_error_set(LS_ETOOBIG, "time outside of valid range");
	*out = ns;
	return 0;
}

/* ---- layouts ---- */

enum std {
	S_NONE,
	S_LONGMONTH,
	S_MONTH,
	S_NUMMONTH,
	S_ZEROMONTH,
	S_LONGWEEKDAY,
	S_WEEKDAY,
	S_DAY,
	S_UNDERDAY,
	S_ZERODAY,
	S_UNDERYEARDAY,
	S_ZEROYEARDAY,
	S_HOUR,
	S_HOUR12,
	S_ZEROHOUR12,
	S_MINUTE,
	S_ZEROMINUTE,
	S_SECOND,
	S_ZEROSECOND,
	S_LONGYEAR,
	S_YEAR,
	S_PM,
	S_pm,
	S_TZ,
	S_ISO_TZ,
	S_ISO_SECS_TZ,
	S_ISO_SHORT_TZ,
	S_ISO_COLON_TZ,
	S_ISO_COLON_SECS_TZ,
	S_NUM_TZ,
	S_NUM_SECS_TZ,
	S_NUM_SHORT_TZ,
	S_NUM_COLON_TZ,
	S_NUM_COLON_SECS_TZ,
	S_FRAC0,
	S_FRAC9,
};

struct chunk {
	size_t prefix; /* literal bytes before the element */
	enum std std;
	size_t len; /* bytes of the element in the layout */
	int digits; /* fractional digits for S_FRAC* */
	char sep;   /* '.' or ',' for S_FRAC* */
};

static int
starts(const char *l, size_t n, size_t i, const char *w)
{
	size_t k = strlen(w);

	return n - i >= k && memcmp(l + i, w, k) == 0;
}

static int
lower_at(const char *l, size_t n, size_t i)
{
	return i < n && l[i] >= 'a' && l[i] <= 'z';
}

/* Go's nextStdChunk, case for case, so layouts split exactly as in Go;
 * kept as one switch (longer than usual) to stay comparable with it. */
static void
next_chunk(const char *l, size_t n, struct chunk *c)
{
	static const struct {
		const char *w;
		enum std s;
	} tz[] = {
		{ "-07:00:00", S_NUM_COLON_SECS_TZ },
		{ "-070000", S_NUM_SECS_TZ },
		{ "-07:00", S_NUM_COLON_TZ },
		{ "-0700", S_NUM_TZ },
		{ "-07", S_NUM_SHORT_TZ },
		{ "Z07:00:00", S_ISO_COLON_SECS_TZ },
		{ "Z070000", S_ISO_SECS_TZ },
		{ "Z07:00", S_ISO_COLON_TZ },
		{ "Z0700", S_ISO_TZ },
		{ "Z07", S_ISO_SHORT_TZ },
	};
	size_t i, k;

	memset(c, 0, sizeof *c);
	for (i = 0; i < n; i++) {
		c->prefix = i;
		switch (l[i]) {
		case 'J':
			if (starts(l, n, i, "January")) {
				c->std = S_LONGMONTH, c->len = 7;
				return;
			}
			if (starts(l, n, i, "Jan") && !lower_at(l, n, i + 3)) {
				c->std = S_MONTH, c->len = 3;
				return;
			}
			break;
		case 'M':
			if (starts(l, n, i, "Monday")) {
				c->std = S_LONGWEEKDAY, c->len = 6;
				return;
			}
			if (starts(l, n, i, "Mon") && !lower_at(l, n, i + 3)) {
				c->std = S_WEEKDAY, c->len = 3;
				return;
			}
			if (starts(l, n, i, "MST")) {
				c->std = S_TZ, c->len = 3;
				return;
			}
			break;
		case '0':
			if (i + 1 < n && l[i + 1] >= '1' && l[i + 1] <= '6') {
				static const enum std z[] = { S_ZEROMONTH,
					S_ZERODAY, S_ZEROHOUR12, S_ZEROMINUTE,
					S_ZEROSECOND, S_YEAR };
				c->std = z[l[i + 1] - '1'], c->len = 2;
				return;
			}
			if (starts(l, n, i, "002")) {
				c->std = S_ZEROYEARDAY, c->len = 3;
				return;
			}
			break;
		case '1':
			if (starts(l, n, i, "15")) {
				c->std = S_HOUR, c->len = 2;
				return;
			}
			c->std = S_NUMMONTH, c->len = 1;
			return;
		case '2':
			if (starts(l, n, i, "2006")) {
				c->std = S_LONGYEAR, c->len = 4;
				return;
			}
			c->std = S_DAY, c->len = 1;
			return;
		case '_':
			if (starts(l, n, i, "_2")) {
				if (starts(l, n, i + 1, "2006")) {
					c->prefix = i + 1;
					c->std = S_LONGYEAR, c->len = 4;
					return;
				}
				c->std = S_UNDERDAY, c->len = 2;
				return;
			}
			if (starts(l, n, i, "__2")) {
				c->std = S_UNDERYEARDAY, c->len = 3;
				return;
			}
			break;
		case '3': c->std = S_HOUR12, c->len = 1; return;
		case '4': c->std = S_MINUTE, c->len = 1; return;
		case '5': c->std = S_SECOND, c->len = 1; return;
		case 'P':
			if (starts(l, n, i, "PM")) {
				c->std = S_PM, c->len = 2;
				return;
			}
			break;
		case 'p':
			if (starts(l, n, i, "pm")) {
				c->std = S_pm, c->len = 2;
				return;
			}
			break;
		case '-':
		case 'Z':
			for (k = 0; k < sizeof tz / sizeof tz[0]; k++) {
				if (starts(l, n, i, tz[k].w)) {
					c->std = tz[k].s,
					c->len = strlen(tz[k].w);
					return;
				}
			}
			break;
		case '.':
		case ',':
			if (i + 1 < n && (l[i + 1] == '0' || l[i + 1] == '9')) {
				char ch = l[i + 1];
				size_t j = i + 1;
				while (j < n && l[j] == ch)
					j++;
				if (!(j < n && l[j] >= '0' && l[j] <= '9')) {
					c->std = ch == '0' ? S_FRAC0 : S_FRAC9;
					c->len = j - i;
					c->digits = (int)(j - i - 1);
					c->sep = l[i];
					return;
				}
			}
			break;
		default: break;
		}
	}
	c->prefix = n;
	c->std = S_NONE;
}

static const char *const long_months[] = { "January", "February", "March",
	"April", "May", "June", "July", "August", "September", "October",
	"November", "December" };
static const char *const long_days[] = { "Sunday", "Monday", "Tuesday",
	"Wednesday", "Thursday", "Friday", "Saturday" };

static int
fmt_tz(struct ls_buf *b, enum std s, int off)
{
	int z = off / 60, sec = off % 60, rc = 0;

	if (s >= S_ISO_TZ && s <= S_ISO_COLON_SECS_TZ && off == 0)
		return ls_buf_addc(b, 'Z');
	if (z < 0 || sec < 0) {
		rc = ls_buf_addc(b, '-');
		z = -z;
		sec = -sec;
	} else {
		rc = ls_buf_addc(b, '+');
	}
	if (rc == 0)
		rc = ls_buf_addf(b, "%02d", z / 60);
	if (rc == 0 &&
	    (s == S_ISO_COLON_TZ || s == S_NUM_COLON_TZ ||
		s == S_ISO_COLON_SECS_TZ || s == S_NUM_COLON_SECS_TZ))
		rc = ls_buf_addc(b, ':');
	if (rc == 0 && s != S_NUM_SHORT_TZ && s != S_ISO_SHORT_TZ)
		rc = ls_buf_addf(b, "%02d", z % 60);
	if (rc == 0 &&
	    (s == S_ISO_SECS_TZ || s == S_NUM_SECS_TZ ||
		s == S_ISO_COLON_SECS_TZ || s == S_NUM_COLON_SECS_TZ)) {
		if (s == S_ISO_COLON_SECS_TZ || s == S_NUM_COLON_SECS_TZ)
			rc = ls_buf_addc(b, ':');
		if (rc == 0)
			rc = ls_buf_addf(b, "%02d", sec);
	}
	return rc;
}

static int
fmt_one(struct ls_buf *b, const struct chunk *c, const struct bi_tm *t)
{
	int h12 = t->hour % 12 == 0 ? 12 : t->hour % 12, rc = 0, k;
	char frac[10];

	switch (c->std) {
	case S_LONGMONTH: return ls_buf_adds(b, long_months[t->month - 1]);
	case S_MONTH: return ls_buf_add(b, long_months[t->month - 1], 3);
	case S_NUMMONTH: return ls_buf_addf(b, "%d", t->month);
	case S_ZEROMONTH: return ls_buf_addf(b, "%02d", t->month);
	case S_LONGWEEKDAY: return ls_buf_adds(b, long_days[t->wday]);
	case S_WEEKDAY: return ls_buf_add(b, long_days[t->wday], 3);
	case S_DAY: return ls_buf_addf(b, "%d", t->day);
	case S_UNDERDAY: return ls_buf_addf(b, "%2d", t->day);
	case S_ZERODAY: return ls_buf_addf(b, "%02d", t->day);
	case S_UNDERYEARDAY: return ls_buf_addf(b, "%3d", t->yday);
	case S_ZEROYEARDAY: return ls_buf_addf(b, "%03d", t->yday);
	case S_HOUR: return ls_buf_addf(b, "%02d", t->hour);
	case S_HOUR12: return ls_buf_addf(b, "%d", h12);
	case S_ZEROHOUR12: return ls_buf_addf(b, "%02d", h12);
	case S_MINUTE: return ls_buf_addf(b, "%d", t->min);
	case S_ZEROMINUTE: return ls_buf_addf(b, "%02d", t->min);
	case S_SECOND: return ls_buf_addf(b, "%d", t->sec);
	case S_ZEROSECOND: return ls_buf_addf(b, "%02d", t->sec);
	case S_LONGYEAR:
		if (t->year < 0)
			return ls_buf_addf(b, "-%04lld", (long long)-t->year);
		return ls_buf_addf(b, "%04lld", (long long)t->year);
	case S_YEAR:
		return ls_buf_addf(b, "%02lld",
		    (long long)(t->year % 100 + 100) % 100);
	case S_PM: return ls_buf_adds(b, t->hour >= 12 ? "PM" : "AM");
	case S_pm: return ls_buf_adds(b, t->hour >= 12 ? "pm" : "am");
	case S_TZ:
		if (t->abbr[0] != '\0')
			return ls_buf_adds(b, t->abbr);
		return fmt_tz(b, S_NUM_TZ, t->offset);
	case S_FRAC0:
	case S_FRAC9:
		snprintf(frac, sizeof frac, "%09d", t->nsec);
		k = c->digits > 9 ? 9 : c->digits;
		if (c->std == S_FRAC9) {
			while (k > 0 && frac[k - 1] == '0')
				k--;
			if (k == 0)
				return 0;
		}
		rc = ls_buf_addc(b, c->sep);
		return rc ? rc : ls_buf_add(b, frac, (size_t)k);
	case S_NONE: return 0;
	default: return fmt_tz(b, c->std, t->offset);
	}
}

int
bi_time_format(struct ls_buf *b, const char *l, size_t n, int64_t sec, int nsec,
    const struct bi_tz *tz)
{
	struct bi_tm t;
	struct chunk c;
	int rc = 0;

	bi_time_civil(&t, sec, nsec, tz);
	while (n > 0 && rc == 0) {
		next_chunk(l, n, &c);
		if ((rc = ls_buf_add(b, l, c.prefix)) != 0 || c.std == S_NONE)
			break;
		rc = fmt_one(b, &c, &t);
		l += c.prefix + c.len;
		n -= c.prefix + c.len;
	}
	return rc;
}

/* ---- parsing ---- */

struct pstate {
	const char *v; /* rest of the value */
	size_t n;
};

/* Go's getnum: 1 or 2 digits (exactly 2 when fixed). */
static int
getnum(struct pstate *p, int fixed, int *out)
{
	if (p->n < 1 || p->v[0] < '0' || p->v[0] > '9')
		return -1;
	if (p->n < 2 || p->v[1] < '0' || p->v[1] > '9') {
		if (fixed)
			return -1;
		*out = p->v[0] - '0';
		p->v++, p->n--;
		return 0;
	}
	*out = (p->v[0] - '0') * 10 + (p->v[1] - '0');
	p->v += 2, p->n -= 2;
	return 0;
}

static int
getdigits(struct pstate *p, int count, int *out)
{
	int i, v = 0;

	if ((int)p->n < count)
		return -1;
	for (i = 0; i < count; i++) {
		if (p->v[i] < '0' || p->v[i] > '9')
			return -1;
		v = v * 10 + (p->v[i] - '0');
	}
	p->v += count, p->n -= (size_t)count;
	*out = v;
	return 0;
}

static int
lookup_name(struct pstate *p, const char *const *names, int count, int len3)
{
	int i;

	for (i = 0; i < count; i++) {
		size_t k = len3 ? 3 : strlen(names[i]);
		if (p->n >= k && strncasecmp(p->v, names[i], k) == 0) {
			p->v += k, p->n -= k;
			return i;
		}
	}
	return -1;
}

/* Skip the literal prefix (Go's skip: spaces match runs of spaces). */
static int
skip(struct pstate *p, const char *pre, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (pre[i] == ' ') {
			if (p->n > 0 && p->v[0] != ' ')
				return -1;
			while (i < n && pre[i] == ' ')
				i++;
			while (p->n > 0 && p->v[0] == ' ')
				p->v++, p->n--;
			continue;
		}
		if (p->n == 0 || p->v[0] != pre[i])
			return -1;
		p->v++, p->n--, i++;
	}
	return 0;
}

static int
parse_frac(struct pstate *p, int ndig, int *nsec)
{
	int i, v = 0;

	if (p->n < 1 || (p->v[0] != '.' && p->v[0] != ','))
		return -1;
	p->v++, p->n--;
	for (i = 0; i < ndig ||
	     (ndig < 0 && p->n > 0 && p->v[0] >= '0' && p->v[0] <= '9');
	     i++) {
		if (p->n == 0 || p->v[0] < '0' || p->v[0] > '9')
			return -1;
		if (i < 9)
			v = v * 10 + (p->v[0] - '0');
		p->v++, p->n--;
	}
	if (i == 0)
		return -1;
	for (; i < 9; i++)
		v *= 10;
	*nsec = v;
	return 0;
}

static int
parse_tz(struct pstate *p, enum std s, int *off)
{
	int sign, hh = 0, mm = 0, ss = 0, colon;

	if (s >= S_ISO_TZ && s <= S_ISO_COLON_SECS_TZ && p->n > 0 &&
	    p->v[0] == 'Z') {
		p->v++, p->n--;
		*off = 0;
		return 0;
	}
	if (p->n < 1 || (p->v[0] != '+' && p->v[0] != '-'))
		return -1;
	sign = p->v[0] == '-' ? -1 : 1;
	p->v++, p->n--;
	colon = s == S_ISO_COLON_TZ || s == S_NUM_COLON_TZ ||
	    s == S_ISO_COLON_SECS_TZ || s == S_NUM_COLON_SECS_TZ;
	if (getdigits(p, 2, &hh) != 0)
		return -1;
	if (s != S_ISO_SHORT_TZ && s != S_NUM_SHORT_TZ) {
		if (colon && (p->n < 1 || p->v[0] != ':'))
			return -1;
		if (colon)
			p->v++, p->n--;
		if (getdigits(p, 2, &mm) != 0)
			return -1;
		if (s == S_ISO_SECS_TZ || s == S_NUM_SECS_TZ ||
		    s == S_ISO_COLON_SECS_TZ || s == S_NUM_COLON_SECS_TZ) {
			if (colon && (p->n < 1 || p->v[0] != ':'))
				return -1;
			if (colon)
				p->v++, p->n--;
			if (getdigits(p, 2, &ss) != 0)
				return -1;
		}
	}
	if (hh > 24 || mm > 60 || ss > 60)
		return -1;
	*off = sign * (hh * 3600 + mm * 60 + ss);
	return 0;
}

struct parsed {
	int64_t year;
	int month, day, hour, min, sec, nsec, yday;
	int pm_set, pm, have_off, off;
};

/* One layout element of Go's time.Parse; one case per element kind. */
static int
parse_one(struct pstate *p, const struct chunk *c, const struct chunk *next,
    struct parsed *r)
{
	int v = 0, i;

	switch (c->std) {
	case S_YEAR:
		if (getdigits(p, 2, &v) != 0)
			return -1;
		r->year = v >= 69 ? 1900 + v : 2000 + v;
		return 0;
	case S_LONGYEAR:
		if (getdigits(p, 4, &v) != 0)
			return -1;
		r->year = v;
		return 0;
	case S_MONTH:
	case S_LONGMONTH:
		if ((i = lookup_name(p, long_months, 12, c->std == S_MONTH)) <
		    0)
			return -1;
		r->month = i + 1;
		return 0;
	case S_NUMMONTH:
	case S_ZEROMONTH:
		if (getnum(p, c->std == S_ZEROMONTH, &r->month) != 0 ||
		    r->month < 1 || r->month > 12)
			return -1;
		return 0;
	case S_WEEKDAY:
	case S_LONGWEEKDAY:
		return lookup_name(p, long_days, 7, c->std == S_WEEKDAY) < 0
		    ? -1
		    : 0;
	case S_DAY:
	case S_UNDERDAY:
	case S_ZERODAY:
		if (c->std == S_UNDERDAY && p->n > 0 && p->v[0] == ' ')
			p->v++, p->n--;
		return getnum(p, c->std == S_ZERODAY, &r->day);
	case S_UNDERYEARDAY:
	case S_ZEROYEARDAY:
		for (i = 0; i < 2 && c->std == S_UNDERYEARDAY && p->n > 0 &&
		     p->v[0] == ' ';
		     i++)
			p->v++, p->n--;
		return getdigits(p, c->std == S_ZEROYEARDAY ? 3 : 3 - i,
		    &r->yday);
	case S_HOUR:
		return getnum(p, 0, &r->hour) != 0 || r->hour > 23 ? -1 : 0;
	case S_HOUR12:
	case S_ZEROHOUR12:
		return getnum(p, c->std == S_ZEROHOUR12, &r->hour) != 0 ||
			r->hour > 12
		    ? -1
		    : 0;
	case S_MINUTE:
	case S_ZEROMINUTE:
		return getnum(p, c->std == S_ZEROMINUTE, &r->min) != 0 ||
			r->min > 59
		    ? -1
		    : 0;
	case S_SECOND:
	case S_ZEROSECOND:
		if (getnum(p, c->std == S_ZEROSECOND, &r->sec) != 0 ||
		    r->sec > 59)
			return -1;
		/* fractional seconds the layout does not mention */
		if (p->n >= 2 && (p->v[0] == '.' || p->v[0] == ',') &&
		    p->v[1] >= '0' && p->v[1] <= '9' && next->std != S_FRAC0 &&
		    next->std != S_FRAC9)
			return parse_frac(p, -1, &r->nsec);
		return 0;
	case S_PM:
	case S_pm:
		if (p->n < 2)
			return -1;
		if (strncasecmp(p->v, "PM", 2) == 0)
			r->pm = 1;
		else if (strncasecmp(p->v, "AM", 2) != 0)
			return -1;
		r->pm_set = 1;
		p->v += 2, p->n -= 2;
		return 0;
	case S_TZ:
		if (p->n >= 3 && memcmp(p->v, "UTC", 3) == 0) {
			p->v += 3, p->n -= 3;
			r->have_off = 1;
			r->off = 0;
			return 0;
		}
		for (i = 0;
		     i < (int)p->n && i < 5 && p->v[i] >= 'A' && p->v[i] <= 'Z';
		     i++)
			;
		if (i < 3)
			return -1;
		p->v += i, p->n -= (size_t)i;
		return 0;
	case S_FRAC0: return parse_frac(p, c->digits, &r->nsec);
	case S_FRAC9:
		if (p->n == 0 || p->v[0] != c->sep)
			return 0;
		return parse_frac(p, -1, &r->nsec);
	case S_NONE: return 0;
	default: r->have_off = 1; return parse_tz(p, c->std, &r->off);
	}
}

static int
days_in(int64_t y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

int
bi_time_parse(int64_t *sec, int *nsec, const char *l, size_t ln,
    const char *value, size_t vn)
{
	struct pstate p = { value, vn }, save;
	struct parsed r;
	struct chunk c, next;
	const char *lay = l, *elem = l;
	size_t ll = ln, elen = 0;

	memset(&r, 0, sizeof r);
	r.year = 0;
	r.month = 1;
	r.day = 1;
	next_chunk(lay, ll, &c);
	for (;;) {
		const char *rest;
		size_t rn;

		elem = lay;
		elen = c.prefix;
		save = p;
		if (skip(&p, lay, c.prefix) != 0) {
			p = save;
			goto bad;
		}
		save = p;
		if (c.std == S_NONE)
			break;
		rest = lay + c.prefix + c.len;
		rn = ll - c.prefix - c.len;
		next_chunk(rest, rn, &next);
		elem = lay + c.prefix;
		elen = c.len;
		if (parse_one(&p, &c, &next, &r) != 0) {
			p = save;
			goto bad;
		}
		lay = rest;
		ll = rn;
		c = next;
	}
	if (p.n != 0)
		return ls_error_set(LS_EFORMAT,
		    "parsing time \"%.*s\": extra "
		    "text: \"%.*s\"",
		    (int)vn, value, (int)p.n, p.v);
	if (r.pm_set && r.pm && r.hour < 12)
		r.hour += 12;
	else if (r.pm_set && !r.pm && r.hour == 12)
		r.hour = 0;
	if (r.yday > 0) {
		r.month = 1;
		r.day = r.yday;
	} else if (r.day < 1 || r.day > days_in(r.year, r.month)) {
		return ls_error_set(LS_EFORMAT,
		    "parsing time \"%.*s\": day out "
		    "of range",
		    (int)vn, value);
	}
	*sec = bi_time_from_civil(r.year, r.month, r.day, r.hour, r.min, r.sec,
		   NULL) -
	    (r.have_off ? r.off : 0);
	*nsec = r.nsec;
	return 0;
bad:
	return ls_error_set(LS_EFORMAT,
	    "parsing time \"%.*s\" as \"%.*s\": "
	    "cannot parse \"%.*s\" as \"%.*s\"",
	    (int)vn, value, (int)ln, l, (int)p.n, p.v, (int)elen, elem);
}

/* ---- durations ---- */

int
bi_duration_parse(int64_t *out, const char *s, size_t len)
{
	static const struct {
		const char *u;
		uint64_t mult;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "\xc2\xb5s", 1000 },
		{ "\xce\xbcs", 1000 },
		{ "ms", 1000000 },
		{ "s", 1000000000ULL },
		{ "m", 60000000000ULL },
		{ "h", 3600000000000ULL },
	};
	size_t i = 0, k;
	uint64_t total = 0;
	int neg = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (len - i == 1 && s[i] == '0') {
		*out = 0;
		return 0;
	}
	if (i == len)
		goto bad;
	while (i < len) {
		uint64_t whole = 0, frac = 0, scale = 1, mult = 0;
		size_t start = i, ul = 0;
		int any = 0;
		long double v;

		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (whole > (UINT64_MAX - 9) / 10)
				goto bad;
			whole = whole * 10 + (uint64_t)(s[i++] - '0');
			any = 1;
		}
		if (i < len && s[i] == '.') {
			i++;
			while (i < len && s[i] >= '0' && s[i] <= '9') {
				if (scale < 1000000000000000000ULL) {
					frac =
					    frac * 10 + (uint64_t)(s[i] - '0');
					scale *= 10;
				}
				i++;
				any = 1;
			}
		}
		if (!any || start == i)
			goto bad;
		for (k = 0; k < sizeof units / sizeof units[0]; k++) {
			size_t n = strlen(units[k].u);
			if (len - i >= n && memcmp(s + i, units[k].u, n) == 0 &&
			    n > ul) {
				ul = n;
				mult = units[k].mult;
			}
		}
		if (ul == 0)
			return ls_error_set(LS_EFORMAT,
			    "time: missing unit in "
			    "duration \"%.*s\"",
			    (int)len, s);
		i += ul;
		v = (long double)whole * mult +
		    (long double)frac * mult / scale;
		if (v > 9223372036854775807.0L || total + (uint64_t)v < total)
			goto bad;
		total += (uint64_t)v;
		if (total > (uint64_t)INT64_MAX + (uint64_t)neg)
			goto bad;
	}
	*out = neg ? (int64_t)(0 - total) : (int64_t)total;
	return 0;
bad:
	return ls_error_set(LS_EFORMAT, "time: invalid duration \"%.*s\"",
	    (int)len, s);
}
