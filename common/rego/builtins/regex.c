/*
 * regex.c - Go (RE2) regular expressions on top of PCRE2.
 *
 * PCRE2 accepts a superset of RE2's syntax, so patterns are first scanned
 * for what RE2 refuses (lookaround, backreferences, atomic and possessive
 * forms, recursion) and compiled with the options that give RE2's
 * meaning: UTF-8, '$' at the very end only, no auto-callouts.  PCRE2
 * backtracks where RE2 does not, so every match runs under a match and
 * depth limit instead of RE2's linear-time guarantee.
 *
 * Compiled patterns are shared through a small cache guarded by a mutex
 * (policies are evaluated by many threads at once); entries are reference
 * counted so eviction never frees a pattern in use.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/lib.h"

#define RE_MAX_PATTERN (64 * 1024)
#define RE_CACHE_SIZE 128
#define RE_MATCH_LIMIT 10000000u
#define RE_DEPTH_LIMIT 10000u
#define RE_MAX_MATCHES 1000000

struct bi_regex {
	pcre2_code *code;
	char *pat; /* owned copy, the cache key */
	size_t len;
	int refs;	    /* guarded by cache_lock */
	int cached;	    /* still in the cache table */
	unsigned long used; /* cache clock at last lookup */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bi_regex *cache[RE_CACHE_SIZE];
static unsigned long cache_clock;

static void
regex_destroy(struct bi_regex *re)
{
	pcre2_code_free(re->code);
	free(re->pat);
	free(re);
}

/* RE2 refuses these; PCRE2 would accept them.  Returns the message or
 * NULL when the pattern only uses RE2 syntax. */
static const char *
re2_refuses(const char *p, size_t n)
{
	size_t i;
	int in_class = 0, quoted = 0, after_rep = 0;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (quoted) {
			if (c == '\\' && i + 1 < n && p[i + 1] == 'E') {
				quoted = 0;
				i++;
			}
			continue;
		}
		if (c == '\\' && i + 1 < n) {
			char d = p[++i];

			after_rep = 0;
			if (d == 'Q') {
				quoted = 1;
				continue;
			}
			if (in_class) {
				in_class = 2;
				continue;
			}
			if ((d >= '1' && d <= '9') || d == 'g' || d == 'k')
				return "invalid escape sequence";
			if (d == 'Z' || d == 'G' || d == 'K' || d == 'R' ||
			    d == 'X' || d == 'h' || d == 'H' || d == 'V' ||
			    d == 'N' || d == 'o' || d == 'c' || d == 'e')
				return "invalid escape sequence";
			continue;
		}
		if (in_class) {
			if (c == ']' && !(in_class == 1))
				in_class = 0;
			else if (c == '[' && i + 1 < n && p[i + 1] == ':') {
				const char *e =
				    memchr(p + i + 2, ']', n - i - 2);
				if (e != NULL && e[-1] == ':')
					i = (size_t)(e - p);
			}
			if (in_class)
				in_class = 2;
			continue;
		}
		if (c == '[') {
			in_class = 1;
			if (i + 1 < n && p[i + 1] == '^')
				i++;
			after_rep = 0;
			continue;
		}
		if (c == '(' && i + 1 < n && p[i + 1] == '?') {
			char d = i + 2 < n ? p[i + 2] : 0;

			after_rep = 0;
			if (d == '=' || d == '!' || d == '>' || d == '|' ||
			    d == '#' || d == 'R' || d == '&' || d == '(' ||
			    d == '+' || (d >= '0' && d <= '9') ||
			    (d == 'P' && i + 3 < n && p[i + 3] != '<'))
				return "invalid or unsupported Perl syntax";
			if (d == '<' && i + 3 < n &&
			    (p[i + 3] == '=' || p[i + 3] == '!'))
				return "invalid or unsupported Perl syntax";
			continue;
		}
		if (c == '{') {
			/* RE2 caps counted repetition at 1000 */
			size_t k = i + 1;
			long lo = 0, hi = 0;
			int digits = 0;
			while (
			    k < n && p[k] >= '0' && p[k] <= '9' && lo <= 100000)
				lo = lo * 10 + (p[k++] - '0'), digits = 1;
			if (digits && k < n && p[k] == ',') {
				k++;
				while (k < n && p[k] >= '0' && p[k] <= '9' &&
				    hi <= 100000)
					hi = hi * 10 + (p[k++] - '0');
			}
			if (digits && k < n && p[k] == '}') {
				if (lo > 1000 || hi > 1000 ||
				    (hi > 0 && hi < lo))
					return "invalid repeat count";
				/* a counted repetition is a quantifier too */
				if (after_rep != 0)
					return "invalid nested repetition "
					       "operator";
				after_rep = 1;
				i = k;
				continue;
			}
		}
		if (c == '*' || c == '+' || c == '?') {
			if (after_rep == 2 || (after_rep == 1 && c != '?'))
				return "invalid nested repetition operator";
			after_rep = after_rep == 1 ? 2 : 1;
			continue;
		}
		after_rep = 0;
	}
	return NULL;
}

