/*
 * bi_lib.h - the value-independent layers under the Rego builtins: RE2
 * regexes on PCRE2, gobwas globs, semver, IP/CIDR arithmetic, Go time
 * layouts and time zones, and Go's fmt verbs.  Internal to
 * common/rego; the builtins in bi_*.c wrap these around Rego values.
 *
 * Every fallible function returns 0 or a negative enum ls_err and records
 * a one-line message with ls_error_set() worded as OPA words it (without
 * the "builtin-name: " prefix, which the caller adds).  The only global
 * state is two caches of immutable objects (compiled regexes, loaded time
 * zones), each behind a mutex; everything else is safe to call from any
 * number of threads at once.
 */
#ifndef LS_REGO_BI_LIB_H
#define LS_REGO_BI_LIB_H

#include <stddef.h>
#include <stdint.h>

#include "lockstep/buf.h"

/* ---- regex (regex.c) ---- */

struct bi_regex; /* compiled RE2-compatible pattern, immutable */

/*
 * Compile an RE2 pattern, refusing what RE2 refuses (lookaround,
 * backreferences, possessive and atomic groups).  The result is shared
 * from a locked cache: release it with bi_regex_release().  On a syntax
 * error LS_EFORMAT with "error parsing regexp: ..." as Go words it.
 */
int bi_regex_get(struct bi_regex **out, const char *pat, size_t len);
void bi_regex_release(struct bi_regex *re); /* NULL ok */

/* Number of capture groups (not counting the whole match). */
int bi_regex_groups(const struct bi_regex *re);

/* 1 match, 0 no match, <0 error (match limit reached). */
int bi_regex_match(const struct bi_regex *re, const char *s, size_t len);

/*
 * Go's FindAllSubmatchIndex(s, n): up to n (n < 0: all) matches, each
 * (1 + groups) pairs of offsets, -1 for a group that did not take part.
 * *out is malloc'd (caller frees), *count matches.
 */
int bi_regex_find_all(long **out, size_t *count, const struct bi_regex *re,
    const char *s, size_t len, long n);

/* Go's ReplaceAllString with $1 / ${name} expansion, into b. */
int bi_regex_replace(struct ls_buf *b, const struct bi_regex *re, const char *s,
    size_t len, const char *repl, size_t rlen);

/* Go's Split(s, -1): *out pairs of offsets (begin, end), *count pieces. */
int bi_regex_split(long **out, size_t *count, const struct bi_regex *re,
    const char *s, size_t len);

void bi_regex_cache_clear(void); /* frees unused cache entries */

/* ---- glob (glob.c) ---- */

/*
 * gobwas/glob matching as OPA's glob.match uses it: delims are runes that
 * '*' and '?' do not cross (ndelims 0: no delimiters).  *out 1/0.
 * LS_EFORMAT for a malformed pattern, LS_ETOOBIG when matching explodes.
 */
int bi_glob_match(int *out, const char *pat, size_t plen,
    const uint32_t *delims, size_t ndelims, const char *s, size_t len);
int bi_glob_quote_meta(struct ls_buf *b, const char *s, size_t len);

/* ---- semver (semver.c) ---- */

/* 1 when s is a valid SemVer 2.0.0 version (no "v" prefix). */
int bi_semver_valid(const char *s, size_t len);
/* -1, 0 or 1 by SemVer precedence; both must be valid. */
int bi_semver_compare(const char *a, size_t alen, const char *b, size_t blen);

/* ---- IP and CIDR (cidr.c) ---- */

struct bi_net {
	uint8_t addr[16]; /* network byte order; v4 in the first 4 */
	int bits;	  /* prefix length */
	int v6;		  /* 1: IPv6 (16 bytes), 0: IPv4 (4) */
};