/* Go's wording for the common PCRE2 compile errors. */
static int
compile_error(int code, size_t off, const char *p, size_t n)
{
	PCRE2_UCHAR msg[256];
	const char *tail = off < n ? p + off : p + n;

	switch (code) {
	case 106: /* missing terminating ] */
	{
		const char *open = memchr(p, '[', n);
		if (open == NULL)
			open = p;
		return ls_error_set(LS_EFORMAT,
		    "error parsing regexp: missing closing ]: `%.*s`",
		    (int)(n - (size_t)(open - p)), open);
	}
	case 114:
		return ls_error_set(LS_EFORMAT,
		    "error parsing regexp: missing closing ): `%.*s`", (int)n,
		    p);
	case 122:
		return ls_error_set(LS_EFORMAT,
		    "error parsing regexp: unexpected ): `%.*s`", (int)n, p);
	case 109:
		return ls_error_set(LS_EFORMAT,
		    "error parsing regexp: "
		    "missing argument to repetition operator: `%.*s`",
		    (int)(n - (size_t)(tail - p) < 2 ? n - (size_t)(tail - p)
						     : 1),
		    tail);
	default:
		pcre2_get_error_message(code, msg, sizeof msg);
		return ls_error_set(LS_EFORMAT,
		    "error parsing regexp: %s: `%.*s`", (const char *)msg,
		    (int)n, p);
	}
}

static int
regex_compile(struct bi_regex **out, const char *p, size_t n)
{
	struct bi_regex *re;
	const char *why;
	int err = 0;
	PCRE2_SIZE off = 0;

	if (n > RE_MAX_PATTERN)
		return ls_error_set(LS_ETOOBIG,
		    "error parsing regexp: expression too large");
	if ((why = re2_refuses(p, n)) != NULL)
		return ls_error_set(LS_EFORMAT,
		    "error parsing regexp: %s: `%.*s`", why,
		    (int)(n > 200 ? 200 : n), p);
	if ((re = calloc(1, sizeof *re)) == NULL ||
	    (re->pat = malloc(n + 1)) == NULL) {
		free(re);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	memcpy(re->pat, p, n);
	re->pat[n] = '\0';
	re->len = n;
	re->code = pcre2_compile((PCRE2_SPTR)p, n,
	    PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_INVALID_UTF |
		PCRE2_NEVER_BACKSLASH_C,
	    &err, &off, NULL);
	if (re->code == NULL) {
		int rc = compile_error(err, off, p, n);
		free(re->pat);
		free(re);
		return rc;
	}
	*out = re;
	return 0;
}

int
bi_regex_get(struct bi_regex **out, const char *pat, size_t len)
{
	struct bi_regex *re = NULL;
	size_t i, victim = RE_CACHE_SIZE;
	int rc;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < RE_CACHE_SIZE; i++) {
		struct bi_regex *c = cache[i];
		if (c != NULL && c->len == len &&
		    memcmp(c->pat, pat, len) == 0) {
			c->refs++;
			c->used = ++cache_clock;
			*out = c;
			pthread_mutex_unlock(&cache_lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	if ((rc = regex_compile(&re, pat, len)) != 0)
		return rc;
	re->refs = 1;
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < RE_CACHE_SIZE; i++) {
		if (cache[i] == NULL) {
			victim = i;
			break;
		}
		if (victim == RE_CACHE_SIZE ||
		    cache[i]->used < cache[victim]->used)
			victim = i;
	}
	if (cache[victim] != NULL) {
		cache[victim]->cached = 0;
		if (cache[victim]->refs == 0)
			regex_destroy(cache[victim]);
	}
	re->cached = 1;
	re->used = ++cache_clock;
	cache[victim] = re;
	pthread_mutex_unlock(&cache_lock);
	*out = re;
	return 0;
}

void
bi_regex_release(struct bi_regex *re)
{
	int destroy;

	if (re == NULL)
		return;
	pthread_mutex_lock(&cache_lock);
	re->refs--;
	destroy = re->refs == 0 && !re->cached;
	pthread_mutex_unlock(&cache_lock);
	if (destroy)
		regex_destroy(re);
}

void
bi_regex_cache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < RE_CACHE_SIZE; i++) {
		if (cache[i] != NULL && cache[i]->refs == 0) {
			regex_destroy(cache[i]);
			cache[i] = NULL;
		}
	}
	pthread_mutex_unlock(&cache_lock);
}

int
bi_regex_groups(const struct bi_regex *re)
{
	uint32_t n = 0;

	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &n);
	return (int)n;
}

/* One search from pos; 1 found (ovector filled), 0 none, <0 error. */
static int
search(const struct bi_regex *re, pcre2_match_data *md, pcre2_match_context *mc,
    const char *s, size_t len, size_t pos)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, pos, 0, md, mc);

	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT)
		return ls_error_set(LS_ETOOBIG, "regexp match limit exceeded");
	return ls_error_set(LS_EFORMAT, "regexp match failed (%d)", rc);
}

struct matcher {
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

static int
matcher_init(struct matcher *m, const struct bi_regex *re)
{
	m->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	m->mc = pcre2_match_context_create(NULL);
	if (m->md == NULL || m->mc == NULL) {
		pcre2_match_data_free(m->md);
		pcre2_match_context_free(m->mc);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	pcre2_set_match_limit(m->mc, RE_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mc, RE_DEPTH_LIMIT);
	return 0;
}

static void
matcher_cleanup(struct matcher *m)
{
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mc);
}

int
bi_regex_match(const struct bi_regex *re, const char *s, size_t len)
{
	struct matcher m;
	int rc;

	if ((rc = matcher_init(&m, re)) != 0)
		return rc;
	rc = search(re, m.md, m.mc, s, len, 0);
	matcher_cleanup(&m);
	return rc;
}

static size_t
rune_width(const char *s, size_t len, size_t pos)
{
	size_t w = 1;

	if (pos >= len)
		return 1;
	bi_utf8_decode(s + pos, len - pos, &w);
	return w;
}

int
bi_regex_find_all(long **out, size_t *count, const struct bi_regex *re,
    const char *s, size_t len, long n)
{
	struct matcher m;
	long *v = NULL, *nv;
	size_t cnt = 0, cap = 0, pairs, pos = 0, k;
	long prev_end = -1;
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = matcher_init(&m, re)) != 0)
		return rc;
	pairs = (size_t)bi_regex_groups(re) + 1;
	while ((n < 0 || (long)cnt < n) && pos <= len) {
		PCRE2_SIZE *ov;
		int accept = 1;

		if ((rc = search(re, m.md, m.mc, s, len, pos)) <= 0)
			break;
		ov = pcre2_get_ovector_pointer(m.md);
		if (ov[1] == pos) {
			if ((long)ov[0] == prev_end)
				accept = 0;
			pos += rune_width(s, len, pos);
		} else {
			pos = ov[1];
		}
		prev_end = (long)ov[1];
		if (!accept)
			continue;
		if (cnt >= RE_MAX_MATCHES) {
			rc =
			    ls_error_set(LS_ETOOBIG, "too many regexp matches");
			break;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * pairs * 2 * sizeof *v)) ==
			    NULL) {
				rc = ls_error_set(LS_ENOMEM, "out of memory");
				break;
			}
			v = nv;
		}
		for (k = 0; k < pairs * 2; k++)
			v[cnt * pairs * 2 + k] =
			    ov[k] == PCRE2_UNSET ? -1 : (long)ov[k];
		cnt++;
	}
	matcher_cleanup(&m);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*count = cnt;
	return 0;
}