/* Go's net.ParseCIDR: "a.b.c.d/n" or "x::y/n".  addr keeps host bits. */
int bi_cidr_parse(struct bi_net *out, const char *s, size_t len);
/* Go's net.ParseIP (v4 or v6), as a /32 or /128. */
int bi_ip_parse(struct bi_net *out, const char *s, size_t len);
/* Zero the host bits of n. */
void bi_net_mask(struct bi_net *n);
/* 1 when net a (masked) contains every address of b. */
int bi_net_contains(const struct bi_net *a, const struct bi_net *b);
/* 1 when the two networks share an address. */
int bi_net_intersects(const struct bi_net *a, const struct bi_net *b);
/* Text form: "10.0.0.0/8"; with_bits 0 gives the address alone. */
void bi_net_format(char out[64], const struct bi_net *n, int with_bits);
/* Merge into the smallest list of networks (net.cidr_merge); in place,
 * *n updated; result v4 first, then v6, each sorted. */
void bi_net_merge(struct bi_net *v, size_t *n);
/* Increment the address by one within its family; 1 on wrap. */
int bi_net_next(struct bi_net *n);

/* ---- time (time.c) ---- */

struct bi_tz; /* a loaded time zone; NULL means UTC */

/* Load "UTC", "Local" (= UTC here) or an IANA name from zoneinfo.
 * *out NULL for UTC.  LS_ENOTFOUND with "unknown time zone NAME". */
int bi_tz_load(struct bi_tz **out, const char *name, size_t len);
void bi_tz_free(struct bi_tz *tz);

/* Broken-down civil time. */
struct bi_tm {
	int64_t year;
	int month, day, hour, min, sec; /* month 1..12 */
	int nsec;
	int wday, yday; /* 0 = Sunday; yday 1..366 */
	int offset;	/* seconds east of UTC */
	char abbr[16];	/* zone abbreviation, "UTC" */
};

/* Seconds + nanoseconds since the epoch to civil time in tz. */
void
bi_time_civil(struct bi_tm *out, int64_t sec, int nsec, const struct bi_tz *tz);
/* Civil fields (normalised like Go's time.Date) in tz to seconds. */
int64_t bi_time_from_civil(int64_t year, int64_t month, int64_t day,
    int64_t hour, int64_t min, int64_t sec, const struct bi_tz *tz);

/* Go's time.Format(layout). */
int bi_time_format(struct ls_buf *b, const char *layout, size_t llen,
    int64_t sec, int nsec, const struct bi_tz *tz);
/* Go's time.Parse(layout, value): seconds and nanoseconds (UTC). */
int bi_time_parse(int64_t *sec, int *nsec, const char *layout, size_t llen,
    const char *value, size_t vlen);
/* Go's time.ParseDuration, in nanoseconds. */
int bi_duration_parse(int64_t *out, const char *s, size_t len);
/* sec,nsec to int64 nanoseconds; LS_ETOOBIG outside int64. */
int bi_time_to_ns(int64_t *out, int64_t sec, int nsec);

/* ---- Go fmt (fmt.c) ---- */

enum bi_fmt_kind {
	BI_FMT_INT,    /* integer, any size: dec holds its digits */
	BI_FMT_FLOAT,  /* float64 in f */
	BI_FMT_STRING, /* Go string: str/len */
	BI_FMT_OTHER,  /* any other value: str is its Rego text */
	BI_FMT_BOOL,
};

struct bi_fmt_arg {
	enum bi_fmt_kind kind;
	const char *str; /* digits ("-123") for INT, text otherwise */
	size_t len;
	double f;
	int b;
};

/* Go's fmt.Sprintf(format, args...) for the verbs OPA's sprintf meets. */
int bi_fmt_sprintf(struct ls_buf *b, const char *fmt, size_t flen,
    const struct bi_fmt_arg *args, size_t nargs);
/* Shortest text of f, in exponent form below 1e-6 or from 1e21. */
void bi_fmt_float(char out[40], double f);
/* Go's %v of a float64 (shortest digits, exponent from 1e6). */
void bi_fmt_go_float(char out[48], double f, int upper);

/* ---- UTF-8 (fmt.c) ---- */

/* Decode one rune at s (len > 0); *w bytes used; U+FFFD, w 1 if bad. */
uint32_t bi_utf8_decode(const char *s, size_t len, size_t *w);
size_t bi_utf8_encode(char out[4], uint32_t r);
size_t bi_utf8_count(const char *s, size_t len);

#endif