/* Go's Regexp.expand: $1, ${1}, $name, ${name}, $$. */
static int
expand(struct ls_buf *b, const struct bi_regex *re, const char *s,
    const PCRE2_SIZE *ov, int ngroups, const char *t, size_t tl)
{
	size_t i = 0;
	int rc = 0;

	while (i < tl && rc == 0) {
		const char *name;
		size_t nl = 0, j;
		int num = -1, braced = 0, ok = 1;

		if (t[i] != '$' || i + 1 >= tl) {
			rc = ls_buf_addc(b, t[i++]);
			continue;
		}
		if (t[i + 1] == '$') {
			rc = ls_buf_addc(b, '$');
			i += 2;
			continue;
		}
		j = i + 1;
		if (t[j] == '{') {
			braced = 1;
			j++;
		}
		name = t + j;
		while (j + nl < tl &&
		    (t[j + nl] == '_' ||
			(t[j + nl] >= '0' && t[j + nl] <= '9') ||
			((t[j + nl] | 32) >= 'a' && (t[j + nl] | 32) <= 'z')))
			nl++;
		if (nl == 0 || (braced && (j + nl >= tl || t[j + nl] != '}')))
			ok = 0;
		if (!ok) {
			rc = ls_buf_addc(b, '$');
			i++;
			continue;
		}
		i = j + nl + (size_t)braced;
		num = 0;
		for (j = 0; j < nl && num >= 0; j++) {
			if (name[j] < '0' || name[j] > '9' || num > 100000)
				num = -1;
			else
				num = num * 10 + (name[j] - '0');
		}
		if (num < 0) {
			char tmp[256];
			if (nl < sizeof tmp) {
				memcpy(tmp, name, nl);
				tmp[nl] = '\0';
				num = pcre2_substring_number_from_name(re->code,
				    (PCRE2_SPTR)tmp);
			}
		}
		if (num >= 0 && num <= ngroups && ov[2 * num] != PCRE2_UNSET)
			rc = ls_buf_add(b, s + ov[2 * num],
			    ov[2 * num + 1] - ov[2 * num]);
	}
	return rc;
}

int
bi_regex_replace(struct ls_buf *b, const struct bi_regex *re, const char *s,
    size_t len, const char *repl, size_t rlen)
{
	struct matcher m;
	size_t last = 0, pos = 0, w;
	int rc, ng = bi_regex_groups(re);

	if ((rc = matcher_init(&m, re)) != 0)
		return rc;
	while (pos <= len) {
		PCRE2_SIZE *ov;

		if ((rc = search(re, m.md, m.mc, s, len, pos)) <= 0)
			break;
		ov = pcre2_get_ovector_pointer(m.md);
		if ((rc = ls_buf_add(b, s + last, ov[0] - last)) != 0)
			break;
		if ((ov[1] > last || ov[0] == 0) &&
		    (rc = expand(b, re, s, ov, ng, repl, rlen)) != 0)
			break;
		last = ov[1];
		w = rune_width(s, len, pos);
		if (pos + w > ov[1])
			pos += w;
		else if (pos + 1 > ov[1])
			pos++;
		else
			pos = ov[1];
	}
	if (rc >= 0)
		rc = ls_buf_add(b, s + last, len - last);
	matcher_cleanup(&m);
	return rc < 0 ? rc : 0;
}

int
bi_regex_split(long **out, size_t *count, const struct bi_regex *re,
    const char *s, size_t len)
{
	long *m = NULL, *v = NULL;
	size_t nm = 0, i, k = 0, pairs;
	long beg = 0, end = 0;
	int rc;

	*out = NULL;
	*count = 0;
	if (re->len > 0 && len == 0) {
		if ((v = malloc(2 * sizeof *v)) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		v[0] = v[1] = 0;
		*out = v;
		*count = 1;
		return 0;
	}
	if ((rc = bi_regex_find_all(&m, &nm, re, s, len, -1)) != 0)
		return rc;
	pairs = (size_t)bi_regex_groups(re) + 1;
	if ((v = malloc((nm + 1) * 2 * sizeof *v)) == NULL) {
		free(m);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	for (i = 0; i < nm; i++) {
		long *mt = m + i * pairs * 2;
		/* find_all filled nm * pairs * 2 longs; the analyzer re-reads
		 * the group count from pcre2 and assumes it changed. */
		// NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign)
		end = mt[0];
		// NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
		if (mt[1] != 0) {
			v[2 * k] = beg;
			v[2 * k + 1] = end;
			k++;
		}
		beg = mt[1];
	}
	if (end != (long)len) {
		v[2 * k] = beg;
		v[2 * k + 1] = (long)len;
		k++;
	}
	free(m);
	*out = v;
	*count = k;
	return 0;
}
